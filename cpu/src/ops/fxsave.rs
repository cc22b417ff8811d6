//! FXSAVE / FXRSTOR (and the REX.W forms FXSAVE64 / FXRSTOR64): the 512-byte legacy
//! x87 + SSE state image. (Intel SDM Vol. 2 FXSAVE, Table 3-53 / 3-56; Vol. 1 10.5.)
//!
//! Layout: FCW, FSW, abridged FTW, FOP, FIP, FDP (64-bit with REX.W, else 32-bit offset
//! and selector), MXCSR, MXCSR_MASK, ST0..ST7 in 16-byte slots, XMM0..XMM15. Bytes
//! 416..511 are left untouched, as on the host. The memory operand must be 16-byte
//! aligned (#GP).
//!
//! As on the AMD host, FOP/FIP/FDP are stored only while an unmasked exception is
//! pending (FSW.ES = 1) and are zero otherwise.

use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use crate::x87::F80;
use iced_x86::Code;

/// MXCSR bits FXRSTOR/LDMXCSR accept (DAZ included: the SSE families implement it). The
/// AMD host reports 0x2ffff (plus AMD's misaligned-SSE mask MM, bit 17); emu does not
/// claim MM, so a guest setting it gets #GP instead of silently different behaviour.
pub const MXCSR_MASK: u32 = 0xffff;

fn fxsave<const W64: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let ea = cpu.ea(op);
        if ea & 15 != 0 {
            return Err(cpu.gp_fault());
        }
        cpu.probe_write(ea, 416)?;
        let b = image(cpu, W64);
        for (i, c) in b.chunks(16).enumerate() {
            cpu.st128(ea + 16 * i as u64, u128::from_le_bytes(c.try_into().expect("16-byte chunk")))?;
        }
        Ok(())
    })
}

/// The first 416 bytes of the FXSAVE image (the rest is reserved and left alone).
pub(crate) fn image(cpu: &mut Cpu, w64: bool) -> [u8; 416] {
    let fop = cpu.x87_fop();
    let x = &cpu.x87;
    let mut b = [0u8; 416];
    b[0..2].copy_from_slice(&x.fcw.to_le_bytes());
    b[2..4].copy_from_slice(&x.status_word().to_le_bytes());
    b[4] = x.tags;
    let pointers = x.fsw & crate::x87::sw::ES != 0;
    if !pointers {
        // Leave FOP/FIP/FDP zero (the selectors of the 32-bit form are still written).
        if !w64 {
            let fcs = if x.fop == super::x87_control::FOP_FROM_FIP { 0x33 } else { x.fcs };
            b[12..14].copy_from_slice(&fcs.to_le_bytes());
            b[20..22].copy_from_slice(&x.fds.to_le_bytes());
        }
    } else if w64 {
        b[6..8].copy_from_slice(&(fop & 0x7ff).to_le_bytes());
        b[8..16].copy_from_slice(&x.fip.to_le_bytes());
        b[16..24].copy_from_slice(&x.fdp.to_le_bytes());
    } else {
        b[6..8].copy_from_slice(&(fop & 0x7ff).to_le_bytes());
        b[8..12].copy_from_slice(&(x.fip as u32).to_le_bytes());
        let fcs = if x.fop == super::x87_control::FOP_FROM_FIP { 0x33 } else { x.fcs };
        b[12..14].copy_from_slice(&fcs.to_le_bytes());
        b[16..20].copy_from_slice(&(x.fdp as u32).to_le_bytes());
        b[20..22].copy_from_slice(&x.fds.to_le_bytes());
    }
    b[24..28].copy_from_slice(&cpu.mxcsr.to_le_bytes());
    b[28..32].copy_from_slice(&MXCSR_MASK.to_le_bytes());
    for i in 0..8u8 {
        let v = x.st(i);
        let o = 32 + 16 * i as usize;
        b[o..o + 8].copy_from_slice(&v.mant.to_le_bytes());
        b[o + 8..o + 10].copy_from_slice(&v.se.to_le_bytes());
    }
    for (i, r) in cpu.xmm.iter().enumerate() {
        b[160 + 16 * i..176 + 16 * i].copy_from_slice(&r.to_le_bytes());
    }
    b
}

fn fxrstor<const W64: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let ea = cpu.ea(op);
        if ea & 15 != 0 {
            return Err(cpu.gp_fault());
        }
        // The host reads the last byte first, at the offset wrapped to the address size
        // (with a 32-bit address near 4 GiB it is below the first byte).
        cpu.ld8(cpu.ea_plus(op, 511))?;
        let mut b = [0u8; 416];
        for i in 0..26 {
            let v = cpu.ld128(ea + 16 * i as u64)?;
            b[16 * i..16 * i + 16].copy_from_slice(&v.to_le_bytes());
        }
        restore(cpu, &b, W64).map_err(|_| cpu.gp_fault())
    })
}

/// Loads state from the first 416 bytes of an FXSAVE image; refuses (changing nothing)
/// an MXCSR with reserved bits set.
pub(crate) fn restore(cpu: &mut Cpu, b: &[u8; 416], w64: bool) -> Result<(), ()> {
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let mxcsr = u32_at(24);
    if mxcsr & !MXCSR_MASK != 0 {
        return Err(());
    }
    cpu.mxcsr = mxcsr;
    let x = &mut cpu.x87;
    x.fcw = super::x87_control::fcw_of(u16_at(0));
    x.set_status_word(u16_at(2));
    x.tags = b[4];
    x.fop = u16_at(6) & 0x7ff;
    if w64 {
        x.fip = u64::from_le_bytes(b[8..16].try_into().expect("8 bytes"));
        x.fdp = u64::from_le_bytes(b[16..24].try_into().expect("8 bytes"));
    } else {
        x.fip = u32_at(8) as u64;
        x.fcs = u16_at(12);
        x.fdp = u32_at(16) as u64;
        x.fds = u16_at(20);
    }
    for i in 0..8u8 {
        let o = 32 + 16 * i as usize;
        let v = F80 { mant: u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes")), se: u16_at(o + 8) };
        let p = x.phys(i);
        x.regs[p] = v;
    }
    x.update_summary();
    for i in 0..16 {
        cpu.xmm[i] = u128::from_le_bytes(b[160 + 16 * i..176 + 16 * i].try_into().expect("16 bytes"));
    }
    Ok(())
}

pub(super) fn register(t: &mut Table) {
    fn h(f: Handler) -> Option<Handler> {
        Some(f)
    }
    t.set(Code::Fxsave_m512byte, |_, _| h(fxsave::<false>));
    t.set(Code::Fxsave64_m512byte, |_, _| h(fxsave::<true>));
    t.set(Code::Fxrstor_m512byte, |_, _| h(fxrstor::<false>));
    t.set(Code::Fxrstor64_m512byte, |_, _| h(fxrstor::<true>));
}
