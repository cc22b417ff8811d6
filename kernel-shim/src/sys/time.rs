//! Time: clock_gettime, clock_getres, gettimeofday, time, nanosleep, clock_nanosleep.
//! Values come from the process's world (`crate::world`).

use super::{read_guest, write_guest, Args, SysResult};
use crate::abi::errno as E;
use crate::thread::{Wait, E_WOULDBLOCK};
use crate::world::Clock;
use crate::Process;

fn valid_clock(c: u64) -> bool {
    c <= 11 && c != 8 && c != 9 && c != 10 || (c as i64) < 0
}

fn timespec(s: i64, ns: i64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&s.to_le_bytes());
    b[8..].copy_from_slice(&ns.to_le_bytes());
    b
}

pub(super) fn clock_gettime(p: &mut Process, a: &Args) -> SysResult {
    if !valid_clock(a[0]) {
        return Err(E::EINVAL);
    }
    let (s, ns) = p.world().clock_gettime(Clock::from_linux(a[0] as u32));
    write_guest(p, a[1], &timespec(s, ns))?;
    Ok(0)
}

pub(super) fn clock_getres(p: &mut Process, a: &Args) -> SysResult {
    if !valid_clock(a[0]) {
        return Err(E::EINVAL);
    }
    if a[1] != 0 {
        // Coarse clocks tick at 4 ms (HZ=250); the others have nanosecond resolution.
        let ns = if a[0] == 5 || a[0] == 6 { 4_000_000 } else { 1 };
        write_guest(p, a[1], &timespec(0, ns))?;
    }
    Ok(0)
}

pub(super) fn gettimeofday(p: &mut Process, a: &Args) -> SysResult {
    if a[0] != 0 {
        let (s, ns) = p.world().clock_gettime(Clock::Realtime);
        write_guest(p, a[0], &timespec(s, ns / 1000))?;
    }
    if a[1] != 0 {
        write_guest(p, a[1], &[0u8; 8])?;
    }
    Ok(0)
}

pub(super) fn time(p: &mut Process, a: &Args) -> SysResult {
    let (s, _) = p.world().clock_gettime(Clock::Realtime);
    if a[0] != 0 {
        write_guest(p, a[0], &s.to_le_bytes())?;
    }
    Ok(s as u64)
}

fn read_timespec(p: &mut Process, addr: u64) -> Result<(i64, i64), i32> {
    let b = read_guest(p, addr, 16)?;
    let s = i64::from_le_bytes(b[..8].try_into().unwrap());
    let ns = i64::from_le_bytes(b[8..].try_into().unwrap());
    if s < 0 || !(0..1_000_000_000).contains(&ns) {
        return Err(E::EINVAL);
    }
    Ok((s, ns))
}

/// Sleeps for (s, ns): the thread parks if others can run meanwhile. Alone, it sleeps in
/// the host until the time passed or a signal the guest must take arrives (EINTR, with the
/// time left written to `rem` when given).
fn sleep_for(p: &mut Process, s: i64, ns: i64, rem: Option<u64>) -> SysResult {
    if p.multithreaded() {
        let d = std::time::Duration::new(s as u64, ns as u32);
        let deadline = p.world().instant() + d;
        p.park(Wait::Sleep { deadline });
        return Err(E_WOULDBLOCK);
    }
    let (mut s, mut ns) = (s, ns);
    loop {
        if p.world().signals_pending() {
            p.collect_host_signals();
            if p.has_deliverable() {
                if let Some(addr) = rem.filter(|&a| a != 0) {
                    write_guest(p, addr, &timespec(s, ns))?;
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
    let (s, ns) = read_timespec(p, a[0])?;
    sleep_for(p, s, ns, Some(a[1]))
}

pub(super) fn clock_nanosleep(p: &mut Process, a: &Args) -> SysResult {
    const TIMER_ABSTIME: u64 = 1;
    if !valid_clock(a[0]) {
        return Err(E::EINVAL);
    }
    let (s, ns) = read_timespec(p, a[2])?;
    if a[1] & TIMER_ABSTIME != 0 {
        let (cs, cns) = p.world().clock_gettime(Clock::from_linux(a[0] as u32));
        let total = (s as i128 * 1_000_000_000 + ns as i128) - (cs as i128 * 1_000_000_000 + cns as i128);
        if total > 0 {
            return sleep_for(p, (total / 1_000_000_000) as i64, (total % 1_000_000_000) as i64, None);
        }
        Ok(0)
    } else {
        sleep_for(p, s, ns, Some(a[3]))
    }
}
