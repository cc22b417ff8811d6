//! Executable memory for translated code, owned by emu (not Cranelift's JIT module, which
//! has had trouble on macOS arm64): one fixed-size region per CPU, filled by a bump
//! allocator and emptied whole when full (the code cache evicts everything at once, as
//! qemu's `tb_flush` does).
//!
//! W^X is kept on every host. On Linux the region is one memory file mapped twice: code
//! runs from a read-execute view and is written through a read-write view elsewhere, so
//! installing a unit costs no system call (an `mprotect` per unit, with the TLB shootdown
//! it sends to the compile thread's core, took 8% of a python start-up). A forked child
//! copies the code into a file of its own (`after_fork`), as the views are shared. On
//! macOS arm64 the region is `MAP_JIT` and the writing thread toggles
//! `pthread_jit_write_protect_np`, which is what Apple's hardened runtime allows; on other
//! hosts each write is bracketed by `mprotect`. After writing, aarch64 needs the
//! instruction cache made coherent with the data cache. The raw host calls of this file
//! are its only ones in the crate.

use std::ptr::NonNull;

/// A mapped region of executable memory with a bump allocator.
pub(crate) struct ExecMem {
    /// Where the code runs from, and where it is written (the same pages; the same
    /// address except on Linux).
    base: NonNull<u8>,
    write: NonNull<u8>,
    size: usize,
    used: usize,
    page: usize,
}

/// Why executable memory could not be had.
#[derive(Debug)]
pub(crate) struct MapFailed;

impl ExecMem {
    /// Maps `size` bytes (rounded up to whole host pages).
    pub fn new(size: usize) -> Result<ExecMem, MapFailed> {
        let page = host_page();
        let size = size.div_ceil(page) * page;
        let (base, write) = os::map(size).ok_or(MapFailed)?;
        Ok(ExecMem { base, write, size, used: 0, page })
    }

    /// In a forked child: makes the code memory this process's own, at the same address
    /// and with the same contents (on Linux the parent's views are shared with it, and
    /// either would overwrite the other's code). False if that failed: the region must
    /// then not be written again.
    pub fn after_fork(&mut self) -> bool {
        self.renew()
    }

    /// Moves the first `used` bytes into memory of this process's own, at the same address.
    fn renew(&mut self) -> bool {
        // SAFETY: the region is this one's, `used` bytes of it written, and no translated
        // code runs while this happens.
        match unsafe { os::renew(self.base, self.write, self.size, self.used) } {
            Some(w) => {
                self.write = w;
                true
            }
            None => false,
        }
    }

    /// Bytes of code written since the last `reset`.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Forgets all code after the first `floor` bytes (the caller guarantees none of it
    /// runs or is referenced again). The code goes on in a new memory file on Linux: a
    /// forked child may still be copying the old one (`after_fork`). False if that failed:
    /// the region must then not be written again.
    pub fn reset_to(&mut self, floor: usize) -> bool {
        self.used = floor;
        self.renew()
    }

    /// Copies `code` in and returns where it landed, ready to run, or None when the region
    /// is full.
    pub fn push(&mut self, code: &[u8]) -> Option<*const u8> {
        // 64-byte alignment keeps every unit's entry on its own cache line.
        let at = self.used.next_multiple_of(64);
        if at + code.len() > self.size {
            return None;
        }
        // SAFETY: at + len <= size, inside the mapping (both views).
        let (dst, wdst) = unsafe { (self.base.as_ptr().add(at), self.write.as_ptr().add(at)) };
        let first = at / self.page * self.page;
        let last = (at + code.len()).div_ceil(self.page) * self.page;
        // SAFETY: [first, last) lies in the mapping; nothing executes from these pages while
        // they are writable (emu runs guest code on the thread that installs units, and
        // only between units).
        unsafe {
            let span = self.base.as_ptr().add(first);
            os::writable(span, last - first, true);
            std::ptr::copy_nonoverlapping(code.as_ptr(), wdst, code.len());
            os::writable(span, last - first, false);
            os::flush_icache(dst, code.len());
        }
        self.used = at + code.len();
        Some(dst)
    }
}

impl Drop for ExecMem {
    fn drop(&mut self) {
        // SAFETY: the region was mapped by `os::map` with this size, and the CPU that owns
        // it (with every unit pointing into it) is going away.
        unsafe { os::unmap(self.base, self.write, self.size) }
    }
}

fn host_page() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        16384
    }
}

#[cfg(target_os = "linux")]
mod os {
    use std::ptr::NonNull;

    /// A memory file of `size` bytes, mapped read-execute (where code runs) and
    /// read-write (where it is written).
    pub fn map(size: usize) -> Option<(NonNull<u8>, NonNull<u8>)> {
        let fd = memfd(size)?;
        // SAFETY: shared mappings of the whole file just made, at addresses of the
        // kernel's choosing.
        let views = unsafe {
            (
                view(fd, size, libc::PROT_READ | libc::PROT_EXEC, None),
                view(fd, size, libc::PROT_READ | libc::PROT_WRITE, None),
            )
        };
        // SAFETY: the mappings keep the file; the descriptor is ours.
        unsafe { libc::close(fd) };
        match views {
            (Some(x), Some(w)) => Some((x, w)),
            (x, w) => {
                for v in [x, w].into_iter().flatten() {
                    // SAFETY: mapped just now, used by nothing.
                    unsafe { libc::munmap(v.as_ptr() as *mut libc::c_void, size) };
                }
                None
            }
        }
    }

    fn memfd(size: usize) -> Option<libc::c_int> {
        // SAFETY: a new anonymous memory file; the name is a NUL-terminated constant.
        let fd = unsafe { libc::memfd_create(c"emu-jit".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return None;
        }
        // SAFETY: the descriptor was just made.
        if unsafe { libc::ftruncate(fd, size as libc::off_t) } != 0 {
            // SAFETY: ours, used by nothing.
            unsafe { libc::close(fd) };
            return None;
        }
        Some(fd)
    }

    /// # Safety
    /// `at`, if given, is a mapping of `size` bytes that may be replaced.
    unsafe fn view(
        fd: libc::c_int,
        size: usize,
        prot: libc::c_int,
        at: Option<NonNull<u8>>,
    ) -> Option<NonNull<u8>> {
        let (addr, fixed) = match at {
            Some(a) => (a.as_ptr() as *mut libc::c_void, libc::MAP_FIXED),
            None => (std::ptr::null_mut(), 0),
        };
        // SAFETY: the caller's promise for a fixed address; else the kernel chooses.
        let p = unsafe { libc::mmap(addr, size, prot, libc::MAP_SHARED | fixed, fd, 0) };
        if p == libc::MAP_FAILED {
            return None;
        }
        NonNull::new(p as *mut u8)
    }

    /// A new memory file holding the first `used` bytes of the region, mapped at the same
    /// addresses; returns its write view.
    ///
    /// # Safety
    /// `base`/`write` are the views of a region from `map` of `size` bytes, `used` of
    /// them written; no code runs from it meanwhile.
    pub unsafe fn renew(
        base: NonNull<u8>,
        write: NonNull<u8>,
        size: usize,
        used: usize,
    ) -> Option<NonNull<u8>> {
        let fd = memfd(size)?;
        // SAFETY: a new shared mapping of the new file; the old write view stays until
        // the code is copied out of it.
        let w = unsafe { view(fd, size, libc::PROT_READ | libc::PROT_WRITE, None) };
        let ok = w.is_some_and(|w| {
            // SAFETY: both views are `size` bytes; `used` <= size.
            unsafe { std::ptr::copy_nonoverlapping(write.as_ptr(), w.as_ptr(), used) };
            // SAFETY: replaces this process's execute view with one of the new file, with
            // the same code at the same addresses (nothing runs from it meanwhile).
            unsafe { view(fd, size, libc::PROT_READ | libc::PROT_EXEC, Some(base)) }.is_some()
        });
        // SAFETY: ours; the mappings keep the file.
        unsafe { libc::close(fd) };
        if !ok {
            return None;
        }
        // SAFETY: the old write view, which nothing uses any more.
        unsafe { libc::munmap(write.as_ptr() as *mut libc::c_void, size) };
        w
    }

    /// # Safety
    /// Nothing to do: the views keep their protections.
    pub unsafe fn writable(_p: *mut u8, _len: usize, _on: bool) {}

    /// # Safety
    /// `p..p+len` is mapped.
    #[allow(unused_variables)]
    pub unsafe fn flush_icache(p: *const u8, len: usize) {
        // x86-64 keeps instruction fetch coherent with stores, through any view.
        #[cfg(target_arch = "aarch64")]
        // SAFETY: the caller's promise; cache maintenance by address on mapped memory
        // (the data cache is physically indexed: cleaning through the execute view
        // cleans what was written through the other).
        unsafe {
            super::aarch64_flush(p, len)
        }
    }

    /// # Safety
    /// `base`/`write`/`size` are a region from `map` that nothing uses any more.
    pub unsafe fn unmap(base: NonNull<u8>, write: NonNull<u8>, size: usize) {
        for v in [base, write] {
            // SAFETY: the caller's promise.
            unsafe { libc::munmap(v.as_ptr() as *mut libc::c_void, size) };
        }
    }
}

/// What the hosts without a second view share: one anonymous private mapping, where code
/// is written and run at the same address.
#[cfg(not(target_os = "linux"))]
mod one_view {
    use std::ptr::NonNull;

    /// `size` bytes mapped with `prot` and the extra mapping `flags`.
    pub fn map(size: usize, prot: libc::c_int, flags: libc::c_int) -> Option<(NonNull<u8>, NonNull<u8>)> {
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing.
        let p = unsafe {
            libc::mmap(std::ptr::null_mut(), size, prot, libc::MAP_PRIVATE | libc::MAP_ANON | flags, -1, 0)
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        NonNull::new(p as *mut u8).map(|p| (p, p))
    }

    /// # Safety
    /// Nothing to do: a private mapping is a forked child's own copy.
    pub unsafe fn renew(_: NonNull<u8>, write: NonNull<u8>, _: usize, _: usize) -> Option<NonNull<u8>> {
        Some(write)
    }

    /// # Safety
    /// `base`/`size` are a region from `map` that nothing uses any more.
    pub unsafe fn unmap(base: NonNull<u8>, _write: NonNull<u8>, size: usize) {
        // SAFETY: the caller's promise.
        unsafe { libc::munmap(base.as_ptr() as *mut libc::c_void, size) };
    }
}

#[cfg(not(any(target_os = "linux", all(target_os = "macos", target_arch = "aarch64"))))]
mod os {
    use std::ptr::NonNull;

    pub use super::one_view::{renew, unmap};

    pub fn map(size: usize) -> Option<(NonNull<u8>, NonNull<u8>)> {
        super::one_view::map(size, libc::PROT_READ | libc::PROT_EXEC, 0)
    }

    /// # Safety
    /// `p..p+len` is a page-aligned part of a region from `map`.
    pub unsafe fn writable(p: *mut u8, len: usize, on: bool) {
        let prot = if on { libc::PROT_READ | libc::PROT_WRITE } else { libc::PROT_READ | libc::PROT_EXEC };
        // SAFETY: the caller's promise.
        let r = unsafe { libc::mprotect(p as *mut libc::c_void, len, prot) };
        // Failing to change the protection of our own mapping leaves nothing to recover.
        assert_eq!(r, 0, "mprotect of JIT code memory failed");
    }

    /// # Safety
    /// As for `writable`: `p..p+len` is mapped.
    #[allow(unused_variables)]
    pub unsafe fn flush_icache(p: *const u8, len: usize) {
        // x86-64 keeps instruction fetch coherent with stores (and mprotect serialises).
        #[cfg(target_arch = "aarch64")]
        // SAFETY: the caller's promise; cache maintenance by address on mapped memory.
        unsafe {
            super::aarch64_flush(p, len)
        }
    }
}

#[cfg(all(target_os = "macos", target_arch = "aarch64"))]
mod os {
    use std::ptr::NonNull;

    extern "C" {
        fn pthread_jit_write_protect_np(enabled: libc::c_int);
        fn sys_icache_invalidate(start: *mut libc::c_void, len: libc::size_t);
    }

    pub use super::one_view::{renew, unmap};

    pub fn map(size: usize) -> Option<(NonNull<u8>, NonNull<u8>)> {
        // MAP_JIT, read-write-execute: W^X is then switched per thread (`writable`).
        let rwx = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
        super::one_view::map(size, rwx, libc::MAP_JIT)
    }

    /// # Safety
    /// Called around writes on the thread that runs the code.
    pub unsafe fn writable(_p: *mut u8, _len: usize, on: bool) {
        // SAFETY: switches this thread's view of MAP_JIT memory.
        unsafe { pthread_jit_write_protect_np(if on { 0 } else { 1 }) }
    }

    /// # Safety
    /// `p..p+len` is mapped.
    pub unsafe fn flush_icache(p: *const u8, len: usize) {
        // SAFETY: the caller's promise.
        unsafe { sys_icache_invalidate(p as *mut libc::c_void, len) }
    }
}

/// Makes `len` bytes of freshly written code at `p` visible to instruction fetch: clean
/// the data cache to the point of unification, invalidate the instruction cache, then
/// barriers (the sequence the Arm ARM gives for self-modifying code).
///
/// # Safety
/// `p..p+len` is mapped.
#[cfg(all(target_arch = "aarch64", not(target_os = "macos")))]
unsafe fn aarch64_flush(p: *const u8, len: usize) {
    use std::arch::asm;
    let ctr: u64;
    // SAFETY: CTR_EL0 is readable from EL0 on Linux; the cache operations act on mapped
    // addresses only.
    unsafe {
        asm!("mrs {}, ctr_el0", out(reg) ctr, options(nomem, nostack));
        let dline = 4usize << ((ctr >> 16) & 15);
        let iline = 4usize << (ctr & 15);
        let start = p as usize;
        let end = start + len;
        let mut a = start & !(dline - 1);
        while a < end {
            asm!("dc cvau, {}", in(reg) a, options(nostack));
            a += dline;
        }
        asm!("dsb ish", options(nostack));
        let mut a = start & !(iline - 1);
        while a < end {
            asm!("ic ivau, {}", in(reg) a, options(nostack));
            a += iline;
        }
        asm!("dsb ish", "isb", options(nostack));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_copied_aligned_and_the_region_fills_up() {
        let mut m = ExecMem::new(8192).unwrap();
        let a = m.push(&[0xc3; 10]).unwrap();
        let b = m.push(&[0xc3; 10]).unwrap();
        assert_eq!(b as usize - a as usize, 64);
        // SAFETY: both were just written and are readable.
        assert_eq!(unsafe { *a }, 0xc3);
        assert!(m.push(&vec![0u8; 1 << 20]).is_none());
        assert!(m.reset_to(0));
        assert_eq!(m.push(&[1]).unwrap(), a);
        // SAFETY: written just now through the write view, read through the other.
        assert_eq!(unsafe { *a }, 1);
        assert!(m.after_fork());
        // SAFETY: the same code at the same address after the move.
        assert_eq!(unsafe { *a }, 1);
    }
}
