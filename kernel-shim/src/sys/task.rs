//! The calling task's own settings and its end: exit/exit_group, arch_prctl (FS/GS bases),
//! the TID address and robust list, prctl and personality, sched_yield and the CPU affinity.

use super::{write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::process::RobustListHead;
use crate::abi::GuestStruct;
use crate::{host, Outcome, Process};

pub(super) fn exit_group(p: &mut Process, a: &Args) -> SysResult {
    p.exit_all_robust_lists();
    p.outcome = Some(Outcome::Exited(a.int(0) & 0xff));
    Ok(0)
}

pub(super) fn exit(p: &mut Process, a: &Args) -> SysResult {
    if !p.multithreaded() {
        // The last thread's exit ends the process.
        return exit_group(p, a);
    }
    p.exit_thread();
    Ok(0)
}

pub(super) fn sched_yield(p: &mut Process, _: &Args) -> SysResult {
    // Give the CPU to the next runnable thread (the current one stays runnable).
    p.need_switch |= p.multithreaded();
    Ok(0)
}

const ARCH_SET_GS: i32 = 0x1001;
const ARCH_SET_FS: i32 = 0x1002;
const ARCH_GET_FS: i32 = 0x1003;
const ARCH_GET_GS: i32 = 0x1004;
const ARCH_GET_CPUID: i32 = 0x1011;
const ARCH_SET_CPUID: i32 = 0x1012;

pub(super) fn arch_prctl(p: &mut Process, a: &Args) -> SysResult {
    let canonical = |v: u64| v < 0x8000_0000_0000;
    // The second argument is an address to set, or where to store the current one.
    let (code, addr) = (a.int(0), a.ulong(1));
    match code {
        ARCH_SET_FS if canonical(addr) => p.cpu.set_fs_base(addr),
        ARCH_SET_GS if canonical(addr) => p.cpu.set_gs_base(addr),
        ARCH_SET_FS | ARCH_SET_GS => return Err(E::EPERM),
        ARCH_GET_FS => write_struct(p, addr, &p.cpu.fs_base())?,
        ARCH_GET_GS => write_struct(p, addr, &p.cpu.gs_base())?,
        ARCH_GET_CPUID => return Ok(1),
        ARCH_SET_CPUID => return Err(E::ENODEV),
        _ => return Err(E::EINVAL),
    }
    Ok(0)
}

pub(super) fn set_tid_address(p: &mut Process, a: &Args) -> SysResult {
    p.cur_mut().clear_child_tid = a.ptr(0);
    Ok(p.tid() as u64)
}

pub(super) fn set_robust_list(p: &mut Process, a: &Args) -> SysResult {
    let (head, len) = (a.ptr(0), a.ulong(1));
    if len != RobustListHead::SIZE as u64 {
        return Err(E::EINVAL);
    }
    p.cur_mut().robust_list = (head, len);
    Ok(0)
}

pub(super) fn sched_getaffinity(p: &mut Process, a: &Args) -> SysResult {
    let (len, mask) = (a.uint(1), a.ptr(2));
    if len < 8 || len % 8 != 0 {
        return Err(E::EINVAL);
    }
    // One CPU, as the CPUID model and /proc/cpuinfo say.
    write_struct(p, mask, &1u64)?;
    Ok(8)
}

const PR_SET_PDEATHSIG: i32 = 1;
const PR_GET_PDEATHSIG: i32 = 2;
const PR_GET_DUMPABLE: i32 = 3;
const PR_SET_DUMPABLE: i32 = 4;
const PR_GET_KEEPCAPS: i32 = 7;
const PR_SET_KEEPCAPS: i32 = 8;
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;
const PR_GET_SECCOMP: i32 = 21;
const PR_SET_SECCOMP: i32 = 22;
const PR_CAPBSET_READ: i32 = 23;
const PR_CAPBSET_DROP: i32 = 24;
const PR_GET_TSC: i32 = 25;
const PR_SET_TSC: i32 = 26;
const PR_SET_TIMERSLACK: i32 = 29;
const PR_GET_TIMERSLACK: i32 = 30;
const PR_SET_MM: i32 = 35;
const PR_SET_CHILD_SUBREAPER: i32 = 36;
const PR_GET_CHILD_SUBREAPER: i32 = 37;
const PR_SET_NO_NEW_PRIVS: i32 = 38;
const PR_GET_NO_NEW_PRIVS: i32 = 39;
const PR_SET_THP_DISABLE: i32 = 41;
const PR_GET_THP_DISABLE: i32 = 42;
const PR_CAP_AMBIENT: i32 = 47;
const PR_SET_VMA: i32 = 0x5356_4d41;

const PR_TSC_ENABLE: i32 = 1;
const PR_CAP_AMBIENT_IS_SET: u64 = 1;
const PR_CAP_AMBIENT_RAISE: u64 = 2;
const PR_CAP_AMBIENT_LOWER: u64 = 3;
const PR_CAP_AMBIENT_CLEAR_ALL: u64 = 4;

pub(super) fn prctl(p: &mut Process, a: &Args) -> SysResult {
    use crate::abi::task::CAP_LAST_CAP;
    // The second argument is a pointer for the calls below that take one.
    let (option, arg2) = (a.int(0), a.ulong(1));
    // Options that take fewer arguments than five want the rest zero.
    let unused_zero = |from: usize| (from..5).all(|i| a.ulong(i) == 0);
    let s = &mut p.settings;
    match option {
        PR_SET_NAME => {
            let n = p.cpu.mem.read_cstr(arg2, 15).map_err(|_| E::EFAULT)?;
            p.comm = n;
        }
        PR_GET_NAME => {
            let mut b = [0u8; 16];
            let n = p.comm.len().min(15);
            b[..n].copy_from_slice(&p.comm[..n]);
            write_struct(p, arg2, &b)?;
        }
        PR_SET_PDEATHSIG => {
            if arg2 > 64 {
                return Err(E::EINVAL);
            }
            // The host sends it to emu, which hands it to the guest.
            host::set_parent_death_signal(arg2 as i32)?;
            s.pdeathsig = arg2 as i32;
        }
        PR_GET_PDEATHSIG => {
            let v = s.pdeathsig;
            write_struct(p, arg2, &v)?;
        }
        PR_GET_DUMPABLE => return Ok(s.dumpable as u64),
        PR_SET_DUMPABLE if arg2 <= 1 => s.dumpable = arg2 as i32,
        PR_GET_KEEPCAPS => return Ok(s.keepcaps as u64),
        PR_SET_KEEPCAPS if arg2 <= 1 => s.keepcaps = arg2 == 1,
        PR_GET_SECCOMP => return Ok(0),
        PR_CAPBSET_READ if arg2 <= CAP_LAST_CAP as u64 => {
            return Ok(host::capability_bounded(arg2 as u32)? as u64)
        }
        // Dropping from the bounding set needs CAP_SETPCAP, which the guest has not.
        PR_CAPBSET_DROP if arg2 <= CAP_LAST_CAP as u64 => return Err(E::EPERM),
        PR_GET_TSC => write_struct(p, arg2, &PR_TSC_ENABLE)?,
        PR_SET_TSC if arg2 == PR_TSC_ENABLE as u64 => {}
        PR_SET_TSC => return Err(E::EINVAL),
        PR_GET_TIMERSLACK => return Ok(s.timerslack_ns),
        // 0 restores the default.
        PR_SET_TIMERSLACK => s.timerslack_ns = if arg2 == 0 { 50_000 } else { arg2 },
        PR_SET_MM => return Err(E::EPERM),
        PR_SET_CHILD_SUBREAPER => {
            host::set_child_subreaper(arg2 != 0)?;
            s.subreaper = arg2 != 0;
        }
        PR_GET_CHILD_SUBREAPER => {
            let v = s.subreaper as i32;
            write_struct(p, arg2, &v)?;
        }
        PR_SET_NO_NEW_PRIVS if arg2 == 1 && unused_zero(2) => s.no_new_privs = true,
        PR_GET_NO_NEW_PRIVS if unused_zero(1) => return Ok(s.no_new_privs as u64),
        PR_SET_THP_DISABLE if unused_zero(2) => s.thp_disable = arg2 != 0,
        PR_GET_THP_DISABLE if unused_zero(1) => return Ok(s.thp_disable as u64),
        // The ambient set is empty and stays so (raising needs the capability).
        PR_CAP_AMBIENT => match arg2 {
            PR_CAP_AMBIENT_IS_SET | PR_CAP_AMBIENT_LOWER if a.ulong(2) <= CAP_LAST_CAP as u64 => {}
            PR_CAP_AMBIENT_CLEAR_ALL if a.ulong(2) == 0 => {}
            PR_CAP_AMBIENT_RAISE if a.ulong(2) <= CAP_LAST_CAP as u64 => return Err(E::EPERM),
            _ => return Err(E::EINVAL),
        },
        // Seccomp filters and named anonymous mappings: refused as by a kernel built
        // without them.
        PR_SET_SECCOMP | PR_SET_VMA => return Err(E::EINVAL),
        _ => return Err(E::EINVAL),
    }
    Ok(0)
}

/// personality(2): 0xffffffff asks; anything else is set (the execution domain is Linux
/// whatever is asked; the flags are kept) and the previous one returned.
pub(super) fn personality(p: &mut Process, a: &Args) -> SysResult {
    let persona = a.uint(0);
    let old = p.settings.personality;
    if persona != u32::MAX {
        p.settings.personality = persona;
    }
    Ok(old as u64)
}
