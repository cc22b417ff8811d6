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
fn vfork_shares_memory() {
    procs("vfork", &[]).check();
}

#[test]
fn posix_spawn() {
    procs("spawn", &[]).check();
}

#[test]
fn system_runs_host_sh() {
    procs("system", &[]).needs_host().check();
}

/// python3's `os.posix_spawn` and `subprocess` (both vfork-based) report a missing program
/// to the parent as the native run does: the vfork child's stores reach the parent.
#[test]
fn python_spawn_of_a_missing_program() {
    const PY: &str = "/usr/bin/python3";
    if !common::NATIVE || !std::path::Path::new(PY).exists() {
        eprintln!("SKIPPED python-spawn: needs {PY} on an x86-64 Linux host");
        return;
    }
    let script = "import os, subprocess\n\
        for f in (lambda: os.posix_spawn('/nonexistent/prog', ['x'], {}),\n\
                  lambda: os.posix_spawnp('nonexistent-prog', ['x'], {}),\n\
                  lambda: subprocess.run(['/nonexistent/prog'])):\n\
        \x20   try:\n\
        \x20       f()\n\
        \x20   except OSError as e:\n\
        \x20       print(type(e).__name__, e.errno)\n\
        print(subprocess.run(['/bin/echo', 'ok'], capture_output=True).stdout)";
    let g = common::Guest::new(PY).args(["-c", script]);
    let native = g.run_native();
    let emu = g.run_emu(&[]);
    common::report("python-spawn", &common::compare(&native, &emu), &emu);
}
