//! Instruction handlers, one file per family, and the table from iced-x86 `Code` to the
//! builder that picks a handler for one decoded instruction.
//!
//! A builder looks at the decoded instruction once (register or memory form, width,
//! immediate) and returns the handler specialised for it, or `None` when emu does not
//! implement that form: the instruction then raises SIGILL in the guest. Each family file
//! has a `register` function that fills its rows of the table.

use crate::decode::{Flow, Handler, Op, Stop};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::{Code, Decoder, DecoderOptions, Instruction};
use std::sync::OnceLock;

mod adx;
mod aes;
pub(crate) mod alu;
mod avx_cvt;
mod avx_float;
mod avx_gather;
mod avx_int;
mod avx_mov;
pub(crate) mod avx_operand;
mod avx_shuffle;
pub(crate) use alu::fuse_jcc;
mod bits;
pub(crate) mod branch;
mod clmul;
mod f16c;
mod fma;
mod fsgsbase;
pub(crate) mod fxsave;
mod mmx;
mod mmx_cvt;
mod mov;
mod muldiv;
mod rdrand;
mod sha;
mod shift;
mod sse3;
mod sse41;
mod sse41_fp;
mod sse42;
mod sse_approx;
mod sse_cvt;
mod sse_float;
mod sse_fp;
mod sse_int;
mod sse_mov;
mod sse_operand;
mod sse_state;
mod ssse3;
mod stack;
mod string;
mod system;
mod x87_arith;
mod x87_compare;
mod x87_control;
mod x87_core;
mod x87_fast;
mod x87_load_store;
mod x87_transcendental;
pub(crate) mod xsave;

pub(crate) type Builder = fn(&Instruction, &mut Op) -> Option<Handler>;

pub(crate) struct Table(Vec<Option<Builder>>);

impl Table {
    pub fn set(&mut self, code: Code, b: Builder) {
        debug_assert!(self.0[code as usize].is_none(), "{code:?} registered twice");
        self.0[code as usize] = Some(b);
    }
}

pub(crate) fn table() -> &'static [Option<Builder>] {
    static TABLE: OnceLock<Vec<Option<Builder>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table(vec![None; Code::values().len()]);
        adx::register(&mut t);
        aes::register(&mut t);
        alu::register(&mut t);
        avx_cvt::register(&mut t);
        avx_float::register(&mut t);
        avx_gather::register(&mut t);
        avx_int::register(&mut t);
        avx_mov::register(&mut t);
        avx_shuffle::register(&mut t);
        bits::register(&mut t);
        branch::register(&mut t);
        clmul::register(&mut t);
        f16c::register(&mut t);
        fsgsbase::register(&mut t);
        fma::register(&mut t);
        fxsave::register(&mut t);
        mmx::register(&mut t);
        mmx_cvt::register(&mut t);
        mov::register(&mut t);
        rdrand::register(&mut t);
        sha::register(&mut t);
        muldiv::register(&mut t);
        shift::register(&mut t);
        sse3::register(&mut t);
        sse_approx::register(&mut t);
        sse41::register(&mut t);
        sse41_fp::register(&mut t);
        sse42::register(&mut t);
        sse_cvt::register(&mut t);
        sse_fp::register(&mut t);
        sse_int::register(&mut t);
        sse_mov::register(&mut t);
        sse_state::register(&mut t);
        ssse3::register(&mut t);
        stack::register(&mut t);
        string::register(&mut t);
        system::register(&mut t);
        x87_arith::register(&mut t);
        xsave::register(&mut t);
        x87_compare::register(&mut t);
        x87_control::register(&mut t);
        x87_load_store::register(&mut t);
        x87_transcendental::register(&mut t);
        t.0
    })
}

/// The handler that computes only the value, for an instruction whose flag results are
/// all dead (`crate::liveness`); None keeps the ordinary handler.
pub(crate) fn flags_dead(i: &Instruction) -> Option<Handler> {
    alu::flags_dead(i).or_else(|| shift::flags_dead(i)).or_else(|| muldiv::flags_dead(i))
}

/// Every `Code` that has a builder (for the conformance coverage report).
pub fn implemented_codes() -> Vec<Code> {
    let t = table();
    Code::values().filter(|&c| t[c as usize].is_some()).collect()
}

/// Instructions that must end a block although iced-x86 says control flows on: `syscall`
/// returns to the kernel shim, and int3, ud2 and hlt stop the CPU (a trap, #UD, #GP).
pub(crate) fn ends_block(code: Code) -> bool {
    matches!(code, Code::Syscall | Code::Int3 | Code::Ud2 | Code::Hlt)
}

/// Handler for everything without a builder: #UD with a message naming the instruction.
pub(crate) fn unimplemented(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let mut bytes = [0u8; 15];
        let n =
            (0..15).take_while(|&i| cpu.mem.fetch(op.addr + i as u64, &mut bytes[i..i + 1]).is_ok()).count();
        let mut d = Decoder::with_ip(64, &bytes[..n], op.addr, DecoderOptions::NONE);
        let ins = d.decode();
        let undecoded = if ins.is_invalid() { undecoded_encoding(&bytes[..n]) } else { None };
        let shown = if undecoded.is_some() { n.min(8) } else { ins.len().max(1).min(n) };
        let hex: String = bytes[..shown].iter().map(|b| format!("{b:02x}")).collect();
        cpu.last_ud = if let Some(kind) = undecoded {
            format!("unimplemented instruction: {kind} (bytes {hex}...)")
        } else if ins.is_invalid() {
            format!("invalid instruction (bytes {hex})")
        } else {
            format!("unimplemented instruction {:?} (bytes {hex})", ins.code())
        };
        Err(Stop::Ud)
    })
}

/// The instruction encodings emu's decoder is built without (none of their instructions
/// is implemented, and leaving their tables out saves start-up time), recognised so that
/// the #UD message does not call such an instruction invalid.
fn undecoded_encoding(bytes: &[u8]) -> Option<&'static str> {
    let i = bytes.iter().position(
        |b| !matches!(b, 0x26 | 0x2e | 0x36 | 0x3e | 0x64..=0x67 | 0xf0 | 0xf2 | 0xf3 | 0x40..=0x4f),
    )?;
    match bytes[i..] {
        // BOUND (0x62) does not exist in 64-bit mode.
        [0x62, ..] => Some("EVEX-encoded (AVX-512)"),
        // 0x8F /0 is POP r/m; other reg fields are XOP.
        [0x8f, m, ..] if (m >> 3) & 7 != 0 => Some("XOP-encoded (AMD)"),
        [0x0f, 0x0f, ..] => Some("3DNow!"),
        _ => None,
    }
}

// ---- helpers shared by the families ----

/// True if the instruction has a memory operand.
#[inline]
pub(crate) fn has_mem(i: &Instruction) -> bool {
    i.op_kinds().any(|k| k == iced_x86::OpKind::Memory)
}

/// Operand width in bits of operand `n`, from iced-x86's memory size or register.
pub(crate) fn width_of(i: &Instruction, n: u32) -> u32 {
    match i.op_kind(n) {
        iced_x86::OpKind::Register => i.op_register(n).size() as u32 * 8,
        iced_x86::OpKind::Memory => i.memory_size().size() as u32 * 8,
        _ => 0,
    }
}

/// Picks one of four handlers by width 8/16/32/64.
#[inline]
pub(crate) fn by_width(w: u32, h: [Handler; 4]) -> Option<Handler> {
    match w {
        8 => Some(h[0]),
        16 => Some(h[1]),
        32 => Some(h[2]),
        64 => Some(h[3]),
        _ => None,
    }
}

/// `by_width` for handlers specialised by addressing form: `bd` when the memory operand
/// is a flat `[base + disp]` (which includes `[disp]` and `[rip + disp]`), else `any`.
pub(crate) fn by_width_ea(op: &Op, w: u32, bd: [Handler; 4], any: [Handler; 4]) -> Option<Handler> {
    by_width(w, if ea_form(op) == crate::exec::EA_BASE_DISP { bd } else { any })
}

/// The addressing form of a decoded op's memory operand (`Cpu::ea_as`).
pub(crate) fn ea_form(op: &Op) -> u8 {
    if op.index == crate::state::ZERO_REG && op.seg == 0 && !op.addr32 {
        crate::exec::EA_BASE_DISP
    } else {
        crate::exec::EA_ANY
    }
}

#[cfg(test)]
mod undecoded_tests {
    use super::undecoded_encoding;

    #[test]
    fn encodings_left_out_of_the_decoder_are_named() {
        // vaddps zmm0, zmm1, zmm1 (EVEX), behind a 0x66 prefix too.
        assert_eq!(undecoded_encoding(&[0x62, 0xf1, 0x7c, 0x48, 0x58, 0xc1]), Some("EVEX-encoded (AVX-512)"));
        assert_eq!(undecoded_encoding(&[0x66, 0x62, 0xf1]), Some("EVEX-encoded (AVX-512)"));
        // vpcmov (XOP) vs pop qword [rax].
        assert_eq!(undecoded_encoding(&[0x8f, 0xe8, 0x78, 0xa2]), Some("XOP-encoded (AMD)"));
        assert_eq!(undecoded_encoding(&[0x8f, 0x00]), None);
        assert_eq!(undecoded_encoding(&[0x0f, 0x0f, 0xc1, 0x9e]), Some("3DNow!"));
        assert_eq!(undecoded_encoding(&[0x0f, 0x0b]), None);
    }
}
