//! x87 instructions against the host FPU (bit-for-bit FNSAVE images; see x87/mod.rs).
#![cfg(target_arch = "x86_64")]

mod reference_host;
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
        let b = if r.next() & 1 == 0 {
            random_f80(&mut r)
        } else {
            a ^ (r.next() as u128 & 0xffff) ^ ((r.next() as u128 & 1) << 79)
        };
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
    if reference_host::skip_here("add_sub_register_forms") {
        return;
    }
    // fadd st0,st1 / fadd st1,st0 / faddp / fsub / fsubr in each form
    run_binary(&[
        &[0xd8, 0xc1],
        &[0xdc, 0xc1],
        &[0xde, 0xc1],
        &[0xd8, 0xe1],
        &[0xdc, 0xe1],
        &[0xde, 0xe1],
        &[0xd8, 0xe9],
        &[0xdc, 0xe9],
        &[0xde, 0xe9],
    ]);
}

#[test]
fn mul_div_register_forms() {
    if reference_host::skip_here("mul_div_register_forms") {
        return;
    }
    run_binary(&[
        &[0xd8, 0xc9],
        &[0xdc, 0xc9],
        &[0xde, 0xc9],
        &[0xd8, 0xf1],
        &[0xdc, 0xf1],
        &[0xde, 0xf1],
        &[0xd8, 0xf9],
        &[0xdc, 0xf9],
        &[0xde, 0xf9],
    ]);
}

fn f32s() -> Vec<u32> {
    let mut v = vec![
        0,
        1,
        0x7f_ffff,
        0x80_0000,
        0x3f80_0000,
        0x3fc0_0001,
        0x7f7f_ffff,
        0x7f80_0000,
        0x7fc0_0000,
        0x7fa0_0001,
        0x7fc1_2345,
        0x4b80_0000,
    ];
    for x in v.clone() {
        v.push(x | 0x8000_0000);
    }
    let mut r = Rng(77);
    for _ in 0..12 {
        v.push(r.next() as u32);
    }
    v
}

fn f64s() -> Vec<u64> {
    let mut v = vec![
        0,
        1,
        0xf_ffff_ffff_ffff,
        1 << 52,
        0x3ff0_0000_0000_0000,
        0x3ff0_0000_0000_0001,
        0x7fef_ffff_ffff_ffff,
        0x7ff0_0000_0000_0000,
        0x7ff8_0000_0000_0000,
        0x7ff4_0000_0000_0001,
        0x7ff8_0000_1234_5678,
        0x4330_0000_0000_0000,
    ];
    for x in v.clone() {
        v.push(x | 1 << 63);
    }
    let mut r = Rng(99);
    for _ in 0..12 {
        v.push(r.next());
    }
    v
}

fn ints() -> Vec<u64> {
    vec![
        0,
        1,
        0xffff_ffff_ffff_ffff,
        0x7fff,
        0x8000,
        0x7fff_ffff,
        0x8000_0000,
        0x1234_5678_9abc_def0,
        0x8000_0000_0000_0000,
        0x7fff_ffff_ffff_ffff,
        12345,
        0xffff_fffe,
    ]
}

fn with_mem(mut c: Case, bytes: &[u8]) -> Case {
    c.mem[..bytes.len()].copy_from_slice(bytes);
    c
}

/// The memory operand [rsi] with ModRM reg field `r`.
fn m(op: u8, r: u8) -> Vec<u8> {
    vec![op, r << 3 | 6]
}

#[test]
fn arith_memory_forms() {
    if reference_host::skip_here("arith_memory_forms") {
        return;
    }
    let mut cases = Vec::new();
    let st0s: Vec<u128> = specials().into_iter().step_by(3).collect();
    for (k, &a) in st0s.iter().enumerate() {
        for r in 0..8u8 {
            if r == 2 || r == 3 {
                continue; // fcom/fcomp: see compares
            }
            for (j, &x) in f32s().iter().enumerate() {
                let c = with_mem(two(a, 0, FCWS[(k + j + r as usize) % 8]), &x.to_le_bytes());
                cases.push((c, m(0xd8, r)));
            }
            for (j, &x) in f64s().iter().enumerate() {
                let c = with_mem(two(a, 0, FCWS[(k + j + r as usize) % 8]), &x.to_le_bytes());
                cases.push((c, m(0xdc, r)));
            }
            for (j, &x) in ints().iter().enumerate() {
                let c = with_mem(two(a, 0, FCWS[(k + j + r as usize) % 8]), &x.to_le_bytes());
                cases.push((c.clone(), m(0xda, r)));
                cases.push((c, m(0xde, r)));
            }
        }
    }
    check_all(cases);
}

#[test]
fn compares() {
    if reference_host::skip_here("compares") {
        return;
    }
    let mut cases = Vec::new();
    for (k, (a, b)) in pairs().into_iter().enumerate() {
        let fcw = FCWS[k % 8];
        for body in [
            vec![0xd8, 0xd1],
            vec![0xd8, 0xd9],
            vec![0xde, 0xd9],
            vec![0xdd, 0xe1],
            vec![0xdd, 0xe9],
            vec![0xda, 0xe9],
            vec![0xdb, 0xf1],
            vec![0xdf, 0xf1],
            vec![0xdb, 0xe9],
            vec![0xdf, 0xe9],
            vec![0xd9, 0xe4],
            vec![0xd9, 0xe5],
            vec![0xdc, 0xd1],
            vec![0xdc, 0xd9],
            vec![0xde, 0xd1],
        ] {
            cases.push((two(a, b, fcw), body));
        }
    }
    for (k, &a) in specials().iter().enumerate() {
        let fcw = FCWS[k % 8];
        for x in f32s() {
            cases.push((with_mem(two(a, 0, fcw), &x.to_le_bytes()), m(0xd8, 2)));
            cases.push((with_mem(two(a, 0, fcw), &x.to_le_bytes()), m(0xd8, 3)));
        }
        for x in f64s() {
            cases.push((with_mem(two(a, 0, fcw), &x.to_le_bytes()), m(0xdc, 2)));
            cases.push((with_mem(two(a, 0, fcw), &x.to_le_bytes()), m(0xdc, 3)));
        }
        for x in ints() {
            for op in [0xda, 0xde] {
                cases.push((with_mem(two(a, 0, fcw), &x.to_le_bytes()), m(op, 2)));
                cases.push((with_mem(two(a, 0, fcw), &x.to_le_bytes()), m(op, 3)));
            }
        }
    }
    check_all(cases);
}

#[test]
fn loads_and_stores() {
    if reference_host::skip_here("loads_and_stores") {
        return;
    }
    let mut cases = Vec::new();
    for (k, &a) in specials().iter().enumerate() {
        for (j, fcw) in FCWS.iter().enumerate() {
            let _ = j;
            let c = two(a, 0, *fcw);
            // fst/fstp m32, m64, fstp m80, fist/fistp m16/m32/m64, fisttp, fbstp
            for body in [
                m(0xd9, 2),
                m(0xd9, 3),
                m(0xdd, 2),
                m(0xdd, 3),
                m(0xdb, 7),
                m(0xdf, 2),
                m(0xdf, 3),
                m(0xdb, 2),
                m(0xdb, 3),
                m(0xdf, 7),
                m(0xdf, 1),
                m(0xdb, 1),
                m(0xdd, 1),
                m(0xdf, 6),
            ] {
                cases.push((c.clone(), body));
            }
            // fst st(i), fstp st(i), fld st(i), fxch, fchs, fabs
            for body in [
                vec![0xdd, 0xd1],
                vec![0xdd, 0xd9],
                vec![0xd9, 0xc1],
                vec![0xd9, 0xc9],
                vec![0xd9, 0xe0],
                vec![0xd9, 0xe1],
            ] {
                cases.push((c.clone(), body));
            }
            let _ = k;
        }
    }
    // loads from memory
    for (k, x) in f32s().into_iter().enumerate() {
        cases.push((with_mem(two(0, 0, FCWS[k % 8]), &x.to_le_bytes()), m(0xd9, 0)));
    }
    for (k, x) in f64s().into_iter().enumerate() {
        cases.push((with_mem(two(0, 0, FCWS[k % 8]), &x.to_le_bytes()), m(0xdd, 0)));
    }
    for (k, &a) in specials().iter().enumerate() {
        cases.push((with_mem(two(0, 0, FCWS[k % 8]), &a.to_le_bytes()[..10]), m(0xdb, 5)));
    }
    for x in ints() {
        for body in [m(0xdf, 0), m(0xdb, 0), m(0xdf, 5)] {
            cases.push((with_mem(two(0, 0, 0x37f), &x.to_le_bytes()), body));
        }
    }
    for bcd in [0u128, 0x99_9999_9999_9999_9999, 0x8000_0000_0000_0000_0012, 0x12_3456_7890_1234_5678] {
        cases.push((with_mem(two(0, 0, 0x37f), &bcd.to_le_bytes()[..10]), m(0xdf, 4)));
    }
    // constants under every RC
    for fcw in FCWS {
        for b in 0xe8..=0xeeu8 {
            cases.push((two(0, 0, fcw), vec![0xd9, b]));
        }
    }
    check_all(cases);
}

#[test]
fn stack_faults() {
    if reference_host::skip_here("stack_faults") {
        return;
    }
    let one = f80(0x3fff, 1 << 63);
    let mut cases = Vec::new();
    for fcw in [0x37f, 0x37e] {
        // full stack: pushes overflow
        let full = Case { fcw, n: 8, st: [one; 8], ..Default::default() };
        for body in [
            vec![0xd9, 0xe8],
            vec![0xd9, 0xc1],
            m(0xd9, 0),
            m(0xdd, 0),
            m(0xdb, 5),
            m(0xdf, 5),
            m(0xdb, 0),
            vec![0xd9, 0xf4],
        ] {
            cases.push((full.clone(), body));
        }
        // empty registers: underflow everywhere
        for n in 0..2 {
            let c = Case { fcw, n, st: [one; 8], ..Default::default() };
            for body in [
                vec![0xd8, 0xc1],
                vec![0xdc, 0xc1],
                vec![0xde, 0xc1],
                vec![0xd8, 0xd1],
                vec![0xde, 0xd9],
                vec![0xdb, 0xf1],
                vec![0xdf, 0xe9],
                vec![0xd9, 0xc9],
                vec![0xd9, 0xe0],
                vec![0xd9, 0xfa],
                vec![0xd9, 0xfc],
                vec![0xd9, 0xfd],
                vec![0xd9, 0xf8],
                vec![0xd9, 0xf5],
                vec![0xd9, 0xf4],
                vec![0xd9, 0xe4],
                vec![0xd9, 0xe5],
                vec![0xdd, 0xd1],
                vec![0xdd, 0xd9],
                vec![0xda, 0xc1],
                vec![0xdb, 0xc1],
                m(0xd9, 2),
                m(0xd9, 3),
                m(0xdd, 3),
                m(0xdb, 7),
                m(0xdf, 3),
                m(0xdf, 7),
                m(0xdb, 1),
                m(0xdf, 6),
                m(0xd8, 0),
                m(0xd8, 2),
                m(0xde, 0),
                vec![0xdd, 0xc1],
                vec![0xdf, 0xc1],
                vec![0xd9, 0xf6],
                vec![0xd9, 0xf7],
            ] {
                cases.push((c.clone(), body));
            }
        }
    }
    check_all(cases);
}

#[test]
fn unary_and_specials() {
    if reference_host::skip_here("unary_and_specials") {
        return;
    }
    let mut cases = Vec::new();
    let mut r = Rng(4242);
    let mut vals = specials();
    for _ in 0..200 {
        vals.push(random_f80(&mut r));
    }
    for (k, &a) in vals.iter().enumerate() {
        let fcw = FCWS[k % 8];
        // fsqrt, frndint, fxtract, fabs, fchs, fxam, ftst
        for body in [[0xd9, 0xfa], [0xd9, 0xfc], [0xd9, 0xf4], [0xd9, 0xe5], [0xd9, 0xe4]] {
            cases.push((two(a, 0, fcw), body.to_vec()));
            cases.push((Case { n: 1, ..two(a, 0, fcw) }, body.to_vec()));
        }
    }
    for (k, (a, b)) in pairs().into_iter().enumerate() {
        let fcw = FCWS[k % 8];
        // fscale, fprem, fprem1
        for body in [[0xd9, 0xfd], [0xd9, 0xf8], [0xd9, 0xf5]] {
            cases.push((two(a, b, fcw), body.to_vec()));
        }
    }
    // fscale with small integer scales, fprem with large exponent gaps
    for (k, &a) in specials().iter().enumerate() {
        for s in [-16500i64, -70, -1, 0, 1, 63, 16400, 40000] {
            let b = {
                let mag = s.unsigned_abs();
                if mag == 0 {
                    0
                } else {
                    let lz = mag.leading_zeros();
                    f80(((s < 0) as u16) << 15 | (16383 + 63 - lz) as u16, mag << lz)
                }
            };
            cases.push((two(a, b, FCWS[k % 8]), vec![0xd9, 0xfd]));
        }
    }
    for d in [63u16, 64, 65, 90, 95, 96, 127, 128, 200, 1000, 16000] {
        for (i, &m) in [0xc90f_daa2_2168_c235u64, 0xffff_ffff_ffff_ffff, 1 << 63].iter().enumerate() {
            let a = f80(0x3fff + d, m);
            let b = f80(0x3fff, [0xadf8_5458_a2bb_4a9b, 1 << 63, 0xffff_ffff_ffff_fffe][i]);
            cases.push((two(a, b, 0x37f), vec![0xd9, 0xf8]));
            cases.push((two(a, b, 0x37f), vec![0xd9, 0xf5]));
        }
    }
    check_all(cases);
}

/// Control instructions: FLDCW/FNSTCW, FNSTSW, FNSTENV/FLDENV, FNCLEX, FNINIT, FFREE,
/// FINCSTP/FDECSTP, FCMOVcc, FNOP, and an unmasked exception left pending.
#[test]
fn control() {
    if reference_host::skip_here("control") {
        return;
    }
    let one = f80(0x3fff, 1 << 63);
    let pi = f80(0x4000, 0xc90f_daa2_2168_c235);
    let snan = f80(0x7fff, 0x8000_0000_0000_0001);
    let mut cases = Vec::new();
    for (k, fcw_in) in [0x037fu16, 0x0000, 0x1f7f, 0xffff, 0x0c7a, 0x0340].into_iter().enumerate() {
        for fsw in [0u16, 0x3f, 0x4725] {
            let base = Case {
                fcw: 0x37f,
                fsw,
                n: 3,
                st: [one, pi, snan, 0, 0, 0, 0, 0],
                rflags: 0x202 | [0, 1, 0x40, 4, 0x45][k % 5],
                ..Default::default()
            };
            let c = with_mem(base.clone(), &fcw_in.to_le_bytes());
            // fldcw [rsi]; fnstcw [rsi+2]
            cases.push((c.clone(), vec![0xd9, 0x2e, 0xd9, 0x7e, 0x02]));
            // fldcw then an arithmetic op (exceptions per new masks), fnstsw ax; only
            // without pending flags, or the host would take #MF at the fadd.
            if fsw == 0 {
                cases.push((c.clone(), vec![0xd9, 0x2e, 0xd8, 0xc2, 0xdf, 0xe0]));
            }
            // fnstsw [rsi]; fnstenv [rsi]; fldenv [rsi]
            cases.push((c.clone(), vec![0xdd, 0x3e]));
            cases.push((c.clone(), vec![0xd9, 0x36]));
            cases.push((c.clone(), vec![0xd8, 0xc2, 0xd9, 0x36, 0xd9, 0x26]));
            // the 16-bit layout: fnstenv/fldenv m14 (without an x87 instruction before
            // them: the host's 16-bit FIP word then has bits 12..15 set, which emu does not
            // model; see x87_control.rs)
            cases.push((c.clone(), vec![0x66, 0xd9, 0x36]));
            cases.push((c.clone(), vec![0x66, 0xd9, 0x36, 0x66, 0xd9, 0x26]));
            // FNSAVE/FSAVE m94 (16-bit environment, then the registers) and FRSTOR m94.
            let mut big = c.clone();
            big.extra = vec![0x5a; 64];
            cases.push((big.clone(), vec![0x66, 0xdd, 0x36]));
            cases.push((big.clone(), vec![0x9b, 0x66, 0xdd, 0x36]));
            cases.push((big.clone(), vec![0x66, 0xdd, 0x36, 0x66, 0xdd, 0x26]));
            // fneni, fndisi, feni, fdisi: no-ops on the 387 and later
            for body in [vec![0xdb, 0xe0], vec![0xdb, 0xe1], vec![0x9b, 0xdb, 0xe0], vec![0x9b, 0xdb, 0xe1]] {
                cases.push((c.clone(), body));
            }
            // fnclex, fninit, fnop, ffree st1, ffreep, fincstp, fdecstp
            for body in [
                vec![0xdb, 0xe2],
                vec![0xdb, 0xe3],
                vec![0xd9, 0xd0],
                vec![0xdd, 0xc1],
                vec![0xdf, 0xc1],
                vec![0xd9, 0xf7],
                vec![0xd9, 0xf6],
                vec![0xd9, 0xf7, 0xd9, 0xc0],
            ] {
                cases.push((base.clone(), body));
            }
            // fcmovcc st0, st1 / st3 (empty)
            for op in [0xda, 0xdb] {
                for r in 0..4 {
                    cases.push((base.clone(), vec![op, 0xc1 | r << 3]));
                    cases.push((base.clone(), vec![op, 0xc3 | r << 3]));
                }
            }
        }
    }
    // fldenv of an environment with pending unmasked exceptions, TOP and tags set
    for fsw in [0x0001u16, 0x3881, 0x00ff] {
        let mut env = [0u8; 28];
        env[0..2].copy_from_slice(&0x037eu16.to_le_bytes());
        env[4..6].copy_from_slice(&fsw.to_le_bytes());
        env[8..10].copy_from_slice(&0x5aa5u16.to_le_bytes());
        env[16..20].copy_from_slice(&0x0123_0033u32.to_le_bytes());
        let mut c = Case { n: 2, st: [one, pi, 0, 0, 0, 0, 0, 0], ..Default::default() };
        c.mem[..28].copy_from_slice(&env);
        cases.push((c, vec![0xd9, 0x26]));
    }
    check_all(cases);
}

fn fx_image(r: &mut Rng, fsw: u16, tags: u8, mxcsr: u32) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    for x in b.iter_mut() {
        *x = r.next() as u8;
    }
    b[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
    b[2..4].copy_from_slice(&fsw.to_le_bytes());
    b[4] = tags;
    b[5] = 0;
    b[24..28].copy_from_slice(&mxcsr.to_le_bytes());
    // FIP/FDP are absolute addresses: zero, so the relative comparison stays meaningful.
    b[8..24].copy_from_slice(&[0; 16]);
    b
}

/// FXRSTOR64 / FXRSTOR of a random image, then FXSAVE64 / FXSAVE and FNSAVE: all bytes
/// compared (FIP/FDP by page offset; the host's addresses differ from emu's).
#[test]
fn fxsave_fxrstor() {
    if reference_host::skip_here("fxsave_fxrstor") {
        return;
    }
    let mut r = Rng(31337);
    let mut cases = Vec::new();
    for k in 0..24 {
        let fsw = [0u16, 0x3800, 0x2a41, 0x0020][k % 4];
        let tags = [0u8, 0xff, 0x5a, 0x81][(k / 4) % 4];
        // (no DAZ: emu's MXCSR_MASK deliberately lacks it)
        let mxcsr = [0x1f80u32, 0x1fbf, 0x1fa1][k % 3];
        let img = fx_image(&mut r, fsw, tags, mxcsr);
        let mut c = Case { extra: vec![0u8; 0x400], ..Default::default() };
        c.extra[..512].copy_from_slice(&img);
        for x in c.extra[0x200..0x400].iter_mut() {
            *x = 0xa5;
        }
        // fxrstor64 [rsi+0x40]; fxsave64 [rsi+0x240]; (and the non-REX.W pair)
        cases.push((c.clone(), vec![0x48, 0x0f, 0xae, 0x4e, 0x40, 0x48, 0x0f, 0xae, 0x86, 0x40, 0x02, 0, 0]));
        cases.push((c.clone(), vec![0x0f, 0xae, 0x4e, 0x40, 0x0f, 0xae, 0x86, 0x40, 0x02, 0, 0]));
        // fld1 after the restore (FOP/FIP recorded), then fxsave64
        cases.push((
            c.clone(),
            vec![0x48, 0x0f, 0xae, 0x4e, 0x40, 0xd9, 0xe8, 0x48, 0x0f, 0xae, 0x86, 0x40, 0x02, 0, 0],
        ));
        cases.push((c, vec![0x0f, 0xae, 0x4e, 0x40, 0xd9, 0x46, 0x08, 0x0f, 0xae, 0x86, 0x40, 0x02, 0, 0]));
    }
    let mut bad = Vec::new();
    for (c, body) in &cases {
        // Restore a clean MXCSR for the Rust code after the host run: ldmxcsr of the
        // default value at the end of the body is not needed as the images keep RC=0.
        let mut h = host(c, body);
        let mut e = emu(c, body);
        for o in [&mut h, &mut e] {
            let save = 0x240;
            // MXCSR_MASK: emu deliberately claims less than the host (see fxsave.rs).
            o.mem[save + 28..save + 32].copy_from_slice(&[0; 4]);
            for f in [save + 8, save + 16] {
                let v = u64::from_le_bytes(o.mem[f..f + 8].try_into().unwrap());
                let v = if body[0] == 0x48 { v & 0xfff } else { v & 0xffff_0000_0000_0fff };
                o.mem[f..f + 8].copy_from_slice(&v.to_le_bytes());
            }
        }
        if h != e {
            let d: Vec<String> = (0..h.mem.len())
                .filter(|&i| h.mem[i] != e.mem[i])
                .take(24)
                .map(|i| format!("{:#x}:{:02x}/{:02x}", i, h.mem[i], e.mem[i]))
                .collect();
            bad.push(format!(
                "{:02x?}: sw h={} e={} mem diffs {}",
                body,
                describe(&h).lines().next().unwrap(),
                describe(&e).lines().next().unwrap(),
                d.join(" ")
            ));
        }
    }
    assert!(bad.is_empty(), "{} of {}:\n{}", bad.len(), cases.len(), bad[..bad.len().min(8)].join("\n"));
}

#[test]
fn fxsave_faults_and_pending_exception() {
    if reference_host::skip_here("fxsave_faults_and_pending_exception") {
        return;
    }
    // Misaligned FXSAVE / FXRSTOR raise #GP.
    let c = Case::default();
    for body in [vec![0x48, 0x0f, 0xae, 0x46, 0x08], vec![0x0f, 0xae, 0x4e, 0x04]] {
        let (_, e) = emu_cpu(&c, &body);
        assert_eq!(e, emu_cpu::Exit::GeneralProtection);
    }
    // FXRSTOR with reserved MXCSR bits: #GP.
    let mut c = Case { extra: vec![0u8; 512], ..Default::default() };
    c.extra[24..28].copy_from_slice(&0x1_0000u32.to_le_bytes());
    let (_, e) = emu_cpu(&c, &[0x48, 0x0f, 0xae, 0x4e, 0x40]);
    assert_eq!(e, emu_cpu::Exit::GeneralProtection);
    // An unmasked exception is reported at the next waiting x87 instruction (#MF), with
    // rip at that instruction; non-waiting ones (fnstsw) run first.
    let one = f80(0x3fff, 1 << 63);
    let c = Case {
        fcw: 0x37e,
        n: 2,
        st: [one, f80(0x7fff, 0x8000_0000_0000_0001), 0, 0, 0, 0, 0, 0],
        ..Default::default()
    };
    let (cpu, e) = emu_cpu(&c, &[0xd8, 0xc1, 0xdf, 0xe0, 0x9b]);
    assert_eq!(e, emu_cpu::Exit::FpException);
    assert_eq!(cpu.rip, 0x40_0000 + 16 + 4);
    assert_eq!(cpu.reg(emu_cpu::Reg::Rax) & 0xffff, 0x8081);
    let (cpu, e) = emu_cpu(&c, &[0xd8, 0xc1, 0xd9, 0xe8]);
    assert_eq!(e, emu_cpu::Exit::FpException);
    assert_eq!(cpu.rip, 0x40_0000 + 16 + 2);
}
