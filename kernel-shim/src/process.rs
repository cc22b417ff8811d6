//! An emulated process: its CPU and address space, file descriptors, working directory,
//! program break and signal state, and the loop that runs it.

use crate::abi::signal as S;
use crate::fd::FdTable;
use crate::path::Sysroot;
use crate::signal::{SigInfo, Signals};
use crate::thread::Thread;
use crate::trace::{Trace, TraceOptions};
use crate::{exec, gate, host, sys};
use emu_cpu::{AddressSpace, Cpu, Exit};
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

/// How the guest ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Exited(i32),
    /// Killed by a signal. `detail` explains faults emu raised itself (e.g. which
    /// instruction was unimplemented).
    Signaled {
        sig: i32,
        rip: u64,
        fault_addr: Option<u64>,
        detail: Option<String>,
    },
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

pub struct Process {
    pub cpu: Cpu,
    pub(crate) fds: FdTable,
    pub(crate) sysroot: Sysroot,
    /// Guest working directory (absolute guest path).
    pub(crate) cwd: Vec<u8>,
    pub(crate) brk_start: u64,
    pub(crate) brk: u64,
    /// Guest path of the running program (/proc/self/exe).
    pub(crate) exe: Vec<u8>,
    pub(crate) signals: Signals,
    /// The mask to restore after a handler that interrupted rt_sigsuspend.
    pub(crate) saved_mask: Option<u64>,
    /// Why emu itself raised the last synchronous signal (shown if it kills the guest).
    pub(crate) fault_detail: Option<String>,
    /// The process's threads; `cur` is the one on the CPU.
    pub(crate) threads: Vec<Thread>,
    pub(crate) cur: usize,
    /// The current thread parked or exited: switch before running guest code.
    pub(crate) need_switch: bool,
    /// The current thread's registers need not be saved (it exited).
    pub(crate) cur_saved: bool,
    pub(crate) next_tid: i32,
    /// Orders futex waiters (FIFO wake-up).
    pub(crate) futex_seq: u64,
    pub(crate) auxv: Vec<(u64, u64)>,
    pub(crate) argv_range: (u64, u64),
    pub(crate) env_range: (u64, u64),
    pub(crate) umask: u32,
    pub(crate) outcome: Option<Outcome>,
    /// Thread name (prctl PR_SET_NAME, /proc/self/comm).
    pub(crate) comm: Vec<u8>,
    /// The vDSO's address range: syscalls made from it are vDSO calls.
    pub(crate) vdso: Option<(u64, u64)>,
    /// In a vfork child: the host pipe to the parent, which waits for this process's
    /// memory writes until it execs or exits (see `sys/fork.rs`).
    pub(crate) vfork_parent: Option<i32>,
    /// POSIX timers (timer_create).
    pub(crate) timers: crate::sys::timer::Timers,
    /// What the user asked to see, and where it goes.
    pub(crate) trace: Trace,
}

impl Process {
    /// Loads `program` as execve would (an ELF program or a `#!` script) and prepares
    /// the first thread.
    pub fn spawn(
        cfg: &Config,
        program: &[u8],
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
    ) -> Result<Process, SpawnError> {
        let trace = Trace::new(cfg.trace.clone())
            .map_err(|e| SpawnError::TraceFile(cfg.trace.file.clone().unwrap_or_default(), e))?;
        gate::init(&cfg.world, program, &argv, &envp).map_err(SpawnError::Log)?;
        let (sysroot, cwd) = match &cfg.sysroot {
            // A jail starts at its root, as chroot(8) does.
            Some(root) if cfg.jail => {
                let _ = host::chdir(root.as_os_str().as_encoded_bytes());
                (Sysroot::jail(root.clone()), b"/".to_vec())
            }
            _ => (Sysroot::new(cfg.sysroot.clone()), gate::start_cwd()),
        };
        let img = exec::load_program(&sysroot, &cwd, program, argv, envp).map_err(SpawnError::Load)?;
        let mut p = Process {
            cpu: Cpu::new(AddressSpace::new()),
            fds: FdTable::with_stdio(),
            sysroot,
            cwd,
            brk_start: 0,
            brk: 0,
            exe: Vec::new(),
            signals: Signals::default(),
            saved_mask: None,
            fault_detail: None,
            threads: vec![Thread::new(gate::pid())],
            cur: 0,
            need_switch: false,
            cur_saved: false,
            next_tid: gate::pid() + 1,
            futex_seq: 0,
            auxv: Vec::new(),
            argv_range: (0, 0),
            env_range: (0, 0),
            umask: 0o022,
            outcome: None,
            comm: Vec::new(),
            vdso: None,
            vfork_parent: None,
            timers: Default::default(),
            trace,
        };
        crate::replay::syscall::note_stdio(&p);
        for sig in gate::inherited_ignored() {
            p.signals.actions[sig as usize].handler = crate::signal::SIG_IGN;
        }
        p.install(img);
        Ok(p)
    }

    /// Makes `img` the process's address space and resets the thread to its entry point.
    pub(crate) fn install(&mut self, img: exec::Image) {
        let old = self.cpu.stats();
        self.trace.stats.image_replaced(&old);
        gate::new_image(old.instructions);
        let mut cpu = Cpu::new(img.mem);
        cpu.tsc = gate::tsc;
        cpu.rip = img.entry;
        cpu.set_reg(emu_cpu::Reg::Rsp, img.sp);
        self.cpu = cpu;
        self.brk_start = img.brk;
        self.brk = img.brk;
        self.comm =
            img.exe.rsplit(|&b| b == b'/').next().unwrap_or_default().iter().take(15).copied().collect();
        self.exe = img.exe;
        self.auxv = img.auxv;
        self.argv_range = img.argv_range;
        self.env_range = img.env_range;
        self.vdso = img.vdso;
        // Only the thread that called execve survives it.
        let tid = self.tid();
        self.threads = vec![Thread::new(tid)];
        self.cur = 0;
        self.arm_slice();
        crate::trace::image_installed(self);
    }

    /// Runs the guest until it exits or dies.
    pub fn run(&mut self) -> Outcome {
        host::install_signal_forwarding();
        crate::trace::started(self);
        loop {
            // The gate may need the CPU to stop before the thread's slice ends (a virtual
            // timer, a recorded asynchronous event).
            let slice = self.cpu.budget;
            self.cpu.budget = slice.min(gate::stop_at());
            let exit = self.cpu.run();
            self.trace.settle(&self.cpu);
            self.trace.flush();
            self.cpu.budget = slice;
            gate::at(self.cpu.icount);
            if gate::logging() {
                crate::replay::syscall::checkpoint(self);
            }
            match exit {
                Exit::Syscall => sys::dispatch(self),
                Exit::Budget if self.cpu.icount < slice => {}
                Exit::Budget => self.need_switch |= self.multithreaded(),
                Exit::Interrupted => {}
                other => self.fault(other),
            }
            if self.need_switch && self.outcome.is_none() {
                self.schedule();
                crate::trace::switched(self);
            }
            if self.signals.pending != 0 || gate::signals_pending() {
                self.deliver_pending();
            }
            if let Some(o) = self.outcome.take() {
                if let Outcome::Signaled { sig, .. } = o {
                    crate::trace::crash_report(self, sig);
                }
                crate::trace::ended(self, &o);
                self.release_vfork_parent();
                crate::trace::finish(self);
                self.report_stats();
                gate::finish(match &o {
                    Outcome::Exited(c) => crate::replay::End::Exited(*c),
                    Outcome::Signaled { sig, .. } => crate::replay::End::Signaled(*sig),
                });
                return o;
            }
        }
    }

    /// `--stats`: the summary of this process, when it ends.
    pub(crate) fn report_stats(&mut self) {
        if !self.trace.opts.stats {
            return;
        }
        let s = self.cpu.stats();
        let cur = crate::trace::stats::Current {
            instructions: s.instructions,
            blocks_decoded: s.blocks_decoded,
            lookups: s.lookups,
            misses: s.misses,
            guest_resident: self.cpu.mem.resident_bytes(),
            jit: s.jit,
        };
        let pid = gate::pid();
        self.trace
            .stats
            .report(&mut self.trace.sink, pid, cur, host::peak_rss(), |n| sys::name(n).unwrap_or("?"));
    }

    /// A CPU exception becomes a synchronous signal, as the kernel's trap handlers do.
    fn fault(&mut self, exit: Exit) {
        const SEGV_MAPERR: i32 = 1;
        const SEGV_ACCERR: i32 = 2;
        const ILL_ILLOPN: i32 = 2;
        const FPE_INTDIV: i32 = 1;
        const FPE_FLTINV: i32 = 7;
        let rip = self.cpu.rip;
        let (sig, code, addr, detail) = match exit {
            // A non-canonical address is #GP (SIGSEGV) or, through RSP/RBP, #SS (SIGBUS),
            // both with SI_KERNEL and no address.
            Exit::Fault(f) if f.addr.wrapping_add(1 << 47) >> 48 != 0 => {
                let sig = if self.cpu.faulting_access_uses_stack() { S::SIGBUS } else { S::SIGSEGV };
                (sig, 0x80, 0, Some("general protection fault (non-canonical address)".into()))
            }
            Exit::Fault(f) => {
                let code = match f.kind {
                    emu_cpu::FaultKind::Unmapped => SEGV_MAPERR,
                    emu_cpu::FaultKind::Protection => SEGV_ACCERR,
                };
                (S::SIGSEGV, code, f.addr, None)
            }
            Exit::InvalidOpcode(msg) => (S::SIGILL, ILL_ILLOPN, rip, Some(msg)),
            Exit::DivideError => (S::SIGFPE, FPE_INTDIV, rip, Some("integer divide error".into())),
            Exit::Breakpoint => (S::SIGTRAP, 0x80, 0, None),
            Exit::GeneralProtection => (S::SIGSEGV, 0x80, 0, Some("general protection fault".into())),
            Exit::FpException => (S::SIGFPE, FPE_FLTINV, rip, Some("floating-point exception".into())),
            Exit::Interrupt(n) => (S::SIGSEGV, 0x80, 0, Some(format!("int {n:#x}"))),
            Exit::Syscall | Exit::Budget | Exit::Interrupted => return,
        };
        self.fault_detail = detail;
        self.force_signal(SigInfo { signo: sig, code, addr, ..Default::default() });
    }
}
