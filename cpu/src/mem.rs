//! The guest address space.
//!
//! Invariants:
//! - Guest pages are 4 KiB whatever the host page size.
//! - `vmas` is the authority on what is mapped, with which permission and backing (and how
//!   it is named, for `/proc/self/maps`). A reservation costs one VMA however large it is:
//!   `pages` holds entries only for pages the guest has touched, each with its frame (and
//!   a copy of its VMA's permission, kept in step by `protect`). A private page's frame is
//!   its own, zeroed or filled from its file on first touch, so mremap moves frames
//!   without copying; a shared page's frame is a pointer into host memory that other
//!   processes map too (`SharedMemory`), never copied.
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
    /// A shared file mapping's page lies wholly past the end of its file (SIGBUS,
    /// BUS_ADRERR).
    Beyond,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Access {
    #[default]
    Read,
    Write,
    Exec,
}

/// Memory other processes share (MAP_SHARED: a file, anonymous shared memory, SysV or
/// POSIX shm): host memory the kernel shim mapped. A guest page of a shared mapping uses
/// it in place, so stores reach the file and a forked child at once.
pub trait SharedMemory {
    /// Host address of the region's first byte; it stays mapped while this object lives.
    fn base(&self) -> *mut u8;
    /// Bytes in the region (a shared file mapping ends with its file: a page wholly past
    /// the end faults with `FaultKind::Beyond`, SIGBUS on Linux).
    fn size(&self) -> u64;
    /// Whether the host mapping may be written (a file opened read-only may not).
    fn writable(&self) -> bool;
    /// msync: writes bytes `[off, off+len)` of the region back to where they come from;
    /// false if the host could not.
    fn sync(&self, _off: u64, _len: u64, _invalidate: bool) -> bool {
        true
    }
}

/// Where the pages of a VMA get their bytes.
#[derive(Clone, Default)]
pub enum Backing {
    /// Private pages, zero-filled on first touch.
    #[default]
    Anon,
    /// Private pages filled on first touch from `src`, whose byte `file_off` is the VMA's
    /// first byte; the source's data ends at its byte `file_end` (zeros after).
    File { src: Rc<dyn PageSource>, file_off: u64, file_end: u64 },
    /// Shared pages: byte `off` of `mem` is the VMA's first byte.
    Shared { mem: Rc<dyn SharedMemory>, off: u64 },
}

impl Backing {
    /// The backing of the part of a VMA that starts `delta` bytes further on.
    fn advanced(&self, delta: u64) -> Backing {
        match self {
            Backing::Anon => Backing::Anon,
            Backing::File { src, file_off, file_end } => {
                Backing::File { src: src.clone(), file_off: file_off + delta, file_end: *file_end }
            }
            Backing::Shared { mem, off } => Backing::Shared { mem: mem.clone(), off: off + delta },
        }
    }

    /// Whether a VMA with this backing that ends `len` bytes on continues with `next`.
    fn continues(&self, len: u64, next: &Backing) -> bool {
        match (self, next) {
            (Backing::Anon, Backing::Anon) => true,
            // The same data (segments of one ELF file share a source but not where their
            // data ends).
            (
                Backing::File { src: a, file_off: x, file_end: e },
                Backing::File { src: b, file_off: y, file_end: f },
            ) => Rc::ptr_eq(a, b) && x + len == *y && e == f,
            (Backing::Shared { mem: a, off: x }, Backing::Shared { mem: b, off: y }) => {
                Rc::ptr_eq(a, b) && x + len == *y
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Backing {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Backing::Anon => f.write_str("Anon"),
            Backing::File { file_off, file_end, .. } => write!(f, "File({file_off:#x}..{file_end:#x})"),
            Backing::Shared { off, .. } => write!(f, "Shared(+{off:#x})"),
        }
    }
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
    /// The backing does not allow it (a read-only file's shared mapping made writable).
    Denied,
}

impl fmt::Display for MemError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            MemError::Invalid => "invalid address range",
            MemError::NoMemory => "address range not mapped or no room",
            MemError::Exists => "address range already mapped",
            MemError::Denied => "the mapping's file does not allow it",
        })
    }
}

/// One contiguous mapping with uniform permission and backing, as `/proc/self/maps`
/// shows it.
#[derive(Clone, Debug)]
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
    pub backing: Backing,
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
            && self.backing.continues(self.end - self.start, &next.backing)
    }

    /// The host frame of page `vpn` of a shared VMA, or why there is none.
    fn shared_frame(&self, vpn: u64) -> Option<Result<*mut u8, FaultKind>> {
        let Backing::Shared { mem, off } = &self.backing else { return None };
        let at = off + ((vpn << 12) - self.start);
        if at >= mem.size() {
            return Some(Err(FaultKind::Beyond));
        }
        Some(Ok(mem.base().wrapping_add(at as usize)))
    }

    /// A new private frame for page `vpn`: zeros, or the file's bytes.
    fn private_frame(&self, vpn: u64) -> Frame {
        match &self.backing {
            Backing::File { src, file_off, file_end } => {
                let at = file_off + ((vpn << 12) - self.start);
                let n = file_end.saturating_sub(at).min(PAGE_SIZE) as u16;
                FileSlice { src: src.clone(), off: at, len: n }.fill()
            }
            _ => new_frame(),
        }
    }
}

type Frame = Box<[u8; PAGE_SIZE as usize]>;

pub(crate) fn new_frame() -> Frame {
    vec![0u8; PAGE_SIZE as usize].into_boxed_slice().try_into().expect("page-sized frame")
}

/// A page the guest has touched.
struct Page {
    /// Host address of its 4 KiB: `own`'s, or inside a shared mapping's host memory.
    host: *mut u8,
    /// The frame of a private page.
    own: Option<Frame>,
    /// Its VMA's permission (kept in step by `protect`).
    perm: Perm,
    /// Decoded blocks were made from this page.
    code: bool,
}

impl Page {
    fn private(mut frame: Frame, perm: Perm) -> Page {
        Page { host: frame.as_mut_ptr(), own: Some(frame), perm, code: false }
    }
}

/// A TLB entry keeps the page's guest address and the difference to its host frame, so a
/// hit costs one compare and one add: the compare is against the page of the access's
/// last byte, which also rejects accesses that cross into the next page (that page can
/// never sit in the slot indexed by this one). Translated code compares `address ^ page`
/// with the largest offset the access may start at instead (`crate::jit`), one
/// instruction fewer. An empty slot holds a page that indexes two slots further on
/// (`empty_entry`): neither test can match it, whatever the address.
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

/// Where translated code finds the TLBs (`crate::jit`): the offsets of the two arrays in
/// `AddressSpace` (they are part of it, and so of the CPU, rather than boxed: an entry is
/// then at the CPU pointer plus the index plus a constant, with no pointer to load
/// first), and of an entry's fields.
pub(crate) const TLB_R_OFFSET: usize = std::mem::offset_of!(AddressSpace, tlb_r);
pub(crate) const TLB_W_OFFSET: usize = std::mem::offset_of!(AddressSpace, tlb_w);
pub(crate) const TLB_PAGE_OFFSET: usize = std::mem::offset_of!(TlbEntry, page);
pub(crate) const TLB_ADDEND_OFFSET: usize = std::mem::offset_of!(TlbEntry, addend);
pub(crate) const TLB_ENTRY_SHIFT: u32 = std::mem::size_of::<TlbEntry>().trailing_zeros();
pub(crate) const TLB_INDEX_MASK: u64 = TLB_SIZE as u64 - 1;
const _: () = assert!(std::mem::size_of::<TlbEntry>().is_power_of_two());

/// The empty entry of slot `i`.
fn empty_entry(i: usize) -> TlbEntry {
    TlbEntry { page: (((i + 2) & (TLB_SIZE - 1)) as u64) << 12, addend: std::ptr::null_mut() }
}

fn empty_tlb() -> [TlbEntry; TLB_SIZE] {
    std::array::from_fn(empty_entry)
}

fn clear_tlb(t: &mut [TlbEntry; TLB_SIZE]) {
    for (i, e) in t.iter_mut().enumerate() {
        *e = empty_entry(i);
    }
}

pub struct AddressSpace {
    pages: HashMap<u64, Page>,
    vmas: BTreeMap<u64, Vma>,
    tlb_r: [TlbEntry; TLB_SIZE],
    tlb_w: [TlbEntry; TLB_SIZE],
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
                let page = match &p.own {
                    Some(f) => Page::private(f.clone(), p.perm),
                    // Shared memory stays shared: both copies point into it.
                    None => Page { host: p.host, own: None, perm: p.perm, code: false },
                };
                (k, page)
            })
            .collect();
        AddressSpace {
            pages,
            vmas: self.vmas.clone(),
            tlb_r: empty_tlb(),
            tlb_w: empty_tlb(),
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
            tlb_r: empty_tlb(),
            tlb_w: empty_tlb(),
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
        clear_tlb(&mut self.tlb_w);
        self.written = Some(Default::default());
    }

    /// The pages written since `track_writes` (sorted), ending the tracking.
    pub fn take_written(&mut self) -> Vec<u64> {
        let mut v: Vec<u64> = self.written.take().map(|w| w.into_iter().collect()).unwrap_or_default();
        v.sort_unstable();
        v
    }

    fn flush_tlb(&mut self) {
        clear_tlb(&mut self.tlb_r);
        clear_tlb(&mut self.tlb_w);
    }

    /// Maps `[start, start+len)` with zero-filled pages, replacing whatever was there
    /// (MAP_FIXED semantics). No page exists until the guest touches it.
    pub fn map(&mut self, start: u64, len: u64, perm: Perm, vma: VmaInfo) -> Result<(), MemError> {
        self.map_backed(start, len, perm, vma, Backing::Anon)
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
        let FileBytes { src, off, avail } = file;
        self.map_backed(start, len, perm, vma, Backing::File { src, file_off: off, file_end: off + avail })
    }

    /// Maps `[start, start+len)` onto shared memory, from its byte `off`.
    pub fn map_shared(
        &mut self,
        start: u64,
        len: u64,
        perm: Perm,
        vma: VmaInfo,
        mem: Rc<dyn SharedMemory>,
        off: u64,
    ) -> Result<(), MemError> {
        if perm.write() && !mem.writable() || off & PAGE_MASK != 0 {
            return Err(MemError::Invalid);
        }
        self.map_backed(start, len, perm, VmaInfo { shared: true, ..vma }, Backing::Shared { mem, off })
    }

    fn map_backed(
        &mut self,
        start: u64,
        len: u64,
        perm: Perm,
        vma: VmaInfo,
        backing: Backing,
    ) -> Result<(), MemError> {
        let end = Self::check_range(start, len)?;
        self.unmap_range(start, end);
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
                backing,
            },
        );
        self.merge_around(start, end);
        self.flush_tlb();
        Ok(())
    }

    /// Unmaps a range; unmapped holes inside it are fine (munmap semantics).
    pub fn unmap(&mut self, start: u64, len: u64) -> Result<(), MemError> {
        let end = Self::check_range(start, len)?;
        self.unmap_range(start, end);
        self.flush_tlb();
        Ok(())
    }

    /// The touched pages of `[start, end)`, in no particular order: found through the
    /// range or through the pages, whichever is shorter (a huge reservation has few).
    fn touched(&self, start: u64, end: u64) -> Vec<u64> {
        let (lo, hi) = (start >> 12, end >> 12);
        if hi - lo <= self.pages.len() as u64 {
            (lo..hi).filter(|v| self.pages.contains_key(v)).collect()
        } else {
            self.pages.keys().copied().filter(|v| (lo..hi).contains(v)).collect()
        }
    }

    fn unmap_range(&mut self, start: u64, end: u64) {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.vmas.range(start..end).map(|(&k, _)| k).collect();
        for k in keys {
            self.vmas.remove(&k);
        }
        for vpn in self.touched(start, end) {
            if let Some(p) = self.pages.remove(&vpn) {
                if p.code {
                    self.stale_code.push(vpn);
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
        hi.backing = v.backing.advanced(addr - v.start);
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
        // A shared mapping of a file opened read-only cannot become writable (EACCES).
        let read_only = |v: &Vma| matches!(&v.backing, Backing::Shared { mem, .. } if !mem.writable());
        if perm.write()
            && self.vmas.range(..end).rev().take_while(|(_, v)| v.end > start).any(|(_, v)| read_only(v))
        {
            return Err(MemError::Denied);
        }
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.vmas.range(start..end).map(|(&k, _)| k).collect();
        for &k in &keys {
            self.vmas.get_mut(&k).expect("vma present").perm = perm;
        }
        for vpn in self.touched(start, end) {
            let p = self.pages.get_mut(&vpn).expect("touched page");
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
        for k in keys {
            let mut v = self.vmas.remove(&k).expect("vma listed");
            v.start = v.start - old + new;
            v.end = v.end - old + new;
            self.vmas.insert(v.start, v);
        }
        let mut moved = Vec::new();
        for vpn in self.touched(old, end) {
            let mut p = self.pages.remove(&vpn).expect("touched page");
            if p.code {
                self.stale_code.push(vpn);
                p.code = false;
            }
            moved.push((vpn - (old >> 12) + (new >> 12), p));
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
        for vpn in self.touched(start, end) {
            // Shared pages keep their contents (Linux drops only this process's mapping
            // of them; the bytes are the file's or the other processes').
            if self.pages[&vpn].own.is_none() {
                continue;
            }
            if let Some(p) = self.pages.remove(&vpn) {
                if p.code {
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

    /// Bytes of guest memory the guest has touched.
    pub fn resident_bytes(&self) -> u64 {
        self.pages.len() as u64 * PAGE_SIZE
    }

    /// The shared memory under `[start, end)`: (region, offset in it, length) per piece.
    pub fn shared_pieces(&self, start: u64, end: u64) -> Vec<(Rc<dyn SharedMemory>, u64, u64)> {
        let first = self.vmas.range(..=start).next_back().map_or(start, |(&k, _)| k);
        self.vmas
            .range(first..end)
            .filter_map(|(_, v)| match &v.backing {
                Backing::Shared { mem, off } if v.end > start => {
                    let (lo, hi) = (v.start.max(start), v.end.min(end));
                    Some((mem.clone(), off + (lo - v.start), hi - lo))
                }
                _ => None,
            })
            .collect()
    }

    /// The host address of the guest word at `addr` if it is in shared memory (a futex
    /// other processes may wait on), touching its page.
    pub fn shared_word(&mut self, addr: u64) -> Option<*mut u8> {
        let v = self.vma_at(addr)?;
        if !matches!(v.backing, Backing::Shared { .. }) {
            return None;
        }
        let host = self.frame(addr >> 12, Access::Read).ok()?;
        Some(host.wrapping_add((addr & PAGE_MASK) as usize))
    }

    /// Whether page `vpn` has been touched (mincore's answer: resident).
    pub fn touched_page(&self, vpn: u64) -> bool {
        self.pages.contains_key(&vpn)
    }

    // ---- page access ----

    /// The frame for `vpn` if the access is allowed, allocating it on first touch.
    fn frame(&mut self, vpn: u64, access: Access) -> Result<*mut u8, Fault> {
        let addr = vpn << 12;
        let allowed = |perm: Perm| match access {
            Access::Read => perm.read(),
            Access::Write => perm.write(),
            Access::Exec => perm.exec(),
        };
        if let Some(p) = self.pages.get(&vpn) {
            if !allowed(p.perm) {
                return Err(Fault { addr, kind: FaultKind::Protection, access });
            }
            return Ok(p.host);
        }
        let Some(v) = self.vma_at(addr) else {
            return Err(Fault { addr, kind: FaultKind::Unmapped, access });
        };
        if !allowed(v.perm) {
            return Err(Fault { addr, kind: FaultKind::Protection, access });
        }
        let page = self.first_touch(vpn).map_err(|kind| Fault { addr, kind, access })?;
        Ok(page.host)
    }

    /// Makes the page entry of mapped, untouched page `vpn`.
    fn first_touch(&mut self, vpn: u64) -> Result<&mut Page, FaultKind> {
        let v = self.vma_at(vpn << 12).expect("page is mapped");
        let page = match v.shared_frame(vpn) {
            Some(host) => Page { host: host?, own: None, perm: v.perm, code: false },
            None => Page::private(v.private_frame(vpn), v.perm),
        };
        Ok(self.pages.entry(vpn).or_insert(page))
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
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE_SIZE as usize - off).min(buf.len() - done);
            let out = &mut buf[done..done + n];
            let unmapped = Fault { addr: a, kind: FaultKind::Unmapped, access: Access::Read };
            if let Some(p) = self.pages.get(&vpn) {
                // SAFETY: a touched page's `host` is a live 4 KiB frame; off + n <= 4096.
                out.copy_from_slice(unsafe { std::slice::from_raw_parts(p.host.add(off), n) });
            } else {
                // Untouched: its bytes as a first touch would make them, without the touch.
                let v = self.vma_at(a).ok_or(unmapped)?;
                match v.shared_frame(vpn) {
                    Some(Ok(host)) => {
                        // SAFETY: inside the live shared region (checked against its length).
                        out.copy_from_slice(unsafe { std::slice::from_raw_parts(host.add(off), n) })
                    }
                    Some(Err(kind)) => return Err(Fault { kind, ..unmapped }),
                    None => out.copy_from_slice(&v.private_frame(vpn)[off..off + n]),
                }
            }
            done += n;
        }
        Ok(())
    }

    /// Marks a page as holding decoded code: it leaves the write TLB.
    /// Whether page `vpn` holds decoded code (a store to it drops blocks).
    pub(crate) fn holds_code(&self, vpn: u64) -> bool {
        self.pages.get(&vpn).is_some_and(|p| p.code)
    }

    pub(crate) fn mark_code(&mut self, vpn: u64) {
        if let Some(p) = self.pages.get_mut(&vpn) {
            p.code = true;
        }
        let e = &mut self.tlb_w[tlb_index(vpn)];
        if e.page == vpn << 12 {
            *e = empty_entry(tlb_index(vpn));
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
                let fault = |kind| Fault { addr: a.max(addr), kind, access: Access::Write };
                if self.vma_at(a).is_none() {
                    return Err(fault(FaultKind::Unmapped));
                }
                self.first_touch(a >> 12).map_err(fault)?;
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
            // SAFETY: a touched page's `host` is a live 4 KiB frame; off + n <= 4096.
            let f = unsafe { std::slice::from_raw_parts_mut(p.host.add(off), n) };
            f.copy_from_slice(&data[done..done + n]);
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
        self.vma_at(addr).map(|v| v.perm)
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

    #[test]
    fn a_huge_reservation_costs_what_it_touches() {
        let mut m = AddressSpace::new();
        let (start, len) = (0x1000_0000, 1u64 << 44);
        m.map(start, len, Perm::NONE, VmaInfo::anon()).unwrap();
        assert_eq!(m.resident_bytes(), 0);
        m.protect(start + (1 << 40), 0x2000, Perm::RW).unwrap();
        m.write(start + (1 << 40) + 0x1ff8, &7u64.to_le_bytes()).unwrap();
        assert_eq!(m.resident_bytes(), PAGE_SIZE);
        assert_eq!(m.vmas().count(), 3);
        let e = m.write(start, &[1]).unwrap_err();
        assert_eq!(e.kind, FaultKind::Protection);
        m.unmap(start, len).unwrap();
        assert_eq!((m.resident_bytes(), m.vmas().count()), (0, 0));
    }

    #[test]
    fn a_split_file_mapping_keeps_its_offsets() {
        let data: Vec<u8> = (0..3 * PAGE_SIZE).map(|i| (i / PAGE_SIZE) as u8 + 1).collect();
        let file = FileBytes { src: Rc::new(data), off: PAGE_SIZE, avail: 2 * PAGE_SIZE - 100 };
        let mut m = AddressSpace::new();
        m.map_file(0x40000, 3 * PAGE_SIZE, Perm::RW, VmaInfo::anon(), file).unwrap();
        m.protect(0x41000, PAGE_SIZE, Perm::R).unwrap();
        let mut b = [0u8; 1];
        for (addr, want) in [(0x40000, 2), (0x41000, 3), (0x41fff - 100, 3), (0x41fff, 0), (0x42000, 0)] {
            m.read(addr, &mut b).unwrap();
            assert_eq!(b[0], want, "at {addr:#x}");
        }
        // Dropped private pages read as the file again.
        m.write(0x40000, &[9]).unwrap();
        m.discard(0x40000, PAGE_SIZE).unwrap();
        m.read(0x40000, &mut b).unwrap();
        assert_eq!(b[0], 2);
    }

    /// Shared memory in a test: a heap buffer standing for the host mapping (its pointer is
    /// taken once, so the address spaces write through it as they would a host mapping).
    struct Region {
        ptr: *mut u8,
        len: u64,
        writable: bool,
        _buf: Box<[u8]>,
    }

    impl SharedMemory for Region {
        fn base(&self) -> *mut u8 {
            self.ptr
        }
        fn size(&self) -> u64 {
            self.len
        }
        fn writable(&self) -> bool {
            self.writable
        }
    }

    fn region(pages: u64, writable: bool) -> Rc<dyn SharedMemory> {
        let mut buf: Box<[u8]> = vec![0u8; (pages * PAGE_SIZE) as usize].into();
        let ptr = buf.as_mut_ptr();
        Rc::new(Region { ptr, len: pages * PAGE_SIZE, writable, _buf: buf })
    }

    #[test]
    fn shared_pages_are_one_memory_for_every_space_that_maps_them() {
        let shm = region(2, true);
        let (mut a, mut b) = (AddressSpace::new(), AddressSpace::new());
        a.map_shared(0x50000, 3 * PAGE_SIZE, Perm::RW, VmaInfo::anon(), shm.clone(), 0).unwrap();
        b.map_shared(0x90000, PAGE_SIZE, Perm::R, VmaInfo::anon(), shm.clone(), PAGE_SIZE).unwrap();
        a.write(0x51010, b"shared").unwrap();
        let mut got = [0u8; 6];
        b.read(0x90010, &mut got).unwrap();
        assert_eq!(&got, b"shared");
        // A copy of the space (vfork) still shares; discarding keeps shared contents.
        let mut c = a.clone();
        c.write(0x51000, b"S").unwrap();
        a.discard(0x50000, 2 * PAGE_SIZE).unwrap();
        a.read(0x51010, &mut got).unwrap();
        assert_eq!(&got, b"shared");
        b.read(0x90000, &mut got[..1]).unwrap();
        assert_eq!(got[0], b'S');
        // The third page lies past the region (the end of the file): SIGBUS territory.
        assert_eq!(a.read(0x52000, &mut got).unwrap_err().kind, FaultKind::Beyond);
        assert_eq!(b.write(0x90000, b"x").unwrap_err().kind, FaultKind::Protection);
    }

    #[test]
    fn a_read_only_shared_region_never_becomes_writable() {
        let shm = region(1, false);
        let mut m = AddressSpace::new();
        assert_eq!(
            m.map_shared(0x50000, PAGE_SIZE, Perm::RW, VmaInfo::anon(), shm.clone(), 0),
            Err(MemError::Invalid)
        );
        m.map_shared(0x50000, PAGE_SIZE, Perm::R, VmaInfo::anon(), shm, 0).unwrap();
        assert_eq!(m.protect(0x50000, PAGE_SIZE, Perm::RW), Err(MemError::Denied));
    }

    #[test]
    fn file_mappings_whose_data_ends_elsewhere_stay_apart() {
        // Two segments of one file (rodata, then data whose RELRO part becomes read-only):
        // merged, the second would take the first's end of data and read zeros.
        let data: Rc<dyn PageSource> = Rc::new(vec![7u8; 4 * PAGE_SIZE as usize]);
        let mut m = AddressSpace::new();
        let seg = |off, avail| FileBytes { src: data.clone(), off, avail };
        m.map_file(0x40000, PAGE_SIZE, Perm::R, VmaInfo::anon(), seg(0, 100)).unwrap();
        m.map_file(0x41000, PAGE_SIZE, Perm::RW, VmaInfo::anon(), seg(PAGE_SIZE, PAGE_SIZE)).unwrap();
        m.protect(0x41000, PAGE_SIZE, Perm::R).unwrap();
        let mut b = [0u8; 1];
        m.read(0x41800, &mut b).unwrap();
        assert_eq!(b[0], 7);
        m.read(0x40800, &mut b).unwrap();
        assert_eq!(b[0], 0);
    }
}
