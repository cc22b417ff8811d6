//! Operand access shared by the SSE families: the source-operand kinds a builder picks
//! at decode time, lane helpers, and committing MXCSR flags (Intel SDM Vol. 1 §11.5,
//! Vol. 2 "SIMD Floating-Point Exceptions" and the legacy-SSE alignment rule: a 16-byte
//! memory operand must be 16-byte aligned unless the instruction says otherwise).

use super::has_mem;
use super::sse_float::Env;
use crate::decode::{Op, Stop};
use crate::state::Cpu;
use iced_x86::Instruction;

/// Source operand kinds, used as const generic arguments (literals, so that `sel!` can
/// use them both as patterns and as arguments).
/// 0: XMM register `r1`; 1: aligned m128; 2: unaligned m128; 3: m64; 4: m32; 5: m16.
pub(crate) const REG: u8 = 0;
pub(crate) const M128A: u8 = 1;
pub(crate) const M128U: u8 = 2;
pub(crate) const M64: u8 = 3;
pub(crate) const M32: u8 = 4;
pub(crate) const M16: u8 = 5;

/// The source kind of an instruction whose last XMM-or-memory operand is the source.
/// 16-byte memory operands are aligned-checked; callers pass `unaligned` for the forms
/// that allow any address (MOVUPS, MOVDQU...).
pub(crate) fn src_kind(i: &Instruction, unaligned: bool) -> u8 {
    if !has_mem(i) {
        return REG;
    }
    match i.memory_size().size() {
        16 if unaligned => M128U,
        16 => M128A,
        8 => M64,
        4 => M32,
        2 => M16,
        _ => 0xff,
    }
}

/// Picks `f::<generics..., K>` for the runtime kind `k` among the listed kinds.
macro_rules! sel {
    ($k:expr, $f:ident :: <$($g:tt),*>, [$($s:tt),*]) => {
        $crate::ops::sse_operand::sel!(@go $k, $f, ($($g),*), [$($s),*])
    };
    (@go $k:expr, $f:ident, $gs:tt, [$($s:tt),*]) => {
        match $k {
            $( $s => Some($crate::ops::sse_operand::sel!(@one $f, $gs, $s)), )*
            _ => None,
        }
    };
    (@one $f:ident, ($($g:tt),*), $s:tt) => {
        $f::<$($g,)* $s> as crate::decode::Handler
    };
}
pub(crate) use sel;

/// Reads the source operand of kind `S` (zero-extended to 128 bits for narrow memory).
#[inline(always)]
pub(crate) fn src<const S: u8>(cpu: &mut Cpu, op: &Op) -> Result<u128, Stop> {
    match S {
        REG => Ok(cpu.xmm[op.r1 as usize]),
        M128A => {
            let a = cpu.ea(op);
            if a & 15 != 0 {
                return Err(cpu.gp_fault());
            }
            cpu.ld128(a)
        }
        M128U => cpu.ld128(cpu.ea(op)),
        M64 => cpu.ld64(cpu.ea(op)).map(|v| v as u128),
        M32 => cpu.ld32(cpu.ea(op)).map(|v| v as u128),
        _ => cpu.ld16(cpu.ea(op)).map(|v| v as u128),
    }
}

/// Address of a 16-byte memory operand that must be aligned.
#[inline(always)]
pub(crate) fn aligned_ea(cpu: &mut Cpu, op: &Op) -> Result<u64, Stop> {
    let a = cpu.ea(op);
    if a & 15 != 0 {
        return Err(cpu.gp_fault());
    }
    Ok(a)
}

#[inline(always)]
pub(crate) const fn lane_mask(w: u32) -> u64 {
    if w >= 64 {
        u64::MAX
    } else {
        (1 << w) - 1
    }
}

#[inline(always)]
pub(crate) fn lane<const W: u32>(v: u128, i: u32) -> u64 {
    (v >> (i * W)) as u64 & lane_mask(W)
}

#[inline(always)]
pub(crate) fn with_lane<const W: u32>(v: u128, i: u32, x: u64) -> u128 {
    let m = (lane_mask(W) as u128) << (i * W);
    (v & !m) | (((x & lane_mask(W)) as u128) << (i * W))
}

/// Merges an instruction's flags into MXCSR, or raises #XM (SIGFPE) for an unmasked
/// exception; the caller writes the destination only on `Ok`.
#[inline(always)]
pub(crate) fn commit(cpu: &mut Cpu, env: &Env) -> Result<(), Stop> {
    match env.finish() {
        Ok(f) => {
            cpu.mxcsr |= f;
            Ok(())
        }
        Err(f) => Err(fp_exception(cpu, f)),
    }
}

#[cold]
fn fp_exception(cpu: &mut Cpu, f: u32) -> Stop {
    cpu.mxcsr |= f;
    Stop::FpException
}
