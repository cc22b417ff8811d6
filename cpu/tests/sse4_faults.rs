//! Exceptions of the SSE3/SSSE3/SSE4 families that cannot be compared in-process:
//! MONITOR/MWAIT #UD in user mode, and which 16-byte memory operands must be aligned
//! (#GP, SIGSEGV in Linux). The expected values were observed on the host (an AMD EPYC
//! running Linux: each instruction run natively under a SIGILL/SIGSEGV handler) and
//! agree with the SDM exception classes (Type 2/4 require alignment; PCMPxSTRx and the
//! narrow-source forms do not).

use emu_cpu::mem::VmaInfo;
use emu_cpu::{AddressSpace, Cpu, Exit, Perm, Reg};

const CODE: u64 = 0x40_0000;
const DATA: u64 = 0x50_0000;

fn run_at(code: &[u8], rsi: u64) -> (Exit, Cpu) {
    let mut mem = AddressSpace::new();
    mem.map(CODE, 0x1000, Perm::RWX, VmaInfo::anon()).unwrap();
    mem.map(DATA, 0x1000, Perm::RW, VmaInfo::anon()).unwrap();
    let mut c = code.to_vec();
    c.push(0xcc);
    mem.poke(CODE, &c).unwrap();
    let mut cpu = Cpu::new(mem);
    cpu.rip = CODE;
    cpu.set_reg(Reg::Rsi, rsi);
    cpu.set_reg(Reg::Rax, 3);
    cpu.set_reg(Reg::Rdx, 4);
    cpu.xmm[0] = 0x1234;
    cpu.xmm[1] = 0x5678;
    let e = cpu.run();
    (e, cpu)
}

#[test]
fn monitor_mwait_are_ud_in_user_mode() {
    for code in [&[0x0f, 0x01, 0xc8][..], &[0x0f, 0x01, 0xc9][..]] {
        let (e, cpu) = run_at(code, DATA);
        assert!(matches!(e, Exit::InvalidOpcode(_)), "{code:02x?}: {e:?}");
        assert_eq!(cpu.rip, CODE);
    }
}

/// (bytes, must be aligned)
const FORMS: &[(&[u8], bool)] = &[
    (&[0xf3, 0x0f, 0x16, 0x06], true),              // movshdup xmm0, [rsi]
    (&[0xf2, 0x0f, 0x7c, 0x06], true),              // haddps xmm0, [rsi]
    (&[0xf2, 0x0f, 0xf0, 0x06], false),             // lddqu xmm0, [rsi]
    (&[0xf2, 0x0f, 0x12, 0x06], false),             // movddup xmm0, [rsi] (m64)
    (&[0x66, 0x0f, 0x38, 0x00, 0x06], true),        // pshufb xmm0, [rsi]
    (&[0x66, 0x0f, 0x3a, 0x0f, 0x06, 0x03], true),  // palignr xmm0, [rsi], 3
    (&[0x66, 0x0f, 0x38, 0x10, 0x0e], true),        // pblendvb xmm1, [rsi]
    (&[0x66, 0x0f, 0x38, 0x17, 0x06], true),        // ptest xmm0, [rsi]
    (&[0x66, 0x0f, 0x38, 0x2a, 0x06], true),        // movntdqa xmm0, [rsi]
    (&[0x66, 0x0f, 0x3a, 0x08, 0x06, 0x00], true),  // roundps xmm0, [rsi], 0
    (&[0x66, 0x0f, 0x3a, 0x42, 0x0e, 0x01], true),  // mpsadbw xmm1, [rsi], 1
    (&[0x66, 0x0f, 0x38, 0x30, 0x06], false),       // pmovzxbw xmm0, [rsi] (m64)
    (&[0x66, 0x0f, 0x3a, 0x63, 0x06, 0x00], false), // pcmpistri xmm0, [rsi], 0
    (&[0x66, 0x0f, 0x3a, 0x60, 0x06, 0x00], false), // pcmpestrm xmm0, [rsi], 0
];

#[test]
fn alignment_of_memory_operands() {
    for &(code, aligned) in FORMS {
        let (e, cpu) = run_at(code, DATA + 1);
        if aligned {
            assert_eq!(e, Exit::GeneralProtection, "{code:02x?}");
            assert_eq!(cpu.rip, CODE);
            assert_eq!((cpu.xmm[0], cpu.xmm[1]), (0x1234, 0x5678), "{code:02x?}");
        } else {
            assert_eq!(e, Exit::Breakpoint, "{code:02x?} unaligned");
        }
        let (e, _) = run_at(code, DATA + 16);
        assert_eq!(e, Exit::Breakpoint, "{code:02x?} aligned");
    }
}
