//! Architectural state of one guest thread: registers, flags, vector and x87 state,
//! plus the address space and block cache the interpreter runs against.

use crate::cpuid::CpuidModel;
use crate::decode::BlockCache;
use crate::flags::LazyFlags;
use crate::mem::AddressSpace;
use crate::x87::X87;

/// General-purpose registers in encoding order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reg {
    Rax = 0,
    Rcx,
    Rdx,
    Rbx,
    Rsp,
    Rbp,
    Rsi,
    Rdi,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
}

/// Index of the always-zero slot in `Cpu::regs`, used for absent base/index registers so
/// effective-address computation needs no branches.
pub(crate) const ZERO_REG: u8 = 16;
/// Marks an 8-bit operand as AH/CH/DH/BH (bits 8..15 of register `idx & 3`).
pub(crate) const HIGH8: u8 = 0x20;

/// Why the last handler stopped, with details kept in `Cpu::fault`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FaultInfo {
    pub addr: u64,
    pub kind: crate::mem::FaultKind,
    pub access: crate::mem::Access,
}

/// A guest thread's registers while another thread runs on the CPU.
#[derive(Clone)]
pub struct Context {
    pub regs: [u64; 17],
    pub rip: u64,
    rflags: u64,
    lf: LazyFlags,
    pub seg_base: [u64; 3],
    pub xmm: [u128; 16],
    pub ymmh: [u128; 16],
    pub mxcsr: u32,
    pub x87: X87,
}

impl Context {
    pub fn reg(&self, r: Reg) -> u64 {
        self.regs[r as usize]
    }

    pub fn set_reg(&mut self, r: Reg, v: u64) {
        self.regs[r as usize] = v;
    }
}

pub struct Cpu {
    /// rax..r15, then a slot that is always zero.
    pub regs: [u64; 17],
    pub rip: u64,
    /// Non-status bits of RFLAGS (DF, ID, AC...). Status flags live in `lf`.
    pub(crate) rflags: u64,
    pub(crate) lf: LazyFlags,
    /// Segment bases by iced-x86 segment slot: 0 = none/es/cs/ss/ds (flat), 1 = fs, 2 = gs.
    pub seg_base: [u64; 3],
    pub xmm: [u128; 16],
    /// Bits 128..255 of YMM0..15. Legacy SSE instructions leave them alone; VEX.128
    /// instructions zero them (SDM Vol. 1 §14.1.2). Kept apart from `xmm` so that every
    /// SSE handler stays as it was.
    pub ymmh: [u128; 16],
    pub mxcsr: u32,
    pub x87: X87,
    pub mem: AddressSpace,
    pub(crate) cache: BlockCache,
    /// Guest instructions retired so far.
    pub icount: u64,
    /// `run` returns `Exit::Budget` once `icount` reaches this.
    pub budget: u64,
    pub fault: FaultInfo,
    pub cpuid: CpuidModel,
    /// The instruction that raised the last invalid-opcode exit, disassembled.
    pub last_ud: String,
    /// Where rdtsc and rdtscp (and rdrand/rdseed) take their values from.
    pub outside: Box<dyn Outside>,
    /// Instrumentation (see `hooks`): off unless a tracer is installed.
    pub hooks: crate::hooks::Hooks,
    /// The op that stopped the block running last (set by `exec::next_op`).
    pub(crate) stop_op: *const crate::decode::Op,
}

impl Cpu {
    pub fn new(mem: AddressSpace) -> Cpu {
        Cpu {
            regs: [0; 17],
            rip: 0,
            rflags: 0x200,
            lf: LazyFlags::default(),
            seg_base: [0; 3],
            xmm: [0; 16],
            ymmh: [0; 16],
            mxcsr: 0x1f80,
            x87: X87::default(),
            mem,
            cache: BlockCache::default(),
            icount: 0,
            budget: u64::MAX,
            fault: FaultInfo::default(),
            cpuid: CpuidModel::default(),
            last_ud: String::new(),
            outside: Box::new(Counted::default()),
            hooks: Default::default(),
            stop_op: std::ptr::null(),
        }
    }

    #[inline(always)]
    pub fn reg(&self, r: Reg) -> u64 {
        self.regs[r as usize]
    }

    #[inline(always)]
    pub fn set_reg(&mut self, r: Reg, v: u64) {
        self.regs[r as usize] = v;
    }

    /// The sixteen general registers, rax..r15.
    pub fn gprs(&self) -> [u64; 16] {
        self.regs[..16].try_into().expect("16 registers")
    }

    /// The syscall the guest asked for with `syscall`: its number (rax) and the six
    /// argument registers of the x86-64 convention (rdi, rsi, rdx, r10, r8, r9).
    #[inline]
    pub fn syscall_args(&self) -> (u64, [u64; 6]) {
        let r = &self.regs;
        let arg = |x: Reg| r[x as usize];
        (
            arg(Reg::Rax),
            [arg(Reg::Rdi), arg(Reg::Rsi), arg(Reg::Rdx), arg(Reg::R10), arg(Reg::R8), arg(Reg::R9)],
        )
    }

    /// The syscall's result, in rax.
    #[inline]
    pub fn set_syscall_result(&mut self, v: u64) {
        self.set_reg(Reg::Rax, v);
    }

    /// Makes the guest execute its `syscall` instruction (2 bytes) again: a restart.
    pub fn rewind_syscall(&mut self, nr: u64) {
        self.rip -= 2;
        self.set_reg(Reg::Rax, nr);
    }

    pub fn fs_base(&self) -> u64 {
        self.seg_base[1]
    }

    pub fn set_fs_base(&mut self, v: u64) {
        self.seg_base[1] = v;
    }

    pub fn gs_base(&self) -> u64 {
        self.seg_base[2]
    }

    pub fn set_gs_base(&mut self, v: u64) {
        self.seg_base[2] = v;
    }

    /// Drops every decoded block (used after execve replaces the address space).
    pub fn flush_code_cache(&mut self) {
        self.cache.clear();
        self.mem.clear_code_marks();
    }

    /// The register state of the running thread (everything but memory and caches).
    pub fn save_context(&self) -> Context {
        Context {
            regs: self.regs,
            rip: self.rip,
            rflags: self.rflags,
            lf: self.lf,
            seg_base: self.seg_base,
            xmm: self.xmm,
            ymmh: self.ymmh,
            mxcsr: self.mxcsr,
            x87: self.x87.clone(),
        }
    }

    /// Switches the CPU to another thread's registers.
    pub fn restore_context(&mut self, c: &Context) {
        self.regs = c.regs;
        self.regs[ZERO_REG as usize] = 0;
        self.rip = c.rip;
        self.rflags = c.rflags;
        self.lf = c.lf;
        self.seg_base = c.seg_base;
        self.xmm = c.xmm;
        self.ymmh = c.ymmh;
        self.mxcsr = c.mxcsr;
        self.x87 = c.x87.clone();
    }

    /// Reads an 8/16/32/64-bit register operand; `idx` may carry `HIGH8`.
    #[inline(always)]
    pub(crate) fn get_r<const W: u32>(&self, idx: u8) -> u64 {
        debug_assert!(idx <= ZERO_REG || (W == 8 && idx & !3 == HIGH8));
        // SAFETY: `decode_block` keeps only ops whose register operands are a register
        // number up to ZERO_REG or HIGH8 | 0..3, and HIGH8 appears only in 8-bit operands.
        unsafe {
            match W {
                8 => {
                    if idx & HIGH8 != 0 {
                        (self.regs.get_unchecked((idx & 3) as usize) >> 8) & 0xff
                    } else {
                        self.regs.get_unchecked(idx as usize) & 0xff
                    }
                }
                16 => self.regs.get_unchecked(idx as usize) & 0xffff,
                32 => self.regs.get_unchecked(idx as usize) & 0xffff_ffff,
                _ => *self.regs.get_unchecked(idx as usize),
            }
        }
    }

    /// Writes a register operand with x86-64 semantics: 32-bit writes zero the upper half,
    /// 8/16-bit writes keep the rest.
    #[inline(always)]
    pub(crate) fn put_r<const W: u32>(&mut self, idx: u8, v: u64) {
        debug_assert!(idx <= ZERO_REG || (W == 8 && idx & !3 == HIGH8));
        // SAFETY: as in `get_r`.
        unsafe {
            match W {
                8 => {
                    if idx & HIGH8 != 0 {
                        let r = self.regs.get_unchecked_mut((idx & 3) as usize);
                        *r = (*r & !0xff00) | ((v & 0xff) << 8);
                    } else {
                        let r = self.regs.get_unchecked_mut(idx as usize);
                        *r = (*r & !0xff) | (v & 0xff);
                    }
                }
                16 => {
                    let r = self.regs.get_unchecked_mut(idx as usize);
                    *r = (*r & !0xffff) | (v & 0xffff);
                }
                32 => *self.regs.get_unchecked_mut(idx as usize) = v & 0xffff_ffff,
                _ => *self.regs.get_unchecked_mut(idx as usize) = v,
            }
        }
    }
}

/// Values an instruction takes from outside the guest: the time-stamp counter (rdtsc,
/// rdtscp) and hardware randomness (rdrand, rdseed). The kernel shim supplies its own, so
/// that they come from the same world as the guest's clocks and getrandom (fixed under
/// `--deterministic`, logged by `--record`, read back by `--replay`); the CPU decides only
/// how the value lands in registers and flags.
pub trait Outside {
    /// The time-stamp counter once the CPU has retired `icount` instructions.
    fn tsc(&mut self, icount: u64) -> u64;
    /// 64 random bits (rdrand and rdseed take the low 16, 32 or 64). Never fails, so an
    /// instruction that reports a source's exhaustion (CF=0) need not model it.
    fn random(&mut self) -> u64;
}

/// The CPU alone (no shim): a 3 GHz counter driven by the instructions retired, and a
/// fixed-seed generator, so that bare-CPU runs (tests) are reproducible.
#[derive(Default)]
pub struct Counted {
    rng: u64,
}

impl Outside for Counted {
    fn tsc(&mut self, icount: u64) -> u64 {
        icount.wrapping_mul(3)
    }

    fn random(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
