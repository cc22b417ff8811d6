//! MMX: the 64-bit packed integer instructions on MM0-MM7 and the MMX-register forms
//! that SSE and SSE2 added. MOVD MOVQ (GPR, memory and MM forms), PADD/PSUB (B W D Q,
//! signed and unsigned saturating B W), PMULLW PMULHW PMADDWD, PCMPEQ/PCMPGT (B W D),
//! PACKSSWB PACKSSDW PACKUSWB, PUNPCK{L,H}{BW,WD,DQ}, PAND PANDN POR PXOR, PSLL/PSRL
//! (W D Q) PSRA (W D) with immediate or MM/m64 counts, EMMS; SSE: PAVGB PAVGW PEXTRW
//! PINSRW PMAXSW PMAXUB PMINSW PMINUB PMOVMSKB PMULHUW PSADBW PSHUFW MASKMOVQ MOVNTQ;
//! SSE2: PMULUDQ PADDQ PSUBQ MOVQ2DQ MOVDQ2Q. The float conversions with MM operands
//! are in `mmx_cvt.rs`. (Intel SDM Vol. 1 ch. 9, Vol. 2 each mnemonic.)
//!
//! MMi is the significand of the x87 physical register Ri (SDM Vol. 1 9.2.1). Every
//! instruction here except EMMS first takes a pending unmasked x87 exception (#MF), then
//! switches the x87 unit to MMX mode: TOP = 0 and every tag valid (Table 9-3); writing
//! MMi also sets the sign/exponent field of Ri to all ones. EMMS empties every tag (and,
//! on the host, sets TOP to 0 too). The x87 instruction/data pointers are left alone.
//! The lane arithmetic is that of the SSE2 XMM forms (`sse_int.rs`, `sse_mov.rs`),
//! applied to zero-extended 64-bit operands.

use super::sse_fp::{logic_op, AND, ANDN, OR, XOR};
use super::sse_int::*;
use super::sse_mov::{Pshufw, Shuf, Unpack};
use super::x87_core::wait;
use super::{has_mem, Table};
use crate::decode::{Flow, Handler, Op, Stop};
use crate::exec::and_next;
use crate::state::Cpu;
use crate::x87::F80;
use iced_x86::{Code, Instruction, OpKind, Register};

// ---- the MMX view of the x87 state ----

#[inline(always)]
pub(super) fn mm(cpu: &Cpu, r: u8) -> u64 {
    cpu.x87.regs[r as usize & 7].mant
}

/// The x87-to-MMX transition done by every MMX instruction but EMMS.
#[inline(always)]
pub(super) fn enter(cpu: &mut Cpu) {
    cpu.x87.top = 0;
    cpu.x87.tags = 0xff;
}

#[inline(always)]
pub(super) fn put_mm(cpu: &mut Cpu, r: u8, v: u64) {
    cpu.x87.regs[r as usize & 7] = F80 { mant: v, se: 0xffff };
}

/// Source kinds (const generic): MM register `r1`, m32 (PUNPCKL*), m64.
const REG: u8 = 0;
const M32: u8 = 1;
const M64: u8 = 2;

#[inline(always)]
fn src<const S: u8>(cpu: &mut Cpu, op: &Op) -> Result<u64, Stop> {
    match S {
        REG => Ok(mm(cpu, op.r1)),
        M32 => cpu.ld32(cpu.ea(op)).map(u64::from),
        _ => cpu.ld64(cpu.ea(op)),
    }
}

fn kind(i: &Instruction) -> u8 {
    if !has_mem(i) {
        REG
    } else if i.memory_size().size() == 4 {
        M32
    } else {
        M64
    }
}

// ---- mm = f(mm, mm/m, imm8) ----

/// mm(r0) = O(mm(r0), source, imm8), the SSE lane operation on zero-extended operands.
fn bin<O: Shuf, const S: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let b = src::<S>(cpu, op)?;
        let r = O::f(mm(cpu, op.r0) as u128, b as u128, op.imm as u8) as u64;
        enter(cpu);
        put_mm(cpu, op.r0, r);
        Ok(())
    })
}

/// Builder for `mm, mm/m32|m64 [, imm8]` forms; other families (SSSE3) may reuse it with
/// their own 64-bit lane operation.
pub(super) fn build_bin<O: Shuf + 'static>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(match kind(i) {
        REG => bin::<O, REG>,
        M32 => bin::<O, M32>,
        _ => bin::<O, M64>,
    })
}

/// Shift by imm8: the count is not masked, so 16..255 clear (or sign-fill) the lanes.
fn shift_imm<O: Shuf>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let r = O::f(mm(cpu, op.r0) as u128, (op.imm & 0xff) as u128, 0) as u64;
        enter(cpu);
        put_mm(cpu, op.r0, r);
        Ok(())
    })
}

fn build_shift_imm<O: Shuf + 'static>(_: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(shift_imm::<O>)
}

/// The SSE packs take a's lanes then b's: with a:b as one 128-bit source, the low 64
/// bits of the XMM result are the MMX result.
struct Pack<O>(std::marker::PhantomData<O>);
impl<O: Shuf> Shuf for Pack<O> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        O::f(a | b << 64, 0, 0) & u64::MAX as u128
    }
}

/// PUNPCKH* interleaves the high 32 bits of each operand: the low unpack of the halves.
struct UnpackHi<const W: u32>;
impl<const W: u32> Shuf for UnpackHi<W> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        Unpack::<W, false>::f(a >> 32, b >> 32, 0) & u64::MAX as u128
    }
}

/// PUNPCKL* reads only the low 32 bits of each operand, so the result fits 64 bits.
type UnpackLo<const W: u32> = Unpack<W, false>;

struct Logic<const L: u8>;
impl<const L: u8> Shuf for Logic<L> {
    #[inline(always)]
    fn f(a: u128, b: u128, _: u8) -> u128 {
        logic_op::<L>(a, b)
    }
}

// ---- moves ----

/// MOVD mm, r/m32 and MOVQ mm, r/m64: zero-extended into the MM register.
fn mov_to_mm<const W: u32, const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let v = if MEM { cpu.ld::<W>(cpu.ea(op))? } else { cpu.get_r::<W>(op.r1) };
        enter(cpu);
        put_mm(cpu, op.r0, v);
        Ok(())
    })
}

fn build_mov_to_mm<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { mov_to_mm::<W, true> } else { mov_to_mm::<W, false> })
}

/// MOVD r32, mm and MOVQ r64, mm (a 32-bit destination register is zero-extended).
fn mov_mm_to_r<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let v = mm(cpu, op.r1);
        cpu.put_r::<W>(op.r0, v);
        enter(cpu);
        Ok(())
    })
}

/// MOVD m32, mm / MOVQ m64, mm / MOVNTQ m64, mm: the state changes only once the store
/// succeeded.
fn store_mm<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let v = mm(cpu, op.r0);
        cpu.st::<W>(cpu.ea(op), v)?;
        enter(cpu);
        Ok(())
    })
}

fn build_mov_from_mm<const W: u32>(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { store_mm::<W> } else { mov_mm_to_r::<W> })
}

/// MOVQ mm, mm/m64 (0F 6F) and MOVQ mm/m64, mm (0F 7F): the register forms both copy
/// r1 into r0.
struct MovqMm;
impl Shuf for MovqMm {
    #[inline(always)]
    fn f(_: u128, b: u128, _: u8) -> u128 {
        b
    }
}

fn build_movq_store(i: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(if has_mem(i) { store_mm::<64> } else { bin::<MovqMm, REG> })
}

fn movq2dq(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        cpu.xmm[op.r0 as usize] = mm(cpu, op.r1) as u128;
        enter(cpu);
        Ok(())
    })
}

fn movdq2q(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let v = cpu.xmm[op.r1 as usize] as u64;
        enter(cpu);
        put_mm(cpu, op.r0, v);
        Ok(())
    })
}

// ---- SSE additions with GPR operands ----

/// PEXTRW r32/r64, mm, imm8: word imm8[1:0], zero-extended.
fn pextrw(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let v = (mm(cpu, op.r1) >> (16 * (op.imm & 3))) & 0xffff;
        cpu.put_r::<64>(op.r0, v);
        enter(cpu);
        Ok(())
    })
}

/// PINSRW mm, r32/m16, imm8: replaces word imm8[1:0].
fn pinsrw<const MEM: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let w = if MEM { cpu.ld16(cpu.ea(op))? as u64 } else { cpu.get_r::<16>(op.r1) };
        let sh = 16 * (op.imm & 3);
        let v = (mm(cpu, op.r0) & !(0xffff << sh)) | w << sh;
        enter(cpu);
        put_mm(cpu, op.r0, v);
        Ok(())
    })
}

fn pmovmskb(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let m = (mm(cpu, op.r1) & 0x8080_8080_8080_8080).wrapping_mul(0x0002_0408_1020_4081) >> 56;
        cpu.put_r::<64>(op.r0, m);
        enter(cpu);
        Ok(())
    })
}

/// MASKMOVQ: stores the bytes of r0 whose mask byte (in r1) has its top bit set, to
/// [rdi]. As on the host, the x87 unit switches to MMX mode first, and the access is
/// checked as an 8-byte write whatever the mask (an all-zero mask may fault, which the
/// SDM allows), so a fault stores nothing.
fn maskmovq(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        enter(cpu);
        let v = mm(cpu, op.r0);
        let m = mm(cpu, op.r1);
        let base = cpu.regs[7].wrapping_add(cpu.seg_base[op.seg as usize]);
        cpu.probe_write(base, 8)?;
        for i in 0..8 {
            if m >> (8 * i + 7) & 1 != 0 {
                cpu.st8(base.wrapping_add(i), (v >> (8 * i)) as u8)?;
            }
        }
        Ok(())
    })
}

fn build_maskmovq(i: &Instruction, op: &mut Op) -> Option<Handler> {
    if i.op0_kind() != OpKind::MemorySegRDI {
        return None; // 0x67-prefixed (EDI) form
    }
    op.seg = match i.memory_segment() {
        Register::FS => 1,
        Register::GS => 2,
        _ => 0,
    };
    Some(maskmovq)
}

fn emms(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        cpu.x87.tags = 0;
        cpu.x87.top = 0;
        Ok(())
    })
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Emms, |_, _| Some(emms));

    t.set(Code::Movd_mm_rm32, build_mov_to_mm::<32>);
    t.set(Code::Movq_mm_rm64, build_mov_to_mm::<64>);
    t.set(Code::Movd_rm32_mm, build_mov_from_mm::<32>);
    t.set(Code::Movq_rm64_mm, build_mov_from_mm::<64>);
    t.set(Code::Movq_mm_mmm64, build_bin::<MovqMm>);
    t.set(Code::Movq_mmm64_mm, build_movq_store);
    t.set(Code::Movntq_m64_mm, |_, _| Some(store_mm::<64>));
    t.set(Code::Movq2dq_xmm_mm, |_, _| Some(movq2dq));
    t.set(Code::Movdq2q_mm_xmm, |_, _| Some(movdq2q));

    t.set(Code::Paddb_mm_mmm64, build_bin::<Paddb>);
    t.set(Code::Paddw_mm_mmm64, build_bin::<Paddw>);
    t.set(Code::Paddd_mm_mmm64, build_bin::<Paddd>);
    t.set(Code::Paddq_mm_mmm64, build_bin::<Paddq>);
    t.set(Code::Psubb_mm_mmm64, build_bin::<Psubb>);
    t.set(Code::Psubw_mm_mmm64, build_bin::<Psubw>);
    t.set(Code::Psubd_mm_mmm64, build_bin::<Psubd>);
    t.set(Code::Psubq_mm_mmm64, build_bin::<Psubq>);
    t.set(Code::Paddsb_mm_mmm64, build_bin::<Paddsb>);
    t.set(Code::Paddsw_mm_mmm64, build_bin::<Paddsw>);
    t.set(Code::Paddusb_mm_mmm64, build_bin::<Paddusb>);
    t.set(Code::Paddusw_mm_mmm64, build_bin::<Paddusw>);
    t.set(Code::Psubsb_mm_mmm64, build_bin::<Psubsb>);
    t.set(Code::Psubsw_mm_mmm64, build_bin::<Psubsw>);
    t.set(Code::Psubusb_mm_mmm64, build_bin::<Psubusb>);
    t.set(Code::Psubusw_mm_mmm64, build_bin::<Psubusw>);
    t.set(Code::Pmullw_mm_mmm64, build_bin::<Pmullw>);
    t.set(Code::Pmulhw_mm_mmm64, build_bin::<Pmulhw>);
    t.set(Code::Pmulhuw_mm_mmm64, build_bin::<Pmulhuw>);
    t.set(Code::Pmuludq_mm_mmm64, build_bin::<Pmuludq>);
    t.set(Code::Pmaddwd_mm_mmm64, build_bin::<Pmaddwd>);
    t.set(Code::Pavgb_mm_mmm64, build_bin::<Pavgb>);
    t.set(Code::Pavgw_mm_mmm64, build_bin::<Pavgw>);
    t.set(Code::Pminub_mm_mmm64, build_bin::<Pminub>);
    t.set(Code::Pmaxub_mm_mmm64, build_bin::<Pmaxub>);
    t.set(Code::Pminsw_mm_mmm64, build_bin::<Pminsw>);
    t.set(Code::Pmaxsw_mm_mmm64, build_bin::<Pmaxsw>);
    t.set(Code::Psadbw_mm_mmm64, build_bin::<Psadbw>);
    t.set(Code::Pcmpeqb_mm_mmm64, build_bin::<Pcmpeqb>);
    t.set(Code::Pcmpeqw_mm_mmm64, build_bin::<Pcmpeqw>);
    t.set(Code::Pcmpeqd_mm_mmm64, build_bin::<Pcmpeqd>);
    t.set(Code::Pcmpgtb_mm_mmm64, build_bin::<Pcmpgtb>);
    t.set(Code::Pcmpgtw_mm_mmm64, build_bin::<Pcmpgtw>);
    t.set(Code::Pcmpgtd_mm_mmm64, build_bin::<Pcmpgtd>);
    t.set(Code::Packsswb_mm_mmm64, build_bin::<Pack<Packsswb>>);
    t.set(Code::Packssdw_mm_mmm64, build_bin::<Pack<Packssdw>>);
    t.set(Code::Packuswb_mm_mmm64, build_bin::<Pack<Packuswb>>);
    t.set(Code::Punpcklbw_mm_mmm32, build_bin::<UnpackLo<8>>);
    t.set(Code::Punpcklwd_mm_mmm32, build_bin::<UnpackLo<16>>);
    t.set(Code::Punpckldq_mm_mmm32, build_bin::<UnpackLo<32>>);
    t.set(Code::Punpckhbw_mm_mmm64, build_bin::<UnpackHi<8>>);
    t.set(Code::Punpckhwd_mm_mmm64, build_bin::<UnpackHi<16>>);
    t.set(Code::Punpckhdq_mm_mmm64, build_bin::<UnpackHi<32>>);
    t.set(Code::Pand_mm_mmm64, build_bin::<Logic<AND>>);
    t.set(Code::Pandn_mm_mmm64, build_bin::<Logic<ANDN>>);
    t.set(Code::Por_mm_mmm64, build_bin::<Logic<OR>>);
    t.set(Code::Pxor_mm_mmm64, build_bin::<Logic<XOR>>);
    t.set(Code::Pshufw_mm_mmm64_imm8, build_bin::<Pshufw<false>>);

    t.set(Code::Psllw_mm_mmm64, build_bin::<Psllw>);
    t.set(Code::Pslld_mm_mmm64, build_bin::<Pslld>);
    t.set(Code::Psllq_mm_mmm64, build_bin::<Psllq>);
    t.set(Code::Psrlw_mm_mmm64, build_bin::<Psrlw>);
    t.set(Code::Psrld_mm_mmm64, build_bin::<Psrld>);
    t.set(Code::Psrlq_mm_mmm64, build_bin::<Psrlq>);
    t.set(Code::Psraw_mm_mmm64, build_bin::<Psraw>);
    t.set(Code::Psrad_mm_mmm64, build_bin::<Psrad>);
    t.set(Code::Psllw_mm_imm8, build_shift_imm::<Psllw>);
    t.set(Code::Pslld_mm_imm8, build_shift_imm::<Pslld>);
    t.set(Code::Psllq_mm_imm8, build_shift_imm::<Psllq>);
    t.set(Code::Psrlw_mm_imm8, build_shift_imm::<Psrlw>);
    t.set(Code::Psrld_mm_imm8, build_shift_imm::<Psrld>);
    t.set(Code::Psrlq_mm_imm8, build_shift_imm::<Psrlq>);
    t.set(Code::Psraw_mm_imm8, build_shift_imm::<Psraw>);
    t.set(Code::Psrad_mm_imm8, build_shift_imm::<Psrad>);

    t.set(Code::Pextrw_r32_mm_imm8, |_, _| Some(pextrw));
    t.set(Code::Pextrw_r64_mm_imm8, |_, _| Some(pextrw));
    for c in [Code::Pinsrw_mm_r32m16_imm8, Code::Pinsrw_mm_r64m16_imm8] {
        t.set(c, |i, _| Some(if has_mem(i) { pinsrw::<true> } else { pinsrw::<false> }));
    }
    t.set(Code::Pmovmskb_r32_mm, |_, _| Some(pmovmskb));
    t.set(Code::Pmovmskb_r64_mm, |_, _| Some(pmovmskb));
    t.set(Code::Maskmovq_rDI_mm_mm, build_maskmovq);
}
