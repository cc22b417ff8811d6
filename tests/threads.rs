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

/// Robust mutexes (`roms/src/robust.c`): a thread exits holding one; emu walks its robust list
/// (set_robust_list) as Linux does, so the next locker gets EOWNERDEAD and can make it
/// consistent, or, without pthread_mutex_consistent, the mutex becomes unrecoverable.
fn robust(mode: &str) {
    Case::new(&format!("robust-{mode}.glibc"), "roms/bin/robust.glibc", &[mode]).check();
}

#[test]
fn robust_mutex_owner_exited() {
    robust("exit");
}

#[test]
fn robust_mutex_owner_exits_while_waited_on() {
    robust("waiter");
}

#[test]
fn robust_mutex_not_made_consistent() {
    robust("unrecov");
}
