//! File metadata: times (utimensat, futimesat, utimes, utime), owners (chown, fchown,
//! lchown, fchownat) and fchmodat2, sizes (truncate, fallocate), nodes (mknod, mknodat), and flushing
//! and read-ahead (sync, syncfs, sync_file_range, readahead). The host keeps the metadata
//! and decides who may change it (a chown to another user is EPERM unless the host lets
//! emu do it).

use super::fs::{resolve_host_at, Target};
use super::{read_path, read_struct, Args, SysResult};
use crate::abi::meta::{Utimbuf, UTIME_NOW, UTIME_OMIT};
use crate::abi::mode::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
use crate::abi::time::{Timespec, Timeval};
use crate::abi::{errno as E, open as O, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW};
use crate::host::{self, Errno, FileTime, NodeKind};
use crate::Process;

/// What a metadata call acts on: a host path (relative to a host directory fd), or an
/// open file (a NULL path, or an empty one with AT_EMPTY_PATH).
enum Object {
    Path(i32, Vec<u8>, bool),
    Open(i32),
}

/// The host fd of guest fd `fd`; descriptors that are no host file (eventfd, epoll...)
/// cannot change (EPERM).
fn host_fd(p: &Process, fd: i64) -> Result<i32, Errno> {
    p.fds.file(fd)?.borrow().host_fd().ok_or(E::EPERM)
}

/// Locates `path` (None: NULL) relative to `dirfd` for an *at call with `flags`.
fn locate(p: &mut Process, dirfd: i64, path: Option<Vec<u8>>, flags: u32) -> Result<Object, Errno> {
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    let path = match path {
        Some(path) if path.is_empty() && flags & AT_EMPTY_PATH != 0 && dirfd == AT_FDCWD as i64 => {
            b".".to_vec()
        }
        Some(path) if path.is_empty() && flags & AT_EMPTY_PATH != 0 => {
            return Ok(Object::Open(host_fd(p, dirfd)?))
        }
        Some(path) if path.is_empty() => return Err(E::ENOENT),
        Some(path) => path,
        None if dirfd == AT_FDCWD as i64 => return Err(E::EFAULT),
        None => return Ok(Object::Open(host_fd(p, dirfd)?)),
    };
    let (d, h) = resolve_host_at(p, dirfd, &path, follow)?;
    Ok(Object::Path(d, h, follow))
}

fn optional_path(p: &mut Process, addr: u64) -> Result<Option<Vec<u8>>, Errno> {
    if addr == 0 {
        Ok(None)
    } else {
        read_path(p, addr).map(Some)
    }
}

// ---- times ----

/// Sets the times of `what`: `times` None is now for both.
fn set_times(
    p: &mut Process,
    dirfd: i64,
    path: Option<Vec<u8>>,
    times: Option<[FileTime; 2]>,
    flags: u32,
) -> SysResult {
    let times = times.unwrap_or([(0, UTIME_NOW); 2]);
    // Nothing to change: Linux answers before it looks at the file.
    if times[0].1 == UTIME_OMIT && times[1].1 == UTIME_OMIT {
        return Ok(0);
    }
    match locate(p, dirfd, path, flags)? {
        Object::Path(d, h, follow) => host::utimensat(d, &h, times, follow)?,
        Object::Open(h) => host::futimens(h, times)?,
    }
    Ok(0)
}

/// A utimensat time: nanoseconds in range, or UTIME_NOW / UTIME_OMIT.
fn file_time(t: Timespec) -> Result<FileTime, Errno> {
    match t.nsec {
        UTIME_NOW | UTIME_OMIT => Ok((t.sec, t.nsec)),
        n if (0..1_000_000_000).contains(&n) => Ok((t.sec, n)),
        _ => Err(E::EINVAL),
    }
}

pub(super) fn utimensat(p: &mut Process, a: &Args) -> SysResult {
    let (dirfd, path, times, flags) = (a.fd(0), a.ptr(1), a.ptr(2), a.uint(3));
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(E::EINVAL);
    }
    let times = if times == 0 {
        None
    } else {
        let [at, mt] = read_struct::<[Timespec; 2]>(p, times)?;
        Some([file_time(at)?, file_time(mt)?])
    };
    // A NULL path names dirfd itself, which no flag applies to.
    if path == 0 && flags & AT_SYMLINK_NOFOLLOW != 0 {
        return Err(E::EINVAL);
    }
    let path = optional_path(p, path)?;
    set_times(p, dirfd, path, times, flags)
}

/// The times of futimesat and utimes: microseconds.
fn timevals(p: &mut Process, addr: u64) -> Result<Option<[FileTime; 2]>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let tv = read_struct::<[Timeval; 2]>(p, addr)?;
    let one = |t: Timeval| {
        if (0..1_000_000).contains(&t.usec) {
            Ok((t.sec, t.usec * 1000))
        } else {
            Err(E::EINVAL)
        }
    };
    Ok(Some([one(tv[0])?, one(tv[1])?]))
}

pub(super) fn futimesat(p: &mut Process, a: &Args) -> SysResult {
    let (dirfd, path, times) = (a.fd(0), a.ptr(1), a.ptr(2));
    let times = timevals(p, times)?;
    let path = optional_path(p, path)?;
    set_times(p, dirfd, path, times, 0)
}

pub(super) fn utimes(p: &mut Process, a: &Args) -> SysResult {
    let times = timevals(p, a.ptr(1))?;
    let path = read_path(p, a.ptr(0))?;
    set_times(p, AT_FDCWD as i64, Some(path), times, 0)
}

pub(super) fn utime(p: &mut Process, a: &Args) -> SysResult {
    let times = match a.ptr(1) {
        0 => None,
        addr => {
            let Utimbuf { actime, modtime } = read_struct(p, addr)?;
            Some([(actime, 0), (modtime, 0)])
        }
    };
    let path = read_path(p, a.ptr(0))?;
    set_times(p, AT_FDCWD as i64, Some(path), times, 0)
}

// ---- owners ----

/// An owner or group argument: -1 leaves it unchanged.
fn id(v: u32) -> Option<u32> {
    (v != u32::MAX).then_some(v)
}

fn chown_at(p: &mut Process, dirfd: i64, path: u64, uid: u32, gid: u32, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(E::EINVAL);
    }
    let path = read_path(p, path)?;
    match locate(p, dirfd, Some(path), flags)? {
        Object::Path(d, h, follow) => host::chownat(d, &h, id(uid), id(gid), follow)?,
        Object::Open(h) => host::fchown(h, id(uid), id(gid))?,
    }
    Ok(0)
}

pub(super) fn chown(p: &mut Process, a: &Args) -> SysResult {
    chown_at(p, AT_FDCWD as i64, a.ptr(0), a.uint(1), a.uint(2), 0)
}

pub(super) fn lchown(p: &mut Process, a: &Args) -> SysResult {
    chown_at(p, AT_FDCWD as i64, a.ptr(0), a.uint(1), a.uint(2), AT_SYMLINK_NOFOLLOW)
}

pub(super) fn fchownat(p: &mut Process, a: &Args) -> SysResult {
    chown_at(p, a.fd(0), a.ptr(1), a.uint(2), a.uint(3), a.uint(4))
}

/// fchmodat2: fchmodat with flags. A symlink's own mode cannot be changed (EOPNOTSUPP, as
/// Linux's filesystems answer).
pub(super) fn fchmodat2(p: &mut Process, a: &Args) -> SysResult {
    let (dirfd, path, mode, flags) = (a.fd(0), a.ptr(1), a.uint(2), a.uint(3));
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(E::EINVAL);
    }
    let path = read_path(p, path)?;
    match locate(p, dirfd, Some(path), flags)? {
        Object::Path(d, h, false) if host::fstatat(d, &h, false)?.mode & S_IFMT == S_IFLNK => {
            return Err(E::EOPNOTSUPP)
        }
        Object::Path(d, h, _) => host::fchmodat(d, &h, mode)?,
        Object::Open(h) => host::fchmod(h, mode)?,
    }
    Ok(0)
}

pub(super) fn fchown(p: &mut Process, a: &Args) -> SysResult {
    let h = host_fd(p, a.fd(0))?;
    host::fchown(h, id(a.uint(1)), id(a.uint(2)))?;
    Ok(0)
}

// ---- sizes ----

pub(super) fn truncate(p: &mut Process, a: &Args) -> SysResult {
    let len = a.long(1);
    let path = read_path(p, a.ptr(0))?;
    if len < 0 {
        return Err(E::EINVAL);
    }
    if path.is_empty() {
        return Err(E::ENOENT);
    }
    // Relative to the working directory, as the host's call takes it.
    let (dir, h) = resolve_host_at(p, AT_FDCWD as i64, &path, true)?;
    debug_assert_eq!(dir, host::CWD);
    host::truncate(&h, len)?;
    Ok(0)
}

pub(super) fn fallocate(p: &mut Process, a: &Args) -> SysResult {
    let (fd, mode, off, len) = (a.fd(0), a.uint(1), a.long(2), a.long(3));
    let f = p.fds.file(fd)?;
    let Some(h) = f.borrow().host_fd() else {
        // Descriptors that are no file (eventfd, epoll...).
        return Err(if off < 0 || len <= 0 { E::EINVAL } else { E::ENODEV });
    };
    host::fallocate(h, mode, off, len)?;
    Ok(0)
}

// ---- nodes ----

fn mknod_at(p: &mut Process, dirfd: i64, path: u64, mode: u32, dev: u64) -> SysResult {
    let kind = match mode & S_IFMT {
        0 | S_IFREG => None,
        S_IFIFO => Some(NodeKind::Fifo),
        S_IFCHR => Some(NodeKind::Char),
        S_IFBLK => Some(NodeKind::Block),
        S_IFSOCK => Some(NodeKind::Socket),
        S_IFDIR => return Err(E::EPERM),
        _ => return Err(E::EINVAL),
    };
    let path = read_path(p, path)?;
    if path.is_empty() {
        return Err(E::ENOENT);
    }
    let perm = mode & 0o7777 & !p.umask;
    let (d, h) = match super::fs::resolve_at(p, dirfd, &path, false)? {
        Target::Host(d, h) => (d, h),
        Target::Generated(_) => return Err(E::EEXIST),
    };
    match kind {
        // A regular file: created empty, as open(O_CREAT|O_EXCL) makes one.
        None => host::close(host::openat(d, &h, O::O_WRONLY | O::O_CREAT | O::O_EXCL, perm)?),
        Some(k) => host::mknodat(d, &h, k, perm, dev)?,
    }
    Ok(0)
}

pub(super) fn mknod(p: &mut Process, a: &Args) -> SysResult {
    mknod_at(p, AT_FDCWD as i64, a.ptr(0), a.uint(1), a.uint(2) as u64)
}

pub(super) fn mknodat(p: &mut Process, a: &Args) -> SysResult {
    mknod_at(p, a.fd(0), a.ptr(1), a.uint(2), a.uint(3) as u64)
}

// ---- flushing and read-ahead ----

pub(super) fn sync(_: &mut Process, _: &Args) -> SysResult {
    host::sync();
    Ok(0)
}

pub(super) fn syncfs(p: &mut Process, a: &Args) -> SysResult {
    let f = p.fds.file(a.fd(0))?;
    let h = f.borrow().host_fd();
    if let Some(h) = h {
        host::syncfs(h)?;
    }
    Ok(0)
}

/// sync_file_range: the file is flushed whole (more than asked, never less).
pub(super) fn sync_file_range(p: &mut Process, a: &Args) -> SysResult {
    const VALID: u32 = 1 | 2 | 4;
    let (fd, off, n, flags) = (a.fd(0), a.long(1), a.long(2), a.uint(3));
    let f = p.fds.file(fd)?;
    if off < 0 || n < 0 || flags & !VALID != 0 {
        return Err(E::EINVAL);
    }
    let h = f.borrow().host_fd().ok_or(E::ESPIPE)?;
    let kind = host::fstat(h)?.mode & S_IFMT;
    if !matches!(kind, S_IFREG | S_IFBLK | S_IFDIR | crate::abi::mode::S_IFLNK) {
        return Err(E::ESPIPE);
    }
    if flags != 0 {
        host::fsync(h)?;
    }
    Ok(0)
}

/// readahead: advice only, for a regular file open for reading.
pub(super) fn readahead(p: &mut Process, a: &Args) -> SysResult {
    let f = p.fds.file(a.fd(0))?;
    let of = f.borrow();
    if of.flags & O::O_ACCMODE == O::O_WRONLY {
        return Err(E::EBADF);
    }
    let h = of.host_fd().ok_or(E::EINVAL)?;
    if host::fstat(h)?.mode & S_IFMT != S_IFREG {
        return Err(E::EINVAL);
    }
    Ok(0)
}
