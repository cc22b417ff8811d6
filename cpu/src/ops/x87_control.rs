//! x87 control: FNSTSW/FSTSW (AX, m16), FNSTCW/FSTCW, FLDCW, FNSTENV/FSTENV, FLDENV,
//! FNSAVE/FSAVE, FRSTOR (the 32-bit-operand-size m28/m108 layouts and, with a 66 prefix,
//! the 16-bit m14 ones and FRSTOR m94; FNSAVE m94 is not implemented), FNINIT/FINIT, FNCLEX/FCLEX, WAIT/FWAIT, FNOP, and the
//! 8087's FNENI/FENI/FNDISI/FDISI, which later FPUs execute as no-ops. (Intel SDM Vol. 2
//! mnemonics; Vol. 1 8.1, 8.6, Figure 8-10.)
//!
//! The "FN" forms do not wait: they run even with an unmasked exception pending. The
//! plain forms are WAIT + FN form, so they raise the pending #MF first.

use super::x87_core::{note, wait};
use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use crate::x87::{sw, F80};
use iced_x86::Code;

/// `fop` value meaning "an x87 instruction ran since the pointers were loaded": the
/// opcode is then read back from the instruction at `fip` when the environment is
/// stored (keeps the per-instruction cost to one store).
pub(crate) const FOP_FROM_FIP: u16 = 0xffff;

/// The 64-bit-mode user code segment selector the host records as FCS.
const USER_CS: u16 = 0x33;

/// FCW, FSW, FTW, FIP, FCS, FOP, FDP, FDS as read from a 28-byte environment.
type Env = (u16, u16, u16, u32, u16, u16, u32, u16);

impl Cpu {
    /// The FPU opcode register: the low 11 bits of the last non-control x87 instruction
    /// (ModRM and the low 3 bits of the first opcode byte).
    pub(crate) fn x87_fop(&mut self) -> u16 {
        if self.x87.fop != FOP_FROM_FIP {
            return self.x87.fop;
        }
        let mut a = self.x87.fip;
        for _ in 0..15 {
            let mut b = [0u8; 2];
            if self.mem.fetch(a, &mut b).is_err() {
                return 0;
            }
            match b[0] {
                0x26 | 0x2e | 0x36 | 0x3e | 0x64 | 0x65 | 0x66 | 0x67 | 0xf0 | 0xf2 | 0xf3 | 0x40..=0x4f => {
                    a += 1
                }
                0xd8..=0xdf => return ((b[0] as u16 & 7) << 8) | b[1] as u16,
                _ => return 0,
            }
        }
        0
    }

    /// FCS/FOP pair as FNSTENV writes them.
    fn x87_fcs(&self) -> u16 {
        if self.x87.fop == FOP_FROM_FIP {
            USER_CS
        } else {
            self.x87.fcs
        }
    }

    /// Writes the protected-mode environment at `ea` (FNSTENV/FNSAVE layout): 28 bytes,
    /// or with `W16` the 14-byte one (FCW FSW FTW FIP FCS FDP FDS, 16 bits each, no FOP).
    /// Known difference: after an x87 instruction the AMD host's 16-bit FIP word has bits
    /// 12..15 set (0xf seen) where emu stores FIP's bits; FIP is not modelled exactly
    /// anyway (see `x87.rs`).
    fn store_env<const W16: bool>(&mut self, ea: u64) -> Flow {
        if W16 {
            let x = &self.x87;
            let w = [x.fcw, x.status_word(), x.tag_word(), x.fip as u16, self.x87_fcs(), x.fdp as u16, x.fds];
            for (i, v) in w.into_iter().enumerate() {
                self.st16(ea + 2 * i as u64, v)?;
            }
            return Ok(());
        }
        let fop = self.x87_fop();
        let x = &self.x87;
        let mut b = [0xffu8; 28];
        b[0..2].copy_from_slice(&x.fcw.to_le_bytes());
        b[4..6].copy_from_slice(&x.status_word().to_le_bytes());
        b[8..10].copy_from_slice(&x.tag_word().to_le_bytes());
        b[12..16].copy_from_slice(&(x.fip as u32).to_le_bytes());
        b[16..18].copy_from_slice(&self.x87_fcs().to_le_bytes());
        b[18..20].copy_from_slice(&(fop & 0x7ff).to_le_bytes());
        b[20..24].copy_from_slice(&(x.fdp as u32).to_le_bytes());
        b[24..26].copy_from_slice(&x.fds.to_le_bytes());
        for (i, c) in b.chunks(4).enumerate() {
            self.st32(ea + 4 * i as u64, u32::from_le_bytes([c[0], c[1], c[2], c[3]]))?;
        }
        Ok(())
    }

    fn load_env<const W16: bool>(&mut self, ea: u64) -> Result<Env, crate::decode::Stop> {
        if W16 {
            let mut w = [0u16; 7];
            for (i, v) in w.iter_mut().enumerate() {
                *v = self.ld16(ea + 2 * i as u64)?;
            }
            return Ok((w[0], w[1], w[2], w[3] as u32, w[4], 0, w[5] as u32, w[6]));
        }
        let w0 = self.ld32(ea)?;
        let w1 = self.ld32(ea + 4)?;
        let w2 = self.ld32(ea + 8)?;
        let fip = self.ld32(ea + 12)?;
        let w4 = self.ld32(ea + 16)?;
        let fdp = self.ld32(ea + 20)?;
        let w6 = self.ld32(ea + 24)?;
        Ok((w0 as u16, w1 as u16, w2 as u16, fip, w4 as u16, (w4 >> 16) as u16 & 0x7ff, fdp, w6 as u16))
    }

    fn apply_env(&mut self, e: Env) {
        let x = &mut self.x87;
        x.fcw = fcw_of(e.0);
        x.set_status_word(e.1);
        x.set_tag_word(e.2);
        x.fip = e.3 as u64;
        x.fcs = e.4;
        x.fop = e.5;
        x.fdp = e.6 as u64;
        x.fds = e.7;
        x.update_summary();
    }
}

/// A loaded control word: reserved bits 6 and 13..15 read back as 1 and 0 (host).
pub(crate) fn fcw_of(v: u16) -> u16 {
    (v & 0x1f3f) | 0x40
}

fn fnstsw_ax<const WAIT: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if WAIT {
            wait(cpu)?;
        }
        let v = cpu.x87.status_word();
        cpu.put_r::<16>(0, v as u64);
        Ok(())
    })
}

fn fnstsw_m<const WAIT: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if WAIT {
            wait(cpu)?;
        }
        let v = cpu.x87.status_word();
        cpu.st16(cpu.ea(op), v)
    })
}

fn fnstcw<const WAIT: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if WAIT {
            wait(cpu)?;
        }
        let v = cpu.x87.fcw;
        cpu.st16(cpu.ea(op), v)
    })
}

fn fldcw(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let v = cpu.ld16(cpu.ea(op))?;
        cpu.x87.fcw = fcw_of(v);
        cpu.x87.update_summary();
        Ok(())
    })
}

fn fnstenv<const WAIT: bool, const W16: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if WAIT {
            wait(cpu)?;
        }
        let ea = cpu.ea(op);
        cpu.probe_write(ea, env_len(W16))?;
        cpu.store_env::<W16>(ea)?;
        cpu.x87.fcw |= sw::EXC;
        cpu.x87.update_summary();
        Ok(())
    })
}

/// FLDENV/FRSTOR read their operand's first field (a dword, or a word with a 16-bit
/// operand size), then its last byte: an operand running into an unmapped page past its
/// first field faults at its last byte, as on the host.
fn probe_ends<const W16: bool>(cpu: &mut Cpu, ea: u64, len: u64) -> Flow {
    if W16 {
        cpu.ld16(ea)?;
    } else {
        cpu.ld32(ea)?;
    }
    probe_last(cpu, ea, len)
}

/// The last byte alone.
fn probe_last(cpu: &mut Cpu, ea: u64, len: u64) -> Flow {
    cpu.ld8(ea.wrapping_add(len - 1)).map(|_| ())
}

/// Size of the environment: 28 bytes, or 14 with a 16-bit operand size.
const fn env_len(w16: bool) -> u64 {
    if w16 {
        14
    } else {
        28
    }
}

fn fldenv<const W16: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let ea = cpu.ea(op);
        probe_ends::<W16>(cpu, ea, env_len(W16))?;
        let e = cpu.load_env::<W16>(ea)?;
        cpu.apply_env(e);
        Ok(())
    })
}

fn fnsave<const WAIT: bool, const W16: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if WAIT {
            wait(cpu)?;
        }
        let ea = cpu.ea(op);
        cpu.probe_write(ea, env_len(W16) + 80)?;
        cpu.store_env::<W16>(ea)?;
        for i in 0..8u8 {
            let v = cpu.x87.st(i);
            let a = ea + env_len(W16) + 10 * i as u64;
            cpu.st64(a, v.mant)?;
            cpu.st16(a + 8, v.se)?;
        }
        cpu.x87.init();
        Ok(())
    })
}

fn frstor<const W16: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        let ea = cpu.ea(op);
        probe_ends::<W16>(cpu, ea, env_len(W16) + 80)?;
        let e = cpu.load_env::<W16>(ea)?;
        let mut regs = [F80::ZERO; 8];
        for (i, r) in regs.iter_mut().enumerate() {
            let a = ea + env_len(W16) + 10 * i as u64;
            *r = F80 { mant: cpu.ld64(a)?, se: cpu.ld16(a + 8)? };
        }
        cpu.apply_env(e);
        let x = &mut cpu.x87;
        for (i, r) in regs.into_iter().enumerate() {
            let p = x.phys(i as u8);
            x.regs[p] = r;
        }
        Ok(())
    })
}

fn fninit<const WAIT: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if WAIT {
            wait(cpu)?;
        }
        cpu.x87.init();
        Ok(())
    })
}

fn fnclex<const WAIT: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if WAIT {
            wait(cpu)?;
        }
        cpu.x87.fsw &= !(sw::EXC | sw::SF | sw::ES | sw::B);
        Ok(())
    })
}

fn fwait(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, wait)
}

/// FNENI/FNDISI (8087 interrupt enable/disable): no-ops without the wait check; FENI and
/// FDISI wait first (on the host too).
fn fneni<const WAIT: bool>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if WAIT {
            wait(cpu)?;
        }
        Ok(())
    })
}

fn fnop(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        wait(cpu)?;
        note(cpu, op);
        Ok(())
    })
}

pub(super) fn register(t: &mut Table) {
    fn h(f: Handler) -> Option<Handler> {
        Some(f)
    }
    t.set(Code::Fnstsw_AX, |_, _| h(fnstsw_ax::<false>));
    t.set(Code::Fstsw_AX, |_, _| h(fnstsw_ax::<true>));
    t.set(Code::Fnstsw_m2byte, |_, _| h(fnstsw_m::<false>));
    t.set(Code::Fstsw_m2byte, |_, _| h(fnstsw_m::<true>));
    t.set(Code::Fnstcw_m2byte, |_, _| h(fnstcw::<false>));
    t.set(Code::Fstcw_m2byte, |_, _| h(fnstcw::<true>));
    t.set(Code::Fldcw_m2byte, |_, _| h(fldcw));
    t.set(Code::Fnstenv_m28byte, |_, _| h(fnstenv::<false, false>));
    t.set(Code::Fstenv_m28byte, |_, _| h(fnstenv::<true, false>));
    t.set(Code::Fldenv_m28byte, |_, _| h(fldenv::<false>));
    t.set(Code::Fnsave_m108byte, |_, _| h(fnsave::<false, false>));
    t.set(Code::Fsave_m108byte, |_, _| h(fnsave::<true, false>));
    t.set(Code::Frstor_m108byte, |_, _| h(frstor::<false>));
    t.set(Code::Fnstenv_m14byte, |_, _| h(fnstenv::<false, true>));
    t.set(Code::Fstenv_m14byte, |_, _| h(fnstenv::<true, true>));
    t.set(Code::Fldenv_m14byte, |_, _| h(fldenv::<true>));
    t.set(Code::Fnsave_m94byte, |_, _| h(fnsave::<false, true>));
    t.set(Code::Fsave_m94byte, |_, _| h(fnsave::<true, true>));
    t.set(Code::Frstor_m94byte, |_, _| h(frstor::<true>));
    t.set(Code::Fneni, |_, _| h(fneni::<false>));
    t.set(Code::Feni, |_, _| h(fneni::<true>));
    t.set(Code::Fndisi, |_, _| h(fneni::<false>));
    t.set(Code::Fdisi, |_, _| h(fneni::<true>));
    t.set(Code::Fninit, |_, _| h(fninit::<false>));
    t.set(Code::Finit, |_, _| h(fninit::<true>));
    t.set(Code::Fnclex, |_, _| h(fnclex::<false>));
    t.set(Code::Fclex, |_, _| h(fnclex::<true>));
    t.set(Code::Wait, |_, _| h(fwait));
    t.set(Code::Fnop, |_, _| h(fnop));
}
