//! FMA3: VFMADD, VFMSUB, VFNMADD, VFNMSUB, VFMADDSUB, VFMSUBADD in their 132, 213 and
//! 231 forms, packed (PS, PD; VEX.128 and VEX.256) and scalar (SS, SD). (Intel SDM
//! Vol. 2 "VFMADD132PD/VFMADD213PD/VFMADD231PD" and the other FMA pages; Vol. 1 §14.5.)
//!
//! The digits name the operands: with the destination as operand 1, VEX.vvvv as 2 and
//! ModRM.rm as 3, "132" computes op1 * op3 + op2, "213" op2 * op1 + op3 and "231"
//! op2 * op3 + op1. Every element rounds once. Under the default MXCSR controls, with PE
//! already set (it is sticky) and every operand normal, the host's correctly rounded
//! `mul_add` gives the answer whenever the result is finite and well away from the
//! underflow range; anything else goes through the exact model (`sse_float::fma`), which
//! follows MXCSR rounding, DAZ/FTZ and the six flags.

use super::avx_operand::{is_ymm, vkind, vsel, vsrc, vsrc_fast, Y};
use super::sse_float::{self as sf, Env, CTRL_DEFAULT, CTRL_MASK, PE};
use super::sse_fp::norm;
use super::sse_operand::{commit, lane, with_lane};
use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::exec::{and_next, next_op};
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

/// Operand orders.
const O132: u8 = 0;
const O213: u8 = 1;
const O231: u8 = 2;

/// Operations: (negate the product, negate the addend) per element.
const MADD: u8 = 0;
const MSUB: u8 = 1;
const NMADD: u8 = 2;
const NMSUB: u8 = 3;
/// Even elements subtract, odd ones add.
const MADDSUB: u8 = 4;
/// Even elements add, odd ones subtract.
const MSUBADD: u8 = 5;

#[inline(always)]
fn negs<const K: u8>(i: u32) -> (bool, bool) {
    match K {
        MADD => (false, false),
        MSUB => (false, true),
        NMADD => (true, false),
        NMSUB => (true, true),
        MADDSUB => (false, i & 1 == 0),
        _ => (false, i & 1 != 0),
    }
}

/// (a, b, c) of `a * b + c` from (op1, op2, op3).
#[inline(always)]
fn order<const ORD: u8, T>(d: T, s2: T, s3: T) -> (T, T, T) {
    match ORD {
        O132 => (d, s3, s2),
        O213 => (s2, d, s3),
        _ => (s2, s3, d),
    }
}

/// The host-float answer when it is the whole story (see the module note): all operands
/// normal, the result finite and at least twice the smallest normal.
#[inline(always)]
fn hot<const W: u32>(a: u64, b: u64, c: u64, np: bool, nc: bool) -> Option<u64> {
    if !(norm::<W>(a) && norm::<W>(b) && norm::<W>(c)) {
        return None;
    }
    let r = if W == 32 {
        let (x, y, z) = (f32::from_bits(a as u32), f32::from_bits(b as u32), f32::from_bits(c as u32));
        (if np { -x } else { x }).mul_add(y, if nc { -z } else { z }).to_bits() as u64
    } else {
        let (x, y, z) = (f64::from_bits(a), f64::from_bits(b), f64::from_bits(c));
        (if np { -x } else { x }).mul_add(y, if nc { -z } else { z }).to_bits()
    };
    let e = if W == 32 { (r >> 23) & 0xff } else { (r >> 52) & 0x7ff };
    let emax = if W == 32 { 0xff } else { 0x7ff };
    (e.wrapping_sub(2) < emax - 2).then_some(r)
}

fn vfma<const K: u8, const ORD: u8, const W: u32, const P: bool, const Y2: bool, const S: u8>(
    cpu: &mut Cpu,
    op: &Op,
) -> Flow {
    if cpu.mxcsr & (CTRL_MASK | PE) == CTRL_DEFAULT | PE {
        if let Some(s3) = vsrc_fast::<S>(cpu, op) {
            let (d, s2) = (cpu.ymm(op.r0), cpu.ymm(op.r1));
            let (a, b, c) = order::<ORD, Y>(d, s2, s3);
            let n = if P { 128 / W } else { 1 };
            let halves = if P && Y2 { 2 } else { 1 };
            let mut r: Y = if P { [0, 0] } else { [d[0], 0] };
            let mut ok = true;
            'all: for k in 0..halves {
                for i in 0..n {
                    let (np, nc) = negs::<K>(k as u32 * n + i);
                    match hot::<W>(lane::<W>(a[k], i), lane::<W>(b[k], i), lane::<W>(c[k], i), np, nc) {
                        Some(v) => r[k] = with_lane::<W>(r[k], i, v),
                        None => {
                            ok = false;
                            break 'all;
                        }
                    }
                }
            }
            if ok {
                cpu.put::<Y2>(op.r0, r);
                return next_op(cpu, op, Ok(()));
            }
        }
    }
    vfma_general::<K, ORD, W, P, Y2, S>(cpu, op)
}

#[inline(never)]
fn vfma_general<const K: u8, const ORD: u8, const W: u32, const P: bool, const Y2: bool, const S: u8>(
    cpu: &mut Cpu,
    op: &Op,
) -> Flow {
    and_next(cpu, op, |cpu| {
        let s3 = vsrc::<S>(cpu, op)?;
        let (d, s2) = (cpu.ymm(op.r0), cpu.ymm(op.r1));
        let (a, b, c) = order::<ORD, Y>(d, s2, s3);
        let n = if P { 128 / W } else { 1 };
        let halves = if P && Y2 { 2 } else { 1 };
        let mut env = Env::new(cpu.mxcsr);
        let mut r: Y = if P { [0, 0] } else { [d[0], 0] };
        for k in 0..halves {
            for i in 0..n {
                let (np, nc) = negs::<K>(k as u32 * n + i);
                let v = sf::fma::<W>(
                    &mut env,
                    lane::<W>(a[k], i),
                    lane::<W>(b[k], i),
                    lane::<W>(c[k], i),
                    np,
                    nc,
                );
                r[k] = with_lane::<W>(r[k], i, v);
            }
        }
        commit(cpu, &env)?;
        cpu.put::<Y2>(op.r0, r);
        Ok(())
    })
}

fn build<const K: u8, const ORD: u8, const W: u32, const P: bool>(
    i: &Instruction,
    _: &mut Op,
) -> Option<Handler> {
    vsel!(is_ymm(i), vkind(i, false), vfma::<K, ORD, W, P>, [0, 1, 3, 5, 6])
}

pub(super) fn register(t: &mut Table) {
    // Every FMA code, matched by its name: the operation, the order, PS/PD/SS/SD.
    for c in Code::values() {
        let name = format!("{c:?}");
        let Some(rest) = name.strip_prefix("VEX_Vf") else { continue };
        let (k, rest) = if let Some(r) = rest.strip_prefix("maddsub") {
            (MADDSUB, r)
        } else if let Some(r) = rest.strip_prefix("msubadd") {
            (MSUBADD, r)
        } else if let Some(r) = rest.strip_prefix("madd") {
            (MADD, r)
        } else if let Some(r) = rest.strip_prefix("msub") {
            (MSUB, r)
        } else if let Some(r) = rest.strip_prefix("nmadd") {
            (NMADD, r)
        } else if let Some(r) = rest.strip_prefix("nmsub") {
            (NMSUB, r)
        } else {
            continue;
        };
        let ord = match &rest[..3] {
            "132" => O132,
            "213" => O213,
            "231" => O231,
            _ => continue,
        };
        let ty = &rest[3..5];
        macro_rules! pick {
            ($k:expr) => {
                match (ord, ty) {
                    (O132, "ps") => build::<$k, O132, 32, true>,
                    (O132, "pd") => build::<$k, O132, 64, true>,
                    (O132, "ss") => build::<$k, O132, 32, false>,
                    (O132, "sd") => build::<$k, O132, 64, false>,
                    (O213, "ps") => build::<$k, O213, 32, true>,
                    (O213, "pd") => build::<$k, O213, 64, true>,
                    (O213, "ss") => build::<$k, O213, 32, false>,
                    (O213, "sd") => build::<$k, O213, 64, false>,
                    (_, "ps") => build::<$k, O231, 32, true>,
                    (_, "pd") => build::<$k, O231, 64, true>,
                    (_, "ss") => build::<$k, O231, 32, false>,
                    _ => build::<$k, O231, 64, false>,
                }
            };
        }
        let b: super::Builder = match k {
            MADD => pick!(MADD),
            MSUB => pick!(MSUB),
            NMADD => pick!(NMADD),
            NMSUB => pick!(NMSUB),
            MADDSUB => pick!(MADDSUB),
            _ => pick!(MSUBADD),
        };
        t.set(c, b);
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    //! The exact model against the host's FMA instruction on inputs random operands
    //! rarely produce: products cancelling the addend to a few ulps (and to tiny and zero
    //! results), in every rounding mode, with FTZ and DAZ.
    use super::sf;
    use super::Env;

    /// Host `a * b + c` (single rounding) under `mxcsr` (all exceptions masked):
    /// (result bits, flags raised). One asm block, so that nothing moves the MXCSR
    /// accesses across the arithmetic.
    fn host<const W: u32>(mxcsr: u32, a: u64, b: u64, c: u64) -> (u64, u32) {
        let mut csr = [mxcsr & !0x3f, 0u32];
        let mut x = a;
        // SAFETY: the caller checked that the host has FMA; the block saves and restores
        // MXCSR and touches only the named registers and `csr`.
        unsafe {
            if W == 32 {
                std::arch::asm!(
                    "stmxcsr [{p} + 4]", "ldmxcsr [{p}]",
                    "vmovd xmm0, {a:e}", "vmovd xmm1, {b:e}", "vmovd xmm2, {c:e}",
                    "vfmadd213ss xmm0, xmm1, xmm2",
                    "vmovd {a:e}, xmm0", "stmxcsr [{p}]", "ldmxcsr [{p} + 4]",
                    p = in(reg) csr.as_mut_ptr(), a = inout(reg) x, b = in(reg) b, c = in(reg) c,
                    out("xmm0") _, out("xmm1") _, out("xmm2") _,
                );
                x &= 0xffff_ffff;
            } else {
                std::arch::asm!(
                    "stmxcsr [{p} + 4]", "ldmxcsr [{p}]",
                    "vmovq xmm0, {a}", "vmovq xmm1, {b}", "vmovq xmm2, {c}",
                    "vfmadd213sd xmm0, xmm1, xmm2",
                    "vmovq {a}, xmm0", "stmxcsr [{p}]", "ldmxcsr [{p} + 4]",
                    p = in(reg) csr.as_mut_ptr(), a = inout(reg) x, b = in(reg) b, c = in(reg) c,
                    out("xmm0") _, out("xmm1") _, out("xmm2") _,
                );
            }
        }
        (x, csr[0] & 0x3f)
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    fn check<const W: u32>(seed: u64) {
        let mut r = Rng(seed);
        let (ebits, mb) = if W == 32 { (8, 23) } else { (11, 52) };
        let mask = if W == 32 { 0xffff_ffff } else { u64::MAX };
        let mut bad = vec![];
        for n in 0..200_000 {
            // Exponents near the middle, or near the bottom to reach tiny results.
            let rnd = |r: &mut Rng, low: bool| {
                let bias = (1u64 << (ebits - 1)) - 1;
                let e = if low { r.next() % 40 } else { bias - 20 + r.next() % 40 };
                (r.next() & (1 << (W - 1))) | (e << mb) | (r.next() & ((1 << mb) - 1))
            };
            let low = n % 3 == 0;
            let (a, b) = (rnd(&mut r, low) & mask, rnd(&mut r, false) & mask);
            let mxcsr = 0x1f80
                | ((r.next() as u32 & 3) << 13)
                | ((r.next() as u32 & 1) << 15)
                | ((r.next() as u32 & 1) << 6);
            // c: minus the rounded product, nudged by a few ulps, or random.
            let c = match n % 4 {
                0 => rnd(&mut r, low) & mask,
                _ => {
                    let mut env = Env::new(0x1f80);
                    let p = sf::fma::<W>(&mut env, a, b, 0, false, false);
                    let nudge = r.next() % 5;
                    ((p ^ (1 << (W - 1))).wrapping_add(nudge).wrapping_sub(2)) & mask
                }
            };
            let (hr, hf) = host::<W>(mxcsr, a, b, c);
            let mut env = Env::new(mxcsr);
            let er = sf::fma::<W>(&mut env, a, b, c, false, false);
            let ef = env.finish().unwrap_or(0);
            if (hr, hf) != (er, ef) {
                bad.push(format!("W={W} mxcsr={mxcsr:#x} a={a:#x} b={b:#x} c={c:#x}: host {hr:#x}/{hf:#x} emu {er:#x}/{ef:#x}"));
            }
        }
        assert!(bad.is_empty(), "{} differences, first: {:#?}", bad.len(), &bad[..bad.len().min(8)]);
    }

    #[test]
    fn fma_matches_the_host_near_cancellation() {
        if !std::arch::is_x86_feature_detected!("fma") {
            return;
        }
        check::<32>(1);
        check::<64>(2);
    }
}
