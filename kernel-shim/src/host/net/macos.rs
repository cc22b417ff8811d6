//! Sockets on a macOS host: no SOCK_CLOEXEC or MSG_NOSIGNAL (set per socket instead), no
//! netlink, abstract names or credential messages: the guest gets the errno Linux gives
//! without them.

use super::OptVal;
use crate::abi::errno as E;
use crate::abi::net::SockAddr;
use crate::abi::socket::Ucred;
use crate::host::HostResult;
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::io::{fcntl_setfd, FdFlags};
use rustix::net::{
    AddressFamily, Protocol, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer, SendFlags, SocketAddrAny,
    SocketAddrUnix, SocketFlags, SocketType,
};

/// SIGPIPE is turned off per socket (SO_NOSIGPIPE) when it is made.
pub const NOSIGNAL: SendFlags = SendFlags::empty();
pub const CMSG_CLOEXEC: RecvFlags = RecvFlags::empty();
/// No MSG_TRUNC on receipt: the length is what fit.
pub const RECV_TRUNC: RecvFlags = RecvFlags::empty();

/// No autobind here.
pub fn unnamed_addr() -> HostResult<SocketAddrUnix> {
    Err(E::EINVAL)
}

pub fn send_flags_more(_: u32) -> SendFlags {
    SendFlags::empty()
}

fn quiet(s: OwnedFd) -> rustix::io::Result<OwnedFd> {
    fcntl_setfd(&s, FdFlags::CLOEXEC)?;
    rustix::net::sockopt::set_socket_nosigpipe(&s, true)?;
    Ok(s)
}

pub fn socket_cloexec(
    family: AddressFamily,
    ty: SocketType,
    proto: Option<Protocol>,
) -> rustix::io::Result<OwnedFd> {
    quiet(rustix::net::socket_with(family, ty, SocketFlags::empty(), proto)?)
}

/// No netlink here: Linux without it answers EAFNOSUPPORT.
pub fn netlink_socket(_: SocketType, _: i32) -> rustix::io::Result<OwnedFd> {
    Err(rustix::io::Errno::AFNOSUPPORT)
}

/// No abstract namespace here: such a name is not found.
pub fn abstract_addr(_: &[u8]) -> rustix::io::Result<SocketAddrUnix> {
    Err(rustix::io::Errno::NOENT)
}

pub fn abstract_name(_: &SocketAddrUnix) -> Option<&[u8]> {
    None
}

pub fn netlink_addr(_: &[u8]) -> HostResult<SocketAddrAny> {
    Err(E::EAFNOSUPPORT)
}

pub fn netlink_from_host(_: &SocketAddrAny) -> Option<SockAddr> {
    None
}

pub fn accept_cloexec(s: BorrowedFd<'_>) -> rustix::io::Result<(OwnedFd, Option<SocketAddrAny>)> {
    let (fd, a) = rustix::net::acceptfrom(s)?;
    Ok((quiet(fd)?, a))
}

/// No SCM_CREDENTIALS here.
pub fn push_creds(_: &mut SendAncillaryBuffer<'_, '_, '_>, _: Ucred) -> HostResult<()> {
    Err(E::EINVAL)
}

pub fn creds_of(_: &RecvAncillaryMessage<'_>) -> Option<Ucred> {
    None
}

pub fn set_cloexec(fds: &[i32]) {
    for &f in fds {
        if let Ok(b) = crate::host::fd(f) {
            let _ = fcntl_setfd(b, FdFlags::CLOEXEC);
        }
    }
}

pub fn getsockopt(_: BorrowedFd<'_>, _: i32, _: i32) -> HostResult<OptVal> {
    Err(E::ENOPROTOOPT)
}

pub fn setsockopt(_: BorrowedFd<'_>, _: i32, _: i32, _: OptVal) -> HostResult<()> {
    Err(E::ENOPROTOOPT)
}

/// No netdevice ioctls here: no such device.
pub fn interface_index(_: BorrowedFd<'_>, _: &str) -> rustix::io::Result<u32> {
    Err(rustix::io::Errno::NODEV)
}

pub fn interface_name(_: BorrowedFd<'_>, _: u32) -> rustix::io::Result<Vec<u8>> {
    Err(rustix::io::Errno::NODEV)
}
