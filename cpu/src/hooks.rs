//! Instrumentation hooks: a [`Tracer`] the embedder installs to see every block entered,
//! every instruction, every taken branch and every access to watched memory.
//!
//! Cost when off is nothing on the hot path: `Cpu::run` checks [`Hooks::active`] once per
//! call and then runs either the ordinary loop (no hook code at all) or [`Cpu::run_hooked`],
//! a second loop that steps a block one op at a time and calls the tracer. Memory watches
//! live off the hot path too: a watched page is never entered into the soft TLB, so every
//! access to it takes the slow path, which is where the watch is checked.
//!
//! When a crash report may be written ([`Hooks::block_ring`]), `run` picks a copy of the
//! ordinary loop that notes the start of each block entered in a small ring (one store per
//! block, not per instruction), enough to rebuild the last [`HISTORY`] instructions from
//! the cached blocks. Without it the ordinary loop keeps no trace at all.

use crate::decode::{Flow, Op};
use crate::exec::{stop_requested, Exit};
use crate::state::Cpu;

/// Receives events from [`Cpu::run_hooked`]. Every method has an empty default. The
/// tracer may read guest memory and registers through `cpu`, but must not change them.
pub trait Tracer {
    /// A block starting at `start` with `ninsns` instructions is about to run.
    fn block(&mut self, _cpu: &mut Cpu, _start: u64, _ninsns: usize) {}
    /// The instruction at `addr` (`len` bytes) is about to run; it is the `seq`-th
    /// instruction (0-based) of this image.
    fn insn(&mut self, _cpu: &mut Cpu, _seq: u64, _addr: u64, _len: u8) {}
    /// The instruction at `addr` completed and transferred control to `to`, which is not
    /// the next instruction (a taken branch, call, return or jump).
    fn branch(&mut self, _cpu: &mut Cpu, _addr: u64, _len: u8, _to: u64) {}
    /// The instruction at `insn` accessed watched memory.
    fn mem(&mut self, _cpu: &mut Cpu, _insn: u64, _ev: &MemEvent) {}
}

/// One access to watched memory. Values are little-endian bytes; `old` is the value before
/// a write (for reads, `old == new`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemEvent {
    pub addr: u64,
    pub len: u8,
    pub write: bool,
    pub old: [u8; 16],
    pub new: [u8; 16],
}

impl MemEvent {
    /// The value as an integer (accesses of 8 bytes or less).
    pub fn value(bytes: &[u8; 16], len: u8) -> u128 {
        let mut v = [0u8; 16];
        v[..len as usize].copy_from_slice(&bytes[..len as usize]);
        u128::from_le_bytes(v)
    }
}

/// A watched range. `reads` also reports loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watch {
    pub start: u64,
    pub len: u64,
    pub reads: bool,
}

/// Why the hooked loop stopped for a debugger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugStop {
    /// `rip` is a breakpoint address; the instruction there has not run.
    Breakpoint,
    /// One instruction ran ([`Stops::step`]).
    Step,
    /// The instruction just run accessed a stop watch at `addr`.
    Watch { addr: u64, write: bool },
    /// The CPU is about to run instruction number [`Stops::until`] (counted from 0, as
    /// `icount`); it has not run.
    Reached,
}

/// What a debugger (`--gdb`) wants the hooked loop to stop at. Only the hooked loop looks
/// at it, so a run without a debugger never pays for it.
#[derive(Clone, Debug, Default)]
pub struct Stops {
    /// Stop before running an instruction at one of these addresses.
    pub breakpoints: Vec<u64>,
    /// Stop after one instruction.
    pub step: bool,
    /// The first instruction at this address does not stop at its breakpoint (resuming
    /// from a breakpoint runs the instruction there).
    pub resume_from: Option<u64>,
    /// Stop before running instruction number `until`, when `icount` equals it (reverse
    /// execution re-runs a replay to an exact instruction; checkpoints are taken there).
    pub until: Option<u64>,
    /// Watches that stop after the access (set with [`Cpu::set_stop_watches`]).
    watches: Vec<Watch>,
}

impl Watch {
    /// Whether an access of `len` bytes at `addr` is one this watch sees.
    fn hits(&self, addr: u64, len: u64, write: bool) -> bool {
        (write || self.reads)
            && addr < self.start.saturating_add(self.len)
            && self.start < addr.saturating_add(len)
    }
}

/// How many instructions a crash report shows.
pub const HISTORY: usize = 16;

/// How many blocks the ordinary loop's ring keeps: every block has at least one
/// instruction, so this many always cover [`HISTORY`] instructions.
const BLOCKS: usize = HISTORY;

/// A block count in the ring meaning the whole block ran.
const WHOLE: u32 = u32::MAX;

/// What is hooked and the tracer that receives it.
#[derive(Default)]
pub struct Hooks {
    pub tracer: Option<Box<dyn Tracer>>,
    /// Call `Tracer::block`.
    pub blocks: bool,
    /// Call `Tracer::insn`.
    pub insns: bool,
    /// Call `Tracer::branch`.
    pub branches: bool,
    /// Keep the addresses of the last [`HISTORY`] instructions.
    pub history: bool,
    /// The ordinary loop notes each block it enters (for a crash report).
    pub block_ring: bool,
    /// Every instruction computes its flags, even those nothing reads (`crate::liveness`
    /// skips them otherwise): set before any code is decoded, for an observer that reads
    /// RFLAGS after each instruction.
    pub exact_flags: bool,
    ring: [u64; HISTORY],
    ring_pos: u64,
    /// (block start, fast ops run or [`WHOLE`]) of the last blocks the ordinary loop entered.
    blocks_ring: [(u64, u32); BLOCKS],
    blocks_pos: usize,
    watches: Vec<Watch>,
    /// A debugger is attached: the hooked loop runs and honours `stops`.
    pub debug: bool,
    pub stops: Stops,
    events: Vec<MemEvent>,
    /// Blocks entered by the hooked loop.
    pub blocks_entered: u64,
}

impl Hooks {
    /// Whether `Cpu::run` must take the hooked loop.
    pub fn active(&self) -> bool {
        self.tracer.is_some() && self.wanted() || !self.watches.is_empty() || self.debug
    }

    /// Whether anything is hooked (whoever holds the tracer right now).
    fn wanted(&self) -> bool {
        self.blocks || self.insns || self.branches || self.history || !self.watches.is_empty() || self.debug
    }

    /// Whether any memory is watched (checked on the slow path of loads).
    #[inline(always)]
    pub(crate) fn watching(&self) -> bool {
        !self.watches.is_empty() || !self.stops.watches.is_empty()
    }

    pub fn watches(&self) -> &[Watch] {
        &self.watches
    }

    /// The ordinary loop (with the ring) enters the block at `start`.
    #[inline(always)]
    pub(crate) fn note_block(&mut self, start: u64) {
        self.blocks_pos = (self.blocks_pos + 1) % BLOCKS;
        self.blocks_ring[self.blocks_pos] = (start, WHOLE);
    }

    /// The block last entered stopped after its fast op `i` (a fault, a syscall).
    #[cold]
    pub(crate) fn note_partial(&mut self, i: u32) {
        self.blocks_ring[self.blocks_pos].1 = i + 1;
    }
}

impl Cpu {
    /// Replaces the watched ranges. Their pages leave the soft TLBs (and stay out while
    /// watched), so accesses to them reach the slow path where they are reported.
    pub fn set_watches(&mut self, w: Vec<Watch>) {
        self.hooks.watches = w;
        self.rewatch_pages();
    }

    /// Replaces the debugger's watches (they stop the hooked loop after the access).
    pub fn set_stop_watches(&mut self, w: Vec<Watch>) {
        self.hooks.stops.watches = w;
        self.rewatch_pages();
    }

    /// Keeps the pages of every watch, traced or stopping, out of the soft TLBs.
    fn rewatch_pages(&mut self) {
        let mut rpages = Vec::new();
        let mut wpages = Vec::new();
        for x in self.hooks.watches.iter().chain(&self.hooks.stops.watches) {
            let last = x.start.saturating_add(x.len.max(1) - 1) >> 12;
            for vpn in x.start >> 12..=last {
                wpages.push(vpn);
                if x.reads {
                    rpages.push(vpn);
                }
            }
        }
        self.mem.set_watched_pages(rpages, wpages);
    }

    /// Addresses of the last instructions started, oldest first (hooked loop with
    /// `history` on).
    pub fn history(&self) -> Vec<u64> {
        let n = self.hooks.ring_pos.min(HISTORY as u64);
        (self.hooks.ring_pos - n..self.hooks.ring_pos)
            .map(|i| self.hooks.ring[i as usize % HISTORY])
            .collect()
    }

    /// The last [`HISTORY`] instructions the ordinary loop ran, oldest first, rebuilt from
    /// its block ring ([`Hooks::block_ring`]). Blocks since dropped from the cache end the
    /// trail there (what ran before them is not known).
    pub fn block_trail(&self) -> Vec<u64> {
        let h = &self.hooks;
        let mut out: Vec<u64> = Vec::new();
        for k in 0..BLOCKS {
            let (start, n) = h.blocks_ring[(h.blocks_pos + BLOCKS - k) % BLOCKS];
            if start == 0 && n == 0 {
                break; // never filled
            }
            let Some(b) = self.cache.map.get(&start).and_then(|&i| self.cache.blocks[i as usize].as_ref())
            else {
                break;
            };
            let addrs: Vec<u64> = if n == WHOLE {
                b.plain_ops().map(|o| o.addr).collect()
            } else {
                // A fused compare-and-branch is one fast op starting at the compare.
                b.fast_ops().iter().take(n as usize).map(|o| o.addr).collect()
            };
            out.splice(0..0, addrs);
            if out.len() >= HISTORY {
                break;
            }
        }
        if out.len() > HISTORY {
            out.drain(..out.len() - HISTORY);
        }
        out
    }

    /// Slow-path load helper: reports a load from a watched range.
    #[cold]
    pub(crate) fn watch_load(&mut self, addr: u64, buf: &[u8]) {
        if self.watch_hit(addr, buf.len(), false) {
            let mut v = [0u8; 16];
            v[..buf.len().min(16)].copy_from_slice(&buf[..buf.len().min(16)]);
            self.hooks.events.push(MemEvent { addr, len: buf.len() as u8, write: false, old: v, new: v });
        }
    }

    /// Slow-path store helper, before the store: the old value if the store hits a watch.
    #[inline(always)]
    pub(crate) fn watch_before_store(&mut self, addr: u64, len: usize) -> Option<[u8; 16]> {
        if !self.hooks.watching() {
            return None;
        }
        self.watch_old(addr, len)
    }

    #[cold]
    fn watch_old(&mut self, addr: u64, len: usize) -> Option<[u8; 16]> {
        if !self.watch_hit(addr, len, true) {
            return None;
        }
        let mut old = [0u8; 16];
        let n = len.min(16);
        // A write-only page cannot be read; its old value shows as zero.
        let _ = self.mem.peek(addr, &mut old[..n]);
        Some(old)
    }

    /// Slow-path store helper, after the store succeeded.
    #[cold]
    pub(crate) fn watch_after_store(&mut self, addr: u64, old: [u8; 16], data: &[u8]) {
        let mut new = [0u8; 16];
        let n = data.len().min(16);
        new[..n].copy_from_slice(&data[..n]);
        self.hooks.events.push(MemEvent { addr, len: n as u8, write: true, old, new });
    }

    fn watch_hit(&self, addr: u64, len: usize, write: bool) -> bool {
        let h = &self.hooks;
        h.watches.iter().chain(&h.stops.watches).any(|w| w.hits(addr, len as u64, write))
    }

    /// The debugger's watch that `ev` hit, if any: the stop it makes.
    fn stop_watch_hit(&self, ev: &MemEvent) -> Option<DebugStop> {
        let w = self.hooks.stops.watches.iter().find(|w| w.hits(ev.addr, ev.len as u64, ev.write))?;
        Some(DebugStop::Watch { addr: w.start.max(ev.addr), write: ev.write })
    }

    /// The interpreter loop with hooks: like `run`, but one op at a time, calling the
    /// tracer around each. Chosen once by `run` when [`Hooks::active`].
    #[inline(never)]
    pub(crate) fn run_hooked(&mut self) -> Exit {
        let Some(mut tracer) = self.hooks.tracer.take() else {
            return self.run_hooked_with(&mut NoTracer);
        };
        let exit = self.run_hooked_with(tracer.as_mut());
        self.hooks.tracer = Some(tracer);
        exit
    }

    fn run_hooked_with(&mut self, t: &mut dyn Tracer) -> Exit {
        loop {
            if self.icount >= self.budget {
                return Exit::Budget;
            }
            if stop_requested() {
                return Exit::Interrupted;
            }
            let rip = self.rip;
            let idx = match self.cache.lookup(rip) {
                Some(i) => i,
                None => match self.decode_block(rip) {
                    Ok(i) => i,
                    Err(f) => {
                        self.fault = crate::state::FaultInfo { addr: f.addr, kind: f.kind, access: f.access };
                        return Exit::Fault(f);
                    }
                },
            };
            let blk: *const crate::decode::Block = std::rc::Rc::as_ptr(self.cache.get(idx));
            // SAFETY: as in `run`: a block leaves the cache only into `retired`, which is
            // emptied only on entry to `run`, so the pointer stays valid for this block.
            let blk = unsafe { &*blk };
            self.hooks.blocks_entered += 1;
            if self.hooks.blocks {
                t.block(self, blk.start, blk.insns as usize);
            }
            self.rip = blk.end;
            let n = blk.insns as usize;
            let mut stopped = None;
            for (i, op) in blk.plain_ops().enumerate() {
                if self.hooks.history {
                    self.hooks.ring[(self.hooks.ring_pos % HISTORY as u64) as usize] = op.addr;
                    self.hooks.ring_pos += 1;
                }
                if self.hooks.debug {
                    let stop = if self.hooks.stops.until == Some(self.icount + i as u64) {
                        Some(DebugStop::Reached)
                    } else {
                        self.at_breakpoint(op.addr).then_some(DebugStop::Breakpoint)
                    };
                    if let Some(stop) = stop {
                        self.icount += i as u64;
                        self.rip = op.addr;
                        return Exit::Debug(stop);
                    }
                }
                if self.hooks.insns {
                    t.insn(self, self.icount + i as u64, op.addr, op.len);
                }
                let r = self.exec_one(op);
                let mut watch_stop = None;
                if !self.hooks.events.is_empty() {
                    for ev in std::mem::take(&mut self.hooks.events) {
                        watch_stop = watch_stop.or_else(|| self.stop_watch_hit(&ev));
                        t.mem(self, op.addr, &ev);
                    }
                }
                if let Err(s) = r {
                    stopped = Some((s, i, op));
                    break;
                }
                if self.hooks.branches && i + 1 == n && self.rip != op.next() {
                    t.branch(self, op.addr, op.len, self.rip);
                }
                if self.hooks.debug {
                    let stop = watch_stop.or(self.hooks.stops.step.then_some(DebugStop::Step));
                    if let Some(stop) = stop {
                        self.icount += i as u64 + 1;
                        if i + 1 < n {
                            self.rip = op.next();
                        }
                        return Exit::Debug(stop);
                    }
                }
            }
            match stopped {
                None => self.icount += n as u64,
                Some((s, i, op)) => {
                    if let Some(exit) = self.stop(s, i, op) {
                        return exit;
                    }
                    self.sync_stale_code();
                }
            }
            if !self.hooks.wanted() {
                // The tracer turned everything off (e.g. --trace-limit reached): the caller
                // runs again and `run` picks the ordinary loop. (Not a call to `run` from
                // here: a recursive `run` would no longer be inlined into its caller.)
                return Exit::Interrupted;
            }
        }
    }

    /// Whether the hooked loop stops before the instruction at `addr` (a breakpoint the
    /// run did not just resume from).
    fn at_breakpoint(&mut self, addr: u64) -> bool {
        let st = &mut self.hooks.stops;
        if st.resume_from.take() == Some(addr) {
            return false;
        }
        st.breakpoints.contains(&addr)
    }

    #[inline(always)]
    fn exec_one(&mut self, op: &Op) -> Flow {
        // One instruction at a time: a copy of the op followed by an end op, so the
        // handler's move to the next op returns here.
        let pair = [op.copy(), crate::decode::end_op(op.next())];
        (pair[0].f.get())(self, &pair[0])
    }
}

struct NoTracer;
impl Tracer for NoTracer {}
