//! timerfd: timerfd_create, timerfd_settime, timerfd_gettime, and a timerfd's read (the
//! expirations since the last one, as a u64). The timer is emu's own (`anon::TimerFd`);
//! its expiry is watched with the POSIX timers' (`signal/timers.rs`), on the world's
//! clocks, so it follows virtual time under `--deterministic`.

use super::{read_struct, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::events::{TFD_CLOEXEC, TFD_NONBLOCK, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET};
use crate::abi::open as O;
use crate::abi::time::Itimerspec;
use crate::abi::GuestStruct;
use crate::fd::{Backing, FileRef, TimerFd};
use crate::host::Errno;
use crate::signal::timers::{now_ns, with_timerfd};
use crate::Process;

pub(super) fn timerfd_create(p: &mut Process, a: &Args) -> SysResult {
    let (clock, flags) = (a.int(0), a.int(1) as u32);
    if flags & !(TFD_CLOEXEC | TFD_NONBLOCK) != 0 {
        return Err(E::EINVAL);
    }
    // REALTIME, MONOTONIC, BOOTTIME and the *_ALARM clocks (which a root guest may use).
    if !matches!(clock, 0 | 1 | 7 | 8 | 9) {
        return Err(E::EINVAL);
    }
    let t = TimerFd::new(clock as u32)?;
    super::poll::new_fd(
        p,
        Backing::TimerFd(Box::new(t)),
        O::O_RDWR | (flags & TFD_NONBLOCK),
        flags & TFD_CLOEXEC != 0,
    )
}

/// The timerfd `fd` names: EBADF if it is not open, EINVAL if it is not a timerfd.
fn timerfd(p: &Process, fd: i64) -> Result<FileRef, Errno> {
    p.fds.file_of(fd, |b| matches!(b, Backing::TimerFd(_)))
}

/// Its setting now, with the expirations up to now counted.
fn current(p: &Process, f: &FileRef) -> Itimerspec {
    with_timerfd(f, |t| {
        let now = now_ns(&p.world, t.clock);
        t.update(now);
        t.setting(now)
    })
    .unwrap_or_default()
}

pub(super) fn timerfd_settime(p: &mut Process, a: &Args) -> SysResult {
    let (fd, flags, new, old) = (a.fd(0), a.int(1) as u32, a.ptr(2), a.ptr(3));
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(E::EINVAL);
    }
    let new = read_struct::<Itimerspec>(p, new)?;
    let (interval, value) = (new.interval.checked()?.as_nanos(), new.value.checked()?.as_nanos());
    let f = timerfd(p, fd)?;
    if old != 0 {
        let cur = current(p, &f);
        write_struct(p, old, &cur)?;
    }
    with_timerfd(&f, |t| {
        let now = now_ns(&p.world, t.clock);
        t.arm(value, interval, flags & TFD_TIMER_ABSTIME != 0, now);
        // An absolute time already past counts at once.
        t.update(now);
    });
    p.watch_timerfd(&f);
    p.arm_timer_wakeup();
    Ok(0)
}

pub(super) fn timerfd_gettime(p: &mut Process, a: &Args) -> SysResult {
    let f = timerfd(p, a.fd(0))?;
    let cur = current(p, &f);
    write_struct(p, a.ptr(1), &cur)?;
    Ok(0)
}

/// A read: the expirations since the last read (EAGAIN while there are none; the caller
/// waits for the readiness pipe when the descriptor blocks).
pub(super) fn read(p: &mut Process, f: &FileRef, len: usize) -> Result<Vec<u8>, Errno> {
    if len < u64::SIZE {
        return Err(E::EINVAL);
    }
    let n = with_timerfd(f, |t| {
        t.update(now_ns(&p.world, t.clock));
        t.take()
    })
    .ok_or(E::EINVAL)?;
    if n == 0 {
        return Err(E::EAGAIN);
    }
    Ok(n.to_bytes())
}
