//! The guest's memory map in the kernel's `/proc/self/maps` form: what the guest reads from
//! /proc/self/maps, what `--maps` prints when a process ends, and what a crash report shows.

use super::{Json, Sink};
use emu_cpu::mem::Vma;
use emu_cpu::{AddressSpace, Perm};

/// `rwxp`-style permissions of a mapping.
pub fn perms(v: &Vma) -> String {
    let Perm(bits) = v.perm;
    let bit = |m: u8, c: char| if bits & m != 0 { c } else { '-' };
    format!("{}{}{}{}", bit(1, 'r'), bit(2, 'w'), bit(4, 'x'), if v.shared { 's' } else { 'p' })
}

/// One line of /proc/self/maps, without its newline.
pub fn line(v: &Vma) -> String {
    let dev = format!("{:02x}:{:02x}", crate::abi::major(v.dev), crate::abi::minor(v.dev));
    let line = format!("{:08x}-{:08x} {} {:08x} {} {}", v.start, v.end, perms(v), v.offset, dev, v.inode);
    match v.name.as_deref() {
        None | Some("") => line,
        Some(name) => format!("{line:<72} {name}"),
    }
}

/// The whole map, one line per mapping, each ending in a newline.
pub fn text(mem: &AddressSpace) -> String {
    mem.vmas().map(|v| line(v) + "\n").collect()
}

/// Writes the map to the trace as one record: a header naming the process and why the
/// map is shown (`exit 0`, `killed by SIGSEGV`), then the lines; or one JSON object.
pub fn write(sink: &mut Sink, pid: i32, why: &str, mem: &AddressSpace) {
    if sink.is_json() {
        let maps: Vec<String> = mem
            .vmas()
            .map(|v| {
                Json::object()
                    .addr("start", v.start)
                    .addr("end", v.end)
                    .str("perms", &perms(v))
                    .addr("offset", v.offset)
                    .str("name", v.name.as_deref().unwrap_or(""))
                    .end()
            })
            .collect();
        let j = Json::new("maps")
            .num("pid", pid as i64)
            .str("why", why)
            .raw("maps", &format!("[{}]", maps.join(",")));
        sink.line(&j.end());
        return;
    }
    let body = text(mem);
    sink.line(&format!("--- emu maps [pid {pid}] {why} ---\n{}", body.trim_end_matches('\n')));
}
