//! File locks: flock(2) whole-file locks and fcntl record locks (POSIX, and Linux's open
//! file description locks), with Linux's operations, types and struct fields. Both kinds
//! are the host's, so they hold between emu's processes (each guest process is a host
//! process) and against native programs.

use super::errno::linux;
use super::{fd, HostResult};
use crate::abi::errno as E;
use crate::abi::meta::{LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN};

/// flock with Linux's LOCK_* bits.
pub fn flock(h: i32, op: u32) -> HostResult<()> {
    use rustix::fs::FlockOperation as F;
    let nb = op & LOCK_NB != 0;
    let op = match op & !LOCK_NB {
        LOCK_SH if nb => F::NonBlockingLockShared,
        LOCK_SH => F::LockShared,
        LOCK_EX if nb => F::NonBlockingLockExclusive,
        LOCK_EX => F::LockExclusive,
        LOCK_UN => F::Unlock,
        _ => return Err(E::EINVAL),
    };
    rustix::fs::flock(fd(h)?, op).map_err(linux)
}

/// A record lock with Linux's values: `struct flock`'s fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordLock {
    /// F_RDLCK 0, F_WRLCK 1, F_UNLCK 2.
    pub typ: i16,
    /// SEEK_SET, SEEK_CUR, SEEK_END.
    pub whence: i16,
    pub start: i64,
    pub len: i64,
    /// The host pid of the holder (F_GETLK); -1 for an open file description lock.
    pub pid: i32,
}

/// What a record-lock fcntl does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockCmd {
    /// F_GETLK / F_OFD_GETLK: the first lock that would conflict, or F_UNLCK.
    Get,
    /// F_SETLK / F_OFD_SETLK: take or release it, EAGAIN if another holds one.
    Set,
    /// F_SETLKW / F_OFD_SETLKW: the same, waiting for it.
    SetWait,
}

/// A record-lock fcntl on host fd `h`; `ofd`: an open file description lock (EINVAL
/// where the host has none, as on a kernel without them).
pub fn record_lock(h: i32, cmd: LockCmd, ofd: bool, lock: &mut RecordLock) -> HostResult<()> {
    fd(h)?;
    super::ffi::record_lock(h, cmd, ofd, lock)
}
