//! Signals: dispositions, the blocked mask, pending signals, and delivery to guest
//! handlers through a Linux-compatible `rt_sigframe` (siginfo, ucontext with the general
//! registers and the FXSAVE floating-point state), undone by rt_sigreturn.
//!
//! Signals arrive three ways: synchronously from CPU exceptions (SIGSEGV, SIGILL, SIGFPE,
//! SIGTRAP), from the guest itself (kill/tgkill/raise, SIGPIPE), and asynchronously from
//! the host (SIGINT, SIGALRM from timers, SIGCHLD from child processes...), which a host
//! handler records and the run loop picks up at the next block boundary. POSIX timers, which
//! raise signals when they expire, are in `timers`.

pub(crate) mod timers;

use crate::abi::signal as S;
use crate::world::Arrival;
use crate::{host, Outcome, Process};
use emu_cpu::Reg;

pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
pub const SA_SIGINFO: u64 = 0x4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;

#[derive(Clone, Copy, Default, Debug)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

pub use crate::abi::signal::SigInfo;

#[derive(Clone)]
pub struct Signals {
    pub actions: [SigAction; 65],
    /// Blocked signals: bit (n - 1) for signal n.
    pub mask: u64,
    pub pending: u64,
    pub info: [SigInfo; 65],
    /// Real-time signals (32..=64) queue every instance, in order.
    pub rt_queue: Vec<std::collections::VecDeque<SigInfo>>,
    /// sigaltstack: (sp, flags, size).
    pub altstack: (u64, u32, u64),
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            actions: [SigAction::default(); 65],
            mask: 0,
            pending: 0,
            info: [SigInfo::default(); 65],
            rt_queue: vec![std::collections::VecDeque::new(); 65],
            altstack: (0, SS_DISABLE, 0),
        }
    }
}

pub fn bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// What a signal does when its action is SIG_DFL.
#[derive(PartialEq, Eq)]
enum DefaultAction {
    Ignore,
    Terminate,
    Stop,
    Continue,
}

fn default_action(sig: i32) -> DefaultAction {
    match sig {
        S::SIGCONT => DefaultAction::Continue,
        S::SIGCHLD | 23 | 28 => DefaultAction::Ignore, // SIGURG, SIGWINCH
        S::SIGSTOP | S::SIGTSTP | 21 | 22 => DefaultAction::Stop,
        _ => DefaultAction::Terminate,
    }
}

impl Signals {
    /// Signals that are pending, unblocked, and would do something.
    fn deliverable(&self) -> u64 {
        let cant_block = bit(S::SIGKILL) | bit(S::SIGSTOP);
        self.pending & (!self.mask | cant_block)
    }

    /// Takes pending `sig` off the pending set: a real-time signal's oldest queued instance
    /// (it stays pending while others are queued), or a standard signal's one siginfo.
    fn dequeue(&mut self, sig: i32) -> SigInfo {
        if sig < 32 {
            self.pending &= !bit(sig);
            return self.info[sig as usize];
        }
        let q = &mut self.rt_queue[sig as usize];
        let info = q.pop_front().unwrap_or(SigInfo::kernel(sig));
        if q.is_empty() {
            self.pending &= !bit(sig);
        }
        info
    }

    /// Whether `sig`'s current action ignores it.
    pub fn ignored(&self, sig: i32) -> bool {
        let a = self.actions[sig as usize];
        a.handler == SIG_IGN || a.handler == SIG_DFL && default_action(sig) == DefaultAction::Ignore
    }
}

impl Process {
    /// Marks `sig` pending (ignored signals are discarded, as Linux does at generation).
    pub(crate) fn raise(&mut self, info: SigInfo) {
        let sig = info.signo;
        if !(1..=64).contains(&sig) || self.signals.ignored(sig) && sig != S::SIGKILL {
            return;
        }
        self.signals.pending |= bit(sig);
        if sig >= 32 {
            self.signals.rt_queue[sig as usize].push_back(info);
        } else {
            self.signals.info[sig as usize] = info;
        }
        // A process-directed signal the running thread blocks goes to a thread that does
        // not block it; if that thread is parked in a wait, the wait ends with EINTR.
        if self.signals.mask & bit(sig) != 0 {
            let cur = self.cur;
            if let Some(i) =
                (0..self.threads.len()).find(|&i| i != cur && self.threads[i].sigmask & bit(sig) == 0)
            {
                self.interrupt_thread(i);
            }
        }
    }

    /// Moves signals from outside (the host's, due timers') into the guest's pending set.
    /// The world may replace them (replay: the logged ones) or want to know what came
    /// (recording).
    pub(crate) fn collect_host_signals(&mut self) {
        let arrival = self.world().signals_arrive();
        match arrival {
            Arrival::Host => self.collect_now(),
            Arrival::HostReported => {
                let before = self.signals.pending;
                self.collect_now();
                let raised = self.newly_pending(before);
                if self.world().signals_arrived(raised) {
                    self.end_by_sigkill();
                }
            }
            Arrival::Logged(raised) => {
                if raised.iter().any(|r| r.signo == S::SIGKILL) {
                    return self.end_by_sigkill();
                }
                for info in raised {
                    self.raise(info);
                }
            }
        }
    }

    fn collect_now(&mut self) {
        self.fire_due_timers();
        let (mut got, child) = self.world().take_signals();
        while got != 0 {
            let sig = got.trailing_zeros() as i32 + 1;
            got &= got - 1;
            let mut info = SigInfo::kernel(sig);
            if sig == S::SIGCHLD {
                let (pid, code, status) = child;
                let uid = self.world().uid();
                info = SigInfo { signo: sig, code, pid, uid, status, ..Default::default() };
            }
            self.raise(info);
        }
    }

    /// The signals that became pending since `before` (a pending set), with their
    /// siginfo.
    pub(crate) fn newly_pending(&self, before: u64) -> Vec<SigInfo> {
        let pending = self.signals.pending;
        (1..=64)
            .filter(|&s| (pending & !before) & bit(s) != 0)
            .map(|s| {
                if s >= 32 {
                    self.signals.rt_queue[s as usize].back().copied().unwrap_or(SigInfo::kernel(s))
                } else {
                    self.signals.info[s as usize]
                }
            })
            .collect()
    }

    /// The siginfo of a signal this process sends itself (kill, raise, SIGPIPE): from its
    /// own pid and uid.
    pub(crate) fn si_user(&self, sig: i32) -> SigInfo {
        let mut w = self.world();
        SigInfo { signo: sig, code: 0, pid: w.pid(), uid: w.uid(), ..Default::default() }
    }

    pub(crate) fn has_deliverable(&self) -> bool {
        self.signals.deliverable() != 0
    }

    /// The action of the lowest-numbered deliverable signal, if any.
    pub(crate) fn next_action(&self) -> Option<SigAction> {
        let d = self.signals.deliverable();
        (d != 0).then(|| self.signals.actions[d.trailing_zeros() as usize + 1])
    }

    /// Delivers pending signals: runs default actions or builds handler frames. Sets
    /// `outcome` when a signal ends the process.
    pub(crate) fn deliver_pending(&mut self) {
        self.collect_host_signals();
        while self.outcome.is_none() {
            let d = self.signals.deliverable();
            if d == 0 {
                break;
            }
            let sig = d.trailing_zeros() as i32 + 1;
            let info = self.signals.dequeue(sig);
            self.deliver(sig, info);
        }
        // A sigsuspend whose signal ran no handler gets its mask back here.
        if let Some(m) = self.saved_mask.take() {
            self.signals.mask = m;
        }
    }

    /// Removes the lowest pending signal of `set` without running its action
    /// (sigwaitinfo), returning its siginfo.
    pub(crate) fn take_pending(&mut self, set: u64) -> Option<SigInfo> {
        let d = self.signals.pending & set;
        if d == 0 {
            return None;
        }
        let sig = d.trailing_zeros() as i32 + 1;
        Some(self.signals.dequeue(sig))
    }

    /// A signal caused by the instruction at rip. If it is blocked or ignored, Linux
    /// resets it to the default action so the fault is not lost.
    pub(crate) fn force_signal(&mut self, info: SigInfo) {
        let sig = info.signo;
        let blocked = self.signals.mask & bit(sig) != 0;
        if blocked || self.signals.actions[sig as usize].handler == SIG_IGN {
            self.signals.actions[sig as usize] = SigAction::default();
            self.signals.mask &= !bit(sig);
        }
        self.signals.pending |= bit(sig);
        self.signals.info[sig as usize] = info;
    }

    fn deliver(&mut self, sig: i32, info: SigInfo) {
        let act = self.signals.actions[sig as usize];
        if act.handler == SIG_IGN && sig != S::SIGKILL {
            return;
        }
        self.event(|_| crate::process::Event::SignalDelivered(info));
        if act.handler == SIG_DFL || sig == S::SIGKILL {
            match default_action(sig) {
                DefaultAction::Ignore | DefaultAction::Continue => {}
                // A guest process is a host process: stopping it stops emu, so the parent
                // sees the stop through wait and SIGCONT resumes it.
                DefaultAction::Stop => host::stop_self(),
                DefaultAction::Terminate => {
                    let fault =
                        matches!(sig, S::SIGSEGV | S::SIGBUS | S::SIGILL | S::SIGFPE) && info.code > 0;
                    self.outcome = Some(Outcome::Signaled {
                        sig,
                        rip: self.cpu.rip,
                        fault_addr: fault
                            .then_some(info.addr)
                            .filter(|_| sig == S::SIGSEGV || sig == S::SIGBUS),
                        detail: self.fault_detail.take(),
                    });
                }
            }
            return;
        }
        if self.setup_frame(sig, info, act).is_err() {
            // The frame could not be written (bad stack): Linux forces SIGSEGV.
            self.outcome = Some(Outcome::Signaled {
                sig: S::SIGSEGV,
                rip: self.cpu.rip,
                fault_addr: None,
                detail: Some(format!("could not build the frame for {}", S::name(sig))),
            });
            return;
        }
        self.event(|p| crate::process::Event::HandlerEntered {
            sig,
            rip: p.cpu.rip,
            sp: p.cpu.reg(Reg::Rsp),
        });
        if act.flags & SA_RESETHAND != 0 {
            self.signals.actions[sig as usize] = SigAction::default();
        }
        let mut block = act.mask;
        if act.flags & SA_NODEFER == 0 {
            block |= bit(sig);
        }
        self.signals.mask |= block & !(bit(S::SIGKILL) | bit(S::SIGSTOP));
    }

    fn on_altstack(&self, sp: u64) -> bool {
        let (ss, flags, size) = self.signals.altstack;
        flags & SS_DISABLE == 0 && sp > ss && sp <= ss + size
    }

    fn setup_frame(&mut self, sig: i32, info: SigInfo, act: SigAction) -> Result<(), ()> {
        let c = &self.cpu;
        let old_sp = c.regs[Reg::Rsp as usize];
        let mut sp = old_sp.wrapping_sub(128); // red zone
        let (ss, ssflags, sssize) = self.signals.altstack;
        if act.flags & SA_ONSTACK != 0 && ssflags & SS_DISABLE == 0 && !self.on_altstack(old_sp) {
            sp = ss + sssize;
        }
        // FXSAVE area, 64-byte aligned.
        sp = (sp - 512) & !63;
        let fpstate = sp;
        // rt_sigframe: pretcode (8) + ucontext (304) + siginfo (128); rsp ends as after a call.
        sp = ((sp - 440) & !15) - 8;
        let frame = sp;
        let uc = frame + 8;
        let si = uc + 304;

        let r = &c.regs;
        let mut m = [0u64; 32];
        // sigcontext: r8-r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags, cs/gs/fs/ss,
        // err, trapno, oldmask, cr2, fpstate.
        m[..8].copy_from_slice(&r[8..16]);
        m[8] = r[Reg::Rdi as usize];
        m[9] = r[Reg::Rsi as usize];
        m[10] = r[Reg::Rbp as usize];
        m[11] = r[Reg::Rbx as usize];
        m[12] = r[Reg::Rdx as usize];
        m[13] = r[Reg::Rax as usize];
        m[14] = r[Reg::Rcx as usize];
        m[15] = old_sp;
        m[16] = c.rip;
        m[17] = c.rflags();
        m[18] = 0x33 | (0x2b << 48); // cs = 0x33, ss = 0x2b
        m[19] = if matches!(sig, S::SIGSEGV | S::SIGBUS) { 4 | 2 } else { 0 };
        m[20] = match sig {
            S::SIGSEGV | S::SIGBUS => 14,
            S::SIGFPE => 0,
            S::SIGILL => 6,
            S::SIGTRAP => 3,
            _ => 0,
        };
        let saved_mask = self.saved_mask.take().unwrap_or(self.signals.mask);
        m[21] = saved_mask;
        m[22] = if info.code > 0 && matches!(sig, S::SIGSEGV | S::SIGBUS) { info.addr } else { 0 };
        m[23] = fpstate;
        let mut ucb = Vec::with_capacity(304);
        ucb.extend_from_slice(&0u64.to_le_bytes()); // uc_flags
        ucb.extend_from_slice(&0u64.to_le_bytes()); // uc_link
        ucb.extend_from_slice(&ss.to_le_bytes());
        ucb.extend_from_slice(
            &(ssflags | if self.on_altstack(old_sp) { SS_ONSTACK } else { 0 }).to_le_bytes(),
        );
        ucb.extend_from_slice(&0u32.to_le_bytes());
        ucb.extend_from_slice(&sssize.to_le_bytes());
        for w in m {
            ucb.extend_from_slice(&w.to_le_bytes());
        }
        ucb.extend_from_slice(&saved_mask.to_le_bytes());
        debug_assert_eq!(ucb.len(), 304);

        let fx = self.cpu.fxsave_image();
        let mem = &mut self.cpu.mem;
        mem.write(fpstate, &fx).map_err(|_| ())?;
        mem.write(frame, &act.restorer.to_le_bytes()).map_err(|_| ())?;
        mem.write(uc, &ucb).map_err(|_| ())?;
        mem.write(si, &info.to_bytes()).map_err(|_| ())?;

        let c = &mut self.cpu;
        c.regs[Reg::Rsp as usize] = frame;
        c.regs[Reg::Rdi as usize] = sig as u64;
        c.regs[Reg::Rsi as usize] = si;
        c.regs[Reg::Rdx as usize] = uc;
        c.regs[Reg::Rax as usize] = 0;
        c.rip = act.handler;
        // Handlers start with DF and TF clear.
        let fl = c.rflags() & !(emu_cpu::flags::DF | emu_cpu::flags::TF);
        c.set_rflags(fl);
        Ok(())
    }

    /// rt_sigreturn: restores the context saved by `setup_frame`. The frame's ucontext is
    /// at the current rsp (the handler's `ret` popped pretcode).
    pub(crate) fn sigreturn(&mut self) -> Result<(), ()> {
        let uc = self.cpu.regs[Reg::Rsp as usize];
        let mut ucb = [0u8; 304];
        self.cpu.mem.read(uc, &mut ucb).map_err(|_| ())?;
        let w = |i: usize| u64::from_le_bytes(ucb[40 + 8 * i..48 + 8 * i].try_into().expect("8 bytes"));
        let fpstate = w(23);
        if fpstate != 0 {
            let mut fx = [0u8; 512];
            self.cpu.mem.read(fpstate, &mut fx).map_err(|_| ())?;
            self.cpu.fxrstor_image(&fx);
        }
        let c = &mut self.cpu;
        for i in 0..8 {
            c.regs[8 + i] = w(i);
        }
        c.regs[Reg::Rdi as usize] = w(8);
        c.regs[Reg::Rsi as usize] = w(9);
        c.regs[Reg::Rbp as usize] = w(10);
        c.regs[Reg::Rbx as usize] = w(11);
        c.regs[Reg::Rdx as usize] = w(12);
        c.regs[Reg::Rax as usize] = w(13);
        c.regs[Reg::Rcx as usize] = w(14);
        c.regs[Reg::Rsp as usize] = w(15);
        c.rip = w(16);
        // Only the user-modifiable flags come back (as the kernel's FIX_EFLAGS).
        let user = 0x40dd5u64; // AC OF DF TF SF ZF AF PF CF, RF
        let fl = (c.rflags() & !user) | (w(17) & user);
        c.set_rflags(fl);
        let mask = u64::from_le_bytes(ucb[296..304].try_into().expect("8 bytes"));
        self.signals.mask = mask & !(bit(S::SIGKILL) | bit(S::SIGSTOP));
        let ss_sp = u64::from_le_bytes(ucb[16..24].try_into().expect("8 bytes"));
        let ss_flags = u32::from_le_bytes(ucb[24..28].try_into().expect("4 bytes"));
        let ss_size = u64::from_le_bytes(ucb[32..40].try_into().expect("8 bytes"));
        if ss_flags & SS_DISABLE == 0 || ss_sp != 0 {
            self.signals.altstack = (ss_sp, ss_flags & SS_DISABLE, ss_size);
        }
        Ok(())
    }
}
