//! Syscalls and checkpoints under record and replay: the run loop's side of the log
//! ([`Log`]), beside the process's world (`super::world`), with which it shares the
//! recorder or player.
//!
//! Syscalls fall in two classes:
//! - **internal**: deterministic given emu's state (memory management, signal actions and
//!   masks, futexes, threads, fork, execve, exit, the fd table's dup/close...). Replay
//!   re-executes them; whatever they take from the outside (a file mapping's bytes, the
//!   loader's files, a forked child's pid) comes through the world, which logs it.
//! - **outside-world**: everything else (reads, writes, stat, poll, wait4, ...). Recording
//!   runs them and logs their effect: rax and rip after the call, every byte written to
//!   guest memory, the descriptor-table changes, signals they made pending, whether the
//!   thread parked. Replay never runs them: it applies the effect, with placeholder
//!   descriptors for files it never opens. Writes to emu's own stdout/stderr are still
//!   performed so the output appears; wait4 also reaps the replaying child.
//!
//! Every syscall logs where it was made (instruction count, rip, a hash of the
//! registers): that is replay's divergence check.

use super::event::{Effect, FdChange, Sys};
use super::{End, Player, Recorder};
use crate::abi::io::Iovec;
use crate::abi::signal as S;
use crate::fd::{FdEntry, OpenFile};
use crate::signal::SigInfo;
use crate::sys::table::{self, nr, Replay};
use crate::thread::Wait;
use crate::trace::{self, Trace};
use crate::{host, sys, Process};
use emu_cpu::Reg;
use std::cell::{RefCell, RefMut};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};

/// The run loop's side of a recorded or replayed run.
pub(crate) struct Log {
    side: Side,
    /// The open file descriptions of emu's own stdout and stderr (the guest's first fds 1
    /// and 2): writes to them are numbered across the process tree.
    stdio: Vec<Weak<RefCell<OpenFile>>>,
    /// The process tree's count of writes to emu's stdout/stderr (it orders the output of
    /// replayed processes as recorded).
    output_seq: Option<&'static AtomicU64>,
    /// Replay under gdb going backwards: output of syscalls made at or before this
    /// instruction count was written already, by the run that first got there.
    pub(crate) written_until: std::cell::Cell<Option<u64>>,
}

enum Side {
    Record(Rc<RefCell<Recorder>>),
    Replay(Rc<RefCell<Player>>),
}

impl Log {
    pub(crate) fn record(rec: Rc<RefCell<Recorder>>) -> Log {
        Log::new(Side::Record(rec))
    }

    pub(crate) fn replay(player: Rc<RefCell<Player>>) -> Log {
        Log::new(Side::Replay(player))
    }

    fn new(side: Side) -> Log {
        Log { side, stdio: Vec::new(), output_seq: host::shared_counter(), written_until: Default::default() }
    }

    /// Notes which descriptions are emu's stdout and stderr (at spawn).
    pub(crate) fn note_stdio(&mut self, p: &Process) {
        self.stdio = (1..3).filter_map(|fd| p.fds.get(fd).ok().map(|e| Rc::downgrade(&e.file))).collect();
    }

    fn is_stdio(&self, p: &Process, fd: u64) -> bool {
        let Ok(f) = p.fds.file(fd as i32 as i64) else { return false };
        self.stdio.iter().any(|w| std::ptr::eq(w.as_ptr(), Rc::as_ptr(&f)))
    }

    /// Whether this is a replay (not a recording).
    pub(crate) fn replaying(&self) -> bool {
        matches!(self.side, Side::Replay(_))
    }

    fn player(&self) -> Option<RefMut<'_, Player>> {
        match &self.side {
            Side::Replay(p) => Some(p.borrow_mut()),
            Side::Record(_) => None,
        }
    }

    /// Runs `f` on the recorder, if recording and not inside a recorded syscall.
    fn record_with(&self, f: impl FnOnce(&mut Recorder)) {
        if let Side::Record(r) = &self.side {
            let mut r = r.borrow_mut();
            if !r.quiet {
                f(&mut r)
            }
        }
    }

    /// Recording: whether the world's answers are logged on their own (not while a
    /// syscall whose whole effect is recorded runs).
    fn set_quiet(&self, q: bool) {
        if let Side::Record(r) = &self.side {
            r.borrow_mut().quiet = q;
        }
    }

    /// The process ends: write the end of the log, or check it.
    pub(crate) fn finish(&self, end: End) {
        match &self.side {
            Side::Record(r) => {
                let mut r = r.borrow_mut();
                if !r.quiet {
                    r.finish(end);
                }
            }
            Side::Replay(p) => p.borrow_mut().check_end(end),
        }
    }
}

/// Replay: waits (a bounded time) until the writes numbered before `ticket` are done.
fn wait_turn(log: &Log, ticket: u64) {
    let Some(seq) = log.output_seq else { return };
    let start = std::time::Instant::now();
    // A process that departed from the recording may never write its turn: give up
    // waiting after a while rather than hang.
    while seq.load(Ordering::Acquire) + 1 < ticket && start.elapsed() < std::time::Duration::from_secs(2) {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

/// Syscalls replay re-executes (see the module doc); the table says which.
fn internal(p: &Process, nr: u64, a: &[u64; 6]) -> bool {
    let Some(row) = table::row(nr) else { return true };
    match row.replay {
        Replay::Internal => true,
        Replay::Outside => false,
        Replay::SignalsSelf => a[0] as i32 == p.world().pid(),
        Replay::SignalsOwnThread => p.threads.iter().any(|t| t.tid as u64 == a[0]),
    }
}

/// 32-bit FNV-1a over the registers a run's course depends on: rax..r15, rip, then each
/// YMM register (XMM part, then upper half) and MXCSR, little-endian.
fn regs_hash(p: &Process) -> u32 {
    cpu_hash(&p.cpu)
}

fn cpu_hash(c: &emu_cpu::Cpu) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ b as u32).wrapping_mul(0x0100_0193);
        }
    };
    for r in c.gprs().iter().chain([c.rip].iter()) {
        eat(&r.to_le_bytes());
    }
    for (x, y) in c.xmm.iter().zip(&c.ymmh) {
        eat(&x.to_le_bytes());
        eat(&y.to_le_bytes());
    }
    eat(&c.mxcsr.to_le_bytes());
    h
}

/// The run loop stopped (after `World::at`): record a periodic checkpoint when one is
/// due, or check the recorded one when replay reached it.
pub(crate) fn checkpoint(log: &Log, p: &mut Process) {
    let now = p.world().icount();
    if let Some(mut pl) = log.player() {
        pl.site.note(p);
        if pl.killed_by(now) {
            return p.end_by_sigkill();
        }
        if let Some((rip, regs)) = pl.take_check(now) {
            let (my_rip, my_regs) = (p.cpu.rip, regs_hash(p));
            if (rip, regs) != (my_rip, my_regs) {
                pl.diverged(format!(
                    "checkpoint recorded at rip {} with register hash {regs:08x}, this run is at rip {} with \
                     register hash {my_regs:08x}",
                    pl.site.addr(rip),
                    pl.site.addr(my_rip)
                ));
            }
        }
        return;
    }
    log.record_with(|r| {
        if now >= r.next_check {
            r.check(now, p.cpu.rip, regs_hash(p));
            r.next_check = now + super::CHECK_PERIOD;
        }
    });
}

/// Serves the guest's syscall while recording or replaying.
pub(crate) fn dispatch(log: &Log, t: &mut Trace, p: &mut Process) {
    let (nr, args) = p.cpu.syscall_args();
    let icount = p.world().icount();
    let rip = p.cpu.rip;
    let regs = regs_hash(p);
    let inside = internal(p, nr, &args);
    if let Some(mut pl) = log.player() {
        if pl.exhausted() {
            // The recording of this process ends before this syscall: it was killed
            // (SIGKILL from outside) while it made it, or before.
            return p.end_by_sigkill();
        }
        let s = pl.syscall(nr, icount, rip, regs, &args);
        match s.effect {
            None if inside => {
                drop(pl);
                trace::syscall(t, p, sys::serve);
                log.player().expect("replaying").site.after_syscall(nr);
            }
            Some(x) if !inside => {
                drop(pl);
                apply(log, t, p, nr, &args, x)
            }
            _ => pl.diverged(format!(
                "syscall {} was recorded {}",
                crate::sys::name(nr).unwrap_or("?"),
                if inside { "as outside-world" } else { "as internal" }
            )),
        }
        return;
    }
    if inside {
        log.record_with(|r| r.syscall(Sys { nr, icount, rip, regs, args, effect: None }));
        trace::syscall(t, p, sys::serve);
        return;
    }
    let fds_before = p.fds.clone();
    let cwd_before = p.cwd.clone();
    let pending_before = p.signals.pending;
    p.written = Some(Vec::new());
    log.set_quiet(true);
    trace::syscall(t, p, sys::serve);
    log.set_quiet(false);
    let writes = p.written.take().unwrap_or_default();
    let pending = p.signals.pending;
    let raised = p.newly_pending(pending_before);
    let park = if p.need_switch && !p.cur_saved {
        match p.cur().wait {
            Wait::Fd { .. } => 1,
            Wait::Sleep { .. } => 2,
            Wait::Retry { .. } => 3,
            _ => 0,
        }
    } else {
        0
    };
    let ticket = match (log.output_seq, nr) {
        (Some(seq), nr::WRITE | nr::PWRITE64 | nr::WRITEV | nr::PWRITEV | nr::PWRITEV2)
            if (p.cpu.reg(Reg::Rax) as i64) > 0 && log.is_stdio(p, args[0]) =>
        {
            seq.fetch_add(1, Ordering::AcqRel) + 1
        }
        _ => 0,
    };
    let kill = killed_from_outside(&raised);
    let effect = Effect {
        ticket,
        rax: p.cpu.reg(Reg::Rax),
        rip: p.cpu.rip,
        writes,
        fds: fd_changes(&fds_before, &p.fds),
        raised,
        cleared: pending_before & !pending,
        park,
        cwd: (p.cwd != cwd_before).then(|| p.cwd.clone()),
    };
    log.record_with(|r| r.syscall(Sys { nr, icount, rip, regs, args, effect: Some(effect) }));
    if kill {
        p.end_by_sigkill();
    }
}

/// A SIGKILL from outside (`Recording::kill`'s, raised as the kernel's) interrupted the
/// syscall: the process dies when it returns.
fn killed_from_outside(raised: &[SigInfo]) -> bool {
    raised.iter().any(|r| r.signo == S::SIGKILL && r.code == SigInfo::kernel(S::SIGKILL).code)
}

fn fd_changes(before: &crate::fd::FdTable, after: &crate::fd::FdTable) -> Vec<FdChange> {
    let n = before.len().max(after.len());
    let mut out = Vec::new();
    for fd in 0..n as i64 {
        let (b, a) = (before.get(fd).ok(), after.get(fd).ok());
        match (b, a) {
            (Some(b), Some(a)) if Rc::ptr_eq(&b.file, &a.file) && b.cloexec == a.cloexec => {}
            (Some(_), None) => out.push(FdChange::Closed(fd as u32)),
            (_, Some(a)) => {
                let from = (0..before.len() as i64)
                    .find(|&i| before.get(i).is_ok_and(|e| Rc::ptr_eq(&e.file, &a.file)));
                out.push(match from {
                    Some(from) => FdChange::Dup { fd: fd as u32, from: from as u32, cloexec: a.cloexec },
                    None => {
                        let of = a.file.borrow();
                        FdChange::New {
                            fd: fd as u32,
                            flags: of.flags,
                            cloexec: a.cloexec,
                            path: of.path.clone(),
                        }
                    }
                });
            }
            (None, None) => {}
        }
    }
    out
}

/// Replay: makes an outside-world syscall's recorded effect happen.
fn apply(log: &Log, t: &mut Trace, p: &mut Process, nr: u64, a: &[u64; 6], x: Effect) {
    if t.opts.stats {
        t.stats.syscall(nr);
    }
    // --strace shows replayed syscalls as it shows served ones.
    let call = t.syscalls.then(|| trace::strace::enter(t, p, nr, a));
    let entry_rip = p.cpu.rip;
    if log.written_until.get().is_none_or(|w| p.world().icount() > w) {
        if x.ticket != 0 {
            wait_turn(log, x.ticket);
        }
        echo_output(p, nr, a, x.rax as i64);
        if let (Some(seq), true) = (log.output_seq, x.ticket != 0) {
            seq.fetch_max(x.ticket, Ordering::AcqRel);
        }
    }
    for (addr, data) in &x.writes {
        let _ = p.poke(*addr, data);
    }
    let before = p.fds.clone();
    for c in x.fds {
        match c {
            FdChange::Closed(fd) => {
                let _ = p.fds.close(fd as i64);
            }
            FdChange::New { fd, flags, cloexec, path } => {
                // A placeholder: replay never opens the file (host fd -1 is never used).
                let file = OpenFile::host(-1, flags, path);
                p.fds.put(fd as usize, FdEntry { file: Rc::new(RefCell::new(file)), cloexec });
            }
            FdChange::Dup { fd, from, cloexec } => {
                if let Ok(e) = before.get(from as i64) {
                    p.fds.put(fd as usize, FdEntry { file: e.file.clone(), cloexec });
                }
            }
        }
    }
    if x.cleared != 0 {
        p.signals.pending &= !x.cleared;
    }
    if let Some(cwd) = x.cwd {
        // The guest's idea of its directory (paths of re-executed syscalls such as
        // execve resolve against it); the host's stays where replay started.
        p.cwd = cwd;
    }
    let kill = killed_from_outside(&x.raised);
    for r in x.raised {
        p.raise(r);
    }
    p.cpu.set_syscall_result(x.rax);
    p.cpu.rip = x.rip;
    if x.park != 0 {
        p.cur_mut().restartable = table::row(nr).is_some_and(|r| r.restart == table::Restart::WithSaFlag);
    }
    match x.park {
        1 => p.park(Wait::Fd { fd: -1, events: 0, deadline: None }),
        2 => p.park(Wait::Sleep { deadline: far_future() }),
        3 => p.park(Wait::Retry { at: far_future() }),
        _ => {}
    }
    trace::drain(t, p);
    if let Some(c) = call {
        if x.park != 0 {
            trace::strace::parked(t, c);
        } else if x.rip != entry_rip {
            trace::strace::restart(t, p, c);
        } else {
            let v = x.rax as i64;
            let res = if (-4095..0).contains(&v) { Err(-v as i32) } else { Ok(x.rax) };
            trace::syscall_done(t, p, c, &res);
        }
    }
    reap(log, p, nr, a, x.rax as i64);
    if kill {
        p.end_by_sigkill();
    }
}

fn far_future() -> std::time::Instant {
    std::time::Instant::now() + std::time::Duration::from_secs(1 << 30)
}

/// Replay: output the guest wrote to emu's own stdout/stderr is written again (the only
/// host descriptors a replayed process has are those; everything else is a placeholder).
fn echo_output(p: &mut Process, nr: u64, a: &[u64; 6], n: i64) {
    let vectored = matches!(nr, nr::WRITEV | nr::PWRITEV | nr::PWRITEV2);
    if n <= 0 || !(vectored || matches!(nr, nr::WRITE | nr::PWRITE64)) {
        return;
    }
    let Ok(f) = p.fds.file(a[0] as i32 as i64) else { return };
    let Some(h) = f.borrow().host_fd().filter(|&h| h >= 0) else { return };
    let segments = if vectored {
        let Ok(v) = sys::iovecs(p, a[1], a[2]) else { return };
        v
    } else {
        vec![Iovec { base: a[1], len: n as u64 }]
    };
    // The bytes the call wrote: its segments in order, up to its result.
    let mut data = Vec::new();
    for Iovec { base, len } in segments {
        let take = len.min(n as u64 - data.len() as u64) as usize;
        let mut b = vec![0u8; take];
        if p.cpu.mem.read(base, &mut b).is_err() {
            return;
        }
        data.extend(b);
    }
    let mut off = 0;
    while off < data.len() {
        match host::write(h, &data[off..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => off += k,
        }
    }
}

/// Replay: a wait that returned a child's status also reaps the replaying child, so its
/// output comes before whatever the parent prints next, as it did when recorded.
fn reap(log: &Log, p: &mut Process, nr: u64, a: &[u64; 6], rax: i64) {
    let rec_pid = match nr {
        nr::WAIT4 if rax > 0 => rax as i32,
        nr::WAITID if rax == 0 && a[2] != 0 => {
            let mut b = [0u8; 4];
            if p.cpu.mem.read(a[2] + 16, &mut b).is_err() {
                return;
            }
            i32::from_le_bytes(b)
        }
        _ => return,
    };
    // WNOWAIT leaves the child to a later wait.
    if nr == nr::WAITID && a[3] & 0x0100_0000 != 0 {
        return;
    }
    let h = log.player().and_then(|pl| pl.children.iter().find(|c| c.0 == rec_pid).map(|c| c.1));
    if let Some(h) = h {
        let _ = host::waitpid(h, 0);
    }
}
#[cfg(test)]
mod tests {
    use super::cpu_hash;
    use emu_cpu::{AddressSpace, Cpu};

    #[test]
    fn the_register_hash_covers_the_vector_state() {
        let mut c = Cpu::new(AddressSpace::new());
        let h0 = cpu_hash(&c);
        c.ymmh[15] = 1 << 127;
        let h1 = cpu_hash(&c);
        c.xmm[0] = 1;
        let h2 = cpu_hash(&c);
        c.mxcsr ^= 0x40;
        let h3 = cpu_hash(&c);
        assert!(h0 != h1 && h1 != h2 && h2 != h3, "{h0:x} {h1:x} {h2:x} {h3:x}");
    }
}
