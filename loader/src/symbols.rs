//! Symbol tables of the objects in a guest address space, for tracing: which function an
//! address is in (`libc.so.6!puts+0x10`), where a named symbol or a GOT slot is.
//!
//! Per object: `.symtab` when the file has one, else the separate debug file found by its
//! build id (`/usr/lib/debug/.build-id/xx/yyyy.debug`, as gdb finds it), and always
//! `.dynsym` with symbol versions (`puts@@GLIBC_2.2.5` for a default version, `name@VER`
//! for a hidden one, as `nm -D` writes them). PLT stubs get synthetic `name@plt` symbols
//! the way `objdump -d` names them: each stub's `jmp *GOT(%rip)` is matched with the
//! relocation of that GOT slot (JUMP_SLOT from `.rela.plt`, GLOB_DAT for `.plt.got`).
//! C++ and Rust names are demangled for display; lookups by name use the raw name.

use elf::abi;
use elf::endian::AnyEndian;
use elf::ElfBytes;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Finds a separate debug file by build id (hex): its path and bytes.
pub type DebugFileFinder<'a> = dyn Fn(&str) -> Option<(PathBuf, Vec<u8>)> + 'a;

/// What a symbol is, as far as tracing cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymKind {
    Func,
    Object,
    /// Untyped (assembly labels) or other.
    Other,
    /// A synthetic `name@plt` stub.
    Plt,
}

#[derive(Clone, Debug)]
pub struct Symbol {
    /// Address in the file (add the object's bias for the guest address).
    pub addr: u64,
    pub size: u64,
    /// The name as stored in the file (mangled, without version).
    pub raw: Box<str>,
    /// The version suffix as `nm -D` writes it (`@@GLIBC_2.2.5`, `@GLIBC_2.2.5`) or empty.
    pub version: Box<str>,
    /// Demangled name, or the raw one.
    pub demangled: Box<str>,
    pub kind: SymKind,
    pub global: bool,
    /// Bound weak (an alias the library lets others override, like `rindex` of `strrchr`).
    pub weak: bool,
}

impl Symbol {
    /// The name as a trace shows it: demangled, with its version.
    pub fn display(&self) -> String {
        format!("{}{}", self.demangled, self.version)
    }

    /// The raw name with its version, as `nm` / `nm -D` print it.
    pub fn nm_name(&self) -> String {
        format!("{}{}", self.raw, self.version)
    }
}

/// A PLT stub: its address and the GOT slot it jumps through (file addresses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PltStub {
    pub addr: u64,
    pub size: u64,
    pub got: u64,
    /// Name of the symbol the slot is relocated against (without `@plt`).
    pub name: Box<str>,
}

/// A GOT slot with a symbol relocation (JUMP_SLOT or GLOB_DAT).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GotSlot {
    pub addr: u64,
    pub name: Box<str>,
    /// R_X86_64_JUMP_SLOT (lazily bound) rather than GLOB_DAT.
    pub jump_slot: bool,
    /// The symbol is a function (a GLOB_DAT slot of a function is a `-fno-plt` call slot).
    pub func: bool,
}

/// A PT_LOAD segment: enough to turn a file offset mapped at an address into the bias.
#[derive(Clone, Copy, Debug)]
pub struct LoadSeg {
    pub vaddr: u64,
    pub memsz: u64,
    pub offset: u64,
    pub exec: bool,
}

/// The symbols of one ELF file.
#[derive(Debug, Default)]
pub struct ObjectSymbols {
    /// Sorted by address; several symbols may share one.
    pub symbols: Vec<Symbol>,
    pub plt: Vec<PltStub>,
    pub got: Vec<GotSlot>,
    pub loads: Vec<LoadSeg>,
    /// Address ranges of the `.plt`, `.plt.sec` and `.plt.got` sections.
    pub plt_sections: Vec<(u64, u64)>,
    /// Where the symbols came from besides `.dynsym` (the file itself or a debug file).
    pub symtab_from: Option<PathBuf>,
}

#[derive(Debug)]
pub struct SymbolError(pub String);

impl std::fmt::Display for SymbolError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn perr(path: &Path, e: impl std::fmt::Display) -> SymbolError {
    SymbolError(format!("{}: {e}", path.display()))
}

/// Demangles C++ (`_Z...`) and Rust (legacy `_ZN...E` with hash, v0 `_R...`) names.
pub fn demangle(raw: &str) -> Option<String> {
    if let Ok(d) = rustc_demangle::try_demangle(raw) {
        return Some(format!("{d:#}"));
    }
    if raw.starts_with("_Z") {
        let sym = cpp_demangle::Symbol::new(raw).ok()?;
        return sym.demangle(&cpp_demangle::DemangleOptions::default()).ok();
    }
    None
}

fn kind_of(st_type: u8) -> Option<SymKind> {
    match st_type {
        abi::STT_FUNC | abi::STT_GNU_IFUNC => Some(SymKind::Func),
        abi::STT_OBJECT | abi::STT_COMMON => Some(SymKind::Object),
        abi::STT_NOTYPE => Some(SymKind::Other),
        // Sections, files and TLS offsets are not addresses.
        _ => None,
    }
}

impl ObjectSymbols {
    /// Parses the symbols of an ELF image. `debug_file` finds a separate debug file by
    /// build id (hex) when the image has no `.symtab`.
    pub fn parse(
        path: &Path,
        data: &[u8],
        debug_file: &DebugFileFinder<'_>,
    ) -> Result<ObjectSymbols, SymbolError> {
        let f = ElfBytes::<AnyEndian>::minimal_parse(data).map_err(|e| perr(path, e))?;
        let mut o = ObjectSymbols::default();
        if let Some(phdrs) = f.segments() {
            for ph in phdrs.iter().filter(|p| p.p_type == abi::PT_LOAD) {
                o.loads.push(LoadSeg {
                    vaddr: ph.p_vaddr,
                    memsz: ph.p_memsz,
                    offset: ph.p_offset,
                    exec: ph.p_flags & abi::PF_X != 0,
                });
            }
        }
        let mut seen: HashMap<(u64, Box<str>), ()> = HashMap::new();
        o.add_dynsym(&f, &mut seen).map_err(|e| perr(path, e))?;
        let has_symtab = f.section_header_by_name(".symtab").ok().flatten().is_some();
        if has_symtab {
            o.add_symtab(&f, &mut seen).map_err(|e| perr(path, e))?;
            o.symtab_from = Some(path.to_path_buf());
        } else if let Some(id) = build_id(&f) {
            if let Some((dpath, ddata)) = debug_file(&id) {
                if let Ok(df) = ElfBytes::<AnyEndian>::minimal_parse(&ddata) {
                    if o.add_symtab(&df, &mut seen).is_ok() {
                        o.symtab_from = Some(dpath);
                    }
                }
            }
        }
        o.add_plt(&f, data).map_err(|e| perr(path, e))?;
        o.symbols.sort_by(|a, b| a.addr.cmp(&b.addr).then(rank(b).cmp(&rank(a))));
        o.plt.sort_by_key(|p| p.addr);
        Ok(o)
    }

    fn push(&mut self, addr: u64, size: u64, raw: &str, version: String, kind: SymKind, bind: u8) {
        let demangled = demangle(raw).unwrap_or_else(|| raw.to_string());
        self.symbols.push(Symbol {
            addr,
            size,
            raw: raw.into(),
            version: version.into(),
            demangled: demangled.into(),
            kind,
            global: bind != abi::STB_LOCAL,
            weak: bind == abi::STB_WEAK,
        });
    }

    fn add_dynsym(
        &mut self,
        f: &ElfBytes<AnyEndian>,
        seen: &mut HashMap<(u64, Box<str>), ()>,
    ) -> Result<(), elf::ParseError> {
        let Some((syms, strs)) = f.dynamic_symbol_table()? else { return Ok(()) };
        let vers = f.symbol_version_table()?;
        for (i, s) in syms.iter().enumerate() {
            if s.is_undefined() || s.st_shndx == abi::SHN_ABS {
                continue;
            }
            let Some(kind) = kind_of(s.st_symtype()) else { continue };
            let name = strs.get(s.st_name as usize)?;
            if name.is_empty() {
                continue;
            }
            let mut version = String::new();
            if let Some(v) = &vers {
                if let Ok(Some(def)) = v.get_definition(i) {
                    // The base definition (the file's own name) is not a version.
                    if def.flags & abi::VER_FLG_BASE == 0 {
                        if let Some(Ok(vname)) = {
                            let mut n = def.names;
                            n.next()
                        } {
                            version = format!("{}{vname}", if def.hidden { "@" } else { "@@" });
                        }
                    }
                }
            }
            seen.insert((s.st_value, name.into()), ());
            self.push(s.st_value, s.st_size, name, version, kind, s.st_bind());
        }
        Ok(())
    }

    fn add_symtab(
        &mut self,
        f: &ElfBytes<AnyEndian>,
        seen: &mut HashMap<(u64, Box<str>), ()>,
    ) -> Result<(), elf::ParseError> {
        let Some((syms, strs)) = f.symbol_table()? else { return Ok(()) };
        for s in syms.iter() {
            if s.is_undefined() || s.st_shndx == abi::SHN_ABS {
                continue;
            }
            let Some(kind) = kind_of(s.st_symtype()) else { continue };
            let name = strs.get(s.st_name as usize)?;
            if name.is_empty() || name.starts_with(".L") {
                continue;
            }
            // Linkers write versioned names (`puts@GLIBC_2.2.5`) into .symtab; split them so
            // lookups by the plain name work.
            let (raw, version) = match name.find('@') {
                Some(at) => (&name[..at], name[at..].to_string()),
                None => (name, String::new()),
            };
            // The same symbol from .dynsym already carries its version.
            if seen.contains_key(&(s.st_value, raw.into())) {
                continue;
            }
            seen.insert((s.st_value, raw.into()), ());
            self.push(s.st_value, s.st_size, raw, version, kind, s.st_bind());
        }
        Ok(())
    }

    /// Synthetic `name@plt` symbols and the GOT slots of symbol relocations.
    fn add_plt(&mut self, f: &ElfBytes<AnyEndian>, data: &[u8]) -> Result<(), elf::ParseError> {
        let (Some(shdrs), Some(shstr)) = f.section_headers_with_strtab()? else { return Ok(()) };
        let (dyn_names, dyn_func): (Vec<String>, Vec<bool>) = match f.dynamic_symbol_table()? {
            Some((syms, strs)) => syms
                .iter()
                .map(|s| {
                    let name = strs.get(s.st_name as usize).unwrap_or("").to_string();
                    (name, matches!(s.st_symtype(), abi::STT_FUNC | abi::STT_GNU_IFUNC))
                })
                .unzip(),
            None => (Vec::new(), Vec::new()),
        };
        let mut slot_names: HashMap<u64, Box<str>> = HashMap::new();
        let mut plt_secs = Vec::new();
        for sh in shdrs.iter() {
            let name = shstr.get(sh.sh_name as usize).unwrap_or("");
            if sh.sh_type == abi::SHT_RELA && (name == ".rela.plt" || name == ".rela.dyn") {
                for r in f.section_data_as_relas(&sh)? {
                    let jump = r.r_type == abi::R_X86_64_JUMP_SLOT;
                    let name: Box<str> = if jump || r.r_type == abi::R_X86_64_GLOB_DAT {
                        match dyn_names.get(r.r_sym as usize) {
                            Some(n) if !n.is_empty() => n.as_str().into(),
                            _ => continue,
                        }
                    } else if r.r_type == abi::R_X86_64_IRELATIVE {
                        format!("*ABS*+{:#x}", r.r_addend).into()
                    } else {
                        continue;
                    };
                    if jump || r.r_type == abi::R_X86_64_GLOB_DAT {
                        let func = dyn_func.get(r.r_sym as usize).copied().unwrap_or(false);
                        self.got.push(GotSlot {
                            addr: r.r_offset,
                            name: name.clone(),
                            jump_slot: jump,
                            func,
                        });
                    }
                    slot_names.insert(r.r_offset, name);
                }
            }
            if matches!(name, ".plt" | ".plt.sec" | ".plt.got") && sh.sh_type == abi::SHT_PROGBITS {
                plt_secs.push(sh);
            }
        }
        self.got.sort_by_key(|g| g.addr);
        for sh in plt_secs {
            let (off, size, addr) = (sh.sh_offset as usize, sh.sh_size as usize, sh.sh_addr);
            let Some(bytes) = data.get(off..off + size) else { continue };
            self.plt_sections.push((addr, addr + size as u64));
            let ent = if sh.sh_entsize >= 8 { sh.sh_entsize as usize } else { 16 };
            for start in (0..size).step_by(ent) {
                let e = &bytes[start..(start + ent).min(size)];
                // The stub's `jmp *disp32(%rip)` (ff 25), possibly after endbr64 or a bnd
                // prefix (f2).
                let Some(p) = e.windows(2).position(|w| w == [0xff, 0x25]) else { continue };
                let Some(d) = e.get(p + 2..p + 6) else { continue };
                let disp = i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64;
                let got = (addr + (start + p + 6) as u64).wrapping_add(disp as u64);
                let Some(name) = slot_names.get(&got) else { continue };
                let stub = addr + start as u64;
                self.plt.push(PltStub { addr: stub, size: ent as u64, got, name: name.clone() });
                self.push(
                    stub,
                    ent as u64,
                    &format!("{name}@plt"),
                    String::new(),
                    SymKind::Plt,
                    abi::STB_LOCAL,
                );
            }
        }
        Ok(())
    }

    /// The symbol covering file address `a`, with the offset into it. A symbol of size 0
    /// covers up to the next symbol.
    /// The symbol whose value is exactly `a` (a file address): exported (versioned) names
    /// first, strong ones before weak aliases: `strrchr` rather than `rindex`, `strchrnul`
    /// rather than the internal `__strchrnul`.
    pub fn named_at(&self, a: u64) -> Option<&Symbol> {
        let i = self.symbols.partition_point(|s| s.addr < a);
        self.symbols[i..]
            .iter()
            .take_while(|s| s.addr == a)
            .min_by_key(|s| (s.version.is_empty(), s.weak, !s.global, s.raw.len()))
    }

    pub fn at(&self, a: u64) -> Option<(&Symbol, u64)> {
        let i = self.symbols.partition_point(|s| s.addr <= a);
        if i == 0 {
            return None;
        }
        // Among the candidates at or before `a`, prefer one whose extent covers it, walking
        // back over symbols at the same address (sorted best first) and small neighbours.
        let mut best: Option<&Symbol> = None;
        for s in self.symbols[..i].iter().rev().take(64) {
            if a < s.addr + s.size.max(1) {
                match best {
                    Some(b) if b.addr > s.addr => break,
                    Some(b) if b.addr == s.addr && rank(b) >= rank(s) => {}
                    _ => best = Some(s),
                }
            } else if best.is_some() {
                break;
            }
        }
        if best.is_none() {
            let s = &self.symbols[i - 1];
            // Sizeless symbols (assembly) reach to the next symbol.
            let top = self.symbols[..i].iter().rev().take_while(|x| x.addr == s.addr).find(|x| x.size == 0);
            best = top;
        }
        best.map(|s| (s, a - s.addr))
    }

    /// The symbol with this raw name (or `name@VERSION` / `name@@VERSION`).
    pub fn by_name(&self, name: &str) -> Option<&Symbol> {
        let (base, ver) = match name.find('@') {
            Some(i) => (&name[..i], Some(&name[i..])),
            None => (name, None),
        };
        let mut cands = self.symbols.iter().filter(|s| &*s.raw == base || &*s.demangled == base);
        match ver {
            Some(v) => cands.find(|s| s.version.trim_start_matches('@') == v.trim_start_matches('@')),
            None => {
                cands.max_by_key(|s| (s.kind == SymKind::Func, s.version.starts_with("@@"), s.global, s.size))
            }
        }
    }

    /// The PLT stub at file address `a` (its first byte).
    pub fn stub_at(&self, a: u64) -> Option<&PltStub> {
        let i = self.plt.partition_point(|p| p.addr <= a);
        (i > 0 && self.plt[i - 1].addr == a).then(|| &self.plt[i - 1])
    }

    pub fn got_slot(&self, a: u64) -> Option<&GotSlot> {
        self.got.binary_search_by_key(&a, |g| g.addr).ok().map(|i| &self.got[i])
    }

    pub fn in_plt(&self, a: u64) -> bool {
        self.plt_sections.iter().any(|&(lo, hi)| lo <= a && a < hi)
    }

    /// Lowest and highest (exclusive) file address of the PT_LOAD segments.
    pub fn span(&self) -> (u64, u64) {
        let lo = self.loads.iter().map(|l| l.vaddr & !0xfff).min().unwrap_or(0);
        let hi = self.loads.iter().map(|l| l.vaddr + l.memsz).max().unwrap_or(0);
        (lo, hi)
    }
}

/// Which of several symbols at one address to show: functions, then global, then
/// default-versioned, then sized ones; PLT stubs are always alone at their address.
fn rank(s: &Symbol) -> (bool, bool, bool, bool, std::cmp::Reverse<usize>) {
    (
        matches!(s.kind, SymKind::Func | SymKind::Plt),
        s.global,
        s.version.starts_with("@@") || s.version.is_empty(),
        s.size > 0,
        // Prefer the plain name over `__libc_`-style internal aliases.
        std::cmp::Reverse(s.raw.len()),
    )
}

fn build_id(f: &ElfBytes<AnyEndian>) -> Option<String> {
    let sh = f.section_header_by_name(".note.gnu.build-id").ok()??;
    let notes = f.section_data_as_notes(&sh).ok()?;
    for n in notes {
        if let elf::note::Note::GnuBuildId(id) = n {
            return Some(id.0.iter().map(|b| format!("{b:02x}")).collect());
        }
    }
    None
}

/// One object as the guest mapped it.
#[derive(Clone, Debug)]
pub struct Mapped {
    /// Short name shown in traces: the file name (`libc.so.6`) or `[vdso]`.
    pub name: Arc<str>,
    /// Guest path.
    pub path: Arc<str>,
    /// Guest address = file address + bias.
    pub bias: u64,
    /// Guest range covered by its segments.
    pub lo: u64,
    pub hi: u64,
    pub syms: Arc<ObjectSymbols>,
}

impl Mapped {
    pub fn stub_at(&self, a: u64) -> Option<&PltStub> {
        self.syms.stub_at(a.wrapping_sub(self.bias))
    }
}

/// A resolved location: `object!symbol+0xoff`.
#[derive(Clone, Debug)]
pub struct Location<'a> {
    pub object: &'a Mapped,
    pub symbol: Option<(&'a Symbol, u64)>,
    pub addr: u64,
}

impl std::fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self.symbol {
            Some((s, 0)) => write!(f, "{}!{}{}", self.object.name, s.demangled, s.version),
            Some((s, off)) => write!(f, "{}!{}{}+{off:#x}", self.object.name, s.demangled, s.version),
            None => write!(f, "{}+{:#x}", self.object.name, self.addr.wrapping_sub(self.object.bias)),
        }
    }
}

/// Every object in one guest address space.
#[derive(Default)]
pub struct Symbolizer {
    /// Sorted by `lo`; ranges do not overlap.
    objects: Vec<Mapped>,
    /// Parsed files by guest path, so a library mapped again is not parsed again.
    parsed: HashMap<Arc<str>, Arc<ObjectSymbols>>,
}

impl Symbolizer {
    pub fn new() -> Symbolizer {
        Symbolizer::default()
    }

    pub fn objects(&self) -> &[Mapped] {
        &self.objects
    }

    /// Registers the object whose bytes are `data` (read on first use), knowing that the
    /// part of it at file offset `offset` is mapped at `addr`. Returns the object if it is
    /// new. `load` reads the file; `debug_file` finds a debug file by build id.
    pub fn add_mapping(
        &mut self,
        path: &str,
        addr: u64,
        offset: u64,
        load: &dyn Fn() -> Option<Vec<u8>>,
        debug_file: &DebugFileFinder<'_>,
    ) -> Option<&Mapped> {
        let key: Arc<str> = path.into();
        let syms = match self.parsed.get(&key) {
            Some(s) => s.clone(),
            None => {
                let data = load()?;
                let s = match ObjectSymbols::parse(Path::new(path), &data, debug_file) {
                    Ok(s) => Arc::new(s),
                    Err(e) => {
                        log::debug!("symbols: {e}");
                        return None;
                    }
                };
                self.parsed.insert(key.clone(), s.clone());
                s
            }
        };
        let seg = syms.loads.iter().find(|l| l.offset & !0xfff == offset & !0xfff)?;
        let bias = addr.wrapping_sub(seg.vaddr & !0xfff).wrapping_add(offset & 0xfff);
        let name: Arc<str> = path.rsplit('/').next().unwrap_or(path).into();
        Some(self.insert(name, key, bias, syms))
    }

    /// Registers an image held in memory (the vDSO) at `bias`.
    pub fn add_image(&mut self, name: &str, data: &[u8], bias: u64) -> Option<&Mapped> {
        let syms = Arc::new(ObjectSymbols::parse(Path::new(name), data, &|_| None).ok()?);
        let n: Arc<str> = name.into();
        Some(self.insert(n.clone(), n, bias, syms))
    }

    fn insert(&mut self, name: Arc<str>, path: Arc<str>, bias: u64, syms: Arc<ObjectSymbols>) -> &Mapped {
        let (lo, hi) = syms.span();
        let (lo, hi) = (lo.wrapping_add(bias), hi.wrapping_add(bias));
        self.objects.retain(|o| o.hi <= lo || o.lo >= hi);
        let m = Mapped { name, path, bias, lo, hi, syms };
        let i = self.objects.partition_point(|o| o.lo < lo);
        self.objects.insert(i, m);
        &self.objects[i]
    }

    /// Forgets objects entirely inside an unmapped range.
    pub fn unmapped(&mut self, start: u64, end: u64) {
        self.objects.retain(|o| !(start <= o.lo && o.hi <= end.max(start)));
    }

    pub fn object_at(&self, a: u64) -> Option<&Mapped> {
        let i = self.objects.partition_point(|o| o.lo <= a);
        let o = self.objects.get(i.checked_sub(1)?)?;
        (a < o.hi).then_some(o)
    }

    pub fn locate(&self, a: u64) -> Option<Location<'_>> {
        let o = self.object_at(a)?;
        Some(Location { object: o, symbol: o.syms.at(a.wrapping_sub(o.bias)), addr: a })
    }

    /// `object!symbol+0xoff`, `object+0xoff`, or the bare address.
    pub fn describe(&self, a: u64) -> String {
        match self.locate(a) {
            Some(l) => l.to_string(),
            None => format!("{a:#x}"),
        }
    }

    /// The guest address of a symbol by name, searching objects in load order (main
    /// program first, as the dynamic linker does); `obj!name` picks the object.
    pub fn address_of(&self, name: &str) -> Option<(u64, &Mapped, &Symbol)> {
        let (obj, sym) = match name.split_once('!') {
            Some((o, s)) => (Some(o), s),
            None => (None, name),
        };
        self.objects.iter().filter(|o| obj.is_none_or(|n| *o.name == *n)).find_map(|o| {
            let s = o.syms.by_name(sym)?;
            (s.kind != SymKind::Plt || sym.ends_with("@plt")).then(|| (s.addr.wrapping_add(o.bias), o, s))
        })
    }

    /// Guest addresses of the GOT slots named `name` (one per object that imports it).
    pub fn got_slots_of(&self, name: &str) -> Vec<(u64, &Mapped)> {
        let mut v = Vec::new();
        for o in &self.objects {
            for g in o.syms.got.iter().filter(|g| &*g.name == name) {
                v.push((g.addr.wrapping_add(o.bias), o));
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demangles_cpp_and_rust() {
        assert_eq!(demangle("_ZN3foo3barEv").as_deref(), Some("foo::bar()"));
        assert_eq!(demangle("_ZN4core3fmt5write17h0123456789abcdefE").as_deref(), Some("core::fmt::write"));
        assert_eq!(demangle("puts"), None);
    }
}
