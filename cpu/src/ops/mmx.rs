//! The MMX register file and the MMX-register instructions emu implements: MOVD/MOVQ
//! (MMX forms), EMMS, and the MMX forms of the SSSE3 instructions (PSHUFB PHADDW PHADDD
//! PHADDSW PHSUBW PHSUBD PHSUBSW PMADDUBSW PMULHRSW PSIGNB/W/D PABSB/W/D PALIGNR).
//! (Intel SDM Vol. 1 §9.5 "Compatibility with x87 FPU architecture", Vol. 2 EMMS.)
//!
//! MMi aliases the significand of physical x87 register Ri. Every MMX instruction first
//! takes a pending unmasked x87 exception (#MF), then sets TOP = 0 and marks all eight
//! registers valid; writing MMi also sets Ri's sign and exponent to all ones. EMMS marks
//! them all empty. The other MMX instructions (the MMX forms of the SSE/SSE2 integer
//! operations) are not implemented: they stay unregistered and raise #UD.

use super::sse_mov::Shuf;
use super::ssse3::{Horiz, Pabs, Palignr, Pmaddubsw, Pmulhrsw, Pshufb, Psign};
use super::x87_core::wait;
use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op};
use crate::state::Cpu;
use crate::x87::F80;
use iced_x86::{Code, Instruction, OpKind};

/// Enters MMX state (after the pending-exception check).
#[inline(always)]
fn enter(cpu: &mut Cpu) -> Flow {
    wait(cpu)?;
    cpu.x87.top = 0;
    cpu.x87.tags = 0xff;
    Ok(())
}

#[inline(always)]
fn mm(cpu: &Cpu, i: u8) -> u64 {
    cpu.x87.regs[(i & 7) as usize].mant
}

#[inline(always)]
fn set_mm(cpu: &mut Cpu, i: u8, v: u64) {
    cpu.x87.regs[(i & 7) as usize] = F80 { mant: v, se: 0xffff };
}

/// mm = f(mm, mm/m64, imm8).
fn mm_op<O: Shuf, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    wait(cpu)?;
    let b = if MEM { cpu.ld64(cpu.ea(op))? } else { mm(cpu, op.r1) };
    enter(cpu)?;
    let r = O::f(mm(cpu, op.r0) as u128, b as u128, op.imm as u8) as u64;
    set_mm(cpu, op.r0, r);
    Ok(())
}

fn build_mm<O: Shuf + 'static>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { mm_op::<O, true> } else { mm_op::<O, false> })
}

// ---- moves ----

/// MOVD/MOVQ mm, r/m32 or r/m64 (zero-extended), and MOVQ mm, mm/m64.
fn mov_to_mm<const W: u32, const MEM: bool, const GPR: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    wait(cpu)?;
    let v = if MEM {
        cpu.ld::<W>(cpu.ea(op))?
    } else if GPR {
        cpu.get_r::<W>(op.r1)
    } else {
        mm(cpu, op.r1)
    };
    enter(cpu)?;
    set_mm(cpu, op.r0, v);
    Ok(())
}

/// MOVD/MOVQ r/m32 or r/m64, mm, and MOVQ mm/m64, mm.
fn mov_from_mm<const W: u32, const MEM: bool, const GPR: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    wait(cpu)?;
    if MEM {
        let v = mm(cpu, op.r0) & super::sse_operand::lane_mask(W);
        cpu.st::<W>(cpu.ea(op), v)?;
        enter(cpu)
    } else if GPR {
        let v = mm(cpu, op.r1) & super::sse_operand::lane_mask(W);
        enter(cpu)?;
        cpu.put_r::<W>(op.r0, v);
        Ok(())
    } else {
        let v = mm(cpu, op.r1);
        enter(cpu)?;
        set_mm(cpu, op.r0, v);
        Ok(())
    }
}

fn build_to_mm<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let gpr = i.op1_kind() == OpKind::Register && i.op1_register().is_gpr();
    Some(match (has_mem(i), gpr) {
        (true, _) => mov_to_mm::<W, true, false>,
        (false, true) => mov_to_mm::<W, false, true>,
        (false, false) => mov_to_mm::<W, false, false>,
    })
}

fn build_from_mm<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let gpr = i.op0_kind() == OpKind::Register && i.op0_register().is_gpr();
    Some(match (has_mem(i), gpr) {
        (true, _) => mov_from_mm::<W, true, false>,
        (false, true) => mov_from_mm::<W, false, true>,
        (false, false) => mov_from_mm::<W, false, false>,
    })
}

fn emms(cpu: &mut Cpu, _: &Op) -> Flow {
    wait(cpu)?;
    cpu.x87.tags = 0;
    Ok(())
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Movd_mm_rm32, build_to_mm::<32>);
    t.set(Code::Movq_mm_rm64, build_to_mm::<64>);
    t.set(Code::Movq_mm_mmm64, build_to_mm::<64>);
    t.set(Code::Movd_rm32_mm, build_from_mm::<32>);
    t.set(Code::Movq_rm64_mm, build_from_mm::<64>);
    t.set(Code::Movq_mmm64_mm, build_from_mm::<64>);
    t.set(Code::Emms, |_, _| Some(emms));

    t.set(Code::Pshufb_mm_mmm64, build_mm::<Pshufb<8>>);
    t.set(Code::Phaddw_mm_mmm64, build_mm::<Horiz<8, 16, false, false>>);
    t.set(Code::Phaddd_mm_mmm64, build_mm::<Horiz<8, 32, false, false>>);
    t.set(Code::Phaddsw_mm_mmm64, build_mm::<Horiz<8, 16, false, true>>);
    t.set(Code::Phsubw_mm_mmm64, build_mm::<Horiz<8, 16, true, false>>);
    t.set(Code::Phsubd_mm_mmm64, build_mm::<Horiz<8, 32, true, false>>);
    t.set(Code::Phsubsw_mm_mmm64, build_mm::<Horiz<8, 16, true, true>>);
    t.set(Code::Pmaddubsw_mm_mmm64, build_mm::<Pmaddubsw<8>>);
    t.set(Code::Pmulhrsw_mm_mmm64, build_mm::<Pmulhrsw<8>>);
    t.set(Code::Psignb_mm_mmm64, build_mm::<Psign<8, 8>>);
    t.set(Code::Psignw_mm_mmm64, build_mm::<Psign<8, 16>>);
    t.set(Code::Psignd_mm_mmm64, build_mm::<Psign<8, 32>>);
    t.set(Code::Pabsb_mm_mmm64, build_mm::<Pabs<8, 8>>);
    t.set(Code::Pabsw_mm_mmm64, build_mm::<Pabs<8, 16>>);
    t.set(Code::Pabsd_mm_mmm64, build_mm::<Pabs<8, 32>>);
    t.set(Code::Palignr_mm_mmm64_imm8, build_mm::<Palignr<8>>);
}
