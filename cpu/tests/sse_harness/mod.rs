//! Differential harness for SSE instructions: each instruction is assembled once into a
//! native stub; the same bytes run under emu. Registers xmm0-3, rax, rcx, MXCSR, the
//! arithmetic flags and a 64-byte memory block at [rsi] must match after the
//! instruction. Host MXCSR always has every exception masked, so the host never traps.

#![allow(dead_code)]

use emu_cpu::mem::VmaInfo;
use emu_cpu::{AddressSpace, Cpu, Exit, Perm, Reg};

#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct St {
    pub x: [u128; 4],
    pub rax: u64,
    pub rcx: u64,
    pub mxcsr: u32,
    pub pad: u32,
    pub flags: u64,
    pub mem: [u8; 64],
}

impl Default for St {
    fn default() -> St {
        St { x: [0; 4], rax: 0, rcx: 0, mxcsr: 0x1f80, pad: 0, flags: 0x202, mem: [0; 64] }
    }
}

#[repr(C)]
pub struct Pair(pub u64, pub u64);

pub type Stub = unsafe extern "C" fn(*mut St) -> Pair;

/// Defines `$name`: a native stub running `$insn` on an `St`, which called with a null
/// pointer returns the address range of the instruction bytes.
#[macro_export]
macro_rules! stub {
    ($name:ident, $insn:expr) => {
        std::arch::global_asm!(concat!(
            ".text\n.globl ",
            stringify!($name),
            "\n",
            stringify!($name),
            ":\n",
            "test rdi, rdi\n jnz 4f\n lea rax, [rip + 2f]\n lea rdx, [rip + 3f]\n ret\n",
            "4:\n sub rsp, 8\n stmxcsr [rsp]\n",
            "movdqu xmm0, [rdi]\n movdqu xmm1, [rdi+16]\n movdqu xmm2, [rdi+32]\n movdqu xmm3, [rdi+48]\n",
            "mov rax, [rdi+64]\n mov rcx, [rdi+72]\n push qword ptr [rdi+88]\n popfq\n",
            "ldmxcsr [rdi+80]\n lea rsi, [rdi+96]\n",
            "2:\n",
            $insn,
            "\n3:\n",
            "pushfq\n pop qword ptr [rdi+88]\n stmxcsr [rdi+80]\n",
            "movdqu [rdi], xmm0\n movdqu [rdi+16], xmm1\n movdqu [rdi+32], xmm2\n movdqu [rdi+48], xmm3\n",
            "mov [rdi+64], rax\n mov [rdi+72], rcx\n",
            "ldmxcsr [rsp]\n add rsp, 8\n ret\n"
        ));
        extern "C" {
            fn $name(st: *mut $crate::sse_harness::St) -> $crate::sse_harness::Pair;
        }
    };
}

pub const CODE: u64 = 0x40_0000;
pub const DATA: u64 = 0x50_0000;
pub const STACK: u64 = 0x60_0000;

pub struct Emu {
    pub cpu: Cpu,
    pub code_len: usize,
}

impl Emu {
    pub fn new(stub: Stub) -> Emu {
        // SAFETY: a null state pointer makes the stub return its instruction range.
        let Pair(b, e) = unsafe { stub(std::ptr::null_mut()) };
        // SAFETY: the range lies within the stub's text.
        let bytes = unsafe { std::slice::from_raw_parts(b as *const u8, (e - b) as usize) }.to_vec();
        let mut mem = AddressSpace::new();
        mem.map(CODE, 0x1000, Perm::RWX, VmaInfo::anon()).unwrap();
        mem.map(DATA, 0x1000, Perm::RW, VmaInfo::anon()).unwrap();
        mem.map(STACK, 0x1000, Perm::RW, VmaInfo::anon()).unwrap();
        let mut code = bytes.clone();
        code.push(0xcc);
        mem.poke(CODE, &code).unwrap();
        Emu { cpu: Cpu::new(mem), code_len: bytes.len() }
    }

    /// Runs the instruction on `st` with memory at DATA + `mem_off`.
    pub fn run(&mut self, st: &St) -> (Exit, St) {
        let c = &mut self.cpu;
        c.xmm[..4].copy_from_slice(&st.x);
        c.set_reg(Reg::Rax, st.rax);
        c.set_reg(Reg::Rcx, st.rcx);
        c.set_reg(Reg::Rsi, DATA);
        c.set_reg(Reg::Rdi, DATA + 0x800);
        c.set_reg(Reg::Rsp, STACK + 0x800);
        c.mxcsr = st.mxcsr;
        c.set_rflags(st.flags);
        c.mem.write(DATA, &st.mem).unwrap();
        c.rip = CODE;
        let exit = c.run();
        let mut out = *st;
        out.x.copy_from_slice(&c.xmm[..4]);
        out.rax = c.reg(Reg::Rax);
        out.rcx = c.reg(Reg::Rcx);
        out.mxcsr = c.mxcsr;
        out.flags = c.rflags();
        c.mem.read(DATA, &mut out.mem).unwrap();
        (exit, out)
    }
}

pub fn native(stub: Stub, st: &St) -> St {
    let mut s = *st;
    // SAFETY: the stub reads and writes only `s` and restores MXCSR.
    unsafe { stub(&mut s) };
    s
}

/// Status flags compared (CF PF AF ZF SF OF) plus the bits the stub set.
const FLAG_MASK: u64 = 0x8d5;

pub struct Checker {
    pub emu: Emu,
    pub stub: Stub,
    pub name: &'static str,
    pub cases: u64,
    pub fails: u64,
}

impl Checker {
    pub fn new(name: &'static str, stub: Stub) -> Checker {
        Checker { emu: Emu::new(stub), stub, name, cases: 0, fails: 0 }
    }

    pub fn check(&mut self, st: &St) {
        self.cases += 1;
        let want = native(self.stub, st);
        let (exit, got) = self.emu.run(st);
        let mut ok = exit == Exit::Breakpoint;
        ok &= want.x == got.x && want.rax == got.rax && want.rcx == got.rcx && want.mxcsr == got.mxcsr;
        ok &= want.flags & FLAG_MASK == got.flags & FLAG_MASK;
        ok &= want.mem == got.mem;
        if !ok {
            self.fails += 1;
            if self.fails <= 12 {
                eprintln!("{} MISMATCH exit={exit:?}", self.name);
                eprintln!("  in : x={:032x?} rax={:x} rcx={:x} mxcsr={:x}", st.x, st.rax, st.rcx, st.mxcsr);
                eprintln!(
                    "  want: x={:032x?} rax={:x} rcx={:x} mxcsr={:x} fl={:x}",
                    want.x,
                    want.rax,
                    want.rcx,
                    want.mxcsr,
                    want.flags & FLAG_MASK
                );
                eprintln!(
                    "  got : x={:032x?} rax={:x} rcx={:x} mxcsr={:x} fl={:x}",
                    got.x,
                    got.rax,
                    got.rcx,
                    got.mxcsr,
                    got.flags & FLAG_MASK
                );
                if want.mem != got.mem {
                    eprintln!("  mem want {:02x?}\n  mem got  {:02x?}", want.mem, got.mem);
                }
            }
        }
    }

    pub fn done(&self) {
        assert_eq!(self.fails, 0, "{}: {} of {} cases differ", self.name, self.fails, self.cases);
        assert!(self.cases > 0);
    }
}

// ---- inputs ----

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

pub const F32_EDGE: &[u32] = &[
    0x0000_0000,
    0x8000_0000,
    0x3f80_0000,
    0xbf80_0000,
    0x3fc0_0000,
    0xbfc0_0000,
    0x4000_0000,
    0x4040_0000,
    0x3f00_0000,
    0xbf00_0000,
    0x4020_0000,
    0xc020_0000,
    0x3eff_ffff,
    0x3f80_0001,
    0x3f7f_ffff,
    0x3dcc_cccd,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_0000,
    0x7fc1_2345,
    0xffc5_4321,
    0x7f80_0001,
    0x7fa0_0000,
    0xff81_2345,
    0x0000_0001,
    0x8000_0001,
    0x007f_ffff,
    0x0040_0000,
    0x807f_fff0,
    0x0080_0000,
    0x8080_0000,
    0x0080_0001,
    0x0100_0000,
    0x7f7f_ffff,
    0xff7f_ffff,
    0x7f7f_fffe,
    0x7f00_0000,
    0x4f00_0000,
    0x4eff_ffff,
    0xcf00_0000,
    0xcf00_0001,
    0x5f00_0000,
    0x5eff_ffff,
    0xdf00_0000,
    0xdf00_0001,
    0x4b00_0001,
    0x4b7f_ffff,
    0x2000_0000,
    0x1f80_0000,
    0x6000_0000,
    0x5f80_0000,
    0x3f40_0000,
    0xc0a0_0000,
    0x1a00_0001,
    0x00ff_ffff,
];

pub const F64_EDGE: &[u64] = &[
    0x0000_0000_0000_0000,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x3ff8_0000_0000_0000,
    0xbff8_0000_0000_0000,
    0x4000_0000_0000_0000,
    0x4008_0000_0000_0000,
    0x3fe0_0000_0000_0000,
    0xbfe0_0000_0000_0000,
    0x4004_0000_0000_0000,
    0xc004_0000_0000_0000,
    0x3fdf_ffff_ffff_ffff,
    0x3ff0_0000_0000_0001,
    0x3fef_ffff_ffff_ffff,
    0x3fb9_9999_9999_999a,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0xfff8_0000_0000_0000,
    0x7ff8_1234_5678_9abc,
    0xfff8_7654_3210_0001,
    0x7ff0_0000_0000_0001,
    0x7ff4_0000_0000_0000,
    0xfff1_2345_6789_abcd,
    0x0000_0000_0000_0001,
    0x8000_0000_0000_0001,
    0x000f_ffff_ffff_ffff,
    0x0008_0000_0000_0000,
    0x800f_ffff_ffff_fff0,
    0x0010_0000_0000_0000,
    0x8010_0000_0000_0000,
    0x0010_0000_0000_0001,
    0x7fef_ffff_ffff_ffff,
    0xffef_ffff_ffff_ffff,
    0x7fef_ffff_ffff_fffe,
    0x41e0_0000_0000_0000,
    0x41df_ffff_ffc0_0000,
    0x41df_ffff_ffe0_0000,
    0xc1e0_0000_0000_0000,
    0xc1e0_0000_0020_0000,
    0xc1e0_0000_0010_0000,
    0x43e0_0000_0000_0000,
    0x43df_ffff_ffff_ffff,
    0xc3e0_0000_0000_0000,
    0xc3e0_0000_0000_0001,
    0x4330_0000_0000_0001,
    0x47ef_ffff_e000_0000,
    0x47ef_ffff_f000_0000,
    0x3810_0000_0000_0000,
    0x380f_ffff_f000_0000,
    0x369f_ffff_ffff_ffff,
    0x36a0_0000_0000_0000,
    0x3690_0000_0000_0001,
    0x2000_0000_0000_0000,
    0x6000_0000_0000_0000,
    0x1ff0_0000_0000_0001,
    0x001f_ffff_ffff_ffff,
];

/// A random f32 biased toward interesting exponents and short significands.
pub fn rand_f32(r: &mut Rng) -> u32 {
    if r.below(4) == 0 {
        return r.pick(F32_EDGE);
    }
    let e = match r.below(8) {
        0 => r.below(3) as u32,
        1 => 0xfd + r.below(3) as u32,
        2 => 0x3f + r.below(8) as u32,
        3 => 0x9c + r.below(8) as u32,
        4 => r.below(256) as u32,
        _ => 0x70 + r.below(32) as u32,
    };
    let m = match r.below(3) {
        0 => (r.next() as u32) & 0x7f_ffff,
        1 => ((r.next() as u32) & 0x7f_ffff) & !((1 << r.below(23)) - 1),
        _ => (r.next() as u32) & 0x7f_0000,
    };
    (r.below(2) as u32) << 31 | e << 23 | m
}

pub fn rand_f64(r: &mut Rng) -> u64 {
    if r.below(4) == 0 {
        return r.pick(F64_EDGE);
    }
    let e = match r.below(8) {
        0 => r.below(3),
        1 => 0x7fc + r.below(4),
        2 => 0x1f8 + r.below(16),
        3 => 0x5f0 + r.below(16),
        4 => r.below(0x800),
        5 => 0x380 + r.below(16),
        6 => 0x36a + r.below(8),
        _ => 0x3f0 + r.below(64),
    };
    let m = match r.below(3) {
        0 => r.next() & 0xf_ffff_ffff_ffff,
        1 => (r.next() & 0xf_ffff_ffff_ffff) & !((1u64 << r.below(52)) - 1),
        _ => (r.next() & 0xf_ffff_ffff_ffff) & !0xffff_ffff,
    };
    r.below(2) << 63 | e << 52 | m
}

pub fn rand_bytes(r: &mut Rng) -> u128 {
    let mut v = 0u128;
    let mode = r.below(4);
    for i in 0..16 {
        let b = match mode {
            0 => r.next() as u8,
            1 => r.pick(&[0u8, 1, 0x7f, 0x80, 0xff, 0xfe, 0x81, 0x40]),
            2 => {
                if r.below(3) == 0 {
                    r.next() as u8
                } else {
                    r.pick(&[0u8, 0xff, 0x80, 0x7f])
                }
            }
            _ => (r.next() as u8) & 0x8f,
        };
        v |= (b as u128) << (8 * i);
    }
    v
}

/// MXCSR values to test: all exceptions masked, each rounding mode, with FTZ/DAZ and
/// some sticky flags already set.
pub fn rand_mxcsr(r: &mut Rng) -> u32 {
    let rc = (r.below(4) as u32) << 13;
    let fz = if r.below(4) == 0 { 0x8000 } else { 0 };
    let daz = if r.below(4) == 0 { 0x40 } else { 0 };
    let sticky = if r.below(8) == 0 { r.below(64) as u32 } else { 0 };
    0x1f80 | rc | fz | daz | sticky
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    F32,
    F64,
    Int,
}

pub fn rand_vec(r: &mut Rng, k: Kind) -> u128 {
    match k {
        Kind::F32 => (0..4).fold(0u128, |v, i| v | (rand_f32(r) as u128) << (32 * i)),
        Kind::F64 => (0..2).fold(0u128, |v, i| v | (rand_f64(r) as u128) << (64 * i)),
        Kind::Int => rand_bytes(r),
    }
}

pub fn rand_gpr(r: &mut Rng) -> u64 {
    match r.below(5) {
        0 => r.pick(&[
            0u64,
            1,
            u64::MAX,
            0x8000_0000,
            0x7fff_ffff,
            0x8000_0000_0000_0000,
            0x7fff_ffff_ffff_ffff,
        ]),
        1 => r.next() as u32 as u64,
        2 => (r.next() as i32 as i64) as u64,
        3 => r.next() >> r.below(64),
        _ => r.next(),
    }
}

/// Runs `n` random cases plus every pair of edge values in lane 0 (xmm0 op xmm1 / mem).
pub fn run_fp(c: &mut Checker, k: Kind, n: u64, seed: u64) {
    let mut r = Rng(seed | 1);
    let edges: Vec<u64> = match k {
        Kind::F32 => F32_EDGE.iter().map(|&v| v as u64).collect(),
        Kind::F64 => F64_EDGE.to_vec(),
        Kind::Int => vec![],
    };
    let w = if k == Kind::F32 { 32 } else { 64 };
    let m: u128 = if w == 32 { 0xffff_ffff } else { u64::MAX as u128 };
    for (ai, &a) in edges.iter().enumerate() {
        for &b in &edges {
            let mut st = rand_state(&mut r, k);
            st.x[0] = (st.x[0] & !m) | a as u128;
            st.x[1] = (st.x[1] & !m) | b as u128;
            st.mem[..w / 8].copy_from_slice(&b.to_le_bytes()[..w / 8]);
            st.mxcsr = [0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9f80, 0x1fc0, 0x9fc0, 0xdfc0]
                [(ai + b as usize) % 8]
                | (r.below(2) as u32 * r.below(64) as u32);
            c.check(&st);
            st.mxcsr = rand_mxcsr(&mut r);
            c.check(&st);
        }
    }
    for _ in 0..n {
        let st = rand_state(&mut r, k);
        c.check(&st);
    }
    c.done();
}

pub fn rand_state(r: &mut Rng, k: Kind) -> St {
    let mut st = St::default();
    for i in 0..4 {
        st.x[i] = rand_vec(r, k);
    }
    st.rax = rand_gpr(r);
    st.rcx = rand_gpr(r);
    st.mxcsr = rand_mxcsr(r);
    st.flags = 0x202 | (r.next() & 0x8d5);
    for i in 0..4 {
        let v = if r.below(3) == 0 { rand_vec(r, Kind::Int) } else { rand_vec(r, k) };
        st.mem[16 * i..16 * i + 16].copy_from_slice(&v.to_le_bytes());
    }
    st
}

/// Random finite normal values with exponents spread over the whole range, under the
/// default MXCSR: hammers the host-float fast paths.
pub fn run_fast(c: &mut Checker, k: Kind, n: u64, seed: u64) {
    run_normal(c, k, n, seed, false);
}

/// As `run_fast`, always with PE already set (the state in which the handlers skip the
/// exactness check), and with some zero lanes.
pub fn run_hot(c: &mut Checker, k: Kind, n: u64, seed: u64) {
    run_normal(c, k, n, seed, true);
}

fn run_normal(c: &mut Checker, k: Kind, n: u64, seed: u64, hot: bool) {
    let mut r = Rng(seed | 1);
    for _ in 0..n {
        let mut st = rand_state(&mut r, k);
        for x in st.x.iter_mut() {
            *x = 0;
            for i in 0..(if k == Kind::F32 { 4 } else { 2 }) {
                let v = if k == Kind::F32 {
                    let e = match r.below(3) {
                        0 => 1 + r.below(254),
                        1 => 0x60 + r.below(0x40),
                        _ => 0x7f,
                    };
                    let m = r.next() & 0x7f_ffff & !((1u64 << r.below(24)) - 1);
                    (r.below(2) << 31 | e << 23 | m) as u128
                } else {
                    let e = match r.below(3) {
                        0 => 1 + r.below(0x7fe),
                        1 => 0x3c0 + r.below(0x80),
                        _ => 0x3ff,
                    };
                    let m = r.next() & 0xf_ffff_ffff_ffff & !((1u64 << r.below(53)) - 1);
                    (r.below(2) << 63 | e << 52 | m) as u128
                };
                *x |= v << (if k == Kind::F32 { 32 * i } else { 64 * i });
            }
        }
        if hot {
            st.mxcsr = 0x1fa0 | r.below(64) as u32;
            if r.below(8) == 0 {
                let (w, lanes) = if k == Kind::F32 { (32, 4) } else { (64, 2) };
                let lane = r.below(lanes) as u32 * w;
                let sign = (r.below(2) as u128) << (lane + w - 1);
                let reg = r.below(2) as usize;
                st.x[reg] = st.x[reg] & !(((1u128 << w) - 1) << lane) | sign;
            }
        } else {
            st.mxcsr = 0x1f80 | if r.below(2) == 0 { 0 } else { r.below(64) as u32 };
        }
        // The memory operand: the same kind of values as xmm1.
        st.mem[..16].copy_from_slice(&st.x[1].to_le_bytes());
        c.check(&st);
    }
    c.done();
}
