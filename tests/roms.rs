//! Every rom in `roms/bin`, run natively and under emu with the same argv and environment:
//! stdout, the guest's stderr and the exit status (or the killing signal) must be identical.
//!
//! On x86-64 Linux the native run is the expectation. `EMU_BLESS=1 cargo test --test roms`
//! also records it in `roms/expected/` for hosts that cannot run x86-64 code; without
//! `EMU_BLESS`, a recording that no longer matches the native run fails the test (rebuild
//! the roms => re-bless).

mod common;

use common::*;
use std::path::PathBuf;

/// Stands for a fresh empty directory in rom arguments (each run gets its own).
const SCRATCH: &str = "{scratch}";

/// How a case is run.
#[derive(Clone, Copy, PartialEq)]
enum Cwd {
    /// From the repository root, with the program path relative to it (so argv[0] and
    /// AT_EXECFN do not depend on where the repository is).
    Root,
    /// From a fresh scratch directory (for guests that die of a signal: a core file, if the
    /// host writes one, lands there and not in the repository).
    Scratch,
}

fn guest(case: &str, program: &str, args: &[&str], cwd: Cwd) -> Guest {
    let args: Vec<String> = args
        .iter()
        .map(|a| if *a == SCRATCH { scratch_dir(case).display().to_string() } else { a.to_string() })
        .collect();
    match cwd {
        Cwd::Root => Guest::new(program).args(args),
        Cwd::Scratch => {
            let abs: PathBuf = root().join(program);
            Guest::new(abs).args(args).cwd(scratch_dir(case))
        }
    }
}

fn same_outcome(a: &Outcome, b: &Outcome) -> bool {
    a.status == b.status && a.stdout == b.stdout && a.stderr == b.stderr
}

/// Runs one case: `program` (relative to the repository root) with `args`.
fn check(case: &str, program: &str, args: &[&str], cwd: Cwd) {
    assert!(is_file(&root().join(program)), "{program} is missing: run roms/build.sh");
    let emu = guest(case, program, args, cwd).run_emu(&[]);
    let mut problems = Vec::new();
    let expected = if NATIVE {
        let native = guest(case, program, args, cwd).run_native();
        if let Status::SpawnError(e) = &native.status {
            panic!("{case}: cannot run {program} natively: {e}");
        }
        if bless_requested() {
            record(case, &native);
        } else if let Some(rec) = recorded(case) {
            if !same_outcome(&rec, &native) {
                problems.push(format!(
                    "roms/expected/{case}.* no longer match the native run ({}); \
                     re-record with EMU_BLESS=1 cargo test --test roms",
                    if rec.status != native.status {
                        format!("status {} vs {}", rec.status.to_record(), native.status.to_record())
                    } else if rec.stdout != native.stdout {
                        first_difference(&rec.stdout, &native.stdout)
                    } else {
                        "stderr differs".to_string()
                    }
                ));
            }
        }
        native
    } else {
        recorded(case).unwrap_or_else(|| {
            panic!(
                "{case}: this host cannot run x86-64 code and roms/expected/{case}.* are missing; \
                 record them with EMU_BLESS=1 cargo test --test roms on x86-64 Linux"
            )
        })
    };
    problems.extend(compare(&expected, &emu));
    report(case, &problems, &emu);
}

/// A C rom built three ways (`roms/bin/NAME.{glibc,musl,pie}`): one test per variant, named
/// `CASE::glibc` and so on, recorded as `CASE.glibc`...
macro_rules! c_rom {
    ($case:ident, $prog:literal, [$($arg:expr),* $(,)?]) => {
        c_rom!($case, $prog, [$($arg),*], Cwd::Root);
    };
    ($case:ident, $prog:literal, [$($arg:expr),* $(,)?], $cwd:expr) => {
        mod $case {
            use super::*;
            #[test]
            fn glibc() {
                check(concat!(stringify!($case), ".glibc"), concat!("roms/bin/", $prog, ".glibc"), &[$($arg),*], $cwd);
            }
            #[test]
            fn musl() {
                check(concat!(stringify!($case), ".musl"), concat!("roms/bin/", $prog, ".musl"), &[$($arg),*], $cwd);
            }
            #[test]
            fn pie() {
                check(concat!(stringify!($case), ".pie"), concat!("roms/bin/", $prog, ".pie"), &[$($arg),*], $cwd);
            }
        }
    };
}

/// A hand-written assembly rom (`roms/bin/asm-NAME`), no libc.
macro_rules! asm_rom {
    ($case:ident, $prog:literal, [$($arg:expr),* $(,)?], $cwd:expr) => {
        #[test]
        fn $case() {
            check(stringify!($case), concat!("roms/bin/", $prog), &[$($arg),*], $cwd);
        }
    };
}

c_rom!(hello, "hello", []);
c_rom!(auxv, "auxv", ["first", "two words", "", "tab\there", "caf\u{e9}", "--not-an-emu-option"]);
c_rom!(auxv_sorted_env, "auxv", ["-s"]);
c_rom!(exit_42, "exitcode", ["exit", "42"]);
c_rom!(exit_0, "exitcode", ["exit", "0"]);
c_rom!(exit_256, "exitcode", ["exit", "256"]);
c_rom!(exit_return_from_main, "exitcode", ["ret", "7"]);
c_rom!(exit_underscore, "exitcode", ["_exit", "3"]);
c_rom!(crash_segv, "crash", ["segv"], Cwd::Scratch);
c_rom!(crash_segv_read, "crash", ["segv-read"], Cwd::Scratch);
c_rom!(crash_segv_readonly, "crash", ["segv-ro"], Cwd::Scratch);
c_rom!(crash_segv_exec, "crash", ["segv-exec"], Cwd::Scratch);
c_rom!(crash_stack_overflow, "crash", ["stack-overflow"], Cwd::Scratch);
c_rom!(crash_ill, "crash", ["ill"], Cwd::Scratch);
c_rom!(crash_fpe, "crash", ["fpe"], Cwd::Scratch);
c_rom!(fileio, "fileio", [SCRATCH]);
c_rom!(floatfmt, "floatfmt", []);
c_rom!(strtod, "strtod", []);
c_rom!(qsort, "qsort", []);
c_rom!(setjmp, "setjmp", []);
c_rom!(intmath, "intmath", []);
c_rom!(strings, "strings", []);
c_rom!(smc_basic, "smc", ["basic"]);
c_rom!(smc_mprotect, "smc", ["mprotect"]);
c_rom!(smc_inblock, "smc", ["inblock"]);
c_rom!(smc_loop, "smc", ["loop"]);
c_rom!(smc_remap, "smc", ["remap"]);

/// `-march=x86-64-v3 -O3` with the crypto extensions: vectorised loops, FMA and libm, AES,
/// SHA, carry-less products, gathers, F16C, ADX, RDRAND, FSGSBASE, the YMM state of fork,
/// clone and threads.
#[test]
fn v3() {
    check("v3.glibc", "roms/bin/v3.glibc", &[], Cwd::Root);
}

#[test]
fn mapfile() {
    check("mapfile.glibc", "roms/bin/mapfile.glibc", &[SCRATCH], Cwd::Scratch);
}

asm_rom!(asm_hello, "asm-hello", ["a", "b c", ""], Cwd::Root);
asm_rom!(asm_exit42, "asm-exit42", [], Cwd::Root);
asm_rom!(asm_ud2, "asm-ud2", [], Cwd::Scratch);
