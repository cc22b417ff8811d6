//! Long fuzz runs of the CPU conformance tester (see `tests/conformance/mod.rs`).
//!
//! ```text
//! cargo run --release -p emu-cpu --example conformance -- \
//!     [--seed N] [--cases N] [--forms FILTER] [--seq-percent P] [--record FILE] [--batch N]
//!     [--tiers]
//! ```
//! `--cases` counts single-instruction cases plus sequences (`--seq-percent` of them are
//! sequences, default 30). `--forms` keeps the implemented `Code`s whose name contains
//! FILTER (case-insensitive; comma-separated alternatives). Every mismatch prints a
//! `MISMATCH` line whose case part pastes into `tests/conformance/regressions.txt`.
//! `--record FILE` appends expectations (native outcome digests) for replay on hosts
//! without the native runner. `--show CASE_LINE` runs one case (a repro line) and prints
//! the x87/MXCSR state before, natively and emulated (after `--tiers`, also how the two
//! tiers' outcomes differ).
//!
//! `--tiers` runs every case twice in emu, with the JIT forced and in the interpreter: the
//! forced-JIT run is the one compared with the host, and the two runs must agree exactly
//! (`TIERS` lines otherwise). On a host whose vendor differs from emu's model, the host
//! comparison reports that vendor's forms, for both tiers alike; the tier comparison does
//! not depend on the host.

#[path = "../tests/conformance/mod.rs"]
mod conf;

use conf::case::{Case, Outcome, K_LOST, K_REFUSED};
use conf::compare::{self, Mask};
use conf::driver::{self, Coverage, Verdict};
use conf::emulated::Emu;
use conf::gen::Gen;
use conf::native;
use conf::seq::SeqGen;
use emu_cpu::JitMode;
use std::io::Write;

fn main() {
    let mut seed = 1u64;
    let mut total = 1_000_000u64;
    let mut filter: Option<String> = None;
    let mut seq_pct = 30u64;
    let mut record: Option<String> = None;
    let mut batch = 8192usize;
    let mut tiers = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--seed" => seed = val().parse().expect("--seed N"),
            "--cases" => total = val().parse().expect("--cases N"),
            "--forms" => filter = Some(val().to_lowercase()),
            "--seq-percent" => seq_pct = val().parse().expect("--seq-percent P"),
            "--record" => record = Some(val()),
            "--batch" => batch = val().parse().expect("--batch N"),
            "--tiers" => tiers = true,
            "--show" => {
                show(&val(), tiers);
                return;
            }
            "-h" | "--help" => {
                println!("usage: conformance [--seed N] [--cases N] [--forms FILTER] [--seq-percent P] [--record FILE] [--batch N] [--tiers] [--show CASE_LINE]");
                return;
            }
            _ => panic!("unknown argument {a}"),
        }
    }
    if let Some(why) = native::unavailable() {
        eprintln!("conformance: {why}");
        std::process::exit(2);
    }
    let all = emu_cpu::implemented_codes();
    let codes: Vec<_> = all
        .into_iter()
        .filter(|c| {
            let n = format!("{c:?}").to_lowercase();
            filter.as_ref().map(|f| f.split(',').any(|p| n.contains(p))).unwrap_or(true)
        })
        .collect();
    assert!(!codes.is_empty(), "no implemented form matches the filter");
    let sg = SeqGen::new(&codes);
    let mut g = Gen::new(seed);
    let mut cov = Coverage::new(&codes);
    let (mut emu, mut interp) = match tiers {
        true => (Emu::with_jit(JitMode::Force), Some(Emu::with_jit(JitMode::Off))),
        false => (Emu::new(), None),
    };
    let mut tier_mismatches = 0u64;
    let mut rec =
        record.map(|p| std::fs::OpenOptions::new().create(true).append(true).open(p).expect("--record file"));
    let t = std::time::Instant::now();
    let mut done = 0u64;
    let mut next_code = 0usize;
    let mut dead: Vec<bool> = vec![false; codes.len()];
    while done < total {
        let n = batch.min((total - done) as usize);
        let mut cases: Vec<(Option<iced_x86::Code>, Case)> = Vec::with_capacity(n);
        while cases.len() < n {
            if !sg.pool.is_empty() && g.rng.below(100) < seq_pct {
                cases.push((None, sg.gen(&mut g)));
                continue;
            }
            if dead.iter().all(|d| *d) {
                if sg.pool.is_empty() {
                    break;
                }
                continue;
            }
            let i = next_code % codes.len();
            next_code += 1;
            if dead[i] {
                continue;
            }
            match g.single(codes[i]) {
                Ok(c) => cases.push((Some(codes[i]), c)),
                Err(s) => {
                    if cov.codes.get(&(codes[i] as u32)).map(|c| c.cases == 0).unwrap_or(true) {
                        cov.skip(codes[i], &s);
                        dead[i] = true;
                    }
                }
            }
        }
        if cases.is_empty() {
            break;
        }
        let just: Vec<Case> = cases.iter().map(|(_, c)| c.clone()).collect();
        // The native child and the emulator run side by side.
        let (nat, emus) = std::thread::scope(|s| {
            let h = s.spawn(|| native::run_batch(&just));
            let emus: Vec<_> = just.iter().map(|c| emu.run(c)).collect();
            (h.join().unwrap(), emus)
        });
        if let Some(int) = interp.as_mut() {
            for (c, e) in just.iter().zip(&emus) {
                let d = tier_diff(&int.run(c), e);
                if !d.is_empty() {
                    tier_mismatches += 1;
                    println!(
                        "TIERS {} # {} | interpreter vs jit: {}",
                        c.to_line(),
                        driver::disasm(&c.bytes),
                        d.join("; ")
                    );
                }
            }
        }
        for (((code, c), n), e) in cases.iter().zip(&nat).zip(&emus) {
            let v = driver::verdict(c, n, e);
            match &v {
                Verdict::Mismatch(m) => println!("MISMATCH {m}"),
                Verdict::Lost => println!("LOST {} # {}", c.to_line(), driver::disasm(&c.bytes)),
                _ => {}
            }
            if let (Some(f), Verdict::Pass) = (rec.as_mut(), &v) {
                writeln!(f, "{}", driver::expectation_line(c, n)).unwrap();
            }
            match code {
                Some(k) => cov.add_single(*k, c, &v),
                None => cov.add_seq(&v),
            }
        }
        done += cases.len() as u64;
        let tiers_note = if tiers { format!(", {tier_mismatches} between tiers") } else { String::new() };
        eprintln!(
            "conformance: {done} cases ({} sequences), {} mismatches{tiers_note}, {} lost, {:.0} cases/s",
            cov.seq_cases,
            cov.mismatches.len(),
            cov.lost,
            done as f64 / t.elapsed().as_secs_f64()
        );
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/conformance-fuzz-coverage.md");
    let mut table = cov.table(1);
    table.push_str(&driver::cpuid_section(&cov, 1));
    std::fs::write(&path, table).unwrap();
    let tiers_note = if tiers {
        format!(", {tier_mismatches} between the JIT and the interpreter")
    } else {
        String::new()
    };
    println!(
        "conformance: seed {seed}: {done} cases ({} sequences) in {:.0}s, {} mismatches{tiers_note}, {} lost; table in {}",
        cov.seq_cases,
        t.elapsed().as_secs_f64(),
        cov.mismatches.len(),
        cov.lost,
        path.display()
    );
    if !cov.mismatches.is_empty() || cov.lost != 0 || tier_mismatches != 0 {
        std::process::exit(1);
    }
}

/// How the JIT's outcome `j` differs from the interpreter's `i`: everything
/// `compare::diff` looks at, with nothing masked (random values too: both CPUs draw from
/// the same fixed-seed generator, in step).
fn tier_diff(i: &Outcome, j: &Outcome) -> Vec<String> {
    if i.kind == j.kind && (i.kind == K_LOST || i.kind == K_REFUSED) {
        return vec![];
    }
    compare::diff(i, j, &Mask { vex: true, ..Mask::default() })
}

/// Prints the x87 part of an FXSAVE image (physical registers).
fn x87_dump(what: &str, fx: &[u8]) {
    let w = |o: usize| u16::from_le_bytes([fx[o], fx[o + 1]]);
    let fsw = w(2);
    let top = ((fsw >> 11) & 7) as usize;
    print!(
        "{what}: fcw={:04x} fsw={fsw:04x} ftw={:02x} mxcsr={:08x}",
        w(0),
        fx[4],
        u32::from_le_bytes(fx[24..28].try_into().unwrap())
    );
    for p in 0..8 {
        let i = (p + 8 - top) & 7;
        let m = u64::from_le_bytes(fx[32 + 16 * i..40 + 16 * i].try_into().unwrap());
        print!(" | R{p}{}={:04x}:{m:016x}", if fx[4] >> p & 1 == 1 { "" } else { "(e)" }, w(40 + 16 * i));
    }
    println!();
}

fn show(line: &str, tiers: bool) {
    let c = Case::parse(line).expect("a case line");
    println!("{}", driver::disasm(&c.bytes));
    if tiers {
        let (j, i) = (Emu::with_jit(JitMode::Force).run(&c), Emu::with_jit(JitMode::Off).run(&c));
        let d = tier_diff(&i, &j);
        println!("interpreter vs jit: {}", if d.is_empty() { "same".into() } else { d.join("; ") });
    }
    let mut st = conf::case::State::from_seed(0);
    let mut mem = vec![0u8; conf::case::DATA_SIZE];
    c.initial(&mut st, &mut mem);
    let mut fx = [0u8; 512];
    st.fx_image(&mut fx);
    x87_dump("before", &fx);
    let n = native::run_batch(std::slice::from_ref(&c));
    let mut emu = Emu::new();
    let e = emu.run(&c);
    for (what, o) in [("native", &n[0]), ("emu   ", &e)] {
        println!("{what}: kind={} sig={} addr={:x} diffs={}", o.kind, o.sig, o.addr, o.ndiff);
        x87_dump(what, &o.fx);
        for k in 0..(o.ndiff as usize).min(conf::case::MAX_DIFF) {
            println!("  mem+{:x} = {:016x}", o.diff_off[k], o.diff_val[k]);
        }
    }
}
