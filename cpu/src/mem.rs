//! The guest address space.
//!
//! Invariants:
//! - Guest pages are 4 KiB whatever the host page size. A guest page is backed by its own
//!   host frame, allocated zeroed on first touch, so a 1 GiB `PROT_NONE` reservation costs
//!   nothing and mremap moves frames without copying.
//! - `vmas` is the authority on what is mapped (and how it is named, for
//!   `/proc/self/maps`); `pages` holds one entry per mapped page with its permission and
//!   frame. Both always describe the same set of pages.
//! - The software TLBs (`tlb_r`, `tlb_w`) cache page -> frame for pages readable
//!   (writable) by the guest. Every change of mapping or permission flushes them. A page
//!   that holds decoded code is never in the write TLB, so a guest store to it takes the
//!   slow path, which invalidates the decoded blocks (self-modifying code).
//! - Guest memory is never at host addresses: a guest address is only a key.

use hashbrown::HashMap;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::page_source::FileSlice;
pub use crate::page_source::{FileBytes, PageSource};
#[cfg(test)]
use std::rc::Rc;

pub const PAGE_SIZE: u64 = 4096;
pub const PAGE_MASK: u64 = PAGE_SIZE - 1;
/// One past the highest user address on x86-64 with 4-level paging.
pub const USER_END: u64 = 0x7fff_ffff_f000;
const TLB_BITS: u32 = 12;
const TLB_SIZE: usize = 1 << TLB_BITS;

/// Guest page permissions, as PROT_READ/PROT_WRITE/PROT_EXEC bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Perm(pub u8);

impl Perm {
    pub const NONE: Perm = Perm(0);
    pub const R: Perm = Perm(1);
    pub const W: Perm = Perm(2);
    pub const X: Perm = Perm(4);
    pub const RW: Perm = Perm(3);
    pub const RX: Perm = Perm(5);
    pub const RWX: Perm = Perm(7);

    pub fn read(self) -> bool {
        // x86 page tables cannot express write-only or execute-only pages.
        self.0 & 7 != 0
    }
    pub fn write(self) -> bool {
        self.0 & 2 != 0
    }
    pub fn exec(self) -> bool {
        self.0 & 4 != 0
    }
}

impl std::ops::BitOr for Perm {
    type Output = Perm;
    fn bitor(self, o: Perm) -> Perm {
        Perm(self.0 | o.0)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaultKind {
    /// No mapping at the address (SEGV_MAPERR).
    #[default]
    Unmapped,
    /// Mapped, but the access is not permitted (SEGV_ACCERR).
    Protection,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Access {
    #[default]
    Read,
    Write,
    Exec,
}

/// A guest memory access that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub addr: u64,
    pub kind: FaultKind,
    pub access: Access,
}

/// Why a mapping-management request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemError {
    /// Address or length not page aligned, zero length, or outside user space.
    Invalid,
    /// Part of the range is not mapped, or no free range is large enough.
    NoMemory,
    /// MAP_FIXED_NOREPLACE hit an existing mapping.
    Exists,
}

impl fmt::Display for MemError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            MemError::Invalid => "invalid address range",
            MemError::NoMemory => "address range not mapped or no room",
            MemError::Exists => "address range already mapped",
        })
    }
}

/// One contiguous mapping with uniform permission and backing, as `/proc/self/maps`
/// shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub perm: Perm,
    pub shared: bool,
    /// File offset of `start` for file-backed mappings.
    pub offset: u64,
    /// Path for file mappings, or a pseudo-name such as `[heap]`, `[stack]`, `[vdso]`.
    pub name: Option<Arc<str>>,
    pub dev: u64,
    pub inode: u64,
}

impl Vma {
    fn mergeable(&self, next: &Vma) -> bool {
        self.end == next.start
            && self.perm == next.perm
            && self.shared == next.shared
            && self.name == next.name
            && self.dev == next.dev
            && self.inode == next.inode
            && (self.name.is_none()
                || self.name.as_deref().is_some_and(|n| n.starts_with('['))
                || self.offset + (self.end - self.start) == next.offset)
    }
}

type Frame = Box<[u8; PAGE_SIZE as usize]>;

pub(crate) fn new_frame() -> Frame {
    vec![0u8; PAGE_SIZE as usize].into_boxed_slice().try_into().expect("page-sized frame")
}

struct Page {
    frame: Option<Frame>,
    /// Where the page's bytes come from while it has no frame (file mappings); None:
    /// zeros.
    src: Option<Box<FileSlice>>,
    perm: Perm,
    /// Decoded blocks were made from this page.
    code: bool,
}

impl Page {
    /// The page's frame, made on first touch from its source (or zeroed).
    fn frame_mut(&mut self) -> &mut Frame {
        let src = &self.src;
        self.frame.get_or_insert_with(|| match src {
            Some(s) => s.fill(),
            None => new_frame(),
        })
    }
}

/// A TLB entry keeps the page's guest address and the difference to its host frame, so a
/// hit costs one compare and one add: the compare is against the page of the access's
/// last byte, which also rejects accesses that cross into the next page (that page can
/// never sit in the slot indexed by this one). An empty slot's `page` (u64::MAX) is not
/// page-aligned and never matches.
#[derive(Clone, Copy)]
struct TlbEntry {
    page: u64,
    /// The host frame minus `page`: `addend + guest address` is the host address.
    addend: *mut u8,
}

impl TlbEntry {
    fn new(vpn: u64, host: *mut u8) -> TlbEntry {
        TlbEntry { page: vpn << 12, addend: host.wrapping_sub((vpn << 12) as usize) }
    }
}

const TLB_EMPTY: TlbEntry = TlbEntry { page: u64::MAX, addend: std::ptr::null_mut() };

pub struct AddressSpace {
    pages: HashMap<u64, Page>,
    vmas: BTreeMap<u64, Vma>,
    tlb_r: Box<[TlbEntry; TLB_SIZE]>,
    tlb_w: Box<[TlbEntry; TLB_SIZE]>,
    /// Code pages changed by mapping operations; the CPU drops their blocks before it
    /// runs again.
    pub(crate) stale_code: Vec<u64>,
    /// Highest address (exclusive) for placing mappings without a hint: where the OS's
    /// layout policy (emu-loader's `layout`) starts looking.
    pub mmap_top: u64,
    /// Pages with watched memory (`Cpu::set_watches`): kept out of the read (write) TLB
    /// so that every access reaches the slow path, where watches are checked.
    watch_r: Vec<u64>,
    watch_w: Vec<u64>,
    /// Pages written since `track_writes` (a vfork child's stores, which its parent must
    /// see). Recorded on write-TLB fills and kernel-side writes only: off the hot path.
    written: Option<hashbrown::HashSet<u64>>,
}

impl Default for AddressSpace {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for AddressSpace {
    /// A copy with its own frames (fork without host support for sharing).
    fn clone(&self) -> Self {
        let pages = self
            .pages
            .iter()
            .map(|(&k, p)| {
                (k, Page { frame: p.frame.clone(), src: p.src.clone(), perm: p.perm, code: false })
            })
            .collect();
        AddressSpace {
            pages,
            vmas: self.vmas.clone(),
            tlb_r: Box::new([TLB_EMPTY; TLB_SIZE]),
            tlb_w: Box::new([TLB_EMPTY; TLB_SIZE]),
            stale_code: Vec::new(),
            mmap_top: self.mmap_top,
            watch_r: self.watch_r.clone(),
            watch_w: self.watch_w.clone(),
            written: None,
        }
    }
}

#[inline(always)]
fn tlb_index(vpn: u64) -> usize {
    (vpn as usize) & (TLB_SIZE - 1)
}

impl AddressSpace {
    pub fn new() -> AddressSpace {
        AddressSpace {
            pages: HashMap::new(),
            vmas: BTreeMap::new(),
            tlb_r: Box::new([TLB_EMPTY; TLB_SIZE]),
            tlb_w: Box::new([TLB_EMPTY; TLB_SIZE]),
            stale_code: Vec::new(),
            mmap_top: 0x7fff_f7ff_f000,
            watch_r: Vec::new(),
            watch_w: Vec::new(),
            written: None,
        }
    }

    // ---- mapping management (used by the loader and the kernel shim) ----

    fn check_range(start: u64, len: u64) -> Result<u64, MemError> {
        if start & PAGE_MASK != 0 || len == 0 {
            return Err(MemError::Invalid);
        }
        let end = start.checked_add(page_align_up(len)).ok_or(MemError::Invalid)?;
        if end > USER_END {
            return Err(MemError::Invalid);
        }
        Ok(end)
    }

    /// Starts recording which pages are written from now on. The write TLB is emptied so
    /// that every page's first store takes the slow path, which records it.
    pub fn track_writes(&mut self) {
        self.tlb_w.fill(TLB_EMPTY);
        self.written = Some(Default::default());
    }

    /// The pages written since `track_writes` (sorted), ending the tracking.
    pub fn take_written(&mut self) -> Vec<u64> {
        let mut v: Vec<u64> = self.written.take().map(|w| w.into_iter().collect()).unwrap_or_default();
        v.sort_unstable();
        v
    }

    fn flush_tlb(&mut self) {
        self.tlb_r.fill(TLB_EMPTY);
        self.tlb_w.fill(TLB_EMPTY);
    }

    /// Maps `[start, start+len)` with zero-filled pages, replacing whatever was there
    /// (MAP_FIXED semantics).
    pub fn map(&mut self, start: u64, len: u64, perm: Perm, vma: VmaInfo) -> Result<(), MemError> {
        let end = Self::check_range(start, len)?;
        self.unmap_range(start, end);
        for vpn in start >> 12..end >> 12 {
            self.pages.insert(vpn, Page { frame: None, src: None, perm, code: false });
        }
        self.vmas.insert(
            start,
            Vma {
                start,
                end,
                perm,
                shared: vma.shared,
                offset: vma.offset,
                name: vma.name,
                dev: vma.dev,
                inode: vma.inode,
            },
        );
        self.merge_around(start, end);
        self.flush_tlb();
        Ok(())
    }

    /// Maps `[start, start+len)` like `map`, each page filled from `file` when first
    /// touched.
    pub fn map_file(
        &mut self,
        start: u64,
        len: u64,
        perm: Perm,
        vma: VmaInfo,
        file: FileBytes,
    ) -> Result<(), MemError> {
        self.map(start, len, perm, vma)?;
        let FileBytes { src, off, avail } = file;
        let pages = page_align_up(avail.min(len)) >> 12;
        for i in 0..pages {
            let p = self.pages.get_mut(&((start >> 12) + i)).expect("just mapped");
            let len = (avail - (i << 12)).min(PAGE_SIZE) as u16;
            p.src = Some(Box::new(FileSlice { src: src.clone(), off: off + (i << 12), len }));
        }
        Ok(())
    }

    /// Unmaps a range; unmapped holes inside it are fine (munmap semantics).
    pub fn unmap(&mut self, start: u64, len: u64) -> Result<(), MemError> {
        let end = Self::check_range(start, len)?;
        self.unmap_range(start, end);
        self.flush_tlb();
        Ok(())
    }

    fn unmap_range(&mut self, start: u64, end: u64) {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.vmas.range(start..end).map(|(&k, _)| k).collect();
        for k in keys {
            let v = self.vmas.remove(&k).expect("vma listed");
            for vpn in v.start >> 12..v.end >> 12 {
                if let Some(p) = self.pages.remove(&vpn) {
                    if p.code {
                        self.stale_code.push(vpn);
                    }
                }
            }
        }
    }

    /// Splits the VMA containing `addr` so that one starts exactly at `addr`.
    fn split_at(&mut self, addr: u64) {
        let Some((&k, v)) = self.vmas.range(..addr).next_back() else { return };
        if v.end <= addr {
            return;
        }
        let mut hi = v.clone();
        hi.offset += addr - v.start;
        hi.start = addr;
        self.vmas.get_mut(&k).expect("vma present").end = addr;
        self.vmas.insert(addr, hi);
    }

    fn merge_around(&mut self, start: u64, end: u64) {
        // Merge with the following VMA, then with the preceding one.
        if let Some(next) = self.vmas.get(&end).cloned() {
            if self.vmas[&start].mergeable(&next) {
                self.vmas.remove(&end);
                self.vmas.get_mut(&start).expect("vma present").end = next.end;
            }
        }
        if let Some((&pk, prev)) = self.vmas.range(..start).next_back() {
            let cur = self.vmas[&start].clone();
            if prev.mergeable(&cur) {
                self.vmas.remove(&start);
                self.vmas.get_mut(&pk).expect("vma present").end = cur.end;
            }
        }
    }

    /// Changes permissions of a fully mapped range (mprotect semantics).
    pub fn protect(&mut self, start: u64, len: u64, perm: Perm) -> Result<(), MemError> {
        let end = Self::check_range(start, len)?;
        if !self.is_mapped(start, end) {
            return Err(MemError::NoMemory);
        }
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.vmas.range(start..end).map(|(&k, _)| k).collect();
        for &k in &keys {
            self.vmas.get_mut(&k).expect("vma present").perm = perm;
        }
        for vpn in start >> 12..end >> 12 {
            let p = self.pages.get_mut(&vpn).expect("mapped page");
            if p.code && !perm.exec() {
                p.code = false;
                self.stale_code.push(vpn);
            }
            p.perm = perm;
        }
        for k in keys {
            if self.vmas.contains_key(&k) {
                let e = self.vmas[&k].end;
                self.merge_around(k, e);
            }
        }
        self.flush_tlb();
        Ok(())
    }

    /// True if every page of `[start, end)` is mapped.
    pub fn is_mapped(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        while at < end {
            match self.vma_at(at) {
                Some(v) => at = v.end,
                None => return false,
            }
        }
        true
    }

    /// True if any page of `[start, end)` is mapped.
    pub fn any_mapped(&self, start: u64, end: u64) -> bool {
        if self.vma_at(start).is_some() {
            return true;
        }
        self.vmas.range(start..end).next().is_some()
    }

    pub fn vma_at(&self, addr: u64) -> Option<&Vma> {
        let (_, v) = self.vmas.range(..=addr).next_back()?;
        (addr < v.end).then_some(v)
    }

    pub fn vmas(&self) -> impl DoubleEndedIterator<Item = &Vma> {
        self.vmas.values()
    }

    /// Moves the pages of `[old, old+len)` to `new` (which must be free), keeping contents.
    pub fn move_range(&mut self, old: u64, len: u64, new: u64) -> Result<(), MemError> {
        let end = Self::check_range(old, len)?;
        Self::check_range(new, len)?;
        if !self.is_mapped(old, end) {
            return Err(MemError::NoMemory);
        }
        self.split_at(old);
        self.split_at(end);
        let keys: Vec<u64> = self.vmas.range(old..end).map(|(&k, _)| k).collect();
        let mut moved = Vec::new();
        for k in keys {
            let mut v = self.vmas.remove(&k).expect("vma listed");
            for vpn in v.start >> 12..v.end >> 12 {
                let mut p = self.pages.remove(&vpn).expect("mapped page");
                if p.code {
                    self.stale_code.push(vpn);
                    p.code = false;
                }
                moved.push((vpn - (old >> 12) + (new >> 12), p));
            }
            v.start = v.start - old + new;
            v.end = v.end - old + new;
            self.vmas.insert(v.start, v);
        }
        for (vpn, p) in moved {
            self.pages.insert(vpn, p);
        }
        let new_end = new + (end - old);
        self.merge_around(new, new_end);
        self.flush_tlb();
        Ok(())
    }

    /// Drops the contents of pages in a range (MADV_DONTNEED on private mappings): they
    /// read as zeros again, or as the file's bytes in a file mapping.
    pub fn discard(&mut self, start: u64, len: u64) -> Result<(), MemError> {
        let end = Self::check_range(start, len)?;
        for vpn in start >> 12..end >> 12 {
            if let Some(p) = self.pages.get_mut(&vpn) {
                p.frame = None;
                if p.code {
                    p.code = false;
                    self.stale_code.push(vpn);
                }
            }
        }
        self.flush_tlb();
        Ok(())
    }

    /// Removes every mapping (execve).
    pub fn clear(&mut self) {
        self.pages.clear();
        self.vmas.clear();
        self.stale_code.clear();
        self.flush_tlb();
    }

    pub(crate) fn clear_code_marks(&mut self) {
        for p in self.pages.values_mut() {
            p.code = false;
        }
        self.stale_code.clear();
        self.flush_tlb();
    }

    /// Bytes of guest memory currently backed by frames.
    pub fn resident_bytes(&self) -> u64 {
        self.pages.values().filter(|p| p.frame.is_some()).count() as u64 * PAGE_SIZE
    }

    // ---- page access ----

    /// The frame for `vpn` if the access is allowed, allocating it on first touch.
    fn frame(&mut self, vpn: u64, access: Access) -> Result<*mut u8, Fault> {
        let addr = vpn << 12;
        let Some(p) = self.pages.get_mut(&vpn) else {
            return Err(Fault { addr, kind: FaultKind::Unmapped, access });
        };
        let ok = match access {
            Access::Read => p.perm.read(),
            Access::Write => p.perm.write(),
            Access::Exec => p.perm.exec(),
        };
        if !ok {
            return Err(Fault { addr, kind: FaultKind::Protection, access });
        }
        Ok(p.frame_mut().as_mut_ptr())
    }

    /// Slow path of a guest read: fills the TLB.
    #[cold]
    #[inline(never)]
    pub(crate) fn tlb_fill_read(&mut self, vpn: u64) -> Result<*mut u8, Fault> {
        let host = self.frame(vpn, Access::Read)?;
        if self.watch_r.is_empty() || !self.watch_r.contains(&vpn) {
            self.tlb_r[tlb_index(vpn)] = TlbEntry::new(vpn, host);
        }
        Ok(host)
    }

    /// Slow path of a guest write. Returns the frame and whether the page held code
    /// (the caller must drop its blocks; the page stays out of the write TLB until then).
    #[cold]
    #[inline(never)]
    pub(crate) fn tlb_fill_write(&mut self, vpn: u64) -> Result<(*mut u8, bool), Fault> {
        let host = self.frame(vpn, Access::Write)?;
        if let Some(w) = &mut self.written {
            w.insert(vpn);
        }
        let p = self.pages.get_mut(&vpn).expect("page just found");
        if p.code {
            p.code = false;
            return Ok((host, true));
        }
        // A write-TLB hit also serves the read half of a read-modify-write (`Cpu::rmw`),
        // so only pages that may be read and whose reads nobody watches go in.
        let readable = p.perm.read();
        if readable
            && (self.watch_w.is_empty() || !self.watch_w.contains(&vpn))
            && (self.watch_r.is_empty() || !self.watch_r.contains(&vpn))
        {
            self.tlb_w[tlb_index(vpn)] = TlbEntry::new(vpn, host);
        }
        Ok((host, false))
    }

    /// Host pointer for reading `N` bytes at `addr` if the TLB has its page and the
    /// access does not cross a page.
    #[inline(always)]
    pub(crate) fn fast_read_ptr<const N: usize>(&self, addr: u64) -> Option<*const u8> {
        let e = &self.tlb_r[tlb_index(addr >> 12)];
        if e.page == addr.wrapping_add(N as u64 - 1) & !PAGE_MASK {
            // The entry's frame is live (TLB entries are flushed whenever a page is
            // unmapped) and the access ends in the same page, so the N bytes are inside
            // the 4 KiB frame.
            Some(e.addend.wrapping_add(addr as usize))
        } else {
            None
        }
    }

    #[inline(always)]
    pub(crate) fn fast_write_ptr<const N: usize>(&self, addr: u64) -> Option<*mut u8> {
        let e = &self.tlb_w[tlb_index(addr >> 12)];
        if e.page == addr.wrapping_add(N as u64 - 1) & !PAGE_MASK {
            // As in `fast_read_ptr`.
            Some(e.addend.wrapping_add(addr as usize))
        } else {
            None
        }
    }

    /// Sets the pages whose reads (writes) must take the slow path (memory watches).
    pub(crate) fn set_watched_pages(&mut self, mut r: Vec<u64>, mut w: Vec<u64>) {
        r.sort_unstable();
        r.dedup();
        w.sort_unstable();
        w.dedup();
        self.watch_r = r;
        self.watch_w = w;
        self.flush_tlb();
    }

    /// Reads mapped memory whatever its permissions (tracing: old values, GOT slots).
    pub fn peek(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Fault> {
        let mut done = 0;
        while done < buf.len() {
            let a = addr.wrapping_add(done as u64);
            let vpn = a >> 12;
            let Some(p) = self.pages.get_mut(&vpn) else {
                return Err(Fault { addr: a, kind: FaultKind::Unmapped, access: Access::Read });
            };
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE_SIZE as usize - off).min(buf.len() - done);
            match (&p.frame, &p.src) {
                (Some(f), _) => buf[done..done + n].copy_from_slice(&f[off..off + n]),
                (None, Some(s)) => buf[done..done + n].copy_from_slice(&s.fill()[off..off + n]),
                (None, None) => buf[done..done + n].fill(0),
            }
            done += n;
        }
        Ok(())
    }

    /// Marks a page as holding decoded code: it leaves the write TLB.
    pub(crate) fn mark_code(&mut self, vpn: u64) {
        if let Some(p) = self.pages.get_mut(&vpn) {
            p.code = true;
        }
        let e = &mut self.tlb_w[tlb_index(vpn)];
        if e.page == vpn << 12 {
            *e = TLB_EMPTY;
        }
    }

    /// Copies guest memory out, checking that every byte is readable by the guest.
    pub fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Fault> {
        self.copy_out(addr, buf, Access::Read)
    }

    /// Host address of page `vpn`'s frame if the guest may execute from it (made on first
    /// touch), so that the decoder reads code in place instead of copying it out. The
    /// frame stays where it is until the page is unmapped or the space is dropped.
    pub(crate) fn code_frame(&mut self, vpn: u64) -> Result<*const u8, Fault> {
        self.frame(vpn, Access::Exec).map(|p| p as *const u8)
    }

    /// Reads bytes the guest may execute (instruction fetch).
    pub fn fetch(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Fault> {
        self.copy_out(addr, buf, Access::Exec)
    }

    fn copy_out(&mut self, addr: u64, buf: &mut [u8], access: Access) -> Result<(), Fault> {
        let mut done = 0usize;
        while done < buf.len() {
            let a = addr.wrapping_add(done as u64);
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE_SIZE as usize - off).min(buf.len() - done);
            let host = self.frame(a >> 12, access).map_err(|f| Fault { addr: a.max(f.addr), ..f })?;
            // SAFETY: `host` is a live 4 KiB frame and off + n <= 4096.
            let src = unsafe { std::slice::from_raw_parts(host.add(off), n) };
            buf[done..done + n].copy_from_slice(src);
            done += n;
        }
        Ok(())
    }

    /// Copies into guest memory, checking that every page is writable by the guest.
    /// Code pages touched are queued for invalidation.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Fault> {
        // Check the whole range first so a fault leaves memory unchanged.
        let mut a = addr & !PAGE_MASK;
        let end = addr.wrapping_add(data.len() as u64);
        while a < end {
            self.frame(a >> 12, Access::Write).map_err(|f| Fault { addr: addr.max(f.addr), ..f })?;
            a += PAGE_SIZE;
        }
        self.copy_in(addr, data);
        Ok(())
    }

    /// Writes guest memory ignoring page permissions (the loader filling read-only
    /// segments, the kernel writing a signal frame). Pages must be mapped.
    pub fn poke(&mut self, addr: u64, data: &[u8]) -> Result<(), Fault> {
        let mut a = addr & !PAGE_MASK;
        let end = addr.wrapping_add(data.len() as u64);
        while a < end {
            if !self.pages.contains_key(&(a >> 12)) {
                return Err(Fault { addr: a.max(addr), kind: FaultKind::Unmapped, access: Access::Write });
            }
            a += PAGE_SIZE;
        }
        self.copy_in(addr, data);
        Ok(())
    }

    fn copy_in(&mut self, addr: u64, data: &[u8]) {
        let mut done = 0usize;
        while done < data.len() {
            let a = addr + done as u64;
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE_SIZE as usize - off).min(data.len() - done);
            if let Some(w) = &mut self.written {
                w.insert(a >> 12);
            }
            let p = self.pages.get_mut(&(a >> 12)).expect("range checked");
            if p.code {
                p.code = false;
                self.stale_code.push(a >> 12);
            }
            let f = p.frame_mut();
            f[off..off + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
    }

    /// Reads a NUL-terminated string of at most `max` bytes (without the NUL).
    pub fn read_cstr(&mut self, addr: u64, max: usize) -> Result<Vec<u8>, Fault> {
        let mut out = Vec::new();
        let mut a = addr;
        loop {
            let off = (a & PAGE_MASK) as usize;
            let host = self.frame(a >> 12, Access::Read).map_err(|f| Fault { addr: a, ..f })?;
            // SAFETY: live 4 KiB frame, off < 4096.
            let page = unsafe { std::slice::from_raw_parts(host.add(off), PAGE_SIZE as usize - off) };
            if let Some(nul) = page.iter().position(|&b| b == 0) {
                out.extend_from_slice(&page[..nul]);
                break;
            }
            out.extend_from_slice(page);
            a += page.len() as u64;
            if out.len() > max {
                break;
            }
        }
        out.truncate(max);
        Ok(out)
    }

    pub fn read_u64(&mut self, addr: u64) -> Result<u64, Fault> {
        let mut b = [0u8; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    pub fn read_u32(&mut self, addr: u64) -> Result<u32, Fault> {
        let mut b = [0u8; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub fn write_u64(&mut self, addr: u64, v: u64) -> Result<(), Fault> {
        self.write(addr, &v.to_le_bytes())
    }

    pub fn write_u32(&mut self, addr: u64, v: u32) -> Result<(), Fault> {
        self.write(addr, &v.to_le_bytes())
    }

    /// The permission of the page holding `addr`, if mapped.
    pub fn perm_at(&self, addr: u64) -> Option<Perm> {
        self.pages.get(&(addr >> 12)).map(|p| p.perm)
    }
}

/// Naming and backing of a new mapping.
#[derive(Clone, Debug, Default)]
pub struct VmaInfo {
    pub name: Option<Arc<str>>,
    pub offset: u64,
    pub shared: bool,
    pub dev: u64,
    pub inode: u64,
}

impl VmaInfo {
    pub fn anon() -> VmaInfo {
        VmaInfo::default()
    }
    pub fn named(name: &str) -> VmaInfo {
        VmaInfo { name: Some(name.into()), ..VmaInfo::default() }
    }
}

pub fn page_align_up(v: u64) -> u64 {
    v.wrapping_add(PAGE_MASK) & !PAGE_MASK
}

pub fn page_align_down(v: u64) -> u64 {
    v & !PAGE_MASK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_split_protect_merge() {
        let mut m = AddressSpace::new();
        m.map(0x10000, 0x4000, Perm::RW, VmaInfo::anon()).unwrap();
        m.protect(0x11000, 0x1000, Perm::R).unwrap();
        let v: Vec<_> = m.vmas().map(|v| (v.start, v.end, v.perm)).collect();
        assert_eq!(
            v,
            vec![(0x10000, 0x11000, Perm::RW), (0x11000, 0x12000, Perm::R), (0x12000, 0x14000, Perm::RW)]
        );
        m.protect(0x11000, 0x1000, Perm::RW).unwrap();
        assert_eq!(m.vmas().count(), 1);
        m.unmap(0x11000, 0x1000).unwrap();
        assert_eq!(m.vmas().count(), 2);
        assert!(m.protect(0x10000, 0x3000, Perm::R).is_err());
    }

    #[test]
    fn faults_carry_kind_and_address() {
        let mut m = AddressSpace::new();
        m.map(0x10000, 0x1000, Perm::R, VmaInfo::anon()).unwrap();
        let e = m.write(0x10010, &[1]).unwrap_err();
        assert_eq!((e.addr, e.kind), (0x10010, FaultKind::Protection));
        let mut b = [0u8; 8];
        let e = m.read(0x10ffc, &mut b).unwrap_err();
        assert_eq!((e.addr, e.kind), (0x11000, FaultKind::Unmapped));
        m.poke(0x10ffc, &[1, 2, 3, 4]).unwrap();
        m.read(0x10ffc, &mut b[..4]).unwrap();
        assert_eq!(&b[..4], &[1, 2, 3, 4]);
    }

    #[test]
    fn move_keeps_contents() {
        let mut m = AddressSpace::new();
        m.map(0x20000, 0x2000, Perm::RW, VmaInfo::anon()).unwrap();
        m.write(0x21000, b"hello").unwrap();
        m.move_range(0x20000, 0x2000, 0x80000).unwrap();
        let mut b = [0u8; 5];
        m.read(0x81000, &mut b).unwrap();
        assert_eq!(&b, b"hello");
        assert!(m.vma_at(0x20000).is_none());
    }
}

#[cfg(test)]
mod lazy_tests {
    use super::*;

    #[test]
    fn file_pages_fill_on_first_touch() {
        let data: Vec<u8> = (0..3 * 4096 + 100).map(|i| (i * 7 + i / 4096) as u8).collect();
        let mut m = AddressSpace::new();
        let src: Rc<Vec<u8>> = Rc::new(data.clone());
        // The source goes on past `avail`: those bytes must read as zeros.
        let file = FileBytes { src, off: 4096, avail: data.len() as u64 - 4096 - 50 };
        m.map_file(0x10000, 4 * 4096, Perm::RW, VmaInfo::anon(), file).unwrap();
        let mut buf = vec![0u8; 4 * 4096];
        m.read(0x10000, &mut buf).unwrap();
        assert_eq!(&buf[..data.len() - 4096 - 50], &data[4096..data.len() - 50]);
        assert!(buf[data.len() - 4096 - 50..].iter().all(|&b| b == 0));
        // Also through peek, on a fresh mapping.
        let file = FileBytes { src: Rc::new(data.clone()), off: 0, avail: 100 };
        m.map_file(0x20000, 4096, Perm::R, VmaInfo::anon(), file).unwrap();
        let mut one = [0xffu8; 200];
        m.peek(0x20000, &mut one).unwrap();
        assert_eq!(&one[..100], &data[..100]);
        assert!(one[100..].iter().all(|&b| b == 0));
    }
}
