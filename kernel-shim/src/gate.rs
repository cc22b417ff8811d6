//! The one gate for non-determinism. Everything the guest can learn from the outside
//! world that may differ between runs — time, randomness, identities — comes through
//! here, so that it can later be fixed (deterministic mode) or recorded and replayed.

use crate::host;

/// Time of a Linux clock id as (seconds, nanoseconds).
pub fn clock_gettime(clock: u32) -> (i64, i64) {
    match clock {
        // CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_TAI
        0 | 5 | 11 => host::clock(0),
        // CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID
        2 | 3 => {
            let ns = host::cpu_time_ns();
            (ns / 1_000_000_000, ns % 1_000_000_000)
        }
        // CLOCK_MONOTONIC and its variants (RAW, COARSE, BOOTTIME)
        _ => host::clock(1),
    }
}

pub fn random_bytes(buf: &mut [u8]) {
    if host::getentropy(buf).is_err() {
        // getentropy cannot fail for sizes we pass on supported hosts; keep going with a
        // time-derived fill rather than aborting the guest.
        let (s, ns) = host::clock(1);
        let mut x = (s as u64) ^ ((ns as u64) << 20) ^ 0x9e37_79b9_7f4a_7c15;
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
}

pub fn pid() -> i32 {
    host::getpid()
}

pub fn ppid() -> i32 {
    host::getppid()
}

pub fn tsc(cpu: &emu_cpu::Cpu) -> u64 {
    let _ = cpu;
    let (s, ns) = host::clock(1);
    // A 3 GHz invariant TSC derived from the monotonic clock.
    (s as u64).wrapping_mul(3_000_000_000).wrapping_add(ns as u64 * 3)
}
