//! The JIT tier: hot blocks translated to host code with Cranelift.
//!
//! A *unit* is the host translation of one decoded block (`decode::Block`), so both tiers
//! stop at the same block boundaries: the budget, `request_stop`, signals and thread
//! switches land at the same instruction counts whichever tier ran, and `--record` /
//! `--replay` logs do not depend on the tier. The interpreter stays the reference: every
//! instruction the translator does not handle natively runs through the interpreter's own
//! handler (a call from translated code to a copy of its op followed by an end op), so new
//! instructions need no JIT work and behave identically.
//!
//! Inside a unit, guest registers live in Cranelift variables (host registers), loaded on
//! first use; writes also go straight to the CPU structure, so exits need no code to put
//! them back. Status flags stay lazy (`flags::LazyFlags`) and are written to the CPU only
//! where a unit leaves or calls out. Loads and stores inline the software TLB hit; a miss
//! leaves the unit before the instruction and the interpreter runs the rest of the block
//! (`RESUME`), so faults, watches and writes to code take the interpreter's own paths.
//!
//! The budget. The interpreter compares `icount` with the budget before every block; a
//! unit does so only on entry and on edges into the head of a loop, against the most it can
//! run before the next such check (`region::budget_checks`). Too near, it hands the block
//! it was entered at (its head, or another of its entries) to the interpreter (`RESUME` at
//! instruction 0), which then stops where it always would. The loop's periodic looks at
//! `request_stop` need no such precision: units see them a little later (`unit_check_at`),
//! and leave for them without handing over blocks.
//!
//! Exits. A unit that runs to its end adds the block's instruction count, sets `rip` and
//! either jumps straight into the next unit (a tail call through a link slot that the run
//! loop patches, or through the jump cache for returns and indirect jumps, falling back to
//! the block cache on a miss, all guarded by the block cache's generation like the
//! interpreter's own links) or returns 0 to the loop. A unit that stops part-way (syscall,
//! #UD, a handler's fault, a write to its own code) leaves the registers as the
//! interpreter would, notes the block and instruction index, and returns the `Stop` plus
//! one; the loop then goes through the same `Cpu::stop` as the interpreter.
//!
//! Code memory is emu's own (`execmem`), bounded; when it is full every unit is dropped
//! and compiling starts again (blocks keep working in the interpreter meanwhile).

mod execmem;
mod lower;
mod plan;
mod region;
mod translate;
mod worker;

use crate::decode::{Block, Op, Stop};
use crate::state::Cpu;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU8, Ordering};

/// Whether and when blocks are translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JitMode {
    /// Interpreter only.
    Off,
    /// Blocks that have run `threshold` times are translated.
    On,
    /// Every block is translated before it first runs (testing: the whole program runs
    /// through translated code, except hooked runs).
    Force,
}

static MODE: AtomicU8 = AtomicU8::new(0);

/// Sets the mode of every `Cpu` made from now on (the command line's `--jit`).
pub fn set_jit_mode(m: JitMode) {
    MODE.store(
        match m {
            JitMode::Off => 1,
            JitMode::On => 2,
            JitMode::Force => 3,
        },
        Ordering::Relaxed,
    );
}

/// Whether this build can translate on this host (x86-64 and aarch64 hosts).
pub fn jit_supported() -> bool {
    cfg!(any(target_arch = "x86_64", target_arch = "aarch64"))
}

/// The mode new CPUs get: `set_jit_mode`, else the `EMU_JIT` environment variable
/// (`0`/`off`, `1`/`on`, `force`), else the default.
pub fn jit_mode() -> JitMode {
    let m = match MODE.load(Ordering::Relaxed) {
        0 => {
            let m = match std::env::var("EMU_JIT").as_deref() {
                Ok("0") | Ok("off") => JitMode::Off,
                Ok("1") | Ok("on") => JitMode::On,
                Ok("force") | Ok("all") => JitMode::Force,
                _ => DEFAULT_MODE,
            };
            set_jit_mode(m);
            m
        }
        1 => JitMode::Off,
        2 => JitMode::On,
        _ => JitMode::Force,
    };
    if jit_supported() {
        m
    } else {
        JitMode::Off
    }
}

/// On where translation is supported (`jit_mode` turns it off elsewhere).
const DEFAULT_MODE: JitMode = JitMode::On;

/// Executions of a block before it is translated (mode `On`); `EMU_JIT_THRESHOLD`
/// overrides it.
const THRESHOLD: u32 = 1000;

/// Instructions a CPU runs before its first translation (mode `On`): a short run (a
/// command's start-up, `true`) ends before translated code would pay for itself, and it
/// would pay for the code generator's set-up and a second thread.
const WARMUP: u64 = 4 << 20;

/// Regions handed to the compile thread and not installed yet, at most: when it is behind,
/// a block that turns hot starts counting again (code that stays hot comes back soon; code
/// that was hot for a moment, like much of a program's start-up, is not translated). With 4,
/// the thread sat idle for half of a short sqlite run while hot blocks counted again.
const MAX_INFLIGHT: usize = 16;

/// A successor joins a hot block's region once it has run a `1 / SUCCESSOR_HEAT_DIV` part
/// of the threshold. With a quarter, successors just below it (a sort's comparison, xz's
/// and gzip's match loops) were left out, and their units returned to the loop on every
/// pass: a tenth measured 2-5% faster on those, and within noise elsewhere.
const SUCCESSOR_HEAT_DIV: u32 = 10;

/// Bytes of host code kept before the cache is emptied.
const CODE_BYTES: usize = 32 << 20;

/// `BlockJit::heat` of a block that is translated only when translated code leads to it
/// (see `Region::pays_alone`), of one whose region is being translated, and of one that is
/// never to be translated (it failed, or would not pay).
pub(crate) const LONE: u32 = u32::MAX - 2;
pub(crate) const IN_FLIGHT: u32 = u32::MAX - 1;
const FAILED: u32 = u32::MAX;

/// A block's translation state (kept in the block, so it goes when the block goes).
pub(crate) struct BlockJit {
    /// Times the block ran in the interpreter, or `LONE`, `IN_FLIGHT` or `FAILED`.
    pub heat: Cell<u32>,
    /// The code that runs the block (null: none): its own unit's, or that of a unit with
    /// an entry at the block (`Region::entries`).
    code: Cell<*const u8>,
    /// The unit the block is the head of.
    unit: Cell<Option<std::ptr::NonNull<Unit>>>,
}

impl Default for BlockJit {
    fn default() -> Self {
        BlockJit { heat: Cell::new(0), code: Cell::new(std::ptr::null()), unit: Cell::new(None) }
    }
}

impl BlockJit {
    /// The code to enter for the block, if translated.
    #[inline(always)]
    pub fn code(&self) -> Option<*const u8> {
        let c = self.code.get();
        (!c.is_null()).then_some(c)
    }

    /// Gives the block its unit. It has none: replacing a unit that other units may
    /// still be linked to (in the same cache generation) would free what they use.
    fn set(&self, u: Box<Unit>) {
        debug_assert!(self.code.get().is_null(), "a block gets one unit per generation");
        self.code.set(u.code);
        self.unit.set(Some(std::ptr::NonNull::from(Box::leak(u))));
    }

    /// Runs the block in another block's unit, which has an entry here.
    fn set_entry(&self, code: *const u8) {
        debug_assert!(self.code.get().is_null(), "a block runs in one unit");
        self.code.set(code);
    }

    /// Drops the unit (its code stays in the code memory until it is emptied; nothing
    /// reaches it any more: links to it die with the cache generation), or forgets the
    /// entry into another block's.
    pub fn clear(&self) {
        self.code.set(std::ptr::null());
        if let Some(u) = self.unit.take() {
            // SAFETY: made by `Box::leak` in `set`, and taken out of the cell just now.
            drop(unsafe { Box::from_raw(u.as_ptr()) });
        }
    }

    /// The block is leaving the cache (its code changed): the other blocks its unit has
    /// entries at stop running in it now, while the unit itself lives on until no code of
    /// it can be running.
    pub fn orphan_entries(&self) {
        if let Some(u) = self.unit.get() {
            // SAFETY: a set pointer is a live unit owned by this block.
            unsafe { u.as_ref() }.drop_entries();
        }
    }
}

impl Drop for BlockJit {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A place a unit's exit jumps through: valid while `gen` is the block cache's
/// generation and `rip` is where the guest goes.
#[repr(C)]
pub(crate) struct Link {
    gen: Cell<u64>,
    rip: Cell<u64>,
    code: Cell<*const u8>,
}

impl Default for Link {
    fn default() -> Self {
        Link { gen: Cell::new(u64::MAX), rip: Cell::new(u64::MAX), code: Cell::new(std::ptr::null()) }
    }
}

/// An entry of the jump cache: where translated code finds the unit for an address it
/// cannot know in advance (returns, indirect jumps and calls). Valid while `gen` is the
/// block cache's generation. An address has its slot (`jc_index`), and a second chance in
/// the slot beside it (index ^ 1), where `remember` moves the entry it displaces: units
/// probe the first, the chaining stub both, so two hot targets that hash alike no longer
/// evict each other on every pass. Aligned to its size, so the slot beside an entry is at
/// its address xor the size.
#[repr(C, align(32))]
#[derive(Clone, Copy)]
pub(crate) struct JcEntry {
    pub rip: u64,
    pub gen: u64,
    pub code: *const u8,
}

// The slot beside an entry is found by address (`JcEntry`).
const _: () = assert!(std::mem::size_of::<JcEntry>() == std::mem::align_of::<JcEntry>());

pub(crate) const JC_BITS: u32 = 12;
pub(crate) const JC_SIZE: usize = 1 << JC_BITS;

const JC_EMPTY: JcEntry = JcEntry { rip: u64::MAX, gen: u64::MAX, code: std::ptr::null() };

/// The jump cache slot of `rip` (translated code computes the same).
#[inline(always)]
pub(crate) fn jc_index(rip: u64) -> usize {
    crate::decode::rip_slot(rip, JC_BITS)
}

/// One translated region. Its code refers to its fields by address, so it is boxed.
pub(crate) struct Unit {
    code: *const u8,
    /// A slot per static edge out of the region.
    #[allow(dead_code)]
    links: Box<[Link]>,
    /// Copies of the ops run through their handler, each followed by an end op.
    #[allow(dead_code)]
    ops: Box<[Op]>,
    /// The blocks that run in this unit through an entry (`Region::entries`).
    entries: Vec<std::rc::Weak<Block>>,
}

impl Unit {
    /// Makes the blocks that run in this unit through an entry run in the interpreter
    /// again (and count towards a unit of their own).
    fn drop_entries(&self) {
        for b in self.entries.iter().filter_map(std::rc::Weak::upgrade) {
            if b.jit.code.get() == self.code {
                b.jit.code.set(std::ptr::null());
                if b.jit.heat.get() != IN_FLIGHT {
                    b.jit.heat.set(0);
                }
            }
        }
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        self.drop_entries();
    }
}

// SAFETY: a unit is built on the compile thread and then owned by the main thread, one
// thread at a time; its pointers are addresses in code memory, which only the main thread
// uses.
unsafe impl Send for Unit {}

/// A region the compile thread is translating: its blocks as the cache holds them, kept
/// alive (and checked for validity) until the result is installed.
struct Inflight {
    id: u64,
    head: Rc<Block>,
    blocks: Vec<Rc<Block>>,
    /// The region's entries (`Region::entries`), as indices into `blocks` plus one.
    entries: Vec<usize>,
    /// Host time spent on the main thread (forming the region).
    ns: u64,
}

impl Inflight {
    /// The region is done with (installed, failed or lost): its head and entries that
    /// still wait for it count again. Those that got a unit or an entry do not run in the
    /// interpreter, but count again from 0 should they lose it (a flush, a write to the
    /// head's code), rather than wait for a region that is no longer coming.
    fn release(&self) {
        let entries = self.entries.iter().map(|&j| &self.blocks[j - 1]);
        for b in std::iter::once(&self.head).chain(entries) {
            if b.jit.heat.get() == IN_FLIGHT {
                b.jit.heat.set(0);
            }
        }
    }
}

/// With `EMU_JIT_PERFMAP` set, names each unit in `/tmp/perf-PID.map` (the file `perf report`
/// reads for code it has no symbols for), so that host samples in translated code are
/// attributed to the guest address of the unit's head. A forked child writes its own.
fn perf_map(code: *const u8, bytes: usize, guest: u64) {
    use std::io::Write;
    thread_local! {
        static ON: bool = std::env::var_os("EMU_JIT_PERFMAP").is_some();
        static MAP: std::cell::RefCell<Option<(u32, std::fs::File)>> = const { std::cell::RefCell::new(None) };
    }
    if !ON.with(|on| *on) {
        return;
    }
    let pid = std::process::id();
    MAP.with_borrow_mut(|m| {
        if m.as_ref().is_none_or(|(p, _)| *p != pid) {
            let path = format!("/tmp/perf-{pid}.map");
            *m = std::fs::OpenOptions::new().create(true).append(true).open(path).ok().map(|f| (pid, f));
        }
        if let Some((_, f)) = m {
            let _ = writeln!(f, "{:x} {:x} guest_{:x}", code as usize, bytes, guest);
        }
    });
}

/// Counters for `--stats`.
#[derive(Clone, Copy, Debug, Default)]
pub struct JitStats {
    /// Regions translated (and the guest blocks in them), and the host time spent doing it.
    pub units: u64,
    pub blocks: u64,
    /// Blocks of those that other code enters their unit at (`Region::entries`), rather
    /// than at its head.
    pub entries: u64,
    pub compile_ns: u64,
    /// Host code bytes written (all time) and the times the code cache was emptied.
    pub code_bytes: u64,
    pub flushes: u64,
    /// Returns from translated code to the run loop (chained jumps between units are not
    /// exits), and how many of those stopped part-way through a unit.
    pub exits: u64,
    pub stops: u64,
    /// Units that handed the rest of their block to the interpreter (a TLB miss, or the
    /// whole head block near the budget).
    pub resumes: u64,
    /// Blocks that could not be translated.
    pub failed: u64,
    /// Regions left to the interpreter because translating them would not pay (mostly
    /// instructions without a native translation).
    pub interpreted: u64,
    /// Instructions in the translated blocks: translated natively, and run through the
    /// interpreter's handler.
    pub insns_native: u64,
    pub insns_called: u64,
}

impl JitStats {
    /// Adds another image's counters (an execve replaced the CPU).
    pub fn add(&mut self, o: &JitStats) {
        self.units += o.units;
        self.blocks += o.blocks;
        self.entries += o.entries;
        self.compile_ns += o.compile_ns;
        self.code_bytes += o.code_bytes;
        self.flushes += o.flushes;
        self.exits += o.exits;
        self.stops += o.stops;
        self.resumes += o.resumes;
        self.failed += o.failed;
        self.interpreted += o.interpreted;
        self.insns_native += o.insns_native;
        self.insns_called += o.insns_called;
    }
}

/// The JIT's state in a `Cpu`. Translated code reads and writes the first fields by
/// offset.
pub(crate) struct JitState {
    /// `icount` at which a unit must return to the loop instead of chaining: the budget,
    /// or a little after the next look at `request_stop` (`unit_check_at`).
    pub check_at: u64,
    /// The link slot the last unit left through without a target; the loop fills it.
    pub link: *const Link,
    /// The block of the unit that returned last, and where it stopped (instruction index)
    /// if it stopped.
    pub block: *const Block,
    pub stop_index: u64,
    /// The jump cache (see `JcEntry`).
    pub jc: Box<[JcEntry; JC_SIZE]>,
    /// Where the slow-path helpers leave their status and the value loaded.
    pub scratch: u64,
    pub status: u32,
    pub mode: JitMode,
    threshold: u32,
    backend: Option<Box<translate::Backend>>,
    /// Translate on this thread even in mode `On` (`EMU_JIT_SYNC=1`): runs then do not
    /// depend on the compile thread's timing, so callgrind counts are repeatable.
    sync: bool,
    /// The compile thread (mode `On`), and what it is translating.
    worker: Option<worker::Worker>,
    inflight: Vec<Inflight>,
    next_id: u64,
    /// Set when translation cannot work here (no ISA, no executable memory).
    broken: bool,
    pub stats: JitStats,
}

impl Default for JitState {
    fn default() -> Self {
        let mode = jit_mode();
        let threshold =
            std::env::var("EMU_JIT_THRESHOLD").ok().and_then(|v| v.parse().ok()).unwrap_or(THRESHOLD);
        JitState {
            check_at: 0,
            link: std::ptr::null(),
            block: std::ptr::null(),
            stop_index: 0,
            jc: Box::new([JC_EMPTY; JC_SIZE]),
            scratch: 0,
            status: 0,
            mode,
            threshold: if mode == JitMode::Force { 0 } else { threshold },
            backend: None,
            sync: std::env::var_os("EMU_JIT_SYNC").is_some_and(|v| v == "1"),
            worker: None,
            inflight: Vec::new(),
            next_id: 0,
            broken: false,
            stats: JitStats::default(),
        }
    }
}

impl JitState {
    /// Puts `code`, the unit for `rip` in cache generation `gen`, into the jump cache.
    #[inline(always)]
    pub(crate) fn remember(&mut self, rip: u64, gen: u64, code: *const u8) {
        let i = jc_index(rip);
        let old = self.jc[i];
        if old.rip != rip && old.gen == gen {
            self.jc[i ^ 1] = old;
        }
        self.jc[i] = JcEntry { rip, gen, code };
    }
}

/// Instructions a unit may run past a look at `request_stop` (`check_at` below the budget):
/// more than any unit runs between two budget checks (`region::budget_checks`), so that a
/// unit leaves for such a look at a loop's head rather than hand blocks to the interpreter.
/// Only the budget itself must be met exactly.
const POLL_SLACK: u64 = 1024;

/// The `check_at` units get from the loop's: the budget exactly, a look at `request_stop`
/// up to `POLL_SLACK` late.
#[inline(always)]
pub(crate) fn unit_check_at(check_at: u64, budget: u64) -> u64 {
    if check_at >= budget {
        budget
    } else {
        check_at.saturating_add(POLL_SLACK).min(budget)
    }
}

/// A unit's return value: 0 ran to its end; `RESUME`: the interpreter should run the rest
/// of the block from the noted instruction; otherwise a stop plus one.
pub(crate) const RUN_ON: u32 = 0;
pub(crate) const RESUME: u32 = 0x200;

pub(crate) fn stop_from_code(c: u32) -> Stop {
    match c - 1 {
        0 => Stop::Syscall,
        1 => Stop::Fault,
        2 => Stop::Ud,
        3 => Stop::Resync,
        4 => Stop::DivideError,
        5 => Stop::Breakpoint,
        6 => Stop::GeneralProtection,
        7 => Stop::FpException,
        _ => Stop::Interrupt,
    }
}

pub(crate) fn stop_code(s: Stop) -> u32 {
    s as u32 + 1
}

impl Cpu {
    /// Whether the ordinary loop should consult the JIT at all.
    #[inline(always)]
    pub(crate) fn jit_on(&self) -> bool {
        self.jit.mode != JitMode::Off && !self.jit.broken
    }

    /// The block's unit, translating it if it has become hot. None: interpret it.
    /// `from_unit`: a unit has just returned to the loop, which is going on at `blk`.
    #[inline(always)]
    pub(crate) fn jit_unit(&mut self, blk: &Block, from_unit: bool) -> Option<*const u8> {
        if let Some(c) = blk.jit.code() {
            return Some(c);
        }
        let h = blk.jit.heat.get();
        if h < self.jit.threshold {
            blk.jit.heat.set(h + 1);
            return None;
        }
        if h >= LONE {
            if h == LONE && from_unit {
                return self.jit_hot(blk, true);
            }
            return None;
        }
        self.jit_hot(blk, from_unit)
    }

    /// Installs what the compile thread has finished, if it is translating anything. The
    /// loop calls it at each look at the budget (every `STOP_CHECK` instructions at most).
    #[inline(always)]
    pub(crate) fn jit_poll(&mut self) {
        if !self.jit.inflight.is_empty() {
            self.jit_collect();
        }
    }

    /// A block that is hot or being translated: its region goes to the compile thread
    /// (mode `On`) or is translated now (`Force`, or without a thread). Finished
    /// translations are installed here.
    #[cold]
    #[inline(never)]
    fn jit_hot(&mut self, blk: &Block, from_unit: bool) -> Option<*const u8> {
        if self.jit.mode == JitMode::On && self.icount < WARMUP {
            blk.jit.heat.set(0);
            return None;
        }
        if self.jit.backend.is_none() {
            match translate::Backend::new(CODE_BYTES) {
                Some(b) => self.jit.backend = Some(Box::new(b)),
                None => {
                    self.jit.broken = true;
                    return None;
                }
            }
        }
        if self.jit.mode == JitMode::On && !self.jit.sync && self.jit.inflight.len() >= MAX_INFLIGHT {
            blk.jit.heat.set(0);
            return None;
        }
        let t = std::time::Instant::now();
        let eager = self.jit.mode == JitMode::Force;
        let min_heat = (self.jit.threshold / SUCCESSOR_HEAT_DIV).max(1);
        let (mut region, mut blocks) = region::form(self, blk, min_heat, eager, false);
        if !eager && !region.pays() {
            if region.blocks.len() > 1 {
                (region, blocks) = region::form(self, blk, min_heat, eager, true);
            }
            if !region.pays_alone() {
                // Left to the interpreter for good (forcing translates it all the same).
                self.jit.stats.interpreted += 1;
                blk.jit.heat.set(FAILED);
                return None;
            }
            if !from_unit {
                // Among interpreted neighbours, a unit would only add exits.
                blk.jit.heat.set(LONE);
                return None;
            }
        }
        let head = match self.cache.map.get(&blk.start) {
            Some(&i) => self.cache.get(i).clone(),
            None => return None,
        };
        let id = self.jit.next_id;
        self.jit.next_id += 1;
        let ns = t.elapsed().as_nanos() as u64;
        let entries = region.entries.iter().map(|&(j, _)| j).collect();
        let inf = Inflight { id, head, blocks, entries, ns };
        if self.jit.mode == JitMode::On && !self.jit.sync {
            if self.jit.worker.is_none() {
                let gen = self.jit.backend.as_ref().expect("made above").codegen();
                self.jit.worker = worker::Worker::spawn(gen);
            }
            if let Some(w) = &self.jit.worker {
                if w.submit(id, region) {
                    blk.jit.heat.set(IN_FLIGHT);
                    // The region's entries wait for it too, rather than turn hot meanwhile
                    // and be translated again as heads of regions of their own, and other
                    // regions leave to them rather than take them in.
                    for &j in &inf.entries {
                        inf.blocks[j - 1].jit.heat.set(IN_FLIGHT);
                    }
                    self.jit.inflight.push(inf);
                    return None;
                }
                // The thread is gone: from now on, translate here.
                self.jit.worker = None;
                return None;
            }
        }
        let r = self.jit.backend.as_mut().expect("made above").translate(&region);
        self.jit_install(inf, r);
        blk.jit.code()
    }

    /// Installs every translation the compile thread has finished.
    #[cold]
    #[inline(never)]
    fn jit_collect(&mut self) {
        while let Some(done) = self.jit.worker.as_ref().and_then(|w| w.finished()) {
            let Some(at) = self.jit.inflight.iter().position(|i| i.id == done.id) else { continue };
            let inf = self.jit.inflight.swap_remove(at);
            self.jit_install(inf, done.result);
        }
    }

    /// Puts a translation into code memory and gives it to its head block and its entries
    /// (see `install_unit`); the region is no longer in flight.
    fn jit_install(&mut self, inf: Inflight, r: Result<translate::Compiled, translate::TxError>) {
        self.install_unit(&inf, r);
        inf.release();
    }

    /// Puts a translation into code memory and gives it to its head block, unless a block
    /// of the region was dropped meanwhile (its code changed) or the head has a unit.
    fn install_unit(&mut self, inf: &Inflight, r: Result<translate::Compiled, translate::TxError>) {
        let head = &inf.head;
        let c = match r {
            Ok(c) => c,
            Err(e) => {
                log::debug!("jit: block at {:#x} not translated: {e}", head.start);
                self.jit.stats.failed += 1;
                head.jit.heat.set(FAILED);
                return;
            }
        };
        self.jit.stats.compile_ns += inf.ns + c.ns;
        if head.jit.code().is_some() || self.jit.broken {
            return;
        }
        if !head.valid.get() || inf.blocks.iter().any(|b| !b.valid.get()) {
            head.jit.heat.set(0);
            return;
        }
        let mut backend = self.jit.backend.take().expect("a unit implies the backend");
        let nblocks = inf.blocks.len() as u64 + 1;
        let mut r = backend.install(c);
        if let Err((translate::TxError::Full, c)) = r {
            // Code memory is full: every unit goes and compiling starts again. The
            // translation in hand is still good (it refers to nothing in code memory but
            // the trampolines, which stay).
            self.jit_flush(&mut backend);
            if self.jit.broken {
                self.jit.backend = Some(backend);
                return;
            }
            r = backend.install(c);
        }
        self.jit.backend = Some(backend);
        match r {
            Ok(t) => {
                self.jit.stats.units += 1;
                self.jit.stats.blocks += nblocks;
                self.jit.stats.code_bytes += t.bytes as u64;
                self.jit.stats.insns_native += t.native;
                self.jit.stats.insns_called += t.called;
                // The head stands for the whole region: a write to any of its code drops it.
                let pages: Vec<u64> = inf.blocks.iter().flat_map(|b| b.pages.0..=b.pages.1).collect();
                self.cache.cover_pages(head.start, pages);
                log::debug!(
                    "jit: unit for {:#x} ({} blocks) at {:p}, {} bytes",
                    head.start,
                    nblocks,
                    t.unit.code,
                    t.bytes
                );
                perf_map(t.unit.code, t.bytes, head.start);
                let mut unit = t.unit;
                for &j in &inf.entries {
                    let b = &inf.blocks[j - 1];
                    if b.valid.get() && b.jit.code().is_none() {
                        b.jit.set_entry(unit.code);
                        unit.entries.push(Rc::downgrade(b));
                        self.jit.stats.entries += 1;
                    }
                }
                head.jit.set(unit);
            }
            Err(_) => head.jit.heat.set(0),
        }
    }

    /// The host process was forked and this is the child: the compile thread does not
    /// exist here. Its channels are forgotten (the lost thread may have held their locks)
    /// and the regions it was translating will be formed again when they next turn hot.
    pub fn after_fork(&mut self) {
        if let Some(w) = self.jit.worker.take() {
            std::mem::forget(w);
        }
        // The code memory may be shared with the parent until it is made this process's.
        if let Some(b) = self.jit.backend.as_mut() {
            if !b.after_fork() {
                self.jit.broken = true;
            }
        }
        for inf in self.jit.inflight.drain(..) {
            inf.release();
        }
    }

    /// Drops every unit and empties the code memory (it is full). Called between units
    /// only, so no translated code is running.
    fn jit_flush(&mut self, backend: &mut translate::Backend) {
        for b in self.cache.blocks.iter().flatten().chain(self.cache.retired.iter()) {
            b.jit.clear();
            if b.jit.heat.get() != IN_FLIGHT {
                b.jit.heat.set(0);
            }
        }
        // Links into the dropped units die with the generation.
        self.cache.gen += 1;
        self.jit.link = std::ptr::null();
        if !backend.reset() {
            // Nothing more can be written: the interpreter runs everything from now on.
            self.jit.broken = true;
        }
        self.jit.stats.flushes += 1;
    }

    /// Runs translated code starting at `code`, the unit of `blk`. Returns 0 or a stop
    /// code (see `RUN_ON`).
    #[inline(always)]
    pub(crate) fn jit_enter(&mut self, blk: &Block, code: *const u8) -> u32 {
        // A unit that left through an unfilled link slot wants it to point here.
        let l = self.jit.link;
        if !l.is_null() {
            // SAFETY: the slot belongs to a unit that is still alive: units are dropped
            // only by invalidation (which bumps the generation; the loop then clears
            // `link` through `stop`/`run`), or by `jit_flush`, which clears `link`.
            let l = unsafe { &*l };
            l.gen.set(self.cache.gen);
            l.rip.set(blk.start);
            l.code.set(code);
            self.jit.link = std::ptr::null();
        }
        self.jit.remember(blk.start, self.cache.gen, code);
        let enter = self.jit.backend.as_ref().expect("a unit exists, so the backend does").enter;
        self.jit.stats.exits += 1;
        // SAFETY: `enter` is the trampoline compiled for this backend with this signature,
        // and `code` a live unit of it.
        unsafe { enter(self as *mut Cpu, code, blk.start) }
    }

    /// Sets this CPU's JIT mode (`set_jit_mode` sets the default for new CPUs).
    pub fn set_jit(&mut self, m: JitMode) {
        let m = if jit_supported() { m } else { JitMode::Off };
        self.jit.mode = m;
        if m == JitMode::Force {
            self.jit.threshold = 0;
        } else if self.jit.threshold == 0 {
            self.jit.threshold = THRESHOLD;
        }
    }

    /// The JIT's counters.
    pub fn jit_stats(&self) -> JitStats {
        self.jit.stats
    }
}
