//! x87 comparisons: FCOM FCOMP FCOMPP FUCOM FUCOMP FUCOMPP (ST(i), m32fp, m64fp),
//! FICOM FICOMP (m16int/m32int), FCOMI FCOMIP FUCOMI FUCOMIP, FTST, FXAM.
//! (Intel SDM Vol. 2 mnemonics; Vol. 1 8.3.6, Table 8-6 for FXAM.)

use super::x87_arith::load_operand;
use super::x87_core::{note, wait};
use super::{x87_fast, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::flags::{AF, CF, OF, PF, SF, ZF};
use crate::state::Cpu;
use crate::x87::{sw, F80, X87};
use iced_x86::Code;
use std::cmp::Ordering;

/// Compares; None = unordered. Raises IE (any NaN for FCOM, SNaN only for FUCOM,
/// unsupported always) and DE. The hardware writes the condition codes/flags even when
/// the exception is unmasked, but then does not pop: Err carries the codes.
fn compare(
    x: &mut X87,
    a: F80,
    b: F80,
    quiet: bool,
    bden: bool,
) -> Result<Option<Ordering>, Option<Ordering>> {
    let nan = |v: F80| v.is_nan() || v.is_unsupported();
    if nan(a) || nan(b) {
        let inv = !quiet || a.is_snan() || b.is_snan() || a.is_unsupported() || b.is_unsupported();
        if inv {
            x.raise(sw::IE);
            if !x.masked(sw::IE) {
                return Err(None);
            }
        }
        return Ok(None);
    }
    let o = Some(x87_fast::compare(a, b));
    if a.is_denormal() || b.is_denormal() || bden {
        x.raise(sw::DE);
        if !x.masked(sw::DE) {
            return Err(o);
        }
    }
    Ok(o)
}

fn set_cc(x: &mut X87, o: Option<Ordering>) {
    let (c3, c2, c0) = match o {
        Some(Ordering::Greater) => (false, false, false),
        Some(Ordering::Less) => (false, false, true),
        Some(Ordering::Equal) => (true, false, false),
        None => (true, true, true),
    };
    x.set_cc(c3, c2, false, c0);
}

/// FCOM family on ST(0) vs ST(i), popping POPS times.
fn fcom_st<const QUIET: bool, const POPS: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        let i = op.r1;
        let r = if x.is_empty(0) || x.is_empty(i) {
            if x.underflow() {
                Ok(None)
            } else {
                Err(None)
            }
        } else {
            compare(x, x.st(0), x.st(i), QUIET, false)
        };
        match r {
            Ok(o) => {
                set_cc(x, o);
                for _ in 0..POPS {
                    x.pop();
                }
            }
            Err(o) => set_cc(x, o),
        }
        Ok(())
    })
}

fn fcom_m<const K: u8, const POP: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let b = match K {
            0 => load_operand::<0>(cpu, op)?,
            1 => load_operand::<1>(cpu, op)?,
            2 => load_operand::<2>(cpu, op)?,
            _ => load_operand::<3>(cpu, op)?,
        };
        let x = &mut cpu.x87;
        let r = if x.is_empty(0) {
            if x.underflow() {
                Ok(None)
            } else {
                Err(None)
            }
        } else {
            compare(x, x.st(0), b.0, false, b.1)
        };
        match r {
            Ok(o) => {
                set_cc(x, o);
                if POP {
                    x.pop();
                }
            }
            Err(o) => set_cc(x, o),
        }
        Ok(())
    })
}

fn fcomi<const QUIET: bool, const POP: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let i = op.r1;
        let x = &mut cpu.x87;
        let res = if x.is_empty(0) || x.is_empty(i) {
            if x.underflow() {
                Ok(None)
            } else {
                Err(None)
            }
        } else {
            // C1 is left alone when there is no stack fault (as on the host).
            compare(x, x.st(0), x.st(i), QUIET, false)
        };
        let pop = POP && res.is_ok();
        {
            let o = match res {
                Ok(o) | Err(o) => o,
            };
            let f = match o {
                Some(Ordering::Greater) => 0,
                Some(Ordering::Less) => CF,
                Some(Ordering::Equal) => ZF,
                None => ZF | PF | CF,
            };
            if pop {
                cpu.x87.pop();
            }
            cpu.set_flags_masked(ZF | PF | CF | OF | SF | AF, f);
        }
        Ok(())
    })
}

fn ftst(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        if x.is_empty(0) {
            x.underflow();
            set_cc(x, None);
            return Ok(());
        }
        match compare(x, x.st(0), F80::ZERO, false, false) {
            Ok(o) | Err(o) => set_cc(x, o),
        }
        Ok(())
    })
}

fn fxam(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        let x = &mut cpu.x87;
        let v = x.st(0);
        let c1 = v.sign();
        // (C3, C2, C0)
        let (c3, c2, c0) = if x.is_empty(0) {
            (true, false, true)
        } else if v.is_unsupported() {
            (false, false, false)
        } else if v.is_nan() {
            (false, false, true)
        } else if v.is_inf() {
            (false, true, true)
        } else if v.is_zero() {
            (true, false, false)
        } else if v.is_denormal() {
            (true, true, false)
        } else {
            (false, true, false)
        };
        x.set_cc(c3, c2, c1, c0);
        Ok(())
    })
}

pub(super) fn register(t: &mut Table) {
    fn h(f: Handler) -> Option<Handler> {
        Some(f)
    }
    for c in [Code::Fcom_st0_sti, Code::Fcom_st0_sti_DCD0] {
        t.set(c, |_, _| h(fcom_st::<false, 0>));
    }
    for c in [Code::Fcomp_st0_sti, Code::Fcomp_st0_sti_DCD8, Code::Fcomp_st0_sti_DED0] {
        t.set(c, |_, _| h(fcom_st::<false, 1>));
    }
    t.set(Code::Fcompp, |_, op| {
        op.r1 = 1;
        h(fcom_st::<false, 2>)
    });
    t.set(Code::Fucom_st0_sti, |_, _| h(fcom_st::<true, 0>));
    t.set(Code::Fucomp_st0_sti, |_, _| h(fcom_st::<true, 1>));
    t.set(Code::Fucompp, |_, op| {
        op.r1 = 1;
        h(fcom_st::<true, 2>)
    });
    t.set(Code::Fcom_m32fp, |_, _| h(fcom_m::<0, false>));
    t.set(Code::Fcom_m64fp, |_, _| h(fcom_m::<1, false>));
    t.set(Code::Fcomp_m32fp, |_, _| h(fcom_m::<0, true>));
    t.set(Code::Fcomp_m64fp, |_, _| h(fcom_m::<1, true>));
    t.set(Code::Ficom_m16int, |_, _| h(fcom_m::<2, false>));
    t.set(Code::Ficom_m32int, |_, _| h(fcom_m::<3, false>));
    t.set(Code::Ficomp_m16int, |_, _| h(fcom_m::<2, true>));
    t.set(Code::Ficomp_m32int, |_, _| h(fcom_m::<3, true>));
    t.set(Code::Fcomi_st0_sti, |_, _| h(fcomi::<false, false>));
    t.set(Code::Fcomip_st0_sti, |_, _| h(fcomi::<false, true>));
    t.set(Code::Fucomi_st0_sti, |_, _| h(fcomi::<true, false>));
    t.set(Code::Fucomip_st0_sti, |_, _| h(fcomi::<true, true>));
    t.set(Code::Ftst, |_, _| h(ftst));
    t.set(Code::Fxam, |_, _| h(fxam));
}
