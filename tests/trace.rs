//! `--trace=plt,insn,block`, `--watch`, `--profile` and the crash report, checked against
//! facts from the files themselves: PLT stubs and GOT slots from `objdump -d` and
//! `readelf -r`, symbol values from `nm`, load bases from the trace's own `--trace=mmap`
//! records. JSON output must parse as JSON Lines. Needs an x86-64 Linux host with binutils
//! (the dynamic roms use the host's ld.so and libc).

mod common;

use common::{scratch_dir, Guest, Status, NATIVE};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn tool(args: &[&str]) -> Option<String> {
    let out = Command::new(args[0]).args(&args[1..]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn hex(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a hex string: {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

/// Runs a rom under emu with trace options, JSON Lines into a file; returns the records
/// (every line must parse) and the outcome.
fn traced(rom: &str, opts: &[&str], env: &[(&str, &str)]) -> (Vec<Value>, common::Outcome) {
    let mut g = Guest::new(format!("roms/bin/{rom}"));
    for (k, v) in env {
        g = g.env(k, v);
    }
    traced_guest(rom, g, opts)
}

/// [`traced`] with arguments for the rom.
fn traced_args(rom: &str, args: &[&str], opts: &[&str]) -> (Vec<Value>, common::Outcome) {
    traced_guest(rom, Guest::new(format!("roms/bin/{rom}")).args(args), opts)
}

fn traced_guest(rom: &str, g: Guest, opts: &[&str]) -> (Vec<Value>, common::Outcome) {
    let dir = scratch_dir("trace");
    let file = dir.join("trace.jsonl");
    let mut all: Vec<&str> = vec!["--trace-format", "json", "--trace-file", file.to_str().unwrap()];
    all.extend_from_slice(opts);
    let o = g.run_emu(&all);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let recs = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{rom}: not JSON ({e}): {l}")))
        .collect();
    (recs, o)
}

fn of_type<'a>(recs: &'a [Value], t: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| r["type"] == t).collect()
}

/// Where the guest mapped file offset 0 of `file` (its load base), from `--trace=mmap`.
fn load_base(recs: &[Value], file: &str) -> u64 {
    let r = of_type(recs, "mmap")
        .into_iter()
        .find(|r| r["name"].as_str().is_some_and(|n| n.ends_with(file)) && hex(&r["offset"]) == 0)
        .unwrap_or_else(|| panic!("no mmap record of {file}"));
    hex(&r["start"])
}

/// `st_value` of a defined dynamic symbol, from `nm -D`.
fn nm_value(file: &Path, name: &str) -> u64 {
    let out = tool(&["nm", "-D", "--defined-only", file.to_str().unwrap()]).expect("nm");
    let l = out
        .lines()
        .find(|l| {
            l.split_whitespace().nth(2).is_some_and(|n| n == name || n.starts_with(&format!("{name}@")))
        })
        .unwrap_or_else(|| panic!("{name} not in nm -D {}", file.display()));
    u64::from_str_radix(l.split_whitespace().next().unwrap(), 16).unwrap()
}

/// The GOT slot (file address) of `name` from `readelf -r`, with the relocation type.
fn reloc(file: &Path, name: &str) -> (u64, String) {
    let out = tool(&["readelf", "-rW", file.to_str().unwrap()]).expect("readelf");
    let l = out
        .lines()
        .find(|l| l.split_whitespace().nth(4).is_some_and(|n| n.split('@').next() == Some(name)))
        .unwrap_or_else(|| panic!("no relocation of {name} in {}", file.display()));
    let f: Vec<&str> = l.split_whitespace().collect();
    (u64::from_str_radix(f[0], 16).unwrap(), f[2].to_string())
}

/// Address of `name@plt` and of the instruction after its `jmp *GOT`, from `objdump -d`.
fn objdump_stub(file: &Path, name: &str) -> (u64, u64) {
    let out =
        tool(&["objdump", "-d", "-j", ".plt", "-j", ".plt.sec", file.to_str().unwrap()]).expect("objdump");
    let mut lines = out.lines().skip_while(|l| !l.ends_with(&format!("<{name}@plt>:")));
    let head = lines.next().unwrap_or_else(|| panic!("no {name}@plt in {}", file.display()));
    let stub = u64::from_str_radix(head.split_whitespace().next().unwrap(), 16).unwrap();
    let second = lines.nth(1).expect("second instruction of the stub");
    let next = u64::from_str_radix(second.split(':').next().unwrap().trim(), 16).unwrap();
    (stub, next)
}

fn rom(name: &str) -> std::path::PathBuf {
    common::root().join("roms/bin").join(name)
}

fn plt_calls<'a>(recs: &'a [Value], stub_name: &str) -> Vec<&'a Value> {
    of_type(recs, "plt")
        .into_iter()
        .filter(|r| {
            r["stub_name"] == stub_name && r["caller_loc"].as_str().is_some_and(|c| c.contains("!main+"))
        })
        .collect()
}

/// The bound target is the library's load base plus the symbol's st_value.
fn assert_target(recs: &[Value], r: &Value, sym: &str) {
    let base = load_base(recs, "libemutest.so");
    let want = base + nm_value(&rom("libemutest.so"), sym);
    assert_eq!(hex(&r["target"]), want, "{sym}: target != base {base:#x} + st_value: {r}");
    assert_eq!(hex(&r["object_base"]), base, "{r}");
    assert_eq!(r["object"], "libemutest.so");
}

fn check_lazy(rom_name: &str) {
    let (recs, o) = traced(rom_name, &["--trace=plt,mmap"], &[]);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    let file = rom(rom_name);
    let main_base = load_base(&recs, rom_name);
    // Non-PIE files are linked at their address; a PIE's file addresses start at 0.
    let bias = if tool(&["readelf", "-hW", file.to_str().unwrap()]).unwrap().contains("EXEC (") {
        0
    } else {
        main_base
    };
    let (slot, ty) = reloc(&file, "emutest_bump");
    assert_eq!(ty, "R_X86_64_JUMP_SLOT");
    let (stub, after_jmp) = objdump_stub(&file, "emutest_bump");
    let calls = plt_calls(&recs, "emutest_bump@plt");
    assert!(calls.len() >= 2, "{rom_name}: two calls of emutest_bump expected, got {calls:?}");
    let (first, second) = (calls[0], calls[1]);
    for r in [first, second] {
        assert_eq!(hex(&r["stub"]), stub + bias, "{r}");
        assert_eq!(hex(&r["got"]), slot + bias, "{r}");
        assert_target(&recs, r, "emutest_bump");
    }
    // First call: the slot points back into the stub (its push), the resolver runs and
    // writes the slot.
    assert_eq!(first["lazy"], true, "{first}");
    assert_eq!(hex(&first["got_before"]), after_jmp + bias, "{first}");
    let w = &first["got_write"];
    assert_eq!(hex(&w["old"]), after_jmp + bias, "{first}");
    assert_eq!(hex(&w["new"]), hex(&first["target"]), "{first}");
    assert!(w["insn_loc"].as_str().unwrap().starts_with("ld-linux-x86-64.so.2"), "{first}");
    let path: Vec<&str> = first["path"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(
        path.first().is_some_and(|p| p.starts_with("_dl_runtime_resolve") || p.contains('+')),
        "{path:?}"
    );
    if path.first().is_some_and(|p| p.starts_with("_dl_runtime_resolve")) {
        // ld.so's own symbols come from its debug file (libc6-dbg) when installed.
        assert!(path.contains(&"_dl_fixup"), "{path:?}");
        assert!(w["insn_loc"].as_str().unwrap().contains("_dl_fixup"), "{first}");
    }
    // Second call: bound, straight to the target.
    assert_eq!(second["lazy"], false, "{second}");
    assert_eq!(second["direct"], true, "{second}");
    assert_eq!(hex(&second["got_before"]), hex(&second["target"]), "{second}");
}

#[test]
fn plt_lazy_binding_pie() {
    if NATIVE {
        check_lazy("dyn.lazy");
    }
}

#[test]
fn plt_lazy_binding_non_pie() {
    if NATIVE {
        check_lazy("dyn.nopie");
    }
}

fn check_now(rom_name: &str, env: &[(&str, &str)]) {
    let (recs, o) = traced(rom_name, &["--trace=plt,mmap"], env);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    let file = rom(rom_name);
    let main_base = load_base(&recs, rom_name);
    let (slot, _) = reloc(&file, "emutest_add");
    // Start-up relocation fills the slot with the target before main runs.
    let fill = of_type(&recs, "got_write")
        .into_iter()
        .find(|r| {
            r["name"] == "emutest_add" && r["object"] == rom_name && hex(&r["slot"]) == slot + main_base
        })
        .unwrap_or_else(|| panic!("{rom_name}: no start-up GOT write of emutest_add"));
    let base = load_base(&recs, "libemutest.so");
    assert_eq!(hex(&fill["new"]), base + nm_value(&rom("libemutest.so"), "emutest_add"), "{fill}");
    let calls = plt_calls(&recs, "emutest_add@plt");
    assert!(!calls.is_empty(), "{rom_name}: no call of emutest_add");
    for r in calls {
        assert_eq!(r["lazy"], false, "{r}");
        assert_eq!(r["direct"], true, "{r}");
        assert_target(&recs, r, "emutest_add");
    }
}

#[test]
fn plt_now_binding_fills_slots_at_start_up() {
    if NATIVE {
        check_now("dyn.now", &[]);
        check_now("dyn.lazy", &[("LD_BIND_NOW", "1")]);
    }
}

#[test]
fn plt_no_plt_calls_go_through_the_got() {
    if !NATIVE {
        return;
    }
    let (recs, o) = traced("dyn.noplt", &["--trace=plt,mmap"], &[]);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    let (slot, ty) = reloc(&rom("dyn.noplt"), "emutest_bump");
    assert_eq!(ty, "R_X86_64_GLOB_DAT");
    let base = load_base(&recs, "dyn.noplt");
    let calls = plt_calls(&recs, "*GOT[emutest_bump]");
    assert!(calls.len() >= 2, "{calls:?}");
    for r in calls {
        assert_eq!(hex(&r["got"]), slot + base, "{r}");
        assert_eq!(r["direct"], true, "{r}");
        assert_target(&recs, r, "emutest_bump");
    }
}

#[test]
fn plt_text_output_tells_the_story() {
    if !NATIVE {
        return;
    }
    let o = Guest::new("roms/bin/dyn.lazy").run_emu(&["--trace=plt"]);
    assert_eq!(o.status, Status::Exit(0));
    let t = o.stderr_text();
    assert!(t.contains("dyn.lazy!main+"), "{t}");
    assert!(t.contains("calls emutest_bump@plt"), "{t}");
    assert!(t.contains("not bound yet, lazy binding"), "{t}");
    assert!(t.contains("resolved emutest_bump in libemutest.so"), "{t}");
    assert!(t.contains("bound, jumped straight to libemutest.so!emutest_bump"), "{t}");
}

/// (address, bytes, mnemonic) of each instruction of `sym` in `objdump -d`.
fn objdump_function(file: &Path, sym: &str) -> Vec<(u64, String, String)> {
    let out = tool(&["objdump", "-d", "--no-show-raw-insn", file.to_str().unwrap()]).expect("objdump");
    let raw = tool(&["objdump", "-d", "--insn-width=15", file.to_str().unwrap()]).expect("objdump");
    let body = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.ends_with(&format!("<{sym}>:")))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    };
    let with_bytes = body(&raw);
    let mut v = Vec::new();
    for (l, b) in body(&out).iter().zip(with_bytes.iter().filter(|l| l.split('\t').count() >= 3)) {
        let (a, rest) = l.split_once(':').unwrap();
        let mnem = rest.split_whitespace().next().unwrap_or("").to_string();
        let bytes: String = b.split('\t').nth(1).unwrap().split_whitespace().collect();
        v.push((u64::from_str_radix(a.trim(), 16).unwrap(), bytes, mnem));
    }
    v
}

#[test]
fn insn_trace_matches_objdump() {
    if !NATIVE {
        return;
    }
    // Non-PIE: guest addresses are file addresses.
    let want = objdump_function(&rom("dyn.nopie"), "main");
    assert!(want.len() > 20);
    let (recs, o) = traced("dyn.nopie", &["--trace=insn", "--trace-symbol", "main"], &[]);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    let insns = of_type(&recs, "insn");
    assert!(insns.len() >= 20, "{}", insns.len());
    let mut last = 0;
    for r in &insns {
        let a = hex(&r["addr"]);
        let (_, bytes, mnem) = want.iter().find(|w| w.0 == a).unwrap_or_else(|| panic!("{r} not in main"));
        assert_eq!(r["bytes"].as_str().unwrap(), bytes, "{r}");
        let asm = r["asm"].as_str().unwrap();
        // iced and objdump agree on mnemonics except for size suffixes objdump adds.
        assert!(asm.starts_with(mnem.trim_end_matches(['q', 'l'])), "{r} vs objdump {mnem}");
        assert!(r["loc"].as_str().unwrap().starts_with("dyn.nopie!main"), "{r}");
        let seq = r["seq"].as_u64().unwrap();
        assert!(seq > last || last == 0);
        last = seq;
    }
    // The first instruction of main is the first traced.
    assert_eq!(hex(&insns[0]["addr"]), want[0].0);

    // --trace-start / --trace-limit select by instruction count.
    let (recs, _) =
        traced("dyn.nopie", &["--trace=insn", "--trace-start", "100", "--trace-limit", "50"], &[]);
    let insns = of_type(&recs, "insn");
    assert_eq!(insns.len(), 50);
    assert_eq!(insns[0]["seq"], 100);
    assert_eq!(insns[49]["seq"], 149);
    assert!(insns.iter().all(|r| r["loc"].as_str().is_some_and(|l| l.contains('!'))), "symbolized");

    // --trace-range, Intel syntax, text output.
    let (lo, hi) = (want[0].0, want[5].0);
    let range = format!("{lo:#x}-{hi:#x}");
    let o = Guest::new("roms/bin/dyn.nopie").run_emu(&[
        "--trace=insn",
        "--trace-range",
        &range,
        "--syntax",
        "intel",
    ]);
    let lines: Vec<String> =
        o.stderr_text().lines().filter(|l| l.contains("dyn.nopie!main")).map(String::from).collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains('%')), "Intel syntax has no %: {lines:?}");
}

#[test]
fn block_trace_enters_main_at_its_symbol() {
    if !NATIVE {
        return;
    }
    let want = objdump_function(&rom("dyn.nopie"), "main");
    let (recs, o) = traced("dyn.nopie", &["--trace=block", "--trace-symbol", "main"], &[]);
    assert_eq!(o.status, Status::Exit(0));
    let blocks = of_type(&recs, "block");
    assert!(blocks.len() > 3);
    assert_eq!(hex(&blocks[0]["addr"]), want[0].0);
    for b in blocks {
        assert!(want.iter().any(|w| w.0 == hex(&b["addr"])), "{b} starts at an instruction of main");
        assert!(b["insns"].as_u64().unwrap() > 0);
    }
}

#[test]
fn watch_reports_writes_and_reads_with_values() {
    if !NATIVE {
        return;
    }
    let (recs, o) = traced("dyn.lazy", &["--watch", "emutest_counter", "--trace=mmap"], &[]);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    let base = load_base(&recs, "dyn.lazy");
    // The program's copy of the library's variable (copy relocation) lives in its .bss.
    let addr = base + nm_value(&rom("dyn.lazy"), "emutest_counter");
    let w = of_type(&recs, "watch");
    let vals: Vec<(u64, u64)> = w
        .iter()
        .inspect(|r| assert_eq!(hex(&r["addr"]), addr, "{r}"))
        .map(|r| (hex(&r["old"]), hex(&r["new"])))
        .collect();
    // dyn.c: the library bumps 5 -> 6, main stores 100, the library bumps it to 101.
    let seq = [(5, 6), (6, 100), (100, 101)];
    assert!(vals.windows(3).any(|x| x == seq), "{vals:?}");
    let by: Vec<&str> = w.iter().map(|r| r["insn_loc"].as_str().unwrap()).collect();
    assert!(by.iter().any(|l| l.starts_with("libemutest.so!emutest_bump")), "{by:?}");
    assert!(by.iter().any(|l| l.starts_with("dyn.lazy!main")), "{by:?}");

    let (recs, _) = traced("dyn.lazy", &["--watch", "emutest_counter:4", "--watch-reads"], &[]);
    assert!(of_type(&recs, "watch").iter().any(|r| r["access"] == "read"), "reads reported");

    // got:NAME watches the GOT slot: ld.so writes it when binding.
    let (recs, _) = traced("dyn.lazy", &["--watch", "got:emutest_add"], &[]);
    let w = of_type(&recs, "watch");
    assert!(w.iter().any(|r| r["insn_loc"].as_str().unwrap().starts_with("ld-linux")), "{w:?}");
}

#[test]
fn crash_report_shows_last_instructions_and_map() {
    if !NATIVE {
        return;
    }
    // A plain run keeps the one-line death report (tests/cli.rs checks it); any trace
    // output asked for brings the crash report with it.
    let o = Guest::new("roms/bin/crash.glibc").args(["segv"]).run_emu(&[]);
    assert_eq!(o.status, Status::Signal(11));
    assert!(!o.stderr_text().contains("crash report"), "{}", o.stderr_text());
    let o = Guest::new("roms/bin/crash.glibc").args(["segv"]).run_emu(&["--stats"]);
    assert_eq!(o.status, Status::Signal(11));
    assert!(!o.stderr_text().contains("crash report"), "--stats is not a trace: {}", o.stderr_text());
    let o = Guest::new("roms/bin/crash.glibc").args(["segv"]).run_emu(&["--strace"]);
    assert_eq!(o.status, Status::Signal(11));
    let t = o.stderr_text();
    assert!(t.contains("crash report [pid ") && t.contains("]: SIGSEGV at "), "{t}");
    assert!(t.contains("crash.glibc!main+"), "{t}");
    assert!(t.contains("[stack]"), "{t}");

    let o = Guest::new("roms/bin/crash.glibc").args(["segv"]).run_emu(&["--crash-report"]);
    let t = o.stderr_text();
    let n = t.lines().filter(|l| l.starts_with("emu: |   0x")).count();
    assert_eq!(n, 16, "{t}");
    // The last one is the faulting instruction.
    let last = t.lines().rfind(|l| l.starts_with("emu: |   0x")).unwrap();
    assert!(last.contains("crash.glibc!main+"), "{last}");

    let o = Guest::new("roms/bin/crash.glibc").args(["segv"]).run_emu(&["--crash-report=false"]);
    assert!(!o.stderr_text().contains("crash report"));
}

#[test]
fn profile_counts_every_instruction_deterministically() {
    if !NATIVE {
        return;
    }
    let dir = scratch_dir("profile");
    let run = |f: &str| {
        let p = dir.join(f);
        let (recs, o) = traced("dyn.nopie", &["--profile", p.to_str().unwrap(), "--stats"], &[]);
        assert_eq!(o.status, Status::Exit(0));
        (std::fs::read_to_string(&p).unwrap(), recs)
    };
    let (a, recs) = run("a.folded");
    let (b, _) = run("b.folded");
    assert_eq!(a, b, "same profile twice");
    let total: u64 = a.lines().map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap()).sum();
    let stats = of_type(&recs, "stats");
    assert_eq!(total, stats[0]["instructions"].as_u64().unwrap(), "every instruction counted once");
    assert!(a.lines().any(|l| l.contains(";main;emutest_add ")), "{a}");
    let svg = dir.join("p.svg");
    let o = Guest::new("roms/bin/dyn.nopie").run_emu(&["--profile", svg.to_str().unwrap()]);
    assert_eq!(o.status, Status::Exit(0));
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.contains("<svg") && s.contains("main"), "an SVG flame graph");
}

/// With AVX2 advertised (and the XSAVE state glibc's start-up checks), glibc's ifuncs pick
/// its AVX2 string functions: the profile of the string rom (static glibc, so the same on
/// every host) runs them.
#[test]
fn glibc_picks_its_avx2_string_functions() {
    let p = scratch_dir("profile-avx2").join("strings.folded");
    let o = Guest::new("roms/bin/strings.glibc").run_emu(&["--profile", p.to_str().unwrap()]);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    let folded = std::fs::read_to_string(&p).unwrap();
    let frames: std::collections::BTreeSet<&str> =
        folded.lines().flat_map(|l| l.rsplit_once(' ').unwrap().0.split(';')).collect();
    for f in ["__strlen_avx2", "__strchr_avx2", "__strcmp_avx2", "__memchr_avx2", "__memcmp_avx2_movbe"] {
        assert!(frames.contains(f), "{f} not run: {frames:?}");
    }
    for prefix in ["__memcpy_avx_unaligned", "__memset_avx2_unaligned"] {
        assert!(frames.iter().any(|f| f.starts_with(prefix)), "no {prefix}*: {frames:?}");
    }
    assert!(!frames.iter().any(|f| f.starts_with("__strlen_sse2")), "the SSE2 strlen ran: {frames:?}");
}

#[test]
fn bad_trace_options_are_usage_errors() {
    for opts in [
        &["--trace=bogus"][..],
        &["--trace-range", "0x20-0x10"],
        &["--watch", "got:"],
        &["--watch", "0x1000:0"],
        &["--syntax", "pdp11"],
    ] {
        let o = Guest::new("roms/bin/hello.glibc").run_emu(opts);
        assert_eq!(o.status, Status::Exit(2), "{opts:?}: {}", o.stderr_text());
        assert!(o.stderr_text().lines().count() <= 3, "one clear line: {}", o.stderr_text());
    }
}

/// `st_value` of a symbol of a static file, from `nm`.
fn nm_static(file: &Path, name: &str) -> u64 {
    let out = tool(&["nm", file.to_str().unwrap()]).expect("nm");
    let l = out
        .lines()
        .find(|l| l.split_whitespace().nth(2) == Some(name))
        .unwrap_or_else(|| panic!("{name} not in nm {}", file.display()));
    u64::from_str_radix(l.split_whitespace().next().unwrap(), 16).unwrap()
}

#[test]
fn watch_reports_kernel_writes_by_the_syscall() {
    if !NATIVE {
        return;
    }
    // instr.c prints the buffer before and after read() fills it, as watch values show.
    let native = Guest::new("roms/bin/instr.glibc").args(["read"]).run_native();
    let text = String::from_utf8_lossy(&native.stdout).into_owned();
    let value = |what: &str| {
        let l = text.lines().find(|l| l.starts_with(what)).unwrap_or_else(|| panic!("{text}"));
        l.split_whitespace().nth(1).unwrap().to_string()
    };
    let file = rom("instr.glibc");
    let buf = nm_static(&file, "inbuf");
    let (recs, o) = traced("instr.glibc", &["--watch", "inbuf"], &[]);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    assert_eq!(o.stdout, native.stdout);
    let w = of_type(&recs, "watch");
    let r = w
        .iter()
        .find(|r| r["syscall"].as_str().is_some_and(|s| s.starts_with("read(")))
        .expect("read's write");
    assert_eq!(hex(&r["addr"]), buf, "{r}");
    assert_eq!(r["len"], 16, "{r}");
    assert_eq!(r["old"], value("before").as_str(), "{r}");
    assert_eq!(r["new"], value("after").as_str(), "{r}");
    assert!(r["syscall"].as_str().unwrap().contains(&format!("{buf:#x}, 16)")), "{r}");
    // The address given is the guest's `syscall` instruction, inside read().
    let at = hex(&r["insn"]);
    let dis = tool(&[
        "objdump",
        "-d",
        &format!("--start-address={at:#x}"),
        &format!("--stop-address={:#x}", at + 2),
        file.to_str().unwrap(),
    ])
    .unwrap();
    assert!(dis.lines().any(|l| l.contains("0f 05") && l.contains("syscall")), "{dis}");
    assert!(r["insn_loc"].as_str().unwrap().contains("read"), "{r}");

    // The text form names the syscall in place of the instruction.
    let o = Guest::new("roms/bin/instr.glibc").args(["read"]).run_emu(&["--watch", "inbuf:4"]);
    let t = o.stderr_text();
    let l = t.lines().find(|l| l.contains("watch: write inbuf:4[4]")).unwrap_or_else(|| panic!("{t}"));
    assert!(l.contains("written by syscall read(") && l.contains(&format!("at {at:#x} (")), "{l}");
}

#[test]
fn crash_report_by_default_shows_the_last_16_instructions() {
    if !NATIVE {
        return;
    }
    let insns = |opts: &[&str]| -> Vec<String> {
        let o = Guest::new("roms/bin/crash.glibc").args(["segv"]).run_emu(opts);
        assert_eq!(o.status, Status::Signal(11));
        o.stderr_text().lines().filter(|l| l.starts_with("emu: |   0x")).map(str::to_string).collect()
    };
    // The default report (the ordinary loop's block ring) against the hooked loop's
    // per-instruction record of the same run.
    let dir = scratch_dir("crash16");
    let prof = dir.join("p.folded");
    let plain = insns(&["--strace"]);
    let hooked = insns(&["--profile", prof.to_str().unwrap()]);
    assert_eq!(plain.len(), 16, "{plain:#?}");
    assert_eq!(plain, hooked);
    assert!(plain.last().unwrap().contains("crash.glibc!main+"), "{plain:#?}");
}

#[test]
fn profile_stacks_are_per_thread_and_frame_signal_handlers() {
    if !NATIVE {
        return;
    }
    let dir = scratch_dir("profile-threads");
    let run = |f: &str| {
        let p = dir.join(f);
        let (recs, o) =
            traced_args("instr.glibc", &["threads"], &["--profile", p.to_str().unwrap(), "--stats"]);
        assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
        (std::fs::read_to_string(&p).unwrap(), recs)
    };
    let (a, recs) = run("a.folded");
    let (b, _) = run("b.folded");
    assert_eq!(a, b, "same profile twice");
    let total: u64 = a.lines().map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(total, of_type(&recs, "stats")[0]["instructions"].as_u64().unwrap());
    let stacks = |leaf: &str| -> Vec<&str> {
        a.lines().filter(|l| l.split(' ').next().unwrap().split(';').any(|f| f == leaf)).collect()
    };
    // Each thread's work is under its own start routine, never under the other's or main.
    for (mine, other) in [("spin_a", "worker_b"), ("spin_b", "worker_a")] {
        let start = if mine == "spin_a" { "worker_a" } else { "worker_b" };
        let s = stacks(mine);
        assert!(!s.is_empty(), "{a}");
        for l in s {
            let frames: Vec<&str> = l.split(' ').next().unwrap().split(';').collect();
            assert!(frames.contains(&"start_thread") && frames.contains(&start), "{l}");
            assert!(!frames.contains(&other) && !frames.contains(&"main"), "{l}");
        }
    }
    // The handler runs under a [SIGUSR1] frame on top of what it interrupted (main's raise).
    let h = stacks("in_handler");
    assert!(!h.is_empty(), "{a}");
    for l in h {
        assert!(l.contains(";main;") && l.contains(";[SIGUSR1];"), "{l}");
        assert!(!l.contains("worker_"), "{l}");
    }
}

#[test]
fn plt_ifunc_stubs_are_named_by_the_symbol_of_their_resolver() {
    if !NATIVE {
        return;
    }
    let (recs, o) = traced("dyn.lazy", &["--trace=plt,mmap"], &[]);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    let libc = of_type(&recs, "mmap")
        .into_iter()
        .find_map(|r| r["name"].as_str().filter(|n| n.ends_with("/libc.so.6")))
        .expect("libc mapped")
        .to_string();
    let relocs = tool(&["readelf", "-rW", &libc]).expect("readelf -r");
    let dynsyms = tool(&["readelf", "--dyn-syms", "-W", &libc]).expect("readelf --dyn-syms");
    let ifuncs: Vec<&Value> = of_type(&recs, "plt")
        .into_iter()
        .filter(|r| r["stub_name"].as_str().unwrap().starts_with("*ABS*+"))
        .collect();
    assert!(!ifuncs.is_empty(), "libc calls its own string functions through IRELATIVE slots");
    for r in ifuncs {
        // `*ABS*+0xADDR@plt`: ADDR is the addend of an IRELATIVE relocation (the resolver).
        let stub = r["stub_name"].as_str().unwrap();
        let addend = stub.trim_start_matches("*ABS*+0x").trim_end_matches("@plt");
        assert!(
            relocs
                .lines()
                .any(|l| l.contains("R_X86_64_IRELATIVE") && l.split_whitespace().last() == Some(addend)),
            "{stub} not an IRELATIVE addend of {libc}"
        );
        // Named by an exported IFUNC symbol whose value is the resolver, a strong one when
        // there is one (strrchr, not its weak alias rindex).
        let name = r["ifunc"].as_str().unwrap_or_else(|| panic!("no ifunc name: {r}"));
        let want = u64::from_str_radix(addend, 16).unwrap();
        let at: Vec<(String, String)> = dynsyms
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.len() >= 8 && u64::from_str_radix(f[1], 16).ok() == Some(want) && f[3] == "IFUNC")
            .map(|f| (f[7].split('@').next().unwrap().to_string(), f[4].to_string()))
            .collect();
        let mine = at.iter().find(|(n, _)| n == name);
        assert!(mine.is_some(), "{name} is not an IFUNC symbol at {addend} in {libc} ({at:?}): {r}");
        if at.iter().any(|(_, b)| b == "GLOBAL") {
            assert_eq!(mine.unwrap().1, "GLOBAL", "{name} among {at:?}");
        }
    }
}

#[test]
fn trace_regs_show_what_each_instruction_changed() {
    if !NATIVE {
        return;
    }
    // Every `lea disp(%rip),%reg` of main sets reg to the address objdump computes for it.
    let file = rom("hello.glibc");
    let dis = tool(&["objdump", "-d", "--no-show-raw-insn", file.to_str().unwrap()]).expect("objdump");
    let leas: Vec<(u64, String, u64)> = dis
        .lines()
        .skip_while(|l| !l.ends_with("<main>:"))
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.contains("lea ") && l.contains("(%rip),%r") && l.contains('#'))
        .map(|l| {
            let (a, rest) = l.split_once(':').unwrap();
            let reg = rest.split("(%rip),%").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
            let target = rest.split('#').nth(1).unwrap().split_whitespace().next().unwrap();
            (u64::from_str_radix(a.trim(), 16).unwrap(), reg, u64::from_str_radix(target, 16).unwrap())
        })
        .collect();
    assert!(!leas.is_empty(), "{dis}");
    let (recs, o) = traced("hello.glibc", &["--trace=insn", "--trace-regs", "--trace-symbol", "main"], &[]);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    let insns = of_type(&recs, "insn");
    assert!(insns.iter().all(|r| r["regs"].is_object()), "every line has its changes");
    for (addr, reg, target) in &leas {
        let r = insns.iter().find(|r| hex(&r["addr"]) == *addr).unwrap_or_else(|| panic!("{addr:#x} traced"));
        assert_eq!(hex(&r["regs"][reg.as_str()]), *target, "{r}");
    }
    // A call changes rsp (the pushed return address) and nothing else.
    let call = insns.iter().find(|r| r["asm"].as_str().unwrap().starts_with("call")).expect("a call in main");
    let changed: Vec<&String> = call["regs"].as_object().unwrap().keys().collect();
    assert_eq!(changed, ["rsp"], "{call}");
    // `xor %eax,%eax` sets ZF and PF even though the `add` after it overwrites them (with
    // --trace-regs no instruction skips its flags).
    let xor = insns.iter().find(|r| r["asm"].as_str().unwrap().starts_with("xor %eax,%eax")).expect("xor");
    assert_eq!(hex(&xor["regs"]["rflags"]) & 0x8d5, 0x44, "{xor}");
    // Only with --trace=insn.
    let o = Guest::new("roms/bin/hello.glibc").run_emu(&["--trace-regs"]);
    assert_eq!(o.status, Status::Exit(2), "{}", o.stderr_text());
}

#[test]
fn watch_reports_the_kernels_tid_writes_at_clone_and_thread_exit() {
    if !NATIVE {
        return;
    }
    // Where the first thread's tid lives (clone's child_tidptr), from --strace.
    let (recs, o) = traced_args("instr.glibc", &["threads"], &["--strace"]);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    let clone = recs.iter().find(|r| r["type"] == "syscall" && r["name"] == "clone").expect("clone");
    let args = clone["args"][0].as_str().unwrap();
    let ptr = args.split("child_tidptr=").nth(1).unwrap().split(',').next().unwrap();
    // Tids differ from run to run: clone's result and the watch come from one run (the
    // address does not: emu's layout is fixed).
    let spec = format!("{ptr}:4");
    let (recs, o) = traced_args("instr.glibc", &["threads"], &["--strace", "--watch", &spec]);
    assert_eq!(o.status, Status::Exit(0), "{}", o.stderr_text());
    let clone = recs.iter().find(|r| r["type"] == "syscall" && r["name"] == "clone").expect("clone");
    let tid = clone["ret"].as_u64().unwrap();
    let w = of_type(&recs, "watch");
    let by = |name: &str| {
        w.iter()
            .find(|r| r["syscall"].as_str().is_some_and(|s| s.starts_with(name)))
            .unwrap_or_else(|| panic!("no write by {name}: {w:?}"))
    };
    // CLONE_PARENT_SETTID stores the tid; CLONE_CHILD_CLEARTID clears it when the thread exits.
    assert_eq!(hex(&by("clone(")["new"]), tid);
    let exit = by("exit(");
    assert_eq!((hex(&exit["old"]), hex(&exit["new"])), (tid, 0));
    assert!(exit["insn_loc"].as_str().unwrap().contains("start_thread"), "{exit}");
}
