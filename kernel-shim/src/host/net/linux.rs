//! Sockets on a Linux host: the host has everything the guest asks for (netlink,
//! abstract names, credentials, SOCK_CLOEXEC), with the guest's numbering.

use super::OptVal;
use crate::abi::errno as E;
use crate::abi::net::SockAddr;
use crate::abi::socket::{self as S, SockaddrNl, Ucred};
use crate::abi::GuestStruct;
use crate::host::errno::linux;
use crate::host::{ffi, HostResult};
use rustix::fd::AsRawFd;
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::net::netlink::SocketAddrNetlink;
use rustix::net::sockopt as so;
use rustix::net::{
    AddressFamily, Protocol, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer, SendAncillaryMessage,
    SendFlags, SocketAddrAny, SocketAddrUnix, SocketFlags, SocketType, UCred,
};

pub const NOSIGNAL: SendFlags = SendFlags::NOSIGNAL;
pub const CMSG_CLOEXEC: RecvFlags = RecvFlags::CMSG_CLOEXEC;
/// MSG_TRUNC on receipt: the real length of a longer datagram.
pub const RECV_TRUNC: RecvFlags = RecvFlags::TRUNC;

/// An unnamed address (bind: autobind to an abstract name).
pub fn unnamed_addr() -> HostResult<SocketAddrUnix> {
    Ok(SocketAddrUnix::new_unnamed())
}

pub fn send_flags_more(f: u32) -> SendFlags {
    let mut out = SendFlags::empty();
    if f & S::MSG_MORE != 0 {
        out |= SendFlags::MORE;
    }
    if f & S::MSG_CONFIRM != 0 {
        out |= SendFlags::CONFIRM;
    }
    out
}

pub fn socket_cloexec(
    family: AddressFamily,
    ty: SocketType,
    proto: Option<Protocol>,
) -> rustix::io::Result<OwnedFd> {
    rustix::net::socket_with(family, ty, SocketFlags::CLOEXEC, proto)
}

/// A NETLINK_ROUTE socket (the only netlink protocol emu passes to the host: its messages
/// are the same bytes on every Linux).
pub fn netlink_socket(ty: SocketType, protocol: i32) -> rustix::io::Result<OwnedFd> {
    if protocol != S::NETLINK_ROUTE {
        return Err(rustix::io::Errno::PROTONOSUPPORT);
    }
    // NETLINK_ROUTE is protocol 0, which rustix spells as no protocol.
    rustix::net::socket_with(AddressFamily::NETLINK, ty, SocketFlags::CLOEXEC, None)
}

pub fn abstract_addr(name: &[u8]) -> rustix::io::Result<SocketAddrUnix> {
    SocketAddrUnix::new_abstract_name(name)
}

pub fn abstract_name(u: &SocketAddrUnix) -> Option<&[u8]> {
    u.abstract_name()
}

/// A `sockaddr_nl` from the bytes after its family.
pub fn netlink_addr(data: &[u8]) -> HostResult<SocketAddrAny> {
    if data.len() + 2 < SockaddrNl::SIZE {
        return Err(E::EINVAL);
    }
    let nl = SockaddrNl::read(&[&[0u8, 0][..], data].concat());
    Ok(SocketAddrNetlink::new(nl.pid, nl.groups).into())
}

pub fn netlink_from_host(a: &SocketAddrAny) -> Option<SockAddr> {
    let nl = SocketAddrNetlink::try_from(a.clone()).ok()?;
    let b = SockaddrNl { family: S::AF_NETLINK, pid: nl.pid(), groups: nl.groups() }.to_bytes();
    Some(SockAddr::Other { family: S::AF_NETLINK, data: b[2..].to_vec() })
}

pub fn accept_cloexec(s: BorrowedFd<'_>) -> rustix::io::Result<(OwnedFd, Option<SocketAddrAny>)> {
    rustix::net::acceptfrom_with(s, SocketFlags::CLOEXEC)
}

fn ucred(c: Ucred) -> HostResult<UCred> {
    Ok(UCred {
        pid: rustix::process::Pid::from_raw(c.pid).ok_or(E::EINVAL)?,
        uid: rustix::process::Uid::from_raw(c.uid),
        gid: rustix::process::Gid::from_raw(c.gid),
    })
}

fn guest_cred(c: UCred) -> Ucred {
    Ucred { pid: c.pid.as_raw_nonzero().get(), uid: c.uid.as_raw(), gid: c.gid.as_raw() }
}

pub fn push_creds(b: &mut SendAncillaryBuffer<'_, '_, '_>, c: Ucred) -> HostResult<()> {
    if !b.push(SendAncillaryMessage::ScmCredentials(ucred(c)?)) {
        return Err(E::ENOBUFS);
    }
    Ok(())
}

pub fn creds_of(m: &RecvAncillaryMessage<'_>) -> Option<Ucred> {
    match m {
        RecvAncillaryMessage::ScmCredentials(c) => Some(guest_cred(*c)),
        _ => None,
    }
}

/// Received fds are close-on-exec already (MSG_CMSG_CLOEXEC).
pub fn set_cloexec(_: &[i32]) {}

fn b(v: bool) -> OptVal {
    OptVal::Int(v as i32)
}

/// The options only Linux has.
pub fn getsockopt(s: BorrowedFd<'_>, level: i32, name: i32) -> HostResult<OptVal> {
    match (level, name) {
        (S::SOL_SOCKET, S::SO_PASSCRED) => so::socket_passcred(s).map(b),
        (S::SOL_SOCKET, S::SO_ACCEPTCONN) => so::socket_acceptconn(s).map(b),
        (S::SOL_SOCKET, S::SO_PEERCRED) => so::socket_peercred(s).map(|c| OptVal::Cred(guest_cred(c))),
        (S::SOL_TCP, S::TCP_CORK) => so::tcp_cork(s).map(b),
        (S::SOL_TCP, S::TCP_QUICKACK) => so::tcp_quickack(s).map(b),
        (S::SOL_TCP, S::TCP_USER_TIMEOUT) => so::tcp_user_timeout(s).map(|v| OptVal::Int(v as i32)),
        (S::SOL_IP, S::IP_TOS) => so::ip_tos(s).map(|v| OptVal::Int(v as i32)),
        (S::SOL_IP, S::IP_RECVTOS) => so::ip_recvtos(s).map(b),
        (S::SOL_IPV6, S::IPV6_TCLASS) => so::ipv6_tclass(s).map(|v| OptVal::Int(v as i32)),
        (S::SOL_IPV6, S::IPV6_RECVTCLASS) => so::ipv6_recvtclass(s).map(b),
        // The others by number: the host numbers them as the guest does.
        _ => return ffi::getsockopt_int(s.as_raw_fd(), level, name).map(OptVal::Int),
    }
    .map_err(linux)
}

pub fn setsockopt(s: BorrowedFd<'_>, level: i32, name: i32, v: OptVal) -> HostResult<()> {
    let OptVal::Int(n) = v else { return Err(E::EINVAL) };
    match (level, name) {
        (S::SOL_SOCKET, S::SO_PASSCRED) => so::set_socket_passcred(s, n != 0),
        (S::SOL_SOCKET, S::SO_SNDBUFFORCE) => so::set_socket_send_buffer_size_force(s, n.max(0) as usize),
        (S::SOL_SOCKET, S::SO_RCVBUFFORCE) => so::set_socket_recv_buffer_size_force(s, n.max(0) as usize),
        (S::SOL_TCP, S::TCP_CORK) => so::set_tcp_cork(s, n != 0),
        (S::SOL_TCP, S::TCP_QUICKACK) => so::set_tcp_quickack(s, n != 0),
        (S::SOL_TCP, S::TCP_USER_TIMEOUT) => so::set_tcp_user_timeout(s, n.max(0) as u32),
        (S::SOL_IP, S::IP_TOS) => so::set_ip_tos(s, n as u8),
        (S::SOL_IP, S::IP_RECVTOS) => so::set_ip_recvtos(s, n != 0),
        (S::SOL_IPV6, S::IPV6_TCLASS) => so::set_ipv6_tclass(s, n as u32),
        (S::SOL_IPV6, S::IPV6_RECVTCLASS) => so::set_ipv6_recvtclass(s, n != 0),
        _ => return ffi::setsockopt_int(s.as_raw_fd(), level, name, n),
    }
    .map_err(linux)
}

pub fn interface_index(s: BorrowedFd<'_>, name: &str) -> rustix::io::Result<u32> {
    rustix::net::netdevice::name_to_index(s, name)
}

pub fn interface_name(s: BorrowedFd<'_>, index: u32) -> rustix::io::Result<Vec<u8>> {
    rustix::net::netdevice::index_to_name(s, index).map(String::into_bytes)
}
