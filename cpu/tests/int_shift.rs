//! Differential tests of `ops/shift.rs` against the host CPU.

// They run host instructions, so they exist only on x86-64 Linux hosts.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![allow(clippy::field_reassign_with_default)]

#[macro_use]
mod int_harness;
mod reference_host;
use int_harness::*;

/// Replaces the trailing imm8 (assembled as 5) of a snippet.
fn with_imm(s: &Snip, imm: u8) -> Vec<u8> {
    let mut b = s.bytes.to_vec();
    assert_eq!(*b.last().unwrap(), 5, "{}: imm8 must be the last byte", s.name);
    *b.last_mut().unwrap() = imm;
    b
}

/// All forms of one shift/rotate mnemonic: (width, by-CL, by-1, by-imm8) for registers
/// (bl/bx/ebx/rbx, and ah) and memory at [rdi].
macro_rules! forms {
    ($m:literal) => {
        [
            (8, [snip!(concat!($m, " bl, cl")), snip!(concat!($m, " bl, 1")), snip!(concat!($m, " bl, 5"))]),
            (8, [snip!(concat!($m, " ah, cl")), snip!(concat!($m, " ah, 1")), snip!(concat!($m, " ah, 5"))]),
            (16, [snip!(concat!($m, " bx, cl")), snip!(concat!($m, " bx, 1")), snip!(concat!($m, " bx, 5"))]),
            (
                32,
                [
                    snip!(concat!($m, " ebx, cl")),
                    snip!(concat!($m, " ebx, 1")),
                    snip!(concat!($m, " ebx, 5")),
                ],
            ),
            (
                64,
                [
                    snip!(concat!($m, " rbx, cl")),
                    snip!(concat!($m, " rbx, 1")),
                    snip!(concat!($m, " rbx, 5")),
                ],
            ),
            (
                8,
                [
                    snip!(concat!($m, " byte ptr [rdi], cl")),
                    snip!(concat!($m, " byte ptr [rdi], 1")),
                    snip!(concat!($m, " byte ptr [rdi], 5")),
                ],
            ),
            (
                16,
                [
                    snip!(concat!($m, " word ptr [rdi], cl")),
                    snip!(concat!($m, " word ptr [rdi], 1")),
                    snip!(concat!($m, " word ptr [rdi], 5")),
                ],
            ),
            (
                32,
                [
                    snip!(concat!($m, " dword ptr [rdi], cl")),
                    snip!(concat!($m, " dword ptr [rdi], 1")),
                    snip!(concat!($m, " dword ptr [rdi], 5")),
                ],
            ),
            (
                64,
                [
                    snip!(concat!($m, " qword ptr [rdi], cl")),
                    snip!(concat!($m, " qword ptr [rdi], 1")),
                    snip!(concat!($m, " qword ptr [rdi], 5")),
                ],
            ),
        ]
    };
}

fn counts(w: u32) -> Vec<u64> {
    let mut c = vec![0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 63, 64, 65, 0x7f, 0xff, 0x100, 0x101];
    c.extend([w as u64 - 1, w as u64, w as u64 + 1]);
    c.sort();
    c.dedup();
    c
}

fn values(w: u32, rng: &mut Rng) -> Vec<u64> {
    let mut v = edge_values(w);
    let m = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
    for _ in 0..6 {
        v.push(rng.next() & m);
    }
    v
}

/// Flags the SDM leaves undefined for a shift by `c` (masked) of a W-bit operand: AF, OF
/// unless the count is 1, CF once the count reaches the width. On the reference host they
/// are compared anyway (`check`); see ops/shift.rs for the model.
fn undef(c: u64, w: u32) -> u64 {
    let c = c & if w == 64 { 63 } else { 31 };
    F_AF | if c != 1 { F_OF } else { 0 } | if c >= w as u64 { F_CF } else { 0 }
}

const UNDEF: u64 = 0;

fn sweep(forms: &[(u32, [Snip; 3])], undef: u64) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let addr = data_addr();
    let mut n = 0;
    for (w, [by_cl, by_1, by_imm]) in forms {
        let w = *w;
        let mem_form = by_cl.name.contains('[');
        for a in values(w, &mut rng) {
            for &f in &FLAG_INPUTS {
                let hi = rng.next();
                let mut st = State::default();
                st.flags = f;
                st.r[RDI] = addr;
                st.r[RDX] = rng.next();
                let mut mem = [0u8; 16];
                if mem_form {
                    mem[..8].copy_from_slice(&(a | (hi << 1 << (w - 1))).to_le_bytes());
                } else if by_cl.name.contains(" ah") {
                    st.r[RAX] = (hi & !0xff00) | (a << 8);
                } else {
                    st.r[RBX] = if w == 64 { a } else { (hi << 1 << (w - 1)) | a };
                }
                for c in counts(w) {
                    st.r[RCX] = (rng.next() << 8) | (c & 0xff);
                    let u = undef | self::undef(c, w);
                    check(by_cl.name, by_cl.bytes, &st, &mem, u);
                    check(by_imm.name, &with_imm(by_imm, c as u8), &st, &mem, u);
                    n += 2;
                }
                check(by_1.name, by_1.bytes, &st, &mem, undef);
                n += 1;
            }
        }
    }
    assert!(n > 1000);
}

#[test]
fn shl() {
    if reference_host::skip_here("shl") {
        return;
    }
    sweep(&forms!("shl"), UNDEF);
}

#[test]
fn sal() {
    if reference_host::skip_here("sal") {
        return;
    }
    sweep(&forms!("sal"), UNDEF);
}

#[test]
fn shr() {
    if reference_host::skip_here("shr") {
        return;
    }
    sweep(&forms!("shr"), UNDEF);
}

#[test]
fn sar() {
    if reference_host::skip_here("sar") {
        return;
    }
    sweep(&forms!("sar"), UNDEF);
}

#[test]
fn rol() {
    sweep(&forms!("rol"), UNDEF);
}

#[test]
fn ror() {
    sweep(&forms!("ror"), UNDEF);
}

#[test]
fn rcl() {
    sweep(&forms!("rcl"), UNDEF);
}

#[test]
fn rcr() {
    sweep(&forms!("rcr"), UNDEF);
}

macro_rules! dforms {
    ($m:literal) => {
        [
            (16, [snip!(concat!($m, " bx, dx, cl")), snip!(concat!($m, " bx, dx, 5"))]),
            (32, [snip!(concat!($m, " ebx, edx, cl")), snip!(concat!($m, " ebx, edx, 5"))]),
            (64, [snip!(concat!($m, " rbx, rdx, cl")), snip!(concat!($m, " rbx, rdx, 5"))]),
            (
                16,
                [snip!(concat!($m, " word ptr [rdi], dx, cl")), snip!(concat!($m, " word ptr [rdi], dx, 5"))],
            ),
            (
                32,
                [
                    snip!(concat!($m, " dword ptr [rdi], edx, cl")),
                    snip!(concat!($m, " dword ptr [rdi], edx, 5")),
                ],
            ),
            (
                64,
                [
                    snip!(concat!($m, " qword ptr [rdi], rdx, cl")),
                    snip!(concat!($m, " qword ptr [rdi], rdx, 5")),
                ],
            ),
        ]
    };
}

fn dsweep(forms: &[(u32, [Snip; 2])]) {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let addr = data_addr();
    for (w, [by_cl, by_imm]) in forms {
        let w = *w;
        let mem_form = by_cl.name.contains('[');
        let vals = values(w, &mut rng);
        for (i, &a) in vals.iter().enumerate() {
            for &b in vals.iter().skip(i % 3).step_by(3) {
                for &f in &FLAG_INPUTS[..2] {
                    let hi = rng.next();
                    let mut st = State::default();
                    st.flags = f;
                    st.r[RDI] = addr;
                    st.r[RDX] = if w == 64 { b } else { (rng.next() << 1 << (w - 1)) | b };
                    let mut mem = [0u8; 16];
                    let v = if w == 64 { a } else { (hi << 1 << (w - 1)) | a };
                    if mem_form {
                        mem[..8].copy_from_slice(&v.to_le_bytes());
                    } else {
                        st.r[RBX] = v;
                    }
                    for c in counts(w) {
                        if w == 16 && c & 31 > 16 && !host_matches_undefined_model() {
                            // The result itself is undefined there.
                            continue;
                        }
                        st.r[RCX] = (rng.next() << 8) | (c & 0xff);
                        let u = undef(c, w);
                        check(by_cl.name, by_cl.bytes, &st, &mem, u);
                        check(by_imm.name, &with_imm(by_imm, c as u8), &st, &mem, u);
                    }
                }
            }
        }
    }
}

#[test]
fn shld() {
    dsweep(&dforms!("shld"));
}

#[test]
fn shrd() {
    dsweep(&dforms!("shrd"));
}
