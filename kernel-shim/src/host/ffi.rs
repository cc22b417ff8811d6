//! What rustix cannot do, on libc: the only file of the host side that calls libc.
//!
//! Why each call is here:
//! - **Signal handlers, the signal mask, raise, pthread_kill, sigqueue, SIGRTMAX.** libc
//!   owns a process's signal state (it reserves real-time signals and wraps handlers), so
//!   rustix leaves these to it; its own versions are in the hidden, unstable `runtime`
//!   module, Linux-only and meant for programs without a libc.
//! - **fork and _exit.** Likewise `runtime`-only in rustix, and its fork would skip the
//!   atfork handlers that keep libc's locks (malloc, stdio) usable in the child.
//! - **waitid.** rustix's `WaitIdStatus` does not expose `si_pid` and `si_uid`, which the
//!   guest's siginfo needs.
//! - **kill of a group with the signal held back** (`kill_taking_own`): the mask and
//!   sigwait, as above.
//! - **kill with a real-time signal.** rustix's `Signal` names only the standard signals;
//!   any other number needs an unsafe constructor whose contract forbids sending libc's
//!   reserved numbers, which a guest may do.
//! - **setitimer, getitimer, alarm, getrusage.** Not in rustix.
//! - **prctl options, the scheduling policy calls, pidfd_send_signal of any signal.** Not
//!   in rustix (its prctl wrappers take named signals and capabilities only).
//! - **The terminal ioctls rustix lacks** (TIOCNOTTY, TIOCOUTQ, TIOCSCTTY's argument, and
//!   the pty master's TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, TIOCGPTPEER without its `pty`
//!   feature).
//! - **getentropy on macOS.** rustix's getrandom is Linux-only.
//! - **getsockopt/setsockopt of an int option by number, on Linux.** rustix has a typed
//!   call per option and none by number; a Linux host numbers options as the guest does,
//!   so the options emu has no typed call for are passed through as they are.
//! - **System V IPC** (shmget/shmat/shmdt/shmctl, semget/semtimedop/semctl,
//!   msgget/msgsnd/msgrcv/msgctl). Not in rustix. Linux hosts only: elsewhere `ipc.rs`
//!   answers as a kernel built without it.
//! - **fcntl record locks over a byte range (F_SETLK, F_GETLK, the OFD forms).** rustix
//!   locks whole files only.
//! - **truncate by path, mknodat on macOS.** Not in rustix (mknodat: on Linux only).
//! - **getpgid, getsid, tcgetpgrp, tcgetsid.** Linux answers 0 when the group or session
//!   leader lives outside the caller's pid namespace (a container's first process), and
//!   rustix's `Pid` cannot hold 0: it asserts.

use super::errno::errno_from_host;
use super::signal::arrived;
use super::{wake, HostResult};

fn check(r: libc::c_int) -> HostResult<libc::c_int> {
    if r < 0 {
        Err(errno_from_host(std::io::Error::last_os_error().raw_os_error().unwrap_or(0)))
    } else {
        Ok(r)
    }
}

// ---- signal handlers ----

/// The host's si_code of a signal sent with kill and with sigqueue (the libc crate has
/// them for Linux only; these are `<sys/signal.h>`'s elsewhere).
#[cfg(target_os = "linux")]
const SI_USER: libc::c_int = libc::SI_USER;
#[cfg(target_os = "linux")]
const SI_QUEUE: libc::c_int = libc::SI_QUEUE;
#[cfg(not(target_os = "linux"))]
const SI_USER: libc::c_int = 0x10001;
#[cfg(not(target_os = "linux"))]
const SI_QUEUE: libc::c_int = 0x10002;

extern "C" fn on_host_signal(hs: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let child = (hs == libc::SIGCHLD && !info.is_null()).then(|| {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers; for SIGCHLD
        // the pid and status members are the valid union fields.
        unsafe { ((*info).si_pid(), (*info).si_code, (*info).si_status()) }
    });
    // Sent by another process (kill, sigqueue, tgkill): the sender and, queued, the value.
    let sender = (hs != libc::SIGCHLD && !info.is_null())
        .then(|| {
            // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
            let code = unsafe { (*info).si_code };
            let linux = match code {
                SI_USER => 0,
                SI_QUEUE => -1,
                #[cfg(target_os = "linux")]
                c if c == libc::SI_TKILL => -6,
                _ => return None,
            };
            // SAFETY: for a signal another process sent, pid, uid and value are the valid
            // members of the union.
            let (pid, uid, value) =
                unsafe { ((*info).si_pid(), (*info).si_uid(), (*info).si_value().sival_ptr as u64) };
            Some((linux, pid, uid, value))
        })
        .flatten();
    arrived(hs, child, sender);
}

extern "C" fn on_wake_signal(_: libc::c_int) {
    wake::on_wake_signal();
}

/// Installs `handler` for host signal `hs` (no SA_RESTART: blocking host calls return
/// EINTR), or SIG_IGN / SIG_DFL when `handler` is one of those.
fn set_action(hs: libc::c_int, handler: libc::sighandler_t, flags: libc::c_int) {
    // SAFETY: a zeroed sigaction is a valid value; the handlers installed here only touch
    // atomics (async-signal-safe).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler;
        sa.sa_flags = flags;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(hs, &sa, std::ptr::null_mut());
    }
}

/// Forwards host signal `hs` to the guest (see `signal::arrived`).
pub(super) fn forward(hs: i32) {
    set_action(hs, on_host_signal as *const () as libc::sighandler_t, libc::SA_SIGINFO);
}

/// Ignores host signal `hs`.
pub(super) fn ignore(hs: i32) {
    set_action(hs, libc::SIG_IGN, 0);
}

/// Gives host signal `hs` its default action.
pub(super) fn set_default(hs: i32) {
    set_action(hs, libc::SIG_DFL, 0);
}

/// Whether host signal `hs` is ignored now.
pub(super) fn is_ignored(hs: i32) -> bool {
    // SAFETY: queries the current disposition without changing it.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(hs, std::ptr::null(), &mut old);
        old.sa_sigaction == libc::SIG_IGN
    }
}

/// Installs the handler of the timer wake-up signal `hs`.
pub(super) fn install_wake_handler(hs: i32) {
    set_action(hs, on_wake_signal as *const () as libc::sighandler_t, 0);
}

/// Raises host signal `hs` at this process with its default action, unblocked. Returns if
/// that action does not end the process.
pub(super) fn raise_default(hs: i32) {
    set_action(hs, libc::SIG_DFL, 0);
    // SAFETY: a valid signal set, changed for this thread only; raise has no memory
    // arguments.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, hs);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(hs);
    }
}

/// A host thread to send signals to (a pthread_t, as an integer so it can cross threads).
pub(super) type HostThread = usize;

pub(super) fn this_thread() -> HostThread {
    // SAFETY: pthread_self cannot fail.
    unsafe { libc::pthread_self() as usize }
}

/// Sends host signal `hs` to thread `t`, which lives as long as the process.
pub(super) fn signal_thread(t: HostThread, hs: i32) {
    // SAFETY: `t` is the pthread_t of emu's main thread, alive for the process.
    unsafe { libc::pthread_kill(t as libc::pthread_t, hs) };
}

/// Blocks every signal in the calling thread.
pub(super) fn block_all_signals_in_this_thread() {
    // SAFETY: a valid, filled signal set for this thread only.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
    }
}

/// kill(2) with a host signal number rustix has no name for (a real-time signal).
pub(super) fn kill(pid: i32, hs: i32) -> HostResult<()> {
    // SAFETY: plain integers.
    check(unsafe { libc::kill(pid, hs) }).map(|_| ())
}

/// kill(2) of a group that may include this process, with host signal `hs` held back in
/// this thread while it is sent: if it reached this process it is taken off the pending
/// set before any handler or default action sees it. True if it reached this process.
/// emu's other threads block every signal, so the process-directed copy waits here.
pub(super) fn kill_taking_own(pid: i32, hs: i32) -> HostResult<bool> {
    // SAFETY: valid signal sets, changed for this thread only; sigwait returns at once
    // because the signal is pending; kill takes plain integers.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, hs);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
        let was_pending = pending(hs);
        let r = check(libc::kill(pid, hs));
        let mut reached = false;
        if r.is_ok() && !was_pending && pending(hs) {
            let mut got = 0;
            libc::sigwait(&set, &mut got);
            reached = true;
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        r.map(|_| reached)
    }
}

/// Whether host signal `hs` is pending for this thread or process.
fn pending(hs: i32) -> bool {
    // SAFETY: a valid out-set.
    unsafe {
        let mut p: libc::sigset_t = std::mem::zeroed();
        libc::sigpending(&mut p);
        libc::sigismember(&p, hs) == 1
    }
}

// ---- the transport of a recorded SIGKILL (Linux) ----

/// The value that marks a SIGKILL sent by a recording emu to a recorded child.
#[cfg(target_os = "linux")]
const RECORDED_KILL: usize = 0x656d_755f_6b69_6c6c;

#[cfg(target_os = "linux")]
pub(super) fn sigrtmax() -> i32 {
    libc::SIGRTMAX()
}

#[cfg(target_os = "linux")]
extern "C" fn on_recorded_kill(hs: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers; for SI_QUEUE the
    // value member is the valid union field.
    let ours = !info.is_null()
        && unsafe {
            (*info).si_code == libc::SI_QUEUE && (*info).si_value().sival_ptr as usize == RECORDED_KILL
        };
    // Anything else is the guest's own real-time signal.
    super::signal::pend(if ours { crate::abi::signal::SIGKILL } else { super::signal::signal_to_linux(hs) });
}

/// Installs the receiving end of the recorded-SIGKILL transport (SIGRTMAX with a marked
/// value); nothing where the host has no queued signals.
pub(super) fn install_kill_transport() {
    #[cfg(target_os = "linux")]
    set_action(libc::SIGRTMAX(), on_recorded_kill as *const () as libc::sighandler_t, libc::SA_SIGINFO);
}

/// Sends SIGKILL to recorded child `pid` through the transport where the host has one.
pub(super) fn kill_recorded(pid: i32) -> HostResult<()> {
    #[cfg(target_os = "linux")]
    {
        let v = libc::sigval { sival_ptr: RECORDED_KILL as *mut libc::c_void };
        // SAFETY: plain integers and a sigval by value.
        check(unsafe { libc::sigqueue(pid, libc::SIGRTMAX(), v) }).map(|_| ())
    }
    #[cfg(not(target_os = "linux"))]
    kill(pid, libc::SIGKILL)
}

// ---- processes ----

pub(super) fn fork() -> HostResult<i32> {
    // SAFETY: emu runs guest threads on one host thread (the timer helper holds no lock),
    // so the child is consistent.
    check(unsafe { libc::fork() })
}

pub(super) fn exit_now(code: i32) -> ! {
    // SAFETY: ends the process.
    unsafe { libc::_exit(code) }
}

/// waitid with Linux idtype and option bits. Returns the host's (pid, si_code, si_status,
/// uid), pid 0 when WNOHANG found nothing.
pub(super) fn waitid(idtype: u32, id: u32, options: u32) -> HostResult<(i32, i32, i32, u32)> {
    let it = match idtype {
        0 => libc::P_ALL,
        1 => libc::P_PID,
        2 => libc::P_PGID,
        _ => return Err(crate::abi::errno::EINVAL),
    };
    let mut o = 0;
    for (l, h) in [
        (1, libc::WNOHANG),
        (2, libc::WSTOPPED),
        (4, libc::WEXITED),
        (8, libc::WCONTINUED),
        (0x0100_0000, libc::WNOWAIT),
    ] {
        if options & l != 0 {
            o |= h;
        }
    }
    // SAFETY: zeroed siginfo is valid; waitid fills it.
    let mut si: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: valid out-pointer.
    check(unsafe { libc::waitid(it, id as libc::id_t, &mut si, o) })?;
    // SAFETY: after waitid the pid/uid/status fields are the valid union members.
    let (pid, uid, status) = unsafe { (si.si_pid(), si.si_uid(), si.si_status()) };
    Ok((pid, si.si_code, status, uid))
}

/// getpgid(2) and getsid(2) of a host pid (0: the caller). 0 is a valid answer.
pub(super) fn getpgid(pid: i32) -> HostResult<i32> {
    // SAFETY: plain values.
    check(unsafe { libc::getpgid(pid) })
}

pub(super) fn getsid(pid: i32) -> HostResult<i32> {
    // SAFETY: plain values.
    check(unsafe { libc::getsid(pid) })
}

// ---- terminals ----

/// The terminal's foreground group and its session; 0 is a valid answer (see above).
pub(super) fn tcgetpgrp(fd: i32) -> HostResult<i32> {
    // SAFETY: plain values.
    check(unsafe { libc::tcgetpgrp(fd) })
}

pub(super) fn tcgetsid(fd: i32) -> HostResult<i32> {
    // SAFETY: plain values.
    check(unsafe { libc::tcgetsid(fd) })
}

/// The argument of an integer ioctl.
enum IntArg {
    /// An int by value.
    Value(libc::c_int),
    /// A pointer to an int, which holds this before the call.
    Ptr(libc::c_int),
}

/// An ioctl whose argument is an int or a pointer to one: its result and the int after.
fn ioctl_int(fd: i32, req: libc::c_ulong, arg: IntArg) -> HostResult<(libc::c_int, libc::c_int)> {
    match arg {
        IntArg::Value(a) => {
            // SAFETY: the requests passed with a Value take an int by value.
            let r = unsafe { libc::ioctl(fd, req as _, a as libc::c_ulong) };
            check(r).map(|r| (r, 0))
        }
        IntArg::Ptr(mut v) => {
            // SAFETY: the requests passed with a Ptr read or write one int, which `v` is
            // for the length of the call.
            let r = unsafe { libc::ioctl(fd, req as _, &mut v as *mut libc::c_int) };
            check(r).map(|r| (r, v))
        }
    }
}

/// TIOCSCTTY with its argument 1: take the terminal from another session (root only).
pub(super) fn tiocsctty_steal(fd: i32) -> HostResult<()> {
    ioctl_int(fd, libc::TIOCSCTTY as libc::c_ulong, IntArg::Value(1)).map(|_| ())
}

pub(super) fn tiocnotty(fd: i32) -> HostResult<()> {
    ioctl_int(fd, libc::TIOCNOTTY as libc::c_ulong, IntArg::Value(0)).map(|_| ())
}

pub(super) fn tiocoutq(fd: i32) -> HostResult<u32> {
    ioctl_int(fd, libc::TIOCOUTQ as libc::c_ulong, IntArg::Ptr(0)).map(|(_, v)| v as u32)
}

/// TCSETS, TCSETSW or TCSETSF (`req`) with the kernel's own `struct termios`.
#[cfg(target_os = "linux")]
pub(super) fn tcsets(fd: i32, req: u32, t: &[u8; 36]) -> HostResult<()> {
    // SAFETY: these requests read a kernel `struct termios`, 36 bytes on Linux, which `t`
    // holds for the call.
    check(unsafe { libc::ioctl(fd, req as _, t.as_ptr()) }).map(|_| ())
}

#[cfg(target_os = "linux")]
pub(super) fn tiocgptn(fd: i32) -> HostResult<u32> {
    ioctl_int(fd, libc::TIOCGPTN as libc::c_ulong, IntArg::Ptr(0)).map(|(_, v)| v as u32)
}

#[cfg(target_os = "linux")]
pub(super) fn tiocsptlck(fd: i32, lock: bool) -> HostResult<()> {
    ioctl_int(fd, libc::TIOCSPTLCK as libc::c_ulong, IntArg::Ptr(lock as libc::c_int)).map(|_| ())
}

#[cfg(target_os = "linux")]
pub(super) fn tiocgptlck(fd: i32) -> HostResult<bool> {
    ioctl_int(fd, libc::TIOCGPTLCK as libc::c_ulong, IntArg::Ptr(0)).map(|(_, v)| v != 0)
}

#[cfg(target_os = "linux")]
pub(super) fn tiocgptpeer(fd: i32, flags: u32) -> HostResult<i32> {
    let keep = (libc::O_ACCMODE | libc::O_NOCTTY | libc::O_NONBLOCK) as u32;
    let f = (flags & keep) as libc::c_int | libc::O_CLOEXEC;
    ioctl_int(fd, libc::TIOCGPTPEER as libc::c_ulong, IntArg::Value(f)).map(|(r, _)| r)
}

// The slaves of this host's ptys are not /dev/pts/N: the guest gets Linux's answer for a
// descriptor that is no such master.
#[cfg(not(target_os = "linux"))]
pub(super) fn tiocgptn(_: i32) -> HostResult<u32> {
    Err(crate::abi::errno::ENOTTY)
}

#[cfg(not(target_os = "linux"))]
pub(super) fn tiocsptlck(_: i32, _: bool) -> HostResult<()> {
    Err(crate::abi::errno::ENOTTY)
}

#[cfg(not(target_os = "linux"))]
pub(super) fn tiocgptlck(_: i32) -> HostResult<bool> {
    Err(crate::abi::errno::ENOTTY)
}

#[cfg(not(target_os = "linux"))]
pub(super) fn tiocgptpeer(_: i32, _: u32) -> HostResult<i32> {
    Err(crate::abi::errno::ENOTTY)
}

// ---- prctl, scheduling, pidfds (Linux) ----

/// The prctl options the host keeps for emu's process.
#[derive(Clone, Copy)]
pub(super) enum Prctl {
    SetPdeathsig,
    CapbsetRead,
    SetChildSubreaper,
}

#[cfg(target_os = "linux")]
pub(super) fn prctl(op: Prctl, arg: u64) -> HostResult<i32> {
    let o = match op {
        Prctl::SetPdeathsig => libc::PR_SET_PDEATHSIG,
        Prctl::CapbsetRead => libc::PR_CAPBSET_READ,
        Prctl::SetChildSubreaper => libc::PR_SET_CHILD_SUBREAPER,
    };
    // SAFETY: these options take one integer argument.
    check(unsafe { libc::prctl(o, arg as libc::c_ulong, 0, 0, 0) })
}

/// Elsewhere the host keeps none of them: the bounding set is full (as a Linux process
/// that never dropped any), the others are kept by the kernel side alone.
#[cfg(not(target_os = "linux"))]
pub(super) fn prctl(op: Prctl, _arg: u64) -> HostResult<i32> {
    Ok(matches!(op, Prctl::CapbsetRead) as i32)
}

#[cfg(target_os = "linux")]
pub(super) fn scheduler(pid: i32) -> HostResult<(i32, i32)> {
    // SAFETY: plain integers and a valid out-pointer.
    let policy = check(unsafe { libc::sched_getscheduler(pid) })?;
    let mut sp = libc::sched_param { sched_priority: 0 };
    // SAFETY: a valid out-pointer.
    check(unsafe { libc::sched_getparam(pid, &mut sp) })?;
    Ok((policy, sp.sched_priority))
}

#[cfg(target_os = "linux")]
pub(super) fn set_scheduler(pid: i32, policy: i32, priority: i32) -> HostResult<()> {
    let sp = libc::sched_param { sched_priority: priority };
    // SAFETY: plain integers and a valid in-pointer.
    check(unsafe { libc::sched_setscheduler(pid, policy, &sp) }).map(|_| ())
}

#[cfg(target_os = "linux")]
pub(super) fn rr_interval(pid: i32) -> HostResult<(i64, i64)> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid out-pointer.
    check(unsafe { libc::sched_rr_get_interval(pid, &mut ts) })?;
    Ok((ts.tv_sec, ts.tv_nsec))
}

/// pidfd_send_signal with no siginfo; rustix's takes only the named signals.
#[cfg(target_os = "linux")]
pub(super) fn pidfd_send_signal(fd: i32, hs: i32) -> HostResult<()> {
    // SAFETY: the syscall takes a descriptor, a signal, a null siginfo and flags 0.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_send_signal, fd, hs, std::ptr::null::<u8>(), 0) };
    check(r as libc::c_int).map(|_| ())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn pidfd_send_signal(_fd: i32, _hs: i32) -> HostResult<()> {
    Err(crate::abi::errno::ENOSYS)
}

// ---- timers ----

pub(super) fn alarm(secs: u32) -> u32 {
    // SAFETY: plain integer.
    unsafe { libc::alarm(secs) }
}

fn itimer_which(w: i32) -> libc::c_int {
    match w {
        0 => libc::ITIMER_REAL,
        1 => libc::ITIMER_VIRTUAL,
        _ => libc::ITIMER_PROF,
    }
}

fn itv_to(v: [i64; 4]) -> libc::itimerval {
    libc::itimerval {
        it_interval: libc::timeval { tv_sec: v[0] as libc::time_t, tv_usec: v[1] as libc::suseconds_t },
        it_value: libc::timeval { tv_sec: v[2] as libc::time_t, tv_usec: v[3] as libc::suseconds_t },
    }
}

#[allow(clippy::unnecessary_cast)]
fn itv_from(v: &libc::itimerval) -> [i64; 4] {
    [
        v.it_interval.tv_sec as i64,
        v.it_interval.tv_usec as i64,
        v.it_value.tv_sec as i64,
        v.it_value.tv_usec as i64,
    ]
}

/// setitimer with (interval sec, usec, value sec, usec); returns the old value.
pub(super) fn setitimer(which: i32, new: [i64; 4]) -> HostResult<[i64; 4]> {
    let n = itv_to(new);
    let mut o = itv_to([0; 4]);
    // SAFETY: valid in/out pointers.
    check(unsafe { libc::setitimer(itimer_which(which), &n, &mut o) })?;
    Ok(itv_from(&o))
}

pub(super) fn getitimer(which: i32) -> HostResult<[i64; 4]> {
    let mut o = itv_to([0; 4]);
    // SAFETY: valid out pointer.
    check(unsafe { libc::getitimer(itimer_which(which), &mut o) })?;
    Ok(itv_from(&o))
}

// ---- resource usage ----

fn rusage(who: libc::c_int) -> libc::rusage {
    // SAFETY: zeroed rusage is valid; getrusage fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid out-pointer.
    unsafe { libc::getrusage(who, &mut ru) };
    ru
}

/// CPU time (user+system) of the children emu has waited for, in nanoseconds.
pub(super) fn children_cpu_time_ns() -> u64 {
    let ru = rusage(libc::RUSAGE_CHILDREN);
    let tv = |t: libc::timeval| (t.tv_sec.max(0) as u64) * 1_000_000_000 + (t.tv_usec.max(0) as u64) * 1000;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// emu's own peak resident memory in bytes.
pub(super) fn peak_rss() -> u64 {
    let ru = rusage(libc::RUSAGE_SELF);
    // Linux reports KiB, macOS bytes.
    let unit = if cfg!(target_os = "macos") { 1 } else { 1024 };
    (ru.ru_maxrss.max(0) as u64) * unit
}

// ---- randomness ----

#[cfg(not(target_os = "linux"))]
pub(super) fn getentropy(buf: &mut [u8]) -> rustix::io::Result<()> {
    for chunk in buf.chunks_mut(256) {
        // SAFETY: chunk is valid for chunk.len() <= 256 bytes.
        if unsafe { libc::getentropy(chunk.as_mut_ptr().cast(), chunk.len()) } < 0 {
            return Err(rustix::io::Errno::from_io_error(&std::io::Error::last_os_error())
                .unwrap_or(rustix::io::Errno::IO));
        }
    }
    Ok(())
}

// ---- socket options by number (Linux hosts) ----

/// getsockopt(2) of an int-valued option.
#[cfg(target_os = "linux")]
pub(super) fn getsockopt_int(fd: i32, level: i32, name: i32) -> HostResult<i32> {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `v` and `len` are live locals of the sizes passed; an fd that is not an
    // open socket makes the call fail (EBADF, ENOTSOCK) without touching memory.
    check(unsafe { libc::getsockopt(fd, level, name, (&mut v as *mut libc::c_int).cast(), &mut len) })?;
    Ok(v)
}

/// setsockopt(2) of an int-valued option.
#[cfg(target_os = "linux")]
pub(super) fn setsockopt_int(fd: i32, level: i32, name: i32, v: i32) -> HostResult<()> {
    let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `v` is a live local of the size passed, which the kernel only reads.
    check(unsafe { libc::setsockopt(fd, level, name, (&v as *const libc::c_int).cast(), len) })?;
    Ok(())
}

// ---- System V IPC (Linux hosts) ----

#[cfg(target_os = "linux")]
pub(super) mod sysv {
    use super::check;
    use crate::abi::ipc::{IpcPerm, MsqidDs, Sembuf, SemidDs, ShmidDs};
    use crate::host::HostResult;
    use std::time::Duration;

    /// The guest's IPC_CREAT/IPC_EXCL/IPC_NOWAIT and mode bits as the host's.
    fn flags(f: i32) -> libc::c_int {
        let mut h = f & 0o777;
        for (g, host) in [
            (crate::abi::ipc::IPC_CREAT, libc::IPC_CREAT),
            (crate::abi::ipc::IPC_EXCL, libc::IPC_EXCL),
            (crate::abi::ipc::IPC_NOWAIT, libc::IPC_NOWAIT),
        ] {
            if f & g != 0 {
                h |= host;
            }
        }
        h
    }

    fn perm(p: &libc::ipc_perm) -> IpcPerm {
        IpcPerm {
            key: p.__key,
            uid: p.uid,
            gid: p.gid,
            cuid: p.cuid,
            cgid: p.cgid,
            mode: p.mode as u32,
            seq: p.__seq,
        }
    }

    fn set_perm(p: &mut libc::ipc_perm, g: &IpcPerm) {
        p.uid = g.uid;
        p.gid = g.gid;
        p.mode = (g.mode & 0o777) as _;
    }

    fn ctl_result(r: libc::c_int) -> HostResult<()> {
        check(r).map(drop)
    }

    pub fn shmget(key: i32, size: u64, flg: i32) -> HostResult<i32> {
        // SAFETY: plain values.
        check(unsafe { libc::shmget(key, size as usize, flags(flg)) })
    }

    /// Attaches segment `id` where the host chooses; the host address.
    pub fn shmat(id: i32, readonly: bool) -> HostResult<*mut u8> {
        let f = if readonly { libc::SHM_RDONLY } else { 0 };
        // SAFETY: a null address lets the host choose; no Rust object is replaced.
        let p = unsafe { libc::shmat(id, std::ptr::null(), f) };
        if p as isize == -1 {
            return Err(check(-1).unwrap_err());
        }
        Ok(p.cast())
    }

    /// # Safety
    /// `at` is an attachment `shmat` returned that nothing refers to any more.
    pub unsafe fn shmdt(at: *mut u8) {
        // SAFETY: per the contract.
        unsafe { libc::shmdt(at.cast()) };
    }

    fn shm_ds(id: i32) -> HostResult<libc::shmid_ds> {
        // SAFETY: shmid_ds is plain data; the kernel fills it.
        let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: `ds` is a valid shmid_ds to fill.
        ctl_result(unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) })?;
        Ok(ds)
    }

    pub fn shm_stat(id: i32) -> HostResult<ShmidDs> {
        let ds = shm_ds(id)?;
        Ok(ShmidDs {
            perm: perm(&ds.shm_perm),
            segsz: ds.shm_segsz as u64,
            atime: ds.shm_atime,
            dtime: ds.shm_dtime,
            ctime: ds.shm_ctime,
            cpid: ds.shm_cpid,
            lpid: ds.shm_lpid,
            nattch: ds.shm_nattch,
        })
    }

    pub fn shm_set(id: i32, g: &IpcPerm) -> HostResult<()> {
        let mut ds = shm_ds(id)?;
        set_perm(&mut ds.shm_perm, g);
        // SAFETY: `ds` is a valid shmid_ds.
        ctl_result(unsafe { libc::shmctl(id, libc::IPC_SET, &mut ds) })
    }

    pub fn shm_rmid(id: i32) -> HostResult<()> {
        // SAFETY: IPC_RMID reads no buffer.
        ctl_result(unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) })
    }

    pub fn semget(key: i32, nsems: i32, flg: i32) -> HostResult<i32> {
        // SAFETY: plain values.
        check(unsafe { libc::semget(key, nsems, flags(flg)) })
    }

    /// semtimedop: `nowait` adds IPC_NOWAIT to every operation (a poll).
    pub fn semop(id: i32, ops: &[Sembuf], timeout: Option<Duration>, nowait: bool) -> HostResult<()> {
        let mut host: Vec<libc::sembuf> = ops
            .iter()
            .map(|o| {
                let mut f = 0;
                if o.flg & crate::abi::ipc::IPC_NOWAIT as i16 != 0 || nowait {
                    f |= libc::IPC_NOWAIT as i16;
                }
                if o.flg & crate::abi::ipc::SEM_UNDO != 0 {
                    f |= libc::SEM_UNDO as i16;
                }
                libc::sembuf { sem_num: o.num, sem_op: o.op, sem_flg: f }
            })
            .collect();
        let ts = timeout.map(|d| libc::timespec { tv_sec: d.as_secs() as _, tv_nsec: d.subsec_nanos() as _ });
        let tp = ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: `host` holds `len` sembufs; `tp` is null or a valid timespec. glibc has
        // no wrapper for semtimedop on every version, so the syscall is made directly.
        let r = unsafe { libc::syscall(libc::SYS_semtimedop, id, host.as_mut_ptr(), host.len(), tp) };
        ctl_result(r as libc::c_int)
    }

    /// semctl commands that take and give plain integers (GETVAL, GETPID, GETNCNT,
    /// GETZCNT with `arg` unused; SETVAL with `arg` the value).
    pub fn semctl_int(id: i32, num: i32, cmd: i32, arg: i32) -> HostResult<i32> {
        use crate::abi::ipc as G;
        let hcmd = match cmd {
            G::GETVAL => libc::GETVAL,
            G::GETPID => libc::GETPID,
            G::GETNCNT => libc::GETNCNT,
            G::GETZCNT => libc::GETZCNT,
            G::SETVAL => libc::SETVAL,
            _ => return Err(crate::abi::errno::EINVAL),
        };
        // SAFETY: these commands pass the union by value as an int.
        check(unsafe { libc::semctl(id, num, hcmd, arg) })
    }

    pub fn sem_getall(id: i32, n: usize) -> HostResult<Vec<u16>> {
        let mut v = vec![0u16; n];
        // SAFETY: `v` holds the set's `n` values (the caller read nsems by IPC_STAT).
        ctl_result(unsafe { libc::semctl(id, 0, libc::GETALL, v.as_mut_ptr()) })?;
        Ok(v)
    }

    pub fn sem_setall(id: i32, vals: &[u16]) -> HostResult<()> {
        // SAFETY: `vals` holds one value per semaphore of the set.
        ctl_result(unsafe { libc::semctl(id, 0, libc::SETALL, vals.as_ptr()) })
    }

    fn sem_ds(id: i32) -> HostResult<libc::semid_ds> {
        // SAFETY: semid_ds is plain data; the kernel fills it.
        let mut ds: libc::semid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: IPC_STAT writes one semid_ds through the pointer.
        ctl_result(unsafe { libc::semctl(id, 0, libc::IPC_STAT, &mut ds as *mut libc::semid_ds) })?;
        Ok(ds)
    }

    pub fn sem_stat(id: i32) -> HostResult<SemidDs> {
        let ds = sem_ds(id)?;
        Ok(SemidDs {
            perm: perm(&ds.sem_perm),
            otime: ds.sem_otime,
            ctime: ds.sem_ctime,
            nsems: ds.sem_nsems as u64,
        })
    }

    pub fn sem_set(id: i32, g: &IpcPerm) -> HostResult<()> {
        let mut ds = sem_ds(id)?;
        set_perm(&mut ds.sem_perm, g);
        // SAFETY: IPC_SET reads one semid_ds through the pointer.
        ctl_result(unsafe { libc::semctl(id, 0, libc::IPC_SET, &mut ds as *mut libc::semid_ds) })
    }

    pub fn sem_rmid(id: i32) -> HostResult<()> {
        // SAFETY: IPC_RMID reads no argument.
        ctl_result(unsafe { libc::semctl(id, 0, libc::IPC_RMID) })
    }

    pub fn msgget(key: i32, flg: i32) -> HostResult<i32> {
        // SAFETY: plain values.
        check(unsafe { libc::msgget(key, flags(flg)) })
    }

    /// Sends a message of type `mtype` (the guest's `long mtype` then `text`).
    pub fn msgsnd(id: i32, mtype: i64, text: &[u8], nowait: bool) -> HostResult<()> {
        let mut buf = Vec::with_capacity(8 + text.len());
        buf.extend_from_slice(&(mtype as libc::c_long).to_ne_bytes());
        buf.extend_from_slice(text);
        let f = if nowait { libc::IPC_NOWAIT } else { 0 };
        // SAFETY: `buf` is a long followed by `text.len()` bytes, as msgsnd reads it.
        ctl_result(unsafe { libc::msgsnd(id, buf.as_ptr().cast(), text.len(), f) })
    }

    /// Receives a message (msgrcv's `msgtyp` and MSG_NOERROR/MSG_EXCEPT semantics); its
    /// type and text.
    pub fn msgrcv(id: i32, max: usize, msgtyp: i64, flg: i32, nowait: bool) -> HostResult<(i64, Vec<u8>)> {
        use crate::abi::ipc as G;
        let mut f = if nowait || flg & G::IPC_NOWAIT != 0 { libc::IPC_NOWAIT } else { 0 };
        if flg & G::MSG_NOERROR != 0 {
            f |= libc::MSG_NOERROR;
        }
        if flg & G::MSG_EXCEPT != 0 {
            f |= libc::MSG_EXCEPT;
        }
        let mut buf = vec![0u8; 8 + max];
        // SAFETY: `buf` has room for the long and `max` bytes of text.
        let n = unsafe { libc::msgrcv(id, buf.as_mut_ptr().cast(), max, msgtyp as libc::c_long, f) };
        let n = check(n as libc::c_int)? as usize;
        let mtype = i64::from_ne_bytes(buf[..8].try_into().expect("8 bytes"));
        Ok((mtype, buf[8..8 + n].to_vec()))
    }

    fn msg_ds(id: i32) -> HostResult<libc::msqid_ds> {
        // SAFETY: msqid_ds is plain data; the kernel fills it.
        let mut ds: libc::msqid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: `ds` is a valid msqid_ds to fill.
        ctl_result(unsafe { libc::msgctl(id, libc::IPC_STAT, &mut ds) })?;
        Ok(ds)
    }

    pub fn msg_stat(id: i32) -> HostResult<MsqidDs> {
        let ds = msg_ds(id)?;
        Ok(MsqidDs {
            perm: perm(&ds.msg_perm),
            stime: ds.msg_stime,
            rtime: ds.msg_rtime,
            ctime: ds.msg_ctime,
            cbytes: ds.__msg_cbytes as u64,
            qnum: ds.msg_qnum as u64,
            qbytes: ds.msg_qbytes as u64,
            lspid: ds.msg_lspid,
            lrpid: ds.msg_lrpid,
        })
    }

    pub fn msg_set(id: i32, g: &IpcPerm, qbytes: u64) -> HostResult<()> {
        let mut ds = msg_ds(id)?;
        set_perm(&mut ds.msg_perm, g);
        ds.msg_qbytes = qbytes as _;
        // SAFETY: `ds` is a valid msqid_ds.
        ctl_result(unsafe { libc::msgctl(id, libc::IPC_SET, &mut ds) })
    }

    pub fn msg_rmid(id: i32) -> HostResult<()> {
        // SAFETY: IPC_RMID reads no buffer.
        ctl_result(unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) })
    }
}

// ---- files ----

/// `path` as a C string (EINVAL if it holds a NUL, as no path can).
fn c_path(path: &[u8]) -> HostResult<std::ffi::CString> {
    std::ffi::CString::new(path).map_err(|_| crate::abi::errno::EINVAL)
}

pub(super) fn truncate(path: &[u8], len: i64) -> HostResult<()> {
    let p = c_path(path)?;
    // SAFETY: a valid C string and an integer.
    check(unsafe { libc::truncate(p.as_ptr(), len as libc::off_t) }).map(|_| ())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn mknodat(dir: i32, path: &[u8], kind: super::NodeKind, mode: u32, dev: u64) -> HostResult<()> {
    use super::NodeKind as K;
    let t = match kind {
        K::Fifo => libc::S_IFIFO,
        K::Char => libc::S_IFCHR,
        K::Block => libc::S_IFBLK,
        K::Socket => libc::S_IFSOCK,
    };
    let p = c_path(path)?;
    // SAFETY: a valid C string and integers.
    check(unsafe { libc::mknodat(dir, p.as_ptr(), t | mode as libc::mode_t, dev as libc::dev_t) }).map(|_| ())
}

/// A record-lock fcntl (see `lock::record_lock`), translating `struct flock` both ways.
pub(super) fn record_lock(
    h: i32,
    cmd: super::LockCmd,
    ofd: bool,
    l: &mut super::RecordLock,
) -> HostResult<()> {
    use super::LockCmd as C;
    use crate::abi::errno::EINVAL;
    #[cfg(target_os = "linux")]
    let c = match (cmd, ofd) {
        (C::Get, false) => libc::F_GETLK,
        (C::Set, false) => libc::F_SETLK,
        (C::SetWait, false) => libc::F_SETLKW,
        (C::Get, true) => libc::F_OFD_GETLK,
        (C::Set, true) => libc::F_OFD_SETLK,
        (C::SetWait, true) => libc::F_OFD_SETLKW,
    };
    #[cfg(not(target_os = "linux"))]
    let c = match (cmd, ofd) {
        (_, true) => return Err(EINVAL),
        (C::Get, _) => libc::F_GETLK,
        (C::Set, _) => libc::F_SETLK,
        (C::SetWait, _) => libc::F_SETLKW,
    };
    let typ = match l.typ {
        0 => libc::F_RDLCK,
        1 => libc::F_WRLCK,
        2 => libc::F_UNLCK,
        _ => return Err(EINVAL),
    };
    // SAFETY: a zeroed flock is a valid value.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = typ as _;
    fl.l_whence = l.whence as _;
    fl.l_start = l.start as libc::off_t;
    fl.l_len = l.len as libc::off_t;
    fl.l_pid = l.pid as libc::pid_t;
    // SAFETY: `fl` is a valid struct flock for the call to read and fill.
    check(unsafe { libc::fcntl(h, c, &mut fl) })?;
    #[allow(clippy::unnecessary_cast)]
    {
        l.typ = match fl.l_type as libc::c_int {
            t if t == libc::F_RDLCK as libc::c_int => 0,
            t if t == libc::F_WRLCK as libc::c_int => 1,
            _ => 2,
        };
        l.whence = fl.l_whence as i16;
        l.start = fl.l_start as i64;
        l.len = fl.l_len as i64;
        l.pid = fl.l_pid as i32;
    }
    Ok(())
}
