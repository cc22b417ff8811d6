//! System V IPC: shared memory (shmget, shmat, shmdt, shmctl), semaphores (semget,
//! semop, semtimedop, semctl) and message queues (msgget, msgsnd, msgrcv, msgctl). The
//! objects are the host's (`host::ipc`), shared with the guest's children and with
//! other programs as on Linux; a guest attachment of a segment is a shared mapping of the
//! host's attachment.
//!
//! A call that would block waits as Linux's does, interruptible by signals (System V IPC
//! calls are never restarted after a handler: EINTR). Alone, a thread waits in the host a
//! slice at a time (semtimedop) or polls (message queues, which have no timed form);
//! with other guest threads to run, it polls between their turns.
//!
//! Segments are not recorded: a segment's bytes change under the guest from other
//! processes, which a log of syscalls cannot replay. Under `--record`/`--replay`, shmget
//! answers ENOSYS (a kernel without System V shared memory) in both runs alike.

use super::mm::{page_up, perm};
use super::{read_array, read_guest, read_struct, write_array, write_guest, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::ipc::{self as I, Sembuf};
use crate::abi::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::host::{self, Errno};
use crate::thread::{Wait, E_WOULDBLOCK};
use crate::Process;
use emu_cpu::mem::{Backing, VmaInfo, PAGE_MASK};
use emu_loader::layout::find_free;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The longest a lone thread waits in the host before looking for signals again.
const SLICE: Duration = Duration::from_millis(50);

/// The ctl command without IPC_64 (x86-64 has only the 64-bit layouts).
fn command(a: &Args, i: usize) -> i32 {
    a.int(i) & !I::IPC_64
}

// ---- shared memory ----

pub(super) fn shmget(p: &mut Process, a: &Args) -> SysResult {
    if p.world().kind().logs() {
        log::info!("shmget: System V shared memory is not available under --record/--replay");
        return Err(E::ENOSYS);
    }
    Ok(host::shmget(a.int(0), a.ulong(1), a.int(2))? as u64)
}

/// The name Linux gives an attachment in /proc/self/maps.
fn segment_name(key: i32) -> String {
    format!("/SYSV{:08x} (deleted)", key as u32)
}

pub(super) fn shmat(p: &mut Process, a: &Args) -> SysResult {
    let (id, addr, flg) = (a.int(0), a.ptr(1), a.int(2));
    if p.world().kind().logs() {
        return Err(E::ENOSYS);
    }
    let ds = host::shm_stat(id)?;
    let readonly = flg & I::SHM_RDONLY != 0;
    let len = page_up(ds.segsz);
    let start = if addr == 0 {
        find_free(&p.cpu.mem, 0, len).ok_or(E::ENOMEM)?
    } else {
        let at = if flg & I::SHM_RND != 0 { addr & !(I::SHMLBA - 1) } else { addr };
        if at & PAGE_MASK != 0 || at == 0 {
            return Err(E::EINVAL);
        }
        if flg & I::SHM_REMAP == 0 && p.cpu.mem.any_mapped(at, at.saturating_add(len)) {
            return Err(E::EINVAL);
        }
        at
    };
    let seg = host::ShmAttachment::new(id, ds.segsz, readonly)?;
    let prot = PROT_READ
        | if readonly { 0 } else { PROT_WRITE }
        | if flg & I::SHM_EXEC != 0 { PROT_EXEC } else { 0 };
    let info = VmaInfo { inode: id as u64, ..VmaInfo::named(&segment_name(ds.perm.key)) };
    if flg & I::SHM_REMAP != 0 {
        p.cpu.mem.unmap(start, len).map_err(|_| E::EINVAL)?;
    }
    p.cpu.mem.map_shared(start, len, perm(prot), info, Rc::new(seg), 0).map_err(|_| E::ENOMEM)?;
    p.event(|_| crate::process::Event::Mapped { start, prot });
    Ok(start)
}

pub(super) fn shmdt(p: &mut Process, a: &Args) -> SysResult {
    let addr = a.ptr(0);
    if addr & PAGE_MASK != 0 {
        return Err(E::EINVAL);
    }
    // The attachment starting at `addr`, and the pieces of it mprotect may have split off
    // (the same host attachment: two attachments of one segment may lie side by side).
    let attachment = |v: &emu_cpu::mem::Vma| match &v.backing {
        Backing::Shared { mem, .. } if v.name.as_deref().is_some_and(|n| n.starts_with("/SYSV")) => {
            Some(Rc::clone(mem))
        }
        _ => None,
    };
    let first = p.cpu.mem.vma_at(addr).filter(|v| v.start == addr).ok_or(E::EINVAL)?;
    let seg = attachment(first).ok_or(E::EINVAL)?;
    let mut end = first.end;
    while let Some(v) = p.cpu.mem.vma_at(end).filter(|v| v.start == end) {
        match attachment(v) {
            Some(m) if Rc::ptr_eq(&m, &seg) => end = v.end,
            _ => break,
        }
    }
    drop(seg);
    p.cpu.mem.unmap(addr, end - addr).map_err(|_| E::EINVAL)?;
    p.event(|_| crate::process::Event::Unmapped { start: addr, len: end - addr });
    Ok(0)
}

pub(super) fn shmctl(p: &mut Process, a: &Args) -> SysResult {
    let (id, buf) = (a.int(0), a.ptr(2));
    match command(a, 1) {
        I::IPC_STAT => {
            let mut ds = host::shm_stat(id)?;
            ds.cpid = p.world().guest_pid(ds.cpid);
            ds.lpid = p.world().guest_pid(ds.lpid);
            write_struct(p, buf, &ds)?;
        }
        I::IPC_SET => {
            let ds: I::ShmidDs = read_struct(p, buf)?;
            host::shm_set(id, &ds.perm)?;
        }
        I::IPC_RMID => host::shm_rmid(id)?,
        _ => return Err(E::EINVAL),
    }
    Ok(0)
}

// ---- semaphores ----

pub(super) fn semget(_: &mut Process, a: &Args) -> SysResult {
    Ok(host::semget(a.int(0), a.int(1), a.int(2))? as u64)
}

pub(super) fn semop(p: &mut Process, a: &Args) -> SysResult {
    sem_ops(p, a.int(0), a.ptr(1), a.ulong(2), None)
}

pub(super) fn semtimedop(p: &mut Process, a: &Args) -> SysResult {
    let timeout = match a.ptr(3) {
        0 => None,
        t => Some(super::read_timespec(p, t)?.to_duration()),
    };
    sem_ops(p, a.int(0), a.ptr(1), a.ulong(2), timeout)
}

fn sem_ops(p: &mut Process, id: i32, ops: u64, n: u64, timeout: Option<Duration>) -> SysResult {
    if n == 0 {
        return Err(E::EINVAL);
    }
    if n as usize > I::SEMOPM {
        return Err(E::E2BIG);
    }
    let ops: Vec<Sembuf> = read_array(p, ops, n as usize)?;
    let nowait = ops.iter().all(|o| o.flg & I::IPC_NOWAIT as i16 != 0);
    wait_for(p, SEMOP, nowait, timeout, |slice| match slice {
        Some(s) => host::semop(id, &ops, Some(s), false),
        None => host::semop(id, &ops, None, true),
    })?;
    Ok(0)
}

pub(super) fn semctl(p: &mut Process, a: &Args) -> SysResult {
    let (id, num, arg) = (a.int(0), a.int(1), a.ulong(3));
    match command(a, 2) {
        I::GETPID => {
            let host_pid = host::semctl_int(id, num, I::GETPID, 0)?;
            Ok(p.world().guest_pid(host_pid) as u64)
        }
        c @ (I::GETVAL | I::GETNCNT | I::GETZCNT) => Ok(host::semctl_int(id, num, c, 0)? as u64),
        I::SETVAL => Ok(host::semctl_int(id, num, I::SETVAL, arg as i32)? as u64),
        I::GETALL => {
            let n = host::sem_stat(id)?.nsems as usize;
            let vals = host::sem_getall(id, n)?;
            write_array(p, arg, &vals)?;
            Ok(0)
        }
        I::SETALL => {
            let n = host::sem_stat(id)?.nsems as usize;
            let vals: Vec<u16> = read_array(p, arg, n)?;
            host::sem_setall(id, &vals)?;
            Ok(0)
        }
        I::IPC_STAT => {
            let ds = host::sem_stat(id)?;
            write_struct(p, arg, &ds)?;
            Ok(0)
        }
        I::IPC_SET => {
            let ds: I::SemidDs = read_struct(p, arg)?;
            host::sem_set(id, &ds.perm)?;
            Ok(0)
        }
        I::IPC_RMID => {
            host::sem_rmid(id)?;
            Ok(0)
        }
        _ => Err(E::EINVAL),
    }
}

// ---- message queues ----

pub(super) fn msgget(_: &mut Process, a: &Args) -> SysResult {
    Ok(host::msgget(a.int(0), a.int(1))? as u64)
}

/// Linux's limit on one message's text (MSGMAX).
const MSGMAX: u64 = 8192;

pub(super) fn msgsnd(p: &mut Process, a: &Args) -> SysResult {
    let (id, msgp, size, flg) = (a.int(0), a.ptr(1), a.ulong(2), a.int(3));
    if size > MSGMAX || (size as i64) < 0 {
        return Err(E::EINVAL);
    }
    let mtype: i64 = read_struct(p, msgp)?;
    if mtype < 1 {
        return Err(E::EINVAL);
    }
    let text = read_guest(p, msgp + 8, size as usize)?;
    let nowait = flg & I::IPC_NOWAIT != 0;
    wait_for(p, MSGSND, nowait, None, |_| host::msgsnd(id, mtype, &text, true))?;
    Ok(0)
}

pub(super) fn msgrcv(p: &mut Process, a: &Args) -> SysResult {
    let (id, msgp, size, msgtyp, flg) = (a.int(0), a.ptr(1), a.ulong(2), a.long(3), a.int(4));
    if (size as i64) < 0 {
        return Err(E::EINVAL);
    }
    if flg & I::MSG_COPY != 0 {
        return Err(E::ENOSYS);
    }
    let nowait = flg & I::IPC_NOWAIT != 0;
    let max = size.min(MSGMAX) as usize;
    let (mtype, text) = wait_for(p, MSGRCV, nowait, None, |_| host::msgrcv(id, max, msgtyp, flg, true))?;
    write_struct(p, msgp, &mtype)?;
    write_guest(p, msgp + 8, &text)?;
    Ok(text.len() as u64)
}

pub(super) fn msgctl(p: &mut Process, a: &Args) -> SysResult {
    let (id, buf) = (a.int(0), a.ptr(2));
    match command(a, 1) {
        I::IPC_STAT => {
            let mut ds = host::msg_stat(id)?;
            ds.lspid = p.world().guest_pid(ds.lspid);
            ds.lrpid = p.world().guest_pid(ds.lrpid);
            write_struct(p, buf, &ds)?;
        }
        I::IPC_SET => {
            let ds: I::MsqidDs = read_struct(p, buf)?;
            host::msg_set(id, &ds.perm, ds.qbytes)?;
        }
        I::IPC_RMID => host::msg_rmid(id)?,
        _ => return Err(E::EINVAL),
    }
    Ok(0)
}

// ---- waiting ----

/// How a call waits: `busy` is its "would block" answer (EAGAIN; ENOMSG for msgrcv);
/// `in_host` says it has a timed host form to wait in (semtimedop), else it polls.
struct Waits {
    busy: Errno,
    in_host: bool,
}

const SEMOP: Waits = Waits { busy: E::EAGAIN, in_host: true };
const MSGSND: Waits = Waits { busy: E::EAGAIN, in_host: false };
const MSGRCV: Waits = Waits { busy: E::ENOMSG, in_host: false };

/// Runs `attempt` until it stops answering `how.busy`, as a blocking call waits.
/// `attempt` gets a slice to wait in the host or None to poll. With `nowait` the first
/// answer is final; after `timeout` the answer is EAGAIN (semtimedop's).
///
/// The other side is another process, which runs in real time whatever the world: a
/// lone thread measures its timeout on the host's clock, and a closed world's clock then
/// moves by the timeout, as its sleeps do.
fn wait_for<T>(
    p: &mut Process,
    how: Waits,
    nowait: bool,
    timeout: Option<Duration>,
    mut attempt: impl FnMut(Option<Duration>) -> Result<T, Errno>,
) -> Result<T, Errno> {
    let in_host = how.in_host;
    match attempt(None) {
        Err(e) if e == how.busy && !nowait => {}
        r => {
            p.cur_mut().deadline = None;
            return r;
        }
    }
    if p.multithreaded() {
        // Parked, the thread keeps its first deadline across the retries.
        let now = p.world().instant();
        let until = p.cur().deadline.or(timeout.map(|t| now + t));
        let end = until.unwrap_or(now + Duration::from_secs(1 << 32));
        if end <= now {
            p.cur_mut().deadline = None;
            return Err(E::EAGAIN);
        }
        p.cur_mut().deadline = until;
        p.park(Wait::Retry { at: (now + Duration::from_millis(1)).min(end) });
        return Err(E_WOULDBLOCK);
    }
    // A closed world's virtual timer ends the wait first, as for a pipe with nothing to read.
    p.world().before_blocking_outside()?;
    // Polling starts fast (a partner process often answers at once) and slows down.
    let mut pause = Duration::from_micros(50);
    let start = Instant::now();
    loop {
        let left = match timeout {
            Some(t) if start.elapsed() >= t => {
                if p.world().kind() != crate::world::Kind::Host {
                    p.world().sleep(t.as_secs() as i64, t.subsec_nanos() as i64);
                }
                return Err(E::EAGAIN);
            }
            Some(t) => (t - start.elapsed()).min(SLICE),
            None => SLICE,
        };
        if !in_host {
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(Duration::from_millis(10));
        }
        match attempt(in_host.then_some(left)) {
            Err(e) if e == how.busy || e == E::EINTR => {}
            r => return r,
        }
        p.collect_host_signals();
        if p.has_deliverable() {
            return Err(E::EINTR);
        }
    }
}
