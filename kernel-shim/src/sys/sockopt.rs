//! Socket options: getsockopt and setsockopt. The value's type follows the option (an
//! int, `struct linger`, `struct timeval`, `struct ucred`); what emu knows itself
//! (SO_DOMAIN, SO_PROTOCOL, SO_TYPE) it answers, peers' pids are shown in the guest's
//! numbering, and the rest is the host socket's.

use super::net::sock;
use super::{read_guest, read_struct, write_guest, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::socket::{self as S, Linger};
use crate::abi::time::Timeval;
use crate::abi::GuestStruct;
use crate::host::{self, OptVal};
use crate::Process;

pub(super) fn getsockopt(p: &mut Process, a: &Args) -> SysResult {
    let (level, name, val, len_ptr) = (a.int(1), a.int(2), a.ptr(3), a.ptr(4));
    let s = sock(p, a.fd(0))?;
    let room = read_struct::<i32>(p, len_ptr)?;
    if room < 0 {
        return Err(E::EINVAL);
    }
    let v = match (level, name) {
        (S::SOL_SOCKET, S::SO_DOMAIN) => OptVal::Int(s.info.domain as i32),
        (S::SOL_SOCKET, S::SO_PROTOCOL) => OptVal::Int(s.info.protocol),
        (S::SOL_SOCKET, S::SO_TYPE) => OptVal::Int(s.info.ty),
        _ => match host::getsockopt(s.h, level, name)? {
            OptVal::Cred(c) => OptVal::Cred(S::Ucred { pid: p.world().guest_pid(c.pid), ..c }),
            v => v,
        },
    };
    let b = match v {
        OptVal::Int(i) => i.to_bytes(),
        OptVal::Linger(l) => l.to_bytes(),
        OptVal::Time(t) => t.to_bytes(),
        OptVal::Cred(c) => c.to_bytes(),
    };
    // The value is cut to the caller's room, and the length says what was copied.
    let n = b.len().min(room as usize);
    write_guest(p, val, &b[..n])?;
    write_struct(p, len_ptr, &(n as u32))?;
    Ok(0)
}

pub(super) fn setsockopt(p: &mut Process, a: &Args) -> SysResult {
    let (level, name, val, len) = (a.int(1), a.int(2), a.ptr(3), a.uint(4) as usize);
    let s = sock(p, a.fd(0))?;
    let v = match (level, name) {
        (S::SOL_SOCKET, S::SO_LINGER) if len >= Linger::SIZE => OptVal::Linger(read_struct(p, val)?),
        (S::SOL_SOCKET, S::SO_RCVTIMEO | S::SO_SNDTIMEO) if len >= Timeval::SIZE => {
            OptVal::Time(read_struct(p, val)?)
        }
        (S::SOL_SOCKET, S::SO_LINGER | S::SO_RCVTIMEO | S::SO_SNDTIMEO) => return Err(E::EINVAL),
        _ if len >= 4 => OptVal::Int(read_struct(p, val)?),
        // The IP levels take a one-byte value too.
        (S::SOL_IP | S::SOL_IPV6, _) if len >= 1 => OptVal::Int(read_guest(p, val, 1)?[0] as i32),
        _ => return Err(E::EINVAL),
    };
    host::setsockopt(s.h, level, name, v)?;
    Ok(0)
}
