//! What the host says about this process and itself: ids, hostname, entropy, resource
//! usage.

use super::errno::linux;
use super::{ffi, os, HostResult};
use rustix::process::{getegid, geteuid, getgid, getuid, Pid};

pub fn ids() -> [u32; 4] {
    [getuid().as_raw(), geteuid().as_raw(), getgid().as_raw(), getegid().as_raw()]
}

pub fn getpid() -> i32 {
    rustix::process::getpid().as_raw_nonzero().get()
}

pub fn getppid() -> i32 {
    Pid::as_raw(rustix::process::getppid())
}

pub fn hostname() -> Vec<u8> {
    rustix::system::uname().nodename().to_bytes().to_vec()
}

/// Fills `buf` from the host's random source.
pub fn getentropy(buf: &mut [u8]) -> HostResult<()> {
    os::getentropy(buf).map_err(linux)
}

/// CPU time (user+system) of the children emu has waited for, in nanoseconds.
pub fn children_cpu_time_ns() -> u64 {
    ffi::children_cpu_time_ns()
}

/// emu's own peak resident memory in bytes.
pub fn peak_rss() -> u64 {
    ffi::peak_rss()
}
