//! File metadata, locks and copies: utimensat's special times and `struct utimbuf`,
//! extended-attribute flags and limits, flock operations, fcntl's record-lock commands,
//! fallocate modes, splice flags.

use super::guest_struct;

/// utimensat: set this time to now / leave it alone (in tv_nsec).
pub const UTIME_NOW: i64 = (1 << 30) - 1;
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

guest_struct! {
    /// `struct utimbuf` (utime): whole seconds.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Utimbuf [16] {
        actime: i64 = 0,
        modtime: i64 = 8,
    }
}

pub const XATTR_CREATE: u32 = 1;
pub const XATTR_REPLACE: u32 = 2;
/// The longest attribute name, the largest value, the largest name list.
pub const XATTR_NAME_MAX: usize = 255;
pub const XATTR_SIZE_MAX: usize = 65536;
pub const XATTR_LIST_MAX: usize = 65536;
/// The namespaces Linux knows; a name outside them is EOPNOTSUPP.
pub const XATTR_NAMESPACES: &[&[u8]] = &[b"user.", b"trusted.", b"security.", b"system."];

pub const LOCK_SH: u32 = 1;
pub const LOCK_EX: u32 = 2;
pub const LOCK_NB: u32 = 4;
pub const LOCK_UN: u32 = 8;

pub const F_GETLK: u32 = 5;
pub const F_SETLK: u32 = 6;
pub const F_SETLKW: u32 = 7;
pub const F_OFD_GETLK: u32 = 36;
pub const F_OFD_SETLK: u32 = 37;
pub const F_OFD_SETLKW: u32 = 38;

/// fallocate's modes, in strace's order.
pub const FALLOC_NAMES: &[(u64, &str)] = &[
    (0x01, "FALLOC_FL_KEEP_SIZE"),
    (0x02, "FALLOC_FL_PUNCH_HOLE"),
    (0x04, "FALLOC_FL_NO_HIDE_STALE"),
    (0x08, "FALLOC_FL_COLLAPSE_RANGE"),
    (0x10, "FALLOC_FL_ZERO_RANGE"),
    (0x20, "FALLOC_FL_INSERT_RANGE"),
    (0x40, "FALLOC_FL_UNSHARE_RANGE"),
];

pub const SPLICE_F_NONBLOCK: u32 = 2;
/// splice and tee's flags, in strace's order.
pub const SPLICE_NAMES: &[(u64, &str)] =
    &[(1, "SPLICE_F_MOVE"), (2, "SPLICE_F_NONBLOCK"), (4, "SPLICE_F_MORE"), (8, "SPLICE_F_GIFT")];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::expect;

    #[test]
    fn layouts_match_linux() {
        expect(Utimbuf::FIELDS, <Utimbuf as crate::abi::GuestStruct>::SIZE, 16, &[("modtime", 8)]);
    }
}
