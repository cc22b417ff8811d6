//! Input generators for the SSE3/SSSE3/SSE4 tests on top of `sse_harness`: edge values in
//! every lane (horizontal operations combine lanes of one register), and every imm8.

#![allow(dead_code)]

use crate::sse_harness::*;

/// Every pair of edge values (x, y) placed in all lane pairs of xmm0, xmm1 and memory,
/// under several MXCSR settings; then `n` random states.
pub fn run_lanes(c: &mut Checker, k: Kind, n: u64, seed: u64) {
    let mut r = Rng(seed | 1);
    let edges: Vec<u64> = match k {
        Kind::F32 => F32_EDGE.iter().map(|&v| v as u64).collect(),
        Kind::F64 => F64_EDGE.to_vec(),
        Kind::Int => (0..64).map(|_| r.next()).collect(),
    };
    let w = if k == Kind::F32 { 32 } else { 64 };
    let lanes = 128 / w;
    let put = |vals: &[u64]| -> u128 {
        (0..lanes).fold(0u128, |v, i| v | (vals[i % vals.len()] as u128 & mask(w)) << (w * i))
    };
    for (ai, &a) in edges.iter().enumerate() {
        for (bi, &b) in edges.iter().enumerate() {
            let mut st = rand_state(&mut r, k);
            let o = r.pick(&edges);
            st.x[0] = put(&[a, b, o, a]);
            st.x[1] = put(&[b, o, a, b]);
            st.mem[..16].copy_from_slice(&put(&[o, a, b, a]).to_le_bytes());
            st.mem[16..32].copy_from_slice(&put(&[b, a, a, o]).to_le_bytes());
            st.mxcsr = [0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9f80, 0x1fc0, 0x9fc0, 0xdfc0][(ai + bi) % 8]
                | (r.below(2) as u32 * r.below(64) as u32);
            c.check(&st);
        }
    }
    for _ in 0..n {
        let st = rand_state(&mut r, k);
        c.check(&st);
    }
    c.done();
}

fn mask(w: usize) -> u128 {
    if w == 64 {
        u64::MAX as u128
    } else {
        0xffff_ffff
    }
}
