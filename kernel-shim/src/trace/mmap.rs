//! `--trace=mmap`: every change to the guest's address space — mmap, munmap, mprotect,
//! brk, mremap and the image an execve installs — with addresses, permissions and the
//! mapped file, read back from the address space after the syscall succeeded.

use super::strace::Call;
use super::Json;
use super::Trace;
use crate::maps;
use crate::sys::nr;
use crate::sys::SysResult;
use crate::Process;
use emu_cpu::mem::PAGE_MASK;

fn page_up(v: u64) -> u64 {
    v.wrapping_add(PAGE_MASK) & !PAGE_MASK
}

/// One change: `op` over `[start, end)`; the mapping's permissions, offset and name are
/// taken from the VMA at `start` when `described`.
struct Change<'a> {
    op: &'a str,
    start: u64,
    end: u64,
    described: bool,
    /// mremap: the range it came from.
    from: Option<(u64, u64)>,
    note: &'a str,
}

fn emit(t: &mut Trace, p: &mut Process, ch: Change) {
    let pid = p.tid();
    let vma = if ch.described { p.cpu.mem.vma_at(ch.start).cloned() } else { None };
    if t.sink.is_json() {
        let mut j = Json::new("mmap")
            .num("pid", pid as i64)
            .str("op", ch.op)
            .addr("start", ch.start)
            .addr("end", ch.end);
        if let Some((a, b)) = ch.from {
            j = j.addr("old_start", a).addr("old_end", b);
        }
        if let Some(v) = &vma {
            j = j.str("perms", &maps::perms(v)).addr("offset", v.offset + (ch.start - v.start));
            j = j.str("name", v.name.as_deref().unwrap_or(""));
        }
        if !ch.note.is_empty() {
            j = j.str("note", ch.note);
        }
        let line = j.end();
        t.sink.line(&line);
        return;
    }
    let mut s = format!("[mmap pid {pid}] {:<8} {:08x}-{:08x}", ch.op, ch.start, ch.end);
    if let Some((a, b)) = ch.from {
        s = format!("[mmap pid {pid}] {:<8} {a:08x}-{b:08x} -> {:08x}-{:08x}", ch.op, ch.start, ch.end);
    }
    if let Some(v) = &vma {
        s.push_str(&format!(" {} {:08x}", maps::perms(v), v.offset + (ch.start - v.start)));
        if let Some(n) = v.name.as_deref().filter(|n| !n.is_empty()) {
            s.push(' ');
            s.push_str(n);
        }
    }
    if !ch.note.is_empty() {
        s.push_str(&format!(" ({})", ch.note));
    }
    t.sink.line(&s);
}

/// A memory syscall (or execve) succeeded with result `res`.
pub(super) fn record(t: &mut Trace, p: &mut Process, c: &Call, res: &SysResult) {
    let Ok(r) = *res else { return };
    let a = &c.args;
    let ch = |op, start, end, described| Change { op, start, end, described, from: None, note: "" };
    match c.nr {
        nr::MMAP => emit(t, p, ch("mmap", r, r + page_up(a[1]), true)),
        nr::MPROTECT if a[1] != 0 => emit(t, p, ch("mprotect", a[0], a[0] + page_up(a[1]), true)),
        nr::MUNMAP => emit(t, p, ch("munmap", a[0], a[0] + page_up(a[1]), false)),
        nr::BRK => {
            let (old, new) = (page_up(c.brk_before), page_up(p.brk));
            if new > old {
                emit(t, p, Change { note: "grow", ..ch("brk", old, new, true) });
            } else if new < old {
                emit(t, p, Change { note: "shrink", ..ch("brk", new, old, false) });
            }
        }
        nr::MREMAP => {
            let from = Some((a[0], a[0] + page_up(a[1])));
            emit(t, p, Change { from, ..ch("mremap", r, r + page_up(a[2]), true) });
        }
        nr::EXECVE | nr::EXECVEAT => image(t, p, c.exec_path.as_deref()),
        _ => {}
    }
}

/// A new image replaced the address space (execve, or the program emu started with):
/// every mapping it has.
pub(super) fn image(t: &mut Trace, p: &mut Process, path: Option<&[u8]>) {
    let path = match path {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => String::from_utf8_lossy(&p.exe).into_owned(),
    };
    let pid = p.tid();
    if t.sink.is_json() {
        let line = Json::new("mmap").num("pid", pid as i64).str("op", "execve").str("path", &path).end();
        t.sink.line(&line);
    } else {
        t.sink.line(&format!("[mmap pid {pid}] execve   {path}"));
    }
    let ranges: Vec<(u64, u64)> = p.cpu.mem.vmas().map(|v| (v.start, v.end)).collect();
    for (start, end) in ranges {
        emit(t, p, Change { op: "map", start, end, described: true, from: None, note: "" });
    }
}
