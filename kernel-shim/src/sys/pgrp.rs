//! Process groups and sessions: setpgid, getpgid, getpgrp, setsid, getsid. A guest
//! process is a host process, so its group and session are the host's; pids cross
//! through the world (deterministic mode's are virtual).

use super::{Args, SysResult};
use crate::abi::errno as E;
use crate::{host, Process};

/// A pid argument as the host knows it: 0 (the caller) stays 0; a negative one names no
/// process.
fn host_pid(p: &Process, pid: i32) -> Result<i32, i32> {
    match pid {
        0 => Ok(0),
        pid if pid < 0 => Err(E::ESRCH),
        pid => Ok(p.world().host_pid(pid)),
    }
}

pub(super) fn setpgid(p: &mut Process, a: &Args) -> SysResult {
    let (pid, pgid) = (a.pid(0), a.pid(1));
    // A pgid of 0 is the pid (Linux checks the sign after that).
    if pgid < 0 || pgid == 0 && pid < 0 {
        return Err(E::EINVAL);
    }
    host::setpgid(host_pid(p, pid)?, host_pid(p, pgid)?)?;
    Ok(0)
}

pub(super) fn getpgid(p: &mut Process, a: &Args) -> SysResult {
    let g = host::getpgid(host_pid(p, a.pid(0))?)?;
    Ok(p.world().guest_pid(g) as u64)
}

pub(super) fn getpgrp(p: &mut Process, _: &Args) -> SysResult {
    let g = host::getpgid(0)?;
    Ok(p.world().guest_pid(g) as u64)
}

pub(super) fn setsid(p: &mut Process, _: &Args) -> SysResult {
    let s = host::setsid()?;
    Ok(p.world().guest_pid(s) as u64)
}

pub(super) fn getsid(p: &mut Process, a: &Args) -> SysResult {
    let s = host::getsid(host_pid(p, a.pid(0))?)?;
    Ok(p.world().guest_pid(s) as u64)
}
