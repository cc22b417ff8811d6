//! Socket messages: sendto/recvfrom, sendmsg/recvmsg, sendmmsg/recvmmsg, with their
//! control messages. SCM_RIGHTS carries guest fds out as the host fds behind them and
//! installs the host fds that arrive as new guest fds (close-on-exec with
//! MSG_CMSG_CLOEXEC); SCM_CREDENTIALS carries pids in the guest's numbering. A broken
//! connection raises SIGPIPE unless MSG_NOSIGNAL. With other threads to run, a call on a
//! blocking socket never waits in the host: it parks the thread and is made again.

use super::file::{epipe, iovecs, park_until_ready};
use super::net::{guest_addr, read_addr, sock, wait_ready, Sock, POLLIN, POLLOUT};
use super::{read_guest, read_struct, write_guest, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::io::{Iovec, UIO_MAXIOV};
use crate::abi::net::{Cmsghdr, Msghdr, SockAddr, SCM_RIGHTS};
use crate::abi::socket::{self as S, Mmsghdr, Ucred};
use crate::abi::GuestStruct;
use crate::fd::{FdEntry, OpenFile};
use crate::host::{self, Ancillary, Errno};
use crate::Process;
use std::cell::RefCell;
use std::rc::Rc;

/// The largest transfer one call makes (Linux's MAX_RW_COUNT), and the most bytes emu
/// reads at once.
const MAX_RW: u64 = 0x7fff_f000;
const MAX_CHUNK: usize = 1 << 24;
/// The most control bytes a message may carry (Linux's default optmem_max).
const MAX_CONTROL: u64 = 20480;
/// The most fds one SCM_RIGHTS message passes (SCM_MAX_FD).
const SCM_MAX_FD: usize = 253;

/// Whether the call would wait in the host with other threads to run: it is then made
/// without waiting, and parks when nothing could be done.
fn must_not_block(p: &Process, s: &Sock, flags: u32) -> bool {
    !s.nonblock && flags & S::MSG_DONTWAIT == 0 && p.multithreaded()
}

fn send_one(
    p: &mut Process,
    s: &Sock,
    data: &[u8],
    to: Option<&SockAddr>,
    anc: &Ancillary,
    flags: u32,
) -> SysResult {
    wait_ready(p, s, POLLOUT, flags)?;
    let mt = must_not_block(p, s, flags);
    let to = match to {
        Some(a) => Some(super::net::host_addr(p, a, true)?),
        None => None,
    };
    let hflags = if mt { flags | S::MSG_DONTWAIT } else { flags };
    match host::send(s.h, data, to.as_ref(), anc, hflags) {
        Err(E::EPIPE) if flags & S::MSG_NOSIGNAL == 0 => Err(epipe(p)),
        Err(E::EAGAIN) if mt => {
            park_until_ready(p, s.h, POLLOUT)?;
            Err(E::EAGAIN)
        }
        r => Ok(r? as u64),
    }
}

fn recv_one(
    p: &mut Process,
    s: &Sock,
    len: u64,
    flags: u32,
    control: usize,
) -> Result<(Vec<u8>, host::Received), Errno> {
    wait_ready(p, s, POLLIN, flags)?;
    let mt = must_not_block(p, s, flags);
    let hflags = if mt { flags | S::MSG_DONTWAIT } else { flags };
    let mut buf = vec![0u8; len.min(MAX_RW).min(MAX_CHUNK as u64) as usize];
    match host::recv(s.h, &mut buf, hflags, control) {
        Err(E::EAGAIN) if mt => {
            park_until_ready(p, s.h, POLLIN)?;
            Err(E::EAGAIN)
        }
        r => Ok((buf, r?)),
    }
}

pub(super) fn sendto(p: &mut Process, a: &Args) -> SysResult {
    let s = sock(p, a.fd(0))?;
    let data = read_guest(p, a.ptr(1), a.ulong(2).min(MAX_RW) as usize)?;
    let to = match (a.ptr(4), a.uint(5)) {
        (0, _) | (_, 0) => None,
        (addr, len) => Some(read_addr(p, addr, len)?),
    };
    send_one(p, &s, &data, to.as_ref(), &Ancillary::default(), a.uint(3))
}

pub(super) fn recvfrom(p: &mut Process, a: &Args) -> SysResult {
    let s = sock(p, a.fd(0))?;
    let (buf, len, flags) = (a.ptr(1), a.ulong(2), a.uint(3));
    let (data, r) = recv_one(p, &s, len, flags, 0)?;
    write_guest(p, buf, &data[..r.len.min(data.len())])?;
    let from = r.from.map(|f| guest_addr(p, f));
    super::net::write_addr(p, a.ptr(4), a.ptr(5), from.as_ref())?;
    Ok(r.len as u64)
}

/// The iovecs of a message (EMSGSIZE past UIO_MAXIOV, as Linux says for messages).
fn msg_iovecs(p: &mut Process, hdr: &Msghdr) -> Result<Vec<Iovec>, Errno> {
    if hdr.iovlen > UIO_MAXIOV as u64 {
        return Err(E::EMSGSIZE);
    }
    iovecs(p, hdr.iov, hdr.iovlen)
}

/// The guest's control messages as host ones: its fds as the host fds behind them, its
/// credentials with the host's pid.
fn read_control(p: &mut Process, hdr: &Msghdr) -> Result<Ancillary, Errno> {
    let mut anc = Ancillary::default();
    if hdr.controllen == 0 {
        return Ok(anc);
    }
    if hdr.controllen > MAX_CONTROL {
        return Err(E::ENOBUFS);
    }
    let b = read_guest(p, hdr.control, hdr.controllen as usize)?;
    let mut off = 0;
    while off + Cmsghdr::SIZE <= b.len() {
        let c = Cmsghdr::read(&b[off..]);
        let len = usize::try_from(c.len).map_err(|_| E::EINVAL)?;
        if len < Cmsghdr::SIZE || off + len > b.len() {
            return Err(E::EINVAL);
        }
        let data = &b[off + Cmsghdr::SIZE..off + len];
        match (c.level, c.cmsg_type) {
            (S::SOL_SOCKET, SCM_RIGHTS) => {
                let fds: Vec<i32> = data.chunks_exact(4).map(i32::read).collect();
                if fds.is_empty() || anc.fds.len() + fds.len() > SCM_MAX_FD {
                    return Err(E::EINVAL);
                }
                for fd in fds {
                    // Only a descriptor backed by a host object can travel.
                    let f = p.fds.file(fd as i64)?;
                    anc.fds.push(f.borrow().host_fd().filter(|&h| h >= 0).ok_or(E::EBADF)?);
                }
            }
            (S::SOL_SOCKET, S::SCM_CREDENTIALS) if data.len() >= Ucred::SIZE => {
                let c = Ucred::read(data);
                anc.creds = Some(Ucred { pid: p.world().host_pid(c.pid), ..c });
            }
            (S::SOL_SOCKET, _) => return Err(E::EINVAL),
            // Other levels' messages (IP_PKTINFO...) are the protocol's; none applies here.
            _ => {}
        }
        off += Cmsghdr::align(len);
    }
    Ok(anc)
}

fn gather(p: &mut Process, iov: &[Iovec]) -> Result<Vec<u8>, Errno> {
    let mut data = Vec::new();
    for v in iov {
        let room = MAX_RW - data.len() as u64;
        data.extend(read_guest(p, v.base, v.len.min(room) as usize)?);
    }
    Ok(data)
}

fn sendmsg_one(p: &mut Process, s: &Sock, hdr: &Msghdr, flags: u32) -> SysResult {
    let to = match (hdr.name, hdr.namelen) {
        (0, _) | (_, 0) => None,
        (addr, len) => Some(read_addr(p, addr, len)?),
    };
    let iov = msg_iovecs(p, hdr)?;
    let data = gather(p, &iov)?;
    let anc = read_control(p, hdr)?;
    send_one(p, s, &data, to.as_ref(), &anc, flags)
}

pub(super) fn sendmsg(p: &mut Process, a: &Args) -> SysResult {
    let s = sock(p, a.fd(0))?;
    let hdr = read_struct::<Msghdr>(p, a.ptr(1))?;
    sendmsg_one(p, &s, &hdr, a.uint(2))
}

/// Installs host fds that arrived in a message as guest fds.
fn install_fds(p: &mut Process, fds: &[i32], cloexec: bool) -> Result<Vec<i32>, Errno> {
    let mut out = Vec::new();
    for (i, &h) in fds.iter().enumerate() {
        let flags = host::get_status_flags(h).unwrap_or(crate::abi::open::O_RDWR);
        let file = Rc::new(RefCell::new(OpenFile::host(h, flags, None)));
        match p.fds.alloc(FdEntry { file, cloexec }, 0) {
            Ok(fd) => out.push(fd as i32),
            Err(e) => {
                // The rest are closed, as Linux drops what it cannot install.
                fds[i + 1..].iter().for_each(|&h| host::close(h));
                if out.is_empty() {
                    return Err(e);
                }
                break;
            }
        }
    }
    Ok(out)
}

/// Appends one control message to `out` if it fits in `room` bytes (padding only as far as
/// the room goes, as Linux's put_cmsg).
fn put_cmsg(out: &mut Vec<u8>, room: usize, cmsg_type: i32, data: &[u8]) -> bool {
    let len = Cmsghdr::len_for(data.len());
    if out.len() + len > room {
        return false;
    }
    out.extend(Cmsghdr { len: len as u64, level: S::SOL_SOCKET, cmsg_type }.to_bytes());
    out.extend_from_slice(data);
    let pad = (Cmsghdr::space_for(data.len()) - len).min(room - out.len());
    out.resize(out.len() + pad, 0);
    true
}

/// The control messages of a received message in the guest's terms (credentials first,
/// then fds, as Linux orders them); the bool says whether some did not fit (MSG_CTRUNC).
fn guest_control(
    p: &mut Process,
    anc: Ancillary,
    room: usize,
    cloexec: bool,
) -> Result<(Vec<u8>, bool), Errno> {
    let mut out = Vec::new();
    let mut trunc = false;
    if let Some(c) = anc.creds {
        let c = Ucred { pid: p.world().guest_pid(c.pid), ..c };
        trunc |= !put_cmsg(&mut out, room, S::SCM_CREDENTIALS, &c.to_bytes());
    }
    if !anc.fds.is_empty() {
        let avail = room.saturating_sub(out.len() + Cmsghdr::SIZE) / 4;
        let fit = avail.min(anc.fds.len());
        anc.fds[fit..].iter().for_each(|&h| host::close(h));
        trunc |= fit < anc.fds.len();
        if fit > 0 {
            let fds = install_fds(p, &anc.fds[..fit], cloexec)?;
            let data: Vec<u8> = fds.iter().flat_map(|f| f.to_le_bytes()).collect();
            put_cmsg(&mut out, room, SCM_RIGHTS, &data);
        }
    }
    Ok((out, trunc))
}

fn scatter(p: &mut Process, iov: &[Iovec], mut data: &[u8]) -> Result<(), Errno> {
    for v in iov {
        if data.is_empty() {
            break;
        }
        let n = (v.len as usize).min(data.len());
        write_guest(p, v.base, &data[..n])?;
        data = &data[n..];
    }
    Ok(())
}

fn recvmsg_one(p: &mut Process, s: &Sock, at: u64, flags: u32) -> SysResult {
    let mut hdr = read_struct::<Msghdr>(p, at)?;
    let iov = msg_iovecs(p, &hdr)?;
    let total = iov.iter().fold(0u64, |t, v| t.saturating_add(v.len));
    let control = hdr.controllen.min(MAX_CONTROL) as usize;
    let (data, r) = recv_one(p, s, total, flags, if hdr.control != 0 { control } else { 0 })?;
    scatter(p, &iov, &data[..r.len.min(data.len())])?;
    if hdr.name != 0 {
        let b = r.from.map(|f| guest_addr(p, f).to_bytes()).unwrap_or_default();
        write_guest(p, hdr.name, &b[..b.len().min(hdr.namelen as usize)])?;
        hdr.namelen = b.len() as u32;
    }
    let (ctl, trunc) = guest_control(
        p,
        r.anc,
        if hdr.control != 0 { control } else { 0 },
        flags & S::MSG_CMSG_CLOEXEC != 0,
    )?;
    if !ctl.is_empty() {
        write_guest(p, hdr.control, &ctl)?;
    }
    hdr.controllen = ctl.len() as u64;
    // Linux hands MSG_CMSG_CLOEXEC back in msg_flags too.
    hdr.flags = (r.flags | if trunc { S::MSG_CTRUNC } else { 0 } | flags & S::MSG_CMSG_CLOEXEC) as i32;
    write_struct(p, at, &hdr)?;
    Ok(r.len as u64)
}

pub(super) fn recvmsg(p: &mut Process, a: &Args) -> SysResult {
    let s = sock(p, a.fd(0))?;
    recvmsg_one(p, &s, a.ptr(1), a.uint(2))
}

/// sendmmsg/recvmmsg: one message after another, the count done; after the first the
/// calls do not wait (a thread never parks with messages already moved).
fn each_message(
    p: &mut Process,
    a: &Args,
    one: fn(&mut Process, &Sock, u64, u32) -> SysResult,
    later_flags: u32,
) -> SysResult {
    let s = sock(p, a.fd(0))?;
    let (vec, n, flags) = (a.ptr(1), a.uint(2).min(UIO_MAXIOV as u32) as u64, a.uint(3));
    let mut done = 0;
    while done < n {
        let at = vec + done * Mmsghdr::SIZE as u64;
        let f = if done == 0 { flags } else { flags | later_flags };
        match one(p, &s, at, f) {
            Ok(len) => write_struct(p, at + Msghdr::SIZE as u64, &(len as u32))?,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
        done += 1;
    }
    Ok(done)
}

fn sendmmsg_one(p: &mut Process, s: &Sock, at: u64, flags: u32) -> SysResult {
    let hdr = read_struct::<Msghdr>(p, at)?;
    sendmsg_one(p, s, &hdr, flags)
}

pub(super) fn sendmmsg(p: &mut Process, a: &Args) -> SysResult {
    each_message(p, a, sendmmsg_one, S::MSG_DONTWAIT)
}

pub(super) fn recvmmsg(p: &mut Process, a: &Args) -> SysResult {
    each_message(p, a, recvmsg_one, S::MSG_DONTWAIT)
}
