//! The last rows of the syscall table that everyday programs reach (`roms/src/morecalls.c`,
//! static glibc): resource limits kept, inherited by a child and enforced for descriptors
//! (setrlimit, prlimit64, EMFILE, dup2 and F_DUPFD past the limit); preadv, pwritev and
//! preadv2/pwritev2 with their offsets and RWF_* flags; a readv that returns what a pipe
//! holds; vmsplice both ways; getdents' older records; fchmodat2; epoll_pwait2;
//! restart_syscall; setfsuid; the umask emu was started with. Native run vs emu, and
//! `--strace` against the real strace. And the descriptors a guest inherits from whoever
//! started emu, as /proc/self/fd lists them; a replay writing the output of vectored
//! writes to stdout again.

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

/// A replay writes the guest's output again from the log, whichever call wrote it (write,
/// writev, pwritev2 at the file position...): the recording's stdout, with the scratch
/// directory gone.
#[test]
fn replay_writes_the_recorded_output() {
    let dir = scratch_dir("morecalls-replay");
    let log = scratch_dir("morecalls-replay-log");
    let _ = std::fs::remove_dir_all(&log);
    let log = log.display().to_string();
    let rom = root().join("roms/bin/morecalls.glibc");
    let arg = dir.display().to_string();
    let rec = Guest::new(&rom).args([arg.as_str()]).cwd(&dir).run_emu(&["--record", &log]);
    assert_eq!(rec.status, Status::Exit(0), "{}", rec.stderr_text());
    assert!(String::from_utf8_lossy(&rec.stdout).contains("pwritev2 to stdout: two segments"));
    std::fs::remove_dir_all(&dir).expect("remove the scratch directory");
    let rep = Guest::new(&rom).args([arg.as_str()]).run_emu(&["--replay", &log]);
    assert_eq!(rep.status, rec.status, "{}", rep.stderr_text());
    assert_eq!(String::from_utf8_lossy(&rep.stdout), String::from_utf8_lossy(&rec.stdout));
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
