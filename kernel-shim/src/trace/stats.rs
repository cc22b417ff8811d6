//! `--stats`: what a process did, summed over its execve's, printed when it ends.

use super::{Json, Sink};
use std::time::Instant;

pub struct Stats {
    start: Instant,
    /// Instructions and blocks of images already replaced by execve.
    pub(crate) past_instructions: u64,
    pub(crate) past_blocks: u64,
    past_lookups: u64,
    past_misses: u64,
    past_jit: emu_cpu::JitStats,
    /// Syscalls by number (index = syscall number).
    syscalls: Vec<u64>,
    /// Failed syscalls by number.
    errors: Vec<u64>,
}

/// The counters of the image running now, taken from its CPU.
pub struct Current {
    pub instructions: u64,
    pub blocks_decoded: u64,
    pub lookups: u64,
    pub misses: u64,
    pub guest_resident: u64,
    pub jit: emu_cpu::JitStats,
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            start: Instant::now(),
            past_instructions: 0,
            past_blocks: 0,
            past_lookups: 0,
            past_misses: 0,
            past_jit: Default::default(),
            syscalls: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub fn syscall(&mut self, nr: u64) {
        let i = nr as usize;
        if i >= 1024 {
            return;
        }
        if self.syscalls.len() <= i {
            self.syscalls.resize(i + 1, 0);
        }
        self.syscalls[i] += 1;
    }

    /// A syscall returned; failures are counted by name.
    pub fn result(&mut self, nr: u64, failed: bool) {
        let i = nr as usize;
        if !failed || i >= 1024 {
            return;
        }
        if self.errors.len() <= i {
            self.errors.resize(i + 1, 0);
        }
        self.errors[i] += 1;
    }

    fn errors_of(&self, nr: u64) -> u64 {
        self.errors.get(nr as usize).copied().unwrap_or(0)
    }

    /// An execve replaces the image: keep what the old one counted.
    pub fn image_replaced(&mut self, old: &emu_cpu::RunStats) {
        self.past_instructions += old.instructions;
        self.past_blocks += old.blocks_decoded;
        self.past_lookups += old.lookups;
        self.past_misses += old.misses;
        self.past_jit.add(&old.jit);
    }

    /// Writes the summary. `name` maps a syscall number to its name; `peak_rss` is emu's
    /// own peak resident memory (host), in bytes.
    pub fn report(
        &self,
        sink: &mut Sink,
        pid: i32,
        cur: Current,
        peak_rss: u64,
        name: impl Fn(u64) -> &'static str,
    ) {
        let insns = self.past_instructions + cur.instructions;
        let blocks = self.past_blocks + cur.blocks_decoded;
        let lookups = self.past_lookups + cur.lookups;
        let misses = self.past_misses + cur.misses;
        let mut jit = self.past_jit;
        jit.add(&cur.jit);
        // Transitions served by chaining need no lookup, so this is the rate of the
        // by-address lookups only.
        let hit_rate = if lookups > 0 { 100.0 * (lookups - misses) as f64 / lookups as f64 } else { 100.0 };
        let wall = self.start.elapsed().as_secs_f64();
        let mips = if wall > 0.0 { insns as f64 / wall / 1e6 } else { 0.0 };
        let mut by_count: Vec<(u64, u64)> =
            self.syscalls.iter().enumerate().filter(|(_, &c)| c > 0).map(|(n, &c)| (n as u64, c)).collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let total: u64 = by_count.iter().map(|x| x.1).sum();
        if sink.is_json() {
            let calls: Vec<String> = by_count.iter().map(|(n, c)| format!("\"{}\":{c}", name(*n))).collect();
            let errors: Vec<String> = by_count
                .iter()
                .filter(|(n, _)| self.errors_of(*n) > 0)
                .map(|(n, _)| format!("\"{}\":{}", name(*n), self.errors_of(*n)))
                .collect();
            sink.line(
                &Json::new("stats")
                    .num("pid", pid as i64)
                    .unum("instructions", insns)
                    .unum("blocks_decoded", blocks)
                    .unum("block_lookups", lookups)
                    .unum("block_lookup_misses", misses)
                    .unum("syscalls", total)
                    .raw("syscalls_by_name", &format!("{{{}}}", calls.join(",")))
                    .raw("syscall_errors_by_name", &format!("{{{}}}", errors.join(",")))
                    .raw("wall_seconds", &format!("{wall:.6}"))
                    .raw("mips", &format!("{mips:.1}"))
                    .unum("guest_resident_bytes", cur.guest_resident)
                    .unum("peak_rss_bytes", peak_rss)
                    .unum("jit_units", jit.units)
                    .unum("jit_entries", jit.entries)
                    .unum("jit_compile_ns", jit.compile_ns)
                    .unum("jit_code_bytes", jit.code_bytes)
                    .unum("jit_exits", jit.exits)
                    .unum("jit_stops", jit.stops)
                    .unum("jit_resumes", jit.resumes)
                    .unum("jit_flushes", jit.flushes)
                    .end(),
            );
            return;
        }
        let mut out = vec![
            format!("emu stats [pid {pid}]"),
            format!("  instructions      {insns}"),
            format!("  blocks decoded    {blocks}"),
            format!("  block lookups     {lookups} ({hit_rate:.2}% hits; chained transitions need none)"),
            format!("  wall time         {wall:.3} s ({mips:.1} guest MIPS)"),
            format!("  guest resident    {} KiB at exit", cur.guest_resident / 1024),
            format!("  emu peak RSS      {} KiB", peak_rss / 1024),
        ];
        if jit.units > 0 || jit.failed > 0 || jit.interpreted > 0 {
            let insns = (jit.insns_native + jit.insns_called).max(1);
            out.push(format!(
                "  jit units         {} of {} blocks ({} also entered there, {} failed, {} left to the interpreter), {:.1} ms compiling, {} KiB code, {} flushes",
                jit.units,
                jit.blocks,
                jit.entries,
                jit.failed,
                jit.interpreted,
                jit.compile_ns as f64 / 1e6,
                jit.code_bytes / 1024,
                jit.flushes
            ));
            out.push(format!(
                "  jit instructions  {:.1}% of those translated are native, the rest call handlers",
                100.0 * jit.insns_native as f64 / insns as f64
            ));
            out.push(format!(
                "  jit exits         {} to the run loop ({} stops, {} handed to the interpreter: TLB misses, budget)",
                jit.exits, jit.stops, jit.resumes
            ));
        }
        out.push(format!("  syscalls          {total}"));
        for (n, c) in by_count {
            match self.errors_of(n) {
                0 => out.push(format!("    {:<18}{c}", name(n))),
                e => out.push(format!("    {:<18}{c:<8}({e} failed)", name(n))),
            }
        }
        sink.line(&out.join("\n"));
    }
}

impl Default for Stats {
    fn default() -> Stats {
        Stats::new()
    }
}
