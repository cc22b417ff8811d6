//! The host operating system, behind one small interface. Everything the shim asks of the
//! host goes through here, with Linux flags translated on the way in and host errors
//! translated to Linux errnos on the way out; no host struct reaches the guest.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

/// A Linux errno value (positive).
pub type Errno = i32;
pub type HostResult<T> = Result<T, Errno>;
