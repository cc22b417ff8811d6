//! Process groups and sessions: each guest process is a host process (emu forks itself),
//! so its group and session are the host's. Pids here are host pids; `None`/0 is the
//! caller, as in the syscalls.

use super::errno::linux;
use super::{ffi, HostResult};
use crate::abi::errno as E;
use rustix::process::Pid;

/// A pid argument: 0 is the caller; a negative one is EINVAL here (the callers check
/// Linux's own rules first).
fn pid(p: i32) -> HostResult<Option<Pid>> {
    match p {
        0 => Ok(None),
        p if p > 0 => Ok(Pid::from_raw(p)),
        _ => Err(E::EINVAL),
    }
}

pub fn setpgid(p: i32, pgid: i32) -> HostResult<()> {
    rustix::process::setpgid(pid(p)?, pid(pgid)?).map_err(linux)
}

pub fn getpgid(p: i32) -> HostResult<i32> {
    pid(p)?;
    ffi::getpgid(p)
}

pub fn setsid() -> HostResult<i32> {
    Ok(rustix::process::setsid().map_err(linux)?.as_raw_nonzero().get())
}

pub fn getsid(p: i32) -> HostResult<i32> {
    pid(p)?;
    ffi::getsid(p)
}

/// kill(2) of a process group that may contain emu itself (`pid` 0 or below -1, Linux
/// numbering): the signal reaches every other member as the host delivers it, and emu's
/// own copy is taken off the host before it can act on emu (stop it, kill it, or run a
/// host handler): true if emu was a receiver, so that the guest gets the signal instead.
/// SIGKILL and SIGSTOP cannot be held back; they act on emu as on the guest.
fn kill_group(pid: i32, sig: i32) -> HostResult<bool> {
    ffi::kill_taking_own(pid, super::host_signal(sig))
}

/// kill(2) with Linux's pid conventions from the guest's process: true if the signal
/// reached emu itself (its own group), which the guest must then receive. kill(-1)
/// reaches every process but the caller, as on Linux; a check (`sig` 0) reaches none.
pub fn kill_from_guest(pid: i32, sig: i32) -> HostResult<bool> {
    if sig != 0 && (pid == 0 || pid < -1) {
        return kill_group(pid, sig);
    }
    super::kill(pid, sig).map(|_| false)
}
