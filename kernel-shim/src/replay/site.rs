//! Where the replayed guest is, for the divergence report: its rip at the last CPU stop
//! and the executable file mappings (to name the symbol, `object!symbol+0xoff`).
//!
//! A divergence is often found inside the world, where the process is not at hand; the
//! player keeps this note instead. It costs one store per CPU stop, plus a copy of the
//! executable mappings after the syscalls that change them (mmap, munmap, mprotect,
//! mremap, execve), and only while replaying.

use crate::path::Sysroot;
use crate::Process;

pub(crate) struct Site {
    rip: u64,
    /// (guest path or `[vdso]`, start, file offset) of each executable mapping.
    objects: Vec<(String, u64, u64)>,
    sysroot: Option<Sysroot>,
    /// The mappings changed since they were copied.
    stale: bool,
}

impl Default for Site {
    fn default() -> Site {
        Site { rip: 0, objects: Vec::new(), sysroot: None, stale: true }
    }
}

impl Site {
    /// The run loop stopped: note where the guest is.
    pub(crate) fn note(&mut self, p: &Process) {
        self.rip = p.cpu.rip;
        if self.stale {
            self.objects = crate::trace::crash::exec_objects(p);
            self.sysroot = Some(p.sysroot.clone());
            self.stale = false;
        }
    }

    /// Syscall `nr` was re-executed: the mappings may have changed.
    pub(crate) fn after_syscall(&mut self, nr: u64) {
        use crate::sys::table::{self, effects};
        if table::row(nr).is_some_and(|r| r.effects & (effects::MAPS | effects::EXEC) != 0) {
            self.stale = true;
        }
    }

    /// `rip 0x... (object!symbol+0xoff)` of the last stop.
    pub(crate) fn here(&self) -> String {
        format!("rip {}", self.addr(self.rip))
    }

    /// `0x... (object!symbol+0xoff)`, or the bare address outside every known object.
    pub(crate) fn addr(&self, a: u64) -> String {
        let Some(sysroot) = &self.sysroot else { return format!("{a:#x}") };
        let syms = crate::trace::crash::symbols_of(&self.objects, sysroot);
        match syms.locate(a) {
            // The vDSO has no section headers, so the symbolizer finds no symbols in it;
            // its exports are known here.
            Some(l) if l.symbol.is_none() && &*l.object.name == "[vdso]" => {
                let off = a.wrapping_sub(l.object.bias);
                let (_, exports) = emu_loader::vdso::image();
                match exports.iter().filter(|(_, o)| *o <= off).max_by_key(|(_, o)| *o) {
                    Some((name, o)) => format!("{a:#x} ([vdso]!{name}+{:#x})", off - o),
                    None => format!("{a:#x} ({l})"),
                }
            }
            Some(l) => format!("{a:#x} ({l})"),
            None => format!("{a:#x}"),
        }
    }
}
