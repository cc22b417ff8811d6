//! The emulated runner: the same case in an `emu_cpu::Cpu` with the same mappings as the
//! native child (code page RWX, four RW data pages, one read-only page, unmapped guards,
//! GS base). Exit slots hold int3, so a normal end is `Exit::Breakpoint` one byte past a
//! slot.

use super::case::*;
use emu_cpu::mem::VmaInfo;
use emu_cpu::{AddressSpace, Cpu, Exit, FaultKind, JitMode, Perm};

pub struct Emu {
    cpu: Cpu,
    /// The tier asked for (`with_jit`), kept for a fresh CPU after a panic.
    jit: Option<JitMode>,
    image: Vec<u8>,
    after: Vec<u8>,
    code: Vec<u8>,
}

/// Signal numbers and si_codes as Linux reports them (fixed on every host, so emulated
/// outcomes do not depend on the host's libc).
pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGSEGV: i32 = 11;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const SI_KERNEL: i32 = 0x80;
pub const FPE_INTDIV: i32 = 1;
/// Not a signal: emu panicked while running the case.
pub const EMU_PANIC: i32 = -1;

impl Default for Emu {
    fn default() -> Self {
        Self::new()
    }
}

impl Emu {
    pub fn new() -> Emu {
        Emu::make(None)
    }

    /// A runner whose CPU runs in tier `m` whatever `EMU_JIT` says.
    pub fn with_jit(m: JitMode) -> Emu {
        Emu::make(Some(m))
    }

    fn make(jit: Option<JitMode>) -> Emu {
        let mut mem = AddressSpace::new();
        mem.map(CODE, 0x1000, Perm::RWX, VmaInfo::anon()).unwrap();
        mem.map(DATA, DATA_RW as u64, Perm::RW, VmaInfo::anon()).unwrap();
        mem.map(DATA + DATA_RW as u64, 0x1000, Perm::R, VmaInfo::anon()).unwrap();
        let mut cpu = Cpu::new(mem);
        if let Some(m) = jit {
            cpu.set_jit(m);
        }
        Emu { cpu, jit, image: vec![0; DATA_SIZE], after: vec![0; DATA_SIZE], code: vec![0xcc; 0x1000] }
    }

    pub fn run(&mut self, case: &Case) -> Outcome {
        let mut s = State::from_seed(0);
        case.initial(&mut s, &mut self.image);
        let cpu = &mut self.cpu;
        self.code.fill(0xcc);
        let n = case.bytes.len().min(0x1000);
        self.code[..n].copy_from_slice(&case.bytes[..n]);
        cpu.mem.poke(CODE, &self.code).unwrap();
        cpu.mem.poke(DATA, &self.image).unwrap();
        cpu.flush_code_cache();
        cpu.regs[..16].copy_from_slice(&s.gpr);
        cpu.rip = CODE;
        cpu.set_rflags(s.rflags);
        cpu.xmm = s.xmm;
        cpu.ymmh = s.ymmh;
        cpu.mxcsr = s.mxcsr;
        let top = (s.fsw >> 11) & 7;
        cpu.x87.top = top as u8;
        cpu.x87.fsw = s.fsw & !(7 << 11);
        cpu.x87.fcw = s.fcw;
        cpu.x87.tags = s.ftw;
        // The native side loads the state with FXRSTOR from an image whose last-instruction
        // pointers and selectors are zero.
        (cpu.x87.fip, cpu.x87.fdp, cpu.x87.fop, cpu.x87.fcs, cpu.x87.fds) = (0, 0, 0, 0, 0);
        for i in 0..8 {
            cpu.x87.regs[i] = emu_cpu::x87::F80 { mant: s.st[i].0, se: s.st[i].1 };
        }
        cpu.set_fs_base(0);
        cpu.set_gs_base(GS_BASE);
        cpu.budget = cpu.icount + 10_000;
        let exit = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cpu.run())) {
            Ok(e) => e,
            Err(_) => {
                // emu itself crashed: report it as a signal no CPU raises, start afresh.
                *self = Emu::make(self.jit);
                return Outcome { kind: K_SIGNAL, sig: EMU_PANIC, ..Outcome::default() };
            }
        };
        let mut out = Outcome { kind: K_EXIT, ..Outcome::default() };
        match exit {
            Exit::Breakpoint => {
                let at = cpu.rip.wrapping_sub(1);
                let e = case.end();
                if at >= e && (at - e) % SLOT == 0 && (at - e) / SLOT < EXIT_SLOTS {
                    out.rip = at;
                } else {
                    out.kind = K_SIGNAL;
                    out.sig = SIGTRAP;
                    out.rip = cpu.rip;
                }
            }
            Exit::Fault(f) => {
                out.kind = K_SIGNAL;
                out.sig = SIGSEGV;
                if is_canonical(f.addr) {
                    out.code = if f.kind == FaultKind::Protection { SEGV_ACCERR } else { SEGV_MAPERR };
                    out.addr = f.addr;
                } else {
                    // A non-canonical address is #GP on hardware (SIGSEGV, SI_KERNEL, no
                    // address), or #SS (SIGBUS) through RSP/RBP; emu reports it as an
                    // unmapped page and the shim decides, as done here. See compare.rs.
                    out.code = SI_KERNEL;
                    if cpu.faulting_access_uses_stack() {
                        out.sig = SIGBUS;
                    }
                }
            }
            Exit::InvalidOpcode(msg) => {
                // emu refusing a form it does not implement is allowed (never a wrong
                // answer); a genuinely undefined opcode is compared like any signal.
                out.kind = if msg.starts_with("unimplemented") { K_REFUSED } else { K_SIGNAL };
                out.sig = SIGILL;
            }
            Exit::DivideError => {
                out.kind = K_SIGNAL;
                out.sig = SIGFPE;
                out.code = FPE_INTDIV;
            }
            Exit::FpException => {
                out.kind = K_SIGNAL;
                out.sig = SIGFPE;
                out.code = -1;
            }
            // `int n` (n not 3/4/0x80) is #GP on Linux: the IDT gate is not user-callable.
            Exit::GeneralProtection | Exit::Interrupt(_) => {
                out.kind = K_SIGNAL;
                out.sig = SIGSEGV;
                out.code = SI_KERNEL;
            }
            Exit::Syscall | Exit::Budget | Exit::Interrupted | Exit::Debug(_) => out.kind = K_LOST,
        }
        if out.kind == K_SIGNAL && out.sig != SIGTRAP {
            out.rip = cpu.rip;
        }
        out.gpr.copy_from_slice(&cpu.regs[..16]);
        out.rflags = cpu.rflags();
        let st = State {
            gpr: out.gpr,
            rflags: out.rflags,
            xmm: cpu.xmm,
            ymmh: cpu.ymmh,
            mxcsr: cpu.mxcsr,
            fcw: cpu.x87.fcw,
            fsw: (cpu.x87.fsw & !(7 << 11)) | ((cpu.x87.top as u16 & 7) << 11),
            ftw: cpu.x87.tags,
            st: std::array::from_fn(|i| (cpu.x87.regs[i].mant, cpu.x87.regs[i].se)),
        };
        st.fx_image(&mut out.fx);
        out.ymmh = cpu.ymmh;
        cpu.mem.read(DATA, &mut self.after).unwrap();
        out.set_diff(&self.image, &self.after);
        out
    }
}

fn is_canonical(a: u64) -> bool {
    ((a as i64) << 16 >> 16) as u64 == a
}
