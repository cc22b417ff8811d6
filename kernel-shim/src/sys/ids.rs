//! Identities: pids and tids, user and group ids (read, and set only to what they are),
//! supplementary groups.

use super::{read_array, write_array, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::{host, Process};

pub(super) fn gettid(p: &mut Process, _: &Args) -> SysResult {
    Ok(p.tid() as u64)
}

pub(super) fn getpid(p: &mut Process, _: &Args) -> SysResult {
    Ok(p.world().pid() as u64)
}

pub(super) fn getppid(p: &mut Process, _: &Args) -> SysResult {
    Ok(p.world().ppid() as u64)
}

pub(super) fn getuid(_: &mut Process, _: &Args) -> SysResult {
    Ok(host::ids()[0] as u64)
}

pub(super) fn geteuid(_: &mut Process, _: &Args) -> SysResult {
    Ok(host::ids()[1] as u64)
}

pub(super) fn getgid(_: &mut Process, _: &Args) -> SysResult {
    Ok(host::ids()[2] as u64)
}

pub(super) fn getegid(_: &mut Process, _: &Args) -> SysResult {
    Ok(host::ids()[3] as u64)
}

/// setuid/setgid family: emu runs as the invoking user and cannot change identity on the
/// guest's behalf, so requests that keep the current ids (the first `n` arguments, each a
/// uid_t or gid_t; -1 leaves one unchanged) succeed and others are refused.
fn keep_ids(a: &Args, n: usize, cur: u32) -> SysResult {
    if (0..n).map(|i| a.uint(i)).all(|w| w == u32::MAX || w == cur) {
        Ok(0)
    } else {
        Err(E::EPERM)
    }
}

pub(super) fn setuid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 1, host::ids()[1])
}

pub(super) fn setgid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 1, host::ids()[3])
}

pub(super) fn setreuid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 2, host::ids()[1])
}

pub(super) fn setregid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 2, host::ids()[3])
}

pub(super) fn setresuid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 3, host::ids()[1])
}

pub(super) fn setresgid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 3, host::ids()[3])
}

/// getresuid/getresgid: the three ids to the three pointers.
fn write_ids(p: &mut Process, a: &Args, ids: [u32; 3]) -> SysResult {
    for (i, v) in ids.iter().enumerate() {
        write_struct(p, a.ptr(i), v)?;
    }
    Ok(0)
}

pub(super) fn getresuid(p: &mut Process, a: &Args) -> SysResult {
    let i = host::ids();
    write_ids(p, a, [i[0], i[1], i[1]])
}

pub(super) fn getresgid(p: &mut Process, a: &Args) -> SysResult {
    let i = host::ids();
    write_ids(p, a, [i[2], i[3], i[3]])
}

pub(super) fn getgroups(p: &mut Process, a: &Args) -> SysResult {
    // The guest's supplementary groups: just its primary group.
    let (size, list) = (a.int(0), a.ptr(1));
    if size == 0 {
        return Ok(1);
    }
    write_array(p, list, &[host::ids()[2]])?;
    Ok(1)
}

/// setgroups: as the set*id calls, only the list getgroups reports can be set again.
pub(super) fn setgroups(p: &mut Process, a: &Args) -> SysResult {
    const NGROUPS_MAX: u64 = 65536;
    let (size, list) = (a.ulong(0), a.ptr(1));
    if size > NGROUPS_MAX {
        return Err(E::EINVAL);
    }
    let groups: Vec<u32> = read_array(p, list, size as usize)?;
    if groups == [host::ids()[2]] {
        Ok(0)
    } else {
        Err(E::EPERM)
    }
}

/// setfsuid/setfsgid answer the filesystem id before the call, which is the effective id
/// (emu keeps the identity it was started with); a change is not made, which the caller
/// sees by asking again, as when Linux refuses one.
pub(super) fn setfsuid(_: &mut Process, _: &Args) -> SysResult {
    Ok(host::ids()[1] as u64)
}

pub(super) fn setfsgid(_: &mut Process, _: &Args) -> SysResult {
    Ok(host::ids()[3] as u64)
}
