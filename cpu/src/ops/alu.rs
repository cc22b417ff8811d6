//! Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC NEG NOT.
//! (Intel SDM Vol. 2, the instruction pages of each mnemonic.)
//!
//! Every binary form is one generic handler, specialised by operation (`OP`), width (`W`)
//! and, for memory, the addressing form (`A`: `[base+disp]` or any). `build` picks it from
//! the operand kinds; so `ADC r/m64, r64` (`Adc_rm64_r64`) runs `rr::<ADC, 64>` with a
//! register destination and `mr::<ADC, 64, A>` with a memory one:
//!
//! | form (iced `Code`)        | register dest    | memory operand        |
//! |---------------------------|------------------|-----------------------|
//! | `Op_rmW_rW`               | `rr`             | `mr` (dest in memory) |
//! | `Op_rW_rmW`               | `rr`             | `rm` (source in memory) |
//! | `Op_rmW_immN`, `Op_AL_imm8`...| `ri`         | `mi`                  |
//!
//! CMP and TEST never write back (`writes`). Handlers whose flags the liveness pass proves
//! dead come from `flags_dead` (`*_nf`); a CMP/TEST or ALU op followed by a conditional
//! jump may fuse with it (`fuse_jcc`).

use super::{by_width, by_width_ea, has_mem, width_of, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::{and_next, next_op};
use crate::exec::{EA_ANY as ANY, EA_BASE_DISP as BD};
use crate::flags::{mask, CcOp};
use crate::state::Cpu;
use iced_x86::{Code, Instruction, Mnemonic, OpKind};

const ADD: u8 = 0;
const OR: u8 = 1;
const ADC: u8 = 2;
const SBB: u8 = 3;
const AND: u8 = 4;
const SUB: u8 = 5;
const XOR: u8 = 6;
const CMP: u8 = 7;
const TEST: u8 = 8;

/// Computes `a OP b` at width W, records the flags, returns the truncated result.
#[inline(always)]
pub(crate) fn alu<const OP: u8, const W: u32>(cpu: &mut Cpu, a: u64, b: u64) -> u64 {
    let m = mask(W);
    match OP {
        ADD => {
            let r = a.wrapping_add(b) & m;
            cpu.set_lazy(CcOp::Add, W, a, b, r);
            r
        }
        ADC => {
            let c = cpu.lf.cf() as u64;
            let r = a.wrapping_add(b).wrapping_add(c) & m;
            cpu.set_lazy_aux(CcOp::Adc, W, a, b, r, c);
            r
        }
        SUB | CMP => {
            let r = a.wrapping_sub(b) & m;
            cpu.set_lazy(CcOp::Sub, W, a, b, r);
            r
        }
        SBB => {
            let c = cpu.lf.cf() as u64;
            let r = a.wrapping_sub(b).wrapping_sub(c) & m;
            cpu.set_lazy_aux(CcOp::Sbb, W, a, b, r, c);
            r
        }
        OR => {
            let r = a | b;
            cpu.set_lazy_logic(W, r);
            r
        }
        AND | TEST => {
            let r = a & b;
            cpu.set_lazy_logic(W, r);
            r
        }
        _ => {
            let r = a ^ b;
            cpu.set_lazy_logic(W, r);
            r
        }
    }
}

const fn writes<const OP: u8>() -> bool {
    OP != CMP && OP != TEST
}

fn rr<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let a = cpu.get_r::<W>(op.r0);
        let b = cpu.get_r::<W>(op.r1);
        let r = alu::<OP, W>(cpu, a, b);
        if writes::<OP>() {
            cpu.put_r::<W>(op.r0, r);
        }
        Ok(())
    })
}

fn ri<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let a = cpu.get_r::<W>(op.r0);
        let r = alu::<OP, W>(cpu, a, op.imm & mask(W));
        if writes::<OP>() {
            cpu.put_r::<W>(op.r0, r);
        }
        Ok(())
    })
}

fn rm<const OP: u8, const W: u32, const A: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    cpu.ld_next::<W, _>(op, cpu.ea_as::<A>(op), |cpu, b| {
        let a = cpu.get_r::<W>(op.r0);
        let r = alu::<OP, W>(cpu, a, b);
        if writes::<OP>() {
            cpu.put_r::<W>(op.r0, r);
        }
        Ok(())
    })
}

fn mr<const OP: u8, const W: u32, const A: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    let ea = cpu.ea_as::<A>(op);
    if !writes::<OP>() {
        return cpu.ld_next::<W, _>(op, ea, |cpu, a| {
            let b = cpu.get_r::<W>(op.r0);
            alu::<OP, W>(cpu, a, b);
            Ok(())
        });
    }
    let b = cpu.get_r::<W>(op.r0);
    cpu.rmw_next::<W, _>(op, ea, |cpu, a| alu::<OP, W>(cpu, a, b))
}

fn mi<const OP: u8, const W: u32, const A: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    let ea = cpu.ea_as::<A>(op);
    if !writes::<OP>() {
        return cpu.ld_next::<W, _>(op, ea, |cpu, a| {
            alu::<OP, W>(cpu, a, op.imm & mask(W));
            Ok(())
        });
    }
    cpu.rmw_next::<W, _>(op, ea, |cpu, a| alu::<OP, W>(cpu, a, op.imm & mask(W)))
}

pub(crate) fn is_imm(k: OpKind) -> bool {
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

fn build<const OP: u8>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    let mem0 = i.op0_kind() == OpKind::Memory;
    let imm = is_imm(i.op1_kind());
    if mem0 && imm {
        by_width_ea(
            op,
            w,
            [mi::<OP, 8, BD>, mi::<OP, 16, BD>, mi::<OP, 32, BD>, mi::<OP, 64, BD>],
            [mi::<OP, 8, ANY>, mi::<OP, 16, ANY>, mi::<OP, 32, ANY>, mi::<OP, 64, ANY>],
        )
    } else if mem0 {
        by_width_ea(
            op,
            w,
            [mr::<OP, 8, BD>, mr::<OP, 16, BD>, mr::<OP, 32, BD>, mr::<OP, 64, BD>],
            [mr::<OP, 8, ANY>, mr::<OP, 16, ANY>, mr::<OP, 32, ANY>, mr::<OP, 64, ANY>],
        )
    } else if imm {
        by_width(w, [ri::<OP, 8>, ri::<OP, 16>, ri::<OP, 32>, ri::<OP, 64>])
    } else if has_mem(i) {
        by_width_ea(
            op,
            w,
            [rm::<OP, 8, BD>, rm::<OP, 16, BD>, rm::<OP, 32, BD>, rm::<OP, 64, BD>],
            [rm::<OP, 8, ANY>, rm::<OP, 16, ANY>, rm::<OP, 32, ANY>, rm::<OP, 64, ANY>],
        )
    } else {
        by_width(w, [rr::<OP, 8>, rr::<OP, 16>, rr::<OP, 32>, rr::<OP, 64>])
    }
}

// ---- INC DEC NEG NOT ----

const INC: u8 = 0;
const DEC: u8 = 1;
const NEG: u8 = 2;
const NOT: u8 = 3;

#[inline(always)]
fn unary<const OP: u8, const W: u32>(cpu: &mut Cpu, a: u64) -> u64 {
    let m = mask(W);
    match OP {
        INC => {
            let r = a.wrapping_add(1) & m;
            let c = cpu.lf.cf() as u64;
            cpu.set_lazy_aux(CcOp::Inc, W, a, 1, r, c);
            r
        }
        DEC => {
            let r = a.wrapping_sub(1) & m;
            let c = cpu.lf.cf() as u64;
            cpu.set_lazy_aux(CcOp::Dec, W, a, 1, r, c);
            r
        }
        NEG => {
            let r = 0u64.wrapping_sub(a) & m;
            cpu.set_lazy(CcOp::Sub, W, 0, a, r);
            r
        }
        _ => !a & m,
    }
}

fn un_r<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let a = cpu.get_r::<W>(op.r0);
        let r = unary::<OP, W>(cpu, a);
        cpu.put_r::<W>(op.r0, r);
        Ok(())
    })
}

fn un_m<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| cpu.rmw::<W, _>(cpu.ea(op), unary::<OP, W>))
}

fn build_un<const OP: u8>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    if has_mem(i) {
        by_width(w, [un_m::<OP, 8>, un_m::<OP, 16>, un_m::<OP, 32>, un_m::<OP, 64>])
    } else {
        by_width(w, [un_r::<OP, 8>, un_r::<OP, 16>, un_r::<OP, 32>, un_r::<OP, 64>])
    }
}

macro_rules! alu_codes {
    ($t:ident, $op:ident, $($c:ident),*) => {
        $( $t.set(Code::$c, build::<$op>); )*
    };
}

pub(super) fn register(t: &mut Table) {
    alu_codes!(
        t,
        ADD,
        Add_rm8_r8,
        Add_rm16_r16,
        Add_rm32_r32,
        Add_rm64_r64,
        Add_r8_rm8,
        Add_r16_rm16,
        Add_r32_rm32,
        Add_r64_rm64,
        Add_AL_imm8,
        Add_AX_imm16,
        Add_EAX_imm32,
        Add_RAX_imm32,
        Add_rm8_imm8,
        Add_rm16_imm16,
        Add_rm32_imm32,
        Add_rm64_imm32,
        Add_rm16_imm8,
        Add_rm32_imm8,
        Add_rm64_imm8
    );
    alu_codes!(
        t,
        OR,
        Or_rm8_r8,
        Or_rm16_r16,
        Or_rm32_r32,
        Or_rm64_r64,
        Or_r8_rm8,
        Or_r16_rm16,
        Or_r32_rm32,
        Or_r64_rm64,
        Or_AL_imm8,
        Or_AX_imm16,
        Or_EAX_imm32,
        Or_RAX_imm32,
        Or_rm8_imm8,
        Or_rm16_imm16,
        Or_rm32_imm32,
        Or_rm64_imm32,
        Or_rm16_imm8,
        Or_rm32_imm8,
        Or_rm64_imm8
    );
    alu_codes!(
        t,
        ADC,
        Adc_rm8_r8,
        Adc_rm16_r16,
        Adc_rm32_r32,
        Adc_rm64_r64,
        Adc_r8_rm8,
        Adc_r16_rm16,
        Adc_r32_rm32,
        Adc_r64_rm64,
        Adc_AL_imm8,
        Adc_AX_imm16,
        Adc_EAX_imm32,
        Adc_RAX_imm32,
        Adc_rm8_imm8,
        Adc_rm16_imm16,
        Adc_rm32_imm32,
        Adc_rm64_imm32,
        Adc_rm16_imm8,
        Adc_rm32_imm8,
        Adc_rm64_imm8
    );
    alu_codes!(
        t,
        SBB,
        Sbb_rm8_r8,
        Sbb_rm16_r16,
        Sbb_rm32_r32,
        Sbb_rm64_r64,
        Sbb_r8_rm8,
        Sbb_r16_rm16,
        Sbb_r32_rm32,
        Sbb_r64_rm64,
        Sbb_AL_imm8,
        Sbb_AX_imm16,
        Sbb_EAX_imm32,
        Sbb_RAX_imm32,
        Sbb_rm8_imm8,
        Sbb_rm16_imm16,
        Sbb_rm32_imm32,
        Sbb_rm64_imm32,
        Sbb_rm16_imm8,
        Sbb_rm32_imm8,
        Sbb_rm64_imm8
    );
    alu_codes!(
        t,
        AND,
        And_rm8_r8,
        And_rm16_r16,
        And_rm32_r32,
        And_rm64_r64,
        And_r8_rm8,
        And_r16_rm16,
        And_r32_rm32,
        And_r64_rm64,
        And_AL_imm8,
        And_AX_imm16,
        And_EAX_imm32,
        And_RAX_imm32,
        And_rm8_imm8,
        And_rm16_imm16,
        And_rm32_imm32,
        And_rm64_imm32,
        And_rm16_imm8,
        And_rm32_imm8,
        And_rm64_imm8
    );
    alu_codes!(
        t,
        SUB,
        Sub_rm8_r8,
        Sub_rm16_r16,
        Sub_rm32_r32,
        Sub_rm64_r64,
        Sub_r8_rm8,
        Sub_r16_rm16,
        Sub_r32_rm32,
        Sub_r64_rm64,
        Sub_AL_imm8,
        Sub_AX_imm16,
        Sub_EAX_imm32,
        Sub_RAX_imm32,
        Sub_rm8_imm8,
        Sub_rm16_imm16,
        Sub_rm32_imm32,
        Sub_rm64_imm32,
        Sub_rm16_imm8,
        Sub_rm32_imm8,
        Sub_rm64_imm8
    );
    alu_codes!(
        t,
        XOR,
        Xor_rm8_r8,
        Xor_rm16_r16,
        Xor_rm32_r32,
        Xor_rm64_r64,
        Xor_r8_rm8,
        Xor_r16_rm16,
        Xor_r32_rm32,
        Xor_r64_rm64,
        Xor_AL_imm8,
        Xor_AX_imm16,
        Xor_EAX_imm32,
        Xor_RAX_imm32,
        Xor_rm8_imm8,
        Xor_rm16_imm16,
        Xor_rm32_imm32,
        Xor_rm64_imm32,
        Xor_rm16_imm8,
        Xor_rm32_imm8,
        Xor_rm64_imm8
    );
    alu_codes!(
        t,
        CMP,
        Cmp_rm8_r8,
        Cmp_rm16_r16,
        Cmp_rm32_r32,
        Cmp_rm64_r64,
        Cmp_r8_rm8,
        Cmp_r16_rm16,
        Cmp_r32_rm32,
        Cmp_r64_rm64,
        Cmp_AL_imm8,
        Cmp_AX_imm16,
        Cmp_EAX_imm32,
        Cmp_RAX_imm32,
        Cmp_rm8_imm8,
        Cmp_rm16_imm16,
        Cmp_rm32_imm32,
        Cmp_rm64_imm32,
        Cmp_rm16_imm8,
        Cmp_rm32_imm8,
        Cmp_rm64_imm8
    );
    alu_codes!(
        t,
        TEST,
        Test_rm8_r8,
        Test_rm16_r16,
        Test_rm32_r32,
        Test_rm64_r64,
        Test_AL_imm8,
        Test_AX_imm16,
        Test_EAX_imm32,
        Test_RAX_imm32,
        Test_rm8_imm8,
        Test_rm8_imm8_F6r1,
        Test_rm16_imm16,
        Test_rm16_imm16_F7r1,
        Test_rm32_imm32,
        Test_rm32_imm32_F7r1,
        Test_rm64_imm32,
        Test_rm64_imm32_F7r1
    );
    for c in [Code::Inc_rm8, Code::Inc_rm16, Code::Inc_rm32, Code::Inc_rm64] {
        t.set(c, build_un::<INC>);
    }
    for c in [Code::Dec_rm8, Code::Dec_rm16, Code::Dec_rm32, Code::Dec_rm64] {
        t.set(c, build_un::<DEC>);
    }
    for c in [Code::Neg_rm8, Code::Neg_rm16, Code::Neg_rm32, Code::Neg_rm64] {
        t.set(c, build_un::<NEG>);
    }
    for c in [Code::Not_rm8, Code::Not_rm16, Code::Not_rm32, Code::Not_rm64] {
        t.set(c, build_un::<NOT>);
    }
}

// ---- flags-dead forms ----
//
// When every flag an instruction would set is overwritten before anything can read it
// (`crate::liveness`), it runs one of these: the value only, no lazy-flags record.

/// `a OP b` at width W, without recording flags.
#[inline(always)]
fn value<const OP: u8, const W: u32>(cpu: &Cpu, a: u64, b: u64) -> u64 {
    let m = mask(W);
    match OP {
        ADD => a.wrapping_add(b) & m,
        ADC => a.wrapping_add(b).wrapping_add(cpu.lf.cf() as u64) & m,
        SUB | CMP => a.wrapping_sub(b) & m,
        SBB => a.wrapping_sub(b).wrapping_sub(cpu.lf.cf() as u64) & m,
        OR => a | b,
        AND | TEST => a & b,
        _ => a ^ b,
    }
}

fn rr_nf<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let r = value::<OP, W>(cpu, cpu.get_r::<W>(op.r0), cpu.get_r::<W>(op.r1));
        cpu.put_r::<W>(op.r0, r);
        Ok(())
    })
}

fn ri_nf<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let r = value::<OP, W>(cpu, cpu.get_r::<W>(op.r0), op.imm & mask(W));
        cpu.put_r::<W>(op.r0, r);
        Ok(())
    })
}

fn rm_nf<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.ld_then::<W, _>(cpu.ea(op), |cpu, b| {
            if writes::<OP>() {
                let r = value::<OP, W>(cpu, cpu.get_r::<W>(op.r0), b);
                cpu.put_r::<W>(op.r0, r);
            }
            Ok(())
        })
    })
}

fn un_r_nf<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let a = cpu.get_r::<W>(op.r0);
        let r = match OP {
            INC => a.wrapping_add(1),
            DEC => a.wrapping_sub(1),
            _ => 0u64.wrapping_sub(a),
        };
        cpu.put_r::<W>(op.r0, r & mask(W));
        Ok(())
    })
}

/// A compare or test between registers whose flags nobody reads does nothing.
fn nothing(cpu: &mut Cpu, op: &Op) -> Flow {
    next_op(cpu, op, Ok(()))
}

fn build_nf<const OP: u8>(i: &Instruction) -> Option<Handler> {
    let w = width_of(i, 0);
    if i.op0_kind() == OpKind::Memory {
        return None;
    }
    if !writes::<OP>() && !has_mem(i) {
        return Some(nothing);
    }
    if is_imm(i.op1_kind()) {
        by_width(w, [ri_nf::<OP, 8>, ri_nf::<OP, 16>, ri_nf::<OP, 32>, ri_nf::<OP, 64>])
    } else if has_mem(i) {
        by_width(w, [rm_nf::<OP, 8>, rm_nf::<OP, 16>, rm_nf::<OP, 32>, rm_nf::<OP, 64>])
    } else {
        by_width(w, [rr_nf::<OP, 8>, rr_nf::<OP, 16>, rr_nf::<OP, 32>, rr_nf::<OP, 64>])
    }
}

fn build_un_nf<const OP: u8>(i: &Instruction) -> Option<Handler> {
    if has_mem(i) {
        return None;
    }
    by_width(width_of(i, 0), [un_r_nf::<OP, 8>, un_r_nf::<OP, 16>, un_r_nf::<OP, 32>, un_r_nf::<OP, 64>])
}

/// The flags-dead handler for an ALU instruction with a register destination, if it has one.
pub(crate) fn flags_dead(i: &Instruction) -> Option<Handler> {
    if i.has_lock_prefix() {
        return None;
    }
    match i.mnemonic() {
        Mnemonic::Add => build_nf::<ADD>(i),
        Mnemonic::Or => build_nf::<OR>(i),
        Mnemonic::Adc => build_nf::<ADC>(i),
        Mnemonic::Sbb => build_nf::<SBB>(i),
        Mnemonic::And => build_nf::<AND>(i),
        Mnemonic::Sub => build_nf::<SUB>(i),
        Mnemonic::Xor => build_nf::<XOR>(i),
        Mnemonic::Cmp => build_nf::<CMP>(i),
        Mnemonic::Test => build_nf::<TEST>(i),
        Mnemonic::Inc => build_un_nf::<INC>(i),
        Mnemonic::Dec => build_un_nf::<DEC>(i),
        Mnemonic::Neg => build_un_nf::<NEG>(i),
        _ => None,
    }
}

// ---- fused compare-and-branch ----

/// An ALU register/immediate op fused with the Jcc that follows it: one dispatch instead
/// of two, and the condition is evaluated straight from the operands (the lazy-flags
/// record it just wrote is forwarded by the compiler, so `cond` folds to one compare).
/// The flags are still recorded, since the branch target may read them. The Jcc target
/// lives in `op.disp` (the fused forms have no memory operand).
fn alu_jcc<const OP: u8, const W: u32, const IMM: bool, const CC: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let a = cpu.get_r::<W>(op.r0);
        let b = if IMM { op.imm & mask(W) } else { cpu.get_r::<W>(op.r1) };
        let r = alu::<OP, W>(cpu, a, b);
        if writes::<OP>() {
            cpu.put_r::<W>(op.r0, r);
        }
        if cpu.lf.cond(CC) {
            cpu.rip = op.disp;
        }
        Ok(())
    })
}

macro_rules! cc16 {
    ($op:expr, $w:expr, $imm:expr) => {
        [
            alu_jcc::<$op, $w, $imm, 0>,
            alu_jcc::<$op, $w, $imm, 1>,
            alu_jcc::<$op, $w, $imm, 2>,
            alu_jcc::<$op, $w, $imm, 3>,
            alu_jcc::<$op, $w, $imm, 4>,
            alu_jcc::<$op, $w, $imm, 5>,
            alu_jcc::<$op, $w, $imm, 6>,
            alu_jcc::<$op, $w, $imm, 7>,
            alu_jcc::<$op, $w, $imm, 8>,
            alu_jcc::<$op, $w, $imm, 9>,
            alu_jcc::<$op, $w, $imm, 10>,
            alu_jcc::<$op, $w, $imm, 11>,
            alu_jcc::<$op, $w, $imm, 12>,
            alu_jcc::<$op, $w, $imm, 13>,
            alu_jcc::<$op, $w, $imm, 14>,
            alu_jcc::<$op, $w, $imm, 15>,
        ]
    };
}

macro_rules! fuse_table {
    ($alu:expr, $w:expr, $imm:expr, $cc:expr; $($op:ident),*) => {
        match ($alu, $w, $imm) {
            $(
                ($op, 8, false) => cc16!($op, 8, false)[$cc as usize],
                ($op, 8, true) => cc16!($op, 8, true)[$cc as usize],
                ($op, 16, false) => cc16!($op, 16, false)[$cc as usize],
                ($op, 16, true) => cc16!($op, 16, true)[$cc as usize],
                ($op, 32, false) => cc16!($op, 32, false)[$cc as usize],
                ($op, 32, true) => cc16!($op, 32, true)[$cc as usize],
                ($op, 64, false) => cc16!($op, 64, false)[$cc as usize],
                ($op, 64, true) => cc16!($op, 64, true)[$cc as usize],
            )*
            _ => return None,
        }
    };
}

/// A compare or test with a memory operand fused with the Jcc that follows it. `FORM`
/// says which operand is the memory one; the condition nibble is in `op.r2` and the
/// target, relative to the op, in `op.imm2` (`op.disp` belongs to the memory operand).
fn cmp_m_jcc<const OP: u8, const W: u32, const FORM: u8, const A: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    cpu.ld_next::<W, _>(op, cpu.ea_as::<A>(op), |cpu, m| {
        let (a, b) = match FORM {
            MEM_IMM => (m, op.imm & mask(W)),
            MEM_REG => (m, cpu.get_r::<W>(op.r0)),
            _ => (cpu.get_r::<W>(op.r0), m),
        };
        alu::<OP, W>(cpu, a, b);
        if cpu.lf.cond(op.r2) {
            cpu.rip = op.addr.wrapping_add(op.imm2 as i32 as i64 as u64);
        }
        Ok(())
    })
}

/// `add`/`sub` of an immediate to memory fused with the Jcc that follows it (reference
/// counting: `subq $1,(%rax); je free`). Operands as in `cmp_m_jcc`.
fn rmw_mi_jcc<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.rmw::<W, _>(cpu.ea(op), |cpu, a| alu::<OP, W>(cpu, a, op.imm & mask(W)))?;
        if cpu.lf.cond(op.r2) {
            cpu.rip = op.addr.wrapping_add(op.imm2 as i32 as i64 as u64);
        }
        Ok(())
    })
}

const MEM_IMM: u8 = 0;
const MEM_REG: u8 = 1;
const REG_MEM: u8 = 2;

fn cmp_m_jcc_any<const OP: u8, const FORM: u8>(op: &Op, w: u32) -> Option<Handler> {
    by_width_ea(
        op,
        w,
        [
            cmp_m_jcc::<OP, 8, FORM, BD>,
            cmp_m_jcc::<OP, 16, FORM, BD>,
            cmp_m_jcc::<OP, 32, FORM, BD>,
            cmp_m_jcc::<OP, 64, FORM, BD>,
        ],
        [
            cmp_m_jcc::<OP, 8, FORM, ANY>,
            cmp_m_jcc::<OP, 16, FORM, ANY>,
            cmp_m_jcc::<OP, 32, FORM, ANY>,
            cmp_m_jcc::<OP, 64, FORM, ANY>,
        ],
    )
}

fn rmw_mi_jcc_any<const OP: u8>(w: u32) -> Option<Handler> {
    by_width(w, [rmw_mi_jcc::<OP, 8>, rmw_mi_jcc::<OP, 16>, rmw_mi_jcc::<OP, 32>, rmw_mi_jcc::<OP, 64>])
}

/// The fused handler for `prev` (a CMP, TEST, SUB, ADD or AND of any width between
/// registers or with an immediate, a CMP or TEST with a memory operand, or an ADD/SUB of
/// an immediate to memory) followed by a Jcc with condition nibble `cc` going to
/// `target`. `f` is the op decoded from `prev`; the target and condition are stored in it.
pub(crate) fn fuse_jcc(prev: &Instruction, cc: u8, target: u64, f: &mut Op) -> Option<Handler> {
    use iced_x86::Mnemonic as M;
    let alu = match prev.mnemonic() {
        M::Cmp => CMP,
        M::Test => TEST,
        M::Sub => SUB,
        M::Add => ADD,
        M::And => AND,
        _ => return None,
    };
    if prev.has_lock_prefix() {
        return None;
    }
    let w = width_of(prev, 0);
    if has_mem(prev) {
        let rel = i32::try_from(target.wrapping_sub(f.addr) as i64).ok()?;
        let form = match (prev.op0_kind(), prev.op1_kind()) {
            (OpKind::Memory, k) if is_imm(k) => MEM_IMM,
            (OpKind::Memory, OpKind::Register) => MEM_REG,
            (OpKind::Register, OpKind::Memory) => REG_MEM,
            _ => return None,
        };
        let h = match (alu, form) {
            (CMP, MEM_IMM) => cmp_m_jcc_any::<CMP, MEM_IMM>(f, w),
            (TEST, MEM_IMM) => cmp_m_jcc_any::<TEST, MEM_IMM>(f, w),
            (CMP, MEM_REG) => cmp_m_jcc_any::<CMP, MEM_REG>(f, w),
            (TEST, MEM_REG) => cmp_m_jcc_any::<TEST, MEM_REG>(f, w),
            (CMP, REG_MEM) => cmp_m_jcc_any::<CMP, REG_MEM>(f, w),
            (ADD, MEM_IMM) => rmw_mi_jcc_any::<ADD>(w),
            (SUB, MEM_IMM) => rmw_mi_jcc_any::<SUB>(w),
            _ => None,
        }?;
        f.r2 = cc;
        f.imm2 = rel as u32;
        return Some(h);
    }
    if prev.op0_kind() != OpKind::Register {
        return None;
    }
    let imm = match prev.op1_kind() {
        OpKind::Register => false,
        k if is_imm(k) => true,
        _ => return None,
    };
    if !imm && width_of(prev, 1) != w {
        return None;
    }
    f.disp = target;
    Some(fuse_table!(alu, w, imm, cc; CMP, TEST, SUB, ADD, AND))
}
