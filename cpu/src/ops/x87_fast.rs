//! Fast paths of x87 arithmetic and conversions for the common case, in plain integer
//! arithmetic on the 64-bit significand (the general path in `x87_core` goes through
//! `rustc_apfloat` and costs a thousand host instructions per operation): FADD FSUB FSUBR
//! FMUL FDIV FDIVR (register and m32/m64 forms), FSQRT, FRNDINT, FST/FSTP m32/m64,
//! FIST/FISTP/FISTTP, and the comparisons of the FCOM family.
//!
//! The arithmetic and conversions handle only operands that are normal numbers (exponent
//! 1..=0x7ffe, integer bit set) and only results that are normal in the destination
//! format (or the exact zero of a cancelling subtraction), under any rounding mode and
//! precision control; `compare` is exact for every ordered value. Then the only things an operation can report
//! are PE (inexact) and C1 (rounded away from zero), which these functions set exactly as
//! the general path does. Anything else — zeros, denormals, infinities, NaNs, unsupported
//! encodings, a result that over/underflows, an integer out of range — returns None
//! *without touching the FPU state*, and the caller takes the general path, which
//! recomputes from scratch. So the general path stays the one definition of the corner
//! cases, and the two cannot disagree on anything but the common case, which the
//! differential tests against the host cover (`cpu/tests/x87_fast.rs`).
//!
//! Rounding: an exact result, or one truncated with a "sticky" bit ORed into bit 0 of a
//! 128-bit significand (round to odd with >= 60 bits to spare), is rounded once to the
//! target precision; rounding to odd first and then to fewer than 126 bits is exact.

use crate::x87::{sw, F80, X87};
use std::cmp::Ordering;

/// True for a normal number: exponent 1..=0x7ffe and the integer bit set.
#[inline(always)]
pub(crate) fn is_normal(v: F80) -> bool {
    (v.se & 0x7fff).wrapping_sub(1) < 0x7ffe && (v.mant as i64) < 0
}

/// True if both are normal numbers (one test of the integer bits, two of the exponents).
#[inline(always)]
fn both_normal(a: F80, b: F80) -> bool {
    let ok = |v: F80| (v.se & 0x7fff).wrapping_sub(1) < 0x7ffe;
    ((a.mant & b.mant) as i64) < 0 && ok(a) && ok(b)
}

/// Rounding decision for a value `kept + rest / 2^sh` (rest < 2^sh), per RC:
/// true = add one to `kept` (away from zero, as the magnitude is what is rounded).
#[inline(always)]
fn round_up(rc: u16, neg: bool, kept_odd: bool, rest: u128, sh: u32) -> bool {
    match rc {
        0 => {
            let half = 1u128 << (sh - 1);
            rest > half || (rest == half && kept_odd)
        }
        1 => rest != 0 && neg,
        2 => rest != 0 && !neg,
        _ => false,
    }
}

/// Rounds the significand `sig` (bit 127 set; bit 0 may be a sticky bit) of a value with
/// leading-bit exponent `e` to `P` bits under `rc`. Returns the 64-bit significand
/// (bit 63 set), the exponent after a possible carry, inexact and rounded-up. (P is a
/// constant so that the 128-bit shifts are by constants.)
#[inline(always)]
fn round_sig<const P: u32>(sig: u128, e: i32, rc: u16, neg: bool) -> (u64, i32, bool, bool) {
    let sh = 128 - P;
    let mut kept = sig >> sh;
    let rest = sig & ((1u128 << sh) - 1);
    let up = round_up(rc, neg, kept & 1 != 0, rest, sh);
    let mut e = e;
    kept += up as u128;
    if kept >> P != 0 {
        kept >>= 1;
        e += 1;
    }
    ((kept << (64 - P)) as u64, e, rest != 0, up)
}

/// The flags of a normal result: PE if inexact, C1 = rounded up (away from zero).
#[inline(always)]
fn report(x: &mut X87, inexact: bool, up: bool) {
    x.set_c1(up);
    if inexact {
        x.raise(sw::PE);
    }
}

/// Rounds per the control word into a normal register value; None if the rounded
/// exponent is outside the normal range (nothing is changed then).
/// The control word's default precision and rounding (64 bits, to nearest, as Linux
/// starts every process) is decided with one test, and rounds with constant shifts.
#[inline(always)]
fn finish(x: &mut X87, neg: bool, e: i32, sig: u128) -> Option<F80> {
    if x.fcw & 0xf00 == 0x300 {
        return finish_p::<64>(x, neg, e, sig, 0);
    }
    let rc = (x.fcw >> 10) & 3;
    match (x.fcw >> 8) & 3 {
        0 => finish_p::<24>(x, neg, e, sig, rc),
        2 => finish_p::<53>(x, neg, e, sig, rc),
        _ => finish_p::<64>(x, neg, e, sig, rc),
    }
}

#[inline(always)]
fn finish_p<const P: u32>(x: &mut X87, neg: bool, e: i32, sig: u128, rc: u16) -> Option<F80> {
    let (m, e, inexact, up) = round_sig::<P>(sig, e, rc, neg);
    let be = e + 16383;
    if !(1..=0x7ffe).contains(&be) {
        return None;
    }
    report(x, inexact, up);
    Some(F80 { mant: m, se: (neg as u16) << 15 | be as u16 })
}

/// Unbiased exponent of a normal value.
#[inline(always)]
fn uexp(v: F80) -> i32 {
    v.exp() as i32 - 16383
}

/// `a + b` (or `a - b` with `SUB`) of two normal numbers.
#[inline(always)]
pub(crate) fn add<const SUB: bool>(x: &mut X87, a: F80, b: F80) -> Option<F80> {
    if !both_normal(a, b) {
        return None;
    }
    let bneg = b.sign() ^ SUB;
    // Order by magnitude (exponent, then significand): the result takes the sign of the
    // larger, and the smaller is aligned to it.
    let key = |v: F80| (v.exp() as u128) << 64 | v.mant as u128;
    let (big, small, neg) = if key(a) >= key(b) { (a, b, a.sign()) } else { (b, a, bneg) };
    let d = (big.exp() - small.exp()) as u32;
    // Leading bit at 125: two bits of headroom for the carry, 62 bits below the
    // significand; what is shifted out of bit 0 becomes a sticky bit.
    let hi = (big.mant as u128) << 62;
    let ms = small.mant as u128;
    let lo = if d <= 62 {
        // Nothing shifted out (the common case: a shift left by a constant-range amount).
        ms << ((62 - d) & 63)
    } else if d < 126 {
        let k = (d - 62) & 63;
        ms >> k | (small.mant & ((1u64 << k) - 1) != 0) as u128
    } else {
        1
    };
    let r = if a.sign() == bneg { hi + lo } else { hi - lo };
    if r == 0 {
        // Exact cancellation: +0, or -0 when rounding down (SDM 4.8.3.4).
        x.set_c1(false);
        return Some(F80::ZERO.with_neg((x.fcw >> 10) & 3 == 1));
    }
    let lz = r.leading_zeros();
    finish(x, neg, uexp(big) + 2 - lz as i32, r << lz)
}

/// `a * b` of two normal numbers.
#[inline(always)]
pub(crate) fn mul(x: &mut X87, a: F80, b: F80) -> Option<F80> {
    if !both_normal(a, b) {
        return None;
    }
    let p = a.mant as u128 * b.mant as u128;
    let e = uexp(a) + uexp(b);
    let neg = a.sign() != b.sign();
    if p >> 127 != 0 {
        finish(x, neg, e + 1, p)
    } else {
        finish(x, neg, e, p << 1)
    }
}

/// `a / b` of two normal numbers.
#[inline(always)]
pub(crate) fn div(x: &mut X87, a: F80, b: F80) -> Option<F80> {
    if !both_normal(a, b) {
        return None;
    }
    let (ma, mb) = (a.mant as u128, b.mant as u128);
    let num = ma << 64;
    let mut q = num / mb;
    let mut rem = num % mb;
    let mut e = uexp(a) - uexp(b);
    if ma < mb {
        // A 64-bit quotient: one more bit so that there is a guard bit below the 64th.
        rem <<= 1;
        let bit = rem >= mb;
        if bit {
            rem -= mb;
        }
        q = q << 1 | bit as u128;
        e -= 1;
    }
    // q has 65 bits (leading bit 64); the remainder is the sticky bit.
    finish(x, a.sign() != b.sign(), e, q << 63 | (rem != 0) as u128)
}

/// A normal register value rounded to single (`P` = 24) or double (`P` = 53) format,
/// when the result is normal there: the encoding, with PE and C1 set. Ignores PC.
#[inline(always)]
pub(crate) fn to_float<const P: u32>(x: &mut X87, v: F80) -> Option<u64> {
    if !is_normal(v) {
        return None;
    }
    const { assert!(P == 24 || P == 53) };
    let fb = P - 1;
    let (bias, emax) = if P == 24 { (127, 254) } else { (1023, 2046) };
    let neg = v.sign();
    let (m, e, inexact, up) = round_sig::<P>((v.mant as u128) << 64, uexp(v), (x.fcw >> 10) & 3, neg);
    let be = e + bias;
    if !(1..=emax).contains(&be) {
        return None;
    }
    report(x, inexact, up);
    let sign = (neg as u64) << (if P == 24 { 31 } else { 63 });
    Some(sign | (be as u64) << fb | (m >> (63 - fb)) & ((1 << fb) - 1))
}

/// A normal value with unbiased exponent `e` <= 62 rounded to an integer under `rc`:
/// the magnitude (<= 2^63), inexact, and rounded up (away from zero).
#[inline(always)]
fn round_int(v: F80, e: i32, rc: u16) -> (u64, bool, bool) {
    // The value is mant * 2^(e - 63): integer part and how the fraction compares with 1/2.
    let (ip, gt_half, eq_half, inexact) = if e >= 0 {
        let sh = 63 - e as u32;
        let rest = v.mant & ((1u64 << sh) - 1);
        let half = 1u64 << (sh - 1);
        (v.mant >> sh, rest > half, rest == half, rest != 0)
    } else if e == -1 {
        (0, v.mant > 1 << 63, v.mant == 1 << 63, true)
    } else {
        (0, false, false, true)
    };
    let neg = v.sign();
    let up = match rc {
        0 => gt_half || (eq_half && ip & 1 != 0),
        1 => inexact && neg,
        2 => inexact && !neg,
        _ => false,
    };
    (ip + up as u64, inexact, up)
}

/// A normal register value rounded to an integer per RC (or truncated) that fits in
/// `W_` bits, with PE and C1 set; None for anything else (the general path then raises
/// the invalid-operation exception where due).
#[inline(always)]
pub(crate) fn to_int<const W_: u32>(x: &mut X87, v: F80, trunc: bool) -> Option<u64> {
    if !is_normal(v) {
        return None;
    }
    let e = uexp(v);
    if e > 62 {
        return None;
    }
    let neg = v.sign();
    let (mag, inexact, up) = round_int(v, e, if trunc { 3 } else { (x.fcw >> 10) & 3 });
    let lim = 1u64 << (W_ - 1);
    if mag > lim || (mag == lim && !neg) {
        return None;
    }
    report(x, inexact, up);
    Some(if neg { mag.wrapping_neg() } else { mag })
}

/// FRNDINT of a normal value: rounded to an integer per RC (PC does not apply).
#[inline(always)]
pub(crate) fn rndint(x: &mut X87, v: F80) -> Option<F80> {
    if !is_normal(v) {
        return None;
    }
    let e = uexp(v);
    if e > 62 {
        // Already an integer.
        return Some(v);
    }
    let (mag, inexact, up) = round_int(v, e, (x.fcw >> 10) & 3);
    report(x, inexact, up);
    let sign = v.se & 0x8000;
    if mag == 0 {
        return Some(F80 { mant: 0, se: sign });
    }
    let lz = mag.leading_zeros();
    Some(F80 { mant: mag << lz, se: sign | (16383 + 63 - lz) as u16 })
}

/// FSQRT of a positive normal value (the result is always normal).
#[inline(always)]
pub(crate) fn sqrt(x: &mut X87, v: F80) -> Option<F80> {
    if !is_normal(v) || v.sign() {
        return None;
    }
    // v = (mant / 2^63) * 2^e. With n = mant * 2^(63 + (e & 1)) in [2^126, 2^128),
    // sqrt(v) = sqrt(n) * 2^((e >> 1) - 63) and floor(sqrt(n)) has exactly 64 bits.
    let e = uexp(v);
    let n = (v.mant as u128) << (63 + (e & 1) as u32);
    let r = isqrt(n);
    let rem = n - r as u128 * r as u128;
    // sqrt(n) = r + f: f >= 1/2 iff n >= r^2 + r + 1/4 iff rem > r; f is never exactly
    // 1/2, so with a nonzero remainder the rest is a sticky bit.
    let sig = (r as u128) << 64 | ((rem > r as u128) as u128) << 63 | (rem != 0) as u128;
    finish(x, false, e >> 1, sig)
}

/// floor(sqrt(n)) for n in [2^126, 2^128): a double-precision estimate (53 good bits),
/// one integer Newton step, then a correction of the last unit.
#[inline(always)]
fn isqrt(n: u128) -> u64 {
    let r0 = ((n as f64).sqrt() as u64).max(1 << 63) as u128;
    // The integer Newton step floor((x + floor(n / x)) / 2) is >= floor(sqrt(n)) for any
    // x > 0, and from an estimate within 2^12 it is at most one above.
    let mut r = (r0 + n / r0) >> 1;
    while r.checked_mul(r).is_none_or(|sq| sq > n) {
        r -= 1;
    }
    r as u64
}

/// Exact comparison of two values that are not NaNs or unsupported encodings (zeros,
/// denormals, pseudo-denormals, normals, infinities).
#[inline(always)]
pub(crate) fn compare(a: F80, b: F80) -> Ordering {
    // Magnitude key: a pseudo-denormal has the value of exponent 1 with the same
    // significand, and every denormal is below every normal.
    let key = |v: F80| (v.exp().max(1) as u128) << 64 | v.mant as u128;
    let (ka, kb) = (key(a), key(b));
    if a.mant == 0 && b.mant == 0 {
        return Ordering::Equal;
    }
    match (a.sign(), b.sign()) {
        (false, false) => ka.cmp(&kb),
        (true, true) => kb.cmp(&ka),
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}
