//! x87 FPU state: eight 80-bit registers as a stack, control/status/tag words.
//!
//! Representation (what the kernel shim saves and restores in signal frames):
//! - `regs[i]` is the *physical* register Ri in the 80-bit memory encoding ([`F80`]);
//!   ST(j) is `regs[(top + j) & 7]`. Encodings are kept bit for bit, including the ones
//!   the FPU never produces (pseudo-denormals, unnormals, pseudo-NaN/infinity).
//! - `top` is the TOP field (0..7); `fsw` is the status word with the TOP bits (11..13)
//!   kept zero — [`X87::status_word`] gives the architectural value.
//! - `tags` is the abridged tag word of FXSAVE: bit i set = Ri is not empty. The full
//!   2-bit tag word of FNSTENV/FNSAVE is derived from the register contents
//!   ([`X87::tag_word`]), as the hardware does.
//! - `fip`/`fdp`/`fop` are the last-instruction pointers. emu records them only when an
//!   instruction raises an *unmasked* exception (that is when AMD CPUs make them
//!   visible in FXSAVE/FNSAVE; Intel CPUs deprecate most of these fields); otherwise
//!   they keep the value last loaded or recorded (FNINIT clears them).

/// An 80-bit extended-precision value as stored in memory: 64-bit significand (with the
/// explicit integer bit) and 16-bit sign+exponent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct F80 {
    pub mant: u64,
    pub se: u16,
}

/// Status word bits.
pub mod sw {
    pub const IE: u16 = 1 << 0;
    pub const DE: u16 = 1 << 1;
    pub const ZE: u16 = 1 << 2;
    pub const OE: u16 = 1 << 3;
    pub const UE: u16 = 1 << 4;
    pub const PE: u16 = 1 << 5;
    pub const SF: u16 = 1 << 6;
    pub const ES: u16 = 1 << 7;
    pub const C0: u16 = 1 << 8;
    pub const C1: u16 = 1 << 9;
    pub const C2: u16 = 1 << 10;
    pub const TOP: u16 = 7 << 11;
    pub const C3: u16 = 1 << 14;
    pub const B: u16 = 1 << 15;
    pub const CC: u16 = C0 | C1 | C2 | C3;
    /// The six exception flags (maskable in the control word at the same positions).
    pub const EXC: u16 = 0x3f;
}

impl F80 {
    /// The default QNaN ("real indefinite") produced by masked invalid operations.
    pub const INDEFINITE: F80 = F80 { mant: 0xc000_0000_0000_0000, se: 0xffff };
    pub const ZERO: F80 = F80 { mant: 0, se: 0 };

    #[inline(always)]
    pub fn from_bits(b: u128) -> F80 {
        F80 { mant: b as u64, se: (b >> 64) as u16 }
    }
    #[inline(always)]
    pub fn to_bits(self) -> u128 {
        (self.se as u128) << 64 | self.mant as u128
    }
    #[inline(always)]
    pub fn exp(self) -> u16 {
        self.se & 0x7fff
    }
    #[inline(always)]
    pub fn sign(self) -> bool {
        self.se & 0x8000 != 0
    }
    #[inline(always)]
    pub fn is_zero(self) -> bool {
        self.exp() == 0 && self.mant == 0
    }
    /// Denormal or pseudo-denormal (exponent 0, nonzero significand).
    #[inline(always)]
    pub fn is_denormal(self) -> bool {
        self.exp() == 0 && self.mant != 0
    }
    #[inline(always)]
    pub fn is_inf(self) -> bool {
        self.exp() == 0x7fff && self.mant == 1 << 63
    }
    #[inline(always)]
    pub fn is_nan(self) -> bool {
        self.exp() == 0x7fff && self.mant >> 63 == 1 && self.mant << 1 != 0
    }
    #[inline(always)]
    pub fn is_snan(self) -> bool {
        self.is_nan() && self.mant & 1 << 62 == 0
    }
    /// Encodings the 387 and later reject as invalid operands: pseudo-NaN, pseudo-infinity
    /// and unnormals (integer bit clear with a nonzero, non-maximal exponent).
    #[inline(always)]
    pub fn is_unsupported(self) -> bool {
        self.exp() != 0 && self.mant >> 63 == 0
    }
    /// The NaN with its quiet bit set.
    #[inline(always)]
    pub fn quiet(self) -> F80 {
        F80 { mant: self.mant | 1 << 62, se: self.se }
    }
    #[inline(always)]
    pub fn with_neg(self, n: bool) -> F80 {
        F80 { mant: self.mant, se: (self.se & 0x7fff) | (n as u16) << 15 }
    }
    /// The 2-bit tag the hardware derives from a non-empty register's contents:
    /// 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unsupported).
    pub fn tag(self) -> u16 {
        let e = self.exp();
        if e == 0x7fff {
            2
        } else if e == 0 {
            if self.mant == 0 {
                1
            } else {
                2
            }
        } else if self.mant >> 63 == 0 {
            2
        } else {
            0
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Last x87 instruction pointer, data pointer and opcode (see the module docs).
    pub fip: u64,
    pub fdp: u64,
    /// 0xffff: derive from the instruction bytes at `fip` when stored.
    pub fop: u16,
    /// Code/data selectors of the 32-bit FNSTENV layout (as last loaded; an x87
    /// instruction sets them to the 64-bit user CS and DS=0).
    pub fcs: u16,
    pub fds: u16,
}

impl Default for X87 {
    fn default() -> Self {
        X87 {
            regs: [F80::default(); 8],
            top: 0,
            fcw: 0x037f,
            fsw: 0,
            tags: 0,
            fip: 0,
            fdp: 0,
            fop: 0,
            fcs: 0,
            fds: 0,
        }
    }
}

impl X87 {
    #[inline(always)]
    pub fn phys(&self, i: u8) -> usize {
        ((self.top + i) & 7) as usize
    }
    /// ST(i), whether empty or not.
    #[inline(always)]
    pub fn st(&self, i: u8) -> F80 {
        self.regs[self.phys(i)]
    }
    #[inline(always)]
    pub fn is_empty(&self, i: u8) -> bool {
        self.tags & (1 << self.phys(i)) == 0
    }
    /// Writes ST(i) and marks it valid.
    #[inline(always)]
    pub fn set_st(&mut self, i: u8, v: F80) {
        let p = self.phys(i);
        self.regs[p] = v;
        self.tags |= 1 << p;
    }
    /// Decrements TOP and writes the new ST(0) (the caller checked for overflow).
    #[inline(always)]
    pub fn push(&mut self, v: F80) {
        self.top = (self.top + 7) & 7;
        self.set_st(0, v);
    }
    /// Marks ST(0) empty and increments TOP.
    #[inline(always)]
    pub fn pop(&mut self) {
        self.tags &= !(1 << self.top);
        self.top = (self.top + 1) & 7;
    }

    /// The architectural status word (with TOP).
    pub fn status_word(&self) -> u16 {
        (self.fsw & !sw::TOP) | (self.top as u16) << 11
    }
    pub fn set_status_word(&mut self, v: u16) {
        self.fsw = v & !sw::TOP;
        self.top = ((v >> 11) & 7) as u8;
    }

    /// The full tag word (FNSTENV/FNSAVE layout: 2 bits per physical register).
    pub fn tag_word(&self) -> u16 {
        let mut t = 0;
        for i in 0..8 {
            let tag = if self.tags & (1 << i) == 0 { 3 } else { self.regs[i].tag() };
            t |= tag << (2 * i);
        }
        t
    }
    /// Loads a full tag word: only "empty" (3) versus anything else is kept; the rest is
    /// derived from the contents, as the hardware does.
    pub fn set_tag_word(&mut self, t: u16) {
        self.tags = 0;
        for i in 0..8 {
            if (t >> (2 * i)) & 3 != 3 {
                self.tags |= 1 << i;
            }
        }
    }

    /// Recomputes ES and B from the flags and masks (after loading a control or status
    /// word: a pending unmasked exception shows as ES = B = 1).
    pub fn update_summary(&mut self) {
        if self.fsw & !self.fcw & sw::EXC != 0 {
            self.fsw |= sw::ES | sw::B;
        } else {
            self.fsw &= !(sw::ES | sw::B);
        }
    }

    /// FNINIT state (keeps nothing).
    pub fn init(&mut self) {
        *self = X87 { regs: self.regs, ..X87::default() };
    }
}
