//! Terminal ioctls on host terminals and pseudo-terminals: attributes (TCGETS, TCSETS*),
//! window size, the foreground process group, the session and controlling terminal,
//! flushing and flow, and a pty master's slave (/dev/ptmx: TIOCGPTN, TIOCSPTLCK,
//! TIOCGPTLCK, TIOCGPTPEER). The terminal is the host's; structs are converted and pids
//! cross through the world.

use super::{read_struct, write_struct, SysResult};
use crate::abi::errno as E;
use crate::abi::io::{Termios, Winsize};
use crate::abi::open as O;
use crate::abi::tty::*;
use crate::abi::GuestStruct;
use crate::fd::{FdEntry, OpenFile};
use crate::host::{self, When};
use crate::Process;
use std::cell::RefCell;
use std::rc::Rc;

/// Whether `req` is a terminal request this file serves.
pub(super) fn is_tty_request(req: u32) -> bool {
    matches!(
        req,
        TCGETS
            | TCSETS
            | TCSETSW
            | TCSETSF
            | TCSBRK
            | TCXONC
            | TCFLSH
            | TIOCEXCL
            | TIOCNXCL
            | TIOCSCTTY
            | TIOCGPGRP
            | TIOCSPGRP
            | TIOCOUTQ
            | TIOCGWINSZ
            | TIOCSWINSZ
            | TIOCNOTTY
            | TIOCGSID
            | TIOCGPTN
            | TIOCSPTLCK
            | TIOCGPTLCK
            | TIOCGPTPEER
    )
}

/// Serves terminal request `req` on a descriptor whose host fd is `h` (if it has one), with
/// argument `arg`. Anything that is not a terminal is ENOTTY, as on Linux.
pub(super) fn ioctl(p: &mut Process, h: Option<i32>, req: u32, arg: u64) -> SysResult {
    let h = h.filter(|&h| host::isatty(h)).ok_or(E::ENOTTY)?;
    match req {
        TCGETS => {
            let t = Termios::read(&host::tcgetattr(h)?);
            write_struct(p, arg, &t)?;
        }
        TCSETS | TCSETSW | TCSETSF => {
            let t = read_struct::<Termios>(p, arg)?;
            let when = match req {
                TCSETS => When::Now,
                TCSETSW => When::Drain,
                _ => When::Flush,
            };
            host::tcsetattr(h, when, &t)?;
        }
        // tcdrain (a non-zero argument); a zero one sends a break, which a pty ignores.
        TCSBRK => {
            if arg != 0 {
                host::tcdrain(h)?;
            }
        }
        TCXONC => host::tcflow(h, arg as u32)?,
        TCFLSH => host::tcflush(h, arg as u32)?,
        // Exclusive mode only refuses later opens by others: the host's opens follow it.
        TIOCEXCL | TIOCNXCL => {}
        TIOCGWINSZ => {
            let [row, col, xpixel, ypixel] = host::winsize(h)?;
            write_struct(p, arg, &Winsize { row, col, xpixel, ypixel })?;
        }
        TIOCSWINSZ => {
            let w = read_struct::<Winsize>(p, arg)?;
            host::set_winsize(h, [w.row, w.col, w.xpixel, w.ypixel])?;
        }
        TIOCGPGRP => {
            let g = host::tcgetpgrp(h)?;
            write_struct(p, arg, &p.world().guest_pid(g))?;
        }
        TIOCSPGRP => {
            let g = read_struct::<i32>(p, arg)?;
            if g < 0 {
                return Err(E::EINVAL);
            }
            host::tcsetpgrp(h, p.world().host_pid(g))?;
        }
        TIOCGSID => {
            let s = host::tcgetsid(h)?;
            write_struct(p, arg, &p.world().guest_pid(s))?;
        }
        TIOCSCTTY => host::set_controlling_tty(h, arg as i32 == 1)?,
        TIOCNOTTY => host::drop_controlling_tty(h)?,
        TIOCOUTQ => write_struct(p, arg, &host::bytes_unsent(h)?)?,
        TIOCGPTN => write_struct(p, arg, &host::pty_number(h)?)?,
        TIOCSPTLCK => {
            let lock = read_struct::<i32>(p, arg)?;
            host::set_pty_lock(h, lock != 0)?;
        }
        TIOCGPTLCK => write_struct(p, arg, &(host::pty_locked(h)? as i32))?,
        TIOCGPTPEER => return pty_peer(p, h, arg as u32),
        _ => return Err(E::ENOTTY),
    }
    Ok(0)
}

/// TIOCGPTPEER: a new guest fd for the slave of the master whose host fd is `h`, opened
/// with `flags`.
fn pty_peer(p: &mut Process, h: i32, flags: u32) -> SysResult {
    if flags & !(O::O_ACCMODE | O::O_NOCTTY | O::O_NONBLOCK | O::O_CLOEXEC) != 0 {
        return Err(E::EINVAL);
    }
    let n = host::pty_number(h)?;
    let peer = host::pty_peer(h, flags)?;
    let path = format!("/dev/pts/{n}").into_bytes();
    let file = OpenFile::host(peer, (flags & !O::O_CLOEXEC) | O::O_LARGEFILE, Some(path));
    let e = FdEntry { file: Rc::new(RefCell::new(file)), cloexec: flags & O::O_CLOEXEC != 0 };
    Ok(p.fds.alloc(e, 0)? as u64)
}
