//! gdb's breakpoints (`Z0`/`Z1`, the same to emu: neither writes guest memory) and
//! watchpoints (`Z2`-`Z4`). Watchpoints reuse the `--watch` machinery of the CPU: a watched
//! page stays out of the soft TLB, so every access to it takes the slow path, which notes
//! the access; the hooked loop then stops after the instruction, as a debug register would.

use super::target::Emu;
use emu_cpu::hooks::Watch;
use emu_cpu::Cpu;
use gdbstub::target::ext::breakpoints::{
    Breakpoints as Ext, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps, SwBreakpoint,
    SwBreakpointOps, WatchKind,
};
use gdbstub::target::TargetResult;

#[derive(Default)]
pub(crate) struct Breakpoints {
    /// Addresses, once per insertion (gdb may insert the same address twice).
    at: Vec<u64>,
    watches: Vec<(u64, u64, WatchKind)>,
}

impl Breakpoints {
    /// Puts them on the CPU.
    pub fn apply(&self, cpu: &mut Cpu) {
        let mut at = self.at.clone();
        at.sort_unstable();
        at.dedup();
        cpu.hooks.stops.breakpoints = at;
        let w = self
            .watches
            .iter()
            .map(|&(start, len, kind)| Watch { start, len, reads: kind != WatchKind::Write })
            .collect();
        cpu.set_stop_watches(w);
    }

    /// The kind of the watchpoint an access at `addr` hit.
    pub fn watch_kind(&self, addr: u64, write: bool) -> WatchKind {
        let hit = self.watches.iter().find(|&&(a, n, _)| a <= addr && addr < a + n).map(|w| w.2);
        match hit {
            Some(WatchKind::ReadWrite) | None => WatchKind::ReadWrite,
            Some(_) if write => WatchKind::Write,
            Some(_) => WatchKind::Read,
        }
    }

    /// As words, for a checkpoint's worker (`reverse.rs`).
    pub fn encode(&self, w: &mut Vec<u64>) {
        w.push(self.at.len() as u64);
        w.extend(&self.at);
        w.push(self.watches.len() as u64);
        for &(a, n, k) in &self.watches {
            w.extend([a, n, super::reverse::watch_kind_code(k)]);
        }
    }

    pub fn decode(w: &mut impl Iterator<Item = u64>) -> Breakpoints {
        let n = w.next().unwrap_or(0);
        let at = w.by_ref().take(n as usize).collect();
        let n = w.next().unwrap_or(0);
        let watches = (0..n)
            .filter_map(|_| Some((w.next()?, w.next()?, super::reverse::watch_kind(w.next()?))))
            .collect();
        Breakpoints { at, watches }
    }

    fn add(&mut self, addr: u64) {
        self.at.push(addr);
    }

    fn remove(&mut self, addr: u64) -> bool {
        match self.at.iter().position(|&a| a == addr) {
            Some(i) => {
                self.at.swap_remove(i);
                true
            }
            None => false,
        }
    }
}

impl Emu<'_> {
    fn changed(&mut self) {
        let cpu = &mut self.guest.process().cpu;
        self.bps.apply(cpu);
    }
}

impl Ext for Emu<'_> {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for Emu<'_> {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.bps.add(addr);
        self.changed();
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        let found = self.bps.remove(addr);
        self.changed();
        Ok(found)
    }
}

impl HwBreakpoint for Emu<'_> {
    fn add_hw_breakpoint(&mut self, addr: u64, kind: usize) -> TargetResult<bool, Self> {
        self.add_sw_breakpoint(addr, kind)
    }

    fn remove_hw_breakpoint(&mut self, addr: u64, kind: usize) -> TargetResult<bool, Self> {
        self.remove_sw_breakpoint(addr, kind)
    }
}

impl HwWatchpoint for Emu<'_> {
    fn add_hw_watchpoint(&mut self, addr: u64, len: u64, kind: WatchKind) -> TargetResult<bool, Self> {
        if len == 0 {
            return Ok(false);
        }
        self.bps.watches.push((addr, len, kind));
        self.changed();
        Ok(true)
    }

    fn remove_hw_watchpoint(&mut self, addr: u64, len: u64, kind: WatchKind) -> TargetResult<bool, Self> {
        let w = &mut self.bps.watches;
        let Some(i) = w.iter().position(|&x| x == (addr, len, kind)) else { return Ok(false) };
        w.remove(i);
        self.changed();
        Ok(true)
    }
}
