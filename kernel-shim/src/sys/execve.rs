//! execve and execveat: the guest's argument and environment arrays are read here, and
//! the new image is built by `crate::exec`.

use super::{read_path, read_struct, Args, SysResult};
use crate::abi::errno as E;
use crate::abi::signal::{StackT, SS_DISABLE};
use crate::host::Errno;
use crate::{exec, Process};

/// Reads a NULL-terminated array of string pointers.
fn read_strings(p: &mut Process, mut addr: u64) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    let mut total = 0usize;
    loop {
        let ptr = read_struct::<u64>(p, addr)?;
        if ptr == 0 {
            return Ok(out);
        }
        let s = p.cpu.mem.read_cstr(ptr, 128 * 1024).map_err(|_| E::EFAULT)?;
        total += s.len() + 9;
        if total > 2 << 20 {
            return Err(E::E2BIG);
        }
        out.push(s);
        addr += 8;
    }
}

fn do_execve(p: &mut Process, path: Vec<u8>, argv: u64, envp: u64) -> SysResult {
    let argv = read_strings(p, argv)?;
    let envp = read_strings(p, envp)?;
    if path.is_empty() {
        return Err(E::ENOENT);
    }
    // /proc/self/exe is the guest's program, not emu (and inside a jail, every /proc/self
    // link leads to the guest path it stands for).
    let abs = crate::path::join(&p.cwd, &path);
    let me = format!("/proc/{}/exe", p.world().pid());
    let path = if p.sysroot.jailed() {
        super::fs::jail_path(p, &abs, true)?
    } else if abs == b"/proc/self/exe" || abs == me.as_bytes() {
        p.exe.clone()
    } else {
        path
    };
    let img = exec::load_program(p.world(), &p.sysroot, &p.cwd, &path, argv, envp).map_err(|e| {
        log::debug!("execve {}: {e}", String::from_utf8_lossy(&path));
        exec::load_errno(&e)
    })?;
    p.exit_all_robust_lists();
    p.release_vfork_parent();
    p.drop_timers();
    p.settings.dumpable = 1;
    p.settings.keepcaps = false;
    p.install(img);
    p.fds.close_on_exec();
    // Handled signals revert to the default action; ignored ones stay ignored.
    // Flags and masks are cleared for all (as Linux's flush_signal_handlers), and the
    // host's actions follow.
    for sig in 1..=64 {
        let before = p.signals.host_action(sig);
        let act = &mut p.signals.actions[sig as usize];
        let ignored = act.handler == crate::signal::SIG_IGN;
        *act = Default::default();
        if ignored {
            act.handler = crate::signal::SIG_IGN;
        }
        if p.signals.host_action(sig) != before {
            crate::host::guest_action_changed(sig, p.signals.host_action(sig));
        }
    }
    p.signals.altstack = StackT { flags: SS_DISABLE, ..Default::default() };
    Ok(0)
}

pub(super) fn execve(p: &mut Process, a: &Args) -> SysResult {
    let path = read_path(p, a.ptr(0))?;
    let r = do_execve(p, path, a.ptr(1), a.ptr(2));
    // On success the new image's registers start clean; rax must be 0 at entry.
    r
}

pub(super) fn execveat(p: &mut Process, a: &Args) -> SysResult {
    let (dirfd, path, flags) = (a.fd(0), read_path(p, a.ptr(1))?, a.uint(4));
    let full = if path.first() == Some(&b'/') || dirfd == crate::abi::AT_FDCWD as i64 {
        path
    } else {
        let f = p.fds.file(dirfd)?;
        let base = f.borrow().path.clone().ok_or(E::ENOENT)?;
        if path.is_empty() && flags & crate::abi::AT_EMPTY_PATH != 0 {
            base
        } else {
            [base, b"/".to_vec(), path].concat()
        }
    };
    do_execve(p, full, a.ptr(2), a.ptr(3))
}
