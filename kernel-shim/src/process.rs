//! An emulated process: its CPU and address space, file descriptors, working directory,
//! program break, threads and signal state, and the outside world it meets
//! (`crate::world`). The loop that runs it, and the traces that
//! watch it, are above it in `run.rs`: what happens inside the kernel that they may want
//! to show is queued here as [`Event`]s.

use crate::abi::process::{Rlimit, RLIMIT_NOFILE, RLIMIT_STACK, RLIM_INFINITY, RLIM_NLIMITS};
use crate::abi::signal as S;
use crate::fd::FdTable;
use crate::path::Sysroot;
use crate::signal::{SigInfo, Signals};
use crate::thread::Thread;
use crate::world::{self, World};
use crate::{exec, host};
use emu_cpu::{AddressSpace, Cpu, Exit, RunStats};
use emu_loader::LoadError;
use std::path::PathBuf;

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

pub struct Process {
    pub cpu: Cpu,
    /// Everything from outside that may differ between runs (time, randomness, pids,
    /// signal arrival...): the host's, fixed, recorded or replayed. Shared with the CPU
    /// (rdtsc); reach it with [`Process::world`].
    pub(crate) world: world::Shared,
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
    pub(crate) timers: crate::signal::timers::Timers,
    /// Something observes the process (a trace): queue [`Event`]s for it.
    pub(crate) observed: bool,
    pub(crate) events: Vec<Event>,
    /// While a syscall whose effect is recorded runs: the guest memory it wrote
    /// (`sys::write_guest`), in order.
    pub(crate) written: Option<Vec<(u64, Vec<u8>)>>,
    /// What prctl and personality set that emu keeps itself.
    pub(crate) settings: Settings,
    /// Resource limits (getrlimit/setrlimit/prlimit64), by resource number.
    pub(crate) limits: [Rlimit; RLIM_NLIMITS],
}

/// The limits a process starts with: RLIMIT_STACK is the stack emu's loader gives,
/// RLIMIT_NOFILE the size of emu's descriptor table, the rest unlimited.
fn start_limits() -> [Rlimit; RLIM_NLIMITS] {
    let mut l = [Rlimit { cur: RLIM_INFINITY, max: RLIM_INFINITY }; RLIM_NLIMITS];
    l[RLIMIT_STACK].cur = emu_loader::STACK_SIZE;
    l[RLIMIT_NOFILE] = Rlimit { cur: crate::fd::MAX_FDS as u64, max: crate::fd::MAX_FDS as u64 };
    l
}

/// The per-process settings of prctl and personality, kept as Linux keeps them across
/// fork and execve (see where each is reset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    /// PR_SET_PDEATHSIG (Linux number; 0 none): cleared in a forked child.
    pub pdeathsig: i32,
    /// PR_SET_DUMPABLE: 1 by default, again 1 after execve.
    pub dumpable: i32,
    /// PR_SET_NO_NEW_PRIVS: inherited, never cleared.
    pub no_new_privs: bool,
    /// PR_SET_CHILD_SUBREAPER: not inherited by a forked child.
    pub subreaper: bool,
    /// PR_SET_KEEPCAPS: cleared by execve.
    pub keepcaps: bool,
    /// PR_SET_TIMERSLACK in nanoseconds (50 µs by default).
    pub timerslack_ns: u64,
    /// PR_SET_THP_DISABLE.
    pub thp_disable: bool,
    /// personality(2): PER_LINUX (0) and its flags.
    pub personality: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            pdeathsig: 0,
            dumpable: 1,
            no_new_privs: false,
            subreaper: false,
            keepcaps: false,
            timerslack_ns: 50_000,
            thp_disable: false,
            personality: 0,
        }
    }
}

/// What happened inside the kernel that the traces may show. Queued while
/// `Process::observed` is set; the run loop hands them over before the guest runs again,
/// so they reach the trace in the order they happened.
pub(crate) enum Event {
    /// A new image is in place (start, execve); `old` is what the one before it ran.
    ImageInstalled {
        old: RunStats,
    },
    /// The guest mapped memory with `prot` at `start` (a library, perhaps).
    Mapped {
        start: u64,
        prot: u64,
    },
    Unmapped {
        start: u64,
        len: u64,
    },
    /// A signal is being delivered.
    SignalDelivered(SigInfo),
    /// A handler starts: rip is at the handler, `sp` at its frame.
    HandlerEntered {
        sig: i32,
        rip: u64,
        sp: u64,
    },
    Sigreturned,
    /// The syscall `nr(args)`, made by the `syscall` at `rip`, wrote guest memory at `addr`
    /// that a `--watch` covers: the bytes before and after.
    KernelWrite {
        nr: u64,
        args: [u64; 6],
        rip: u64,
        addr: u64,
        old: Vec<u8>,
        new: Vec<u8>,
    },
}

impl Process {
    /// Loads `program` as execve would (an ELF program or a `#!` script) and prepares
    /// the first thread, in `world`.
    pub(crate) fn new(
        world: world::Shared,
        root: Option<PathBuf>,
        jail: bool,
        program: &[u8],
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
        observed: bool,
    ) -> Result<Process, LoadError> {
        let (sysroot, cwd) = match root {
            // A jail starts at its root, as chroot(8) does.
            Some(root) if jail => {
                let _ = host::chdir(root.as_os_str().as_encoded_bytes());
                (Sysroot::jail(root), b"/".to_vec())
            }
            root => (Sysroot::new(root), world.start_cwd()),
        };
        let img = exec::load_program(&*world, &sysroot, &cwd, program, argv, envp)?;
        let pid = world.pid();
        let ignored = world.inherited_ignored();
        let umask = world.start_umask();
        let inherited = world.inherited_fds();
        let fds = FdTable::at_start(&inherited, world.kind() == world::Kind::Replaying);
        let mut p = Process {
            cpu: Cpu::new(AddressSpace::new()),
            world,
            fds,
            sysroot,
            cwd,
            brk_start: 0,
            brk: 0,
            exe: Vec::new(),
            signals: Signals::default(),
            saved_mask: None,
            fault_detail: None,
            threads: vec![Thread::new(pid)],
            cur: 0,
            need_switch: false,
            cur_saved: false,
            next_tid: pid + 1,
            futex_seq: 0,
            auxv: Vec::new(),
            argv_range: (0, 0),
            env_range: (0, 0),
            umask,
            outcome: None,
            comm: Vec::new(),
            vdso: None,
            vfork_parent: None,
            timers: Default::default(),
            observed,
            events: Vec::new(),
            written: None,
            settings: Settings::default(),
            limits: start_limits(),
        };
        for sig in ignored {
            p.signals.actions[sig as usize].handler = crate::signal::SIG_IGN;
        }
        p.install(img);
        Ok(p)
    }

    /// The process's world.
    #[inline]
    pub(crate) fn world(&self) -> &dyn World {
        &*self.world
    }

    /// A syscall's result reached guest memory: kept while the syscall's effect is being
    /// recorded.
    #[inline]
    pub(crate) fn note_write(&mut self, addr: u64, data: &[u8]) {
        if let Some(w) = &mut self.written {
            w.push((addr, data.to_vec()));
        }
    }

    /// A SIGKILL from outside ends the process, as the kernel does (no handler): the run
    /// loop ends it before the guest runs another instruction, once its trace, statistics
    /// and log are complete.
    pub(crate) fn end_by_sigkill(&mut self) {
        if self.outcome.is_none() {
            self.outcome = Some(Outcome::Signaled {
                sig: S::SIGKILL,
                rip: self.cpu.rip,
                fault_addr: None,
                detail: None,
            });
        }
    }

    /// The kernel writes guest memory on the guest's behalf (a syscall's result, the
    /// futex word of a dying thread). A write over a `--watch`ed range is an event.
    pub(crate) fn poke(&mut self, addr: u64, data: &[u8]) -> Result<(), emu_cpu::Fault> {
        let end = addr.saturating_add(data.len() as u64);
        let watched = self.observed
            && self.cpu.hooks.watches().iter().any(|w| w.start < end && addr < w.start.saturating_add(w.len));
        if !watched {
            return self.cpu.mem.write(addr, data);
        }
        self.kernel_write_watched(addr, data)
    }

    #[cold]
    fn kernel_write_watched(&mut self, addr: u64, data: &[u8]) -> Result<(), emu_cpu::Fault> {
        let mut old = vec![0u8; data.len()];
        let _ = self.cpu.mem.peek(addr, &mut old);
        self.cpu.mem.write(addr, data)?;
        // The syscall is still being served: rax holds its number, rip is past `syscall`.
        let (nr, args) = self.cpu.syscall_args();
        let rip = self.cpu.rip.wrapping_sub(2);
        self.events.push(Event::KernelWrite { nr, args, rip, addr, old, new: data.to_vec() });
        Ok(())
    }

    /// Queues `e` for the traces, if anything observes the process.
    #[inline]
    pub(crate) fn event(&mut self, e: impl FnOnce(&Process) -> Event) {
        if self.observed {
            let e = e(self);
            self.events.push(e);
        }
    }

    /// Makes `img` the process's address space and resets the thread to its entry point.
    pub(crate) fn install(&mut self, img: exec::Image) {
        let old = self.cpu.stats();
        self.world().new_image(old.instructions);
        let mut cpu = Cpu::new(img.mem);
        cpu.outside = Box::new(world::ForCpu(self.world.clone()));
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
        self.event(|_| Event::ImageInstalled { old });
    }

    /// A CPU exception becomes a synchronous signal, as the kernel's trap handlers do.
    pub(crate) fn fault(&mut self, exit: Exit) {
        const SEGV_MAPERR: i32 = 1;
        const SEGV_ACCERR: i32 = 2;
        const BUS_ADRERR: i32 = 2;
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
            Exit::Fault(f) => match f.kind {
                emu_cpu::FaultKind::Unmapped => (S::SIGSEGV, SEGV_MAPERR, f.addr, None),
                emu_cpu::FaultKind::Protection => (S::SIGSEGV, SEGV_ACCERR, f.addr, None),
                // A shared file mapping's page past the end of the file.
                emu_cpu::FaultKind::Beyond => (S::SIGBUS, BUS_ADRERR, f.addr, None),
            },
            Exit::InvalidOpcode(msg) => (S::SIGILL, ILL_ILLOPN, rip, Some(msg)),
            Exit::DivideError => (S::SIGFPE, FPE_INTDIV, rip, Some("integer divide error".into())),
            Exit::Breakpoint => (S::SIGTRAP, 0x80, 0, None),
            Exit::GeneralProtection => (S::SIGSEGV, 0x80, 0, Some("general protection fault".into())),
            Exit::FpException => (S::SIGFPE, FPE_FLTINV, rip, Some("floating-point exception".into())),
            Exit::Interrupt(n) => (S::SIGSEGV, 0x80, 0, Some(format!("int {n:#x}"))),
            Exit::Syscall | Exit::Budget | Exit::Interrupted | Exit::Debug(_) => return,
        };
        self.fault_detail = detail;
        self.force_signal(SigInfo { signo: sig, code, addr, ..Default::default() });
    }
}
