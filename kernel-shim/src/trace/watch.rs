//! `--watch LOC[:LEN]` and `--watch-reads`: LOC is an address, `symbol[+off]` (optionally
//! `object!symbol`), or `got:NAME` (every GOT slot of NAME). Symbols are resolved as the
//! objects that define them are mapped; every access to a resolved range is reported with
//! the instruction that made it, its location and the old and new value.

use super::disasm::Text;
use super::{parse_num, Json};
use emu_cpu::hooks::{MemEvent, Watch};
use emu_loader::symbols::Symbolizer;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Loc {
    Addr(u64),
    Symbol(String, u64),
    Got(String),
}

#[derive(Clone, Debug)]
struct Spec {
    text: String,
    loc: Loc,
    len: Option<u64>,
    /// Resolved ranges.
    at: Vec<(u64, u64)>,
}

pub(crate) struct Watches {
    specs: Vec<Spec>,
    reads: bool,
}

/// Parses one `--watch` argument.
pub fn parse(s: &str) -> Result<(), String> {
    parse_spec(s).map(|_| ())
}

fn parse_spec(s: &str) -> Result<Spec, String> {
    let (got, rest) = match s.strip_prefix("got:") {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (loc, len) = match rest.rsplit_once(':') {
        Some((l, n)) => (l, Some(parse_num(n)?)),
        None => (rest, None),
    };
    if len == Some(0) || len.is_some_and(|n| n > 4096) {
        return Err(format!("--watch {s}: length must be 1..4096"));
    }
    let loc = if got {
        if loc.is_empty() {
            return Err(format!("--watch {s}: got: needs a symbol name"));
        }
        Loc::Got(loc.to_string())
    } else if loc.starts_with("0x") || loc.bytes().all(|b| b.is_ascii_digit()) {
        Loc::Addr(parse_num(loc)?)
    } else {
        let (name, off) = match loc.split_once('+') {
            Some((n, o)) => (n, parse_num(o)?),
            None => (loc, 0),
        };
        if name.is_empty() {
            return Err(format!("--watch {s}: empty symbol name"));
        }
        Loc::Symbol(name.to_string(), off)
    };
    Ok(Spec { text: s.to_string(), loc, len, at: Vec::new() })
}

impl Watches {
    pub fn new(specs: &[String], reads: bool) -> Watches {
        // The command line checked them; a bad one here is skipped.
        Watches { specs: specs.iter().filter_map(|s| parse_spec(s).ok()).collect(), reads }
    }

    /// A new image: symbols must be found again.
    pub fn unresolve(&mut self) {
        for s in &mut self.specs {
            s.at.clear();
        }
    }

    pub fn resolve(&mut self, syms: &Symbolizer) {
        for s in &mut self.specs {
            s.at = match &s.loc {
                Loc::Addr(a) => vec![(*a, s.len.unwrap_or(8))],
                Loc::Symbol(n, off) => match syms.address_of(n) {
                    Some((a, _, sym)) => {
                        let len =
                            s.len.unwrap_or(if sym.size > 0 && sym.size <= 4096 { sym.size } else { 8 });
                        vec![(a + off, len)]
                    }
                    None => Vec::new(),
                },
                Loc::Got(n) => {
                    syms.got_slots_of(n).into_iter().map(|(a, _)| (a, s.len.unwrap_or(8))).collect()
                }
            };
        }
    }

    pub fn ranges(&self) -> Vec<Watch> {
        self.specs
            .iter()
            .flat_map(|s| s.at.iter().map(|&(start, len)| Watch { start, len, reads: self.reads }))
            .collect()
    }

    pub fn hit(&self, ev: &MemEvent) -> bool {
        let end = ev.addr + ev.len as u64;
        (ev.write || self.reads)
            && self.specs.iter().any(|s| s.at.iter().any(|&(a, n)| ev.addr < a + n && a < end))
    }

    fn spec_of(&self, ev: &MemEvent) -> &str {
        let end = ev.addr + ev.len as u64;
        self.specs
            .iter()
            .find(|s| s.at.iter().any(|&(a, n)| ev.addr < a + n && a < end))
            .map(|s| s.text.as_str())
            .unwrap_or("")
    }

    /// The parts of `[addr, addr+len)` inside watched ranges: (spec, start, length).
    pub fn overlaps(&self, addr: u64, len: u64) -> Vec<(usize, u64, u64)> {
        let end = addr.saturating_add(len);
        let mut out = Vec::new();
        for (i, s) in self.specs.iter().enumerate() {
            for &(a, n) in &s.at {
                let (lo, hi) = (addr.max(a), end.min(a.saturating_add(n)));
                if lo < hi {
                    out.push((i, lo, hi - lo));
                }
            }
        }
        out
    }

    /// A syscall (`call`, made by the `syscall` at `rip`, described as `rip_loc`) wrote
    /// `new` over `old` at `addr`, inside watch `spec`.
    #[allow(clippy::too_many_arguments)]
    pub fn describe_kernel(
        &self,
        syms: &Symbolizer,
        spec: usize,
        addr: u64,
        old: &[u8],
        new: &[u8],
        call: &str,
        rip: u64,
        rip_loc: &str,
        json: bool,
    ) -> String {
        let text = self.specs.get(spec).map_or("", |s| s.text.as_str());
        let at = syms.describe(addr);
        let (old, new) = (bytes_value(old), bytes_value(new));
        if json {
            return Json::new("watch")
                .str("watch", text)
                .str("access", "write")
                .addr("addr", addr)
                .str("addr_loc", &at)
                .unum("len", new.1 as u64)
                .str("old", &old.0)
                .str("new", &new.0)
                .addr("insn", rip)
                .str("insn_loc", rip_loc)
                .str("asm", "syscall")
                .str("syscall", call)
                .end();
        }
        format!(
            "watch: write {text}[{}] at {addr:#x} ({at}): {} -> {} written by syscall {call} at {rip:#x} ({rip_loc})",
            new.1, old.0, new.0
        )
    }

    pub fn describe(&self, syms: &Symbolizer, text: &Text, insn: u64, ev: &MemEvent, json: bool) -> String {
        let n = ev.len.min(16);
        let hex = |b: &[u8; 16]| format!("{:#x}", MemEvent::value(b, n));
        let kind = if ev.write { "write" } else { "read" };
        let at = syms.describe(ev.addr);
        if json {
            let mut j = Json::new("watch")
                .str("watch", self.spec_of(ev))
                .str("access", kind)
                .addr("addr", ev.addr)
                .str("addr_loc", &at)
                .unum("len", ev.len as u64)
                .str("new", &hex(&ev.new))
                .addr("insn", insn)
                .str("insn_loc", &text.loc)
                .str("asm", &text.asm);
            if ev.write {
                j = j.str("old", &hex(&ev.old));
            }
            return j.end();
        }
        let val = if ev.write { format!("{} -> {}", hex(&ev.old), hex(&ev.new)) } else { hex(&ev.new) };
        format!(
            "watch: {kind} {}[{}] at {:#x} ({at}): {val} by {} ({})",
            self.spec_of(ev),
            ev.len,
            ev.addr,
            text.loc,
            text.asm
        )
    }
}

/// A written value as the watch lines show it: little-endian as an integer up to 16 bytes
/// (as the CPU's own stores show), longer ones as their first 16 bytes in memory order.
fn bytes_value(b: &[u8]) -> (String, usize) {
    if b.len() <= 16 {
        let mut v = [0u8; 16];
        v[..b.len()].copy_from_slice(b);
        (format!("{:#x}", u128::from_le_bytes(v)), b.len())
    } else {
        let hex: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
        (format!("bytes:{hex}..."), b.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_specs_parse() {
        assert_eq!(parse_spec("0x1000:4").unwrap().loc, Loc::Addr(0x1000));
        assert_eq!(parse_spec("0x1000:4").unwrap().len, Some(4));
        assert_eq!(parse_spec("got:puts").unwrap().loc, Loc::Got("puts".into()));
        assert_eq!(parse_spec("counter+8").unwrap().loc, Loc::Symbol("counter".into(), 8));
        assert_eq!(parse_spec("counter:4").unwrap().len, Some(4));
        assert!(parse_spec("0x10:0").is_err());
        assert!(parse_spec("got:").is_err());
    }
}
