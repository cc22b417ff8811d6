//! SSE exception behaviour that cannot be compared with a native run in-process: #GP
//! on misaligned operands and reserved MXCSR bits, and unmasked SIMD floating-point
//! exceptions (which must leave the destination unwritten). Expected values follow
//! the SDM exception tables; runs on any host.

use emu_cpu::mem::VmaInfo;
use emu_cpu::{AddressSpace, Cpu, Exit, Perm, Reg};

const CODE: u64 = 0x40_0000;
const DATA: u64 = 0x50_0000;

fn cpu_with(code: &[u8]) -> Cpu {
    let mut mem = AddressSpace::new();
    mem.map(CODE, 0x1000, Perm::RWX, VmaInfo::anon()).unwrap();
    mem.map(DATA, 0x1000, Perm::RW, VmaInfo::anon()).unwrap();
    let mut c = code.to_vec();
    c.push(0xcc);
    mem.poke(CODE, &c).unwrap();
    let mut cpu = Cpu::new(mem);
    cpu.rip = CODE;
    cpu
}

fn run_at(code: &[u8], rsi: u64) -> (Exit, Cpu) {
    let mut cpu = cpu_with(code);
    cpu.set_reg(Reg::Rsi, rsi);
    cpu.xmm[0] = 0x1234;
    let e = cpu.run();
    (e, cpu)
}

#[test]
fn misaligned_packed_operands_raise_gp() {
    for code in [
        &[0x0f, 0x28, 0x06][..],             // movaps xmm0, [rsi]
        &[0x0f, 0x29, 0x06][..],             // movaps [rsi], xmm0
        &[0x66, 0x0f, 0x6f, 0x06][..],       // movdqa xmm0, [rsi]
        &[0x0f, 0x58, 0x06][..],             // addps xmm0, [rsi]
        &[0x66, 0x0f, 0xfc, 0x06][..],       // paddb xmm0, [rsi]
        &[0x66, 0x0f, 0x70, 0x06, 0x1b][..], // pshufd xmm0, [rsi], 0x1b
        &[0x66, 0x0f, 0xe7, 0x06][..],       // movntdq [rsi], xmm0
        &[0x0f, 0x5b, 0x06][..],             // cvtdq2ps xmm0, [rsi]
        &[0x66, 0x0f, 0x60, 0x06][..],       // punpcklbw xmm0, [rsi]
    ] {
        let (e, cpu) = run_at(code, DATA + 8);
        assert_eq!(e, Exit::GeneralProtection, "{code:02x?}");
        assert_eq!(cpu.rip, CODE);
        assert_eq!(cpu.xmm[0], 0x1234);
        let (e, _) = run_at(code, DATA + 16);
        assert_eq!(e, Exit::Breakpoint, "{code:02x?} aligned");
    }
}

#[test]
fn unaligned_forms_accept_any_address() {
    for code in [
        &[0x0f, 0x10, 0x06][..],       // movups xmm0, [rsi]
        &[0xf3, 0x0f, 0x6f, 0x06][..], // movdqu xmm0, [rsi]
        &[0xf3, 0x0f, 0x58, 0x06][..], // addss xmm0, [rsi]
        &[0x0f, 0x5a, 0x06][..],       // cvtps2pd xmm0, [rsi] (m64)
        &[0x66, 0x0f, 0x16, 0x06][..], // movhpd xmm0, [rsi]
    ] {
        let (e, _) = run_at(code, DATA + 3);
        assert_eq!(e, Exit::Breakpoint, "{code:02x?}");
    }
}

#[test]
fn ldmxcsr_reserved_bits_raise_gp() {
    let mut cpu = cpu_with(&[0x0f, 0xae, 0x16]); // ldmxcsr [rsi]
    cpu.set_reg(Reg::Rsi, DATA);
    cpu.mem.write(DATA, &0x0001_1f80u32.to_le_bytes()).unwrap();
    assert_eq!(cpu.run(), Exit::GeneralProtection);
    assert_eq!(cpu.mxcsr, 0x1f80);
    cpu.mem.write(DATA, &0x0000_ffffu32.to_le_bytes()).unwrap();
    cpu.rip = CODE;
    assert_eq!(cpu.run(), Exit::Breakpoint);
    assert_eq!(cpu.mxcsr, 0xffff);
}

/// Runs `code` on xmm0 = a, xmm1 = b (low lanes) under `mxcsr`.
fn fp(code: &[u8], a: u128, b: u128, mxcsr: u32) -> (Exit, Cpu) {
    let mut cpu = cpu_with(code);
    cpu.xmm[0] = a;
    cpu.xmm[1] = b;
    cpu.mxcsr = mxcsr;
    let e = cpu.run();
    (e, cpu)
}

const DIVSS: &[u8] = &[0xf3, 0x0f, 0x5e, 0xc1];
const ADDSS: &[u8] = &[0xf3, 0x0f, 0x58, 0xc1];
const MULSS: &[u8] = &[0xf3, 0x0f, 0x59, 0xc1];
const ADDPS: &[u8] = &[0x0f, 0x58, 0xc1];
const COMISS: &[u8] = &[0x0f, 0x2f, 0xc1];
const CVTTSD2SI: &[u8] = &[0xf2, 0x48, 0x0f, 0x2c, 0xc1]; // cvttsd2si rax, xmm1

#[test]
fn unmasked_exceptions_stop_without_writing() {
    let one = 0x3f80_0000u128;
    // ZE unmasked: 1/0.
    let (e, cpu) = fp(DIVSS, one, 0, 0x1f80 & !0x200);
    assert_eq!(e, Exit::FpException);
    assert_eq!(cpu.xmm[0], one);
    assert_eq!(cpu.mxcsr & 0x3f, 0x04);
    assert_eq!(cpu.rip, CODE);
    // Masked: inf and ZE.
    let (e, cpu) = fp(DIVSS, one, 0, 0x1f80);
    assert_eq!(e, Exit::Breakpoint);
    assert_eq!(cpu.xmm[0], 0x7f80_0000);
    assert_eq!(cpu.mxcsr, 0x1f84);
    // PE unmasked: 1 + 2^-30 is inexact.
    let (e, cpu) = fp(ADDSS, one, 0x3080_0000, 0x1f80 & !0x1000);
    assert_eq!(e, Exit::FpException);
    assert_eq!(cpu.xmm[0], one);
    assert_eq!(cpu.mxcsr & 0x3f, 0x20);
    // UE unmasked: an exact tiny result still raises it.
    let (e, cpu) = fp(MULSS, 0x1c80_0000, 0x1c80_0000, 0x1f80 & !0x800);
    assert_eq!(e, Exit::FpException);
    assert_eq!(cpu.xmm[0], 0x1c80_0000);
    assert_eq!(cpu.mxcsr & 0x10, 0x10);
    // IE unmasked in one lane of a packed op: no lane is written.
    let a = 0x3f80_0000_7f80_0000u128;
    let b = 0x3f80_0000_ff80_0000u128;
    let (e, cpu) = fp(ADDPS, a, b, 0x1f80 & !0x80);
    assert_eq!(e, Exit::FpException);
    assert_eq!(cpu.xmm[0], a);
    assert_eq!(cpu.mxcsr & 0x3f, 0x01);
    // An unmasked pre-computation exception (IE) suppresses post-computation flags (PE)
    // of other lanes.
    let a = 0x3f80_0000_7f80_0000u128;
    let b = 0x3080_0000_ff80_0000u128;
    let (e, cpu) = fp(ADDPS, a, b, 0x1f80 & !0x80);
    assert_eq!(e, Exit::FpException);
    assert_eq!(cpu.mxcsr & 0x3f, 0x01);
    // COMISS with a QNaN and IE unmasked: flags unchanged.
    let (e, _) = fp(COMISS, 0x7fc0_0000, one, 0x1f80 & !0x80);
    assert_eq!(e, Exit::FpException);
    // Conversion overflow with IE unmasked: rax unchanged.
    let mut cpu = cpu_with(CVTTSD2SI);
    cpu.xmm[1] = 0x7ff0_0000_0000_0000;
    cpu.set_reg(Reg::Rax, 77);
    cpu.mxcsr = 0x1f80 & !0x80;
    assert_eq!(cpu.run(), Exit::FpException);
    assert_eq!(cpu.reg(Reg::Rax), 77);
}
