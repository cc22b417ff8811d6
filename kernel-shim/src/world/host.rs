//! The real world, unrecorded: every answer is the host's. The other worlds keep one of
//! these for the answers they take from the host as they are.

use super::{Arrival, Clock, InsnClock, Kind, WakeSite, Woken, World};
use crate::abi::signal::{SigInfo, SIGCHLD};
use crate::host::{self, Errno, HostResult};
use std::cell::Cell;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Host {
    clock: Cell<InsnClock>,
    /// The ids `ids` last returned (the loader asks at every execve, before the guest
    /// runs): the uid of the signals the process sends.
    ids: Cell<Option<[u32; 4]>>,
}

impl Host {
    pub fn new() -> Host {
        Host::default()
    }

    /// The instruction clock (the other worlds keep theirs here too).
    pub(crate) fn insns(&self) -> InsnClock {
        self.clock.get()
    }

    /// The ids the last `ids` gave, if any (other worlds fill them in their own `ids`).
    pub(crate) fn last_ids(&self) -> Option<[u32; 4]> {
        self.ids.get()
    }

    pub(crate) fn set_ids(&self, v: [u32; 4]) -> [u32; 4] {
        self.ids.set(Some(v));
        v
    }
}

/// The host's time on `clock`.
pub(crate) fn clock_gettime(clock: Clock) -> (i64, i64) {
    if clock.is_realtime() {
        host::clock(0)
    } else if clock.is_cpu_time() {
        let ns = host::cpu_time_ns().max(0);
        (ns / 1_000_000_000, ns % 1_000_000_000)
    } else {
        // CLOCK_MONOTONIC and its variants (RAW, COARSE, BOOTTIME)
        host::clock(1)
    }
}

/// The host's monotonic clock as a 3 GHz counter.
pub(crate) fn tsc() -> u64 {
    let (s, ns) = host::clock(1);
    (s as u64).wrapping_mul(3_000_000_000).wrapping_add(ns as u64 * 3)
}

pub(crate) fn random_bytes(buf: &mut [u8]) {
    if host::getentropy(buf).is_err() {
        // getentropy cannot fail for sizes we pass on supported hosts; keep going with a
        // time-derived fill rather than aborting the guest.
        let (s, ns) = host::clock(1);
        let mut x = (s as u64) ^ ((ns as u64) << 20);
        for b in buf.iter_mut() {
            *b = super::splitmix(&mut x) as u8;
        }
    }
}

/// The host's signals: bits, and the SIGCHLD child as (host pid, code, status).
pub(crate) fn take_signals() -> (u64, (i32, i32, i32)) {
    let bits = host::take_pending_signals();
    let child = if bits & (1 << (SIGCHLD - 1)) != 0 { host::last_child() } else { (0, 0, 0) };
    (bits, child)
}

/// Every thread waits: the host sleeps until `until`, or a signal.
pub(crate) fn idle_until(until: Option<Instant>) {
    match until {
        None => host::wait_for_signal(),
        Some(d) => {
            // A signal or timer wake-up ends the sleep early.
            let ns = d.saturating_duration_since(Instant::now()).as_nanos().min(i64::MAX as u128) as i64;
            host::sleep_interruptible(ns / 1_000_000_000, ns % 1_000_000_000);
        }
    }
}

pub(crate) fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut b = vec![0u8; 256];
    let n = f.read(&mut b)?;
    b.truncate(n);
    Ok(b)
}

pub(crate) fn map_file(h: i32, off: u64, len: u64) -> Result<(Vec<u8>, u64, u64), Errno> {
    let st = host::fstat(h)?;
    let avail = (st.size as u64).saturating_sub(off).min(len) as usize;
    let mut contents = vec![0u8; avail];
    let mut got = 0;
    while got < avail {
        let n = host::pread(h, &mut contents[got..], (off + got as u64) as i64)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    contents.truncate(got);
    Ok((contents, st.dev, st.ino))
}

impl World for Host {
    fn kind(&self) -> Kind {
        Kind::Host
    }

    fn follows_clock(&self) -> bool {
        // Nothing here depends on where the guest is.
        false
    }

    fn at(&self, icount: u64) {
        let mut c = self.clock.get();
        c.at(icount);
        self.clock.set(c);
    }

    fn new_image(&self, old_icount: u64) {
        let mut c = self.clock.get();
        c.new_image(old_icount);
        self.clock.set(c);
    }

    fn icount(&self) -> u64 {
        self.clock.get().now()
    }

    fn stop_at(&self) -> u64 {
        u64::MAX
    }

    fn clock_gettime(&self, clock: Clock) -> (i64, i64) {
        clock_gettime(clock)
    }

    fn cpu_time_ns(&self) -> u64 {
        host::cpu_time_ns().max(0) as u64
    }

    fn children_cpu_time_ns(&self) -> u64 {
        host::children_cpu_time_ns()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, s: i64, ns: i64) -> (i64, i64) {
        host::sleep_interruptible(s, ns)
    }

    fn alarm(&self, secs: u32) -> u32 {
        host::alarm(secs)
    }

    fn setitimer(&self, which: i32, new: [i64; 4]) -> HostResult<[i64; 4]> {
        host::setitimer(which, new)
    }

    fn getitimer(&self, which: i32) -> HostResult<[i64; 4]> {
        host::getitimer(which)
    }

    fn tsc(&self, _icount: u64) -> u64 {
        tsc()
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        random_bytes(buf)
    }

    fn pid(&self) -> i32 {
        host::getpid()
    }

    fn ppid(&self) -> i32 {
        host::getppid()
    }

    fn hostname(&self) -> Vec<u8> {
        host::hostname()
    }

    fn ids(&self) -> [u32; 4] {
        self.set_ids(host::ids())
    }

    fn uid(&self) -> u32 {
        match self.ids.get() {
            Some(v) => v[0],
            None => self.ids()[0],
        }
    }

    fn inherited_ignored(&self) -> Vec<i32> {
        host::inherited_ignored()
    }

    fn start_umask(&self) -> u32 {
        host::start_umask()
    }

    fn inherited_fds(&self) -> Vec<(i32, u32)> {
        host::inherited_fds()
    }

    fn host_pid(&self, pid: i32) -> i32 {
        pid
    }

    fn guest_pid(&self, host: i32) -> i32 {
        host
    }

    fn kill(&self, pid: i32, sig: i32) -> HostResult<bool> {
        host::kill_from_guest(pid, sig)
    }

    fn fork(&self, _next_pid: &mut i32) -> HostResult<i32> {
        host::fork()
    }

    fn start_cwd(&self) -> Vec<u8> {
        host::host_getcwd()
    }

    fn signals_pending(&self) -> bool {
        host::signals_pending()
    }

    fn take_signals(&self) -> (u64, (i32, i32, i32)) {
        take_signals()
    }

    fn signal_sender(&self, sig: i32) -> Option<(i32, i32, u32, u64)> {
        host::signal_sender(sig)
    }

    fn signals_arrive(&self) -> Arrival<Vec<SigInfo>> {
        Arrival::Host
    }

    fn wakes_arrive(&self, _site: WakeSite, _threads: usize) -> Arrival<Vec<Woken>> {
        Arrival::Host
    }

    fn wait_for_signal(&self) {
        host::wait_for_signal()
    }

    fn before_blocking_read(&self, _h: i32) -> HostResult<()> {
        Ok(())
    }

    fn before_blocking_wait(&self, _pid: i32, _options: u32) -> HostResult<()> {
        Ok(())
    }

    fn wake_after(&self, after: Option<Duration>) {
        host::wake_after(after)
    }

    fn take_wake_due(&self) -> bool {
        host::take_wake_due()
    }

    fn idle_until(&self, until: Option<Instant>) {
        idle_until(until)
    }

    fn poll(&self, fds: &[(i32, u16)], timeout_ms: i32) -> HostResult<Vec<u16>> {
        host::poll(fds, timeout_ms)
    }

    fn open_elf(&self, path: &Path) -> Result<emu_loader::ElfFile, emu_loader::LoadError> {
        emu_loader::ElfFile::open(path)
    }

    fn read_head(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        read_head(path)
    }

    fn map_file(&self, h: i32, off: u64, len: u64) -> Result<(Vec<u8>, u64, u64), Errno> {
        map_file(h, off, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_the_hosts() {
        let w = Host::new();
        assert_eq!(w.kind(), Kind::Host);
        assert_eq!(w.pid(), host::getpid());
        assert_eq!(w.host_pid(1234), 1234);
        assert_eq!(w.stop_at(), u64::MAX);
        assert!(!w.follows_clock(), "the run loop need not tell it where the guest is");
        let (a, _) = w.clock_gettime(Clock::Realtime);
        assert!(a > 1_600_000_000, "realtime is wall-clock time: {a}");
        let t1 = w.tsc(0);
        let t2 = w.tsc(0);
        assert!(t2 >= t1, "the TSC is monotonic");
        assert_eq!(w.uid(), host::ids()[0]);
        assert_eq!(w.signals_arrive(), Arrival::Host);
    }

    #[test]
    fn the_instruction_clock_spans_images() {
        let w = Host::new();
        w.at(500);
        assert_eq!(w.icount(), 500);
        w.new_image(700);
        assert_eq!(w.icount(), 700);
        w.at(5);
        assert_eq!(w.icount(), 705);
        assert_eq!(w.insns().in_image(1000), 300);
    }
}
