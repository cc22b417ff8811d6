//! End-to-end checks of the interpreter loop on tiny hand-assembled programs.

use emu_cpu::mem::VmaInfo;
use emu_cpu::{AddressSpace, Cpu, Exit, Perm, Reg};

fn run(code: &[u8]) -> Cpu {
    let mut mem = AddressSpace::new();
    mem.map(0x40_0000, 0x1000, Perm::RWX, VmaInfo::anon()).unwrap();
    mem.map(0x50_0000, 0x2000, Perm::RW, VmaInfo::anon()).unwrap();
    mem.poke(0x40_0000, code).unwrap();
    let mut cpu = Cpu::new(mem);
    cpu.rip = 0x40_0000;
    cpu.set_reg(Reg::Rsp, 0x50_2000);
    assert_eq!(cpu.run(), Exit::Breakpoint);
    cpu
}

#[test]
fn counted_loop_sums() {
    // xor eax,eax; mov ecx,10; L: add eax,ecx; dec ecx; jnz L; int3
    let cpu = run(&[0x31, 0xc0, 0xb9, 0x0a, 0, 0, 0, 0x01, 0xc8, 0xff, 0xc9, 0x75, 0xfa, 0xcc]);
    assert_eq!(cpu.reg(Reg::Rax), 55);
    assert_eq!(cpu.reg(Reg::Rcx), 0);
}

#[test]
fn call_ret_and_stack() {
    // call f; int3; f: mov rax, 7; push rax; pop rbx; ret
    let cpu = run(&[0xe8, 0x01, 0, 0, 0, 0xcc, 0x48, 0xc7, 0xc0, 7, 0, 0, 0, 0x50, 0x5b, 0xc3]);
    assert_eq!(cpu.reg(Reg::Rbx), 7);
    assert_eq!(cpu.reg(Reg::Rsp), 0x50_2000);
}

#[test]
fn store_to_own_code_is_seen() {
    // mov byte [rip+1], 0xcc  (overwrites the first byte of the next instruction: nop -> int3)
    // then: nop (becomes int3); mov eax,1; int3
    let code = [0xc6, 0x05, 0x00, 0x00, 0x00, 0x00, 0xcc, 0x90, 0xb8, 1, 0, 0, 0, 0xcc];
    // rip+0 after the 7-byte store is the nop at offset 7.
    let cpu = run(&code);
    assert_eq!(cpu.reg(Reg::Rax), 0, "the patched int3 must stop before mov eax,1");
    assert_eq!(cpu.rip, 0x40_0008);
}

#[test]
fn unmapped_access_faults_with_address() {
    let mut mem = AddressSpace::new();
    mem.map(0x40_0000, 0x1000, Perm::RX, VmaInfo::anon()).unwrap();
    // mov rax, [0x1234]
    mem.poke(0x40_0000, &[0x48, 0x8b, 0x04, 0x25, 0x34, 0x12, 0, 0]).unwrap();
    let mut cpu = Cpu::new(mem);
    cpu.rip = 0x40_0000;
    match cpu.run() {
        Exit::Fault(f) => assert_eq!(f.addr, 0x1234),
        e => panic!("unexpected {e:?}"),
    }
    assert_eq!(cpu.rip, 0x40_0000);
}
