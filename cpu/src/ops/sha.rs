//! SHA extensions: SHA1RNDS4, SHA1NEXTE, SHA1MSG1, SHA1MSG2, SHA256RNDS2 (with its implicit
//! XMM0 operand), SHA256MSG1, SHA256MSG2. (Intel SDM Vol. 2, each mnemonic; FIPS 180-4.)
//! Dwords are numbered from the top: "A" or "W0" is bits 127:96. Their m128 operand needs
//! no 16-byte alignment on the reference host (unlike AES-NI's and PCLMULQDQ's).

use super::sse_mov::{build_shuf_unaligned as build_shuf, Shuf};
use super::sse_operand::{src_kind, with_src_next, xr};
use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

/// Dwords 3, 2, 1, 0 (bits 127:96 first).
#[inline(always)]
fn d(v: u128) -> [u32; 4] {
    [(v >> 96) as u32, (v >> 64) as u32, (v >> 32) as u32, v as u32]
}

/// The inverse of `d`.
#[inline(always)]
fn from(w: [u32; 4]) -> u128 {
    (w[0] as u128) << 96 | (w[1] as u128) << 64 | (w[2] as u128) << 32 | w[3] as u128
}

/// SHA1RNDS4: four rounds, the function and constant chosen by imm8[1:0].
struct Sha1Rnds4;
impl Shuf for Sha1Rnds4 {
    #[inline(always)]
    fn f(a: u128, b: u128, imm: u8) -> u128 {
        let [mut aa, mut bb, mut cc, mut dd] = d(a);
        let w = d(b);
        let mut e = 0u32;
        let (k, f): (u32, fn(u32, u32, u32) -> u32) = match imm & 3 {
            0 => (0x5a82_7999, |b, c, d| (b & c) ^ (!b & d)),
            1 => (0x6ed9_eba1, |b, c, d| b ^ c ^ d),
            2 => (0x8f1b_bcdc, |b, c, d| (b & c) ^ (b & d) ^ (c & d)),
            _ => (0xca62_c1d6, |b, c, d| b ^ c ^ d),
        };
        for (i, wi) in w.iter().enumerate() {
            // Round 0 takes W0 + E already summed in the source (SHA1NEXTE's job).
            let t = f(bb, cc, dd).wrapping_add(aa.rotate_left(5)).wrapping_add(*wi).wrapping_add(k);
            let t = if i == 0 { t } else { t.wrapping_add(e) };
            e = dd;
            dd = cc;
            cc = bb.rotate_left(30);
            bb = aa;
            aa = t;
        }
        from([aa, bb, cc, dd])
    }
}

/// SHA1NEXTE: the next E (A rotated by 30) added to the first message dword.
struct Sha1Nexte;
impl Shuf for Sha1Nexte {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        let mut w = d(b);
        w[0] = w[0].wrapping_add(d(a)[0].rotate_left(30));
        from(w)
    }
}

struct Sha1Msg1;
impl Shuf for Sha1Msg1 {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        let [w0, w1, w2, w3] = d(a);
        let [w4, w5, _, _] = d(b);
        from([w2 ^ w0, w3 ^ w1, w4 ^ w2, w5 ^ w3])
    }
}

struct Sha1Msg2;
impl Shuf for Sha1Msg2 {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        let s = d(a);
        let [_, w13, w14, w15] = d(b);
        let w16 = (s[0] ^ w13).rotate_left(1);
        let w17 = (s[1] ^ w14).rotate_left(1);
        let w18 = (s[2] ^ w15).rotate_left(1);
        let w19 = (s[3] ^ w16).rotate_left(1);
        from([w16, w17, w18, w19])
    }
}

#[inline(always)]
fn sigma0(w: u32) -> u32 {
    w.rotate_right(7) ^ w.rotate_right(18) ^ (w >> 3)
}

#[inline(always)]
fn sigma1(w: u32) -> u32 {
    w.rotate_right(17) ^ w.rotate_right(19) ^ (w >> 10)
}

struct Sha256Msg1;
impl Shuf for Sha256Msg1 {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        let [w3, w2, w1, w0] = d(a);
        let w4 = b as u32;
        from([
            w3.wrapping_add(sigma0(w4)),
            w2.wrapping_add(sigma0(w3)),
            w1.wrapping_add(sigma0(w2)),
            w0.wrapping_add(sigma0(w1)),
        ])
    }
}

struct Sha256Msg2;
impl Shuf for Sha256Msg2 {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        let s = d(a);
        let [w15, w14, _, _] = d(b);
        let w16 = s[3].wrapping_add(sigma1(w14));
        let w17 = s[2].wrapping_add(sigma1(w15));
        let w18 = s[1].wrapping_add(sigma1(w16));
        let w19 = s[0].wrapping_add(sigma1(w17));
        from([w19, w18, w17, w16])
    }
}

/// SHA256RNDS2: two rounds; the state's C, D, G, H come from the destination, A, B, E, F
/// from the source, and the two message-plus-constant words from XMM0.
fn sha256rnds2<const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_src_next::<S, _>(cpu, op, |cpu, op, b| {
        let dst = xr(op.r0);
        let [c0, d0, g0, h0] = d(cpu.xmm[dst]);
        let [a0, b0, e0, f0] = d(b);
        let wk = [cpu.xmm[0] as u32, (cpu.xmm[0] >> 32) as u32];
        let (mut a, mut bb, mut c, mut dd, mut e, mut f, mut g, mut h) = (a0, b0, c0, d0, e0, f0, g0, h0);
        for k in wk {
            let ch = (e & f) ^ (!e & g);
            let maj = (a & bb) ^ (a & c) ^ (bb & c);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let t = ch.wrapping_add(s1).wrapping_add(k).wrapping_add(h);
            let na = t.wrapping_add(maj).wrapping_add(s0);
            let ne = t.wrapping_add(dd);
            (h, g, f, e) = (g, f, e, ne);
            (dd, c, bb, a) = (c, bb, a, na);
        }
        cpu.xmm[dst] = from([a, bb, e, f]);
        Ok(())
    })
}

fn build_sha256rnds2(i: &Instruction, _: &mut Op) -> Option<Handler> {
    match src_kind(i, true) {
        0 => Some(sha256rnds2::<0>),
        2 => Some(sha256rnds2::<2>),
        _ => None,
    }
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    t.set(C::Sha1rnds4_xmm_xmmm128_imm8, build_shuf::<Sha1Rnds4>);
    t.set(C::Sha1nexte_xmm_xmmm128, build_shuf::<Sha1Nexte>);
    t.set(C::Sha1msg1_xmm_xmmm128, build_shuf::<Sha1Msg1>);
    t.set(C::Sha1msg2_xmm_xmmm128, build_shuf::<Sha1Msg2>);
    t.set(C::Sha256rnds2_xmm_xmmm128, build_sha256rnds2);
    t.set(C::Sha256msg1_xmm_xmmm128, build_shuf::<Sha256Msg1>);
    t.set(C::Sha256msg2_xmm_xmmm128, build_shuf::<Sha256Msg2>);
}
