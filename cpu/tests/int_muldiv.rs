//! Differential tests of `ops/muldiv.rs` against the host CPU.

// They run host instructions, so they exist only on x86-64 Linux hosts.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![allow(clippy::field_reassign_with_default)]

#[macro_use]
mod int_harness;
use emu_cpu::Exit;
use int_harness::*;

/// Replaces the trailing `n`-byte immediate of a snippet (assembled as `marker`).
fn with_imm(s: &Snip, n: usize, marker: u64, imm: u64) -> Vec<u8> {
    let mut b = s.bytes.to_vec();
    let k = b.len() - n;
    let mut cur = [0u8; 8];
    cur[..n].copy_from_slice(&b[k..]);
    assert_eq!(u64::from_le_bytes(cur), marker, "{}: immediate must be last", s.name);
    b[k..].copy_from_slice(&imm.to_le_bytes()[..n]);
    b
}

fn operands(w: u32, rng: &mut Rng) -> Vec<u64> {
    let mut v = edge_values(w);
    let m = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
    for _ in 0..8 {
        v.push(rng.next() & m);
    }
    for _ in 0..4 {
        v.push(rng.next() & m & 0xff);
    }
    v
}

fn mask(w: u32) -> u64 {
    if w == 64 {
        u64::MAX
    } else {
        (1u64 << w) - 1
    }
}

fn sx(v: u64, w: u32) -> i128 {
    (((v << (64 - w)) as i64) >> (64 - w)) as i128
}

/// Would DIV/IDIV of rDX:rAX (AX for 8-bit) by `s` raise #DE?
fn div_faults(signed: bool, w: u32, st: &State, s: u64) -> bool {
    let m = mask(w);
    let s = s & m;
    if s == 0 {
        return true;
    }
    let (lo, hi) =
        if w == 8 { (st.r[RAX] & 0xff, (st.r[RAX] >> 8) & 0xff) } else { (st.r[RAX] & m, st.r[RDX] & m) };
    let n = ((hi as u128) << w) | lo as u128;
    if signed {
        let n = ((n << (128 - 2 * w)) as i128) >> (128 - 2 * w);
        let d = sx(s, w);
        match n.checked_div(d) {
            None => true,
            Some(q) => q < -(1i128 << (w - 1)) || q >= 1i128 << (w - 1),
        }
    } else {
        n / s as u128 > m as u128
    }
}

macro_rules! one_forms {
    ($m:literal) => {
        [
            (8, snip!(concat!($m, " bl"))),
            (8, snip!(concat!($m, " bh"))),
            (16, snip!(concat!($m, " bx"))),
            (32, snip!(concat!($m, " ebx"))),
            (64, snip!(concat!($m, " rbx"))),
            (8, snip!(concat!($m, " byte ptr [rdi]"))),
            (16, snip!(concat!($m, " word ptr [rdi]"))),
            (32, snip!(concat!($m, " dword ptr [rdi]"))),
            (64, snip!(concat!($m, " qword ptr [rdi]"))),
        ]
    };
}

/// MUL/IMUL: SF/ZF/AF/PF undefined. DIV/IDIV: all six undefined.
const MUL_UNDEF: u64 = F_SF | F_ZF | F_AF | F_PF;
const DIV_UNDEF: u64 = F_SF | F_ZF | F_AF | F_PF | F_CF | F_OF;

fn sweep_one(forms: &[(u32, Snip)], div: Option<bool>) {
    let mut rng = Rng(0xdead_beef_1234_5678);
    let addr = data_addr();
    let mut n = 0;
    for &(w, s) in forms {
        let ops = operands(w, &mut rng);
        for (i, &a) in ops.iter().enumerate() {
            for &b in ops.iter().skip(i % 2).step_by(2) {
                for &f in &FLAG_INPUTS {
                    let mut st = State::default();
                    st.flags = f;
                    st.r[RDI] = addr;
                    st.r[RAX] = rng.next() & !mask(w) | a;
                    // Small high halves keep many divisions in range.
                    st.r[RDX] = match rng.next() % 3 {
                        0 => 0,
                        1 => u64::MAX,
                        _ => rng.next() >> (rng.next() % 64),
                    };
                    let hi = rng.next();
                    let mut mem = [0u8; 16];
                    let reg = (hi & !mask(w)) | b;
                    if s.name.contains('[') {
                        mem[..8].copy_from_slice(&reg.to_le_bytes());
                    } else if s.name.contains(" bh") {
                        st.r[RBX] = (hi & !0xff00) | (b << 8);
                    } else {
                        st.r[RBX] = reg;
                    }
                    if w == 8 && div.is_some() {
                        st.r[RAX] = (st.r[RAX] & !0xff00) | (st.r[RDX] & 0xff00);
                    }
                    let src = if s.name.contains(" bh") { (st.r[RBX] >> 8) & 0xff } else { b };
                    match div {
                        Some(signed) if div_faults(signed, w, &st, src) => {
                            let (exit, out) = run_emu(s.bytes, &st, &mem);
                            assert_eq!(exit, Exit::DivideError, "{}: {st:x?}", s.name);
                            let mut want = st;
                            want.r[4] = 0;
                            want.flags = (st.flags & IN_FLAGS) | 2;
                            assert_eq!(out.st.r, want.r, "{}: #DE changed registers", s.name);
                            assert_eq!(
                                out.st.flags & IN_FLAGS,
                                want.flags & IN_FLAGS,
                                "{}: #DE changed flags",
                                s.name
                            );
                        }
                        Some(_) => check(s.name, s.bytes, &st, &mem, DIV_UNDEF),
                        None => check(s.name, s.bytes, &st, &mem, MUL_UNDEF),
                    }
                    n += 1;
                }
            }
        }
    }
    assert!(n > 1000);
}

#[test]
fn mul() {
    sweep_one(&one_forms!("mul"), None);
}

#[test]
fn imul_one_operand() {
    sweep_one(&one_forms!("imul"), None);
}

#[test]
fn div() {
    sweep_one(&one_forms!("div"), Some(false));
}

#[test]
fn idiv() {
    sweep_one(&one_forms!("idiv"), Some(true));
}

#[test]
fn idiv_edges() {
    // Quotients exactly at the signed limits, and the i128 overflow corner.
    let st = |a: u64, d: u64, b: u64| {
        let mut s = State::default();
        s.r[RAX] = a;
        s.r[RDX] = d;
        s.r[RBX] = b;
        s
    };
    let q8 = snip!("idiv bl");
    check(q8.name, q8.bytes, &st(0xff80, 0, 1), &[], DIV_UNDEF);
    check(q8.name, q8.bytes, &st(0x0080, 0, 0xff), &[], DIV_UNDEF); // 128 / -1 would fault
    let q64 = snip!("idiv rbx");
    check(q64.name, q64.bytes, &st(1 << 63, u64::MAX, 1), &[], DIV_UNDEF);
    let (e, _) = run_emu(q64.bytes, &st(0, 1 << 63, u64::MAX), &[]);
    assert_eq!(e, Exit::DivideError);
    let (e, _) = run_emu(q64.bytes, &st(1 << 63, u64::MAX, u64::MAX), &[]);
    assert_eq!(e, Exit::DivideError);
}

#[test]
fn imul_two_and_three_operands() {
    let forms2 = [
        (16, snip!("imul bx, cx")),
        (32, snip!("imul ebx, ecx")),
        (64, snip!("imul rbx, rcx")),
        (16, snip!("imul bx, word ptr [rdi]")),
        (32, snip!("imul ebx, dword ptr [rdi]")),
        (64, snip!("imul rbx, qword ptr [rdi]")),
    ];
    // (width, imm bytes, marker, snippet)
    let forms3 = [
        (16, 1, 5, snip!("imul bx, cx, 5")),
        (32, 1, 5, snip!("imul ebx, ecx, 5")),
        (64, 1, 5, snip!("imul rbx, rcx, 5")),
        (16, 2, 0x1234, snip!("imul bx, cx, 0x1234")),
        (32, 4, 0x12345, snip!("imul ebx, ecx, 0x12345")),
        (64, 4, 0x12345, snip!("imul rbx, rcx, 0x12345")),
        (16, 1, 5, snip!("imul bx, word ptr [rdi], 5")),
        (32, 1, 5, snip!("imul ebx, dword ptr [rdi], 5")),
        (64, 4, 0x12345, snip!("imul rbx, qword ptr [rdi], 0x12345")),
    ];
    let mut rng = Rng(42);
    let addr = data_addr();
    for &(w, s) in &forms2 {
        let ops = operands(w, &mut rng);
        for &a in &ops {
            for &b in &ops {
                let mut st = State::default();
                st.r[RDI] = addr;
                st.r[RBX] = (rng.next() & !mask(w)) | a;
                let reg = (rng.next() & !mask(w)) | b;
                st.r[RCX] = reg;
                let mut mem = [0u8; 8];
                mem.copy_from_slice(&reg.to_le_bytes());
                check(s.name, s.bytes, &st, &mem, MUL_UNDEF);
            }
        }
    }
    for &(w, n, marker, s) in &forms3 {
        let ops = operands(w, &mut rng);
        let imms = [
            0u64,
            1,
            2,
            0x7f,
            0x80,
            0xff,
            0x7fff,
            0x8000,
            0xffff,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1234_5678,
        ];
        for &a in &ops {
            for &imm in &imms {
                let mut st = State::default();
                st.r[RDI] = addr;
                let reg = (rng.next() & !mask(w)) | a;
                st.r[RCX] = reg;
                st.r[RBX] = rng.next();
                let mem = reg.to_le_bytes();
                check(s.name, &with_imm(&s, n, marker, imm), &st, &mem, MUL_UNDEF);
            }
        }
    }
}
