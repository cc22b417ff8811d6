//! POSIX per-process timers (timer_create and friends): their state, and their expiry,
//! which queues a signal with si_code SI_TIMER. Expiry is decided from the world's clocks
//! (so time stays deterministic/recordable), and a host wake-up (`host::wake_after`)
//! interrupts the guest or a blocked host call when the earliest one is due, like the host
//! SIGALRM of alarm/setitimer does. Expirations while the signal is still pending count as
//! overruns, as on Linux. Timers are not inherited by a fork child and are deleted by
//! execve. The syscalls are in `sys/timer.rs`.
//!
//! timerfds (`anon::TimerFd`, syscalls in `sys/timerfd.rs`) expire the same way: checked
//! here with the POSIX timers, the host wake-up armed for the earliest of all. An expiry
//! counts for the next read and sets the descriptor's readiness pipe. The process keeps a
//! weak reference to each armed timerfd's description, which lives in the fd table:
//! closing its last descriptor ends the timer. A forked child gets its own copy of the
//! timer (Linux shares one between the two processes).

use super::{bit, SigInfo};
use crate::abi::signal::SI_TIMER;
use crate::fd::{Backing, FileRef, TimerFd};
use crate::world::{Clock, Shared};
use crate::Process;
use std::rc::Rc;

/// Linux caps si_overrun and timer_getoverrun at this (DELAYTIMER_MAX).
const DELAYTIMER_MAX: i64 = i32::MAX as i64;
pub(crate) const NS: i128 = 1_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Notify {
    None,
    /// The process gets the signal.
    Signal,
    /// The thread with this tid gets it (SIGEV_THREAD_ID).
    Thread(i32),
}

#[derive(Clone, Debug)]
pub(crate) struct Timer {
    pub(crate) id: i32,
    pub(crate) clock: u32,
    pub(crate) notify: Notify,
    pub(crate) signo: i32,
    /// si_value (sigev_value).
    pub(crate) value: u64,
    /// Next expiry on `clock`, in nanoseconds; None while disarmed.
    pub(crate) next: Option<i128>,
    /// Period in nanoseconds (0: one-shot).
    pub(crate) interval: i128,
    /// Overrun count of the last signal delivered (timer_getoverrun).
    pub(crate) overrun_last: i32,
    /// Overrun count of the signal queued last, until it is delivered.
    pub(crate) queued_overrun: Option<i32>,
}

/// The process's timers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timers {
    pub(crate) list: Vec<Timer>,
    /// The timerfds that were armed, while their description lives.
    pub(crate) fds: Vec<std::rc::Weak<std::cell::RefCell<crate::fd::OpenFile>>>,
    /// The host wake-up is not armed for the timerfds (after fork or execve).
    pub(crate) rearm: bool,
}

/// The time on Linux clock `clock` in `world`, in nanoseconds.
pub(crate) fn now_ns(world: &Shared, clock: u32) -> i128 {
    let (s, ns) = world.clock_gettime(Clock::from_linux(clock));
    s as i128 * NS + ns as i128
}

impl Process {
    /// The queued, not yet delivered signal of timer `i`, if any.
    pub(crate) fn queued_timer_signal(&mut self, i: usize) -> Option<&mut SigInfo> {
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
    pub(crate) fn note_delivered(&mut self, i: usize) {
        if self.timers.list[i].queued_overrun.is_some() && self.queued_timer_signal(i).is_none() {
            let t = &mut self.timers.list[i];
            t.overrun_last = t.queued_overrun.take().expect("checked");
        }
    }

    /// Fires every timer whose expiry has passed on its clock and re-arms the host
    /// wake-up for the next one. Called whenever emu looks at host signals.
    pub(crate) fn fire_due_timers(&mut self) {
        self.world().take_wake_due();
        if self.timers.list.is_empty() && self.timers.fds.is_empty() {
            return;
        }
        self.fire_timerfds();
        for i in 0..self.timers.list.len() {
            let t = &mut self.timers.list[i];
            let Some(next) = t.next else { continue };
            let now = now_ns(&self.world, t.clock);
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
                self.raise_in_thread(k, info);
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
    pub(crate) fn running_tid(&self) -> Option<i32> {
        let t = &self.threads[self.cur];
        t.ctx.is_none().then_some(t.tid)
    }

    /// Asks the host to wake emu when the earliest armed timer is due.
    pub(crate) fn arm_timer_wakeup(&mut self) {
        self.timers.rearm = false;
        let next = self
            .timers
            .list
            .iter()
            .filter_map(|t| t.next.map(|n| (n - now_ns(&self.world, t.clock)).max(0)))
            .chain(self.next_timerfd_in())
            .min()
            .map(|ns| std::time::Duration::from_nanos(ns.min(u64::MAX as i128) as u64));
        self.world().wake_after(next);
    }

    /// Notes that timerfd `f` is armed, so that its expiry is watched.
    pub(crate) fn watch_timerfd(&mut self, f: &FileRef) {
        let fds = &mut self.timers.fds;
        fds.retain(|w| w.strong_count() > 0);
        if !fds.iter().any(|w| std::ptr::eq(w.as_ptr(), Rc::as_ptr(f))) {
            fds.push(Rc::downgrade(f));
        }
    }

    /// Counts the expirations of every armed timerfd.
    fn fire_timerfds(&mut self) {
        self.timers.fds.retain(|w| w.strong_count() > 0);
        for w in self.timers.fds.clone() {
            if let Some(f) = w.upgrade() {
                with_timerfd(&f, |t| t.update(now_ns(&self.world, t.clock)));
            }
        }
    }

    /// Nanoseconds until the earliest armed timerfd is due, if any.
    fn next_timerfd_in(&self) -> Option<i128> {
        let left = |t: &mut TimerFd| t.next.map(|n| (n - now_ns(&self.world, t.clock)).max(0));
        self.timers
            .fds
            .iter()
            .filter_map(|w| w.upgrade())
            .filter_map(|f| with_timerfd(&f, left).flatten())
            .min()
    }

    /// fork child and execve: no POSIX timer survives. timerfds do (they are
    /// descriptors); their wake-up is armed again before the next wait that one may end
    /// (`arm_timers_before_waiting`), inside a syscall whose effect is recorded, so that a
    /// replay (which keeps no timers) asks the world the same questions as the recording.
    pub(crate) fn drop_timers(&mut self) {
        self.timers.list.clear();
        self.world().wake_after(None);
        self.timers.rearm = !self.timers.fds.is_empty();
    }

    /// Before a wait a timerfd may end: arms the host wake-up that fork or execve left
    /// unarmed.
    pub(crate) fn arm_timers_before_waiting(&mut self) {
        if self.timers.rearm {
            self.arm_timer_wakeup();
        }
    }
}

/// Runs `op` on the timer of description `f`, if it is a timerfd.
pub(crate) fn with_timerfd<R>(f: &FileRef, op: impl FnOnce(&mut TimerFd) -> R) -> Option<R> {
    match &mut f.borrow_mut().backing {
        Backing::TimerFd(t) => Some(op(t)),
        _ => None,
    }
}
