//! The initial process stack, laid out exactly as Linux's `create_elf_tables` does:
//! strings at the top (AT_EXECFN, envp and argv strings), then the platform string and
//! the 16 AT_RANDOM bytes, then — 16-byte aligned at the stack pointer — argc, argv[],
//! NULL, envp[], NULL, and the auxiliary vector.

use crate::image::{LoadRequest, MappedImage, STACK_TOP};
use emu_cpu::AddressSpace;

pub mod auxv {
    pub const AT_NULL: u64 = 0;
    pub const AT_PHDR: u64 = 3;
    pub const AT_PHENT: u64 = 4;
    pub const AT_PHNUM: u64 = 5;
    pub const AT_PAGESZ: u64 = 6;
    pub const AT_BASE: u64 = 7;
    pub const AT_FLAGS: u64 = 8;
    pub const AT_ENTRY: u64 = 9;
    pub const AT_UID: u64 = 11;
    pub const AT_EUID: u64 = 12;
    pub const AT_GID: u64 = 13;
    pub const AT_EGID: u64 = 14;
    pub const AT_PLATFORM: u64 = 15;
    pub const AT_HWCAP: u64 = 16;
    pub const AT_CLKTCK: u64 = 17;
    pub const AT_SECURE: u64 = 23;
    pub const AT_RANDOM: u64 = 25;
    pub const AT_HWCAP2: u64 = 26;
    pub const AT_EXECFN: u64 = 31;
    pub const AT_SYSINFO_EHDR: u64 = 33;
    pub const AT_MINSIGSTKSZ: u64 = 51;

    /// AT_HWCAP2 bits: the kernel enabled RD/WR FS/GS BASE for user mode (CR4.FSGSBASE).
    pub const HWCAP2_FSGSBASE: u64 = 1 << 1;
}

pub type AuxEntry = (u64, u64);

/// Where the pieces of the initial stack went.
#[derive(Clone, Debug, Default)]
pub struct StackInfo {
    pub argv_start: u64,
    pub argv_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    pub auxv_addr: u64,
}

pub(crate) fn build_stack(
    mem: &mut AddressSpace,
    req: &LoadRequest,
    main: &MappedImage,
    interp: Option<&MappedImage>,
    vdso: Option<u64>,
) -> Result<(u64, Vec<AuxEntry>, StackInfo), String> {
    use auxv::*;
    let mut sp = STACK_TOP - 8;
    let put = |mem: &mut AddressSpace, sp: &mut u64, bytes: &[u8]| -> Result<u64, String> {
        *sp -= bytes.len() as u64;
        mem.poke(*sp, bytes).map_err(|_| "initial stack overflow".to_string())?;
        Ok(*sp)
    };
    let cstr = |s: &[u8]| {
        let mut v = s.to_vec();
        v.push(0);
        v
    };
    // A zero word sits at the very top, then the AT_EXECFN string.
    mem.poke(STACK_TOP - 8, &[0; 8]).map_err(|_| "stack not mapped".to_string())?;
    let execfn = put(mem, &mut sp, &cstr(req.execfn))?;
    // envp strings, then argv strings below them, each in order (copied as one block).
    let mut env_block = Vec::new();
    for e in req.envp {
        env_block.extend_from_slice(&cstr(e));
    }
    let env_start = put(mem, &mut sp, &env_block)?;
    let mut arg_block = Vec::new();
    for a in req.argv {
        arg_block.extend_from_slice(&cstr(a));
    }
    let arg_start = put(mem, &mut sp, &arg_block)?;
    let mut env_ptrs = Vec::new();
    let mut off = 0u64;
    for e in req.envp {
        env_ptrs.push(env_start + off);
        off += e.len() as u64 + 1;
    }
    let mut arg_ptrs = Vec::new();
    off = 0;
    for a in req.argv {
        arg_ptrs.push(arg_start + off);
        off += a.len() as u64 + 1;
    }
    sp &= !15;
    let platform = put(mem, &mut sp, b"x86_64\0")?;
    let random = put(mem, &mut sp, &req.random)?;
    sp &= !15;

    let mut av: Vec<AuxEntry> = Vec::new();
    if let Some(v) = vdso {
        av.push((AT_SYSINFO_EHDR, v));
    }
    av.push((AT_MINSIGSTKSZ, req.minsigstksz));
    av.push((AT_HWCAP, req.hwcap));
    av.push((AT_PAGESZ, 4096));
    av.push((AT_CLKTCK, 100));
    av.push((AT_PHDR, main.phdr));
    av.push((AT_PHENT, 56));
    av.push((AT_PHNUM, main.phnum));
    av.push((AT_BASE, interp.map(|i| i.bias).unwrap_or(0)));
    av.push((AT_FLAGS, 0));
    av.push((AT_ENTRY, main.entry));
    av.push((AT_UID, req.ids[0]));
    av.push((AT_EUID, req.ids[1]));
    av.push((AT_GID, req.ids[2]));
    av.push((AT_EGID, req.ids[3]));
    av.push((AT_SECURE, 0));
    av.push((AT_RANDOM, random));
    av.push((AT_HWCAP2, req.hwcap2));
    av.push((AT_EXECFN, execfn));
    av.push((AT_PLATFORM, platform));
    av.push((AT_NULL, 0));

    let words = 1 + arg_ptrs.len() + 1 + env_ptrs.len() + 1 + av.len() * 2;
    sp -= words as u64 * 8;
    sp &= !15;
    let mut tbl: Vec<u64> = Vec::with_capacity(words);
    tbl.push(req.argv.len() as u64);
    tbl.extend(&arg_ptrs);
    tbl.push(0);
    tbl.extend(&env_ptrs);
    tbl.push(0);
    let auxv_addr = sp + tbl.len() as u64 * 8;
    for (k, v) in &av {
        tbl.push(*k);
        tbl.push(*v);
    }
    let bytes: Vec<u8> = tbl.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.poke(sp, &bytes).map_err(|_| "initial stack overflow".to_string())?;
    let info = StackInfo {
        argv_start: arg_start,
        argv_end: arg_start + arg_block.len() as u64,
        env_start,
        env_end: env_start + env_block.len() as u64,
        auxv_addr,
    };
    Ok((sp, av, info))
}
