//! From a syscall argument's kind (`sys/kinds.rs`) and raw value to strace's notation: the
//! one place the syscall trace reads guest memory. Each kind says where its bytes are and
//! how many (a struct at the argument, a buffer whose length another argument or the
//! result gives, a string up to its NUL); this file reads them and hands them to the pure
//! formatters in `fmt/`. A read that faults shows the address instead, as strace does.

use super::fmt::{self, events, file, futex, meta, mm, net, poll, process, ptr, signal, time};
use crate::abi::frame::Ucontext;
use crate::abi::io::{Iovec, Pollfd};
use crate::abi::time::Timeval;
use crate::abi::GuestStruct;
use crate::sys::kinds::{Arg, Arg::*, Ret};
use crate::sys::table::{self, nr};
use crate::sys::{SysResult, PATH_MAX};
use crate::Process;

/// `len` bytes at `addr`, if the guest could read them all.
fn bytes(p: &mut Process, addr: u64, len: usize) -> Option<Vec<u8>> {
    let mut b = vec![0u8; len];
    p.cpu.mem.read(addr, &mut b).ok()?;
    Some(b)
}

/// A guest struct (or integer) at `addr`, in the layout the kernel side uses.
fn read<T: GuestStruct>(p: &mut Process, addr: u64) -> Option<T> {
    bytes(p, addr, T::SIZE).map(|b| T::read(&b))
}

/// `n` guest structs laid out as a C array.
fn read_array<T: GuestStruct>(p: &mut Process, addr: u64, n: usize) -> Option<Vec<T>> {
    bytes(p, addr, n * T::SIZE).map(|b| b.chunks_exact(T::SIZE).map(T::read).collect())
}

/// The struct at `addr` as `f` shows it, or the address when it cannot be read.
fn shown<T: GuestStruct>(p: &mut Process, addr: u64, f: impl FnOnce(&T) -> String) -> String {
    read(p, addr).map_or_else(|| ptr(addr), |v| f(&v))
}

/// As [`shown`], and `NULL` for a null pointer (an optional struct left out).
fn shown_or_null<T: GuestStruct>(p: &mut Process, addr: u64, f: impl FnOnce(&T) -> String) -> String {
    if addr == 0 {
        "NULL".into()
    } else {
        shown(p, addr, f)
    }
}

/// `len` bytes at `addr` (a buffer whose size the call gives) as `f` shows them, or the
/// address when they cannot be read.
fn shown_bytes(p: &mut Process, addr: u64, len: usize, f: impl FnOnce(&[u8]) -> String) -> String {
    bytes(p, addr, len).map_or_else(|| ptr(addr), |b| f(&b))
}

/// A NUL-terminated string at `addr`, cut at `limit` bytes.
fn cstr(p: &mut Process, addr: u64, limit: usize) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match p.cpu.mem.read_cstr(addr, limit + 1) {
        Ok(s) => fmt::cstring(&s, limit),
        Err(_) => ptr(addr),
    }
}

/// A buffer of `len` bytes at `addr`, cut at the string limit.
fn buf(strlen: usize, p: &mut Process, addr: u64, len: u64, hex: bool) -> String {
    match bytes(p, addr, len.min(strlen as u64) as usize) {
        Some(b) => fmt::buffer(&b, len, hex),
        None => ptr(addr),
    }
}

fn sigset(p: &mut Process, addr: u64) -> String {
    shown(p, addr, |&m: &u64| signal::sigset(m))
}

fn timespec(p: &mut Process, addr: u64) -> String {
    shown_or_null(p, addr, time::timespec)
}

/// A pollfd array of `n` entries (at most [`poll::POLLFDS_SHOWN`]): the events asked for,
/// or with `revents` those that came.
fn pollfds(p: &mut Process, addr: u64, n: u64, revents: bool) -> String {
    let n = n.min(poll::POLLFDS_SHOWN) as usize;
    read_array::<Pollfd>(p, addr, n).map_or_else(|| ptr(addr), |fds| poll::pollfds(&fds, revents))
}

/// An iovec array of `n` entries; with `total` (the result of a read), each buffer shows
/// only the bytes the call filled.
fn iovec(strlen: usize, p: &mut Process, addr: u64, n: u64, total: Option<u64>) -> String {
    const SHOWN: u64 = 16;
    let Some(iov) = read_array::<Iovec>(p, addr, n.min(SHOWN) as usize) else { return ptr(addr) };
    let mut left = total.unwrap_or(u64::MAX);
    let mut entries = Vec::new();
    for v in iov {
        let show = v.len.min(left);
        left -= show;
        entries.push((buf(strlen, p, v.base, show, false), v.len));
    }
    file::iovec(&entries, n > SHOWN)
}

/// An iovec array as its buffers' addresses and lengths (at most 16).
fn iovec_bases(p: &mut Process, addr: u64, n: u64) -> String {
    const SHOWN: u64 = 16;
    let Some(iov) = read_array::<Iovec>(p, addr, n.min(SHOWN) as usize) else { return ptr(addr) };
    let entries: Vec<(String, u64)> = iov.iter().map(|v| (ptr(v.base), v.len)).collect();
    file::iovec(&entries, n > SHOWN)
}

/// A `struct msghdr`; with `total` (a receive's result), its buffers show only what came.
fn msghdr(strlen: usize, p: &mut Process, addr: u64, total: Option<u64>) -> String {
    let Some(h) = read::<crate::abi::net::Msghdr>(p, addr) else { return ptr(addr) };
    let name = if h.name == 0 {
        "NULL".into()
    } else {
        shown_bytes(p, h.name, (h.namelen as usize).min(net::SOCKADDR_MAX), net::sockaddr)
    };
    let iov = iovec(strlen, p, h.iov, h.iovlen, total);
    let control = if h.control == 0 || h.controllen == 0 {
        "NULL".into()
    } else {
        shown_bytes(p, h.control, h.controllen.min(4096) as usize, net::cmsgs)
    };
    net::msghdr(&name, h.namelen, &iov, h.iovlen, &control, h.controllen, h.flags)
}

/// An array of `n` `struct mmsghdr` (at most 16): `[{msg_hdr={...}, msg_len=5}, ...]`;
/// after a receive, the buffers show what came.
fn mmsghdrs(strlen: usize, p: &mut Process, addr: u64, n: u64, received: bool) -> String {
    use crate::abi::socket::Mmsghdr;
    let mut items = Vec::new();
    for i in 0..n.min(16) {
        let at = addr + i * Mmsghdr::SIZE as u64;
        let Some(m) = read::<Mmsghdr>(p, at) else { return ptr(addr) };
        let hdr = msghdr(strlen, p, at, received.then_some(m.len as u64));
        items.push(format!("{{msg_hdr={hdr}, msg_len={}}}", m.len));
    }
    format!("[{}]", items.join(", "))
}

/// A socket option value of `len` bytes at `v` (get/setsockopt: level and name in `a`).
fn sockopt_val(p: &mut Process, a: &[u64; 6], v: u64, len: Option<u32>) -> String {
    let Some(len) = len else { return ptr(v) };
    bytes(p, v, (len as usize).min(64))
        .and_then(|b| net::sockopt_val(a[1], a[2], &b))
        .unwrap_or_else(|| ptr(v))
}

/// A NULL-terminated array of string pointers: execve's argv, or envp (only counted).
fn strings(strlen: usize, p: &mut Process, addr: u64, env: bool) -> String {
    const MAX: usize = 4096;
    if addr == 0 {
        return "NULL".into();
    }
    let mut items = Vec::new();
    let mut a = addr;
    loop {
        let Some(sp) = read::<u64>(p, a) else { return ptr(addr) };
        if sp == 0 {
            break;
        }
        items.push(sp);
        a += 8;
        if items.len() > MAX {
            break;
        }
    }
    if env {
        return process::envp(addr, items.len());
    }
    let shown: Vec<String> = items.iter().map(|&sp| cstr(p, sp, strlen)).collect();
    process::argv(&shown)
}

/// The path an execve runs, read at entry (the call replaces the memory it is in).
pub(super) fn exec_path(p: &mut Process, addr: u64) -> Option<Vec<u8>> {
    p.cpu.mem.read_cstr(addr, PATH_MAX).ok()
}

/// The arguments of the execve that started the program, read from its initial stack:
/// the path, argv and envp.
pub(super) fn first_exec(strlen: usize, p: &mut Process) -> Vec<String> {
    let sp = p.cpu.reg(emu_cpu::Reg::Rsp);
    let argc = read::<u64>(p, sp).unwrap_or(0);
    let (argv, envp) = (sp + 8, sp + 16 + 8 * argc);
    let path = fmt::quote(&p.exe.clone(), false, false);
    vec![path, strings(strlen, p, argv, false), strings(strlen, p, envp, true)]
}

/// The value a socket address length pointer points to (read at entry, to show
/// `[in => out]` after).
pub(super) fn sock_len_in(p: &mut Process, addr: u64) -> Option<u32> {
    read(p, addr)
}

/// A socket address length after the call: `[in => out]`, `[n]`.
pub(super) fn sock_len(p: &mut Process, addr: u64, len_in: Option<u32>, res: Option<&SysResult>) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    let out = match res {
        Some(Ok(_)) => read(p, addr),
        _ => None,
    };
    net::sock_len(addr, len_in, out)
}

/// Formats argument `i` (`a[i]`) as `arg` says. Outputs get `res` (the call's result);
/// `None` means the argument is not shown at all, an empty string that it is shown only
/// for some flags or commands and not for these.
pub(super) fn arg(
    strlen: usize,
    p: &mut Process,
    arg: Arg,
    a: &[u64; 6],
    i: usize,
    res: Option<&SysResult>,
) -> Option<String> {
    let v = a[i];
    let ok = match res {
        Some(Ok(r)) => Some(*r),
        _ => None,
    };
    // The argument at index `k` (a length, count or flags another kind depends on).
    let at = |k: u8| a[k as usize];
    Some(match arg {
        Int => (v as i32).to_string(),
        Long => (v as i64).to_string(),
        Uint => v.to_string(),
        Ptr => ptr(v),
        Hex => fmt::hex0(v),
        Mode => file::mode(v),
        OpenMode(k) if file::open_creates(at(k)) => file::mode(v),
        OpenMode(_) => String::new(),
        Fd => (v as i32).to_string(),
        DirFd if v as i32 == crate::abi::AT_FDCWD => "AT_FDCWD".into(),
        DirFd => (v as i32).to_string(),
        Path => cstr(p, v, PATH_MAX),
        Buf(k) => buf(strlen, p, v, at(k), false),
        OutBuf | OutHex => match ok {
            Some(n) => buf(strlen, p, v, n, arg == OutHex),
            None => ptr(v),
        },
        OutStr => match ok {
            Some(_) => cstr(p, v, PATH_MAX),
            None => ptr(v),
        },
        OpenFlags => file::open_flags(v),
        FdFlags => file::fd_flags(v),
        Prot => mm::prot(v),
        MmapFlags => mm::mmap_flags(v),
        MremapFlags => mm::mremap_flags(v),
        AtFlags => file::at_flags(v),
        StatxFlags => file::statx_flags(v),
        StatxMask => file::statx_mask(v),
        Access => file::access(v),
        Whence => file::whence(v),
        ClockId => time::clock_id(v),
        Signal => signal::signal(v),
        SigSet | OutSigSet if v == 0 => "NULL".into(),
        SigSet => sigset(p, v),
        OutSigSet => match ok {
            Some(_) => sigset(p, v),
            None => ptr(v),
        },
        SigHow => signal::how(v),
        SigAction => shown_or_null(p, v, signal::sigaction),
        SigreturnMask => {
            // rsp points at the frame's ucontext when the restorer makes the call; its
            // layout is the one the signal frame writer uses.
            let uc = p.cpu.reg(emu_cpu::Reg::Rsp);
            read(p, uc + Ucontext::SIGMASK_OFFSET as u64).map_or_else(|| ptr(uc), signal::sigreturn)
        }
        OutSigAction => match ok {
            Some(_) => shown_or_null(p, v, signal::sigaction),
            None => ptr(v),
        },
        OutStat | OutStatx | OutTimespec | OutFds | OutWaitStatus | OutUtsname | OutRlimit if v == 0 => {
            "NULL".into()
        }
        OutStat | OutStatx | OutFds | OutUtsname | OutRlimit | OutTimespec | OutWaitStatus
            if ok.is_none() =>
        {
            ptr(v)
        }
        OutStat => shown(p, v, file::stat),
        OutStatx => shown(p, v, file::statx),
        Timespec | OutTimespec => timespec(p, v),
        ItimerWhich => time::itimer_which(v),
        Itimerval => shown_or_null(p, v, time::itimerval),
        OutItimerval => match ok {
            Some(_) => shown_or_null(p, v, time::itimerval),
            None => ptr(v),
        },
        Iovec(k) => iovec(strlen, p, v, at(k), None),
        OutIovec(k) => match ok {
            Some(n) => iovec(strlen, p, v, at(k), Some(n)),
            // Nothing was read: the buffers' addresses, as strace shows them.
            None => iovec_bases(p, v, at(k)),
        },
        PollFds(k) => pollfds(p, v, at(k), false),
        OutFds => shown(p, v, |fds: &[i32; 2]| format!("[{}, {}]", fds[0], fds[1])),
        OutWaitStatus => match ok {
            Some(pid) if pid != 0 => shown(p, v, |&s: &i32| process::wait_status(s)),
            _ => ptr(v),
        },
        OutDirents => match ok {
            Some(n) => shown_bytes(p, v, n as usize, |b| file::dirents(v, b)),
            None => ptr(v),
        },
        OutUtsname => shown(p, v, process::utsname),
        Argv => strings(strlen, p, v, false),
        Envp => strings(strlen, p, v, true),
        Clone => process::clone(a),
        Fcntl if meta::is_lock_cmd(a[1]) => {
            // F_GETLK's struct is the answer (shown once it is there); the others' the
            // request.
            let get = meta::is_get_lock(a[1]);
            let lock = if get && ok.is_none() { ptr(a[2]) } else { shown(p, a[2], |f| meta::flock(f, get)) };
            meta::fcntl_lock(a[1], &lock)
        }
        Fcntl => file::fcntl(a[1], a[2]),
        Futex => {
            let timeout = if futex::takes_timeout(a[1]) { timespec(p, a[3]) } else { String::new() };
            futex::args(a, &timeout)
        }
        ArchPrctl => process::arch_prctl(v),
        Prctl => {
            let name = match a[0] {
                process::PR_SET_NAME => Some(cstr(p, a[1], process::TASK_COMM_LEN)),
                process::PR_GET_NAME if ok.is_some() => Some(cstr(p, a[1], process::TASK_COMM_LEN)),
                _ => None,
            };
            process::prctl(a, name.as_deref())
        }
        Ioctl => file::ioctl_request(v),
        FdSet(_) if v == 0 => "NULL".into(),
        FdSet(k) => {
            let nfds = (at(k) as i32).clamp(0, poll::FD_SETSIZE as i32) as usize;
            shown_bytes(p, v, poll::fd_set_len(nfds), |b| poll::fd_set(b, nfds))
        }
        Timeval | PselectSig | SockAddr(_) | StackT | OutStackT if v == 0 => "NULL".into(),
        Timeval => shown(p, v, time::timeval),
        // A pointer to the mask and the mask's size.
        PselectSig => match read::<[u64; 2]>(p, v) {
            Some([set, size]) => {
                let mask = if set == 0 { "NULL".into() } else { sigset(p, set) };
                poll::pselect_sig(&mask, size)
            }
            None => ptr(v),
        },
        SockAddr(k) => {
            let len = (at(k) as usize).min(net::SOCKADDR_MAX);
            shown_bytes(p, v, len, net::sockaddr)
        }
        OutSockAddr(_) if v == 0 => "NULL".into(),
        OutSockAddr(k) => match (ok, read::<u32>(p, at(k))) {
            (Some(_), Some(n)) if n > 0 => {
                shown_bytes(p, v, (n as usize).min(net::SOCKADDR_MAX), net::sockaddr)
            }
            _ => ptr(v),
        },
        OutSockLen => ptr(v),
        SockFamily => net::family(v),
        SockType => net::sock_type(v),
        SockProto(k) => net::protocol(at(k), v),
        MsgFlags => net::msg_flags(v),
        Msghdr => msghdr(strlen, p, v, None),
        OutMsghdr => match ok {
            Some(n) => msghdr(strlen, p, v, Some(n)),
            None => ptr(v),
        },
        OutMmsghdrs(_) => match ok {
            Some(n) => mmsghdrs(strlen, p, v, n, true),
            None => ptr(v),
        },
        ShutdownHow => net::shutdown_how(v),
        SockLevel => net::sock_level(v),
        SockOptName(k) => net::sockopt_name(at(k), v),
        SockOptVal(k) => sockopt_val(p, a, v, Some(at(k) as u32)),
        OutSockOptVal(k) => match ok {
            Some(_) => {
                let n = read::<u32>(p, at(k));
                sockopt_val(p, a, v, n)
            }
            None => ptr(v),
        },
        SockFlags => net::sock_flags(v),
        OutBufMax(k) => match ok {
            Some(n) => buf(strlen, p, v, n.min(at(k)), false),
            None => ptr(v),
        },
        StackT => shown(p, v, signal::stack_t),
        OutStackT => match ok {
            Some(_) => shown(p, v, signal::stack_t),
            None => ptr(v),
        },
        IoctlData => {
            use file::IoctlArg as I;
            match file::ioctl_arg(a[1]) {
                // What the call fills is shown only when it succeeded.
                I::Termios { out: true } | I::Winsize { out: true } | I::IntPtr { out: true }
                    if ok.is_none() =>
                {
                    ptr(v)
                }
                I::Termios { .. } | I::Winsize { .. } | I::IntPtr { .. } if v == 0 => "NULL".into(),
                I::Termios { .. } => shown(p, v, file::termios),
                I::Winsize { .. } => shown(p, v, file::winsize),
                I::IntPtr { .. } => shown(p, v, |n: &i32| format!("[{n}]")),
                I::OpenFlags => file::open_flags(v),
                I::Queue => file::flush_queue(v),
                I::Plain => ptr(v),
            }
        }
        Resource => process::resource(v),
        OutRlimit | Rlimit => shown_or_null(p, v, process::rlimit),
        Madvise => mm::madvise(v),
        GrndFlags => file::grnd_flags(v),
        RwfFlags => file::rwf_flags(v),
        Hidden => String::new(),
        WaitOptions => process::wait_options(v),
        Str => cstr(p, v, strlen),
        XattrFlags => meta::xattr_flags(v),
        XattrValue(k) if at(k) > crate::abi::meta::XATTR_SIZE_MAX as u64 => ptr(v),
        XattrValue(k) => buf(strlen, p, v, at(k), false),
        Fadvice => meta::fadvice(v),
        FlockOp => meta::flock_op(v),
        NodeMode => meta::node_mode(v),
        NodeDev(k) => meta::node_dev(at(k), v),
        UtimeTimes => shown_or_null(p, v, meta::utime_times),
        Timevals => shown_or_null(p, v, meta::timevals),
        Utimbuf => shown_or_null(p, v, meta::utimbuf),
        FallocMode => meta::falloc_mode(v),
        SyncRangeFlags => meta::sync_range_flags(v),
        Off | OffInOut => shown_or_null(p, v, |&o: &i64| meta::offset(o)),
        SpliceFlags => meta::splice_flags(v),
        TfdFlags => events::tfd_flags(v),
        TfdSetFlags => events::tfd_set_flags(v),
        Itimerspec => shown_or_null(p, v, events::itimerspec),
        OutItimerspec => match ok {
            Some(_) => shown_or_null(p, v, events::itimerspec),
            None => ptr(v),
        },
        SfdFlags => events::sfd_flags(v),
        InotifyFlags => events::inotify_flags(v),
        InotifyMask => events::inotify_mask(v),
        EfdFlags => events::efd_flags(v),
        SizedSigSet(k) if v != 0 && at(k) != 8 => ptr(v),
        SizedSigSet(_) if v == 0 => "NULL".into(),
        SizedSigSet(_) => sigset(p, v),
        EpollOp => events::epoll_op(v),
        EpollEvent => shown_or_null(p, v, events::epoll_event),
        OutEpollEvents => match ok {
            Some(n) => read_array(p, v, n as usize).map_or_else(|| ptr(v), |e| events::epoll_events(&e)),
            None => ptr(v),
        },
    })
}

/// select/pselect6's result details: the ready sets and the time left, or `Timeout`.
fn select_result(p: &mut Process, nr: u64, a: &[u64; 6], ready: u64) -> String {
    if ready == 0 {
        return poll::select_result(0, &[], None);
    }
    let nfds = (a[0] as i32).clamp(0, poll::FD_SETSIZE as i32) as usize;
    let mut sets = Vec::new();
    for (k, name) in [(1, "in"), (2, "out"), (3, "except")] {
        if a[k] == 0 {
            continue;
        }
        if let Some(b) = bytes(p, a[k], poll::fd_set_len(nfds)) {
            sets.push((name, poll::fd_set(&b, nfds)));
        }
    }
    let left = match a[4] {
        0 => None,
        // select's timeout is a timeval, pselect6's a timespec.
        t if nr == nr::SELECT => read(p, t).map(|tv: Timeval| time::timeval(&tv)),
        t => Some(timespec(p, t)),
    };
    poll::select_result(ready, &sets, left)
}

/// The result as shown after ` = `, and the errno's name when the call failed.
pub(super) fn ret(
    p: &mut Process,
    nr: u64,
    a: &[u64; 6],
    fmts: &[Arg],
    res: Option<&SysResult>,
) -> (String, Option<&'static str>) {
    let Some(res) = res else { return ("?".into(), None) };
    match res {
        Ok(v) => {
            let v = *v;
            let mut s = match table::row(nr).map_or(Ret::Int, |r| r.ret) {
                Ret::Addr => format!("{v:#x}"),
                Ret::Int => (v as i64).to_string(),
                Ret::Fcntl => file::fcntl_result(a[1], v),
                Ret::Select => format!("{} ({})", v as i64, select_result(p, nr, a, v)),
            };
            // poll and ppoll: the descriptors that are ready, with what they are ready for.
            let polled = fmts.iter().enumerate().find_map(|(k, f)| match f {
                PollFds(n) => Some((k, *n)),
                _ => None,
            });
            if let Some((k, count)) = polled {
                if v > 0 {
                    s.push_str(&format!(" ({})", pollfds(p, a[k], a[count as usize], true)));
                } else {
                    s.push_str(" (Timeout)");
                }
            }
            (s, None)
        }
        Err(e) => fmt::error(*e),
    }
}
