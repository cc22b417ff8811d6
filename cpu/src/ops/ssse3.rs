//! SSSE3 on XMM registers: PSHUFB, PHADDW PHADDD PHADDSW, PHSUBW PHSUBD PHSUBSW,
//! PMADDUBSW, PMULHRSW, PSIGNB PSIGNW PSIGND, PABSB PABSW PABSD, PALIGNR (Intel SDM
//! Vol. 2, each mnemonic).
//!
//! Each operation is written for a register of `N` bytes (16 for XMM, 8 for the MMX
//! forms) held in the low bytes of a `u128`, so the MMX forms can reuse them.

use super::sse_mov::{build_shuf, Shuf};
use super::Table;
use iced_x86::Code;

#[inline(always)]
fn get<const W: u32>(v: u128, i: u32) -> u64 {
    super::sse_operand::lane::<W>(v, i)
}

/// Builds a value from `n` lanes of W bits.
#[inline(always)]
fn build<const W: u32>(n: u32, f: impl Fn(u32) -> u64) -> u128 {
    let m = super::sse_operand::lane_mask(W) as u128;
    (0..n).fold(0u128, |v, i| v | (f(i) as u128 & m) << (i * W))
}

/// PSHUFB: byte i becomes a[b[i] mod N], or zero when b[i] has its top bit set.
pub(crate) struct Pshufb<const N: u32>;
impl<const N: u32> Shuf for Pshufb<N> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<8>(N, |i| {
            let s = get::<8>(b, i);
            if s & 0x80 != 0 {
                0
            } else {
                get::<8>(a, (s as u32) & (N - 1))
            }
        })
    }
}

/// Horizontal add/subtract of adjacent W-bit lanes: the destination's pairs fill the
/// low half of the result, the source's the high half.
pub(crate) struct Horiz<const N: u32, const W: u32, const SUB: bool, const SAT: bool>;
impl<const N: u32, const W: u32, const SUB: bool, const SAT: bool> Shuf for Horiz<N, W, SUB, SAT> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        let n = N * 8 / W;
        build::<W>(n, |i| {
            let v = if i < n / 2 { a } else { b };
            let j = 2 * (i % (n / 2));
            let (x, y) = (get::<W>(v, j), get::<W>(v, j + 1));
            if SAT {
                let (x, y) = (x as i16, y as i16);
                (if SUB { x.saturating_sub(y) } else { x.saturating_add(y) }) as u16 as u64
            } else if SUB {
                x.wrapping_sub(y)
            } else {
                x.wrapping_add(y)
            }
        })
    }
}

/// PMADDUBSW: unsigned bytes of the destination times signed bytes of the source,
/// adjacent products summed with signed saturation.
pub(crate) struct Pmaddubsw<const N: u32>;
impl<const N: u32> Shuf for Pmaddubsw<N> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<16>(N / 2, |i| {
            let p = |k: u32| get::<8>(a, k) as i32 * get::<8>(b, k) as i8 as i32;
            (p(2 * i) + p(2 * i + 1)).clamp(-32768, 32767) as u16 as u64
        })
    }
}

/// PMULHRSW: the rounded high half of the 16x16 signed product, scaled by 2^-15.
pub(crate) struct Pmulhrsw<const N: u32>;
impl<const N: u32> Shuf for Pmulhrsw<N> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<16>(N / 2, |i| {
            let p = get::<16>(a, i) as i16 as i32 * get::<16>(b, i) as i16 as i32;
            (((p >> 14) + 1) >> 1) as u32 as u64
        })
    }
}

#[inline(always)]
fn sext<const W: u32>(x: u64) -> i64 {
    ((x << (64 - W)) as i64) >> (64 - W)
}

/// PSIGN: negate (wrapping), zero or keep the destination lane by the source lane's sign.
pub(crate) struct Psign<const N: u32, const W: u32>;
impl<const N: u32, const W: u32> Shuf for Psign<N, W> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        build::<W>(N * 8 / W, |i| {
            let s = sext::<W>(get::<W>(b, i));
            let x = get::<W>(a, i);
            if s < 0 {
                x.wrapping_neg()
            } else if s == 0 {
                0
            } else {
                x
            }
        })
    }
}

/// PABS: absolute value of the source lanes (the most negative value stays as is).
pub(crate) struct Pabs<const N: u32, const W: u32>;
impl<const N: u32, const W: u32> Shuf for Pabs<N, W> {
    #[inline(always)]
    fn f(_: u128, b: u128, _: u8) -> u128 {
        build::<W>(N * 8 / W, |i| sext::<W>(get::<W>(b, i)).unsigned_abs())
    }
}

/// PALIGNR: the destination:source concatenation (destination high) shifted right by
/// imm8 bytes; shifts of 2N or more give zero.
pub(crate) struct Palignr<const N: u32>;
impl<const N: u32> Shuf for Palignr<N> {
    #[inline(always)]
    fn f(a: u128, b: u128, imm: u8) -> u128 {
        let s = imm as u32;
        if N == 16 {
            match s {
                0 => b,
                1..=15 => b >> (8 * s) | a << (128 - 8 * s),
                16..=31 => a >> (8 * (s - 16)),
                _ => 0,
            }
        } else {
            let v = (b as u64 as u128) | (a as u64 as u128) << 64;
            if s >= 16 {
                0
            } else {
                (v >> (8 * s)) as u64 as u128
            }
        }
    }
}

pub(super) fn register(t: &mut Table) {
    // The MMX-register forms share the lane operations at 8 bytes.
    use super::mmx::build_bin;
    t.set(Code::Pshufb_mm_mmm64, build_bin::<Pshufb<8>>);
    t.set(Code::Phaddw_mm_mmm64, build_bin::<Horiz<8, 16, false, false>>);
    t.set(Code::Phaddd_mm_mmm64, build_bin::<Horiz<8, 32, false, false>>);
    t.set(Code::Phaddsw_mm_mmm64, build_bin::<Horiz<8, 16, false, true>>);
    t.set(Code::Phsubw_mm_mmm64, build_bin::<Horiz<8, 16, true, false>>);
    t.set(Code::Phsubd_mm_mmm64, build_bin::<Horiz<8, 32, true, false>>);
    t.set(Code::Phsubsw_mm_mmm64, build_bin::<Horiz<8, 16, true, true>>);
    t.set(Code::Pmaddubsw_mm_mmm64, build_bin::<Pmaddubsw<8>>);
    t.set(Code::Pmulhrsw_mm_mmm64, build_bin::<Pmulhrsw<8>>);
    t.set(Code::Psignb_mm_mmm64, build_bin::<Psign<8, 8>>);
    t.set(Code::Psignw_mm_mmm64, build_bin::<Psign<8, 16>>);
    t.set(Code::Psignd_mm_mmm64, build_bin::<Psign<8, 32>>);
    t.set(Code::Pabsb_mm_mmm64, build_bin::<Pabs<8, 8>>);
    t.set(Code::Pabsw_mm_mmm64, build_bin::<Pabs<8, 16>>);
    t.set(Code::Pabsd_mm_mmm64, build_bin::<Pabs<8, 32>>);
    t.set(Code::Palignr_mm_mmm64_imm8, build_bin::<Palignr<8>>);

    t.set(Code::Pshufb_xmm_xmmm128, build_shuf::<Pshufb<16>>);
    t.set(Code::Phaddw_xmm_xmmm128, build_shuf::<Horiz<16, 16, false, false>>);
    t.set(Code::Phaddd_xmm_xmmm128, build_shuf::<Horiz<16, 32, false, false>>);
    t.set(Code::Phaddsw_xmm_xmmm128, build_shuf::<Horiz<16, 16, false, true>>);
    t.set(Code::Phsubw_xmm_xmmm128, build_shuf::<Horiz<16, 16, true, false>>);
    t.set(Code::Phsubd_xmm_xmmm128, build_shuf::<Horiz<16, 32, true, false>>);
    t.set(Code::Phsubsw_xmm_xmmm128, build_shuf::<Horiz<16, 16, true, true>>);
    t.set(Code::Pmaddubsw_xmm_xmmm128, build_shuf::<Pmaddubsw<16>>);
    t.set(Code::Pmulhrsw_xmm_xmmm128, build_shuf::<Pmulhrsw<16>>);
    t.set(Code::Psignb_xmm_xmmm128, build_shuf::<Psign<16, 8>>);
    t.set(Code::Psignw_xmm_xmmm128, build_shuf::<Psign<16, 16>>);
    t.set(Code::Psignd_xmm_xmmm128, build_shuf::<Psign<16, 32>>);
    t.set(Code::Pabsb_xmm_xmmm128, build_shuf::<Pabs<16, 8>>);
    t.set(Code::Pabsw_xmm_xmmm128, build_shuf::<Pabs<16, 16>>);
    t.set(Code::Pabsd_xmm_xmmm128, build_shuf::<Pabs<16, 32>>);
    t.set(Code::Palignr_xmm_xmmm128_imm8, build_shuf::<Palignr<16>>);
}
