//! Regions: the guest code one unit covers.
//!
//! A region starts at a hot block (its head) and takes in the blocks its direct jumps,
//! conditional branches and fall-throughs lead to, when those have run often too (their
//! interpreter heat), up to a size limit. Edges between blocks of the region become jumps
//! inside the unit, so loops run without leaving it and guest values stay in host
//! registers across blocks; every other edge is a side exit, linked to the unit of its
//! target. Calls are not followed (the callee is a unit of its own), nor returns and
//! indirect jumps (the jump cache finds their unit).
//!
//! A region is entered at its head, or at one of its other blocks that it has an entry for
//! (`entries`). The head stands for the whole region in the block cache: the unit belongs
//! to the head block, which is also registered on the pages of every other block of the
//! region, so a write to any of that code drops the unit, and with it the entries.
//!
//! A `Region` is a snapshot, owned and free of the block cache's references, so that it
//! can be translated on another thread: copies of the ops, and for each instruction its
//! plan, which flag results are dead (the interpreter's own liveness pass, block by block,
//! so both tiers make the same choices), the flags each block needs on entry, and which
//! guest registers the native code reads and writes.

use super::plan::{plan, Plan, Src};
use crate::decode::{Block, Op};
use crate::flags::CcOp;
use crate::liveness;
use crate::state::Cpu;
use iced_x86::{
    Decoder, DecoderOptions, FlowControl, Instruction, InstructionInfoFactory, Mnemonic, OpAccess,
};
use std::rc::Rc;

/// Most blocks and guest instructions in one region. Compile time grows with the size, and
/// while a region compiles its code runs in the interpreter: with 400 instructions,
/// sha256sum's unrolled rounds (blocks of 128) went native 20 ms later.
const MAX_BLOCKS: usize = 24;
const MAX_INSNS: u64 = 200;

/// How control leaves a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    /// On to a known address: the last instruction is not a branch (the block ended at
    /// its length limit or a page end, or stops by itself), or is a direct jump or call.
    To(u64),
    /// A conditional branch translated natively: condition `cc`, taken and not taken.
    Cond { cc: u8, taken: u64, fall: u64 },
    /// Known only when it runs: a return, an indirect jump or call, or a branch run
    /// through its interpreter handler (which leaves the target in `Cpu::rip`).
    Dynamic,
}

/// The flags a block can count on when it starts (see `Region::flags_in`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FlagsIn {
    /// Nothing reads them before they are overwritten.
    Dead,
    /// Every way in leaves the flags of a natively translated `op` at `bits`, whose
    /// operands are in the unit's flag variables.
    Known(CcOp, u32),
    /// In `Cpu::lf`.
    Mem,
    /// Not known at compile time, and read by nothing before the block overwrites them,
    /// but for a fault on the way, whose exit must see them: they come in the flag
    /// variables as an exit passes them (`Flags::Carried`), so that the edges into the
    /// block need not store them. A loop whose body starts with a load before its compare
    /// then stores no flags on its back edge.
    Carried,
}

/// One block of a region.
pub(super) struct RBlock {
    /// The `Block`'s address: translated code names the block it stops in by it.
    pub addr: u64,
    pub start: u64,
    /// Where the block ends (`Block::end`), and its guest instructions.
    pub end_rip: u64,
    pub insns: u64,
    /// Copies of its ops, one per guest instruction (`Block::plain_ops`).
    pub ops: Vec<Op>,
    /// Native translations; None: the instruction runs through its handler.
    pub plans: Vec<Option<Plan>>,
    /// What each handler-run instruction may do (default for native ones).
    pub handlers: Vec<HandlerInfo>,
    pub end: End,
    /// Region indices of the static targets of `end`, if they are in the region.
    pub succ: [Option<usize>; 2],
    /// Status flags read before being overwritten (liveness bits).
    pub live_in: u32,
    /// The same, but for the reads a fault would make (`liveness::LiveIn::read`).
    pub reads_in: u32,
    pub flags_in: FlagsIn,
    /// Whether the block ends in a fused compare-and-branch (`Block::fast`).
    pub fused: bool,
    /// Registers its native code reads or writes.
    used: u16,
}

impl RBlock {
    /// The runs of consecutive instructions run through their handlers, as (first, count):
    /// the translator calls the handlers of a run in one go. A run ends at a natively
    /// translated instruction, at the block's end, or after an instruction that may store
    /// (a store may change decoded code, which the unit checks for after it).
    pub fn handler_runs(&self) -> Vec<(usize, usize)> {
        let mut runs: Vec<(usize, usize)> = Vec::new();
        let mut open = false;
        for (k, p) in self.plans.iter().enumerate() {
            if p.is_some() {
                open = false;
                continue;
            }
            match runs.last_mut() {
                Some(r) if open => r.1 += 1,
                _ => runs.push((k, 1)),
            }
            open = !self.handlers[k].stores;
        }
        runs
    }
}

/// Natively translated instructions a region needs per call to handlers for its
/// translation to beat the interpreter: a call costs the unit its registers (stored before,
/// loaded again after) and about what the interpreter pays for several instructions, so
/// code made mostly of handler calls (SSE arithmetic, say) runs faster interpreted.
const NATIVE_PER_CALL: usize = 4;

/// Handler calls a lone block may make and still pay (`Region::pays_alone`).
const ALONE_CALLS: usize = 4;

/// What the translator must assume of an instruction run through its handler.
#[derive(Clone, Copy, Default)]
pub(super) struct HandlerInfo {
    /// It may write guest memory, and so decoded code.
    pub stores: bool,
    /// It may change the status flags.
    pub flags: bool,
}

pub(super) struct Region {
    pub blocks: Vec<RBlock>,
    /// Registers native code reads or writes (held in variables, loaded on entry).
    pub used: u16,
    /// The address of the head block's `valid` flag (which stands for the whole region).
    pub head_valid: u64,
    /// Per block: for a *header* (the head, or the target of an edge that does not lead to
    /// a later block), the most instructions the unit can run from its start before it
    /// meets a header again or leaves; None for the other blocks. See `budget_checks`.
    pub reach: Vec<Option<u64>>,
    /// The blocks other than the head that the unit can also be entered at, each with the
    /// most instructions the unit can run from its start before a budget check (as
    /// `reach`). See `entries`.
    pub entries: Vec<(usize, u64)>,
    /// The CPU keeps the recent-block ring (`Hooks::block_ring`): every block must return
    /// to the loop to be noted, so every edge checks the budget (the loop makes it due).
    pub ring: bool,
}

impl Region {
    /// Whether translating the region pays (see `NATIVE_PER_CALL`).
    pub fn pays(&self) -> bool {
        let native: usize = self.blocks.iter().map(|b| b.plans.iter().filter(|p| p.is_some()).count()).sum();
        native >= NATIVE_PER_CALL * self.calls()
    }

    /// Whether a single block that does not pay by `pays` still pays when translated code
    /// leads to it: left to the interpreter it costs the unit before it a return to the
    /// loop and back on every pass, which costs more than a few handler calls (the tails
    /// of the AVX2 string functions, say: a few vector loads and stores and a return).
    pub fn pays_alone(&self) -> bool {
        self.blocks.len() == 1 && self.calls() <= ALONE_CALLS
    }

    /// Calls to handlers (runs of instructions without a native translation).
    fn calls(&self) -> usize {
        self.blocks.iter().map(|b| b.handler_runs().len()).sum()
    }
}

impl RBlock {
    /// The static targets of the block's end.
    pub fn targets(&self) -> [Option<u64>; 2] {
        match self.end {
            End::To(t) => [Some(t), None],
            End::Cond { taken, fall, .. } => [Some(taken), Some(fall)],
            End::Dynamic => [None, None],
        }
    }

    /// Whether instruction `k` is the Jcc of a fused compare-and-branch: the interpreter
    /// cannot be resumed there.
    pub fn is_fused_jcc(&self, k: usize) -> bool {
        self.fused && k + 1 == self.ops.len()
    }
}

/// Reads the block's instructions again from its own bytes (unchanged while the block is
/// valid) and plans each.
fn analyse(cpu: &mut Cpu, blk: &Block, info: &mut InstructionInfoFactory) -> RBlock {
    let ops: Vec<Op> = blk.plain_ops().map(Op::copy).collect();
    let n = ops.len();
    let mut instrs: Vec<Option<Instruction>> = Vec::with_capacity(n);
    for op in &ops {
        let mut bytes = [0u8; 15];
        let len = (op.len as usize).min(15);
        let i = match cpu.mem.fetch(op.addr, &mut bytes[..len]) {
            Ok(()) => {
                let i = Decoder::with_ip(64, &bytes[..len], op.addr, DecoderOptions::NONE).decode();
                (!i.is_invalid() && i.len() == len && crate::decode::builds(&i)).then_some(i)
            }
            Err(_) => None,
        };
        instrs.push(i);
    }
    let mut dead = vec![false; n];
    let (mut live_in, mut reads_in) = (liveness::ALL, liveness::ALL);
    if !cpu.hooks.exact_flags {
        let l = liveness::dead_flag_setters(&instrs, |k| dead[k] = true);
        (live_in, reads_in) = (l.any, l.read);
    }
    let plans: Vec<Option<Plan>> =
        (0..n).map(|k| instrs[k].as_ref().and_then(|i| plan(i, &ops[k], dead[k]))).collect();
    let mut used = 0u16;
    let mut handlers = vec![HandlerInfo::default(); n];
    for k in 0..n {
        match (&plans[k], &instrs[k]) {
            (Some(_), Some(i)) => used |= native_access(info, i, &ops[k]),
            (None, Some(i)) => handlers[k] = handler_info(info, i),
            _ => handlers[k] = HandlerInfo { stores: true, flags: true },
        }
    }
    let end = match (ops.last(), plans.last(), instrs.last()) {
        (Some(op), Some(Some(p)), _) => match *p {
            Plan::Jcc { cc, target } => End::Cond { cc, taken: target, fall: op.next() },
            Plan::Jmp { target: Src::I(t) } | Plan::Call { target: Src::I(t) } => End::To(t),
            Plan::Jmp { .. } | Plan::Call { .. } | Plan::Ret { .. } => End::Dynamic,
            _ => End::To(blk.end),
        },
        (Some(_), Some(None), Some(Some(i))) if i.flow_control() == FlowControl::Next => End::To(blk.end),
        (Some(_), Some(None), Some(None)) => End::To(blk.end),
        _ => End::Dynamic,
    };
    RBlock {
        addr: blk as *const Block as u64,
        start: blk.start,
        end_rip: blk.end,
        insns: blk.insns,
        ops,
        plans,
        handlers,
        end,
        succ: [None, None],
        live_in,
        reads_in,
        flags_in: FlagsIn::Mem,
        fused: blk.fast + 1 < blk.ops.len(),
        used,
    }
}

/// What the handler of `i` may do, from iced's description of the instruction.
fn handler_info(info: &mut InstructionInfoFactory, i: &Instruction) -> HandlerInfo {
    let stores = i.is_string_instruction()
        || i.is_stack_instruction()
        || info.info(i).used_memory().iter().any(|m| {
            matches!(
                m.access(),
                OpAccess::Write | OpAccess::CondWrite | OpAccess::ReadWrite | OpAccess::ReadCondWrite
            )
        });
    // iced gives a rotate or shift whose count it sees as moving nothing no flag effect
    // (RCR r/m8 by 9, say), where the interpreter, as the reference host, still sets OF.
    let counted = matches!(
        i.mnemonic(),
        Mnemonic::Rcl
            | Mnemonic::Rcr
            | Mnemonic::Rol
            | Mnemonic::Ror
            | Mnemonic::Shl
            | Mnemonic::Sal
            | Mnemonic::Shr
            | Mnemonic::Sar
            | Mnemonic::Shld
            | Mnemonic::Shrd
    );
    let flags = counted || i.rflags_modified() != 0 || i.rflags_set() != 0 || i.rflags_cleared() != 0;
    HandlerInfo { stores, flags }
}

/// The GPRs (rax = bit 0 .. r15 = bit 15) a natively translated op reads or writes: its
/// operands, its memory operand's base and index, and implicit ones. The translation may
/// read any register it writes (partial writes merge), so writes count as uses.
fn native_access(info: &mut InstructionInfoFactory, i: &Instruction, op: &Op) -> u16 {
    let mut r = 0u16;
    for u in info.info(i).used_registers() {
        let reg = u.register();
        if reg.is_gpr() && u.access() != OpAccess::None {
            r |= 1u16 << reg.full_register().number();
        }
    }
    for x in [op.base, op.index] {
        if x < 16 {
            r |= 1 << x;
        }
    }
    r
}

/// The blocks `head` leads to that are worth translating with it (`alone`: the head
/// only), and the blocks as the cache holds them (kept alive while the region is
/// translated elsewhere).
pub(super) fn form(
    cpu: &mut Cpu,
    head: &Block,
    min_heat: u32,
    eager: bool,
    alone: bool,
) -> (Region, Vec<Rc<Block>>) {
    let mut info = InstructionInfoFactory::new();
    let mut blocks = vec![analyse(cpu, head, &mut info)];
    let mut keep = Vec::new();
    let mut insns = head.insns;
    let mut at = 0;
    while at < blocks.len() {
        let targets = blocks[at].targets();
        let calls = matches!(blocks[at].plans.last(), Some(Some(Plan::Call { .. })));
        for t in targets.into_iter().flatten() {
            if alone || calls || blocks.len() >= MAX_BLOCKS || blocks.iter().any(|b| b.start == t) {
                continue;
            }
            let Some(b) = candidate(cpu, t, min_heat, eager) else { continue };
            if insns + b.insns > MAX_INSNS {
                continue;
            }
            insns += b.insns;
            blocks.push(analyse(cpu, &b, &mut info));
            keep.push(b);
        }
        at += 1;
    }
    // Edges inside the region.
    for k in 0..blocks.len() {
        let t = blocks[k].targets();
        for s in 0..2 {
            blocks[k].succ[s] = t[s].and_then(|t| blocks.iter().position(|b| b.start == t));
        }
    }
    let used = blocks.iter().fold(0, |u, b| u | b.used);
    let (reach, run) = budget_checks(&blocks);
    let ring = cpu.hooks.block_ring;
    let head_valid = &head.valid as *const _ as u64;
    let mut region = Region { blocks, used, head_valid, reach, entries: Vec::new(), ring };
    flags_dataflow(&mut region);
    region.entries = entries(&region, &run);
    (region, keep)
}

/// Where a unit checks the budget (`Region::reach`). The interpreter looks at it before
/// every block; a unit must stop at the same block boundary. Rather than compare at every
/// edge, it compares only on entry and on edges into a header, against the count it would
/// reach by the next such check at most: when that count is below `check_at`, no boundary
/// in between can be the one to stop at. When it is not, the unit hands the header's block
/// to the interpreter, which looks before each block as always (near the budget, a few
/// blocks run interpreted).
///
/// Blocks are in the order the region was grown in, so an edge to a later block never
/// closes a cycle: the targets of the other edges (and the head) are the headers, and the
/// edges between the others form no cycle.
///
/// Also gives, for every block, the most instructions the unit can run from the block's
/// start to a header or out of the region.
fn budget_checks(blocks: &[RBlock]) -> (Vec<Option<u64>>, Vec<u64>) {
    let n = blocks.len();
    let mut header = vec![false; n];
    header[0] = true;
    for (i, b) in blocks.iter().enumerate() {
        for t in b.succ.into_iter().flatten() {
            if t <= i {
                header[t] = true;
            }
        }
    }
    // Longest run from each block to a header or out of the region, later blocks first.
    let mut run = vec![0u64; n];
    for j in (0..n).rev() {
        let on = blocks[j].succ.into_iter().flatten().filter(|&t| !header[t]).map(|t| run[t]).max();
        run[j] = blocks[j].insns + on.unwrap_or(0);
    }
    ((0..n).map(|j| header[j].then_some(run[j])).collect(), run)
}

/// The blocks the unit may also be entered at, besides its head. Code that leads to one of
/// them from outside the region (another unit's exit, a return, the interpreter) then
/// enters this unit there, instead of translating a region of its own from that block on:
/// without entries, a block in the middle of a hot region turned hot again as the head of
/// a second region, and its successors were translated twice (perl's regular expressions
/// translated 1.8 guest instructions for each distinct one).
///
/// An entry comes in with the flags in the CPU, so a block whose ways in all leave the
/// flags of a known op in the flag variables (`FlagsIn::Known`) is none: its translation
/// counts on them.
fn entries(r: &Region, run: &[u64]) -> Vec<(usize, u64)> {
    r.blocks
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, b)| !matches!(b.flags_in, FlagsIn::Known(..)))
        .map(|(j, _)| (j, run[j]))
        .collect()
}

/// The block at `rip` if it may join a region: valid, not the head of a unit of its own
/// (the region links to that instead), and hot enough. With `eager` (every block is
/// translated), any block qualifies and one not decoded yet is decoded now.
fn candidate(cpu: &mut Cpu, rip: u64, min_heat: u32, eager: bool) -> Option<Rc<Block>> {
    let idx = match cpu.cache.map.get(&rip) {
        Some(&i) => i,
        None if eager => cpu.decode_block(rip).ok()?,
        None => return None,
    };
    let b = cpu.cache.get(idx);
    let heat = b.jit.heat.get();
    if !b.valid.get() || b.start != rip || b.jit.code().is_some() || heat >= super::LONE {
        return None;
    }
    (eager || heat >= min_heat).then(|| b.clone())
}

/// The flags state at the end of a block that starts with `s` (see `FlagsIn`).
fn flags_out(b: &RBlock, mut s: FlagsIn) -> FlagsIn {
    for (p, h) in b.plans.iter().zip(&b.handlers) {
        match p {
            Some(p) => {
                if let Some((op, bits)) = p.flag_result() {
                    s = FlagsIn::Known(op, bits);
                } else if p.flags_to_mem() {
                    s = FlagsIn::Mem;
                }
            }
            // A handler may change the flags; the unit gives it the current ones first.
            None if h.flags => s = FlagsIn::Mem,
            None => {}
        }
    }
    s
}

/// Decides `flags_in` of every block: what all its ways in agree on, or the CPU's copy.
fn flags_dataflow(r: &mut Region) {
    let n = r.blocks.len();
    // None: not reached yet.
    let mut ins: Vec<Option<FlagsIn>> = vec![None; n];
    ins[0] = Some(FlagsIn::Mem);
    let merge = |a: Option<FlagsIn>, b: FlagsIn| match a {
        None => b,
        Some(a) if a == b => a,
        _ => FlagsIn::Mem,
    };
    loop {
        let mut changed = false;
        for k in 0..n {
            let Some(s) = ins[k] else { continue };
            let s = if r.blocks[k].live_in == 0 { FlagsIn::Dead } else { s };
            let out = flags_out(&r.blocks[k], s);
            for t in r.blocks[k].succ.into_iter().flatten() {
                // The head is also entered from outside, with the flags in the CPU.
                let cur = ins[t];
                let new = merge(cur, out);
                let new = if t == 0 { merge(Some(new), FlagsIn::Mem) } else { new };
                if cur != Some(new) {
                    ins[t] = Some(new);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    for (b, s) in r.blocks.iter_mut().zip(ins) {
        b.flags_in = match s.unwrap_or(FlagsIn::Mem) {
            _ if b.live_in == 0 => FlagsIn::Dead,
            FlagsIn::Mem if b.reads_in == 0 => FlagsIn::Carried,
            s => s,
        };
    }
}
