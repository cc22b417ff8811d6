//! The outside world: everything the guest can learn that may differ between runs —
//! time, randomness, pids and identities, signal arrival, waits on the host, the files
//! the loader reads, the bytes of file mappings, fork. It comes through one trait,
//! [`World`], so that it can be the real host, fixed (`--deterministic`), or recorded and
//! replayed (`--record`, `--replay`). Syscalls that read the outside world whole (files,
//! pipes, stat, ...) are recorded and replayed by `crate::replay::syscall`, above the
//! kernel.
//!
//! The implementations, one per mode, each with its whole policy in one place:
//! - [`Host`] (`host.rs`): the real world, unrecorded;
//! - [`Deterministic`] (`det.rs`): a closed world: virtual time, seeded randomness,
//!   virtual pids;
//! - `replay::Recording`: the host's answers, each logged;
//! - `replay::Replaying`: the logged answers instead of the host's.
//!
//! The record and replay implementations live in `replay/`, which depends on this
//! module, never the reverse: the kernel (`Process`, signals, the scheduler) sees only
//! the trait. `Guest::spawn` (`run.rs`) builds the world the user asked for.
//!
//! The process owns its world ([`Shared`], `Process::world`). Two parts of emu meet the
//! outside without the process at hand: the CPU (rdtsc, rdrand), which holds a clone
//! through [`ForCpu`], and the loader during execve, which is passed the world. A guest
//! process runs on one host thread (guest fork is a host fork), so a world keeps its
//! state in `Cell`s and `RefCell`s; each method borrows them for the length of one
//! answer, and none calls back into the kernel.
//!
//! Adding an outside input is adding one method to [`World`]: the compiler then asks
//! each mode for its answer, so none (the recording, the replay) is forgotten; a logged
//! answer uses an existing record kind (`replay/FORMAT.md`) or adds one.

mod det;
mod host;

pub use det::{Deterministic, DET_EPOCH, DET_PID};
pub use host::Host;

use crate::abi::signal::SigInfo;
use crate::host::{Errno, HostResult};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How the guest meets the outside world (what the user asked for).
#[derive(Clone, Debug, Default)]
pub enum Mode {
    /// The real world, unrecorded.
    #[default]
    Host,
    /// A closed world: virtual time, seeded randomness, virtual pids.
    Deterministic { seed: u64 },
    /// The real world, every value that crosses it logged into the directory.
    Record { dir: PathBuf },
    /// Values come from a log directory instead of the world. `program`: run this file
    /// as the main program instead of the recorded one (to see where a changed program
    /// departs from the recording).
    Replay { dir: PathBuf, program: Option<PathBuf> },
}

/// Which implementation a world is (for the few decisions made outside it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Host,
    Deterministic,
    Recording,
    Replaying,
}

impl Kind {
    /// Record or replay: syscalls are logged whole (`replay::syscall`), and a file
    /// mapping's bytes are read at mmap time so that the log holds them.
    pub fn logs(self) -> bool {
        matches!(self, Kind::Recording | Kind::Replaying)
    }
}

/// A Linux clock (`clockid_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    Realtime,
    Monotonic,
    ProcessCputime,
    ThreadCputime,
    MonotonicRaw,
    RealtimeCoarse,
    MonotonicCoarse,
    Boottime,
    RealtimeAlarm,
    BoottimeAlarm,
    Tai,
    /// Any other id (glibc's per-process CPU-time clocks are negative ids): read as the
    /// monotonic clock.
    Other(u32),
}

impl Clock {
    /// The clock of Linux clock id `id`.
    pub fn from_linux(id: u32) -> Clock {
        match id {
            0 => Clock::Realtime,
            1 => Clock::Monotonic,
            2 => Clock::ProcessCputime,
            3 => Clock::ThreadCputime,
            4 => Clock::MonotonicRaw,
            5 => Clock::RealtimeCoarse,
            6 => Clock::MonotonicCoarse,
            7 => Clock::Boottime,
            8 => Clock::RealtimeAlarm,
            9 => Clock::BoottimeAlarm,
            11 => Clock::Tai,
            id => Clock::Other(id),
        }
    }

    /// Wall-clock time (seconds since the epoch).
    pub fn is_realtime(self) -> bool {
        matches!(self, Clock::Realtime | Clock::RealtimeCoarse | Clock::Tai)
    }

    /// CPU time consumed by the process.
    pub fn is_cpu_time(self) -> bool {
        matches!(self, Clock::ProcessCputime | Clock::ThreadCputime)
    }
}

/// The instruction clock: guest instructions retired by the process across its images
/// (execve replaces the CPU, whose count restarts from zero). It places everything
/// asynchronous in a recording and is deterministic mode's time.
#[derive(Clone, Copy, Debug, Default)]
pub struct InsnClock {
    /// Instructions retired by the images before the current one.
    base: u64,
    /// The current image's count at the last CPU stop.
    cur: u64,
}

impl InsnClock {
    /// The CPU stopped with the current image at `icount`.
    pub fn at(&mut self, icount: u64) {
        self.cur = icount;
    }

    /// A new image starts; the one before retired `old_icount` instructions.
    pub fn new_image(&mut self, old_icount: u64) {
        self.base += old_icount;
        self.cur = 0;
    }

    /// Instructions retired by the process as of the last CPU stop.
    pub fn now(&self) -> u64 {
        self.base + self.cur
    }

    /// The process-wide count when the current image is at `icount` (between stops).
    pub fn with_image_at(&self, icount: u64) -> u64 {
        self.base + icount
    }

    /// Process-wide count `abs` as the current image counts it (where its CPU stops).
    pub fn in_image(&self, abs: u64) -> u64 {
        abs.saturating_sub(self.base)
    }
}

/// How the kernel learns what came from outside at some point of the run (signals from
/// the host, the scheduler's wake-ups from a host wait).
#[derive(Debug, PartialEq)]
pub enum Arrival<T> {
    /// Ask the host, as usual.
    Host,
    /// Ask the host, then tell the world what came (recording logs it).
    HostReported,
    /// Not the host: this came (replay, from the log).
    Logged(T),
}

/// Where the scheduler wakes threads: the two places whose outcome depends on the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeSite {
    /// Deadlines that passed (futex timeouts, sleeps, retries).
    Deadlines = 0,
    /// A wait in the host for a descriptor, a deadline or a signal.
    HostWait = 1,
}

/// A parked thread the scheduler made runnable, with the registers its syscall returns
/// with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Woken {
    /// Index in the process's thread list.
    pub thread: u32,
    pub rax: u64,
    pub rip: u64,
}

/// The outside world as the guest meets it. One implementation per mode (see the module
/// doc); every method answers for its mode alone.
///
/// Methods take `&self`: a world keeps its state in cells of its own and borrows them for
/// the length of one answer, so that callers may ask it anything, anywhere (twice in one
/// expression, or from the CPU's rdtsc) with no borrow of their own to hold.
///
/// Pids are guest pids unless named `host`; times are (seconds, nanoseconds) unless
/// named `_ns`.
pub trait World {
    fn kind(&self) -> Kind;

    // ---- the instruction clock ----

    /// Whether the world follows the instruction clock. The real host does not: the run
    /// loop then skips `at` and `stop_at` at every CPU stop (its clock only counts whole
    /// images).
    fn follows_clock(&self) -> bool {
        true
    }

    /// The run loop tells the world where the guest is after each CPU stop (the current
    /// image's count).
    fn at(&self, icount: u64);

    /// execve replaced the CPU: its count restarts from zero.
    fn new_image(&self, old_icount: u64);

    /// Guest instructions retired by this process (all images), as of the last CPU stop.
    fn icount(&self) -> u64;

    /// The current image's instruction count at which the CPU must stop for the world
    /// (a virtual timer, a recorded asynchronous event, a checkpoint); `u64::MAX` if none.
    fn stop_at(&self) -> u64;

    // ---- time ----

    fn clock_gettime(&self, clock: Clock) -> (i64, i64);

    /// CPU time (user+system) of this process in nanoseconds.
    fn cpu_time_ns(&self) -> u64;

    /// CPU time of the children this process waited for.
    fn children_cpu_time_ns(&self) -> u64;

    /// "Now" for deadlines of waits (futex timeouts, sleeps of parked threads, polls).
    fn instant(&self) -> Instant;

    /// Sleeps the whole process for (s, ns) or until a signal arrives; returns the time
    /// left.
    fn sleep(&self, s: i64, ns: i64) -> (i64, i64);

    /// alarm(2): returns the seconds left of the previous alarm.
    fn alarm(&self, secs: u32) -> u32;

    /// setitimer(2): `new` is (interval s, us, value s, us); returns the old one.
    fn setitimer(&self, which: i32, new: [i64; 4]) -> HostResult<[i64; 4]>;

    fn getitimer(&self, which: i32) -> HostResult<[i64; 4]>;

    /// The time-stamp counter (rdtsc, rdtscp), a 3 GHz invariant TSC, with the current
    /// image at `icount` (the CPU is between stops).
    fn tsc(&self, icount: u64) -> u64;

    // ---- randomness ----

    /// getrandom, AT_RANDOM, rdrand.
    fn random_bytes(&self, buf: &mut [u8]);

    // ---- identities ----

    fn pid(&self) -> i32;

    fn ppid(&self) -> i32;

    /// uname's nodename.
    fn hostname(&self) -> Vec<u8>;

    /// uid, euid, gid, egid (for the auxv; the id syscalls are recorded whole).
    fn ids(&self) -> [u32; 4];

    /// The real uid, for the siginfo of signals this process sends and of SIGCHLD: the
    /// one the last `ids` gave.
    fn uid(&self) -> u32;

    /// Linux signals ignored when emu started (the guest inherits SIG_IGN).
    fn inherited_ignored(&self) -> Vec<i32>;

    /// The umask emu was started with, which the guest inherits (called once).
    fn start_umask(&self) -> u32;

    /// The host descriptors past the standard three that the guest inherits, with their
    /// status flags (called once; see [`crate::host::inherited_fds`]).
    fn inherited_fds(&self) -> Vec<(i32, u32)>;

    /// The host pid of guest pid `pid` (a child or this process), for wait4/kill. Pids
    /// that are not virtual (0, -1, process groups, unknown) pass through.
    fn host_pid(&self, pid: i32) -> i32;

    /// The guest pid of host pid `host` (a wait result).
    fn guest_pid(&self, host: i32) -> i32;

    /// kill(2) of another process or a process group: true if the signal reached this
    /// process too (its own group), which must then raise it.
    fn kill(&self, pid: i32, sig: i32) -> HostResult<bool>;

    /// fork(2) of the whole emulated process: the child's guest pid in the parent, 0 in
    /// the child. `next_pid` is the process's tid counter (deterministic pids take the
    /// child's from it).
    fn fork(&self, next_pid: &mut i32) -> HostResult<i32>;

    /// The working directory the guest starts in.
    fn start_cwd(&self) -> Vec<u8>;

    // ---- signals and waits ----

    /// True if a signal from outside (the host, a virtual timer, a recorded event at this
    /// instruction) waits to be taken.
    fn signals_pending(&self) -> bool;

    /// Takes the host's signals: Linux signal bits, and for SIGCHLD (guest pid, si_code,
    /// si_status) of the child.
    fn take_signals(&self) -> (u64, (i32, i32, i32));

    /// Who sent signal `sig`, which `take_signals` just returned, when another process
    /// sent it (kill, sigqueue, tgkill): (Linux si_code, guest pid, uid, si_value). None
    /// for a signal of the kernel's.
    fn signal_sender(&self, sig: i32) -> Option<(i32, i32, u32, u64)>;

    /// The kernel is about to collect the signals from outside.
    fn signals_arrive(&self) -> Arrival<Vec<SigInfo>>;

    /// After [`Arrival::HostReported`]: the collection made `raised` pending. True if the
    /// process must end now (a SIGKILL from outside, logged where it landed).
    fn signals_arrived(&self, raised: Vec<SigInfo>) -> bool {
        let _ = raised;
        false
    }

    /// The scheduler is about to wake threads at `site` (the process has `threads`).
    fn wakes_arrive(&self, site: WakeSite, threads: usize) -> Arrival<Vec<Woken>>;

    /// After [`Arrival::HostReported`]: the threads the scheduler woke at `site`.
    fn woken(&self, site: WakeSite, woken: Vec<Woken>) {
        let _ = (site, woken);
    }

    /// Waits for a signal from outside (pause, sigsuspend).
    fn wait_for_signal(&self);

    /// The guest is about to block in a read of host fd `h`: Err(EINTR) if the world
    /// ends the wait first (deterministic mode's virtual timers).
    fn before_blocking_read(&self, h: i32) -> HostResult<()>;

    /// The same for a wait that only another process can end (System V semaphores and
    /// message queues).
    fn before_blocking_outside(&self) -> HostResult<()> {
        Ok(())
    }

    /// The same for a wait for guest child `pid` (wait4's numbering) with waitid's
    /// `options` (WEXITED, WSTOPPED, WCONTINUED).
    fn before_blocking_wait(&self, pid: i32, options: u32) -> HostResult<()>;

    /// The POSIX timers want a wake-up after `after` (None: none).
    fn wake_after(&self, after: Option<Duration>);

    /// Whether the timers' wake-up came (and forget it).
    fn take_wake_due(&self) -> bool;

    /// Every thread waits and none on a descriptor: wait until `until` (None: a signal).
    fn idle_until(&self, until: Option<Instant>);

    /// poll(2) on host descriptors.
    fn poll(&self, fds: &[(i32, u16)], timeout_ms: i32) -> HostResult<Vec<u16>>;

    // ---- the loader's files ----

    /// Opens an ELF file for the loader.
    fn open_elf(&self, path: &Path) -> Result<emu_loader::ElfFile, emu_loader::LoadError>;

    /// The first bytes of a file (for `#!`).
    fn read_head(&self, path: &Path) -> std::io::Result<Vec<u8>>;

    /// The bytes of a file-backed mapping: `len` bytes at `off` of host fd `h` (fewer at
    /// the end of the file), with the file's (dev, ino).
    fn map_file(&self, h: i32, off: u64, len: u64) -> Result<(Vec<u8>, u64, u64), Errno>;
}

/// A process's world, shared with its CPU (see the module doc).
pub type Shared = Rc<dyn World>;

/// Makes `w` a process's world.
pub fn share(w: impl World + 'static) -> Shared {
    Rc::new(w)
}

/// The CPU's view of the world: what rdtsc and rdrand read.
pub struct ForCpu(pub Shared);

impl emu_cpu::Outside for ForCpu {
    fn tsc(&mut self, icount: u64) -> u64 {
        self.0.tsc(icount)
    }

    fn random(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.random_bytes(&mut b);
        u64::from_le_bytes(b)
    }
}

/// Reads of /dev/urandom and /dev/random come from a closed world's generator: true when
/// `path` names one of them and the world (`kind`, asked only then) is deterministic.
pub fn is_random_device(path: Option<&[u8]>, kind: impl FnOnce() -> Kind) -> bool {
    matches!(path, Some(b"/dev/urandom" | b"/dev/random")) && kind() == Kind::Deterministic
}

/// splitmix64: the generator of deterministic randomness (and of a host's fallback).
pub(crate) fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
