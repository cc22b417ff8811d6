//! Sockets: address families, socket types and protocols, socket addresses (AF_UNIX,
//! AF_INET, AF_INET6), address lengths and send/recv flags.

use super::{flags, quote};
use crate::abi::get;
use std::net::{Ipv4Addr, Ipv6Addr};

fn u16_be(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// The most bytes of a socket address shown (a `struct sockaddr_storage`).
pub(crate) const SOCKADDR_MAX: usize = 128;

/// Address family names (`socket`'s first argument, `sa_family`).
pub(crate) fn family(f: u64) -> String {
    match f {
        0 => "AF_UNSPEC".into(),
        1 => "AF_UNIX".into(),
        2 => "AF_INET".into(),
        10 => "AF_INET6".into(),
        16 => "AF_NETLINK".into(),
        17 => "AF_PACKET".into(),
        f => f.to_string(),
    }
}

/// `socket`'s type argument: `SOCK_STREAM|SOCK_CLOEXEC`.
pub(crate) fn sock_type(t: u64) -> String {
    let base = match t & 0xf {
        1 => "SOCK_STREAM".to_string(),
        2 => "SOCK_DGRAM".into(),
        3 => "SOCK_RAW".into(),
        4 => "SOCK_RDM".into(),
        5 => "SOCK_SEQPACKET".into(),
        10 => "SOCK_PACKET".into(),
        n => n.to_string(),
    };
    let mut out = vec![base];
    if t & 0o2000000 != 0 {
        out.push("SOCK_CLOEXEC".into());
    }
    if t & 0o4000 != 0 {
        out.push("SOCK_NONBLOCK".into());
    }
    let rest = t & !0xf & !0o2000000 & !0o4000;
    if rest != 0 {
        out.push(format!("{rest:#x}"));
    }
    out.join("|")
}

/// `socket`'s protocol argument, named for the IP families as strace names it.
pub(crate) fn protocol(domain: u64, p: u64) -> String {
    match (domain, p) {
        (2 | 10, 0) => "IPPROTO_IP".into(),
        (2 | 10, 1) => "IPPROTO_ICMP".into(),
        (2 | 10, 6) => "IPPROTO_TCP".into(),
        (2 | 10, 17) => "IPPROTO_UDP".into(),
        (2 | 10, 58) => "IPPROTO_ICMPV6".into(),
        _ => p.to_string(),
    }
}

/// A socket address of `b.len()` bytes (the length the call gave or got).
pub(crate) fn sockaddr(b: &[u8]) -> String {
    if b.len() < 2 {
        return "{}".into();
    }
    let fam = u16::from_le_bytes([b[0], b[1]]) as u64;
    let head = format!("sa_family={}", family(fam));
    match fam {
        1 if b.len() == 2 => format!("{{{head}}}"),
        1 => {
            let path = &b[2..];
            let (abstract_, path) = match path.first() {
                Some(0) => ("@", &path[1..]),
                _ => ("", path),
            };
            let end = if abstract_.is_empty() {
                path.iter().position(|&c| c == 0).unwrap_or(path.len())
            } else {
                path.len()
            };
            format!("{{{head}, sun_path={abstract_}{}}}", quote(&path[..end], false, false))
        }
        2 if b.len() >= 8 => format!(
            "{{{head}, sin_port=htons({}), sin_addr=inet_addr(\"{}\")}}",
            u16_be(b, 2),
            Ipv4Addr::new(b[4], b[5], b[6], b[7])
        ),
        10 if b.len() >= 24 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[8..24]);
            let scope = if b.len() >= 28 { get::<u32>(b, 24) } else { 0 };
            format!(
                "{{{head}, sin6_port=htons({}), sin6_flowinfo=htonl({}), inet_pton(AF_INET6, \"{}\", &sin6_addr), sin6_scope_id={scope}}}",
                u16_be(b, 2),
                u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
                Ipv6Addr::from(a)
            )
        }
        _ => {
            let data: String = b[2..].iter().map(|x| format!("\\x{x:02x}")).collect();
            format!("{{{head}, sa_data=\"{data}\"}}")
        }
    }
}

/// `send`/`recv` flags.
const MSG_FLAGS: &[(u64, &str)] = &[
    (0x1, "MSG_OOB"),
    (0x2, "MSG_PEEK"),
    (0x4, "MSG_DONTROUTE"),
    (0x8, "MSG_CTRUNC"),
    (0x20, "MSG_TRUNC"),
    (0x40, "MSG_DONTWAIT"),
    (0x80, "MSG_EOR"),
    (0x100, "MSG_WAITALL"),
    (0x4000, "MSG_NOSIGNAL"),
    (0x8000, "MSG_MORE"),
    (0x40000000, "MSG_CMSG_CLOEXEC"),
];

/// send/recv flags; `0` for none.
pub(crate) fn msg_flags(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        flags(v, MSG_FLAGS)
    }
}

/// A socket address length the call may update: `[in => out]` when it changed, `[in]`
/// when not (or when the call failed), the pointer when the length was unreadable.
pub(crate) fn sock_len(addr: u64, len_in: Option<u32>, out: Option<u32>) -> String {
    match (len_in, out) {
        (Some(a), Some(b)) if a != b => format!("[{a} => {b}]"),
        (Some(a), _) => format!("[{a}]"),
        (None, _) => super::ptr(addr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(path: &[u8]) -> Vec<u8> {
        [&[1u8, 0][..], path].concat()
    }

    #[test]
    fn socket_arguments() {
        assert_eq!(family(1), "AF_UNIX");
        assert_eq!(sock_type(1), "SOCK_STREAM");
        assert_eq!(sock_type(1 | 0o4000), "SOCK_STREAM|SOCK_NONBLOCK");
        assert_eq!(sock_type(2 | 0o2000000), "SOCK_DGRAM|SOCK_CLOEXEC");
        assert_eq!(sock_type(5 | 0o2000000), "SOCK_SEQPACKET|SOCK_CLOEXEC");
        assert_eq!(protocol(2, 6), "IPPROTO_TCP");
        assert_eq!(protocol(10, 0), "IPPROTO_IP");
        assert_eq!(protocol(1, 0), "0");
        assert_eq!(msg_flags(0), "0");
        assert_eq!(msg_flags(0x4040), "MSG_DONTWAIT|MSG_NOSIGNAL");
    }

    #[test]
    fn socket_addresses() {
        assert_eq!(
            sockaddr(&unix(b"/tmp/instr/sock\0")),
            r#"{sa_family=AF_UNIX, sun_path="/tmp/instr/sock"}"#
        );
        let mut full = unix(b"/tmp/fc-sock");
        full.resize(110, 0);
        assert_eq!(sockaddr(&full), r#"{sa_family=AF_UNIX, sun_path="/tmp/fc-sock"}"#);
        assert_eq!(sockaddr(&unix(b"\0abstract")), r#"{sa_family=AF_UNIX, sun_path=@"abstract"}"#);
        assert_eq!(sockaddr(&[1, 0]), "{sa_family=AF_UNIX}");
        let inet = [2u8, 0, 0, 9, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            sockaddr(&inet),
            r#"{sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}"#
        );
        let six = [&[10u8, 0, 0, 80, 0, 0, 0, 0][..], &Ipv6Addr::LOCALHOST.octets(), &[0; 4]].concat();
        assert_eq!(
            sockaddr(&six),
            r#"{sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}"#
        );
    }

    #[test]
    fn address_lengths_in_and_out() {
        assert_eq!(sock_len(0x1000, Some(110), Some(2)), "[110 => 2]");
        assert_eq!(sock_len(0x1000, Some(16), Some(16)), "[16]");
        assert_eq!(sock_len(0x1000, Some(16), None), "[16]");
        assert_eq!(sock_len(0x1000, None, None), "0x1000");
    }
}
