//! Memory syscalls: mmap, munmap, mprotect, mremap, brk, madvise, msync. They check
//! arguments the way Linux does and leave the bookkeeping to the address space.

use super::{Args, SysResult};
use crate::abi::{errno as E, mman::*};
use crate::host::Errno;
use crate::Process;
use emu_cpu::mem::{FileBytes, MemError, VmaInfo, PAGE_MASK, USER_END};
use emu_cpu::Perm;
use emu_loader::layout::{find_free, MMAP_MIN_ADDR};
use std::rc::Rc;

pub(crate) fn page_up(v: u64) -> u64 {
    v.wrapping_add(PAGE_MASK) & !PAGE_MASK
}

fn mem_err(e: MemError) -> Errno {
    match e {
        MemError::Invalid => E::EINVAL,
        MemError::NoMemory => E::ENOMEM,
        MemError::Exists => E::EEXIST,
    }
}

fn perm(prot: u64) -> Perm {
    Perm((prot & 7) as u8)
}

pub(super) fn mmap(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len, prot, flags, fd, off) =
        (a.ptr(0), a.ulong(1), a.ulong(2), a.ulong(3), a.fd(4), a.ulong(5));
    if len == 0 || off & PAGE_MASK != 0 || prot & !7 != 0 {
        return Err(E::EINVAL);
    }
    let len = page_up(len);
    if len == 0 || len > USER_END {
        return Err(E::ENOMEM);
    }
    let kind = flags & MAP_SHARED_VALIDATE;
    if kind == 0 {
        return Err(E::EINVAL);
    }
    let shared = kind != MAP_PRIVATE;
    let anon = flags & MAP_ANONYMOUS != 0;
    // Gather the file's bytes first so a bad fd fails before anything is unmapped.
    let mut info = VmaInfo::anon();
    let mut contents: Option<FileBytes> = None;
    if !anon {
        let f = p.fds.file(fd)?;
        let of = f.borrow();
        let h = of.host_fd().ok_or(E::ENODEV)?;
        if of.flags & crate::abi::open::O_ACCMODE == crate::abi::open::O_WRONLY {
            return Err(E::EACCES);
        }
        if shared && prot & PROT_WRITE != 0 {
            // Writes through a shared file mapping would have to reach the file; emu keeps
            // guest memory apart from host files, so it refuses rather than lose writes.
            log::warn!("mmap: MAP_SHARED with PROT_WRITE on a file is not supported");
            return Err(E::ENODEV);
        }
        // Record and replay keep the bytes in the log, so they are read at mmap time.
        let lazy = if crate::gate::logging() { None } else { crate::mapped::source(h, off, len) };
        let (dev, inode) = match lazy {
            Some(r) => {
                let (file, dev, inode) = r?;
                contents = Some(file);
                (dev, inode)
            }
            None => {
                let (data, dev, inode) = crate::gate::map_file(h, off, len)?;
                let n = data.len() as u64;
                contents = Some(FileBytes { src: Rc::new(data), off: 0, avail: n });
                (dev, inode)
            }
        };
        let name = of.path.as_ref().map(|gp| crate::path::join(&p.cwd, gp));
        info = VmaInfo {
            name: name.map(|n| String::from_utf8_lossy(&n).into()),
            offset: off,
            shared,
            dev,
            inode,
        };
    } else {
        info.shared = shared;
    }
    let start = if flags & MAP_FIXED != 0 {
        if addr & PAGE_MASK != 0 {
            return Err(E::EINVAL);
        }
        addr
    } else if flags & MAP_FIXED_NOREPLACE != 0 {
        if addr & PAGE_MASK != 0 {
            return Err(E::EINVAL);
        }
        if p.cpu.mem.any_mapped(addr, addr.saturating_add(len)) {
            return Err(E::EEXIST);
        }
        addr
    } else {
        find_free(&p.cpu.mem, addr & !PAGE_MASK, len).ok_or(E::ENOMEM)?
    };
    if start < MMAP_MIN_ADDR && flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
        return Err(E::EPERM);
    }
    match contents {
        Some(file) => p.cpu.mem.map_file(start, len, perm(prot), info, file),
        None => p.cpu.mem.map(start, len, perm(prot), info),
    }
    .map_err(mem_err)?;
    p.event(|_| crate::process::Event::Mapped { start, prot });
    Ok(start)
}

pub(super) fn munmap(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len) = (a.ptr(0), a.ulong(1));
    if addr & PAGE_MASK != 0 || len == 0 {
        return Err(E::EINVAL);
    }
    p.cpu.mem.unmap(addr, page_up(len)).map_err(mem_err)?;
    p.event(|_| crate::process::Event::Unmapped { start: addr, len: page_up(len) });
    Ok(0)
}

pub(super) fn mprotect(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len, prot) = (a.ptr(0), a.ulong(1), a.ulong(2));
    // PROT_GROWSDOWN/GROWSUP are accepted and ignored (the whole range is given).
    let prot = prot & !0x0300_0000;
    if addr & PAGE_MASK != 0 || prot & !7 != 0 {
        return Err(E::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    p.cpu.mem.protect(addr, page_up(len), perm(prot)).map_err(mem_err)?;
    Ok(0)
}

pub(super) fn brk(p: &mut Process, a: &Args) -> SysResult {
    let want = a.ptr(0);
    if want < p.brk_start {
        return Ok(p.brk);
    }
    let old_top = page_up(p.brk);
    let new_top = page_up(want);
    if new_top > old_top {
        if p.cpu.mem.any_mapped(old_top, new_top) || new_top > USER_END {
            return Ok(p.brk);
        }
        if p.cpu.mem.map(old_top, new_top - old_top, Perm::RW, VmaInfo::named("[heap]")).is_err() {
            return Ok(p.brk);
        }
    } else if new_top < old_top {
        p.cpu.mem.unmap(new_top, old_top - new_top).map_err(mem_err)?;
    }
    p.brk = want;
    Ok(p.brk)
}

pub(super) fn mremap(p: &mut Process, a: &Args) -> SysResult {
    let (old, old_len, new_len, flags, new_addr) =
        (a.ptr(0), page_up(a.ulong(1)), page_up(a.ulong(2)), a.ulong(3), a.ptr(4));
    if old & PAGE_MASK != 0
        || new_len == 0
        || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
    {
        return Err(E::EINVAL);
    }
    if flags & MREMAP_DONTUNMAP != 0 || old_len == 0 {
        return Err(E::EINVAL);
    }
    let vma = p.cpu.mem.vma_at(old).cloned().ok_or(E::EFAULT)?;
    if !p.cpu.mem.is_mapped(old, old + old_len) || old + old_len > vma.end {
        return Err(E::EFAULT);
    }
    let info = VmaInfo {
        name: vma.name.clone(),
        offset: vma.offset + (old + old_len - vma.start),
        shared: vma.shared,
        dev: vma.dev,
        inode: vma.inode,
    };
    if flags & MREMAP_FIXED != 0 {
        if flags & MREMAP_MAYMOVE == 0 || new_addr & PAGE_MASK != 0 {
            return Err(E::EINVAL);
        }
        let keep = old_len.min(new_len);
        p.cpu.mem.unmap(new_addr, new_len).map_err(mem_err)?;
        p.cpu.mem.move_range(old, keep, new_addr).map_err(mem_err)?;
        if old_len > keep {
            p.cpu.mem.unmap(old + keep, old_len - keep).map_err(mem_err)?;
        }
        if new_len > keep {
            p.cpu.mem.map(new_addr + keep, new_len - keep, vma.perm, info).map_err(mem_err)?;
        }
        return Ok(new_addr);
    }
    if new_len <= old_len {
        if new_len < old_len {
            p.cpu.mem.unmap(old + new_len, old_len - new_len).map_err(mem_err)?;
        }
        return Ok(old);
    }
    let end = old + old_len;
    if end + (new_len - old_len) <= USER_END && !p.cpu.mem.any_mapped(end, old + new_len) {
        p.cpu.mem.map(end, new_len - old_len, vma.perm, info).map_err(mem_err)?;
        return Ok(old);
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(E::ENOMEM);
    }
    let dest = find_free(&p.cpu.mem, 0, new_len).ok_or(E::ENOMEM)?;
    p.cpu.mem.move_range(old, old_len, dest).map_err(mem_err)?;
    p.cpu.mem.map(dest + old_len, new_len - old_len, vma.perm, info).map_err(mem_err)?;
    Ok(dest)
}

pub(super) fn madvise(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len, advice) = (a.ptr(0), page_up(a.ulong(1)), a.int(2));
    if addr & PAGE_MASK != 0 {
        return Err(E::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    if !p.cpu.mem.is_mapped(addr, addr + len) {
        return Err(E::ENOMEM);
    }
    if advice == MADV_DONTNEED || advice == MADV_FREE {
        // Private anonymous pages read back as zero afterwards.
        p.cpu.mem.discard(addr, len).map_err(mem_err)?;
    }
    Ok(0)
}

pub(super) fn msync(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len) = (a.ptr(0), a.ulong(1));
    if addr & PAGE_MASK != 0 {
        return Err(E::EINVAL);
    }
    if !p.cpu.mem.is_mapped(addr, addr + page_up(len)) {
        return Err(E::ENOMEM);
    }
    Ok(0)
}
