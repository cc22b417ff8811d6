//! The XSAVE feature set for user mode: XGETBV, XSAVE/XSAVE64, XSAVEC/XSAVEC64 and
//! XRSTOR/XRSTOR64 (both the standard and the compacted form), for the state components
//! emu has: x87 (0), SSE (1) and AVX (2). (Intel SDM Vol. 1 chapter 13 "Managing State
//! Using the XSAVE Feature Set": §13.4 the XSAVE area, §13.6 the init optimization,
//! §13.7 XSAVE, §13.8 XRSTOR, §13.10 XSAVEC; Vol. 2 "XGETBV".)
//!
//! XCR0 is the model's (`CpuidModel::xcr0`): x87 | SSE, plus AVX when AVX is advertised.
//! The area must be 64-byte aligned (#GP). Layout: the FXSAVE-format legacy region
//! (x87: bytes 0..23 and 32..159; SSE: MXCSR at 24..31 and the XMM registers at
//! 160..415), the header at 512 (XSTATE_BV, XCOMP_BV), and the AVX component (YMM bits
//! 128..255) at 576, which is also its compacted offset since it is the first extended
//! component. XINUSE[i] is computed from the state: x87 is in its initial configuration
//! with FCW = 037FH, FSW = 0, all registers empty and zero, and no last-instruction
//! pointers; SSE with every XMM register zero (MXCSR does not count, SDM §13.6); AVX with
//! every upper half zero. XSAVEOPT (which may skip unmodified components) is neither
//! implemented nor advertised.

use super::fxsave;
use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use crate::x87::X87;
use iced_x86::Code;

pub(crate) const X87_C: u64 = 1;
pub(crate) const SSE_C: u64 = 2;
pub(crate) const AVX_C: u64 = 4;
const COMPACT: u64 = 1 << 63;
/// Offset of the XSAVE header and of the AVX component.
pub(crate) const HDR: u64 = 512;
pub(crate) const AVX_AT: u64 = 576;

impl Cpu {
    /// XINUSE: the components not in their initial configuration.
    pub(crate) fn xinuse(&self) -> u64 {
        let x = &self.x87;
        let x87_init = x.fcw == 0x37f
            && x.status_word() == 0
            && x.tags == 0
            && x.regs.iter().all(|r| r.mant == 0 && r.se == 0)
            && x.fip == 0
            && x.fdp == 0
            && x.fop == 0;
        let mut v = 0;
        if !x87_init {
            v |= X87_C;
        }
        if self.xmm.iter().any(|&r| r != 0) {
            v |= SSE_C;
        }
        if self.ymmh.iter().any(|&r| r != 0) {
            v |= AVX_C;
        }
        v
    }

    /// The requested-feature bitmap of an XSAVE-family instruction: EDX:EAX AND XCR0.
    fn rfbm(&self) -> u64 {
        ((self.regs[2] << 32) | (self.regs[0] & 0xffff_ffff)) & self.cpuid.xcr0()
    }
}

fn xgetbv(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        // Only XCR0 exists here (XGETBV with ECX = 1 is not advertised).
        if cpu.regs[1] as u32 != 0 {
            return Err(cpu.gp_fault());
        }
        let v = cpu.cpuid.xcr0();
        cpu.regs[0] = v & 0xffff_ffff;
        cpu.regs[2] = v >> 32;
        Ok(())
    })
}

/// Writes `bytes` at `ea + off` (the whole area was probed writable before).
fn put(cpu: &mut Cpu, ea: u64, off: usize, bytes: &[u8]) -> Flow {
    for (k, c) in bytes.chunks(8).enumerate() {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        let a = ea + (off + 8 * k) as u64;
        match c.len() {
            8 => cpu.st64(a, u64::from_le_bytes(w))?,
            4 => cpu.st32(a, u32::from_le_bytes(w[..4].try_into().expect("4 bytes")))?,
            2 => cpu.st16(a, u16::from_le_bytes(w[..2].try_into().expect("2 bytes")))?,
            _ => {
                for (j, &b) in c.iter().enumerate() {
                    cpu.st8(a + j as u64, b)?;
                }
            }
        }
    }
    Ok(())
}

/// XSAVE (`COMPACTED` false) and XSAVEC; `W64` is the REX.W form (64-bit FIP/FDP).
fn xsave<const W64: bool, const COMPACTED: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let ea = cpu.ea(op);
        if ea & 63 != 0 {
            return Err(cpu.gp_fault());
        }
        let rfbm = cpu.rfbm();
        let inuse = cpu.xinuse();
        // What is written: XSAVE saves every requested component; XSAVEC only those in
        // use, plus SSE when MXCSR is not at its reset value.
        let mut save = if COMPACTED { rfbm & inuse } else { rfbm };
        if COMPACTED && rfbm & SSE_C != 0 && cpu.mxcsr != 0x1f80 {
            save |= SSE_C;
        }
        let end = if rfbm & AVX_C != 0 { AVX_AT + 256 } else { AVX_AT };
        // The host touches the area's first byte, then its last: a write fault there is
        // reported before one in between.
        cpu.probe_write(ea, 1)?;
        cpu.probe_write(ea + end - 1, 1)?;
        cpu.probe_write(ea, end)?;
        let img = fxsave::image(cpu, W64);
        if save & X87_C != 0 {
            put(cpu, ea, 0, &img[..24])?;
            put(cpu, ea, 32, &img[32..160])?;
        }
        // MXCSR goes with SSE, and in XSAVE's standard form with AVX too.
        let mxcsr = if COMPACTED { save & SSE_C != 0 } else { rfbm & (SSE_C | AVX_C) != 0 };
        if mxcsr {
            put(cpu, ea, 24, &img[24..32])?;
        }
        if save & SSE_C != 0 {
            put(cpu, ea, 160, &img[160..416])?;
        }
        if save & AVX_C != 0 {
            for i in 0..16 {
                let y = cpu.ymmh[i];
                cpu.st128(ea + AVX_AT + 16 * i as u64, y)?;
            }
        }
        if COMPACTED {
            cpu.st64(ea + HDR, save)?;
            cpu.st64(ea + HDR + 8, rfbm | COMPACT)?;
        } else {
            let old = cpu.ld64(ea + HDR)?;
            cpu.st64(ea + HDR, (old & !rfbm) | (inuse & rfbm))?;
        }
        Ok(())
    })
}

fn xrstor<const W64: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let ea = cpu.ea(op);
        if ea & 63 != 0 {
            return Err(cpu.gp_fault());
        }
        let rfbm = cpu.rfbm();
        let mut a = Area { bv: cpu.ld64(ea + HDR)?, comp: cpu.ld64(ea + HDR + 8)?, ..Area::default() };
        for (k, w) in a.reserved.iter_mut().enumerate() {
            *w = cpu.ld64(ea + HDR + 16 + 8 * k as u64)?;
        }
        if !a.header_ok(cpu.cpuid.xcr0()) {
            return Err(cpu.gp_fault());
        }
        // Read everything first: a fault or #GP must leave the state unchanged.
        for i in 0..26 {
            let v = cpu.ld128(ea + 16 * i as u64)?;
            a.legacy[16 * i..16 * i + 16].copy_from_slice(&v.to_le_bytes());
        }
        if rfbm & AVX_C != 0 && a.bv & AVX_C != 0 {
            for (i, y) in a.ymmh.iter_mut().enumerate() {
                *y = cpu.ld128(ea + AVX_AT + 16 * i as u64)?;
            }
        }
        a.load(cpu, rfbm, W64).map_err(|()| cpu.gp_fault())
    })
}

/// An XSAVE area as XRSTOR reads it (standard or compacted form; with only x87, SSE and
/// AVX the two place every component alike).
#[derive(Clone, Debug)]
pub(crate) struct Area {
    /// The legacy region up to the end of the XMM registers.
    pub legacy: [u8; 416],
    /// XSTATE_BV and XCOMP_BV.
    pub bv: u64,
    pub comp: u64,
    /// Header bytes 16..63.
    pub reserved: [u64; 6],
    /// The AVX component: YMM0..15 bits 128..255.
    pub ymmh: [u128; 16],
}

impl Default for Area {
    fn default() -> Area {
        Area { legacy: [0; 416], bv: 0, comp: 0, reserved: [0; 6], ymmh: [0; 16] }
    }
}

impl Area {
    /// Reads an area from its bytes (at least up to the end of the AVX component).
    pub fn parse(b: &[u8]) -> Area {
        let w = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        let h = HDR as usize;
        let mut a = Area { bv: w(h), comp: w(h + 8), ..Area::default() };
        a.legacy.copy_from_slice(&b[..416]);
        for (k, r) in a.reserved.iter_mut().enumerate() {
            *r = w(h + 16 + 8 * k);
        }
        for (i, y) in a.ymmh.iter_mut().enumerate() {
            let o = AVX_AT as usize + 16 * i;
            *y = u128::from_le_bytes(b[o..o + 16].try_into().expect("16 bytes"));
        }
        a
    }

    /// The header checks of XRSTOR (SDM §13.8.1): failing them is #GP.
    pub fn header_ok(&self, xcr0: u64) -> bool {
        if self.comp & COMPACT != 0 {
            // XSTATE_BV may name only components XCOMP_BV[62:0] lists (its bit 63 too is #GP).
            self.comp & !(xcr0 | COMPACT) == 0
                && self.bv & !(self.comp & !COMPACT) == 0
                && self.reserved == [0; 6]
        } else {
            self.bv & !xcr0 == 0 && self.comp == 0 && self.reserved[0] == 0
        }
    }

    /// XRSTOR's effect with requested-feature bitmap `rfbm` once the header passed: each
    /// requested component is loaded, or set to its initial configuration when XSTATE_BV
    /// says so. Err (nothing changed) for an MXCSR with reserved bits set.
    pub fn load(&self, cpu: &mut Cpu, rfbm: u64, w64: bool) -> Result<(), ()> {
        let (bv, area) = (self.bv, &self.legacy);
        let compacted = self.comp & COMPACT != 0;
        let load_mxcsr =
            if compacted { rfbm & SSE_C != 0 && bv & SSE_C != 0 } else { rfbm & (SSE_C | AVX_C) != 0 };
        let mem_mxcsr = u32::from_le_bytes(area[24..28].try_into().expect("4 bytes"));
        if load_mxcsr && mem_mxcsr & !fxsave::MXCSR_MASK != 0 {
            return Err(());
        }
        // The new legacy image: the current state, with each requested component loaded
        // from memory or set to its initial configuration.
        let mut img = fxsave::image(cpu, w64);
        // `restore` loads the whole x87 state, whose last-instruction pointers the image
        // does not always carry: an x87 state not requested is put back as it was.
        let old_x87 = cpu.x87.clone();
        if rfbm & X87_C != 0 {
            if bv & X87_C != 0 {
                img[..24].copy_from_slice(&area[..24]);
                img[32..160].copy_from_slice(&area[32..160]);
            } else {
                cpu.x87 = X87::default();
                let init = fxsave::image(cpu, w64);
                img[..24].copy_from_slice(&init[..24]);
                img[32..160].copy_from_slice(&init[32..160]);
            }
        }
        if rfbm & SSE_C != 0 {
            if bv & SSE_C != 0 {
                img[160..416].copy_from_slice(&area[160..416]);
            } else {
                img[160..416].fill(0);
            }
        }
        let mxcsr = if load_mxcsr {
            mem_mxcsr
        } else if compacted && rfbm & SSE_C != 0 {
            0x1f80
        } else {
            cpu.mxcsr
        };
        img[24..28].copy_from_slice(&mxcsr.to_le_bytes());
        fxsave::restore(cpu, &img, w64).expect("MXCSR checked");
        if rfbm & X87_C == 0 {
            cpu.x87 = old_x87;
        }
        if rfbm & AVX_C != 0 {
            cpu.ymmh = if bv & AVX_C != 0 { self.ymmh } else { [0; 16] };
        }
        Ok(())
    }
}

pub(super) fn register(t: &mut Table) {
    fn h(f: Handler) -> Option<Handler> {
        Some(f)
    }
    t.set(Code::Xgetbv, |_, _| h(xgetbv));
    t.set(Code::Xsave_mem, |_, _| h(xsave::<false, false>));
    t.set(Code::Xsave64_mem, |_, _| h(xsave::<true, false>));
    t.set(Code::Xsavec_mem, |_, _| h(xsave::<false, true>));
    t.set(Code::Xsavec64_mem, |_, _| h(xsave::<true, true>));
    t.set(Code::Xrstor_mem, |_, _| h(xrstor::<false>));
    t.set(Code::Xrstor64_mem, |_, _| h(xrstor::<true>));
}
