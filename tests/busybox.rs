//! The host's static busybox (Debian's busybox-static) natively and under emu: the tier-1
//! cases of `../shared/corpus/run.py`, on data generated here. Skipped, with the reason
//! printed, where busybox is absent or the host cannot run x86-64 programs natively.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const BUSYBOX: &str = "/bin/busybox";

/// The input files of the cases, made once per test run.
fn data_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch_dir("busybox-data");
        let mut rnd = xorshift64(7);
        let mut lines = String::new();
        for i in 0..5000 {
            let r = rnd();
            let rep = "xyz".chars().nth(i % 3).unwrap().to_string().repeat(i % 7);
            lines.push_str(&format!("{} line{i} {rep}\n", r % 100_000));
        }
        std::fs::write(dir.join("lines.txt"), lines).expect("write lines.txt");
        let bin: Vec<u8> = (0..256 * 1024).map(|_| (rnd() >> 24) as u8).collect();
        std::fs::write(dir.join("rand.bin"), bin).expect("write rand.bin");
        dir
    })
}

fn busybox_case(case: &str, args: &[&str]) {
    if !NATIVE {
        eprintln!("SKIPPED {case}: busybox cases need an x86-64 Linux host to run the native side");
        return;
    }
    if !Path::new(BUSYBOX).is_file() {
        eprintln!("SKIPPED {case}: {BUSYBOX} is absent (apt-get install busybox-static)");
        return;
    }
    let g = Guest::new(BUSYBOX).args(args).cwd(data_dir());
    let native = g.run_native();
    let emu = g.run_emu(&[]);
    assert!(
        matches!(native.status, Status::Exit(_)),
        "{case}: native busybox did not run: {:?}",
        native.status
    );
    report(case, &compare(&native, &emu), &emu);
}

#[test]
fn bb_true() {
    busybox_case("bb-true", &["true"]);
}

#[test]
fn bb_echo() {
    busybox_case("bb-echo", &["echo", "static", "hello"]);
}

#[test]
fn bb_expr() {
    busybox_case("bb-expr", &["expr", "6", "*", "7"]);
}

#[test]
fn bb_md5sum() {
    busybox_case("bb-md5", &["md5sum", "rand.bin"]);
}

#[test]
fn bb_sort() {
    busybox_case("bb-sort", &["sort", "-r", "lines.txt"]);
}

#[test]
fn bb_wc() {
    busybox_case("bb-wc", &["wc", "lines.txt"]);
}

#[test]
fn bb_awk() {
    busybox_case("bb-awk", &["awk", r#"BEGIN { for (i = 1; i <= 5; i++) printf "%d %.3f\n", i, sqrt(i) }"#]);
}

#[test]
fn bb_hexdump() {
    busybox_case("bb-hexdump", &["hexdump", "-C", "-n", "64", "rand.bin"]);
}
