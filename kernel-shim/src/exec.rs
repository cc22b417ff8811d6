//! Building a fresh process image from a program path, as execve does: `#!` scripts
//! (with their interpreter argument), the ELF program, its PT_INTERP interpreter resolved
//! through the sysroot, the vDSO and the initial stack. Used for the first program and
//! for every execve the guest makes.

use crate::abi::errno as E;
use crate::host;
use crate::host::Errno;
use crate::path::{bytes_to_path, join, Sysroot};
use crate::world::World;
use emu_cpu::cpuid::{ebx7, CpuidModel};
use emu_cpu::AddressSpace;
use emu_loader::{auxv, ElfFile, LoadError, LoadRequest};

/// A loaded program, ready to become the process's address space and first thread.
pub(crate) struct Image {
    pub mem: AddressSpace,
    pub entry: u64,
    pub sp: u64,
    pub brk: u64,
    pub auxv: Vec<(u64, u64)>,
    pub argv_range: (u64, u64),
    pub env_range: (u64, u64),
    pub vdso: Option<(u64, u64)>,
    /// Absolute guest path of the ELF file that runs (/proc/self/exe).
    pub exe: Vec<u8>,
}

/// Nested `#!` interpreters allowed (Linux allows 4 levels).
const MAX_SCRIPT_DEPTH: usize = 4;

/// Splits a `#!` line into interpreter and optional single argument, as Linux does.
fn parse_shebang(head: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let line = head.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    let trim = |s: &[u8]| -> Vec<u8> {
        let a = s.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(s.len());
        let z = s.iter().rposition(|&b| b != b' ' && b != b'\t').map(|i| i + 1).unwrap_or(a);
        s[a..z.max(a)].to_vec()
    };
    let line = trim(line);
    if line.is_empty() {
        return None;
    }
    match line.iter().position(|&b| b == b' ' || b == b'\t') {
        Some(i) => {
            let arg = trim(&line[i..]);
            Some((line[..i].to_vec(), (!arg.is_empty()).then_some(arg)))
        }
        None => Some((line, None)),
    }
}

pub(crate) fn load_program(
    world: &dyn World,
    sysroot: &Sysroot,
    cwd: &[u8],
    path: &[u8],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<Image, LoadError> {
    let mut path = path.to_vec();
    let mut argv = argv;
    let execfn = path.clone();
    for _ in 0..=MAX_SCRIPT_DEPTH {
        let guest_abs = join(cwd, &path);
        let host_path = sysroot.host_path(&guest_abs);
        match world.open_elf(&bytes_to_path(&host_path)) {
            Err(LoadError::NotElf(p)) => {
                let head =
                    world.read_head(&bytes_to_path(&host_path)).map_err(|e| LoadError::Io(p.clone(), e))?;
                let Some((interp, arg)) = parse_shebang(&head) else { return Err(LoadError::NotElf(p)) };
                let mut nargv = vec![interp.clone()];
                nargv.extend(arg);
                nargv.push(path.clone());
                nargv.extend(argv.into_iter().skip(1));
                argv = nargv;
                path = interp;
            }
            Err(e) => return Err(e),
            Ok(exe) => return load_elf(world, sysroot, exe, guest_abs, &execfn, argv, envp),
        }
    }
    Err(LoadError::Unsupported(bytes_to_path(&execfn), "too many levels of #! interpreters".into()))
}

fn load_elf(
    world: &dyn World,
    sysroot: &Sysroot,
    exe: ElfFile,
    guest_abs: Vec<u8>,
    execfn: &[u8],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<Image, LoadError> {
    let interp = match &exe.interp {
        Some(ip) => {
            let hp = sysroot.host_path(ip.as_bytes());
            match world.open_elf(&bytes_to_path(&hp)) {
                Ok(f) => Some(f),
                Err(LoadError::NotFound(_)) => {
                    // Name the sysroot location when there is one: that is where it was sought
                    // first (the host path was only the fallback).
                    let tried = match &sysroot.root {
                        Some(r) => bytes_to_path(&[r.as_os_str().as_encoded_bytes(), ip.as_bytes()].concat()),
                        None => bytes_to_path(&hp),
                    };
                    return Err(LoadError::InterpreterNotFound { program: exe.path.clone(), tried });
                }
                Err(e) => {
                    return Err(LoadError::BadInterpreter { program: exe.path.clone(), cause: Box::new(e) })
                }
            }
        }
        None => None,
    };
    let mut mem = AddressSpace::new();
    let mut random = [0u8; 16];
    world.random_bytes(&mut random);
    let ids = world.ids();
    let cpu = CpuidModel::default();
    // AT_MINSIGSTKSZ: with XSAVE, a frame's FP area is the XSAVE image of every XCR0
    // component (computed here: `exec` stays out of the process/signal/thread core).
    let xcr0 = cpu.xcr0();
    let xstate = if xcr0 == 0 { 0 } else { CpuidModel::xsave_size(xcr0) as u64 };
    let req = LoadRequest {
        exe: &exe,
        interp: interp.as_ref(),
        execfn,
        argv: &argv,
        envp: &envp,
        random,
        hwcap: cpu.edx1 as u64,
        hwcap2: if cpu.ebx7 & ebx7::FSGSBASE != 0 { auxv::HWCAP2_FSGSBASE } else { 0 },
        minsigstksz: crate::abi::frame::max_frame_size(xstate),
        vdso: true,
        ids: [ids[0] as u64, ids[1] as u64, ids[2] as u64, ids[3] as u64],
    };
    let l = emu_loader::load(&mut mem, &req)?;
    log::debug!(
        "loaded {} at bias {:#x}, entry {:#x}, sp {:#x}, brk {:#x}",
        String::from_utf8_lossy(&guest_abs),
        l.main.bias,
        l.entry,
        l.sp,
        l.brk
    );
    Ok(Image {
        mem,
        entry: l.entry,
        sp: l.sp,
        brk: l.brk,
        auxv: l.auxv,
        argv_range: (l.stack.argv_start, l.stack.argv_end),
        env_range: (l.stack.env_start, l.stack.env_end),
        vdso: l.vdso,
        exe: guest_abs,
    })
}

/// The errno execve returns for a load failure.
pub(crate) fn load_errno(e: &LoadError) -> Errno {
    match e {
        LoadError::NotFound(_) | LoadError::InterpreterNotFound { .. } => E::ENOENT,
        LoadError::IsDirectory(_) | LoadError::NotExecutable(_) => E::EACCES,
        LoadError::Io(_, err) => err.raw_os_error().map(host::errno_from_host).unwrap_or(E::EIO),
        LoadError::NotElf(_) | LoadError::Unsupported(..) | LoadError::Corrupt(..) => E::ENOEXEC,
        LoadError::BadInterpreter { cause, .. } => match **cause {
            LoadError::NotFound(_) => E::ENOENT,
            _ => E::ELOOP,
        },
        LoadError::NoMemory(..) => E::ENOMEM,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_shebang;

    #[test]
    fn shebang_lines() {
        assert_eq!(parse_shebang(b"#!/bin/sh\necho"), Some((b"/bin/sh".to_vec(), None)));
        assert_eq!(
            parse_shebang(b"#! /usr/bin/env  python3 \n"),
            Some((b"/usr/bin/env".to_vec(), Some(b"python3".to_vec())))
        );
        assert_eq!(parse_shebang(b"#!/bin/a -x -y\n"), Some((b"/bin/a".to_vec(), Some(b"-x -y".to_vec()))));
        assert_eq!(parse_shebang(b"#!\n"), None);
        assert_eq!(parse_shebang(b"ELF"), None);
    }
}
