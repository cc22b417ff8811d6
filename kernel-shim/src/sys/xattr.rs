//! Extended attributes: getxattr, setxattr, listxattr, removexattr in their plain (a path,
//! following a final symlink), l- (the symlink itself) and f- (an open file) forms. emu
//! checks what Linux checks before it looks at the file (flags, the name's length, the
//! value's size); the host answers the rest (ENODATA, EOPNOTSUPP, ERANGE, EPERM...).

use super::{read_guest, read_path, write_guest, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::meta::{XATTR_CREATE, XATTR_LIST_MAX, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SIZE_MAX};
use crate::abi::AT_FDCWD;
use crate::host::{self, Errno, XattrOf};
use crate::Process;

/// Whose attributes a call names (its first argument).
enum Whose {
    /// A path; `true`: a final symlink is followed.
    Path(u64, bool),
    Fd(i64),
}

/// Runs `op` on the host's form of `whose`.
fn with_host<R>(
    p: &mut Process,
    whose: Whose,
    op: impl FnOnce(XattrOf) -> Result<R, Errno>,
) -> Result<R, Errno> {
    match whose {
        Whose::Path(addr, follow) => {
            let path = read_path(p, addr)?;
            if path.is_empty() {
                return Err(E::ENOENT);
            }
            // Relative to the working directory, as the host's calls take it.
            let (dir, h) = super::fs::resolve_host_at(p, AT_FDCWD as i64, &path, follow)?;
            debug_assert_eq!(dir, host::CWD);
            op(XattrOf::Path(&h, follow))
        }
        Whose::Fd(fd) => {
            // Descriptors that are no host file (eventfd, epoll...) have no attributes.
            let h = p.fds.file(fd)?.borrow().host_fd().ok_or(E::EOPNOTSUPP)?;
            op(XattrOf::Fd(h))
        }
    }
}

/// An attribute name: ERANGE if empty or longer than XATTR_NAME_MAX.
fn read_name(p: &mut Process, addr: u64) -> Result<Vec<u8>, Errno> {
    let name = p.cpu.mem.read_cstr(addr, XATTR_NAME_MAX + 1).map_err(|_| E::EFAULT)?;
    if name.is_empty() || name.len() > XATTR_NAME_MAX {
        return Err(E::ERANGE);
    }
    Ok(name)
}

fn get(p: &mut Process, whose: Whose, name: u64, value: u64, size: u64) -> SysResult {
    let name = read_name(p, name)?;
    let mut buf = vec![0u8; size.min(XATTR_SIZE_MAX as u64) as usize];
    let n = with_host(p, whose, |of| host::getxattr(of, &name, &mut buf))?;
    if !buf.is_empty() {
        write_guest(p, value, &buf[..n])?;
    }
    Ok(n as u64)
}

fn set(p: &mut Process, whose: Whose, name: u64, value: u64, size: u64, flags: u32) -> SysResult {
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(E::EINVAL);
    }
    let name = read_name(p, name)?;
    if size > XATTR_SIZE_MAX as u64 {
        return Err(E::E2BIG);
    }
    let value = read_guest(p, value, size as usize)?;
    with_host(p, whose, |of| host::setxattr(of, &name, &value, flags))?;
    Ok(0)
}

fn list(p: &mut Process, whose: Whose, list: u64, size: u64) -> SysResult {
    let mut buf = vec![0u8; size.min(XATTR_LIST_MAX as u64) as usize];
    let n = with_host(p, whose, |of| host::listxattr(of, &mut buf))?;
    if !buf.is_empty() {
        write_guest(p, list, &buf[..n])?;
    }
    Ok(n as u64)
}

fn remove(p: &mut Process, whose: Whose, name: u64) -> SysResult {
    let name = read_name(p, name)?;
    with_host(p, whose, |of| host::removexattr(of, &name))?;
    Ok(0)
}

pub(super) fn getxattr(p: &mut Process, a: &Args) -> SysResult {
    get(p, Whose::Path(a.ptr(0), true), a.ptr(1), a.ptr(2), a.ulong(3))
}

pub(super) fn lgetxattr(p: &mut Process, a: &Args) -> SysResult {
    get(p, Whose::Path(a.ptr(0), false), a.ptr(1), a.ptr(2), a.ulong(3))
}

pub(super) fn fgetxattr(p: &mut Process, a: &Args) -> SysResult {
    get(p, Whose::Fd(a.fd(0)), a.ptr(1), a.ptr(2), a.ulong(3))
}

pub(super) fn setxattr(p: &mut Process, a: &Args) -> SysResult {
    set(p, Whose::Path(a.ptr(0), true), a.ptr(1), a.ptr(2), a.ulong(3), a.uint(4))
}

pub(super) fn lsetxattr(p: &mut Process, a: &Args) -> SysResult {
    set(p, Whose::Path(a.ptr(0), false), a.ptr(1), a.ptr(2), a.ulong(3), a.uint(4))
}

pub(super) fn fsetxattr(p: &mut Process, a: &Args) -> SysResult {
    set(p, Whose::Fd(a.fd(0)), a.ptr(1), a.ptr(2), a.ulong(3), a.uint(4))
}

pub(super) fn listxattr(p: &mut Process, a: &Args) -> SysResult {
    list(p, Whose::Path(a.ptr(0), true), a.ptr(1), a.ulong(2))
}

pub(super) fn llistxattr(p: &mut Process, a: &Args) -> SysResult {
    list(p, Whose::Path(a.ptr(0), false), a.ptr(1), a.ulong(2))
}

pub(super) fn flistxattr(p: &mut Process, a: &Args) -> SysResult {
    list(p, Whose::Fd(a.fd(0)), a.ptr(1), a.ulong(2))
}

pub(super) fn removexattr(p: &mut Process, a: &Args) -> SysResult {
    remove(p, Whose::Path(a.ptr(0), true), a.ptr(1))
}

pub(super) fn lremovexattr(p: &mut Process, a: &Args) -> SysResult {
    remove(p, Whose::Path(a.ptr(0), false), a.ptr(1))
}

pub(super) fn fremovexattr(p: &mut Process, a: &Args) -> SysResult {
    remove(p, Whose::Fd(a.fd(0)), a.ptr(1))
}
