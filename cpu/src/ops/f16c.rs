//! F16C: VCVTPH2PS and VCVTPS2PH, half-precision conversions (Intel SDM Vol. 2 "VCVTPH2PS"
//! and "VCVTPS2PH"; Vol. 1 §14.4.1 "Half-Precision Floating-Point Conversion").
//!
//! VCVTPH2PS widens exactly (an SNaN raises IE and is quieted). VCVTPS2PH rounds by
//! imm8[1:0], or by MXCSR.RC when imm8[2] is set, with the SSE exception rules of
//! `sse_float::convert`; its register destination is an XMM register (upper bits zeroed)
//! and its memory destination is 64 or 128 bits.

use super::avx_operand::{is_ymm, nds, store_y, vkind, vsel, vsrc, yget, yset, Y};
use super::sse_float::{self as sf, Env};
use super::sse_operand::commit;
use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

fn cvtph2ps<const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let s = vsrc::<S>(cpu, op)?;
        // Half denormals widen exactly: DAZ does not apply and DE is not raised.
        let mut env = Env::new(cpu.mxcsr & !sf::DAZ);
        let mut r: Y = [0, 0];
        for i in 0..if Y2 { 8 } else { 4 } {
            yset::<32>(&mut r, i, sf::convert::<16, 32>(&mut env, yget::<16>(s, i)));
        }
        env.flags &= !sf::DE;
        commit(cpu, &env)?;
        cpu.put::<Y2>(op.r0, r);
        Ok(())
    })
}

fn build_ph2ps(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), cvtph2ps, [0, 3, 5])
}

/// VCVTPS2PH: `MEM` stores 4 (8 with `Y2`) halves, else writes them to XMM `r0`; the
/// source is `r1` either way (`r0` with a memory destination).
fn cvtps2ph<const Y2: bool, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let s = cpu.ymm(if MEM { op.r0 } else { op.r1 });
        // A faulting store leaves MXCSR alone and takes priority over an unmasked
        // exception: the destination is checked first.
        if MEM {
            let a = cpu.ea(op);
            cpu.probe_write(a, if Y2 { 16 } else { 8 })?;
        }
        let mut env = Env::new(cpu.mxcsr);
        if op.imm & 4 == 0 {
            env.rc = (op.imm & 3) as u32;
        }
        // Tiny results are delivered as half denormals whatever MXCSR.FTZ says.
        env.ftz = false;
        let mut r: Y = [0, 0];
        for i in 0..if Y2 { 8 } else { 4 } {
            yset::<16>(&mut r, i, sf::convert::<32, 16>(&mut env, yget::<32>(s, i)));
        }
        commit(cpu, &env)?;
        if MEM {
            let a = cpu.ea(op);
            if Y2 {
                store_y::<16>(cpu, a, r)
            } else {
                store_y::<8>(cpu, a, r)
            }
        } else {
            cpu.put_x(op.r0, r[0]);
            Ok(())
        }
    })
}

fn build_ps2ph(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(match (is_ymm(i), has_mem(i)) {
        (false, false) => cvtps2ph::<false, false>,
        (false, true) => cvtps2ph::<false, true>,
        (true, false) => cvtps2ph::<true, false>,
        (true, true) => cvtps2ph::<true, true>,
    })
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::VEX_Vcvtph2ps_xmm_xmmm64, build_ph2ps);
    t.set(Code::VEX_Vcvtph2ps_ymm_xmmm128, build_ph2ps);
    t.set(Code::VEX_Vcvtps2ph_xmmm64_xmm_imm8, build_ps2ph);
    t.set(Code::VEX_Vcvtps2ph_xmmm128_ymm_imm8, build_ps2ph);
}
