//! futex: the wait queues under pthread mutexes, condition variables and joins. Waiters
//! are emu's own threads (see `crate::thread`), so waiting parks the thread and waking
//! makes it runnable; nothing blocks in the host. A futex in shared memory that is not
//! FUTEX_PRIVATE may also be waited on and woken by other processes (a semaphore between
//! a process and its fork, POSIX `sem_open`): there the host's futex takes part too.

use super::{read_struct, read_timespec, write_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::thread::{Wait, E_WOULDBLOCK};
use crate::Process;
use std::time::{Duration, Instant};

const FUTEX_WAIT: i32 = 0;
const FUTEX_WAKE: i32 = 1;
const FUTEX_REQUEUE: i32 = 3;
const FUTEX_CMP_REQUEUE: i32 = 4;
const FUTEX_WAKE_OP: i32 = 5;
const FUTEX_WAIT_BITSET: i32 = 9;
const FUTEX_WAKE_BITSET: i32 = 10;
const FUTEX_PRIVATE_FLAG: i32 = 128;
const FUTEX_CLOCK_REALTIME: i32 = 256;

fn load(p: &mut Process, addr: u64) -> Result<u32, i32> {
    if addr & 3 != 0 {
        return Err(E::EINVAL);
    }
    read_struct::<u32>(p, addr)
}

/// The deadline of a wait: FUTEX_WAIT takes a relative timeout, the BITSET form an
/// absolute one on CLOCK_MONOTONIC (or CLOCK_REALTIME with the flag).
fn deadline(p: &mut Process, addr: u64, absolute: bool, realtime: bool) -> Result<Option<Instant>, i32> {
    if addr == 0 {
        return Ok(None);
    }
    let want = read_timespec(p, addr)?.to_duration();
    if !absolute {
        return Ok(Some(p.world().instant() + want));
    }
    let (cs, cns) = p.world().clock_gettime(if realtime {
        crate::world::Clock::Realtime
    } else {
        crate::world::Clock::Monotonic
    });
    let now = Duration::new(cs.max(0) as u64, cns as u32);
    Ok(Some(p.world().instant() + want.saturating_sub(now)))
}

fn wait(
    p: &mut Process,
    addr: u64,
    val: u32,
    bitset: u32,
    until: Option<Instant>,
    private: bool,
) -> SysResult {
    if bitset == 0 {
        return Err(E::EINVAL);
    }
    if load(p, addr)? != val {
        p.cur_mut().deadline = None;
        return Err(E::EAGAIN);
    }
    if !private {
        if let Some(word) = p.cpu.mem.shared_word(addr) {
            return wait_shared(p, word, val, until);
        }
    }
    if !p.multithreaded() && until.is_none() {
        // No other thread can ever wake this one; only a signal can end the wait (the
        // world's: a virtual timer in deterministic mode, the log's when replaying).
        loop {
            p.world().wait_for_signal();
            p.collect_host_signals();
            if p.has_deliverable() {
                return Err(E::EINTR);
            }
        }
    }
    p.futex_seq += 1;
    let seq = p.futex_seq;
    p.park(Wait::Futex { addr, bitset, deadline: until, seq });
    Err(E_WOULDBLOCK)
}

/// A wait on a futex other processes share. Alone, the thread waits in the host's futex,
/// a little at a time so that signals and the deadline are seen; with other threads to
/// run, it polls the word (their FUTEX_WAKE and the other processes' stores both show
/// there), keeping its first deadline across the retries.
fn wait_shared(p: &mut Process, word: *mut u8, val: u32, until: Option<Instant>) -> SysResult {
    const SLICE: Duration = Duration::from_millis(50);
    if p.multithreaded() {
        let now = p.world().instant();
        let deadline =
            *p.cur_mut().deadline.get_or_insert(until.unwrap_or(now + Duration::from_secs(1 << 32)));
        if deadline <= now {
            p.cur_mut().deadline = None;
            return Err(E::ETIMEDOUT);
        }
        p.park(Wait::Retry { at: (now + Duration::from_millis(1)).min(deadline) });
        return Err(E_WOULDBLOCK);
    }
    loop {
        let now = p.world().instant();
        let left = match until {
            Some(d) if d <= now => return Err(E::ETIMEDOUT),
            Some(d) => (d - now).min(SLICE),
            None => SLICE,
        };
        match crate::host::futex_wait_shared(word, val, left) {
            Ok(true) => return Ok(0),
            Ok(false) | Err(E::EINTR) => {}
            Err(e) => return Err(e),
        }
        // SAFETY: `word` is a live, aligned word of a shared region (`shared_word`).
        if unsafe { std::ptr::read_volatile(word as *const u32) } != val {
            return Ok(0);
        }
        p.collect_host_signals();
        if p.has_deliverable() {
            return Err(E::EINTR);
        }
    }
}

/// Wakes up to `n` waiters of the futex at `addr`: this process's threads, then, for a
/// futex in shared memory, other processes' through the host.
fn wake(p: &mut Process, addr: u64, n: u32, bitset: u32, private: bool) -> u32 {
    let mut woken = p.futex_wake(addr, n, bitset);
    if !private && woken < n {
        if let Some(word) = p.cpu.mem.shared_word(addr) {
            woken += crate::host::futex_wake_shared(word, n - woken).unwrap_or(0);
        }
    }
    woken
}

/// FUTEX_WAKE_OP: *addr2 = op(*addr2, oparg); wake addr; if cmp(old, cmparg) wake addr2.
fn wake_op(p: &mut Process, a: &Args) -> SysResult {
    // val2 (the second wake count) travels in the timeout argument's register.
    let (addr, n, n2, addr2, enc) = (a.ptr(0), a.uint(2), a.uint(3), a.ptr(4), a.uint(5));
    let old = load(p, addr2)?;
    let shift = enc >> 31 != 0;
    let op = (enc >> 28) & 7;
    let cmp = (enc >> 24) & 15;
    let mut oparg = (enc >> 12) & 0xfff;
    let cmparg = enc & 0xfff;
    if shift {
        oparg = 1u32.checked_shl(oparg).unwrap_or(0);
    }
    let new = match op {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return Err(E::ENOSYS),
    };
    p.poke(addr2, &new.to_le_bytes()).map_err(|_| E::EFAULT)?;
    let private = a.int(1) & FUTEX_PRIVATE_FLAG != 0;
    let mut woken = wake(p, addr, n, u32::MAX, private);
    let hit = match cmp {
        0 => old == cmparg,
        1 => old != cmparg,
        2 => (old as i32) < cmparg as i32,
        3 => (old as i32) <= cmparg as i32,
        4 => (old as i32) > cmparg as i32,
        5 => (old as i32) >= cmparg as i32,
        _ => return Err(E::ENOSYS),
    };
    if hit {
        woken += wake(p, addr2, n2, u32::MAX, private);
    }
    Ok(woken as u64)
}

pub(super) fn futex(p: &mut Process, a: &Args) -> SysResult {
    let (addr, op, val, timeout, addr2, val3) =
        (a.ptr(0), a.int(1), a.uint(2), a.ptr(3), a.ptr(4), a.uint(5));
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    match op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) {
        FUTEX_WAIT => {
            let d = deadline(p, timeout, false, false)?;
            wait(p, addr, val, u32::MAX, d, private)
        }
        FUTEX_WAIT_BITSET => {
            let d = deadline(p, timeout, true, realtime)?;
            wait(p, addr, val, val3, d, private)
        }
        FUTEX_WAKE => Ok(wake(p, addr, val, u32::MAX, private) as u64),
        FUTEX_WAKE_BITSET => {
            if val3 == 0 {
                return Err(E::EINVAL);
            }
            Ok(wake(p, addr, val, val3, private) as u64)
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if op & 0x7f == FUTEX_CMP_REQUEUE && load(p, addr)? != val3 {
                return Err(E::EAGAIN);
            }
            // The requeue limit (val2) travels in the timeout argument's register.
            let woken = p.futex_wake(addr, val, u32::MAX);
            let moved = p.futex_requeue(addr, addr2, timeout as u32);
            Ok((woken + moved) as u64)
        }
        FUTEX_WAKE_OP => wake_op(p, a),
        _ => Err(E::ENOSYS),
    }
}

pub(super) fn get_robust_list(p: &mut Process, a: &Args) -> SysResult {
    let pid = a.pid(0);
    let t = if pid == 0 { p.cur() } else { p.threads.iter().find(|t| t.tid == pid).ok_or(E::ESRCH)? };
    let (head, len) = t.robust_list;
    write_struct(p, a.ptr(1), &head)?;
    write_struct(p, a.ptr(2), &len)?;
    Ok(0)
}
