//! Differential harness for the integer instruction families: the same machine code runs
//! natively (in an RWX page of the test process) and under emu (in a guest page mapped at
//! the same address), from the same registers, flags and memory; the results must match.
//!
//! Code templates come from the system assembler through `snip!` (so encodings are the
//! assembler's, not typed by hand); a test may patch an immediate byte before running.
//! Data memory is a page-aligned host buffer that the guest maps at the same address, so
//! pointers in registers mean the same thing on both sides.

#![allow(dead_code, unused_imports, unused_macros)]

use emu_cpu::flags::{AF, ARITH, CF, DF, OF, PF, SF, ZF};
use emu_cpu::mem::VmaInfo;
use emu_cpu::{AddressSpace, Cpu, Exit, Perm};
use std::cell::RefCell;

/// Register file plus RFLAGS, in encoding order (rsp is not transferred).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub r: [u64; 16],
    pub flags: u64,
}

pub const RAX: usize = 0;
pub const RCX: usize = 1;
pub const RDX: usize = 2;
pub const RBX: usize = 3;
pub const RBP: usize = 5;
pub const RSI: usize = 6;
pub const RDI: usize = 7;

/// Bytes of one instruction sequence assembled into the test binary, and its text.
#[derive(Clone, Copy)]
pub struct Snip {
    pub name: &'static str,
    pub bytes: &'static [u8],
}

/// `snip!("shl eax, cl")` assembles the text (Intel syntax) and returns its bytes. The
/// code is jumped over, never run in place.
macro_rules! snip {
    ($($s:expr),+ $(,)?) => {{
        let s: usize;
        let e: usize;
        // SAFETY: the assembled text is skipped by the jump; only two addresses are taken.
        unsafe {
            core::arch::asm!(
                "lea {s}, [rip + 2f]",
                "lea {e}, [rip + 3f]",
                "jmp 3f",
                "2:",
                $($s, "\n",)+
                "3:",
                s = out(reg) s,
                e = out(reg) e,
                options(nostack, nomem, preserves_flags),
            );
        }
        $crate::int_harness::Snip {
            name: concat!($($s, "; ",)+),
            // SAFETY: [s, e) is the assembled text inside this function's code.
            bytes: unsafe { std::slice::from_raw_parts(s as *const u8, e - s) },
        }
    }};
}

core::arch::global_asm!(
    ".globl emu_int_native_call",
    "emu_int_native_call:",
    "push rbx",
    "push rbp",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "push rdi",
    "push rsi",
    "mov rax, [rdi + 128]",
    "push rax",
    "popfq",
    "mov rax, [rdi]",
    "mov rcx, [rdi + 8]",
    "mov rdx, [rdi + 16]",
    "mov rbx, [rdi + 24]",
    "mov rbp, [rdi + 40]",
    "mov rsi, [rdi + 48]",
    "mov r8, [rdi + 64]",
    "mov r9, [rdi + 72]",
    "mov r10, [rdi + 80]",
    "mov r11, [rdi + 88]",
    "mov r12, [rdi + 96]",
    "mov r13, [rdi + 104]",
    "mov r14, [rdi + 112]",
    "mov r15, [rdi + 120]",
    "mov rdi, [rdi + 56]",
    "call qword ptr [rsp]",
    "push rdi",
    "mov rdi, [rsp + 16]",
    "pop qword ptr [rdi + 56]",
    "mov [rdi], rax",
    "mov [rdi + 8], rcx",
    "mov [rdi + 16], rdx",
    "mov [rdi + 24], rbx",
    "mov [rdi + 40], rbp",
    "mov [rdi + 48], rsi",
    "mov [rdi + 64], r8",
    "mov [rdi + 72], r9",
    "mov [rdi + 80], r10",
    "mov [rdi + 88], r11",
    "mov [rdi + 96], r12",
    "mov [rdi + 104], r13",
    "mov [rdi + 112], r14",
    "mov [rdi + 120], r15",
    "pushfq",
    "pop qword ptr [rdi + 128]",
    "cld",
    "add rsp, 16",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbp",
    "pop rbx",
    "ret",
);

extern "sysv64" {
    fn emu_int_native_call(st: *mut State, code: *const u8);
}

/// Page-aligned host memory that the guest maps at the same address.
pub struct Buf {
    ptr: *mut u8,
    pub len: usize,
}

impl Buf {
    fn new(pages: usize) -> Buf {
        let layout = std::alloc::Layout::from_size_align(pages * 4096, 4096).unwrap();
        // SAFETY: non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        assert!(!ptr.is_null());
        Buf { ptr, len: pages * 4096 }
    }
    pub fn addr(&self) -> u64 {
        self.ptr as u64
    }
    pub fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: the allocation is `len` bytes and lives as long as self (leaked per thread).
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

const CODE_PAGES: usize = 2;
/// Data pages; tests place operands anywhere in them.
pub const DATA_PAGES: usize = 3;

struct Pages {
    code: *mut u8,
    data: Buf,
}

fn mmap_rwx(len: usize) -> *mut u8 {
    let ret: isize;
    // SAFETY: anonymous private mmap; no memory of ours is touched.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") 9isize => ret,
            in("rdi") 0usize,
            in("rsi") len,
            in("rdx") 7usize,
            in("r10") 0x22usize,
            in("r8") -1isize,
            in("r9") 0usize,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    assert!(ret > 0, "mmap RWX failed: {ret}");
    ret as *mut u8
}

thread_local! {
    static PAGES: RefCell<Pages> = RefCell::new(Pages {
        code: mmap_rwx(CODE_PAGES * 4096),
        data: Buf::new(DATA_PAGES),
    });
}

/// Address of the data buffer of this thread (stable for the thread's life).
pub fn data_addr() -> u64 {
    PAGES.with(|p| p.borrow().data.addr())
}

/// Flags a test can put in: the status flags and DF.
pub const IN_FLAGS: u64 = ARITH | DF;

/// Result of one run: registers, flags, the data buffer, and (emu only) the exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub st: State,
    pub mem: Vec<u8>,
}

pub fn run_native(code: &[u8], st: &State, mem: &[u8]) -> Outcome {
    PAGES.with(|p| {
        let mut p = p.borrow_mut();
        assert!(code.len() < CODE_PAGES * 4096 - 1);
        // SAFETY: the code page is ours and large enough.
        unsafe {
            std::ptr::copy_nonoverlapping(code.as_ptr(), p.code, code.len());
            *p.code.add(code.len()) = 0xc3;
        }
        let d = p.data.bytes();
        d[..mem.len()].copy_from_slice(mem);
        let mut s = *st;
        s.flags = (s.flags & IN_FLAGS) | 2;
        // SAFETY: the code is one of the test's instruction sequences followed by ret; it
        // touches only registers and the data buffer.
        unsafe { emu_int_native_call(&mut s, p.code) };
        Outcome { st: s, mem: p.data.bytes()[..mem.len()].to_vec() }
    })
}

/// Builds a guest with the code (then int3) and the data buffer at the host addresses.
pub fn guest(code: &[u8], st: &State, mem: &[u8]) -> Cpu {
    let (code_addr, data_addr) = PAGES.with(|p| {
        let p = p.borrow();
        (p.code as u64, p.data.addr())
    });
    let mut m = AddressSpace::new();
    m.map(code_addr, (CODE_PAGES * 4096) as u64, Perm::RWX, VmaInfo::anon()).unwrap();
    m.poke(code_addr, code).unwrap();
    m.poke(code_addr + code.len() as u64, &[0xcc]).unwrap();
    m.map(data_addr, (DATA_PAGES * 4096) as u64, Perm::RW, VmaInfo::anon()).unwrap();
    m.poke(data_addr, mem).unwrap();
    let mut cpu = Cpu::new(m);
    cpu.regs[..16].copy_from_slice(&st.r);
    cpu.regs[4] = 0;
    cpu.set_rflags((st.flags & IN_FLAGS) | 2);
    cpu.rip = code_addr;
    cpu
}

pub fn outcome(cpu: &mut Cpu, mem_len: usize) -> Outcome {
    let mut st = State::default();
    st.r.copy_from_slice(&cpu.regs[..16]);
    st.flags = cpu.rflags();
    let mut mem = vec![0u8; mem_len];
    cpu.mem.read(data_addr(), &mut mem).unwrap();
    Outcome { st, mem }
}

pub fn run_emu(code: &[u8], st: &State, mem: &[u8]) -> (Exit, Outcome) {
    let mut cpu = guest(code, st, mem);
    let exit = cpu.run();
    if exit == Exit::Breakpoint {
        let code_addr = PAGES.with(|p| p.borrow().code as u64);
        assert_eq!(cpu.rip, code_addr + code.len() as u64 + 1, "stopped at the wrong int3");
    }
    (exit, outcome(&mut cpu, mem.len()))
}

/// True if the host is the CPU whose "undefined" flag results emu reproduces (AMD Zen).
/// Elsewhere those bits are masked out of comparisons.
pub fn host_matches_undefined_model() -> bool {
    let r = core::arch::x86_64::__cpuid(0);
    &r.ebx.to_le_bytes() == b"Auth"
}

/// Runs `code` both ways from `st` and `mem` and asserts that registers, the flags outside
/// `undef` (compared anyway on the reference host), and memory agree.
pub fn check(name: &str, code: &[u8], st: &State, mem: &[u8], undef: u64) {
    let native = run_native(code, st, mem);
    let (exit, emu) = run_emu(code, st, mem);
    assert_eq!(exit, Exit::Breakpoint, "{name}: emu stopped with {exit:?}; input {st:x?}");
    let fmask = if host_matches_undefined_model() { IN_FLAGS } else { IN_FLAGS & !undef };
    let mut ok = true;
    let mut why = String::new();
    for i in 0..16 {
        if i != 4 && native.st.r[i] != emu.st.r[i] {
            ok = false;
            why += &format!("  r{i}: native {:#x} emu {:#x}\n", native.st.r[i], emu.st.r[i]);
        }
    }
    if native.st.flags & fmask != emu.st.flags & fmask {
        ok = false;
        why += &format!(
            "  flags: native {} emu {}\n",
            flag_str(native.st.flags & fmask),
            flag_str(emu.st.flags & fmask)
        );
    }
    if native.mem != emu.mem {
        ok = false;
        let i = native.mem.iter().zip(&emu.mem).position(|(a, b)| a != b).unwrap();
        why += &format!("  memory differs first at offset {i:#x}\n");
    }
    assert!(ok, "{name}: mismatch\n  input regs {:x?} flags {}\n{why}", st.r, flag_str(st.flags));
}

pub fn flag_str(f: u64) -> String {
    let mut s = String::new();
    for (b, n) in [(CF, "C"), (PF, "P"), (AF, "A"), (ZF, "Z"), (SF, "S"), (OF, "O"), (DF, "D")] {
        if f & b != 0 {
            s += n;
        } else {
            s += "-";
        }
    }
    s
}

/// Interesting operand values for width `w`.
pub fn edge_values(w: u32) -> Vec<u64> {
    let m = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
    let h = 1u64 << (w - 1);
    let mut v = vec![0, 1, 2, 3, 0x7f, 0x80, 0xff, m, m - 1, h, h - 1, h + 1, 0x5555_5555_5555_5555 & m];
    v.extend([
        0xaaaa_aaaa_aaaa_aaaa & m,
        0x1234_5678_9abc_def0 & m,
        0x8000_0000 & m,
        0xfedc_ba98_7654_3210 & m,
    ]);
    v.sort();
    v.dedup();
    v
}

/// A deterministic pseudo-random sequence (xorshift) for sweeping operands.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Flag bit values a test feeds in, covering carry-in set and clear.
pub const FLAG_INPUTS: [u64; 3] = [0, CF, ARITH];

pub use emu_cpu::flags::{AF as F_AF, CF as F_CF, OF as F_OF, PF as F_PF, SF as F_SF, ZF as F_ZF};
