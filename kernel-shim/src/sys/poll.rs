//! Waiting on several descriptors: poll, ppoll, select, pselect6, the epoll family built
//! on the same readiness check, and eventfd.

use super::{read_array, read_struct, read_timespec, write_array, Args, SysResult};
use crate::abi::io::{EpollEvent, Pollfd};
use crate::abi::signal::{SigsetArgpack, SIGSET_SIZE};
use crate::abi::time::Timeval;
use crate::abi::{errno as E, open as O};
use crate::fd::{Backing, FdEntry, FileRef, OpenFile, ReadyPipe};
use crate::host::Errno;
use crate::Process;
use std::cell::RefCell;
use std::rc::Rc;

use crate::abi::io::{POLLIN, POLLOUT};
const POLLNVAL: u16 = 0x20;

/// How to learn the readiness of one guest fd: ask the host about a host fd, or the
/// answer is known already.
enum Probe {
    Host(i32),
    Known(u16),
}

fn probe(p: &Process, fd: i64, events: u16) -> Probe {
    let Ok(f) = p.fds.file(fd) else { return Probe::Known(POLLNVAL) };
    let of = f.borrow();
    match &of.backing {
        Backing::Host(h) => Probe::Host(*h),
        Backing::Memory(_) => Probe::Known(events & (POLLIN | POLLOUT | 0x40 | 0x100)),
        // An eventfd is always writable here; its pipe tells when it is readable.
        Backing::EventFd { ready, .. } if events & POLLIN != 0 => Probe::Host(ready.rd),
        Backing::EventFd { .. } => Probe::Known(events & POLLOUT),
        // A timerfd due now is readable before emu has counted the expiry; otherwise
        // its pipe is set when it expires.
        Backing::TimerFd(t) if t.due(crate::signal::timers::now_ns(&p.world, t.clock)) => {
            Probe::Known(events & POLLIN)
        }
        Backing::TimerFd(t) if events & POLLIN != 0 => Probe::Host(t.ready.rd),
        Backing::TimerFd(_) => Probe::Known(0),
        // A signal arriving ends any wait (EINTR, then a fresh look).
        Backing::SignalFd { mask } => {
            Probe::Known(if p.signals.pending & mask != 0 { events & POLLIN } else { 0 })
        }
        Backing::Inotify(i) => Probe::Host(i.host),
        Backing::Epoll(list) => {
            let any = list
                .iter()
                .any(|&(g, ev, _)| g != fd && readiness(p, &[(g, ev as u16)], 0).is_ok_and(|r| r[0] != 0));
            Probe::Known(if any { events & POLLIN } else { 0 })
        }
    }
}

/// Readiness as `readiness`, but when other threads can run, a wait that finds nothing
/// ready parks this thread and is retried (keeping its original deadline).
fn readiness_mt(p: &mut Process, set: &[(i64, u16)], timeout_ms: i32) -> Result<Vec<u16>, Errno> {
    p.arm_timers_before_waiting();
    if !p.multithreaded() || timeout_ms == 0 {
        return readiness(p, set, timeout_ms);
    }
    let now = p.world().instant();
    let deadline = *p.cur_mut().deadline.get_or_insert_with(|| {
        if timeout_ms < 0 {
            now + std::time::Duration::from_secs(u32::MAX as u64)
        } else {
            now + std::time::Duration::from_millis(timeout_ms as u64)
        }
    });
    let r = readiness(p, set, 0)?;
    if r.iter().any(|&v| v != 0) || deadline <= now {
        p.cur_mut().deadline = None;
        return Ok(r);
    }
    // Poll again soon: descriptors emu generates have no host fd to wait on.
    p.park(crate::thread::Wait::Retry { at: (now + std::time::Duration::from_millis(2)).min(deadline) });
    Err(crate::thread::E_WOULDBLOCK)
}

/// Readiness of each (guest fd, events) pair, waiting up to `timeout_ms` (< 0: forever)
/// for at least one to become ready.
fn readiness(p: &Process, set: &[(i64, u16)], timeout_ms: i32) -> Result<Vec<u16>, Errno> {
    let mut out = vec![0u16; set.len()];
    let mut host_set = Vec::new();
    let mut host_idx = Vec::new();
    let mut any_known = false;
    for (i, &(fd, ev)) in set.iter().enumerate() {
        match probe(p, fd, ev) {
            Probe::Host(h) => {
                host_set.push((h, ev));
                host_idx.push(i);
            }
            Probe::Known(r) => {
                out[i] = r;
                any_known |= r != 0;
            }
        }
    }
    let t = if any_known { 0 } else { timeout_ms };
    if host_set.is_empty() {
        if !any_known && t != 0 {
            // Nothing to wait on but time (and signals). A signal ends the wait: the
            // dispatcher takes it and, if nothing handles it, asks again (a signalfd may
            // be ready now).
            wait_timeout(p, t);
            if p.world().signals_pending() {
                return Err(E::EINTR);
            }
        }
        return Ok(out);
    }
    let r = p.world().poll(&host_set, t)?;
    for (k, i) in host_idx.into_iter().enumerate() {
        out[i] = r[k];
    }
    Ok(out)
}

fn wait_timeout(p: &Process, ms: i32) {
    if ms < 0 {
        loop {
            p.world().wait_for_signal();
            if p.world().signals_pending() {
                return;
            }
        }
    }
    p.world().sleep(ms as i64 / 1000, (ms as i64 % 1000) * 1_000_000);
}

fn do_poll(p: &mut Process, addr: u64, n: u64, timeout_ms: i32) -> SysResult {
    if n > p.fds.limit() as u64 {
        return Err(E::EINVAL);
    }
    let mut fds = read_array::<Pollfd>(p, addr, n as usize)?;
    // Negative fds are skipped (revents 0), as Linux does.
    let active: Vec<usize> = (0..fds.len()).filter(|&i| fds[i].fd >= 0).collect();
    let sub: Vec<(i64, u16)> = active.iter().map(|&i| (fds[i].fd as i64, fds[i].events)).collect();
    let r = readiness_mt(p, &sub, timeout_ms)?;
    for f in fds.iter_mut() {
        f.revents = 0;
    }
    let mut ready = 0;
    for (k, &i) in active.iter().enumerate() {
        // POLLERR, POLLHUP and POLLNVAL are reported whether asked for or not.
        let rev = r[k] & (fds[i].events | 0x8 | 0x10 | 0x20);
        fds[i].revents = rev;
        ready += (rev != 0) as u64;
    }
    write_array(p, addr, &fds)?;
    Ok(ready)
}

pub(super) fn poll(p: &mut Process, a: &Args) -> SysResult {
    do_poll(p, a.ptr(0), a.ulong(1), a.int(2))
}

/// A ppoll/pselect6 timeout in milliseconds (rounded up), -1 for none.
fn timespec_ms(p: &mut Process, addr: u64) -> Result<i32, Errno> {
    if addr == 0 {
        return Ok(-1);
    }
    Ok(read_timespec(p, addr)?.to_millis_ceil())
}

/// Runs `f` with the signal mask temporarily replaced (ppoll/pselect6/epoll_pwait).
fn with_mask(
    p: &mut Process,
    mask_addr: u64,
    size: u64,
    f: impl FnOnce(&mut Process) -> SysResult,
) -> SysResult {
    if mask_addr == 0 {
        return f(p);
    }
    if size != SIGSET_SIZE {
        return Err(E::EINVAL);
    }
    let m = read_struct::<u64>(p, mask_addr)?;
    let old = p.signals.mask;
    p.signals.mask = m & !((1 << 8) | (1 << 18));
    let r = f(p);
    if r == Err(E::EINTR) {
        // The handler runs with the temporary mask; sigreturn restores the old one.
        p.saved_mask = Some(old);
    } else {
        p.signals.mask = old;
    }
    r
}

pub(super) fn ppoll(p: &mut Process, a: &Args) -> SysResult {
    let t = timespec_ms(p, a.ptr(2))?;
    let (fds, n, mask) = (a.ptr(0), a.ulong(1), a.ptr(3));
    with_mask(p, mask, a.ulong(4), |p| do_poll(p, fds, n, t))
}

fn do_select(p: &mut Process, n: i32, sets: [u64; 3], timeout_ms: i32) -> SysResult {
    if !(0..=crate::fd::MAX_FDS as i32).contains(&n) {
        return Err(E::EINVAL);
    }
    let words = (n as usize).div_ceil(64);
    let mut bits = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
    for k in 0..3 {
        if sets[k] != 0 {
            bits[k] = read_array::<u64>(p, sets[k], words)?;
        }
    }
    let mut set = Vec::new();
    for fd in 0..n as i64 {
        let (w, b) = ((fd / 64) as usize, fd % 64);
        let mut ev = 0u16;
        if bits[0][w] >> b & 1 != 0 {
            ev |= POLLIN;
        }
        if bits[1][w] >> b & 1 != 0 {
            ev |= POLLOUT;
        }
        if bits[2][w] >> b & 1 != 0 {
            ev |= 0x2;
        }
        if ev != 0 {
            if p.fds.get(fd).is_err() {
                return Err(E::EBADF);
            }
            set.push((fd, ev));
        }
    }
    let r = readiness_mt(p, &set, timeout_ms)?;
    let mut out = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
    let mut count = 0;
    for (&(fd, ev), &rev) in set.iter().zip(&r) {
        let (w, b) = ((fd / 64) as usize, fd % 64);
        // Errors and hang-ups make a descriptor readable/writable for select.
        let hup = rev & (0x8 | 0x10) != 0;
        let marks = [
            ev & POLLIN != 0 && (rev & POLLIN != 0 || hup),
            ev & POLLOUT != 0 && (rev & POLLOUT != 0 || hup),
            ev & 2 != 0 && rev & 2 != 0,
        ];
        for k in 0..3 {
            if marks[k] {
                out[k][w] |= 1 << b;
                count += 1;
            }
        }
    }
    for k in 0..3 {
        if sets[k] != 0 {
            write_array(p, sets[k], &out[k])?;
        }
    }
    Ok(count)
}

pub(super) fn select(p: &mut Process, a: &Args) -> SysResult {
    let (n, sets, timeout) = (a.int(0), [a.ptr(1), a.ptr(2), a.ptr(3)], a.ptr(4));
    let t = if timeout == 0 {
        -1
    } else {
        // Unlike a timespec, select's timeval may carry whole seconds in tv_usec.
        let Timeval { sec, usec } = read_struct(p, timeout)?;
        if sec < 0 || usec < 0 {
            return Err(E::EINVAL);
        }
        (sec * 1000 + (usec + 999) / 1000).min(i32::MAX as i64) as i32
    };
    do_select(p, n, sets, t)
}

pub(super) fn pselect6(p: &mut Process, a: &Args) -> SysResult {
    let t = timespec_ms(p, a.ptr(4))?;
    // The sixth argument points at { const sigset_t *ss; size_t ss_len; }.
    let sigmask = a.ptr(5);
    let pack =
        if sigmask != 0 { read_struct::<SigsetArgpack>(p, sigmask)? } else { SigsetArgpack::default() };
    let (n, sets) = (a.int(0), [a.ptr(1), a.ptr(2), a.ptr(3)]);
    with_mask(p, pack.ss, pack.len, |p| do_select(p, n, sets, t))
}

// ---- epoll ----

const EPOLL_CTL_ADD: i32 = 1;
const EPOLL_CTL_DEL: i32 = 2;
const EPOLL_CTL_MOD: i32 = 3;
const EPOLLONESHOT: u32 = 1 << 30;

pub(super) fn new_fd(p: &mut Process, backing: Backing, flags: u32, cloexec: bool) -> SysResult {
    let f = Rc::new(RefCell::new(OpenFile::new(backing, flags)));
    p.fds.alloc(FdEntry { file: f, cloexec }, 0).map(|fd| fd as u64)
}

pub(super) fn epoll_create1(p: &mut Process, a: &Args) -> SysResult {
    let flags = a.int(0) as u32;
    if flags & !O::O_CLOEXEC != 0 {
        return Err(E::EINVAL);
    }
    new_fd(p, Backing::Epoll(Vec::new()), O::O_RDWR, flags != 0)
}

pub(super) fn epoll_create(p: &mut Process, a: &Args) -> SysResult {
    if a.int(0) <= 0 {
        return Err(E::EINVAL);
    }
    new_fd(p, Backing::Epoll(Vec::new()), O::O_RDWR, false)
}

fn epoll_of(p: &Process, epfd: i64) -> Result<FileRef, Errno> {
    p.fds.file_of(epfd, |b| matches!(b, Backing::Epoll(_)))
}

pub(super) fn epoll_ctl(p: &mut Process, a: &Args) -> SysResult {
    let (epfd, op, fd, event) = (a.fd(0), a.int(1), a.fd(2), a.ptr(3));
    let ep = epoll_of(p, epfd)?;
    p.fds.get(fd)?;
    if fd == epfd {
        return Err(E::EINVAL);
    }
    // EPOLL_CTL_DEL ignores the event (it may be NULL).
    let EpollEvent { events, data } =
        if op != EPOLL_CTL_DEL { read_struct(p, event)? } else { EpollEvent::default() };
    let mut of = ep.borrow_mut();
    let Backing::Epoll(list) = &mut of.backing else { return Err(E::EINVAL) };
    let pos = list.iter().position(|e| e.0 == fd);
    match (op, pos) {
        (EPOLL_CTL_ADD, Some(_)) => Err(E::EEXIST),
        (EPOLL_CTL_ADD, None) => {
            list.push((fd, events, data));
            Ok(0)
        }
        (EPOLL_CTL_MOD, Some(i)) => {
            list[i] = (fd, events, data);
            Ok(0)
        }
        (EPOLL_CTL_DEL, Some(i)) => {
            list.remove(i);
            Ok(0)
        }
        (EPOLL_CTL_MOD | EPOLL_CTL_DEL, None) => Err(E::ENOENT),
        _ => Err(E::EINVAL),
    }
}

fn do_epoll_wait(p: &mut Process, epfd: i64, out: u64, max: i32, timeout: i32) -> SysResult {
    if max <= 0 {
        return Err(E::EINVAL);
    }
    let ep = epoll_of(p, epfd)?;
    let list = match &ep.borrow().backing {
        Backing::Epoll(l) => l.clone(),
        _ => return Err(E::EINVAL),
    };
    // Closed fds drop out of the interest list, as their last reference goes away.
    let live: Vec<(i64, u32, u64)> =
        list.into_iter().filter(|e| p.fds.get(e.0).is_ok() && e.1 & !EPOLLONESHOT & 0xffff != 0).collect();
    let set: Vec<(i64, u16)> = live.iter().map(|e| (e.0, (e.1 & 0xffff) as u16)).collect();
    let r = readiness_mt(p, &set, timeout)?;
    let mut ready = Vec::new();
    let mut fired = Vec::new();
    for (e, rev) in live.iter().zip(r) {
        let rev = rev & ((e.1 as u16) | 0x8 | 0x10);
        if rev != 0 && ready.len() < max as usize {
            ready.push(EpollEvent { events: rev as u32, data: e.2 });
            if e.1 & EPOLLONESHOT != 0 {
                fired.push(e.0);
            }
        }
    }
    if !fired.is_empty() {
        if let Backing::Epoll(l) = &mut ep.borrow_mut().backing {
            for e in l.iter_mut().filter(|e| fired.contains(&e.0)) {
                e.1 &= EPOLLONESHOT | (1 << 31);
            }
        }
    }
    write_array(p, out, &ready)?;
    Ok(ready.len() as u64)
}

pub(super) fn epoll_wait(p: &mut Process, a: &Args) -> SysResult {
    do_epoll_wait(p, a.fd(0), a.ptr(1), a.int(2), a.int(3))
}

pub(super) fn epoll_pwait(p: &mut Process, a: &Args) -> SysResult {
    let (epfd, out, max, t, mask) = (a.fd(0), a.ptr(1), a.int(2), a.int(3), a.ptr(4));
    with_mask(p, mask, a.ulong(5), |p| do_epoll_wait(p, epfd, out, max, t))
}

pub(super) fn epoll_pwait2(p: &mut Process, a: &Args) -> SysResult {
    let t = timespec_ms(p, a.ptr(3))?;
    let (epfd, out, max, mask) = (a.fd(0), a.ptr(1), a.int(2), a.ptr(4));
    with_mask(p, mask, a.ulong(5), |p| do_epoll_wait(p, epfd, out, max, t))
}

// ---- eventfd ----

const EFD_SEMAPHORE: u32 = 1;

fn do_eventfd(p: &mut Process, initval: u32, flags: u32) -> SysResult {
    if flags & !(EFD_SEMAPHORE | O::O_NONBLOCK | O::O_CLOEXEC) != 0 {
        return Err(E::EINVAL);
    }
    let ready = ReadyPipe::new()?;
    let count = initval as u64;
    ready.set(count > 0);
    let st = O::O_RDWR | (flags & O::O_NONBLOCK);
    new_fd(
        p,
        Backing::EventFd { count, semaphore: flags & EFD_SEMAPHORE != 0, ready },
        st,
        flags & O::O_CLOEXEC != 0,
    )
}

pub(super) fn eventfd2(p: &mut Process, a: &Args) -> SysResult {
    do_eventfd(p, a.uint(0), a.int(1) as u32)
}

pub(super) fn eventfd(p: &mut Process, a: &Args) -> SysResult {
    do_eventfd(p, a.uint(0), 0)
}

/// An eventfd read: the counter (or 1 of it, as a semaphore), or EAGAIN when it is zero
/// (the caller waits for the readiness pipe when the descriptor blocks).
pub(crate) fn eventfd_read(f: &FileRef, len: usize) -> Result<u64, Errno> {
    if len < 8 {
        return Err(E::EINVAL);
    }
    let mut of = f.borrow_mut();
    let Backing::EventFd { count, semaphore, ready } = &mut of.backing else { return Err(E::EINVAL) };
    if *count == 0 {
        return Err(E::EAGAIN);
    }
    let v = if *semaphore { 1 } else { *count };
    *count -= v;
    ready.set(*count > 0);
    Ok(v)
}

pub(crate) fn eventfd_write(f: &FileRef, v: u64) -> Result<(), Errno> {
    if v == u64::MAX {
        return Err(E::EINVAL);
    }
    let mut of = f.borrow_mut();
    let Backing::EventFd { count, ready, .. } = &mut of.backing else { return Err(E::EINVAL) };
    if *count > u64::MAX - 1 - v {
        return Err(E::EAGAIN);
    }
    *count += v;
    ready.set(*count > 0);
    Ok(())
}
