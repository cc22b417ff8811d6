//! Event descriptors: timerfd, signalfd and inotify flags, `struct signalfd_siginfo` and
//! `struct inotify_event`.

use super::{get, guest_struct, put, GuestStruct};
use crate::abi::signal::{SigInfo, SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGSEGV, SIGTRAP, SI_TIMER};

pub const TFD_NONBLOCK: u32 = 0o4000;
pub const TFD_CLOEXEC: u32 = 0o2000000;
pub const TFD_TIMER_ABSTIME: u32 = 1;
pub const TFD_TIMER_CANCEL_ON_SET: u32 = 2;

pub const SFD_NONBLOCK: u32 = 0o4000;
pub const SFD_CLOEXEC: u32 = 0o2000000;

pub const IN_NONBLOCK: u32 = 0o4000;
pub const IN_CLOEXEC: u32 = 0o2000000;
/// The event bits a watch may ask for (IN_ALL_EVENTS).
pub const IN_ALL_EVENTS: u32 = 0xfff;
pub const IN_IGNORED: u32 = 0x8000;
/// Flags of inotify_add_watch beyond the events.
pub const IN_ONLYDIR: u32 = 0x0100_0000;
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
pub const IN_MASK_ADD: u32 = 0x2000_0000;
pub const IN_ONESHOT: u32 = 0x8000_0000;

/// The names of inotify's mask bits, in strace's order.
pub const IN_NAMES: &[(u64, &str)] = &[
    (0x1, "IN_ACCESS"),
    (0x2, "IN_MODIFY"),
    (0x4, "IN_ATTRIB"),
    (0x8, "IN_CLOSE_WRITE"),
    (0x10, "IN_CLOSE_NOWRITE"),
    (0x20, "IN_OPEN"),
    (0x40, "IN_MOVED_FROM"),
    (0x80, "IN_MOVED_TO"),
    (0x100, "IN_CREATE"),
    (0x200, "IN_DELETE"),
    (0x400, "IN_DELETE_SELF"),
    (0x800, "IN_MOVE_SELF"),
    (0x2000, "IN_UNMOUNT"),
    (0x4000, "IN_Q_OVERFLOW"),
    (0x8000, "IN_IGNORED"),
    (0x0100_0000, "IN_ONLYDIR"),
    (0x0200_0000, "IN_DONT_FOLLOW"),
    (0x0400_0000, "IN_EXCL_UNLINK"),
    (0x1000_0000, "IN_MASK_CREATE"),
    (0x2000_0000, "IN_MASK_ADD"),
    (0x4000_0000, "IN_ISDIR"),
    (0x8000_0000, "IN_ONESHOT"),
];

guest_struct! {
    /// `struct signalfd_siginfo` (128 bytes; the tail is padding).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SignalfdSiginfo [128] {
        signo: u32 = 0,
        errno: i32 = 4,
        code: i32 = 8,
        pid: u32 = 12,
        uid: u32 = 16,
        fd: i32 = 20,
        tid: u32 = 24,
        band: u32 = 28,
        overrun: u32 = 32,
        trapno: u32 = 36,
        status: i32 = 40,
        int: i32 = 44,
        ptr: u64 = 48,
        utime: u64 = 56,
        stime: u64 = 64,
        addr: u64 = 72,
        addr_lsb: u16 = 80,
    }
}

impl SignalfdSiginfo {
    /// What a signalfd read reports for a pending signal: the fields of its kind of
    /// siginfo, as Linux's signalfd_copyinfo copies them.
    pub fn from_siginfo(s: &SigInfo) -> SignalfdSiginfo {
        let mut out = SignalfdSiginfo { signo: s.signo as u32, code: s.code, ..Default::default() };
        let fault = matches!(s.signo, SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGTRAP) && s.code > 0;
        if fault {
            out.addr = s.addr;
        } else if s.code == SI_TIMER {
            // The timer id and overrun count are where SigInfo keeps pid and uid.
            out.tid = s.pid as u32;
            out.overrun = s.uid;
            out.ptr = s.addr;
            out.int = s.addr as i32;
        } else {
            out.pid = s.pid as u32;
            out.uid = s.uid;
            if s.value {
                out.ptr = s.addr;
                out.int = s.addr as i32;
            } else if s.signo == SIGCHLD {
                out.status = s.status;
            }
        }
        out
    }
}

/// The fixed part of `struct inotify_event`: the name (`len` bytes, NUL-padded) follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InotifyEvent {
    pub wd: i32,
    pub mask: u32,
    pub cookie: u32,
    pub len: u32,
}

impl GuestStruct for InotifyEvent {
    const SIZE: usize = 16;

    fn read(b: &[u8]) -> Self {
        InotifyEvent { wd: get(b, 0), mask: get(b, 4), cookie: get(b, 8), len: get(b, 12) }
    }

    fn write(&self, out: &mut [u8]) {
        put(out, 0, &self.wd);
        put(out, 4, &self.mask);
        put(out, 8, &self.cookie);
        put(out, 12, &self.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::expect;

    #[test]
    fn layouts_match_linux() {
        expect(
            SignalfdSiginfo::FIELDS,
            SignalfdSiginfo::SIZE,
            128,
            &[
                ("code", 8),
                ("pid", 12),
                ("status", 40),
                ("int", 44),
                ("ptr", 48),
                ("addr", 72),
                ("addr_lsb", 80),
            ],
        );
        assert_eq!(InotifyEvent::SIZE, 16);
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn layouts_match_the_host_libc() {
        use crate::abi::layout::offset;
        use std::mem::{offset_of, size_of};
        assert_eq!(size_of::<libc::signalfd_siginfo>(), SignalfdSiginfo::SIZE);
        let f = SignalfdSiginfo::FIELDS;
        assert_eq!(offset_of!(libc::signalfd_siginfo, ssi_pid), offset(f, "pid"));
        assert_eq!(offset_of!(libc::signalfd_siginfo, ssi_status), offset(f, "status"));
        assert_eq!(offset_of!(libc::signalfd_siginfo, ssi_ptr), offset(f, "ptr"));
        assert_eq!(offset_of!(libc::signalfd_siginfo, ssi_addr_lsb), offset(f, "addr_lsb"));
        assert_eq!(size_of::<libc::inotify_event>(), InotifyEvent::SIZE);
    }

    #[test]
    fn signalfd_fields_follow_the_siginfo_kind() {
        let q = SigInfo { signo: 10, code: -1, pid: 5, uid: 6, addr: 42, value: true, ..Default::default() };
        let s = SignalfdSiginfo::from_siginfo(&q);
        assert_eq!((s.signo, s.code, s.pid, s.uid, s.int, s.ptr), (10, -1, 5, 6, 42, 42));
        let c = SigInfo { signo: SIGCHLD, code: 1, pid: 9, status: 7, ..Default::default() };
        assert_eq!(SignalfdSiginfo::from_siginfo(&c).status, 7);
    }
}
