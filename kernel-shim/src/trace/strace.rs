//! `--strace`: one line per syscall in strace's notation, e.g.
//! `openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3`.
//!
//! Each syscall row (`sys/mod.rs`) lists its arguments as [`Arg`]s. Inputs are formatted
//! when the syscall is entered (execve replaces the memory they live in), outputs (buffers
//! the kernel fills, result structs) after it returns, from guest memory. A syscall whose
//! thread parks is held back and printed whole when it completes, unless another thread
//! prints first: then it is split as strace does (`<unfinished ...>` / `<... resumed>`).
//! Signal deliveries (`--- SIGCHLD {...} ---`) and process ends (`+++ exited with 0 +++`)
//! are printed here too.

use super::Trace;
use super::{structs, Json};
use crate::abi::{errno, signal as S};
use crate::signal::SigInfo;
use crate::sys::kinds::{Arg, Arg::*, Ret};
use crate::sys::table::{self, effects, nr};
use crate::sys::{SysResult, PATH_MAX};
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

/// `[in => out]` for a socket address length the call updated, `[n]` when unchanged.
fn sock_len(p: &mut Process, c: &Call, i: usize, res: Option<&SysResult>) -> String {
    let v = c.args[i];
    if v == 0 {
        return "NULL".into();
    }
    let out = match res {
        Some(Ok(_)) => read_bytes(p, v, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => None,
    };
    match (c.len_in, out) {
        (Some(a), Some(b)) if a != b => format!("[{a} => {b}]"),
        (Some(a), _) => format!("[{a}]"),
        (None, _) => ptr(v),
    }
}

/// select/pselect6's result details: the ready sets and the time left, or `Timeout`.
fn select_result(p: &mut Process, c: &Call, n: u64) -> String {
    if n == 0 {
        return "Timeout".into();
    }
    let nfds = (c.args[0] as i32).clamp(0, 1024) as usize;
    let mut parts = Vec::new();
    for (k, name) in [(1, "in"), (2, "out"), (3, "except")] {
        let a = c.args[k];
        if a == 0 {
            continue;
        }
        if let Some(b) = read_bytes(p, a, structs::fd_set_len(nfds)) {
            let set = structs::fd_set(&b, nfds);
            if set != "[]" {
                parts.push(format!("{name} {set}"));
            }
        }
    }
    if c.args[4] != 0 {
        let left = if c.nr == nr::SELECT {
            read_bytes(p, c.args[4], 16).map(|b| structs::timeval(&b))
        } else {
            Some(timespec(p, c.args[4]))
        };
        if let Some(l) = left {
            parts.push(format!("left {l}"));
        }
    }
    parts.join(", ")
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
        c.exec_path = p.cpu.mem.read_cstr(args[i], PATH_MAX).ok();
    }
    if !t.opts.strace {
        return c;
    }
    let (_, fmts) = row_of(nr);
    for (i, &a) in fmts.iter().enumerate() {
        if a == OutSockLen && args[i] != 0 {
            c.len_in = read_bytes(p, args[i], 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        }
        c.parts.push(if a.is_output() {
            None
        } else {
            Some(fmt_arg(t, p, a, args, i, None).unwrap_or_default())
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
    let sp = p.cpu.reg(emu_cpu::Reg::Rsp);
    let argc = read_u64(p, sp).unwrap_or(0);
    let (argv, envp) = (sp + 8, sp + 16 + 8 * argc);
    let path = quote(&p.exe.clone(), false, false);
    let args = vec![path, strings(t, p, argv, false), strings(t, p, envp, true)];
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
            Some(s) => Some(s),
            None if a == OutSockLen => Some(sock_len(p, c, i, res)),
            None => fmt_arg(t, p, a, &c.args, i, res),
        };
        // Arguments that only exist for some flags or commands format as empty.
        if let Some(s) = part.filter(|s| !s.is_empty() || !matches!(a, OpenMode(_) | Fcntl | Futex)) {
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
    let (ret, errname) = fmt_ret(p, &c, fmts, res);
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
    const WNOHANG: u64 = 1;
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

fn siginfo(i: &SigInfo) -> String {
    let name = sig_name(i.signo);
    let fault = matches!(i.signo, S::SIGSEGV | S::SIGBUS | S::SIGILL | S::SIGFPE | S::SIGTRAP) && i.code > 0;
    let code = match (i.signo, i.code) {
        (_, 0) => "SI_USER".to_string(),
        (_, 0x80) => "SI_KERNEL".to_string(),
        (_, -1) => "SI_QUEUE".to_string(),
        (_, -2) => "SI_TIMER".to_string(),
        (_, -6) => "SI_TKILL".to_string(),
        (S::SIGSEGV, 1) => "SEGV_MAPERR".to_string(),
        (S::SIGSEGV, 2) => "SEGV_ACCERR".to_string(),
        (S::SIGBUS, 1) => "BUS_ADRALN".to_string(),
        (S::SIGBUS, 2) => "BUS_ADRERR".to_string(),
        (S::SIGILL, 2) => "ILL_ILLOPN".to_string(),
        (S::SIGFPE, 1) => "FPE_INTDIV".to_string(),
        (S::SIGFPE, 7) => "FPE_FLTINV".to_string(),
        (S::SIGCHLD, 1..=6) => {
            ["CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"]
                [i.code as usize - 1]
                .to_string()
        }
        (_, c) => c.to_string(),
    };
    let mut s = format!("{{si_signo={name}, si_code={code}");
    if fault {
        s.push_str(&format!(", si_addr={}", ptr(i.addr)));
    } else if i.signo == S::SIGCHLD && (1..=6).contains(&i.code) {
        let status = if i.code == 1 { i.status.to_string() } else { sig_name(i.status) };
        s.push_str(&format!(
            ", si_pid={}, si_uid={}, si_status={status}, si_utime=0, si_stime=0",
            i.pid, i.uid
        ));
    } else if i.code <= 0 {
        s.push_str(&format!(", si_pid={}, si_uid={}", i.pid, i.uid));
        if i.value {
            s.push_str(&format!(", si_int={}, si_ptr={}", i.addr as i32, ptr(i.addr)));
        }
    }
    s.push('}');
    s
}

fn fmt_ret(
    p: &mut Process,
    c: &Call,
    fmts: &[Arg],
    res: Option<&SysResult>,
) -> (String, Option<&'static str>) {
    let Some(res) = res else { return ("?".into(), None) };
    match res {
        Ok(v) => {
            const F_GETFD: u64 = 1;
            const F_GETFL: u64 = 3;
            let ret = table::row(c.nr).map_or(Ret::Int, |r| r.ret);
            let mut s = if ret == Ret::Addr { format!("{v:#x}") } else { (*v as i64).to_string() };
            match ret {
                Ret::Fcntl if c.args[1] == F_GETFL => s = format!("{v:#x} (flags {})", open_flags(*v)),
                Ret::Fcntl if c.args[1] == F_GETFD && *v != 0 => s = format!("{v:#x} (flags FD_CLOEXEC)"),
                Ret::Select => s.push_str(&format!(" ({})", select_result(p, c, *v))),
                _ => {}
            }
            if let Some(k) = fmts.iter().position(|a| matches!(a, PollFds(_))) {
                if *v > 0 {
                    s.push_str(&format!(" ({})", pollfds(p, c.args[k], c.args[k + 1].min(64), true)));
                }
            }
            (s, None)
        }
        Err(e) => {
            let (name, msg) = errno::describe(*e);
            if name == "E?" {
                (format!("-1 E{e} (Unknown error {e})"), None)
            } else {
                (format!("-1 {name} ({msg})"), Some(name))
            }
        }
    }
}

// ---- argument formatting ----

fn ptr(v: u64) -> String {
    if v == 0 {
        "NULL".into()
    } else {
        format!("{v:#x}")
    }
}

fn hex0(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

/// Joins the names of the bits of `v` in `table` with `|`, the rest in hex.
fn flags(v: u64, table: &[(u64, &str)]) -> String {
    let mut rest = v;
    let mut out: Vec<String> = Vec::new();
    for &(bits, name) in table {
        if bits != 0 && rest & bits == bits {
            out.push(name.into());
            rest &= !bits;
        }
    }
    if rest != 0 || out.is_empty() {
        out.push(hex0(rest));
    }
    out.join("|")
}

fn open_flags(v: u64) -> String {
    let acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][(v & 3) as usize];
    let rest = flags(
        v & !3,
        &[
            (0o100, "O_CREAT"),
            (0o200, "O_EXCL"),
            (0o400, "O_NOCTTY"),
            (0o1000, "O_TRUNC"),
            (0o2000, "O_APPEND"),
            (0o4000, "O_NONBLOCK"),
            (0o4010000, "O_SYNC"),
            (0o10000, "O_DSYNC"),
            (0o20000, "O_ASYNC"),
            (0o40000, "O_DIRECT"),
            (0o100000, "O_LARGEFILE"),
            (0o20200000, "O_TMPFILE"),
            (0o200000, "O_DIRECTORY"),
            (0o400000, "O_NOFOLLOW"),
            (0o1000000, "O_NOATIME"),
            (0o2000000, "O_CLOEXEC"),
            (0o10000000, "O_PATH"),
        ],
    );
    if v & !3 == 0 {
        acc.into()
    } else {
        format!("{acc}|{rest}")
    }
}

pub(crate) fn prot(v: u64) -> String {
    if v == 0 {
        return "PROT_NONE".into();
    }
    flags(
        v,
        &[
            (1, "PROT_READ"),
            (2, "PROT_WRITE"),
            (4, "PROT_EXEC"),
            (0x0100_0000, "PROT_GROWSDOWN"),
            (0x0200_0000, "PROT_GROWSUP"),
        ],
    )
}

fn mmap_flags(v: u64) -> String {
    let kind = match v & 3 {
        1 => "MAP_SHARED",
        2 => "MAP_PRIVATE",
        3 => "MAP_SHARED_VALIDATE",
        _ => "0",
    };
    if v & !3 == 0 {
        return kind.into();
    }
    let rest = flags(
        v & !3,
        &[
            (0x10, "MAP_FIXED"),
            (0x20, "MAP_ANONYMOUS"),
            (0x40, "MAP_32BIT"),
            (0x100, "MAP_GROWSDOWN"),
            (0x800, "MAP_DENYWRITE"),
            (0x1000, "MAP_EXECUTABLE"),
            (0x2000, "MAP_LOCKED"),
            (0x4000, "MAP_NORESERVE"),
            (0x8000, "MAP_POPULATE"),
            (0x10000, "MAP_NONBLOCK"),
            (0x20000, "MAP_STACK"),
            (0x40000, "MAP_HUGETLB"),
            (0x80000, "MAP_SYNC"),
            (0x100000, "MAP_FIXED_NOREPLACE"),
        ],
    );
    format!("{kind}|{rest}")
}

fn mode(v: u64) -> String {
    format!("0{:o}", v & 0o7777)
}

fn file_type(m: u32) -> String {
    let t = match m & 0o170000 {
        0o140000 => "S_IFSOCK",
        0o120000 => "S_IFLNK",
        0o100000 => "S_IFREG",
        0o060000 => "S_IFBLK",
        0o040000 => "S_IFDIR",
        0o020000 => "S_IFCHR",
        0o010000 => "S_IFIFO",
        _ => return mode(m as u64),
    };
    format!("{t}|{}", mode(m as u64))
}

/// Signal names as strace prints them (glibc's first real-time signal is SIGRTMIN).
fn sig_name(sig: i32) -> String {
    match sig {
        32 => "SIGRTMIN".into(),
        33..=64 => format!("SIGRT_{}", sig - 32),
        _ => S::name(sig),
    }
}

fn sigset(set: u64) -> String {
    let names = |bits: u64| -> String {
        (1..=64)
            .filter(|s| bits & (1u64 << (s - 1)) != 0)
            .map(|s| sig_name(s).trim_start_matches("SIG").to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    if set.count_ones() > 32 {
        format!("~[{}]", names(!set))
    } else {
        format!("[{}]", names(set))
    }
}

/// A quoted string the way strace prints it: C escapes, octal for other bytes, and
/// `...` after the closing quote when it was cut.
pub(crate) fn quote(s: &[u8], cut: bool, hex: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for (i, &c) in s.iter().enumerate() {
        if hex {
            out.push_str(&format!("\\x{c:02x}"));
            continue;
        }
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b' '..=b'~' => out.push(c as char),
            _ => {
                out.push('\\');
                let next_digit = s.get(i + 1).is_some_and(|d| (b'0'..=b'7').contains(d));
                if next_digit {
                    out.push_str(&format!("{c:03o}"));
                } else {
                    out.push_str(&format!("{c:o}"));
                }
            }
        }
    }
    out.push('"');
    if cut {
        out.push_str("...");
    }
    out
}

fn read_u64(p: &mut Process, addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    p.cpu.mem.read(addr, &mut b).ok()?;
    Some(u64::from_le_bytes(b))
}

fn read_bytes(p: &mut Process, addr: u64, len: usize) -> Option<Vec<u8>> {
    let mut b = vec![0u8; len];
    p.cpu.mem.read(addr, &mut b).ok()?;
    Some(b)
}

/// A buffer of `len` bytes at `addr`, cut at the string limit.
fn buf(t: &mut Trace, p: &mut Process, addr: u64, len: u64, hex: bool) -> String {
    let lim = t.st.strlen as u64;
    match read_bytes(p, addr, len.min(lim) as usize) {
        Some(b) => quote(&b, len > lim, hex),
        None => ptr(addr),
    }
}

fn cstr(p: &mut Process, addr: u64, limit: usize) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match p.cpu.mem.read_cstr(addr, limit + 1) {
        Ok(s) if s.len() > limit => quote(&s[..limit], true, false),
        Ok(s) => quote(&s, false, false),
        Err(_) => ptr(addr),
    }
}

fn timespec(p: &mut Process, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match read_bytes(p, addr, 16) {
        Some(b) => format!(
            "{{tv_sec={}, tv_nsec={}}}",
            i64::from_le_bytes(b[0..8].try_into().expect("8")),
            i64::from_le_bytes(b[8..16].try_into().expect("8"))
        ),
        None => ptr(addr),
    }
}

fn itimerval(p: &mut Process, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    let Some(b) = read_bytes(p, addr, 32) else { return ptr(addr) };
    let w = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8"));
    format!(
        "{{it_interval={{tv_sec={}, tv_usec={}}}, it_value={{tv_sec={}, tv_usec={}}}}}",
        w(0),
        w(1),
        w(2),
        w(3)
    )
}

fn stat(p: &mut Process, addr: u64) -> String {
    let Some(b) = read_bytes(p, addr, 144) else { return ptr(addr) };
    let m = u32::from_le_bytes(b[24..28].try_into().expect("4"));
    let rdev = u64::from_le_bytes(b[40..48].try_into().expect("8"));
    let size = i64::from_le_bytes(b[48..56].try_into().expect("8"));
    if matches!(m & 0o170000, 0o020000 | 0o060000) {
        let (ma, mi) = (crate::abi::major(rdev), crate::abi::minor(rdev));
        format!("{{st_mode={}, st_rdev=makedev({ma:#x}, {mi:#x}), ...}}", file_type(m))
    } else {
        format!("{{st_mode={}, st_size={size}, ...}}", file_type(m))
    }
}

fn statx(p: &mut Process, addr: u64) -> String {
    let Some(b) = read_bytes(p, addr, 48) else { return ptr(addr) };
    let mask = u32::from_le_bytes(b[0..4].try_into().expect("4")) as u64;
    let attrs = u64::from_le_bytes(b[8..16].try_into().expect("8"));
    let m = u16::from_le_bytes(b[28..30].try_into().expect("2")) as u32;
    let size = u64::from_le_bytes(b[40..48].try_into().expect("8"));
    format!(
        "{{stx_mask={}, stx_attributes={}, stx_mode={}, stx_size={size}, ...}}",
        statx_mask(mask),
        hex0(attrs),
        file_type(m)
    )
}

fn statx_mask(v: u64) -> String {
    flags(
        v,
        &[
            (0x7ff, "STATX_BASIC_STATS"),
            (1, "STATX_TYPE"),
            (2, "STATX_MODE"),
            (4, "STATX_NLINK"),
            (8, "STATX_UID"),
            (0x10, "STATX_GID"),
            (0x20, "STATX_ATIME"),
            (0x40, "STATX_MTIME"),
            (0x80, "STATX_CTIME"),
            (0x100, "STATX_INO"),
            (0x200, "STATX_SIZE"),
            (0x400, "STATX_BLOCKS"),
            (0x800, "STATX_BTIME"),
            (0x1000, "STATX_MNT_ID"),
            (0x2000, "STATX_DIOALIGN"),
        ],
    )
}

fn iovec(t: &mut Trace, p: &mut Process, addr: u64, n: u64, total: Option<u64>) -> String {
    let mut left = total.unwrap_or(u64::MAX);
    let mut parts = Vec::new();
    for i in 0..n.min(16) {
        let (Some(base), Some(len)) = (read_u64(p, addr + i * 16), read_u64(p, addr + i * 16 + 8)) else {
            return ptr(addr);
        };
        let show = len.min(left);
        left -= show;
        parts.push(format!("{{iov_base={}, iov_len={len}}}", buf(t, p, base, show, false)));
    }
    if n > 16 {
        parts.push("...".into());
    }
    format!("[{}]", parts.join(", "))
}

fn poll_events(v: u64) -> String {
    flags(
        v,
        &[
            (1, "POLLIN"),
            (2, "POLLPRI"),
            (4, "POLLOUT"),
            (8, "POLLERR"),
            (0x10, "POLLHUP"),
            (0x20, "POLLNVAL"),
            (0x40, "POLLRDNORM"),
            (0x80, "POLLRDBAND"),
            (0x100, "POLLWRNORM"),
            (0x200, "POLLWRBAND"),
            (0x2000, "POLLRDHUP"),
        ],
    )
}

fn pollfds(p: &mut Process, addr: u64, n: u64, revents: bool) -> String {
    let Some(b) = read_bytes(p, addr, n as usize * 8) else { return ptr(addr) };
    let parts: Vec<String> = b
        .chunks(8)
        .filter_map(|e| {
            let fd = i32::from_le_bytes(e[0..4].try_into().expect("4"));
            let ev = u16::from_le_bytes(e[4..6].try_into().expect("2")) as u64;
            let rev = u16::from_le_bytes(e[6..8].try_into().expect("2")) as u64;
            match revents {
                false => Some(format!("{{fd={fd}, events={}}}", poll_events(ev))),
                true if rev != 0 => Some(format!("{{fd={fd}, revents={}}}", poll_events(rev))),
                true => None,
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn sigaction(p: &mut Process, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    let Some(b) = read_bytes(p, addr, 32) else { return ptr(addr) };
    let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8"));
    let (h, fl, restorer, mask) = (w(0), w(1), w(2), w(3));
    let handler = match h {
        0 => "SIG_DFL".into(),
        1 => "SIG_IGN".into(),
        h => format!("{h:#x}"),
    };
    let fls = flags(
        fl,
        &[
            (0x0400_0000, "SA_RESTORER"),
            (0x0800_0000, "SA_ONSTACK"),
            (0x1000_0000, "SA_RESTART"),
            (0x4000_0000, "SA_NODEFER"),
            (0x8000_0000, "SA_RESETHAND"),
            (4, "SA_SIGINFO"),
            (1, "SA_NOCLDSTOP"),
            (2, "SA_NOCLDWAIT"),
        ],
    );
    let mut s = format!("{{sa_handler={handler}, sa_mask={}, sa_flags={fls}", sigset(mask));
    if fl & 0x0400_0000 != 0 {
        s.push_str(&format!(", sa_restorer={restorer:#x}"));
    }
    s.push('}');
    s
}

fn strings(t: &mut Trace, p: &mut Process, addr: u64, env: bool) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    let mut items = Vec::new();
    let mut a = addr;
    loop {
        let Some(sp) = read_u64(p, a) else { return ptr(addr) };
        if sp == 0 {
            break;
        }
        items.push(sp);
        a += 8;
        if items.len() > 4096 {
            break;
        }
    }
    if env {
        return format!("{addr:#x} /* {} vars */", items.len());
    }
    let lim = t.st.strlen;
    let shown: Vec<String> = items.iter().map(|&sp| cstr(p, sp, lim)).collect();
    format!("[{}]", shown.join(", "))
}

fn resource(v: u64) -> String {
    const N: [&str; 16] = [
        "RLIMIT_CPU",
        "RLIMIT_FSIZE",
        "RLIMIT_DATA",
        "RLIMIT_STACK",
        "RLIMIT_CORE",
        "RLIMIT_RSS",
        "RLIMIT_NPROC",
        "RLIMIT_NOFILE",
        "RLIMIT_MEMLOCK",
        "RLIMIT_AS",
        "RLIMIT_LOCKS",
        "RLIMIT_SIGPENDING",
        "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE",
        "RLIMIT_RTPRIO",
        "RLIMIT_RTTIME",
    ];
    N.get(v as usize).map_or_else(|| v.to_string(), |s| s.to_string())
}

fn rlim(v: u64) -> String {
    match v {
        u64::MAX => "RLIM64_INFINITY".into(),
        v if v > 0 && v % 1024 == 0 => format!("{}*1024", v / 1024),
        v => v.to_string(),
    }
}

fn rlimit(p: &mut Process, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match (read_u64(p, addr), read_u64(p, addr + 8)) {
        (Some(c), Some(m)) => format!("{{rlim_cur={}, rlim_max={}}}", rlim(c), rlim(m)),
        _ => ptr(addr),
    }
}

fn clone_args(p: &mut Process, a: &[u64; 6]) -> String {
    let fl = a[0];
    let sig = fl & 0xff;
    let mut names = flags(
        fl & !0xff,
        &[
            (0x100, "CLONE_VM"),
            (0x200, "CLONE_FS"),
            (0x400, "CLONE_FILES"),
            (0x800, "CLONE_SIGHAND"),
            (0x1000, "CLONE_PIDFD"),
            (0x2000, "CLONE_PTRACE"),
            (0x4000, "CLONE_VFORK"),
            (0x8000, "CLONE_PARENT"),
            (0x10000, "CLONE_THREAD"),
            (0x20000, "CLONE_NEWNS"),
            (0x40000, "CLONE_SYSVSEM"),
            (0x80000, "CLONE_SETTLS"),
            (0x100000, "CLONE_PARENT_SETTID"),
            (0x200000, "CLONE_CHILD_CLEARTID"),
            (0x400000, "CLONE_DETACHED"),
            (0x800000, "CLONE_UNTRACED"),
            (0x1000000, "CLONE_CHILD_SETTID"),
        ],
    );
    if sig != 0 {
        names =
            if fl & !0xff == 0 { sig_name(sig as i32) } else { format!("{names}|{}", sig_name(sig as i32)) };
    }
    let _ = p;
    let mut s = format!("child_stack={}, flags={names}", ptr(a[1]));
    if fl & 0x100000 != 0 {
        s.push_str(&format!(", parent_tid={}", ptr(a[2])));
    }
    if fl & 0x0120_0000 != 0 {
        s.push_str(&format!(", child_tidptr={}", ptr(a[3])));
    }
    if fl & 0x80000 != 0 {
        s.push_str(&format!(", tls={}", ptr(a[4])));
    }
    s
}

fn fcntl_args(a: &[u64; 6]) -> String {
    let cmd = a[1];
    let name = match cmd {
        0 => "F_DUPFD",
        1 => "F_GETFD",
        2 => "F_SETFD",
        3 => "F_GETFL",
        4 => "F_SETFL",
        5 => "F_GETLK",
        6 => "F_SETLK",
        7 => "F_SETLKW",
        8 => "F_SETOWN",
        9 => "F_GETOWN",
        1030 => "F_DUPFD_CLOEXEC",
        1031 => "F_SETPIPE_SZ",
        1032 => "F_GETPIPE_SZ",
        1033 => "F_ADD_SEALS",
        1034 => "F_GET_SEALS",
        _ => return format!("{cmd:#x}, {:#x}", a[2]),
    };
    match cmd {
        1 | 3 | 9 | 1032 | 1034 => name.into(),
        2 => format!("{name}, {}", if a[2] & 1 != 0 { "FD_CLOEXEC" } else { "0" }),
        4 => format!("{name}, {}", open_flags(a[2])),
        0 | 1030 | 8 | 1031 => format!("{name}, {}", a[2] as i32),
        _ => format!("{name}, {}", ptr(a[2])),
    }
}

fn futex_args(p: &mut Process, a: &[u64; 6]) -> String {
    let op = a[1];
    let base = op & 0x7f;
    let names = [
        "FUTEX_WAIT",
        "FUTEX_WAKE",
        "FUTEX_FD",
        "FUTEX_REQUEUE",
        "FUTEX_CMP_REQUEUE",
        "FUTEX_WAKE_OP",
        "FUTEX_LOCK_PI",
        "FUTEX_UNLOCK_PI",
        "FUTEX_TRYLOCK_PI",
        "FUTEX_WAIT_BITSET",
        "FUTEX_WAKE_BITSET",
        "FUTEX_WAIT_REQUEUE_PI",
        "FUTEX_CMP_REQUEUE_PI",
    ];
    let mut s = names.get(base as usize).map_or_else(|| base.to_string(), |s| s.to_string());
    if op & 0x80 != 0 {
        s.push_str("_PRIVATE");
    }
    if op & 0x100 != 0 {
        s.push_str("|FUTEX_CLOCK_REALTIME");
    }
    let val = a[2] as i32;
    match base {
        0 => format!("{s}, {val}, {}", timespec(p, a[3])),
        9 => {
            let mask = if a[5] as u32 == u32::MAX { "FUTEX_BITSET_MATCH_ANY".into() } else { hex0(a[5]) };
            format!("{s}, {val}, {}, {mask}", timespec(p, a[3]))
        }
        1 | 7 | 8 => format!("{s}, {val}"),
        10 => format!("{s}, {val}, NULL, {}", hex0(a[5])),
        3 => format!("{s}, {val}, {}, {}", a[3] as i32, ptr(a[4])),
        4 => format!("{s}, {val}, {}, {}, {}", a[3] as i32, ptr(a[4]), a[5] as i32),
        _ => format!("{s}, {val}, {}, {}, {}", ptr(a[3]), ptr(a[4]), hex0(a[5])),
    }
}

fn prctl_args(p: &mut Process, a: &[u64; 6], ok: bool) -> String {
    let name = match a[0] {
        1 => "PR_SET_PDEATHSIG",
        2 => "PR_GET_PDEATHSIG",
        3 => "PR_GET_DUMPABLE",
        4 => "PR_SET_DUMPABLE",
        15 => "PR_SET_NAME",
        16 => "PR_GET_NAME",
        23 => "PR_CAPBSET_READ",
        36 => "PR_SET_CHILD_SUBREAPER",
        37 => "PR_GET_CHILD_SUBREAPER",
        38 => "PR_SET_NO_NEW_PRIVS",
        39 => "PR_GET_NO_NEW_PRIVS",
        41 => "PR_SET_THP_DISABLE",
        42 => "PR_GET_THP_DISABLE",
        0x5356_4d41 => "PR_SET_VMA",
        o => return format!("{o:#x}, {}, {}, {}, {}", hex0(a[1]), hex0(a[2]), hex0(a[3]), hex0(a[4])),
    };
    match a[0] {
        1 => format!("{name}, {}", if a[1] == 0 { "0".into() } else { sig_name(a[1] as i32) }),
        2 => format!("{name}, {}", ptr(a[1])),
        15 => format!("{name}, {}", cstr(p, a[1], 16)),
        16 if ok => format!("{name}, {}", cstr(p, a[1], 16)),
        16 => format!("{name}, {}", ptr(a[1])),
        3 | 37 | 39 | 42 => name.into(),
        4 | 23 | 36 | 38 | 41 => format!("{name}, {}", a[1]),
        _ => format!("{name}, {}, {}, {}, {}", hex0(a[1]), hex0(a[2]), hex0(a[3]), hex0(a[4])),
    }
}

fn dirents(p: &mut Process, addr: u64, len: u64) -> String {
    let Some(b) = read_bytes(p, addr, len as usize) else { return ptr(addr) };
    let mut n = 0;
    let mut off = 0usize;
    while off + 19 <= b.len() {
        let reclen = u16::from_le_bytes([b[off + 16], b[off + 17]]) as usize;
        if reclen == 0 {
            break;
        }
        n += 1;
        off += reclen;
    }
    format!("{addr:#x} /* {n} entries */")
}

fn utsname(p: &mut Process, addr: u64) -> String {
    let Some(b) = read_bytes(p, addr, 65 * 2) else { return ptr(addr) };
    let field = |i: usize| {
        let f = &b[i * 65..i * 65 + 65];
        quote(&f[..f.iter().position(|&c| c == 0).unwrap_or(65)], false, false)
    };
    format!("{{sysname={}, nodename={}, ...}}", field(0), field(1))
}

fn wait_status(p: &mut Process, addr: u64) -> String {
    let Some(b) = read_bytes(p, addr, 4) else { return ptr(addr) };
    let s = i32::from_le_bytes(b.try_into().expect("4"));
    let text = if s & 0x7f == 0 {
        format!("WIFEXITED(s) && WEXITSTATUS(s) == {}", (s >> 8) & 0xff)
    } else if s & 0xff == 0x7f {
        format!("WIFSTOPPED(s) && WSTOPSIG(s) == {}", sig_name((s >> 8) & 0xff))
    } else if s == 0xffff {
        "WIFCONTINUED(s)".into()
    } else {
        let core = if s & 0x80 != 0 { " && WCOREDUMP(s)" } else { "" };
        format!("WIFSIGNALED(s) && WTERMSIG(s) == {}{core}", sig_name(s & 0x7f))
    };
    format!("[{{{text}}}]")
}

/// Formats argument `i` (`a[i]`) as `arg` says. Outputs get `res` (the call's result);
/// `None` means the argument is not shown at all.
fn fmt_arg(
    t: &mut Trace,
    p: &mut Process,
    arg: Arg,
    a: &[u64; 6],
    i: usize,
    res: Option<&SysResult>,
) -> Option<String> {
    let v = a[i];
    let ok = match res {
        Some(Ok(r)) => Some(*r),
        _ => None,
    };
    Some(match arg {
        Int => (v as i32).to_string(),
        Long => (v as i64).to_string(),
        Uint => v.to_string(),
        Ptr => ptr(v),
        Hex => hex0(v),
        Mode => mode(v),
        OpenMode(k) => {
            if a[k as usize] & (0o100 | 0o20000000) != 0 {
                mode(v)
            } else {
                return Some(String::new());
            }
        }
        Fd => (v as i32).to_string(),
        DirFd if v as i32 == crate::abi::AT_FDCWD => "AT_FDCWD".into(),
        DirFd => (v as i32).to_string(),
        Path => cstr(p, v, PATH_MAX),
        Buf(k) => buf(t, p, v, a[k as usize], false),
        OutBuf | OutHex => match ok {
            Some(n) => buf(t, p, v, n, arg == OutHex),
            None => ptr(v),
        },
        OutStr => match ok {
            Some(_) => cstr(p, v, PATH_MAX),
            None => ptr(v),
        },
        OpenFlags => open_flags(v),
        FdFlags => flags(v, &[(0o4000, "O_NONBLOCK"), (0o40000, "O_DIRECT"), (0o2000000, "O_CLOEXEC")]),
        Prot => prot(v),
        MmapFlags => mmap_flags(v),
        MremapFlags => flags(v, &[(1, "MREMAP_MAYMOVE"), (2, "MREMAP_FIXED"), (4, "MREMAP_DONTUNMAP")]),
        AtFlags => flags(
            v,
            &[
                (0x100, "AT_SYMLINK_NOFOLLOW"),
                (0x200, "AT_REMOVEDIR"),
                (0x400, "AT_SYMLINK_FOLLOW"),
                (0x800, "AT_NO_AUTOMOUNT"),
                (0x1000, "AT_EMPTY_PATH"),
                (0x2000, "AT_STATX_FORCE_SYNC"),
                (0x4000, "AT_STATX_DONT_SYNC"),
                (0x8000, "AT_RECURSIVE"),
            ],
        ),
        StatxFlags => {
            let sync = match v & 0x6000 {
                0 => "AT_STATX_SYNC_AS_STAT",
                0x2000 => "AT_STATX_FORCE_SYNC",
                0x4000 => "AT_STATX_DONT_SYNC",
                _ => "AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC",
            };
            match v & !0x6000 {
                0 => sync.into(),
                rest => format!("{sync}|{}", fmt_arg(t, p, AtFlags, &[rest, 0, 0, 0, 0, 0], 0, None)?),
            }
        }
        StatxMask => statx_mask(v),
        Access if v == 0 => "F_OK".into(),
        Access => flags(v, &[(4, "R_OK"), (2, "W_OK"), (1, "X_OK")]),
        Whence => ["SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"]
            .get(v as usize)
            .map_or_else(|| v.to_string(), |s| s.to_string()),
        ClockId => [
            "CLOCK_REALTIME",
            "CLOCK_MONOTONIC",
            "CLOCK_PROCESS_CPUTIME_ID",
            "CLOCK_THREAD_CPUTIME_ID",
            "CLOCK_MONOTONIC_RAW",
            "CLOCK_REALTIME_COARSE",
            "CLOCK_MONOTONIC_COARSE",
            "CLOCK_BOOTTIME",
        ]
        .get(v as usize)
        .map_or_else(|| (v as i32).to_string(), |s| s.to_string()),
        Signal if v == 0 => "0".into(),
        Signal => sig_name(v as i32),
        SigSet | OutSigSet if v == 0 => "NULL".into(),
        SigSet => read_u64(p, v).map_or_else(|| ptr(v), sigset),
        OutSigSet => match ok {
            Some(_) => read_u64(p, v).map_or_else(|| ptr(v), sigset),
            None => ptr(v),
        },
        SigHow => ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"]
            .get(v as usize)
            .map_or_else(|| v.to_string(), |s| s.to_string()),
        SigAction => sigaction(p, v),
        SigreturnMask => {
            let uc = p.cpu.reg(emu_cpu::Reg::Rsp);
            read_u64(p, uc + crate::abi::frame::Ucontext::SIGMASK_OFFSET as u64)
                .map_or_else(|| ptr(uc), |m| format!("{{mask={}}}", sigset(m)))
        }
        OutSigAction => match ok {
            Some(_) => sigaction(p, v),
            None => ptr(v),
        },
        OutStat | OutStatx | OutTimespec | OutFds | OutWaitStatus | OutUtsname | OutRlimit if v == 0 => {
            "NULL".into()
        }
        OutStat | OutStatx | OutFds | OutUtsname | OutRlimit | OutTimespec | OutWaitStatus
            if ok.is_none() =>
        {
            ptr(v)
        }
        OutStat => stat(p, v),
        OutStatx => statx(p, v),
        Timespec | OutTimespec => timespec(p, v),
        ItimerWhich => ["ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF"]
            .get(v as usize)
            .map_or_else(|| (v as i32).to_string(), |s| s.to_string()),
        Itimerval => itimerval(p, v),
        OutItimerval => match ok {
            Some(_) => itimerval(p, v),
            None => ptr(v),
        },
        Iovec(k) => iovec(t, p, v, a[k as usize], None),
        OutIovec(k) => match ok {
            Some(n) => iovec(t, p, v, a[k as usize], Some(n)),
            None => ptr(v),
        },
        PollFds(k) => pollfds(p, v, a[k as usize].min(64), false),
        OutFds => match (read_bytes(p, v, 8), ok) {
            (Some(b), Some(_)) => format!(
                "[{}, {}]",
                i32::from_le_bytes(b[0..4].try_into().expect("4")),
                i32::from_le_bytes(b[4..8].try_into().expect("4"))
            ),
            _ => ptr(v),
        },
        OutWaitStatus => match ok {
            Some(pid) if pid != 0 => wait_status(p, v),
            _ => ptr(v),
        },
        OutDirents => match ok {
            Some(n) => dirents(p, v, n),
            None => ptr(v),
        },
        OutUtsname => utsname(p, v),
        Argv => strings(t, p, v, false),
        Envp => strings(t, p, v, true),
        Clone => clone_args(p, a),
        Fcntl => fcntl_args(a),
        Futex => futex_args(p, a),
        ArchPrctl => match v {
            0x1001 => "ARCH_SET_GS".into(),
            0x1002 => "ARCH_SET_FS".into(),
            0x1003 => "ARCH_GET_FS".into(),
            0x1004 => "ARCH_GET_GS".into(),
            0x1011 => "ARCH_GET_CPUID".into(),
            0x1012 => "ARCH_SET_CPUID".into(),
            0x3001 => "ARCH_CET_STATUS".into(),
            v => hex0(v),
        },
        Prctl => prctl_args(p, a, ok.is_some()),
        Ioctl => match v {
            0x5401 => "TCGETS".into(),
            // As strace names them: the numbers are shared with OSS sound timer ioctls.
            0x5402 => "SNDCTL_TMR_START or TCSETS".into(),
            0x5403 => "SNDCTL_TMR_STOP or TCSETSW".into(),
            0x5404 => "SNDCTL_TMR_CONTINUE or TCSETSF".into(),
            0x540f => "TIOCGPGRP".into(),
            0x5410 => "TIOCSPGRP".into(),
            0x5413 => "TIOCGWINSZ".into(),
            0x5414 => "TIOCSWINSZ".into(),
            0x541b => "FIONREAD".into(),
            0x5421 => "FIONBIO".into(),
            0x5451 => "FIOCLEX".into(),
            v => hex0(v),
        },
        FdSet(_) if v == 0 => "NULL".into(),
        FdSet(k) => {
            let nfds = (a[k as usize] as i32).clamp(0, 1024) as usize;
            read_bytes(p, v, structs::fd_set_len(nfds)).map_or_else(|| ptr(v), |b| structs::fd_set(&b, nfds))
        }
        Timeval | PselectSig | SockAddr(_) | StackT | OutStackT if v == 0 => "NULL".into(),
        Timeval => read_bytes(p, v, 16).map_or_else(|| ptr(v), |b| structs::timeval(&b)),
        PselectSig => match read_bytes(p, v, 16) {
            Some(b) => {
                let (set, size) = (u64::from_le_bytes(b[0..8].try_into().expect("8")), &b[8..16]);
                let set =
                    if set == 0 { "NULL".into() } else { read_u64(p, set).map_or_else(|| ptr(set), sigset) };
                format!("{{sigmask={set}, sigsetsize={}}}", u64::from_le_bytes(size.try_into().expect("8")))
            }
            None => ptr(v),
        },
        SockAddr(k) => {
            let len = (a[k as usize] as usize).min(128);
            read_bytes(p, v, len).map_or_else(|| ptr(v), |b| structs::sockaddr(&b))
        }
        OutSockAddr(k) => {
            let len = read_bytes(p, a[k as usize], 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            match (ok, len) {
                _ if v == 0 => "NULL".into(),
                (Some(_), Some(n)) if n > 0 => {
                    read_bytes(p, v, (n as usize).min(128)).map_or_else(|| ptr(v), |b| structs::sockaddr(&b))
                }
                _ => ptr(v),
            }
        }
        OutSockLen => ptr(v),
        SockFamily => structs::family(v),
        SockType => structs::sock_type(v),
        SockProto(k) => structs::protocol(a[k as usize], v),
        MsgFlags if v == 0 => "0".into(),
        MsgFlags => flags(v, structs::MSG_FLAGS),
        StackT => read_bytes(p, v, 24).map_or_else(|| ptr(v), |b| structs::stack_t(&b)),
        OutStackT => match ok {
            Some(_) => read_bytes(p, v, 24).map_or_else(|| ptr(v), |b| structs::stack_t(&b)),
            None => ptr(v),
        },
        IoctlData => match a[1] {
            // TCGETS fills a termios; TCSETS, TCSETSW, TCSETSF read one.
            0x5401 if ok.is_none() => ptr(v),
            0x5401..=0x5404 if v != 0 => {
                read_bytes(p, v, 36).map_or_else(|| ptr(v), |b| structs::termios(&b))
            }
            _ => ptr(v),
        },
        Resource => resource(v),
        OutRlimit => rlimit(p, v),
        Rlimit => rlimit(p, v),
        Madvise => match v {
            0 => "MADV_NORMAL".into(),
            1 => "MADV_RANDOM".into(),
            2 => "MADV_SEQUENTIAL".into(),
            3 => "MADV_WILLNEED".into(),
            4 => "MADV_DONTNEED".into(),
            8 => "MADV_FREE".into(),
            9 => "MADV_REMOVE".into(),
            10 => "MADV_DONTFORK".into(),
            11 => "MADV_DOFORK".into(),
            12 => "MADV_MERGEABLE".into(),
            14 => "MADV_HUGEPAGE".into(),
            15 => "MADV_NOHUGEPAGE".into(),
            v => v.to_string(),
        },
        GrndFlags => flags(v, &[(1, "GRND_NONBLOCK"), (2, "GRND_RANDOM"), (4, "GRND_INSECURE")]),
        WaitOptions => flags(
            v,
            &[
                (1, "WNOHANG"),
                (2, "WUNTRACED"),
                (4, "WEXITED"),
                (8, "WCONTINUED"),
                (0x0100_0000, "WNOWAIT"),
                (0x2000_0000, "__WNOTHREAD"),
                (0x4000_0000, "__WALL"),
                (0x8000_0000, "__WCLONE"),
            ],
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_strace() {
        assert_eq!(quote(b"a\"b\\\n\t", false, false), r#""a\"b\\\n\t""#);
        // Octal is as short as possible unless a digit follows.
        assert_eq!(quote(b"\x7fELF\x02\x01\x001", true, false), r#""\177ELF\2\1\0001"..."#);
        assert_eq!(quote(b"\xf1\x4a", false, true), r#""\xf1\x4a""#);
    }

    #[test]
    fn flags_by_name() {
        assert_eq!(open_flags(0o2000000), "O_RDONLY|O_CLOEXEC");
        assert_eq!(open_flags(0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(open_flags(0o4010002), "O_RDWR|O_SYNC");
        assert_eq!(prot(0), "PROT_NONE");
        assert_eq!(prot(5), "PROT_READ|PROT_EXEC");
        assert_eq!(mmap_flags(0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(mmap_flags(0x812), "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE");
        assert_eq!(sigset(0), "[]");
        assert_eq!(sigset(1 << 16), "[CHLD]");
        assert_eq!(sigset(!(3u64 << 31)), "~[RTMIN RT_1]");
        assert_eq!(file_type(0o100644), "S_IFREG|0644");
        assert_eq!(flags(0x8000_0001, &[(1, "A")]), "A|0x80000000");
    }
}
