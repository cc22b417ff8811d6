//! The last rows of the syscall table that everyday programs reach (`roms/src/morecalls.c`,
//! static glibc): resource limits kept, inherited by a child and enforced for descriptors
//! (setrlimit, prlimit64, EMFILE, dup2 and F_DUPFD past the limit); preadv, pwritev and
//! preadv2/pwritev2 with their offsets and RWF_* flags; a readv that returns what a pipe
//! holds; vmsplice both ways; getdents' older records; fchmodat2; epoll_pwait2;
//! restart_syscall; setfsuid; the umask emu was started with. Native run vs emu, and
//! `--strace` against the real strace.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;
#[path = "support/strace_lines.rs"]
mod strace_lines;

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
