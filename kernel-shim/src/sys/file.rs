//! File descriptors and I/O: open/openat/close, read/write and their vector and
//! positioned forms, lseek, dup family, pipe, fcntl, ioctl, fsync, ftruncate.

use super::{read_array, read_guest, read_path, read_struct, write_guest, write_struct, Args, SysResult};
use crate::abi::fs::{Flock, F_UNLCK};
use crate::abi::io::{Iovec, Termios, Winsize, UIO_MAXIOV};
use crate::abi::net::SockAddr;
use crate::abi::{errno as E, open as O, GuestStruct, AT_FDCWD};
use crate::fd::{Backing, FdEntry, OpenFile};
use crate::host;
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
    if host::poll(&[(h, 1)], 0)?[0] != 0 {
        return Ok(());
    }
    p.park(crate::thread::Wait::Fd { fd: h, events: 1, deadline: None });
    Err(crate::thread::E_WOULDBLOCK)
}

fn do_read(p: &mut Process, fd: i64, buf: u64, len: u64, off: Option<i64>) -> SysResult {
    let f = p.fds.file(fd)?;
    if off.is_none() {
        park_until_readable(p, &f)?;
        let of = f.borrow();
        if let Some(h) = of.host_fd().filter(|_| of.flags & O::O_NONBLOCK == 0 && of.dir.is_none()) {
            drop(of);
            crate::gate::before_blocking_read(h)?;
        }
    }
    let len = len.min(MAX_RW) as usize;
    let mut tmp = vec![0u8; len.min(1 << 24)];
    let n = {
        let mut of = f.borrow_mut();
        match &of.backing {
            // Deterministic mode: the random devices read from the seeded generator.
            Backing::Host(_) if crate::gate::is_random_device(of.path.as_deref()) => {
                crate::gate::random_bytes(&mut tmp);
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
            Backing::EventFd { .. } => {
                drop(of);
                let v = super::poll::eventfd_read(&f, len)?;
                v.write(&mut tmp);
                u64::SIZE
            }
            Backing::Epoll(_) => return Err(E::EINVAL),
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
        Backing::Memory(_) | Backing::Epoll(_) => Err(E::EBADF),
    }
}

/// A write to a pipe with no reader raises SIGPIPE in the writer, then fails with EPIPE.
fn epipe(p: &mut Process) -> i32 {
    p.raise(crate::signal::SigInfo::user(crate::abi::signal::SIGPIPE));
    E::EPIPE
}

pub(super) fn read(p: &mut Process, a: &Args) -> SysResult {
    do_read(p, a.fd(0), a.ptr(1), a.ulong(2), None)
}

pub(super) fn write(p: &mut Process, a: &Args) -> SysResult {
    do_write(p, a.fd(0), a.ptr(1), a.ulong(2), None)
}

pub(super) fn pread64(p: &mut Process, a: &Args) -> SysResult {
    let off = a.long(3);
    if off < 0 {
        return Err(E::EINVAL);
    }
    do_read(p, a.fd(0), a.ptr(1), a.ulong(2), Some(off))
}

pub(super) fn pwrite64(p: &mut Process, a: &Args) -> SysResult {
    let off = a.long(3);
    if off < 0 {
        return Err(E::EINVAL);
    }
    do_write(p, a.fd(0), a.ptr(1), a.ulong(2), Some(off))
}

fn iovecs(p: &mut Process, iov: u64, cnt: u64) -> Result<Vec<Iovec>, i32> {
    if cnt > UIO_MAXIOV as u64 {
        return Err(E::EINVAL);
    }
    read_array(p, iov, cnt as usize)
}

pub(super) fn readv(p: &mut Process, a: &Args) -> SysResult {
    let fd = a.fd(0);
    let v = iovecs(p, a.ptr(1), a.ulong(2))?;
    let mut total = 0u64;
    for Iovec { base, len } in v {
        if len == 0 {
            continue;
        }
        let n = match do_read(p, fd, base, len, None) {
            Ok(n) => n,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += n;
        if n < len {
            break;
        }
    }
    Ok(total)
}

pub(super) fn writev(p: &mut Process, a: &Args) -> SysResult {
    let v = iovecs(p, a.ptr(1), a.ulong(2))?;
    // Gather into one host write so the output is atomic like Linux's for pipes/terminals.
    let mut data = Vec::new();
    for Iovec { base, len } in v {
        data.extend(read_guest(p, base, len.min(MAX_RW) as usize)?);
    }
    let f = p.fds.file(a.fd(0))?;
    let h = f.borrow().host_fd().ok_or(E::EBADF)?;
    match host::write(h, &data) {
        Err(E::EPIPE) => Err(epipe(p)),
        r => Ok(r? as u64),
    }
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
                hflags = O::O_RDONLY | (flags & (O::O_DIRECTORY | O::O_NOFOLLOW));
            }
            let h = host::openat(dir, &hp, hflags, mode & !p.umask & 0o7777)?;
            // 64-bit Linux forces O_LARGEFILE on every file open() returns.
            OpenFile::host(h, (flags & !O::O_CLOEXEC) | O::O_LARGEFILE, Some(abs))
        }
    };
    p.fds.alloc(FdEntry { file: Rc::new(RefCell::new(file)), cloexec }, 0).map(|fd| fd as u64)
}

pub(super) fn close(p: &mut Process, a: &Args) -> SysResult {
    p.fds.close(a.fd(0))?;
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
    if !(0..crate::fd::MAX_FDS as i64).contains(&new) {
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
const F_GETLK: u32 = 5;
const F_SETLK: u32 = 6;
const F_SETLKW: u32 = 7;
const F_DUPFD_CLOEXEC: u32 = 1030;
const F_GETPIPE_SZ: u32 = 1032;

pub(super) fn fcntl(p: &mut Process, a: &Args) -> SysResult {
    // The third argument is an int, a set of flags or a pointer, by command.
    let (fd, cmd, arg) = (a.fd(0), a.uint(1), a.ulong(2));
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            if arg as usize >= crate::fd::MAX_FDS {
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
        // Record locks: a single emulated process cannot conflict with itself; report the
        // lock as free/granted.
        F_GETLK => {
            p.fds.get(fd)?;
            // The caller's struct comes back as it was (padding too) but for l_type.
            let mut b = read_guest(p, arg, Flock::SIZE)?;
            Flock { l_type: F_UNLCK, ..Flock::read(&b) }.write(&mut b);
            write_guest(p, arg, &b)?;
            Ok(0)
        }
        F_SETLK | F_SETLKW => {
            p.fds.get(fd)?;
            Ok(0)
        }
        F_GETPIPE_SZ => {
            p.fds.get(fd)?;
            Ok(65536)
        }
        _ => Err(E::EINVAL),
    }
}

const TCGETS: u32 = 0x5401;
const TIOCGWINSZ: u32 = 0x5413;
const TIOCGPGRP: u32 = 0x540f;
const FIONREAD: u32 = 0x541b;
const FIOCLEX: u32 = 0x5451;
const FIONCLEX: u32 = 0x5450;

pub(super) fn ioctl(p: &mut Process, a: &Args) -> SysResult {
    let (fd, req, arg) = (a.fd(0), a.uint(1), a.ptr(2));
    let f = p.fds.file(fd)?;
    let h = f.borrow().host_fd();
    let tty = h.is_some_and(host::isatty);
    match req {
        FIOCLEX | FIONCLEX => {
            p.fds.get_mut(fd)?.cloexec = req == FIOCLEX;
            Ok(0)
        }
        TCGETS if tty => {
            // The host gives the kernel's struct in its first bytes.
            let t = Termios::read(&host::tcgetattr(h.unwrap_or(-1))?);
            write_struct(p, arg, &t)?;
            Ok(0)
        }
        TIOCGWINSZ if tty => {
            let [row, col, xpixel, ypixel] = host::winsize(h.unwrap_or(-1))?;
            write_struct(p, arg, &Winsize { row, col, xpixel, ypixel })?;
            Ok(0)
        }
        TIOCGPGRP if tty => {
            write_struct(p, arg, &crate::gate::pid())?;
            Ok(0)
        }
        TCGETS | TIOCGWINSZ | TIOCGPGRP => Err(E::ENOTTY),
        FIONREAD => Err(E::ENOTTY),
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
    p.fds.get(a.fd(0))?;
    if !(0..=5).contains(&a.int(3)) {
        return Err(E::EINVAL);
    }
    Ok(0)
}

/// getsockname/getpeername. The only sockets emu creates are unnamed AF_UNIX pairs
/// (socketpair), whose address is just the family; anything else is ENOTSOCK.
pub(super) fn getsockname(p: &mut Process, a: &Args) -> SysResult {
    let (fd, addr, addrlen) = (a.fd(0), a.ptr(1), a.ptr(2));
    let f = p.fds.file(fd)?;
    let h = f.borrow().host_fd().ok_or(E::ENOTSOCK)?;
    if host::fstat(h)?.mode & crate::abi::mode::S_IFMT != crate::abi::mode::S_IFSOCK {
        return Err(E::ENOTSOCK);
    }
    // The buffer's size in, the address's full length out (the copy is cut to the buffer).
    let len = read_struct::<u32>(p, addrlen)?;
    let name = SockAddr::Unix(Vec::new()).to_bytes();
    write_guest(p, addr, &name[..(len as usize).min(name.len())])?;
    write_struct(p, addrlen, &(name.len() as u32))?;
    Ok(0)
}
