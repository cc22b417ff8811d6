//! x87 data transfer: FLD FST FSTP (m32fp/m64fp/m80fp/ST(i)), FILD FIST FISTP FISTTP
//! (m16/m32/m64), FBLD FBSTP, FXCH, FCMOVcc, FLD1/FLDZ/FLDPI/FLDL2E/FLDL2T/FLDLG2/FLDLN2,
//! FFREE FFREEP FINCSTP FDECSTP. (Intel SDM Vol. 2, each mnemonic; Vol. 1 8.3.)

use super::x87_core::{from_f32, from_f64, note, note_mem, rc_of, round, to_work, wait};
use super::{x87_fast, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use crate::x87::{sw, F80};
use iced_x86::Code;
use rustc_apfloat::{Float, Round, Status};

const M32: u8 = 0;
const M64: u8 = 1;
const M80: u8 = 2;

// ---- FLD ----

fn fld_m<const K: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let ea = cpu.ea(op);
        let raw: u128 = match K {
            M32 => cpu.ld32(ea)? as u128,
            M64 => cpu.ld64(ea)? as u128,
            _ => {
                let lo = cpu.ld64(ea)?;
                (cpu.ld16(ea + 8)? as u128) << 64 | lo as u128
            }
        };
        note_mem(cpu, op, ea);
        let x = &mut cpu.x87;
        if x.push_overflows() {
            return Ok(());
        }
        let (mut v, den) = match K {
            M32 => from_f32(raw as u32),
            M64 => from_f64(raw as u64),
            _ => (F80::from_bits(raw), false),
        };
        // C1 is cleared even when an unmasked exception ends the load (as on the host).
        x.set_c1(false);
        if K != M80 {
            if v.is_snan() {
                x.raise(sw::IE);
                if !x.masked(sw::IE) {
                    return Ok(());
                }
                v = v.quiet();
            } else if den {
                // Even with DE unmasked the operand is loaded (as on the host).
                x.raise(sw::DE);
            }
        }
        x.set_c1(false);
        x.push(v);
        Ok(())
    })
}

fn fld_st(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        let i = op.r0;
        // An empty source is reported before a full stack (C1 = 0 when both happen).
        if x.is_empty(i) {
            if x.underflow() {
                x.push(F80::INDEFINITE);
            }
            return Ok(());
        }
        if x.push_overflows() {
            return Ok(());
        }
        let v = x.st(i);
        x.set_c1(false);
        x.push(v);
        Ok(())
    })
}

/// FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: (exponent, significand truncated
/// to 64 bits, true when the discarded tail is at least half an ulp). The hardware
/// rounds its internal constant per RC; these are the correctly rounded results.
const CONSTS: [(u16, u64, bool, bool); 7] = [
    (0x3fff, 1 << 63, false, true),
    (0x4000, 0xd49a_784b_cd1b_8afe, false, false),
    (0x3fff, 0xb8aa_3b29_5c17_f0bb, true, false),
    (0x4000, 0xc90f_daa2_2168_c234, true, false),
    (0x3ffd, 0x9a20_9a84_fbcf_f798, true, false),
    (0x3ffe, 0xb172_17f7_d1cf_79ab, true, false),
    (0, 0, false, true),
];

fn fld_const<const K: usize>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        if x.push_overflows() {
            return Ok(());
        }
        let (e, m, half, exact) = CONSTS[K];
        let up = !exact
            && match rc_of(x.fcw) {
                Round::NearestTiesToEven => half,
                Round::TowardPositive => true,
                _ => false,
            };
        x.set_c1(false);
        x.push(F80 { mant: m + up as u64, se: e });
        Ok(())
    })
}

// ---- FST / FSTP ----

/// Single/double NaN encoding of an 80-bit NaN (payload truncated).
fn nan_bits<const K: u8>(v: F80) -> u64 {
    let s = v.sign() as u64;
    match K {
        M32 => s << 31 | 0x7f80_0000 | (v.mant >> 40) & 0x7f_ffff,
        _ => s << 63 | 0x7ff0_0000_0000_0000 | (v.mant >> 11) & 0xf_ffff_ffff_ffff,
    }
}

/// The m32/m64 encoding of ST(0), or None when an unmasked exception forbids the store.
fn to_mem_fp<const K: u8>(cpu: &mut Cpu, v: F80) -> Option<u64> {
    let x = &mut cpu.x87;
    x.set_c1(false);
    if v.is_unsupported() {
        return x.invalid().map(nan_bits::<K>);
    }
    if v.is_nan() {
        if v.is_snan() {
            x.raise(sw::IE);
            if !x.masked(sw::IE) {
                return None;
            }
        }
        return Some(nan_bits::<K>(v.quiet()));
    }
    let (p, emin, emax, fb, bias) = match K {
        M32 => (24, -126, 127, 23u32, 127i32),
        _ => (53, -1022, 1023, 52, 1023),
    };
    let s = (v.sign() as u64) << (fb + if K == M32 { 8 } else { 11 });
    let expmax = (2 * bias + 1) as u64;
    if v.is_inf() {
        return Some(s | expmax << fb);
    }
    if v.is_zero() {
        return Some(s);
    }
    let fast = match K {
        M32 => x87_fast::to_float::<24>(x, v),
        _ => x87_fast::to_float::<53>(x, v),
    };
    if fast.is_some() {
        return fast;
    }
    let saved = x.fsw;
    let r = round(x, to_work(v), p, emin, emax, rc_of(x.fcw));
    if r.wrapped {
        // Unmasked overflow/underflow with a memory destination: nothing is stored
        // and only OE/UE is reported (no PE, C1 untouched).
        x.fsw = saved;
        x.raise(if r.e < 0 { sw::OE } else { sw::UE });
        return None;
    }
    Some(if r.m == 0 {
        s
    } else if r.e == i32::MAX {
        s | expmax << fb
    } else if r.e >= emin {
        s | ((r.e + bias) as u64) << fb | (r.m >> (63 - fb)) & ((1 << fb) - 1)
    } else {
        s | r.m >> (63 - fb + (emin - r.e) as u32)
    })
}

fn fst_m<const K: u8, const POP: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let ea = cpu.ea(op);
        // The destination is checked before any x87 exception: a fault wins even over an
        // unmasked stack fault that would store nothing (as on the host).
        cpu.probe_write(ea, [4, 8, 10][K as usize])?;
        let saved = cpu.x87.fsw;
        let bits: Option<u128> = if cpu.x87.is_empty(0) {
            cpu.x87.underflow().then_some(match K {
                M32 => 0xffc0_0000,
                M64 => 0xfff8_0000_0000_0000,
                _ => F80::INDEFINITE.to_bits(),
            })
        } else {
            let v = cpu.x87.st(0);
            match K {
                M80 => {
                    cpu.x87.set_c1(false);
                    Some(v.to_bits())
                }
                _ => to_mem_fp::<K>(cpu, v).map(|b| b as u128),
            }
        };
        let Some(bits) = bits else {
            note_mem(cpu, op, ea);
            return Ok(());
        };
        let r = match K {
            M32 => cpu.st32(ea, bits as u32),
            M64 => cpu.st64(ea, bits as u64),
            _ => cpu.probe_write(ea, 10).and_then(|_| {
                cpu.st64(ea, bits as u64)?;
                cpu.st16(ea + 8, (bits >> 64) as u16)
            }),
        };
        if let Err(e) = r {
            cpu.x87.fsw = saved;
            return Err(e);
        }
        note_mem(cpu, op, ea);
        if POP {
            cpu.x87.pop();
        }
        Ok(())
    })
}

fn fst_st_body<const POP: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    wait(cpu)?;
    note(cpu, op);
    let x = &mut cpu.x87;
    let i = op.r0;
    if x.is_empty(0) {
        if !x.underflow() {
            return Ok(());
        }
        x.set_st(i, F80::INDEFINITE);
    } else {
        x.set_c1(false);
        let v = x.st(0);
        x.set_st(i, v);
    }
    if POP {
        x.pop();
    }
    Ok(())
}

fn fst_st<const POP: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| fst_st_body::<POP>(cpu, op))
}

/// FSTPNCE (D9 D8+i, "FSTP1"): FSTP ST(i) except that an empty ST(0) is no stack fault:
/// nothing is stored and the stack is popped (C1 = 0), as on the host (an AMD CPU).
fn fstpnce(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if cpu.x87.is_empty(0) {
            wait(cpu)?;
            note(cpu, op);
            cpu.x87.set_c1(false);
            cpu.x87.pop();
            return Ok(());
        }
        fst_st_body::<true>(cpu, op)
    })
}

// ---- integers ----

fn fild<const W_: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let ea = cpu.ea(op);
        let v = cpu.ld::<W_>(ea)?;
        note_mem(cpu, op, ea);
        let x = &mut cpu.x87;
        if x.push_overflows() {
            return Ok(());
        }
        let v = ((v << (64 - W_)) as i64) >> (64 - W_);
        x.set_c1(false);
        x.push(int_to_f80(v));
        Ok(())
    })
}

pub(crate) fn int_to_f80(v: i64) -> F80 {
    if v == 0 {
        return F80::ZERO;
    }
    let a = v.unsigned_abs();
    let lz = a.leading_zeros();
    F80 { mant: a << lz, se: ((v < 0) as u16) << 15 | (16383 + 63 - lz) as u16 }
}

/// ST(0) rounded to a W-bit integer (per RC, or truncated): None if an unmasked
/// exception forbids the store; the integer indefinite on masked invalid.
fn to_int<const W_: u32>(cpu: &mut Cpu, v: F80, trunc: bool) -> Option<u64> {
    let x = &mut cpu.x87;
    let indef = 1u64 << (W_ - 1);
    x.set_c1(false);
    if v.exp() == 0x7fff || v.is_unsupported() {
        return x.invalid().map(|_| indef);
    }
    if let Some(i) = x87_fast::to_int::<W_>(x, v, trunc) {
        return Some(i);
    }
    let rc = if trunc { Round::TowardZero } else { rc_of(x.fcw) };
    let w = to_work(v);
    let r = w.round_to_integral(rc);
    let i = r.value.to_i128(127).value;
    let lim = 1i128 << (W_ - 1);
    if i < -lim || i >= lim {
        return x.invalid().map(|_| indef);
    }
    if r.status.contains(Status::INEXACT) {
        x.raise(sw::PE);
        x.set_c1(r.value.abs() > w.abs());
    }
    Some(i as u64)
}

fn fist<const W_: u32, const POP: bool, const TRUNC: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let ea = cpu.ea(op);
        // As for FST: the destination's fault comes before any x87 exception.
        cpu.probe_write(ea, W_ as u64 / 8)?;
        let saved = cpu.x87.fsw;
        let bits = if cpu.x87.is_empty(0) {
            cpu.x87.underflow().then_some(1u64 << (W_ - 1))
        } else {
            let v = cpu.x87.st(0);
            to_int::<W_>(cpu, v, TRUNC)
        };
        if let Some(b) = bits {
            if let Err(e) = cpu.st::<W_>(ea, b) {
                cpu.x87.fsw = saved;
                return Err(e);
            }
            if POP {
                cpu.x87.pop();
            }
        }
        note_mem(cpu, op, ea);
        Ok(())
    })
}

// ---- BCD ----

fn fbld(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let ea = cpu.ea(op);
        let lo = cpu.ld64(ea)?;
        let hi = cpu.ld16(ea + 8)?;
        note_mem(cpu, op, ea);
        let x = &mut cpu.x87;
        if x.push_overflows() {
            return Ok(());
        }
        // Digits outside 0-9 give undefined results on hardware; computed here as if valid.
        let mut v: u64 = 0;
        let digits = (hi as u128 & 0xff) << 64 | lo as u128;
        for k in (0..18).rev() {
            v = v * 10 + ((digits >> (4 * k)) & 0xf) as u64;
        }
        let mut f = int_to_f80(v as i64);
        if hi & 0x8000 != 0 {
            f = f.with_neg(true);
        }
        x.set_c1(false);
        x.push(f);
        Ok(())
    })
}

fn fbstp(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let ea = cpu.ea(op);
        // As for FST: the destination's fault comes before any x87 exception.
        cpu.probe_write(ea, 10)?;
        let saved = cpu.x87.fsw;
        const INDEF: u128 = 0xffff_c000_0000_0000_0000;
        let bits = if cpu.x87.is_empty(0) {
            cpu.x87.underflow().then_some(INDEF)
        } else {
            let v = cpu.x87.st(0);
            let x = &mut cpu.x87;
            x.set_c1(false);
            if v.exp() == 0x7fff || v.is_unsupported() {
                x.invalid().map(|_| INDEF)
            } else {
                let w = to_work(v);
                let r = w.round_to_integral(rc_of(x.fcw));
                let i = r.value.to_i128(127).value;
                if i.unsigned_abs() > 999_999_999_999_999_999 {
                    x.invalid().map(|_| INDEF)
                } else {
                    if r.status.contains(Status::INEXACT) {
                        x.raise(sw::PE);
                        x.set_c1(r.value.abs() > w.abs());
                    }
                    let mut a = i.unsigned_abs();
                    let mut d: u128 = 0;
                    for k in 0..18 {
                        d |= (a % 10) << (4 * k);
                        a /= 10;
                    }
                    Some(d | (v.sign() as u128) << 79)
                }
            }
        };
        if let Some(b) = bits {
            let r = cpu.probe_write(ea, 10).and_then(|_| {
                cpu.st64(ea, b as u64)?;
                cpu.st16(ea + 8, (b >> 64) as u16)
            });
            if let Err(e) = r {
                cpu.x87.fsw = saved;
                return Err(e);
            }
            cpu.x87.pop();
        }
        note_mem(cpu, op, ea);
        Ok(())
    })
}

// ---- register moves ----

fn fxch(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        let i = op.r1;
        if x.is_empty(0) || x.is_empty(i) {
            if !x.underflow() {
                return Ok(());
            }
            for j in [0, i] {
                if x.is_empty(j) {
                    x.set_st(j, F80::INDEFINITE);
                }
            }
        } else {
            x.set_c1(false);
        }
        let (a, b) = (x.st(0), x.st(i));
        x.set_st(0, b);
        x.set_st(i, a);
        Ok(())
    })
}

fn fcmov<const CC: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let take = cpu.lf.cond(CC);
        let x = &mut cpu.x87;
        let i = op.r1;
        if x.is_empty(0) || x.is_empty(i) {
            if x.underflow() {
                x.set_st(0, F80::INDEFINITE);
            }
            return Ok(());
        }
        if take {
            let v = x.st(i);
            x.set_st(0, v);
        }
        Ok(())
    })
}

fn ffree<const POP: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        let p = x.phys(op.r0);
        x.set_c1(false);
        x.tags &= !(1 << p);
        if POP {
            x.pop();
        }
        Ok(())
    })
}

fn fincdec<const INC: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        x.set_c1(false);
        x.top = (x.top + if INC { 1 } else { 7 }) & 7;
        Ok(())
    })
}

pub(super) fn register(t: &mut Table) {
    fn h(f: Handler) -> Option<Handler> {
        Some(f)
    }
    t.set(Code::Fld_m32fp, |_, _| h(fld_m::<M32>));
    t.set(Code::Fld_m64fp, |_, _| h(fld_m::<M64>));
    t.set(Code::Fld_m80fp, |_, _| h(fld_m::<M80>));
    t.set(Code::Fld_sti, |_, _| h(fld_st));
    t.set(Code::Fst_m32fp, |_, _| h(fst_m::<M32, false>));
    t.set(Code::Fst_m64fp, |_, _| h(fst_m::<M64, false>));
    t.set(Code::Fstp_m32fp, |_, _| h(fst_m::<M32, true>));
    t.set(Code::Fstp_m64fp, |_, _| h(fst_m::<M64, true>));
    t.set(Code::Fstp_m80fp, |_, _| h(fst_m::<M80, true>));
    t.set(Code::Fst_sti, |_, _| h(fst_st::<false>));
    for c in [Code::Fstp_sti, Code::Fstp_sti_DFD0, Code::Fstp_sti_DFD8] {
        t.set(c, |_, _| h(fst_st::<true>));
    }
    t.set(Code::Fstpnce_sti, |_, _| h(fstpnce));
    t.set(Code::Fild_m16int, |_, _| h(fild::<16>));
    t.set(Code::Fild_m32int, |_, _| h(fild::<32>));
    t.set(Code::Fild_m64int, |_, _| h(fild::<64>));
    t.set(Code::Fist_m16int, |_, _| h(fist::<16, false, false>));
    t.set(Code::Fist_m32int, |_, _| h(fist::<32, false, false>));
    t.set(Code::Fistp_m16int, |_, _| h(fist::<16, true, false>));
    t.set(Code::Fistp_m32int, |_, _| h(fist::<32, true, false>));
    t.set(Code::Fistp_m64int, |_, _| h(fist::<64, true, false>));
    t.set(Code::Fisttp_m16int, |_, _| h(fist::<16, true, true>));
    t.set(Code::Fisttp_m32int, |_, _| h(fist::<32, true, true>));
    t.set(Code::Fisttp_m64int, |_, _| h(fist::<64, true, true>));
    t.set(Code::Fbld_m80bcd, |_, _| h(fbld));
    t.set(Code::Fbstp_m80bcd, |_, _| h(fbstp));
    for c in [Code::Fxch_st0_sti, Code::Fxch_st0_sti_DDC8, Code::Fxch_st0_sti_DFC8] {
        t.set(c, |_, _| h(fxch));
    }
    t.set(Code::Fcmovb_st0_sti, |_, _| h(fcmov::<2>));
    t.set(Code::Fcmovnb_st0_sti, |_, _| h(fcmov::<3>));
    t.set(Code::Fcmove_st0_sti, |_, _| h(fcmov::<4>));
    t.set(Code::Fcmovne_st0_sti, |_, _| h(fcmov::<5>));
    t.set(Code::Fcmovbe_st0_sti, |_, _| h(fcmov::<6>));
    t.set(Code::Fcmovnbe_st0_sti, |_, _| h(fcmov::<7>));
    t.set(Code::Fcmovu_st0_sti, |_, _| h(fcmov::<10>));
    t.set(Code::Fcmovnu_st0_sti, |_, _| h(fcmov::<11>));
    t.set(Code::Fld1, |_, _| h(fld_const::<0>));
    t.set(Code::Fldl2t, |_, _| h(fld_const::<1>));
    t.set(Code::Fldl2e, |_, _| h(fld_const::<2>));
    t.set(Code::Fldpi, |_, _| h(fld_const::<3>));
    t.set(Code::Fldlg2, |_, _| h(fld_const::<4>));
    t.set(Code::Fldln2, |_, _| h(fld_const::<5>));
    t.set(Code::Fldz, |_, _| h(fld_const::<6>));
    t.set(Code::Ffree_sti, |_, _| h(ffree::<false>));
    t.set(Code::Ffreep_sti, |_, _| h(ffree::<true>));
    t.set(Code::Fincstp, |_, _| h(fincdec::<true>));
    t.set(Code::Fdecstp, |_, _| h(fincdec::<false>));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_conversion_is_exact() {
        assert_eq!(int_to_f80(1), F80 { mant: 1 << 63, se: 0x3fff });
        assert_eq!(int_to_f80(i64::MIN), F80 { mant: 1 << 63, se: 0xc03e });
    }
}
