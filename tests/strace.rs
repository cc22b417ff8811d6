//! `--strace`, `--trace=mmap` and `--maps` on `roms/src/tracee.c`.
//!
//! The syscall lines are compared with the real `strace -f` of the same rom (when strace is
//! installed on an x86-64 Linux host): from the rom's marker syscall on, the decoded names,
//! paths, flags, structs, results and errors must be the same once addresses, pids and the
//! scratch file name are normalised. The mmap trace is checked against the addresses the rom
//! prints for its own mmap/munmap/mprotect/mremap calls, the `--maps` dump against the
//! /proc/self/maps the rom reads, and every JSON Lines record is parsed.

mod common;

use common::{scratch_dir, Guest, Outcome, Status, NATIVE};
use std::collections::HashMap;
use std::process::Command;

const TRACEE: &str = "roms/bin/tracee.glibc";
const MARKER: &str = "\"/emu-strace-begin\"";

fn have_strace() -> bool {
    NATIVE && Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// Runs the tracee under emu with `opts` plus `--trace-file`; returns the run and the trace.
fn emu_trace(args: &[&str], opts: &[&str]) -> (Outcome, String) {
    let dir = scratch_dir("strace-emu");
    let file = dir.join("trace");
    let mut all: Vec<&str> = opts.to_vec();
    let f = file.to_str().expect("utf-8 path");
    all.extend(["--trace-file", f]);
    let o = Guest::new(TRACEE).args(args).run_emu(&all);
    common::assert_no_panic("tracee", &o);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    (o, text)
}

/// Runs the tracee under the real strace (`strace -f -o FILE extra...`).
fn native_trace(args: &[&str], extra: &[&str]) -> (Outcome, String) {
    let dir = scratch_dir("strace-native");
    let file = dir.join("trace");
    let g = Guest::new(TRACEE).args(args);
    let mut c = Command::new("strace");
    c.arg("-f").arg("-o").arg(&file).args(extra).arg(&g.program).args(&g.args);
    c.env_clear().envs(g.env.iter().map(|(k, v)| (k, v))).current_dir(&g.cwd);
    let o = common::run(c, common::RUN_TIMEOUT);
    (o, std::fs::read_to_string(&file).unwrap_or_default())
}

/// Splits `[pid N] rest` (emu) or `N rest` (strace -o) into the pid and the rest.
fn split_pid(line: &str) -> (Option<u32>, &str) {
    if let Some(r) = line.strip_prefix("[pid ") {
        if let Some((pid, rest)) = r.split_once("] ") {
            return (pid.trim().parse().ok(), rest);
        }
    }
    if let Some((pid, rest)) = line.split_once(' ') {
        if let Ok(n) = pid.parse() {
            return (Some(n), rest.trim_start()); // strace -o pads short pids
        }
    }
    (None, line)
}

/// Replaces every `0x...` number with `0x_`.
fn hide_addresses(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'0' && b.get(i + 1) == Some(&b'x') && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit) {
            out.push_str("0x_");
            i += 2;
            while i < b.len() && b[i].is_ascii_hexdigit() {
                i += 1;
            }
            continue;
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// Replaces whole-word occurrences of `word` by `with`.
fn replace_word(s: &str, word: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(word) {
        let before = rest[..i].chars().last();
        let after = rest[i + word.len()..].chars().next();
        let boundary = |c: Option<char>| !c.is_some_and(|c| c.is_ascii_alphanumeric());
        out.push_str(&rest[..i]);
        out.push_str(if boundary(before) && boundary(after) { with } else { word });
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

/// The trace from the marker on, as one line sequence per process/thread (in order of first
/// appearance), with split `<unfinished ...>`/`<... resumed>` pairs joined, pids, addresses
/// and `subst` strings normalised, and spacing collapsed.
fn per_task(trace: &str, subst: &[(&str, &str)]) -> Vec<Vec<String>> {
    let lines: Vec<&str> = trace.lines().collect();
    let Some(start) = lines.iter().position(|l| l.contains(MARKER)) else {
        panic!("marker not in trace:\n{trace}");
    };
    let mut order: Vec<Option<u32>> = Vec::new();
    let mut tasks: HashMap<Option<u32>, Vec<String>> = HashMap::new();
    let mut held: HashMap<Option<u32>, String> = HashMap::new();
    // emu (like strace writing to a terminal) adds `[pid N]` only once there are several
    // tasks: unprefixed lines belong to the task that created the second one.
    let creator = lines[start..]
        .iter()
        .map(|l| split_pid(l))
        .find(|(p, r)| {
            p.is_some() && ["clone(", "clone3(", "fork(", "vfork("].iter().any(|c| r.starts_with(c))
        })
        .and_then(|(p, _)| p);
    for l in &lines[start..] {
        let (pid, rest) = split_pid(l);
        let pid = pid.or(creator);
        if !order.contains(&pid) {
            order.push(pid);
        }
        if let Some(h) = rest.strip_suffix("<unfinished ...>") {
            held.insert(pid, h.trim_end().to_string());
            continue;
        }
        let mut text = rest.to_string();
        if rest.starts_with("<... ") {
            if let (Some(h), Some((_, tail))) = (held.remove(&pid), rest.split_once(" resumed>")) {
                text = if h.ends_with(',') { format!("{h} {tail}") } else { format!("{h}{tail}") };
            }
        }
        tasks.entry(pid).or_default().push(text);
    }
    // Pids become PID1, PID2... in order of appearance, wherever they occur.
    let mut pids: Vec<String> = order.iter().flatten().map(|p| p.to_string()).collect();
    for seq in tasks.values() {
        for l in seq {
            if let Some(r) = l.strip_prefix("getpid()").and_then(|r| r.rsplit_once("= ")) {
                if !pids.contains(&r.1.to_string()) {
                    pids.push(r.1.to_string());
                }
            }
        }
    }
    order
        .iter()
        .map(|pid| {
            tasks[pid]
                .iter()
                .map(|l| {
                    let mut s = l.clone();
                    for (from, to) in subst {
                        s = s.replace(from, to);
                    }
                    for (i, p) in pids.iter().enumerate() {
                        s = replace_word(&s, p, &format!("PID{}", i + 1));
                    }
                    hide_addresses(&s).split_whitespace().collect::<Vec<_>>().join(" ")
                })
                .collect()
        })
        .collect()
}

fn assert_same_tasks(native: Vec<Vec<String>>, emu: Vec<Vec<String>>) {
    assert_eq!(native.len(), emu.len(), "number of processes/threads: native {native:#?}\nemu {emu:#?}");
    for (n, e) in native.iter().zip(&emu) {
        for (k, (a, b)) in n.iter().zip(e).enumerate() {
            assert_eq!(a, b, "line {k} differs\nnative: {n:#?}\nemu: {e:#?}");
        }
        assert_eq!(n.len(), e.len(), "native: {n:#?}\nemu: {e:#?}");
    }
}

#[test]
fn syscall_lines_match_native_strace() {
    if !have_strace() {
        eprintln!("skipped: needs strace on an x86-64 Linux host");
        return;
    }
    let dir = scratch_dir("strace-calls");
    for strlen in [None, Some("5")] {
        let nf = dir.join("native-file");
        let ef = dir.join("emu-file");
        let (nf, ef) = (nf.to_str().unwrap(), ef.to_str().unwrap());
        let (extra, opts): (Vec<&str>, Vec<&str>) = match strlen {
            None => (vec![], vec!["--strace"]),
            Some(n) => (vec!["-s", n], vec!["--strace", "--strace-strlen", n]),
        };
        let (no, nt) = native_trace(&["calls", nf], &extra);
        let (eo, et) = emu_trace(&["calls", ef], &opts);
        assert_eq!(no.status, Status::Exit(3));
        assert_eq!(eo.status, no.status, "emu stderr: {}", eo.stderr_text());
        assert_eq!(eo.stdout, no.stdout);
        let native = per_task(&nt, &[(nf, "FILE")]);
        let mut emu = per_task(&et, &[(ef, "FILE")]);
        // strace cannot see vDSO calls; emu shows them, marked.
        let vdso = |l: &String| l.ends_with(" (vdso)");
        assert!(
            emu[0].iter().any(|l| vdso(l) && l.starts_with("clock_gettime(CLOCK_MONOTONIC, {tv_sec=")),
            "{:#?}",
            emu[0]
        );
        emu[0].retain(|l| !vdso(l));
        // The trace must show what the rom does, not just agree: the comparison covers
        // flags, errors, outputs, signals and the exit.
        let all = emu.concat().join("\n");
        for needle in ["O_CREAT", "ENOENT", "EBADF", "readv(", "--- SIGUSR1", "+++ exited with 3 +++"] {
            assert!(all.contains(needle), "{needle} missing from\n{all}");
        }
        assert_same_tasks(native, emu);
    }
}

#[test]
fn fork_lines_carry_pids_and_match_native_per_process() {
    let (eo, et) = emu_trace(&["fork"], &["--strace"]);
    assert_eq!(eo.status, Status::Exit(0), "{}", eo.stderr_text());
    let after: Vec<&str> = et.lines().skip_while(|l| !l.contains(MARKER)).skip(1).collect();
    let pids: Vec<u32> =
        after.iter().map(|l| split_pid(l).0.expect("[pid N] prefix on every line")).collect();
    let mut distinct = pids.clone();
    distinct.dedup();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 2, "{et}");
    let parent =
        after.iter().find(|l| l.contains("] clone(")).and_then(|l| split_pid(l).0).expect("clone line");
    let child = *distinct.iter().find(|&&p| p != parent).unwrap();
    assert!(after
        .iter()
        .any(|l| l.starts_with(&format!("[pid {parent:>5}] clone(")) && l.ends_with(&format!("= {child}"))));
    assert!(after.contains(&format!("[pid {child:>5}] +++ exited with 7 +++").as_str()), "{et}");
    // The parent's wait is shown split, as strace shows it while the child runs.
    let wait = after.iter().position(|l| *l == format!("[pid {parent:>5}] wait4({child},  <unfinished ...>"));
    let resumed = after
        .iter()
        .position(|l| l.starts_with(&format!("[pid {parent:>5}] <... wait4 resumed>[{{WIFEXITED")));
    assert!(wait.is_some() && resumed > wait, "{et}");
    assert!(
        after.iter().any(|l| l.contains(&format!("si_pid={child}, ")) && l.contains("CLD_EXITED")),
        "{et}"
    );
    if have_strace() {
        let (no, nt) = native_trace(&["fork"], &[]);
        assert_eq!(no.stdout, eo.stdout);
        assert_same_tasks(per_task(&nt, &[]), per_task(&et, &[]));
    }
}

#[test]
fn restarted_syscall_matches_native_strace() {
    // read blocks, SIGALRM interrupts it, the SA_RESTART handler runs, read is restarted.
    let (eo, et) = emu_trace(&["restart"], &["--strace"]);
    assert_eq!(eo.status, Status::Exit(0), "{}", eo.stderr_text());
    assert_eq!(String::from_utf8_lossy(&eo.stdout), "restarted read got x\n");
    assert!(et.contains("= ? ERESTARTSYS (To be restarted if SA_RESTART is set)"), "{et}");
    if have_strace() {
        let (no, nt) = native_trace(&["restart"], &[]);
        assert_eq!(no.stdout, eo.stdout);
        assert_same_tasks(per_task(&nt, &[]), per_task(&et, &[]));
    }
}

#[test]
fn threads_split_blocking_calls_as_unfinished_and_resumed() {
    let (eo, et) = emu_trace(&["threads"], &["--strace"]);
    assert_eq!(eo.status, Status::Exit(0), "{}", eo.stderr_text());
    let after: Vec<&str> = et.lines().skip_while(|l| !l.contains(MARKER)).collect();
    let mut open: HashMap<u32, String> = HashMap::new();
    let mut tids = Vec::new();
    let mut splits = 0;
    for l in after.iter().skip_while(|l| !l.starts_with("[pid")) {
        let (tid, rest) = split_pid(l);
        let tid = tid.unwrap_or_else(|| panic!("no [pid N] on {l}"));
        if !tids.contains(&tid) {
            tids.push(tid);
        }
        if rest.ends_with("<unfinished ...>") {
            let name = rest.split('(').next().unwrap().to_string();
            assert!(open.insert(tid, name).is_none(), "two unfinished calls of {tid}");
            splits += 1;
        } else if let Some(r) = rest.strip_prefix("<... ") {
            let name = r.split(' ').next().unwrap();
            assert_eq!(open.remove(&tid).as_deref(), Some(name), "resumed without unfinished: {l}");
        }
    }
    assert!(open.is_empty(), "unfinished calls never resumed: {open:?}\n{et}");
    assert_eq!(tids.len(), 2, "{et}");
    assert!(splits >= 1, "pthread_join's futex wait should be split:\n{et}");
    assert!(et.contains(&format!("[pid {:>5}] exit(0)", tids[1])), "{et}");
    assert!(et.contains(&format!("[pid {:>5}] +++ exited with 0 +++", tids[1])), "{et}");
}

#[test]
fn decoded_structs_match_native_strace() {
    // fd sets and select results, socket addresses, termios ioctls, stack_t.
    let (eo, et) = emu_trace(&["decode"], &["--strace"]);
    assert_eq!(eo.status, Status::Exit(0), "{}", eo.stderr_text());
    for needle in [
        "pselect6(5, [3 4], [4], NULL, {tv_sec=0, tv_nsec=0}, NULL) = 2 (in [3], out [4], left {",
        "{sigmask=[USR1], sigsetsize=8}",
        "select(4, [3], NULL, NULL, {tv_sec=0, tv_usec=0}) = 1 (in [3], left {tv_sec=0, tv_usec=0})",
        "= 0 (Timeout)",
        "socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [",
        "{sa_family=AF_UNIX}, [110 => 2]) = 0",
        "ioctl(3, TCGETS, 0x",
        "ss_flags=SS_DISABLE, ss_size=0}) = 0",
    ] {
        assert!(et.contains(needle), "{needle} missing from\n{et}");
    }
    if have_strace() {
        let (no, nt) = native_trace(&["decode"], &[]);
        assert_eq!(no.status, eo.status);
        assert_same_tasks(per_task(&nt, &[]), per_task(&et, &[]));
    }
}

#[test]
fn json_splits_blocking_calls_as_unfinished_and_resumed() {
    let (eo, et) = emu_trace(&["threads"], &["--strace", "--trace-format", "json"]);
    assert_eq!(eo.status, Status::Exit(0), "{}", eo.stderr_text());
    let recs: Vec<Json> = et.lines().map(|l| Json::parse(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let mut open: HashMap<String, String> = HashMap::new();
    let mut splits = 0;
    for r in recs.iter().filter(|r| r.get("type").str() == "syscall") {
        let Json::Num(pid) = r.get("pid") else { panic!("pid: {r:?}") };
        let (pid, name) = (pid.to_string(), r.get("name").str());
        if r.get("unfinished") == &Json::Bool(true) {
            assert_eq!(r.get("ret"), &Json::Null, "an unfinished call has no result: {r:?}");
            assert!(open.insert(pid, name).is_none(), "two unfinished calls of one thread");
            splits += 1;
        } else if r.get("resumed") == &Json::Bool(true) {
            assert_eq!(open.remove(&pid), Some(name), "resumed without unfinished: {r:?}");
            assert!(matches!(r.get("ret"), Json::Num(_)), "{r:?}");
        } else {
            assert!(!open.contains_key(&pid), "thread {pid} ran another call while one was unfinished");
        }
    }
    assert!(open.is_empty(), "never resumed: {open:?}");
    assert!(splits >= 1, "pthread_join's futex wait should be split:\n{et}");
}

/// Parses the rom's `what start end` lines.
fn rom_ranges(stdout: &[u8]) -> HashMap<String, (u64, u64)> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split(' ');
            let (k, a, b) = (w.next()?, w.next()?, w.next()?);
            Some((k.to_string(), (u64::from_str_radix(a, 16).ok()?, u64::from_str_radix(b, 16).ok()?)))
        })
        .collect()
}

#[test]
fn trace_mmap_shows_the_roms_own_calls() {
    let (eo, et) = emu_trace(&["mmap"], &["--trace=mmap"]);
    assert_eq!(eo.status, Status::Exit(0), "{}", eo.stderr_text());
    let r = rom_ranges(&eo.stdout);
    let line = |op: &str, what: &str| {
        let (a, b) = r[what];
        let range = format!("{a:08x}-{b:08x}");
        // The record's range follows the op (mremap: the new range follows the arrow).
        let at = if op == "mremap" { format!(" -> {range}") } else { format!("] {op:<8} {range}") };
        et.lines().find(|l| l.contains(&at)).unwrap_or_else(|| panic!("no {op} {range} in\n{et}")).to_string()
    };
    assert!(line("mmap", "mmap").contains(" rw-p "));
    assert!(line("mprotect", "mprotect").contains(" r--p "));
    line("munmap", "munmap");
    let file = line("mmap", "mmap-file");
    assert!(file.contains(" r--p 00001000 "), "{file}");
    assert!(line("mremap", "mremap").contains(" rw-p "));
    assert!(et.lines().next().unwrap().contains("execve"), "{et}");
    assert!(et.contains("[stack]") && et.contains("[heap] (grow)"), "{et}");

    // The same in JSON: every record parses, and the rom's mmap is there.
    let (jo, jt) = emu_trace(&["mmap"], &["--trace=mmap", "--trace-format", "json"]);
    let r = rom_ranges(&jo.stdout);
    let recs: Vec<Json> = jt.lines().map(|l| Json::parse(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let (a, b) = r["mmap"];
    assert!(recs.iter().any(|j| j.get("op").str() == "mmap"
        && j.get("start").str() == format!("{a:#x}")
        && j.get("end").str() == format!("{b:#x}")
        && j.get("perms").str() == "rw-p"));
}

#[test]
fn maps_at_exit_match_what_the_guest_reads() {
    let (eo, et) = emu_trace(&["maps"], &["--maps"]);
    assert_eq!(eo.status, Status::Exit(0), "{}", eo.stderr_text());
    let guest = String::from_utf8_lossy(&eo.stdout).into_owned();
    let mut lines = et.lines();
    let header = lines.next().expect("a maps record");
    assert!(header.starts_with("--- emu maps [pid ") && header.ends_with("] exit 0 ---"), "{header}");
    let dump: Vec<&str> = lines.collect();
    // The rom first prints its own `what start end` lines, then the map it read.
    let is_range = |w: &str| {
        w.split_once('-')
            .is_some_and(|(a, b)| u64::from_str_radix(a, 16).is_ok() && u64::from_str_radix(b, 16).is_ok())
    };
    let read: Vec<&str> = guest.lines().filter(|l| l.split(' ').next().is_some_and(is_range)).collect();
    assert_eq!(dump, read);
    assert!(guest.contains("[stack]") && guest.contains("tracee.glibc"));
}

#[test]
fn maps_are_printed_when_the_guest_dies_of_a_signal() {
    let dir = scratch_dir("strace-crash");
    let file = dir.join("trace");
    let o = Guest::new("roms/bin/crash.glibc").args(["segv"]).run_emu(&[
        "--maps",
        "--strace",
        "--trace-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status, Status::Signal(11));
    let t = std::fs::read_to_string(&file).unwrap();
    assert!(t.contains("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---"), "{t}");
    assert!(t.contains("+++ killed by SIGSEGV"), "{t}");
    assert!(t.contains("] killed by SIGSEGV ---") && t.contains("[stack]"), "{t}");
    if have_strace() {
        let mut c = Command::new("strace");
        let nf = dir.join("native");
        c.arg("-o").arg(&nf).arg("roms/bin/crash.glibc").arg("segv").current_dir(common::root());
        common::run(c, common::RUN_TIMEOUT);
        let n = std::fs::read_to_string(&nf).unwrap();
        let sig = |t: &str| t.lines().find(|l| l.contains("--- SIGSEGV")).map(|l| split_pid(l).1.to_string());
        assert_eq!(sig(&n), sig(&t).map(|s| split_pid(&s).1.to_string()));
    }
}

#[test]
fn json_lines_parse_and_carry_the_syscalls() {
    let dir = scratch_dir("strace-json");
    let f = dir.join("file");
    let (o, t) = emu_trace(
        &["calls", f.to_str().unwrap()],
        &["--strace", "--trace=mmap", "--maps", "--stats", "--trace-format", "json"],
    );
    assert_eq!(o.status, Status::Exit(3), "{}", o.stderr_text());
    let recs: Vec<Json> = t.lines().map(|l| Json::parse(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let kinds: Vec<String> = recs.iter().map(|j| j.get("type").str()).collect();
    for k in ["syscall", "mmap", "signal", "exit", "maps", "stats"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} record in\n{t}");
    }
    let enoent = recs
        .iter()
        .find(|j| j.get("name").str() == "openat" && j.get("errno").str() == "ENOENT")
        .expect("the marker's failed openat");
    assert_eq!(enoent.get("ret"), &Json::Num(-1.0));
    let Json::Arr(args) = enoent.get("args") else { panic!("args is an array") };
    assert_eq!(args[1], Json::Str(MARKER.into()));
    let stats = recs.iter().find(|j| j.get("type").str() == "stats").unwrap();
    let Json::Obj(errs) = stats.get("syscall_errors_by_name") else { panic!("errors by name") };
    assert!(errs.iter().any(|(k, v)| k == "close" && *v == Json::Num(1.0)), "{errs:?}");
}

#[test]
fn unimplemented_trace_kind_is_a_clear_error() {
    let o = Guest::new(TRACEE).run_emu(&["--trace=bogus"]);
    assert_eq!(o.status, Status::Exit(2));
    assert!(o.stderr_text().contains("unknown trace kind 'bogus'"), "{}", o.stderr_text());
}

// ---- a small strict JSON parser (the tests must not trust emu's own JSON builder) ----

#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn parse(s: &str) -> Result<Json, String> {
        let b = s.as_bytes();
        let mut i = 0;
        let v = value(b, &mut i)?;
        skip_ws(b, &mut i);
        if i != b.len() {
            return Err(format!("trailing text at {i}"));
        }
        Ok(v)
    }

    fn get(&self, k: &str) -> &Json {
        match self {
            Json::Obj(m) => m.iter().find(|(n, _)| n == k).map_or(&Json::Null, |(_, v)| v),
            _ => &Json::Null,
        }
    }

    fn str(&self) -> String {
        match self {
            Json::Str(s) => s.clone(),
            _ => String::new(),
        }
    }
}

fn skip_ws(b: &[u8], i: &mut usize) {
    while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\n' | b'\r') {
        *i += 1;
    }
}

fn value(b: &[u8], i: &mut usize) -> Result<Json, String> {
    skip_ws(b, i);
    let lit = |i: &mut usize, w: &str, v: Json| {
        if b[*i..].starts_with(w.as_bytes()) {
            *i += w.len();
            Ok(v)
        } else {
            Err(format!("bad literal at {i}"))
        }
    };
    match b.get(*i) {
        None => Err("unexpected end".into()),
        Some(b'n') => lit(i, "null", Json::Null),
        Some(b't') => lit(i, "true", Json::Bool(true)),
        Some(b'f') => lit(i, "false", Json::Bool(false)),
        Some(b'"') => string(b, i).map(Json::Str),
        Some(b'[') => {
            *i += 1;
            let mut v = Vec::new();
            skip_ws(b, i);
            if b.get(*i) == Some(&b']') {
                *i += 1;
                return Ok(Json::Arr(v));
            }
            loop {
                v.push(value(b, i)?);
                skip_ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b']') => {
                        *i += 1;
                        return Ok(Json::Arr(v));
                    }
                    _ => return Err(format!("expected , or ] at {i}")),
                }
            }
        }
        Some(b'{') => {
            *i += 1;
            let mut m = Vec::new();
            skip_ws(b, i);
            if b.get(*i) == Some(&b'}') {
                *i += 1;
                return Ok(Json::Obj(m));
            }
            loop {
                skip_ws(b, i);
                let k = string(b, i)?;
                skip_ws(b, i);
                if b.get(*i) != Some(&b':') {
                    return Err(format!("expected : at {i}"));
                }
                *i += 1;
                m.push((k, value(b, i)?));
                skip_ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b'}') => {
                        *i += 1;
                        return Ok(Json::Obj(m));
                    }
                    _ => return Err(format!("expected , or }} at {i}")),
                }
            }
        }
        Some(c) if *c == b'-' || c.is_ascii_digit() => {
            let s = *i;
            *i += 1;
            while *i < b.len() && matches!(b[*i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                *i += 1;
            }
            let t = std::str::from_utf8(&b[s..*i]).unwrap();
            t.parse().map(Json::Num).map_err(|_| format!("bad number {t}"))
        }
        Some(c) => Err(format!("unexpected {:?} at {i}", *c as char)),
    }
}

fn string(b: &[u8], i: &mut usize) -> Result<String, String> {
    if b.get(*i) != Some(&b'"') {
        return Err(format!("expected string at {i}"));
    }
    *i += 1;
    let mut out = Vec::new();
    loop {
        match b.get(*i) {
            None => return Err("unterminated string".into()),
            Some(b'"') => {
                *i += 1;
                return String::from_utf8(out).map_err(|e| e.to_string());
            }
            Some(b'\\') => {
                let c = *b.get(*i + 1).ok_or("bad escape")?;
                *i += 2;
                match c {
                    b'"' | b'\\' | b'/' => out.push(c),
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'u' => {
                        let h = std::str::from_utf8(b.get(*i..*i + 4).ok_or("short \\u")?).unwrap();
                        let n = u32::from_str_radix(h, 16).map_err(|e| e.to_string())?;
                        *i += 4;
                        let ch = char::from_u32(n).ok_or("bad \\u")?;
                        out.extend_from_slice(ch.to_string().as_bytes());
                    }
                    _ => return Err(format!("bad escape {}", c as char)),
                }
            }
            Some(&c) if c < 0x20 => return Err("control character in string".into()),
            Some(&c) => {
                out.push(c);
                *i += 1;
            }
        }
    }
}
