//! Host signals: numbering to and from Linux's, and forwarding the signals a guest can
//! receive (from the terminal, timers, children, kill) into a pending set the run loop
//! delivers. The handlers themselves are installed by `ffi.rs`; what they do is here.

use super::{ffi, time, wake};
use crate::abi::signal as S;
use rustix::process::Signal;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// The signals whose number differs between Linux and BSD-derived hosts (Linux's, host's).
/// Every other number is the same.
const MOVED: [(i32, Signal); 8] = [
    (S::SIGBUS, Signal::BUS),
    (S::SIGUSR1, Signal::USR1),
    (S::SIGUSR2, Signal::USR2),
    (S::SIGCHLD, Signal::CHILD),
    (S::SIGCONT, Signal::CONT),
    (S::SIGSTOP, Signal::STOP),
    (S::SIGTSTP, Signal::TSTP),
    (S::SIGSYS, Signal::SYS),
];

/// Linux signal number to the host's.
pub fn host_signal(sig: i32) -> i32 {
    MOVED.iter().find(|&&(l, _)| l == sig).map_or(sig, |&(_, h)| h.as_raw())
}

/// Host signal number to Linux's. Async-signal-safe.
pub fn signal_to_linux(h: i32) -> i32 {
    MOVED.iter().find(|&&(_, hs)| hs.as_raw() == h).map_or(h, |&(l, _)| l)
}

/// The host signals forwarded to the guest.
const FORWARDED: [Signal; 14] = [
    Signal::HUP,
    Signal::INT,
    Signal::QUIT,
    Signal::TERM,
    Signal::USR1,
    Signal::USR2,
    Signal::ALARM,
    Signal::CHILD,
    Signal::WINCH,
    Signal::VTALARM,
    Signal::PROF,
    Signal::URG,
    Signal::XCPU,
    Signal::XFSZ,
];

/// Linux signal bits the host delivered and the run loop has not taken yet.
static PENDING_SIGNALS: AtomicU64 = AtomicU64::new(0);

/// Details of the last SIGCHLD: pid << 32 | si_code << 16 | si_status (Linux numbering).
static LAST_CHILD: AtomicU64 = AtomicU64::new(0);

/// The sender of each signal's last arrival when another process sent it: pid << 32 |
/// uid, the Linux si_code (i64::MIN: none, or the kernel's), si_value.
static SENDER_ID: [AtomicU64; 65] = [const { AtomicU64::new(0) }; 65];
static SENDER_CODE: [AtomicI64; 65] = [const { AtomicI64::new(i64::MIN) }; 65];
static SENDER_VALUE: [AtomicU64; 65] = [const { AtomicU64::new(0) }; 65];

/// Who sent Linux signal `sig` (its last arrival), if another process did: (Linux si_code,
/// host pid, uid, si_value). Taken once.
pub fn signal_sender(sig: i32) -> Option<(i32, i32, u32, u64)> {
    let i = usize::try_from(sig).ok().filter(|&i| i < 65)?;
    let code = SENDER_CODE[i].swap(i64::MIN, Ordering::SeqCst);
    if code == i64::MIN {
        return None;
    }
    let id = SENDER_ID[i].load(Ordering::SeqCst);
    Some((code as i32, (id >> 32) as i32, id as u32, SENDER_VALUE[i].load(Ordering::SeqCst)))
}

/// A forwarded host signal `hs` arrived; for SIGCHLD `child` is the (pid, si_code,
/// si_status) the host reported, for one another process sent `sender` its (Linux
/// si_code, pid, uid, si_value). Runs in the signal handler: atomics only.
pub(super) fn arrived(hs: i32, child: Option<(i32, i32, i32)>, sender: Option<(i32, i32, u32, u64)>) {
    if let Some((code, pid, uid, value)) = sender {
        let i = signal_to_linux(hs) as usize;
        if i < 65 {
            SENDER_ID[i].store(((pid as u32 as u64) << 32) | uid as u64, Ordering::SeqCst);
            SENDER_VALUE[i].store(value, Ordering::SeqCst);
            SENDER_CODE[i].store(code as i64, Ordering::SeqCst);
        }
    }
    if let Some((pid, code, status)) = child {
        // CLD_EXITED carries an exit code, the others a signal number.
        let status = if code == 1 { status } else { signal_to_linux(status) };
        let v = ((pid as u32 as u64) << 32) | ((code as u64 & 0xff) << 16) | (status as u64 & 0xffff);
        LAST_CHILD.store(v, Ordering::SeqCst);
    }
    pend(signal_to_linux(hs));
}

/// Marks Linux signal `sig` pending and stops the CPU loop so the run loop sees it.
/// Async-signal-safe.
pub(super) fn pend(sig: i32) {
    if (1..=64).contains(&sig) {
        PENDING_SIGNALS.fetch_or(1 << (sig - 1), Ordering::SeqCst);
    }
    emu_cpu::request_stop();
}

/// Routes the host signals a guest can receive (from the terminal, timers, children,
/// kill) to the guest: they are recorded and delivered by the run loop. Host SIGPIPE is
/// ignored so that writes report EPIPE, which the shim turns into the guest's SIGPIPE.
/// Job-control stops keep their host default and stop emu as a whole.
pub fn install_signal_forwarding() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for s in FORWARDED {
            // A signal emu was started with ignored stays ignored (as execve keeps SIG_IGN)
            // until the guest installs an action for it.
            if !ffi::is_ignored(s.as_raw()) {
                ffi::forward(s.as_raw());
            }
        }
        ffi::ignore(Signal::PIPE.as_raw());
    });
}

/// Linux signals that were ignored when emu started (the guest inherits SIG_IGN).
pub fn inherited_ignored() -> Vec<i32> {
    FORWARDED
        .iter()
        .chain(JOB_CONTROL.iter())
        .filter(|s| ffi::is_ignored(s.as_raw()))
        .map(|s| signal_to_linux(s.as_raw()))
        .collect()
}

/// What the guest's action for a signal is, as far as the host's must follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestAction {
    Default,
    Ignore,
    Handler,
}

/// The job-control signals: the host's action for them is the guest's, so that a stop
/// from the terminal, the shell or the kernel (a background read of the terminal) stops
/// emu with the signal that stops the guest, an ignored one is ignored by the host as
/// the kernel would (tcsetpgrp from the background, orphaned groups), and a handled one
/// is forwarded (SIGCONT continues emu whatever its action).
const JOB_CONTROL: [Signal; 4] = [Signal::TSTP, Signal::TTIN, Signal::TTOU, Signal::CONT];

/// The guest changed Linux signal `sig`'s action to `act`: ignored signals are ignored
/// by the host too (no EINTR for them; for SIGCHLD, no zombies, like SIG_IGN/SA_NOCLDWAIT
/// on Linux), others are forwarded; the job-control signals follow the guest's action.
pub fn guest_action_changed(sig: i32, act: GuestAction) {
    let hs = host_signal(sig);
    if FORWARDED.iter().any(|s| s.as_raw() == hs) {
        if act == GuestAction::Ignore {
            ffi::ignore(hs);
        } else {
            ffi::forward(hs);
        }
    } else if JOB_CONTROL.iter().any(|s| s.as_raw() == hs) {
        match act {
            GuestAction::Default => ffi::set_default(hs),
            GuestAction::Ignore => ffi::ignore(hs),
            GuestAction::Handler => ffi::forward(hs),
        }
    }
}

/// (pid, si_code, si_status) of the child whose state change raised the last SIGCHLD.
pub fn last_child() -> (i32, i32, i32) {
    let v = LAST_CHILD.load(Ordering::SeqCst);
    ((v >> 32) as u32 as i32, ((v >> 16) & 0xff) as i32, (v & 0xffff) as i32)
}

/// Linux signal bits the host delivered since the last call.
pub fn take_pending_signals() -> u64 {
    PENDING_SIGNALS.swap(0, Ordering::SeqCst)
}

pub fn signals_pending() -> bool {
    PENDING_SIGNALS.load(Ordering::Relaxed) != 0 || wake::due()
}

/// Sleeps briefly or until a host signal arrives.
pub fn wait_for_signal() {
    if !signals_pending() {
        time::nap();
    }
}

/// Recording: a SIGKILL sent to a recorded child travels as a catchable signal, so that
/// the child can log it (and its instruction count) before it dies. This installs its
/// receiving end (on hosts that have one: Linux); the children inherit it across fork.
pub fn install_kill_transport() {
    ffi::install_kill_transport();
}

/// Sends SIGKILL to `pid`, a recorded child: through the transport where the host has
/// one (Linux), a plain SIGKILL elsewhere.
pub fn kill_recorded(pid: i32) -> super::HostResult<()> {
    ffi::kill_recorded(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_numbers_translate_both_ways() {
        for (l, h) in MOVED {
            assert_eq!(host_signal(l), h.as_raw());
            assert_eq!(signal_to_linux(h.as_raw()), l);
        }
        assert_eq!(host_signal(S::SIGKILL), Signal::KILL.as_raw());
        if cfg!(target_os = "linux") {
            assert!((1..=64).all(|s| host_signal(s) == s && signal_to_linux(s) == s));
        }
    }
}
