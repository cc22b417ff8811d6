//! MXCSR access: LDMXCSR and STMXCSR (Intel SDM Vol. 2; Vol. 1 §10.2.3). Setting a
//! reserved bit (16..31; the modelled CPU's MXCSR_MASK is 0xffff) raises #GP.

use super::Table;
use crate::decode::{Flow, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::Code;

pub(super) fn ldmxcsr(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.ld32(cpu.ea(op))?;
        if v & 0xffff_0000 != 0 {
            return Err(cpu.gp_fault());
        }
        cpu.mxcsr = v;
        Ok(())
    })
}

pub(super) fn stmxcsr(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| cpu.st32(cpu.ea(op), cpu.mxcsr))
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Ldmxcsr_m32, |_, _| Some(ldmxcsr));
    t.set(Code::Stmxcsr_m32, |_, _| Some(stmxcsr));
}
