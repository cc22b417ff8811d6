//! Host files behind guest file mappings: a mapped page is read from the file when the
//! guest first touches it (`emu_cpu::mem::PageSource`), so mapping a large library costs
//! only the pages a run uses.
//!
//! Each mapped file is read through its own duplicate of a host descriptor, shared by
//! every mapping of the same file (device and inode) and closed when the last mapping
//! of it goes, as Linux keeps a file open while it is mapped.

use crate::abi::mode::{S_IFMT, S_IFREG};
use crate::host;
use emu_cpu::mem::{FileBytes, PageSource};
use hashbrown::HashMap;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

struct HostFile {
    fd: i32,
}

impl PageSource for HostFile {
    fn read_page(&self, off: u64, buf: &mut [u8]) {
        let mut got = 0;
        while got < buf.len() {
            match host::pread(self.fd, &mut buf[got..], (off + got as u64) as i64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => {
                    // Linux would raise SIGBUS in the guest; the page reads as zeros.
                    log::warn!("mapped file: read at offset {off:#x} failed: {e:?}");
                    break;
                }
            }
        }
        buf[got..].fill(0);
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        host::close(self.fd);
    }
}

thread_local! {
    static OPEN: RefCell<HashMap<(u64, u64), Weak<HostFile>>> = RefCell::new(HashMap::new());
}

/// The bytes for mapping `len` bytes of host file `h` from `off`, read lazily, and the
/// file's device and inode. None when `h` is not a regular file (devices and the like
/// are read eagerly, as before).
pub fn source(h: i32, off: u64, len: u64) -> Option<Result<(FileBytes, u64, u64), host::Errno>> {
    let st = match host::fstat(h) {
        Ok(st) => st,
        Err(e) => return Some(Err(e)),
    };
    if st.mode & S_IFMT != S_IFREG {
        return None;
    }
    let avail = (st.size as u64).saturating_sub(off).min(len);
    let key = (st.dev, st.ino);
    let file = OPEN.with(|open| {
        let mut open = open.borrow_mut();
        if let Some(f) = open.get(&key).and_then(Weak::upgrade) {
            return Ok(f);
        }
        open.retain(|_, w| w.strong_count() > 0);
        let f = Rc::new(HostFile { fd: host::dup(h)? });
        open.insert(key, Rc::downgrade(&f));
        Ok(f)
    });
    Some(file.map(|f| (FileBytes { src: f, off, avail }, st.dev, st.ino)))
}
