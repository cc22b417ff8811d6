//! Time: `struct timespec`, `struct timeval`, `struct itimerval`, clock ids and interval
//! timer names.

use super::nth;
use crate::abi::time::{Itimerval, Timespec, Timeval};

/// `{tv_sec=1, tv_nsec=500000000}`.
pub(crate) fn timespec(t: &Timespec) -> String {
    format!("{{tv_sec={}, tv_nsec={}}}", t.sec, t.nsec)
}

/// `{tv_sec=0, tv_usec=0}` (select's timeout and time left).
pub(crate) fn timeval(t: &Timeval) -> String {
    format!("{{tv_sec={}, tv_usec={}}}", t.sec, t.usec)
}

/// setitimer/getitimer's `{it_interval={...}, it_value={...}}`.
pub(crate) fn itimerval(t: &Itimerval) -> String {
    format!("{{it_interval={}, it_value={}}}", timeval(&t.interval), timeval(&t.value))
}

/// A clock id by name; a dynamic (negative) one as a number, an unknown one in hex.
pub(crate) fn clock_id(v: u64) -> String {
    nth(
        v,
        &[
            "CLOCK_REALTIME",
            "CLOCK_MONOTONIC",
            "CLOCK_PROCESS_CPUTIME_ID",
            "CLOCK_THREAD_CPUTIME_ID",
            "CLOCK_MONOTONIC_RAW",
            "CLOCK_REALTIME_COARSE",
            "CLOCK_MONOTONIC_COARSE",
            "CLOCK_BOOTTIME",
            "CLOCK_REALTIME_ALARM",
            "CLOCK_BOOTTIME_ALARM",
            "CLOCK_SGI_CYCLE",
            "CLOCK_TAI",
        ],
    )
    .map_or_else(
        || if (v as i32) < 0 { (v as i32).to_string() } else { format!("{:#x} /* CLOCK_??? */", v as u32) },
        str::to_string,
    )
}

/// setitimer/getitimer's which.
pub(crate) fn itimer_which(v: u64) -> String {
    nth(v, &["ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF"])
        .map_or_else(|| (v as i32).to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_structs() {
        assert_eq!(timespec(&Timespec::new(1, 500)), "{tv_sec=1, tv_nsec=500}");
        assert_eq!(timeval(&Timeval::new(0, 0)), "{tv_sec=0, tv_usec=0}");
        assert_eq!(
            itimerval(&Itimerval::from_words([1, 2, 3, 4])),
            "{it_interval={tv_sec=1, tv_usec=2}, it_value={tv_sec=3, tv_usec=4}}"
        );
    }

    #[test]
    fn clocks_and_timers_by_name() {
        assert_eq!(clock_id(1), "CLOCK_MONOTONIC");
        assert_eq!(clock_id(6), "CLOCK_MONOTONIC_COARSE");
        assert_eq!(clock_id(7), "CLOCK_BOOTTIME");
        assert_eq!(clock_id(11), "CLOCK_TAI");
        assert_eq!(clock_id(12345), "0x3039 /* CLOCK_??? */");
        assert_eq!(itimer_which(1), "ITIMER_VIRTUAL");
        assert_eq!(itimer_which(2), "ITIMER_PROF");
    }
}
