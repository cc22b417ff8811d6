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
//! - RCPPS/RCPSS/RSQRTPS/RSQRTSS: the architecture bounds only the relative error
//!   (<= 1.5 * 2^-12). emu models the AMD Zen tables bit for bit (`src/ops/sse_approx.rs`),
//!   so on a host that gives the same bits (checked once by [`host_approx_is_model`]) they
//!   are compared exactly like everything else. On another host (Intel), a single-
//!   instruction case compares the destination lanes within twice the bound (both results
//!   are within 1.5 * 2^-12 of the truth), exactly when either side is zero, infinite or
//!   NaN except that a result at the bottom of the normal range may be flushed to zero on
//!   one side only (the SDM leaves that boundary to the implementation); sequences then
//!   leave these forms out (`seq.rs`).
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
    /// RCP/RSQRT on a host whose approximations differ from emu's model: (destination
    /// XMM register, lanes) compared within the tolerance (see the module docs).
    pub approx: Option<(usize, usize)>,
    /// The case has a VEX instruction: the YMM upper halves are part of its recorded
    /// digest (cases recorded before YMM state was compared keep their digests).
    pub vex: bool,
    /// The case has an XSAVE-family instruction: a memory word differing only in bit 49
    /// (bit 17 of MXCSR_MASK, AMD's misaligned-SSE mode, which emu does not claim; see
    /// `fxsave::MXCSR_MASK`) is not a difference.
    pub xsave: bool,
    /// GPR bits not compared: the random value RDRAND/RDSEED write (the bits above a
    /// 16- or 32-bit destination still are).
    pub gpr: [u64; 16],
}

/// The four approximation forms, and whether they are packed.
pub fn approx_form(c: iced_x86::Code) -> Option<bool> {
    use iced_x86::Code as C;
    match c {
        C::Rcpps_xmm_xmmm128 | C::Rsqrtps_xmm_xmmm128 => Some(true),
        C::Rcpss_xmm_xmmm32 | C::Rsqrtss_xmm_xmmm32 => Some(false),
        _ => None,
    }
}

/// Whether this host's RCPSS/RSQRTSS give the bits of emu's model (AMD Zen): probed once on
/// inputs where the AMD and Intel tables differ. Hosts without the native runner replay
/// expectations recorded on a matching host.
pub fn host_approx_is_model() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_cvtss_f32, _mm_rcp_ss, _mm_rsqrt_ss, _mm_set_ss};
        static ONCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ONCE.get_or_init(|| {
            // SAFETY: SSE is part of the x86-64 baseline; these intrinsics only compute.
            let probe = |a: u32| unsafe {
                let v = _mm_set_ss(f32::from_bits(a));
                (_mm_cvtss_f32(_mm_rcp_ss(v)).to_bits(), _mm_cvtss_f32(_mm_rsqrt_ss(v)).to_bits())
            };
            probe(0x3f80_0000) == (0x3f7f_f000, 0x3f7f_f800)
                && probe(0x4040_0000) == (0x3eaa_a800, 0x3f13_c800)
                && probe(0x00c0_0000) == (0x7e2a_a800, 0x5ed1_0800)
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    true
}

/// A destination lane of an approximation on a host whose tables differ (module docs).
fn approx_close(n: u32, e: u32) -> bool {
    let special = |v: u32| v & 0x7f80_0000 == 0 || v & 0x7f80_0000 == 0x7f80_0000;
    if n == e {
        return true;
    }
    let tiny = |v: u32| v & 0x7fff_ffff < 0x0100_0000;
    if special(n) || special(e) {
        return tiny(n) && tiny(e) && (n ^ e) >> 31 == 0;
    }
    let (a, b) = (f32::from_bits(n) as f64, f32::from_bits(e) as f64);
    ((a - b) / a).abs() <= 3.0 / 4096.0
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

/// iced's undefined RFLAGS bits of `i` (`RflagsBits`), corrected for RCL/RCR of a byte or
/// word by an immediate that is a multiple of 9 or 17 but not of 32: iced reads the
/// rotate as a no-op there, but the SDM leaves OF undefined whenever the masked count
/// is not 1 (AMD hosts give varying OF for it).
pub fn undefined_flags(i: &iced_x86::Instruction) -> u32 {
    use iced_x86::{Mnemonic, OpKind};
    let mut u = i.rflags_undefined();
    if matches!(i.mnemonic(), Mnemonic::Rcl | Mnemonic::Rcr)
        && i.op_count() == 2
        && i.op_kind(1) == OpKind::Immediate8
        && !matches!(i.immediate8() & 0x1f, 0 | 1)
    {
        u |= RflagsBits::OF;
    }
    u
}

/// The comparison mask of a case: undefined flags of every instruction in it.
pub fn mask_for(bytes: &[u8]) -> Mask {
    let mut d = Decoder::with_ip(64, bytes, CODE, DecoderOptions::NONE);
    let mut m = Mask::default();
    let mut count = 0;
    while d.can_decode() {
        let i = d.decode();
        count += 1;
        if let Some(packed) = approx_form(i.code()).filter(|_| !host_approx_is_model()) {
            let x = i.op0_register().number();
            m.approx = (count == 1).then_some((x, if packed { 4 } else { 1 }));
        }
        m.vex |= i.encoding() == iced_x86::EncodingKind::VEX;
        if matches!(i.mnemonic(), iced_x86::Mnemonic::Rdrand | iced_x86::Mnemonic::Rdseed) {
            let r = i.op0_register();
            let bits = r.size() as u32 * 8;
            m.gpr[r.full_register().number()] |= if bits >= 64 { u64::MAX } else { (1 << bits) - 1 };
        }
        m.xsave |= matches!(
            i.mnemonic(),
            iced_x86::Mnemonic::Xsave
                | iced_x86::Mnemonic::Xsave64
                | iced_x86::Mnemonic::Xsavec
                | iced_x86::Mnemonic::Xsavec64
        );
        let (f, s) = x86_flags(undefined_flags(&i));
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
        if (n.gpr[i] ^ e.gpr[i]) & !m.gpr[i] != 0 {
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
        let v = |f: &[u8; 512]| u128::from_le_bytes(f[o..o + 16].try_into().unwrap());
        if let Some((x, lanes)) = m.approx.filter(|(x, _)| *x == i) {
            let lane = |f: &[u8; 512], k: usize| (v(f) >> (32 * k)) as u32;
            if (0..4).all(|k| {
                if k < lanes {
                    approx_close(lane(&n.fx, k), lane(&e.fx, k))
                } else {
                    lane(&n.fx, k) == lane(&e.fx, k)
                }
            }) {
                continue;
            }
            d.push(format!(
                "xmm{x} (approximation, tolerance): native {:#034x} emu {:#034x}",
                v(&n.fx),
                v(&e.fx)
            ));
            continue;
        }
        if n.fx[o..o + 16] != e.fx[o..o + 16] {
            d.push(format!("xmm{i}: native {:#034x} emu {:#034x}", v(&n.fx), v(&e.fx)));
        }
    }
    for i in 0..16 {
        if n.ymmh[i] != e.ymmh[i] {
            d.push(format!("ymm{i}[255:128]: native {:#034x} emu {:#034x}", n.ymmh[i], e.ymmh[i]));
        }
    }
    let nd = (n.ndiff as usize).min(MAX_DIFF);
    let ed = (e.ndiff as usize).min(MAX_DIFF);
    let mm = if m.xsave { !(1u64 << 49) } else { u64::MAX };
    let nm: Vec<(u32, u64)> = (0..nd).map(|i| (n.diff_off[i], n.diff_val[i] & mm)).collect();
    let em: Vec<(u32, u64)> = (0..ed).map(|i| (e.diff_off[i], e.diff_val[i] & mm)).collect();
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
