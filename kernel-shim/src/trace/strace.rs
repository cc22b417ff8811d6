//! `--strace`: one line per syscall in strace's notation, e.g.
//! `openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3` — the call's lifecycle.
//!
//! Each syscall's table row (`sys/table.rs`) lists its arguments as [`Arg`]s, which
//! `decode.rs` turns into text (reading guest memory; the notation itself is in `fmt/`).
//! Inputs are formatted when the syscall is entered (execve replaces the memory they live
//! in), outputs (buffers the kernel fills, result structs) after it returns. A syscall
//! whose thread parks is held back and printed whole when it completes, unless another
//! thread prints first: then it is split as strace does (`<unfinished ...>` /
//! `<... resumed>`); one restarted after a signal handler ends in `ERESTARTSYS`. Signal
//! deliveries (`--- SIGCHLD {...} ---`) and process ends (`+++ exited with 0 +++`) are
//! printed here too, as text or JSON Lines.

use super::fmt::signal::{name as sig_name, siginfo};
use super::Trace;
use super::{decode, Json};
use crate::abi::signal::SigInfo;
use crate::sys::kinds::{Arg, Arg::*};
use crate::sys::table::{self, effects, nr};
use crate::sys::SysResult;
use crate::{Outcome, Process};

/// Per-process state of the syscall trace.
#[derive(Default)]
pub(crate) struct State {
    /// Lines carry `[pid N]` once the guest has had more than one process or thread.
    pub several: bool,
    /// Syscalls of parked threads, not yet completed.
    pending: Vec<Call>,
    /// `--strace-strlen`.
    strlen: usize,
}

/// A syscall being traced: what was known at entry.
pub(crate) struct Call {
    pub nr: u64,
    pub args: [u64; 6],
    pub tid: i32,
    /// Formatted inputs; `None` where an output goes.
    parts: Vec<Option<String>>,
    /// The program break before the call (for `--trace=mmap`).
    pub brk_before: u64,
    /// An execve's path, read before the image is replaced.
    pub exec_path: Option<Vec<u8>>,
    vdso: bool,
    /// `<unfinished ...>` was printed.
    split: bool,
    /// The value an [`OutSockLen`] pointed to at entry.
    len_in: Option<u32>,
}

/// The name and argument formats of a syscall's row; six raw values where the row has no
/// formats (or Linux has no such number).
fn row_of(nr: u64) -> (String, &'static [Arg]) {
    const RAW: &[Arg] = &[Ptr, Ptr, Ptr, Ptr, Ptr, Ptr];
    match crate::sys::table::row(nr) {
        Some(r) => (r.name.to_string(), r.args.unwrap_or(RAW)),
        None => (format!("syscall_{nr:#x}"), RAW),
    }
}

/// A syscall with its raw arguments, e.g. `read(3, 0x4c6f00, 16)`, for lines of other
/// traces that name the syscall (small values in decimal, the rest in hex).
pub(crate) fn brief(nr: u64, args: &[u64; 6]) -> String {
    let (name, fmts) = row_of(nr);
    let shown: Vec<String> = args[..fmts.len().min(6)]
        .iter()
        .map(|&v| {
            if v < 0x10000 || (v as i64) < 0 && (v as i64) > -0x10000 {
                (v as i64).to_string()
            } else {
                format!("{v:#x}")
            }
        })
        .collect();
    format!("{name}({})", shown.join(", "))
}

/// Called when a traced syscall is entered: formats the inputs.
pub(crate) fn enter(t: &mut Trace, p: &mut Process, nr: u64, args: &[u64; 6]) -> Call {
    let mut c = Call {
        nr,
        args: *args,
        tid: p.tid(),
        parts: Vec::new(),
        brk_before: p.brk,
        exec_path: None,
        vdso: p.vdso.is_some_and(|(a, b)| (a..b).contains(&p.cpu.rip)),
        split: false,
        len_in: None,
    };
    if let Some(row) = table::row(nr).filter(|r| r.effects & effects::EXEC != 0) {
        let i = row.args.and_then(|a| a.iter().position(|&k| k == Path)).unwrap_or(0);
        c.exec_path = decode::exec_path(p, args[i]);
    }
    if !t.opts.strace {
        return c;
    }
    let (_, fmts) = row_of(nr);
    for (i, &a) in fmts.iter().enumerate() {
        if a == OutSockLen && args[i] != 0 {
            c.len_in = decode::sock_len_in(p, args[i]);
        }
        c.parts.push(if a.is_output() {
            None
        } else {
            Some(decode::arg(t.st.strlen, p, a, args, i, None).unwrap_or_default())
        });
    }
    if waits_for_others(t, p, &c) {
        if t.sink.is_json() {
            let line = unfinished_json(&c);
            emit_json(t, c.tid, &line);
        } else {
            let line = unfinished(&c);
            emit(t, p, c.tid, &line);
        }
        c.split = true;
    }
    c
}

/// The program emu started with, shown as strace shows the execve that started it:
/// argv and envp are read from the initial stack.
pub(crate) fn first_exec(t: &mut Trace, p: &mut Process) {
    t.st.strlen = t.opts.strace_strlen.unwrap_or(32);
    let args = decode::first_exec(t.st.strlen, p);
    if t.sink.is_json() {
        let j =
            Json::new("syscall").num("pid", p.tid() as i64).str("name", "execve").str_array("args", &args);
        let line = j.num("ret", 0).end();
        t.sink.line(&line);
        return;
    }
    let mut line = format!("execve({})", args.join(", "));
    pad_to_result_column(t, p, &mut line);
    line.push_str(" = 0");
    emit(t, p, p.tid(), &line);
}

/// The thread parked inside the syscall: hold the line back until it completes.
pub(crate) fn parked(t: &mut Trace, c: Call) {
    if !t.opts.strace {
        return;
    }
    let st = &mut t.st;
    // A re-executed syscall that parks again keeps its first entry.
    if !st.pending.iter().any(|q| q.tid == c.tid) {
        st.pending.push(c);
    }
}

/// The syscall completed: its line (or the `<... resumed>` part).
/// Takes over the held-back entry of a syscall that parked before completing now.
fn resume(t: &mut Trace, c: &mut Call) {
    if let Some(i) = t.st.pending.iter().position(|q| q.tid == c.tid && q.nr == c.nr) {
        let old = t.st.pending.remove(i);
        c.split = old.split;
        c.parts = old.parts;
    }
}

/// All arguments as shown: the inputs formatted at entry, the outputs now (as addresses
/// when the call failed or did not return).
fn shown_args(t: &mut Trace, p: &mut Process, c: &Call, res: Option<&SysResult>) -> Vec<String> {
    let (_, fmts) = row_of(c.nr);
    let mut shown = Vec::with_capacity(fmts.len());
    for (i, &a) in fmts.iter().enumerate() {
        let part = match c.parts.get(i).cloned().flatten() {
            // An offset the call moved: `[10] => [15]`.
            Some(s) if a == OffInOut && c.args[i] != 0 && matches!(res, Some(Ok(_))) => {
                decode::arg(t.st.strlen, p, Off, &c.args, i, res).map(|now| format!("{s} => {now}"))
            }
            Some(s) => Some(s),
            None if a == OutSockLen => Some(decode::sock_len(p, c.args[i], c.len_in, res)),
            None => decode::arg(t.st.strlen, p, a, &c.args, i, res),
        };
        // Arguments that only exist for some flags or commands format as empty.
        if let Some(s) =
            part.filter(|s| !s.is_empty() || !matches!(a, OpenMode(_) | NodeDev(_) | Fcntl | Futex | Hidden))
        {
            shown.push(s);
        }
    }
    if c.nr == nr::IOCTL && shown.len() == 3 && shown[2] == "NULL" {
        shown.pop();
    }
    shown
}

pub(crate) fn exit(t: &mut Trace, p: &mut Process, mut c: Call, res: Option<&SysResult>) {
    resume(t, &mut c);
    let (name, fmts) = row_of(c.nr);
    let shown = shown_args(t, p, &c, res);
    let (ret, errname) = decode::ret(p, c.nr, &c.args, fmts, res);
    if t.sink.is_json() {
        let mut j =
            Json::new("syscall").num("pid", c.tid as i64).str("name", &name).str_array("args", &shown);
        j = match res {
            Some(Ok(v)) => j.num("ret", *v as i64),
            Some(Err(e)) => {
                j.num("ret", -1).str("errno", errname.unwrap_or("")).num("errno_value", *e as i64)
            }
            None => j.raw("ret", "null"),
        };
        if c.vdso {
            j = j.raw("vdso", "true");
        }
        if c.split {
            // Its `unfinished` record came earlier; this one is complete.
            j = j.raw("resumed", "true");
        }
        let line = j.end();
        emit_json(t, c.tid, &line);
        return;
    }
    let mut line = call_text(&c, &name, &shown);
    pad_to_result_column(t, p, &mut line);
    line.push_str(&format!(" = {ret}"));
    if c.vdso {
        line.push_str(" (vdso)");
    }
    emit(t, p, c.tid, &line);
}

/// The call as its completed line begins: whole, or the `<... resumed>` half when the
/// arguments before the first output were already shown with `<unfinished ...>`.
fn call_text(c: &Call, name: &str, shown: &[String]) -> String {
    if c.split {
        let done = inputs_before_outputs(c).len();
        format!("<... {name} resumed>{})", shown[done.min(shown.len())..].join(", "))
    } else {
        format!("{name}({})", shown.join(", "))
    }
}

/// A parked syscall that the waker completed (futex, sleep): print it when its thread
/// runs again. A syscall rewound for re-execution completes through `exit` instead.
pub(crate) fn switched(t: &mut Trace, p: &mut Process) {
    let tid = p.tid();
    let Some(i) = t.st.pending.iter().position(|q| q.tid == tid) else { return };
    let nr = t.st.pending[i].nr;
    let mut insn = [0u8; 2];
    let rewound = p.cpu.reg(emu_cpu::Reg::Rax) == nr
        && p.cpu.mem.read(p.cpu.rip, &mut insn).is_ok()
        && insn == [0x0f, 0x05];
    if rewound {
        return;
    }
    let c = t.st.pending.remove(i);
    let rax = p.cpu.reg(emu_cpu::Reg::Rax) as i64;
    let res: SysResult = if (-4095..0).contains(&rax) { Err(-rax as i32) } else { Ok(rax as u64) };
    exit(t, p, c, Some(&res));
}

/// The syscall will be restarted after a signal handler (SA_RESTART).
pub(crate) fn restart(t: &mut Trace, p: &mut Process, mut c: Call) {
    resume(t, &mut c);
    let (name, _) = row_of(c.nr);
    let shown = shown_args(t, p, &c, None);
    if t.sink.is_json() {
        let j = Json::new("syscall")
            .num("pid", c.tid as i64)
            .str("name", &name)
            .str_array("args", &shown)
            .raw("ret", "null")
            .str("errno", "ERESTARTSYS");
        let j = if c.split { j.raw("resumed", "true") } else { j };
        let line = j.end();
        emit_json(t, c.tid, &line);
        return;
    }
    let mut line = call_text(&c, &name, &shown);
    pad_to_result_column(t, p, &mut line);
    line.push_str(" = ? ERESTARTSYS (To be restarted if SA_RESTART is set)");
    emit(t, p, c.tid, &line);
}

/// The arguments shown before the first output (those known at entry), non-empty.
fn inputs_before_outputs(c: &Call) -> Vec<&str> {
    c.parts.iter().map_while(|s| s.as_deref()).filter(|s| !s.is_empty()).collect()
}

/// The first half of a split line, as strace prints it: `wait4(-1,  <unfinished ...>`.
fn unfinished(c: &Call) -> String {
    let (name, _) = row_of(c.nr);
    let ins = inputs_before_outputs(c);
    let more = c.parts.iter().any(|s| s.is_none());
    let comma = if more && !ins.is_empty() { ", " } else { "" };
    format!("{name}({}{comma} <unfinished ...>", ins.join(", "))
}

/// The first half of a split call in JSON Lines: the inputs known at entry, `unfinished`;
/// the complete record follows later with `resumed`.
fn unfinished_json(c: &Call) -> String {
    let (name, _) = row_of(c.nr);
    let ins: Vec<String> = inputs_before_outputs(c).into_iter().map(str::to_string).collect();
    Json::new("syscall")
        .num("pid", c.tid as i64)
        .str("name", &name)
        .str_array("args", &ins)
        .raw("unfinished", "true")
        .end()
}

/// Writes one JSON record for thread `tid`, first writing the `unfinished` records of
/// other threads' held-back syscalls, as [`emit`] does for text.
fn emit_json(t: &mut Trace, tid: i32, line: &str) {
    let mut out = String::new();
    for i in 0..t.st.pending.len() {
        let q = &t.st.pending[i];
        if q.tid == tid || q.split {
            continue;
        }
        out.push_str(&unfinished_json(q));
        out.push('\n');
        t.st.pending[i].split = true;
    }
    out.push_str(line);
    t.sink.line(&out);
}

/// Waits for other processes: when there are several, the wait is shown split right away,
/// as the other processes' lines will come before its end.
fn waits_for_others(t: &Trace, p: &Process, c: &Call) -> bool {
    use super::fmt::process::WNOHANG;
    let waits = match c.nr {
        nr::WAIT4 => c.args[2] & WNOHANG == 0,
        nr::WAITID => c.args[3] & WNOHANG == 0,
        nr::PAUSE | nr::RT_SIGSUSPEND => true,
        _ => false,
    };
    waits && several(t, p)
}

fn several(t: &Trace, p: &Process) -> bool {
    t.st.several || p.threads.len() > 1
}

/// strace starts ` = result` at column 40 when the call is shorter.
fn pad_to_result_column(t: &Trace, p: &Process, line: &mut String) {
    let used = line.chars().count() + if several(t, p) { 12 } else { 0 };
    if used < 39 {
        line.push_str(&" ".repeat(39 - used));
    }
}

/// Writes one text line for thread `tid`, first splitting other threads' held-back
/// syscalls so the output stays in the order things happened.
fn emit(t: &mut Trace, p: &mut Process, tid: i32, line: &str) {
    let several = several(t, p);
    let prefix = |t: i32| if several { format!("[pid {t:>5}] ") } else { String::new() };
    let mut out = String::new();
    for i in 0..t.st.pending.len() {
        let q = &t.st.pending[i];
        if q.tid == tid || q.split {
            continue;
        }
        out.push_str(&format!("{}{}\n", prefix(q.tid), unfinished(q)));
        t.st.pending[i].split = true;
    }
    out.push_str(&prefix(tid));
    out.push_str(line);
    t.sink.line(&out);
}

/// `--- SIGCHLD {si_signo=SIGCHLD, ...} ---`, when a signal is delivered.
pub(crate) fn signal(t: &mut Trace, p: &mut Process, info: &SigInfo) {
    let name = sig_name(info.signo);
    let body = siginfo(info);
    if t.sink.is_json() {
        let line =
            Json::new("signal").num("pid", p.tid() as i64).str("signal", &name).str("info", &body).end();
        emit_json(t, p.tid(), &line);
        return;
    }
    emit(t, p, p.tid(), &format!("--- {name} {body} ---"));
}

/// `+++ exited with 0 +++` / `+++ killed by SIGSEGV +++`.
pub(crate) fn ended(t: &mut Trace, p: &mut Process, tid: i32, o: &Outcome) {
    if t.sink.is_json() {
        let j = Json::new("exit").num("pid", tid as i64);
        let line = match o {
            Outcome::Exited(c) => j.num("status", *c as i64).end(),
            Outcome::Signaled { sig, .. } => j.str("killed_by", &sig_name(*sig)).end(),
        };
        emit_json(t, tid, &line);
        return;
    }
    let text = match o {
        Outcome::Exited(c) => format!("+++ exited with {c} +++"),
        Outcome::Signaled { sig, .. } => format!("+++ killed by {} +++", sig_name(*sig)),
    };
    emit(t, p, tid, &text);
}

/// The whole process ended: every thread's end is shown, the current one's first (its
/// exit_group or fatal signal caused it).
pub(crate) fn process_ended(t: &mut Trace, p: &mut Process, o: &Outcome) {
    let me = p.tid();
    ended(t, p, me, o);
    let others: Vec<i32> = p.threads.iter().map(|th| th.tid).filter(|&tid| tid != me).collect();
    for tid in others {
        ended(t, p, tid, o);
    }
}
