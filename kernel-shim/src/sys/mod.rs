//! The syscall table: one row per Linux x86-64 syscall number with its name, handler and
//! how completely emu supports it. Handlers live one file per subsystem; they decode and
//! check arguments and call the component that owns the state.
//! Unknown or unsupported syscalls return ENOSYS and are reported once.

use crate::abi::errno as E;
use crate::host::Errno;
use crate::Process;
use std::sync::OnceLock;

mod file;
mod fork;
mod fs;
pub(crate) mod futex;
pub(crate) mod mm;
mod poll;
mod process;
mod procfs;
mod signal;
mod time;
pub(crate) mod timer;

pub(crate) type SysResult = Result<u64, Errno>;
pub(crate) type SysFn = fn(&mut Process, &[u64; 6]) -> SysResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Support {
    /// Behaves as on Linux.
    Full,
    /// Works for the common cases; the handler refuses the rest with an errno.
    Partial,
    /// Deliberately answers ENOSYS (the guest has a fallback), without a warning.
    Enosys,
}

pub(crate) struct Row {
    pub nr: u32,
    pub name: &'static str,
    pub f: Option<SysFn>,
    pub support: Support,
    /// How `--strace` shows the arguments (`None`: six raw values).
    pub args: Option<&'static [Arg]>,
}

const fn row(nr: u32, name: &'static str, f: SysFn, support: Support) -> Row {
    Row { nr, name, f: Some(f), support, args: None }
}

const fn nosys(nr: u32, name: &'static str) -> Row {
    Row { nr, name, f: None, support: Support::Enosys, args: None }
}

impl Row {
    const fn args(self, args: &'static [Arg]) -> Row {
        Row { args: Some(args), ..self }
    }
}

use crate::trace::strace::Arg::{self, *};
use Support::{Full, Partial};

static ROWS: &[Row] = &[
    row(0, "read", file::read, Full).args(&[Fd, OutBuf, Uint]),
    row(1, "write", file::write, Full).args(&[Fd, Buf(2), Uint]),
    row(2, "open", file::open, Full).args(&[Path, OpenFlags, OpenMode(1)]),
    row(3, "close", file::close, Full).args(&[Fd]),
    row(4, "stat", fs::stat, Full).args(&[Path, OutStat]),
    row(5, "fstat", fs::fstat, Full).args(&[Fd, OutStat]),
    row(6, "lstat", fs::lstat, Full).args(&[Path, OutStat]),
    row(7, "poll", poll::poll, Full).args(&[PollFds(1), Uint, Int]),
    row(8, "lseek", file::lseek, Full).args(&[Fd, Long, Whence]),
    row(9, "mmap", mm::mmap, Partial).args(&[Ptr, Uint, Prot, MmapFlags, Fd, Hex]),
    row(10, "mprotect", mm::mprotect, Full).args(&[Ptr, Uint, Prot]),
    row(11, "munmap", mm::munmap, Full).args(&[Ptr, Uint]),
    row(12, "brk", mm::brk, Full).args(&[Ptr]),
    row(13, "rt_sigaction", signal::rt_sigaction, Partial).args(&[Signal, SigAction, OutSigAction, Uint]),
    row(14, "rt_sigprocmask", signal::rt_sigprocmask, Full).args(&[SigHow, SigSet, OutSigSet, Uint]),
    row(15, "rt_sigreturn", signal::rt_sigreturn, Full).args(&[SigreturnMask]),
    row(16, "ioctl", file::ioctl, Partial).args(&[Fd, Ioctl, IoctlData]),
    row(17, "pread64", file::pread64, Full).args(&[Fd, OutBuf, Uint, Long]),
    row(18, "pwrite64", file::pwrite64, Full).args(&[Fd, Buf(2), Uint, Long]),
    row(19, "readv", file::readv, Full).args(&[Fd, OutIovec(2), Int]),
    row(20, "writev", file::writev, Full).args(&[Fd, Iovec(2), Int]),
    row(21, "access", fs::access, Full).args(&[Path, Access]),
    row(22, "pipe", file::pipe, Full).args(&[OutFds]),
    row(23, "select", poll::select, Full).args(&[Int, FdSet(0), FdSet(0), FdSet(0), Timeval]),
    row(24, "sched_yield", process::sched_yield, Full).args(&[]),
    row(25, "mremap", mm::mremap, Partial).args(&[Ptr, Uint, Uint, MremapFlags, Ptr]),
    row(26, "msync", mm::msync, Partial).args(&[Ptr, Uint, Hex]),
    row(28, "madvise", mm::madvise, Partial).args(&[Ptr, Uint, Madvise]),
    row(32, "dup", file::dup, Full).args(&[Fd]),
    row(33, "dup2", file::dup2, Full).args(&[Fd, Fd]),
    row(34, "pause", signal::pause, Full).args(&[]),
    row(35, "nanosleep", time::nanosleep, Full).args(&[Timespec, OutTimespec]),
    row(36, "getitimer", signal::getitimer, Full).args(&[ItimerWhich, OutItimerval]),
    row(37, "alarm", signal::alarm, Full).args(&[Uint]),
    row(38, "setitimer", signal::setitimer, Full).args(&[ItimerWhich, Itimerval, OutItimerval]),
    row(39, "getpid", process::getpid, Full).args(&[]),
    row(51, "getsockname", file::getsockname, Partial).args(&[Fd, OutSockAddr(2), OutSockLen]),
    row(52, "getpeername", file::getsockname, Partial).args(&[Fd, OutSockAddr(2), OutSockLen]),
    row(53, "socketpair", poll::socketpair, Partial).args(&[SockFamily, SockType, SockProto(0), OutFds]),
    row(56, "clone", fork::clone, Partial).args(&[Clone]),
    row(57, "fork", fork::fork, Full).args(&[]),
    row(58, "vfork", fork::vfork, Partial).args(&[]),
    row(59, "execve", fork::execve, Full).args(&[Path, Argv, Envp]),
    row(60, "exit", process::exit, Full).args(&[Int]),
    row(61, "wait4", fork::wait4, Full).args(&[Int, OutWaitStatus, WaitOptions, Ptr]),
    row(62, "kill", fork::kill, Partial).args(&[Int, Signal]),
    row(63, "uname", process::uname, Full).args(&[OutUtsname]),
    row(72, "fcntl", file::fcntl, Partial).args(&[Fd, Fcntl]),
    row(74, "fsync", file::fsync, Full).args(&[Fd]),
    row(75, "fdatasync", file::fsync, Full).args(&[Fd]),
    row(77, "ftruncate", file::ftruncate, Full).args(&[Fd, Long]),
    row(79, "getcwd", fs::getcwd, Full).args(&[OutStr, Uint]),
    row(80, "chdir", fs::chdir, Full).args(&[Path]),
    row(81, "fchdir", fs::fchdir, Full).args(&[Fd]),
    row(82, "rename", fs::rename, Full).args(&[Path, Path]),
    row(83, "mkdir", fs::mkdir, Full).args(&[Path, Mode]),
    row(84, "rmdir", fs::rmdir, Full).args(&[Path]),
    row(86, "link", fs::link, Full).args(&[Path, Path]),
    row(87, "unlink", fs::unlink, Full).args(&[Path]),
    row(88, "symlink", fs::symlink, Full).args(&[Path, Path]),
    row(89, "readlink", fs::readlink, Full).args(&[Path, OutBuf, Uint]),
    row(90, "chmod", fs::chmod, Full).args(&[Path, Mode]),
    row(91, "fchmod", fs::fchmod, Full).args(&[Fd, Mode]),
    row(95, "umask", fs::umask, Full).args(&[Mode]),
    row(96, "gettimeofday", time::gettimeofday, Full).args(&[Ptr, Ptr]),
    row(97, "getrlimit", process::getrlimit, Full).args(&[Resource, OutRlimit]),
    row(98, "getrusage", process::getrusage, Partial).args(&[Int, Ptr]),
    row(99, "sysinfo", process::sysinfo, Partial).args(&[Ptr]),
    row(100, "times", process::times, Full).args(&[Ptr]),
    row(102, "getuid", process::getuid, Full).args(&[]),
    row(104, "getgid", process::getgid, Full).args(&[]),
    row(107, "geteuid", process::geteuid, Full).args(&[]),
    row(108, "getegid", process::getegid, Full).args(&[]),
    row(105, "setuid", process::setuid, Partial).args(&[Int]),
    row(106, "setgid", process::setgid, Partial).args(&[Int]),
    row(110, "getppid", process::getppid, Full).args(&[]),
    row(111, "getpgrp", process::getpid, Partial).args(&[]),
    row(113, "setreuid", process::setreuid, Partial).args(&[Int, Int]),
    row(114, "setregid", process::setregid, Partial).args(&[Int, Int]),
    row(115, "getgroups", process::getgroups, Partial).args(&[Int, Ptr]),
    row(117, "setresuid", process::setresuid, Partial).args(&[Int, Int, Int]),
    row(118, "getresuid", process::getresuid, Full).args(&[Ptr, Ptr, Ptr]),
    row(119, "setresgid", process::setresgid, Partial).args(&[Int, Int, Int]),
    row(120, "getresgid", process::getresgid, Full).args(&[Ptr, Ptr, Ptr]),
    row(127, "rt_sigpending", signal::rt_sigpending, Full).args(&[OutSigSet, Uint]),
    row(128, "rt_sigtimedwait", signal::rt_sigtimedwait, Full).args(&[SigSet, Ptr, Timespec, Uint]),
    row(129, "rt_sigqueueinfo", fork::rt_sigqueueinfo, Partial).args(&[Int, Signal, Ptr]),
    row(130, "rt_sigsuspend", signal::rt_sigsuspend, Full).args(&[SigSet, Uint]),
    row(131, "sigaltstack", signal::sigaltstack, Full).args(&[StackT, OutStackT]),
    row(137, "statfs", fs::statfs, Partial).args(&[Path, Ptr]),
    row(138, "fstatfs", fs::fstatfs, Partial).args(&[Fd, Ptr]),
    row(157, "prctl", process::prctl, Partial).args(&[Prctl]),
    row(158, "arch_prctl", process::arch_prctl, Full).args(&[ArchPrctl, Ptr]),
    row(186, "gettid", process::gettid, Full).args(&[]),
    row(200, "tkill", fork::tkill, Partial).args(&[Int, Signal]),
    row(201, "time", time::time, Full).args(&[Ptr]),
    row(202, "futex", futex::futex, Full).args(&[Ptr, Futex]),
    row(204, "sched_getaffinity", process::sched_getaffinity, Full).args(&[Int, Uint, Ptr]),
    row(213, "epoll_create", poll::epoll_create, Full).args(&[Int]),
    row(217, "getdents64", fs::getdents64, Full).args(&[Fd, OutDirents, Uint]),
    row(218, "set_tid_address", process::set_tid_address, Full).args(&[Ptr]),
    row(221, "fadvise64", file::fadvise64, Full).args(&[Fd, Long, Long, Int]),
    row(222, "timer_create", timer::timer_create, Full).args(&[ClockId, Ptr, Ptr]),
    row(223, "timer_settime", timer::timer_settime, Full).args(&[Int, Hex, Ptr, Ptr]),
    row(224, "timer_gettime", timer::timer_gettime, Full).args(&[Int, Ptr]),
    row(225, "timer_getoverrun", timer::timer_getoverrun, Full).args(&[Int]),
    row(226, "timer_delete", timer::timer_delete, Full).args(&[Int]),
    row(228, "clock_gettime", time::clock_gettime, Full).args(&[ClockId, OutTimespec]),
    row(229, "clock_getres", time::clock_getres, Full).args(&[ClockId, OutTimespec]),
    row(230, "clock_nanosleep", time::clock_nanosleep, Full).args(&[ClockId, Int, Timespec, OutTimespec]),
    row(231, "exit_group", process::exit_group, Full).args(&[Int]),
    row(232, "epoll_wait", poll::epoll_wait, Partial).args(&[Fd, Ptr, Int, Int]),
    row(233, "epoll_ctl", poll::epoll_ctl, Partial).args(&[Fd, Int, Fd, Ptr]),
    row(234, "tgkill", fork::tgkill, Partial).args(&[Int, Int, Signal]),
    row(247, "waitid", fork::waitid, Full).args(&[Int, Int, Ptr, WaitOptions, Ptr]),
    row(257, "openat", file::openat, Full).args(&[DirFd, Path, OpenFlags, OpenMode(2)]),
    row(258, "mkdirat", fs::mkdirat, Full).args(&[DirFd, Path, Mode]),
    row(262, "newfstatat", fs::newfstatat, Full).args(&[DirFd, Path, OutStat, AtFlags]),
    row(263, "unlinkat", fs::unlinkat, Full).args(&[DirFd, Path, AtFlags]),
    row(264, "renameat", fs::renameat, Full).args(&[DirFd, Path, DirFd, Path]),
    row(265, "linkat", fs::linkat, Full).args(&[DirFd, Path, DirFd, Path, AtFlags]),
    row(266, "symlinkat", fs::symlinkat, Full).args(&[Path, DirFd, Path]),
    row(267, "readlinkat", fs::readlinkat, Full).args(&[DirFd, Path, OutBuf, Uint]),
    row(268, "fchmodat", fs::fchmodat, Full).args(&[DirFd, Path, Mode]),
    row(269, "faccessat", fs::faccessat, Full).args(&[DirFd, Path, Access]),
    row(270, "pselect6", poll::pselect6, Full).args(&[
        Int,
        FdSet(0),
        FdSet(0),
        FdSet(0),
        Timespec,
        PselectSig,
    ]),
    row(271, "ppoll", poll::ppoll, Full).args(&[PollFds(1), Uint, Timespec, SigSet, Uint]),
    row(273, "set_robust_list", process::set_robust_list, Full).args(&[Ptr, Uint]),
    row(274, "get_robust_list", futex::get_robust_list, Full).args(&[Int, Ptr, Ptr]),
    row(281, "epoll_pwait", poll::epoll_pwait, Partial).args(&[Fd, Ptr, Int, Int, SigSet, Uint]),
    row(284, "eventfd", poll::eventfd, Full).args(&[Uint]),
    row(290, "eventfd2", poll::eventfd2, Full).args(&[Uint, FdFlags]),
    row(291, "epoll_create1", poll::epoll_create1, Full).args(&[FdFlags]),
    row(292, "dup3", file::dup3, Full).args(&[Fd, Fd, FdFlags]),
    row(293, "pipe2", file::pipe2, Full).args(&[OutFds, FdFlags]),
    row(297, "rt_tgsigqueueinfo", fork::rt_tgsigqueueinfo, Partial).args(&[Int, Int, Signal, Ptr]),
    row(302, "prlimit64", process::prlimit64, Partial).args(&[Int, Resource, Rlimit, OutRlimit]),
    row(309, "getcpu", process::getcpu, Full).args(&[Ptr, Ptr, Ptr]),
    row(316, "renameat2", fs::renameat2, Partial).args(&[DirFd, Path, DirFd, Path, Hex]),
    row(318, "getrandom", process::getrandom, Full).args(&[OutHex, Uint, GrndFlags]),
    row(332, "statx", fs::statx, Full).args(&[DirFd, Path, StatxFlags, StatxMask, OutStatx]),
    row(322, "execveat", fork::execveat, Full).args(&[DirFd, Path, Argv, Envp, AtFlags]),
    nosys(334, "rseq").args(&[Ptr, Hex, Int, Hex]),
    nosys(435, "clone3").args(&[Ptr, Uint]),
    row(439, "faccessat2", fs::faccessat2, Full).args(&[DirFd, Path, Access, AtFlags]),
];

fn table() -> &'static [Option<&'static Row>] {
    static T: OnceLock<Vec<Option<&'static Row>>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = vec![None; 512];
        for r in ROWS {
            t[r.nr as usize] = Some(r);
        }
        t
    })
}

/// Name of a syscall number, for diagnostics.
pub(crate) fn name(nr: u64) -> Option<&'static str> {
    table().get(nr as usize).copied().flatten().map(|r| r.name)
}

/// Name and argument formats of a syscall number, for `--strace`.
pub(crate) fn row_info(nr: u64) -> Option<(&'static str, Option<&'static [Arg]>)> {
    table().get(nr as usize).copied().flatten().map(|r| (r.name, r.args))
}

/// Serves the syscall the guest just made (number in rax, arguments in rdi, rsi, rdx,
/// r10, r8, r9) and puts the result in rax. Recording and replaying go through
/// `replay::syscall`, which calls `serve` for what it runs.
pub(crate) fn dispatch(p: &mut Process) {
    if crate::gate::logging() {
        return crate::replay::syscall::dispatch(p);
    }
    serve(p)
}

pub(crate) fn serve(p: &mut Process) {
    let r = &p.cpu.regs;
    let nr = r[0];
    let args = [r[7], r[6], r[2], r[10], r[8], r[9]];
    if p.trace.opts.stats {
        p.trace.stats.syscall(nr);
    }
    // Tracing the syscall costs this one test when no trace asks for syscalls.
    let call = p.trace.syscalls.then(|| crate::trace::strace::enter(p, nr, &args));
    let res = loop {
        let res = match table().get(nr as usize).copied().flatten() {
            Some(Row { f: Some(f), .. }) => f(p, &args),
            Some(row) => {
                debug_assert_eq!(row.support, Support::Enosys);
                Err(E::ENOSYS)
            }
            None => {
                warn_once(nr);
                Err(E::ENOSYS)
            }
        };
        if res == Err(crate::thread::E_WOULDBLOCK) {
            // The thread parked. Waits that re-execute the syscall rewind to it; the
            // others get their result from whoever ends the wait.
            if matches!(p.cur().wait, crate::thread::Wait::Fd { .. } | crate::thread::Wait::Retry { .. }) {
                p.cpu.rip -= 2;
                p.cpu.regs[0] = nr;
            }
            if let Some(c) = call {
                crate::trace::strace::parked(p, c);
            }
            return;
        }
        if res != Err(E::EINTR) || nr == 15 {
            break res;
        }
        // A host signal interrupted a blocking host call. If it means nothing to the
        // guest, carry on as Linux would; if a handler with SA_RESTART will run, make the
        // guest re-execute the syscall after the handler; otherwise report EINTR.
        p.collect_host_signals();
        if p.outcome.is_some() {
            break res;
        }
        match p.next_action() {
            None => continue,
            Some(act)
                if act.handler > crate::signal::SIG_IGN && act.flags & crate::signal::SA_RESTART != 0 =>
            {
                if matches!(nr, 7 | 23 | 34 | 35 | 128 | 130 | 230 | 232 | 270 | 271 | 281) {
                    // pause, sigsuspend, sleeps and the poll family are never restarted
                    // after a handler ran (Linux: ERESTARTNOHAND).
                    break res;
                }
                p.cpu.rip -= 2;
                if let Some(c) = call {
                    crate::trace::strace::restart(p, c);
                }
                return; // rax still holds the syscall number
            }
            Some(_) => break res,
        }
    };
    if log::log_enabled!(log::Level::Trace) {
        let from_vdso = p.vdso.is_some_and(|(a, b)| (a..b).contains(&p.cpu.rip));
        let kind = if from_vdso { "vdso call" } else { "syscall" };
        log::trace!("{kind} {}({:x?}) = {:?}", name(nr).unwrap_or("?"), args, res);
    }
    if let Some(c) = call {
        crate::trace::syscall_done(p, c, &res);
    }
    p.cpu.regs[0] = match res {
        Ok(v) => v,
        Err(e) => (-(e as i64)) as u64,
    };
}

fn warn_once(nr: u64) {
    use std::sync::Mutex;
    static SEEN: Mutex<Vec<u64>> = Mutex::new(Vec::new());
    let mut s = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if !s.contains(&nr) {
        s.push(nr);
        log::warn!("unimplemented syscall {nr}: returning ENOSYS");
    }
}

// ---- argument helpers shared by the subsystems ----

pub(crate) const PATH_MAX: usize = 4096;

/// Reads a NUL-terminated path from guest memory.
pub(crate) fn read_path(p: &mut Process, addr: u64) -> Result<Vec<u8>, Errno> {
    if addr == 0 {
        return Err(E::EFAULT);
    }
    let s = p.cpu.mem.read_cstr(addr, PATH_MAX).map_err(|_| E::EFAULT)?;
    if s.len() >= PATH_MAX {
        return Err(E::ENAMETOOLONG);
    }
    Ok(s)
}

pub(crate) fn read_guest(p: &mut Process, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
    let mut b = vec![0u8; len];
    p.cpu.mem.read(addr, &mut b).map_err(|_| E::EFAULT)?;
    Ok(b)
}

pub(crate) fn write_guest(p: &mut Process, addr: u64, data: &[u8]) -> Result<(), Errno> {
    let watched = crate::trace::before_kernel_write(p, addr, data.len());
    p.cpu.mem.write(addr, data).map_err(|_| E::EFAULT)?;
    crate::gate::note_write(addr, data);
    crate::trace::after_kernel_write(p, watched);
    Ok(())
}
