//! The host operating system, behind one small interface. Everything the shim asks of the
//! host goes through here, with Linux flags translated on the way in and host errors
//! translated to Linux errnos on the way out; no host struct reaches the guest.
//!
//! The calls go through rustix, which offers them safe and typed on Linux and macOS. Host
//! fds cross this interface as plain numbers (the fd table keeps them as `i32`); `fd` is
//! the one place that lends such a number to rustix, and `close` the one that gives it
//! back. What rustix cannot do (installing signal handlers, fork, interval timers, ...) is
//! in `ffi.rs`, the only file that calls libc, which says why for each call. Per-OS
//! differences of more than a line are in `linux.rs` and `macos.rs`.
//!
//! | file | holds |
//! |------|-------|
//! | `errno.rs` | host errno -> Linux errno, one table |
//! | `io.rs` | read, write, seek; dup, close, pipes, socket pairs; shared memory |
//! | `mm.rs` | shared mappings (MAP_SHARED) and the futexes in them |
//! | `ipc.rs` | System V shared memory, semaphores and message queues |
//! | `fs.rs` | paths, stat, directories, statfs, fd status flags |
//! | `net/` | sockets: addresses, connections, messages with passed fds and credentials, options (`net/linux.rs`, `net/macos.rs` for what differs) |
//! | `meta.rs` | file times, owners, truncate, fallocate, device nodes and fifos, sync |
//! | `xattr.rs` | extended attributes |
//! | `lock.rs` | flock and fcntl record locks |
//! | `copy.rs` | copies between descriptors in the kernel: copy_file_range, sendfile, splice, tee |
//! | `notify.rs` | inotify |
//! | `poll.rs` | poll(2) with Linux event bits |
//! | `term.rs` | terminals: isatty, window size, termios |
//! | `time.rs` | clocks, sleeps, interval timers |
//! | `wake.rs` | wake-ups for the timers emu keeps itself |
//! | `system.rs` | ids, hostname, entropy, resource usage |
//! | `task.rs` | capabilities, nice values, scheduling policy, prctl settings, pidfds |
//! | `process.rs` | fork, wait, kill, exit |
//! | `session.rs` | process groups and sessions; kill of a group emu is in |
//! | `signal.rs` | signal numbers, forwarding host signals to the guest |
//! | `ffi.rs` | what rustix cannot do, on libc |

mod copy;
mod errno;
mod ffi;
mod fs;
mod io;
mod ipc;
mod lock;
mod meta;
mod mm;
mod net;
mod notify;
mod poll;
mod process;
mod session;
mod signal;
mod system;
mod task;
mod term;
mod time;
mod wake;
mod xattr;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as os;
#[cfg(not(target_os = "linux"))]
mod macos;
#[cfg(not(target_os = "linux"))]
use macos as os;

pub use copy::*;
pub use errno::errno_from_host;
pub use fs::*;
pub use io::*;
pub use ipc::*;
pub use lock::*;
pub use meta::*;
pub use mm::*;
pub use net::*;
pub use notify::*;
pub use os::fd_target;
pub use poll::poll;
pub use process::*;
pub use session::*;
pub use signal::*;
pub use system::*;
pub use task::*;
pub use term::*;
pub use time::*;
pub use wake::*;
pub use xattr::*;

/// A Linux errno value (positive).
pub type Errno = i32;
pub type HostResult<T> = Result<T, Errno>;

use rustix::fd::BorrowedFd;

/// Lends host fd number `raw` to a rustix call. -1 (which a `BorrowedFd` cannot hold) is
/// EBADF, as the host would say.
fn fd(raw: i32) -> HostResult<BorrowedFd<'static>> {
    if raw == -1 {
        return Err(crate::abi::errno::EBADF);
    }
    // SAFETY: `raw` is not -1, the one value a BorrowedFd may not hold. Host fds cross this
    // interface as numbers owned by the fd table (or the caller), closed only through
    // `close` once no call is using them; a number that is not open makes the host call
    // fail with EBADF, as the C call would. The borrow ends with the rustix call.
    Ok(unsafe { BorrowedFd::borrow_raw(raw) })
}

/// Keeps emu's own signals off a helper thread (they must interrupt the thread that runs
/// the guest).
pub fn block_all_signals() {
    ffi::block_all_signals_in_this_thread();
}
