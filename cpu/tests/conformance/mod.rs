//! The CPU conformance (differential) tester: the host CPU is the oracle.
//!
//! - `case`: machine state, cases, outcomes, the v1 one-line case format.
//! - `gen`: case generation from iced-x86's operand tables, with edge values.
//! - `seq`: random instruction sequences.
//! - `native`: runs cases on the host CPU in a forked child (x86-64 Linux).
//! - `emulated`: runs cases in `emu_cpu::Cpu`.
//! - `compare`: what is compared, and the undefined-flag masks.
//! - `driver`: verdicts, recorded expectations, coverage and the CPUID check.
//!
//! Entry points: `tests/conformance.rs` (fixed-seed subset in `cargo test`) and
//! `examples/conformance.rs` (long fuzz runs, recording expectations).
#![allow(dead_code)]

pub mod case;
pub mod compare;
pub mod driver;
pub mod emulated;
pub mod gen;
pub mod native;
pub mod seq;

use driver::Coverage;
use gen::{Gen, Skip};
use iced_x86::Code;

/// Generates up to `per` single-instruction cases for each code. A code whose first
/// attempt fails is recorded as skipped (with the reason) in `cov`.
pub fn singles(g: &mut Gen, codes: &[Code], per: usize, cov: &mut Coverage) -> Vec<(Code, case::Case)> {
    let mut out = vec![];
    for &code in codes {
        match g.single(code) {
            Err(s) => cov.skip(code, &s),
            Ok(c) => {
                out.push((code, c));
                for _ in 1..per {
                    if let Ok(c) = g.single(code) {
                        out.push((code, c));
                    }
                }
            }
        }
    }
    out
}

pub fn skip_reason(s: &Skip) -> String {
    match s {
        Skip::NoGenerator(w) => format!("no generator: {w}"),
        Skip::Excluded(w) => format!("excluded: {w}"),
        Skip::KnownBug(w) => format!("KNOWN BUG: {w}"),
    }
}
