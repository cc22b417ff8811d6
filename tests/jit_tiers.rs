//! The two execution tiers (issue 15) give the same run: a `--deterministic` run has the
//! same output and instruction counts with the JIT forced on every block and with the
//! interpreter alone, and a log recorded under either tier replays under the other (thread
//! switches and signals land at the same instruction counts). The oracle is emu itself.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn nondet() -> String {
    root().join("roms/bin/nondet.glibc").display().to_string()
}

fn emu_run(opts: &[&str], command: &[&str]) -> Outcome {
    let mut c = Command::new(emu());
    c.args(opts).args(command).stdin(std::process::Stdio::null());
    c.env_clear();
    for (k, v) in FIXED_ENV {
        c.env(k, v);
    }
    let o = run(c, RUN_TIMEOUT);
    assert_no_panic(&format!("emu {opts:?} {command:?}"), &o);
    assert_eq!(o.status, Status::Exit(0), "emu {opts:?}: {}", o.stderr_text());
    o
}

/// The `"instructions":N` figures of a `--stats --trace-format json` trace file.
fn instructions(trace: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(trace).expect("trace file");
    let mut v: Vec<u64> = text
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find("\"instructions\":")? + 15..];
            let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            rest[..end].parse().ok()
        })
        .collect();
    v.sort();
    v
}

#[test]
fn deterministic_runs_agree_across_tiers() {
    let dir = scratch_dir("jit-det");
    let mut seen = Vec::new();
    for jit in ["--jit=off", "--jit=force", "--jit=on"] {
        let t = dir.join(format!("{jit}.json")).display().to_string();
        let o = emu_run(
            &[jit, "--deterministic", "--stats", "--trace-format", "json", "--trace-file", &t],
            &[&nondet()],
        );
        seen.push((jit, o.stdout.clone(), instructions(Path::new(&t))));
    }
    for s in &seen[1..] {
        assert_eq!(String::from_utf8_lossy(&seen[0].1), String::from_utf8_lossy(&s.1), "{} output", s.0);
        assert_eq!(seen[0].2, s.2, "{} instruction counts", s.0);
    }
}

#[test]
fn a_log_recorded_under_one_tier_replays_under_the_other() {
    for (rec_jit, rep_jit) in [("--jit=off", "--jit=force"), ("--jit=force", "--jit=off")] {
        let dir = scratch_dir(&format!("jit-replay{rec_jit}"));
        let log = dir.join("log").display().to_string();
        let t1 = dir.join("rec.json").display().to_string();
        let t2 = dir.join("rep.json").display().to_string();
        let rec = emu_run(
            &[rec_jit, "--record", &log, "--stats", "--trace-format", "json", "--trace-file", &t1],
            &[&nondet()],
        );
        let rep = emu_run(
            &[rep_jit, "--replay", &log, "--stats", "--trace-format", "json", "--trace-file", &t2],
            &[],
        );
        assert_eq!(
            String::from_utf8_lossy(&rec.stdout),
            String::from_utf8_lossy(&rep.stdout),
            "recorded {rec_jit}, replayed {rep_jit}"
        );
        assert_eq!(instructions(Path::new(&t1)), instructions(Path::new(&t2)), "recorded {rec_jit}");
    }
}
