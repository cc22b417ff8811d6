//! inotify: inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch, and an
//! instance's read (`struct inotify_event` records). The instance is the host's (on Linux;
//! elsewhere the calls fail with ENOSYS, as on a kernel without inotify), with the
//! guest's own watch descriptors (`anon::Inotify`): events are read from the host and
//! their watch descriptors renumbered.

use super::{read_path, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::events::{InotifyEvent, IN_CLOEXEC, IN_DONT_FOLLOW, IN_IGNORED, IN_NONBLOCK};
use crate::abi::{open as O, GuestStruct, AT_FDCWD};
use crate::fd::{Backing, FileRef, Inotify};
use crate::host::{self, Errno};
use crate::Process;

fn init(p: &mut Process, flags: u32) -> SysResult {
    if flags & !(IN_NONBLOCK | IN_CLOEXEC) != 0 {
        return Err(E::EINVAL);
    }
    let h = host::inotify_init()?;
    let backing = Backing::Inotify(Box::new(Inotify::new(h)));
    super::poll::new_fd(p, backing, O::O_RDONLY | (flags & IN_NONBLOCK), flags & IN_CLOEXEC != 0)
}

pub(super) fn inotify_init(p: &mut Process, _: &Args) -> SysResult {
    init(p, 0)
}

pub(super) fn inotify_init1(p: &mut Process, a: &Args) -> SysResult {
    init(p, a.int(0) as u32)
}

/// The inotify instance `fd` names: EBADF if it is not open, EINVAL if it is no inotify
/// descriptor.
fn instance(p: &Process, fd: i64) -> Result<FileRef, Errno> {
    p.fds.file_of(fd, |b| matches!(b, Backing::Inotify(_)))
}

pub(super) fn inotify_add_watch(p: &mut Process, a: &Args) -> SysResult {
    let (fd, path, mask) = (a.fd(0), a.ptr(1), a.uint(2));
    let f = instance(p, fd)?;
    let path = read_path(p, path)?;
    // Relative to the working directory, as the host's call takes it.
    let (dir, hp) = super::fs::resolve_host_at(p, AT_FDCWD as i64, &path, mask & IN_DONT_FOLLOW == 0)?;
    debug_assert_eq!(dir, host::CWD);
    let mut of = f.borrow_mut();
    let Backing::Inotify(i) = &mut of.backing else { return Err(E::EINVAL) };
    let h = host::inotify_add_watch(i.host, &hp, mask)?;
    Ok(i.added(h) as u64)
}

pub(super) fn inotify_rm_watch(p: &mut Process, a: &Args) -> SysResult {
    let f = instance(p, a.fd(0))?;
    let of = f.borrow();
    let Backing::Inotify(i) = &of.backing else { return Err(E::EINVAL) };
    let h = i.host_wd(a.int(1)).ok_or(E::EINVAL)?;
    host::inotify_rm_watch(i.host, h)?;
    Ok(0)
}

/// A read: the queued events that fit in `len` bytes, with the guest's watch descriptors
/// (EAGAIN while none is queued; the caller waits when the descriptor blocks).
pub(super) fn read(f: &FileRef, len: usize) -> Result<Vec<u8>, Errno> {
    let mut of = f.borrow_mut();
    let Backing::Inotify(i) = &mut of.backing else { return Err(E::EINVAL) };
    let mut buf = vec![0u8; len.min(1 << 20)];
    let n = host::read(i.host, &mut buf)?;
    buf.truncate(n);
    let mut at = 0;
    while at + InotifyEvent::SIZE <= buf.len() {
        let mut e = InotifyEvent::read(&buf[at..]);
        e.wd = i.event_wd(e.wd, e.mask & IN_IGNORED != 0);
        e.write(&mut buf[at..]);
        at += InotifyEvent::SIZE + e.len as usize;
    }
    Ok(buf)
}
