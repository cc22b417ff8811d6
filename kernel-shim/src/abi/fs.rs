//! File-system structs: `stat` (emu's portable file metadata is the guest's `struct stat`),
//! `statx`, `statfs`, `linux_dirent64` and `flock`, and the `dev_t` encoding.

use super::{get, guest_struct, put, GuestStruct};

/// File metadata as the guest's x86-64 `struct stat` holds it; the host fills it, and
/// `statx` is derived from it. Times are (seconds, nanoseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
    /// Name, offset and size of each field of x86-64 `struct stat` (144 bytes); `__pad0`
    /// at 36 and `__unused[3]` at 120 are zero.
    pub const FIELDS: &'static [(&'static str, usize, usize)] = &[
        ("dev", 0, 8),
        ("ino", 8, 8),
        ("nlink", 16, 8),
        ("mode", 24, 4),
        ("uid", 28, 4),
        ("gid", 32, 4),
        ("rdev", 40, 8),
        ("size", 48, 8),
        ("blksize", 56, 8),
        ("blocks", 64, 8),
        ("atime", 72, 8),
        ("atime_nsec", 80, 8),
        ("mtime", 88, 8),
        ("mtime_nsec", 96, 8),
        ("ctime", 104, 8),
        ("ctime_nsec", 112, 8),
    ];
}

/// Written by hand rather than by `guest_struct!` because the three times are split into
/// two fields each (`st_atime`, `st_atime_nsec`), as the kernel's struct has them.
impl GuestStruct for Stat {
    const SIZE: usize = 144;

    fn read(b: &[u8]) -> Self {
        let time = |off| (get(b, off), get(b, off + 8));
        Stat {
            dev: get(b, 0),
            ino: get(b, 8),
            nlink: get(b, 16),
            mode: get(b, 24),
            uid: get(b, 28),
            gid: get(b, 32),
            rdev: get(b, 40),
            size: get(b, 48),
            blksize: get(b, 56),
            blocks: get(b, 64),
            atime: time(72),
            mtime: time(88),
            ctime: time(104),
        }
    }

    fn write(&self, out: &mut [u8]) {
        put(out, 0, &self.dev);
        put(out, 8, &self.ino);
        put(out, 16, &self.nlink);
        put(out, 24, &self.mode);
        put(out, 28, &self.uid);
        put(out, 32, &self.gid);
        put(out, 40, &self.rdev);
        put(out, 48, &self.size);
        put(out, 56, &self.blksize);
        put(out, 64, &self.blocks);
        for (off, t) in [(72, self.atime), (88, self.mtime), (104, self.ctime)] {
            put(out, off, &t.0);
            put(out, off + 8, &t.1);
        }
    }
}

guest_struct! {
    /// `struct statx_timestamp`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct StatxTimestamp [16] {
        sec: i64 = 0,
        nsec: u32 = 8,
    }
}

guest_struct! {
    /// `struct statx` (256 bytes; the tail is spare).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Statx [256] {
        mask: u32 = 0,
        blksize: u32 = 4,
        attributes: u64 = 8,
        nlink: u32 = 16,
        uid: u32 = 20,
        gid: u32 = 24,
        mode: u16 = 28,
        ino: u64 = 32,
        size: u64 = 40,
        blocks: u64 = 48,
        attributes_mask: u64 = 56,
        atime: StatxTimestamp = 64,
        btime: StatxTimestamp = 80,
        ctime: StatxTimestamp = 96,
        mtime: StatxTimestamp = 112,
        rdev_major: u32 = 128,
        rdev_minor: u32 = 132,
        dev_major: u32 = 136,
        dev_minor: u32 = 140,
        mnt_id: u64 = 144,
        dio_mem_align: u32 = 152,
        dio_offset_align: u32 = 156,
    }
}

/// STATX_TYPE | MODE | NLINK | UID | GID | ATIME | MTIME | CTIME | INO | SIZE | BLOCKS.
pub const STATX_BASIC_STATS: u32 = 0x7ff;

impl From<&Stat> for Statx {
    /// The basic fields, which is all `Stat` knows (the mask says so).
    fn from(s: &Stat) -> Statx {
        let ts = |t: (i64, i64)| StatxTimestamp { sec: t.0, nsec: t.1 as u32 };
        Statx {
            mask: STATX_BASIC_STATS,
            blksize: s.blksize as u32,
            nlink: s.nlink as u32,
            uid: s.uid,
            gid: s.gid,
            mode: s.mode as u16,
            ino: s.ino,
            size: s.size as u64,
            blocks: s.blocks as u64,
            atime: ts(s.atime),
            // Birth time is not tracked portably; ctime stands in (the mask omits it).
            btime: ts(s.ctime),
            ctime: ts(s.ctime),
            mtime: ts(s.mtime),
            rdev_major: major(s.rdev),
            rdev_minor: minor(s.rdev),
            dev_major: major(s.dev),
            dev_minor: minor(s.dev),
            ..Default::default()
        }
    }
}

guest_struct! {
    /// x86-64 `struct statfs` (statfs, fstatfs; 120 bytes, `f_spare` at the end).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Statfs [120] {
        fs_type: i64 = 0,
        bsize: i64 = 8,
        blocks: u64 = 16,
        bfree: u64 = 24,
        bavail: u64 = 32,
        files: u64 = 40,
        ffree: u64 = 48,
        fsid: [i32; 2] = 56,
        namelen: i64 = 64,
        frsize: i64 = 72,
        flags: i64 = 80,
    }
}

guest_struct! {
    /// `struct flock` (fcntl F_GETLK, F_SETLK, F_SETLKW).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Flock [32] {
        l_type: i16 = 0,
        whence: i16 = 2,
        start: i64 = 8,
        len: i64 = 16,
        pid: i32 = 24,
    }
}

pub const F_RDLCK: i16 = 0;
pub const F_WRLCK: i16 = 1;
pub const F_UNLCK: i16 = 2;

/// One `struct linux_dirent64` record (getdents64): a fixed header and the name, NUL
/// terminated and padded so the next record is 8-byte aligned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dirent64 {
    pub ino: u64,
    /// `d_off`: where the next record starts, as a position the directory understands.
    pub off: i64,
    pub d_type: u8,
    pub name: Vec<u8>,
}

impl Dirent64 {
    /// Offsets of `d_ino`, `d_off`, `d_reclen`, `d_type` and `d_name`.
    pub const FIELDS: &'static [(&'static str, usize, usize)] =
        &[("ino", 0, 8), ("off", 8, 8), ("reclen", 16, 2), ("d_type", 18, 1), ("name", 19, 0)];
    /// Bytes before `d_name`.
    pub const HEADER: usize = 19;

    /// The record's length (`d_reclen`), the same in getdents' older layout.
    pub fn reclen(&self) -> usize {
        (Self::HEADER + self.name.len() + 1 + 7) & !7
    }

    /// Appends the record to `out`; `old`: as getdents' older `struct linux_dirent`, whose
    /// name starts where `d_type` would, which moves to the record's last byte.
    pub fn append_to(&self, out: &mut Vec<u8>, old: bool) {
        let start = out.len();
        let reclen = self.reclen();
        out.resize(start + reclen, 0);
        let b = &mut out[start..];
        put(b, 0, &self.ino);
        put(b, 8, &self.off);
        put(b, 16, &(reclen as u16));
        let (name_at, type_at) = if old { (18, reclen - 1) } else { (Self::HEADER, 18) };
        b[type_at] = self.d_type;
        b[name_at..name_at + self.name.len()].copy_from_slice(&self.name);
    }

    /// The record at the start of `b` and its length, if `b` holds a whole one.
    pub fn parse(b: &[u8]) -> Option<(Dirent64, usize)> {
        if b.len() < Self::HEADER {
            return None;
        }
        let reclen = get::<u16>(b, 16) as usize;
        if reclen < Self::HEADER || reclen > b.len() {
            return None;
        }
        let name = &b[Self::HEADER..reclen];
        let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
        let d = Dirent64 { ino: get(b, 0), off: get(b, 8), d_type: b[18], name: name[..end].to_vec() };
        Some((d, reclen))
    }
}

/// The major number of a Linux `dev_t` (glibc's `gnu_dev_major` encoding).
pub fn major(dev: u64) -> u32 {
    (((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)) as u32
}

/// The minor number of a Linux `dev_t`.
pub fn minor(dev: u64) -> u32 {
    (((dev >> 12) & 0xffff_ff00) | (dev & 0xff)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::{check_disjoint, expect};

    #[test]
    fn layouts_match_linux() {
        assert_eq!(Stat::SIZE, 144);
        check_disjoint(Stat::FIELDS);
        expect(
            Statx::FIELDS,
            Statx::SIZE,
            256,
            &[
                ("mask", 0),
                ("blksize", 4),
                ("attributes", 8),
                ("nlink", 16),
                ("mode", 28),
                ("ino", 32),
                ("size", 40),
                ("blocks", 48),
                ("attributes_mask", 56),
                ("atime", 64),
                ("btime", 80),
                ("ctime", 96),
                ("mtime", 112),
                ("rdev_major", 128),
                ("dev_minor", 140),
                ("mnt_id", 144),
                ("dio_offset_align", 156),
            ],
        );
        expect(StatxTimestamp::FIELDS, StatxTimestamp::SIZE, 16, &[("sec", 0), ("nsec", 8)]);
        expect(
            Statfs::FIELDS,
            Statfs::SIZE,
            120,
            &[("bsize", 8), ("ffree", 48), ("fsid", 56), ("namelen", 64), ("frsize", 72), ("flags", 80)],
        );
        expect(Flock::FIELDS, Flock::SIZE, 32, &[("whence", 2), ("start", 8), ("len", 16), ("pid", 24)]);
        check_disjoint(Dirent64::FIELDS);
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn layouts_match_the_host_libc() {
        use crate::abi::layout::offset;
        use std::mem::{offset_of, size_of};
        assert_eq!(size_of::<libc::stat>(), Stat::SIZE);
        let s = Stat::FIELDS;
        assert_eq!(offset_of!(libc::stat, st_ino), offset(s, "ino"));
        assert_eq!(offset_of!(libc::stat, st_nlink), offset(s, "nlink"));
        assert_eq!(offset_of!(libc::stat, st_mode), offset(s, "mode"));
        assert_eq!(offset_of!(libc::stat, st_uid), offset(s, "uid"));
        assert_eq!(offset_of!(libc::stat, st_gid), offset(s, "gid"));
        assert_eq!(offset_of!(libc::stat, st_rdev), offset(s, "rdev"));
        assert_eq!(offset_of!(libc::stat, st_size), offset(s, "size"));
        assert_eq!(offset_of!(libc::stat, st_blksize), offset(s, "blksize"));
        assert_eq!(offset_of!(libc::stat, st_blocks), offset(s, "blocks"));
        assert_eq!(offset_of!(libc::stat, st_atime), offset(s, "atime"));
        assert_eq!(offset_of!(libc::stat, st_atime_nsec), offset(s, "atime_nsec"));
        assert_eq!(offset_of!(libc::stat, st_mtime), offset(s, "mtime"));
        assert_eq!(offset_of!(libc::stat, st_mtime_nsec), offset(s, "mtime_nsec"));
        assert_eq!(offset_of!(libc::stat, st_ctime), offset(s, "ctime"));
        assert_eq!(offset_of!(libc::stat, st_ctime_nsec), offset(s, "ctime_nsec"));

        assert_eq!(size_of::<libc::statx>(), Statx::SIZE);
        let x = Statx::FIELDS;
        assert_eq!(offset_of!(libc::statx, stx_blksize), offset(x, "blksize"));
        assert_eq!(offset_of!(libc::statx, stx_nlink), offset(x, "nlink"));
        assert_eq!(offset_of!(libc::statx, stx_mode), offset(x, "mode"));
        assert_eq!(offset_of!(libc::statx, stx_ino), offset(x, "ino"));
        assert_eq!(offset_of!(libc::statx, stx_attributes_mask), offset(x, "attributes_mask"));
        assert_eq!(offset_of!(libc::statx, stx_atime), offset(x, "atime"));
        assert_eq!(offset_of!(libc::statx, stx_btime), offset(x, "btime"));
        assert_eq!(offset_of!(libc::statx, stx_ctime), offset(x, "ctime"));
        assert_eq!(offset_of!(libc::statx, stx_mtime), offset(x, "mtime"));
        assert_eq!(offset_of!(libc::statx, stx_rdev_major), offset(x, "rdev_major"));
        assert_eq!(offset_of!(libc::statx, stx_dev_minor), offset(x, "dev_minor"));
        assert_eq!(offset_of!(libc::statx, stx_mnt_id), offset(x, "mnt_id"));
        assert_eq!(size_of::<libc::statx_timestamp>(), StatxTimestamp::SIZE);
        assert_eq!(offset_of!(libc::statx_timestamp, tv_nsec), offset(StatxTimestamp::FIELDS, "nsec"));

        assert_eq!(size_of::<libc::statfs>(), Statfs::SIZE);
        let f = Statfs::FIELDS;
        assert_eq!(offset_of!(libc::statfs, f_bsize), offset(f, "bsize"));
        assert_eq!(offset_of!(libc::statfs, f_blocks), offset(f, "blocks"));
        assert_eq!(offset_of!(libc::statfs, f_bavail), offset(f, "bavail"));
        assert_eq!(offset_of!(libc::statfs, f_ffree), offset(f, "ffree"));
        assert_eq!(offset_of!(libc::statfs, f_fsid), offset(f, "fsid"));
        assert_eq!(offset_of!(libc::statfs, f_namelen), offset(f, "namelen"));
        assert_eq!(offset_of!(libc::statfs, f_frsize), offset(f, "frsize"));

        assert_eq!(size_of::<libc::flock>(), Flock::SIZE);
        assert_eq!(offset_of!(libc::flock, l_whence), offset(Flock::FIELDS, "whence"));
        assert_eq!(offset_of!(libc::flock, l_start), offset(Flock::FIELDS, "start"));
        assert_eq!(offset_of!(libc::flock, l_len), offset(Flock::FIELDS, "len"));
        assert_eq!(offset_of!(libc::flock, l_pid), offset(Flock::FIELDS, "pid"));

        // glibc's dirent64 has a fixed 256-byte name; the header is the kernel's.
        let d = Dirent64::FIELDS;
        assert_eq!(offset_of!(libc::dirent64, d_off), offset(d, "off"));
        assert_eq!(offset_of!(libc::dirent64, d_reclen), offset(d, "reclen"));
        assert_eq!(offset_of!(libc::dirent64, d_type), offset(d, "d_type"));
        assert_eq!(offset_of!(libc::dirent64, d_name), Dirent64::HEADER);
    }

    #[test]
    fn stat_round_trips_through_guest_bytes() {
        let s = Stat {
            dev: 0x803,
            ino: 42,
            nlink: 2,
            mode: 0o100644,
            uid: 1000,
            gid: 100,
            rdev: 0,
            size: 1234,
            blksize: 4096,
            blocks: 8,
            atime: (1, 2),
            mtime: (3, 4),
            ctime: (5, 6),
        };
        let b = s.to_bytes();
        assert_eq!(b.len(), 144);
        assert_eq!(&b[24..28], &0o100644u32.to_le_bytes());
        assert_eq!(&b[96..104], &4i64.to_le_bytes());
        assert!(b[120..].iter().all(|&x| x == 0));
        assert_eq!(Stat::read(&b), s);
    }

    #[test]
    fn statx_from_stat_fills_the_basic_fields() {
        let s =
            Stat { dev: 0x803, rdev: 0x0501, mode: 0o20620, nlink: 1, mtime: (7, 8), ..Default::default() };
        let x = Statx::from(&s);
        assert_eq!((x.mask, x.mode, x.nlink), (STATX_BASIC_STATS, 0o20620, 1));
        assert_eq!((x.dev_major, x.dev_minor, x.rdev_major, x.rdev_minor), (8, 3, 5, 1));
        let b = x.to_bytes();
        assert_eq!(&b[112..120], &7i64.to_le_bytes());
        assert_eq!(&b[120..124], &8u32.to_le_bytes());
        assert_eq!(Statx::read(&b), x);
    }

    #[test]
    fn dirent_records_are_aligned_and_parse_back() {
        let d = Dirent64 { ino: 5, off: 1, d_type: 8, name: b"hello".to_vec() };
        assert_eq!(d.reclen(), 32);
        let mut out = Vec::new();
        d.append_to(&mut out, false);
        d.append_to(&mut out, false);
        assert_eq!(out.len(), 64);
        assert_eq!(&out[16..18], &32u16.to_le_bytes());
        assert_eq!(Dirent64::parse(&out), Some((d.clone(), 32)));
        assert_eq!(Dirent64::parse(&out[32..]), Some((d, 32)));
        assert_eq!(Dirent64::parse(&out[..20]), None);
    }

    #[test]
    fn device_numbers_split_like_glibc() {
        let dev = (0x123u64 << 8) | 0x45 | (0xabcu64 << 44) | (0xdef00u64 << 12);
        assert_eq!(major(dev), 0xabc123);
        assert_eq!(minor(dev), 0xdef45);
    }
}
