//! Process identity and lifetime: exit, ids, uname, limits, arch_prctl, TID address,
//! robust list, futex (one thread), affinity, getrandom.

use super::{read_struct, write_array, write_guest, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::process::{Rlimit, RobustListHead, Rusage, Sysinfo, Utsname, RLIM_INFINITY};
use crate::abi::time::{Timeval, Tms};
use crate::abi::GuestStruct;
use crate::{gate, host, Outcome, Process};

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

pub(super) fn gettid(p: &mut Process, _: &Args) -> SysResult {
    Ok(p.tid() as u64)
}

pub(super) fn getpid(_: &mut Process, _: &Args) -> SysResult {
    Ok(gate::pid() as u64)
}

pub(super) fn getppid(_: &mut Process, _: &Args) -> SysResult {
    Ok(gate::ppid() as u64)
}

pub(super) fn getuid(_: &mut Process, _: &Args) -> SysResult {
    Ok(host::ids()[0] as u64)
}

pub(super) fn geteuid(_: &mut Process, _: &Args) -> SysResult {
    Ok(host::ids()[1] as u64)
}

pub(super) fn getgid(_: &mut Process, _: &Args) -> SysResult {
    Ok(host::ids()[2] as u64)
}

pub(super) fn getegid(_: &mut Process, _: &Args) -> SysResult {
    Ok(host::ids()[3] as u64)
}

pub(super) fn sched_yield(p: &mut Process, _: &Args) -> SysResult {
    // Give the CPU to the next runnable thread (the current one stays runnable).
    p.need_switch |= p.multithreaded();
    Ok(0)
}

/// The utsname the guest sees: a Linux x86-64 machine whatever the host is.
pub(super) fn uname(p: &mut Process, a: &Args) -> SysResult {
    let u = Utsname::new([
        b"Linux",
        &gate::hostname(),
        b"6.1.0-emu",
        b"#1 SMP PREEMPT_DYNAMIC emu",
        b"x86_64",
        b"(none)",
    ]);
    write_struct(p, a.ptr(0), &u)?;
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

const RLIMIT_STACK: u32 = 3;
const RLIMIT_NOFILE: u32 = 7;

fn rlimit(res: u32) -> Result<Rlimit, i32> {
    let (cur, max) = match res {
        RLIMIT_STACK => (emu_loader::STACK_SIZE, RLIM_INFINITY),
        RLIMIT_NOFILE => (crate::fd::MAX_FDS as u64, crate::fd::MAX_FDS as u64),
        0..=15 => (RLIM_INFINITY, RLIM_INFINITY),
        _ => return Err(E::EINVAL),
    };
    Ok(Rlimit { cur, max })
}

pub(super) fn getrlimit(p: &mut Process, a: &Args) -> SysResult {
    let lim = rlimit(a.uint(0))?;
    write_struct(p, a.ptr(1), &lim)?;
    Ok(0)
}

pub(super) fn prlimit64(p: &mut Process, a: &Args) -> SysResult {
    let (pid, resource, new, old) = (a.pid(0), a.uint(1), a.ptr(2), a.ptr(3));
    if pid != 0 && pid != gate::pid() {
        return Err(E::ESRCH);
    }
    let lim = rlimit(resource)?;
    if old != 0 {
        write_struct(p, old, &lim)?;
    }
    if new != 0 {
        // New limits are accepted but not enforced (emu does not cap guest resources).
        read_struct::<Rlimit>(p, new)?;
    }
    Ok(0)
}

/// getrusage: CPU time from the gate (virtual in deterministic mode), all of it counted
/// as user time; the peak resident size is the guest's resident memory.
pub(super) fn getrusage(p: &mut Process, a: &Args) -> SysResult {
    const RUSAGE_CHILDREN: i32 = -1;
    let who = a.int(0);
    let ns = match who {
        0 | 1 => gate::cpu_time_ns(),
        RUSAGE_CHILDREN => gate::children_cpu_time_ns(),
        _ => return Err(E::EINVAL),
    };
    let mut ru = Rusage {
        utime: Timeval::new((ns / 1_000_000_000) as i64, ((ns % 1_000_000_000) / 1000) as i64),
        ..Default::default()
    };
    if who != RUSAGE_CHILDREN {
        ru.maxrss = (p.cpu.mem.resident_bytes() / 1024) as i64;
    }
    write_struct(p, a.ptr(1), &ru)?;
    Ok(0)
}

/// times: CPU times in clock ticks (100 Hz, as sysconf(_SC_CLK_TCK) says) and the
/// monotonic clock in ticks as the result, all from the gate.
pub(super) fn times(p: &mut Process, a: &Args) -> SysResult {
    const NS_PER_TICK: u64 = 10_000_000;
    let buf = a.ptr(0);
    if buf != 0 {
        let t = Tms {
            utime: (gate::cpu_time_ns() / NS_PER_TICK) as i64,
            cutime: (gate::children_cpu_time_ns() / NS_PER_TICK) as i64,
            ..Default::default()
        };
        write_struct(p, buf, &t)?;
    }
    let (s, ns) = gate::clock_gettime(1);
    Ok((s.max(0) as u64) * 100 + ns.max(0) as u64 / NS_PER_TICK)
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

pub(super) fn getrandom(p: &mut Process, a: &Args) -> SysResult {
    let (buf, len, flags) = (a.ptr(0), a.ulong(1), a.uint(2));
    if flags & !7 != 0 {
        return Err(E::EINVAL);
    }
    let n = len.min(1 << 25) as usize;
    let mut b = vec![0u8; n];
    gate::random_bytes(&mut b);
    write_guest(p, buf, &b)?;
    Ok(n as u64)
}

pub(super) fn getcpu(p: &mut Process, a: &Args) -> SysResult {
    for addr in [a.ptr(0), a.ptr(1)] {
        if addr != 0 {
            write_struct(p, addr, &0u32)?;
        }
    }
    Ok(0)
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

/// setuid/setgid family: emu runs as the invoking user and cannot change identity on the
/// guest's behalf, so requests that keep the current ids (the first `n` arguments, each a
/// uid_t or gid_t; -1 leaves one unchanged) succeed and others are refused.
fn keep_ids(a: &Args, n: usize, cur: u32) -> SysResult {
    if (0..n).map(|i| a.uint(i)).all(|w| w == u32::MAX || w == cur) {
        Ok(0)
    } else {
        Err(E::EPERM)
    }
}

pub(super) fn setuid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 1, host::ids()[1])
}

pub(super) fn setgid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 1, host::ids()[3])
}

pub(super) fn setreuid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 2, host::ids()[1])
}

pub(super) fn setregid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 2, host::ids()[3])
}

pub(super) fn setresuid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 3, host::ids()[1])
}

pub(super) fn setresgid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(a, 3, host::ids()[3])
}

/// getresuid/getresgid: the three ids to the three pointers.
fn write_ids(p: &mut Process, a: &Args, ids: [u32; 3]) -> SysResult {
    for (i, v) in ids.iter().enumerate() {
        write_struct(p, a.ptr(i), v)?;
    }
    Ok(0)
}

pub(super) fn getresuid(p: &mut Process, a: &Args) -> SysResult {
    let i = host::ids();
    write_ids(p, a, [i[0], i[1], i[1]])
}

pub(super) fn getresgid(p: &mut Process, a: &Args) -> SysResult {
    let i = host::ids();
    write_ids(p, a, [i[2], i[3], i[3]])
}

pub(super) fn getgroups(p: &mut Process, a: &Args) -> SysResult {
    // The guest's supplementary groups: just its primary group.
    let (size, list) = (a.int(0), a.ptr(1));
    if size == 0 {
        return Ok(1);
    }
    write_array(p, list, &[host::ids()[2]])?;
    Ok(1)
}

/// sysinfo: uptime from the gate's monotonic clock; memory figures are a fixed, plausible
/// machine (16 GiB, half free) so that programs sizing caches from them behave the same
/// on every host.
pub(super) fn sysinfo(p: &mut Process, a: &Args) -> SysResult {
    let (up, _) = gate::clock_gettime(1);
    let total: u64 = 16 << 30;
    let info = Sysinfo {
        uptime: up,
        totalram: total,
        freeram: total / 2,
        procs: 1,
        mem_unit: 1,
        ..Default::default()
    };
    write_struct(p, a.ptr(0), &info)?;
    Ok(0)
}
