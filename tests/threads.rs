//! POSIX threads (`roms/src/threads.c`, static glibc): 8 threads taking turns enforced by a
//! condition variable, a contended mutex and atomics, join values, __thread and thread-specific
//! data, pthread_once, a barrier, signals aimed at threads. Native run vs emu.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;

use rom_case::Case;

fn threads(mode: &str) {
    Case::new(&format!("threads-{mode}.glibc"), "roms/bin/threads.glibc", &[mode]).check();
}

#[test]
fn condvar_turns() {
    threads("turns");
}

#[test]
fn mutex_contention() {
    threads("contend");
}

#[test]
fn join_values() {
    threads("join");
}

#[test]
fn thread_local_storage() {
    threads("tls");
}

#[test]
fn pthread_once() {
    threads("once");
}

#[test]
fn barrier() {
    threads("barrier");
}

#[test]
fn signals_to_threads() {
    threads("signal");
}
