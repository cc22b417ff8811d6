//! The one gate for non-determinism. Everything the guest can learn from the outside
//! world that may differ between runs — time, randomness, identities, signal arrival,
//! the programs and libraries the loader reads, waits on the host — comes through here,
//! so that it can be fixed (`--deterministic`), or recorded and replayed (`--record`,
//! `--replay`, see `crate::replay`). Syscalls that read the outside world (files,
//! pipes, stat, ...) are recorded and replayed whole by `crate::replay::syscall`.
//!
//! The gate's state is per host process (one emulated process per host process: guest
//! fork is a host fork), kept in a thread-local so that tests running emulated
//! processes on several host threads do not share it.
//!
//! Deterministic mode (a closed world):
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

use crate::host::{self, Errno, HostResult};
use crate::replay::{self, Player, Recorder};
use std::cell::RefCell;
use std::time::{Duration, Instant};

/// How the guest meets the outside world.
#[derive(Clone, Debug, Default)]
pub enum World {
    /// The real world, unrecorded.
    #[default]
    Normal,
    /// A closed world: virtual time, seeded randomness, virtual pids.
    Deterministic { seed: u64 },
    /// The real world, every value that crosses the gate logged into the directory.
    Record { dir: std::path::PathBuf },
    /// Values come from a log directory instead of the world. `program`: run this file
    /// as the main program instead of the recorded one (to see where a changed program
    /// departs from the recording).
    Replay { dir: std::path::PathBuf, program: Option<std::path::PathBuf> },
}

/// Realtime clock at the start of a deterministic run: 2023-11-14 22:13:20 UTC.
pub const DET_EPOCH: i64 = 1_700_000_000;
/// The first pid a deterministic guest sees.
pub const DET_PID: i32 = 1000;
/// Virtual nanoseconds per guest instruction in deterministic mode.
const NS_PER_INSN: u64 = 1;

#[derive(Default)]
struct Det {
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

impl Det {
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
                fire_timer(self, dl);
            }
        }
        if self.wake.is_some_and(|w| w <= now) {
            self.wake = None;
            self.wake_due = true;
        }
    }
}

#[derive(Default)]
enum Mode {
    #[default]
    Normal,
    Det(Det),
    Record(Recorder),
    Replay(Player),
}

#[derive(Default)]
struct Gate {
    mode: Mode,
    /// Instructions retired by images before the current one (execve resets the CPU).
    base: u64,
    /// The current image's instruction count at the last `at`.
    cur: u64,
    /// Where `instant` counts from in deterministic mode.
    start: Option<Instant>,
    /// Recording: inside a syscall whose whole effect is recorded; values are not logged.
    quiet: bool,
    /// Guest memory written by the syscall being recorded.
    writes: Option<Vec<(u64, Vec<u8>)>>,
    /// Record/replay: the count of writes to emu's stdout/stderr, shared by the process
    /// tree (it orders the output of replayed processes as recorded).
    output_seq: Option<&'static std::sync::atomic::AtomicU64>,
    /// The ids `ids` last returned (the loader asks at every execve, before the guest runs).
    ids: Option<[u32; 4]>,
}

thread_local! {
    static GATE: RefCell<Gate> = RefCell::new(Gate::default());
    /// `base + cur`, readable while the gate is borrowed (replay's error messages).
    static NOW: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn with<R>(f: impl FnOnce(&mut Gate) -> R) -> R {
    GATE.with(|g| f(&mut g.borrow_mut()))
}

/// Sets the world for this host process. Recording opens the log (its header names the
/// program, argv, env and cwd); replaying must already have been opened with
/// [`replay::open`]. Normal runs need no call.
pub fn init(
    world: &World,
    program: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<(), replay::LogError> {
    let mode = match world {
        World::Normal => Mode::Normal,
        World::Deterministic { seed } => Mode::Det(Det {
            seed: *seed,
            rng: *seed ^ 0x9e37_79b9_7f4a_7c15,
            pid: DET_PID,
            ppid: DET_PID - 1,
            ..Default::default()
        }),
        World::Record { dir } => {
            host::install_kill_transport();
            let cwd = host::host_getcwd();
            Mode::Record(Recorder::create(dir, program, argv, envp, &cwd, host::getpid(), host::getppid())?)
        }
        World::Replay { dir, program } => Mode::Replay(Player::open_root(dir, program.clone())?),
    };
    let output_seq = matches!(mode, Mode::Record(_) | Mode::Replay(_)).then(host::shared_counter).flatten();
    with(|g| {
        *g = Gate { mode, start: Some(Instant::now()), output_seq, ..Default::default() };
        NOW.with(|n| n.set(0));
    });
    Ok(())
}

pub fn deterministic() -> bool {
    with(|g| matches!(g.mode, Mode::Det(_)))
}

pub fn recording() -> bool {
    with(|g| matches!(g.mode, Mode::Record(_)))
}

pub fn replaying() -> bool {
    with(|g| matches!(g.mode, Mode::Replay(_)))
}

/// Record or replay: syscalls go through `replay::syscall`.
pub fn logging() -> bool {
    with(|g| matches!(g.mode, Mode::Record(_) | Mode::Replay(_)))
}

/// Runs `f` on the recorder, if recording and not inside a recorded syscall.
pub(crate) fn with_recorder<R>(f: impl FnOnce(&mut Recorder) -> R) -> Option<R> {
    with(|g| match &mut g.mode {
        Mode::Record(r) if !g.quiet => Some(f(r)),
        _ => None,
    })
}

/// Runs `f` on the player, if replaying.
pub(crate) fn with_player<R>(f: impl FnOnce(&mut Player) -> R) -> Option<R> {
    with(|g| match &mut g.mode {
        Mode::Replay(p) => Some(f(p)),
        _ => None,
    })
}

/// The process tree's count of writes to emu's stdout/stderr (record and replay).
pub(crate) fn output_seq() -> Option<&'static std::sync::atomic::AtomicU64> {
    with(|g| g.output_seq)
}

/// Recording: values crossing the gate inside `f` are part of a recorded syscall's
/// effect and are not logged separately.
pub(crate) fn set_quiet(q: bool) -> bool {
    with(|g| std::mem::replace(&mut g.quiet, q))
}

// ---- instruction count: the clock of deterministic mode and of async events ----

/// The run loop tells the gate where the guest is after each CPU exit.
pub fn at(icount: u64) {
    let now = with(|g| {
        g.cur = icount;
        g.base + icount
    });
    NOW.with(|n| n.set(now));
}

/// execve replaced the CPU: its count restarts from zero.
pub fn new_image(old_icount: u64) {
    let now = with(|g| {
        g.base += old_icount;
        g.cur = 0;
        g.base
    });
    NOW.with(|n| n.set(now));
}

/// Guest instructions retired by this process (all images), as of the last CPU exit.
pub fn icount() -> u64 {
    NOW.with(|n| n.get())
}

/// The current image's instruction count at which the CPU must stop for the gate (a
/// virtual timer, a recorded asynchronous event), if any.
pub fn stop_at() -> u64 {
    with(|g| {
        let abs = match &g.mode {
            Mode::Det(d) => match d.deadline() {
                Some(deadline) => {
                    let ns = deadline.saturating_sub(d.skipped).div_ceil(NS_PER_INSN);
                    ns.max(g.base + g.cur)
                }
                None => return u64::MAX,
            },
            Mode::Replay(p) => match p.next_async() {
                Some(ic) => ic,
                None => return u64::MAX,
            },
            Mode::Record(r) => r.next_check,
            _ => return u64::MAX,
        };
        abs.saturating_sub(g.base)
    })
}

fn det_now_ns(g: &Gate, d: &Det) -> u64 {
    (g.base + g.cur) * NS_PER_INSN + d.skipped
}

/// Deterministic mode: moves virtual time forward by `ns` (an idle wait).
fn det_skip(ns: u64) {
    with(|g| {
        if let Mode::Det(d) = &mut g.mode {
            d.skipped += ns;
        }
    })
}

// ---- time ----

/// Time of a Linux clock id as (seconds, nanoseconds).
pub fn clock_gettime(clock: u32) -> (i64, i64) {
    if let Some(v) = with(|g| match &g.mode {
        Mode::Det(d) => {
            let ns = det_now_ns(g, d) as i64;
            let ns = match clock {
                0 | 5 | 11 => ns + DET_EPOCH * 1_000_000_000,
                // CPU time: the instructions retired, not the time slept.
                2 | 3 => ((g.base + g.cur) * NS_PER_INSN) as i64,
                // Boot time: a fixed uptime of 100 s at the start.
                _ => ns + 100_000_000_000,
            };
            Some((ns / 1_000_000_000, ns % 1_000_000_000))
        }
        _ => None,
    }) {
        return v;
    }
    if let Some(v) = with_player(|p| p.values(2)) {
        return (v[0] as i64, v[1] as i64);
    }
    let v = match clock {
        // CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_TAI
        0 | 5 | 11 => host::clock(0),
        // CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID
        2 | 3 => {
            let ns = cpu_time_ns() as i64;
            (ns / 1_000_000_000, ns % 1_000_000_000)
        }
        // CLOCK_MONOTONIC and its variants (RAW, COARSE, BOOTTIME)
        _ => host::clock(1),
    };
    with_recorder(|r| r.values(&[v.0 as u64, v.1 as u64]));
    v
}

/// CPU time (user+system) of this process in nanoseconds. Virtual in deterministic mode:
/// the instructions retired, as the virtual clock counts them, without the time slept.
pub fn cpu_time_ns() -> u64 {
    with(|g| match &g.mode {
        Mode::Det(_) => Some((g.base + g.cur) * NS_PER_INSN),
        _ => None,
    })
    .unwrap_or_else(|| host::cpu_time_ns().max(0) as u64)
}

/// CPU time of the children this process waited for: none in deterministic mode (their
/// instructions are counted by their own clocks).
pub fn children_cpu_time_ns() -> u64 {
    if deterministic() {
        return 0;
    }
    host::children_cpu_time_ns()
}

/// "Now" for deadlines of waits (futex timeouts, sleeps of parked threads, polls).
/// Virtual in deterministic mode.
pub fn instant() -> Instant {
    with(|g| match (&g.mode, g.start) {
        (Mode::Det(d), Some(s)) => s + Duration::from_nanos(det_now_ns(g, d)),
        _ => Instant::now(),
    })
}

/// Sleeps the whole process for (s, ns) or until a signal arrives; returns the time left.
/// Deterministic mode moves the clock instead, up to the virtual timer if it is due first.
pub fn sleep_interruptible(s: i64, ns: i64) -> (i64, i64) {
    let want = (s.max(0) as u64).saturating_mul(1_000_000_000).saturating_add(ns.max(0) as u64);
    let det = with(|g| {
        let now = match &g.mode {
            Mode::Det(d) => det_now_ns(g, d),
            Mode::Replay(_) => return Some(0),
            _ => return None,
        };
        let Mode::Det(d) = &mut g.mode else { return None };
        match d.deadline() {
            Some(deadline) if deadline < now + want => {
                let slept = deadline.saturating_sub(now);
                d.skipped += slept;
                d.reach(deadline);
                Some(want - slept)
            }
            _ => {
                d.skipped += want;
                Some(0)
            }
        }
    });
    match det {
        Some(left) => ((left / 1_000_000_000) as i64, (left % 1_000_000_000) as i64),
        None => host::sleep_interruptible(s, ns),
    }
}

fn fire_timer(d: &mut Det, deadline: u64) {
    d.fired |= 1 << (crate::abi::signal::SIGALRM - 1);
    d.timer = match d.timer {
        Some((_, iv)) if iv > 0 => Some((deadline + iv, iv)),
        _ => None,
    };
}

/// alarm(2). Virtual in deterministic mode.
pub fn alarm(secs: u32) -> u32 {
    let r = with(|g| {
        let now = match &g.mode {
            Mode::Det(d) => det_now_ns(g, d),
            _ => return None,
        };
        let Mode::Det(d) = &mut g.mode else { return None };
        let left = d.timer.map(|(dl, _)| dl.saturating_sub(now).div_ceil(1_000_000_000) as u32).unwrap_or(0);
        d.timer = (secs > 0).then(|| (now + secs as u64 * 1_000_000_000, 0));
        Some(left)
    });
    r.unwrap_or_else(|| host::alarm(secs))
}

fn tv_ns(s: i64, us: i64) -> u64 {
    (s.max(0) as u64) * 1_000_000_000 + (us.max(0) as u64) * 1000
}

fn ns_tv(ns: u64) -> (i64, i64) {
    ((ns / 1_000_000_000) as i64, ((ns % 1_000_000_000) / 1000) as i64)
}

/// setitimer(2): `new` is (interval s, us, value s, us); returns the old one. Only
/// ITIMER_REAL is virtual in deterministic mode (the CPU-time timers count host time).
pub fn setitimer(which: i32, new: [i64; 4]) -> HostResult<[i64; 4]> {
    if which == 0 {
        let r = with(|g| {
            let now = match &g.mode {
                Mode::Det(d) => det_now_ns(g, d),
                _ => return None,
            };
            let Mode::Det(d) = &mut g.mode else { return None };
            let old = itimer_value(d, now);
            let value = tv_ns(new[2], new[3]);
            d.timer = (value > 0).then(|| (now + value, tv_ns(new[0], new[1])));
            Some(old)
        });
        if let Some(old) = r {
            return Ok(old);
        }
    }
    host::setitimer(which, new)
}

fn itimer_value(d: &Det, now: u64) -> [i64; 4] {
    match d.timer {
        Some((dl, iv)) => {
            let (is, ius) = ns_tv(iv);
            let (vs, vus) = ns_tv(dl.saturating_sub(now).max(1000));
            [is, ius, vs, vus]
        }
        None => [0; 4],
    }
}

pub fn getitimer(which: i32) -> HostResult<[i64; 4]> {
    if which == 0 {
        let r = with(|g| match &g.mode {
            Mode::Det(d) => Some(itimer_value(d, det_now_ns(g, d))),
            _ => None,
        });
        if let Some(v) = r {
            return Ok(v);
        }
    }
    host::getitimer(which)
}

/// The time-stamp counter (rdtsc, rdtscp): a 3 GHz invariant TSC.
pub fn tsc(cpu: &emu_cpu::Cpu) -> u64 {
    if let Some(v) = with(|g| match &g.mode {
        Mode::Det(d) => Some((g.base + cpu.icount) * NS_PER_INSN * 3 + d.skipped * 3),
        _ => None,
    }) {
        return v;
    }
    if let Some(v) = with_player(|p| p.values(1)) {
        return v[0];
    }
    let (s, ns) = host::clock(1);
    let v = (s as u64).wrapping_mul(3_000_000_000).wrapping_add(ns as u64 * 3);
    with_recorder(|r| r.values(&[v]));
    v
}

// ---- randomness ----

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub fn random_bytes(buf: &mut [u8]) {
    let det = with(|g| match &mut g.mode {
        Mode::Det(d) => {
            for c in buf.chunks_mut(8) {
                let v = splitmix(&mut d.rng).to_le_bytes();
                c.copy_from_slice(&v[..c.len()]);
            }
            true
        }
        _ => false,
    });
    if det {
        return;
    }
    if let Some(b) = with_player(|p| p.bytes()) {
        let n = b.len().min(buf.len());
        buf[..n].copy_from_slice(&b[..n]);
        return;
    }
    if host::getentropy(buf).is_err() {
        // getentropy cannot fail for sizes we pass on supported hosts; keep going with a
        // time-derived fill rather than aborting the guest.
        let (s, ns) = host::clock(1);
        let mut x = (s as u64) ^ ((ns as u64) << 20);
        for b in buf.iter_mut() {
            *b = splitmix(&mut x) as u8;
        }
    }
    with_recorder(|r| r.bytes(buf));
}

/// Deterministic mode: reads of /dev/urandom and /dev/random come from the seeded
/// generator too. True when `path` names one of them and the world is closed.
pub fn is_random_device(path: Option<&[u8]>) -> bool {
    matches!(path, Some(b"/dev/urandom" | b"/dev/random")) && deterministic()
}

// ---- identities ----

pub fn pid() -> i32 {
    with(|g| match &g.mode {
        Mode::Det(d) => d.pid,
        Mode::Record(r) => r.pid,
        Mode::Replay(p) => p.pid,
        Mode::Normal => host::getpid(),
    })
}

pub fn ppid() -> i32 {
    with(|g| match &g.mode {
        Mode::Det(d) => d.ppid,
        _ => host::getppid(),
    })
}

/// uname's nodename.
pub fn hostname() -> Vec<u8> {
    if deterministic() {
        return b"emu".to_vec();
    }
    host::hostname()
}

/// uid, euid, gid, egid (for the auxv; the id syscalls are recorded whole).
pub fn ids() -> [u32; 4] {
    let v = match with_player(|p| p.values(4)) {
        Some(v) => [v[0] as u32, v[1] as u32, v[2] as u32, v[3] as u32],
        None => {
            let v = host::ids();
            with_recorder(|r| r.values(&v.map(|x| x as u64)));
            v
        }
    };
    with(|g| g.ids = Some(v));
    v
}

/// The real uid, for the siginfo of signals this process sends and of SIGCHLD: the one
/// the last `ids` took (recorded, replayed).
pub fn uid() -> u32 {
    match with(|g| g.ids) {
        Some(v) => v[0],
        None => ids()[0],
    }
}

/// Linux signals ignored when emu started (the guest inherits SIG_IGN): recorded, since
/// the replay may start with other dispositions.
pub fn inherited_ignored() -> Vec<i32> {
    if let Some(v) = with_player(|p| p.values(1)) {
        return (1..=64).filter(|s| v[0] & (1 << (s - 1)) != 0).collect();
    }
    let v = host::inherited_ignored();
    with_recorder(|r| r.values(&[v.iter().fold(0u64, |m, &s| m | 1 << (s - 1))]));
    v
}

/// The host pid of guest pid `pid` (a child or this process), for wait4/kill. Pids that
/// are not virtual (0, -1, process groups, unknown) pass through.
pub fn host_pid(pid: i32) -> i32 {
    with(|g| match &g.mode {
        Mode::Det(d) => {
            if pid == d.pid {
                return host::getpid();
            }
            d.children.iter().find(|c| c.0 == pid.abs()).map(|c| c.1 * pid.signum()).unwrap_or(pid)
        }
        _ => pid,
    })
}

/// kill(2) of another process. Recording: a SIGKILL to a recorded child travels so that
/// the child can log where it died (its stream ends with the kill, replayable).
pub fn kill(pid: i32, sig: i32) -> HostResult<()> {
    let hpid = host_pid(pid);
    let recorded_child = sig == crate::abi::signal::SIGKILL
        && with(|g| matches!(&g.mode, Mode::Record(r) if r.children.contains(&hpid)));
    if recorded_child {
        return host::kill_recorded(hpid);
    }
    host::kill(hpid, sig)
}

/// The guest pid of host pid `pid` (a wait result).
pub fn guest_pid(pid: i32) -> i32 {
    with(|g| match &g.mode {
        Mode::Det(d) if pid > 0 => d.children.iter().find(|c| c.1 == pid).map(|c| c.0).unwrap_or(pid),
        _ => pid,
    })
}

/// fork(2) of the whole emulated process. Returns the child's guest pid in the parent
/// (its number is taken from `next_pid`, the process's tid counter, in deterministic
/// mode) and 0 in the child, which starts its own log stream when recording.
pub fn fork(next_pid: &mut i32) -> HostResult<i32> {
    with_recorder(|r| r.before_fork());
    with_player(|p| p.before_fork());
    let vpid = if deterministic() {
        let v = *next_pid;
        *next_pid += 1;
        v
    } else {
        0
    };
    let h = host::fork()?;
    if h == 0 {
        let ppid = pid();
        let r = with(|g| match &mut g.mode {
            Mode::Det(d) => {
                d.ppid = d.pid;
                d.pid = vpid;
                d.children.clear();
                d.timer = None;
                d.fired = 0;
                d.wake = None;
                d.wake_due = false;
                d.rng ^= splitmix(&mut d.seed.wrapping_add(vpid as u64));
                Ok(())
            }
            Mode::Record(r) => r.in_child(host::getpid(), ppid),
            Mode::Replay(p) => p.in_child(),
            Mode::Normal => Ok(()),
        });
        if let Err(e) = r {
            eprintln!("emu: {e}");
            host::exit_now(e.exit_status());
        }
        return Ok(0);
    }
    with(|g| match &mut g.mode {
        Mode::Det(d) => {
            d.children.push((vpid, h));
            Ok(vpid)
        }
        Mode::Record(r) => {
            r.values(&[h as u64]);
            r.children.push(h);
            Ok(h)
        }
        Mode::Replay(p) => {
            let rec = p.values(1)[0] as i32;
            p.children.push((rec, h));
            Ok(rec)
        }
        Mode::Normal => Ok(h),
    })
}

/// The working directory emu starts the guest in (from the log when replaying).
pub fn start_cwd() -> Vec<u8> {
    with_player(|p| p.cwd.clone()).unwrap_or_else(host::host_getcwd)
}

// ---- signals from the outside ----

/// True if a signal from outside (the host, a virtual timer, a recorded event at this
/// instruction) waits to be taken.
pub fn signals_pending() -> bool {
    let r = with(|g| {
        let now = g.base + g.cur;
        match &mut g.mode {
            Mode::Det(d) => {
                d.reach(now * NS_PER_INSN + d.skipped);
                Some(d.fired != 0 || d.wake_due)
            }
            Mode::Replay(p) => Some(p.signal_at(now)),
            _ => None,
        }
    });
    r.unwrap_or_else(host::signals_pending) || (!replaying() && host::signals_pending())
}

/// Takes the signals from outside: Linux signal bits, and for SIGCHLD (pid, si_code,
/// si_status) of the child. (Record and replay log what they raised: see
/// `replay::syscall::collect`.)
pub fn take_signals() -> (u64, (i32, i32, i32)) {
    let mut bits = host::take_pending_signals();
    let child = if bits & (1 << (crate::abi::signal::SIGCHLD - 1)) != 0 {
        let (h, code, status) = host::last_child();
        (guest_pid(h), code, status)
    } else {
        (0, 0, 0)
    };
    with(|g| {
        if let Mode::Det(d) = &mut g.mode {
            bits |= std::mem::take(&mut d.fired);
        }
    });
    (bits, child)
}

/// Waits for a signal from outside (pause, sigsuspend). Deterministic mode jumps to the
/// virtual timer if one is armed; replay does not wait (the signal is in the log).
pub fn wait_for_signal() {
    if replaying() {
        let now = icount();
        with_player(|p| {
            if p.exhausted() {
                // Killed (SIGKILL from outside) while it waited, when recorded.
                host::die_by_signal(crate::abi::signal::SIGKILL);
            }
            if !p.signal_at(now) {
                replay::diverged("the guest waits for a signal, none was recorded here".into());
            }
        });
        return;
    }
    if det_wait(None) != DetWait::Interrupted {
        host::wait_for_signal();
    }
}

/// How a deterministic wait ended in virtual time.
#[derive(PartialEq)]
enum DetWait {
    /// Not deterministic mode, or no deadline and no timeout: the host must wait.
    Host,
    /// The virtual clock moved to a deadline (alarm, ITIMER_REAL, a POSIX timer's
    /// wake-up), which fired.
    Interrupted,
    /// The virtual clock moved by the whole timeout.
    TimedOut,
}

/// Deterministic mode: a wait of `timeout` ns (None: unbounded) with nothing to wake it
/// but time. The clock jumps to the earliest of the virtual deadline and the timeout.
fn det_wait(timeout: Option<u64>) -> DetWait {
    with(|g| {
        let now = match &g.mode {
            Mode::Det(d) => det_now_ns(g, d),
            _ => return DetWait::Host,
        };
        let Mode::Det(d) = &mut g.mode else { return DetWait::Host };
        match (d.deadline(), timeout) {
            (Some(dl), t) if t.is_none_or(|t| dl < now.saturating_add(t)) => {
                d.skipped += dl.saturating_sub(now);
                d.reach(dl.max(now));
                DetWait::Interrupted
            }
            (_, Some(t)) => {
                d.skipped += t;
                DetWait::TimedOut
            }
            _ => DetWait::Host,
        }
    })
}

/// The guest is about to block in the host until `ready` says so (a read, a wait for a
/// child). In deterministic mode host time does not move the virtual clock, so an armed
/// virtual deadline would never come: if nothing is ready now, the clock jumps to the
/// deadline and the call fails with EINTR, as if the timer had interrupted it. (Whether
/// it is ready is decided at this instant: what another process does later is not
/// waited for; see FORMAT.md.)
pub fn before_blocking(ready: impl FnOnce() -> HostResult<bool>) -> HostResult<()> {
    let armed = with(|g| matches!(&g.mode, Mode::Det(d) if d.deadline().is_some()));
    if !armed || ready()? {
        return Ok(());
    }
    match det_wait(None) {
        DetWait::Interrupted => Err(crate::abi::errno::EINTR),
        _ => Ok(()),
    }
}

/// [`before_blocking`] a read of host fd `h`.
pub fn before_blocking_read(h: i32) -> HostResult<()> {
    before_blocking(|| Ok(host::poll(&[(h, 1)], 0)?[0] != 0))
}

/// [`before_blocking`] a wait for guest child `pid` (wait4's numbering) with waitid's
/// `options` (WEXITED, WSTOPPED, WCONTINUED): the host is asked without reaping.
pub fn before_blocking_wait(pid: i32, options: u32) -> HostResult<()> {
    const WNOHANG: u32 = 1;
    const WNOWAIT: u32 = 0x0100_0000;
    before_blocking(|| {
        let h = host_pid(pid);
        let (idtype, id) = match h {
            -1 => (0, 0),
            0 => (2, 0),
            p if p < 0 => (2, (-p) as u32),
            p => (1, p as u32),
        };
        Ok(host::waitid(idtype, id, options | WNOHANG | WNOWAIT)?.0 != 0)
    })
}

/// The POSIX timers want a wake-up after `after` (None: none). Deterministic mode keeps
/// it as a virtual deadline where the CPU stops; otherwise a host timer.
pub fn wake_after(after: Option<Duration>) {
    let det = with(|g| {
        let now = match &g.mode {
            Mode::Det(d) => det_now_ns(g, d),
            _ => return false,
        };
        let Mode::Det(d) = &mut g.mode else { return false };
        d.wake = after.map(|a| now + a.as_nanos().min(u64::MAX as u128 / 2) as u64);
        true
    });
    if det {
        // A guest blocked in the host (a read) retires no instructions, so virtual time
        // would never reach the deadline: a much later host wake-up moves the clock there.
        host::wake_after(after.map(|a| (a * 50).max(Duration::from_millis(200))));
    } else {
        host::wake_after(after);
    }
}

/// Whether the timers' wake-up came (and forget it).
pub fn take_wake_due() -> bool {
    let host_due = host::take_wake_due();
    let det = with(|g| {
        let now = match &g.mode {
            Mode::Det(d) => det_now_ns(g, d),
            _ => return None,
        };
        let Mode::Det(d) = &mut g.mode else { return None };
        if host_due {
            if let Some(w) = d.wake {
                d.skipped += w.saturating_sub(now);
                d.reach(w.max(now));
            }
        }
        Some(std::mem::take(&mut d.wake_due))
    });
    det.unwrap_or(host_due)
}

/// Every thread waits and none on a descriptor: deterministic mode moves the clock to
/// the earliest deadline (`until`) instead of sleeping; otherwise the host sleeps.
pub fn idle_until(until: Option<Instant>) {
    if deterministic() {
        match until {
            Some(d) => {
                let now = instant();
                det_skip(d.saturating_duration_since(now).as_nanos() as u64);
                // A virtual timer due before the deadline fires first.
                let _ = signals_pending();
            }
            None => wait_for_signal(),
        }
        return;
    }
    match until {
        None => host::wait_for_signal(),
        Some(d) => {
            // A signal or timer wake-up ends the sleep early.
            let ns = d.saturating_duration_since(Instant::now()).as_nanos().min(i64::MAX as u128) as i64;
            host::sleep_interruptible(ns / 1_000_000_000, ns % 1_000_000_000);
        }
    }
}

/// poll(2) on host descriptors. In deterministic mode a wait that finds nothing ready
/// moves the clock to its end, or to the virtual deadline first (EINTR), instead of
/// waiting; an unbounded wait with no deadline waits in the host.
pub fn poll(fds: &[(i32, u16)], timeout_ms: i32) -> HostResult<Vec<u16>> {
    if deterministic() && timeout_ms != 0 {
        let r = host::poll(fds, 0)?;
        if r.iter().any(|&v| v != 0) {
            return Ok(r);
        }
        // Nothing ready: the wait ends at its timeout or at the virtual deadline.
        let timeout = (timeout_ms > 0).then(|| timeout_ms as u64 * 1_000_000);
        return match det_wait(timeout) {
            DetWait::Interrupted => Err(crate::abi::errno::EINTR),
            DetWait::TimedOut => Ok(r),
            DetWait::Host => host::poll(fds, timeout_ms),
        };
    }
    host::poll(fds, timeout_ms)
}

// ---- the loader's files ----

/// Opens an ELF file for the loader. Recorded (contents stored once, by hash) and
/// replayed from the log.
pub fn open_elf(path: &std::path::Path) -> Result<emu_loader::ElfFile, emu_loader::LoadError> {
    if let Some(r) = with_player(|p| p.elf(path)) {
        return r;
    }
    let r = emu_loader::ElfFile::open(path);
    with_recorder(|rec| rec.elf(path, &r));
    r
}

/// The first bytes of a file (for `#!`).
pub fn read_head(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    if let Some(r) = with_player(|p| p.head()) {
        return r;
    }
    let r = (|| {
        use std::io::Read;
        let mut f = std::fs::File::open(path)?;
        let mut b = vec![0u8; 256];
        let n = f.read(&mut b)?;
        b.truncate(n);
        Ok(b)
    })();
    with_recorder(|rec| rec.head(&r));
    r
}

/// The bytes of a file-backed mapping: `len` bytes at `off` of host fd `h` (fewer at
/// the end of the file), with the file's (dev, ino). Recorded by content.
pub fn map_file(h: i32, off: u64, len: u64) -> Result<(Vec<u8>, u64, u64), Errno> {
    if let Some(r) = with_player(|p| p.mapping()) {
        return r;
    }
    let r = (|| {
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
    })();
    with_recorder(|rec| rec.mapping(&r));
    r
}

// ---- guest memory written by recorded syscalls ----

/// Recording: the syscall being served wrote `data` at `addr` in guest memory.
#[inline]
pub fn note_write(addr: u64, data: &[u8]) {
    with(|g| {
        if let Some(w) = &mut g.writes {
            w.push((addr, data.to_vec()));
        }
    })
}

pub(crate) fn capture_writes(on: bool) -> Option<Vec<(u64, Vec<u8>)>> {
    with(|g| if on { g.writes.replace(Vec::new()) } else { g.writes.take() })
}

/// The process ends: write the end of the log.
pub fn finish(exit: replay::End) {
    with_recorder(|r| r.finish(exit));
    with(|g| {
        if let Mode::Replay(p) = &mut g.mode {
            p.check_end(exit);
        }
    });
}
