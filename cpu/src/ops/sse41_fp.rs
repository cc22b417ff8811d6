//! SSE4.1 floating point: ROUNDPS ROUNDPD ROUNDSS ROUNDSD and DPPS DPPD (Intel SDM
//! Vol. 2, each mnemonic).
//!
//! ROUND: imm8[1:0] is the rounding mode unless imm8[2] selects MXCSR.RC; imm8[3]
//! suppresses the precision exception. Only SNaN raises IE; DAZ applies to the input,
//! and DE is never signalled (the result is an integer, so FTZ and UE cannot arise).
//!
//! DP: each selected product is rounded, then the sums are rounded in the order the SDM
//! pseudocode gives ((p0 + p1) + (p2 + p3) for DPPS), each step with the full SSE
//! exception, NaN and DAZ/FTZ rules, as separate operations would. An unmasked exception
//! stops the instruction at the end of its stage (the products, each level of sums),
//! reporting every flag of that stage, as the host does.

use super::sse3::{build_fp, FpOp};
use super::sse_float::{self as sf, is_nan, is_snan, mbits, sign_bit, Env, IE, PE};
use super::sse_operand::{lane, with_lane};
use super::Table;
use iced_x86::Code;

/// Rounds one W-bit value to an integral value in mode `rc` (0 nearest-even, 1 down,
/// 2 up, 3 toward zero).
#[inline(always)]
fn round_lane<const W: u32>(env: &mut Env, x: u64, rc: u32, quiet_pe: bool) -> u64 {
    let mb = mbits(W);
    let emax: u64 = if W == 32 { 0xff } else { 0x7ff };
    let bias = if W == 32 { 127 } else { 1023 };
    let fmask = (1u64 << mb) - 1;
    let e = (x >> mb) & emax;
    let frac = x & fmask;
    let sign = x & sign_bit(W);
    let neg = sign != 0;
    if e == emax {
        if is_nan::<W>(x) {
            if is_snan::<W>(x) {
                env.flags |= IE;
            }
            return x | 1 << (mb - 1);
        }
        return x;
    }
    if e == 0 && (frac == 0 || env.daz) {
        return sign;
    }
    let ue = e as i32 - bias;
    if ue >= mb as i32 {
        return x;
    }
    let r = if ue < 0 {
        // |x| < 1 (including denormals): the result is 0 or 1 with x's sign.
        let above_half = ue == -1 && frac != 0;
        let one = match rc {
            0 => above_half,
            1 => neg,
            2 => !neg,
            _ => false,
        };
        sign | if one { (bias as u64) << mb } else { 0 }
    } else {
        let shift = mb - ue as u32;
        let sig = frac | 1 << mb;
        let rb = sig & ((1 << shift) - 1);
        if rb == 0 {
            return x;
        }
        let int = sig >> shift;
        let half = 1u64 << (shift - 1);
        let inc = match rc {
            0 => rb > half || (rb == half && int & 1 != 0),
            1 => neg,
            2 => !neg,
            _ => false,
        };
        let n = int + inc as u64;
        let p = 63 - n.leading_zeros();
        sign | (p as u64 + bias as u64) << mb | ((n << (mb - p)) & fmask)
    };
    if !quiet_pe {
        env.flags |= PE;
    }
    r
}

#[inline(always)]
fn mode(env: &Env, imm: u8) -> u32 {
    if imm & 4 != 0 {
        env.rc
    } else {
        (imm & 3) as u32
    }
}

/// ROUNDPS/PD (`P`) or ROUNDSS/SD.
pub(super) struct Round<const W: u32, const P: bool>;
impl<const W: u32, const P: bool> FpOp for Round<W, P> {
    fn f(env: &mut Env, a: u128, b: u128, imm: u8) -> u128 {
        let rc = mode(env, imm);
        let q = imm & 8 != 0;
        if P {
            let mut r = 0;
            for i in 0..128 / W {
                r = with_lane::<W>(r, i, round_lane::<W>(env, lane::<W>(b, i), rc, q));
            }
            r
        } else {
            with_lane::<W>(a, 0, round_lane::<W>(env, lane::<W>(b, 0), rc, q))
        }
    }
}

/// DPPS (W = 32) and DPPD (W = 64) on `k` 128-bit lanes at once (VDPPS ymm has two), stage
/// by stage: imm8[4+i] selects the products, imm8[i] the lanes that receive the sum (the
/// others get +0.0). None when a stage raised an unmasked exception (see `Env::stage_faults`).
pub(super) fn dp<const W: u32>(
    env: &mut Env,
    a: [u128; 2],
    b: [u128; 2],
    k: usize,
    imm: u8,
) -> Option<[u128; 2]> {
    let n = 128 / W;
    let mut p = [[0u64; 4]; 2];
    for l in 0..k {
        for i in 0..n {
            if imm >> (4 + i) & 1 != 0 {
                p[l][i as usize] = sf::mul::<W>(env, lane::<W>(a[l], i), lane::<W>(b[l], i));
            }
        }
    }
    if env.stage_faults() {
        return None;
    }
    let mut s = [0u64; 2];
    if n == 4 {
        let mut lohi = [[0u64; 2]; 2];
        for l in 0..k {
            lohi[l] =
                [sf::add::<W, false>(env, p[l][0], p[l][1]), sf::add::<W, false>(env, p[l][2], p[l][3])];
        }
        if env.stage_faults() {
            return None;
        }
        for l in 0..k {
            s[l] = sf::add::<W, false>(env, lohi[l][0], lohi[l][1]);
        }
    } else {
        for l in 0..k {
            s[l] = sf::add::<W, false>(env, p[l][0], p[l][1]);
        }
    }
    let mut r = [0u128; 2];
    for l in 0..k {
        for i in 0..n {
            if imm >> i & 1 != 0 {
                r[l] = with_lane::<W>(r[l], i, s[l]);
            }
        }
    }
    Some(r)
}

/// DPPS (W = 32) and DPPD (W = 64) on one XMM register (see `dp`).
pub(super) struct Dp<const W: u32>;
impl<const W: u32> FpOp for Dp<W> {
    fn f(env: &mut Env, a: u128, b: u128, imm: u8) -> u128 {
        dp::<W>(env, [a, 0], [b, 0], 1, imm).map_or(0, |r| r[0])
    }
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Roundps_xmm_xmmm128_imm8, build_fp::<Round<32, true>>);
    t.set(Code::Roundpd_xmm_xmmm128_imm8, build_fp::<Round<64, true>>);
    t.set(Code::Roundss_xmm_xmmm32_imm8, build_fp::<Round<32, false>>);
    t.set(Code::Roundsd_xmm_xmmm64_imm8, build_fp::<Round<64, false>>);
    t.set(Code::Dpps_xmm_xmmm128_imm8, build_fp::<Dp<32>>);
    t.set(Code::Dppd_xmm_xmmm128_imm8, build_fp::<Dp<64>>);
}
