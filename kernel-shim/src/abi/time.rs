//! Time structs: `timespec` (with the one validity check every syscall taking a time
//! uses), `timeval`, `itimerval`, `itimerspec` and `tms`.

use super::errno::EINVAL;
use super::guest_struct;
use std::time::Duration;

const NS: i128 = 1_000_000_000;

guest_struct! {
    /// `struct timespec` (`__kernel_timespec` on x86-64).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Timespec [16] {
        sec: i64 = 0,
        nsec: i64 = 8,
    }
}

impl Timespec {
    pub fn new(sec: i64, nsec: i64) -> Timespec {
        Timespec { sec, nsec }
    }

    /// A non-negative count of nanoseconds.
    pub fn from_nanos(ns: i128) -> Timespec {
        Timespec { sec: (ns / NS) as i64, nsec: (ns % NS) as i64 }
    }

    /// The timespec as a syscall argument: EINVAL unless it is non-negative and
    /// normalised (`timespec64_valid` plus the sign check the sleeps and timeouts make).
    pub fn checked(self) -> Result<Timespec, i32> {
        if self.sec < 0 || !(0..NS as i64).contains(&self.nsec) {
            return Err(EINVAL);
        }
        Ok(self)
    }

    pub fn as_nanos(&self) -> i128 {
        self.sec as i128 * NS + self.nsec as i128
    }

    /// As a `Duration`; only for a `checked` value.
    pub fn to_duration(&self) -> Duration {
        Duration::new(self.sec as u64, self.nsec as u32)
    }

    /// Whole milliseconds, rounded up (a poll timeout never ends early), at most
    /// `i32::MAX`; only for a `checked` value.
    pub fn to_millis_ceil(&self) -> i32 {
        let ms = self.sec.saturating_mul(1000).saturating_add((self.nsec + 999_999) / 1_000_000);
        ms.min(i32::MAX as i64) as i32
    }
}

guest_struct! {
    /// `struct timeval` (`__kernel_old_timeval`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Timeval [16] {
        sec: i64 = 0,
        usec: i64 = 8,
    }
}

impl Timeval {
    pub fn new(sec: i64, usec: i64) -> Timeval {
        Timeval { sec, usec }
    }

    /// Normalised: microseconds within a second (what setitimer requires).
    pub fn is_normalised(&self) -> bool {
        (0..1_000_000).contains(&self.usec)
    }
}

guest_struct! {
    /// `struct itimerval` (setitimer, getitimer).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Itimerval [32] {
        interval: Timeval = 0,
        value: Timeval = 16,
    }
}

impl Itimerval {
    /// As (interval s, us, value s, us), the form the world keeps.
    pub fn to_words(&self) -> [i64; 4] {
        [self.interval.sec, self.interval.usec, self.value.sec, self.value.usec]
    }

    pub fn from_words(w: [i64; 4]) -> Itimerval {
        Itimerval { interval: Timeval::new(w[0], w[1]), value: Timeval::new(w[2], w[3]) }
    }
}

guest_struct! {
    /// `struct itimerspec` (timer_settime, timer_gettime, timerfd).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Itimerspec [32] {
        interval: Timespec = 0,
        value: Timespec = 16,
    }
}

guest_struct! {
    /// `struct tms` (times): clock ticks.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Tms [32] {
        utime: i64 = 0,
        stime: i64 = 8,
        cutime: i64 = 16,
        cstime: i64 = 24,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::expect;
    use crate::abi::GuestStruct;

    #[test]
    fn layouts_match_linux() {
        expect(Timespec::FIELDS, Timespec::SIZE, 16, &[("sec", 0), ("nsec", 8)]);
        expect(Timeval::FIELDS, Timeval::SIZE, 16, &[("sec", 0), ("usec", 8)]);
        expect(Itimerval::FIELDS, Itimerval::SIZE, 32, &[("interval", 0), ("value", 16)]);
        expect(Itimerspec::FIELDS, Itimerspec::SIZE, 32, &[("interval", 0), ("value", 16)]);
        expect(Tms::FIELDS, Tms::SIZE, 32, &[("utime", 0), ("stime", 8), ("cutime", 16), ("cstime", 24)]);
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn layouts_match_the_host_libc() {
        use crate::abi::layout::offset;
        use std::mem::{offset_of, size_of};
        assert_eq!(size_of::<libc::timespec>(), Timespec::SIZE);
        assert_eq!(offset_of!(libc::timespec, tv_nsec), offset(Timespec::FIELDS, "nsec"));
        assert_eq!(size_of::<libc::timeval>(), Timeval::SIZE);
        assert_eq!(offset_of!(libc::timeval, tv_usec), offset(Timeval::FIELDS, "usec"));
        assert_eq!(size_of::<libc::itimerval>(), Itimerval::SIZE);
        assert_eq!(offset_of!(libc::itimerval, it_value), offset(Itimerval::FIELDS, "value"));
        assert_eq!(size_of::<libc::itimerspec>(), Itimerspec::SIZE);
        assert_eq!(offset_of!(libc::itimerspec, it_value), offset(Itimerspec::FIELDS, "value"));
        assert_eq!(size_of::<libc::tms>(), Tms::SIZE);
        assert_eq!(offset_of!(libc::tms, tms_cstime), offset(Tms::FIELDS, "cstime"));
    }

    #[test]
    fn a_timespec_round_trips_and_is_checked() {
        let t = Timespec::new(3, 500);
        let b = t.to_bytes();
        assert_eq!(&b[..8], &3i64.to_le_bytes());
        assert_eq!(&b[8..], &500i64.to_le_bytes());
        assert_eq!(Timespec::read(&b), t);
        assert_eq!(t.checked(), Ok(t));
        assert_eq!(Timespec::new(-1, 0).checked(), Err(EINVAL));
        assert_eq!(Timespec::new(0, 1_000_000_000).checked(), Err(EINVAL));
        assert_eq!(Timespec::new(0, -1).checked(), Err(EINVAL));
        assert_eq!(Timespec::from_nanos(2_000_000_007), Timespec::new(2, 7));
        assert_eq!(Timespec::new(2, 7).as_nanos(), 2_000_000_007);
        assert_eq!(Timespec::new(0, 1).to_millis_ceil(), 1);
        assert_eq!(Timespec::new(1, 0).to_millis_ceil(), 1000);
        assert_eq!(Timespec::new(i64::MAX, 0).to_millis_ceil(), i32::MAX);
    }

    #[test]
    fn an_itimerval_is_two_timevals() {
        let v = Itimerval::from_words([1, 2, 3, 4]);
        let b = v.to_bytes();
        assert_eq!(<[i64; 4]>::read(&b), [1, 2, 3, 4]);
        assert_eq!(Itimerval::read(&b).to_words(), [1, 2, 3, 4]);
    }
}
