//! SSE4.1 integer, blend and data-movement instructions: PBLENDVB BLENDVPS BLENDVPD,
//! BLENDPS BLENDPD PBLENDW, PMINSB PMINSD PMINUW PMINUD PMAXSB PMAXSD PMAXUW PMAXUD,
//! PMULLD PMULDQ, PCMPEQQ, PACKUSDW, PMOVSX*/PMOVZX*, PINSRB PINSRD PINSRQ, PEXTRB PEXTRW
//! PEXTRD PEXTRQ, EXTRACTPS, INSERTPS, PTEST, MPSADBW, PHMINPOSUW, MOVNTDQA (Intel SDM
//! Vol. 2, each mnemonic). The floating-point ROUND and DP families are in `sse41_fp`.

use super::sse_mov::{build_shuf, Shuf};
use super::sse_operand::{aligned_ea, lane, sel, src, src_kind, with_lane, M128A, REG};
use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::flags::{ARITH, CF, ZF};
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

/// Builds a value from `n` lanes of W bits.
#[inline(always)]
pub(super) fn build<const W: u32>(n: u32, f: impl Fn(u32) -> u64) -> u128 {
    let m = super::sse_operand::lane_mask(W) as u128;
    (0..n).fold(0u128, |v, i| v | (f(i) as u128 & m) << (i * W))
}

#[inline(always)]
pub(super) fn sext<const W: u32>(x: u64) -> i64 {
    ((x << (64 - W)) as i64) >> (64 - W)
}

/// Per-lane selection: lane i of the source where `mask` has bit i (an all-ones W-bit
/// lane mask built from imm8 or XMM0 sign bits).
#[inline(always)]
pub(super) fn lanes_mask<const W: u32>(bits: u32) -> u128 {
    build::<W>(128 / W, |i| if bits >> i & 1 != 0 { u64::MAX } else { 0 })
}

/// BLENDPS/BLENDPD/PBLENDW: imm8 bit i selects the source for lane i.
pub(super) struct BlendImm<const W: u32>;
impl<const W: u32> Shuf for BlendImm<W> {
    #[inline(always)]
    fn f(a: u128, b: u128, imm: u8) -> u128 {
        let m = lanes_mask::<W>(imm as u32);
        (a & !m) | (b & m)
    }
}

/// PBLENDVB/BLENDVPS/BLENDVPD: the sign bit of each lane of XMM0 selects the source.
fn blendv<const W: u32, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = src::<S>(cpu, op)?;
        let x0 = cpu.xmm[0];
        let bits = build::<1>(128 / W, |i| (x0 >> (i * W + W - 1)) as u64 & 1) as u32;
        let m = lanes_mask::<W>(bits);
        let d = op.r0 as usize;
        cpu.xmm[d] = (cpu.xmm[d] & !m) | (b & m);
        Ok(())
    })
}

fn build_blendv<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    sel!(src_kind(i, false), blendv::<W>, [0, 1])
}

/// Lane-wise min/max, signed (`S`) or unsigned.
pub(super) struct MinMax<const W: u32, const SIGNED: bool, const MAX: bool>;
impl<const W: u32, const SIGNED: bool, const MAX: bool> Shuf for MinMax<W, SIGNED, MAX> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<W>(128 / W, |i| {
            let (x, y) = (lane::<W>(a, i), lane::<W>(b, i));
            let lt = if SIGNED { sext::<W>(x) < sext::<W>(y) } else { x < y };
            if lt != MAX {
                x
            } else {
                y
            }
        })
    }
}

pub(super) struct Pmulld;
impl Shuf for Pmulld {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<32>(4, |i| (lane::<32>(a, i) as u32).wrapping_mul(lane::<32>(b, i) as u32) as u64)
    }
}

/// PMULDQ: signed products of dwords 0 and 2.
pub(super) struct Pmuldq;
impl Shuf for Pmuldq {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<64>(2, |i| {
            (lane::<32>(a, 2 * i) as i32 as i64).wrapping_mul(lane::<32>(b, 2 * i) as i32 as i64) as u64
        })
    }
}

pub(super) struct Pcmpeqq;
impl Shuf for Pcmpeqq {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<64>(2, |i| if lane::<64>(a, i) == lane::<64>(b, i) { u64::MAX } else { 0 })
    }
}

/// PACKUSDW: signed dwords to unsigned words with saturation, destination first.
pub(super) struct Packusdw;
impl Shuf for Packusdw {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<16>(8, |i| {
            let v = if i < 4 { a } else { b };
            (lane::<32>(v, i % 4) as i32).clamp(0, 0xffff) as u64
        })
    }
}

/// MPSADBW: eight sums of absolute differences between a 4-byte block of the source
/// (imm8[1:0]) and sliding 4-byte windows of the destination (from imm8[2] * 4).
pub(super) struct Mpsadbw;
impl Shuf for Mpsadbw {
    #[inline(always)]
    fn f(a: u128, b: u128, imm: u8) -> u128 {
        let (x, y) = (a.to_le_bytes(), b.to_le_bytes());
        let ao = ((imm >> 2) & 1) as usize * 4;
        let bo = (imm & 3) as usize * 4;
        build::<16>(8, |i| {
            let i = i as usize;
            (0..4).map(|k| x[ao + i + k].abs_diff(y[bo + k]) as u64).sum()
        })
    }
}

/// PHMINPOSUW: the smallest unsigned word of the source and its (lowest) index.
pub(super) struct Phminposuw;
impl Shuf for Phminposuw {
    #[inline(always)]
    fn f(_: u128, b: u128, _: u8) -> u128 {
        let mut best = (lane::<16>(b, 0), 0u64);
        for i in 1..8 {
            let v = lane::<16>(b, i);
            if v < best.0 {
                best = (v, i as u64);
            }
        }
        best.0 as u128 | (best.1 as u128) << 16
    }
}

// ---- PMOVSX / PMOVZX: the low 128/R bits of the source widened from F to T bits ----

fn pmovx<const F: u32, const T: u32, const SIGNED: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = src::<S>(cpu, op)?;
        cpu.xmm[op.r0 as usize] = build::<T>(128 / T, |i| {
            let v = lane::<F>(b, i);
            if SIGNED {
                sext::<F>(v) as u64
            } else {
                v
            }
        });
        Ok(())
    })
}

fn build_pmovx<const F: u32, const T: u32, const SIGNED: bool>(
    i: &Instruction,
    _: &mut Op,
) -> Option<Handler> {
    sel!(src_kind(i, false), pmovx::<F, T, SIGNED>, [0, 3, 4, 5])
}

// ---- PINSR / PEXTR / EXTRACTPS / INSERTPS ----

/// PINSRB/D/Q: W bits from a GPR (`MEM` false) or memory into lane imm8 mod (128/W).
fn pinsr<const W: u32, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = if MEM { cpu.ld::<W>(cpu.ea(op))? } else { cpu.get_r::<W>(op.r1) };
        let d = op.r0 as usize;
        cpu.xmm[d] = with_lane::<W>(cpu.xmm[d], (op.imm as u32) & (128 / W - 1), v);
        Ok(())
    })
}

fn build_pinsr<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { pinsr::<W, true> } else { pinsr::<W, false> })
}

/// PEXTRB/W/D/Q, EXTRACTPS: lane imm8 mod (128/W) to memory, or zero-extended to a GPR.
fn pextr_r<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = lane::<W>(cpu.xmm[op.r1 as usize], (op.imm as u32) & (128 / W - 1));
        cpu.put_r::<64>(op.r0, v);
        Ok(())
    })
}

fn pextr_m<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = lane::<W>(cpu.xmm[op.r0 as usize], (op.imm as u32) & (128 / W - 1));
        cpu.st::<W>(cpu.ea(op), v)
    })
}

pub(super) fn build_pextr<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { pextr_m::<W> } else { pextr_r::<W> })
}

/// INSERTPS: dword imm8[7:6] of the source register (or the m32) goes to lane
/// imm8[5:4]; then lanes with imm8[3:0] bits set are zeroed.
fn insertps<const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let imm = op.imm as u32;
        let v = if MEM {
            cpu.ld32(cpu.ea(op))? as u64
        } else {
            lane::<32>(cpu.xmm[op.r1 as usize], (imm >> 6) & 3)
        };
        let d = op.r0 as usize;
        let r = with_lane::<32>(cpu.xmm[d], (imm >> 4) & 3, v);
        cpu.xmm[d] = r & !lanes_mask::<32>(imm & 15);
        Ok(())
    })
}

// ---- PTEST ----

fn ptest<const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = src::<S>(cpu, op)?;
        let a = cpu.xmm[op.r0 as usize];
        let f = if a & b == 0 { ZF } else { 0 } | if !a & b == 0 { CF } else { 0 };
        cpu.set_flags_masked(ARITH, f);
        Ok(())
    })
}

fn movntdqa(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let a = aligned_ea(cpu, op)?;
        cpu.xmm[op.r0 as usize] = cpu.ld128(a)?;
        Ok(())
    })
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Pblendvb_xmm_xmmm128, build_blendv::<8>);
    t.set(Code::Blendvps_xmm_xmmm128, build_blendv::<32>);
    t.set(Code::Blendvpd_xmm_xmmm128, build_blendv::<64>);
    t.set(Code::Blendps_xmm_xmmm128_imm8, build_shuf::<BlendImm<32>>);
    t.set(Code::Blendpd_xmm_xmmm128_imm8, build_shuf::<BlendImm<64>>);
    t.set(Code::Pblendw_xmm_xmmm128_imm8, build_shuf::<BlendImm<16>>);

    t.set(Code::Pminsb_xmm_xmmm128, build_shuf::<MinMax<8, true, false>>);
    t.set(Code::Pminsd_xmm_xmmm128, build_shuf::<MinMax<32, true, false>>);
    t.set(Code::Pminuw_xmm_xmmm128, build_shuf::<MinMax<16, false, false>>);
    t.set(Code::Pminud_xmm_xmmm128, build_shuf::<MinMax<32, false, false>>);
    t.set(Code::Pmaxsb_xmm_xmmm128, build_shuf::<MinMax<8, true, true>>);
    t.set(Code::Pmaxsd_xmm_xmmm128, build_shuf::<MinMax<32, true, true>>);
    t.set(Code::Pmaxuw_xmm_xmmm128, build_shuf::<MinMax<16, false, true>>);
    t.set(Code::Pmaxud_xmm_xmmm128, build_shuf::<MinMax<32, false, true>>);
    t.set(Code::Pmulld_xmm_xmmm128, build_shuf::<Pmulld>);
    t.set(Code::Pmuldq_xmm_xmmm128, build_shuf::<Pmuldq>);
    t.set(Code::Pcmpeqq_xmm_xmmm128, build_shuf::<Pcmpeqq>);
    t.set(Code::Packusdw_xmm_xmmm128, build_shuf::<Packusdw>);
    t.set(Code::Mpsadbw_xmm_xmmm128_imm8, build_shuf::<Mpsadbw>);
    t.set(Code::Phminposuw_xmm_xmmm128, build_shuf::<Phminposuw>);

    t.set(Code::Pmovsxbw_xmm_xmmm64, build_pmovx::<8, 16, true>);
    t.set(Code::Pmovsxbd_xmm_xmmm32, build_pmovx::<8, 32, true>);
    t.set(Code::Pmovsxbq_xmm_xmmm16, build_pmovx::<8, 64, true>);
    t.set(Code::Pmovsxwd_xmm_xmmm64, build_pmovx::<16, 32, true>);
    t.set(Code::Pmovsxwq_xmm_xmmm32, build_pmovx::<16, 64, true>);
    t.set(Code::Pmovsxdq_xmm_xmmm64, build_pmovx::<32, 64, true>);
    t.set(Code::Pmovzxbw_xmm_xmmm64, build_pmovx::<8, 16, false>);
    t.set(Code::Pmovzxbd_xmm_xmmm32, build_pmovx::<8, 32, false>);
    t.set(Code::Pmovzxbq_xmm_xmmm16, build_pmovx::<8, 64, false>);
    t.set(Code::Pmovzxwd_xmm_xmmm64, build_pmovx::<16, 32, false>);
    t.set(Code::Pmovzxwq_xmm_xmmm32, build_pmovx::<16, 64, false>);
    t.set(Code::Pmovzxdq_xmm_xmmm64, build_pmovx::<32, 64, false>);

    t.set(Code::Pinsrb_xmm_r32m8_imm8, build_pinsr::<8>);
    t.set(Code::Pinsrb_xmm_r64m8_imm8, build_pinsr::<8>);
    t.set(Code::Pinsrd_xmm_rm32_imm8, build_pinsr::<32>);
    t.set(Code::Pinsrq_xmm_rm64_imm8, build_pinsr::<64>);
    t.set(Code::Pextrb_r32m8_xmm_imm8, build_pextr::<8>);
    t.set(Code::Pextrb_r64m8_xmm_imm8, build_pextr::<8>);
    t.set(Code::Pextrw_r32m16_xmm_imm8, build_pextr::<16>);
    t.set(Code::Pextrw_r64m16_xmm_imm8, build_pextr::<16>);
    t.set(Code::Pextrd_rm32_xmm_imm8, build_pextr::<32>);
    t.set(Code::Pextrq_rm64_xmm_imm8, build_pextr::<64>);
    t.set(Code::Extractps_rm32_xmm_imm8, build_pextr::<32>);
    t.set(Code::Extractps_r64m32_xmm_imm8, build_pextr::<32>);
    t.set(Code::Insertps_xmm_xmmm32_imm8, |i, _| {
        Some(if has_mem(i) { insertps::<true> } else { insertps::<false> })
    });

    t.set(Code::Ptest_xmm_xmmm128, |i, _| Some(if has_mem(i) { ptest::<M128A> } else { ptest::<REG> }));
    t.set(Code::Movntdqa_xmm_m128, |_, _| Some(movntdqa));
}
