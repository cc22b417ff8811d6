//! Block -> Cranelift IR -> host code.
//!
//! The front end walks a block's instructions (re-decoded with iced-x86 from the block's
//! own bytes, one per plain op) and emits for each either native IR (`plan`/`Tx::native`)
//! or a call to the interpreter's handler. A unit keeps in host registers:
//! - the 16 GPRs, as Cranelift variables, each loaded from `Cpu::regs` on first use; a
//!   write also goes to `Cpu::regs` at once (a store is cheap, and then the many exits of a
//!   unit need no code to put registers back, which keeps units small and quick to
//!   compile);
//! - the lazy flags of the last flag-setting instruction translated natively
//!   (`Flags::Known`): kind and width are known at compile time and the operands are
//!   variables, so a Jcc compares them directly, and the `LazyFlags` record is written
//!   only where the unit leaves or calls out. Flag results nobody can observe
//!   (`liveness`, the same pass and so the same choices as the interpreter) are skipped.
//!
//! Precision: an instruction's register and flag results are held back (`pending`) until
//! its last memory access has succeeded. A memory access that misses the TLB leaves the
//! unit before the instruction, with the state before it, and the interpreter runs the
//! rest of the block (`RESUME`): its slow path fills the TLB, raises faults, and notices
//! writes to decoded code exactly as always, and the block still ends where it would.

use super::execmem::ExecMem;
use super::{stop_code, JcEntry, JitState, Link, Unit, JC_BITS, JC_SIZE, RESUME, RUN_ON};
use crate::decode::{end_op, Block, BlockCache, Op, Stop};
use crate::flags::{mask, CcOp, LazyFlags};
use crate::mem::{
    TLB_ADDEND_OFFSET, TLB_ENTRY_SHIFT, TLB_INDEX_MASK, TLB_PAGE_OFFSET, TLB_R_OFFSET, TLB_W_OFFSET,
};
use crate::state::{Cpu, ZERO_REG};
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I16, I32, I64, I8};
use cranelift_codegen::ir::{
    AbiParam, Function, InstBuilder, MemFlagsData, SigRef, Signature, Type, UserFuncName, Value,
};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use iced_x86::{Code, ConditionCode, Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};
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

/// What a translation produced, for the statistics.
pub(crate) struct Translated {
    pub unit: Box<Unit>,
    pub bytes: usize,
    pub native: u64,
    pub called: u64,
}

impl Backend {
    pub fn new(code_bytes: usize) -> Option<Backend> {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").ok()?;
        // Cranelift's tail calls (units jumping into each other) need frame pointers.
        flags.set("preserve_frame_pointers", "true").ok()?;
        // The CPU pointer lives in the pinned register (r15, x21) across all units: never
        // spilled, and callee-saved for the helpers they call.
        flags.set("enable_pinned_reg", "true").ok()?;
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

    fn host_sig(&self, params: &[Type], ret: Option<Type>) -> Signature {
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
        // Debugging aid: EMU_JIT_DUMP=1 prints each unit's IR, =2 its machine code.
        let dump = std::env::var("EMU_JIT_DUMP").unwrap_or_default();
        if dump == "1" {
            eprintln!("{}", self.ctx.func.display());
        }
        self.ctx.set_disasm(dump == "2");
        let r = self.ctx.compile(&*self.isa, &mut ControlPlane::default());
        let code = match r {
            Ok(c) => c,
            Err(e) => {
                let msg = format!("{:?}", e.inner);
                self.ctx.clear();
                return Err(TxError::Codegen(msg));
            }
        };
        // Every call goes through an address in a register, so the code has no
        // relocations and can be copied anywhere.
        if !code.buffer.relocs().is_empty() {
            self.ctx.clear();
            return Err(TxError::Codegen("unexpected relocations".into()));
        }
        if dump == "2" {
            eprintln!("{}", code.vcode.as_deref().unwrap_or(""));
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
        let sig = self.host_sig(&[I64, I64], Some(I32));
        self.ctx.func = Function::with_name_signature(UserFuncName::default(), sig);
        let usig = self.unit_sig();
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        b.seal_block(blk);
        let cpu = b.block_params(blk)[0];
        let code = b.block_params(blk)[1];
        // The pinned register is callee-saved in the host ABI but not to Cranelift once
        // pinned: keep the caller's value.
        let saved = b.ins().get_pinned_reg(I64);
        b.ins().set_pinned_reg(cpu);
        let sref = b.import_signature(usig);
        let call = b.ins().call_indirect(sref, code, &[cpu]);
        let r = b.inst_results(call)[0];
        b.ins().set_pinned_reg(saved);
        b.ins().return_(&[r]);
        b.finalize(self.isa.frontend_config());
        let (p, _) = self.emit()?;
        // SAFETY: the code just emitted has exactly this signature.
        Ok(unsafe { std::mem::transmute::<*const u8, Enter>(p) })
    }

    /// Translates `blk`.
    pub fn translate(&mut self, cpu: &mut Cpu, blk: &Block) -> Result<Translated, TxError> {
        let plain: Vec<&Op> = blk.plain_ops().collect();
        let n = plain.len();
        // The instructions again, from the block's own bytes (unchanged while the block is
        // valid). None: a #UD placeholder, or bytes that no longer decode.
        let mut instrs: Vec<Option<Instruction>> = Vec::with_capacity(n);
        for op in &plain {
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
        if !cpu.hooks.exact_flags {
            crate::liveness::dead_flag_setters(&instrs, |k| dead[k] = true);
        }
        let plans: Vec<Option<Plan>> = instrs
            .iter()
            .zip(&plain)
            .zip(&dead)
            .map(|((i, op), &d)| i.as_ref().and_then(|i| plan(i, op, d)))
            .collect();
        // The ops run through their handler: each one's copy, followed by an end op.
        let mut ops = Vec::new();
        let mut copy_at = vec![usize::MAX; n];
        for (k, op) in plain.iter().enumerate() {
            if plans[k].is_none() {
                copy_at[k] = ops.len();
                ops.push(op.copy());
                ops.push(end_op(op.next()));
            }
        }
        let mut unit = Box::new(Unit {
            code: std::ptr::null(),
            links: [Link::default(), Link::default()],
            ops: ops.into_boxed_slice(),
        });
        let usig = self.unit_sig();
        let sigs =
            Sigs { op: self.host_sig(&[I64, I64], Some(I32)), cond: self.host_sig(&[I64, I32], Some(I32)) };
        self.ctx.func = Function::with_name_signature(UserFuncName::default(), usig.clone());
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let sref = SigRefs {
            unit: b.import_signature(usig),
            op: b.import_signature(sigs.op),
            cond: b.import_signature(sigs.cond),
        };
        let regs = std::array::from_fn(|_| b.declare_var(I64));
        let fv = [b.declare_var(I64), b.declare_var(I64), b.declare_var(I64), b.declare_var(I64)];
        let mut tx = Tx {
            b,
            sref,
            regs,
            rstate: [RegState::Mem; 16],
            flags: Flags::Mem,
            fv,
            pending: Vec::new(),
            pending_flags: None,
            blk,
            k: 0,
            rip_set: false,
        };
        let mut native = 0;
        let mut next_rip: Option<Value> = None;
        for k in 0..n {
            tx.k = k;
            match &plans[k] {
                Some(p) => {
                    native += 1;
                    let r = tx.native(p, plain[k]);
                    tx.commit();
                    if r.is_some() {
                        next_rip = r;
                    }
                }
                None => {
                    tx.call_handler(&unit.ops[copy_at[k]], k + 1 < n);
                    if k + 1 == n {
                        // The handler of a last instruction leaves the next rip in `Cpu::rip`.
                        let f = MemFlagsData::trusted();
                        let cpu_v = tx.cpu();
                        next_rip = Some(tx.b.ins().load(I64, f, cpu_v, offset_of!(Cpu, rip) as i32));
                    }
                }
            }
        }
        // Ran to the end: the state goes back to the CPU, the block counts, then on to the
        // next unit.
        // Whether the next address is one of two known ones (the link slots serve it) or
        // anything (a return or indirect jump: the jump cache serves it too).
        let dynamic = match plans.last() {
            Some(Some(
                Plan::Jmp { target: Src::I(_) } | Plan::Call { target: Src::I(_) } | Plan::Jcc { .. },
            )) => false,
            Some(Some(Plan::Jmp { .. } | Plan::Call { .. } | Plan::Ret { .. })) => true,
            Some(Some(_)) => false,
            _ => true,
        };
        let rip = next_rip.unwrap_or_else(|| tx.c(blk.end));
        tx.writeback(false);
        let f = MemFlagsData::trusted();
        let cpu_v = tx.cpu();
        tx.b.ins().store(f, rip, cpu_v, offset_of!(Cpu, rip) as i32);
        let ic = tx.b.ins().load(I64, f, cpu_v, offset_of!(Cpu, icount) as i32);
        let add = tx.c(blk.insns);
        let ic = tx.b.ins().iadd(ic, add);
        tx.b.ins().store(f, ic, cpu_v, offset_of!(Cpu, icount) as i32);
        tx.chain(ic, rip, &unit.links, dynamic);
        tx.b.finalize(self.isa.frontend_config());
        let (code, bytes) = self.emit()?;
        unit.code = code;
        Ok(Translated { unit, bytes, native, called: n as u64 - native })
    }
}

struct Sigs {
    op: Signature,
    cond: Signature,
}

struct SigRefs {
    unit: SigRef,
    op: SigRef,
    cond: SigRef,
}

unsafe extern "C" fn dummy_enter(_: *mut Cpu, _: *const u8) -> u32 {
    unreachable!("the entry trampoline is compiled before any unit")
}

// ---- helpers called from translated code ----

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

/// Condition `cc` of the flags in the CPU (set by code outside the unit).
extern "C" fn jit_cond(cpu: *mut Cpu, cc: u32) -> u32 {
    // SAFETY: translated code passes the CPU it runs on.
    let cpu = unsafe { &*cpu };
    cpu.lf.cond(cc as u8) as u32
}

/// CF of the flags in the CPU (cc 2 is "below", which is CF).
fn cc_cf() -> u32 {
    2
}

const JIT_BLOCK: usize = offset_of!(Cpu, jit) + offset_of!(JitState, block);
const JIT_LINK: usize = offset_of!(Cpu, jit) + offset_of!(JitState, link);
const JIT_CHECK_AT: usize = offset_of!(Cpu, jit) + offset_of!(JitState, check_at);
const JIT_STOP_INDEX: usize = offset_of!(Cpu, jit) + offset_of!(JitState, stop_index);
const JIT_JC: usize = offset_of!(Cpu, jit) + offset_of!(JitState, jc);
const CACHE_GEN: usize = offset_of!(Cpu, cache) + offset_of!(BlockCache, gen);
const REGS: usize = offset_of!(Cpu, regs);
const SEG_BASE: usize = offset_of!(Cpu, seg_base);
const LF: usize = offset_of!(Cpu, lf);
const MEM: usize = offset_of!(Cpu, mem);

// ---- planning: which instructions are translated natively, and how ----

/// An operand: a GPR (0..15, low bytes only for 8 bits), the op's memory operand, or an
/// immediate (already sign-extended as the instruction defines).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Src {
    R(u8),
    M,
    I(u64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Alu {
    Add,
    Or,
    And,
    Sub,
    Xor,
    Cmp,
    Test,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Un {
    Inc,
    Dec,
    Neg,
    Not,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sh {
    Shl,
    Shr,
    Sar,
    Rol,
    Ror,
}

/// How one instruction is translated.
enum Plan {
    Nop,
    /// MOV dst, src (dst a register or memory).
    Mov {
        w: u32,
        dst: Src,
        src: Src,
    },
    /// MOVZX/MOVSX/MOVSXD: `sw`-bit source extended to the `w`-bit register.
    Movx {
        w: u32,
        sw: u32,
        signed: bool,
        dst: u8,
        src: Src,
    },
    Lea {
        w: u32,
        dst: u8,
    },
    Alu {
        op: Alu,
        w: u32,
        dst: Src,
        src: Src,
        dead: bool,
    },
    Unary {
        op: Un,
        w: u32,
        dst: Src,
        dead: bool,
    },
    /// Shift or rotate of a register by an immediate count `c` (masked, 0 < c < w).
    ShiftImm {
        op: Sh,
        w: u32,
        r: u8,
        c: u32,
        dead: bool,
    },
    /// Shift by CL (32/64-bit registers), flags dead.
    ShiftCl {
        op: Sh,
        w: u32,
        r: u8,
    },
    /// IMUL dst, src[, imm] with dead flags.
    Imul {
        w: u32,
        dst: u8,
        src: Src,
        imm: Option<u64>,
    },
    Cmov {
        cc: u8,
        w: u32,
        dst: u8,
        src: Src,
    },
    Setcc {
        cc: u8,
        dst: Src,
    },
    Push {
        src: Src,
    },
    Pop {
        r: u8,
    },
    Jmp {
        target: Src,
    },
    Jcc {
        cc: u8,
        target: u64,
    },
    Call {
        target: Src,
    },
    Ret {
        imm: u64,
    },
    /// CBW/CWDE/CDQE (`w` the destination width) and CWD/CDQ/CQO (`dx`).
    SignExt {
        w: u32,
        dx: bool,
    },
    Xchg {
        w: u32,
        a: u8,
        b: u8,
    },
    Bswap {
        w: u32,
        r: u8,
    },
}

/// A GPR operand's index, or None for AH..BH (and anything not a GPR).
fn gpr(r: Register) -> Option<u8> {
    if !r.is_gpr() || matches!(r, Register::AH | Register::CH | Register::DH | Register::BH) {
        return None;
    }
    Some(r.full_register().number() as u8)
}

fn width(i: &Instruction, n: u32) -> u32 {
    match i.op_kind(n) {
        OpKind::Register => i.op_register(n).size() as u32 * 8,
        OpKind::Memory => i.memory_size().size() as u32 * 8,
        _ => 0,
    }
}

fn is_imm(k: OpKind) -> bool {
    matches!(
        k,
        OpKind::Immediate8
            | OpKind::Immediate16
            | OpKind::Immediate32
            | OpKind::Immediate64
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32
            | OpKind::Immediate8to64
            | OpKind::Immediate32to64
    )
}

/// Operand `n` as a `Src`, if it is a plain GPR, the memory operand or an immediate.
fn src(i: &Instruction, op: &Op, n: u32) -> Option<Src> {
    match i.op_kind(n) {
        OpKind::Register => gpr(i.op_register(n)).map(Src::R),
        OpKind::Memory => Some(Src::M),
        k if is_imm(k) => Some(Src::I(op.imm)),
        _ => None,
    }
}

fn cc_of(i: &Instruction) -> Option<u8> {
    use ConditionCode as C;
    Some(match i.condition_code() {
        C::o => 0,
        C::no => 1,
        C::b => 2,
        C::ae => 3,
        C::e => 4,
        C::ne => 5,
        C::be => 6,
        C::a => 7,
        C::s => 8,
        C::ns => 9,
        C::p => 10,
        C::np => 11,
        C::l => 12,
        C::ge => 13,
        C::le => 14,
        C::g => 15,
        _ => return None,
    })
}

/// The native translation of `i` (decoded from `op`), if there is one. `dead`: the
/// liveness pass found its flag results unobservable.
fn plan(i: &Instruction, op: &Op, dead: bool) -> Option<Plan> {
    use Mnemonic as M;
    if i.has_lock_prefix() || i.has_xacquire_prefix() || i.has_xrelease_prefix() {
        return None;
    }
    if (i.has_rep_prefix() || i.has_repne_prefix()) && i.mnemonic() != M::Ret {
        return None;
    }
    let nops = i.op_count();
    let w0 = width(i, 0);
    let s0 = if nops > 0 { src(i, op, 0) } else { None };
    let s1 = if nops > 1 { src(i, op, 1) } else { None };
    let alu = |a: Alu| -> Option<Plan> {
        let (d, s) = (s0?, s1?);
        if nops != 2 || matches!(d, Src::I(_)) || (d == Src::M && s == Src::M) {
            return None;
        }
        Some(Plan::Alu { op: a, w: w0, dst: d, src: s, dead })
    };
    Some(match i.mnemonic() {
        M::Nop | M::Endbr64 => Plan::Nop,
        M::Mov => {
            // Not the segment and control register forms.
            let (d, s) = (s0?, s1?);
            if nops != 2 || matches!(d, Src::I(_)) || !matches!(w0, 8 | 16 | 32 | 64) {
                return None;
            }
            Plan::Mov { w: w0, dst: d, src: s }
        }
        M::Movzx | M::Movsx | M::Movsxd => {
            let Src::R(d) = s0? else { return None };
            let s = s1?;
            let sw = width(i, 1);
            if matches!(s, Src::I(_)) || !matches!(sw, 8 | 16 | 32) || !matches!(w0, 16 | 32 | 64) {
                return None;
            }
            Plan::Movx { w: w0, sw, signed: i.mnemonic() != M::Movzx, dst: d, src: s }
        }
        M::Lea => {
            let Src::R(d) = s0? else { return None };
            if !matches!(w0, 16 | 32 | 64) {
                return None;
            }
            Plan::Lea { w: w0, dst: d }
        }
        M::Add => alu(Alu::Add)?,
        M::Or => alu(Alu::Or)?,
        M::And => alu(Alu::And)?,
        M::Sub => alu(Alu::Sub)?,
        M::Xor => alu(Alu::Xor)?,
        M::Cmp => alu(Alu::Cmp)?,
        M::Test => alu(Alu::Test)?,
        M::Inc | M::Dec | M::Neg | M::Not => {
            let d = s0?;
            if matches!(d, Src::I(_)) || nops != 1 {
                return None;
            }
            let u = match i.mnemonic() {
                M::Inc => Un::Inc,
                M::Dec => Un::Dec,
                M::Neg => Un::Neg,
                _ => Un::Not,
            };
            Plan::Unary { op: u, w: w0, dst: d, dead }
        }
        M::Shl | M::Sal | M::Shr | M::Sar | M::Rol | M::Ror => {
            let Src::R(r) = s0? else { return None };
            let sh = match i.mnemonic() {
                M::Shl | M::Sal => Sh::Shl,
                M::Shr => Sh::Shr,
                M::Sar => Sh::Sar,
                M::Rol => Sh::Rol,
                _ => Sh::Ror,
            };
            if i.op1_kind() == OpKind::Register {
                if i.op1_register() != Register::CL || !dead || !matches!(w0, 32 | 64) {
                    return None;
                }
                return Some(Plan::ShiftCl { op: sh, w: w0, r });
            }
            let cm = if w0 == 64 { 63 } else { 31 };
            let c = (op.imm & cm) as u32;
            // A zero count changes nothing (but a 32-bit register is still zero-extended):
            // left to the handler, as are rotates whose flags are live (CF/OF only).
            if c == 0 || c >= w0 || (matches!(sh, Sh::Rol | Sh::Ror) && !dead) {
                return None;
            }
            Plan::ShiftImm { op: sh, w: w0, r, c, dead }
        }
        M::Imul if dead && nops >= 2 => {
            let Src::R(d) = s0? else { return None };
            let s = s1?;
            if matches!(s, Src::I(_)) || !matches!(w0, 16 | 32 | 64) {
                return None;
            }
            let imm = if nops == 3 { Some(op.imm) } else { None };
            Plan::Imul { w: w0, dst: d, src: s, imm }
        }
        M::Cmovo
        | M::Cmovno
        | M::Cmovb
        | M::Cmovae
        | M::Cmove
        | M::Cmovne
        | M::Cmovbe
        | M::Cmova
        | M::Cmovs
        | M::Cmovns
        | M::Cmovp
        | M::Cmovnp
        | M::Cmovl
        | M::Cmovge
        | M::Cmovle
        | M::Cmovg => {
            let Src::R(d) = s0? else { return None };
            let s = s1?;
            if matches!(s, Src::I(_)) {
                return None;
            }
            Plan::Cmov { cc: cc_of(i)?, w: w0, dst: d, src: s }
        }
        M::Seto
        | M::Setno
        | M::Setb
        | M::Setae
        | M::Sete
        | M::Setne
        | M::Setbe
        | M::Seta
        | M::Sets
        | M::Setns
        | M::Setp
        | M::Setnp
        | M::Setl
        | M::Setge
        | M::Setle
        | M::Setg => {
            let d = s0?;
            if matches!(d, Src::I(_)) {
                return None;
            }
            Plan::Setcc { cc: cc_of(i)?, dst: d }
        }
        M::Push
            if i.code() == Code::Push_r64
                || i.code() == Code::Pushq_imm32
                || i.code() == Code::Pushq_imm8 =>
        {
            Plan::Push { src: s0? }
        }
        M::Push if i.code() == Code::Push_rm64 => Plan::Push { src: s0? },
        M::Pop if i.code() == Code::Pop_r64 => {
            let Src::R(r) = s0? else { return None };
            Plan::Pop { r }
        }
        M::Jmp => match i.code() {
            Code::Jmp_rel8_64 | Code::Jmp_rel32_64 => Plan::Jmp { target: Src::I(op.imm) },
            Code::Jmp_rm64 => Plan::Jmp { target: s0? },
            _ => return None,
        },
        M::Call => match i.code() {
            Code::Call_rel32_64 => Plan::Call { target: Src::I(op.imm) },
            Code::Call_rm64 => Plan::Call { target: s0? },
            _ => return None,
        },
        M::Ret => match i.code() {
            Code::Retnq => Plan::Ret { imm: 0 },
            Code::Retnq_imm16 => Plan::Ret { imm: op.imm & 0xffff },
            _ => return None,
        },
        M::Jo
        | M::Jno
        | M::Jb
        | M::Jae
        | M::Je
        | M::Jne
        | M::Jbe
        | M::Ja
        | M::Js
        | M::Jns
        | M::Jp
        | M::Jnp
        | M::Jl
        | M::Jge
        | M::Jle
        | M::Jg => {
            if !matches!(i.op0_kind(), OpKind::NearBranch64) {
                return None;
            }
            Plan::Jcc { cc: cc_of(i)?, target: op.imm }
        }
        M::Cbw => Plan::SignExt { w: 16, dx: false },
        M::Cwde => Plan::SignExt { w: 32, dx: false },
        M::Cdqe => Plan::SignExt { w: 64, dx: false },
        M::Cwd => Plan::SignExt { w: 16, dx: true },
        M::Cdq => Plan::SignExt { w: 32, dx: true },
        M::Cqo => Plan::SignExt { w: 64, dx: true },
        M::Xchg => {
            let (Src::R(a), Src::R(b)) = (s0?, s1?) else { return None };
            Plan::Xchg { w: w0, a, b }
        }
        M::Bswap => {
            let Src::R(r) = s0? else { return None };
            if !matches!(w0, 32 | 64) {
                return None;
            }
            Plan::Bswap { w: w0, r }
        }
        _ => return None,
    })
}

// ---- emission ----

#[derive(Clone, Copy, PartialEq, Eq)]
enum RegState {
    /// Only in `Cpu::regs`.
    Mem,
    /// In the variable too (writes go to both).
    Loaded,
}

/// The status flags as far as the unit knows them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flags {
    /// In `Cpu::lf`.
    Mem,
    /// Set by a natively translated instruction of kind `op` at `bits`, whose operands are
    /// the flag variables (dst, src, res, aux).
    Known { op: CcOp, bits: u32 },
}

/// A flag-setting result not yet committed.
#[derive(Clone, Copy)]
struct FlagSet {
    op: CcOp,
    bits: u32,
    dst: Value,
    src: Value,
    res: Value,
    aux: Option<Value>,
}

/// The function being built.
struct Tx<'a> {
    b: FunctionBuilder<'a>,
    sref: SigRefs,
    regs: [Variable; 16],
    rstate: [RegState; 16],
    flags: Flags,
    /// dst, src, res, aux of `Flags::Known`.
    fv: [Variable; 4],
    /// Results of the current instruction, committed when it cannot fault any more.
    pending: Vec<(u8, Value)>,
    pending_flags: Option<FlagSet>,
    blk: &'a Block,
    /// The instruction being translated.
    k: usize,
    /// `Cpu::rip` holds the block's end (handlers expect it).
    rip_set: bool,
}

fn guest_mem() -> MemFlagsData {
    // Guest frames are always mapped host memory (the TLB said so), but not aligned.
    MemFlagsData::new().with_notrap()
}

impl Tx<'_> {
    /// The CPU pointer, read from the pinned register where it is needed (a value kept
    /// across the unit would be spilled around calls).
    fn cpu(&mut self) -> Value {
        self.b.ins().get_pinned_reg(I64)
    }

    fn c(&mut self, v: u64) -> Value {
        self.b.ins().iconst(I64, v as i64)
    }

    fn and_c(&mut self, x: Value, m: u64) -> Value {
        // Zero-extensions as narrowing and widening moves (movl/movzwl/movzbl on x86-64),
        // not an AND with a constant.
        let ty = match m {
            u64::MAX => return x,
            0xffff_ffff => I32,
            0xffff => I16,
            0xff => I8,
            _ => {
                let c = self.c(m);
                return self.b.ins().band(x, c);
            }
        };
        let n = self.b.ins().ireduce(ty, x);
        self.b.ins().uextend(I64, n)
    }

    fn shr_c(&mut self, x: Value, n: u32) -> Value {
        let c = self.c(n as u64);
        self.b.ins().ushr(x, c)
    }

    fn shl_c(&mut self, x: Value, n: u32) -> Value {
        let c = self.c(n as u64);
        self.b.ins().ishl(x, c)
    }

    fn ld_cpu(&mut self, ty: Type, off: usize) -> Value {
        let cpu = self.cpu();
        self.b.ins().load(ty, MemFlagsData::trusted(), cpu, off as i32)
    }

    fn st_cpu(&mut self, v: Value, off: usize) {
        let cpu = self.cpu();
        self.b.ins().store(MemFlagsData::trusted(), v, cpu, off as i32);
    }

    fn st_const(&mut self, v: u64, off: usize) {
        let c = self.c(v);
        self.st_cpu(c, off);
    }

    /// A bool (I8 0/1) as I64.
    fn b64(&mut self, v: Value) -> Value {
        self.b.ins().uextend(I64, v)
    }

    // ---- registers ----

    /// The full 64-bit register `r` (16 is the zero slot).
    fn get(&mut self, r: u8) -> Value {
        if r >= ZERO_REG {
            return self.c(0);
        }
        let ri = r as usize;
        if self.rstate[ri] == RegState::Mem {
            let v = self.ld_cpu(I64, REGS + 8 * ri);
            self.b.def_var(self.regs[ri], v);
            self.rstate[ri] = RegState::Loaded;
        }
        self.b.use_var(self.regs[ri])
    }

    /// Register `r` at width `w`, zero-extended.
    fn rd(&mut self, r: u8, w: u32) -> Value {
        let v = self.get(r);
        self.and_c(v, mask(w))
    }

    /// Queues a write of `v` (its low `w` bits) to register `r` with x86-64 semantics.
    fn wr(&mut self, r: u8, w: u32, v: Value) {
        let full = match w {
            64 => v,
            32 => self.and_c(v, 0xffff_ffff),
            _ => {
                let old = self.get(r);
                let old = self.and_c(old, !mask(w));
                let v = self.and_c(v, mask(w));
                self.b.ins().bor(old, v)
            }
        };
        self.pending.push((r, full));
    }

    /// Makes the current instruction's results architectural (it can no longer fault).
    fn commit(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for &(r, v) in &pending {
            self.b.def_var(self.regs[r as usize], v);
            self.rstate[r as usize] = RegState::Loaded;
        }
        // Written through: only the last write of a register counts.
        for (n, &(r, v)) in pending.iter().enumerate() {
            if !pending[n + 1..].iter().any(|&(r2, _)| r2 == r) {
                self.st_cpu(v, REGS + 8 * r as usize);
            }
        }
        if let Some(f) = self.pending_flags.take() {
            self.b.def_var(self.fv[0], f.dst);
            self.b.def_var(self.fv[1], f.src);
            self.b.def_var(self.fv[2], f.res);
            if let Some(a) = f.aux {
                self.b.def_var(self.fv[3], a);
            }
            self.flags = Flags::Known { op: f.op, bits: f.bits };
        }
    }

    /// Stores what the CPU structure lacks: known flags (with the current instruction's
    /// pending results too, when `with_pending`). Changes nothing the unit knows, so a side
    /// exit may call it.
    fn writeback(&mut self, with_pending: bool) {
        let mut vals: [Option<Value>; 16] = [None; 16];
        let mut fl = None;
        if let Flags::Known { op, bits } = self.flags {
            let aux = matches!(op, CcOp::Inc | CcOp::Dec | CcOp::Shift).then(|| self.b.use_var(self.fv[3]));
            fl = Some(FlagSet {
                op,
                bits,
                dst: self.b.use_var(self.fv[0]),
                src: self.b.use_var(self.fv[1]),
                res: self.b.use_var(self.fv[2]),
                aux,
            });
        }
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
        if let Some(f) = fl {
            let op = self.b.ins().iconst(I8, f.op as u8 as i64);
            let cpu = self.cpu();
            self.b.ins().store(MemFlagsData::trusted(), op, cpu, (LF + offset_of!(LazyFlags, op)) as i32);
            let bits = self.b.ins().iconst(I32, f.bits as i64);
            let cpu = self.cpu();
            self.b.ins().store(MemFlagsData::trusted(), bits, cpu, (LF + offset_of!(LazyFlags, bits)) as i32);
            self.st_cpu(f.dst, LF + offset_of!(LazyFlags, dst));
            self.st_cpu(f.src, LF + offset_of!(LazyFlags, src));
            self.st_cpu(f.res, LF + offset_of!(LazyFlags, res));
            if let Some(a) = f.aux {
                self.st_cpu(a, LF + offset_of!(LazyFlags, aux));
            }
        }
    }

    // ---- exits ----

    /// Starts a cold block taken when `cond`; returns (cold, continue) and leaves the
    /// builder in neither.
    fn split(&mut self, cond: Value) -> (cranelift_codegen::ir::Block, cranelift_codegen::ir::Block) {
        let out = self.b.create_block();
        let on = self.b.create_block();
        self.b.set_cold_block(out);
        self.b.ins().brif(cond, out, &[], on, &[]);
        self.b.seal_block(out);
        self.b.seal_block(on);
        (out, on)
    }

    /// The body of a stop exit at instruction `k`: state back, note where, return `code`.
    fn stop_exit(&mut self, code: Value, k: usize, with_pending: bool) {
        self.writeback(with_pending);
        self.st_const(k as u64, JIT_STOP_INDEX);
        self.st_const(self.blk as *const Block as u64, JIT_BLOCK);
        self.b.ins().return_(&[code]);
    }

    /// Runs the op through the interpreter's handler.
    fn call_handler(&mut self, op: &Op, check_own_code: bool) {
        self.writeback(false);
        for s in self.rstate.iter_mut() {
            *s = RegState::Mem;
        }
        self.flags = Flags::Mem;
        if !self.rip_set {
            self.st_const(self.blk.end, offset_of!(Cpu, rip));
            self.rip_set = true;
        }
        let opp = self.c(op as *const Op as u64);
        let fp = self.c(jit_op as *const () as u64);
        let cpu = self.cpu();
        let call = self.b.ins().call_indirect(self.sref.op, fp, &[cpu, opp]);
        let r = self.b.inst_results(call)[0];
        let bad = self.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0);
        let (out, on) = self.split(bad);
        self.b.switch_to_block(out);
        self.stop_exit(r, self.k, false);
        self.b.switch_to_block(on);
        // A handler may have written to this block's code: the interpreter then stops at
        // the next instruction (`Stop::Resync`).
        if check_own_code {
            let vp = self.c(&self.blk.valid as *const _ as u64);
            let v = self.b.ins().load(I8, MemFlagsData::trusted(), vp, 0);
            let gone = self.b.ins().icmp_imm_u(IntCC::Equal, v, 0);
            let (out, on) = self.split(gone);
            self.b.switch_to_block(out);
            let code = self.b.ins().iconst(I32, stop_code(Stop::Resync) as i64);
            self.stop_exit(code, self.k + 1, false);
            self.b.switch_to_block(on);
        }
    }

    // ---- memory ----

    /// The effective address of the op's memory operand (`Cpu::ea`).
    fn ea(&mut self, op: &Op) -> Value {
        let mut a = self.c(op.disp);
        if op.base != ZERO_REG {
            let b = self.get(op.base);
            a = self.b.ins().iadd(a, b);
        }
        if op.index != ZERO_REG {
            let x = self.get(op.index);
            let x = self.shl_c(x, op.scale as u32);
            a = self.b.ins().iadd(a, x);
        }
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
    fn tlb_probe(&mut self, write: bool, addr: Value, w: u32) -> (Value, Value) {
        // Reloaded at each access (an L1 hit) rather than kept live across the unit.
        let base = self.ld_cpu(I64, MEM + if write { TLB_W_OFFSET } else { TLB_R_OFFSET });
        let idx = self.shr_c(addr, 12);
        let idx = self.and_c(idx, TLB_INDEX_MASK);
        let off = self.shl_c(idx, TLB_ENTRY_SHIFT);
        let e = self.b.ins().iadd(base, off);
        let page = self.b.ins().load(I64, MemFlagsData::trusted(), e, TLB_PAGE_OFFSET as i32);
        let last = if w > 8 {
            let d = self.c(w as u64 / 8 - 1);
            self.b.ins().iadd(addr, d)
        } else {
            addr
        };
        let lastp = self.and_c(last, !0xfff);
        let hit = self.b.ins().icmp(IntCC::Equal, page, lastp);
        (e, hit)
    }

    fn host_addr(&mut self, e: Value, addr: Value) -> Value {
        let addend = self.b.ins().load(I64, MemFlagsData::trusted(), e, TLB_ADDEND_OFFSET as i32);
        self.b.ins().iadd(addend, addr)
    }

    /// Leaves the unit before the current instruction unless `ok`, for the interpreter to
    /// run the rest of the block (`RESUME`): a TLB miss goes through the interpreter's own
    /// slow path, which fills the TLB, notices writes to code and raises faults exactly.
    fn resume_unless(&mut self, ok: Value) {
        let out = self.b.create_block();
        let on = self.b.create_block();
        self.b.set_cold_block(out);
        self.b.ins().brif(ok, on, &[], out, &[]);
        self.b.seal_block(out);
        self.b.seal_block(on);
        self.b.switch_to_block(out);
        let code = self.b.ins().iconst(I32, RESUME as i64);
        self.stop_exit(code, self.k, false);
        self.b.switch_to_block(on);
    }

    /// Loads `w` bits at `addr`, zero-extended, on a TLB hit (see `resume_unless`). `rmw`:
    /// the destination of a read-modify-write, looked up in the write TLB (whose pages are
    /// also readable), as `Cpu::rmw` does.
    fn load(&mut self, addr: Value, w: u32, rmw: bool) -> Value {
        let (e, hit) = self.tlb_probe(rmw, addr, w);
        self.resume_unless(hit);
        let host = self.host_addr(e, addr);
        let f = guest_mem();
        match w {
            8 => self.b.ins().uload8(I64, f, host, 0),
            16 => self.b.ins().uload16(I64, f, host, 0),
            32 => self.b.ins().uload32(f, host, 0),
            _ => self.b.ins().load(I64, f, host, 0),
        }
    }

    /// Stores the low `w` bits of `v` at `addr` on a write-TLB hit (see `resume_unless`;
    /// pages holding decoded code are never in the write TLB, so a hit cannot change code).
    /// The store is an instruction's last memory access.
    fn store(&mut self, addr: Value, v: Value, w: u32) {
        let (e, hit) = self.tlb_probe(true, addr, w);
        self.resume_unless(hit);
        let host = self.host_addr(e, addr);
        let f = guest_mem();
        match w {
            8 => self.b.ins().istore8(f, v, host, 0),
            16 => self.b.ins().istore16(f, v, host, 0),
            32 => self.b.ins().istore32(f, v, host, 0),
            _ => self.b.ins().store(f, v, host, 0),
        };
    }

    /// Reads an operand at width `w` (zero-extended).
    fn read(&mut self, s: Src, w: u32, op: &Op) -> Value {
        match s {
            Src::R(r) => self.rd(r, w),
            Src::I(v) => self.c(v & mask(w)),
            Src::M => {
                let a = self.ea(op);
                self.load(a, w, false)
            }
        }
    }

    // ---- flags ----

    fn set_flags(&mut self, op: CcOp, bits: u32, dst: Value, src: Value, res: Value, aux: Option<Value>) {
        self.pending_flags = Some(FlagSet { op, bits, dst, src, res, aux });
    }

    fn sign(&mut self, v: Value, bits: u32) -> Value {
        let s = self.shr_c(v, bits - 1);
        let s = self.and_c(s, 1);
        self.b.ins().icmp_imm_u(IntCC::NotEqual, s, 0)
    }

    /// Condition `cc` (Jcc's low nibble) as an I8 0/1.
    fn cond(&mut self, cc: u8) -> Value {
        let Flags::Known { op, bits } = self.flags else {
            let fp = self.c(jit_cond as *const () as u64);
            let ccv = self.b.ins().iconst(I32, cc as i64);
            let cpu = self.cpu();
            let call = self.b.ins().call_indirect(self.sref.cond, fp, &[cpu, ccv]);
            let r = self.b.inst_results(call)[0];
            // Registers are written through, so none need live across the call.
            self.rstate = [RegState::Mem; 16];
            return self.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0);
        };
        let dst = self.b.use_var(self.fv[0]);
        let src = self.b.use_var(self.fv[1]);
        let res = self.b.use_var(self.fv[2]);
        let neg = cc & 1 != 0;
        let r = match (cc >> 1, op) {
            (1, CcOp::Sub) => self.b.ins().icmp(IntCC::UnsignedLessThan, dst, src),
            (3, CcOp::Sub) => self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, dst, src),
            (6 | 7, CcOp::Sub) => {
                let s = 64 - bits;
                let a = self.shl_c(dst, s);
                let b = self.shl_c(src, s);
                let c = if cc >> 1 == 6 { IntCC::SignedLessThan } else { IntCC::SignedLessThanOrEqual };
                self.b.ins().icmp(c, a, b)
            }
            (0, _) => self.of(op, bits, dst, src, res),
            (1, _) => self.cf(op, dst, src, res),
            (2, _) => self.b.ins().icmp_imm_u(IntCC::Equal, res, 0),
            (3, _) => {
                let c = self.cf(op, dst, src, res);
                let z = self.b.ins().icmp_imm_u(IntCC::Equal, res, 0);
                self.b.ins().bor(c, z)
            }
            (4, _) => self.sign(res, bits),
            (5, _) => {
                let low = self.and_c(res, 0xff);
                let p = self.b.ins().popcnt(low);
                let p = self.and_c(p, 1);
                self.b.ins().icmp_imm_u(IntCC::Equal, p, 0)
            }
            (6, _) => {
                let s = self.sign(res, bits);
                let o = self.of(op, bits, dst, src, res);
                self.b.ins().bxor(s, o)
            }
            _ => {
                let s = self.sign(res, bits);
                let o = self.of(op, bits, dst, src, res);
                let l = self.b.ins().bxor(s, o);
                let z = self.b.ins().icmp_imm_u(IntCC::Equal, res, 0);
                self.b.ins().bor(l, z)
            }
        };
        if neg {
            self.b.ins().bxor_imm_u(r, 1)
        } else {
            r
        }
    }

    fn cf(&mut self, op: CcOp, dst: Value, src: Value, res: Value) -> Value {
        match op {
            CcOp::Add => self.b.ins().icmp(IntCC::UnsignedLessThan, res, dst),
            CcOp::Sub => self.b.ins().icmp(IntCC::UnsignedLessThan, dst, src),
            CcOp::Inc | CcOp::Dec => {
                let a = self.b.use_var(self.fv[3]);
                self.b.ins().icmp_imm_u(IntCC::NotEqual, a, 0)
            }
            CcOp::Shift => {
                let a = self.b.use_var(self.fv[3]);
                let a = self.and_c(a, 1);
                self.b.ins().icmp_imm_u(IntCC::NotEqual, a, 0)
            }
            _ => self.b.ins().iconst(I8, 0),
        }
    }

    fn of(&mut self, op: CcOp, bits: u32, dst: Value, src: Value, res: Value) -> Value {
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
            CcOp::Inc => self.b.ins().icmp_imm_u(IntCC::Equal, res, (1u64 << (bits - 1)) as i64),
            CcOp::Dec => self.b.ins().icmp_imm_u(IntCC::Equal, res, (mask(bits) >> 1) as i64),
            CcOp::Shift => {
                let a = self.b.use_var(self.fv[3]);
                let a = self.and_c(a, crate::flags::OF);
                self.b.ins().icmp_imm_u(IntCC::NotEqual, a, 0)
            }
            _ => self.b.ins().iconst(I8, 0),
        }
    }

    /// CF as a 0/1 I64 (for INC/DEC, which keep it).
    fn cf64(&mut self) -> Value {
        let c = match self.flags {
            Flags::Known { op, .. } => {
                let dst = self.b.use_var(self.fv[0]);
                let src = self.b.use_var(self.fv[1]);
                let res = self.b.use_var(self.fv[2]);
                self.cf(op, dst, src, res)
            }
            Flags::Mem => self.cond(cc_cf() as u8),
        };
        self.b64(c)
    }

    // ---- instructions ----

    /// Emits instruction `p`; returns the next rip if it transfers control.
    fn native(&mut self, p: &Plan, op: &Op) -> Option<Value> {
        match *p {
            Plan::Nop => {}
            Plan::Mov { w, dst, src } => {
                let v = self.read(src, w, op);
                match dst {
                    Src::R(r) => self.wr(r, w, v),
                    _ => {
                        let a = self.ea(op);
                        self.store(a, v, w);
                    }
                }
            }
            Plan::Movx { w, sw, signed, dst, src } => {
                let v = self.read(src, sw, op);
                let v = if signed {
                    let s = 64 - sw;
                    let t = self.shl_c(v, s);
                    let c = self.c(s as u64);
                    self.b.ins().sshr(t, c)
                } else {
                    v
                };
                self.wr(dst, w, v);
            }
            Plan::Lea { w, dst } => {
                let mut a = self.c(op.disp);
                if op.base != ZERO_REG {
                    let b = self.get(op.base);
                    a = self.b.ins().iadd(a, b);
                }
                if op.index != ZERO_REG {
                    let x = self.get(op.index);
                    let x = self.shl_c(x, op.scale as u32);
                    a = self.b.ins().iadd(a, x);
                }
                if op.addr32 {
                    a = self.and_c(a, 0xffff_ffff);
                }
                self.wr(dst, w, a);
            }
            Plan::Alu { op: a, w, dst, src, dead } => self.alu(a, w, dst, src, dead, op),
            Plan::Unary { op: u, w, dst, dead } => self.unary(u, w, dst, dead, op),
            Plan::ShiftImm { op: s, w, r, c, dead } => self.shift_imm(s, w, r, c, dead),
            Plan::ShiftCl { op: s, w, r } => {
                let a = self.rd(r, w);
                let cl = self.get(1);
                let cnt = self.and_c(cl, if w == 64 { 63 } else { 31 });
                let v = match (s, w) {
                    (Sh::Shl, _) => self.b.ins().ishl(a, cnt),
                    (Sh::Shr, _) => self.b.ins().ushr(a, cnt),
                    (Sh::Sar, 64) => self.b.ins().sshr(a, cnt),
                    (Sh::Sar, _) => {
                        let t = self.b.ins().ireduce(I32, a);
                        let c32 = self.b.ins().ireduce(I32, cnt);
                        let r = self.b.ins().sshr(t, c32);
                        self.b.ins().uextend(I64, r)
                    }
                    (Sh::Rol | Sh::Ror, 64) => {
                        if s == Sh::Rol {
                            self.b.ins().rotl(a, cnt)
                        } else {
                            self.b.ins().rotr(a, cnt)
                        }
                    }
                    (Sh::Rol | Sh::Ror, _) => {
                        let t = self.b.ins().ireduce(I32, a);
                        let c32 = self.b.ins().ireduce(I32, cnt);
                        let r =
                            if s == Sh::Rol { self.b.ins().rotl(t, c32) } else { self.b.ins().rotr(t, c32) };
                        self.b.ins().uextend(I64, r)
                    }
                };
                // A zero count leaves the register as it was (zero-extended at 32 bits,
                // which `wr` does anyway), and the shifts above give exactly that.
                self.wr(r, w, v);
            }
            Plan::Imul { w, dst, src, imm } => {
                let (a, b) = match imm {
                    Some(i) => {
                        let a = self.read(src, w, op);
                        (a, self.c(i))
                    }
                    None => {
                        let b = self.read(src, w, op);
                        (self.rd(dst, w), b)
                    }
                };
                let v = self.b.ins().imul(a, b);
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
                    Src::R(r) => self.wr(r, 8, v),
                    _ => {
                        let a = self.ea(op);
                        self.store(a, v, 8);
                    }
                }
            }
            Plan::Push { src } => {
                let v = self.read(src, 64, op);
                let sp = self.get(4);
                let eight = self.c(8);
                let sp = self.b.ins().isub(sp, eight);
                self.pending.push((4, sp));
                self.store(sp, v, 64);
            }
            Plan::Pop { r } => {
                let sp = self.get(4);
                let v = self.load(sp, 64, false);
                let eight = self.c(8);
                let nsp = self.b.ins().iadd(sp, eight);
                self.pending.push((4, nsp));
                self.pending.push((r, v));
            }
            Plan::Jmp { target } => return Some(self.read(target, 64, op)),
            Plan::Jcc { cc, target } => {
                let c = self.cond(cc);
                let t = self.c(target);
                let f = self.c(op.next());
                return Some(self.b.ins().select(c, t, f));
            }
            Plan::Call { target } => {
                let t = self.read(target, 64, op);
                let sp = self.get(4);
                let eight = self.c(8);
                let sp = self.b.ins().isub(sp, eight);
                self.pending.push((4, sp));
                let ret = self.c(op.next());
                self.store(sp, ret, 64);
                return Some(t);
            }
            Plan::Ret { imm } => {
                let sp = self.get(4);
                let v = self.load(sp, 64, false);
                let d = self.c(8 + imm);
                let nsp = self.b.ins().iadd(sp, d);
                self.pending.push((4, nsp));
                return Some(v);
            }
            Plan::SignExt { w, dx } => {
                if dx {
                    let a = self.rd(0, w);
                    let t = self.shl_c(a, 64 - w);
                    let c = self.c(63);
                    let s = self.b.ins().sshr(t, c);
                    self.wr(2, w, s);
                } else {
                    let h = w / 2;
                    let a = self.rd(0, h);
                    let t = self.shl_c(a, 64 - h);
                    let c = self.c((64 - h) as u64);
                    let s = self.b.ins().sshr(t, c);
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
        }
        None
    }

    fn alu(&mut self, a: Alu, w: u32, dst: Src, src: Src, dead: bool, op: &Op) {
        let m = mask(w);
        let writes = !matches!(a, Alu::Cmp | Alu::Test);
        // The destination: a register, or memory (read-modify-write through the write TLB
        // when the result is stored).
        let (x, addr) = match dst {
            Src::R(r) => (self.rd(r, w), None),
            _ => {
                let ad = self.ea(op);
                (self.load(ad, w, writes), Some(ad))
            }
        };
        let y = self.read(src, w, op);
        let (r, kind) = match a {
            Alu::Add => {
                let r = self.b.ins().iadd(x, y);
                (self.and_c(r, m), CcOp::Add)
            }
            Alu::Sub | Alu::Cmp => {
                let r = self.b.ins().isub(x, y);
                (self.and_c(r, m), CcOp::Sub)
            }
            Alu::Or => (self.b.ins().bor(x, y), CcOp::Logic),
            Alu::And | Alu::Test => (self.b.ins().band(x, y), CcOp::Logic),
            Alu::Xor => (self.b.ins().bxor(x, y), CcOp::Logic),
        };
        if !dead {
            self.set_flags(kind, w, x, y, r, None);
        }
        if writes {
            match (dst, addr) {
                (Src::R(d), _) => self.wr(d, w, r),
                (_, Some(ad)) => self.store(ad, r, w),
                _ => unreachable!("a destination is a register or memory"),
            }
        }
    }

    fn unary(&mut self, u: Un, w: u32, dst: Src, dead: bool, op: &Op) {
        let m = mask(w);
        let (x, addr) = match dst {
            Src::R(r) => (self.rd(r, w), None),
            _ => {
                let ad = self.ea(op);
                (self.load(ad, w, true), Some(ad))
            }
        };
        let r = match u {
            Un::Inc | Un::Dec => {
                let one = self.c(1);
                let r = if u == Un::Inc { self.b.ins().iadd(x, one) } else { self.b.ins().isub(x, one) };
                let r = self.and_c(r, m);
                if !dead {
                    let cf = self.cf64();
                    let kind = if u == Un::Inc { CcOp::Inc } else { CcOp::Dec };
                    self.set_flags(kind, w, x, one, r, Some(cf));
                }
                r
            }
            Un::Neg => {
                let r = self.b.ins().ineg(x);
                let r = self.and_c(r, m);
                if !dead {
                    let z = self.c(0);
                    self.set_flags(CcOp::Sub, w, z, x, r, None);
                }
                r
            }
            Un::Not => {
                let r = self.b.ins().bnot(x);
                self.and_c(r, m)
            }
        };
        match (dst, addr) {
            (Src::R(d), _) => self.wr(d, w, r),
            (_, Some(ad)) => self.store(ad, r, w),
            _ => unreachable!("a destination is a register or memory"),
        }
    }

    /// Shifts and rotates of a register by a constant 0 < c < w (`shift.rs` semantics).
    fn shift_imm(&mut self, s: Sh, w: u32, r: u8, c: u32, dead: bool) {
        let m = mask(w);
        let a = self.rd(r, w);
        let v = match s {
            Sh::Shl => {
                let t = self.shl_c(a, c);
                self.and_c(t, m)
            }
            Sh::Shr => self.shr_c(a, c),
            Sh::Sar => {
                let t = self.shl_c(a, 64 - w);
                let k = self.c((64 - w + c) as u64);
                let t = self.b.ins().sshr(t, k);
                self.and_c(t, m)
            }
            Sh::Rol | Sh::Ror => {
                let k = if s == Sh::Rol { c } else { w - c };
                let hi = self.shl_c(a, k);
                let lo = self.shr_c(a, w - k);
                let t = self.b.ins().bor(hi, lo);
                self.and_c(t, m)
            }
        };
        if !dead && matches!(s, Sh::Shl | Sh::Shr | Sh::Sar) {
            // aux: AF (always set), CF, OF<<11 as `shift` computes them.
            let bit = |tx: &mut Self, v: Value, n: u32| {
                let t = tx.shr_c(v, n);
                tx.and_c(t, 1)
            };
            let (cf, of) = match s {
                Sh::Shl => {
                    let cf = bit(self, a, w - c);
                    let msb = bit(self, v, w - 1);
                    (cf, self.b.ins().bxor(cf, msb))
                }
                Sh::Shr => {
                    let cf = bit(self, a, c - 1);
                    let b1 = bit(self, v, w - 1);
                    let b2 = bit(self, v, w - 2);
                    (cf, self.b.ins().bxor(b1, b2))
                }
                _ => {
                    // SAR: the last bit out of the sign-extended operand; OF = 0.
                    // (c < w here, so that bit is inside the operand.)
                    let cf = bit(self, a, c - 1);
                    (cf, self.c(0))
                }
            };
            let of = self.shl_c(of, 11);
            let aux = self.b.ins().bor(cf, of);
            let af = self.c(crate::flags::AF);
            let aux = self.b.ins().bor(aux, af);
            let z = self.c(0);
            self.set_flags(CcOp::Shift, w, z, z, v, Some(aux));
        }
        self.wr(r, w, v);
    }

    /// The end of a unit that ran through: jumps to the next unit if a link slot for
    /// `rip` is valid and the budget allows, else returns to the loop (leaving the slot
    /// to fill).
    fn chain(&mut self, icount: Value, rip: Value, links: &[Link; 2], dynamic: bool) {
        let f = MemFlagsData::trusted();
        self.st_const(self.blk as *const Block as u64, JIT_BLOCK);
        let check = self.ld_cpu(I64, JIT_CHECK_AT);
        let due = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, icount, check);
        let ret0 = self.b.create_block();
        let go = self.b.create_block();
        self.b.ins().brif(due, ret0, &[], go, &[]);
        self.b.seal_block(go);
        self.b.switch_to_block(go);
        let gen = self.ld_cpu(I64, CACHE_GEN);
        // Slot 0 then slot 1; when neither matches, the loop fills a stale one or slot 1.
        let mut fill: Option<Value> = None;
        for (i, l) in links.iter().enumerate() {
            let lp = self.c(l as *const Link as u64);
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
            let cpu = self.cpu();
            self.b.ins().return_call_indirect(self.sref.unit, code, &[cpu]);
            self.b.switch_to_block(next);
            if i == 0 {
                let stale = self.b.ins().icmp(IntCC::NotEqual, lgen, gen);
                let l1 = self.c(&links[1] as *const Link as u64);
                fill = Some(self.b.ins().select(stale, lp, l1));
            }
        }
        if dynamic {
            // The jump cache: entry at jc_index(rip).
            let jc = self.ld_cpu(I64, JIT_JC);
            let h = self.shr_c(rip, JC_BITS);
            let h = self.b.ins().bxor(h, rip);
            let h = self.and_c(h, JC_SIZE as u64 - 1);
            let h = self.shl_c(h, std::mem::size_of::<JcEntry>().trailing_zeros());
            let e = self.b.ins().iadd(jc, h);
            let erip = self.b.ins().load(I64, f, e, offset_of!(JcEntry, rip) as i32);
            let egen = self.b.ins().load(I64, f, e, offset_of!(JcEntry, gen) as i32);
            let same_rip = self.b.ins().icmp(IntCC::Equal, erip, rip);
            let same_gen = self.b.ins().icmp(IntCC::Equal, egen, gen);
            let ok = self.b.ins().band(same_rip, same_gen);
            let jump = self.b.create_block();
            let next = self.b.create_block();
            self.b.ins().brif(ok, jump, &[], next, &[]);
            self.b.seal_block(jump);
            self.b.seal_block(next);
            self.b.switch_to_block(jump);
            let code = self.b.ins().load(I64, f, e, offset_of!(JcEntry, code) as i32);
            let cpu = self.cpu();
            self.b.ins().return_call_indirect(self.sref.unit, code, &[cpu]);
            self.b.switch_to_block(next);
        }
        self.st_cpu(fill.expect("two slots"), JIT_LINK);
        let z = self.b.ins().iconst(I32, RUN_ON as i64);
        self.b.ins().return_(&[z]);
        self.b.seal_block(ret0);
        self.b.switch_to_block(ret0);
        let z = self.b.ins().iconst(I32, RUN_ON as i64);
        self.b.ins().return_(&[z]);
    }
}
