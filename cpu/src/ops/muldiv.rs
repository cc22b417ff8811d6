//! Multiply and divide: MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV.
//! Intel SDM Vol. 2 "MUL", "IMUL", "DIV", "IDIV".
//!
//! #DE (divide by zero, or a quotient that does not fit) is raised before any state
//! changes. Flags the SDM leaves undefined follow the reference host (AMD Zen), as the
//! differential tests in `cpu/tests/int_muldiv.rs` check:
//! - MUL/IMUL: CF=OF=overflow; SF, ZF, AF, PF unchanged (recorded as `CcOp::CoOver`).
//!   (`CcOp::Mul`, which derives SF/ZF/PF from the result, is what Intel parts do; it is
//!   not used here.)
//! - DIV/IDIV: CF and OF unchanged, AF=1, SF=ZF=PF=0.

use super::{by_width, has_mem, width_of, Table};
use crate::decode::{Flow, Handler, Op, Stop};
use crate::flags::{mask, AF, PF, SF, ZF};
use crate::state::Cpu;
use iced_x86::{Code, Instruction, Mnemonic};

#[inline(always)]
fn sext<const W: u32>(v: u64) -> i64 {
    ((v << (64 - W)) as i64) >> (64 - W)
}

const MUL: u8 = 0;
const IMUL: u8 = 1;
const DIV: u8 = 2;
const IDIV: u8 = 3;

/// Splits a 2W-bit value held in rAX (low) and rDX (high); 8-bit operands use AX.
#[inline(always)]
fn dividend<const W: u32>(cpu: &Cpu) -> u128 {
    if W == 8 {
        (cpu.regs[0] & 0xffff) as u128
    } else {
        ((cpu.get_r::<W>(2) as u128) << W) | cpu.get_r::<W>(0) as u128
    }
}

/// Writes the low and high halves of a result to AL/AH or rAX/rDX.
#[inline(always)]
fn put_pair<const W: u32>(cpu: &mut Cpu, lo: u64, hi: u64) {
    if W == 8 {
        cpu.put_r::<16>(0, (hi << 8) | (lo & 0xff));
    } else {
        cpu.put_r::<W>(0, lo);
        cpu.put_r::<W>(2, hi);
    }
}

#[cold]
fn divide_error() -> Flow {
    Err(Stop::DivideError)
}

#[inline(always)]
fn one<const OP: u8, const W: u32>(cpu: &mut Cpu, s: u64) -> Flow {
    let m = mask(W);
    match OP {
        MUL => {
            let p = cpu.get_r::<W>(0) as u128 * s as u128;
            let lo = p as u64 & m;
            let hi = (p >> W) as u64 & m;
            put_pair::<W>(cpu, lo, hi);
            mul_flags(cpu, hi != 0);
        }
        IMUL => {
            let p = sext::<W>(cpu.get_r::<W>(0)) as i128 * sext::<W>(s) as i128;
            let lo = p as u64 & m;
            let hi = (p >> W) as u64 & m;
            put_pair::<W>(cpu, lo, hi);
            let ovf = p != sext::<W>(lo) as i128;
            mul_flags(cpu, ovf);
        }
        DIV => {
            let n = dividend::<W>(cpu);
            if s == 0 {
                return divide_error();
            }
            let q = n / s as u128;
            if q > m as u128 {
                return divide_error();
            }
            let r = (n % s as u128) as u64;
            put_pair::<W>(cpu, q as u64, r);
            div_flags(cpu);
        }
        _ => {
            let n = dividend::<W>(cpu);
            // Sign-extend the 2W-bit dividend to i128.
            let n = ((n << (128 - 2 * W)) as i128) >> (128 - 2 * W);
            let d = sext::<W>(s) as i128;
            if d == 0 {
                return divide_error();
            }
            let Some(q) = n.checked_div(d) else { return divide_error() };
            let lim = 1i128 << (W - 1);
            if q < -lim || q >= lim {
                return divide_error();
            }
            let r = n - q * d;
            put_pair::<W>(cpu, q as u64 & m, r as u64 & m);
            div_flags(cpu);
        }
    }
    Ok(())
}

/// DIV/IDIV leave the status flags undefined; this is what the reference host does.
#[inline(always)]
fn div_flags(cpu: &mut Cpu) {
    cpu.set_flags_masked(SF | ZF | AF | PF, AF);
}

#[inline(always)]
fn mul_flags(cpu: &mut Cpu, overflow: bool) {
    cpu.set_cf_of(overflow, overflow);
}

fn one_r<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let s = cpu.get_r::<W>(op.r0);
    one::<OP, W>(cpu, s)
}

fn one_m<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let s = cpu.ld::<W>(cpu.ea(op))?;
    one::<OP, W>(cpu, s)
}

fn build_one<const OP: u8>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    if has_mem(i) {
        by_width(w, [one_m::<OP, 8>, one_m::<OP, 16>, one_m::<OP, 32>, one_m::<OP, 64>])
    } else {
        by_width(w, [one_r::<OP, 8>, one_r::<OP, 16>, one_r::<OP, 32>, one_r::<OP, 64>])
    }
}

/// Truncating signed multiply for the two- and three-operand IMUL forms.
#[inline(always)]
fn imul_trunc<const W: u32>(cpu: &mut Cpu, a: u64, b: u64) -> u64 {
    let p = sext::<W>(a) as i128 * sext::<W>(b) as i128;
    let lo = p as u64 & mask(W);
    let ovf = p != sext::<W>(lo) as i128;
    mul_flags(cpu, ovf);
    lo
}

fn imul2_r<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let a = cpu.get_r::<W>(op.r0);
    let b = cpu.get_r::<W>(op.r1);
    let r = imul_trunc::<W>(cpu, a, b);
    cpu.put_r::<W>(op.r0, r);
    Ok(())
}

fn imul2_m<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let b = cpu.ld::<W>(cpu.ea(op))?;
    let a = cpu.get_r::<W>(op.r0);
    let r = imul_trunc::<W>(cpu, a, b);
    cpu.put_r::<W>(op.r0, r);
    Ok(())
}

fn imul3_r<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let a = cpu.get_r::<W>(op.r1);
    let r = imul_trunc::<W>(cpu, a, op.imm & mask(W));
    cpu.put_r::<W>(op.r0, r);
    Ok(())
}

fn imul3_m<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let a = cpu.ld::<W>(cpu.ea(op))?;
    let r = imul_trunc::<W>(cpu, a, op.imm & mask(W));
    cpu.put_r::<W>(op.r0, r);
    Ok(())
}

/// Two- and three-operand IMUL between registers when nothing reads CF/OF
/// (`crate::liveness`): the truncated product only.
fn imul_r_nf<const W: u32, const IMM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let (a, b) = if IMM {
        (cpu.get_r::<W>(op.r1), op.imm & mask(W))
    } else {
        (cpu.get_r::<W>(op.r0), cpu.get_r::<W>(op.r1))
    };
    cpu.put_r::<W>(op.r0, a.wrapping_mul(b) & mask(W));
    Ok(())
}

/// The flags-dead handler for a register IMUL, if it has one.
pub(crate) fn flags_dead(i: &Instruction) -> Option<Handler> {
    if i.mnemonic() != Mnemonic::Imul || has_mem(i) || i.op_count() < 2 {
        return None;
    }
    let w = width_of(i, 0);
    if w == 8 {
        return None;
    }
    if i.op_count() == 3 {
        by_width(
            w,
            [imul_r_nf::<16, true>, imul_r_nf::<16, true>, imul_r_nf::<32, true>, imul_r_nf::<64, true>],
        )
    } else {
        by_width(
            w,
            [imul_r_nf::<16, false>, imul_r_nf::<16, false>, imul_r_nf::<32, false>, imul_r_nf::<64, false>],
        )
    }
}

fn build_imul2(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    if w == 8 {
        return None;
    }
    if has_mem(i) {
        by_width(w, [imul2_m::<16>, imul2_m::<16>, imul2_m::<32>, imul2_m::<64>])
    } else {
        by_width(w, [imul2_r::<16>, imul2_r::<16>, imul2_r::<32>, imul2_r::<64>])
    }
}

fn build_imul3(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    if w == 8 {
        return None;
    }
    if has_mem(i) {
        by_width(w, [imul3_m::<16>, imul3_m::<16>, imul3_m::<32>, imul3_m::<64>])
    } else {
        by_width(w, [imul3_r::<16>, imul3_r::<16>, imul3_r::<32>, imul3_r::<64>])
    }
}

pub(super) fn register(t: &mut Table) {
    for c in [Code::Mul_rm8, Code::Mul_rm16, Code::Mul_rm32, Code::Mul_rm64] {
        t.set(c, build_one::<MUL>);
    }
    for c in [Code::Imul_rm8, Code::Imul_rm16, Code::Imul_rm32, Code::Imul_rm64] {
        t.set(c, build_one::<IMUL>);
    }
    for c in [Code::Div_rm8, Code::Div_rm16, Code::Div_rm32, Code::Div_rm64] {
        t.set(c, build_one::<DIV>);
    }
    for c in [Code::Idiv_rm8, Code::Idiv_rm16, Code::Idiv_rm32, Code::Idiv_rm64] {
        t.set(c, build_one::<IDIV>);
    }
    for c in [Code::Imul_r16_rm16, Code::Imul_r32_rm32, Code::Imul_r64_rm64] {
        t.set(c, build_imul2);
    }
    for c in [
        Code::Imul_r16_rm16_imm16,
        Code::Imul_r32_rm32_imm32,
        Code::Imul_r64_rm64_imm32,
        Code::Imul_r16_rm16_imm8,
        Code::Imul_r32_rm32_imm8,
        Code::Imul_r64_rm64_imm8,
    ] {
        t.set(c, build_imul3);
    }
}
