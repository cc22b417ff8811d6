//! Resource limits and use: getrlimit/prlimit64, getrusage, times.

use super::{read_struct, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::process::{Rlimit, Rusage, RLIM_INFINITY};
use crate::abi::time::{Timeval, Tms};
use crate::world::Clock;
use crate::Process;

const RLIMIT_STACK: u32 = 3;
const RLIMIT_NOFILE: u32 = 7;

fn rlimit(res: u32) -> Result<Rlimit, i32> {
    let (cur, max) = match res {
        RLIMIT_STACK => (emu_loader::STACK_SIZE, RLIM_INFINITY),
        RLIMIT_NOFILE => (crate::fd::MAX_FDS as u64, crate::fd::MAX_FDS as u64),
        0..=15 => (RLIM_INFINITY, RLIM_INFINITY),
        _ => return Err(E::EINVAL),
    };
    Ok(Rlimit { cur, max })
}

pub(super) fn getrlimit(p: &mut Process, a: &Args) -> SysResult {
    let lim = rlimit(a.uint(0))?;
    write_struct(p, a.ptr(1), &lim)?;
    Ok(0)
}

pub(super) fn prlimit64(p: &mut Process, a: &Args) -> SysResult {
    let (pid, resource, new, old) = (a.pid(0), a.uint(1), a.ptr(2), a.ptr(3));
    if pid != 0 && pid != p.world().pid() {
        return Err(E::ESRCH);
    }
    let lim = rlimit(resource)?;
    if old != 0 {
        write_struct(p, old, &lim)?;
    }
    if new != 0 {
        // New limits are accepted but not enforced (emu does not cap guest resources).
        read_struct::<Rlimit>(p, new)?;
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
