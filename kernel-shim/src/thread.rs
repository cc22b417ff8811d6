//! Guest threads, scheduled by emu itself on one host thread.
//!
//! All threads of a process share the CPU's address space and block cache; each has its
//! own registers (`Context`), saved while another runs. Scheduling is round-robin in
//! slices counted in guest instructions, so the same inputs give the same interleaving.
//! A thread that must wait (a futex, a sleep, a descriptor that is not ready) is parked
//! and another runs; when every thread waits, emu sleeps in the host until a descriptor
//! is ready, a deadline passes or a signal arrives — it never spins.

use crate::abi::errno as E;
use crate::abi::process::RobustListHead;
use crate::abi::GuestStruct;
use crate::world::{Arrival, WakeSite, Woken};
use crate::Process;
use emu_cpu::{Context, Reg};
use std::time::Instant;

/// Guest instructions a thread runs before the next one gets the CPU.
pub const SLICE: u64 = 50_000;

/// Internal result of a syscall handler that parked the current thread: the syscall is
/// re-executed (or completed by the waker) when the thread runs again. Never reaches the
/// guest.
pub(crate) const E_WOULDBLOCK: i32 = 4096 + 1;

#[derive(Clone, Debug)]
pub(crate) enum Wait {
    Runnable,
    /// FUTEX_WAIT: woken by FUTEX_WAKE (rax = 0) or the deadline (rax = -ETIMEDOUT).
    Futex {
        addr: u64,
        bitset: u32,
        deadline: Option<Instant>,
        seq: u64,
    },
    /// A sleep: rax = 0 at the deadline.
    Sleep {
        deadline: Instant,
    },
    /// Re-execute the syscall when the host fd is ready (or at the deadline, if any).
    Fd {
        fd: i32,
        events: u16,
        deadline: Option<Instant>,
    },
    /// Re-execute the syscall at this time (polling for something emu cannot wait on).
    Retry {
        at: Instant,
    },
    /// pause, sigsuspend: only a signal ends it (rax = -EINTR).
    Signal,
}

pub(crate) struct Thread {
    pub tid: i32,
    /// Saved registers; `None` for the thread on the CPU.
    pub ctx: Option<Context>,
    pub wait: Wait,
    pub clear_child_tid: u64,
    pub robust_list: (u64, u64),
    pub sigmask: u64,
    /// Signals sent to this thread alone (tgkill, SIGEV_THREAD_ID timers). While the thread
    /// runs they are also in the process's pending set; when it is switched out, those not
    /// yet taken leave that set again, so no other thread takes them.
    pub sig_pending: u64,
    /// Absolute deadline of a poll-like syscall being retried.
    pub deadline: Option<Instant>,
    /// A fifo this thread is opening for reading, waiting for a writer: its guest path
    /// and the host fd opened without waiting (see `sys/file.rs`).
    pub fifo_open: Option<(Vec<u8>, crate::fd::OwnedHostFd)>,
    /// The syscall it is parked in is one Linux restarts after a handler with SA_RESTART
    /// (its table row says; set when it parks).
    pub restartable: bool,
    /// The mask a handler that interrupts this thread's sigsuspend restores
    /// (`Process::saved_mask` while the thread is off the CPU).
    pub saved_mask: Option<u64>,
}

impl Thread {
    pub fn new(tid: i32) -> Thread {
        Thread {
            tid,
            ctx: None,
            wait: Wait::Runnable,
            clear_child_tid: 0,
            robust_list: (0, 0),
            sigmask: 0,
            sig_pending: 0,
            deadline: None,
            fifo_open: None,
            restartable: false,
            saved_mask: None,
        }
    }
}

impl Process {
    /// Every thread is leaving (exit_group, execve): each one's robust futexes are
    /// released, as Linux does when it tears the threads down.
    pub(crate) fn exit_all_robust_lists(&mut self) {
        for i in 0..self.threads.len() {
            exit_robust_list(self, i);
        }
    }

    pub(crate) fn cur(&self) -> &Thread {
        &self.threads[self.cur]
    }

    pub(crate) fn cur_mut(&mut self) -> &mut Thread {
        &mut self.threads[self.cur]
    }

    pub(crate) fn tid(&self) -> i32 {
        self.threads[self.cur].tid
    }

    pub(crate) fn multithreaded(&self) -> bool {
        self.threads.len() > 1
    }

    /// Gives the running thread its slice (unbounded when it is alone).
    pub(crate) fn arm_slice(&mut self) {
        self.cpu.budget = if self.multithreaded() { self.cpu.icount + SLICE } else { u64::MAX };
    }

    /// Parks the current thread; the run loop switches away before running guest code.
    pub(crate) fn park(&mut self, wait: Wait) {
        self.cur_mut().wait = wait;
        self.need_switch = true;
    }

    /// Adds a thread that starts from `ctx`.
    pub(crate) fn spawn_thread(&mut self, mut t: Thread, ctx: Context) {
        t.ctx = Some(ctx);
        self.threads.push(t);
        self.arm_slice();
    }

    /// Wakes up to `n` threads waiting on the futex at `addr` whose bitset matches.
    pub(crate) fn futex_wake(&mut self, addr: u64, n: u32, bitset: u32) -> u32 {
        let mut waiters: Vec<(u64, usize)> = self
            .threads
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match t.wait {
                Wait::Futex { addr: a, bitset: b, seq, .. } if a == addr && b & bitset != 0 => Some((seq, i)),
                _ => None,
            })
            .collect();
        waiters.sort();
        let mut woken = 0;
        for (_, i) in waiters.into_iter().take(n as usize) {
            self.finish_wait(i, 0);
            woken += 1;
        }
        woken
    }

    /// Moves up to `n` waiters from futex `from` to futex `to` (FUTEX_REQUEUE).
    pub(crate) fn futex_requeue(&mut self, from: u64, to: u64, n: u32) -> u32 {
        let mut moved = 0;
        for t in self.threads.iter_mut() {
            if moved >= n {
                break;
            }
            if let Wait::Futex { addr, .. } = &mut t.wait {
                if *addr == from {
                    *addr = to;
                    moved += 1;
                }
            }
        }
        moved
    }

    /// Ends a wait of a parked thread with `rax` as its syscall result.
    fn finish_wait(&mut self, i: usize, rax: i64) {
        let t = &mut self.threads[i];
        t.wait = Wait::Runnable;
        if let Some(c) = t.ctx.as_mut() {
            c.set_reg(emu_cpu::Reg::Rax, rax as u64);
        } else {
            self.cpu.set_syscall_result(rax as u64);
        }
    }

    /// Removes the current thread (its `exit`), releasing its robust futexes and doing the
    /// CLONE_CHILD_CLEARTID handshake.
    pub(crate) fn exit_thread(&mut self) {
        exit_robust_list(self, self.cur);
        let ctid = self.cur().clear_child_tid;
        if ctid != 0 {
            let _ = self.poke(ctid, &0u32.to_le_bytes());
            self.futex_wake(ctid, 1, u32::MAX);
        }
        self.threads.remove(self.cur);
        if self.cur >= self.threads.len() {
            self.cur = 0;
        }
        // The next thread's registers are loaded by `switch_to`.
        self.need_switch = true;
        self.cur_saved = true;
    }

    /// Picks the next runnable thread after the current one and puts it on the CPU,
    /// waiting in the host if every thread is parked.
    pub(crate) fn schedule(&mut self) {
        self.need_switch = false;
        if !self.cur_saved {
            let ctx = self.cpu.save_context();
            let mask = self.signals.mask;
            let t = &mut self.threads[self.cur];
            t.ctx = Some(ctx);
            t.sigmask = mask;
            t.sig_pending &= self.signals.pending;
            self.signals.pending &= !t.sig_pending;
            t.saved_mask = self.saved_mask.take();
        }
        self.cur_saved = false;
        loop {
            // The world may log these wake-ups or replay them (they depend on the host).
            self.wake(WakeSite::Deadlines, Self::expire_waits);
            let n = self.threads.len();
            let start = (self.cur + 1) % n;
            if let Some(k) =
                (0..n).map(|k| (start + k) % n).find(|&i| matches!(self.threads[i].wait, Wait::Runnable))
            {
                self.switch_to(k);
                return;
            }
            self.wake(WakeSite::HostWait, Self::wait_host);
            self.wake_for_signals();
            if self.outcome.is_some() {
                self.switch_to(self.cur.min(n - 1));
                return;
            }
        }
    }

    /// The scheduler's wake-ups at `site`, made by `f`. They depend on the host, so the
    /// world may replace them (replay: the logged ones) or want to know which threads
    /// woke (recording).
    fn wake(&mut self, site: WakeSite, f: fn(&mut Process)) {
        let arrival = self.world().wakes_arrive(site, self.threads.len());
        match arrival {
            Arrival::Host => f(self),
            Arrival::HostReported => {
                let parked: Vec<bool> =
                    self.threads.iter().map(|t| !matches!(t.wait, Wait::Runnable)).collect();
                f(self);
                let mut woken = Vec::new();
                for (i, t) in self.threads.iter().enumerate() {
                    if parked.get(i).copied().unwrap_or(false) && matches!(t.wait, Wait::Runnable) {
                        let (rax, rip) = match &t.ctx {
                            Some(c) => (c.reg(Reg::Rax), c.rip),
                            None => (self.cpu.reg(Reg::Rax), self.cpu.rip),
                        };
                        woken.push(Woken { thread: i as u32, rax, rip });
                    }
                }
                self.world().woken(site, woken);
            }
            Arrival::Logged(woken) => {
                for Woken { thread, rax, rip } in woken {
                    let t = &mut self.threads[thread as usize];
                    t.wait = Wait::Runnable;
                    match t.ctx.as_mut() {
                        Some(c) => {
                            c.set_reg(Reg::Rax, rax);
                            c.rip = rip;
                        }
                        None => {
                            self.cpu.set_syscall_result(rax);
                            self.cpu.rip = rip;
                        }
                    }
                }
            }
        }
    }

    fn switch_to(&mut self, k: usize) {
        self.cur = k;
        let t = &mut self.threads[k];
        if let Some(ctx) = t.ctx.take() {
            self.cpu.restore_context(&ctx);
        }
        self.signals.mask = t.sigmask;
        self.signals.pending |= t.sig_pending;
        self.saved_mask = t.saved_mask.take();
        self.arm_slice();
    }

    /// Makes threads whose deadline passed runnable.
    fn expire_waits(&mut self) {
        let now = self.world().instant();
        for i in 0..self.threads.len() {
            match self.threads[i].wait {
                Wait::Futex { deadline: Some(d), .. } if d <= now => {
                    self.finish_wait(i, -(E::ETIMEDOUT as i64))
                }
                Wait::Sleep { deadline } if deadline <= now => self.finish_wait(i, 0),
                // These re-execute their syscall, which decides the result.
                Wait::Retry { at } if at <= now => self.threads[i].wait = Wait::Runnable,
                Wait::Fd { deadline: Some(d), .. } if d <= now => self.threads[i].wait = Wait::Runnable,
                _ => {}
            }
        }
    }

    /// Every thread is parked: sleep in the host until a descriptor some thread waits on
    /// is ready, the earliest deadline, or a signal.
    fn wait_host(&mut self) {
        let now = self.world().instant();
        let mut fds = Vec::new();
        let mut owners = Vec::new();
        let mut next: Option<Instant> = None;
        for (i, t) in self.threads.iter().enumerate() {
            let d = match t.wait {
                Wait::Futex { deadline, .. } => deadline,
                Wait::Sleep { deadline } => Some(deadline),
                Wait::Retry { at } => Some(at),
                Wait::Fd { fd, events, deadline } => {
                    fds.push((fd, events));
                    owners.push(i);
                    deadline
                }
                Wait::Runnable => Some(now),
                Wait::Signal => None,
            };
            if let Some(d) = d {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        }
        let timeout_ms = match next {
            Some(d) => d.saturating_duration_since(now).as_millis().min(i32::MAX as u128) as i32,
            None => -1,
        };
        let ready = if fds.is_empty() {
            // Deterministic mode moves the virtual clock instead of sleeping.
            self.world().idle_until(next);
            Vec::new()
        } else {
            self.world().poll(&fds, timeout_ms).unwrap_or_default()
        };
        for (k, r) in ready.into_iter().enumerate() {
            if r != 0 {
                self.threads[owners[k]].wait = Wait::Runnable;
            }
        }
    }

    /// After a host wait: a signal from outside interrupts a waiting thread.
    fn wake_for_signals(&mut self) {
        if self.world().signals_pending() {
            self.collect_host_signals();
            if self.signals.pending != 0 {
                self.interrupt_a_thread();
            }
        }
    }

    /// A signal arrived while every thread waits: the first thread that does not block it
    /// returns from its wait with EINTR and will take the signal.
    fn interrupt_a_thread(&mut self) {
        let pending = self.signals.pending;
        let idx = (0..self.threads.len()).find(|&i| {
            let mask = if i == self.cur && self.threads[i].ctx.is_none() {
                self.signals.mask
            } else {
                self.threads[i].sigmask
            };
            pending & !mask != 0
        });
        if let Some(i) = idx {
            self.interrupt_thread(i);
        }
    }

    /// Ends thread `i`'s wait with EINTR so it can take a signal (a parked syscall that
    /// would have been re-executed completes with EINTR instead).
    pub(crate) fn interrupt_thread(&mut self, i: usize) {
        match self.threads[i].wait {
            Wait::Fd { .. } | Wait::Retry { .. } => {
                // The syscall was rewound for a retry. After a
                // handler with SA_RESTART a call that Linux restarts runs again (the
                // handler returns to it); otherwise it completes with EINTR.
                let on_cpu = self.threads[i].ctx.is_none();
                let restarts = self.threads[i].restartable
                    && self.thread_signal_action(i).is_some_and(|a| {
                        a.handler > crate::signal::SIG_IGN && a.flags & crate::signal::SA_RESTART != 0
                    });
                if restarts {
                    self.threads[i].wait = Wait::Runnable;
                    return;
                }
                match self.threads[i].ctx.as_mut() {
                    Some(c) => c.rip += 2,
                    None if on_cpu => self.cpu.rip += 2,
                    None => {}
                }
                self.finish_wait(i, -(E::EINTR as i64));
            }
            Wait::Runnable => {}
            _ => self.finish_wait(i, -(E::EINTR as i64)),
        }
    }

    /// The action of the signal thread `i` takes next: the lowest of its own and the
    /// process's pending signals it does not block.
    fn thread_signal_action(&self, i: usize) -> Option<crate::signal::SigAction> {
        let t = &self.threads[i];
        let (mask, own) = if t.ctx.is_none() { (self.signals.mask, 0) } else { (t.sigmask, t.sig_pending) };
        let d = (self.signals.pending | own) & !mask;
        (d != 0).then(|| self.signals.actions[d.trailing_zeros() as usize + 1])
    }
}

// ---- robust futex lists: released when their thread dies ----

const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Linux stops walking a robust list after this many entries (a corrupt or cyclic list).
const ROBUST_LIST_LIMIT: usize = 2048;

/// Walks thread `i`'s robust list (struct robust_list_head: list, futex_offset,
/// list_op_pending) as Linux's exit_robust_list does, at thread exit, exit_group and execve.
pub(crate) fn exit_robust_list(p: &mut Process, i: usize) {
    let (head, tid) = (p.threads[i].robust_list.0, p.threads[i].tid);
    if head == 0 {
        return;
    }
    let mut b = [0u8; RobustListHead::SIZE];
    if p.cpu.mem.read(head, &mut b).is_err() {
        return;
    }
    let RobustListHead { next: first, futex_offset, list_op_pending: pending } = RobustListHead::read(&b);
    let word = |p: &mut Process, addr: u64| -> Option<u64> {
        let mut b = [0u8; 8];
        p.cpu.mem.read(addr, &mut b).ok().map(|_| u64::read(&b))
    };
    let futex_of = |entry: u64| (entry & !1).wrapping_add(futex_offset as u64);
    let mut entry = first;
    let mut walked = 0;
    while entry & !1 != head {
        // Read the next entry before the futex changes: the waiter may reuse the memory.
        let Some(next) = word(p, entry & !1) else { return };
        if entry & !1 != pending & !1 {
            futex_death(p, futex_of(entry), tid, entry & 1 != 0, false);
        }
        entry = next;
        walked += 1;
        if walked >= ROBUST_LIST_LIMIT {
            break;
        }
    }
    if pending != 0 {
        futex_death(p, futex_of(pending), tid, pending & 1 != 0, true);
    }
}

/// What the kernel does for each futex on a dying thread's robust list: if the thread owns
/// it, keep FUTEX_WAITERS, set FUTEX_OWNER_DIED and wake one waiter so it can recover the
/// lock. A pending (half-acquired or half-released) futex that nobody owns still gets a
/// wake-up, as the waiter may have been skipped.
fn futex_death(p: &mut Process, addr: u64, tid: i32, pi: bool, pending: bool) {
    if addr & 3 != 0 {
        return;
    }
    let mut b = [0u8; 4];
    if p.cpu.mem.read(addr, &mut b).is_err() {
        return;
    }
    let val = u32::read(&b);
    if pending && !pi && val == 0 {
        p.futex_wake(addr, 1, u32::MAX);
        return;
    }
    if val & FUTEX_TID_MASK != tid as u32 {
        return;
    }
    let new = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if p.poke(addr, &new.to_le_bytes()).is_err() {
        return;
    }
    if !pi && val & FUTEX_WAITERS != 0 {
        p.futex_wake(addr, 1, u32::MAX);
    }
}
