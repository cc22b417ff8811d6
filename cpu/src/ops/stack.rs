//! Stack: PUSH, POP, PUSHF, POPF, LEAVE, ENTER.

use super::branch::{pop64, push64};
use super::{has_mem, Table};
use crate::decode::{Flow, Op};
use crate::exec::and_next;
use crate::flags::IF;
use crate::state::Cpu;
use iced_x86::Code;

fn push_r(cpu: &mut Cpu, op: &Op) -> Flow {
    let sp = cpu.regs[4].wrapping_sub(8);
    cpu.st_then_next::<64, _>(op, sp, cpu.regs[op.r0 as usize], move |cpu| {
        cpu.regs[4] = sp;
        Ok(())
    })
}

fn push_i(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| push64(cpu, op.imm))
}

fn push_m(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| cpu.ld_then::<64, _>(cpu.ea(op), push64))
}

fn push16_r(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let sp = cpu.regs[4].wrapping_sub(2);
        cpu.st16(sp, cpu.regs[op.r0 as usize] as u16)?;
        cpu.regs[4] = sp;
        Ok(())
    })
}

fn push16_i(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let sp = cpu.regs[4].wrapping_sub(2);
        cpu.st16(sp, op.imm as u16)?;
        cpu.regs[4] = sp;
        Ok(())
    })
}

fn pop_r(cpu: &mut Cpu, op: &Op) -> Flow {
    let sp = cpu.regs[4];
    cpu.ld_next::<64, _>(op, sp, move |cpu, v| {
        cpu.regs[4] = sp.wrapping_add(8);
        cpu.regs[op.r0 as usize] = v;
        Ok(())
    })
}

fn pop16_r(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.ld16(cpu.regs[4])?;
        cpu.regs[4] = cpu.regs[4].wrapping_add(2);
        cpu.put_r::<16>(op.r0, v as u64);
        Ok(())
    })
}

fn pop_m(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let sp = cpu.regs[4];
        let v = cpu.ld64(sp)?;
        // The address is computed with rsp already incremented (SDM: POP).
        cpu.regs[4] = sp.wrapping_add(8);
        let ea = cpu.ea(op);
        if let Err(e) = cpu.st64(ea, v) {
            cpu.regs[4] = sp;
            return Err(e);
        }
        Ok(())
    })
}

fn pushf(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        // VM and RF read as zero in the pushed image.
        push64(cpu, cpu.rflags() & !0x3_0000)
    })
}

fn popf(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = pop64(cpu)?;
        // User mode runs with IOPL 0 < CPL: POPF leaves IF as it was (no fault).
        let v = (v & !IF) | (cpu.rflags() & IF);
        cpu.set_rflags(v);
        Ok(())
    })
}

fn leave(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let bp = cpu.regs[5];
        let v = cpu.ld64(bp)?;
        cpu.regs[4] = bp.wrapping_add(8);
        cpu.regs[5] = v;
        Ok(())
    })
}

fn enter(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let size = op.imm & 0xffff;
        let level = op.imm2 & 31;
        let bp = cpu.regs[5];
        let mut sp = cpu.regs[4].wrapping_sub(8);
        cpu.st64(sp, bp)?;
        let frame = sp;
        if level > 0 {
            let mut b = bp;
            for _ in 1..level {
                b = b.wrapping_sub(8);
                let v = cpu.ld64(b)?;
                sp = sp.wrapping_sub(8);
                cpu.st64(sp, v)?;
            }
            sp = sp.wrapping_sub(8);
            cpu.st64(sp, frame)?;
        }
        // SDM ENTER: it faults whenever a write using the final stack pointer would. The
        // frame is already written then (as on hardware); only rsp and rbp stay unchanged.
        let fin = sp.wrapping_sub(size);
        cpu.probe_write(fin, 8)?;
        cpu.regs[5] = frame;
        cpu.regs[4] = fin;
        Ok(())
    })
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Push_r64, |_, _| Some(push_r));
    t.set(Code::Push_r16, |_, _| Some(push16_r));
    t.set(Code::Push_rm64, |i, _| Some(if has_mem(i) { push_m } else { push_r }));
    t.set(Code::Push_rm16, |i, _| if has_mem(i) { None } else { Some(push16_r) });
    t.set(Code::Pushq_imm8, |_, _| Some(push_i));
    t.set(Code::Pushq_imm32, |_, _| Some(push_i));
    t.set(Code::Push_imm16, |_, _| Some(push16_i));
    t.set(Code::Pushw_imm8, |_, _| Some(push16_i));
    t.set(Code::Pop_r64, |_, _| Some(pop_r));
    t.set(Code::Pop_r16, |_, _| Some(pop16_r));
    t.set(Code::Pop_rm64, |i, _| Some(if has_mem(i) { pop_m } else { pop_r }));
    t.set(Code::Pop_rm16, |i, _| if has_mem(i) { None } else { Some(pop16_r) });
    t.set(Code::Pushfq, |_, _| Some(pushf));
    t.set(Code::Popfq, |_, _| Some(popf));
    t.set(Code::Leaveq, |_, _| Some(leave));
    t.set(Code::Enterq_imm16_imm8, |_, _| Some(enter));
}
