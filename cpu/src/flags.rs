//! Lazy arithmetic flags.
//!
//! Most instructions set CF/PF/AF/ZF/SF/OF and the next one or two read at most one
//! condition. So a flag-setting instruction only records what it did (`CcOp`, operand
//! width, the first operand, the second operand and the result); a flag is computed when
//! something asks for it. `CcOp::Eflags` means the six bits are materialised in
//! `Cpu::rflags` (after popf, sahf, or any instruction that sets flags by hand). Shifts
//! record `CcOp::Shift` (the result, plus CF/OF/AF they computed), and the CF/OF-only
//! writers (mul, imul, rotates, bt*) record `CcOp::CoOver` over the older operation.

use crate::state::Cpu;

pub const CF: u64 = 1 << 0;
pub const PF: u64 = 1 << 2;
pub const AF: u64 = 1 << 4;
pub const ZF: u64 = 1 << 6;
pub const SF: u64 = 1 << 7;
pub const TF: u64 = 1 << 8;
pub const IF: u64 = 1 << 9;
pub const DF: u64 = 1 << 10;
pub const OF: u64 = 1 << 11;
pub const NT: u64 = 1 << 14;
pub const AC: u64 = 1 << 18;
pub const ID: u64 = 1 << 21;
/// The six status flags that `CcOp` tracks lazily.
pub const ARITH: u64 = CF | PF | AF | ZF | SF | OF;

/// What the last flag-setting instruction was. The width lives beside it in
/// `LazyFlags::bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum CcOp {
    /// Flags are materialised in `Cpu::rflags`.
    Eflags,
    Add,
    /// `src` holds the addend, `aux` the carry-in.
    Adc,
    Sub,
    /// `src` holds the subtrahend, `aux` the borrow-in.
    Sbb,
    /// AND/OR/XOR/TEST: CF=OF=0, AF=0.
    Logic,
    /// INC/DEC keep CF, which is saved in `aux`.
    Inc,
    Dec,
    /// MUL/IMUL: CF=OF=(aux != 0); SF/ZF/PF from the result (as hardware does).
    Mul,
    /// Shifts by a nonzero count: SF/ZF/PF from the result, CF, OF and AF as RFLAGS bits
    /// in `aux`.
    Shift,
    /// CF and OF were overwritten (bits 0 and 1 of `co`) by an instruction that keeps the
    /// other four (IMUL, MUL, rotates, BT, CLC/STC/CMC); those come from `under`, the
    /// operation recorded before, whose operands are still in place. Costs a byte store
    /// where materialising the older flags would cost dozens of instructions.
    CoOver,
}

#[derive(Clone, Copy, Debug)]
pub struct LazyFlags {
    pub op: CcOp,
    /// With `CcOp::CoOver`: the operation that still defines SF, ZF, AF and PF.
    pub under: CcOp,
    /// With `CcOp::CoOver`: CF in bit 0, OF in bit 1.
    pub co: u8,
    /// Operand width in bits: 8, 16, 32 or 64.
    pub bits: u32,
    /// First operand (the destination's old value).
    pub dst: u64,
    /// Second operand.
    pub src: u64,
    /// Result, truncated to the width.
    pub res: u64,
    pub aux: u64,
}

impl Default for LazyFlags {
    fn default() -> Self {
        LazyFlags { op: CcOp::Eflags, under: CcOp::Eflags, co: 0, bits: 64, dst: 0, src: 0, res: 0, aux: 0 }
    }
}

#[inline(always)]
pub(crate) fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

#[inline(always)]
fn sign(v: u64, bits: u32) -> bool {
    (v >> (bits - 1)) & 1 != 0
}

#[inline(always)]
fn parity(v: u64) -> bool {
    (v as u8).count_ones() % 2 == 0
}

impl LazyFlags {
    #[inline(always)]
    pub fn cf(&self) -> bool {
        let m = mask(self.bits);
        match self.op {
            CcOp::Add => self.res < (self.dst & m),
            CcOp::Adc => {
                if self.aux != 0 {
                    self.res <= (self.dst & m)
                } else {
                    self.res < (self.dst & m)
                }
            }
            CcOp::Sub => (self.dst & m) < (self.src & m),
            CcOp::Sbb => {
                if self.aux != 0 {
                    (self.dst & m) <= (self.src & m)
                } else {
                    (self.dst & m) < (self.src & m)
                }
            }
            CcOp::Logic => false,
            CcOp::Inc | CcOp::Dec => self.aux != 0,
            CcOp::Mul => self.aux != 0,
            CcOp::Shift => self.aux & CF != 0,
            CcOp::CoOver => self.co & 1 != 0,
            CcOp::Eflags => self.res & CF != 0,
        }
    }

    #[inline(always)]
    pub fn zf(&self) -> bool {
        match self.op {
            CcOp::Eflags => self.res & ZF != 0,
            CcOp::CoOver => self.under_has(ZF),
            _ => self.res == 0,
        }
    }

    #[inline(always)]
    pub fn sf(&self) -> bool {
        match self.op {
            CcOp::Eflags => self.res & SF != 0,
            CcOp::CoOver => self.under_has(SF),
            _ => sign(self.res, self.bits),
        }
    }

    #[inline(always)]
    pub fn pf(&self) -> bool {
        match self.op {
            CcOp::Eflags => self.res & PF != 0,
            CcOp::CoOver => self.under_has(PF),
            _ => parity(self.res),
        }
    }

    #[inline(always)]
    pub fn af(&self) -> bool {
        match self.op {
            CcOp::Eflags => self.res & AF != 0,
            CcOp::Shift => self.aux & AF != 0,
            CcOp::CoOver => self.under_has(AF),
            CcOp::Logic | CcOp::Mul => false,
            CcOp::Inc | CcOp::Dec => ((self.dst ^ 1 ^ self.res) >> 4) & 1 != 0,
            _ => ((self.dst ^ self.src ^ self.res) >> 4) & 1 != 0,
        }
    }

    #[inline(always)]
    pub fn of(&self) -> bool {
        let b = self.bits;
        match self.op {
            CcOp::Add | CcOp::Adc => sign((self.dst ^ self.res) & (self.src ^ self.res), b),
            CcOp::Sub | CcOp::Sbb => sign((self.dst ^ self.src) & (self.dst ^ self.res), b),
            CcOp::Logic => false,
            CcOp::Inc => self.res == 1u64 << (b - 1),
            CcOp::Dec => self.res == mask(b) >> 1,
            CcOp::Mul => self.aux != 0,
            CcOp::Shift => self.aux & OF != 0,
            CcOp::CoOver => self.co & 2 != 0,
            CcOp::Eflags => self.res & OF != 0,
        }
    }

    /// All six status flags as RFLAGS bits.
    pub fn materialize(&self) -> u64 {
        match self.op {
            CcOp::Eflags => return self.res & ARITH,
            CcOp::CoOver => {
                let under = LazyFlags { op: self.under, ..*self }.materialize();
                return (under & !(CF | OF)) | (self.co as u64 & 1) | (self.co as u64 & 2) << 10;
            }
            _ => {}
        }
        (self.cf() as u64)
            | (self.pf() as u64) << 2
            | (self.af() as u64) << 4
            | (self.zf() as u64) << 6
            | (self.sf() as u64) << 7
            | (self.of() as u64) << 11
    }

    /// One of SF, ZF, AF, PF under `CcOp::CoOver`: what the operation before said.
    #[cold]
    #[inline(never)]
    fn under_has(&self, flag: u64) -> bool {
        LazyFlags { op: self.under, ..*self }.materialize() & flag != 0
    }

    /// Evaluates condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc opcodes).
    #[inline(always)]
    pub fn cond(&self, cc: u8) -> bool {
        let r = match cc >> 1 {
            0 => self.of(),
            1 => self.cf(),
            2 => self.zf(),
            3 => self.cf() || self.zf(),
            4 => self.sf(),
            5 => self.pf(),
            6 => {
                if self.op == CcOp::Sub {
                    // The compare-and-branch fast path: signed less-than straight from the operands.
                    let s = 64 - self.bits;
                    (((self.dst << s) as i64) >> s) < (((self.src << s) as i64) >> s)
                } else {
                    self.sf() != self.of()
                }
            }
            _ => {
                if self.op == CcOp::Sub {
                    let s = 64 - self.bits;
                    (((self.dst << s) as i64) >> s) <= (((self.src << s) as i64) >> s)
                } else {
                    self.zf() || (self.sf() != self.of())
                }
            }
        };
        r ^ (cc & 1 != 0)
    }
}

impl Cpu {
    /// The full RFLAGS value (status flags materialised, reserved bit 1 set).
    pub fn rflags(&self) -> u64 {
        (self.rflags & !ARITH) | self.lf.materialize() | 2
    }

    /// Replaces RFLAGS (status flags become materialised).
    pub fn set_rflags(&mut self, v: u64) {
        self.rflags = (v & !ARITH & (DF | AC | ID | TF | IF | NT)) | (v & ARITH);
        self.lf = LazyFlags { op: CcOp::Eflags, res: v & ARITH, ..LazyFlags::default() };
    }

    /// Sets status flags from an explicit value for the bits in `which`, keeping the rest.
    #[inline]
    pub(crate) fn set_flags_masked(&mut self, which: u64, v: u64) {
        let cur = self.lf.materialize();
        let new = (cur & !which) | (v & which);
        self.lf = LazyFlags { op: CcOp::Eflags, res: new, ..LazyFlags::default() };
    }

    /// Overwrites CF and OF, keeping SF, ZF, AF and PF (see `CcOp::CoOver`).
    #[inline(always)]
    pub(crate) fn set_cf_of(&mut self, cf: bool, of: bool) {
        if self.lf.op != CcOp::CoOver {
            self.lf.under = self.lf.op;
            self.lf.op = CcOp::CoOver;
        }
        self.lf.co = cf as u8 | (of as u8) << 1;
    }

    /// Overwrites CF alone.
    #[inline(always)]
    pub(crate) fn set_cf(&mut self, cf: bool) {
        let of = self.lf.of();
        self.set_cf_of(cf, of);
    }

    /// A shift by a nonzero count: the W-bit result, and CF, OF and AF as RFLAGS bits.
    #[inline(always)]
    pub(crate) fn set_lazy_shift(&mut self, bits: u32, res: u64, cf_of_af: u64) {
        self.lf.op = CcOp::Shift;
        self.lf.bits = bits;
        self.lf.res = res;
        self.lf.aux = cf_of_af;
    }

    /// Records a flag-setting operation. `aux` is left as it is: only the operations that
    /// read it (ADC, SBB, INC, DEC, MUL) set it, through `set_lazy_aux`.
    #[inline(always)]
    pub(crate) fn set_lazy(&mut self, op: CcOp, bits: u32, dst: u64, src: u64, res: u64) {
        debug_assert!(!matches!(
            op,
            CcOp::Adc | CcOp::Sbb | CcOp::Inc | CcOp::Dec | CcOp::Mul | CcOp::Shift | CcOp::CoOver
        ));
        self.lf.op = op;
        self.lf.bits = bits;
        self.lf.dst = dst;
        self.lf.src = src;
        self.lf.res = res;
    }

    /// AND/OR/XOR/TEST: the flags depend on the result alone.
    #[inline(always)]
    pub(crate) fn set_lazy_logic(&mut self, bits: u32, res: u64) {
        self.lf.op = CcOp::Logic;
        self.lf.bits = bits;
        self.lf.res = res;
    }

    #[inline(always)]
    pub(crate) fn set_lazy_aux(&mut self, op: CcOp, bits: u32, dst: u64, src: u64, res: u64, aux: u64) {
        self.lf = LazyFlags { op, bits, dst, src, res, aux, ..self.lf };
    }

    #[inline(always)]
    pub fn df(&self) -> bool {
        self.rflags & DF != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lf(op: CcOp, bits: u32, dst: u64, src: u64, res: u64) -> LazyFlags {
        LazyFlags { op, bits, dst, src, res: res & mask(bits), ..LazyFlags::default() }
    }

    #[test]
    fn sub_flags_match_definition() {
        // 0 - 1 at 8 bits: borrow, negative, AF set, no overflow
        let f = lf(CcOp::Sub, 8, 0, 1, 0u64.wrapping_sub(1));
        assert!(f.cf() && f.sf() && f.af() && !f.of() && !f.zf());
        // 0x80 - 1: signed overflow
        let f = lf(CcOp::Sub, 8, 0x80, 1, 0x7f);
        assert!(f.of() && !f.cf() && !f.sf());
        // jl / jge / jle fast path agrees with SF != OF
        for (a, b) in [(0x80u64, 1u64), (5, 5), (1, 0xff), (0x7f, 0x80)] {
            let f = lf(CcOp::Sub, 8, a, b, a.wrapping_sub(b));
            assert_eq!(f.cond(0xc), f.sf() != f.of());
            assert_eq!(f.cond(0xe), f.zf() || f.sf() != f.of());
        }
    }

    #[test]
    fn add_carry_and_parity() {
        let f = lf(CcOp::Add, 32, 0xffff_ffff, 1, 0x1_0000_0000);
        assert!(f.cf() && f.zf() && f.pf() && !f.of());
        let f = lf(CcOp::Add, 64, 0x7fff_ffff_ffff_ffff, 1, 0x8000_0000_0000_0000);
        assert!(f.of() && f.sf() && !f.cf());
    }

    #[test]
    fn co_over_keeps_the_older_flags_and_shift_keeps_its_own() {
        // sub 0 - 1 (SF, AF, PF, CF set), then an IMUL-like overwrite of CF and OF.
        let mut f = lf(CcOp::Sub, 8, 0, 1, 0u64.wrapping_sub(1));
        let before = f.materialize();
        f.under = f.op;
        f.op = CcOp::CoOver;
        f.co = 2;
        assert_eq!(f.materialize(), (before & !(CF | OF)) | OF);
        assert!(!f.cf() && f.of() && f.sf() && f.af() && f.pf() && !f.zf());
        // A shift: CF and AF from aux, the rest from the 16-bit result.
        let f = LazyFlags { op: CcOp::Shift, bits: 16, res: 0x8000, aux: CF | AF, ..LazyFlags::default() };
        assert_eq!(f.materialize(), CF | AF | SF | PF);
    }
}
