//! The native runner: the host CPU as oracle (x86-64 Linux only).
//!
//! Cases run in a forked child, so a case that corrupts the process takes only the child
//! with it. The child maps the same fixed guest addresses the emulated runner uses (code
//! page, data area with a read-only page and unmapped guards, GS base), then for each
//! case: loads the data image, writes the case bytes followed by int3 filler and exit
//! stubs, and calls `enter`, a stub that saves the host state, loads the guest state
//! (FXRSTOR, POPFQ, 16 GPRs) and jumps to the case. Ending at an exit slot runs `save`,
//! which stores the guest state and returns to the host via `resume`. A signal (SIGSEGV,
//! SIGBUS, SIGFPE, SIGILL, SIGTRAP) is caught on an alternate stack; the handler copies
//! the faulting context and redirects the return to `resume`. Thousands of cases run per
//! fork; if the child dies or hangs, the parent records the case it was on as lost and
//! forks again from the next one.

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
use super::case::{Case, Outcome};

/// Why native execution is impossible here, if it is.
pub fn unavailable() -> Option<&'static str> {
    if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        None
    } else {
        Some("the native runner needs an x86-64 Linux host; only recorded expectations run here")
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
pub fn run_batch(_cases: &[Case]) -> Vec<Outcome> {
    unreachable!("{}", unavailable().unwrap())
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub use imp::run_batch;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod imp {
    use super::super::case::*;
    use iced_x86::{Code, Encoder, Instruction, MemoryOperand, Register};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    // Context page layout (offsets from CTX).
    const GPR_IN: u64 = 0x000;
    const FLAGS_IN: u64 = 0x080;
    const ENTRY: u64 = 0x088;
    const EXIT_SLOT: u64 = 0x090;
    const HOST_RSP: u64 = 0x098;
    const GPR_OUT: u64 = 0x100;
    const FLAGS_OUT: u64 = 0x180;
    const FX_IN: u64 = 0x200;
    const FX_OUT: u64 = 0x400;
    const FX_HOST: u64 = 0x600;
    /// YMM0..15 bits 128..255, in and out (loaded with VINSERTF128 after FXRSTOR, which
    /// leaves them alone, and saved with VEXTRACTF128).
    const YMM_IN: u64 = 0x800;
    const YMM_OUT: u64 = 0x900;
    /// Scratch stack for POPFQ/PUSHFQ in the stubs (grows down from here).
    const CTX_STACK: u64 = 0x2000;
    const CTX_SIZE: usize = 0x2000;

    struct Stubs {
        bytes: Vec<u8>,
        enter: u64,
        save: u64,
        resume: u64,
    }

    fn abs(off: u64) -> MemoryOperand {
        MemoryOperand::with_displ(CTX + off, 4)
    }

    const GPRS: [Register; 16] = [
        Register::RAX,
        Register::RCX,
        Register::RDX,
        Register::RBX,
        Register::RSP,
        Register::RBP,
        Register::RSI,
        Register::RDI,
        Register::R8,
        Register::R9,
        Register::R10,
        Register::R11,
        Register::R12,
        Register::R13,
        Register::R14,
        Register::R15,
    ];

    const YMMS: [Register; 16] = [
        Register::YMM0,
        Register::YMM1,
        Register::YMM2,
        Register::YMM3,
        Register::YMM4,
        Register::YMM5,
        Register::YMM6,
        Register::YMM7,
        Register::YMM8,
        Register::YMM9,
        Register::YMM10,
        Register::YMM11,
        Register::YMM12,
        Register::YMM13,
        Register::YMM14,
        Register::YMM15,
    ];

    /// Assembles enter/save/resume for the STUB page (in the parent: the child must not
    /// allocate).
    fn stubs() -> &'static Stubs {
        static S: OnceLock<Stubs> = OnceLock::new();
        S.get_or_init(|| {
            let mut v: Vec<Instruction> = vec![];
            let w = |r| Instruction::with1(Code::Push_r64, r).unwrap();
            // enter
            for r in
                [Register::RBX, Register::RBP, Register::R12, Register::R13, Register::R14, Register::R15]
            {
                v.push(w(r));
            }
            v.push(Instruction::with(Code::Pushfq));
            v.push(Instruction::with2(Code::Mov_rm64_r64, abs(HOST_RSP), Register::RSP).unwrap());
            v.push(Instruction::with1(Code::Fxsave64_m512byte, abs(FX_HOST)).unwrap());
            v.push(Instruction::with1(Code::Fxrstor64_m512byte, abs(FX_IN)).unwrap());
            for (n, y) in YMMS.iter().enumerate() {
                v.push(
                    Instruction::with4(
                        Code::VEX_Vinsertf128_ymm_ymm_xmmm128_imm8,
                        *y,
                        *y,
                        abs(YMM_IN + 16 * n as u64),
                        1,
                    )
                    .unwrap(),
                );
            }
            v.push(
                Instruction::with2(Code::Mov_rm64_imm32, Register::RSP, (CTX + CTX_STACK) as i32).unwrap(),
            );
            v.push(Instruction::with1(Code::Push_rm64, abs(FLAGS_IN)).unwrap());
            v.push(Instruction::with(Code::Popfq));
            for (i, r) in GPRS.iter().enumerate() {
                if *r != Register::RSP {
                    v.push(Instruction::with2(Code::Mov_r64_rm64, *r, abs(GPR_IN + 8 * i as u64)).unwrap());
                }
            }
            v.push(Instruction::with2(Code::Mov_r64_rm64, Register::RSP, abs(GPR_IN + 32)).unwrap());
            v.push(Instruction::with1(Code::Jmp_rm64, abs(ENTRY)).unwrap());
            let save_at = v.len();
            for (i, r) in GPRS.iter().enumerate() {
                v.push(Instruction::with2(Code::Mov_rm64_r64, abs(GPR_OUT + 8 * i as u64), *r).unwrap());
            }
            v.push(
                Instruction::with2(Code::Mov_rm64_imm32, Register::RSP, (CTX + CTX_STACK) as i32).unwrap(),
            );
            v.push(Instruction::with(Code::Pushfq));
            v.push(Instruction::with1(Code::Pop_rm64, abs(FLAGS_OUT)).unwrap());
            v.push(Instruction::with1(Code::Fxsave64_m512byte, abs(FX_OUT)).unwrap());
            for (n, y) in YMMS.iter().enumerate() {
                v.push(
                    Instruction::with3(
                        Code::VEX_Vextractf128_xmmm128_ymm_imm8,
                        abs(YMM_OUT + 16 * n as u64),
                        *y,
                        1,
                    )
                    .unwrap(),
                );
            }
            let resume_at = v.len();
            v.push(Instruction::with1(Code::Fxrstor64_m512byte, abs(FX_HOST)).unwrap());
            v.push(Instruction::with2(Code::Mov_r64_rm64, Register::RSP, abs(HOST_RSP)).unwrap());
            v.push(Instruction::with(Code::Popfq));
            for r in
                [Register::R15, Register::R14, Register::R13, Register::R12, Register::RBP, Register::RBX]
            {
                v.push(Instruction::with1(Code::Pop_r64, r).unwrap());
            }
            v.push(Instruction::with(Code::Retnq));
            let mut enc = Encoder::new(64);
            let (mut save, mut resume) = (0, 0);
            let mut ip = STUB;
            for (i, ins) in v.iter().enumerate() {
                if i == save_at {
                    save = ip;
                }
                if i == resume_at {
                    resume = ip;
                }
                ip += enc.encode(ins, ip).expect("stub encodes") as u64;
            }
            Stubs { bytes: enc.take_buffer(), enter: STUB, save, resume }
        })
    }

    static IN_CASE: AtomicBool = AtomicBool::new(false);
    static RESUME: AtomicU64 = AtomicU64::new(0);
    /// Signal outcome written by the handler: sig, code, addr, rip.
    static SIG: [AtomicU64; 4] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

    /// gregs index of each GPR in encoding order.
    const GREG: [i32; 16] = [
        libc::REG_RAX,
        libc::REG_RCX,
        libc::REG_RDX,
        libc::REG_RBX,
        libc::REG_RSP,
        libc::REG_RBP,
        libc::REG_RSI,
        libc::REG_RDI,
        libc::REG_R8,
        libc::REG_R9,
        libc::REG_R10,
        libc::REG_R11,
        libc::REG_R12,
        libc::REG_R13,
        libc::REG_R14,
        libc::REG_R15,
    ];

    extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
        if !IN_CASE.load(Ordering::SeqCst) {
            // A crash of the harness itself: die with the default action.
            // SAFETY: plain libc calls with valid arguments.
            unsafe {
                libc::signal(sig, libc::SIG_DFL);
            }
            return;
        }
        // SAFETY: the kernel passes a valid siginfo and ucontext; CTX is mapped in the child.
        unsafe {
            let uc = &mut *(uc as *mut libc::ucontext_t);
            let g = &mut uc.uc_mcontext.gregs;
            for (i, &gi) in GREG.iter().enumerate() {
                *((CTX + GPR_OUT + 8 * i as u64) as *mut u64) = g[gi as usize] as u64;
            }
            *((CTX + FLAGS_OUT) as *mut u64) = g[libc::REG_EFL as usize] as u64;
            let fp = uc.uc_mcontext.fpregs as *const u8;
            std::ptr::copy_nonoverlapping(fp, (CTX + FX_OUT) as *mut u8, 512);
            // The frame's XSAVE area (FP_XSTATE_MAGIC1 in the software-reserved bytes):
            // YMM upper halves at offset 576 when XSTATE_BV says they are not in their
            // initial (zero) state.
            let ymm_out = (CTX + YMM_OUT) as *mut u8;
            let magic = (fp.add(464) as *const u32).read_unaligned();
            let bv = (fp.add(512) as *const u64).read_unaligned();
            if magic == 0x4650_5853 && bv & 4 != 0 {
                std::ptr::copy_nonoverlapping(fp.add(576), ymm_out, 256);
            } else {
                std::ptr::write_bytes(ymm_out, 0, 256);
            }
            SIG[0].store(sig as u64, Ordering::SeqCst);
            SIG[1].store((*info).si_code as u64, Ordering::SeqCst);
            SIG[2].store((*info).si_addr() as u64, Ordering::SeqCst);
            SIG[3].store(g[libc::REG_RIP as usize] as u64, Ordering::SeqCst);
            g[libc::REG_RIP as usize] = RESUME.load(Ordering::SeqCst) as i64;
            g[libc::REG_RSP as usize] = (CTX + CTX_STACK - 64) as i64;
            // TF/DF/AC off while resume runs (it restores the host flags itself).
            g[libc::REG_EFL as usize] &= !((1 << 8) | (1 << 10) | (1 << 18));
        }
    }

    fn map_fixed(addr: u64, len: usize, prot: i32, fd: i32) -> *mut u8 {
        let flags = libc::MAP_FIXED_NOREPLACE
            | if fd < 0 { libc::MAP_PRIVATE | libc::MAP_ANONYMOUS } else { libc::MAP_SHARED };
        // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping.
        let p = unsafe { libc::mmap(addr as *mut libc::c_void, len, prot, flags, fd, 0) };
        if p as u64 != addr {
            child_die(b"conformance child: fixed mmap failed\n");
        }
        p as *mut u8
    }

    fn child_die(msg: &[u8]) -> ! {
        // SAFETY: write(2) and _exit(2) are async-signal-safe.
        unsafe {
            libc::write(2, msg.as_ptr() as *const libc::c_void, msg.len());
            libc::_exit(97)
        }
    }

    /// Sets up the fixed mappings and signal handling in the child. Returns a writable
    /// alias of the read-only data page.
    fn child_setup(st: &Stubs) -> *mut u8 {
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        map_fixed(CTX, CTX_SIZE, rw, -1);
        let stub = map_fixed(STUB, 0x1000, rw, -1);
        // SAFETY: the stub page was just mapped with 4 KiB; stubs are far smaller.
        unsafe {
            std::ptr::copy_nonoverlapping(st.bytes.as_ptr(), stub, st.bytes.len());
            libc::mprotect(STUB as *mut libc::c_void, 0x1000, libc::PROT_READ | libc::PROT_EXEC);
        }
        map_fixed(CODE, 0x1000, rw | libc::PROT_EXEC, -1);
        map_fixed(DATA, DATA_RW, rw, -1);
        // The read-only page is a memfd mapped twice: read-only for the guest, writable
        // elsewhere for loading it without an mprotect per case.
        // SAFETY: plain syscalls; results checked.
        let alias = unsafe {
            let fd = libc::memfd_create(c"conf-ro".as_ptr(), 0);
            if fd < 0 || libc::ftruncate(fd, 0x1000) != 0 {
                child_die(b"conformance child: memfd failed\n");
            }
            map_fixed(DATA + DATA_RW as u64, 0x1000, libc::PROT_READ, fd);
            let a = libc::mmap(std::ptr::null_mut(), 0x1000, rw, libc::MAP_SHARED, fd, 0);
            if a == libc::MAP_FAILED {
                child_die(b"conformance child: alias mmap failed\n");
            }
            a as *mut u8
        };
        RESUME.store(st.resume, Ordering::SeqCst);
        // SAFETY: sigaltstack/sigaction/arch_prctl with valid, fully initialised arguments.
        unsafe {
            let alt =
                libc::mmap(std::ptr::null_mut(), 0x10000, rw, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0);
            let ss = libc::stack_t { ss_sp: alt, ss_flags: 0, ss_size: 0x10000 };
            libc::sigaltstack(&ss, std::ptr::null_mut());
            for s in [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL, libc::SIGTRAP] {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(s, &sa, std::ptr::null_mut());
            }
            const ARCH_SET_GS: i32 = 0x1001;
            if libc::syscall(libc::SYS_arch_prctl, ARCH_SET_GS, GS_BASE) != 0 {
                child_die(b"conformance child: arch_prctl failed\n");
            }
        }
        alias
    }

    /// Exit slot stub at `at`: `mov dword [CTX+EXIT_SLOT], k; jmp save` (16 bytes, no
    /// register or flag touched).
    fn slot_stub(at: u64, k: u32, save: u64) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..3].copy_from_slice(&[0xc7, 0x04, 0x25]);
        b[3..7].copy_from_slice(&((CTX + EXIT_SLOT) as u32).to_le_bytes());
        b[7..11].copy_from_slice(&k.to_le_bytes());
        b[11] = 0xe9;
        let rel = save.wrapping_sub(at + 16) as i64 as i32;
        b[12..16].copy_from_slice(&rel.to_le_bytes());
        b
    }

    /// Runs one case in the child. No allocation.
    fn child_case(case: &Case, st: &Stubs, alias: *mut u8, image: &mut [u8; DATA_SIZE], out: &mut Outcome) {
        let mut s = State::from_seed(0);
        case.initial(&mut s, image);
        // SAFETY: every pointer below is into a mapping made by child_setup, with the
        // sizes used there.
        unsafe {
            std::ptr::copy_nonoverlapping(image.as_ptr(), DATA as *mut u8, DATA_RW);
            std::ptr::copy_nonoverlapping(image.as_ptr().add(DATA_RW), alias, 0x1000);
            let code = std::slice::from_raw_parts_mut(CODE as *mut u8, 0x1000);
            code.fill(0xcc);
            let n = case.bytes.len().min(0x1000);
            code[..n].copy_from_slice(&case.bytes[..n]);
            for k in 0..EXIT_SLOTS {
                let at = case.end() + k * SLOT;
                let off = (at - CODE) as usize;
                if off + 16 <= 0x1000 {
                    code[off..off + 16].copy_from_slice(&slot_stub(at, k as u32, st.save));
                }
            }
            let gin = (CTX + GPR_IN) as *mut u64;
            for i in 0..16 {
                *gin.add(i) = s.gpr[i];
            }
            *((CTX + FLAGS_IN) as *mut u64) = s.rflags;
            *((CTX + ENTRY) as *mut u64) = CODE;
            *((CTX + EXIT_SLOT) as *mut u32) = u32::MAX;
            let mut fx = [0u8; 512];
            s.fx_image(&mut fx);
            std::ptr::copy_nonoverlapping(fx.as_ptr(), (CTX + FX_IN) as *mut u8, 512);
            let yin = (CTX + YMM_IN) as *mut u128;
            for i in 0..16 {
                yin.add(i).write_unaligned(s.ymmh[i]);
            }
            SIG[0].store(0, Ordering::SeqCst);
            IN_CASE.store(true, Ordering::SeqCst);
            let enter: extern "sysv64" fn() = std::mem::transmute(st.enter as usize);
            enter();
            IN_CASE.store(false, Ordering::SeqCst);
            let gout = (CTX + GPR_OUT) as *const u64;
            for i in 0..16 {
                out.gpr[i] = *gout.add(i);
            }
            out.rflags = *((CTX + FLAGS_OUT) as *const u64);
            std::ptr::copy_nonoverlapping((CTX + FX_OUT) as *const u8, out.fx.as_mut_ptr(), 512);
            let yout = (CTX + YMM_OUT) as *const u128;
            for i in 0..16 {
                out.ymmh[i] = yout.add(i).read_unaligned();
            }
            let sig = SIG[0].load(Ordering::SeqCst);
            if sig != 0 {
                out.kind = K_SIGNAL;
                out.sig = sig as i32;
                out.code = SIG[1].load(Ordering::SeqCst) as i32;
                out.addr = SIG[2].load(Ordering::SeqCst);
                out.rip = SIG[3].load(Ordering::SeqCst);
            } else {
                out.kind = K_EXIT;
                out.sig = 0;
                out.code = 0;
                out.addr = 0;
                out.rip = case.end() + *((CTX + EXIT_SLOT) as *const u32) as u64 * SLOT;
            }
            let mut after = [0u8; DATA_SIZE];
            std::ptr::copy_nonoverlapping(DATA as *const u8, after.as_mut_ptr(), DATA_SIZE);
            out.set_diff(&image[..], &after[..]);
        }
    }

    struct Shared {
        ptr: *mut u8,
        len: usize,
    }

    impl Drop for Shared {
        fn drop(&mut self) {
            // SAFETY: unmapping our own mapping.
            unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
        }
    }

    /// Runs `cases` natively; one outcome per case (kind K_LOST for a case that killed or
    /// hung its child).
    pub fn run_batch(cases: &[Case]) -> Vec<Outcome> {
        let st = stubs();
        let n = cases.len();
        let len = 64 + n * std::mem::size_of::<Outcome>();
        // SAFETY: a fresh shared anonymous mapping, checked below.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED, "shared result mapping");
        let sh = Shared { ptr: p as *mut u8, len };
        // SAFETY: header word at offset 0, outcomes from offset 64, all inside `len`.
        let done = unsafe { &*(sh.ptr as *const AtomicU64) };
        let results = sh.ptr.wrapping_add(64) as *mut Outcome;
        let mut start = 0usize;
        let mut lost: Vec<(usize, String)> = vec![];
        while start < n {
            done.store(start as u64, Ordering::SeqCst);
            // SAFETY: the child only runs code that neither allocates nor takes locks.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                let alias = child_setup(st);
                let mut image = [0u8; DATA_SIZE];
                for (i, case) in cases.iter().enumerate().skip(start) {
                    // SAFETY: i < n, inside the shared mapping.
                    let out = unsafe { &mut *results.add(i) };
                    child_case(case, st, alias, &mut image, out);
                    done.store(i as u64 + 1, Ordering::SeqCst);
                }
                // SAFETY: leave without running the parent's destructors or atexit hooks.
                unsafe { libc::_exit(0) };
            }
            let mut last = done.load(Ordering::SeqCst);
            let mut since = Instant::now();
            let status = loop {
                let mut status = 0;
                // SAFETY: waiting for our own child.
                let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
                if r == pid {
                    break status;
                }
                let d = done.load(Ordering::SeqCst);
                if d != last {
                    last = d;
                    since = Instant::now();
                } else if since.elapsed() > Duration::from_secs(5) {
                    // SAFETY: killing our own child.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
                std::thread::sleep(Duration::from_micros(200));
            };
            let d = done.load(Ordering::SeqCst) as usize;
            if d >= n {
                break;
            }
            lost.push((d, format!("native child died (wait status {status:#x})")));
            // SAFETY: d < n.
            unsafe { *results.add(d) = Outcome { kind: K_LOST, ..Outcome::default() } };
            start = d + 1;
        }
        // SAFETY: every slot was written by a child or marked lost above.
        let v = unsafe { std::slice::from_raw_parts(results, n) }.to_vec();
        for (i, why) in lost {
            eprintln!("conformance: case {i}: {why}: {}", cases[i].to_line());
        }
        v
    }
}
