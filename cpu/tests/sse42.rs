//! SSE4.2 instructions against the host CPU. The string compares run every imm8 on
//! every input: a stub holds 64 copies of the instruction (imm8 = base + i, one per
//! 16-byte slot) and jumps to slot `rcx & 63`, so one stub covers a quarter of the
//! imm8 space. Lengths for the explicit forms come from RAX and from RDX, which the stub
//! loads from memory at [rsi+48].
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod sse4_harness;
mod sse_harness;
use sse4_harness::*;
use sse_harness::*;

macro_rules! t {
    ($name:ident, $insn:expr) => {
        mod $name {
            use super::*;
            stub!($name, $insn);
            #[test]
            fn host() {
                let mut c = Checker::new(stringify!($name), $name);
                run_fp(&mut c, Kind::Int, 3000, 0x5e42 ^ line!() as u64);
                let mut c = Checker::new(stringify!($name), $name);
                run_lanes(&mut c, Kind::Int, 1000, 0x4a9e2 ^ line!() as u64);
            }
        }
    };
}

t!(pcmpgtq_rr, "pcmpgtq xmm0, xmm1");
t!(pcmpgtq_rm, "pcmpgtq xmm2, [rsi+16]");
t!(pcmpgtq_same, "pcmpgtq xmm3, xmm3");
t!(pcmpgtq_eq, "movdqa xmm1, xmm0\n pinsrq xmm1, rcx, 1\n pcmpgtq xmm0, xmm1");
t!(crc32_r32_r8, "crc32 eax, cl");
t!(crc32_r32_r8h, "crc32 eax, ch");
t!(crc32_r64_r8, "crc32 rax, cl");
t!(crc32_r32_r16, "crc32 eax, cx");
t!(crc32_r32_r32, "crc32 eax, ecx");
t!(crc32_r64_r64, "crc32 rax, rcx");
t!(crc32_r64_self, "crc32 rcx, rcx");
t!(crc32_r32_m8, "crc32 ecx, byte ptr [rsi+3]");
t!(crc32_r64_m8, "crc32 rcx, byte ptr [rsi+3]");
t!(crc32_r32_m16, "crc32 ecx, word ptr [rsi+5]");
t!(crc32_r32_m32, "crc32 eax, dword ptr [rsi+7]");
t!(crc32_r64_m64, "crc32 rax, qword ptr [rsi+9]");

/// A stub running `$insn` (bytes, ending before the imm8) with imm8 = `$base` + (rcx & 63).
macro_rules! s {
    ($name:ident, $insn:literal, $base:literal) => {
        mod $name {
            use super::*;
            stub!(
                $name,
                concat!(
                    "mov rdx, [rsi+48]\n mov r9d, ecx\n and r9d, 63\n shl r9d, 4\n",
                    "lea r8, [rip + 5f]\n add r8, r9\n jmp r8\n .balign 16\n 5:\n",
                    ".set IMMV, ",
                    $base,
                    "\n.rept 64\n",
                    $insn,
                    ", IMMV\n jmp 6f\n .balign 16\n .set IMMV, IMMV + 1\n.endr\n6:"
                )
            );
            #[test]
            fn host() {
                let mut c = Checker::new(stringify!($name), $name);
                run_str(&mut c, 2000, 0x57e1 ^ line!() as u64);
            }
        }
    };
}

/// Bytes likely to collide, NULs included.
const ALPHA: &[u8] = &[0, 0, b'a', b'b', b'c', b'a', 0x80, 0xff, 0x7f, 0x01, 0x61, 0x62];

fn rand_str(r: &mut Rng) -> [u8; 16] {
    let mut s = [0u8; 16];
    match r.below(4) {
        0 => s.iter_mut().for_each(|b| *b = r.next() as u8),
        1 => s.iter_mut().for_each(|b| *b = r.pick(&ALPHA[2..])),
        _ => s.iter_mut().for_each(|b| *b = r.pick(ALPHA)),
    }
    // A terminator at a random place (or none).
    let z = r.below(20) as usize;
    if z < 16 && r.below(2) == 0 {
        s[z] = 0;
        if r.below(2) == 0 && z + 1 < 16 {
            s[z + 1] = 0; // a whole zero word too
        }
    }
    s
}

fn rand_len(r: &mut Rng) -> u64 {
    match r.below(8) {
        0..=3 => r.below(18),
        4 => (r.below(40) as i64 - 20) as u64,
        5 => (r.below(40) as i32 - 20) as u32 as u64,
        6 => r.pick(&[
            0x8000_0000,
            0x7fff_ffff,
            0xffff_ffff,
            0x1_0000_0003,
            0xffff_ffff_0000_0005,
            0x8000_0000_0000_0000,
            u64::MAX,
            0xffff_fff0,
        ]),
        _ => r.next(),
    }
}

/// Each random string pair (xmm0 = src1, xmm1 and [rsi+1] = src2) with every imm8 of
/// the stub's block.
/// First every pair of lengths 0..=17 (explicit: RAX/RDX; implicit: a zero byte, or
/// zero word when `k` is odd, at that position), then random pairs.
fn run_str(c: &mut Checker, n: u64, seed: u64) {
    let mut r = Rng(seed | 1);
    for k in 0..2 * 18 * 18 {
        let (i, j) = ((k / 2) / 18, (k / 2) % 18);
        let mut st = rand_state(&mut r, Kind::Int);
        let mut a = rand_str(&mut r);
        let mut b = rand_str(&mut r);
        for (s, z) in [(&mut a, i), (&mut b, j)] {
            s.iter_mut().for_each(|x| *x |= (*x == 0) as u8);
            if z < 16 {
                s[z] = 0;
                if k % 2 == 1 {
                    s[z ^ 1] = 0;
                }
            }
        }
        if r.below(2) == 0 {
            b[..i.min(16)].copy_from_slice(&a[..i.min(16)]);
        }
        st.x[0] = u128::from_le_bytes(a);
        st.x[1] = u128::from_le_bytes(b);
        st.mem[1..17].copy_from_slice(&b);
        st.rax = i as u64;
        st.mem[48..56].copy_from_slice(&(j as u64).to_le_bytes());
        for sel in 0..64 {
            st.rcx = sel | (r.next() & !63);
            c.check(&st);
        }
    }
    for _ in 0..n {
        let mut st = rand_state(&mut r, Kind::Int);
        let a = rand_str(&mut r);
        let mut b = rand_str(&mut r);
        if r.below(3) == 0 {
            // src2 contains (part of) src1.
            let off = r.below(16) as usize;
            let len = r.below(8) as usize;
            for k in 0..len {
                if off + k < 16 {
                    b[off + k] = a[k];
                }
            }
        }
        st.x[0] = u128::from_le_bytes(a);
        st.x[1] = u128::from_le_bytes(b);
        st.mem[1..17].copy_from_slice(&b);
        st.rax = rand_len(&mut r);
        st.mem[48..56].copy_from_slice(&rand_len(&mut r).to_le_bytes());
        for sel in 0..64 {
            st.rcx = sel | (r.next() & !63);
            c.check(&st);
        }
    }
    c.done();
}

s!(pcmpestri_r_0, ".byte 0x66, 0x0f, 0x3a, 0x61, 0xc1", "0");
s!(pcmpestri_r_64, ".byte 0x66, 0x0f, 0x3a, 0x61, 0xc1", "64");
s!(pcmpestri_r_128, ".byte 0x66, 0x0f, 0x3a, 0x61, 0xc1", "128");
s!(pcmpestri_r_192, ".byte 0x66, 0x0f, 0x3a, 0x61, 0xc1", "192");
s!(pcmpestri_m_0, ".byte 0x66, 0x0f, 0x3a, 0x61, 0x46, 0x01", "0");
s!(pcmpestri_m_64, ".byte 0x66, 0x0f, 0x3a, 0x61, 0x46, 0x01", "64");
s!(pcmpestri64_r_0, ".byte 0x66, 0x48, 0x0f, 0x3a, 0x61, 0xc1", "0");
s!(pcmpestri64_r_64, ".byte 0x66, 0x48, 0x0f, 0x3a, 0x61, 0xc1", "64");
s!(pcmpestrm_r_0, ".byte 0x66, 0x0f, 0x3a, 0x60, 0xc1", "0");
s!(pcmpestrm_r_64, ".byte 0x66, 0x0f, 0x3a, 0x60, 0xc1", "64");
s!(pcmpestrm_r_128, ".byte 0x66, 0x0f, 0x3a, 0x60, 0xc1", "128");
s!(pcmpestrm_r_192, ".byte 0x66, 0x0f, 0x3a, 0x60, 0xc1", "192");
s!(pcmpestrm_m_0, ".byte 0x66, 0x0f, 0x3a, 0x60, 0x46, 0x01", "0");
s!(pcmpestrm_m_64, ".byte 0x66, 0x0f, 0x3a, 0x60, 0x46, 0x01", "64");
s!(pcmpestrm64_r_0, ".byte 0x66, 0x48, 0x0f, 0x3a, 0x60, 0xc1", "0");
s!(pcmpestrm64_r_64, ".byte 0x66, 0x48, 0x0f, 0x3a, 0x60, 0xc1", "64");
s!(pcmpistri_r_0, ".byte 0x66, 0x0f, 0x3a, 0x63, 0xc1", "0");
s!(pcmpistri_r_64, ".byte 0x66, 0x0f, 0x3a, 0x63, 0xc1", "64");
s!(pcmpistri_r_128, ".byte 0x66, 0x0f, 0x3a, 0x63, 0xc1", "128");
s!(pcmpistri_r_192, ".byte 0x66, 0x0f, 0x3a, 0x63, 0xc1", "192");
s!(pcmpistri_m_0, ".byte 0x66, 0x0f, 0x3a, 0x63, 0x46, 0x01", "0");
s!(pcmpistri_m_64, ".byte 0x66, 0x0f, 0x3a, 0x63, 0x46, 0x01", "64");
s!(pcmpistrm_r_0, ".byte 0x66, 0x0f, 0x3a, 0x62, 0xc1", "0");
s!(pcmpistrm_r_64, ".byte 0x66, 0x0f, 0x3a, 0x62, 0xc1", "64");
s!(pcmpistrm_r_128, ".byte 0x66, 0x0f, 0x3a, 0x62, 0xc1", "128");
s!(pcmpistrm_r_192, ".byte 0x66, 0x0f, 0x3a, 0x62, 0xc1", "192");
s!(pcmpistrm_m_0, ".byte 0x66, 0x0f, 0x3a, 0x62, 0x46, 0x01", "0");
s!(pcmpistrm_m_64, ".byte 0x66, 0x0f, 0x3a, 0x62, 0x46, 0x01", "64");
s!(pcmpistrm_x2_0, ".byte 0x66, 0x0f, 0x3a, 0x62, 0xd3", "0");
s!(pcmpistri_x2_64, ".byte 0x66, 0x0f, 0x3a, 0x63, 0xda", "64");
