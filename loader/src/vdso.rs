//! The vDSO image emu maps into every process (AT_SYSINFO_EHDR): a small valid ELF shared
//! object, built here byte by byte, exporting `__vdso_clock_gettime`,
//! `__vdso_gettimeofday`, `__vdso_time`, `__vdso_getcpu` and `__vdso_clock_getres` (and
//! their plain-named aliases) with version LINUX_2.6, as glibc and musl look them up.
//!
//! Each function is `mov eax, NR; syscall; ret`: its `syscall` enters emu like any other,
//! and the kernel shim recognises the vDSO's address and serves it as a vDSO call (not
//! shown as a syscall), so time stays under emu's control.

/// Image layout (all offsets are also virtual addresses; the image is linked at 0).
const EHDR: usize = 0;
const PHDR: usize = 0x40;
const PHNUM: usize = 3;
const DYNSYM: usize = 0x100;
const SYM_SIZE: usize = 24;
const TEXT: usize = 0xc00;
const IMAGE_SIZE: usize = 0x1000;

/// The functions: (name, syscall number).
const FUNCS: [(&str, u32); 5] =
    [("clock_gettime", 228), ("gettimeofday", 96), ("time", 201), ("getcpu", 309), ("clock_getres", 229)];

const VERSION: &str = "LINUX_2.6";
const SONAME: &str = "linux-vdso.so.1";

fn elf_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &c in name {
        h = (h << 4).wrapping_add(c as u32);
        let g = h & 0xf000_0000;
        if g != 0 {
            h ^= g >> 24;
        }
        h &= !g;
    }
    h
}

struct W(Vec<u8>);

impl W {
    fn put(&mut self, off: usize, b: &[u8]) {
        self.0[off..off + b.len()].copy_from_slice(b);
    }
    fn u16(&mut self, off: usize, v: u16) {
        self.put(off, &v.to_le_bytes());
    }
    fn u32(&mut self, off: usize, v: u32) {
        self.put(off, &v.to_le_bytes());
    }
    fn u64(&mut self, off: usize, v: u64) {
        self.put(off, &v.to_le_bytes());
    }
}

/// The vDSO image, one 4 KiB page, and the offsets of its exported functions by name.
pub fn image() -> (Vec<u8>, Vec<(String, u64)>) {
    let mut w = W(vec![0u8; IMAGE_SIZE]);

    // Symbols: null, then __vdso_X and X for each function, then the version symbol.
    let mut names: Vec<(String, usize)> = Vec::new(); // (name, function index)
    for (i, (n, _)) in FUNCS.iter().enumerate() {
        names.push((format!("__vdso_{n}"), i));
        names.push((n.to_string(), i));
    }
    let nsyms = 1 + names.len() + 1;

    // String table: "\0" SONAME VERSION names...
    let mut strtab = vec![0u8];
    let stroff = |s: &str, t: &mut Vec<u8>| {
        let o = t.len();
        t.extend_from_slice(s.as_bytes());
        t.push(0);
        o as u32
    };
    let soname_off = stroff(SONAME, &mut strtab);
    let version_off = stroff(VERSION, &mut strtab);
    let name_offs: Vec<u32> = names.iter().map(|(n, _)| stroff(n, &mut strtab)).collect();

    let dynstr = DYNSYM + nsyms * SYM_SIZE;
    let hash = (dynstr + strtab.len() + 7) & !7;
    let nbucket = 7usize;
    let hash_size = 4 * (2 + nbucket + nsyms);
    let versym = (hash + hash_size + 1) & !1;
    let verdef = (versym + 2 * nsyms + 3) & !3;
    let verdef_size = 2 * (20 + 8);
    let dynamic = (verdef + verdef_size + 7) & !7;
    let ndyn = 11;
    assert!(dynamic + ndyn * 16 <= TEXT, "vDSO tables overflow into text");

    // Text: one 16-byte slot per function.
    let mut exports = Vec::new();
    for (i, (n, nr)) in FUNCS.iter().enumerate() {
        let at = TEXT + i * 16;
        w.put(at, &[0xb8]);
        w.u32(at + 1, *nr);
        w.put(at + 5, &[0x0f, 0x05, 0xc3]);
        exports.push((format!("__vdso_{n}"), at as u64));
    }

    // ELF header.
    w.put(EHDR, b"\x7fELF\x02\x01\x01\0");
    w.u16(16, 3); // ET_DYN
    w.u16(18, 62); // EM_X86_64
    w.u32(20, 1);
    w.u64(24, TEXT as u64);
    w.u64(32, PHDR as u64);
    w.u64(40, 0);
    w.u16(52, 64);
    w.u16(54, 56);
    w.u16(56, PHNUM as u16);
    w.u16(58, 64);

    // Program headers: PT_LOAD (r-x, whole image), PT_DYNAMIC, PT_GNU_STACK.
    let ph = |w: &mut W, i: usize, ty: u32, flags: u32, off: usize, size: usize, align: u64| {
        let b = PHDR + i * 56;
        w.u32(b, ty);
        w.u32(b + 4, flags);
        w.u64(b + 8, off as u64);
        w.u64(b + 16, off as u64);
        w.u64(b + 24, off as u64);
        w.u64(b + 32, size as u64);
        w.u64(b + 40, size as u64);
        w.u64(b + 48, align);
    };
    ph(&mut w, 0, 1, 5, 0, IMAGE_SIZE, 0x1000);
    ph(&mut w, 1, 2, 4, dynamic, ndyn * 16, 8);
    ph(&mut w, 2, 0x6474_e551, 6, 0, 0, 16);

    // Dynamic symbols.
    for (j, (_, fi)) in names.iter().enumerate() {
        let s = DYNSYM + (j + 1) * SYM_SIZE;
        w.u32(s, name_offs[j]);
        w.put(s + 4, &[0x12, 0]); // STB_GLOBAL | STT_FUNC, default visibility
        w.u16(s + 6, 1); // any non-zero section index: defined
        w.u64(s + 8, (TEXT + fi * 16) as u64);
        w.u64(s + 16, 8);
    }
    let vsym = DYNSYM + (nsyms - 1) * SYM_SIZE;
    w.u32(vsym, version_off);
    w.put(vsym + 4, &[0x11, 0]); // STB_GLOBAL | STT_OBJECT
    w.u16(vsym + 6, 0xfff1); // SHN_ABS

    w.put(dynstr, &strtab);

    // SysV hash table.
    let sym_name = |k: usize| -> &str {
        if k == nsyms - 1 {
            VERSION
        } else {
            &names[k - 1].0
        }
    };
    w.u32(hash, nbucket as u32);
    w.u32(hash + 4, nsyms as u32);
    let mut buckets = vec![0u32; nbucket];
    let mut chains = vec![0u32; nsyms];
    for (k, chain) in chains.iter_mut().enumerate().skip(1) {
        let b = (elf_hash(sym_name(k).as_bytes()) as usize) % nbucket;
        *chain = buckets[b];
        buckets[b] = k as u32;
    }
    for (i, b) in buckets.iter().enumerate() {
        w.u32(hash + 8 + 4 * i, *b);
    }
    for (i, c) in chains.iter().enumerate() {
        w.u32(hash + 8 + 4 * nbucket + 4 * i, *c);
    }

    // Version indexes: 0 for the null symbol, 2 (LINUX_2.6) for every export.
    for k in 1..nsyms {
        w.u16(versym + 2 * k, 2);
    }

    // Version definitions: index 1 the base (file) version, index 2 LINUX_2.6.
    let vd = |w: &mut W, at: usize, flags: u16, ndx: u16, name_off: u32, name: &str, next: u32| {
        w.u16(at, 1); // vd_version
        w.u16(at + 2, flags);
        w.u16(at + 4, ndx);
        w.u16(at + 6, 1); // vd_cnt
        w.u32(at + 8, elf_hash(name.as_bytes()));
        w.u32(at + 12, 20); // vd_aux
        w.u32(at + 16, next);
        w.u32(at + 20, name_off); // vda_name
        w.u32(at + 24, 0); // vda_next
    };
    vd(&mut w, verdef, 1, 1, soname_off, SONAME, 28);
    vd(&mut w, verdef + 28, 0, 2, version_off, VERSION, 0);

    // Dynamic section.
    let dynent = [
        (14u64, soname_off as u64),   // DT_SONAME
        (4, hash as u64),             // DT_HASH
        (5, dynstr as u64),           // DT_STRTAB
        (6, DYNSYM as u64),           // DT_SYMTAB
        (10, strtab.len() as u64),    // DT_STRSZ
        (11, SYM_SIZE as u64),        // DT_SYMENT
        (0x6fff_fff0, versym as u64), // DT_VERSYM
        (0x6fff_fffc, verdef as u64), // DT_VERDEF
        (0x6fff_fffd, 2),             // DT_VERDEFNUM
        (0, 0),
        (0, 0),
    ];
    for (i, (t, v)) in dynent.iter().enumerate() {
        w.u64(dynamic + 16 * i, *t);
        w.u64(dynamic + 16 * i + 8, *v);
    }
    (w.0, exports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_parses_and_exports_code() {
        let (img, exports) = image();
        let f = elf::ElfBytes::<elf::endian::AnyEndian>::minimal_parse(&img).expect("valid ELF");
        assert_eq!(f.ehdr.e_type, elf::abi::ET_DYN);
        assert_eq!(f.segments().expect("program headers").len(), PHNUM);
        assert_eq!(exports.len(), FUNCS.len());
        for ((_, off), (_, nr)) in exports.iter().zip(FUNCS) {
            let at = *off as usize;
            assert_eq!(img[at], 0xb8);
            assert_eq!(u32::from_le_bytes(img[at + 1..at + 5].try_into().unwrap()), nr);
            assert_eq!(&img[at + 5..at + 8], &[0x0f, 0x05, 0xc3]);
        }
        assert_eq!(elf_hash(b"LINUX_2.6"), 0x03ae_75f6);
    }
}
