//! The interpreter loop and guest memory access from instruction handlers.
//!
//! Threaded dispatch: the loop only picks the next block (following successor links)
//! and calls its first op. Every handler ends in `next_op`, which calls the handler of
//! the op after it, in tail position, so the ops of a block run as a chain of jumps with
//! no return to the loop between them; the block's end op (`decode::end_op`) returns.
//! A stop (syscall, fault, ...) returns at once and notes the op that stopped
//! (`Cpu::stop_op`). Helpers for a handler's last step (`ld_next`, `st_next`, `rmw_next`,
//! `st_then_next`) make the TLB miss a tail call as well, so the common handlers need no
//! stack frame. Without the tail calls (a debug build) the chain recurses at most one
//! block deep (128 instructions).

use crate::decode::{Block, Flow, Op, Stop};
use crate::mem::{Access, Fault, FaultKind, PAGE_MASK, PAGE_SIZE};
use crate::state::Cpu;
use std::sync::atomic::{AtomicBool, Ordering};

/// Why `Cpu::run` returned. `rip` points at the faulting instruction for faults, and past
/// the instruction for `Syscall` and `Breakpoint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    Syscall,
    /// A memory access failed (SIGSEGV/SIGBUS in Linux terms).
    Fault(Fault),
    /// Undefined or unimplemented instruction at rip (SIGILL). The text names it.
    InvalidOpcode(String),
    /// Divide error (SIGFPE, FPE_INTDIV).
    DivideError,
    /// int3 (SIGTRAP).
    Breakpoint,
    /// An instruction user mode may not execute, or a misaligned SSE operand
    /// (SIGSEGV with si_code SI_KERNEL).
    GeneralProtection,
    /// An unmasked x87/SSE floating-point exception (SIGFPE).
    FpException,
    /// `int n` (n != 3).
    Interrupt(u8),
    /// `icount` reached `budget`.
    Budget,
    /// `request_stop` was called (an asynchronous event wants attention), or the hooks were
    /// turned off under the hooked loop; either way the caller just runs again.
    Interrupted,
    /// A debugger's stop (`hooks::Stops`): never seen unless a debugger asked for it.
    Debug(crate::hooks::DebugStop),
}

/// How every handler ends: with `r` Ok it runs the op after `op` in the block (a tail
/// call: the ops of a block run without returning to the interpreter loop until the
/// block's end op, see `decode::end_op`); with a stop it notes `op` for the loop, which
/// needs to know where the block stopped.
#[inline(always)]
pub(crate) fn next_op(cpu: &mut Cpu, op: &Op, r: Flow) -> Flow {
    match r {
        Ok(()) => {
            // SAFETY: a handler only runs on an op inside a block's list (or the hooked
            // loop's two-op copy), and every such op is followed by at least the end op.
            let next = unsafe { &*(op as *const Op).add(1) };
            (next.f.get())(cpu, next)
        }
        Err(s) => stopped_at(cpu, op, s),
    }
}

/// A handler's usual shape: runs its body `f`, then the next op (see `next_op`).
#[inline(always)]
pub(crate) fn and_next<F: FnOnce(&mut Cpu) -> Flow>(cpu: &mut Cpu, op: &Op, f: F) -> Flow {
    let r = f(cpu);
    next_op(cpu, op, r)
}

#[cold]
#[inline(never)]
fn stopped_at(cpu: &mut Cpu, op: &Op, s: Stop) -> Flow {
    cpu.stop_op = op;
    Err(s)
}

/// Addressing forms (`Cpu::ea_as`): a flat `[base + disp]`, or anything.
pub(crate) const EA_BASE_DISP: u8 = 0;
pub(crate) const EA_ANY: u8 = 1;

static STOP: AtomicBool = AtomicBool::new(false);

/// Guest instructions the ordinary loop runs between looks at `request_stop` (about a
/// millisecond).
const STOP_CHECK: u64 = 1 << 16;

/// Asks every running `Cpu::run` to return `Exit::Interrupted` soon, at a block boundary
/// (within `STOP_CHECK` instructions in the ordinary loop). Async-signal-safe: a host
/// signal handler may call it.
pub fn request_stop() {
    STOP.store(true, Ordering::Relaxed);
}

/// Consumes a pending `request_stop`.
#[inline(always)]
pub(crate) fn stop_requested() -> bool {
    if STOP.load(Ordering::Relaxed) {
        STOP.store(false, Ordering::Relaxed);
        return true;
    }
    false
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RunStats {
    pub instructions: u64,
    pub blocks_decoded: u64,
    /// Block-cache lookups by address (chained transitions need none) and misses.
    pub lookups: u64,
    pub misses: u64,
    /// The JIT tier's counters.
    pub jit: crate::jit::JitStats,
}

impl Cpu {
    pub fn stats(&self) -> RunStats {
        RunStats {
            instructions: self.icount,
            blocks_decoded: self.cache.decoded,
            lookups: self.cache.lookups,
            misses: self.cache.misses,
            jit: self.jit.stats,
        }
    }

    /// Drops blocks whose code pages changed under the mapping-management API.
    pub(crate) fn sync_stale_code(&mut self) {
        while let Some(vpn) = self.mem.stale_code.pop() {
            self.cache.invalidate_page(vpn);
        }
    }

    /// Runs guest code from `self.rip` until something needs the caller.
    pub fn run(&mut self) -> Exit {
        // No block is executing here, so invalidated blocks can finally be freed (and with
        // them their units, which the pending link slot may belong to).
        self.jit.link = std::ptr::null();
        self.cache.retired.clear();
        self.sync_stale_code();
        self.jit_poll();
        if self.hooks.active() {
            return self.run_hooked();
        }
        if self.hooks.block_ring {
            return self.run_with_ring();
        }
        self.run_loop::<false>()
    }

    /// The ordinary loop keeping the recent-block ring (a crash report may be written).
    #[inline(never)]
    fn run_with_ring(&mut self) -> Exit {
        self.run_loop::<true>()
    }

    /// The ordinary loop. With `RING`, each block entered is noted in the crash report's
    /// ring (one store per block); without it the loop has no trace of hooks at all.
    #[inline(always)]
    fn run_loop<const RING: bool>(&mut self) -> Exit {
        // SAFETY (for every dereference of a block pointer below): a block leaves the
        // cache only into `retired`, which is emptied only on entry to `run`, so a pointer
        // obtained during this call stays valid even if a handler invalidates its block.
        // Links are followed only in the generation they were made in (see `Block::link`).
        let mut prev: *const Block = std::ptr::null();
        // A unit returned just now (the next block is where it went on).
        let mut from_unit = false;
        if stop_requested() {
            return Exit::Interrupted;
        }
        // One comparison per block covers both the budget and the periodic look at
        // `request_stop` (an asynchronous event waits at most STOP_CHECK instructions).
        let mut check_at = self.budget.min(self.icount.saturating_add(STOP_CHECK));
        loop {
            if self.icount >= check_at {
                if self.icount >= self.budget {
                    return Exit::Budget;
                }
                if stop_requested() {
                    return Exit::Interrupted;
                }
                self.jit_poll();
                check_at = self.budget.min(self.icount.saturating_add(STOP_CHECK));
            }
            let rip = self.rip;
            // SAFETY: see above.
            let linked = match unsafe { prev.as_ref() } {
                Some(p) => p.linked(rip, self.cache.gen),
                None => None,
            };
            let blk = match linked {
                Some(b) => b,
                None => match self.find_block(rip, prev) {
                    Ok(b) => b,
                    Err(f) => {
                        self.fault = crate::state::FaultInfo { addr: f.addr, kind: f.kind, access: f.access };
                        return Exit::Fault(f);
                    }
                },
            };
            // SAFETY: see above.
            let mut blk = unsafe { &*blk };
            if RING {
                self.hooks.note_block(blk.start);
            }
            // Where the interpreter starts in the block (a unit may hand over part-way).
            let mut start = 0;
            let after_unit = std::mem::replace(&mut from_unit, false);
            if self.jit_on() {
                if let Some(code) = self.jit_unit(blk, after_unit) {
                    // With the ring, every unit returns here to be noted (no chaining).
                    self.jit.check_at =
                        if RING { 0 } else { crate::jit::unit_check_at(check_at, self.budget) };
                    let r = self.jit_enter(blk, code);
                    if r == crate::jit::RUN_ON {
                        from_unit = true;
                        prev = self.jit.block;
                        continue;
                    }
                    // SAFETY: the unit noted its block, which is alive (blocks are freed
                    // only on entry to `run`).
                    let jb = unsafe { &*self.jit.block };
                    let i = self.jit.stop_index as usize;
                    if r == crate::jit::RESUME {
                        // The unit met a TLB miss at instruction i (not the Jcc of a fused
                        // pair, so i is also the index among the block's fast ops): the
                        // interpreter runs the rest of the block.
                        self.jit.stats.resumes += 1;
                        blk = jb;
                        start = i;
                    } else {
                        self.jit.stats.stops += 1;
                        let op = jb.plain_ops().nth(i).expect("a stop inside the block");
                        if RING {
                            self.hooks.note_partial(i as u32);
                        }
                        if let Some(exit) = self.stop(crate::jit::stop_from_code(r), i, op) {
                            return exit;
                        }
                        self.sync_stale_code();
                        prev = std::ptr::null();
                        continue;
                    }
                } else {
                    // Only a unit that returned just now may have its exit linked.
                    self.jit.link = std::ptr::null();
                }
            }
            self.rip = blk.end;
            // Each op runs the next one itself (`next_op`); the block's end op returns.
            let first = blk.first_op();
            // SAFETY: `start` is 0, or an instruction index below the fused op's (`RESUME`).
            let op0 = unsafe { blk.ops.get_unchecked(start) };
            match (op0.f.get())(self, op0) {
                Ok(()) => {
                    self.icount += blk.insns;
                    prev = blk;
                }
                Err(s) => {
                    // SAFETY: the op that stopped noted itself (`next_op`); it is one of
                    // this block's ops.
                    let op = unsafe { &*self.stop_op };
                    let i =
                        (op as *const Op as usize - first as *const Op as usize) / std::mem::size_of::<Op>();
                    if RING {
                        self.hooks.note_partial(i as u32);
                    }
                    if let Some(exit) = self.stop(s, i, op) {
                        return exit;
                    }
                    self.sync_stale_code();
                    prev = std::ptr::null();
                }
            }
        }
    }

    /// The block at `rip` (decoded now if needed), linked as a successor of `prev`.
    #[inline(never)]
    fn find_block(&mut self, rip: u64, prev: *const Block) -> Result<*const Block, Fault> {
        let idx = match self.cache.lookup(rip) {
            Some(i) => i,
            None => self.decode_block(rip)?,
        };
        let b = self.cache.ptr(idx);
        // SAFETY: as in `run`.
        if let Some(p) = unsafe { prev.as_ref() } {
            p.link(rip, b, self.cache.gen);
        }
        Ok(b)
    }

    /// Turns a handler's stop into an exit, fixing up rip and the instruction count.
    /// Returns None to keep running (resync after self-modifying code).
    #[cold]
    pub(crate) fn stop(&mut self, s: Stop, i: usize, op: &Op) -> Option<Exit> {
        self.icount += i as u64;
        let exit = match s {
            Stop::Syscall => {
                self.icount += 1;
                self.rip = op.next();
                Exit::Syscall
            }
            Stop::Resync => {
                self.rip = op.addr;
                return None;
            }
            Stop::Fault => {
                self.rip = op.addr;
                Exit::Fault(Fault { addr: self.fault.addr, kind: self.fault.kind, access: self.fault.access })
            }
            Stop::Ud => {
                self.rip = op.addr;
                Exit::InvalidOpcode(std::mem::take(&mut self.last_ud))
            }
            Stop::DivideError => {
                self.rip = op.addr;
                Exit::DivideError
            }
            Stop::Breakpoint => {
                self.icount += 1;
                self.rip = op.next();
                Exit::Breakpoint
            }
            Stop::GeneralProtection => {
                self.rip = op.addr;
                Exit::GeneralProtection
            }
            Stop::FpException => {
                self.rip = op.addr;
                Exit::FpException
            }
            Stop::Interrupt => {
                self.rip = op.addr;
                Exit::Interrupt(op.imm as u8)
            }
        };
        Some(exit)
    }

    // ---- memory access for handlers ----

    /// Effective address of the op's memory operand.
    #[inline(always)]
    pub(crate) fn ea(&self, op: &Op) -> u64 {
        // SAFETY: `decode_block` only keeps ops whose base and index are < 17 (the GPRs and
        // the zero slot) and whose seg is < 3; ops are immutable once decoded.
        let a = unsafe {
            self.regs
                .get_unchecked(op.base as usize)
                .wrapping_add(*self.regs.get_unchecked(op.index as usize) << op.scale)
                .wrapping_add(op.disp)
        };
        if op.flat {
            a
        } else {
            self.ea_wrap(op, a)
        }
    }

    /// Effective address for a handler specialised by addressing form at decode time
    /// (`ops::ea_form`): `EA_BASE_DISP` skips the index, the segment and the wrap.
    #[inline(always)]
    pub(crate) fn ea_as<const A: u8>(&self, op: &Op) -> u64 {
        if A == EA_BASE_DISP {
            // SAFETY: as in `ea`.
            unsafe { self.regs.get_unchecked(op.base as usize).wrapping_add(op.disp) }
        } else {
            self.ea(op)
        }
    }

    /// Address-size wrap and segment base, for the rare operands that need them.
    #[inline(always)]
    fn ea_wrap(&self, op: &Op, a: u64) -> u64 {
        let a = if op.addr32 { a & 0xffff_ffff } else { a };
        a.wrapping_add(self.seg_base[op.seg as usize])
    }

    /// Effective address of the memory operand displaced by `delta` bytes before the
    /// address-size wrap (BT* with a register bit offset address memory this way).
    #[inline(always)]
    pub(crate) fn ea_plus(&self, op: &Op, delta: u64) -> u64 {
        let a = self.regs[op.base as usize]
            .wrapping_add(self.regs[op.index as usize] << op.scale)
            .wrapping_add(op.disp)
            .wrapping_add(delta);
        self.ea_wrap(op, a)
    }

    #[cold]
    fn fault_at(&mut self, f: Fault) -> Stop {
        self.fault = crate::state::FaultInfo { addr: f.addr, kind: f.kind, access: f.access };
        Stop::Fault
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn ld_slow(&mut self, addr: u64, buf: &mut [u8]) -> Flow {
        let len = buf.len();
        let off = (addr & PAGE_MASK) as usize;
        if off + len <= PAGE_SIZE as usize {
            let host = self.mem.tlb_fill_read(addr >> 12).map_err(|f| self.fault_at(Fault { addr, ..f }))?;
            // SAFETY: the frame is live and off + len <= 4096.
            unsafe { std::ptr::copy_nonoverlapping(host.add(off), buf.as_mut_ptr(), len) };
        } else {
            self.mem.read(addr, buf).map_err(|f| self.fault_at(f))?;
        }
        if self.hooks.watching() {
            self.watch_load(addr, buf);
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn st_slow(&mut self, addr: u64, data: &[u8]) -> Flow {
        let len = data.len();
        let off = (addr & PAGE_MASK) as usize;
        let first = addr >> 12;
        let last = (addr + len as u64 - 1) >> 12;
        let watched = self.watch_before_store(addr, len);
        // Both pages must be writable before any byte is stored.
        let (h0, code0) = self.mem.tlb_fill_write(first).map_err(|f| self.fault_at(Fault { addr, ..f }))?;
        let mut h1 = None;
        if last != first {
            let (h, code1) = self.mem.tlb_fill_write(last).map_err(|f| self.fault_at(f))?;
            if code1 {
                self.cache.invalidate_page(last);
            }
            h1 = Some(h);
        }
        if code0 {
            self.cache.invalidate_page(first);
        }
        let n0 = len.min(PAGE_SIZE as usize - off);
        // SAFETY: frames are live; the first copy stays within page `first`, the second
        // starts at offset 0 of page `last`.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), h0.add(off), n0);
            if let Some(h1) = h1 {
                std::ptr::copy_nonoverlapping(data.as_ptr().add(n0), h1, len - n0);
            }
        }
        if let Some(old) = watched {
            self.watch_after_store(addr, old, data);
        }
        Ok(())
    }
}

macro_rules! access {
    ($ld:ident, $st:ident, $t:ty, $n:expr) => {
        impl Cpu {
            #[inline(always)]
            pub(crate) fn $ld(&mut self, addr: u64) -> Result<$t, Stop> {
                if let Some(p) = self.mem.fast_read_ptr::<$n>(addr) {
                    // SAFETY: `fast_read_ptr` checked that $n bytes at p are in a live frame.
                    return Ok(<$t>::from_le(unsafe { std::ptr::read_unaligned(p as *const $t) }));
                }
                let mut b = [0u8; $n];
                self.ld_slow(addr, &mut b)?;
                Ok(<$t>::from_le_bytes(b))
            }

            #[inline(always)]
            pub(crate) fn $st(&mut self, addr: u64, v: $t) -> Flow {
                if let Some(p) = self.mem.fast_write_ptr::<$n>(addr) {
                    // SAFETY: `fast_write_ptr` checked that $n bytes at p are in a live,
                    // writable, non-code frame.
                    unsafe { std::ptr::write_unaligned(p as *mut $t, v.to_le()) };
                    return Ok(());
                }
                self.st_slow(addr, &v.to_le_bytes())
            }
        }
    };
}

access!(ld8, st8, u8, 1);
access!(ld16, st16, u16, 2);
access!(ld32, st32, u32, 4);
access!(ld64, st64, u64, 8);
access!(ld128, st128, u128, 16);

impl Cpu {
    /// Loads W bits at `addr` on a TLB hit (no page crossing), zero-extended.
    #[inline(always)]
    fn ld_fast<const W: u32>(&self, addr: u64) -> Option<u64> {
        let p = match W {
            8 => self.mem.fast_read_ptr::<1>(addr),
            16 => self.mem.fast_read_ptr::<2>(addr),
            32 => self.mem.fast_read_ptr::<4>(addr),
            _ => self.mem.fast_read_ptr::<8>(addr),
        }?;
        // SAFETY: `fast_read_ptr` checked that W/8 bytes at p are in a live frame.
        Some(unsafe {
            match W {
                8 => *p as u64,
                16 => u16::from_le((p as *const u16).read_unaligned()) as u64,
                32 => u32::from_le((p as *const u32).read_unaligned()) as u64,
                _ => u64::from_le((p as *const u64).read_unaligned()),
            }
        })
    }

    /// `fast_write_ptr` for a W-bit operand.
    #[inline(always)]
    fn fast_write_ptr_w<const W: u32>(&self, addr: u64) -> Option<*mut u8> {
        match W {
            8 => self.mem.fast_write_ptr::<1>(addr),
            16 => self.mem.fast_write_ptr::<2>(addr),
            32 => self.mem.fast_write_ptr::<4>(addr),
            _ => self.mem.fast_write_ptr::<8>(addr),
        }
    }

    /// Stores the low W bits of `v` on a write-TLB hit; false on a miss.
    #[inline(always)]
    fn st_fast<const W: u32>(&self, addr: u64, v: u64) -> bool {
        let p = self.fast_write_ptr_w::<W>(addr);
        let Some(p) = p else { return false };
        // SAFETY: `fast_write_ptr` checked that W/8 bytes at p are in a live, writable,
        // non-code frame.
        unsafe {
            match W {
                8 => *p = v as u8,
                16 => (p as *mut u16).write_unaligned((v as u16).to_le()),
                32 => (p as *mut u32).write_unaligned((v as u32).to_le()),
                _ => (p as *mut u64).write_unaligned(v.to_le()),
            }
        }
        true
    }

    /// Loads W bits at `addr` and continues with `k(cpu, value)`.
    ///
    /// Why a continuation: on a TLB hit the handler then makes no call at all, so it
    /// needs no stack frame; the miss is a cold tail call that finishes the instruction.
    /// `k` should capture at most two words (it is passed along by value).
    #[inline(always)]
    pub(crate) fn ld_then<const W: u32, K: FnOnce(&mut Cpu, u64) -> Flow>(
        &mut self,
        addr: u64,
        k: K,
    ) -> Flow {
        match self.ld_fast::<W>(addr) {
            Some(v) => k(self, v),
            None => ld_then_slow::<W, K>(self, addr, k),
        }
    }

    /// Stores the low W bits of `v` at `addr`, then continues with `k(cpu)` (see `ld_then`).
    #[inline(always)]
    pub(crate) fn st_then<const W: u32, K: FnOnce(&mut Cpu) -> Flow>(
        &mut self,
        addr: u64,
        v: u64,
        k: K,
    ) -> Flow {
        if self.st_fast::<W>(addr, v) {
            k(self)
        } else {
            st_then_slow::<W, K>(self, addr, v, k)
        }
    }

    /// Read-modify-write of the W bits at `addr`: `f` gets the old value and returns the
    /// new one (recording flags as it likes). On a write-TLB hit (the page is writable,
    /// readable and unwatched) the operand is translated once and the store cannot fail;
    /// otherwise the miss path loads, computes and stores, and puts the flags back if the
    /// store faults (a faulting instruction changes nothing).
    #[inline(always)]
    pub(crate) fn rmw<const W: u32, F: FnOnce(&mut Cpu, u64) -> u64>(&mut self, addr: u64, f: F) -> Flow {
        let p = self.fast_write_ptr_w::<W>(addr);
        let Some(p) = p else { return rmw_slow::<W, F>(self, addr, f) };
        // SAFETY: `fast_write_ptr` checked that W/8 bytes at p are in a live, writable,
        // readable, non-code frame; `f` cannot unmap it (it only computes and sets flags).
        unsafe { rmw_at::<W, F>(self, p, f) };
        Ok(())
    }

    /// `ld_then` for a handler's last step: loads, continues with `k`, then goes on to
    /// the next op. Both the hit and the miss end in a tail call, so a handler made of
    /// this alone needs no stack frame.
    #[inline(always)]
    pub(crate) fn ld_next<const W: u32, K: FnOnce(&mut Cpu, u64) -> Flow>(
        &mut self,
        op: &Op,
        addr: u64,
        k: K,
    ) -> Flow {
        match self.ld_fast::<W>(addr) {
            Some(v) => {
                let r = k(self, v);
                next_op(self, op, r)
            }
            None => ld_next_slow::<W, K>(self, op, addr, k),
        }
    }

    /// A handler's last step: stores the low W bits of `v`, then goes on to the next op
    /// (see `ld_next`).
    #[inline(always)]
    pub(crate) fn st_next<const W: u32>(&mut self, op: &Op, addr: u64, v: u64) -> Flow {
        if self.st_fast::<W>(addr, v) {
            next_op(self, op, Ok(()))
        } else {
            st_next_slow::<W>(self, op, addr, v)
        }
    }

    /// `st_then` as a handler's last step (see `ld_next`).
    #[inline(always)]
    pub(crate) fn st_then_next<const W: u32, K: FnOnce(&mut Cpu) -> Flow>(
        &mut self,
        op: &Op,
        addr: u64,
        v: u64,
        k: K,
    ) -> Flow {
        if self.st_fast::<W>(addr, v) {
            let r = k(self);
            next_op(self, op, r)
        } else {
            st_then_next_slow::<W, K>(self, op, addr, v, k)
        }
    }

    /// `rmw` as a handler's last step (see `ld_next`).
    #[inline(always)]
    pub(crate) fn rmw_next<const W: u32, F: FnOnce(&mut Cpu, u64) -> u64>(
        &mut self,
        op: &Op,
        addr: u64,
        f: F,
    ) -> Flow {
        let p = self.fast_write_ptr_w::<W>(addr);
        let Some(p) = p else {
            return rmw_next_slow::<W, F>(self, op, addr, f);
        };
        // SAFETY: as in `rmw`.
        unsafe { rmw_at::<W, F>(self, p, f) };
        next_op(self, op, Ok(()))
    }

    /// Loads a W-bit value zero-extended to u64.
    #[inline(always)]
    pub(crate) fn ld<const W: u32>(&mut self, addr: u64) -> Result<u64, Stop> {
        match W {
            8 => self.ld8(addr).map(|v| v as u64),
            16 => self.ld16(addr).map(|v| v as u64),
            32 => self.ld32(addr).map(|v| v as u64),
            _ => self.ld64(addr),
        }
    }

    /// Loads the destination of a read-modify-write. The CPU checks write permission when
    /// it reads, so a destination spanning a read-only page and an unmapped one faults as a
    /// write to the first page (SEGV_ACCERR at the operand), not as a read of the second;
    /// only page-crossing operands can tell the difference.
    #[inline(always)]
    pub(crate) fn ld_rmw<const W: u32>(&mut self, addr: u64) -> Result<u64, Stop> {
        if (addr & PAGE_MASK) + (W as u64 / 8) > PAGE_SIZE {
            self.probe_write(addr, W as u64 / 8)?;
        }
        self.ld::<W>(addr)
    }

    /// Stores the low W bits of `v`.
    #[inline(always)]
    pub(crate) fn st<const W: u32>(&mut self, addr: u64, v: u64) -> Flow {
        if self.st_fast::<W>(addr, v) {
            Ok(())
        } else {
            st_slow_w::<W>(self, addr, v)
        }
    }

    /// Checks that `len` bytes at `addr` can be written, without writing (for
    /// instructions that must fault before changing any state).
    pub(crate) fn probe_write(&mut self, addr: u64, len: u64) -> Flow {
        let first = addr >> 12;
        let last = addr.wrapping_add(len.max(1) - 1) >> 12;
        // Counted in pages so an operand at the top of the address space cannot wrap.
        for k in 0..=last.wrapping_sub(first) & 0xf_ffff_ffff_ffff {
            let vpn = first.wrapping_add(k);
            match self.mem.tlb_fill_write(vpn) {
                Ok((_, true)) => self.cache.invalidate_page(vpn),
                Ok(_) => {}
                Err(f) => return Err(self.fault_at(Fault { addr: (vpn << 12).max(addr), ..f })),
            }
        }
        Ok(())
    }

    #[cold]
    pub(crate) fn gp_fault(&mut self) -> Stop {
        self.fault = crate::state::FaultInfo { addr: 0, kind: FaultKind::Protection, access: Access::Read };
        Stop::GeneralProtection
    }
}

#[cold]
#[inline(never)]
fn ld_then_slow<const W: u32, K: FnOnce(&mut Cpu, u64) -> Flow>(cpu: &mut Cpu, addr: u64, k: K) -> Flow {
    let v = cpu.ld::<W>(addr)?;
    k(cpu, v)
}

#[cold]
#[inline(never)]
fn st_then_slow<const W: u32, K: FnOnce(&mut Cpu) -> Flow>(cpu: &mut Cpu, addr: u64, v: u64, k: K) -> Flow {
    st_slow_w::<W>(cpu, addr, v)?;
    k(cpu)
}

/// The read-modify-write at host address `p`.
///
/// # Safety
/// W/8 bytes at `p` are a live, writable frame's (a write-TLB hit).
#[inline(always)]
unsafe fn rmw_at<const W: u32, F: FnOnce(&mut Cpu, u64) -> u64>(cpu: &mut Cpu, p: *mut u8, f: F) {
    // SAFETY: the caller's promise.
    unsafe {
        match W {
            8 => *p = f(cpu, *p as u64) as u8,
            16 => {
                let v = u16::from_le((p as *const u16).read_unaligned()) as u64;
                (p as *mut u16).write_unaligned((f(cpu, v) as u16).to_le())
            }
            32 => {
                let v = u32::from_le((p as *const u32).read_unaligned()) as u64;
                (p as *mut u32).write_unaligned((f(cpu, v) as u32).to_le())
            }
            _ => {
                let v = u64::from_le((p as *const u64).read_unaligned());
                (p as *mut u64).write_unaligned(f(cpu, v).to_le())
            }
        }
    }
}

#[cold]
#[inline(never)]
fn ld_next_slow<const W: u32, K: FnOnce(&mut Cpu, u64) -> Flow>(
    cpu: &mut Cpu,
    op: &Op,
    addr: u64,
    k: K,
) -> Flow {
    let r = match cpu.ld::<W>(addr) {
        Ok(v) => k(cpu, v),
        Err(e) => Err(e),
    };
    next_op(cpu, op, r)
}

#[cold]
#[inline(never)]
fn st_then_next_slow<const W: u32, K: FnOnce(&mut Cpu) -> Flow>(
    cpu: &mut Cpu,
    op: &Op,
    addr: u64,
    v: u64,
    k: K,
) -> Flow {
    let r = match st_slow_w::<W>(cpu, addr, v) {
        Ok(()) => k(cpu),
        Err(e) => Err(e),
    };
    next_op(cpu, op, r)
}

#[cold]
#[inline(never)]
fn st_next_slow<const W: u32>(cpu: &mut Cpu, op: &Op, addr: u64, v: u64) -> Flow {
    let r = st_slow_w::<W>(cpu, addr, v);
    next_op(cpu, op, r)
}

#[cold]
#[inline(never)]
fn rmw_next_slow<const W: u32, F: FnOnce(&mut Cpu, u64) -> u64>(
    cpu: &mut Cpu,
    op: &Op,
    addr: u64,
    f: F,
) -> Flow {
    let r = rmw_slow::<W, F>(cpu, addr, f);
    next_op(cpu, op, r)
}

#[cold]
#[inline(never)]
fn rmw_slow<const W: u32, F: FnOnce(&mut Cpu, u64) -> u64>(cpu: &mut Cpu, addr: u64, f: F) -> Flow {
    let a = cpu.ld_rmw::<W>(addr)?;
    let saved = cpu.lf;
    let r = f(cpu, a);
    if let Err(e) = cpu.st::<W>(addr, r) {
        cpu.lf = saved;
        return Err(e);
    }
    Ok(())
}

/// The store miss path with the value passed by value, so `st` can tail-call it.
#[cold]
#[inline(never)]
fn st_slow_w<const W: u32>(cpu: &mut Cpu, addr: u64, v: u64) -> Flow {
    let b = v.to_le_bytes();
    cpu.st_slow(addr, &b[..W as usize / 8])
}
