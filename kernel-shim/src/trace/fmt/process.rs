//! Processes and threads: clone's arguments, wait statuses and options, prctl and
//! arch_prctl, resource limits, `struct utsname`, execve's argv and envp.

use super::signal::name as sig_name;
use super::{flags, hex0, nth, ptr, quote};
use crate::abi::process::{Rlimit, Utsname};

const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;
/// The low byte of clone's flags: the signal sent to the parent when the child ends.
const CSIGNAL: u64 = 0xff;

/// clone's arguments by name: the stack, the flags (ending with the exit signal), and the
/// pointers the flags say are used (`child_stack=NULL, flags=...|SIGCHLD, child_tidptr=...`).
pub(crate) fn clone(a: &[u64; 6]) -> String {
    let fl = a[0];
    let sig = fl & CSIGNAL;
    let mut names = flags(
        fl & !CSIGNAL,
        &[
            (0x100, "CLONE_VM"),
            (0x200, "CLONE_FS"),
            (0x400, "CLONE_FILES"),
            (0x800, "CLONE_SIGHAND"),
            (0x1000, "CLONE_PIDFD"),
            (0x2000, "CLONE_PTRACE"),
            (0x4000, "CLONE_VFORK"),
            (0x8000, "CLONE_PARENT"),
            (0x10000, "CLONE_THREAD"),
            (0x20000, "CLONE_NEWNS"),
            (0x40000, "CLONE_SYSVSEM"),
            (CLONE_SETTLS, "CLONE_SETTLS"),
            (CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"),
            (CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"),
            (0x400000, "CLONE_DETACHED"),
            (0x800000, "CLONE_UNTRACED"),
            (CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"),
        ],
    );
    if sig != 0 {
        names = if fl & !CSIGNAL == 0 {
            sig_name(sig as i32)
        } else {
            format!("{names}|{}", sig_name(sig as i32))
        };
    }
    let mut s = format!("child_stack={}, flags={names}", ptr(a[1]));
    if fl & CLONE_PARENT_SETTID != 0 {
        s.push_str(&format!(", parent_tid={}", ptr(a[2])));
    }
    if fl & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
        s.push_str(&format!(", child_tidptr={}", ptr(a[3])));
    }
    if fl & CLONE_SETTLS != 0 {
        s.push_str(&format!(", tls={}", ptr(a[4])));
    }
    s
}

/// A wait status as strace decodes it: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`.
pub(crate) fn wait_status(s: i32) -> String {
    let text = if s & 0x7f == 0 {
        format!("WIFEXITED(s) && WEXITSTATUS(s) == {}", (s >> 8) & 0xff)
    } else if s & 0xff == 0x7f {
        format!("WIFSTOPPED(s) && WSTOPSIG(s) == {}", sig_name((s >> 8) & 0xff))
    } else if s == 0xffff {
        "WIFCONTINUED(s)".into()
    } else {
        let core = if s & 0x80 != 0 { " && WCOREDUMP(s)" } else { "" };
        format!("WIFSIGNALED(s) && WTERMSIG(s) == {}{core}", sig_name(s & 0x7f))
    };
    format!("[{{{text}}}]")
}

/// wait4/waitid's options.
pub(crate) fn wait_options(v: u64) -> String {
    flags(
        v,
        &[
            (WNOHANG, "WNOHANG"),
            (2, "WUNTRACED"),
            (4, "WEXITED"),
            (8, "WCONTINUED"),
            (0x0100_0000, "WNOWAIT"),
            (0x2000_0000, "__WNOTHREAD"),
            (0x4000_0000, "__WALL"),
            (0x8000_0000, "__WCLONE"),
        ],
    )
}

/// The option that makes a wait return at once instead of blocking.
pub(crate) const WNOHANG: u64 = 1;

pub(crate) const PR_SET_NAME: u64 = 15;
pub(crate) const PR_GET_NAME: u64 = 16;
/// The bytes of a thread name (PR_SET_NAME/PR_GET_NAME), NUL included.
pub(crate) const TASK_COMM_LEN: usize = 16;

/// prctl's option and the arguments it takes. `name` is the thread name PR_SET_NAME gives
/// or PR_GET_NAME got, already formatted (`None` when PR_GET_NAME failed).
pub(crate) fn prctl(a: &[u64; 6], name: Option<&str>) -> String {
    let opt = match a[0] {
        1 => "PR_SET_PDEATHSIG",
        2 => "PR_GET_PDEATHSIG",
        3 => "PR_GET_DUMPABLE",
        4 => "PR_SET_DUMPABLE",
        PR_SET_NAME => "PR_SET_NAME",
        PR_GET_NAME => "PR_GET_NAME",
        23 => "PR_CAPBSET_READ",
        36 => "PR_SET_CHILD_SUBREAPER",
        37 => "PR_GET_CHILD_SUBREAPER",
        38 => "PR_SET_NO_NEW_PRIVS",
        39 => "PR_GET_NO_NEW_PRIVS",
        41 => "PR_SET_THP_DISABLE",
        42 => "PR_GET_THP_DISABLE",
        0x5356_4d41 => "PR_SET_VMA",
        o => return format!("{o:#x}, {}, {}, {}, {}", hex0(a[1]), hex0(a[2]), hex0(a[3]), hex0(a[4])),
    };
    match a[0] {
        1 => format!("{opt}, {}", if a[1] == 0 { "0".into() } else { sig_name(a[1] as i32) }),
        2 => format!("{opt}, {}", ptr(a[1])),
        PR_SET_NAME | PR_GET_NAME => match name {
            Some(n) => format!("{opt}, {n}"),
            None => format!("{opt}, {}", ptr(a[1])),
        },
        3 | 37 | 39 | 42 => opt.into(),
        4 | 23 | 36 | 38 | 41 => format!("{opt}, {}", a[1]),
        _ => format!("{opt}, {}, {}, {}, {}", hex0(a[1]), hex0(a[2]), hex0(a[3]), hex0(a[4])),
    }
}

/// arch_prctl's code.
pub(crate) fn arch_prctl(v: u64) -> String {
    match v {
        0x1001 => "ARCH_SET_GS".into(),
        0x1002 => "ARCH_SET_FS".into(),
        0x1003 => "ARCH_GET_FS".into(),
        0x1004 => "ARCH_GET_GS".into(),
        0x1011 => "ARCH_GET_CPUID".into(),
        0x1012 => "ARCH_SET_CPUID".into(),
        0x3001 => "ARCH_CET_STATUS".into(),
        v => hex0(v),
    }
}

/// A resource of getrlimit/setrlimit/prlimit64.
pub(crate) fn resource(v: u64) -> String {
    const N: [&str; 16] = [
        "RLIMIT_CPU",
        "RLIMIT_FSIZE",
        "RLIMIT_DATA",
        "RLIMIT_STACK",
        "RLIMIT_CORE",
        "RLIMIT_RSS",
        "RLIMIT_NPROC",
        "RLIMIT_NOFILE",
        "RLIMIT_MEMLOCK",
        "RLIMIT_AS",
        "RLIMIT_LOCKS",
        "RLIMIT_SIGPENDING",
        "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE",
        "RLIMIT_RTPRIO",
        "RLIMIT_RTTIME",
    ];
    nth(v, &N).map_or_else(|| v.to_string(), str::to_string)
}

/// One limit: `RLIM64_INFINITY`, or in KiB when a whole number of them (`8192*1024`).
fn rlim(v: u64) -> String {
    match v {
        u64::MAX => "RLIM64_INFINITY".into(),
        v if v > 0 && v % 1024 == 0 => format!("{}*1024", v / 1024),
        v => v.to_string(),
    }
}

/// A `struct rlimit`: `{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}`.
pub(crate) fn rlimit(r: &Rlimit) -> String {
    format!("{{rlim_cur={}, rlim_max={}}}", rlim(r.cur), rlim(r.max))
}

/// A `struct utsname`, abbreviated as strace does: `{sysname="Linux", nodename="h", ...}`.
pub(crate) fn utsname(u: &Utsname) -> String {
    let field = |f: &[u8]| quote(&f[..f.iter().position(|&c| c == 0).unwrap_or(f.len())], false, false);
    format!("{{sysname={}, nodename={}, ...}}", field(&u.sysname), field(&u.nodename))
}

/// execve's argv: the strings, already formatted.
pub(crate) fn argv(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// execve's envp at `addr`, as strace abbreviates it: `0x7ffd... /* 23 vars */`.
pub(crate) fn envp(addr: u64, n: usize) -> String {
    format!("{addr:#x} /* {n} vars */")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_style_clone() {
        let a = [0x0120_0011, 0, 0, 0x7fad64d09a10, 0, 0];
        assert_eq!(
            clone(&a),
            "child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7fad64d09a10"
        );
    }

    #[test]
    fn wait_statuses_and_options() {
        assert_eq!(wait_status(3 << 8), "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]");
        assert_eq!(wait_status(9), "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]");
        assert_eq!(wait_status((19 << 8) | 0x7f), "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}]");
        assert_eq!(wait_status(0xffff), "[{WIFCONTINUED(s)}]");
        assert_eq!(wait_options(0), "0");
        assert_eq!(wait_options(0x4000_0000), "__WALL");
        assert_eq!(wait_options(WNOHANG | 0x4000_0000), "WNOHANG|__WALL");
        assert_eq!(wait_options(8), "WCONTINUED");
    }

    #[test]
    fn prctl_options() {
        let a = |opt, arg| [opt, arg, 0, 0, 0, 0];
        assert_eq!(
            prctl(&a(PR_GET_NAME, 0x1000), Some(r#""fc-thread-name-""#)),
            r#"PR_GET_NAME, "fc-thread-name-""#
        );
        assert_eq!(prctl(&a(1, 15), None), "PR_SET_PDEATHSIG, SIGTERM");
        assert_eq!(prctl(&a(1, 0), None), "PR_SET_PDEATHSIG, 0");
        assert_eq!(prctl(&a(3, 0), None), "PR_GET_DUMPABLE");
        assert_eq!(arch_prctl(0x1002), "ARCH_SET_FS");
        assert_eq!(arch_prctl(0x1003), "ARCH_GET_FS");
    }

    fn rlimit_of(cur: u64, max: u64) -> Rlimit {
        Rlimit { cur, max }
    }

    #[test]
    fn resource_limits() {
        assert_eq!(resource(3), "RLIMIT_STACK");
        assert_eq!(resource(7), "RLIMIT_NOFILE");
        assert_eq!(resource(4), "RLIMIT_CORE");
        assert_eq!(rlimit(&rlimit_of(8 << 20, u64::MAX)), "{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}");
        assert_eq!(rlimit(&rlimit_of(20000, 20000)), "{rlim_cur=20000, rlim_max=20000}");
        assert_eq!(rlimit(&rlimit_of(0, u64::MAX)), "{rlim_cur=0, rlim_max=RLIM64_INFINITY}");
    }

    #[test]
    fn utsname_and_exec_arguments() {
        let u = Utsname::new([b"Linux", b"vm", b"6.1", b"#1", b"x86_64", b""]);
        assert_eq!(utsname(&u), r#"{sysname="Linux", nodename="vm", ...}"#);
        assert_eq!(argv(&[r#""./fmtcheck""#.to_string()]), r#"["./fmtcheck"]"#);
        assert_eq!(envp(0x7ffc89f7bc88, 35), "0x7ffc89f7bc88 /* 35 vars */");
    }
}
