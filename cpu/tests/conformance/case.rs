//! Cases, machine states and outcomes, and the one-line text form that reproduces a case.
//!
//! A case is instruction bytes placed at `CODE`, plus an initial state. The initial state
//! is `State::from_seed(seed)` with the data area filled by `fill_mem(seed)`, then the
//! overrides applied in order: the generator only spells out what it chose on purpose
//! (operand values, addresses, memory at the operand), the seed supplies everything else.
//!
//! Format v1 is frozen: `from_seed` and `fill_mem` must never change, because repro
//! lines in `regressions.txt` and recorded expectations name cases by seed. A different
//! state generator gets a new version tag.

use std::fmt::Write as _;

/// Guest (and, natively, host) addresses shared by both runners. All below 2 GiB so
/// absolute `[disp32]` operands reach them, and far from anything a Rust test binary maps.
pub const CTX: u64 = 0x2000_0000;
pub const STUB: u64 = 0x2001_0000;
pub const CODE: u64 = 0x2010_0000;
pub const DATA: u64 = 0x2020_0000;
/// Bytes of read-write data (four pages); the stack lives in here.
pub const DATA_RW: usize = 0x4000;
/// Read-write pages plus one read-only page; unmapped on both sides.
pub const DATA_SIZE: usize = 0x5000;
/// GS base on both sides, so gs-prefixed operands can be tested.
pub const GS_BASE: u64 = DATA + 0x800;
/// Exit slots: execution that ends at `E + SLOT * k` (E = end of the case bytes, k <
/// EXIT_SLOTS) finishes the case normally. Emulated: an int3 there. Native: a stub that
/// records k and jumps to the state saver.
pub const SLOT: u64 = 16;
pub const EXIT_SLOTS: u64 = 4;
/// Initial stack pointer region (middle of the data area).
pub const STACK: u64 = DATA + 0x2000;

pub const RFLAGS_ARITH: u64 = 0x8d5;
pub const DF: u64 = 1 << 10;
pub const ID: u64 = 1 << 21;

pub type F80 = (u64, u16);

/// Architectural state compared by the tester (x87 registers in physical order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    pub gpr: [u64; 16],
    pub rflags: u64,
    pub xmm: [u128; 16],
    /// Bits 128..255 of YMM0..15.
    pub ymmh: [u128; 16],
    pub mxcsr: u32,
    pub fcw: u16,
    /// Full status word, TOP in bits 11..13.
    pub fsw: u16,
    /// Abridged tag word: bit i = physical register i is valid.
    pub ftw: u8,
    pub st: [F80; 8],
}

/// splitmix64: tiny, fast, good enough, and trivially portable.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    #[inline]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    #[inline]
    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
    pub fn pick<T: Copy>(&mut self, s: &[T]) -> T {
        s[self.below(s.len() as u64) as usize]
    }
}

/// Integer values that break emulators, at width `bits` (zero-extended).
pub fn int_edge(r: &mut Rng, bits: u32) -> u64 {
    let m = if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let h = 1u64 << (bits - 1);
    let v = match r.below(24) {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => m,
        4 => m - 1,
        5 => h,
        6 => h - 1,
        7 => h + 1,
        8 => r.pick(&[0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x1_0000]),
        9 => r.pick(&[0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x8000_0000_0000_0000]),
        10 => r.pick(&[3, 4, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 255]),
        11 => r.below(256),
        12 => m ^ r.below(256),
        13 => 1u64 << r.below(bits as u64),
        14 => !(1u64 << r.below(bits as u64)),
        _ => r.next(),
    };
    v & m
}

const F32_EDGES: [u32; 22] = [
    0,
    0x8000_0000,
    0x3f80_0000,
    0xbf80_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_0000,
    0x7f80_0001,
    0xff80_1234,
    0x7fc0_1234,
    1,
    0x007f_ffff,
    0x8000_0001,
    0x0080_0000,
    0x7f7f_ffff,
    0xff7f_ffff,
    0x3f00_0000,
    0x4b80_0000,
    0x4f00_0000,
    0xcf00_0000,
    0x5f00_0000,
];
const F64_EDGES: [u64; 22] = [
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0xfff8_0000_0000_0000,
    0x7ff0_0000_0000_0001,
    0xfff0_0000_1234_5678,
    0x7ff8_0000_0000_1234,
    1,
    0x000f_ffff_ffff_ffff,
    0x8000_0000_0000_0001,
    0x0010_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0xffef_ffff_ffff_ffff,
    0x3fe0_0000_0000_0000,
    0x41e0_0000_0000_0000,
    0xc1e0_0000_0000_0000,
    0x43e0_0000_0000_0000,
    0xc3e0_0000_0000_0000,
];

/// A 64-bit lane: two f32 edges, one f64 edge, an integer edge or random bits.
pub fn lane64(r: &mut Rng) -> u64 {
    match r.below(5) {
        0 => (r.pick(&F32_EDGES) as u64) | ((r.pick(&F32_EDGES) as u64) << 32),
        1 => {
            let f = |r: &mut Rng| if r.chance(2) { r.pick(&F32_EDGES) } else { r.next() as u32 };
            (f(r) as u64) | ((f(r) as u64) << 32)
        }
        2 => r.pick(&F64_EDGES),
        3 => int_edge(r, 64),
        _ => r.next(),
    }
}

pub fn vec128(r: &mut Rng) -> u128 {
    (lane64(r) as u128) | ((lane64(r) as u128) << 64)
}

/// x87 80-bit values: zeros, infinities, NaNs, the indefinite, denormals, pseudo-denormals,
/// unnormals, extremes and random normals.
pub fn f80_edge(r: &mut Rng) -> F80 {
    let s = if r.chance(2) { 0x8000 } else { 0 };
    let top = 1u64 << 63;
    match r.below(14) {
        0 => (0, s),
        1 => (top, s | 0x3fff),
        2 => (top, s | 0x7fff),
        3 => (top | (1 << 62), s | 0x7fff),
        4 => (top | 1, s | 0x7fff),
        5 => (top | (1 << 62), 0xffff),
        6 => (r.next() >> 1, s),
        7 => (top | r.next(), s),
        8 => (r.next() >> 1, s | (1 + r.below(0x7ffe) as u16)),
        9 => (u64::MAX, s | 0x7ffe),
        10 => (top, s | 1),
        11 => (top | r.next(), s | (0x3fff - 70 + r.below(140) as u16)),
        _ => (top | r.next(), s | (1 + r.below(0x7ffe) as u16)),
    }
}

impl State {
    /// The v1 seed-derived state. Frozen: see the module comment.
    pub fn from_seed(seed: u64) -> State {
        let mut r = Rng(seed ^ 0x5157_4154_4531);
        let mut gpr = [0u64; 16];
        for g in gpr.iter_mut() {
            *g = int_edge(&mut r, 64);
        }
        gpr[4] = STACK + (r.below(64) * 8);
        let rflags = 0x202 | (r.next() & RFLAGS_ARITH);
        let mut xmm = [0u128; 16];
        for x in xmm.iter_mut() {
            *x = vec128(&mut r);
        }
        // All exceptions masked; random rounding, FTZ, DAZ and sticky flags.
        let rc = r.below(4) as u32;
        let ftz = r.below(2) as u32;
        let daz = r.below(2) as u32;
        let mxcsr = 0x1f80 | (rc << 13) | (ftz << 15) | (daz << 6) | (r.next() as u32 & 0x3f);
        // All x87 exceptions masked; random precision (not the reserved 01) and rounding.
        let pc = r.pick(&[0u16, 2, 3]);
        let fcw = 0x007f | (pc << 8) | ((r.below(4) as u16) << 10);
        // Random TOP, condition codes and masked sticky flags; ES and B clear.
        let fsw = ((r.below(8) as u16) << 11) | (r.next() as u16 & 0x477f);
        let ftw = r.next() as u8;
        let mut st = [(0u64, 0u16); 8];
        for s in st.iter_mut() {
            *s = f80_edge(&mut r);
        }
        // The YMM upper halves come from their own stream, so the v1 fields above are
        // exactly what they always were.
        let mut r = Rng(seed ^ 0x594d_4d48_4931);
        let ymmh = std::array::from_fn(|_| vec128(&mut r));
        State { gpr, rflags, xmm, ymmh, mxcsr, fcw, fsw, ftw, st }
    }

    /// The FXSAVE (64-bit) image of the x87/SSE part of this state.
    pub fn fx_image(&self, out: &mut [u8; 512]) {
        out.fill(0);
        out[0..2].copy_from_slice(&self.fcw.to_le_bytes());
        out[2..4].copy_from_slice(&self.fsw.to_le_bytes());
        out[4] = self.ftw;
        out[24..28].copy_from_slice(&self.mxcsr.to_le_bytes());
        out[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
        let top = ((self.fsw >> 11) & 7) as usize;
        for i in 0..8 {
            let (m, se) = self.st[(top + i) & 7];
            out[32 + 16 * i..40 + 16 * i].copy_from_slice(&m.to_le_bytes());
            out[40 + 16 * i..42 + 16 * i].copy_from_slice(&se.to_le_bytes());
        }
        for i in 0..16 {
            out[160 + 16 * i..176 + 16 * i].copy_from_slice(&self.xmm[i].to_le_bytes());
        }
    }
}

/// Fills the data area image for `seed` (v1, frozen): mostly random words, one in four an
/// integer edge, one in eight a float-edge lane.
pub fn fill_mem(seed: u64, buf: &mut [u8]) {
    let mut r = Rng(seed ^ 0x4d45_4d31);
    for w in buf.chunks_exact_mut(8) {
        let v = match r.below(8) {
            0 | 1 => int_edge(&mut r, 64),
            2 => lane64(&mut r),
            _ => r.next(),
        };
        w.copy_from_slice(&v.to_le_bytes());
    }
}

/// An explicit part of a case's initial state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ov {
    Gpr(u8, u64),
    Flags(u64),
    Xmm(u8, u128),
    /// Bits 128..255 of a YMM register.
    Ymmh(u8, u128),
    Mxcsr(u32),
    Fcw(u16),
    Fsw(u16),
    Ftw(u8),
    /// Physical x87 register.
    St(u8, F80),
    /// Bytes at an offset from `DATA`.
    Mem(u32, Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub bytes: Vec<u8>,
    pub seed: u64,
    pub ov: Vec<Ov>,
}

impl Case {
    /// Builds the initial state and data image in place (no allocation: the native child
    /// calls this after fork).
    pub fn initial(&self, st: &mut State, mem: &mut [u8]) {
        *st = State::from_seed(self.seed);
        fill_mem(self.seed, mem);
        for o in &self.ov {
            match o {
                Ov::Gpr(i, v) => st.gpr[*i as usize] = *v,
                Ov::Flags(v) => st.rflags = *v,
                Ov::Xmm(i, v) => st.xmm[*i as usize] = *v,
                Ov::Ymmh(i, v) => st.ymmh[*i as usize] = *v,
                Ov::Mxcsr(v) => st.mxcsr = *v,
                Ov::Fcw(v) => st.fcw = *v,
                Ov::Fsw(v) => st.fsw = *v,
                Ov::Ftw(v) => st.ftw = *v,
                Ov::St(i, v) => st.st[*i as usize] = *v,
                Ov::Mem(off, b) => {
                    let o = *off as usize;
                    let n = b.len().min(mem.len().saturating_sub(o));
                    mem[o..o + n].copy_from_slice(&b[..n]);
                }
            }
        }
    }

    /// Address just past the case bytes: exit slot 0.
    pub fn end(&self) -> u64 {
        CODE + self.bytes.len() as u64
    }

    /// The one-line reproduction (without the disassembly comment).
    pub fn to_line(&self) -> String {
        let mut s = format!("v1 bytes={} seed={:x}", hex(&self.bytes), self.seed);
        for o in &self.ov {
            let _ = match o {
                Ov::Gpr(i, v) => write!(s, " r{i}={v:x}"),
                Ov::Flags(v) => write!(s, " fl={v:x}"),
                Ov::Xmm(i, v) => write!(s, " x{i}={v:x}"),
                Ov::Ymmh(i, v) => write!(s, " yh{i}={v:x}"),
                Ov::Mxcsr(v) => write!(s, " mxcsr={v:x}"),
                Ov::Fcw(v) => write!(s, " fcw={v:x}"),
                Ov::Fsw(v) => write!(s, " fsw={v:x}"),
                Ov::Ftw(v) => write!(s, " ftw={v:x}"),
                Ov::St(i, (m, se)) => write!(s, " st{i}={se:x}:{m:x}"),
                Ov::Mem(off, b) => write!(s, " m{off:x}={}", hex(b)),
            };
        }
        s
    }

    /// Parses a line written by `to_line` (anything after `#` is a comment).
    pub fn parse(line: &str) -> Result<Case, String> {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut toks = line.split_whitespace();
        if toks.next() != Some("v1") {
            return Err(format!("not a v1 case line: {line:?}"));
        }
        let mut c = Case { bytes: vec![], seed: 0, ov: vec![] };
        for t in toks {
            let (k, v) = t.split_once('=').ok_or_else(|| format!("bad token {t:?}"))?;
            let num = |v: &str| u128::from_str_radix(v, 16).map_err(|e| format!("{t}: {e}"));
            let idx = |p: &str| k[p.len()..].parse::<u8>().map_err(|e| format!("{t}: {e}"));
            match k {
                "bytes" => c.bytes = unhex(v)?,
                "seed" => c.seed = num(v)? as u64,
                "fl" => c.ov.push(Ov::Flags(num(v)? as u64)),
                "mxcsr" => c.ov.push(Ov::Mxcsr(num(v)? as u32)),
                "fcw" => c.ov.push(Ov::Fcw(num(v)? as u16)),
                "fsw" => c.ov.push(Ov::Fsw(num(v)? as u16)),
                "ftw" => c.ov.push(Ov::Ftw(num(v)? as u8)),
                _ if k.starts_with("st") => {
                    let (se, m) = v.split_once(':').ok_or("st needs se:mant")?;
                    c.ov.push(Ov::St(idx("st")?, (num(m)? as u64, num(se)? as u16)));
                }
                _ if k.starts_with("yh") => c.ov.push(Ov::Ymmh(idx("yh")?, num(v)?)),
                _ if k.starts_with('r') => c.ov.push(Ov::Gpr(idx("r")?, num(v)? as u64)),
                _ if k.starts_with('x') => c.ov.push(Ov::Xmm(idx("x")?, num(v)?)),
                _ if k.starts_with('m') => {
                    let off = u32::from_str_radix(&k[1..], 16).map_err(|e| format!("{t}: {e}"))?;
                    c.ov.push(Ov::Mem(off, unhex(v)?));
                }
                _ => return Err(format!("unknown key in {t:?}")),
            }
        }
        if c.bytes.is_empty() {
            return Err("case without bytes".into());
        }
        Ok(c)
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err(format!("odd hex {s:?}"));
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| e.to_string())).collect()
}

/// How a case ended. Filled the same way by both runners (natively inside the forked
/// child, so it is plain old data).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Outcome {
    pub kind: u32,
    /// Signal number (0 for a normal exit).
    pub sig: i32,
    /// si_code of the signal.
    pub code: i32,
    /// si_addr of SIGSEGV/SIGBUS.
    pub addr: u64,
    pub gpr: [u64; 16],
    pub rip: u64,
    pub rflags: u64,
    /// FXSAVE image of x87, MXCSR and XMM.
    pub fx: [u8; 512],
    /// Bits 128..255 of YMM0..15.
    pub ymmh: [u128; 16],
    /// Number of 8-byte data words that differ from the initial image.
    pub ndiff: u32,
    pub diff_off: [u32; MAX_DIFF],
    pub diff_val: [u64; MAX_DIFF],
}

pub const MAX_DIFF: usize = 48;

/// `Outcome::kind` values.
pub const K_EXIT: u32 = 0;
pub const K_SIGNAL: u32 = 1;
/// Native: the child died or hung on this case. Emulated: ran out of budget.
pub const K_LOST: u32 = 2;
/// Emulated only: emu raised #UD for an unimplemented form (allowed, never wrong).
pub const K_REFUSED: u32 = 3;

impl Default for Outcome {
    fn default() -> Self {
        Outcome {
            kind: K_LOST,
            sig: 0,
            code: 0,
            addr: 0,
            gpr: [0; 16],
            rip: 0,
            rflags: 0,
            fx: [0; 512],
            ymmh: [0; 16],
            ndiff: 0,
            diff_off: [0; MAX_DIFF],
            diff_val: [0; MAX_DIFF],
        }
    }
}

impl Outcome {
    /// Records the data words that changed between `before` and `after`.
    pub fn set_diff(&mut self, before: &[u8], after: &[u8]) {
        self.ndiff = 0;
        for (i, (a, b)) in before.chunks_exact(8).zip(after.chunks_exact(8)).enumerate() {
            if a != b {
                let n = self.ndiff as usize;
                if n < MAX_DIFF {
                    self.diff_off[n] = (i * 8) as u32;
                    self.diff_val[n] = u64::from_le_bytes(b.try_into().unwrap());
                }
                self.ndiff += 1;
            }
        }
    }
}

pub const GPR_NAMES: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
    "r15",
];
