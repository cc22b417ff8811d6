//! x87 arithmetic: FADD FSUB FSUBR FMUL FDIV FDIVR in every form (ST(0),ST(i) /
//! ST(i),ST(0) / popping / m32fp / m64fp) and FIADD..FIDIVR (m16int/m32int); FCHS FABS
//! FSQRT FRNDINT FSCALE FXTRACT FPREM FPREM1. (Intel SDM Vol. 2 mnemonics; Vol. 1 4.9,
//! 8.3.5-8.3.7.)
//!
//! PC applies to FADD..FDIVR, their integer forms and FSQRT only; the rest round to 64
//! bits (SDM 8.1.5.2).

use super::x87_core::{
    denormal_ok, denormal_ok3, from_f32, from_f64, from_work, nan2, note, note_mem, rc_of,
    replace_and_push_fault, round_reg, round_reg64, special, to_work, wait, work_from, W,
};
use super::x87_fast;
use super::x87_load_store::int_to_f80;
use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use crate::x87::{sw, F80, X87};
use iced_x86::Code;
use rustc_apfloat::{Float, Round, Status};

const ADD: u8 = 0;
const MUL: u8 = 1;
const SUB: u8 = 4;
const SUBR: u8 = 5;
const DIV: u8 = 6;
const DIVR: u8 = 7;

/// `a OP b` with x87 semantics; None if an unmasked exception forbids the store.
/// `bden`: the memory operand `b` was a denormal in its m32/m64 format.
pub(crate) fn arith<const OP: u8>(x: &mut X87, a: F80, b: F80, bden: bool) -> Option<F80> {
    let (a, b) = if OP == SUBR || OP == DIVR { (b, a) } else { (a, b) };
    x.set_c1(false);
    if special(a) || special(b) {
        if a.is_nan() || b.is_nan() || a.is_unsupported() || b.is_unsupported() {
            return nan2(x, a, b);
        }
        let invalid = match OP {
            ADD => a.is_inf() && b.is_inf() && a.sign() != b.sign(),
            SUB | SUBR => a.is_inf() && b.is_inf() && a.sign() == b.sign(),
            MUL => a.is_zero() || b.is_zero(),
            _ => a.is_inf() && b.is_inf(),
        };
        if invalid {
            return x.invalid();
        }
    }
    // Division by zero is detected before a denormal dividend (host behaviour).
    if (OP == DIV || OP == DIVR) && b.is_zero() {
        if a.is_zero() {
            return x.invalid();
        }
        if !a.is_inf() {
            x.raise(sw::ZE);
            if !x.masked(sw::ZE) {
                return None;
            }
        }
        return Some(F80 { mant: 1 << 63, se: 0x7fff }.with_neg(a.sign() != b.sign()));
    }
    if !denormal_ok3(x, a, b, bden) {
        return None;
    }
    let (wa, wb) = (to_work(a), to_work(b));
    let rz = Round::TowardZero;
    let r = match OP {
        ADD => wa.add_r(wb, rz),
        SUB | SUBR => wa.sub_r(wb, rz),
        MUL => wa.mul_r(wb, rz),
        _ => wa.div_r(wb, rz),
    };
    let mut r = super::x87_core::odd(r);
    if r.is_zero() && (OP == ADD || OP == SUB || OP == SUBR) {
        let bn = b.sign() ^ (OP != ADD);
        let down = rc_of(x.fcw) == Round::TowardNegative;
        let neg = if a.is_zero() && b.is_zero() && a.sign() == bn { a.sign() } else { down };
        r = if neg { -W::ZERO } else { W::ZERO };
    }
    Some(round_reg(x, r))
}

/// `a OP b`: the fast path for normal operands and results, else the general one.
#[inline(always)]
fn arith_op<const OP: u8>(x: &mut X87, a: F80, b: F80, bden: bool) -> Option<F80> {
    if !bden {
        let (a, b) = if OP == SUBR || OP == DIVR { (b, a) } else { (a, b) };
        let r = match OP {
            ADD => x87_fast::add::<false>(x, a, b),
            SUB | SUBR => x87_fast::add::<true>(x, a, b),
            MUL => x87_fast::mul(x, a, b),
            _ => x87_fast::div(x, a, b),
        };
        if r.is_some() {
            return r;
        }
    }
    arith_general::<OP>(x, a, b, bden)
}

#[inline(never)]
fn arith_general<const OP: u8>(x: &mut X87, a: F80, b: F80, bden: bool) -> Option<F80> {
    match OP {
        ADD => arith::<ADD>(x, a, b, bden),
        MUL => arith::<MUL>(x, a, b, bden),
        SUB => arith::<SUB>(x, a, b, bden),
        SUBR => arith::<SUBR>(x, a, b, bden),
        DIV => arith::<DIV>(x, a, b, bden),
        _ => arith::<DIVR>(x, a, b, bden),
    }
}

/// ST(0) = ST(0) op ST(i), or (STI) ST(i) = ST(i) op ST(0), optionally popping.
fn fp_st<const OP: u8, const STI: bool, const POP: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        let (d, s) = if STI { (op.r0, 0) } else { (0, op.r1) };
        // Both ST(0) and ST(i) valid, in one test of the tag bits.
        let want = 1u8 << x.phys(0) | 1u8 << x.phys(op.r0.max(op.r1));
        if x.tags & want != want {
            if x.underflow() {
                x.set_st(d, F80::INDEFINITE);
                if POP {
                    x.pop();
                }
            }
            return Ok(());
        }
        if let Some(r) = arith_op::<OP>(x, x.st(d), x.st(s), false) {
            x.set_st(d, r);
            if POP {
                x.pop();
            }
        }
        Ok(())
    })
}

const K32: u8 = 0;
const K64: u8 = 1;
const KI16: u8 = 2;
const KI32: u8 = 3;

/// Loads a memory operand as 80 bits, with a flag for a denormal m32/m64 source.
#[inline(always)]
pub(crate) fn load_operand<const K: u8>(cpu: &mut Cpu, op: &Op) -> Result<(F80, bool), crate::decode::Stop> {
    let ea = cpu.ea(op);
    let raw = match K {
        K32 | KI32 => cpu.ld32(ea)? as u64,
        K64 => cpu.ld64(ea)?,
        _ => cpu.ld16(ea)? as u64,
    };
    note_mem(cpu, op, ea);
    Ok(match K {
        K32 => from_f32(raw as u32),
        K64 => from_f64(raw),
        KI16 => (int_to_f80(raw as u16 as i16 as i64), false),
        _ => (int_to_f80(raw as u32 as i32 as i64), false),
    })
}

fn fp_m<const OP: u8, const K: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let (b, bden) = load_operand::<K>(cpu, op)?;
        let x = &mut cpu.x87;
        if x.is_empty(0) {
            if x.underflow() {
                x.set_st(0, F80::INDEFINITE);
            }
            return Ok(());
        }
        if let Some(r) = arith_op::<OP>(x, x.st(0), b, bden) {
            x.set_st(0, r);
        }
        Ok(())
    })
}

// ---- unary ----

/// Result for a NaN/unsupported single operand.
#[cold]
fn nan1(x: &mut X87, a: F80) -> Option<F80> {
    nan2(x, a, a)
}

/// Runs `f` on ST(0) with the stack-underflow check; `f` returns the new ST(0).
#[inline(always)]
fn unary(cpu: &mut Cpu, op: &Op, f: fn(&mut X87, F80) -> Option<F80>) -> Flow {
    wait(cpu)?;
    note(cpu, op);
    let x = &mut cpu.x87;
    if x.is_empty(0) {
        if x.underflow() {
            x.set_st(0, F80::INDEFINITE);
        }
        return Ok(());
    }
    x.set_c1(false);
    if let Some(r) = f(x, x.st(0)) {
        x.set_st(0, r);
    }
    Ok(())
}

fn fchs(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| unary(cpu, op, |_, a| Some(a.with_neg(!a.sign()))))
}

fn fabs(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| unary(cpu, op, |_, a| Some(a.with_neg(false))))
}

/// Exact floor square root of `n * 4^34` (n < 2^66) with a sticky bit for the rest.
fn isqrt_sticky(n: u128) -> (u128, bool) {
    let mut rem: u128 = 0;
    let mut root: u128 = 0;
    for k in (0..67).rev() {
        let pair = if k >= 34 { (n >> (2 * (k - 34))) & 3 } else { 0 };
        rem = (rem << 2) | pair;
        let trial = (root << 2) | 1;
        root <<= 1;
        if rem >= trial {
            rem -= trial;
            root |= 1;
        }
    }
    (root, rem != 0)
}

fn sqrt_f(x: &mut X87, a: F80) -> Option<F80> {
    if let Some(r) = x87_fast::sqrt(x, a) {
        return Some(r);
    }
    if special(a) {
        if a.is_nan() || a.is_unsupported() {
            return nan1(x, a);
        }
        return if a.sign() { x.invalid() } else { Some(a) };
    }
    if a.is_zero() {
        return Some(a);
    }
    if a.sign() {
        return x.invalid();
    }
    if !denormal_ok(x, a, a) {
        return None;
    }
    let lz = a.mant.leading_zeros() as i32;
    let m = (a.mant << lz) as u128;
    let mut e = a.exp().max(1) as i32 - 16383 - lz - 63;
    let mut n = m;
    if e & 1 != 0 {
        n <<= 1;
        e -= 1;
    }
    // sqrt(n * 2^e) = sqrt(n * 4^34) * 2^(e/2 - 34).
    let (root, sticky) = isqrt_sticky(n);
    let v = W::from_u128((root << 1) | sticky as u128).value.scalbn(e / 2 - 35);
    Some(round_reg(x, v))
}

fn fsqrt(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| unary(cpu, op, sqrt_f))
}

fn rndint_f(x: &mut X87, a: F80) -> Option<F80> {
    if let Some(r) = x87_fast::rndint(x, a) {
        return Some(r);
    }
    if special(a) {
        if a.is_nan() || a.is_unsupported() {
            return nan1(x, a);
        }
        return Some(a);
    }
    if a.is_zero() {
        return Some(a);
    }
    if !denormal_ok(x, a, a) {
        return None;
    }
    let w = to_work(a);
    let r = w.round_to_integral(rc_of(x.fcw));
    if r.status.contains(Status::INEXACT) {
        x.raise(sw::PE);
        x.set_c1(r.value.abs() > w.abs());
    }
    Some(from_work(r.value))
}

fn frndint(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| unary(cpu, op, rndint_f))
}

// ---- two-operand specials on ST(0), ST(1) ----

fn st01(cpu: &mut Cpu, op: &Op, f: fn(&mut X87, F80, F80) -> Option<F80>) -> Flow {
    wait(cpu)?;
    note(cpu, op);
    let x = &mut cpu.x87;
    if x.is_empty(0) || x.is_empty(1) {
        if x.underflow() {
            x.set_st(0, F80::INDEFINITE);
        }
        return Ok(());
    }
    x.set_c1(false);
    if let Some(r) = f(x, x.st(0), x.st(1)) {
        x.set_st(0, r);
    }
    Ok(())
}

fn scale_f(x: &mut X87, a: F80, b: F80) -> Option<F80> {
    if special(a) || special(b) {
        if a.is_nan() || b.is_nan() || a.is_unsupported() || b.is_unsupported() {
            return nan2(x, a, b);
        }
        if b.is_inf() {
            if (a.is_zero() && !b.sign()) || (a.is_inf() && b.sign()) {
                return x.invalid();
            }
            if !denormal_ok(x, a, a) {
                return None;
            }
            if a.is_zero() || a.is_inf() {
                return Some(a);
            }
            return Some(
                if b.sign() { F80::ZERO } else { F80 { mant: 1 << 63, se: 0x7fff } }.with_neg(a.sign()),
            );
        }
    }
    if !denormal_ok(x, a, b) {
        return None;
    }
    if a.is_zero() || a.is_inf() {
        return Some(a);
    }
    let n = to_work(b).round_to_integral(Round::TowardZero).value;
    // Beyond +-70000 every finite operand over/underflows alike, even after the 24576
    // wrap of an unmasked response; Work's exponent range holds the clamped result.
    let n = n.to_i128(80).value.clamp(-70000, 70000) as i32;
    Some(round_reg64(x, to_work(a).scalbn(n)))
}

fn fscale(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| st01(cpu, op, scale_f))
}

fn fxtract(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        if replace_and_push_fault(x) {
            return Ok(());
        }
        x.set_c1(false);
        let a = x.st(0);
        let (e, s) = if a.is_nan() || a.is_unsupported() {
            let Some(n) = nan1(x, a) else { return Ok(()) };
            (n, n)
        } else if a.is_inf() {
            (F80 { mant: 1 << 63, se: 0x7fff }, a)
        } else if a.is_zero() {
            x.raise(sw::ZE);
            if !x.masked(sw::ZE) {
                return Ok(());
            }
            (F80 { mant: 1 << 63, se: 0xffff }, a)
        } else {
            if !denormal_ok(x, a, a) {
                return Ok(());
            }
            let lz = a.mant.leading_zeros() as i32;
            let ex = a.exp().max(1) as i32 - 16383 - lz;
            (
                super::x87_load_store::int_to_f80(ex as i64),
                F80 { mant: a.mant << lz, se: (a.se & 0x8000) | 0x3fff },
            )
        };
        x.set_st(0, e);
        x.push(s);
        Ok(())
    })
}

fn fprem<const NEAREST: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        // C2 (and C1) are cleared whenever the instruction does not complete a reduction;
        // C0 and C3 then keep their values (as on the host).
        x.fsw &= !(sw::C1 | sw::C2);
        if x.is_empty(0) || x.is_empty(1) {
            if x.underflow() {
                x.set_st(0, F80::INDEFINITE);
            }
            return Ok(());
        }
        let (a, b) = (x.st(0), x.st(1));
        let r = prem::<NEAREST>(x, a, b);
        if let Some(r) = r {
            x.set_st(0, r);
        }
        Ok(())
    })
}

/// FPREM/FPREM1 on normalised significands (SDM FPREM pseudo-code). Sets C0..C3.
fn prem<const NEAREST: bool>(x: &mut X87, a: F80, b: F80) -> Option<F80> {
    if special(a) || special(b) || b.is_zero() {
        if a.is_nan() || b.is_nan() || a.is_unsupported() || b.is_unsupported() {
            return nan2(x, a, b);
        }
        if a.is_inf() || b.is_zero() {
            return x.invalid();
        }
    }
    if !denormal_ok(x, a, b) {
        return None;
    }
    // A completed reduction sets C0..C3 (quotient 0 for the cases that return ST(0)).
    x.fsw &= !sw::CC;
    if a.is_zero() || b.is_inf() {
        return Some(prem_result(x, to_work(a)));
    }
    let norm = |v: F80| {
        let lz = v.mant.leading_zeros() as i32;
        (v.mant << lz, v.exp().max(1) as i32 - 16383 - lz)
    };
    let (ma, ea) = norm(a);
    let (mb, eb) = norm(b);
    let d = ea - eb;
    if d < -1 || (d == -1 && !NEAREST) {
        return Some(prem_result(x, to_work(a)));
    }
    let (num, den, unit, partial) = if d >= 64 {
        let n = 32 + d % 32;
        ((ma as u128) << n, mb as u128, ea - 63 - n, true)
    } else if d >= 0 {
        ((ma as u128) << d, mb as u128, eb - 63, false)
    } else {
        (ma as u128, (mb as u128) << 1, ea - 63, false)
    };
    let mut q = num / den;
    let mut r = num % den;
    let mut neg = a.sign();
    if NEAREST && !partial && (2 * r > den || (2 * r == den && q & 1 == 1)) {
        r = den - r;
        q += 1;
        neg = !neg;
    }
    let v = if r == 0 {
        F80::ZERO.with_neg(a.sign())
    } else {
        let lz = r.leading_zeros() as i32;
        let m = (r << lz >> 64) as u64;
        let e = unit + 127 - lz;
        prem_result(x, work_from(neg, e, m))
    };
    if !partial {
        x.set_cc(q & 2 != 0, false, q & 1 != 0, q & 4 != 0);
    } else {
        x.set_cc(false, true, false, false);
    }
    Some(v)
}

/// The (exact) result of FPREM/FPREM1 in register format: a pseudo-denormal comes back
/// normalised, and a denormal result signals underflow like any arithmetic result (with
/// UE unmasked, the exponent-wrapped value), as on the host.
fn prem_result(x: &mut X87, v: W) -> F80 {
    round_reg64(x, v)
}

pub(super) fn register(t: &mut Table) {
    fn h(f: Handler) -> Option<Handler> {
        Some(f)
    }
    macro_rules! ops {
        ($($OP:expr => $st0:ident, $sti:ident, $p:ident, $m32:ident, $m64:ident, $i16:ident, $i32:ident;)*) => {$(
            t.set(Code::$st0, |_, _| h(fp_st::<{ $OP }, false, false>));
            t.set(Code::$sti, |_, _| h(fp_st::<{ $OP }, true, false>));
            t.set(Code::$p, |_, _| h(fp_st::<{ $OP }, true, true>));
            t.set(Code::$m32, |_, _| h(fp_m::<{ $OP }, K32>));
            t.set(Code::$m64, |_, _| h(fp_m::<{ $OP }, K64>));
            t.set(Code::$i16, |_, _| h(fp_m::<{ $OP }, KI16>));
            t.set(Code::$i32, |_, _| h(fp_m::<{ $OP }, KI32>));
        )*};
    }
    ops! {
        ADD => Fadd_st0_sti, Fadd_sti_st0, Faddp_sti_st0, Fadd_m32fp, Fadd_m64fp, Fiadd_m16int, Fiadd_m32int;
        MUL => Fmul_st0_sti, Fmul_sti_st0, Fmulp_sti_st0, Fmul_m32fp, Fmul_m64fp, Fimul_m16int, Fimul_m32int;
        SUB => Fsub_st0_sti, Fsub_sti_st0, Fsubp_sti_st0, Fsub_m32fp, Fsub_m64fp, Fisub_m16int, Fisub_m32int;
        SUBR => Fsubr_st0_sti, Fsubr_sti_st0, Fsubrp_sti_st0, Fsubr_m32fp, Fsubr_m64fp, Fisubr_m16int, Fisubr_m32int;
        DIV => Fdiv_st0_sti, Fdiv_sti_st0, Fdivp_sti_st0, Fdiv_m32fp, Fdiv_m64fp, Fidiv_m16int, Fidiv_m32int;
        DIVR => Fdivr_st0_sti, Fdivr_sti_st0, Fdivrp_sti_st0, Fdivr_m32fp, Fdivr_m64fp, Fidivr_m16int, Fidivr_m32int;
    }
    t.set(Code::Fchs, |_, _| h(fchs));
    t.set(Code::Fabs, |_, _| h(fabs));
    t.set(Code::Fsqrt, |_, _| h(fsqrt));
    t.set(Code::Frndint, |_, _| h(frndint));
    t.set(Code::Fscale, |_, _| h(fscale));
    t.set(Code::Fxtract, |_, _| h(fxtract));
    t.set(Code::Fprem, |_, _| h(fprem::<false>));
    t.set(Code::Fprem1, |_, _| h(fprem::<true>));
}
