//! SSE/SSE2 floating-point arithmetic, comparison and logic: ADD SUB MUL DIV MIN MAX SQRT
//! {PS,PD,SS,SD}, CMP{PS,PD,SS,SD} (8 predicates), COMISS/UCOMISS/COMISD/UCOMISD,
//! AND/ANDN/OR/XOR {PS,PD}. (Intel SDM Vol. 2, each mnemonic; Vol. 1 §11.5.)
//!
//! Arithmetic has a fast path on host floats when MXCSR has its default controls and
//! every operand is a normal or zero well away from overflow and underflow: then the host
//! result is the IEEE result, and exactness (the only flag possible, PE) is checked with
//! exact integer or error-free arithmetic. Anything else goes through `sse_float`.

use super::sse_float::{self as sf, Cmp, Env, CTRL_DEFAULT, CTRL_MASK, PE};
use super::sse_operand::{commit, lane, sel, set_low, src, src_fast, src_kind, with_lane, with_src_next, xr};
use super::Table;
use crate::decode::{Flow, Handler, Op, Stop};
use crate::exec::{and_next, next_op};
use crate::flags::{CcOp, LazyFlags, CF, PF, ZF};
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

/// One lane operation: `fast` returns (result, inexact) or None to take the exact path.
/// With `X` false the caller does not need to know whether the result is inexact (PE is
/// already set, and it is sticky), so the check is skipped and `false` returned.
///
/// `hot` is the cheaper case once PE is set under default controls: with both operands
/// normal (not zero, denormal, infinite or NaN) only overflow, underflow and the invalid
/// cases can raise a flag other than the sticky PE, so a result away from them is the
/// whole answer. Zeros and the rest go on to `fast` and `slow`.
pub(crate) trait Arith {
    fn hot<const W: u32>(a: u64, b: u64) -> Option<u64>;
    fn fast<const W: u32, const X: bool>(a: u64, b: u64) -> Option<(u64, bool)>;
    fn slow<const W: u32>(env: &mut Env, a: u64, b: u64) -> u64;
}

/// A normal number: not zero, denormal, infinite or NaN.
#[inline(always)]
pub(crate) fn norm<const W: u32>(x: u64) -> bool {
    if W == 32 {
        ((x >> 23) & 0xff).wrapping_sub(1) < 0xfe
    } else {
        ((x >> 52) & 0x7ff).wrapping_sub(1) < 0x7fe
    }
}

/// A nonzero exponent field: not zero or denormal (may be infinite or NaN).
#[inline(always)]
fn nz_exp<const W: u32>(x: u64) -> bool {
    x & (if W == 32 { 0x7f80_0000 } else { 0x7ff0 << 48 }) != 0
}

/// A finite value (exponent field not all ones).
#[inline(always)]
fn finite<const W: u32>(x: u64) -> bool {
    let m = if W == 32 { 0x7f80_0000 } else { 0x7ff0 << 48 };
    x & m != m
}

/// Both operands normal.
#[inline(always)]
fn norm2<const W: u32>(a: u64, b: u64) -> bool {
    norm::<W>(a) && norm::<W>(b)
}

#[inline(always)]
fn f32b(x: u64) -> f32 {
    f32::from_bits(x as u32)
}

/// A `hot` result of mul or div: normal and at least twice the smallest normal (so no
/// underflow whatever the tininess rule), finite.
#[inline(always)]
fn hot_res<const W: u32>(r32: f32, r64: f64) -> Option<u64> {
    if W == 32 {
        res32(r32).then_some(r32.to_bits() as u64)
    } else {
        res64(r64).then_some(r64.to_bits())
    }
}

// Normal or zero operand.
#[inline(always)]
fn ok32(x: u64) -> bool {
    ((x >> 23) & 0xff).wrapping_sub(1) < 254 || x & 0x7fff_ffff == 0
}

#[inline(always)]
fn ok64(x: u64) -> bool {
    ((x >> 52) & 0x7ff).wrapping_sub(1) < 0x7fe || x << 1 == 0
}

// A result at least twice the smallest normal: no underflow, whatever the tininess rule.
#[inline(always)]
fn res32(r: f32) -> bool {
    ((r.to_bits() >> 23) & 0xff).wrapping_sub(2) < 253
}

#[inline(always)]
fn res64(r: f64) -> bool {
    ((r.to_bits() >> 52) & 0x7ff).wrapping_sub(2) < 0x7fd
}

#[inline(always)]
fn sig64(x: u64) -> u128 {
    ((x & ((1 << 52) - 1)) | 1 << 52) as u128
}

/// The odd part of a nonzero integer.
#[inline(always)]
fn odd(x: u128) -> u128 {
    x >> x.trailing_zeros()
}

#[inline(always)]
fn f32of(x: u64) -> f64 {
    f32::from_bits(x as u32) as f64
}

/// a + b with its rounding error (Knuth's TwoSum, exact without overflow).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bp = s - a;
    let ap = s - bp;
    (s, (a - ap) + (b - bp))
}

pub(super) struct Add<const SUB: bool>;
impl<const SUB: bool> Arith for Add<SUB> {
    #[inline(always)]
    fn hot<const W: u32>(a: u64, b: u64) -> Option<u64> {
        // Zero and denormal operands are excluded up front (a denormal raises DE); an
        // infinite or NaN operand makes the result infinite or NaN, excluded with
        // overflow by the finiteness test. A sum of normals that comes out tiny is exact,
        // so it cannot underflow.
        if !(nz_exp::<W>(a) && nz_exp::<W>(b)) {
            return None;
        }
        let r = if W == 32 {
            (if SUB { f32b(a) - f32b(b) } else { f32b(a) + f32b(b) }).to_bits() as u64
        } else {
            let (fa, fb) = (f64::from_bits(a), f64::from_bits(b));
            (if SUB { fa - fb } else { fa + fb }).to_bits()
        };
        finite::<W>(r).then_some(r)
    }
    #[inline(always)]
    fn fast<const W: u32, const X: bool>(a: u64, b: u64) -> Option<(u64, bool)> {
        if W == 32 {
            if !(ok32(a) && ok32(b)) {
                return None;
            }
            let fb = if SUB { -f32of(b) } else { f32of(b) };
            // The f64 sum then rounding to f32 is correctly rounded (53 >= 2*24+2).
            let (s, err) = if X { two_sum(f32of(a), fb) } else { (f32of(a) + fb, 0.0) };
            let r = s as f32;
            if !(res32(r) || s == 0.0) {
                return None;
            }
            Some((r.to_bits() as u64, X && (err != 0.0 || r as f64 != s)))
        } else {
            if !(ok64(a) && ok64(b)) {
                return None;
            }
            let fb = if SUB { -f64::from_bits(b) } else { f64::from_bits(b) };
            let (s, err) = if X { two_sum(f64::from_bits(a), fb) } else { (f64::from_bits(a) + fb, 0.0) };
            if !(res64(s) || s == 0.0) {
                return None;
            }
            Some((s.to_bits(), X && err != 0.0))
        }
    }
    fn slow<const W: u32>(env: &mut Env, a: u64, b: u64) -> u64 {
        sf::add::<W, SUB>(env, a, b)
    }
}

pub(super) struct Mul;
impl Arith for Mul {
    #[inline(always)]
    fn hot<const W: u32>(a: u64, b: u64) -> Option<u64> {
        // Zero and denormal operands are excluded up front; an infinite or NaN operand
        // gives an infinite, NaN or zero result, which `hot_res` refuses with overflow
        // and underflow.
        if !(nz_exp::<W>(a) && nz_exp::<W>(b)) {
            return None;
        }
        if W == 32 {
            hot_res::<W>(f32b(a) * f32b(b), 0.0)
        } else {
            hot_res::<W>(0.0, f64::from_bits(a) * f64::from_bits(b))
        }
    }
    #[inline(always)]
    fn fast<const W: u32, const X: bool>(a: u64, b: u64) -> Option<(u64, bool)> {
        if W == 32 {
            if !(ok32(a) && ok32(b)) {
                return None;
            }
            let p = f32of(a) * f32of(b); // exact: 48 significant bits
            let r = p as f32;
            if !(res32(r) || p == 0.0) {
                return None;
            }
            Some((r.to_bits() as u64, X && r as f64 != p))
        } else {
            if !(ok64(a) && ok64(b)) {
                return None;
            }
            let r = f64::from_bits(a) * f64::from_bits(b);
            if a << 1 == 0 || b << 1 == 0 {
                return Some((r.to_bits(), false));
            }
            if !res64(r) {
                return None;
            }
            if !X {
                return Some((r.to_bits(), false));
            }
            let p = sig64(a) * sig64(b);
            Some((r.to_bits(), 128 - p.leading_zeros() - p.trailing_zeros() > 53))
        }
    }
    fn slow<const W: u32>(env: &mut Env, a: u64, b: u64) -> u64 {
        sf::mul::<W>(env, a, b)
    }
}

pub(super) struct Div;
impl Arith for Div {
    #[inline(always)]
    fn hot<const W: u32>(a: u64, b: u64) -> Option<u64> {
        // Zero and denormal operands are excluded up front; an infinite or NaN operand
        // gives an infinite, NaN or zero result, which `hot_res` refuses with overflow
        // and underflow.
        if !(nz_exp::<W>(a) && nz_exp::<W>(b)) {
            return None;
        }
        if W == 32 {
            hot_res::<W>(f32b(a) / f32b(b), 0.0)
        } else {
            hot_res::<W>(0.0, f64::from_bits(a) / f64::from_bits(b))
        }
    }
    #[inline(always)]
    fn fast<const W: u32, const X: bool>(a: u64, b: u64) -> Option<(u64, bool)> {
        if W == 32 {
            if !(ok32(a) && ok32(b)) || b & 0x7fff_ffff == 0 {
                return None;
            }
            let (fa, fb) = (f32of(a), f32of(b));
            let r = (fa / fb) as f32;
            if !(res32(r) || fa == 0.0) {
                return None;
            }
            Some((r.to_bits() as u64, X && r as f64 * fb != fa))
        } else {
            if !(ok64(a) && ok64(b)) || b << 1 == 0 {
                return None;
            }
            let q = f64::from_bits(a) / f64::from_bits(b);
            if a << 1 == 0 {
                return Some((q.to_bits(), false));
            }
            if !res64(q) {
                return None;
            }
            if !X {
                return Some((q.to_bits(), false));
            }
            // q*b == a exactly iff the odd parts of the significands agree (q is within an
            // ulp of a/b, so no power of two can separate them).
            let exact = odd(sig64(q.to_bits()) * sig64(b)) == odd(sig64(a));
            Some((q.to_bits(), !exact))
        }
    }
    fn slow<const W: u32>(env: &mut Env, a: u64, b: u64) -> u64 {
        sf::div::<W>(env, a, b)
    }
}

/// SQRT: the result depends on the source (`b`) only.
pub(super) struct Sqrt;
impl Arith for Sqrt {
    #[inline(always)]
    fn hot<const W: u32>(_: u64, b: u64) -> Option<u64> {
        // The root of a positive normal is normal.
        if !norm::<W>(b) || b >> (W - 1) & 1 != 0 {
            return None;
        }
        Some(if W == 32 { f32b(b).sqrt().to_bits() as u64 } else { f64::from_bits(b).sqrt().to_bits() })
    }
    #[inline(always)]
    fn fast<const W: u32, const X: bool>(_: u64, b: u64) -> Option<(u64, bool)> {
        if W == 32 {
            if !ok32(b) || (b & 0x8000_0000 != 0 && b != 0x8000_0000) {
                return None;
            }
            let fb = f32of(b);
            let r = fb.sqrt() as f32;
            Some((r.to_bits() as u64, X && r as f64 * r as f64 != fb))
        } else {
            if !ok64(b) || (b >> 63 != 0 && b << 1 != 0) {
                return None;
            }
            let r = f64::from_bits(b).sqrt();
            if b << 1 == 0 {
                return Some((r.to_bits(), false));
            }
            if !X {
                return Some((r.to_bits(), false));
            }
            let m = sig64(r.to_bits());
            Some((r.to_bits(), odd(m * m) != odd(sig64(b))))
        }
    }
    fn slow<const W: u32>(env: &mut Env, _: u64, b: u64) -> u64 {
        sf::sqrt::<W>(env, b)
    }
}

pub(super) struct MinMax<const MAX: bool>;
impl<const MAX: bool> Arith for MinMax<MAX> {
    /// MIN/MAX return the second operand unless the first compares below (above) it.
    #[inline(always)]
    fn hot<const W: u32>(a: u64, b: u64) -> Option<u64> {
        if !norm2::<W>(a, b) {
            return None;
        }
        let first = if W == 32 {
            if MAX {
                f32b(a) > f32b(b)
            } else {
                f32b(a) < f32b(b)
            }
        } else if MAX {
            f64::from_bits(a) > f64::from_bits(b)
        } else {
            f64::from_bits(a) < f64::from_bits(b)
        };
        Some(if first { a } else { b })
    }
    #[inline(always)]
    fn fast<const W: u32, const X: bool>(a: u64, b: u64) -> Option<(u64, bool)> {
        Self::hot::<W>(a, b).map(|r| (r, false))
    }
    fn slow<const W: u32>(env: &mut Env, a: u64, b: u64) -> u64 {
        sf::minmax::<W, MAX>(env, a, b)
    }
}

/// `Arith::hot` over `n` lanes, or None if some lane needs more.
#[inline(always)]
pub(super) fn hot_lanes<O: Arith, const W: u32>(a: u128, b: u128, n: u32) -> Option<u128> {
    let mut r = a;
    for i in 0..n {
        r = with_lane::<W>(r, i, O::hot::<W>(lane::<W>(a, i), lane::<W>(b, i))?);
    }
    Some(r)
}

/// The fast path over `n` lanes: the result and whether any lane was inexact, or None
/// if some lane needs the exact path.
#[inline(always)]
pub(super) fn fast_lanes<O: Arith, const W: u32, const X: bool>(
    a: u128,
    b: u128,
    n: u32,
) -> Option<(u128, bool)> {
    let mut r = a;
    let mut pe = false;
    for i in 0..n {
        let (v, inexact) = O::fast::<W, X>(lane::<W>(a, i), lane::<W>(b, i))?;
        r = with_lane::<W>(r, i, v);
        pe |= inexact;
    }
    Some((r, pe))
}

/// Packed (`P`) or scalar arithmetic on W-bit lanes, source kind `S`: the hot path.
/// Once PE is set (it is sticky, and almost every program sets it early) under default
/// controls, a fast lane result is the whole story; everything else (PE still clear,
/// other controls, a TLB miss, a lane that needs the exact path) goes to `arith_general`,
/// kept out of line so that this path needs no stack frame.
fn arith<O: Arith, const W: u32, const P: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    if cpu.mxcsr & (CTRL_MASK | PE) == CTRL_DEFAULT | PE {
        if let Some(b) = src_fast::<S>(cpu, op) {
            let d = xr(op.r0);
            if P {
                if let Some(r) = hot_lanes::<O, W>(cpu.xmm[d], b, 128 / W) {
                    cpu.xmm[d] = r;
                    return next_op(cpu, op, Ok(()));
                }
            } else if let Some(r) = O::hot::<W>(lane::<W>(cpu.xmm[d], 0), b as u64) {
                set_low::<W>(&mut cpu.xmm[d], r);
                return next_op(cpu, op, Ok(()));
            }
        }
    }
    arith_general::<O, W, P, S>(cpu, op)
}

#[inline(never)]
fn arith_general<O: Arith, const W: u32, const P: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = src::<S>(cpu, op)?;
        let d = xr(op.r0);
        let a = cpu.xmm[d];
        let n = if P { 128 / W } else { 1 };
        if cpu.mxcsr & CTRL_MASK == CTRL_DEFAULT {
            let done = if cpu.mxcsr & PE != 0 {
                fast_lanes::<O, W, false>(a, b, n)
            } else {
                fast_lanes::<O, W, true>(a, b, n)
            };
            if let Some((r, pe)) = done {
                cpu.xmm[d] = r;
                if pe {
                    cpu.mxcsr |= PE;
                }
                return Ok(());
            }
        }
        let mut env = Env::new(cpu.mxcsr);
        let mut r = a;
        for i in 0..n {
            r = with_lane::<W>(r, i, O::slow::<W>(&mut env, lane::<W>(a, i), lane::<W>(b, i)));
        }
        commit(cpu, &env)?;
        cpu.xmm[d] = r;
        Ok(())
    })
}

fn build_arith<O: Arith + 'static, const W: u32, const P: bool>(
    i: &Instruction,
    _: &mut Op,
) -> Option<Handler> {
    sel!(src_kind(i, false), arith::<O, W, P>, [0, 1, 3, 4])
}

// ---- CMPccPS/PD/SS/SD ----

/// The comparison of two normal-or-zero operands, which raises nothing whatever MXCSR
/// says (only NaNs and, with DAZ off, denormals raise IE or DE); None for the others.
#[inline(always)]
pub(super) fn cmp_quiet<const W: u32>(a: u64, b: u64) -> Option<Cmp> {
    let (lt, eq) = if W == 32 {
        if !(ok32(a) && ok32(b)) {
            return None;
        }
        (f32b(a) < f32b(b), f32b(a) == f32b(b))
    } else {
        if !(ok64(a) && ok64(b)) {
            return None;
        }
        (f64::from_bits(a) < f64::from_bits(b), f64::from_bits(a) == f64::from_bits(b))
    };
    Some(if lt {
        Cmp::Lt
    } else if eq {
        Cmp::Eq
    } else {
        Cmp::Gt
    })
}

#[inline(always)]
fn pred_holds(pred: u64, c: Cmp) -> bool {
    match pred {
        0 => c == Cmp::Eq,
        1 => c == Cmp::Lt,
        2 => c == Cmp::Lt || c == Cmp::Eq,
        3 => c == Cmp::Un,
        4 => c != Cmp::Eq,
        5 => c != Cmp::Lt,
        6 => !(c == Cmp::Lt || c == Cmp::Eq),
        _ => c != Cmp::Un,
    }
}

#[inline(always)]
fn cmp_pred<const W: u32>(env: &mut Env, pred: u64, a: u64, b: u64) -> bool {
    // Predicates 1, 2, 5, 6 (LT LE NLT NLE) signal on QNaN.
    let c = if matches!(pred, 1 | 2 | 5 | 6) {
        sf::compare::<W, true>(env, a, b)
    } else {
        sf::compare::<W, false>(env, a, b)
    };
    pred_holds(pred, c)
}

fn cmp<const W: u32, const P: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_src_next::<S, _>(cpu, op, cmp_with::<W, P>)
}

#[inline(always)]
fn cmp_with<const W: u32, const P: bool>(cpu: &mut Cpu, op: &Op, b: u128) -> Flow {
    let d = xr(op.r0);
    let a = cpu.xmm[d];
    let n = if P { 128 / W } else { 1 };
    let pred = op.imm & 7;
    let mut r = a;
    for i in 0..n {
        match cmp_quiet::<W>(lane::<W>(a, i), lane::<W>(b, i)) {
            Some(c) => r = with_lane::<W>(r, i, if pred_holds(pred, c) { u64::MAX } else { 0 }),
            None => return cmp_general::<W, P>(cpu, op, a, b),
        }
    }
    cpu.xmm[d] = r;
    Ok(())
}

/// CMPcc with a NaN or denormal lane: every lane through `sf::compare` and MXCSR.
#[inline(never)]
fn cmp_general<const W: u32, const P: bool>(cpu: &mut Cpu, op: &Op, a: u128, b: u128) -> Flow {
    let n = if P { 128 / W } else { 1 };
    let pred = op.imm & 7;
    let mut env = Env::new(cpu.mxcsr);
    let mut r = a;
    for i in 0..n {
        let t = cmp_pred::<W>(&mut env, pred, lane::<W>(a, i), lane::<W>(b, i));
        r = with_lane::<W>(r, i, if t { u64::MAX } else { 0 });
    }
    commit(cpu, &env)?;
    cpu.xmm[xr(op.r0)] = r;
    Ok(())
}

fn build_cmp<const W: u32, const P: bool>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    // Legacy SSE ignores imm8[7:3] (only VEX widens the predicate).
    sel!(src_kind(i, false), cmp::<W, P>, [0, 1, 3, 4])
}

// ---- COMISS/UCOMISS/COMISD/UCOMISD ----

pub(super) fn comis<const W: u32, const SIGNALING: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_src_next::<S, _>(cpu, op, comis_with::<W, SIGNALING>)
}

#[inline(always)]
fn comis_with<const W: u32, const SIGNALING: bool>(cpu: &mut Cpu, op: &Op, b: u128) -> Flow {
    let b = lane::<W>(b, 0);
    let a = lane::<W>(cpu.xmm[xr(op.r0)], 0);
    let c = match cmp_quiet::<W>(a, b) {
        Some(c) => c,
        None => comis_general::<W, SIGNALING>(cpu, a, b)?,
    };
    let f = match c {
        Cmp::Un => ZF | PF | CF,
        Cmp::Gt => 0,
        Cmp::Lt => CF,
        Cmp::Eq => ZF,
    };
    // All six status flags are written (the other three cleared): nothing to merge.
    cpu.lf = LazyFlags { op: CcOp::Eflags, res: f, ..LazyFlags::default() };
    Ok(())
}

#[inline(never)]
fn comis_general<const W: u32, const SIGNALING: bool>(cpu: &mut Cpu, a: u64, b: u64) -> Result<Cmp, Stop> {
    let mut env = Env::new(cpu.mxcsr);
    let c = sf::compare::<W, SIGNALING>(&mut env, a, b);
    commit(cpu, &env)?;
    Ok(c)
}

pub(super) fn build_comis<const W: u32, const SIGNALING: bool>(
    i: &Instruction,
    _: &mut Op,
) -> Option<Handler> {
    sel!(src_kind(i, false), comis::<W, SIGNALING>, [0, 3, 4])
}

// ---- AND ANDN OR XOR (PS/PD are the same bitwise operation) ----

pub(crate) const AND: u8 = 0;
pub(crate) const ANDN: u8 = 1;
pub(crate) const OR: u8 = 2;
pub(crate) const XOR: u8 = 3;

#[inline(always)]
pub(crate) fn logic_op<const L: u8>(a: u128, b: u128) -> u128 {
    match L {
        AND => a & b,
        ANDN => !a & b,
        OR => a | b,
        _ => a ^ b,
    }
}

pub(crate) fn logic<const L: u8, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_src_next::<S, _>(cpu, op, |cpu, op, b| {
        let d = xr(op.r0);
        cpu.xmm[d] = logic_op::<L>(cpu.xmm[d], b);
        Ok(())
    })
}

/// XOR (or ANDN) of a register with itself: the zeroing idiom compilers emit before
/// every scalar conversion.
fn zero(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.xmm[xr(op.r0)] = 0;
        Ok(())
    })
}

pub(crate) fn build_logic<const L: u8>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let k = src_kind(i, false);
    if k == 0 && (L == XOR || L == ANDN) && i.op0_register() == i.op1_register() {
        return Some(zero);
    }
    sel!(k, logic::<L>, [0, 1])
}

pub(super) fn register(t: &mut Table) {
    macro_rules! arith4 {
        ($o:ty, $ps:ident, $pd:ident, $ss:ident, $sd:ident) => {
            t.set(Code::$ps, build_arith::<$o, 32, true>);
            t.set(Code::$pd, build_arith::<$o, 64, true>);
            t.set(Code::$ss, build_arith::<$o, 32, false>);
            t.set(Code::$sd, build_arith::<$o, 64, false>);
        };
    }
    arith4!(Add<false>, Addps_xmm_xmmm128, Addpd_xmm_xmmm128, Addss_xmm_xmmm32, Addsd_xmm_xmmm64);
    arith4!(Add<true>, Subps_xmm_xmmm128, Subpd_xmm_xmmm128, Subss_xmm_xmmm32, Subsd_xmm_xmmm64);
    arith4!(Mul, Mulps_xmm_xmmm128, Mulpd_xmm_xmmm128, Mulss_xmm_xmmm32, Mulsd_xmm_xmmm64);
    arith4!(Div, Divps_xmm_xmmm128, Divpd_xmm_xmmm128, Divss_xmm_xmmm32, Divsd_xmm_xmmm64);
    arith4!(Sqrt, Sqrtps_xmm_xmmm128, Sqrtpd_xmm_xmmm128, Sqrtss_xmm_xmmm32, Sqrtsd_xmm_xmmm64);
    arith4!(MinMax<false>, Minps_xmm_xmmm128, Minpd_xmm_xmmm128, Minss_xmm_xmmm32, Minsd_xmm_xmmm64);
    arith4!(MinMax<true>, Maxps_xmm_xmmm128, Maxpd_xmm_xmmm128, Maxss_xmm_xmmm32, Maxsd_xmm_xmmm64);

    t.set(Code::Cmpps_xmm_xmmm128_imm8, build_cmp::<32, true>);
    t.set(Code::Cmppd_xmm_xmmm128_imm8, build_cmp::<64, true>);
    t.set(Code::Cmpss_xmm_xmmm32_imm8, build_cmp::<32, false>);
    t.set(Code::Cmpsd_xmm_xmmm64_imm8, build_cmp::<64, false>);

    t.set(Code::Comiss_xmm_xmmm32, build_comis::<32, true>);
    t.set(Code::Ucomiss_xmm_xmmm32, build_comis::<32, false>);
    t.set(Code::Comisd_xmm_xmmm64, build_comis::<64, true>);
    t.set(Code::Ucomisd_xmm_xmmm64, build_comis::<64, false>);

    for (c, l) in [
        (Code::Andps_xmm_xmmm128, AND),
        (Code::Andpd_xmm_xmmm128, AND),
        (Code::Andnps_xmm_xmmm128, ANDN),
        (Code::Andnpd_xmm_xmmm128, ANDN),
        (Code::Orps_xmm_xmmm128, OR),
        (Code::Orpd_xmm_xmmm128, OR),
        (Code::Xorps_xmm_xmmm128, XOR),
        (Code::Xorpd_xmm_xmmm128, XOR),
    ] {
        let b: super::Builder = match l {
            AND => build_logic::<AND>,
            ANDN => build_logic::<ANDN>,
            OR => build_logic::<OR>,
            _ => build_logic::<XOR>,
        };
        t.set(c, b);
    }
}
