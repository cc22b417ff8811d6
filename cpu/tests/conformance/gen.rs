//! Case generation, driven by iced-x86's operand tables rather than per-instruction code.
//!
//! For a `Code`, every operand kind of its `OpCodeInfo` is filled in: registers from the
//! right class, register-or-memory by a coin toss, memory operands in a random addressing
//! form (absolute, RIP-relative, base+disp, base+index*scale+disp, 32-bit address size,
//! GS-relative) aimed at a chosen target in the data area (aligned, misaligned, crossing
//! a page, crossing into the read-only page or off the end of the mapping), immediates
//! from the edge tables, branch targets at exit slots. iced's instruction info then says
//! which registers, flags and memory the instruction reads: those get edge values
//! (width-specific integer edges, float lanes), implicit pointers (rsp, rsi, rdi, rbx,
//! rbp) are aimed into the data area, and memory read gets an edge value of its size.
//! A `Code` whose operand kinds are not understood yields `Skip::NoGenerator`, never a
//! silent pass.

use super::case::*;
use iced_x86::{
    Code, Encoder, FlowControl, Instruction, InstructionInfoFactory, MemorySize, Mnemonic, OpAccess,
    OpCodeOperandKind as K, OpKind, Register,
};

#[derive(Clone, Debug)]
pub enum Skip {
    /// The generator cannot drive this form yet (reason).
    NoGenerator(String),
    /// Deliberately not compared against the host (reason).
    Excluded(&'static str),
    /// An open emu bug (reason): not run, reported as such.
    KnownBug(&'static str),
}

/// Open emu bugs the tester found that are not fixed yet: these forms are reported as
/// "KNOWN BUG" in the coverage table (never as passing) and their CPUID features stay
/// in `PENDING_CPUID`. Fuzz mode includes them with CONFORMANCE_WITH_KNOWN_BUGS=1.
/// None are open: the x87 ones (FPREM/FPREM1 condition codes, FXTRACT/FLD/FCOMI C1 on
/// stack faults, store fault priority, FLDENV/FRSTOR/FXRSTOR fault addresses and MXCSR)
/// are fixed and their reproductions live in `regressions.txt`. A new one goes here as
/// `match code.mnemonic() { M::X => Some("why"), _ => None }`.
pub fn known_bug(_code: Code) -> Option<&'static str> {
    None
}

/// Whether fuzz mode asked for known-bug forms too.
pub fn with_known_bugs() -> bool {
    std::env::var_os("CONFORMANCE_WITH_KNOWN_BUGS").is_some()
}

/// The XSAVE family (its EDX:EAX and its area need their own aiming).
pub fn is_xsave(code: Code) -> bool {
    matches!(
        code.mnemonic(),
        Mnemonic::Xsave
            | Mnemonic::Xsave64
            | Mnemonic::Xsavec
            | Mnemonic::Xsavec64
            | Mnemonic::Xrstor
            | Mnemonic::Xrstor64
    )
}

/// Forms that cannot be compared with the host CPU, and why.
pub fn excluded(code: Code) -> Option<&'static str> {
    use Mnemonic as M;
    match code.mnemonic() {
        M::Syscall | M::Sysenter | M::Int1 => Some("enters the kernel or debugger: the shim's job"),
        M::Cpuid => {
            Some("emu's CPUID model differs from the host by design (checked by the coverage report)")
        }
        M::Rdtsc | M::Rdtscp | M::Rdpid | M::Rdpmc | M::Rdpru => Some("time or host dependent"),
        M::Xgetbv => Some("XCR0 is emu's model (x87, SSE, AVX), not the host's: checked by tests/xsave.rs"),
        M::Xsaveopt | M::Xsaveopt64 => Some("not implemented (XSAVEOPT is not advertised)"),
        M::Rdfsbase => Some("FS base is the host's TLS in the native runner: checked by tests/fsgsbase.rs"),
        M::Wrfsbase | M::Wrgsbase => {
            Some("would move the native runner's own TLS or GS base: checked by tests/fsgsbase.rs")
        }
        M::Fsin | M::Fcos | M::Fsincos | M::Fptan | M::Fpatan | M::F2xm1 | M::Fyl2x | M::Fyl2xp1 => Some(
            "this AMD host is not correctly rounded (1 ulp off for ~1-4% of inputs) while emu is: \
             compared with a documented 1-ulp tolerance in tests/x87_transcendental.rs",
        ),
        M::Fnsave | M::Fsave | M::Fnstenv | M::Fstenv | M::Fxsave | M::Fxsave64 => Some(
            "the host's saved FIP/FDP/FOP are not reproducible in batch runs (this AMD CPU drops \
             them across context switches): compared with retries in tests/x87_host.rs",
        ),
        _ => None,
    }
}

/// Constraints for sequences: which GPRs may be explicit operands, and the fixed
/// base/index registers for memory operands.
#[derive(Clone, Debug)]
pub struct Env {
    /// Bit n: GPR n may be an explicit register operand.
    pub data_regs: u16,
    /// (base reg, its value, index reg, its value) for memory operands.
    pub addr: Option<(u8, u64, u8, u64)>,
    pub seq: bool,
}

impl Env {
    pub fn single() -> Env {
        Env { data_regs: 0xffff, addr: None, seq: false }
    }
}

pub struct Gen {
    pub rng: Rng,
    info: InstructionInfoFactory,
    gpr8: Vec<Register>,
    gpr16: Vec<Register>,
    gpr32: Vec<Register>,
    gpr64: Vec<Register>,
}

/// A chosen explicit memory operand, before its registers get values.
#[derive(Clone, Copy, Debug)]
pub struct MemPick {
    pub op: u32,
    pub base: Register,
    pub index: Register,
    pub scale: u32,
    pub riprel: bool,
    pub moffs: bool,
    pub addr32: bool,
    pub gs: bool,
    pub force32: bool,
}

/// Register values, memory contents and flags chosen for one case.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub gpr: [Option<u64>; 16],
    pub mem: Vec<(u64, Vec<u8>)>,
    pub ov: Vec<Ov>,
    pub last_edge: Option<u64>,
}

pub fn gpr_index(r: Register) -> Option<usize> {
    if r.is_gpr() {
        Some(r.full_register().number())
    } else {
        None
    }
}

fn is_high8(r: Register) -> bool {
    matches!(r, Register::AH | Register::CH | Register::DH | Register::BH)
}

fn reads(a: OpAccess) -> bool {
    matches!(a, OpAccess::Read | OpAccess::CondRead | OpAccess::ReadWrite | OpAccess::ReadCondWrite)
}

pub fn writes(a: OpAccess) -> bool {
    matches!(a, OpAccess::Write | OpAccess::CondWrite | OpAccess::ReadWrite | OpAccess::ReadCondWrite)
}

/// Is `a..a+n` somewhere the native child can touch harmlessly (data area or its guards)?
fn safe_range(a: u64, n: u64) -> bool {
    a >= DATA - 0x10000 && a.wrapping_add(n) <= DATA + DATA_SIZE as u64 + 0x10000
}

impl Gen {
    pub fn new(seed: u64) -> Gen {
        let v = |f: fn(Register) -> bool| Register::values().filter(|&r| f(r)).collect::<Vec<_>>();
        Gen {
            rng: Rng(seed),
            info: InstructionInfoFactory::new(),
            gpr8: v(Register::is_gpr8),
            gpr16: v(Register::is_gpr16),
            gpr32: v(Register::is_gpr32),
            gpr64: v(Register::is_gpr64),
        }
    }

    pub fn info(&mut self, ins: &Instruction) -> iced_x86::InstructionInfo {
        self.info.info(ins).clone()
    }

    pub fn put_edge_pub(&mut self, p: &mut Plan, r: Register) {
        self.put_edge(p, r)
    }

    pub fn edge_pub(&mut self, p: &mut Plan, bits: u32) -> u64 {
        self.edge(p, bits)
    }

    pub fn gpr_of_width(&self, bits: u32, n: usize) -> Register {
        match bits {
            // gpr8 is AL CL DL BL AH CH DH BH SPL BPL SIL DIL R8L..: skip the high bytes.
            8 => self.gpr8[if n >= 4 { n + 4 } else { n }],
            16 => self.gpr16[n],
            32 => self.gpr32[n],
            _ => self.gpr64[n],
        }
    }

    fn pick_gpr(&mut self, class: u32, env: &Env) -> Result<Register, Skip> {
        for _ in 0..32 {
            let r = match class {
                8 => self.rng.pick(&self.gpr8),
                16 => self.rng.pick(&self.gpr16),
                32 => self.rng.pick(&self.gpr32),
                _ => self.rng.pick(&self.gpr64),
            };
            if env.data_regs & (1 << gpr_index(r).unwrap()) != 0 {
                return Ok(r);
            }
        }
        Err(Skip::NoGenerator("no allowed register".into()))
    }

    fn fixed(&self, r: Register, env: &Env) -> Result<Register, Skip> {
        if env.data_regs & (1 << gpr_index(r).unwrap()) != 0 {
            Ok(r)
        } else {
            Err(Skip::NoGenerator("fixed register reserved".into()))
        }
    }

    fn pick_mem(&mut self, op: u32, env: &Env, moffs: bool) -> MemPick {
        let r = &mut self.rng;
        let mut m = MemPick {
            op,
            base: Register::None,
            index: Register::None,
            scale: 1,
            riprel: false,
            moffs,
            addr32: false,
            gs: false,
            force32: r.chance(3),
        };
        if moffs {
            m.gs = r.chance(8);
            return m;
        }
        m.gs = r.chance(16);
        let form = r.below(12);
        m.scale = r.pick(&[1, 2, 4, 8]);
        m.addr32 = !env.seq && r.chance(10) && !m.gs;
        let g64 = &self.gpr64;
        let g32 = &self.gpr32;
        let idx_reg = |i: u8, a32: bool| if a32 { g32[i as usize] } else { g64[i as usize] };
        match (form, env.addr) {
            (0, _) => {}
            (1, _) if !m.addr32 => m.riprel = true,
            (f, Some((b, _, i, _))) => {
                m.base = idx_reg(b, m.addr32);
                if f >= 6 {
                    m.index = idx_reg(i, m.addr32);
                }
            }
            (f, None) => {
                let b = r.below(16) as u8;
                m.base = idx_reg(b, m.addr32);
                if f >= 6 {
                    let mut i = r.below(16) as u8;
                    if i == 4 {
                        i = 5;
                    }
                    m.index = idx_reg(i, m.addr32);
                }
            }
        }
        m
    }

    /// A target address for an access of `size` bytes: mostly inside the RW pages,
    /// sometimes misaligned, page-crossing, in the read-only page, or off the mapping.
    pub fn target(&mut self, size: u64, seq: bool) -> u64 {
        let r = &mut self.rng;
        let size = size.max(1);
        let rw = DATA_RW as u64;
        let roll = r.below(100);
        let roll = if seq && roll >= 80 && !r.chance(4) { 0 } else { roll };
        let off: i64 = match roll {
            0..=44 => (r.below(rw - size) & !(size.next_power_of_two().min(64) - 1)) as i64,
            45..=69 => r.below(rw - size) as i64,
            70..=79 => (0x1000 * (1 + r.below(3)) - 1 - r.below(size.max(2) - 1)) as i64,
            80..=84 => (rw - 1 - r.below(size.max(2) - 1)) as i64,
            85..=89 => (rw + r.below(0x1000 - size)) as i64,
            90..=93 => (DATA_SIZE as u64 - 1 - r.below(size.max(2) - 1)) as i64,
            94..=96 => DATA_SIZE as i64 + r.below(64) as i64,
            _ => -(1 + r.below(64) as i64),
        };
        DATA.wrapping_add(off as u64)
    }

    /// An edge value for a register or memory read of `bits`.
    fn edge(&mut self, p: &mut Plan, bits: u32) -> u64 {
        if let Some(l) = p.last_edge {
            if self.rng.chance(6) {
                return l & if bits >= 64 { u64::MAX } else { (1 << bits) - 1 };
            }
        }
        let v = int_edge(&mut self.rng, bits);
        p.last_edge = Some(v);
        v
    }

    /// Gives a GPR an edge value in the part `r` names, random bits elsewhere.
    fn put_edge(&mut self, p: &mut Plan, r: Register) {
        let Some(n) = gpr_index(r) else { return };
        if p.gpr[n].is_some() {
            return;
        }
        let bits = r.size() as u32 * 8;
        let shift = if is_high8(r) { 8 } else { 0 };
        let v = self.edge(p, bits);
        let m = if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 };
        let hi = match self.rng.below(4) {
            0 => 0,
            1 => u64::MAX,
            _ => self.rng.next(),
        };
        p.gpr[n] = Some((hi & !(m << shift)) | (v << shift));
    }

    /// Builds the instruction for `code` with operands chosen under `env`. Branch targets
    /// are set to `branch`.
    pub fn build(
        &mut self,
        code: Code,
        env: &Env,
        branch: u64,
    ) -> Result<(Instruction, Option<MemPick>), Skip> {
        let oc = code.op_code();
        if !oc.mode64() || !oc.is_instruction() {
            return Err(Skip::NoGenerator("not a 64-bit mode instruction".into()));
        }
        let mut ins = Instruction::default();
        ins.set_code(code);
        let mut mem: Option<MemPick> = None;
        let mut vsib: Option<Register> = None;
        let mut prev_imm = false;
        for i in 0..oc.op_count() {
            let k = oc.op_kind(i);
            let reg = |ins: &mut Instruction, r: Register| {
                ins.set_op_kind(i, OpKind::Register);
                ins.set_op_register(i, r);
            };
            let rm = matches!(
                k,
                K::r8_or_mem
                    | K::r16_or_mem
                    | K::r32_or_mem
                    | K::r64_or_mem
                    | K::xmm_or_mem
                    | K::ymm_or_mem
                    | K::mm_or_mem
            );
            let use_mem = matches!(k, K::mem | K::mem_offs) || (rm && self.rng.chance(2));
            let mut is_imm = false;
            if use_mem {
                ins.set_op_kind(i, OpKind::Memory);
                mem = Some(self.pick_mem(i, env, k == K::mem_offs));
            } else {
                match k {
                    K::r8_reg | K::r8_opcode | K::r8_or_mem => {
                        let r = self.pick_gpr(8, env)?;
                        reg(&mut ins, r)
                    }
                    K::r16_reg | K::r16_rm | K::r16_opcode | K::r16_reg_mem | K::r16_or_mem => {
                        let r = self.pick_gpr(16, env)?;
                        reg(&mut ins, r)
                    }
                    K::r32_reg | K::r32_rm | K::r32_opcode | K::r32_vvvv | K::r32_reg_mem | K::r32_or_mem => {
                        let r = self.pick_gpr(32, env)?;
                        reg(&mut ins, r)
                    }
                    K::r64_reg | K::r64_rm | K::r64_opcode | K::r64_vvvv | K::r64_reg_mem | K::r64_or_mem => {
                        let r = self.pick_gpr(64, env)?;
                        reg(&mut ins, r)
                    }
                    K::al => reg(&mut ins, self.fixed(Register::AL, env)?),
                    K::cl => reg(&mut ins, self.fixed(Register::CL, env)?),
                    K::ax => reg(&mut ins, self.fixed(Register::AX, env)?),
                    K::dx => reg(&mut ins, self.fixed(Register::DX, env)?),
                    K::eax => reg(&mut ins, self.fixed(Register::EAX, env)?),
                    K::rax => reg(&mut ins, self.fixed(Register::RAX, env)?),
                    K::xmm_reg | K::xmm_rm | K::xmm_vvvv | K::xmm_is4 | K::xmm_or_mem => {
                        let r = Register::XMM0 as u32 + self.rng.below(16) as u32;
                        reg(&mut ins, xmm(r))
                    }
                    K::ymm_reg | K::ymm_rm | K::ymm_vvvv | K::ymm_is4 | K::ymm_or_mem => {
                        let r = Register::YMM0 as u32 + self.rng.below(16) as u32;
                        reg(&mut ins, xmm(r))
                    }
                    K::mem_vsib32x | K::mem_vsib64x | K::mem_vsib32y | K::mem_vsib64y => {
                        if env.seq {
                            return Err(Skip::NoGenerator("VSIB operands in sequences".into()));
                        }
                        ins.set_op_kind(i, OpKind::Memory);
                        let y = matches!(k, K::mem_vsib32y | K::mem_vsib64y);
                        vsib = Some(if y { Register::YMM0 } else { Register::XMM0 });
                    }
                    K::mm_reg | K::mm_rm | K::mm_or_mem => {
                        let r = Register::MM0 as u32 + self.rng.below(8) as u32;
                        reg(&mut ins, xmm(r))
                    }
                    K::st0 => reg(&mut ins, Register::ST0),
                    K::sti_opcode => {
                        let r = Register::ST0 as u32 + self.rng.below(8) as u32;
                        reg(&mut ins, xmm(r))
                    }
                    K::imm8 | K::imm8_const_1 => {
                        is_imm = true;
                        let v = if k == K::imm8_const_1 { 1 } else { self.imm8(code) };
                        if prev_imm {
                            ins.set_op_kind(i, OpKind::Immediate8_2nd);
                            ins.set_immediate8_2nd(v);
                        } else {
                            ins.set_op_kind(i, OpKind::Immediate8);
                            ins.set_immediate8(v);
                        }
                    }
                    K::imm8sex16 | K::imm8sex32 | K::imm8sex64 => {
                        is_imm = true;
                        let v = int_edge(&mut self.rng, 8) as u8 as i8;
                        match k {
                            K::imm8sex16 => {
                                ins.set_op_kind(i, OpKind::Immediate8to16);
                                ins.set_immediate8to16(v as i16)
                            }
                            K::imm8sex32 => {
                                ins.set_op_kind(i, OpKind::Immediate8to32);
                                ins.set_immediate8to32(v as i32)
                            }
                            _ => {
                                ins.set_op_kind(i, OpKind::Immediate8to64);
                                ins.set_immediate8to64(v as i64)
                            }
                        }
                    }
                    K::imm16 => {
                        is_imm = true;
                        ins.set_op_kind(i, OpKind::Immediate16);
                        ins.set_immediate16(int_edge(&mut self.rng, 16) as u16);
                    }
                    K::imm32 => {
                        is_imm = true;
                        ins.set_op_kind(i, OpKind::Immediate32);
                        ins.set_immediate32(int_edge(&mut self.rng, 32) as u32);
                    }
                    K::imm32sex64 => {
                        is_imm = true;
                        ins.set_op_kind(i, OpKind::Immediate32to64);
                        ins.set_immediate32to64(int_edge(&mut self.rng, 32) as u32 as i32 as i64);
                    }
                    K::imm64 => {
                        is_imm = true;
                        ins.set_op_kind(i, OpKind::Immediate64);
                        ins.set_immediate64(int_edge(&mut self.rng, 64));
                    }
                    K::br64_1 | K::br64_4 => {
                        ins.set_op_kind(i, OpKind::NearBranch64);
                        ins.set_near_branch64(branch);
                    }
                    K::seg_rSI => ins.set_op_kind(i, OpKind::MemorySegRSI),
                    K::es_rDI => ins.set_op_kind(i, OpKind::MemoryESRDI),
                    K::seg_rDI => ins.set_op_kind(i, OpKind::MemorySegRDI),
                    K::seg_rBX_al => {
                        // xlat: iced models it as [rbx + al].
                        ins.set_op_kind(i, OpKind::Memory);
                        ins.set_memory_base(Register::RBX);
                        ins.set_memory_index(Register::AL);
                        ins.set_memory_index_scale(1);
                    }
                    other => return Err(Skip::NoGenerator(format!("operand kind {other:?}"))),
                }
            }
            prev_imm = is_imm;
        }
        if oc.can_use_rep_prefix() && self.rng.chance(2) {
            ins.set_has_rep_prefix(true);
        } else if oc.can_use_repne_prefix() && self.rng.chance(3) {
            ins.set_has_repne_prefix(true);
        }
        if let Some(first) = vsib {
            // An index register distinct from the destination and the mask (#UD otherwise).
            let used: Vec<usize> = (0..ins.op_count())
                .filter(|&k| ins.op_kind(k) == OpKind::Register)
                .map(|k| ins.op_register(k).number())
                .collect();
            let n = loop {
                let n = self.rng.below(16) as usize;
                if !used.contains(&n) {
                    break n;
                }
            };
            ins.set_memory_index(xmm(first as u32 + n as u32));
            ins.set_memory_index_scale(self.rng.pick(&[1, 2, 4, 8]));
            let base = if self.rng.chance(8) { Register::None } else { self.pick_gpr(64, env)? };
            ins.set_memory_base(base);
        }
        if let Some(m) = mem {
            ins.set_memory_base(if m.riprel { Register::RIP } else { m.base });
            ins.set_memory_index(m.index);
            ins.set_memory_index_scale(if m.index == Register::None { 1 } else { m.scale });
            if m.gs {
                ins.set_segment_prefix(Register::GS);
            }
        }
        Ok((ins, mem))
    }

    fn imm8(&mut self, code: Code) -> u8 {
        let v = int_edge(&mut self.rng, 8) as u8;
        if code == Code::Int_imm8 && matches!(v, 3 | 4 | 0x80) {
            // int3 and into are traps Linux lets user mode take, int 0x80 is a syscall.
            return 0x81;
        }
        v
    }

    /// Aims the explicit memory operand at `target`: picks the displacement and the
    /// values of base and index (already-fixed registers keep their values).
    pub fn aim(&mut self, ins: &mut Instruction, m: &MemPick, target: u64, p: &mut Plan) -> Result<(), Skip> {
        let target = if m.gs { target.wrapping_sub(GS_BASE) } else { target };
        if m.moffs {
            ins.set_memory_displacement64(target);
            ins.set_memory_displ_size(8);
            return Ok(());
        }
        if m.riprel {
            ins.set_memory_displacement64(target);
            ins.set_memory_displ_size(8);
            return Ok(());
        }
        let amask = if m.addr32 { 0xffff_ffffu64 } else { u64::MAX };
        let mut disp: i64 = match self.rng.below(5) {
            0 => 0,
            1 => int_edge(&mut self.rng, 8) as i8 as i64,
            2 => int_edge(&mut self.rng, 32) as i32 as i64,
            3 => self.rng.below(0x100) as i64 - 0x80,
            _ => self.rng.below(0x10000) as i64 - 0x8000,
        };
        if m.base == Register::None && m.index == Register::None {
            disp = target as i64;
            if disp as i32 as i64 != disp || (m.addr32 && disp < 0) {
                return Err(Skip::NoGenerator("absolute target out of disp32 range".into()));
            }
        }
        let bi = gpr_index(m.base);
        let ii = gpr_index(m.index);
        let scale = m.scale as u64;
        let (kb, ki) = (bi.and_then(|i| p.gpr[i]), ii.and_then(|i| p.gpr[i]));
        let known = |i: Option<usize>| {
            if i.is_some() && i == bi {
                kb
            } else if i.is_some() && i == ii {
                ki
            } else {
                None
            }
        };
        match (bi, ii) {
            (None, None) => {}
            (Some(b), None) => match known(bi) {
                Some(v) => disp = (target.wrapping_sub(v) & amask) as i64,
                None => p.gpr[b] = Some(self.hi(m.addr32) | (target.wrapping_sub(disp as u64) & amask)),
            },
            (bo, Some(i)) => {
                let iv = match known(ii) {
                    Some(v) => v,
                    None => {
                        let v = match self.rng.below(4) {
                            0 => 0,
                            1 => (self.rng.below(128) as i64 - 64) as u64,
                            2 => self.rng.below(0x200),
                            _ => u64::MAX,
                        };
                        let v = self.hi(m.addr32) | (v & amask);
                        p.gpr[i] = Some(v);
                        v
                    }
                };
                match bo {
                    None => disp = (target.wrapping_sub(iv.wrapping_mul(scale)) & amask) as i64,
                    Some(b) if b == i => {
                        // base == index: v * (1 + scale) + disp = target.
                        let k = 1 + scale;
                        let (t, v) = match known(bi) {
                            Some(v) => (0, v),
                            None => {
                                let t = target.wrapping_sub(disp as u64) & amask;
                                (t, t / k)
                            }
                        };
                        if known(bi).is_none() {
                            disp += (t - v * k) as i64;
                            p.gpr[b] = Some(self.hi(m.addr32) | v);
                        } else {
                            disp = (target.wrapping_sub(v.wrapping_mul(k)) & amask) as i64;
                        }
                    }
                    Some(b) => match known(bi) {
                        Some(v) => {
                            disp =
                                (target.wrapping_sub(v).wrapping_sub(iv.wrapping_mul(scale)) & amask) as i64
                        }
                        None => {
                            let bv =
                                target.wrapping_sub(disp as u64).wrapping_sub(iv.wrapping_mul(scale)) & amask;
                            p.gpr[b] = Some(self.hi(m.addr32) | bv);
                        }
                    },
                }
            }
        }
        if m.addr32 {
            disp = disp as u32 as i32 as i64;
        }
        if disp as i32 as i64 != disp {
            return Err(Skip::NoGenerator("displacement out of range".into()));
        }
        ins.set_memory_displacement64(disp as u64);
        let small = disp as i8 as i64 == disp;
        ins.set_memory_displ_size(if m.force32 || !small { 4 } else { 1 });
        Ok(())
    }

    /// Aims the elements of a VSIB operand (gathers) into the data area: base value,
    /// displacement and index elements. One case in ten also aims one element at an
    /// unmapped guard page, so that a fault part-way through a gather is compared.
    fn aim_vsib(&mut self, ins: &mut Instruction, p: &mut Plan) {
        let idx = ins.memory_index();
        let q = matches!(
            ins.code().op_code().op_kind(1),
            iced_x86::OpCodeOperandKind::mem_vsib64x | iced_x86::OpCodeOperandKind::mem_vsib64y
        );
        let n = idx.size() as u32 * 8 / if q { 64 } else { 32 };
        let scale = ins.memory_index_scale() as u64;
        let disp = self.rng.below(0x100) as i64 - 0x80;
        ins.set_memory_displacement64(disp as u64);
        ins.set_memory_displ_size(if self.rng.chance(3) || ins.memory_base() == Register::None {
            4
        } else {
            1
        });
        let b = match gpr_index(ins.memory_base()) {
            Some(r) => {
                let v = DATA + 0x1000 + self.rng.below(0x1000);
                p.gpr[r] = Some(v);
                v
            }
            None => 0,
        };
        let bad = if self.rng.chance(10) { Some(self.rng.below(n as u64) as u32) } else { None };
        let mut v = [vec128(&mut self.rng), vec128(&mut self.rng)];
        for j in 0..n {
            let t = if bad == Some(j) {
                DATA - 0x800 + self.rng.below(0x400)
            } else {
                DATA + self.rng.below(DATA_RW as u64 - 8)
            };
            let e = (t.wrapping_sub(b).wrapping_sub(disp as u64) as i64) / scale as i64;
            let (w, per) = if q { (64, 2) } else { (32, 4) };
            let h = (j / per) as usize;
            let sh = (j % per) * w;
            let m = if w == 64 { u64::MAX as u128 } else { u32::MAX as u128 };
            v[h] = (v[h] & !(m << sh)) | ((e as u64 as u128 & m) << sh);
        }
        let r = idx.number() as u8;
        p.ov.push(Ov::Xmm(r, v[0]));
        if idx.is_ymm() {
            p.ov.push(Ov::Ymmh(r, v[1]));
        }
    }

    /// The XSAVE family's area: mostly 64-byte aligned with room for the 832 bytes of the
    /// x87, SSE and AVX components; sometimes misaligned (#GP) or running into the
    /// read-only page (a write fault). EDX:EAX ask for a random subset of those three
    /// components (the host has more, which the cases must not touch).
    fn xsave_target(&mut self, p: &mut Plan) -> u64 {
        let eax = self.rng.below(8) | (self.rng.next() & 0xffff_ffff_0000_0000);
        p.gpr[0] = Some(eax);
        p.gpr[2] = Some(self.rng.next() & 0xffff_ffff_0000_0000);
        match self.rng.below(16) {
            0 => DATA + self.rng.below(DATA_RW as u64 - 832),
            1 => DATA + (DATA_RW as u64 & !63) - 64 * self.rng.below(8),
            _ => DATA + 64 * self.rng.below((DATA_RW as u64 - 832) / 64),
        }
    }

    /// A plausible XSAVE area for XRSTOR: random legacy and AVX parts with a valid MXCSR,
    /// a header in the standard or compacted form naming components x87, SSE and AVX
    /// only; sometimes a reserved header bit or byte set, which must raise #GP.
    fn xsave_image(&mut self) -> Vec<u8> {
        let mut b: Vec<u8> = (0..52).flat_map(|_| vec128(&mut self.rng).to_le_bytes()).collect();
        b[24..28].copy_from_slice(&((self.rng.next() as u32) & 0xffbf).to_le_bytes());
        b[512..576].fill(0);
        let bv = self.rng.below(8);
        let comp = if self.rng.chance(2) { 0 } else { (1 << 63) | bv | self.rng.below(8) };
        b[512..520].copy_from_slice(&bv.to_le_bytes());
        b[520..528].copy_from_slice(&comp.to_le_bytes());
        if self.rng.chance(10) {
            let k = 512 + self.rng.below(64) as usize;
            b[k] |= 1 << self.rng.below(8);
        }
        b
    }

    /// Random upper half for a 32-bit address register (must be ignored).
    fn hi(&mut self, addr32: bool) -> u64 {
        if addr32 {
            self.rng.next() << 32
        } else {
            0
        }
    }

    pub fn encode(ins: &Instruction, ip: u64) -> Result<Vec<u8>, Skip> {
        let mut e = Encoder::new(64);
        e.encode(ins, ip).map_err(|err| Skip::NoGenerator(format!("encoder: {err}")))?;
        Ok(e.take_buffer())
    }

    /// One single-instruction case for `code`.
    pub fn single(&mut self, code: Code) -> Result<Case, Skip> {
        if let Some(why) = excluded(code) {
            return Err(Skip::Excluded(why));
        }
        if let Some(why) = known_bug(code).filter(|_| !with_known_bugs()) {
            return Err(Skip::KnownBug(why));
        }
        let mut last = Skip::NoGenerator("no attempt".into());
        for _ in 0..40 {
            match self.try_single(code) {
                Ok(c) => return Ok(c),
                Err(e @ Skip::Excluded(_)) => return Err(e),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn try_single(&mut self, code: Code) -> Result<Case, Skip> {
        let env = Env::single();
        let (mut ins, mem) = self.build(code, &env, CODE + 0x40)?;
        let mut p = Plan::default();
        if ins.memory_index().is_vector_register() {
            self.aim_vsib(&mut ins, &mut p);
        }
        let info = self.info.info(&ins).clone();
        let flow = ins.flow_control();
        let explicit: Vec<usize> = (0..ins.op_count())
            .filter(|&i| ins.op_kind(i) == OpKind::Register)
            .filter_map(|i| gpr_index(ins.op_register(i)))
            .collect();
        // Stack instructions get a valid stack; implicit pointer registers (string ops,
        // xlat, enter/leave) point into the data area.
        let uses_rsp = info.used_registers().iter().any(|u| u.register() == Register::RSP);
        if ins.is_stack_instruction() || (uses_rsp && !explicit.contains(&4)) {
            let misalign = if self.rng.chance(8) { self.rng.below(8) } else { 0 };
            p.gpr[4] = Some(STACK + self.rng.below(0x100) * 8 + misalign);
        }
        for u in info.used_memory() {
            if let Some(b) = gpr_index(u.base()) {
                let is_explicit_mem = mem.map(|m| m.base == u.base()).unwrap_or(false);
                if p.gpr[b].is_none() && !is_explicit_mem && !explicit.contains(&b) {
                    p.gpr[b] = Some(DATA + 0x400 + self.rng.below(0x2800));
                }
            }
        }
        // rCX counts for rep prefixes, loop and jrcxz.
        let counted = ins.has_rep_prefix() || ins.has_repne_prefix();
        if counted && p.gpr[1].is_none() {
            p.gpr[1] =
                Some(self.rng.pick(&[0, 1, 2, 3, 7, 16]) | if self.rng.chance(4) { 1 << 32 } else { 0 });
        }
        if matches!(
            code.mnemonic(),
            Mnemonic::Loop | Mnemonic::Loope | Mnemonic::Loopne | Mnemonic::Jrcxz | Mnemonic::Jecxz
        ) {
            p.gpr[1] = Some(self.rng.pick(&[0, 1, 2, 0x1_0000_0000, 0x1_0000_0001, 0xffff_ffff, u64::MAX]));
        }
        // Aim the explicit memory operand.
        let msize = match ins.memory_size() {
            MemorySize::Unknown => 1,
            s => s.size() as u64,
        };
        let accessed =
            mem.is_some() && info.used_memory().iter().any(|u| u.access() != OpAccess::NoMemAccess);
        let mut mtarget = None;
        if let Some(m) = &mem {
            let t = if is_xsave(code) {
                self.xsave_target(&mut p)
            } else if accessed {
                self.target(msize, false)
            } else {
                self.rng.next()
            };
            self.aim(&mut ins, m, t, &mut p)?;
            mtarget = Some(t);
        }
        // Branches end at an exit slot (mostly not slot 0, so taken and not taken differ).
        let mut bytes = Self::encode(&ins, CODE)?;
        let e = CODE + bytes.len() as u64;
        let k = if self.rng.chance(8) { 0 } else { 1 + self.rng.below(EXIT_SLOTS - 1) };
        let exit = e + SLOT * k;
        if (0..ins.op_count()).any(|i| ins.op_kind(i) == OpKind::NearBranch64) {
            ins.set_near_branch64(exit);
            bytes = Self::encode(&ins, CODE)?;
            if CODE + bytes.len() as u64 != e {
                return Err(Skip::NoGenerator("branch length changed".into()));
            }
        }
        if matches!(flow, FlowControl::IndirectBranch | FlowControl::IndirectCall) {
            match (ins.op0_kind(), mtarget) {
                (OpKind::Register, _) => p.gpr[gpr_index(ins.op0_register()).unwrap()] = Some(exit),
                (OpKind::Memory, Some(t)) => p.mem.push((t, exit.to_le_bytes().to_vec())),
                _ => {}
            }
        }
        // Data values for every register read.
        for u in info.used_registers() {
            if reads(u.access()) && u.register().is_gpr() {
                self.put_edge(&mut p, u.register());
            }
        }
        for r in &explicit {
            if p.gpr[*r].is_none() {
                let reg = self.gpr64[*r];
                self.put_edge(&mut p, reg);
            }
        }
        // BEXTR's start and length (bits 7:0 and 15:8 of its last operand) and BZHI's index
        // (bits 7:0): mostly values inside the operand or just past its width, which edge
        // values rarely give; the bits above them must be ignored, so they stay random.
        if matches!(code.mnemonic(), Mnemonic::Bextr | Mnemonic::Bzhi) && !self.rng.chance(4) {
            if let Some(r) = gpr_index(ins.op2_register()) {
                let mut field = || self.rng.below(72);
                let v = if code.mnemonic() == Mnemonic::Bextr { field() | field() << 8 } else { field() };
                p.gpr[r] = Some((self.rng.next() & !0xffff) | v);
            }
        }
        // Memory contents at every read.
        let regs = p.gpr;
        let seed = self.rng.next();
        let mut st = State::from_seed(seed);
        for (i, v) in regs.iter().enumerate() {
            if let Some(v) = v {
                st.gpr[i] = *v;
            }
        }
        let rv = |r: Register, _: usize, _: usize| -> Option<u64> {
            match r {
                Register::GS => Some(GS_BASE),
                Register::ES | Register::CS | Register::SS | Register::DS | Register::FS => Some(0),
                _ => gpr_index(r).map(|i| st.gpr[i]).or(if r == Register::RIP { Some(CODE) } else { None }),
            }
        };
        let final_info = self.info.info(&ins).clone();
        for u in final_info.used_memory() {
            let Some(a) = u.virtual_address(0, rv) else { continue };
            let a = if u.base() == Register::RIP { mtarget.unwrap_or(a) } else { a };
            let n = u.memory_size().size() as u64;
            let span = if counted { n * 64 } else { n.max(16) };
            if !safe_range(a, span) {
                return Err(Skip::NoGenerator(format!("memory access at {a:#x} outside the data area")));
            }
            if reads(u.access()) && !p.mem.iter().any(|(t, _)| *t == a) {
                let bytes = match n {
                    0 => continue,
                    10 => {
                        let (m, se) = f80_edge(&mut self.rng);
                        let mut b = m.to_le_bytes().to_vec();
                        b.extend_from_slice(&se.to_le_bytes());
                        b
                    }
                    1..=8 => self.edge(&mut p, n as u32 * 8).to_le_bytes()[..n as usize].to_vec(),
                    _ => (0..n.div_ceil(16))
                        .flat_map(|_| vec128(&mut self.rng).to_le_bytes())
                        .take(n as usize)
                        .collect(),
                };
                p.mem.push((a, bytes));
            }
        }
        self.hints(&ins, &mut p, &st);
        if let (Some(t), Mnemonic::Xrstor | Mnemonic::Xrstor64) = (mtarget, code.mnemonic()) {
            let img = self.xsave_image();
            p.mem.retain(|(a, _)| *a != t);
            p.mem.push((t, img));
        }
        if flow == FlowControl::Return {
            let sp = p.gpr[4].unwrap_or(st.gpr[4]);
            p.mem.push((sp, exit.to_le_bytes().to_vec()));
        }
        // Flags: random status bits, DF when read, sometimes ID.
        let mut fl = 0x202 | (self.rng.next() & RFLAGS_ARITH);
        if ins.rflags_read() & iced_x86::RflagsBits::DF != 0 && self.rng.chance(2) {
            fl |= DF;
        }
        if self.rng.chance(8) {
            fl |= ID;
        }
        p.ov.push(Ov::Flags(fl));
        self.fp_modes(&mut p);
        Ok(finish(bytes, seed, &p))
    }

    /// Per-mnemonic nudges towards the interesting inputs random values rarely hit.
    fn hints(&mut self, ins: &Instruction, p: &mut Plan, st: &State) {
        let g = |p: &Plan, i: usize| p.gpr[i].unwrap_or(st.gpr[i]);
        match ins.mnemonic() {
            Mnemonic::Fxrstor | Mnemonic::Fxrstor64 | Mnemonic::Ldmxcsr | Mnemonic::Vldmxcsr => {
                // emu models a CPU whose MXCSR_MASK is 0xffff: this AMD host also accepts
                // bit 17 (MM, misaligned SSE mode), which emu refuses with #GP. Keep it clear
                // in the loaded MXCSR; other reserved bits still test the #GP on both sides.
                let at = if matches!(ins.mnemonic(), Mnemonic::Ldmxcsr | Mnemonic::Vldmxcsr) {
                    (4, 2)
                } else {
                    (512, 26)
                };
                for (_, b) in p.mem.iter_mut().filter(|(_, b)| b.len() == at.0) {
                    b[at.1] &= !2;
                }
            }
            Mnemonic::Popf | Mnemonic::Popfq => {
                // TF would single-step and AC enables alignment checks: neither is emulated.
                let sp = g(p, 4);
                let v = (self.rng.next() & 0x3f_7fff & !(1 << 8) & !(1 << 18)) | 2;
                p.mem.retain(|(a, _)| *a != sp);
                let n = if ins.mnemonic() == Mnemonic::Popf { 2 } else { 8 };
                p.mem.push((sp, v.to_le_bytes()[..n].to_vec()));
            }
            Mnemonic::Cmpxchg | Mnemonic::Cmpxchg8b | Mnemonic::Cmpxchg16b if self.rng.chance(2) => {
                // Make the comparison succeed.
                let w = match ins.mnemonic() {
                    Mnemonic::Cmpxchg8b => 8,
                    Mnemonic::Cmpxchg16b => 16,
                    _ => ins.op0_register().size().max(ins.memory_size().size()).max(1),
                };
                let (lo, hi) = if w == 8 && ins.mnemonic() == Mnemonic::Cmpxchg8b {
                    ((g(p, 0) & 0xffff_ffff) | (g(p, 2) << 32), 0)
                } else {
                    (g(p, 0), g(p, 2))
                };
                let mut b = lo.to_le_bytes().to_vec();
                b.extend_from_slice(&hi.to_le_bytes());
                b.truncate(w);
                if ins.op0_kind() == OpKind::Memory {
                    if let Some(last) = p.mem.first().map(|(a, _)| *a) {
                        p.mem.retain(|(a, _)| *a != last);
                        p.mem.push((last, b));
                    }
                } else if let Some(r) = gpr_index(ins.op0_register()) {
                    let m = if w >= 8 { u64::MAX } else { (1u64 << (w * 8)) - 1 };
                    p.gpr[r] = Some((g(p, r) & !m) | (lo & m));
                }
            }
            Mnemonic::Div | Mnemonic::Idiv if self.rng.chance(2) => {
                // A high half that fits, so the quotient is in range more often than not.
                let v = if ins.mnemonic() == Mnemonic::Idiv && (g(p, 0) as i64) < 0 && self.rng.chance(2) {
                    u64::MAX
                } else {
                    0
                };
                let w = ins.memory_size().size().max(if ins.op0_kind() == OpKind::Register {
                    ins.op0_register().size()
                } else {
                    0
                });
                if w == 1 {
                    p.gpr[0] = Some((g(p, 0) & !0xff00) | ((v & 0xff) << 8));
                } else {
                    p.gpr[2] = Some(v);
                }
            }
            _ => {}
        }
    }

    /// Rounding modes come from the seed; sometimes unmask exceptions.
    fn fp_modes(&mut self, p: &mut Plan) {
        if self.rng.chance(16) {
            let rc = self.rng.below(4) as u32;
            let mask = (self.rng.next() as u32 & 0x3f) << 7;
            p.ov.push(Ov::Mxcsr(
                (rc << 13) | mask | ((self.rng.below(2) as u32) << 15) | ((self.rng.below(2) as u32) << 6),
            ));
        }
        if self.rng.chance(16) {
            let pc = self.rng.pick(&[0u16, 2, 3]);
            let rc = self.rng.below(4) as u16;
            p.ov.push(Ov::Fcw(0x40 | (self.rng.next() as u16 & 0x3f) | (pc << 8) | (rc << 10)));
            // No pending exceptions, so nothing fires on the first x87 instruction.
            p.ov.push(Ov::Fsw(((self.rng.below(8) as u16) << 11) | (self.rng.next() as u16 & 0x4700)));
        }
    }
}

fn xmm(r: u32) -> Register {
    Register::values().nth(r as usize).unwrap()
}

/// Turns a plan into a case: register overrides, and memory overrides clipped to the data
/// area.
pub fn finish(bytes: Vec<u8>, seed: u64, p: &Plan) -> Case {
    let mut ov = vec![];
    for (i, v) in p.gpr.iter().enumerate() {
        if let Some(v) = v {
            ov.push(Ov::Gpr(i as u8, *v));
        }
    }
    for (a, b) in &p.mem {
        let mut a = *a;
        let mut b = &b[..];
        while !b.is_empty() && a < DATA {
            a = a.wrapping_add(1);
            b = &b[1..];
        }
        let end = DATA + DATA_SIZE as u64;
        if a >= end || b.is_empty() {
            continue;
        }
        let n = b.len().min((end - a) as usize);
        ov.push(Ov::Mem((a - DATA) as u32, b[..n].to_vec()));
    }
    ov.extend(p.ov.iter().cloned());
    Case { bytes, seed, ov }
}
