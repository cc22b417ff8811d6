//! Differential tests of `ops/string.rs` against the host CPU, plus restart-after-fault
//! checks (the oracle there is the native run of the same instruction with the count cut
//! to the elements that fit before the fault).

// They run host instructions, so they exist only on x86-64 Linux hosts.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]
#![allow(clippy::field_reassign_with_default)]

#[macro_use]
mod int_harness;
use emu_cpu::{Exit, Perm};
use int_harness::*;

const LEN: usize = DATA_PAGES * 4096;

fn random_mem(rng: &mut Rng) -> Vec<u8> {
    (0..LEN / 8).flat_map(|_| rng.next().to_le_bytes()).collect()
}

/// Memory made of few distinct byte values, so compares and scans stop at varied places.
fn lumpy_mem(rng: &mut Rng) -> Vec<u8> {
    let mut m = vec![0u8; LEN];
    let mut i = 0;
    while i < LEN {
        let run = (rng.next() % 40) as usize + 1;
        let v = (rng.next() % 3) as u8;
        for b in m.iter_mut().skip(i).take(run) {
            *b = v;
        }
        i += run;
    }
    m
}

fn snips() -> Vec<(u32, Snip)> {
    vec![
        (8, snip!("movsb")),
        (16, snip!("movsw")),
        (32, snip!("movsd")),
        (64, snip!("movsq")),
        (8, snip!("rep movsb")),
        (16, snip!("rep movsw")),
        (32, snip!("rep movsd")),
        (64, snip!("rep movsq")),
        (8, snip!("stosb")),
        (16, snip!("stosw")),
        (32, snip!("stosd")),
        (64, snip!("stosq")),
        (8, snip!("rep stosb")),
        (16, snip!("rep stosw")),
        (32, snip!("rep stosd")),
        (64, snip!("rep stosq")),
        (8, snip!("lodsb")),
        (16, snip!("lodsw")),
        (32, snip!("lodsd")),
        (64, snip!("lodsq")),
        (8, snip!("rep lodsb")),
        (64, snip!("rep lodsq")),
        (8, snip!("cmpsb")),
        (16, snip!("cmpsw")),
        (32, snip!("cmpsd")),
        (64, snip!("cmpsq")),
        (8, snip!("repe cmpsb")),
        (16, snip!("repe cmpsw")),
        (32, snip!("repe cmpsd")),
        (64, snip!("repe cmpsq")),
        (8, snip!("repne cmpsb")),
        (64, snip!("repne cmpsq")),
        (8, snip!("scasb")),
        (16, snip!("scasw")),
        (32, snip!("scasd")),
        (64, snip!("scasq")),
        (8, snip!("repe scasb")),
        (32, snip!("repe scasd")),
        (8, snip!("repne scasb")),
        (16, snip!("repne scasw")),
        (32, snip!("repne scasd")),
        (64, snip!("repne scasq")),
    ]
}

#[test]
fn string_ops() {
    let mut rng = Rng(0x5eed);
    let base = data_addr();
    let mut n = 0;
    for (w, s) in snips() {
        let sz = (w / 8) as u64;
        let compares = s.name.contains("cmps") || s.name.contains("scas");
        for k in 0..120u64 {
            let df = k % 4 == 3;
            let mem = if compares { lumpy_mem(&mut rng) } else { random_mem(&mut rng) };
            let count = match k % 6 {
                0 => 0,
                1 => 1,
                2 => rng.next() % 16,
                3 => rng.next() % 300,
                _ => rng.next() % (4096 / sz + 8),
            };
            let span = count * sz;
            // Place source and destination so the whole run stays in the buffer.
            let room = LEN as u64 - span - 16;
            let mut si = rng.next() % room;
            let mut di = match k % 5 {
                // Overlapping forward and backward, at small distances.
                0 => (si + rng.next() % 20).min(room - 1),
                1 => si.saturating_sub(rng.next() % 20),
                _ => rng.next() % room,
            };
            if df {
                si += span;
                di += span;
            }
            let mut st = State::default();
            st.flags = FLAG_INPUTS[k as usize % 3] | if df { emu_cpu::flags::DF } else { 0 };
            st.r[RSI] = base + si;
            st.r[RDI] = base + di;
            st.r[RCX] = count;
            st.r[RAX] = if compares { rng.next() % 3 * 0x0101_0101_0101_0101 } else { rng.next() };
            if compares && k % 2 == 0 {
                // Make the source a copy of the destination so REPE runs long.
                let mut m = mem.clone();
                let (a, b) = (si as usize, di as usize);
                let l = (span as usize + 8).min(LEN - a.max(b));
                let src: Vec<u8> = m[b..b + l].to_vec();
                m[a..a + l].copy_from_slice(&src);
                check(s.name, s.bytes, &st, &m, 0);
            } else {
                check(s.name, s.bytes, &st, &mem, 0);
            }
            n += 1;
        }
    }
    assert!(n > 4000);
}

#[test]
fn xlat() {
    let s = snip!("xlatb");
    let mut rng = Rng(11);
    let mem = random_mem(&mut rng);
    for k in 0..300 {
        let mut st = State::default();
        st.r[RBX] = data_addr() + rng.next() % 4000;
        st.r[RAX] = rng.next();
        st.flags = FLAG_INPUTS[k % 3];
        check(s.name, s.bytes, &st, &mem, 0);
    }
}

/// Runs `s` under emu with the data page `bad` unmapped (or read-only), expects a fault at
/// `want_addr`, and compares with the native run of `done` elements.
fn fault_case(s: &Snip, st: &State, mem: &[u8], read_only: bool, done: u64, want_addr: u64) {
    let bad = 2 * 4096usize;
    let mut cpu = guest(s.bytes, st, mem);
    if read_only {
        cpu.mem.protect(data_addr() + bad as u64, 4096, Perm::R).unwrap();
    } else {
        cpu.mem.unmap(data_addr() + bad as u64, 4096).unwrap();
    }
    let exit = cpu.run();
    match exit {
        Exit::Fault(f) => assert_eq!(f.addr, want_addr, "{}: fault address", s.name),
        e => panic!("{}: expected a fault, got {e:?}", s.name),
    }
    let mut short = *st;
    short.r[RCX] = done;
    let native = run_native(s.bytes, &short, mem);
    let mut got = State::default();
    got.r.copy_from_slice(&cpu.regs[..16]);
    assert_eq!(got.r[RCX], st.r[RCX] - done, "{}: rcx after fault", s.name);
    for r in [RSI, RDI, RAX] {
        assert_eq!(got.r[r], native.st.r[r], "{}: r{r} after fault", s.name);
    }
    let mut m = vec![0u8; bad];
    cpu.mem.read(data_addr(), &mut m).unwrap();
    assert_eq!(&m[..], &native.mem[..bad], "{}: memory after fault", s.name);
    // The instruction restarts: rip is still on it.
    assert_eq!(cpu.rip, cpu_code_addr(s, &cpu));
}

fn cpu_code_addr(_s: &Snip, cpu: &emu_cpu::Cpu) -> u64 {
    // The guest's code starts at the first mapped page below the data; rip must be there.
    cpu.rip & !0xfff
}

#[test]
fn faults_leave_progress() {
    let mut rng = Rng(21);
    let mem = random_mem(&mut rng);
    let base = data_addr();
    let edge = base + 2 * 4096;
    // (snippet, element size, write faults?)
    let cases = [
        (snip!("rep movsb"), 1u64),
        (snip!("rep movsw"), 2),
        (snip!("rep movsq"), 8),
        (snip!("rep stosb"), 1),
        (snip!("rep stosq"), 8),
        (snip!("rep stosd"), 4),
    ];
    for (s, sz) in cases {
        for misalign in [0u64, 1, 3, 5] {
            // Destination runs into the bad page; the source is well inside.
            let di = edge - 100 * sz - misalign;
            let mut st = State::default();
            st.r[RDI] = di;
            st.r[RSI] = base + 17;
            st.r[RCX] = 1000;
            st.r[RAX] = rng.next();
            let done = (edge - di) / sz;
            // The first element not done starts at di + done*sz; its first bad byte is the edge.
            let first_bad = (di + done * sz).max(edge);
            fault_case(&s, &st, &mem, false, done, first_bad);
            fault_case(&s, &st, &mem, true, done, first_bad);
            if s.name.contains("movs") {
                // Source runs into the bad page instead (a read fault).
                let si = edge - 60 * sz - misalign;
                let mut st = st;
                st.r[RSI] = si;
                st.r[RDI] = base + 5;
                let done = (edge - si) / sz;
                let first_bad = (si + done * sz).max(edge);
                fault_case(&s, &st, &mem, false, done, first_bad);
            }
        }
    }
    // The generic element loop (DF=1, and compares) stops the same way.
    let s = snip!("rep movsb");
    let mut st = State::default();
    st.flags = emu_cpu::flags::DF;
    st.r[RSI] = base + 4000;
    st.r[RDI] = edge + 50;
    st.r[RCX] = 200;
    fault_case(&s, &st, &mem, false, 0, edge + 50);
    let s = snip!("repe cmpsb");
    let mut m = mem.clone();
    m.copy_within(0..4096, 4096);
    let mut st = State::default();
    st.r[RSI] = base + 4096 + 4000;
    st.r[RDI] = base + 4000;
    st.r[RCX] = 500;
    fault_case(&s, &st, &m, false, 96, edge);
}

#[test]
fn rep_stos_into_own_code_is_seen() {
    // rep stosb; nop; nop; mov eax, 1 — the store turns the first nop into int3.
    let s = snip!("rep stosb", "nop", "nop", "mov eax, 1");
    let mut st = State::default();
    st.r[RAX] = 0xcc;
    st.r[RCX] = 1;
    let mut cpu = guest(s.bytes, &st, &[]);
    cpu.regs[RDI] = cpu.rip + 2;
    let start = cpu.rip;
    assert_eq!(cpu.run(), Exit::Breakpoint);
    assert_eq!(cpu.rip, start + 3, "stopped at the patched byte");
    assert_eq!(cpu.regs[RAX], 0xcc);
    assert_eq!(cpu.regs[RCX], 0);
}
