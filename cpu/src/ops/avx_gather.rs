//! AVX2 gathers (Intel SDM Vol. 2 "VPGATHERDD/VPGATHERQD", "VPGATHERDQ/VPGATHERQQ",
//! "VGATHERDPS/VGATHERQPS", "VGATHERDPD/VGATHERQPD"; Vol. 2 §2.3.12 "Vector SIB (VSIB)
//! Memory Addressing").
//!
//! Element j's address is base + sign-extended index element j * scale + disp (with the
//! address-size wrap and segment base of an ordinary operand). Elements are taken lowest
//! first: one whose mask sign bit is set is loaded, the others keep their destination
//! value, and each one's mask element is cleared as its turn passes. A fault stops the instruction
//! with the elements below it done (destination element written, mask element cleared)
//! and nothing else changed (the pending mask elements keep their value, the upper halves
//! of XMM forms are not zeroed, as on the host), so that the restarted instruction
//! finishes the job. When it completes, the whole mask register is zero. Destination, index and mask registers that coincide are
//! #UD, which the decoder already reports as an invalid instruction.

use super::avx_operand::{yget, yset, Y};
use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

/// The address of element `ix` (already sign-extended) of a VSIB operand.
#[inline(always)]
fn vsib_addr(cpu: &Cpu, op: &Op, ix: u64) -> u64 {
    let a = cpu.regs[op.base as usize].wrapping_add(ix << op.scale).wrapping_add(op.disp);
    let a = if op.addr32 { a & 0xffff_ffff } else { a };
    a.wrapping_add(cpu.seg_base[op.seg as usize])
}

/// `N` elements of EW bits gathered with IW-bit indices; `YD`: the destination and mask
/// are YMM registers.
fn gather<const IW: u32, const EW: u32, const N: u32, const YD: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let idx = cpu.ymm(op.index);
        let mut dst = cpu.ymm(op.r0);
        let m = cpu.ymm(op.r1);
        let mut pending = (0..N).fold(0u32, |r, j| r | ((yget::<EW>(m, j) >> (EW - 1)) as u32 & 1) << j);
        // Bits beyond the N elements (VPGATHERQD/VGATHERQPS with XMM indices) are zeroed.
        let keep = |v: Y| -> Y {
            let bits = N * EW;
            if bits >= 256 {
                v
            } else if bits == 128 {
                [v[0], 0]
            } else if bits > 128 {
                [v[0], v[1] & (u128::MAX >> (256 - bits))]
            } else {
                [v[0] & (u128::MAX >> (128 - bits)), 0]
            }
        };
        let mut mask = m;
        for j in 0..N {
            if pending >> j & 1 == 0 {
                // Elements are taken in order, and each one's mask element is cleared as
                // its turn passes, loaded or not.
                yset::<EW>(&mut mask, j, 0);
                continue;
            }
            let ix =
                if IW == 32 { yget::<32>(idx, j) as u32 as i32 as i64 as u64 } else { yget::<64>(idx, j) };
            let a = vsib_addr(cpu, op, ix);
            let v = match cpu.ld::<EW>(a) {
                Ok(v) => v,
                Err(e) => {
                    // Only the completed elements change.
                    let (d, k) = (op.r0 as usize & 15, op.r1 as usize & 15);
                    (cpu.xmm[d], cpu.ymmh[d]) = (dst[0], dst[1]);
                    (cpu.xmm[k], cpu.ymmh[k]) = (mask[0], mask[1]);
                    return Err(e);
                }
            };
            yset::<EW>(&mut dst, j, v);
            yset::<EW>(&mut mask, j, 0);
            pending &= !(1 << j);
        }
        cpu.put::<YD>(op.r0, keep(dst));
        cpu.put::<YD>(op.r1, [0, 0]);
        Ok(())
    })
}

fn build_gather<const IW: u32, const EW: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let yd = i.op0_register().is_ymm();
    let yi = i.memory_index().is_ymm();
    let n = (if yi { 256 } else { 128 } / IW).min(if yd { 256 } else { 128 } / EW);
    Some(match (n, yd) {
        (2, false) => gather::<IW, EW, 2, false>,
        (4, false) => gather::<IW, EW, 4, false>,
        (4, true) => gather::<IW, EW, 4, true>,
        (8, true) => gather::<IW, EW, 8, true>,
        _ => return None,
    })
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    for c in [
        C::VEX_Vpgatherdd_xmm_vm32x_xmm,
        C::VEX_Vpgatherdd_ymm_vm32y_ymm,
        C::VEX_Vgatherdps_xmm_vm32x_xmm,
        C::VEX_Vgatherdps_ymm_vm32y_ymm,
    ] {
        t.set(c, build_gather::<32, 32>);
    }
    for c in [
        C::VEX_Vpgatherdq_xmm_vm32x_xmm,
        C::VEX_Vpgatherdq_ymm_vm32x_ymm,
        C::VEX_Vgatherdpd_xmm_vm32x_xmm,
        C::VEX_Vgatherdpd_ymm_vm32x_ymm,
    ] {
        t.set(c, build_gather::<32, 64>);
    }
    for c in [
        C::VEX_Vpgatherqd_xmm_vm64x_xmm,
        C::VEX_Vpgatherqd_xmm_vm64y_xmm,
        C::VEX_Vgatherqps_xmm_vm64x_xmm,
        C::VEX_Vgatherqps_xmm_vm64y_xmm,
    ] {
        t.set(c, build_gather::<64, 32>);
    }
    for c in [
        C::VEX_Vpgatherqq_xmm_vm64x_xmm,
        C::VEX_Vpgatherqq_ymm_vm64y_ymm,
        C::VEX_Vgatherqpd_xmm_vm64x_xmm,
        C::VEX_Vgatherqpd_ymm_vm64y_ymm,
    ] {
        t.set(c, build_gather::<64, 64>);
    }
}
