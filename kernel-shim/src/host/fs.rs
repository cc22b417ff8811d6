//! Paths and files: open, stat, links, directories, statfs, and fd status flags, with
//! Linux flags, modes and structs translated both ways.

use super::errno::linux;
use super::io::raw;
use super::{fd, os, HostResult};
use crate::abi::{self, errno as E, open as O, Stat};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawMode};

/// A host directory fd for *at calls; `CWD` is the host's AT_FDCWD.
pub const CWD: i32 = os::AT_FDCWD;

/// Whether `get_status_flags` reports O_LARGEFILE.
pub const REPORTS_LARGEFILE: bool = os::O_LARGEFILE.is_some();

/// Linux open flags to host flags. Bits without a host meaning here are dropped.
fn open_flags(f: u32) -> HostResult<OFlags> {
    let mut h = match f & O::O_ACCMODE {
        O::O_RDONLY => OFlags::RDONLY,
        O::O_WRONLY => OFlags::WRONLY,
        O::O_RDWR => OFlags::RDWR,
        _ => return Err(E::EINVAL),
    };
    let map = [
        (O::O_CREAT, OFlags::CREATE),
        (O::O_EXCL, OFlags::EXCL),
        (O::O_NOCTTY, OFlags::NOCTTY),
        (O::O_TRUNC, OFlags::TRUNC),
        (O::O_APPEND, OFlags::APPEND),
        (O::O_NONBLOCK, OFlags::NONBLOCK),
        (O::O_DIRECTORY, OFlags::DIRECTORY),
        (O::O_NOFOLLOW, OFlags::NOFOLLOW),
        (O::O_CLOEXEC, OFlags::CLOEXEC),
    ];
    for (l, hf) in map {
        if f & l != 0 {
            h |= hf;
        }
    }
    if f & O::O_SYNC == O::O_SYNC {
        h |= OFlags::SYNC;
    }
    Ok(h)
}

/// A Linux mode's permission bits as a host mode.
fn mode(m: u32) -> Mode {
    Mode::from_raw_mode(m as RawMode)
}

fn nofollow(follow: bool) -> AtFlags {
    if follow {
        AtFlags::empty()
    } else {
        AtFlags::SYMLINK_NOFOLLOW
    }
}

/// Opens a host path with Linux flags. The host fd is always close-on-exec: the guest's
/// close-on-exec flag is kept in the guest fd table.
pub fn openat(dir: i32, path: &[u8], flags: u32, mode: u32) -> HostResult<i32> {
    let hf = open_flags(flags & !O::O_CLOEXEC)? | OFlags::CLOEXEC;
    rustix::fs::openat(fd(dir)?, path, hf, self::mode(mode)).map(raw).map_err(linux)
}

// The host's stat field types vary (u16 or u32 modes, u32 or u64 counts), hence the casts.
#[allow(clippy::unnecessary_cast)]
fn stat_from(s: &rustix::fs::Stat) -> Stat {
    Stat {
        dev: os::dev_to_linux(s.st_dev as u64),
        ino: s.st_ino as u64,
        nlink: s.st_nlink as u64,
        mode: mode_to_linux(s.st_mode as RawMode),
        uid: s.st_uid as u32,
        gid: s.st_gid as u32,
        rdev: os::dev_to_linux(s.st_rdev as u64),
        size: s.st_size as i64,
        blksize: s.st_blksize as i64,
        blocks: s.st_blocks as i64,
        atime: (s.st_atime as i64, s.st_atime_nsec as i64),
        mtime: (s.st_mtime as i64, s.st_mtime_nsec as i64),
        ctime: (s.st_ctime as i64, s.st_ctime_nsec as i64),
    }
}

/// A host st_mode as Linux's: the file type moved to Linux's S_IF* bits.
#[allow(clippy::unnecessary_cast)] // RawMode is u16 on macOS
fn mode_to_linux(m: RawMode) -> u32 {
    use abi::mode::*;
    let t = match FileType::from_raw_mode(m) {
        FileType::RegularFile => S_IFREG,
        FileType::Directory => S_IFDIR,
        FileType::Symlink => S_IFLNK,
        FileType::CharacterDevice => S_IFCHR,
        FileType::BlockDevice => S_IFBLK,
        FileType::Fifo => S_IFIFO,
        FileType::Socket => S_IFSOCK,
        _ => 0,
    };
    t | (m as u32 & 0o7777)
}

/// A file type as Linux's d_type (DT_*).
fn dirent_type(t: FileType) -> u8 {
    match t {
        FileType::Fifo => 1,
        FileType::CharacterDevice => 2,
        FileType::Directory => 4,
        FileType::BlockDevice => 6,
        FileType::RegularFile => 8,
        FileType::Symlink => 10,
        FileType::Socket => 12,
        _ => 0,
    }
}

pub fn fstat(fd: i32) -> HostResult<Stat> {
    rustix::fs::fstat(self::fd(fd)?).map(|s| stat_from(&s)).map_err(linux)
}

pub fn fstatat(dir: i32, path: &[u8], follow: bool) -> HostResult<Stat> {
    rustix::fs::statat(fd(dir)?, path, nofollow(follow)).map(|s| stat_from(&s)).map_err(linux)
}

pub fn readlinkat(dir: i32, path: &[u8]) -> HostResult<Vec<u8>> {
    rustix::fs::readlinkat(fd(dir)?, path, Vec::new()).map(|c| c.into_bytes()).map_err(linux)
}

pub fn faccessat(dir: i32, path: &[u8], mode: u32, follow: bool) -> HostResult<()> {
    use rustix::fs::Access;
    let mut access = Access::EXISTS;
    for (l, h) in [(4, Access::READ_OK), (2, Access::WRITE_OK), (1, Access::EXEC_OK)] {
        if mode & l != 0 {
            access |= h;
        }
    }
    rustix::fs::accessat(fd(dir)?, path, access, nofollow(follow)).map_err(linux)
}

pub fn mkdirat(dir: i32, path: &[u8], mode: u32) -> HostResult<()> {
    rustix::fs::mkdirat(fd(dir)?, path, self::mode(mode)).map_err(linux)
}

pub fn unlinkat(dir: i32, path: &[u8], rmdir: bool) -> HostResult<()> {
    let fl = if rmdir { AtFlags::REMOVEDIR } else { AtFlags::empty() };
    rustix::fs::unlinkat(fd(dir)?, path, fl).map_err(linux)
}

pub fn renameat(d1: i32, from: &[u8], d2: i32, to: &[u8]) -> HostResult<()> {
    rustix::fs::renameat(fd(d1)?, from, fd(d2)?, to).map_err(linux)
}

pub fn symlinkat(target: &[u8], dir: i32, link: &[u8]) -> HostResult<()> {
    rustix::fs::symlinkat(target, fd(dir)?, link).map_err(linux)
}

pub fn linkat(d1: i32, from: &[u8], d2: i32, to: &[u8], follow: bool) -> HostResult<()> {
    let fl = if follow { AtFlags::SYMLINK_FOLLOW } else { AtFlags::empty() };
    rustix::fs::linkat(fd(d1)?, from, fd(d2)?, to, fl).map_err(linux)
}

pub fn fchmodat(dir: i32, path: &[u8], mode: u32) -> HostResult<()> {
    rustix::fs::chmodat(fd(dir)?, path, self::mode(mode), AtFlags::empty()).map_err(linux)
}

pub fn fchmod(fd: i32, mode: u32) -> HostResult<()> {
    rustix::fs::fchmod(self::fd(fd)?, self::mode(mode)).map_err(linux)
}

pub fn chdir(path: &[u8]) -> HostResult<()> {
    rustix::process::chdir(path).map_err(linux)
}

pub fn fchdir(fd: i32) -> HostResult<()> {
    rustix::process::fchdir(self::fd(fd)?).map_err(linux)
}

pub fn host_getcwd() -> Vec<u8> {
    std::env::current_dir()
        .map(|p| p.as_os_str().as_encoded_bytes().to_vec())
        .unwrap_or_else(|_| b"/".to_vec())
}

pub fn ftruncate(fd: i32, len: i64) -> HostResult<()> {
    let len = u64::try_from(len).map_err(|_| E::EINVAL)?;
    rustix::fs::ftruncate(self::fd(fd)?, len).map_err(linux)
}

/// The umask emu was started with, which the guest inherits.
pub fn start_umask() -> u32 {
    let m = rustix::process::umask(Mode::empty());
    rustix::process::umask(m);
    m.bits() as u32 & 0o777
}

/// The host's umask follows the guest's (the guest's process is emu's), so that a mode
/// emu passes to the host is not masked again by another umask.
pub fn set_umask(m: u32) {
    rustix::process::umask(Mode::from_raw_mode((m & 0o777) as RawMode));
}

pub fn fsync(fd: i32) -> HostResult<()> {
    rustix::fs::fsync(self::fd(fd)?).map_err(linux)
}

/// Host access mode and O_NONBLOCK / O_APPEND (/ O_LARGEFILE) state of an fd, as Linux
/// status flags.
pub fn get_status_flags(fd: i32) -> HostResult<u32> {
    let f = rustix::fs::fcntl_getfl(self::fd(fd)?).map_err(linux)?;
    let acc = f & OFlags::ACCMODE;
    let mut l = if acc == OFlags::WRONLY {
        O::O_WRONLY
    } else if acc == OFlags::RDWR {
        O::O_RDWR
    } else {
        O::O_RDONLY
    };
    if f.contains(OFlags::APPEND) {
        l |= O::O_APPEND;
    }
    if f.contains(OFlags::NONBLOCK) {
        l |= O::O_NONBLOCK;
    }
    // A 64-bit Linux kernel sets O_LARGEFILE on whatever open() returns, never on pipes or
    // sockets: the host's bit is the truth for every kind of fd.
    if let Some(bit) = os::O_LARGEFILE {
        if f.bits() & bit != 0 {
            l |= O::O_LARGEFILE;
        }
    }
    Ok(l)
}

/// Sets an fd's O_APPEND and O_NONBLOCK from Linux status flags.
pub fn set_status_flags(fd: i32, linux_flags: u32) -> HostResult<()> {
    let fd = self::fd(fd)?;
    let mut f = rustix::fs::fcntl_getfl(fd).map_err(linux)?;
    f.set(OFlags::APPEND, linux_flags & O::O_APPEND != 0);
    f.set(OFlags::NONBLOCK, linux_flags & O::O_NONBLOCK != 0);
    rustix::fs::fcntl_setfl(fd, f).map_err(linux)
}

/// statfs of a path or fd as the Linux `struct statfs` (120 bytes). A path must be
/// absolute or relative to [`CWD`].
pub fn statfs(dir: i32, path: Option<&[u8]>) -> HostResult<[u8; 120]> {
    let s = match path {
        Some(p) if dir == CWD || p.first() == Some(&b'/') => rustix::fs::statfs(p),
        Some(_) => return Err(E::EINVAL),
        None => rustix::fs::fstatfs(fd(dir)?),
    }
    .map_err(linux)?;
    let mut b = [0u8; 120];
    #[allow(clippy::unnecessary_cast)]
    let words: [i64; 7] = [
        os::statfs_type(&s),
        s.f_bsize as i64,
        s.f_blocks as i64,
        s.f_bfree as i64,
        s.f_bavail as i64,
        s.f_files as i64,
        s.f_ffree as i64,
    ];
    for (i, w) in words.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    // f_fsid (8), f_namelen, f_frsize, f_flags
    b[64..72].copy_from_slice(&255i64.to_le_bytes());
    #[allow(clippy::unnecessary_cast)]
    b[72..80].copy_from_slice(&(s.f_bsize as i64).to_le_bytes());
    Ok(b)
}

/// Reads directory entries from an open host directory fd, in the host's order, as
/// (inode, Linux d_type, name), from the start of the directory. A read error ends the
/// listing early.
pub fn read_dir_entries(fd: i32) -> HostResult<Vec<(u64, u8, Vec<u8>)>> {
    // A duplicate for this listing alone (the Dir closes it); it shares the file offset,
    // so the listing is rewound to the beginning.
    let d = rustix::io::fcntl_dupfd_cloexec(self::fd(fd)?, 3).map_err(linux)?;
    let mut dir = rustix::fs::Dir::new(d).map_err(linux)?;
    dir.rewind();
    let mut out = Vec::new();
    for e in dir {
        let Ok(e) = e else { break };
        out.push((e.ino(), dirent_type(e.file_type()), e.file_name().to_bytes().to_vec()));
    }
    Ok(out)
}
