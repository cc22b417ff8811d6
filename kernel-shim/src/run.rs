//! A guest from start to end: the emulated process, what the user asked to see of it, and
//! the loop that runs it. The loop is the only place that knows all three layers — the
//! kernel (`Process`, `sys`), the traces that observe it (`trace`) and record/replay
//! (`replay`) — so none of them needs to call the others back.

use crate::process::{Outcome, Process};
use crate::trace::{Trace, TraceOptions};
use crate::{gate, host, replay, sys, trace};
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
    /// Real, deterministic, recorded or replayed (see `gate`).
    pub world: gate::World,
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

/// The emulated process and its traces.
pub struct Guest {
    p: Process,
    t: Trace,
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
        gate::init(&cfg.world, program, &argv, &envp).map_err(SpawnError::Log)?;
        let observed = t.opts.any() || t.opts.hooks() || t.opts.crash_report_on();
        let p = Process::new(cfg.sysroot.clone(), cfg.jail, program, argv, envp, observed)
            .map_err(SpawnError::Load)?;
        replay::syscall::note_stdio(&p);
        let mut g = Guest { p, t };
        trace::drain(&mut g.t, &mut g.p);
        Ok(g)
    }

    /// Runs the guest until it exits or dies.
    pub fn run(&mut self) -> Outcome {
        let Guest { p, t } = self;
        host::install_signal_forwarding();
        trace::started(t, p);
        loop {
            // The gate may need the CPU to stop before the thread's slice ends (a virtual
            // timer, a recorded asynchronous event).
            let slice = p.cpu.budget;
            p.cpu.budget = slice.min(gate::stop_at());
            let exit = p.cpu.run();
            t.settle(&p.cpu);
            t.flush();
            p.cpu.budget = slice;
            gate::at(p.cpu.icount);
            if gate::logging() {
                replay::syscall::checkpoint(p);
                if let Some(o) = p.outcome.take() {
                    return end(t, p, o);
                }
            }
            match exit {
                Exit::Syscall if gate::logging() => replay::syscall::dispatch(t, p),
                Exit::Syscall => trace::syscall(t, p, sys::serve),
                Exit::Budget if p.cpu.icount < slice => {}
                Exit::Budget => p.need_switch |= p.multithreaded(),
                Exit::Interrupted => {}
                other => p.fault(other),
            }
            if p.need_switch && p.outcome.is_none() {
                p.schedule();
                trace::switched(t, p);
            }
            if p.signals.pending != 0 || gate::signals_pending() {
                p.deliver_pending();
            }
            trace::drain(t, p);
            if let Some(o) = p.outcome.take() {
                return end(t, p, o);
            }
        }
    }
}

/// The process ends as `o`: the traces finish, `--stats` reports, the log closes.
fn end(t: &mut Trace, p: &mut Process, o: Outcome) -> Outcome {
    if let Outcome::Signaled { sig, .. } = o {
        trace::crash_report(t, p, sig);
    }
    trace::ended(t, p, &o);
    p.release_vfork_parent();
    trace::finish(t);
    report_stats(t, p);
    t.flush();
    gate::finish(match &o {
        Outcome::Exited(c) => replay::End::Exited(*c),
        Outcome::Signaled { sig, .. } => replay::End::Signaled(*sig),
    });
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
    };
    let pid = gate::pid();
    t.stats.report(&mut t.sink, pid, cur, host::peak_rss(), |n| sys::name(n).unwrap_or("?"));
}
