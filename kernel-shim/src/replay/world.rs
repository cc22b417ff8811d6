//! The worlds of `--record` and `--replay` (see `crate::world`): [`Recording`] gives the
//! host's answers and logs each one; [`Replaying`] gives the logged answers instead, in
//! the same order. An answer that is part of a recorded syscall's effect is not logged on
//! its own (the recorder is quiet while such a syscall runs: `syscall::dispatch`).
//!
//! Each shares its recorder or player with the run loop's side of the log
//! ([`super::Log`]), which records and replays whole syscalls and checkpoints.

use super::{LogError, Player, Recorder};
use crate::abi::signal::{SigInfo, SIGKILL};
use crate::host::{self, Errno, HostResult};
use crate::world::{self, Arrival, Clock, Host, Kind, WakeSite, Woken, World};
use std::cell::{Cell, RefCell};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The host's answers, each logged.
pub struct Recording {
    /// The clock, and the host's answers.
    host: Host,
    rec: Rc<RefCell<Recorder>>,
    /// Whether the recorder was quiet before the signal collection in progress.
    outer_quiet: Cell<bool>,
}

impl Recording {
    pub(crate) fn new(rec: Rc<RefCell<Recorder>>) -> Recording {
        Recording { host: Host::new(), rec, outer_quiet: Cell::new(false) }
    }

    /// Logs with `f`, unless inside a recorded syscall (its record holds the effect).
    fn log(&self, f: impl FnOnce(&mut Recorder)) {
        let mut r = self.rec.borrow_mut();
        if !r.quiet {
            f(&mut r)
        }
    }

    fn value<const N: usize>(&self, v: [u64; N]) {
        self.log(|r| r.values(&v))
    }
}

/// Linux signal numbers as a bit mask (bit n - 1 for signal n), as logged.
fn mask_of(sigs: &[i32]) -> u64 {
    sigs.iter().fold(0u64, |m, &s| m | 1 << (s - 1))
}

fn sigs_of(mask: u64) -> Vec<i32> {
    (1..=64).filter(|s| mask & (1 << (s - 1)) != 0).collect()
}

impl World for Recording {
    fn kind(&self) -> Kind {
        Kind::Recording
    }

    fn at(&self, icount: u64) {
        self.host.at(icount)
    }

    fn new_image(&self, old_icount: u64) {
        self.host.new_image(old_icount)
    }

    fn icount(&self) -> u64 {
        self.host.icount()
    }

    fn stop_at(&self) -> u64 {
        // The next periodic checkpoint.
        self.host.insns().in_image(self.rec.borrow().next_check)
    }

    fn clock_gettime(&self, clock: Clock) -> (i64, i64) {
        let v = self.host.clock_gettime(clock);
        self.value([v.0 as u64, v.1 as u64]);
        v
    }

    fn cpu_time_ns(&self) -> u64 {
        self.host.cpu_time_ns()
    }

    fn children_cpu_time_ns(&self) -> u64 {
        self.host.children_cpu_time_ns()
    }

    fn instant(&self) -> Instant {
        self.host.instant()
    }

    fn sleep(&self, s: i64, ns: i64) -> (i64, i64) {
        self.host.sleep(s, ns)
    }

    fn alarm(&self, secs: u32) -> u32 {
        self.host.alarm(secs)
    }

    fn setitimer(&self, which: i32, new: [i64; 4]) -> HostResult<[i64; 4]> {
        self.host.setitimer(which, new)
    }

    fn getitimer(&self, which: i32) -> HostResult<[i64; 4]> {
        self.host.getitimer(which)
    }

    fn tsc(&self, icount: u64) -> u64 {
        let v = self.host.tsc(icount);
        self.value([v]);
        v
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        self.host.random_bytes(buf);
        self.log(|r| r.bytes(buf));
    }

    fn pid(&self) -> i32 {
        self.rec.borrow().pid
    }

    fn ppid(&self) -> i32 {
        self.host.ppid()
    }

    fn hostname(&self) -> Vec<u8> {
        self.host.hostname()
    }

    fn ids(&self) -> [u32; 4] {
        let v = host::ids();
        self.value(v.map(|x| x as u64));
        self.host.set_ids(v)
    }

    fn uid(&self) -> u32 {
        match self.host.last_ids() {
            Some(v) => v[0],
            None => self.ids()[0],
        }
    }

    fn inherited_ignored(&self) -> Vec<i32> {
        // The replay may start with other dispositions.
        let v = self.host.inherited_ignored();
        self.value([mask_of(&v)]);
        v
    }

    fn start_umask(&self) -> u32 {
        let m = self.host.start_umask();
        self.value([m as u64]);
        m
    }

    fn inherited_fds(&self) -> Vec<(i32, u32)> {
        let v = self.host.inherited_fds();
        self.value([v.len() as u64]);
        let flat: Vec<u64> = v.iter().map(|&(fd, flags)| (fd as u64) << 32 | flags as u64).collect();
        self.log(|r| r.values(&flat));
        v
    }

    fn host_pid(&self, pid: i32) -> i32 {
        pid
    }

    fn guest_pid(&self, host: i32) -> i32 {
        host
    }

    fn kill(&self, pid: i32, sig: i32) -> HostResult<bool> {
        // A SIGKILL to a recorded child travels so that the child can log where it died
        // (its stream ends with the kill, replayable).
        if sig == SIGKILL && self.rec.borrow().children.contains(&pid) {
            return host::kill_recorded(pid).map(|_| false);
        }
        host::kill_from_guest(pid, sig)
    }

    fn fork(&self, _next_pid: &mut i32) -> HostResult<i32> {
        self.log(|r| r.before_fork());
        let h = host::fork()?;
        if h == 0 {
            // The child continues in a stream of its own.
            let mut r = self.rec.borrow_mut();
            let ppid = r.pid;
            if let Err(e) = r.in_child(host::getpid(), ppid) {
                eprintln!("emu: {e}");
                host::exit_now(e.exit_status());
            }
            return Ok(0);
        }
        let mut r = self.rec.borrow_mut();
        r.values(&[h as u64]);
        r.children.push(h);
        Ok(h)
    }

    fn start_cwd(&self) -> Vec<u8> {
        self.host.start_cwd()
    }

    fn signals_pending(&self) -> bool {
        self.host.signals_pending()
    }

    fn take_signals(&self) -> (u64, (i32, i32, i32)) {
        self.host.take_signals()
    }

    fn signal_sender(&self, sig: i32) -> Option<(i32, i32, u32, u64)> {
        self.host.signal_sender(sig)
    }

    fn signals_arrive(&self) -> Arrival<Vec<SigInfo>> {
        // What the collection asks the world (a timer's clock) is part of it: replay
        // raises the signals it logged without asking.
        self.outer_quiet.set(std::mem::replace(&mut self.rec.borrow_mut().quiet, true));
        Arrival::HostReported
    }

    fn signals_arrived(&self, raised: Vec<SigInfo>) -> bool {
        let outer = self.outer_quiet.get();
        let now = self.host.icount();
        let mut r = self.rec.borrow_mut();
        r.quiet = outer;
        // Inside a recorded syscall, its own record carries what this raised, and a
        // SIGKILL ends the process when the syscall returns.
        let kill = raised.iter().any(|s| s.signo == SIGKILL);
        if !raised.is_empty() && !outer {
            r.signal(now, raised);
        }
        // A SIGKILL from outside (a recording parent's `kill`): logged above, with the
        // instruction count where it landed.
        kill && !outer
    }

    fn wakes_arrive(&self, _site: WakeSite, _threads: usize) -> Arrival<Vec<Woken>> {
        Arrival::HostReported
    }

    fn woken(&self, site: WakeSite, woken: Vec<Woken>) {
        // The host wait is always logged, so that replay knows it happened.
        if !woken.is_empty() || site == WakeSite::HostWait {
            self.log(|r| r.wakes(site as u8, woken.iter().map(|w| (w.thread, w.rax, w.rip)).collect()));
        }
    }

    fn wait_for_signal(&self) {
        self.host.wait_for_signal()
    }

    fn before_blocking_read(&self, h: i32) -> HostResult<()> {
        self.host.before_blocking_read(h)
    }

    fn before_blocking_wait(&self, pid: i32, options: u32) -> HostResult<()> {
        self.host.before_blocking_wait(pid, options)
    }

    fn wake_after(&self, after: Option<Duration>) {
        self.host.wake_after(after)
    }

    fn take_wake_due(&self) -> bool {
        self.host.take_wake_due()
    }

    fn idle_until(&self, until: Option<Instant>) {
        self.host.idle_until(until)
    }

    fn poll(&self, fds: &[(i32, u16)], timeout_ms: i32) -> HostResult<Vec<u16>> {
        self.host.poll(fds, timeout_ms)
    }

    fn open_elf(&self, path: &Path) -> Result<emu_loader::ElfFile, emu_loader::LoadError> {
        // Stored once, by hash.
        let r = self.host.open_elf(path);
        self.log(|rec| rec.elf(path, &r));
        r
    }

    fn read_head(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let r = self.host.read_head(path);
        self.log(|rec| rec.head(&r));
        r
    }

    fn map_file(&self, h: i32, off: u64, len: u64) -> Result<(Vec<u8>, u64, u64), Errno> {
        // Stored by content, once.
        let r = self.host.map_file(h, off, len);
        self.log(|rec| rec.mapping(&r));
        r
    }
}

/// The logged answers instead of the host's.
pub struct Replaying {
    /// The clock, and the host's answers for what was not logged (waits, timers emu
    /// keeps on the host).
    host: Host,
    player: Rc<RefCell<Player>>,
}

impl Replaying {
    pub(crate) fn new(player: Rc<RefCell<Player>>) -> Replaying {
        Replaying { host: Host::new(), player }
    }

    fn player(&self) -> std::cell::RefMut<'_, Player> {
        self.player.borrow_mut()
    }
}

impl World for Replaying {
    fn kind(&self) -> Kind {
        Kind::Replaying
    }

    // The player's reports name the instruction count: it follows the clock.
    fn at(&self, icount: u64) {
        self.host.at(icount);
        self.player().now = self.host.icount();
    }

    fn new_image(&self, old_icount: u64) {
        self.host.new_image(old_icount);
        self.player().now = self.host.icount();
    }

    fn icount(&self) -> u64 {
        self.host.icount()
    }

    fn stop_at(&self) -> u64 {
        // The next asynchronous event or checkpoint of the log.
        match self.player().next_async() {
            Some(at) => self.host.insns().in_image(at),
            None => u64::MAX,
        }
    }

    fn clock_gettime(&self, _clock: Clock) -> (i64, i64) {
        let v = self.player().values(2);
        (v[0] as i64, v[1] as i64)
    }

    fn cpu_time_ns(&self) -> u64 {
        self.host.cpu_time_ns()
    }

    fn children_cpu_time_ns(&self) -> u64 {
        self.host.children_cpu_time_ns()
    }

    fn instant(&self) -> Instant {
        self.host.instant()
    }

    fn sleep(&self, _s: i64, _ns: i64) -> (i64, i64) {
        // The time it took is in the log already: the replay does not wait.
        (0, 0)
    }

    fn alarm(&self, secs: u32) -> u32 {
        self.host.alarm(secs)
    }

    fn setitimer(&self, which: i32, new: [i64; 4]) -> HostResult<[i64; 4]> {
        self.host.setitimer(which, new)
    }

    fn getitimer(&self, which: i32) -> HostResult<[i64; 4]> {
        self.host.getitimer(which)
    }

    fn tsc(&self, _icount: u64) -> u64 {
        self.player().values(1)[0]
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        let b = self.player().bytes();
        let n = b.len().min(buf.len());
        buf[..n].copy_from_slice(&b[..n]);
    }

    fn pid(&self) -> i32 {
        self.player().pid
    }

    fn ppid(&self) -> i32 {
        self.host.ppid()
    }

    fn hostname(&self) -> Vec<u8> {
        self.host.hostname()
    }

    fn ids(&self) -> [u32; 4] {
        let v = self.player().values(4);
        self.host.set_ids([v[0] as u32, v[1] as u32, v[2] as u32, v[3] as u32])
    }

    fn uid(&self) -> u32 {
        match self.host.last_ids() {
            Some(v) => v[0],
            None => self.ids()[0],
        }
    }

    fn inherited_ignored(&self) -> Vec<i32> {
        sigs_of(self.player().values(1)[0])
    }

    fn start_umask(&self) -> u32 {
        let m = self.player().values(1)[0] as u32;
        host::set_umask(m);
        m
    }

    /// The recorded run's; the replay stands placeholders in for them.
    fn inherited_fds(&self) -> Vec<(i32, u32)> {
        let mut p = self.player();
        let n = p.values(1)[0] as usize;
        p.values(n).into_iter().map(|v| ((v >> 32) as i32, v as u32)).collect()
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
        self.player().before_fork();
        let h = host::fork()?;
        if h == 0 {
            // The child reads the stream its recorded counterpart wrote.
            if let Err(e) = self.player().in_child() {
                eprintln!("emu: {e}");
                host::exit_now(e.exit_status());
            }
            return Ok(0);
        }
        let mut p = self.player();
        let rec = p.values(1)[0] as i32;
        p.children.push((rec, h));
        Ok(rec)
    }

    fn start_cwd(&self) -> Vec<u8> {
        self.player().cwd.clone()
    }

    fn signals_pending(&self) -> bool {
        // Only the log's: the host's signals were recorded where they landed.
        let now = self.host.icount();
        self.player().signal_at(now)
    }

    fn take_signals(&self) -> (u64, (i32, i32, i32)) {
        self.host.take_signals()
    }

    fn signal_sender(&self, _sig: i32) -> Option<(i32, i32, u32, u64)> {
        // The log has the signals whole.
        None
    }

    fn signals_arrive(&self) -> Arrival<Vec<SigInfo>> {
        let now = self.host.icount();
        Arrival::Logged(self.player().take_signal(now))
    }

    fn wakes_arrive(&self, site: WakeSite, threads: usize) -> Arrival<Vec<Woken>> {
        let mut p = self.player();
        let changes = p.wakes(site as u8);
        let woken = changes
            .into_iter()
            .map(|(thread, rax, rip)| {
                if thread as usize >= threads {
                    p.diverged(format!("a recorded wake-up names thread {thread}, which does not exist"));
                }
                Woken { thread, rax, rip }
            })
            .collect();
        Arrival::Logged(woken)
    }

    fn wait_for_signal(&self) {
        // The replay does not wait: the signal is in the log.
        let now = self.host.icount();
        let p = self.player();
        if p.exhausted() {
            // Killed (SIGKILL from outside) while it waited, when recorded.
            host::die_by_signal(SIGKILL);
        }
        if !p.signal_at(now) {
            p.diverged("the guest waits for a signal, none was recorded here".into());
        }
    }

    fn before_blocking_read(&self, h: i32) -> HostResult<()> {
        self.host.before_blocking_read(h)
    }

    fn before_blocking_wait(&self, pid: i32, options: u32) -> HostResult<()> {
        self.host.before_blocking_wait(pid, options)
    }

    fn wake_after(&self, after: Option<Duration>) {
        self.host.wake_after(after)
    }

    fn take_wake_due(&self) -> bool {
        self.host.take_wake_due()
    }

    fn idle_until(&self, until: Option<Instant>) {
        self.host.idle_until(until)
    }

    fn poll(&self, fds: &[(i32, u16)], timeout_ms: i32) -> HostResult<Vec<u16>> {
        self.host.poll(fds, timeout_ms)
    }

    fn open_elf(&self, path: &Path) -> Result<emu_loader::ElfFile, emu_loader::LoadError> {
        self.player().elf(path)
    }

    fn read_head(&self, _path: &Path) -> std::io::Result<Vec<u8>> {
        self.player().head()
    }

    fn map_file(&self, _h: i32, _off: u64, _len: u64) -> Result<(Vec<u8>, u64, u64), Errno> {
        self.player().mapping()
    }
}

/// Starts recording into `dir` (the header names the program, argv, env and cwd): the
/// world that logs, and the run loop's side of the log.
pub(crate) fn record(
    dir: &Path,
    program: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<(world::Shared, super::Log), LogError> {
    host::install_kill_transport();
    let cwd = host::host_getcwd();
    let rec = Recorder::create(dir, program, argv, envp, &cwd, host::getpid(), host::getppid())?;
    let rec = Rc::new(RefCell::new(rec));
    Ok((world::share(Recording::new(rec.clone())), super::Log::record(rec)))
}

/// Opens the log in `dir` for replay (`program`: run this file instead of the recorded
/// one).
pub(crate) fn replay(
    dir: &Path,
    program: Option<std::path::PathBuf>,
) -> Result<(world::Shared, super::Log), LogError> {
    let player = Rc::new(RefCell::new(Player::open_root(dir, program)?));
    Ok((world::share(Replaying::new(player.clone())), super::Log::replay(player)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::Clock;

    /// A directory of its own under the system's temporary one, removed at the end.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let d = std::env::temp_dir().join(format!("emu-world-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).expect("temporary directory");
            TempDir(d)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn recording(dir: &Path) -> (Recording, Rc<RefCell<Recorder>>) {
        let rec =
            Recorder::create(dir, b"/bin/true", &[b"true".to_vec()], &[], b"/", 4321, 1).expect("recorder");
        let rec = Rc::new(RefCell::new(rec));
        (Recording::new(rec.clone()), rec)
    }

    fn replaying(dir: &Path) -> Replaying {
        Replaying::new(Rc::new(RefCell::new(Player::open_root(dir, None).expect("player"))))
    }

    #[test]
    fn a_recording_plays_back() {
        let dir = TempDir::new("playback");
        let (w, rec) = recording(&dir.0);
        assert_eq!(w.kind(), Kind::Recording);
        let time = w.clock_gettime(Clock::Realtime);
        w.at(1000);
        let tsc = w.tsc(1000);
        let mut random = [0u8; 24];
        w.random_bytes(&mut random);
        let ids = w.ids();
        let ignored = w.inherited_ignored();
        let umask = w.start_umask();
        let pid = w.pid();
        // Inside a recorded syscall, answers are part of its effect: not logged alone.
        rec.borrow_mut().quiet = true;
        w.clock_gettime(Clock::Monotonic);
        rec.borrow_mut().quiet = false;
        let uname = w.hostname();
        rec.borrow_mut().finish(super::super::End::Exited(0));
        drop(w);

        let r = replaying(&dir.0);
        assert_eq!(r.kind(), Kind::Replaying);
        assert_eq!(r.clock_gettime(Clock::Realtime), time);
        r.at(1000);
        assert_eq!(r.tsc(1000), tsc);
        let mut again = [0u8; 24];
        r.random_bytes(&mut again);
        assert_eq!(again, random);
        assert_eq!(r.ids(), ids);
        assert_eq!(r.uid(), ids[0], "the uid is the last ids', without a record of its own");
        assert_eq!(r.inherited_ignored(), ignored);
        assert_eq!(r.start_umask(), umask);
        assert_eq!(r.pid(), pid);
        assert_eq!(pid, 4321, "the recorded process's pid, not the replaying one's");
        // Not logged: the host's.
        assert_eq!(r.hostname(), uname);
        assert_eq!(r.stop_at(), u64::MAX, "no asynchronous event left");
    }

    #[test]
    fn the_loaders_files_play_back_from_the_log() {
        let dir = TempDir::new("files");
        let script = dir.0.join("script");
        std::fs::write(&script, b"#!/bin/sh\necho hi\n").expect("script");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let (w, rec) = recording(&dir.0);
        let head = w.read_head(&script).expect("head");
        assert!(matches!(w.open_elf(&script), Err(emu_loader::LoadError::NotElf(_))));
        let missing = dir.0.join("missing");
        assert!(matches!(w.open_elf(&missing), Err(emu_loader::LoadError::NotFound(_))));
        rec.borrow_mut().finish(super::super::End::Exited(0));
        drop(w);
        // Gone from the disk: the log has them.
        std::fs::remove_file(&script).expect("remove");
        let r = replaying(&dir.0);
        assert_eq!(r.read_head(&script).expect("replayed head"), head);
        assert!(matches!(r.open_elf(&script), Err(emu_loader::LoadError::NotElf(_))));
        assert!(matches!(r.open_elf(&missing), Err(emu_loader::LoadError::NotFound(_))));
    }

    #[test]
    fn signals_and_wake_ups_play_back_where_they_landed() {
        let dir = TempDir::new("signals");
        let (w, rec) = recording(&dir.0);
        w.at(500);
        assert_eq!(w.signals_arrive(), Arrival::HostReported);
        assert!(rec.borrow().quiet, "the collection's own questions are not logged");
        let usr1 = SigInfo { signo: 10, pid: 77, ..Default::default() };
        assert!(!w.signals_arrived(vec![usr1]));
        assert!(!rec.borrow().quiet);
        assert_eq!(w.wakes_arrive(WakeSite::HostWait, 2), Arrival::HostReported);
        let woken = vec![Woken { thread: 1, rax: 0, rip: 0x401000 }];
        w.woken(WakeSite::HostWait, woken.clone());
        // Deadlines that woke nothing leave no record.
        w.woken(WakeSite::Deadlines, Vec::new());
        rec.borrow_mut().finish(super::super::End::Exited(0));
        drop(w);

        let r = replaying(&dir.0);
        assert_eq!(r.stop_at(), 500, "the CPU stops where the signal landed");
        r.at(499);
        assert!(!r.signals_pending());
        r.at(500);
        assert!(r.signals_pending());
        assert_eq!(r.signals_arrive(), Arrival::Logged(vec![usr1]));
        assert_eq!(r.wakes_arrive(WakeSite::Deadlines, 2), Arrival::Logged(Vec::new()));
        assert_eq!(r.wakes_arrive(WakeSite::HostWait, 2), Arrival::Logged(woken));
    }
}
