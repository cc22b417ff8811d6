//! Signals: numbers and names, dispositions and `sigaction` flags, and the structs
//! (`sigaction` as rt_sigaction takes it, `siginfo_t`, `stack_t`, `sigevent`). The signal
//! frame (`ucontext`, `sigcontext`) is in `frame`.

use super::{get, guest_struct, put, GuestStruct};

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGABRT: i32 = 6;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGKILL: i32 = 9;
pub const SIGUSR1: i32 = 10;
pub const SIGSEGV: i32 = 11;
pub const SIGUSR2: i32 = 12;
pub const SIGPIPE: i32 = 13;
pub const SIGALRM: i32 = 14;
pub const SIGTERM: i32 = 15;
pub const SIGCHLD: i32 = 17;
pub const SIGCONT: i32 = 18;
pub const SIGSTOP: i32 = 19;
pub const SIGTSTP: i32 = 20;
pub const SIGSYS: i32 = 31;

/// Whether the default action of `sig` dumps core (signal(7): "Core").
pub fn dumps_core(sig: i32) -> bool {
    matches!(sig, SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | 24 | 25 | SIGSYS)
}

pub fn name(sig: i32) -> String {
    const N: [&str; 32] = [
        "0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match sig {
        1..=31 => N[sig as usize].to_string(),
        32..=64 => format!("SIGRT_{}", sig - 32),
        _ => format!("signal {sig}"),
    }
}

/// The default action.
pub const SIG_DFL: u64 = 0;
/// Ignore the signal.
pub const SIG_IGN: u64 = 1;

pub const SA_NOCLDWAIT: u64 = 0x2;
pub const SA_SIGINFO: u64 = 0x4;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;
/// Disarm the alternate stack while a handler runs on it.
pub const SS_AUTODISARM: u32 = 1 << 31;
/// The smallest alternate stack sigaltstack accepts.
pub const MINSIGSTKSZ: u64 = 2048;

/// si_code: sent by kill, sigsend or raise.
pub const SI_USER: i32 = 0;
/// si_code: sent by the kernel.
pub const SI_KERNEL: i32 = 0x80;
/// si_code: sent by sigqueue.
pub const SI_QUEUE: i32 = -1;
/// si_code: a POSIX timer expired.
pub const SI_TIMER: i32 = -2;
/// si_code: sent by tkill or tgkill.
pub const SI_TKILL: i32 = -6;

/// sigev_notify: the process (or thread, with SIGEV_THREAD_ID) gets a signal.
pub const SIGEV_SIGNAL: i32 = 0;
/// sigev_notify: nothing happens.
pub const SIGEV_NONE: i32 = 1;
/// sigev_notify: glibc runs a function in a new thread (it asks the kernel for a signal).
pub const SIGEV_THREAD: i32 = 2;
/// sigev_notify flag: the signal goes to the thread in `sigev_notify_thread_id`.
pub const SIGEV_THREAD_ID: i32 = 4;

guest_struct! {
    /// The kernel's `struct sigaction` as rt_sigaction takes it (glibc's differs: it puts
    /// a 128-byte mask second and converts).
    #[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
    pub struct SigAction [32] {
        handler: u64 = 0,
        flags: u64 = 8,
        restorer: u64 = 16,
        mask: u64 = 24,
    }
}

/// The size of the kernel's sigset_t, the only `sigsetsize` the calls that take a mask accept.
pub const SIGSET_SIZE: u64 = 8;

guest_struct! {
    /// pselect6's sixth argument: the mask and its size, `{ const sigset_t *ss; size_t
    /// ss_len; }`.
    #[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
    pub struct SigsetArgpack [16] {
        ss: u64 = 0,
        len: u64 = 8,
    }
}

guest_struct! {
    /// `stack_t` (sigaltstack, and `uc_stack` in the signal frame).
    #[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
    pub struct StackT [24] {
        sp: u64 = 0,
        flags: u32 = 8,
        size: u64 = 16,
    }
}

guest_struct! {
    /// `struct sigevent` (timer_create). The union after `notify` holds the thread id for
    /// SIGEV_THREAD_ID (or glibc's function and attributes for SIGEV_THREAD).
    #[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
    pub struct SigEvent [64] {
        value: u64 = 0,
        signo: i32 = 8,
        notify: i32 = 12,
        tid: i32 = 16,
    }
}

/// The guest's `siginfo_t` (128 bytes), holding what emu produces: the union after
/// `si_code` is read as `_sigfault` for a fault, `_rt`/`_timer` when `value` is set, and
/// `_kill`/`_sigchld` otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SigInfo {
    pub signo: i32,
    pub code: i32,
    /// si_addr for faults; si_value when `value` is set.
    pub addr: u64,
    /// si_pid (kill, SIGCHLD, sigqueue); the timer id for SI_TIMER.
    pub pid: i32,
    /// si_uid; the overrun count for SI_TIMER.
    pub uid: u32,
    /// si_status (SIGCHLD).
    pub status: i32,
    /// A queued signal (sigqueue, timers): `addr` holds si_value, after pid and uid.
    pub value: bool,
}

impl SigInfo {
    /// Offsets of the fields (`si_addr` shares 16 with `si_pid`; `si_value` and
    /// `si_status` share 24).
    pub const FIELDS: &'static [(&'static str, usize, usize)] = &[
        ("signo", 0, 4),
        ("errno", 4, 4),
        ("code", 8, 4),
        ("pid", 16, 4),
        ("uid", 20, 4),
        ("status", 24, 4),
    ];
    const ADDR: usize = 16;
    const VALUE: usize = 24;

    /// A signal the kernel sends (SI_KERNEL).
    pub fn kernel(sig: i32) -> SigInfo {
        SigInfo { signo: sig, code: SI_KERNEL, ..Default::default() }
    }

    /// Whether the union is `_sigfault`: a fault signal the CPU raised.
    fn is_fault(&self) -> bool {
        matches!(self.signo, SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGTRAP) && self.code > 0
    }
}

impl GuestStruct for SigInfo {
    const SIZE: usize = 128;

    /// A siginfo from the guest (rt_sigqueueinfo): a negative si_code other than
    /// SI_TKILL carries si_value.
    fn read(b: &[u8]) -> Self {
        let mut s = SigInfo { signo: get(b, 0), code: get(b, 8), ..Default::default() };
        if s.is_fault() {
            s.addr = get(b, Self::ADDR);
            return s;
        }
        s.pid = get(b, 16);
        s.uid = get(b, 20);
        s.value = s.code < 0 && s.code != SI_TKILL;
        if s.value {
            s.addr = get(b, Self::VALUE);
        } else {
            s.status = get(b, 24);
        }
        s
    }

    fn write(&self, out: &mut [u8]) {
        put(out, 0, &self.signo);
        put(out, 8, &self.code);
        if self.is_fault() {
            put(out, Self::ADDR, &self.addr);
            return;
        }
        put(out, 16, &self.pid);
        put(out, 20, &self.uid);
        if self.value {
            put(out, Self::VALUE, &self.addr);
        } else {
            put(out, 24, &self.status);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::{check_disjoint, expect};

    #[test]
    fn layouts_match_linux() {
        expect(
            SigAction::FIELDS,
            SigAction::SIZE,
            32,
            &[("handler", 0), ("flags", 8), ("restorer", 16), ("mask", 24)],
        );
        expect(StackT::FIELDS, StackT::SIZE, 24, &[("sp", 0), ("flags", 8), ("size", 16)]);
        expect(
            SigEvent::FIELDS,
            SigEvent::SIZE,
            64,
            &[("value", 0), ("signo", 8), ("notify", 12), ("tid", 16)],
        );
        assert_eq!(SigInfo::SIZE, 128);
        check_disjoint(SigInfo::FIELDS);
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn layouts_match_the_host_libc() {
        use crate::abi::layout::offset;
        use std::mem::{offset_of, size_of};
        assert_eq!(size_of::<libc::stack_t>(), StackT::SIZE);
        assert_eq!(offset_of!(libc::stack_t, ss_flags), offset(StackT::FIELDS, "flags"));
        assert_eq!(offset_of!(libc::stack_t, ss_size), offset(StackT::FIELDS, "size"));
        assert_eq!(size_of::<libc::sigevent>(), SigEvent::SIZE);
        assert_eq!(offset_of!(libc::sigevent, sigev_signo), offset(SigEvent::FIELDS, "signo"));
        assert_eq!(offset_of!(libc::sigevent, sigev_notify), offset(SigEvent::FIELDS, "notify"));
        assert_eq!(size_of::<libc::siginfo_t>(), SigInfo::SIZE);
        assert_eq!(offset_of!(libc::siginfo_t, si_errno), offset(SigInfo::FIELDS, "errno"));
        assert_eq!(offset_of!(libc::siginfo_t, si_code), offset(SigInfo::FIELDS, "code"));
    }

    #[test]
    fn siginfo_union_by_kind() {
        let fault = SigInfo { signo: SIGSEGV, code: 1, addr: 0xdead_beef, ..Default::default() };
        let b = fault.to_bytes();
        assert_eq!(&b[16..24], &0xdead_beefu64.to_le_bytes());
        assert_eq!(SigInfo::read(&b), fault);

        let chld = SigInfo { signo: SIGCHLD, code: 1, pid: 7, uid: 1000, status: 3, ..Default::default() };
        let b = chld.to_bytes();
        assert_eq!(
            (&b[16..20], &b[20..24], &b[24..28]),
            (&7i32.to_le_bytes()[..], &1000u32.to_le_bytes()[..], &3i32.to_le_bytes()[..])
        );
        assert_eq!(SigInfo::read(&b), chld);

        let queued = SigInfo {
            signo: 40,
            code: SI_QUEUE,
            pid: 7,
            uid: 0,
            addr: 0x1234_5678_9abc,
            value: true,
            ..Default::default()
        };
        let b = queued.to_bytes();
        assert_eq!(&b[24..32], &0x1234_5678_9abcu64.to_le_bytes());
        assert_eq!(SigInfo::read(&b), queued);

        assert_eq!(SigInfo::kernel(SIGALRM).to_bytes()[8..12], SI_KERNEL.to_le_bytes());
    }
}
