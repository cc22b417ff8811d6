//! Reading, writing and seeking host fds; making and closing them (dup, pipes, socket
//! pairs); memory shared with forked children.

use super::errno::linux;
use super::{fd, os, HostResult};
use crate::abi::errno as E;
use rustix::fd::{IntoRawFd, OwnedFd};
use rustix::fs::SeekFrom;

/// The descriptors above the standard three that emu was started with and that an exec
/// keeps (not close-on-exec), with their status flags: the guest inherits them as a
/// program started in emu's place would. emu's own descriptors are all close-on-exec.
pub fn inherited_fds() -> Vec<(i32, u32)> {
    let Ok(dir) = std::fs::read_dir("/dev/fd") else { return Vec::new() };
    let mut v: Vec<(i32, u32)> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&h| h > 2)
        .filter_map(|h| {
            let f = rustix::io::fcntl_getfd(fd(h).ok()?).ok()?;
            if f.contains(rustix::io::FdFlags::CLOEXEC) {
                return None;
            }
            Some((h, super::get_status_flags(h).ok()?))
        })
        .collect();
    v.sort_unstable();
    v
}

/// Closes host fd `fd`, which the caller owns and no longer uses.
pub fn close(fd: i32) {
    if fd < 0 {
        return;
    }
    // SAFETY: the caller owns `fd` (an fd table entry being dropped, or a pipe end it made)
    // and gives it up here; the number is not used again.
    unsafe { rustix::io::close(fd) };
}

/// An fd rustix made, as the number the fd table keeps.
pub(super) fn raw(fd: OwnedFd) -> i32 {
    fd.into_raw_fd()
}

pub fn read(fd: i32, buf: &mut [u8]) -> HostResult<usize> {
    rustix::io::read(self::fd(fd)?, buf).map_err(linux)
}

pub fn write(fd: i32, buf: &[u8]) -> HostResult<usize> {
    rustix::io::write(self::fd(fd)?, buf).map_err(linux)
}

pub fn pread(fd: i32, buf: &mut [u8], off: i64) -> HostResult<usize> {
    let off = u64::try_from(off).map_err(|_| E::EINVAL)?;
    rustix::io::pread(self::fd(fd)?, buf, off).map_err(linux)
}

pub fn pwrite(fd: i32, buf: &[u8], off: i64) -> HostResult<usize> {
    let off = u64::try_from(off).map_err(|_| E::EINVAL)?;
    rustix::io::pwrite(self::fd(fd)?, buf, off).map_err(linux)
}

/// lseek with Linux's whence (0 SEEK_SET, 1 SEEK_CUR, 2 SEEK_END).
pub fn lseek(fd: i32, off: i64, whence: u32) -> HostResult<i64> {
    let pos = match whence {
        0 => SeekFrom::Start(u64::try_from(off).map_err(|_| E::EINVAL)?),
        1 => SeekFrom::Current(off),
        2 => SeekFrom::End(off),
        _ => return Err(E::EINVAL),
    };
    let r = rustix::fs::seek(self::fd(fd)?, pos).map_err(linux)?;
    Ok(r as i64)
}

/// A close-on-exec duplicate of `fd`, numbered 3 or above.
pub fn dup(fd: i32) -> HostResult<i32> {
    rustix::io::fcntl_dupfd_cloexec(self::fd(fd)?, 3).map(raw).map_err(linux)
}

/// A pipe, (read end, write end), both close-on-exec.
pub fn pipe() -> HostResult<(i32, i32)> {
    let (r, w) = os::pipe_cloexec().map_err(linux)?;
    Ok((raw(r), raw(w)))
}

/// An AF_UNIX socketpair of the given Linux type (1 stream, 2 dgram, 5 seqpacket), both
/// ends close-on-exec.
pub fn socketpair(ty: i32) -> HostResult<(i32, i32)> {
    use rustix::net::SocketType;
    let ty = match ty {
        1 => SocketType::STREAM,
        2 => SocketType::DGRAM,
        5 => SocketType::SEQPACKET,
        _ => return Err(E::EINVAL),
    };
    let (a, b) = os::socketpair_cloexec(ty).map_err(linux)?;
    Ok((raw(a), raw(b)))
}

/// Bytes available to read on an fd (FIONREAD).
pub fn bytes_readable(fd: i32) -> HostResult<i32> {
    let n = rustix::io::ioctl_fionread(self::fd(fd)?).map_err(linux)?;
    Ok(n.min(i32::MAX as u64) as i32)
}

/// A counter in memory shared with every process this one forks afterwards (an anonymous
/// shared mapping, never unmapped). None if the host refuses the mapping.
pub fn shared_counter() -> Option<&'static std::sync::atomic::AtomicU64> {
    use rustix::mm::{mmap_anonymous, MapFlags, ProtFlags};
    // SAFETY: a fresh anonymous mapping at an address the host picks, so no Rust object
    // lives there; it is page-aligned, zero-filled and never unmapped, so it stays valid
    // for the life of the process (and its forks), and any bit pattern is a valid AtomicU64.
    unsafe {
        let p =
            mmap_anonymous(std::ptr::null_mut(), 4096, ProtFlags::READ | ProtFlags::WRITE, MapFlags::SHARED)
                .ok()?;
        Some(&*(p as *const std::sync::atomic::AtomicU64))
    }
}
