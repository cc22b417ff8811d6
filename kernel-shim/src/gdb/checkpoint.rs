//! Checkpoints of a replay under gdb: forked copies of the whole emu process, each parked at
//! an instruction count, waiting for a request. Going back, the running process sends a
//! request to the latest checkpoint before where it must go; the checkpoint forks a copy of
//! itself (a worker), which carries on the session from there (it talks to gdb on the same
//! connection), and the running process ends. The host's copy-on-write makes a checkpoint
//! cost the pages the guest changes after it.
//!
//! Descriptors decide who lives: a checkpoint keeps only its end of a socket pair (plus the
//! gdb connection and the channel to the first process). The running process holds the other
//! ends of all of them and hands them to the worker with the request, so however the running
//! process ends, every checkpoint reads end-of-file and exits.
//!
//! Policy (`Checkpoints::due`): one at the first instruction run under gdb, then one per
//! `stride` instructions (4 Mi at first); past 32 of those, every other one goes and the
//! stride doubles, so re-running to any point costs at most two strides. A pass that goes
//! back to a point with no checkpoint within half a Mi instructions before it leaves a
//! "near" one a quarter Mi before it (at most 8, the oldest goes first), so stepping back
//! line by line re-runs little.

use crate::abi::errno as E;
use crate::host;

/// Periodic checkpoints kept at most.
const MAX_PERIODIC: usize = 32;
/// Near checkpoints kept at most.
const MAX_NEAR: usize = 8;
/// The first stride, in instructions.
const STRIDE: u64 = 1 << 22;
/// A point gone back to with no checkpoint this close before it gets a near one, half as
/// far before it.
pub(crate) const NEAR: u64 = 1 << 19;
/// Files gdb has open (vFile) that a request carries at most.
pub(crate) const MAX_FILES: usize = 128;
/// Descriptors one request may carry: the checkpoints, the status channel and the files
/// (Linux takes up to 253 in one message).
const MAX_FDS: usize = MAX_PERIODIC + MAX_NEAR + 1 + MAX_FILES;

/// One end of a local stream socket pair, closed on drop: small messages of 64-bit words,
/// with descriptors attached.
pub(crate) struct Channel(i32);

impl Drop for Channel {
    fn drop(&mut self) {
        host::close(self.0);
    }
}

fn err(e: i32) -> std::io::Error {
    std::io::Error::other(format!("checkpoint channel: {}", E::describe(e).1))
}

impl Channel {
    pub fn pair() -> std::io::Result<(Channel, Channel)> {
        let (a, b) = host::socketpair(1).map_err(err)?;
        Ok((Channel(a), Channel(b)))
    }

    pub fn raw(&self) -> i32 {
        self.0
    }

    /// A descriptor that came with a message, as the file it is.
    pub fn into_file(self) -> std::fs::File {
        use std::os::fd::FromRawFd;
        let fd = self.0;
        std::mem::forget(self);
        // SAFETY: the descriptor came with a message to this process, and nothing else
        // owns it (`self` is forgotten).
        unsafe { std::fs::File::from_raw_fd(fd) }
    }

    /// Sends `words`, with copies of `fds` attached.
    pub fn send(&self, words: &[u64], fds: &[i32]) -> std::io::Result<()> {
        let mut data = Vec::with_capacity(8 * (words.len() + 1));
        for w in std::iter::once(&(words.len() as u64)).chain(words) {
            data.extend(w.to_le_bytes());
        }
        let anc = host::Ancillary { fds: fds.to_vec(), creds: None };
        let mut off = retry(|| host::send(self.0, &data, None, &anc, 0))?;
        while off < data.len() {
            off += retry(|| host::write(self.0, &data[off..]))?;
        }
        Ok(())
    }

    /// The next message and the descriptors that came with it; None once every holder of
    /// the other end has closed it.
    pub fn recv(&self) -> std::io::Result<Option<(Vec<u64>, Vec<Channel>)>> {
        let mut buf = vec![0u8; 1 << 16];
        let r = retry(|| host::recv(self.0, &mut buf, 0, 8 * MAX_FDS))?;
        let fds: Vec<Channel> = r.anc.fds.into_iter().map(Channel).collect();
        if r.len == 0 {
            return Ok(None);
        }
        let mut got = buf[..r.len].to_vec();
        let whole = |got: &[u8]| got.len() >= 8 && got.len() >= 8 * (1 + word(got, 0) as usize);
        while !whole(&got) {
            let n = retry(|| host::read(self.0, &mut buf))?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            got.extend_from_slice(&buf[..n]);
        }
        let n = word(&got, 0) as usize;
        Ok(Some(((1..=n).map(|i| word(&got, i)).collect(), fds)))
    }
}

fn word(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().expect("8 bytes"))
}

/// A host call, again while a signal interrupts it.
fn retry<T>(mut f: impl FnMut() -> host::HostResult<T>) -> std::io::Result<T> {
    loop {
        match f() {
            Err(E::EINTR) => continue,
            r => return r.map_err(err),
        }
    }
}

/// A parked copy of the process at `icount`.
pub(crate) struct Checkpoint {
    pub icount: u64,
    /// Taken for a point gone back to, not by the stride.
    pub near: bool,
    pub chan: Channel,
}

/// The checkpoints of the session, by instruction count.
pub(crate) struct Checkpoints {
    pub list: Vec<Checkpoint>,
    pub stride: u64,
}

impl Default for Checkpoints {
    fn default() -> Self {
        Checkpoints { list: Vec::new(), stride: STRIDE }
    }
}

impl Checkpoints {
    /// Whether a periodic checkpoint is wanted at `icount` (none yet in its stride).
    pub fn due(&self, icount: u64) -> bool {
        let b = icount / self.stride;
        !self.list.iter().any(|c| !c.near && c.icount / self.stride == b)
    }

    /// The next instruction count past `icount` where `due` holds.
    pub fn next_due(&self, icount: u64) -> u64 {
        let mut b = icount / self.stride + 1;
        while !self.due(b * self.stride) {
            b += 1;
        }
        b * self.stride
    }

    /// Whether some checkpoint lies in `[from, to]`.
    pub fn any_in(&self, from: u64, to: u64) -> bool {
        self.list.iter().any(|c| from <= c.icount && c.icount <= to)
    }

    /// The latest checkpoint at or before `icount`.
    pub fn at_or_before(&self, icount: u64) -> Option<&Checkpoint> {
        self.list.iter().filter(|c| c.icount <= icount).max_by_key(|c| c.icount)
    }

    /// The latest checkpoint before `icount`.
    pub fn before(&self, icount: u64) -> Option<&Checkpoint> {
        self.at_or_before(icount.checked_sub(1)?)
    }

    /// Adds one, then keeps to the bounds (dropping a checkpoint's channel ends it).
    pub fn add(&mut self, c: Checkpoint) {
        let near = c.near;
        self.list.push(c);
        self.list.sort_by_key(|c| c.icount);
        if near {
            while self.list.iter().filter(|c| c.near).count() > MAX_NEAR {
                let oldest = self.list.iter().position(|c| c.near).expect("a near one");
                self.list.remove(oldest);
            }
            return;
        }
        while self.list.iter().filter(|c| !c.near).count() > MAX_PERIODIC {
            self.stride *= 2;
            let stride = self.stride;
            let mut seen = Vec::new();
            // The earliest in each (doubled) stride stays.
            self.list.retain(|c| {
                c.near || {
                    let b = c.icount / stride;
                    let keep = !seen.contains(&b);
                    seen.push(b);
                    keep
                }
            });
        }
    }

    /// The request's description of the list (its channels travel as descriptors).
    pub fn encode(&self, out: &mut Vec<u64>) {
        out.push(self.stride);
        out.push(self.list.len() as u64);
        for c in &self.list {
            out.push(c.icount);
            out.push(c.near as u64);
        }
    }

    pub fn raw_fds(&self) -> Vec<i32> {
        self.list.iter().map(|c| c.chan.raw()).collect()
    }

    /// The list a request describes, with the channels that came with it (in order).
    pub fn decode(
        words: &mut impl Iterator<Item = u64>,
        chans: &mut impl Iterator<Item = Channel>,
    ) -> Checkpoints {
        let stride = words.next().unwrap_or(STRIDE);
        let n = words.next().unwrap_or(0);
        let mut list = Vec::new();
        for _ in 0..n {
            let (Some(icount), Some(near), Some(chan)) = (words.next(), words.next(), chans.next()) else {
                break;
            };
            list.push(Checkpoint { icount, near: near != 0, chan });
        }
        Checkpoints { list, stride }
    }
}

/// Forks a checkpoint of this process. Returns `None` in the running process (which keeps
/// the checkpoint in `cps`), and in a worker forked later from the checkpoint, the request
/// it was woken with and the channels that came with it.
pub(crate) fn take(cps: &mut Checkpoints, icount: u64, near: bool) -> Option<(Vec<u64>, Vec<Channel>)> {
    let (mine, theirs) = match Channel::pair() {
        Ok(p) => p,
        Err(e) => {
            log::warn!("gdb: no checkpoint at instruction {icount}: {e}");
            return None;
        }
    };
    match host::fork() {
        Ok(0) => {}
        Ok(_) => {
            drop(theirs);
            cps.add(Checkpoint { icount, near, chan: mine });
            return None;
        }
        Err(e) => {
            log::warn!("gdb: no checkpoint at instruction {icount}: {}", E::describe(e).1);
            return None;
        }
    }
    // The checkpoint: only its own end stays open, so that it sees the running process go.
    drop(mine);
    cps.list.clear();
    loop {
        let msg = theirs.recv();
        // Workers that handed on: reap them.
        while matches!(host::waitpid(-1, 1), Ok((pid, _)) if pid > 0) {}
        match msg {
            Ok(Some((words, chans))) => match host::fork() {
                Ok(0) => return Some((words, chans)),
                Ok(_) => drop(chans),
                Err(e) => log::warn!("gdb: cannot resume a checkpoint: {}", E::describe(e).1),
            },
            Ok(None) | Err(_) => host::exit_now(0),
        }
    }
}
