//! The x87 fast paths (`cpu/src/ops/x87_fast.rs`) against the host FPU: operands and
//! results chosen to hit rounding edge cases — ties and near-ties at 24, 53 and 64 bits,
//! every rounding mode and precision control, carries into the exponent, results at the
//! edges of the normal range (where the fast path must hand over to the general one),
//! stores to m32/m64 and integer stores around half-integers and the integer limits.
//! Expected values are the host's (bit-for-bit FNSAVE images; see x87/mod.rs).
#![cfg(target_arch = "x86_64")]

mod reference_host;
mod x87;
use x87::*;

/// Every PC (24, 53, 64) with every RC, then PE unmasked, then everything unmasked.
const FCWS: [u16; 14] = [
    0x007f, 0x047f, 0x087f, 0x0c7f, 0x027f, 0x067f, 0x0a7f, 0x0e7f, 0x037f, 0x077f, 0x0b7f, 0x0f7f, 0x035f,
    0x0340,
];

fn case(st: &[u128], fcw: u16) -> Case {
    let mut c = Case { fcw, n: st.len(), ..Default::default() };
    c.st[..st.len()].copy_from_slice(st);
    c
}

fn with_mem(mut c: Case, bytes: &[u8]) -> Case {
    c.mem[..bytes.len()].copy_from_slice(bytes);
    c
}

/// A significand with only its top `k` bits random (integer bit set): products and sums
/// of such values are often exact or exact ties at the rounding position.
fn short_mant(r: &mut Rng, k: u32) -> u64 {
    let m = r.next() | 1 << 63;
    if k >= 64 {
        m
    } else {
        m & !(u64::MAX >> k)
    }
}

/// Significands at the interesting places: ties and near-ties at 24/53/64 bits, runs of
/// ones that carry into the exponent when rounded up, and random short ones.
fn mant(r: &mut Rng) -> u64 {
    let top = 1u64 << 63;
    match r.next() % 10 {
        0 => {
            // a tie (or one ulp either side of it) at 24 or 53 bits
            let p = if r.next() & 1 == 0 { 24 } else { 53 };
            let half = 1u64 << (63 - p);
            let base = short_mant(r, p) | half;
            match r.next() % 3 {
                0 => base,
                1 => base + 1,
                _ => base - 1,
            }
        }
        1 => {
            // ones down to bit 64-k: rounding up carries into the exponent
            let k = [24, 25, 53, 54, 63, 64][(r.next() % 6) as usize];
            let m = u64::MAX << (64 - k);
            if r.next() & 1 == 0 {
                m
            } else {
                m | (r.next() & !(u64::MAX << (64 - k)))
            }
        }
        2 => top | (r.next() % 16),
        3 => u64::MAX - r.next() % 16,
        _ => {
            let k = [8, 12, 24, 27, 32, 40, 53, 64][(r.next() % 8) as usize];
            short_mant(r, k)
        }
    }
}

/// Biased exponents: mostly near 1.0 (so that sums align in every way), sometimes near
/// the bottom or the top of the normal range.
fn exp(r: &mut Rng) -> u16 {
    match r.next() % 8 {
        0 => 1 + (r.next() % 80) as u16,
        1 => 0x7ffe - (r.next() % 80) as u16,
        2 => 0x3fff - 8192 + (r.next() % 16384) as u16,
        _ => 0x3fff - 40 + (r.next() % 80) as u16,
    }
}

fn value(r: &mut Rng) -> u128 {
    let s = (r.next() & 0x8000) as u16;
    f80(s | exp(r), mant(r))
}

/// A second operand close to `a` in exponent half of the time (cancellation, ties in
/// sums), or with an exponent pushing the result to an edge of the range.
fn partner(r: &mut Rng, a: u128) -> u128 {
    let ea = ((a >> 64) & 0x7fff) as i32;
    let s = (r.next() & 0x8000) as u16;
    let e = match r.next() % 4 {
        0 => (ea + (r.next() % 140) as i32 - 70).clamp(1, 0x7ffe),
        1 => (ea + (r.next() % 6) as i32 - 3).clamp(1, 0x7ffe),
        // a product or quotient near the bottom/top of the range
        2 => (0x3fff * 2 - ea + (r.next() % 8) as i32 - 4).clamp(1, 0x7ffe),
        _ => exp(r) as i32,
    };
    f80(s | e as u16, mant(r))
}

const N: usize = 1500;

#[test]
fn register_arith_rounding() {
    if reference_host::skip_here("register_arith_rounding") {
        return;
    }
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut cases = Vec::new();
    // fadd fmul fsub fsubr fdiv fdivr st0,st1; then faddp/fsubrp/fdivrp st1,st0.
    let bodies: [&[u8]; 9] = [
        &[0xd8, 0xc1],
        &[0xd8, 0xc9],
        &[0xd8, 0xe1],
        &[0xd8, 0xe9],
        &[0xd8, 0xf1],
        &[0xd8, 0xf9],
        &[0xde, 0xc1],
        &[0xde, 0xe1],
        &[0xde, 0xf1],
    ];
    for k in 0..N {
        let a = value(&mut r);
        let b = partner(&mut r, a);
        for (j, body) in bodies.iter().enumerate() {
            let fcw = FCWS[(k + j) % FCWS.len()];
            cases.push((case(&[a, b], fcw), body.to_vec()));
        }
    }
    check_all(cases);
}

#[test]
fn memory_arith_rounding() {
    if reference_host::skip_here("memory_arith_rounding") {
        return;
    }
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    let mut cases = Vec::new();
    for k in 0..N {
        let a = value(&mut r);
        let f = ((r.next() as u32) & 0x807f_ffff) | (((r.next() % 254) as u32 + 1) << 23);
        let d = (r.next() & 0x800f_ffff_ffff_ffff) | ((r.next() % 2046 + 1) << 52);
        for op in 0..8u8 {
            if op == 2 || op == 3 {
                continue;
            }
            let fcw = FCWS[(k + op as usize) % FCWS.len()];
            cases.push((with_mem(case(&[a], fcw), &f.to_le_bytes()), vec![0xd8, op << 3 | 6]));
            cases.push((with_mem(case(&[a], fcw), &d.to_le_bytes()), vec![0xdc, op << 3 | 6]));
        }
    }
    check_all(cases);
}

/// Values around the single/double rounding points and their range limits.
fn store_value(r: &mut Rng) -> u128 {
    let s = (r.next() & 0x8000) as u16;
    let e = match r.next() % 6 {
        0 => 0x3fff - 126 + (r.next() % 6) as u16 - 3,
        1 => 0x3fff + 127 + (r.next() % 4) as u16 - 2,
        2 => 0x3fff - 1022 + (r.next() % 6) as u16 - 3,
        3 => 0x3fff + 1023 + (r.next() % 4) as u16 - 2,
        _ => exp(r),
    };
    f80(s | e, mant(r))
}

#[test]
fn stores_to_m32_m64() {
    if reference_host::skip_here("stores_to_m32_m64") {
        return;
    }
    let mut r = Rng(0x0123_4567_89ab_cdef);
    let mut cases = Vec::new();
    // fst m32, fstp m32, fst m64, fstp m64
    let bodies = [[0xd9, 0x16], [0xd9, 0x1e], [0xdd, 0x16], [0xdd, 0x1e]];
    for k in 0..N * 2 {
        let a = store_value(&mut r);
        for (j, body) in bodies.iter().enumerate() {
            let fcw = FCWS[(k + j) % FCWS.len()];
            cases.push((case(&[a, 0], fcw), body.to_vec()));
        }
    }
    check_all(cases);
}

/// Integers plus or minus a fraction near 0, 1/2 and 1, and values near the limits of
/// 16/32/64-bit integers.
fn int_value(r: &mut Rng) -> u128 {
    let s = (r.next() & 0x8000) as u16;
    let bits = [1, 2, 3, 8, 15, 16, 31, 32, 52, 63, 64][(r.next() % 11) as usize];
    let i = (r.next() >> (64 - bits)).max(1);
    // Build i + f exactly: significand of i shifted, with the fraction bits below it.
    let lz = i.leading_zeros();
    let m = i << lz;
    let e = 0x3fff + 63 - lz as u16;
    let int_bits = 64 - lz; // bits used by the integer part
    let room = 64 - int_bits;
    let m = if room > 0 {
        let f = match r.next() % 6 {
            0 => 0,
            1 => 1u64 << (room - 1),       // .5
            2 => (1u64 << (room - 1)) + 1, // just above .5
            3 => (1u64 << (room - 1)) - 1, // just below .5
            4 => r.next() >> int_bits,     // anything
            _ => 1,                        // tiny fraction
        };
        m | f
    } else {
        m
    };
    if r.next() % 8 == 0 {
        // a pure fraction below 1
        let e = 0x3fff - 1 - (r.next() % 4) as u16;
        return f80(s | e, mant(r));
    }
    f80(s | e, m)
}

#[test]
fn integer_stores() {
    if reference_host::skip_here("integer_stores") {
        return;
    }
    let mut r = Rng(0xdead_beef_cafe_f00d);
    let mut cases = Vec::new();
    // fist m16/m32, fistp m16/m32/m64, fisttp m16/m32/m64
    let bodies: [[u8; 2]; 8] = [
        [0xdf, 0x16],
        [0xdb, 0x16],
        [0xdf, 0x1e],
        [0xdb, 0x1e],
        [0xdf, 0x3e],
        [0xdf, 0x0e],
        [0xdb, 0x0e],
        [0xdd, 0x0e],
    ];
    for k in 0..N * 2 {
        let a = int_value(&mut r);
        for (j, body) in bodies.iter().enumerate() {
            let fcw = FCWS[(k + j) % FCWS.len()];
            cases.push((case(&[a, 0], fcw), body.to_vec()));
        }
    }
    check_all(cases);
}

#[test]
fn comparisons() {
    if reference_host::skip_here("comparisons") {
        return;
    }
    let mut r = Rng(0x5555_aaaa_1234_4321);
    let mut cases = Vec::new();
    // fcom st1, fucomi st1, fcomip st1, ftst
    let bodies: [&[u8]; 4] = [&[0xd8, 0xd1], &[0xdb, 0xe9], &[0xdf, 0xf1], &[0xd9, 0xe4]];
    for k in 0..N {
        let a = value(&mut r);
        let b = match r.next() % 4 {
            0 => a,
            1 => a ^ 1 << 79,
            2 => a ^ (r.next() as u128 & 3),
            _ => partner(&mut r, a),
        };
        for (j, body) in bodies.iter().enumerate() {
            cases.push((case(&[a, b], FCWS[(k + j) % FCWS.len()]), body.to_vec()));
        }
    }
    check_all(cases);
}

/// An integer as an 80-bit value (exact).
fn int_f80(i: u64) -> u128 {
    let lz = i.leading_zeros();
    f80(0x3fff + 63 - lz as u16, i << lz)
}

#[test]
fn square_roots() {
    if reference_host::skip_here("square_roots") {
        return;
    }
    let mut r = Rng(0x7777_1111_3333_9999);
    let mut cases = Vec::new();
    for k in 0..N * 2 {
        let a = match r.next() % 4 {
            // perfect squares and their neighbours (exact results, results just off)
            0 => {
                let s = (r.next() >> (r.next() % 32 + 32)).max(2);
                let sq = s.wrapping_mul(s);
                let sq = if s >> 32 == 0 { sq } else { u64::MAX };
                int_f80(sq.wrapping_add(r.next() % 3).wrapping_sub(1).max(1))
            }
            1 => value(&mut r) & !(1 << 79),
            _ => value(&mut r),
        };
        cases.push((case(&[a], FCWS[k % FCWS.len()]), vec![0xd9, 0xfa]));
    }
    check_all(cases);
}

#[test]
fn round_to_integer() {
    if reference_host::skip_here("round_to_integer") {
        return;
    }
    let mut r = Rng(0x4242_4242_1717_1717);
    let mut cases = Vec::new();
    for k in 0..N * 2 {
        let a = int_value(&mut r);
        cases.push((case(&[a], FCWS[k % FCWS.len()]), vec![0xd9, 0xfc]));
    }
    check_all(cases);
}
