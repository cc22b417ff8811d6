//! Planning: which guest instructions the JIT translates natively, and how. Anything
//! without a plan runs through the interpreter's own handler.

use crate::decode::Op;
use crate::flags::CcOp;
use crate::ops::alu::is_imm;
use crate::ops::branch::cc_nibble;
use iced_x86::{Code, Instruction, Mnemonic, OpKind, Register};

/// An operand: a GPR (0..15, low bytes for 8 bits), one of AH..BH (bits 8..15 of GPR
/// 0..3), the op's memory operand, or an immediate (already sign-extended as the
/// instruction defines).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Src {
    R(u8),
    H(u8),
    M,
    I(u64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Alu {
    Add,
    Or,
    And,
    Sub,
    Xor,
    Cmp,
    Test,
    /// ADC and SBB: translated with dead flags only (`sbb r, r` to spread CF, say).
    Adc,
    Sbb,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Un {
    Inc,
    Dec,
    Neg,
    Not,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Sh {
    Shl,
    Shr,
    Sar,
    Rol,
    Ror,
}

/// The bit scans and counts (BSF, BSR, POPCNT, LZCNT, TZCNT).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Cnt {
    Bsf,
    Bsr,
    Pop,
    Lz,
    Tz,
}

/// How one instruction is translated.
pub(super) enum Plan {
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
    /// Shift or rotate of a 32/64-bit register by CL. Its live flags go to the CPU's lazy
    /// flags: a zero count leaves them alone, which a known result could not express.
    ShiftCl {
        op: Sh,
        w: u32,
        r: u8,
        dead: bool,
    },
    /// IMUL dst, src[, imm]; with `flags`, CF and OF are set in the CPU's lazy flags as
    /// the interpreter sets them (`Cpu::set_cf_of`), else they are dead.
    Imul {
        w: u32,
        dst: u8,
        src: Src,
        imm: Option<u64>,
        flags: bool,
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
    /// LEAVE: rsp = rbp + 8, rbp = [rbp].
    Leave,
    /// A bit scan or count of a 32/64-bit operand into a register, flags dead.
    BitCount {
        op: Cnt,
        w: u32,
        dst: u8,
        src: Src,
    },
}

impl Plan {
    /// The lazy flags the translation records (kind and width), if its flag results are
    /// live. The region's flag analysis and the emitter agree through this.
    pub(super) fn flag_result(&self) -> Option<(CcOp, u32)> {
        match *self {
            Plan::Alu { op, w, dead: false, .. } => Some((
                match op {
                    Alu::Add => CcOp::Add,
                    Alu::Sub | Alu::Cmp => CcOp::Sub,
                    Alu::Or | Alu::And | Alu::Xor | Alu::Test => CcOp::Logic,
                    Alu::Adc | Alu::Sbb => unreachable!("ADC and SBB are translated with dead flags only"),
                },
                w,
            )),
            Plan::Unary { op: Un::Inc, w, dead: false, .. } => Some((CcOp::Inc, w)),
            Plan::Unary { op: Un::Dec, w, dead: false, .. } => Some((CcOp::Dec, w)),
            Plan::Unary { op: Un::Neg, w, dead: false, .. } => Some((CcOp::Sub, w)),
            Plan::ShiftImm { op: Sh::Shl | Sh::Shr | Sh::Sar, w, dead: false, .. } => Some((CcOp::Shift, w)),
            _ => None,
        }
    }

    /// Whether the translation leaves the flags in the CPU's lazy flags (`Flags::Mem`)
    /// rather than as a known result.
    pub(super) fn flags_to_mem(&self) -> bool {
        matches!(
            self,
            Plan::Imul { flags: true, .. }
                | Plan::ShiftImm { op: Sh::Rol | Sh::Ror, dead: false, .. }
                | Plan::ShiftCl { dead: false, .. }
        )
    }
}

/// A GPR operand: AH..BH as `Src::H`, the others by the index of their full register.
fn gpr(r: Register) -> Option<Src> {
    if !r.is_gpr() {
        return None;
    }
    let n = r.full_register().number() as u8;
    Some(if matches!(r, Register::AH | Register::CH | Register::DH | Register::BH) {
        Src::H(n)
    } else {
        Src::R(n)
    })
}

fn width(i: &Instruction, n: u32) -> u32 {
    match i.op_kind(n) {
        OpKind::Register => i.op_register(n).size() as u32 * 8,
        OpKind::Memory => i.memory_size().size() as u32 * 8,
        _ => 0,
    }
}

/// Operand `n` as a `Src`, if it is a GPR (AH..BH included), the memory operand or an
/// immediate.
fn src(i: &Instruction, op: &Op, n: u32) -> Option<Src> {
    match i.op_kind(n) {
        OpKind::Register => gpr(i.op_register(n)),
        OpKind::Memory => Some(Src::M),
        k if is_imm(k) => Some(Src::I(op.imm)),
        _ => None,
    }
}

fn cc_of(i: &Instruction) -> Option<u8> {
    cc_nibble(i.condition_code())
}

/// The native translation of `i` (decoded from `op`), if there is one. `dead`: the
/// liveness pass found its flag results unobservable.
pub(super) fn plan(i: &Instruction, op: &Op, dead: bool) -> Option<Plan> {
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
        M::Adc if dead => alu(Alu::Adc)?,
        M::Sbb if dead => alu(Alu::Sbb)?,
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
                if i.op1_register() != Register::CL || !matches!(w0, 32 | 64) {
                    return None;
                }
                return Some(Plan::ShiftCl { op: sh, w: w0, r, dead });
            }
            let cm = if w0 == 64 { 63 } else { 31 };
            let c = (op.imm & cm) as u32;
            // A zero count changes nothing (but a 32-bit register is still zero-extended):
            // left to the handler.
            if c == 0 || c >= w0 {
                return None;
            }
            Plan::ShiftImm { op: sh, w: w0, r, c, dead }
        }
        M::Imul if nops >= 2 => {
            let Src::R(d) = s0? else { return None };
            let s = s1?;
            if matches!(s, Src::I(_)) || !matches!(w0, 16 | 32 | 64) {
                return None;
            }
            let imm = if nops == 3 { Some(op.imm) } else { None };
            Plan::Imul { w: w0, dst: d, src: s, imm, flags: !dead }
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
        M::Leave if i.code() == Code::Leaveq => Plan::Leave,
        M::Bswap => {
            let Src::R(r) = s0? else { return None };
            if !matches!(w0, 32 | 64) {
                return None;
            }
            Plan::Bswap { w: w0, r }
        }
        // Their flags differ among them (see `ops::bits`): translated only when dead.
        M::Bsf | M::Bsr | M::Popcnt | M::Lzcnt | M::Tzcnt if dead => {
            let (Src::R(d), s) = (s0?, s1?) else { return None };
            if matches!(s, Src::I(_)) || nops != 2 || !matches!(w0, 32 | 64) {
                return None;
            }
            let c = match i.mnemonic() {
                M::Bsf => Cnt::Bsf,
                M::Bsr => Cnt::Bsr,
                M::Popcnt => Cnt::Pop,
                M::Lzcnt => Cnt::Lz,
                _ => Cnt::Tz,
            };
            Plan::BitCount { op: c, w: w0, dst: d, src: s }
        }
        _ => return None,
    })
}
