//! POSIX per-process timers: timer_create, timer_settime, timer_gettime, timer_getoverrun,
//! timer_delete. Emu keeps the timers itself: expiry is decided from the gate's clocks (so
//! time stays deterministic/recordable), and a host wake-up (`host::wake_after`)
//! interrupts the guest or a blocked host call when the earliest one is due, like the host
//! SIGALRM of alarm/setitimer does. Expired timers queue a signal with si_code SI_TIMER;
//! expirations while that signal is still pending count as overruns, as on Linux.
//! Timers are not inherited by a fork child and are deleted by execve.

use super::{read_struct, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::signal::{SigEvent, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID, SI_TIMER};
use crate::abi::time::{Itimerspec, Timespec};
use crate::signal::{bit, SigInfo};
use crate::{gate, Process};

const TIMER_ABSTIME: i32 = 1;
/// Linux caps si_overrun and timer_getoverrun at this (DELAYTIMER_MAX).
const DELAYTIMER_MAX: i64 = i32::MAX as i64;
/// Each process may have this many timers here (Linux's limit is RLIMIT_SIGPENDING).
const MAX_TIMERS: usize = 4096;
const NS: i128 = 1_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notify {
    None,
    /// The process gets the signal.
    Signal,
    /// The thread with this tid gets it (SIGEV_THREAD_ID).
    Thread(i32),
}

#[derive(Clone, Debug)]
struct Timer {
    id: i32,
    clock: u32,
    notify: Notify,
    signo: i32,
    /// si_value (sigev_value).
    value: u64,
    /// Next expiry on `clock`, in nanoseconds; None while disarmed.
    next: Option<i128>,
    /// Period in nanoseconds (0: one-shot).
    interval: i128,
    /// Overrun count of the last signal delivered (timer_getoverrun).
    overrun_last: i32,
    /// Overrun count of the signal queued last, until it is delivered.
    queued_overrun: Option<i32>,
}

/// The process's timers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timers {
    list: Vec<Timer>,
}

fn now_ns(clock: u32) -> i128 {
    let (s, ns) = gate::clock_gettime(clock);
    s as i128 * NS + ns as i128
}

/// The clock a timer runs on: REALTIME, MONOTONIC, PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID,
/// BOOTTIME, or a CPU-time clock id as glibc encodes it (negative: ~pid << 3 | thread << 2 |
/// kind) for this process or thread.
fn timer_clock(clock: i32) -> Result<i32, i32> {
    match clock {
        0 | 1 | 2 | 3 | 7 => Ok(clock),
        // The *_ALARM clocks need CAP_WAKE_ALARM.
        8 | 9 => Err(E::EPERM),
        c if c < 0 => {
            let (pid, thread, kind) = (!(c >> 3), c & 4 != 0, c & 3);
            if kind == 3 || pid != 0 && pid != gate::pid() {
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
    let clock = timer_clock(a.int(0))?;
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
    let left = t.next.map_or(0, |n| (n - now_ns(t.clock)).max(1));
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
        v => Some(now_ns(t.clock) + v),
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

impl Process {
    /// The queued, not yet delivered signal of timer `i`, if any.
    fn queued_timer_signal(&mut self, i: usize) -> Option<&mut SigInfo> {
        let (id, sig) = (self.timers.list[i].id, self.timers.list[i].signo);
        if !(1..=64).contains(&sig) {
            return None;
        }
        let matches = |s: &SigInfo| s.code == SI_TIMER && s.pid == id;
        // The running thread's directed signals are in the process's set already.
        let running = self.running_tid();
        let pending = self.signals.pending & bit(sig) != 0
            || self.threads.iter().any(|t| Some(t.tid) != running && t.sig_pending & bit(sig) != 0);
        if sig >= 32 {
            self.signals.rt_queue[sig as usize].iter_mut().find(|s| matches(s))
        } else {
            let s = &mut self.signals.info[sig as usize];
            (pending && matches(s)).then_some(s)
        }
    }

    /// Records the overrun count of timer `i`'s signal once it has been delivered.
    fn note_delivered(&mut self, i: usize) {
        if self.timers.list[i].queued_overrun.is_some() && self.queued_timer_signal(i).is_none() {
            let t = &mut self.timers.list[i];
            t.overrun_last = t.queued_overrun.take().expect("checked");
        }
    }

    /// Fires every timer whose expiry has passed on its clock and re-arms the host
    /// wake-up for the next one. Called whenever emu looks at host signals.
    pub(crate) fn fire_due_timers(&mut self) {
        gate::take_wake_due();
        if self.timers.list.is_empty() {
            return;
        }
        for i in 0..self.timers.list.len() {
            let t = &mut self.timers.list[i];
            let Some(next) = t.next else { continue };
            let now = now_ns(t.clock);
            if now < next {
                continue;
            }
            // Expirations that passed since `next`, all of which happen now.
            let n = if t.interval > 0 { 1 + (now - next) / t.interval } else { 1 };
            t.next = (t.interval > 0).then(|| next + n * t.interval);
            self.note_delivered(i);
            self.timer_expired(i, n.min(DELAYTIMER_MAX as i128) as i64);
        }
        self.arm_timer_wakeup();
    }

    /// Timer `i` expired `n` times: queue its signal, or count overruns if the previous one
    /// is still pending.
    fn timer_expired(&mut self, i: usize, n: i64) {
        let t = self.timers.list[i].clone();
        if t.notify == Notify::None {
            return;
        }
        if let Some(s) = self.queued_timer_signal(i) {
            s.uid = (s.uid as i64 + n).min(DELAYTIMER_MAX) as u32;
            let ov = s.uid as i32;
            self.timers.list[i].queued_overrun = Some(ov);
            return;
        }
        let overrun = (n - 1) as i32;
        let info = SigInfo {
            signo: t.signo,
            code: SI_TIMER,
            pid: t.id,
            uid: overrun as u32,
            addr: t.value,
            value: true,
            ..Default::default()
        };
        if self.signals.ignored(t.signo) {
            return;
        }
        self.timers.list[i].queued_overrun = Some(overrun);
        match t.notify {
            Notify::Thread(tid) if Some(tid) != self.running_tid() => {
                let Some(k) = self.threads.iter().position(|th| th.tid == tid) else { return };
                self.store_siginfo(info);
                self.threads[k].sig_pending |= bit(t.signo);
                if self.threads[k].sigmask & bit(t.signo) == 0 {
                    self.interrupt_thread(k);
                }
            }
            Notify::Thread(_) => {
                self.store_siginfo(info);
                self.signals.pending |= bit(t.signo);
                self.cur_mut().sig_pending |= bit(t.signo);
            }
            _ => self.raise(info),
        }
    }

    /// The thread on the CPU, if any: timers also fire while emu schedules, when the
    /// current thread's registers (and its own signals) are already saved.
    fn running_tid(&self) -> Option<i32> {
        let t = &self.threads[self.cur];
        t.ctx.is_none().then_some(t.tid)
    }

    fn store_siginfo(&mut self, info: SigInfo) {
        if info.signo >= 32 {
            self.signals.rt_queue[info.signo as usize].push_back(info);
        } else {
            self.signals.info[info.signo as usize] = info;
        }
    }

    /// Asks the host to wake emu when the earliest armed timer is due.
    fn arm_timer_wakeup(&mut self) {
        let next = self
            .timers
            .list
            .iter()
            .filter_map(|t| t.next.map(|n| (n - now_ns(t.clock)).max(0)))
            .min()
            .map(|ns| std::time::Duration::from_nanos(ns.min(u64::MAX as i128) as u64));
        gate::wake_after(next);
    }

    /// fork child and execve: no timers survive.
    pub(crate) fn drop_timers(&mut self) {
        self.timers = Timers::default();
        gate::wake_after(None);
    }
}
