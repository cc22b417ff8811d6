//! Differential harness for MMX instructions: each instruction is assembled once into a
//! native stub that loads a whole FXSAVE image (x87 registers, TOP, tags, control and
//! status words, MXCSR, XMM0-15) plus RAX, RCX, RDX and RFLAGS, runs the instruction,
//! and stores FXSAVE and FNSAVE images after it. The same instruction bytes run under
//! emu from the same state. Compared: the FXSAVE image (all but MXCSR_MASK, which
//! differs by design), the full FNSAVE tag word, the three GPRs, the arithmetic flags
//! and 64 bytes of memory at [rsi] (= [rdi], for MASKMOVQ).
//!
//! The input never has an unmasked x87 or SIMD exception pending or enabled, so the
//! host never traps; `mmx_faults.rs` covers those cases.

#![allow(dead_code)]

use emu_cpu::mem::VmaInfo;
use emu_cpu::{AddressSpace, Cpu, Perm, Reg};

/// Offsets in the stub's data block.
pub const IN: usize = 0x000;
pub const OUT: usize = 0x200;
pub const SAVE: usize = 0x400;
pub const GPR: usize = 0x600;
pub const FNSAVE: usize = 0x620;
pub const MEM: usize = 0x700;
pub const SIZE: usize = 0x800;

#[repr(C, align(64))]
pub struct Block(pub [u8; SIZE]);

#[repr(C)]
pub struct Pair(pub u64, pub u64);

pub type Stub = unsafe extern "C" fn(*mut u8) -> Pair;

/// Defines `$name`: a native stub running `$insn` on a `Block`, which called with a null
/// pointer returns the address range of the instruction bytes.
#[macro_export]
macro_rules! mmx_stub {
    ($name:ident, $insn:expr) => {
        std::arch::global_asm!(concat!(
            ".text\n.globl ",
            stringify!($name),
            "\n",
            stringify!($name),
            ":\n",
            "test rdi, rdi\n jnz 4f\n lea rax, [rip + 2f]\n lea rdx, [rip + 3f]\n ret\n",
            "4:\n push rbx\n mov rbx, rdi\n fxsave64 [rbx+0x400]\n fxrstor64 [rbx]\n",
            "mov rax, [rbx+0x600]\n mov rcx, [rbx+0x608]\n mov rdx, [rbx+0x610]\n",
            "push qword ptr [rbx+0x618]\n popfq\n lea rsi, [rbx+0x700]\n mov rdi, rsi\n",
            "2:\n",
            $insn,
            "\n3:\n",
            "mov [rbx+0x600], rax\n mov [rbx+0x608], rcx\n mov [rbx+0x610], rdx\n",
            "pushfq\n pop qword ptr [rbx+0x618]\n fxsave64 [rbx+0x200]\n fnsave [rbx+0x620]\n",
            "fxrstor64 [rbx+0x400]\n pop rbx\n ret\n"
        ));
        extern "C" {
            fn $name(b: *mut u8) -> $crate::mmx_harness::Pair;
        }
    };
}

/// The machine state an instruction starts from. `regs` are the physical x87 registers
/// R0..R7 as (significand, sign+exponent).
#[derive(Clone, Debug)]
pub struct Case {
    pub regs: [(u64, u16); 8],
    pub top: u8,
    /// Abridged tag word: bit i set = Ri valid.
    pub tags: u8,
    pub fcw: u16,
    pub fsw: u16,
    pub mxcsr: u32,
    pub xmm: [u128; 16],
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub flags: u64,
    pub mem: [u8; 64],
}

impl Default for Case {
    fn default() -> Case {
        Case {
            regs: [(0, 0); 8],
            top: 0,
            tags: 0,
            fcw: 0x037f,
            fsw: 0,
            mxcsr: 0x1f80,
            xmm: [0; 16],
            rax: 0,
            rcx: 0,
            rdx: 0,
            flags: 0x202,
            mem: [0; 64],
        }
    }
}

impl Case {
    /// The FXSAVE64 image of the state (the ST slots are in stack order).
    pub fn image(&self) -> [u8; 512] {
        let mut b = [0u8; 512];
        b[0..2].copy_from_slice(&self.fcw.to_le_bytes());
        let fsw = (self.fsw & !0x3800) | (self.top as u16 & 7) << 11;
        b[2..4].copy_from_slice(&fsw.to_le_bytes());
        b[4] = self.tags;
        b[24..28].copy_from_slice(&self.mxcsr.to_le_bytes());
        b[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
        for j in 0..8 {
            let (m, se) = self.regs[(self.top as usize + j) & 7];
            b[32 + 16 * j..40 + 16 * j].copy_from_slice(&m.to_le_bytes());
            b[40 + 16 * j..42 + 16 * j].copy_from_slice(&se.to_le_bytes());
        }
        for (i, x) in self.xmm.iter().enumerate() {
            b[160 + 16 * i..176 + 16 * i].copy_from_slice(&x.to_le_bytes());
        }
        b
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Out {
    /// Bytes 0..416 of the FXSAVE image, MXCSR_MASK zeroed.
    pub fx: Vec<u8>,
    pub tag_word: u16,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub flags: u64,
    pub mem: [u8; 64],
    pub exit: String,
}

/// Status flags compared (CF PF AF ZF SF OF).
const FLAG_MASK: u64 = 0x8d5;

fn fx_of(img: &[u8]) -> Vec<u8> {
    let mut v = img[..416].to_vec();
    v[28..32].fill(0);
    v
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

pub fn native(stub: Stub, c: &Case) -> Out {
    let mut blk = Box::new(Block([0; SIZE]));
    let b = &mut blk.0;
    b[IN..IN + 512].copy_from_slice(&c.image());
    b[GPR..GPR + 8].copy_from_slice(&c.rax.to_le_bytes());
    b[GPR + 8..GPR + 16].copy_from_slice(&c.rcx.to_le_bytes());
    b[GPR + 16..GPR + 24].copy_from_slice(&c.rdx.to_le_bytes());
    b[GPR + 24..GPR + 32].copy_from_slice(&c.flags.to_le_bytes());
    b[MEM..MEM + 64].copy_from_slice(&c.mem);
    // SAFETY: the stub touches only the block (and restores the FPU/SSE state it found).
    unsafe { stub(b.as_mut_ptr()) };
    let mut mem = [0u8; 64];
    mem.copy_from_slice(&b[MEM..MEM + 64]);
    Out {
        fx: fx_of(&b[OUT..OUT + 512]),
        tag_word: u16::from_le_bytes([b[FNSAVE + 8], b[FNSAVE + 9]]),
        rax: u64_at(b, GPR),
        rcx: u64_at(b, GPR + 8),
        rdx: u64_at(b, GPR + 16),
        flags: u64_at(b, GPR + 24) & FLAG_MASK,
        mem,
        exit: "Breakpoint".into(),
    }
}

pub const CODE: u64 = 0x40_0000;
pub const DATA: u64 = 0x50_0000;
pub const STACK: u64 = 0x60_0000;

pub struct Emu {
    pub cpu: Cpu,
}

impl Emu {
    pub fn new(stub: Stub) -> Emu {
        // SAFETY: a null pointer makes the stub return its instruction range.
        let Pair(b, e) = unsafe { stub(std::ptr::null_mut()) };
        // SAFETY: the range lies within the stub's text.
        let bytes = unsafe { std::slice::from_raw_parts(b as *const u8, (e - b) as usize) }.to_vec();
        Emu::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Emu {
        let mut mem = AddressSpace::new();
        mem.map(CODE, 0x1000, Perm::RX, VmaInfo::anon()).unwrap();
        mem.map(DATA, 0x1000, Perm::RW, VmaInfo::anon()).unwrap();
        mem.map(STACK, 0x1000, Perm::RW, VmaInfo::anon()).unwrap();
        let mut code = bytes.to_vec();
        code.push(0xcc);
        mem.poke(CODE, &code).unwrap();
        Emu { cpu: Cpu::new(mem) }
    }

    pub fn start(&mut self, c: &Case) {
        let cpu = &mut self.cpu;
        cpu.fxrstor_image(&c.image());
        cpu.set_reg(Reg::Rax, c.rax);
        cpu.set_reg(Reg::Rcx, c.rcx);
        cpu.set_reg(Reg::Rdx, c.rdx);
        cpu.set_reg(Reg::Rsi, DATA);
        cpu.set_reg(Reg::Rdi, DATA);
        cpu.set_reg(Reg::Rsp, STACK + 0x800);
        cpu.set_rflags(c.flags);
        cpu.mem.write(DATA, &c.mem).unwrap();
        cpu.rip = CODE;
    }

    pub fn run(&mut self, c: &Case) -> Out {
        self.start(c);
        let exit = self.cpu.run();
        self.out(format!("{exit:?}"))
    }

    pub fn out(&mut self, exit: String) -> Out {
        let cpu = &mut self.cpu;
        let mut mem = [0u8; 64];
        cpu.mem.read(DATA, &mut mem).unwrap();
        Out {
            fx: fx_of(&cpu.fxsave_image()),
            tag_word: cpu.x87.tag_word(),
            rax: cpu.reg(Reg::Rax),
            rcx: cpu.reg(Reg::Rcx),
            rdx: cpu.reg(Reg::Rdx),
            flags: cpu.rflags() & FLAG_MASK,
            mem,
            exit,
        }
    }
}

pub fn describe(o: &Out) -> String {
    let w = |i: usize| u16::from_le_bytes([o.fx[i], o.fx[i + 1]]);
    let mut s = format!(
        "fcw={:04x} fsw={:04x} ftw={:02x} tw={:04x} mxcsr={:08x} rax={:x} rcx={:x} rdx={:x} fl={:x} exit={}\n    st:",
        w(0),
        w(2),
        o.fx[4],
        o.tag_word,
        u32::from_le_bytes(o.fx[24..28].try_into().unwrap()),
        o.rax,
        o.rcx,
        o.rdx,
        o.flags,
        o.exit
    );
    for j in 0..8 {
        s += &format!(" {:04x}:{:016x}", w(40 + 16 * j), u64_at(&o.fx, 32 + 16 * j));
    }
    s += "\n    xmm0-3:";
    for i in 0..4 {
        s += &format!(" {:032x}", u128::from_le_bytes(o.fx[160 + 16 * i..176 + 16 * i].try_into().unwrap()));
    }
    s += &format!("\n    mem: {:02x?}", &o.mem[..24]);
    if o.fx[6..24].iter().any(|&b| b != 0) {
        s += &format!("\n    fop/fip/fdp: {:02x?}", &o.fx[6..24]);
    }
    s
}

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

    pub fn check(&mut self, c: &Case) {
        self.cases += 1;
        let want = native(self.stub, c);
        let got = self.emu.run(c);
        if want != got {
            self.fails += 1;
            if self.fails <= 8 {
                eprintln!("{} MISMATCH", self.name);
                eprintln!("  in  : {}", describe(&input_out(c)));
                eprintln!("  want: {}", describe(&want));
                eprintln!("  got : {}", describe(&got));
            }
        }
    }

    pub fn done(&self) {
        assert_eq!(self.fails, 0, "{}: {} of {} cases differ", self.name, self.fails, self.cases);
        assert!(self.cases > 0);
    }
}

/// The input state shown in the `Out` format (for mismatch reports).
fn input_out(c: &Case) -> Out {
    Out {
        fx: fx_of(&c.image()),
        tag_word: 0,
        rax: c.rax,
        rcx: c.rcx,
        rdx: c.rdx,
        flags: c.flags & FLAG_MASK,
        mem: c.mem,
        exit: String::new(),
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

/// 64-bit values with lane structure: random, byte/word/dword edges, shift counts.
pub fn rand_u64(r: &mut Rng) -> u64 {
    match r.below(9) {
        0 | 1 => r.next(),
        2 => (0..8)
            .fold(0, |v, i| v | (r.pick(&[0u8, 1, 0x7f, 0x80, 0xff, 0xfe, 0x81, 0x40]) as u64) << (8 * i)),
        3 => (0..4).fold(0, |v, i| {
            v | (r.pick(&[0u16, 1, 0x7fff, 0x8000, 0xffff, 0x00ff, 0xff00, 0x8001, 0x7f80, 0xff7f]) as u64)
                << (16 * i)
        }),
        4 => (0..2).fold(0, |v, i| {
            v | (r.pick(&[
                0u32,
                1,
                0x7fff_ffff,
                0x8000_0000,
                0xffff_ffff,
                0x0000_8000,
                0xffff_7fff,
                0x0001_0000,
            ]) as u64)
                << (32 * i)
        }),
        5 => r.below(80),
        6 => r.pick(&[64u64, 65, 255, 256, 0x1_0000_0001, 1 << 32, u64::MAX, 1 << 63, 15, 16, 31, 32, 63]),
        7 => (0..8).fold(0, |v, i| v | ((r.next() as u8 & 0x8f) as u64) << (8 * i)),
        _ => {
            (r.next() as i32 as i64 >> r.below(32)) as u64 & 0xffff_ffff
                | (r.next() as i32 as i64 as u64) << 32
        }
    }
}

pub fn rand_gpr(r: &mut Rng) -> u64 {
    match r.below(5) {
        0 => r.pick(&[0u64, 1, u64::MAX, 0x8000_0000, 0x7fff_ffff, 0x8000_0000_0000_0000, 0xffff]),
        1 => r.next() as u32 as u64,
        2 => rand_u64(r),
        3 => r.next() >> r.below(64),
        _ => r.next(),
    }
}

pub const F32_EDGE: &[u32] = &[
    0x0000_0000,
    0x8000_0000,
    0x3f80_0000,
    0xbf80_0000,
    0x3fc0_0000,
    0xbfc0_0000,
    0x4020_0000,
    0xc020_0000,
    0x3f00_0000,
    0xbf00_0000,
    0x3eff_ffff,
    0x3f7f_ffff,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_0000,
    0x7f80_0001,
    0x0000_0001,
    0x807f_ffff,
    0x4f00_0000,
    0x4eff_ffff,
    0xcf00_0000,
    0xcf00_0001,
    0x4f80_0000,
    0x7f7f_ffff,
    0x4b00_0001,
    0xcb7f_ffff,
];

pub const F64_EDGE: &[u64] = &[
    0x0000_0000_0000_0000,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff8_0000_0000_0000,
    0x4004_0000_0000_0000,
    0xc004_0000_0000_0000,
    0x3fe0_0000_0000_0000,
    0xbfe0_0000_0000_0000,
    0x3fdf_ffff_ffff_ffff,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0x7ff0_0000_0000_0001,
    0x0000_0000_0000_0001,
    0x41df_ffff_ffc0_0000,
    0x41df_ffff_ffe0_0000,
    0x41df_ffff_ffff_ffff,
    0x41e0_0000_0000_0000,
    0xc1e0_0000_0000_0000,
    0xc1e0_0000_0010_0000,
    0xc1e0_0000_0020_0000,
    0xc1e0_0000_0000_0001,
    0x4330_0000_0000_0001,
    0x7fef_ffff_ffff_ffff,
];

pub fn rand_f32(r: &mut Rng) -> u32 {
    if r.below(4) == 0 {
        return r.pick(F32_EDGE);
    }
    let e = match r.below(5) {
        0 => r.below(256) as u32,
        1 => 0x7e + r.below(4) as u32,
        2 => 0x9a + r.below(8) as u32,
        _ => 0x7f + r.below(32) as u32,
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
    let e = match r.below(5) {
        0 => r.below(0x800),
        1 => 0x3fe + r.below(4),
        2 => 0x41a + r.below(8),
        _ => 0x3ff + r.below(32),
    };
    let m = match r.below(3) {
        0 => r.next() & 0xf_ffff_ffff_ffff,
        1 => (r.next() & 0xf_ffff_ffff_ffff) & !((1u64 << r.below(52)) - 1),
        _ => (r.next() & 0xf_ffff_ffff_ffff) & !0xffff_ffff,
    };
    r.below(2) << 63 | e << 52 | m
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Int,
    F32,
    F64,
}

fn rand_qword(r: &mut Rng, k: Kind) -> u64 {
    match k {
        Kind::Int => rand_u64(r),
        Kind::F32 => rand_f32(r) as u64 | (rand_f32(r) as u64) << 32,
        Kind::F64 => rand_f64(r),
    }
}

/// MXCSR with every exception masked: each rounding mode, FTZ, some sticky flags.
pub fn rand_mxcsr(r: &mut Rng) -> u32 {
    let rc = (r.below(4) as u32) << 13;
    let fz = if r.below(4) == 0 { 0x8000 } else { 0 };
    let sticky = if r.below(4) == 0 { r.below(64) as u32 } else { 0 };
    0x1f80 | rc | fz | sticky
}

pub fn rand_case(r: &mut Rng, k: Kind) -> Case {
    let mut c = Case::default();
    for reg in c.regs.iter_mut() {
        let se = match r.below(5) {
            0 => 0xffff,
            1 => 0,
            2 => 0x3fff,
            3 => 0x7fff,
            _ => r.next() as u16,
        };
        *reg = (rand_u64(r), se);
    }
    c.top = r.below(8) as u8;
    c.tags = match r.below(4) {
        0 => 0,
        1 => 0xff,
        _ => r.next() as u8,
    };
    // All x87 exceptions masked, any PC/RC; status flags that cannot be pending.
    c.fcw = 0x007f | (r.below(16) as u16) << 8;
    c.fsw = (r.next() as u16) & 0x477f;
    c.mxcsr = rand_mxcsr(r);
    for x in c.xmm.iter_mut().take(4) {
        *x = rand_qword(r, k) as u128 | (rand_qword(r, k) as u128) << 64;
    }
    for x in c.xmm.iter_mut().skip(4) {
        *x = r.next() as u128 | (r.next() as u128) << 64;
    }
    c.rax = rand_gpr(r);
    c.rcx = rand_gpr(r);
    c.rdx = rand_gpr(r);
    c.flags = 0x202 | (r.next() & FLAG_MASK);
    for i in 0..8 {
        let v = if r.below(4) == 0 { rand_u64(r) } else { rand_qword(r, k) };
        c.mem[8 * i..8 * i + 8].copy_from_slice(&v.to_le_bytes());
    }
    c
}

pub const INT_EDGE: &[u64] = &[
    0,
    1,
    u64::MAX,
    0x8000_0000_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8080_8080_8080_8080,
    0x7f7f_7f7f_7f7f_7f7f,
    0x8000_8000_8000_8000,
    0x7fff_7fff_7fff_7fff,
    0x8000_0000_8000_0000,
    0x7fff_ffff_7fff_ffff,
    0x00ff_00ff_00ff_00ff,
    0xff00_ff00_ff00_ff00,
    0x0123_4567_89ab_cdef,
    0xfedc_ba98_7654_3210,
    15,
    16,
    31,
    32,
    63,
    64,
    0xffff_ffff,
    0x1_0000_0000,
];

/// Every pair (a, b) of edge values, then `n` random states. For a pair, every even MM
/// register holds a and every odd one b; the memory qwords alternate b, a; the XMM
/// registers hold a in the low lane and b in the high one. So `op mm0, mm1` and
/// `op mm2, [rsi]` see (a, b), and `op mm0, xmm1` sees the lanes (a, b).
pub fn run(c: &mut Checker, k: Kind, n: u64, seed: u64) {
    let mut r = Rng(seed | 1);
    let edges: Vec<u64> = match k {
        Kind::Int => INT_EDGE.to_vec(),
        Kind::F32 => {
            let e = F32_EDGE;
            (0..e.len()).map(|i| e[i] as u64 | (e[(i * 7 + 3) % e.len()] as u64) << 32).collect()
        }
        Kind::F64 => F64_EDGE.to_vec(),
    };
    for &a in &edges {
        for &b in &edges {
            let mut st = rand_case(&mut r, k);
            for (i, reg) in st.regs.iter_mut().enumerate() {
                reg.0 = if i % 2 == 0 { a } else { b };
            }
            for i in 0..8 {
                let v = if i % 2 == 0 { b } else { a };
                st.mem[8 * i..8 * i + 8].copy_from_slice(&v.to_le_bytes());
            }
            for x in st.xmm.iter_mut().take(4) {
                *x = a as u128 | (b as u128) << 64;
            }
            c.check(&st);
        }
    }
    for _ in 0..n {
        let st = rand_case(&mut r, k);
        c.check(&st);
    }
    c.done();
}
