//! Guest instructions -> Cranelift IR: what a unit keeps in SSA values (guest registers,
//! the lazy flags of the last flag-setting instruction, the instruction count), memory
//! access with the software TLB hit inlined, side exits, and the native translation of
//! each `Plan`.
//!
//! Registers. A guest register is loaded into a Cranelift variable at its first use in a
//! block and stays there for the rest of the block; one that changed goes back to
//! `Cpu::regs` before anything that may leave the unit (a memory access, a handler call,
//! the block's end), so exits store nothing but flags. After a handler call (which works on
//! the CPU structure) registers are read again.
//!
//! Flags. A natively translated flag setter records its kind and width at compile time
//! (`Flags::Known`) and its operands in variables, so a Jcc compares them directly; the
//! `LazyFlags` record is written only at exits and before handler calls. Flag results that
//! nobody can observe (`liveness`) are not computed at all.
//!
//! Precision. An instruction's results are held back (`pending`) until its last memory
//! access has succeeded, so a fault leaves through an exit that stores the state before the
//! instruction. A TLB miss calls the interpreter's own slow path (`jit_ld`, `jit_st`,
//! through trampolines that preserve every register: see `Stubs`),
//! which fills the TLB, raises faults and notices writes to decoded code exactly as for
//! the interpreter.

use super::plan::{Alu, Cnt, Plan, Sh, Src, Un};
use super::region::{FlagsIn, RBlock, Region};
use super::{JitState, RESUME, RUN_ON};
use crate::decode::Op;
use crate::flags::{mask, CcOp, LazyFlags};
use crate::mem::{
    TLB_ADDEND_OFFSET, TLB_ENTRY_SHIFT, TLB_INDEX_MASK, TLB_PAGE_OFFSET, TLB_R_OFFSET, TLB_W_OFFSET,
};
use crate::state::{Cpu, ZERO_REG};
use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I16, I32, I64, I8};
use cranelift_codegen::ir::{
    Block as ClBlock, BlockArg, InstBuilder, InstructionData, MemFlagsData, Opcode, SigRef, Type, Value,
    ValueDef,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use hashbrown::HashMap;
use std::mem::offset_of;

pub(super) const JIT_BLOCK: usize = offset_of!(Cpu, jit) + offset_of!(JitState, block);
pub(super) const JIT_LINK: usize = offset_of!(Cpu, jit) + offset_of!(JitState, link);
pub(super) const JIT_CHECK_AT: usize = offset_of!(Cpu, jit) + offset_of!(JitState, check_at);
pub(super) const JIT_STOP_INDEX: usize = offset_of!(Cpu, jit) + offset_of!(JitState, stop_index);
pub(super) const JIT_JC: usize = offset_of!(Cpu, jit) + offset_of!(JitState, jc);
pub(super) const JIT_SCRATCH: usize = offset_of!(Cpu, jit) + offset_of!(JitState, scratch);
pub(super) const JIT_STATUS: usize = offset_of!(Cpu, jit) + offset_of!(JitState, status);
pub(super) const CACHE_GEN: usize = offset_of!(Cpu, cache) + offset_of!(crate::decode::BlockCache, gen);
pub(super) const REGS: usize = offset_of!(Cpu, regs);
pub(super) const RIP: usize = offset_of!(Cpu, rip);
pub(super) const ICOUNT: usize = offset_of!(Cpu, icount);
const SEG_BASE: usize = offset_of!(Cpu, seg_base);
const LF: usize = offset_of!(Cpu, lf);
const MEM: usize = offset_of!(Cpu, mem);

/// The signatures translated code calls with.
pub(super) struct SigRefs {
    /// A unit (`tail`, (cpu) -> i32): chained exits jump straight into the next one.
    pub unit: SigRef,
    /// `jit_op`.
    pub op: SigRef,
    /// The slow-path trampolines (`Stubs`): (cpu, i32), (cpu, addr, i32), (cpu, addr,
    /// value, i32), none returning anything.
    pub slow1: SigRef,
    pub slow2: SigRef,
    pub slow3: SigRef,
    /// The chaining stubs: (cpu, rip, link, block) and (cpu, rip, block).
    pub chain: SigRef,
    pub chain_dyn: SigRef,
}

/// The addresses of code every unit shares.
///
/// Slow-path trampolines call `jit_cond`, `jit_ld`, `jit_ld_rmw` and `jit_st` preserving
/// every register, so that the rare calls on cold paths do not make the register
/// allocator save values around them on the hot path; their results go to
/// `JitState::status` and `JitState::scratch`.
///
/// Chaining stubs take over where a unit leaves and cannot jump straight into the next
/// unit itself (tail calls, with the registers and flags stored): `chain` for a static
/// edge (through the edge's link slot), `chain_dyn` for an address known only at run time
/// (through the jump cache); both check the budget and otherwise return to the loop. The
/// common case, a filled slot or a jump cache hit within the budget, is tested inline at
/// each exit (`exit_static`), so that each exit's indirect jump is predicted on its own.
#[derive(Clone, Copy)]
pub(super) struct Stubs {
    pub cond: u64,
    pub ld: u64,
    pub ld_rmw: u64,
    pub st: u64,
    pub chain: u64,
    pub chain_dyn: u64,
}

/// The status flags as far as the unit knows them at compile time.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Flags {
    /// In `Cpu::lf` (or, at the start of a block that overwrites them before anything can
    /// look, nowhere that matters).
    Mem,
    /// Set by a natively translated instruction of kind `op` at `bits`, whose operands are
    /// the flag variables (dst, src, res, aux). With `co`, an IMUL has since set CF and OF
    /// (bits 0 and 1 of the `co` variable) over them, as `CcOp::CoOver` does; `op` then
    /// never uses `aux`, whose slot an exit uses for `co`.
    Known { op: CcOp, bits: u32, co: bool },
    /// Whatever flags the block's predecessors left, which nothing reads before they are
    /// overwritten (a fault could see them: a side exit stores them): the flag variables
    /// hold them as an exit passes them (`exit_args`), kind, bits and `under` in the
    /// `fop` variable (0: in `Cpu::lf` already). See `FlagsIn::Carried`.
    Carried,
}

/// A flag-setting result.
#[derive(Clone, Copy)]
pub(super) struct FlagSet {
    pub op: CcOp,
    pub bits: u32,
    pub dst: Value,
    pub src: Value,
    pub res: Value,
    pub aux: Option<Value>,
    /// CF in bit 0 and OF in bit 1, set over `op` (see `Flags::Known`).
    pub co: Option<Value>,
}

/// Where control goes after a natively translated instruction.
pub(super) enum Next {
    /// On to the following instruction (or the block's fall-through).
    On,
    /// A conditional branch: taken when the I8 value is nonzero.
    Cond(Value),
    /// A jump, call or return to this address.
    To(Value),
}

/// What an exit after a completed instruction that changed decoded code must do.
#[derive(Clone, Copy)]
pub(super) enum After {
    /// Go on with the next instruction (in the interpreter).
    Next,
    /// The instruction transfers control to this address.
    To(Value),
}

/// The function being built.
pub(super) struct Tx<'a> {
    pub b: FunctionBuilder<'a>,
    pub sref: SigRefs,
    pub stubs: Stubs,
    pub region: &'a Region,
    pub regs: [Variable; 16],
    /// Registers that may differ from `Cpu::regs`.
    pub dirty: u16,
    /// Registers whose variable holds the current value in this guest block; the others
    /// are read from the CPU on first use.
    loaded: u16,
    pub flags: Flags,
    /// `Cpu::lf` already holds the `Known` flags.
    pub flags_synced: bool,
    /// dst, src, res, aux and co of `Flags::Known`, then the `fop` of `Flags::Carried`
    /// (whose aux or co is in the aux variable).
    pub fv: [Variable; 6],
    /// Results of the current instruction, committed when it cannot fault any more.
    pub pending: Vec<(u8, Value)>,
    pub pending_flags: Option<FlagSet>,
    /// The next access is through rsp (push, pop, call, ret or an rsp-based operand).
    sp_access: bool,
    /// This block's stack accesses so far whose page later ones may share (`Near`).
    near: Vec<Near>,
    /// The current block (region index) and instruction.
    pub cur: usize,
    pub k: usize,
    /// `Cpu::rip` holds the current block's end (handlers expect it).
    pub rip_set: bool,
    /// The CPU pointer: the unit's parameter.
    cpu: Value,
    /// The unit's entry block, and the 64-bit constants made there (`c`).
    entry: ClBlock,
    consts: HashMap<u64, Value>,
    /// The current block's shared side exit (see `exit_before`).
    shared_exit: Option<ClBlock>,
    /// An exit to it passes flags with `co` (see `Flags::Known`).
    co_exit: bool,
}

/// A stack access earlier in the block: the address is `root + off`, and at run time
/// `page_off` is its offset in its page and `host` its host address, or `page_off` is
/// `FAR` (it took the slow path). An access at `root + off + d` with `page_off + d` at most
/// the last offset it may start at is in the same page, at `host + d`: no TLB probe.
/// Pushes, pops, calls, returns and a frame's locals are mostly such neighbours.
#[derive(Clone, Copy)]
struct Near {
    root: Value,
    off: i64,
    /// From a write-TLB hit, which serves reads too (`AddressSpace::tlb_fill_write`).
    write: bool,
    page_off: Value,
    host: Value,
}

/// Where a store goes on (`Tx::store_or_slow`): a block, with its arguments after the
/// hit and after the slow path.
type Then<'a> = (ClBlock, [&'a [BlockArg]; 2]);

/// `page_off` after a slow path: no neighbour is ever within a page of it.
const FAR: i64 = 1 << 62;

/// Whether flags of kind `op` keep an operand in `aux` (the kinds a unit knows).
fn uses_aux(op: CcOp) -> bool {
    matches!(op, CcOp::Inc | CcOp::Dec | CcOp::Shift)
}

fn guest_mem() -> MemFlagsData {
    // Guest frames are always mapped host memory (the TLB said so), but not aligned.
    MemFlagsData::new().with_notrap()
}

pub(super) fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

impl<'a> Tx<'a> {
    /// A translator for `region` emitting into `b`, in its entry block, whose parameter
    /// is the CPU pointer.
    pub fn new(b: FunctionBuilder<'a>, sref: SigRefs, stubs: Stubs, region: &'a Region) -> Tx<'a> {
        let mut b = b;
        let entry = b.current_block().expect("in the entry block");
        let cpu = b.block_params(entry)[0];
        let regs = std::array::from_fn(|_| b.declare_var(I64));
        let fv = std::array::from_fn(|_| b.declare_var(I64));
        Tx {
            b,
            sref,
            stubs,
            region,
            regs,
            dirty: 0,
            loaded: 0,
            flags: Flags::Mem,
            flags_synced: true,
            fv,
            pending: Vec::new(),
            pending_flags: None,
            sp_access: false,
            near: Vec::new(),
            cur: 0,
            k: 0,
            rip_set: false,
            cpu,
            entry,
            consts: HashMap::new(),
            shared_exit: None,
            co_exit: false,
        }
    }

    pub fn rb(&self) -> &'a RBlock {
        &self.region.blocks[self.cur]
    }

    /// The CPU pointer.
    pub fn cpu(&mut self) -> Value {
        self.cpu
    }

    /// The 64-bit constant `v`, made once per unit in its entry block (which dominates
    /// every use). A third of a unit's IR was constants, mostly the same few (0, the TLB
    /// masks, the CPU's fields); the code generator still materialises them where used.
    pub fn c(&mut self, v: u64) -> Value {
        if let Some(&x) = self.consts.get(&v) {
            return x;
        }
        let x = if self.b.current_block() == Some(self.entry) {
            self.b.ins().iconst(I64, v as i64)
        } else {
            // The entry block is finished: before its branch. (While it is being built it
            // may still be empty, and an empty block is not in the layout yet, so a cursor
            // cannot insert there: the builder appends instead.)
            let mut pos = FuncCursor::new(self.b.func);
            pos.goto_last_inst(self.entry);
            pos.ins().iconst(I64, v as i64)
        };
        self.consts.insert(v, x);
        x
    }

    /// How many low bits of `v` may be nonzero, from how it was made (64: unknown). Lets
    /// the emitter skip zero-extensions that change nothing, which are most of them: a
    /// 32-bit result is kept zero-extended in its register.
    fn bits_of(&self, v: Value) -> u32 {
        let dfg = &self.b.func.dfg;
        let ty = dfg.value_type(v);
        if ty != I64 {
            return ty.bits();
        }
        let ValueDef::Result(inst, _) = dfg.value_def(v) else { return 64 };
        let used = |x: i64| 64 - (x as u64).leading_zeros();
        match dfg.insts[inst] {
            InstructionData::Unary { opcode: Opcode::Uextend, arg } => dfg.value_type(arg).bits(),
            InstructionData::Load { opcode: Opcode::Uload8, .. } => 8,
            InstructionData::Load { opcode: Opcode::Uload16, .. } => 16,
            InstructionData::Load { opcode: Opcode::Uload32, .. } => 32,
            InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } => used(imm.bits()),
            _ => 64,
        }
    }

    /// `x & m`; a mask of the low 8, 16 or 32 bits is a zero-extension (a narrowing and
    /// widening move), skipped when `x` has no higher bits anyway.
    pub fn and_c(&mut self, x: Value, m: u64) -> Value {
        let ty = match m {
            u64::MAX => return x,
            0xffff_ffff => I32,
            0xffff => I16,
            0xff => I8,
            _ => return self.b.ins().band_imm_s(x, m as i64),
        };
        if self.bits_of(x) <= ty.bits() {
            return x;
        }
        let n = self.narrow(x, ty);
        self.b.ins().uextend(I64, n)
    }

    /// The low bits of `x` as a `ty` value (the operand of a zero-extension when `x` is
    /// one).
    pub fn narrow(&mut self, x: Value, ty: Type) -> Value {
        let dfg = &self.b.func.dfg;
        if dfg.value_type(x) == ty {
            return x;
        }
        if let ValueDef::Result(inst, _) = dfg.value_def(x) {
            match dfg.insts[inst] {
                InstructionData::Unary { opcode: Opcode::Uextend | Opcode::Sextend, arg }
                    if dfg.value_type(arg) == ty =>
                {
                    return arg
                }
                InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } => {
                    return self.b.ins().iconst(ty, imm.bits() & mask(ty.bits()) as i64);
                }
                _ => {}
            }
        }
        self.b.ins().ireduce(ty, x)
    }

    /// `x + c`, folded into an addition or constant `x` already is.
    pub fn add_imm(&mut self, x: Value, c: i64) -> Value {
        if c == 0 {
            return x;
        }
        let dfg = &self.b.func.dfg;
        if let ValueDef::Result(inst, _) = dfg.value_def(x) {
            match dfg.insts[inst] {
                InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } => {
                    return self.c(imm.bits().wrapping_add(c) as u64);
                }
                InstructionData::Binary { opcode: Opcode::Iadd, args: [a, b] } => {
                    if let ValueDef::Result(bi, _) = dfg.value_def(b) {
                        if let InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } = dfg.insts[bi] {
                            let k = self.c(imm.bits().wrapping_add(c) as u64);
                            return self.b.ins().iadd(a, k);
                        }
                    }
                }
                _ => {}
            }
        }
        let k = self.c(c as u64);
        self.b.ins().iadd(x, k)
    }

    pub fn shr_c(&mut self, x: Value, n: u32) -> Value {
        self.b.ins().ushr_imm_s(x, n as i64)
    }

    pub fn shl_c(&mut self, x: Value, n: u32) -> Value {
        self.b.ins().ishl_imm_s(x, n as i64)
    }

    pub fn ld_cpu(&mut self, ty: Type, off: usize) -> Value {
        let cpu = self.cpu();
        self.b.ins().load(ty, trusted(), cpu, off as i32)
    }

    pub fn st_cpu(&mut self, v: Value, off: usize) {
        let cpu = self.cpu();
        self.b.ins().store(trusted(), v, cpu, off as i32);
    }

    pub fn st_const(&mut self, v: u64, off: usize) {
        let c = self.c(v);
        self.st_cpu(c, off);
    }

    /// A bool (I8 0/1) as I64.
    fn b64(&mut self, v: Value) -> Value {
        self.b.ins().uextend(I64, v)
    }

    /// Starts a cold block taken when `cond`; returns (cold, continue), leaving the
    /// builder in neither.
    pub fn split(&mut self, cond: Value) -> (ClBlock, ClBlock) {
        let out = self.b.create_block();
        let on = self.b.create_block();
        self.b.set_cold_block(out);
        self.b.ins().brif(cond, out, &[], on, &[]);
        self.b.seal_block(out);
        self.b.seal_block(on);
        (out, on)
    }

    /// Sets up the compile-time state at the start of region block `j` (the builder is in
    /// its Cranelift block).
    pub fn start_block(&mut self, j: usize) {
        self.cur = j;
        self.k = 0;
        self.rip_set = false;
        self.shared_exit = None;
        self.co_exit = false;
        // The block's predecessors left every register in the CPU too, and registers are
        // read there on first use: guest registers live in host registers within a block,
        // which keeps live ranges short (register allocation is most of the compile time)
        // and loads cheap (just stored, or in L1).
        self.dirty = 0;
        self.loaded = 0;
        self.near.clear();
        match self.region.blocks[j].flags_in {
            FlagsIn::Known(op, bits) => {
                self.flags = Flags::Known { op, bits, co: false };
                self.flags_synced = false;
            }
            FlagsIn::Dead | FlagsIn::Mem => {
                self.flags = Flags::Mem;
                self.flags_synced = true;
            }
            FlagsIn::Carried => {
                self.flags = Flags::Carried;
                self.flags_synced = false;
            }
        }
    }

    // ---- registers ----

    /// The full 64-bit register `r` (16 is the zero slot).
    pub fn get(&mut self, r: u8) -> Value {
        if r >= ZERO_REG {
            return self.c(0);
        }
        debug_assert!(self.region.used & (1 << r) != 0, "register {r} not loaded");
        if self.loaded & (1 << r) == 0 {
            let v = self.ld_cpu(I64, REGS + 8 * r as usize);
            self.b.def_var(self.regs[r as usize], v);
            self.loaded |= 1 << r;
            return v;
        }
        self.b.use_var(self.regs[r as usize])
    }

    /// Register `r` at width `w`, zero-extended.
    pub fn rd(&mut self, r: u8, w: u32) -> Value {
        let v = self.get(r);
        self.and_c(v, mask(w))
    }

    /// Queues a write of `v` (its low `w` bits) to register `r` with x86-64 semantics.
    pub fn wr(&mut self, r: u8, w: u32, v: Value) {
        let full = match w {
            64 => v,
            32 => self.and_c(v, 0xffff_ffff),
            _ => {
                let old = self.pending_or_get(r);
                let old = self.b.ins().band_imm_s(old, !mask(w) as i64);
                let v = self.and_c(v, mask(w));
                self.b.ins().bor(old, v)
            }
        };
        self.pending.push((r, full));
    }

    /// Register `r` as the current instruction has left it so far: an earlier write of the
    /// same instruction counts (xchg of one register).
    fn pending_or_get(&mut self, r: u8) -> Value {
        match self.pending.iter().rev().find(|p| p.0 == r) {
            Some(&(_, v)) => v,
            None => self.get(r),
        }
    }

    /// Bits 8..15 of register `r` (AH..BH), zero-extended.
    fn rd_hi(&mut self, r: u8) -> Value {
        let v = self.get(r);
        let v = self.b.ins().ushr_imm_s(v, 8);
        self.and_c(v, 0xff)
    }

    /// Queues a write of `v`'s low byte to bits 8..15 of register `r` (AH..BH).
    fn wr_hi(&mut self, r: u8, v: Value) {
        let old = self.pending_or_get(r);
        let old = self.b.ins().band_imm_s(old, !0xff00);
        let v = self.and_c(v, 0xff);
        let v = self.b.ins().ishl_imm_s(v, 8);
        let full = self.b.ins().bor(old, v);
        self.pending.push((r, full));
    }

    /// Writes `v` to a register operand (`Src::R` at width `w`, or `Src::H`).
    fn wr_src(&mut self, s: Src, w: u32, v: Value) {
        match s {
            Src::R(r) => self.wr(r, w, v),
            Src::H(r) => self.wr_hi(r, v),
            _ => unreachable!("a register operand"),
        }
    }

    /// Makes the current instruction's results architectural (it can no longer fault).
    pub fn commit(&mut self) {
        self.sp_access = false;
        for (r, v) in std::mem::take(&mut self.pending) {
            self.b.def_var(self.regs[r as usize], v);
            self.dirty |= 1 << r;
            self.loaded |= 1 << r;
        }
        if let Some(f) = self.pending_flags.take() {
            self.b.def_var(self.fv[0], f.dst);
            self.b.def_var(self.fv[1], f.src);
            self.b.def_var(self.fv[2], f.res);
            if let Some(a) = f.aux {
                self.b.def_var(self.fv[3], a);
            }
            self.flags = Flags::Known { op: f.op, bits: f.bits, co: false };
            self.flags_synced = false;
        }
    }

    /// The known flags as a `FlagSet`, if any.
    fn known_flags(&mut self) -> Option<FlagSet> {
        let Flags::Known { op, bits, co } = self.flags else { return None };
        let aux = uses_aux(op).then(|| self.b.use_var(self.fv[3]));
        let co = co.then(|| self.b.use_var(self.fv[4]));
        Some(FlagSet {
            op,
            bits,
            dst: self.b.use_var(self.fv[0]),
            src: self.b.use_var(self.fv[1]),
            res: self.b.use_var(self.fv[2]),
            aux,
            co,
        })
    }

    fn store_flags(&mut self, f: &FlagSet) {
        let cpu = self.cpu();
        let op_at = (LF + offset_of!(LazyFlags, op)) as i32;
        match f.co {
            Some(co) => {
                let o = self.b.ins().iconst(I8, CcOp::CoOver as u8 as i64);
                self.b.ins().store(trusted(), o, cpu, op_at);
                let u = self.b.ins().iconst(I8, f.op as u8 as i64);
                self.b.ins().store(trusted(), u, cpu, (LF + offset_of!(LazyFlags, under)) as i32);
                let c = self.b.ins().ireduce(I8, co);
                self.b.ins().store(trusted(), c, cpu, (LF + offset_of!(LazyFlags, co)) as i32);
            }
            None => {
                let o = self.b.ins().iconst(I8, f.op as u8 as i64);
                self.b.ins().store(trusted(), o, cpu, op_at);
            }
        }
        let bits = self.b.ins().iconst(I32, f.bits as i64);
        self.b.ins().store(trusted(), bits, cpu, (LF + offset_of!(LazyFlags, bits)) as i32);
        self.b.ins().store(trusted(), f.dst, cpu, (LF + offset_of!(LazyFlags, dst)) as i32);
        self.b.ins().store(trusted(), f.src, cpu, (LF + offset_of!(LazyFlags, src)) as i32);
        self.b.ins().store(trusted(), f.res, cpu, (LF + offset_of!(LazyFlags, res)) as i32);
        if let Some(a) = f.aux {
            self.b.ins().store(trusted(), a, cpu, (LF + offset_of!(LazyFlags, aux)) as i32);
        }
    }

    /// Puts the known flags into `Cpu::lf` (on the current path; the unit still knows them).
    pub fn sync_flags(&mut self) {
        if self.carrying() {
            self.store_carried();
        } else if !self.flags_synced {
            if let Some(f) = self.known_flags() {
                self.store_flags(&f);
            }
        }
    }

    /// The flag variables hold carried flags that `Cpu::lf` may lack.
    fn carrying(&self) -> bool {
        self.flags == Flags::Carried && !self.flags_synced
    }

    /// Before reading carried flags (which nothing should): they go to the CPU, and are
    /// read there from now on, on this path.
    fn drop_carried(&mut self) {
        if self.flags == Flags::Carried {
            self.sync_flags();
            self.flags = Flags::Mem;
            self.flags_synced = true;
        }
    }

    /// The carried flags as exit arguments: (fop, dst, src, res, aux or co).
    fn carried_args(&mut self) -> [Value; 5] {
        let fop = self.b.use_var(self.fv[5]);
        let fop = self.b.ins().ireduce(I32, fop);
        let v = |t: &mut Self, i: usize| t.b.use_var(t.fv[i]);
        [fop, v(self, 0), v(self, 1), v(self, 2), v(self, 3)]
    }

    /// Stores the carried flags into `Cpu::lf` unless they are there already (`fop` 0),
    /// going on in a new block.
    fn store_carried(&mut self) {
        let [fop, d, s, r, a] = self.carried_args();
        let (store, on) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(fop, store, &[], on, &[]);
        self.b.seal_block(store);
        self.b.switch_to_block(store);
        self.store_flag_args(fop, [d, s, r, a], true);
        self.b.ins().jump(on, &[]);
        self.b.seal_block(on);
        self.b.switch_to_block(on);
    }

    /// Stores flags given as exit arguments (`exit_args`; `fop` nonzero) into `Cpu::lf`;
    /// `co`: `under` and `co` too (a CoOver kind may be among them).
    fn store_flag_args(&mut self, fop: Value, [d, s, r, a]: [Value; 4], co: bool) {
        let cpu = self.cpu();
        let op = self.b.ins().ireduce(I8, fop);
        self.b.ins().store(trusted(), op, cpu, (LF + offset_of!(LazyFlags, op)) as i32);
        let bits = self.b.ins().ushr_imm_s(fop, 8);
        let bits = self.b.ins().band_imm_s(bits, 0xff);
        self.b.ins().store(trusted(), bits, cpu, (LF + offset_of!(LazyFlags, bits)) as i32);
        if co {
            // Also right (and unused) for flags without `co`: `under` is only read with
            // CoOver.
            let under = self.b.ins().ushr_imm_s(fop, 16);
            let under = self.b.ins().ireduce(I8, under);
            self.b.ins().store(trusted(), under, cpu, (LF + offset_of!(LazyFlags, under)) as i32);
            let c = self.b.ins().ireduce(I8, a);
            self.b.ins().store(trusted(), c, cpu, (LF + offset_of!(LazyFlags, co)) as i32);
        }
        self.b.ins().store(trusted(), d, cpu, (LF + offset_of!(LazyFlags, dst)) as i32);
        self.b.ins().store(trusted(), s, cpu, (LF + offset_of!(LazyFlags, src)) as i32);
        self.b.ins().store(trusted(), r, cpu, (LF + offset_of!(LazyFlags, res)) as i32);
        self.b.ins().store(trusted(), a, cpu, (LF + offset_of!(LazyFlags, aux)) as i32);
    }

    /// On an edge into a block that starts with `FlagsIn::Carried`: puts the current flags
    /// into the flag variables as that block expects them.
    pub fn carry_flags(&mut self) {
        if self.carrying() {
            return;
        }
        let f = if self.flags_synced { None } else { self.known_flags() };
        let (fop, a) = self.flag_args(f);
        let fop = self.b.ins().uextend(I64, fop);
        self.b.def_var(self.fv[5], fop);
        self.b.def_var(self.fv[3], a);
    }

    /// Stores the registers that may differ from the CPU's copy (committed results only).
    /// Done before anything that may leave the unit (a memory access, a handler call, the
    /// block's end), so that side exits need to store nothing but flags: they are many,
    /// and small exits keep units small and quick to compile.
    pub fn sync_regs(&mut self) {
        for r in 0..16 {
            if self.dirty & (1 << r) != 0 {
                let v = self.b.use_var(self.regs[r]);
                self.st_cpu(v, REGS + 8 * r);
            }
        }
        self.dirty = 0;
    }

    /// Stores what the CPU structure lacks on an exit from here: the registers that may
    /// have changed and the known flags, with the current instruction's pending results
    /// when `with_pending`. Changes nothing the unit knows, so a side exit may call it.
    pub fn spill(&mut self, with_pending: bool) {
        let mut vals: [Option<Value>; 16] = [None; 16];
        for (r, v) in vals.iter_mut().enumerate() {
            if self.dirty & (1 << r) != 0 {
                *v = Some(self.b.use_var(self.regs[r]));
            }
        }
        let carried = self.carrying();
        let mut fl = if self.flags_synced { None } else { self.known_flags() };
        if with_pending {
            for &(r, v) in &self.pending {
                vals[r as usize] = Some(v);
            }
            if let Some(f) = self.pending_flags {
                fl = Some(f);
            }
        }
        for (r, v) in vals.iter().enumerate() {
            if let Some(v) = *v {
                self.st_cpu(v, REGS + 8 * r);
            }
        }
        match fl {
            Some(f) => self.store_flags(&f),
            None if carried => self.store_carried(),
            None => {}
        }
    }

    // ---- exits ----

    /// The exit that leaves with the state before instruction `k` of the current block and
    /// returns `code` (a stop plus one): a block to branch to and its arguments. The
    /// registers are in the CPU already (`sync_regs`); the block's exits share one exit
    /// block that stores the flags (passed as arguments, as they are known here) and
    /// where the unit stopped.
    fn exit_args(&mut self, code: Value, k: usize) -> (ClBlock, [BlockArg; 7]) {
        let kv = self.c(k as u64);
        self.exit_args_at(code, kv)
    }

    /// `exit_args` with the instruction index `kv` known only when the code runs.
    fn exit_args_at(&mut self, code: Value, kv: Value) -> (ClBlock, [BlockArg; 7]) {
        debug_assert_eq!(self.dirty, 0, "registers synced before a side exit");
        let [fop, d, s, r, a] = if self.carrying() {
            self.co_exit = true;
            self.carried_args()
        } else {
            let f = if self.flags_synced { None } else { self.known_flags() };
            let z = self.c(0);
            let (fop, a) = self.flag_args(f);
            match f {
                Some(f) => [fop, f.dst, f.src, f.res, a],
                None => [fop, z, z, z, z],
            }
        };
        let exit = self.shared_exit();
        (exit, [code.into(), kv.into(), fop.into(), d.into(), s.into(), r.into(), a.into()])
    }

    /// Known flags `f` (None: in the CPU) as an exit passes them: `fop` (kind | bits << 8
    /// | under << 16, or 0) and what goes where aux would (aux, or `co` under CoOver).
    fn flag_args(&mut self, f: Option<FlagSet>) -> (Value, Value) {
        let z = self.c(0);
        match f {
            Some(f @ FlagSet { co: Some(co), .. }) => {
                // CoOver over `op`, with `co` where aux would go (`op` has none).
                let (over, under) = (CcOp::CoOver as u8 as i64, f.op as u8 as i64);
                self.co_exit = true;
                (self.b.ins().iconst(I32, over | (f.bits as i64) << 8 | under << 16), co)
            }
            Some(f) => {
                (self.b.ins().iconst(I32, (f.op as u8 as i64) | (f.bits as i64) << 8), f.aux.unwrap_or(z))
            }
            None => (self.b.ins().iconst(I32, 0), z),
        }
    }

    /// The current block's shared side exit: (code, k, flags kind | bits << 8 | under <<
    /// 16 or 0, dst, src, res, aux or co). Its body is emitted at the block's end
    /// (`finish_block`).
    fn shared_exit(&mut self) -> ClBlock {
        if let Some(b) = self.shared_exit {
            return b;
        }
        let exit = self.b.create_block();
        self.b.set_cold_block(exit);
        for ty in [I32, I64, I32, I64, I64, I64, I64] {
            self.b.append_block_param(exit, ty);
        }
        self.shared_exit = Some(exit);
        exit
    }

    /// Emits what the current block's code left for later (its shared exit).
    pub fn finish_block(&mut self) {
        let Some(exit) = self.shared_exit.take() else { return };
        self.b.seal_block(exit);
        self.b.switch_to_block(exit);
        let p = self.b.block_params(exit).to_vec();
        let (code, k, fop) = (p[0], p[1], p[2]);
        self.st_cpu(k, JIT_STOP_INDEX);
        self.st_const(self.rb().addr, JIT_BLOCK);
        let (store, done) = (self.b.create_block(), self.b.create_block());
        // Both only reached from the cold exit: placed with it, out of the hot path.
        self.b.set_cold_block(store);
        self.b.set_cold_block(done);
        self.b.ins().brif(fop, store, &[], done, &[]);
        self.b.seal_block(store);
        self.b.switch_to_block(store);
        let co = std::mem::take(&mut self.co_exit);
        self.store_flag_args(fop, [p[3], p[4], p[5], p[6]], co);
        self.b.ins().jump(done, &[]);
        self.b.seal_block(done);
        self.b.switch_to_block(done);
        self.b.ins().return_(&[code]);
    }

    /// Notes where the unit stopped and returns `code`; the state is already in the CPU.
    pub fn exit_noted(&mut self, code: Value, k: usize) {
        self.st_const(k as u64, JIT_STOP_INDEX);
        self.st_const(self.rb().addr, JIT_BLOCK);
        self.b.ins().return_(&[code]);
    }

    /// Leaves to the loop after instruction `k`, which changed decoded code (the unit may
    /// be stale): the interpreter goes on from the next instruction, or from where the
    /// instruction jumps (`after`).
    pub fn exit_after(&mut self, k: usize, after: After) {
        self.spill(true);
        let rb = self.rb();
        let n = rb.ops.len();
        let to = match after {
            After::To(v) => Some(v),
            After::Next if k + 1 < n && !rb.is_fused_jcc(k + 1) => None,
            After::Next if k + 1 < n => {
                // The Jcc of a fused pair: the interpreter would not stop before it (both
                // run as one op), so it runs here, on the flags just computed.
                let Some(Plan::Jcc { cc, target }) = rb.plans[k + 1] else {
                    unreachable!("a fused pair ends in a Jcc")
                };
                let f = match self.pending_flags {
                    Some(f) => Some(f),
                    None => self.known_flags(),
                };
                let c = match f {
                    Some(f) => self.cond_of(&f, cc),
                    None => self.cond_mem(cc),
                };
                let t = self.c(target);
                let fall = self.c(rb.ops[k + 1].next());
                Some(self.b.ins().select(c, t, fall))
            }
            After::Next => Some(self.c(self.rb().end_rip)),
        };
        match to {
            None => {
                let code = self.b.ins().iconst(I32, RESUME as i64);
                self.exit_noted(code, k + 1);
            }
            Some(rip) => {
                let insns = self.rb().insns as i64;
                let ic = self.ld_cpu(I64, ICOUNT);
                let ic = self.add_imm(ic, insns);
                self.st_cpu(ic, ICOUNT);
                self.st_cpu(rip, RIP);
                self.st_const(self.rb().addr, JIT_BLOCK);
                let z = self.b.ins().iconst(I32, RUN_ON as i64);
                self.b.ins().return_(&[z]);
            }
        }
    }

    /// After something that may have written to decoded code: if the region's head block
    /// (which stands for all of its code) is gone, leaves as `exit_after` says.
    fn check_code(&mut self, after: After) {
        let vp = self.c(self.region.head_valid);
        let v = self.b.ins().load(I8, trusted(), vp, 0);
        let gone = self.b.ins().icmp_imm_s(IntCC::Equal, v, 0);
        let (out, on) = self.split(gone);
        self.b.switch_to_block(out);
        self.exit_after(self.k, after);
        self.b.switch_to_block(on);
    }

    // ---- handler calls ----

    /// Runs the `n` instructions from `k` (the current one) of the current block through
    /// their interpreter handlers in one call: `op` is the first of their copies, which are
    /// followed by an end op, so each handler runs the next as in the interpreter. Only
    /// the last of them may store (a store may change decoded code, which the copies would
    /// not notice; the unit looks after each store, as `check_code` says).
    pub fn call_handler(&mut self, op: &Op, n: usize, flags_change: bool, stores: bool) {
        // The handler works on the CPU structure: everything goes there first.
        self.spill(false);
        self.dirty = 0;
        self.flags_synced = true;
        if !self.rip_set {
            self.st_const(self.rb().end_rip, RIP);
            self.rip_set = true;
        }
        let opp = self.c(op as *const Op as u64);
        let fp = self.c(super::translate::jit_op as *const () as u64);
        let cpu = self.cpu();
        let call = self.b.ins().call_indirect(self.sref.op, fp, &[cpu, opp]);
        let r = self.b.inst_results(call)[0];
        // A stop: the handler left the state as the interpreter would, and nothing of the
        // unit's goes back (the registers and flags were stored before the call).
        let on = self.b.create_block();
        if n == 1 {
            let (exit, args) = self.exit_args(r, self.k);
            self.b.ins().brif(r, exit, &args, on, &[]);
        } else {
            // The stop code is in the low half, the index of the op that stopped among the
            // `n` in the high half (`jit_op`).
            let stopped = self.b.create_block();
            self.b.set_cold_block(stopped);
            self.b.ins().brif(r, stopped, &[], on, &[]);
            self.b.seal_block(stopped);
            self.b.switch_to_block(stopped);
            let code = self.b.ins().band_imm_s(r, 0xffff);
            let i = self.b.ins().ushr_imm_s(r, 16);
            let i = self.b.ins().uextend(I64, i);
            let kv = self.add_imm(i, self.k as i64);
            let (exit, args) = self.exit_args_at(code, kv);
            self.b.ins().jump(exit, &args);
            self.k += n - 1;
        }
        self.b.seal_block(on);
        self.b.switch_to_block(on);
        if flags_change {
            self.flags = Flags::Mem;
        }
        // Read again when used, all of them, not only those it writes: nothing of the
        // unit's then lives across the call (which would cost saving it on the stack; the
        // CPU structure has it).
        self.loaded = 0;
        self.near.clear();
        if stores {
            // A branch handler (the block's last instruction) left its target in rip.
            let last = self.k + 1 == self.rb().ops.len();
            let after = if last && self.rb().end == super::region::End::Dynamic {
                let rip = self.ld_cpu(I64, RIP);
                After::To(rip)
            } else {
                After::Next
            };
            self.check_code(after);
        }
    }

    // ---- memory ----

    /// The effective address of the op's memory operand (`Cpu::ea`).
    pub fn ea(&mut self, op: &Op) -> Value {
        let mut a = None;
        self.sp_access = op.base == 4 && op.index == ZERO_REG && op.seg == 0;
        if op.base != ZERO_REG {
            a = Some(self.get(op.base));
        }
        if op.index != ZERO_REG {
            let x = self.get(op.index);
            let x = if op.scale != 0 { self.shl_c(x, op.scale as u32) } else { x };
            a = Some(match a {
                Some(a) => self.b.ins().iadd(a, x),
                None => x,
            });
        }
        let mut a = match a {
            Some(a) => self.add_imm(a, op.disp as i64),
            None => self.c(op.disp),
        };
        if !op.flat {
            if op.addr32 {
                a = self.and_c(a, 0xffff_ffff);
            }
            if op.seg != 0 {
                let s = self.ld_cpu(I64, SEG_BASE + 8 * op.seg as usize);
                a = self.b.ins().iadd(a, s);
            }
        }
        a
    }

    /// The TLB entry for `addr` and whether it holds the `w`-bit access (same page, no
    /// crossing).
    fn tlb_probe(&mut self, write: bool, addr: Value, w: u32) -> (Value, i32, Value) {
        // The TLBs are in the CPU structure: an entry is at the CPU pointer plus the index
        // plus a constant, one addressing mode with no pointer to load first.
        let cpu = self.cpu();
        let tlb = MEM + if write { TLB_W_OFFSET } else { TLB_R_OFFSET };
        let last_byte = w as i64 / 8 - 1;
        if let Some(a) = self.const_of(addr) {
            // A fixed address (a global through rip): entry and page known now.
            let off = (tlb + (((a >> 12) & TLB_INDEX_MASK) << TLB_ENTRY_SHIFT) as usize) as i32;
            let page = self.b.ins().load(I64, trusted(), cpu, off + TLB_PAGE_OFFSET as i32);
            let hit = self.b.ins().icmp_imm_s(
                IntCC::Equal,
                page,
                (a.wrapping_add(last_byte as u64) & !0xfff) as i64,
            );
            return (cpu, off, hit);
        }
        // ((addr >> 12) & mask) << shift, in two steps.
        let off = self.shr_c(addr, 12 - TLB_ENTRY_SHIFT);
        let off = self.b.ins().band_imm_s(off, (TLB_INDEX_MASK << TLB_ENTRY_SHIFT) as i64);
        let e = self.b.ins().iadd(cpu, off);
        let page = self.b.ins().load(I64, trusted(), e, (tlb + TLB_PAGE_OFFSET) as i32);
        // The same page, and the access starts early enough in it not to cross.
        let x = self.b.ins().bxor(addr, page);
        let hit = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, x, 0xfff - last_byte);
        (e, tlb as i32, hit)
    }

    /// The value of `v` if it is a constant.
    fn const_of(&self, v: Value) -> Option<u64> {
        let dfg = &self.b.func.dfg;
        let ValueDef::Result(inst, _) = dfg.value_def(v) else { return None };
        match dfg.insts[inst] {
            InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } => Some(imm.bits() as u64),
            _ => None,
        }
    }

    fn host_addr(&mut self, e: Value, off: i32, addr: Value) -> Value {
        let addend = self.b.ins().load(I64, trusted(), e, off + TLB_ADDEND_OFFSET as i32);
        self.b.ins().iadd(addend, addr)
    }

    /// Loads `w` bits at `addr`, zero-extended.
    pub fn load(&mut self, addr: Value, w: u32) -> Value {
        self.load_via_tlb(addr, w, false).0
    }

    /// Loads the `w`-bit destination of a read-modify-write at `addr`: its value and, on a
    /// write-TLB hit, its host address (0 after the slow path), for `store_rmw`. One probe
    /// serves both halves, as in `Cpu::rmw`.
    pub fn load_rmw(&mut self, addr: Value, w: u32) -> (Value, Value) {
        let (v, host) = self.load_via_tlb(addr, w, true);
        (v, host.expect("a read-modify-write keeps the host address"))
    }

    /// The inline TLB hit and the slow path of `load` and (`rmw`) `load_rmw`.
    fn load_via_tlb(&mut self, addr: Value, w: u32, rmw: bool) -> (Value, Option<Value>) {
        self.sync_regs();
        let near = self.near_access(addr);
        let join = self.b.create_block();
        let v = self.b.append_block_param(join, I64);
        let host = (rmw || near.is_some()).then(|| self.b.append_block_param(join, I64));
        let page_off = near.map(|_| self.b.append_block_param(join, I64));
        // The join's arguments after the value: the host address when kept, then the
        // offset in the page for a stack access.
        let args = |x: Value, h: Value, po: Option<Value>| -> Vec<BlockArg> {
            let mut a = vec![x.into()];
            if rmw || near.is_some() {
                a.push(h.into());
            }
            if let Some(po) = po {
                a.push(po.into());
            }
            a
        };
        // After a failed `near` test (rare), the probe's hit path is cold too.
        let mut cold = false;
        if let Some((h, po, miss)) = near.and_then(|(root, off)| self.near_hit(root, off, w, rmw)) {
            let x = self.load_host(h, w);
            self.b.ins().jump(join, &args(x, h, Some(po)));
            self.b.switch_to_block(miss);
            cold = true;
        }
        let (e, off, hit) = self.tlb_probe(rmw, addr, w);
        let slow = self.on_hit(hit, cold);
        let h = self.host_addr(e, off, addr);
        let x = self.load_host(h, w);
        let po = near.map(|_| self.b.ins().band_imm_s(addr, 0xfff));
        self.b.ins().jump(join, &args(x, h, po));
        self.b.switch_to_block(slow);
        let x = self.load_slow(addr, w, rmw);
        let z = self.c(0);
        let far = near.map(|_| self.c(FAR as u64));
        self.b.ins().jump(join, &args(x, z, far));
        self.b.seal_block(join);
        self.b.switch_to_block(join);
        if let (Some((root, off)), Some(h), Some(po)) = (near, host, page_off) {
            self.note_near(Near { root, off, write: rmw, page_off: po, host: h });
        }
        (v, host.filter(|_| rmw))
    }

    /// For a stack access (`sp_access`) at `addr`: its root and offset (`Near`).
    fn near_access(&mut self, addr: Value) -> Option<(Value, i64)> {
        if !std::mem::take(&mut self.sp_access) || self.const_of(addr).is_some() {
            return None;
        }
        let dfg = &self.b.func.dfg;
        if let ValueDef::Result(inst, _) = dfg.value_def(addr) {
            if let InstructionData::Binary { opcode: Opcode::Iadd, args: [a, b] } = dfg.insts[inst] {
                if let Some(k) = self.const_of(b) {
                    return Some((a, k as i64));
                }
            }
        }
        Some((addr, 0))
    }

    /// For a stack access at `root + off`: if an earlier one of the block is near enough,
    /// tests at run time that this one is in its page, and on success goes to a new block
    /// with the host address and the offset in the page; returns them and the block for a
    /// failure (the builder is left in the success block).
    fn near_hit(&mut self, root: Value, off: i64, w: u32, write: bool) -> Option<(Value, Value, ClBlock)> {
        let n = *self.near.iter().find(|n| {
            n.root == root && (n.write || !write) && off.wrapping_sub(n.off).unsigned_abs() < 4096
        })?;
        let d = off.wrapping_sub(n.off);
        let po = self.add_imm(n.page_off, d);
        let hit = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, po, 0x1000 - w as i64 / 8);
        let (on, miss) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(miss);
        self.b.ins().brif(hit, on, &[], miss, &[]);
        self.b.seal_block(on);
        self.b.seal_block(miss);
        self.b.switch_to_block(on);
        let h = self.add_imm(n.host, d);
        Some((h, po, miss))
    }

    /// Keeps `n` for the next stack accesses, in place of an older one on the same root.
    fn note_near(&mut self, n: Near) {
        self.near.retain(|o| !(o.root == n.root && o.write == n.write));
        if self.near.len() == 4 {
            self.near.remove(0);
        }
        self.near.push(n);
    }

    /// Branches on a TLB test: goes on in a new block for the hit (`cold` too if asked)
    /// and returns the block for the miss (cold).
    fn on_hit(&mut self, hit: Value, cold: bool) -> ClBlock {
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        if cold {
            self.b.set_cold_block(fast);
        }
        self.b.ins().brif(hit, fast, &[], slow, &[]);
        self.b.seal_block(fast);
        self.b.seal_block(slow);
        self.b.switch_to_block(fast);
        slow
    }

    /// Stores a read-modify-write's result where `load_rmw` read it: straight to the host
    /// address after a hit, else through the store slow path.
    pub fn store_rmw(&mut self, addr: Value, host: Value, v: Value, w: u32) {
        let join = self.b.create_block();
        let slow = self.on_hit(host, false);
        self.store_or_slow(slow, host, addr, v, w, (join, [&[], &[]]));
    }

    /// In the hit block of `on_hit`: stores `v` at `host`, and in its miss block `slow` at
    /// `addr` through the slow path, going on at the `Then` block. The builder is left
    /// there.
    fn store_or_slow(&mut self, slow: ClBlock, host: Value, addr: Value, v: Value, w: u32, then: Then) {
        let (join, args) = then;
        self.store_host(host, v, w);
        self.b.ins().jump(join, args[0]);
        self.b.switch_to_block(slow);
        self.store_slow(addr, v, w, join, args[1]);
        self.b.seal_block(join);
        self.b.switch_to_block(join);
    }

    fn load_host(&mut self, host: Value, w: u32) -> Value {
        let f = guest_mem();
        match w {
            8 => self.b.ins().uload8(I64, f, host, 0),
            16 => self.b.ins().uload16(I64, f, host, 0),
            32 => self.b.ins().uload32(f, host, 0),
            _ => self.b.ins().load(I64, f, host, 0),
        }
    }

    fn store_host(&mut self, host: Value, v: Value, w: u32) {
        let f = guest_mem();
        match w {
            8 => self.b.ins().istore8(f, v, host, 0),
            16 => self.b.ins().istore16(f, v, host, 0),
            32 => self.b.ins().istore32(f, v, host, 0),
            _ => self.b.ins().store(f, v, host, 0),
        };
    }

    /// The load slow path (in a cold block): the interpreter's load through its
    /// trampoline (`Cpu::ld_rmw` for the destination of a read-modify-write, which checks
    /// that it is writable too), leaving with the state before the instruction if it
    /// stops.
    fn load_slow(&mut self, addr: Value, w: u32, rmw: bool) -> Value {
        let fp = self.c(if rmw { self.stubs.ld_rmw } else { self.stubs.ld });
        let wv = self.b.ins().iconst(I32, w as i64);
        let cpu = self.cpu();
        self.b.ins().call_indirect(self.sref.slow2, fp, &[cpu, addr, wv]);
        let r = self.ld_cpu(I32, JIT_STATUS);
        let (exit, args) = self.exit_args(r, self.k);
        // Cold like the call before it: the block layout then keeps the TLB hit on the
        // fall-through path, with no slow-path code between it and what follows.
        let on = self.b.create_block();
        self.b.set_cold_block(on);
        self.b.ins().brif(r, exit, &args, on, &[]);
        self.b.seal_block(on);
        self.b.switch_to_block(on);
        self.ld_cpu(I64, JIT_SCRATCH)
    }

    /// The store slow path (in a cold block), going on at `join`.
    fn store_slow(&mut self, addr: Value, v: Value, w: u32, join: ClBlock, join_args: &[BlockArg]) {
        let fp = self.c(self.stubs.st);
        let wv = self.b.ins().iconst(I32, w as i64);
        let cpu = self.cpu();
        self.b.ins().call_indirect(self.sref.slow3, fp, &[cpu, addr, v, wv]);
        let r = self.ld_cpu(I32, JIT_STATUS);
        let (exit, args) = self.exit_args(r, self.k);
        self.b.ins().brif(r, exit, &args, join, join_args);
    }

    /// Stores the low `w` bits of `v` at `addr`: the instruction's last memory access.
    /// Pages holding decoded code are never in the write TLB; the slow path does not store
    /// to them but leaves the instruction to the interpreter (`jit_st`).
    pub fn store(&mut self, addr: Value, v: Value, w: u32) {
        self.sync_regs();
        let join = self.b.create_block();
        let Some((root, noff)) = self.near_access(addr) else {
            let (e, off, hit) = self.tlb_probe(true, addr, w);
            // The entry's addend is read even on a miss (the entry is always there to read).
            let host = self.host_addr(e, off, addr);
            let slow = self.on_hit(hit, false);
            self.store_or_slow(slow, host, addr, v, w, (join, [&[], &[]]));
            return;
        };
        // A stack store: noted for its neighbours, with its host address and offset in the
        // page (or `FAR` after the slow path).
        let hp = self.b.append_block_param(join, I64);
        let pp = self.b.append_block_param(join, I64);
        let mut cold = false;
        if let Some((h, po, miss)) = self.near_hit(root, noff, w, true) {
            self.store_host(h, v, w);
            self.b.ins().jump(join, &[h.into(), po.into()]);
            self.b.switch_to_block(miss);
            cold = true;
        }
        let (e, off, hit) = self.tlb_probe(true, addr, w);
        let host = self.host_addr(e, off, addr);
        let po = self.b.ins().band_imm_s(addr, 0xfff);
        let (z, far) = (self.c(0), self.c(FAR as u64));
        let slow = self.on_hit(hit, cold);
        let args: [&[BlockArg]; 2] = [&[host.into(), po.into()], &[z.into(), far.into()]];
        self.store_or_slow(slow, host, addr, v, w, (join, args));
        self.note_near(Near { root, off: noff, write: true, page_off: pp, host: hp });
    }

    /// Reads an operand at width `w` (zero-extended).
    pub fn read(&mut self, s: Src, w: u32, op: &Op) -> Value {
        match s {
            Src::R(r) => self.rd(r, w),
            Src::H(r) => self.rd_hi(r),
            Src::I(v) => self.c(v & mask(w)),
            Src::M => {
                let a = self.ea(op);
                self.load(a, w)
            }
        }
    }

    // ---- flags ----

    fn set_flags(&mut self, op: CcOp, bits: u32, dst: Value, src: Value, res: Value, aux: Option<Value>) {
        self.pending_flags = Some(FlagSet { op, bits, dst, src, res, aux, co: None });
    }

    /// `v`'s low `bits` bits (8, 16 or 32), sign-extended to 64.
    fn sext(&mut self, v: Value, bits: u32) -> Value {
        let ty = match bits {
            8 => I8,
            16 => I16,
            _ => I32,
        };
        let n = self.narrow(v, ty);
        self.b.ins().sextend(I64, n)
    }

    /// Sets CF and OF to `cf` and `of` (I64 0/1 each) as `Cpu::set_cf_of`: the operation
    /// that defines the other flags stays underneath. Known flags stay known (with `co`)
    /// when an exit can pass `co` where their aux would go.
    fn set_cf_of(&mut self, cf: Value, of: Value) {
        let co = self.co_bits(cf, of);
        if let Flags::Known { op, bits, .. } = self.flags {
            if !uses_aux(op) {
                self.b.def_var(self.fv[4], co);
                self.flags = Flags::Known { op, bits, co: true };
                self.flags_synced = false;
                return;
            }
        }
        self.set_cf_of_mem(co);
    }

    /// CF | OF << 1 (`co`) from CF and OF (I64 0/1 each).
    fn co_bits(&mut self, cf: Value, of: Value) -> Value {
        let two = self.shl_c(of, 1);
        self.b.ins().bor(cf, two)
    }

    /// `set_cf_of` over the CPU's lazy flags (`co`: CF | OF << 1, I64).
    fn set_cf_of_mem(&mut self, co: Value) {
        self.sync_flags();
        let cpu = self.cpu();
        let (op_at, under_at) =
            ((LF + offset_of!(LazyFlags, op)) as i32, (LF + offset_of!(LazyFlags, under)) as i32);
        let op = self.b.ins().load(I8, trusted(), cpu, op_at);
        let under = self.b.ins().load(I8, trusted(), cpu, under_at);
        let is_co = self.b.ins().icmp_imm_s(IntCC::Equal, op, CcOp::CoOver as u8 as i64);
        let under = self.b.ins().select(is_co, under, op);
        self.b.ins().store(trusted(), under, cpu, under_at);
        let kind = self.b.ins().iconst(I8, CcOp::CoOver as u8 as i64);
        self.b.ins().store(trusted(), kind, cpu, op_at);
        let bits = self.b.ins().ireduce(I8, co);
        self.b.ins().store(trusted(), bits, cpu, (LF + offset_of!(LazyFlags, co)) as i32);
        self.flags = Flags::Mem;
        self.flags_synced = true;
    }

    fn sign(&mut self, v: Value, bits: u32) -> Value {
        let s = self.bit(v, bits - 1);
        self.b.ins().icmp_imm_s(IntCC::NotEqual, s, 0)
    }

    /// Condition `cc` (Jcc's low nibble) of the current flags, as an I8 0/1.
    pub fn cond(&mut self, cc: u8) -> Value {
        self.drop_carried();
        match self.known_flags() {
            Some(f) => self.cond_of(&f, cc),
            None => self.cond_mem(cc),
        }
    }

    /// Condition `cc` of the flags in `Cpu::lf`.
    fn cond_mem(&mut self, cc: u8) -> Value {
        let fp = self.c(self.stubs.cond);
        let ccv = self.b.ins().iconst(I32, cc as i64);
        let cpu = self.cpu();
        self.b.ins().call_indirect(self.sref.slow1, fp, &[cpu, ccv]);
        let r = self.ld_cpu(I32, JIT_STATUS);
        self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0)
    }

    /// Condition `cc` of the flags `f`.
    fn cond_of(&mut self, f: &FlagSet, cc: u8) -> Value {
        let FlagSet { op, bits, dst, src, res, .. } = *f;
        let neg = cc & 1 != 0;
        // With `co`, CF and OF are not the compare's: no shortcut that reads them.
        let op = if f.co.is_some() && matches!(cc >> 1, 1 | 3 | 6 | 7) { CcOp::CoOver } else { op };
        let (r, neg) = match (cc >> 1, op) {
            // Compare-and-branch: straight from the operands (the inverse condition
            // directly, not through an xor).
            (1, CcOp::Sub) => {
                let c = if neg { IntCC::UnsignedGreaterThanOrEqual } else { IntCC::UnsignedLessThan };
                (self.b.ins().icmp(c, dst, src), false)
            }
            (2, CcOp::Sub) => {
                let c = if neg { IntCC::NotEqual } else { IntCC::Equal };
                (self.b.ins().icmp(c, dst, src), false)
            }
            (3, CcOp::Sub) => {
                let c = if neg { IntCC::UnsignedGreaterThan } else { IntCC::UnsignedLessThanOrEqual };
                (self.b.ins().icmp(c, dst, src), false)
            }
            (6 | 7, CcOp::Sub) => {
                let (a, b) = if bits == 64 {
                    (dst, src)
                } else {
                    let s = 64 - bits;
                    (self.shl_c(dst, s), self.shl_c(src, s))
                };
                let c = match (cc >> 1 == 6, neg) {
                    (true, false) => IntCC::SignedLessThan,
                    (true, true) => IntCC::SignedGreaterThanOrEqual,
                    (false, false) => IntCC::SignedLessThanOrEqual,
                    (false, true) => IntCC::SignedGreaterThan,
                };
                (self.b.ins().icmp(c, a, b), false)
            }
            (2, _) => {
                let c = if neg { IntCC::NotEqual } else { IntCC::Equal };
                (self.b.ins().icmp_imm_s(c, res, 0), false)
            }
            (4, _) if bits == 64 => {
                let c = if neg { IntCC::SignedGreaterThanOrEqual } else { IntCC::SignedLessThan };
                (self.b.ins().icmp_imm_s(c, res, 0), false)
            }
            (0, _) => (self.of(f), neg),
            (1, _) => (self.cf(f), neg),
            (3, _) => {
                let c = self.cf(f);
                let z = self.b.ins().icmp_imm_s(IntCC::Equal, res, 0);
                (self.b.ins().bor(c, z), neg)
            }
            (4, _) => (self.sign(res, bits), neg),
            (5, _) => {
                let low = self.and_c(res, 0xff);
                let p = self.b.ins().popcnt(low);
                let p = self.b.ins().band_imm_s(p, 1);
                (self.b.ins().icmp_imm_s(IntCC::Equal, p, 0), neg)
            }
            (6, _) => {
                let s = self.sign(res, bits);
                let o = self.of(f);
                (self.b.ins().bxor(s, o), neg)
            }
            _ => {
                let s = self.sign(res, bits);
                let o = self.of(f);
                let l = self.b.ins().bxor(s, o);
                let z = self.b.ins().icmp_imm_s(IntCC::Equal, res, 0);
                (self.b.ins().bor(l, z), neg)
            }
        };
        if neg {
            self.b.ins().bxor_imm_s(r, 1)
        } else {
            r
        }
    }

    fn cf(&mut self, f: &FlagSet) -> Value {
        let FlagSet { op, dst, src, res, aux, .. } = *f;
        if let Some(co) = f.co {
            let c = self.b.ins().band_imm_s(co, 1);
            return self.b.ins().icmp_imm_s(IntCC::NotEqual, c, 0);
        }
        match op {
            CcOp::Add => self.b.ins().icmp(IntCC::UnsignedLessThan, res, dst),
            CcOp::Sub => self.b.ins().icmp(IntCC::UnsignedLessThan, dst, src),
            CcOp::Inc | CcOp::Dec => self.b.ins().icmp_imm_s(IntCC::NotEqual, aux.expect("aux"), 0),
            CcOp::Shift => {
                let a = self.b.ins().band_imm_s(aux.expect("aux"), 1);
                self.b.ins().icmp_imm_s(IntCC::NotEqual, a, 0)
            }
            _ => self.b.ins().iconst(I8, 0),
        }
    }

    fn of(&mut self, f: &FlagSet) -> Value {
        let FlagSet { op, bits, dst, src, res, aux, .. } = *f;
        if let Some(co) = f.co {
            let o = self.b.ins().band_imm_s(co, 2);
            return self.b.ins().icmp_imm_s(IntCC::NotEqual, o, 0);
        }
        match op {
            CcOp::Add => {
                let a = self.b.ins().bxor(dst, res);
                let b = self.b.ins().bxor(src, res);
                let x = self.b.ins().band(a, b);
                self.sign(x, bits)
            }
            CcOp::Sub => {
                let a = self.b.ins().bxor(dst, src);
                let b = self.b.ins().bxor(dst, res);
                let x = self.b.ins().band(a, b);
                self.sign(x, bits)
            }
            CcOp::Inc => self.b.ins().icmp_imm_s(IntCC::Equal, res, (1u64 << (bits - 1)) as i64),
            CcOp::Dec => self.b.ins().icmp_imm_s(IntCC::Equal, res, (mask(bits) >> 1) as i64),
            CcOp::Shift => {
                let a = self.b.ins().band_imm_s(aux.expect("aux"), crate::flags::OF as i64);
                self.b.ins().icmp_imm_s(IntCC::NotEqual, a, 0)
            }
            _ => self.b.ins().iconst(I8, 0),
        }
    }

    /// CF as a 0/1 I64 (for INC/DEC, which keep it).
    fn cf64(&mut self) -> Value {
        self.drop_carried();
        let c = match self.known_flags() {
            Some(f) => self.cf(&f),
            // "Below" is CF.
            None => self.cond_mem(2),
        };
        self.b64(c)
    }

    // ---- instructions ----

    /// Emits instruction `p` (`op`, instruction `k` of the block); says where control
    /// goes after it.
    pub fn native(&mut self, p: &Plan, op: &Op) -> Next {
        match *p {
            Plan::Nop => {}
            Plan::Mov { w, dst, src } => {
                let v = self.read(src, w, op);
                match dst {
                    Src::R(_) | Src::H(_) => self.wr_src(dst, w, v),
                    _ => {
                        let a = self.ea(op);
                        self.store(a, v, w);
                    }
                }
            }
            Plan::Movx { w, sw, signed, dst, src } => {
                let v = self.read(src, sw, op);
                // A 32-bit destination is zero-extended by `wr`.
                let v = if signed { self.sext(v, sw) } else { v };
                self.wr(dst, w, v);
            }
            Plan::Lea { w, dst } => {
                let a = self.ea_lea(op);
                self.wr(dst, w, a);
            }
            Plan::Alu { op: a, w, dst, src, dead } => self.alu(a, w, dst, src, dead, op),
            Plan::Unary { op: u, w, dst, dead } => self.unary(u, w, dst, dead, op),
            Plan::ShiftImm { op: s, w, r, c, dead } => self.shift_imm(s, w, r, c, dead),
            Plan::ShiftCl { op: s, w, r, dead } => self.shift_cl(s, w, r, dead),
            Plan::Imul { w, dst, src, imm, flags } => {
                let (a, b) = match imm {
                    Some(i) => {
                        let a = self.read(src, w, op);
                        (a, self.c(i & mask(w)))
                    }
                    None => {
                        let b = self.read(src, w, op);
                        (self.rd(dst, w), b)
                    }
                };
                let v = self.arith(w, a, b, |b, x, y| b.ins().imul(x, y));
                if flags {
                    // The operands were read (nothing after this can fault): CF = OF = the
                    // signed product does not fit in `w` bits.
                    let ovf = if w == 64 {
                        let hi = self.b.ins().smulhi(a, b);
                        let s = self.b.ins().sshr_imm_s(v, 63);
                        self.b.ins().icmp(IntCC::NotEqual, hi, s)
                    } else {
                        let (sa, sb) = (self.sext(a, w), self.sext(b, w));
                        let p = self.b.ins().imul(sa, sb);
                        let sv = self.sext(v, w);
                        self.b.ins().icmp(IntCC::NotEqual, p, sv)
                    };
                    let o = self.b.ins().uextend(I64, ovf);
                    self.set_cf_of(o, o);
                }
                self.wr(dst, w, v);
            }
            Plan::Cmov { cc, w, dst, src } => {
                let v = self.read(src, w, op);
                let c = self.cond(cc);
                let old = self.rd(dst, w);
                let v = self.b.ins().select(c, v, old);
                self.wr(dst, w, v);
            }
            Plan::Setcc { cc, dst } => {
                let c = self.cond(cc);
                let v = self.b64(c);
                match dst {
                    Src::R(_) | Src::H(_) => self.wr_src(dst, 8, v),
                    _ => {
                        let a = self.ea(op);
                        self.store(a, v, 8);
                    }
                }
            }
            Plan::Push { src } => {
                let v = self.read(src, 64, op);
                let sp = self.get(4);
                self.sp_access = true;
                let sp = self.add_imm(sp, -8);
                self.pending.push((4, sp));
                self.store(sp, v, 64);
            }
            Plan::Pop { r } => {
                let sp = self.get(4);
                self.sp_access = true;
                let v = self.load(sp, 64);
                let nsp = self.add_imm(sp, 8);
                self.pending.push((4, nsp));
                self.pending.push((r, v));
            }
            Plan::Leave => {
                let bp = self.get(5);
                let v = self.load(bp, 64);
                let nsp = self.add_imm(bp, 8);
                self.pending.push((4, nsp));
                self.pending.push((5, v));
            }
            Plan::Jmp { target } => return Next::To(self.read(target, 64, op)),
            Plan::Jcc { cc, .. } => return Next::Cond(self.cond(cc)),
            Plan::Call { target } => {
                let t = self.read(target, 64, op);
                let sp = self.get(4);
                let sp = self.add_imm(sp, -8);
                self.pending.push((4, sp));
                let ret = self.c(op.next());
                self.sp_access = true;
                self.store(sp, ret, 64);
                return Next::To(t);
            }
            Plan::Ret { imm } => {
                let sp = self.get(4);
                self.sp_access = true;
                let v = self.load(sp, 64);
                let nsp = self.add_imm(sp, 8 + imm as i64);
                self.pending.push((4, nsp));
                return Next::To(v);
            }
            Plan::SignExt { w, dx } => {
                if dx {
                    let a = self.rd(0, w);
                    let t = self.shl_c(a, 64 - w);
                    let s = self.b.ins().sshr_imm_s(t, 63);
                    self.wr(2, w, s);
                } else {
                    let a = self.get(0);
                    let s = self.sext(a, w / 2);
                    self.wr(0, w, s);
                }
            }
            Plan::Xchg { w, a, b } => {
                let va = self.rd(a, w);
                let vb = self.rd(b, w);
                self.wr(a, w, vb);
                self.wr(b, w, va);
            }
            Plan::Bswap { w, r } => {
                let v = self.rd(r, w);
                let v = if w == 32 {
                    let t = self.b.ins().ireduce(I32, v);
                    let t = self.b.ins().bswap(t);
                    self.b.ins().uextend(I64, t)
                } else {
                    self.b.ins().bswap(v)
                };
                self.wr(r, w, v);
            }
            Plan::BitCount { op: c, w, dst, src } => self.bit_count(c, w, dst, src, op),
        }
        Next::On
    }

    /// BSF, BSR, POPCNT, LZCNT and TZCNT with dead flags, as `ops::bits::count_op`
    /// computes them: a zero source gives the width for LZCNT and TZCNT (as Cranelift's
    /// `clz` and `ctz` do) and leaves all 64 bits of BSF's and BSR's destination alone.
    fn bit_count(&mut self, c: Cnt, w: u32, dst: u8, src: Src, op: &Op) {
        let s = self.read(src, w, op);
        let t = if w == 32 { self.b.ins().ireduce(I32, s) } else { s };
        let r = match c {
            Cnt::Pop => self.b.ins().popcnt(t),
            Cnt::Tz | Cnt::Bsf => self.b.ins().ctz(t),
            Cnt::Lz => self.b.ins().clz(t),
            Cnt::Bsr => {
                // w - 1 - clz, as an xor: w - 1 is all ones and clz below w (a zero
                // source, where it is w, takes the old value below).
                let z = self.b.ins().clz(t);
                self.b.ins().bxor_imm_s(z, w as i64 - 1)
            }
        };
        let r = if w == 32 { self.b.ins().uextend(I64, r) } else { r };
        if matches!(c, Cnt::Bsf | Cnt::Bsr) {
            let old = self.get(dst);
            let zero = self.b.ins().icmp_imm_s(IntCC::Equal, s, 0);
            let v = self.b.ins().select(zero, old, r);
            self.wr(dst, 64, v);
        } else {
            self.wr(dst, w, r);
        }
    }

    /// LEA's address: base + index << scale + disp, wrapped to the operand size by `wr`
    /// (and to 32 bits with an address-size prefix); no segment base.
    fn ea_lea(&mut self, op: &Op) -> Value {
        let mut a = None;
        if op.base != ZERO_REG {
            a = Some(self.get(op.base));
        }
        if op.index != ZERO_REG {
            let x = self.get(op.index);
            let x = if op.scale != 0 { self.shl_c(x, op.scale as u32) } else { x };
            a = Some(match a {
                Some(a) => self.b.ins().iadd(a, x),
                None => x,
            });
        }
        let a = match a {
            Some(a) => self.add_imm(a, op.disp as i64),
            None => self.c(op.disp),
        };
        if op.addr32 {
            self.and_c(a, 0xffff_ffff)
        } else {
            a
        }
    }

    /// `f` on the low `w` bits of `x` and `y` (zero-extended), giving a zero-extended
    /// result: 32-bit operations run on I32 values (no masking; the extension to I64 is
    /// one the next user can see through), 8 and 16-bit ones on I64 values, masked.
    fn arith(
        &mut self,
        w: u32,
        x: Value,
        y: Value,
        f: fn(&mut FunctionBuilder, Value, Value) -> Value,
    ) -> Value {
        if w == 32 {
            let a = self.narrow(x, I32);
            let b = self.narrow(y, I32);
            let r = f(&mut self.b, a, b);
            self.b.ins().uextend(I64, r)
        } else {
            let r = f(&mut self.b, x, y);
            self.and_c(r, mask(w))
        }
    }

    fn alu(&mut self, a: Alu, w: u32, dst: Src, src: Src, dead: bool, op: &Op) {
        let writes = !matches!(a, Alu::Cmp | Alu::Test);
        // The destination: a register, or memory (read-modify-write through the write TLB
        // when the result is stored).
        let (x, addr) = match dst {
            Src::R(_) | Src::H(_) => (self.read(dst, w, op), None),
            _ => {
                let ad = self.ea(op);
                if writes {
                    let (x, host) = self.load_rmw(ad, w);
                    (x, Some((ad, host)))
                } else {
                    (self.load(ad, w), None)
                }
            }
        };
        // xor r, r and sub r, r: zero, whatever r held.
        let same = matches!((dst, src), (Src::R(d), Src::R(s)) if d == s);
        let y = if same { x } else { self.read(src, w, op) };
        let r = match a {
            Alu::Sub | Alu::Cmp | Alu::Xor if same => self.c(0),
            Alu::Add => self.arith(w, x, y, |b, x, y| b.ins().iadd(x, y)),
            Alu::Sub | Alu::Cmp => self.arith(w, x, y, |b, x, y| b.ins().isub(x, y)),
            Alu::Or => self.arith(w, x, y, |b, x, y| b.ins().bor(x, y)),
            Alu::And | Alu::Test => self.arith(w, x, y, |b, x, y| b.ins().band(x, y)),
            Alu::Xor => self.arith(w, x, y, |b, x, y| b.ins().bxor(x, y)),
            // x +/- (y + CF), modulo 2^w as `arith` leaves it.
            Alu::Adc | Alu::Sbb => {
                let c = self.cf64();
                let yc = self.b.ins().iadd(y, c);
                if a == Alu::Adc {
                    self.arith(w, x, yc, |b, x, y| b.ins().iadd(x, y))
                } else {
                    self.arith(w, x, yc, |b, x, y| b.ins().isub(x, y))
                }
            }
        };
        if !dead {
            let (kind, bits) = Plan::Alu { op: a, w, dst, src, dead }.flag_result().expect("live flags");
            self.set_flags(kind, bits, x, y, r, None);
        }
        if writes {
            match (dst, addr) {
                (Src::R(_) | Src::H(_), _) => self.wr_src(dst, w, r),
                (_, Some((ad, host))) => self.store_rmw(ad, host, r, w),
                _ => unreachable!("a destination is a register or memory"),
            }
        }
    }

    fn unary(&mut self, u: Un, w: u32, dst: Src, dead: bool, op: &Op) {
        let (x, addr) = match dst {
            Src::R(_) | Src::H(_) => (self.read(dst, w, op), None),
            _ => {
                let ad = self.ea(op);
                let (x, host) = self.load_rmw(ad, w);
                (x, Some((ad, host)))
            }
        };
        let r = match u {
            Un::Inc | Un::Dec => {
                let one = self.c(1);
                let r = if u == Un::Inc {
                    self.arith(w, x, one, |b, x, y| b.ins().iadd(x, y))
                } else {
                    self.arith(w, x, one, |b, x, y| b.ins().isub(x, y))
                };
                if !dead {
                    let cf = self.cf64();
                    let kind = if u == Un::Inc { CcOp::Inc } else { CcOp::Dec };
                    self.set_flags(kind, w, x, one, r, Some(cf));
                }
                r
            }
            Un::Neg => {
                let z = self.c(0);
                let r = self.arith(w, z, x, |b, x, y| b.ins().isub(x, y));
                if !dead {
                    self.set_flags(CcOp::Sub, w, z, x, r, None);
                }
                r
            }
            Un::Not => {
                let m = self.c(mask(w));
                self.arith(w, x, m, |b, x, y| b.ins().bxor(x, y))
            }
        };
        match (dst, addr) {
            (Src::R(_) | Src::H(_), _) => self.wr_src(dst, w, r),
            (_, Some((ad, host))) => self.store_rmw(ad, host, r, w),
            _ => unreachable!("a destination is a register or memory"),
        }
    }

    /// Shifts and rotates of a register by a constant 0 < c < w (`shift.rs` semantics).
    fn shift_imm(&mut self, s: Sh, w: u32, r: u8, c: u32, dead: bool) {
        let a = self.rd(r, w);
        let v = match (s, w) {
            (_, 32) => {
                let t = self.narrow(a, I32);
                let c = c as i64;
                let t = match s {
                    Sh::Shl => self.b.ins().ishl_imm_s(t, c),
                    Sh::Shr => self.b.ins().ushr_imm_s(t, c),
                    Sh::Sar => self.b.ins().sshr_imm_s(t, c),
                    Sh::Rol => self.b.ins().rotl_imm_s(t, c),
                    Sh::Ror => self.b.ins().rotr_imm_s(t, c),
                };
                self.b.ins().uextend(I64, t)
            }
            (Sh::Shl, _) => {
                let t = self.shl_c(a, c);
                self.and_c(t, mask(w))
            }
            (Sh::Shr, _) => self.shr_c(a, c),
            (Sh::Sar, 64) => self.b.ins().sshr_imm_s(a, c as i64),
            (Sh::Sar, _) => {
                let t = self.shl_c(a, 64 - w);
                let t = self.b.ins().sshr_imm_s(t, (64 - w + c) as i64);
                self.and_c(t, mask(w))
            }
            (Sh::Rol, 64) => self.b.ins().rotl_imm_s(a, c as i64),
            (Sh::Ror, 64) => self.b.ins().rotr_imm_s(a, c as i64),
            _ => {
                let k = if s == Sh::Rol { c } else { w - c };
                let hi = self.shl_c(a, k);
                let lo = self.shr_c(a, w - k);
                let t = self.b.ins().bor(hi, lo);
                self.and_c(t, mask(w))
            }
        };
        if !dead {
            // The last bit shifted out of the operand (c < w, so inside it for SAR too).
            let cf = match s {
                Sh::Rol | Sh::Ror => self.rotate_cf(s, w, v),
                Sh::Shl => self.bit(a, w - c),
                Sh::Shr | Sh::Sar => self.bit(a, c - 1),
            };
            let of = self.shift_of(s, w, cf, v);
            if matches!(s, Sh::Rol | Sh::Ror) {
                self.set_cf_of(cf, of);
            } else {
                let aux = self.shift_aux(cf, of);
                let z = self.c(0);
                self.set_flags(CcOp::Shift, w, z, z, v, Some(aux));
            }
        }
        self.wr(r, w, v);
    }

    /// Shifts and rotates of a 32/64-bit register by CL, their live flags (`dead` false)
    /// set in the CPU's lazy flags when the count is not zero.
    fn shift_cl(&mut self, s: Sh, w: u32, r: u8, dead: bool) {
        let a = self.rd(r, w);
        let cl = self.get(1);
        let cnt = self.b.ins().band_imm_s(cl, if w == 64 { 63 } else { 31 });
        let v = match (s, w) {
            (Sh::Shl, _) => self.b.ins().ishl(a, cnt),
            (Sh::Shr, _) => self.b.ins().ushr(a, cnt),
            (Sh::Sar, 64) => self.b.ins().sshr(a, cnt),
            (Sh::Rol | Sh::Ror, 64) => {
                if s == Sh::Rol {
                    self.b.ins().rotl(a, cnt)
                } else {
                    self.b.ins().rotr(a, cnt)
                }
            }
            _ => {
                let t = self.b.ins().ireduce(I32, a);
                let c32 = self.b.ins().ireduce(I32, cnt);
                let r = match s {
                    Sh::Sar => self.b.ins().sshr(t, c32),
                    Sh::Rol => self.b.ins().rotl(t, c32),
                    _ => self.b.ins().rotr(t, c32),
                };
                self.b.ins().uextend(I64, r)
            }
        };
        if !dead {
            let v = self.and_c(v, mask(w));
            self.shift_cl_flags(s, w, a, cnt, v);
        }
        // A zero count leaves the register as it was (zero-extended at 32 bits, which `wr`
        // does anyway), and the shifts above give exactly that.
        self.wr(r, w, v);
    }

    /// Sets the flags of a shift or rotate by `cnt` of `a` (zero-extended) to `v` (masked to
    /// `w` bits) in the CPU's lazy flags, as `shift` does: unless the count is zero, which
    /// leaves them as they were.
    fn shift_cl_flags(&mut self, s: Sh, w: u32, a: Value, cnt: Value, v: Value) {
        self.sync_flags();
        let (set, join) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(cnt, set, &[], join, &[]);
        self.b.seal_block(set);
        self.b.switch_to_block(set);
        let bit_at = |tx: &mut Self, v: Value, n: Value, sar: bool| {
            let t = if sar { tx.b.ins().sshr(v, n) } else { tx.b.ins().ushr(v, n) };
            tx.b.ins().band_imm_s(t, 1)
        };
        // The last bit shifted out: bit w - cnt for SHL, cnt - 1 for SHR and SAR (of the
        // sign-extended operand: 0 < cnt < w).
        let cf = match s {
            Sh::Rol | Sh::Ror => self.rotate_cf(s, w, v),
            Sh::Shl => {
                let wv = self.c(w as u64);
                let n = self.b.ins().isub(wv, cnt);
                bit_at(self, a, n, false)
            }
            Sh::Shr => {
                let n = self.add_imm(cnt, -1);
                bit_at(self, a, n, false)
            }
            Sh::Sar => {
                let n = self.add_imm(cnt, -1);
                let sa = if w == 64 { a } else { self.sext(a, w) };
                bit_at(self, sa, n, true)
            }
        };
        let of = self.shift_of(s, w, cf, v);
        if matches!(s, Sh::Rol | Sh::Ror) {
            let co = self.co_bits(cf, of);
            self.set_cf_of_mem(co);
        } else {
            let aux = self.shift_aux(cf, of);
            let z = self.c(0);
            let f = FlagSet { op: CcOp::Shift, bits: w, dst: z, src: z, res: v, aux: Some(aux), co: None };
            self.store_flags(&f);
        }
        self.b.ins().jump(join, &[]);
        self.b.seal_block(join);
        self.b.switch_to_block(join);
        self.flags = Flags::Mem;
        self.flags_synced = true;
    }

    /// Bit `n` of `v` (I64 0/1).
    fn bit(&mut self, v: Value, n: u32) -> Value {
        let t = self.shr_c(v, n);
        self.b.ins().band_imm_s(t, 1)
    }

    /// CF of a rotate to `v` (`w` bits) as `shift` sets it: ROL's is the result's low bit,
    /// ROR's its top bit.
    fn rotate_cf(&mut self, s: Sh, w: u32, v: Value) -> Value {
        self.bit(v, if s == Sh::Rol { 0 } else { w - 1 })
    }

    /// OF of a shift or rotate to `v` (`w` bits) whose CF is `cf`, as `shift` sets it:
    /// CF xor the top bit (SHL, ROL), the top two bits' xor (SHR, ROR), 0 (SAR).
    fn shift_of(&mut self, s: Sh, w: u32, cf: Value, v: Value) -> Value {
        match s {
            Sh::Shl | Sh::Rol => {
                let msb = self.bit(v, w - 1);
                self.b.ins().bxor(cf, msb)
            }
            Sh::Shr | Sh::Ror => {
                let b1 = self.bit(v, w - 1);
                let b2 = self.bit(v, w - 2);
                self.b.ins().bxor(b1, b2)
            }
            Sh::Sar => self.c(0),
        }
    }

    /// The aux word of a shift's lazy flags as `shift` computes it: AF (always set), CF,
    /// OF << 11.
    fn shift_aux(&mut self, cf: Value, of: Value) -> Value {
        let of = self.shl_c(of, 11);
        let aux = self.b.ins().bor(cf, of);
        self.b.ins().bor_imm_s(aux, crate::flags::AF as i64)
    }
}
