//! The syscall table: one row for every Linux x86-64 syscall number, the single source of
//! what emu knows about each — name, handler, how completely it is supported (with a note
//! saying what is missing), how `--strace` shows it, how record/replay treats it, what a
//! signal handler does to it, whether it may block, and what it changes beyond its result.
//! The `nr` constants come from the same list; no other file writes a syscall number.
//!
//! Adding a syscall: give its row a handler (`call(file::read)`), its argument kinds, and
//! the facts that differ from the defaults below; write the handler in its subsystem's
//! file; test it against a native run (`tests/`).

use super::kinds::{Arg::*, Ret};
use super::{
    caps, copy, execve, file, fork, fs, futex, ids, inotify, ipc, limits, lock, meta, mm, net, pgrp, pidfd,
    poll, sched, sendrecv, signal, signalfd, sockopt, system, task, time, timer, timerfd, xattr, SysFn,
};
use crate::abi::errno as E;

/// How completely emu implements a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Support {
    /// Behaves as on Linux.
    Full,
    /// Works for the common cases; the note says what is missing.
    Partial(&'static str),
    /// Not implemented yet: ENOSYS, reported once under `-v`. The note says what it lacks.
    Missing(&'static str),
    /// Deliberately refused with this errno (ENOSYS where the guest has a fallback), for
    /// the reason in the note.
    Refused(i32, &'static str),
}

/// How record and replay treat a syscall (see `replay/syscall.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Reads or changes the outside world: recorded whole, its effect applied on replay.
    Outside,
    /// Deterministic given emu's own state: replay runs it again.
    Internal,
    /// Sends a signal: internal when its first argument is this process's pid.
    SignalsSelf,
    /// Sends a signal to the thread its first argument names: internal when that is one
    /// of this process's threads.
    SignalsOwnThread,
}

/// What a signal handler that interrupts the syscall does to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Restart {
    /// Restarted after a handler with SA_RESTART (Linux's ERESTARTSYS).
    WithSaFlag,
    /// Fails with EINTR after any handler (ERESTARTNOHAND: pause, sleeps, the poll family).
    EintrAfterHandler,
    /// Never interrupted: its result is not an errno (rt_sigreturn restores rax).
    Never,
}

/// What a syscall changes beyond its result, for the traces that follow those changes.
pub(crate) mod effects {
    /// Maps, unmaps or reprotects guest memory.
    pub const MAPS: u8 = 1;
    /// Starts a process or thread (its result is 0 in the new one).
    pub const NEW_TASK: u8 = 2;
    /// Replaces the program image.
    pub const EXEC: u8 = 4;
}

pub(crate) struct Row {
    pub nr: u64,
    pub name: &'static str,
    /// `None`: the syscall is answered by `support` (ENOSYS or the refusal's errno).
    pub handler: Option<SysFn>,
    pub support: Support,
    /// How `--strace` shows the arguments (`None`: six raw values).
    pub args: Option<&'static [super::kinds::Arg]>,
    pub ret: Ret,
    pub replay: Replay,
    pub restart: Restart,
    /// May wait for something outside the calling thread (a descriptor, time, a child,
    /// another thread).
    pub blocks: bool,
    /// `effects::*` bits.
    pub effects: u8,
}

const fn base(handler: Option<SysFn>, support: Support, replay: Replay) -> Row {
    Row {
        nr: 0,
        name: "",
        handler,
        support,
        args: None,
        ret: Ret::Int,
        replay,
        restart: Restart::WithSaFlag,
        blocks: false,
        effects: 0,
    }
}

/// A syscall emu serves with `f`. Defaults: fully supported, outside-world, restarted
/// under SA_RESTART, does not block.
const fn call(f: SysFn) -> Row {
    base(Some(f), Support::Full, Replay::Outside)
}

/// A syscall emu does not implement yet: ENOSYS.
const fn missing(why: &'static str) -> Row {
    base(None, Support::Missing(why), Replay::Internal)
}

/// A syscall answered ENOSYS on purpose: the guest has a fallback.
const fn enosys(why: &'static str) -> Row {
    base(None, Support::Refused(E::ENOSYS, why), Replay::Internal)
}

/// A syscall refused with `errno` on purpose.
const fn refuse(errno: i32, why: &'static str) -> Row {
    base(None, Support::Refused(errno, why), Replay::Internal)
}

impl Row {
    const fn partial(self, note: &'static str) -> Row {
        Row { support: Support::Partial(note), ..self }
    }

    const fn args(self, args: &'static [super::kinds::Arg]) -> Row {
        Row { args: Some(args), ..self }
    }

    const fn ret(self, ret: Ret) -> Row {
        Row { ret, ..self }
    }

    const fn internal(self) -> Row {
        Row { replay: Replay::Internal, ..self }
    }

    const fn signals_self(self) -> Row {
        Row { replay: Replay::SignalsSelf, ..self }
    }

    const fn signals_own_thread(self) -> Row {
        Row { replay: Replay::SignalsOwnThread, ..self }
    }

    const fn eintr_after_handler(self) -> Row {
        Row { restart: Restart::EintrAfterHandler, ..self }
    }

    const fn never_restarted(self) -> Row {
        Row { restart: Restart::Never, ..self }
    }

    const fn blocks(self) -> Row {
        Row { blocks: true, ..self }
    }

    const fn effects(self, effects: u8) -> Row {
        Row { effects, ..self }
    }

    /// The errno a syscall without a handler answers.
    pub(crate) fn refusal(&self) -> i32 {
        match self.support {
            Support::Refused(e, _) => e,
            _ => E::ENOSYS,
        }
    }
}

use effects::{EXEC, MAPS, NEW_TASK};

const RWF: &str =
    "RWF_NOAPPEND, RWF_ATOMIC and RWF_DONTCACHE are refused with EOPNOTSUPP, as by a kernel before them";
const LIMITS: &str = "limits are kept and inherited, RLIMIT_NOFILE is enforced; the others (CPU, FSIZE, AS, DATA, NPROC...) are reported but not enforced";
const LIMITS_OF_SELF: &str = "of this process only (another pid: ESRCH); limits are kept and inherited, RLIMIT_NOFILE is enforced; the others are reported but not enforced";

macro_rules! syscalls {
    ($($nr:literal $NAME:ident $name:ident = $row:expr;)*) => {
        /// Syscall numbers by name, as `<asm/unistd_64.h>` has them (`nr::READ`).
        #[allow(dead_code)]
        pub(crate) mod nr {
            $(pub(crate) const $NAME: u64 = $nr;)*
        }

        const ROWS: &[Row] = &[$(Row { nr: $nr, name: stringify!($name), ..$row }),*];
    };
}

/// One past the highest syscall number.
const END: usize = 467;

/// Row index by syscall number (`u16::MAX`: no such syscall).
static INDEX: [u16; END] = {
    let mut t = [u16::MAX; END];
    let mut i = 0;
    while i < ROWS.len() {
        t[ROWS[i].nr as usize] = i as u16;
        i += 1;
    }
    t
};

/// The row of syscall `nr`, if Linux has such a number.
#[inline]
pub(crate) fn row(nr: u64) -> Option<&'static Row> {
    let i = *INDEX.get(nr as usize)?;
    ROWS.get(i as usize)
}

syscalls! {
    0 READ read = call(file::read).args(&[Fd, OutBuf, Uint]).blocks();
    1 WRITE write = call(file::write).args(&[Fd, Buf(2), Uint]).blocks();
    2 OPEN open = call(file::open).args(&[Path, OpenFlags, OpenMode(1)]).blocks();
    3 CLOSE close = call(file::close).args(&[Fd]).internal();
    4 STAT stat = call(fs::stat).args(&[Path, OutStat]);
    5 FSTAT fstat = call(fs::fstat).args(&[Fd, OutStat]);
    6 LSTAT lstat = call(fs::lstat).args(&[Path, OutStat]);
    7 POLL poll = call(poll::poll).args(&[PollFds(1), Uint, Int]).eintr_after_handler().blocks();
    8 LSEEK lseek = call(file::lseek).args(&[Fd, Long, Whence]);
    9 MMAP mmap = call(mm::mmap).args(&[Ptr, Uint, Prot, MmapFlags, Fd, Hex]).internal().ret(Ret::Addr).effects(MAPS);
    10 MPROTECT mprotect = call(mm::mprotect).args(&[Ptr, Uint, Prot]).internal().effects(MAPS);
    11 MUNMAP munmap = call(mm::munmap).args(&[Ptr, Uint]).internal().effects(MAPS);
    12 BRK brk = call(mm::brk).args(&[Ptr]).internal().ret(Ret::Addr);
    13 RT_SIGACTION rt_sigaction = call(signal::rt_sigaction).partial("SA_NOCLDSTOP is not honoured; SA_NOCLDWAIT only ignores SIGCHLD").args(&[Signal, SigAction, OutSigAction, Uint]).internal();
    14 RT_SIGPROCMASK rt_sigprocmask = call(signal::rt_sigprocmask).args(&[SigHow, SigSet, OutSigSet, Uint]).internal();
    15 RT_SIGRETURN rt_sigreturn = call(signal::rt_sigreturn).args(&[SigreturnMask]).internal().never_restarted();
    16 IOCTL ioctl = call(file::ioctl).partial("FIOCLEX/FIONCLEX, FIONBIO, FIONREAD; on sockets SIOCGIFINDEX, SIOCGIFNAME; on terminals and pty masters the termios, window size, process group, session, controlling terminal, flush and flow requests and TIOCGPTN/TIOCSPTLCK/TIOCGPTLCK/TIOCGPTPEER; every other request is ENOTTY").args(&[Fd, Ioctl, IoctlData]);
    17 PREAD64 pread64 = call(file::pread64).args(&[Fd, OutBuf, Uint, Long]).blocks();
    18 PWRITE64 pwrite64 = call(file::pwrite64).args(&[Fd, Buf(2), Uint, Long]);
    19 READV readv = call(file::readv).args(&[Fd, OutIovec(2), Int]).blocks();
    20 WRITEV writev = call(file::writev).args(&[Fd, Iovec(2), Int]).blocks();
    21 ACCESS access = call(fs::access).args(&[Path, Access]);
    22 PIPE pipe = call(file::pipe).args(&[OutFds]);
    23 SELECT select = call(poll::select).args(&[Int, FdSet(0), FdSet(0), FdSet(0), Timeval]).eintr_after_handler().ret(Ret::Select).blocks();
    24 SCHED_YIELD sched_yield = call(task::sched_yield).args(&[]).internal();
    25 MREMAP mremap = call(mm::mremap).partial("MREMAP_DONTUNMAP is refused (EINVAL); shared mappings do not grow (ENOMEM)").args(&[Ptr, Uint, Uint, MremapFlags, Ptr]).internal().ret(Ret::Addr).effects(MAPS);
    26 MSYNC msync = call(mm::msync).args(&[Ptr, Uint, Hex]);
    27 MINCORE mincore = call(mm::mincore).args(&[Ptr, Uint, Ptr]).internal();
    28 MADVISE madvise = call(mm::madvise).partial("MADV_DONTNEED and MADV_FREE zero private anonymous pages; other advice is accepted and ignored").args(&[Ptr, Uint, Madvise]).internal();
    29 SHMGET shmget = call(ipc::shmget).partial("the host's segments; not under --record/--replay (ENOSYS in both), where other processes' stores could not be replayed").args(&[Hex, Uint, Hex]);
    30 SHMAT shmat = call(ipc::shmat).partial("not under --record/--replay (no segment exists there)").args(&[Int, Ptr, Hex]).internal().ret(Ret::Addr).effects(MAPS);
    31 SHMCTL shmctl = call(ipc::shmctl).partial("IPC_STAT, IPC_SET, IPC_RMID; IPC_INFO, SHM_INFO, SHM_STAT and SHM_LOCK are EINVAL").args(&[Int, Int, Ptr]);
    32 DUP dup = call(file::dup).args(&[Fd]).internal();
    33 DUP2 dup2 = call(file::dup2).args(&[Fd, Fd]).internal();
    34 PAUSE pause = call(signal::pause).args(&[]).internal().eintr_after_handler().blocks();
    35 NANOSLEEP nanosleep = call(time::nanosleep).args(&[Timespec, OutTimespec]).eintr_after_handler().blocks();
    36 GETITIMER getitimer = call(signal::getitimer).args(&[ItimerWhich, OutItimerval]);
    37 ALARM alarm = call(signal::alarm).args(&[Uint]);
    38 SETITIMER setitimer = call(signal::setitimer).args(&[ItimerWhich, Itimerval, OutItimerval]);
    39 GETPID getpid = call(ids::getpid).args(&[]).internal();
    40 SENDFILE sendfile = call(copy::sendfile).partial("between host files and pipes; on hosts other than Linux done with reads and writes").args(&[Fd, Fd, OffInOut, Uint]).blocks();
    41 SOCKET socket = call(net::socket).partial("AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK/NETLINK_ROUTE (Linux hosts) on host sockets").args(&[SockFamily, SockType, SockProto(0)]);
    42 CONNECT connect = call(net::connect).args(&[Fd, SockAddr(2), Int]).blocks();
    43 ACCEPT accept = call(net::accept).args(&[Fd, OutSockAddr(2), OutSockLen]).blocks();
    44 SENDTO sendto = call(sendrecv::sendto).args(&[Fd, Buf(2), Uint, MsgFlags, SockAddr(5), Int]).blocks();
    45 RECVFROM recvfrom = call(sendrecv::recvfrom).args(&[Fd, OutBufMax(2), Uint, MsgFlags, OutSockAddr(5), OutSockLen]).blocks();
    46 SENDMSG sendmsg = call(sendrecv::sendmsg).args(&[Fd, Msghdr, MsgFlags]).blocks();
    47 RECVMSG recvmsg = call(sendrecv::recvmsg).args(&[Fd, OutMsghdr, MsgFlags]).blocks();
    48 SHUTDOWN shutdown = call(net::shutdown).args(&[Fd, ShutdownHow]);
    49 BIND bind = call(net::bind).args(&[Fd, SockAddr(2), Int]);
    50 LISTEN listen = call(net::listen).args(&[Fd, Int]);
    51 GETSOCKNAME getsockname = call(net::getsockname).args(&[Fd, OutSockAddr(2), OutSockLen]);
    52 GETPEERNAME getpeername = call(net::getpeername).args(&[Fd, OutSockAddr(2), OutSockLen]);
    53 SOCKETPAIR socketpair = call(net::socketpair).args(&[SockFamily, SockType, Int, OutFds]);
    54 SETSOCKOPT setsockopt = call(sockopt::setsockopt).args(&[Fd, SockLevel, SockOptName(1), SockOptVal(4), Int]);
    55 GETSOCKOPT getsockopt = call(sockopt::getsockopt).args(&[Fd, SockLevel, SockOptName(1), OutSockOptVal(4), OutSockLen]);
    56 CLONE clone = call(fork::clone).partial("threads and fork-like clones; namespace flags are refused").args(&[Clone]).internal().effects(NEW_TASK);
    57 FORK fork = call(fork::fork).args(&[]).internal().effects(NEW_TASK);
    58 VFORK vfork = call(fork::vfork).partial("the parent waits for the child to exec or exit; the child runs in a copy of memory and sends its writes back").args(&[]).internal().effects(NEW_TASK).blocks();
    59 EXECVE execve = call(execve::execve).args(&[Path, Argv, Envp]).internal().effects(EXEC);
    60 EXIT exit = call(task::exit).args(&[Int]).internal();
    61 WAIT4 wait4 = call(fork::wait4).args(&[Int, OutWaitStatus, WaitOptions, Ptr]).blocks();
    62 KILL kill = call(signal::kill).args(&[Int, Signal]).signals_self();
    63 UNAME uname = call(system::uname).args(&[OutUtsname]);
    64 SEMGET semget = call(ipc::semget).args(&[Hex, Int, Hex]);
    65 SEMOP semop = call(ipc::semop).args(&[Int, Ptr, Uint]).eintr_after_handler().blocks();
    66 SEMCTL semctl = call(ipc::semctl).partial("GETVAL, SETVAL, GETALL, SETALL, GETPID, GETNCNT, GETZCNT, IPC_STAT, IPC_SET, IPC_RMID; the INFO and SEM_STAT commands are EINVAL").args(&[Int, Int, Int, Hex]);
    67 SHMDT shmdt = call(ipc::shmdt).args(&[Ptr]).internal().effects(MAPS);
    68 MSGGET msgget = call(ipc::msgget).args(&[Hex, Hex]);
    69 MSGSND msgsnd = call(ipc::msgsnd).args(&[Int, Ptr, Uint, Hex]).eintr_after_handler().blocks();
    70 MSGRCV msgrcv = call(ipc::msgrcv).partial("MSG_COPY is ENOSYS (a kernel without checkpoint/restore)").args(&[Int, Ptr, Uint, Long, Hex]).eintr_after_handler().blocks();
    71 MSGCTL msgctl = call(ipc::msgctl).partial("IPC_STAT, IPC_SET, IPC_RMID; the INFO and MSG_STAT commands are EINVAL").args(&[Int, Int, Ptr]);
    72 FCNTL fcntl = call(file::fcntl).partial("descriptor flags, status flags, dup and record locks (the host's, OFD locks where the host has them); F_SETOWN, F_SETSIG, leases, notifications and seals are EINVAL").args(&[Fd, Fcntl]).ret(Ret::Fcntl).blocks();
    73 FLOCK flock = call(lock::flock).args(&[Fd, FlockOp]).blocks();
    74 FSYNC fsync = call(file::fsync).args(&[Fd]);
    75 FDATASYNC fdatasync = call(file::fsync).args(&[Fd]);
    76 TRUNCATE truncate = call(meta::truncate).args(&[Path, Uint]);
    77 FTRUNCATE ftruncate = call(file::ftruncate).args(&[Fd, Long]);
    78 GETDENTS getdents = call(fs::getdents).args(&[Fd, OutDirents, Uint]);
    79 GETCWD getcwd = call(fs::getcwd).args(&[OutStr, Uint]);
    80 CHDIR chdir = call(fs::chdir).args(&[Path]);
    81 FCHDIR fchdir = call(fs::fchdir).args(&[Fd]);
    82 RENAME rename = call(fs::rename).args(&[Path, Path]);
    83 MKDIR mkdir = call(fs::mkdir).args(&[Path, Mode]);
    84 RMDIR rmdir = call(fs::rmdir).args(&[Path]);
    85 CREAT creat = call(file::creat).args(&[Path, Mode]).blocks();
    86 LINK link = call(fs::link).args(&[Path, Path]);
    87 UNLINK unlink = call(fs::unlink).args(&[Path]);
    88 SYMLINK symlink = call(fs::symlink).args(&[Path, Path]);
    89 READLINK readlink = call(fs::readlink).args(&[Path, OutBuf, Uint]);
    90 CHMOD chmod = call(fs::chmod).args(&[Path, Mode]);
    91 FCHMOD fchmod = call(fs::fchmod).args(&[Fd, Mode]);
    92 CHOWN chown = call(meta::chown).args(&[Path, Int, Int]);
    93 FCHOWN fchown = call(meta::fchown).args(&[Fd, Int, Int]);
    94 LCHOWN lchown = call(meta::lchown).args(&[Path, Int, Int]);
    95 UMASK umask = call(fs::umask).args(&[Mode]).internal();
    96 GETTIMEOFDAY gettimeofday = call(time::gettimeofday).args(&[Ptr, Ptr]);
    97 GETRLIMIT getrlimit = call(limits::getrlimit).args(&[Resource, OutRlimit]).internal();
    98 GETRUSAGE getrusage = call(limits::getrusage).partial("only the CPU time (all of it user time) and the peak resident size are filled").args(&[Int, Ptr]);
    99 SYSINFO sysinfo = call(system::sysinfo).partial("uptime from the clock; memory figures are fixed (16 GiB, half free), one process, no load").args(&[Ptr]);
    100 TIMES times = call(limits::times).args(&[Ptr]);
    101 PTRACE ptrace = missing("a guest cannot trace another guest: emu has no ptrace interface (use emu --trace, --strace, --watch)");
    102 GETUID getuid = call(ids::getuid).args(&[]);
    103 SYSLOG syslog = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    104 GETGID getgid = call(ids::getgid).args(&[]);
    105 SETUID setuid = call(ids::setuid).partial("succeeds only when it keeps the current ids: emu does not change the host's credentials").args(&[Int]);
    106 SETGID setgid = call(ids::setgid).partial("succeeds only when it keeps the current ids: emu does not change the host's credentials").args(&[Int]);
    107 GETEUID geteuid = call(ids::geteuid).args(&[]);
    108 GETEGID getegid = call(ids::getegid).args(&[]);
    109 SETPGID setpgid = call(pgrp::setpgid).args(&[Int, Int]);
    110 GETPPID getppid = call(ids::getppid).args(&[]);
    111 GETPGRP getpgrp = call(pgrp::getpgrp).args(&[]);
    112 SETSID setsid = call(pgrp::setsid).args(&[]);
    113 SETREUID setreuid = call(ids::setreuid).partial("succeeds only when it keeps the current ids: emu does not change the host's credentials").args(&[Int, Int]);
    114 SETREGID setregid = call(ids::setregid).partial("succeeds only when it keeps the current ids: emu does not change the host's credentials").args(&[Int, Int]);
    115 GETGROUPS getgroups = call(ids::getgroups).partial("answers the primary group alone").args(&[Int, Ptr]);
    116 SETGROUPS setgroups = call(ids::setgroups).partial("succeeds only when it keeps the current list: emu does not change the host's credentials").args(&[Int, Ptr]);
    117 SETRESUID setresuid = call(ids::setresuid).partial("succeeds only when it keeps the current ids: emu does not change the host's credentials").args(&[Int, Int, Int]);
    118 GETRESUID getresuid = call(ids::getresuid).args(&[Ptr, Ptr, Ptr]);
    119 SETRESGID setresgid = call(ids::setresgid).partial("succeeds only when it keeps the current ids: emu does not change the host's credentials").args(&[Int, Int, Int]);
    120 GETRESGID getresgid = call(ids::getresgid).args(&[Ptr, Ptr, Ptr]);
    121 GETPGID getpgid = call(pgrp::getpgid).args(&[Int]);
    122 SETFSUID setfsuid = call(ids::setfsuid).partial("answers the current filesystem id and never changes it: emu does not change the host's credentials").args(&[Int]);
    123 SETFSGID setfsgid = call(ids::setfsgid).partial("answers the current filesystem id and never changes it: emu does not change the host's credentials").args(&[Int]);
    124 GETSID getsid = call(pgrp::getsid).args(&[Int]);
    125 CAPGET capget = call(caps::capget).args(&[Ptr, Ptr]);
    126 CAPSET capset = call(caps::capset).args(&[Ptr, Ptr]);
    127 RT_SIGPENDING rt_sigpending = call(signal::rt_sigpending).args(&[OutSigSet, Uint]).internal();
    128 RT_SIGTIMEDWAIT rt_sigtimedwait = call(signal::rt_sigtimedwait).args(&[SigSet, Ptr, Timespec, Uint]).eintr_after_handler().blocks();
    129 RT_SIGQUEUEINFO rt_sigqueueinfo = call(signal::rt_sigqueueinfo).partial("to this process or one of its children only").args(&[Int, Signal, Ptr]).signals_self();
    130 RT_SIGSUSPEND rt_sigsuspend = call(signal::rt_sigsuspend).args(&[SigSet, Uint]).internal().eintr_after_handler().blocks();
    131 SIGALTSTACK sigaltstack = call(signal::sigaltstack).args(&[StackT, OutStackT]).internal();
    132 UTIME utime = call(meta::utime).args(&[Path, Utimbuf]);
    133 MKNOD mknod = call(meta::mknod).args(&[Path, NodeMode, NodeDev(1)]);
    134 USELIB uselib = enosys("a.out shared libraries: answered as by a kernel built without CONFIG_USELIB");
    135 PERSONALITY personality = call(task::personality).partial("the execution domain stays Linux's; the flags are kept and read back but change nothing (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE...)").args(&[Hex]).internal();
    136 USTAT ustat = missing("obsolete (glibc has had no wrapper since 2.28): not implemented");
    137 STATFS statfs = call(fs::statfs).partial("the host's figures, converted; f_flags is not filled").args(&[Path, Ptr]);
    138 FSTATFS fstatfs = call(fs::fstatfs).partial("the host's figures, converted; f_flags is not filled").args(&[Fd, Ptr]);
    139 SYSFS sysfs = enosys("obsolete: answered as by a kernel built without CONFIG_SYSFS_SYSCALL");
    140 GETPRIORITY getpriority = call(sched::getpriority).args(&[Int, Int]);
    141 SETPRIORITY setpriority = call(sched::setpriority).args(&[Int, Int, Int]);
    142 SCHED_SETPARAM sched_setparam = call(sched::sched_setparam).args(&[Int, Ptr]);
    143 SCHED_GETPARAM sched_getparam = call(sched::sched_getparam).args(&[Int, Ptr]);
    144 SCHED_SETSCHEDULER sched_setscheduler = call(sched::sched_setscheduler).args(&[Int, Int, Ptr]);
    145 SCHED_GETSCHEDULER sched_getscheduler = call(sched::sched_getscheduler).args(&[Int]);
    146 SCHED_GET_PRIORITY_MAX sched_get_priority_max = call(sched::sched_get_priority_max).args(&[Int]).internal();
    147 SCHED_GET_PRIORITY_MIN sched_get_priority_min = call(sched::sched_get_priority_min).args(&[Int]).internal();
    148 SCHED_RR_GET_INTERVAL sched_rr_get_interval = call(sched::sched_rr_get_interval).args(&[Int, Ptr]);
    149 MLOCK mlock = call(mm::mlock).args(&[Ptr, Uint]).internal();
    150 MUNLOCK munlock = call(mm::mlock).args(&[Ptr, Uint]).internal();
    151 MLOCKALL mlockall = call(mm::mlockall).args(&[Hex]).internal();
    152 MUNLOCKALL munlockall = call(mm::munlockall).args(&[]).internal();
    153 VHANGUP vhangup = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    154 MODIFY_LDT modify_ldt = enosys("answered as by a kernel built without CONFIG_MODIFY_LDT_SYSCALL: emu has no LDT");
    155 PIVOT_ROOT pivot_root = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    156 _SYSCTL _sysctl = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    157 PRCTL prctl = call(task::prctl).partial("name, parent-death signal and child subreaper (the host's), dumpable, keepcaps, no_new_privs, timer slack, THP, TSC, the capability bounding and ambient sets (read); seccomp, PR_SET_VMA and other options are EINVAL as on a kernel without them").args(&[Prctl]).internal();
    158 ARCH_PRCTL arch_prctl = call(task::arch_prctl).args(&[ArchPrctl, Ptr]).internal();
    159 ADJTIMEX adjtimex = missing("the kernel clock discipline (NTP state) is not modelled, not even its read-only query");
    160 SETRLIMIT setrlimit = call(limits::setrlimit).partial(LIMITS).args(&[Resource, Rlimit]).internal();
    161 CHROOT chroot = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    162 SYNC sync = call(meta::sync).args(&[]);
    163 ACCT acct = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    164 SETTIMEOFDAY settimeofday = refuse(E::EPERM, "the host's clock is not the guest's to set: answered as to an unprivileged process");
    165 MOUNT mount = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    166 UMOUNT2 umount2 = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    167 SWAPON swapon = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    168 SWAPOFF swapoff = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    169 REBOOT reboot = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    170 SETHOSTNAME sethostname = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    171 SETDOMAINNAME setdomainname = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    172 IOPL iopl = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    173 IOPERM ioperm = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    174 CREATE_MODULE create_module = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    175 INIT_MODULE init_module = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    176 DELETE_MODULE delete_module = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    177 GET_KERNEL_SYMS get_kernel_syms = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    178 QUERY_MODULE query_module = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    179 QUOTACTL quotactl = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    180 NFSSERVCTL nfsservctl = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    181 GETPMSG getpmsg = enosys("reserved: Linux answers ENOSYS too");
    182 PUTPMSG putpmsg = enosys("reserved: Linux answers ENOSYS too");
    183 AFS_SYSCALL afs_syscall = enosys("reserved: Linux answers ENOSYS too");
    184 TUXCALL tuxcall = enosys("reserved: Linux answers ENOSYS too");
    185 SECURITY security = enosys("reserved: Linux answers ENOSYS too");
    186 GETTID gettid = call(ids::gettid).args(&[]).internal();
    187 READAHEAD readahead = call(meta::readahead).args(&[Fd, Long, Uint]);
    188 SETXATTR setxattr = call(xattr::setxattr).args(&[Path, Str, XattrValue(3), Uint, XattrFlags]);
    189 LSETXATTR lsetxattr = call(xattr::lsetxattr).args(&[Path, Str, XattrValue(3), Uint, XattrFlags]);
    190 FSETXATTR fsetxattr = call(xattr::fsetxattr).args(&[Fd, Str, XattrValue(3), Uint, XattrFlags]);
    191 GETXATTR getxattr = call(xattr::getxattr).args(&[Path, Str, OutBuf, Uint]);
    192 LGETXATTR lgetxattr = call(xattr::lgetxattr).args(&[Path, Str, OutBuf, Uint]);
    193 FGETXATTR fgetxattr = call(xattr::fgetxattr).args(&[Fd, Str, OutBuf, Uint]);
    194 LISTXATTR listxattr = call(xattr::listxattr).args(&[Path, OutBuf, Uint]);
    195 LLISTXATTR llistxattr = call(xattr::llistxattr).args(&[Path, OutBuf, Uint]);
    196 FLISTXATTR flistxattr = call(xattr::flistxattr).args(&[Fd, OutBuf, Uint]);
    197 REMOVEXATTR removexattr = call(xattr::removexattr).args(&[Path, Str]);
    198 LREMOVEXATTR lremovexattr = call(xattr::lremovexattr).args(&[Path, Str]);
    199 FREMOVEXATTR fremovexattr = call(xattr::fremovexattr).args(&[Fd, Str]);
    200 TKILL tkill = call(signal::tkill).partial("threads of this process only").args(&[Int, Signal]).signals_own_thread();
    201 TIME time = call(time::time).args(&[Ptr]);
    202 FUTEX futex = call(futex::futex).args(&[Ptr, Futex]).internal().blocks();
    203 SCHED_SETAFFINITY sched_setaffinity = call(sched::sched_setaffinity).partial("the guest has one CPU: a mask with it succeeds, and the host's affinity is left alone").args(&[Int, Uint, Ptr]).internal();
    204 SCHED_GETAFFINITY sched_getaffinity = call(task::sched_getaffinity).args(&[Int, Uint, Ptr]);
    205 SET_THREAD_AREA set_thread_area = enosys("32-bit TLS descriptors are not modelled: 64-bit programs set their thread pointer with arch_prctl");
    206 IO_SETUP io_setup = enosys("asynchronous I/O is not implemented: glibc and liburing fall back to ordinary calls");
    207 IO_DESTROY io_destroy = enosys("asynchronous I/O is not implemented: glibc and liburing fall back to ordinary calls");
    208 IO_GETEVENTS io_getevents = enosys("asynchronous I/O is not implemented: glibc and liburing fall back to ordinary calls");
    209 IO_SUBMIT io_submit = enosys("asynchronous I/O is not implemented: glibc and liburing fall back to ordinary calls");
    210 IO_CANCEL io_cancel = enosys("asynchronous I/O is not implemented: glibc and liburing fall back to ordinary calls");
    211 GET_THREAD_AREA get_thread_area = enosys("32-bit TLS descriptors are not modelled: 64-bit programs set their thread pointer with arch_prctl");
    212 LOOKUP_DCOOKIE lookup_dcookie = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    213 EPOLL_CREATE epoll_create = call(poll::epoll_create).args(&[Int]);
    214 EPOLL_CTL_OLD epoll_ctl_old = enosys("reserved: Linux answers ENOSYS too");
    215 EPOLL_WAIT_OLD epoll_wait_old = enosys("reserved: Linux answers ENOSYS too");
    216 REMAP_FILE_PAGES remap_file_pages = missing("deprecated since Linux 3.16 (emulated there with mmap): not implemented");
    217 GETDENTS64 getdents64 = call(fs::getdents64).args(&[Fd, OutDirents, Uint]);
    218 SET_TID_ADDRESS set_tid_address = call(task::set_tid_address).args(&[Ptr]).internal();
    219 RESTART_SYSCALL restart_syscall = call(signal::restart_syscall).args(&[]).internal().never_restarted();
    220 SEMTIMEDOP semtimedop = call(ipc::semtimedop).args(&[Int, Ptr, Uint, Timespec]).eintr_after_handler().blocks();
    221 FADVISE64 fadvise64 = call(file::fadvise64).args(&[Fd, Long, Long, Fadvice]);
    222 TIMER_CREATE timer_create = call(timer::timer_create).args(&[ClockId, Ptr, Ptr]);
    223 TIMER_SETTIME timer_settime = call(timer::timer_settime).args(&[Int, Hex, Ptr, Ptr]);
    224 TIMER_GETTIME timer_gettime = call(timer::timer_gettime).args(&[Int, Ptr]);
    225 TIMER_GETOVERRUN timer_getoverrun = call(timer::timer_getoverrun).args(&[Int]);
    226 TIMER_DELETE timer_delete = call(timer::timer_delete).args(&[Int]);
    227 CLOCK_SETTIME clock_settime = refuse(E::EPERM, "the host's clock is not the guest's to set: answered as to an unprivileged process");
    228 CLOCK_GETTIME clock_gettime = call(time::clock_gettime).args(&[ClockId, OutTimespec]);
    229 CLOCK_GETRES clock_getres = call(time::clock_getres).args(&[ClockId, OutTimespec]);
    230 CLOCK_NANOSLEEP clock_nanosleep = call(time::clock_nanosleep).args(&[ClockId, Int, Timespec, OutTimespec]).eintr_after_handler().blocks();
    231 EXIT_GROUP exit_group = call(task::exit_group).args(&[Int]).internal();
    232 EPOLL_WAIT epoll_wait = call(poll::epoll_wait).partial("kept by emu over poll(2): EPOLLET is level-triggered").args(&[Fd, OutEpollEvents, Int, Int]).eintr_after_handler().blocks();
    233 EPOLL_CTL epoll_ctl = call(poll::epoll_ctl).partial("kept by emu over poll(2): EPOLLET is level-triggered").args(&[Fd, EpollOp, Fd, EpollEvent]);
    234 TGKILL tgkill = call(signal::tgkill).partial("threads of this process only").args(&[Int, Int, Signal]).signals_self();
    235 UTIMES utimes = call(meta::utimes).args(&[Path, Timevals]);
    236 VSERVER vserver = enosys("reserved: Linux answers ENOSYS too");
    237 MBIND mbind = enosys("NUMA memory policy: answered as by a kernel built without CONFIG_NUMA; libnuma and glibc then treat the machine as one node");
    238 SET_MEMPOLICY set_mempolicy = enosys("NUMA memory policy: answered as by a kernel built without CONFIG_NUMA; libnuma and glibc then treat the machine as one node");
    239 GET_MEMPOLICY get_mempolicy = enosys("NUMA memory policy: answered as by a kernel built without CONFIG_NUMA; libnuma and glibc then treat the machine as one node");
    240 MQ_OPEN mq_open = enosys("POSIX message queues: answered as by a kernel built without CONFIG_POSIX_MQUEUE");
    241 MQ_UNLINK mq_unlink = enosys("POSIX message queues: answered as by a kernel built without CONFIG_POSIX_MQUEUE");
    242 MQ_TIMEDSEND mq_timedsend = enosys("POSIX message queues: answered as by a kernel built without CONFIG_POSIX_MQUEUE").blocks();
    243 MQ_TIMEDRECEIVE mq_timedreceive = enosys("POSIX message queues: answered as by a kernel built without CONFIG_POSIX_MQUEUE").blocks();
    244 MQ_NOTIFY mq_notify = enosys("POSIX message queues: answered as by a kernel built without CONFIG_POSIX_MQUEUE");
    245 MQ_GETSETATTR mq_getsetattr = enosys("POSIX message queues: answered as by a kernel built without CONFIG_POSIX_MQUEUE");
    246 KEXEC_LOAD kexec_load = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    247 WAITID waitid = call(fork::waitid).args(&[Int, Int, Ptr, WaitOptions, Ptr]).blocks();
    248 ADD_KEY add_key = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    249 REQUEST_KEY request_key = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    250 KEYCTL keyctl = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    251 IOPRIO_SET ioprio_set = missing("I/O scheduling priorities are not modelled");
    252 IOPRIO_GET ioprio_get = missing("I/O scheduling priorities are not modelled");
    253 INOTIFY_INIT inotify_init = call(inotify::inotify_init).partial("the host's inotify; ENOSYS on hosts without one").args(&[]);
    254 INOTIFY_ADD_WATCH inotify_add_watch = call(inotify::inotify_add_watch).partial("the host's inotify; ENOSYS on hosts without one").args(&[Fd, Path, InotifyMask]);
    255 INOTIFY_RM_WATCH inotify_rm_watch = call(inotify::inotify_rm_watch).partial("the host's inotify; ENOSYS on hosts without one").args(&[Fd, Int]);
    256 MIGRATE_PAGES migrate_pages = enosys("NUMA memory policy: answered as by a kernel built without CONFIG_NUMA; libnuma and glibc then treat the machine as one node");
    257 OPENAT openat = call(file::openat).args(&[DirFd, Path, OpenFlags, OpenMode(2)]).blocks();
    258 MKDIRAT mkdirat = call(fs::mkdirat).args(&[DirFd, Path, Mode]);
    259 MKNODAT mknodat = call(meta::mknodat).args(&[DirFd, Path, NodeMode, NodeDev(2)]);
    260 FCHOWNAT fchownat = call(meta::fchownat).args(&[DirFd, Path, Int, Int, AtFlags]);
    261 FUTIMESAT futimesat = call(meta::futimesat).args(&[DirFd, Path, Timevals]);
    262 NEWFSTATAT newfstatat = call(fs::newfstatat).args(&[DirFd, Path, OutStat, AtFlags]);
    263 UNLINKAT unlinkat = call(fs::unlinkat).args(&[DirFd, Path, AtFlags]);
    264 RENAMEAT renameat = call(fs::renameat).args(&[DirFd, Path, DirFd, Path]);
    265 LINKAT linkat = call(fs::linkat).args(&[DirFd, Path, DirFd, Path, AtFlags]);
    266 SYMLINKAT symlinkat = call(fs::symlinkat).args(&[Path, DirFd, Path]);
    267 READLINKAT readlinkat = call(fs::readlinkat).args(&[DirFd, Path, OutBuf, Uint]);
    268 FCHMODAT fchmodat = call(fs::fchmodat).args(&[DirFd, Path, Mode]);
    269 FACCESSAT faccessat = call(fs::faccessat).args(&[DirFd, Path, Access]);
    270 PSELECT6 pselect6 = call(poll::pselect6).args(&[ Int, FdSet(0), FdSet(0), FdSet(0), Timespec, PselectSig, ]).eintr_after_handler().ret(Ret::Select).blocks();
    271 PPOLL ppoll = call(poll::ppoll).args(&[PollFds(1), Uint, Timespec, SigSet, Uint]).eintr_after_handler().blocks();
    272 UNSHARE unshare = missing("namespaces and unsharing a thread's files or fs state are not modelled");
    273 SET_ROBUST_LIST set_robust_list = call(task::set_robust_list).args(&[Ptr, Uint]).internal();
    274 GET_ROBUST_LIST get_robust_list = call(futex::get_robust_list).args(&[Int, Ptr, Ptr]);
    275 SPLICE splice = call(copy::splice).partial("between host files and pipes; on hosts other than Linux done with reads and writes").args(&[Fd, Off, Fd, Off, Uint, SpliceFlags]).blocks();
    276 TEE tee = call(copy::tee).partial("between host pipes on a Linux host; EINVAL elsewhere").args(&[Fd, Fd, Uint, SpliceFlags]).blocks();
    277 SYNC_FILE_RANGE sync_file_range = call(meta::sync_file_range).partial("flushes the whole file (the range and the write-out stages are not told apart)").args(&[Fd, Long, Long, SyncRangeFlags]);
    278 VMSPLICE vmsplice = call(copy::vmsplice).partial("copies the bytes: SPLICE_F_GIFT moves no pages").args(&[Fd, Iovec(2), Uint, SpliceFlags]).blocks();
    279 MOVE_PAGES move_pages = enosys("NUMA memory policy: answered as by a kernel built without CONFIG_NUMA; libnuma and glibc then treat the machine as one node");
    280 UTIMENSAT utimensat = call(meta::utimensat).args(&[DirFd, Path, UtimeTimes, AtFlags]);
    281 EPOLL_PWAIT epoll_pwait = call(poll::epoll_pwait).partial("kept by emu over poll(2): EPOLLET is level-triggered").args(&[Fd, OutEpollEvents, Int, Int, SigSet, Uint]).eintr_after_handler().blocks();
    282 SIGNALFD signalfd = call(signalfd::signalfd).args(&[Fd, SizedSigSet(2), Uint]);
    283 TIMERFD_CREATE timerfd_create = call(timerfd::timerfd_create).partial("a forked child gets its own copy of the timer; TFD_TIMER_CANCEL_ON_SET never cancels").args(&[ClockId, TfdFlags]);
    284 EVENTFD eventfd = call(poll::eventfd).args(&[Uint]);
    285 FALLOCATE fallocate = call(meta::fallocate).partial("the host's modes on Linux; elsewhere mode 0 only (other modes are EOPNOTSUPP)").args(&[Fd, FallocMode, Long, Long]);
    286 TIMERFD_SETTIME timerfd_settime = call(timerfd::timerfd_settime).partial("a forked child gets its own copy of the timer; TFD_TIMER_CANCEL_ON_SET never cancels").args(&[Fd, TfdSetFlags, Itimerspec, OutItimerspec]);
    287 TIMERFD_GETTIME timerfd_gettime = call(timerfd::timerfd_gettime).args(&[Fd, OutItimerspec]);
    288 ACCEPT4 accept4 = call(net::accept4).args(&[Fd, OutSockAddr(2), OutSockLen, SockFlags]).blocks();
    289 SIGNALFD4 signalfd4 = call(signalfd::signalfd4).args(&[Fd, SizedSigSet(2), Uint, SfdFlags]);
    290 EVENTFD2 eventfd2 = call(poll::eventfd2).args(&[Uint, EfdFlags]);
    291 EPOLL_CREATE1 epoll_create1 = call(poll::epoll_create1).args(&[FdFlags]);
    292 DUP3 dup3 = call(file::dup3).args(&[Fd, Fd, FdFlags]).internal();
    293 PIPE2 pipe2 = call(file::pipe2).args(&[OutFds, FdFlags]);
    294 INOTIFY_INIT1 inotify_init1 = call(inotify::inotify_init1).partial("the host's inotify; ENOSYS on hosts without one").args(&[InotifyFlags]);
    295 PREADV preadv = call(file::preadv).args(&[Fd, OutIovec(2), Int, Long]).blocks();
    296 PWRITEV pwritev = call(file::pwritev).args(&[Fd, Iovec(2), Int, Long]);
    297 RT_TGSIGQUEUEINFO rt_tgsigqueueinfo = call(signal::rt_tgsigqueueinfo).partial("to threads of this process only").args(&[Int, Int, Signal, Ptr]).signals_self();
    298 PERF_EVENT_OPEN perf_event_open = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    299 RECVMMSG recvmmsg = call(sendrecv::recvmmsg).partial("the timeout is not applied; without MSG_WAITFORONE only the first message is waited for").args(&[Fd, OutMmsghdrs(2), Uint, MsgFlags, Timespec]).blocks();
    300 FANOTIFY_INIT fanotify_init = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    301 FANOTIFY_MARK fanotify_mark = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    302 PRLIMIT64 prlimit64 = call(limits::prlimit64).partial(LIMITS_OF_SELF).args(&[Int, Resource, Rlimit, OutRlimit]).internal();
    303 NAME_TO_HANDLE_AT name_to_handle_at = refuse(E::EOPNOTSUPP, "file handles: answered as by a filesystem that cannot export them");
    304 OPEN_BY_HANDLE_AT open_by_handle_at = refuse(E::EPERM, "file handles need CAP_DAC_READ_SEARCH: the guest runs unprivileged").blocks();
    305 CLOCK_ADJTIME clock_adjtime = missing("the kernel clock discipline (NTP state) is not modelled, not even its read-only query");
    306 SYNCFS syncfs = call(meta::syncfs).args(&[Fd]);
    307 SENDMMSG sendmmsg = call(sendrecv::sendmmsg).partial("only the first message is waited for").args(&[Fd, OutMmsghdrs(2), Uint, MsgFlags]).blocks();
    308 SETNS setns = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    309 GETCPU getcpu = call(system::getcpu).args(&[Ptr, Ptr, Ptr]);
    310 PROCESS_VM_READV process_vm_readv = enosys("answered as by a kernel built without CONFIG_CROSS_MEMORY_ATTACH: guest memory is not at host addresses");
    311 PROCESS_VM_WRITEV process_vm_writev = enosys("answered as by a kernel built without CONFIG_CROSS_MEMORY_ATTACH: guest memory is not at host addresses");
    312 KCMP kcmp = enosys("answered as by a kernel built without CONFIG_KCMP");
    313 FINIT_MODULE finit_module = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    314 SCHED_SETATTR sched_setattr = call(sched::sched_setattr).partial("policy, priority and nice; SCHED_DEADLINE and the utilization clamps are EINVAL").args(&[Int, Ptr, Uint]);
    315 SCHED_GETATTR sched_getattr = call(sched::sched_getattr).args(&[Int, Ptr, Uint, Uint]);
    316 RENAMEAT2 renameat2 = call(fs::renameat2).partial("RENAME_NOREPLACE only; RENAME_EXCHANGE and RENAME_WHITEOUT are EINVAL").args(&[DirFd, Path, DirFd, Path, Hex]);
    317 SECCOMP seccomp = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    318 GETRANDOM getrandom = call(system::getrandom).args(&[OutHex, Uint, GrndFlags]);
    319 MEMFD_CREATE memfd_create = call(mm::memfd_create).args(&[Path, Hex]);
    320 KEXEC_FILE_LOAD kexec_file_load = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    321 BPF bpf = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    322 EXECVEAT execveat = call(execve::execveat).args(&[DirFd, Path, Argv, Envp, AtFlags]).internal().effects(EXEC);
    323 USERFAULTFD userfaultfd = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    324 MEMBARRIER membarrier = call(mm::membarrier).args(&[Int, Hex, Int]).internal();
    325 MLOCK2 mlock2 = call(mm::mlock).args(&[Ptr, Uint, Hex]).internal();
    326 COPY_FILE_RANGE copy_file_range = call(copy::copy_file_range).partial("between host files; on hosts other than Linux done with reads and writes").args(&[Fd, Off, Fd, Off, Uint, Uint]).blocks();
    327 PREADV2 preadv2 = call(file::preadv2).partial(RWF).args(&[Fd, OutIovec(2), Int, Long, Hidden, RwfFlags]).blocks();
    328 PWRITEV2 pwritev2 = call(file::pwritev2).partial(RWF).args(&[Fd, Iovec(2), Int, Long, Hidden, RwfFlags]);
    329 PKEY_MPROTECT pkey_mprotect = call(mm::pkey_mprotect).args(&[Ptr, Uint, Prot, Int]).internal().effects(MAPS);
    330 PKEY_ALLOC pkey_alloc = call(mm::pkey_alloc).args(&[Hex, Hex]).internal();
    331 PKEY_FREE pkey_free = call(mm::pkey_free).args(&[Int]).internal();
    332 STATX statx = call(fs::statx).args(&[DirFd, Path, StatxFlags, StatxMask, OutStatx]);
    333 IO_PGETEVENTS io_pgetevents = enosys("asynchronous I/O is not implemented: glibc and liburing fall back to ordinary calls");
    334 RSEQ rseq = enosys("restartable sequences are not implemented: glibc carries on without them").args(&[Ptr, Hex, Int, Hex]);
    424 PIDFD_SEND_SIGNAL pidfd_send_signal = call(pidfd::pidfd_send_signal).partial("a siginfo can be given only to the process itself (EPERM for another)").args(&[Fd, Signal, Ptr, Hex]);
    425 IO_URING_SETUP io_uring_setup = enosys("asynchronous I/O is not implemented: glibc and liburing fall back to ordinary calls");
    426 IO_URING_ENTER io_uring_enter = enosys("asynchronous I/O is not implemented: glibc and liburing fall back to ordinary calls");
    427 IO_URING_REGISTER io_uring_register = enosys("asynchronous I/O is not implemented: glibc and liburing fall back to ordinary calls");
    428 OPEN_TREE open_tree = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    429 MOVE_MOUNT move_mount = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    430 FSOPEN fsopen = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    431 FSCONFIG fsconfig = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    432 FSMOUNT fsmount = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    433 FSPICK fspick = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    434 PIDFD_OPEN pidfd_open = call(pidfd::pidfd_open).args(&[Int, Hex]);
    435 CLONE3 clone3 = enosys("not implemented: glibc falls back to clone").args(&[Ptr, Uint]).effects(NEW_TASK);
    436 CLOSE_RANGE close_range = call(file::close_range).args(&[Uint, Uint, Hex]).internal();
    437 OPENAT2 openat2 = missing("the RESOLVE_* path walks are not implemented; glibc and programs fall back to openat").blocks();
    438 PIDFD_GETFD pidfd_getfd = call(pidfd::pidfd_getfd).partial("the process's own descriptors only: another emulated process's table is out of the host's reach (EPERM)").args(&[Fd, Fd, Hex]);
    439 FACCESSAT2 faccessat2 = call(fs::faccessat2).args(&[DirFd, Path, Access, AtFlags]);
    440 PROCESS_MADVISE process_madvise = missing("advice about another process's memory is not modelled");
    441 EPOLL_PWAIT2 epoll_pwait2 = call(poll::epoll_pwait2).partial("kept by emu over poll(2): EPOLLET is level-triggered; the timeout is rounded up to milliseconds").args(&[Fd, OutEpollEvents, Int, Timespec, SigSet, Uint]).eintr_after_handler().blocks();
    442 MOUNT_SETATTR mount_setattr = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    443 QUOTACTL_FD quotactl_fd = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    444 LANDLOCK_CREATE_RULESET landlock_create_ruleset = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    445 LANDLOCK_ADD_RULE landlock_add_rule = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    446 LANDLOCK_RESTRICT_SELF landlock_restrict_self = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    447 MEMFD_SECRET memfd_secret = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    448 PROCESS_MRELEASE process_mrelease = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    449 FUTEX_WAITV futex_waitv = missing("the futex2 calls are not implemented; glibc and libstdc++ use futex(2), which is").blocks();
    450 SET_MEMPOLICY_HOME_NODE set_mempolicy_home_node = enosys("NUMA memory policy: answered as by a kernel built without CONFIG_NUMA; libnuma and glibc then treat the machine as one node");
    451 CACHESTAT cachestat = missing("page-cache statistics are not modelled");
    452 FCHMODAT2 fchmodat2 = call(meta::fchmodat2).args(&[DirFd, Path, Mode, AtFlags]);
    453 MAP_SHADOW_STACK map_shadow_stack = refuse(E::EOPNOTSUPP, "no CET shadow stacks, as on a CPU without them");
    454 FUTEX_WAKE futex_wake = missing("the futex2 calls are not implemented; glibc and libstdc++ use futex(2), which is");
    455 FUTEX_WAIT futex_wait = missing("the futex2 calls are not implemented; glibc and libstdc++ use futex(2), which is").blocks();
    456 FUTEX_REQUEUE futex_requeue = missing("the futex2 calls are not implemented; glibc and libstdc++ use futex(2), which is");
    457 STATMOUNT statmount = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    458 LISTMOUNT listmount = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    459 LSM_GET_SELF_ATTR lsm_get_self_attr = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    460 LSM_SET_SELF_ATTR lsm_set_self_attr = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    461 LSM_LIST_MODULES lsm_list_modules = refuse(E::EPERM, "system administration: the guest runs unprivileged");
    462 MSEAL mseal = missing("memory sealing is not implemented: a sealed mapping could still be changed");
    463 SETXATTRAT setxattrat = missing("the *at forms of the xattr calls (Linux 6.13, struct xattr_args) are not implemented yet");
    464 GETXATTRAT getxattrat = missing("the *at forms of the xattr calls (Linux 6.13, struct xattr_args) are not implemented yet");
    465 LISTXATTRAT listxattrat = missing("the *at forms of the xattr calls (Linux 6.13, struct xattr_args) are not implemented yet");
    466 REMOVEXATTRAT removexattrat = missing("the *at forms of the xattr calls (Linux 6.13, struct xattr_args) are not implemented yet");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn rows_are_sorted_unique_and_cover_every_number() {
        for w in ROWS.windows(2) {
            assert!(w[0].nr < w[1].nr, "rows {} and {} are out of order", w[0].name, w[1].name);
        }
        // x86-64 numbers run 0..=334, then from 424 (335-423 are unused; 512+ is x32).
        for n in (0..=334).chain(424..END as u64) {
            assert!(row(n).is_some_and(|r| r.nr == n), "syscall {n} has no row");
        }
        assert!(row(335).is_none() && row(423).is_none() && row(END as u64).is_none());
        let mut names: Vec<&str> = ROWS.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ROWS.len(), "a name appears twice");
    }

    #[test]
    fn every_row_that_is_not_full_says_why() {
        for r in ROWS {
            let note = match r.support {
                Support::Full => continue,
                Support::Partial(n) | Support::Missing(n) | Support::Refused(_, n) => n,
            };
            assert!(note.len() > 10, "{}: the note must say what is missing", r.name);
            assert_eq!(r.handler.is_some(), matches!(r.support, Support::Partial(_)), "{}", r.name);
        }
        assert_eq!(row(nr::READ).map(|r| r.support), Some(Support::Full));
    }

    /// The names and numbers of the host's `<asm/unistd_64.h>` (Linux's own list) are
    /// the table's; newer kernels than the headers' add rows past its end.
    #[test]
    fn names_and_numbers_are_linuxs() {
        let h = Path::new("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
        let Ok(text) = std::fs::read_to_string(h) else {
            eprintln!("skipped: {} not found (package linux-libc-dev)", h.display());
            return;
        };
        let mut seen = 0;
        for line in text.lines() {
            let mut w = line.split_whitespace();
            let (Some("#define"), Some(name), Some(num)) = (w.next(), w.next(), w.next()) else { continue };
            let (Some(name), Ok(num)) = (name.strip_prefix("__NR_"), num.parse::<u64>()) else { continue };
            let r = row(num).unwrap_or_else(|| panic!("{name} ({num}) has no row"));
            assert_eq!(r.name, name, "syscall {num}");
            seen += 1;
        }
        assert!(seen > 350, "only {seen} syscalls read from {}", h.display());
    }

    /// A line's code as tokens: paths (`c.nr`, `nr::READ`), numbers, and operators
    /// (`==`, `!=`, `=>` or one character).
    fn tokens(code: &str) -> Vec<&str> {
        let b = code.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        while i < b.len() {
            let start = i;
            if word(b[i]) {
                while i < b.len() && (word(b[i]) || b[i] == b'.' || b[i..].starts_with(b"::")) {
                    i += if b[i] == b':' { 2 } else { 1 };
                }
            } else if b[i..].starts_with(b"==") || b[i..].starts_with(b"!=") || b[i..].starts_with(b"=>") {
                i += 2;
            } else if b[i] == b' ' {
                i += 1;
                continue;
            } else {
                i += 1;
            }
            out.push(&code[start..i]);
        }
        out
    }

    /// A syscall number in a variable: `nr`, `c.nr`, `sys_nr` (not a path to a constant).
    fn is_nr(t: &str) -> bool {
        let last = t.rsplit('.').next().unwrap_or(t);
        !t.contains("::") && (last == "nr" || last.ends_with("_nr"))
    }

    fn is_number(t: &str) -> bool {
        t.starts_with(|c: char| c.is_ascii_digit())
    }

    /// Lines of `src` that compare or match a syscall number against a literal.
    fn bare_numbers(src: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut depth = 0usize;
        // Brace depth inside a `match` whose scrutinee is a syscall number.
        let mut arms_at: Option<usize> = None;
        for (i, line) in src.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let t = tokens(code);
            let compared = t.windows(3).any(|w| {
                (w[1] == "==" || w[1] == "!=")
                    && (is_nr(w[0]) && is_number(w[2]) || is_number(w[0]) && is_nr(w[2]))
            });
            let matched =
                t.windows(4).any(|w| w[0] == "matches" && w[1] == "!" && w[2] == "(" && is_nr(w[3]))
                    && t.iter()
                        .skip_while(|x| **x != ",")
                        .take_while(|x| **x != "if" && **x != ")")
                        .any(|x| is_number(x));
            let arm = arms_at == Some(depth)
                && t.contains(&"=>")
                && t.iter().take_while(|x| **x != "=>" && **x != "if").any(|x| is_number(x));
            if compared || matched || arm {
                found.push(format!("{}: {}", i + 1, line.trim()));
            }
            if t.first() == Some(&"match") && t.iter().take_while(|x| **x != "{").any(|x| is_nr(x)) {
                arms_at = Some(depth + 1);
            }
            for c in code.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth = depth.saturating_sub(1);
                        if arms_at.is_some_and(|a| depth < a) {
                            arms_at = None;
                        }
                    }
                    _ => {}
                }
            }
        }
        found
    }

    #[test]
    fn the_number_check_finds_bare_numbers() {
        assert_eq!(bare_numbers("if nr == 59 {").len(), 1);
        assert_eq!(bare_numbers("let x = matches!(c.nr, 9 | 12);").len(), 1);
        assert_eq!(bare_numbers("match nr {\n    61 => 1,\n    _ => 0,\n}\nlet y = 3;").len(), 1);
        assert!(bare_numbers("if nr == nr::EXECVE { x[0] = 1 }").is_empty());
        assert!(bare_numbers("match nr {\n    nr::WAIT4 if rax > 0 => 1,\n}").is_empty());
        assert_eq!(bare_numbers("match (seq, nr) {\n    (Some(s), 1 | 18) if x => 1,\n}").len(), 1);
        assert!(bare_numbers("if r.effects & effects::EXEC != 0 && regs[0] == nr {").is_empty());
    }

    /// The shim's own source files (not this one), each with its path under `src/` and
    /// its text up to the unit tests, which may name raw values on purpose.
    fn shim_sources() -> Vec<(String, String)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("source directory") {
                let path = e.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|x| x == "rs") && !path.ends_with("sys/table.rs") {
                    let src = std::fs::read_to_string(&path).expect("source file");
                    let src = src.split("#[cfg(test)]").next().unwrap_or("").to_string();
                    out.push((path.strip_prefix(&root).unwrap_or(&path).display().to_string(), src));
                }
            }
        }
        out
    }

    /// No file but this one writes a syscall number: the others use `nr::NAME` or a fact
    /// of the row.
    #[test]
    fn no_syscall_number_outside_the_table() {
        let mut bad = Vec::new();
        for (path, src) in shim_sources() {
            for l in bare_numbers(&src) {
                bad.push(format!("{path}:{l}"));
            }
        }
        assert!(bad.is_empty(), "syscall numbers outside sys/table.rs (use nr::NAME):\n{}", bad.join("\n"));
    }

    /// Lines that index a register array by number (`regs[7]`, `gprs()[2]`).
    fn indexed_registers(src: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (i, line) in src.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for name in ["regs", "gprs()", "gpr", "gprs"] {
                let pat = format!("{name}[");
                let hit = code
                    .match_indices(&pat)
                    .any(|(at, _)| !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
                if hit {
                    found.push(format!("{}: {}", i + 1, line.trim()));
                    break;
                }
            }
        }
        found
    }

    #[test]
    fn the_register_check_finds_indexing() {
        assert_eq!(indexed_registers("let a = cpu.regs[7];").len(), 1);
        assert_eq!(indexed_registers("let b = t.cpu.gprs()[2];").len(), 1);
        assert!(indexed_registers("let a = cpu.reg(Reg::Rdi); // not regs[7]").is_empty());
        assert!(indexed_registers("let n = nregs[0];").is_empty());
    }

    /// Syscall arguments and results go through `Args` and the CPU's named accessors
    /// (`Reg`), so no file reads a register by its index.
    #[test]
    fn no_register_read_by_index() {
        let mut bad = Vec::new();
        for (path, src) in shim_sources() {
            for l in indexed_registers(&src) {
                bad.push(format!("{path}:{l}"));
            }
        }
        assert!(bad.is_empty(), "registers indexed by number (use Reg / Args):\n{}", bad.join("\n"));
    }
}
