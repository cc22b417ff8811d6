//! Where the replayed guest is, for the divergence report: its rip at the last CPU stop
//! and the executable file mappings (to name the symbol, `object!symbol+0xoff`).
//!
//! A divergence is found deep inside the gate, where the process is not at hand; the run
//! loop keeps this note instead. It costs one store per CPU stop, plus a copy of the
//! executable mappings after the syscalls that change them (mmap, munmap, mprotect,
//! mremap, execve), and only while replaying.

use crate::path::Sysroot;
use crate::Process;
use std::cell::RefCell;

#[derive(Default)]
struct Site {
    rip: u64,
    /// (guest path or `[vdso]`, start, file offset) of each executable mapping.
    objects: Vec<(String, u64, u64)>,
    sysroot: Option<Sysroot>,
    /// The mappings changed since they were copied.
    stale: bool,
}

thread_local! {
    static SITE: RefCell<Site> = RefCell::new(Site { stale: true, ..Default::default() });
}

/// The run loop stopped: note where the guest is.
pub(crate) fn note(p: &Process) {
    SITE.with(|s| {
        let mut s = s.borrow_mut();
        s.rip = p.cpu.rip;
        if s.stale {
            s.objects = crate::trace::crash::exec_objects(p);
            s.sysroot = Some(p.sysroot.clone());
            s.stale = false;
        }
    })
}

/// Syscall `nr` was re-executed: the mappings may have changed.
pub(crate) fn after_syscall(nr: u64) {
    use crate::sys::table::{self, effects};
    if table::row(nr).is_some_and(|r| r.effects & (effects::MAPS | effects::EXEC) != 0) {
        SITE.with(|s| s.borrow_mut().stale = true);
    }
}

/// `rip 0x... (object!symbol+0xoff)` of the last stop.
pub(crate) fn here() -> String {
    let rip = SITE.with(|s| s.borrow().rip);
    format!("rip {}", addr(rip))
}

/// `0x... (object!symbol+0xoff)`, or the bare address outside every known object.
pub(crate) fn addr(a: u64) -> String {
    SITE.with(|s| {
        let s = s.borrow();
        let Some(sysroot) = &s.sysroot else { return format!("{a:#x}") };
        let syms = crate::trace::crash::symbols_of(&s.objects, sysroot);
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
    })
}
