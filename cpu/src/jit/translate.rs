//! Block -> Cranelift IR -> host code.
//!
//! The front end walks a block's instructions (re-decoded with iced-x86 from the block's
//! own bytes, paired with the block's ops) and emits, for each, either native IR or a call
//! to the interpreter's handler. Guest state a unit keeps in host registers:
//! - the 16 GPRs, as Cranelift variables, each loaded from `Cpu::regs` on first use and
//!   stored back where the unit exits or calls a handler, if it changed;
//! - the lazy flags of the last flag-setting instruction, when it was translated natively
//!   (`Flags::Known`): its kind and width are known at compile time, its operands are
//!   variables, so a following Jcc compares them directly and the `LazyFlags` record is
//!   written only at exits.
//!
//! Precision: an instruction that may fault defines no guest variable before its last
//! memory access can fail, so a fault exit stores exactly the state before it.

use super::execmem::ExecMem;
use super::{stop_code, Link, Unit, RUN_ON};
use crate::decode::{end_op, Block, Op, Stop};
use crate::state::Cpu;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I32, I64, I8};
use cranelift_codegen::ir::{AbiParam, Function, InstBuilder, MemFlagsData, Signature, UserFuncName, Value};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use std::mem::offset_of;

/// The entry trampoline: called from Rust with the C ABI, calls a unit (tail-call ABI).
pub(crate) type Enter = unsafe extern "C" fn(*mut Cpu, *const u8) -> u32;

/// The code generator and its code memory.
pub(crate) struct Backend {
    isa: OwnedTargetIsa,
    mem: ExecMem,
    /// Where code memory restarts after a flush (the trampoline stays).
    floor: usize,
    pub enter: Enter,
    ctx: Context,
    fctx: FunctionBuilderContext,
    full: bool,
}

/// Why a block was not translated.
#[derive(Debug)]
pub(crate) enum TxError {
    Codegen(String),
    /// The code memory is full.
    Full,
}

impl std::fmt::Display for TxError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            TxError::Codegen(s) => write!(f, "code generation failed: {s}"),
            TxError::Full => f.write_str("code memory full"),
        }
    }
}

impl Backend {
    pub fn new(code_bytes: usize) -> Option<Backend> {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").ok()?;
        // Cranelift's tail calls (units jumping into each other) need frame pointers.
        flags.set("preserve_frame_pointers", "true").ok()?;
        flags.set("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" }).ok()?;
        let isa = cranelift_native::builder().ok()?.finish(settings::Flags::new(flags)).ok()?;
        let mem = ExecMem::new(code_bytes).ok()?;
        let mut b = Backend {
            isa,
            mem,
            floor: 0,
            // Replaced just below.
            enter: dummy_enter,
            ctx: Context::new(),
            fctx: FunctionBuilderContext::new(),
            full: false,
        };
        b.enter = b.make_enter().ok()?;
        b.floor = b.mem.used();
        Some(b)
    }

    pub fn full(&self) -> bool {
        self.full
    }

    pub fn reset(&mut self) {
        self.mem.reset_to(self.floor);
        self.full = false;
    }

    fn unit_sig(&self) -> Signature {
        let mut s = Signature::new(CallConv::Tail);
        s.params.push(AbiParam::new(I64));
        s.returns.push(AbiParam::new(I32));
        s
    }

    fn host_sig(&self, params: &[cranelift_codegen::ir::Type], ret: Option<cranelift_codegen::ir::Type>) -> Signature {
        let mut s = Signature::new(self.isa.default_call_conv());
        for &p in params {
            s.params.push(AbiParam::new(p));
        }
        if let Some(r) = ret {
            s.returns.push(AbiParam::new(r));
        }
        s
    }

    /// Compiles the function in `self.ctx` into code memory.
    fn emit(&mut self) -> Result<(*const u8, usize), TxError> {
        let code = self
            .ctx
            .compile(&*self.isa, &mut ControlPlane::default())
            .map_err(|e| TxError::Codegen(format!("{:?}", e.inner)))?;
        // Every call goes through an address in a register, so the code has no
        // relocations and can be copied anywhere.
        if !code.buffer.relocs().is_empty() {
            return Err(TxError::Codegen("unexpected relocations".into()));
        }
        let bytes = code.code_buffer().to_vec();
        self.ctx.clear();
        match self.mem.push(&bytes) {
            Some(p) => Ok((p, bytes.len())),
            None => {
                self.full = true;
                Err(TxError::Full)
            }
        }
    }

    fn make_enter(&mut self) -> Result<Enter, TxError> {
        let mut sig = self.host_sig(&[I64, I64], Some(I32));
        sig.call_conv = self.isa.default_call_conv();
        self.ctx.func = Function::with_name_signature(UserFuncName::default(), sig);
        let usig = self.unit_sig();
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        b.seal_block(blk);
        let cpu = b.block_params(blk)[0];
        let code = b.block_params(blk)[1];
        let sref = b.import_signature(usig);
        let call = b.ins().call_indirect(sref, code, &[cpu]);
        let r = b.inst_results(call)[0];
        b.ins().return_(&[r]);
        b.finalize(self.isa.frontend_config());
        let (p, _) = self.emit()?;
        // SAFETY: the code just emitted has exactly this signature.
        Ok(unsafe { std::mem::transmute::<*const u8, Enter>(p) })
    }

    /// Translates `blk`; returns the unit and its code size.
    pub fn translate(&mut self, cpu: &Cpu, blk: &Block) -> Result<(Box<Unit>, usize), TxError> {
        let _ = cpu;
        // The ops run through their handler: each one's copy, followed by an end op.
        let plain: Vec<&Op> = blk.plain_ops().collect();
        let mut ops = Vec::with_capacity(plain.len() * 2);
        for op in &plain {
            ops.push(op.copy());
            ops.push(end_op(op.next()));
        }
        let mut unit = Box::new(Unit {
            code: std::ptr::null(),
            links: [Link::default(), Link::default()],
            ops: ops.into_boxed_slice(),
        });
        let usig = self.unit_sig();
        let op_sig = self.host_sig(&[I64, I64], Some(I32));
        self.ctx.func = Function::with_name_signature(UserFuncName::default(), usig.clone());
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let cpu_v = b.block_params(entry)[0];
        let op_sref = b.import_signature(op_sig);
        let unit_sref = b.import_signature(usig);
        let mut tx = Tx { b, cpu: cpu_v, unit_sref };
        let f = MemFlagsData::trusted();
        // Handlers of the block's last instruction expect `rip` at the block's end.
        let end = tx.b.ins().iconst(I64, blk.end as i64);
        tx.b.ins().store(f, end, cpu_v, offset_of!(Cpu, rip) as i32);
        let n = plain.len();
        for (k, op) in plain.iter().enumerate() {
            let opp = tx.b.ins().iconst(I64, &unit.ops[2 * k] as *const Op as i64);
            let fp = tx.b.ins().iconst(I64, jit_op as *const () as i64);
            let call = tx.b.ins().call_indirect(op_sref, fp, &[cpu_v, opp]);
            let r = tx.b.inst_results(call)[0];
            tx.exit_if_nonzero(r, k, op);
            // A handler may have written to this block's code: the interpreter then stops
            // at the next instruction (`Stop::Resync`).
            if k + 1 < n {
                let vp = tx.b.ins().iconst(I64, &blk.valid as *const _ as i64);
                let v = tx.b.ins().load(I8, f, vp, 0);
                let bad = tx.b.ins().icmp_imm_u(IntCC::Equal, v, 0);
                let code = tx.b.ins().iconst(I32, stop_code(Stop::Resync) as i64);
                tx.exit_if(bad, code, k + 1, plain[k + 1]);
            }
        }
        // Ran to the end: count the block, then go on to the next unit.
        let ic = tx.b.ins().load(I64, f, cpu_v, offset_of!(Cpu, icount) as i32);
        let ic = tx.b.ins().iadd_imm_s(ic, blk.insns as i64);
        tx.b.ins().store(f, ic, cpu_v, offset_of!(Cpu, icount) as i32);
        let rip = tx.b.ins().load(I64, f, cpu_v, offset_of!(Cpu, rip) as i32);
        tx.chain(ic, rip, blk, &unit.links);
        tx.b.finalize(self.isa.frontend_config());
        let (code, size) = self.emit()?;
        unit.code = code;
        Ok((unit, size))
    }
}

unsafe extern "C" fn dummy_enter(_: *mut Cpu, _: *const u8) -> u32 {
    unreachable!("the entry trampoline is compiled before any unit")
}

/// Runs one op through its handler (the op is followed by an end op, so the handler
/// returns after it). Returns 0 or the stop plus one.
extern "C" fn jit_op(cpu: *mut Cpu, op: *const Op) -> u32 {
    // SAFETY: translated code passes the CPU it runs on and one of its unit's op copies.
    let (cpu, op) = unsafe { (&mut *cpu, &*op) };
    match (op.f.get())(cpu, op) {
        Ok(()) => RUN_ON,
        Err(s) => stop_code(s),
    }
}

const JIT_BLOCK: usize = offset_of!(Cpu, jit) + offset_of!(super::JitState, block);
const JIT_LINK: usize = offset_of!(Cpu, jit) + offset_of!(super::JitState, link);
const JIT_CHECK_AT: usize = offset_of!(Cpu, jit) + offset_of!(super::JitState, check_at);
const JIT_STOP_INDEX: usize = offset_of!(Cpu, jit) + offset_of!(super::JitState, stop_index);
const JIT_STOP_OP: usize = offset_of!(Cpu, jit) + offset_of!(super::JitState, stop_op);
const CACHE_GEN: usize = offset_of!(Cpu, cache) + offset_of!(crate::decode::BlockCache, gen);

/// The function being built.
struct Tx<'a> {
    b: FunctionBuilder<'a>,
    cpu: Value,
    unit_sref: cranelift_codegen::ir::SigRef,
}

impl Tx<'_> {
    fn st_const(&mut self, v: i64, off: usize) {
        let c = self.b.ins().iconst(I64, v);
        self.b.ins().store(MemFlagsData::trusted(), c, self.cpu, off as i32);
    }

    /// Leaves the unit with stop code `code` (a value) at instruction `k` when `cond`.
    fn exit_if(&mut self, cond: Value, code: Value, k: usize, op: &Op) {
        let out = self.b.create_block();
        let on = self.b.create_block();
        self.b.set_cold_block(out);
        self.b.ins().brif(cond, out, &[], on, &[]);
        self.b.seal_block(out);
        self.b.seal_block(on);
        self.b.switch_to_block(out);
        self.stop_exit(code, k, op);
        self.b.switch_to_block(on);
    }

    fn exit_if_nonzero(&mut self, code: Value, k: usize, op: &Op) {
        let c = self.b.ins().icmp_imm_u(IntCC::NotEqual, code, 0);
        self.exit_if(c, code, k, op);
    }

    /// The body of a stop exit: note where, return the code.
    fn stop_exit(&mut self, code: Value, k: usize, op: &Op) {
        self.st_const(k as i64, JIT_STOP_INDEX);
        self.st_const(op as *const Op as i64, JIT_STOP_OP);
        self.b.ins().return_(&[code]);
    }

    /// The end of a unit that ran through: jumps to the next unit if a link slot for
    /// `rip` is valid and the budget allows, else returns to the loop (leaving the slot
    /// to fill).
    fn chain(&mut self, icount: Value, rip: Value, blk: &Block, links: &[Link; 2]) {
        let f = MemFlagsData::trusted();
        self.st_const(blk as *const Block as i64, JIT_BLOCK);
        let check = self.b.ins().load(I64, f, self.cpu, JIT_CHECK_AT as i32);
        let due = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, icount, check);
        let ret0 = self.b.create_block();
        let go = self.b.create_block();
        self.b.ins().brif(due, ret0, &[], go, &[]);
        self.b.seal_block(go);
        self.b.switch_to_block(go);
        let gen = self.b.ins().load(I64, f, self.cpu, CACHE_GEN as i32);
        // Slot 0 then slot 1; a slot whose rip matches but is stale is refilled.
        let mut fill: Option<Value> = None;
        for (i, l) in links.iter().enumerate() {
            let lp = self.b.ins().iconst(I64, l as *const Link as i64);
            let lrip = self.b.ins().load(I64, f, lp, offset_of!(Link, rip) as i32);
            let lgen = self.b.ins().load(I64, f, lp, offset_of!(Link, gen) as i32);
            let same_rip = self.b.ins().icmp(IntCC::Equal, lrip, rip);
            let same_gen = self.b.ins().icmp(IntCC::Equal, lgen, gen);
            let ok = self.b.ins().band(same_rip, same_gen);
            let jump = self.b.create_block();
            let next = self.b.create_block();
            self.b.ins().brif(ok, jump, &[], next, &[]);
            self.b.seal_block(jump);
            self.b.seal_block(next);
            self.b.switch_to_block(jump);
            let code = self.b.ins().load(I64, f, lp, offset_of!(Link, code) as i32);
            self.b.ins().return_call_indirect(self.unit_sref, code, &[self.cpu]);
            self.b.switch_to_block(next);
            // Which slot to fill when neither matches: a stale one, else slot 1.
            if i == 0 {
                let stale = self.b.ins().icmp(IntCC::NotEqual, lgen, gen);
                let l1 = self.b.ins().iconst(I64, &links[1] as *const Link as i64);
                fill = Some(self.b.ins().select(stale, lp, l1));
            }
        }
        self.b.ins().store(f, fill.expect("two slots"), self.cpu, JIT_LINK as i32);
        let z = self.b.ins().iconst(I32, RUN_ON as i64);
        self.b.ins().return_(&[z]);
        self.b.seal_block(ret0);
        self.b.switch_to_block(ret0);
        let z = self.b.ins().iconst(I32, RUN_ON as i64);
        self.b.ins().return_(&[z]);
    }
}
