//! Region -> Cranelift function -> host code.
//!
//! A unit is one function with the tail-call ABI, `fn(cpu) -> u32`; the CPU pointer stays
//! an ordinary value, which the register allocator keeps in a register (no pinned
//! register: one more for guest values, and no copies of it). Its entry block loads the
//! guest registers the region uses, the instruction count and the budget mark, then
//! jumps to the head block; each guest block of the region is a Cranelift block (plus the
//! cold blocks of its side exits), and the region's internal edges are plain jumps, so
//! loops stay inside the unit with guest values in host registers.
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
    trusted, Next, SigRefs, Stubs, Tx, CACHE_GEN, ICOUNT, JIT_BLOCK, JIT_CHECK_AT, JIT_JC, JIT_LINK,
    JIT_STATUS, RIP,
};
use super::region::{End, FlagsIn, Region};
use super::{stop_code, JcEntry, Link, Unit, JC_BITS, JC_SIZE, RESUME, RUN_ON};
use crate::decode::{end_op, Op, RIP_HASH_MUL};
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

/// `copy_at` of an instruction run through its handler as part of a run started earlier.
const RUN_REST: usize = usize::MAX - 1;

/// The entry trampoline: called from Rust with the C ABI as (cpu, a unit's code, the guest
/// address it is entered at), calls the unit (tail-call ABI).
pub(crate) type Enter = unsafe extern "C" fn(*mut Cpu, *const u8, u64) -> u32;

/// Builds and compiles units. It owns a Cranelift context, so each thread that compiles
/// has one (the main thread, and the compile thread of `worker`).
pub(crate) struct CodeGen {
    isa: OwnedTargetIsa,
    stubs: Stubs,
    ctx: Context,
    fctx: FunctionBuilderContext,
}

/// A compiled unit, not yet in code memory.
pub(crate) struct Compiled {
    pub unit: Box<Unit>,
    pub code: Vec<u8>,
    pub native: u64,
    pub called: u64,
    /// Host time the compilation took.
    pub ns: u64,
}

/// Code memory and what lives in it for good (the entry and slow-path trampolines), plus
/// a code generator for translations on the main thread.
pub(crate) struct Backend {
    gen: CodeGen,
    mem: ExecMem,
    /// Where code memory restarts after a flush (the trampolines stay).
    floor: usize,
    pub enter: Enter,
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

/// A unit in code memory, and what it cost, for the statistics.
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
        flags.set("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" }).ok()?;
        let isa = cranelift_native::builder().ok()?.finish(settings::Flags::new(flags)).ok()?;
        let mem = ExecMem::new(code_bytes).ok()?;
        let none = Stubs { cond: 0, ld: 0, ld_rmw: 0, st: 0, chain: 0, chain_dyn: 0 };
        let mut b = Backend { gen: CodeGen::new(isa, none), mem, floor: 0, enter: dummy_enter };
        let code = b.gen.make_enter().ok()?;
        // SAFETY: the code just compiled has exactly this signature.
        b.enter = unsafe { std::mem::transmute::<*const u8, Enter>(b.place(&code).ok()?) };
        let mut tramp = |f: *const (), params: &[Type]| -> Option<u64> {
            let code = b.gen.make_slow(f, params).ok()?;
            Some(b.place(&code).ok()? as u64)
        };
        let mut stubs = Stubs {
            cond: tramp(jit_cond as *const (), &[I64, I32])?,
            ld: tramp(jit_ld as *const (), &[I64, I64, I32])?,
            ld_rmw: tramp(jit_ld_rmw as *const (), &[I64, I64, I32])?,
            st: tramp(jit_st as *const (), &[I64, I64, I64, I32])?,
            chain: 0,
            chain_dyn: 0,
        };
        let code = b.gen.make_chain(false).ok()?;
        stubs.chain = b.place(&code).ok()? as u64;
        let code = b.gen.make_chain(true).ok()?;
        stubs.chain_dyn = b.place(&code).ok()? as u64;
        b.gen.stubs = stubs;
        b.floor = b.mem.used();
        Some(b)
    }

    /// A code generator for another thread, making the same code as this one's.
    pub fn codegen(&self) -> CodeGen {
        CodeGen::new(self.gen.isa.clone(), self.gen.stubs)
    }

    /// Empties the code memory but for the trampolines. False if it cannot be written
    /// again (see `ExecMem::reset_to`).
    pub fn reset(&mut self) -> bool {
        self.mem.reset_to(self.floor)
    }

    /// In a forked child: see `ExecMem::after_fork`.
    pub fn after_fork(&mut self) -> bool {
        self.mem.after_fork()
    }

    /// Copies code into code memory.
    fn place(&mut self, code: &[u8]) -> Result<*const u8, TxError> {
        self.mem.push(code).ok_or(TxError::Full)
    }

    /// Translates `region` on this thread.
    pub fn translate(&mut self, region: &Region) -> Result<Compiled, TxError> {
        self.gen.translate(region)
    }

    /// Puts a compiled unit into code memory (or gives it back with the reason).
    pub fn install(&mut self, mut c: Compiled) -> Result<Translated, (TxError, Compiled)> {
        match self.place(&c.code) {
            Ok(p) => {
                c.unit.code = p;
                Ok(Translated { unit: c.unit, bytes: c.code.len(), native: c.native, called: c.called })
            }
            Err(e) => Err((e, c)),
        }
    }
}

impl CodeGen {
    fn new(isa: OwnedTargetIsa, stubs: Stubs) -> CodeGen {
        CodeGen { isa, stubs, ctx: Context::new(), fctx: FunctionBuilderContext::new() }
    }

    /// A unit's signature: (cpu, rip), rip being the guest address it is entered at (the
    /// head's, or another entry's: see `Region::entries`).
    fn unit_sig(&self) -> Signature {
        self.tail_sig(2)
    }

    /// A tail-call ABI signature with `n` I64 parameters, returning an I32 (units, and the
    /// chaining stubs they jump to).
    fn tail_sig(&self, n: usize) -> Signature {
        let mut s = Signature::new(CallConv::Tail);
        for _ in 0..n {
            s.params.push(AbiParam::new(I64));
        }
        s.returns.push(AbiParam::new(I32));
        s
    }

    /// A chaining stub (see `Stubs`): (cpu, rip, link, block), or with `dynamic` (cpu,
    /// rip, block).
    fn make_chain(&mut self, dynamic: bool) -> Result<Vec<u8>, TxError> {
        let f = MemFlagsData::trusted();
        let sig = self.tail_sig(if dynamic { 3 } else { 4 });
        self.ctx.func = Function::with_name_signature(UserFuncName::default(), sig);
        let usig = self.unit_sig();
        let fsig = self.host_sig(&[I64, I64], Some(I64));
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let usig = b.import_signature(usig);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let p = b.block_params(entry).to_vec();
        let (cpu, rip) = (p[0], p[1]);
        let blk = if dynamic { p[2] } else { p[3] };
        let (go, ret) = (b.create_block(), b.create_block());
        // The budget (or the next look at request_stop): back to the loop.
        let ic = b.ins().load(I64, f, cpu, ICOUNT as i32);
        let check = b.ins().load(I64, f, cpu, JIT_CHECK_AT as i32);
        let due = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, ic, check);
        b.ins().brif(due, ret, &[], go, &[]);
        b.seal_block(go);
        b.switch_to_block(go);
        let gen = b.ins().load(I64, f, cpu, CACHE_GEN as i32);
        let (jump, miss) = (b.create_block(), b.create_block());
        // Where the code of the next unit is: the block parameter + offset, valid when `ok`.
        b.append_block_param(jump, I64);
        let off = if dynamic {
            // The address's own slot, then the one beside it (see `JcEntry`).
            let jc = b.ins().load(I64, f, cpu, JIT_JC as i32);
            let first = jc_slot(&mut b, jc, rip);
            let beside = b.ins().bxor_imm_s(first, std::mem::size_of::<JcEntry>() as i64);
            let second = b.create_block();
            for (e, next) in [(first, second), (beside, miss)] {
                let (same_rip, egen) = jc_check(&mut b, e, rip);
                let same_gen = b.ins().icmp(IntCC::Equal, egen, gen);
                let ok = b.ins().band(same_rip, same_gen);
                b.ins().brif(ok, jump, &[e.into()], next, &[]);
                if next == second {
                    b.seal_block(second);
                    b.switch_to_block(second);
                }
            }
            offset_of!(JcEntry, code)
        } else {
            // The edge's link slot, filled in this generation.
            let link = p[2];
            let lgen = b.ins().load(I64, f, link, offset_of!(Link, gen) as i32);
            let ok = b.ins().icmp(IntCC::Equal, lgen, gen);
            b.ins().brif(ok, jump, &[link.into()], miss, &[]);
            offset_of!(Link, code)
        };
        b.seal_block(jump);
        b.seal_block(miss);
        b.switch_to_block(jump);
        let code_at = b.block_params(jump)[0];
        let code = b.ins().load(I64, f, code_at, off as i32);
        b.ins().return_call_indirect(usig, code, &[cpu, rip]);
        b.switch_to_block(miss);
        if dynamic {
            // Another hot target may hold the entry: the block cache knows the unit too,
            // which costs a call rather than a return to the loop and back.
            let fsig = b.import_signature(fsig);
            let fp = b.ins().iconst(I64, jit_find as *const () as i64);
            let call = b.ins().call_indirect(fsig, fp, &[cpu, rip]);
            let code = b.inst_results(call)[0];
            let found = b.create_block();
            b.ins().brif(code, found, &[], ret, &[]);
            b.seal_block(found);
            b.switch_to_block(found);
            b.ins().return_call_indirect(usig, code, &[cpu, rip]);
        } else {
            // The loop fills the slot when it enters the next unit.
            b.ins().store(f, p[2], cpu, JIT_LINK as i32);
            b.ins().jump(ret, &[]);
        }
        b.seal_block(ret);
        b.switch_to_block(ret);
        b.ins().store(f, rip, cpu, RIP as i32);
        b.ins().store(f, blk, cpu, JIT_BLOCK as i32);
        let z = b.ins().iconst(I32, RUN_ON as i64);
        b.ins().return_(&[z]);
        b.finalize(self.isa.frontend_config());
        self.compile()
    }

    /// The signature of a slow-path trampoline (`Stubs`).
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

    /// Compiles the function in `self.ctx` to machine code (position-independent).
    fn compile(&mut self) -> Result<Vec<u8>, TxError> {
        // Debugging aid: EMU_JIT_DUMP=1 prints each unit's IR, =2 its machine code.
        let dump = std::env::var("EMU_JIT_DUMP").unwrap_or_default();
        if dump == "1" {
            eprintln!("{}", self.ctx.func.display());
        } else if dump == "2" {
            eprintln!("; function {}", self.ctx.func.signature);
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
        Ok(bytes)
    }

    fn make_enter(&mut self) -> Result<Vec<u8>, TxError> {
        let sig = self.host_sig(&[I64, I64, I64], Some(I32));
        self.ctx.func = Function::with_name_signature(UserFuncName::default(), sig);
        let usig = self.unit_sig();
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        b.seal_block(blk);
        let cpu = b.block_params(blk)[0];
        let code = b.block_params(blk)[1];
        let rip = b.block_params(blk)[2];
        let sref = b.import_signature(usig);
        let call = b.ins().call_indirect(sref, code, &[cpu, rip]);
        let r = b.inst_results(call)[0];
        b.ins().return_(&[r]);
        b.finalize(self.isa.frontend_config());
        self.compile()
    }

    /// A trampoline that calls `f` (host ABI, `params`, returning u32) preserving every
    /// register, and leaves its result in `JitState::status`.
    fn make_slow(&mut self, f: *const (), params: &[Type]) -> Result<Vec<u8>, TxError> {
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
        self.compile()
    }

    /// Translates `region`.
    pub fn translate(&mut self, region: &Region) -> Result<Compiled, TxError> {
        let t = std::time::Instant::now();
        // The instructions run through their handler, in runs (`RBlock::handler_runs`):
        // their copies, then an end op. `copy_at` has the first copy of a run at the run's
        // first instruction, and `RUN_REST` at the others.
        let mut ops = Vec::new();
        let mut copy_at: Vec<Vec<usize>> = Vec::new();
        // A link slot for every static edge out of the region.
        let mut nlinks = 0;
        let mut link_at: Vec<[usize; 2]> = Vec::new();
        let (mut native, mut called) = (0usize, 0usize);
        for rb in &region.blocks {
            let mut at = vec![usize::MAX; rb.ops.len()];
            for (k, n) in rb.handler_runs() {
                at[k] = ops.len();
                at[k + 1..k + n].fill(RUN_REST);
                ops.extend(rb.ops[k..k + n].iter().map(Op::copy));
                ops.push(end_op(rb.ops[k + n - 1].next()));
                called += n;
            }
            native += rb.plans.iter().filter(|p| p.is_some()).count();
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
        let unit = Box::new(Unit {
            code: std::ptr::null(),
            links: (0..nlinks).map(|_| Link::default()).collect(),
            ops: ops.into_boxed_slice(),
            entries: Vec::new(),
        });
        let usig = self.unit_sig();
        let sigs = [
            self.host_sig(&[I64, I64], Some(I32)),
            self.slow_sig(&[I64, I32]),
            self.slow_sig(&[I64, I64, I32]),
            self.slow_sig(&[I64, I64, I64, I32]),
            self.tail_sig(4),
            self.tail_sig(3),
        ];
        self.ctx.func = Function::with_name_signature(UserFuncName::default(), usig.clone());
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let [s_op, s1, s2, s3, s_chain, s_dyn] = sigs;
        let sref = SigRefs {
            unit: b.import_signature(usig.clone()),
            op: b.import_signature(s_op),
            slow1: b.import_signature(s1),
            slow2: b.import_signature(s2),
            slow3: b.import_signature(s3),
            chain: b.import_signature(s_chain),
            chain_dyn: b.import_signature(s_dyn),
        };
        let mut tx = Tx::new(b, sref, self.stubs, region);
        for k in 0..tx.fv.len() {
            let z = tx.c(0);
            tx.b.def_var(tx.fv[k], z);
        }
        let n = region.blocks.len();
        let cl: Vec<_> = (0..n).map(|_| tx.b.create_block()).collect();
        tx.enter_at(&cl);
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
            let at = &copy_at[j];
            for k in 0..at.len() {
                tx.k = k;
                match &rb.plans[k] {
                    Some(p) => {
                        next = tx.native(p, &rb.ops[k]);
                        tx.commit();
                    }
                    None if at[k] == RUN_REST => {}
                    None => {
                        let n = 1 + at[k + 1..].iter().take_while(|&&a| a == RUN_REST).count();
                        let hs = &rb.handlers[k..k + n];
                        let flags = hs.iter().any(|h| h.flags);
                        tx.call_handler(&unit.ops[at[k]], n, flags, hs[n - 1].stores);
                        next = Next::On;
                    }
                }
            }
            tx.block_end(next, &cl, &unit.links, &link_at[j]);
            tx.finish_block();
        }
        tx.b.seal_all_blocks();
        tx.b.finalize(self.isa.frontend_config());
        if std::env::var_os("EMU_JIT_DUMP").is_some() {
            eprintln!("; unit for {:#x}", region.blocks[0].start);
        }
        let code = self.compile()?;
        Ok(Compiled {
            unit,
            code,
            native: native as u64,
            called: called as u64,
            ns: t.elapsed().as_nanos() as u64,
        })
    }
}

unsafe extern "C" fn dummy_enter(_: *mut Cpu, _: *const u8, _: u64) -> u32 {
    unreachable!("the entry trampoline is compiled before any unit")
}

// ---- block ends and exits ----

impl Tx<'_> {
    /// Ends the current block: edges to blocks of the region, or exits.
    ///
    /// `Cpu::icount` always holds the count at the start of the current block (side exits
    /// need not store it), so the block's end adds the block's instructions. The budget is
    /// checked where `region::budget_checks` says: on entry to the unit and on edges into
    /// a header of the region.
    fn block_end(&mut self, next: Next, cl: &[ClBlock], links: &[Link], link_at: &[usize; 2]) {
        // Every way out of the block, to a block of the region or away, has the registers
        // in the CPU.
        self.sync_regs();
        let rb = self.rb();
        // Read again rather than kept in a variable: one live across the unit costs more
        // in spills than the load.
        let ic = self.ld_cpu(I64, ICOUNT);
        let icn = self.add_imm(ic, rb.insns as i64);
        self.st_cpu(icn, ICOUNT);
        match rb.end {
            End::To(t) => self.edge(0, t, icn, cl, links, link_at),
            End::Cond { taken, fall, .. } => {
                let Next::Cond(c) = next else { unreachable!("a conditional end has a condition") };
                let (ta, fa) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(c, ta, &[], fa, &[]);
                self.b.seal_block(ta);
                self.b.seal_block(fa);
                self.b.switch_to_block(ta);
                self.edge(0, taken, icn, cl, links, link_at);
                self.b.switch_to_block(fa);
                self.edge(1, fall, icn, cl, links, link_at);
            }
            End::Dynamic => {
                let rip = match next {
                    Next::To(v) => v,
                    _ => self.ld_cpu(I64, RIP),
                };
                self.exit_dynamic(rip, icn);
            }
        }
    }

    /// The unit's entry: on to the block the unit is entered at (the head, or one of the
    /// region's other entries), through the budget check. A unit entered at an address it
    /// has no entry for (nothing does that) returns to the loop, which goes on there.
    fn enter_at(&mut self, cl: &[ClBlock]) {
        let entry = self.b.current_block().expect("in the entry block");
        let rip = self.b.block_params(entry)[1];
        let region = self.region;
        if region.entries.is_empty() {
            self.enter_block(0, region.reach[0], cl);
            return;
        }
        // The head first: most ways in come there.
        let ways =
            std::iter::once((0, region.reach[0])).chain(region.entries.iter().map(|&(j, r)| (j, Some(r))));
        for (j, reach) in ways {
            let here = self.b.ins().icmp_imm_s(IntCC::Equal, rip, region.blocks[j].start as i64);
            let (go, other) = (self.b.create_block(), self.b.create_block());
            self.b.ins().brif(here, go, &[], other, &[]);
            self.b.seal_block(go);
            self.b.seal_block(other);
            self.b.switch_to_block(go);
            self.enter_block(j, reach, cl);
            self.b.switch_to_block(other);
        }
        let last = self.b.current_block().expect("in a block");
        self.b.set_cold_block(last);
        self.st_cpu(rip, RIP);
        self.ret_to_loop();
    }

    /// Goes on to region block `j` from the unit's entry, unless the budget is too near to
    /// run up to the next check: then the interpreter runs the block (see
    /// `region::budget_checks`).
    fn enter_block(&mut self, j: usize, reach: Option<u64>, cl: &[ClBlock]) {
        if let (false, Some(reach)) = (self.region.ring, reach) {
            let ic = self.ld_cpu(I64, ICOUNT);
            let near = self.due(ic, reach);
            let (out, on) = self.split(near);
            self.b.switch_to_block(out);
            let code = self.b.ins().iconst(I32, RESUME as i64);
            self.cur = j;
            self.exit_noted(code, 0);
            self.cur = 0;
            self.b.switch_to_block(on);
        }
        self.b.ins().jump(cl[j], &[]);
    }

    /// Returns to the loop, going on at `rip`, when `due` (the budget is reached).
    fn leave_if(&mut self, due: Value, rip: Value) {
        let (out, on) = self.split(due);
        self.b.switch_to_block(out);
        self.spill(false);
        self.st_cpu(rip, RIP);
        self.ret_to_loop();
        self.b.switch_to_block(on);
    }

    /// Whether the budget check is due: `check_at` is at most `ic` + `reach`.
    fn due(&mut self, ic: Value, reach: u64) -> Value {
        let at = self.add_imm(ic, reach as i64);
        let check = self.ld_cpu(I64, JIT_CHECK_AT);
        self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, at, check)
    }

    /// The edge through static target slot `s` to `target`.
    fn edge(&mut self, s: usize, target: u64, icn: Value, cl: &[ClBlock], links: &[Link], la: &[usize; 2]) {
        match self.rb().succ[s] {
            Some(t) => {
                let reach = if self.region.ring { Some(0) } else { self.region.reach[t] };
                if let Some(reach) = reach {
                    let due = self.due(icn, reach);
                    let tv = self.c(target);
                    self.leave_if(due, tv);
                }
                match self.region.blocks[t].flags_in {
                    FlagsIn::Mem => self.sync_flags(),
                    FlagsIn::Carried => self.carry_flags(),
                    _ => {}
                }
                self.b.ins().jump(cl[t], &[]);
            }
            None => self.exit_static(target, icn, &links[la[s]]),
        }
    }

    /// Notes the current block for the loop and returns to it.
    fn ret_to_loop(&mut self) {
        self.st_const(self.rb().addr, JIT_BLOCK);
        let z = self.b.ins().iconst(I32, RUN_ON as i64);
        self.b.ins().return_(&[z]);
    }

    /// Leaves the region to `target` (a static edge) with `icn` instructions counted:
    /// straight into the target's unit when the edge's link slot is filled in this
    /// generation and the budget allows, else through the chaining stub (which fills the
    /// slot or returns to the loop). The fast path is inline so that every exit has its
    /// own indirect jump, which the host predicts per site; through the one jump in a
    /// shared stub, most transitions mispredicted.
    fn exit_static(&mut self, target: u64, icn: Value, link: &Link) {
        self.spill(false);
        let lp = self.c(link as *const Link as u64);
        let lgen = self.b.ins().load(I64, trusted(), lp, offset_of!(Link, gen) as i32);
        let (go, slow) = self.chain_test(icn, lgen, None);
        self.b.switch_to_block(go);
        let code = self.b.ins().load(I64, trusted(), lp, offset_of!(Link, code) as i32);
        let cpu = self.cpu();
        let to = self.c(target);
        self.b.ins().return_call_indirect(self.sref.unit, code, &[cpu, to]);
        self.b.switch_to_block(slow);
        let fp = self.c(self.stubs.chain);
        let rip = self.c(target);
        let bp = self.c(self.rb().addr);
        let cpu = self.cpu();
        self.b.ins().return_call_indirect(self.sref.chain, fp, &[cpu, rip, lp, bp]);
    }

    /// Leaves to an address known only now (a return, an indirect jump) with `icn`
    /// instructions counted: straight into its unit when the jump cache has it and the
    /// budget allows (inline, as in `exit_static`), else through the chaining stub.
    fn exit_dynamic(&mut self, rip: Value, icn: Value) {
        self.spill(false);
        let jc = self.ld_cpu(I64, JIT_JC);
        let e = jc_slot(&mut self.b, jc, rip);
        let (same_rip, egen) = jc_check(&mut self.b, e, rip);
        let (go, slow) = self.chain_test(icn, egen, Some(same_rip));
        self.b.switch_to_block(go);
        let code = self.b.ins().load(I64, trusted(), e, offset_of!(JcEntry, code) as i32);
        let cpu = self.cpu();
        self.b.ins().return_call_indirect(self.sref.unit, code, &[cpu, rip]);
        self.b.switch_to_block(slow);
        let fp = self.c(self.stubs.chain_dyn);
        let bp = self.c(self.rb().addr);
        let cpu = self.cpu();
        self.b.ins().return_call_indirect(self.sref.chain_dyn, fp, &[cpu, rip, bp]);
    }

    /// Branches to a new block when a chained exit may go straight on (`gen` is the
    /// block cache's generation and `also` holds; with the block ring, also `icn` is below
    /// `check_at`, else the next unit's entry checks the budget), else to a new cold
    /// block. Returns (go, slow), both sealed.
    fn chain_test(&mut self, icn: Value, gen: Value, also: Option<Value>) -> (ClBlock, ClBlock) {
        let cur = self.ld_cpu(I64, CACHE_GEN);
        let mut ok = self.b.ins().icmp(IntCC::Equal, gen, cur);
        if self.region.ring {
            let check = self.ld_cpu(I64, JIT_CHECK_AT);
            let in_budget = self.b.ins().icmp(IntCC::UnsignedLessThan, icn, check);
            ok = self.b.ins().band(ok, in_budget);
        }
        if let Some(a) = also {
            ok = self.b.ins().band(ok, a);
        }
        let (go, slow) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.b.ins().brif(ok, go, &[], slow, &[]);
        self.b.seal_block(go);
        self.b.seal_block(slow);
        (go, slow)
    }
}

/// The address of `rip`'s jump cache entry in the cache at `jc` (`jc_index`, in IR).
fn jc_slot(b: &mut FunctionBuilder, jc: Value, rip: Value) -> Value {
    // `jc_index` scaled by the entry size: the top JC_BITS bits of the hash, shifted
    // down to `shift` and masked.
    let shift = std::mem::size_of::<JcEntry>().trailing_zeros();
    let h = b.ins().imul_imm_s(rip, RIP_HASH_MUL as i64);
    let h = b.ins().ushr_imm_s(h, (64 - JC_BITS - shift) as i64);
    let h = b.ins().band_imm_s(h, ((JC_SIZE as u64 - 1) << shift) as i64);
    b.ins().iadd(jc, h)
}

/// Whether the jump cache entry at `e` is `rip`'s (I8), and its generation.
fn jc_check(b: &mut FunctionBuilder, e: Value, rip: Value) -> (Value, Value) {
    let erip = b.ins().load(I64, trusted(), e, offset_of!(JcEntry, rip) as i32);
    let egen = b.ins().load(I64, trusted(), e, offset_of!(JcEntry, gen) as i32);
    let same_rip = b.ins().icmp(IntCC::Equal, erip, rip);
    (same_rip, egen)
}

// ---- helpers called from translated code ----

/// Runs a run of op copies through their handlers (the last is followed by an end op, so
/// the handlers return after it). Returns 0, or the stop plus one with the index of the op
/// that stopped (within the run) in the high half.
pub(super) extern "C" fn jit_op(cpu: *mut Cpu, op: *const Op) -> u32 {
    // SAFETY: translated code passes the CPU it runs on and one of its unit's op copies.
    let (cpu, op) = unsafe { (&mut *cpu, &*op) };
    match (op.f.get())(cpu, op) {
        Ok(()) => RUN_ON,
        Err(s) => {
            // The op that stopped noted itself (`exec::next_op`): one of this run's.
            let i = (cpu.stop_op as usize).wrapping_sub(op as *const Op as usize) / std::mem::size_of::<Op>();
            debug_assert!(i < 1 << 15, "the op that stopped is in the run");
            stop_code(s) | (i as u32) << 16
        }
    }
}

/// Condition `cc` of the flags in the CPU (set by code outside the unit).
pub(super) extern "C" fn jit_cond(cpu: *mut Cpu, cc: u32) -> u32 {
    // SAFETY: translated code passes the CPU it runs on.
    let cpu = unsafe { &*cpu };
    cpu.lf.cond(cc as u8) as u32
}

/// The unit of the block at `rip`, for a return or indirect jump that missed the jump
/// cache (its entry held another target): the block cache's answer, put into the jump
/// cache as entering the unit from the loop would. Returns its code, or 0 when `rip` has
/// no unit (the stub then returns to the loop).
pub(super) extern "C" fn jit_find(cpu: *mut Cpu, rip: u64) -> u64 {
    // SAFETY: translated code passes the CPU it runs on.
    let cpu = unsafe { &mut *cpu };
    let Some(i) = cpu.cache.lookup(rip) else { return 0 };
    let Some(code) = cpu.cache.get(i).jit.code() else { return 0 };
    cpu.jit.remember(rip, cpu.cache.gen, code);
    code as u64
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

/// The interpreter's store of the low `w` bits of `v` at `addr` (a write-TLB miss).
/// Returns 0 or the stop plus one, or `RESUME` without storing when the store would reach
/// a page holding decoded code: the interpreter then runs the instruction (and the rest of
/// its block), dropping blocks and stopping as it always does, and the unit, which may be
/// one of those dropped, is not running any more.
pub(super) extern "C" fn jit_st(cpu: *mut Cpu, addr: u64, v: u64, w: u32) -> u32 {
    // SAFETY: translated code passes the CPU it runs on.
    let cpu = unsafe { &mut *cpu };
    let last = addr.wrapping_add(w as u64 / 8 - 1);
    if cpu.mem.holds_code(addr >> 12) || cpu.mem.holds_code(last >> 12) {
        return RESUME;
    }
    let r = match w {
        8 => cpu.st::<8>(addr, v),
        16 => cpu.st::<16>(addr, v),
        32 => cpu.st::<32>(addr, v),
        _ => cpu.st::<64>(addr, v),
    };
    match r {
        Ok(()) => RUN_ON,
        Err(s) => stop_code(s),
    }
}
