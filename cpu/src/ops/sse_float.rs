//! The SSE floating-point model shared by the SSE families: IEEE 754 binary32/binary64
//! arithmetic as x86 defines it (Intel SDM Vol. 1 §4.8-4.9 and §11.5): MXCSR rounding
//! control, FTZ/DAZ, tininess detected after rounding, x86 NaN rules (first source NaN
//! wins, SNaN quieted, default NaN is the negative QNaN) and the six sticky flags.
//!
//! Everything here is integer arithmetic, so results do not depend on the host FPU
//! (aarch64 hosts differ from x86 in NaN propagation and tininess). Values are raw bit
//! patterns in a `u64`; `W` (32 or 64; 16 for F16C's half precision, used only by the
//! conversions) selects the format.

pub(crate) const IE: u32 = 0x01;
pub(crate) const DE: u32 = 0x02;
pub(crate) const ZE: u32 = 0x04;
pub(crate) const OE: u32 = 0x08;
pub(crate) const UE: u32 = 0x10;
pub(crate) const PE: u32 = 0x20;
pub(crate) const DAZ: u32 = 0x40;
pub(crate) const FTZ: u32 = 0x8000;
/// MXCSR control bits of the power-on state (all exceptions masked, round to nearest, no
/// FTZ/DAZ): the only state the host-float fast paths handle.
pub(crate) const CTRL_DEFAULT: u32 = 0x1f80;
/// The control bits (everything but the six sticky flags).
pub(crate) const CTRL_MASK: u32 = 0xffc0;

/// Exceptions found before computing (reported alone when one of them is unmasked).
const PRE: u32 = IE | DE | ZE;

/// Rounding and flag state for one instruction. Flags accumulate here and reach MXCSR
/// only if no unmasked exception stops the instruction.
pub(crate) struct Env {
    /// MXCSR.RC: 0 nearest, 1 down, 2 up, 3 toward zero.
    pub rc: u32,
    pub ftz: bool,
    pub daz: bool,
    /// Underflow is masked (FTZ applies, and exact tiny results do not raise UE).
    pub um: bool,
    /// Overflow is masked (an unmasked overflow reports PE only for an inexact result).
    pub om: bool,
    pub flags: u32,
    mxcsr: u32,
    /// Flags of the completed stages of a multi-step instruction (DPPS/DPPD); `flags`
    /// then holds the current stage's.
    done: u32,
}

impl Env {
    #[inline]
    pub fn new(mxcsr: u32) -> Env {
        Env {
            rc: (mxcsr >> 13) & 3,
            ftz: mxcsr & FTZ != 0,
            daz: mxcsr & DAZ != 0,
            um: mxcsr & 0x800 != 0,
            om: mxcsr & 0x400 != 0,
            flags: 0,
            mxcsr,
            done: 0,
        }
    }

    /// Ends a stage of a multi-step operation (DPPS/DPPD: the products, each level of
    /// sums): true when the stage raised an unmasked exception, and the instruction must
    /// stop there. `finish` then applies the usual rule to that stage's flags and adds the
    /// (all masked) flags of the stages before it, as the host reports them.
    #[inline]
    pub fn stage_faults(&mut self) -> bool {
        let unmasked = !(self.mxcsr >> 7) & 0x3f;
        if self.flags & unmasked != 0 {
            return true;
        }
        self.done |= self.flags;
        self.flags = 0;
        false
    }

    /// Flags to merge into MXCSR, or `Err(flags)` when an unmasked exception must be
    /// raised instead of writing the destination (SDM §11.5.1: an unmasked pre-computation
    /// exception suppresses the post-computation ones).
    #[inline]
    pub fn finish(&self) -> Result<u32, u32> {
        let unmasked = !(self.mxcsr >> 7) & 0x3f;
        let f = self.flags;
        let d = self.done;
        if f & unmasked == 0 {
            Ok(f | d)
        } else if f & PRE & unmasked != 0 {
            Err(f & PRE | d)
        } else {
            Err(f | d)
        }
    }
}

// ---- format helpers ----

#[inline(always)]
pub(crate) const fn mbits(w: u32) -> u32 {
    match w {
        16 => 10,
        32 => 23,
        _ => 52,
    }
}

#[inline(always)]
const fn bias(w: u32) -> i32 {
    match w {
        16 => 15,
        32 => 127,
        _ => 1023,
    }
}

#[inline(always)]
const fn emaxf(w: u32) -> u64 {
    match w {
        16 => 0x1f,
        32 => 0xff,
        _ => 0x7ff,
    }
}

#[inline(always)]
pub(crate) const fn sign_bit(w: u32) -> u64 {
    1 << (w - 1)
}

#[inline(always)]
const fn frac_mask(w: u32) -> u64 {
    (1 << mbits(w)) - 1
}

#[inline(always)]
const fn quiet_bit(w: u32) -> u64 {
    1 << (mbits(w) - 1)
}

#[inline(always)]
pub(crate) const fn default_nan(w: u32) -> u64 {
    match w {
        16 => 0xfe00,
        32 => 0xffc0_0000,
        _ => 0xfff8_0000_0000_0000,
    }
}

#[inline(always)]
fn expf<const W: u32>(a: u64) -> u64 {
    (a >> mbits(W)) & emaxf(W)
}

#[inline(always)]
pub(crate) fn is_nan<const W: u32>(a: u64) -> bool {
    expf::<W>(a) == emaxf(W) && a & frac_mask(W) != 0
}

#[inline(always)]
pub(crate) fn is_snan<const W: u32>(a: u64) -> bool {
    is_nan::<W>(a) && a & quiet_bit(W) == 0
}

#[inline(always)]
fn is_inf<const W: u32>(a: u64) -> bool {
    a & !sign_bit(W) == emaxf(W) << mbits(W)
}

#[inline(always)]
fn is_zero<const W: u32>(a: u64) -> bool {
    a & !sign_bit(W) == 0
}

#[inline(always)]
fn is_denormal<const W: u32>(a: u64) -> bool {
    expf::<W>(a) == 0 && a & frac_mask(W) != 0
}

#[inline(always)]
fn sgn<const W: u32>(a: u64) -> bool {
    a & sign_bit(W) != 0
}

#[inline(always)]
fn zero<const W: u32>(neg: bool) -> u64 {
    if neg {
        sign_bit(W)
    } else {
        0
    }
}

#[inline(always)]
fn inf<const W: u32>(neg: bool) -> u64 {
    zero::<W>(neg) | emaxf(W) << mbits(W)
}

#[inline(always)]
fn quiet<const W: u32>(a: u64) -> u64 {
    a | quiet_bit(W)
}

/// DAZ input conditioning; reports DE for a denormal kept as is.
#[inline(always)]
fn daz<const W: u32>(env: &mut Env, a: u64) -> u64 {
    if is_denormal::<W>(a) {
        if env.daz {
            return a & sign_bit(W);
        }
        env.flags |= DE;
    }
    a
}

/// DAZ input conditioning without reporting DE (for when a higher-priority exception,
/// IE or ZE, suppresses it). Returns the value and whether it was a kept denormal.
#[inline(always)]
fn daz_quiet<const W: u32>(env: &Env, a: u64) -> (u64, bool) {
    if is_denormal::<W>(a) {
        if env.daz {
            return (a & sign_bit(W), false);
        }
        return (a, true);
    }
    (a, false)
}

/// A finite nonzero value as (exponent of the leading bit, significand with the
/// leading bit at bit 63): value = sig * 2^(e - 63).
#[inline(always)]
fn unpack<const W: u32>(a: u64) -> (i32, u64) {
    let f = a & frac_mask(W);
    let e = expf::<W>(a);
    if e == 0 {
        let sig = f << (63 - mbits(W));
        let lz = sig.leading_zeros();
        (1 - bias(W) - lz as i32, sig << lz)
    } else {
        (e as i32 - bias(W), (f | 1 << mbits(W)) << (63 - mbits(W)))
    }
}

#[inline(always)]
fn jam64(x: u64, d: u32) -> u64 {
    if d == 0 {
        x
    } else if d >= 64 {
        (x != 0) as u64
    } else {
        x >> d | ((x << (64 - d)) != 0) as u64
    }
}

#[inline(always)]
fn jam128(x: u128, d: u32) -> u128 {
    if d == 0 {
        x
    } else if d >= 128 {
        (x != 0) as u128
    } else {
        x >> d | ((x << (128 - d)) != 0) as u128
    }
}

/// The top 64 bits of `x` with the rest folded into a sticky bit.
#[inline(always)]
fn top64(x: u128) -> u64 {
    (x >> 64) as u64 | (x as u64 != 0) as u64
}

/// Drops the low `shift` bits of `sig` per the rounding mode; returns (rounded, inexact).
#[inline(always)]
fn round_bits(sig: u64, shift: u32, rc: u32, neg: bool) -> (u64, bool) {
    let rb = sig & ((1u64 << shift) - 1);
    let m = sig >> shift;
    let half = 1u64 << (shift - 1);
    let inc = match rc {
        0 => rb > half || (rb == half && m & 1 != 0),
        1 => neg && rb != 0,
        2 => !neg && rb != 0,
        _ => false,
    };
    (m + inc as u64, rb != 0)
}

/// Rounds sign * sig * 2^(e-63) (sig's bit 63 set, sticky in bit 0) to format W,
/// applying overflow, tininess-after-rounding underflow and FTZ the way x86 does.
#[inline(never)]
pub(crate) fn round_pack<const W: u32>(env: &mut Env, neg: bool, e: i32, sig: u64) -> u64 {
    let mb = mbits(W);
    let shift = 63 - mb;
    let emin = 1 - bias(W);
    if e >= emin {
        let (mut m, inexact) = round_bits(sig, shift, env.rc, neg);
        let mut e = e;
        if m >> (mb + 1) != 0 {
            m >>= 1;
            e += 1;
        }
        if e > bias(W) {
            // Masked: the delivered infinity or maximum is always inexact. Unmasked: the
            // instruction faults, and PE says whether the exponent-unbounded result is
            // inexact (as on the host).
            env.flags |= OE | if env.om || inexact { PE } else { 0 };
            let to_inf = match env.rc {
                0 => true,
                1 => neg,
                2 => !neg,
                _ => false,
            };
            return if to_inf { inf::<W>(neg) } else { zero::<W>(neg) | (inf::<W>(false) - 1) };
        }
        if inexact {
            env.flags |= PE;
        }
        return zero::<W>(neg) | ((e + bias(W)) as u64) << mb | (m & frac_mask(W));
    }
    // Tiny unless rounding to the full precision with unbounded exponent reaches 2^emin.
    let tiny = e < emin - 1 || round_bits(sig, shift, env.rc, neg).0 >> (mb + 1) == 0;
    if tiny && env.ftz && env.um {
        env.flags |= UE | PE;
        return zero::<W>(neg);
    }
    if tiny && !env.um {
        // Unmasked underflow: the instruction faults without writing, and PE reports
        // whether the exponent-unbounded result is inexact (not the denormal one).
        env.flags |= UE;
        if round_bits(sig, shift, env.rc, neg).1 {
            env.flags |= PE;
        }
        return zero::<W>(neg);
    }
    let (m, inexact) = round_bits(jam64(sig, (emin - e) as u32), shift, env.rc, neg);
    if inexact {
        env.flags |= PE;
    }
    if tiny && (inexact || !env.um) {
        env.flags |= UE;
    }
    // A carry into bit mb makes the smallest normal, which the encoding absorbs.
    zero::<W>(neg) | m
}

/// The result of a binary operation with a NaN operand: the first operand's NaN wins.
#[inline(always)]
fn nan2<const W: u32>(env: &mut Env, a: u64, b: u64) -> Option<u64> {
    let an = is_nan::<W>(a);
    if !an && !is_nan::<W>(b) {
        return None;
    }
    if is_snan::<W>(a) || is_snan::<W>(b) {
        env.flags |= IE;
    }
    Some(if an { quiet::<W>(a) } else { quiet::<W>(b) })
}

#[inline(always)]
fn invalid<const W: u32>(env: &mut Env) -> u64 {
    env.flags |= IE;
    default_nan(W)
}

/// a + b, or a - b when `SUB`.
pub(crate) fn add<const W: u32, const SUB: bool>(env: &mut Env, a: u64, b: u64) -> u64 {
    if let Some(n) = nan2::<W>(env, a, b) {
        return n;
    }
    let a = daz::<W>(env, a);
    let b = daz::<W>(env, b) ^ if SUB { sign_bit(W) } else { 0 };
    let (na, nb) = (sgn::<W>(a), sgn::<W>(b));
    if is_inf::<W>(a) {
        return if is_inf::<W>(b) && na != nb { invalid::<W>(env) } else { a };
    }
    if is_inf::<W>(b) {
        return b;
    }
    let (za, zb) = (is_zero::<W>(a), is_zero::<W>(b));
    if za && zb {
        return if na == nb { a } else { zero::<W>(env.rc == 1) };
    }
    if za || zb {
        // x + 0 is x, but a denormal x still goes through FTZ.
        let x = if za { b } else { a };
        let (e, sig) = unpack::<W>(x);
        return round_pack::<W>(env, sgn::<W>(x), e, sig);
    }
    let (mut ea, mut sa) = unpack::<W>(a);
    let (mut eb, mut sb) = unpack::<W>(b);
    let (mut na, mut nb) = (na, nb);
    if (eb, sb) > (ea, sa) {
        std::mem::swap(&mut ea, &mut eb);
        std::mem::swap(&mut sa, &mut sb);
        std::mem::swap(&mut na, &mut nb);
    }
    let x = (sa as u128) << 62;
    let y = jam128((sb as u128) << 62, (ea - eb) as u32);
    let s = if na == nb { x + y } else { x - y };
    if s == 0 {
        return zero::<W>(env.rc == 1);
    }
    let lz = s.leading_zeros();
    round_pack::<W>(env, na, ea + 2 - lz as i32, top64(s << lz))
}

pub(crate) fn mul<const W: u32>(env: &mut Env, a: u64, b: u64) -> u64 {
    if let Some(n) = nan2::<W>(env, a, b) {
        return n;
    }
    let a = daz::<W>(env, a);
    let b = daz::<W>(env, b);
    let neg = sgn::<W>(a) != sgn::<W>(b);
    if is_inf::<W>(a) || is_inf::<W>(b) {
        return if is_zero::<W>(a) || is_zero::<W>(b) { invalid::<W>(env) } else { inf::<W>(neg) };
    }
    if is_zero::<W>(a) || is_zero::<W>(b) {
        return zero::<W>(neg);
    }
    let (ea, sa) = unpack::<W>(a);
    let (eb, sb) = unpack::<W>(b);
    let p = sa as u128 * sb as u128;
    let (e, p) = if p >> 127 != 0 { (ea + eb + 1, p) } else { (ea + eb, p << 1) };
    round_pack::<W>(env, neg, e, top64(p))
}

pub(crate) fn div<const W: u32>(env: &mut Env, a: u64, b: u64) -> u64 {
    if let Some(n) = nan2::<W>(env, a, b) {
        return n;
    }
    // IE and ZE take precedence over DE.
    let (a, da) = daz_quiet::<W>(env, a);
    let (b, db) = daz_quiet::<W>(env, b);
    let neg = sgn::<W>(a) != sgn::<W>(b);
    if is_inf::<W>(a) && is_inf::<W>(b) || is_zero::<W>(a) && is_zero::<W>(b) {
        return invalid::<W>(env);
    }
    if is_zero::<W>(b) && !is_inf::<W>(a) {
        env.flags |= ZE;
        return inf::<W>(neg);
    }
    if da || db {
        env.flags |= DE;
    }
    if is_inf::<W>(a) {
        return inf::<W>(neg);
    }
    if is_inf::<W>(b) || is_zero::<W>(a) {
        return zero::<W>(neg);
    }
    let (ea, sa) = unpack::<W>(a);
    let (eb, sb) = unpack::<W>(b);
    let n = (sa as u128) << 64;
    let q = n / sb as u128;
    let r = n % sb as u128;
    let lz = q.leading_zeros();
    let sig = ((q << lz) >> 64) as u64 | (r != 0) as u64;
    round_pack::<W>(env, neg, ea - eb + 63 - lz as i32, sig)
}

pub(crate) fn sqrt<const W: u32>(env: &mut Env, a: u64) -> u64 {
    if is_nan::<W>(a) {
        if is_snan::<W>(a) {
            env.flags |= IE;
        }
        return quiet::<W>(a);
    }
    let (a, d) = daz_quiet::<W>(env, a);
    if is_zero::<W>(a) {
        return a;
    }
    if sgn::<W>(a) {
        return invalid::<W>(env);
    }
    if d {
        env.flags |= DE;
    }
    if is_inf::<W>(a) {
        return a;
    }
    let (e, sig) = unpack::<W>(a);
    // value = n * 2^t with t even and n in [2^126, 2^128), so the root has 64 bits.
    let (n, t) =
        if (e - 63) % 2 == 0 { ((sig as u128) << 64, e - 127) } else { ((sig as u128) << 63, e - 126) };
    let r = n.isqrt();
    let sig = r as u64 | (r * r != n) as u64;
    round_pack::<W>(env, false, t / 2 + 63, sig)
}

/// The fused multiply-add of FMA3 (Intel SDM Vol. 2 "VFMADD132PS..." and Vol. 1 §14.5.2):
/// `(-1)^np * a * b + (-1)^nc * c` with a single rounding. NaN operands: an SNaN raises IE
/// and the first NaN among a, b, c (in the instruction's multiplication-operand order)
/// comes back quieted, never negated (0 * inf plus a QNaN is not invalid); otherwise
/// 0 * inf and an infinite product meeting an infinity of the other sign are invalid. DAZ applies to every input, and a kept
/// denormal input raises DE unless the operation is invalid.
pub(crate) fn fma<const W: u32>(env: &mut Env, a: u64, b: u64, c: u64, np: bool, nc: bool) -> u64 {
    let (an, bn, cn) = (is_nan::<W>(a), is_nan::<W>(b), is_nan::<W>(c));
    if an || bn || cn {
        if is_snan::<W>(a) || is_snan::<W>(b) || is_snan::<W>(c) {
            env.flags |= IE;
        }
        // (0 * inf with a QNaN addend raises nothing on the reference host.)
        let n = if an {
            a
        } else if bn {
            b
        } else {
            c
        };
        return quiet::<W>(n);
    }
    let (a, da) = daz_quiet::<W>(env, a);
    let (b, db) = daz_quiet::<W>(env, b);
    let (c, dc) = daz_quiet::<W>(env, c);
    let np = np ^ sgn::<W>(a) ^ sgn::<W>(b);
    let nc = nc ^ sgn::<W>(c);
    let pinf = is_inf::<W>(a) || is_inf::<W>(b);
    let pzero = is_zero::<W>(a) || is_zero::<W>(b);
    if pinf && pzero || pinf && is_inf::<W>(c) && np != nc {
        return invalid::<W>(env);
    }
    if da || db || dc {
        env.flags |= DE;
    }
    if pinf {
        return inf::<W>(np);
    }
    if is_inf::<W>(c) {
        return inf::<W>(nc);
    }
    if pzero {
        if is_zero::<W>(c) {
            return if np == nc { zero::<W>(np) } else { zero::<W>(env.rc == 1) };
        }
        let (e, sig) = unpack::<W>(c);
        return round_pack::<W>(env, nc, e, sig);
    }
    let (ea, sa) = unpack::<W>(a);
    let (eb, sb) = unpack::<W>(b);
    let p = sa as u128 * sb as u128;
    let (pe, p) = if p >> 127 != 0 { (ea + eb + 1, p) } else { (ea + eb, p << 1) };
    if is_zero::<W>(c) {
        return round_pack::<W>(env, np, pe, top64(p));
    }
    let (ec, sc) = unpack::<W>(c);
    // Both with the leading bit at 126 (a bit of headroom for the carry); the product's
    // low bits are zero, so dropping its bit 0 loses nothing.
    let x = p >> 1;
    let y = (sc as u128) << 63;
    let ((e, big, nb), (e2, small, ns)) =
        if (pe, x) >= (ec, y) { ((pe, x, np), (ec, y, nc)) } else { ((ec, y, nc), (pe, x, np)) };
    let small = jam128(small, (e - e2) as u32);
    let s = if nb == ns { big + small } else { big - small };
    if s == 0 {
        return zero::<W>(env.rc == 1);
    }
    let lz = s.leading_zeros();
    round_pack::<W>(env, nb, e + 1 - lz as i32, top64(s << lz))
}

/// Result of an ordered comparison.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Lt,
    Eq,
    Gt,
    Un,
}

/// Compares a with b. `SIGNALING`: a QNaN operand also raises IE (COMISS, CMPLTPS...).
pub(crate) fn compare<const W: u32, const SIGNALING: bool>(env: &mut Env, a: u64, b: u64) -> Cmp {
    if is_nan::<W>(a) || is_nan::<W>(b) {
        if SIGNALING || is_snan::<W>(a) || is_snan::<W>(b) {
            env.flags |= IE;
        }
        return Cmp::Un;
    }
    let a = daz::<W>(env, a);
    let b = daz::<W>(env, b);
    let (ka, kb) = (order_key::<W>(a), order_key::<W>(b));
    if ka < kb {
        Cmp::Lt
    } else if ka == kb {
        Cmp::Eq
    } else {
        Cmp::Gt
    }
}

/// Maps a non-NaN value to an integer that orders like the value (both zeros equal).
#[inline(always)]
fn order_key<const W: u32>(a: u64) -> i64 {
    let mag = (a & !sign_bit(W)) as i64;
    if sgn::<W>(a) {
        -mag
    } else {
        mag
    }
}

/// MINSS/MAXSS semantics: the second operand is returned when either is NaN (raising IE
/// even for QNaN) or both are zero.
pub(crate) fn minmax<const W: u32, const MAX: bool>(env: &mut Env, a: u64, b: u64) -> u64 {
    // DAZ applies before the NaN rule: a denormal second operand comes back as zero.
    let (da, dna) = daz_quiet::<W>(env, a);
    let (db, dnb) = daz_quiet::<W>(env, b);
    if is_nan::<W>(a) || is_nan::<W>(b) {
        env.flags |= IE;
        return db;
    }
    if dna || dnb {
        env.flags |= DE;
    }
    let (ka, kb) = (order_key::<W>(da), order_key::<W>(db));
    let pick_a = if MAX { ka > kb } else { ka < kb };
    if pick_a {
        da
    } else {
        db
    }
}

/// Converts between formats (CVTSS2SD and friends). `S` is the source width.
pub(crate) fn convert<const S: u32, const D: u32>(env: &mut Env, a: u64) -> u64 {
    let neg = sgn::<S>(a);
    if is_nan::<S>(a) {
        if is_snan::<S>(a) {
            env.flags |= IE;
        }
        let f = a & frac_mask(S);
        let f = if D > S { f << (mbits(D) - mbits(S)) } else { f >> (mbits(S) - mbits(D)) };
        return quiet::<D>(inf::<D>(neg) | f);
    }
    let a = daz::<S>(env, a);
    if is_inf::<S>(a) {
        return inf::<D>(neg);
    }
    if is_zero::<S>(a) {
        return zero::<D>(neg);
    }
    let (e, sig) = unpack::<S>(a);
    round_pack::<D>(env, neg, e, sig)
}

/// Converts a signed integer to format W under the rounding mode.
pub(crate) fn from_int<const W: u32>(env: &mut Env, v: i64) -> u64 {
    if v == 0 {
        return 0;
    }
    let m = v.unsigned_abs();
    let lz = m.leading_zeros();
    round_pack::<W>(env, v < 0, 63 - lz as i32, m << lz)
}

/// Converts to an `IW`-bit signed integer, rounding per MXCSR or truncating (`TRUNC`);
/// NaN and out-of-range values give the integer indefinite 1 << (IW-1) and IE.
pub(crate) fn to_int<const W: u32, const IW: u32, const TRUNC: bool>(env: &mut Env, a: u64) -> u64 {
    let indefinite = 1u64 << (IW - 1);
    if is_nan::<W>(a) || is_inf::<W>(a) {
        env.flags |= IE;
        return indefinite;
    }
    let a = if env.daz && is_denormal::<W>(a) { a & sign_bit(W) } else { a };
    if is_zero::<W>(a) {
        return 0;
    }
    let neg = sgn::<W>(a);
    let (e, sig) = unpack::<W>(a);
    let rc = if TRUNC { 3 } else { env.rc };
    let (mag, inexact) = if e >= 63 {
        // Only -2^63 itself fits; anything larger saturates past every limit.
        (if e == 63 { sig } else { u64::MAX }, false)
    } else if e < -1 {
        // |a| < 1/2: only the directed modes can give 1.
        let up = match rc {
            1 => neg,
            2 => !neg,
            _ => false,
        };
        (up as u64, true)
    } else {
        let shift = (63 - e) as u32;
        let (int, frac_bits) = if shift == 64 { (0, sig) } else { (sig >> shift, sig << (64 - shift)) };
        let half = 1u64 << 63;
        let inc = match rc {
            0 => frac_bits > half || (frac_bits == half && int & 1 != 0),
            1 => neg && frac_bits != 0,
            2 => !neg && frac_bits != 0,
            _ => false,
        };
        (int + inc as u64, frac_bits != 0)
    };
    let limit = if neg { indefinite } else { indefinite - 1 };
    if mag > limit {
        env.flags |= IE;
        return indefinite;
    }
    if inexact {
        env.flags |= PE;
    }
    let r = if neg { mag.wrapping_neg() } else { mag };
    r & (u64::MAX >> (64 - IW))
}
