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

/// The terminal flags both encodings name, as (Linux bit, host bit), per field.
#[allow(clippy::unnecessary_cast)] // tcflag_t is not u64 everywhere
mod tflags {
    use rustix::termios::{ControlModes as C, InputModes as I, LocalModes as L, OutputModes as O};
    pub const INPUT: [(u32, u64); 9] = [
        (0o1, I::IGNBRK.bits() as u64),
        (0o2, I::BRKINT.bits() as u64),
        (0o4, I::IGNPAR.bits() as u64),
        (0o40, I::ISTRIP.bits() as u64),
        (0o100, I::INLCR.bits() as u64),
        (0o200, I::IGNCR.bits() as u64),
        (0o400, I::ICRNL.bits() as u64),
        (0o2000, I::IXON.bits() as u64),
        (0o10000, I::IXOFF.bits() as u64),
    ];
    pub const OUTPUT: [(u32, u64); 2] = [(0o1, O::OPOST.bits() as u64), (0o4, O::ONLCR.bits() as u64)];
    pub const CONTROL: [(u32, u64); 6] = [
        (0o60, C::CS8.bits() as u64),
        (0o100, C::CSTOPB.bits() as u64),
        (0o200, C::CREAD.bits() as u64),
        (0o400, C::PARENB.bits() as u64),
        (0o2000, C::HUPCL.bits() as u64),
        (0o4000, C::CLOCAL.bits() as u64),
    ];
    pub const LOCAL: [(u32, u64); 8] = [
        (0o1, L::ISIG.bits() as u64),
        (0o2, L::ICANON.bits() as u64),
        (0o10, L::ECHO.bits() as u64),
        (0o20, L::ECHOE.bits() as u64),
        (0o40, L::ECHOK.bits() as u64),
        (0o100, L::ECHONL.bits() as u64),
        (0o200, L::NOFLSH.bits() as u64),
        (0o100000, L::IEXTEN.bits() as u64),
    ];

    /// Host bits `have` as Linux's.
    pub fn to_linux(have: u64, table: &[(u32, u64)]) -> u32 {
        table.iter().filter(|&&(_, h)| have & h == h).fold(0, |acc, (l, _)| acc | l)
    }

    /// Host bits `cur` with the named ones set as Linux bits `v` say.
    pub fn from_linux(cur: u64, v: u32, table: &[(u32, u64)]) -> u64 {
        table.iter().fold(cur, |acc, &(l, h)| if v & l == l { acc | h } else { acc & !h })
    }
}

/// The control characters both name, as (Linux c_cc index, host index).
const CC: [(usize, rustix::termios::SpecialCodeIndex); 8] = {
    use rustix::termios::SpecialCodeIndex as V;
    [
        (0, V::VINTR),
        (1, V::VQUIT),
        (2, V::VERASE),
        (3, V::VKILL),
        (4, V::VEOF),
        (5, V::VTIME),
        (6, V::VMIN),
        (10, V::VSUSP),
    ]
};

/// The host's termios in Linux encoding: the flags and characters both name (B38400).
#[allow(clippy::unnecessary_cast)]
pub fn termios_to_linux(t: &Termios) -> [u8; 60] {
    use tflags::*;
    let mut b = [0u8; 60];
    b[0..4].copy_from_slice(&to_linux(t.input_modes.bits() as u64, &INPUT).to_le_bytes());
    b[4..8].copy_from_slice(&to_linux(t.output_modes.bits() as u64, &OUTPUT).to_le_bytes());
    b[8..12].copy_from_slice(&(to_linux(t.control_modes.bits() as u64, &CONTROL) | 0o17).to_le_bytes());
    b[12..16].copy_from_slice(&to_linux(t.local_modes.bits() as u64, &LOCAL).to_le_bytes());
    for (l, h) in CC {
        b[17 + l] = t.special_codes[h];
    }
    b
}

/// Sets a terminal's attributes from the guest's Linux termios: the flags and characters
/// both encodings name; the rest stays as it is.
pub fn tcsetattr(fd: i32, when: super::When, t: &crate::abi::io::Termios) -> super::HostResult<()> {
    use rustix::termios::OptionalActions as A;
    let f = super::fd(fd)?;
    let cur = rustix::termios::tcgetattr(f).map_err(super::errno::linux)?;
    let how = match when {
        super::When::Now => A::Now,
        super::When::Drain => A::Drain,
        super::When::Flush => A::Flush,
    };
    rustix::termios::tcsetattr(f, how, &termios_from_linux(cur, t)).map_err(super::errno::linux)
}

/// `cur` with the flags and characters of the guest's Linux termios `t` that both
/// encodings name; the rest of `cur` stays.
#[allow(clippy::unnecessary_cast)]
fn termios_from_linux(mut cur: Termios, t: &crate::abi::io::Termios) -> Termios {
    use rustix::termios::{ControlModes, InputModes, LocalModes, OutputModes};
    use tflags::*;
    cur.input_modes =
        InputModes::from_bits_retain(from_linux(cur.input_modes.bits() as u64, t.iflag, &INPUT) as _);
    cur.output_modes =
        OutputModes::from_bits_retain(from_linux(cur.output_modes.bits() as u64, t.oflag, &OUTPUT) as _);
    cur.control_modes =
        ControlModes::from_bits_retain(from_linux(cur.control_modes.bits() as u64, t.cflag, &CONTROL) as _);
    cur.local_modes =
        LocalModes::from_bits_retain(from_linux(cur.local_modes.bits() as u64, t.lflag, &LOCAL) as _);
    for (l, h) in CC {
        cur.special_codes[h] = t.cc[l];
    }
    cur
}

fn cloexec(pair: (OwnedFd, OwnedFd)) -> rustix::io::Result<(OwnedFd, OwnedFd)> {
    fcntl_setfd(&pair.0, FdFlags::CLOEXEC)?;
    fcntl_setfd(&pair.1, FdFlags::CLOEXEC)?;
    Ok(pair)
}

/// No pipe2 here: the flag is set right after (emu forks from one thread only).
/// What host fd `h` names: its path (F_GETPATH), if it has one.
pub fn fd_target(h: i32) -> Option<Vec<u8>> {
    rustix::fs::getpath(super::fd(h).ok()?).ok().map(|c| c.into_bytes())
}

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

/// An anonymous memory file: macOS has no memfd_create, so a file made and unlinked at
/// once in the temporary directory stands in for one.
pub fn memfd(_name: &[u8]) -> rustix::io::Result<OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    let dir = std::env::temp_dir();
    for i in 0..64u32 {
        let path = dir.join(format!("emu-memfd-{}-{i}", std::process::id()));
        let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
        match rustix::fs::open(&path, flags, Mode::from_bits_truncate(0o600)) {
            Ok(fd) => {
                let _ = rustix::fs::unlink(&path);
                return Ok(fd);
            }
            Err(rustix::io::Errno::EXIST) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(rustix::io::Errno::EXIST)
}

// No capabilities here: every set is empty, as for an unprivileged Linux process, and
// only empty sets can be set.
pub fn capabilities(_pid: i32) -> super::HostResult<[u64; 3]> {
    Ok([0; 3])
}

pub fn set_capabilities(_pid: i32, sets: [u64; 3]) -> super::HostResult<()> {
    if sets == [0; 3] {
        Ok(())
    } else {
        Err(crate::abi::errno::EPERM)
    }
}

/// Every process is SCHED_OTHER with priority 0 here.
pub fn scheduler(_pid: i32) -> super::HostResult<(i32, i32)> {
    Ok((0, 0))
}

pub fn set_scheduler(_pid: i32, policy: i32, priority: i32) -> super::HostResult<()> {
    match (policy & !0x4000_0000, priority) {
        (0 | 3 | 5, 0) => Ok(()),
        (1 | 2, 1..=99) => Err(crate::abi::errno::EPERM),
        _ => Err(crate::abi::errno::EINVAL),
    }
}

/// Linux's default round-robin slice (100 ms).
pub fn rr_interval(_pid: i32) -> super::HostResult<(i64, i64)> {
    Ok((0, 100_000_000))
}

// No pidfds here: what Linux without them answers.
pub fn pidfd_open(_pid: i32, _nonblock: bool) -> super::HostResult<i32> {
    Err(crate::abi::errno::ENOSYS)
}

pub fn pidfd_pid(_fd: i32) -> super::HostResult<i32> {
    Err(crate::abi::errno::EBADF)
}
