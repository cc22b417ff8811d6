//! Event sources as descriptors (`roms/src/eventfds.c`, static glibc): timerfd one-shot
//! and periodic expiration counts (relative, absolute, realtime), gettime, disarming,
//! poll/epoll readiness and a child reading an inherited timer; signalfd reading blocked
//! signals with their fields (kill, sigqueue, queued real-time signals, a signal from a
//! child process, SIGCHLD); inotify events in a scratch directory (create, modify, close,
//! rename with its cookie, delete, watches merged and removed); eventfd. Native run vs
//! emu. Then timerfd and inotify recorded and replayed with the scratch directory gone.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;

use common::*;
use rom_case::{Case, SCRATCH};

fn eventfds(mode: &str) -> Case {
    Case::new(&format!("eventfds-{mode}.glibc"), "roms/bin/eventfds.glibc", &[mode, SCRATCH]).in_scratch()
}

#[test]
fn timerfd_counts_expirations() {
    eventfds("timerfd").check();
}

#[test]
fn signalfd_reads_blocked_signals() {
    eventfds("signalfd").check();
}

#[test]
fn inotify_reports_changes_in_a_directory() {
    if !cfg!(target_os = "linux") {
        eprintln!("SKIPPED inotify: the host has none (emu answers ENOSYS, as Linux without it)");
        return;
    }
    eventfds("inotify").check();
}

#[test]
fn eventfd_counts() {
    eventfds("eventfd").check();
}

/// Records `mode` of the rom, deletes its scratch directory, replays: the same output.
fn record_then_replay(mode: &str) {
    let scratch = scratch_dir(&format!("eventfds-replay-{mode}"));
    let log = scratch_dir(&format!("eventfds-log-{mode}"));
    let _ = std::fs::remove_dir_all(&log);
    let rom = root().join("roms/bin/eventfds.glibc");
    let dir = scratch.display().to_string();
    let g = Guest::new(&rom).args([mode, dir.as_str()]).cwd(&scratch);
    let rec = g.run_emu(&["--record", &log.display().to_string()]);
    assert_no_panic("record", &rec);
    assert_eq!(rec.status, Status::Exit(0), "recording failed: {}", rec.stderr_text());
    std::fs::remove_dir_all(&scratch).expect("remove the scratch directory");
    let rep = Guest::new(&rom).args([mode, dir.as_str()]).run_emu(&["--replay", &log.display().to_string()]);
    assert_no_panic("replay", &rep);
    assert_eq!(rep.status, rec.status, "replay: {}", rep.stderr_text());
    assert_eq!(
        String::from_utf8_lossy(&rep.stdout),
        String::from_utf8_lossy(&rec.stdout),
        "the replay's output differs from the recording's"
    );
}

#[test]
fn timerfd_recorded_and_replayed() {
    record_then_replay("timerfd");
}

#[test]
fn inotify_recorded_and_replayed() {
    if !cfg!(target_os = "linux") {
        eprintln!("SKIPPED inotify: the host has none");
        return;
    }
    record_then_replay("inotify");
}

/// Under `--deterministic` a timerfd follows virtual time: the blocking reads move the
/// clock to each expiry, and two runs retire the same instructions, with the output of
/// a native run.
#[test]
fn timerfd_follows_virtual_time() {
    let scratch = scratch_dir("eventfds-det");
    let rom = root().join("roms/bin/eventfds.glibc");
    let dir = scratch.display().to_string();
    let g = Guest::new(&rom).args(["timerfd", dir.as_str()]).cwd(&scratch);
    let a = g.run_emu(&["--deterministic", "--stats"]);
    let b = g.run_emu(&["--deterministic", "--stats"]);
    assert_no_panic("deterministic", &a);
    assert_eq!(a.status, Status::Exit(0), "{}", a.stderr_text());
    assert_eq!(a.stdout, b.stdout, "two deterministic runs differ");
    let counts = |o: &Outcome| {
        o.stderr_text().lines().filter(|l| l.contains("instructions")).map(str::to_string).collect::<Vec<_>>()
    };
    assert!(!counts(&a).is_empty(), "no --stats: {}", a.stderr_text());
    assert_eq!(counts(&a), counts(&b), "instruction counts differ");
    let expected = if NATIVE {
        g.run_native().stdout
    } else {
        recorded("eventfds-timerfd.glibc").expect("recorded").stdout
    };
    assert_eq!(String::from_utf8_lossy(&a.stdout), String::from_utf8_lossy(&expected));
}

#[path = "support/strace_lines.rs"]
mod strace_lines;

/// The calls that make and watch event descriptors as `--strace` shows them, against the
/// real strace (the timers' times differ from run to run: their settime and gettime are
/// left out).
#[test]
fn strace_notation_matches_strace() {
    let names = [
        "timerfd_create",
        "signalfd",
        "signalfd4",
        "inotify_init",
        "inotify_init1",
        "inotify_add_watch",
        "inotify_rm_watch",
        "eventfd2",
        "poll",
        "epoll_ctl",
        "epoll_wait",
    ];
    for mode in ["timerfd", "signalfd", "inotify", "eventfd"] {
        strace_lines::check(
            &format!("eventfds-strace-{mode}"),
            "roms/bin/eventfds.glibc",
            &[mode, strace_lines::SCRATCH],
            &names,
        );
    }
}
