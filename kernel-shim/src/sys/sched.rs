//! Scheduling: nice values (getpriority/setpriority), the policy calls
//! (sched_getscheduler/setscheduler, getparam/setparam, get_priority_min/max,
//! rr_get_interval, getattr/setattr) and sched_setaffinity. A guest process is a host
//! process, so its nice value and policy are the host's; pids cross through the world.
//! Its CPUs are the one the CPUID model and sched_getaffinity show.

use super::{read_guest, read_struct, write_guest, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::task::{SchedAttr, SCHED_ATTR_SIZE_VER0};
use crate::abi::time::Timespec;
use crate::abi::GuestStruct;
use crate::{host, Process};

const PRIO_PROCESS: i32 = 0;
const PRIO_PGRP: i32 = 1;

const SCHED_OTHER: i32 = 0;
const SCHED_FIFO: i32 = 1;
const SCHED_RR: i32 = 2;
const SCHED_BATCH: i32 = 3;
const SCHED_IDLE: i32 = 5;
const SCHED_DEADLINE: i32 = 6;
const SCHED_RESET_ON_FORK: i32 = 0x4000_0000;

/// A pid argument of the sched_* calls as the host knows it (0: the caller).
fn host_pid(p: &Process, pid: i32) -> Result<i32, i32> {
    match pid {
        0 => Ok(0),
        pid if pid < 0 => Err(E::EINVAL),
        pid => Ok(p.world().host_pid(pid)),
    }
}

/// The id of getpriority/setpriority's `which`: pids and groups cross the world.
fn prio_who(p: &Process, which: i32, who: i32) -> i32 {
    match which {
        PRIO_PROCESS | PRIO_PGRP if who > 0 => p.world().host_pid(who),
        _ => who,
    }
}

/// getpriority: the raw syscall answers 20 - nice (1..=40), so that no success is
/// negative; libc turns it back.
pub(super) fn getpriority(p: &mut Process, a: &Args) -> SysResult {
    let (which, who) = (a.int(0), a.int(1));
    let nice = host::getpriority(which, prio_who(p, which, who))?;
    Ok((20 - nice) as u64)
}

pub(super) fn setpriority(p: &mut Process, a: &Args) -> SysResult {
    let (which, who, nice) = (a.int(0), a.int(1), a.int(2).clamp(-20, 19));
    host::setpriority(which, prio_who(p, which, who), nice)?;
    Ok(0)
}

pub(super) fn sched_getscheduler(p: &mut Process, a: &Args) -> SysResult {
    let (policy, _) = host::scheduler(host_pid(p, a.pid(0))?)?;
    Ok(policy as u64)
}

/// The priority range of `policy`: 1..=99 for the real-time ones, 0 for the others.
fn priority_range(policy: i32) -> Result<(i32, i32), i32> {
    match policy {
        SCHED_FIFO | SCHED_RR => Ok((1, 99)),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => Ok((0, 0)),
        _ => Err(E::EINVAL),
    }
}

pub(super) fn sched_get_priority_max(_: &mut Process, a: &Args) -> SysResult {
    Ok(priority_range(a.int(0))?.1 as u64)
}

pub(super) fn sched_get_priority_min(_: &mut Process, a: &Args) -> SysResult {
    Ok(priority_range(a.int(0))?.0 as u64)
}

/// Sets `policy` (with SCHED_RESET_ON_FORK) at `priority`, checked as Linux does before
/// the host is asked (which refuses what the user may not do).
fn set_policy(p: &Process, pid: i32, policy: i32, priority: i32) -> SysResult {
    let (lo, hi) = priority_range(policy & !SCHED_RESET_ON_FORK)?;
    if !(lo..=hi).contains(&priority) || policy & !SCHED_RESET_ON_FORK == SCHED_DEADLINE {
        return Err(E::EINVAL);
    }
    host::set_scheduler(host_pid(p, pid)?, policy, priority)?;
    Ok(0)
}

pub(super) fn sched_setscheduler(p: &mut Process, a: &Args) -> SysResult {
    let (pid, policy, param) = (a.pid(0), a.int(1), a.ptr(2));
    if param == 0 || policy < 0 {
        return Err(E::EINVAL);
    }
    let prio = read_struct::<i32>(p, param)?;
    set_policy(p, pid, policy, prio)
}

pub(super) fn sched_getparam(p: &mut Process, a: &Args) -> SysResult {
    let (pid, param) = (a.pid(0), a.ptr(1));
    if param == 0 {
        return Err(E::EINVAL);
    }
    let (_, prio) = host::scheduler(host_pid(p, pid)?)?;
    write_struct(p, param, &prio)?;
    Ok(0)
}

pub(super) fn sched_setparam(p: &mut Process, a: &Args) -> SysResult {
    let (pid, param) = (a.pid(0), a.ptr(1));
    if param == 0 {
        return Err(E::EINVAL);
    }
    let prio = read_struct::<i32>(p, param)?;
    let (policy, _) = host::scheduler(host_pid(p, pid)?)?;
    set_policy(p, pid, policy, prio)
}

pub(super) fn sched_rr_get_interval(p: &mut Process, a: &Args) -> SysResult {
    let (s, ns) = host::rr_interval(host_pid(p, a.pid(0))?)?;
    write_struct(p, a.ptr(1), &Timespec { sec: s, nsec: ns })?;
    Ok(0)
}

pub(super) fn sched_getattr(p: &mut Process, a: &Args) -> SysResult {
    let (pid, attr, size, flags) = (a.pid(0), a.ptr(1), a.uint(2), a.uint(3));
    if attr == 0 || flags != 0 || !(SCHED_ATTR_SIZE_VER0..=4096).contains(&size) {
        return Err(E::EINVAL);
    }
    let h = host_pid(p, pid)?;
    let (policy, priority) = host::scheduler(h)?;
    let nice = host::getpriority(PRIO_PROCESS, h)?;
    let size = size.min(SchedAttr::SIZE as u32);
    let v = SchedAttr {
        size,
        policy: (policy & !SCHED_RESET_ON_FORK) as u32,
        flags: (policy & SCHED_RESET_ON_FORK != 0) as u64,
        nice,
        priority: priority as u32,
        util_max: 1024,
        ..Default::default()
    };
    let b = v.to_bytes();
    write_guest(p, attr, &b[..size as usize])?;
    Ok(0)
}

pub(super) fn sched_setattr(p: &mut Process, a: &Args) -> SysResult {
    const SCHED_FLAG_RESET_ON_FORK: u64 = 1;
    let (pid, attr, flags) = (a.pid(0), a.ptr(1), a.uint(2));
    if attr == 0 || flags != 0 {
        return Err(E::EINVAL);
    }
    let size = read_struct::<u32>(p, attr)?;
    // A size of 0 is the first version's; a larger one than emu's must be zero past it.
    let size = if size == 0 { SCHED_ATTR_SIZE_VER0 } else { size };
    if !(SCHED_ATTR_SIZE_VER0..=4096).contains(&size) {
        write_struct(p, attr, &(SchedAttr::SIZE as u32))?;
        return Err(E::E2BIG);
    }
    let mut b = read_guest(p, attr, size as usize)?;
    if b.iter().skip(SchedAttr::SIZE).any(|&x| x != 0) {
        write_struct(p, attr, &(SchedAttr::SIZE as u32))?;
        return Err(E::E2BIG);
    }
    b.resize(SchedAttr::SIZE.max(b.len()), 0);
    let v = SchedAttr::read(&b);
    if v.flags & !SCHED_FLAG_RESET_ON_FORK != 0 {
        return Err(E::EINVAL);
    }
    let reset = if v.flags & SCHED_FLAG_RESET_ON_FORK != 0 { SCHED_RESET_ON_FORK } else { 0 };
    set_policy(p, pid, v.policy as i32 | reset, v.priority as i32)?;
    let policy = v.policy as i32;
    if policy == SCHED_OTHER || policy == SCHED_BATCH {
        host::setpriority(PRIO_PROCESS, host_pid(p, pid)?, v.nice.clamp(-20, 19))?;
    }
    Ok(0)
}

/// sched_setaffinity: the guest's one CPU must be in the mask (EINVAL otherwise, as for
/// a mask of no online CPU); the host's affinity is left alone.
pub(super) fn sched_setaffinity(p: &mut Process, a: &Args) -> SysResult {
    let (pid, len, mask) = (a.pid(0), a.uint(1), a.ptr(2));
    if pid < 0 {
        return Err(E::ESRCH);
    }
    if len == 0 {
        return Err(E::EINVAL);
    }
    let first = read_guest(p, mask, 1)?[0];
    if first & 1 == 0 {
        return Err(E::EINVAL);
    }
    Ok(0)
}
