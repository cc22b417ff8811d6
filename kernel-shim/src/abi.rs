//! Linux x86-64 ABI constants and struct layouts as the guest sees them. These are the
//! Linux values whatever the host OS is; `host` translates.

pub mod errno {
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const ESRCH: i32 = 3;
    pub const EINTR: i32 = 4;
    pub const EIO: i32 = 5;
    pub const ENXIO: i32 = 6;
    pub const E2BIG: i32 = 7;
    pub const ENOEXEC: i32 = 8;
    pub const EBADF: i32 = 9;
    pub const ECHILD: i32 = 10;
    pub const EAGAIN: i32 = 11;
    pub const ENOMEM: i32 = 12;
    pub const EACCES: i32 = 13;
    pub const EFAULT: i32 = 14;
    pub const EBUSY: i32 = 16;
    pub const EEXIST: i32 = 17;
    pub const EXDEV: i32 = 18;
    pub const ENODEV: i32 = 19;
    pub const ENOTDIR: i32 = 20;
    pub const EISDIR: i32 = 21;
    pub const EINVAL: i32 = 22;
    pub const ENFILE: i32 = 23;
    pub const EMFILE: i32 = 24;
    pub const ENOTTY: i32 = 25;
    pub const ETXTBSY: i32 = 26;
    pub const EFBIG: i32 = 27;
    pub const ENOSPC: i32 = 28;
    pub const ESPIPE: i32 = 29;
    pub const EROFS: i32 = 30;
    pub const EMLINK: i32 = 31;
    pub const EPIPE: i32 = 32;
    pub const EDOM: i32 = 33;
    pub const ERANGE: i32 = 34;
    pub const EDEADLK: i32 = 35;
    pub const ENAMETOOLONG: i32 = 36;
    pub const ENOLCK: i32 = 37;
    pub const ENOSYS: i32 = 38;
    pub const ENOTEMPTY: i32 = 39;
    pub const ELOOP: i32 = 40;
    pub const ENODATA: i32 = 61;
    pub const EOVERFLOW: i32 = 75;
    pub const ENOTSOCK: i32 = 88;
    pub const EOPNOTSUPP: i32 = 95;
    pub const EAFNOSUPPORT: i32 = 97;
    pub const EADDRINUSE: i32 = 98;
    pub const ECONNREFUSED: i32 = 111;
    pub const ETIMEDOUT: i32 = 110;
    pub const ENOTCONN: i32 = 107;
    pub const ECONNRESET: i32 = 104;
    pub const EHOSTUNREACH: i32 = 113;
    pub const EALREADY: i32 = 114;
    pub const EINPROGRESS: i32 = 115;
    pub const ESTALE: i32 = 116;
    pub const EDQUOT: i32 = 122;
    pub const ECANCELED: i32 = 125;

    /// Name and message of an errno, as strace prints them.
    pub fn describe(e: i32) -> (&'static str, &'static str) {
        match e {
            EPERM => ("EPERM", "Operation not permitted"),
            ENOENT => ("ENOENT", "No such file or directory"),
            ESRCH => ("ESRCH", "No such process"),
            EINTR => ("EINTR", "Interrupted system call"),
            EIO => ("EIO", "Input/output error"),
            ENXIO => ("ENXIO", "No such device or address"),
            E2BIG => ("E2BIG", "Argument list too long"),
            ENOEXEC => ("ENOEXEC", "Exec format error"),
            EBADF => ("EBADF", "Bad file descriptor"),
            ECHILD => ("ECHILD", "No child processes"),
            EAGAIN => ("EAGAIN", "Resource temporarily unavailable"),
            ENOMEM => ("ENOMEM", "Cannot allocate memory"),
            EACCES => ("EACCES", "Permission denied"),
            EFAULT => ("EFAULT", "Bad address"),
            EBUSY => ("EBUSY", "Device or resource busy"),
            EEXIST => ("EEXIST", "File exists"),
            EXDEV => ("EXDEV", "Invalid cross-device link"),
            ENODEV => ("ENODEV", "No such device"),
            ENOTDIR => ("ENOTDIR", "Not a directory"),
            EISDIR => ("EISDIR", "Is a directory"),
            EINVAL => ("EINVAL", "Invalid argument"),
            EMFILE => ("EMFILE", "Too many open files"),
            ENOTTY => ("ENOTTY", "Inappropriate ioctl for device"),
            ESPIPE => ("ESPIPE", "Illegal seek"),
            EROFS => ("EROFS", "Read-only file system"),
            EPIPE => ("EPIPE", "Broken pipe"),
            ERANGE => ("ERANGE", "Numerical result out of range"),
            ENAMETOOLONG => ("ENAMETOOLONG", "File name too long"),
            ENOSYS => ("ENOSYS", "Function not implemented"),
            ENOTEMPTY => ("ENOTEMPTY", "Directory not empty"),
            ELOOP => ("ELOOP", "Too many levels of symbolic links"),
            ENODATA => ("ENODATA", "No data available"),
            EOVERFLOW => ("EOVERFLOW", "Value too large for defined data type"),
            ENOTSOCK => ("ENOTSOCK", "Socket operation on non-socket"),
            EOPNOTSUPP => ("EOPNOTSUPP", "Operation not supported"),
            ETIMEDOUT => ("ETIMEDOUT", "Connection timed out"),
            ENFILE => ("ENFILE", "Too many open files in system"),
            ETXTBSY => ("ETXTBSY", "Text file busy"),
            EFBIG => ("EFBIG", "File too large"),
            ENOSPC => ("ENOSPC", "No space left on device"),
            EMLINK => ("EMLINK", "Too many links"),
            EDOM => ("EDOM", "Numerical argument out of domain"),
            EDEADLK => ("EDEADLK", "Resource deadlock avoided"),
            ENOLCK => ("ENOLCK", "No locks available"),
            EAFNOSUPPORT => ("EAFNOSUPPORT", "Address family not supported by protocol"),
            EADDRINUSE => ("EADDRINUSE", "Address already in use"),
            ECONNRESET => ("ECONNRESET", "Connection reset by peer"),
            ENOTCONN => ("ENOTCONN", "Transport endpoint is not connected"),
            ECONNREFUSED => ("ECONNREFUSED", "Connection refused"),
            EHOSTUNREACH => ("EHOSTUNREACH", "No route to host"),
            EALREADY => ("EALREADY", "Operation already in progress"),
            EINPROGRESS => ("EINPROGRESS", "Operation now in progress"),
            ESTALE => ("ESTALE", "Stale file handle"),
            EDQUOT => ("EDQUOT", "Disk quota exceeded"),
            ECANCELED => ("ECANCELED", "Operation canceled"),
            _ => ("E?", "Unknown error"),
        }
    }
}

pub mod open {
    pub const O_RDONLY: u32 = 0;
    pub const O_WRONLY: u32 = 1;
    pub const O_RDWR: u32 = 2;
    pub const O_ACCMODE: u32 = 3;
    pub const O_CREAT: u32 = 0o100;
    pub const O_EXCL: u32 = 0o200;
    pub const O_NOCTTY: u32 = 0o400;
    pub const O_TRUNC: u32 = 0o1000;
    pub const O_APPEND: u32 = 0o2000;
    pub const O_NONBLOCK: u32 = 0o4000;
    pub const O_DSYNC: u32 = 0o10000;
    pub const O_DIRECT: u32 = 0o40000;
    pub const O_LARGEFILE: u32 = 0o100000;
    pub const O_DIRECTORY: u32 = 0o200000;
    pub const O_NOFOLLOW: u32 = 0o400000;
    pub const O_NOATIME: u32 = 0o1000000;
    pub const O_CLOEXEC: u32 = 0o2000000;
    pub const O_SYNC: u32 = 0o4010000;
    pub const O_PATH: u32 = 0o10000000;
    pub const O_TMPFILE: u32 = 0o20200000;
}

pub const AT_FDCWD: i32 = -100;
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_REMOVEDIR: u32 = 0x200;
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
pub const AT_EMPTY_PATH: u32 = 0x1000;

pub mod mode {
    pub const S_IFMT: u32 = 0o170000;
    pub const S_IFSOCK: u32 = 0o140000;
    pub const S_IFLNK: u32 = 0o120000;
    pub const S_IFREG: u32 = 0o100000;
    pub const S_IFBLK: u32 = 0o060000;
    pub const S_IFDIR: u32 = 0o040000;
    pub const S_IFCHR: u32 = 0o020000;
    pub const S_IFIFO: u32 = 0o010000;
}

/// File metadata in portable form; converted to the guest's `struct stat` / `statx`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Stat {
    /// The x86-64 `struct stat` (144 bytes).
    pub fn to_linux(&self) -> [u8; 144] {
        let mut b = [0u8; 144];
        let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        put(0, &self.dev.to_le_bytes());
        put(8, &self.ino.to_le_bytes());
        put(16, &self.nlink.to_le_bytes());
        put(24, &self.mode.to_le_bytes());
        put(28, &self.uid.to_le_bytes());
        put(32, &self.gid.to_le_bytes());
        put(40, &self.rdev.to_le_bytes());
        put(48, &self.size.to_le_bytes());
        put(56, &self.blksize.to_le_bytes());
        put(64, &self.blocks.to_le_bytes());
        put(72, &self.atime.0.to_le_bytes());
        put(80, &self.atime.1.to_le_bytes());
        put(88, &self.mtime.0.to_le_bytes());
        put(96, &self.mtime.1.to_le_bytes());
        put(104, &self.ctime.0.to_le_bytes());
        put(112, &self.ctime.1.to_le_bytes());
        b
    }

    /// `struct statx` (256 bytes) with the basic fields filled.
    pub fn to_statx(&self) -> [u8; 256] {
        let mut b = [0u8; 256];
        let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        const STATX_BASIC_STATS: u32 = 0x7ff;
        put(0, &STATX_BASIC_STATS.to_le_bytes());
        put(4, &(self.blksize as u32).to_le_bytes());
        put(16, &(self.nlink as u32).to_le_bytes());
        put(20, &self.uid.to_le_bytes());
        put(24, &self.gid.to_le_bytes());
        put(28, &(self.mode as u16).to_le_bytes());
        put(32, &self.ino.to_le_bytes());
        put(40, &(self.size as u64).to_le_bytes());
        put(48, &(self.blocks as u64).to_le_bytes());
        let ts = |t: (i64, i64)| {
            let mut x = [0u8; 16];
            x[..8].copy_from_slice(&t.0.to_le_bytes());
            x[8..12].copy_from_slice(&(t.1 as u32).to_le_bytes());
            x
        };
        put(64, &ts(self.atime));
        put(80, &ts(self.ctime)); // btime: not tracked portably; ctime stands in (mask omits it)
        put(96, &ts(self.ctime));
        put(112, &ts(self.mtime));
        put(128, &(major(self.rdev)).to_le_bytes());
        put(132, &(minor(self.rdev)).to_le_bytes());
        put(136, &(major(self.dev)).to_le_bytes());
        put(140, &(minor(self.dev)).to_le_bytes());
        b
    }
}

pub fn major(dev: u64) -> u32 {
    (((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)) as u32
}

pub fn minor(dev: u64) -> u32 {
    (((dev >> 12) & 0xffff_ff00) | (dev & 0xff)) as u32
}

pub mod mman {
    pub const PROT_READ: u64 = 1;
    pub const PROT_WRITE: u64 = 2;
    pub const PROT_EXEC: u64 = 4;
    pub const MAP_SHARED: u64 = 0x01;
    pub const MAP_PRIVATE: u64 = 0x02;
    pub const MAP_SHARED_VALIDATE: u64 = 0x03;
    pub const MAP_FIXED: u64 = 0x10;
    pub const MAP_ANONYMOUS: u64 = 0x20;
    pub const MAP_GROWSDOWN: u64 = 0x100;
    pub const MAP_DENYWRITE: u64 = 0x800;
    pub const MAP_EXECUTABLE: u64 = 0x1000;
    pub const MAP_LOCKED: u64 = 0x2000;
    pub const MAP_NORESERVE: u64 = 0x4000;
    pub const MAP_POPULATE: u64 = 0x8000;
    pub const MAP_NONBLOCK: u64 = 0x10000;
    pub const MAP_STACK: u64 = 0x20000;
    pub const MAP_HUGETLB: u64 = 0x40000;
    pub const MAP_FIXED_NOREPLACE: u64 = 0x100000;
    pub const MREMAP_MAYMOVE: u64 = 1;
    pub const MREMAP_FIXED: u64 = 2;
    pub const MREMAP_DONTUNMAP: u64 = 4;
    pub const MADV_DONTNEED: u64 = 4;
    pub const MADV_FREE: u64 = 8;
}

pub mod signal {
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

    /// The kernel's siginfo, reduced to what emu produces.
    #[derive(Clone, Copy, Debug, Default, PartialEq)]
    pub struct SigInfo {
        pub signo: i32,
        pub code: i32,
        /// si_addr for faults; (pid, uid) for kill; (pid, uid, status) for SIGCHLD.
        pub addr: u64,
        pub pid: i32,
        pub uid: u32,
        pub status: i32,
        /// A queued signal (sigqueue): `addr` holds si_value, after pid and uid.
        pub value: bool,
    }

    impl SigInfo {
        pub fn kernel(sig: i32) -> SigInfo {
            SigInfo { signo: sig, code: 0x80, ..Default::default() }
        }

        pub fn to_bytes(self) -> [u8; 128] {
            let mut b = [0u8; 128];
            b[0..4].copy_from_slice(&self.signo.to_le_bytes());
            b[8..12].copy_from_slice(&self.code.to_le_bytes());
            match self.signo {
                SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGTRAP if self.code > 0 => {
                    b[16..24].copy_from_slice(&self.addr.to_le_bytes())
                }
                _ => {
                    b[16..20].copy_from_slice(&self.pid.to_le_bytes());
                    b[20..24].copy_from_slice(&self.uid.to_le_bytes());
                    if self.value {
                        b[24..32].copy_from_slice(&self.addr.to_le_bytes());
                    } else {
                        b[24..28].copy_from_slice(&self.status.to_le_bytes());
                    }
                }
            }
            b
        }
    }

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
}
