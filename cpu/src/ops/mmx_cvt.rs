//! Conversions between MMX doublewords and SSE floats: CVTPI2PS, CVTPI2PD, CVTPS2PI,
//! CVTTPS2PI, CVTPD2PI, CVTTPD2PI. (Intel SDM Vol. 2, each mnemonic.) Rounding and MXCSR
//! flags come from the SSE soft-float model (`sse_float.rs`); an unmasked exception
//! raises #XM and leaves the destination alone, but (as on the host) the x87 unit has
//! already switched to MMX mode when an MM operand is involved.
//!
//! An MM operand switches the x87 unit to MMX mode (see `mmx.rs`), after #MF for a
//! pending x87 exception. With a memory source, CVTPI2PS and CVTPI2PD touch no MM
//! register and the host leaves the x87 state as it was (the SDM says so for CVTPI2PD).

use super::mmx::{enter, mm, put_mm};
use super::sse_float::{self as sf, Env};
use super::sse_operand::{aligned_ea, commit};
use super::x87_core::wait;
use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

#[inline(always)]
fn i2f<const D: u32>(env: &mut Env, x: u64) -> u64 {
    sf::from_int::<D>(env, x as u32 as i32 as i64)
}

/// The two packed int32 sources of CVTPI2PS/PD: a memory source does not touch the x87
/// state; an MM register source first takes a pending x87 exception.
#[inline(always)]
fn int_source<const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Result<u64, crate::decode::Stop> {
    if MEM {
        cpu.ld64(cpu.ea(op))
    } else {
        wait(cpu)?;
        Ok(mm(cpu, op.r1))
    }
}

/// CVTPI2PS xmm, mm/m64: two floats into the low half; the high half is kept.
fn cvtpi2ps<const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let s = int_source::<MEM>(cpu, op)?;
        let mut env = Env::new(cpu.mxcsr);
        let lo = i2f::<32>(&mut env, s);
        let hi = i2f::<32>(&mut env, s >> 32);
        if !MEM {
            enter(cpu);
        }
        commit(cpu, &env)?;
        let d = op.r0 as usize;
        cpu.xmm[d] = (cpu.xmm[d] & !(u64::MAX as u128)) | (lo | hi << 32) as u128;
        Ok(())
    })
}

/// CVTPI2PD xmm, mm/m64: exact, so no MXCSR flags.
fn cvtpi2pd<const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let s = int_source::<MEM>(cpu, op)?;
        let mut env = Env::new(cpu.mxcsr);
        let lo = i2f::<64>(&mut env, s);
        let hi = i2f::<64>(&mut env, s >> 32);
        if !MEM {
            enter(cpu);
        }
        cpu.xmm[op.r0 as usize] = lo as u128 | (hi as u128) << 64;
        Ok(())
    })
}

/// CVT(T)PS2PI mm, xmm/m64 (`S` = 32) and CVT(T)PD2PI mm, xmm/m128 (`S` = 64, the
/// memory operand 16-byte aligned).
fn f2pi<const S: u32, const TRUNC: bool, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let (a, b) = if S == 32 {
            let v = if MEM { cpu.ld64(cpu.ea(op))? } else { cpu.xmm[op.r1 as usize] as u64 };
            (v & 0xffff_ffff, v >> 32)
        } else {
            let v = if MEM {
                let ea = aligned_ea(cpu, op)?;
                cpu.ld128(ea)?
            } else {
                cpu.xmm[op.r1 as usize]
            };
            (v as u64, (v >> 64) as u64)
        };
        let mut env = Env::new(cpu.mxcsr);
        let lo = sf::to_int::<S, 32, TRUNC>(&mut env, a);
        let hi = sf::to_int::<S, 32, TRUNC>(&mut env, b);
        enter(cpu);
        commit(cpu, &env)?;
        put_mm(cpu, op.r0, lo | hi << 32);
        Ok(())
    })
}

fn build_f2pi<const S: u32, const TRUNC: bool>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { f2pi::<S, TRUNC, true> } else { f2pi::<S, TRUNC, false> })
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Cvtpi2ps_xmm_mmm64, |i, _| {
        Some(if has_mem(i) { cvtpi2ps::<true> } else { cvtpi2ps::<false> })
    });
    t.set(Code::Cvtpi2pd_xmm_mmm64, |i, _| {
        Some(if has_mem(i) { cvtpi2pd::<true> } else { cvtpi2pd::<false> })
    });
    t.set(Code::Cvtps2pi_mm_xmmm64, build_f2pi::<32, false>);
    t.set(Code::Cvttps2pi_mm_xmmm64, build_f2pi::<32, true>);
    t.set(Code::Cvtpd2pi_mm_xmmm128, build_f2pi::<64, false>);
    t.set(Code::Cvttpd2pi_mm_xmmm128, build_f2pi::<64, true>);
}
