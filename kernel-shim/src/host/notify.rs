//! File-change notification: the host's inotify on Linux. Elsewhere there is none, and
//! the calls fail with ENOSYS, as on a Linux kernel built without inotify.

use super::HostResult;

/// A new inotify instance, non-blocking and close-on-exec.
#[cfg(target_os = "linux")]
pub fn inotify_init() -> HostResult<i32> {
    use rustix::fs::inotify::{init, CreateFlags};
    init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC).map(super::io::raw).map_err(super::errno::linux)
}

/// Watches `path` (relative to the working directory) for the Linux event bits and flags
/// of `mask`; returns the host's watch descriptor.
#[cfg(target_os = "linux")]
pub fn inotify_add_watch(fd: i32, path: &[u8], mask: u32) -> HostResult<i32> {
    use rustix::fs::inotify::{add_watch, WatchFlags};
    // The host speaks Linux: the bits are the guest's.
    add_watch(super::fd(fd)?, path, WatchFlags::from_bits_retain(mask)).map_err(super::errno::linux)
}

#[cfg(target_os = "linux")]
pub fn inotify_rm_watch(fd: i32, wd: i32) -> HostResult<()> {
    rustix::fs::inotify::remove_watch(super::fd(fd)?, wd).map_err(super::errno::linux)
}

#[cfg(not(target_os = "linux"))]
pub fn inotify_init() -> HostResult<i32> {
    Err(crate::abi::errno::ENOSYS)
}

#[cfg(not(target_os = "linux"))]
pub fn inotify_add_watch(_fd: i32, _path: &[u8], _mask: u32) -> HostResult<i32> {
    Err(crate::abi::errno::ENOSYS)
}

#[cfg(not(target_os = "linux"))]
pub fn inotify_rm_watch(_fd: i32, _wd: i32) -> HostResult<()> {
    Err(crate::abi::errno::ENOSYS)
}
