//! Signal syscalls: rt_sigaction, rt_sigprocmask, rt_sigreturn, rt_sigpending,
//! rt_sigsuspend, pause, sigaltstack, alarm, setitimer/getitimer. The signal state and
//! delivery live in `crate::signal`.

use super::{read_struct, read_timespec, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::signal::{self as S, SigAction, StackT, MINSIGSTKSZ, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK};
use crate::abi::time::Itimerval;
use crate::host;
use crate::signal::bit;
use crate::Process;

/// The size of the kernel's sigset_t, which the mask-taking calls must be given.
const SIGSET_SIZE: u64 = 8;

const UNBLOCKABLE: u64 = (1 << (S::SIGKILL - 1)) | (1 << (S::SIGSTOP - 1));

pub(super) fn rt_sigaction(p: &mut Process, a: &Args) -> SysResult {
    let (sig, act, old, size) = (a.int(0), a.ptr(1), a.ptr(2), a.ulong(3));
    if size != SIGSET_SIZE || !(1..=64).contains(&sig) {
        return Err(E::EINVAL);
    }
    let sig = sig as usize;
    if act != 0 && (sig == S::SIGKILL as usize || sig == S::SIGSTOP as usize) {
        return Err(E::EINVAL);
    }
    let prev = p.signals.actions[sig];
    if act != 0 {
        let mut new = read_struct::<SigAction>(p, act)?;
        new.mask &= !UNBLOCKABLE;
        p.signals.actions[sig] = new;
        let ignore =
            new.handler == S::SIG_IGN || sig == S::SIGCHLD as usize && new.flags & S::SA_NOCLDWAIT != 0;
        host::install_signal_forwarding();
        host::guest_action_changed(sig as i32, ignore);
        // Setting SIG_IGN (or SIG_DFL for a default-ignored signal) discards it if pending.
        if p.signals.ignored(sig as i32) {
            p.signals.pending &= !bit(sig as i32);
        }
    }
    if old != 0 {
        write_struct(p, old, &prev)?;
    }
    Ok(0)
}

pub(super) fn rt_sigprocmask(p: &mut Process, a: &Args) -> SysResult {
    let (how, set, old, size) = (a.int(0), a.ptr(1), a.ptr(2), a.ulong(3));
    if size != SIGSET_SIZE {
        return Err(E::EINVAL);
    }
    let prev = p.signals.mask;
    if set != 0 {
        let s = read_struct::<u64>(p, set)? & !UNBLOCKABLE;
        p.signals.mask = match how {
            0 => prev | s,
            1 => prev & !s,
            2 => s,
            _ => return Err(E::EINVAL),
        };
    }
    if old != 0 {
        write_struct(p, old, &prev)?;
    }
    Ok(0)
}

pub(super) fn rt_sigreturn(p: &mut Process, _: &Args) -> SysResult {
    if p.sigreturn().is_err() {
        p.force_signal(crate::signal::SigInfo::kernel(S::SIGSEGV));
    } else {
        p.event(|_| crate::process::Event::Sigreturned);
    }
    // The restored rax is the result the interrupted code sees.
    Ok(p.cpu.reg(emu_cpu::Reg::Rax))
}

pub(super) fn rt_sigpending(p: &mut Process, a: &Args) -> SysResult {
    p.collect_host_signals();
    let pending = p.signals.pending & p.signals.mask;
    write_struct(p, a.ptr(0), &pending)?;
    Ok(0)
}

/// Sleeps until a signal that is not ignored arrives.
fn wait_for_signal(p: &mut Process) {
    loop {
        p.collect_host_signals();
        if p.has_deliverable() {
            return;
        }
        crate::gate::wait_for_signal();
    }
}

pub(super) fn rt_sigsuspend(p: &mut Process, a: &Args) -> SysResult {
    if a.ulong(1) != SIGSET_SIZE {
        return Err(E::EINVAL);
    }
    let m = read_struct::<u64>(p, a.ptr(0))? & !UNBLOCKABLE;
    p.saved_mask = Some(p.signals.mask);
    p.signals.mask = m;
    wait_for_signal(p);
    Err(E::EINTR)
}

pub(super) fn pause(p: &mut Process, _: &Args) -> SysResult {
    wait_for_signal(p);
    Err(E::EINTR)
}

pub(super) fn sigaltstack(p: &mut Process, a: &Args) -> SysResult {
    let (ss, old) = (a.ptr(0), a.ptr(1));
    let sp = p.cpu.reg(emu_cpu::Reg::Rsp);
    let cur = p.signals.altstack;
    let on = cur.flags & SS_DISABLE == 0 && sp > cur.sp && sp <= cur.sp + cur.size;
    if old != 0 {
        let flags = if on { SS_ONSTACK } else { cur.flags & SS_DISABLE };
        write_struct(p, old, &StackT { flags, ..cur })?;
    }
    if ss != 0 {
        let new = read_struct::<StackT>(p, ss)?;
        if on {
            return Err(E::EPERM);
        }
        match new.flags & !SS_AUTODISARM {
            SS_DISABLE => p.signals.altstack = StackT { flags: SS_DISABLE, ..Default::default() },
            0 | SS_ONSTACK => {
                if new.size < MINSIGSTKSZ {
                    return Err(E::ENOMEM);
                }
                p.signals.altstack = StackT { flags: 0, ..new };
            }
            _ => return Err(E::EINVAL),
        }
    }
    Ok(0)
}

pub(super) fn alarm(_: &mut Process, a: &Args) -> SysResult {
    Ok(crate::gate::alarm(a.uint(0)) as u64)
}

pub(super) fn setitimer(p: &mut Process, a: &Args) -> SysResult {
    let (which, new, old) = (a.int(0), a.ptr(1), a.ptr(2));
    if !(0..=2).contains(&which) {
        return Err(E::EINVAL);
    }
    let new = if new != 0 { read_struct::<Itimerval>(p, new)? } else { Itimerval::default() };
    if !new.interval.is_normalised() || !new.value.is_normalised() {
        return Err(E::EINVAL);
    }
    let prev = crate::gate::setitimer(which, new.to_words())?;
    if old != 0 {
        write_struct(p, old, &Itimerval::from_words(prev))?;
    }
    Ok(0)
}

pub(super) fn getitimer(p: &mut Process, a: &Args) -> SysResult {
    let which = a.int(0);
    if !(0..=2).contains(&which) {
        return Err(E::EINVAL);
    }
    let cur = crate::gate::getitimer(which)?;
    write_struct(p, a.ptr(1), &Itimerval::from_words(cur))?;
    Ok(0)
}

/// rt_sigtimedwait (sigwaitinfo, sigtimedwait): takes a pending signal of `set` without
/// running its handler, waiting up to the timeout for one.
pub(super) fn rt_sigtimedwait(p: &mut Process, a: &Args) -> SysResult {
    let (set, info_addr, timeout) = (a.ptr(0), a.ptr(1), a.ptr(2));
    if a.ulong(3) != SIGSET_SIZE {
        return Err(E::EINVAL);
    }
    let set = read_struct::<u64>(p, set)? & !UNBLOCKABLE;
    let deadline = if timeout != 0 {
        Some(crate::gate::instant() + read_timespec(p, timeout)?.to_duration())
    } else {
        None
    };
    // A retry (see below) keeps the deadline of the first attempt.
    let deadline = p.cur().deadline.or(deadline);
    loop {
        p.collect_host_signals();
        if let Some(info) = p.take_pending(set) {
            p.cur_mut().deadline = None;
            if info_addr != 0 {
                write_struct(p, info_addr, &info)?;
            }
            return Ok(info.signo as u64);
        }
        if p.has_deliverable() {
            p.cur_mut().deadline = None;
            return Err(E::EINTR);
        }
        if deadline.is_some_and(|d| crate::gate::instant() >= d) {
            p.cur_mut().deadline = None;
            return Err(E::EAGAIN);
        }
        if p.multithreaded() {
            // Other threads must run (one of them may send the signal): park and look
            // again soon, keeping the original deadline across retries.
            let now = crate::gate::instant();
            let far = now + std::time::Duration::from_secs(u32::MAX as u64);
            let d = *p.cur_mut().deadline.get_or_insert(deadline.unwrap_or(far));
            p.park(crate::thread::Wait::Retry { at: (now + std::time::Duration::from_millis(2)).min(d) });
            return Err(crate::thread::E_WOULDBLOCK);
        }
        crate::gate::wait_for_signal();
    }
}
