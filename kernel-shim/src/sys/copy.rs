//! Copies between descriptors without the bytes passing through the caller:
//! copy_file_range, sendfile, splice, tee; and vmsplice, which copies between memory and
//! a pipe. The host copies between host files and pipes
//! (`host/copy.rs`); descriptors emu keeps itself (eventfd, timerfd, epoll...) take
//! none of these, as Linux's do not (EINVAL). A copy that would wait for a pipe parks the
//! thread when others can run.

use super::{read_struct, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::meta::SPLICE_F_NONBLOCK;
use crate::abi::mode::{S_IFIFO, S_IFMT};
use crate::abi::open as O;
use crate::host::{self, Errno};
use crate::Process;

use crate::abi::io::{POLLIN, POLLOUT};

/// The host fd of guest fd `fd` and whether it is non-blocking: EBADF if it is not open,
/// EINVAL if it is no host file.
fn host_fd(p: &Process, fd: i64) -> Result<(i32, bool), Errno> {
    let f = p.fds.file(fd)?;
    let of = f.borrow();
    Ok((of.host_fd().ok_or(E::EINVAL)?, of.flags & O::O_NONBLOCK != 0))
}

/// An offset argument: None for NULL, else the `loff_t` it points to.
fn read_off(p: &mut Process, addr: u64) -> Result<Option<u64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    Ok(Some(read_struct::<i64>(p, addr)? as u64))
}

/// Stores a moved offset back where it came from.
fn write_off(p: &mut Process, addr: u64, off: Option<u64>) -> Result<(), Errno> {
    match off {
        Some(o) if addr != 0 => write_struct(p, addr, &(o as i64)),
        _ => Ok(()),
    }
}

/// Before a copy from `from` to `to` that may wait (a pipe empty or full): with other
/// threads to run, the thread parks until both are ready and the call is made again;
/// alone, the host call waits, and a signal interrupts it.
fn before_waiting(p: &mut Process, from: i32, to: i32) -> Result<(), Errno> {
    if !p.multithreaded() {
        return p.world().before_blocking_read(from);
    }
    let r = host::poll(&[(from, POLLIN), (to, POLLOUT)], 0)?;
    for (h, ev, got) in [(from, POLLIN, r[0]), (to, POLLOUT, r[1])] {
        if got == 0 {
            p.park(crate::thread::Wait::Fd { fd: h, events: ev, deadline: None });
            return Err(crate::thread::E_WOULDBLOCK);
        }
    }
    Ok(())
}

pub(super) fn copy_file_range(p: &mut Process, a: &Args) -> SysResult {
    let (fd_in, off_in_p, fd_out, off_out_p, len, flags) =
        (a.fd(0), a.ptr(1), a.fd(2), a.ptr(3), a.ulong(4), a.uint(5));
    let (h_in, _) = host_fd(p, fd_in)?;
    let (h_out, _) = host_fd(p, fd_out)?;
    let (mut off_in, mut off_out) = (read_off(p, off_in_p)?, read_off(p, off_out_p)?);
    if flags != 0 {
        return Err(E::EINVAL);
    }
    let n = host::copy_file_range(h_in, off_in.as_mut(), h_out, off_out.as_mut(), len as usize)?;
    write_off(p, off_in_p, off_in)?;
    write_off(p, off_out_p, off_out)?;
    Ok(n as u64)
}

pub(super) fn sendfile(p: &mut Process, a: &Args) -> SysResult {
    let (fd_out, fd_in, off_p, count) = (a.fd(0), a.fd(1), a.ptr(2), a.ulong(3));
    let (h_in, _) = host_fd(p, fd_in)?;
    let (h_out, nonblock) = host_fd(p, fd_out)?;
    let mut off = read_off(p, off_p)?;
    if !nonblock {
        before_waiting(p, h_in, h_out)?;
    }
    let n = host::sendfile(h_out, h_in, off.as_mut(), count as usize)?;
    write_off(p, off_p, off)?;
    Ok(n as u64)
}

pub(super) fn splice(p: &mut Process, a: &Args) -> SysResult {
    let (fd_in, off_in_p, fd_out, off_out_p, len, flags) =
        (a.fd(0), a.ptr(1), a.fd(2), a.ptr(3), a.ulong(4), a.uint(5));
    if len == 0 {
        return Ok(0);
    }
    let (h_in, nb_in) = host_fd(p, fd_in)?;
    let (h_out, nb_out) = host_fd(p, fd_out)?;
    let (mut off_in, mut off_out) = (read_off(p, off_in_p)?, read_off(p, off_out_p)?);
    if flags & SPLICE_F_NONBLOCK == 0 && !nb_in && !nb_out {
        before_waiting(p, h_in, h_out)?;
    }
    let n = host::splice(h_in, off_in.as_mut(), h_out, off_out.as_mut(), len as usize, flags)?;
    write_off(p, off_in_p, off_in)?;
    write_off(p, off_out_p, off_out)?;
    Ok(n as u64)
}

pub(super) fn tee(p: &mut Process, a: &Args) -> SysResult {
    let (fd_in, fd_out, len, flags) = (a.fd(0), a.fd(1), a.ulong(2), a.uint(3));
    if len == 0 {
        return Ok(0);
    }
    let (h_in, nb_in) = host_fd(p, fd_in)?;
    let (h_out, nb_out) = host_fd(p, fd_out)?;
    if flags & SPLICE_F_NONBLOCK == 0 && !nb_in && !nb_out {
        before_waiting(p, h_in, h_out)?;
    }
    Ok(host::tee(h_in, h_out, len as usize, flags)? as u64)
}

/// vmsplice: the caller's memory into a pipe's write end, or a pipe's read end into the
/// caller's memory. emu copies the bytes (SPLICE_F_GIFT gives nothing to move), so this is
/// writev or readv on the pipe, where SPLICE_F_NONBLOCK answers EAGAIN instead of waiting.
pub(super) fn vmsplice(p: &mut Process, a: &Args) -> SysResult {
    let (fd, iov, n, flags) = (a.fd(0), a.ptr(1), a.ulong(2), a.uint(3));
    let (h, nb) = host_fd(p, fd).map_err(|_| E::EBADF)?;
    if host::fstat(h)?.mode & S_IFMT != S_IFIFO {
        return Err(E::EBADF);
    }
    let writes = p.fds.file(fd)?.borrow().flags & O::O_ACCMODE == O::O_WRONLY;
    let want = if writes { POLLOUT } else { POLLIN };
    if (nb || flags & SPLICE_F_NONBLOCK != 0) && host::poll(&[(h, want)], 0)?[0] == 0 {
        return Err(E::EAGAIN);
    }
    if writes {
        super::file::vwrite(p, fd, iov, n, None)
    } else {
        super::file::vread(p, fd, iov, n, None)
    }
}
