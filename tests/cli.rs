//! The `emu` command line: options, what reaches the guest (argv, environment), and how emu
//! ends (exit status passthrough, death by the guest's signal, usage errors).
//!
//! Guest-visible effects are checked against the native run of the `auxv` rom given the
//! argv/environment the option is meant to produce.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

const AUXV: &str = "roms/bin/auxv.musl";
const HELLO: &str = "roms/bin/hello.musl";
const QUICK: Duration = Duration::from_secs(30);

/// `emu ARGS...` with the fixed environment, from the repository root.
fn emu_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(emu());
    c.args(args).env_clear().envs(FIXED_ENV.iter().copied()).current_dir(root());
    c
}

/// Runs emu with `emu_args` (which name the program) in the fixed environment and checks it
/// against the native run of `native`: the guest must see exactly what the native program
/// sees.
fn same_as_native(case: &str, emu_args: &[&str], native: &Guest) {
    let emu = run(emu_cmd(emu_args), RUN_TIMEOUT);
    if !NATIVE {
        eprintln!("{case}: not an x86-64 Linux host; checking only that emu ran the guest");
        assert_no_panic(case, &emu);
        assert_eq!(emu.status, Status::Exit(0), "{case}: stderr {}", emu.stderr_text());
        return;
    }
    let expected = native.run_native();
    report(case, &compare(&expected, &emu), &emu);
}

#[test]
fn version() {
    let o = run(emu_cmd(&["--version"]), QUICK);
    assert_no_panic("--version", &o);
    assert_eq!(o.status, Status::Exit(0), "stderr: {}", o.stderr_text());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("emu ") && out.contains(env!("CARGO_PKG_VERSION")), "--version printed {out:?}");
}

#[test]
fn help() {
    for flag in ["--help", "-h"] {
        let o = run(emu_cmd(&[flag]), QUICK);
        assert_no_panic(flag, &o);
        assert_eq!(o.status, Status::Exit(0), "{flag}: stderr {}", o.stderr_text());
        let out = String::from_utf8_lossy(&o.stdout);
        for opt in ["--sysroot", "--env", "--unset-env", "--argv0", "--verbose", "--version", "PROGRAM"] {
            assert!(out.contains(opt), "{flag} does not mention {opt}:\n{out}");
        }
    }
}

/// Usage errors: status 2, a message on stderr, nothing run.
fn usage_error(args: &[&str]) {
    let o = run(emu_cmd(args), QUICK);
    assert_no_panic(&format!("{args:?}"), &o);
    assert_eq!(o.status, Status::Exit(2), "emu {args:?}: stderr {}", o.stderr_text());
    assert!(!o.stderr.is_empty(), "emu {args:?}: usage error without a message");
    assert!(o.stdout.is_empty(), "emu {args:?}: printed on stdout: {}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn unknown_option_is_usage_error() {
    usage_error(&["--no-such-option", HELLO]);
    usage_error(&["-Q", HELLO]);
}

#[test]
fn missing_program_is_usage_error() {
    usage_error(&[]);
    usage_error(&["-v"]);
}

#[test]
fn option_missing_its_value_is_usage_error() {
    usage_error(&["-E"]);
    usage_error(&["--unset-env"]);
    usage_error(&["-0"]);
}

#[test]
fn env_option_without_equals_is_usage_error() {
    usage_error(&["-E", "NOEQUALS", HELLO]);
}

#[test]
fn arguments_after_program_go_to_the_guest() {
    let args = ["--help", "-v", "-E", "X=1", "--", "--version", "-0", "name"];
    let mut emu_args = vec![AUXV];
    emu_args.extend(args);
    same_as_native("arguments after PROGRAM", &emu_args, &Guest::new(AUXV).args(args));
}

#[test]
fn double_dash_before_program() {
    same_as_native("-- PROGRAM", &["--", AUXV, "a", "b"], &Guest::new(AUXV).args(["a", "b"]));
}

#[test]
fn env_sets_a_new_variable() {
    same_as_native(
        "-E new",
        &["-E", "EMU_TEST_VAR=hello world", AUXV, "-s"],
        &Guest::new(AUXV).args(["-s"]).env("EMU_TEST_VAR", "hello world"),
    );
}

#[test]
fn env_long_form_and_value_with_equals_signs() {
    same_as_native(
        "--env a=b=c",
        &["--env", "EMU_TEST_VAR=a=b=c", AUXV, "-s"],
        &Guest::new(AUXV).args(["-s"]).env("EMU_TEST_VAR", "a=b=c"),
    );
    same_as_native(
        "--env=",
        &["--env=EMU_TEST_VAR=", AUXV, "-s"],
        &Guest::new(AUXV).args(["-s"]).env("EMU_TEST_VAR", ""),
    );
}

#[test]
fn env_replaces_an_inherited_variable() {
    same_as_native(
        "-E HOME",
        &["-E", "HOME=/elsewhere", AUXV, "-s"],
        &Guest::new(AUXV).args(["-s"]).env("HOME", "/elsewhere"),
    );
}

#[test]
fn unset_env_removes_an_inherited_variable() {
    let mut c = emu_cmd(&["-U", "UNSET_ME", AUXV, "-s"]);
    c.env("UNSET_ME", "1");
    let emu = run(c, RUN_TIMEOUT);
    if NATIVE {
        let expected = Guest::new(AUXV).args(["-s"]).run_native();
        report("-U", &compare(&expected, &emu), &emu);
    } else {
        assert_no_panic("-U", &emu);
        assert!(!String::from_utf8_lossy(&emu.stdout).contains("UNSET_ME=1"));
    }
}

#[test]
fn env_options_repeat_and_combine() {
    same_as_native(
        "-E -E -U --unset-env",
        &["-E", "A=1", "-E", "B=2", "-U", "HOME", "--unset-env", "TZ", "-E", "A=3", AUXV, "-s"],
        &Guest::new(AUXV).args(["-s"]).env("A", "3").env("B", "2").unset_env("HOME").unset_env("TZ"),
    );
}

#[test]
fn unset_of_an_absent_variable_is_harmless() {
    same_as_native("-U absent", &["-U", "NOT_THERE", AUXV], &Guest::new(AUXV));
}

#[test]
fn environment_order_is_kept() {
    // Without -s the rom prints the environment in order: emu passes its own unchanged.
    same_as_native("env order", &[AUXV], &Guest::new(AUXV));
}

#[test]
fn argv0_option() {
    let mut g = Guest::new(AUXV).args(["x"]);
    g.argv0 = Some("custom-name".into());
    same_as_native("-0", &["-0", "custom-name", AUXV, "x"], &g);
    g.argv0 = Some("/a/path/with spaces".into());
    same_as_native("--argv0", &["--argv0", "/a/path/with spaces", AUXV, "x"], &g);
}

#[test]
fn sysroot_option_does_not_disturb_a_static_program() {
    // A static program opens no libraries, so a sysroot changes nothing it can see.
    same_as_native("-L /", &["-L", "/", HELLO], &Guest::new(HELLO));
    same_as_native("--sysroot=/", &["--sysroot=/", HELLO], &Guest::new(HELLO));
}

#[test]
fn verbose_logs_go_to_stderr_only() {
    for v in ["-v", "-vv", "--verbose"] {
        let o = run(emu_cmd(&[v, HELLO]), RUN_TIMEOUT);
        assert_no_panic(v, &o);
        assert_eq!(o.status, Status::Exit(0), "{v}: stderr {}", o.stderr_text());
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "Hello, world!\nputs works too\n",
            "{v}: logging must not reach the guest's stdout"
        );
    }
}

#[test]
fn exit_status_is_passed_through() {
    for (prog, args, code) in [
        ("roms/bin/asm-exit42", &[][..], 42),
        ("roms/bin/exitcode.glibc", &["exit", "42"][..], 42),
        ("roms/bin/exitcode.musl", &["exit", "1"][..], 1),
        ("roms/bin/exitcode.glibc", &["_exit", "255"][..], 255),
        ("roms/bin/exitcode.pie", &["ret", "0"][..], 0),
    ] {
        let mut a = vec![prog];
        a.extend(args);
        let o = run(emu_cmd(&a), RUN_TIMEOUT);
        assert_no_panic(prog, &o);
        assert_eq!(o.status, Status::Exit(code), "{prog} {args:?}: stderr {}", o.stderr_text());
        assert!(emu_lines(&o.stderr).is_empty(), "{prog}: emu wrote {:?}", emu_lines(&o.stderr));
    }
}

/// A guest killed by a signal: one `emu: guest killed by SIGNAME` line, then emu dies of the
/// same signal.
fn dies_of(prog: &str, args: &[&str], sig: &str) {
    let dir = scratch_dir("signal"); // a core file, if any, lands here
    let abs = root().join(prog);
    let mut c = Command::new(emu());
    c.arg(&abs).args(args).env_clear().envs(FIXED_ENV.iter().copied()).current_dir(&dir);
    let o = run(c, RUN_TIMEOUT);
    assert_no_panic(prog, &o);
    let want = signal_number(sig).expect("known signal");
    assert_eq!(o.status, Status::Signal(want), "{prog} {args:?}: stderr {}", o.stderr_text());
    let lines = emu_lines(&o.stderr);
    assert_eq!(lines.len(), 1, "{prog}: expected one emu: line, got {lines:?}");
    assert!(lines[0].starts_with(&format!("emu: guest killed by {sig}")), "{prog}: emu said {:?}", lines[0]);
}

#[test]
fn guest_sigsegv_kills_emu_with_sigsegv() {
    dies_of("roms/bin/crash.glibc", &["segv"], "SIGSEGV");
    dies_of("roms/bin/crash.musl", &["segv-read"], "SIGSEGV");
}

#[test]
fn guest_sigill_kills_emu_with_sigill() {
    dies_of("roms/bin/asm-ud2", &[], "SIGILL");
    dies_of("roms/bin/crash.pie", &["ill"], "SIGILL");
}

#[test]
fn guest_sigfpe_kills_emu_with_sigfpe() {
    dies_of("roms/bin/crash.musl", &["fpe"], "SIGFPE");
}

#[test]
fn program_found_through_path_like_a_shell() {
    // PROGRAM without a slash is looked up in PATH (as a shell would before exec).
    let bin = root().join("roms/bin");
    let mut c = Command::new(emu());
    c.args(["hello.musl"]).env_clear().env("PATH", &bin).current_dir(root());
    let o = run(c, RUN_TIMEOUT);
    assert_no_panic("PATH lookup", &o);
    assert_eq!(o.status, Status::Exit(0), "stderr {}", o.stderr_text());
    assert_eq!(String::from_utf8_lossy(&o.stdout), "Hello, world!\nputs works too\n");
}

/// `--stats` reports on the trace sink without changing what the guest does: the guest's
/// stdout and exit status stay those of the native run, and the JSON record counts the
/// syscalls the guest made.
#[test]
fn stats_as_json_lines_in_the_trace_file() {
    let dir = scratch_dir("stats");
    let file = dir.join("trace.jsonl");
    let f = file.to_str().unwrap();
    let emu = run(emu_cmd(&["--stats", "--trace-format", "json", "--trace-file", f, HELLO]), QUICK);
    assert_no_panic("stats", &emu);
    if NATIVE {
        let native = Guest::new(HELLO).run_native();
        report("stats", &compare(&native, &emu), &emu);
    }
    let text = std::fs::read_to_string(&file).expect("trace file written");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one stats record: {text}");
    let l = lines[0];
    assert!(l.starts_with("{\"type\":\"stats\",") && l.ends_with('}'), "{l}");
    let insns: u64 =
        l.split("\"instructions\":").nth(1).and_then(|r| r.split(',').next()).unwrap().parse().unwrap();
    assert!(insns > 1000, "{l}");
    // hello.musl writes with writev/write and ends with exit_group.
    assert!(l.contains("\"exit_group\":1"), "{l}");
}

#[test]
fn trace_file_that_cannot_be_created_is_a_usage_error() {
    let emu = run(emu_cmd(&["--stats", "--trace-file", "/nonexistent-dir/t", HELLO]), QUICK);
    assert_no_panic("trace-file", &emu);
    assert_eq!(emu.status, Status::Exit(2));
    let lines = emu_lines(&emu.stderr);
    assert!(lines.len() == 1 && lines[0].contains("cannot create trace file"), "{lines:?}");
    assert!(emu.stdout.is_empty(), "the guest must not run");
}

/// A death whose default action leaves no core (SIGTERM, SIGKILL, SIGPIPE...) is as quiet
/// under emu as natively: no `emu:` line, the same wait status.
#[test]
fn deaths_without_a_core_are_silent() {
    if !NATIVE || !std::path::Path::new("/bin/sh").exists() {
        eprintln!("skipped: needs an x86-64 Linux host with /bin/sh");
        return;
    }
    for sig in ["TERM", "KILL", "USR1", "PIPE", "INT"] {
        let script = format!("echo before; kill -{sig} $$; echo after");
        let native = run(
            {
                let mut c = Command::new("/bin/sh");
                c.args(["-c", &script]).env_clear().envs(FIXED_ENV.iter().copied());
                c
            },
            RUN_TIMEOUT,
        );
        let o = run(emu_cmd(&["/bin/sh", "-c", &script]), RUN_TIMEOUT);
        assert_no_panic("/bin/sh", &o);
        assert!(matches!(native.status, Status::Signal(_)), "SIG{sig}: native {:?}", native.status);
        assert_eq!(o.status, native.status, "SIG{sig}: stderr {}", o.stderr_text());
        assert_eq!(o.stdout, native.stdout, "SIG{sig}");
        assert!(o.stderr.is_empty(), "SIG{sig}: emu wrote {:?}", o.stderr_text());
    }
}
