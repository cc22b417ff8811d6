//! `--deterministic`, `--record`, `--replay` and `--dump-log` (issue 7).
//!
//! The oracle here is emu itself across runs: a deterministic run must repeat exactly, and a
//! replay must reproduce the recorded run exactly even when the world changed meanwhile.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn nondet() -> PathBuf {
    root().join("roms/bin/nondet.glibc")
}

/// emu with `opts`, then the guest command, stdin from the file `stdin` (or /dev/null).
fn emu_cmd(opts: &[&str], command: &[&str], stdin: Option<&Path>) -> Command {
    let mut c = Command::new("sh");
    let input = stdin.map(|p| p.display().to_string()).unwrap_or_else(|| "/dev/null".into());
    c.arg("-c").arg("f=$1; shift; exec \"$@\" < \"$f\"").arg("sh").arg(input).arg(emu());
    c.args(opts).args(command);
    c.env_clear();
    for (k, v) in FIXED_ENV {
        c.env(k, v);
    }
    c
}

fn run_emu_with(opts: &[&str], command: &[&str], stdin: Option<&Path>) -> Outcome {
    let o = run(emu_cmd(opts, command, stdin), RUN_TIMEOUT);
    assert_no_panic(&format!("emu {opts:?} {command:?}"), &o);
    o
}

/// Total guest instructions from a `--stats --trace-format json` trace file (all processes).
fn instructions(trace: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(trace).expect("trace file");
    let mut v: Vec<u64> = text
        .lines()
        .filter_map(|l| {
            let i = l.find("\"instructions\":")?;
            let rest = &l[i + 15..];
            let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            rest[..end].parse().ok()
        })
        .collect();
    v.sort();
    v
}

fn write(path: &Path, data: &str) {
    std::fs::write(path, data).expect("write scratch file");
}

fn ok(o: &Outcome, what: &str) {
    assert_eq!(o.status, Status::Exit(0), "{what}: {}", o.stderr_text());
}

#[test]
fn deterministic_runs_repeat_exactly() {
    let dir = scratch_dir("replay-det");
    let input = dir.join("input.txt");
    write(&input, "input file line\n");
    let stdin = dir.join("stdin.txt");
    write(&stdin, "stdin line\n");
    let prog = nondet().display().to_string();
    let mut outs = Vec::new();
    for i in 0..2 {
        let trace = dir.join(format!("stats{i}.json"));
        let t = trace.display().to_string();
        let o = run_emu_with(
            &["--deterministic", "--stats", "--trace-format", "json", "--trace-file", &t],
            &[&prog, &input.display().to_string()],
            Some(&stdin),
        );
        ok(&o, "deterministic run");
        outs.push((o.stdout, instructions(&trace)));
    }
    assert_eq!(String::from_utf8_lossy(&outs[0].0), String::from_utf8_lossy(&outs[1].0));
    assert!(!outs[0].1.is_empty(), "no instruction count in the --stats trace");
    assert_eq!(outs[0].1, outs[1].1, "instruction counts differ");
    let text = String::from_utf8_lossy(&outs[0].0);
    // The closed world: pids from 1000, the clock from the fixed epoch.
    assert!(text.contains("pid 1000 "), "{text}");
    assert!(text.contains("realtime 1700000000."), "{text}");
    assert!(text.contains("stdin stdin line") && text.contains("input input file line"), "{text}");
    // Another seed, other random bytes; the clock is still the fixed one.
    let o = run_emu_with(&["--deterministic", "--seed", "7"], &[&prog], None);
    ok(&o, "seeded run");
    let seeded = String::from_utf8_lossy(&o.stdout);
    let line = |t: &str, k: &str| t.lines().find(|l| l.starts_with(k)).map(String::from);
    assert_ne!(line(&seeded, "getrandom"), line(&text, "getrandom"));
    assert!(seeded.starts_with("realtime 1700000000."), "{seeded}");
}

#[test]
fn deterministic_bash_pipeline_repeats() {
    if !is_file(Path::new("/bin/bash")) {
        return;
    }
    let cmd = ["/bin/bash", "-c", "echo $$; echo hi | tr a-z A-Z; date; echo $RANDOM"];
    let a = run_emu_with(&["--deterministic"], &cmd, None);
    let b = run_emu_with(&["--deterministic"], &cmd, None);
    ok(&a, "bash");
    assert_eq!(a.stdout, b.stdout);
    assert!(String::from_utf8_lossy(&a.stdout).starts_with("1000\nHI\n"));
}

/// Records `command`, changes the world with `change`, replays, and checks the replay
/// printed the same and retired the same number of instructions.
/// The log is `dir/log`.
fn record_and_replay(
    dir: &Path,
    command: &[&str],
    stdin: Option<&Path>,
    change: impl FnOnce(),
    replay_stdin: Option<&Path>,
) -> Outcome {
    let tag = dir.display().to_string();
    let log = dir.join("log");
    let log_s = log.display().to_string();
    let t1 = dir.join("rec.json").display().to_string();
    let rec = run_emu_with(
        &["--record", &log_s, "--stats", "--trace-format", "json", "--trace-file", &t1],
        command,
        stdin,
    );
    ok(&rec, &format!("{tag}: record"));
    change();
    let t2 = dir.join("rep.json").display().to_string();
    let rep = run_emu_with(
        &["--replay", &log_s, "--stats", "--trace-format", "json", "--trace-file", &t2],
        &[],
        replay_stdin,
    );
    ok(&rep, &format!("{tag}: replay"));
    assert_eq!(String::from_utf8_lossy(&rec.stdout), String::from_utf8_lossy(&rep.stdout), "{tag}");
    assert_eq!(instructions(Path::new(&t1)), instructions(Path::new(&t2)), "{tag}: instruction counts");
    rec
}

#[test]
fn replay_reproduces_a_run_whose_world_changed() {
    let dir = scratch_dir("replay-world");
    let input = dir.join("input.txt");
    write(&input, "recorded input\n");
    let stdin = dir.join("stdin.txt");
    write(&stdin, "recorded stdin\n");
    let other = dir.join("other.txt");
    write(&other, "something else\n");
    let prog = nondet().display().to_string();
    let inp = input.clone();
    let rec = record_and_replay(
        &dir,
        &[&prog, &input.display().to_string()],
        Some(&stdin),
        move || std::fs::remove_file(&inp).expect("delete input"),
        Some(&other),
    );
    let text = String::from_utf8_lossy(&rec.stdout);
    assert!(text.contains("stdin recorded stdin") && text.contains("input recorded input"), "{text}");
    // A command line given with --replay must be the recorded one.
    let log = dir.join("log").display().to_string();
    // Replay combines with --strace: the replayed syscalls are shown as the recorded ones.
    let strace_of = |opts: &[&str], cmd: &[&str], out: &str| {
        let f = dir.join(out);
        let fs = f.display().to_string();
        let o = run_emu_with(&[opts, &["--strace", "--trace-file", &fs]].concat(), cmd, Some(&stdin));
        ok(&o, out);
        std::fs::read_to_string(&f).unwrap()
    };
    let log2 = dir.join("log2").display().to_string();
    write(&input, "recorded input\n");
    let recorded = strace_of(&["--record", &log2], &[&prog, &input.display().to_string()], "rec.strace");
    std::fs::remove_file(&input).unwrap();
    let replayed = strace_of(&["--replay", &log2], &[], "rep.strace");
    assert!(recorded.contains("getrandom(") && recorded.contains("clone("), "{recorded}");
    assert_eq!(recorded, replayed);
    let o = run_emu_with(&["--replay", &log], &[&prog, "/elsewhere"], None);
    assert_eq!(o.status, Status::Exit(2), "{}", o.stderr_text());
}

#[test]
fn replay_python3() {
    let py = "/usr/bin/python3";
    if !is_file(Path::new(py)) {
        return;
    }
    record_and_replay(
        &scratch_dir("replay-python"),
        &[
            py,
            "-c",
            "import time, random, os; print(time.time(), random.random(), os.getpid(), os.urandom(8).hex())",
        ],
        None,
        || {},
        None,
    );
}

#[test]
fn replay_bash_pipeline() {
    if !is_file(Path::new("/bin/bash")) {
        return;
    }
    let dir = scratch_dir("replay-bash");
    let rec = record_and_replay(
        &dir,
        &["/bin/bash", "-c", "echo hi | tr a-z A-Z; date; echo $$ $RANDOM"],
        None,
        || {},
        None,
    );
    assert!(rec.stdout.starts_with(b"HI\n"));
    // One stream per process: bash and its three children.
    let log = dir.join("log");
    let streams = std::fs::read_dir(&log)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .count();
    assert!(streams >= 3, "{streams} streams");
}

#[test]
fn replay_with_a_changed_program_reports_the_divergence() {
    let dir = scratch_dir("replay-changed");
    let prog = dir.join("nondet");
    std::fs::copy(nondet(), &prog).unwrap();
    let log = dir.join("log").display().to_string();
    let p = prog.display().to_string();
    ok(&run_emu_with(&["--record", &log], &[&p], None), "record");
    // Shorten the first line's format: the program's output (and the write) changes.
    let mut bin = std::fs::read(&prog).unwrap();
    let pat = b"realtime %lld.%09ld\n";
    let at = bin.windows(pat.len()).position(|w| w == pat).expect("format string in the rom");
    bin[at + 13..at + pat.len()].copy_from_slice(b"\n\0\0\0\0\0\0");
    std::fs::write(&prog, &bin).unwrap();
    let o = run_emu_with(&["--replay", &log], &[&p], None);
    assert_eq!(o.status, Status::Exit(4), "{}", o.stderr_text());
    let err = o.stderr_text();
    // Where (instruction count, rip, symbol) and what differed.
    assert!(err.contains("replay diverged at instruction ") && err.contains(", rip 0x"), "{err}");
    assert!(err.contains("(nondet!"), "no symbol in the report: {err}");
    assert!(err.contains("recorded"), "{err}");
}

#[test]
fn damaged_logs_are_refused_with_one_line() {
    let dir = scratch_dir("replay-damaged");
    let log = dir.join("log");
    let log_s = log.display().to_string();
    let prog = nondet().display().to_string();
    ok(&run_emu_with(&["--record", &log_s], &[&prog], None), "record");
    let stream = log.join("0.log");
    let good = std::fs::read(&stream).unwrap();
    let dump = run_emu_with(&["--dump-log", &log_s], &[], None);
    ok(&dump, "dump");
    let text = String::from_utf8_lossy(&dump.stdout);
    assert!(text.contains("nondet.glibc") && text.contains("getrandom"), "{text}");

    let check = |what: &str, data: &[u8], expect: &str| {
        std::fs::write(&stream, data).unwrap();
        for opts in [&["--replay", &log_s][..], &["--dump-log", &log_s][..]] {
            let o = run_emu_with(opts, &[], None);
            assert_eq!(o.status, Status::Exit(3), "{what} {opts:?}: {}", o.stderr_text());
            let lines = emu_lines(&o.stderr);
            assert_eq!(lines.len(), 1, "{what}: {lines:?}");
            assert!(lines[0].contains(expect), "{what}: {lines:?}");
            assert!(o.stdout.is_empty() || opts[0] == "--dump-log", "{what}: the guest ran");
        }
    };
    check("truncated", &good[..good.len() * 2 / 3], "truncated");
    // Cut at a record boundary, the end record (11 bytes for exit status 0) missing: what
    // a process killed by SIGKILL from outside leaves. Replay says so and goes on.
    std::fs::write(&stream, &good[..good.len() - 11]).unwrap();
    let o = run_emu_with(&["--replay", &log_s], &[], None);
    let lines = emu_lines(&o.stderr);
    assert!(lines.len() == 1 && lines[0].contains("has no end record"), "{lines:?}");
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x40;
    check("corrupt", &bad, "corrupt");
    check("foreign", b"#!/bin/sh\necho not a log\n", "not an emu replay log");
    let mut v2 = good.clone();
    v2[8] = 99;
    check("future version", &v2, "version 99");
    std::fs::remove_dir_all(&log).unwrap();
    let o = run_emu_with(&["--replay", &log_s], &[], None);
    assert_eq!(o.status, Status::Exit(3), "{}", o.stderr_text());
}

fn edge() -> String {
    root().join("roms/bin/replayedge.glibc").display().to_string()
}

/// The lines of `--dump-log` of the log in `dir/log`.
fn dump_log(dir: &Path) -> String {
    let o = run_emu_with(&["--dump-log", &dir.join("log").display().to_string()], &[], None);
    ok(&o, "dump-log");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Two `--deterministic --stats` runs of `command`: (stdout, instruction counts) of each.
fn two_deterministic_runs(dir: &Path, command: &[&str]) -> Vec<(Vec<u8>, Vec<u64>)> {
    (0..2)
        .map(|i| {
            let t = dir.join(format!("det{i}.json")).display().to_string();
            let o = run_emu_with(
                &["--deterministic", "--stats", "--trace-format", "json", "--trace-file", &t],
                command,
                None,
            );
            ok(&o, &format!("deterministic {command:?}"));
            (o.stdout, instructions(Path::new(&t)))
        })
        .collect()
}

#[test]
fn cpu_time_and_signal_uid_are_virtual_or_recorded() {
    let prog = edge();
    let dir = scratch_dir("replay-cpu");
    let outs = two_deterministic_runs(&dir, &[&prog, "cpu"]);
    assert_eq!(String::from_utf8_lossy(&outs[0].0), String::from_utf8_lossy(&outs[1].0));
    assert_eq!(outs[0].1, outs[1].1);
    let text = String::from_utf8_lossy(&outs[0].0).into_owned();
    // Virtual CPU time: one nanosecond per instruction, so some milliseconds for the loop.
    let cpu = text.lines().find_map(|l| l.strip_prefix("cputime ")).expect("cputime line");
    assert!(cpu.starts_with("0.0") && cpu != "0.000000000", "{text}");
    // The uid a self-sent signal carries is the process's.
    let ids = text.lines().find(|l| l.starts_with("si_uid ")).expect("si_uid line");
    let v: Vec<&str> = ids.split(' ').collect();
    assert_eq!(v[1], v[3], "{text}");
    // Recorded and replayed: the same values come back.
    record_and_replay(&dir, &[&prog, "cpu"], None, || {}, None);
}

/// The child loops, blocks in a read, or waits in pause (a call replay re-executes, whose
/// wait ends by the logged SIGKILL), until its parent kills it.
#[test]
fn replay_a_child_its_parent_killed_with_sigkill() {
    let killed = " signals SIGKILL\nend: Signaled(9)";
    for (how, end) in [("loop", killed), ("read", "raised SIGKILL\nend: Signaled(9)"), ("pause", killed)] {
        let dir = scratch_dir(&format!("replay-kill-{how}"));
        let rec = record_and_replay(&dir, &[&edge(), "kill", how], None, || {}, None);
        assert_eq!(String::from_utf8_lossy(&rec.stdout), "forked\nchild killed by signal 9\n");
        // The child's stream ends with the kill, at the instruction where it landed (in
        // the loop) or as the effect of the read it interrupted.
        let dump = dump_log(&dir);
        let child = dump.split("== stream 0.1 ").nth(1).expect("a stream for the child");
        // (A child slow to reach its read is killed before it, as in the loop.)
        assert!(child.contains(end) || how == "read" && child.contains(killed), "{how}: {child}");
        // Killed as the kernel kills: no `guest killed by` line.
        assert!(emu_lines(&rec.stderr).is_empty(), "{how}: {}", rec.stderr_text());
    }
}

#[test]
fn replay_a_child_killed_from_outside() {
    let dir = scratch_dir("replay-extkill");
    let pidfile = dir.join("child.pid");
    let _ = std::fs::remove_file(&pidfile);
    let watch = pidfile.clone();
    // `kill -9` from outside emu, once the child has said who it is.
    let killer = std::thread::spawn(move || {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(120) {
            if let Ok(pid) = std::fs::read_to_string(&watch) {
                let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        false
    });
    let log = dir.join("log").display().to_string();
    let pf = pidfile.display().to_string();
    let rec = run_emu_with(&["--record", &log], &[&edge(), "extkill", &pf], None);
    assert!(killer.join().unwrap(), "the child never wrote its pid");
    ok(&rec, "record");
    assert_eq!(String::from_utf8_lossy(&rec.stdout), "child running\nchild killed by signal 9\n");
    std::fs::remove_file(&pidfile).unwrap();
    // The child's stream has no end; replay says so, replays it up to its last record,
    // and the parent sees the same death.
    let rep = run_emu_with(&["--replay", &log], &[], None);
    ok(&rep, "replay");
    assert_eq!(String::from_utf8_lossy(&rec.stdout), String::from_utf8_lossy(&rep.stdout));
    let lines = emu_lines(&rep.stderr);
    assert!(lines.len() == 1 && lines[0].contains("0.1.log has no end record"), "{lines:?}");
    let dump = dump_log(&dir);
    let child = dump.split("== stream 0.1 ").nth(1).expect("a stream for the child");
    assert!(
        child
            .trim_end()
            .ends_with("no end: killed by SIGKILL from outside while recording (or the stream was cut)"),
        "{child}"
    );
}

/// A virtual alarm interrupts waits in the host that nothing else would end: a read from
/// a pipe that never gets data, a futex wait no thread will wake, a wait for a child that
/// never exits by itself.
#[test]
fn deterministic_alarm_interrupts_a_blocked_wait() {
    let prog = edge();
    for (mode, expect) in [
        ("alarm", "read -1 EINTR alarms 1\n"),
        ("futex", "futex -1 EINTR alarms 1\n"),
        ("wait", "wait -1 EINTR alarms 1\nchild killed by signal 9\n"),
    ] {
        let native = run(
            {
                let mut c = Command::new(&prog);
                c.arg(mode);
                c
            },
            RUN_TIMEOUT,
        );
        let dir = scratch_dir(&format!("replay-{mode}"));
        let outs = two_deterministic_runs(&dir, &[&prog, mode]);
        if NATIVE {
            assert_eq!(String::from_utf8_lossy(&outs[0].0), String::from_utf8_lossy(&native.stdout));
        }
        assert_eq!(String::from_utf8_lossy(&outs[0].0), expect);
        assert_eq!(outs[0], outs[1], "{mode}");
    }
}

/// A relative log directory, and a guest that changes directory and then runs a program
/// by a relative path: the log stays where it was, and replay resolves the path against
/// the guest's recorded directory (the memory maps name the same file).
#[test]
fn replay_follows_the_guest_chdir() {
    if !is_file(Path::new("/bin/bash")) {
        return;
    }
    let dir = scratch_dir("replay-chdir");
    let cmd = ["/bin/bash", "-c", "cd /bin && ./echo hi from $PWD"];
    let in_dir = |opts: &[&str], command: &[&str]| {
        let mut c = emu_cmd(opts, command, None);
        c.current_dir(&dir);
        let o = run(c, RUN_TIMEOUT);
        assert_no_panic(&format!("emu {opts:?}"), &o);
        ok(&o, &format!("{opts:?}"));
        o
    };
    let rec = in_dir(&["--record", "log", "--maps", "--trace-file", "rec.maps"], &cmd);
    let rep = in_dir(&["--replay", "log", "--maps", "--trace-file", "rep.maps"], &[]);
    assert_eq!(String::from_utf8_lossy(&rec.stdout), "hi from /bin\n");
    assert_eq!(rec.stdout, rep.stdout);
    let maps = |f: &str| std::fs::read_to_string(dir.join(f)).expect("maps file");
    assert_eq!(maps("rec.maps"), maps("rep.maps"));
}
