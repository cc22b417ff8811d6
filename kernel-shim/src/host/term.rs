//! Terminals: whether an fd is one, its window size, its attributes in Linux's layout,
//! its foreground process group, session and controlling process; pseudo-terminal
//! masters (the number of their slave, its lock, a descriptor of it). Pids are host pids.

use super::errno::linux;
use super::{fd, ffi, os, HostResult};
use crate::abi::io::Termios;
use rustix::process::Pid;
use rustix::termios as T;

pub fn isatty(fd: i32) -> bool {
    self::fd(fd).is_ok_and(rustix::termios::isatty)
}

/// Window size of a terminal: (rows, cols, xpixel, ypixel).
pub fn winsize(fd: i32) -> HostResult<[u16; 4]> {
    let w = T::tcgetwinsize(self::fd(fd)?).map_err(linux)?;
    Ok([w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel])
}

pub fn set_winsize(fd: i32, [ws_row, ws_col, ws_xpixel, ws_ypixel]: [u16; 4]) -> HostResult<()> {
    T::tcsetwinsize(self::fd(fd)?, T::Winsize { ws_row, ws_col, ws_xpixel, ws_ypixel }).map_err(linux)
}

/// Terminal attributes in the Linux `struct termios` layout (36 bytes used of 60).
pub fn tcgetattr(fd: i32) -> HostResult<[u8; 60]> {
    let t = T::tcgetattr(self::fd(fd)?).map_err(linux)?;
    Ok(os::termios_to_linux(&t))
}

/// When new attributes take effect (TCSETS, TCSETSW, TCSETSF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Now,
    /// After the output is written.
    Drain,
    /// After the output is written, the unread input discarded.
    Flush,
}

/// Sets a terminal's attributes from the guest's Linux termios.
pub fn tcsetattr(fd: i32, when: When, t: &Termios) -> HostResult<()> {
    os::tcsetattr(fd, when, t)
}

/// Waits until the output is written (TCSBRK with a non-zero argument).
pub fn tcdrain(fd: i32) -> HostResult<()> {
    T::tcdrain(self::fd(fd)?).map_err(linux)
}

/// Discards unread input (0), unwritten output (1) or both (2): TCFLSH's Linux argument.
pub fn tcflush(fd: i32, queue: u32) -> HostResult<()> {
    let q = match queue {
        0 => T::QueueSelector::IFlush,
        1 => T::QueueSelector::OFlush,
        2 => T::QueueSelector::IOFlush,
        _ => return Err(crate::abi::errno::EINVAL),
    };
    T::tcflush(self::fd(fd)?, q).map_err(linux)
}

/// Suspends or restarts output or input: TCXONC's Linux argument (TCOOFF 0 .. TCION 3).
pub fn tcflow(fd: i32, action: u32) -> HostResult<()> {
    let a = match action {
        0 => T::Action::OOff,
        1 => T::Action::OOn,
        2 => T::Action::IOff,
        3 => T::Action::IOn,
        _ => return Err(crate::abi::errno::EINVAL),
    };
    T::tcflow(self::fd(fd)?, a).map_err(linux)
}

/// The terminal's foreground process group.
pub fn tcgetpgrp(fd: i32) -> HostResult<i32> {
    ffi::tcgetpgrp(fd)
}

pub fn tcsetpgrp(fd: i32, pgrp: i32) -> HostResult<()> {
    let pgrp = Pid::from_raw(pgrp).ok_or(crate::abi::errno::EINVAL)?;
    T::tcsetpgrp(self::fd(fd)?, pgrp).map_err(linux)
}

/// The session the terminal is the controlling terminal of.
pub fn tcgetsid(fd: i32) -> HostResult<i32> {
    ffi::tcgetsid(fd)
}

/// Makes the terminal the caller's controlling terminal (TIOCSCTTY). Taking it from
/// another session (`steal`) is for root; it is asked of the host as given.
pub fn set_controlling_tty(fd: i32, steal: bool) -> HostResult<()> {
    if steal {
        return ffi::tiocsctty_steal(fd);
    }
    rustix::process::ioctl_tiocsctty(self::fd(fd)?).map_err(linux)
}

/// Gives up the controlling terminal (TIOCNOTTY).
pub fn drop_controlling_tty(fd: i32) -> HostResult<()> {
    ffi::tiocnotty(fd)
}

/// Bytes written but not sent yet (TIOCOUTQ).
pub fn bytes_unsent(fd: i32) -> HostResult<u32> {
    ffi::tiocoutq(fd)
}

/// The number N of a pseudo-terminal master's slave, /dev/pts/N (TIOCGPTN): ENOTTY on
/// hosts whose slaves are not numbered so.
pub fn pty_number(fd: i32) -> HostResult<u32> {
    ffi::tiocgptn(fd)
}

/// Locks or unlocks a master's slave (TIOCSPTLCK).
pub fn set_pty_lock(fd: i32, lock: bool) -> HostResult<()> {
    ffi::tiocsptlck(fd, lock)
}

/// Whether a master's slave is locked (TIOCGPTLCK).
pub fn pty_locked(fd: i32) -> HostResult<bool> {
    ffi::tiocgptlck(fd)
}

/// A new descriptor of a master's slave, opened with Linux `flags` (TIOCGPTPEER). Always
/// close-on-exec on the host, as every host fd emu keeps.
pub fn pty_peer(fd: i32, flags: u32) -> HostResult<i32> {
    ffi::tiocgptpeer(fd, flags)
}
