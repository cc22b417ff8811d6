//! A rom's syscalls of some names under emu's `--strace` and under the real `strace -f`,
//! line for line (x86-64 Linux with strace installed; elsewhere skipped). The lines are
//! compared after the pid prefix, the result column's padding, the rom's scratch
//! directory and stack addresses are taken out.
//!
//! Include with `#[path = "support/strace_lines.rs"] mod strace_lines;` next to `mod common;`.

#![allow(dead_code)]

use crate::common::*;
use std::process::Command;

fn have_strace() -> bool {
    NATIVE && Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// One trace line without the pid, the padding before ` = ` and `dir`; addresses of the
/// stack (`0x7ff...`) as `PTR`.
fn normalise(line: &str, dir: &str) -> String {
    let mut l = line.trim_start();
    if let Some(r) = l.strip_prefix("[pid ") {
        l = r.split_once("] ").map_or(r, |x| x.1);
    } else if let Some((pid, rest)) = l.split_once(' ') {
        if pid.chars().all(|c| c.is_ascii_digit()) {
            l = rest.trim_start();
        }
    }
    let mut s = l.replace(dir, "DIR");
    // The result follows the last ` = `, after padding to a column.
    if let Some(i) = s.rfind(" = ") {
        let start = s[..i].trim_end().len();
        s.replace_range(start..i, "");
    }
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find("0x7ff") {
        out.push_str(&rest[..i]);
        rest = rest[i + 2..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
        out.push_str("PTR");
    }
    out.push_str(rest);
    out
}

/// The lines of `trace` that are calls of one of `names` (completed ones: a call split by
/// another process's line is left out of both).
fn calls(trace: &str, dir: &str, names: &[&str]) -> Vec<String> {
    trace
        .lines()
        .map(|l| normalise(l, dir))
        .filter(|l| names.iter().any(|n| l.starts_with(&format!("{n}("))) && !l.contains("<unfinished"))
        .collect()
}

/// Runs `rom` with `args` (a fresh scratch directory stands for [`SCRATCH`] in them)
/// natively under strace and under emu, and asserts the same calls of `names`.
pub fn check(tag: &str, rom: &str, args: &[&str], names: &[&str]) {
    if !have_strace() {
        eprintln!("SKIPPED {tag}: needs x86-64 Linux with strace");
        return;
    }
    let rom = root().join(rom);
    let trace = |under_emu: bool| {
        let scratch = scratch_dir(&format!("{tag}-{}", if under_emu { "emu" } else { "native" }));
        let dir = scratch.display().to_string();
        let args: Vec<String> =
            args.iter().map(|a| if *a == SCRATCH { dir.clone() } else { a.to_string() }).collect();
        let out = scratch_dir(&format!("{tag}-trace"));
        let file = out.join("trace");
        let mut c = if under_emu {
            let mut c = Command::new(emu());
            c.arg("--strace").arg("--trace-file").arg(&file);
            c
        } else {
            let mut c = Command::new("strace");
            c.arg("-f").arg("-o").arg(&file);
            c
        };
        c.arg(&rom).args(&args).current_dir(&scratch).env("TZ", "UTC");
        let o = run(c, RUN_TIMEOUT);
        assert_no_panic(tag, &o);
        calls(&std::fs::read_to_string(&file).unwrap_or_default(), &dir, names)
    };
    let (native, emu) = (trace(false), trace(true));
    assert!(!native.is_empty(), "{tag}: no calls of {names:?} in the native trace");
    assert_eq!(emu.join("\n"), native.join("\n"), "{tag}: emu's --strace differs from strace's");
}

/// Stands for a fresh empty directory in the arguments.
pub const SCRATCH: &str = "{scratch}";

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn lines_lose_pids_padding_and_the_directory() {
        assert_eq!(normalise("123   chown(\"/d/x\", 1, 1)       = 0", "/d"), "chown(\"DIR/x\", 1, 1) = 0");
        assert_eq!(
            normalise("[pid 7] read(3, 0x7ffc12a2f340, 2) = -1 EBADF", "/d"),
            "read(3, PTR, 2) = -1 EBADF"
        );
    }
}
