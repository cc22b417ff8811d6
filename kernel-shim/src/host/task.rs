//! A process's standing with the host's scheduler and security: capabilities, nice
//! values, scheduling policy, the prctl settings the host keeps (parent-death signal,
//! child subreaper, capability bounding set), and pidfds. Pids are host pids, 0 the
//! caller. Where the host has no such notion (capabilities, pidfds on macOS) the answer
//! is Linux's on a system without it.

use super::errno::linux;
use super::{ffi, os, HostResult};
use crate::abi::errno as E;
use rustix::process::{Pid, Uid};

/// The effective, permitted and inheritable capability sets of process `pid`.
pub fn capabilities(pid: i32) -> HostResult<[u64; 3]> {
    os::capabilities(pid)
}

pub fn set_capabilities(pid: i32, sets: [u64; 3]) -> HostResult<()> {
    os::set_capabilities(pid, sets)
}

/// Whether capability `cap` is in the bounding set (PR_CAPBSET_READ).
pub fn capability_bounded(cap: u32) -> HostResult<bool> {
    ffi::prctl(ffi::Prctl::CapbsetRead, cap as u64).map(|r| r == 1)
}

/// Sets the signal this process gets when its parent dies (0: none).
pub fn set_parent_death_signal(sig: i32) -> HostResult<()> {
    ffi::prctl(ffi::Prctl::SetPdeathsig, super::host_signal(sig) as u64).map(|_| ())
}

/// Makes this process a subreaper of its orphaned descendants, or not.
pub fn set_child_subreaper(on: bool) -> HostResult<()> {
    ffi::prctl(ffi::Prctl::SetChildSubreaper, on as u64).map(|_| ())
}

/// Whose nice value (getpriority/setpriority's `which`: 0 a process, 1 a process group,
/// 2 a user) and the id.
fn who(which: i32, who: i32) -> HostResult<(i32, Option<Pid>)> {
    if !(0..=2).contains(&which) {
        return Err(E::EINVAL);
    }
    if who < 0 {
        return Err(E::ESRCH);
    }
    Ok((which, Pid::from_raw(who)))
}

/// The nice value (-20..=19) of the process, group or user.
pub fn getpriority(which: i32, id: i32) -> HostResult<i32> {
    use rustix::process as P;
    match who(which, id)? {
        (0, pid) => P::getpriority_process(pid),
        (1, pid) => P::getpriority_pgrp(pid),
        _ => P::getpriority_user(user(id)),
    }
    .map_err(linux)
}

pub fn setpriority(which: i32, id: i32, nice: i32) -> HostResult<()> {
    use rustix::process as P;
    match who(which, id)? {
        (0, pid) => P::setpriority_process(pid, nice),
        (1, pid) => P::setpriority_pgrp(pid, nice),
        _ => P::setpriority_user(user(id), nice),
    }
    .map_err(linux)
}

/// A user id (0 is the caller's, as for PRIO_USER).
fn user(id: i32) -> Uid {
    if id == 0 {
        rustix::process::getuid()
    } else {
        Uid::from_raw(id as u32)
    }
}

/// The scheduling policy (Linux numbering) and static priority of process `pid`.
pub fn scheduler(pid: i32) -> HostResult<(i32, i32)> {
    os::scheduler(pid)
}

/// Sets the scheduling policy (Linux numbering, with SCHED_RESET_ON_FORK) and priority.
pub fn set_scheduler(pid: i32, policy: i32, priority: i32) -> HostResult<()> {
    os::set_scheduler(pid, policy, priority)
}

/// The round-robin time slice of process `pid` (seconds, nanoseconds).
pub fn rr_interval(pid: i32) -> HostResult<(i64, i64)> {
    os::rr_interval(pid)
}

/// A pidfd of process `pid` (close-on-exec), non-blocking if asked.
pub fn pidfd_open(pid: i32, nonblock: bool) -> HostResult<i32> {
    os::pidfd_open(pid, nonblock)
}

/// Sends Linux signal `sig` to the process of pidfd `fd` (0 checks only).
pub fn pidfd_send_signal(fd: i32, sig: i32) -> HostResult<()> {
    ffi::pidfd_send_signal(fd, if sig == 0 { 0 } else { super::host_signal(sig) })
}

/// The pid a pidfd refers to.
pub fn pidfd_pid(fd: i32) -> HostResult<i32> {
    os::pidfd_pid(fd)
}
