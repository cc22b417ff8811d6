//! x87 numeric core shared by the x87 families: operand classification, NaN
//! propagation, exception signalling, and rounding of exact results to the precision
//! (PC) and rounding mode (RC) of the control word. (Intel SDM Vol. 1 ch. 8 and 4.9.)
//!
//! Arithmetic is done with `rustc_apfloat` in a private 128-bit format `Work` (110-bit
//! significand, 18-bit exponent) so that every x87 operand, including denormals, is a
//! normal `Work` value and no intermediate overflows. Results are computed in `Work` with
//! round-toward-zero and the "sticky" inexact bit ORed into the last place (round to odd),
//! which makes the second rounding to 24/53/64 bits exact (110 >= 64 + 2). That final
//! rounding is done by apfloat too, into formats with the target precision and either an
//! 18-bit exponent (the x87's "unbounded exponent" rounding, used to detect tininess and
//! overflow after rounding, as SDM 4.9.1.5 specifies) or the destination's real exponent
//! range (denormalised results of masked underflow).
//!
//! This is the general path, the one definition of every corner case. Operations on
//! normal operands with normal results first try the integer fast paths of `x87_fast`,
//! which produce the same bits and flags and hand everything else over to this path.
//!
//! Things apfloat does not model and that are handled here explicitly: the x87 NaN rules
//! (SDM Table 4-7: QNaN over SNaN, then the larger significand, then the positive one),
//! unsupported encodings (invalid operands), the denormal-operand exception, and the
//! masked/unmasked responses (wrapped exponents for unmasked overflow/underflow).

use crate::decode::{Flow, Op, Stop};
use crate::state::Cpu;
use crate::x87::{sw, F80, X87};
use rustc_apfloat::ieee::{IeeeFloat, Semantics};
use rustc_apfloat::{Float, FloatConvert, Round, Status, StatusAnd};

macro_rules! semantics {
    ($($name:ident = ($bits:expr, $exp:expr)),* $(,)?) => {$(
        pub(crate) struct $name;
        impl Semantics for $name {
            const BITS: usize = $bits;
            const EXP_BITS: usize = $exp;
        }
    )*};
}

semantics! {
    WorkS = (128, 18),
    U24S = (42, 18),
    U53S = (71, 18),
    U64S = (82, 18),
    B24S = (39, 15),
    B53S = (68, 15),
    B64S = (79, 15),
}

pub(crate) type W = IeeeFloat<WorkS>;

const WORK_BIAS: i32 = 131071;
const WORK_FRAC: u32 = 109;

/// Exponent of the 80-bit format's smallest normal / largest finite (unbiased).
pub(crate) const EMIN80: i32 = -16382;
pub(crate) const EMAX80: i32 = 16383;
/// Exponent adjustment of unmasked overflow/underflow results (SDM 4.9.1.4/5).
const WRAP: i32 = 24576;

// ---- conversions between F80 and Work ----

/// Builds the Work value (-1)^neg * m * 2^(e-63), `m` normalised (bit 63 set).
#[inline]
pub(crate) fn work_from(neg: bool, e: i32, m: u64) -> W {
    let frac = ((m as u128) << (WORK_FRAC - 63)) & ((1u128 << WORK_FRAC) - 1);
    W::from_bits((neg as u128) << 127 | ((e + WORK_BIAS) as u128) << WORK_FRAC | frac)
}

/// An x87 register value as Work. Zeros, denormals (also pseudo-denormals, whose value
/// is that of exponent 1), normals and infinities; not NaNs or unsupported encodings.
#[inline]
pub(crate) fn to_work(x: F80) -> W {
    let neg = x.sign();
    if x.is_inf() {
        return if neg { -W::INFINITY } else { W::INFINITY };
    }
    if x.mant == 0 {
        return if neg { -W::ZERO } else { W::ZERO };
    }
    let e = (x.exp().max(1) as i32) - 16383;
    let lz = x.mant.leading_zeros() as i32;
    work_from(neg, e - lz, x.mant << lz)
}

/// Sign, unbiased exponent of the leading bit, and significand normalised to bit 63 of
/// a finite nonzero value with at most 64 significant bits, in any apfloat format.
pub(crate) fn parts<S: Semantics>(v: IeeeFloat<S>) -> (bool, i32, u64) {
    let bits = v.to_bits();
    let p = S::PRECISION as u32;
    let eb = S::EXP_BITS as u32;
    let neg = (bits >> (S::BITS - 1)) & 1 != 0;
    let ef = ((bits >> (p - 1)) & ((1 << eb) - 1)) as i32;
    let frac = bits & ((1u128 << (p - 1)) - 1);
    let bias = (1i32 << (eb - 1)) - 1;
    let (sig, elsb) = if ef == 0 {
        (frac, 1 - bias - (p as i32 - 1))
    } else {
        (frac | 1u128 << (p - 1), ef - bias - (p as i32 - 1))
    };
    let k = 127 - sig.leading_zeros() as i32;
    let m = if k >= 63 { (sig >> (k - 63)) as u64 } else { (sig << (63 - k)) as u64 };
    (neg, elsb + k, m)
}

/// Packs an exactly representable value into the 80-bit format (denormal if below the
/// normal range).
#[inline]
pub(crate) fn pack80(neg: bool, e: i32, m: u64) -> F80 {
    let s = (neg as u16) << 15;
    if e >= EMIN80 {
        F80 { mant: m, se: s | (e + 16383) as u16 }
    } else {
        let sh = (EMIN80 - e) as u32;
        F80 { mant: if sh >= 64 { 0 } else { m >> sh }, se: s }
    }
}

/// Converts an exact Work value (zero, finite with <= 64 bits in the 80-bit range, inf).
pub(crate) fn from_work(v: W) -> F80 {
    if v.is_zero() {
        F80::ZERO.with_neg(v.is_negative())
    } else if v.is_infinite() {
        F80 { mant: 1 << 63, se: 0x7fff }.with_neg(v.is_negative())
    } else {
        let (n, e, m) = parts(v);
        pack80(n, e, m)
    }
}

#[inline]
pub(crate) fn rc_of(fcw: u16) -> Round {
    match (fcw >> 10) & 3 {
        0 => Round::NearestTiesToEven,
        1 => Round::TowardNegative,
        2 => Round::TowardPositive,
        _ => Round::TowardZero,
    }
}

/// Round-to-odd: the truncated result with the inexact bit in its last place.
#[inline]
pub(crate) fn odd(r: StatusAnd<W>) -> W {
    if r.status.contains(Status::INEXACT) && r.value.is_finite_non_zero() {
        W::from_bits(r.value.to_bits() | 1)
    } else {
        r.value
    }
}

// ---- exceptions ----

impl X87 {
    /// Sets exception flags; ES and B follow if any of them is unmasked.
    #[inline(always)]
    pub(crate) fn raise(&mut self, e: u16) {
        self.fsw |= e;
        if e & !self.fcw & sw::EXC != 0 {
            self.fsw |= sw::ES | sw::B;
        }
    }
    /// True if exception `e` is masked.
    #[inline(always)]
    pub(crate) fn masked(&self, e: u16) -> bool {
        self.fcw & e != 0
    }
    #[inline(always)]
    pub(crate) fn set_c1(&mut self, v: bool) {
        self.fsw = (self.fsw & !sw::C1) | (v as u16) << 9;
    }
    #[inline(always)]
    pub(crate) fn set_cc(&mut self, c3: bool, c2: bool, c1: bool, c0: bool) {
        self.fsw = (self.fsw & !sw::CC)
            | (c3 as u16) << 14
            | (c2 as u16) << 10
            | (c1 as u16) << 9
            | (c0 as u16) << 8;
    }
    /// Stack underflow (IE|SF, C1=0). Returns true if masked (the caller then writes the
    /// indefinite QNaN); false means the instruction must leave its destination alone.
    #[cold]
    pub(crate) fn underflow(&mut self) -> bool {
        self.set_c1(false);
        self.raise(sw::IE | sw::SF);
        self.masked(sw::IE)
    }
    /// Stack overflow (IE|SF, C1=1). Same return convention as `underflow`.
    #[cold]
    pub(crate) fn overflow(&mut self) -> bool {
        self.set_c1(true);
        self.raise(sw::IE | sw::SF);
        self.masked(sw::IE)
    }
    /// Before a push: with ST(7) in use the push overflows, and a masked overflow still
    /// pushes the indefinite QNaN. True if that happened (the instruction is done).
    #[inline(always)]
    pub(crate) fn push_overflows(&mut self) -> bool {
        if self.is_empty(7) {
            return false;
        }
        if self.overflow() {
            self.push(F80::INDEFINITE);
        }
        true
    }
    /// Invalid operation: returns Some(indefinite) if masked.
    #[cold]
    pub(crate) fn invalid(&mut self) -> Option<F80> {
        self.raise(sw::IE);
        self.masked(sw::IE).then_some(F80::INDEFINITE)
    }
}

/// Called first by every x87 instruction that waits: a pending unmasked exception
/// becomes #MF here (SDM 8.6: "deferred" exception handling).
#[inline(always)]
pub(crate) fn wait(cpu: &mut Cpu) -> Flow {
    if cpu.x87.fsw & sw::ES != 0 {
        return Err(pending());
    }
    Ok(())
}

#[cold]
fn pending() -> Stop {
    Stop::FpException
}

/// Records the instruction (and data) pointer of a non-control x87 instruction.
#[inline(always)]
/// The stack checks of the instructions that replace ST(0) and push a second result
/// (FXTRACT, FSINCOS, FPTAN): an empty ST(0) is an underflow and a full ST(7) an overflow;
/// the masked response leaves the indefinite in both places. Underflow takes priority:
/// with both faults C1 stays 0 (as on the host). Returns true when a stack fault ended
/// the instruction.
pub(crate) fn replace_and_push_fault(x: &mut X87) -> bool {
    if x.is_empty(0) {
        if x.underflow() {
            x.set_st(0, F80::INDEFINITE);
            x.push(F80::INDEFINITE);
        }
        return true;
    }
    if !x.is_empty(7) {
        if x.overflow() {
            x.set_st(0, F80::INDEFINITE);
            x.push(F80::INDEFINITE);
        }
        return true;
    }
    false
}

pub(crate) fn note(cpu: &mut Cpu, op: &Op) {
    cpu.x87.fip = op.addr;
    cpu.x87.fop = super::x87_control::FOP_FROM_FIP;
}

#[inline(always)]
pub(crate) fn note_mem(cpu: &mut Cpu, op: &Op, ea: u64) {
    cpu.x87.fip = op.addr;
    cpu.x87.fop = super::x87_control::FOP_FROM_FIP;
    cpu.x87.fdp = ea;
    cpu.x87.fds = 0;
}

// ---- NaN handling ----

/// Result of an operation with a NaN or unsupported operand (`b` may be a number).
/// Raises IE for SNaN / unsupported. None: unmasked IE, leave the destination alone.
#[cold]
pub(crate) fn nan2(x: &mut X87, a: F80, b: F80) -> Option<F80> {
    if a.is_unsupported() || b.is_unsupported() {
        return x.invalid();
    }
    if a.is_snan() || b.is_snan() {
        x.raise(sw::IE);
        if !x.masked(sw::IE) {
            return None;
        }
    }
    Some(pick_nan(a, b))
}

/// SDM Table 4-7 for the x87: a QNaN beats an SNaN, then the larger significand wins;
/// with equal significands the host (and so emu) returns the positive one.
pub(crate) fn pick_nan(a: F80, b: F80) -> F80 {
    match (a.is_nan(), b.is_nan()) {
        (true, false) => a.quiet(),
        (false, true) => b.quiet(),
        _ => {
            let (qa, qb) = (a.quiet(), b.quiet());
            if a.is_snan() != b.is_snan() {
                if a.is_snan() {
                    qb
                } else {
                    qa
                }
            } else if qa.mant != qb.mant {
                if qa.mant > qb.mant {
                    qa
                } else {
                    qb
                }
            } else {
                qa.with_neg(a.sign() && b.sign())
            }
        }
    }
}

#[inline(always)]
pub(crate) fn special(x: F80) -> bool {
    x.exp() == 0x7fff || x.is_unsupported()
}

// ---- rounding ----

/// Which precision: 24, 53 or 64 bits (PC=01, reserved, behaves as 64 on the host).
#[inline]
pub(crate) fn pc_of(fcw: u16) -> u32 {
    match (fcw >> 8) & 3 {
        0 => 24,
        2 => 53,
        _ => 64,
    }
}

/// The outcome of rounding: the value to store (None if an unmasked exception forbids
/// the store to a memory destination) plus flags raised.
pub(crate) struct Rounded {
    pub neg: bool,
    /// Exponent of the leading bit, significand with bit 63 set; `m == 0` for zero,
    /// `e == i32::MAX` for infinity.
    pub e: i32,
    pub m: u64,
    /// Unmasked overflow/underflow happened: the value is the exponent-wrapped result.
    pub wrapped: bool,
}

/// Rounds `r` (exact, or round-to-odd in Work) to `p` bits with exponent range
/// [emin, emax], applying the x87 masked/unmasked overflow and underflow responses.
/// Sets PE/UE/OE and C1 ("rounded up") in `x`.
pub(crate) fn round(x: &mut X87, r: W, p: u32, emin: i32, emax: i32, rc: Round) -> Rounded {
    match p {
        24 => round_g::<U24S, B24S>(x, r, emin, emax, rc),
        53 => round_g::<U53S, B53S>(x, r, emin, emax, rc),
        _ => round_g::<U64S, B64S>(x, r, emin, emax, rc),
    }
}

fn round_g<US: Semantics, BS: Semantics>(x: &mut X87, r: W, emin: i32, emax: i32, rc: Round) -> Rounded {
    x.set_c1(false);
    if r.is_zero() {
        return Rounded { neg: r.is_negative(), e: 0, m: 0, wrapped: false };
    }
    if r.is_infinite() {
        return Rounded { neg: r.is_negative(), e: i32::MAX, m: 1 << 63, wrapped: false };
    }
    let neg = r.is_negative();
    let mut li = false;
    let u: StatusAnd<IeeeFloat<US>> = r.convert_r(rc, &mut li);
    let inexact = u.status.contains(Status::INEXACT);
    let (_, e, m) = parts(u.value);
    let up = |x: &mut X87, v: W| x.set_c1(v.abs() > r.abs());
    let p = US::PRECISION as u32;
    // An unmasked overflow/underflow delivers the result with its exponent wrapped by
    // 24576 - unless even that does not fit (FSCALE), when the host signals the unmasked
    // exception and delivers infinity (C1 = 1) or zero (C1 = 0) whatever the rounding.
    if e > emax {
        if !x.masked(sw::OE) && e - WRAP <= emax {
            x.raise(sw::OE | if inexact { sw::PE } else { 0 });
            if inexact {
                up(x, u.value.convert_r(Round::TowardZero, &mut li).value);
            }
            return Rounded { neg, e: e - WRAP, m, wrapped: true };
        }
        x.raise(sw::OE | sw::PE);
        if !x.masked(sw::OE) {
            x.set_c1(true);
            return Rounded { neg, e: i32::MAX, m: 1 << 63, wrapped: false };
        }
        let to_inf = match rc {
            Round::NearestTiesToEven => true,
            Round::TowardZero => false,
            Round::TowardPositive => !neg,
            _ => neg,
        };
        x.set_c1(to_inf);
        return if to_inf {
            Rounded { neg, e: i32::MAX, m: 1 << 63, wrapped: false }
        } else {
            Rounded { neg, e: emax, m: !0u64 << (64 - p), wrapped: false }
        };
    }
    if e < emin {
        if !x.masked(sw::UE) && e + WRAP >= emin {
            x.raise(sw::UE | if inexact { sw::PE } else { 0 });
            if inexact {
                up(x, u.value.convert_r(Round::TowardZero, &mut li).value);
            }
            return Rounded { neg, e: e + WRAP, m, wrapped: true };
        }
        if !x.masked(sw::UE) {
            x.raise(sw::UE | sw::PE);
            return Rounded { neg, e: 0, m: 0, wrapped: false };
        }
        // Denormalise in the destination's range. BS has the 80-bit range; a narrower
        // destination (m32/m64) is reached by scaling, which is exact in Work.
        let shift = EMIN80 - emin;
        let rs = r.scalbn(shift);
        let d: StatusAnd<IeeeFloat<BS>> = rs.convert_r(rc, &mut li);
        if d.status.contains(Status::INEXACT) {
            x.raise(sw::UE | sw::PE);
            let back: W = d.value.convert_r(Round::TowardZero, &mut li).value;
            x.set_c1(back.abs() > rs.abs());
        }
        if d.value.is_zero() {
            return Rounded { neg, e: 0, m: 0, wrapped: false };
        }
        let (_, e2, m2) = parts(d.value);
        return Rounded { neg, e: e2 - shift, m: m2, wrapped: false };
    }
    if inexact {
        x.raise(sw::PE);
        up(x, u.value.convert_r(Round::TowardZero, &mut li).value);
    }
    Rounded { neg, e, m, wrapped: false }
}

impl Rounded {
    pub(crate) fn to_f80(&self) -> F80 {
        if self.m == 0 {
            F80::ZERO.with_neg(self.neg)
        } else if self.e == i32::MAX {
            F80 { mant: 1 << 63, se: 0x7fff }.with_neg(self.neg)
        } else {
            pack80(self.neg, self.e, self.m)
        }
    }
}

/// Rounds an exact/odd Work result to the register format under PC and RC.
#[inline]
pub(crate) fn round_reg(x: &mut X87, r: W) -> F80 {
    let fcw = x.fcw;
    round(x, r, pc_of(fcw), EMIN80, EMAX80, rc_of(fcw)).to_f80()
}

/// Same at full 64-bit precision (instructions that ignore PC).
#[inline]
pub(crate) fn round_reg64(x: &mut X87, r: W) -> F80 {
    let fcw = x.fcw;
    round(x, r, 64, EMIN80, EMAX80, rc_of(fcw)).to_f80()
}

/// Operand check shared by arithmetic: DE for denormal operands. Returns false if DE is
/// unmasked (the operation must not complete).
#[inline(always)]
pub(crate) fn denormal_ok(x: &mut X87, a: F80, b: F80) -> bool {
    denormal_ok3(x, a, b, false)
}

/// Same, with `bden`: the second operand came from a denormal m32/m64.
#[inline(always)]
pub(crate) fn denormal_ok3(x: &mut X87, a: F80, b: F80, bden: bool) -> bool {
    if a.is_denormal() || b.is_denormal() || bden {
        x.raise(sw::DE);
        return x.masked(sw::DE);
    }
    true
}

/// Converts a Single/Double memory operand to 80 bits, exactly and without raising
/// anything (an SNaN stays signalling so the x87 NaN rules see it). The flag says the
/// source was a denormal (the denormal-operand exception is the consumer's business).
pub(crate) fn from_f32(v: u32) -> (F80, bool) {
    let neg = v >> 31 != 0;
    let e = ((v >> 23) & 0xff) as i32;
    let f = (v & 0x7f_ffff) as u64;
    ext_from(neg, e, f, 0xff, 127, 23)
}

pub(crate) fn from_f64(v: u64) -> (F80, bool) {
    let neg = v >> 63 != 0;
    let e = ((v >> 52) & 0x7ff) as i32;
    let f = v & ((1 << 52) - 1);
    ext_from(neg, e, f, 0x7ff, 1023, 52)
}

fn ext_from(neg: bool, e: i32, f: u64, emaxf: i32, bias: i32, fb: u32) -> (F80, bool) {
    let s = (neg as u16) << 15;
    if e == emaxf {
        return (F80 { mant: 1 << 63 | f << (63 - fb), se: s | 0x7fff }, false);
    }
    if e == 0 {
        if f == 0 {
            return (F80 { mant: 0, se: s }, false);
        }
        let lz = f.leading_zeros() as i32;
        let ex = 1 - bias - (lz - (63 - fb as i32));
        return (pack80(neg, ex, f << lz), true);
    }
    (F80 { mant: 1 << 63 | f << (63 - fb), se: s | (e - bias + 16383) as u16 }, false)
}
