//! What differs on a macOS (BSD-derived) host: device numbers, statfs, termios encoding,
//! no pipe2 or SOCK_CLOEXEC, no real-time signals, no getrandom.

use super::ffi;
use rustix::fd::OwnedFd;
use rustix::io::{fcntl_setfd, FdFlags};
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use rustix::termios::Termios;

/// The host's AT_FDCWD.
pub const AT_FDCWD: i32 = -2;

/// The host has no O_LARGEFILE.
pub const O_LARGEFILE: Option<u32> = None;

/// A BSD dev_t (major in the high byte, minor in the low 24 bits) as Linux's.
pub fn dev_to_linux(d: u64) -> u64 {
    let (maj, min) = ((d >> 24) & 0xff, d & 0xff_ffff);
    ((maj & 0xfff) << 8) | (min & 0xff) | ((min & !0xff) << 12)
}

pub fn statfs_type(_: &rustix::fs::StatFs) -> i64 {
    0xEF53 // report ext4, the common Linux default
}

/// A sane cooked-mode terminal in Linux encoding: the host's bits differ.
pub fn termios_to_linux(_: &Termios) -> [u8; 60] {
    let mut b = [0u8; 60];
    b[0..4].copy_from_slice(&0x500u32.to_le_bytes());
    b[4..8].copy_from_slice(&0x5u32.to_le_bytes());
    b[8..12].copy_from_slice(&0xbfu32.to_le_bytes());
    b[12..16].copy_from_slice(&0x8a3bu32.to_le_bytes());
    b
}

fn cloexec(pair: (OwnedFd, OwnedFd)) -> rustix::io::Result<(OwnedFd, OwnedFd)> {
    fcntl_setfd(&pair.0, FdFlags::CLOEXEC)?;
    fcntl_setfd(&pair.1, FdFlags::CLOEXEC)?;
    Ok(pair)
}

/// No pipe2 here: the flag is set right after (emu forks from one thread only).
pub fn pipe_cloexec() -> rustix::io::Result<(OwnedFd, OwnedFd)> {
    cloexec(rustix::pipe::pipe()?)
}

/// No SOCK_CLOEXEC here: the flag is set right after.
pub fn socketpair_cloexec(ty: SocketType) -> rustix::io::Result<(OwnedFd, OwnedFd)> {
    cloexec(rustix::net::socketpair(AddressFamily::UNIX, ty, SocketFlags::empty(), None)?)
}

/// The private host signal of the timer wake-ups: no real-time signals here; SIGINFO is
/// BSD-only and not forwarded.
pub fn wake_signal() -> i32 {
    rustix::process::Signal::INFO.as_raw()
}

pub fn getentropy(buf: &mut [u8]) -> rustix::io::Result<()> {
    ffi::getentropy(buf)
}
