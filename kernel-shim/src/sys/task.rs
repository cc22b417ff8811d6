//! The calling task's own settings and its end: exit/exit_group, arch_prctl (FS/GS bases),
//! the TID address and robust list, prctl, sched_yield and the CPU affinity.

use super::{write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::process::RobustListHead;
use crate::abi::GuestStruct;
use crate::{Outcome, Process};

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
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;
const PR_GET_SECCOMP: i32 = 21;
const PR_SET_NO_NEW_PRIVS: i32 = 38;
const PR_GET_NO_NEW_PRIVS: i32 = 39;

pub(super) fn prctl(p: &mut Process, a: &Args) -> SysResult {
    // The second argument is a pointer for the calls below that take one.
    let (option, arg2) = (a.int(0), a.ulong(1));
    match option {
        PR_SET_NAME => {
            let n = p.cpu.mem.read_cstr(arg2, 15).map_err(|_| E::EFAULT)?;
            p.comm = n;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut b = [0u8; 16];
            let n = p.comm.len().min(15);
            b[..n].copy_from_slice(&p.comm[..n]);
            write_struct(p, arg2, &b)?;
            Ok(0)
        }
        PR_SET_PDEATHSIG => Ok(0),
        PR_GET_PDEATHSIG => {
            write_struct(p, arg2, &0i32)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(1),
        PR_SET_DUMPABLE => Ok(0),
        PR_GET_SECCOMP => Ok(0),
        PR_SET_NO_NEW_PRIVS => Ok(0),
        PR_GET_NO_NEW_PRIVS => Ok(0),
        _ => Err(E::EINVAL),
    }
}
