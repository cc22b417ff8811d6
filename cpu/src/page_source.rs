//! Where the bytes of a file-backed page come from until the guest first touches it.
//!
//! A file mapping does not copy the file: each of its pages records its source and the
//! file offset, and the page's frame is filled on first access (or never, for the
//! many pages of a shared library a short run does not touch). The source stays with
//! the page, so MADV_DONTNEED on a private file mapping brings the file's bytes back,
//! as on Linux.

use std::rc::Rc;

use crate::mem::PAGE_SIZE;

/// Something a page's initial bytes can be read from (an open host file, or bytes
/// already in memory). Implementations outside this crate do the host I/O.
pub trait PageSource {
    /// Fills `buf` with the source's bytes at `off`; bytes past the end of the data (or
    /// that cannot be read) are zero.
    fn read_page(&self, off: u64, buf: &mut [u8]);
}

/// Bytes already in memory (an ELF file the loader read, or a file read eagerly because
/// record/replay keeps its bytes).
impl PageSource for Vec<u8> {
    fn read_page(&self, off: u64, buf: &mut [u8]) {
        let start = (off as usize).min(self.len());
        let n = (self.len() - start).min(buf.len());
        buf[..n].copy_from_slice(&self[start..start + n]);
        buf[n..].fill(0);
    }
}

/// The bytes of a file mapping: `avail` bytes of `src` from offset `off` (the rest of the
/// mapping reads as zeros).
pub struct FileBytes {
    pub src: Rc<dyn PageSource>,
    pub off: u64,
    pub avail: u64,
}

/// The source of one page: `len` bytes of `src` from byte offset `off`, then zeros.
#[derive(Clone)]
pub(crate) struct FileSlice {
    pub src: Rc<dyn PageSource>,
    pub off: u64,
    pub len: u16,
}

impl FileSlice {
    /// A fresh frame holding this page's bytes.
    pub fn fill(&self) -> Box<[u8; PAGE_SIZE as usize]> {
        let mut f = crate::mem::new_frame();
        self.src.read_page(self.off, &mut f[..self.len as usize]);
        f
    }
}
