//! Signal syscalls: rt_sigaction, rt_sigprocmask, rt_sigreturn, rt_sigpending,
//! rt_sigsuspend, pause, sigaltstack, alarm, setitimer/getitimer. The signal state and
//! delivery live in `crate::signal`.

use super::{read_guest, write_guest, Args, SysResult};
use crate::abi::{errno as E, signal as S};
use crate::host;
use crate::signal::{bit, SigAction, SS_DISABLE, SS_ONSTACK};
use crate::Process;

fn le64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

const UNBLOCKABLE: u64 = (1 << (S::SIGKILL - 1)) | (1 << (S::SIGSTOP - 1));

pub(super) fn rt_sigaction(p: &mut Process, a: &Args) -> SysResult {
    let (sig, act, old, size) = (a[0] as i64, a[1], a[2], a[3]);
    if size != 8 || !(1..=64).contains(&sig) {
        return Err(E::EINVAL);
    }
    let sig = sig as usize;
    if act != 0 && (sig == S::SIGKILL as usize || sig == S::SIGSTOP as usize) {
        return Err(E::EINVAL);
    }
    let prev = p.signals.actions[sig];
    if act != 0 {
        let b = read_guest(p, act, 32)?;
        let new = SigAction {
            handler: le64(&b[0..]),
            flags: le64(&b[8..]),
            restorer: le64(&b[16..]),
            mask: le64(&b[24..]) & !UNBLOCKABLE,
        };
        p.signals.actions[sig] = new;
        const SA_NOCLDWAIT: u64 = 2;
        let ignore = new.handler == crate::signal::SIG_IGN
            || sig == S::SIGCHLD as usize && new.flags & SA_NOCLDWAIT != 0;
        host::install_signal_forwarding();
        host::guest_action_changed(sig as i32, ignore);
        // Setting SIG_IGN (or SIG_DFL for a default-ignored signal) discards it if pending.
        if p.signals.ignored(sig as i32) {
            p.signals.pending &= !bit(sig as i32);
        }
    }
    if old != 0 {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&prev.handler.to_le_bytes());
        b[8..16].copy_from_slice(&prev.flags.to_le_bytes());
        b[16..24].copy_from_slice(&prev.restorer.to_le_bytes());
        b[24..32].copy_from_slice(&prev.mask.to_le_bytes());
        write_guest(p, old, &b)?;
    }
    Ok(0)
}

pub(super) fn rt_sigprocmask(p: &mut Process, a: &Args) -> SysResult {
    let (how, set, old, size) = (a[0], a[1], a[2], a[3]);
    if size != 8 {
        return Err(E::EINVAL);
    }
    let prev = p.signals.mask;
    if set != 0 {
        let s = le64(&read_guest(p, set, 8)?) & !UNBLOCKABLE;
        p.signals.mask = match how {
            0 => prev | s,
            1 => prev & !s,
            2 => s,
            _ => return Err(E::EINVAL),
        };
    }
    if old != 0 {
        write_guest(p, old, &prev.to_le_bytes())?;
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
    Ok(p.cpu.regs[0])
}

pub(super) fn rt_sigpending(p: &mut Process, a: &Args) -> SysResult {
    p.collect_host_signals();
    write_guest(p, a[0], &(p.signals.pending & p.signals.mask).to_le_bytes())?;
    Ok(0)
}

/// Sleeps until a signal that is not ignored arrives.
fn wait_for_signal(p: &mut Process) {
    loop {
        p.collect_host_signals();
        if p.has_deliverable() {
            return;
        }
        p.world().wait_for_signal();
    }
}

pub(super) fn rt_sigsuspend(p: &mut Process, a: &Args) -> SysResult {
    if a[1] != 8 {
        return Err(E::EINVAL);
    }
    let m = le64(&read_guest(p, a[0], 8)?) & !UNBLOCKABLE;
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
    let (ss, old) = (a[0], a[1]);
    let sp = p.cpu.regs[4];
    let (cur_sp, cur_flags, cur_size) = p.signals.altstack;
    let on = cur_flags & SS_DISABLE == 0 && sp > cur_sp && sp <= cur_sp + cur_size;
    if old != 0 {
        let mut b = [0u8; 24];
        b[0..8].copy_from_slice(&cur_sp.to_le_bytes());
        let flags = if on { SS_ONSTACK } else { cur_flags & SS_DISABLE };
        b[8..12].copy_from_slice(&flags.to_le_bytes());
        b[16..24].copy_from_slice(&cur_size.to_le_bytes());
        write_guest(p, old, &b)?;
    }
    if ss != 0 {
        let b = read_guest(p, ss, 24)?;
        let (nsp, nflags, nsize) =
            (le64(&b[0..]), u32::from_le_bytes(b[8..12].try_into().unwrap()), le64(&b[16..]));
        if on {
            return Err(E::EPERM);
        }
        const SS_AUTODISARM: u32 = 1 << 31;
        match nflags & !SS_AUTODISARM {
            SS_DISABLE => p.signals.altstack = (0, SS_DISABLE, 0),
            0 | SS_ONSTACK => {
                if nsize < 2048 {
                    return Err(E::ENOMEM);
                }
                p.signals.altstack = (nsp, 0, nsize);
            }
            _ => return Err(E::EINVAL),
        }
    }
    Ok(0)
}

pub(super) fn alarm(p: &mut Process, a: &Args) -> SysResult {
    Ok(p.world().alarm(a[0] as u32) as u64)
}

fn itimerval_from(b: &[u8]) -> [i64; 4] {
    [0, 8, 16, 24].map(|o| i64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes")))
}

fn itimerval_bytes(v: [i64; 4]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(super) fn setitimer(p: &mut Process, a: &Args) -> SysResult {
    if a[0] > 2 {
        return Err(E::EINVAL);
    }
    let new = if a[1] != 0 { itimerval_from(&read_guest(p, a[1], 32)?) } else { [0; 4] };
    if new[1] < 0 || new[1] >= 1_000_000 || new[3] < 0 || new[3] >= 1_000_000 {
        return Err(E::EINVAL);
    }
    let old = p.world().setitimer(a[0] as i32, new)?;
    if a[2] != 0 {
        write_guest(p, a[2], &itimerval_bytes(old))?;
    }
    Ok(0)
}

pub(super) fn getitimer(p: &mut Process, a: &Args) -> SysResult {
    if a[0] > 2 {
        return Err(E::EINVAL);
    }
    let cur = p.world().getitimer(a[0] as i32)?;
    write_guest(p, a[1], &itimerval_bytes(cur))?;
    Ok(0)
}

/// rt_sigtimedwait (sigwaitinfo, sigtimedwait): takes a pending signal of `set` without
/// running its handler, waiting up to the timeout for one.
pub(super) fn rt_sigtimedwait(p: &mut Process, a: &Args) -> SysResult {
    if a[3] != 8 {
        return Err(E::EINVAL);
    }
    let set = le64(&read_guest(p, a[0], 8)?) & !UNBLOCKABLE;
    let deadline = if a[2] != 0 {
        let b = read_guest(p, a[2], 16)?;
        let (s, ns) = (le64(&b[..8]) as i64, le64(&b[8..]) as i64);
        if s < 0 || !(0..1_000_000_000).contains(&ns) {
            return Err(E::EINVAL);
        }
        Some(p.world().instant() + std::time::Duration::new(s as u64, ns as u32))
    } else {
        None
    };
    // A retry (see below) keeps the deadline of the first attempt.
    let deadline = p.cur().deadline.or(deadline);
    loop {
        p.collect_host_signals();
        if let Some(info) = p.take_pending(set) {
            p.cur_mut().deadline = None;
            if a[1] != 0 {
                write_guest(p, a[1], &info.to_bytes())?;
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
