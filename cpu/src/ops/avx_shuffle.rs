//! AVX/AVX2 shuffles, permutes and blends (Intel SDM Vol. 2, each mnemonic): VUNPCKL/H
//! {PS,PD}, VSHUFPS/VSHUFPD, VBLENDPS/VBLENDPD, VBLENDVPS/VBLENDVPD/VPBLENDVB,
//! VPERMILPS/VPERMILPD (by vector and by immediate), VPERM2F128/VPERM2I128, VPERMD/VPERMPS
//! and VPERMQ/VPERMPD.
//!
//! Most work within each 128-bit lane (`avx_operand::lanes`); the immediate forms that
//! give the upper lane its own imm8 bits (VSHUFPD, VBLENDPS/PD, VPERMILPD) take imm8
//! shifted for it. VPERM2x128, VPERMD/PS and VPERMQ/PD cross lanes and see the whole
//! 256-bit value.

use super::avx_operand::{
    build_lanes, build_lanes_hs, is_ymm, nds, vkind, vsel, with_vsrc_next, yget, yset, Y,
};
use super::sse41::{build, lanes_mask, BlendImm};
use super::sse_mov::{Pshufd, Shuf, Shufpd, Shufps, Unpack};
use super::sse_operand::lane;
use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

/// VPERMILPS by vector: element i of the first source's lane, picked by bits 1:0 of the
/// control element i.
struct PermilpsV;
impl Shuf for PermilpsV {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<32>(4, |i| lane::<32>(a, (lane::<32>(b, i) & 3) as u32))
    }
}

/// VPERMILPD by vector: bit 1 of each control quadword picks the element.
struct PermilpdV;
impl Shuf for PermilpdV {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<64>(2, |i| lane::<64>(a, ((lane::<64>(b, i) >> 1) & 1) as u32))
    }
}

/// VPERMILPD by immediate: imm8 bit i picks element i (the upper lane gets bits 2..3).
struct PermilpdImm;
impl Shuf for PermilpdImm {
    #[inline(always)]
    fn f(_: u128, b: u128, imm: u8) -> u128 {
        build::<64>(2, |i| lane::<64>(b, ((imm >> i) & 1) as u32))
    }
}

// ---- variable blends (4 operands: the mask register is encoded in imm8[7:4]) ----

/// VBLENDVPS/PD, VPBLENDVB: the sign bit of each W-bit element of the mask register
/// (kept in `op.imm`) picks the second source over the first.
fn vblendv<const W: u32, const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, b| {
        let a = cpu.ymm(op.r1);
        let m = cpu.ymm(op.imm as u8);
        let mut r: Y = [0, 0];
        for k in 0..if Y2 { 2 } else { 1 } {
            let bits = (0..128 / W).fold(0u32, |v, i| v | ((m[k] >> (i * W + W - 1)) as u32 & 1) << i);
            let mask = lanes_mask::<W>(bits);
            r[k] = (a[k] & !mask) | (b[k] & mask);
        }
        cpu.put::<Y2>(op.r0, r);
        Ok(())
    })
}

fn build_vblendv<const W: u32>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    op.imm = i.op_register(3).number() as u64;
    vsel!(is_ymm(i), vkind(i, false), vblendv::<W>, [0, 1, 3])
}

// ---- cross-lane permutes ----

/// An operation on whole 256-bit values: `dst = f(src1, src2, imm8)`.
trait Full {
    fn f(a: Y, b: Y, imm: u8) -> Y;
}

fn full<O: Full, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, b| {
        let a = cpu.ymm(op.r1);
        cpu.put::<true>(op.r0, O::f(a, b, op.imm as u8));
        Ok(())
    })
}

fn build_full<O: Full + 'static>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    super::sse_operand::sel!(vkind(i, false), full::<O>, [0, 1])
}

/// VPERM2F128/I128: each result lane is one of the four source lanes (imm8[1:0],
/// imm8[5:4]) or zero (imm8[3], imm8[7]).
struct Perm2x128;
impl Full for Perm2x128 {
    #[inline(always)]
    fn f(a: Y, b: Y, imm: u8) -> Y {
        let pick = |s: u8| if s & 8 != 0 { 0 } else { [a[0], a[1], b[0], b[1]][(s & 3) as usize] };
        [pick(imm), pick(imm >> 4)]
    }
}

/// VPERMD/VPERMPS: dword i of the second source, picked by bits 2:0 of dword i of the
/// first (the index vector).
struct PermD;
impl Full for PermD {
    #[inline(always)]
    fn f(a: Y, b: Y, _: u8) -> Y {
        let mut r: Y = [0, 0];
        for i in 0..8 {
            yset::<32>(&mut r, i, yget::<32>(b, (yget::<32>(a, i) & 7) as u32));
        }
        r
    }
}

/// VPERMQ/VPERMPD: quadword i of the source, picked by imm8 bits 2i+1:2i.
struct PermQ;
impl Full for PermQ {
    #[inline(always)]
    fn f(_: Y, b: Y, imm: u8) -> Y {
        let mut r: Y = [0, 0];
        for i in 0..4 {
            yset::<64>(&mut r, i, yget::<64>(b, ((imm >> (2 * i)) & 3) as u32));
        }
        r
    }
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    let l = |t: &mut Table, cs: &[Code], b: super::Builder| {
        for &c in cs {
            t.set(c, b);
        }
    };
    l(
        t,
        &[C::VEX_Vunpcklps_xmm_xmm_xmmm128, C::VEX_Vunpcklps_ymm_ymm_ymmm256],
        build_lanes::<Unpack<32, false>>,
    );
    l(
        t,
        &[C::VEX_Vunpckhps_xmm_xmm_xmmm128, C::VEX_Vunpckhps_ymm_ymm_ymmm256],
        build_lanes::<Unpack<32, true>>,
    );
    l(
        t,
        &[C::VEX_Vunpcklpd_xmm_xmm_xmmm128, C::VEX_Vunpcklpd_ymm_ymm_ymmm256],
        build_lanes::<Unpack<64, false>>,
    );
    l(
        t,
        &[C::VEX_Vunpckhpd_xmm_xmm_xmmm128, C::VEX_Vunpckhpd_ymm_ymm_ymmm256],
        build_lanes::<Unpack<64, true>>,
    );
    l(t, &[C::VEX_Vshufps_xmm_xmm_xmmm128_imm8, C::VEX_Vshufps_ymm_ymm_ymmm256_imm8], build_lanes::<Shufps>);
    t.set(C::VEX_Vshufpd_xmm_xmm_xmmm128_imm8, build_lanes::<Shufpd>);
    t.set(C::VEX_Vshufpd_ymm_ymm_ymmm256_imm8, build_lanes_hs::<Shufpd, 2>);
    t.set(C::VEX_Vblendps_xmm_xmm_xmmm128_imm8, build_lanes::<BlendImm<32>>);
    t.set(C::VEX_Vblendps_ymm_ymm_ymmm256_imm8, build_lanes_hs::<BlendImm<32>, 4>);
    t.set(C::VEX_Vblendpd_xmm_xmm_xmmm128_imm8, build_lanes::<BlendImm<64>>);
    t.set(C::VEX_Vblendpd_ymm_ymm_ymmm256_imm8, build_lanes_hs::<BlendImm<64>, 2>);
    l(t, &[C::VEX_Vblendvps_xmm_xmm_xmmm128_xmm, C::VEX_Vblendvps_ymm_ymm_ymmm256_ymm], build_vblendv::<32>);
    l(t, &[C::VEX_Vblendvpd_xmm_xmm_xmmm128_xmm, C::VEX_Vblendvpd_ymm_ymm_ymmm256_ymm], build_vblendv::<64>);
    l(t, &[C::VEX_Vpblendvb_xmm_xmm_xmmm128_xmm, C::VEX_Vpblendvb_ymm_ymm_ymmm256_ymm], build_vblendv::<8>);
    l(t, &[C::VEX_Vpermilps_xmm_xmm_xmmm128, C::VEX_Vpermilps_ymm_ymm_ymmm256], build_lanes::<PermilpsV>);
    l(t, &[C::VEX_Vpermilpd_xmm_xmm_xmmm128, C::VEX_Vpermilpd_ymm_ymm_ymmm256], build_lanes::<PermilpdV>);
    l(t, &[C::VEX_Vpermilps_xmm_xmmm128_imm8, C::VEX_Vpermilps_ymm_ymmm256_imm8], build_lanes::<Pshufd>);
    t.set(C::VEX_Vpermilpd_xmm_xmmm128_imm8, build_lanes::<PermilpdImm>);
    t.set(C::VEX_Vpermilpd_ymm_ymmm256_imm8, build_lanes_hs::<PermilpdImm, 2>);
    l(
        t,
        &[C::VEX_Vperm2f128_ymm_ymm_ymmm256_imm8, C::VEX_Vperm2i128_ymm_ymm_ymmm256_imm8],
        build_full::<Perm2x128>,
    );
    l(t, &[C::VEX_Vpermd_ymm_ymm_ymmm256, C::VEX_Vpermps_ymm_ymm_ymmm256], build_full::<PermD>);
    l(t, &[C::VEX_Vpermq_ymm_ymmm256_imm8, C::VEX_Vpermpd_ymm_ymmm256_imm8], build_full::<PermQ>);
}
