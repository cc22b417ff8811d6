//! `vFile:` requests: gdb reads the program and its libraries through the stub (its
//! default sysroot `target:`), so it sees the files the guest sees: paths resolve as the
//! guest's do (`-L` sysroot first, or inside the `--chroot` jail). Read-only: gdb writes no
//! files of the guest's. `/proc/PID/maps` (and `/proc/PID/task/TID/maps`), which gdb reads
//! to find the vDSO, is the guest's memory map, whatever pid gdb names.

use super::target::Emu;
use gdbstub::target::ext::host_io::{
    FsKind, HostIo, HostIoClose, HostIoCloseOps, HostIoErrno, HostIoError, HostIoFstat, HostIoFstatOps,
    HostIoOpen, HostIoOpenFlags, HostIoOpenMode, HostIoOpenOps, HostIoPread, HostIoPreadOps, HostIoReadlink,
    HostIoReadlinkOps, HostIoResult, HostIoSetfs, HostIoSetfsOps, HostIoStat,
};
use std::fs::File;

/// A file gdb opened.
enum Open {
    Host(File),
    /// Made by emu (a /proc file).
    Text(Vec<u8>),
}

/// The files gdb has open, by the descriptor it was given.
#[derive(Default)]
pub(crate) struct Files {
    open: Vec<Option<Open>>,
}

impl Files {
    /// For a worker woken from a checkpoint (`reverse.rs`): the words, and the host
    /// descriptors that travel beside them, that give it the same handles.
    pub fn encode(&self, w: &mut Vec<u64>, fds: &mut Vec<i32>) {
        use std::os::fd::AsRawFd;
        let first = fds.len();
        w.push(self.open.len() as u64);
        for s in &self.open {
            match s {
                None => w.push(0),
                // Past the most a request carries, a handle is lost (gdb's reads through
                // it fail with EBADF).
                Some(Open::Host(f)) if fds.len() < first + super::checkpoint::MAX_FILES => {
                    w.push(1);
                    fds.push(f.as_raw_fd());
                }
                Some(Open::Host(_)) => w.push(0),
                Some(Open::Text(t)) => {
                    w.push(2);
                    super::reverse::pack(t, w);
                }
            }
        }
    }

    pub fn decode(w: &mut impl Iterator<Item = u64>, files: &mut impl Iterator<Item = File>) -> Files {
        let n = w.next().unwrap_or(0);
        let open = (0..n)
            .map(|_| match w.next() {
                Some(1) => files.next().map(Open::Host),
                Some(2) => Some(Open::Text(super::reverse::unpack(w))),
                _ => None,
            })
            .collect();
        Files { open }
    }

    fn get(&self, fd: u32) -> Result<&Open, HostIoErrno> {
        self.open.get(fd as usize).and_then(|f| f.as_ref()).ok_or(HostIoErrno::EBADF)
    }
}

/// Whether `name` is a process's or a thread's memory map in /proc.
fn is_proc_maps(name: &[u8]) -> bool {
    let Some(rest) = name.strip_prefix(b"/proc/") else { return false };
    let parts: Vec<&[u8]> = rest.split(|&b| b == b'/').collect();
    let number = |p: &[u8]| !p.is_empty() && p.iter().all(u8::is_ascii_digit);
    match parts.as_slice() {
        [pid, m] => number(pid) && *m == b"maps",
        [pid, t, tid, m] => number(pid) && *t == b"task" && number(tid) && *m == b"maps",
        _ => false,
    }
}

impl Emu<'_> {
    /// The host path of the guest path `name`.
    fn host_path(&self, name: &[u8]) -> std::path::PathBuf {
        crate::path::bytes_to_path(&self.process_ref().sysroot.host_path(name))
    }
}

fn errno<E>(e: std::io::Error) -> HostIoError<E> {
    HostIoError::from(e)
}

impl HostIo for Emu<'_> {
    fn support_open(&mut self) -> Option<HostIoOpenOps<'_, Self>> {
        Some(self)
    }

    fn support_close(&mut self) -> Option<HostIoCloseOps<'_, Self>> {
        Some(self)
    }

    fn support_pread(&mut self) -> Option<HostIoPreadOps<'_, Self>> {
        Some(self)
    }

    fn support_fstat(&mut self) -> Option<HostIoFstatOps<'_, Self>> {
        Some(self)
    }

    fn support_readlink(&mut self) -> Option<HostIoReadlinkOps<'_, Self>> {
        Some(self)
    }

    fn support_setfs(&mut self) -> Option<HostIoSetfsOps<'_, Self>> {
        Some(self)
    }
}

impl HostIoOpen for Emu<'_> {
    fn open(
        &mut self,
        name: &[u8],
        flags: HostIoOpenFlags,
        _mode: HostIoOpenMode,
    ) -> HostIoResult<u32, Self> {
        if flags.bits() & 3 != HostIoOpenFlags::O_RDONLY.bits() {
            return Err(HostIoError::Errno(HostIoErrno::EROFS));
        }
        let f = if is_proc_maps(name) {
            Open::Text(crate::maps::text(&self.process_ref().cpu.mem).into_bytes())
        } else {
            Open::Host(File::open(self.host_path(name)).map_err(errno)?)
        };
        let slots = &mut self.files.open;
        let fd = match slots.iter().position(|s| s.is_none()) {
            Some(i) => i,
            None => {
                slots.push(None);
                slots.len() - 1
            }
        };
        slots[fd] = Some(f);
        Ok(fd as u32)
    }
}

impl HostIoClose for Emu<'_> {
    fn close(&mut self, fd: u32) -> HostIoResult<(), Self> {
        match self.files.open.get_mut(fd as usize).and_then(Option::take) {
            Some(_) => Ok(()),
            None => Err(HostIoError::Errno(HostIoErrno::EBADF)),
        }
    }
}

impl HostIoPread for Emu<'_> {
    fn pread(&mut self, fd: u32, count: usize, offset: u64, buf: &mut [u8]) -> HostIoResult<usize, Self> {
        use std::os::unix::fs::FileExt;
        let n = count.min(buf.len());
        match self.files.get(fd).map_err(HostIoError::Errno)? {
            Open::Host(f) => f.read_at(&mut buf[..n], offset).map_err(errno),
            Open::Text(t) => {
                let start = (offset as usize).min(t.len());
                let k = (t.len() - start).min(n);
                buf[..k].copy_from_slice(&t[start..start + k]);
                Ok(k)
            }
        }
    }
}

impl HostIoFstat for Emu<'_> {
    fn fstat(&mut self, fd: u32) -> HostIoResult<HostIoStat, Self> {
        use std::os::unix::fs::MetadataExt;
        let f = match self.files.get(fd).map_err(HostIoError::Errno)? {
            Open::Host(f) => f,
            Open::Text(t) => {
                return Ok(HostIoStat {
                    st_dev: 0,
                    st_ino: 0,
                    st_mode: HostIoOpenMode::S_IFREG | HostIoOpenMode::S_IRUSR,
                    st_nlink: 1,
                    st_uid: 0,
                    st_gid: 0,
                    st_rdev: 0,
                    st_size: t.len() as u64,
                    st_blksize: 4096,
                    st_blocks: 0,
                    st_atime: 0,
                    st_mtime: 0,
                    st_ctime: 0,
                })
            }
        };
        let m = f.metadata().map_err(errno)?;
        Ok(HostIoStat {
            st_dev: m.dev() as u32,
            st_ino: m.ino() as u32,
            st_mode: HostIoOpenMode::from_bits_truncate(m.mode()),
            st_nlink: m.nlink() as u32,
            st_uid: m.uid(),
            st_gid: m.gid(),
            st_rdev: m.rdev() as u32,
            st_size: m.size(),
            st_blksize: m.blksize(),
            st_blocks: m.blocks(),
            st_atime: m.atime() as u32,
            st_mtime: m.mtime() as u32,
            st_ctime: m.ctime() as u32,
        })
    }
}

impl HostIoReadlink for Emu<'_> {
    fn readlink(&mut self, name: &[u8], buf: &mut [u8]) -> HostIoResult<usize, Self> {
        use std::os::unix::ffi::OsStrExt;
        let t = std::fs::read_link(self.host_path(name)).map_err(errno)?;
        let t = t.as_os_str().as_bytes();
        let n = t.len().min(buf.len());
        buf[..n].copy_from_slice(&t[..n]);
        Ok(n)
    }
}

impl HostIoSetfs for Emu<'_> {
    /// The guest has one view of the file system, whichever process gdb names.
    fn setfs(&mut self, _fs: FsKind) -> HostIoResult<(), Self> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn proc_maps_paths() {
        assert!(super::is_proc_maps(b"/proc/1/maps"));
        assert!(super::is_proc_maps(b"/proc/1/task/1/maps"));
        assert!(!super::is_proc_maps(b"/proc/self/maps"));
        assert!(!super::is_proc_maps(b"/proc/1/task/maps"));
        assert!(!super::is_proc_maps(b"/lib/maps"));
    }
}
