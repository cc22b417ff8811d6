//! Operand access shared by the SSE families: the source-operand kinds a builder picks
//! at decode time, lane helpers, and committing MXCSR flags (Intel SDM Vol. 1 §11.5,
//! Vol. 2 "SIMD Floating-Point Exceptions" and the legacy-SSE alignment rule: a 16-byte
//! memory operand must be 16-byte aligned unless the instruction says otherwise).

use super::has_mem;
use super::sse_float::Env;
use crate::decode::{Flow, Op, Stop};
use crate::exec::next_op;
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

/// Reads the source operand of kind `S` (zero-extended to 128 bits for narrow memory):
/// inline on a register or TLB hit, out of line (and possibly faulting) otherwise.
#[inline(always)]
pub(crate) fn src<const S: u8>(cpu: &mut Cpu, op: &Op) -> Result<u128, Stop> {
    match src_fast::<S>(cpu, op) {
        Some(v) => Ok(v),
        None => src_slow::<S>(cpu, op),
    }
}

/// A handler's whole body: runs `f` with the source operand of kind `S`, then the next
/// op (`next_op`). The slow load is a tail call to a separate function (which runs `f`
/// and the next op too), so a handler built on this needs no stack frame on its fast
/// path; `src` returns its value through memory and so forces one.
#[inline(always)]
pub(crate) fn with_src_next<const S: u8, F: Fn(&mut Cpu, &Op, u128) -> Flow>(
    cpu: &mut Cpu,
    op: &Op,
    f: F,
) -> Flow {
    match src_fast::<S>(cpu, op) {
        Some(v) => {
            let r = f(cpu, op, v);
            next_op(cpu, op, r)
        }
        None => with_src_slow::<S, F>(cpu, op, f),
    }
}

#[cold]
#[inline(never)]
fn with_src_slow<const S: u8, F: Fn(&mut Cpu, &Op, u128) -> Flow>(cpu: &mut Cpu, op: &Op, f: F) -> Flow {
    let r = match src_slow::<S>(cpu, op) {
        Ok(v) => f(cpu, op, v),
        Err(e) => Err(e),
    };
    next_op(cpu, op, r)
}

#[cold]
#[inline(never)]
fn src_slow<const S: u8>(cpu: &mut Cpu, op: &Op) -> Result<u128, Stop> {
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

/// The source operand of kind `S` when it can be had cheaply: a register, or memory on a
/// read-TLB hit that needs no fault (16-byte kinds aligned when `M128A`). `None` sends the
/// caller to its general path, which loads through `src` and faults properly. Handlers use
/// this on their hot path so that it needs no stack frame.
#[inline(always)]
pub(crate) fn src_fast<const S: u8>(cpu: &Cpu, op: &Op) -> Option<u128> {
    #[inline(always)]
    fn rd<const N: usize>(cpu: &Cpu, a: u64) -> Option<u128> {
        let p = cpu.mem.fast_read_ptr::<N>(a)?;
        // SAFETY: `fast_read_ptr` checked that N bytes at p are in a live frame.
        Some(unsafe {
            match N {
                16 => u128::from_le((p as *const u128).read_unaligned()),
                8 => u64::from_le((p as *const u64).read_unaligned()) as u128,
                4 => u32::from_le((p as *const u32).read_unaligned()) as u128,
                _ => u16::from_le((p as *const u16).read_unaligned()) as u128,
            }
        })
    }
    match S {
        REG => Some(cpu.xmm[xr(op.r1)]),
        M128A => {
            let a = cpu.ea(op);
            if a & 15 != 0 {
                return None;
            }
            rd::<16>(cpu, a)
        }
        M128U => rd::<16>(cpu, cpu.ea(op)),
        M64 => rd::<8>(cpu, cpu.ea(op)),
        M32 => rd::<4>(cpu, cpu.ea(op)),
        _ => rd::<2>(cpu, cpu.ea(op)),
    }
}

/// An XMM register operand as an index into `Cpu::xmm`. Decoded XMM operands are 0..15;
/// the mask only lets the compiler drop the bounds check.
#[inline(always)]
pub(crate) fn xr(r: u8) -> usize {
    (r & 15) as usize
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

/// Writes the low W-bit lane of `x`, leaving the rest. On little-endian hosts this is one
/// narrow store rather than a read-modify-write of all 128 bits.
#[inline(always)]
pub(crate) fn set_low<const W: u32>(x: &mut u128, v: u64) {
    #[cfg(target_endian = "little")]
    {
        let p = x as *mut u128;
        // SAFETY: the low W bits of a little-endian u128 are its first W/8 bytes.
        unsafe {
            match W {
                32 => *(p as *mut u32) = v as u32,
                _ => *(p as *mut u64) = v,
            }
        }
    }
    #[cfg(not(target_endian = "little"))]
    {
        *x = with_lane::<W>(*x, 0, v);
    }
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
