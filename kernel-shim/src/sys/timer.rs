//! POSIX per-process timers' syscalls: timer_create, timer_settime, timer_gettime,
//! timer_getoverrun, timer_delete. The timers themselves, and their expiry, are the
//! signal code's (`signal/timers.rs`).

use super::{read_struct, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::signal::{SigEvent, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID, SI_TIMER};
use crate::abi::time::{Itimerspec, Timespec};
use crate::signal::timers::{now_ns, Notify, Timer};
use crate::signal::{bit, SigInfo};
use crate::Process;

const TIMER_ABSTIME: i32 = 1;
/// Each process may have this many timers here (Linux's limit is RLIMIT_SIGPENDING).
const MAX_TIMERS: usize = 4096;

/// The clock a timer runs on: REALTIME, MONOTONIC, PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID,
/// BOOTTIME, or a CPU-time clock id as glibc encodes it (negative: ~pid << 3 | thread << 2 |
/// kind) for this process or thread.
fn timer_clock(clock: i32, me: i32) -> Result<i32, i32> {
    match clock {
        0 | 1 | 2 | 3 | 7 => Ok(clock),
        // The *_ALARM clocks need CAP_WAKE_ALARM.
        8 | 9 => Err(E::EPERM),
        c if c < 0 => {
            let (pid, thread, kind) = (!(c >> 3), c & 4 != 0, c & 3);
            if kind == 3 || pid != 0 && pid != me {
                return Err(E::EINVAL);
            }
            Ok(if thread { 3 } else { 2 })
        }
        _ => Err(E::EINVAL),
    }
}

/// The timer `timer_t` `id` names (an `int` in the kernel, passed as a long: an id out
/// of int range names none).
fn find(p: &mut Process, id: i64) -> Result<usize, i32> {
    let id = i32::try_from(id).map_err(|_| E::EINVAL)?;
    p.timers.list.iter().position(|t| t.id == id).ok_or(E::EINVAL)
}

pub(super) fn timer_create(p: &mut Process, a: &Args) -> SysResult {
    let (sevp, idp) = (a.ptr(1), a.ptr(2));
    let me = p.world().pid();
    let clock = timer_clock(a.int(0), me)?;
    if p.timers.list.len() >= MAX_TIMERS {
        return Err(E::EAGAIN);
    }
    // The lowest free id, as Linux hands them out in a fresh process.
    let id = (0..).find(|i| p.timers.list.iter().all(|t| t.id != *i)).expect("an id is free");
    let (notify, signo, value) = if sevp == 0 {
        (Notify::Signal, crate::abi::signal::SIGALRM, id as u64)
    } else {
        let ev = read_struct::<SigEvent>(p, sevp)?;
        let notify = match ev.notify {
            SIGEV_NONE => Notify::None,
            SIGEV_SIGNAL => Notify::Signal,
            x if x == SIGEV_SIGNAL | SIGEV_THREAD_ID => {
                if p.threads.iter().all(|t| t.tid != ev.tid) {
                    return Err(E::EINVAL);
                }
                Notify::Thread(ev.tid)
            }
            _ => return Err(E::EINVAL),
        };
        if notify != Notify::None && !(1..=64).contains(&ev.signo) {
            return Err(E::EINVAL);
        }
        (notify, ev.signo, ev.value)
    };
    write_struct(p, idp, &id)?;
    p.timers.list.push(Timer {
        id,
        clock: clock as u32,
        notify,
        signo,
        value,
        next: None,
        interval: 0,
        overrun_last: 0,
        queued_overrun: None,
    });
    Ok(0)
}

/// The itimerspec of timer `i`: (interval, time left).
fn current(p: &Process, i: usize) -> Itimerspec {
    let t = &p.timers.list[i];
    let left = t.next.map_or(0, |n| (n - now_ns(&p.world, t.clock)).max(1));
    Itimerspec { interval: Timespec::from_nanos(t.interval), value: Timespec::from_nanos(left) }
}

pub(super) fn timer_settime(p: &mut Process, a: &Args) -> SysResult {
    let (i, flags, new, old) = (find(p, a.long(0))?, a.int(1), a.ptr(2), a.ptr(3));
    let new = read_struct::<Itimerspec>(p, new)?;
    p.fire_due_timers();
    let (interval, value) = (new.interval.checked()?.as_nanos(), new.value.checked()?.as_nanos());
    if old != 0 {
        let cur = current(p, i);
        write_struct(p, old, &cur)?;
    }
    let t = &mut p.timers.list[i];
    t.interval = interval;
    t.next = match value {
        0 => None,
        v if flags & TIMER_ABSTIME != 0 => Some(v),
        v => Some(now_ns(&p.world, t.clock) + v),
    };
    // An absolute time already past fires now.
    p.fire_due_timers();
    Ok(0)
}

pub(super) fn timer_gettime(p: &mut Process, a: &Args) -> SysResult {
    let i = find(p, a.long(0))?;
    p.fire_due_timers();
    let cur = current(p, i);
    write_struct(p, a.ptr(1), &cur)?;
    Ok(0)
}

pub(super) fn timer_getoverrun(p: &mut Process, a: &Args) -> SysResult {
    let i = find(p, a.long(0))?;
    p.note_delivered(i);
    Ok(p.timers.list[i].overrun_last as u64)
}

pub(super) fn timer_delete(p: &mut Process, a: &Args) -> SysResult {
    let i = find(p, a.long(0))?;
    // Its queued signal goes with it.
    if p.queued_timer_signal(i).is_some() {
        let (id, sig) = (p.timers.list[i].id, p.timers.list[i].signo);
        let mine = |s: &SigInfo| s.code == SI_TIMER && s.pid == id;
        let gone = if sig >= 32 {
            let q = &mut p.signals.rt_queue[sig as usize];
            q.retain(|s| !mine(s));
            q.is_empty()
        } else {
            true
        };
        if gone {
            let me = p.running_tid();
            match p.timers.list[i].notify {
                Notify::Thread(tid) if Some(tid) != me => {
                    if let Some(t) = p.threads.iter_mut().find(|t| t.tid == tid) {
                        t.sig_pending &= !bit(sig);
                    }
                }
                _ => p.signals.pending &= !bit(sig),
            }
        }
    }
    p.timers.list.remove(i);
    p.arm_timer_wakeup();
    Ok(0)
}
