//! Process identity and lifetime: exit, ids, uname, limits, arch_prctl, TID address,
//! robust list, futex (one thread), affinity, getrandom.

use super::{read_guest, write_guest, Args, SysResult};
use crate::abi::errno as E;
use crate::world::Clock;
use crate::{host, Outcome, Process};

pub(super) fn exit_group(p: &mut Process, a: &Args) -> SysResult {
    p.exit_all_robust_lists();
    p.outcome = Some(Outcome::Exited((a[0] & 0xff) as i32));
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

pub(super) fn getpid(p: &mut Process, _: &Args) -> SysResult {
    Ok(p.world().pid() as u64)
}

pub(super) fn getppid(p: &mut Process, _: &Args) -> SysResult {
    Ok(p.world().ppid() as u64)
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
    let mut b = [0u8; 65 * 6];
    let fields: [&[u8]; 6] =
        [b"Linux", &p.world().hostname(), b"6.1.0-emu", b"#1 SMP PREEMPT_DYNAMIC emu", b"x86_64", b"(none)"];
    for (i, f) in fields.iter().enumerate() {
        let n = f.len().min(64);
        b[i * 65..i * 65 + n].copy_from_slice(&f[..n]);
    }
    write_guest(p, a[0], &b)?;
    Ok(0)
}

const ARCH_SET_GS: u64 = 0x1001;
const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;
const ARCH_GET_GS: u64 = 0x1004;
const ARCH_GET_CPUID: u64 = 0x1011;
const ARCH_SET_CPUID: u64 = 0x1012;

pub(super) fn arch_prctl(p: &mut Process, a: &Args) -> SysResult {
    let canonical = |v: u64| v < 0x8000_0000_0000;
    match a[0] {
        ARCH_SET_FS if canonical(a[1]) => p.cpu.set_fs_base(a[1]),
        ARCH_SET_GS if canonical(a[1]) => p.cpu.set_gs_base(a[1]),
        ARCH_SET_FS | ARCH_SET_GS => return Err(E::EPERM),
        ARCH_GET_FS => write_guest(p, a[1], &p.cpu.fs_base().to_le_bytes())?,
        ARCH_GET_GS => write_guest(p, a[1], &p.cpu.gs_base().to_le_bytes())?,
        ARCH_GET_CPUID => return Ok(1),
        ARCH_SET_CPUID => return Err(E::ENODEV),
        _ => return Err(E::EINVAL),
    }
    Ok(0)
}

pub(super) fn set_tid_address(p: &mut Process, a: &Args) -> SysResult {
    p.cur_mut().clear_child_tid = a[0];
    Ok(p.tid() as u64)
}

pub(super) fn set_robust_list(p: &mut Process, a: &Args) -> SysResult {
    if a[1] != 24 {
        return Err(E::EINVAL);
    }
    p.cur_mut().robust_list = (a[0], a[1]);
    Ok(0)
}

const RLIMIT_STACK: u64 = 3;
const RLIMIT_NOFILE: u64 = 7;
const RLIM_INFINITY: u64 = u64::MAX;

fn rlimit(res: u64) -> Result<(u64, u64), i32> {
    Ok(match res {
        RLIMIT_STACK => (emu_loader::STACK_SIZE, RLIM_INFINITY),
        RLIMIT_NOFILE => (crate::fd::MAX_FDS as u64, crate::fd::MAX_FDS as u64),
        0..=15 => (RLIM_INFINITY, RLIM_INFINITY),
        _ => return Err(E::EINVAL),
    })
}

pub(super) fn getrlimit(p: &mut Process, a: &Args) -> SysResult {
    let (cur, max) = rlimit(a[0])?;
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&cur.to_le_bytes());
    b[8..].copy_from_slice(&max.to_le_bytes());
    write_guest(p, a[1], &b)?;
    Ok(0)
}

pub(super) fn prlimit64(p: &mut Process, a: &Args) -> SysResult {
    if a[0] != 0 && a[0] as i32 != p.world().pid() {
        return Err(E::ESRCH);
    }
    let (cur, max) = rlimit(a[1])?;
    if a[3] != 0 {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&cur.to_le_bytes());
        b[8..].copy_from_slice(&max.to_le_bytes());
        write_guest(p, a[3], &b)?;
    }
    if a[2] != 0 {
        // New limits are accepted but not enforced (emu does not cap guest resources).
        read_guest(p, a[2], 16)?;
    }
    Ok(0)
}

/// getrusage: CPU time from the world (virtual in deterministic mode), all of it counted
/// as user time; the peak resident size is the guest's resident memory.
pub(super) fn getrusage(p: &mut Process, a: &Args) -> SysResult {
    const RUSAGE_CHILDREN: i32 = -1;
    let mut b = [0u8; 144];
    let ns = match a[0] as i32 {
        0 | 1 => p.world().cpu_time_ns(),
        RUSAGE_CHILDREN => p.world().children_cpu_time_ns(),
        _ => return Err(E::EINVAL),
    };
    b[0..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    b[8..16].copy_from_slice(&((ns % 1_000_000_000) / 1000).to_le_bytes());
    if a[0] as i32 != RUSAGE_CHILDREN {
        let rss_kb = p.cpu.mem.resident_bytes() / 1024;
        b[32..40].copy_from_slice(&rss_kb.to_le_bytes());
    }
    write_guest(p, a[1], &b)?;
    Ok(0)
}

/// times: CPU times in clock ticks (100 Hz, as sysconf(_SC_CLK_TCK) says) and the
/// monotonic clock in ticks as the result, all from the world.
pub(super) fn times(p: &mut Process, a: &Args) -> SysResult {
    const NS_PER_TICK: u64 = 10_000_000;
    if a[0] != 0 {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&(p.world().cpu_time_ns() / NS_PER_TICK).to_le_bytes());
        b[16..24].copy_from_slice(&(p.world().children_cpu_time_ns() / NS_PER_TICK).to_le_bytes());
        write_guest(p, a[0], &b)?;
    }
    let (s, ns) = p.world().clock_gettime(Clock::Monotonic);
    Ok((s.max(0) as u64) * 100 + ns.max(0) as u64 / NS_PER_TICK)
}

pub(super) fn sched_getaffinity(p: &mut Process, a: &Args) -> SysResult {
    let len = a[1] as usize;
    if len < 8 || len % 8 != 0 {
        return Err(E::EINVAL);
    }
    // One CPU, as the CPUID model and /proc/cpuinfo say.
    let mut b = vec![0u8; 8];
    b[0] = 1;
    write_guest(p, a[2], &b)?;
    Ok(8)
}

pub(super) fn getrandom(p: &mut Process, a: &Args) -> SysResult {
    if a[2] & !7 != 0 {
        return Err(E::EINVAL);
    }
    let n = a[1].min(1 << 25) as usize;
    let mut b = vec![0u8; n];
    p.world().random_bytes(&mut b);
    write_guest(p, a[0], &b)?;
    Ok(n as u64)
}

pub(super) fn getcpu(p: &mut Process, a: &Args) -> SysResult {
    for addr in [a[0], a[1]] {
        if addr != 0 {
            write_guest(p, addr, &0u32.to_le_bytes())?;
        }
    }
    Ok(0)
}

const PR_SET_PDEATHSIG: u64 = 1;
const PR_GET_PDEATHSIG: u64 = 2;
const PR_GET_DUMPABLE: u64 = 3;
const PR_SET_DUMPABLE: u64 = 4;
const PR_SET_NAME: u64 = 15;
const PR_GET_NAME: u64 = 16;
const PR_GET_SECCOMP: u64 = 21;
const PR_SET_NO_NEW_PRIVS: u64 = 38;
const PR_GET_NO_NEW_PRIVS: u64 = 39;

pub(super) fn prctl(p: &mut Process, a: &Args) -> SysResult {
    match a[0] {
        PR_SET_NAME => {
            let n = p.cpu.mem.read_cstr(a[1], 15).map_err(|_| E::EFAULT)?;
            p.comm = n;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut b = [0u8; 16];
            let n = p.comm.len().min(15);
            b[..n].copy_from_slice(&p.comm[..n]);
            write_guest(p, a[1], &b)?;
            Ok(0)
        }
        PR_SET_PDEATHSIG => Ok(0),
        PR_GET_PDEATHSIG => {
            write_guest(p, a[1], &0i32.to_le_bytes())?;
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
/// guest's behalf, so requests that keep the current ids succeed and others are refused.
fn keep_ids(want: &[u64], cur: u32) -> SysResult {
    if want.iter().all(|&w| w as u32 == u32::MAX || w as u32 == cur) {
        Ok(0)
    } else {
        Err(E::EPERM)
    }
}

pub(super) fn setuid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(&a.0[..1], host::ids()[1])
}

pub(super) fn setgid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(&a.0[..1], host::ids()[3])
}

pub(super) fn setreuid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(&a.0[..2], host::ids()[1])
}

pub(super) fn setregid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(&a.0[..2], host::ids()[3])
}

pub(super) fn setresuid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(&a.0[..3], host::ids()[1])
}

pub(super) fn setresgid(_: &mut Process, a: &Args) -> SysResult {
    keep_ids(&a.0[..3], host::ids()[3])
}

fn write_ids(p: &mut Process, a: &Args, ids: [u32; 3]) -> SysResult {
    for (addr, v) in a.0[..3].iter().zip(ids) {
        write_guest(p, *addr, &v.to_le_bytes())?;
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
    if a[0] == 0 {
        return Ok(1);
    }
    write_guest(p, a[1], &host::ids()[2].to_le_bytes())?;
    Ok(1)
}

/// sysinfo: uptime from the world's monotonic clock; memory figures are a fixed, plausible
/// machine (16 GiB, half free) so that programs sizing caches from them behave the same
/// on every host.
pub(super) fn sysinfo(p: &mut Process, a: &Args) -> SysResult {
    let mut b = [0u8; 112];
    let (up, _) = p.world().clock_gettime(Clock::Monotonic);
    b[0..8].copy_from_slice(&up.to_le_bytes());
    let total: u64 = 16 << 30;
    b[32..40].copy_from_slice(&total.to_le_bytes());
    b[40..48].copy_from_slice(&(total / 2).to_le_bytes());
    b[80..82].copy_from_slice(&1u16.to_le_bytes());
    b[104..108].copy_from_slice(&1u32.to_le_bytes());
    write_guest(p, a[0], &b)?;
    Ok(0)
}
