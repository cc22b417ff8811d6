//! System V IPC as the guest sees it: the `*64_ds` structs x86-64 uses for shmctl, semctl
//! and msgctl, `struct sembuf` for semop, and the command and flag values.

use super::guest_struct;

guest_struct! {
    /// `struct ipc64_perm`: the owner and mode of a segment, semaphore set or queue.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct IpcPerm [48] {
        key: i32 = 0,
        uid: u32 = 4,
        gid: u32 = 8,
        cuid: u32 = 12,
        cgid: u32 = 16,
        mode: u32 = 20,
        seq: u16 = 24,
    }
}

guest_struct! {
    /// `struct shmid64_ds` (shmctl IPC_STAT / IPC_SET).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct ShmidDs [112] {
        perm: IpcPerm = 0,
        segsz: u64 = 48,
        atime: i64 = 56,
        dtime: i64 = 64,
        ctime: i64 = 72,
        cpid: i32 = 80,
        lpid: i32 = 84,
        nattch: u64 = 88,
    }
}

guest_struct! {
    /// `struct semid64_ds` (semctl IPC_STAT / IPC_SET).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SemidDs [104] {
        perm: IpcPerm = 0,
        otime: i64 = 48,
        ctime: i64 = 64,
        nsems: u64 = 80,
    }
}

guest_struct! {
    /// `struct msqid64_ds` (msgctl IPC_STAT / IPC_SET).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct MsqidDs [120] {
        perm: IpcPerm = 0,
        stime: i64 = 48,
        rtime: i64 = 56,
        ctime: i64 = 64,
        cbytes: u64 = 72,
        qnum: u64 = 80,
        qbytes: u64 = 88,
        lspid: i32 = 96,
        lrpid: i32 = 100,
    }
}

guest_struct! {
    /// `struct sembuf`: one operation of a semop.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Sembuf [6] {
        num: u16 = 0,
        op: i16 = 2,
        flg: i16 = 4,
    }
}

pub const IPC_CREAT: i32 = 0o1000;
pub const IPC_EXCL: i32 = 0o2000;
pub const IPC_NOWAIT: i32 = 0o4000;
pub const IPC_RMID: i32 = 0;
pub const IPC_SET: i32 = 1;
pub const IPC_STAT: i32 = 2;
pub const IPC_INFO: i32 = 3;
/// Set in a ctl command by callers that want the `*64_ds` layouts; x86-64 has only those.
pub const IPC_64: i32 = 0x100;

pub const SHM_RDONLY: i32 = 0o10000;
pub const SHM_RND: i32 = 0o20000;
pub const SHM_REMAP: i32 = 0o40000;
pub const SHM_EXEC: i32 = 0o100000;
pub const SHMLBA: u64 = 4096;

pub const GETPID: i32 = 11;
pub const GETVAL: i32 = 12;
pub const GETALL: i32 = 13;
pub const GETNCNT: i32 = 14;
pub const GETZCNT: i32 = 15;
pub const SETVAL: i32 = 16;
pub const SETALL: i32 = 17;
pub const SEM_UNDO: i16 = 0x1000;
/// Linux's limit on the operations of one semop (SEMOPM).
pub const SEMOPM: usize = 500;

pub const MSG_NOERROR: i32 = 0o10000;
pub const MSG_EXCEPT: i32 = 0o20000;
pub const MSG_COPY: i32 = 0o40000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::expect;
    use crate::abi::GuestStruct;

    #[test]
    fn layouts_match_linux() {
        expect(IpcPerm::FIELDS, IpcPerm::SIZE, 48, &[("uid", 4), ("cgid", 16), ("mode", 20), ("seq", 24)]);
        expect(ShmidDs::FIELDS, ShmidDs::SIZE, 112, &[("segsz", 48), ("cpid", 80), ("nattch", 88)]);
        expect(SemidDs::FIELDS, SemidDs::SIZE, 104, &[("otime", 48), ("ctime", 64), ("nsems", 80)]);
        expect(MsqidDs::FIELDS, MsqidDs::SIZE, 120, &[("cbytes", 72), ("qbytes", 88), ("lrpid", 100)]);
        expect(Sembuf::FIELDS, Sembuf::SIZE, 6, &[("op", 2), ("flg", 4)]);
    }

    /// On an x86-64 glibc host the host's own structs are the guest's.
    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn layouts_match_the_hosts_libc() {
        use std::mem::{offset_of, size_of};
        assert_eq!(size_of::<libc::shmid_ds>(), ShmidDs::SIZE);
        assert_eq!(offset_of!(libc::shmid_ds, shm_nattch), 88);
        assert_eq!(offset_of!(libc::shmid_ds, shm_cpid), 80);
        assert_eq!(size_of::<libc::msqid_ds>(), MsqidDs::SIZE);
        assert_eq!(offset_of!(libc::msqid_ds, msg_qbytes), 88);
        assert_eq!(size_of::<libc::sembuf>(), Sembuf::SIZE);
        assert_eq!(size_of::<libc::ipc_perm>(), IpcPerm::SIZE);
    }
}
