//! `-L/--sysroot DIR` and `--chroot DIR` with a directory built here by copying the host's
//! ld.so, libc and a dynamic program (issue 3): the program runs from the sysroot, the
//! sysroot's own libc is the one loaded, a missing interpreter is reported with the path
//! tried, and nothing escapes a chroot. Needs an x86-64 Linux host with glibc at Debian's paths
//! (skipped, with the reason printed, elsewhere).

mod common;

use common::*;
use std::path::{Path, PathBuf};

const LD_SO: &str = "/lib64/ld-linux-x86-64.so.2";
const LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";
/// Needs only libc (checked by the native run of the copy).
const PROGRAM: &str = "/usr/bin/echo";
/// Where the program is put inside the sysroot: a path the host does not have, so it can only
/// be found through the sysroot.
const GUEST_PROGRAM: &str = "/opt/emutest-sysroot/echo";

fn unavailable() -> Option<String> {
    if !NATIVE {
        return Some("the host is not x86-64 Linux".into());
    }
    for p in [LD_SO, LIBC, PROGRAM] {
        if !Path::new(p).exists() {
            return Some(format!("{p} is absent"));
        }
    }
    if Path::new(GUEST_PROGRAM).exists() {
        return Some(format!("{GUEST_PROGRAM} exists on the host, so it proves nothing"));
    }
    None
}

/// Copies `host` (following symlinks) to `root/guest_path`.
fn put(root: &Path, guest_path: &str, host: &str) {
    let dst = root.join(guest_path.trim_start_matches('/'));
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    std::fs::copy(host, &dst).unwrap_or_else(|e| panic!("copy {host} to {}: {e}", dst.display()));
}

/// A sysroot with the interpreter where PT_INTERP says, libc where ld.so's default search path
/// (and the host's ld.so.cache) finds it, and the program at [`GUEST_PROGRAM`].
fn make_sysroot(tag: &str) -> PathBuf {
    let dir = scratch_dir(tag);
    put(&dir, LD_SO, LD_SO);
    put(&dir, LIBC, LIBC);
    put(&dir, GUEST_PROGRAM, PROGRAM);
    dir
}

#[test]
fn sysroot_runs_a_copied_dynamic_program() {
    if let Some(why) = unavailable() {
        eprintln!("SKIPPED sysroot: {why}");
        return;
    }
    let dir = make_sysroot("sysroot");
    let args = ["hello", "from", "the sysroot"];
    let native = Guest::new(PROGRAM).args(args).run_native();
    let mut g = Guest::new(GUEST_PROGRAM).args(args);
    g.argv0 = Some(PROGRAM.into()); // same argv[0] as the native run
    let sys = dir.display().to_string();
    let emu = g.run_emu(&["-L", &sys]);
    report("sysroot", &compare(&native, &emu), &emu);
    let emu_long = g.run_emu(&[&format!("--sysroot={sys}")]);
    report("sysroot (--sysroot=)", &compare(&native, &emu_long), &emu_long);
}

/// The libc in the sysroot is the one loaded: a broken one there makes the guest's ld.so fail,
/// although the host's libc is fine.
#[test]
fn sysroot_libc_is_the_one_loaded() {
    if let Some(why) = unavailable() {
        eprintln!("SKIPPED sysroot-libc: {why}");
        return;
    }
    let dir = make_sysroot("sysroot-libc");
    for p in [LIBC, "/usr/lib/x86_64-linux-gnu/libc.so.6"] {
        let f = dir.join(p.trim_start_matches('/'));
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, "not a library\n").unwrap();
    }
    let emu = Guest::new(GUEST_PROGRAM).run_emu(&["-L", &dir.display().to_string()]);
    assert_no_panic("sysroot-libc", &emu);
    let err = emu.stderr_text();
    assert_eq!(emu.status, Status::Exit(127), "the broken libc of the sysroot was not used; stderr:\n{err}");
    assert!(
        err.contains("error while loading shared libraries") && err.contains("libc.so.6"),
        "expected the guest ld.so's message about libc.so.6, got:\n{err}"
    );
}

fn missing_interp(dir: &Path) -> (Outcome, Vec<String>) {
    let emu = Guest::new("roms/bin/interp-missing").run_emu(&["-L", &dir.display().to_string()]);
    assert_no_panic("interp-missing", &emu);
    let lines = emu_lines(&emu.stderr);
    (emu, lines)
}

#[test]
fn sysroot_missing_interpreter_is_reported() {
    if !NATIVE {
        eprintln!("SKIPPED interp-missing: the native status needs an x86-64 Linux host");
        return;
    }
    let native = Guest::new("roms/bin/interp-missing").run_native();
    // The host kernel refuses it: ENOENT from execve, which Command reports as a spawn error.
    assert!(matches!(native.status, Status::SpawnError(_)), "native: {:?}", native.status);
    let dir = scratch_dir("interp-missing");
    let (emu, lines) = missing_interp(&dir);
    assert_eq!(emu.status, Status::Exit(127), "stderr:\n{}", emu.stderr_text());
    assert!(emu.stdout.is_empty());
    assert_eq!(lines.len(), 1, "expected one emu: line, got {lines:?}");
    assert!(
        lines[0].contains("/nonexistent/ld-emutest.so.2"),
        "the line must name the interpreter: {lines:?}"
    );
}

#[test]
fn sysroot_missing_interpreter_names_the_sysroot_path() {
    if !NATIVE {
        eprintln!("SKIPPED interp-missing-path: needs an x86-64 Linux host");
        return;
    }
    let dir = scratch_dir("interp-missing-path");
    let (emu, lines) = missing_interp(&dir);
    assert_eq!(emu.status, Status::Exit(127));
    let tried = dir.join("nonexistent/ld-emutest.so.2");
    assert!(
        lines.len() == 1 && lines[0].contains(&tried.display().to_string()),
        "expected one emu: line naming {}, got {lines:?}",
        tried.display()
    );
}

/// `--chroot DIR`: the copied program runs, and every escape attempt of `roms/bin/escape.glibc`
/// (`..`, absolute and relative symlinks, /proc/self/root, /proc/1/root, /proc/self/cwd,
/// /proc/self/fd/N, openat, chdir, a nested chroot, execve of a host program, a directory
/// listing) fails to read a file outside; getcwd and the /proc/self links show paths inside
/// the jail.
#[test]
fn chroot_jail_holds() {
    if let Some(why) = unavailable() {
        eprintln!("SKIPPED chroot: {why}");
        return;
    }
    let outside = scratch_dir("chroot");
    let jail = outside.join("jail");
    std::fs::create_dir_all(&jail).unwrap();
    let secret = outside.join("secret.txt");
    std::fs::write(&secret, "TOP SECRET\n").unwrap();
    put(&jail, LD_SO, LD_SO);
    put(&jail, LIBC, LIBC);
    put(&jail, GUEST_PROGRAM, PROGRAM);
    std::fs::copy(root().join("roms/bin/escape.glibc"), jail.join("escape")).unwrap();
    std::fs::write(jail.join("inside.txt"), "inside the jail\n").unwrap();
    std::os::unix::fs::symlink(&secret, jail.join("abs-link")).unwrap();
    std::os::unix::fs::symlink("/", jail.join("root-link")).unwrap();
    std::os::unix::fs::symlink("../secret.txt", jail.join("rel-link")).unwrap();
    let jail_s = jail.display().to_string();

    let native = Guest::new(PROGRAM).args(["in", "jail"]).run_native();
    let mut g = Guest::new(GUEST_PROGRAM).args(["in", "jail"]);
    g.argv0 = Some(PROGRAM.into());
    let emu = g.run_emu(&["--chroot", &jail_s]);
    report("chroot program", &compare(&native, &emu), &emu);

    let emu = Guest::new("/escape").args([secret.display().to_string()]).run_emu(&["--chroot", &jail_s]);
    assert_no_panic("chroot escape", &emu);
    let out = String::from_utf8_lossy(&emu.stdout).into_owned();
    assert!(out.starts_with("inside: inside the jail"), "/ is not the jail:\n{out}\n{}", emu.stderr_text());
    assert!(!out.contains("ESCAPED"), "escaped the chroot:\n{out}");
    assert!(out.contains("escapes: 0"), "incomplete run:\n{out}\n{}", emu.stderr_text());
    assert_eq!(emu.status, Status::Exit(0));
    for line in [
        "cwd after chdir(..) x30: /\n",
        "getcwd in /sub: /sub\n",
        "readlink /proc/self/cwd: /sub\n",
        "readlink /proc/self/root: /\n",
        "readlink /proc/self/exe: /escape\n",
        "execve of a host program: blocked\n",
    ] {
        assert!(out.contains(line), "expected {line:?} in:\n{out}");
    }
    assert!(
        out.lines().any(|l| l.starts_with("readlink /proc/self/fd/") && l.ends_with(": /inside.txt")),
        "/proc/self/fd/N must show the path inside the jail:\n{out}"
    );
    // The same program with -L (host fallback, no jail) does get out: the attempts are real.
    let _ = std::fs::remove_file(jail.join("made-link"));
    let emu = Guest::new("/escape").args([secret.display().to_string()]).run_emu(&["-L", &jail_s]);
    let out = String::from_utf8_lossy(&emu.stdout).into_owned();
    assert!(out.contains("host absolute path: ESCAPED"), "-L should fall back to host paths:\n{out}");
    // --chroot and -L together are a usage error.
    let emu = Guest::new("/escape").run_emu(&["--chroot", &jail_s, "-L", &jail_s]);
    assert_eq!(emu.status, Status::Exit(2));
    assert!(emu.stderr_text().contains("cannot be used with"), "{}", emu.stderr_text());
    // A host path (the program's own, outside the jail) is not found either.
    let emu = Guest::new(PROGRAM).run_emu(&["--chroot", &jail_s]);
    assert_eq!(emu.status, Status::Exit(127), "{PROGRAM} must not be found inside the jail");
}
