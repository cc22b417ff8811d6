//! Differential tests of `ops/bits.rs` against the host CPU.

// They run host instructions, so they exist only on x86-64 Linux hosts.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![allow(clippy::field_reassign_with_default)]

#[macro_use]
mod int_harness;
use int_harness::*;

fn with_imm(s: &Snip, imm: u8) -> Vec<u8> {
    let mut b = s.bytes.to_vec();
    assert_eq!(*b.last().unwrap(), 5, "{}: imm8 must be the last byte", s.name);
    *b.last_mut().unwrap() = imm;
    b
}

fn mask(w: u32) -> u64 {
    if w == 64 {
        u64::MAX
    } else {
        (1u64 << w) - 1
    }
}

fn random_mem(rng: &mut Rng) -> Vec<u8> {
    (0..DATA_PAGES * 4096 / 8).flat_map(|_| rng.next().to_le_bytes()).collect()
}

/// Values for bit-scan style instructions: edges, single bits, random, sparse.
fn scan_values(w: u32, rng: &mut Rng) -> Vec<u64> {
    let mut v = edge_values(w);
    for b in [0, 1, w / 2, w - 2, w - 1] {
        v.push(1 << b);
    }
    for _ in 0..10 {
        v.push(rng.next() & mask(w));
        v.push(rng.next() & rng.next() & rng.next() & mask(w));
    }
    v
}

#[test]
fn bt_family() {
    macro_rules! forms {
        ($m:literal) => {
            [
                (16, snip!(concat!($m, " bx, cx")), snip!(concat!($m, " bx, 5"))),
                (32, snip!(concat!($m, " ebx, ecx")), snip!(concat!($m, " ebx, 5"))),
                (64, snip!(concat!($m, " rbx, rcx")), snip!(concat!($m, " rbx, 5"))),
                (16, snip!(concat!($m, " word ptr [rdi], cx")), snip!(concat!($m, " word ptr [rdi], 5"))),
                (32, snip!(concat!($m, " dword ptr [rdi], ecx")), snip!(concat!($m, " dword ptr [rdi], 5"))),
                (64, snip!(concat!($m, " qword ptr [rdi], rcx")), snip!(concat!($m, " qword ptr [rdi], 5"))),
            ]
        };
    }
    let all = [forms!("bt"), forms!("bts"), forms!("btr"), forms!("btc")];
    let mut rng = Rng(99);
    let mid = data_addr() + 4096;
    let undef = F_OF | F_SF | F_AF | F_PF;
    for forms in &all {
        for &(w, by_reg, by_imm) in forms {
            let mem_form = by_reg.name.contains('[');
            let mem = random_mem(&mut rng);
            for k in 0..200u64 {
                let mut st = State::default();
                st.flags = FLAG_INPUTS[k as usize % 3];
                st.r[RDI] = mid + (rng.next() % 64);
                st.r[RBX] = rng.next();
                let off = if mem_form {
                    // Signed offsets reaching a page either side (16-bit: the full range).
                    let span = if w == 16 { 1 << 16 } else { 2 * 4096 * 8 - 1024 };
                    let o = (rng.next() % span) as i64 - span as i64 / 2;
                    if k < 8 {
                        [0, 1, -1, w as i64 - 1, w as i64, -(w as i64), 7, -8][k as usize]
                    } else {
                        o
                    }
                } else {
                    (rng.next() % 256) as i64
                };
                st.r[RCX] = (rng.next() & !mask(w)) | (off as u64 & mask(w));
                check(by_reg.name, by_reg.bytes, &st, &mem, undef);
                check(by_imm.name, &with_imm(&by_imm, (k * 7) as u8), &st, &mem, undef);
            }
        }
    }
}

#[test]
fn scans_and_counts() {
    macro_rules! forms {
        ($m:literal) => {
            [
                (16, snip!(concat!($m, " bx, cx"))),
                (32, snip!(concat!($m, " ebx, ecx"))),
                (64, snip!(concat!($m, " rbx, rcx"))),
                (16, snip!(concat!($m, " bx, word ptr [rdi]"))),
                (32, snip!(concat!($m, " ebx, dword ptr [rdi]"))),
                (64, snip!(concat!($m, " rbx, qword ptr [rdi]"))),
            ]
        };
    }
    // (forms, flags the SDM leaves undefined)
    let all = [
        (forms!("bsf"), F_CF | F_OF | F_SF | F_AF | F_PF),
        (forms!("bsr"), F_CF | F_OF | F_SF | F_AF | F_PF),
        (forms!("popcnt"), 0),
        (forms!("lzcnt"), F_OF | F_SF | F_AF | F_PF),
        (forms!("tzcnt"), F_OF | F_SF | F_AF | F_PF),
    ];
    let mut rng = Rng(7);
    let addr = data_addr();
    for (forms, undef) in &all {
        for &(w, s) in forms {
            for v in scan_values(w, &mut rng) {
                for &f in &FLAG_INPUTS {
                    let mut st = State::default();
                    st.flags = f;
                    st.r[RDI] = addr;
                    st.r[RBX] = rng.next();
                    let src = (rng.next() & !mask(w)) | v;
                    st.r[RCX] = src;
                    check(s.name, s.bytes, &st, &src.to_le_bytes(), *undef);
                }
            }
        }
    }
}

#[test]
fn bmi() {
    // Register operands: ebx/rbx destination (and ecx/rcx second destination for MULX),
    // sources in esi/rsi and edx/rdx, or memory at [rdi].
    let forms = [
        (32, snip!("andn ebx, esi, edx"), F_AF | F_PF),
        (64, snip!("andn rbx, rsi, rdx"), F_AF | F_PF),
        (32, snip!("andn ebx, esi, dword ptr [rdi]"), F_AF | F_PF),
        (64, snip!("andn rbx, rsi, qword ptr [rdi]"), F_AF | F_PF),
        (32, snip!("bextr ebx, esi, edx"), F_AF | F_SF | F_PF),
        (64, snip!("bextr rbx, rsi, rdx"), F_AF | F_SF | F_PF),
        (32, snip!("bextr ebx, dword ptr [rdi], edx"), F_AF | F_SF | F_PF),
        (64, snip!("bextr rbx, qword ptr [rdi], rdx"), F_AF | F_SF | F_PF),
        (32, snip!("blsi ebx, esi"), F_AF | F_PF),
        (64, snip!("blsi rbx, rsi"), F_AF | F_PF),
        (32, snip!("blsi ebx, dword ptr [rdi]"), F_AF | F_PF),
        (64, snip!("blsi rbx, qword ptr [rdi]"), F_AF | F_PF),
        (32, snip!("blsmsk ebx, esi"), F_AF | F_PF),
        (64, snip!("blsmsk rbx, rsi"), F_AF | F_PF),
        (32, snip!("blsmsk ebx, dword ptr [rdi]"), F_AF | F_PF),
        (64, snip!("blsmsk rbx, qword ptr [rdi]"), F_AF | F_PF),
        (32, snip!("blsr ebx, esi"), F_AF | F_PF),
        (64, snip!("blsr rbx, rsi"), F_AF | F_PF),
        (32, snip!("blsr ebx, dword ptr [rdi]"), F_AF | F_PF),
        (64, snip!("blsr rbx, qword ptr [rdi]"), F_AF | F_PF),
        (32, snip!("bzhi ebx, esi, edx"), F_AF | F_PF),
        (64, snip!("bzhi rbx, rsi, rdx"), F_AF | F_PF),
        (32, snip!("bzhi ebx, dword ptr [rdi], edx"), F_AF | F_PF),
        (64, snip!("bzhi rbx, qword ptr [rdi], rdx"), F_AF | F_PF),
        (32, snip!("mulx ecx, ebx, esi"), 0),
        (64, snip!("mulx rcx, rbx, rsi"), 0),
        (32, snip!("mulx ecx, ebx, dword ptr [rdi]"), 0),
        (64, snip!("mulx rcx, rbx, qword ptr [rdi]"), 0),
        (64, snip!("mulx rcx, rcx, rsi"), 0),
        (32, snip!("pdep ebx, esi, edx"), 0),
        (64, snip!("pdep rbx, rsi, rdx"), 0),
        (32, snip!("pdep ebx, esi, dword ptr [rdi]"), 0),
        (64, snip!("pdep rbx, rsi, qword ptr [rdi]"), 0),
        (32, snip!("pext ebx, esi, edx"), 0),
        (64, snip!("pext rbx, rsi, rdx"), 0),
        (32, snip!("pext ebx, esi, dword ptr [rdi]"), 0),
        (64, snip!("pext rbx, rsi, qword ptr [rdi]"), 0),
        (32, snip!("sarx ebx, esi, edx"), 0),
        (64, snip!("sarx rbx, rsi, rdx"), 0),
        (32, snip!("sarx ebx, dword ptr [rdi], edx"), 0),
        (64, snip!("sarx rbx, qword ptr [rdi], rdx"), 0),
        (32, snip!("shlx ebx, esi, edx"), 0),
        (64, snip!("shlx rbx, rsi, rdx"), 0),
        (32, snip!("shlx ebx, dword ptr [rdi], edx"), 0),
        (64, snip!("shlx rbx, qword ptr [rdi], rdx"), 0),
        (32, snip!("shrx ebx, esi, edx"), 0),
        (64, snip!("shrx rbx, rsi, rdx"), 0),
        (32, snip!("shrx ebx, dword ptr [rdi], edx"), 0),
        (64, snip!("shrx rbx, qword ptr [rdi], rdx"), 0),
    ];
    let rorx = [
        snip!("rorx ebx, esi, 5"),
        snip!("rorx rbx, rsi, 5"),
        snip!("rorx ebx, dword ptr [rdi], 5"),
        snip!("rorx rbx, qword ptr [rdi], 5"),
    ];
    let mut rng = Rng(3);
    let addr = data_addr();
    let controls = |rng: &mut Rng| -> u64 {
        match rng.next() % 4 {
            0 => rng.next(),
            1 => rng.next() % 80,
            2 => (rng.next() % 80) | ((rng.next() % 80) << 8) | (rng.next() & !0xffff),
            _ => [0, 1, 31, 32, 33, 63, 64, 65, 255, 256, 0x2010, 0x4000, 0xff00][rng.next() as usize % 13],
        }
    };
    for &(w, s, undef) in &forms {
        for v in scan_values(w, &mut rng) {
            for k in 0..6 {
                let mut st = State::default();
                st.flags = FLAG_INPUTS[k % 3];
                st.r[RDI] = addr;
                st.r[RBX] = rng.next();
                st.r[RCX] = rng.next();
                st.r[RSI] = (rng.next() & !mask(w)) | v;
                st.r[RDX] = controls(&mut rng);
                let mem = st.r[RSI].to_le_bytes();
                if k == 5 {
                    // Memory operand different from the register one.
                    st.r[RSI] = controls(&mut rng);
                }
                check(s.name, s.bytes, &st, &mem, undef);
            }
        }
    }
    for s in &rorx {
        for v in scan_values(64, &mut rng) {
            for imm in [0u8, 1, 5, 31, 32, 33, 63, 64, 200] {
                let mut st = State::default();
                st.r[RDI] = addr;
                st.r[RSI] = v;
                st.r[RBX] = rng.next();
                check(s.name, &with_imm(s, imm), &st, &v.to_le_bytes(), 0);
            }
        }
    }
}
