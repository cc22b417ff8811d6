//! futex: the operation by name (`FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`) and the
//! arguments that operation takes.

use super::{hex0, ptr};

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_UNLOCK_PI: u64 = 7;
const FUTEX_TRYLOCK_PI: u64 = 8;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE_FLAG: u64 = 0x80;
const FUTEX_CLOCK_REALTIME: u64 = 0x100;
/// The operation without its flags.
const FUTEX_CMD_MASK: u64 = 0x7f;

/// Whether operation `op` reads a timeout from its fourth argument (the others use that
/// argument as a number or not at all).
pub(crate) fn takes_timeout(op: u64) -> bool {
    matches!(op & FUTEX_CMD_MASK, FUTEX_WAIT | FUTEX_WAIT_BITSET)
}

/// The operation by name.
pub(crate) fn op(op: u64) -> String {
    const NAMES: [&str; 13] = [
        "FUTEX_WAIT",
        "FUTEX_WAKE",
        "FUTEX_FD",
        "FUTEX_REQUEUE",
        "FUTEX_CMP_REQUEUE",
        "FUTEX_WAKE_OP",
        "FUTEX_LOCK_PI",
        "FUTEX_UNLOCK_PI",
        "FUTEX_TRYLOCK_PI",
        "FUTEX_WAIT_BITSET",
        "FUTEX_WAKE_BITSET",
        "FUTEX_WAIT_REQUEUE_PI",
        "FUTEX_CMP_REQUEUE_PI",
    ];
    let base = op & FUTEX_CMD_MASK;
    let mut s = super::nth(base, &NAMES).map_or_else(|| base.to_string(), str::to_string);
    if op & FUTEX_PRIVATE_FLAG != 0 {
        s.push_str("_PRIVATE");
    }
    if op & FUTEX_CLOCK_REALTIME != 0 {
        s.push_str("|FUTEX_CLOCK_REALTIME");
    }
    s
}

/// The arguments from the operation on (`a[1]`...): those the operation takes, with the
/// timeout already formatted (used when [`takes_timeout`]).
pub(crate) fn args(a: &[u64; 6], timeout: &str) -> String {
    let s = op(a[1]);
    let val = a[2] as i32;
    match a[1] & FUTEX_CMD_MASK {
        FUTEX_WAIT => format!("{s}, {val}, {timeout}"),
        FUTEX_WAIT_BITSET => {
            let mask = if a[5] as u32 == u32::MAX { "FUTEX_BITSET_MATCH_ANY".into() } else { hex0(a[5]) };
            format!("{s}, {val}, {timeout}, {mask}")
        }
        FUTEX_WAKE | FUTEX_UNLOCK_PI | FUTEX_TRYLOCK_PI => format!("{s}, {val}"),
        FUTEX_WAKE_BITSET => format!("{s}, {val}, NULL, {}", hex0(a[5])),
        FUTEX_REQUEUE => format!("{s}, {val}, {}, {}", a[3] as i32, ptr(a[4])),
        FUTEX_CMP_REQUEUE => format!("{s}, {val}, {}, {}, {}", a[3] as i32, ptr(a[4]), a[5] as i32),
        _ => format!("{s}, {val}, {}, {}, {}", ptr(a[3]), ptr(a[4]), hex0(a[5])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UADDR: u64 = 0x7fff5556b0c4;
    const TS: &str = "{tv_sec=1, tv_nsec=500}";

    #[test]
    fn operations_with_their_arguments() {
        assert_eq!(args(&[UADDR, 0x81, 1, 0, 0, 0], ""), "FUTEX_WAKE_PRIVATE, 1");
        assert!(takes_timeout(0) && takes_timeout(0x189) && !takes_timeout(0x81));
        assert_eq!(args(&[UADDR, 0, 1, 0x1000, 0, 0], TS), "FUTEX_WAIT, 1, {tv_sec=1, tv_nsec=500}");
        assert_eq!(args(&[UADDR, 0x80, 1, 0, 0, 0], "NULL"), "FUTEX_WAIT_PRIVATE, 1, NULL");
        assert_eq!(
            args(&[UADDR, 0x189, 1, 0x1000, 0, u32::MAX as u64], TS),
            "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 1, {tv_sec=1, tv_nsec=500}, FUTEX_BITSET_MATCH_ANY"
        );
        assert_eq!(args(&[UADDR, 9, 1, 0, 0, 0x12], "NULL"), "FUTEX_WAIT_BITSET, 1, NULL, 0x12");
        assert_eq!(args(&[UADDR, 0x83, 1, 2, UADDR, 0], ""), "FUTEX_REQUEUE_PRIVATE, 1, 2, 0x7fff5556b0c4");
        assert_eq!(
            args(&[UADDR, 0x84, 1, 2, UADDR, 0], ""),
            "FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, 0x7fff5556b0c4, 0"
        );
    }
}
