//! The closed world of `--deterministic`:
//! - time is virtual: it starts at a fixed epoch and advances one nanosecond per guest
//!   instruction retired (across execve), plus whatever the guest slept (sleeps do not
//!   wait, they move the clock);
//! - randomness comes from a generator seeded by `--seed`;
//! - the guest sees pids 1000, 1001, ... (threads and children in creation order); guest
//!   pids are mapped to host pids for wait4/kill;
//! - uname's nodename is fixed; ITIMER_REAL/alarm fire at virtual times;
//! - CPU time (getrusage, times, the CPU-time clocks) is the instructions retired;
//! - a wait in the host that nothing is ready to end (a read from an empty pipe, a poll,
//!   a futex wait no thread can end, a wait for a child) jumps the clock to the next
//!   virtual deadline instead, which interrupts it.
//!
//! What is not virtual (the files it reads, other processes, host signals) still comes
//! from the host.

use super::{splitmix, Arrival, Clock, Host, Kind, WakeSite, Woken, World};
use crate::abi::errno::EINTR;
use crate::abi::signal::{SigInfo, SIGALRM};
use crate::host::{self, Errno, HostResult};
use std::cell::RefCell;
use std::path::Path;
use std::time::{Duration, Instant};

/// Realtime clock at the start of a deterministic run: 2023-11-14 22:13:20 UTC.
pub const DET_EPOCH: i64 = 1_700_000_000;
/// The first pid a deterministic guest sees.
pub const DET_PID: i32 = 1000;
/// Virtual nanoseconds per guest instruction.
const NS_PER_INSN: u64 = 1;

/// A closed world. Its state is borrowed for the length of each answer.
pub struct Deterministic(RefCell<Det>);

struct Det {
    /// The clock, and the answers that are the host's (ids, host descriptors).
    host: Host,
    /// Where `instant` counts from.
    start: Instant,
    seed: u64,
    rng: u64,
    /// Virtual nanoseconds added by sleeps and idle waits.
    skipped: u64,
    pid: i32,
    ppid: i32,
    /// (guest pid, host pid) of children.
    children: Vec<(i32, i32)>,
    /// ITIMER_REAL: (virtual deadline ns, interval ns).
    timer: Option<(u64, u64)>,
    /// SIGALRM bits raised by the virtual timer, not yet taken.
    fired: u64,
    /// Virtual time of the POSIX timers' next wake-up (`wake_after`), and whether it came.
    wake: Option<u64>,
    wake_due: bool,
}

/// How a deterministic wait ended in virtual time.
#[derive(PartialEq)]
enum Wait {
    /// No deadline and no timeout: the host must wait.
    Host,
    /// The virtual clock moved to a deadline (alarm, ITIMER_REAL, a POSIX timer's
    /// wake-up), which fired.
    Interrupted,
    /// The virtual clock moved by the whole timeout.
    TimedOut,
}

fn tv_ns(s: i64, us: i64) -> u64 {
    (s.max(0) as u64) * 1_000_000_000 + (us.max(0) as u64) * 1000
}

fn ns_tv(ns: u64) -> (i64, i64) {
    ((ns / 1_000_000_000) as i64, ((ns % 1_000_000_000) / 1000) as i64)
}

fn split_ns(ns: u64) -> (i64, i64) {
    ((ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64)
}

impl Deterministic {
    pub fn new(seed: u64) -> Deterministic {
        Deterministic(RefCell::new(Det {
            host: Host::new(),
            start: Instant::now(),
            seed,
            rng: seed ^ 0x9e37_79b9_7f4a_7c15,
            skipped: 0,
            pid: DET_PID,
            ppid: DET_PID - 1,
            children: Vec::new(),
            timer: None,
            fired: 0,
            wake: None,
            wake_due: false,
        }))
    }
}

impl Det {
    /// Virtual nanoseconds since the start.
    fn now_ns(&self) -> u64 {
        self.host.insns().now() * NS_PER_INSN + self.skipped
    }

    /// The earliest virtual deadline: ITIMER_REAL or the POSIX timers' wake-up.
    fn deadline(&self) -> Option<u64> {
        match (self.timer.map(|t| t.0), self.wake) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Virtual time reached `now`: the deadlines that passed fire.
    fn reach(&mut self, now: u64) {
        if let Some((dl, _)) = self.timer {
            if dl <= now {
                self.fire_timer(dl);
            }
        }
        if self.wake.is_some_and(|w| w <= now) {
            self.wake = None;
            self.wake_due = true;
        }
    }

    fn fire_timer(&mut self, deadline: u64) {
        self.fired |= 1 << (SIGALRM - 1);
        self.timer = match self.timer {
            Some((_, iv)) if iv > 0 => Some((deadline + iv, iv)),
            _ => None,
        };
    }

    fn itimer_value(&self) -> [i64; 4] {
        let now = self.now_ns();
        match self.timer {
            Some((dl, iv)) => {
                let (is, ius) = ns_tv(iv);
                let (vs, vus) = ns_tv(dl.saturating_sub(now).max(1000));
                [is, ius, vs, vus]
            }
            None => [0; 4],
        }
    }

    /// A wait of `timeout` ns (None: unbounded) with nothing to wake it but time: the
    /// clock jumps to the earliest of the virtual deadline and the timeout.
    fn wait(&mut self, timeout: Option<u64>) -> Wait {
        let now = self.now_ns();
        match (self.deadline(), timeout) {
            (Some(dl), t) if t.is_none_or(|t| dl < now.saturating_add(t)) => {
                self.skipped += dl.saturating_sub(now);
                self.reach(dl.max(now));
                Wait::Interrupted
            }
            (_, Some(t)) => {
                self.skipped += t;
                Wait::TimedOut
            }
            _ => Wait::Host,
        }
    }

    /// The guest is about to block in the host until `ready` says so. Host time does not
    /// move the virtual clock, so an armed virtual deadline would never come: if nothing
    /// is ready now, the clock jumps to the deadline and the call fails with EINTR, as if
    /// the timer had interrupted it. (Whether it is ready is decided at this instant:
    /// what another process does later is not waited for; see FORMAT.md.)
    fn before_blocking(&mut self, ready: impl FnOnce() -> HostResult<bool>) -> HostResult<()> {
        if self.deadline().is_none() || ready()? {
            return Ok(());
        }
        match self.wait(None) {
            Wait::Interrupted => Err(EINTR),
            _ => Ok(()),
        }
    }
}

impl Det {
    fn stop_at(&mut self) -> u64 {
        let Some(deadline) = self.deadline() else { return u64::MAX };
        let at = deadline.saturating_sub(self.skipped).div_ceil(NS_PER_INSN);
        let clock = self.host.insns();
        clock.in_image(at.max(clock.now()))
    }

    fn clock_gettime(&mut self, clock: Clock) -> (i64, i64) {
        if clock.is_cpu_time() {
            // CPU time: the instructions retired, not the time slept.
            return split_ns(self.cpu_time_ns());
        }
        let ns = self.now_ns();
        if clock.is_realtime() {
            split_ns(ns + DET_EPOCH as u64 * 1_000_000_000)
        } else {
            // Monotonic and boot time: a fixed uptime of 100 s at the start.
            split_ns(ns + 100_000_000_000)
        }
    }

    fn cpu_time_ns(&mut self) -> u64 {
        self.host.insns().now() * NS_PER_INSN
    }

    fn children_cpu_time_ns(&mut self) -> u64 {
        // Children count their instructions on their own clocks.
        0
    }

    fn instant(&mut self) -> Instant {
        self.start + Duration::from_nanos(self.now_ns())
    }

    fn sleep(&mut self, s: i64, ns: i64) -> (i64, i64) {
        // The clock moves instead, up to the virtual timer if it is due first.
        let want = (s.max(0) as u64).saturating_mul(1_000_000_000).saturating_add(ns.max(0) as u64);
        let now = self.now_ns();
        let left = match self.deadline() {
            Some(deadline) if deadline < now + want => {
                let slept = deadline.saturating_sub(now);
                self.skipped += slept;
                self.reach(deadline);
                want - slept
            }
            _ => {
                self.skipped += want;
                0
            }
        };
        split_ns(left)
    }

    fn alarm(&mut self, secs: u32) -> u32 {
        let now = self.now_ns();
        let left =
            self.timer.map(|(dl, _)| dl.saturating_sub(now).div_ceil(1_000_000_000) as u32).unwrap_or(0);
        self.timer = (secs > 0).then(|| (now + secs as u64 * 1_000_000_000, 0));
        left
    }

    fn setitimer(&mut self, which: i32, new: [i64; 4]) -> HostResult<[i64; 4]> {
        // Only ITIMER_REAL is virtual (the CPU-time timers count host time).
        if which != 0 {
            return host::setitimer(which, new);
        }
        let old = self.itimer_value();
        let value = tv_ns(new[2], new[3]);
        self.timer = (value > 0).then(|| (self.now_ns() + value, tv_ns(new[0], new[1])));
        Ok(old)
    }

    fn getitimer(&mut self, which: i32) -> HostResult<[i64; 4]> {
        if which != 0 {
            return host::getitimer(which);
        }
        Ok(self.itimer_value())
    }

    fn tsc(&mut self, icount: u64) -> u64 {
        self.host.insns().with_image_at(icount) * NS_PER_INSN * 3 + self.skipped * 3
    }

    fn random_bytes(&mut self, buf: &mut [u8]) {
        for c in buf.chunks_mut(8) {
            let v = splitmix(&mut self.rng).to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }

    fn pid(&mut self) -> i32 {
        self.pid
    }

    fn ppid(&mut self) -> i32 {
        self.ppid
    }

    fn hostname(&mut self) -> Vec<u8> {
        b"emu".to_vec()
    }

    fn ids(&mut self) -> [u32; 4] {
        self.host.ids()
    }

    fn uid(&mut self) -> u32 {
        self.host.uid()
    }

    fn inherited_ignored(&mut self) -> Vec<i32> {
        host::inherited_ignored()
    }

    fn start_umask(&mut self) -> u32 {
        host::start_umask()
    }

    fn inherited_fds(&mut self) -> Vec<(i32, u32)> {
        host::inherited_fds()
    }

    fn host_pid(&mut self, pid: i32) -> i32 {
        if pid == self.pid {
            return host::getpid();
        }
        self.children.iter().find(|c| c.0 == pid.abs()).map(|c| c.1 * pid.signum()).unwrap_or(pid)
    }

    fn guest_pid(&mut self, host: i32) -> i32 {
        if host <= 0 {
            return host;
        }
        if host == host::getpid() {
            return self.pid;
        }
        self.children.iter().find(|c| c.1 == host).map(|c| c.0).unwrap_or(host)
    }

    fn kill(&mut self, pid: i32, sig: i32) -> HostResult<bool> {
        host::kill_from_guest(self.host_pid(pid), sig)
    }

    fn fork(&mut self, next_pid: &mut i32) -> HostResult<i32> {
        // The child's number comes from the process's tid counter: pids and tids share
        // one sequence, in creation order.
        let vpid = *next_pid;
        *next_pid += 1;
        let h = host::fork()?;
        if h == 0 {
            self.ppid = self.pid;
            self.pid = vpid;
            self.children.clear();
            self.timer = None;
            self.fired = 0;
            self.wake = None;
            self.wake_due = false;
            // The child's randomness departs from the parent's.
            self.rng ^= splitmix(&mut self.seed.wrapping_add(vpid as u64));
            return Ok(0);
        }
        self.children.push((vpid, h));
        Ok(vpid)
    }

    fn start_cwd(&mut self) -> Vec<u8> {
        host::host_getcwd()
    }

    fn signals_pending(&mut self) -> bool {
        let now = self.now_ns();
        self.reach(now);
        self.fired != 0 || self.wake_due || host::signals_pending()
    }

    fn take_signals(&mut self) -> (u64, (i32, i32, i32)) {
        let (mut bits, (h, code, status)) = super::host::take_signals();
        let child = (self.guest_pid(h), code, status);
        bits |= std::mem::take(&mut self.fired);
        (bits, child)
    }

    fn signal_sender(&mut self, sig: i32) -> Option<(i32, i32, u32, u64)> {
        host::signal_sender(sig).map(|(code, pid, uid, value)| (code, self.guest_pid(pid), uid, value))
    }

    fn signals_arrive(&mut self) -> Arrival<Vec<SigInfo>> {
        Arrival::Host
    }

    fn wakes_arrive(&mut self, _site: WakeSite, _threads: usize) -> Arrival<Vec<Woken>> {
        Arrival::Host
    }

    fn wait_for_signal(&mut self) {
        // The virtual timer, if one is armed, is the signal.
        if self.wait(None) != Wait::Interrupted {
            host::wait_for_signal();
        }
    }

    fn before_blocking_read(&mut self, h: i32) -> HostResult<()> {
        self.before_blocking(|| Ok(host::poll(&[(h, 1)], 0)?[0] != 0))
    }

    fn before_blocking_wait(&mut self, pid: i32, options: u32) -> HostResult<()> {
        const WNOHANG: u32 = 1;
        const WNOWAIT: u32 = 0x0100_0000;
        let h = self.host_pid(pid);
        self.before_blocking(|| {
            // Asked without reaping.
            let (idtype, id) = match h {
                -1 => (0, 0),
                0 => (2, 0),
                p if p < 0 => (2, (-p) as u32),
                p => (1, p as u32),
            };
            Ok(host::waitid(idtype, id, options | WNOHANG | WNOWAIT)?.0 != 0)
        })
    }

    fn wake_after(&mut self, after: Option<Duration>) {
        let now = self.now_ns();
        self.wake = after.map(|a| now + a.as_nanos().min(u64::MAX as u128 / 2) as u64);
        // A guest blocked in the host (a read) retires no instructions, so virtual time
        // would never reach the deadline: a much later host wake-up moves the clock there.
        host::wake_after(after.map(|a| (a * 50).max(Duration::from_millis(200))));
    }

    fn take_wake_due(&mut self) -> bool {
        let now = self.now_ns();
        if host::take_wake_due() {
            if let Some(w) = self.wake {
                self.skipped += w.saturating_sub(now);
                self.reach(w.max(now));
            }
        }
        std::mem::take(&mut self.wake_due)
    }

    fn idle_until(&mut self, until: Option<Instant>) {
        // The clock moves to the earliest deadline instead of sleeping.
        match until {
            Some(d) => {
                let now = self.instant();
                self.skipped += d.saturating_duration_since(now).as_nanos() as u64;
                // A virtual timer due before the deadline fires first.
                let _ = self.signals_pending();
            }
            None => self.wait_for_signal(),
        }
    }

    fn poll(&mut self, fds: &[(i32, u16)], timeout_ms: i32) -> HostResult<Vec<u16>> {
        if timeout_ms == 0 {
            return host::poll(fds, 0);
        }
        let r = host::poll(fds, 0)?;
        if r.iter().any(|&v| v != 0) {
            return Ok(r);
        }
        // Nothing ready: the wait ends at its timeout or at the virtual deadline; an
        // unbounded wait with no deadline waits in the host.
        let timeout = (timeout_ms > 0).then(|| timeout_ms as u64 * 1_000_000);
        match self.wait(timeout) {
            Wait::Interrupted => Err(EINTR),
            Wait::TimedOut => Ok(r),
            Wait::Host => host::poll(fds, timeout_ms),
        }
    }

    fn open_elf(&mut self, path: &Path) -> Result<emu_loader::ElfFile, emu_loader::LoadError> {
        self.host.open_elf(path)
    }

    fn read_head(&mut self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.host.read_head(path)
    }

    fn map_file(&mut self, h: i32, off: u64, len: u64) -> Result<(Vec<u8>, u64, u64), Errno> {
        self.host.map_file(h, off, len)
    }
}

impl World for Deterministic {
    fn kind(&self) -> Kind {
        Kind::Deterministic
    }

    fn at(&self, icount: u64) {
        self.0.borrow().host.at(icount)
    }

    fn new_image(&self, old_icount: u64) {
        self.0.borrow().host.new_image(old_icount)
    }

    fn icount(&self) -> u64 {
        self.0.borrow().host.icount()
    }

    fn stop_at(&self) -> u64 {
        self.0.borrow_mut().stop_at()
    }

    fn clock_gettime(&self, clock: Clock) -> (i64, i64) {
        self.0.borrow_mut().clock_gettime(clock)
    }

    fn cpu_time_ns(&self) -> u64 {
        self.0.borrow_mut().cpu_time_ns()
    }

    fn children_cpu_time_ns(&self) -> u64 {
        self.0.borrow_mut().children_cpu_time_ns()
    }

    fn instant(&self) -> Instant {
        self.0.borrow_mut().instant()
    }

    fn sleep(&self, s: i64, ns: i64) -> (i64, i64) {
        self.0.borrow_mut().sleep(s, ns)
    }

    fn alarm(&self, secs: u32) -> u32 {
        self.0.borrow_mut().alarm(secs)
    }

    fn setitimer(&self, which: i32, new: [i64; 4]) -> HostResult<[i64; 4]> {
        self.0.borrow_mut().setitimer(which, new)
    }

    fn getitimer(&self, which: i32) -> HostResult<[i64; 4]> {
        self.0.borrow_mut().getitimer(which)
    }

    fn tsc(&self, icount: u64) -> u64 {
        self.0.borrow_mut().tsc(icount)
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        self.0.borrow_mut().random_bytes(buf)
    }

    fn pid(&self) -> i32 {
        self.0.borrow_mut().pid()
    }

    fn ppid(&self) -> i32 {
        self.0.borrow_mut().ppid()
    }

    fn hostname(&self) -> Vec<u8> {
        self.0.borrow_mut().hostname()
    }

    fn ids(&self) -> [u32; 4] {
        self.0.borrow_mut().ids()
    }

    fn uid(&self) -> u32 {
        self.0.borrow_mut().uid()
    }

    fn inherited_ignored(&self) -> Vec<i32> {
        self.0.borrow_mut().inherited_ignored()
    }

    fn start_umask(&self) -> u32 {
        self.0.borrow_mut().start_umask()
    }

    fn inherited_fds(&self) -> Vec<(i32, u32)> {
        self.0.borrow_mut().inherited_fds()
    }

    fn host_pid(&self, pid: i32) -> i32 {
        self.0.borrow_mut().host_pid(pid)
    }

    fn guest_pid(&self, host: i32) -> i32 {
        self.0.borrow_mut().guest_pid(host)
    }

    fn kill(&self, pid: i32, sig: i32) -> HostResult<bool> {
        self.0.borrow_mut().kill(pid, sig)
    }

    fn fork(&self, next_pid: &mut i32) -> HostResult<i32> {
        self.0.borrow_mut().fork(next_pid)
    }

    fn start_cwd(&self) -> Vec<u8> {
        self.0.borrow_mut().start_cwd()
    }

    fn signals_pending(&self) -> bool {
        self.0.borrow_mut().signals_pending()
    }

    fn take_signals(&self) -> (u64, (i32, i32, i32)) {
        self.0.borrow_mut().take_signals()
    }

    fn signal_sender(&self, sig: i32) -> Option<(i32, i32, u32, u64)> {
        self.0.borrow_mut().signal_sender(sig)
    }

    fn signals_arrive(&self) -> Arrival<Vec<SigInfo>> {
        self.0.borrow_mut().signals_arrive()
    }

    fn wakes_arrive(&self, _site: WakeSite, _threads: usize) -> Arrival<Vec<Woken>> {
        self.0.borrow_mut().wakes_arrive(_site, _threads)
    }

    fn wait_for_signal(&self) {
        self.0.borrow_mut().wait_for_signal()
    }

    fn before_blocking_read(&self, h: i32) -> HostResult<()> {
        self.0.borrow_mut().before_blocking_read(h)
    }

    fn before_blocking_outside(&self) -> HostResult<()> {
        self.0.borrow_mut().before_blocking(|| Ok(false))
    }

    fn before_blocking_wait(&self, pid: i32, options: u32) -> HostResult<()> {
        self.0.borrow_mut().before_blocking_wait(pid, options)
    }

    fn wake_after(&self, after: Option<Duration>) {
        self.0.borrow_mut().wake_after(after)
    }

    fn take_wake_due(&self) -> bool {
        self.0.borrow_mut().take_wake_due()
    }

    fn idle_until(&self, until: Option<Instant>) {
        self.0.borrow_mut().idle_until(until)
    }

    fn open_elf(&self, path: &Path) -> Result<emu_loader::ElfFile, emu_loader::LoadError> {
        self.0.borrow_mut().open_elf(path)
    }

    fn read_head(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.0.borrow_mut().read_head(path)
    }

    fn map_file(&self, h: i32, off: u64, len: u64) -> Result<(Vec<u8>, u64, u64), Errno> {
        self.0.borrow_mut().map_file(h, off, len)
    }

    fn poll(&self, fds: &[(i32, u16)], timeout_ms: i32) -> HostResult<Vec<u16>> {
        self.0.borrow_mut().poll(fds, timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_is_the_instructions_retired() {
        let w = Deterministic::new(0);
        assert_eq!(w.clock_gettime(Clock::Realtime), (DET_EPOCH, 0));
        assert_eq!(w.clock_gettime(Clock::Monotonic), (100, 0));
        w.at(1_500_000_000);
        assert_eq!(w.clock_gettime(Clock::Realtime), (DET_EPOCH + 1, 500_000_000));
        assert_eq!(w.clock_gettime(Clock::Boottime), (101, 500_000_000));
        assert_eq!(w.clock_gettime(Clock::ProcessCputime), (1, 500_000_000));
        // Across execve the count goes on.
        w.new_image(1_500_000_000);
        w.at(500_000_000);
        assert_eq!(w.clock_gettime(Clock::Monotonic), (102, 0));
        // Between stops, rdtsc counts the image's instructions, 3 ticks each.
        assert_eq!(w.tsc(500_000_010), (2_000_000_010) * 3);
    }

    #[test]
    fn sleeping_moves_the_clock_not_cpu_time() {
        let w = Deterministic::new(0);
        let before = w.instant();
        assert_eq!(w.sleep(2, 5), (0, 0));
        assert_eq!(w.clock_gettime(Clock::Monotonic), (102, 5));
        assert_eq!(w.clock_gettime(Clock::ThreadCputime), (0, 0));
        assert_eq!(w.instant() - before, Duration::new(2, 5));
    }

    #[test]
    fn alarm_interrupts_a_sleep_at_its_virtual_time() {
        let w = Deterministic::new(0);
        assert_eq!(w.alarm(1), 0);
        // The CPU must stop where the alarm is due: 1 s of instructions.
        assert_eq!(w.stop_at(), 1_000_000_000);
        // A 3 s sleep ends after 1 s, with 2 s left, and SIGALRM comes.
        assert_eq!(w.sleep(3, 0), (2, 0));
        assert!(w.signals_pending());
        let (bits, _) = w.take_signals();
        assert_ne!(bits & 1 << (SIGALRM - 1), 0);
        assert_eq!(w.stop_at(), u64::MAX);
    }

    #[test]
    fn a_blocking_wait_with_a_timer_armed_jumps_to_it() {
        let w = Deterministic::new(0);
        let (r, wr) = host::pipe().expect("pipe");
        // Nothing armed: the wait is the host's.
        assert_eq!(w.before_blocking_read(r), Ok(()));
        w.setitimer(0, [0, 0, 0, 250_000]).expect("ITIMER_REAL");
        assert_eq!(w.getitimer(0), Ok([0, 0, 0, 250_000]));
        // Nothing to read: the timer interrupts the read.
        assert_eq!(w.before_blocking_read(r), Err(EINTR));
        assert_eq!(w.clock_gettime(Clock::Monotonic), (100, 250_000_000));
        host::close(r);
        host::close(wr);
    }

    #[test]
    fn randomness_comes_from_the_seed() {
        let bytes = |seed| {
            let w = Deterministic::new(seed);
            let mut b = [0u8; 20];
            w.random_bytes(&mut b);
            b
        };
        assert_eq!(bytes(7), bytes(7));
        assert_ne!(bytes(7), bytes(8));
        let w = Deterministic::new(7);
        let mut a = [0u8; 8];
        w.random_bytes(&mut a);
        let mut b = [0u8; 8];
        w.random_bytes(&mut b);
        assert_ne!(a, b, "the generator moves on");
    }

    #[test]
    fn pids_are_virtual() {
        let w = Deterministic::new(0);
        assert_eq!((w.pid(), w.ppid()), (DET_PID, DET_PID - 1));
        assert_eq!(w.host_pid(DET_PID), host::getpid());
        assert_eq!(w.hostname(), b"emu");
        // A child (as fork would note it) maps both ways; unknown pids pass through.
        w.0.borrow_mut().children.push((DET_PID + 3, 4242));
        assert_eq!(w.host_pid(DET_PID + 3), 4242);
        assert_eq!(w.host_pid(-(DET_PID + 3)), -4242);
        assert_eq!(w.guest_pid(4242), DET_PID + 3);
        assert_eq!(w.guest_pid(77), 77);
        assert_eq!(w.host_pid(-1), -1);
    }
}
