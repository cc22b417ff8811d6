//! SSE3: ADDSUBPS ADDSUBPD HADDPS HADDPD HSUBPS HSUBPD, MOVSLDUP MOVSHDUP MOVDDUP, LDDQU,
//! and MONITOR/MWAIT, which raise #UD in user mode (Intel SDM Vol. 2, each mnemonic;
//! Vol. 3 §8.10.4: CPL > 0 faults unless an MSR enables them, which Linux does not).
//! FISTTP, the remaining SSE3 instruction, lives with the x87 stores.
//!
//! Also the shared driver for floating-point operations on whole registers with an
//! imm8 (`FpOp`), used by SSE4.1's ROUND and DP families.

use super::sse_float::{self as sf, Env};
use super::sse_operand::{commit, lane, sel, src, src_kind, with_lane, M64, REG};
use super::Table;
use crate::decode::{Flow, Handler, Op, Stop};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

/// An operation computing a whole register from (destination, source, imm8) under the
/// MXCSR state in `env`.
pub(crate) trait FpOp {
    fn f(env: &mut Env, a: u128, b: u128, imm: u8) -> u128;
}

fn fp_op<O: FpOp, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = src::<S>(cpu, op)?;
        let d = op.r0 as usize;
        let mut env = Env::new(cpu.mxcsr);
        let r = O::f(&mut env, cpu.xmm[d], b, op.imm as u8);
        commit(cpu, &env)?;
        cpu.xmm[d] = r;
        Ok(())
    })
}

/// Source forms: XMM, aligned m128 (packed), m64 or m32 (scalar).
pub(crate) fn build_fp<O: FpOp + 'static>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    sel!(src_kind(i, false), fp_op::<O>, [0, 1, 3, 4])
}

#[inline(always)]
fn add<const W: u32>(env: &mut Env, sub: bool, x: u64, y: u64) -> u64 {
    if sub {
        sf::add::<W, true>(env, x, y)
    } else {
        sf::add::<W, false>(env, x, y)
    }
}

/// ADDSUBPS/PD: even lanes subtract, odd lanes add.
pub(super) struct AddSub<const W: u32>;
impl<const W: u32> FpOp for AddSub<W> {
    fn f(env: &mut Env, a: u128, b: u128, _: u8) -> u128 {
        let mut r = 0;
        for i in 0..128 / W {
            r = with_lane::<W>(r, i, add::<W>(env, i & 1 == 0, lane::<W>(a, i), lane::<W>(b, i)));
        }
        r
    }
}

/// HADD/HSUB PS/PD: each result lane combines an adjacent pair, the destination's pairs
/// first, then the source's; the lower element of a pair is the first operand.
pub(super) struct Horiz<const W: u32, const SUB: bool>;
impl<const W: u32, const SUB: bool> FpOp for Horiz<W, SUB> {
    fn f(env: &mut Env, a: u128, b: u128, _: u8) -> u128 {
        let n = 128 / W;
        let mut r = 0;
        for i in 0..n {
            let v = if i < n / 2 { a } else { b };
            let j = 2 * (i % (n / 2));
            r = with_lane::<W>(r, i, add::<W>(env, SUB, lane::<W>(v, j), lane::<W>(v, j + 1)));
        }
        r
    }
}

// ---- duplicating moves ----

/// MOVSLDUP (`ODD` false) / MOVSHDUP: copy the even (odd) dwords over their pairs.
fn movdup32<const ODD: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = src::<S>(cpu, op)?;
        let k = ODD as u32;
        let (lo, hi) = (lane::<32>(b, k) as u128, lane::<32>(b, 2 + k) as u128);
        cpu.xmm[op.r0 as usize] = lo | lo << 32 | hi << 64 | hi << 96;
        Ok(())
    })
}

fn movddup<const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = src::<S>(cpu, op)? as u64 as u128;
        cpu.xmm[op.r0 as usize] = b | b << 64;
        Ok(())
    })
}

fn lddqu(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.xmm[op.r0 as usize] = cpu.ld128(cpu.ea(op))?;
        Ok(())
    })
}

#[cold]
fn monitor_ud(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.last_ud = "monitor/mwait: #UD in user mode (CPUID.01H:ECX.MONITOR is clear)".into();
        Err(Stop::Ud)
    })
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Addsubps_xmm_xmmm128, build_fp::<AddSub<32>>);
    t.set(Code::Addsubpd_xmm_xmmm128, build_fp::<AddSub<64>>);
    t.set(Code::Haddps_xmm_xmmm128, build_fp::<Horiz<32, false>>);
    t.set(Code::Haddpd_xmm_xmmm128, build_fp::<Horiz<64, false>>);
    t.set(Code::Hsubps_xmm_xmmm128, build_fp::<Horiz<32, true>>);
    t.set(Code::Hsubpd_xmm_xmmm128, build_fp::<Horiz<64, true>>);
    t.set(Code::Movsldup_xmm_xmmm128, |i, _| sel!(src_kind(i, false), movdup32::<false>, [0, 1]));
    t.set(Code::Movshdup_xmm_xmmm128, |i, _| sel!(src_kind(i, false), movdup32::<true>, [0, 1]));
    t.set(Code::Movddup_xmm_xmmm64, |i, _| {
        Some(if super::has_mem(i) { movddup::<M64> } else { movddup::<REG> })
    });
    t.set(Code::Lddqu_xmm_m128, |_, _| Some(lddqu));
    for c in [Code::Monitorw, Code::Monitord, Code::Monitorq, Code::Mwait] {
        t.set(c, |_, _| Some(monitor_ud));
    }
}
