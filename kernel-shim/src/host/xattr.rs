//! Extended attributes of a path (following a final symlink or not) or an open file,
//! with Linux's names and flags. A Linux host answers for itself; a macOS host has no
//! namespaces, so there a name outside Linux's (`user.`, `trusted.`...) is EOPNOTSUPP and
//! the host's own attributes (`com.apple.*`) are left out of lists, as Linux would never
//! show them.

use super::errno::linux;
use super::HostResult;
use crate::abi::meta::{XATTR_CREATE, XATTR_REPLACE};
use rustix::fs::XattrFlags;

/// Whose attributes: a path relative to the working directory (`follow`: a final
/// symlink's target's), or an open file.
#[derive(Clone, Copy, Debug)]
pub enum XattrOf<'a> {
    Path(&'a [u8], bool),
    Fd(i32),
}

/// Where the host has no namespaces: a name Linux would not take is EOPNOTSUPP, once the
/// file is known to exist (Linux looks it up first).
fn check_name(of: XattrOf, name: &[u8]) -> HostResult<()> {
    if cfg!(target_os = "linux") || known_namespace(name) {
        return Ok(());
    }
    match of {
        XattrOf::Path(p, follow) => super::fstatat(super::CWD, p, follow)?,
        XattrOf::Fd(h) => super::fstat(h)?,
    };
    Err(crate::abi::errno::EOPNOTSUPP)
}

fn known_namespace(name: &[u8]) -> bool {
    crate::abi::meta::XATTR_NAMESPACES.iter().any(|ns| name.starts_with(ns))
}

/// The value of attribute `name` into `buf`; its length (an empty `buf` asks only that).
pub fn getxattr(of: XattrOf, name: &[u8], buf: &mut [u8]) -> HostResult<usize> {
    use rustix::fs as f;
    check_name(of, name)?;
    let query = buf.is_empty();
    match of {
        XattrOf::Path(p, true) if query => f::getxattr_query(p, name),
        XattrOf::Path(p, true) => f::getxattr(p, name, buf),
        XattrOf::Path(p, false) if query => f::lgetxattr_query(p, name),
        XattrOf::Path(p, false) => f::lgetxattr(p, name, buf),
        XattrOf::Fd(h) if query => f::fgetxattr_query(super::fd(h)?, name),
        XattrOf::Fd(h) => f::fgetxattr(super::fd(h)?, name, buf),
    }
    .map_err(linux)
}

/// Sets attribute `name` to `value`, with Linux's XATTR_CREATE / XATTR_REPLACE.
pub fn setxattr(of: XattrOf, name: &[u8], value: &[u8], flags: u32) -> HostResult<()> {
    use rustix::fs as f;
    check_name(of, name)?;
    let mut fl = XattrFlags::empty();
    if flags & XATTR_CREATE != 0 {
        fl |= XattrFlags::CREATE;
    }
    if flags & XATTR_REPLACE != 0 {
        fl |= XattrFlags::REPLACE;
    }
    match of {
        XattrOf::Path(p, true) => f::setxattr(p, name, value, fl),
        XattrOf::Path(p, false) => f::lsetxattr(p, name, value, fl),
        XattrOf::Fd(h) => f::fsetxattr(super::fd(h)?, name, value, fl),
    }
    .map_err(linux)
}

/// The attribute names, each NUL-terminated, into `buf`; their length (an empty `buf`
/// asks only that).
pub fn listxattr(of: XattrOf, buf: &mut [u8]) -> HostResult<usize> {
    use rustix::fs as f;
    let query = buf.is_empty();
    let n = match of {
        XattrOf::Path(p, true) if query => f::listxattr_query(p),
        XattrOf::Path(p, true) => f::listxattr(p, &mut *buf),
        XattrOf::Path(p, false) if query => f::llistxattr_query(p),
        XattrOf::Path(p, false) => f::llistxattr(p, &mut *buf),
        XattrOf::Fd(h) if query => f::flistxattr_query(super::fd(h)?),
        XattrOf::Fd(h) => f::flistxattr(super::fd(h)?, &mut *buf),
    }
    .map_err(linux)?;
    if cfg!(target_os = "linux") || query {
        return Ok(n);
    }
    // Keep the names a Linux guest could have set.
    let kept: Vec<u8> = buf[..n]
        .split_inclusive(|&b| b == 0)
        .filter(|name| known_namespace(name))
        .flatten()
        .copied()
        .collect();
    buf[..kept.len()].copy_from_slice(&kept);
    Ok(kept.len())
}

pub fn removexattr(of: XattrOf, name: &[u8]) -> HostResult<()> {
    use rustix::fs as f;
    check_name(of, name)?;
    match of {
        XattrOf::Path(p, true) => f::removexattr(p, name),
        XattrOf::Path(p, false) => f::lremovexattr(p, name),
        XattrOf::Fd(h) => f::fremovexattr(super::fd(h)?, name),
    }
    .map_err(linux)
}
