//! Shared harness of the integration tests: run a guest natively and under `emu` with the same
//! argv and environment, with a timeout, and compare what they did.
//!
//! The oracle is the native run on an x86-64 Linux host. Elsewhere the outputs recorded by
//! `EMU_BLESS=1 cargo test --test roms` on x86-64 Linux (in `roms/expected/`) stand in for it.

#![allow(dead_code)] // each test crate uses its own part of the harness

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The emulator under test: this package's `emu`, or the binary named by `EMU_UNDER_TEST`
/// (e.g. `target/release/emu`, to run the suite faster against a release build).
pub fn emu() -> PathBuf {
    match std::env::var_os("EMU_UNDER_TEST") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_emu")),
    }
}

/// Whether guests can run natively here, so their native behaviour is the expectation.
pub const NATIVE: bool = cfg!(all(target_arch = "x86_64", target_os = "linux"));

/// How long one guest run may take before it counts as a hang. Generous: the tests run the
/// debug build of emu.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// The repository root (the `emu` package's manifest directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The environment every guest gets (the harness's own is cleared): small and fixed so that
/// outputs do not depend on who runs the tests.
pub const FIXED_ENV: &[(&str, &str)] =
    &[("HOME", "/tmp"), ("LC_ALL", "C"), ("PATH", "/usr/bin:/bin"), ("TZ", "UTC")];

/// How a process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Exit(i32),
    /// Killed by this signal (host numbering, which is Linux's for the signals the roms raise).
    Signal(i32),
    /// Still running at the deadline; it was killed.
    Timeout,
    /// Could not be started at all (the message of the spawn error).
    SpawnError(String),
}

impl Status {
    /// The text stored in `roms/expected/*.status`.
    pub fn to_record(&self) -> String {
        match self {
            Status::Exit(c) => format!("exit {c}"),
            Status::Signal(s) => format!("signal {}", signal_name(*s)),
            Status::Timeout => "timeout".into(),
            Status::SpawnError(e) => format!("spawn error {e}"),
        }
    }

    pub fn from_record(s: &str) -> Status {
        let s = s.trim();
        if let Some(c) = s.strip_prefix("exit ") {
            return Status::Exit(c.parse().expect("bad exit status record"));
        }
        if let Some(name) = s.strip_prefix("signal ") {
            return Status::Signal(signal_number(name).expect("unknown signal name in record"));
        }
        panic!("unusable status record {s:?}");
    }
}

/// Host signal numbers of the signals a guest may die of in these tests.
const SIGNALS: &[(&str, i32)] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    #[cfg(target_os = "linux")]
    ("SIGBUS", 7),
    #[cfg(not(target_os = "linux"))]
    ("SIGBUS", 10),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGSEGV", 11),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    #[cfg(target_os = "linux")]
    ("SIGSYS", 31),
    #[cfg(not(target_os = "linux"))]
    ("SIGSYS", 12),
];

pub fn signal_name(n: i32) -> String {
    SIGNALS.iter().find(|s| s.1 == n).map(|s| s.0.to_string()).unwrap_or_else(|| format!("SIG{n}"))
}

pub fn signal_number(name: &str) -> Option<i32> {
    SIGNALS.iter().find(|s| s.0 == name).map(|s| s.1)
}

/// What one run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub status: Status,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs `cmd` with stdin from /dev/null, collecting stdout and stderr, killing it at `timeout`.
pub fn run(mut cmd: Command, timeout: Duration) -> Outcome {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // Its own process group, so a timeout can kill the guest's children too (one left
    // alive would hold the output pipes open and block the readers below).
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                status: Status::SpawnError(e.to_string()),
                stdout: vec![],
                stderr: vec![],
                elapsed: start.elapsed(),
            }
        }
    };
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait().expect("wait for child") {
            Some(st) => {
                break match (st.code(), st.signal()) {
                    (Some(c), _) => Status::Exit(c),
                    (None, Some(s)) => Status::Signal(s),
                    _ => unreachable!("a process ends by exit or by signal"),
                }
            }
            None if start.elapsed() > timeout => {
                let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
                let _ = child.kill();
                let _ = child.wait();
                break Status::Timeout;
            }
            None => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
        }
    };
    let elapsed = start.elapsed();
    Outcome {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        elapsed,
    }
}

/// A guest invocation: program path as given to exec (relative to `cwd`, or absolute), its
/// arguments, environment and working directory.
#[derive(Clone, Debug)]
pub struct Guest {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
    pub argv0: Option<OsString>,
    pub cwd: PathBuf,
}

impl Guest {
    /// `program` relative to the repository root, run from there with [`FIXED_ENV`].
    pub fn new(program: impl AsRef<OsStr>) -> Guest {
        Guest {
            program: program.as_ref().to_owned(),
            args: vec![],
            env: FIXED_ENV.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))).collect(),
            argv0: None,
            cwd: root(),
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Guest
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets (or replaces) an environment variable of the guest.
    pub fn env(mut self, k: &str, v: &str) -> Guest {
        self.env.retain(|(ek, _)| ek != k);
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn unset_env(mut self, k: &str) -> Guest {
        self.env.retain(|(ek, _)| ek != k);
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Guest {
        self.cwd = dir.into();
        self
    }

    /// The program run directly by the host kernel.
    pub fn native_command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args).env_clear().envs(self.env.iter().map(|(k, v)| (k, v))).current_dir(&self.cwd);
        if let Some(a0) = &self.argv0 {
            c.arg0(a0);
        }
        c
    }

    /// The program run by emu: `emu OPTIONS PROGRAM ARGS...` with the guest's environment as
    /// emu's own (emu passes its environment on). An `argv0` becomes `-0 NAME`.
    pub fn emu_command(&self, emu_options: &[&str]) -> Command {
        let mut c = Command::new(emu());
        c.args(emu_options);
        if let Some(a0) = &self.argv0 {
            c.arg("-0").arg(a0);
        }
        c.arg(&self.program).args(&self.args);
        c.env_clear().envs(self.env.iter().map(|(k, v)| (k, v))).current_dir(&self.cwd);
        c
    }

    pub fn run_native(&self) -> Outcome {
        run(self.native_command(), RUN_TIMEOUT)
    }

    pub fn run_emu(&self, emu_options: &[&str]) -> Outcome {
        run(self.emu_command(emu_options), RUN_TIMEOUT)
    }
}

/// A fresh empty directory under cargo's per-target scratch space
/// (`target/tmp/emu-tests/PID-TAG-N`). Directories of earlier test processes are removed the
/// first time a process asks for one.
/// A deterministic xorshift64 generator for test inputs (same seed, same bytes on every run).
pub fn xorshift64(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

pub fn scratch_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("emu-tests");
    let n = N.fetch_add(1, Ordering::Relaxed);
    if n == 0 {
        remove_stale_scratch(&base);
    }
    let tag: String = tag.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let dir = base.join(format!("{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Removes scratch directories whose process is gone (where /proc tells).
fn remove_stale_scratch(base: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Lines emu itself wrote to stderr (they start with `emu: `).
pub fn emu_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr).lines().filter(|l| l.starts_with("emu: ")).map(str::to_string).collect()
}

/// The guest's own stderr: emu's stderr without emu's `emu: ` lines.
pub fn guest_stderr(stderr: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in stderr.split_inclusive(|&b| b == b'\n') {
        if !line.starts_with(b"emu: ") {
            out.extend_from_slice(line);
        }
    }
    out
}

/// Fails if emu panicked (Rust's panic message or the exit status 101 of a panic).
pub fn assert_no_panic(what: &str, o: &Outcome) {
    let err = o.stderr_text();
    assert!(
        !err.contains("panicked") && o.status != Status::Exit(101),
        "{what}: emu panicked (status {:?}); stderr:\n{err}",
        o.status
    );
}

/// Where the bytes first differ, as a short readable report.
pub fn first_difference(expected: &[u8], got: &[u8]) -> String {
    let exp = String::from_utf8_lossy(expected);
    let got_s = String::from_utf8_lossy(got);
    let (mut el, mut gl) = (exp.lines(), got_s.lines());
    let mut n = 1;
    loop {
        match (el.next(), gl.next()) {
            (Some(a), Some(b)) if a == b => n += 1,
            (None, None) => {
                return format!("same lines, different bytes ({} vs {} bytes)", expected.len(), got.len())
            }
            (a, b) => {
                return format!(
                "first difference at line {n}:\n  expected: {}\n  got:      {}\n({} bytes expected, {} got)",
                a.unwrap_or("<end of output>"),
                b.unwrap_or("<end of output>"),
                expected.len(),
                got.len()
            )
            }
        }
    }
}

/// Asserts that emu behaved as the expectation: same stdout bytes, same guest stderr bytes,
/// same exit status or death by the same signal (announced by one `emu: guest killed by`
/// line). Returns a list of problems instead of panicking so callers can add context.
pub fn compare(expected: &Outcome, emu: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    if emu.stderr_text().contains("panicked") || emu.status == Status::Exit(101) {
        problems.push("emu panicked".to_string());
    }
    if expected.status != emu.status {
        problems.push(format!(
            "status: expected {}, emu gave {}",
            expected.status.to_record(),
            emu.status.to_record()
        ));
    }
    if expected.stdout != emu.stdout {
        problems.push(format!("stdout differs: {}", first_difference(&expected.stdout, &emu.stdout)));
    }
    let guest_err = guest_stderr(&emu.stderr);
    if expected.stderr != guest_err {
        problems.push(format!("guest stderr differs: {}", first_difference(&expected.stderr, &guest_err)));
    }
    let killed: Vec<String> =
        emu_lines(&emu.stderr).into_iter().filter(|l| l.starts_with("emu: guest killed by")).collect();
    match expected.status {
        Status::Signal(s) if dumps_core(s) => {
            let want = format!("emu: guest killed by {}", signal_name(s));
            if killed.len() != 1 || !killed[0].starts_with(&want) {
                problems
                    .push(format!("expected exactly one line starting {want:?} on stderr, got {killed:?}"));
            }
        }
        // Its children's deaths may be announced (their emu is theirs); its own is not.
        Status::Signal(s) => {
            let quiet = format!("emu: guest killed by {}", signal_name(s));
            if killed.iter().any(|l| l.starts_with(&quiet)) {
                problems.push(format!("emu announced a death that leaves no core: {killed:?}"));
            }
        }
        _ => {}
    }
    problems
}

/// Signals whose default action dumps core (signal(7)): the only deaths emu announces, as
/// qemu-user does.
pub fn dumps_core(sig: i32) -> bool {
    matches!(sig, 3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31)
}

/// Panics with a full report when `problems` is not empty.
pub fn report(case: &str, problems: &[String], emu: &Outcome) {
    if problems.is_empty() {
        return;
    }
    let err = emu.stderr_text();
    let tail: String = err.chars().rev().take(2000).collect::<Vec<_>>().into_iter().rev().collect();
    panic!(
        "{case}: emu does not behave like the native program\n- {}\nemu ran {:.2}s; emu stderr (tail):\n{tail}",
        problems.join("\n- "),
        emu.elapsed.as_secs_f64()
    );
}

/// The directory of recorded native outputs.
pub fn expected_dir() -> PathBuf {
    root().join("roms").join("expected")
}

pub fn bless_requested() -> bool {
    std::env::var_os("EMU_BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Records a native outcome as `roms/expected/CASE.{stdout,stderr,status}`.
pub fn record(case: &str, o: &Outcome) {
    let dir = expected_dir();
    std::fs::create_dir_all(&dir).expect("create roms/expected");
    std::fs::write(dir.join(format!("{case}.stdout")), &o.stdout).expect("write expected stdout");
    std::fs::write(dir.join(format!("{case}.stderr")), &o.stderr).expect("write expected stderr");
    std::fs::write(dir.join(format!("{case}.status")), format!("{}\n", o.status.to_record()))
        .expect("write expected status");
}

/// The recorded native outcome of `case`, if one was blessed.
pub fn recorded(case: &str) -> Option<Outcome> {
    let dir = expected_dir();
    let status = std::fs::read_to_string(dir.join(format!("{case}.status"))).ok()?;
    Some(Outcome {
        status: Status::from_record(&status),
        stdout: std::fs::read(dir.join(format!("{case}.stdout"))).ok()?,
        stderr: std::fs::read(dir.join(format!("{case}.stderr"))).unwrap_or_default(),
        elapsed: Duration::ZERO,
    })
}

/// Whether a file exists and is a regular file.
pub fn is_file(p: &Path) -> bool {
    p.metadata().map(|m| m.is_file()).unwrap_or(false)
}
