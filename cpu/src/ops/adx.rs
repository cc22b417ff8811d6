//! ADX: ADCX (add with CF as carry in and out) and ADOX (the same with OF), leaving every
//! other flag alone, so two carry chains can interleave. (Intel SDM Vol. 2 "ADCX", "ADOX".)

use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

fn adx<const W: u32, const OX: bool, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = if MEM { cpu.ld::<W>(cpu.ea(op))? } else { cpu.get_r::<W>(op.r1) };
        let a = cpu.get_r::<W>(op.r0);
        let (cf, of) = (cpu.lf.cf(), cpu.lf.of());
        let cin = if OX { of } else { cf } as u128;
        let m = if W == 64 { u64::MAX as u128 } else { u32::MAX as u128 };
        let s = a as u128 + b as u128 + cin;
        let carry = s > m;
        cpu.put_r::<W>(op.r0, s as u64);
        if OX {
            cpu.set_cf_of(cf, carry);
        } else {
            cpu.set_cf_of(carry, of);
        }
        Ok(())
    })
}

fn build<const W: u32, const OX: bool>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { adx::<W, OX, true> } else { adx::<W, OX, false> })
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Adcx_r32_rm32, build::<32, false>);
    t.set(Code::Adcx_r64_rm64, build::<64, false>);
    t.set(Code::Adox_r32_rm32, build::<32, true>);
    t.set(Code::Adox_r64_rm64, build::<64, true>);
}
