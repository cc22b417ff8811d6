//! Resource limits and use: getrlimit/setrlimit/prlimit64, getrusage, times. Limits are
//! the process's own (inherited across fork and execve); emu enforces RLIMIT_NOFILE.

use super::{read_struct, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::process::{Rlimit, Rusage, RLIMIT_NOFILE, RLIM_NLIMITS};
use crate::abi::time::{Timeval, Tms};
use crate::fd::MAX_FDS;
use crate::world::Clock;
use crate::Process;

fn resource(res: u32) -> Result<usize, i32> {
    Some(res as usize).filter(|&r| r < RLIM_NLIMITS).ok_or(E::EINVAL)
}

pub(super) fn getrlimit(p: &mut Process, a: &Args) -> SysResult {
    let lim = p.limits[resource(a.uint(0))?];
    write_struct(p, a.ptr(1), &lim)?;
    Ok(0)
}

pub(super) fn setrlimit(p: &mut Process, a: &Args) -> SysResult {
    let r = resource(a.uint(0))?;
    let new = read_struct::<Rlimit>(p, a.ptr(1))?;
    set_limit(p, r, new)
}

pub(super) fn prlimit64(p: &mut Process, a: &Args) -> SysResult {
    let (pid, r, new, old) = (a.pid(0), resource(a.uint(1))?, a.ptr(2), a.ptr(3));
    if pid != 0 && pid != p.world().pid() {
        return Err(E::ESRCH);
    }
    // Linux reads the new limit before it writes the old one, and applies it only after.
    let new = if new != 0 { Some(read_struct::<Rlimit>(p, new)?) } else { None };
    let before = p.limits[r];
    if let Some(new) = new {
        set_limit(p, r, new)?;
    }
    if old != 0 {
        write_struct(p, old, &before)?;
    }
    Ok(0)
}

/// Linux's checks: the soft limit may not exceed the hard one, and only a privileged
/// process raises a hard limit. Descriptors cannot go past emu's table, as they cannot
/// go past fs.nr_open on Linux.
fn set_limit(p: &mut Process, r: usize, new: Rlimit) -> SysResult {
    if new.cur > new.max {
        return Err(E::EINVAL);
    }
    if new.max > p.limits[r].max && p.world().ids()[1] != 0 || r == RLIMIT_NOFILE && new.max > MAX_FDS as u64
    {
        return Err(E::EPERM);
    }
    p.limits[r] = new;
    if r == RLIMIT_NOFILE {
        p.fds.set_limit(new.cur as usize);
    }
    Ok(0)
}

/// getrusage: CPU time from the world (virtual in deterministic mode), all of it counted
/// as user time; the peak resident size is the guest's resident memory.
pub(super) fn getrusage(p: &mut Process, a: &Args) -> SysResult {
    const RUSAGE_CHILDREN: i32 = -1;
    let who = a.int(0);
    let ns = match who {
        0 | 1 => p.world().cpu_time_ns(),
        RUSAGE_CHILDREN => p.world().children_cpu_time_ns(),
        _ => return Err(E::EINVAL),
    };
    let mut ru = Rusage {
        utime: Timeval::new((ns / 1_000_000_000) as i64, ((ns % 1_000_000_000) / 1000) as i64),
        ..Default::default()
    };
    if who != RUSAGE_CHILDREN {
        ru.maxrss = (p.cpu.mem.resident_bytes() / 1024) as i64;
    }
    write_struct(p, a.ptr(1), &ru)?;
    Ok(0)
}

/// times: CPU times in clock ticks (100 Hz, as sysconf(_SC_CLK_TCK) says) and the
/// monotonic clock in ticks as the result, all from the world.
pub(super) fn times(p: &mut Process, a: &Args) -> SysResult {
    const NS_PER_TICK: u64 = 10_000_000;
    let buf = a.ptr(0);
    if buf != 0 {
        let t = Tms {
            utime: (p.world().cpu_time_ns() / NS_PER_TICK) as i64,
            cutime: (p.world().children_cpu_time_ns() / NS_PER_TICK) as i64,
            ..Default::default()
        };
        write_struct(p, buf, &t)?;
    }
    let (s, ns) = p.world().clock_gettime(Clock::Monotonic);
    Ok((s.max(0) as u64) * 100 + ns.max(0) as u64 / NS_PER_TICK)
}
