//! System and miscellaneous: SYSCALL, CPUID, RDTSC, NOPs, ENDBR64, fences, PAUSE, HLT,
//! INT3/INT n, UD2, flag instructions (CLC STC CMC CLD STD LAHF SAHF), and the atomic
//! read-modify-write family (CMPXCHG, XADD, CMPXCHG8B/16B).
//! Guest threads run on one host thread, so LOCK needs no host atomics.

use super::{by_width, has_mem, width_of, Table};
use crate::decode::{Flow, Handler, Op, Stop};
use crate::exec::{and_next, next_op};
use crate::flags::{mask, CcOp, AF, CF, DF, PF, SF, ZF};
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

fn nop(cpu: &mut Cpu, op: &Op) -> Flow {
    next_op(cpu, op, Ok(()))
}

/// CLFLUSH needs no cache model, but it faults like a byte read on an unmapped address
/// (prefetches never fault).
fn clflush(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.ld8(cpu.ea(op))?;
        Ok(())
    })
}

fn syscall(cpu: &mut Cpu, op: &Op) -> Flow {
    next_op(cpu, op, Err(Stop::Syscall))
}

fn cpuid(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let [a, b, c, d] = cpu.cpuid.query(cpu.regs[0] as u32, cpu.regs[1] as u32);
        cpu.regs[0] = a as u64;
        cpu.regs[3] = b as u64;
        cpu.regs[1] = c as u64;
        cpu.regs[2] = d as u64;
        Ok(())
    })
}

fn rdtsc_body(cpu: &mut Cpu, _: &Op) -> Flow {
    let t = cpu.outside.tsc(cpu.icount);
    cpu.regs[0] = t & 0xffff_ffff;
    cpu.regs[2] = t >> 32;
    Ok(())
}

fn rdtsc(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| rdtsc_body(cpu, op))
}

fn rdtscp(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        rdtsc_body(cpu, op)?;
        // IA32_TSC_AUX: Linux stores the CPU number there; the guest runs on CPU 0.
        cpu.regs[1] = 0;
        Ok(())
    })
}

fn gp(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| Err(cpu.gp_fault()))
}

fn int3(cpu: &mut Cpu, op: &Op) -> Flow {
    next_op(cpu, op, Err(Stop::Breakpoint))
}

fn int_n(cpu: &mut Cpu, op: &Op) -> Flow {
    next_op(cpu, op, Err(Stop::Interrupt))
}

fn ud2(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        cpu.last_ud = "ud2".into();
        Err(Stop::Ud)
    })
}

fn flagop<const K: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        match K {
            0 => cpu.set_cf(false),
            1 => cpu.set_cf(true),
            2 => {
                let c = cpu.lf.cf();
                cpu.set_cf(!c)
            }
            3 => cpu.rflags &= !DF,
            _ => cpu.rflags |= DF,
        }
        Ok(())
    })
}

fn lahf(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let f = cpu.rflags() & 0xff;
        cpu.put_r::<8>(crate::state::HIGH8, f);
        Ok(())
    })
}

fn sahf(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let ah = (cpu.regs[0] >> 8) & 0xff;
        cpu.set_flags_masked(CF | PF | AF | ZF | SF, ah);
        Ok(())
    })
}

/// CMPXCHG r/m, r: compare accumulator with destination; equal: store source, else load
/// destination into the accumulator. The destination is always written (SDM) for memory.
fn cmpxchg_r<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let d = cpu.get_r::<W>(op.r0);
        let a = cpu.get_r::<W>(0);
        super::alu::alu::<7, W>(cpu, a, d);
        if a == d {
            let s = cpu.get_r::<W>(op.r1);
            cpu.put_r::<W>(op.r0, s);
        } else {
            cpu.put_r::<W>(0, d);
        }
        Ok(())
    })
}

fn cmpxchg_m<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let ea = cpu.ea(op);
        let d = cpu.ld_rmw::<W>(ea)?;
        let a = cpu.get_r::<W>(0);
        if a == d {
            let s = cpu.get_r::<W>(op.r0);
            cpu.st::<W>(ea, s)?;
        } else {
            cpu.st::<W>(ea, d)?;
            cpu.put_r::<W>(0, d);
        }
        super::alu::alu::<7, W>(cpu, a, d);
        Ok(())
    })
}

fn xadd_r<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let d = cpu.get_r::<W>(op.r0);
        let s = cpu.get_r::<W>(op.r1);
        let r = super::alu::alu::<0, W>(cpu, d, s);
        cpu.put_r::<W>(op.r1, d);
        cpu.put_r::<W>(op.r0, r);
        Ok(())
    })
}

fn xadd_m<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let ea = cpu.ea(op);
        let d = cpu.ld_rmw::<W>(ea)?;
        let s = cpu.get_r::<W>(op.r0);
        let r = d.wrapping_add(s) & mask(W);
        cpu.st::<W>(ea, r)?;
        cpu.set_lazy(CcOp::Add, W, d, s, r);
        cpu.put_r::<W>(op.r0, d);
        Ok(())
    })
}

fn cmpxchg8b(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let ea = cpu.ea(op);
        let m = cpu.ld_rmw::<64>(ea)?;
        let edx_eax = (cpu.regs[2] << 32) | (cpu.regs[0] & 0xffff_ffff);
        let zf = if m == edx_eax {
            let v = (cpu.regs[1] << 32) | (cpu.regs[3] & 0xffff_ffff);
            cpu.st64(ea, v)?;
            true
        } else {
            cpu.st64(ea, m)?;
            cpu.regs[0] = m & 0xffff_ffff;
            cpu.regs[2] = m >> 32;
            false
        };
        cpu.set_flags_masked(ZF, if zf { ZF } else { 0 });
        Ok(())
    })
}

fn cmpxchg16b(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let ea = cpu.ea(op);
        if ea & 15 != 0 {
            return Err(cpu.gp_fault());
        }
        let m = cpu.ld128(ea)?;
        let rdx_rax = ((cpu.regs[2] as u128) << 64) | cpu.regs[0] as u128;
        let zf = if m == rdx_rax {
            let v = ((cpu.regs[1] as u128) << 64) | cpu.regs[3] as u128;
            cpu.st128(ea, v)?;
            true
        } else {
            cpu.st128(ea, m)?;
            cpu.regs[0] = m as u64;
            cpu.regs[2] = (m >> 64) as u64;
            false
        };
        cpu.set_flags_masked(ZF, if zf { ZF } else { 0 });
        Ok(())
    })
}

fn build_cmpxchg(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    if has_mem(i) {
        by_width(w, [cmpxchg_m::<8>, cmpxchg_m::<16>, cmpxchg_m::<32>, cmpxchg_m::<64>])
    } else {
        by_width(w, [cmpxchg_r::<8>, cmpxchg_r::<16>, cmpxchg_r::<32>, cmpxchg_r::<64>])
    }
}

fn build_xadd(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    if has_mem(i) {
        by_width(w, [xadd_m::<8>, xadd_m::<16>, xadd_m::<32>, xadd_m::<64>])
    } else {
        by_width(w, [xadd_r::<8>, xadd_r::<16>, xadd_r::<32>, xadd_r::<64>])
    }
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Syscall, |_, _| Some(syscall));
    for c in [
        Code::Nopw,
        Code::Nopd,
        Code::Nopq,
        Code::Nop_rm16,
        Code::Nop_rm32,
        Code::Nop_rm64,
        Code::Pause,
        Code::Endbr64,
        // RDSSP sits in the reserved-NOP space: without CET enabled it does nothing (and
        // leaves its destination alone), which libgcc's unwinder relies on.
        Code::Rdsspd_r32,
        Code::Rdsspq_r64,
        Code::Endbr32,
        Code::Lfence,
        Code::Mfence,
        Code::Sfence,
        // The fences ignore their ModRM r/m bits: these are the other encodings.
        Code::Lfence_E9,
        Code::Lfence_EA,
        Code::Lfence_EB,
        Code::Lfence_EC,
        Code::Lfence_ED,
        Code::Lfence_EE,
        Code::Lfence_EF,
        Code::Mfence_F1,
        Code::Mfence_F2,
        Code::Mfence_F3,
        Code::Mfence_F4,
        Code::Mfence_F5,
        Code::Mfence_F6,
        Code::Mfence_F7,
        Code::Sfence_F9,
        Code::Sfence_FA,
        Code::Sfence_FB,
        Code::Sfence_FC,
        Code::Sfence_FD,
        Code::Sfence_FE,
        Code::Sfence_FF,
        Code::Prefetchnta_m8,
        Code::Prefetcht0_m8,
        Code::Prefetcht1_m8,
        Code::Prefetcht2_m8,
        Code::Prefetchw_m8,
    ] {
        t.set(c, |_, _| Some(nop));
    }
    t.set(Code::Clflush_m8, |_, _| Some(clflush));
    t.set(Code::Cpuid, |_, _| Some(cpuid));
    t.set(Code::Rdtsc, |_, _| Some(rdtsc));
    t.set(Code::Rdtscp, |_, _| Some(rdtscp));
    for c in [Code::Hlt, Code::Cli, Code::Sti, Code::Int1] {
        t.set(c, |_, _| Some(gp));
    }
    t.set(Code::Int3, |_, _| Some(int3));
    t.set(Code::Int_imm8, |_, _| Some(int_n));
    t.set(Code::Ud2, |_, _| Some(ud2));
    t.set(Code::Clc, |_, _| Some(flagop::<0>));
    t.set(Code::Stc, |_, _| Some(flagop::<1>));
    t.set(Code::Cmc, |_, _| Some(flagop::<2>));
    t.set(Code::Cld, |_, _| Some(flagop::<3>));
    t.set(Code::Std, |_, _| Some(flagop::<4>));
    t.set(Code::Lahf, |_, _| Some(lahf));
    t.set(Code::Sahf, |_, _| Some(sahf));
    for c in [Code::Cmpxchg_rm8_r8, Code::Cmpxchg_rm16_r16, Code::Cmpxchg_rm32_r32, Code::Cmpxchg_rm64_r64] {
        t.set(c, build_cmpxchg);
    }
    for c in [Code::Xadd_rm8_r8, Code::Xadd_rm16_r16, Code::Xadd_rm32_r32, Code::Xadd_rm64_r64] {
        t.set(c, build_xadd);
    }
    t.set(Code::Cmpxchg8b_m64, |_, _| Some(cmpxchg8b));
    t.set(Code::Cmpxchg16b_m128, |_, _| Some(cmpxchg16b));
}
