//! AVX/AVX2 packed integer arithmetic, compares, logic, packs, unpacks, shifts and the
//! SSSE3/SSE4 integer operations in their VEX.128 and VEX.256 forms (Intel SDM Vol. 2,
//! each mnemonic's "VEX.128/256 encoded version" operation; Vol. 1 §14.7 "Promoted
//! 128-bit integer instructions"): VPADD*/VPSUB* (wrapping and saturating), VPMUL*,
//! VPMADD*, VPAVG*, VPMIN*/VPMAX*, VPSADBW, VPCMPEQ*/VPCMPGT*, VPAND/VPANDN/VPOR/VPXOR,
//! VPACK*, VPUNPCK*, VPSHUFB, VPHADD*/VPHSUB*, VPSIGN*, VPABS*, VPALIGNR, VPBLENDW,
//! VPBLENDD, VMPSADBW, VPHMINPOSUW, VPSHUFD/HW/LW, VPSLL/VPSRL/VPSRA by immediate and by
//! an XMM count, VPSLLDQ/VPSRLDQ, and AVX2's per-element VPSLLV/VPSRLV/VPSRAV.
//!
//! VEX.256 forms work on each 128-bit lane independently (packs, unpacks, byte shifts,
//! PALIGNR and PSHUFB do not cross lanes), so the SSE lane operations serve unchanged.
//! Shifts by an XMM count use the count's low 64 bits for both lanes.

use super::avx_operand::{build_lanes, build_lanes_hs, is_ymm, nds, vkind, vsel, with_vsrc_next};
use super::sse41::{build, BlendImm, MinMax, Mpsadbw, Packusdw, Pcmpeqq, Phminposuw, Pmuldq, Pmulld};
use super::sse42::Pcmpgtq;
use super::sse_int::*;
use super::sse_mov::{Pshufd, Pshufw, Shuf, Unpack};
use super::sse_operand::lane;
use super::ssse3::{Horiz, Pabs, Palignr, Pmaddubsw, Pmulhrsw, Pshufb, Psign};
use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

/// Bitwise logic as a lane operation (AND, ANDN, OR, XOR: `sse_fp::logic_op`).
pub(super) struct Logic<const L: u8>;
impl<const L: u8> Shuf for Logic<L> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        super::sse_fp::logic_op::<L>(a, b)
    }
}

/// A shift by imm8 (VEX.vvvv is the destination, ModRM.rm the source, moved to `r2` by
/// `nds`): the SSE shift applied to the source with the immediate as its count.
struct ShImm<O>(std::marker::PhantomData<O>);
impl<O: Shuf> Shuf for ShImm<O> {
    #[inline(always)]
    fn f(_: u128, b: u128, imm: u8) -> u128 {
        O::f(b, imm as u128, 0)
    }
}

/// Shift by the low 64 bits of an XMM register or m128, the same count for both lanes.
fn shift_xmm<O: Shuf, const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, b| {
        let a = cpu.ymm(op.r1);
        let lo = O::f(a[0], b[0], 0);
        let hi = if Y2 { O::f(a[1], b[0], 0) } else { 0 };
        cpu.put::<Y2>(op.r0, [lo, hi]);
        Ok(())
    })
}

fn build_shift_xmm<O: Shuf + 'static>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), shift_xmm::<O>, [0, 3])
}

/// VPSLLV/VPSRLV (`ARITH` false) and VPSRAV: each element shifted by the corresponding
/// element of the source; counts of W or more give 0 (or the sign for VPSRAV).
struct ShiftV<const W: u32, const LEFT: bool, const ARITH: bool>;
impl<const W: u32, const LEFT: bool, const ARITH: bool> Shuf for ShiftV<W, LEFT, ARITH> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<W>(128 / W, |i| {
            let (x, c) = (lane::<W>(a, i), lane::<W>(b, i));
            if ARITH {
                let s = super::sse41::sext::<W>(x);
                (s >> c.min(W as u64 - 1)) as u64
            } else if c >= W as u64 {
                0
            } else if LEFT {
                x << c
            } else {
                x >> c
            }
        })
    }
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    macro_rules! lanes {
        ($o:ty, $($c:ident),+) => {
            $( t.set(C::$c, build_lanes::<$o>); )+
        };
    }
    lanes!(Paddb, VEX_Vpaddb_xmm_xmm_xmmm128, VEX_Vpaddb_ymm_ymm_ymmm256);
    lanes!(Paddw, VEX_Vpaddw_xmm_xmm_xmmm128, VEX_Vpaddw_ymm_ymm_ymmm256);
    lanes!(Paddd, VEX_Vpaddd_xmm_xmm_xmmm128, VEX_Vpaddd_ymm_ymm_ymmm256);
    lanes!(Paddq, VEX_Vpaddq_xmm_xmm_xmmm128, VEX_Vpaddq_ymm_ymm_ymmm256);
    lanes!(Psubb, VEX_Vpsubb_xmm_xmm_xmmm128, VEX_Vpsubb_ymm_ymm_ymmm256);
    lanes!(Psubw, VEX_Vpsubw_xmm_xmm_xmmm128, VEX_Vpsubw_ymm_ymm_ymmm256);
    lanes!(Psubd, VEX_Vpsubd_xmm_xmm_xmmm128, VEX_Vpsubd_ymm_ymm_ymmm256);
    lanes!(Psubq, VEX_Vpsubq_xmm_xmm_xmmm128, VEX_Vpsubq_ymm_ymm_ymmm256);
    lanes!(Paddsb, VEX_Vpaddsb_xmm_xmm_xmmm128, VEX_Vpaddsb_ymm_ymm_ymmm256);
    lanes!(Paddsw, VEX_Vpaddsw_xmm_xmm_xmmm128, VEX_Vpaddsw_ymm_ymm_ymmm256);
    lanes!(Paddusb, VEX_Vpaddusb_xmm_xmm_xmmm128, VEX_Vpaddusb_ymm_ymm_ymmm256);
    lanes!(Paddusw, VEX_Vpaddusw_xmm_xmm_xmmm128, VEX_Vpaddusw_ymm_ymm_ymmm256);
    lanes!(Psubsb, VEX_Vpsubsb_xmm_xmm_xmmm128, VEX_Vpsubsb_ymm_ymm_ymmm256);
    lanes!(Psubsw, VEX_Vpsubsw_xmm_xmm_xmmm128, VEX_Vpsubsw_ymm_ymm_ymmm256);
    lanes!(Psubusb, VEX_Vpsubusb_xmm_xmm_xmmm128, VEX_Vpsubusb_ymm_ymm_ymmm256);
    lanes!(Psubusw, VEX_Vpsubusw_xmm_xmm_xmmm128, VEX_Vpsubusw_ymm_ymm_ymmm256);
    lanes!(Pmullw, VEX_Vpmullw_xmm_xmm_xmmm128, VEX_Vpmullw_ymm_ymm_ymmm256);
    lanes!(Pmulhw, VEX_Vpmulhw_xmm_xmm_xmmm128, VEX_Vpmulhw_ymm_ymm_ymmm256);
    lanes!(Pmulhuw, VEX_Vpmulhuw_xmm_xmm_xmmm128, VEX_Vpmulhuw_ymm_ymm_ymmm256);
    lanes!(Pmuludq, VEX_Vpmuludq_xmm_xmm_xmmm128, VEX_Vpmuludq_ymm_ymm_ymmm256);
    lanes!(Pmaddwd, VEX_Vpmaddwd_xmm_xmm_xmmm128, VEX_Vpmaddwd_ymm_ymm_ymmm256);
    lanes!(Pmuldq, VEX_Vpmuldq_xmm_xmm_xmmm128, VEX_Vpmuldq_ymm_ymm_ymmm256);
    lanes!(Pmulld, VEX_Vpmulld_xmm_xmm_xmmm128, VEX_Vpmulld_ymm_ymm_ymmm256);
    lanes!(Pmulhrsw<16>, VEX_Vpmulhrsw_xmm_xmm_xmmm128, VEX_Vpmulhrsw_ymm_ymm_ymmm256);
    lanes!(Pmaddubsw<16>, VEX_Vpmaddubsw_xmm_xmm_xmmm128, VEX_Vpmaddubsw_ymm_ymm_ymmm256);
    lanes!(Pavgb, VEX_Vpavgb_xmm_xmm_xmmm128, VEX_Vpavgb_ymm_ymm_ymmm256);
    lanes!(Pavgw, VEX_Vpavgw_xmm_xmm_xmmm128, VEX_Vpavgw_ymm_ymm_ymmm256);
    lanes!(Pminub, VEX_Vpminub_xmm_xmm_xmmm128, VEX_Vpminub_ymm_ymm_ymmm256);
    lanes!(Pmaxub, VEX_Vpmaxub_xmm_xmm_xmmm128, VEX_Vpmaxub_ymm_ymm_ymmm256);
    lanes!(Pminsw, VEX_Vpminsw_xmm_xmm_xmmm128, VEX_Vpminsw_ymm_ymm_ymmm256);
    lanes!(Pmaxsw, VEX_Vpmaxsw_xmm_xmm_xmmm128, VEX_Vpmaxsw_ymm_ymm_ymmm256);
    lanes!(MinMax<8, true, false>, VEX_Vpminsb_xmm_xmm_xmmm128, VEX_Vpminsb_ymm_ymm_ymmm256);
    lanes!(MinMax<32, true, false>, VEX_Vpminsd_xmm_xmm_xmmm128, VEX_Vpminsd_ymm_ymm_ymmm256);
    lanes!(MinMax<16, false, false>, VEX_Vpminuw_xmm_xmm_xmmm128, VEX_Vpminuw_ymm_ymm_ymmm256);
    lanes!(MinMax<32, false, false>, VEX_Vpminud_xmm_xmm_xmmm128, VEX_Vpminud_ymm_ymm_ymmm256);
    lanes!(MinMax<8, true, true>, VEX_Vpmaxsb_xmm_xmm_xmmm128, VEX_Vpmaxsb_ymm_ymm_ymmm256);
    lanes!(MinMax<32, true, true>, VEX_Vpmaxsd_xmm_xmm_xmmm128, VEX_Vpmaxsd_ymm_ymm_ymmm256);
    lanes!(MinMax<16, false, true>, VEX_Vpmaxuw_xmm_xmm_xmmm128, VEX_Vpmaxuw_ymm_ymm_ymmm256);
    lanes!(MinMax<32, false, true>, VEX_Vpmaxud_xmm_xmm_xmmm128, VEX_Vpmaxud_ymm_ymm_ymmm256);
    lanes!(Psadbw, VEX_Vpsadbw_xmm_xmm_xmmm128, VEX_Vpsadbw_ymm_ymm_ymmm256);
    lanes!(Pcmpeqb, VEX_Vpcmpeqb_xmm_xmm_xmmm128, VEX_Vpcmpeqb_ymm_ymm_ymmm256);
    lanes!(Pcmpeqw, VEX_Vpcmpeqw_xmm_xmm_xmmm128, VEX_Vpcmpeqw_ymm_ymm_ymmm256);
    lanes!(Pcmpeqd, VEX_Vpcmpeqd_xmm_xmm_xmmm128, VEX_Vpcmpeqd_ymm_ymm_ymmm256);
    lanes!(Pcmpeqq, VEX_Vpcmpeqq_xmm_xmm_xmmm128, VEX_Vpcmpeqq_ymm_ymm_ymmm256);
    lanes!(Pcmpgtb, VEX_Vpcmpgtb_xmm_xmm_xmmm128, VEX_Vpcmpgtb_ymm_ymm_ymmm256);
    lanes!(Pcmpgtw, VEX_Vpcmpgtw_xmm_xmm_xmmm128, VEX_Vpcmpgtw_ymm_ymm_ymmm256);
    lanes!(Pcmpgtd, VEX_Vpcmpgtd_xmm_xmm_xmmm128, VEX_Vpcmpgtd_ymm_ymm_ymmm256);
    lanes!(Pcmpgtq, VEX_Vpcmpgtq_xmm_xmm_xmmm128, VEX_Vpcmpgtq_ymm_ymm_ymmm256);
    lanes!(Logic<{ super::sse_fp::AND }>, VEX_Vpand_xmm_xmm_xmmm128, VEX_Vpand_ymm_ymm_ymmm256);
    lanes!(Logic<{ super::sse_fp::ANDN }>, VEX_Vpandn_xmm_xmm_xmmm128, VEX_Vpandn_ymm_ymm_ymmm256);
    lanes!(Logic<{ super::sse_fp::OR }>, VEX_Vpor_xmm_xmm_xmmm128, VEX_Vpor_ymm_ymm_ymmm256);
    lanes!(Logic<{ super::sse_fp::XOR }>, VEX_Vpxor_xmm_xmm_xmmm128, VEX_Vpxor_ymm_ymm_ymmm256);
    lanes!(Packsswb, VEX_Vpacksswb_xmm_xmm_xmmm128, VEX_Vpacksswb_ymm_ymm_ymmm256);
    lanes!(Packuswb, VEX_Vpackuswb_xmm_xmm_xmmm128, VEX_Vpackuswb_ymm_ymm_ymmm256);
    lanes!(Packssdw, VEX_Vpackssdw_xmm_xmm_xmmm128, VEX_Vpackssdw_ymm_ymm_ymmm256);
    lanes!(Packusdw, VEX_Vpackusdw_xmm_xmm_xmmm128, VEX_Vpackusdw_ymm_ymm_ymmm256);
    lanes!(Unpack<8, false>, VEX_Vpunpcklbw_xmm_xmm_xmmm128, VEX_Vpunpcklbw_ymm_ymm_ymmm256);
    lanes!(Unpack<16, false>, VEX_Vpunpcklwd_xmm_xmm_xmmm128, VEX_Vpunpcklwd_ymm_ymm_ymmm256);
    lanes!(Unpack<32, false>, VEX_Vpunpckldq_xmm_xmm_xmmm128, VEX_Vpunpckldq_ymm_ymm_ymmm256);
    lanes!(Unpack<64, false>, VEX_Vpunpcklqdq_xmm_xmm_xmmm128, VEX_Vpunpcklqdq_ymm_ymm_ymmm256);
    lanes!(Unpack<8, true>, VEX_Vpunpckhbw_xmm_xmm_xmmm128, VEX_Vpunpckhbw_ymm_ymm_ymmm256);
    lanes!(Unpack<16, true>, VEX_Vpunpckhwd_xmm_xmm_xmmm128, VEX_Vpunpckhwd_ymm_ymm_ymmm256);
    lanes!(Unpack<32, true>, VEX_Vpunpckhdq_xmm_xmm_xmmm128, VEX_Vpunpckhdq_ymm_ymm_ymmm256);
    lanes!(Unpack<64, true>, VEX_Vpunpckhqdq_xmm_xmm_xmmm128, VEX_Vpunpckhqdq_ymm_ymm_ymmm256);
    lanes!(Pshufb<16>, VEX_Vpshufb_xmm_xmm_xmmm128, VEX_Vpshufb_ymm_ymm_ymmm256);
    lanes!(Horiz<16, 16, false, false>, VEX_Vphaddw_xmm_xmm_xmmm128, VEX_Vphaddw_ymm_ymm_ymmm256);
    lanes!(Horiz<16, 32, false, false>, VEX_Vphaddd_xmm_xmm_xmmm128, VEX_Vphaddd_ymm_ymm_ymmm256);
    lanes!(Horiz<16, 16, false, true>, VEX_Vphaddsw_xmm_xmm_xmmm128, VEX_Vphaddsw_ymm_ymm_ymmm256);
    lanes!(Horiz<16, 16, true, false>, VEX_Vphsubw_xmm_xmm_xmmm128, VEX_Vphsubw_ymm_ymm_ymmm256);
    lanes!(Horiz<16, 32, true, false>, VEX_Vphsubd_xmm_xmm_xmmm128, VEX_Vphsubd_ymm_ymm_ymmm256);
    lanes!(Horiz<16, 16, true, true>, VEX_Vphsubsw_xmm_xmm_xmmm128, VEX_Vphsubsw_ymm_ymm_ymmm256);
    lanes!(Psign<16, 8>, VEX_Vpsignb_xmm_xmm_xmmm128, VEX_Vpsignb_ymm_ymm_ymmm256);
    lanes!(Psign<16, 16>, VEX_Vpsignw_xmm_xmm_xmmm128, VEX_Vpsignw_ymm_ymm_ymmm256);
    lanes!(Psign<16, 32>, VEX_Vpsignd_xmm_xmm_xmmm128, VEX_Vpsignd_ymm_ymm_ymmm256);
    lanes!(Pabs<16, 8>, VEX_Vpabsb_xmm_xmmm128, VEX_Vpabsb_ymm_ymmm256);
    lanes!(Pabs<16, 16>, VEX_Vpabsw_xmm_xmmm128, VEX_Vpabsw_ymm_ymmm256);
    lanes!(Pabs<16, 32>, VEX_Vpabsd_xmm_xmmm128, VEX_Vpabsd_ymm_ymmm256);
    lanes!(Palignr<16>, VEX_Vpalignr_xmm_xmm_xmmm128_imm8, VEX_Vpalignr_ymm_ymm_ymmm256_imm8);
    lanes!(BlendImm<16>, VEX_Vpblendw_xmm_xmm_xmmm128_imm8, VEX_Vpblendw_ymm_ymm_ymmm256_imm8);
    lanes!(Pshufd, VEX_Vpshufd_xmm_xmmm128_imm8, VEX_Vpshufd_ymm_ymmm256_imm8);
    lanes!(Pshufw<false>, VEX_Vpshuflw_xmm_xmmm128_imm8, VEX_Vpshuflw_ymm_ymmm256_imm8);
    lanes!(Pshufw<true>, VEX_Vpshufhw_xmm_xmmm128_imm8, VEX_Vpshufhw_ymm_ymmm256_imm8);
    lanes!(Phminposuw, VEX_Vphminposuw_xmm_xmmm128);
    // VPBLENDD: one imm8 bit per dword, so the upper lane takes bits 4..7; VMPSADBW's
    // upper lane takes its block selections from imm8[5:3].
    t.set(C::VEX_Vpblendd_xmm_xmm_xmmm128_imm8, build_lanes::<BlendImm<32>>);
    t.set(C::VEX_Vpblendd_ymm_ymm_ymmm256_imm8, build_lanes_hs::<BlendImm<32>, 4>);
    t.set(C::VEX_Vmpsadbw_xmm_xmm_xmmm128_imm8, build_lanes::<Mpsadbw>);
    t.set(C::VEX_Vmpsadbw_ymm_ymm_ymmm256_imm8, build_lanes_hs::<Mpsadbw, 3>);

    macro_rules! shifts {
        ($o:ty, $imm128:ident, $imm256:ident, $x128:ident, $x256:ident) => {
            t.set(C::$imm128, build_lanes::<ShImm<$o>>);
            t.set(C::$imm256, build_lanes::<ShImm<$o>>);
            t.set(C::$x128, build_shift_xmm::<$o>);
            t.set(C::$x256, build_shift_xmm::<$o>);
        };
    }
    shifts!(
        Psllw,
        VEX_Vpsllw_xmm_xmm_imm8,
        VEX_Vpsllw_ymm_ymm_imm8,
        VEX_Vpsllw_xmm_xmm_xmmm128,
        VEX_Vpsllw_ymm_ymm_xmmm128
    );
    shifts!(
        Pslld,
        VEX_Vpslld_xmm_xmm_imm8,
        VEX_Vpslld_ymm_ymm_imm8,
        VEX_Vpslld_xmm_xmm_xmmm128,
        VEX_Vpslld_ymm_ymm_xmmm128
    );
    shifts!(
        Psllq,
        VEX_Vpsllq_xmm_xmm_imm8,
        VEX_Vpsllq_ymm_ymm_imm8,
        VEX_Vpsllq_xmm_xmm_xmmm128,
        VEX_Vpsllq_ymm_ymm_xmmm128
    );
    shifts!(
        Psrlw,
        VEX_Vpsrlw_xmm_xmm_imm8,
        VEX_Vpsrlw_ymm_ymm_imm8,
        VEX_Vpsrlw_xmm_xmm_xmmm128,
        VEX_Vpsrlw_ymm_ymm_xmmm128
    );
    shifts!(
        Psrld,
        VEX_Vpsrld_xmm_xmm_imm8,
        VEX_Vpsrld_ymm_ymm_imm8,
        VEX_Vpsrld_xmm_xmm_xmmm128,
        VEX_Vpsrld_ymm_ymm_xmmm128
    );
    shifts!(
        Psrlq,
        VEX_Vpsrlq_xmm_xmm_imm8,
        VEX_Vpsrlq_ymm_ymm_imm8,
        VEX_Vpsrlq_xmm_xmm_xmmm128,
        VEX_Vpsrlq_ymm_ymm_xmmm128
    );
    shifts!(
        Psraw,
        VEX_Vpsraw_xmm_xmm_imm8,
        VEX_Vpsraw_ymm_ymm_imm8,
        VEX_Vpsraw_xmm_xmm_xmmm128,
        VEX_Vpsraw_ymm_ymm_xmmm128
    );
    shifts!(
        Psrad,
        VEX_Vpsrad_xmm_xmm_imm8,
        VEX_Vpsrad_ymm_ymm_imm8,
        VEX_Vpsrad_xmm_xmm_xmmm128,
        VEX_Vpsrad_ymm_ymm_xmmm128
    );
    for c in [C::VEX_Vpslldq_xmm_xmm_imm8, C::VEX_Vpslldq_ymm_ymm_imm8] {
        t.set(c, build_lanes::<ShImm<Pslldq>>);
    }
    for c in [C::VEX_Vpsrldq_xmm_xmm_imm8, C::VEX_Vpsrldq_ymm_ymm_imm8] {
        t.set(c, build_lanes::<ShImm<Psrldq>>);
    }
    lanes!(ShiftV<32, true, false>, VEX_Vpsllvd_xmm_xmm_xmmm128, VEX_Vpsllvd_ymm_ymm_ymmm256);
    lanes!(ShiftV<64, true, false>, VEX_Vpsllvq_xmm_xmm_xmmm128, VEX_Vpsllvq_ymm_ymm_ymmm256);
    lanes!(ShiftV<32, false, false>, VEX_Vpsrlvd_xmm_xmm_xmmm128, VEX_Vpsrlvd_ymm_ymm_ymmm256);
    lanes!(ShiftV<64, false, false>, VEX_Vpsrlvq_xmm_xmm_xmmm128, VEX_Vpsrlvq_ymm_ymm_ymmm256);
    lanes!(ShiftV<32, false, true>, VEX_Vpsravd_xmm_xmm_xmmm128, VEX_Vpsravd_ymm_ymm_ymmm256);
}
