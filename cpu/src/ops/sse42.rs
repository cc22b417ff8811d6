//! SSE4.2: PCMPGTQ, CRC32 (CRC-32C of 8/16/32/64-bit sources), and the string compares
//! PCMPESTRI PCMPESTRM PCMPISTRI PCMPISTRM (Intel SDM Vol. 2, each mnemonic, and §4.1
//! "Imm8 Control Byte Operation for PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM").
//! POPCNT, also SSE4.2-era, is with the bit instructions.
//!
//! String compares: src1 is the register operand (`r0`), src2 the XMM/m128 operand
//! (never alignment-checked). imm8[1:0] picks unsigned/signed bytes/words, imm8[3:2]
//! the aggregation (equal any, ranges, equal each, equal ordered), imm8[5:4] the
//! polarity, imm8[6] the index end (I forms) or the mask shape (M forms). Lengths are
//! explicit (|EAX|/|EDX|, or RAX/RDX with REX.W, saturated to the element count) or
//! implicit (up to the first zero element). Flags: CF = result != 0, ZF = src2 shorter
//! than a full register, SF = likewise src1, OF = result bit 0, AF = PF = 0.

use super::sse_mov::{build_shuf, Shuf};
use super::sse_operand::{lane, src, M128U, REG};
use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::flags::{ARITH, CF, OF, SF, ZF};
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

pub(super) struct Pcmpgtq;
impl Shuf for Pcmpgtq {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        let gt = |i: u32| if lane::<64>(a, i) as i64 > lane::<64>(b, i) as i64 { u64::MAX } else { 0 };
        gt(0) as u128 | (gt(1) as u128) << 64
    }
}

// ---- CRC32 ----

/// The reflected CRC-32C (Castagnoli) polynomial.
const POLY: u32 = 0x82f6_3b78;

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = (c >> 1) ^ (POLY & (c & 1).wrapping_neg());
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

#[inline(always)]
fn crc_bytes(mut crc: u32, v: u64, n: u32) -> u32 {
    for k in 0..n {
        crc = (crc >> 8) ^ CRC_TABLE[((crc ^ (v >> (8 * k)) as u32) & 0xff) as usize];
    }
    crc
}

/// CRC32 r, r/m of W bits: the accumulator is the low 32 bits of the destination; the
/// result is written as a 32-bit value (zero-extended for the 64-bit destinations).
fn crc32<const W: u32, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let v = if MEM { cpu.ld::<W>(cpu.ea(op))? } else { cpu.get_r::<W>(op.r1) };
        let acc = cpu.get_r::<32>(op.r0) as u32;
        cpu.put_r::<32>(op.r0, crc_bytes(acc, v, W / 8) as u64);
        Ok(())
    })
}

fn build_crc32<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { crc32::<W, true> } else { crc32::<W, false> })
}

// ---- string compares ----

/// The elements of a register as integers that compare correctly for the format
/// (imm8[1:0]): zero-extended when unsigned, sign-extended when signed.
#[inline(always)]
fn elems(v: u128, fmt: u8) -> [i32; 16] {
    let mut e = [0i32; 16];
    match fmt {
        0 => e.iter_mut().enumerate().for_each(|(i, x)| *x = lane::<8>(v, i as u32) as i32),
        1 => e[..8].iter_mut().enumerate().for_each(|(i, x)| *x = lane::<16>(v, i as u32) as i32),
        2 => e.iter_mut().enumerate().for_each(|(i, x)| *x = lane::<8>(v, i as u32) as i8 as i32),
        _ => e[..8].iter_mut().enumerate().for_each(|(i, x)| *x = lane::<16>(v, i as u32) as i16 as i32),
    }
    e
}

/// Implicit length: the index of the first zero element, or `n`.
#[inline(always)]
fn implicit_len(e: &[i32; 16], n: u32) -> u32 {
    (0..n).find(|&i| e[i as usize] == 0).unwrap_or(n)
}

/// Explicit length: |v| saturated to `n`.
#[inline(always)]
fn explicit_len(v: i64, n: u32) -> u32 {
    v.unsigned_abs().min(n as u64) as u32
}

/// IntRes2 of the string compare, as an n-bit mask (bit j for element j of src2, or of
/// the pair position for equal each).
#[inline(always)]
fn str_cmp(a: &[i32; 16], la: u32, b: &[i32; 16], lb: u32, n: u32, imm: u8) -> u32 {
    let full = (1u32 << n) - 1;
    let valid_b = (1u32 << lb) - 1;
    let mut r: u32 = 0;
    match (imm >> 2) & 3 {
        0 => {
            // Equal any: src2[j] equals some valid src1 element.
            for j in 0..lb {
                let x = b[j as usize];
                if a[..la as usize].contains(&x) {
                    r |= 1 << j;
                }
            }
        }
        1 => {
            // Ranges: src1 holds (low, high) pairs; a pair with an invalid end never matches.
            for j in 0..lb {
                let x = b[j as usize];
                let mut i = 0;
                while i + 1 < la {
                    if a[i as usize] <= x && x <= a[i as usize + 1] {
                        r |= 1 << j;
                        break;
                    }
                    i += 2;
                }
            }
        }
        2 => {
            // Equal each: both invalid counts as equal, one invalid as different.
            for i in 0..n {
                let (va, vb) = (i < la, i < lb);
                let eq = match (va, vb) {
                    (true, true) => a[i as usize] == b[i as usize],
                    (false, false) => true,
                    _ => false,
                };
                r |= (eq as u32) << i;
            }
        }
        _ => {
            // Equal ordered: src1 (up to its length) occurs in src2 at j; an invalid
            // src1 element matches anything, a valid one never matches past src2's end,
            // and positions past the register end are not checked.
            for j in 0..n {
                let mut m = true;
                for k in 0..la.min(n - j) {
                    let p = j + k;
                    if p >= lb || a[k as usize] != b[p as usize] {
                        m = false;
                        break;
                    }
                }
                r |= (m as u32) << j;
            }
        }
    }
    match (imm >> 4) & 3 {
        1 => r ^ full,
        3 => r ^ valid_b,
        _ => r,
    }
}

/// Runs one string compare: returns IntRes2 and sets the flags.
#[inline(always)]
pub(super) fn pcmpstr<const EXPLICIT: bool, const W64: bool, const S: u8>(
    cpu: &mut Cpu,
    op: &Op,
) -> Result<(u32, u32, u8), crate::decode::Stop> {
    let b = src::<S>(cpu, op)?;
    let a = cpu.xmm[op.r0 as usize];
    let imm = op.imm as u8;
    let fmt = imm & 3;
    let n = if fmt & 1 != 0 { 8 } else { 16 };
    let (ea, eb) = (elems(a, fmt), elems(b, fmt));
    let (la, lb) = if EXPLICIT {
        let (ra, rd) = if W64 {
            (cpu.regs[0] as i64, cpu.regs[2] as i64)
        } else {
            (cpu.regs[0] as i32 as i64, cpu.regs[2] as i32 as i64)
        };
        (explicit_len(ra, n), explicit_len(rd, n))
    } else {
        (implicit_len(&ea, n), implicit_len(&eb, n))
    };
    let r = str_cmp(&ea, la, &eb, lb, n, imm);
    let f = if r != 0 { CF } else { 0 }
        | if lb < n { ZF } else { 0 }
        | if la < n { SF } else { 0 }
        | if r & 1 != 0 { OF } else { 0 };
    cpu.set_flags_masked(ARITH, f);
    Ok((r, n, imm))
}

/// PCMPxSTRI: ECX = the least (imm8[6] = 0) or most significant set bit of the
/// result, or the element count when it is zero.
fn pcmpstri<const EXPLICIT: bool, const W64: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let (r, n, imm) = pcmpstr::<EXPLICIT, W64, S>(cpu, op)?;
        let idx = if r == 0 {
            n
        } else if imm & 0x40 != 0 {
            31 - r.leading_zeros()
        } else {
            r.trailing_zeros()
        };
        cpu.put_r::<32>(1, idx as u64);
        Ok(())
    })
}

/// PCMPxSTRM: XMM0 = the result as a bit mask (imm8[6] = 0) or expanded to elements.
fn pcmpstrm<const EXPLICIT: bool, const W64: bool, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let (r, n, imm) = pcmpstr::<EXPLICIT, W64, S>(cpu, op)?;
        cpu.xmm[0] = if imm & 0x40 == 0 {
            r as u128
        } else {
            let w = 128 / n;
            let ones = if w == 8 { 0xffu128 } else { 0xffff };
            (0..n).filter(|&i| r >> i & 1 != 0).fold(0u128, |v, i| v | ones << (w * i))
        };
        Ok(())
    })
}

pub(super) fn build_str<const M: bool, const EXPLICIT: bool, const W64: bool>(
    i: &Instruction,
    _: &mut Op,
) -> Option<Handler> {
    let mem = has_mem(i);
    Some(match (M, mem) {
        (false, false) => pcmpstri::<EXPLICIT, W64, REG>,
        (false, true) => pcmpstri::<EXPLICIT, W64, M128U>,
        (true, false) => pcmpstrm::<EXPLICIT, W64, REG>,
        (true, true) => pcmpstrm::<EXPLICIT, W64, M128U>,
    })
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Pcmpgtq_xmm_xmmm128, build_shuf::<Pcmpgtq>);
    t.set(Code::Crc32_r32_rm8, build_crc32::<8>);
    t.set(Code::Crc32_r64_rm8, build_crc32::<8>);
    t.set(Code::Crc32_r32_rm16, build_crc32::<16>);
    t.set(Code::Crc32_r32_rm32, build_crc32::<32>);
    t.set(Code::Crc32_r64_rm64, build_crc32::<64>);
    t.set(Code::Pcmpestri_xmm_xmmm128_imm8, build_str::<false, true, false>);
    t.set(Code::Pcmpestri64_xmm_xmmm128_imm8, build_str::<false, true, true>);
    t.set(Code::Pcmpestrm_xmm_xmmm128_imm8, build_str::<true, true, false>);
    t.set(Code::Pcmpestrm64_xmm_xmmm128_imm8, build_str::<true, true, true>);
    t.set(Code::Pcmpistri_xmm_xmmm128_imm8, build_str::<false, false, false>);
    t.set(Code::Pcmpistrm_xmm_xmmm128_imm8, build_str::<true, false, false>);
}
