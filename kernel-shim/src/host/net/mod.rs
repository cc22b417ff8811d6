//! Host sockets: creating them, names, connections, messages with their control data
//! (passed descriptors, credentials), and options. Everything crosses this interface in
//! Linux terms (the guest's `SockAddr`, `MSG_*` bits, option levels and names, `Ucred`);
//! what only Linux hosts have (netlink, credentials, abstract names) is in `net/linux.rs`,
//! and `net/macos.rs` answers what Linux answers without it.

use super::errno::linux;
use super::io::raw;
use super::{fd, HostResult};
use crate::abi::errno as E;
use crate::abi::net::{Be16, Be32, SockAddr, SockaddrIn, SockaddrIn6, AF_INET, AF_INET6, AF_UNIX};
use crate::abi::socket as S;
use crate::abi::socket::{Linger, Ucred};
use crate::abi::time::Timeval;
use rustix::net::sockopt as so;
use rustix::net::{
    AddressFamily, Protocol, RecvAncillaryBuffer, RecvAncillaryMessage, SendAncillaryBuffer,
    SendAncillaryMessage, Shutdown, SocketAddrAny, SocketAddrUnix, SocketAddrV4, SocketAddrV6, SocketType,
};
use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as os;
#[cfg(not(target_os = "linux"))]
mod macos;
#[cfg(not(target_os = "linux"))]
use macos as os;

/// The host's socket type for a Linux one (without the flag bits).
fn sock_type(ty: i32) -> HostResult<SocketType> {
    Ok(match ty {
        S::SOCK_STREAM => SocketType::STREAM,
        S::SOCK_DGRAM => SocketType::DGRAM,
        S::SOCK_RAW => SocketType::RAW,
        S::SOCK_SEQPACKET => SocketType::SEQPACKET,
        _ => return Err(E::EINVAL),
    })
}

/// A close-on-exec host socket of Linux `domain`, `ty` (SOCK_STREAM...) and `protocol`.
pub fn socket(domain: u16, ty: i32, protocol: i32) -> HostResult<i32> {
    let family = match domain {
        AF_UNIX => AddressFamily::UNIX,
        AF_INET => AddressFamily::INET,
        AF_INET6 => AddressFamily::INET6,
        S::AF_NETLINK => return os::netlink_socket(sock_type(ty)?, protocol).map(raw).map_err(linux),
        _ => return Err(E::EAFNOSUPPORT),
    };
    // IPPROTO_* numbers are the same on every host (they are IANA's).
    let proto = match u32::try_from(protocol).map_err(|_| E::EINVAL)? {
        0 => None,
        n => Some(Protocol::from_raw(rustix::net::RawProtocol::new(n).ok_or(E::EINVAL)?)),
    };
    os::socket_cloexec(family, sock_type(ty)?, proto).map(raw).map_err(linux)
}

/// The host's form of a guest address (an AF_UNIX path already resolved to a host path).
fn to_host(a: &SockAddr) -> HostResult<SocketAddrAny> {
    Ok(match a {
        SockAddr::Inet(a) => SocketAddrV4::new(Ipv4Addr::from(a.addr), a.port.0).into(),
        // sin6_flowinfo is kept in network byte order, as the C field is.
        SockAddr::Inet6(a) => {
            SocketAddrV6::new(Ipv6Addr::from(a.addr), a.port.0, a.flowinfo.0.to_be(), a.scope_id).into()
        }
        SockAddr::Unix(path) => match path.first() {
            None => os::unnamed_addr()?.into(),
            Some(0) => os::abstract_addr(&path[1..]).map_err(linux)?.into(),
            Some(_) => {
                let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                SocketAddrUnix::new(&path[..end]).map_err(linux)?.into()
            }
        },
        SockAddr::Other { family: S::AF_NETLINK, data } => os::netlink_addr(data)?,
        SockAddr::Other { .. } => return Err(E::EAFNOSUPPORT),
    })
}

/// A host address as the guest sees it (AF_UNIX paths as the host names them).
fn from_host(a: SocketAddrAny) -> SockAddr {
    match a.address_family() {
        AddressFamily::INET => match SocketAddrV4::try_from(a) {
            Ok(v) => {
                SockAddr::Inet(SockaddrIn { family: AF_INET, port: Be16(v.port()), addr: v.ip().octets() })
            }
            Err(_) => SockAddr::Other { family: AF_INET, data: Vec::new() },
        },
        AddressFamily::INET6 => match SocketAddrV6::try_from(a) {
            Ok(v) => SockAddr::Inet6(SockaddrIn6 {
                family: AF_INET6,
                port: Be16(v.port()),
                flowinfo: Be32(u32::from_be(v.flowinfo())),
                addr: v.ip().octets(),
                scope_id: v.scope_id(),
            }),
            Err(_) => SockAddr::Other { family: AF_INET6, data: Vec::new() },
        },
        AddressFamily::UNIX => match SocketAddrUnix::try_from(a) {
            // Linux counts the path's NUL in the length.
            Ok(u) => match (u.path_bytes(), os::abstract_name(&u)) {
                (Some(p), _) => SockAddr::Unix([p, &[0]].concat()),
                // An empty abstract name is how the host shows an unnamed socket.
                (None, Some(n)) if !n.is_empty() => SockAddr::Unix([&[0][..], n].concat()),
                _ => SockAddr::Unix(Vec::new()),
            },
            Err(_) => SockAddr::Unix(Vec::new()),
        },
        _ => os::netlink_from_host(&a).unwrap_or(SockAddr::Other { family: S::AF_NETLINK, data: Vec::new() }),
    }
}

pub fn bind(h: i32, a: &SockAddr) -> HostResult<()> {
    rustix::net::bind(fd(h)?, &to_host(a)?).map_err(linux)
}

/// connect(2); an AF_UNSPEC address dissolves a datagram socket's association.
pub fn connect(h: i32, a: &SockAddr) -> HostResult<()> {
    if a.family() == crate::abi::net::AF_UNSPEC {
        return rustix::net::connect_unspec(fd(h)?).map_err(linux);
    }
    rustix::net::connect(fd(h)?, &to_host(a)?).map_err(linux)
}

pub fn listen(h: i32, backlog: i32) -> HostResult<()> {
    rustix::net::listen(fd(h)?, backlog).map_err(linux)
}

/// accept(2): the new close-on-exec socket and its peer's address, if it has one.
pub fn accept(h: i32) -> HostResult<(i32, Option<SockAddr>)> {
    let (s, a) = os::accept_cloexec(fd(h)?).map_err(linux)?;
    Ok((raw(s), a.map(from_host)))
}

pub fn shutdown(h: i32, how: i32) -> HostResult<()> {
    let how = match how {
        S::SHUT_RD => Shutdown::Read,
        1 => Shutdown::Write,
        S::SHUT_RDWR => Shutdown::Both,
        _ => return Err(E::EINVAL),
    };
    rustix::net::shutdown(fd(h)?, how).map_err(linux)
}

pub fn local_addr(h: i32) -> HostResult<SockAddr> {
    rustix::net::getsockname(fd(h)?).map(from_host).map_err(linux)
}

/// The peer's address; ENOTCONN when there is none.
pub fn peer_addr(h: i32) -> HostResult<SockAddr> {
    match rustix::net::getpeername(fd(h)?).map_err(linux)? {
        Some(a) => Ok(from_host(a)),
        None => Ok(SockAddr::Unix(Vec::new())),
    }
}

/// Linux `MSG_*` send flags as the host's; the host never raises SIGPIPE (emu does).
fn send_flags(f: u32) -> rustix::net::SendFlags {
    use rustix::net::SendFlags as F;
    let mut out = os::NOSIGNAL;
    for (l, h) in [
        (S::MSG_OOB, F::OOB),
        (S::MSG_DONTROUTE, F::DONTROUTE),
        (S::MSG_DONTWAIT, F::DONTWAIT),
        (S::MSG_EOR, F::EOR),
    ] {
        if f & l != 0 {
            out |= h;
        }
    }
    out | os::send_flags_more(f)
}

fn recv_flags(f: u32) -> rustix::net::RecvFlags {
    use rustix::net::RecvFlags as F;
    let mut out = os::CMSG_CLOEXEC;
    for (l, h) in [
        (S::MSG_OOB, F::OOB),
        (S::MSG_PEEK, F::PEEK),
        (S::MSG_DONTWAIT, F::DONTWAIT),
        (S::MSG_WAITALL, F::WAITALL),
        (S::MSG_TRUNC, os::RECV_TRUNC),
    ] {
        if f & l != 0 {
            out |= h;
        }
    }
    out
}

/// What a message carries besides its bytes.
#[derive(Default, Debug)]
pub struct Ancillary {
    /// Host fds to pass (SCM_RIGHTS); on receipt, close-on-exec fds the caller now owns.
    pub fds: Vec<i32>,
    pub creds: Option<Ucred>,
}

/// sendmsg(2) of `data` with `anc`, to `to` if given; `flags` are Linux's.
pub fn send(h: i32, data: &[u8], to: Option<&SockAddr>, anc: &Ancillary, flags: u32) -> HostResult<usize> {
    let borrowed = anc.fds.iter().map(|&f| fd(f)).collect::<HostResult<Vec<_>>>()?;
    let mut space = vec![MaybeUninit::uninit(); 64 + 8 * anc.fds.len()];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !borrowed.is_empty() && !control.push(SendAncillaryMessage::ScmRights(&borrowed)) {
        return Err(E::ENOBUFS);
    }
    if let Some(c) = anc.creds {
        os::push_creds(&mut control, c)?;
    }
    let iov = [IoSlice::new(data)];
    let f = send_flags(flags);
    match to {
        Some(a) => rustix::net::sendmsg_addr(fd(h)?, &to_host(a)?, &iov, &mut control, f),
        None => rustix::net::sendmsg(fd(h)?, &iov, &mut control, f),
    }
    .map_err(linux)
}

/// What recvmsg(2) got.
#[derive(Debug)]
pub struct Received {
    /// The message's length (more than the buffer with MSG_TRUNC on a datagram).
    pub len: usize,
    /// Linux MSG_TRUNC / MSG_CTRUNC / MSG_EOR / MSG_OOB bits.
    pub flags: u32,
    pub from: Option<SockAddr>,
    pub anc: Ancillary,
}

/// recvmsg(2) into `buf`, with room for `control` bytes of control messages.
pub fn recv(h: i32, buf: &mut [u8], flags: u32, control: usize) -> HostResult<Received> {
    let mut space = vec![MaybeUninit::uninit(); if control > 0 { control + 64 } else { 0 }];
    let mut cbuf = RecvAncillaryBuffer::new(&mut space);
    let mut iov = [IoSliceMut::new(buf)];
    let r = rustix::net::recvmsg(fd(h)?, &mut iov, &mut cbuf, recv_flags(flags)).map_err(linux)?;
    let mut anc = Ancillary::default();
    for m in cbuf.drain() {
        match m {
            RecvAncillaryMessage::ScmRights(fds) => anc.fds.extend(fds.map(raw)),
            #[allow(unreachable_patterns)]
            other => anc.creds = anc.creds.or(os::creds_of(&other)),
        }
    }
    os::set_cloexec(&anc.fds);
    let rf = r.flags;
    use rustix::net::ReturnFlags as F;
    let mut out = 0;
    for (h, l) in
        [(F::TRUNC, S::MSG_TRUNC), (F::CTRUNC, S::MSG_CTRUNC), (F::EOR, S::MSG_EOR), (F::OOB, S::MSG_OOB)]
    {
        if rf.contains(h) {
            out |= l;
        }
    }
    Ok(Received { len: r.bytes, flags: out, from: r.address.map(from_host), anc })
}

/// A socket option's value, typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptVal {
    Int(i32),
    Linger(Linger),
    Time(Timeval),
    Cred(Ucred),
}

impl OptVal {
    fn int(self) -> HostResult<i32> {
        match self {
            OptVal::Int(v) => Ok(v),
            _ => Err(E::EINVAL),
        }
    }

    fn time(self) -> HostResult<Option<Duration>> {
        match self {
            OptVal::Time(t) if t.sec < 0 || !(0..1_000_000).contains(&t.usec) => Err(E::EDOM),
            OptVal::Time(Timeval { sec: 0, usec: 0 }) => Ok(None),
            OptVal::Time(t) => Ok(Some(Duration::new(t.sec as u64, t.usec as u32 * 1000))),
            _ => Err(E::EINVAL),
        }
    }
}

fn time_val(d: Option<Duration>) -> OptVal {
    let d = d.unwrap_or_default();
    OptVal::Time(Timeval { sec: d.as_secs() as i64, usec: d.subsec_micros() as i64 })
}

fn b(v: bool) -> OptVal {
    OptVal::Int(v as i32)
}

/// The host's SOCK_* type as Linux's number.
fn type_number(t: SocketType) -> i32 {
    [SocketType::STREAM, SocketType::DGRAM, SocketType::RAW, SocketType::SEQPACKET]
        .iter()
        .zip([S::SOCK_STREAM, S::SOCK_DGRAM, S::SOCK_RAW, S::SOCK_SEQPACKET])
        .find(|(h, _)| **h == t)
        .map_or(0, |(_, l)| l)
}

/// getsockopt(2) of Linux option `name` at `level`; ENOPROTOOPT for options emu does not
/// know.
pub fn getsockopt(h: i32, level: i32, name: i32) -> HostResult<OptVal> {
    let s = fd(h)?;
    let r = match (level, name) {
        (S::SOL_SOCKET, S::SO_REUSEADDR) => so::socket_reuseaddr(s).map(b),
        (S::SOL_SOCKET, S::SO_REUSEPORT) => so::socket_reuseport(s).map(b),
        (S::SOL_SOCKET, S::SO_KEEPALIVE) => so::socket_keepalive(s).map(b),
        (S::SOL_SOCKET, S::SO_BROADCAST) => so::socket_broadcast(s).map(b),
        (S::SOL_SOCKET, S::SO_OOBINLINE) => so::socket_oobinline(s).map(b),
        (S::SOL_SOCKET, S::SO_TYPE) => so::socket_type(s).map(|t| OptVal::Int(type_number(t))),
        (S::SOL_SOCKET, S::SO_ERROR) => so::socket_error(s).map(|r| OptVal::Int(r.err().map_or(0, linux))),
        (S::SOL_SOCKET, S::SO_SNDBUF) => so::socket_send_buffer_size(s).map(|v| OptVal::Int(v as i32)),
        (S::SOL_SOCKET, S::SO_RCVBUF) => so::socket_recv_buffer_size(s).map(|v| OptVal::Int(v as i32)),
        (S::SOL_SOCKET, S::SO_LINGER) => so::socket_linger(s).map(|l| {
            OptVal::Linger(Linger { onoff: l.is_some() as i32, linger: l.map_or(0, |d| d.as_secs() as i32) })
        }),
        (S::SOL_SOCKET, S::SO_RCVTIMEO) => so::socket_timeout(s, so::Timeout::Recv).map(time_val),
        (S::SOL_SOCKET, S::SO_SNDTIMEO) => so::socket_timeout(s, so::Timeout::Send).map(time_val),
        (S::SOL_TCP, S::TCP_NODELAY) => so::tcp_nodelay(s).map(b),
        (S::SOL_TCP, S::TCP_KEEPIDLE) => so::tcp_keepidle(s).map(|d| OptVal::Int(d.as_secs() as i32)),
        (S::SOL_TCP, S::TCP_KEEPINTVL) => so::tcp_keepintvl(s).map(|d| OptVal::Int(d.as_secs() as i32)),
        (S::SOL_TCP, S::TCP_KEEPCNT) => so::tcp_keepcnt(s).map(|v| OptVal::Int(v as i32)),
        (S::SOL_IP, S::IP_TTL) => so::ip_ttl(s).map(|v| OptVal::Int(v as i32)),
        (S::SOL_IP, S::IP_MULTICAST_TTL) => so::ip_multicast_ttl(s).map(|v| OptVal::Int(v as i32)),
        (S::SOL_IP, S::IP_MULTICAST_LOOP) => so::ip_multicast_loop(s).map(b),
        (S::SOL_IPV6, S::IPV6_V6ONLY) => so::ipv6_v6only(s).map(b),
        (S::SOL_IPV6, S::IPV6_UNICAST_HOPS) => so::ipv6_unicast_hops(s).map(|v| OptVal::Int(v as i32)),
        (S::SOL_IPV6, S::IPV6_MULTICAST_HOPS) => so::ipv6_multicast_hops(s).map(|v| OptVal::Int(v as i32)),
        (S::SOL_IPV6, S::IPV6_MULTICAST_LOOP) => so::ipv6_multicast_loop(s).map(b),
        _ => return os::getsockopt(s, level, name),
    };
    r.map_err(linux)
}

/// setsockopt(2) of Linux option `name` at `level`.
pub fn setsockopt(h: i32, level: i32, name: i32, v: OptVal) -> HostResult<()> {
    let s = fd(h)?;
    let r = match (level, name) {
        (S::SOL_SOCKET, S::SO_REUSEADDR) => so::set_socket_reuseaddr(s, v.int()? != 0),
        (S::SOL_SOCKET, S::SO_REUSEPORT) => so::set_socket_reuseport(s, v.int()? != 0),
        (S::SOL_SOCKET, S::SO_KEEPALIVE) => so::set_socket_keepalive(s, v.int()? != 0),
        (S::SOL_SOCKET, S::SO_BROADCAST) => so::set_socket_broadcast(s, v.int()? != 0),
        (S::SOL_SOCKET, S::SO_OOBINLINE) => so::set_socket_oobinline(s, v.int()? != 0),
        (S::SOL_SOCKET, S::SO_SNDBUF) => so::set_socket_send_buffer_size(s, v.int()?.max(0) as usize),
        (S::SOL_SOCKET, S::SO_RCVBUF) => so::set_socket_recv_buffer_size(s, v.int()?.max(0) as usize),
        (S::SOL_SOCKET, S::SO_LINGER) => match v {
            OptVal::Linger(l) => {
                so::set_socket_linger(s, (l.onoff != 0).then(|| Duration::from_secs(l.linger.max(0) as u64)))
            }
            _ => return Err(E::EINVAL),
        },
        (S::SOL_SOCKET, S::SO_RCVTIMEO) => so::set_socket_timeout(s, so::Timeout::Recv, v.time()?),
        (S::SOL_SOCKET, S::SO_SNDTIMEO) => so::set_socket_timeout(s, so::Timeout::Send, v.time()?),
        (S::SOL_TCP, S::TCP_NODELAY) => so::set_tcp_nodelay(s, v.int()? != 0),
        (S::SOL_TCP, S::TCP_KEEPIDLE) => so::set_tcp_keepidle(s, Duration::from_secs(pos(v)?)),
        (S::SOL_TCP, S::TCP_KEEPINTVL) => so::set_tcp_keepintvl(s, Duration::from_secs(pos(v)?)),
        (S::SOL_TCP, S::TCP_KEEPCNT) => so::set_tcp_keepcnt(s, pos(v)? as u32),
        (S::SOL_IP, S::IP_TTL) => so::set_ip_ttl(s, pos(v)? as u32),
        (S::SOL_IP, S::IP_MULTICAST_TTL) => so::set_ip_multicast_ttl(s, pos(v)? as u32),
        (S::SOL_IP, S::IP_MULTICAST_LOOP) => so::set_ip_multicast_loop(s, v.int()? != 0),
        (S::SOL_IPV6, S::IPV6_V6ONLY) => so::set_ipv6_v6only(s, v.int()? != 0),
        (S::SOL_IPV6, S::IPV6_UNICAST_HOPS) => {
            let n = v.int()?;
            so::set_ipv6_unicast_hops(s, (n >= 0).then_some(n.min(255) as u8))
        }
        (S::SOL_IPV6, S::IPV6_MULTICAST_HOPS) => so::set_ipv6_multicast_hops(s, pos(v)? as u32),
        (S::SOL_IPV6, S::IPV6_MULTICAST_LOOP) => so::set_ipv6_multicast_loop(s, v.int()? != 0),
        _ => return os::setsockopt(s, level, name, v),
    };
    r.map_err(linux)
}

/// A non-negative integer option value (EINVAL otherwise, as Linux says).
fn pos(v: OptVal) -> HostResult<u64> {
    u64::try_from(v.int()?).map_err(|_| E::EINVAL)
}

/// The index of the network interface named `name` (SIOCGIFINDEX).
pub fn interface_index(h: i32, name: &[u8]) -> HostResult<u32> {
    let name = std::str::from_utf8(name).map_err(|_| E::ENODEV)?;
    os::interface_index(fd(h)?, name).map_err(linux)
}

/// The name of network interface `index` (SIOCGIFNAME).
pub fn interface_name(h: i32, index: u32) -> HostResult<Vec<u8>> {
    os::interface_name(fd(h)?, index).map_err(linux)
}
