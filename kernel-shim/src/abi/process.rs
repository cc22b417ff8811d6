//! Process structs: `rlimit`, `rusage`, `utsname`, `sysinfo`, the robust futex list head
//! and `clone_args` (clone3).

use super::guest_struct;
use super::time::Timeval;

guest_struct! {
    /// `struct rlimit` (getrlimit, prlimit64's `rlimit64` has the same layout).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Rlimit [16] {
        cur: u64 = 0,
        max: u64 = 8,
    }
}

pub const RLIM_INFINITY: u64 = u64::MAX;
/// Resources Linux numbers (RLIM_NLIMITS), and the two emu gives limits of its own.
pub const RLIM_NLIMITS: usize = 16;
pub const RLIMIT_STACK: usize = 3;
pub const RLIMIT_NOFILE: usize = 7;

guest_struct! {
    /// `struct rusage` (getrusage, wait4).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Rusage [144] {
        utime: Timeval = 0,
        stime: Timeval = 16,
        maxrss: i64 = 32,
        ixrss: i64 = 40,
        idrss: i64 = 48,
        isrss: i64 = 56,
        minflt: i64 = 64,
        majflt: i64 = 72,
        nswap: i64 = 80,
        inblock: i64 = 88,
        oublock: i64 = 96,
        msgsnd: i64 = 104,
        msgrcv: i64 = 112,
        nsignals: i64 = 120,
        nvcsw: i64 = 128,
        nivcsw: i64 = 136,
    }
}

/// Bytes of each `utsname` field, the NUL included.
pub const UTSNAME_LEN: usize = 65;

guest_struct! {
    /// `struct new_utsname` (uname): six NUL-terminated strings.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Utsname [6 * UTSNAME_LEN] {
        sysname: [u8; UTSNAME_LEN] = 0,
        nodename: [u8; UTSNAME_LEN] = UTSNAME_LEN,
        release: [u8; UTSNAME_LEN] = 2 * UTSNAME_LEN,
        version: [u8; UTSNAME_LEN] = 3 * UTSNAME_LEN,
        machine: [u8; UTSNAME_LEN] = 4 * UTSNAME_LEN,
        domainname: [u8; UTSNAME_LEN] = 5 * UTSNAME_LEN,
    }
}

impl Utsname {
    /// From the six strings in field order, each cut to 64 bytes.
    pub fn new(fields: [&[u8]; 6]) -> Utsname {
        let f = fields.map(|s| {
            let mut b = [0u8; UTSNAME_LEN];
            let n = s.len().min(UTSNAME_LEN - 1);
            b[..n].copy_from_slice(&s[..n]);
            b
        });
        Utsname {
            sysname: f[0],
            nodename: f[1],
            release: f[2],
            version: f[3],
            machine: f[4],
            domainname: f[5],
        }
    }
}

guest_struct! {
    /// `struct sysinfo`; memory sizes are in units of `mem_unit` bytes.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Sysinfo [112] {
        uptime: i64 = 0,
        loads: [u64; 3] = 8,
        totalram: u64 = 32,
        freeram: u64 = 40,
        sharedram: u64 = 48,
        bufferram: u64 = 56,
        totalswap: u64 = 64,
        freeswap: u64 = 72,
        procs: u16 = 80,
        totalhigh: u64 = 88,
        freehigh: u64 = 96,
        mem_unit: u32 = 104,
    }
}

guest_struct! {
    /// `struct robust_list_head` (set_robust_list): the list (a pointer to the first
    /// entry, or to itself when empty), the offset from an entry to its futex word, and
    /// the entry being acquired or released.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct RobustListHead [24] {
        next: u64 = 0,
        futex_offset: i64 = 8,
        list_op_pending: u64 = 16,
    }
}

guest_struct! {
    /// `struct clone_args` (clone3), at its largest version (CLONE_ARGS_SIZE_VER2); a
    /// caller may pass a shorter, older version.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct CloneArgs [88] {
        flags: u64 = 0,
        pidfd: u64 = 8,
        child_tid: u64 = 16,
        parent_tid: u64 = 24,
        exit_signal: u64 = 32,
        stack: u64 = 40,
        stack_size: u64 = 48,
        tls: u64 = 56,
        set_tid: u64 = 64,
        set_tid_size: u64 = 72,
        cgroup: u64 = 80,
    }
}

/// The first `clone_args` version's size (without set_tid and cgroup).
pub const CLONE_ARGS_SIZE_VER0: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::expect;
    use crate::abi::GuestStruct;

    #[test]
    fn layouts_match_linux() {
        expect(Rlimit::FIELDS, Rlimit::SIZE, 16, &[("cur", 0), ("max", 8)]);
        expect(
            Rusage::FIELDS,
            Rusage::SIZE,
            144,
            &[("stime", 16), ("maxrss", 32), ("minflt", 64), ("nsignals", 120), ("nivcsw", 136)],
        );
        expect(
            Utsname::FIELDS,
            Utsname::SIZE,
            390,
            &[("nodename", 65), ("release", 130), ("version", 195), ("machine", 260), ("domainname", 325)],
        );
        expect(
            Sysinfo::FIELDS,
            Sysinfo::SIZE,
            112,
            &[
                ("loads", 8),
                ("totalram", 32),
                ("freeswap", 72),
                ("procs", 80),
                ("totalhigh", 88),
                ("mem_unit", 104),
            ],
        );
        expect(
            RobustListHead::FIELDS,
            RobustListHead::SIZE,
            24,
            &[("next", 0), ("futex_offset", 8), ("list_op_pending", 16)],
        );
        expect(
            CloneArgs::FIELDS,
            CloneArgs::SIZE,
            88,
            &[("exit_signal", 32), ("stack", 40), ("tls", 56), ("set_tid", 64), ("cgroup", 80)],
        );
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn layouts_match_the_host_libc() {
        use crate::abi::layout::offset;
        use std::mem::{offset_of, size_of};
        assert_eq!(size_of::<libc::rlimit>(), Rlimit::SIZE);
        assert_eq!(offset_of!(libc::rlimit, rlim_max), offset(Rlimit::FIELDS, "max"));
        assert_eq!(size_of::<libc::rusage>(), Rusage::SIZE);
        let r = Rusage::FIELDS;
        assert_eq!(offset_of!(libc::rusage, ru_stime), offset(r, "stime"));
        assert_eq!(offset_of!(libc::rusage, ru_maxrss), offset(r, "maxrss"));
        assert_eq!(offset_of!(libc::rusage, ru_minflt), offset(r, "minflt"));
        assert_eq!(offset_of!(libc::rusage, ru_nivcsw), offset(r, "nivcsw"));
        assert_eq!(size_of::<libc::utsname>(), Utsname::SIZE);
        assert_eq!(offset_of!(libc::utsname, machine), offset(Utsname::FIELDS, "machine"));
        assert_eq!(offset_of!(libc::utsname, domainname), offset(Utsname::FIELDS, "domainname"));
        assert_eq!(size_of::<libc::sysinfo>(), Sysinfo::SIZE);
        let s = Sysinfo::FIELDS;
        assert_eq!(offset_of!(libc::sysinfo, loads), offset(s, "loads"));
        assert_eq!(offset_of!(libc::sysinfo, totalram), offset(s, "totalram"));
        assert_eq!(offset_of!(libc::sysinfo, procs), offset(s, "procs"));
        assert_eq!(offset_of!(libc::sysinfo, totalhigh), offset(s, "totalhigh"));
        assert_eq!(offset_of!(libc::sysinfo, mem_unit), offset(s, "mem_unit"));
    }

    #[test]
    fn utsname_fields_are_cut_and_terminated() {
        let long = [b'x'; 80];
        let u = Utsname::new([b"Linux", &long, b"6.1", b"#1", b"x86_64", b"(none)"]);
        let b = u.to_bytes();
        assert_eq!(&b[..6], b"Linux\0");
        assert_eq!(b[65 + 63], b'x');
        assert_eq!(b[65 + 64], 0);
        assert_eq!(&b[260..267], b"x86_64\0");
        assert_eq!(Utsname::read(&b), u);
    }
}
