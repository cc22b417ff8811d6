//! Process trees (`roms/src/procs.c`, static glibc): fork and wait statuses, stop/continue,
//! execve of another rom and of `#!` scripts with interpreter arguments, pipes between
//! processes, SIGPIPE, close-on-exec and signal dispositions across execve, /proc/self/exe
//! after execve, SIGCHLD, vfork, posix_spawn, system(). Native run vs emu.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;

use rom_case::{Case, SCRATCH};

fn procs(mode: &str, args: &[&str]) -> Case {
    let mut all = vec![mode];
    all.extend_from_slice(args);
    Case::new(&format!("procs-{mode}.glibc"), "roms/bin/procs.glibc", &all)
}

#[test]
fn fork_wait_statuses() {
    procs("wait", &[]).in_scratch().check();
}

#[test]
fn waitid_siginfo() {
    procs("waitid", &[]).in_scratch().check();
}

#[test]
fn stop_continue() {
    procs("stop", &[]).in_scratch().check();
}

#[test]
fn execve_another_rom() {
    procs("exec", &["roms/bin/hello.glibc"]).check();
}

#[test]
fn execve_shebang_scripts() {
    procs("script", &[SCRATCH]).check();
}

#[test]
fn pipes_between_processes() {
    procs("pipe", &[]).check();
}

#[test]
fn cloexec_and_dispositions_across_execve() {
    procs("cloexec", &[]).check();
}

#[test]
fn proc_self_exe_after_execve() {
    procs("exe", &[SCRATCH]).check();
}

#[test]
fn sigchld_handler() {
    procs("sigchld", &[]).check();
}

#[test]
#[ignore = "emu bug: vfork/CLONE_VM|CLONE_VFORK child does not share the parent's memory"]
fn vfork_shares_memory() {
    procs("vfork", &[]).check();
}

#[test]
#[ignore = "emu bug: posix_spawn of a missing program returns 0 (child exits 127) instead of ENOENT: CLONE_VM|CLONE_VFORK memory not shared"]
fn posix_spawn() {
    procs("spawn", &[]).check();
}

#[test]
fn system_runs_host_sh() {
    procs("system", &[]).needs_host().check();
}
