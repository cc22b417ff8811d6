//! System V IPC on the host: shared memory segments, semaphore sets and message queues
//! are kernel objects other processes (the guest's children, other programs) share, so
//! each is the host's own object; a guest attachment of a segment is the host's
//! attachment seen through `SharedMemory`. On a host without Linux's System V IPC the
//! guest gets ENOSYS, as from a kernel built without it.

use super::HostResult;
use emu_cpu::mem::SharedMemory;

#[cfg(target_os = "linux")]
pub use super::ffi::sysv::{
    msg_rmid, msg_set, msg_stat, msgget, msgrcv, msgsnd, sem_getall, sem_rmid, sem_set, sem_setall, sem_stat,
    semctl_int, semget, semop, shm_rmid, shm_set, shm_stat, shmget,
};

/// A host attachment of a segment (host `shmat`), detached when the last guest page of
/// it is unmapped.
pub struct ShmAttachment {
    at: *mut u8,
    size: u64,
    writable: bool,
}

impl ShmAttachment {
    /// Attaches segment `id`; `size` is the segment's (IPC_STAT).
    #[cfg(target_os = "linux")]
    pub fn new(id: i32, size: u64, readonly: bool) -> HostResult<ShmAttachment> {
        let at = super::ffi::sysv::shmat(id, readonly)?;
        Ok(ShmAttachment { at, size, writable: !readonly })
    }

    #[cfg(not(target_os = "linux"))]
    pub fn new(_: i32, _: u64, _: bool) -> HostResult<ShmAttachment> {
        Err(crate::abi::errno::ENOSYS)
    }
}

impl SharedMemory for ShmAttachment {
    fn base(&self) -> *mut u8 {
        self.at
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn writable(&self) -> bool {
        self.writable
    }
}

impl Drop for ShmAttachment {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        // SAFETY: our own attachment; the address space dropped its last reference.
        unsafe {
            super::ffi::sysv::shmdt(self.at)
        };
    }
}

#[cfg(not(target_os = "linux"))]
mod absent {
    //! Without the host's System V IPC every call is ENOSYS.
    use super::HostResult;
    use crate::abi::errno::ENOSYS;
    use crate::abi::ipc::{IpcPerm, MsqidDs, Sembuf, SemidDs, ShmidDs};
    use std::time::Duration;

    pub fn shmget(_: i32, _: u64, _: i32) -> HostResult<i32> {
        Err(ENOSYS)
    }
    pub fn shm_stat(_: i32) -> HostResult<ShmidDs> {
        Err(ENOSYS)
    }
    pub fn shm_set(_: i32, _: &IpcPerm) -> HostResult<()> {
        Err(ENOSYS)
    }
    pub fn shm_rmid(_: i32) -> HostResult<()> {
        Err(ENOSYS)
    }
    pub fn semget(_: i32, _: i32, _: i32) -> HostResult<i32> {
        Err(ENOSYS)
    }
    pub fn semop(_: i32, _: &[Sembuf], _: Option<Duration>, _: bool) -> HostResult<()> {
        Err(ENOSYS)
    }
    pub fn semctl_int(_: i32, _: i32, _: i32, _: i32) -> HostResult<i32> {
        Err(ENOSYS)
    }
    pub fn sem_getall(_: i32, _: usize) -> HostResult<Vec<u16>> {
        Err(ENOSYS)
    }
    pub fn sem_setall(_: i32, _: &[u16]) -> HostResult<()> {
        Err(ENOSYS)
    }
    pub fn sem_stat(_: i32) -> HostResult<SemidDs> {
        Err(ENOSYS)
    }
    pub fn sem_set(_: i32, _: &IpcPerm) -> HostResult<()> {
        Err(ENOSYS)
    }
    pub fn sem_rmid(_: i32) -> HostResult<()> {
        Err(ENOSYS)
    }
    pub fn msgget(_: i32, _: i32) -> HostResult<i32> {
        Err(ENOSYS)
    }
    pub fn msgsnd(_: i32, _: i64, _: &[u8], _: bool) -> HostResult<()> {
        Err(ENOSYS)
    }
    pub fn msgrcv(_: i32, _: usize, _: i64, _: i32, _: bool) -> HostResult<(i64, Vec<u8>)> {
        Err(ENOSYS)
    }
    pub fn msg_stat(_: i32) -> HostResult<MsqidDs> {
        Err(ENOSYS)
    }
    pub fn msg_set(_: i32, _: &IpcPerm, _: u64) -> HostResult<()> {
        Err(ENOSYS)
    }
    pub fn msg_rmid(_: i32) -> HostResult<()> {
        Err(ENOSYS)
    }
}

#[cfg(not(target_os = "linux"))]
pub use absent::*;
