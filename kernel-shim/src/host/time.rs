//! Host clocks, sleeps and interval timers.

use super::{ffi, signal, HostResult};
use rustix::thread::{nanosleep, NanosleepRelativeResult};
use rustix::time::{clock_gettime, ClockId, Timespec};

/// (seconds, nanoseconds) of a host clock: 0 realtime, 1 monotonic.
pub fn clock(id: u32) -> (i64, i64) {
    let t = clock_gettime(if id == 0 { ClockId::Realtime } else { ClockId::Monotonic });
    (t.tv_sec, t.tv_nsec)
}

/// Process CPU time (user+system) in nanoseconds.
pub fn cpu_time_ns() -> i64 {
    let t = clock_gettime(ClockId::ProcessCPUTime);
    t.tv_sec * 1_000_000_000 + t.tv_nsec
}

fn timespec(sec: i64, nsec: i64) -> Timespec {
    Timespec { tv_sec: sec.max(0), tv_nsec: nsec.clamp(0, 999_999_999) as _ }
}

pub fn sleep(sec: i64, nsec: i64) {
    std::thread::sleep(std::time::Duration::new(sec.max(0) as u64, nsec.clamp(0, 999_999_999) as u32));
}

/// Sleeps for (sec, nsec) unless a host signal (or timer wake-up) arrives first; returns
/// the time left, (0, 0) when the whole time passed.
pub fn sleep_interruptible(sec: i64, nsec: i64) -> (i64, i64) {
    if signal::signals_pending() {
        return (sec, nsec);
    }
    match nanosleep(&timespec(sec, nsec)) {
        NanosleepRelativeResult::Interrupted(rem) => (rem.tv_sec, rem.tv_nsec),
        NanosleepRelativeResult::Ok | NanosleepRelativeResult::Err(_) => (0, 0),
    }
}

/// Sleeps 20 ms, or until a host signal arrives.
pub(super) fn nap() {
    let _ = nanosleep(&timespec(0, 20_000_000));
}

pub fn alarm(secs: u32) -> u32 {
    ffi::alarm(secs)
}

/// setitimer with (interval sec, usec, value sec, usec); returns the old value.
pub fn setitimer(which: i32, new: [i64; 4]) -> HostResult<[i64; 4]> {
    ffi::setitimer(which, new)
}

pub fn getitimer(which: i32) -> HostResult<[i64; 4]> {
    ffi::getitimer(which)
}
