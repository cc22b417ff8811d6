//! SSE/SSE2 conversions: CVTSI2SS/SD (32/64-bit sources), CVT(T)SS2SI, CVT(T)SD2SI
//! (32/64-bit results), CVTSS2SD, CVTSD2SS, CVTDQ2PS, CVT(T)PS2DQ, CVTDQ2PD, CVT(T)PD2DQ,
//! CVTPS2PD, CVTPD2PS. (Intel SDM Vol. 2, each mnemonic.) Out-of-range and NaN sources
//! give the integer indefinite (sign bit only) with IE.

use super::sse_float::{self as sf, Env};
use super::sse_operand::{commit, lane, sel, set_low, src, src_kind, with_lane, xr};
use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

/// A lane conversion from `SW`-bit to `DW`-bit lanes.
pub(super) trait Cvt {
    const SW: u32;
    const DW: u32;
    fn f(env: &mut Env, x: u64) -> u64;
}

pub(super) struct F2F<const S: u32, const D: u32>;
impl<const S: u32, const D: u32> Cvt for F2F<S, D> {
    const SW: u32 = S;
    const DW: u32 = D;
    #[inline(always)]
    fn f(env: &mut Env, x: u64) -> u64 {
        sf::convert::<S, D>(env, x)
    }
}

/// Signed 32-bit integers to floats of width D.
pub(super) struct I2F<const D: u32>;
impl<const D: u32> Cvt for I2F<D> {
    const SW: u32 = 32;
    const DW: u32 = D;
    #[inline(always)]
    fn f(env: &mut Env, x: u64) -> u64 {
        sf::from_int::<D>(env, x as u32 as i32 as i64)
    }
}

/// Floats of width S to signed 32-bit integers.
pub(super) struct F2I<const S: u32, const TRUNC: bool>;
impl<const S: u32, const TRUNC: bool> Cvt for F2I<S, TRUNC> {
    const SW: u32 = S;
    const DW: u32 = 32;
    #[inline(always)]
    fn f(env: &mut Env, x: u64) -> u64 {
        sf::to_int::<S, 32, TRUNC>(env, x)
    }
}

/// Packed conversion: as many lanes as the wider side has; unused upper destination
/// bits are zeroed (CVTPD2PS, CVTPD2DQ).
fn packed<C: Cvt, const K: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let s = src::<K>(cpu, op)?;
        let n = 128 / C::SW.max(C::DW);
        let mut env = Env::new(cpu.mxcsr);
        let mut r = 0u128;
        for i in 0..n {
            r = match C::DW {
                32 => with_lane::<32>(r, i, C::f(&mut env, lane_of::<C>(s, i))),
                _ => with_lane::<64>(r, i, C::f(&mut env, lane_of::<C>(s, i))),
            };
        }
        commit(cpu, &env)?;
        cpu.xmm[xr(op.r0)] = r;
        Ok(())
    })
}

#[inline(always)]
fn lane_of<C: Cvt>(s: u128, i: u32) -> u64 {
    match C::SW {
        32 => lane::<32>(s, i),
        _ => lane::<64>(s, i),
    }
}

/// Scalar float-to-float conversion into the low lane (CVTSS2SD, CVTSD2SS).
fn scalar<C: Cvt, const K: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let s = src::<K>(cpu, op)?;
        let mut env = Env::new(cpu.mxcsr);
        let v = C::f(&mut env, lane_of::<C>(s, 0));
        commit(cpu, &env)?;
        let d = xr(op.r0);
        cpu.xmm[d] = match C::DW {
            32 => with_lane::<32>(cpu.xmm[d], 0, v),
            _ => with_lane::<64>(cpu.xmm[d], 0, v),
        };
        Ok(())
    })
}

/// CVTSI2SS/SD: integer of width IW (register or memory) to the low float lane.
fn si2f<const D: u32, const IW: u32, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = if MEM { cpu.ld::<IW>(cpu.ea(op))? } else { cpu.get_r::<IW>(op.r1) };
        let v = if IW == 32 { v as u32 as i32 as i64 } else { v as i64 };
        // Integers that fit the significand convert exactly: no rounding, no flags, whatever
        // MXCSR says. (Every 32-bit integer fits a double.)
        if (D == 64 && IW == 32) || v.unsigned_abs() <= 1 << (if D == 32 { 24 } else { 53 }) {
            let f = if D == 32 { (v as f32).to_bits() as u64 } else { (v as f64).to_bits() };
            set_low::<D>(&mut cpu.xmm[xr(op.r0)], f);
            return Ok(());
        }
        si2f_rounded::<D>(cpu, op, v)
    })
}

/// CVTSI2SS/SD of an integer too wide for the significand: rounds under MXCSR.
#[inline(never)]
fn si2f_rounded<const D: u32>(cpu: &mut Cpu, op: &Op, v: i64) -> Flow {
    let mut env = Env::new(cpu.mxcsr);
    let f = sf::from_int::<D>(&mut env, v);
    commit(cpu, &env)?;
    set_low::<D>(&mut cpu.xmm[xr(op.r0)], f);
    Ok(())
}

/// CVT(T)SS2SI / CVT(T)SD2SI: low float lane to a GPR of width IW.
fn f2si<const S: u32, const IW: u32, const TRUNC: bool, const K: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let x = match K {
            0 => lane::<S>(cpu.xmm[xr(op.r1)], 0),
            _ => lane::<S>(src::<K>(cpu, op)?, 0),
        };
        let mut env = Env::new(cpu.mxcsr);
        let v = sf::to_int::<S, IW, TRUNC>(&mut env, x);
        commit(cpu, &env)?;
        cpu.put_r::<IW>(op.r0, v);
        Ok(())
    })
}

fn build_packed<C: Cvt + 'static>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    sel!(src_kind(i, false), packed::<C>, [0, 1, 3])
}

fn build_scalar<C: Cvt + 'static>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    sel!(src_kind(i, false), scalar::<C>, [0, 3, 4])
}

fn build_si2f<const D: u32, const IW: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { si2f::<D, IW, true> } else { si2f::<D, IW, false> })
}

pub(super) fn build_f2si<const S: u32, const IW: u32, const TRUNC: bool>(
    i: &Instruction,
    _: &mut Op,
) -> Option<Handler> {
    sel!(src_kind(i, false), f2si::<S, IW, TRUNC>, [0, 3, 4])
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Cvtsi2ss_xmm_rm32, build_si2f::<32, 32>);
    t.set(Code::Cvtsi2ss_xmm_rm64, build_si2f::<32, 64>);
    t.set(Code::Cvtsi2sd_xmm_rm32, build_si2f::<64, 32>);
    t.set(Code::Cvtsi2sd_xmm_rm64, build_si2f::<64, 64>);

    t.set(Code::Cvtss2si_r32_xmmm32, build_f2si::<32, 32, false>);
    t.set(Code::Cvtss2si_r64_xmmm32, build_f2si::<32, 64, false>);
    t.set(Code::Cvttss2si_r32_xmmm32, build_f2si::<32, 32, true>);
    t.set(Code::Cvttss2si_r64_xmmm32, build_f2si::<32, 64, true>);
    t.set(Code::Cvtsd2si_r32_xmmm64, build_f2si::<64, 32, false>);
    t.set(Code::Cvtsd2si_r64_xmmm64, build_f2si::<64, 64, false>);
    t.set(Code::Cvttsd2si_r32_xmmm64, build_f2si::<64, 32, true>);
    t.set(Code::Cvttsd2si_r64_xmmm64, build_f2si::<64, 64, true>);

    t.set(Code::Cvtss2sd_xmm_xmmm32, build_scalar::<F2F<32, 64>>);
    t.set(Code::Cvtsd2ss_xmm_xmmm64, build_scalar::<F2F<64, 32>>);
    t.set(Code::Cvtps2pd_xmm_xmmm64, build_packed::<F2F<32, 64>>);
    t.set(Code::Cvtpd2ps_xmm_xmmm128, build_packed::<F2F<64, 32>>);

    t.set(Code::Cvtdq2ps_xmm_xmmm128, build_packed::<I2F<32>>);
    t.set(Code::Cvtdq2pd_xmm_xmmm64, build_packed::<I2F<64>>);
    t.set(Code::Cvtps2dq_xmm_xmmm128, build_packed::<F2I<32, false>>);
    t.set(Code::Cvttps2dq_xmm_xmmm128, build_packed::<F2I<32, true>>);
    t.set(Code::Cvtpd2dq_xmm_xmmm128, build_packed::<F2I<64, false>>);
    t.set(Code::Cvttpd2dq_xmm_xmmm128, build_packed::<F2I<64, true>>);
}
