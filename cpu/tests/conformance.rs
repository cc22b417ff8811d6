//! CPU conformance in `cargo test`: a fixed-seed subset of the differential tester
//! (`tests/conformance/`). Every implemented `Code` gets single-instruction cases
//! compared against the host CPU, plus random sequences; the regression list always
//! runs; recorded expectations replay on every host. Long runs:
//! `cargo run --release -p emu-cpu --example conformance -- --help`.

#[path = "conformance/mod.rs"]
mod conf;
mod reference_host;

use conf::case::Case;
use conf::driver::{self, Coverage, Verdict};
use conf::emulated::Emu;
use conf::gen::Gen;
use conf::native;
use conf::seq::SeqGen;
use std::path::PathBuf;

const SEED: u64 = 0x0c0f_fee5;
/// Cases generated per implemented form (some may be refused by emu; at least
/// `MIN_PASSED` must pass).
const PER_CODE: usize = 64;
const MIN_PASSED: u64 = 50;
const SEQUENCES: usize = 20_000;
const BATCH: usize = 4096;

/// Features advertised before all their forms pass, each for a stated reason: reported as
/// not backed (printed, not failing) until fixed. Empty: every advertised feature is backed
/// (the x87 known bugs and RCPPS/RCPSS/RSQRTPS/RSQRTSS were the last gaps).
const PENDING_CPUID: &[&str] = &[];

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf()
}

fn skip_native() -> bool {
    if let Some(why) = native::unavailable() {
        println!("conformance: native runner skipped: {why}");
        return true;
    }
    if let Some(why) = reference_host::not_reference() {
        println!("conformance: native runner skipped: {why}; the recorded expectations still run");
        return true;
    }
    false
}

fn run_all(cases: &[Case], emu: &mut Emu) -> Vec<Verdict> {
    let mut v = vec![];
    for chunk in cases.chunks(BATCH) {
        v.extend(driver::check(chunk, emu));
    }
    v
}

#[test]
fn single_instructions_match_the_host() {
    if skip_native() {
        return;
    }
    let t = std::time::Instant::now();
    let codes = emu_cpu::implemented_codes();
    let mut cov = Coverage::new(&codes);
    let mut g = Gen::new(SEED);
    let cases = conf::singles(&mut g, &codes, PER_CODE, &mut cov);
    let just: Vec<Case> = cases.iter().map(|(_, c)| c.clone()).collect();
    let mut emu = Emu::new();
    let verdicts = run_all(&just, &mut emu);
    for ((code, c), v) in cases.iter().zip(&verdicts) {
        cov.add_single(*code, c, v);
    }
    // Forms that emu sometimes refuses (e.g. a memory variant it leaves unimplemented)
    // get more cases until enough of the implemented variants pass.
    let mut total = just.len();
    for _ in 0..4 {
        let short: Vec<iced_x86::Code> = cov
            .codes
            .iter()
            .filter(|(_, s)| s.skip.is_none() && s.failed == 0 && s.passed < MIN_PASSED && s.passed > 0)
            .map(|(k, _)| iced_x86::Code::values().nth(*k as usize).unwrap())
            .collect();
        if short.is_empty() {
            break;
        }
        let mut scratch = Coverage::new(&short);
        let more = conf::singles(&mut g, &short, PER_CODE, &mut scratch);
        let just: Vec<Case> = more.iter().map(|(_, c)| c.clone()).collect();
        total += just.len();
        for ((code, c), v) in more.iter().zip(&run_all(&just, &mut emu)) {
            cov.add_single(*code, c, v);
        }
    }
    let mut table = cov.table(MIN_PASSED);
    table.push_str(&driver::cpuid_section(&cov, MIN_PASSED));
    let path = target_dir().join("conformance-coverage.md");
    std::fs::write(&path, &table).unwrap();
    let under: Vec<String> = cov
        .codes
        .iter()
        .filter(|(_, s)| s.skip.is_none() && s.passed < MIN_PASSED)
        .map(|(k, s)| {
            let code = iced_x86::Code::values().nth(*k as usize).unwrap();
            format!("{code:?} ({} passed, {} refused, {} failed)", s.passed, s.refused, s.failed)
        })
        .collect();
    let skipped: Vec<String> = cov
        .codes
        .iter()
        .filter_map(|(k, s)| {
            s.skip.as_ref().map(|w| format!("{:?}: {w}", iced_x86::Code::values().nth(*k as usize).unwrap()))
        })
        .collect();
    println!(
        "conformance: {} forms, {} cases, {} mismatches, {} lost, {:.1}s; coverage table in {}",
        codes.len(),
        total,
        cov.mismatches.len(),
        cov.lost,
        t.elapsed().as_secs_f64(),
        path.display()
    );
    for s in &skipped {
        println!("conformance: not tested: {s}");
    }
    for (name, gaps) in driver::cpuid_gaps(&cov, MIN_PASSED) {
        println!(
            "conformance: CPUID {name} advertised but {} promised forms are not backed{}",
            gaps.len(),
            if PENDING_CPUID.contains(&name) { " (pending: see PENDING_CPUID)" } else { "" }
        );
    }
    for m in cov.mismatches.iter().take(40) {
        println!("MISMATCH {m}");
    }
    assert!(cov.mismatches.is_empty(), "{} mismatches (first ones above)", cov.mismatches.len());
    assert_eq!(cov.lost, 0, "native runner lost cases");
    assert!(under.is_empty(), "forms with fewer than {MIN_PASSED} passing cases: {under:?}");
    let bad: Vec<String> = driver::cpuid_gaps(&cov, MIN_PASSED)
        .into_iter()
        .filter(|(n, _)| !PENDING_CPUID.contains(n))
        .map(|(n, g)| format!("{n}: {:?}", &g[..g.len().min(8)]))
        .collect();
    assert!(
        bad.is_empty(),
        "CPUID advertises features whose forms are not all implemented and passing: {bad:?}"
    );
}

#[test]
fn sequences_match_the_host() {
    if skip_native() {
        return;
    }
    let t = std::time::Instant::now();
    let codes = emu_cpu::implemented_codes();
    let sg = SeqGen::new(&codes);
    let mut g = Gen::new(SEED ^ 0x5e9);
    let cases: Vec<Case> = (0..SEQUENCES).map(|_| sg.gen(&mut g)).collect();
    let mut emu = Emu::new();
    let mut cov = Coverage::default();
    for v in run_all(&cases, &mut emu) {
        cov.add_seq(&v);
    }
    println!(
        "conformance: {} sequences from {} forms, {} passed, {} refused, {} mismatches, {:.1}s",
        cov.seq_cases,
        sg.pool.len(),
        cov.seq_passed,
        cov.seq_refused,
        cov.mismatches.len(),
        t.elapsed().as_secs_f64()
    );
    for m in cov.mismatches.iter().take(40) {
        println!("MISMATCH {m}");
    }
    assert!(cov.mismatches.is_empty(), "{} mismatches (first ones above)", cov.mismatches.len());
    assert_eq!(cov.lost, 0, "native runner lost cases");
}

fn lines(file: &str) -> Vec<String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance").join(file);
    std::fs::read_to_string(&p)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(String::from)
        .collect()
}

/// Every case in `regressions.txt` (mismatches found before, pasted from repro lines)
/// runs against the host on every `cargo test`.
#[test]
fn regressions_match_the_host() {
    let cases: Vec<Case> = lines("regressions.txt").iter().map(|l| Case::parse(l).unwrap()).collect();
    if skip_native() {
        return;
    }
    let mut emu = Emu::new();
    let bad: Vec<String> = run_all(&cases, &mut emu)
        .into_iter()
        .filter_map(|v| match v {
            Verdict::Mismatch(m) => Some(m),
            Verdict::Lost => Some("lost".into()),
            _ => None,
        })
        .collect();
    println!("conformance: {} regression cases", cases.len());
    assert!(bad.is_empty(), "regressions: {bad:#?}");
}

/// Known emu bugs outside this branch's files (`known_bugs.txt`) must still mismatch:
/// when one is fixed this test says so, so the avoidance in the generator goes too.
#[test]
fn known_bugs_still_fail() {
    let cases: Vec<Case> = lines("known_bugs.txt").iter().map(|l| Case::parse(l).unwrap()).collect();
    if skip_native() {
        return;
    }
    let mut emu = Emu::new();
    let verdicts = run_all(&cases, &mut emu);
    for v in &verdicts {
        if let Verdict::Mismatch(m) = v {
            println!("KNOWN BUG {m}");
        }
    }
    let fixed: Vec<String> = cases
        .iter()
        .zip(&verdicts)
        .filter(|(_, v)| !matches!(v, Verdict::Mismatch(_)))
        .map(|(c, v)| format!("{v:?}: {}", c.to_line()))
        .collect();
    assert!(fixed.is_empty(), "known bugs no longer reproduce (move them to regressions.txt): {fixed:#?}");
}

/// Expectations recorded on an x86-64 host replay against emu everywhere (this is what
/// checks an ARM64 or macOS build).
#[test]
fn recorded_expectations_replay() {
    let mut emu = Emu::new();
    let ls = lines("expected.txt");
    let mut bad = vec![];
    for l in &ls {
        match driver::replay_line(l, &mut emu) {
            Ok(Verdict::Mismatch(m)) => bad.push(m),
            Ok(_) => {}
            Err(e) => bad.push(format!("{e}: {l}")),
        }
    }
    println!("conformance: {} recorded expectations replayed", ls.len());
    assert!(bad.is_empty(), "recorded expectations: {bad:#?}");
}
