//! File metadata, locks and copies: file times with strace's date comments, mknod's mode
//! and device, flock operations, `struct flock`, xattr flags, fallocate modes, splice
//! flags, offsets.

use super::{flags, named_flags};
use crate::abi::fs::Flock;
use crate::abi::meta::{
    Utimbuf, FALLOC_NAMES, F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLK, F_SETLKW, SPLICE_NAMES,
    UTIME_NOW, UTIME_OMIT,
};
use crate::abi::time::{Timespec, Timeval};

/// The date of `sec` seconds since the epoch, UTC, and a fraction (`frac` digits of
/// `sub`), as strace comments a time: `2001-09-09T01:46:40.123456789+0000`.
pub(crate) fn date(sec: i64, sub: i64, frac: usize) -> String {
    let (days, s) = (sec.div_euclid(86_400), sec.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + (m <= 2) as i64;
    let fraction = if sub != 0 { format!(".{sub:0frac$}") } else { String::new() };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{fraction}+0000", s / 3600, s / 60 % 60, s % 60)
}

/// One of utimensat's times: UTIME_NOW / UTIME_OMIT by name, a valid time with its date.
pub(crate) fn utime_timespec(t: &Timespec) -> String {
    match t.nsec {
        UTIME_NOW => "UTIME_NOW".into(),
        UTIME_OMIT => "UTIME_OMIT".into(),
        n if (0..1_000_000_000).contains(&n) => {
            format!("{} /* {} */", super::time::timespec(t), date(t.sec, n, 9))
        }
        _ => super::time::timespec(t),
    }
}

/// utimensat's `[atime, mtime]`.
pub(crate) fn utime_times(t: &[Timespec; 2]) -> String {
    format!("[{}, {}]", utime_timespec(&t[0]), utime_timespec(&t[1]))
}

/// utimes' and futimesat's `[atime, mtime]` in microseconds.
pub(crate) fn timevals(t: &[Timeval; 2]) -> String {
    let one = |t: &Timeval| {
        if (0..1_000_000).contains(&t.usec) {
            format!("{} /* {} */", super::time::timeval(t), date(t.sec, t.usec, 6))
        } else {
            super::time::timeval(t)
        }
    };
    format!("[{}, {}]", one(&t[0]), one(&t[1]))
}

/// utime's `{actime=..., modtime=...}`.
pub(crate) fn utimbuf(u: &Utimbuf) -> String {
    format!(
        "{{actime={} /* {} */, modtime={} /* {} */}}",
        u.actime,
        date(u.actime, 0, 0),
        u.modtime,
        date(u.modtime, 0, 0)
    )
}

/// mknod's mode: the file type by name and the permissions (`S_IFIFO|0644`, `0644`); a
/// type that is none in octal with the rest (`0170600`).
pub(crate) fn node_mode(v: u64) -> String {
    let m = v as u32;
    match m & crate::abi::mode::S_IFMT {
        0 => super::file::mode(v),
        0o170000 => format!("0{m:o}"),
        _ => super::file::file_type(m),
    }
}

/// mknod's device number, for a device (`makedev(0x1, 0x3)`; empty otherwise).
pub(crate) fn node_dev(mode: u64, dev: u64) -> String {
    use crate::abi::mode::{S_IFBLK, S_IFCHR, S_IFMT};
    match mode as u32 & S_IFMT {
        S_IFCHR | S_IFBLK => format!("makedev({:#x}, {:#x})", crate::abi::major(dev), crate::abi::minor(dev)),
        _ => String::new(),
    }
}

pub(crate) fn flock_op(v: u64) -> String {
    flags(
        v,
        &[
            (1, "LOCK_SH"),
            (2, "LOCK_EX"),
            (4, "LOCK_NB"),
            (8, "LOCK_UN"),
            (32, "LOCK_MAND"),
            (64, "LOCK_READ"),
            (128, "LOCK_WRITE"),
        ],
    )
}

/// `struct flock`: `{l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=100}`, with
/// `l_pid` when the call filled it in (F_GETLK).
pub(crate) fn flock(f: &Flock, with_pid: bool) -> String {
    let t = match f.l_type {
        0 => "F_RDLCK".into(),
        1 => "F_WRLCK".into(),
        2 => "F_UNLCK".into(),
        t => format!("{:#x} /* F_??? */", t),
    };
    let w = super::file::whence(f.whence as u64);
    let pid = if with_pid { format!(", l_pid={}", f.pid) } else { String::new() };
    format!("{{l_type={t}, l_whence={w}, l_start={}, l_len={}{pid}}}", f.start, f.len)
}

/// fadvise64's advice.
pub(crate) fn fadvice(v: u64) -> String {
    const NAMES: &[&str] = &[
        "POSIX_FADV_NORMAL",
        "POSIX_FADV_RANDOM",
        "POSIX_FADV_SEQUENTIAL",
        "POSIX_FADV_WILLNEED",
        "POSIX_FADV_DONTNEED",
        "POSIX_FADV_NOREUSE",
    ];
    super::nth(v, NAMES).map_or_else(|| format!("{v:#x} /* POSIX_FADV_??? */"), str::to_string)
}

pub(crate) fn xattr_flags(v: u64) -> String {
    named_flags(v, &[(1, "XATTR_CREATE"), (2, "XATTR_REPLACE")], "XATTR")
}

pub(crate) fn falloc_mode(v: u64) -> String {
    named_flags(v, FALLOC_NAMES, "FALLOC_FL")
}

pub(crate) fn sync_range_flags(v: u64) -> String {
    let names =
        [(1, "SYNC_FILE_RANGE_WAIT_BEFORE"), (2, "SYNC_FILE_RANGE_WRITE"), (4, "SYNC_FILE_RANGE_WAIT_AFTER")];
    named_flags(v, &names, "SYNC_FILE_RANGE")
}

pub(crate) fn splice_flags(v: u64) -> String {
    named_flags(v, SPLICE_NAMES, "SPLICE_F")
}

/// Whether fcntl command `cmd` is a record-lock command.
pub(crate) fn is_lock_cmd(cmd: u64) -> bool {
    matches!(cmd as u32, F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW)
}

/// Whether it asks for the lock that would conflict (the struct is its answer).
pub(crate) fn is_get_lock(cmd: u64) -> bool {
    matches!(cmd as u32, F_GETLK | F_OFD_GETLK)
}

/// fcntl's record-lock command and its struct: `F_SETLK, {l_type=...}`.
pub(crate) fn fcntl_lock(cmd: u64, lock: &str) -> String {
    let name = match cmd as u32 {
        F_GETLK => "F_GETLK",
        F_SETLK => "F_SETLK",
        F_SETLKW => "F_SETLKW",
        F_OFD_GETLK => "F_OFD_GETLK",
        F_OFD_SETLK => "F_OFD_SETLK",
        _ => "F_OFD_SETLKW",
    };
    format!("{name}, {lock}")
}

/// A `loff_t` an offset pointer holds: `[5]`.
pub(crate) fn offset(v: i64) -> String {
    format!("[{v}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected strings from strace 6.x on x86-64 Linux (TZ=UTC).
    #[test]
    fn times_carry_their_date() {
        let t = [Timespec::new(1_000_000_000, 123_456_789), Timespec::new(1_100_000_000, 987_654_321)];
        assert_eq!(
            utime_times(&t),
            "[{tv_sec=1000000000, tv_nsec=123456789} /* 2001-09-09T01:46:40.123456789+0000 */, \
             {tv_sec=1100000000, tv_nsec=987654321} /* 2004-11-09T11:33:20.987654321+0000 */]"
        );
        let t = [Timespec::new(0, UTIME_OMIT), Timespec::new(1_310_000_000, 0)];
        assert_eq!(
            utime_times(&t),
            "[UTIME_OMIT, {tv_sec=1310000000, tv_nsec=0} /* 2011-07-07T00:53:20+0000 */]"
        );
        let t = [Timespec::new(1, 1_000_000_000), Timespec::new(-5, 3)];
        assert_eq!(
            utime_times(&t),
            "[{tv_sec=1, tv_nsec=1000000000}, {tv_sec=-5, tv_nsec=3} /* 1969-12-31T23:59:55.000000003+0000 */]"
        );
        let tv = [Timeval::new(1_510_000_000, 1), Timeval::new(1, 1_000_000)];
        assert_eq!(
            timevals(&tv),
            "[{tv_sec=1510000000, tv_usec=1} /* 2017-11-06T20:26:40.000001+0000 */, {tv_sec=1, tv_usec=1000000}]"
        );
        assert_eq!(
            utimbuf(&Utimbuf { actime: 1_520_000_000, modtime: 1_520_000_007 }),
            "{actime=1520000000 /* 2018-03-02T14:13:20+0000 */, modtime=1520000007 /* 2018-03-02T14:13:27+0000 */}"
        );
    }

    #[test]
    fn nodes_locks_and_flags() {
        assert_eq!(node_mode(0o10644), "S_IFIFO|0644");
        assert_eq!(node_mode(0o644), "0644");
        assert_eq!(node_mode(0o170600), "0170600");
        assert_eq!(node_dev(0o20600, 0x103), "makedev(0x1, 0x3)");
        assert_eq!(node_dev(0o10600, 0), "");
        assert_eq!(flock_op(12), "LOCK_NB|LOCK_UN");
        assert_eq!(flock_op(64), "LOCK_READ");
        let f = Flock { l_type: 1, whence: 2, start: -5, len: 0, pid: 0 };
        assert_eq!(flock(&f, false), "{l_type=F_WRLCK, l_whence=SEEK_END, l_start=-5, l_len=0}");
        let f = Flock { l_type: 0, whence: 0, start: 100, len: 100, pid: 19316 };
        assert_eq!(
            flock(&f, true),
            "{l_type=F_RDLCK, l_whence=SEEK_SET, l_start=100, l_len=100, l_pid=19316}"
        );
        assert_eq!(
            flock(&Flock { l_type: 7, len: 1, ..f }, false),
            "{l_type=0x7 /* F_??? */, l_whence=SEEK_SET, l_start=100, l_len=1}"
        );
        assert_eq!(xattr_flags(3), "XATTR_CREATE|XATTR_REPLACE");
        assert_eq!(fadvice(2), "POSIX_FADV_SEQUENTIAL");
        assert_eq!(fadvice(99), "0x63 /* POSIX_FADV_??? */");
        assert_eq!(xattr_flags(4), "0x4 /* XATTR_??? */");
        assert_eq!(falloc_mode(0x11), "FALLOC_FL_KEEP_SIZE|FALLOC_FL_ZERO_RANGE");
        assert_eq!(falloc_mode(0x1000), "0x1000 /* FALLOC_FL_??? */");
        assert_eq!(falloc_mode(0), "0");
        assert_eq!(splice_flags(0x4c), "SPLICE_F_MORE|SPLICE_F_GIFT|0x40");
        assert_eq!(splice_flags(0x40), "0x40 /* SPLICE_F_??? */");
    }
}
