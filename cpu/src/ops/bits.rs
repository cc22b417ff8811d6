//! Bit operations: BT, BTS, BTR, BTC (register and imm8 offsets, register and memory
//! bases), BSF, BSR, POPCNT, LZCNT, TZCNT, and the BMI1/BMI2 instructions ANDN, BEXTR,
//! BLSI, BLSMSK, BLSR, BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX.
//! Intel SDM Vol. 2, the page of each mnemonic.
//!
//! Flags the SDM leaves undefined follow the reference host (AMD Zen), as the differential
//! tests in `cpu/tests/int_bits.rs` check; each `*_FLAGS` constant below says which flags an
//! instruction writes on that host (the rest are unchanged).

use super::shift::szp;
use super::{has_mem, width_of, Table};
use crate::decode::{Flow, Handler, Op};
use crate::flags::{mask, CcOp, AF, CF, OF, PF, SF, ZF};
use crate::state::Cpu;
use iced_x86::{Code, Instruction, OpKind};

#[inline(always)]
fn sext<const W: u32>(v: u64) -> i64 {
    ((v << (64 - W)) as i64) >> (64 - W)
}

// ---- BT BTS BTR BTC ----

const BT: u8 = 0;
const BTS: u8 = 1;
const BTR: u8 = 2;
const BTC: u8 = 3;

// BTx writes only CF on the reference host (OF/SF/AF/PF are undefined, ZF unchanged):
// hence `set_cf`.

/// Applies BTx to `v` at bit `n` (< W); returns the new value and the old bit.
#[inline(always)]
fn btx<const OP: u8>(v: u64, n: u32) -> (u64, u64) {
    let b = 1u64 << n;
    let r = match OP {
        BTS => v | b,
        BTR => v & !b,
        BTC => v ^ b,
        _ => v,
    };
    (r, (v >> n) & 1)
}

fn bt_rr<const OP: u8, const W: u32, const IMM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let v = cpu.get_r::<W>(op.r0);
    let n = if IMM { op.imm } else { cpu.get_r::<W>(op.r1) } as u32 & (W - 1);
    let (r, c) = btx::<OP>(v, n);
    if OP != BT {
        cpu.put_r::<W>(op.r0, r);
    }
    cpu.set_cf(c != 0);
    Ok(())
}

/// Memory base: with an immediate the offset is taken mod W; with a register it is a
/// signed W-bit bit offset that may select any W-bit word around the operand.
fn bt_m<const OP: u8, const W: u32, const IMM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let (addr, n) = if IMM {
        (cpu.ea(op), op.imm as u32 & (W - 1))
    } else {
        let off = sext::<W>(cpu.get_r::<W>(op.r0));
        let words = off >> W.trailing_zeros();
        (cpu.ea_plus(op, (words as u64).wrapping_mul(W as u64 / 8)), off as u32 & (W - 1))
    };
    let v = if OP != BT { cpu.ld_rmw::<W>(addr)? } else { cpu.ld::<W>(addr)? };
    let (r, c) = btx::<OP>(v, n);
    if OP != BT {
        cpu.st::<W>(addr, r)?;
    }
    cpu.set_cf(c != 0);
    Ok(())
}

fn build_bt<const OP: u8>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let imm = i.op1_kind() == OpKind::Immediate8;
    let hs: [Handler; 3] = match (has_mem(i), imm) {
        (false, false) => [bt_rr::<OP, 16, false>, bt_rr::<OP, 32, false>, bt_rr::<OP, 64, false>],
        (false, true) => [bt_rr::<OP, 16, true>, bt_rr::<OP, 32, true>, bt_rr::<OP, 64, true>],
        (true, false) => [bt_m::<OP, 16, false>, bt_m::<OP, 32, false>, bt_m::<OP, 64, false>],
        (true, true) => [bt_m::<OP, 16, true>, bt_m::<OP, 32, true>, bt_m::<OP, 64, true>],
    };
    w3(width_of(i, 0), hs)
}

#[inline]
fn w3(w: u32, hs: [Handler; 3]) -> Option<Handler> {
    match w {
        16 => Some(hs[0]),
        32 => Some(hs[1]),
        64 => Some(hs[2]),
        _ => None,
    }
}

// ---- BSF BSR POPCNT LZCNT TZCNT ----

const BSF: u8 = 0;
const BSR: u8 = 1;
const POPCNT: u8 = 2;
const LZCNT: u8 = 3;
const TZCNT: u8 = 4;

/// BSF/BSR write only ZF on the reference host; LZCNT/TZCNT write CF and ZF, clear SF,
/// AF and PF, and keep OF.
const BSX_FLAGS: u64 = ZF;
const XZCNT_FLAGS: u64 = CF | ZF | SF | AF | PF;

#[inline(always)]
fn count_op<const OP: u8, const W: u32>(cpu: &mut Cpu, dst: u8, s: u64) {
    match OP {
        BSF | BSR => {
            if s == 0 {
                // The destination keeps its value (all 64 bits, even for 32-bit operands).
                cpu.set_flags_masked(BSX_FLAGS, ZF);
                return;
            }
            let r = if OP == BSF { s.trailing_zeros() } else { 63 - s.leading_zeros() };
            cpu.put_r::<W>(dst, r as u64);
            cpu.set_flags_masked(BSX_FLAGS, 0);
        }
        POPCNT => {
            let r = s.count_ones() as u64;
            cpu.put_r::<W>(dst, r);
            cpu.set_flags_masked(CF | PF | AF | ZF | SF | OF, if s == 0 { ZF } else { 0 });
        }
        _ => {
            let r = if s == 0 {
                W as u64
            } else if OP == LZCNT {
                (s.leading_zeros() - (64 - W)) as u64
            } else {
                s.trailing_zeros() as u64
            };
            cpu.put_r::<W>(dst, r);
            let f = if s == 0 { CF } else { 0 } | if r == 0 { ZF } else { 0 };
            cpu.set_flags_masked(XZCNT_FLAGS, f);
        }
    }
}

fn cnt_r<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let s = cpu.get_r::<W>(op.r1);
    count_op::<OP, W>(cpu, op.r0, s);
    Ok(())
}

fn cnt_m<const OP: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let s = cpu.ld::<W>(cpu.ea(op))?;
    count_op::<OP, W>(cpu, op.r0, s);
    Ok(())
}

fn build_cnt<const OP: u8>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    let w = width_of(i, 0);
    if has_mem(i) {
        w3(w, [cnt_m::<OP, 16>, cnt_m::<OP, 32>, cnt_m::<OP, 64>])
    } else {
        w3(w, [cnt_r::<OP, 16>, cnt_r::<OP, 32>, cnt_r::<OP, 64>])
    }
}

// ---- BMI1 / BMI2 ----

const ANDN: u8 = 0;
const PDEP: u8 = 1;
const PEXT: u8 = 2;
const MULX: u8 = 3;
const BEXTR: u8 = 4;
const BZHI: u8 = 5;
const SARX: u8 = 6;
const SHLX: u8 = 7;
const SHRX: u8 = 8;
const BLSI: u8 = 9;
const BLSMSK: u8 = 10;
const BLSR: u8 = 11;
const RORX: u8 = 12;

/// The BMI instructions that set flags write all six on the reference host: PF from the
/// result, AF=0 (AF=1 and SF=0 for BEXTR), whatever the SDM leaves undefined.
#[inline(always)]
fn set_all(cpu: &mut Cpu, f: u64) {
    cpu.set_lazy(CcOp::Eflags, 64, 0, 0, f);
}

#[inline(always)]
fn pdep(src: u64, mut m: u64) -> u64 {
    let mut r = 0;
    let mut k = 0;
    while m != 0 {
        let low = m & m.wrapping_neg();
        if (src >> k) & 1 != 0 {
            r |= low;
        }
        k += 1;
        m ^= low;
    }
    r
}

#[inline(always)]
fn pext(src: u64, mut m: u64) -> u64 {
    let mut r = 0;
    let mut k = 0;
    while m != 0 {
        let low = m & m.wrapping_neg();
        if src & low != 0 {
            r |= 1 << k;
        }
        k += 1;
        m ^= low;
    }
    r
}

/// The r/m operand: memory, or register `reg`.
#[inline(always)]
fn rm<const W: u32, const MEM: bool>(cpu: &mut Cpu, op: &Op, reg: u8) -> Result<u64, crate::decode::Stop> {
    if MEM {
        cpu.ld::<W>(cpu.ea(op))
    } else {
        Ok(cpu.get_r::<W>(reg))
    }
}

fn bmi<const OP: u8, const W: u32, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    let m = mask(W);
    match OP {
        // dst, vvvv, r/m
        ANDN | PDEP | PEXT | MULX => {
            let b = rm::<W, MEM>(cpu, op, op.r2)?;
            let a = cpu.get_r::<W>(op.r1);
            match OP {
                ANDN => {
                    let r = !a & b & m;
                    cpu.put_r::<W>(op.r0, r);
                    set_all(cpu, szp::<W>(r));
                }
                PDEP => cpu.put_r::<W>(op.r0, pdep(a, b & m)),
                PEXT => cpu.put_r::<W>(op.r0, pext(a, b & m)),
                _ => {
                    let p = cpu.get_r::<W>(2) as u128 * b as u128;
                    // Low half first: if both destinations are one register, it gets the high half.
                    cpu.put_r::<W>(op.r1, p as u64 & m);
                    cpu.put_r::<W>(op.r0, (p >> W) as u64 & m);
                }
            }
        }
        // dst, r/m, vvvv
        BEXTR | BZHI | SARX | SHLX | SHRX => {
            let a = rm::<W, MEM>(cpu, op, op.r1)?;
            let b = cpu.get_r::<W>(if MEM { op.r1 } else { op.r2 });
            match OP {
                BEXTR => {
                    let start = (b & 0xff) as u32;
                    let len = ((b >> 8) & 0xff) as u32;
                    let r = if start >= W { 0 } else { (a >> start) & mask(len.min(64)) & m };
                    cpu.put_r::<W>(op.r0, r);
                    set_all(cpu, (szp::<W>(r) & (ZF | PF)) | AF);
                }
                BZHI => {
                    let n = (b & 0xff) as u32;
                    let r = if n < W { a & mask(n) } else { a };
                    cpu.put_r::<W>(op.r0, r);
                    let cf = if n > W - 1 { CF } else { 0 };
                    set_all(cpu, szp::<W>(r) | cf);
                }
                SARX => {
                    let c = b as u32 & (W - 1);
                    cpu.put_r::<W>(op.r0, (sext::<W>(a) >> c) as u64 & m);
                }
                SHLX => {
                    let c = b as u32 & (W - 1);
                    cpu.put_r::<W>(op.r0, (a << c) & m);
                }
                _ => {
                    let c = b as u32 & (W - 1);
                    cpu.put_r::<W>(op.r0, a >> c);
                }
            }
        }
        // dst, r/m
        _ => {
            let a = rm::<W, MEM>(cpu, op, op.r1)?;
            match OP {
                RORX => {
                    let c = op.imm as u32 & (W - 1);
                    let r = if c == 0 { a } else { ((a >> c) | (a << (W - c))) & m };
                    cpu.put_r::<W>(op.r0, r);
                }
                BLSI => {
                    let r = a & a.wrapping_neg() & m;
                    cpu.put_r::<W>(op.r0, r);
                    let cf = if a != 0 { CF } else { 0 };
                    set_all(cpu, szp::<W>(r) | cf);
                }
                BLSMSK => {
                    let r = (a ^ a.wrapping_sub(1)) & m;
                    cpu.put_r::<W>(op.r0, r);
                    let cf = if a == 0 { CF } else { 0 };
                    set_all(cpu, (szp::<W>(r) & (SF | PF)) | cf);
                }
                _ => {
                    let r = a & a.wrapping_sub(1) & m;
                    cpu.put_r::<W>(op.r0, r);
                    let cf = if a == 0 { CF } else { 0 };
                    set_all(cpu, szp::<W>(r) | cf);
                }
            }
        }
    }
    Ok(())
}

fn build_bmi<const OP: u8>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    if i.op0_register().size() == 8 {
        if has_mem(i) {
            Some(bmi::<OP, 64, true>)
        } else {
            Some(bmi::<OP, 64, false>)
        }
    } else if has_mem(i) {
        Some(bmi::<OP, 32, true>)
    } else {
        Some(bmi::<OP, 32, false>)
    }
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    for c in
        [C::Bt_rm16_r16, C::Bt_rm32_r32, C::Bt_rm64_r64, C::Bt_rm16_imm8, C::Bt_rm32_imm8, C::Bt_rm64_imm8]
    {
        t.set(c, build_bt::<BT>);
    }
    for c in [
        C::Bts_rm16_r16,
        C::Bts_rm32_r32,
        C::Bts_rm64_r64,
        C::Bts_rm16_imm8,
        C::Bts_rm32_imm8,
        C::Bts_rm64_imm8,
    ] {
        t.set(c, build_bt::<BTS>);
    }
    for c in [
        C::Btr_rm16_r16,
        C::Btr_rm32_r32,
        C::Btr_rm64_r64,
        C::Btr_rm16_imm8,
        C::Btr_rm32_imm8,
        C::Btr_rm64_imm8,
    ] {
        t.set(c, build_bt::<BTR>);
    }
    for c in [
        C::Btc_rm16_r16,
        C::Btc_rm32_r32,
        C::Btc_rm64_r64,
        C::Btc_rm16_imm8,
        C::Btc_rm32_imm8,
        C::Btc_rm64_imm8,
    ] {
        t.set(c, build_bt::<BTC>);
    }
    for c in [C::Bsf_r16_rm16, C::Bsf_r32_rm32, C::Bsf_r64_rm64] {
        t.set(c, build_cnt::<BSF>);
    }
    for c in [C::Bsr_r16_rm16, C::Bsr_r32_rm32, C::Bsr_r64_rm64] {
        t.set(c, build_cnt::<BSR>);
    }
    for c in [C::Popcnt_r16_rm16, C::Popcnt_r32_rm32, C::Popcnt_r64_rm64] {
        t.set(c, build_cnt::<POPCNT>);
    }
    for c in [C::Lzcnt_r16_rm16, C::Lzcnt_r32_rm32, C::Lzcnt_r64_rm64] {
        t.set(c, build_cnt::<LZCNT>);
    }
    for c in [C::Tzcnt_r16_rm16, C::Tzcnt_r32_rm32, C::Tzcnt_r64_rm64] {
        t.set(c, build_cnt::<TZCNT>);
    }
    let bmi: [(u8, [Code; 2]); 13] = [
        (ANDN, [C::VEX_Andn_r32_r32_rm32, C::VEX_Andn_r64_r64_rm64]),
        (PDEP, [C::VEX_Pdep_r32_r32_rm32, C::VEX_Pdep_r64_r64_rm64]),
        (PEXT, [C::VEX_Pext_r32_r32_rm32, C::VEX_Pext_r64_r64_rm64]),
        (MULX, [C::VEX_Mulx_r32_r32_rm32, C::VEX_Mulx_r64_r64_rm64]),
        (BEXTR, [C::VEX_Bextr_r32_rm32_r32, C::VEX_Bextr_r64_rm64_r64]),
        (BZHI, [C::VEX_Bzhi_r32_rm32_r32, C::VEX_Bzhi_r64_rm64_r64]),
        (SARX, [C::VEX_Sarx_r32_rm32_r32, C::VEX_Sarx_r64_rm64_r64]),
        (SHLX, [C::VEX_Shlx_r32_rm32_r32, C::VEX_Shlx_r64_rm64_r64]),
        (SHRX, [C::VEX_Shrx_r32_rm32_r32, C::VEX_Shrx_r64_rm64_r64]),
        (BLSI, [C::VEX_Blsi_r32_rm32, C::VEX_Blsi_r64_rm64]),
        (BLSMSK, [C::VEX_Blsmsk_r32_rm32, C::VEX_Blsmsk_r64_rm64]),
        (BLSR, [C::VEX_Blsr_r32_rm32, C::VEX_Blsr_r64_rm64]),
        (RORX, [C::VEX_Rorx_r32_rm32_imm8, C::VEX_Rorx_r64_rm64_imm8]),
    ];
    let builders: [super::Builder; 13] = [
        build_bmi::<ANDN>,
        build_bmi::<PDEP>,
        build_bmi::<PEXT>,
        build_bmi::<MULX>,
        build_bmi::<BEXTR>,
        build_bmi::<BZHI>,
        build_bmi::<SARX>,
        build_bmi::<SHLX>,
        build_bmi::<SHRX>,
        build_bmi::<BLSI>,
        build_bmi::<BLSMSK>,
        build_bmi::<BLSR>,
        build_bmi::<RORX>,
    ];
    for (k, (op, codes)) in bmi.iter().enumerate() {
        debug_assert_eq!(*op as usize, k);
        for c in codes {
            t.set(*c, builders[k]);
        }
    }
}
