//! AVX conversions (Intel SDM Vol. 2, each mnemonic): VCVTSS2SD, VCVTSD2SS, VCVTSI2SS,
//! VCVTSI2SD (first source merged into the upper bits), VCVTPS2PD, VCVTPD2PS, VCVTDQ2PS,
//! VCVT(T)PS2DQ, VCVTDQ2PD, VCVT(T)PD2DQ in VEX.128 and VEX.256 forms, and the scalar
//! conversions to general registers (VCVT(T)SS2SI, VCVT(T)SD2SI), which are the SSE
//! handlers. The lane conversions are `sse_float`'s, with MXCSR rounding and flags.
//!
//! A packed conversion has as many elements as the wider side holds; a narrowing one
//! (VCVTPD2PS, VCVT(T)PD2DQ) writes an XMM register and zeroes everything above.

use super::avx_operand::{is_ymm, nds, vkind, vsel, vsrc, yget, yset, Y};
use super::sse_cvt::{Cvt, F2F, F2I, I2F};
use super::sse_float::{self as sf, Env};
use super::sse_operand::{commit, with_lane, xr};
use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

#[inline(always)]
fn get(w: u32, v: Y, i: u32) -> u64 {
    if w == 32 {
        yget::<32>(v, i)
    } else {
        yget::<64>(v, i)
    }
}

#[inline(always)]
fn set(w: u32, v: &mut Y, i: u32, x: u64) {
    if w == 32 {
        yset::<32>(v, i, x)
    } else {
        yset::<64>(v, i, x)
    }
}

fn vcvt<C: Cvt, const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let s = vsrc::<S>(cpu, op)?;
        let n = if Y2 { 256 } else { 128 } / C::SW.max(C::DW);
        let mut env = Env::new(cpu.mxcsr);
        let mut r: Y = [0, 0];
        for i in 0..n {
            set(C::DW, &mut r, i, C::f(&mut env, get(C::SW, s, i)));
        }
        commit(cpu, &env)?;
        if n * C::DW > 128 {
            cpu.put::<true>(op.r0, r);
        } else {
            cpu.put_x(op.r0, r[0]);
        }
        Ok(())
    })
}

fn build_vcvt<C: Cvt + 'static>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(is_ymm(i), vkind(i, false), vcvt::<C>, [0, 1, 3, 5])
}

/// VCVTSS2SD / VCVTSD2SS xmm1, xmm2, xmm3/m: the converted low element over xmm2.
fn vcvt_scalar<C: Cvt, const Y2: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let s = vsrc::<S>(cpu, op)?;
        let mut env = Env::new(cpu.mxcsr);
        let v = C::f(&mut env, get(C::SW, s, 0));
        commit(cpu, &env)?;
        let a = cpu.xmm[xr(op.r1)];
        cpu.put_x(op.r0, if C::DW == 32 { with_lane::<32>(a, 0, v) } else { with_lane::<64>(a, 0, v) });
        Ok(())
    })
}

fn build_vcvt_scalar<C: Cvt + 'static>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    nds(i, op);
    vsel!(false, vkind(i, false), vcvt_scalar::<C>, [0, 5, 6])
}

/// VCVTSI2SS/SD xmm1, xmm2, r/m32/64 (the integer register is `r2`).
fn vsi2f<const D: u32, const IW: u32, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = if MEM { cpu.ld::<IW>(cpu.ea(op))? } else { cpu.get_r::<IW>(op.r2) };
        let v = if IW == 32 { v as u32 as i32 as i64 } else { v as i64 };
        // Integers that fit the significand convert exactly (see `sse_cvt::si2f`).
        let f = if (D == 64 && IW == 32) || v.unsigned_abs() <= 1 << (if D == 32 { 24 } else { 53 }) {
            if D == 32 {
                (v as f32).to_bits() as u64
            } else {
                (v as f64).to_bits()
            }
        } else {
            let mut env = Env::new(cpu.mxcsr);
            let f = sf::from_int::<D>(&mut env, v);
            commit(cpu, &env)?;
            f
        };
        let a = cpu.xmm[xr(op.r1)];
        cpu.put_x(op.r0, if D == 32 { with_lane::<32>(a, 0, f) } else { with_lane::<64>(a, 0, f) });
        Ok(())
    })
}

fn build_vsi2f<const D: u32, const IW: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { vsi2f::<D, IW, true> } else { vsi2f::<D, IW, false> })
}

pub(super) fn register(t: &mut Table) {
    use super::sse_cvt::build_f2si;
    use Code as C;
    t.set(C::VEX_Vcvtsi2ss_xmm_xmm_rm32, build_vsi2f::<32, 32>);
    t.set(C::VEX_Vcvtsi2ss_xmm_xmm_rm64, build_vsi2f::<32, 64>);
    t.set(C::VEX_Vcvtsi2sd_xmm_xmm_rm32, build_vsi2f::<64, 32>);
    t.set(C::VEX_Vcvtsi2sd_xmm_xmm_rm64, build_vsi2f::<64, 64>);
    t.set(C::VEX_Vcvtss2si_r32_xmmm32, build_f2si::<32, 32, false>);
    t.set(C::VEX_Vcvtss2si_r64_xmmm32, build_f2si::<32, 64, false>);
    t.set(C::VEX_Vcvttss2si_r32_xmmm32, build_f2si::<32, 32, true>);
    t.set(C::VEX_Vcvttss2si_r64_xmmm32, build_f2si::<32, 64, true>);
    t.set(C::VEX_Vcvtsd2si_r32_xmmm64, build_f2si::<64, 32, false>);
    t.set(C::VEX_Vcvtsd2si_r64_xmmm64, build_f2si::<64, 64, false>);
    t.set(C::VEX_Vcvttsd2si_r32_xmmm64, build_f2si::<64, 32, true>);
    t.set(C::VEX_Vcvttsd2si_r64_xmmm64, build_f2si::<64, 64, true>);
    t.set(C::VEX_Vcvtss2sd_xmm_xmm_xmmm32, build_vcvt_scalar::<F2F<32, 64>>);
    t.set(C::VEX_Vcvtsd2ss_xmm_xmm_xmmm64, build_vcvt_scalar::<F2F<64, 32>>);
    let l = |t: &mut Table, cs: &[Code], b: super::Builder| {
        for &c in cs {
            t.set(c, b);
        }
    };
    l(t, &[C::VEX_Vcvtps2pd_xmm_xmmm64, C::VEX_Vcvtps2pd_ymm_xmmm128], build_vcvt::<F2F<32, 64>>);
    l(t, &[C::VEX_Vcvtpd2ps_xmm_xmmm128, C::VEX_Vcvtpd2ps_xmm_ymmm256], build_vcvt::<F2F<64, 32>>);
    l(t, &[C::VEX_Vcvtdq2ps_xmm_xmmm128, C::VEX_Vcvtdq2ps_ymm_ymmm256], build_vcvt::<I2F<32>>);
    l(t, &[C::VEX_Vcvtdq2pd_xmm_xmmm64, C::VEX_Vcvtdq2pd_ymm_xmmm128], build_vcvt::<I2F<64>>);
    l(t, &[C::VEX_Vcvtps2dq_xmm_xmmm128, C::VEX_Vcvtps2dq_ymm_ymmm256], build_vcvt::<F2I<32, false>>);
    l(t, &[C::VEX_Vcvttps2dq_xmm_xmmm128, C::VEX_Vcvttps2dq_ymm_ymmm256], build_vcvt::<F2I<32, true>>);
    l(t, &[C::VEX_Vcvtpd2dq_xmm_xmmm128, C::VEX_Vcvtpd2dq_xmm_ymmm256], build_vcvt::<F2I<64, false>>);
    l(t, &[C::VEX_Vcvttpd2dq_xmm_xmmm128, C::VEX_Vcvttpd2dq_xmm_ymmm256], build_vcvt::<F2I<64, true>>);
}
