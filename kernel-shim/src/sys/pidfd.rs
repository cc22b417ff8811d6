//! Process descriptors: pidfd_open, pidfd_send_signal, pidfd_getfd. A pidfd is the
//! host's pidfd of the guest process's host process, so it becomes readable when that
//! process exits (poll, epoll) as on Linux.

use super::{Args, SysResult};
use crate::abi::errno as E;
use crate::abi::open as O;
use crate::abi::signal::SigInfo;
use crate::fd::{FdEntry, OpenFile};
use crate::{host, Process};
use std::cell::RefCell;
use std::rc::Rc;

const PIDFD_NONBLOCK: u32 = O::O_NONBLOCK;
const PIDFD_THREAD: u32 = O::O_EXCL;

pub(super) fn pidfd_open(p: &mut Process, a: &Args) -> SysResult {
    let (pid, flags) = (a.pid(0), a.uint(1));
    if flags & !(PIDFD_NONBLOCK | PIDFD_THREAD) != 0 || pid <= 0 {
        return Err(E::EINVAL);
    }
    let h = host::pidfd_open(p.world().host_pid(pid), flags & PIDFD_NONBLOCK != 0)?;
    let file = OpenFile::host(h, O::O_RDWR | (flags & PIDFD_NONBLOCK), Some(b"anon_inode:[pidfd]".to_vec()));
    // A pidfd is close-on-exec.
    Ok(p.fds.alloc(FdEntry { file: Rc::new(RefCell::new(file)), cloexec: true }, 0)? as u64)
}

/// The host pidfd behind guest fd `fd`, and whether it is this process's own.
fn pidfd(p: &Process, fd: i64) -> Result<(i32, bool), i32> {
    let h = p.fds.file(fd)?.borrow().host_fd().ok_or(E::EBADF)?;
    let pid = host::pidfd_pid(h)?;
    Ok((h, p.world().guest_pid(pid) == p.world().pid()))
}

pub(super) fn pidfd_send_signal(p: &mut Process, a: &Args) -> SysResult {
    let (fd, sig, info, flags) = (a.fd(0), a.int(1), a.ptr(2), a.uint(3));
    if flags != 0 || !(0..=64).contains(&sig) {
        return Err(E::EINVAL);
    }
    let (h, own) = pidfd(p, fd)?;
    if own {
        // Sent to itself: a signal with the caller's siginfo, or the one given.
        if sig != 0 {
            let si = if info != 0 {
                let given = super::read_struct::<SigInfo>(p, info)?;
                if given.signo != sig {
                    return Err(E::EINVAL);
                }
                SigInfo { signo: sig, ..given }
            } else {
                p.si_user(sig)
            };
            p.raise(si);
        }
        return Ok(0);
    }
    if info != 0 {
        // Another process's siginfo would be the host's struct: not sent.
        return Err(E::EPERM);
    }
    host::pidfd_send_signal(h, sig)?;
    Ok(0)
}

/// pidfd_getfd: a copy of one of the process's own descriptors; another emulated
/// process's descriptors are its emu's own table, out of the host's reach (EPERM, as for
/// a process the caller may not trace).
pub(super) fn pidfd_getfd(p: &mut Process, a: &Args) -> SysResult {
    let (fd, target, flags) = (a.fd(0), a.fd(1), a.uint(2));
    if flags != 0 {
        return Err(E::EINVAL);
    }
    let (_, own) = pidfd(p, fd)?;
    if !own {
        return Err(E::EPERM);
    }
    let file = p.fds.file(target)?;
    Ok(p.fds.alloc(FdEntry { file, cloexec: true }, 0)? as u64)
}
