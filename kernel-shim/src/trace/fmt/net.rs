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
        _ => format!("{{{head}, sa_data={}}}", quote(&b[2..], false, false)),
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
    (0x10000, "MSG_WAITFORONE"),
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

/// shutdown's `how`.
pub(crate) fn shutdown_how(v: u64) -> String {
    super::nth(v, &["SHUT_RD", "SHUT_WR", "SHUT_RDWR"]).map_or_else(|| v.to_string(), String::from)
}

/// A socket option level (`SOL_SOCKET`, `SOL_TCP`...).
pub(crate) fn sock_level(v: u64) -> String {
    match v as i32 {
        0 => "SOL_IP".into(),
        1 => "SOL_SOCKET".into(),
        6 => "SOL_TCP".into(),
        17 => "SOL_UDP".into(),
        41 => "SOL_IPV6".into(),
        270 => "SOL_NETLINK".into(),
        l => l.to_string(),
    }
}

const SOL_SOCKET_NAMES: &[&str] = &[
    "0",
    "SO_DEBUG",
    "SO_REUSEADDR",
    "SO_TYPE",
    "SO_ERROR",
    "SO_DONTROUTE",
    "SO_BROADCAST",
    "SO_SNDBUF",
    "SO_RCVBUF",
    "SO_KEEPALIVE",
    "SO_OOBINLINE",
    "SO_NO_CHECK",
    "SO_PRIORITY",
    "SO_LINGER",
    "SO_BSDCOMPAT",
    "SO_REUSEPORT",
    "SO_PASSCRED",
    "SO_PEERCRED",
    "SO_RCVLOWAT",
    "SO_SNDLOWAT",
    "SO_RCVTIMEO_OLD",
    "SO_SNDTIMEO_OLD",
];

/// An option name at `level`.
pub(crate) fn sockopt_name(level: u64, v: u64) -> String {
    let name = match (level as i32, v as i32) {
        (1, 1..=21) => super::nth(v, SOL_SOCKET_NAMES),
        (1, 30) => Some("SO_ACCEPTCONN"),
        (1, 32) => Some("SO_SNDBUFFORCE"),
        (1, 33) => Some("SO_RCVBUFFORCE"),
        (1, 38) => Some("SO_PROTOCOL"),
        (1, 39) => Some("SO_DOMAIN"),
        (6, 1..=6) => super::nth(
            v - 1,
            &["TCP_NODELAY", "TCP_MAXSEG", "TCP_CORK", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT"],
        ),
        (6, 12) => Some("TCP_QUICKACK"),
        (6, 18) => Some("TCP_USER_TIMEOUT"),
        (0, 1) => Some("IP_TOS"),
        (0, 2) => Some("IP_TTL"),
        (0, 10) => Some("IP_MTU_DISCOVER"),
        (0, 13) => Some("IP_RECVTOS"),
        (0, 33) => Some("IP_MULTICAST_TTL"),
        (0, 34) => Some("IP_MULTICAST_LOOP"),
        (41, 16) => Some("IPV6_UNICAST_HOPS"),
        (41, 18) => Some("IPV6_MULTICAST_HOPS"),
        (41, 19) => Some("IPV6_MULTICAST_LOOP"),
        (41, 26) => Some("IPV6_V6ONLY"),
        (41, 66) => Some("IPV6_RECVTCLASS"),
        (41, 67) => Some("IPV6_TCLASS"),
        _ => None,
    };
    match (name, level) {
        (Some(n), _) => n.into(),
        (None, 1) => format!("{v:#x} /* SO_??? */"),
        (None, _) => v.to_string(),
    }
}

/// A socket option's value (`len` bytes): `[1]` for an int, the struct for SO_LINGER and
/// SO_PEERCRED, the bytes for SO_RCVTIMEO/SO_SNDTIMEO; None (the pointer is shown) for an
/// int option of another length, as strace does.
pub(crate) fn sockopt_val(level: u64, name: u64, b: &[u8]) -> Option<String> {
    Some(match (level as i32, name as i32, b.len()) {
        (1, 13, 8..) => format!("{{l_onoff={}, l_linger={}}}", get::<i32>(b, 0), get::<i32>(b, 4)),
        (1, 17, 12..) => {
            format!("{{pid={}, uid={}, gid={}}}", get::<i32>(b, 0), get::<u32>(b, 4), get::<u32>(b, 8))
        }
        (1, 20 | 21, _) => quote(b, false, false),
        (_, _, 4) => format!("[{}]", get::<i32>(b, 0)),
        _ => return None,
    })
}

/// The SOCK_NONBLOCK / SOCK_CLOEXEC flags of accept4.
pub(crate) fn sock_flags(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        flags(v, &[(0o2000000, "SOCK_CLOEXEC"), (0o4000, "SOCK_NONBLOCK")])
    }
}

/// The control messages of a msghdr (`msg_control=[{cmsg_len=20, ...}]`).
pub(crate) fn cmsgs(b: &[u8]) -> String {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 16 <= b.len() {
        let len = get::<u64>(b, off) as usize;
        let (level, ty) = (get::<i32>(b, off + 8), get::<i32>(b, off + 12));
        let data = &b[(off + 16).min(b.len())..(off + len.max(16)).min(b.len())];
        let (lname, tname, shown) = match (level, ty) {
            (1, 1) => {
                let fds: Vec<String> = data.chunks_exact(4).map(|c| get::<i32>(c, 0).to_string()).collect();
                ("SOL_SOCKET".into(), "SCM_RIGHTS".to_string(), format!("[{}]", fds.join(", ")))
            }
            (1, 2) if data.len() >= 12 => (
                "SOL_SOCKET".into(),
                "SCM_CREDENTIALS".into(),
                format!(
                    "{{pid={}, uid={}, gid={}}}",
                    get::<i32>(data, 0),
                    get::<u32>(data, 4),
                    get::<u32>(data, 8)
                ),
            ),
            _ => (sock_level(level as u64), ty.to_string(), super::quote(data, false, true)),
        };
        out.push(format!("{{cmsg_len={len}, cmsg_level={lname}, cmsg_type={tname}, cmsg_data={shown}}}"));
        if len < 16 {
            break;
        }
        off += (len + 7) & !7;
    }
    format!("[{}]", out.join(", "))
}

/// A `struct msghdr` from its parts, already shown.
pub(crate) fn msghdr(
    name: &str,
    namelen: u32,
    iov: &str,
    iovlen: u64,
    control: &str,
    controllen: u64,
    flags: i32,
) -> String {
    // strace leaves msg_control out when there is no room for control messages.
    let control = if controllen == 0 { String::new() } else { format!("msg_control={control}, ") };
    format!(
        "{{msg_name={name}, msg_namelen={namelen}, msg_iov={iov}, msg_iovlen={iovlen}, {control}\
         msg_controllen={controllen}, msg_flags={}}}",
        msg_flags(flags as u32 as u64)
    )
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
    fn options_and_messages() {
        // setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        assert_eq!((sock_level(1), sockopt_name(1, 2)), ("SOL_SOCKET".into(), "SO_REUSEADDR".into()));
        assert_eq!(sockopt_val(1, 2, &1i32.to_le_bytes()).as_deref(), Some("[1]"));
        assert_eq!((sock_level(6), sockopt_name(6, 1)), ("SOL_TCP".into(), "TCP_NODELAY".into()));
        assert_eq!(sockopt_name(41, 26), "IPV6_V6ONLY");
        assert_eq!(sockopt_val(1, 13, &[1, 0, 0, 0, 0, 0, 0, 0]).as_deref(), Some("{l_onoff=1, l_linger=0}"));
        // setsockopt(5, SOL_SOCKET, SO_RCVTIMEO_OLD, "\5\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) = 0
        let mut tv = [0u8; 16];
        tv[0] = 5;
        assert_eq!(sockopt_val(1, 20, &tv).as_deref(), Some(r#""\5\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0""#));
        assert_eq!(sockopt_val(1, 9, &[1, 0]), None);
        // setsockopt(4, SOL_SOCKET, 0x3039 /* SO_??? */, [1], 4)
        assert_eq!(sockopt_name(1, 12345), "0x3039 /* SO_??? */");
        assert_eq!((sock_flags(0o2004000), sock_flags(0)), ("SOCK_CLOEXEC|SOCK_NONBLOCK".into(), "0".into()));
        assert_eq!(shutdown_how(1), "SHUT_WR");
        // msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5]}]
        let mut c = vec![20u8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0];
        c.resize(24, 0);
        assert_eq!(cmsgs(&c), "[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5]}]");
    }

    #[test]
    fn address_lengths_in_and_out() {
        assert_eq!(sock_len(0x1000, Some(110), Some(2)), "[110 => 2]");
        assert_eq!(sock_len(0x1000, Some(16), Some(16)), "[16]");
        assert_eq!(sock_len(0x1000, Some(16), None), "[16]");
        assert_eq!(sock_len(0x1000, None, None), "0x1000");
    }
}
