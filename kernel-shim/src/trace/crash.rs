//! The crash report for deaths by SIGSEGV, SIGBUS, SIGILL and SIGFPE: the last instructions
//! executed, symbolized and disassembled, then the memory map as `/proc/self/maps` shows it.
//! It is written with `--crash-report`, and by default whenever some other trace output was
//! asked for. A plain run keeps emu's promise of a single `guest killed by` line, which
//! shells and test harnesses rely on.
//!
//! Whenever the report is on, the run loop keeps what it needs to show the last 16
//! instructions: the hooked loop their addresses, the ordinary loop the last blocks it
//! entered (see `emu_cpu::hooks`). A plain run keeps nothing.

use super::disasm::Disasm;
use super::Json;
use super::Trace;
use crate::abi::signal as S;
use crate::Process;
use emu_cpu::hooks::HISTORY;
use emu_loader::symbols::Symbolizer;

/// Writes the report if `sig` is a crash and the report is on.
pub(crate) fn report(t: &mut Trace, p: &mut Process, sig: i32) {
    if !t.opts.crash_report_on() || !matches!(sig, S::SIGSEGV | S::SIGBUS | S::SIGILL | S::SIGFPE) {
        return;
    }
    let mut trail = if p.cpu.hooks.history { p.cpu.history() } else { p.cpu.block_trail() };
    if trail.len() > HISTORY {
        trail.drain(..trail.len() - HISTORY);
    }
    let own;
    let live = t.live.clone();
    let guard = live.as_ref().map(|l| l.borrow());
    let syms: &Symbolizer = match &guard {
        Some(g) => &g.syms,
        None => {
            own = symbols_from_maps(p);
            &own
        }
    };
    let mut dis = Disasm::new(t.opts.syntax);
    let json = t.sink.is_json();
    let mut lines = Vec::new();
    let name = S::name(sig);
    if json {
        let insns: Vec<String> = trail
            .iter()
            .map(|&a| {
                let t = dis.at(&mut p.cpu, syms, a, 15);
                Json::new("insn").addr("addr", a).str("loc", &t.loc).str("asm", &t.asm).end()
            })
            .collect();
        let maps = crate::maps::text(&p.cpu.mem);
        lines.push(
            Json::new("crash")
                .str("signal", &name)
                .addr("rip", p.cpu.rip)
                .str("rip_loc", &syms.describe(p.cpu.rip))
                .raw("last_insns", &format!("[{}]", insns.join(",")))
                .str("maps", &maps)
                .end(),
        );
    } else {
        // Every line starts with `emu: ` (emu's own words, not the guest's stderr); the
        // lines after the header with `emu: | `.
        let pid = p.world().pid();
        let at = syms.describe(p.cpu.rip);
        lines.push(format!("emu: crash report [pid {pid}]: {name} at {:#x} ({at})", p.cpu.rip));
        lines.push("emu: | last instructions executed:".into());
        for &a in &trail {
            let t = dis.at(&mut p.cpu, syms, a, 15);
            lines.push(format!("emu: |   {a:#014x} {:<48} {}", t.loc, t.asm));
        }
        lines.push("emu: | memory map:".into());
        for l in crate::maps::text(&p.cpu.mem).lines() {
            lines.push(format!("emu: |   {l}"));
        }
    }
    drop(guard);
    t.flush();
    for l in lines {
        t.sink.line(&l);
    }
}

/// A symbolizer built from the file mappings, for a report when no tracing kept one.
fn symbols_from_maps(p: &Process) -> Symbolizer {
    symbols_of(&exec_objects(p), &p.sysroot)
}

/// The executable mappings that name an object: (guest path or `[vdso]`, start, file offset).
pub(crate) fn exec_objects(p: &Process) -> Vec<(String, u64, u64)> {
    p.cpu
        .mem
        .vmas()
        .filter(|v| v.perm.exec())
        .filter_map(|v| {
            let name = v.name.as_deref()?;
            (name == "[vdso]" || !name.starts_with('[')).then(|| (name.to_string(), v.start, v.offset))
        })
        .collect()
}

/// A symbolizer for `objects` (as [`exec_objects`] lists them), reading the files through
/// `sysroot`.
pub(crate) fn symbols_of(objects: &[(String, u64, u64)], sysroot: &crate::path::Sysroot) -> Symbolizer {
    let mut syms = Symbolizer::new();
    let host = |g: &str| crate::path::bytes_to_path(&sysroot.host_path(g.as_bytes()));
    for (name, start, offset) in objects {
        if name == "[vdso]" {
            syms.add_image("[vdso]", &emu_loader::vdso::image().0, *start);
        } else {
            let path = host(name);
            let debug = |id: &str| {
                let p = host(&super::live::debug_file_path(id));
                std::fs::read(&p).ok().map(|d| (p, d))
            };
            syms.add_mapping(name, *start, *offset, &|| std::fs::read(&path).ok(), &debug);
        }
    }
    syms
}
