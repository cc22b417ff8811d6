//! AES-NI and VAES: AESENC, AESENCLAST, AESDEC, AESDECLAST, AESIMC, AESKEYGENASSIST, their
//! VEX.128 forms and the VEX.256 (VAES) forms of the four round instructions, which work
//! on each 128-bit lane. (Intel SDM Vol. 2, each mnemonic; FIPS-197 for the round steps.)
//!
//! Portable byte-wise code: the state is 16 bytes in the FIPS-197 column order (byte
//! r + 4c is row r of column c), the S-boxes are computed once at compile time.

use super::avx_operand::build_lanes;
use super::sse_mov::{build_shuf, Shuf};
use super::Table;
use iced_x86::Code;

/// GF(2^8) multiplication modulo x^8 + x^4 + x^3 + x + 1.
const fn gmul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

/// The S-box: the multiplicative inverse followed by the affine transform.
const SBOX: [u8; 256] = {
    let mut s = [0u8; 256];
    let mut x = 0usize;
    while x < 256 {
        // Inverse by search (x^254 would do too): fine at compile time.
        let mut inv = 0u8;
        if x != 0 {
            let mut y = 1usize;
            while y < 256 {
                if gmul(x as u8, y as u8) == 1 {
                    inv = y as u8;
                    break;
                }
                y += 1;
            }
        }
        let b = inv;
        s[x] = b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63;
        x += 1;
    }
    s
};

const INV_SBOX: [u8; 256] = {
    let mut s = [0u8; 256];
    let mut x = 0;
    while x < 256 {
        s[SBOX[x] as usize] = x as u8;
        x += 1;
    }
    s
};

#[inline(always)]
fn bytes(v: u128) -> [u8; 16] {
    v.to_le_bytes()
}

#[inline(always)]
fn sub_shift<const INV: bool>(s: [u8; 16]) -> [u8; 16] {
    let mut o = [0u8; 16];
    for c in 0..4 {
        for r in 0..4 {
            // ShiftRows moves row r left by r columns; InvShiftRows right.
            let from = if INV { r + 4 * ((c + 4 - r) % 4) } else { r + 4 * ((c + r) % 4) };
            o[r + 4 * c] = if INV { INV_SBOX[s[from] as usize] } else { SBOX[s[from] as usize] };
        }
    }
    o
}

/// Products by the (Inv)MixColumns coefficients, looked up rather than computed.
const fn mul_table(k: u8) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut x = 0;
    while x < 256 {
        t[x] = gmul(x as u8, k);
        x += 1;
    }
    t
}
const MUL: [[u8; 256]; 6] =
    [mul_table(2), mul_table(3), mul_table(9), mul_table(11), mul_table(13), mul_table(14)];

#[inline(always)]
fn mix<const INV: bool>(s: [u8; 16]) -> [u8; 16] {
    let mut o = [0u8; 16];
    for c in 0..4 {
        let [a0, a1, a2, a3] =
            [s[4 * c] as usize, s[4 * c + 1] as usize, s[4 * c + 2] as usize, s[4 * c + 3] as usize];
        let col = if INV {
            let (m9, m11, m13, m14) = (&MUL[2], &MUL[3], &MUL[4], &MUL[5]);
            [
                m14[a0] ^ m11[a1] ^ m13[a2] ^ m9[a3],
                m9[a0] ^ m14[a1] ^ m11[a2] ^ m13[a3],
                m13[a0] ^ m9[a1] ^ m14[a2] ^ m11[a3],
                m11[a0] ^ m13[a1] ^ m9[a2] ^ m14[a3],
            ]
        } else {
            let (m2, m3) = (&MUL[0], &MUL[1]);
            let b = [a0 as u8, a1 as u8, a2 as u8, a3 as u8];
            [
                m2[a0] ^ m3[a1] ^ b[2] ^ b[3],
                b[0] ^ m2[a1] ^ m3[a2] ^ b[3],
                b[0] ^ b[1] ^ m2[a2] ^ m3[a3],
                m3[a0] ^ b[1] ^ b[2] ^ m2[a3],
            ]
        };
        o[4 * c..4 * c + 4].copy_from_slice(&col);
    }
    o
}

/// AESENC (`LAST` false) / AESENCLAST; AESDEC / AESDECLAST with `DEC`. `a` is the state,
/// `b` the round key.
pub(super) struct Round<const DEC: bool, const LAST: bool>;
impl<const DEC: bool, const LAST: bool> Shuf for Round<DEC, LAST> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        let s = sub_shift::<DEC>(bytes(a));
        let s = if LAST { s } else { mix::<DEC>(s) };
        u128::from_le_bytes(s) ^ b
    }
}

/// AESIMC: InvMixColumns of the source.
struct Imc;
impl Shuf for Imc {
    #[inline(always)]
    fn f(_: u128, b: u128, _: u8) -> u128 {
        u128::from_le_bytes(mix::<true>(bytes(b)))
    }
}

/// AESKEYGENASSIST: SubWord and RotWord of source dwords 1 and 3, with RCON = imm8.
struct KeyGenAssist;
impl Shuf for KeyGenAssist {
    #[inline(always)]
    fn f(_: u128, b: u128, imm: u8) -> u128 {
        let sub = |w: u32| u32::from_le_bytes(w.to_le_bytes().map(|x| SBOX[x as usize]));
        let (x1, x3) = (sub((b >> 32) as u32), sub((b >> 96) as u32));
        let rcon = imm as u32;
        x1 as u128
            | ((x1.rotate_right(8) ^ rcon) as u128) << 32
            | (x3 as u128) << 64
            | ((x3.rotate_right(8) ^ rcon) as u128) << 96
    }
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    t.set(C::Aesenc_xmm_xmmm128, build_shuf::<Round<false, false>>);
    t.set(C::Aesenclast_xmm_xmmm128, build_shuf::<Round<false, true>>);
    t.set(C::Aesdec_xmm_xmmm128, build_shuf::<Round<true, false>>);
    t.set(C::Aesdeclast_xmm_xmmm128, build_shuf::<Round<true, true>>);
    t.set(C::Aesimc_xmm_xmmm128, build_shuf::<Imc>);
    t.set(C::Aeskeygenassist_xmm_xmmm128_imm8, build_shuf::<KeyGenAssist>);
    for c in [C::VEX_Vaesenc_xmm_xmm_xmmm128, C::VEX_Vaesenc_ymm_ymm_ymmm256] {
        t.set(c, build_lanes::<Round<false, false>>);
    }
    for c in [C::VEX_Vaesenclast_xmm_xmm_xmmm128, C::VEX_Vaesenclast_ymm_ymm_ymmm256] {
        t.set(c, build_lanes::<Round<false, true>>);
    }
    for c in [C::VEX_Vaesdec_xmm_xmm_xmmm128, C::VEX_Vaesdec_ymm_ymm_ymmm256] {
        t.set(c, build_lanes::<Round<true, false>>);
    }
    for c in [C::VEX_Vaesdeclast_xmm_xmm_xmmm128, C::VEX_Vaesdeclast_ymm_ymm_ymmm256] {
        t.set(c, build_lanes::<Round<true, true>>);
    }
    t.set(C::VEX_Vaesimc_xmm_xmmm128, build_lanes::<Imc>);
    t.set(C::VEX_Vaeskeygenassist_xmm_xmmm128_imm8, build_lanes::<KeyGenAssist>);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FIPS-197 Appendix C.1: AES-128, the whole cipher from the round instructions.
    #[test]
    fn fips197_aes128_vector() {
        let key: u128 = u128::from_le_bytes([
            0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
        ]);
        let pt = u128::from_le_bytes([
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
        ]);
        // Key expansion with AESKEYGENASSIST, as compilers emit it.
        let rcon = [1u8, 2, 4, 8, 16, 32, 64, 128, 0x1b, 0x36];
        let mut ks = vec![key];
        for r in rcon {
            let prev = *ks.last().unwrap();
            let t = KeyGenAssist::f(0, prev, r);
            let t = (t >> 96) as u32;
            let mut w = [prev as u32, (prev >> 32) as u32, (prev >> 64) as u32, (prev >> 96) as u32];
            w[0] ^= t;
            w[1] ^= w[0];
            w[2] ^= w[1];
            w[3] ^= w[2];
            ks.push(w[0] as u128 | (w[1] as u128) << 32 | (w[2] as u128) << 64 | (w[3] as u128) << 96);
        }
        let mut s = pt ^ ks[0];
        for k in &ks[1..10] {
            s = Round::<false, false>::f(s, *k, 0);
        }
        s = Round::<false, true>::f(s, ks[10], 0);
        let want =
            [0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a];
        assert_eq!(s.to_le_bytes(), want);
        // And back: the equivalent inverse cipher with AESIMC'd round keys.
        let mut d = s ^ ks[10];
        for k in ks[1..10].iter().rev() {
            d = Round::<true, false>::f(d, Imc::f(0, *k, 0), 0);
        }
        d = Round::<true, true>::f(d, ks[0], 0);
        assert_eq!(d, pt);
    }
}
