//! String instructions: MOVS, STOS, LODS, CMPS, SCAS (byte/word/dword/qword) with
//! REP/REPE/REPNE and the direction flag, and XLAT. Intel SDM Vol. 2 "MOVS", "STOS",
//! "LODS", "CMPS", "SCAS", "REP/REPE/REPZ/REPNE/REPNZ", "XLAT".
//!
//! A repeated instruction runs to completion inside one handler call. It is restartable
//! exactly like hardware: each element updates rCX/rSI/rDI only once it is done, so after a
//! fault the registers describe the elements already processed and rip still points at the
//! instruction. REP MOVS and REP STOS with DF=0 work a page at a time on host memory; an
//! overlapping forward MOVS (destination just above the source) keeps the element-by-element
//! result that the architecture defines, not memmove's.
//!
//! Only the 64-bit address size is implemented (a 0x67 prefix leaves the form unregistered),
//! and REPNE on MOVS/STOS/LODS is left unregistered.

use super::alu::alu;
use super::Table;
use crate::decode::{Flow, Handler, Op, Stop};
use crate::exec::and_next;
use crate::mem::{Fault, PAGE_MASK, PAGE_SIZE};
use crate::state::{Cpu, FaultInfo};
use iced_x86::{Code, Instruction, OpKind, Register};

const MOVS: u8 = 0;
const STOS: u8 = 1;
const LODS: u8 = 2;
const CMPS: u8 = 3;
const SCAS: u8 = 4;

/// Prefix: none, REP/REPE (F3), REPNE (F2).
const NONE: u8 = 0;
const REPE: u8 = 1;
const REPNE: u8 = 2;

const CMP: u8 = 7;

#[inline(always)]
fn step<const W: u32>(cpu: &Cpu) -> u64 {
    if cpu.df() {
        (W as u64 / 8).wrapping_neg()
    } else {
        W as u64 / 8
    }
}

#[inline(always)]
fn src_addr(cpu: &Cpu, op: &Op) -> u64 {
    cpu.regs[6].wrapping_add(cpu.seg_base[op.seg as usize])
}

/// One element; registers advance only when it completed.
#[inline(always)]
fn once<const K: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    let d = step::<W>(cpu);
    match K {
        MOVS => {
            let v = cpu.ld::<W>(src_addr(cpu, op))?;
            cpu.st::<W>(cpu.regs[7], v)?;
            cpu.regs[6] = cpu.regs[6].wrapping_add(d);
            cpu.regs[7] = cpu.regs[7].wrapping_add(d);
        }
        STOS => {
            let v = cpu.get_r::<W>(0);
            cpu.st::<W>(cpu.regs[7], v)?;
            cpu.regs[7] = cpu.regs[7].wrapping_add(d);
        }
        LODS => {
            let v = cpu.ld::<W>(src_addr(cpu, op))?;
            cpu.put_r::<W>(0, v);
            cpu.regs[6] = cpu.regs[6].wrapping_add(d);
        }
        CMPS => {
            let a = cpu.ld::<W>(src_addr(cpu, op))?;
            let b = cpu.ld::<W>(cpu.regs[7])?;
            alu::<CMP, W>(cpu, a, b);
            cpu.regs[6] = cpu.regs[6].wrapping_add(d);
            cpu.regs[7] = cpu.regs[7].wrapping_add(d);
        }
        _ => {
            let b = cpu.ld::<W>(cpu.regs[7])?;
            let a = cpu.get_r::<W>(0);
            alu::<CMP, W>(cpu, a, b);
            cpu.regs[7] = cpu.regs[7].wrapping_add(d);
        }
    }
    Ok(())
}

fn single<const K: u8, const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| once::<K, W>(cpu, op))
}

/// The repeated form, one element at a time.
fn rep_body<const K: u8, const W: u32, const P: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    while cpu.regs[1] != 0 {
        once::<K, W>(cpu, op)?;
        cpu.regs[1] -= 1;
        if K == CMPS || K == SCAS {
            let z = cpu.lf.zf();
            if (P == REPE && !z) || (P == REPNE && z) {
                break;
            }
        }
    }
    Ok(())
}

fn rep<const K: u8, const W: u32, const P: u8>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| rep_body::<K, W, P>(cpu, op))
}

#[cold]
fn fault(cpu: &mut Cpu, f: Fault, addr: u64) -> Stop {
    cpu.fault = FaultInfo { addr, kind: f.kind, access: f.access };
    Stop::Fault
}

/// Host pointer to the readable guest byte at `addr`.
#[inline(always)]
fn read_ptr(cpu: &mut Cpu, addr: u64) -> Result<*const u8, Stop> {
    if let Some(p) = cpu.mem.fast_read_ptr::<1>(addr) {
        return Ok(p);
    }
    match cpu.mem.tlb_fill_read(addr >> 12) {
        // SAFETY: the frame is 4 KiB and the offset is below 4096.
        Ok(h) => Ok(unsafe { h.add((addr & PAGE_MASK) as usize) }),
        Err(f) => Err(fault(cpu, f, addr)),
    }
}

/// Host pointer to the writable guest byte at `addr`; drops decoded code on that page.
#[inline(always)]
fn write_ptr(cpu: &mut Cpu, addr: u64) -> Result<*mut u8, Stop> {
    if let Some(p) = cpu.mem.fast_write_ptr::<1>(addr) {
        return Ok(p);
    }
    match cpu.mem.tlb_fill_write(addr >> 12) {
        Ok((h, code)) => {
            if code {
                cpu.cache.invalidate_page(addr >> 12);
            }
            // SAFETY: the frame is 4 KiB and the offset is below 4096.
            Ok(unsafe { h.add((addr & PAGE_MASK) as usize) })
        }
        Err(f) => Err(fault(cpu, f, addr)),
    }
}

/// Whole W-bit elements from `addr` to the end of its page.
#[inline(always)]
fn room<const W: u32>(addr: u64) -> u64 {
    (PAGE_SIZE - (addr & PAGE_MASK)) / (W as u64 / 8)
}

/// REP MOVS with DF=0, a page-bounded chunk at a time.
fn rep_movs_fast<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if cpu.df() {
            return rep_body::<MOVS, W, REPE>(cpu, op);
        }
        let sz = W as u64 / 8;
        while cpu.regs[1] != 0 {
            let src = src_addr(cpu, op);
            let dst = cpu.regs[7];
            let k = cpu.regs[1].min(room::<W>(src)).min(room::<W>(dst));
            if k == 0 {
                // An element straddles a page boundary.
                once::<MOVS, W>(cpu, op)?;
                cpu.regs[1] -= 1;
                continue;
            }
            let s = read_ptr(cpu, src)?;
            let d = write_ptr(cpu, dst)?;
            let len = (k * sz) as usize;
            let (su, du) = (s as usize, d as usize);
            if du > su && du < su + len {
                // Forward overlap: later elements read what earlier ones wrote.
                let delta = du - su;
                if delta >= sz as usize {
                    // Element order and byte order agree: copy in runs of `delta` bytes.
                    let mut done = 0;
                    while done < len {
                        let n = delta.min(len - done);
                        // SAFETY: both ranges lie in live frames (checked above) and a run of
                        // at most `delta` bytes does not overlap its own destination.
                        unsafe { std::ptr::copy_nonoverlapping(s.add(done), d.add(done), n) };
                        done += n;
                    }
                } else {
                    for i in 0..k as usize {
                        // SAFETY: element i lies inside both checked ranges.
                        unsafe {
                            let mut v = [0u8; 8];
                            std::ptr::copy_nonoverlapping(
                                s.add(i * sz as usize),
                                v.as_mut_ptr(),
                                sz as usize,
                            );
                            std::ptr::copy_nonoverlapping(v.as_ptr(), d.add(i * sz as usize), sz as usize);
                        }
                    }
                }
            } else {
                // SAFETY: both ranges are inside live frames; backward overlap is memmove.
                unsafe { std::ptr::copy(s, d, len) };
            }
            cpu.regs[6] = cpu.regs[6].wrapping_add(k * sz);
            cpu.regs[7] = dst.wrapping_add(k * sz);
            cpu.regs[1] -= k;
        }
        Ok(())
    })
}

/// REP STOS with DF=0, a page-bounded chunk at a time.
fn rep_stos_fast<const W: u32>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        if cpu.df() {
            return rep_body::<STOS, W, REPE>(cpu, op);
        }
        let sz = W as u64 / 8;
        let v = cpu.get_r::<W>(0).to_le_bytes();
        while cpu.regs[1] != 0 {
            let dst = cpu.regs[7];
            let k = cpu.regs[1].min(room::<W>(dst));
            if k == 0 {
                once::<STOS, W>(cpu, op)?;
                cpu.regs[1] -= 1;
                continue;
            }
            let d = write_ptr(cpu, dst)?;
            if W == 8 {
                // SAFETY: k bytes from d stay inside the checked frame.
                unsafe { std::ptr::write_bytes(d, v[0], k as usize) };
            } else {
                for i in 0..k as usize {
                    // SAFETY: element i stays inside the checked frame.
                    unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), d.add(i * sz as usize), sz as usize) };
                }
            }
            cpu.regs[7] = dst.wrapping_add(k * sz);
            cpu.regs[1] -= k;
        }
        Ok(())
    })
}

fn xlat(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let a = cpu.regs[3].wrapping_add(cpu.regs[0] & 0xff).wrapping_add(cpu.seg_base[op.seg as usize]);
        let v = cpu.ld8(a)?;
        cpu.put_r::<8>(0, v as u64);
        Ok(())
    })
}

fn seg_slot(r: Register) -> u8 {
    match r {
        Register::FS => 1,
        Register::GS => 2,
        _ => 0,
    }
}

/// Picks the handler for one string instruction of kind K.
fn build<const K: u8>(i: &Instruction, op: &mut Op) -> Option<Handler> {
    // 64-bit address size only.
    if !i.op_kinds().any(|k| matches!(k, OpKind::MemorySegRSI | OpKind::MemoryESRDI)) {
        return None;
    }
    op.seg = seg_slot(i.memory_segment());
    let w = i.memory_size().size() as u32 * 8;
    let p = if i.has_repne_prefix() {
        REPNE
    } else if i.has_rep_prefix() {
        REPE
    } else {
        NONE
    };
    let hs: [Handler; 4] = match (K, p) {
        (_, NONE) => [single::<K, 8>, single::<K, 16>, single::<K, 32>, single::<K, 64>],
        (MOVS, REPE) => [rep_movs_fast::<8>, rep_movs_fast::<16>, rep_movs_fast::<32>, rep_movs_fast::<64>],
        (STOS, REPE) => [rep_stos_fast::<8>, rep_stos_fast::<16>, rep_stos_fast::<32>, rep_stos_fast::<64>],
        (MOVS | STOS | LODS, REPNE) => return None,
        (_, REPE) => [rep::<K, 8, REPE>, rep::<K, 16, REPE>, rep::<K, 32, REPE>, rep::<K, 64, REPE>],
        _ => [rep::<K, 8, REPNE>, rep::<K, 16, REPNE>, rep::<K, 32, REPNE>, rep::<K, 64, REPNE>],
    };
    super::by_width(w, hs)
}

pub(super) fn register(t: &mut Table) {
    use Code as C;
    for c in [C::Movsb_m8_m8, C::Movsw_m16_m16, C::Movsd_m32_m32, C::Movsq_m64_m64] {
        t.set(c, build::<MOVS>);
    }
    for c in [C::Stosb_m8_AL, C::Stosw_m16_AX, C::Stosd_m32_EAX, C::Stosq_m64_RAX] {
        t.set(c, build::<STOS>);
    }
    for c in [C::Lodsb_AL_m8, C::Lodsw_AX_m16, C::Lodsd_EAX_m32, C::Lodsq_RAX_m64] {
        t.set(c, build::<LODS>);
    }
    for c in [C::Cmpsb_m8_m8, C::Cmpsw_m16_m16, C::Cmpsd_m32_m32, C::Cmpsq_m64_m64] {
        t.set(c, build::<CMPS>);
    }
    for c in [C::Scasb_AL_m8, C::Scasw_AX_m16, C::Scasd_EAX_m32, C::Scasq_RAX_m64] {
        t.set(c, build::<SCAS>);
    }
    t.set(C::Xlat_m8, |i, op| {
        // Only the 64-bit address size: [rbx + al].
        if i.memory_base() != Register::RBX {
            return None;
        }
        op.seg = seg_slot(i.memory_segment());
        Some(xlat)
    });
}
