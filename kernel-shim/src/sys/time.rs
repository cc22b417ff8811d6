//! Time: clock_gettime, clock_getres, gettimeofday, time, nanosleep, clock_nanosleep.
//! Values come from the process's world (`crate::world`).

use super::{read_timespec, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::time::{Timespec, Timeval};
use crate::thread::{Wait, E_WOULDBLOCK};
use crate::world::Clock;
use crate::Process;

/// CLOCK_REALTIME .. CLOCK_BOOTTIME and CLOCK_TAI (not the *_ALARM ones, nor the unused
/// 10), or a CPU-time clock (negative ids encode a pid or tid).
fn valid_clock(c: i32) -> bool {
    (0..=11).contains(&c) && !(8..=10).contains(&c) || c < 0
}

pub(super) fn clock_gettime(p: &mut Process, a: &Args) -> SysResult {
    let clock = a.int(0);
    if !valid_clock(clock) {
        return Err(E::EINVAL);
    }
    let (s, ns) = p.world().clock_gettime(Clock::from_linux(clock as u32));
    write_struct(p, a.ptr(1), &Timespec::new(s, ns))?;
    Ok(0)
}

pub(super) fn clock_getres(p: &mut Process, a: &Args) -> SysResult {
    let (clock, res) = (a.int(0), a.ptr(1));
    if !valid_clock(clock) {
        return Err(E::EINVAL);
    }
    if res != 0 {
        // Coarse clocks tick at 4 ms (HZ=250); the others have nanosecond resolution.
        let ns = if clock == 5 || clock == 6 { 4_000_000 } else { 1 };
        write_struct(p, res, &Timespec::new(0, ns))?;
    }
    Ok(0)
}

pub(super) fn gettimeofday(p: &mut Process, a: &Args) -> SysResult {
    let (tv, tz) = (a.ptr(0), a.ptr(1));
    if tv != 0 {
        let (s, ns) = p.world().clock_gettime(Clock::Realtime);
        write_struct(p, tv, &Timeval::new(s, ns / 1000))?;
    }
    if tz != 0 {
        // struct timezone: UTC, no DST correction.
        write_struct(p, tz, &[0i32; 2])?;
    }
    Ok(0)
}

pub(super) fn time(p: &mut Process, a: &Args) -> SysResult {
    let (s, _) = p.world().clock_gettime(Clock::Realtime);
    let tloc = a.ptr(0);
    if tloc != 0 {
        write_struct(p, tloc, &s)?;
    }
    Ok(s as u64)
}

/// Sleeps for `t`: the thread parks if others can run meanwhile. Alone, it sleeps in
/// the host until the time passed or a signal the guest must take arrives (EINTR, with the
/// time left written to `rem` when given).
fn sleep_for(p: &mut Process, t: Timespec, rem: Option<u64>) -> SysResult {
    if p.multithreaded() {
        let deadline = p.world().instant() + t.to_duration();
        p.park(Wait::Sleep { deadline });
        return Err(E_WOULDBLOCK);
    }
    let (mut s, mut ns) = (t.sec, t.nsec);
    loop {
        if p.world().signals_pending() {
            p.collect_host_signals();
            if p.has_deliverable() {
                if let Some(addr) = rem.filter(|&a| a != 0) {
                    write_struct(p, addr, &Timespec::new(s, ns))?;
                }
                return Err(E::EINTR);
            }
        }
        (s, ns) = p.world().sleep(s, ns);
        if (s, ns) == (0, 0) {
            return Ok(0);
        }
    }
}

pub(super) fn nanosleep(p: &mut Process, a: &Args) -> SysResult {
    let t = read_timespec(p, a.ptr(0))?;
    sleep_for(p, t, Some(a.ptr(1)))
}

pub(super) fn clock_nanosleep(p: &mut Process, a: &Args) -> SysResult {
    const TIMER_ABSTIME: i32 = 1;
    let (clock, flags, req, rem) = (a.int(0), a.int(1), a.ptr(2), a.ptr(3));
    if !valid_clock(clock) {
        return Err(E::EINVAL);
    }
    let t = read_timespec(p, req)?;
    if flags & TIMER_ABSTIME != 0 {
        let (cs, cns) = p.world().clock_gettime(Clock::from_linux(clock as u32));
        let left = t.as_nanos() - Timespec::new(cs, cns).as_nanos();
        if left > 0 {
            return sleep_for(p, Timespec::from_nanos(left), None);
        }
        Ok(0)
    } else {
        sleep_for(p, t, Some(rem))
    }
}
