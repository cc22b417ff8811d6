//! The syscalls: the table (`table.rs`, one row per Linux x86-64 syscall number and
//! every fact about it), the dispatcher, and the handlers, one file per subsystem. A
//! handler decodes and checks its arguments (`Args`, by the kernel prototype's types) and
//! the structs they point to (`read_struct`/`write_struct` with the `abi` types; never a
//! field by offset), and calls the component that owns the state. Syscalls emu does not
//! implement return ENOSYS, reported once under `-v`.

use crate::abi::errno as E;
use crate::abi::time::Timespec;
use crate::abi::GuestStruct;
use crate::host::Errno;
use crate::Process;
pub(crate) use args::Args;
pub(crate) use file::iovecs;
pub(crate) use table::nr;
use table::Restart;

mod args;
pub(crate) mod kinds;
pub(crate) mod table;

mod caps;
mod copy;
mod execve;
mod file;
mod fork;
mod fs;
pub(crate) mod futex;
mod ids;
pub(crate) mod inotify;
mod ipc;
mod limits;
mod lock;
mod meta;
pub(crate) mod mm;
mod net;
mod pgrp;
mod pidfd;
mod poll;
mod procfs;
mod sched;
mod sendrecv;
mod signal;
mod signalfd;
mod sockopt;
mod system;
mod task;
mod time;
pub(crate) mod timer;
mod timerfd;
mod tty;
mod xattr;

pub(crate) type SysResult = Result<u64, Errno>;
pub(crate) type SysFn = fn(&mut Process, &Args) -> SysResult;

/// Name of a syscall number, for diagnostics.
pub(crate) fn name(nr: u64) -> Option<&'static str> {
    table::row(nr).map(|r| r.name)
}

/// How serving a syscall ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Served {
    /// It completed with this result, now in rax.
    Done(SysResult),
    /// The thread parked: waits that re-execute the syscall were rewound to it; the others
    /// get their result from whoever ends the wait.
    Parked,
    /// A signal handler runs first; the guest then makes the syscall again (SA_RESTART).
    Restarted,
}

/// Serves syscall `nr` the guest just made (the CPU stopped after its `syscall`
/// instruction) and puts its result in rax. Tracing and record/replay wrap this.
pub(crate) fn serve(p: &mut Process, nr: u64, args: &Args) -> Served {
    let row = table::row(nr);
    let res = loop {
        let res = match row {
            Some(table::Row { handler: Some(f), .. }) => f(p, args),
            Some(row) => {
                if let table::Support::Missing(why) = row.support {
                    warn_once(nr, row.name, why);
                }
                Err(row.refusal())
            }
            None => {
                warn_once(nr, "an unknown syscall", "Linux has no such number");
                Err(E::ENOSYS)
            }
        };
        if res == Err(crate::thread::E_WOULDBLOCK) {
            debug_assert!(row.is_some_and(|r| r.blocks), "syscall {nr} parked; its row says it never blocks");
            if matches!(p.cur().wait, crate::thread::Wait::Fd { .. } | crate::thread::Wait::Retry { .. }) {
                p.cpu.rewind_syscall(nr);
            }
            p.cur_mut().restartable = row.is_some_and(|r| r.restart == Restart::WithSaFlag);
            return Served::Parked;
        }
        let restart = row.map_or(Restart::WithSaFlag, |r| r.restart);
        if res != Err(E::EINTR) || restart == Restart::Never {
            break res;
        }
        // A host signal interrupted a blocking host call. If it means nothing to the
        // guest, carry on as Linux would; if a handler with SA_RESTART will run, make the
        // guest re-execute the syscall after the handler; otherwise report EINTR.
        p.collect_host_signals();
        if p.outcome.is_some() {
            break res;
        }
        match p.next_action() {
            None => continue,
            Some(act)
                if act.handler > crate::signal::SIG_IGN
                    && act.flags & crate::signal::SA_RESTART != 0
                    && restart == Restart::WithSaFlag =>
            {
                p.cpu.rewind_syscall(nr);
                return Served::Restarted;
            }
            Some(_) => break res,
        }
    };
    if log::log_enabled!(log::Level::Trace) {
        let from_vdso = p.vdso.is_some_and(|(a, b)| (a..b).contains(&p.cpu.rip));
        let kind = if from_vdso { "vdso call" } else { "syscall" };
        log::trace!("{kind} {}({:x?}) = {:?}", name(nr).unwrap_or("?"), args.0, res);
    }
    p.cpu.set_syscall_result(match res {
        Ok(v) => v,
        Err(e) => (-(e as i64)) as u64,
    });
    Served::Done(res)
}

/// An unimplemented syscall is worth one line under `-v` (the guest's own output stays
/// its own on a plain run).
fn warn_once(nr: u64, name: &str, why: &str) {
    use std::sync::Mutex;
    static SEEN: Mutex<Vec<u64>> = Mutex::new(Vec::new());
    let mut s = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if !s.contains(&nr) {
        s.push(nr);
        log::warn!("unimplemented syscall {nr} ({name}): returning ENOSYS; {why}");
    }
}

// ---- argument helpers shared by the subsystems ----

pub(crate) const PATH_MAX: usize = 4096;

/// Reads a NUL-terminated path from guest memory.
pub(crate) fn read_path(p: &mut Process, addr: u64) -> Result<Vec<u8>, Errno> {
    if addr == 0 {
        return Err(E::EFAULT);
    }
    let s = p.cpu.mem.read_cstr(addr, PATH_MAX).map_err(|_| E::EFAULT)?;
    if s.len() >= PATH_MAX {
        return Err(E::ENAMETOOLONG);
    }
    Ok(s)
}

pub(crate) fn read_guest(p: &mut Process, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
    let mut b = vec![0u8; len];
    p.cpu.mem.read(addr, &mut b).map_err(|_| E::EFAULT)?;
    Ok(b)
}

pub(crate) fn write_guest(p: &mut Process, addr: u64, data: &[u8]) -> Result<(), Errno> {
    p.poke(addr, data).map_err(|_| E::EFAULT)?;
    p.note_write(addr, data);
    Ok(())
}

/// Reads a guest struct (`copy_from_user` of its whole size: EFAULT if any of it is not
/// readable).
pub(crate) fn read_struct<T: GuestStruct>(p: &mut Process, addr: u64) -> Result<T, Errno> {
    Ok(T::read(&read_guest(p, addr, T::SIZE)?))
}

/// Writes a guest struct, through `write_guest` like every syscall store.
pub(crate) fn write_struct<T: GuestStruct>(p: &mut Process, addr: u64, v: &T) -> Result<(), Errno> {
    write_guest(p, addr, &v.to_bytes())
}

/// Reads `n` guest structs laid out as a C array, in one read.
pub(crate) fn read_array<T: GuestStruct>(p: &mut Process, addr: u64, n: usize) -> Result<Vec<T>, Errno> {
    let b = read_guest(p, addr, n * T::SIZE)?;
    Ok(b.chunks_exact(T::SIZE).map(T::read).collect())
}

/// Writes guest structs as a C array, in one write.
pub(crate) fn write_array<T: GuestStruct>(p: &mut Process, addr: u64, v: &[T]) -> Result<(), Errno> {
    let mut b = vec![0u8; v.len() * T::SIZE];
    for (x, out) in v.iter().zip(b.chunks_exact_mut(T::SIZE)) {
        x.write(out);
    }
    write_guest(p, addr, &b)
}

/// The one reader of a `struct timespec` argument (sleeps, timeouts, timers): EFAULT if
/// unreadable, EINVAL unless non-negative and normalised.
pub(crate) fn read_timespec(p: &mut Process, addr: u64) -> Result<Timespec, Errno> {
    read_struct::<Timespec>(p, addr)?.checked()
}
