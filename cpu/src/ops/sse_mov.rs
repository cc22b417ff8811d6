//! SSE/SSE2 data movement, shuffles, unpacks, inserts and extracts: MOVAPS MOVUPS MOVAPD
//! MOVUPD MOVDQA MOVDQU, MOVNTPS MOVNTPD MOVNTDQ MOVNTI MASKMOVDQU, MOVD/MOVQ (all XMM
//! forms), MOVSS/MOVSD (SSE), MOVHPS MOVLPS MOVHPD MOVLPD MOVHLPS MOVLHPS, MOVMSKPS/PD,
//! PMOVMSKB, UNPCK[LH]P[SD], SHUFPS SHUFPD, PSHUFD PSHUFLW PSHUFHW, PUNPCK{L,H}{BW,WD,DQ,QDQ},
//! PEXTRW PINSRW. (Intel SDM Vol. 2, each mnemonic.) The MMX-register forms are not here.

use super::sse_operand::{aligned_ea, lane, sel, src_kind, with_lane, with_src_next, xr};
use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::{and_next, next_op};
use crate::state::Cpu;
use iced_x86::{Code, Instruction, OpKind, Register};

const LO64: u128 = u64::MAX as u128;
const HI64: u128 = !LO64;

// ---- whole-register moves ----

fn ld128<const K: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_src_next::<K, _>(cpu, op, |cpu, op, v| {
        cpu.xmm[xr(op.r0)] = v;
        Ok(())
    })
}

fn st128<const ALIGNED: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let a = cpu.ea(op);
    if !ALIGNED || a & 15 == 0 {
        if let Some(p) = cpu.mem.fast_write_ptr::<16>(a) {
            // SAFETY: `fast_write_ptr` checked that 16 bytes at p are in a live, writable,
            // non-code frame.
            unsafe { (p as *mut u128).write_unaligned(cpu.xmm[xr(op.r0)].to_le()) };
            return next_op(cpu, op, Ok(()));
        }
    }
    st128_slow::<ALIGNED>(cpu, op)
}

/// MOVAPS-style stores off the write-TLB fast path (a miss, a fault, misalignment): out
/// of line so that `st128` needs no stack frame.
#[cold]
#[inline(never)]
fn st128_slow<const ALIGNED: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let a = if ALIGNED { aligned_ea(cpu, op)? } else { cpu.ea(op) };
        cpu.st128(a, cpu.xmm[xr(op.r0)])
    })
}

/// MOVAPS-style: register copy, aligned or unaligned load, or store.
fn build_mov128<const ALIGNED: bool>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    if i.op0_kind() == OpKind::Memory {
        return Some(st128::<ALIGNED>);
    }
    match src_kind(i, !ALIGNED) {
        0 => Some(ld128::<0>),
        1 => Some(ld128::<1>),
        2 => Some(ld128::<2>),
        _ => None,
    }
}

// ---- low-lane moves ----

/// Loads W bits zero-extended (MOVSS/MOVSD from memory, MOVQ xmm, xmm/m64).
fn ld_low<const W: u32, const K: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_src_next::<K, _>(cpu, op, |cpu, op, v| {
        cpu.xmm[xr(op.r0)] = v & (u128::MAX >> (128 - W));
        Ok(())
    })
}

/// Register-to-register MOVSS/MOVSD: only the low lane changes.
fn merge_low<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let d = xr(op.r0);
        cpu.xmm[d] = with_lane::<W>(cpu.xmm[d], 0, lane::<W>(cpu.xmm[xr(op.r1)], 0));
        Ok(())
    })
}

pub(super) fn st_low<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let a = cpu.ea(op);
    let v = lane::<W>(cpu.xmm[xr(op.r0)], 0);
    let p = if W == 32 { cpu.mem.fast_write_ptr::<4>(a) } else { cpu.mem.fast_write_ptr::<8>(a) };
    match p {
        // SAFETY: `fast_write_ptr` checked that W/8 bytes at p are in a live, writable,
        // non-code frame.
        Some(p) => unsafe {
            if W == 32 {
                (p as *mut u32).write_unaligned((v as u32).to_le())
            } else {
                (p as *mut u64).write_unaligned(v.to_le())
            }
            next_op(cpu, op, Ok(()))
        },
        None => st_low_slow::<W>(cpu, op),
    }
}

#[cold]
#[inline(never)]
fn st_low_slow<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = lane::<W>(cpu.xmm[xr(op.r0)], 0);
        cpu.st::<W>(cpu.ea(op), v)
    })
}

pub(super) fn st_high64(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = (cpu.xmm[xr(op.r0)] >> 64) as u64;
        cpu.st64(cpu.ea(op), v)
    })
}

fn ld_high64(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.ld64(cpu.ea(op))? as u128;
        let d = xr(op.r0);
        cpu.xmm[d] = (cpu.xmm[d] & LO64) | v << 64;
        Ok(())
    })
}

fn ld_low64_merge(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.ld64(cpu.ea(op))? as u128;
        let d = xr(op.r0);
        cpu.xmm[d] = (cpu.xmm[d] & HI64) | v;
        Ok(())
    })
}

fn movhlps(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let d = xr(op.r0);
        cpu.xmm[d] = (cpu.xmm[d] & HI64) | cpu.xmm[xr(op.r1)] >> 64;
        Ok(())
    })
}

fn movlhps(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let d = xr(op.r0);
        cpu.xmm[d] = (cpu.xmm[d] & LO64) | cpu.xmm[xr(op.r1)] << 64;
        Ok(())
    })
}

/// MOVSS/MOVSD xmm, xmm/m: merge from a register, zero-extending load from memory.
fn build_movs_load<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    if !has_mem(i) {
        return Some(merge_low::<W>);
    }
    Some(if W == 32 { ld_low::<32, 4> } else { ld_low::<64, 3> })
}

fn build_movs_store<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { st_low::<W> } else { merge_low::<W> })
}

/// MOVQ xmm, xmm/m64 (F3 0F 7E) and MOVQ xmm/m64, xmm (66 0F D6).
fn build_movq_x(i: &Instruction, _: &mut Op) -> Option<Handler> {
    if i.op0_kind() == OpKind::Memory {
        return Some(st_low::<64>);
    }
    sel!(src_kind(i, false), ld_low::<64>, [0, 3])
}

// ---- MOVD/MOVQ with general registers ----

fn movd_x_r<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.xmm[xr(op.r0)] = cpu.get_r::<W>(op.r1) as u128;
        Ok(())
    })
}

fn movd_x_m<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.xmm[xr(op.r0)] = cpu.ld::<W>(cpu.ea(op))? as u128;
        Ok(())
    })
}

fn movd_r_x<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = lane::<W>(cpu.xmm[xr(op.r1)], 0);
        cpu.put_r::<W>(op.r0, v);
        Ok(())
    })
}

fn build_movd_to_x<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { movd_x_m::<W> } else { movd_x_r::<W> })
}

pub(super) fn build_movd_from_x<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { st_low::<W> } else { movd_r_x::<W> })
}

fn movnti<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.get_r::<W>(op.r0);
        cpu.st::<W>(cpu.ea(op), v)
    })
}

// ---- masks ----

/// MOVMSKPS/MOVMSKPD/PMOVMSKB: the sign bit of each W-bit lane.
pub(super) fn movmsk<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.xmm[xr(op.r1)];
        let mut m = 0u64;
        for i in 0..128 / W {
            m |= ((v >> (i * W + W - 1)) as u64 & 1) << i;
        }
        cpu.put_r::<64>(op.r0, m);
        Ok(())
    })
}

/// PMOVMSKB, the hot one in string functions: gather the 16 byte signs at once.
pub(super) fn pmovmskb(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.xmm[xr(op.r1)];
        let lo = ((v as u64) & 0x8080_8080_8080_8080).wrapping_mul(0x0002_0408_1020_4081) >> 56;
        let hi = (((v >> 64) as u64) & 0x8080_8080_8080_8080).wrapping_mul(0x0002_0408_1020_4081) >> 56;
        cpu.put_r::<64>(op.r0, lo | hi << 8);
        Ok(())
    })
}

/// MASKMOVDQU: stores the bytes of r0 whose mask byte (in r1) has its top bit set, to
/// [rdi]. Every selected byte is checked writable first, so a fault stores nothing.
fn maskmovdqu(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.xmm[xr(op.r0)].to_le_bytes();
        let m = cpu.xmm[xr(op.r1)].to_le_bytes();
        let base = cpu.regs[7].wrapping_add(cpu.seg_base[op.seg as usize]);
        let first = m.iter().position(|b| b & 0x80 != 0);
        let Some(first) = first else { return Ok(()) };
        let last = 15 - m.iter().rev().position(|b| b & 0x80 != 0).unwrap_or(0);
        cpu.probe_write(base.wrapping_add(first as u64), (last - first + 1) as u64)?;
        for i in first..=last {
            if m[i] & 0x80 != 0 {
                cpu.st8(base.wrapping_add(i as u64), v[i])?;
            }
        }
        Ok(())
    })
}

pub(super) fn build_maskmovdqu(i: &Instruction, op: &mut Op) -> Option<Handler> {
    if i.op0_kind() != OpKind::MemorySegRDI {
        return None; // 0x67-prefixed (EDI) form
    }
    op.seg = match i.memory_segment() {
        Register::FS => 1,
        Register::GS => 2,
        _ => 0,
    };
    Some(maskmovdqu)
}

// ---- shuffles and unpacks: r0 = f(r0, source, imm8) ----

pub(crate) trait Shuf {
    fn f(a: u128, b: u128, imm: u8) -> u128;
}

fn shuf<O: Shuf, const K: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_src_next::<K, _>(cpu, op, |cpu, op, b| {
        let d = xr(op.r0);
        cpu.xmm[d] = O::f(cpu.xmm[d], b, op.imm as u8);
        Ok(())
    })
}

pub(crate) fn build_shuf<O: Shuf + 'static>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    sel!(src_kind(i, false), shuf::<O>, [0, 1])
}

/// `build_shuf` for the forms whose m128 needs no alignment (the SHA extensions, on the
/// reference host).
pub(crate) fn build_shuf_unaligned<O: Shuf + 'static>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    sel!(src_kind(i, true), shuf::<O>, [0, 2])
}

/// Interleaves the low (`HIGH` false) or high halves of a and b in W-bit lanes.
#[inline(always)]
fn unpack<const W: u32, const HIGH: bool>(a: u128, b: u128) -> u128 {
    let n = 64 / W;
    let off = if HIGH { n } else { 0 };
    let mut r = 0u128;
    for i in 0..n {
        r = with_lane::<W>(r, 2 * i, lane::<W>(a, i + off));
        r = with_lane::<W>(r, 2 * i + 1, lane::<W>(b, i + off));
    }
    r
}

pub(super) struct Unpack<const W: u32, const HIGH: bool>;
impl<const W: u32, const HIGH: bool> Shuf for Unpack<W, HIGH> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        unpack::<W, HIGH>(a, b)
    }
}

pub(super) struct Shufps;
impl Shuf for Shufps {
    #[inline(always)]
    fn f(a: u128, b: u128, imm: u8) -> u128 {
        let s = |v: u128, k: u8| lane::<32>(v, (imm >> (2 * k) & 3) as u32) as u128;
        s(a, 0) | s(a, 1) << 32 | s(b, 2) << 64 | s(b, 3) << 96
    }
}

pub(super) struct Shufpd;
impl Shuf for Shufpd {
    #[inline(always)]
    fn f(a: u128, b: u128, imm: u8) -> u128 {
        lane::<64>(a, (imm & 1) as u32) as u128 | (lane::<64>(b, (imm >> 1 & 1) as u32) as u128) << 64
    }
}

pub(super) struct Pshufd;
impl Shuf for Pshufd {
    #[inline(always)]
    fn f(_: u128, b: u128, imm: u8) -> u128 {
        let mut r = 0u128;
        for i in 0..4 {
            r |= (lane::<32>(b, (imm >> (2 * i) & 3) as u32) as u128) << (32 * i);
        }
        r
    }
}

/// PSHUFLW (`HIGH` false) / PSHUFHW: shuffle the words of one half, copy the other.
pub(super) struct Pshufw<const HIGH: bool>;
impl<const HIGH: bool> Shuf for Pshufw<HIGH> {
    #[inline(always)]
    fn f(_: u128, b: u128, imm: u8) -> u128 {
        let off = if HIGH { 4 } else { 0 };
        let mut r = b;
        for i in 0..4 {
            r = with_lane::<16>(r, i + off, lane::<16>(b, (imm >> (2 * i) & 3) as u32 + off));
        }
        r
    }
}

// ---- PEXTRW / PINSRW ----

pub(super) fn pextrw(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = lane::<16>(cpu.xmm[xr(op.r1)], (op.imm & 7) as u32);
        cpu.put_r::<64>(op.r0, v);
        Ok(())
    })
}

fn pinsrw<const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let w = if MEM { cpu.ld16(cpu.ea(op))? as u64 } else { cpu.get_r::<16>(op.r1) };
        let d = xr(op.r0);
        cpu.xmm[d] = with_lane::<16>(cpu.xmm[d], (op.imm & 7) as u32, w);
        Ok(())
    })
}

pub(super) fn register(t: &mut Table) {
    for c in [Code::Movaps_xmm_xmmm128, Code::Movapd_xmm_xmmm128, Code::Movdqa_xmm_xmmm128] {
        t.set(c, build_mov128::<true>);
    }
    for c in [Code::Movaps_xmmm128_xmm, Code::Movapd_xmmm128_xmm, Code::Movdqa_xmmm128_xmm] {
        t.set(c, build_mov128::<true>);
    }
    for c in [
        Code::Movups_xmm_xmmm128,
        Code::Movupd_xmm_xmmm128,
        Code::Movdqu_xmm_xmmm128,
        Code::Movups_xmmm128_xmm,
        Code::Movupd_xmmm128_xmm,
        Code::Movdqu_xmmm128_xmm,
    ] {
        t.set(c, build_mov128::<false>);
    }
    for c in [Code::Movntps_m128_xmm, Code::Movntpd_m128_xmm, Code::Movntdq_m128_xmm] {
        t.set(c, |_, _| Some(st128::<true>));
    }
    t.set(Code::Movnti_m32_r32, |_, _| Some(movnti::<32>));
    t.set(Code::Movnti_m64_r64, |_, _| Some(movnti::<64>));
    t.set(Code::Maskmovdqu_rDI_xmm_xmm, build_maskmovdqu);

    t.set(Code::Movss_xmm_xmmm32, build_movs_load::<32>);
    t.set(Code::Movsd_xmm_xmmm64, build_movs_load::<64>);
    t.set(Code::Movss_xmmm32_xmm, build_movs_store::<32>);
    t.set(Code::Movsd_xmmm64_xmm, build_movs_store::<64>);
    t.set(Code::Movq_xmm_xmmm64, build_movq_x);
    t.set(Code::Movq_xmmm64_xmm, build_movq_x);
    t.set(Code::Movd_xmm_rm32, build_movd_to_x::<32>);
    t.set(Code::Movq_xmm_rm64, build_movd_to_x::<64>);
    t.set(Code::Movd_rm32_xmm, build_movd_from_x::<32>);
    t.set(Code::Movq_rm64_xmm, build_movd_from_x::<64>);

    for c in [Code::Movhps_xmm_m64, Code::Movhpd_xmm_m64] {
        t.set(c, |_, _| Some(ld_high64));
    }
    for c in [Code::Movhps_m64_xmm, Code::Movhpd_m64_xmm] {
        t.set(c, |_, _| Some(st_high64));
    }
    for c in [Code::Movlps_xmm_m64, Code::Movlpd_xmm_m64] {
        t.set(c, |_, _| Some(ld_low64_merge));
    }
    for c in [Code::Movlps_m64_xmm, Code::Movlpd_m64_xmm] {
        t.set(c, |_, _| Some(st_low::<64>));
    }
    t.set(Code::Movhlps_xmm_xmm, |_, _| Some(movhlps));
    t.set(Code::Movlhps_xmm_xmm, |_, _| Some(movlhps));

    t.set(Code::Movmskps_r32_xmm, |_, _| Some(movmsk::<32>));
    t.set(Code::Movmskps_r64_xmm, |_, _| Some(movmsk::<32>));
    t.set(Code::Movmskpd_r32_xmm, |_, _| Some(movmsk::<64>));
    t.set(Code::Movmskpd_r64_xmm, |_, _| Some(movmsk::<64>));
    t.set(Code::Pmovmskb_r32_xmm, |_, _| Some(pmovmskb));
    t.set(Code::Pmovmskb_r64_xmm, |_, _| Some(pmovmskb));

    t.set(Code::Unpcklps_xmm_xmmm128, build_shuf::<Unpack<32, false>>);
    t.set(Code::Unpckhps_xmm_xmmm128, build_shuf::<Unpack<32, true>>);
    t.set(Code::Unpcklpd_xmm_xmmm128, build_shuf::<Unpack<64, false>>);
    t.set(Code::Unpckhpd_xmm_xmmm128, build_shuf::<Unpack<64, true>>);
    t.set(Code::Punpcklbw_xmm_xmmm128, build_shuf::<Unpack<8, false>>);
    t.set(Code::Punpcklwd_xmm_xmmm128, build_shuf::<Unpack<16, false>>);
    t.set(Code::Punpckldq_xmm_xmmm128, build_shuf::<Unpack<32, false>>);
    t.set(Code::Punpcklqdq_xmm_xmmm128, build_shuf::<Unpack<64, false>>);
    t.set(Code::Punpckhbw_xmm_xmmm128, build_shuf::<Unpack<8, true>>);
    t.set(Code::Punpckhwd_xmm_xmmm128, build_shuf::<Unpack<16, true>>);
    t.set(Code::Punpckhdq_xmm_xmmm128, build_shuf::<Unpack<32, true>>);
    t.set(Code::Punpckhqdq_xmm_xmmm128, build_shuf::<Unpack<64, true>>);
    t.set(Code::Shufps_xmm_xmmm128_imm8, build_shuf::<Shufps>);
    t.set(Code::Shufpd_xmm_xmmm128_imm8, build_shuf::<Shufpd>);
    t.set(Code::Pshufd_xmm_xmmm128_imm8, build_shuf::<Pshufd>);
    t.set(Code::Pshuflw_xmm_xmmm128_imm8, build_shuf::<Pshufw<false>>);
    t.set(Code::Pshufhw_xmm_xmmm128_imm8, build_shuf::<Pshufw<true>>);

    t.set(Code::Pextrw_r32_xmm_imm8, |_, _| Some(pextrw));
    t.set(Code::Pextrw_r64_xmm_imm8, |_, _| Some(pextrw));
    for c in [Code::Pinsrw_xmm_r32m16_imm8, Code::Pinsrw_xmm_r64m16_imm8] {
        t.set(c, |i, _| Some(if has_mem(i) { pinsrw::<true> } else { pinsrw::<false> }));
    }
}
