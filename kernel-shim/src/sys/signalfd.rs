//! signalfd: signalfd and signalfd4 make a descriptor (or change the set of one), whose
//! reads take pending signals of its set off the pending set, as sigwaitinfo does, as
//! `struct signalfd_siginfo` records. It is readable while one of them is pending.

use super::{read_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::events::{SignalfdSiginfo, SFD_CLOEXEC, SFD_NONBLOCK};
use crate::abi::open as O;
use crate::abi::signal::{SIGKILL, SIGSTOP};
use crate::abi::GuestStruct;
use crate::fd::{Backing, FileRef};
use crate::host::Errno;
use crate::signal::bit;
use crate::Process;

fn do_signalfd(p: &mut Process, fd: i64, mask: u64, size: u64, flags: u32) -> SysResult {
    if size != crate::abi::signal::SIGSET_SIZE || flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 {
        return Err(E::EINVAL);
    }
    let set = read_struct::<u64>(p, mask)? & !(bit(SIGKILL) | bit(SIGSTOP));
    if fd != -1 {
        // A new set for an existing signalfd.
        let f = p.fds.file(fd)?;
        let mut of = f.borrow_mut();
        let Backing::SignalFd { mask } = &mut of.backing else { return Err(E::EINVAL) };
        *mask = set;
        return Ok(fd as u64);
    }
    super::poll::new_fd(
        p,
        Backing::SignalFd { mask: set },
        O::O_RDWR | (flags & SFD_NONBLOCK),
        flags & SFD_CLOEXEC != 0,
    )
}

pub(super) fn signalfd(p: &mut Process, a: &Args) -> SysResult {
    do_signalfd(p, a.fd(0), a.ptr(1), a.ulong(2), 0)
}

pub(super) fn signalfd4(p: &mut Process, a: &Args) -> SysResult {
    do_signalfd(p, a.fd(0), a.ptr(1), a.ulong(2), a.int(3) as u32)
}

/// A read: as many pending signals of the set as `len` holds records for. With none
/// pending it fails with EAGAIN, or waits (as rt_sigtimedwait does) when `blocking`; a
/// signal that a handler takes ends the wait with EINTR.
pub(super) fn read(p: &mut Process, f: &FileRef, len: usize, blocking: bool) -> Result<Vec<u8>, Errno> {
    let n = len / SignalfdSiginfo::SIZE;
    if n == 0 {
        return Err(E::EINVAL);
    }
    let Backing::SignalFd { mask } = f.borrow().backing else { return Err(E::EINVAL) };
    loop {
        p.collect_host_signals();
        let mut out = Vec::new();
        while out.len() < n * SignalfdSiginfo::SIZE {
            let Some(info) = p.take_pending(mask) else { break };
            out.extend(SignalfdSiginfo::from_siginfo(&info).to_bytes());
        }
        if !out.is_empty() {
            return Ok(out);
        }
        if !blocking {
            return Err(E::EAGAIN);
        }
        if p.has_deliverable() {
            return Err(E::EINTR);
        }
        if p.multithreaded() {
            // Another thread may send it: park and look again soon.
            let at = p.world().instant() + std::time::Duration::from_millis(2);
            p.park(crate::thread::Wait::Retry { at });
            return Err(crate::thread::E_WOULDBLOCK);
        }
        p.world().wait_for_signal();
    }
}
