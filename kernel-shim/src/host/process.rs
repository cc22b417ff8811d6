//! Host processes: fork, wait, kill, stop, exit, with Linux option bits, wait statuses and
//! signal numbers.

use super::errno::linux;
use super::signal::{host_signal, signal_to_linux};
use super::{ffi, HostResult};
use crate::abi::errno as E;
use rustix::process::{Pid, Signal, WaitOptions, WaitStatus};

/// Forks the whole emu process: the child continues with a copy of every guest state.
/// Returns the child's pid in the parent and 0 in the child.
pub fn fork() -> HostResult<i32> {
    ffi::fork()
}

/// waitpid with Linux option bits; returns (pid, Linux wait status), pid 0 when WNOHANG
/// found nothing.
pub fn waitpid(pid: i32, options: u32) -> HostResult<(i32, i32)> {
    let mut o = WaitOptions::empty();
    for (l, h) in [(1, WaitOptions::NOHANG), (2, WaitOptions::UNTRACED), (8, WaitOptions::CONTINUED)] {
        if options & l != 0 {
            o |= h;
        }
    }
    let r = match pid {
        -1 => rustix::process::wait(o),
        0 => rustix::process::waitpid(None, o),
        p if p < 0 => rustix::process::waitpgid(target(p.checked_neg())?, o),
        p => rustix::process::waitpid(Some(target(Some(p))?), o),
    }
    .map_err(linux)?;
    Ok(r.map_or((0, 0), |(pid, st)| (pid.as_raw_nonzero().get(), status_to_linux(st))))
}

/// A host wait status as Linux's (the layouts agree; signal numbers may not).
fn status_to_linux(s: WaitStatus) -> i32 {
    if let Some(code) = s.exit_status() {
        (code & 0xff) << 8
    } else if let Some(sig) = s.terminating_signal() {
        // 0x80: core dumped, the same bit everywhere.
        signal_to_linux(sig) | (s.as_raw() & 0x80)
    } else if let Some(sig) = s.stopping_signal() {
        (signal_to_linux(sig) << 8) | 0x7f
    } else {
        0xffff
    }
}

/// waitid with Linux idtype and option bits. Returns (pid, Linux si_code, status, uid),
/// or pid 0 when WNOHANG found nothing.
pub fn waitid(idtype: u32, id: u32, options: u32) -> HostResult<(i32, i32, i32, u32)> {
    let (pid, code, status, uid) = ffi::waitid(idtype, id, options)?;
    if pid == 0 {
        return Ok((0, 0, 0, 0));
    }
    // CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED carry a signal number (the codes
    // are the same on every host).
    let status = if matches!(code, 2 | 3 | 5 | 6) { signal_to_linux(status) } else { status };
    Ok((pid, code, status, uid))
}

/// kill(2) with Linux's pid conventions (0 own group, -1 all, < -1 a group) and signal
/// number (0 checks only).
pub fn kill(pid: i32, sig: i32) -> HostResult<()> {
    use rustix::process as P;
    if sig == 0 {
        return match pid {
            0 => P::test_kill_current_process_group(),
            -1 => P::test_kill_process_group(Pid::INIT),
            p if p < 0 => P::test_kill_process_group(target(p.checked_neg())?),
            p => P::test_kill_process(target(Some(p))?),
        }
        .map_err(linux);
    }
    let hs = host_signal(sig);
    // rustix names the standard signals only; a real-time one goes through libc.
    let Some(s) = Signal::from_named_raw(hs) else { return ffi::kill(pid, hs) };
    match pid {
        0 => P::kill_current_process_group(s),
        -1 => P::kill_process_group(Pid::INIT, s),
        p if p < 0 => P::kill_process_group(target(p.checked_neg())?, s),
        p => P::kill_process(target(Some(p))?, s),
    }
    .map_err(linux)
}

/// A positive pid (a negated group id); ESRCH for -i32::MIN, as Linux says.
fn target(p: Option<i32>) -> HostResult<Pid> {
    p.and_then(Pid::from_raw).ok_or(E::ESRCH)
}

/// Stops this process with Linux signal `sig` (a guest stop signal's default action,
/// which the host's action for it then is too) until SIGCONT, so that the parent's wait
/// reports the signal that stopped the guest. A stop the kernel discards (SIGTSTP to an
/// orphaned process group) is discarded here too.
pub fn stop_self(sig: i32) {
    let _ = ffi::kill(rustix::process::getpid().as_raw_nonzero().get(), host_signal(sig));
}

/// Immediately ends this host process (a forked emu child that must not run destructors
/// shared with the parent).
pub fn exit_now(code: i32) -> ! {
    ffi::exit_now(code)
}

/// Ends emu by `sig` with core dumps off, so the parent sees the status the native
/// program would have given. Falls back to exit(128+sig).
pub fn die_by_signal(sig: i32) -> ! {
    use rustix::process::{setrlimit, Resource, Rlimit};
    let _ = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) });
    ffi::raise_default(host_signal(sig));
    ffi::exit_now(128 + sig)
}
