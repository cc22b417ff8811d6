//! The last rows of the syscall table that everyday programs reach (`roms/src/morecalls.c`,
//! static glibc): resource limits kept, inherited by a child and enforced for descriptors
//! (setrlimit, prlimit64, EMFILE, dup2 and F_DUPFD past the limit); preadv, pwritev and
//! preadv2/pwritev2 with their offsets and RWF_* flags; a readv that returns what a pipe
//! holds; vmsplice both ways; getdents' older records; fchmodat2; epoll_pwait2;
//! restart_syscall; setfsuid; the umask emu was started with. Native run vs emu, and
//! `--strace` against the real strace. And the descriptors a guest inherits from whoever
//! started emu, as /proc/self/fd lists them.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;
#[path = "support/strace_lines.rs"]
mod strace_lines;

use common::*;
use rom_case::{Case, SCRATCH};

#[test]
fn limits_vectors_dirents_modes_and_waits() {
    Case::new("morecalls.glibc", "roms/bin/morecalls.glibc", &[SCRATCH]).in_scratch().check();
}

#[test]
fn strace_notation_matches_strace() {
    // Not epoll_pwait2: strace shows a timeout it refused as an address, emu the timespec.
    let names = ["preadv", "pwritev", "preadv2", "pwritev2", "readv", "vmsplice", "getdents"];
    strace_lines::check("morecalls-strace", "roms/bin/morecalls.glibc", &[strace_lines::SCRATCH], &names);
}

/// Descriptors past the standard three that emu is started with are the guest's, at the
/// same numbers, as a program started in emu's place has them; /proc/self/fd lists the
/// guest's descriptors, and its links name inherited ones as the host does.
#[test]
fn inherited_descriptors() {
    if !NATIVE {
        return;
    }
    let dir = scratch_dir("inherited-fds");
    std::fs::write(dir.join("in"), b"from fd 3\n").expect("input");
    let script = "cat <&3; echo to fd 4 >&4; ls /proc/self/fd; readlink /proc/self/fd/3";
    let outer = |prefix: &str| {
        let mut c = std::process::Command::new("/bin/sh");
        c.current_dir(&dir)
            .arg("-c")
            .arg(format!("{prefix}/bin/sh -c '{script}' 3<in 4>out; cat out"))
            .env_clear()
            .envs(FIXED_ENV.iter().copied());
        run(c, RUN_TIMEOUT)
    };
    let native = outer("");
    let emu = outer(&format!("{} ", emu().display()));
    report("inherited descriptors", &compare(&native, &emu), &emu);
}
