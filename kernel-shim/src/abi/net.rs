//! Socket structs: `msghdr` and `cmsghdr` (sendmsg, recvmsg), and socket addresses
//! (`sockaddr_un`, `sockaddr_in`, `sockaddr_in6`), which a call passes as bytes with a
//! length and a family in the first two.

use super::{get, guest_struct, GuestStruct};

pub const AF_UNSPEC: u16 = 0;
pub const AF_UNIX: u16 = 1;
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

pub const SOL_SOCKET: i32 = 1;
/// `cmsg_type` of a message carrying file descriptors.
pub const SCM_RIGHTS: i32 = 1;

/// A 16-bit field in network byte order (ports).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Be16(pub u16);

impl GuestStruct for Be16 {
    const SIZE: usize = 2;

    fn read(b: &[u8]) -> Self {
        Be16(u16::from_be_bytes([b[0], b[1]]))
    }

    fn write(&self, out: &mut [u8]) {
        out[..2].copy_from_slice(&self.0.to_be_bytes());
    }
}

/// A 32-bit field in network byte order (IPv6 flow labels).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Be32(pub u32);

impl GuestStruct for Be32 {
    const SIZE: usize = 4;

    fn read(b: &[u8]) -> Self {
        Be32(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn write(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.0.to_be_bytes());
    }
}

guest_struct! {
    /// `struct sockaddr_in`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SockaddrIn [16] {
        family: u16 = 0,
        port: Be16 = 2,
        addr: [u8; 4] = 4,
    }
}

guest_struct! {
    /// `struct sockaddr_in6`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SockaddrIn6 [28] {
        family: u16 = 0,
        port: Be16 = 2,
        flowinfo: Be32 = 4,
        addr: [u8; 16] = 8,
        scope_id: u32 = 24,
    }
}

/// Bytes of `sun_path`.
pub const UNIX_PATH_MAX: usize = 108;

guest_struct! {
    /// `struct sockaddr_un` at its full size; calls pass only the used prefix.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SockaddrUn [110] {
        family: u16 = 0,
        path: [u8; UNIX_PATH_MAX] = 2,
    }
}

/// A socket address as a call passes it: `len` bytes starting with the family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SockAddr {
    /// AF_UNIX: the bytes of `sun_path` that the length covers (empty for an unnamed
    /// socket; a leading NUL for the abstract namespace).
    Unix(Vec<u8>),
    Inet(SockaddrIn),
    Inet6(SockaddrIn6),
    /// Another family, with the bytes after it.
    Other {
        family: u16,
        data: Vec<u8>,
    },
}

impl SockAddr {
    /// The address in `b` (the length the caller gave); None if too short for its family.
    pub fn parse(b: &[u8]) -> Option<SockAddr> {
        if b.len() < 2 {
            return None;
        }
        Some(match get::<u16>(b, 0) {
            AF_UNIX => SockAddr::Unix(b[2..b.len().min(2 + UNIX_PATH_MAX)].to_vec()),
            AF_INET if b.len() >= SockaddrIn::SIZE => SockAddr::Inet(SockaddrIn::read(b)),
            AF_INET6 if b.len() >= SockaddrIn6::SIZE => SockAddr::Inet6(SockaddrIn6::read(b)),
            AF_INET | AF_INET6 => return None,
            family => SockAddr::Other { family, data: b[2..].to_vec() },
        })
    }

    pub fn family(&self) -> u16 {
        match self {
            SockAddr::Unix(_) => AF_UNIX,
            SockAddr::Inet(_) => AF_INET,
            SockAddr::Inet6(_) => AF_INET6,
            SockAddr::Other { family, .. } => *family,
        }
    }

    /// The bytes a call returns (its length is the address length).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            SockAddr::Unix(path) => {
                let mut b = AF_UNIX.to_bytes();
                b.extend_from_slice(&path[..path.len().min(UNIX_PATH_MAX)]);
                b
            }
            SockAddr::Inet(a) => SockaddrIn { family: AF_INET, ..*a }.to_bytes(),
            SockAddr::Inet6(a) => SockaddrIn6 { family: AF_INET6, ..*a }.to_bytes(),
            SockAddr::Other { family, data } => {
                let mut b = family.to_bytes();
                b.extend_from_slice(data);
                b
            }
        }
    }
}

guest_struct! {
    /// `struct msghdr` (sendmsg, recvmsg).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Msghdr [56] {
        name: u64 = 0,
        namelen: u32 = 8,
        iov: u64 = 16,
        iovlen: u64 = 24,
        control: u64 = 32,
        controllen: u64 = 40,
        flags: i32 = 48,
    }
}

guest_struct! {
    /// `struct cmsghdr`: the header of one control message; its data follows.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Cmsghdr [16] {
        len: u64 = 0,
        level: i32 = 8,
        cmsg_type: i32 = 12,
    }
}

impl Cmsghdr {
    /// CMSG_ALIGN: control messages are 8-byte aligned on x86-64.
    pub fn align(n: usize) -> usize {
        (n + 7) & !7
    }

    /// CMSG_LEN: `cmsg_len` of a message with `data` bytes.
    pub fn len_for(data: usize) -> usize {
        Self::SIZE + data
    }

    /// CMSG_SPACE: the bytes a message with `data` bytes occupies in the buffer.
    pub fn space_for(data: usize) -> usize {
        Self::SIZE + Self::align(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::expect;

    #[test]
    fn layouts_match_linux() {
        expect(SockaddrIn::FIELDS, SockaddrIn::SIZE, 16, &[("family", 0), ("port", 2), ("addr", 4)]);
        expect(
            SockaddrIn6::FIELDS,
            SockaddrIn6::SIZE,
            28,
            &[("port", 2), ("flowinfo", 4), ("addr", 8), ("scope_id", 24)],
        );
        expect(SockaddrUn::FIELDS, SockaddrUn::SIZE, 110, &[("family", 0), ("path", 2)]);
        expect(
            Msghdr::FIELDS,
            Msghdr::SIZE,
            56,
            &[
                ("namelen", 8),
                ("iov", 16),
                ("iovlen", 24),
                ("control", 32),
                ("controllen", 40),
                ("flags", 48),
            ],
        );
        expect(Cmsghdr::FIELDS, Cmsghdr::SIZE, 16, &[("len", 0), ("level", 8), ("cmsg_type", 12)]);
        assert_eq!(Cmsghdr::len_for(8), 24);
        assert_eq!(Cmsghdr::space_for(4), 24);
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn layouts_match_the_host_libc() {
        use crate::abi::layout::offset;
        use std::mem::{offset_of, size_of};
        assert_eq!(size_of::<libc::sockaddr_in>(), SockaddrIn::SIZE);
        assert_eq!(offset_of!(libc::sockaddr_in, sin_port), offset(SockaddrIn::FIELDS, "port"));
        assert_eq!(offset_of!(libc::sockaddr_in, sin_addr), offset(SockaddrIn::FIELDS, "addr"));
        assert_eq!(size_of::<libc::sockaddr_in6>(), SockaddrIn6::SIZE);
        let s6 = SockaddrIn6::FIELDS;
        assert_eq!(offset_of!(libc::sockaddr_in6, sin6_flowinfo), offset(s6, "flowinfo"));
        assert_eq!(offset_of!(libc::sockaddr_in6, sin6_addr), offset(s6, "addr"));
        assert_eq!(offset_of!(libc::sockaddr_in6, sin6_scope_id), offset(s6, "scope_id"));
        assert_eq!(size_of::<libc::sockaddr_un>(), SockaddrUn::SIZE);
        assert_eq!(offset_of!(libc::sockaddr_un, sun_path), offset(SockaddrUn::FIELDS, "path"));
        assert_eq!(size_of::<libc::msghdr>(), Msghdr::SIZE);
        let m = Msghdr::FIELDS;
        assert_eq!(offset_of!(libc::msghdr, msg_namelen), offset(m, "namelen"));
        assert_eq!(offset_of!(libc::msghdr, msg_iov), offset(m, "iov"));
        assert_eq!(offset_of!(libc::msghdr, msg_iovlen), offset(m, "iovlen"));
        assert_eq!(offset_of!(libc::msghdr, msg_control), offset(m, "control"));
        assert_eq!(offset_of!(libc::msghdr, msg_controllen), offset(m, "controllen"));
        assert_eq!(offset_of!(libc::msghdr, msg_flags), offset(m, "flags"));
        assert_eq!(size_of::<libc::cmsghdr>(), Cmsghdr::SIZE);
        assert_eq!(offset_of!(libc::cmsghdr, cmsg_level), offset(Cmsghdr::FIELDS, "level"));
        assert_eq!(offset_of!(libc::cmsghdr, cmsg_type), offset(Cmsghdr::FIELDS, "cmsg_type"));
    }

    #[test]
    fn addresses_parse_by_family() {
        let inet = [2u8, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let SockAddr::Inet(a) = SockAddr::parse(&inet).expect("inet") else { panic!("not inet") };
        assert_eq!((a.port, a.addr), (Be16(8080), [127, 0, 0, 1]));
        assert_eq!(SockAddr::Inet(a).to_bytes(), inet);
        assert_eq!(SockAddr::parse(&inet[..8]), None);
        assert_eq!(SockAddr::parse(&[1, 0]), Some(SockAddr::Unix(Vec::new())));
        assert_eq!(SockAddr::Unix(Vec::new()).to_bytes(), [1, 0]);
        let mut un = vec![1u8, 0];
        un.extend_from_slice(b"/tmp/s\0");
        assert_eq!(SockAddr::parse(&un), Some(SockAddr::Unix(b"/tmp/s\0".to_vec())));
        let mut six = vec![10u8, 0, 0, 9, 0, 0, 0, 1];
        six.extend_from_slice(&[0; 16]);
        six.extend_from_slice(&3u32.to_le_bytes());
        let SockAddr::Inet6(a) = SockAddr::parse(&six).expect("inet6") else { panic!("not inet6") };
        assert_eq!((a.port, a.flowinfo, a.scope_id), (Be16(9), Be32(1), 3));
        assert_eq!(SockAddr::parse(&[16, 0, 1, 2]), Some(SockAddr::Other { family: 16, data: vec![1, 2] }));
    }
}
