//! The legacy vsyscall page: three entries at fixed addresses that old static programs
//! call (gettimeofday at 0xffffffffff600000, time at +0x400, getcpu at +0x800). Linux no
//! longer maps code there; it emulates a call when the instruction fetch faults
//! (vsyscall=xonly): the call is made and the caller gets its result as if the entry had
//! returned. Any other access to the page, or a jump elsewhere in it, is SIGSEGV.
//!
//! emu does the same from the CPU's fault exit, so the interpreter's fetch path knows
//! nothing of it: the run loop asks [`Process::vsyscall`] about a fault before it becomes
//! a signal.

use crate::abi::signal as S;
use crate::signal::SigInfo;
use crate::sys::nr;
use crate::Process;
use emu_cpu::{Exit, FaultKind, Reg};

/// The page's address.
pub(crate) const PAGE: u64 = 0xffff_ffff_ff60_0000;

/// What a CPU stop means for the vsyscall page.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Vsyscall {
    /// Not a fetch from the page.
    No,
    /// An entry was called: serve the syscall now set up in the CPU.
    Call,
    /// A fetch elsewhere in the page (or with an unreadable return address): SIGSEGV is
    /// pending.
    Refused,
}

impl Process {
    /// The CPU stopped with `exit`. If it is the fetch of a vsyscall entry, the CPU is
    /// left as after a `syscall` instruction for the call the entry stands for, with rip
    /// and rsp as after the entry's `ret` to its caller. A fetch elsewhere in the page
    /// raises SIGSEGV (SI_KERNEL), as Linux's emulation does.
    pub(crate) fn vsyscall(&mut self, exit: &Exit) -> Vsyscall {
        let Exit::Fault(f) = exit else { return Vsyscall::No };
        let rip = self.cpu.rip;
        if rip & !0xfff != PAGE || f.addr & !0xfff != PAGE || f.kind != FaultKind::Unmapped {
            return Vsyscall::No;
        }
        let call = match rip - PAGE {
            0 => Some(nr::GETTIMEOFDAY),
            0x400 => Some(nr::TIME),
            0x800 => Some(nr::GETCPU),
            _ => None,
        };
        let sp = self.cpu.reg(Reg::Rsp);
        let mut ret = [0u8; 8];
        let (Some(call), Ok(())) = (call, self.cpu.mem.read(sp, &mut ret)) else {
            self.fault_detail = Some(format!("call into the vsyscall page at {rip:#x}, not an entry"));
            self.force_signal(SigInfo::kernel(S::SIGSEGV));
            return Vsyscall::Refused;
        };
        self.cpu.set_reg(Reg::Rax, call);
        self.cpu.rip = u64::from_le_bytes(ret);
        self.cpu.set_reg(Reg::Rsp, sp + 8);
        Vsyscall::Call
    }
}
