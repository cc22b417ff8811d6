//! The XSAVE feature set as emu models it: XCR0 = x87 | SSE | AVX, CPUID leaf 0xD, and
//! XSAVE/XSAVEC/XRSTOR round trips of the YMM state. (The conformance tester compares
//! XSAVE, XSAVEC and XRSTOR with the host for the components both have; XGETBV reports
//! emu's XCR0, which differs from the host's by design, so it is checked here.)

use emu_cpu::mem::VmaInfo;
use emu_cpu::{AddressSpace, Cpu, Exit, Perm, Reg};

const CODE: u64 = 0x40_0000;
const AREA: u64 = 0x50_0000;

fn cpu_with(code: &[u8]) -> Cpu {
    let mut mem = AddressSpace::new();
    mem.map(CODE, 0x1000, Perm::RWX, VmaInfo::anon()).unwrap();
    mem.map(AREA, 0x2000, Perm::RW, VmaInfo::anon()).unwrap();
    mem.poke(CODE, code).unwrap();
    let mut cpu = Cpu::new(mem);
    cpu.rip = CODE;
    cpu.set_reg(Reg::Rdi, AREA);
    cpu
}

fn u64_at(cpu: &mut Cpu, a: u64) -> u64 {
    let mut b = [0u8; 8];
    cpu.mem.peek(a, &mut b).unwrap();
    u64::from_le_bytes(b)
}

#[test]
fn xgetbv_reports_x87_sse_avx() {
    // mov ecx, 0; xgetbv; int3
    let mut cpu = cpu_with(&[0xb9, 0, 0, 0, 0, 0x0f, 0x01, 0xd0, 0xcc]);
    cpu.set_reg(Reg::Rdx, u64::MAX);
    assert_eq!(cpu.run(), Exit::Breakpoint);
    assert_eq!((cpu.reg(Reg::Rax), cpu.reg(Reg::Rdx)), (7, 0));
    // XCR1 (XINUSE) is not advertised: #GP.
    let mut cpu = cpu_with(&[0xb9, 1, 0, 0, 0, 0x0f, 0x01, 0xd0, 0xcc]);
    assert_eq!(cpu.run(), Exit::GeneralProtection);
}

#[test]
fn leaf_0xd_describes_the_avx_component() {
    let m = emu_cpu::cpuid::CpuidModel::default();
    assert_eq!(m.query(0xd, 0), [7, 832, 832, 0]);
    assert_eq!(m.query(0xd, 1)[0], 2, "XSAVEC only");
    assert_eq!(m.query(0xd, 2), [256, 576, 0, 0]);
    assert_eq!(m.query(0xd, 3), [0, 0, 0, 0]);
    assert_ne!(m.query(1, 0)[2] & (1 << 27), 0, "OSXSAVE");
}

#[test]
fn xsave_xrstor_round_trip_the_ymm_state() {
    // mov eax, 7; xor edx, edx; xsave [rdi]; vzeroall; xrstor [rdi]; int3
    let mut cpu =
        cpu_with(&[0xb8, 7, 0, 0, 0, 0x31, 0xd2, 0x0f, 0xae, 0x27, 0xc5, 0xfc, 0x77, 0x0f, 0xae, 0x2f, 0xcc]);
    for i in 0..16 {
        cpu.xmm[i] = (0x1111u128 << 112) * (i as u128 % 8 + 1) + 3;
        cpu.ymmh[i] = (0x2222u128 << 112) * (i as u128 % 4 + 1) + i as u128;
    }
    let (x, y) = (cpu.xmm, cpu.ymmh);
    assert_eq!(cpu.run(), Exit::Breakpoint);
    assert_eq!(cpu.xmm, x);
    assert_eq!(cpu.ymmh, y);
    // The standard layout: XMM0 at 160, YMM0's upper half at 576; XSTATE_BV says SSE and
    // AVX are in use, x87 (never touched) is in its initial configuration.
    assert_eq!(u64_at(&mut cpu, AREA + 160), x[0] as u64);
    assert_eq!(u64_at(&mut cpu, AREA + 576), y[0] as u64);
    assert_eq!(u64_at(&mut cpu, AREA + 576 + 15 * 16 + 8), (y[15] >> 64) as u64);
    assert_eq!(u64_at(&mut cpu, AREA + 512), 6);
}

#[test]
fn xrstor_of_an_initial_avx_component_zeroes_the_upper_halves() {
    // mov eax, 7; xor edx, edx; xsave [rdi]; and byte [rdi+512], 3; xrstor [rdi]; int3
    let mut cpu = cpu_with(&[
        0xb8, 7, 0, 0, 0, 0x31, 0xd2, 0x0f, 0xae, 0x27, 0x80, 0xa7, 0x00, 0x02, 0, 0, 0x03, 0x0f, 0xae, 0x2f,
        0xcc,
    ]);
    cpu.ymmh = [u128::MAX; 16];
    cpu.xmm[3] = 42;
    assert_eq!(cpu.run(), Exit::Breakpoint);
    assert_eq!(cpu.ymmh, [0; 16]);
    assert_eq!(cpu.xmm[3], 42);
}

#[test]
fn xsavec_writes_the_compacted_header() {
    // mov eax, 6; xor edx, edx; xsavec [rdi]; int3
    let mut cpu = cpu_with(&[0xb8, 6, 0, 0, 0, 0x31, 0xd2, 0x0f, 0xc7, 0x27, 0xcc]);
    cpu.ymmh[1] = 9;
    assert_eq!(cpu.run(), Exit::Breakpoint);
    assert_eq!(u64_at(&mut cpu, AREA + 520), 0x8000_0000_0000_0006);
    // XMM all zero (SSE not in use) but AVX in use.
    assert_eq!(u64_at(&mut cpu, AREA + 512), 4);
    assert_eq!(u64_at(&mut cpu, AREA + 576 + 16), 9);
}
