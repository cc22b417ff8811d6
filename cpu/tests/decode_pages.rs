//! Blocks decoded in place from a page's frame: instructions that run into the next page,
//! which is read only when it may be executed, and blocks that go on to the page's end.

use emu_cpu::mem::{Access, VmaInfo};
use emu_cpu::{AddressSpace, Cpu, Exit, FaultKind, Perm, Reg};

const CODE: u64 = 0x40_0000;
const NEXT: u64 = CODE + 0x1000;

/// Two pages at CODE: the first RWX, the second with `second`; `bytes` placed at `at`.
fn cpu_with(second: Perm, at: u64, bytes: &[u8], rip: u64) -> Cpu {
    let mut mem = AddressSpace::new();
    mem.map(CODE, 0x1000, Perm::RWX, VmaInfo::anon()).unwrap();
    mem.map(NEXT, 0x1000, second, VmaInfo::anon()).unwrap();
    mem.poke(at, bytes).unwrap();
    let mut cpu = Cpu::new(mem);
    cpu.rip = rip;
    cpu
}

#[test]
fn instruction_straddling_two_executable_pages_runs() {
    // mov ebx, 5 at NEXT-7; nop; mov eax, 0x11223344 at NEXT-1 (4 bytes on the next
    // page); int3 at NEXT+4.
    let code = [0xbb, 5, 0, 0, 0, 0x90, 0xb8, 0x44, 0x33, 0x22, 0x11, 0xcc];
    let mut cpu = cpu_with(Perm::RWX, NEXT - 7, &code, NEXT - 7);
    assert_eq!(cpu.run(), Exit::Breakpoint);
    assert_eq!(cpu.reg(Reg::Rbx), 5);
    assert_eq!(cpu.reg(Reg::Rax), 0x1122_3344);
    assert_eq!(cpu.rip, NEXT + 5);
}

#[test]
fn straddling_into_a_non_executable_page_faults_at_its_start() {
    // mov eax, imm32 whose last two bytes lie on a read-write page.
    let mut cpu = cpu_with(Perm::RW, NEXT - 3, &[0xb8, 0x44, 0x33, 0x22, 0x11], NEXT - 3);
    match cpu.run() {
        Exit::Fault(f) => {
            assert_eq!(f.addr, NEXT);
            assert_eq!(f.access, Access::Exec);
            assert_eq!(f.kind, FaultKind::Protection);
        }
        e => panic!("unexpected {e:?}"),
    }
    assert_eq!(cpu.rip, NEXT - 3);
}

#[test]
fn instructions_before_a_bad_straddle_still_run() {
    // mov ebx, 5; nop x3; then mov eax, imm32 running into an unmapped page.
    let code = [0xbb, 5, 0, 0, 0, 0x90, 0x90, 0x90, 0xb8, 0x44, 0x33];
    let mut mem = AddressSpace::new();
    mem.map(CODE, 0x1000, Perm::RWX, VmaInfo::anon()).unwrap();
    mem.poke(NEXT - code.len() as u64, &code).unwrap();
    let mut cpu = Cpu::new(mem);
    cpu.rip = NEXT - code.len() as u64;
    match cpu.run() {
        Exit::Fault(f) => {
            assert_eq!(f.addr, NEXT);
            assert_eq!(f.access, Access::Exec);
            assert_eq!(f.kind, FaultKind::Unmapped);
        }
        e => panic!("unexpected {e:?}"),
    }
    assert_eq!(cpu.reg(Reg::Rbx), 5);
    assert_eq!(cpu.rip, NEXT - 3);
}

#[test]
fn a_long_straight_run_crosses_into_the_next_block() {
    // 300 x `inc eax` (more than one block holds), then int3.
    let mut code = Vec::new();
    for _ in 0..300 {
        code.extend_from_slice(&[0xff, 0xc0]);
    }
    code.push(0xcc);
    let mut cpu = cpu_with(Perm::RWX, CODE, &code, CODE);
    assert_eq!(cpu.run(), Exit::Breakpoint);
    assert_eq!(cpu.reg(Reg::Rax), 300);
}
