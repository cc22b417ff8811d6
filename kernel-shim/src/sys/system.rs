//! The machine as the guest sees it: uname, sysinfo, getrandom, getcpu.

use super::{write_guest, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::process::{Sysinfo, Utsname};
use crate::world::Clock;
use crate::Process;

/// The utsname the guest sees: a Linux x86-64 machine whatever the host is.
pub(super) fn uname(p: &mut Process, a: &Args) -> SysResult {
    let u = Utsname::new([
        b"Linux",
        &p.world().hostname(),
        b"6.1.0-emu",
        b"#1 SMP PREEMPT_DYNAMIC emu",
        b"x86_64",
        b"(none)",
    ]);
    write_struct(p, a.ptr(0), &u)?;
    Ok(0)
}

pub(super) fn getrandom(p: &mut Process, a: &Args) -> SysResult {
    let (buf, len, flags) = (a.ptr(0), a.ulong(1), a.uint(2));
    if flags & !7 != 0 {
        return Err(E::EINVAL);
    }
    let n = len.min(1 << 25) as usize;
    let mut b = vec![0u8; n];
    p.world().random_bytes(&mut b);
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

/// sysinfo: uptime from the world's monotonic clock; memory figures are a fixed, plausible
/// machine (16 GiB, half free) so that programs sizing caches from them behave the same
/// on every host.
pub(super) fn sysinfo(p: &mut Process, a: &Args) -> SysResult {
    let (up, _) = p.world().clock_gettime(Clock::Monotonic);
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
