//! Operand access shared by the VEX families (AVX, AVX2, FMA, F16C, VAES...): YMM
//! registers, 256-bit memory operands, and the drivers that apply an SSE lane operation
//! to VEX operands. (Intel SDM Vol. 1 §14.1-14.9; Vol. 2 §2.3 "Intel Advanced Vector
//! Extensions (Intel AVX)": VEX.vvvv, VEX.L and §2.3.10 "AVX Instructions and the Upper
//! 128-bits of YMM registers".)
//!
//! Rules every VEX handler follows:
//! - a VEX.128 instruction that writes an XMM register zeroes bits 128..255 of the YMM
//!   register (`Cpu::put`); a VEX.256 one writes all 256 bits;
//! - memory operands need no alignment, except where the instruction says so
//!   (VMOVAPS/APD/DQA, VMOVNTxx: #GP on a misaligned 16- or 32-byte operand);
//! - the operation is the SSE one: each family file reuses the lane operations of its
//!   SSE counterpart, applied to each 128-bit lane for the VEX.256 forms the SDM defines
//!   lane by lane.
//!
//! Operand layout after a VEX builder's `nds` (see there): `r0` the destination, `r1`
//! the first source (VEX.vvvv), `r2` the second source when it is a register (ModRM.rm),
//! or the memory operand.

use super::has_mem;
use super::sse_mov::Shuf;
use super::sse_operand::xr;
use crate::decode::{Flow, Handler, Op, Stop};
use crate::exec::next_op;
use crate::state::{Cpu, ZERO_REG};
use iced_x86::{Instruction, OpKind};

/// A YMM value: bits 0..127, bits 128..255.
pub(crate) type Y = [u128; 2];

/// VEX source operand kinds (const generic arguments; literals so that `vsel!` can match
/// on them). 0: register `r2` (all 256 bits); 1: m256; 2: aligned m256; 3: m128;
/// 4: aligned m128; 5: m64; 6: m32; 7: m16; 8: m8. Narrow memory is zero-extended.
pub(crate) const VR: u8 = 0;
pub(crate) const M256: u8 = 1;
pub(crate) const M256A: u8 = 2;
pub(crate) const M128: u8 = 3;
pub(crate) const M128A: u8 = 4;
pub(crate) const M64: u8 = 5;
pub(crate) const M32: u8 = 6;
pub(crate) const M16: u8 = 7;
pub(crate) const M8: u8 = 8;

/// The source kind of a VEX instruction (register, or memory by its size). `aligned`:
/// the form requires its 16/32-byte memory operand aligned.
pub(crate) fn vkind(i: &Instruction, aligned: bool) -> u8 {
    if !has_mem(i) {
        return VR;
    }
    match i.memory_size().size() {
        32 if aligned => M256A,
        32 => M256,
        16 if aligned => M128A,
        16 => M128,
        8 => M64,
        4 => M32,
        2 => M16,
        1 => M8,
        _ => 0xff,
    }
}

/// Whether the instruction is a VEX.256 form: a YMM register or a 32-byte memory operand
/// (VCVTPD2PS xmm, m256 has no YMM register).
pub(crate) fn is_ymm(i: &Instruction) -> bool {
    (0..i.op_count()).any(|k| match i.op_kind(k) {
        OpKind::Register => i.op_register(k).is_ymm(),
        OpKind::Memory => i.memory_size().size() == 32,
        _ => false,
    })
}

/// Puts a decoded VEX op in the shared layout: a form without VEX.vvvv (one source,
/// `dst, src/m`) gets its register source moved to `r2`, so every driver finds the
/// ModRM.rm source there, and `r1` (the absent first source) reads register 0.
pub(crate) fn nds(i: &Instruction, op: &mut Op) {
    let vec_ops = (0..i.op_count())
        .filter(|&k| {
            let kind = i.op_kind(k);
            kind == OpKind::Memory || (kind == OpKind::Register && i.op_register(k).is_vector_register())
        })
        .count();
    if vec_ops == 2 {
        if !has_mem(i) {
            op.r2 = op.r1;
        }
        op.r1 = ZERO_REG;
    }
}

/// Picks `f::<generics..., Y2, S>` for the width (`y`: VEX.256) and source kind `k`.
macro_rules! vsel {
    ($y:expr, $k:expr, $f:ident, [$($s:tt),*]) => {
        if $y {
            $crate::ops::sse_operand::sel!($k, $f::<true>, [$($s),*])
        } else {
            $crate::ops::sse_operand::sel!($k, $f::<false>, [$($s),*])
        }
    };
    ($y:expr, $k:expr, $f:ident :: <$($g:tt),*>, [$($s:tt),*]) => {
        if $y {
            $crate::ops::sse_operand::sel!($k, $f::<$($g,)* true>, [$($s),*])
        } else {
            $crate::ops::sse_operand::sel!($k, $f::<$($g,)* false>, [$($s),*])
        }
    };
}
pub(crate) use vsel;

impl Cpu {
    /// YMM register `r` (a decoded operand, 0..15).
    #[inline(always)]
    pub(crate) fn ymm(&self, r: u8) -> Y {
        let r = xr(r);
        [self.xmm[r], self.ymmh[r]]
    }

    /// Writes a VEX destination: all 256 bits (`Y2`), or the low 128 with the upper half
    /// zeroed.
    #[inline(always)]
    pub(crate) fn put<const Y2: bool>(&mut self, r: u8, v: Y) {
        let r = xr(r);
        self.xmm[r] = v[0];
        self.ymmh[r] = if Y2 { v[1] } else { 0 };
    }

    /// Writes a VEX.128 destination (upper half zeroed).
    #[inline(always)]
    pub(crate) fn put_x(&mut self, r: u8, v: u128) {
        let r = xr(r);
        self.xmm[r] = v;
        self.ymmh[r] = 0;
    }
}

#[inline(always)]
fn rd<const N: usize>(cpu: &Cpu, a: u64) -> Option<Y> {
    let p = cpu.mem.fast_read_ptr::<N>(a)?;
    // SAFETY: `fast_read_ptr` checked that N bytes at p are in a live frame.
    Some(unsafe {
        match N {
            32 => [
                u128::from_le((p as *const u128).read_unaligned()),
                u128::from_le((p.add(16) as *const u128).read_unaligned()),
            ],
            16 => [u128::from_le((p as *const u128).read_unaligned()), 0],
            8 => [u64::from_le((p as *const u64).read_unaligned()) as u128, 0],
            4 => [u32::from_le((p as *const u32).read_unaligned()) as u128, 0],
            2 => [u16::from_le((p as *const u16).read_unaligned()) as u128, 0],
            _ => [*p as u128, 0],
        }
    })
}

/// The source operand of kind `S` when it is cheap: a register, or memory on a read-TLB
/// hit that needs no fault (aligned when the kind says so). `None` sends the caller to
/// `vsrc`, which loads through the slow path and faults properly.
#[inline(always)]
pub(crate) fn vsrc_fast<const S: u8>(cpu: &Cpu, op: &Op) -> Option<Y> {
    match S {
        VR => Some(cpu.ymm(op.r2)),
        M256 => rd::<32>(cpu, cpu.ea(op)),
        M256A => {
            let a = cpu.ea(op);
            if a & 31 != 0 {
                return None;
            }
            rd::<32>(cpu, a)
        }
        M128 => rd::<16>(cpu, cpu.ea(op)),
        M128A => {
            let a = cpu.ea(op);
            if a & 15 != 0 {
                return None;
            }
            rd::<16>(cpu, a)
        }
        M64 => rd::<8>(cpu, cpu.ea(op)),
        M32 => rd::<4>(cpu, cpu.ea(op)),
        M16 => rd::<2>(cpu, cpu.ea(op)),
        _ => rd::<1>(cpu, cpu.ea(op)),
    }
}

/// Loads `N` bytes at `a` (1..32) zero-extended, faulting as the hardware does.
pub(crate) fn load_y<const N: usize>(cpu: &mut Cpu, a: u64) -> Result<Y, Stop> {
    let mut b = [0u8; 32];
    cpu.ld_slow(a, &mut b[..N])?;
    Ok([
        u128::from_le_bytes(b[..16].try_into().expect("16 bytes")),
        u128::from_le_bytes(b[16..].try_into().expect("16 bytes")),
    ])
}

/// Stores the low `N` bytes (1..32) of `v` at `a`: fast on a write-TLB hit, else through
/// the slow path (which checks every page before writing any byte).
#[inline(always)]
pub(crate) fn store_y<const N: usize>(cpu: &mut Cpu, a: u64, v: Y) -> Flow {
    if let Some(p) = cpu.mem.fast_write_ptr::<N>(a) {
        // SAFETY: `fast_write_ptr` checked that N bytes at p are in a live, writable,
        // non-code frame.
        unsafe {
            match N {
                32 => {
                    (p as *mut u128).write_unaligned(v[0].to_le());
                    (p.add(16) as *mut u128).write_unaligned(v[1].to_le());
                }
                16 => (p as *mut u128).write_unaligned(v[0].to_le()),
                8 => (p as *mut u64).write_unaligned((v[0] as u64).to_le()),
                4 => (p as *mut u32).write_unaligned((v[0] as u32).to_le()),
                2 => (p as *mut u16).write_unaligned((v[0] as u16).to_le()),
                _ => *p = v[0] as u8,
            }
        }
        return Ok(());
    }
    store_y_slow::<N>(cpu, a, v)
}

#[cold]
#[inline(never)]
fn store_y_slow<const N: usize>(cpu: &mut Cpu, a: u64, v: Y) -> Flow {
    let mut b = [0u8; 32];
    b[..16].copy_from_slice(&v[0].to_le_bytes());
    b[16..].copy_from_slice(&v[1].to_le_bytes());
    cpu.st_slow(a, &b[..N])
}

#[cold]
#[inline(never)]
pub(crate) fn vsrc_slow<const S: u8>(cpu: &mut Cpu, op: &Op) -> Result<Y, Stop> {
    if S == VR {
        return Ok(cpu.ymm(op.r2));
    }
    let a = cpu.ea(op);
    match S {
        M256A | M128A if a & (if S == M256A { 31 } else { 15 }) != 0 => Err(cpu.gp_fault()),
        M256 | M256A => load_y::<32>(cpu, a),
        M128 | M128A => load_y::<16>(cpu, a),
        M64 => load_y::<8>(cpu, a),
        M32 => load_y::<4>(cpu, a),
        M16 => load_y::<2>(cpu, a),
        _ => load_y::<1>(cpu, a),
    }
}

/// The source operand of kind `S`, faulting as the hardware does.
#[inline(always)]
pub(crate) fn vsrc<const S: u8>(cpu: &mut Cpu, op: &Op) -> Result<Y, Stop> {
    match vsrc_fast::<S>(cpu, op) {
        Some(v) => Ok(v),
        None => vsrc_slow::<S>(cpu, op),
    }
}

/// A handler's whole body: runs `f` with the source of kind `S`, then the next op. The
/// slow load is a separate cold function, so a handler built on this needs no stack frame
/// on its fast path (see `sse_operand::with_src_next`).
#[inline(always)]
pub(crate) fn with_vsrc_next<const S: u8, F: Fn(&mut Cpu, &Op, Y) -> Flow>(
    cpu: &mut Cpu,
    op: &Op,
    f: F,
) -> Flow {
    match vsrc_fast::<S>(cpu, op) {
        Some(v) => {
            let r = f(cpu, op, v);
            next_op(cpu, op, r)
        }
        None => with_vsrc_slow::<S, F>(cpu, op, f),
    }
}

#[cold]
#[inline(never)]
fn with_vsrc_slow<const S: u8, F: Fn(&mut Cpu, &Op, Y) -> Flow>(cpu: &mut Cpu, op: &Op, f: F) -> Flow {
    let r = match vsrc_slow::<S>(cpu, op) {
        Ok(v) => f(cpu, op, v),
        Err(e) => Err(e),
    };
    next_op(cpu, op, r)
}

// ---- lane helpers over a whole YMM value ----

/// Element `i` of W bits across the 256-bit value.
#[inline(always)]
pub(crate) fn yget<const W: u32>(v: Y, i: u32) -> u64 {
    let per = 128 / W;
    super::sse_operand::lane::<W>(v[(i / per) as usize & 1], i % per)
}

/// `v` with element `i` of W bits replaced.
#[inline(always)]
pub(crate) fn yset<const W: u32>(v: &mut Y, i: u32, x: u64) {
    let per = 128 / W;
    let h = (i / per) as usize & 1;
    v[h] = super::sse_operand::with_lane::<W>(v[h], i % per, x);
}

// ---- the shared driver for SSE lane operations ----

/// `dst = O(src1, src2, imm8)` on each 128-bit lane (the low one only for VEX.128). The
/// upper lane sees imm8 shifted right by `HS` bits (VBLENDPS/PD, VSHUFPD, VPERMILPD,
/// VMPSADBW and VPBLENDD take separate immediate bits per lane; `HS` = 0 for the rest).
pub(crate) fn lanes<O: Shuf, const HS: u8, const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, b| {
        let a = cpu.ymm(op.r1);
        let imm = op.imm as u8;
        let lo = O::f(a[0], b[0], imm);
        let hi = if Y2 { O::f(a[1], b[1], imm >> HS) } else { 0 };
        cpu.put::<Y2>(op.r0, [lo, hi]);
        Ok(())
    })
}

/// Builder for `lanes` (any form: `dst, src1, src2/m [, imm8]` or `dst, src/m [, imm8]`).
pub(crate) fn build_lanes<O: Shuf + 'static>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), lanes::<O, 0>, [0, 1, 3])
}

/// `build_lanes` for the forms whose upper lane takes imm8 >> HS.
pub(crate) fn build_lanes_hs<O: Shuf + 'static, const HS: u8>(
    i: &Instruction,
    op: &mut Op,
) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), lanes::<O, HS>, [0, 1, 3])
}
