//! Data movement: MOV (all integer forms), MOVZX, MOVSX, MOVSXD, LEA, XCHG, CMOVcc,
//! SETcc, BSWAP, CBW/CWDE/CDQE, CWD/CDQ/CQO, MOVBE.

use super::branch::cc_nibble;
use super::{by_width, by_width_ea, ea_form, has_mem, width_of, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::{EA_ANY as ANY, EA_BASE_DISP as BD};
use crate::flags::mask;
use crate::state::Cpu;
use iced_x86::{Code, Instruction, OpKind};

fn mov_rr<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = cpu.get_r::<W>(op.r1);
    cpu.put_r::<W>(op.r0, v);
    Ok(())
}

fn mov_ri<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    cpu.put_r::<W>(op.r0, op.imm);
    Ok(())
}

fn mov_rm<const W: u32, const A: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    cpu.ld_then::<W, _>(cpu.ea_as::<A>(op), |cpu, v| {
        cpu.put_r::<W>(op.r0, v);
        Ok(())
    })
}

fn mov_mr<const W: u32, const A: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = cpu.get_r::<W>(op.r0);
    cpu.st::<W>(cpu.ea_as::<A>(op), v)
}

fn mov_mi<const W: u32, const A: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    cpu.st::<W>(cpu.ea_as::<A>(op), op.imm)
}

fn build_mov(i: &Instruction, op: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0).max(width_of(i, 1));
    let imm = !matches!(i.op1_kind(), OpKind::Register | OpKind::Memory);
    match (i.op0_kind() == OpKind::Memory, has_mem(i), imm) {
        (true, _, true) => by_width_ea(
            op,
            w,
            [mov_mi::<8, BD>, mov_mi::<16, BD>, mov_mi::<32, BD>, mov_mi::<64, BD>],
            [mov_mi::<8, ANY>, mov_mi::<16, ANY>, mov_mi::<32, ANY>, mov_mi::<64, ANY>],
        ),
        (true, _, false) => by_width_ea(
            op,
            w,
            [mov_mr::<8, BD>, mov_mr::<16, BD>, mov_mr::<32, BD>, mov_mr::<64, BD>],
            [mov_mr::<8, ANY>, mov_mr::<16, ANY>, mov_mr::<32, ANY>, mov_mr::<64, ANY>],
        ),
        (false, true, _) => by_width_ea(
            op,
            w,
            [mov_rm::<8, BD>, mov_rm::<16, BD>, mov_rm::<32, BD>, mov_rm::<64, BD>],
            [mov_rm::<8, ANY>, mov_rm::<16, ANY>, mov_rm::<32, ANY>, mov_rm::<64, ANY>],
        ),
        (false, false, true) => by_width(w, [mov_ri::<8>, mov_ri::<16>, mov_ri::<32>, mov_ri::<64>]),
        (false, false, false) => by_width(w, [mov_rr::<8>, mov_rr::<16>, mov_rr::<32>, mov_rr::<64>]),
    }
}

/// MOVZX/MOVSX/MOVSXD: destination width D, source width S.
fn ext_r<const D: u32, const S: u32, const SIGNED: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = cpu.get_r::<S>(op.r1);
    cpu.put_r::<D>(op.r0, extend::<S, SIGNED>(v));
    Ok(())
}

fn ext_m<const D: u32, const S: u32, const SIGNED: bool, const A: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    cpu.ld_then::<S, _>(cpu.ea_as::<A>(op), |cpu, v| {
        cpu.put_r::<D>(op.r0, extend::<S, SIGNED>(v));
        Ok(())
    })
}

#[inline(always)]
fn extend<const S: u32, const SIGNED: bool>(v: u64) -> u64 {
    if SIGNED {
        let s = 64 - S;
        (((v << s) as i64) >> s) as u64
    } else {
        v
    }
}

macro_rules! ext {
    ($t:ident, $code:ident, $d:expr, $s:expr, $signed:expr) => {
        $t.set(Code::$code, |i, op| {
            Some(if !has_mem(i) {
                ext_r::<$d, $s, $signed>
            } else if ea_form(op) == BD {
                ext_m::<$d, $s, $signed, BD>
            } else {
                ext_m::<$d, $s, $signed, ANY>
            })
        });
    };
}

/// LEA (it ignores the segment base). `IDX`: the operand has an index register; `A32`:
/// 32-bit address size.
fn lea<const W: u32, const IDX: bool, const A32: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    // SAFETY: `decode_block` only keeps ops whose base and index are < 17 (see `Cpu::ea`).
    let a = unsafe {
        let b = cpu.regs.get_unchecked(op.base as usize).wrapping_add(op.disp);
        if IDX {
            b.wrapping_add(*cpu.regs.get_unchecked(op.index as usize) << op.scale)
        } else {
            b
        }
    };
    let a = if A32 { a & 0xffff_ffff } else { a };
    cpu.put_r::<W>(op.r0, a & mask(W));
    Ok(())
}

fn build_lea<const W: u32>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    let idx = i.memory_index() != iced_x86::Register::None;
    Some(match (idx, op.addr32) {
        (false, false) => lea::<W, false, false>,
        (true, false) => lea::<W, true, false>,
        (false, true) => lea::<W, false, true>,
        (true, true) => lea::<W, true, true>,
    })
}

fn xchg_rr<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let a = cpu.get_r::<W>(op.r0);
    let b = cpu.get_r::<W>(op.r1);
    cpu.put_r::<W>(op.r0, b);
    cpu.put_r::<W>(op.r1, a);
    Ok(())
}

fn xchg_mr<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let ea = cpu.ea(op);
    let a = cpu.ld_rmw::<W>(ea)?;
    let b = cpu.get_r::<W>(op.r0);
    cpu.st::<W>(ea, b)?;
    cpu.put_r::<W>(op.r0, a);
    Ok(())
}

fn build_xchg(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    if has_mem(i) {
        by_width(w, [xchg_mr::<8>, xchg_mr::<16>, xchg_mr::<32>, xchg_mr::<64>])
    } else {
        by_width(w, [xchg_rr::<8>, xchg_rr::<16>, xchg_rr::<32>, xchg_rr::<64>])
    }
}

fn cmov_r<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = if cpu.lf.cond(op.imm2 as u8) { cpu.get_r::<W>(op.r1) } else { cpu.get_r::<W>(op.r0) };
    // A 32-bit CMOV zero-extends the destination even when the condition is false.
    cpu.put_r::<W>(op.r0, v);
    Ok(())
}

fn cmov_m<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    // The load happens (and may fault) whatever the condition.
    let m = cpu.ld::<W>(cpu.ea(op))?;
    let v = if cpu.lf.cond(op.imm2 as u8) { m } else { cpu.get_r::<W>(op.r0) };
    cpu.put_r::<W>(op.r0, v);
    Ok(())
}

fn build_cmov(i: &Instruction, op: &mut Op) -> Option<Handler> {
    op.imm2 = cc_nibble(i.condition_code())? as u32;
    let w = width_of(i, 0);
    if has_mem(i) {
        by_width(w, [cmov_m::<8>, cmov_m::<16>, cmov_m::<32>, cmov_m::<64>])
    } else {
        by_width(w, [cmov_r::<8>, cmov_r::<16>, cmov_r::<32>, cmov_r::<64>])
    }
}

fn setcc_r(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = cpu.lf.cond(op.imm2 as u8) as u64;
    cpu.put_r::<8>(op.r0, v);
    Ok(())
}

fn setcc_m(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = cpu.lf.cond(op.imm2 as u8) as u8;
    cpu.st8(cpu.ea(op), v)
}

fn build_setcc(i: &Instruction, op: &mut Op) -> Option<Handler> {
    op.imm2 = cc_nibble(i.condition_code())? as u32;
    Some(if has_mem(i) { setcc_m } else { setcc_r })
}

fn bswap<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = cpu.get_r::<W>(op.r0);
    let r = if W == 64 { v.swap_bytes() } else { (v as u32).swap_bytes() as u64 };
    cpu.put_r::<W>(op.r0, r);
    Ok(())
}

/// CBW/CWDE/CDQE: sign-extend the low half of rAX into its full width W.
fn cbw<const W: u32>(cpu: &mut Cpu, _: &Op) -> Flow {
    let h = W / 2;
    let v = extend_dyn(cpu.regs[0], h);
    cpu.put_r::<W>(0, v & mask(W));
    Ok(())
}

/// CWD/CDQ/CQO: rDX = sign of rAX at width W.
fn cwd<const W: u32>(cpu: &mut Cpu, _: &Op) -> Flow {
    let s = (cpu.regs[0] >> (W - 1)) & 1;
    cpu.put_r::<W>(2, if s != 0 { u64::MAX } else { 0 });
    Ok(())
}

fn extend_dyn(v: u64, bits: u32) -> u64 {
    let s = 64 - bits;
    (((v << s) as i64) >> s) as u64
}

fn movbe_rm<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = cpu.ld::<W>(cpu.ea(op))?;
    cpu.put_r::<W>(op.r0, v.swap_bytes() >> (64 - W));
    Ok(())
}

fn movbe_mr<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = cpu.get_r::<W>(op.r0);
    cpu.st::<W>(cpu.ea(op), v.swap_bytes() >> (64 - W))
}

/// Every CMOVcc form (Cmovo_r16_rm16 ..= Cmovg_r64_rm64).
fn cmov_codes() -> impl Iterator<Item = Code> {
    code_run(Code::Cmovo_r16_rm16, Code::Cmovg_r64_rm64)
}

/// Every SETcc form (Seto_rm8 ..= Setg_rm8).
fn setcc_codes() -> impl Iterator<Item = Code> {
    code_run(Code::Seto_rm8, Code::Setg_rm8)
}

fn code_run(first: Code, last: Code) -> impl Iterator<Item = Code> {
    Code::values().skip(first as usize).take(last as usize + 1 - first as usize)
}

pub(super) fn register(t: &mut Table) {
    for c in [
        Code::Mov_rm8_r8,
        Code::Mov_rm16_r16,
        Code::Mov_rm32_r32,
        Code::Mov_rm64_r64,
        Code::Mov_r8_rm8,
        Code::Mov_r16_rm16,
        Code::Mov_r32_rm32,
        Code::Mov_r64_rm64,
        Code::Mov_AL_moffs8,
        Code::Mov_AX_moffs16,
        Code::Mov_EAX_moffs32,
        Code::Mov_RAX_moffs64,
        Code::Mov_moffs8_AL,
        Code::Mov_moffs16_AX,
        Code::Mov_moffs32_EAX,
        Code::Mov_moffs64_RAX,
        Code::Mov_r8_imm8,
        Code::Mov_r16_imm16,
        Code::Mov_r32_imm32,
        Code::Mov_r64_imm64,
        Code::Mov_rm8_imm8,
        Code::Mov_rm16_imm16,
        Code::Mov_rm32_imm32,
        Code::Mov_rm64_imm32,
    ] {
        t.set(c, build_mov);
    }
    ext!(t, Movzx_r16_rm8, 16, 8, false);
    ext!(t, Movzx_r32_rm8, 32, 8, false);
    ext!(t, Movzx_r64_rm8, 64, 8, false);
    ext!(t, Movzx_r16_rm16, 16, 16, false);
    ext!(t, Movzx_r32_rm16, 32, 16, false);
    ext!(t, Movzx_r64_rm16, 64, 16, false);
    ext!(t, Movsx_r16_rm8, 16, 8, true);
    ext!(t, Movsx_r32_rm8, 32, 8, true);
    ext!(t, Movsx_r64_rm8, 64, 8, true);
    ext!(t, Movsx_r16_rm16, 16, 16, true);
    ext!(t, Movsx_r32_rm16, 32, 16, true);
    ext!(t, Movsx_r64_rm16, 64, 16, true);
    ext!(t, Movsxd_r16_rm16, 16, 16, true);
    ext!(t, Movsxd_r32_rm32, 32, 32, true);
    ext!(t, Movsxd_r64_rm32, 64, 32, true);
    t.set(Code::Lea_r16_m, build_lea::<16>);
    t.set(Code::Lea_r32_m, build_lea::<32>);
    t.set(Code::Lea_r64_m, build_lea::<64>);
    for c in [
        Code::Xchg_rm8_r8,
        Code::Xchg_rm16_r16,
        Code::Xchg_rm32_r32,
        Code::Xchg_rm64_r64,
        Code::Xchg_r16_AX,
        Code::Xchg_r32_EAX,
        Code::Xchg_r64_RAX,
    ] {
        t.set(c, build_xchg);
    }
    // CMOVcc and SETcc are contiguous runs of `Code` (iced's own `condition_code` relies
    // on it); ranges, not names, so that building the table formats nothing.
    for c in cmov_codes() {
        t.set(c, build_cmov);
    }
    for c in setcc_codes() {
        t.set(c, build_setcc);
    }
    t.set(Code::Bswap_r32, |_, _| Some(bswap::<32>));
    t.set(Code::Bswap_r64, |_, _| Some(bswap::<64>));
    t.set(Code::Cbw, |_, _| Some(cbw::<16>));
    t.set(Code::Cwde, |_, _| Some(cbw::<32>));
    t.set(Code::Cdqe, |_, _| Some(cbw::<64>));
    t.set(Code::Cwd, |_, _| Some(cwd::<16>));
    t.set(Code::Cdq, |_, _| Some(cwd::<32>));
    t.set(Code::Cqo, |_, _| Some(cwd::<64>));
    t.set(Code::Movbe_r16_m16, |_, _| Some(movbe_rm::<16>));
    t.set(Code::Movbe_r32_m32, |_, _| Some(movbe_rm::<32>));
    t.set(Code::Movbe_r64_m64, |_, _| Some(movbe_rm::<64>));
    t.set(Code::Movbe_m16_r16, |_, _| Some(movbe_mr::<16>));
    t.set(Code::Movbe_m32_r32, |_, _| Some(movbe_mr::<32>));
    t.set(Code::Movbe_m64_r64, |_, _| Some(movbe_mr::<64>));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code runs are exactly the codes named like CMOVcc and SETcc.
    #[test]
    fn cc_runs_match_names() {
        let named = |p: fn(&str) -> bool| Code::values().filter(|c| p(&format!("{c:?}"))).collect::<Vec<_>>();
        assert_eq!(cmov_codes().collect::<Vec<_>>(), named(|n| n.starts_with("Cmov")));
        assert_eq!(setcc_codes().collect::<Vec<_>>(), named(|n| n.starts_with("Set") && n.ends_with("_rm8")));
        assert_eq!(cmov_codes().count(), 48);
        assert_eq!(setcc_codes().count(), 16);
    }
}
