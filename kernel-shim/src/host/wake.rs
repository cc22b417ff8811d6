//! Wake-ups for the timers emu keeps itself.
//!
//! POSIX timers live in emu (their expiry is decided from the world's clocks), but a timer
//! must still interrupt a blocked host call and a running guest when it is due. A helper
//! host thread sleeps until the earliest expiry and then sends emu's own thread a private
//! host signal: the handler only sets a flag and stops the CPU loop, and blocking calls
//! return EINTR, exactly as for a forwarded signal. The helper holds no lock, so a fork
//! while it sleeps is safe; a forked child starts its own helper when it arms a timer.

use super::{ffi, getpid, os};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, Instant};

/// Nanoseconds after `WAKE_BASE` at which to wake emu; u64::MAX when no timer is armed.
static WAKE_AT: AtomicU64 = AtomicU64::new(u64::MAX);
static WAKE_DUE: AtomicBool = AtomicBool::new(false);
static WAKE_BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
/// (host pid, helper thread) of the helper serving this process.
static WAKER: std::sync::Mutex<Option<(i32, std::thread::Thread)>> = std::sync::Mutex::new(None);

/// The wake-up signal arrived (in its handler: atomics only).
pub(super) fn on_wake_signal() {
    emu_cpu::request_stop();
}

/// Whether a wake-up is due and not yet taken.
pub(super) fn due() -> bool {
    WAKE_DUE.load(std::sync::atomic::Ordering::Relaxed)
}

fn wake_ns_now() -> u64 {
    WAKE_BASE.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Asks for a wake-up `after` from now (None: no wake-up is needed).
pub fn wake_after(after: Option<Duration>) {
    let at =
        after.map_or(u64::MAX, |d| wake_ns_now().saturating_add(d.as_nanos().min(u64::MAX as u128) as u64));
    WAKE_AT.store(at, SeqCst);
    if at == u64::MAX {
        return;
    }
    let mut w = WAKER.lock().unwrap_or_else(|e| e.into_inner());
    let me = getpid();
    if w.as_ref().is_none_or(|(pid, _)| *pid != me) {
        ffi::install_wake_handler(os::wake_signal());
        let target = ffi::this_thread();
        let helper = std::thread::Builder::new()
            .name("emu-timer".into())
            .spawn(move || wake_loop(target))
            .map(|h| h.thread().clone());
        match helper {
            Ok(t) => *w = Some((me, t)),
            Err(e) => {
                log::warn!("cannot start the timer thread ({e}): timers fire only at the next event");
                return;
            }
        }
    }
    if let Some((_, t)) = w.as_ref() {
        t.unpark();
    }
}

fn wake_loop(target: ffi::HostThread) {
    // The helper never takes emu's own signals.
    ffi::block_all_signals_in_this_thread();
    loop {
        if WAKE_DUE.load(SeqCst) {
            // Not yet seen: the signal may have landed just before emu blocked in a host
            // call (and so interrupted nothing). Send it again until emu takes it.
            std::thread::park_timeout(Duration::from_millis(5));
            if WAKE_DUE.load(SeqCst) {
                ffi::signal_thread(target, os::wake_signal());
            }
            continue;
        }
        let at = WAKE_AT.load(SeqCst);
        let now = wake_ns_now();
        if at == u64::MAX {
            std::thread::park();
        } else if now < at {
            std::thread::park_timeout(Duration::from_nanos(at - now));
        } else if WAKE_AT.compare_exchange(at, u64::MAX, SeqCst, SeqCst).is_ok() {
            WAKE_DUE.store(true, SeqCst);
            ffi::signal_thread(target, os::wake_signal());
        }
    }
}

/// Whether a timer wake-up arrived since the last call.
pub fn take_wake_due() -> bool {
    WAKE_DUE.swap(false, SeqCst)
}
