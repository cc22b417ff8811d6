//! The objects behind descriptors that are not files (Linux's anon_inode descriptors)
//! and that emu keeps itself or wraps: an eventfd's or timerfd's readiness pipe, a
//! timerfd's timer, an inotify instance's watch numbers. They live in the fd table's open
//! file descriptions (`fd::Backing`); the syscalls that make and use them are in
//! `sys/poll.rs` (eventfd), `sys/timerfd.rs` and `sys/inotify.rs`, and the expiry of
//! timerfds beside the POSIX timers' (`signal/timers.rs`).

use crate::abi::time::{Itimerspec, Timespec};
use crate::host::{self, Errno};

/// A host pipe standing for the readiness of a descriptor emu keeps itself (an eventfd's
/// counter, a timerfd's expirations): it holds one byte while the descriptor is readable,
/// so that poll, epoll, a blocking read and the scheduler's wait in the host wait on it as
/// on any host fd. Both ends are non-blocking. A forked child shares the pipe, as it
/// shares the description on Linux.
pub struct ReadyPipe {
    pub rd: i32,
    wr: i32,
}

impl ReadyPipe {
    pub fn new() -> Result<ReadyPipe, Errno> {
        let (rd, wr) = host::pipe()?;
        let p = ReadyPipe { rd, wr };
        host::set_status_flags(rd, crate::abi::open::O_NONBLOCK)?;
        host::set_status_flags(wr, crate::abi::open::O_NONBLOCK)?;
        Ok(p)
    }

    /// Makes the pipe say `ready` (the byte is there, or not). It looks at the pipe rather
    /// than remembering, since a forked process may have changed it.
    pub fn set(&self, ready: bool) {
        let has = host::poll(&[(self.rd, 1)], 0).is_ok_and(|r| r[0] & 1 != 0);
        if ready && !has {
            let _ = host::write(self.wr, &[1]);
        } else if !ready && has {
            let mut b = [0u8; 16];
            while host::read(self.rd, &mut b).is_ok_and(|n| n > 0) {}
        }
    }
}

impl Drop for ReadyPipe {
    fn drop(&mut self) {
        host::close(self.rd);
        host::close(self.wr);
    }
}

/// A timerfd's timer. Times are nanoseconds on its clock, read from the world by the
/// caller (so that it follows virtual time under `--deterministic`).
pub struct TimerFd {
    /// The Linux clock id it runs on.
    pub clock: u32,
    /// Next expiry; None while disarmed.
    pub next: Option<i128>,
    /// Period (0: one-shot).
    pub interval: i128,
    /// Expirations not yet read.
    pub ticks: u64,
    pub ready: ReadyPipe,
}

impl TimerFd {
    pub fn new(clock: u32) -> Result<TimerFd, Errno> {
        Ok(TimerFd { clock, next: None, interval: 0, ticks: 0, ready: ReadyPipe::new()? })
    }

    /// Counts the expirations up to `now`; true if it is readable.
    pub fn update(&mut self, now: i128) -> bool {
        if let Some(next) = self.next.filter(|&n| n <= now) {
            let n = if self.interval > 0 { 1 + (now - next) / self.interval } else { 1 };
            self.ticks = self.ticks.saturating_add(n.min(u64::MAX as i128) as u64);
            self.next = (self.interval > 0).then(|| next + n * self.interval);
            self.ready.set(true);
        }
        self.ticks > 0
    }

    /// Whether a read would return at `now` (expirations counted, or one due).
    pub fn due(&self, now: i128) -> bool {
        self.ticks > 0 || self.next.is_some_and(|n| n <= now)
    }

    /// Takes the expirations counted so far (a read).
    pub fn take(&mut self) -> u64 {
        let n = std::mem::take(&mut self.ticks);
        self.ready.set(false);
        n
    }

    /// Its setting as timerfd_gettime reports it at `now`: the period and the time left.
    pub fn setting(&self, now: i128) -> Itimerspec {
        let left = self.next.map_or(0, |n| (n - now).max(1));
        Itimerspec { interval: Timespec::from_nanos(self.interval), value: Timespec::from_nanos(left) }
    }

    /// Arms it at `now` (`value` 0 disarms); expirations not read are dropped, as Linux
    /// does.
    pub fn arm(&mut self, value: i128, interval: i128, absolute: bool, now: i128) {
        self.interval = interval;
        self.next = match value {
            0 => None,
            v if absolute => Some(v),
            v => Some(now + v),
        };
        self.ticks = 0;
        self.ready.set(false);
    }
}

/// An inotify instance: the host's inotify descriptor and the guest's watch descriptors.
/// Linux numbers an instance's watches from 1, never reusing one while the instance
/// lives; the guest's numbers are handed out the same way, whatever the host's are.
pub struct Inotify {
    /// The host's inotify fd, non-blocking (a blocking read waits for it with poll).
    pub host: i32,
    /// (guest wd, host wd) of each watch.
    watches: Vec<(i32, i32)>,
    next: i32,
}

impl Inotify {
    pub fn new(host: i32) -> Inotify {
        Inotify { host, watches: Vec::new(), next: 1 }
    }

    /// The guest's wd for host watch `h` (adding a watch of a path already watched gives
    /// its wd again).
    pub fn added(&mut self, h: i32) -> i32 {
        if let Some(&(g, _)) = self.watches.iter().find(|w| w.1 == h) {
            return g;
        }
        let g = self.next;
        self.next = self.next.checked_add(1).unwrap_or(1);
        self.watches.push((g, h));
        g
    }

    /// The host's wd for guest wd `g`.
    pub fn host_wd(&self, g: i32) -> Option<i32> {
        self.watches.iter().find(|w| w.0 == g).map(|w| w.1)
    }

    /// The guest's wd of an event's host wd (-1, an overflowed queue, stays -1). The
    /// watch's last event (IN_IGNORED) forgets it.
    pub fn event_wd(&mut self, h: i32, last: bool) -> i32 {
        let Some(i) = self.watches.iter().position(|w| w.1 == h) else { return h };
        let g = self.watches[i].0;
        if last {
            self.watches.remove(i);
        }
        g
    }
}

impl Drop for Inotify {
    fn drop(&mut self) {
        host::close(self.host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timerfd_counts_every_period_that_passed() {
        let mut t = TimerFd::new(1).expect("pipe");
        t.arm(100, 10, true, 0);
        assert!(!t.update(99));
        assert!(t.due(100));
        assert!(t.update(135));
        assert_eq!(t.take(), 4);
        assert_eq!(t.next, Some(140));
        assert_eq!(t.setting(135).value.as_nanos(), 5);
        t.arm(5, 0, false, 200);
        assert!(t.update(205));
        assert_eq!((t.take(), t.next), (1, None));
        assert_eq!(t.setting(300).value.as_nanos(), 0);
    }

    #[test]
    fn inotify_watch_numbers_are_the_guests() {
        let mut i = Inotify::new(-1);
        assert_eq!(i.added(7), 1);
        assert_eq!(i.added(9), 2);
        assert_eq!(i.added(7), 1);
        assert_eq!(i.host_wd(2), Some(9));
        assert_eq!(i.event_wd(9, true), 2);
        assert_eq!(i.host_wd(2), None);
        assert_eq!(i.added(9), 3);
        assert_eq!(i.event_wd(-1, false), -1);
    }
}
