//! Shifts and rotates: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR (by 1, CL, imm8), SHLD, SHRD
//! (imm8, CL). Intel SDM Vol. 2B "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD".
//!
//! The count is masked to 5 bits (6 for 64-bit operands); a masked count of 0 changes
//! nothing: no flags, no store (a 32-bit register destination is still zero-extended, as
//! hardware does). RCL/RCR rotate through CF over W+1 bits, so 8- and 16-bit counts are
//! taken mod 9 / 17.
//!
//! Flags the SDM leaves undefined are computed as this project's reference host (AMD
//! Zen) does, verified by the differential tests in `cpu/tests/int_shift.rs`:
//! - SHL/SHR/SAR/SHLD/SHRD set AF=1 for any non-zero count.
//! - OF for counts other than 1 follows the count-1 formula applied to the result:
//!   SHL/ROL/RCL: MSB(result) xor CF; SHR/ROR/RCR: MSB(result) xor bit W-2 of the result;
//!   SAR: 0. (SHLD/SHRD: see `shld`/`shrd`.)
//! - CF for counts >= W (8/16-bit SHL/SHR/SAR) is the last bit shifted out of the
//!   infinitely extended operand (0, or the sign for SAR).
//! - SHLD/SHRD: OF is CF xor MSB(result) (SHLD) or MSB xor bit W-2 of the result (SHRD)
//!   for every count. 16-bit forms with a count above 16 shift through the 48-bit value
//!   dest:src:src (SHLD) / src:src:dest (SHRD) and leave CF=0 (and OF=0 for SHLD);
//!   16-bit SHLD by exactly 16 sets OF=CF.

use super::{by_width, has_mem, width_of, Table};
use crate::decode::{Flow, Handler, Op};
use crate::flags::{mask, AF, PF, ZF};
use crate::state::Cpu;
use iced_x86::{Code, Instruction, Mnemonic};

const ROL: u8 = 0;
const ROR: u8 = 1;
const RCL: u8 = 2;
const RCR: u8 = 3;
const SHL: u8 = 4;
const SHR: u8 = 5;
const SAR: u8 = 7;

/// AF after a shift with a non-zero count (undefined in the SDM; the reference host sets it).
const SHIFT_AF: u64 = AF;

#[inline(always)]
fn bit(v: u64, n: u32) -> u64 {
    (v >> n) & 1
}

/// SF, ZF and PF of a W-bit result, as RFLAGS bits.
#[inline(always)]
pub(crate) fn szp<const W: u32>(r: u64) -> u64 {
    let z = if r == 0 { ZF } else { 0 };
    let s = bit(r, W - 1) << 7;
    let p = if (r as u8).count_ones() % 2 == 0 { PF } else { 0 };
    z | s | p
}

#[inline(always)]
const fn count_mask(w: u32) -> u64 {
    if w == 64 {
        63
    } else {
        31
    }
}

/// Shifts or rotates `a` by `cnt` (not yet masked), sets flags, returns the W-bit result.
#[inline(always)]
fn shift<const OP: u8, const W: u32>(cpu: &mut Cpu, a: u64, cnt: u64) -> u64 {
    let c = (cnt & count_mask(W)) as u32;
    if c == 0 {
        return a;
    }
    let m = mask(W);
    match OP {
        SHL => {
            let r = (a << c) & m;
            let cf = if c <= W { bit(a, W - c) } else { 0 };
            let of = cf ^ bit(r, W - 1);
            cpu.set_lazy_shift(W, r, SHIFT_AF | cf | of << 11);
            r
        }
        SHR => {
            let r = a >> c;
            let cf = bit(a, c - 1);
            let of = bit(r, W - 1) ^ bit(r, W - 2);
            cpu.set_lazy_shift(W, r, SHIFT_AF | cf | of << 11);
            r
        }
        SAR => {
            let s = ((a << (64 - W)) as i64) >> (64 - W);
            let r = (s >> c.min(63)) as u64 & m;
            let cf = ((s >> (c - 1).min(63)) & 1) as u64;
            cpu.set_lazy_shift(W, r, SHIFT_AF | cf);
            r
        }
        ROL => {
            let k = c % W;
            let r = if k == 0 { a } else { ((a << k) | (a >> (W - k))) & m };
            let cf = r & 1;
            let of = cf ^ bit(r, W - 1);
            cpu.set_cf_of(cf != 0, of != 0);
            r
        }
        ROR => {
            let k = c % W;
            let r = if k == 0 { a } else { ((a >> k) | (a << (W - k))) & m };
            let cf = bit(r, W - 1);
            let of = cf ^ bit(r, W - 2);
            cpu.set_cf_of(cf != 0, of != 0);
            r
        }
        RCL | RCR => {
            let k = match W {
                8 => c % 9,
                16 => c % 17,
                _ => c,
            };
            let v = ((cpu.lf.cf() as u128) << W) | a as u128;
            let vm = (1u128 << (W + 1)) - 1;
            let v = if OP == RCL {
                ((v << k) | (v >> (W + 1 - k))) & vm
            } else {
                ((v >> k) | (v << (W + 1 - k))) & vm
            };
            let r = v as u64 & m;
            let cf = (v >> W) as u64 & 1;
            let of = if OP == RCL { cf ^ bit(r, W - 1) } else { bit(r, W - 1) ^ bit(r, W - 2) };
            cpu.set_cf_of(cf != 0, of != 0);
            r
        }
        _ => unreachable!(),
    }
}

/// `CL`: the count is in CL; otherwise it is `op.imm` (1 for the by-one forms).
#[inline(always)]
fn count<const CL: bool>(cpu: &Cpu, op: &Op) -> u64 {
    if CL {
        cpu.regs[1] & 0xff
    } else {
        op.imm
    }
}

fn sh_r<const OP: u8, const W: u32, const CL: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let a = cpu.get_r::<W>(op.r0);
    let r = shift::<OP, W>(cpu, a, count::<CL>(cpu, op));
    cpu.put_r::<W>(op.r0, r);
    Ok(())
}

fn sh_m<const OP: u8, const W: u32, const CL: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let ea = cpu.ea(op);
    let a = cpu.ld_rmw::<W>(ea)?;
    let c = count::<CL>(cpu, op);
    if c & count_mask(W) == 0 {
        // A zero count changes nothing, but the CPU still checks the write (the operand
        // is accessed as a read-modify-write whatever the count).
        return cpu.probe_write(ea, W as u64 / 8);
    }
    // Flags are committed only once the store has succeeded.
    let saved = cpu.lf;
    let r = shift::<OP, W>(cpu, a, c);
    if let Err(e) = cpu.st::<W>(ea, r) {
        cpu.lf = saved;
        return Err(e);
    }
    Ok(())
}

fn build_sh<const OP: u8>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    let cl = i.op1_register() == iced_x86::Register::CL;
    if !cl {
        // The by-one forms report their implicit 1 as an immediate; take it from iced.
        op.imm = i.immediate(1) & 0xff;
    }
    match (has_mem(i), cl) {
        (false, false) => by_width(
            w,
            [sh_r::<OP, 8, false>, sh_r::<OP, 16, false>, sh_r::<OP, 32, false>, sh_r::<OP, 64, false>],
        ),
        (false, true) => by_width(
            w,
            [sh_r::<OP, 8, true>, sh_r::<OP, 16, true>, sh_r::<OP, 32, true>, sh_r::<OP, 64, true>],
        ),
        (true, false) => by_width(
            w,
            [sh_m::<OP, 8, false>, sh_m::<OP, 16, false>, sh_m::<OP, 32, false>, sh_m::<OP, 64, false>],
        ),
        (true, true) => by_width(
            w,
            [sh_m::<OP, 8, true>, sh_m::<OP, 16, true>, sh_m::<OP, 32, true>, sh_m::<OP, 64, true>],
        ),
    }
}

/// SHL/SHR/SAR/ROL/ROR of a W-bit `a` without flags, for when nothing reads the flags
/// they would set (`crate::liveness`).
#[inline(always)]
fn shifted<const OP: u8, const W: u32>(a: u64, cnt: u64) -> u64 {
    let c = (cnt & count_mask(W)) as u32;
    let m = mask(W);
    match OP {
        SHL => (a << c) & m,
        SHR => a >> c,
        SAR => (((a << (64 - W)) as i64 >> (64 - W)) >> c) as u64 & m,
        ROL if W == 64 => a.rotate_left(c),
        ROL if W == 32 => (a as u32).rotate_left(c) as u64,
        ROR if W == 64 => a.rotate_right(c),
        ROR if W == 32 => (a as u32).rotate_right(c) as u64,
        ROL => {
            let k = c % W;
            if k == 0 {
                a
            } else {
                ((a << k) | (a >> (W - k))) & m
            }
        }
        _ => {
            let k = c % W;
            if k == 0 {
                a
            } else {
                ((a >> k) | (a << (W - k))) & m
            }
        }
    }
}

fn sh_r_nf<const OP: u8, const W: u32, const CL: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let r = shifted::<OP, W>(cpu.get_r::<W>(op.r0), count::<CL>(cpu, op));
    cpu.put_r::<W>(op.r0, r);
    Ok(())
}

fn build_nf<const OP: u8>(i: &Instruction) -> Option<Handler> {
    if has_mem(i) {
        return None;
    }
    let w = width_of(i, 0);
    if i.op1_register() == iced_x86::Register::CL {
        by_width(
            w,
            [
                sh_r_nf::<OP, 8, true>,
                sh_r_nf::<OP, 16, true>,
                sh_r_nf::<OP, 32, true>,
                sh_r_nf::<OP, 64, true>,
            ],
        )
    } else {
        by_width(
            w,
            [
                sh_r_nf::<OP, 8, false>,
                sh_r_nf::<OP, 16, false>,
                sh_r_nf::<OP, 32, false>,
                sh_r_nf::<OP, 64, false>,
            ],
        )
    }
}

/// The flags-dead handler for a register shift or rotate, if it has one. `op.imm` was
/// already filled by the ordinary builder.
pub(crate) fn flags_dead(i: &Instruction) -> Option<Handler> {
    match i.mnemonic() {
        Mnemonic::Shl | Mnemonic::Sal => build_nf::<SHL>(i),
        Mnemonic::Shr => build_nf::<SHR>(i),
        Mnemonic::Sar => build_nf::<SAR>(i),
        Mnemonic::Rol => build_nf::<ROL>(i),
        Mnemonic::Ror => build_nf::<ROR>(i),
        _ => None,
    }
}

// ---- SHLD / SHRD ----

const LEFT: bool = true;

/// Double shift of `a` (destination) with bits from `b` (source) by `cnt`.
#[inline(always)]
fn dshift<const LEFTW: bool, const W: u32>(cpu: &mut Cpu, a: u64, b: u64, cnt: u64) -> u64 {
    let c = (cnt & count_mask(W)) as u32;
    if c == 0 {
        return a;
    }
    let m = mask(W);
    let (r, cf) = if W == 16 {
        if LEFTW {
            let v = (a << 32) | (b << 16) | b;
            ((v >> (32 - c)) & m, if c <= 16 { bit(a, 16 - c) } else { 0 })
        } else {
            let v = (b << 32) | (b << 16) | a;
            ((v >> c) & m, if c <= 16 { bit(a, c - 1) } else { 0 })
        }
    } else if LEFTW {
        (((a << c) | (b >> (W - c))) & m, bit(a, W - c))
    } else {
        (((a >> c) | (b << (W - c))) & m, bit(a, c - 1))
    };
    let of = if !LEFTW {
        bit(r, W - 1) ^ bit(r, W - 2)
    } else if W == 16 && c >= 16 {
        // The reference host's 16-bit SHLD: OF = CF at 16, both 0 beyond.
        cf
    } else {
        cf ^ bit(r, W - 1)
    };
    cpu.set_lazy_shift(W, r, SHIFT_AF | cf | of << 11);
    r
}

fn dsh_r<const L: bool, const W: u32, const CL: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let a = cpu.get_r::<W>(op.r0);
    let b = cpu.get_r::<W>(op.r1);
    let r = dshift::<L, W>(cpu, a, b, count::<CL>(cpu, op));
    cpu.put_r::<W>(op.r0, r);
    Ok(())
}

fn dsh_m<const L: bool, const W: u32, const CL: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let ea = cpu.ea(op);
    let a = cpu.ld_rmw::<W>(ea)?;
    let b = cpu.get_r::<W>(op.r0);
    let c = count::<CL>(cpu, op);
    if c & count_mask(W) == 0 {
        return cpu.probe_write(ea, W as u64 / 8);
    }
    let saved = cpu.lf;
    let r = dshift::<L, W>(cpu, a, b, c);
    if let Err(e) = cpu.st::<W>(ea, r) {
        cpu.lf = saved;
        return Err(e);
    }
    Ok(())
}

fn build_dsh<const L: bool>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    let cl = i.op2_register() == iced_x86::Register::CL;
    let hs: [Handler; 4] = match (has_mem(i), cl) {
        (false, false) => {
            [dsh_r::<L, 16, false>, dsh_r::<L, 16, false>, dsh_r::<L, 32, false>, dsh_r::<L, 64, false>]
        }
        (false, true) => {
            [dsh_r::<L, 16, true>, dsh_r::<L, 16, true>, dsh_r::<L, 32, true>, dsh_r::<L, 64, true>]
        }
        (true, false) => {
            [dsh_m::<L, 16, false>, dsh_m::<L, 16, false>, dsh_m::<L, 32, false>, dsh_m::<L, 64, false>]
        }
        (true, true) => {
            [dsh_m::<L, 16, true>, dsh_m::<L, 16, true>, dsh_m::<L, 32, true>, dsh_m::<L, 64, true>]
        }
    };
    if w == 8 {
        return None;
    }
    by_width(w, hs)
}

macro_rules! sh_codes {
    ($t:ident, $op:ident, $($c:ident),*) => {
        $( $t.set(Code::$c, build_sh::<$op>); )*
    };
}

pub(super) fn register(t: &mut Table) {
    sh_codes!(t, ROL, Rol_rm8_1, Rol_rm8_CL, Rol_rm8_imm8, Rol_rm16_1, Rol_rm16_CL, Rol_rm16_imm8);
    sh_codes!(t, ROL, Rol_rm32_1, Rol_rm32_CL, Rol_rm32_imm8, Rol_rm64_1, Rol_rm64_CL, Rol_rm64_imm8);
    sh_codes!(t, ROR, Ror_rm8_1, Ror_rm8_CL, Ror_rm8_imm8, Ror_rm16_1, Ror_rm16_CL, Ror_rm16_imm8);
    sh_codes!(t, ROR, Ror_rm32_1, Ror_rm32_CL, Ror_rm32_imm8, Ror_rm64_1, Ror_rm64_CL, Ror_rm64_imm8);
    sh_codes!(t, RCL, Rcl_rm8_1, Rcl_rm8_CL, Rcl_rm8_imm8, Rcl_rm16_1, Rcl_rm16_CL, Rcl_rm16_imm8);
    sh_codes!(t, RCL, Rcl_rm32_1, Rcl_rm32_CL, Rcl_rm32_imm8, Rcl_rm64_1, Rcl_rm64_CL, Rcl_rm64_imm8);
    sh_codes!(t, RCR, Rcr_rm8_1, Rcr_rm8_CL, Rcr_rm8_imm8, Rcr_rm16_1, Rcr_rm16_CL, Rcr_rm16_imm8);
    sh_codes!(t, RCR, Rcr_rm32_1, Rcr_rm32_CL, Rcr_rm32_imm8, Rcr_rm64_1, Rcr_rm64_CL, Rcr_rm64_imm8);
    sh_codes!(t, SHL, Shl_rm8_1, Shl_rm8_CL, Shl_rm8_imm8, Shl_rm16_1, Shl_rm16_CL, Shl_rm16_imm8);
    sh_codes!(t, SHL, Shl_rm32_1, Shl_rm32_CL, Shl_rm32_imm8, Shl_rm64_1, Shl_rm64_CL, Shl_rm64_imm8);
    sh_codes!(t, SHL, Sal_rm8_1, Sal_rm8_CL, Sal_rm8_imm8, Sal_rm16_1, Sal_rm16_CL, Sal_rm16_imm8);
    sh_codes!(t, SHL, Sal_rm32_1, Sal_rm32_CL, Sal_rm32_imm8, Sal_rm64_1, Sal_rm64_CL, Sal_rm64_imm8);
    sh_codes!(t, SHR, Shr_rm8_1, Shr_rm8_CL, Shr_rm8_imm8, Shr_rm16_1, Shr_rm16_CL, Shr_rm16_imm8);
    sh_codes!(t, SHR, Shr_rm32_1, Shr_rm32_CL, Shr_rm32_imm8, Shr_rm64_1, Shr_rm64_CL, Shr_rm64_imm8);
    sh_codes!(t, SAR, Sar_rm8_1, Sar_rm8_CL, Sar_rm8_imm8, Sar_rm16_1, Sar_rm16_CL, Sar_rm16_imm8);
    sh_codes!(t, SAR, Sar_rm32_1, Sar_rm32_CL, Sar_rm32_imm8, Sar_rm64_1, Sar_rm64_CL, Sar_rm64_imm8);
    for c in
        [Code::Shld_rm16_r16_imm8, Code::Shld_rm16_r16_CL, Code::Shld_rm32_r32_imm8, Code::Shld_rm32_r32_CL]
    {
        t.set(c, build_dsh::<LEFT>);
    }
    t.set(Code::Shld_rm64_r64_imm8, build_dsh::<LEFT>);
    t.set(Code::Shld_rm64_r64_CL, build_dsh::<LEFT>);
    for c in
        [Code::Shrd_rm16_r16_imm8, Code::Shrd_rm16_r16_CL, Code::Shrd_rm32_r32_imm8, Code::Shrd_rm32_r32_CL]
    {
        t.set(c, build_dsh::<{ !LEFT }>);
    }
    t.set(Code::Shrd_rm64_r64_imm8, build_dsh::<{ !LEFT }>);
    t.set(Code::Shrd_rm64_r64_CL, build_dsh::<{ !LEFT }>);
}
