//! Unix hosts (Linux and macOS) through libc.

use super::{Errno, HostResult};
use crate::abi::{self, errno as E, open as O, Stat};
use std::ffi::CString;

/// The host's errno translated to the Linux value.
fn last_errno() -> Errno {
    let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    errno_from_host(e)
}

#[cfg(target_os = "linux")]
pub fn errno_from_host(e: i32) -> Errno {
    e
}

#[cfg(not(target_os = "linux"))]
pub fn errno_from_host(e: i32) -> Errno {
    // The first 34 values are shared by every Unix except 11; the rest differ on BSD-derived
    // hosts.
    match e {
        // BSD-derived hosts put EDEADLK at 11, which is EAGAIN on Linux.
        libc::EDEADLK => E::EDEADLK,
        1..=34 => e,
        libc::EAGAIN => E::EAGAIN,
        libc::ENAMETOOLONG => E::ENAMETOOLONG,
        libc::ENOLCK => E::ENOLCK,
        libc::ENOSYS => E::ENOSYS,
        libc::ENOTEMPTY => E::ENOTEMPTY,
        libc::ELOOP => E::ELOOP,
        libc::EOVERFLOW => E::EOVERFLOW,
        libc::ENOTSOCK => E::ENOTSOCK,
        libc::EOPNOTSUPP => E::EOPNOTSUPP,
        libc::ETIMEDOUT => E::ETIMEDOUT,
        libc::ECONNREFUSED => E::ECONNREFUSED,
        libc::EINPROGRESS => E::EINPROGRESS,
        _ => E::EIO,
    }
}

fn check(r: i64) -> HostResult<i64> {
    if r < 0 {
        Err(last_errno())
    } else {
        Ok(r)
    }
}

fn cpath(p: &[u8]) -> HostResult<CString> {
    CString::new(p).map_err(|_| E::EINVAL)
}

/// Linux open flags to host flags. Unknown bits are refused rather than guessed.
fn open_flags(f: u32) -> HostResult<i32> {
    let mut h = match f & O::O_ACCMODE {
        O::O_RDONLY => libc::O_RDONLY,
        O::O_WRONLY => libc::O_WRONLY,
        O::O_RDWR => libc::O_RDWR,
        _ => return Err(E::EINVAL),
    };
    let map = [
        (O::O_CREAT, libc::O_CREAT),
        (O::O_EXCL, libc::O_EXCL),
        (O::O_NOCTTY, libc::O_NOCTTY),
        (O::O_TRUNC, libc::O_TRUNC),
        (O::O_APPEND, libc::O_APPEND),
        (O::O_NONBLOCK, libc::O_NONBLOCK),
        (O::O_DIRECTORY, libc::O_DIRECTORY),
        (O::O_NOFOLLOW, libc::O_NOFOLLOW),
        (O::O_CLOEXEC, libc::O_CLOEXEC),
    ];
    for (l, hf) in map {
        if f & l != 0 {
            h |= hf;
        }
    }
    if f & O::O_SYNC == O::O_SYNC {
        h |= libc::O_SYNC;
    }
    Ok(h)
}

/// A host directory fd for *at calls; `CWD` is the host's AT_FDCWD.
pub const CWD: i32 = libc::AT_FDCWD;

/// Opens a host path with Linux flags. The host fd is always close-on-exec: the guest's
/// close-on-exec flag is kept in the guest fd table.
pub fn openat(dir: i32, path: &[u8], flags: u32, mode: u32) -> HostResult<i32> {
    let c = cpath(path)?;
    let hf = open_flags(flags & !O::O_CLOEXEC)? | libc::O_CLOEXEC;
    // SAFETY: `c` is a valid NUL-terminated string; open has no other memory arguments.
    let r = unsafe { libc::openat(dir, c.as_ptr(), hf, mode as libc::c_uint) };
    check(r as i64).map(|v| v as i32)
}

pub fn close(fd: i32) {
    // SAFETY: closing an fd this process owns.
    unsafe { libc::close(fd) };
}

pub fn read(fd: i32, buf: &mut [u8]) -> HostResult<usize> {
    // SAFETY: buf is valid for writes of buf.len() bytes.
    let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    check(r as i64).map(|v| v as usize)
}

pub fn write(fd: i32, buf: &[u8]) -> HostResult<usize> {
    // SAFETY: buf is valid for reads of buf.len() bytes.
    let r = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    check(r as i64).map(|v| v as usize)
}

pub fn pread(fd: i32, buf: &mut [u8], off: i64) -> HostResult<usize> {
    // SAFETY: buf is valid for writes of buf.len() bytes.
    let r = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), off as libc::off_t) };
    check(r as i64).map(|v| v as usize)
}

pub fn pwrite(fd: i32, buf: &[u8], off: i64) -> HostResult<usize> {
    // SAFETY: buf is valid for reads of buf.len() bytes.
    let r = unsafe { libc::pwrite(fd, buf.as_ptr().cast(), buf.len(), off as libc::off_t) };
    check(r as i64).map(|v| v as usize)
}

pub fn lseek(fd: i32, off: i64, whence: u32) -> HostResult<i64> {
    let w = match whence {
        0 => libc::SEEK_SET,
        1 => libc::SEEK_CUR,
        2 => libc::SEEK_END,
        _ => return Err(E::EINVAL),
    };
    // SAFETY: plain integer arguments.
    let r = unsafe { libc::lseek(fd, off as libc::off_t, w) };
    check(r as i64)
}

fn stat_from(s: &libc::stat) -> Stat {
    #[allow(clippy::unnecessary_cast)]
    Stat {
        dev: host_dev_to_linux(s.st_dev as u64),
        ino: s.st_ino as u64,
        nlink: s.st_nlink as u64,
        mode: mode_to_linux(s.st_mode as u32),
        uid: s.st_uid as u32,
        gid: s.st_gid as u32,
        rdev: host_dev_to_linux(s.st_rdev as u64),
        size: s.st_size as i64,
        blksize: s.st_blksize as i64,
        blocks: s.st_blocks as i64,
        atime: (s.st_atime as i64, s.st_atime_nsec as i64),
        mtime: (s.st_mtime as i64, s.st_mtime_nsec as i64),
        ctime: (s.st_ctime as i64, s.st_ctime_nsec as i64),
    }
}

#[cfg(target_os = "linux")]
fn host_dev_to_linux(d: u64) -> u64 {
    d
}

#[cfg(not(target_os = "linux"))]
fn host_dev_to_linux(d: u64) -> u64 {
    // BSD dev_t: major in the high byte, minor in the low 24 bits.
    let (maj, min) = ((d >> 24) & 0xff, d & 0xff_ffff);
    ((maj & 0xfff) << 8) | (min & 0xff) | ((min & !0xff) << 12)
}

// S_IF* are u32 on Linux and u16 on macOS, hence the casts.
#[allow(clippy::unnecessary_cast)]
fn mode_to_linux(m: u32) -> u32 {
    use abi::mode::*;
    let t = match m & (libc::S_IFMT as u32) {
        x if x == libc::S_IFREG as u32 => S_IFREG,
        x if x == libc::S_IFDIR as u32 => S_IFDIR,
        x if x == libc::S_IFLNK as u32 => S_IFLNK,
        x if x == libc::S_IFCHR as u32 => S_IFCHR,
        x if x == libc::S_IFBLK as u32 => S_IFBLK,
        x if x == libc::S_IFIFO as u32 => S_IFIFO,
        x if x == libc::S_IFSOCK as u32 => S_IFSOCK,
        _ => 0,
    };
    t | (m & 0o7777)
}

pub fn fstat(fd: i32) -> HostResult<Stat> {
    // SAFETY: zeroed libc::stat is a valid value; fstat writes into it.
    let mut s: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `s` is a valid out-pointer.
    check(unsafe { libc::fstat(fd, &mut s) } as i64)?;
    Ok(stat_from(&s))
}

pub fn fstatat(dir: i32, path: &[u8], follow: bool) -> HostResult<Stat> {
    let c = cpath(path)?;
    // SAFETY: zeroed libc::stat is a valid value.
    let mut s: libc::stat = unsafe { std::mem::zeroed() };
    let fl = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    // SAFETY: `c` is NUL-terminated and `s` a valid out-pointer.
    check(unsafe { libc::fstatat(dir, c.as_ptr(), &mut s, fl) } as i64)?;
    Ok(stat_from(&s))
}

pub fn readlinkat(dir: i32, path: &[u8]) -> HostResult<Vec<u8>> {
    let c = cpath(path)?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: buf is valid for buf.len() bytes.
    let r = unsafe { libc::readlinkat(dir, c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    let n = check(r as i64)? as usize;
    buf.truncate(n);
    Ok(buf)
}

pub fn faccessat(dir: i32, path: &[u8], mode: u32, follow: bool) -> HostResult<()> {
    let c = cpath(path)?;
    let fl = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    // Linux and the BSDs share F_OK/R_OK/W_OK/X_OK values.
    // SAFETY: `c` is NUL-terminated.
    check(unsafe { libc::faccessat(dir, c.as_ptr(), (mode & 7) as i32, fl) } as i64).map(|_| ())
}

pub fn mkdirat(dir: i32, path: &[u8], mode: u32) -> HostResult<()> {
    let c = cpath(path)?;
    // SAFETY: `c` is NUL-terminated.
    check(unsafe { libc::mkdirat(dir, c.as_ptr(), mode as libc::mode_t) } as i64).map(|_| ())
}

pub fn unlinkat(dir: i32, path: &[u8], rmdir: bool) -> HostResult<()> {
    let c = cpath(path)?;
    let fl = if rmdir { libc::AT_REMOVEDIR } else { 0 };
    // SAFETY: `c` is NUL-terminated.
    check(unsafe { libc::unlinkat(dir, c.as_ptr(), fl) } as i64).map(|_| ())
}

pub fn renameat(d1: i32, from: &[u8], d2: i32, to: &[u8]) -> HostResult<()> {
    let (a, b) = (cpath(from)?, cpath(to)?);
    // SAFETY: both are NUL-terminated.
    check(unsafe { libc::renameat(d1, a.as_ptr(), d2, b.as_ptr()) } as i64).map(|_| ())
}

pub fn symlinkat(target: &[u8], dir: i32, link: &[u8]) -> HostResult<()> {
    let (a, b) = (cpath(target)?, cpath(link)?);
    // SAFETY: both are NUL-terminated.
    check(unsafe { libc::symlinkat(a.as_ptr(), dir, b.as_ptr()) } as i64).map(|_| ())
}

pub fn linkat(d1: i32, from: &[u8], d2: i32, to: &[u8], follow: bool) -> HostResult<()> {
    let (a, b) = (cpath(from)?, cpath(to)?);
    let fl = if follow { libc::AT_SYMLINK_FOLLOW } else { 0 };
    // SAFETY: both are NUL-terminated.
    check(unsafe { libc::linkat(d1, a.as_ptr(), d2, b.as_ptr(), fl) } as i64).map(|_| ())
}

pub fn fchmodat(dir: i32, path: &[u8], mode: u32) -> HostResult<()> {
    let c = cpath(path)?;
    // SAFETY: `c` is NUL-terminated.
    check(unsafe { libc::fchmodat(dir, c.as_ptr(), mode as libc::mode_t, 0) } as i64).map(|_| ())
}

pub fn fchmod(fd: i32, mode: u32) -> HostResult<()> {
    // SAFETY: plain integers.
    check(unsafe { libc::fchmod(fd, mode as libc::mode_t) } as i64).map(|_| ())
}

pub fn chdir(path: &[u8]) -> HostResult<()> {
    let c = cpath(path)?;
    // SAFETY: `c` is NUL-terminated.
    check(unsafe { libc::chdir(c.as_ptr()) } as i64).map(|_| ())
}

pub fn fchdir(fd: i32) -> HostResult<()> {
    // SAFETY: plain integer.
    check(unsafe { libc::fchdir(fd) } as i64).map(|_| ())
}

pub fn host_getcwd() -> Vec<u8> {
    std::env::current_dir()
        .map(|p| p.as_os_str().as_encoded_bytes().to_vec())
        .unwrap_or_else(|_| b"/".to_vec())
}

pub fn ftruncate(fd: i32, len: i64) -> HostResult<()> {
    // SAFETY: plain integers.
    check(unsafe { libc::ftruncate(fd, len as libc::off_t) } as i64).map(|_| ())
}

pub fn fsync(fd: i32) -> HostResult<()> {
    // SAFETY: plain integer.
    check(unsafe { libc::fsync(fd) } as i64).map(|_| ())
}

pub fn dup(fd: i32) -> HostResult<i32> {
    // SAFETY: plain integers.
    check(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) } as i64).map(|v| v as i32)
}

/// A counter in memory shared with every process this one forks afterwards (an anonymous
/// shared mapping, never unmapped). None if the host refuses the mapping.
pub fn shared_counter() -> Option<&'static std::sync::atomic::AtomicU64> {
    // SAFETY: a fresh anonymous mapping; no Rust object lives there yet.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANON,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: page-aligned, zero-filled, valid for the life of the process (and its forks);
    // any bit pattern is a valid AtomicU64.
    Some(unsafe { &*(p as *const std::sync::atomic::AtomicU64) })
}

pub fn pipe() -> HostResult<(i32, i32)> {
    let mut fds = [0i32; 2];
    // SAFETY: fds is a valid 2-int array.
    check(unsafe { libc::pipe(fds.as_mut_ptr()) } as i64)?;
    for fd in fds {
        // SAFETY: fds just created.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok((fds[0], fds[1]))
}

/// The kernel's O_LARGEFILE bit on 64-bit Linux hosts (the libc crate defines it as 0 there,
/// since it is implied); 0 where the host has no such flag.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
const HOST_O_LARGEFILE: i32 = 0o100000;
#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
const HOST_O_LARGEFILE: i32 = 0o400000;
#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
const HOST_O_LARGEFILE: i32 = 0;
/// Whether `get_status_flags` reports O_LARGEFILE.
pub const REPORTS_LARGEFILE: bool = HOST_O_LARGEFILE != 0;

/// Host access mode and O_NONBLOCK / O_APPEND (/ O_LARGEFILE) state of an fd, as Linux
/// status flags.
pub fn get_status_flags(fd: i32) -> HostResult<u32> {
    // SAFETY: plain integers.
    let f = check(unsafe { libc::fcntl(fd, libc::F_GETFL) } as i64)? as i32;
    let mut l = match f & libc::O_ACCMODE {
        libc::O_WRONLY => O::O_WRONLY,
        libc::O_RDWR => O::O_RDWR,
        _ => O::O_RDONLY,
    };
    if f & libc::O_APPEND != 0 {
        l |= O::O_APPEND;
    }
    if f & libc::O_NONBLOCK != 0 {
        l |= O::O_NONBLOCK;
    }
    // A 64-bit Linux kernel sets O_LARGEFILE on whatever open() returns, never on pipes or
    // sockets: the host's bit is the truth for every kind of fd.
    if HOST_O_LARGEFILE != 0 && f & HOST_O_LARGEFILE != 0 {
        l |= O::O_LARGEFILE;
    }
    Ok(l)
}

pub fn set_status_flags(fd: i32, linux: u32) -> HostResult<()> {
    // SAFETY: plain integers.
    let mut f = check(unsafe { libc::fcntl(fd, libc::F_GETFL) } as i64)? as i32;
    f &= !(libc::O_APPEND | libc::O_NONBLOCK);
    if linux & O::O_APPEND != 0 {
        f |= libc::O_APPEND;
    }
    if linux & O::O_NONBLOCK != 0 {
        f |= libc::O_NONBLOCK;
    }
    // SAFETY: plain integers.
    check(unsafe { libc::fcntl(fd, libc::F_SETFL, f) } as i64).map(|_| ())
}

pub fn isatty(fd: i32) -> bool {
    // SAFETY: plain integer.
    unsafe { libc::isatty(fd) == 1 }
}

/// Window size of a terminal: (rows, cols, xpixel, ypixel).
pub fn winsize(fd: i32) -> HostResult<[u16; 4]> {
    // SAFETY: zeroed winsize is valid; ioctl writes into it.
    let mut w: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ takes a winsize out-pointer.
    check(unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut w) } as i64)?;
    Ok([w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel])
}

/// Terminal attributes in the Linux `struct termios` layout (36 bytes used of 60).
pub fn tcgetattr(fd: i32) -> HostResult<[u8; 60]> {
    // SAFETY: zeroed termios is valid.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `t` is a valid out-pointer.
    check(unsafe { libc::tcgetattr(fd, &mut t) } as i64)?;
    let mut b = [0u8; 60];
    #[cfg(target_os = "linux")]
    {
        b[0..4].copy_from_slice(&t.c_iflag.to_le_bytes());
        b[4..8].copy_from_slice(&t.c_oflag.to_le_bytes());
        b[8..12].copy_from_slice(&t.c_cflag.to_le_bytes());
        b[12..16].copy_from_slice(&t.c_lflag.to_le_bytes());
        b[16] = t.c_line;
        let n = t.c_cc.len().min(19);
        b[17..17 + n].copy_from_slice(&t.c_cc[..n]);
    }
    #[cfg(not(target_os = "linux"))]
    {
        // A sane cooked-mode terminal in Linux encoding: the host's bits differ.
        b[0..4].copy_from_slice(&0x500u32.to_le_bytes());
        b[4..8].copy_from_slice(&0x5u32.to_le_bytes());
        b[8..12].copy_from_slice(&0xbfu32.to_le_bytes());
        b[12..16].copy_from_slice(&0x8a3bu32.to_le_bytes());
    }
    Ok(b)
}

pub fn getentropy(buf: &mut [u8]) -> HostResult<()> {
    for chunk in buf.chunks_mut(256) {
        // SAFETY: chunk is valid for chunk.len() <= 256 bytes.
        check(unsafe { libc::getentropy(chunk.as_mut_ptr().cast(), chunk.len()) } as i64)?;
    }
    Ok(())
}

/// (seconds, nanoseconds) of a host clock: 0 realtime, 1 monotonic.
pub fn clock(id: u32) -> (i64, i64) {
    let cid = if id == 0 { libc::CLOCK_REALTIME } else { libc::CLOCK_MONOTONIC };
    // SAFETY: zeroed timespec is valid.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `ts` is a valid out-pointer.
    unsafe { libc::clock_gettime(cid, &mut ts) };
    #[allow(clippy::unnecessary_cast)]
    (ts.tv_sec as i64, ts.tv_nsec as i64)
}

/// Process CPU time (user+system) in nanoseconds.
pub fn cpu_time_ns() -> i64 {
    // SAFETY: zeroed timespec is valid.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `ts` is a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    #[allow(clippy::unnecessary_cast)]
    (ts.tv_sec as i64 * 1_000_000_000 + ts.tv_nsec as i64)
}

/// CPU time (user+system) of the children emu has waited for, in nanoseconds.
pub fn children_cpu_time_ns() -> u64 {
    // SAFETY: zeroed rusage is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| (t.tv_sec.max(0) as u64) * 1_000_000_000 + (t.tv_usec.max(0) as u64) * 1000;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// emu's own peak resident memory in bytes.
pub fn peak_rss() -> u64 {
    // SAFETY: zeroed rusage is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    // Linux reports KiB, macOS bytes.
    let unit = if cfg!(target_os = "macos") { 1 } else { 1024 };
    (ru.ru_maxrss.max(0) as u64) * unit
}

pub fn sleep(sec: i64, nsec: i64) {
    std::thread::sleep(std::time::Duration::new(sec.max(0) as u64, nsec.clamp(0, 999_999_999) as u32));
}

/// Sleeps for (sec, nsec) unless a host signal (or timer wake-up) arrives first; returns
/// the time left, (0, 0) when the whole time passed.
pub fn sleep_interruptible(sec: i64, nsec: i64) -> (i64, i64) {
    if signals_pending() {
        return (sec, nsec);
    }
    let ts = libc::timespec { tv_sec: sec.max(0) as _, tv_nsec: nsec.clamp(0, 999_999_999) as _ };
    let mut rem = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid timespecs; interruption by a signal is the point.
    if unsafe { libc::nanosleep(&ts, &mut rem) } == 0 {
        (0, 0)
    } else {
        (rem.tv_sec, rem.tv_nsec)
    }
}

pub fn hostname() -> Vec<u8> {
    let mut b = [0u8; 256];
    // SAFETY: b is valid for 256 bytes.
    unsafe { libc::gethostname(b.as_mut_ptr().cast(), b.len()) };
    b.split(|&c| c == 0).next().unwrap_or_default().to_vec()
}

pub fn ids() -> [u32; 4] {
    // SAFETY: these calls cannot fail.
    unsafe { [libc::getuid(), libc::geteuid(), libc::getgid(), libc::getegid()] }
}

pub fn getpid() -> i32 {
    // SAFETY: cannot fail.
    unsafe { libc::getpid() }
}

pub fn getppid() -> i32 {
    // SAFETY: cannot fail.
    unsafe { libc::getppid() }
}

/// Ends emu by `sig` with core dumps off, so the parent sees the status the native
/// program would have given. Falls back to exit(128+sig).
pub fn die_by_signal(sig: i32) -> ! {
    // SAFETY: resetting limits and dispositions of this process, then raising a signal.
    unsafe {
        let lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        libc::setrlimit(libc::RLIMIT_CORE, &lim);
        let hs = host_signal(sig);
        libc::signal(hs, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, hs);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(hs);
        libc::_exit(128 + sig)
    }
}

/// Linux signal number to the host's.
pub fn host_signal(sig: i32) -> i32 {
    use crate::abi::signal as S;
    match sig {
        S::SIGBUS => libc::SIGBUS,
        S::SIGUSR1 => libc::SIGUSR1,
        S::SIGUSR2 => libc::SIGUSR2,
        S::SIGCHLD => libc::SIGCHLD,
        S::SIGCONT => libc::SIGCONT,
        S::SIGSTOP => libc::SIGSTOP,
        S::SIGTSTP => libc::SIGTSTP,
        S::SIGSYS => libc::SIGSYS,
        s => s,
    }
}

/// Reads directory entries from an open host directory fd, in the host's order, as
/// (inode, d_type, name), starting after `skip` entries.
pub fn read_dir_entries(fd: i32) -> HostResult<Vec<(u64, u8, Vec<u8>)>> {
    let d = dup(fd)?;
    // SAFETY: `d` is a fresh fd that fdopendir takes ownership of.
    let dir = unsafe { libc::fdopendir(d) };
    if dir.is_null() {
        let e = last_errno();
        close(d);
        return Err(e);
    }
    // SAFETY: rewind the shared offset so the listing starts at the beginning.
    unsafe { libc::rewinddir(dir) };
    let mut out = Vec::new();
    loop {
        // SAFETY: dir is a valid DIR*.
        let ent = unsafe { libc::readdir(dir) };
        if ent.is_null() {
            break;
        }
        // SAFETY: readdir returned a valid dirent whose d_name is NUL-terminated.
        let (ino, ty, name) = unsafe {
            let e = &*ent;
            let name = std::ffi::CStr::from_ptr(e.d_name.as_ptr()).to_bytes().to_vec();
            #[allow(clippy::unnecessary_cast)]
            (e.d_ino as u64, e.d_type, name)
        };
        out.push((ino, ty, name));
    }
    // SAFETY: dir is valid and closed once.
    unsafe { libc::closedir(dir) };
    Ok(out)
}

/// Forks the whole emu process: the child continues with a copy of every guest state.
/// Returns the child's pid in the parent and 0 in the child.
pub fn fork() -> HostResult<i32> {
    // SAFETY: emu runs guest threads on one host thread, so the child is consistent.
    let r = unsafe { libc::fork() };
    check(r as i64).map(|v| v as i32)
}

/// waitpid with Linux option bits; returns (pid, Linux wait status).
pub fn waitpid(pid: i32, options: u32) -> HostResult<(i32, i32)> {
    let mut h = 0;
    if options & 1 != 0 {
        h |= libc::WNOHANG;
    }
    if options & 2 != 0 {
        h |= libc::WUNTRACED;
    }
    if options & 8 != 0 {
        h |= libc::WCONTINUED;
    }
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, h) };
    let r = check(r as i64)? as i32;
    Ok((r, status_to_linux(status)))
}

fn status_to_linux(s: i32) -> i32 {
    if libc::WIFEXITED(s) {
        (libc::WEXITSTATUS(s) & 0xff) << 8
    } else if libc::WIFSIGNALED(s) {
        signal_to_linux(libc::WTERMSIG(s)) | if libc::WCOREDUMP(s) { 0x80 } else { 0 }
    } else if libc::WIFSTOPPED(s) {
        (signal_to_linux(libc::WSTOPSIG(s)) << 8) | 0x7f
    } else {
        0xffff
    }
}

/// Host signal number to Linux's.
pub fn signal_to_linux(h: i32) -> i32 {
    use crate::abi::signal as S;
    match h {
        libc::SIGBUS => S::SIGBUS,
        libc::SIGUSR1 => S::SIGUSR1,
        libc::SIGUSR2 => S::SIGUSR2,
        libc::SIGCHLD => S::SIGCHLD,
        libc::SIGCONT => S::SIGCONT,
        libc::SIGSTOP => S::SIGSTOP,
        libc::SIGTSTP => S::SIGTSTP,
        libc::SIGSYS => S::SIGSYS,
        s => s,
    }
}

pub fn kill(pid: i32, sig: i32) -> HostResult<()> {
    let hs = if sig == 0 { 0 } else { host_signal(sig) };
    // SAFETY: plain integers.
    check(unsafe { libc::kill(pid, hs) } as i64).map(|_| ())
}

/// Immediately ends this host process (a forked emu child that must not run destructors
/// shared with the parent).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: ends the process.
    unsafe { libc::_exit(code) }
}

static PENDING_SIGNALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Details of the last SIGCHLD: pid << 32 | si_code << 16 | si_status (Linux numbering).
static LAST_CHILD: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

extern "C" fn on_host_signal(hs: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let sig = signal_to_linux(hs);
    if hs == libc::SIGCHLD && !info.is_null() {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers; for SIGCHLD
        // the pid and status members are the valid union fields.
        let (pid, code, status) = unsafe { ((*info).si_pid(), (*info).si_code, (*info).si_status()) };
        let status = if code == 1 { status } else { signal_to_linux(status) };
        let v = ((pid as u32 as u64) << 32) | ((code as u64 & 0xff) << 16) | (status as u64 & 0xffff);
        LAST_CHILD.store(v, std::sync::atomic::Ordering::SeqCst);
    }
    if (1..=64).contains(&sig) {
        PENDING_SIGNALS.fetch_or(1 << (sig - 1), std::sync::atomic::Ordering::SeqCst);
    }
    emu_cpu::request_stop();
}

/// The value that marks a SIGKILL sent by a recording emu to a recorded child (see
/// [`kill_recorded`]).
#[cfg(target_os = "linux")]
const RECORDED_KILL: usize = 0x656d_755f_6b69_6c6c;

#[cfg(target_os = "linux")]
extern "C" fn on_recorded_kill(hs: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers; for SI_QUEUE the
    // value member is the valid union field.
    let ours = !info.is_null()
        && unsafe {
            (*info).si_code == libc::SI_QUEUE && (*info).si_value().sival_ptr as usize == RECORDED_KILL
        };
    // Anything else is the guest's own real-time signal.
    let sig = if ours { crate::abi::signal::SIGKILL } else { signal_to_linux(hs) };
    PENDING_SIGNALS.fetch_or(1 << (sig - 1), std::sync::atomic::Ordering::SeqCst);
    emu_cpu::request_stop();
}

/// Recording: a SIGKILL sent to a recorded child travels as a catchable signal, so that
/// the child can log it (and its instruction count) before it dies. This installs its
/// receiving end; the children inherit it across fork.
pub fn install_kill_transport() {
    #[cfg(target_os = "linux")]
    // SAFETY: the handler only touches atomics (async-signal-safe).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_recorded_kill as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGRTMAX(), &sa, std::ptr::null_mut());
    }
}

/// Sends SIGKILL to `pid`, a recorded child: through the transport where the host has
/// one (Linux), a plain SIGKILL elsewhere.
pub fn kill_recorded(pid: i32) -> HostResult<()> {
    #[cfg(target_os = "linux")]
    {
        let v = libc::sigval { sival_ptr: RECORDED_KILL as *mut libc::c_void };
        // SAFETY: plain integers and a sigval by value.
        check(unsafe { libc::sigqueue(pid, libc::SIGRTMAX(), v) } as i64).map(|_| ())
    }
    #[cfg(not(target_os = "linux"))]
    kill(pid, crate::abi::signal::SIGKILL)
}

/// Routes the host signals a guest can receive (from the terminal, timers, children,
/// kill) to the guest: they are recorded and delivered by the run loop. Host SIGPIPE is
/// ignored so that writes report EPIPE, which the shim turns into the guest's SIGPIPE.
/// Job-control stops keep their host default and stop emu as a whole.
pub fn install_signal_forwarding() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for s in FORWARDED {
            // A signal emu was started with ignored stays ignored (as execve keeps SIG_IGN)
            // until the guest installs an action for it.
            if !ignored_by_host(s) {
                set_host_action(s, true);
            }
        }
        // SAFETY: ignoring SIGPIPE for this process.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    });
}

const FORWARDED: [libc::c_int; 14] = [
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGCHLD,
    libc::SIGWINCH,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGURG,
    libc::SIGXCPU,
    libc::SIGXFSZ,
];

fn ignored_by_host(hs: libc::c_int) -> bool {
    // SAFETY: queries the current disposition without changing it.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(hs, std::ptr::null(), &mut old);
        old.sa_sigaction == libc::SIG_IGN
    }
}

/// Forwards host signal `hs` to the guest (`forward`), or ignores it in the host.
fn set_host_action(hs: libc::c_int, forward: bool) {
    // SAFETY: the forwarding handler only touches atomics (async-signal-safe).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        if forward {
            sa.sa_sigaction = on_host_signal as *const () as usize;
            // No SA_RESTART: blocking host calls return EINTR.
            sa.sa_flags = libc::SA_SIGINFO;
        } else {
            sa.sa_sigaction = libc::SIG_IGN;
        }
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(hs, &sa, std::ptr::null_mut());
    }
}

/// Linux signals that were ignored when emu started (the guest inherits SIG_IGN).
pub fn inherited_ignored() -> Vec<i32> {
    FORWARDED.iter().filter(|&&s| ignored_by_host(s)).map(|&s| signal_to_linux(s)).collect()
}

/// The guest changed Linux signal `sig`'s action: ignored signals are ignored by the host
/// too (no EINTR for them; for SIGCHLD, no zombies, like SIG_IGN/SA_NOCLDWAIT on Linux),
/// others are forwarded.
pub fn guest_action_changed(sig: i32, ignore: bool) {
    let hs = host_signal(sig);
    if FORWARDED.contains(&hs) {
        set_host_action(hs, !ignore);
    }
}

/// (pid, si_code, si_status) of the child whose state change raised the last SIGCHLD.
pub fn last_child() -> (i32, i32, i32) {
    let v = LAST_CHILD.load(std::sync::atomic::Ordering::SeqCst);
    ((v >> 32) as u32 as i32, ((v >> 16) & 0xff) as i32, (v & 0xffff) as i32)
}

/// Linux signal bits the host delivered since the last call.
pub fn take_pending_signals() -> u64 {
    PENDING_SIGNALS.swap(0, std::sync::atomic::Ordering::SeqCst)
}

pub fn signals_pending() -> bool {
    PENDING_SIGNALS.load(std::sync::atomic::Ordering::Relaxed) != 0
        || WAKE_DUE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sleeps briefly or until a host signal arrives.
pub fn wait_for_signal() {
    if !signals_pending() {
        let ts = libc::timespec { tv_sec: 0, tv_nsec: 20_000_000 };
        // SAFETY: valid timespec; interruption by a signal is the point.
        unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) };
    }
}

pub fn alarm(secs: u32) -> u32 {
    // SAFETY: plain integer.
    unsafe { libc::alarm(secs) }
}

fn itimer_which(w: i32) -> libc::c_int {
    match w {
        0 => libc::ITIMER_REAL,
        1 => libc::ITIMER_VIRTUAL,
        _ => libc::ITIMER_PROF,
    }
}

fn itv_to(v: [i64; 4]) -> libc::itimerval {
    libc::itimerval {
        it_interval: libc::timeval { tv_sec: v[0] as libc::time_t, tv_usec: v[1] as libc::suseconds_t },
        it_value: libc::timeval { tv_sec: v[2] as libc::time_t, tv_usec: v[3] as libc::suseconds_t },
    }
}

#[allow(clippy::unnecessary_cast)]
fn itv_from(v: &libc::itimerval) -> [i64; 4] {
    [
        v.it_interval.tv_sec as i64,
        v.it_interval.tv_usec as i64,
        v.it_value.tv_sec as i64,
        v.it_value.tv_usec as i64,
    ]
}

/// setitimer with (interval sec, usec, value sec, usec); returns the old value.
pub fn setitimer(which: i32, new: [i64; 4]) -> HostResult<[i64; 4]> {
    let n = itv_to(new);
    let mut o = itv_to([0; 4]);
    // SAFETY: valid in/out pointers.
    check(unsafe { libc::setitimer(itimer_which(which), &n, &mut o) } as i64)?;
    Ok(itv_from(&o))
}

pub fn getitimer(which: i32) -> HostResult<[i64; 4]> {
    let mut o = itv_to([0; 4]);
    // SAFETY: valid out pointer.
    check(unsafe { libc::getitimer(itimer_which(which), &mut o) } as i64)?;
    Ok(itv_from(&o))
}

/// poll(2) on host fds with Linux event bits; returns the Linux revents per entry.
/// `timeout_ms` < 0 waits forever.
pub fn poll(fds: &[(i32, u16)], timeout_ms: i32) -> HostResult<Vec<u16>> {
    const MAP: [(u16, libc::c_short); 6] = [
        (0x001, libc::POLLIN),
        (0x002, libc::POLLPRI),
        (0x004, libc::POLLOUT),
        (0x008, libc::POLLERR),
        (0x010, libc::POLLHUP),
        (0x020, libc::POLLNVAL),
    ];
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&(fd, ev)| {
            let mut e = 0;
            for (l, h) in MAP {
                if ev & l != 0 {
                    e |= h;
                }
            }
            // POLLRDNORM/POLLWRNORM are the same as POLLIN/POLLOUT for our purposes.
            if ev & 0x40 != 0 {
                e |= libc::POLLIN;
            }
            if ev & 0x100 != 0 {
                e |= libc::POLLOUT;
            }
            libc::pollfd { fd, events: e, revents: 0 }
        })
        .collect();
    // SAFETY: pfds is a valid array of pollfd of the given length.
    let r = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, timeout_ms) };
    check(r as i64)?;
    Ok(pfds
        .iter()
        .zip(fds)
        .map(|(p, &(_, asked))| {
            let mut out = 0u16;
            for (l, h) in MAP {
                if p.revents & h != 0 {
                    out |= l;
                }
            }
            if p.revents & libc::POLLIN != 0 && asked & 0x40 != 0 {
                out |= 0x40;
            }
            if p.revents & libc::POLLOUT != 0 && asked & 0x100 != 0 {
                out |= 0x100;
            }
            out
        })
        .collect())
}

/// An AF_UNIX socketpair of the given Linux type (1 stream, 2 dgram, 5 seqpacket).
pub fn socketpair(ty: i32) -> HostResult<(i32, i32)> {
    let hty = match ty {
        1 => libc::SOCK_STREAM,
        2 => libc::SOCK_DGRAM,
        5 => libc::SOCK_SEQPACKET,
        _ => return Err(E::EINVAL),
    };
    let mut fds = [0i32; 2];
    // SAFETY: fds is a valid 2-int array.
    check(unsafe { libc::socketpair(libc::AF_UNIX, hty, 0, fds.as_mut_ptr()) } as i64)?;
    for fd in fds {
        // SAFETY: fds just created.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok((fds[0], fds[1]))
}

/// Bytes available to read on an fd (FIONREAD).
pub fn bytes_readable(fd: i32) -> HostResult<i32> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes an int.
    check(unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } as i64)?;
    Ok(n)
}

/// statfs of a path or fd as the Linux `struct statfs` (120 bytes).
pub fn statfs(dir: i32, path: Option<&[u8]>) -> HostResult<[u8; 120]> {
    // SAFETY: zeroed statfs is a valid value.
    let mut s: libc::statfs = unsafe { std::mem::zeroed() };
    let r = match path {
        Some(p) => {
            let c = if dir == CWD || p.first() == Some(&b'/') { cpath(p)? } else { return Err(E::EINVAL) };
            // SAFETY: NUL-terminated path and valid out-pointer.
            unsafe { libc::statfs(c.as_ptr(), &mut s) }
        }
        // SAFETY: valid out-pointer.
        None => unsafe { libc::fstatfs(dir, &mut s) },
    };
    check(r as i64)?;
    let mut b = [0u8; 120];
    #[allow(clippy::unnecessary_cast)]
    let words: [i64; 7] = [
        statfs_type(&s),
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

#[cfg(target_os = "linux")]
fn statfs_type(s: &libc::statfs) -> i64 {
    #[allow(clippy::unnecessary_cast)]
    {
        s.f_type as i64
    }
}

#[cfg(not(target_os = "linux"))]
fn statfs_type(_: &libc::statfs) -> i64 {
    0xEF53 // report ext4, the common Linux default
}

/// Stops this process (a guest stop signal's default action) until SIGCONT.
pub fn stop_self() {
    // SAFETY: sends SIGSTOP to this process.
    unsafe { libc::kill(libc::getpid(), libc::SIGSTOP) };
}

/// waitid with Linux idtype and option bits. Returns (pid, Linux si_code, status, uid),
/// or pid 0 when WNOHANG found nothing.
pub fn waitid(idtype: u32, id: u32, options: u32) -> HostResult<(i32, i32, i32, u32)> {
    let it = match idtype {
        0 => libc::P_ALL,
        1 => libc::P_PID,
        2 => libc::P_PGID,
        _ => return Err(E::EINVAL),
    };
    let mut o = 0;
    for (l, h) in [
        (1, libc::WNOHANG),
        (2, libc::WSTOPPED),
        (4, libc::WEXITED),
        (8, libc::WCONTINUED),
        (0x0100_0000, libc::WNOWAIT),
    ] {
        if options & l != 0 {
            o |= h;
        }
    }
    // SAFETY: zeroed siginfo is valid; waitid fills it.
    let mut si: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: valid out-pointer.
    check(unsafe { libc::waitid(it, id as libc::id_t, &mut si, o) } as i64)?;
    // SAFETY: after waitid the pid/uid/status fields are the valid union members.
    let (pid, uid, status) = unsafe { (si.si_pid(), si.si_uid(), si.si_status()) };
    if pid == 0 {
        return Ok((0, 0, 0, 0));
    }
    let code = si.si_code;
    let status =
        if code == 2 || code == 3 || code == 5 || code == 6 { signal_to_linux(status) } else { status };
    Ok((pid, code, status, uid))
}

// ---- wake-ups for timers emu keeps itself ----
//
// POSIX timers live in emu (their expiry is decided from the gate's clocks), but a timer
// must still interrupt a blocked host call and a running guest when it is due. A helper
// host thread sleeps until the earliest expiry and then sends emu's own thread a private
// host signal: the handler only sets a flag and stops the CPU loop, and blocking calls
// return EINTR, exactly as for a forwarded signal. The helper holds no lock, so a fork
// while it sleeps is safe; a forked child starts its own helper when it arms a timer.

/// Nanoseconds after `WAKE_BASE` at which to wake emu; u64::MAX when no timer is armed.
static WAKE_AT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);
static WAKE_DUE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static WAKE_BASE: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
/// (host pid, helper thread) of the helper serving this process.
static WAKER: std::sync::Mutex<Option<(i32, std::thread::Thread)>> = std::sync::Mutex::new(None);

#[cfg(target_os = "linux")]
fn wake_signal() -> libc::c_int {
    // A real-time signal glibc does not reserve and emu does not forward.
    libc::SIGRTMAX() - 1
}

#[cfg(not(target_os = "linux"))]
fn wake_signal() -> libc::c_int {
    // macOS has no real-time signals; SIGINFO is BSD-only and not forwarded.
    libc::SIGINFO
}

extern "C" fn on_wake_signal(_: libc::c_int) {
    emu_cpu::request_stop();
}

fn wake_ns_now() -> u64 {
    WAKE_BASE.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64
}

/// Asks for a wake-up `after` from now (None: no wake-up is needed).
pub fn wake_after(after: Option<std::time::Duration>) {
    let at =
        after.map_or(u64::MAX, |d| wake_ns_now().saturating_add(d.as_nanos().min(u64::MAX as u128) as u64));
    WAKE_AT.store(at, std::sync::atomic::Ordering::SeqCst);
    if at == u64::MAX {
        return;
    }
    let mut w = WAKER.lock().unwrap_or_else(|e| e.into_inner());
    let me = getpid();
    if w.as_ref().is_none_or(|(pid, _)| *pid != me) {
        // SAFETY: installs an async-signal-safe handler (it only stores an atomic).
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_wake_signal as *const () as usize;
            sa.sa_flags = 0; // no SA_RESTART: blocking calls return EINTR
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(wake_signal(), &sa, std::ptr::null_mut());
        }
        // SAFETY: pthread_self of the calling (emu) thread, sent to from the helper.
        let target = unsafe { libc::pthread_self() } as usize;
        let helper = std::thread::Builder::new()
            .name("emu-timer".into())
            .spawn(move || wake_loop(target))
            .map(|h| h.thread().clone());
        match helper {
            Ok(t) => *w = Some((me, t)),
            Err(e) => {
                log::warn!("cannot start the timer thread ({e}): timers fire only at the next event");
                return;
            }
        }
    }
    if let Some((_, t)) = w.as_ref() {
        t.unpark();
    }
}

fn wake_loop(target: usize) {
    use std::sync::atomic::Ordering::SeqCst;
    // The helper never takes emu's own signals.
    // SAFETY: a valid, filled signal set for this thread only.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
    }
    loop {
        if WAKE_DUE.load(SeqCst) {
            // Not yet seen: the signal may have landed just before emu blocked in a host
            // call (and so interrupted nothing). Send it again until emu takes it.
            std::thread::park_timeout(std::time::Duration::from_millis(5));
            if WAKE_DUE.load(SeqCst) {
                // SAFETY: as below.
                unsafe { libc::pthread_kill(target as libc::pthread_t, wake_signal()) };
            }
            continue;
        }
        let at = WAKE_AT.load(SeqCst);
        let now = wake_ns_now();
        if at == u64::MAX {
            std::thread::park();
        } else if now < at {
            std::thread::park_timeout(std::time::Duration::from_nanos(at - now));
        } else if WAKE_AT.compare_exchange(at, u64::MAX, SeqCst, SeqCst).is_ok() {
            WAKE_DUE.store(true, SeqCst);
            // SAFETY: `target` is the pthread_t of emu's thread, alive for the process.
            unsafe { libc::pthread_kill(target as libc::pthread_t, wake_signal()) };
        }
    }
}

/// Whether a timer wake-up arrived since the last call.
pub fn take_wake_due() -> bool {
    WAKE_DUE.swap(false, std::sync::atomic::Ordering::SeqCst)
}
