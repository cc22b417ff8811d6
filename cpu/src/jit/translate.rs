//! Region -> Cranelift function -> host code.
//!
//! A unit is one function with the tail-call ABI, `fn(cpu) -> u32`, the CPU pointer also
//! in the pinned register. Its entry block loads the guest registers the region uses, the
//! instruction count and the budget mark, then jumps to the head block; each guest block
//! of the region is a Cranelift block (plus the cold blocks of its side exits), and the
//! region's internal edges are plain jumps, so loops stay inside the unit with guest
//! values in host registers.
//!
//! Every block boundary inside a unit compares the instruction count with
//! `JitState::check_at` (the budget, or the next look at `request_stop`) and leaves when it
//! is reached: both tiers stop at the same block boundaries, which keeps signals, thread
//! switches and replay independent of the tier.
//!
//! Exits. At a static edge out of the region the unit stores what the CPU structure lacks
//! (registers, flags, instruction count) and jumps into the target's unit through a link
//! slot of its own, which the run loop fills the first time (guarded by the block cache's
//! generation, like the interpreter's links); a return or indirect jump looks its target up
//! in the jump cache. Side exits in the middle of a block (a stop from a handler, a fault
//! in a slow memory access, a write to decoded code) note the block and instruction for
//! the loop, which goes on exactly as the interpreter would.

use super::execmem::ExecMem;
use super::lower::{
    Next, SigRefs, Slow, Tx, CACHE_GEN, CODE_CHANGED, ICOUNT, JIT_BLOCK, JIT_CHECK_AT, JIT_JC, JIT_LINK,
    JIT_STATUS, RIP,
};
use super::region::{End, FlagsIn, Region};
use super::{stop_code, JcEntry, Link, Unit, JC_BITS, JC_SIZE, RUN_ON};
use crate::decode::{end_op, Block, Op};
use crate::state::Cpu;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I32, I64};
use cranelift_codegen::ir::{
    AbiParam, Block as ClBlock, Function, InstBuilder, MemFlagsData, Signature, Type, UserFuncName, Value,
};
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
    slow: Slow,
    ctx: Context,
    fctx: FunctionBuilderContext,
    full: bool,
}

/// Why a region was not translated.
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
        flags.set("opt_level", &std::env::var("EMU_JIT_OPT").unwrap_or("speed".into())).ok()?;
        flags
            .set("regalloc_algorithm", &std::env::var("EMU_JIT_RA").unwrap_or("backtracking".into()))
            .ok()?;
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
            slow: Slow {
                cond: std::ptr::null(),
                ld: std::ptr::null(),
                ld_rmw: std::ptr::null(),
                st: std::ptr::null(),
            },
            ctx: Context::new(),
            fctx: FunctionBuilderContext::new(),
            full: false,
        };
        b.enter = b.make_enter().ok()?;
        b.slow = Slow {
            cond: b.make_slow(jit_cond as *const (), &[I64, I32]).ok()?,
            ld: b.make_slow(jit_ld as *const (), &[I64, I64, I32]).ok()?,
            ld_rmw: b.make_slow(jit_ld_rmw as *const (), &[I64, I64, I32]).ok()?,
            st: b.make_slow(jit_st as *const (), &[I64, I64, I64, I32]).ok()?,
        };
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

    /// The signature of a slow-path trampoline (`Slow`).
    fn slow_sig(&self, params: &[Type]) -> Signature {
        let mut s = Signature::new(CallConv::PreserveAll);
        for &p in params {
            s.params.push(AbiParam::new(p));
        }
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

    /// A trampoline that calls `f` (host ABI, `params`, returning u32) preserving every
    /// register, and leaves its result in `JitState::status`.
    fn make_slow(&mut self, f: *const (), params: &[Type]) -> Result<*const u8, TxError> {
        let sig = self.slow_sig(params);
        let hsig = self.host_sig(params, Some(I32));
        self.ctx.func = Function::with_name_signature(UserFuncName::default(), sig);
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        b.seal_block(blk);
        let args = b.block_params(blk).to_vec();
        let sref = b.import_signature(hsig);
        let fp = b.ins().iconst(I64, f as i64);
        let call = b.ins().call_indirect(sref, fp, &args);
        let r = b.inst_results(call)[0];
        b.ins().store(MemFlagsData::trusted(), r, args[0], JIT_STATUS as i32);
        b.ins().return_(&[]);
        b.finalize(self.isa.frontend_config());
        Ok(self.emit()?.0)
    }

    /// Translates `region`.
    pub fn translate(&mut self, region: &Region) -> Result<Translated, TxError> {
        // The instructions run through their handler: each one's copy, followed by an end op.
        let mut ops = Vec::new();
        let mut copy_at: Vec<Vec<usize>> = Vec::new();
        // A link slot for every static edge out of the region.
        let mut nlinks = 0;
        let mut link_at: Vec<[usize; 2]> = Vec::new();
        let (mut native, mut called) = (0, 0);
        for rb in &region.blocks {
            let mut at = vec![usize::MAX; rb.ops.len()];
            for (k, op) in rb.ops.iter().enumerate() {
                if rb.plans[k].is_none() {
                    at[k] = ops.len();
                    ops.push(op.copy());
                    ops.push(end_op(op.next()));
                    called += 1;
                } else {
                    native += 1;
                }
            }
            copy_at.push(at);
            let t = rb.targets();
            let mut l = [usize::MAX; 2];
            for s in 0..2 {
                if t[s].is_some() && rb.succ[s].is_none() {
                    l[s] = nlinks;
                    nlinks += 1;
                }
            }
            link_at.push(l);
        }
        let mut unit = Box::new(Unit {
            code: std::ptr::null(),
            links: (0..nlinks).map(|_| Link::default()).collect(),
            ops: ops.into_boxed_slice(),
        });
        let usig = self.unit_sig();
        let sigs = [
            self.host_sig(&[I64, I64], Some(I32)),
            self.slow_sig(&[I64, I32]),
            self.slow_sig(&[I64, I64, I32]),
            self.slow_sig(&[I64, I64, I64, I32]),
        ];
        self.ctx.func = Function::with_name_signature(UserFuncName::default(), usig.clone());
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let [s_op, s1, s2, s3] = sigs;
        let sref = SigRefs {
            unit: b.import_signature(usig),
            op: b.import_signature(s_op),
            slow1: b.import_signature(s1),
            slow2: b.import_signature(s2),
            slow3: b.import_signature(s3),
        };
        let mut tx = Tx::new(b, sref, self.slow, region);
        tx.load_regs(region.used);
        for k in 0..4 {
            let z = tx.c(0);
            tx.b.def_var(tx.fv[k], z);
        }
        let n = region.blocks.len();
        let cl: Vec<_> = (0..n).map(|_| tx.b.create_block()).collect();
        tx.b.ins().jump(cl[0], &[]);
        // Blocks whose predecessors all come before them are sealed when they start.
        let late_pred: Vec<bool> = (0..n)
            .map(|j| {
                j == 0 && region.blocks.iter().any(|b| b.succ.contains(&Some(0)))
                    || region.blocks.iter().enumerate().any(|(i, b)| i >= j && b.succ.contains(&Some(j)))
            })
            .collect();
        for j in 0..n {
            if !late_pred[j] {
                tx.b.seal_block(cl[j]);
            }
            tx.b.switch_to_block(cl[j]);
            tx.start_block(j);
            let rb = &region.blocks[j];
            let mut next = Next::On;
            for (k, &at) in copy_at[j].iter().enumerate() {
                tx.k = k;
                match &rb.plans[k] {
                    Some(p) => {
                        next = tx.native(p, rb.ops[k]);
                        tx.commit();
                    }
                    None => {
                        let h = rb.handlers[k];
                        tx.call_handler(&unit.ops[at], h.flags, h.stores);
                        next = Next::On;
                    }
                }
            }
            tx.block_end(next, &cl, &unit.links, &link_at[j]);
            tx.finish_block();
        }
        tx.b.seal_all_blocks();
        tx.b.finalize(self.isa.frontend_config());
        let (code, bytes) = self.emit()?;
        unit.code = code;
        Ok(Translated { unit, bytes, native, called })
    }
}

unsafe extern "C" fn dummy_enter(_: *mut Cpu, _: *const u8) -> u32 {
    unreachable!("the entry trampoline is compiled before any unit")
}

// ---- block ends and exits ----

impl Tx<'_> {
    /// Ends the current block: edges to blocks of the region, or exits.
    ///
    /// `Cpu::icount` always holds the count at the start of the current block (side exits
    /// need not store it), so the block's end adds the block's instructions and compares
    /// with `check_at`: the budget is checked at every block boundary, as the interpreter
    /// does, and nothing of it stays live in registers across the unit.
    fn block_end(&mut self, next: Next, cl: &[ClBlock], links: &[Link], link_at: &[usize; 2]) {
        // Every way out of the block, to a block of the region or away, has the registers
        // in the CPU.
        self.sync_regs();
        let rb = self.rb();
        let ic = self.ld_cpu(I64, ICOUNT);
        let icn = self.add_imm(ic, rb.blk.insns as i64);
        self.st_cpu(icn, ICOUNT);
        let check = self.ld_cpu(I64, JIT_CHECK_AT);
        let due = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, icn, check);
        match rb.end {
            End::To(t) => {
                let tv = self.c(t);
                if rb.succ[0].is_some() {
                    self.leave_if(due, tv, true);
                }
                self.edge(0, t, due, cl, links, link_at);
            }
            End::Cond { taken, fall, .. } => {
                let Next::Cond(c) = next else { unreachable!("a conditional end has a condition") };
                if rb.succ.iter().any(Option::is_some) {
                    let t = self.c(taken);
                    let f = self.c(fall);
                    let rip = self.b.ins().select(c, t, f);
                    self.leave_if(due, rip, true);
                }
                let (ta, fa) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(c, ta, &[], fa, &[]);
                self.b.seal_block(ta);
                self.b.seal_block(fa);
                self.b.switch_to_block(ta);
                self.edge(0, taken, due, cl, links, link_at);
                self.b.switch_to_block(fa);
                self.edge(1, fall, due, cl, links, link_at);
            }
            End::Dynamic => {
                let rip = match next {
                    Next::To(v) => v,
                    _ => self.ld_cpu(I64, RIP),
                };
                self.exit_dynamic(rip, due);
            }
        }
    }

    /// Returns to the loop, going on at `rip`, when `due` (the budget is reached); `spill`:
    /// the flags are still to be stored.
    fn leave_if(&mut self, due: Value, rip: Value, spill: bool) {
        let (out, on) = self.split(due);
        self.b.switch_to_block(out);
        if spill {
            self.spill(false);
        }
        self.st_cpu(rip, RIP);
        self.ret_to_loop();
        self.b.switch_to_block(on);
    }

    /// The edge through static target slot `s` to `target` (the budget checked already
    /// when the target is in the region).
    fn edge(&mut self, s: usize, target: u64, due: Value, cl: &[ClBlock], links: &[Link], la: &[usize; 2]) {
        match self.rb().succ[s] {
            Some(t) => {
                if self.region.blocks[t].flags_in == FlagsIn::Mem {
                    self.sync_flags();
                }
                self.b.ins().jump(cl[t], &[]);
            }
            None => self.exit_static(target, due, &links[la[s]]),
        }
    }

    /// Notes the current block for the loop and returns to it.
    fn ret_to_loop(&mut self) {
        self.st_const(self.blk() as *const Block as u64, JIT_BLOCK);
        let z = self.b.ins().iconst(I32, RUN_ON as i64);
        self.b.ins().return_(&[z]);
    }

    /// Leaves the region to `target` (a static edge): into the target's unit through the
    /// link slot if it is filled in this generation and the budget allows, else back to
    /// the loop, which fills the slot.
    fn exit_static(&mut self, target: u64, due: Value, link: &Link) {
        self.spill(false);
        let tv = self.c(target);
        self.leave_if(due, tv, false);
        let f = MemFlagsData::trusted();
        let gen = self.ld_cpu(I64, CACHE_GEN);
        let lp = self.c(link as *const Link as u64);
        let lgen = self.b.ins().load(I64, f, lp, offset_of!(Link, gen) as i32);
        let ok = self.b.ins().icmp(IntCC::Equal, lgen, gen);
        let (jump, fill) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(ok, jump, &[], fill, &[]);
        self.b.seal_block(jump);
        self.b.seal_block(fill);
        self.b.switch_to_block(jump);
        let code = self.b.ins().load(I64, f, lp, offset_of!(Link, code) as i32);
        let cpu = self.cpu();
        self.b.ins().return_call_indirect(self.sref.unit, code, &[cpu]);
        self.b.switch_to_block(fill);
        self.st_cpu(tv, RIP);
        self.st_cpu(lp, JIT_LINK);
        self.ret_to_loop();
    }

    /// Leaves to an address known only now (a return, an indirect jump): into its unit if
    /// the jump cache has it, else back to the loop.
    fn exit_dynamic(&mut self, rip: Value, due: Value) {
        self.spill(false);
        self.leave_if(due, rip, false);
        let f = MemFlagsData::trusted();
        let jc = self.ld_cpu(I64, JIT_JC);
        let h = self.shr_c(rip, JC_BITS);
        let h = self.b.ins().bxor(h, rip);
        let shift = std::mem::size_of::<JcEntry>().trailing_zeros();
        let h = self.shl_c(h, shift);
        let h = self.b.ins().band_imm_s(h, ((JC_SIZE as u64 - 1) << shift) as i64);
        let e = self.b.ins().iadd(jc, h);
        let erip = self.b.ins().load(I64, f, e, offset_of!(JcEntry, rip) as i32);
        let egen = self.b.ins().load(I64, f, e, offset_of!(JcEntry, gen) as i32);
        let gen = self.ld_cpu(I64, CACHE_GEN);
        let same_rip = self.b.ins().icmp(IntCC::Equal, erip, rip);
        let same_gen = self.b.ins().icmp(IntCC::Equal, egen, gen);
        let ok = self.b.ins().band(same_rip, same_gen);
        let (jump, miss) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(ok, jump, &[], miss, &[]);
        self.b.seal_block(jump);
        self.b.seal_block(miss);
        self.b.switch_to_block(jump);
        let code = self.b.ins().load(I64, f, e, offset_of!(JcEntry, code) as i32);
        let cpu = self.cpu();
        self.b.ins().return_call_indirect(self.sref.unit, code, &[cpu]);
        self.b.switch_to_block(miss);
        self.st_cpu(rip, RIP);
        self.ret_to_loop();
    }
}

// ---- helpers called from translated code ----

/// Runs one op through its handler (the op is followed by an end op, so the handler
/// returns after it). Returns 0 or the stop plus one.
pub(super) extern "C" fn jit_op(cpu: *mut Cpu, op: *const Op) -> u32 {
    // SAFETY: translated code passes the CPU it runs on and one of its unit's op copies.
    let (cpu, op) = unsafe { (&mut *cpu, &*op) };
    match (op.f.get())(cpu, op) {
        Ok(()) => RUN_ON,
        Err(s) => stop_code(s),
    }
}

/// Condition `cc` of the flags in the CPU (set by code outside the unit).
pub(super) extern "C" fn jit_cond(cpu: *mut Cpu, cc: u32) -> u32 {
    // SAFETY: translated code passes the CPU it runs on.
    let cpu = unsafe { &*cpu };
    cpu.lf.cond(cc as u8) as u32
}

/// The interpreter's load of `w` bits at `addr` (a TLB miss in translated code): the value
/// goes to `JitState::scratch`. Returns 0 or the stop plus one.
pub(super) extern "C" fn jit_ld(cpu: *mut Cpu, addr: u64, w: u32) -> u32 {
    // SAFETY: translated code passes the CPU it runs on.
    let cpu = unsafe { &mut *cpu };
    let r = match w {
        8 => cpu.ld::<8>(addr),
        16 => cpu.ld::<16>(addr),
        32 => cpu.ld::<32>(addr),
        _ => cpu.ld::<64>(addr),
    };
    match r {
        Ok(v) => {
            cpu.jit.scratch = v;
            RUN_ON
        }
        Err(s) => stop_code(s),
    }
}

/// `jit_ld` for the destination of a read-modify-write (`Cpu::ld_rmw`).
pub(super) extern "C" fn jit_ld_rmw(cpu: *mut Cpu, addr: u64, w: u32) -> u32 {
    // SAFETY: translated code passes the CPU it runs on.
    let cpu = unsafe { &mut *cpu };
    let r = match w {
        8 => cpu.ld_rmw::<8>(addr),
        16 => cpu.ld_rmw::<16>(addr),
        32 => cpu.ld_rmw::<32>(addr),
        _ => cpu.ld_rmw::<64>(addr),
    };
    match r {
        Ok(v) => {
            cpu.jit.scratch = v;
            RUN_ON
        }
        Err(s) => stop_code(s),
    }
}

/// The interpreter's store of the low `w` bits of `v` at `addr` (a write-TLB miss: the
/// page may hold decoded code, whose blocks it drops). Returns 0, the stop plus one, or
/// `CODE_CHANGED` when blocks were dropped (the running unit may be one of them).
pub(super) extern "C" fn jit_st(cpu: *mut Cpu, addr: u64, v: u64, w: u32) -> u32 {
    // SAFETY: translated code passes the CPU it runs on.
    let cpu = unsafe { &mut *cpu };
    let gen = cpu.cache.gen;
    let r = match w {
        8 => cpu.st::<8>(addr, v),
        16 => cpu.st::<16>(addr, v),
        32 => cpu.st::<32>(addr, v),
        _ => cpu.st::<64>(addr, v),
    };
    match r {
        Ok(()) if cpu.cache.gen != gen => CODE_CHANGED,
        Ok(()) => RUN_ON,
        Err(s) => stop_code(s),
    }
}
