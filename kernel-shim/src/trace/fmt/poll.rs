//! Waiting on descriptors: pollfd arrays (events before the call, revents after), fd sets
//! (`[3 4]`), select's result details and pselect6's signal mask argument.

use super::flags;
use crate::abi::io::Pollfd;

fn events(v: u64) -> String {
    flags(
        v,
        &[
            (1, "POLLIN"),
            (2, "POLLPRI"),
            (4, "POLLOUT"),
            (8, "POLLERR"),
            (0x10, "POLLHUP"),
            (0x20, "POLLNVAL"),
            (0x40, "POLLRDNORM"),
            (0x80, "POLLRDBAND"),
            (0x100, "POLLWRNORM"),
            (0x200, "POLLWRBAND"),
            (0x2000, "POLLRDHUP"),
        ],
    )
}

/// How many pollfds are shown.
pub(crate) const POLLFDS_SHOWN: u64 = 64;

/// A pollfd array: `[{fd=3, events=POLLIN}]` as passed, or with `revents` the entries
/// that have any, as strace appends them to the result (`[{fd=3, revents=POLLIN}]`).
pub(crate) fn pollfds(fds: &[Pollfd], revents: bool) -> String {
    let parts: Vec<String> = fds
        .iter()
        .filter_map(|e| match revents {
            false => Some(format!("{{fd={}, events={}}}", e.fd, events(e.events as u64))),
            true if e.revents != 0 => Some(format!("{{fd={}, revents={}}}", e.fd, events(e.revents as u64))),
            true => None,
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The largest descriptor count an fd_set holds.
pub(crate) const FD_SETSIZE: usize = 1024;

/// The descriptors set in an `fd_set` of `nfds` bits: `[3 4]`.
pub(crate) fn fd_set(b: &[u8], nfds: usize) -> String {
    let fds: Vec<String> = (0..nfds.min(b.len() * 8))
        .filter(|&fd| b[fd / 8] & (1 << (fd % 8)) != 0)
        .map(|fd| fd.to_string())
        .collect();
    format!("[{}]", fds.join(" "))
}

/// The bytes an fd_set of `nfds` descriptors occupies (whole 64-bit words, as the kernel
/// reads them).
pub(crate) fn fd_set_len(nfds: usize) -> usize {
    nfds.div_ceil(64) * 8
}

/// select/pselect6's result details after the count: the non-empty ready sets by name
/// (`in`, `out`, `except`, already formatted) and the time left; `Timeout` when nothing
/// was ready.
pub(crate) fn select_result(ready: u64, sets: &[(&str, String)], left: Option<String>) -> String {
    if ready == 0 {
        return "Timeout".into();
    }
    let mut parts: Vec<String> =
        sets.iter().filter(|(_, s)| s != "[]").map(|(name, s)| format!("{name} {s}")).collect();
    if let Some(l) = left {
        parts.push(format!("left {l}"));
    }
    parts.join(", ")
}

/// pselect6's sixth argument (a pointer to the mask and its size), with the mask already
/// formatted.
pub(crate) fn pselect_sig(mask: &str, size: u64) -> String {
    format!("{{sigmask={mask}, sigsetsize={size}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pollfds_before_and_after() {
        // poll([{fd=5, POLLIN|POLLPRI}, {fd=6, POLLOUT|POLLRDHUP}], 2, 0) = 1
        let b = [Pollfd { fd: 5, events: 0x3, revents: 0 }, Pollfd { fd: 6, events: 0x2004, revents: 0x4 }];
        assert_eq!(pollfds(&b, false), "[{fd=5, events=POLLIN|POLLPRI}, {fd=6, events=POLLOUT|POLLRDHUP}]");
        assert_eq!(pollfds(&b, true), "[{fd=6, revents=POLLOUT}]");
    }

    #[test]
    fn fd_sets_list_the_descriptors() {
        assert_eq!(fd_set(&[0b11000, 0, 0, 0, 0, 0, 0, 0], 5), "[3 4]");
        assert_eq!(fd_set(&[0b11000, 0, 0, 0, 0, 0, 0, 0], 4), "[3]");
        assert_eq!(fd_set(&[0; 8], 5), "[]");
        assert_eq!(fd_set_len(5), 8);
        assert_eq!(fd_set_len(65), 16);
    }

    #[test]
    fn select_results() {
        let ts = Some("{tv_sec=0, tv_nsec=0}".to_string());
        let sets = [("in", "[3]".to_string()), ("out", "[4]".to_string()), ("except", "[]".to_string())];
        assert_eq!(select_result(2, &sets, ts.clone()), "in [3], out [4], left {tv_sec=0, tv_nsec=0}");
        assert_eq!(select_result(1, &sets[..1], None), "in [3]");
        assert_eq!(select_result(0, &sets, ts), "Timeout");
        assert_eq!(pselect_sig("[USR1]", 8), "{sigmask=[USR1], sigsetsize=8}");
    }
}
