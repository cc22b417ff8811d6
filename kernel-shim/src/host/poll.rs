//! poll(2) on host fds, with Linux event bits both ways.

use super::errno::linux;
use super::{fd, HostResult};
use rustix::event::{PollFd, PollFlags, Timespec};

/// Linux poll bits and the host's.
const MAP: [(u16, PollFlags); 6] = [
    (0x001, PollFlags::IN),
    (0x002, PollFlags::PRI),
    (0x004, PollFlags::OUT),
    (0x008, PollFlags::ERR),
    (0x010, PollFlags::HUP),
    (0x020, PollFlags::NVAL),
];
const POLLRDNORM: u16 = 0x040;
const POLLWRNORM: u16 = 0x100;

/// poll(2) on host fds with Linux event bits; returns the Linux revents per entry.
/// `timeout_ms` < 0 waits forever.
pub fn poll(fds: &[(i32, u16)], timeout_ms: i32) -> HostResult<Vec<u16>> {
    let mut pfds = Vec::with_capacity(fds.len());
    for &(h, ev) in fds {
        let mut e = PollFlags::empty();
        for (l, hf) in MAP {
            if ev & l != 0 {
                e |= hf;
            }
        }
        // POLLRDNORM/POLLWRNORM are the same as POLLIN/POLLOUT for our purposes.
        if ev & POLLRDNORM != 0 {
            e |= PollFlags::IN;
        }
        if ev & POLLWRNORM != 0 {
            e |= PollFlags::OUT;
        }
        pfds.push(PollFd::from_borrowed_fd(fd(h)?, e));
    }
    let timeout = (timeout_ms >= 0).then(|| Timespec {
        tv_sec: (timeout_ms / 1000) as _,
        tv_nsec: ((timeout_ms % 1000) * 1_000_000) as _,
    });
    rustix::event::poll(&mut pfds, timeout.as_ref()).map_err(linux)?;
    Ok(pfds
        .iter()
        .zip(fds)
        .map(|(p, &(_, asked))| {
            let r = p.revents();
            let mut out = 0u16;
            for (l, hf) in MAP {
                if r.contains(hf) {
                    out |= l;
                }
            }
            if r.contains(PollFlags::IN) && asked & POLLRDNORM != 0 {
                out |= POLLRDNORM;
            }
            if r.contains(PollFlags::OUT) && asked & POLLWRNORM != 0 {
                out |= POLLWRNORM;
            }
            out
        })
        .collect())
}
