//! RDRAND and RDSEED: a random 16/32/64-bit value in the destination register, CF = 1
//! (the value is valid), OF SF ZF AF PF cleared. (Intel SDM Vol. 2 "RDRAND", "RDSEED".)
//! The numbers come from `Cpu::outside`, which the kernel shim routes through its world's
//! randomness (seeded under --deterministic, recorded and replayed, like getrandom).

use super::Table;
use crate::decode::{Flow, Op};
use crate::exec::and_next;
use crate::flags::{ARITH, CF};
use crate::state::Cpu;
use iced_x86::Code;

fn rdrand<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = cpu.outside.random();
        cpu.put_r::<W>(op.r0, v);
        cpu.set_flags_masked(ARITH, CF);
        Ok(())
    })
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    t.set(C::Rdrand_r16, |_, _| Some(rdrand::<16>));
    t.set(C::Rdrand_r32, |_, _| Some(rdrand::<32>));
    t.set(C::Rdrand_r64, |_, _| Some(rdrand::<64>));
    t.set(C::Rdseed_r16, |_, _| Some(rdrand::<16>));
    t.set(C::Rdseed_r32, |_, _| Some(rdrand::<32>));
    t.set(C::Rdseed_r64, |_, _| Some(rdrand::<64>));
}
