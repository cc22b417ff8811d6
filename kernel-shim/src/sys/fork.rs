//! New tasks and their ends: fork, vfork, clone (new processes and threads), wait4 and
//! waitid. A new guest process is a fork of emu itself, so parent and child
//! each keep their own emulated address space, fds and signal state.
//!
//! vfork (CLONE_VM|CLONE_VFORK) shares memory until the child execs or exits. Emu keeps
//! the host fork and gets the same observable result: the parent is suspended, the child
//! records the guest pages it writes (`AddressSpace::track_writes`), and at execve, exit
//! or death it sends their contents through a pipe; the parent applies them and goes on.
//! (Mapping changes the child makes are not carried over: a vfork child only execs or
//! exits, so none are expected.)

use super::{write_struct, Args, SysResult};
use crate::abi::process::Rusage;
use crate::abi::signal::{self as S, SigInfo};
use crate::abi::{errno as E, GuestStruct};
use crate::host;
use crate::thread::{Thread, Wait};
use crate::Process;

const CLONE_VM: u64 = 0x100;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_CHILD_SETTID: u64 = 0x0100_0000;

/// clone with CLONE_THREAD: a new thread of this process, scheduled by emu.
fn new_thread(p: &mut Process, flags: u64, stack: u64, ptid: u64, ctid: u64, tls: u64) -> SysResult {
    const NEEDED: u64 = CLONE_VM | 0x800; // CLONE_SIGHAND
    if flags & NEEDED != NEEDED {
        return Err(E::EINVAL);
    }
    let tid = p.next_tid;
    p.next_tid += 1;
    let mut ctx = p.cpu.save_context();
    ctx.set_reg(emu_cpu::Reg::Rax, 0);
    ctx.rip = p.cpu.rip;
    if stack != 0 {
        ctx.set_reg(emu_cpu::Reg::Rsp, stack);
    }
    if flags & CLONE_SETTLS != 0 {
        ctx.seg_base[1] = tls;
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        write_struct(p, ptid, &tid)?;
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        write_struct(p, ctid, &tid)?;
    }
    let mut t = Thread::new(tid);
    if flags & CLONE_CHILD_CLEARTID != 0 {
        t.clear_child_tid = ctid;
    }
    t.sigmask = p.signals.mask;
    p.spawn_thread(t, ctx);
    Ok(tid as u64)
}

fn new_process(p: &mut Process, flags: u64, stack: u64, ptid: u64, ctid: u64, tls: u64) -> SysResult {
    if flags & CLONE_THREAD != 0 {
        return new_thread(p, flags, stack, ptid, ctid, tls);
    }
    let vfork = flags & (CLONE_VM | CLONE_VFORK) == CLONE_VM | CLONE_VFORK;
    let pipe = if vfork { Some(host::pipe()?) } else { None };
    let pid = match p.world.fork(&mut p.next_tid) {
        Ok(pid) => pid,
        Err(e) => {
            if let Some((r, w)) = pipe {
                host::close(r);
                host::close(w);
            }
            return Err(e);
        }
    };
    if pid == 0 {
        // A vfork child of a vfork child has its own parent to report to.
        if let Some(fd) = p.vfork_parent.take() {
            host::close(fd);
            p.cpu.mem.take_written();
        }
        p.drop_timers();
        // A child has no parent-death signal and is no subreaper (the host's are cleared too).
        p.settings.pdeathsig = 0;
        p.settings.subreaper = false;
        if let Some((r, w)) = pipe {
            host::close(r);
            p.cpu.mem.track_writes();
            p.vfork_parent = Some(w);
        }
        // Child: a copy of the parent's process. With CLONE_VM the parent's memory is
        // copied rather than shared; for vfork-style use (run on a separate stack, then
        // execve or _exit) the difference cannot be observed except through stores the
        // child makes before exec.
        if stack != 0 {
            p.cpu.set_reg(emu_cpu::Reg::Rsp, stack);
        }
        if flags & CLONE_SETTLS != 0 {
            p.cpu.set_fs_base(tls);
        }
        let me = p.world().pid();
        // Only the forking thread exists in the child; it is the main thread there.
        let mut t = Thread::new(me);
        if flags & CLONE_CHILD_SETTID != 0 {
            let _ = write_struct(p, ctid, &me);
        }
        if flags & CLONE_CHILD_CLEARTID != 0 {
            t.clear_child_tid = ctid;
        }
        t.sigmask = p.signals.mask;
        p.threads = vec![t];
        p.cur = 0;
        p.next_tid = me + 1;
        p.arm_slice();
        return Ok(0);
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = write_struct(p, ptid, &pid);
    }
    if let Some((r, w)) = pipe {
        host::close(w);
        apply_vfork_writes(p, r);
        host::close(r);
    }
    Ok(pid as u64)
}

const PAGE: usize = 4096;
/// Ends the list of pages a vfork child sends.
const END_OF_PAGES: u64 = u64::MAX;

/// The vfork parent's side: sleeps until the child execs or exits, then makes the child's
/// stores its own. A child that dies without reporting (EOF) leaves memory unchanged.
fn apply_vfork_writes(p: &mut Process, fd: i32) {
    let mut page = vec![0u8; 8 + PAGE];
    while read_exact(fd, &mut page[..8]) {
        let vpn = u64::read(&page[..8]);
        if vpn == END_OF_PAGES || !read_exact(fd, &mut page[8..]) {
            break;
        }
        // A page the parent no longer maps cannot receive the child's data: skip it.
        let _ = p.cpu.mem.poke(vpn << 12, &page[8..]);
    }
}

/// Reads exactly `buf.len()` bytes (false at EOF or error), retrying after host signals.
fn read_exact(fd: i32, buf: &mut [u8]) -> bool {
    let mut done = 0;
    while done < buf.len() {
        match host::read(fd, &mut buf[done..]) {
            Ok(0) => return false,
            Ok(n) => done += n,
            Err(E::EINTR) => continue,
            Err(_) => return false,
        }
    }
    true
}

impl Process {
    /// The vfork child's side, at execve (before the old image goes), exit or death:
    /// sends the pages it wrote and so releases the parent. Nothing to do otherwise.
    pub(crate) fn release_vfork_parent(&mut self) {
        let Some(fd) = self.vfork_parent.take() else { return };
        let mut out = Vec::new();
        for vpn in self.cpu.mem.take_written() {
            let mut page = [0u8; PAGE];
            if self.cpu.mem.read(vpn << 12, &mut page).is_ok() {
                out.extend_from_slice(&vpn.to_le_bytes());
                out.extend_from_slice(&page);
            }
        }
        out.extend_from_slice(&END_OF_PAGES.to_le_bytes());
        let mut done = 0;
        while done < out.len() {
            match host::write(fd, &out[done..]) {
                Ok(n) => done += n,
                Err(E::EINTR) => continue,
                Err(e) => {
                    log::warn!("vfork: cannot send the child's memory writes to the parent (errno {e})");
                    break;
                }
            }
        }
        host::close(fd);
    }
}

pub(super) fn fork(p: &mut Process, _: &Args) -> SysResult {
    new_process(p, S::SIGCHLD as u64, 0, 0, 0, 0)
}

pub(super) fn vfork(p: &mut Process, _: &Args) -> SysResult {
    new_process(p, CLONE_VM | CLONE_VFORK | S::SIGCHLD as u64, 0, 0, 0, 0)
}

pub(super) fn clone(p: &mut Process, a: &Args) -> SysResult {
    // x86-64 order: flags, stack, parent_tid, child_tid, tls.
    new_process(p, a.ulong(0), a.ptr(1), a.ptr(2), a.ptr(3), a.ulong(4))
}

pub(super) fn wait4(p: &mut Process, a: &Args) -> SysResult {
    let (pid, status, options, rusage) = (a.pid(0), a.ptr(1), a.uint(2), a.ptr(3));
    if options & !(1 | 2 | 8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000) != 0 {
        return Err(E::EINVAL);
    }
    // With other threads to run, a blocking wait becomes a poll that is retried.
    let (r, st) = if options & 1 == 0 && p.multithreaded() {
        let h = p.world().host_pid(pid);
        match host::waitpid(h, options | 1)? {
            (0, _) => {
                let at = p.world().instant() + std::time::Duration::from_millis(2);
                p.park(Wait::Retry { at });
                return Err(crate::thread::E_WOULDBLOCK);
            }
            r => r,
        }
    } else {
        if options & 1 == 0 {
            // WUNTRACED is WSTOPPED; every wait4 waits for exits.
            p.world().before_blocking_wait(pid, 4 | options & (2 | 8))?;
        }
        let h = p.world().host_pid(pid);
        host::waitpid(h, options)?
    };
    let r = p.world().guest_pid(r);
    if status != 0 && r != 0 {
        write_struct(p, status, &st)?;
    }
    if rusage != 0 {
        // The child's resource use is not tracked: all zero.
        write_struct(p, rusage, &Rusage::default())?;
    }
    Ok(r as u64)
}

pub(super) fn waitid(p: &mut Process, a: &Args) -> SysResult {
    let (idtype, id, info, options) = (a.uint(0), a.uint(1), a.ptr(2), a.uint(3));
    if options & !(1 | 2 | 4 | 8 | 0x0100_0000 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000) != 0
        || options & 0xe == 0
    {
        return Err(E::EINVAL);
    }
    let nohang = options & 1 != 0;
    let (pid, code, status, uid) = if !nohang && p.multithreaded() {
        let h = p.world().host_pid(id as i32);
        match host::waitid(idtype, h as u32, options | 1)? {
            (0, ..) => {
                let at = p.world().instant() + std::time::Duration::from_millis(2);
                p.park(Wait::Retry { at });
                return Err(crate::thread::E_WOULDBLOCK);
            }
            r => r,
        }
    } else {
        if !nohang && idtype <= 2 {
            let pid = match idtype {
                0 => -1,
                2 => -(id as i32),
                _ => id as i32,
            };
            p.world().before_blocking_wait(pid, options & (2 | 4 | 8))?;
        }
        let h = p.world().host_pid(id as i32);
        host::waitid(idtype, h as u32, options)?
    };
    let pid = p.world().guest_pid(pid);
    if info != 0 {
        // WNOHANG with no child ready: an all-zero siginfo.
        let si = if pid != 0 {
            SigInfo { signo: S::SIGCHLD, code, pid, uid, status, ..Default::default() }
        } else {
            SigInfo::default()
        };
        write_struct(p, info, &si)?;
    }
    Ok(0)
}
