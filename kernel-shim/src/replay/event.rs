//! The records of a replay log and their encoding (see FORMAT.md for the layout).

use super::codec::{Dec, DecResult, Enc, Hash};

pub const MAGIC: &[u8; 8] = b"EMUREPLY";
pub const VERSION: u32 = 3;

/// The first record of every stream: who recorded it and what ran.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Header {
    pub emu_version: String,
    /// "0" for the first process, "0.1" for its first fork, ...
    pub stream: String,
    pub pid: i32,
    pub ppid: i32,
    /// The root stream names the program; children inherit it (and say so by leaving
    /// these empty).
    pub program: Vec<u8>,
    pub program_hash: Hash,
    pub argv: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
    pub cwd: Vec<u8>,
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Exited(i32),
    Signaled(i32),
}

/// A descriptor-table change made by a recorded syscall.
#[derive(Clone, Debug, PartialEq)]
pub enum FdChange {
    Closed(u32),
    /// A new open file description (replayed by a placeholder).
    New {
        fd: u32,
        flags: u32,
        cloexec: bool,
        path: Option<Vec<u8>>,
    },
    /// `fd` now refers to the description of `from` (as it was before the syscall).
    Dup {
        fd: u32,
        from: u32,
        cloexec: bool,
    },
}

/// A signal a recorded syscall made pending (SIGPIPE, or one from the host meanwhile).
pub use crate::signal::SigInfo as SigRec;

/// What an outside-world syscall did to the emulated process.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Effect {
    /// rax and rip after the syscall (a restarted or parked syscall rewinds rip).
    pub rax: u64,
    pub rip: u64,
    pub writes: Vec<(u64, Vec<u8>)>,
    pub fds: Vec<FdChange>,
    pub raised: Vec<SigRec>,
    /// Pending signals the syscall took (sigtimedwait).
    pub cleared: u64,
    /// The thread parked: 0 no, 1 on a descriptor, 2 sleeping, 3 retrying later.
    pub park: u8,
    /// A write to emu's stdout/stderr: its place (from 1) among all such writes of the
    /// process tree, so that replayed processes print in the recorded order. 0: none.
    pub ticket: u64,
    /// The guest working directory the syscall set (chdir, fchdir), if it changed it.
    pub cwd: Option<Vec<u8>>,
}

/// One syscall: where it was made (the divergence check) and, for outside-world
/// syscalls, what it did.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Sys {
    pub nr: u64,
    pub icount: u64,
    pub rip: u64,
    /// A hash of the general registers at entry.
    pub regs: u32,
    /// The arguments (rdi, rsi, rdx, r10, r8, r9), to say which differed.
    pub args: [u64; 6],
    pub effect: Option<Effect>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Header(Header),
    Syscall(Sys),
    /// Numbers the world gave outside a recorded syscall (time, tsc, ids, a
    /// child's pid).
    Values(Vec<u64>),
    /// Random bytes (AT_RANDOM).
    Bytes(Vec<u8>),
    /// The loader opened an ELF file: its contents' hash, or why it failed.
    Elf(Result<Hash, (u8, String)>),
    /// The loader read a file's first bytes (a `#!` line), or failed to.
    Head(Result<Vec<u8>, String>),
    /// A file-backed mapping's contents (hash), dev and inode, or the errno.
    Mapping(Result<(Hash, u64, u64), i32>),
    /// A periodic checkpoint: the instruction count, rip and register hash there.
    Check {
        icount: u64,
        rip: u64,
        regs: u32,
    },
    /// Signals from outside (the host, timers) made pending at this instruction count.
    Signal {
        icount: u64,
        raised: Vec<SigRec>,
    },
    /// The scheduler woke threads at this point: (thread index, rax, rip).
    Wakes {
        site: u8,
        changes: Vec<(u32, u64, u64)>,
    },
    End(End),
}

fn vecs(e: &mut Enc, v: &[Vec<u8>]) {
    e.uv(v.len() as u64);
    for s in v {
        e.bytes(s);
    }
}

fn sigs(e: &mut Enc, v: &[SigRec]) {
    e.uv(v.len() as u64);
    for r in v {
        e.iv(r.signo as i64).iv(r.code as i64).uv(r.addr).iv(r.pid as i64);
        e.uv(r.uid as u64).iv(r.status as i64).u8(r.value as u8);
    }
}

fn read_sigs(d: &mut Dec) -> DecResult<Vec<SigRec>> {
    let n = d.count()?;
    (0..n)
        .map(|_| {
            Ok(SigRec {
                signo: d.iv()? as i32,
                code: d.iv()? as i32,
                addr: d.uv()?,
                pid: d.iv()? as i32,
                uid: d.uv()? as u32,
                status: d.iv()? as i32,
                value: d.u8()? != 0,
            })
        })
        .collect()
}

fn read_vecs(d: &mut Dec) -> DecResult<Vec<Vec<u8>>> {
    let n = d.count()?;
    (0..n).map(|_| d.bytes().map(|b| b.to_vec())).collect()
}

impl Event {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Enc::default();
        match self {
            Event::Header(h) => {
                e.u8(b'H').bytes(h.emu_version.as_bytes()).bytes(h.stream.as_bytes());
                e.iv(h.pid as i64).iv(h.ppid as i64).bytes(&h.program).hash(&h.program_hash);
                vecs(&mut e, &h.argv);
                vecs(&mut e, &h.env);
                e.bytes(&h.cwd);
            }
            Event::Syscall(s) => {
                e.u8(b'S').uv(s.nr).uv(s.icount).uv(s.rip).uv(s.regs as u64);
                for a in s.args {
                    e.uv(a);
                }
                match &s.effect {
                    None => {
                        e.u8(0);
                    }
                    Some(x) => {
                        e.u8(1).uv(x.rax).uv(x.rip).u8(x.park).uv(x.cleared).uv(x.ticket);
                        e.uv(x.writes.len() as u64);
                        for (a, b) in &x.writes {
                            e.uv(*a).bytes(b);
                        }
                        e.uv(x.fds.len() as u64);
                        for c in &x.fds {
                            match c {
                                FdChange::Closed(fd) => e.u8(0).uv(*fd as u64),
                                FdChange::New { fd, flags, cloexec, path } => {
                                    e.u8(1).uv(*fd as u64).uv(*flags as u64).u8(*cloexec as u8);
                                    match path {
                                        Some(p) => e.u8(1).bytes(p),
                                        None => e.u8(0),
                                    }
                                }
                                FdChange::Dup { fd, from, cloexec } => {
                                    e.u8(2).uv(*fd as u64).uv(*from as u64).u8(*cloexec as u8)
                                }
                            };
                        }
                        sigs(&mut e, &x.raised);
                        match &x.cwd {
                            Some(c) => e.u8(1).bytes(c),
                            None => e.u8(0),
                        };
                    }
                }
            }
            Event::Values(v) => {
                e.u8(b'V').uv(v.len() as u64);
                for x in v {
                    e.uv(*x);
                }
            }
            Event::Bytes(b) => {
                e.u8(b'B').bytes(b);
            }
            Event::Elf(r) => {
                e.u8(b'E');
                match r {
                    Ok(h) => e.u8(0).hash(h),
                    Err((k, m)) => e.u8(1).u8(*k).bytes(m.as_bytes()),
                };
            }
            Event::Head(r) => {
                e.u8(b'h');
                match r {
                    Ok(b) => e.u8(0).bytes(b),
                    Err(m) => e.u8(1).bytes(m.as_bytes()),
                };
            }
            Event::Mapping(r) => {
                e.u8(b'M');
                match r {
                    Ok((h, dev, ino)) => e.u8(0).hash(h).uv(*dev).uv(*ino),
                    Err(errno) => e.u8(1).iv(*errno as i64),
                };
            }
            Event::Check { icount, rip, regs } => {
                e.u8(b'C').uv(*icount).uv(*rip).uv(*regs as u64);
            }
            Event::Signal { icount, raised } => {
                e.u8(b'G').uv(*icount);
                sigs(&mut e, raised);
            }
            Event::Wakes { site, changes } => {
                e.u8(b'W').u8(*site).uv(changes.len() as u64);
                for (i, rax, rip) in changes {
                    e.uv(*i as u64).uv(*rax).uv(*rip);
                }
            }
            Event::End(end) => {
                e.u8(b'X');
                match end {
                    End::Exited(c) => e.u8(0).iv(*c as i64),
                    End::Signaled(s) => e.u8(1).iv(*s as i64),
                };
            }
        }
        e.0
    }

    pub fn decode(b: &[u8]) -> DecResult<Event> {
        let mut d = Dec::new(b);
        let i32v = |d: &mut Dec| d.iv().map(|v| v as i32);
        let str = |d: &mut Dec| d.bytes().map(|b| String::from_utf8_lossy(b).into_owned());
        let ev = match d.u8()? {
            b'H' => Event::Header(Header {
                emu_version: str(&mut d)?,
                stream: str(&mut d)?,
                pid: i32v(&mut d)?,
                ppid: i32v(&mut d)?,
                program: d.bytes()?.to_vec(),
                program_hash: d.hash()?,
                argv: read_vecs(&mut d)?,
                env: read_vecs(&mut d)?,
                cwd: d.bytes()?.to_vec(),
            }),
            b'S' => {
                let mut s = Sys {
                    nr: d.uv()?,
                    icount: d.uv()?,
                    rip: d.uv()?,
                    regs: d.uv()? as u32,
                    args: [d.uv()?, d.uv()?, d.uv()?, d.uv()?, d.uv()?, d.uv()?],
                    effect: None,
                };
                if d.u8()? == 1 {
                    let mut x = Effect {
                        rax: d.uv()?,
                        rip: d.uv()?,
                        park: d.u8()?,
                        cleared: d.uv()?,
                        ticket: d.uv()?,
                        ..Default::default()
                    };
                    for _ in 0..d.count()? {
                        x.writes.push((d.uv()?, d.bytes()?.to_vec()));
                    }
                    for _ in 0..d.count()? {
                        x.fds.push(match d.u8()? {
                            0 => FdChange::Closed(d.uv()? as u32),
                            1 => FdChange::New {
                                fd: d.uv()? as u32,
                                flags: d.uv()? as u32,
                                cloexec: d.u8()? != 0,
                                path: if d.u8()? != 0 { Some(d.bytes()?.to_vec()) } else { None },
                            },
                            2 => FdChange::Dup {
                                fd: d.uv()? as u32,
                                from: d.uv()? as u32,
                                cloexec: d.u8()? != 0,
                            },
                            _ => return Err("bad descriptor change"),
                        });
                    }
                    x.raised = read_sigs(&mut d)?;
                    x.cwd = if d.u8()? != 0 { Some(d.bytes()?.to_vec()) } else { None };
                    s.effect = Some(x);
                }
                Event::Syscall(s)
            }
            b'V' => {
                let n = d.count()?;
                Event::Values((0..n).map(|_| d.uv()).collect::<DecResult<_>>()?)
            }
            b'B' => Event::Bytes(d.bytes()?.to_vec()),
            b'E' => Event::Elf(match d.u8()? {
                0 => Ok(d.hash()?),
                _ => Err((d.u8()?, str(&mut d)?)),
            }),
            b'h' => Event::Head(match d.u8()? {
                0 => Ok(d.bytes()?.to_vec()),
                _ => Err(str(&mut d)?),
            }),
            b'M' => Event::Mapping(match d.u8()? {
                0 => Ok((d.hash()?, d.uv()?, d.uv()?)),
                _ => Err(i32v(&mut d)?),
            }),
            b'C' => Event::Check { icount: d.uv()?, rip: d.uv()?, regs: d.uv()? as u32 },
            b'G' => Event::Signal { icount: d.uv()?, raised: read_sigs(&mut d)? },
            b'W' => {
                let site = d.u8()?;
                let n = d.count()?;
                let changes =
                    (0..n).map(|_| Ok((d.uv()? as u32, d.uv()?, d.uv()?))).collect::<DecResult<_>>()?;
                Event::Wakes { site, changes }
            }
            b'X' => Event::End(match d.u8()? {
                0 => End::Exited(i32v(&mut d)?),
                _ => End::Signaled(i32v(&mut d)?),
            }),
            _ => return Err("unknown record type"),
        };
        d.done()?;
        Ok(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip() {
        let evs = vec![
            Event::Header(Header {
                stream: "0.1".into(),
                pid: 7,
                argv: vec![b"a".to_vec()],
                ..Default::default()
            }),
            Event::Syscall(Sys {
                nr: 0,
                icount: 99,
                rip: 0x401000,
                regs: 5,
                args: [1, u64::MAX, 0, 3, 4, 5],
                effect: Some(Effect {
                    rax: 3,
                    rip: 0x401002,
                    writes: vec![(0x1000, b"abc".to_vec())],
                    fds: vec![
                        FdChange::Closed(4),
                        FdChange::New { fd: 3, flags: 0, cloexec: true, path: Some(b"/x".to_vec()) },
                        FdChange::Dup { fd: 5, from: 1, cloexec: false },
                    ],
                    raised: vec![SigRec { signo: 13, ..Default::default() }],
                    cleared: 0,
                    park: 1,
                    ticket: 7,
                    cwd: Some(b"/tmp".to_vec()),
                }),
            }),
            Event::Values(vec![1, u64::MAX]),
            Event::Elf(Err((2, "nope".into()))),
            Event::Mapping(Ok((Hash::of(b"x"), 1, 2))),
            Event::Signal {
                icount: 5,
                raised: vec![SigRec { signo: 17, pid: 3, code: 1, ..Default::default() }],
            },
            Event::Check { icount: 1 << 40, rip: 0x401000, regs: 0xdead_beef },
            Event::Wakes { site: 1, changes: vec![(1, 0, 0x400000)] },
            Event::End(End::Signaled(9)),
        ];
        for ev in evs {
            assert_eq!(Event::decode(&ev.encode()), Ok(ev));
        }
        assert!(Event::decode(b"Q").is_err());
        assert!(Event::decode(b"V\x05\x01").is_err());
    }
}
