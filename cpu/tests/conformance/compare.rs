//! Comparing a native outcome with the emulated one.
//!
//! Everything architectural is compared: the exit kind (normal end at an exit slot, or
//! the signal, with si_code and fault address for SIGSEGV), rip, the 16 GPRs, RFLAGS,
//! the FXSAVE image (FCW, FSW, abridged tag word, MXCSR, all eight x87 registers, the 16
//! XMM registers), and every 8-byte word of the data area that changed.
//!
//! What is *not* compared, and why:
//! - RFLAGS bits that the SDM calls undefined for an instruction in the case. The table is
//!   iced-x86's per-`Code` `rflags_undefined()` (generated from the SDM/APM operation
//!   tables), so new families get their masks without code here. Per family that means:
//!   - ALU (add/or/adc/sbb/and/sub/xor/cmp/test/inc/dec/neg/not): AF after
//!     AND/OR/XOR/TEST; nothing else.
//!   - Shifts/rotates: OF when the count is not 1, AF for SHL/SHR/SAR with a non-zero
//!     count; SHLD/SHRD: OF/AF and, for counts > width, CF and the destination too
//!     (see `UNDEF_DEST` below).
//!   - MUL/IMUL: SF ZF AF PF.  DIV/IDIV: all six status flags.
//!   - BSF/BSR/TZCNT/LZCNT/POPCNT, BT*: the flags iced lists (CF OF SF AF PF for BSF/BSR).
//!   - x87: the C0..C3 bits iced marks undefined for the instruction (FSW mask).
//!   - Data movement, branches, stack, system: no undefined flags.
//!   - Sequences: the union over every instruction of the block; the sequence generator
//!     never lets an instruction read a flag left undefined before it.
//! - RF (bit 16) in the flags of a signal context: the CPU sets it in the image it pushes
//!   for a fault, it is not guest-visible state.
//! - FOP/FIP/FDP of the FXSAVE image: emu does not model the x87 last-instruction pointers.
//! - si_code of SIGFPE from SSE/x87 exceptions: emu's `Exit::FpException` does not say
//!   which exception (the shim would have to compute it); the signal itself is compared.
//! - A fault on a non-canonical address: hardware raises #GP (SIGSEGV, SI_KERNEL, no
//!   address), emu reports an unmapped-page fault; the emulated runner maps that to the
//!   #GP form. `int n` (#GP on Linux for n != 3, 4, 0x80) likewise.

use super::case::*;
use super::emulated::{SIGFPE, SIGSEGV, SI_KERNEL};
use iced_x86::{Decoder, DecoderOptions, RflagsBits};

/// Forms whose destination register is architecturally undefined for some inputs (the
/// tester masks nothing for them yet; listed so the gap is visible when they land).
pub const UNDEF_DEST: &[&str] =
    &["Shld/Shrd with count > operand width (16-bit forms)", "Bsf/Bsr with a zero source"];

#[derive(Clone, Copy, Debug, Default)]
pub struct Mask {
    /// RFLAGS bits not compared.
    pub flags: u64,
    /// FSW bits not compared.
    pub fsw: u16,
}

fn x86_flags(b: u32) -> (u64, u16) {
    let map = [
        (RflagsBits::OF, 1u64 << 11),
        (RflagsBits::SF, 1 << 7),
        (RflagsBits::ZF, 1 << 6),
        (RflagsBits::AF, 1 << 4),
        (RflagsBits::CF, 1),
        (RflagsBits::PF, 1 << 2),
        (RflagsBits::DF, 1 << 10),
        (RflagsBits::IF, 1 << 9),
        (RflagsBits::AC, 1 << 18),
    ];
    let fsw = [
        (RflagsBits::C0, 1u16 << 8),
        (RflagsBits::C1, 1 << 9),
        (RflagsBits::C2, 1 << 10),
        (RflagsBits::C3, 1 << 14),
    ];
    let f = map.iter().filter(|(i, _)| b & i != 0).fold(0, |a, (_, x)| a | x);
    let s = fsw.iter().filter(|(i, _)| b & i != 0).fold(0, |a, (_, x)| a | x);
    (f, s)
}

/// RFLAGS bits of iced's `RflagsBits` set, as an x86 RFLAGS mask.
pub fn rflags_bits(b: u32) -> u64 {
    x86_flags(b).0
}

/// The comparison mask of a case: undefined flags of every instruction in it.
pub fn mask_for(bytes: &[u8]) -> Mask {
    let mut d = Decoder::with_ip(64, bytes, CODE, DecoderOptions::NONE);
    let mut m = Mask::default();
    while d.can_decode() {
        let i = d.decode();
        let (f, s) = x86_flags(i.rflags_undefined());
        m.flags |= f;
        m.fsw |= s;
    }
    m
}

fn sig_name(s: i32) -> &'static str {
    match s {
        0 => "none",
        4 => "SIGILL",
        5 => "SIGTRAP",
        7 => "SIGBUS",
        8 => "SIGFPE",
        11 => "SIGSEGV",
        -1 => "EMU-PANIC",
        _ => "signal?",
    }
}

pub fn describe_exit(o: &Outcome) -> String {
    match o.kind {
        K_EXIT => format!("exit@{:#x}", o.rip),
        K_SIGNAL => format!("{}(code {:#x}, addr {:#x})@{:#x}", sig_name(o.sig), o.code, o.addr, o.rip),
        K_LOST => "lost".into(),
        _ => "refused".into(),
    }
}

/// Differences between the native (`n`) and emulated (`e`) outcomes, empty if they agree.
pub fn diff(n: &Outcome, e: &Outcome, m: &Mask) -> Vec<String> {
    let mut d = vec![];
    if n.kind == K_LOST || e.kind == K_LOST {
        d.push(format!("exit: native {} vs emu {}", describe_exit(n), describe_exit(e)));
        return d;
    }
    let same_exit = n.kind == e.kind
        && n.sig == e.sig
        && n.rip == e.rip
        && match (n.kind, n.sig) {
            (K_SIGNAL, SIGSEGV) => n.code == e.code && (n.code == SI_KERNEL || n.addr == e.addr),
            (K_SIGNAL, SIGFPE) => e.code == -1 || n.code == e.code,
            _ => true,
        };
    if !same_exit {
        d.push(format!("exit: native {} vs emu {}", describe_exit(n), describe_exit(e)));
    }
    for (i, name) in GPR_NAMES.iter().enumerate() {
        if n.gpr[i] != e.gpr[i] {
            d.push(format!("{name}: native {:#x} emu {:#x}", n.gpr[i], e.gpr[i]));
        }
    }
    let fm = !(m.flags | (1 << 16)) & 0x3f_ffff;
    if (n.rflags ^ e.rflags) & fm != 0 {
        d.push(format!(
            "rflags: native {:#x} emu {:#x} (differ {:#x}, masked {:#x})",
            n.rflags,
            e.rflags,
            (n.rflags ^ e.rflags) & fm,
            !fm & 0x3f_ffff
        ));
    }
    let u16at = |f: &[u8; 512], o: usize| u16::from_le_bytes([f[o], f[o + 1]]);
    let u32at = |f: &[u8; 512], o: usize| u32::from_le_bytes(f[o..o + 4].try_into().unwrap());
    if u16at(&n.fx, 0) != u16at(&e.fx, 0) {
        d.push(format!("fcw: native {:#x} emu {:#x}", u16at(&n.fx, 0), u16at(&e.fx, 0)));
    }
    if (u16at(&n.fx, 2) ^ u16at(&e.fx, 2)) & !m.fsw != 0 {
        d.push(format!("fsw: native {:#x} emu {:#x}", u16at(&n.fx, 2), u16at(&e.fx, 2)));
    }
    if n.fx[4] != e.fx[4] {
        d.push(format!("ftw: native {:#x} emu {:#x}", n.fx[4], e.fx[4]));
    }
    if u32at(&n.fx, 24) != u32at(&e.fx, 24) {
        d.push(format!("mxcsr: native {:#x} emu {:#x}", u32at(&n.fx, 24), u32at(&e.fx, 24)));
    }
    for i in 0..8 {
        let o = 32 + 16 * i;
        if n.fx[o..o + 10] != e.fx[o..o + 10] {
            d.push(format!("st{i}: native {} emu {}", hex(&n.fx[o..o + 10]), hex(&e.fx[o..o + 10])));
        }
    }
    for i in 0..16 {
        let o = 160 + 16 * i;
        if n.fx[o..o + 16] != e.fx[o..o + 16] {
            let v = |f: &[u8; 512]| u128::from_le_bytes(f[o..o + 16].try_into().unwrap());
            d.push(format!("xmm{i}: native {:#034x} emu {:#034x}", v(&n.fx), v(&e.fx)));
        }
    }
    let nd = (n.ndiff as usize).min(MAX_DIFF);
    let ed = (e.ndiff as usize).min(MAX_DIFF);
    let nm: Vec<(u32, u64)> = (0..nd).map(|i| (n.diff_off[i], n.diff_val[i])).collect();
    let em: Vec<(u32, u64)> = (0..ed).map(|i| (e.diff_off[i], e.diff_val[i])).collect();
    if n.ndiff != e.ndiff || nm != em {
        let show = |v: &[(u32, u64)]| {
            v.iter().take(6).map(|(o, x)| format!("DATA+{o:#x}={x:#018x}")).collect::<Vec<_>>().join(",")
        };
        d.push(format!(
            "memory: native {} words changed [{}] emu {} [{}]",
            n.ndiff,
            show(&nm),
            e.ndiff,
            show(&em)
        ));
    }
    d
}
