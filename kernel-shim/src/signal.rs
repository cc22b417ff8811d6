//! Signals: dispositions, the blocked mask, pending signals, and delivery to guest
//! handlers through a Linux-compatible `rt_sigframe` (siginfo, ucontext with the general
//! registers and the floating-point and vector state), undone by rt_sigreturn.
//!
//! The FP state goes in the frame as Linux writes it when the CPU has XSAVE: the XSAVE
//! image of every XCR0 component (x87, SSE and the YMM upper halves), the FXSAVE part's
//! software bytes saying so (`FP_XSTATE_MAGIC1`, sizes, features) and `FP_XSTATE_MAGIC2`
//! after it. rt_sigreturn restores it with XRSTOR's rules, so a handler may edit any of
//! it, clear XSTATE_BV bits to reset components, or hand back a legacy FXSAVE image.
//!
//! Signals arrive three ways: synchronously from CPU exceptions (SIGSEGV, SIGILL, SIGFPE,
//! SIGTRAP), from the guest itself (kill/tgkill/raise, SIGPIPE), and asynchronously from
//! the host (SIGINT, SIGALRM from timers, SIGCHLD from child processes...), which a host
//! handler records and the run loop picks up at the next block boundary. POSIX timers, which
//! raise signals when they expire, are in `timers`.

pub(crate) mod timers;

use crate::abi::frame::{
    FpxSwBytes, RtSigframe, Sigcontext, Ucontext, XstateHeader, FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2,
    FP_XSTATE_MAGIC2_SIZE, FXSAVE_SIZE, UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS,
    XFEATURE_MASK_FPSSE,
};
use crate::abi::signal::{self as S, StackT};
use crate::abi::GuestStruct;
use crate::world::Arrival;
use crate::{host, Outcome, Process};
use emu_cpu::Reg;

pub use crate::abi::signal::{
    SigAction, SigInfo, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_RESTORER, SA_SIGINFO, SIG_DFL,
    SIG_IGN, SS_DISABLE, SS_ONSTACK,
};

#[derive(Clone)]
pub struct Signals {
    pub actions: [SigAction; 65],
    /// Blocked signals: bit (n - 1) for signal n.
    pub mask: u64,
    pub pending: u64,
    pub info: [SigInfo; 65],
    /// Real-time signals (32..=64) queue every instance, in order.
    pub rt_queue: Vec<std::collections::VecDeque<SigInfo>>,
    /// sigaltstack's stack (flags: SS_DISABLE or 0).
    pub altstack: StackT,
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            actions: [SigAction::default(); 65],
            mask: 0,
            pending: 0,
            info: [SigInfo::default(); 65],
            rt_queue: vec![std::collections::VecDeque::new(); 65],
            altstack: StackT { flags: SS_DISABLE, ..Default::default() },
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
        let d = self.unblocked_pending();
        if d == 0 {
            return 0;
        }
        d & !self.ignored_among(d)
    }

    fn unblocked_pending(&self) -> u64 {
        let cant_block = bit(S::SIGKILL) | bit(S::SIGSTOP);
        self.pending & (!self.mask | cant_block)
    }

    /// The signals of `set` whose action ignores them (SIGKILL never is).
    fn ignored_among(&self, set: u64) -> u64 {
        let (mut rest, mut out) = (set, 0);
        while rest != 0 {
            let s = rest.trailing_zeros() as i32 + 1;
            rest &= rest - 1;
            if s != S::SIGKILL && self.ignored(s) {
                out |= bit(s);
            }
        }
        out
    }

    /// Drops the pending signals that are no longer blocked but ignored (kept while
    /// blocked, as Linux keeps them), as Linux does when it would deliver them.
    fn discard_ignored(&mut self) {
        let mut gone = self.ignored_among(self.unblocked_pending());
        self.pending &= !gone;
        while gone != 0 {
            let s = gone.trailing_zeros() as usize + 1;
            gone &= gone - 1;
            if s >= 32 {
                self.rt_queue[s].clear();
            }
        }
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

    /// What the host's action for `sig` must follow (`host::guest_action_changed`):
    /// SIGCHLD with SA_NOCLDWAIT is ignored too, so that no zombies are left.
    pub fn host_action(&self, sig: i32) -> host::GuestAction {
        let a = self.actions[sig as usize];
        if a.handler == SIG_IGN || sig == S::SIGCHLD && a.flags & S::SA_NOCLDWAIT != 0 {
            host::GuestAction::Ignore
        } else if a.handler == SIG_DFL {
            host::GuestAction::Default
        } else {
            host::GuestAction::Handler
        }
    }

    /// Whether `sig`'s current action ignores it.
    pub fn ignored(&self, sig: i32) -> bool {
        let a = self.actions[sig as usize];
        a.handler == SIG_IGN || a.handler == SIG_DFL && default_action(sig) == DefaultAction::Ignore
    }
}

impl Process {
    /// Marks `sig` pending (ignored signals that are not blocked are discarded, as Linux
    /// does at generation).
    pub(crate) fn raise(&mut self, info: SigInfo) {
        let sig = info.signo;
        if !(1..=64).contains(&sig) {
            return;
        }
        // A blocked signal is kept even when ignored: its action may change before it is
        // unblocked, and sigwaitinfo or a signalfd may take it.
        let blocked = self.signals.mask & bit(sig) != 0;
        if self.signals.ignored(sig) && !blocked && sig != S::SIGKILL {
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
        if blocked && !self.signals.ignored(sig) {
            let cur = self.cur;
            if let Some(i) =
                (0..self.threads.len()).find(|&i| i != cur && self.threads[i].sigmask & bit(sig) == 0)
            {
                self.interrupt_thread(i);
            }
        }
    }

    /// Keeps `info` as the siginfo the next delivery of its signal takes (a real-time
    /// signal queues each instance).
    pub(crate) fn store_siginfo(&mut self, info: SigInfo) {
        if info.signo >= 32 {
            self.signals.rt_queue[info.signo as usize].push_back(info);
        } else {
            self.signals.info[info.signo as usize] = info;
        }
    }

    /// Marks `info`'s signal pending for thread `k` alone (tgkill, a SIGEV_THREAD_ID
    /// timer), which is not the thread on the CPU; if the thread does not block it and is
    /// parked in a wait, the wait ends (EINTR) so that it takes the signal, as Linux
    /// interrupts a sleeping task.
    pub(crate) fn raise_in_thread(&mut self, k: usize, info: SigInfo) {
        let sig = info.signo;
        // Kept while the thread blocks it, even if ignored (see `raise`).
        if self.signals.ignored(sig) && self.threads[k].sigmask & bit(sig) == 0 {
            return;
        }
        self.store_siginfo(info);
        self.threads[k].sig_pending |= bit(sig);
        if self.threads[k].sigmask & bit(sig) == 0 {
            self.interrupt_thread(k);
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
            } else if let Some((code, pid, uid, value)) = self.world().signal_sender(sig) {
                // Another process sent it: its siginfo says who (a signalfd or
                // SA_SIGINFO handler reads it).
                let queued = code == S::SI_QUEUE;
                let addr = if queued { value } else { 0 };
                info = SigInfo { signo: sig, code, pid, uid, addr, value: queued, ..Default::default() };
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
        let w = self.world();
        SigInfo { signo: sig, code: S::SI_USER, pid: w.pid(), uid: w.uid(), ..Default::default() }
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
        self.signals.discard_ignored();
        while self.outcome.is_none() {
            let d = self.signals.deliverable();
            if d == 0 {
                break;
            }
            let sig = d.trailing_zeros() as i32 + 1;
            let info = self.signals.dequeue(sig);
            self.deliver(sig, info);
        }
        self.delivered_all();
    }

    /// Every deliverable signal was delivered: a sigsuspend whose signal ran no handler gets
    /// its mask back.
    pub(crate) fn delivered_all(&mut self) {
        if let Some(m) = self.saved_mask.take() {
            self.signals.mask = m;
        }
    }

    /// The signal `deliver_pending` would deliver next, taken out of the pending set, for a
    /// debugger to see first (as ptrace's signal-delivery-stop). SIGKILL is never shown.
    pub(crate) fn next_signal(&mut self) -> Option<SigInfo> {
        self.collect_host_signals();
        self.signals.discard_ignored();
        let d = self.signals.deliverable();
        if self.outcome.is_some() || d == 0 || d & bit(S::SIGKILL) != 0 {
            return None;
        }
        let sig = d.trailing_zeros() as i32 + 1;
        Some(self.signals.dequeue(sig))
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

    pub(crate) fn deliver(&mut self, sig: i32, info: SigInfo) {
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
                DefaultAction::Stop => host::stop_self(sig),
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
        let ss = self.signals.altstack;
        ss.flags & SS_DISABLE == 0 && sp > ss.sp && sp <= ss.sp + ss.size
    }

    fn setup_frame(&mut self, sig: i32, info: SigInfo, act: SigAction) -> Result<(), ()> {
        let old_sp = self.cpu.reg(Reg::Rsp);
        let mut sp = old_sp.wrapping_sub(128); // red zone
        let ss = self.signals.altstack;
        let on_altstack = self.on_altstack(old_sp);
        if act.flags & SA_ONSTACK != 0 && ss.flags & SS_DISABLE == 0 && !on_altstack {
            sp = ss.sp + ss.size;
        }
        // The FP area, 64-byte aligned.
        let fp = self.fp_frame();
        sp = (sp - fp.len() as u64) & !63;
        let fpstate = sp;
        // The frame below it; rsp ends as after a call (pretcode pushed).
        sp = ((sp - RtSigframe::SIZE as u64) & !15) - 8;
        let frame = sp;
        let uc = frame + RtSigframe::UC_OFFSET as u64;
        let si = frame + RtSigframe::INFO_OFFSET as u64;

        let c = &self.cpu;
        let fault = matches!(sig, S::SIGSEGV | S::SIGBUS);
        let saved_mask = self.saved_mask.take().unwrap_or(self.signals.mask);
        let mcontext = Sigcontext {
            r8: c.reg(Reg::R8),
            r9: c.reg(Reg::R9),
            r10: c.reg(Reg::R10),
            r11: c.reg(Reg::R11),
            r12: c.reg(Reg::R12),
            r13: c.reg(Reg::R13),
            r14: c.reg(Reg::R14),
            r15: c.reg(Reg::R15),
            rdi: c.reg(Reg::Rdi),
            rsi: c.reg(Reg::Rsi),
            rbp: c.reg(Reg::Rbp),
            rbx: c.reg(Reg::Rbx),
            rdx: c.reg(Reg::Rdx),
            rax: c.reg(Reg::Rax),
            rcx: c.reg(Reg::Rcx),
            rsp: old_sp,
            rip: c.rip,
            eflags: c.rflags(),
            cs: 0x33,
            ss: 0x2b,
            // A page fault's error code: a user-mode write.
            err: if fault { 4 | 2 } else { 0 },
            trapno: match sig {
                S::SIGSEGV | S::SIGBUS => 14,
                S::SIGILL => 6,
                S::SIGTRAP => 3,
                _ => 0,
            },
            oldmask: saved_mask,
            cr2: if info.code > 0 && fault { info.addr } else { 0 },
            fpstate,
            ..Default::default()
        };
        let f = RtSigframe {
            pretcode: act.restorer,
            uc: Ucontext {
                flags: if self.cpu.cpuid.xcr0() != 0 { UC_FP_XSTATE } else { 0 }
                    | UC_SIGCONTEXT_SS
                    | UC_STRICT_RESTORE_SS,
                link: 0,
                stack: StackT { flags: ss.flags | if on_altstack { SS_ONSTACK } else { 0 }, ..ss },
                mcontext,
                sigmask: saved_mask,
            },
            info,
        };

        let mem = &mut self.cpu.mem;
        mem.write(fpstate, &fp).map_err(|_| ())?;
        mem.write(frame, &f.to_bytes()).map_err(|_| ())?;

        let c = &mut self.cpu;
        c.set_reg(Reg::Rsp, frame);
        c.set_reg(Reg::Rdi, sig as u64);
        c.set_reg(Reg::Rsi, si);
        c.set_reg(Reg::Rdx, uc);
        c.set_reg(Reg::Rax, 0);
        c.rip = act.handler;
        // Handlers start with DF and TF clear.
        let fl = c.rflags() & !(emu_cpu::flags::DF | emu_cpu::flags::TF);
        c.set_rflags(fl);
        Ok(())
    }

    /// The FP area of a frame being built: with XSAVE, the XSAVE image with its software
    /// bytes, XSTATE_BV naming x87 and SSE always (as Linux sets them, so a handler that
    /// edits only the legacy part is heard) and MAGIC2 after it; else the FXSAVE image.
    fn fp_frame(&mut self) -> Vec<u8> {
        let xcr0 = self.cpu.cpuid.xcr0();
        if xcr0 == 0 {
            return self.cpu.fxsave_image().to_vec();
        }
        let mut b = self.cpu.xsave_image();
        let size = b.len() as u64;
        let sw = FpxSwBytes {
            magic1: FP_XSTATE_MAGIC1,
            extended_size: (size + FP_XSTATE_MAGIC2_SIZE) as u32,
            xfeatures: xcr0,
            xstate_size: size as u32,
        };
        sw.write(&mut b[FpxSwBytes::OFFSET..]);
        let h = &mut b[XstateHeader::OFFSET..];
        let mut hdr = XstateHeader::read(h);
        hdr.xfeatures |= XFEATURE_MASK_FPSSE;
        hdr.write(h);
        b.extend_from_slice(&FP_XSTATE_MAGIC2.to_le_bytes());
        b
    }

    /// Restores the FP state from the frame's area at `fpstate` as Linux's sigreturn
    /// does: the XSAVE image when its software bytes and MAGIC2 vouch for it (with the
    /// features they list, the others reset), else the legacy FXSAVE part alone. Err for a
    /// frame XRSTOR/FXRSTOR refuses (bad header, reserved MXCSR bits) or cannot read.
    fn restore_fp(&mut self, fpstate: u64) -> Result<(), ()> {
        if fpstate == 0 {
            self.cpu.reset_fp_state();
            return Ok(());
        }
        let mut legacy = [0u8; FXSAVE_SIZE as usize];
        self.cpu.mem.read(fpstate, &mut legacy).map_err(|_| ())?;
        let xcr0 = self.cpu.cpuid.xcr0();
        if xcr0 == 0 {
            return self.cpu.fxrstor_legacy(&legacy).map_err(|_| ());
        }
        let full = emu_cpu::cpuid::CpuidModel::xsave_size(xcr0) as usize;
        let sw = FpxSwBytes::read(&legacy[FpxSwBytes::OFFSET..]);
        let min = FXSAVE_SIZE as u32 + XstateHeader::SIZE as u32;
        let mut xstate = sw.magic1 == FP_XSTATE_MAGIC1
            && sw.xstate_size >= min
            && sw.xstate_size as usize <= full
            && sw.xstate_size <= sw.extended_size;
        if xstate {
            let mut m2 = [0u8; 4];
            self.cpu.mem.read(fpstate + sw.xstate_size as u64, &mut m2).map_err(|_| ())?;
            xstate = u32::from_le_bytes(m2) == FP_XSTATE_MAGIC2;
        }
        if !xstate {
            return self.cpu.fxrstor_legacy(&legacy).map_err(|_| ());
        }
        // XRSTOR reads the components it loads: the legacy part and header, then the
        // rest only when requested and present.
        let rfbm = sw.xfeatures & xcr0;
        let mut img = vec![0u8; full];
        img[..legacy.len()].copy_from_slice(&legacy);
        let at = XstateHeader::OFFSET;
        self.cpu.mem.read(fpstate + at as u64, &mut img[at..at + XstateHeader::SIZE]).map_err(|_| ())?;
        if rfbm & XstateHeader::read(&img[at..]).xfeatures & !XFEATURE_MASK_FPSSE != 0 {
            let rest = at + XstateHeader::SIZE;
            self.cpu.mem.read(fpstate + rest as u64, &mut img[rest..]).map_err(|_| ())?;
        }
        self.cpu.xrstor_image(&img, rfbm).map_err(|_| ())
    }

    /// rt_sigreturn: restores the context saved by `setup_frame`. The frame's ucontext is
    /// at the current rsp (the handler's `ret` popped pretcode). In Linux's order: the
    /// signal mask, the general registers, then the FP state; a FP state the kernel
    /// refuses leaves the FP registers in their initial state and the frame bad (Err).
    pub(crate) fn sigreturn(&mut self) -> Result<(), ()> {
        let mut b = [0u8; Ucontext::SIZE];
        self.cpu.mem.read(self.cpu.reg(Reg::Rsp), &mut b).map_err(|_| ())?;
        let uc = Ucontext::read(&b);
        let m = uc.mcontext;
        self.signals.mask = uc.sigmask & !(bit(S::SIGKILL) | bit(S::SIGSTOP));
        let c = &mut self.cpu;
        for (r, v) in [
            (Reg::R8, m.r8),
            (Reg::R9, m.r9),
            (Reg::R10, m.r10),
            (Reg::R11, m.r11),
            (Reg::R12, m.r12),
            (Reg::R13, m.r13),
            (Reg::R14, m.r14),
            (Reg::R15, m.r15),
            (Reg::Rdi, m.rdi),
            (Reg::Rsi, m.rsi),
            (Reg::Rbp, m.rbp),
            (Reg::Rbx, m.rbx),
            (Reg::Rdx, m.rdx),
            (Reg::Rax, m.rax),
            (Reg::Rcx, m.rcx),
            (Reg::Rsp, m.rsp),
        ] {
            c.set_reg(r, v);
        }
        c.rip = m.rip;
        // Only the user-modifiable flags come back (as the kernel's FIX_EFLAGS).
        let user = 0x40dd5u64; // AC OF DF TF SF ZF AF PF CF, RF
        let fl = (c.rflags() & !user) | (m.eflags & user);
        c.set_rflags(fl);
        if self.restore_fp(m.fpstate).is_err() {
            self.cpu.reset_fp_state();
            return Err(());
        }
        if uc.stack.flags & SS_DISABLE == 0 || uc.stack.sp != 0 {
            self.signals.altstack = StackT { flags: uc.stack.flags & SS_DISABLE, ..uc.stack };
        }
        Ok(())
    }
}
