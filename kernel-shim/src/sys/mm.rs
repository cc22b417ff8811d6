//! Memory syscalls: mmap, munmap, mprotect, mremap, brk, madvise, msync, mincore, the
//! mlock family, membarrier, memfd_create. They check arguments the way Linux does and
//! leave the bookkeeping to the address space. A MAP_SHARED mapping is host shared memory
//! (`host::SharedRegion`): of the file itself, so that stores reach it and read/write see
//! them, or anonymous, so that a forked child shares it.

use super::{Args, SysResult};
use crate::abi::{errno as E, mman::*};
use crate::host::{self, Errno};
use crate::Process;
use emu_cpu::mem::{FileBytes, MemError, SharedMemory, VmaInfo, PAGE_MASK, USER_END};
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
        MemError::Denied => E::EACCES,
    }
}

pub(super) fn perm(prot: u64) -> Perm {
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
    let mut region: Option<Rc<dyn SharedMemory>> = None;
    if !anon {
        let f = p.fds.file(fd)?;
        let of = f.borrow();
        let h = of.host_fd().ok_or(E::ENODEV)?;
        if of.flags & crate::abi::open::O_ACCMODE == crate::abi::open::O_WRONLY {
            return Err(E::EACCES);
        }
        let writable = of.flags & crate::abi::open::O_ACCMODE == crate::abi::open::O_RDWR;
        if shared && prot & PROT_WRITE != 0 && !writable {
            return Err(E::EACCES);
        }
        if shared && p.world().kind() != crate::world::Kind::Replaying {
            let r = host::SharedRegion::of_file(h, off, len, writable)?;
            region = Some(Rc::new(r));
        }
        // Record and replay keep the bytes in the log, so they are read at mmap time.
        let lazy = if p.world().kind().logs() { None } else { crate::mapped::source(h, off, len) };
        let (dev, inode) = match lazy {
            Some(r) => {
                let (file, dev, inode) = r?;
                contents = Some(file);
                (dev, inode)
            }
            None => {
                let (data, dev, inode) = p.world().map_file(h, off, len)?;
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
        if shared && region.is_none() {
            // Replaying: the file may be gone; the recorded bytes stand in for it, shared
            // with the children as the file's pages were.
            region = Some(Rc::new(shared_copy(contents.as_ref(), len)?));
        }
    } else {
        info.shared = shared;
        if shared {
            region = Some(Rc::new(host::SharedRegion::anonymous(len)?));
            info.name = Some("/dev/zero (deleted)".into());
        }
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
    match (region, contents) {
        (Some(r), _) => p.cpu.mem.map_shared(start, len, perm(prot), info, r, 0),
        (None, Some(file)) => p.cpu.mem.map_file(start, len, perm(prot), info, file),
        (None, None) => p.cpu.mem.map(start, len, perm(prot), info),
    }
    .map_err(mem_err)?;
    p.event(|_| crate::process::Event::Mapped { start, prot });
    Ok(start)
}

/// Anonymous shared memory holding `len` bytes, the first ones `file`'s.
fn shared_copy(file: Option<&FileBytes>, len: u64) -> Result<host::SharedRegion, Errno> {
    let r = host::SharedRegion::anonymous(len)?;
    if let Some(f) = file {
        let n = f.avail.min(len) as usize;
        // SAFETY: the fresh region holds at least `len` bytes and nothing else uses it yet.
        let dst = unsafe { std::slice::from_raw_parts_mut(r.base(), n) };
        f.src.read_page(f.off, dst);
    }
    Ok(r)
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
    if vma.shared && new_len > old_len {
        // Growing shared memory would need more of the same host region.
        log::info!("mremap: growing a shared mapping is not supported");
        return Err(E::ENOMEM);
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
    const MS_ASYNC: i32 = 1;
    const MS_INVALIDATE: i32 = 2;
    const MS_SYNC: i32 = 4;
    let (addr, len, flags) = (a.ptr(0), a.ulong(1), a.int(2));
    if addr & PAGE_MASK != 0 || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0 {
        return Err(E::EINVAL);
    }
    if flags & MS_ASYNC != 0 && flags & MS_SYNC != 0 {
        return Err(E::EINVAL);
    }
    let end = addr + page_up(len);
    if !p.cpu.mem.is_mapped(addr, end) {
        return Err(E::ENOMEM);
    }
    for (mem, off, n) in p.cpu.mem.shared_pieces(addr, end) {
        if !mem.sync(off, n, flags & MS_INVALIDATE != 0) {
            return Err(E::EIO);
        }
    }
    Ok(0)
}

/// mincore: a byte per page, 1 where the page is in memory: touched, or shared memory
/// (whose pages live in the host's page cache).
pub(super) fn mincore(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len, vec) = (a.ptr(0), page_up(a.ulong(1)), a.ptr(2));
    if addr & PAGE_MASK != 0 {
        return Err(E::EINVAL);
    }
    if !p.cpu.mem.is_mapped(addr, addr + len) {
        return Err(E::ENOMEM);
    }
    let mut out = vec![0u8; (len >> 12) as usize];
    for (i, b) in out.iter_mut().enumerate() {
        let page = addr + ((i as u64) << 12);
        *b = (p.cpu.mem.touched_page(page >> 12) || p.cpu.mem.vma_at(page).is_some_and(|v| v.shared)) as u8;
    }
    super::write_guest(p, vec, &out)?;
    Ok(0)
}

/// mlock, munlock, mlock2: emu keeps every page it has in memory (nothing is swapped out
/// behind the guest's back), so locking only checks the range.
pub(super) fn mlock(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len) = (a.ptr(0) & !PAGE_MASK, a.ulong(1));
    let end = page_up(a.ptr(0).saturating_add(len));
    if !p.cpu.mem.is_mapped(addr, end.max(addr)) {
        return Err(E::ENOMEM);
    }
    Ok(0)
}

/// mlockall, munlockall: as `mlock`, for everything (after checking the flags).
pub(super) fn mlockall(_: &mut Process, a: &Args) -> SysResult {
    const MCL_ALL: i32 = 1 | 2 | 4;
    if a.int(0) & !MCL_ALL != 0 || a.int(0) == 0 {
        return Err(E::EINVAL);
    }
    Ok(0)
}

pub(super) fn munlockall(_: &mut Process, _: &Args) -> SysResult {
    Ok(0)
}

/// membarrier: every guest thread runs on emu's one host thread, in turn, so each
/// barrier the guest asks for already holds when the call returns.
pub(super) fn membarrier(_: &mut Process, a: &Args) -> SysResult {
    const QUERY: i32 = 0;
    const GLOBAL: i32 = 1;
    const GLOBAL_EXPEDITED: i32 = 2;
    const REGISTER_GLOBAL_EXPEDITED: i32 = 4;
    const PRIVATE_EXPEDITED: i32 = 8;
    const REGISTER_PRIVATE_EXPEDITED: i32 = 16;
    const SUPPORTED: i32 = GLOBAL
        | GLOBAL_EXPEDITED
        | REGISTER_GLOBAL_EXPEDITED
        | PRIVATE_EXPEDITED
        | REGISTER_PRIVATE_EXPEDITED;
    match a.int(0) {
        QUERY => Ok(SUPPORTED as u64),
        c if c & SUPPORTED == c && c.count_ones() == 1 => Ok(0),
        _ => Err(E::EINVAL),
    }
}

/// memfd_create: an anonymous file in the host; its path in /proc/self/fd is Linux's
/// `/memfd:NAME (deleted)`.
pub(super) fn memfd_create(p: &mut Process, a: &Args) -> SysResult {
    const MFD_CLOEXEC: u32 = 1;
    const MFD_ALLOW_SEALING: u32 = 2;
    const MFD_HUGETLB: u32 = 4;
    const MFD_NOEXEC_SEAL: u32 = 8;
    const MFD_EXEC: u32 = 0x10;
    let flags = a.uint(1);
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC) != 0 {
        return Err(E::EINVAL);
    }
    if flags & MFD_HUGETLB != 0 {
        return Err(E::EINVAL);
    }
    // Linux takes names of up to 249 bytes.
    let name = p.cpu.mem.read_cstr(a.ptr(0), 250).map_err(|_| E::EFAULT)?;
    if name.len() > 249 {
        return Err(E::EINVAL);
    }
    let h = host::memfd(&name)?;
    let mut path = b"/memfd:".to_vec();
    path.extend_from_slice(&name);
    path.extend_from_slice(b" (deleted)");
    let file =
        crate::fd::OpenFile::host(h, crate::abi::open::O_RDWR | crate::abi::open::O_LARGEFILE, Some(path));
    let e = crate::fd::FdEntry {
        file: Rc::new(std::cell::RefCell::new(file)),
        cloexec: flags & MFD_CLOEXEC != 0,
    };
    p.fds.alloc(e, 0).map(|fd| fd as u64)
}

// ---- memory protection keys, answered as Linux on a CPU without PKU: no key is ever
// allocated there (the mm's allocation map stays empty), so pkey_alloc finds key 0 and
// then fails to set its rights (EINVAL, arch_set_user_pkey_access), pkey_free has
// nothing to free, and pkey_mprotect takes only -1 (no key) ----

pub(super) fn pkey_alloc(_: &mut Process, _: &Args) -> SysResult {
    Err(E::EINVAL)
}

pub(super) fn pkey_free(_: &mut Process, _: &Args) -> SysResult {
    Err(E::EINVAL)
}

/// pkey_mprotect: mprotect when no key (-1) is given.
pub(super) fn pkey_mprotect(p: &mut Process, a: &Args) -> SysResult {
    match a.int(3) {
        -1 => mprotect(p, a),
        _ => Err(E::EINVAL),
    }
}
