//! What the user asked emu to show about the guest (`--strace`, `--trace=KINDS`, `--stats`,
//! ...), where that output goes (`--trace-file`, `--trace-format`), and the per-process
//! state that produces it. Every trace line of every process goes through one [`Sink`].

pub(crate) mod crash;
mod decode;
mod disasm;
mod fmt;
mod live;
pub mod maps;
mod mmap;
mod plt;
mod profile;
mod regs;
mod sink;
pub mod stats;
pub(crate) mod strace;
mod watch;

pub(crate) use crash::report as crash_report;
pub use disasm::Syntax;
pub(crate) use live::finish;
pub use sink::{Format, Json, Sink};
pub use stats::Stats;
pub use watch::parse as parse_watch;

use crate::process::Event;
use crate::sys::{Args, Served, SysResult};
use crate::{Outcome, Process};
use std::path::PathBuf;

/// The `--trace=KINDS` set, as bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kinds(pub u32);

impl Kinds {
    pub const INSN: Kinds = Kinds(1);
    pub const BLOCK: Kinds = Kinds(2);
    pub const PLT: Kinds = Kinds(4);
    pub const MMAP: Kinds = Kinds(8);

    /// Every kind emu knows, by the name `--trace` accepts.
    const NAMES: [(&'static str, Kinds); 4] =
        [("insn", Kinds::INSN), ("block", Kinds::BLOCK), ("plt", Kinds::PLT), ("mmap", Kinds::MMAP)];

    pub fn contains(self, k: Kinds) -> bool {
        self.0 & k.0 == k.0 && k.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses a comma list such as `plt,mmap`. `implemented` is the set this build of emu
    /// can show; asking for another kind is an error rather than a silently empty trace.
    pub fn parse(list: &str, implemented: Kinds) -> Result<Kinds, String> {
        let mut k = Kinds::default();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some(&(_, bit)) = Self::NAMES.iter().find(|(n, _)| *n == name) else {
                let known: Vec<&str> = Self::NAMES.iter().map(|(n, _)| *n).collect();
                return Err(format!("unknown trace kind '{name}' (known: {})", known.join(", ")));
            };
            if !implemented.contains(bit) {
                return Err(format!("trace kind '{name}' is not implemented yet"));
            }
            k.0 |= bit.0;
        }
        Ok(k)
    }
}

/// The tracing options from the command line.
#[derive(Clone, Debug, Default)]
pub struct TraceOptions {
    /// `--strace`: one line per syscall.
    pub strace: bool,
    pub kinds: Kinds,
    /// `--trace-file`: all trace output goes there instead of stderr.
    pub file: Option<PathBuf>,
    pub format: Format,
    /// `--stats`: a summary when each process ends.
    pub stats: bool,
    /// `--syntax`: how `--trace=insn` writes instructions.
    pub syntax: Syntax,
    /// `--trace-regs`: `--trace=insn` lines end with the registers the instruction changed.
    pub regs: bool,
    /// `--trace-symbol`, `--trace-range`, `--trace-start`, `--trace-limit`.
    pub filter: Filter,
    /// `--watch LOC[:LEN]` specs, as given.
    pub watch: Vec<String>,
    /// `--watch-reads`: report loads from watched memory too.
    pub watch_reads: bool,
    /// `--crash-report`: Some(true) records the last instructions all along (hooked run
    /// loop); None is the default (a report from what the interpreter knows at the fault);
    /// Some(false) turns it off.
    pub crash_report: Option<bool>,
    /// `--profile FILE`.
    pub profile: Option<PathBuf>,
    /// `--strace-strlen`: how much of a string `--strace` shows (32 if not given).
    pub strace_strlen: Option<usize>,
    /// `--maps`: the guest's memory map when a process ends.
    pub maps: bool,
}

/// Which instructions and blocks `--trace=insn,block` shows.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only inside this symbol (raw or demangled name, optionally `object!name`).
    pub symbol: Option<String>,
    /// Only addresses in [start, end).
    pub range: Option<(u64, u64)>,
    /// From the N-th instruction on.
    pub start: u64,
    /// At most N instructions from `start`.
    pub limit: Option<u64>,
}

impl Filter {
    /// Parses `START-END` (hex with 0x, or decimal).
    pub fn parse_range(s: &str) -> Result<(u64, u64), String> {
        let (a, b) =
            s.split_once('-').ok_or_else(|| format!("--trace-range expects START-END, got '{s}'"))?;
        let (a, b) = (parse_num(a)?, parse_num(b)?);
        if a >= b {
            return Err(format!("--trace-range: empty range '{s}'"));
        }
        Ok((a, b))
    }
}

/// A number as the trace options take it: `0x` hex or decimal.
pub fn parse_num(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|_| format!("not a number: '{s}'"))
}

impl TraceOptions {
    /// The kinds of `--trace` this build implements.
    pub const IMPLEMENTED: Kinds = Kinds(Kinds::INSN.0 | Kinds::BLOCK.0 | Kinds::PLT.0 | Kinds::MMAP.0);

    pub fn any(&self) -> bool {
        self.strace || !self.kinds.is_empty() || self.stats || self.maps
    }

    /// Whether the CPU needs the hooked run loop (and the live tracing state).
    pub(crate) fn hooks(&self) -> bool {
        let k = self.kinds;
        k.contains(Kinds::INSN)
            || k.contains(Kinds::BLOCK)
            || k.contains(Kinds::PLT)
            || !self.watch.is_empty()
            || self.profile.is_some()
    }

    /// Whether a guest's death by a crash signal gets the crash report: `--crash-report`
    /// says so, and by default whenever some trace output was asked for (`--stats` alone
    /// is not a trace: it reports the run as it goes without one, so it does not bring
    /// the report, whose block ring keeps translated code from chaining).
    pub(crate) fn crash_report_on(&self) -> bool {
        self.crash_report
            .unwrap_or_else(|| self.strace || !self.kinds.is_empty() || self.maps || self.hooks())
    }
}

/// A process's tracing state: the options, the output, and what `--stats` counts.
pub struct Trace {
    pub opts: TraceOptions,
    pub sink: Sink,
    pub stats: Stats,
    /// State behind the CPU hooks (symbols, insn/block/plt/watch/profile), when on.
    pub(crate) live: Option<live::Shared>,
    /// Some trace looks at every syscall (`--strace`, `--trace=mmap`, `--stats`).
    pub(crate) syscalls: bool,
    pub(crate) st: strace::State,
}

impl Trace {
    pub fn new(opts: TraceOptions) -> std::io::Result<Trace> {
        let sink = Sink::open(opts.file.as_deref(), opts.format)?;
        let live = if opts.hooks() { Some(live::State::new(&opts, &sink)?) } else { None };
        let syscalls = opts.strace || opts.stats || opts.kinds.contains(Kinds::MMAP);
        Ok(Trace { opts, sink, stats: Stats::new(), syscalls, st: strace::State::default(), live })
    }

    /// The CPU stopped: the last instruction line gets its register changes
    /// (`--trace-regs`).
    pub(crate) fn settle(&mut self, cpu: &emu_cpu::Cpu) {
        if let Some(l) = &self.live {
            l.borrow_mut().settle(cpu);
        }
    }

    /// Writes out what the hooks buffered (before a syscall is traced or the guest's
    /// own output could overtake it).
    pub(crate) fn flush(&mut self) {
        if let Some(l) = &self.live {
            l.borrow_mut().flush();
        }
    }
}

/// Serves the syscall the guest just made with `serve` (the kernel, or record/replay's
/// wrapper), showing it as asked: counted for `--stats`, a line for `--strace` (split when
/// its thread parks), mappings for `--trace=mmap`, and what the kernel did meanwhile.
pub(crate) fn syscall(
    t: &mut Trace,
    p: &mut Process,
    serve: impl FnOnce(&mut Process, u64, &Args) -> Served,
) {
    let (nr, raw) = p.cpu.syscall_args();
    if t.opts.stats {
        t.stats.syscall(nr);
    }
    // Tracing the syscall costs this one test when no trace asks for syscalls.
    let call = t.syscalls.then(|| strace::enter(t, p, nr, &raw));
    let served = serve(p, nr, &Args(raw));
    drain(t, p);
    let Some(c) = call else { return };
    match served {
        Served::Done(res) => syscall_done(t, p, c, &res),
        Served::Parked => strace::parked(t, c),
        Served::Restarted => strace::restart(t, p, c),
    }
}

/// Shows what happened inside the kernel since the last look (`Process::event`).
pub(crate) fn drain(t: &mut Trace, p: &mut Process) {
    if p.events.is_empty() {
        return;
    }
    for e in std::mem::take(&mut p.events) {
        match e {
            Event::ImageInstalled { old } => {
                t.stats.image_replaced(&old);
                image_installed(t, p);
            }
            Event::Mapped { start, prot } => live::mapped(t, p, start, prot),
            Event::Unmapped { start, len } => live::unmapped(t, p, start, len),
            Event::SignalDelivered(info) => {
                if t.opts.strace {
                    strace::signal(t, p, &info);
                }
            }
            Event::HandlerEntered { sig, rip, sp } => live::handler_entered(t, sig, rip, sp),
            Event::Sigreturned => live::sigreturned(t),
            Event::KernelWrite { nr, args, rip, addr, old, new } => {
                live::kernel_wrote(t, nr, &args, rip, addr, &old, &new)
            }
        }
    }
}

use crate::sys::table::{effects, nr};

/// A traced syscall returned (or ended its thread or process).
pub(crate) fn syscall_done(t: &mut Trace, p: &mut Process, c: strace::Call, res: &SysResult) {
    if t.opts.stats {
        t.stats.result(c.nr, res.is_err());
    }
    if t.opts.kinds.contains(Kinds::MMAP) && res.is_ok() {
        mmap::record(t, p, &c, res);
    }
    if !t.opts.strace {
        return;
    }
    let forked =
        crate::sys::table::row(c.nr).is_some_and(|r| r.effects & effects::NEW_TASK != 0) && res.is_ok();
    if forked {
        t.st.several = true;
        if *res == Ok(0) {
            // The new process: strace shows fork's result in the parent only.
            return;
        }
    }
    let thread_exit = c.nr == nr::EXIT && p.outcome.is_none();
    let (tid, code) = (c.tid, c.args[0] as i32 & 0xff);
    let ended = p.outcome.is_some() || thread_exit;
    strace::exit(t, p, c, (!ended).then_some(res));
    if thread_exit {
        strace::ended(t, p, tid, &Outcome::Exited(code));
    }
}

/// A fresh image's CPU is in place (start, execve): set up its hooks.
pub(crate) fn image_installed(t: &mut Trace, p: &mut Process) {
    // The ordinary loop keeps its recent-block ring only when a crash report may use it.
    p.cpu.hooks.block_ring = t.opts.crash_report_on();
    // `--trace-regs` shows RFLAGS after every instruction, so none may skip its flags.
    p.cpu.hooks.exact_flags = t.opts.regs;
    live::image_installed(t, p);
}

/// The scheduler put another thread on the CPU.
pub(crate) fn switched(t: &mut Trace, p: &mut Process) {
    if t.opts.strace {
        strace::switched(t, p);
    }
    live::switched(t, p);
}

/// The process starts running its first image.
pub(crate) fn started(t: &mut Trace, p: &mut Process) {
    if t.opts.strace {
        strace::first_exec(t, p);
    }
    if t.opts.kinds.contains(Kinds::MMAP) {
        mmap::image(t, p, None);
    }
}

/// The process ended as `o`.
pub(crate) fn ended(t: &mut Trace, p: &mut Process, o: &Outcome) {
    if t.opts.strace {
        strace::process_ended(t, p, o);
    }
    if t.opts.maps {
        let why = match o {
            Outcome::Exited(c) => format!("exit {c}"),
            Outcome::Signaled { sig, .. } => format!("killed by {}", crate::abi::signal::name(*sig)),
        };
        maps::write(&mut t.sink, p.world().pid(), &why, &p.cpu.mem);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_known_and_refuse_unknown_or_unimplemented() {
        let all = Kinds(0xf);
        assert_eq!(Kinds::parse("plt,mmap", all), Ok(Kinds(Kinds::PLT.0 | Kinds::MMAP.0)));
        assert_eq!(Kinds::parse("", all), Ok(Kinds::default()));
        assert!(Kinds::parse("plt,bogus", all).unwrap_err().contains("unknown trace kind 'bogus'"));
        assert!(Kinds::parse("insn", Kinds::PLT).unwrap_err().contains("not implemented"));
    }
}
