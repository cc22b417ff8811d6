//! Event descriptors: timerfd, signalfd and inotify flags, inotify's event masks,
//! `struct itimerspec`.

use super::{flags, named_flags, nth};
use crate::abi::events::IN_NAMES;
use crate::abi::io::EpollEvent;
use crate::abi::time::Itimerspec;

/// `{it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=1, tv_nsec=0}}`.
pub(crate) fn itimerspec(t: &Itimerspec) -> String {
    format!(
        "{{it_interval={}, it_value={}}}",
        super::time::timespec(&t.interval),
        super::time::timespec(&t.value)
    )
}

/// timerfd_create's flags.
pub(crate) fn tfd_flags(v: u64) -> String {
    named_flags(v, &[(0o2000000, "TFD_CLOEXEC"), (0o4000, "TFD_NONBLOCK")], "TFD")
}

/// timerfd_settime's flags.
pub(crate) fn tfd_set_flags(v: u64) -> String {
    named_flags(v, &[(1, "TFD_TIMER_ABSTIME"), (2, "TFD_TIMER_CANCEL_ON_SET")], "TFD")
}

/// signalfd4's flags.
pub(crate) fn sfd_flags(v: u64) -> String {
    named_flags(v, &[(0o2000000, "SFD_CLOEXEC"), (0o4000, "SFD_NONBLOCK")], "SFD")
}

/// inotify_init1's flags.
pub(crate) fn inotify_flags(v: u64) -> String {
    named_flags(v, &[(0o4000, "IN_NONBLOCK"), (0o2000000, "IN_CLOEXEC")], "IN")
}

/// eventfd2's flags.
pub(crate) fn efd_flags(v: u64) -> String {
    named_flags(v, &[(1, "EFD_SEMAPHORE"), (0o2000000, "EFD_CLOEXEC"), (0o4000, "EFD_NONBLOCK")], "EFD")
}

/// epoll_ctl's operation.
pub(crate) fn epoll_op(v: u64) -> String {
    nth(v, &["0", "EPOLL_CTL_ADD", "EPOLL_CTL_DEL", "EPOLL_CTL_MOD"])
        .filter(|_| v != 0)
        .map_or_else(|| format!("{v:#x} /* EPOLL_CTL_??? */"), str::to_string)
}

const EPOLL_EVENTS: &[(u64, &str)] = &[
    (0x1, "EPOLLIN"),
    (0x2, "EPOLLPRI"),
    (0x4, "EPOLLOUT"),
    (0x8, "EPOLLERR"),
    (0x10, "EPOLLHUP"),
    (0x20, "EPOLLNVAL"),
    (0x40, "EPOLLRDNORM"),
    (0x80, "EPOLLRDBAND"),
    (0x100, "EPOLLWRNORM"),
    (0x200, "EPOLLWRBAND"),
    (0x400, "EPOLLMSG"),
    (0x2000, "EPOLLRDHUP"),
    (1 << 28, "EPOLLEXCLUSIVE"),
    (1 << 29, "EPOLLWAKEUP"),
    (1 << 30, "EPOLLONESHOT"),
    (1 << 31, "EPOLLET"),
];

/// `{events=EPOLLIN, data={u32=77, u64=77}}`.
pub(crate) fn epoll_event(e: &EpollEvent) -> String {
    format!(
        "{{events={}, data={{u32={}, u64={}}}}}",
        flags(e.events as u64, EPOLL_EVENTS),
        e.data as u32,
        e.data
    )
}

/// The events epoll_wait returned: `[{...}, ...]`.
pub(crate) fn epoll_events(v: &[EpollEvent]) -> String {
    format!("[{}]", v.iter().map(epoll_event).collect::<Vec<_>>().join(", "))
}

/// inotify_add_watch's mask.
pub(crate) fn inotify_mask(v: u64) -> String {
    named_flags(v, IN_NAMES, "IN")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::time::Timespec;

    // Expected strings from strace 6.x on x86-64 Linux.
    #[test]
    fn flags_and_masks() {
        assert_eq!(tfd_flags(0o2004000), "TFD_CLOEXEC|TFD_NONBLOCK");
        assert_eq!(tfd_flags(0x10), "0x10 /* TFD_??? */");
        assert_eq!(tfd_set_flags(3), "TFD_TIMER_ABSTIME|TFD_TIMER_CANCEL_ON_SET");
        assert_eq!(tfd_set_flags(0x80), "0x80 /* TFD_??? */");
        assert_eq!(sfd_flags(0o2004000), "SFD_CLOEXEC|SFD_NONBLOCK");
        assert_eq!(sfd_flags(1), "0x1 /* SFD_??? */");
        assert_eq!(inotify_flags(0o4000), "IN_NONBLOCK");
        assert_eq!(inotify_flags(0o2004000), "IN_NONBLOCK|IN_CLOEXEC");
        assert_eq!(efd_flags(0o2004001), "EFD_SEMAPHORE|EFD_CLOEXEC|EFD_NONBLOCK");
        assert_eq!(efd_flags(0o2000020), "EFD_CLOEXEC|0x10");
        assert_eq!(epoll_op(2), "EPOLL_CTL_DEL");
        let ev = EpollEvent { events: 0xc000_0001, data: 78_187_493_520 };
        assert_eq!(
            epoll_event(&ev),
            "{events=EPOLLIN|EPOLLONESHOT|EPOLLET, data={u32=878082192, u64=78187493520}}"
        );
        assert_eq!(epoll_events(&[]), "[]");
        assert_eq!(inotify_flags(0o2000020), "IN_CLOEXEC|0x10");
        assert_eq!(inotify_flags(0x10), "0x10 /* IN_??? */");
        assert_eq!(
            inotify_mask(0x3ca),
            "IN_MODIFY|IN_CLOSE_WRITE|IN_MOVED_FROM|IN_MOVED_TO|IN_CREATE|IN_DELETE"
        );
        assert_eq!(inotify_mask(0x2000_0100), "IN_CREATE|IN_MASK_ADD");
        let t = Itimerspec { interval: Timespec::new(0, 0), value: Timespec::new(0, 30_000_000) };
        assert_eq!(
            itimerspec(&t),
            "{it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=0, tv_nsec=30000000}}"
        );
    }
}
