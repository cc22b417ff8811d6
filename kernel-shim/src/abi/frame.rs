//! The x86-64 signal frame (`struct rt_sigframe`): the return address of the handler
//! (`sa_restorer`), the `ucontext` with the interrupted registers (`sigcontext`) and
//! signal mask, and the `siginfo`. `signal::setup_frame` writes it and `sigreturn` reads
//! it back through these types, and `--strace` finds the mask rt_sigreturn restores at
//! `Ucontext::SIGMASK_OFFSET`.

use super::guest_struct;
use super::signal::{SigInfo, StackT};

guest_struct! {
    /// The kernel's `struct sigcontext` (glibc's `mcontext_t`: `gregs` in this order,
    /// then `fpregs`). `cs`, `gs`, `fs` and `ss` are 16-bit; the 64 bytes after
    /// `fpstate` are reserved.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Sigcontext [256] {
        r8: u64 = 0,
        r9: u64 = 8,
        r10: u64 = 16,
        r11: u64 = 24,
        r12: u64 = 32,
        r13: u64 = 40,
        r14: u64 = 48,
        r15: u64 = 56,
        rdi: u64 = 64,
        rsi: u64 = 72,
        rbp: u64 = 80,
        rbx: u64 = 88,
        rdx: u64 = 96,
        rax: u64 = 104,
        rcx: u64 = 112,
        rsp: u64 = 120,
        rip: u64 = 128,
        eflags: u64 = 136,
        cs: u16 = 144,
        gs: u16 = 146,
        fs: u16 = 148,
        ss: u16 = 150,
        err: u64 = 152,
        trapno: u64 = 160,
        oldmask: u64 = 168,
        cr2: u64 = 176,
        /// The guest address of the FXSAVE image (0: none).
        fpstate: u64 = 184,
    }
}

impl Ucontext {
    /// Where `uc_sigmask` lies in the ucontext.
    pub const SIGMASK_OFFSET: usize = 296;
}

guest_struct! {
    /// The kernel's `struct ucontext` (glibc's `ucontext_t` begins the same way and then
    /// has room for a 1024-bit mask and the FP state).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Ucontext [304] {
        flags: u64 = 0,
        link: u64 = 8,
        stack: StackT = 16,
        mcontext: Sigcontext = 40,
        sigmask: u64 = Ucontext::SIGMASK_OFFSET,
    }
}

impl RtSigframe {
    /// Where the ucontext lies in the frame (rdx at handler entry).
    pub const UC_OFFSET: usize = 8;
    /// Where the siginfo lies in the frame (rsi at handler entry).
    pub const INFO_OFFSET: usize = 312;
}

guest_struct! {
    /// `struct rt_sigframe`: what a handler finds at its rsp (as if `pretcode` had been
    /// pushed by a call), with `siginfo` and `ucontext` pointed to by rsi and rdx.
    #[derive(Clone, Copy, Debug, Default, PartialEq)]
    pub struct RtSigframe [440] {
        pretcode: u64 = 0,
        uc: Ucontext = RtSigframe::UC_OFFSET,
        info: SigInfo = RtSigframe::INFO_OFFSET,
    }
}

/// Bytes of the FXSAVE image the frame's `fpstate` points to, 64-byte aligned.
pub const FXSAVE_SIZE: u64 = 512;

/// `uc_flags` bits: the frame's FP state is in XSAVE layout (`UC_FP_XSTATE`), the
/// sigcontext's `ss` is saved and restored strictly (64-bit tasks).
pub const UC_FP_XSTATE: u64 = 1;
pub const UC_SIGCONTEXT_SS: u64 = 2;
pub const UC_STRICT_RESTORE_SS: u64 = 4;

/// `_fpx_sw_bytes.magic1` ("FPXS"): the FXSAVE image's software bytes describe extended
/// state after it.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// The word after the XSAVE image ("FPXE"), at `fpstate + xstate_size`.
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
pub const FP_XSTATE_MAGIC2_SIZE: u64 = 4;
/// The x87 and SSE state components (XSTATE_BV bits 0 and 1).
pub const XFEATURE_MASK_FPSSE: u64 = 3;

guest_struct! {
    /// `struct _fpx_sw_bytes`, in the FXSAVE image's bytes 464..511 (`sw_reserved`, which
    /// FXSAVE and XSAVE leave alone): how much extended state the frame holds.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct FpxSwBytes [48] {
        magic1: u32 = 0,
        /// The whole FP area, MAGIC2 included.
        extended_size: u32 = 4,
        /// The XSAVE components present (XCR0's user components).
        xfeatures: u64 = 8,
        /// The XSAVE image, without MAGIC2.
        xstate_size: u32 = 16,
    }
}

impl FpxSwBytes {
    /// Where it lies in the FXSAVE image.
    pub const OFFSET: usize = 464;
}

guest_struct! {
    /// `struct xstate_header`, at byte 512 of an XSAVE image.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct XstateHeader [64] {
        /// XSTATE_BV: the components saved (a clear bit means "initial configuration").
        xfeatures: u64 = 0,
        xcomp_bv: u64 = 8,
    }
}

impl XstateHeader {
    pub const OFFSET: usize = 512;
}

/// The largest frame a signal delivery can write, as Linux computes `AT_MINSIGSTKSZ`
/// (`init_sigframe_size`) on a kernel with IA32 emulation: the larger of the frames
/// without the FP state (the ia32 `struct sigframe_ia32`, 736 bytes, over the 440 of
/// rt_sigframe) and its 16-byte alignment, the FP area (the XSAVE image of
/// `xstate_size` bytes and MAGIC2, or the 512-byte FXSAVE image when 0) with the 32-bit
/// FSAVE header (112 bytes) Linux reserves room for, and its 64-byte alignment; rounded
/// up to 16.
pub fn max_frame_size(xstate_size: u64) -> u64 {
    const SIGFRAME_IA32_SIZE: u64 = 736;
    const FSAVE_HEADER: u64 = 112;
    let fp = if xstate_size == 0 { FXSAVE_SIZE } else { xstate_size + FP_XSTATE_MAGIC2_SIZE };
    (SIGFRAME_IA32_SIZE + 15 + fp + FSAVE_HEADER + 63 + 15) & !15
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::expect;
    use crate::abi::GuestStruct;

    #[test]
    fn layouts_match_linux() {
        expect(
            Sigcontext::FIELDS,
            Sigcontext::SIZE,
            256,
            &[
                ("r8", 0),
                ("rdi", 64),
                ("rsp", 120),
                ("rip", 128),
                ("eflags", 136),
                ("cs", 144),
                ("ss", 150),
                ("err", 152),
                ("trapno", 160),
                ("oldmask", 168),
                ("cr2", 176),
                ("fpstate", 184),
            ],
        );
        expect(
            Ucontext::FIELDS,
            Ucontext::SIZE,
            304,
            &[("link", 8), ("stack", 16), ("mcontext", 40), ("sigmask", 296)],
        );
        expect(RtSigframe::FIELDS, RtSigframe::SIZE, 440, &[("pretcode", 0), ("uc", 8), ("info", 312)]);
        expect(
            FpxSwBytes::FIELDS,
            FpxSwBytes::SIZE,
            48,
            &[("magic1", 0), ("extended_size", 4), ("xfeatures", 8), ("xstate_size", 16)],
        );
        expect(XstateHeader::FIELDS, XstateHeader::SIZE, 64, &[("xfeatures", 0), ("xcomp_bv", 8)]);
    }

    #[test]
    fn the_largest_frame_is_linuxs() {
        // Linux 6.18 with XCR0 = x87 | SSE | AVX (an 832-byte XSAVE area) reports 1776
        // ("signal: max sigframe size: 1776" at boot, and AT_MINSIGSTKSZ).
        assert_eq!(max_frame_size(832), 1776);
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn layouts_match_the_host_libc() {
        use crate::abi::layout::offset;
        use std::mem::offset_of;
        let u = Ucontext::FIELDS;
        assert_eq!(offset_of!(libc::ucontext_t, uc_link), offset(u, "link"));
        assert_eq!(offset_of!(libc::ucontext_t, uc_stack), offset(u, "stack"));
        assert_eq!(offset_of!(libc::ucontext_t, uc_mcontext), offset(u, "mcontext"));
        assert_eq!(offset_of!(libc::ucontext_t, uc_sigmask), Ucontext::SIGMASK_OFFSET);
        // mcontext_t's gregs are the sigcontext's words up to cr2, in REG_* order.
        let s = Sigcontext::FIELDS;
        let greg = |r: libc::c_int| r as usize * 8;
        assert_eq!(greg(libc::REG_R8), offset(s, "r8"));
        assert_eq!(greg(libc::REG_R15), offset(s, "r15"));
        assert_eq!(greg(libc::REG_RDI), offset(s, "rdi"));
        assert_eq!(greg(libc::REG_RSI), offset(s, "rsi"));
        assert_eq!(greg(libc::REG_RBP), offset(s, "rbp"));
        assert_eq!(greg(libc::REG_RBX), offset(s, "rbx"));
        assert_eq!(greg(libc::REG_RDX), offset(s, "rdx"));
        assert_eq!(greg(libc::REG_RAX), offset(s, "rax"));
        assert_eq!(greg(libc::REG_RCX), offset(s, "rcx"));
        assert_eq!(greg(libc::REG_RSP), offset(s, "rsp"));
        assert_eq!(greg(libc::REG_RIP), offset(s, "rip"));
        assert_eq!(greg(libc::REG_EFL), offset(s, "eflags"));
        assert_eq!(greg(libc::REG_CSGSFS), offset(s, "cs"));
        assert_eq!(greg(libc::REG_ERR), offset(s, "err"));
        assert_eq!(greg(libc::REG_TRAPNO), offset(s, "trapno"));
        assert_eq!(greg(libc::REG_OLDMASK), offset(s, "oldmask"));
        assert_eq!(greg(libc::REG_CR2), offset(s, "cr2"));
        assert_eq!(offset_of!(libc::mcontext_t, fpregs), offset(s, "fpstate"));
    }

    #[test]
    fn a_frame_round_trips() {
        let mut f = RtSigframe { pretcode: 0x401000, ..Default::default() };
        f.uc.mcontext.rip = 0x402000;
        f.uc.mcontext.cs = 0x33;
        f.uc.mcontext.ss = 0x2b;
        f.uc.sigmask = 1 << 9;
        f.info = SigInfo::kernel(14);
        let b = f.to_bytes();
        assert_eq!(&b[8 + 40 + 128..8 + 40 + 136], &0x402000u64.to_le_bytes());
        // cs and ss share one word, as the old `csgsfs` greg shows them.
        assert_eq!(&b[8 + 40 + 144..8 + 40 + 152], &(0x33u64 | 0x2b << 48).to_le_bytes());
        assert_eq!(&b[8 + 296..8 + 304], &(1u64 << 9).to_le_bytes());
        assert_eq!(RtSigframe::read(&b), f);
    }
}
