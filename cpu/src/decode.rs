//! Decode once: guest code is decoded a basic block at a time with iced-x86 and kept as a
//! list of `Op`s, each a handler chosen at decode time plus its pre-digested operands, so
//! the hot loop never re-examines operand kinds.
//!
//! Blocks are keyed by their start address and chained to their successors by pointer
//! (links carry the cache generation they were made in; any invalidation bumps it). A
//! block is dropped when a page it was decoded from is written, unmapped or loses
//! execute permission; its ops are then pointed at a handler that makes the interpreter
//! re-decode, so even the block that wrote to its own code stops at the next instruction.

use crate::exec::next_op;
use crate::mem::{Fault, PAGE_MASK, PAGE_SIZE};
use crate::ops;
use crate::state::{Cpu, HIGH8, ZERO_REG};
use hashbrown::HashMap;
use iced_x86::{Decoder, DecoderOptions, FlowControl, Instruction, OpKind, Register};
use std::cell::Cell;
use std::rc::Rc;

/// Why a handler did not complete normally. Details are in `Cpu::fault` and friends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Stop {
    /// `syscall`: rip is already past it.
    Syscall,
    /// Memory fault: `Cpu::fault` says where.
    Fault,
    /// #UD: undefined or unimplemented instruction.
    Ud,
    /// The block was invalidated under us; re-decode from this instruction.
    Resync,
    /// #DE.
    DivideError,
    /// int3: rip is past it.
    Breakpoint,
    /// #GP from a privileged or otherwise refused instruction (hlt, in/out, cli...).
    GeneralProtection,
    /// x87 or SSE exception that is unmasked (#MF / #XM).
    FpException,
    /// int imm8 other than 3.
    Interrupt,
}

pub(crate) type Flow = Result<(), Stop>;
pub(crate) type Handler = fn(&mut Cpu, &Op) -> Flow;

/// One pre-decoded instruction.
///
/// Operand convention shared by every builder and handler: `r0`, `r1`, `r2` are the
/// register operands in operand order (memory and immediate operands skipped); the memory
/// operand, if any, is `base/index/scale/disp/seg`; `imm` is the immediate (or the branch
/// target), already sign-extended as the instruction defines.
#[derive(Clone)]
pub(crate) struct Op {
    pub f: Cell<Handler>,
    pub addr: u64,
    pub disp: u64,
    pub imm: u64,
    /// Second immediate (enter, extrq...) or a handler-specific constant.
    pub imm2: u32,
    pub len: u8,
    pub r0: u8,
    pub r1: u8,
    pub r2: u8,
    pub base: u8,
    pub index: u8,
    pub scale: u8,
    /// 0: flat, 1: fs, 2: gs.
    pub seg: u8,
    /// 32-bit address size (0x67 prefix): the effective address wraps at 4 GiB.
    pub addr32: bool,
    /// No segment base and no address-size wrap (set once the builder has run).
    pub flat: bool,
}

impl Op {
    /// A copy (ops are not `Clone`: the handler cell is meant to be shared by reference).
    pub fn copy(&self) -> Op {
        Op { f: Cell::new(self.f.get()), ..*self }
    }

    #[inline(always)]
    pub fn next(&self) -> u64 {
        self.addr.wrapping_add(self.len as u64)
    }
}

pub(crate) struct Block {
    pub start: u64,
    /// Address after the last instruction (where a block that does not branch goes on).
    pub end: u64,
    pub ops: Box<[Op]>,
    /// Guest instructions in the block.
    pub insns: u64,
    /// `ops[..fast]` is what the ordinary loop runs, and `ops[fast]` the end op that
    /// returns to it. `fast` is `ops.len() - 1` unless the block ends in a fused
    /// compare-and-branch, laid out as `[.., fused, end, cmp, jcc]`.
    pub fast: usize,
    pub valid: Cell<bool>,
    /// Successor links: (target rip, block). Valid only while `link_gen` equals the
    /// cache's `gen`: every invalidation bumps `gen`, so a link never points at a block
    /// that left the cache.
    pub succ: [Cell<(u64, *const Block)>; 2],
    pub link_gen: Cell<u64>,
    /// First and last guest page the block's bytes come from.
    pub pages: (u64, u64),
    /// Its translation, if the JIT made one (`crate::jit`).
    pub jit: crate::jit::BlockJit,
}

const JCACHE: usize = 4096;

pub(crate) struct BlockCache {
    pub map: HashMap<u64, u32>,
    /// Direct-mapped cache in front of `map` (rip -> block index), for the indirect jumps
    /// and returns that block chaining cannot predict. Entries are validated on use.
    jcache: Box<[(u64, u32); JCACHE]>,
    pub blocks: Vec<Option<Rc<Block>>>,
    free: Vec<u32>,
    by_page: HashMap<u64, Vec<u32>>,
    /// Invalidated blocks, kept alive until the interpreter is between blocks (one of
    /// them may be executing when it is invalidated).
    pub retired: Vec<Rc<Block>>,
    pub decoded: u64,
    /// Lookups by address (transitions chaining did not serve) and how many found nothing.
    pub lookups: u64,
    pub misses: u64,
    /// Bumped whenever a block leaves the cache; successor links from older generations
    /// are ignored.
    pub gen: u64,
    /// `decode_block`'s working lists, kept between calls so that decoding a block
    /// allocates only the block itself.
    scratch_ops: Vec<Op>,
    scratch_instrs: Vec<Option<Instruction>>,
}

fn resync(cpu: &mut Cpu, op: &Op) -> Flow {
    next_op(cpu, op, Err(Stop::Resync))
}

impl Default for BlockCache {
    fn default() -> Self {
        BlockCache {
            map: HashMap::new(),
            jcache: Box::new([(u64::MAX, 0); JCACHE]),
            blocks: Vec::new(),
            free: Vec::new(),
            by_page: HashMap::new(),
            retired: Vec::new(),
            decoded: 0,
            lookups: 0,
            misses: 0,
            gen: 0,
            scratch_ops: Vec::new(),
            scratch_instrs: Vec::new(),
        }
    }
}

/// Multiplier of the direct-mapped caches' hash (Fibonacci hashing: 2^64 / golden ratio).
pub(crate) const RIP_HASH_MUL: u64 = 0x9E37_79B9_7F4A_7C15;

/// The slot of `rip` in a direct-mapped cache of 2^`bits` entries: the top bits of a
/// multiplicative hash. Every bit of `rip` moves them, so returns and jump targets a few
/// pages apart at similar offsets do not keep evicting each other, as they did with an xor
/// of the low bits with the page bits (sqlite: 8 targets missed on every row).
#[inline(always)]
pub(crate) fn rip_slot(rip: u64, bits: u32) -> usize {
    (rip.wrapping_mul(RIP_HASH_MUL) >> (64 - bits)) as usize
}

#[inline(always)]
fn jslot(rip: u64) -> usize {
    rip_slot(rip, JCACHE.trailing_zeros())
}

impl Block {
    /// The ops the ordinary loop runs (a fused compare-and-branch counts once).
    #[inline(always)]
    pub fn fast_ops(&self) -> &[Op] {
        // SAFETY: `fast < ops.len()` by construction in `decode_block`.
        unsafe { self.ops.get_unchecked(..self.fast) }
    }

    /// The op the ordinary loop starts the block with (the end op for an empty block).
    #[inline(always)]
    pub fn first_op(&self) -> &Op {
        // SAFETY: every block holds at least its end op.
        unsafe { self.ops.get_unchecked(0) }
    }

    /// One op per guest instruction, in order (the fused op left out), for the hooked loop
    /// and traces.
    pub fn plain_ops(&self) -> impl Iterator<Item = &Op> {
        let (a, b) = if self.fast + 1 < self.ops.len() {
            (&self.ops[..self.fast - 1], &self.ops[self.fast + 1..])
        } else {
            (&self.ops[..self.fast], &self.ops[..0])
        };
        a.iter().chain(b.iter())
    }

    /// Points every op at `resync` (the end op stays: reaching it means the block ran
    /// to its end).
    fn resync_all(&self) {
        for (k, op) in self.ops.iter().enumerate() {
            if k != self.fast {
                op.f.set(resync);
            }
        }
    }

    /// The chained successor starting at `rip`, if linked in generation `gen`.
    #[inline(always)]
    pub fn linked(&self, rip: u64, gen: u64) -> Option<*const Block> {
        if self.link_gen.get() != gen {
            return None;
        }
        let (t0, b0) = self.succ[0].get();
        if t0 == rip {
            return Some(b0);
        }
        let (t1, b1) = self.succ[1].get();
        if t1 == rip {
            return Some(b1);
        }
        None
    }

    /// Records `b` (starting at `rip`) as a successor, in generation `gen`.
    pub fn link(&self, rip: u64, b: *const Block, gen: u64) {
        if self.link_gen.get() != gen {
            self.link_gen.set(gen);
            self.succ[0].set((u64::MAX, std::ptr::null()));
            self.succ[1].set((u64::MAX, std::ptr::null()));
        }
        if self.succ[0].get().0 == u64::MAX {
            self.succ[0].set((rip, b));
        } else {
            self.succ[1].set((rip, b));
        }
    }
}

impl BlockCache {
    pub fn clear(&mut self) {
        self.gen += 1;
        for b in self.blocks.iter().flatten() {
            b.valid.set(false);
            b.resync_all();
            b.jit.orphan_entries();
        }
        self.map.clear();
        self.retired.extend(self.blocks.drain(..).flatten());
        self.free.clear();
        self.by_page.clear();
    }

    #[inline(always)]
    pub fn get(&self, idx: u32) -> &Rc<Block> {
        self.blocks[idx as usize].as_ref().expect("live block index")
    }

    /// The index of a live block starting at `rip`, if decoded.
    #[inline(always)]
    pub fn lookup(&mut self, rip: u64) -> Option<u32> {
        self.lookups += 1;
        let slot = jslot(rip);
        let (r, i) = self.jcache[slot];
        if r == rip {
            if let Some(Some(b)) = self.blocks.get(i as usize) {
                if b.start == rip && b.valid.get() {
                    return Some(i);
                }
            }
        }
        let Some(&i) = self.map.get(&rip) else {
            self.misses += 1;
            return None;
        };
        self.jcache[slot] = (rip, i);
        Some(i)
    }

    /// The block at `idx` as a pointer that stays valid until `retired` is next cleared.
    #[inline(always)]
    pub fn ptr(&self, idx: u32) -> *const Block {
        Rc::as_ptr(self.get(idx))
    }

    fn insert(&mut self, b: Block) -> u32 {
        let (p0, p1) = b.pages;
        let start = b.start;
        let rc = Some(Rc::new(b));
        let idx = match self.free.pop() {
            Some(i) => {
                self.blocks[i as usize] = rc;
                i
            }
            None => {
                self.blocks.push(rc);
                (self.blocks.len() - 1) as u32
            }
        };
        self.map.insert(start, idx);
        for p in p0..=p1 {
            self.by_page.entry(p).or_default().push(idx);
        }
        self.decoded += 1;
        idx
    }

    /// Registers the block starting at `start` on more pages, so that a write to any of
    /// them drops it too (the head of a JIT region stands for all of the region's code).
    pub fn cover_pages(&mut self, start: u64, pages: impl IntoIterator<Item = u64>) {
        let Some(&idx) = self.map.get(&start) else { return };
        for p in pages {
            let list = self.by_page.entry(p).or_default();
            if !list.contains(&idx) {
                list.push(idx);
            }
        }
    }

    /// Drops every block decoded from page `vpn`.
    pub fn invalidate_page(&mut self, vpn: u64) {
        let Some(list) = self.by_page.remove(&vpn) else { return };
        self.gen += 1;
        for idx in list {
            let Some(b) = self.blocks[idx as usize].take() else { continue };
            if !b.valid.get() {
                continue;
            }
            b.valid.set(false);
            b.resync_all();
            b.jit.orphan_entries();
            if self.map.get(&b.start) == Some(&idx) {
                self.map.remove(&b.start);
            }
            // The other page of a page-crossing block keeps a stale index; `free` reuse is
            // safe because lookups check `valid` and the start address.
            self.free.push(idx);
            self.retired.push(b);
        }
    }
}

/// Maps an iced-x86 register to an index into `Cpu::regs` (GPRs, with `HIGH8` for
/// AH..BH), `Cpu::xmm` (XMM), or the x87 stack (ST).
pub(crate) fn reg_index(r: Register) -> u8 {
    use Register as R;
    match r {
        R::AH => HIGH8,
        R::CH => HIGH8 | 1,
        R::DH => HIGH8 | 2,
        R::BH => HIGH8 | 3,
        R::None => ZERO_REG,
        // full_register maps SPL/SIL/R8L... and EAX/AX to their 64-bit register.
        _ if r.is_gpr() => r.full_register().number() as u8,
        _ if r.is_xmm() => r.number() as u8,
        _ if r.is_st() => r.number() as u8,
        _ if r.is_segment_register() => r.number() as u8,
        _ => r.number() as u8,
    }
}

const MAX_BLOCK_INSNS: usize = 128;

impl Cpu {
    /// Decodes the block at `rip`, or explains why that is impossible.
    pub(crate) fn decode_block(&mut self, rip: u64) -> Result<u32, Fault> {
        let page_end = (rip | PAGE_MASK) + 1;
        let off = (rip & PAGE_MASK) as usize;
        let frame = self.mem.code_frame(rip >> 12)?;
        // The code is decoded where it lies, not copied out. SAFETY: `frame` is a live
        // 4 KiB frame; decoding unmaps nothing, and frames are boxed, so it stays put
        // whatever else happens to the page map meanwhile.
        let code = unsafe { std::slice::from_raw_parts(frame.add(off), PAGE_SIZE as usize - off) };
        let table = ops::table();
        let mut decoder = Decoder::with_ip(64, code, rip, DecoderOptions::NONE);
        let mut instr = Instruction::default();
        let mut list = std::mem::take(&mut self.cache.scratch_ops);
        list.clear();
        // The instruction behind each op of `list` (None for a #UD placeholder).
        let mut instrs = std::mem::take(&mut self.cache.scratch_instrs);
        instrs.clear();
        let mut last_page = rip >> 12;
        let mut end = rip;
        // Guest instructions in the block (a fused op stands for two).
        let mut insns = 0u32;
        // The last op pushed came from the last of `instrs` through its normal builder,
        // which started from `prev_op`.
        let mut prev_plain = false;
        let mut prev_op: Option<Op> = None;
        let mut fused: Option<Op> = None;
        // The bytes of an instruction that runs into the next page: its part on this page,
        // then the next page's first 15 bytes.
        let mut straddle = [0u8; 30];
        while decoder.can_decode() {
            let pos = decoder.position();
            decoder.decode_out(&mut instr);
            if instr.is_invalid() && decoder.last_error() == iced_x86::DecoderError::NoMoreBytes {
                // It may straddle into the next page, which is read only if executable.
                let tail = code.len() - pos;
                straddle[..tail].copy_from_slice(&code[pos..]);
                if let Err(f) = self.mem.fetch(page_end, &mut straddle[tail..tail + 15]) {
                    if list.is_empty() {
                        return Err(f);
                    }
                    break;
                }
                let at = rip + pos as u64;
                Decoder::with_ip(64, &straddle[..tail + 15], at, DecoderOptions::NONE).decode_out(&mut instr);
            }
            if instr.is_invalid() {
                list.push(ud_op(&instr, instr.len().max(1)));
                instrs.push(None);
                insns += 1;
                end = instr.next_ip();
                break;
            }
            // Compare-and-branch fusion: the Jcc folds into the op before it.
            if let (Some(cc), true, Some(_)) =
                (ops::branch::jcc_cc(&instr), prev_plain, table[instr.code() as usize])
            {
                let prev = instrs.last().copied().flatten().expect("a plain op has its instruction");
                let mut f = prev_op.take().expect("a plain op keeps its unbuilt form");
                if let Some(h) = ops::fuse_jcc(&prev, cc, instr.near_branch_target(), &mut f) {
                    f.f.set(h);
                    f.flat = f.seg == 0 && !f.addr32;
                    fused = Some(f);
                }
            }
            let mut op = new_op(&instr);
            let unbuilt = op.clone();
            let handler = match table[instr.code() as usize] {
                Some(build) => build(&instr, &mut op),
                None => None,
            };
            let stop_here = instr.flow_control() != FlowControl::Next || handler.is_none();
            let handler = handler.filter(|_| indices_ok(&op));
            op.flat = op.seg == 0 && !op.addr32;
            match handler {
                Some(h) => op.f.set(h),
                None => {
                    list.push(ud_op(&instr, instr.len()));
                    instrs.push(None);
                    insns += 1;
                    end = instr.next_ip();
                    break;
                }
            }
            list.push(op);
            instrs.push(Some(instr));
            insns += 1;
            prev_plain = true;
            prev_op = Some(unbuilt);
            end = instr.next_ip();
            last_page = (end - 1) >> 12;
            if stop_here || end >= page_end || list.len() >= MAX_BLOCK_INSNS || ops::ends_block(instr.code())
            {
                break;
            }
        }
        for p in rip >> 12..=last_page {
            self.mem.mark_code(p);
        }
        if !self.hooks.exact_flags {
            crate::liveness::dead_flag_setters(&instrs, |k| {
                if let Some(h) = instrs[k].as_ref().and_then(ops::flags_dead) {
                    list[k].f.set(h);
                }
            });
        }
        // Layout: [ops.., end] or, with a fused compare-and-branch, [.., fused, end, cmp,
        // jcc]. The ordinary loop runs ops[..fast], each op going on to the next one, and
        // `end` (at ops[fast]) returns to the loop; the hooked loop runs the plain ops (see
        // `Block::plain_ops`).
        let mut fast = list.len();
        if let Some(f) = fused.filter(|_| list.len() >= 2) {
            list.insert(list.len() - 2, f);
            fast = list.len() - 2;
        }
        list.insert(fast, end_op(end));
        let block = Block {
            start: rip,
            end,
            // Exactly sized: one allocation, no shrinking.
            ops: list.drain(..).collect(),
            insns: insns as u64,
            fast,
            valid: Cell::new(true),
            succ: [Cell::new((u64::MAX, std::ptr::null())), Cell::new((u64::MAX, std::ptr::null()))],
            link_gen: Cell::new(self.cache.gen),
            pages: (rip >> 12, last_page.max(rip >> 12)),
            jit: Default::default(),
        };
        self.cache.scratch_ops = list;
        self.cache.scratch_instrs = instrs;
        Ok(self.cache.insert(block))
    }
}

/// `Cpu::ea`, `Cpu::get_r` and `Cpu::put_r` index registers and segment bases unchecked on
/// the strength of this check of a built op.
fn indices_ok(op: &Op) -> bool {
    let reg_ok = |r: u8| r <= ZERO_REG || r & !3 == HIGH8;
    op.base <= ZERO_REG
        && op.index <= ZERO_REG
        && op.seg < 3
        && reg_ok(op.r0)
        && reg_ok(op.r1)
        && reg_ok(op.r2)
}

/// Whether `decode_block` makes a working op of `instr` rather than a #UD placeholder (the
/// JIT translates only such instructions natively).
pub(crate) fn builds(instr: &Instruction) -> bool {
    let Some(build) = ops::table()[instr.code() as usize] else { return false };
    let mut op = new_op(instr);
    build(instr, &mut op).is_some() && indices_ok(&op)
}

fn new_op(instr: &Instruction) -> Op {
    let mut regs = [ZERO_REG; 3];
    let mut n = 0;
    let mut imm = 0u64;
    let mut imm2 = 0u32;
    let mut nimm = 0;
    let mut mem = false;
    let mut operand = |i: u32, kind: OpKind| match kind {
        OpKind::Register if n < 3 => {
            regs[n] = reg_index(instr.op_register(i));
            n += 1;
        }
        OpKind::Memory => mem = true,
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
            imm = instr.near_branch_target();
        }
        OpKind::Immediate8
        | OpKind::Immediate8_2nd
        | OpKind::Immediate16
        | OpKind::Immediate32
        | OpKind::Immediate64
        | OpKind::Immediate8to16
        | OpKind::Immediate8to32
        | OpKind::Immediate8to64
        | OpKind::Immediate32to64 => {
            if nimm == 0 {
                imm = instr.immediate(i);
            } else {
                imm2 = instr.immediate(i) as u32;
            }
            nimm += 1;
        }
        _ => {}
    };
    // Unrolled: a loop over `op_kind(i)` costs several times more at decode.
    let count = instr.op_count();
    if count > 0 {
        operand(0, instr.op0_kind());
    }
    if count > 1 {
        operand(1, instr.op1_kind());
    }
    if count > 2 {
        operand(2, instr.op2_kind());
    }
    if count > 3 {
        operand(3, instr.op3_kind());
    }
    if count > 4 {
        operand(4, instr.op4_kind());
    }
    let mut op = Op {
        f: Cell::new(ops::unimplemented),
        addr: instr.ip(),
        disp: 0,
        imm,
        imm2,
        len: instr.len() as u8,
        r0: regs[0],
        r1: regs[1],
        r2: regs[2],
        base: ZERO_REG,
        index: ZERO_REG,
        scale: 0,
        seg: 0,
        addr32: false,
        flat: false,
    };
    if mem {
        let b = instr.memory_base();
        op.base = if b == Register::RIP || b == Register::EIP { ZERO_REG } else { reg_index(b) };
        op.disp = instr.memory_displacement64();
        op.seg = match instr.memory_segment() {
            Register::FS => 1,
            Register::GS => 2,
            _ => 0,
        };
        let index = instr.memory_index();
        // iced reports a 4-byte displacement size only for 32-bit addressing (64-bit
        // addressing says 8), which also catches [disp32] and EIP-relative with 0x67.
        op.addr32 = b.is_gpr32() || index.is_gpr32() || instr.memory_displ_size() == 4;
        op.index = reg_index(index);
        op.scale = instr.memory_index_scale().trailing_zeros() as u8;
    }
    op
}

/// Ends a block's list of ops: the op before it goes on here, and this returns to the
/// interpreter loop.
fn block_end(_: &mut Cpu, _: &Op) -> Flow {
    Ok(())
}

/// The end op of a block that ends at `end` (the address is what a stop would report).
pub(crate) fn end_op(end: u64) -> Op {
    Op {
        f: Cell::new(block_end),
        addr: end,
        disp: 0,
        imm: 0,
        imm2: 0,
        len: 0,
        r0: ZERO_REG,
        r1: ZERO_REG,
        r2: ZERO_REG,
        base: ZERO_REG,
        index: ZERO_REG,
        scale: 0,
        seg: 0,
        addr32: false,
        flat: true,
    }
}

fn ud_op(instr: &Instruction, len: usize) -> Op {
    let mut op = new_op(instr);
    op.len = len as u8;
    op.f.set(ops::unimplemented);
    op
}

impl Cpu {
    /// For a fault at a non-canonical address: whether the instruction at rip addressed
    /// memory through RSP or RBP, which makes the hardware raise #SS (SIGBUS on Linux)
    /// instead of #GP (SIGSEGV). Implicit stack accesses (push, pop, call) count too.
    pub fn faulting_access_uses_stack(&mut self) -> bool {
        let mut bytes = [0u8; 15];
        let n = (0..15)
            .take_while(|&i| self.mem.fetch(self.rip + i as u64, &mut bytes[i..i + 1]).is_ok())
            .count();
        let ins = Decoder::with_ip(64, &bytes[..n], self.rip, DecoderOptions::NONE).decode();
        if ins.is_invalid() {
            return false;
        }
        if ins.op_kinds().any(|k| k == OpKind::Memory) {
            // An FS/GS override makes it a data-segment access (#GP); the other segment
            // prefixes are ignored in 64-bit mode, so the base register decides.
            if matches!(ins.segment_prefix(), Register::FS | Register::GS) {
                return false;
            }
            return matches!(
                ins.memory_base(),
                Register::RSP | Register::RBP | Register::ESP | Register::EBP
            );
        }
        ins.is_stack_instruction()
    }
}
