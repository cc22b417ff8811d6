//! AVX floating-point arithmetic, comparison and logic in VEX.128 and VEX.256 forms
//! (Intel SDM Vol. 2, each mnemonic; Vol. 1 §14.9 and §11.5 for exceptions):
//! VADD/VSUB/VMUL/VDIV/VMIN/VMAX/VSQRT {PS,PD,SS,SD}, VCMP{PS,PD,SS,SD} with all 32
//! predicates, VCOMISS/VUCOMISS/VCOMISD/VUCOMISD, VAND/VANDN/VOR/VXOR {PS,PD},
//! VADDSUB/VHADD/VHSUB {PS,PD}, VROUND{PS,PD,SS,SD}, VDPPS/VDPPD, VRCPPS/VRCPSS and
//! VRSQRTPS/VRSQRTSS.
//!
//! The lane arithmetic is the SSE model's (`sse_fp`, `sse_float`): the same host-float
//! fast paths under default MXCSR controls, the same exact integer model otherwise. A
//! packed VEX.256 instruction checks all eight (four) lanes for unmasked exceptions
//! before writing anything, as one instruction. Scalar forms take bits 32..127 (64..127)
//! of the destination from the first source, and zero bits 128..255.

use super::avx_int::Logic;
use super::avx_operand::{build_lanes, is_ymm, nds, vkind, vsel, vsrc, vsrc_fast, with_vsrc_next, Y};
use super::sse3::{AddSub, FpOp, Horiz};
use super::sse41_fp::{Dp, Round};
use super::sse_float::{self as sf, Cmp, Env, CTRL_DEFAULT, CTRL_MASK, PE};
use super::sse_fp::{
    cmp_quiet, fast_lanes, hot_lanes, Add, Arith, Div, MinMax, Mul, Sqrt, AND, ANDN, OR, XOR,
};
use super::sse_operand::{commit, lane, with_lane};
use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::exec::{and_next, next_op};
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

// ---- arithmetic ----

/// Packed (`P`) or scalar arithmetic: the hot path (see `sse_fp::arith`); everything
/// else goes to `varith_general`, out of line.
fn varith<O: Arith, const W: u32, const P: bool, const Y2: bool, const S: u8>(
    cpu: &mut Cpu,
    op: &Op,
) -> Flow {
    if cpu.mxcsr & (CTRL_MASK | PE) == CTRL_DEFAULT | PE {
        if let Some(b) = vsrc_fast::<S>(cpu, op) {
            let a = cpu.ymm(op.r1);
            if P {
                if let Some(lo) = hot_lanes::<O, W>(a[0], b[0], 128 / W) {
                    if !Y2 {
                        cpu.put_x(op.r0, lo);
                        return next_op(cpu, op, Ok(()));
                    }
                    if let Some(hi) = hot_lanes::<O, W>(a[1], b[1], 128 / W) {
                        cpu.put::<true>(op.r0, [lo, hi]);
                        return next_op(cpu, op, Ok(()));
                    }
                }
            } else if let Some(r) = O::hot::<W>(lane::<W>(a[0], 0), lane::<W>(b[0], 0)) {
                cpu.put_x(op.r0, with_lane::<W>(a[0], 0, r));
                return next_op(cpu, op, Ok(()));
            }
        }
    }
    varith_general::<O, W, P, Y2, S>(cpu, op)
}

#[inline(never)]
fn varith_general<O: Arith, const W: u32, const P: bool, const Y2: bool, const S: u8>(
    cpu: &mut Cpu,
    op: &Op,
) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = vsrc::<S>(cpu, op)?;
        let a = cpu.ymm(op.r1);
        let n = if P { 128 / W } else { 1 };
        let halves = if P && Y2 { 2 } else { 1 };
        if cpu.mxcsr & CTRL_MASK == CTRL_DEFAULT {
            let x = cpu.mxcsr & PE == 0;
            let mut r: Y = if P { [0, 0] } else { [a[0], 0] };
            let mut pe = false;
            let mut ok = true;
            for k in 0..halves {
                let done = if x {
                    fast_lanes::<O, W, true>(a[k], b[k], n)
                } else {
                    fast_lanes::<O, W, false>(a[k], b[k], n)
                };
                match done {
                    Some((v, p)) => {
                        r[k] = v;
                        pe |= p;
                    }
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                if pe {
                    cpu.mxcsr |= PE;
                }
                cpu.put::<Y2>(op.r0, r);
                return Ok(());
            }
        }
        let mut env = Env::new(cpu.mxcsr);
        let mut r: Y = [a[0], if Y2 { a[1] } else { 0 }];
        for k in 0..halves {
            for i in 0..n {
                r[k] =
                    with_lane::<W>(r[k], i, O::slow::<W>(&mut env, lane::<W>(a[k], i), lane::<W>(b[k], i)));
            }
        }
        commit(cpu, &env)?;
        cpu.put::<Y2>(op.r0, r);
        Ok(())
    })
}

fn build_varith<O: Arith + 'static, const W: u32, const P: bool>(
    i: &Instruction,
    op: &mut Op,
) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), varith::<O, W, P>, [0, 1, 3, 5, 6])
}

// ---- VCMPccPS/PD/SS/SD: 32 predicates ----

/// Whether predicate `pred` (imm8[4:0]) holds for the comparison result `c`.
#[inline(always)]
fn vpred_holds(pred: u64, c: Cmp) -> bool {
    let (lt, eq, gt, un) = (c == Cmp::Lt, c == Cmp::Eq, c == Cmp::Gt, c == Cmp::Un);
    match pred & 15 {
        0 => eq,
        1 => lt,
        2 => lt || eq,
        3 => un,
        4 => !eq,
        5 => !lt,
        6 => !(lt || eq),
        7 => !un,
        8 => eq || un,
        9 => !(gt || eq),
        10 => !gt,
        11 => false,
        12 => lt || gt,
        13 => gt || eq,
        14 => gt,
        _ => true,
    }
}

/// Whether predicate `pred` signals (raises IE) on a QNaN operand.
#[inline(always)]
fn signaling(pred: u64) -> bool {
    matches!(pred & 15, 1 | 2 | 5 | 6 | 9 | 10 | 13 | 14) ^ (pred & 16 != 0)
}

fn vcmp<const W: u32, const P: bool, const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, b| {
        let a = cpu.ymm(op.r1);
        let pred = op.imm & 31;
        let n = if P { 128 / W } else { 1 };
        let halves = if P && Y2 { 2 } else { 1 };
        let mut r: Y = if P { [0, 0] } else { [a[0], 0] };
        for k in 0..halves {
            for i in 0..n {
                match cmp_quiet::<W>(lane::<W>(a[k], i), lane::<W>(b[k], i)) {
                    Some(c) => {
                        r[k] = with_lane::<W>(r[k], i, if vpred_holds(pred, c) { u64::MAX } else { 0 })
                    }
                    None => return vcmp_general::<W, P, Y2>(cpu, op, a, b),
                }
            }
        }
        cpu.put::<Y2>(op.r0, r);
        Ok(())
    })
}

/// VCMPcc with a NaN or denormal lane: every lane through `sf::compare` and MXCSR.
#[inline(never)]
fn vcmp_general<const W: u32, const P: bool, const Y2: bool>(cpu: &mut Cpu, op: &Op, a: Y, b: Y) -> Flow {
    let pred = op.imm & 31;
    let n = if P { 128 / W } else { 1 };
    let halves = if P && Y2 { 2 } else { 1 };
    let mut env = Env::new(cpu.mxcsr);
    let mut r: Y = if P { [0, 0] } else { [a[0], 0] };
    for k in 0..halves {
        for i in 0..n {
            let (x, y) = (lane::<W>(a[k], i), lane::<W>(b[k], i));
            let c = if signaling(pred) {
                sf::compare::<W, true>(&mut env, x, y)
            } else {
                sf::compare::<W, false>(&mut env, x, y)
            };
            r[k] = with_lane::<W>(r[k], i, if vpred_holds(pred, c) { u64::MAX } else { 0 });
        }
    }
    commit(cpu, &env)?;
    cpu.put::<Y2>(op.r0, r);
    Ok(())
}

fn build_vcmp<const W: u32, const P: bool>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), vcmp::<W, P>, [0, 1, 3, 5, 6])
}

// ---- operations on whole lanes under MXCSR (`sse3::FpOp`) ----

/// `dst = O(src1, src2, imm8)` on each 128-bit lane, one MXCSR update for the whole
/// instruction.
fn vfp<O: FpOp, const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = vsrc::<S>(cpu, op)?;
        let a = cpu.ymm(op.r1);
        let mut env = Env::new(cpu.mxcsr);
        let imm = op.imm as u8;
        let lo = O::f(&mut env, a[0], b[0], imm);
        let hi = if Y2 { O::f(&mut env, a[1], b[1], imm) } else { 0 };
        commit(cpu, &env)?;
        cpu.put::<Y2>(op.r0, [lo, hi]);
        Ok(())
    })
}

pub(super) fn build_vfp<O: FpOp + 'static>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), vfp::<O>, [0, 1, 3, 5, 6])
}

/// VDPPS ymm: both lanes' dot products, stage by stage (`sse41_fp::dp`).
fn vdpps_y<const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let b = vsrc::<S>(cpu, op)?;
        let a = cpu.ymm(op.r1);
        let mut env = Env::new(cpu.mxcsr);
        let r = super::sse41_fp::dp::<32>(&mut env, a, b, 2, op.imm as u8);
        commit(cpu, &env)?;
        cpu.put::<true>(op.r0, r.expect("a faulting stage raises an unmasked exception"));
        Ok(())
    })
}

// ---- VRCP / VRSQRT ----

fn vapprox<const RSQ: bool, const P: bool, const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    with_vsrc_next::<S, _>(cpu, op, |cpu, op, b| {
        let f = if RSQ { super::sse_approx::rsqrt } else { super::sse_approx::rcp };
        let each = |v: u128| (0..4).fold(0u128, |r, i| r | (f((v >> (32 * i)) as u32) as u128) << (32 * i));
        if P {
            cpu.put::<Y2>(op.r0, [each(b[0]), if Y2 { each(b[1]) } else { 0 }]);
        } else {
            let a = cpu.ymm(op.r1)[0];
            cpu.put_x(op.r0, (a & !0xffff_ffff) | f(b[0] as u32) as u128);
        }
        Ok(())
    })
}

fn build_vapprox<const RSQ: bool, const P: bool>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), vapprox::<RSQ, P>, [0, 1, 3, 6])
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    macro_rules! arith {
        ($o:ty, $ps:ident, $psy:ident, $pd:ident, $pdy:ident, $ss:ident, $sd:ident) => {
            t.set(C::$ps, build_varith::<$o, 32, true>);
            t.set(C::$psy, build_varith::<$o, 32, true>);
            t.set(C::$pd, build_varith::<$o, 64, true>);
            t.set(C::$pdy, build_varith::<$o, 64, true>);
            t.set(C::$ss, build_varith::<$o, 32, false>);
            t.set(C::$sd, build_varith::<$o, 64, false>);
        };
    }
    arith!(
        Add<false>,
        VEX_Vaddps_xmm_xmm_xmmm128,
        VEX_Vaddps_ymm_ymm_ymmm256,
        VEX_Vaddpd_xmm_xmm_xmmm128,
        VEX_Vaddpd_ymm_ymm_ymmm256,
        VEX_Vaddss_xmm_xmm_xmmm32,
        VEX_Vaddsd_xmm_xmm_xmmm64
    );
    arith!(
        Add<true>,
        VEX_Vsubps_xmm_xmm_xmmm128,
        VEX_Vsubps_ymm_ymm_ymmm256,
        VEX_Vsubpd_xmm_xmm_xmmm128,
        VEX_Vsubpd_ymm_ymm_ymmm256,
        VEX_Vsubss_xmm_xmm_xmmm32,
        VEX_Vsubsd_xmm_xmm_xmmm64
    );
    arith!(
        Mul,
        VEX_Vmulps_xmm_xmm_xmmm128,
        VEX_Vmulps_ymm_ymm_ymmm256,
        VEX_Vmulpd_xmm_xmm_xmmm128,
        VEX_Vmulpd_ymm_ymm_ymmm256,
        VEX_Vmulss_xmm_xmm_xmmm32,
        VEX_Vmulsd_xmm_xmm_xmmm64
    );
    arith!(
        Div,
        VEX_Vdivps_xmm_xmm_xmmm128,
        VEX_Vdivps_ymm_ymm_ymmm256,
        VEX_Vdivpd_xmm_xmm_xmmm128,
        VEX_Vdivpd_ymm_ymm_ymmm256,
        VEX_Vdivss_xmm_xmm_xmmm32,
        VEX_Vdivsd_xmm_xmm_xmmm64
    );
    arith!(
        MinMax<false>,
        VEX_Vminps_xmm_xmm_xmmm128,
        VEX_Vminps_ymm_ymm_ymmm256,
        VEX_Vminpd_xmm_xmm_xmmm128,
        VEX_Vminpd_ymm_ymm_ymmm256,
        VEX_Vminss_xmm_xmm_xmmm32,
        VEX_Vminsd_xmm_xmm_xmmm64
    );
    arith!(
        MinMax<true>,
        VEX_Vmaxps_xmm_xmm_xmmm128,
        VEX_Vmaxps_ymm_ymm_ymmm256,
        VEX_Vmaxpd_xmm_xmm_xmmm128,
        VEX_Vmaxpd_ymm_ymm_ymmm256,
        VEX_Vmaxss_xmm_xmm_xmmm32,
        VEX_Vmaxsd_xmm_xmm_xmmm64
    );
    arith!(
        Sqrt,
        VEX_Vsqrtps_xmm_xmmm128,
        VEX_Vsqrtps_ymm_ymmm256,
        VEX_Vsqrtpd_xmm_xmmm128,
        VEX_Vsqrtpd_ymm_ymmm256,
        VEX_Vsqrtss_xmm_xmm_xmmm32,
        VEX_Vsqrtsd_xmm_xmm_xmmm64
    );

    for c in [C::VEX_Vcmpps_xmm_xmm_xmmm128_imm8, C::VEX_Vcmpps_ymm_ymm_ymmm256_imm8] {
        t.set(c, build_vcmp::<32, true>);
    }
    for c in [C::VEX_Vcmppd_xmm_xmm_xmmm128_imm8, C::VEX_Vcmppd_ymm_ymm_ymmm256_imm8] {
        t.set(c, build_vcmp::<64, true>);
    }
    t.set(C::VEX_Vcmpss_xmm_xmm_xmmm32_imm8, build_vcmp::<32, false>);
    t.set(C::VEX_Vcmpsd_xmm_xmm_xmmm64_imm8, build_vcmp::<64, false>);

    // Flags only: the SSE handlers serve as they are.
    t.set(C::VEX_Vcomiss_xmm_xmmm32, super::sse_fp::build_comis::<32, true>);
    t.set(C::VEX_Vucomiss_xmm_xmmm32, super::sse_fp::build_comis::<32, false>);
    t.set(C::VEX_Vcomisd_xmm_xmmm64, super::sse_fp::build_comis::<64, true>);
    t.set(C::VEX_Vucomisd_xmm_xmmm64, super::sse_fp::build_comis::<64, false>);

    macro_rules! logic {
        ($l:expr, $($c:ident),+) => {
            $( t.set(C::$c, build_lanes::<Logic<{ $l }>>); )+
        };
    }
    logic!(
        AND,
        VEX_Vandps_xmm_xmm_xmmm128,
        VEX_Vandps_ymm_ymm_ymmm256,
        VEX_Vandpd_xmm_xmm_xmmm128,
        VEX_Vandpd_ymm_ymm_ymmm256
    );
    logic!(
        ANDN,
        VEX_Vandnps_xmm_xmm_xmmm128,
        VEX_Vandnps_ymm_ymm_ymmm256,
        VEX_Vandnpd_xmm_xmm_xmmm128,
        VEX_Vandnpd_ymm_ymm_ymmm256
    );
    logic!(
        OR,
        VEX_Vorps_xmm_xmm_xmmm128,
        VEX_Vorps_ymm_ymm_ymmm256,
        VEX_Vorpd_xmm_xmm_xmmm128,
        VEX_Vorpd_ymm_ymm_ymmm256
    );
    logic!(
        XOR,
        VEX_Vxorps_xmm_xmm_xmmm128,
        VEX_Vxorps_ymm_ymm_ymmm256,
        VEX_Vxorpd_xmm_xmm_xmmm128,
        VEX_Vxorpd_ymm_ymm_ymmm256
    );

    for c in [C::VEX_Vaddsubps_xmm_xmm_xmmm128, C::VEX_Vaddsubps_ymm_ymm_ymmm256] {
        t.set(c, build_vfp::<AddSub<32>>);
    }
    for c in [C::VEX_Vaddsubpd_xmm_xmm_xmmm128, C::VEX_Vaddsubpd_ymm_ymm_ymmm256] {
        t.set(c, build_vfp::<AddSub<64>>);
    }
    for c in [C::VEX_Vhaddps_xmm_xmm_xmmm128, C::VEX_Vhaddps_ymm_ymm_ymmm256] {
        t.set(c, build_vfp::<Horiz<32, false>>);
    }
    for c in [C::VEX_Vhaddpd_xmm_xmm_xmmm128, C::VEX_Vhaddpd_ymm_ymm_ymmm256] {
        t.set(c, build_vfp::<Horiz<64, false>>);
    }
    for c in [C::VEX_Vhsubps_xmm_xmm_xmmm128, C::VEX_Vhsubps_ymm_ymm_ymmm256] {
        t.set(c, build_vfp::<Horiz<32, true>>);
    }
    for c in [C::VEX_Vhsubpd_xmm_xmm_xmmm128, C::VEX_Vhsubpd_ymm_ymm_ymmm256] {
        t.set(c, build_vfp::<Horiz<64, true>>);
    }
    for c in [C::VEX_Vroundps_xmm_xmmm128_imm8, C::VEX_Vroundps_ymm_ymmm256_imm8] {
        t.set(c, build_vfp::<Round<32, true>>);
    }
    for c in [C::VEX_Vroundpd_xmm_xmmm128_imm8, C::VEX_Vroundpd_ymm_ymmm256_imm8] {
        t.set(c, build_vfp::<Round<64, true>>);
    }
    t.set(C::VEX_Vroundss_xmm_xmm_xmmm32_imm8, build_vfp::<Round<32, false>>);
    t.set(C::VEX_Vroundsd_xmm_xmm_xmmm64_imm8, build_vfp::<Round<64, false>>);
    t.set(C::VEX_Vdpps_xmm_xmm_xmmm128_imm8, build_vfp::<Dp<32>>);
    t.set(C::VEX_Vdpps_ymm_ymm_ymmm256_imm8, |i, op| {
        nds(i, op);
        Some(if super::has_mem(i) { vdpps_y::<{ super::avx_operand::M256 }> } else { vdpps_y::<0> })
    });
    t.set(C::VEX_Vdppd_xmm_xmm_xmmm128_imm8, build_vfp::<Dp<64>>);

    for c in [C::VEX_Vrcpps_xmm_xmmm128, C::VEX_Vrcpps_ymm_ymmm256] {
        t.set(c, build_vapprox::<false, true>);
    }
    for c in [C::VEX_Vrsqrtps_xmm_xmmm128, C::VEX_Vrsqrtps_ymm_ymmm256] {
        t.set(c, build_vapprox::<true, true>);
    }
    t.set(C::VEX_Vrcpss_xmm_xmm_xmmm32, build_vapprox::<false, false>);
    t.set(C::VEX_Vrsqrtss_xmm_xmm_xmmm32, build_vapprox::<true, false>);
}
