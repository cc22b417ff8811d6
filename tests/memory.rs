//! Shared memory and the memory calls around it (`roms/src/shm.c`, static glibc): MAP_SHARED
//! file mappings coherent with read/pwrite and across fork, MAP_SHARED|MAP_ANONYMOUS across
//! fork, SIGBUS past the end of a shared file and its growth, memfd_create, POSIX
//! semaphores between processes (a futex in shared memory), huge PROT_NONE reservations
//! with mincore, mlock, membarrier and msync; System V shared memory, semaphores and
//! message queues (`roms/src/sysvipc.c`). Native run vs emu.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;

use rom_case::{Case, SCRATCH};

fn shm(mode: &str) -> Case {
    Case::new(&format!("shm-{mode}.glibc"), "roms/bin/shm.glibc", &[mode, SCRATCH]).in_scratch()
}

#[test]
fn shared_file_mappings() {
    shm("file").check();
}

#[test]
fn shared_anonymous_memory_across_fork() {
    shm("anon").check();
}

#[test]
fn sigbus_past_the_end_of_a_shared_file() {
    shm("sigbus").check();
}

#[test]
fn memfd_create_shared_with_a_child() {
    shm("memfd").check();
}

#[test]
fn semaphores_between_processes() {
    shm("sem").check();
}

#[test]
fn huge_reservations_cost_what_they_touch() {
    shm("reserve").check();
}

#[test]
fn mlock_membarrier_msync() {
    shm("misc").check();
}

#[test]
fn sysv_shared_memory_across_fork() {
    shm("sysv").check();
}

fn sysvipc(mode: &str) -> Case {
    Case::new(&format!("sysvipc-{mode}.glibc"), "roms/bin/sysvipc.glibc", &[mode])
}

#[test]
fn sysv_semaphores_between_processes() {
    sysvipc("sem").check();
}

#[test]
fn sysv_message_queues_between_processes() {
    sysvipc("msg").check();
}
