//! How `--strace` shows a syscall's arguments and result: the kinds each table row
//! (`table.rs`) lists. The formatting itself is the trace's (`trace/strace.rs`).

/// How one syscall argument is shown. Most read the argument at their own position; the
/// ones with an index read a length or count from another argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    /// Signed 32-bit decimal.
    Int,
    /// Signed 64-bit decimal.
    Long,
    /// Unsigned decimal.
    Uint,
    /// A pointer or opaque value in hex (`NULL` for 0).
    Ptr,
    /// A number in hex (`0` for 0): offsets, masks.
    Hex,
    /// A mode in octal (`0644`).
    Mode,
    /// The creation mode of open/openat: shown only when the flags (at this index) create.
    OpenMode(u8),
    Fd,
    /// A directory fd of the *at family: `AT_FDCWD` or a number.
    DirFd,
    /// A NUL-terminated path, shown in full.
    Path,
    /// An input buffer whose length is the argument at this index.
    Buf(u8),
    /// An output buffer: shown after the call, as many bytes as the result says.
    OutBuf,
    /// An output buffer of random bytes, shown in hex as strace does for getrandom.
    OutHex,
    /// An output NUL-terminated string (getcwd).
    OutStr,
    OpenFlags,
    /// O_CLOEXEC/O_NONBLOCK-style flags of dup3, pipe2, eventfd2, epoll_create1.
    FdFlags,
    Prot,
    MmapFlags,
    MremapFlags,
    AtFlags,
    Access,
    Whence,
    ClockId,
    Signal,
    /// A signal mask in guest memory.
    SigSet,
    OutSigSet,
    SigHow,
    SigAction,
    OutSigAction,
    /// rt_sigreturn: the mask the signal frame at rsp restores.
    SigreturnMask,
    /// A `struct stat` the call fills in.
    OutStat,
    OutStatx,
    /// statx's flags (the sync type is named even when 0) and its mask.
    StatxFlags,
    StatxMask,
    /// A `struct timespec` (input).
    Timespec,
    /// setitimer/getitimer: which timer, and a `struct itimerval` (input / output).
    ItimerWhich,
    Itimerval,
    OutItimerval,
    OutTimespec,
    /// An iovec array whose count is at this index (input / output).
    Iovec(u8),
    OutIovec(u8),
    /// A pollfd array whose count is at this index; the revents are shown after the result.
    PollFds(u8),
    /// `int[2]` filled by pipe/pipe2/socketpair.
    OutFds,
    /// The wait status filled by wait4.
    OutWaitStatus,
    /// getdents64's buffer: the number of entries read.
    OutDirents,
    OutUtsname,
    /// execve's argv and envp.
    Argv,
    Envp,
    /// clone's arguments, shown by name (`child_stack=`, `flags=`...).
    Clone,
    /// fcntl's command and the argument it takes.
    Fcntl,
    /// futex's operation and the arguments it takes.
    Futex,
    ArchPrctl,
    /// prctl's option and the arguments it takes (formatted after the call: PR_GET_NAME
    /// fills a buffer).
    Prctl,
    Ioctl,
    Resource,
    OutRlimit,
    /// An input rlimit (prlimit64's new limit).
    Rlimit,
    GrndFlags,
    /// preadv2/pwritev2's RWF_* flags.
    RwfFlags,
    /// An argument strace does not show (the high half of preadv's offset on 64-bit).
    Hidden,
    WaitOptions,
    Madvise,
    /// An `fd_set` whose descriptor count is the argument at this index (select family).
    FdSet(u8),
    /// select's `struct timeval` timeout.
    Timeval,
    /// pselect6's sixth argument: `{sigmask=[...], sigsetsize=8}`.
    PselectSig,
    /// A socket address whose length is the argument at this index (input).
    SockAddr(u8),
    /// A socket address the call fills; its length pointer is at this index.
    OutSockAddr(u8),
    /// The length pointer of a socket address: `[110 => 18]` (in => out).
    OutSockLen,
    SockFamily,
    SockType,
    /// socket's protocol, named per the family at this index.
    SockProto(u8),
    MsgFlags,
    /// sendmsg's `struct msghdr` (input) and recvmsg's (shown after the call).
    Msghdr,
    OutMsghdr,
    /// An array of `struct mmsghdr` whose count is the argument at this index, shown after
    /// the call (sendmmsg and recvmmsg fill in each `msg_len`).
    OutMmsghdrs(u8),
    /// shutdown's `how`.
    ShutdownHow,
    /// A socket option level, and the option name at the level of this index.
    SockLevel,
    SockOptName(u8),
    /// A socket option value whose length is the argument at this index (setsockopt), or
    /// whose length pointer is (getsockopt, shown after the call).
    SockOptVal(u8),
    OutSockOptVal(u8),
    /// accept4's SOCK_NONBLOCK / SOCK_CLOEXEC.
    SockFlags,
    /// An output buffer shown after the call: as many bytes as the result says, at most the
    /// argument at this index (a datagram's MSG_TRUNC length may exceed the buffer).
    OutBufMax(u8),
    /// sigaltstack's `stack_t` (input / output).
    StackT,
    OutStackT,
    /// ioctl's third argument, decoded per command (termios for TCGETS/TCSETS*).
    IoctlData,
    // ---- file metadata, locks, copies and event descriptors ----
    /// A NUL-terminated string cut at the string limit (an attribute name).
    Str,
    /// setxattr's XATTR_CREATE/XATTR_REPLACE, and its value, whose size is the argument at
    /// this index (a pointer when it is too large to be one).
    XattrFlags,
    XattrValue(u8),
    /// fadvise64's advice.
    Fadvice,
    /// flock's operation.
    FlockOp,
    /// mknod's mode, with the file type; and the device number, shown only when the mode
    /// at this index makes a device.
    NodeMode,
    NodeDev(u8),
    /// utimensat's two times (UTIME_NOW, UTIME_OMIT by name), utimes' two timevals,
    /// utime's `struct utimbuf`.
    UtimeTimes,
    Timevals,
    Utimbuf,
    FallocMode,
    /// sync_file_range's flags.
    SyncRangeFlags,
    /// A `loff_t *` the call reads (`[5]`); one it reads and moves (`[10] => [15]`).
    Off,
    OffInOut,
    SpliceFlags,
    TfdFlags,
    TfdSetFlags,
    Itimerspec,
    OutItimerspec,
    SfdFlags,
    InotifyFlags,
    InotifyMask,
    /// eventfd2's flags.
    EfdFlags,
    /// A signal mask whose size is the argument at this index: a pointer unless it is 8.
    SizedSigSet(u8),
    /// epoll_ctl's operation and event; the events epoll_wait returned (as many as its
    /// result).
    EpollOp,
    EpollEvent,
    OutEpollEvents,
}

use Arg::*;

impl Arg {
    /// Whether the argument is filled by the kernel (formatted after the call).
    pub(crate) fn is_output(self) -> bool {
        matches!(
            self,
            OutBuf
                | OutHex
                | OutStr
                | OutSigSet
                | OutSigAction
                | OutStat
                | OutStatx
                | OutTimespec
                | OutIovec(_)
                | OutFds
                | OutWaitStatus
                | OutDirents
                | OutUtsname
                | OutRlimit
                | OutItimerval
                | Prctl
                | OutSockAddr(_)
                | OutSockLen
                | OutMsghdr
                | OutBufMax(_)
                | OutMmsghdrs(_)
                | OutSockOptVal(_)
                | OutStackT
                | IoctlData
                | Fcntl
                | OutItimerspec
                | OutEpollEvents
        )
    }
}

/// How a syscall's successful result is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ret {
    /// A signed decimal (counts, descriptors, ids).
    Int,
    /// An address in hex (mmap, brk, mremap).
    Addr,
    /// fcntl: flags decoded for F_GETFD and F_GETFL.
    Fcntl,
    /// select/pselect6: the ready sets and the time left.
    Select,
}
