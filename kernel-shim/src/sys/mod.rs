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
mod futex;
pub(crate) mod mm;
mod poll;
mod process;
mod procfs;
mod signal;
mod time;

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
}

const fn row(nr: u32, name: &'static str, f: SysFn, support: Support) -> Row {
    Row { nr, name, f: Some(f), support }
}

const fn nosys(nr: u32, name: &'static str) -> Row {
    Row { nr, name, f: None, support: Support::Enosys }
}

use Support::{Full, Partial};

static ROWS: &[Row] = &[
    row(0, "read", file::read, Full),
    row(1, "write", file::write, Full),
    row(2, "open", file::open, Full),
    row(3, "close", file::close, Full),
    row(4, "stat", fs::stat, Full),
    row(5, "fstat", fs::fstat, Full),
    row(6, "lstat", fs::lstat, Full),
    row(7, "poll", poll::poll, Full),
    row(8, "lseek", file::lseek, Full),
    row(9, "mmap", mm::mmap, Partial),
    row(10, "mprotect", mm::mprotect, Full),
    row(11, "munmap", mm::munmap, Full),
    row(12, "brk", mm::brk, Full),
    row(13, "rt_sigaction", signal::rt_sigaction, Partial),
    row(14, "rt_sigprocmask", signal::rt_sigprocmask, Full),
    row(15, "rt_sigreturn", signal::rt_sigreturn, Full),
    row(16, "ioctl", file::ioctl, Partial),
    row(17, "pread64", file::pread64, Full),
    row(18, "pwrite64", file::pwrite64, Full),
    row(19, "readv", file::readv, Full),
    row(20, "writev", file::writev, Full),
    row(21, "access", fs::access, Full),
    row(22, "pipe", file::pipe, Full),
    row(23, "select", poll::select, Full),
    row(24, "sched_yield", process::sched_yield, Full),
    row(25, "mremap", mm::mremap, Partial),
    row(26, "msync", mm::msync, Partial),
    row(28, "madvise", mm::madvise, Partial),
    row(32, "dup", file::dup, Full),
    row(33, "dup2", file::dup2, Full),
    row(34, "pause", signal::pause, Full),
    row(35, "nanosleep", time::nanosleep, Full),
    row(36, "getitimer", signal::getitimer, Full),
    row(37, "alarm", signal::alarm, Full),
    row(38, "setitimer", signal::setitimer, Full),
    row(39, "getpid", process::getpid, Full),
    row(51, "getsockname", file::getsockname, Partial),
    row(52, "getpeername", file::getsockname, Partial),
    row(53, "socketpair", poll::socketpair, Partial),
    row(56, "clone", fork::clone, Partial),
    row(57, "fork", fork::fork, Full),
    row(58, "vfork", fork::vfork, Partial),
    row(59, "execve", fork::execve, Full),
    row(60, "exit", process::exit, Full),
    row(61, "wait4", fork::wait4, Full),
    row(62, "kill", fork::kill, Partial),
    row(63, "uname", process::uname, Full),
    row(72, "fcntl", file::fcntl, Partial),
    row(74, "fsync", file::fsync, Full),
    row(75, "fdatasync", file::fsync, Full),
    row(77, "ftruncate", file::ftruncate, Full),
    row(79, "getcwd", fs::getcwd, Full),
    row(80, "chdir", fs::chdir, Full),
    row(81, "fchdir", fs::fchdir, Full),
    row(82, "rename", fs::rename, Full),
    row(83, "mkdir", fs::mkdir, Full),
    row(84, "rmdir", fs::rmdir, Full),
    row(86, "link", fs::link, Full),
    row(87, "unlink", fs::unlink, Full),
    row(88, "symlink", fs::symlink, Full),
    row(89, "readlink", fs::readlink, Full),
    row(90, "chmod", fs::chmod, Full),
    row(91, "fchmod", fs::fchmod, Full),
    row(95, "umask", fs::umask, Full),
    row(96, "gettimeofday", time::gettimeofday, Full),
    row(97, "getrlimit", process::getrlimit, Full),
    row(98, "getrusage", process::getrusage, Partial),
    row(99, "sysinfo", process::sysinfo, Partial),
    row(102, "getuid", process::getuid, Full),
    row(104, "getgid", process::getgid, Full),
    row(107, "geteuid", process::geteuid, Full),
    row(108, "getegid", process::getegid, Full),
    row(105, "setuid", process::setuid, Partial),
    row(106, "setgid", process::setgid, Partial),
    row(110, "getppid", process::getppid, Full),
    row(111, "getpgrp", process::getpid, Partial),
    row(113, "setreuid", process::setreuid, Partial),
    row(114, "setregid", process::setregid, Partial),
    row(115, "getgroups", process::getgroups, Partial),
    row(117, "setresuid", process::setresuid, Partial),
    row(118, "getresuid", process::getresuid, Full),
    row(119, "setresgid", process::setresgid, Partial),
    row(120, "getresgid", process::getresgid, Full),
    row(127, "rt_sigpending", signal::rt_sigpending, Full),
    row(128, "rt_sigtimedwait", signal::rt_sigtimedwait, Full),
    row(129, "rt_sigqueueinfo", fork::rt_sigqueueinfo, Partial),
    row(130, "rt_sigsuspend", signal::rt_sigsuspend, Full),
    row(131, "sigaltstack", signal::sigaltstack, Full),
    row(137, "statfs", fs::statfs, Partial),
    row(138, "fstatfs", fs::fstatfs, Partial),
    row(157, "prctl", process::prctl, Partial),
    row(158, "arch_prctl", process::arch_prctl, Full),
    row(186, "gettid", process::gettid, Full),
    row(200, "tkill", fork::tkill, Partial),
    row(201, "time", time::time, Full),
    row(202, "futex", futex::futex, Full),
    row(204, "sched_getaffinity", process::sched_getaffinity, Full),
    row(213, "epoll_create", poll::epoll_create, Full),
    row(217, "getdents64", fs::getdents64, Full),
    row(218, "set_tid_address", process::set_tid_address, Full),
    row(221, "fadvise64", file::fadvise64, Full),
    row(228, "clock_gettime", time::clock_gettime, Full),
    row(229, "clock_getres", time::clock_getres, Full),
    row(230, "clock_nanosleep", time::clock_nanosleep, Full),
    row(231, "exit_group", process::exit_group, Full),
    row(232, "epoll_wait", poll::epoll_wait, Partial),
    row(233, "epoll_ctl", poll::epoll_ctl, Partial),
    row(234, "tgkill", fork::tgkill, Partial),
    row(247, "waitid", fork::waitid, Full),
    row(257, "openat", file::openat, Full),
    row(258, "mkdirat", fs::mkdirat, Full),
    row(262, "newfstatat", fs::newfstatat, Full),
    row(263, "unlinkat", fs::unlinkat, Full),
    row(264, "renameat", fs::renameat, Full),
    row(265, "linkat", fs::linkat, Full),
    row(266, "symlinkat", fs::symlinkat, Full),
    row(267, "readlinkat", fs::readlinkat, Full),
    row(268, "fchmodat", fs::fchmodat, Full),
    row(269, "faccessat", fs::faccessat, Full),
    row(270, "pselect6", poll::pselect6, Full),
    row(271, "ppoll", poll::ppoll, Full),
    row(273, "set_robust_list", process::set_robust_list, Full),
    row(281, "epoll_pwait", poll::epoll_pwait, Partial),
    row(284, "eventfd", poll::eventfd, Full),
    row(290, "eventfd2", poll::eventfd2, Full),
    row(291, "epoll_create1", poll::epoll_create1, Full),
    row(292, "dup3", file::dup3, Full),
    row(293, "pipe2", file::pipe2, Full),
    row(297, "rt_tgsigqueueinfo", fork::rt_tgsigqueueinfo, Partial),
    row(302, "prlimit64", process::prlimit64, Partial),
    row(309, "getcpu", process::getcpu, Full),
    row(316, "renameat2", fs::renameat2, Partial),
    row(318, "getrandom", process::getrandom, Full),
    row(332, "statx", fs::statx, Full),
    row(322, "execveat", fork::execveat, Full),
    nosys(334, "rseq"),
    nosys(435, "clone3"),
    row(439, "faccessat2", fs::faccessat2, Full),
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
    p.cpu.mem.write(addr, data).map_err(|_| E::EFAULT)?;
    crate::gate::note_write(addr, data);
    Ok(())
}
