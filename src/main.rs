//! The `emu` command line: parse options, build the guest's argv and environment, run
//! the program, and end the way the guest ended (same exit status, or the same signal).

use clap::Parser;
use emu_kernel::trace::TraceOptions;
use emu_kernel::world::Mode;
use emu_kernel::{Config, Guest, Outcome};
use std::ffi::OsString;
use std::path::PathBuf;

/// Run an x86-64 Linux program in emu's emulated CPU and kernel.
#[derive(Parser, Debug)]
#[command(name = "emu", version, about, long_about = None)]
struct Cli {
    /// Resolve absolute guest paths under DIR first (falling back to the host path)
    #[arg(short = 'L', long = "sysroot", value_name = "DIR", env = "EMU_SYSROOT")]
    sysroot: Option<PathBuf>,

    /// Run the guest jailed in DIR: every path resolves inside DIR (`..`, symlinks and
    /// /proc cannot leave it), with no fallback to host paths
    #[arg(long = "chroot", value_name = "DIR", conflicts_with = "sysroot")]
    chroot: Option<PathBuf>,

    /// Set VAR=VALUE in the guest's environment (repeatable)
    #[arg(short = 'E', long = "env", value_name = "VAR=VALUE")]
    env: Vec<String>,

    /// Remove VAR from the guest's environment (repeatable)
    #[arg(short = 'U', long = "unset-env", value_name = "VAR")]
    unset_env: Vec<String>,

    /// Pass NAME as argv[0] instead of PROGRAM
    #[arg(short = '0', long = "argv0", value_name = "NAME")]
    argv0: Option<OsString>,

    /// Log more about what emu does (repeat for more detail)
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    verbose: u8,

    /// Print a summary when each guest process ends: instructions, blocks, syscalls by
    /// name, guest MIPS, wall time, memory
    #[arg(long = "stats")]
    stats: bool,

    /// The JIT tier: on (hot blocks are translated to host code), off (interpreter only),
    /// or force (every block translated before it first runs; for testing). Default: the
    /// EMU_JIT environment variable, else on (where the host is x86-64 or aarch64)
    #[arg(long = "jit", value_name = "MODE", value_parser = ["on", "off", "force"])]
    jit: Option<String>,

    /// Print one line per guest syscall, as strace does
    #[arg(long = "strace")]
    strace: bool,

    /// How many bytes of strings and buffers --strace shows (default 32)
    #[arg(long = "strace-strlen", value_name = "N")]
    strace_strlen: Option<usize>,

    /// Print the guest's memory map (as /proc/self/maps) when each process ends
    #[arg(long = "maps")]
    maps: bool,

    /// Write all trace output (--strace, --trace, --maps, --stats) to FILE instead of stderr
    #[arg(long = "trace-file", value_name = "FILE")]
    trace_file: Option<PathBuf>,

    /// Trace output format: text, or json (JSON Lines, one object per record)
    #[arg(long = "trace-format", value_name = "FORMAT", default_value = "text")]
    trace_format: emu_kernel::trace::Format,

    /// Trace KINDS (comma list): insn (every instruction), block (every block entered),
    /// plt (the story of each call through a PLT stub or GOT slot), mmap (address-space
    /// changes)
    #[arg(long = "trace", value_name = "KINDS")]
    trace: Option<String>,

    /// Instruction syntax for --trace=insn: att (like objdump -d) or intel
    #[arg(long = "syntax", value_name = "SYNTAX", default_value = "att")]
    syntax: emu_kernel::trace::Syntax,

    /// With --trace=insn: end each instruction's line with the registers it changed
    #[arg(long = "trace-regs")]
    trace_regs: bool,

    /// Trace only instructions inside symbol NAME (or OBJECT!NAME)
    #[arg(long = "trace-symbol", value_name = "NAME")]
    trace_symbol: Option<String>,

    /// Trace only instructions with addresses in START-END (hex with 0x, or decimal)
    #[arg(long = "trace-range", value_name = "START-END")]
    trace_range: Option<String>,

    /// Trace from the N-th executed instruction on
    #[arg(long = "trace-start", value_name = "N", default_value_t = 0)]
    trace_start: u64,

    /// Trace at most N instructions (counted from --trace-start)
    #[arg(long = "trace-limit", value_name = "N")]
    trace_limit: Option<u64>,

    /// Report every write to LOC (address, symbol[+off], or got:NAME), LEN bytes (repeatable)
    #[arg(long = "watch", value_name = "LOC[:LEN]")]
    watch: Vec<String>,

    /// With --watch: report reads too
    #[arg(long = "watch-reads")]
    watch_reads: bool,

    /// On a crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE), print the last 16 instructions and the
    /// memory map (default: on when any trace output other than --stats is asked for; =false turns it off)
    #[arg(long = "crash-report", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    crash_report: Option<bool>,

    /// Write a profile by guest instruction count: folded stacks, or an SVG flame graph
    /// when FILE ends in .svg
    #[arg(long = "profile", value_name = "FILE")]
    profile: Option<PathBuf>,

    /// Closed world: virtual time from a fixed epoch advancing with guest instructions,
    /// seeded randomness, pids from 1000, fixed uname; same inputs give the same run
    #[arg(long = "deterministic", conflicts_with_all = ["record", "replay"])]
    deterministic: bool,

    /// Seed of --deterministic's randomness (getrandom, AT_RANDOM, /dev/urandom)
    #[arg(long = "seed", value_name = "N", default_value_t = 0, requires = "deterministic")]
    seed: u64,

    /// Run normally and record everything that crossed from the outside world into the
    /// log directory DIR (one stream per process, file contents under DIR/blobs)
    #[arg(long = "record", value_name = "DIR", conflicts_with = "replay")]
    record: Option<PathBuf>,

    /// Wait for gdb (`target remote :PORT`) on 127.0.0.1:PORT before the first guest
    /// instruction, and run the guest under its control
    #[arg(long = "gdb", value_name = "PORT")]
    gdb: Option<u16>,

    /// Re-execute the run recorded in DIR from the log alone (PROGRAM and ARGS, if given,
    /// must match the recording)
    #[arg(long = "replay", value_name = "DIR")]
    replay: Option<PathBuf>,

    /// Print the replay log in DIR readably and exit
    #[arg(long = "dump-log", value_name = "DIR", conflicts_with_all = ["record", "replay"])]
    dump_log: Option<PathBuf>,

    /// The x86-64 Linux program to run, then the arguments passed to it untouched
    #[arg(value_name = "PROGRAM [ARGS]", required_unless_present_any = ["replay", "dump_log"])]
    command: Vec<OsString>,
}

/// Options that take a value, so that the value is not mistaken for PROGRAM.
const VALUE_OPTS: &[&str] = &[
    "--seed",
    "--record",
    "--replay",
    "--gdb",
    "--dump-log",
    "-L",
    "--sysroot",
    "--chroot",
    "-E",
    "--env",
    "-U",
    "--unset-env",
    "-0",
    "--argv0",
    "--trace-file",
    "--trace-format",
    "--trace",
    "--syntax",
    "--trace-symbol",
    "--trace-range",
    "--trace-start",
    "--trace-limit",
    "--watch",
    "--profile",
    "--strace-strlen",
];

/// Splits emu's command line at PROGRAM: everything from PROGRAM on belongs to the guest
/// and must not be interpreted by emu's option parser (`emu prog --help` runs prog --help).
fn split_at_program(args: &[OsString]) -> (Vec<OsString>, Vec<OsString>) {
    let mut i = 1;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        if a == "--" {
            return (args[..i].to_vec(), args[i + 1..].to_vec());
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        i += if VALUE_OPTS.contains(&a.as_ref()) { 2 } else { 1 };
    }
    let i = i.min(args.len());
    (args[..i].to_vec(), args[i..].to_vec())
}

fn bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.as_encoded_bytes().to_vec()
}

/// The guest environment: emu's own, edited by -E and -U, in order.
fn guest_env(cli: &Cli) -> Result<Vec<Vec<u8>>, String> {
    let mut env: Vec<(Vec<u8>, Vec<u8>)> = std::env::vars_os().map(|(k, v)| (bytes(&k), bytes(&v))).collect();
    for u in &cli.unset_env {
        env.retain(|(k, _)| k != u.as_bytes());
    }
    for e in &cli.env {
        let Some((k, v)) = e.split_once('=') else {
            return Err(format!("--env expects VAR=VALUE, got '{e}'"));
        };
        if k.is_empty() {
            return Err(format!("--env expects VAR=VALUE, got '{e}'"));
        }
        match env.iter_mut().find(|(ek, _)| ek == k.as_bytes()) {
            Some(slot) => slot.1 = v.as_bytes().to_vec(),
            None => env.push((k.as_bytes().to_vec(), v.as_bytes().to_vec())),
        }
    }
    Ok(env.into_iter().map(|(k, v)| [k, b"=".to_vec(), v].concat()).collect())
}

/// PROGRAM as a path: used as is when it contains a slash, else looked up in PATH like
/// a shell does (inside the jail with --chroot).
fn locate(program: &std::ffi::OsStr, env: &[Vec<u8>], jail: Option<&PathBuf>) -> Option<Vec<u8>> {
    let p = bytes(program);
    if p.contains(&b'/') {
        return Some(p);
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix(b"PATH=").map(|v| v.to_vec()))
        .unwrap_or_else(|| b"/usr/local/bin:/usr/bin:/bin".to_vec());
    for dir in path.split(|&b| b == b':') {
        let dir = if dir.is_empty() { &b"."[..] } else { dir };
        let cand = [dir, b"/", &p].concat();
        let os = match jail {
            Some(j) => {
                let guest = emu_kernel::path::join(b"/", &cand);
                emu_kernel::path::bytes_to_path(&emu_kernel::path::Sysroot::jail(j.clone()).host_path(&guest))
            }
            None => emu_kernel::path::bytes_to_path(&cand),
        };
        if os.is_file() {
            return Some(cand);
        }
    }
    None
}

/// The tracing options, checked: a bad kind, range or watch is a usage error.
fn trace_options(cli: &Cli) -> Result<TraceOptions, String> {
    use emu_kernel::trace::{parse_watch, Filter, Kinds};
    let kinds = match &cli.trace {
        Some(list) => Kinds::parse(list, TraceOptions::IMPLEMENTED).map_err(|e| format!("--trace: {e}"))?,
        None => Kinds::default(),
    };
    if cli.trace_regs && !kinds.contains(Kinds::INSN) {
        return Err("--trace-regs: needs --trace=insn".into());
    }
    let range = cli.trace_range.as_deref().map(Filter::parse_range).transpose()?;
    for w in &cli.watch {
        parse_watch(w)?;
    }
    Ok(TraceOptions {
        kinds,
        file: cli.trace_file.clone(),
        format: cli.trace_format,
        stats: cli.stats,
        syntax: cli.syntax,
        regs: cli.trace_regs,
        filter: Filter {
            symbol: cli.trace_symbol.clone(),
            range,
            start: cli.trace_start,
            limit: cli.trace_limit,
        },
        watch: cli.watch.clone(),
        watch_reads: cli.watch_reads,
        crash_report: cli.crash_report,
        profile: cli.profile.clone(),
        strace: cli.strace,
        strace_strlen: cli.strace_strlen,
        maps: cli.maps,
    })
}

/// The program path, argv and environment from the command line.
fn guest_command(cli: &Cli) -> (Vec<u8>, Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let env = match guest_env(cli) {
        Ok(e) => e,
        Err(msg) => {
            eprintln!("emu: {msg}");
            std::process::exit(2);
        }
    };
    let program = &cli.command[0];
    let Some(path) = locate(program, &env, cli.chroot.as_ref()) else {
        eprintln!("emu: {}: command not found", program.to_string_lossy());
        std::process::exit(127);
    };
    let mut argv = vec![bytes(cli.argv0.as_deref().unwrap_or(program))];
    argv.extend(cli.command[1..].iter().map(|a| bytes(a)));
    (path, argv, env)
}

/// `--replay`: the program, argv and environment come from the log; a command given
/// on the command line must be the recorded one.
/// A PROGRAM whose contents differ from the recorded program's is run instead of it
/// (`changed`), so that replay shows where the changed program departs from the recording.
fn replayed_command(
    cli: &Cli,
    dir: &std::path::Path,
    changed: &mut Option<PathBuf>,
) -> (Vec<u8>, Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let rec = match emu_kernel::replay::open(dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("emu: {e}");
            std::process::exit(e.exit_status());
        }
    };
    if !cli.command.is_empty() {
        let given: Vec<Vec<u8>> = cli.command.iter().map(|a| bytes(a)).collect();
        let program_matches = given[0] == rec.program
            || rec.program.rsplit(|&b| b == b'/').next() == Some(&given[0][..])
            || given[0] == rec.argv.first().cloned().unwrap_or_default();
        if !program_matches || given[1..] != rec.argv.get(1..).unwrap_or_default()[..] {
            eprintln!(
                "emu: --replay: the log recorded `{}`, not the command given",
                rec.argv.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" ")
            );
            std::process::exit(2);
        }
        let given_path = emu_kernel::path::bytes_to_path(&given[0]);
        if let Ok(data) = std::fs::read(&given_path) {
            if emu_kernel::replay::Hash::of(&data) != rec.program_hash {
                eprintln!(
                    "emu: --replay: {} differs from the recorded program; replaying against it",
                    given_path.display()
                );
                *changed = Some(given_path);
            }
        }
    }
    (rec.program, rec.argv, rec.env)
}

fn main() {
    let all: Vec<OsString> = std::env::args_os().collect();
    let (mut emu_args, command) = split_at_program(&all);
    // The guest command is handed to clap as one opaque list after `--`.
    emu_args.push("--".into());
    emu_args.extend(command);
    let cli = match Cli::try_parse_from(emu_args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    // A plain run prints nothing of emu's own but errors in emu itself (a replay log it
    // cannot write); warnings such as an unimplemented syscall wait for `-v`.
    let level = match cli.verbose {
        0 => log::LevelFilter::Error,
        1 => log::LevelFilter::Info,
        2 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    env_logger::Builder::new()
        .filter_level(level)
        .format(|buf, rec| {
            use std::io::Write;
            writeln!(buf, "emu: {}: {}", rec.level().as_str().to_lowercase(), rec.args())
        })
        .parse_env("EMU_LOG")
        .init();

    if let Some(dir) = &cli.dump_log {
        let mut out = std::io::stdout().lock();
        if let Err(e) = emu_kernel::replay::dump(dir, &mut out) {
            eprintln!("emu: {e}");
            std::process::exit(e.exit_status());
        }
        return;
    }
    let mut changed_program = None;
    let (path, argv, env) = match &cli.replay {
        Some(dir) => replayed_command(&cli, dir, &mut changed_program),
        None => guest_command(&cli),
    };
    if let Some(j) = &cli.chroot {
        if !j.is_dir() {
            eprintln!("emu: --chroot {}: not a directory", j.display());
            std::process::exit(2);
        }
    }
    let trace = match trace_options(&cli) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("emu: {msg}");
            std::process::exit(2);
        }
    };
    let world = if let Some(dir) = &cli.replay {
        Mode::Replay { dir: dir.clone(), program: changed_program }
    } else if let Some(dir) = &cli.record {
        Mode::Record { dir: dir.clone() }
    } else if cli.deterministic {
        Mode::Deterministic { seed: cli.seed }
    } else {
        Mode::Host
    };
    match cli.jit.as_deref() {
        Some("on") => emu_cpu::set_jit_mode(emu_cpu::JitMode::On),
        Some("off") => emu_cpu::set_jit_mode(emu_cpu::JitMode::Off),
        Some("force") => emu_cpu::set_jit_mode(emu_cpu::JitMode::Force),
        _ => {}
    }
    let jail = cli.chroot.is_some();
    let cfg = Config { sysroot: cli.chroot.clone().or_else(|| cli.sysroot.clone()), jail, trace, world };
    let mut guest = match Guest::spawn(&cfg, &path, argv, env) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("emu: {e}");
            std::process::exit(e.exit_status());
        }
    };
    let outcome = match cli.gdb {
        None => guest.run(),
        Some(port) => match emu_kernel::gdb::serve(&mut guest, port) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("emu: --gdb {port}: {e}");
                std::process::exit(2);
            }
        },
    };
    match outcome {
        Outcome::Exited(code) => std::process::exit(code),
        // qemu-user's habit: a word about the death only where the native program would
        // have left a core; SIGTERM, SIGINT, SIGPIPE, SIGKILL... end as silently as natively.
        Outcome::Signaled { sig, .. } if !emu_kernel::abi::signal::dumps_core(sig) => {
            emu_kernel::host::die_by_signal(sig)
        }
        Outcome::Signaled { sig, rip, fault_addr, detail } => {
            let name = emu_kernel::abi::signal::name(sig);
            let mut msg = format!("emu: guest killed by {name} at rip={rip:#x}");
            if let Some(a) = fault_addr {
                msg.push_str(&format!(" (fault address {a:#x})"));
            }
            if let Some(d) = detail {
                msg.push_str(&format!(": {d}"));
            }
            eprintln!("{msg}");
            emu_kernel::host::die_by_signal(sig);
        }
    }
}
