//! A guest from start to end: the emulated process, what the user asked to see of it, and
//! the loop that runs it. The loop is the only place that knows all three layers — the
//! kernel (`Process`, `sys`), the traces that observe it (`trace`) and record/replay
//! (`replay`) — so none of them needs to call the others back. It also builds the
//! process's world (`crate::world`) from what the user asked for.

use crate::process::{Outcome, Process};
use crate::replay::Log;
use crate::trace::{Trace, TraceOptions};
use crate::vsyscall::Vsyscall;
use crate::world::{self, Deterministic, Host, Mode};
use crate::{host, replay, sys, trace};
use emu_cpu::Exit;
use emu_loader::LoadError;
use std::path::PathBuf;

/// How emu was asked to run the guest.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub sysroot: Option<PathBuf>,
    /// `sysroot` is a jail (`--chroot`): nothing resolves outside it.
    pub jail: bool,
    pub trace: TraceOptions,
    /// Real, deterministic, recorded or replayed (see `world`).
    pub world: Mode,
}

#[derive(Debug)]
pub enum SpawnError {
    Load(LoadError),
    /// The `--trace-file` could not be created.
    TraceFile(PathBuf, std::io::Error),
    /// The replay log could not be created or read.
    Log(crate::replay::LogError),
}

impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            SpawnError::Load(e) => e.fmt(f),
            SpawnError::TraceFile(p, e) => write!(f, "cannot create trace file {}: {e}", p.display()),
            SpawnError::Log(e) => e.fmt(f),
        }
    }
}

impl SpawnError {
    pub fn exit_status(&self) -> i32 {
        match self {
            SpawnError::Load(e) => e.exit_status(),
            SpawnError::TraceFile(..) => 2,
            SpawnError::Log(e) => e.exit_status(),
        }
    }
}

/// The emulated process, its traces, and its log when recorded or replayed.
pub struct Guest {
    p: Process,
    t: Trace,
    log: Option<Log>,
}

impl Guest {
    /// Loads `program` as execve would (an ELF program or a `#!` script), ready to run.
    pub fn spawn(
        cfg: &Config,
        program: &[u8],
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
    ) -> Result<Guest, SpawnError> {
        let t = Trace::new(cfg.trace.clone())
            .map_err(|e| SpawnError::TraceFile(cfg.trace.file.clone().unwrap_or_default(), e))?;
        let (world, mut log) = match &cfg.world {
            Mode::Host => (world::share(Host::new()), None),
            Mode::Deterministic { seed } => (world::share(Deterministic::new(*seed)), None),
            Mode::Record { dir } => {
                let (w, log) = replay::record(dir, program, &argv, &envp).map_err(SpawnError::Log)?;
                (w, Some(log))
            }
            Mode::Replay { dir, program } => {
                let (w, log) = replay::replay(dir, program.clone()).map_err(SpawnError::Log)?;
                (w, Some(log))
            }
        };
        let observed = t.opts.any() || t.opts.hooks() || t.opts.crash_report_on();
        let p = Process::new(world, cfg.sysroot.clone(), cfg.jail, program, argv, envp, observed)
            .map_err(SpawnError::Load)?;
        if let Some(log) = &mut log {
            log.note_stdio(&p);
        }
        let mut g = Guest { p, t, log };
        trace::drain(&mut g.t, &mut g.p);
        Ok(g)
    }

    /// Runs the guest until it exits or dies.
    pub fn run(&mut self) -> Outcome {
        self.start();
        loop {
            if let Turn::Ended(o) = self.turn::<false>() {
                return o;
            }
        }
    }

    /// Before the first guest instruction.
    pub(crate) fn start(&mut self) {
        host::install_signal_forwarding();
        trace::started(&mut self.t, &mut self.p);
    }

    /// One turn of the run loop: the CPU runs until it stops, and the stop is served. With
    /// `DEBUG` (a debugger is attached, see `gdb`), the CPU's debug stops come back as
    /// `Turn::Debug`, and a signal about to be delivered as `Turn::Signal`, taken out of
    /// the pending set: the debugger decides whether it is delivered (`deliver`). Without
    /// it the loop is the plain one.
    #[inline(always)]
    pub(crate) fn turn<const DEBUG: bool>(&mut self) -> Turn {
        let Guest { p, t, log } = self;
        let log = log.as_ref();
        // A signal the debugger let through may have ended the process.
        if DEBUG {
            if let Some(o) = p.outcome.take() {
                return Turn::Ended(end(t, p, log, o));
            }
        }
        let clocked = p.world().follows_clock();
        // The world may need the CPU to stop before the thread's slice ends (a virtual
        // timer, a recorded asynchronous event).
        let slice = p.cpu.budget;
        if clocked {
            let stop = p.world().stop_at();
            p.cpu.budget = slice.min(stop);
        }
        let exit = run_cpu(&mut p.cpu);
        t.settle(&p.cpu);
        t.flush();
        p.cpu.budget = slice;
        if clocked {
            p.world().at(p.cpu.icount);
        }
        if let Some(log) = log {
            replay::syscall::checkpoint(log, p);
            if let Some(o) = p.outcome.take() {
                return Turn::Ended(end(t, p, Some(log), o));
            }
        }
        let mut syscall = false;
        match exit {
            Exit::Syscall => {
                serve_syscall(log, t, p);
                syscall = true;
            }
            Exit::Budget if p.cpu.icount < slice => {}
            Exit::Budget => p.need_switch |= p.multithreaded(),
            Exit::Interrupted => {}
            Exit::Debug(stop) => return Turn::Debug(stop),
            // A call into the legacy vsyscall page is a syscall too (see `vsyscall.rs`).
            other => match p.vsyscall(&other) {
                Vsyscall::Call => {
                    serve_syscall(log, t, p);
                    syscall = true;
                }
                Vsyscall::Refused => {}
                Vsyscall::No => p.fault(other),
            },
        }
        // The thread that made the syscall, before a switch.
        let tid = p.tid();
        if p.need_switch && p.outcome.is_none() {
            p.schedule();
            trace::switched(t, p);
        }
        if p.signals.pending != 0 || p.world().signals_pending() {
            if DEBUG {
                if let Some(s) = p.next_signal() {
                    trace::drain(t, p);
                    return Turn::Signal(s);
                }
            }
            p.deliver_pending();
        }
        trace::drain(t, p);
        if let Some(o) = p.outcome.take() {
            return Turn::Ended(end(t, p, log, o));
        }
        if DEBUG && syscall {
            return Turn::Syscall(tid);
        }
        Turn::Go
    }

    /// Delivers a signal a debugger let through (`Turn::Signal`); the next turn shows the
    /// debugger any other pending signal first.
    pub(crate) fn deliver(&mut self, info: crate::signal::SigInfo) {
        self.p.deliver(info.signo, info);
        if !self.p.has_deliverable() {
            self.p.delivered_all();
        }
        trace::drain(&mut self.t, &mut self.p);
    }

    /// The process, for a debugger.
    pub(crate) fn process(&mut self) -> &mut Process {
        &mut self.p
    }

    pub(crate) fn process_ref(&self) -> &Process {
        &self.p
    }

    /// Whether this run replays a log (gdb can then run it backwards).
    pub(crate) fn replaying(&self) -> bool {
        self.log.as_ref().is_some_and(Log::replaying)
    }

    /// Replay: output of syscalls made at or before instruction `icount` was written by an
    /// earlier pass over the same stretch, and is not written again.
    pub(crate) fn written_until(&self, icount: u64) {
        if let Some(log) = &self.log {
            log.written_until.set(Some(icount));
        }
    }

    /// The process ended while a debugger held it (killed by the debugger). On a replay,
    /// that end is not compared with the recorded one: gdb, not the guest, chose it.
    pub(crate) fn finish(&mut self, o: Outcome) -> Outcome {
        let log = self.log.as_ref().filter(|l| !l.replaying());
        end(&mut self.t, &mut self.p, log, o)
    }
}

/// How a turn of the run loop ended.
pub(crate) enum Turn {
    /// Nothing for a debugger: run on.
    Go,
    /// The thread `tid` made a syscall, now served (a single step over it ends here).
    Syscall(i32),
    /// The CPU stopped for the debugger.
    Debug(emu_cpu::hooks::DebugStop),
    /// A signal is about to be delivered to the current thread (taken out of the pending set).
    Signal(crate::signal::SigInfo),
    Ended(Outcome),
}

/// Serves the syscall the CPU stopped for, through the log when recording or replaying.
/// Inlined: a call of its own costs the syscall path about 20 instructions.
#[inline(always)]
fn serve_syscall(log: Option<&Log>, t: &mut Trace, p: &mut Process) {
    match log {
        Some(log) => replay::syscall::dispatch(log, t, p),
        None => trace::syscall(t, p, sys::serve),
    }
}

/// The interpreter, kept out of `Guest::run`: inlined there, its dispatch loop's code
/// would change with every edit of the loop around it (a call per CPU stop costs nothing
/// next to that).
#[inline(never)]
fn run_cpu(cpu: &mut emu_cpu::Cpu) -> Exit {
    cpu.run()
}

/// The process ends as `o`: the traces finish, `--stats` reports, the log closes.
fn end(t: &mut Trace, p: &mut Process, log: Option<&Log>, o: Outcome) -> Outcome {
    if let Outcome::Signaled { sig, .. } = o {
        trace::crash_report(t, p, sig);
    }
    trace::ended(t, p, &o);
    p.release_vfork_parent();
    trace::finish(t);
    report_stats(t, p);
    t.flush();
    if let Some(log) = log {
        log.finish(match &o {
            Outcome::Exited(c) => replay::End::Exited(*c),
            Outcome::Signaled { sig, .. } => replay::End::Signaled(*sig),
        });
    }
    o
}

/// `--stats`: the summary of this process, when it ends.
fn report_stats(t: &mut Trace, p: &mut Process) {
    if !t.opts.stats {
        return;
    }
    let s = p.cpu.stats();
    let cur = trace::stats::Current {
        instructions: s.instructions,
        blocks_decoded: s.blocks_decoded,
        lookups: s.lookups,
        misses: s.misses,
        guest_resident: p.cpu.mem.resident_bytes(),
        jit: s.jit,
    };
    let pid = p.world().pid();
    t.stats.report(&mut t.sink, pid, cur, host::peak_rss(), |n| sys::name(n).unwrap_or("?"));
}
