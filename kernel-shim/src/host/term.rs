//! Terminals: whether an fd is one, its window size, its attributes in Linux's layout.

use super::errno::linux;
use super::{fd, os, HostResult};

pub fn isatty(fd: i32) -> bool {
    self::fd(fd).is_ok_and(rustix::termios::isatty)
}

/// Window size of a terminal: (rows, cols, xpixel, ypixel).
pub fn winsize(fd: i32) -> HostResult<[u16; 4]> {
    let w = rustix::termios::tcgetwinsize(self::fd(fd)?).map_err(linux)?;
    Ok([w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel])
}

/// Terminal attributes in the Linux `struct termios` layout (36 bytes used of 60).
pub fn tcgetattr(fd: i32) -> HostResult<[u8; 60]> {
    let t = rustix::termios::tcgetattr(self::fd(fd)?).map_err(linux)?;
    Ok(os::termios_to_linux(&t))
}
