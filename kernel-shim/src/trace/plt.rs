//! `--trace=plt`: the story of each call through a PLT stub or a `call *GOT(%rip)`
//! (`-fno-plt`). A call into a stub opens a story: caller, stub, GOT slot and its value.
//! If the slot still points back into the PLT (lazy binding), the story follows the jumps
//! into ld.so (`_dl_runtime_resolve_*`, `_dl_fixup`, ...), catches the GOT write (the
//! slot is a watched location, so the write arrives as a memory event with the writing
//! instruction), and ends when control reaches the bound function. Otherwise it ends at
//! the stub's jump, which went straight to the target.
//!
//! Writes to GOT slots outside a story are start-up relocation: ld.so filling slots at
//! load time (`LD_BIND_NOW=1`, `-z now`, and the lazy slots' initial relocation).

use super::live::State;
use super::Json;
use emu_cpu::hooks::{MemEvent, Watch};
use emu_cpu::Cpu;
use emu_loader::symbols::Mapped;

#[derive(Default)]
pub(crate) struct Plt {
    /// GOT slots (guest addresses) with the name of their symbol.
    slots: Vec<(u64, Box<str>)>,
    story: Option<Story>,
}

struct Story {
    caller: u64,
    stub: u64,
    stub_name: String,
    /// An IRELATIVE slot's stub (`*ABS*+0xADDR@plt`): the ifunc symbol whose resolver is at
    /// ADDR (e.g. `strlen`), so the story names the function the caller asked for.
    ifunc: Option<String>,
    got: u64,
    before: u64,
    /// The slot pointed back into the PLT: the call goes through the resolver.
    lazy: bool,
    /// Functions entered in ld.so while resolving.
    path: Vec<String>,
    /// (old, new, writing instruction).
    write: Option<(u64, u64, u64)>,
}

fn u64_at(cpu: &mut Cpu, a: u64) -> u64 {
    let mut b = [0u8; 8];
    let _ = cpu.mem.peek(a, &mut b);
    u64::from_le_bytes(b)
}

impl Plt {
    /// A new object: follow its GOT slots.
    pub fn object_added(&mut self, m: &Mapped) {
        for g in m.syms.got.iter().filter(|g| g.jump_slot || g.func) {
            self.slots.push((g.addr.wrapping_add(m.bias), g.name.clone()));
        }
        self.slots.sort_by_key(|s| s.0);
        self.slots.dedup_by_key(|s| s.0);
    }

    pub fn slots(&self) -> Vec<Watch> {
        self.slots.iter().map(|&(a, _)| Watch { start: a, len: 8, reads: false }).collect()
    }

    fn slot_name(&self, a: u64) -> Option<&str> {
        self.slots.binary_search_by_key(&a, |s| s.0).ok().map(|i| &*self.slots[i].1)
    }

    pub fn branch(&mut self, st: &mut State, cpu: &mut Cpu, addr: u64, len: u8, to: u64) {
        if let Some(s) = &mut self.story {
            if !s.lazy {
                // The stub's jmp *GOT: it went straight to the target.
                let s = self.story.take().expect("story");
                emit(st, cpu, &s, to);
                return;
            }
            // Bound: control reaches what the slot now holds (outside the PLT).
            let bound = u64_at(cpu, s.got);
            let in_plt = st.syms.object_at(to).is_some_and(|o| o.syms.in_plt(to.wrapping_sub(o.bias)));
            if s.write.is_some_and(|(_, new, _)| new == to) || (to == bound && !in_plt) {
                let s = self.story.take().expect("story");
                emit(st, cpu, &s, to);
                return;
            }
            if s.path.len() < 8 {
                if let Some(l) = st.syms.locate(to) {
                    if let Some((sym, 0)) = l.symbol {
                        let off = to.wrapping_sub(l.object.bias);
                        if !l.object.syms.in_plt(off) {
                            // At a function's entry its exported name reads best (an ifunc
                            // resolver is `strrchr`, not its alias `rindex`).
                            let sym = l.object.syms.named_at(off).unwrap_or(sym);
                            let name = sym.demangled.to_string();
                            if !s.path.contains(&name) {
                                s.path.push(name);
                            }
                        }
                    }
                }
            }
            return;
        }
        let Some(obj) = st.syms.object_at(to) else { return };
        if let Some(stub) = obj.stub_at(to) {
            let got = stub.got.wrapping_add(obj.bias);
            let before = u64_at(cpu, got);
            let lazy = obj.syms.in_plt(before.wrapping_sub(obj.bias));
            let ifunc = ifunc_name(st, obj.bias, &stub.name);
            self.story = Some(Story {
                caller: addr,
                stub: to,
                stub_name: format!("{}@plt", stub.name),
                ifunc,
                got,
                before,
                lazy,
                path: Vec::new(),
                write: None,
            });
            return;
        }
        // -fno-plt: `call *disp32(%rip)` / `jmp *disp32(%rip)` through a GOT slot.
        if len == 6 {
            let mut b = [0u8; 6];
            let _ = cpu.mem.peek(addr, &mut b);
            if b[0] == 0xff && (b[1] == 0x15 || b[1] == 0x25) {
                let disp = i32::from_le_bytes([b[2], b[3], b[4], b[5]]) as i64 as u64;
                let got = addr.wrapping_add(6).wrapping_add(disp);
                if let Some(name) = self.slot_name(got) {
                    let s = Story {
                        caller: addr,
                        stub: 0,
                        stub_name: format!("*GOT[{name}]"),
                        ifunc: None,
                        got,
                        before: u64_at(cpu, got),
                        lazy: false,
                        path: Vec::new(),
                        write: None,
                    };
                    emit(st, cpu, &s, to);
                }
            }
        }
    }

    /// A write to a followed GOT slot.
    pub fn write(&mut self, st: &mut State, cpu: &mut Cpu, insn: u64, ev: &MemEvent) {
        if ev.len != 8 {
            return;
        }
        let Some(name) = self.slot_name(ev.addr).map(str::to_string) else { return };
        let old = MemEvent::value(&ev.old, 8) as u64;
        let new = MemEvent::value(&ev.new, 8) as u64;
        if let Some(s) = &mut self.story {
            if s.got == ev.addr {
                s.write = Some((old, new, insn));
                return;
            }
        }
        let by = st.syms.describe(insn);
        let slot_obj = st.syms.object_at(ev.addr).map(|o| o.name.to_string()).unwrap_or_default();
        let target = st.syms.describe(new);
        let line = if st.out.json() {
            Json::new("got_write")
                .addr("slot", ev.addr)
                .str("name", &name)
                .str("object", &slot_obj)
                .addr("old", old)
                .addr("new", new)
                .str("target", &target)
                .addr("insn", insn)
                .str("insn_loc", &by)
                .end()
        } else {
            format!(
                "plt: GOT[{name}] of {slot_obj} at {:#x}: {old:#x} -> {new:#x} ({target}), written by {by}",
                ev.addr
            )
        };
        let _ = cpu;
        st.out.line(&line);
    }
}

/// The ifunc behind an IRELATIVE stub `*ABS*+0xADDR`: the symbol (of the same object)
/// whose value is the resolver's address ADDR, as `nm -D` lists it with type `i`.
fn ifunc_name(st: &State, bias: u64, stub: &str) -> Option<String> {
    let hex = stub.strip_prefix("*ABS*+0x")?;
    let resolver = u64::from_str_radix(hex, 16).ok()?;
    let obj = st.syms.object_at(resolver.wrapping_add(bias))?;
    obj.syms.named_at(resolver).map(|s| s.raw.to_string())
}

fn emit(st: &mut State, cpu: &mut Cpu, s: &Story, to: u64) {
    let caller = st.syms.describe(s.caller);
    let after = u64_at(cpu, s.got);
    let target = st.syms.locate(to);
    let (tobj, tbase, tsym, tver, tval) = match &target {
        Some(l) => (
            l.object.name.to_string(),
            l.object.bias,
            l.symbol.map(|(x, _)| x.raw.to_string()).unwrap_or_default(),
            l.symbol.map(|(x, _)| x.version.to_string()).unwrap_or_default(),
            l.symbol.map(|(x, _)| x.addr).unwrap_or(0),
        ),
        None => (String::new(), 0, String::new(), String::new(), 0),
    };
    let tdesc = st.syms.describe(to);
    let direct = !s.lazy && to == s.before;
    if st.out.json() {
        let mut j = Json::new("plt")
            .addr("caller", s.caller)
            .str("caller_loc", &caller)
            .str("stub_name", &s.stub_name)
            .addr("got", s.got)
            .addr("got_before", s.before)
            .raw("lazy", if s.lazy { "true" } else { "false" })
            .raw(
                "path",
                &format!("[{}]", s.path.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(",")),
            )
            .addr("target", to)
            .str("target_loc", &tdesc)
            .str("object", &tobj)
            .addr("object_base", tbase)
            .str("symbol", &tsym)
            .str("version", &tver)
            .addr("st_value", tval)
            .addr("got_after", after)
            .raw("direct", if direct { "true" } else { "false" });
        if s.stub != 0 {
            j = j.addr("stub", s.stub);
        }
        if let Some(f) = &s.ifunc {
            j = j.str("ifunc", f);
        }
        if let Some((old, new, by)) = s.write {
            j = j.raw(
                "got_write",
                &Json::new("got_write")
                    .addr("old", old)
                    .addr("new", new)
                    .addr("insn", by)
                    .str("insn_loc", &st.syms.describe(by))
                    .end(),
            );
        }
        st.out.line(&j.end());
        return;
    }
    let name = match &s.ifunc {
        // `strlen@plt (ifunc, *ABS*+0x9f1c0)`: what the caller asked for first.
        Some(f) => format!("{f}@plt (ifunc, {})", s.stub_name.trim_end_matches("@plt")),
        None => s.stub_name.clone(),
    };
    let stub = if s.stub != 0 { format!("{name} at {:#x}", s.stub) } else { name };
    let mut out = format!(
        "plt: {caller} calls {stub}; GOT slot {:#x} holds {:#x} ({})",
        s.got,
        s.before,
        st.syms.describe(s.before)
    );
    if s.lazy {
        out.push_str(": not bound yet, lazy binding");
        if !s.path.is_empty() {
            out.push_str(&format!("\nplt:   resolver: {}", s.path.join(" -> ")));
        }
        out.push_str(&format!(
            "\nplt:   resolved {tsym}{tver} in {tobj} (base {tbase:#x} + st_value {tval:#x}) = {to:#x}"
        ));
        match s.write {
            Some((old, new, by)) => out.push_str(&format!(
                "\nplt:   GOT write {:#x}: {old:#x} -> {new:#x} by {}",
                s.got,
                st.syms.describe(by)
            )),
            None => out.push_str("\nplt:   (no GOT write seen)"),
        }
        out.push_str(&format!("\nplt:   jumped to {tdesc}"));
    } else if direct {
        out.push_str(&format!(": bound, jumped straight to {tdesc}"));
    } else {
        out.push_str(&format!(": jumped to {tdesc}"));
    }
    st.out.line(&out);
}
