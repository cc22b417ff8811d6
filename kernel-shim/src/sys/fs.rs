//! The file system namespace: path resolution (sysroot, /proc), stat family, access,
//! working directory, directory listing, and name operations (mkdir, unlink, rename,
//! link, symlink, readlink, chmod).

use super::{read_path, write_guest, write_struct, Args, SysResult};
use crate::abi::fs::{Dirent64, Statfs, Statx};
use crate::abi::{
    errno as E, GuestStruct, AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW,
};
use crate::host::{self, Errno};
use crate::path::join;
use crate::Process;

/// What a guest path names, from the host's point of view.
pub(crate) enum Target {
    /// A host path, relative to a host directory fd (`host::CWD` for the cwd).
    Host(i32, Vec<u8>),
    /// A file whose contents emu generates (/proc).
    Generated(Vec<u8>),
}

/// The guest-absolute form of `path` relative to `dirfd`, for recognising /proc paths.
pub(crate) fn guest_abs(p: &Process, dirfd: i64, path: &[u8]) -> Result<Vec<u8>, Errno> {
    if path.first() == Some(&b'/') {
        return Ok(join(b"/", path));
    }
    if dirfd == AT_FDCWD as i64 {
        return Ok(join(&p.cwd, path));
    }
    let f = p.fds.file(dirfd)?;
    let base = f.borrow().path.clone().unwrap_or_else(|| b"/".to_vec());
    Ok(join(&join(&p.cwd, &base), path))
}

/// For a path under /proc/self (or our own pid), the part after it.
fn proc_self<'a>(p: &Process, abs: &'a [u8]) -> Option<&'a [u8]> {
    let rest = abs.strip_prefix(b"/proc/")?;
    let (head, tail) = match rest.iter().position(|&b| b == b'/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b""[..]),
    };
    let me = p.world().pid().to_string();
    (head == b"self" || head == b"thread-self" || head == me.as_bytes()).then_some(tail)
}

/// The guest path a /proc/self magic link stands for (root, cwd, exe, fd/N), for
/// resolution inside a jail.
fn proc_magic(p: &Process, guest: &[u8]) -> Option<Vec<u8>> {
    match proc_self(p, guest)? {
        b"root" => Some(b"/".to_vec()),
        b"cwd" => Some(p.cwd.clone()),
        b"exe" => Some(p.exe.clone()),
        t => {
            let n: i64 = std::str::from_utf8(t.strip_prefix(b"fd/")?).ok()?.parse().ok()?;
            let path = p.fds.file(n).ok()?.borrow().path.clone()?;
            Some(join(&p.cwd, &path))
        }
    }
}

/// Resolves the guest-absolute `abs` inside the jail (see `crate::path`).
pub(crate) fn jail_path(p: &Process, abs: &[u8], follow: bool) -> Result<Vec<u8>, Errno> {
    let root = p.sysroot.clone();
    root.resolve_in_jail(abs, follow, &|g| proc_magic(p, g))
}

/// What `path` names; a final symlink is followed only if `follow` (this matters inside a
/// jail, where emu itself resolves symlinks; elsewhere the host operation decides).
pub(crate) fn resolve_at(p: &mut Process, dirfd: i64, path: &[u8], follow: bool) -> Result<Target, Errno> {
    let abs = guest_abs(p, dirfd, path)?;
    // /dev/fd/N and /proc/self/fd/N name the guest's descriptor N, which is some other
    // host descriptor: reopen that one.
    let fd_tail =
        abs.strip_prefix(b"/dev/fd/").or_else(|| proc_self(p, &abs).and_then(|t| t.strip_prefix(b"fd/")));
    if let Some(n) = fd_tail.and_then(|t| std::str::from_utf8(t).ok()).and_then(|t| t.parse::<i64>().ok()) {
        let f = p.fds.file(n).map_err(|_| E::ENOENT)?;
        let of = f.borrow();
        return match &of.backing {
            crate::fd::Backing::Host(h) => Ok(Target::Host(host::CWD, format!("/dev/fd/{h}").into_bytes())),
            crate::fd::Backing::Memory(d) => Ok(Target::Generated(d.clone())),
            _ => Err(E::ENXIO),
        };
    }
    let abs = if p.sysroot.jailed() { jail_path(p, &abs, follow)? } else { abs };
    if let Some(tail) = proc_self(p, &abs) {
        if let Some(data) = super::procfs::self_file(p, tail) {
            return Ok(Target::Generated(data));
        }
        if tail == b"exe" {
            return Ok(Target::Host(host::CWD, p.sysroot.host_path(&p.exe)));
        }
    }
    if abs == b"/proc/cpuinfo" {
        return Ok(Target::Generated(super::procfs::cpuinfo(p)));
    }
    if p.sysroot.jailed() {
        return Ok(Target::Host(host::CWD, p.sysroot.in_jail(&abs)));
    }
    if path.first() == Some(&b'/') {
        return Ok(Target::Host(host::CWD, p.sysroot.host_path(path)));
    }
    if dirfd == AT_FDCWD as i64 {
        return Ok(Target::Host(host::CWD, path.to_vec()));
    }
    let f = p.fds.file(dirfd)?;
    let h = f.borrow().host_fd().ok_or(E::ENOTDIR)?;
    Ok(Target::Host(h, path.to_vec()))
}

/// Resolves to a host location without following a final symlink, refusing generated
/// files (for operations that change the namespace).
fn resolve_host(p: &mut Process, dirfd: i64, path: &[u8]) -> Result<(i32, Vec<u8>), Errno> {
    resolve_host_at(p, dirfd, path, false)
}

pub(super) fn resolve_host_at(
    p: &mut Process,
    dirfd: i64,
    path: &[u8],
    follow: bool,
) -> Result<(i32, Vec<u8>), Errno> {
    match resolve_at(p, dirfd, path, follow)? {
        Target::Host(d, h) => Ok((d, h)),
        Target::Generated(_) => Err(E::EACCES),
    }
}

fn stat_target(p: &mut Process, dirfd: i64, path: &[u8], flags: u32) -> Result<crate::abi::Stat, Errno> {
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(E::ENOENT);
        }
        return fstat_fd(p, dirfd);
    }
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    match resolve_at(p, dirfd, path, follow)? {
        Target::Host(d, h) => host::fstatat(d, &h, follow),
        Target::Generated(_) => Ok(generated_stat()),
    }
}

/// Like procfs, generated files report size 0 so readers read until EOF.
fn generated_stat() -> crate::abi::Stat {
    crate::abi::Stat {
        mode: crate::abi::mode::S_IFREG | 0o444,
        nlink: 1,
        blksize: 1024,
        ..Default::default()
    }
}

fn fstat_fd(p: &mut Process, fd: i64) -> Result<crate::abi::Stat, Errno> {
    let f = p.fds.file(fd)?;
    let of = f.borrow();
    match &of.backing {
        crate::fd::Backing::Host(h) => host::fstat(*h),
        crate::fd::Backing::Memory(_) => Ok(generated_stat()),
        // anon_inode files: mode 0600, no type bits, as Linux reports them.
        _ => Ok(crate::abi::Stat { mode: 0o600, nlink: 1, blksize: 4096, ..Default::default() }),
    }
}

pub(super) fn fstat(p: &mut Process, a: &Args) -> SysResult {
    let st = fstat_fd(p, a.fd(0))?;
    write_struct(p, a.ptr(1), &st)?;
    Ok(0)
}

fn stat_common(p: &mut Process, dirfd: i64, path: u64, buf: u64, flags: u32) -> SysResult {
    let path = read_path(p, path)?;
    let st = stat_target(p, dirfd, &path, flags)?;
    write_struct(p, buf, &st)?;
    Ok(0)
}

pub(super) fn stat(p: &mut Process, a: &Args) -> SysResult {
    stat_common(p, AT_FDCWD as i64, a.ptr(0), a.ptr(1), 0)
}

pub(super) fn lstat(p: &mut Process, a: &Args) -> SysResult {
    stat_common(p, AT_FDCWD as i64, a.ptr(0), a.ptr(1), AT_SYMLINK_NOFOLLOW)
}

pub(super) fn newfstatat(p: &mut Process, a: &Args) -> SysResult {
    stat_common(p, a.fd(0), a.ptr(1), a.ptr(2), a.uint(3))
}

pub(super) fn statx(p: &mut Process, a: &Args) -> SysResult {
    let (dirfd, path, flags, buf) = (a.fd(0), a.ptr(1), a.uint(2), a.ptr(4));
    let path = read_path(p, path)?;
    let st = stat_target(p, dirfd, &path, flags)?;
    write_struct(p, buf, &Statx::from(&st))?;
    Ok(0)
}

fn access_common(p: &mut Process, dirfd: i64, path: u64, mode: u32, flags: u32) -> SysResult {
    let path = read_path(p, path)?;
    if mode & !7 != 0 {
        return Err(E::EINVAL);
    }
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    match resolve_at(p, dirfd, &path, follow)? {
        Target::Host(d, h) => host::faccessat(d, &h, mode, follow)?,
        Target::Generated(_) if mode & 2 != 0 => return Err(E::EACCES),
        Target::Generated(_) => {}
    }
    Ok(0)
}

pub(super) fn access(p: &mut Process, a: &Args) -> SysResult {
    access_common(p, AT_FDCWD as i64, a.ptr(0), a.uint(1), 0)
}

pub(super) fn faccessat(p: &mut Process, a: &Args) -> SysResult {
    access_common(p, a.fd(0), a.ptr(1), a.uint(2), 0)
}

pub(super) fn faccessat2(p: &mut Process, a: &Args) -> SysResult {
    access_common(p, a.fd(0), a.ptr(1), a.uint(2), a.uint(3))
}

pub(super) fn getcwd(p: &mut Process, a: &Args) -> SysResult {
    let (buf, size) = (a.ptr(0), a.ulong(1));
    let mut c = p.cwd.clone();
    c.push(0);
    if (size as usize) < c.len() {
        return Err(E::ERANGE);
    }
    write_guest(p, buf, &c)?;
    Ok(c.len() as u64)
}

fn set_cwd(p: &mut Process, guest: Vec<u8>) -> SysResult {
    let host_path = p.sysroot.host_path(&guest);
    host::chdir(&host_path)?;
    p.cwd = guest;
    Ok(0)
}

pub(super) fn chdir(p: &mut Process, a: &Args) -> SysResult {
    let path = read_path(p, a.ptr(0))?;
    if path.is_empty() {
        return Err(E::ENOENT);
    }
    let mut g = join(&p.cwd, &path);
    if p.sysroot.jailed() {
        // getcwd shows the canonical path inside the jail.
        g = jail_path(p, &g, true)?;
    }
    // Resolve symlinks the way the guest will see them in getcwd.
    let st = host::fstatat(host::CWD, &p.sysroot.host_path(&g), true)?;
    if st.mode & crate::abi::mode::S_IFMT != crate::abi::mode::S_IFDIR {
        return Err(E::ENOTDIR);
    }
    set_cwd(p, g)?;
    // The host resolved any symlinks: ask it for the real directory when no sysroot maps paths.
    if p.sysroot.root.is_none() {
        p.cwd = host::host_getcwd();
    }
    Ok(0)
}

pub(super) fn fchdir(p: &mut Process, a: &Args) -> SysResult {
    let f = p.fds.file(a.fd(0))?;
    let (h, path) = {
        let of = f.borrow();
        (of.host_fd().ok_or(E::ENOTDIR)?, of.path.clone())
    };
    host::fchdir(h)?;
    p.cwd = match (&p.sysroot.root, path) {
        (None, _) => host::host_getcwd(),
        (Some(_), Some(gp)) => join(&p.cwd, &gp),
        (Some(_), None) => p.cwd.clone(),
    };
    if p.sysroot.jailed() {
        p.cwd = jail_path(p, &p.cwd, true)?;
    }
    Ok(0)
}

fn name_op(
    p: &mut Process,
    dirfd: i64,
    path: u64,
    op: impl FnOnce(i32, &[u8]) -> Result<(), Errno>,
) -> SysResult {
    name_op_at(p, dirfd, path, false, op)
}

/// A name operation; `follow`: it acts on a final symlink's target (chmod).
fn name_op_at(
    p: &mut Process,
    dirfd: i64,
    path: u64,
    follow: bool,
    op: impl FnOnce(i32, &[u8]) -> Result<(), Errno>,
) -> SysResult {
    let path = read_path(p, path)?;
    if path.is_empty() {
        return Err(E::ENOENT);
    }
    let (d, h) = resolve_host_at(p, dirfd, &path, follow)?;
    op(d, &h)?;
    Ok(0)
}

pub(super) fn mkdir(p: &mut Process, a: &Args) -> SysResult {
    let m = a.uint(1) & !p.umask;
    name_op(p, AT_FDCWD as i64, a.ptr(0), |d, h| host::mkdirat(d, h, m))
}

pub(super) fn mkdirat(p: &mut Process, a: &Args) -> SysResult {
    let m = a.uint(2) & !p.umask;
    name_op(p, a.fd(0), a.ptr(1), |d, h| host::mkdirat(d, h, m))
}

pub(super) fn rmdir(p: &mut Process, a: &Args) -> SysResult {
    name_op(p, AT_FDCWD as i64, a.ptr(0), |d, h| host::unlinkat(d, h, true))
}

pub(super) fn unlink(p: &mut Process, a: &Args) -> SysResult {
    name_op(p, AT_FDCWD as i64, a.ptr(0), |d, h| host::unlinkat(d, h, false))
}

pub(super) fn unlinkat(p: &mut Process, a: &Args) -> SysResult {
    let flags = a.uint(2);
    if flags & !AT_REMOVEDIR != 0 {
        return Err(E::EINVAL);
    }
    name_op(p, a.fd(0), a.ptr(1), |d, h| host::unlinkat(d, h, flags & AT_REMOVEDIR != 0))
}

pub(super) fn chmod(p: &mut Process, a: &Args) -> SysResult {
    let m = a.uint(1);
    name_op_at(p, AT_FDCWD as i64, a.ptr(0), true, |d, h| host::fchmodat(d, h, m))
}

pub(super) fn fchmodat(p: &mut Process, a: &Args) -> SysResult {
    let m = a.uint(2);
    name_op_at(p, a.fd(0), a.ptr(1), true, |d, h| host::fchmodat(d, h, m))
}

pub(super) fn fchmod(p: &mut Process, a: &Args) -> SysResult {
    let f = p.fds.file(a.fd(0))?;
    let h = f.borrow().host_fd().ok_or(E::EPERM)?;
    host::fchmod(h, a.uint(1))?;
    Ok(0)
}

pub(super) fn umask(p: &mut Process, a: &Args) -> SysResult {
    let old = p.umask;
    p.umask = a.uint(0) & 0o777;
    host::set_umask(p.umask);
    Ok(old as u64)
}

/// A host directory fd and a path relative to it.
type HostLoc = (i32, Vec<u8>);

fn two_paths(p: &mut Process, d1: i64, p1: u64, d2: i64, p2: u64) -> Result<(HostLoc, HostLoc), Errno> {
    let a = read_path(p, p1)?;
    let b = read_path(p, p2)?;
    if a.is_empty() || b.is_empty() {
        return Err(E::ENOENT);
    }
    Ok((resolve_host(p, d1, &a)?, resolve_host(p, d2, &b)?))
}

pub(super) fn rename(p: &mut Process, a: &Args) -> SysResult {
    let ((d1, h1), (d2, h2)) = two_paths(p, AT_FDCWD as i64, a.ptr(0), AT_FDCWD as i64, a.ptr(1))?;
    host::renameat(d1, &h1, d2, &h2)?;
    Ok(0)
}

pub(super) fn renameat(p: &mut Process, a: &Args) -> SysResult {
    let ((d1, h1), (d2, h2)) = two_paths(p, a.fd(0), a.ptr(1), a.fd(2), a.ptr(3))?;
    host::renameat(d1, &h1, d2, &h2)?;
    Ok(0)
}

pub(super) fn renameat2(p: &mut Process, a: &Args) -> SysResult {
    const RENAME_NOREPLACE: u32 = 1;
    let flags = a.uint(4);
    if flags & !RENAME_NOREPLACE != 0 {
        return Err(E::EINVAL);
    }
    let ((d1, h1), (d2, h2)) = two_paths(p, a.fd(0), a.ptr(1), a.fd(2), a.ptr(3))?;
    if flags & RENAME_NOREPLACE != 0 && host::fstatat(d2, &h2, false).is_ok() {
        return Err(E::EEXIST);
    }
    host::renameat(d1, &h1, d2, &h2)?;
    Ok(0)
}

pub(super) fn link(p: &mut Process, a: &Args) -> SysResult {
    let ((d1, h1), (d2, h2)) = two_paths(p, AT_FDCWD as i64, a.ptr(0), AT_FDCWD as i64, a.ptr(1))?;
    host::linkat(d1, &h1, d2, &h2, false)?;
    Ok(0)
}

pub(super) fn linkat(p: &mut Process, a: &Args) -> SysResult {
    let (olddir, oldpath, newdir, newpath, flags) = (a.fd(0), a.ptr(1), a.fd(2), a.ptr(3), a.uint(4));
    let ((mut d1, mut h1), (d2, h2)) = two_paths(p, olddir, oldpath, newdir, newpath)?;
    let mut follow = flags & AT_SYMLINK_FOLLOW != 0;
    if follow && p.sysroot.jailed() {
        // Emu follows the link inside the jail; the host must not.
        let old = read_path(p, oldpath)?;
        (d1, h1) = resolve_host_at(p, olddir, &old, true)?;
        follow = false;
    }
    host::linkat(d1, &h1, d2, &h2, follow)?;
    Ok(0)
}

fn symlink_common(p: &mut Process, target: u64, dirfd: i64, link: u64) -> SysResult {
    let t = read_path(p, target)?;
    let l = read_path(p, link)?;
    if t.is_empty() || l.is_empty() {
        return Err(E::ENOENT);
    }
    let (d, h) = resolve_host(p, dirfd, &l)?;
    host::symlinkat(&t, d, &h)?;
    Ok(0)
}

pub(super) fn symlink(p: &mut Process, a: &Args) -> SysResult {
    symlink_common(p, a.ptr(0), AT_FDCWD as i64, a.ptr(1))
}

pub(super) fn symlinkat(p: &mut Process, a: &Args) -> SysResult {
    symlink_common(p, a.ptr(0), a.fd(1), a.ptr(2))
}

fn readlink_common(p: &mut Process, dirfd: i64, path: u64, buf: u64, size: i32) -> SysResult {
    let path = read_path(p, path)?;
    if size <= 0 {
        return Err(E::EINVAL);
    }
    let abs = guest_abs(p, dirfd, &path)?;
    let target = match proc_self(p, &abs) {
        Some(b"exe") => p.exe.clone(),
        Some(b"cwd") => p.cwd.clone(),
        Some(b"root") => b"/".to_vec(),
        Some(t) if t.starts_with(b"fd/") => {
            let n: i64 = std::str::from_utf8(&t[3..]).ok().and_then(|s| s.parse().ok()).ok_or(E::ENOENT)?;
            let f = p.fds.file(n).map_err(|_| E::ENOENT)?;
            let (path, h) = (f.borrow().path.clone(), f.borrow().host_fd());
            match path {
                Some(gp) => join(&p.cwd, &gp),
                // A descriptor emu did not open by a guest path (inherited, a pipe): the
                // host's name for it, which is outside the guest's tree anyway.
                None => h.and_then(host::fd_target).unwrap_or_else(|| format!("pipe:[{n}]").into_bytes()),
            }
        }
        _ => {
            if path.is_empty() {
                return Err(E::ENOENT);
            }
            let (d, h) = resolve_host(p, dirfd, &path)?;
            host::readlinkat(d, &h)?
        }
    };
    let n = target.len().min(size as usize);
    write_guest(p, buf, &target[..n])?;
    Ok(n as u64)
}

pub(super) fn readlink(p: &mut Process, a: &Args) -> SysResult {
    readlink_common(p, AT_FDCWD as i64, a.ptr(0), a.ptr(1), a.int(2))
}

pub(super) fn readlinkat(p: &mut Process, a: &Args) -> SysResult {
    readlink_common(p, a.fd(0), a.ptr(1), a.ptr(2), a.int(3))
}

pub(super) fn getdents64(p: &mut Process, a: &Args) -> SysResult {
    read_dirents(p, a, false)
}

/// getdents: the older record layout, `d_type` after the name.
pub(super) fn getdents(p: &mut Process, a: &Args) -> SysResult {
    read_dirents(p, a, true)
}

/// The entries of /proc/self/fd (or /dev/fd) when `dir` is that directory, opened as
/// descriptor `listing_fd`: the guest's descriptors, not emu's. Inode numbers are made up
/// from the descriptor number.
fn fd_listing(p: &Process, dir: &[u8], listing_fd: i64) -> Option<Vec<(u64, u8, Vec<u8>)>> {
    const DT_DIR: u8 = 4;
    const DT_LNK: u8 = 10;
    let dir = join(&p.cwd, dir);
    let dir = dir.strip_suffix(b"/").unwrap_or(&dir);
    if dir != b"/dev/fd" && proc_self(p, dir) != Some(b"fd") {
        return None;
    }
    let mut v = vec![(1, DT_DIR, b".".to_vec()), (2, DT_DIR, b"..".to_vec())];
    for n in 0..p.fds.len() as i64 {
        // The listing's own descriptor is open while it is read, as on Linux.
        if p.fds.get(n).is_ok() || n == listing_fd {
            v.push((1000 + n as u64, DT_LNK, n.to_string().into_bytes()));
        }
    }
    Some(v)
}

fn read_dirents(p: &mut Process, a: &Args, old: bool) -> SysResult {
    let (fd, dirp, count) = (a.fd(0), a.ptr(1), a.uint(2));
    let f = p.fds.file(fd)?;
    let mut of = f.borrow_mut();
    let h = of.host_fd().ok_or(E::ENOTDIR)?;
    if of.dir.is_none() {
        let listing = match of.path.as_deref().and_then(|d| fd_listing(p, d, fd)) {
            Some(l) => l,
            None => host::read_dir_entries(h)?,
        };
        of.dir = Some(listing);
        of.pos = 0;
    }
    let cap = count as usize;
    let mut out = Vec::new();
    let entries = of.dir.as_ref().expect("listing just read");
    let mut i = of.pos as usize;
    while i < entries.len() {
        let (ino, d_type, name) = &entries[i];
        // d_off: the position after this entry, which lseek and the next call understand.
        let d = Dirent64 { ino: *ino, off: (i + 1) as i64, d_type: *d_type, name: name.clone() };
        if out.len() + d.reclen() > cap {
            break;
        }
        d.append_to(&mut out, old);
        i += 1;
    }
    if out.is_empty() && i < entries.len() {
        return Err(E::EINVAL);
    }
    of.pos = i as u64;
    drop(of);
    write_guest(p, dirp, &out)?;
    Ok(out.len() as u64)
}

pub(super) fn statfs(p: &mut Process, a: &Args) -> SysResult {
    let path = read_path(p, a.ptr(0))?;
    let (d, h) = resolve_host_at(p, AT_FDCWD as i64, &path, true)?;
    let full = if h.first() == Some(&b'/') { h } else { join(&p.cwd, &h) };
    // The host gives the guest's layout already.
    let st = Statfs::read(&host::statfs(d.min(host::CWD), Some(&full))?);
    write_struct(p, a.ptr(1), &st)?;
    Ok(0)
}

pub(super) fn fstatfs(p: &mut Process, a: &Args) -> SysResult {
    let f = p.fds.file(a.fd(0))?;
    let h = f.borrow().host_fd();
    let st = match h {
        Some(h) => Statfs::read(&host::statfs(h, None)?),
        // anon inodes and generated files: report procfs/anon_inodefs-like values.
        None => Statfs { fs_type: 0x9fa0, bsize: 4096, ..Default::default() },
    };
    write_struct(p, a.ptr(1), &st)?;
    Ok(0)
}
