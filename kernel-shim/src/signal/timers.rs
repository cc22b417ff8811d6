//! POSIX per-process timers (timer_create and friends): their state, and their expiry,
//! which queues a signal with si_code SI_TIMER. Expiry is decided from the gate's clocks
//! (so time stays deterministic/recordable), and a host wake-up (`host::wake_after`)
//! interrupts the guest or a blocked host call when the earliest one is due, like the host
//! SIGALRM of alarm/setitimer does. Expirations while the signal is still pending count as
//! overruns, as on Linux. Timers are not inherited by a fork child and are deleted by
//! execve. The syscalls are in `sys/timer.rs`.

use super::{bit, SigInfo};
use crate::abi::signal::SI_TIMER;
use crate::{gate, Process};

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
}

/// The time on Linux clock `clock`, in nanoseconds.
pub(crate) fn now_ns(clock: u32) -> i128 {
    let (s, ns) = gate::clock_gettime(clock);
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
    pub(crate) fn running_tid(&self) -> Option<i32> {
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
    pub(crate) fn arm_timer_wakeup(&mut self) {
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
