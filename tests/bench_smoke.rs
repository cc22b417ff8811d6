//! Smoke test of the benchmark suite (`tests/bench/run.py`), so it cannot rot: two cheap
//! workloads, once each at their `--quick` sizes, natively and under the emu being tested.
//! It asserts that the suite runs and that emu's outputs match the native ones (the suite's
//! own check), never a timing. Skipped, with the reason printed, where the host is not x86-64
//! Linux or has no python3.

mod common;

use common::*;
use std::process::Command;

#[test]
fn bench_suite_quick_run_matches_native() {
    if !NATIVE {
        eprintln!("skipped: the benchmark suite runs programs natively, which needs x86-64 Linux");
        return;
    }
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/bench/run.py"))
        .args(["--quick", "--no-qemu", "--quiet", "--filter", "sort,syscall", "--emu"])
        .arg(emu());
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped: python3 is not installed");
            return;
        }
        Err(e) => panic!("cannot run python3: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "run.py failed ({}):\n{stdout}\n{stderr}", out.status);
    // Both workloads ran and matched (a skipped workload would not make the run fail).
    for name in ["sort", "syscall"] {
        assert!(
            stdout.lines().any(|l| l.starts_with(name) && l.ends_with("  ok")),
            "{name} did not run to an ok line:\n{stdout}\n{stderr}"
        );
    }
}
