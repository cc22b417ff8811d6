//! The floating-point and vector state as the kernel shim saves it in signal frames and
//! restores it on sigreturn: the XSAVE image of every XCR0 component (standard form, as
//! Linux's XSAVE64 to the frame writes it), its restore with XRSTOR64's checks, and the
//! FXSAVE image (SDM Vol. 1, 10.5.1 and chapter 13).

use crate::cpuid::CpuidModel;
use crate::ops::fxsave;
use crate::ops::xsave::{Area, AVX_AT, AVX_C, HDR, SSE_C, X87_C};
use crate::state::Cpu;
use crate::x87::X87;

/// An XSAVE image the restore refused: a header XRSTOR rejects, or reserved MXCSR bits
/// (both #GP on the CPU, which the kernel turns into a bad frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadXstate;

impl Cpu {
    /// The 512-byte FXSAVE64 image of the x87, MXCSR and XMM state.
    pub fn fxsave_image(&mut self) -> [u8; 512] {
        let mut b = [0u8; 512];
        b[..416].copy_from_slice(&fxsave::image(self, true));
        b
    }

    /// Loads state from a FXSAVE64 image, clearing MXCSR bits the CPU does not support
    /// rather than refusing them (for harnesses that build images by hand).
    pub fn fxrstor_image(&mut self, b: &[u8; 512]) {
        let mut img = [0u8; 416];
        img.copy_from_slice(&b[..416]);
        let mxcsr = u32::from_le_bytes(img[24..28].try_into().expect("4 bytes")) & fxsave::MXCSR_MASK;
        img[24..28].copy_from_slice(&mxcsr.to_le_bytes());
        fxsave::restore(self, &img, true).expect("MXCSR sanitised");
    }

    /// What XSAVE64 of every XCR0 component writes into a zeroed area (standard form):
    /// `CpuidModel::xsave_size(xcr0)` bytes, XSTATE_BV = XINUSE. Empty without XSAVE.
    pub fn xsave_image(&mut self) -> Vec<u8> {
        let xcr0 = self.cpuid.xcr0();
        if xcr0 == 0 {
            return Vec::new();
        }
        let mut b = vec![0u8; CpuidModel::xsave_size(xcr0) as usize];
        b[..416].copy_from_slice(&fxsave::image(self, true));
        let bv = self.xinuse() & xcr0;
        b[HDR as usize..HDR as usize + 8].copy_from_slice(&bv.to_le_bytes());
        if xcr0 & AVX_C != 0 {
            for (i, y) in self.ymmh.iter().enumerate() {
                let o = AVX_AT as usize + 16 * i;
                b[o..o + 16].copy_from_slice(&y.to_le_bytes());
            }
        }
        b
    }

    /// XRSTOR64 of the components in `rfbm` from an XSAVE image of at least
    /// `xsave_size(xcr0)` bytes, then the other XCR0 components set to their initial
    /// configuration (Linux's sigreturn). On a refused image nothing has changed.
    pub fn xrstor_image(&mut self, b: &[u8], rfbm: u64) -> Result<(), BadXstate> {
        let xcr0 = self.cpuid.xcr0();
        let a = Area::parse(b);
        if !a.header_ok(xcr0) {
            return Err(BadXstate);
        }
        a.load(self, rfbm & xcr0, true).map_err(|()| BadXstate)?;
        self.init_fp_components(xcr0 & !rfbm);
        Ok(())
    }

    /// FXRSTOR64 of a legacy image (reserved MXCSR bits refused), with the components
    /// beyond x87 and SSE set to their initial configuration: the restore of a frame
    /// without (valid) extended state.
    pub fn fxrstor_legacy(&mut self, b: &[u8; 512]) -> Result<(), BadXstate> {
        let mut a = Area { bv: X87_C | SSE_C, ..Area::default() };
        a.legacy.copy_from_slice(&b[..416]);
        a.load(self, X87_C | SSE_C, true).map_err(|()| BadXstate)?;
        self.init_fp_components(!(X87_C | SSE_C));
        Ok(())
    }

    /// Puts the x87, SSE (MXCSR included) and AVX state in their initial configuration,
    /// as after execve (Linux's state after a sigreturn it could not complete).
    pub fn reset_fp_state(&mut self) {
        self.init_fp_components(X87_C | SSE_C | AVX_C);
    }

    /// XRSTOR from an area whose XSTATE_BV is clear: the components in `mask` get their
    /// initial configuration (MXCSR 1F80H with SSE or AVX, as the init image carries it).
    fn init_fp_components(&mut self, mask: u64) {
        let mask = mask & (X87_C | SSE_C | AVX_C);
        if mask & X87_C != 0 {
            self.x87 = X87::default();
        }
        let mut init = Area::default();
        init.legacy[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
        init.load(self, mask, true).expect("the initial MXCSR is valid");
    }
}

#[cfg(test)]
mod tests {
    use crate::mem::AddressSpace;
    use crate::state::Cpu;

    fn cpu() -> Cpu {
        let mut c = Cpu::new(AddressSpace::new());
        for i in 0..16 {
            c.xmm[i] = 0x1111 * (i as u128 + 1);
            c.ymmh[i] = (0x2222 * (i as u128 + 1)) << 64;
        }
        c.mxcsr = 0x1f80 | 0x40;
        c
    }

    #[test]
    fn the_xsave_image_round_trips() {
        let mut c = cpu();
        let img = c.xsave_image();
        assert_eq!(img.len(), 832);
        assert_eq!(u64::from_le_bytes(img[512..520].try_into().unwrap()), 6, "SSE and AVX in use");
        let (x, y) = (c.xmm, c.ymmh);
        c.reset_fp_state();
        assert_eq!((c.xmm, c.ymmh, c.mxcsr), ([0; 16], [0; 16], 0x1f80));
        c.xrstor_image(&img, 7).unwrap();
        assert_eq!((c.xmm, c.ymmh, c.mxcsr), (x, y, 0x1fc0));
    }

    #[test]
    fn components_left_out_are_initialised() {
        let mut c = cpu();
        let mut img = c.xsave_image();
        // Not requested: AVX goes to its initial state.
        c.xrstor_image(&img, 3).unwrap();
        assert_eq!(c.ymmh, [0; 16]);
        // Requested but clear in XSTATE_BV: the same.
        let mut c = cpu();
        img[512] &= !4;
        c.xrstor_image(&img, 7).unwrap();
        assert_eq!(c.ymmh, [0; 16]);
    }

    #[test]
    fn a_bad_header_or_mxcsr_changes_nothing() {
        let mut c = cpu();
        let mut img = c.xsave_image();
        img[512] |= 8; // a component XCR0 lacks
        c.ymmh = [5; 16];
        assert!(c.xrstor_image(&img, 7).is_err());
        assert_eq!(c.ymmh, [5; 16]);
        img[512] &= !8;
        img[26] = 0x01; // MXCSR bit 16
        assert!(c.xrstor_image(&img, 7).is_err());
        assert_eq!(c.ymmh, [5; 16]);
    }

    #[test]
    fn a_legacy_image_initialises_the_upper_halves() {
        let mut c = cpu();
        let fx = c.fxsave_image();
        let x = c.xmm;
        c.fxrstor_legacy(&fx).unwrap();
        assert_eq!((c.xmm, c.ymmh), (x, [0; 16]));
    }
}
