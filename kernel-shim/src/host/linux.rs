//! What differs on a Linux host: mostly nothing to translate, since the host speaks the
//! guest's numbering.

use super::ffi;
use rustix::fd::OwnedFd;
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use rustix::termios::{SpecialCodeIndex as V, Termios};

/// The host's AT_FDCWD.
pub const AT_FDCWD: i32 = -100;

/// The kernel's O_LARGEFILE bit, which F_GETFL reports on 64-bit hosts (the libc crate
/// defines it as 0 there, since it is implied); None where we do not know it.
#[cfg(target_arch = "x86_64")]
pub const O_LARGEFILE: Option<u32> = Some(0o100000);
#[cfg(target_arch = "aarch64")]
pub const O_LARGEFILE: Option<u32> = Some(0o400000);
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub const O_LARGEFILE: Option<u32> = None;

pub fn dev_to_linux(d: u64) -> u64 {
    d
}

#[allow(clippy::unnecessary_cast)] // the word size of f_type varies by architecture
pub fn statfs_type(s: &rustix::fs::StatFs) -> i64 {
    s.f_type as i64
}

/// The named control characters in the order of Linux's c_cc.
const CC: [V; 17] = [
    V::VINTR,
    V::VQUIT,
    V::VERASE,
    V::VKILL,
    V::VEOF,
    V::VTIME,
    V::VMIN,
    V::VSWTC,
    V::VSTART,
    V::VSTOP,
    V::VSUSP,
    V::VEOL,
    V::VREPRINT,
    V::VDISCARD,
    V::VWERASE,
    V::VLNEXT,
    V::VEOL2,
];

/// Sets a terminal's attributes: the guest's struct is this kernel's own, so it goes to
/// TCSETS, TCSETSW or TCSETSF (by `when`) as it is, and reads back as it was given.
pub fn tcsetattr(fd: i32, when: super::When, t: &crate::abi::io::Termios) -> super::HostResult<()> {
    use crate::abi::GuestStruct;
    let req = match when {
        super::When::Now => crate::abi::tty::TCSETS,
        super::When::Drain => crate::abi::tty::TCSETSW,
        super::When::Flush => crate::abi::tty::TCSETSF,
    };
    let mut b = [0u8; crate::abi::io::Termios::SIZE];
    t.write(&mut b);
    ffi::tcsets(fd, req, &b)
}

/// The host's termios, already in Linux encoding, in Linux's `struct termios` layout.
pub fn termios_to_linux(t: &Termios) -> [u8; 60] {
    let mut b = [0u8; 60];
    b[0..4].copy_from_slice(&t.input_modes.bits().to_le_bytes());
    b[4..8].copy_from_slice(&t.output_modes.bits().to_le_bytes());
    b[8..12].copy_from_slice(&t.control_modes.bits().to_le_bytes());
    b[12..16].copy_from_slice(&t.local_modes.bits().to_le_bytes());
    b[16] = t.line_discipline;
    // c_cc in Linux's order; entries 17 and 18 have no name and stay 0.
    for (i, v) in CC.into_iter().enumerate() {
        b[17 + i] = t.special_codes[v];
    }
    b
}

/// What host fd `h` names, as its /proc/self/fd link shows it (`/dev/null`, `pipe:[1234]`).
pub fn fd_target(h: i32) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    std::fs::read_link(format!("/proc/self/fd/{h}")).ok().map(|p| p.into_os_string().into_vec())
}

pub fn pipe_cloexec() -> rustix::io::Result<(OwnedFd, OwnedFd)> {
    rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
}

pub fn socketpair_cloexec(ty: SocketType) -> rustix::io::Result<(OwnedFd, OwnedFd)> {
    rustix::net::socketpair(AddressFamily::UNIX, ty, SocketFlags::CLOEXEC, None)
}

/// The private host signal of the timer wake-ups: a real-time signal glibc does not
/// reserve and emu does not forward.
pub fn wake_signal() -> i32 {
    ffi::sigrtmax() - 1
}

pub fn getentropy(buf: &mut [u8]) -> rustix::io::Result<()> {
    let mut got = 0;
    while got < buf.len() {
        got += rustix::rand::getrandom(&mut buf[got..], rustix::rand::GetRandomFlags::empty())?;
    }
    Ok(())
}

/// An anonymous memory file (memfd_create), close-on-exec.
pub fn memfd(name: &[u8]) -> rustix::io::Result<OwnedFd> {
    let name = std::ffi::CString::new(name).map_err(|_| rustix::io::Errno::INVAL)?;
    rustix::fs::memfd_create(name.as_c_str(), rustix::fs::MemfdFlags::CLOEXEC)
}

fn pid_arg(pid: i32) -> Option<rustix::process::Pid> {
    rustix::process::Pid::from_raw(pid)
}

pub fn capabilities(pid: i32) -> super::HostResult<[u64; 3]> {
    let c = rustix::thread::capabilities(pid_arg(pid)).map_err(super::errno::linux)?;
    Ok([c.effective.bits(), c.permitted.bits(), c.inheritable.bits()])
}

pub fn set_capabilities(pid: i32, [e, p, i]: [u64; 3]) -> super::HostResult<()> {
    use rustix::thread::{CapabilitySet as C, CapabilitySets};
    let sets = CapabilitySets {
        effective: C::from_bits_retain(e),
        permitted: C::from_bits_retain(p),
        inheritable: C::from_bits_retain(i),
    };
    rustix::thread::set_capabilities(pid_arg(pid), sets).map_err(super::errno::linux)
}

pub fn scheduler(pid: i32) -> super::HostResult<(i32, i32)> {
    ffi::scheduler(pid)
}

pub fn set_scheduler(pid: i32, policy: i32, priority: i32) -> super::HostResult<()> {
    ffi::set_scheduler(pid, policy, priority)
}

pub fn rr_interval(pid: i32) -> super::HostResult<(i64, i64)> {
    ffi::rr_interval(pid)
}

pub fn pidfd_open(pid: i32, nonblock: bool) -> super::HostResult<i32> {
    use rustix::fd::IntoRawFd;
    use rustix::process::PidfdFlags;
    let pid = pid_arg(pid).ok_or(crate::abi::errno::EINVAL)?;
    let flags = if nonblock { PidfdFlags::NONBLOCK } else { PidfdFlags::empty() };
    let fd = rustix::process::pidfd_open(pid, flags).map_err(super::errno::linux)?;
    // pidfds are close-on-exec from the start.
    Ok(fd.into_raw_fd())
}

/// The pid of a pidfd, from the `Pid:` line of its /proc fdinfo.
pub fn pidfd_pid(fd: i32) -> super::HostResult<i32> {
    let info =
        std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).map_err(|_| crate::abi::errno::EBADF)?;
    info.lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or(crate::abi::errno::EBADF)
}
