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
//! - **kill with a real-time signal.** rustix's `Signal` names only the standard signals;
//!   any other number needs an unsafe constructor whose contract forbids sending libc's
//!   reserved numbers, which a guest may do.
//! - **setitimer, getitimer, alarm, getrusage.** Not in rustix.
//! - **getentropy on macOS.** rustix's getrandom is Linux-only.

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

extern "C" fn on_host_signal(hs: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let child = (hs == libc::SIGCHLD && !info.is_null()).then(|| {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers; for SIGCHLD
        // the pid and status members are the valid union fields.
        unsafe { ((*info).si_pid(), (*info).si_code, (*info).si_status()) }
    });
    arrived(hs, child);
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
