//! x87 instructions against the host FPU (bit-for-bit FNSAVE images; see x87/mod.rs).
#![cfg(target_arch = "x86_64")]

mod x87;
use x87::*;

/// Control words: every RC with 64-bit precision, and PC 24/53 with nearest and up;
/// one with everything unmasked.
const FCWS: [u16; 8] = [0x037f, 0x077f, 0x0b7f, 0x0f7f, 0x007f, 0x027f, 0x0a7f, 0x0340];

fn pairs() -> Vec<(u128, u128)> {
    let s = specials();
    let mut v = Vec::new();
    for &a in &s {
        for &b in &s {
            v.push((a, b));
        }
    }
    let mut r = Rng(0x1234_5678_9abc_def1);
    for _ in 0..600 {
        let a = random_f80(&mut r);
        // b close to a in magnitude half of the time (cancellation, rounding ties)
        let b = if r.next() & 1 == 0 { random_f80(&mut r) } else { a ^ (r.next() as u128 & 0xffff) ^ ((r.next() as u128 & 1) << 79) };
        v.push((a, b));
    }
    v
}

fn two(a: u128, b: u128, fcw: u16) -> Case {
    Case { fcw, n: 2, st: [a, b, 0, 0, 0, 0, 0, 0], ..Default::default() }
}

fn run_binary(bodies: &[&[u8]]) -> usize {
    let mut cases = Vec::new();
    for (k, (a, b)) in pairs().into_iter().enumerate() {
        for (j, body) in bodies.iter().enumerate() {
            let fcw = FCWS[(k + j) % FCWS.len()];
            cases.push((two(a, b, fcw), body.to_vec()));
        }
    }
    check_all(cases)
}

#[test]
fn add_sub_register_forms() {
    // fadd st0,st1 / fadd st1,st0 / faddp / fsub / fsubr in each form
    run_binary(&[
        &[0xd8, 0xc1], &[0xdc, 0xc1], &[0xde, 0xc1],
        &[0xd8, 0xe1], &[0xdc, 0xe1], &[0xde, 0xe1],
        &[0xd8, 0xe9], &[0xdc, 0xe9], &[0xde, 0xe9],
    ]);
}

#[test]
fn mul_div_register_forms() {
    run_binary(&[
        &[0xd8, 0xc9], &[0xdc, 0xc9], &[0xde, 0xc9],
        &[0xd8, 0xf1], &[0xdc, 0xf1], &[0xde, 0xf1],
        &[0xd8, 0xf9], &[0xdc, 0xf9], &[0xde, 0xf9],
    ]);
}
