//! How gdb finds the program and its shared libraries: the auxiliary vector (`qXfer:auxv`)
//! gives it AT_PHDR, AT_ENTRY and AT_BASE, and the exec file (`qXfer:exec-file`) the guest
//! path of the program; from those gdb finds ld.so, its `r_debug` and the link map in guest
//! memory itself, as it does on a native process (and sets its own breakpoint in ld.so to
//! learn of each library loaded).

use super::target::Emu;
use gdbstub::common::Pid;
use gdbstub::target::ext::auxv::Auxv;
use gdbstub::target::ext::exec_file::ExecFile;
use gdbstub::target::TargetResult;

/// Copies the part of `data` at `offset` that fits into `buf`.
fn window(data: &[u8], offset: u64, length: usize, buf: &mut [u8]) -> usize {
    let start = (offset as usize).min(data.len());
    let n = (data.len() - start).min(length).min(buf.len());
    buf[..n].copy_from_slice(&data[start..start + n]);
    n
}

impl Auxv for Emu<'_> {
    fn get_auxv(&self, offset: u64, length: usize, buf: &mut [u8]) -> TargetResult<usize, Self> {
        let mut data = Vec::new();
        for &(k, v) in self.process_ref().auxv.iter().chain(&[(0, 0)]) {
            data.extend_from_slice(&k.to_le_bytes());
            data.extend_from_slice(&v.to_le_bytes());
        }
        Ok(window(&data, offset, length, buf))
    }
}

impl ExecFile for Emu<'_> {
    fn get_exec_file(
        &self,
        _pid: Option<Pid>,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        Ok(window(&self.process_ref().exe, offset, length, buf))
    }
}
