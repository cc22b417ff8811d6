//! Socket constants and the small structs of socket options and control messages:
//! socket types and flags, `MSG_*` flags, option levels and names, `struct ucred`,
//! `struct linger`, `struct mmsghdr`, `struct sockaddr_nl`. Linux's values; the host
//! module translates them to the host's.

use super::guest_struct;
use super::net::Msghdr;

pub const AF_NETLINK: u16 = 16;

// socket(2) types, and the flags or-ed into the type.
pub const SOCK_STREAM: i32 = 1;
pub const SOCK_DGRAM: i32 = 2;
pub const SOCK_RAW: i32 = 3;
pub const SOCK_SEQPACKET: i32 = 5;
pub const SOCK_TYPE_MASK: i32 = 0xf;
pub const SOCK_NONBLOCK: i32 = 0o4000;
pub const SOCK_CLOEXEC: i32 = 0o2000000;

/// NETLINK_ROUTE, the one netlink protocol emu serves.
pub const NETLINK_ROUTE: i32 = 0;

// shutdown(2)
pub const SHUT_RD: i32 = 0;
pub const SHUT_RDWR: i32 = 2;

// send/recv flags.
pub const MSG_OOB: u32 = 0x1;
pub const MSG_PEEK: u32 = 0x2;
pub const MSG_DONTROUTE: u32 = 0x4;
pub const MSG_CTRUNC: u32 = 0x8;
pub const MSG_TRUNC: u32 = 0x20;
pub const MSG_DONTWAIT: u32 = 0x40;
pub const MSG_EOR: u32 = 0x80;
pub const MSG_WAITALL: u32 = 0x100;
pub const MSG_CONFIRM: u32 = 0x800;
pub const MSG_NOSIGNAL: u32 = 0x4000;
pub const MSG_MORE: u32 = 0x8000;
pub const MSG_WAITFORONE: u32 = 0x10000;
pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

// Option levels.
pub const SOL_SOCKET: i32 = 1;
pub const SOL_IP: i32 = 0;
pub const SOL_TCP: i32 = 6;
pub const SOL_UDP: i32 = 17;
pub const SOL_IPV6: i32 = 41;

// SOL_SOCKET options.
pub const SO_DEBUG: i32 = 1;
pub const SO_REUSEADDR: i32 = 2;
pub const SO_TYPE: i32 = 3;
pub const SO_ERROR: i32 = 4;
pub const SO_DONTROUTE: i32 = 5;
pub const SO_BROADCAST: i32 = 6;
pub const SO_SNDBUF: i32 = 7;
pub const SO_RCVBUF: i32 = 8;
pub const SO_KEEPALIVE: i32 = 9;
pub const SO_OOBINLINE: i32 = 10;
pub const SO_LINGER: i32 = 13;
pub const SO_REUSEPORT: i32 = 15;
pub const SO_PASSCRED: i32 = 16;
pub const SO_PEERCRED: i32 = 17;
pub const SO_RCVLOWAT: i32 = 18;
pub const SO_SNDLOWAT: i32 = 19;
pub const SO_RCVTIMEO: i32 = 20;
pub const SO_SNDTIMEO: i32 = 21;
pub const SO_ACCEPTCONN: i32 = 30;
pub const SO_SNDBUFFORCE: i32 = 32;
pub const SO_RCVBUFFORCE: i32 = 33;
pub const SO_PROTOCOL: i32 = 38;
pub const SO_DOMAIN: i32 = 39;

// SOL_IP options.
pub const IP_TOS: i32 = 1;
pub const IP_TTL: i32 = 2;
pub const IP_MTU_DISCOVER: i32 = 10;
pub const IP_RECVTOS: i32 = 13;
pub const IP_MULTICAST_TTL: i32 = 33;
pub const IP_MULTICAST_LOOP: i32 = 34;

// SOL_IPV6 options.
pub const IPV6_UNICAST_HOPS: i32 = 16;
pub const IPV6_MULTICAST_HOPS: i32 = 18;
pub const IPV6_MULTICAST_LOOP: i32 = 19;
pub const IPV6_V6ONLY: i32 = 26;
pub const IPV6_RECVTCLASS: i32 = 66;
pub const IPV6_TCLASS: i32 = 67;

// SOL_TCP options.
pub const TCP_NODELAY: i32 = 1;
pub const TCP_MAXSEG: i32 = 2;
pub const TCP_CORK: i32 = 3;
pub const TCP_KEEPIDLE: i32 = 4;
pub const TCP_KEEPINTVL: i32 = 5;
pub const TCP_KEEPCNT: i32 = 6;
pub const TCP_QUICKACK: i32 = 12;
pub const TCP_USER_TIMEOUT: i32 = 18;

/// `cmsg_type` of a message carrying credentials (SOL_SOCKET).
pub const SCM_CREDENTIALS: i32 = 2;

guest_struct! {
    /// `struct ucred` (SO_PEERCRED, SCM_CREDENTIALS).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Ucred [12] {
        pid: i32 = 0,
        uid: u32 = 4,
        gid: u32 = 8,
    }
}

guest_struct! {
    /// `struct linger` (SO_LINGER).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Linger [8] {
        onoff: i32 = 0,
        linger: i32 = 4,
    }
}

guest_struct! {
    /// `struct mmsghdr` (sendmmsg, recvmmsg): a message and the bytes it moved.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Mmsghdr [64] {
        hdr: Msghdr = 0,
        len: u32 = 56,
    }
}

guest_struct! {
    /// `struct sockaddr_nl`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SockaddrNl [12] {
        family: u16 = 0,
        pid: u32 = 4,
        groups: u32 = 8,
    }
}

guest_struct! {
    /// `struct nlmsghdr`: the header of each netlink message.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Nlmsghdr [16] {
        len: u32 = 0,
        nl_type: u16 = 4,
        flags: u16 = 6,
        seq: u32 = 8,
        pid: u32 = 12,
    }
}

// Socket ioctls.
pub const SIOCGIFNAME: u32 = 0x8910;
pub const SIOCGIFINDEX: u32 = 0x8933;
/// Bytes of an interface name (IFNAMSIZ).
pub const IFNAMSIZ: usize = 16;

guest_struct! {
    /// `struct ifreq` with its `ifr_ifindex` member (SIOCGIFINDEX, SIOCGIFNAME).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct IfreqIndex [40] {
        name: [u8; IFNAMSIZ] = 0,
        index: i32 = 16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::expect;
    use crate::abi::GuestStruct;

    #[test]
    fn layouts_match_linux() {
        expect(IfreqIndex::FIELDS, IfreqIndex::SIZE, 40, &[("name", 0), ("index", 16)]);
        expect(Ucred::FIELDS, Ucred::SIZE, 12, &[("pid", 0), ("uid", 4), ("gid", 8)]);
        expect(Linger::FIELDS, Linger::SIZE, 8, &[("onoff", 0), ("linger", 4)]);
        expect(Mmsghdr::FIELDS, Mmsghdr::SIZE, 64, &[("hdr", 0), ("len", 56)]);
        expect(SockaddrNl::FIELDS, SockaddrNl::SIZE, 12, &[("family", 0), ("pid", 4), ("groups", 8)]);
        expect(
            Nlmsghdr::FIELDS,
            Nlmsghdr::SIZE,
            16,
            &[("len", 0), ("nl_type", 4), ("flags", 6), ("seq", 8), ("pid", 12)],
        );
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn layouts_match_the_host_libc() {
        use crate::abi::layout::offset;
        use std::mem::{offset_of, size_of};
        assert_eq!(size_of::<libc::ucred>(), Ucred::SIZE);
        assert_eq!(offset_of!(libc::ucred, gid), offset(Ucred::FIELDS, "gid"));
        assert_eq!(size_of::<libc::linger>(), Linger::SIZE);
        assert_eq!(size_of::<libc::mmsghdr>(), Mmsghdr::SIZE);
        assert_eq!(offset_of!(libc::mmsghdr, msg_len), offset(Mmsghdr::FIELDS, "len"));
        assert_eq!(size_of::<libc::sockaddr_nl>(), SockaddrNl::SIZE);
        assert_eq!(offset_of!(libc::sockaddr_nl, nl_pid), offset(SockaddrNl::FIELDS, "pid"));
        assert_eq!(size_of::<libc::nlmsghdr>(), Nlmsghdr::SIZE);
        assert_eq!(
            (libc::SO_PEERCRED, libc::SO_DOMAIN, libc::SO_RCVTIMEO),
            (SO_PEERCRED, SO_DOMAIN, SO_RCVTIMEO)
        );
        assert_eq!(
            (libc::MSG_NOSIGNAL as u32, libc::MSG_CMSG_CLOEXEC as u32),
            (MSG_NOSIGNAL, MSG_CMSG_CLOEXEC)
        );
        assert_eq!(
            (libc::IPV6_V6ONLY, libc::TCP_KEEPIDLE, libc::IP_TOS),
            (IPV6_V6ONLY, TCP_KEEPIDLE, IP_TOS)
        );
        assert_eq!(Ucred { pid: 1, uid: 2, gid: 3 }.to_bytes().len(), 12);
    }
}
