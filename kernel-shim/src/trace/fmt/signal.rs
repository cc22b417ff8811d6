//! Signals: names, masks, `struct sigaction`, siginfo (`--- SIGCHLD {...} ---`), `stack_t`
//! and the mask rt_sigreturn restores.

use super::{flags, octal_flags, ptr};
use crate::abi::signal::{self as S, SigAction, SigInfo, StackT};

/// A signal's name as strace prints it (glibc's first real-time signal is SIGRTMIN).
pub(crate) fn name(sig: i32) -> String {
    match sig {
        32 => "SIGRTMIN".into(),
        33..=64 => format!("SIGRT_{}", sig - 32),
        _ => S::name(sig),
    }
}

/// A signal argument: its name, `0` for the null signal (kill's existence check).
pub(crate) fn signal(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        name(v as i32)
    }
}

/// A signal mask: `[CHLD USR1]`, or `~[...]` listing the signals not in it when that is
/// shorter.
pub(crate) fn sigset(set: u64) -> String {
    let names = |bits: u64| -> String {
        (1..=64)
            .filter(|s| bits & (1u64 << (s - 1)) != 0)
            .map(|s| name(s).trim_start_matches("SIG").to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    if set.count_ones() > 32 {
        format!("~[{}]", names(!set))
    } else {
        format!("[{}]", names(set))
    }
}

/// sigprocmask's how.
pub(crate) fn how(v: u64) -> String {
    super::nth(v, &["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"]).map_or_else(|| v.to_string(), str::to_string)
}

/// A kernel `struct sigaction`; the restorer is shown only when SA_RESTORER says it is set.
pub(crate) fn sigaction(a: &SigAction) -> String {
    let handler = match a.handler {
        S::SIG_DFL => "SIG_DFL".into(),
        S::SIG_IGN => "SIG_IGN".into(),
        h => format!("{h:#x}"),
    };
    let fls = flags(
        a.flags,
        &[
            (S::SA_RESTORER, "SA_RESTORER"),
            (0x0800_0000, "SA_ONSTACK"),
            (0x1000_0000, "SA_RESTART"),
            (0x4000_0000, "SA_NODEFER"),
            (0x8000_0000, "SA_RESETHAND"),
            (4, "SA_SIGINFO"),
            (1, "SA_NOCLDSTOP"),
            (2, "SA_NOCLDWAIT"),
        ],
    );
    let mut s = format!("{{sa_handler={handler}, sa_mask={}, sa_flags={fls}", sigset(a.mask));
    if a.flags & S::SA_RESTORER != 0 {
        s.push_str(&format!(", sa_restorer={:#x}", a.restorer));
    }
    s.push('}');
    s
}

/// rt_sigreturn's argument as strace shows it: the mask the frame restores.
pub(crate) fn sigreturn(mask: u64) -> String {
    format!("{{mask={}}}", sigset(mask))
}

/// A delivered signal's siginfo: `{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=...}`.
pub(crate) fn siginfo(i: &SigInfo) -> String {
    let signo = name(i.signo);
    let fault = matches!(i.signo, S::SIGSEGV | S::SIGBUS | S::SIGILL | S::SIGFPE | S::SIGTRAP) && i.code > 0;
    let code = match (i.signo, i.code) {
        (_, 0) => "SI_USER".to_string(),
        (_, 0x80) => "SI_KERNEL".to_string(),
        (_, -1) => "SI_QUEUE".to_string(),
        (_, -2) => "SI_TIMER".to_string(),
        (_, -6) => "SI_TKILL".to_string(),
        (S::SIGSEGV, 1) => "SEGV_MAPERR".to_string(),
        (S::SIGSEGV, 2) => "SEGV_ACCERR".to_string(),
        (S::SIGBUS, 1) => "BUS_ADRALN".to_string(),
        (S::SIGBUS, 2) => "BUS_ADRERR".to_string(),
        (S::SIGILL, 2) => "ILL_ILLOPN".to_string(),
        (S::SIGFPE, 1) => "FPE_INTDIV".to_string(),
        (S::SIGFPE, 7) => "FPE_FLTINV".to_string(),
        (S::SIGCHLD, 1..=6) => {
            ["CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"]
                [i.code as usize - 1]
                .to_string()
        }
        (_, c) => c.to_string(),
    };
    let mut s = format!("{{si_signo={signo}, si_code={code}");
    if fault {
        s.push_str(&format!(", si_addr={}", ptr(i.addr)));
    } else if i.signo == S::SIGCHLD && (1..=6).contains(&i.code) {
        // CLD_EXITED carries an exit status, the others a signal.
        let status = if i.code == 1 { i.status.to_string() } else { name(i.status) };
        s.push_str(&format!(
            ", si_pid={}, si_uid={}, si_status={status}, si_utime=0, si_stime=0",
            i.pid, i.uid
        ));
    } else if i.code <= 0 {
        s.push_str(&format!(", si_pid={}, si_uid={}", i.pid, i.uid));
        if i.value {
            s.push_str(&format!(", si_int={}, si_ptr={}", i.addr as i32, ptr(i.addr)));
        }
    }
    s.push('}');
    s
}

/// A `stack_t` (sigaltstack): `{ss_sp=0x4bf320, ss_flags=0, ss_size=65536}`.
pub(crate) fn stack_t(s: &StackT) -> String {
    let mut fv = Vec::new();
    octal_flags(
        s.flags,
        &[(S::SS_ONSTACK, "SS_ONSTACK"), (S::SS_DISABLE, "SS_DISABLE"), (S::SS_AUTODISARM, "SS_AUTODISARM")],
        &mut fv,
    );
    let flags = if fv.is_empty() { "0".to_string() } else { fv.join("|") };
    format!("{{ss_sp={}, ss_flags={flags}, ss_size={}}}", ptr(s.sp), s.size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_masks() {
        assert_eq!(signal(0), "0");
        assert_eq!(signal(10), "SIGUSR1");
        assert_eq!(name(32), "SIGRTMIN");
        assert_eq!(name(34), "SIGRT_2");
        assert_eq!(sigset(0), "[]");
        assert_eq!(sigset(1 << 16), "[CHLD]");
        assert_eq!(sigset((1 << 9) | (1 << 31) | (1 << 32)), "[USR1 RTMIN RT_1]");
        // More than half the signals: those not in it.
        assert_eq!(sigset(!((1 << 8) | (1 << 18))), "~[KILL STOP]");
        assert_eq!(sigset(!(3u64 << 31)), "~[RTMIN RT_1]");
        assert_eq!(how(0), "SIG_BLOCK");
        assert_eq!(how(2), "SIG_SETMASK");
        assert_eq!(sigreturn(0), "{mask=[]}");
    }

    #[test]
    fn sigaction_with_and_without_a_handler() {
        let b = SigAction {
            handler: 0x55d6502a4209,
            flags: 0x1400_0004,
            restorer: 0x7fad64d48050,
            mask: 1 << 11,
        };
        assert_eq!(
            sigaction(&b),
            "{sa_handler=0x55d6502a4209, sa_mask=[USR2], sa_flags=SA_RESTORER|SA_RESTART|SA_SIGINFO, \
             sa_restorer=0x7fad64d48050}"
        );
        // glibc sign-extends an int sa_flags with SA_RESETHAND set; strace shows the rest.
        let b =
            SigAction { handler: 1, flags: 0xffff_ffff_cc00_0000, restorer: 0x7fad64d48050, mask: 1 << 11 };
        assert_eq!(
            sigaction(&b),
            "{sa_handler=SIG_IGN, sa_mask=[USR2], sa_flags=SA_RESTORER|SA_ONSTACK|SA_NODEFER|SA_RESETHAND|\
             0xffffffff00000000, sa_restorer=0x7fad64d48050}"
        );
    }

    #[test]
    fn siginfo_per_code() {
        let i = |signo, code| SigInfo { signo, code, pid: 3117, ..Default::default() };
        assert_eq!(siginfo(&i(10, 0)), "{si_signo=SIGUSR1, si_code=SI_USER, si_pid=3117, si_uid=0}");
        assert_eq!(siginfo(&i(10, -6)), "{si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=3117, si_uid=0}");
        let q = SigInfo { addr: 42, value: true, ..i(10, -1) };
        assert_eq!(
            siginfo(&q),
            "{si_signo=SIGUSR1, si_code=SI_QUEUE, si_pid=3117, si_uid=0, si_int=42, si_ptr=0x2a}"
        );
        let cld = |code, status| SigInfo { status, ..i(S::SIGCHLD, code) };
        assert_eq!(
            siginfo(&cld(1, 3)),
            "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=3117, si_uid=0, si_status=3, si_utime=0, si_stime=0}"
        );
        assert_eq!(
            siginfo(&cld(2, 9)),
            "{si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=3117, si_uid=0, si_status=SIGKILL, si_utime=0, \
             si_stime=0}"
        );
        assert_eq!(
            siginfo(&cld(5, 19)),
            "{si_signo=SIGCHLD, si_code=CLD_STOPPED, si_pid=3117, si_uid=0, si_status=SIGSTOP, si_utime=0, \
             si_stime=0}"
        );
        let fault = |signo, code, addr| SigInfo { signo, code, addr, ..Default::default() };
        assert_eq!(siginfo(&fault(11, 1, 0)), "{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL}");
        assert_eq!(
            siginfo(&fault(8, 1, 0x40214a)),
            "{si_signo=SIGFPE, si_code=FPE_INTDIV, si_addr=0x40214a}"
        );
        assert_eq!(
            siginfo(&fault(4, 2, 0x401dc4)),
            "{si_signo=SIGILL, si_code=ILL_ILLOPN, si_addr=0x401dc4}"
        );
    }

    #[test]
    fn stack_t_fields() {
        let s = StackT { sp: 0x4bf320, flags: 0, size: 65536 };
        assert_eq!(stack_t(&s), "{ss_sp=0x4bf320, ss_flags=0, ss_size=65536}");
        assert_eq!(
            stack_t(&StackT { flags: 1, ..s }),
            "{ss_sp=0x4bf320, ss_flags=SS_ONSTACK, ss_size=65536}"
        );
        let d = StackT { flags: 2, ..Default::default() };
        assert_eq!(stack_t(&d), "{ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}");
    }
}
