//! File metadata: times, owners, sizes (truncate, fallocate), device nodes and fifos, and
//! flushing to disk, with Linux's values translated.

use super::errno::linux;
use super::{fd, HostResult};
use crate::abi::errno as E;
use crate::abi::meta::{UTIME_NOW, UTIME_OMIT};
use rustix::fs::{AtFlags, Timestamps};

/// A file time as Linux's utimensat takes it: (seconds, nanoseconds), where nanoseconds
/// may be UTIME_NOW or UTIME_OMIT.
pub type FileTime = (i64, i64);

fn timestamps(t: [FileTime; 2]) -> Timestamps {
    let one = |(sec, nsec): FileTime| {
        // The special values are the host's own.
        let nsec = match nsec {
            UTIME_NOW => rustix::fs::UTIME_NOW,
            UTIME_OMIT => rustix::fs::UTIME_OMIT,
            n => n as _,
        };
        rustix::fs::Timespec { tv_sec: sec as _, tv_nsec: nsec }
    };
    Timestamps { last_access: one(t[0]), last_modification: one(t[1]) }
}

/// Sets the access and modification times of `path` relative to `dir`.
pub fn utimensat(dir: i32, path: &[u8], times: [FileTime; 2], follow: bool) -> HostResult<()> {
    let fl = if follow { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
    rustix::fs::utimensat(fd(dir)?, path, &timestamps(times), fl).map_err(linux)
}

/// The same for an open file.
pub fn futimens(h: i32, times: [FileTime; 2]) -> HostResult<()> {
    rustix::fs::futimens(fd(h)?, &timestamps(times)).map_err(linux)
}

fn ids(uid: Option<u32>, gid: Option<u32>) -> (Option<rustix::fs::Uid>, Option<rustix::fs::Gid>) {
    (uid.map(rustix::fs::Uid::from_raw), gid.map(rustix::fs::Gid::from_raw))
}

/// Changes the owner and group (None: unchanged) of `path` relative to `dir`.
pub fn chownat(dir: i32, path: &[u8], uid: Option<u32>, gid: Option<u32>, follow: bool) -> HostResult<()> {
    let (u, g) = ids(uid, gid);
    let fl = if follow { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
    rustix::fs::chownat(fd(dir)?, path, u, g, fl).map_err(linux)
}

pub fn fchown(h: i32, uid: Option<u32>, gid: Option<u32>) -> HostResult<()> {
    let (u, g) = ids(uid, gid);
    rustix::fs::fchown(fd(h)?, u, g).map_err(linux)
}

/// Sets the size of the file at `path` (relative to the working directory).
pub fn truncate(path: &[u8], len: i64) -> HostResult<()> {
    super::ffi::truncate(path, len)
}

/// fallocate with Linux's mode bits. The host decides on Linux; elsewhere mode 0
/// (allocate, growing the file) is done as the host can and every other mode is
/// EOPNOTSUPP, as on a Linux file system without it.
pub fn fallocate(h: i32, mode: u32, off: i64, len: i64) -> HostResult<()> {
    if off < 0 || len <= 0 {
        return Err(E::EINVAL);
    }
    let f = fd(h)?;
    #[cfg(target_os = "linux")]
    let flags = rustix::fs::FallocateFlags::from_bits_retain(mode);
    #[cfg(not(target_os = "linux"))]
    let flags = {
        if mode != 0 {
            return Err(E::EOPNOTSUPP);
        }
        rustix::fs::FallocateFlags::empty()
    };
    rustix::fs::fallocate(f, flags, off as u64, len as u64).map_err(linux)
}

/// What mknod makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Fifo,
    Char,
    Block,
    Socket,
}

/// Makes a fifo, device or socket node at `path` relative to `dir`, with permission bits
/// `mode` and (for devices) Linux device number `dev`.
pub fn mknodat(dir: i32, path: &[u8], kind: NodeKind, mode: u32, dev: u64) -> HostResult<()> {
    let dev = rustix::fs::makedev(crate::abi::major(dev), crate::abi::minor(dev));
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::FileType;
        let t = match kind {
            NodeKind::Fifo => FileType::Fifo,
            NodeKind::Char => FileType::CharacterDevice,
            NodeKind::Block => FileType::BlockDevice,
            NodeKind::Socket => FileType::Socket,
        };
        rustix::fs::mknodat(fd(dir)?, path, t, rustix::fs::Mode::from_raw_mode(mode as _), dev).map_err(linux)
    }
    #[cfg(not(target_os = "linux"))]
    super::ffi::mknodat(dir, path, kind, mode, dev as u64)
}

/// Flushes every file system.
pub fn sync() {
    rustix::fs::sync();
}

/// Flushes the file system of `h` (all of them where the host cannot tell one).
pub fn syncfs(h: i32) -> HostResult<()> {
    #[cfg(target_os = "linux")]
    return rustix::fs::syncfs(fd(h)?).map_err(linux);
    #[cfg(not(target_os = "linux"))]
    {
        fd(h)?;
        rustix::fs::sync();
        Ok(())
    }
}
