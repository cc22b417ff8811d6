//! File descriptors and I/O: open/openat/close, read/write and their vector and
//! positioned forms (preadv2/pwritev2 with their RWF_* flags), lseek, dup family, pipe, fcntl, ioctl, fsync, ftruncate.

use super::{read_array, read_guest, read_path, read_struct, write_guest, write_struct, Args, SysResult};
use crate::abi::io::{Iovec, POLLIN, POLLOUT, UIO_MAXIOV};
use crate::abi::meta::{F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLK, F_SETLKW};
use crate::abi::{errno as E, open as O, GuestStruct, AT_FDCWD};
use crate::fd::{Backing, FdEntry, OpenFile, OwnedHostFd};
use crate::host;
use crate::host::Errno;
use crate::Process;
use std::cell::RefCell;
use std::rc::Rc;

/// Largest single transfer, as Linux caps it (MAX_RW_COUNT).
const MAX_RW: u64 = 0x7fff_f000;

/// With other threads to run, a read that would block parks the thread until the host fd
/// is readable, and is then re-executed.
fn park_until_readable(p: &mut Process, f: &crate::fd::FileRef) -> Result<(), i32> {
    if !p.multithreaded() {
        return Ok(());
    }
    let of = f.borrow();
    let Some(h) = of.host_fd() else { return Ok(()) };
    if of.flags & O::O_NONBLOCK != 0 || of.dir.is_some() {
        return Ok(());
    }
    drop(of);
    park_until_ready(p, h, POLLIN)
}

/// Parks the calling thread until host fd `h` has one of `events` (poll bits), unless it
/// has one now; the syscall is made again when it wakes.
pub(super) fn park_until_ready(p: &mut Process, h: i32, events: u16) -> Result<(), i32> {
    if host::poll(&[(h, events)], 0)?[0] != 0 {
        return Ok(());
    }
    p.park(crate::thread::Wait::Fd { fd: h, events, deadline: None });
    Err(crate::thread::E_WOULDBLOCK)
}

/// Waits until host fd `h` (a descriptor's readiness) is readable, for a read that would
/// block. With other threads to run, the thread parks and the syscall is made again; alone,
/// emu waits in the host, and a signal from outside ends the wait with EINTR (the
/// dispatcher then delivers it or makes the call again).
pub(super) fn wait_readable(p: &mut Process, h: i32) -> Result<(), Errno> {
    p.arm_timers_before_waiting();
    if p.multithreaded() {
        p.park(crate::thread::Wait::Fd { fd: h, events: 1, deadline: None });
        return Err(crate::thread::E_WOULDBLOCK);
    }
    p.world().poll(&[(h, POLLIN)], -1)?;
    Ok(())
}

/// What a read of a descriptor emu keeps itself does.
enum AnonRead {
    EventFd(i32),
    TimerFd,
    SignalFd,
    Inotify(i32),
    Other,
}

/// A read of an eventfd, timerfd, signalfd or inotify descriptor: the bytes it returns,
/// waiting for them unless the descriptor is non-blocking.
fn read_anon(p: &mut Process, f: &crate::fd::FileRef, len: usize) -> Result<Vec<u8>, Errno> {
    let (kind, blocking) = {
        let of = f.borrow();
        let kind = match &of.backing {
            Backing::EventFd { ready, .. } => AnonRead::EventFd(ready.rd),
            Backing::TimerFd(_) => AnonRead::TimerFd,
            Backing::SignalFd { .. } => AnonRead::SignalFd,
            Backing::Inotify(i) => AnonRead::Inotify(i.host),
            _ => AnonRead::Other,
        };
        (kind, of.flags & O::O_NONBLOCK == 0)
    };
    loop {
        let (r, h) = match kind {
            AnonRead::EventFd(h) => (super::poll::eventfd_read(f, len).map(|v| v.to_bytes()), h),
            AnonRead::TimerFd => (super::timerfd::read(p, f, len), -1),
            AnonRead::SignalFd => return super::signalfd::read(p, f, len, blocking),
            AnonRead::Inotify(h) => (super::inotify::read(f, len), h),
            AnonRead::Other => return Err(E::EINVAL),
        };
        match r {
            Err(E::EAGAIN) if blocking => {}
            r => return r,
        }
        let h = if h >= 0 { h } else { f.borrow().ready_fd().ok_or(E::EINVAL)? };
        wait_readable(p, h)?;
    }
}

fn do_read(p: &mut Process, fd: i64, buf: u64, len: u64, off: Option<i64>) -> SysResult {
    let f = p.fds.file(fd)?;
    if !matches!(f.borrow().backing, Backing::Host(_) | Backing::Memory(_)) {
        // Descriptors without a file position (anon inodes) have no pread.
        if off.is_some() {
            return Err(E::ESPIPE);
        }
        let data = read_anon(p, &f, len.min(MAX_RW) as usize)?;
        write_guest(p, buf, &data)?;
        return Ok(data.len() as u64);
    }
    if off.is_none() {
        park_until_readable(p, &f)?;
        let of = f.borrow();
        if let Some(h) = of.host_fd().filter(|_| of.flags & O::O_NONBLOCK == 0 && of.dir.is_none()) {
            drop(of);
            p.world().before_blocking_read(h)?;
        }
    }
    let len = len.min(MAX_RW) as usize;
    let mut tmp = vec![0u8; len.min(1 << 24)];
    let n = {
        let mut of = f.borrow_mut();
        match &of.backing {
            // Deterministic mode: the random devices read from the seeded generator.
            Backing::Host(_) if crate::world::is_random_device(of.path.as_deref(), || p.world().kind()) => {
                p.world().random_bytes(&mut tmp);
                tmp.len()
            }
            Backing::Host(h) => {
                let h = *h;
                match off {
                    Some(o) => host::pread(h, &mut tmp, o)?,
                    None => host::read(h, &mut tmp)?,
                }
            }
            Backing::Memory(data) => {
                let pos = off.map(|o| o as u64).unwrap_or(of.pos) as usize;
                let n = data.len().saturating_sub(pos).min(tmp.len());
                tmp[..n].copy_from_slice(&data[pos..pos + n]);
                if off.is_none() {
                    of.pos += n as u64;
                }
                n
            }
            _ => return Err(E::EINVAL),
        }
    };
    write_guest(p, buf, &tmp[..n])?;
    Ok(n as u64)
}

fn do_write(p: &mut Process, fd: i64, buf: u64, len: u64, off: Option<i64>) -> SysResult {
    let f = p.fds.file(fd)?;
    let len = len.min(MAX_RW) as usize;
    let data = read_guest(p, buf, len)?;
    let of = f.borrow();
    match &of.backing {
        Backing::Host(h) => {
            let r = match off {
                Some(o) => host::pwrite(*h, &data, o),
                None => host::write(*h, &data),
            };
            match r {
                Err(E::EPIPE) => {
                    drop(of);
                    Err(epipe(p))
                }
                r => Ok(r? as u64),
            }
        }
        Backing::EventFd { .. } => {
            drop(of);
            if data.len() < u64::SIZE {
                return Err(E::EINVAL);
            }
            super::poll::eventfd_write(&f, u64::read(&data))?;
            Ok(u64::SIZE as u64)
        }
        Backing::Memory(_) => Err(E::EBADF),
        // Neither epoll, timerfd, signalfd nor inotify descriptors take writes.
        _ => Err(E::EINVAL),
    }
}

/// A write to a pipe with no reader raises SIGPIPE in the writer, then fails with EPIPE.
pub(super) fn epipe(p: &mut Process) -> i32 {
    p.raise(p.si_user(crate::abi::signal::SIGPIPE));
    E::EPIPE
}

pub(super) fn read(p: &mut Process, a: &Args) -> SysResult {
    do_read(p, a.fd(0), a.ptr(1), a.ulong(2), None)
}

pub(super) fn write(p: &mut Process, a: &Args) -> SysResult {
    do_write(p, a.fd(0), a.ptr(1), a.ulong(2), None)
}

pub(super) fn pread64(p: &mut Process, a: &Args) -> SysResult {
    let off = offset(a.long(3))?;
    do_read(p, a.fd(0), a.ptr(1), a.ulong(2), Some(off))
}

pub(super) fn pwrite64(p: &mut Process, a: &Args) -> SysResult {
    let off = offset(a.long(3))?;
    do_write(p, a.fd(0), a.ptr(1), a.ulong(2), Some(off))
}

/// The `cnt` iovecs at `iov` (EINVAL past UIO_MAXIOV), as readv and writev take them.
pub(crate) fn iovecs(p: &mut Process, iov: u64, cnt: u64) -> Result<Vec<Iovec>, i32> {
    if cnt > UIO_MAXIOV as u64 {
        return Err(E::EINVAL);
    }
    read_array(p, iov, cnt as usize)
}

/// readv and its positioned forms: the segments in order, from `off` onwards (the file
/// position when `None`). Past the first segment it reads only what is there now, as
/// Linux does for pipes and sockets: a readv never waits with bytes already read.
pub(super) fn vread(p: &mut Process, fd: i64, iov: u64, cnt: u64, mut off: Option<i64>) -> SysResult {
    let v = iovecs(p, iov, cnt)?;
    let mut total = 0u64;
    for Iovec { base, len } in v {
        if len == 0 {
            continue;
        }
        if total > 0 && !readable_now(p, fd)? {
            break;
        }
        let n = match do_read(p, fd, base, len, off) {
            Ok(n) => n,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += n;
        if let Some(o) = off.as_mut() {
            *o += n as i64;
        }
        if n < len {
            break;
        }
    }
    Ok(total)
}

/// Whether a read of `fd` would return at once: files and memory always; host pipes,
/// sockets and terminals when they poll readable; event descriptors never twice.
fn readable_now(p: &mut Process, fd: i64) -> Result<bool, Errno> {
    let f = p.fds.file(fd)?;
    let of = f.borrow();
    match &of.backing {
        Backing::Memory(_) => Ok(true),
        Backing::Host(h) => Ok(of.dir.is_some() || host::poll(&[(*h, POLLIN)], 0)?[0] != 0),
        _ => Ok(false),
    }
}

/// writev and its positioned forms: the segments gathered into one write, so that it is
/// atomic like Linux's for pipes and terminals.
pub(super) fn vwrite(p: &mut Process, fd: i64, iov: u64, cnt: u64, off: Option<i64>) -> SysResult {
    let v = iovecs(p, iov, cnt)?;
    let mut data = Vec::new();
    for Iovec { base, len } in v {
        let room = MAX_RW as usize - data.len();
        data.extend(read_guest(p, base, (len as usize).min(room))?);
    }
    let f = p.fds.file(fd)?;
    let h = f.borrow().host_fd().ok_or(E::EBADF)?;
    let r = match off {
        Some(o) => host::pwrite(h, &data, o),
        None => host::write(h, &data),
    };
    match r {
        Err(E::EPIPE) => Err(epipe(p)),
        r => Ok(r? as u64),
    }
}

/// A positioned call's offset: negative is EINVAL.
fn offset(off: i64) -> Result<i64, Errno> {
    if off < 0 {
        Err(E::EINVAL)
    } else {
        Ok(off)
    }
}

pub(super) fn readv(p: &mut Process, a: &Args) -> SysResult {
    vread(p, a.fd(0), a.ptr(1), a.ulong(2), None)
}

pub(super) fn writev(p: &mut Process, a: &Args) -> SysResult {
    vwrite(p, a.fd(0), a.ptr(1), a.ulong(2), None)
}

// preadv and pwritev take the offset split in two longs for 32-bit callers; on x86-64
// the first holds all of it and the second is ignored.

pub(super) fn preadv(p: &mut Process, a: &Args) -> SysResult {
    let off = offset(a.long(3))?;
    vread(p, a.fd(0), a.ptr(1), a.ulong(2), Some(off))
}

pub(super) fn pwritev(p: &mut Process, a: &Args) -> SysResult {
    let off = offset(a.long(3))?;
    vwrite(p, a.fd(0), a.ptr(1), a.ulong(2), Some(off))
}

// RWF_* flags of preadv2/pwritev2.
const RWF_HIPRI: u32 = 0x1;
const RWF_DSYNC: u32 = 0x2;
const RWF_SYNC: u32 = 0x4;
const RWF_NOWAIT: u32 = 0x8;
const RWF_APPEND: u32 = 0x10;
/// The flags emu serves. RWF_NOAPPEND, RWF_ATOMIC and RWF_DONTCACHE (Linux 6.9, 6.11,
/// 6.14) are refused with EOPNOTSUPP, as by a kernel that predates them: a host write to
/// an O_APPEND descriptor cannot be told to ignore it.
const RWF_KNOWN: u32 = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND;

/// preadv2/pwritev2's offset: -1 is the file position.
fn offset2(off: i64) -> Result<Option<i64>, Errno> {
    if off == -1 {
        Ok(None)
    } else {
        offset(off).map(Some)
    }
}

pub(super) fn preadv2(p: &mut Process, a: &Args) -> SysResult {
    let (fd, flags) = (a.fd(0), a.uint(5));
    if flags & !RWF_KNOWN != 0 {
        return Err(E::EOPNOTSUPP);
    }
    let off = offset2(a.long(3))?;
    // RWF_HIPRI polls for O_DIRECT completions: the same bytes either way.
    if flags & RWF_NOWAIT != 0 && !readable_now(p, fd)? {
        return Err(E::EAGAIN);
    }
    vread(p, fd, a.ptr(1), a.ulong(2), off)
}

pub(super) fn pwritev2(p: &mut Process, a: &Args) -> SysResult {
    let (fd, flags) = (a.fd(0), a.uint(5));
    if flags & !RWF_KNOWN != 0 {
        return Err(E::EOPNOTSUPP);
    }
    let mut off = offset2(a.long(3))?;
    let h = p.fds.file(fd)?.borrow().host_fd().ok_or(E::EBADF)?;
    if flags & RWF_APPEND != 0 {
        // Appends whatever the offset says, and leaves the file position alone.
        off = Some(host::fstat(h)?.size);
    }
    if flags & RWF_NOWAIT != 0 && host::poll(&[(h, POLLOUT)], 0)?[0] == 0 {
        return Err(E::EAGAIN);
    }
    let n = vwrite(p, fd, a.ptr(1), a.ulong(2), off)?;
    if flags & (RWF_DSYNC | RWF_SYNC) != 0 {
        host::fsync(h)?;
    }
    Ok(n)
}

pub(super) fn open(p: &mut Process, a: &Args) -> SysResult {
    do_openat(p, AT_FDCWD as i64, a.ptr(0), a.uint(1), a.uint(2))
}

pub(super) fn openat(p: &mut Process, a: &Args) -> SysResult {
    do_openat(p, a.fd(0), a.ptr(1), a.uint(2), a.uint(3))
}

fn do_openat(p: &mut Process, dirfd: i64, path: u64, flags: u32, mode: u32) -> SysResult {
    let path = read_path(p, path)?;
    if path.is_empty() {
        return Err(E::ENOENT);
    }
    if flags & O::O_TMPFILE == O::O_TMPFILE || flags & O::O_PATH != 0 && flags & O::O_DIRECTORY == 0 {
        // O_PATH without O_DIRECTORY is served as a plain read-only open below only if the
        // target is openable; O_TMPFILE has no portable host equivalent.
        if flags & O::O_TMPFILE == O::O_TMPFILE {
            return Err(E::EOPNOTSUPP);
        }
    }
    let cloexec = flags & O::O_CLOEXEC != 0;
    // A final symlink is not followed with O_NOFOLLOW, nor by O_CREAT|O_EXCL.
    let follow = flags & O::O_NOFOLLOW == 0 && flags & (O::O_CREAT | O::O_EXCL) != O::O_CREAT | O::O_EXCL;
    // The description remembers the absolute guest path (for /proc/self/fd, *at calls
    // relative to it, and fchdir), as the cwd or dirfd may change later.
    let abs = super::fs::guest_abs(p, dirfd, &path)?;
    let file = match super::fs::resolve_at(p, dirfd, &path, follow)? {
        super::fs::Target::Generated(data) => OpenFile::memory(data, Some(abs)),
        super::fs::Target::Host(dir, hp) => {
            let mut hflags = flags;
            if flags & O::O_PATH != 0 {
                // Opening for a path only never waits (for a fifo's other end).
                hflags = O::O_RDONLY | O::O_NONBLOCK | (flags & (O::O_DIRECTORY | O::O_NOFOLLOW));
            }
            let h = open_host(p, (dir, &hp), &abs, hflags, mode & !p.umask & 0o7777, follow)?;
            // 64-bit Linux forces O_LARGEFILE on every file open() returns.
            OpenFile::host(h, (flags & !O::O_CLOEXEC) | O::O_LARGEFILE, Some(abs))
        }
    };
    p.fds.alloc(FdEntry { file: Rc::new(RefCell::new(file)), cloexec }, 0).map(|fd| fd as u64)
}

pub(super) fn creat(p: &mut Process, a: &Args) -> SysResult {
    do_openat(p, AT_FDCWD as i64, a.ptr(0), O::O_CREAT | O::O_WRONLY | O::O_TRUNC, a.uint(1))
}

/// Opens host path `at` for the guest path `abs`. A blocking open of a fifo waits for the
/// other end, in the host when the guest has one thread. With other threads to run the
/// thread parks instead: a writer tries again until there is a reader; a reader keeps its
/// end open (so writers get in) and waits until a writer has written or gone.
fn open_host(
    p: &mut Process,
    at: (i32, &[u8]),
    abs: &[u8],
    flags: u32,
    mode: u32,
    follow: bool,
) -> Result<i32, Errno> {
    let (dir, hp) = at;
    let acc = flags & O::O_ACCMODE;
    let may_wait = p.multithreaded() && flags & (O::O_NONBLOCK | O::O_PATH) == 0 && acc != O::O_RDWR;
    let fifo = may_wait
        && host::fstatat(dir, hp, follow)
            .is_ok_and(|st| st.mode & crate::abi::mode::S_IFMT == crate::abi::mode::S_IFIFO);
    if !fifo {
        return host::openat(dir, hp, flags, mode);
    }
    let retry = |p: &mut Process, wait: crate::thread::Wait| {
        p.park(wait);
        Err(crate::thread::E_WOULDBLOCK)
    };
    if acc == O::O_WRONLY {
        return match host::openat(dir, hp, flags | O::O_NONBLOCK, mode) {
            Err(E::ENXIO) => {
                let at = p.world().instant() + std::time::Duration::from_millis(2);
                retry(p, crate::thread::Wait::Retry { at })
            }
            Ok(h) => {
                host::set_status_flags(h, flags)?;
                Ok(h)
            }
            Err(e) => Err(e),
        };
    }
    let h = match p.cur_mut().fifo_open.take() {
        Some((path, h)) if path == abs => h,
        _ => OwnedHostFd(host::openat(dir, hp, flags | O::O_NONBLOCK, mode)?),
    };
    if host::poll(&[(h.0, POLLIN)], 0)?[0] != 0 {
        host::set_status_flags(h.0, flags)?;
        return Ok(h.release());
    }
    let fd = h.0;
    p.cur_mut().fifo_open = Some((abs.to_vec(), h));
    retry(p, crate::thread::Wait::Fd { fd, events: 1, deadline: None })
}

pub(super) fn close(p: &mut Process, a: &Args) -> SysResult {
    p.fds.close(a.fd(0))?;
    Ok(0)
}

/// close_range: closes (or with CLOSE_RANGE_CLOEXEC marks close-on-exec) every open fd
/// from `first` to `last`. CLOSE_RANGE_UNSHARE has nothing to do: the table is the
/// process's own.
pub(super) fn close_range(p: &mut Process, a: &Args) -> SysResult {
    const CLOSE_RANGE_UNSHARE: u32 = 2;
    const CLOSE_RANGE_CLOEXEC: u32 = 4;
    let (first, last, flags) = (a.uint(0), a.uint(1), a.uint(2));
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(E::EINVAL);
    }
    let end = (last as usize).min(p.fds.len().saturating_sub(1));
    for fd in first as usize as i64..=end as i64 {
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            if let Ok(e) = p.fds.get_mut(fd) {
                e.cloexec = true;
            }
        } else {
            let _ = p.fds.close(fd);
        }
    }
    Ok(0)
}

pub(super) fn lseek(p: &mut Process, a: &Args) -> SysResult {
    let f = p.fds.file(a.fd(0))?;
    let mut of = f.borrow_mut();
    let (off, whence) = (a.long(1), a.uint(2));
    if let Backing::Memory(d) = &of.backing {
        let base = match whence {
            0 => 0,
            1 => of.pos as i64,
            2 => d.len() as i64,
            _ => return Err(E::EINVAL),
        };
        let n = base.checked_add(off).filter(|&n| n >= 0).ok_or(E::EINVAL)?;
        of.pos = n as u64;
        return Ok(n as u64);
    }
    let h = of.host_fd().ok_or(E::EBADF)?;
    let r = host::lseek(h, off, whence)? as u64;
    if of.dir.is_some() && whence == 0 && off == 0 {
        // rewinddir: list the directory afresh next time.
        of.dir = None;
        of.pos = 0;
    }
    Ok(r)
}

fn dup_to(p: &mut Process, old: i64, min: usize, cloexec: bool) -> SysResult {
    let e = p.fds.get(old)?.clone();
    p.fds.alloc(FdEntry { file: e.file, cloexec }, min).map(|v| v as u64)
}

pub(super) fn dup(p: &mut Process, a: &Args) -> SysResult {
    dup_to(p, a.fd(0), 0, false)
}

fn do_dup3(p: &mut Process, old: i64, new: i64, cloexec: bool) -> SysResult {
    let e = p.fds.get(old)?.clone();
    if !(0..p.fds.limit() as i64).contains(&new) {
        return Err(E::EBADF);
    }
    p.fds.put(new as usize, FdEntry { file: e.file, cloexec });
    Ok(new as u64)
}

pub(super) fn dup2(p: &mut Process, a: &Args) -> SysResult {
    let (old, new) = (a.fd(0), a.fd(1));
    if old == new {
        p.fds.get(old)?;
        return Ok(new as u64);
    }
    do_dup3(p, old, new, false)
}

pub(super) fn dup3(p: &mut Process, a: &Args) -> SysResult {
    let (old, new, flags) = (a.fd(0), a.fd(1), a.uint(2));
    if old == new || flags & !O::O_CLOEXEC != 0 {
        return Err(E::EINVAL);
    }
    do_dup3(p, old, new, flags & O::O_CLOEXEC != 0)
}

fn do_pipe(p: &mut Process, addr: u64, flags: u32) -> SysResult {
    if flags & !(O::O_CLOEXEC | O::O_NONBLOCK | O::O_DIRECT) != 0 {
        return Err(E::EINVAL);
    }
    let (r, w) = host::pipe()?;
    if flags & O::O_NONBLOCK != 0 {
        host::set_status_flags(r, O::O_NONBLOCK)?;
        host::set_status_flags(w, O::O_WRONLY | O::O_NONBLOCK)?;
    }
    let cloexec = flags & O::O_CLOEXEC != 0;
    let st = flags & O::O_NONBLOCK;
    let rf = Rc::new(RefCell::new(OpenFile::host(r, O::O_RDONLY | st, None)));
    let wf = Rc::new(RefCell::new(OpenFile::host(w, O::O_WRONLY | st, None)));
    let rfd = p.fds.alloc(FdEntry { file: rf, cloexec }, 0)?;
    let wfd = match p.fds.alloc(FdEntry { file: wf, cloexec }, 0) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = p.fds.close(rfd);
            return Err(e);
        }
    };
    if let Err(e) = write_struct(p, addr, &[rfd as i32, wfd as i32]) {
        let _ = p.fds.close(rfd);
        let _ = p.fds.close(wfd);
        return Err(e);
    }
    Ok(0)
}

pub(super) fn pipe(p: &mut Process, a: &Args) -> SysResult {
    do_pipe(p, a.ptr(0), 0)
}

pub(super) fn pipe2(p: &mut Process, a: &Args) -> SysResult {
    do_pipe(p, a.ptr(0), a.uint(1))
}

const F_DUPFD: u32 = 0;
const F_GETFD: u32 = 1;
const F_SETFD: u32 = 2;
const F_GETFL: u32 = 3;
const F_SETFL: u32 = 4;
const F_DUPFD_CLOEXEC: u32 = 1030;
const F_GETPIPE_SZ: u32 = 1032;

pub(super) fn fcntl(p: &mut Process, a: &Args) -> SysResult {
    // The third argument is an int, a set of flags or a pointer, by command.
    let (fd, cmd, arg) = (a.fd(0), a.uint(1), a.ulong(2));
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            if arg >= p.fds.limit() as u64 {
                return Err(E::EINVAL);
            }
            dup_to(p, fd, arg as usize, cmd == F_DUPFD_CLOEXEC)
        }
        F_GETFD => Ok(p.fds.get(fd)?.cloexec as u64),
        F_SETFD => {
            p.fds.get_mut(fd)?.cloexec = arg & 1 != 0;
            Ok(0)
        }
        F_GETFL => {
            let f = p.fds.file(fd)?;
            let of = f.borrow();
            let mut fl = of.flags;
            if let Some(h) = of.host_fd() {
                // O_LARGEFILE comes from the host where it reports it; elsewhere the open-time flag
                // stands (set by open, absent on pipes).
                let live =
                    O::O_APPEND | O::O_NONBLOCK | if host::REPORTS_LARGEFILE { O::O_LARGEFILE } else { 0 };
                let hf = host::get_status_flags(h)?;
                fl = (fl & !live) | (hf & live);
            }
            Ok(fl as u64)
        }
        F_SETFL => {
            let f = p.fds.file(fd)?;
            let mut of = f.borrow_mut();
            let keep = of.flags & !(O::O_APPEND | O::O_NONBLOCK);
            let new = keep | (arg as u32 & (O::O_APPEND | O::O_NONBLOCK));
            if let Some(h) = of.host_fd() {
                host::set_status_flags(h, new)?;
            }
            of.flags = new;
            Ok(0)
        }
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW => {
            super::lock::fcntl_lock(p, fd, cmd, arg)
        }
        F_GETPIPE_SZ => {
            p.fds.get(fd)?;
            Ok(65536)
        }
        _ => Err(E::EINVAL),
    }
}

/// ioctl: the descriptor requests here, the socket ones in `net.rs`, the terminal ones in
/// `tty.rs`.
pub(super) fn ioctl(p: &mut Process, a: &Args) -> SysResult {
    use crate::abi::tty::{FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, FIONREAD};
    let (fd, req, arg) = (a.fd(0), a.uint(1), a.ptr(2));
    let f = p.fds.file(fd)?;
    let h = f.borrow().host_fd();
    if super::net::is_socket_ioctl(req) && super::net::sock(p, fd).is_ok() {
        return super::net::ioctl(p, fd, req, arg);
    }
    match req {
        FIOCLEX | FIONCLEX => {
            p.fds.get_mut(fd)?.cloexec = req == FIOCLEX;
            Ok(0)
        }
        // O_NONBLOCK on or off, as fcntl(F_SETFL) would (Python's setblocking, libuv).
        FIONBIO => {
            let on = read_struct::<i32>(p, arg)? != 0;
            let mut of = f.borrow_mut();
            let new = if on { of.flags | O::O_NONBLOCK } else { of.flags & !O::O_NONBLOCK };
            if let Some(h) = of.host_fd() {
                host::set_status_flags(h, new)?;
            }
            of.flags = new;
            Ok(0)
        }
        // The bytes a read would get.
        FIONREAD => {
            let n = match &f.borrow().backing {
                Backing::Host(h) => host::bytes_readable(*h)?,
                Backing::Inotify(i) => host::bytes_readable(i.host)?,
                Backing::Memory(data) => {
                    data.len().saturating_sub(f.borrow().pos as usize).min(i32::MAX as usize) as i32
                }
                _ => return Err(E::ENOTTY),
            };
            write_struct(p, arg, &n)?;
            Ok(0)
        }
        // Signal-driven I/O (O_ASYNC) is not kept: refused as a descriptor without it.
        FIOASYNC => Err(E::ENOTTY),
        req if super::tty::is_tty_request(req) => super::tty::ioctl(p, h, req, arg),
        _ => Err(E::ENOTTY),
    }
}

pub(super) fn fsync(p: &mut Process, a: &Args) -> SysResult {
    let f = p.fds.file(a.fd(0))?;
    if let Some(h) = f.borrow().host_fd() {
        host::fsync(h)?;
    }
    Ok(0)
}

pub(super) fn ftruncate(p: &mut Process, a: &Args) -> SysResult {
    let f = p.fds.file(a.fd(0))?;
    let h = f.borrow().host_fd().ok_or(E::EINVAL)?;
    host::ftruncate(h, a.long(1))?;
    Ok(0)
}

/// fadvise64: advice only; the descriptor must be valid.
pub(super) fn fadvise64(p: &mut Process, a: &Args) -> SysResult {
    let f = p.fds.file(a.fd(0))?;
    // A pipe has no pages to give advice about.
    let h = f.borrow().host_fd();
    if let Some(h) = h {
        if host::fstat(h)?.mode & crate::abi::mode::S_IFMT == crate::abi::mode::S_IFIFO {
            return Err(E::ESPIPE);
        }
    }
    if !(0..=5).contains(&a.int(3)) {
        return Err(E::EINVAL);
    }
    Ok(0)
}
