//! The FXSAVE image of the floating-point and vector state (SDM Vol. 1, 10.5.1), the
//! form in which the kernel shim saves it in signal frames and restores it on sigreturn.

use crate::ops::fxsave;
use crate::state::Cpu;

impl Cpu {
    /// The 512-byte FXSAVE64 image of the x87, MXCSR and XMM state.
    pub fn fxsave_image(&mut self) -> [u8; 512] {
        let mut b = [0u8; 512];
        b[..416].copy_from_slice(&fxsave::image(self, true));
        b
    }

    /// Loads state from a FXSAVE64 image, as the kernel does on sigreturn: MXCSR bits the
    /// CPU does not support are cleared rather than refused.
    pub fn fxrstor_image(&mut self, b: &[u8; 512]) {
        let mut img = [0u8; 416];
        img.copy_from_slice(&b[..416]);
        let mxcsr = u32::from_le_bytes(img[24..28].try_into().expect("4 bytes")) & fxsave::MXCSR_MASK;
        img[24..28].copy_from_slice(&mxcsr.to_le_bytes());
        fxsave::restore(self, &img, true).expect("MXCSR sanitised");
    }
}
