//! Process groups and sessions, terminals, sleeping threads, the vsyscall page and a task's
//! settings (issue 14), each a static glibc rom run natively and under emu:
//! `roms/src/pgrp.c` (setpgid/getpgid/setsid/getsid as relations, kill(0) and kill(-pgrp)
//! reaching exactly a group, SIGTSTP/SIGSTOP/SIGCONT as waitpid reports them),
//! `roms/src/ptys.c` (/dev/ptmx, openpty, TIOCGPTPEER, termios and window size, a forkpty
//! session), `roms/src/sleepers.c` (pthread_cancel of threads asleep in nanosleep, poll,
//! read, a futex...; SIGUSR1 interrupting a sleep; SA_RESTART), `roms/src/vsyscall.c`
//! (calls through 0xffffffffff600000) and `roms/src/taskmisc.c` (capabilities, prctl,
//! personality, nice and scheduling policy, close_range, pidfds, protection keys). The
//! pty session is also recorded and replayed: the terminal is outside input.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;

use common::*;
use rom_case::Case;

fn rom(name: &str) -> Case {
    Case::new(&format!("{name}.glibc"), &format!("roms/bin/{name}.glibc"), &[])
}

#[test]
fn process_groups_sessions_and_job_control() {
    rom("pgrp").check();
}

#[test]
fn pty_session() {
    rom("ptys").check();
}

#[test]
fn signals_wake_sleeping_threads() {
    rom("sleepers").check();
}

#[test]
fn vsyscall_page() {
    rom("vsyscall").check();
}

#[test]
fn task_settings() {
    rom("taskmisc").check();
}

/// The pty rom recorded, then replayed from its log alone: the same output, and the
/// replay opens no terminal.
#[test]
fn pty_session_recorded_and_replayed() {
    let dir = scratch_dir("ptys-replay");
    let log = dir.join("log").display().to_string();
    let prog = root().join("roms/bin/ptys.glibc").display().to_string();
    let g = Guest::new(&prog).cwd(&dir);
    let rec = run(g.emu_command(&["--record", &log]), RUN_TIMEOUT);
    assert_no_panic("record", &rec);
    assert_eq!(rec.status, Status::Exit(0), "record: {}", rec.stderr_text());
    let rep = run(Guest::new(&prog).cwd(&dir).emu_command(&["--replay", &log]), RUN_TIMEOUT);
    assert_no_panic("replay", &rep);
    assert_eq!(rep.status, Status::Exit(0), "replay: {}", rep.stderr_text());
    assert_eq!(String::from_utf8_lossy(&rec.stdout), String::from_utf8_lossy(&rep.stdout));
}
