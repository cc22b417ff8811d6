//! An emulated process: its CPU and address space, file descriptors, working directory,
//! program break and signal state, and the loop that runs it.

use crate::abi::signal as S;
use crate::fd::FdTable;
use crate::path::{bytes_to_path, Sysroot};
use crate::{gate, host, sys};
use emu_cpu::{AddressSpace, Cpu, Exit};
use emu_loader::{ElfFile, LoadError, LoadRequest};
use std::path::PathBuf;

/// How emu was asked to run the guest.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub sysroot: Option<PathBuf>,
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
}

impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            SpawnError::Load(e) => e.fmt(f),
        }
    }
}

impl SpawnError {
    pub fn exit_status(&self) -> i32 {
        match self {
            SpawnError::Load(e) => e.exit_status(),
        }
    }
}

#[derive(Clone, Copy, Default)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
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
    pub(crate) sigactions: [SigAction; 65],
    pub(crate) sigmask: u64,
    pub(crate) clear_child_tid: u64,
    pub(crate) robust_list: (u64, u64),
    pub(crate) auxv: Vec<(u64, u64)>,
    pub(crate) argv_range: (u64, u64),
    pub(crate) env_range: (u64, u64),
    pub(crate) umask: u32,
    pub(crate) outcome: Option<Outcome>,
}

impl Process {
    /// Loads `program` (a host path, already located) as execve would and prepares the
    /// first thread.
    pub fn spawn(
        cfg: &Config,
        program: &[u8],
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
    ) -> Result<Process, SpawnError> {
        let sysroot = Sysroot::new(cfg.sysroot.clone());
        let cwd = host::host_getcwd();
        let guest_abs = crate::path::join(&cwd, program);
        let host_path = sysroot.host_path(&guest_abs);
        let exe = ElfFile::open(&bytes_to_path(&host_path)).map_err(SpawnError::Load)?;
        let interp = match &exe.interp {
            Some(ip) => {
                let hp = sysroot.host_path(ip.as_bytes());
                match ElfFile::open(&bytes_to_path(&hp)) {
                    Ok(f) => Some(f),
                    Err(LoadError::NotFound(_)) => {
                        return Err(SpawnError::Load(LoadError::InterpreterNotFound {
                            program: bytes_to_path(program),
                            tried: bytes_to_path(&hp),
                        }))
                    }
                    Err(e) => {
                        return Err(SpawnError::Load(LoadError::BadInterpreter {
                            program: bytes_to_path(program),
                            cause: Box::new(e),
                        }))
                    }
                }
            }
            None => None,
        };
        let mut mem = AddressSpace::new();
        let mut random = [0u8; 16];
        gate::random_bytes(&mut random);
        let ids = host::ids();
        let cpuid = emu_cpu::cpuid::CpuidModel::default();
        let req = LoadRequest {
            exe: &exe,
            interp: interp.as_ref(),
            execfn: program,
            argv: &argv,
            envp: &envp,
            random,
            hwcap: cpuid.edx1 as u64,
            vdso: None,
            ids: [ids[0] as u64, ids[1] as u64, ids[2] as u64, ids[3] as u64],
        };
        let loaded = emu_loader::load(&mut mem, &req).map_err(SpawnError::Load)?;
        let mut cpu = Cpu::new(mem);
        cpu.cpuid = cpuid;
        cpu.tsc = gate::tsc;
        cpu.rip = loaded.entry;
        cpu.set_reg(emu_cpu::Reg::Rsp, loaded.sp);
        // The ELF ABI leaves rdx as an atexit pointer for the program; Linux passes 0.
        cpu.set_reg(emu_cpu::Reg::Rdx, 0);
        log::debug!(
            "loaded {} at bias {:#x}, entry {:#x}, sp {:#x}, brk {:#x}",
            String::from_utf8_lossy(program),
            loaded.main.bias,
            loaded.entry,
            loaded.sp,
            loaded.brk
        );
        Ok(Process {
            cpu,
            fds: FdTable::with_stdio(),
            sysroot,
            cwd,
            brk_start: loaded.brk,
            brk: loaded.brk,
            exe: guest_abs,
            sigactions: [SigAction::default(); 65],
            sigmask: 0,
            clear_child_tid: 0,
            robust_list: (0, 0),
            auxv: loaded.auxv.clone(),
            argv_range: (loaded.stack.argv_start, loaded.stack.argv_end),
            env_range: (loaded.stack.env_start, loaded.stack.env_end),
            umask: 0o022,
            outcome: None,
        })
    }

    /// Runs the guest until it exits or dies.
    pub fn run(&mut self) -> Outcome {
        loop {
            let exit = self.cpu.run();
            match exit {
                Exit::Syscall => {
                    sys::dispatch(self);
                    if let Some(o) = self.outcome.take() {
                        return o;
                    }
                }
                Exit::Budget => {}
                other => {
                    if let Some(o) = self.fault(other) {
                        return o;
                    }
                }
            }
        }
    }

    /// A CPU exception: becomes a signal. With no handler installed (signal delivery to
    /// guest handlers comes with the signals work) the default action kills the process.
    fn fault(&mut self, exit: Exit) -> Option<Outcome> {
        let rip = self.cpu.rip;
        let (sig, addr, detail) = match exit {
            Exit::Fault(f) => (S::SIGSEGV, Some(f.addr), None),
            Exit::InvalidOpcode(msg) => (S::SIGILL, None, Some(msg)),
            Exit::DivideError => (S::SIGFPE, None, Some("integer divide error".into())),
            Exit::Breakpoint => (S::SIGTRAP, None, None),
            Exit::GeneralProtection => (S::SIGSEGV, Some(0), Some("general protection fault".into())),
            Exit::FpException => (S::SIGFPE, None, Some("floating-point exception".into())),
            Exit::Interrupt(n) => (S::SIGSEGV, Some(0), Some(format!("int {n:#x}"))),
            Exit::Syscall | Exit::Budget => return None,
        };
        Some(Outcome::Signaled { sig, rip, fault_addr: addr, detail })
    }
}
