//! Host memory the guest shares with other processes: the frames of its MAP_SHARED
//! mappings (of a file, or anonymous), and the futexes that live in them. A guest page of
//! such a mapping is a 4 KiB piece of a host `mmap(MAP_SHARED)` region, so its stores
//! reach the file and the guest's forked children (host forks) at once, as on Linux.

use super::errno::linux;
use super::{fd, HostResult};
use emu_cpu::mem::SharedMemory;
use rustix::fd::OwnedFd;
use rustix::mm::{MapFlags, MsyncFlags, ProtFlags};

/// A host shared mapping. Unmapped when the last guest mapping of it goes.
pub struct SharedRegion {
    /// Host address of the mapping's start (host-page aligned).
    map: *mut u8,
    map_len: usize,
    /// Where the guest's byte 0 of the region is, from `map` (a guest offset in the file
    /// need only be 4 KiB aligned; the host's pages may be larger).
    delta: usize,
    /// Guest bytes of the region.
    len: u64,
    writable: bool,
    /// The file and the offset of the region in it (for its current size, msync).
    file: Option<(OwnedFd, u64)>,
}

impl SharedRegion {
    /// `len` bytes of host file `h` from offset `off` (4 KiB aligned), writable if asked
    /// (the file must be open for writing).
    pub fn of_file(h: i32, off: u64, len: u64, writable: bool) -> HostResult<SharedRegion> {
        let host_page = rustix::param::page_size() as u64;
        let start = off - off % host_page;
        let delta = (off - start) as usize;
        let map_len = round_up(len + delta as u64, host_page) as usize;
        let prot = if writable { ProtFlags::READ | ProtFlags::WRITE } else { ProtFlags::READ };
        let file = rustix::io::fcntl_dupfd_cloexec(fd(h)?, 0).map_err(linux)?;
        // SAFETY: the host picks the address (no existing mapping or Rust object is
        // replaced); the region is only reached through raw pointers, page by page, within
        // `map_len`, and unmapped in Drop once no guest mapping refers to it.
        let map =
            unsafe { rustix::mm::mmap(std::ptr::null_mut(), map_len, prot, MapFlags::SHARED, &file, start) }
                .map_err(linux)?;
        Ok(SharedRegion { map: map.cast(), map_len, delta, len, writable, file: Some((file, off)) })
    }

    /// `len` bytes of zeroed anonymous memory shared with the processes forked from now on.
    pub fn anonymous(len: u64) -> HostResult<SharedRegion> {
        let map_len = round_up(len, rustix::param::page_size() as u64) as usize;
        // SAFETY: as in `of_file`, for an anonymous mapping.
        let map = unsafe {
            rustix::mm::mmap_anonymous(
                std::ptr::null_mut(),
                map_len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
            )
        }
        .map_err(linux)?;
        Ok(SharedRegion { map: map.cast(), map_len, delta: 0, len, writable: true, file: None })
    }

    /// msync: writes `[off, off+len)` of the region back to its file.
    pub fn sync(&self, off: u64, len: u64, invalidate: bool) -> HostResult<()> {
        if self.file.is_none() || len == 0 {
            return Ok(());
        }
        let host_page = rustix::param::page_size() as u64;
        let from = off + self.delta as u64;
        let start = from - from % host_page;
        let end = round_up(from + len, host_page).min(self.map_len as u64);
        let flags = if invalidate { MsyncFlags::SYNC | MsyncFlags::INVALIDATE } else { MsyncFlags::SYNC };
        // SAFETY: `[start, end)` lies inside this region's live mapping.
        unsafe { rustix::mm::msync(self.map.add(start as usize).cast(), (end - start) as usize, flags) }
            .map_err(linux)
    }
}

fn round_up(v: u64, to: u64) -> u64 {
    v.div_ceil(to) * to
}

impl SharedMemory for SharedRegion {
    fn base(&self) -> *mut u8 {
        self.map.wrapping_add(self.delta)
    }

    /// A file's region ends with the file (pages wholly past its end are SIGBUS, as on
    /// Linux; touching them in the host would kill emu), looked up at each first touch
    /// since the file may have grown since the mmap.
    fn size(&self) -> u64 {
        let Some((file, off)) = &self.file else { return self.len };
        let end = rustix::fs::fstat(file).map(|s| s.st_size.max(0) as u64).unwrap_or(0);
        round_up(end.saturating_sub(*off), 4096).min(self.len)
    }

    fn writable(&self) -> bool {
        self.writable
    }

    fn sync(&self, off: u64, len: u64, invalidate: bool) -> bool {
        SharedRegion::sync(self, off, len, invalidate).is_ok()
    }
}

impl Drop for SharedRegion {
    fn drop(&mut self) {
        // SAFETY: the mapping this object made; no guest page refers to it any more (the
        // address space holds it through an Rc until its last page is gone).
        let _ = unsafe { rustix::mm::munmap(self.map.cast(), self.map_len) };
    }
}

/// A new anonymous memory file (memfd_create), close-on-exec in the host.
pub fn memfd(name: &[u8]) -> HostResult<i32> {
    super::os::memfd(name).map(super::io::raw).map_err(linux)
}

/// Whether the host can wait on a futex in shared memory across processes.
pub const SHARED_FUTEX: bool = cfg!(target_os = "linux");

/// FUTEX_WAIT on the word at host address `word` (in a shared region) while it holds
/// `val`, for at most `timeout`: Ok(true) if woken, Ok(false) when the value differed or
/// the time ran out; EINTR when a host signal came.
#[cfg(target_os = "linux")]
pub fn futex_wait_shared(word: *mut u8, val: u32, timeout: std::time::Duration) -> HostResult<bool> {
    use rustix::thread::futex;
    // SAFETY: `word` points at a 4-byte aligned guest word inside a live shared region
    // (the caller checked alignment and mapping); other processes change it only
    // atomically, as an AtomicU32 expects.
    let w = unsafe { &*(word as *const std::sync::atomic::AtomicU32) };
    let ts =
        rustix::fs::Timespec { tv_sec: timeout.as_secs() as i64, tv_nsec: timeout.subsec_nanos() as i64 };
    match futex::wait(w, futex::Flags::empty(), val, Some(&ts)) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::AGAIN | rustix::io::Errno::TIMEDOUT) => Ok(false),
        Err(e) => Err(linux(e)),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn futex_wait_shared(_: *mut u8, _: u32, timeout: std::time::Duration) -> HostResult<bool> {
    // No cross-process futex here: the caller polls the word.
    std::thread::sleep(timeout.min(std::time::Duration::from_millis(1)));
    Ok(false)
}

/// FUTEX_WAKE of up to `n` waiters in other processes on the word at host address `word`.
#[cfg(target_os = "linux")]
pub fn futex_wake_shared(word: *mut u8, n: u32) -> HostResult<u32> {
    use rustix::thread::futex;
    // SAFETY: as in `futex_wait_shared`.
    let w = unsafe { &*(word as *const std::sync::atomic::AtomicU32) };
    futex::wake(w, futex::Flags::empty(), n).map(|k| k as u32).map_err(linux)
}

#[cfg(not(target_os = "linux"))]
pub fn futex_wake_shared(_: *mut u8, _: u32) -> HostResult<u32> {
    Ok(0)
}
