//! File metadata, locks, fifos and copies (`roms/src/filemeta.c`, static glibc): file
//! times through utimensat, futimens, futimesat, utimes and utime (UTIME_NOW, UTIME_OMIT,
//! AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH); owners through chown, fchown, lchown and fchownat;
//! extended attributes in their three forms with the host's answers; truncate,
//! fallocate, creat, mknod and the sync calls; fifos between a parent and its child and
//! between threads; flock and fcntl record locks between processes and threads (F_GETLK
//! from a child, OFD locks); copy_file_range, sendfile, splice and tee. Native run vs
//! emu, each in its own scratch directory.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;

use rom_case::{Case, SCRATCH};

fn filemeta(mode: &str) -> Case {
    Case::new(&format!("filemeta-{mode}.glibc"), "roms/bin/filemeta.glibc", &[mode, SCRATCH]).in_scratch()
}

#[test]
fn file_times() {
    filemeta("times").check();
}

#[test]
fn file_owners() {
    filemeta("owners").check();
}

#[test]
fn extended_attributes() {
    filemeta("xattr").check();
}

#[test]
fn truncate_fallocate_mknod_and_sync() {
    filemeta("sizes").check();
}

#[test]
fn fifos_between_processes_and_threads() {
    filemeta("fifo").check();
}

#[test]
fn flock_between_processes_and_threads() {
    filemeta("flock").check();
}

#[test]
fn fcntl_record_locks() {
    filemeta("fcntl").check();
}

#[test]
fn copies_between_descriptors() {
    filemeta("copy").check();
}

#[path = "support/strace_lines.rs"]
mod strace_lines;

/// The calls of each mode as `--strace` shows them, against the real strace.
#[test]
fn strace_notation_matches_strace() {
    let names = [
        "creat",
        "utimensat",
        "futimesat",
        "utimes",
        "utime",
        "chown",
        "fchown",
        "lchown",
        "fchownat",
        "setxattr",
        "getxattr",
        "lgetxattr",
        "lsetxattr",
        "fsetxattr",
        "fgetxattr",
        "listxattr",
        "llistxattr",
        "flistxattr",
        "removexattr",
        "lremovexattr",
        "fremovexattr",
        "truncate",
        "fallocate",
        "readahead",
        "sync",
        "syncfs",
        "sync_file_range",
        "mknodat",
        "fadvise64",
        "flock",
        "copy_file_range",
        "sendfile",
        "splice",
        "tee",
    ];
    for mode in ["times", "owners", "xattr", "sizes", "copy"] {
        strace_lines::check(
            &format!("filemeta-strace-{mode}"),
            "roms/bin/filemeta.glibc",
            &[mode, strace_lines::SCRATCH],
            &names,
        );
    }
}
