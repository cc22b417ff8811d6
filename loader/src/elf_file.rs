//! Reading and validating an ELF executable: the header checks the kernel makes, plus
//! consistency checks on program headers so a corrupt file is refused before anything is
//! mapped.

use crate::LoadError;
use elf::abi;
use elf::endian::AnyEndian;
use elf::ElfBytes;
use std::path::{Path, PathBuf};

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
    /// The whole file, shared with the pages mapped from it (filled on first touch).
    pub data: std::rc::Rc<Vec<u8>>,
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

/// Upper bound on the bytes emu will read for one executable.
const MAX_FILE: u64 = 1 << 32;

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
        let data = std::fs::read(path).map_err(|e| LoadError::Io(p(), e))?;
        Self::parse(path, data)
    }

    /// Validates an in-memory image (used by `open`, and by tests).
    pub fn parse(path: &Path, data: Vec<u8>) -> Result<ElfFile, LoadError> {
        let p = || path.to_path_buf();
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
        let file = ElfBytes::<AnyEndian>::minimal_parse(&data)
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
        if ph_end.is_none_or(|e| e > data.len() as u64) {
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
                    if fend.is_none_or(|e| e > data.len() as u64) {
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
                    if end.is_none_or(|e| e > data.len() as u64) || ph.p_filesz < 2 || ph.p_filesz > 4096 {
                        return Err(LoadError::Corrupt(p(), "bad PT_INTERP".into()));
                    }
                    let raw = &data[ph.p_offset as usize..(ph.p_offset + ph.p_filesz) as usize];
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
            data: std::rc::Rc::new(data),
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
