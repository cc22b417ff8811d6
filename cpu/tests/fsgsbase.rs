//! FSGSBASE and RDRAND/RDSEED forms the conformance tester cannot run against the host
//! (RDFSBASE reads the host's TLS base there; WRFSBASE/WRGSBASE would move the native
//! runner's own bases; RDRAND's value is random): their semantics, checked directly.

use emu_cpu::mem::VmaInfo;
use emu_cpu::{AddressSpace, Cpu, Exit, Perm, Reg};

fn run(code: &[u8], setup: impl FnOnce(&mut Cpu)) -> (Cpu, Exit) {
    let mut mem = AddressSpace::new();
    mem.map(0x40_0000, 0x1000, Perm::RWX, VmaInfo::anon()).unwrap();
    mem.map(0x50_0000, 0x1000, Perm::RW, VmaInfo::anon()).unwrap();
    mem.poke(0x40_0000, code).unwrap();
    let mut cpu = Cpu::new(mem);
    cpu.rip = 0x40_0000;
    setup(&mut cpu);
    let e = cpu.run();
    (cpu, e)
}

#[test]
fn rdfsbase_and_rdgsbase_read_the_bases() {
    // rdfsbase rax; rdgsbase ecx; int3
    let (cpu, e) = run(&[0xf3, 0x48, 0x0f, 0xae, 0xc0, 0xf3, 0x0f, 0xae, 0xc9, 0xcc], |c| {
        c.set_fs_base(0x7fff_1234_5678);
        c.set_gs_base(0x1_8765_4321);
        c.set_reg(Reg::Rcx, u64::MAX);
    });
    assert_eq!(e, Exit::Breakpoint);
    assert_eq!(cpu.reg(Reg::Rax), 0x7fff_1234_5678);
    // The 32-bit form: the low half, zero-extended.
    assert_eq!(cpu.reg(Reg::Rcx), 0x8765_4321);
}

#[test]
fn wrfsbase_and_wrgsbase_move_segment_relative_accesses() {
    // wrfsbase rax; wrgsbase ebx; mov rdx, fs:[8]; mov rsi, gs:[0x10]; int3
    let code = [
        0xf3, 0x48, 0x0f, 0xae, 0xd0, 0xf3, 0x0f, 0xae, 0xdb, 0x64, 0x48, 0x8b, 0x14, 0x25, 8, 0, 0, 0, 0x65,
        0x48, 0x8b, 0x34, 0x25, 0x10, 0, 0, 0, 0xcc,
    ];
    let (cpu, e) = run(&code, |c| {
        c.set_reg(Reg::Rax, 0x50_0000);
        // Upper half ignored by the 32-bit form.
        c.set_reg(Reg::Rbx, 0xdead_0000_0050_0100);
        c.mem.poke(0x50_0008, &0x1111u64.to_le_bytes()).unwrap();
        c.mem.poke(0x50_0110, &0x2222u64.to_le_bytes()).unwrap();
    });
    assert_eq!(e, Exit::Breakpoint);
    assert_eq!((cpu.fs_base(), cpu.gs_base()), (0x50_0000, 0x50_0100));
    assert_eq!((cpu.reg(Reg::Rdx), cpu.reg(Reg::Rsi)), (0x1111, 0x2222));
}

#[test]
fn a_non_canonical_base_is_refused() {
    // wrgsbase rax; int3
    let (cpu, e) = run(&[0xf3, 0x48, 0x0f, 0xae, 0xd8, 0xcc], |c| {
        c.set_reg(Reg::Rax, 0x8000_0000_0000);
        c.set_gs_base(7);
    });
    assert_eq!(e, Exit::GeneralProtection);
    assert_eq!(cpu.gs_base(), 7);
}

/// An outside world whose randomness is one fixed number.
struct Fixed;

impl emu_cpu::Outside for Fixed {
    fn tsc(&mut self, icount: u64) -> u64 {
        icount
    }

    fn random(&mut self) -> u64 {
        0x0123_4567_89ab_cdef
    }
}

#[test]
fn rdrand_takes_the_cpus_random_source_and_sets_cf() {
    // clc; rdrand rax; setc bl; rdseed cx; int3
    let (cpu, e) =
        run(&[0xf8, 0x48, 0x0f, 0xc7, 0xf0, 0x0f, 0x92, 0xc3, 0x66, 0x0f, 0xc7, 0xf9, 0xcc], |c| {
            c.outside = Box::new(Fixed);
            c.set_reg(Reg::Rcx, 0xffff_ffff_ffff_ffff);
        });
    assert_eq!(e, Exit::Breakpoint);
    assert_eq!(cpu.reg(Reg::Rax), 0x0123_4567_89ab_cdef);
    assert_eq!(cpu.reg(Reg::Rbx) & 0xff, 1, "CF = 1: a value was delivered");
    // The 16-bit form keeps the rest of the register.
    assert_eq!(cpu.reg(Reg::Rcx), 0xffff_ffff_ffff_cdef);
}
