//! Host errno values to Linux's: identical on Linux; elsewhere one table.

use super::Errno;
use crate::abi::errno as E;
use rustix::io::Errno as H;

/// Host errnos whose value may differ from Linux's, with the Linux value. Values 1..=34
/// are shared by every Unix except 11 (EDEADLK on BSD-derived hosts, EAGAIN on Linux), so
/// they need no row unless they move.
const TABLE: &[(H, Errno)] = &[
    (H::DEADLK, E::EDEADLK),
    (H::AGAIN, E::EAGAIN),
    (H::NAMETOOLONG, E::ENAMETOOLONG),
    (H::NOLCK, E::ENOLCK),
    (H::NOSYS, E::ENOSYS),
    (H::NOTEMPTY, E::ENOTEMPTY),
    (H::LOOP, E::ELOOP),
    (H::NODATA, E::ENODATA),
    (H::OVERFLOW, E::EOVERFLOW),
    (H::NOTSOCK, E::ENOTSOCK),
    (H::OPNOTSUPP, E::EOPNOTSUPP),
    (H::AFNOSUPPORT, E::EAFNOSUPPORT),
    (H::ADDRINUSE, E::EADDRINUSE),
    (H::CONNRESET, E::ECONNRESET),
    (H::NOTCONN, E::ENOTCONN),
    (H::TIMEDOUT, E::ETIMEDOUT),
    (H::CONNREFUSED, E::ECONNREFUSED),
    (H::HOSTUNREACH, E::EHOSTUNREACH),
    (H::ALREADY, E::EALREADY),
    (H::INPROGRESS, E::EINPROGRESS),
    (H::STALE, E::ESTALE),
    (H::DQUOT, E::EDQUOT),
    (H::CANCELED, E::ECANCELED),
    (H::DESTADDRREQ, E::EDESTADDRREQ),
    (H::MSGSIZE, E::EMSGSIZE),
    (H::PROTOTYPE, E::EPROTOTYPE),
    (H::NOPROTOOPT, E::ENOPROTOOPT),
    (H::PROTONOSUPPORT, E::EPROTONOSUPPORT),
    (H::SOCKTNOSUPPORT, E::ESOCKTNOSUPPORT),
    (H::ADDRNOTAVAIL, E::EADDRNOTAVAIL),
    (H::NETDOWN, E::ENETDOWN),
    (H::NETUNREACH, E::ENETUNREACH),
    (H::CONNABORTED, E::ECONNABORTED),
    (H::NOBUFS, E::ENOBUFS),
    (H::ISCONN, E::EISCONN),
    (H::SHUTDOWN, E::ESHUTDOWN),
    // macOS names apart what Linux folds together.
    #[cfg(target_os = "macos")]
    (H::NOATTR, E::ENODATA),
    #[cfg(target_os = "macos")]
    (H::NOTSUP, E::EOPNOTSUPP),
];

/// The host's errno value `e` as the Linux value; EIO for one Linux has no word for.
pub fn errno_from_host(e: i32) -> Errno {
    if cfg!(target_os = "linux") {
        return e;
    }
    match TABLE.iter().find(|(h, _)| h.raw_os_error() == e) {
        Some(&(_, l)) => l,
        None if (1..=34).contains(&e) => e,
        None => E::EIO,
    }
}

/// A rustix error as the Linux errno (for `map_err`).
pub(super) fn linux(e: H) -> Errno {
    errno_from_host(e.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On Linux the table maps every value to itself, which checks its Linux column.
    #[cfg(target_os = "linux")]
    #[test]
    fn table_is_the_identity_on_linux() {
        for &(h, l) in TABLE {
            assert_eq!(h.raw_os_error(), l, "{h:?}");
        }
    }

    #[test]
    fn shared_values_pass_and_unknown_ones_become_eio() {
        assert_eq!(linux(H::NOENT), E::ENOENT);
        assert_eq!(linux(H::AGAIN), E::EAGAIN);
        assert_eq!(linux(H::DEADLK), E::EDEADLK);
        if !cfg!(target_os = "linux") {
            assert_eq!(errno_from_host(10_000), E::EIO);
        }
    }
}
