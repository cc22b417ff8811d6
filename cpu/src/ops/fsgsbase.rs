//! FSGSBASE: RDFSBASE, RDGSBASE, WRFSBASE, WRGSBASE (Intel SDM Vol. 2 "RDFSBASE/RDGSBASE",
//! "WRFSBASE/WRGSBASE"). The 32-bit forms read the low half (zero-extended into the
//! register) and write a zero-extended base; a non-canonical 64-bit base is #GP. Linux
//! enables them for user mode (CR4.FSGSBASE) and says so with HWCAP2_FSGSBASE.

use super::Table;
use crate::decode::{Flow, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::Code;

/// Segment slot (1 = FS, 2 = GS) to a register of W bits.
fn rdbase<const SEG: usize, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.seg_base[SEG];
        cpu.put_r::<W>(op.r0, v);
        Ok(())
    })
}

fn wrbase<const SEG: usize, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.get_r::<W>(op.r0);
        if ((v as i64) << 16 >> 16) as u64 != v {
            return Err(cpu.gp_fault());
        }
        cpu.seg_base[SEG] = v;
        Ok(())
    })
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    t.set(C::Rdfsbase_r32, |_, _| Some(rdbase::<1, 32>));
    t.set(C::Rdfsbase_r64, |_, _| Some(rdbase::<1, 64>));
    t.set(C::Rdgsbase_r32, |_, _| Some(rdbase::<2, 32>));
    t.set(C::Rdgsbase_r64, |_, _| Some(rdbase::<2, 64>));
    t.set(C::Wrfsbase_r32, |_, _| Some(wrbase::<1, 32>));
    t.set(C::Wrfsbase_r64, |_, _| Some(wrbase::<1, 64>));
    t.set(C::Wrgsbase_r32, |_, _| Some(wrbase::<2, 32>));
    t.set(C::Wrgsbase_r64, |_, _| Some(wrbase::<2, 64>));
}
