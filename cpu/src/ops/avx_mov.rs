//! AVX/AVX2 data movement (Intel SDM Vol. 2, each mnemonic): VMOVUPS/UPD/DQU,
//! VMOVAPS/APD/DQA, VMOVNTPS/PD/DQ, VMOVNTDQA, VLDDQU, VMOVSS/VMOVSD, VMOVLPS/LPD,
//! VMOVHPS/HPD, VMOVHLPS/VMOVLHPS, VMOVD/VMOVQ, VMOVSLDUP/VMOVSHDUP/VMOVDDUP, the
//! broadcasts (VBROADCASTSS/SD/F128, VPBROADCASTB/W/D/Q, VBROADCASTI128), the masked
//! moves (VMASKMOVPS/PD, VPMASKMOVD/Q), VZEROUPPER/VZEROALL, VINSERTF128/I128,
//! VEXTRACTF128/I128, VPINSRB/W/D/Q, VINSERTPS, VPMOVSX*/VPMOVZX*, VMOVMSKPS/PD and
//! VPMOVMSKB, VPTEST/VTESTPS/VTESTPD; and the VEX forms that behave exactly like their
//! SSE originals because they write no vector register (stores, extracts to GPRs,
//! VLDMXCSR/VSTMXCSR, VMASKMOVDQU, VPCMPxSTRI), which reuse the SSE handlers.
//!
//! Masked moves (SDM "VMASKMOV"): only elements whose mask sign bit is set are read or
//! written, and only those can fault; a masked store checks every selected element before
//! writing any, so a fault leaves memory unchanged.

use super::avx_operand::{
    build_lanes, is_ymm, lanes, load_y, nds, store_y, vkind, vsel, with_vsrc_next, yget, yset, M128, M32,
    M64, VR, Y,
};
use super::sse41::{build_pextr, lanes_mask, sext};
use super::sse_mov::{
    build_maskmovdqu, build_movd_from_x, movmsk, pextrw, pmovmskb, st_high64, st_low, Shuf,
};
use super::sse_operand::{lane, with_lane, xr};
use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::{and_next, next_op};
use crate::flags::{ARITH, CF, ZF};
use crate::state::Cpu;
use iced_x86::{Code, Instruction, OpKind};

const LO64: u128 = u64::MAX as u128;

// ---- whole-register moves ----

/// dst = source (register or memory), upper half zeroed for VEX.128.
fn vload<const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, v| {
        cpu.put::<Y2>(op.r0, v);
        Ok(())
    })
}

/// Store of a 16- or 32-byte register (`r0` is the source: the memory operand does not
/// count among the register operands).
fn vstore<const Y2: bool, const ALIGNED: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let a = cpu.ea(op);
    let v = cpu.ymm(op.r0);
    let n = if Y2 { 32 } else { 16 };
    if ALIGNED && a & (n - 1) != 0 {
        return and_next(cpu, op, |cpu| Err(cpu.gp_fault()));
    }
    let r = if Y2 { store_y::<32>(cpu, a, v) } else { store_y::<16>(cpu, a, v) };
    next_op(cpu, op, r)
}

/// VMOVUPS-style: load, store, or register copy (both encodings).
fn build_vmov<const ALIGNED: bool>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    let y = is_ymm(i);
    if i.op0_kind() == OpKind::Memory {
        return Some(match y {
            true => vstore::<true, ALIGNED>,
            false => vstore::<false, ALIGNED>,
        });
    }
    nds(i, op);
    vsel!(y, vkind(i, ALIGNED), vload, [0, 1, 2, 3, 4])
}

fn build_vstore_nt(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if is_ymm(i) { vstore::<true, true> } else { vstore::<false, true> })
}

// ---- scalar and half-register moves ----

/// VMOVSS/VMOVSD xmm1, xmm2, xmm3 (both encodings): the low W bits from xmm3, the rest
/// of the low 128 from xmm2.
fn movs_merge<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = with_lane::<W>(cpu.xmm[xr(op.r1)], 0, lane::<W>(cpu.xmm[xr(op.r2)], 0));
        cpu.put_x(op.r0, v);
        Ok(())
    })
}

/// VMOVSS/VMOVSD/VMOVQ/VMOVD loads: W bits zero-extended to 256.
fn load_low<const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, v| {
        let w = match S {
            M32 => 32,
            _ => 64,
        };
        cpu.put_x(op.r0, v[0] & (u128::MAX >> (128 - w)));
        Ok(())
    })
}

/// VMOVQ xmm1, xmm2 (both encodings): the low quadword, zero-extended.
fn movq_rr(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.xmm[xr(op.r1)] & LO64;
        cpu.put_x(op.r0, v);
        Ok(())
    })
}

/// VMOVD/VMOVQ xmm, r/m32 or r/m64: zero-extended to 256.
fn movd_x<const W: u32, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = if MEM { cpu.ld::<W>(cpu.ea(op))? } else { cpu.get_r::<W>(op.r1) };
        cpu.put_x(op.r0, v as u128);
        Ok(())
    })
}

/// VMOVLPS/LPD (`HIGH` false) and VMOVHPS/HPD xmm1, xmm2, m64: one quadword from memory,
/// the other from xmm2.
fn movhl_m<const HIGH: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let m = cpu.ld64(cpu.ea(op))? as u128;
        let s = cpu.xmm[xr(op.r1)];
        cpu.put_x(op.r0, if HIGH { (s & LO64) | m << 64 } else { (s & !LO64) | m });
        Ok(())
    })
}

/// VMOVHLPS xmm1, xmm2, xmm3: [xmm3.hi, xmm2.hi]; VMOVLHPS: [xmm2.lo, xmm3.lo].
fn movhl_r<const HL: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let (a, b) = (cpu.xmm[xr(op.r1)], cpu.xmm[xr(op.r2)]);
        cpu.put_x(op.r0, if HL { (b >> 64) | (a & !LO64) } else { (a & LO64) | b << 64 });
        Ok(())
    })
}

// ---- duplicating moves ----

/// VMOVSLDUP (`ODD` false) / VMOVSHDUP, per lane.
struct Dup32<const ODD: bool>;
impl<const ODD: bool> Shuf for Dup32<ODD> {
    #[inline(always)]
    fn f(_: u128, b: u128, _: u8) -> u128 {
        let k = ODD as u32;
        let (lo, hi) = (lane::<32>(b, k) as u128, lane::<32>(b, 2 + k) as u128);
        lo | lo << 32 | hi << 64 | hi << 96
    }
}

/// VMOVDDUP: the even quadword of each lane, twice.
struct Dup64;
impl Shuf for Dup64 {
    #[inline(always)]
    fn f(_: u128, b: u128, _: u8) -> u128 {
        (b & LO64) | b << 64
    }
}

fn build_movddup(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    // The VEX.128 form reads an m64 (its upper bits must not be touched).
    vsel!(is_ymm(i), vkind(i, false), lanes::<Dup64, 0>, [0, 1, 5])
}

// ---- broadcasts ----

/// The low W bits of the source in every element (W = 128: VBROADCASTF128/I128).
fn bcast<const W: u32, const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, v| {
        let x = if W == 128 {
            v[0]
        } else {
            let e = lane::<W>(v[0], 0) as u128;
            (0..128 / W).fold(0u128, |r, i| r | e << (i * W))
        };
        cpu.put::<Y2>(op.r0, [x, x]);
        Ok(())
    })
}

fn build_bcast<const W: u32>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), bcast::<W>, [0, 3, 5, 6, 7, 8])
}

// ---- masked moves ----

/// The selected elements of a VMASKMOV/VPMASKMOV: bit i set when element i's mask sign
/// bit is.
#[inline(always)]
fn mask_bits<const W: u32>(m: Y, n: u32) -> u32 {
    (0..n).fold(0, |r, i| r | ((yget::<W>(m, i) >> (W - 1)) as u32 & 1) << i)
}

fn maskload<const W: u32, const Y2: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let n = if Y2 { 256 / W } else { 128 / W };
        let bits = mask_bits::<W>(cpu.ymm(op.r1), n);
        let a = cpu.ea(op);
        let len = (n * W / 8) as usize;
        let mut r: Y = [0, 0];
        // Whole operand readable: load it all and keep the selected elements (reading
        // the others has no effect). Otherwise only the selected elements may fault.
        let hit = if len == 32 {
            cpu.mem.fast_read_ptr::<32>(a).is_some()
        } else {
            cpu.mem.fast_read_ptr::<16>(a).is_some()
        };
        let all = match (hit, len) {
            (true, 32) => Some(load_y::<32>(cpu, a)?),
            (true, _) => Some(load_y::<16>(cpu, a)?),
            _ => None,
        };
        for i in 0..n {
            if bits >> i & 1 == 0 {
                continue;
            }
            let v = match all {
                Some(v) => yget::<W>(v, i),
                None => cpu.ld::<W>(a.wrapping_add((i * W / 8) as u64))?,
            };
            yset::<W>(&mut r, i, v);
        }
        cpu.put::<Y2>(op.r0, r);
        Ok(())
    })
}

/// Masked store: `r0` is the mask, `r1` the data.
fn maskstore<const W: u32, const Y2: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let n = if Y2 { 256 / W } else { 128 / W };
        let bits = mask_bits::<W>(cpu.ymm(op.r0), n);
        let v = cpu.ymm(op.r1);
        let a = cpu.ea(op);
        let sz = (W / 8) as u64;
        for i in 0..n {
            if bits >> i & 1 != 0 {
                cpu.probe_write(a.wrapping_add(i as u64 * sz), sz)?;
            }
        }
        for i in 0..n {
            if bits >> i & 1 != 0 {
                cpu.st::<W>(a.wrapping_add(i as u64 * sz), yget::<W>(v, i))?;
            }
        }
        Ok(())
    })
}

fn build_maskmov<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let y = is_ymm(i);
    Some(match (i.op0_kind() == OpKind::Memory, y) {
        (false, false) => maskload::<W, false>,
        (false, true) => maskload::<W, true>,
        (true, false) => maskstore::<W, false>,
        (true, true) => maskstore::<W, true>,
    })
}

// ---- VZEROUPPER / VZEROALL ----

fn vzeroupper(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.ymmh = [0; 16];
        Ok(())
    })
}

fn vzeroall(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.ymmh = [0; 16];
        cpu.xmm = [0; 16];
        Ok(())
    })
}

// ---- 128-bit lane insert / extract ----

/// VINSERTF128/I128 ymm1, ymm2, xmm3/m128, imm8: ymm2 with lane imm8[0] replaced.
fn insert128<const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, v| {
        let mut r = cpu.ymm(op.r1);
        r[(op.imm & 1) as usize] = v[0];
        cpu.put::<true>(op.r0, r);
        Ok(())
    })
}

fn extract128_r(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.ymm(op.r1)[(op.imm & 1) as usize];
        cpu.put_x(op.r0, v);
        Ok(())
    })
}

fn extract128_m(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = cpu.ymm(op.r0)[(op.imm & 1) as usize];
    let a = cpu.ea(op);
    let r = store_y::<16>(cpu, a, [v, 0]);
    next_op(cpu, op, r)
}

// ---- VPINSR / VINSERTPS ----

/// VPINSRB/W/D/Q xmm1, xmm2, r/m, imm8: xmm2 with element imm8 mod (128/W) replaced.
fn vpinsr<const W: u32, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = if MEM { cpu.ld::<W>(cpu.ea(op))? } else { cpu.get_r::<W>(op.r2) };
        let r = with_lane::<W>(cpu.xmm[xr(op.r1)], (op.imm as u32) & (128 / W - 1), v);
        cpu.put_x(op.r0, r);
        Ok(())
    })
}

fn build_vpinsr<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { vpinsr::<W, true> } else { vpinsr::<W, false> })
}

/// VINSERTPS xmm1, xmm2, xmm3/m32, imm8 (see `sse41::insertps`), first source xmm2.
fn vinsertps<const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, v| {
        let imm = op.imm as u32;
        let x = if S == M32 { lane::<32>(v[0], 0) } else { lane::<32>(v[0], (imm >> 6) & 3) };
        let r = with_lane::<32>(cpu.xmm[xr(op.r1)], (imm >> 4) & 3, x);
        cpu.put_x(op.r0, r & !lanes_mask::<32>(imm & 15));
        Ok(())
    })
}

// ---- sign masks ----

/// VMOVMSKPS/PD ymm: the sign bit of each W-bit element.
fn movmsk_y<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.ymm(op.r1);
        let m = (0..256 / W).fold(0u64, |r, i| r | (yget::<W>(v, i) >> (W - 1)) << i);
        cpu.put_r::<64>(op.r0, m);
        Ok(())
    })
}

/// The 16 byte signs of an XMM value (see `sse_mov::pmovmskb`).
#[inline(always)]
fn byte_signs(v: u128) -> u64 {
    let lo = ((v as u64) & 0x8080_8080_8080_8080).wrapping_mul(0x0002_0408_1020_4081) >> 56;
    let hi = (((v >> 64) as u64) & 0x8080_8080_8080_8080).wrapping_mul(0x0002_0408_1020_4081) >> 56;
    lo | hi << 8
}

/// VPMOVMSKB r, ymm: 32 byte signs (the hot one in glibc's AVX2 string functions).
fn pmovmskb_y(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.ymm(op.r1);
        cpu.put_r::<64>(op.r0, byte_signs(v[0]) | byte_signs(v[1]) << 16);
        Ok(())
    })
}

// ---- VPMOVSX / VPMOVZX ----

/// The low elements of the source widened from F to T bits: 128/T of them (VEX.128) or
/// 256/T (VEX.256).
fn vpmovx<const F: u32, const T: u32, const SIGNED: bool, const Y2: bool, const S: u8>(
    cpu: &mut Cpu,
    op: &Op,
) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, v| {
        let n = if Y2 { 256 / T } else { 128 / T };
        let mut r: Y = [0, 0];
        for i in 0..n {
            let x = lane::<F>(v[0], i);
            yset::<T>(&mut r, i, if SIGNED { sext::<F>(x) as u64 } else { x });
        }
        cpu.put::<Y2>(op.r0, r);
        Ok(())
    })
}

fn build_vpmovx<const F: u32, const T: u32, const SIGNED: bool>(
    i: &Instruction,
    op: &mut Op,
) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), vpmovx::<F, T, SIGNED>, [0, 3, 5, 6, 7])
}

// ---- VPTEST / VTESTPS / VTESTPD ----

/// ZF = (dst AND src) is zero, CF = (NOT dst AND src) is zero, over all bits (`W` = 0)
/// or only the sign bits of W-bit elements; the other four status flags are cleared.
fn vtest<const W: u32, const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, b| {
        let a = cpu.ymm(op.r0);
        let m = match 128u32.checked_div(W) {
            Some(n) => (0..n).fold(0u128, |r, i| r | 1 << (i * W + W - 1)),
            None => u128::MAX,
        };
        let lanes = if Y2 { 2 } else { 1 };
        let (mut and, mut andn) = (0u128, 0u128);
        for k in 0..lanes {
            and |= a[k] & b[k] & m;
            andn |= !a[k] & b[k] & m;
        }
        let f = if and == 0 { ZF } else { 0 } | if andn == 0 { CF } else { 0 };
        cpu.set_flags_masked(ARITH, f);
        Ok(())
    })
}

fn build_vtest<const W: u32>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), vtest::<W>, [0, 1, 3])
}

// ---- VPCMPESTRM / VPCMPISTRM: XMM0 written, so its upper half is zeroed ----

fn vpcmpstrm<const EXPLICIT: bool, const W64: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let (r, n, imm) = super::sse42::pcmpstr::<EXPLICIT, W64, S>(cpu, op)?;
        let v = if imm & 0x40 == 0 {
            r as u128
        } else {
            let w = 128 / n;
            let ones = if w == 8 { 0xffu128 } else { 0xffff };
            (0..n).filter(|&i| r >> i & 1 != 0).fold(0u128, |v, i| v | ones << (w * i))
        };
        cpu.put_x(0, v);
        Ok(())
    })
}

fn build_vpcmpstrm<const EXPLICIT: bool, const W64: bool>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    use super::sse_operand::{M128U, REG};
    Some(if has_mem(i) { vpcmpstrm::<EXPLICIT, W64, M128U> } else { vpcmpstrm::<EXPLICIT, W64, REG> })
}

/// VLDDQU, VMOVNTDQA: plain loads (VMOVNTDQA's operand must be aligned).
fn build_vload_m<const ALIGNED: bool>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, ALIGNED), vload, [1, 2, 3, 4])
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    for c in [
        C::VEX_Vmovups_xmm_xmmm128,
        C::VEX_Vmovups_ymm_ymmm256,
        C::VEX_Vmovupd_xmm_xmmm128,
        C::VEX_Vmovupd_ymm_ymmm256,
        C::VEX_Vmovdqu_xmm_xmmm128,
        C::VEX_Vmovdqu_ymm_ymmm256,
        C::VEX_Vmovups_xmmm128_xmm,
        C::VEX_Vmovups_ymmm256_ymm,
        C::VEX_Vmovupd_xmmm128_xmm,
        C::VEX_Vmovupd_ymmm256_ymm,
        C::VEX_Vmovdqu_xmmm128_xmm,
        C::VEX_Vmovdqu_ymmm256_ymm,
    ] {
        t.set(c, build_vmov::<false>);
    }
    for c in [
        C::VEX_Vmovaps_xmm_xmmm128,
        C::VEX_Vmovaps_ymm_ymmm256,
        C::VEX_Vmovapd_xmm_xmmm128,
        C::VEX_Vmovapd_ymm_ymmm256,
        C::VEX_Vmovdqa_xmm_xmmm128,
        C::VEX_Vmovdqa_ymm_ymmm256,
        C::VEX_Vmovaps_xmmm128_xmm,
        C::VEX_Vmovaps_ymmm256_ymm,
        C::VEX_Vmovapd_xmmm128_xmm,
        C::VEX_Vmovapd_ymmm256_ymm,
        C::VEX_Vmovdqa_xmmm128_xmm,
        C::VEX_Vmovdqa_ymmm256_ymm,
    ] {
        t.set(c, build_vmov::<true>);
    }
    for c in [
        C::VEX_Vmovntps_m128_xmm,
        C::VEX_Vmovntps_m256_ymm,
        C::VEX_Vmovntpd_m128_xmm,
        C::VEX_Vmovntpd_m256_ymm,
        C::VEX_Vmovntdq_m128_xmm,
        C::VEX_Vmovntdq_m256_ymm,
    ] {
        t.set(c, build_vstore_nt);
    }
    t.set(C::VEX_Vmovntdqa_xmm_m128, build_vload_m::<true>);
    t.set(C::VEX_Vmovntdqa_ymm_m256, build_vload_m::<true>);
    t.set(C::VEX_Vlddqu_xmm_m128, build_vload_m::<false>);
    t.set(C::VEX_Vlddqu_ymm_m256, build_vload_m::<false>);

    t.set(C::VEX_Vmovss_xmm_xmm_xmm, |_, _| Some(movs_merge::<32>));
    t.set(C::VEX_Vmovss_xmm_xmm_xmm_0F11, |_, _| Some(movs_merge::<32>));
    t.set(C::VEX_Vmovsd_xmm_xmm_xmm, |_, _| Some(movs_merge::<64>));
    t.set(C::VEX_Vmovsd_xmm_xmm_xmm_0F11, |_, _| Some(movs_merge::<64>));
    t.set(C::VEX_Vmovss_xmm_m32, |_, _| Some(load_low::<M32>));
    t.set(C::VEX_Vmovsd_xmm_m64, |_, _| Some(load_low::<M64>));
    t.set(C::VEX_Vmovss_m32_xmm, |_, _| Some(st_low::<32>));
    t.set(C::VEX_Vmovsd_m64_xmm, |_, _| Some(st_low::<64>));
    t.set(C::VEX_Vmovq_xmm_xmmm64, |i, _| Some(if has_mem(i) { load_low::<M64> } else { movq_rr }));
    t.set(C::VEX_Vmovq_xmmm64_xmm, |i, _| Some(if has_mem(i) { st_low::<64> } else { movq_rr }));
    t.set(C::VEX_Vmovd_xmm_rm32, |i, _| {
        Some(if has_mem(i) { movd_x::<32, true> } else { movd_x::<32, false> })
    });
    t.set(C::VEX_Vmovq_xmm_rm64, |i, _| {
        Some(if has_mem(i) { movd_x::<64, true> } else { movd_x::<64, false> })
    });
    t.set(C::VEX_Vmovd_rm32_xmm, build_movd_from_x::<32>);
    t.set(C::VEX_Vmovq_rm64_xmm, build_movd_from_x::<64>);
    t.set(C::VEX_Vmovlps_xmm_xmm_m64, |_, _| Some(movhl_m::<false>));
    t.set(C::VEX_Vmovlpd_xmm_xmm_m64, |_, _| Some(movhl_m::<false>));
    t.set(C::VEX_Vmovhps_xmm_xmm_m64, |_, _| Some(movhl_m::<true>));
    t.set(C::VEX_Vmovhpd_xmm_xmm_m64, |_, _| Some(movhl_m::<true>));
    t.set(C::VEX_Vmovlps_m64_xmm, |_, _| Some(st_low::<64>));
    t.set(C::VEX_Vmovlpd_m64_xmm, |_, _| Some(st_low::<64>));
    t.set(C::VEX_Vmovhps_m64_xmm, |_, _| Some(st_high64));
    t.set(C::VEX_Vmovhpd_m64_xmm, |_, _| Some(st_high64));
    t.set(C::VEX_Vmovhlps_xmm_xmm_xmm, |_, _| Some(movhl_r::<true>));
    t.set(C::VEX_Vmovlhps_xmm_xmm_xmm, |_, _| Some(movhl_r::<false>));

    for c in [C::VEX_Vmovsldup_xmm_xmmm128, C::VEX_Vmovsldup_ymm_ymmm256] {
        t.set(c, build_lanes::<Dup32<false>>);
    }
    for c in [C::VEX_Vmovshdup_xmm_xmmm128, C::VEX_Vmovshdup_ymm_ymmm256] {
        t.set(c, build_lanes::<Dup32<true>>);
    }
    t.set(C::VEX_Vmovddup_xmm_xmmm64, build_movddup);
    t.set(C::VEX_Vmovddup_ymm_ymmm256, build_movddup);

    for c in [
        C::VEX_Vbroadcastss_xmm_m32,
        C::VEX_Vbroadcastss_ymm_m32,
        C::VEX_Vbroadcastss_xmm_xmm,
        C::VEX_Vbroadcastss_ymm_xmm,
        C::VEX_Vpbroadcastd_xmm_xmmm32,
        C::VEX_Vpbroadcastd_ymm_xmmm32,
    ] {
        t.set(c, build_bcast::<32>);
    }
    for c in [
        C::VEX_Vbroadcastsd_ymm_m64,
        C::VEX_Vbroadcastsd_ymm_xmm,
        C::VEX_Vpbroadcastq_xmm_xmmm64,
        C::VEX_Vpbroadcastq_ymm_xmmm64,
    ] {
        t.set(c, build_bcast::<64>);
    }
    for c in [C::VEX_Vpbroadcastb_xmm_xmmm8, C::VEX_Vpbroadcastb_ymm_xmmm8] {
        t.set(c, build_bcast::<8>);
    }
    for c in [C::VEX_Vpbroadcastw_xmm_xmmm16, C::VEX_Vpbroadcastw_ymm_xmmm16] {
        t.set(c, build_bcast::<16>);
    }
    t.set(C::VEX_Vbroadcastf128_ymm_m128, build_bcast::<128>);
    t.set(C::VEX_Vbroadcasti128_ymm_m128, build_bcast::<128>);

    for c in [
        C::VEX_Vmaskmovps_xmm_xmm_m128,
        C::VEX_Vmaskmovps_ymm_ymm_m256,
        C::VEX_Vmaskmovps_m128_xmm_xmm,
        C::VEX_Vmaskmovps_m256_ymm_ymm,
        C::VEX_Vpmaskmovd_xmm_xmm_m128,
        C::VEX_Vpmaskmovd_ymm_ymm_m256,
        C::VEX_Vpmaskmovd_m128_xmm_xmm,
        C::VEX_Vpmaskmovd_m256_ymm_ymm,
    ] {
        t.set(c, build_maskmov::<32>);
    }
    for c in [
        C::VEX_Vmaskmovpd_xmm_xmm_m128,
        C::VEX_Vmaskmovpd_ymm_ymm_m256,
        C::VEX_Vmaskmovpd_m128_xmm_xmm,
        C::VEX_Vmaskmovpd_m256_ymm_ymm,
        C::VEX_Vpmaskmovq_xmm_xmm_m128,
        C::VEX_Vpmaskmovq_ymm_ymm_m256,
        C::VEX_Vpmaskmovq_m128_xmm_xmm,
        C::VEX_Vpmaskmovq_m256_ymm_ymm,
    ] {
        t.set(c, build_maskmov::<64>);
    }
    t.set(C::VEX_Vmaskmovdqu_rDI_xmm_xmm, build_maskmovdqu);

    t.set(C::VEX_Vzeroupper, |_, _| Some(vzeroupper));
    t.set(C::VEX_Vzeroall, |_, _| Some(vzeroall));

    for c in [C::VEX_Vinsertf128_ymm_ymm_xmmm128_imm8, C::VEX_Vinserti128_ymm_ymm_xmmm128_imm8] {
        t.set(c, |i, _| Some(if has_mem(i) { insert128::<M128> } else { insert128::<VR> }));
    }
    for c in [C::VEX_Vextractf128_xmmm128_ymm_imm8, C::VEX_Vextracti128_xmmm128_ymm_imm8] {
        t.set(c, |i, _| Some(if has_mem(i) { extract128_m } else { extract128_r }));
    }

    t.set(C::VEX_Vpinsrb_xmm_xmm_r32m8_imm8, build_vpinsr::<8>);
    t.set(C::VEX_Vpinsrb_xmm_xmm_r64m8_imm8, build_vpinsr::<8>);
    t.set(C::VEX_Vpinsrw_xmm_xmm_r32m16_imm8, build_vpinsr::<16>);
    t.set(C::VEX_Vpinsrw_xmm_xmm_r64m16_imm8, build_vpinsr::<16>);
    t.set(C::VEX_Vpinsrd_xmm_xmm_rm32_imm8, build_vpinsr::<32>);
    t.set(C::VEX_Vpinsrq_xmm_xmm_rm64_imm8, build_vpinsr::<64>);
    t.set(C::VEX_Vinsertps_xmm_xmm_xmmm32_imm8, |i, _| {
        Some(if has_mem(i) { vinsertps::<M32> } else { vinsertps::<VR> })
    });
    t.set(C::VEX_Vpextrb_r32m8_xmm_imm8, build_pextr::<8>);
    t.set(C::VEX_Vpextrb_r64m8_xmm_imm8, build_pextr::<8>);
    t.set(C::VEX_Vpextrw_r32m16_xmm_imm8, build_pextr::<16>);
    t.set(C::VEX_Vpextrw_r64m16_xmm_imm8, build_pextr::<16>);
    t.set(C::VEX_Vpextrd_rm32_xmm_imm8, build_pextr::<32>);
    t.set(C::VEX_Vpextrq_rm64_xmm_imm8, build_pextr::<64>);
    t.set(C::VEX_Vextractps_rm32_xmm_imm8, build_pextr::<32>);
    t.set(C::VEX_Vextractps_r64m32_xmm_imm8, build_pextr::<32>);
    t.set(C::VEX_Vpextrw_r32_xmm_imm8, |_, _| Some(pextrw));
    t.set(C::VEX_Vpextrw_r64_xmm_imm8, |_, _| Some(pextrw));

    t.set(C::VEX_Vmovmskps_r32_xmm, |_, _| Some(movmsk::<32>));
    t.set(C::VEX_Vmovmskps_r64_xmm, |_, _| Some(movmsk::<32>));
    t.set(C::VEX_Vmovmskpd_r32_xmm, |_, _| Some(movmsk::<64>));
    t.set(C::VEX_Vmovmskpd_r64_xmm, |_, _| Some(movmsk::<64>));
    t.set(C::VEX_Vmovmskps_r32_ymm, |_, _| Some(movmsk_y::<32>));
    t.set(C::VEX_Vmovmskps_r64_ymm, |_, _| Some(movmsk_y::<32>));
    t.set(C::VEX_Vmovmskpd_r32_ymm, |_, _| Some(movmsk_y::<64>));
    t.set(C::VEX_Vmovmskpd_r64_ymm, |_, _| Some(movmsk_y::<64>));
    t.set(C::VEX_Vpmovmskb_r32_xmm, |_, _| Some(pmovmskb));
    t.set(C::VEX_Vpmovmskb_r64_xmm, |_, _| Some(pmovmskb));
    t.set(C::VEX_Vpmovmskb_r32_ymm, |_, _| Some(pmovmskb_y));
    t.set(C::VEX_Vpmovmskb_r64_ymm, |_, _| Some(pmovmskb_y));

    macro_rules! pmovx {
        ($f:literal, $t:literal, $s:literal, $($c:ident),+) => {
            $( t.set(C::$c, build_vpmovx::<$f, $t, $s>); )+
        };
    }
    pmovx!(8, 16, true, VEX_Vpmovsxbw_xmm_xmmm64, VEX_Vpmovsxbw_ymm_xmmm128);
    pmovx!(8, 32, true, VEX_Vpmovsxbd_xmm_xmmm32, VEX_Vpmovsxbd_ymm_xmmm64);
    pmovx!(8, 64, true, VEX_Vpmovsxbq_xmm_xmmm16, VEX_Vpmovsxbq_ymm_xmmm32);
    pmovx!(16, 32, true, VEX_Vpmovsxwd_xmm_xmmm64, VEX_Vpmovsxwd_ymm_xmmm128);
    pmovx!(16, 64, true, VEX_Vpmovsxwq_xmm_xmmm32, VEX_Vpmovsxwq_ymm_xmmm64);
    pmovx!(32, 64, true, VEX_Vpmovsxdq_xmm_xmmm64, VEX_Vpmovsxdq_ymm_xmmm128);
    pmovx!(8, 16, false, VEX_Vpmovzxbw_xmm_xmmm64, VEX_Vpmovzxbw_ymm_xmmm128);
    pmovx!(8, 32, false, VEX_Vpmovzxbd_xmm_xmmm32, VEX_Vpmovzxbd_ymm_xmmm64);
    pmovx!(8, 64, false, VEX_Vpmovzxbq_xmm_xmmm16, VEX_Vpmovzxbq_ymm_xmmm32);
    pmovx!(16, 32, false, VEX_Vpmovzxwd_xmm_xmmm64, VEX_Vpmovzxwd_ymm_xmmm128);
    pmovx!(16, 64, false, VEX_Vpmovzxwq_xmm_xmmm32, VEX_Vpmovzxwq_ymm_xmmm64);
    pmovx!(32, 64, false, VEX_Vpmovzxdq_xmm_xmmm64, VEX_Vpmovzxdq_ymm_xmmm128);

    t.set(C::VEX_Vptest_xmm_xmmm128, build_vtest::<0>);
    t.set(C::VEX_Vptest_ymm_ymmm256, build_vtest::<0>);
    t.set(C::VEX_Vtestps_xmm_xmmm128, build_vtest::<32>);
    t.set(C::VEX_Vtestps_ymm_ymmm256, build_vtest::<32>);
    t.set(C::VEX_Vtestpd_xmm_xmmm128, build_vtest::<64>);
    t.set(C::VEX_Vtestpd_ymm_ymmm256, build_vtest::<64>);

    t.set(C::VEX_Vldmxcsr_m32, |_, _| Some(super::sse_state::ldmxcsr));
    t.set(C::VEX_Vstmxcsr_m32, |_, _| Some(super::sse_state::stmxcsr));
    t.set(C::VEX_Vpcmpestri_xmm_xmmm128_imm8, super::sse42::build_str::<false, true, false>);
    t.set(C::VEX_Vpcmpestri64_xmm_xmmm128_imm8, super::sse42::build_str::<false, true, true>);
    t.set(C::VEX_Vpcmpistri_xmm_xmmm128_imm8, super::sse42::build_str::<false, false, false>);
    t.set(C::VEX_Vpcmpestrm_xmm_xmmm128_imm8, build_vpcmpstrm::<true, false>);
    t.set(C::VEX_Vpcmpestrm64_xmm_xmmm128_imm8, build_vpcmpstrm::<true, true>);
    t.set(C::VEX_Vpcmpistrm_xmm_xmmm128_imm8, build_vpcmpstrm::<false, false>);
}
