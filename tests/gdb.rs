//! `emu --gdb PORT` driven by the real gdb in batch mode (issue 16), against the dynamic,
//! threaded `roms/bin/gdbdemo` (built -O0 -g). The oracle is gdb on the native program: the
//! same commands after `starti` print the same functions, arguments, source lines and
//! values (addresses, which differ between the two layouts, are masked). Every run has a
//! timeout and a free port of its own, so a broken stub fails the test instead of hanging.

mod common;

use common::{Guest, Outcome, Status};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

const DEMO: &str = "roms/bin/gdbdemo";
const TIMEOUT: Duration = Duration::from_secs(120);

/// Whether these tests can run here: native x86-64 Linux with gdb installed.
fn available() -> bool {
    if !common::NATIVE {
        eprintln!("skipped: not an x86-64 Linux host");
        return false;
    }
    if Command::new("gdb").arg("--version").output().is_err() {
        eprintln!("skipped: gdb is not installed (apt-get install gdb)");
        return false;
    }
    true
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local address").port()
}

/// gdb with `commands` after `prelude`, on `program` (none: gdb asks the stub which
/// program runs, and reads it through the stub).
fn gdb_command(program: impl Into<Option<&'static str>>, prelude: &[String], commands: &[&str]) -> Command {
    let mut c = Command::new("gdb");
    c.args(["-nx", "-batch", "-ex", "set pagination off", "-ex", "set width 0", "-ex", "set confirm off"]);
    for x in prelude.iter().map(String::as_str).chain(commands.iter().copied()) {
        c.args(["-ex", x]);
    }
    c.args(program.into()).current_dir(common::root());
    c
}

/// gdb's output for `commands` against emu (`--gdb PORT` plus `emu_opts`), and emu's run.
fn under_emu(args: &[&str], emu_opts: &[&str], commands: &[&str]) -> (String, Outcome) {
    program_under_emu(DEMO, args, emu_opts, commands)
}

fn program_under_emu(
    program: &'static str,
    args: &[&str],
    emu_opts: &[&str],
    commands: &[&str],
) -> (String, Outcome) {
    guest_under_emu(&Guest::new(program).args(args), program, emu_opts, commands)
}

/// The same for a guest set up by the caller; gdb reads the symbols of `program`.
fn guest_under_emu(
    guest: &Guest,
    program: &'static str,
    emu_opts: &[&str],
    commands: &[&str],
) -> (String, Outcome) {
    let port = free_port().to_string();
    let mut opts = vec!["--gdb", port.as_str()];
    opts.extend_from_slice(emu_opts);
    let cmd = guest.emu_command(&opts);
    let emu = std::thread::spawn(move || common::run(cmd, TIMEOUT));
    // gdb retries a refused connection until emu listens.
    let prelude = vec![format!("target remote 127.0.0.1:{port}")];
    let g = common::run(gdb_command(program, &prelude, commands), TIMEOUT);
    let e = emu.join().expect("emu runner");
    assert_ne!(g.status, Status::Timeout, "gdb timed out:\n{}", String::from_utf8_lossy(&g.stdout));
    assert_ne!(e.status, Status::Timeout, "emu timed out: {}", e.stderr_text());
    (String::from_utf8_lossy(&g.stdout).into_owned() + &g.stderr_text(), e)
}

/// gdb's output for `commands` against the native program, stopped at its first instruction
/// as emu's is when gdb attaches.
fn native(args: &[&str], commands: &[&str]) -> String {
    program_native(DEMO, args, &["starti"], commands)
}

/// gdb's output for `commands` against the native `program`, started by `start`.
fn program_native(program: &'static str, args: &[&str], start: &[&str], commands: &[&str]) -> String {
    let mut prelude = vec!["set startup-with-shell off".to_string()];
    if !args.is_empty() {
        prelude.push(format!("set args {}", args.join(" ")));
    }
    prelude.extend(start.iter().map(|c| c.to_string()));
    let mut cmd = gdb_command(program, &prelude, commands);
    cmd.env_clear().envs(common::FIXED_ENV.iter().copied());
    let g = common::run(cmd, TIMEOUT);
    assert_ne!(g.status, Status::Timeout, "native gdb timed out");
    String::from_utf8_lossy(&g.stdout).into_owned() + &g.stderr_text()
}

/// The lines of a session that say where the program is and what it did, with addresses
/// masked and gdb's remote file prefix dropped.
fn stops(out: &str) -> Vec<String> {
    let interesting = |l: &str| {
        l.starts_with('#')
            || l.contains("Breakpoint ")
            || l.starts_with("Thread ")
            || l.starts_with("Hardware watchpoint")
            || l.starts_with("Old value")
            || l.starts_with("New value")
            || l.starts_with("Program received")
            || l.starts_with("=> ")
            || l.split('\t').next().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            || (l.contains(" at ") && l.contains(".c:"))
    };
    out.lines().filter(|l| interesting(l)).map(|l| mask(&thread_words(&l.replace("target:", "")))).collect()
}

/// How gdb names the thread of a stop depends on what it learnt of threads, not on where
/// the program is: natively the thread's name from /proc (`Thread 2 "gdbdemo" hit`), and
/// `Thread 1 ... received signal` once it has seen a second thread come and go (the remote
/// protocol tells it of threads only at stops). Both read as the plain form.
fn thread_words(l: &str) -> String {
    let Some(rest) = l.strip_prefix("Thread ") else { return l.to_string() };
    let num_end = rest.find(' ').unwrap_or(rest.len());
    let (num, mut tail) = rest.split_at(num_end);
    if let Some(t) = tail.strip_prefix(" \"") {
        tail = t.find("\" ").map_or(tail, |i| &t[i + 1..]);
    }
    match tail.strip_prefix(" received signal") {
        Some(sig) => format!("Program received signal{sig}"),
        None => format!("Thread {num}{tail}"),
    }
}

/// Replaces every hex number with `ADDR`.
fn mask(l: &str) -> String {
    let mut out = String::new();
    let mut rest = l;
    while let Some(i) = rest.find("0x") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 2..];
        let n = tail.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(tail.len());
        out.push_str("ADDR");
        rest = &tail[n..];
    }
    out.push_str(rest);
    out
}

/// The same commands natively and under emu print the same stops; returns emu's session.
fn same_as_native(args: &[&str], commands: &[&str]) -> (String, Outcome) {
    let (emu, run) = under_emu(args, &[], commands);
    let nat = native(args, commands);
    assert_eq!(stops(&emu), stops(&nat), "emu session:\n{emu}\nnative session:\n{nat}");
    (emu, run)
}

#[test]
fn break_in_a_function_and_backtrace_to_main() {
    if !available() {
        return;
    }
    let (out, run) = same_as_native(&[], &["break square", "continue", "bt", "continue"]);
    assert!(out.contains("square (x=7) at src/gdbdemo.c:17"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("#1") && l.contains(" in main (")), "{out}");
    assert_eq!(run.status, Status::Exit(0));
}

#[test]
fn shared_libraries_are_listed() {
    if !available() {
        return;
    }
    let commands = ["break bump", "continue", "info sharedlibrary"];
    let (out, _) = under_emu(&[], &[], &commands);
    // The rows of the table: the objects gdb knows (the vDSO is not one), symbols read.
    let rows = |s: &str| -> Vec<String> {
        let table = s.lines().skip_while(|l| !l.starts_with("From ")).skip(1);
        table.take_while(|l| l.starts_with("0x") || l.starts_with("  ")).map(str::to_string).collect()
    };
    let libs = |s: &str| -> Vec<String> {
        let names = rows(s).into_iter().filter_map(|l| l.split_whitespace().last().map(str::to_string));
        names.map(|p| p.replace("target:", "")).collect()
    };
    assert!(libs(&out).iter().any(|l| l.ends_with("/ld-linux-x86-64.so.2")), "{out}");
    assert!(libs(&out).iter().any(|l| l.ends_with("/libc.so.6")), "{out}");
    assert!(rows(&out).iter().all(|l| l.contains(" Yes ")), "{out}");
    assert_eq!(libs(&out), libs(&native(&[], &commands)), "{out}");
}

#[test]
fn watchpoint_on_a_global_stops_at_the_writing_line() {
    if !available() {
        return;
    }
    let (out, _) = same_as_native(&[], &["break main", "continue", "watch counter", "continue", "bt 1"]);
    assert!(out.contains("Old value = 0") && out.contains("New value = 49"), "{out}");
    assert!(out.contains("bump (by=49) at src/gdbdemo.c:23"), "{out}");
}

#[test]
fn breakpoint_in_a_second_thread_names_it() {
    if !available() {
        return;
    }
    let (out, _) = same_as_native(&[], &["break worker", "continue", "thread"]);
    assert!(out.contains("Thread 2 hit Breakpoint 1, worker ("), "{out}");
    assert!(out.contains("[Current thread is 2 "), "{out}");
}

#[test]
fn sigsegv_stops_at_the_faulting_instruction() {
    if !available() {
        return;
    }
    let (out, run) = same_as_native(&["segv"], &["continue", "x/i $pc", "continue"]);
    assert!(out.contains("Program received signal SIGSEGV"), "{out}");
    assert!(out.contains("crash () at src/gdbdemo.c:34"), "{out}");
    assert_eq!(run.status, Status::Signal(11), "gdb passed the signal on: {}", run.stderr_text());
}

#[test]
fn pending_breakpoint_in_libc_before_it_is_loaded() {
    if !available() {
        return;
    }
    let (out, _) = same_as_native(&[], &["break puts", "continue", "bt 1"]);
    assert!(out.contains("\"gdbdemo start\""), "{out}");
}

/// An execve is reported: gdb loads the new program, and its breakpoints fire in it.
#[test]
fn execve_is_followed() {
    if !available() {
        return;
    }
    let (out, run) = same_as_native(&["exec"], &["break square", "continue", "bt", "continue"]);
    assert!(out.contains("is executing new program: "), "{out}");
    assert!(out.contains("Breakpoint 1, square (x=7) at src/gdbdemo.c:17"), "{out}");
    assert_eq!(run.status, Status::Exit(0), "{}", run.stderr_text());
}

/// Attaching gdb changes nothing the guest does: the same output and instruction count
/// (`--deterministic`, so the threads interleave the same way) as without it.
#[test]
fn attaching_changes_nothing() {
    if !available() {
        return;
    }
    let opts = ["--deterministic", "--stats"];
    let plain = Guest::new(DEMO).run_emu(&opts);
    let (_, debugged) = under_emu(
        &[],
        &opts,
        &["break square", "watch counter", "continue", "continue", "delete", "continue"],
    );
    let icount = |o: &Outcome| {
        o.stderr_text().lines().find(|l| l.trim_start().starts_with("instructions")).map(str::to_string)
    };
    assert_eq!(plain.stdout, debugged.stdout);
    assert!(icount(&plain).is_some(), "{}", plain.stderr_text());
    assert_eq!(icount(&plain), icount(&debugged), "{}", debugged.stderr_text());
    assert_eq!(plain.status, debugged.status);
}

/// Ctrl-C in gdb (SIGINT to gdb, which sends the interrupt byte) stops a guest that spins,
/// in the loop; gdb then ends the loop and the guest exits normally.
#[test]
fn ctrl_c_interrupts_a_running_guest() {
    if !available() {
        return;
    }
    let port = free_port().to_string();
    let cmd = Guest::new(DEMO).args(["spin"]).emu_command(&["--gdb", &port]);
    let emu = std::thread::spawn(move || common::run(cmd, TIMEOUT));
    let log = common::scratch_dir("gdb-ctrl-c").join("gdb.out");
    let prelude = vec![format!("target remote 127.0.0.1:{port}")];
    let mut gdb = gdb_command(DEMO, &prelude, &["continue", "bt 1", "set var spinning = 0", "continue"]);
    let file = std::fs::File::create(&log).expect("gdb log");
    gdb.stdout(file.try_clone().expect("log")).stderr(file).stdin(std::process::Stdio::null());
    let mut child = gdb.spawn().expect("spawn gdb");
    let start = std::time::Instant::now();
    let text = || std::fs::read_to_string(&log).unwrap_or_default();
    // Attached and resumed: libc is being loaded. The guest then reaches its loop in well
    // under a second, and stays there: later is always fine.
    while !text().contains("libc.so.6") && start.elapsed() < TIMEOUT {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(4));
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for gdb") {
            break Some(s);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = text();
    let e = emu.join().expect("emu runner");
    assert!(status.is_some(), "gdb timed out:\n{out}");
    assert!(out.contains("Program received signal SIGINT"), "{out}");
    assert!(out.contains("main (") && out.contains("src/gdbdemo.c:51"), "{out}");
    assert!(out.contains("exited normally"), "{out}");
    assert_eq!(e.status, Status::Exit(0), "{}", e.stderr_text());
}

/// `kill` ends the guest where it stands, as SIGKILL (the rest of main never runs).
#[test]
fn kill_ends_the_guest() {
    if !available() {
        return;
    }
    let (out, run) = under_emu(&[], &[], &["break bump", "continue", "kill"]);
    assert!(out.contains("Breakpoint 1, bump (by=49)"), "{out}");
    assert_eq!(run.status, Status::Signal(9), "{}", run.stderr_text());
    assert!(!String::from_utf8_lossy(&run.stdout).contains("counter"));
}

/// A guest that forks: gdb follows the parent, the child runs on alone, and the output is
/// the one without gdb.
#[test]
fn forked_children_run_on_alone() {
    if !available() {
        return;
    }
    let dir = common::scratch_dir("gdb-fork");
    let prog = "roms/bin/procs.glibc";
    let g = Guest::new(common::root().join(prog)).args(["wait"]).cwd(&dir);
    let plain = g.run_emu(&[]);
    let (out, debugged) = guest_under_emu(&g, prog, &[], &["continue"]);
    assert!(out.contains("exited normally"), "{out}");
    assert_eq!(plain.stdout, debugged.stdout);
    assert_eq!(sorted_lines(&plain), sorted_lines(&debugged));
    assert_eq!(plain.status, debugged.status);
}

/// stderr's lines in order (processes of a tree write theirs in any order).
fn sorted_lines(o: &Outcome) -> Vec<String> {
    let mut l: Vec<String> = o.stderr_text().lines().map(str::to_string).collect();
    l.sort();
    l
}

/// Signals stop in gdb before delivery and go on with the signal gdb resumes with: with
/// `handle all nostop noprint pass` the signal roms' handlers see what they see without gdb
/// (the siginfo fields, an interrupted context they siglongjmp out of).
#[test]
fn signals_pass_through_gdb_unchanged() {
    if !available() {
        return;
    }
    let prog = "roms/bin/signals.glibc";
    for mode in ["segv-longjmp", "siginfo", "fpe"] {
        let dir = common::scratch_dir("gdb-signals");
        let plain = Guest::new(common::root().join(prog)).args([mode]).cwd(&dir).run_emu(&[]);
        let port = free_port().to_string();
        let cmd = Guest::new(common::root().join(prog)).args([mode]).cwd(&dir).emu_command(&["--gdb", &port]);
        let emu = std::thread::spawn(move || common::run(cmd, TIMEOUT));
        let prelude = vec![format!("target remote 127.0.0.1:{port}")];
        let out = common::run(
            gdb_command(prog, &prelude, &["handle all nostop noprint pass", "continue"]),
            TIMEOUT,
        );
        let debugged = emu.join().expect("emu runner");
        assert_ne!(out.status, Status::Timeout, "{mode}: gdb timed out");
        assert_eq!(plain.status, Status::Exit(0), "{mode}: {}", plain.stderr_text());
        assert_eq!(plain.stdout, debugged.stdout, "{mode}: {}", debugged.stderr_text());
        assert_eq!(plain.status, debugged.status, "{mode}");
    }
}

/// Single steps: `next` over calls, `step` into one, `finish` out of it, `stepi` by
/// instruction, as natively.
#[test]
fn step_next_finish_and_stepi() {
    if !available() {
        return;
    }
    let commands =
        ["break main", "continue", "next", "next", "step", "bt 2", "finish", "stepi", "stepi", "x/i $pc"];
    let (out, _) = same_as_native(&[], &commands);
    assert!(out.contains("bump (by=49) at src/gdbdemo.c:22"), "{out}");
    assert!(out.contains("<main+"), "{out}");
}

/// In a `--chroot` jail gdb sees the guest's files: told nothing but the port, it reads the
/// program (`/gdbdemo`, which exists only in the jail), ld.so and libc through the stub.
#[test]
fn gdb_reads_the_guests_files_in_a_chroot_jail() {
    if !available() {
        return;
    }
    let jail = common::scratch_dir("gdb-jail");
    for (guest, host) in [
        ("lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"),
        ("lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"),
        ("gdbdemo", DEMO),
    ] {
        let dst = jail.join(guest);
        std::fs::create_dir_all(dst.parent().expect("parent")).expect("jail directory");
        std::fs::copy(common::root().join(host), &dst).expect("copy into the jail");
    }
    let port = free_port().to_string();
    let jail_opt = jail.display().to_string();
    let cmd = Guest::new("/gdbdemo").emu_command(&["--chroot", &jail_opt, "--gdb", &port]);
    let emu = std::thread::spawn(move || common::run(cmd, TIMEOUT));
    let prelude = vec![format!("target remote 127.0.0.1:{port}")];
    let g = common::run(
        gdb_command(None, &prelude, &["break bump", "continue", "bt", "info sharedlibrary"]),
        TIMEOUT,
    );
    let e = emu.join().expect("emu runner");
    let out = String::from_utf8_lossy(&g.stdout).into_owned() + &g.stderr_text();
    assert!(out.contains("bump (by=49) at src/gdbdemo.c:22"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("#1") && l.contains(" in main (")), "{out}");
    assert!(out.contains("target:/lib/x86_64-linux-gnu/libc.so.6"), "{out}");
    assert_eq!(e.status, Status::Exit(0), "{}", e.stderr_text());
}

// ---- reverse execution on a replay ----

/// The debuggee of the reverse tests: `fill` overruns its array into a pointer, `use` then
/// dies of SIGSEGV reading through it.
const CRASH: &str = "roms/bin/gdbcrash";

/// A recording of `CRASH`, which dies as natively.
fn recorded_crash(tag: &str) -> String {
    let log = common::scratch_dir(&format!("gdb-reverse-{tag}"));
    let _ = std::fs::remove_dir_all(&log);
    let log = log.display().to_string();
    let rec = Guest::new(CRASH).run_emu(&["--record", &log]);
    assert_eq!(rec.status, Status::Signal(11), "recording: {}", rec.stderr_text());
    log
}

/// gdb's lines between `echo` markers: `parts[i]` is what came after the i-th marker.
fn parts(out: &str) -> Vec<String> {
    out.split("=mark=\n").map(str::to_string).collect()
}

/// What a reverse session prints about where the program is and what it holds. gdb's own
/// `record full` (the oracle) can only watch in software, emu's stub in "hardware", and the
/// two sessions number their breakpoints differently: those words are dropped.
fn reverse_stops(out: &str) -> Vec<String> {
    let out = out.replace("Hardware watchpoint", "Watchpoint");
    let line = |l: &str| -> Option<String> {
        if let Some(rest) = l.strip_prefix("Watchpoint ") {
            return Some(format!("Watchpoint{}", &rest[rest.find(':')?..]));
        }
        if l.starts_with('$') || l.starts_with("No more reverse") {
            return Some(mask(l));
        }
        stops(l).pop()
    };
    out.lines().filter_map(line).collect()
}

const MARK: &str = "echo =mark=\\n";

/// After the crash, `watch -l` on the pointer it read and `reverse-continue` stop at the
/// write that overran into it; reverse-step, -next and -finish go back as gdb's own
/// `record full` does on the native program (recording from the call of `fill`, where the
/// native session starts: no AVX instruction runs after it, which `record full` cannot
/// follow). Forwards again, the run reaches the same crash.
#[test]
fn reverse_execution_on_a_replay_finds_the_last_write() {
    if !available() {
        return;
    }
    let log = recorded_crash("watch");
    let back = [
        "watch -l t.target",
        "reverse-continue",
        "print i",
        "reverse-step",
        "reverse-step",
        "print i",
        "reverse-next",
        "print i",
        "reverse-finish",
        "bt",
        MARK,
    ];
    let mut commands = vec!["continue", "info registers rip", MARK];
    commands.extend(back);
    commands.extend(["delete", "continue", "info registers rip"]);
    let (out, run) = program_under_emu(CRASH, &[], &["--replay", &log], &commands);
    assert_eq!(run.status, Status::Signal(11), "{out}\n{}", run.stderr_text());
    let emu = parts(&out);
    assert_eq!(emu.len(), 3, "{out}");
    assert!(emu[0].contains("Program received signal SIGSEGV"), "{out}");
    assert!(emu[1].contains("Old value = (long *) 0x4"), "{out}");
    assert!(emu[1].contains("in fill (n=4) at src/gdbcrash.c:19"), "{out}");

    let start =
        ["break gdbcrash.c:32", "run", "record full", "set can-use-hw-watchpoints 0", "continue", MARK];
    let nat = program_native(CRASH, &[], &start, &back);
    let nat = parts(&nat);
    assert_eq!(nat.len(), 3, "native session:\n{}", nat.join("\n"));
    assert_eq!(reverse_stops(&emu[1]), reverse_stops(&nat[1]), "emu:\n{}\nnative:\n{}", emu[1], nat[1]);
    // The crash, reached first and again after going back: same place, same registers.
    let rip = |s: &str| s.lines().find(|l| l.starts_with("rip")).map(str::to_string);
    assert!(rip(&emu[0]).is_some(), "{out}");
    assert_eq!(rip(&emu[0]), rip(&emu[2]), "{out}");
    assert_eq!(stops(&emu[0]), stops(&emu[2]), "{out}");
}

/// Going back past every breakpoint stops at the beginning of the replay; a breakpoint
/// fires going backwards and forwards again; the guest's output is written once.
#[test]
fn reverse_continue_to_a_breakpoint_and_to_the_beginning() {
    if !available() {
        return;
    }
    let log = recorded_crash("break");
    let commands = [
        "break fill",
        "continue",
        "continue",
        "reverse-continue",
        "bt 1",
        "reverse-continue",
        "continue",
        "bt 1",
        "continue",
    ];
    let (out, run) = program_under_emu(CRASH, &[], &["--replay", &log], &commands);
    let fill = "fill (n=4) at src/gdbcrash.c:18";
    assert_eq!(out.matches(&format!("Breakpoint 1, {fill}")).count(), 3, "{out}");
    assert!(out.contains("No more reverse-execution history."), "{out}");
    assert_eq!(out.matches("Program received signal SIGSEGV").count(), 2, "{out}");
    assert_eq!(run.stdout, Guest::new(CRASH).run_native().stdout, "{}", run.stderr_text());
    assert_eq!(run.status, Status::Signal(11));
}

/// In a threaded replay, going back from a breakpoint hit in the second thread reaches the
/// hit before it, in the first thread, and forwards again the second: the hits in the
/// order the native run has them, visited back and forth.
#[test]
fn reverse_continue_across_threads() {
    if !available() {
        return;
    }
    let log = common::scratch_dir("gdb-reverse-threads").join("log").display().to_string();
    let rec = Guest::new(DEMO).run_emu(&["--record", &log]);
    assert_eq!(rec.status, Status::Exit(0), "{}", rec.stderr_text());
    let commands = ["break square", "continue", "continue", "reverse-continue", "continue", "continue"];
    let (out, run) = program_under_emu(DEMO, &[], &["--replay", &log], &commands);
    let hits = |s: &str| -> Vec<String> {
        let at = |l: &str| l.find("Breakpoint 1, ").map(|i| l[i..].to_string());
        s.lines().filter_map(at).map(|l| mask(&l)).collect()
    };
    let nat = hits(&native(&[], &["break square", "continue", "continue", "continue"]));
    assert_eq!(nat.len(), 2, "{nat:?}");
    let expected = [&nat[0], &nat[1], &nat[0], &nat[1]];
    assert_eq!(hits(&out).iter().collect::<Vec<_>>(), expected, "{out}");
    assert!(out.contains("exited normally"), "{out}");
    assert_eq!(run.stdout, rec.stdout, "{}", run.stderr_text());
}

/// `kill` after going back ends the replay as it ends a live run: by SIGKILL, with no
/// word of a divergence (gdb, not the guest, chose that end).
#[test]
fn kill_after_going_back_on_a_replay() {
    if !available() {
        return;
    }
    let log = recorded_crash("kill");
    let commands = ["break fill", "continue", "continue", "reverse-continue", "kill"];
    let (out, run) = program_under_emu(CRASH, &[], &["--replay", &log], &commands);
    assert!(out.contains("Breakpoint 1, fill"), "{out}");
    assert_eq!(run.status, Status::Signal(9), "{out}\n{}", run.stderr_text());
    assert_eq!(run.stderr_text(), "", "{out}");
}

/// Going back over a fork and forwards again: the output of parent and children is written
/// once (a child forked again on a stretch replayed before is not replayed again: the
/// `guest killed` lines of the children that die of signals come once), and the parent's
/// waits still see the children end.
#[test]
fn reverse_over_a_fork_replays_the_child_once() {
    if !available() {
        return;
    }
    let dir = common::scratch_dir("gdb-reverse-fork");
    let prog = "roms/bin/procs.glibc";
    let log = dir.join("log").display().to_string();
    let g = Guest::new(common::root().join(prog)).args(["wait"]).cwd(&dir);
    let rec = g.run_emu(&["--record", &log]);
    assert_eq!(rec.status, Status::Exit(0), "{}", rec.stderr_text());
    let commands = ["break exit", "continue", "reverse-continue", "continue", "continue"];
    let (text, debugged) = guest_under_emu(&g, prog, &["--replay", &log], &commands);
    assert!(text.contains("No more reverse-execution history."), "{text}");
    assert_eq!(text.matches("Breakpoint 1, ").count(), 2, "{text}");
    assert!(text.contains("exited normally"), "{text}");
    assert_eq!(rec.stdout, debugged.stdout, "{}", debugged.stderr_text());
    assert_eq!(sorted_lines(&rec), sorted_lines(&debugged));
    assert_eq!(rec.status, debugged.status);
}
