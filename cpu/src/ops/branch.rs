//! Control transfer: JMP, Jcc, CALL, RET, LOOP/LOOPcc, JrCXZ.
//! The block's fall-through address is already in `Cpu::rip` when a handler runs, so a
//! not-taken branch does nothing.

use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::{Code, ConditionCode, Instruction, OpKind};

fn jmp(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.rip = op.imm;
        Ok(())
    })
}

fn jmp_r(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.rip = cpu.regs[op.r0 as usize];
        Ok(())
    })
}

fn jmp_m(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.ld_then::<64, _>(cpu.ea(op), |cpu, v| {
            cpu.rip = v;
            Ok(())
        })
    })
}

fn jcc<const CC: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if cpu.lf.cond(CC) {
            cpu.rip = op.imm;
        }
        Ok(())
    })
}

#[inline(always)]
pub(crate) fn push64(cpu: &mut Cpu, v: u64) -> Flow {
    push64_then(cpu, v, |_| Ok(()))
}

/// Pushes `v`, then continues with `k` (rsp changes only if the store succeeds).
#[inline(always)]
pub(crate) fn push64_then<K: FnOnce(&mut Cpu) -> Flow>(cpu: &mut Cpu, v: u64, k: K) -> Flow {
    let sp = cpu.regs[4].wrapping_sub(8);
    cpu.st_then::<64, _>(sp, v, move |cpu| {
        cpu.regs[4] = sp;
        k(cpu)
    })
}

#[inline(always)]
pub(crate) fn pop64(cpu: &mut Cpu) -> Result<u64, crate::decode::Stop> {
    let sp = cpu.regs[4];
    let v = cpu.ld64(sp)?;
    cpu.regs[4] = sp.wrapping_add(8);
    Ok(v)
}

fn call(cpu: &mut Cpu, op: &Op) -> Flow {
    let sp = cpu.regs[4].wrapping_sub(8);
    cpu.st_then_next::<64, _>(op, sp, op.next(), move |cpu| {
        cpu.regs[4] = sp;
        cpu.rip = op.imm;
        Ok(())
    })
}

fn call_r(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let t = cpu.regs[op.r0 as usize];
        push64_then(cpu, op.next(), move |cpu| {
            cpu.rip = t;
            Ok(())
        })
    })
}

fn call_m(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let t = cpu.ld64(cpu.ea(op))?;
        push64(cpu, op.next())?;
        cpu.rip = t;
        Ok(())
    })
}

fn ret(cpu: &mut Cpu, op: &Op) -> Flow {
    let sp = cpu.regs[4];
    cpu.ld_next::<64, _>(op, sp, move |cpu, v| {
        cpu.regs[4] = sp.wrapping_add(8);
        cpu.rip = v;
        Ok(())
    })
}

fn ret_imm(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.rip = pop64(cpu)?;
        cpu.regs[4] = cpu.regs[4].wrapping_add(op.imm & 0xffff);
        Ok(())
    })
}

/// LOOP family. `K`: 0 loop, 1 loope, 2 loopne. `A32`: ECX instead of RCX.
fn loop_<const K: u8, const A32: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let c = if A32 {
            let c = (cpu.regs[1] as u32).wrapping_sub(1) as u64;
            cpu.regs[1] = c;
            c
        } else {
            cpu.regs[1] = cpu.regs[1].wrapping_sub(1);
            cpu.regs[1]
        };
        let take = c != 0
            && match K {
                1 => cpu.lf.zf(),
                2 => !cpu.lf.zf(),
                _ => true,
            };
        if take {
            cpu.rip = op.imm;
        }
        Ok(())
    })
}

fn jrcxz<const A32: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let c = if A32 { cpu.regs[1] & 0xffff_ffff } else { cpu.regs[1] };
        if c == 0 {
            cpu.rip = op.imm;
        }
        Ok(())
    })
}

const JCC: [Handler; 16] = [
    jcc::<0>, jcc::<1>, jcc::<2>, jcc::<3>, jcc::<4>, jcc::<5>, jcc::<6>, jcc::<7>, jcc::<8>, jcc::<9>,
    jcc::<10>, jcc::<11>, jcc::<12>, jcc::<13>, jcc::<14>, jcc::<15>,
];

/// Condition-code nibble as in the opcode (0 = O ... 15 = G).
pub(crate) fn cc_nibble(cc: ConditionCode) -> Option<u8> {
    use ConditionCode as C;
    Some(match cc {
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
        C::None => return None,
    })
}

/// The condition nibble of a Jcc with a direct target, or None for any other instruction.
pub(crate) fn jcc_cc(i: &Instruction) -> Option<u8> {
    if i.flow_control() != iced_x86::FlowControl::ConditionalBranch || !i.is_jcc_short_or_near() {
        return None;
    }
    cc_nibble(i.condition_code())
}

fn build_jcc(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(JCC[cc_nibble(i.condition_code())? as usize])
}

fn build_indirect(i: &Instruction, op: &mut Op, r: Handler, m: Handler) -> Option<Handler> {
    let _ = op;
    match i.op0_kind() {
        OpKind::Register => Some(r),
        OpKind::Memory => Some(m),
        _ => None,
    }
}

pub(super) fn register(t: &mut Table) {
    for c in [Code::Jmp_rel8_64, Code::Jmp_rel32_64] {
        t.set(c, |_, _| Some(jmp));
    }
    t.set(Code::Jmp_rm64, |i, op| build_indirect(i, op, jmp_r, jmp_m));
    for c in [
        Code::Jo_rel8_64,
        Code::Jno_rel8_64,
        Code::Jb_rel8_64,
        Code::Jae_rel8_64,
        Code::Je_rel8_64,
        Code::Jne_rel8_64,
        Code::Jbe_rel8_64,
        Code::Ja_rel8_64,
        Code::Js_rel8_64,
        Code::Jns_rel8_64,
        Code::Jp_rel8_64,
        Code::Jnp_rel8_64,
        Code::Jl_rel8_64,
        Code::Jge_rel8_64,
        Code::Jle_rel8_64,
        Code::Jg_rel8_64,
        Code::Jo_rel32_64,
        Code::Jno_rel32_64,
        Code::Jb_rel32_64,
        Code::Jae_rel32_64,
        Code::Je_rel32_64,
        Code::Jne_rel32_64,
        Code::Jbe_rel32_64,
        Code::Ja_rel32_64,
        Code::Js_rel32_64,
        Code::Jns_rel32_64,
        Code::Jp_rel32_64,
        Code::Jnp_rel32_64,
        Code::Jl_rel32_64,
        Code::Jge_rel32_64,
        Code::Jle_rel32_64,
        Code::Jg_rel32_64,
    ] {
        t.set(c, build_jcc);
    }
    t.set(Code::Call_rel32_64, |_, _| Some(call));
    t.set(Code::Call_rm64, |i, op| build_indirect(i, op, call_r, call_m));
    t.set(Code::Retnq, |_, _| Some(ret));
    t.set(Code::Retnq_imm16, |_, _| Some(ret_imm));
    t.set(Code::Loop_rel8_64_RCX, |_, _| Some(loop_::<0, false>));
    t.set(Code::Loope_rel8_64_RCX, |_, _| Some(loop_::<1, false>));
    t.set(Code::Loopne_rel8_64_RCX, |_, _| Some(loop_::<2, false>));
    t.set(Code::Loop_rel8_64_ECX, |_, _| Some(loop_::<0, true>));
    t.set(Code::Loope_rel8_64_ECX, |_, _| Some(loop_::<1, true>));
    t.set(Code::Loopne_rel8_64_ECX, |_, _| Some(loop_::<2, true>));
    t.set(Code::Jrcxz_rel8_64, |_, _| Some(jrcxz::<false>));
    t.set(Code::Jecxz_rel8_64, |_, _| Some(jrcxz::<true>));
}
