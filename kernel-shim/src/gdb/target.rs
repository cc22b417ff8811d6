//! The gdbstub target: the guest's memory and run control. gdb resumes with per-thread
//! actions (`vCont`); emu keeps scheduling its threads exactly as without gdb, so a step
//! of thread T stops after T's next instruction, whichever threads run in between.

use super::breakpoints::Breakpoints;
use super::interrupt::Watcher;
use super::regs::X86_64Linux;
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
    pub fn new(guest: &'a mut Guest, interrupt: Watcher) -> Emu<'a> {
        Emu {
            guest,
            bps: Breakpoints::default(),
            files: Files::default(),
            interrupt,
            host_pid: std::process::id(),
            held: None,
            step: None,
            signal: None,
            at_breakpoint: false,
            ended: None,
        }
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
        self.interrupt.arm();
        loop {
            let p = self.guest.process();
            if !p.cpu.hooks.debug {
                self.attach();
            }
            let p = self.guest.process();
            p.cpu.hooks.stops.step = self.step.is_some_and(|t| t == p.tid());
            let turn = self.guest.turn::<true>();
            if std::process::id() != self.host_pid {
                return Err(GdbError::Forked);
            }
            let p = self.guest.process();
            match turn {
                Turn::Go => {}
                Turn::Syscall(tid) if self.step == Some(tid) => {
                    return Ok(Stop::Reason(Reason::Signal(super::threads::gdb_tid(tid), S::SIGTRAP)))
                }
                Turn::Syscall(_) => {}
                Turn::Debug(stop) => {
                    let tid = super::threads::gdb_tid(p.tid());
                    return Ok(Stop::Reason(match stop {
                        DebugStop::Breakpoint => {
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
                Turn::Ended(o) => {
                    let r = match &o {
                        Outcome::Exited(c) => Reason::Exited(*c as u8),
                        Outcome::Signaled { sig, .. } => Reason::Terminated(*sig),
                    };
                    self.ended = Some(o);
                    return Ok(Stop::Reason(r));
                }
            }
            if self.interrupt.fired() {
                return Ok(Stop::Incoming);
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
    Watch { tid: Tid, kind: gdbstub::target::ext::breakpoints::WatchKind, addr: u64 },
    Exited(u8),
    Terminated(i32),
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
    type Connection = TcpStream;
    type StopReason = MultiThreadStopReason<u64>;

    fn wait_for_stop_reason(
        target: &mut Emu<'a>,
        conn: &mut TcpStream,
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
        let tid = target.tid();
        Ok(Some(MultiThreadStopReason::SignalWithThread { tid, signal: Signal(S::SIGINT as u8) }))
    }
}
