//! Sockets and their connections: socket, socketpair, bind, listen, accept/accept4,
//! connect, shutdown, getsockname/getpeername. Every guest socket is a host socket (the
//! host's kernel does the networking); emu reads and writes the guest's addresses as
//! typed structs, resolves AF_UNIX paths as it resolves every guest path (so `--sysroot`
//! and `--chroot` apply), remembers the names the guest gave, and parks a thread whose
//! call would block while other threads of the process can run.

use super::file::park_until_ready;
use super::fs::{resolve_at, Target};
use super::{read_guest, read_struct, write_guest, write_struct, Args, SysResult};
use crate::abi::net::{SockAddr, AF_INET, AF_INET6, AF_UNIX};
use crate::abi::socket as S;
use crate::abi::{errno as E, open as O, AT_FDCWD};
use crate::fd::{FdEntry, FileRef, OpenFile, SockInfo};
use crate::host::{self, Errno};
use crate::Process;
use std::cell::RefCell;
use std::rc::Rc;

pub(super) use crate::abi::io::{POLLIN, POLLOUT};

/// The most bytes of an address a call may pass (`struct sockaddr_storage`).
const SOCKADDR_MAX: u32 = 128;

/// A guest socket: its description, host fd, and what emu knows of it.
pub(super) struct Sock {
    pub file: FileRef,
    pub h: i32,
    pub info: SockInfo,
    /// O_NONBLOCK is set on the description.
    pub nonblock: bool,
}

impl Sock {
    /// Keeps a changed `info` on the description.
    pub fn save(&self) {
        self.file.borrow_mut().sock = Some(Box::new(self.info.clone()));
    }
}

/// The protocol Linux reports for a socket asked with protocol 0.
fn default_protocol(domain: u16, ty: i32) -> i32 {
    match (domain, ty) {
        (AF_INET | AF_INET6, S::SOCK_STREAM) => 6,
        (AF_INET | AF_INET6, S::SOCK_DGRAM) => 17,
        _ => 0,
    }
}

/// Guest fd `fd` as a socket; ENOTSOCK if it is something else. A socket emu did not make
/// (inherited, or received in a message) is asked about once.
pub(super) fn sock(p: &Process, fd: i64) -> Result<Sock, Errno> {
    let file = p.fds.file(fd)?;
    let mut of = file.borrow_mut();
    let h = of.host_fd().ok_or(E::ENOTSOCK)?;
    let nonblock = of.flags & O::O_NONBLOCK != 0;
    if of.sock.is_none() {
        if host::fstat(h)?.mode & crate::abi::mode::S_IFMT != crate::abi::mode::S_IFSOCK {
            return Err(E::ENOTSOCK);
        }
        let domain = host::local_addr(h).map_or(AF_UNIX, |a| a.family());
        let ty = match host::getsockopt(h, S::SOL_SOCKET, S::SO_TYPE) {
            Ok(host::OptVal::Int(t)) => t,
            _ => S::SOCK_STREAM,
        };
        let protocol = default_protocol(domain, ty);
        of.sock = Some(Box::new(SockInfo { domain, ty, protocol, ..Default::default() }));
    }
    let info = of.sock.as_deref().cloned().unwrap_or_default();
    drop(of);
    Ok(Sock { file, h, info, nonblock })
}

/// With other threads to run, a call on a blocking socket that would wait parks the
/// thread until the socket has `events` (the call is then made again); alone, the thread
/// waits in the host, where a signal interrupts it.
pub(super) fn wait_ready(p: &mut Process, s: &Sock, events: u16, flags: u32) -> Result<(), Errno> {
    if s.nonblock || flags & S::MSG_DONTWAIT != 0 {
        return Ok(());
    }
    if p.multithreaded() {
        return park_until_ready(p, s.h, events);
    }
    if events & POLLIN != 0 {
        p.world().before_blocking_read(s.h)?;
    }
    Ok(())
}

/// Installs host socket `h` as a new guest fd.
pub(super) fn install(p: &mut Process, h: i32, info: SockInfo, nonblock: bool, cloexec: bool) -> SysResult {
    let mut file = OpenFile::host(h, O::O_RDWR, None);
    if nonblock {
        file.flags |= O::O_NONBLOCK;
        host::set_status_flags(h, file.flags)?;
    }
    file.sock = Some(Box::new(info));
    p.fds.alloc(FdEntry { file: Rc::new(RefCell::new(file)), cloexec }, 0).map(|fd| fd as u64)
}

/// The SOCK_NONBLOCK / SOCK_CLOEXEC bits of a type or flags argument; EINVAL for others.
fn type_flags(flags: i32) -> Result<(bool, bool), Errno> {
    if flags & !(S::SOCK_NONBLOCK | S::SOCK_CLOEXEC) != 0 {
        return Err(E::EINVAL);
    }
    Ok((flags & S::SOCK_NONBLOCK != 0, flags & S::SOCK_CLOEXEC != 0))
}

pub(super) fn socket(p: &mut Process, a: &Args) -> SysResult {
    let (domain, ty, protocol) = (a.int(0), a.int(1), a.int(2));
    let domain = u16::try_from(domain).map_err(|_| E::EAFNOSUPPORT)?;
    let (nonblock, cloexec) = type_flags(ty & !S::SOCK_TYPE_MASK)?;
    let ty = ty & S::SOCK_TYPE_MASK;
    let h = host::socket(domain, ty, protocol)?;
    let protocol = if protocol == 0 { default_protocol(domain, ty) } else { protocol };
    install(p, h, SockInfo { domain, ty, protocol, ..Default::default() }, nonblock, cloexec)
}

pub(super) fn socketpair(p: &mut Process, a: &Args) -> SysResult {
    let (domain, ty, sv) = (a.int(0), a.int(1), a.ptr(3));
    // The other families Linux has make no pairs.
    match domain as u16 {
        AF_UNIX => {}
        AF_INET | AF_INET6 | S::AF_NETLINK => return Err(E::EOPNOTSUPP),
        _ => return Err(E::EAFNOSUPPORT),
    }
    let (nonblock, cloexec) = type_flags(ty & !S::SOCK_TYPE_MASK)?;
    let ty = ty & S::SOCK_TYPE_MASK;
    let (x, y) = host::socketpair(ty)?;
    let info = SockInfo { domain: AF_UNIX, ty, ..Default::default() };
    let fx = match install(p, x, info.clone(), nonblock, cloexec) {
        Ok(v) => v,
        Err(e) => {
            host::close(y);
            return Err(e);
        }
    };
    let fy = match install(p, y, info, nonblock, cloexec) {
        Ok(v) => v,
        Err(e) => {
            let _ = p.fds.close(fx as i64);
            return Err(e);
        }
    };
    write_struct(p, sv, &[fx as i32, fy as i32])?;
    Ok(0)
}

/// The address of `len` bytes at `addr` the guest passes.
pub(super) fn read_addr(p: &mut Process, addr: u64, len: u32) -> Result<SockAddr, Errno> {
    if len > SOCKADDR_MAX {
        return Err(E::EINVAL);
    }
    let b = read_guest(p, addr, len as usize)?;
    SockAddr::parse(&b).ok_or(E::EINVAL)
}

/// An AF_UNIX path name: the bytes of `sun_path` up to its NUL (None for unnamed and
/// abstract addresses).
fn unix_path(a: &SockAddr) -> Option<&[u8]> {
    match a {
        SockAddr::Unix(path) if path.first().is_some_and(|&c| c != 0) => {
            Some(&path[..path.iter().position(|&b| b == 0).unwrap_or(path.len())])
        }
        _ => None,
    }
}

/// The host's form of a guest address: an AF_UNIX path resolves as every guest path does
/// (through the sysroot, inside the jail).
pub(super) fn host_addr(p: &mut Process, a: &SockAddr, follow: bool) -> Result<SockAddr, Errno> {
    let Some(path) = unix_path(a) else { return Ok(a.clone()) };
    match resolve_at(p, AT_FDCWD as i64, path, follow)? {
        Target::Host(d, hp) if d == host::CWD => Ok(SockAddr::Unix(hp)),
        Target::Host(..) => Err(E::EINVAL),
        // Nothing listens on a file emu generates.
        Target::Generated(_) => Err(E::ECONNREFUSED),
    }
}

/// The guest's view of an address the host reports: a host path under the sysroot or
/// jail is shown without it.
pub(super) fn guest_addr(p: &Process, a: SockAddr) -> SockAddr {
    let (Some(root), Some(_)) = (&p.sysroot.root, unix_path(&a)) else { return a };
    let SockAddr::Unix(path) = &a else { return a };
    let root = root.as_os_str().as_encoded_bytes();
    match path.strip_prefix(root) {
        Some(rest) if rest.first() == Some(&b'/') => SockAddr::Unix(rest.to_vec()),
        _ => a,
    }
}

/// The name a guest AF_UNIX path address is reported by: its path with one NUL, as
/// Linux's getsockname gives it.
fn reported_name(a: &SockAddr) -> Option<SockAddr> {
    unix_path(a).map(|path| SockAddr::Unix([path, &[0]].concat()))
}

/// Writes `a` to a guest address buffer whose size is at `len_ptr` (nothing if `addr` is
/// NULL): the address cut to the buffer, and its whole length.
pub(super) fn write_addr(
    p: &mut Process,
    addr: u64,
    len_ptr: u64,
    a: Option<&SockAddr>,
) -> Result<(), Errno> {
    if addr == 0 {
        return Ok(());
    }
    let room = read_struct::<i32>(p, len_ptr)?;
    if room < 0 {
        return Err(E::EINVAL);
    }
    let b = a.map(SockAddr::to_bytes).unwrap_or_default();
    write_guest(p, addr, &b[..b.len().min(room as usize)])?;
    write_struct(p, len_ptr, &(b.len() as u32))
}

pub(super) fn bind(p: &mut Process, a: &Args) -> SysResult {
    let mut s = sock(p, a.fd(0))?;
    let addr = read_addr(p, a.ptr(1), a.uint(2))?;
    // bind creates the name: a final symlink is not followed (EADDRINUSE).
    let ha = host_addr(p, &addr, false)?;
    host::bind(s.h, &ha)?;
    if let Some(name) = reported_name(&addr) {
        s.info.name = Some(name);
        s.save();
    }
    Ok(0)
}

pub(super) fn listen(p: &mut Process, a: &Args) -> SysResult {
    let s = sock(p, a.fd(0))?;
    host::listen(s.h, a.int(1))?;
    Ok(0)
}

fn do_accept(p: &mut Process, a: &Args, flags: i32) -> SysResult {
    let (nonblock, cloexec) = type_flags(flags)?;
    let s = sock(p, a.fd(0))?;
    wait_ready(p, &s, POLLIN, 0)?;
    let (h, peer) = match host::accept(s.h) {
        // Another process took the connection the poll saw.
        Err(E::EAGAIN) if !s.nonblock && p.multithreaded() => {
            park_until_ready(p, s.h, POLLIN)?;
            return Err(E::EAGAIN);
        }
        r => r?,
    };
    // It shares the listener's name; its peer is the host's to tell.
    let info = SockInfo { peer: None, connecting: false, ..s.info.clone() };
    let fd = install(p, h, info, nonblock, cloexec)?;
    let peer = peer.map(|a| guest_addr(p, a));
    write_addr(p, a.ptr(1), a.ptr(2), Some(&peer.unwrap_or(SockAddr::Unix(Vec::new()))))?;
    Ok(fd)
}

pub(super) fn accept(p: &mut Process, a: &Args) -> SysResult {
    do_accept(p, a, 0)
}

pub(super) fn accept4(p: &mut Process, a: &Args) -> SysResult {
    do_accept(p, a, a.int(3))
}

pub(super) fn connect(p: &mut Process, a: &Args) -> SysResult {
    let mut s = sock(p, a.fd(0))?;
    if s.info.connecting {
        // Made again after parking: the connection is done or failed.
        park_until_ready(p, s.h, POLLOUT)?;
        s.info.connecting = false;
        s.save();
        return match host::getsockopt(s.h, S::SOL_SOCKET, S::SO_ERROR)? {
            host::OptVal::Int(0) => Ok(0),
            host::OptVal::Int(e) => Err(e),
            _ => Err(E::EINVAL),
        };
    }
    let addr = read_addr(p, a.ptr(1), a.uint(2))?;
    let ha = host_addr(p, &addr, true)?;
    // A thread that must not block the others connects without waiting, then parks.
    let park = !s.nonblock && p.multithreaded();
    let flags = s.file.borrow().flags;
    if park {
        host::set_status_flags(s.h, flags | O::O_NONBLOCK)?;
    }
    let r = host::connect(s.h, &ha);
    if park {
        host::set_status_flags(s.h, flags)?;
    }
    if matches!(r, Ok(()) | Err(E::EINPROGRESS)) {
        s.info.peer = reported_name(&addr);
    }
    match r {
        Err(E::EINPROGRESS) if park => {
            s.info.connecting = true;
            s.save();
            p.park(crate::thread::Wait::Fd { fd: s.h, events: POLLOUT, deadline: None });
            Err(crate::thread::E_WOULDBLOCK)
        }
        // A full AF_UNIX backlog: wait for room, then try again.
        Err(E::EAGAIN) if park && s.info.domain == AF_UNIX => {
            p.park(crate::thread::Wait::Retry {
                at: p.world().instant() + std::time::Duration::from_millis(2),
            });
            Err(crate::thread::E_WOULDBLOCK)
        }
        r => {
            s.save();
            r.map(|_| 0)
        }
    }
}

pub(super) fn shutdown(p: &mut Process, a: &Args) -> SysResult {
    let s = sock(p, a.fd(0))?;
    host::shutdown(s.h, a.int(1))?;
    Ok(0)
}

pub(super) fn getsockname(p: &mut Process, a: &Args) -> SysResult {
    let s = sock(p, a.fd(0))?;
    let name = match s.info.name {
        Some(n) => n,
        None => guest_addr(p, host::local_addr(s.h)?),
    };
    write_addr_checked(p, a, &name)
}

pub(super) fn getpeername(p: &mut Process, a: &Args) -> SysResult {
    let s = sock(p, a.fd(0))?;
    // The host first: it says ENOTCONN once the peer is gone.
    let host_peer = host::peer_addr(s.h)?;
    let name = s.info.peer.unwrap_or_else(|| guest_addr(p, host_peer));
    write_addr_checked(p, a, &name)
}

/// getsockname/getpeername: the buffer must be given (EFAULT otherwise).
fn write_addr_checked(p: &mut Process, a: &Args, name: &SockAddr) -> SysResult {
    if a.ptr(1) == 0 {
        return Err(E::EFAULT);
    }
    write_addr(p, a.ptr(1), a.ptr(2), Some(name))?;
    Ok(0)
}

const FIONREAD: u32 = 0x541b;

/// Whether `ioctl` below serves request `req` on a socket.
pub(super) fn is_socket_ioctl(req: u32) -> bool {
    matches!(req, FIONREAD | S::SIOCGIFINDEX | S::SIOCGIFNAME)
}

/// ioctl on a socket: the bytes waiting (FIONREAD), and network interfaces by name and
/// index (SIOCGIFINDEX, SIOCGIFNAME, which glibc's if_nametoindex uses).
pub(super) fn ioctl(p: &mut Process, fd: i64, req: u32, arg: u64) -> SysResult {
    let s = sock(p, fd)?;
    match req {
        FIONREAD => {
            let n = host::bytes_readable(s.h)?;
            write_struct(p, arg, &n)?;
        }
        S::SIOCGIFINDEX => {
            let mut r = read_struct::<S::IfreqIndex>(p, arg)?;
            let end = r.name.iter().position(|&b| b == 0).unwrap_or(S::IFNAMSIZ);
            r.index = host::interface_index(s.h, &r.name[..end])? as i32;
            write_struct(p, arg, &r)?;
        }
        S::SIOCGIFNAME => {
            let mut r = read_struct::<S::IfreqIndex>(p, arg)?;
            let name = host::interface_name(s.h, r.index as u32)?;
            r.name = [0; S::IFNAMSIZ];
            let n = name.len().min(S::IFNAMSIZ - 1);
            r.name[..n].copy_from_slice(&name[..n]);
            write_struct(p, arg, &r)?;
        }
        _ => return Err(E::ENOTTY),
    }
    Ok(0)
}
