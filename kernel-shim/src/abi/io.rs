//! I/O structs: `iovec` (readv, writev), `pollfd` (poll, ppoll), `epoll_event` (packed
//! on x86-64), and the terminal's `termios` and `winsize`.

use super::guest_struct;

guest_struct! {
    /// `struct iovec`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Iovec [16] {
        base: u64 = 0,
        len: u64 = 8,
    }
}

/// Most iovecs one call takes (UIO_MAXIOV).
pub const UIO_MAXIOV: usize = 1024;

/// poll(2)'s readable and writable bits, the ones emu asks the host about (`host::poll`
/// takes Linux bits).
pub const POLLIN: u16 = 0x1;
pub const POLLOUT: u16 = 0x4;

guest_struct! {
    /// `struct pollfd`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Pollfd [8] {
        fd: i32 = 0,
        events: u16 = 4,
        revents: u16 = 6,
    }
}

guest_struct! {
    /// `struct epoll_event`: 12 bytes, `data` unaligned, as x86-64 declares it packed
    /// (other architectures pad it to 16).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct EpollEvent [12] {
        events: u32 = 0,
        data: u64 = 4,
    }
}

/// Control characters in the kernel's `struct termios` (NCCS).
pub const NCCS: usize = 19;

guest_struct! {
    /// The kernel's `struct termios` (TCGETS, TCSETS*): 36 bytes. glibc's is larger (32
    /// control characters and the speeds) and converts in user space.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Termios [36] {
        iflag: u32 = 0,
        oflag: u32 = 4,
        cflag: u32 = 8,
        lflag: u32 = 12,
        line: u8 = 16,
        cc: [u8; NCCS] = 17,
    }
}

guest_struct! {
    /// `struct winsize` (TIOCGWINSZ, TIOCSWINSZ).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Winsize [8] {
        row: u16 = 0,
        col: u16 = 2,
        xpixel: u16 = 4,
        ypixel: u16 = 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::expect;
    use crate::abi::GuestStruct;

    #[test]
    fn layouts_match_linux() {
        expect(Iovec::FIELDS, Iovec::SIZE, 16, &[("base", 0), ("len", 8)]);
        expect(Pollfd::FIELDS, Pollfd::SIZE, 8, &[("fd", 0), ("events", 4), ("revents", 6)]);
        expect(EpollEvent::FIELDS, EpollEvent::SIZE, 12, &[("events", 0), ("data", 4)]);
        expect(
            Termios::FIELDS,
            Termios::SIZE,
            36,
            &[("iflag", 0), ("oflag", 4), ("cflag", 8), ("lflag", 12), ("line", 16), ("cc", 17)],
        );
        expect(Winsize::FIELDS, Winsize::SIZE, 8, &[("row", 0), ("col", 2), ("xpixel", 4), ("ypixel", 6)]);
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn layouts_match_the_host_libc() {
        use crate::abi::layout::offset;
        use std::mem::{offset_of, size_of};
        assert_eq!(size_of::<libc::iovec>(), Iovec::SIZE);
        assert_eq!(offset_of!(libc::iovec, iov_len), offset(Iovec::FIELDS, "len"));
        assert_eq!(size_of::<libc::pollfd>(), Pollfd::SIZE);
        assert_eq!(offset_of!(libc::pollfd, events), offset(Pollfd::FIELDS, "events"));
        assert_eq!(offset_of!(libc::pollfd, revents), offset(Pollfd::FIELDS, "revents"));
        assert_eq!(size_of::<libc::epoll_event>(), EpollEvent::SIZE);
        assert_eq!(offset_of!(libc::epoll_event, u64), offset(EpollEvent::FIELDS, "data"));
        // glibc's termios starts as the kernel's does.
        let t = Termios::FIELDS;
        assert_eq!(offset_of!(libc::termios, c_oflag), offset(t, "oflag"));
        assert_eq!(offset_of!(libc::termios, c_cflag), offset(t, "cflag"));
        assert_eq!(offset_of!(libc::termios, c_lflag), offset(t, "lflag"));
        assert_eq!(offset_of!(libc::termios, c_line), offset(t, "line"));
        assert_eq!(offset_of!(libc::termios, c_cc), offset(t, "cc"));
        assert_eq!(size_of::<libc::winsize>(), Winsize::SIZE);
        assert_eq!(offset_of!(libc::winsize, ws_col), offset(Winsize::FIELDS, "col"));
        assert_eq!(offset_of!(libc::winsize, ws_ypixel), offset(Winsize::FIELDS, "ypixel"));
    }

    #[test]
    fn an_epoll_event_is_packed() {
        let e = EpollEvent { events: 1, data: 0x1122_3344_5566_7788 };
        let b = e.to_bytes();
        assert_eq!(b.len(), 12);
        assert_eq!(&b[4..], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(EpollEvent::read(&b), e);
    }
}
