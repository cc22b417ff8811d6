//! MMX instructions that trap: #MF for a pending unmasked x87 exception, #XM for an
//! unmasked SIMD exception of the conversions, and page faults on the memory operand.
//! The host runs each case in a forked child whose SIGFPE/SIGSEGV handler copies the FXSAVE image of the signal frame (the state at
//! the fault) and RAX/RCX/RDX/RIP to a shared page; emu must stop (`FpException` or
//! `Fault`) at the same instruction with the same state, or complete as the host did.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod mmx_harness;
mod reference_host;
use mmx_harness::*;
use std::sync::atomic::{AtomicPtr, Ordering};

#[repr(C)]
struct SigAction {
    handler: usize,
    mask: [u64; 16],
    flags: i32,
    restorer: usize,
}

extern "C" {
    fn fork() -> i32;
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
    fn _exit(code: i32) -> !;
    fn sigaction(sig: i32, act: *const SigAction, old: *mut SigAction) -> i32;
    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
    fn munmap(addr: *mut u8, len: usize) -> i32;
}

const SIGFPE: i32 = 8;
const SIGSEGV: i32 = 11;
const SA_SIGINFO: i32 = 4;

/// Shared page layout: [0] 1 = trapped; [8..40] rax rcx rdx rip; [64..576] FXSAVE at the
/// fault; [1024..1024+SIZE] the stub's block (when it completed).
static SHARED: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static BLOCK: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn on_fpe(_: i32, _: *mut u8, uc: *mut u8) {
    let sh = SHARED.load(Ordering::Relaxed);
    // SAFETY: uc is the kernel's ucontext_t (glibc x86-64 layout: gregs at 40, the
    // fpregs pointer at 224); sh is the shared page; only raw copies and _exit here.
    unsafe {
        let gregs = uc.add(40) as *const u64;
        let vals = [*gregs.add(13), *gregs.add(14), *gregs.add(12), *gregs.add(16)];
        std::ptr::copy_nonoverlapping(vals.as_ptr() as *const u8, sh.add(8), 32);
        let fp = *(uc.add(224) as *const *const u8);
        std::ptr::copy_nonoverlapping(fp, sh.add(64), 512);
        let blk = BLOCK.load(Ordering::Relaxed);
        std::ptr::copy_nonoverlapping(blk.add(MEM), sh.add(1024 + MEM), 64);
        *sh = 1;
        _exit(0);
    }
}

struct HostRun {
    trapped: bool,
    /// At the fault (trapped) or after the instruction.
    fx: Vec<u8>,
    gpr: [u64; 3],
    /// RIP relative to the instruction (trapped only).
    rip_off: u64,
    mem: [u8; 64],
}

fn host(stub: Stub, c: &Case) -> HostRun {
    // SAFETY: a null pointer makes the stub return its instruction range.
    let Pair(start, _) = unsafe { stub(std::ptr::null_mut()) };
    // SAFETY: anonymous shared mapping, checked.
    let sh = unsafe { mmap(std::ptr::null_mut(), 8192, 3, 0x21, -1, 0) };
    assert!(!sh.is_null() && sh as isize != -1);
    let mut blk = Box::new(Block([0; SIZE]));
    let b = &mut blk.0;
    b[IN..IN + 512].copy_from_slice(&c.image());
    for (i, v) in [c.rax, c.rcx, c.rdx, c.flags].iter().enumerate() {
        b[GPR + 8 * i..GPR + 8 * i + 8].copy_from_slice(&v.to_le_bytes());
    }
    b[MEM..MEM + 64].copy_from_slice(&c.mem);
    let bp = b.as_mut_ptr();
    // SAFETY: the child only runs the stub and async-signal-safe code, then _exits; the
    // parent waits for it before touching the shared page.
    unsafe {
        let pid = fork();
        assert!(pid >= 0);
        if pid == 0 {
            SHARED.store(sh, Ordering::Relaxed);
            BLOCK.store(bp, Ordering::Relaxed);
            let act = SigAction {
                handler: on_fpe as *const () as usize,
                mask: [0; 16],
                flags: SA_SIGINFO,
                restorer: 0,
            };
            sigaction(SIGFPE, &act, std::ptr::null_mut());
            sigaction(SIGSEGV, &act, std::ptr::null_mut());
            stub(bp);
            std::ptr::copy_nonoverlapping(bp, sh.add(1024), SIZE);
            _exit(0);
        }
        let mut status = 0;
        assert_eq!(waitpid(pid, &mut status, 0), pid);
        assert_eq!(status, 0, "child died");
    }
    // SAFETY: the child has exited; the page is ours.
    let page = unsafe { std::slice::from_raw_parts(sh, 8192) }.to_vec();
    // SAFETY: mapped above.
    unsafe { munmap(sh, 8192) };
    let q = |o: usize| u64::from_le_bytes(page[o..o + 8].try_into().unwrap());
    let trapped = page[0] == 1;
    let blk = &page[1024..1024 + SIZE];
    let mut mem = [0u8; 64];
    mem.copy_from_slice(&blk[MEM..MEM + 64]);
    let mut fx = if trapped { page[64..480].to_vec() } else { blk[OUT..OUT + 416].to_vec() };
    fx[28..32].fill(0);
    if trapped {
        HostRun { trapped, fx, gpr: [q(8), q(16), q(24)], rip_off: q(32).wrapping_sub(start), mem }
    } else {
        HostRun { trapped, fx, gpr: [q(1024 + GPR), q(1024 + GPR + 8), q(1024 + GPR + 16)], rip_off: 0, mem }
    }
}

/// Compares one case; returns whether the host trapped.
fn check(name: &str, stub: Stub, emu: &mut Emu, c: &Case, fails: &mut u32) -> bool {
    let h = host(stub, c);
    let got = emu.run(c);
    let trapped = got.exit != "Breakpoint";
    let rip_off = emu.cpu.rip.wrapping_sub(CODE);
    let ok = trapped == h.trapped
        && (!trapped || rip_off == h.rip_off)
        && got.fx == h.fx
        && [got.rax, got.rcx, got.rdx] == h.gpr
        && got.mem == h.mem;
    if !ok {
        *fails += 1;
        if *fails <= 6 {
            let want = Out {
                fx: h.fx.clone(),
                tag_word: 0,
                rax: h.gpr[0],
                rcx: h.gpr[1],
                rdx: h.gpr[2],
                flags: 0,
                mem: h.mem,
                exit: format!("trapped={} rip+{}", h.trapped, h.rip_off),
            };
            eprintln!(
                "{name} MISMATCH\n  want: {}\n  got : {} rip+{rip_off}",
                describe(&want),
                describe(&got)
            );
        }
    }
    h.trapped
}

/// A state with an unmasked x87 exception pending (ES set).
fn pending(r: &mut Rng, k: Kind) -> Case {
    let mut c = rand_case(r, k);
    let e = 1u16 << r.below(6);
    c.fcw &= !e;
    c.fsw |= e | 0x8080;
    c
}

/// A state with some SIMD exceptions unmasked (IM, DM or PM; the conversions raise only
/// IE and PE), x87 quiet.
fn unmasked(r: &mut Rng, k: Kind) -> Case {
    let mut c = rand_case(r, k);
    let m = match r.below(4) {
        0 => 0x80,
        1 => 0x1000,
        2 => 0x1080,
        _ => 0x100 | 0x1000,
    };
    c.mxcsr &= !m;
    c
}

macro_rules! faults {
    ($($name:ident: $insn:literal, $kind:ident;)*) => {$(
        mod $name {
            use super::*;
            mmx_stub!($name, $insn);
            #[test]
            fn pending_x87() {
                let mut emu = Emu::new($name);
                let mut r = Rng(0x5eed ^ line!() as u64);
                let (mut fails, mut traps) = (0, 0);
                for _ in 0..40 {
                    let c = pending(&mut r, Kind::$kind);
                    traps += check(stringify!($name), $name, &mut emu, &c, &mut fails) as u32;
                }
                assert_eq!(fails, 0);
                // Sanity check of the harness: only the memory forms of CVTPI2PS/PD
                // ignore the pending exception on the host.
                let n = stringify!($name);
                let mem_cvtpi = n.starts_with("cvtpi2p") && n.ends_with("_rsi");
                assert_eq!(traps, if mem_cvtpi { 0 } else { 40 });
            }
            #[test]
            fn unmasked_simd() {
                let mut emu = Emu::new($name);
                let mut r = Rng(0xfa17 ^ line!() as u64);
                let (mut fails, mut traps) = (0, 0);
                for _ in 0..150 {
                    let c = unmasked(&mut r, Kind::$kind);
                    traps += check(stringify!($name), $name, &mut emu, &c, &mut fails) as u32;
                }
                assert_eq!(fails, 0);
                let n = stringify!($name);
                let inexact = n.starts_with("cvt") && !n.starts_with("cvtpi2pd");
                assert_eq!(traps > 0, inexact, "{traps} traps");
            }
        }
    )*};
}

faults! {
    paddb_mm0_mm1: "paddb mm0, mm1", Int;
    paddb_mm2_rsi: "paddb mm2, [rsi]", Int;
    psllw_mm3_4: "psllw mm3, 4", Int;
    movd_eax_mm1: "movd eax, mm1", Int;
    movd_mm1_eax: "movd mm1, eax", Int;
    movq_rsi_mm2: "movq [rsi], mm2", Int;
    movq_mm0_mm1: "movq mm0, mm1", Int;
    movntq_rsi_mm3: "movntq [rsi], mm3", Int;
    emms: "emms", Int;
    pextrw_eax_mm1: "pextrw eax, mm1, 1", Int;
    pinsrw_mm1_eax: "pinsrw mm1, eax, 2", Int;
    pmovmskb_eax_mm1: "pmovmskb eax, mm1", Int;
    pshufw_mm0_mm1: "pshufw mm0, mm1, 0x1b", Int;
    maskmovq_mm1_mm2: "maskmovq mm1, mm2", Int;
    movq2dq_xmm1_mm2: "movq2dq xmm1, mm2", Int;
    movdq2q_mm3_xmm2: "movdq2q mm3, xmm2", Int;
    cvtpi2ps_xmm0_mm1: "cvtpi2ps xmm0, mm1", Int;
    cvtpi2ps_xmm2_rsi: "cvtpi2ps xmm2, [rsi]", Int;
    cvtpi2pd_xmm0_mm1: "cvtpi2pd xmm0, mm1", Int;
    cvtpi2pd_xmm2_rsi: "cvtpi2pd xmm2, [rsi]", Int;
    cvtps2pi_mm0_xmm1: "cvtps2pi mm0, xmm1", F32;
    cvtps2pi_mm2_rsi: "cvtps2pi mm2, [rsi]", F32;
    cvttps2pi_mm0_xmm1: "cvttps2pi mm0, xmm1", F32;
    cvttps2pi_mm2_rsi: "cvttps2pi mm2, [rsi]", F32;
    cvtpd2pi_mm0_xmm1: "cvtpd2pi mm0, xmm1", F64;
    cvtpd2pi_mm2_rsi: "cvtpd2pi mm2, [rsi]", F64;
    cvttpd2pi_mm0_xmm1: "cvttpd2pi mm0, xmm1", F64;
    cvttpd2pi_mm2_rsi: "cvttpd2pi mm2, [rsi]", F64;
}

macro_rules! page_faults {
    ($($name:ident: $insn:literal;)*) => {$(
        mod $name {
            use super::*;
            mmx_stub!($name, $insn);
            #[test]
            fn page_fault() {
                if reference_host::skip_here(concat!(stringify!($name), "::page_fault")) {
                    return;
                }
                let mut emu = Emu::new($name);
                let mut r = Rng(0xfa0 ^ line!() as u64);
                let (mut fails, mut traps) = (0, 0);
                for _ in 0..30 {
                    let c = rand_case(&mut r, Kind::Int);
                    traps += check(stringify!($name), $name, &mut emu, &c, &mut fails) as u32;
                }
                assert_eq!(fails, 0);
                assert_eq!(traps, 30);
            }
        }
    )*};
}

// Address 0x10 is unmapped both natively and in emu.
page_faults! {
    pf_paddb: "paddb mm2, [0x10]";
    pf_punpcklbw: "punpcklbw mm2, [0x10]";
    pf_psllw: "psllw mm2, [0x10]";
    pf_movd_load: "movd mm1, [0x10]";
    pf_movq_load: "movq mm1, [0x10]";
    pf_movd_store: "movd [0x10], mm1";
    pf_movq_store: "movq [0x10], mm1";
    pf_movntq: "movntq [0x10], mm1";
    pf_pinsrw: "pinsrw mm1, word ptr [0x10], 1";
    pf_pshufw: "pshufw mm1, [0x10], 1";
    pf_maskmovq: "xor edi, edi\n maskmovq mm1, mm2";
    pf_cvtpi2ps: "cvtpi2ps xmm1, [0x10]";
    pf_cvtpi2pd: "cvtpi2pd xmm1, [0x10]";
    pf_cvtps2pi: "cvtps2pi mm1, [0x10]";
    pf_cvtpd2pi: "cvtpd2pi mm1, [0x10]";
}
