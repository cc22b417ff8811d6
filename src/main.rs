//! The `emu` command line: parse options, build the guest's argv and environment, run
//! the program, and end the way the guest ended (same exit status, or the same signal).

use clap::Parser;
use emu_kernel::trace::TraceOptions;
use emu_kernel::{Config, Outcome, Process};
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

    /// Print one line per guest syscall, as strace does
    #[arg(long = "strace")]
    strace: bool,

    /// How many bytes of strings and buffers --strace shows (default 32)
    #[arg(long = "strace-strlen", value_name = "N")]
    strace_strlen: Option<usize>,

    /// Trace these kinds of events (comma list): mmap
    #[arg(long = "trace", value_name = "KINDS")]
    trace: Option<String>,

    /// Print the guest's memory map (as /proc/self/maps) when each process ends
    #[arg(long = "maps")]
    maps: bool,

    /// Write all trace output (--strace, --trace, --maps, --stats) to FILE instead of stderr
    #[arg(long = "trace-file", value_name = "FILE")]
    trace_file: Option<PathBuf>,

    /// Trace output format: text, or json (JSON Lines, one object per record)
    #[arg(long = "trace-format", value_name = "FORMAT", default_value = "text")]
    trace_format: emu_kernel::trace::Format,

    /// The x86-64 Linux program to run, then the arguments passed to it untouched
    #[arg(value_name = "PROGRAM [ARGS]", required = true)]
    command: Vec<OsString>,
}

/// Options that take a value, so that the value is not mistaken for PROGRAM.
const VALUE_OPTS: &[&str] = &[
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
    let level = match cli.verbose {
        0 => log::LevelFilter::Warn,
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

    let env = match guest_env(&cli) {
        Ok(e) => e,
        Err(msg) => {
            eprintln!("emu: {msg}");
            std::process::exit(2);
        }
    };
    if let Some(j) = &cli.chroot {
        if !j.is_dir() {
            eprintln!("emu: --chroot {}: not a directory", j.display());
            std::process::exit(2);
        }
    }
    let program = &cli.command[0];
    let Some(path) = locate(program, &env, cli.chroot.as_ref()) else {
        eprintln!("emu: {}: command not found", program.to_string_lossy());
        std::process::exit(127);
    };
    let mut argv = vec![bytes(cli.argv0.as_deref().unwrap_or(program))];
    argv.extend(cli.command[1..].iter().map(|a| bytes(a)));
    let kinds = match emu_kernel::trace::Kinds::parse(
        cli.trace.as_deref().unwrap_or(""),
        TraceOptions::IMPLEMENTED,
    ) {
        Ok(k) => k,
        Err(msg) => {
            eprintln!("emu: --trace: {msg}");
            std::process::exit(2);
        }
    };
    let trace = TraceOptions {
        strace: cli.strace,
        strace_strlen: cli.strace_strlen,
        kinds,
        file: cli.trace_file.clone(),
        format: cli.trace_format,
        stats: cli.stats,
        maps: cli.maps,
    };
    let jail = cli.chroot.is_some();
    let cfg = Config { sysroot: cli.chroot.clone().or_else(|| cli.sysroot.clone()), jail, trace };
    let mut proc = match Process::spawn(&cfg, &path, argv, env) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("emu: {e}");
            std::process::exit(e.exit_status());
        }
    };
    match proc.run() {
        Outcome::Exited(code) => std::process::exit(code),
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
