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

/// Linux's baud-rate codes (CBAUD) and the speeds they stand for: 0..=15, then
/// CBAUDEX (0o10000) + 1..=15.
const SPEEDS: [u32; 31] = [
    0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
    230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000,
    4000000,
];

/// The speed of Linux baud code `code` (CBAUD bits).
fn speed(code: u32) -> Option<u32> {
    let i = if code & 0o10000 != 0 { 15 + (code & 0o7777) } else { code };
    SPEEDS.get(i as usize).copied().filter(|_| code & 0o10000 == 0 || code & 0o7777 != 0)
}

/// `cur` (the host terminal's attributes) with the guest's Linux termios `t` in place:
/// the same encoding here, the speeds from the CBAUD/CIBAUD codes.
pub fn termios_from_linux(mut cur: Termios, t: &crate::abi::io::Termios) -> rustix::io::Result<Termios> {
    use rustix::termios::{ControlModes, InputModes, LocalModes, OutputModes};
    cur.input_modes = InputModes::from_bits_retain(t.iflag);
    cur.output_modes = OutputModes::from_bits_retain(t.oflag);
    cur.control_modes = ControlModes::from_bits_retain(t.cflag);
    cur.local_modes = LocalModes::from_bits_retain(t.lflag);
    cur.line_discipline = t.line;
    for (i, v) in CC.into_iter().enumerate() {
        cur.special_codes[v] = t.cc[i];
    }
    const CBAUD: u32 = 0o10017;
    let out = speed(t.cflag & CBAUD).ok_or(rustix::io::Errno::INVAL)?;
    let inp = match (t.cflag >> 16) & CBAUD {
        0 => out,
        c => speed(c).ok_or(rustix::io::Errno::INVAL)?,
    };
    cur.set_output_speed(out)?;
    cur.set_input_speed(inp)?;
    Ok(cur)
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
