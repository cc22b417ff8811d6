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

/// The host's termios, already in Linux encoding, in Linux's `struct termios` layout.
pub fn termios_to_linux(t: &Termios) -> [u8; 60] {
    let mut b = [0u8; 60];
    b[0..4].copy_from_slice(&t.input_modes.bits().to_le_bytes());
    b[4..8].copy_from_slice(&t.output_modes.bits().to_le_bytes());
    b[8..12].copy_from_slice(&t.control_modes.bits().to_le_bytes());
    b[12..16].copy_from_slice(&t.local_modes.bits().to_le_bytes());
    b[16] = t.line_discipline;
    // c_cc in Linux's order; entries 17 and 18 have no name and stay 0.
    let cc = [
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
    for (i, v) in cc.into_iter().enumerate() {
        b[17 + i] = t.special_codes[v];
    }
    b
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
