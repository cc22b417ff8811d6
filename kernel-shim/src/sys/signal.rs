//! Signal syscalls: sending (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo),
//! rt_sigaction, rt_sigprocmask, rt_sigreturn, rt_sigpending, rt_sigsuspend, pause,
//! sigaltstack, alarm, setitimer/getitimer. The signal state and
//! delivery live in `crate::signal`.

use super::{read_struct, read_timespec, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::signal::{
    self as S, SigAction, SigInfo, StackT, MINSIGSTKSZ, SIGSET_SIZE, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK,
};
use crate::abi::time::Itimerval;
use crate::host::{self, Errno};
use crate::signal::bit;
use crate::Process;

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
        host::install_signal_forwarding();
        host::guest_action_changed(sig as i32, p.signals.host_action(sig as i32));
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

/// Sleeps until a signal that is not ignored arrives: EINTR. With other threads to run
/// the thread parks instead, and a signal for it ends the wait (`interrupt_thread`).
fn wait_for_signal(p: &mut Process) -> SysResult {
    loop {
        p.collect_host_signals();
        // A SIGKILL may have ended the process (a replay takes it from the log so).
        if p.has_deliverable() || p.outcome.is_some() {
            return Err(E::EINTR);
        }
        if p.multithreaded() {
            p.park(crate::thread::Wait::Signal);
            return Err(crate::thread::E_WOULDBLOCK);
        }
        p.world().wait_for_signal();
    }
}

pub(super) fn rt_sigsuspend(p: &mut Process, a: &Args) -> SysResult {
    if a.ulong(1) != SIGSET_SIZE {
        return Err(E::EINVAL);
    }
    let m = read_struct::<u64>(p, a.ptr(0))? & !UNBLOCKABLE;
    p.saved_mask = Some(p.signals.mask);
    p.signals.mask = m;
    wait_for_signal(p)
}

pub(super) fn pause(p: &mut Process, _: &Args) -> SysResult {
    wait_for_signal(p)
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

pub(super) fn alarm(p: &mut Process, a: &Args) -> SysResult {
    Ok(p.world().alarm(a.uint(0)) as u64)
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
    let prev = p.world().setitimer(which, new.to_words())?;
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
    let cur = p.world().getitimer(which)?;
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
        let t = read_timespec(p, timeout)?.to_duration();
        Some(p.world().instant() + t)
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
        if deadline.is_some_and(|d| p.world().instant() >= d) {
            p.cur_mut().deadline = None;
            return Err(E::EAGAIN);
        }
        if p.multithreaded() {
            // Other threads must run (one of them may send the signal): park and look
            // again soon, keeping the original deadline across retries.
            let now = p.world().instant();
            let far = now + std::time::Duration::from_secs(u32::MAX as u64);
            let d = *p.cur_mut().deadline.get_or_insert(deadline.unwrap_or(far));
            p.park(crate::thread::Wait::Retry { at: (now + std::time::Duration::from_millis(2)).min(d) });
            return Err(crate::thread::E_WOULDBLOCK);
        }
        p.world().wait_for_signal();
    }
}

/// Sends `sig` to this process (delivered when the syscall returns).
fn signal_self(p: &mut Process, sig: i32) -> SysResult {
    if sig != 0 {
        p.raise(p.si_user(sig));
    }
    Ok(0)
}

fn tkill_self(p: &mut Process, sig: i32) -> SysResult {
    if sig != 0 {
        p.raise(SigInfo { code: S::SI_TKILL, ..p.si_user(sig) });
    }
    Ok(0)
}

/// tgkill/tkill: a signal for one thread of this process.
fn signal_thread(p: &mut Process, tid: i32, sig: i32) -> SysResult {
    if tid == p.tid() {
        return tkill_self(p, sig);
    }
    let i = p.threads.iter().position(|t| t.tid == tid).ok_or(E::ESRCH)?;
    if sig != 0 {
        let info = SigInfo { code: S::SI_TKILL, ..p.si_user(sig) };
        p.raise_in_thread(i, info);
    }
    Ok(0)
}

fn valid_sig(sig: i32) -> Result<i32, Errno> {
    if !(0..=64).contains(&sig) {
        return Err(E::EINVAL);
    }
    Ok(sig)
}

pub(super) fn kill(p: &mut Process, a: &Args) -> SysResult {
    let (pid, sig) = (a.pid(0), valid_sig(a.int(1))?);
    if pid == p.world().pid() {
        return signal_self(p, sig);
    }
    // A group this process is in: the host holds emu's own copy back, and the guest
    // receives it as a signal it sent itself.
    if p.world().kill(pid, sig)? {
        return signal_self(p, sig);
    }
    Ok(0)
}

pub(super) fn tgkill(p: &mut Process, a: &Args) -> SysResult {
    let (tgid, tid, sig) = (a.pid(0), a.pid(1), valid_sig(a.int(2))?);
    if tgid != p.world().pid() {
        return Err(E::ESRCH);
    }
    signal_thread(p, tid, sig)
}

pub(super) fn tkill(p: &mut Process, a: &Args) -> SysResult {
    let (tid, sig) = (a.pid(0), valid_sig(a.int(1))?);
    signal_thread(p, tid, sig)
}

/// rt_sigqueueinfo / rt_tgsigqueueinfo to this process: the caller's siginfo is
/// delivered as given (si_code must be negative, as Linux requires from user space).
pub(super) fn rt_sigqueueinfo(p: &mut Process, a: &Args) -> SysResult {
    let (pid, sig, info) = (a.pid(0), valid_sig(a.int(1))?, a.ptr(2));
    if pid != p.world().pid() {
        return Err(E::EPERM);
    }
    queue_self(p, sig, info)
}

pub(super) fn rt_tgsigqueueinfo(p: &mut Process, a: &Args) -> SysResult {
    let (tgid, tid, sig, info) = (a.pid(0), a.pid(1), valid_sig(a.int(2))?, a.ptr(3));
    if tgid != p.world().pid() || p.threads.iter().all(|t| t.tid != tid) {
        return Err(E::ESRCH);
    }
    queue_self(p, sig, info)
}

fn queue_self(p: &mut Process, sig: i32, info: u64) -> SysResult {
    let given = read_struct::<SigInfo>(p, info)?;
    if given.code >= 0 || given.code == S::SI_TKILL {
        return Err(E::EPERM);
    }
    if sig == 0 {
        return Ok(0);
    }
    // A negative code other than SI_TKILL: the union is `_rt`, with si_value.
    debug_assert!(given.value);
    p.raise(SigInfo {
        code: given.code,
        pid: given.pid,
        uid: given.uid,
        addr: given.addr,
        value: true,
        ..p.si_user(sig)
    });
    Ok(0)
}

/// restart_syscall: emu restarts an interrupted call by running its syscall instruction
/// again, so no restart block is ever pending, and Linux answers EINTR without one.
pub(super) fn restart_syscall(_: &mut Process, _: &Args) -> SysResult {
    Err(E::EINTR)
}
