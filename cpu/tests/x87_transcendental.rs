//! x87 transcendentals against the host FPU (see x87/mod.rs and the module docs of
//! cpu/src/ops/x87_transcendental.rs): special operands, stack faults and out-of-range
//! arguments bit for bit; finite inexact results bit for bit or one ulp apart
//! (`diff_ulp`), with the fraction of such cases bounded per instruction.
#![cfg(target_arch = "x86_64")]

mod reference_host;
mod x87;
use x87::*;

const FSIN: [u8; 2] = [0xd9, 0xfe];
const FCOS: [u8; 2] = [0xd9, 0xff];
const FSINCOS: [u8; 2] = [0xd9, 0xfb];
const FPTAN: [u8; 2] = [0xd9, 0xf2];
const FPATAN: [u8; 2] = [0xd9, 0xf3];
const F2XM1: [u8; 2] = [0xd9, 0xf0];
const FYL2X: [u8; 2] = [0xd9, 0xf1];
const FYL2XP1: [u8; 2] = [0xd9, 0xf9];
const UNARY: [[u8; 2]; 5] = [FSIN, FCOS, FSINCOS, FPTAN, F2XM1];
const BINARY: [[u8; 2]; 3] = [FPATAN, FYL2X, FYL2XP1];

/// Every RC at 64-bit precision, PC 24/53 (ignored by these), one all-unmasked.
const FCWS: [u16; 8] = [0x037f, 0x077f, 0x0b7f, 0x0f7f, 0x007f, 0x027f, 0x0a7f, 0x0340];

/// For the edge cases: also each exception unmasked alone.
const EDGE_FCWS: [u16; 14] = [
    0x037f, 0x077f, 0x0b7f, 0x0f7f, 0x007f, 0x027f, 0x0a7f, 0x0340, 0x037e, 0x037d, 0x037b, 0x0377, 0x036f,
    0x035f,
];

fn two(a: u128, b: u128, fcw: u16) -> Case {
    Case { fcw, n: 2, st: [a, b, 0, 0, 0, 0, 0, 0], ..Default::default() }
}

/// Values where these functions have edges: the 2^63 limit of the trigonometric ones,
/// multiples of the host's pi/2, +-1 and beyond for F2XM1, 1 and 1 - sqrt(2)/2 for the
/// logarithms.
fn edges() -> Vec<u128> {
    let mut v = specials();
    for s in [0u16, 0x8000] {
        v.extend([
            f80(s | 0x403d, 0xffff_ffff_ffff_ffff), // 2^63 - 1
            f80(s | 0x403e, 0x8000_0000_0000_0000), // 2^63
            f80(s | 0x403e, 0xffff_ffff_ffff_ffff),
            f80(s | 0x403c, 0xc90f_daa2_2168_c235), // pi * 2^60
            f80(s | 0x3fff, 0xc90f_daa2_2168_c235), // pi/2
            f80(s | 0x3fff, 0xc90f_daa2_2168_c234), // pi/2
            f80(s | 0x3ffe, 0xc90f_daa2_2168_c235), // pi/4
            f80(s | 0x4001, 0x96cb_e3f9_990e_91a8), // 3pi/2
            f80(s | 0x3ffe, 0x95f6_1998_0c43_36f7), // 1 - sqrt(2)/2
            f80(s | 0x3ffd, 0x95f6_1998_0c43_36f7),
            f80(s | 0x3ffe, 0x8000_0000_0000_0000), // 0.5
            f80(s | 0x4000, 0x8000_0000_0000_0000), // 2
            f80(s | 0x4000, 0xc000_0000_0000_0000), // 3
            f80(s | 0x4005, 0x8000_0000_0000_0000), // 64
            f80(s | 0x3fbf, 0x8000_0000_0000_0000), // 2^-64
            f80(s | 0x3f00, 0xa000_0000_0000_0000),
            f80(s | 0x0002, 0x8000_0000_0000_0001),
        ]);
    }
    v
}

/// Random operands in the instructions' domains and a bit beyond.
fn domain(r: &mut Rng, body: [u8; 2], arg: usize) -> u128 {
    let m = r.next() | 1 << 63;
    let s = (r.next() & 0x8000) as u16;
    let k = r.next() % 16;
    let e: i32 = match (body, arg) {
        (FSIN | FCOS | FSINCOS | FPTAN, _) => match k {
            0 => -((r.next() % 16000) as i32),
            1..=3 => (r.next() % 63) as i32,
            _ => -((r.next() % 24) as i32),
        },
        (F2XM1, _) => match k {
            0 => -((r.next() % 16000) as i32),
            _ => -((r.next() % 40) as i32) - 1,
        },
        (FYL2XP1, 0) => match k {
            0 => -((r.next() % 16000) as i32),
            _ => -((r.next() % 40) as i32) - 2,
        },
        (FYL2X, 0) => {
            let e = match k {
                0 => (r.next() % 32000) as i32 - 16000,
                1..=4 => -1,
                5..=8 => 0,
                _ => (r.next() % 128) as i32 - 64,
            };
            return f80((16383 + e) as u16, m);
        }
        _ => match k {
            0 => (r.next() % 32000) as i32 - 16000,
            _ => (r.next() % 64) as i32 - 32,
        },
    };
    f80(s | (16383 + e) as u16, m)
}

/// Unary instructions on the edge values under every control word, with one and two
/// registers in use (FPTAN/FSINCOS push), and the stack-fault shapes.
#[test]
fn unary_edges() {
    if reference_host::skip_here("unary_edges") {
        return;
    }
    let mut cases = Vec::new();
    for body in UNARY {
        for &a in edges().iter() {
            for fcw in EDGE_FCWS {
                for n in 1..3 {
                    // Condition codes set on entry every other time: which ones survive.
                    let fsw = if n == 2 { 0x4700 } else { 0 };
                    cases.push((Case { n, fsw, ..two(a, a, fcw) }, body.to_vec()));
                }
            }
        }
    }
    let (n, ulp, c1) = check_all_ulp(cases);
    eprintln!("unary edges: {n} cases, {ulp} one ulp apart, {c1} C1 only");
}

#[test]
fn binary_edges() {
    if reference_host::skip_here("binary_edges") {
        return;
    }
    let e = edges();
    let mut cases = Vec::new();
    for body in BINARY {
        for (k, &a) in e.iter().enumerate() {
            for (j, &b) in e.iter().enumerate() {
                let fcw = EDGE_FCWS[(k + j) % EDGE_FCWS.len()];
                let fsw = if (k ^ j) & 1 == 0 { 0x4700 } else { 0 };
                cases.push((Case { fsw, ..two(a, b, fcw) }, body.to_vec()));
            }
        }
    }
    let (n, ulp, c1) = check_all_ulp(cases);
    eprintln!("binary edges: {n} cases, {ulp} one ulp apart, {c1} C1 only");
}

/// Arguments next to multiples of the host's pi/2 (K * 2^-67), where the reduction
/// decides the result: 64-bit neighbours of k * K * 2^-67.
#[test]
fn trig_near_multiples_of_pi_2() {
    if reference_host::skip_here("trig_near_multiples_of_pi_2") {
        return;
    }
    const K: u128 = 0xC_90FD_AA22_168C_234C;
    let mut r = Rng(2024);
    let mut cases = Vec::new();
    for i in 0..600 {
        let k = (r.next() >> (4 + r.next() % 60)).max(1) as u128;
        let prod = k * K;
        let lz = prod.leading_zeros();
        let m = ((prod << lz) >> 64) as u64;
        let e = 127 - lz as i32 - 67;
        let d = (r.next() % 5) as i64 - 2;
        let m = (m as i64).wrapping_add(d) as u64 | 1 << 63;
        let s = ((r.next() & 1) as u16) << 15;
        let a = f80(s | (16383 + e) as u16, m);
        let body = [FSIN, FCOS, FSINCOS, FPTAN][i % 4];
        cases.push((two(a, 0, FCWS[i % FCWS.len()]), body.to_vec()));
    }
    let (n, ulp, c1) = check_all_ulp(cases);
    eprintln!("near multiples of pi/2: {n} cases, {ulp} one ulp apart, {c1} C1 only");
}

#[test]
fn stack_faults() {
    if reference_host::skip_here("stack_faults") {
        return;
    }
    let one = f80(0x3fff, 1 << 63);
    let mut cases = Vec::new();
    for fcw in [0x37f, 0x37e, 0x37f & !0x40] {
        for n in [0, 1, 7, 8] {
            for body in UNARY.iter().chain(BINARY.iter()) {
                for fsw in [0, 0x4700] {
                    cases.push((Case { fcw, fsw, n, st: [one; 8], ..Default::default() }, body.to_vec()));
                }
            }
        }
    }
    check_all_ulp(cases);
}

/// Random operands in each instruction's domain (and beyond, for the trigonometric
/// ones up to 2^63) under every control word. Bounds the fraction of results one ulp
/// away from the host's (measured: 1-3.5% depending on the instruction, the rate at
/// which the host itself is not correctly rounded) and of C1-only differences.
fn random_for(body: [u8; 2], seed: u64, n: usize) {
    let mut r = Rng(seed);
    let mut cases = Vec::new();
    for k in 0..n {
        let a = domain(&mut r, body, 0);
        let b = domain(&mut r, body, 1);
        cases.push((two(a, b, FCWS[k % FCWS.len()]), body.to_vec()));
    }
    let (n, ulp, c1) = check_all_ulp(cases);
    eprintln!("{body:02x?}: {n} random cases, {ulp} one ulp apart, {c1} C1 only");
    assert!(ulp * 100 <= n * 6, "{ulp} of {n} one ulp apart");
    assert!(c1 * 100 <= n * 6, "{c1} of {n} differ in C1");
}

const RANDOM_CASES: usize = 4000;

#[test]
fn random_fsin() {
    if reference_host::skip_here("random_fsin") {
        return;
    }
    random_for(FSIN, 11, RANDOM_CASES);
}

#[test]
fn random_fcos() {
    if reference_host::skip_here("random_fcos") {
        return;
    }
    random_for(FCOS, 12, RANDOM_CASES);
}

#[test]
fn random_fsincos() {
    if reference_host::skip_here("random_fsincos") {
        return;
    }
    random_for(FSINCOS, 13, RANDOM_CASES);
}

#[test]
fn random_fptan() {
    if reference_host::skip_here("random_fptan") {
        return;
    }
    random_for(FPTAN, 14, RANDOM_CASES);
}

#[test]
fn random_f2xm1() {
    if reference_host::skip_here("random_f2xm1") {
        return;
    }
    random_for(F2XM1, 15, RANDOM_CASES);
}

#[test]
fn random_fpatan() {
    if reference_host::skip_here("random_fpatan") {
        return;
    }
    random_for(FPATAN, 16, RANDOM_CASES);
}

#[test]
fn random_fyl2x() {
    if reference_host::skip_here("random_fyl2x") {
        return;
    }
    random_for(FYL2X, 17, RANDOM_CASES);
}

#[test]
fn random_fyl2xp1() {
    if reference_host::skip_here("random_fyl2xp1") {
        return;
    }
    random_for(FYL2XP1, 18, RANDOM_CASES);
}

/// Not a test: prints emu's results on random domain inputs (`X87_DUMP=1 cargo test
/// -p emu-cpu --test x87_transcendental dump -- --ignored --nocapture`) for checking
/// against an arbitrary-precision reference outside Rust (that is how the correct
/// rounding of emu's results was verified).
#[test]
#[ignore]
fn dump() {
    if reference_host::skip_here("dump") {
        return;
    }
    let mut r = Rng(99);
    for body in UNARY.iter().chain(BINARY.iter()) {
        for k in 0..2000 {
            let a = domain(&mut r, *body, 0);
            let b = domain(&mut r, *body, 1);
            let c = two(a, b, FCWS[k % 4]);
            let e = emu(&c, body);
            let sw = u16::from_le_bytes([e.fsave[4], e.fsave[5]]);
            println!(
                "DUMP {:02x}{:02x} {:04x} {} {} {:04x} {} {}",
                body[0],
                body[1],
                c.fcw,
                f80s(&a.to_le_bytes()),
                f80s(&b.to_le_bytes()),
                sw,
                f80s(&e.fsave[28..]),
                f80s(&e.fsave[38..])
            );
        }
    }
}

/// Not a test: time per instruction in emu (`cargo test ... timing -- --ignored`).
#[test]
#[ignore]
fn timing() {
    if reference_host::skip_here("timing") {
        return;
    }
    let a = f80(0x4001, 0xd1c3_5e7a_9b24_f013);
    let b = f80(0x3ffd, 0x9a3c_5e1b_2f3a_4d21);
    for body in UNARY.iter().chain(BINARY.iter()) {
        // mov ecx, 100000; L: fld st(1); fld st(1); OP; fstp st(0); fstp st(0) (if it
        // pushed or did not pop); dec ecx; jnz L
        let n = 100_000u32;
        let mut code = vec![0xb9];
        code.extend_from_slice(&n.to_le_bytes());
        let mut l = vec![0xd9, 0xc1, 0xd9, 0xc1];
        l.extend_from_slice(body);
        let pops = if BINARY.contains(body) {
            1
        } else if *body == FSINCOS || *body == FPTAN {
            3
        } else {
            2
        };
        for _ in 0..pops {
            l.extend_from_slice(&[0xdd, 0xd8]);
        }
        l.extend_from_slice(&[0xff, 0xc9, 0x75, (-(l.len() as i8) - 4) as u8]);
        code.extend_from_slice(&l);
        let c = two(a, b, 0x37f);
        let t = std::time::Instant::now();
        let (_, e) = emu_cpu(&c, &code);
        let dt = t.elapsed();
        println!("{body:02x?}: {:?} per iteration ({e:?})", dt / n);
    }
}
