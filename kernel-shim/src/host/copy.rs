//! Copies between descriptors inside the kernel: copy_file_range, sendfile, splice, tee.
//! A Linux host does them itself, with its own rules (which kinds of file each takes,
//! pipes, offsets, errors). Elsewhere they are done with reads and writes after the checks
//! Linux makes, except tee, which cannot be (it copies a pipe's bytes without taking
//! them): EINVAL there.
//!
//! An offset is `Some` when the call takes it from the caller instead of the file's
//! position; it is moved past what was copied. Flags are Linux's (SPLICE_F_*);
//! copy_file_range's, which must be 0, are checked by the caller.

#[cfg(target_os = "linux")]
mod imp {
    use super::super::errno::linux;
    use super::super::{fd, HostResult};

    pub fn copy_file_range(
        fd_in: i32,
        off_in: Option<&mut u64>,
        fd_out: i32,
        off_out: Option<&mut u64>,
        len: usize,
    ) -> HostResult<usize> {
        rustix::fs::copy_file_range(fd(fd_in)?, off_in, fd(fd_out)?, off_out, len).map_err(linux)
    }

    pub fn sendfile(out: i32, fd_in: i32, off: Option<&mut u64>, count: usize) -> HostResult<usize> {
        rustix::fs::sendfile(fd(out)?, fd(fd_in)?, off, count).map_err(linux)
    }

    pub fn splice(
        fd_in: i32,
        off_in: Option<&mut u64>,
        fd_out: i32,
        off_out: Option<&mut u64>,
        len: usize,
        flags: u32,
    ) -> HostResult<usize> {
        use rustix::pipe::SpliceFlags;
        rustix::pipe::splice(
            fd(fd_in)?,
            off_in,
            fd(fd_out)?,
            off_out,
            len,
            SpliceFlags::from_bits_retain(flags),
        )
        .map_err(linux)
    }

    pub fn tee(fd_in: i32, fd_out: i32, len: usize, flags: u32) -> HostResult<usize> {
        use rustix::pipe::SpliceFlags;
        rustix::pipe::tee(fd(fd_in)?, fd(fd_out)?, len, SpliceFlags::from_bits_retain(flags)).map_err(linux)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::super::HostResult;
    use crate::abi::errno::{EBADF, EINVAL, ESPIPE};
    use crate::abi::mode::{S_IFIFO, S_IFMT, S_IFREG};
    use crate::abi::open::{O_ACCMODE, O_APPEND, O_RDONLY, O_WRONLY};

    /// One step of a copy: at most this much is read and written per call.
    const CHUNK: usize = 1 << 16;

    fn kind(h: i32) -> HostResult<u32> {
        Ok(super::super::fstat(h)?.mode & S_IFMT)
    }

    fn readable(h: i32) -> HostResult<bool> {
        Ok(super::super::get_status_flags(h)? & O_ACCMODE != O_WRONLY)
    }

    fn writable(h: i32) -> HostResult<bool> {
        Ok(super::super::get_status_flags(h)? & O_ACCMODE != O_RDONLY)
    }

    /// Reads up to `len` bytes from `h` (at `*off`, moving it) and writes them to `out`
    /// (at `*off_out`); returns what was written.
    fn pump(
        h: i32,
        off: Option<&mut u64>,
        out: i32,
        off_out: Option<&mut u64>,
        len: usize,
    ) -> HostResult<usize> {
        let mut buf = vec![0u8; len.min(CHUNK)];
        let n = match &off {
            Some(o) => super::super::pread(h, &mut buf, **o as i64)?,
            None => super::super::read(h, &mut buf)?,
        };
        let w = match &off_out {
            Some(o) => super::super::pwrite(out, &buf[..n], **o as i64)?,
            None => super::super::write(out, &buf[..n])?,
        };
        if let Some(o) = off {
            *o += w as u64;
        }
        if let Some(o) = off_out {
            *o += w as u64;
        }
        Ok(w)
    }

    pub fn copy_file_range(
        fd_in: i32,
        off_in: Option<&mut u64>,
        fd_out: i32,
        off_out: Option<&mut u64>,
        len: usize,
    ) -> HostResult<usize> {
        if !readable(fd_in)? || !writable(fd_out)? || super::super::get_status_flags(fd_out)? & O_APPEND != 0
        {
            return Err(EBADF);
        }
        if kind(fd_in)? != S_IFREG || kind(fd_out)? != S_IFREG {
            return Err(EINVAL);
        }
        pump(fd_in, off_in, fd_out, off_out, len)
    }

    pub fn sendfile(out: i32, fd_in: i32, off: Option<&mut u64>, count: usize) -> HostResult<usize> {
        if !readable(fd_in)? || !writable(out)? {
            return Err(EBADF);
        }
        if kind(fd_in)? != S_IFREG {
            return Err(EINVAL);
        }
        pump(fd_in, off, out, None, count)
    }

    pub fn splice(
        fd_in: i32,
        off_in: Option<&mut u64>,
        fd_out: i32,
        off_out: Option<&mut u64>,
        len: usize,
        _flags: u32,
    ) -> HostResult<usize> {
        let (pin, pout) = (kind(fd_in)? == S_IFIFO, kind(fd_out)? == S_IFIFO);
        if !pin && !pout {
            return Err(EINVAL);
        }
        if pin && off_in.is_some() || pout && off_out.is_some() {
            return Err(ESPIPE);
        }
        pump(fd_in, off_in, fd_out, off_out, len)
    }

    pub fn tee(_fd_in: i32, _fd_out: i32, _len: usize, _flags: u32) -> HostResult<usize> {
        Err(EINVAL)
    }
}

pub use imp::{copy_file_range, sendfile, splice, tee};
