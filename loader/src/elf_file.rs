//! Reading and validating an ELF executable: the header checks the kernel makes, plus
//! consistency checks on program headers so a corrupt file is refused before anything is
//! mapped.
//!
//! Only the headers are read up front: the segments' pages are read from the open file
//! when the guest first touches them (a large program such as python3 is megabytes of
//! which a run uses a fraction). Section headers are not looked at, as execve does not.

use crate::LoadError;
use elf::abi;
use elf::endian::AnyEndian;
use elf::ElfBytes;
use emu_cpu::mem::PageSource;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A PT_LOAD segment.
#[derive(Clone, Debug)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub offset: u64,
    pub filesz: u64,
    /// PF_R/PF_W/PF_X as PROT_* bits (r=1, w=2, x=4).
    pub prot: u8,
}

/// A validated x86-64 ELF executable or shared object.
pub struct ElfFile {
    pub path: PathBuf,
    /// The file's bytes, shared with the pages mapped from it (filled on first touch).
    pub data: Rc<dyn PageSource>,
    /// The file's size in bytes.
    pub len: u64,
    pub is_dyn: bool,
    pub entry: u64,
    pub phoff: u64,
    pub phnum: u64,
    pub phentsize: u64,
    pub loads: Vec<Segment>,
    pub interp: Option<String>,
    /// PT_GNU_STACK asks for an executable stack.
    pub exec_stack: bool,
    /// Virtual address of the program headers (from PT_PHDR, or derived from the segment
    /// that maps `phoff`).
    pub phdr_vaddr: Option<u64>,
}

/// Upper bound on the size of one executable.
const MAX_FILE: u64 = 1 << 32;
/// Bytes read up front: the ELF and program headers, and usually PT_INTERP's path.
#[cfg(unix)]
const HEAD: u64 = 4096;

/// Where the program headers end according to the (little-endian ELF64) header at the
/// start of `head`; 0 if `head` is too short to say.
fn ph_end(head: &[u8]) -> u64 {
    if head.len() < 64 {
        return 0;
    }
    let u = |o: usize, n: usize| head[o..o + n].iter().rev().fold(0u64, |v, &b| v << 8 | b as u64);
    u(32, 8).saturating_add(u(56, 2) * u(54, 2))
}

/// An open executable, read a page at a time.
#[cfg(unix)]
struct FileSource(std::fs::File);

#[cfg(unix)]
impl FileSource {
    fn read_exact_at(&self, buf: &mut [u8], off: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.0, buf, off)
    }
}

#[cfg(unix)]
impl PageSource for FileSource {
    fn read_page(&self, off: u64, buf: &mut [u8]) {
        use std::os::unix::fs::FileExt;
        let mut got = 0;
        while got < buf.len() {
            match self.0.read_at(&mut buf[got..], off + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Linux would raise SIGBUS in the guest; the page reads as zeros.
                    log::warn!("executable: read at offset {off:#x} failed: {e}");
                    break;
                }
            }
        }
        buf[got..].fill(0);
    }
}

impl ElfFile {
    /// Opens and validates `path` as the kernel's execve would.
    pub fn open(path: &Path) -> Result<ElfFile, LoadError> {
        let p = || path.to_path_buf();
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(LoadError::NotFound(p())),
            Err(e) => return Err(LoadError::Io(p(), e)),
        };
        if meta.is_dir() {
            return Err(LoadError::IsDirectory(p()));
        }
        if !meta.is_file() {
            return Err(LoadError::NotExecutable(p()));
        }
        if !is_executable(&meta) {
            return Err(LoadError::NotExecutable(p()));
        }
        if meta.len() > MAX_FILE {
            return Err(LoadError::Unsupported(p(), format!("file too large ({} bytes)", meta.len())));
        }
        Self::read_headers(path, meta.len())
    }

    /// The headers of `path` (`len` bytes), the rest left in the file until touched.
    #[cfg(unix)]
    fn read_headers(path: &Path, len: u64) -> Result<ElfFile, LoadError> {
        let io = |e| LoadError::Io(path.to_path_buf(), e);
        let file = FileSource(std::fs::File::open(path).map_err(io)?);
        let mut head = vec![0u8; len.min(HEAD) as usize];
        file.read_exact_at(&mut head, 0).map_err(io)?;
        // Program headers past the first bytes (unusual): read up to their end.
        let end = ph_end(&head);
        if end > head.len() as u64 && end <= len {
            head.resize(end as usize, 0);
            file.read_exact_at(&mut head, 0).map_err(io)?;
        }
        Self::parse_from(path, &head, len, Rc::new(file))
    }

    #[cfg(not(unix))]
    fn read_headers(path: &Path, _len: u64) -> Result<ElfFile, LoadError> {
        let data = std::fs::read(path).map_err(|e| LoadError::Io(path.to_path_buf(), e))?;
        Self::parse(path, data)
    }

    /// Validates an in-memory image (used by replay, and by tests).
    pub fn parse(path: &Path, data: Vec<u8>) -> Result<ElfFile, LoadError> {
        let len = data.len() as u64;
        let data = Rc::new(data);
        Self::parse_from(path, &data.clone(), len, data)
    }

    /// Validates the file whose first bytes are `head` (at least its ELF and program
    /// headers when the file has them), `len` bytes in all, read from `src`.
    fn parse_from(path: &Path, head: &[u8], len: u64, src: Rc<dyn PageSource>) -> Result<ElfFile, LoadError> {
        let p = || path.to_path_buf();
        let data = head;
        // `bytes(off, n)`: n bytes at off, which lie inside the file.
        let bytes = |off: u64, n: usize| -> Cow<[u8]> {
            match data.get(off as usize..off as usize + n) {
                Some(b) => Cow::Borrowed(b),
                None => {
                    let mut b = vec![0u8; n];
                    src.read_page(off, &mut b);
                    Cow::Owned(b)
                }
            }
        };
        if data.len() < 4 || &data[..4] != b"\x7fELF" {
            return Err(LoadError::NotElf(p()));
        }
        if data.len() < 64 {
            return Err(LoadError::Corrupt(p(), format!("ELF header truncated ({} bytes)", data.len())));
        }
        match data[abi::EI_CLASS] {
            abi::ELFCLASS64 => {}
            abi::ELFCLASS32 => {
                return Err(LoadError::Unsupported(p(), "32-bit ELF (emu runs x86-64 only)".into()))
            }
            c => return Err(LoadError::Corrupt(p(), format!("unknown ELF class {c}"))),
        }
        match data[abi::EI_DATA] {
            abi::ELFDATA2LSB => {}
            abi::ELFDATA2MSB => return Err(LoadError::Unsupported(p(), "big-endian ELF".into())),
            d => return Err(LoadError::Corrupt(p(), format!("unknown ELF data encoding {d}"))),
        }
        // Without its section header fields (execve ignores them), so that only the ELF
        // and program headers need to be at hand.
        let mut hdrs = data[..data.len().min(ph_end(data).max(64) as usize)].to_vec();
        if hdrs.len() >= 64 {
            hdrs[40..48].fill(0); // e_shoff
            hdrs[60..64].fill(0); // e_shnum, e_shstrndx
        }
        let file = ElfBytes::<AnyEndian>::minimal_parse(&hdrs)
            .map_err(|e| LoadError::Corrupt(p(), format!("bad ELF header: {e}")))?;
        let h = &file.ehdr;
        if h.e_machine != abi::EM_X86_64 {
            let m = match h.e_machine {
                abi::EM_AARCH64 => "ARM64 (aarch64)".to_string(),
                abi::EM_ARM => "32-bit ARM".to_string(),
                abi::EM_386 => "i386".to_string(),
                abi::EM_RISCV => "RISC-V".to_string(),
                m => format!("machine {m}"),
            };
            return Err(LoadError::Unsupported(p(), format!("{m} code (emu runs x86-64 only)")));
        }
        let is_dyn = match h.e_type {
            abi::ET_EXEC => false,
            abi::ET_DYN => true,
            t => return Err(LoadError::Unsupported(p(), format!("ELF type {t} is not an executable"))),
        };
        if h.e_phentsize as usize != 56 {
            return Err(LoadError::Corrupt(
                p(),
                format!("program header size {} (expected 56)", h.e_phentsize),
            ));
        }
        let phnum = h.e_phnum as u64;
        if phnum == 0 || phnum > 512 {
            return Err(LoadError::Corrupt(p(), format!("{phnum} program headers")));
        }
        let ph_end = h.e_phoff.checked_add(phnum * 56);
        if ph_end.is_none_or(|e| e > len) {
            return Err(LoadError::Corrupt(p(), "program headers extend past the end of the file".into()));
        }
        let segs = file.segments().ok_or_else(|| LoadError::Corrupt(p(), "no program headers".into()))?;
        let mut loads = Vec::new();
        let mut interp = None;
        let mut exec_stack = false;
        let mut phdr_vaddr = None;
        for ph in segs.iter() {
            match ph.p_type {
                abi::PT_LOAD => {
                    if ph.p_memsz == 0 {
                        continue;
                    }
                    let fend = ph.p_offset.checked_add(ph.p_filesz);
                    if fend.is_none_or(|e| e > len) {
                        return Err(LoadError::Corrupt(
                            p(),
                            format!("segment at {:#x} extends past the end of the file", ph.p_vaddr),
                        ));
                    }
                    if ph.p_filesz > ph.p_memsz {
                        return Err(LoadError::Corrupt(
                            p(),
                            format!("segment at {:#x} has file size larger than memory size", ph.p_vaddr),
                        ));
                    }
                    if ph.p_vaddr.checked_add(ph.p_memsz).is_none_or(|e| e > emu_cpu::mem::USER_END) {
                        return Err(LoadError::Corrupt(
                            p(),
                            format!(
                                "segment at {:#x} of {:#x} bytes is outside user space",
                                ph.p_vaddr, ph.p_memsz
                            ),
                        ));
                    }
                    if (ph.p_vaddr & 0xfff) != (ph.p_offset & 0xfff) {
                        return Err(LoadError::Corrupt(
                            p(),
                            format!(
                                "segment at {:#x} is not congruent with its file offset modulo the page size",
                                ph.p_vaddr
                            ),
                        ));
                    }
                    let mut prot = 0;
                    if ph.p_flags & abi::PF_R != 0 {
                        prot |= 1;
                    }
                    if ph.p_flags & abi::PF_W != 0 {
                        prot |= 2;
                    }
                    if ph.p_flags & abi::PF_X != 0 {
                        prot |= 4;
                    }
                    loads.push(Segment {
                        vaddr: ph.p_vaddr,
                        memsz: ph.p_memsz,
                        offset: ph.p_offset,
                        filesz: ph.p_filesz,
                        prot,
                    });
                }
                abi::PT_INTERP => {
                    let end = ph.p_offset.checked_add(ph.p_filesz);
                    if end.is_none_or(|e| e > len) || ph.p_filesz < 2 || ph.p_filesz > 4096 {
                        return Err(LoadError::Corrupt(p(), "bad PT_INTERP".into()));
                    }
                    let raw = bytes(ph.p_offset, ph.p_filesz as usize);
                    let s = raw.split(|&b| b == 0).next().unwrap_or_default();
                    interp = Some(String::from_utf8_lossy(s).into_owned());
                }
                abi::PT_GNU_STACK => exec_stack = ph.p_flags & abi::PF_X != 0,
                abi::PT_PHDR => phdr_vaddr = Some(ph.p_vaddr),
                _ => {}
            }
        }
        if loads.is_empty() {
            return Err(LoadError::Corrupt(p(), "no loadable segments".into()));
        }
        // Segments must be in ascending order and must not overlap (as the ELF spec requires).
        for w in loads.windows(2) {
            if w[1].vaddr < w[0].vaddr + w[0].memsz {
                return Err(LoadError::Corrupt(
                    p(),
                    format!(
                        "segments at {:#x} and {:#x} overlap or are out of order",
                        w[0].vaddr, w[1].vaddr
                    ),
                ));
            }
        }
        if phdr_vaddr.is_none() {
            phdr_vaddr = loads
                .iter()
                .find(|s| h.e_phoff >= s.offset && h.e_phoff + phnum * 56 <= s.offset + s.filesz)
                .map(|s| s.vaddr + (h.e_phoff - s.offset));
        }
        let (entry, phoff) = (h.e_entry, h.e_phoff);
        Ok(ElfFile {
            path: path.to_path_buf(),
            data: src,
            len,
            is_dyn,
            entry,
            phoff,
            phnum,
            phentsize: 56,
            loads,
            interp,
            exec_stack,
            phdr_vaddr,
        })
    }

    /// Lowest and highest (exclusive, page-aligned) addresses of the loadable segments.
    pub fn span(&self) -> (u64, u64) {
        let lo = self.loads.iter().map(|s| s.vaddr & !0xfff).min().unwrap_or(0);
        let hi = self.loads.iter().map(|s| (s.vaddr + s.memsz + 0xfff) & !0xfff).max().unwrap_or(0);
        (lo, hi)
    }
}

#[cfg(unix)]
fn is_executable(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::ElfFile;
    use std::path::PathBuf;

    fn rom(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../roms/bin").join(name)
    }

    /// Opening reads only the headers, yet finds what parsing the whole file finds, and
    /// every page of every segment reads back as the file's bytes.
    #[test]
    fn headers_only_open_matches_the_whole_file() {
        for name in ["dyn.nopie", "cxx.dyn", "fileio.pie"] {
            let path = rom(name);
            let whole = std::fs::read(&path).unwrap();
            let lazy = ElfFile::open(&path).unwrap();
            let full = ElfFile::parse(&path, whole.clone()).unwrap();
            assert_eq!(lazy.len, whole.len() as u64);
            assert_eq!(
                (
                    lazy.is_dyn,
                    lazy.entry,
                    lazy.phoff,
                    lazy.phnum,
                    &lazy.interp,
                    lazy.exec_stack,
                    lazy.phdr_vaddr
                ),
                (
                    full.is_dyn,
                    full.entry,
                    full.phoff,
                    full.phnum,
                    &full.interp,
                    full.exec_stack,
                    full.phdr_vaddr
                ),
                "{name}"
            );
            assert_eq!(format!("{:?}", lazy.loads), format!("{:?}", full.loads), "{name}");
            let mut page = vec![0u8; 4096];
            for off in (0..whole.len()).step_by(4096) {
                lazy.data.read_page(off as u64, &mut page);
                let n = (whole.len() - off).min(4096);
                assert_eq!(&page[..n], &whole[off..off + n], "{name} at {off:#x}");
                assert!(page[n..].iter().all(|&b| b == 0), "{name}: zeros past the end");
            }
        }
    }
}
