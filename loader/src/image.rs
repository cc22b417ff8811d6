//! Mapping an executable (and its interpreter) into a fresh address space, Linux style:
//! no address randomisation, so every run has the same layout (ET_DYN programs at
//! 0x555555554000, the interpreter top-down below the mmap base, the stack under
//! 0x7ffffffff000).

use crate::layout::{find_free, MMAP_MIN_ADDR};
use crate::stack::{build_stack, AuxEntry, StackInfo};
use crate::{ElfFile, LoadError};
use emu_cpu::mem::{page_align_down, page_align_up, FileBytes, VmaInfo};
use emu_cpu::{AddressSpace, Perm};
use std::path::PathBuf;

/// Where ET_DYN programs go (Linux's ELF_ET_DYN_BASE with randomisation off).
pub const ET_DYN_BASE: u64 = 0x5555_5555_4000;
/// Top of the initial stack.
pub const STACK_TOP: u64 = 0x7fff_ffff_f000;
/// Size reserved for the main thread's stack (RLIMIT_STACK default).
pub const STACK_SIZE: u64 = 8 << 20;

/// What `execve` needs beyond the files themselves.
pub struct LoadRequest<'a> {
    pub exe: &'a ElfFile,
    /// The interpreter named by the program's PT_INTERP, already opened by the caller
    /// (which resolves the path through the sysroot).
    pub interp: Option<&'a ElfFile>,
    /// AT_EXECFN: the path as the caller of execve wrote it.
    pub execfn: &'a [u8],
    pub argv: &'a [Vec<u8>],
    pub envp: &'a [Vec<u8>],
    /// AT_RANDOM bytes.
    pub random: [u8; 16],
    /// AT_HWCAP (CPUID.1:EDX) and AT_HWCAP2 (the kernel's own bits, HWCAP2_FSGSBASE).
    pub hwcap: u64,
    pub hwcap2: u64,
    /// AT_MINSIGSTKSZ: the largest signal frame the kernel can write.
    pub minsigstksz: u64,
    /// Map emu's vDSO and pass it as AT_SYSINFO_EHDR.
    pub vdso: bool,
    /// uid, euid, gid, egid.
    pub ids: [u64; 4],
}

/// One ELF object as placed in memory.
#[derive(Clone, Debug)]
pub struct MappedImage {
    pub path: PathBuf,
    /// Added to every virtual address in the file (0 for ET_EXEC).
    pub bias: u64,
    pub entry: u64,
    pub phdr: u64,
    pub phnum: u64,
    /// First and one-past-last mapped address.
    pub start: u64,
    pub end: u64,
}

#[derive(Clone, Debug)]
pub struct Loaded {
    pub main: MappedImage,
    pub interp: Option<MappedImage>,
    /// Where execution starts: the interpreter's entry if there is one.
    pub entry: u64,
    pub sp: u64,
    /// Initial program break.
    pub brk: u64,
    pub auxv: Vec<AuxEntry>,
    pub stack: StackInfo,
    /// Where the vDSO was mapped: [start, end).
    pub vdso: Option<(u64, u64)>,
}

fn map_image(mem: &mut AddressSpace, elf: &ElfFile, bias: u64) -> Result<MappedImage, LoadError> {
    let name: std::sync::Arc<str> = elf.path.to_string_lossy().into();
    let nomem = |why: String| LoadError::NoMemory(elf.path.clone(), why);
    for s in &elf.loads {
        let start = page_align_down(s.vaddr) + bias;
        let file_end = page_align_up(s.vaddr + s.filesz) + bias;
        let mem_end = page_align_up(s.vaddr + s.memsz) + bias;
        if start < MMAP_MIN_ADDR {
            return Err(nomem(format!("segment at {start:#x} is below the lowest mappable address")));
        }
        let perm = Perm(s.prot);
        let off = page_align_down(s.offset);
        // Like the kernel's file mapping, the page-granular file range is visible; the part
        // past p_filesz is zeroed when the segment has bss. Pages are filled from the file
        // on first touch.
        let data_end =
            if s.memsz > s.filesz { s.offset + s.filesz } else { (off + (file_end - start)).min(elf.len) };
        if file_end > start {
            let info = VmaInfo { name: Some(name.clone()), offset: off, ..VmaInfo::default() };
            let file = FileBytes { src: elf.data.clone(), off, avail: data_end.saturating_sub(off) };
            mem.map_file(start, file_end - start, perm, info, file).map_err(|e| nomem(e.to_string()))?;
        }
        if mem_end > file_end {
            mem.map(file_end, mem_end - file_end, perm, VmaInfo::anon()).map_err(|e| nomem(e.to_string()))?;
        }
    }
    let (lo, hi) = elf.span();
    let phdr = elf.phdr_vaddr.map(|v| v + bias).unwrap_or(0);
    Ok(MappedImage {
        path: elf.path.clone(),
        bias,
        entry: elf.entry.wrapping_add(bias),
        phdr,
        phnum: elf.phnum,
        start: lo + bias,
        end: hi + bias,
    })
}

/// Maps the program, its interpreter and the stack into `mem` (which should be empty).
pub fn load(mem: &mut AddressSpace, req: &LoadRequest) -> Result<Loaded, LoadError> {
    let exe = req.exe;
    let (lo, hi) = exe.span();
    // Linux puts a PIE that has an interpreter at ELF_ET_DYN_BASE, and an ET_DYN without
    // one (static-pie, or ld.so run as a program) where mmap would, top-down.
    let bias = match (exe.is_dyn, req.interp.is_some()) {
        (false, _) => 0,
        (true, true) => ET_DYN_BASE - lo,
        (true, false) => {
            let at = find_free(mem, 0, hi - lo)
                .ok_or_else(|| LoadError::NoMemory(exe.path.clone(), "no room for the program".into()))?;
            at - lo
        }
    };
    if !exe.is_dyn && lo < MMAP_MIN_ADDR {
        return Err(LoadError::NoMemory(
            exe.path.clone(),
            format!("segment at {lo:#x} is below {MMAP_MIN_ADDR:#x}"),
        ));
    }
    let main = map_image(mem, exe, bias)?;
    let brk = page_align_up(main.end);

    let stack_perm = if exe.exec_stack { Perm::RWX } else { Perm::RW };
    mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, stack_perm, VmaInfo::named("[stack]"))
        .map_err(|e| LoadError::NoMemory(exe.path.clone(), e.to_string()))?;
    // Mappings go top-down from Linux's mmap_base: the stack top less the minimum stack gap
    // of 128 MiB.
    mem.mmap_top = STACK_TOP - (128 << 20);

    let interp = match req.interp {
        Some(ie) => {
            let (ilo, ihi) = ie.span();
            let base = if ie.is_dyn {
                find_free(mem, 0, ihi - ilo).ok_or_else(|| {
                    LoadError::NoMemory(ie.path.clone(), "no room for the interpreter".into())
                })?
            } else {
                ilo
            };
            let ibias = if ie.is_dyn { base - ilo } else { 0 };
            let img = map_image(mem, ie, ibias)
                .map_err(|e| LoadError::BadInterpreter { program: exe.path.clone(), cause: Box::new(e) })?;
            Some(img)
        }
        None => None,
    };
    let vdso = if req.vdso {
        let (img, _) = crate::vdso::image();
        let size = img.len() as u64;
        let at = find_free(mem, 0, size)
            .ok_or_else(|| LoadError::NoMemory(exe.path.clone(), "no room for the vDSO".into()))?;
        mem.map(at, size, Perm::RX, VmaInfo::named("[vdso]"))
            .and_then(|_| mem.poke(at, &img).map_err(|_| emu_cpu::MemError::NoMemory))
            .map_err(|e| LoadError::NoMemory(exe.path.clone(), e.to_string()))?;
        Some((at, at + size))
    } else {
        None
    };
    let entry = interp.as_ref().map(|i| i.entry).unwrap_or(main.entry);
    let (sp, auxv, stack) = build_stack(mem, req, &main, interp.as_ref(), vdso.map(|v| v.0))
        .map_err(|why| LoadError::NoMemory(exe.path.clone(), why))?;
    Ok(Loaded { main, interp, entry, sp, brk, auxv, stack, vdso })
}
