//! MXCSR access: LDMXCSR and STMXCSR (Intel SDM Vol. 2; Vol. 1 §10.2.3). Setting a
//! reserved bit (16..31; the modelled CPU's MXCSR_MASK is 0xffff) raises #GP.

use super::Table;
use crate::decode::{Flow, Op};
use crate::state::Cpu;
use iced_x86::Code;

fn ldmxcsr(cpu: &mut Cpu, op: &Op) -> Flow {
    let r = (|| -> Flow {
        let v = cpu.ld32(cpu.ea(op))?;
        if v & 0xffff_0000 != 0 {
            return Err(cpu.gp_fault());
        }
        cpu.mxcsr = v;
        Ok(())
    })();
    crate::exec::next_op(cpu, op, r)
}

fn stmxcsr(cpu: &mut Cpu, op: &Op) -> Flow {
    let r = (|| -> Flow { cpu.st32(cpu.ea(op), cpu.mxcsr) })();
    crate::exec::next_op(cpu, op, r)
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Ldmxcsr_m32, |_, _| Some(ldmxcsr));
    t.set(Code::Stmxcsr_m32, |_, _| Some(stmxcsr));
}
