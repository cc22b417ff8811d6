//! Record and replay (`--record DIR`, `--replay DIR`, `--dump-log DIR`).
//!
//! Recording runs the guest normally and logs every value its world gave (`world`: the
//! [`Recording`] and [`Replaying`] implementations of `crate::world::World`) and the
//! whole effect of every outside-world syscall (`syscall`); replay re-executes the guest
//! from the log alone. The log is a directory: one stream
//! per process (`0.log` for the first, `0.1.log` for its first fork, `0.1.2.log`...) and
//! the contents of the files the loader and file-backed mappings read, stored once by
//! hash under `blobs/`. The layout is documented in FORMAT.md next to this file.

mod codec;
mod event;
mod site;
pub(crate) mod syscall;
mod world;

pub use codec::Hash;
pub use event::End;
use event::{Event, Header, Sys, MAGIC, VERSION};
pub(crate) use syscall::Log;
pub(crate) use world::{record, replay};
pub use world::{Recording, Replaying};

use std::io::Write;
use std::path::{Path, PathBuf};

/// Guest instructions between periodic checkpoints (besides the one at every syscall).
pub const CHECK_PERIOD: u64 = 1 << 24;

/// Exit status of emu for a log it cannot use.
pub const EXIT_BAD_LOG: i32 = 3;
/// Exit status of emu when the replayed run departs from the recorded one.
pub const EXIT_DIVERGED: i32 = 4;

/// A log that cannot be written or used.
#[derive(Debug)]
pub enum LogError {
    Io(PathBuf, std::io::Error),
    NotALog(PathBuf),
    Version(PathBuf, u32),
    Damaged(PathBuf, usize, &'static str),
    MissingBlob(PathBuf),
    BadBlob(PathBuf),
    Mismatch(String),
}

impl std::fmt::Display for LogError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            LogError::Io(p, e) => write!(f, "replay log {}: {e}", p.display()),
            LogError::NotALog(p) => write!(f, "{}: not an emu replay log", p.display()),
            LogError::Version(p, v) => {
                write!(f, "{}: replay log format version {v}, this emu reads version {VERSION}", p.display())
            }
            LogError::Damaged(p, off, what) => write!(f, "replay log {}: {what} at byte {off}", p.display()),
            LogError::MissingBlob(p) => write!(f, "replay log: file contents {} are missing", p.display()),
            LogError::BadBlob(p) => write!(f, "replay log: file contents {} are corrupt", p.display()),
            LogError::Mismatch(m) => write!(f, "{m}"),
        }
    }
}

impl LogError {
    pub fn exit_status(&self) -> i32 {
        match self {
            LogError::Mismatch(_) => 2,
            _ => EXIT_BAD_LOG,
        }
    }
}

fn stream_path(dir: &Path, stream: &str) -> PathBuf {
    dir.join(format!("{stream}.log"))
}

fn blob_path(dir: &Path, h: &Hash) -> PathBuf {
    dir.join("blobs").join(h.hex())
}

// ---- recording ----

/// Writes one process's stream.
pub struct Recorder {
    dir: PathBuf,
    stream: String,
    forks: u32,
    file: Option<std::fs::File>,
    buf: Vec<u8>,
    known: hashbrown::HashSet<[u8; 16]>,
    pub(crate) pid: i32,
    failed: bool,
    /// Instruction count of the next periodic checkpoint.
    pub(crate) next_check: u64,
    /// Host pids of the children this process forked (a SIGKILL to them is sent so that
    /// they can log it: `Recording::kill`).
    pub(crate) children: Vec<i32>,
    /// Inside a syscall whose whole effect is recorded: the world's answers are part of
    /// it and not logged on their own.
    pub(crate) quiet: bool,
}

impl Recorder {
    pub(crate) fn create(
        dir: &Path,
        program: &[u8],
        argv: &[Vec<u8>],
        env: &[Vec<u8>],
        cwd: &[u8],
        pid: i32,
        ppid: i32,
    ) -> Result<Recorder, LogError> {
        let io = |e| LogError::Io(dir.to_path_buf(), e);
        std::fs::create_dir_all(dir.join("blobs")).map_err(io)?;
        // The guest's chdir moves emu's host directory too: a relative log path would
        // then name another place.
        let dir = &std::fs::canonicalize(dir).map_err(io)?;
        // A previous recording in the same directory is replaced.
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                if e.file_name().to_string_lossy().ends_with(".log") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let prog_path = crate::path::bytes_to_path(&crate::path::join(cwd, program));
        let program_hash = std::fs::read(&prog_path).map(|b| Hash::of(&b)).unwrap_or_default();
        let mut r = Recorder {
            dir: dir.to_path_buf(),
            stream: "0".into(),
            forks: 0,
            file: None,
            buf: Vec::new(),
            known: Default::default(),
            pid,
            failed: false,
            next_check: CHECK_PERIOD,
            children: Vec::new(),
            quiet: false,
        };
        r.open_stream().map_err(io)?;
        r.push(&Event::Header(Header {
            emu_version: env!("CARGO_PKG_VERSION").into(),
            stream: r.stream.clone(),
            pid,
            ppid,
            program: program.to_vec(),
            program_hash,
            argv: argv.to_vec(),
            env: env.to_vec(),
            cwd: cwd.to_vec(),
        }));
        Ok(r)
    }

    fn open_stream(&mut self) -> std::io::Result<()> {
        let mut f = std::fs::File::create(stream_path(&self.dir, &self.stream))?;
        f.write_all(MAGIC)?;
        f.write_all(&VERSION.to_le_bytes())?;
        self.file = Some(f);
        Ok(())
    }

    fn push(&mut self, ev: &Event) {
        codec::frame(&mut self.buf, &ev.encode());
        // The log is durable up to the last outside-world syscall, checkpoint or signal:
        // a process killed by SIGKILL from outside leaves a stream that replays up to
        // there (the tail after it holds only what replay re-executes anyway).
        let durable = matches!(
            ev,
            Event::Syscall(Sys { effect: Some(_), .. }) | Event::Check { .. } | Event::Signal { .. }
        );
        if durable || self.buf.len() > 1 << 16 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.buf.is_empty() || self.failed {
            self.buf.clear();
            return;
        }
        if let Some(f) = &mut self.file {
            if let Err(e) = f.write_all(&self.buf) {
                log::error!(
                    "recording stopped: cannot write {}: {e}",
                    stream_path(&self.dir, &self.stream).display()
                );
                self.failed = true;
            }
        }
        self.buf.clear();
    }

    /// Stores `data` once under its hash.
    fn blob(&mut self, data: &[u8]) -> Hash {
        let h = Hash::of(data);
        if self.known.insert(h.0) {
            let path = blob_path(&self.dir, &h);
            if !path.exists() {
                // Another process of the tree may store the same contents at the same
                // time: write aside, then rename into place.
                let tmp = self.dir.join("blobs").join(format!(".{}.{}", h.hex(), self.pid));
                if let Err(e) = std::fs::write(&tmp, data).and_then(|_| std::fs::rename(&tmp, &path)) {
                    log::error!("recording: cannot store file contents in {}: {e}", path.display());
                }
            }
        }
        h
    }

    pub(crate) fn values(&mut self, v: &[u64]) {
        self.push(&Event::Values(v.to_vec()));
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.push(&Event::Bytes(b.to_vec()));
    }

    pub(crate) fn elf(&mut self, path: &Path, r: &Result<emu_loader::ElfFile, emu_loader::LoadError>) {
        let ev = match r {
            Ok(_) => match std::fs::read(path) {
                Ok(data) => Event::Elf(Ok(self.blob(&data))),
                Err(e) => Event::Elf(Err((9, e.to_string()))),
            },
            Err(e) => Event::Elf(Err(load_error_kind(e))),
        };
        self.push(&ev);
    }

    pub(crate) fn head(&mut self, r: &std::io::Result<Vec<u8>>) {
        let ev = Event::Head(match r {
            Ok(b) => Ok(b.clone()),
            Err(e) => Err(e.to_string()),
        });
        self.push(&ev);
    }

    pub(crate) fn mapping(&mut self, r: &Result<(Vec<u8>, u64, u64), i32>) {
        let ev = Event::Mapping(match r {
            Ok((data, dev, ino)) => Ok((self.blob(data), *dev, *ino)),
            Err(e) => Err(*e),
        });
        self.push(&ev);
    }

    pub(crate) fn check(&mut self, icount: u64, rip: u64, regs: u32) {
        self.push(&Event::Check { icount, rip, regs });
    }

    pub(crate) fn signal(&mut self, icount: u64, raised: Vec<event::SigRec>) {
        self.push(&Event::Signal { icount, raised });
    }

    pub(crate) fn wakes(&mut self, site: u8, changes: Vec<(u32, u64, u64)>) {
        self.push(&Event::Wakes { site, changes });
    }

    pub(crate) fn syscall(&mut self, s: Sys) {
        self.push(&Event::Syscall(s));
    }

    pub(crate) fn before_fork(&mut self) {
        self.forks += 1;
        self.flush();
    }

    /// In the child of a fork: continue in a stream of its own.
    pub(crate) fn in_child(&mut self, pid: i32, ppid: i32) -> Result<(), LogError> {
        self.buf.clear();
        self.stream = format!("{}.{}", self.stream, self.forks);
        self.forks = 0;
        self.children.clear();
        self.pid = pid;
        self.open_stream().map_err(|e| LogError::Io(stream_path(&self.dir, &self.stream), e))?;
        let h = Header {
            emu_version: env!("CARGO_PKG_VERSION").into(),
            stream: self.stream.clone(),
            pid,
            ppid,
            ..Default::default()
        };
        self.push(&Event::Header(h));
        Ok(())
    }

    pub(crate) fn finish(&mut self, end: End) {
        self.push(&Event::End(end));
        self.flush();
    }
}

/// LoadError variants as a kind number and message, enough to rebuild the error.
fn load_error_kind(e: &emu_loader::LoadError) -> (u8, String) {
    use emu_loader::LoadError as L;
    let k = match e {
        L::NotFound(_) => 0,
        L::IsDirectory(_) => 1,
        L::NotExecutable(_) => 2,
        L::NotElf(_) => 3,
        _ => 9,
    };
    (k, e.to_string())
}

fn load_error_from(kind: u8, msg: &str, path: &Path) -> emu_loader::LoadError {
    use emu_loader::LoadError as L;
    let p = path.to_path_buf();
    match kind {
        0 => L::NotFound(p),
        1 => L::IsDirectory(p),
        2 => L::NotExecutable(p),
        3 => L::NotElf(p),
        _ => L::Io(p, std::io::Error::other(msg.to_string())),
    }
}

// ---- replaying ----

/// Reads one process's stream back.
pub struct Player {
    dir: PathBuf,
    stream: String,
    events: Vec<Event>,
    pos: usize,
    forks: u32,
    pub(crate) pid: i32,
    pub(crate) cwd: Vec<u8>,
    /// (recorded pid, host pid) of children forked during replay.
    pub(crate) children: Vec<(i32, i32)>,
    /// A changed main program to run instead of the recorded one (the first file the
    /// loader opens).
    program: Option<PathBuf>,
    /// The last syscall that matched the recording: (nr, instruction count, rip).
    matched: Option<(u64, u64, u64)>,
    /// The stream has no end record: its process was killed by SIGKILL from outside
    /// while recording (or the log was cut at a record boundary).
    open_end: bool,
    /// Instruction count of the next periodic checkpoint, as the recorder counted.
    next_check: u64,
    /// The process's instruction count at the last CPU stop (for reports).
    pub(crate) now: u64,
    /// Where the guest is (for reports).
    pub(crate) site: site::Site,
}

/// Loads and checks a whole stream.
fn load_stream(dir: &Path, stream: &str) -> Result<(Header, Vec<Event>), LogError> {
    let path = stream_path(dir, stream);
    let data = std::fs::read(&path).map_err(|e| LogError::Io(path.clone(), e))?;
    if data.len() < 12 || &data[..8] != MAGIC {
        return Err(LogError::NotALog(path));
    }
    let version = u32::from_le_bytes(data[8..12].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(LogError::Version(path, version));
    }
    let frames =
        codec::frames(&data[12..], 12).map_err(|(off, what)| LogError::Damaged(path.clone(), off, what))?;
    let mut events = Vec::with_capacity(frames.len());
    for (off, payload) in frames {
        events.push(Event::decode(payload).map_err(|what| LogError::Damaged(path.clone(), off, what))?);
    }
    // Every process writes an end record when it ends; a stream without one (cut at a
    // frame boundary: its process was killed by SIGKILL from outside) replays up to its
    // last record (`Player::open`).
    match events.first() {
        Some(Event::Header(h)) => Ok((h.clone(), events)),
        _ => Err(LogError::Damaged(path, 12, "missing header")),
    }
}

/// The program, argv, env and cwd a log recorded (for `--replay`).
pub struct Recorded {
    pub program: Vec<u8>,
    /// Hash of the program file's contents when recorded.
    pub program_hash: Hash,
    pub argv: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
    pub cwd: Vec<u8>,
}

/// Opens a log for replay and returns what it recorded.
pub fn open(dir: &Path) -> Result<Recorded, LogError> {
    if !dir.is_dir() {
        return Err(if dir.exists() {
            LogError::NotALog(dir.to_path_buf())
        } else {
            LogError::Io(dir.to_path_buf(), std::io::Error::from(std::io::ErrorKind::NotFound))
        });
    }
    let (h, _) = load_stream(dir, "0")?;
    Ok(Recorded { program: h.program, program_hash: h.program_hash, argv: h.argv, env: h.env, cwd: h.cwd })
}

fn bad_log(e: LogError) -> ! {
    eprintln!("emu: {e}");
    crate::host::exit_now(e.exit_status())
}

impl Player {
    pub(crate) fn open_root(dir: &Path, program: Option<PathBuf>) -> Result<Player, LogError> {
        // Absolute, as the recorder's (see `Recorder::create`).
        let dir = &std::fs::canonicalize(dir).map_err(|e| LogError::Io(dir.to_path_buf(), e))?;
        let mut p = Player::open(dir, "0")?;
        p.program = program;
        Ok(p)
    }

    fn open(dir: &Path, stream: &str) -> Result<Player, LogError> {
        let (h, events) = load_stream(dir, stream)?;
        let open_end = !matches!(events.last(), Some(Event::End(_)));
        if open_end {
            eprintln!(
                "emu: replay: {} has no end record: its process was killed (SIGKILL from outside) while \
                 recording, or the log was cut; it is replayed up to there, then killed",
                stream_path(dir, stream).display()
            );
        }
        Ok(Player {
            dir: dir.to_path_buf(),
            stream: stream.into(),
            events,
            pos: 1,
            forks: 0,
            pid: h.pid,
            cwd: h.cwd,
            children: Vec::new(),
            program: None,
            matched: None,
            open_end,
            next_check: CHECK_PERIOD,
            now: 0,
            site: site::Site::default(),
        })
    }

    /// Says why replay cannot go on and ends emu.
    /// `what` says what differed; the report adds the instruction count and where the
    /// guest is (rip and symbol).
    pub(crate) fn diverged(&self, what: String) -> ! {
        eprintln!("emu: replay diverged at instruction {}, {}: {what}", self.now, self.site.here());
        crate::host::exit_now(EXIT_DIVERGED)
    }

    fn peek(&self) -> Option<&Event> {
        self.events.get(self.pos)
    }

    fn next(&mut self, want: &str) -> Event {
        match self.events.get(self.pos) {
            Some(e) => {
                self.pos += 1;
                e.clone()
            }
            // The process was killed from outside while recording, at the latest here.
            None if self.open_end => crate::host::die_by_signal(crate::abi::signal::SIGKILL),
            None => self.diverged(format!(
                "the guest asked for {want}, the recording of this process ends before ({})",
                stream_path(&self.dir, &self.stream).display(),
            )),
        }
    }

    fn unexpected(&self, want: &str, got: &Event) -> ! {
        self.diverged(format!(
            "the guest asked for {want}, the log has {} (record {} of {})",
            describe(got),
            self.pos - 1,
            stream_path(&self.dir, &self.stream).display()
        ))
    }

    pub(crate) fn values(&mut self, n: usize) -> Vec<u64> {
        match self.next("a value") {
            Event::Values(v) if v.len() == n => v,
            e => self.unexpected("a value", &e),
        }
    }

    pub(crate) fn bytes(&mut self) -> Vec<u8> {
        match self.next("random bytes") {
            Event::Bytes(b) => b,
            e => self.unexpected("random bytes", &e),
        }
    }

    fn read_blob(&self, h: &Hash) -> Vec<u8> {
        let path = blob_path(&self.dir, h);
        match std::fs::read(&path) {
            Ok(b) if Hash::of(&b) == *h => b,
            Ok(_) => bad_log(LogError::BadBlob(path)),
            Err(_) => bad_log(LogError::MissingBlob(path)),
        }
    }

    pub(crate) fn elf(&mut self, path: &Path) -> Result<emu_loader::ElfFile, emu_loader::LoadError> {
        match self.next("a program file") {
            Event::Elf(Ok(_)) if self.program.is_some() => {
                let p = self.program.take().expect("checked");
                emu_loader::ElfFile::open(&p)
            }
            Event::Elf(Ok(h)) => emu_loader::ElfFile::parse(path, self.read_blob(&h)),
            Event::Elf(Err((k, m))) => Err(load_error_from(k, &m, path)),
            e => self.unexpected("a program file", &e),
        }
    }

    pub(crate) fn head(&mut self) -> std::io::Result<Vec<u8>> {
        match self.next("a script's first line") {
            Event::Head(Ok(b)) => Ok(b),
            Event::Head(Err(m)) => Err(std::io::Error::other(m)),
            e => self.unexpected("a script's first line", &e),
        }
    }

    pub(crate) fn mapping(&mut self) -> Result<(Vec<u8>, u64, u64), i32> {
        match self.next("a file mapping") {
            Event::Mapping(Ok((h, dev, ino))) => Ok((self.read_blob(&h), dev, ino)),
            Event::Mapping(Err(e)) => Err(e),
            e => self.unexpected("a file mapping", &e),
        }
    }

    /// The instruction count of the next asynchronous event (for a process killed while
    /// recording, the checkpoint it did not live to record, after its last record).
    pub(crate) fn next_async(&self) -> Option<u64> {
        match self.peek() {
            Some(Event::Signal { icount, .. } | Event::Check { icount, .. }) => Some(*icount),
            None if self.open_end => Some(self.next_check),
            _ => None,
        }
    }

    /// Every record was used and the stream has no end: the process was killed.
    pub(crate) fn exhausted(&self) -> bool {
        self.open_end && self.pos >= self.events.len()
    }

    /// The process, killed while recording, must die at `now`: its records are used up
    /// and it reached the checkpoint the recorder would have logged (and flushed) had
    /// the process lived that long.
    pub(crate) fn killed_by(&self, now: u64) -> bool {
        self.exhausted() && now >= self.next_check
    }

    pub(crate) fn signal_at(&self, now: u64) -> bool {
        match self.peek() {
            Some(Event::Signal { icount, .. }) if *icount < now => self.diverged(format!(
                "a signal was recorded at instruction {icount}, which this run passed without stopping"
            )),
            Some(Event::Signal { icount, .. }) => *icount == now,
            _ => false,
        }
    }

    /// The checkpoint at `now`, if the log has one there (consumed).
    pub(crate) fn take_check(&mut self, now: u64) -> Option<(u64, u32)> {
        match self.peek() {
            Some(Event::Check { icount, rip, .. }) if *icount < now => self.diverged(format!(
                "the recording passed a checkpoint at instruction {icount} (rip {}), this run did not stop \
                 there",
                self.site.addr(*rip)
            )),
            Some(Event::Check { icount, rip, regs }) if *icount == now => {
                let r = (*rip, *regs);
                self.next_check = now + CHECK_PERIOD;
                self.pos += 1;
                Some(r)
            }
            _ => None,
        }
    }

    /// The signals recorded as arriving at `now`.
    pub(crate) fn take_signal(&mut self, now: u64) -> Vec<event::SigRec> {
        if !self.signal_at(now) {
            return Vec::new();
        }
        match self.next("a signal") {
            Event::Signal { raised, .. } => raised,
            e => self.unexpected("a signal", &e),
        }
    }

    /// The scheduler's wake-ups at `site`, if the log has them next.
    pub(crate) fn wakes(&mut self, site: u8) -> Vec<(u32, u64, u64)> {
        match self.peek() {
            Some(Event::Wakes { site: s, .. }) if *s == site => match self.next("wake-ups") {
                Event::Wakes { changes, .. } => changes,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    pub(crate) fn syscall(&mut self, nr: u64, icount: u64, rip: u64, regs: u32, args: &[u64; 6]) -> Sys {
        let s = match self.next("a syscall") {
            Event::Syscall(s) => s,
            e => self.diverged(format!(
                "the guest made syscall {} ({nr}), the log has {} (record {} of {})",
                crate::sys::name(nr).unwrap_or("?"),
                describe(&e),
                self.pos - 1,
                stream_path(&self.dir, &self.stream).display()
            )),
        };
        if s.nr != nr || s.icount != icount || s.rip != rip || s.regs != regs || s.args != *args {
            let mut what = Vec::new();
            if s.nr != nr {
                what.push(format!(
                    "number {nr}, recorded {} ({})",
                    crate::sys::name(s.nr).unwrap_or("?"),
                    s.nr
                ));
            }
            if s.icount != icount {
                what.push(format!("instruction count {icount}, recorded {}", s.icount));
            }
            if s.rip != rip {
                what.push(format!(
                    "syscall made at {}, recorded at {}",
                    self.site.addr(rip),
                    self.site.addr(s.rip)
                ));
            }
            const ARG: [&str; 6] = ["rdi", "rsi", "rdx", "r10", "r8", "r9"];
            let args: Vec<String> = (0..6)
                .filter(|&i| s.nr == nr && s.args[i] != args[i])
                .map(|i| format!("argument {} ({}) {:#x}, recorded {:#x}", i + 1, ARG[i], args[i], s.args[i]))
                .collect();
            if !args.is_empty() {
                what.push(args.join(", "));
            } else if s.regs != regs {
                what.push(format!(
                    "registers differ (hash {regs:08x}, recorded {:08x}): the syscall's arguments or the \
                     program's state departed from the recording",
                    s.regs
                ));
            }
            let since = match self.matched {
                Some((n, ic, r)) => format!(
                    "; the run matched the recording up to the previous syscall, {} at instruction {ic}, {}",
                    crate::sys::name(n).unwrap_or("?"),
                    self.site.addr(r)
                ),
                None => "; this is the process's first syscall".into(),
            };
            self.diverged(format!(
                "syscall {}: {}{since}",
                crate::sys::name(nr).unwrap_or("?"),
                what.join("; ")
            ));
        }
        self.matched = Some((nr, icount, rip));
        s
    }

    pub(crate) fn before_fork(&mut self) {
        self.forks += 1;
    }

    pub(crate) fn in_child(&mut self) -> Result<(), LogError> {
        let stream = format!("{}.{}", self.stream, self.forks);
        let mut child = Player::open(&self.dir, &stream)?;
        // The child goes on from where its parent was.
        child.now = self.now;
        child.site = std::mem::take(&mut self.site);
        *self = child;
        Ok(())
    }

    pub(crate) fn check_end(&mut self, end: End) {
        if self.exhausted() {
            return;
        }
        if let Some(Event::End(rec)) = self.peek() {
            if *rec != end {
                self.diverged(format!("the process ended with {end:?}, recorded {rec:?}"));
            }
        }
    }
}

fn describe(e: &Event) -> String {
    match e {
        Event::Syscall(s) => format!(
            "syscall {} ({}) at instruction {}, rip {:#x}",
            crate::sys::name(s.nr).unwrap_or("?"),
            s.nr,
            s.icount,
            s.rip
        ),
        Event::Header(_) => "a header".into(),
        Event::Values(_) => "a value".into(),
        Event::Bytes(_) => "random bytes".into(),
        Event::Elf(_) => "a program file".into(),
        Event::Head(_) => "a script's first line".into(),
        Event::Mapping(_) => "a file mapping".into(),
        Event::Signal { icount, .. } => format!("a signal at instruction {icount}"),
        Event::Check { icount, .. } => format!("a checkpoint at instruction {icount}"),
        Event::Wakes { .. } => "thread wake-ups".into(),
        Event::End(e) => format!("the end of the process ({e:?})"),
    }
}

// ---- --dump-log ----

fn show(b: &[u8]) -> String {
    let s: String = String::from_utf8_lossy(&b[..b.len().min(64)]).escape_debug().collect();
    if b.len() > 64 {
        format!("\"{s}\"... ({} bytes)", b.len())
    } else {
        format!("\"{s}\"")
    }
}

/// Prints every stream of a log readably.
pub fn dump(dir: &Path, out: &mut dyn Write) -> Result<(), LogError> {
    open(dir)?;
    let mut streams: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| LogError::Io(dir.to_path_buf(), e))?
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".log").map(String::from))
        .collect();
    streams.sort_by_key(|s| s.split('.').map(|n| n.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>());
    let io = |e| LogError::Io(dir.to_path_buf(), e);
    for s in streams {
        let (_, events) = load_stream(dir, &s)?;
        writeln!(out, "== stream {s} ({} records)", events.len()).map_err(io)?;
        for ev in &events {
            dump_event(ev, out).map_err(io)?;
        }
        if !matches!(events.last(), Some(Event::End(_))) {
            writeln!(out, "no end: killed by SIGKILL from outside while recording (or the stream was cut)")
                .map_err(io)?;
        }
    }
    Ok(())
}

fn dump_event(ev: &Event, out: &mut dyn Write) -> std::io::Result<()> {
    match ev {
        Event::Header(h) => {
            writeln!(out, "header: emu {} stream {} pid {} ppid {}", h.emu_version, h.stream, h.pid, h.ppid)?;
            if !h.program.is_empty() {
                writeln!(out, "  program {} (hash {})", show(&h.program), h.program_hash.hex())?;
                writeln!(out, "  cwd {}", show(&h.cwd))?;
                for a in &h.argv {
                    writeln!(out, "  argv {}", show(a))?;
                }
                writeln!(out, "  env: {} variables", h.env.len())?;
            }
        }
        Event::Syscall(s) => {
            let name = crate::sys::name(s.nr).unwrap_or("?");
            match &s.effect {
                None => writeln!(out, "@{} {name} (rip {:#x}) re-executed", s.icount, s.rip)?,
                Some(x) => {
                    write!(out, "@{} {name} (rip {:#x}) = {}", s.icount, s.rip, x.rax as i64)?;
                    if x.park != 0 {
                        write!(out, " [parked]")?;
                    }
                    writeln!(out)?;
                    for (a, b) in &x.writes {
                        writeln!(out, "    wrote {a:#x}: {}", show(b))?;
                    }
                    for c in &x.fds {
                        match c {
                            event::FdChange::Closed(fd) => writeln!(out, "    fd {fd} closed")?,
                            event::FdChange::New { fd, path, .. } => {
                                let p = path.as_deref().map(show).unwrap_or_default();
                                writeln!(out, "    fd {fd} opened {p}")?
                            }
                            event::FdChange::Dup { fd, from, .. } => {
                                writeln!(out, "    fd {fd} = fd {from}")?
                            }
                        }
                    }
                    for r in &x.raised {
                        writeln!(out, "    raised {}", crate::abi::signal::name(r.signo))?;
                    }
                }
            }
        }
        Event::Values(v) => writeln!(out, "value {v:?}")?,
        Event::Bytes(b) => writeln!(out, "random {} bytes", b.len())?,
        Event::Elf(Ok(h)) => writeln!(out, "load file {}", h.hex())?,
        Event::Elf(Err((_, m))) => writeln!(out, "load file failed: {m}")?,
        Event::Head(r) => writeln!(out, "read script head: {:?}", r.as_ref().map(|b| show(b)))?,
        Event::Mapping(Ok((h, _, _))) => writeln!(out, "map file contents {}", h.hex())?,
        Event::Mapping(Err(e)) => writeln!(out, "map file failed: errno {e}")?,
        Event::Signal { icount, raised } => {
            let s: Vec<String> = raised.iter().map(|r| crate::abi::signal::name(r.signo)).collect();
            writeln!(out, "@{icount} signals {}", s.join(" "))?
        }
        Event::Check { icount, rip, regs } => {
            writeln!(out, "@{icount} checkpoint rip {rip:#x} registers {regs:08x}")?
        }
        Event::Wakes { site, changes } => writeln!(out, "wake-ups (site {site}): {changes:?}")?,
        Event::End(e) => writeln!(out, "end: {e:?}")?,
    }
    Ok(())
}
