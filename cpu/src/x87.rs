//! x87 FPU state: eight 80-bit registers as a stack, control/status/tag words.

/// An 80-bit extended-precision value as stored in memory: 64-bit significand (with the
/// explicit integer bit) and 16-bit sign+exponent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct F80 {
    pub mant: u64,
    pub se: u16,
}

#[derive(Clone, Debug)]
pub struct X87 {
    /// Physical registers R0..R7; ST(i) is R[(top + i) & 7].
    pub regs: [F80; 8],
    pub top: u8,
    /// Control word (default 0x037f: all exceptions masked, 64-bit precision, nearest).
    pub fcw: u16,
    /// Status word without TOP (kept in `top`).
    pub fsw: u16,
    /// Abridged tag: bit i set = R[i] is valid (not empty).
    pub tags: u8,
}

impl Default for X87 {
    fn default() -> Self {
        X87 { regs: [F80::default(); 8], top: 0, fcw: 0x037f, fsw: 0, tags: 0 }
    }
}
