//! The gdbstub target: the guest's memory and run control. gdb resumes with per-thread
//! actions (`vCont`); emu keeps scheduling its threads exactly as without gdb, so a step
//! of thread T stops after T's next instruction, whichever threads run in between.

use super::breakpoints::Breakpoints;
use super::interrupt::Watcher;
use super::regs::X86_64Linux;
use super::reverse::{Report, Reverse, Task, Want};
use super::vfile::Files;
use crate::abi::signal as S;
use crate::run::{Guest, Turn};
use crate::signal::SigInfo;
use crate::Outcome;
use emu_cpu::hooks::DebugStop;
use gdbstub::common::{Signal, Tid};
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::run_blocking::{self, BlockingEventLoop, WaitForStopReasonError};
use gdbstub::stub::MultiThreadStopReason;
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking,
    MultiThreadSchedulerLockingOps, MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::reverse_exec::{
    ReplayLogPosition, ReverseCont, ReverseContOps, ReverseStep, ReverseStepOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::{Target, TargetError, TargetResult};
use std::net::TcpStream;

/// What ends a debugging session other than gdb itself.
#[derive(Debug)]
pub(crate) enum GdbError {
    /// This is a forked child of the debugged process (gdb follows the parent).
    Forked,
}

impl std::fmt::Display for GdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            GdbError::Forked => f.write_str("forked child"),
        }
    }
}

pub(crate) struct Emu<'a> {
    pub guest: &'a mut Guest,
    pub bps: Breakpoints,
    pub files: Files,
    interrupt: Watcher,
    /// On a replay: checkpoints and the pass under way (gdb can go backwards).
    pub reverse: Option<Reverse>,
    /// gdb asked to go backwards (`bc`, `bs`): the next `run` does.
    backwards: Option<Want>,
    /// Shared with the connection (`link.rs`): the program an execve started, to report.
    pub exec: std::rc::Rc<std::cell::RefCell<Option<Vec<u8>>>>,
    /// The host process that talks to gdb (a forked child is another).
    host_pid: u32,
    /// The signal the last stop reported, not yet delivered: gdb passes it on or not.
    held: Option<SigInfo>,
    /// Set by gdb's resume actions: the thread to step, and the signal to resume with.
    step: Option<i32>,
    signal: Option<i32>,
    /// The last stop was a breakpoint at the current thread's rip (resuming runs it).
    at_breakpoint: bool,
    /// How the guest ended, once it has.
    pub ended: Option<Outcome>,
}

impl<'a> Emu<'a> {
    pub fn new(guest: &'a mut Guest, conn: &TcpStream, reverse: Option<Reverse>) -> std::io::Result<Emu<'a>> {
        Ok(Emu {
            guest,
            bps: Breakpoints::default(),
            files: Files::default(),
            interrupt: Watcher::new(conn)?,
            reverse,
            backwards: None,
            exec: Default::default(),
            host_pid: std::process::id(),
            held: None,
            step: None,
            signal: None,
            at_breakpoint: false,
            ended: None,
        })
    }

    /// Turns the CPU's debug stops on (again after an execve, which makes a new CPU).
    pub fn attach(&mut self) {
        let cpu = &mut self.guest.process().cpu;
        cpu.hooks.debug = true;
        // gdb reads RFLAGS at any stop: every instruction computes its flags (this only
        // costs time; the guest sees the same values).
        cpu.hooks.exact_flags = true;
        self.bps.apply(cpu);
    }

    /// gdb leaves: the guest runs on without stops.
    pub fn detach(&mut self) {
        if let Some(info) = self.held.take() {
            self.guest.deliver(info);
        }
        let cpu = &mut self.guest.process().cpu;
        cpu.hooks.debug = false;
        cpu.hooks.stops = Default::default();
        cpu.set_stop_watches(Vec::new());
    }

    /// gdb killed the guest.
    pub fn kill(&mut self) -> Outcome {
        let rip = self.guest.process().cpu.rip;
        self.guest.finish(Outcome::Signaled { sig: S::SIGKILL, rip, fault_addr: None, detail: None })
    }

    pub fn process_ref(&self) -> &crate::Process {
        self.guest.process_ref()
    }

    pub fn tid(&mut self) -> Tid {
        super::threads::gdb_tid(self.guest.process().tid())
    }

    /// Runs the guest until something gdb must see.
    fn run(&mut self) -> Result<Stop, GdbError> {
        if let Some(want) = self.backwards.take() {
            return Ok(self.go_back(want));
        }
        self.interrupt.arm();
        loop {
            let p = self.guest.process();
            if !p.cpu.hooks.debug {
                self.attach();
            }
            if self.reverse.is_some() {
                self.before_turn();
            }
            let p = self.guest.process();
            p.cpu.hooks.stops.step = self.step.is_some_and(|t| t == p.tid());
            let (tid, start) = (p.tid(), p.world().icount());
            let turn = self.guest.turn::<true>();
            if std::process::id() != self.host_pid {
                // What the turn brought belongs to the child, which runs on without gdb.
                match turn {
                    Turn::Signal(info) => self.guest.deliver(info),
                    Turn::Ended(o) => self.ended = Some(o),
                    _ => {}
                }
                return Err(self.forked());
            }
            // An execve made a new CPU: debug it too, and tell gdb of the new program.
            let exec = !self.guest.process().cpu.hooks.debug && !matches!(turn, Turn::Ended(_));
            if exec {
                self.attach();
            }
            if let Some(r) = &mut self.reverse {
                if r.task != Task::Forward {
                    match self.rerun(turn, tid, start) {
                        Some(stop) => return Ok(stop),
                        // Ctrl-C stops a pass where it is (a point of the past, as any).
                        None if self.interrupt.fired() => return Ok(Stop::Incoming),
                        None => continue,
                    }
                }
                r.furthest = r.furthest.max(self.guest.process().world().icount());
            }
            let p = self.guest.process();
            if exec {
                *self.exec.borrow_mut() = Some(p.exe.clone());
                return Ok(Stop::Reason(Reason::Exec(super::threads::gdb_tid(p.tid()))));
            }
            match turn {
                Turn::Go => {}
                Turn::Syscall(tid) if self.step == Some(tid) => {
                    return Ok(Stop::Reason(Reason::Signal(super::threads::gdb_tid(tid), S::SIGTRAP)))
                }
                Turn::Syscall(_) => {}
                // A checkpoint is due (`before_turn` takes it).
                Turn::Debug(DebugStop::Reached) => {}
                Turn::Debug(stop) => {
                    let tid = super::threads::gdb_tid(p.tid());
                    return Ok(Stop::Reason(match stop {
                        DebugStop::Breakpoint | DebugStop::Reached => {
                            self.at_breakpoint = true;
                            Reason::SwBreak(tid)
                        }
                        DebugStop::Step => Reason::Signal(tid, S::SIGTRAP),
                        DebugStop::Watch { addr, write } => {
                            Reason::Watch { tid, kind: self.bps.watch_kind(addr, write), addr }
                        }
                    }));
                }
                Turn::Signal(info) => {
                    let tid = super::threads::gdb_tid(p.tid());
                    let sig = info.signo;
                    self.held = Some(info);
                    return Ok(Stop::Reason(Reason::Signal(tid, sig)));
                }
                Turn::Ended(o) => return Ok(Stop::Reason(self.end(o))),
            }
            if self.interrupt.fired() {
                return Ok(Stop::Incoming);
            }
        }
    }

    fn end(&mut self, o: Outcome) -> Reason {
        let r = match &o {
            Outcome::Exited(c) => Reason::Exited(*c as u8),
            Outcome::Signaled { sig, .. } => Reason::Terminated(*sig),
        };
        self.ended = Some(o);
        r
    }

    /// This process is a child the guest forked (gdb follows the parent). On a stretch of
    /// the replay run before, it was replayed then: this copy ends at once.
    fn forked(&mut self) -> GdbError {
        let icount = self.guest.process().world().icount();
        if let Some(r) = self.reverse.take() {
            if icount <= r.furthest {
                crate::host::exit_now(0);
            }
        }
        GdbError::Forked
    }

    /// Replay: takes a checkpoint when one is due, and sets where the CPU stops for the
    /// next one or for the pass's end. In a worker woken from the checkpoint, carries on
    /// with the request it brought.
    fn before_turn(&mut self) {
        let icount = self.guest.process().world().icount();
        let r = self.reverse.as_mut().expect("a replay");
        if let Some(near) = r.due(icount) {
            self.interrupt.stop();
            let woken = super::reverse::checkpoint(r, icount, near);
            match self.interrupt.start() {
                Ok(()) => self.interrupt.arm(),
                Err(e) => log::warn!("gdb: Ctrl-C will not interrupt: {e}"),
            }
            if let Some((r, bps, files)) = woken {
                self.files = files;
                self.resumed(r, bps);
            }
        }
        let r = self.reverse.as_ref().expect("a replay");
        // The CPU counts the current image's instructions (execve restarts it).
        let cpu = &mut self.guest.process().cpu;
        let base = icount - cpu.icount;
        cpu.hooks.stops.until = Some(r.until(icount).saturating_sub(base));
    }

    /// A worker woken from a checkpoint takes over the session.
    fn resumed(&mut self, r: Reverse, bps: Breakpoints) {
        self.host_pid = std::process::id();
        self.guest.written_until(r.furthest);
        self.reverse = Some(r);
        self.bps = bps;
        self.held = None;
        self.step = None;
        self.signal = None;
        self.at_breakpoint = false;
        let cpu = &mut self.guest.process().cpu;
        cpu.hooks.stops.resume_from = None;
        self.bps.apply(cpu);
    }

    /// A turn of a re-run (`reverse.rs`): notes what the scan looks for, and ends the pass
    /// at its end. Breakpoints and watchpoints on the way do not stop it; signals go to the
    /// guest as they did when the stretch first ran.
    fn rerun(&mut self, turn: Turn, tid: i32, start: u64) -> Option<Stop> {
        let p = self.guest.process();
        let icount = p.world().icount();
        let (rip, now_tid) = (p.cpu.rip, p.tid());
        let r = self.reverse.as_mut().expect("a replay");
        if let Task::Scan { want: Want::Step(t), last, .. } = &mut r.task {
            if tid == *t && icount > start {
                *last = Some((icount - 1, Report::Step(tid)));
            }
        }
        match turn {
            Turn::Debug(DebugStop::Reached) => {
                return self.pass_at(icount);
            }
            Turn::Debug(DebugStop::Breakpoint) => {
                if let Task::Scan { want: Want::Continue, last, .. } = &mut r.task {
                    *last = Some((icount, Report::Break(now_tid)));
                }
                p.cpu.hooks.stops.resume_from = Some(rip);
            }
            Turn::Debug(DebugStop::Watch { addr, write }) => {
                if let Task::Scan { want: Want::Continue, last, .. } = &mut r.task {
                    let kind = self.bps.watch_kind(addr, write);
                    *last = Some((icount - 1, Report::Watch { tid: now_tid, kind, addr }));
                }
            }
            Turn::Debug(DebugStop::Step) | Turn::Go | Turn::Syscall(_) => {}
            Turn::Signal(info) => self.guest.deliver(info),
            // Not before the point the pass runs to, on an exact replay.
            Turn::Ended(o) => return Some(Stop::Reason(self.end(o))),
        }
        None
    }

    /// A re-run stopped at `icount`: a checkpoint's point, or the pass's end.
    fn pass_at(&mut self, icount: u64) -> Option<Stop> {
        let r = self.reverse.as_mut().expect("a replay");
        match r.task {
            Task::Scan { from, end, want, last } if icount == end => {
                r.task = Task::Forward;
                Some(match last {
                    Some((at, report)) => self.goto(at, report),
                    None => match self.reverse.as_ref().and_then(|r| r.cps.before(from)).map(|c| c.icount) {
                        Some(cp) => self.hand_over(cp, Task::Scan { from: cp, end: from, want, last: None }),
                        None => self.goto(from, Report::Begin),
                    },
                })
            }
            Task::Goto { at, report } if icount == at => {
                r.task = Task::Forward;
                let tid = self.tid();
                let reason = match report {
                    Report::Break(_) => {
                        self.at_breakpoint = true;
                        Reason::SwBreak(tid)
                    }
                    Report::Watch { kind, addr, .. } => Reason::Watch { tid, kind, addr },
                    Report::Step(_) => Reason::Signal(tid, S::SIGTRAP),
                    Report::Begin => Reason::Begin(tid),
                };
                Some(Stop::Reason(reason))
            }
            _ => None,
        }
    }

    /// gdb resumed backwards: the scan starts at the latest checkpoint before here.
    fn go_back(&mut self, want: Want) -> Stop {
        let icount = self.guest.process().world().icount();
        let Some(r) = self.reverse.as_ref() else { return Stop::Reason(Reason::Begin(self.tid())) };
        match r.cps.before(icount).map(|c| c.icount) {
            Some(cp) => self.hand_over(cp, Task::Scan { from: cp, end: icount, want, last: None }),
            // Nothing ran under gdb before here.
            None => Stop::Reason(Reason::Begin(self.tid())),
        }
    }

    /// Goes to `at` (before where this pass is) to report `report` there.
    fn goto(&mut self, at: u64, report: Report) -> Stop {
        let r = self.reverse.as_ref().expect("a replay");
        let cp =
            r.cps.at_or_before(at).map(|c| c.icount).expect("the first checkpoint is before every point");
        self.hand_over(cp, Task::Goto { at, report })
    }

    /// The checkpoint at `cp` carries on with `task`; this process ends. (Returns only if
    /// the checkpoint cannot be reached: the session then ends.)
    fn hand_over(&mut self, cp: u64, task: Task) -> Stop {
        let icount = self.guest.process().world().icount();
        let r = self.reverse.as_ref().expect("a replay");
        let furthest = r.furthest.max(icount);
        match r.hand_over(cp, task, furthest, (&self.bps, &self.files)) {
            Ok(()) => crate::host::exit_now(0),
            Err(e) => {
                log::error!("gdb: cannot go back: {e}");
                let rip = self.guest.process().cpu.rip;
                let o = Outcome::Signaled { sig: S::SIGKILL, rip, fault_addr: None, detail: None };
                Stop::Reason(self.end(o))
            }
        }
    }
}

/// Why `Emu::run` came back.
enum Stop {
    Reason(Reason),
    /// gdb may have sent something (Ctrl-C).
    Incoming,
}

enum Reason {
    SwBreak(Tid),
    Signal(Tid, i32),
    Watch {
        tid: Tid,
        kind: gdbstub::target::ext::breakpoints::WatchKind,
        addr: u64,
    },
    Exited(u8),
    Terminated(i32),
    /// Going back reached the beginning of the replay.
    Begin(Tid),
    /// An execve started a new program (`link.rs` names it).
    Exec(Tid),
}

impl Reason {
    fn stop_reason(self) -> MultiThreadStopReason<u64> {
        match self {
            Reason::SwBreak(tid) => MultiThreadStopReason::SwBreak(tid),
            Reason::Signal(tid, s) => {
                MultiThreadStopReason::SignalWithThread { tid, signal: Signal(s as u8) }
            }
            Reason::Watch { tid, kind, addr } => MultiThreadStopReason::Watch { tid, kind, addr },
            Reason::Exited(c) => MultiThreadStopReason::Exited(c),
            Reason::Terminated(s) => MultiThreadStopReason::Terminated(Signal(s as u8)),
            Reason::Begin(tid) => {
                MultiThreadStopReason::ReplayLog { tid: Some(tid), pos: ReplayLogPosition::Begin }
            }
            Reason::Exec(tid) => MultiThreadStopReason::Library(tid),
        }
    }
}

impl Target for Emu<'_> {
    type Arch = X86_64Linux;
    type Error = GdbError;

    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::MultiThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<gdbstub::target::ext::breakpoints::BreakpointsOps<'_, Self>> {
        Some(self)
    }

    fn support_auxv(&mut self) -> Option<gdbstub::target::ext::auxv::AuxvOps<'_, Self>> {
        Some(self)
    }

    fn support_exec_file(&mut self) -> Option<gdbstub::target::ext::exec_file::ExecFileOps<'_, Self>> {
        Some(self)
    }

    fn support_host_io(&mut self) -> Option<gdbstub::target::ext::host_io::HostIoOps<'_, Self>> {
        Some(self)
    }

    /// emu's breakpoints never touch guest memory, so gdb never needs to.
    fn guard_rail_implicit_sw_breakpoints(&self) -> bool {
        true
    }
}

impl MultiThreadBase for Emu<'_> {
    fn read_registers(&mut self, regs: &mut super::regs::Regs, tid: Tid) -> TargetResult<(), Self> {
        *regs = super::threads::registers(self.guest.process(), tid).ok_or(TargetError::NonFatal)?;
        Ok(())
    }

    fn write_registers(&mut self, regs: &super::regs::Regs, tid: Tid) -> TargetResult<(), Self> {
        super::threads::set_registers(self.guest.process(), tid, regs).ok_or(TargetError::NonFatal)
    }

    fn read_addrs(&mut self, start: u64, data: &mut [u8], _tid: Tid) -> TargetResult<usize, Self> {
        let mem = &mut self.guest.process().cpu.mem;
        if mem.peek(start, data).is_ok() {
            return Ok(data.len());
        }
        // As much as is mapped from `start` on.
        let mut n = 0;
        while n < data.len() {
            let a = start.wrapping_add(n as u64);
            let k = (0x1000 - (a & 0xfff) as usize).min(data.len() - n);
            if mem.peek(a, &mut data[n..n + k]).is_err() {
                break;
            }
            n += k;
        }
        if n == 0 {
            return Err(TargetError::Errno(14));
        }
        Ok(n)
    }

    fn write_addrs(&mut self, start: u64, data: &[u8], _tid: Tid) -> TargetResult<(), Self> {
        self.guest.process().cpu.mem.poke(start, data).map_err(|_| TargetError::Errno(14))
    }

    fn list_active_threads(&mut self, f: &mut dyn FnMut(Tid)) -> Result<(), Self::Error> {
        for t in &self.guest.process().threads {
            f(super::threads::gdb_tid(t.tid));
        }
        Ok(())
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadResume for Emu<'_> {
    fn resume(&mut self) -> Result<(), Self::Error> {
        let signal = self.signal.take();
        if let Some(held) = self.held.take() {
            match signal {
                Some(s) if s == held.signo => self.guest.deliver(held),
                Some(s) => {
                    let info = self.guest.process().si_user(s);
                    self.guest.deliver(info);
                }
                None => {}
            }
        }
        let p = self.guest.process();
        p.cpu.hooks.stops.resume_from = std::mem::take(&mut self.at_breakpoint).then_some(p.cpu.rip);
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), Self::Error> {
        self.step = None;
        self.signal = None;
        Ok(())
    }

    fn set_resume_action_continue(&mut self, tid: Tid, signal: Option<Signal>) -> Result<(), Self::Error> {
        self.resume_signal(tid, signal);
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }

    fn support_reverse_cont(&mut self) -> Option<ReverseContOps<'_, Tid, Self>> {
        self.reverse.is_some().then_some(self)
    }

    fn support_reverse_step(&mut self) -> Option<ReverseStepOps<'_, Tid, Self>> {
        self.reverse.is_some().then_some(self)
    }
}

/// Going backwards drops a signal held at the stop: it is delivered when the run gets
/// there again.
impl ReverseCont<Tid> for Emu<'_> {
    fn reverse_cont(&mut self) -> Result<(), Self::Error> {
        self.held = None;
        self.at_breakpoint = false;
        self.backwards = Some(Want::Continue);
        Ok(())
    }
}

impl ReverseStep<Tid> for Emu<'_> {
    fn reverse_step(&mut self, tid: Tid) -> Result<(), Self::Error> {
        self.held = None;
        self.at_breakpoint = false;
        self.backwards = Some(Want::Step(tid.get() as i32));
        Ok(())
    }
}

/// gdb resumes only some threads (to step one over a breakpoint, or `set scheduler-locking
/// on`). emu runs its threads as it always does, so that attaching changes nothing: the
/// other threads run too, and a step still ends after the stepped thread's instruction.
impl MultiThreadSchedulerLocking for Emu<'_> {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl MultiThreadSingleStep for Emu<'_> {
    fn set_resume_action_step(&mut self, tid: Tid, signal: Option<Signal>) -> Result<(), Self::Error> {
        self.step = Some(tid.get() as i32);
        self.resume_signal(tid, signal);
        Ok(())
    }
}

impl Emu<'_> {
    /// gdb resumes `tid` with `signal`: it applies to the held signal, which belongs to the
    /// thread that stopped (the one on the CPU).
    fn resume_signal(&mut self, tid: Tid, signal: Option<Signal>) {
        if tid.get() as i32 == self.guest.process().tid() {
            self.signal = signal.map(|s| s.0 as i32);
        }
    }
}

/// The event loop gdbstub runs: the guest runs in this thread between gdb's packets.
pub(crate) struct Loop<'a>(std::marker::PhantomData<&'a ()>);

impl<'a> BlockingEventLoop for Loop<'a> {
    type Target = Emu<'a>;
    type Connection = super::link::Link;
    type StopReason = MultiThreadStopReason<u64>;

    fn wait_for_stop_reason(
        target: &mut Emu<'a>,
        conn: &mut super::link::Link,
    ) -> Result<run_blocking::Event<Self::StopReason>, WaitForStopReasonError<GdbError, std::io::Error>> {
        loop {
            match target.run().map_err(WaitForStopReasonError::Target)? {
                Stop::Reason(r) => return Ok(run_blocking::Event::TargetStopped(r.stop_reason())),
                Stop::Incoming => {
                    if conn.peek().map_err(WaitForStopReasonError::Connection)?.is_some() {
                        let b = conn.read().map_err(WaitForStopReasonError::Connection)?;
                        return Ok(run_blocking::Event::IncomingData(b));
                    }
                }
            }
        }
    }

    fn on_interrupt(target: &mut Emu<'a>) -> Result<Option<Self::StopReason>, GdbError> {
        if let Some(r) = &mut target.reverse {
            r.task = Task::Forward;
        }
        let tid = target.tid();
        Ok(Some(MultiThreadStopReason::SignalWithThread { tid, signal: Signal(S::SIGINT as u8) }))
    }
}
