//! Files, descriptors and terminals: open and *at flags, modes, `struct stat`/`statx`,
//! getdents64 buffers, fcntl and ioctl commands, `struct termios`, iovec arrays.

use super::{flags, hex0, named_flags, nth, octal_flags, ptr};
use crate::abi::fs::{major, minor, Dirent64, Stat, Statx};
use crate::abi::io::Termios;

const OPEN_FLAGS: &[(u64, &str)] = &[
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    // O_SYNC includes O_DSYNC's bit: named first so it takes both.
    (0o4010000, "O_SYNC"),
    (0o10000, "O_DSYNC"),
    (0o20000, "O_ASYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    // O_TMPFILE includes O_DIRECTORY's bit.
    (0o20200000, "O_TMPFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"),
];

/// open's flags: the access mode, then the other bits (`O_RDONLY|O_CLOEXEC`).
pub(crate) fn open_flags(v: u64) -> String {
    let acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][(v & 3) as usize];
    if v & !3 == 0 {
        acc.into()
    } else {
        format!("{acc}|{}", flags(v & !3, OPEN_FLAGS))
    }
}

/// Whether open's flags create a file, so that its mode argument means something.
pub(crate) fn open_creates(flags: u64) -> bool {
    const O_CREAT: u64 = 0o100;
    const O_TMPFILE: u64 = 0o20000000;
    flags & (O_CREAT | O_TMPFILE) != 0
}

/// The descriptor flags of dup3, pipe2, eventfd2, epoll_create1...
pub(crate) fn fd_flags(v: u64) -> String {
    flags(v, &[(0o4000, "O_NONBLOCK"), (0o40000, "O_DIRECT"), (0o2000000, "O_CLOEXEC")])
}

const AT_FLAGS: &[(u64, &str)] = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
    (0x2000, "AT_STATX_FORCE_SYNC"),
    (0x4000, "AT_STATX_DONT_SYNC"),
    (0x8000, "AT_RECURSIVE"),
];

/// The flags of the *at family.
pub(crate) fn at_flags(v: u64) -> String {
    super::named_flags(v, AT_FLAGS, "AT")
}

/// statx's flags: the sync type is named even when it is 0 (`AT_STATX_SYNC_AS_STAT`).
pub(crate) fn statx_flags(v: u64) -> String {
    const SYNC: u64 = 0x6000;
    let sync = match v & SYNC {
        0 => "AT_STATX_SYNC_AS_STAT",
        0x2000 => "AT_STATX_FORCE_SYNC",
        0x4000 => "AT_STATX_DONT_SYNC",
        _ => "AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC",
    };
    match v & !SYNC {
        0 => sync.into(),
        rest => format!("{sync}|{}", at_flags(rest)),
    }
}

/// The fields statx is asked for or says it filled.
pub(crate) fn statx_mask(v: u64) -> String {
    flags(
        v,
        &[
            (0x7ff, "STATX_BASIC_STATS"),
            (1, "STATX_TYPE"),
            (2, "STATX_MODE"),
            (4, "STATX_NLINK"),
            (8, "STATX_UID"),
            (0x10, "STATX_GID"),
            (0x20, "STATX_ATIME"),
            (0x40, "STATX_MTIME"),
            (0x80, "STATX_CTIME"),
            (0x100, "STATX_INO"),
            (0x200, "STATX_SIZE"),
            (0x400, "STATX_BLOCKS"),
            (0x800, "STATX_BTIME"),
            (0x1000, "STATX_MNT_ID"),
            (0x2000, "STATX_DIOALIGN"),
        ],
    )
}

/// access's mode: `F_OK` or `R_OK|W_OK|X_OK`.
pub(crate) fn access(v: u64) -> String {
    if v == 0 {
        "F_OK".into()
    } else {
        flags(v, &[(4, "R_OK"), (2, "W_OK"), (1, "X_OK")])
    }
}

/// lseek's whence.
pub(crate) fn whence(v: u64) -> String {
    nth(v, &["SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"])
        .map_or_else(|| v.to_string(), str::to_string)
}

/// Permission bits in octal (`0644`).
pub(crate) fn mode(v: u64) -> String {
    format!("0{:o}", v & 0o7777)
}

/// A file's type and permissions (`S_IFREG|0644`).
pub(crate) fn file_type(m: u32) -> String {
    let t = match m & 0o170000 {
        0o140000 => "S_IFSOCK",
        0o120000 => "S_IFLNK",
        0o100000 => "S_IFREG",
        0o060000 => "S_IFBLK",
        0o040000 => "S_IFDIR",
        0o020000 => "S_IFCHR",
        0o010000 => "S_IFIFO",
        _ => return mode(m as u64),
    };
    format!("{t}|{}", mode(m as u64))
}

/// A `struct stat`, as strace abbreviates it: the mode, then the device of a device file
/// or the size of any other.
pub(crate) fn stat(s: &Stat) -> String {
    if matches!(s.mode & 0o170000, 0o020000 | 0o060000) {
        let (ma, mi) = (major(s.rdev), minor(s.rdev));
        format!("{{st_mode={}, st_rdev=makedev({ma:#x}, {mi:#x}), ...}}", file_type(s.mode))
    } else {
        format!("{{st_mode={}, st_size={}, ...}}", file_type(s.mode), s.size)
    }
}

/// A `struct statx`: what was filled, the attributes, mode and size.
pub(crate) fn statx(s: &Statx) -> String {
    format!(
        "{{stx_mask={}, stx_attributes={}, stx_mode={}, stx_size={}, ...}}",
        statx_mask(s.mask as u64),
        hex0(s.attributes),
        file_type(s.mode as u32),
        s.size
    )
}

/// A getdents64 buffer at `addr` holding `b`: the number of entries, as strace shows it
/// without -v (`0x5581a8 /* 5 entries */`).
pub(crate) fn dirents(addr: u64, b: &[u8]) -> String {
    let mut n = 0;
    let mut rest = b;
    while let Some((_, len)) = Dirent64::parse(rest) {
        n += 1;
        rest = &rest[len..];
    }
    format!("{addr:#x} /* {n} entries */")
}

/// readv/writev's iovec array: each buffer already formatted, with its length; `more`
/// when the array had entries beyond those shown.
pub(crate) fn iovec(entries: &[(String, u64)], more: bool) -> String {
    let mut parts: Vec<String> =
        entries.iter().map(|(base, len)| format!("{{iov_base={base}, iov_len={len}}}")).collect();
    if more {
        parts.push("...".into());
    }
    format!("[{}]", parts.join(", "))
}

pub(crate) const F_GETFD: u64 = 1;
pub(crate) const F_GETFL: u64 = 3;

/// fcntl's command and the argument it takes (`F_SETFD, FD_CLOEXEC`).
pub(crate) fn fcntl(cmd: u64, arg: u64) -> String {
    let name = match cmd {
        0 => "F_DUPFD",
        1 => "F_GETFD",
        2 => "F_SETFD",
        3 => "F_GETFL",
        4 => "F_SETFL",
        5 => "F_GETLK",
        6 => "F_SETLK",
        7 => "F_SETLKW",
        8 => "F_SETOWN",
        9 => "F_GETOWN",
        1030 => "F_DUPFD_CLOEXEC",
        1031 => "F_SETPIPE_SZ",
        1032 => "F_GETPIPE_SZ",
        1033 => "F_ADD_SEALS",
        1034 => "F_GET_SEALS",
        _ => return format!("{cmd:#x}, {arg:#x}"),
    };
    match cmd {
        1 | 3 | 9 | 1032 | 1034 => name.into(),
        2 => format!("{name}, {}", if arg & 1 != 0 { "FD_CLOEXEC" } else { "0" }),
        4 => format!("{name}, {}", open_flags(arg)),
        0 | 1030 | 8 | 1031 => format!("{name}, {}", arg as i32),
        _ => format!("{name}, {}", ptr(arg)),
    }
}

/// fcntl's result `v` for command `cmd`: the flags decoded after the number for
/// F_GETFL and F_GETFD, plain otherwise.
pub(crate) fn fcntl_result(cmd: u64, v: u64) -> String {
    match cmd {
        F_GETFL => format!("{v:#x} (flags {})", open_flags(v)),
        F_GETFD if v != 0 => format!("{v:#x} (flags FD_CLOEXEC)"),
        _ => (v as i64).to_string(),
    }
}

/// An ioctl request by name.
pub(crate) fn ioctl_request(v: u64) -> String {
    crate::abi::tty::NAMES
        .iter()
        .find(|&&(r, _)| r as u64 == v)
        .map_or_else(|| hex0(v), |(_, n)| n.to_string())
}

/// getrandom's flags.
pub(crate) fn grnd_flags(v: u64) -> String {
    flags(v, &[(1, "GRND_NONBLOCK"), (2, "GRND_RANDOM"), (4, "GRND_INSECURE")])
}

/// preadv2/pwritev2's flags.
pub(crate) fn rwf_flags(v: u64) -> String {
    named_flags(
        v,
        &[
            (0x1, "RWF_HIPRI"),
            (0x2, "RWF_DSYNC"),
            (0x4, "RWF_SYNC"),
            (0x8, "RWF_NOWAIT"),
            (0x10, "RWF_APPEND"),
            (0x20, "RWF_NOAPPEND"),
            (0x40, "RWF_ATOMIC"),
            (0x80, "RWF_DONTCACHE"),
        ],
        "RWF",
    )
}

const IFLAGS: &[(u32, &str)] = &[
    (0o1, "IGNBRK"),
    (0o2, "BRKINT"),
    (0o4, "IGNPAR"),
    (0o10, "PARMRK"),
    (0o20, "INPCK"),
    (0o40, "ISTRIP"),
    (0o100, "INLCR"),
    (0o200, "IGNCR"),
    (0o400, "ICRNL"),
    (0o1000, "IUCLC"),
    (0o2000, "IXON"),
    (0o4000, "IXANY"),
    (0o10000, "IXOFF"),
    (0o20000, "IMAXBEL"),
    (0o40000, "IUTF8"),
];
const OFLAGS: &[(u32, &str)] = &[
    (0o1, "OPOST"),
    (0o2, "OLCUC"),
    (0o4, "ONLCR"),
    (0o10, "OCRNL"),
    (0o20, "ONOCR"),
    (0o40, "ONLRET"),
    (0o100, "OFILL"),
    (0o200, "OFDEL"),
];
const CFLAGS: &[(u32, &str)] = &[
    (0o100, "CSTOPB"),
    (0o200, "CREAD"),
    (0o400, "PARENB"),
    (0o1000, "PARODD"),
    (0o2000, "HUPCL"),
    (0o4000, "CLOCAL"),
    (0o10000000000, "CMSPAR"),
    (0o20000000000, "CRTSCTS"),
];
const LFLAGS: &[(u32, &str)] = &[
    (0o1, "ISIG"),
    (0o2, "ICANON"),
    (0o4, "XCASE"),
    (0o10, "ECHO"),
    (0o20, "ECHOE"),
    (0o40, "ECHOK"),
    (0o100, "ECHONL"),
    (0o200, "NOFLSH"),
    (0o400, "TOSTOP"),
    // strace lists IEXTEN before ECHOCTL (its table's order, not the bits').
    (0o100000, "IEXTEN"),
    (0o1000, "ECHOCTL"),
    (0o2000, "ECHOPRT"),
    (0o4000, "ECHOKE"),
    (0o10000, "FLUSHO"),
    (0o40000, "PENDIN"),
    (0o200000, "EXTPROC"),
];

fn baud(b: u32) -> String {
    const LOW: [&str; 16] = [
        "B0", "B50", "B75", "B110", "B134", "B150", "B200", "B300", "B600", "B1200", "B1800", "B2400",
        "B4800", "B9600", "B19200", "B38400",
    ];
    const HIGH: [&str; 15] = [
        "BOTHER", "B57600", "B115200", "B230400", "B460800", "B500000", "B576000", "B921600", "B1000000",
        "B1152000", "B1500000", "B2000000", "B2500000", "B3000000", "B3500000",
    ];
    match b {
        0..=0o17 => LOW[b as usize].into(),
        0o10000..=0o10016 => HIGH[(b - 0o10000) as usize].into(),
        _ => format!("{b:#o}"),
    }
}

/// How an ioctl's third argument is shown, by request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IoctlArg {
    /// A `struct termios` the call reads (TCSETS*) or fills (TCGETS: `out`).
    Termios { out: bool },
    /// A `struct winsize`.
    Winsize { out: bool },
    /// A pointer to an int: `[n]`.
    IntPtr { out: bool },
    /// Open flags (TIOCGPTPEER).
    OpenFlags,
    /// TCFLSH's queue.
    Queue,
    /// Shown as a number or pointer.
    Plain,
}

/// What an ioctl request's argument is.
pub(crate) fn ioctl_arg(req: u64) -> IoctlArg {
    use crate::abi::tty::*;
    match req as u32 {
        TCGETS => IoctlArg::Termios { out: true },
        TCSETS | TCSETSW | TCSETSF => IoctlArg::Termios { out: false },
        TIOCGWINSZ => IoctlArg::Winsize { out: true },
        TIOCSWINSZ => IoctlArg::Winsize { out: false },
        TIOCGPGRP | TIOCGSID | TIOCOUTQ | FIONREAD | TIOCGPTN | TIOCGPTLCK => IoctlArg::IntPtr { out: true },
        TIOCSPGRP | FIONBIO | TIOCSPTLCK => IoctlArg::IntPtr { out: false },
        TIOCGPTPEER => IoctlArg::OpenFlags,
        TCFLSH => IoctlArg::Queue,
        _ => IoctlArg::Plain,
    }
}

/// TCFLSH's queue selector.
pub(crate) fn flush_queue(v: u64) -> String {
    match v {
        0 => "TCIFLUSH".into(),
        1 => "TCOFLUSH".into(),
        2 => "TCIOFLUSH".into(),
        v => v.to_string(),
    }
}

/// A `struct winsize`, as strace shows it.
pub(crate) fn winsize(w: &crate::abi::io::Winsize) -> String {
    format!("{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}", w.row, w.col, w.xpixel, w.ypixel)
}

/// A kernel `struct termios` (TCGETS/TCSETS*): the four flag words by name, the rest
/// elided as strace does without -v.
pub(crate) fn termios(t: &Termios) -> String {
    let (i, o, c, l) = (t.iflag, t.oflag, t.cflag, t.lflag);
    let mut iv = Vec::new();
    octal_flags(i, IFLAGS, &mut iv);
    // Output delays first (NL0|CR0|TAB0|BS0|VT0|FF0), then the flags.
    let mut ov = vec![
        format!("NL{}", (o >> 8) & 1),
        format!("CR{}", (o >> 9) & 3),
        format!("TAB{}", (o >> 11) & 3),
        format!("BS{}", (o >> 13) & 1),
        format!("VT{}", (o >> 14) & 1),
        format!("FF{}", (o >> 15) & 1),
    ];
    octal_flags(o & 0o377, OFLAGS, &mut ov);
    let mut cv = vec![baud(c & 0o10017), format!("CS{}", 5 + ((c >> 4) & 3))];
    octal_flags(c & !0o10017 & !0o60 & !(0o10017 << 16), CFLAGS, &mut cv);
    let ibaud = (c >> 16) & 0o10017;
    if ibaud != 0 {
        cv.push(format!("{}<<IBSHIFT", baud(ibaud)));
    }
    let mut lv = Vec::new();
    octal_flags(l, LFLAGS, &mut lv);
    let join = |v: Vec<String>| if v.is_empty() { "0".to_string() } else { v.join("|") };
    format!("{{c_iflag={}, c_oflag={}, c_cflag={}, c_lflag={}, ...}}", join(iv), join(ov), join(cv), join(lv))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_as_strace_shows_them() {
        assert_eq!(open_flags(0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(open_flags(0o4010002), "O_RDWR|O_SYNC");
        assert_eq!(open_flags(0o20200002), "O_RDWR|O_TMPFILE");
        assert_eq!(open_flags(3), "O_ACCMODE");
        assert_eq!(open_flags(0o11012001), "O_WRONLY|O_APPEND|O_DSYNC|O_NOATIME|O_PATH");
        assert_eq!(open_flags(0x4000_0000), "O_RDONLY|0x40000000");
        assert_eq!(open_flags(0o2000000), "O_RDONLY|O_CLOEXEC");
        assert!(open_creates(0o100) && open_creates(0o20200002) && !open_creates(0o2000000));
        assert_eq!(fd_flags(0o2000000), "O_CLOEXEC");
        assert_eq!(fd_flags(0o2004000), "O_NONBLOCK|O_CLOEXEC");
    }

    #[test]
    fn at_and_statx_flags() {
        assert_eq!(at_flags(0x200), "AT_REMOVEDIR");
        assert_eq!(at_flags(0x1100), "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
        assert_eq!(at_flags(0), "0");
        assert_eq!(at_flags(1), "0x1 /* AT_??? */");
        assert_eq!(rwf_flags(0), "0");
        assert_eq!(rwf_flags(0x11), "RWF_HIPRI|RWF_APPEND");
        assert_eq!(rwf_flags(0x10000), "0x10000 /* RWF_??? */");
        assert_eq!(statx_flags(0x4100), "AT_STATX_DONT_SYNC|AT_SYMLINK_NOFOLLOW");
        assert_eq!(statx_flags(0), "AT_STATX_SYNC_AS_STAT");
        assert_eq!(statx_mask(0xa01), "STATX_TYPE|STATX_SIZE|STATX_BTIME");
        assert_eq!(statx_mask(0x7ff), "STATX_BASIC_STATS");
        assert_eq!(statx_mask(0x17ff), "STATX_BASIC_STATS|STATX_MNT_ID");
        assert_eq!(
            statx_mask(0x1f3f),
            "STATX_TYPE|STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_ATIME|STATX_INO|STATX_SIZE|\
             STATX_BLOCKS|STATX_BTIME|STATX_MNT_ID"
        );
    }

    #[test]
    fn modes_access_and_whence() {
        assert_eq!(mode(0o644), "0644");
        assert_eq!(mode(0o1777), "01777");
        assert_eq!(access(0), "F_OK");
        assert_eq!(access(7), "R_OK|W_OK|X_OK");
        assert_eq!(whence(2), "SEEK_END");
        assert_eq!(whence(4), "SEEK_HOLE");
        assert_eq!(grnd_flags(5), "GRND_NONBLOCK|GRND_INSECURE");
    }

    fn stat_of(mode: u32, rdev: u64, size: i64) -> Stat {
        Stat { mode, rdev, size, ..Default::default() }
    }

    #[test]
    fn stat_shows_the_device_or_the_size() {
        // newfstatat of /dev/null (1, 3), of an empty file, fstat of a pipe.
        assert_eq!(
            stat(&stat_of(0o20666, 0x103, 0)),
            "{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}"
        );
        assert_eq!(stat(&stat_of(0o100644, 0, 0)), "{st_mode=S_IFREG|0644, st_size=0, ...}");
        assert_eq!(stat(&stat_of(0o10600, 0, 0)), "{st_mode=S_IFIFO|0600, st_size=0, ...}");
        assert_eq!(stat(&stat_of(0o40755, 0, 4096)), "{st_mode=S_IFDIR|0755, st_size=4096, ...}");
    }

    #[test]
    fn statx_shows_mask_attributes_mode_and_size() {
        let s = Statx { mask: 0x17ff, mode: 0o100644, ..Default::default() };
        assert_eq!(
            statx(&s),
            "{stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=0, ...}"
        );
    }

    #[test]
    fn dirents_are_counted() {
        // getdents64 of an empty directory: "." and "..".
        let mut b = Vec::new();
        for name in [&b"."[..], b".."] {
            Dirent64 { name: name.to_vec(), ..Default::default() }.append_to(&mut b, false);
        }
        assert_eq!(dirents(0x7fff5556b1e0, &b), "0x7fff5556b1e0 /* 2 entries */");
        assert_eq!(dirents(0x1000, &[]), "0x1000 /* 0 entries */");
    }

    #[test]
    fn fcntl_commands_and_results() {
        assert_eq!(fcntl(F_GETFD, 0), "F_GETFD");
        assert_eq!(fcntl(2, 1), "F_SETFD, FD_CLOEXEC");
        assert_eq!(fcntl(F_GETFL, 0), "F_GETFL");
        assert_eq!(fcntl(4, 0o4000), "F_SETFL, O_RDONLY|O_NONBLOCK");
        assert_eq!(fcntl(1030, 10), "F_DUPFD_CLOEXEC, 10");
        assert_eq!(fcntl(1032, 0), "F_GETPIPE_SZ");
        assert_eq!(fcntl(1031, 8192), "F_SETPIPE_SZ, 8192");
        assert_eq!(fcntl_result(F_GETFD, 0), "0");
        assert_eq!(fcntl_result(F_GETFD, 1), "0x1 (flags FD_CLOEXEC)");
        assert_eq!(fcntl_result(F_GETFL, 0x8001), "0x8001 (flags O_WRONLY|O_LARGEFILE)");
        assert_eq!(fcntl_result(1032, 65536), "65536");
    }

    #[test]
    fn ioctl_requests_by_name() {
        assert_eq!(ioctl_request(0x5401), "TCGETS");
        assert_eq!(ioctl_request(0x8004_5430), "TIOCGPTN");
        assert_eq!(ioctl_request(0x541b), "FIONREAD");
        assert_eq!(ioctl_request(0x5421), "FIONBIO");
        assert_eq!(ioctl_request(0x5451), "FIOCLEX");
        assert_eq!(ioctl_request(0x5413), "TIOCGWINSZ");
    }

    #[test]
    fn ioctl_arguments_by_request() {
        assert_eq!(ioctl_arg(0x5401), IoctlArg::Termios { out: true });
        assert_eq!(ioctl_arg(0x5414), IoctlArg::Winsize { out: false });
        assert_eq!(ioctl_arg(0x4004_5431), IoctlArg::IntPtr { out: false });
        assert_eq!(ioctl_arg(0x5441), IoctlArg::OpenFlags);
        let w = crate::abi::io::Winsize { row: 24, col: 80, xpixel: 0, ypixel: 0 };
        assert_eq!(winsize(&w), "{ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}");
        assert_eq!(flush_queue(0), "TCIFLUSH");
    }

    #[test]
    fn iovecs_list_each_buffer() {
        // writev(6, [{"hello", 5}, {"world!", 6}], 2)
        let e = [(r#""hello""#.to_string(), 5), (r#""world!""#.to_string(), 6)];
        assert_eq!(iovec(&e, false), r#"[{iov_base="hello", iov_len=5}, {iov_base="world!", iov_len=6}]"#);
        // readv of 11 bytes into buffers of 3 and 20: the second shows the 8 it got.
        let e = [(r#""hel""#.to_string(), 3), (r#""loworld!""#.to_string(), 20)];
        assert_eq!(iovec(&e, false), r#"[{iov_base="hel", iov_len=3}, {iov_base="loworld!", iov_len=20}]"#);
    }

    #[test]
    fn termios_flags_by_name() {
        // A fresh pty: c_iflag=ICRNL|IXON, c_oflag=OPOST|ONLCR, c_cflag=B38400|CS8|CREAD,
        // c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE.
        let t = Termios { iflag: 0o2400, oflag: 0o5, cflag: 0o277, lflag: 0o105073, ..Default::default() };
        assert_eq!(
            termios(&t),
            "{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, \
             c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}"
        );
    }
}
