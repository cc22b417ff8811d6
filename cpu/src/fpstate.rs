//! The FXSAVE image of the floating-point and vector state (SDM Vol. 1, 10.5.1), the
//! form in which the kernel shim saves it in signal frames and restores it on sigreturn.

use crate::state::Cpu;

impl Cpu {
    /// The 512-byte FXSAVE image of the x87, MXCSR and XMM state.
    pub fn fxsave_image(&self) -> [u8; 512] {
        let mut b = [0u8; 512];
        let x = &self.x87;
        let fsw = (x.fsw & !(7 << 11)) | ((x.top as u16 & 7) << 11);
        b[0..2].copy_from_slice(&x.fcw.to_le_bytes());
        b[2..4].copy_from_slice(&fsw.to_le_bytes());
        b[4] = x.tags;
        b[24..28].copy_from_slice(&self.mxcsr.to_le_bytes());
        b[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
        for i in 0..8 {
            // ST(i) in stack order.
            let r = x.regs[(x.top as usize + i) & 7];
            let o = 32 + 16 * i;
            b[o..o + 8].copy_from_slice(&r.mant.to_le_bytes());
            b[o + 8..o + 10].copy_from_slice(&r.se.to_le_bytes());
        }
        for (i, v) in self.xmm.iter().enumerate() {
            b[160 + 16 * i..176 + 16 * i].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// Loads state from a FXSAVE image. MXCSR reserved bits are cleared.
    pub fn fxrstor_image(&mut self, b: &[u8; 512]) {
        let x = &mut self.x87;
        x.fcw = u16::from_le_bytes([b[0], b[1]]);
        let fsw = u16::from_le_bytes([b[2], b[3]]);
        x.top = ((fsw >> 11) & 7) as u8;
        x.fsw = fsw & !(7 << 11);
        x.tags = b[4];
        for i in 0..8 {
            let o = 32 + 16 * i;
            let mant = u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
            let se = u16::from_le_bytes([b[o + 8], b[o + 9]]);
            x.regs[(x.top as usize + i) & 7] = crate::x87::F80 { mant, se };
        }
        self.mxcsr = u32::from_le_bytes(b[24..28].try_into().expect("4 bytes")) & 0xffff;
        for i in 0..16 {
            self.xmm[i] = u128::from_le_bytes(b[160 + 16 * i..176 + 16 * i].try_into().expect("16 bytes"));
        }
    }
}
