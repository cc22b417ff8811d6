//! File locks: flock, and fcntl's record locks (F_GETLK, F_SETLK, F_SETLKW and the open
//! file description forms F_OFD_*). The locks are the host's (`host/lock.rs`), so they
//! hold between emu's processes as between native ones. A lock that must wait blocks in
//! the host when the guest has one thread (a signal interrupts it, EINTR); with other
//! threads to run, the thread parks and tries again until it gets the lock.

use super::{read_guest, write_guest, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::fs::{Flock, F_UNLCK};
use crate::abi::meta::{
    F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLK, F_SETLKW, LOCK_NB, LOCK_UN,
};
use crate::abi::GuestStruct;
use crate::host::{self, Errno, LockCmd, RecordLock};
use crate::Process;

/// How often a parked thread tries a lock again.
const RETRY: std::time::Duration = std::time::Duration::from_millis(2);

/// Takes a lock that may have to wait: `try_now` takes it without waiting (EAGAIN if it
/// is held), `wait` waits for it in the host.
fn take(
    p: &mut Process,
    try_now: impl FnOnce() -> Result<(), Errno>,
    wait: impl FnOnce() -> Result<(), Errno>,
) -> Result<(), Errno> {
    if !p.multithreaded() {
        return wait();
    }
    match try_now() {
        Err(E::EAGAIN) => {
            let at = p.world().instant() + RETRY;
            p.park(crate::thread::Wait::Retry { at });
            Err(crate::thread::E_WOULDBLOCK)
        }
        r => r,
    }
}

pub(super) fn flock(p: &mut Process, a: &Args) -> SysResult {
    let (fd, op) = (a.fd(0), a.uint(1));
    let f = p.fds.file(fd)?;
    if !matches!(op & !LOCK_NB, 1 | 2 | LOCK_UN) {
        return Err(E::EINVAL);
    }
    // Descriptors emu keeps itself are locked by nobody else.
    let Some(h) = f.borrow().host_fd() else { return Ok(0) };
    if op & (LOCK_NB | LOCK_UN) != 0 {
        host::flock(h, op)?;
    } else {
        take(p, || host::flock(h, op | LOCK_NB), || host::flock(h, op))?;
    }
    Ok(0)
}

/// fcntl's record-lock commands on `fd`, with the `struct flock` at `arg`.
pub(super) fn fcntl_lock(p: &mut Process, fd: i64, cmd: u32, arg: u64) -> SysResult {
    let f = p.fds.file(fd)?;
    let (what, ofd) = match cmd {
        F_GETLK => (LockCmd::Get, false),
        F_SETLK => (LockCmd::Set, false),
        F_SETLKW => (LockCmd::SetWait, false),
        F_OFD_GETLK => (LockCmd::Get, true),
        F_OFD_SETLK => (LockCmd::Set, true),
        F_OFD_SETLKW => (LockCmd::SetWait, true),
        _ => return Err(E::EINVAL),
    };
    // The caller's bytes come back as they were (padding too) but for the fields.
    let mut raw = read_guest(p, arg, Flock::SIZE)?;
    let fl = Flock::read(&raw);
    if !(0..=2).contains(&fl.l_type) || !(0..=2).contains(&fl.whence) || ofd && fl.pid != 0 {
        return Err(E::EINVAL);
    }
    let mut lock =
        RecordLock { typ: fl.l_type, whence: fl.whence, start: fl.start, len: fl.len, pid: fl.pid };
    let Some(h) = f.borrow().host_fd() else {
        // Descriptors emu keeps itself are locked by nobody else.
        if what == LockCmd::Get {
            Flock { l_type: F_UNLCK, ..fl }.write(&mut raw);
            write_guest(p, arg, &raw)?;
        }
        return Ok(0);
    };
    match what {
        LockCmd::SetWait => {
            let mut l = lock;
            take(
                p,
                || host::record_lock(h, LockCmd::Set, ofd, &mut l),
                || host::record_lock(h, LockCmd::SetWait, ofd, &mut lock),
            )?;
        }
        _ => host::record_lock(h, what, ofd, &mut lock)?,
    }
    if what == LockCmd::Get {
        // The holder is a host process: name it as the guest knows it.
        let pid = if lock.pid > 0 { p.world().guest_pid(lock.pid) } else { lock.pid };
        let out = Flock { l_type: lock.typ, whence: lock.whence, start: lock.start, len: lock.len, pid };
        out.write(&mut raw);
        write_guest(p, arg, &raw)?;
    }
    Ok(0)
}
