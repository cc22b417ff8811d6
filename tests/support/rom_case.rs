//! One rom case run natively and under emu, as `tests/roms.rs` does, for the test files of
//! signals, processes, threads and dynamic programs: the native run is the expectation on
//! x86-64 Linux (and is recorded in `roms/expected/` with `EMU_BLESS=1`); elsewhere the
//! recording stands in for it, unless the case needs the host's own x86-64 programs or
//! libraries (a dynamic rom, `system()`), in which case it is skipped with the reason printed.
//!
//! Include with `#[path = "support/rom_case.rs"] mod rom_case;` next to `mod common;`.

#![allow(dead_code)]

use crate::common::*;
use std::path::PathBuf;

/// Stands for a fresh empty directory in rom arguments (each run gets its own).
pub const SCRATCH: &str = "{scratch}";

/// How a case is run.
#[derive(Clone)]
pub struct Case {
    pub name: String,
    /// Relative to the repository root.
    pub program: String,
    pub args: Vec<String>,
    /// Extra environment of the guest.
    pub env: Vec<(String, String)>,
    /// Run from a scratch directory with the program given by absolute path (for guests that
    /// may dump core, or that must not write into the repository), instead of from the root.
    pub in_scratch: bool,
    /// The case runs host x86-64 programs or libraries, so it cannot use recordings.
    pub needs_host: bool,
}

impl Case {
    pub fn new(name: &str, program: &str, args: &[&str]) -> Case {
        Case {
            name: name.to_string(),
            program: program.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: vec![],
            in_scratch: false,
            needs_host: false,
        }
    }

    pub fn env(mut self, k: &str, v: &str) -> Case {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn in_scratch(mut self) -> Case {
        self.in_scratch = true;
        self
    }

    pub fn needs_host(mut self) -> Case {
        self.needs_host = true;
        self
    }

    fn guest(&self) -> Guest {
        let scratch = scratch_dir(&self.name);
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| if a == SCRATCH { scratch.display().to_string() } else { a.clone() })
            .collect();
        let mut g = if self.in_scratch {
            let abs: PathBuf = root().join(&self.program);
            Guest::new(abs).args(args).cwd(&scratch)
        } else {
            Guest::new(&self.program).args(args)
        };
        for (k, v) in &self.env {
            g = g.env(k, v);
        }
        g
    }

    /// Runs the case and panics with a report when emu differs from the expectation.
    pub fn check(&self) {
        let case = &self.name;
        let program = &self.program;
        assert!(is_file(&root().join(program)), "{program} is missing: run roms/build.sh");
        if self.needs_host && !NATIVE {
            eprintln!("SKIPPED {case}: it runs the host's x86-64 programs or libraries, which need an x86-64 Linux host");
            return;
        }
        let emu = self.guest().run_emu(&[]);
        let mut problems = Vec::new();
        let expected = if NATIVE {
            let native = self.guest().run_native();
            if let Status::SpawnError(e) = &native.status {
                panic!("{case}: cannot run {program} natively: {e}");
            }
            if bless_requested() {
                record(case, &native);
            } else if let Some(rec) = recorded(case) {
                if rec.status != native.status || rec.stdout != native.stdout || rec.stderr != native.stderr {
                    problems.push(format!(
                        "roms/expected/{case}.* no longer match the native run ({}); \
                         re-record with EMU_BLESS=1 cargo test",
                        first_difference(&rec.stdout, &native.stdout)
                    ));
                }
            }
            native
        } else {
            recorded(case).unwrap_or_else(|| {
                panic!(
                    "{case}: this host cannot run x86-64 code and roms/expected/{case}.* are missing; \
                     record them with EMU_BLESS=1 cargo test on x86-64 Linux"
                )
            })
        };
        problems.extend(compare(&expected, &emu));
        report(case, &problems, &emu);
    }
}
