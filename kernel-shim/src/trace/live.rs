//! The tracing state behind the CPU hooks: the symbolizer of the guest's address space,
//! the buffered trace output, and the insn/block/plt/watch/profile consumers. The CPU
//! holds a [`GuestTracer`] (a handle on this state); the process holds another, to tell it
//! about mappings and to flush it between runs.
//!
//! The memory syscalls and execve tell this module about address-space changes through
//! [`mapped`], [`unmapped`] and [`image_installed`]; each does nothing unless tracing is on.

use super::disasm::{Disasm, Text};
use super::plt::Plt;
use super::profile::Profile;
use super::regs::Regs;
use super::watch::Watches;
use super::Trace;
use super::{Filter, Format, Json, Kinds, Sink, TraceOptions};
use crate::Process;
use emu_cpu::hooks::{MemEvent, Tracer};
use emu_cpu::Cpu;
use emu_loader::symbols::Symbolizer;
use std::cell::RefCell;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::rc::Rc;

pub(crate) type Shared = Rc<RefCell<State>>;

/// Trace output that buffers; flushed whenever the CPU stops running.
pub(crate) struct Out {
    w: BufWriter<Box<dyn Write>>,
    pub format: Format,
}

impl Out {
    pub fn line(&mut self, s: &str) {
        let _ = self.w.write_all(s.as_bytes());
        let _ = self.w.write_all(b"\n");
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// A `--trace=insn` text line, written without building it first.
    pub fn insn(&mut self, seq: u64, addr: u64, tail: &str) {
        let _ = writeln!(self.w, "{seq:>10} {addr:#014x}{tail}");
    }
}

pub(crate) struct State {
    pub kinds: Kinds,
    pub filter: Filter,
    pub syms: Symbolizer,
    pub out: Out,
    pub dis: Disasm,
    pub plt: Option<Plt>,
    pub watches: Watches,
    pub profile: Option<(PathBuf, Profile)>,
    /// The guest's sysroot-resolving function, to read the files it maps.
    pub host_path: Box<dyn Fn(&str) -> PathBuf>,
    /// A crash report may be written: the hooked loop keeps the last instructions.
    pub history: bool,
    /// The insn/block filter ran past `--trace-limit`.
    done: bool,
    /// `--trace-regs`: the instruction line waiting for its register changes.
    regs: Option<Regs>,
}

impl State {
    pub fn new(opts: &TraceOptions, sink: &Sink) -> std::io::Result<Shared> {
        let out = Out { w: BufWriter::with_capacity(1 << 16, sink.writer()?), format: opts.format };
        Ok(Rc::new(RefCell::new(State {
            kinds: opts.kinds,
            filter: opts.filter.clone(),
            syms: Symbolizer::new(),
            out,
            dis: Disasm::new(opts.syntax),
            plt: opts.kinds.contains(Kinds::PLT).then(Plt::default),
            watches: Watches::new(&opts.watch, opts.watch_reads),
            profile: opts.profile.clone().map(|p| (p, Profile::default())),
            host_path: Box::new(|p: &str| PathBuf::from(p)),
            history: opts.crash_report_on(),
            done: false,
            regs: opts.regs.then(Regs::default),
        })))
    }

    pub fn flush(&mut self) {
        let _ = self.out.w.flush();
    }

    /// Writes the held `--trace-regs` line, now that its instruction ran.
    pub fn settle(&mut self, cpu: &Cpu) {
        if let Some(line) = self.regs.as_mut().and_then(|r| r.settle(cpu)) {
            self.out.line(&line);
        }
    }

    /// Instruction text (cached).
    pub fn text(&mut self, cpu: &mut Cpu, addr: u64, len: u8) -> Rc<Text> {
        self.dis.at(cpu, &self.syms, addr, len)
    }

    fn passes(&self, seq: u64, addr: u64, sym: Option<&str>) -> bool {
        let f = &self.filter;
        if seq < f.start {
            return false;
        }
        if let Some((lo, hi)) = f.range {
            if addr < lo || addr >= hi {
                return false;
            }
        }
        if let Some(want) = &f.symbol {
            let want = want.rsplit('!').next().unwrap_or(want);
            if sym != Some(want) {
                return false;
            }
        }
        true
    }

    /// Whether `seq` is past `--trace-limit`.
    fn past_limit(&self, seq: u64) -> bool {
        self.filter.limit.is_some_and(|l| seq >= self.filter.start.saturating_add(l))
    }

    /// Registers an object mapped at `addr` from file offset `offset`.
    fn add(&mut self, cpu: &mut Cpu, path: &str, addr: u64, offset: u64) {
        let hp = &self.host_path;
        let data = || std::fs::read(hp(path)).ok();
        let debug = |id: &str| {
            let p = hp(&debug_file_path(id));
            std::fs::read(&p).ok().map(|d| (p, d))
        };
        let Some(m) = self.syms.add_mapping(path, addr, offset, &data, &debug).cloned() else { return };
        self.dis.clear();
        if let Some(plt) = &mut self.plt {
            plt.object_added(&m);
        }
        self.rewatch(cpu);
    }

    /// Recomputes the CPU's watched ranges: user watches and the GOT slots `plt` follows.
    fn rewatch(&mut self, cpu: &mut Cpu) {
        self.watches.resolve(&self.syms);
        let mut w = self.watches.ranges();
        if let Some(plt) = &self.plt {
            w.extend(plt.slots());
        }
        if w != cpu.hooks.watches() {
            cpu.set_watches(w);
        }
    }
}

/// Where a separate debug file with build id `id` (hex) lives, as gdb looks for it.
pub(crate) fn debug_file_path(id: &str) -> String {
    let (a, b) = id.split_at(2.min(id.len()));
    format!("/usr/lib/debug/.build-id/{a}/{b}.debug")
}

/// The CPU's handle on the tracing state.
struct GuestTracer(Shared);

impl Tracer for GuestTracer {
    fn block(&mut self, cpu: &mut Cpu, start: u64, ninsns: usize) {
        let st = &mut *self.0.borrow_mut();
        let seq = cpu.icount;
        if st.past_limit(seq) {
            return stop_stepping(st, cpu);
        }
        let t = st.text(cpu, start, 15);
        if !st.passes(seq, start, t.sym.as_deref()) {
            return;
        }
        let line = if st.out.json() {
            Json::new("block")
                .unum("seq", seq)
                .addr("addr", start)
                .str("loc", &t.loc)
                .unum("insns", ninsns as u64)
                .end()
        } else {
            format!("block {seq:>10} {start:#014x} {:<48} {ninsns} insns", t.loc)
        };
        st.out.line(&line);
    }

    fn insn(&mut self, cpu: &mut Cpu, seq: u64, addr: u64, len: u8) {
        let st = &mut *self.0.borrow_mut();
        if let Some((_, p)) = &mut st.profile {
            p.count(&st.syms, addr);
        }
        if !st.kinds.contains(Kinds::INSN) || st.done {
            return;
        }
        // The previous instruction has run: its held line is complete.
        st.settle(cpu);
        if st.past_limit(seq) {
            return stop_stepping(st, cpu);
        }
        let t = st.text(cpu, addr, len);
        if !st.passes(seq, addr, t.sym.as_deref()) {
            return;
        }
        if st.out.json() {
            let j = Json::new("insn")
                .unum("seq", seq)
                .addr("addr", addr)
                .str("loc", &t.loc)
                .str("bytes", &t.hex().replace(' ', ""))
                .str("asm", &t.asm);
            match &mut st.regs {
                Some(r) => r.hold_json(cpu, j),
                None => st.out.line(&j.end()),
            }
        } else {
            match &mut st.regs {
                Some(r) => r.hold_text(cpu, format!("{seq:>10} {addr:#014x}{}", t.tail)),
                None => st.out.insn(seq, addr, &t.tail),
            }
        }
    }

    fn branch(&mut self, cpu: &mut Cpu, addr: u64, len: u8, to: u64) {
        let st = &mut *self.0.borrow_mut();
        if let Some(mut plt) = st.plt.take() {
            plt.branch(st, cpu, addr, len, to);
            st.plt = Some(plt);
        }
        if let Some((f, mut prof)) = st.profile.take() {
            prof.branch(&st.syms, cpu, addr, len, to);
            st.profile = Some((f, prof));
        }
    }

    fn mem(&mut self, cpu: &mut Cpu, insn: u64, ev: &MemEvent) {
        let st = &mut *self.0.borrow_mut();
        if let Some(mut plt) = st.plt.take() {
            plt.write(st, cpu, insn, ev);
            st.plt = Some(plt);
        }
        if st.watches.hit(ev) {
            let text = st.text(cpu, insn, 15);
            let line = st.watches.describe(&st.syms, &text, insn, ev, st.out.json());
            st.out.line(&line);
        }
    }
}

/// `--trace-limit` reached: stop the per-instruction and per-block calls (the CPU drops
/// back to the ordinary loop if nothing else is hooked).
fn stop_stepping(st: &mut State, cpu: &mut Cpu) {
    st.done = true;
    cpu.hooks.blocks = false;
    cpu.hooks.insns = st.profile.is_some();
}

/// Sets up the hooks of a fresh image's CPU and learns its objects (program, interpreter,
/// vDSO) from the address space. Called by execve (and at start) after `p.cpu` is new.
pub(crate) fn image_installed(t: &mut Trace, p: &mut Process) {
    let Some(live) = t.live.clone() else { return };
    let sysroot = p.sysroot.clone();
    let mut st = live.borrow_mut();
    st.host_path = Box::new(move |g: &str| crate::path::bytes_to_path(&sysroot.host_path(g.as_bytes())));
    st.syms = Symbolizer::new();
    st.dis.clear();
    if let Some(plt) = &mut st.plt {
        *plt = Plt::default();
    }
    st.watches.unresolve();
    let tid = p.tid();
    if let Some((_, prof)) = &mut st.profile {
        prof.new_image(tid);
    }
    let k = st.kinds;
    let h = &mut p.cpu.hooks;
    h.tracer = Some(Box::new(GuestTracer(live.clone())));
    h.insns = k.contains(Kinds::INSN) || st.profile.is_some();
    h.blocks = k.contains(Kinds::BLOCK);
    h.branches = k.contains(Kinds::PLT) || st.profile.is_some();
    h.history = st.history;
    let vmas: Vec<_> = p.cpu.mem.vmas().filter(|v| v.perm.exec()).cloned().collect();
    for v in vmas {
        let Some(name) = v.name.as_deref() else { continue };
        if name == "[vdso]" {
            let (img, _) = emu_loader::vdso::image();
            st.syms.add_image("[vdso]", &img, v.start);
        } else if !name.starts_with('[') {
            st.add(&mut p.cpu, name, v.start, v.offset);
        }
    }
    st.rewatch(&mut p.cpu);
}

/// The guest mapped `[start, start+len)` (mmap): an executable file mapping is an object
/// the dynamic linker is loading.
pub(crate) fn mapped(t: &mut Trace, p: &mut Process, start: u64, prot: u64) {
    let Some(live) = t.live.clone() else { return };
    if prot & 4 == 0 {
        return;
    }
    let Some(v) = p.cpu.mem.vma_at(start).cloned() else { return };
    let Some(name) = v.name.as_deref() else { return };
    if !name.starts_with('[') {
        live.borrow_mut().add(&mut p.cpu, name, start, v.offset);
    }
}

/// The guest unmapped a range: objects wholly inside it are gone.
pub(crate) fn unmapped(t: &mut Trace, p: &mut Process, start: u64, len: u64) {
    let Some(live) = t.live.clone() else { return };
    let mut st = live.borrow_mut();
    st.syms.unmapped(start, start.saturating_add(len));
    st.dis.clear();
    st.rewatch(&mut p.cpu);
}

/// Another thread runs from now on.
pub(crate) fn switched(t: &mut Trace, p: &mut Process) {
    let Some(live) = &t.live else { return };
    if let Some((_, prof)) = &mut live.borrow_mut().profile {
        prof.switch(p.tid());
    }
}

/// A signal handler starts: rip is at the handler, `sp` at its frame.
pub(crate) fn handler_entered(t: &mut Trace, sig: i32, rip: u64, sp: u64) {
    let Some(live) = &t.live else { return };
    let st = &mut *live.borrow_mut();
    if let Some((_, prof)) = &mut st.profile {
        prof.signal(&st.syms, &crate::abi::signal::name(sig), rip, sp);
    }
}

/// rt_sigreturn restored the interrupted context.
pub(crate) fn sigreturned(t: &mut Trace) {
    let Some(live) = &t.live else { return };
    if let Some((_, prof)) = &mut live.borrow_mut().profile {
        prof.sigreturn();
    }
}

/// The syscall `nr(args)` made at `rip` wrote `new` over `old` at `addr`: one watch line
/// per watched range it changed, naming the syscall and its `syscall` instruction.
#[cold]
pub(crate) fn kernel_wrote(
    t: &mut Trace,
    nr: u64,
    args: &[u64; 6],
    rip: u64,
    addr: u64,
    old: &[u8],
    new: &[u8],
) {
    let Some(live) = t.live.clone() else { return };
    let st = &mut *live.borrow_mut();
    let hits = st.watches.overlaps(addr, old.len() as u64);
    if hits.is_empty() {
        return;
    }
    let call = super::strace::brief(nr, args);
    let rip_loc = st.syms.describe(rip);
    for (spec, at, n) in hits {
        let range = (at - addr) as usize..(at - addr + n) as usize;
        let json = st.out.json();
        let line = st.watches.describe_kernel(
            &st.syms,
            spec,
            at,
            &old[range.clone()],
            &new[range],
            &call,
            rip,
            &rip_loc,
            json,
        );
        st.out.line(&line);
    }
    // Before the syscall's own --strace line.
    st.flush();
}

/// The process ends: write the profile.
pub(crate) fn finish(t: &mut Trace) {
    let Some(live) = t.live.clone() else { return };
    let mut st = live.borrow_mut();
    if let Some((file, prof)) = st.profile.take() {
        if let Err(e) = prof.write(&st.syms, &file) {
            log::warn!("--profile {}: {e}", file.display());
        }
    }
    st.flush();
}
