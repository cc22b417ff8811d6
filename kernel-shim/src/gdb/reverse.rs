//! Reverse execution on a replay (`--replay DIR --gdb PORT`): gdb's `bc` (reverse-continue)
//! and `bs` (reverse-stepi, from which gdb builds reverse-step, -next and -finish).
//!
//! A point of the run is an instruction count: "about to run instruction N" (a watchpoint
//! stop, which comes after the access, is the point before the accessing instruction when
//! going backwards, as on a real reverse debugger). Replay is exact, so re-running from a
//! checkpoint (`checkpoint.rs`) to N gives back the state at N. Going back from N:
//! 1. scan: re-run from the latest checkpoint before N up to N, noting the last point that
//!    would stop the request (a breakpoint or watchpoint hit; for a step, the stepped
//!    thread's last instruction). Nothing there: scan the stretch before that checkpoint,
//!    and so on to the first one, where the stop is "the beginning of the replay".
//! 2. go to it: re-run from the latest checkpoint at or before that point, up to it.
//!
//! Each re-run is a pass in a fresh worker; the process that sent it ends. Output the guest
//! wrote before the furthest point reached is not written again, and a child the guest forks
//! again is not replayed again.

use super::breakpoints::Breakpoints;
use super::checkpoint::{self, Channel, Checkpoints, NEAR};
use super::vfile::Files;
use crate::Outcome;
use gdbstub::target::ext::breakpoints::WatchKind;

/// What gdb asked for going backwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    Continue,
    /// One instruction of this thread.
    Step(i32),
}

/// The stop a pass reports at its point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Report {
    Break(i32),
    Watch {
        tid: i32,
        kind: WatchKind,
        addr: u64,
    },
    Step(i32),
    /// The beginning of the replay (gdb: "No more reverse-execution history").
    Begin,
}

/// What the running pass does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Task {
    /// As gdb asked, forwards.
    Forward,
    /// Re-runs `[from, end)` for the last point that stops `want`.
    Scan { from: u64, end: u64, want: Want, last: Option<(u64, Report)> },
    /// Re-runs to `at` and reports.
    Goto { at: u64, report: Report },
}

/// The reverse-execution state of the running process.
pub(crate) struct Reverse {
    pub cps: Checkpoints,
    /// The furthest point any pass reached.
    pub furthest: u64,
    pub task: Task,
    /// To the first emu process, which waits for the guest's end (`supervise`).
    status: Channel,
}

impl Reverse {
    /// The point where the CPU must stop next, if any: the pass's end, or a checkpoint.
    pub fn until(&self, icount: u64) -> u64 {
        let mut at = self.cps.next_due(icount);
        match self.task {
            Task::Forward => {}
            Task::Scan { end, .. } => at = at.min(end),
            Task::Goto { at: to, .. } => {
                at = at.min(to);
                if let Some(n) = self.near_point(to).filter(|&n| n > icount) {
                    at = at.min(n);
                }
            }
        }
        at
    }

    /// Where a pass going to `to` leaves a near checkpoint (when none is close to it).
    fn near_point(&self, to: u64) -> Option<u64> {
        let n = to.checked_sub(NEAR / 2)?;
        (!self.cps.any_in(to.saturating_sub(NEAR), to)).then_some(n)
    }

    /// Whether to take a checkpoint at `icount`, and whether it is a near one.
    pub fn due(&self, icount: u64) -> Option<bool> {
        if let Task::Goto { at, .. } = self.task {
            if self.near_point(at) == Some(icount) {
                return Some(true);
            }
        }
        self.cps.due(icount).then_some(false)
    }

    /// The request that makes a worker carry on with `task`.
    /// Sends `task` to the checkpoint at `at` (one of ours), handing it the session: the
    /// request carries what gdb set up since the checkpoint was taken.
    pub fn hand_over(
        &self,
        at: u64,
        task: Task,
        furthest: u64,
        gdb: (&Breakpoints, &Files),
    ) -> std::io::Result<()> {
        let cp = self.cps.list.iter().find(|c| c.icount == at).expect("a checkpoint of the list");
        let mut w = Vec::new();
        encode_task(task, &mut w);
        w.push(furthest);
        gdb.0.encode(&mut w);
        self.cps.encode(&mut w);
        let mut fds = vec![self.status.raw()];
        fds.extend(self.cps.raw_fds());
        gdb.1.encode(&mut w, &mut fds);
        cp.chan.send(&w, &fds)
    }

    /// Reports the guest's end to the first process.
    pub fn report_end(&self, o: &Outcome) {
        if let Err(e) = self.status.send(&encode_outcome(o), &[]) {
            log::warn!("gdb: cannot report the guest's end: {e}");
        }
    }
}

/// Takes a checkpoint at `icount`. In the worker later forked from it, returns the
/// reverse state (with the task) and gdb's breakpoints and files the request carried.
pub(crate) fn checkpoint(r: &mut Reverse, icount: u64, near: bool) -> Option<(Reverse, Breakpoints, Files)> {
    let (words, chans) = checkpoint::take(&mut r.cps, icount, near)?;
    let mut words = words.into_iter();
    let mut chans = chans.into_iter();
    let task = decode_task(&mut words);
    let furthest = words.next().unwrap_or(0);
    let bps = Breakpoints::decode(&mut words);
    let status = chans.next().expect("the status channel comes first");
    let cps = Checkpoints::decode(&mut words, &mut chans);
    let files = Files::decode(&mut words, &mut chans.map(Channel::into_file));
    Some((Reverse { cps, furthest, task, status }, bps, files))
}

/// Bytes as words: the length, then 8 bytes a word.
pub(crate) fn pack(bytes: &[u8], w: &mut Vec<u64>) {
    w.push(bytes.len() as u64);
    w.extend(bytes.chunks(8).map(|c| {
        let mut b = [0u8; 8];
        b[..c.len()].copy_from_slice(c);
        u64::from_le_bytes(b)
    }));
}

pub(crate) fn unpack(w: &mut impl Iterator<Item = u64>) -> Vec<u8> {
    let len = w.next().unwrap_or(0) as usize;
    let mut out: Vec<u8> = w.take(len.div_ceil(8)).flat_map(u64::to_le_bytes).collect();
    out.truncate(len);
    out
}

fn encode_report(r: Report, w: &mut Vec<u64>) {
    match r {
        Report::Break(t) => w.extend([0, t as u64]),
        Report::Watch { tid, kind, addr } => w.extend([1, tid as u64, watch_kind_code(kind), addr]),
        Report::Step(t) => w.extend([2, t as u64]),
        Report::Begin => w.push(3),
    }
}

fn decode_report(w: &mut impl Iterator<Item = u64>) -> Report {
    let mut next = || w.next().unwrap_or(0);
    match next() {
        0 => Report::Break(next() as i32),
        1 => Report::Watch { tid: next() as i32, kind: watch_kind(next()), addr: next() },
        2 => Report::Step(next() as i32),
        _ => Report::Begin,
    }
}

pub(crate) fn watch_kind_code(k: WatchKind) -> u64 {
    match k {
        WatchKind::Write => 0,
        WatchKind::Read => 1,
        WatchKind::ReadWrite => 2,
    }
}

pub(crate) fn watch_kind(c: u64) -> WatchKind {
    match c {
        0 => WatchKind::Write,
        1 => WatchKind::Read,
        _ => WatchKind::ReadWrite,
    }
}

fn encode_task(t: Task, w: &mut Vec<u64>) {
    match t {
        Task::Forward => w.push(0),
        Task::Scan { from, end, want, .. } => {
            w.extend([1, from, end]);
            match want {
                Want::Continue => w.push(u64::MAX),
                Want::Step(tid) => w.push(tid as u64),
            }
        }
        Task::Goto { at, report } => {
            w.extend([2, at]);
            encode_report(report, w);
        }
    }
}

fn decode_task(w: &mut impl Iterator<Item = u64>) -> Task {
    match w.next().unwrap_or(0) {
        1 => {
            let (from, end) = (w.next().unwrap_or(0), w.next().unwrap_or(0));
            let want = match w.next().unwrap_or(u64::MAX) {
                u64::MAX => Want::Continue,
                t => Want::Step(t as i32),
            };
            Task::Scan { from, end, want, last: None }
        }
        2 => {
            let at = w.next().unwrap_or(0);
            Task::Goto { at, report: decode_report(w) }
        }
        _ => Task::Forward,
    }
}

fn encode_outcome(o: &Outcome) -> Vec<u64> {
    match o {
        Outcome::Exited(c) => vec![0, *c as u64],
        Outcome::Signaled { sig, rip, fault_addr, detail } => {
            let mut w = vec![1, *sig as u64, *rip, fault_addr.is_some() as u64, fault_addr.unwrap_or(0)];
            pack(detail.as_deref().unwrap_or("").as_bytes(), &mut w);
            w
        }
    }
}

fn decode_outcome(w: &[u64]) -> Option<Outcome> {
    match *w.first()? {
        0 => Some(Outcome::Exited(*w.get(1)? as i32)),
        _ => {
            let (sig, rip, has, fault) = (*w.get(1)?, *w.get(2)?, *w.get(3)?, *w.get(4)?);
            let bytes = unpack(&mut w.get(5..)?.iter().copied());
            let detail = (!bytes.is_empty()).then(|| String::from_utf8_lossy(&bytes).into_owned());
            Some(Outcome::Signaled { sig: sig as i32, rip, fault_addr: (has != 0).then_some(fault), detail })
        }
    }
}

/// A debugged replay: this (the first) process stays to wait for the guest's end, which
/// whichever process runs the session at the time reports; `debug` runs the session in a
/// forked child, with the reverse state it needs, and returns only in a child the guest
/// forked (which then ends as emu does).
pub(crate) fn supervise(debug: impl FnOnce(Reverse) -> Outcome) -> std::io::Result<Outcome> {
    let (here, there) = Channel::pair()?;
    match crate::host::fork() {
        Ok(0) => {
            drop(here);
            let r = Reverse { cps: Checkpoints::default(), furthest: 0, task: Task::Forward, status: there };
            Ok(debug(r))
        }
        Ok(child) => {
            drop(there);
            let got = here.recv();
            let _ = crate::host::waitpid(child, 0);
            match got {
                Ok(Some((w, _))) => decode_outcome(&w)
                    .ok_or_else(|| std::io::Error::other("the debugged replay reported its end garbled")),
                Ok(None) => Err(std::io::Error::other("the debugged replay ended without reporting how")),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(std::io::Error::other(format!("fork: {}", crate::abi::errno::describe(e).1))),
    }
}
