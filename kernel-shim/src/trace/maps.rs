//! `--maps`: the guest's memory map (`crate::maps`) written to the trace when a process
//! ends.

use super::{Json, Sink};
use crate::maps::{perms, text};
use emu_cpu::AddressSpace;

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
