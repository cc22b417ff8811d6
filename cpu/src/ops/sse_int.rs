//! SSE2 packed integer arithmetic on XMM registers: PADD/PSUB (B W D Q, signed and
//! unsigned saturating), PMULLW PMULHW PMULHUW PMULUDQ PMADDWD, PAVGB PAVGW, PMINUB
//! PMAXUB PMINSW PMAXSW, PSADBW, PCMPEQ/PCMPGT (B W D), PAND PANDN POR PXOR, PACKSSWB
//! PACKSSDW PACKUSWB, PSLL/PSRL (W D Q) PSRA (W D) with immediate or XMM/m128 counts,
//! PSLLDQ PSRLDQ. (Intel SDM Vol. 2, each mnemonic.) MMX-register forms are not here.

use super::sse_fp::{build_logic, AND, ANDN, OR, XOR};
use super::sse_mov::{build_shuf, Shuf};
use super::Table;
use crate::decode::{Flow, Handler, Op};
use crate::exec::and_next;
use crate::state::Cpu;
use iced_x86::{Code, Instruction};

// The element loops run on byte arrays behind a call (`map8`/`map16`/`map32`): LLVM turns
// a loop over arrays it loads into one vector instruction (PCMPEQB, PMULHW... on x86-64,
// their NEON counterparts on aarch64), but splits a u128 held in registers into its bytes
// with shifts and runs the loop a byte at a time (~150 instructions for PCMPEQB, against
// ~20 with the call). `#[inline(never)]` keeps the arrays in memory.

#[inline(never)]
fn map8<F: Fn(u8, u8) -> u8>(a: &[u8; 16], b: &[u8; 16], f: F) -> [u8; 16] {
    let mut r = [0u8; 16];
    for i in 0..16 {
        r[i] = f(a[i], b[i]);
    }
    r
}

#[inline(never)]
fn map16<F: Fn(u16, u16) -> u16>(a: &[u8; 16], b: &[u8; 16], f: F) -> [u8; 16] {
    let mut r = [0u8; 16];
    for i in 0..8 {
        let x = u16::from_le_bytes([a[2 * i], a[2 * i + 1]]);
        let y = u16::from_le_bytes([b[2 * i], b[2 * i + 1]]);
        r[2 * i..2 * i + 2].copy_from_slice(&f(x, y).to_le_bytes());
    }
    r
}

#[inline(never)]
fn map32<F: Fn(u32, u32) -> u32>(a: &[u8; 16], b: &[u8; 16], f: F) -> [u8; 16] {
    let mut r = [0u8; 16];
    for i in 0..4 {
        let x = u32::from_le_bytes([a[4 * i], a[4 * i + 1], a[4 * i + 2], a[4 * i + 3]]);
        let y = u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
        r[4 * i..4 * i + 4].copy_from_slice(&f(x, y).to_le_bytes());
    }
    r
}

#[inline(always)]
fn m8(a: u128, b: u128, f: impl Fn(u8, u8) -> u8) -> u128 {
    u128::from_le_bytes(map8(&a.to_le_bytes(), &b.to_le_bytes(), f))
}

#[inline(always)]
fn w16(v: u128) -> [u16; 8] {
    let mut r = [0u16; 8];
    for (i, x) in r.iter_mut().enumerate() {
        *x = (v >> (16 * i)) as u16;
    }
    r
}

#[inline(always)]
fn from16(r: [u16; 8]) -> u128 {
    r.iter().enumerate().fold(0u128, |v, (i, &x)| v | (x as u128) << (16 * i))
}

#[inline(always)]
fn d32(v: u128) -> [u32; 4] {
    [v as u32, (v >> 32) as u32, (v >> 64) as u32, (v >> 96) as u32]
}

#[inline(always)]
fn from32(r: [u32; 4]) -> u128 {
    r[0] as u128 | (r[1] as u128) << 32 | (r[2] as u128) << 64 | (r[3] as u128) << 96
}

#[inline(always)]
fn m16(a: u128, b: u128, f: impl Fn(u16, u16) -> u16) -> u128 {
    u128::from_le_bytes(map16(&a.to_le_bytes(), &b.to_le_bytes(), f))
}

#[inline(always)]
fn m32(a: u128, b: u128, f: impl Fn(u32, u32) -> u32) -> u128 {
    u128::from_le_bytes(map32(&a.to_le_bytes(), &b.to_le_bytes(), f))
}

#[inline(always)]
fn m64(a: u128, b: u128, f: impl Fn(u64, u64) -> u64) -> u128 {
    f(a as u64, b as u64) as u128 | (f((a >> 64) as u64, (b >> 64) as u64) as u128) << 64
}

macro_rules! op {
    ($name:ident, |$a:ident, $b:ident| $body:expr) => {
        pub(super) struct $name;
        impl Shuf for $name {
            #[inline(always)]
            fn f($a: u128, $b: u128, _: u8) -> u128 {
                $body
            }
        }
    };
}

#[inline(always)]
fn mask8(t: bool) -> u8 {
    (t as u8).wrapping_neg()
}

#[inline(always)]
fn mask16(t: bool) -> u16 {
    (t as u16).wrapping_neg()
}

#[inline(always)]
fn mask32(t: bool) -> u32 {
    (t as u32).wrapping_neg()
}

op!(Paddb, |a, b| m8(a, b, u8::wrapping_add));
op!(Paddw, |a, b| m16(a, b, u16::wrapping_add));
op!(Paddd, |a, b| m32(a, b, u32::wrapping_add));
op!(Paddq, |a, b| m64(a, b, u64::wrapping_add));
op!(Psubb, |a, b| m8(a, b, u8::wrapping_sub));
op!(Psubw, |a, b| m16(a, b, u16::wrapping_sub));
op!(Psubd, |a, b| m32(a, b, u32::wrapping_sub));
op!(Psubq, |a, b| m64(a, b, u64::wrapping_sub));
op!(Paddsb, |a, b| m8(a, b, |x, y| (x as i8).saturating_add(y as i8) as u8));
op!(Paddsw, |a, b| m16(a, b, |x, y| (x as i16).saturating_add(y as i16) as u16));
op!(Paddusb, |a, b| m8(a, b, u8::saturating_add));
op!(Paddusw, |a, b| m16(a, b, u16::saturating_add));
op!(Psubsb, |a, b| m8(a, b, |x, y| (x as i8).saturating_sub(y as i8) as u8));
op!(Psubsw, |a, b| m16(a, b, |x, y| (x as i16).saturating_sub(y as i16) as u16));
op!(Psubusb, |a, b| m8(a, b, u8::saturating_sub));
op!(Psubusw, |a, b| m16(a, b, u16::saturating_sub));

op!(Pmullw, |a, b| m16(a, b, |x, y| x.wrapping_mul(y)));
op!(Pmulhw, |a, b| m16(a, b, |x, y| ((x as i16 as i32 * y as i16 as i32) >> 16) as u16));
op!(Pmulhuw, |a, b| m16(a, b, |x, y| ((x as u32 * y as u32) >> 16) as u16));
op!(Pmuludq, |a, b| m64(a, b, |x, y| (x as u32 as u64) * (y as u32 as u64)));
op!(Pmaddwd, |a, b| {
    let (x, y) = (w16(a), w16(b));
    let p = |i: usize| (x[i] as i16 as i32) * (y[i] as i16 as i32);
    // Only 0x8000*0x8000 twice overflows; hardware wraps it to 0x80000000.
    from32([0, 1, 2, 3].map(|i| p(2 * i).wrapping_add(p(2 * i + 1)) as u32))
});

op!(Pavgb, |a, b| m8(a, b, |x, y| ((x as u16 + y as u16 + 1) >> 1) as u8));
op!(Pavgw, |a, b| m16(a, b, |x, y| ((x as u32 + y as u32 + 1) >> 1) as u16));
op!(Pminub, |a, b| m8(a, b, u8::min));
op!(Pmaxub, |a, b| m8(a, b, u8::max));
op!(Pminsw, |a, b| m16(a, b, |x, y| (x as i16).min(y as i16) as u16));
op!(Pmaxsw, |a, b| m16(a, b, |x, y| (x as i16).max(y as i16) as u16));
op!(Psadbw, |a, b| {
    let (x, y) = (a.to_le_bytes(), b.to_le_bytes());
    let sad = |h: usize| (0..8).map(|i| x[8 * h + i].abs_diff(y[8 * h + i]) as u128).sum::<u128>();
    sad(0) | sad(1) << 64
});

op!(Pcmpeqb, |a, b| m8(a, b, |x, y| mask8(x == y)));
op!(Pcmpeqw, |a, b| m16(a, b, |x, y| mask16(x == y)));
op!(Pcmpeqd, |a, b| m32(a, b, |x, y| mask32(x == y)));
op!(Pcmpgtb, |a, b| m8(a, b, |x, y| mask8(x as i8 > y as i8)));
op!(Pcmpgtw, |a, b| m16(a, b, |x, y| mask16(x as i16 > y as i16)));
op!(Pcmpgtd, |a, b| m32(a, b, |x, y| mask32(x as i32 > y as i32)));

#[inline(always)]
fn sat_i8(v: u16) -> u8 {
    (v as i16).clamp(-128, 127) as u8
}

#[inline(always)]
fn sat_u8(v: u16) -> u8 {
    (v as i16).clamp(0, 255) as u8
}

op!(Packsswb, |a, b| {
    let (x, y) = (w16(a), w16(b));
    let mut r = [0u8; 16];
    for i in 0..8 {
        r[i] = sat_i8(x[i]);
        r[i + 8] = sat_i8(y[i]);
    }
    u128::from_le_bytes(r)
});
op!(Packuswb, |a, b| {
    let (x, y) = (w16(a), w16(b));
    let mut r = [0u8; 16];
    for i in 0..8 {
        r[i] = sat_u8(x[i]);
        r[i + 8] = sat_u8(y[i]);
    }
    u128::from_le_bytes(r)
});
op!(Packssdw, |a, b| {
    let (x, y) = (d32(a), d32(b));
    let s = |v: u32| (v as i32).clamp(-32768, 32767) as u16;
    from16([s(x[0]), s(x[1]), s(x[2]), s(x[3]), s(y[0]), s(y[1]), s(y[2]), s(y[3])])
});

// ---- shifts: the count is the low 64 bits of the source (or the immediate) ----

#[inline(always)]
fn count(b: u128) -> u64 {
    b as u64
}

op!(Psllw, |a, b| {
    let c = count(b);
    if c > 15 {
        0
    } else {
        m16(a, 0, |x, _| x << c)
    }
});
op!(Pslld, |a, b| {
    let c = count(b);
    if c > 31 {
        0
    } else {
        m32(a, 0, |x, _| x << c)
    }
});
op!(Psllq, |a, b| {
    let c = count(b);
    if c > 63 {
        0
    } else {
        m64(a, 0, |x, _| x << c)
    }
});
op!(Psrlw, |a, b| {
    let c = count(b);
    if c > 15 {
        0
    } else {
        m16(a, 0, |x, _| x >> c)
    }
});
op!(Psrld, |a, b| {
    let c = count(b);
    if c > 31 {
        0
    } else {
        m32(a, 0, |x, _| x >> c)
    }
});
op!(Psrlq, |a, b| {
    let c = count(b);
    if c > 63 {
        0
    } else {
        m64(a, 0, |x, _| x >> c)
    }
});
op!(Psraw, |a, b| {
    let c = count(b).min(15);
    m16(a, 0, |x, _| ((x as i16) >> c) as u16)
});
op!(Psrad, |a, b| {
    let c = count(b).min(31);
    m32(a, 0, |x, _| ((x as i32) >> c) as u32)
});
op!(Pslldq, |a, b| {
    let c = count(b);
    if c > 15 {
        0
    } else {
        a << (8 * c)
    }
});
op!(Psrldq, |a, b| {
    let c = count(b);
    if c > 15 {
        0
    } else {
        a >> (8 * c)
    }
});

/// Shift by an immediate: the count is imm8 (not masked, so 16..255 clear the lanes).
fn shift_imm<O: Shuf>(cpu: &mut Cpu, op: &Op) -> Flow {
    and_next(cpu, op, |cpu| {
        let d = op.r0 as usize;
        cpu.xmm[d] = O::f(cpu.xmm[d], (op.imm & 0xff) as u128, 0);
        Ok(())
    })
}

fn build_shift_imm<O: Shuf + 'static>(_: &Instruction, _: &mut Op) -> Option<Handler> {
    Some(shift_imm::<O>)
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Paddb_xmm_xmmm128, build_shuf::<Paddb>);
    t.set(Code::Paddw_xmm_xmmm128, build_shuf::<Paddw>);
    t.set(Code::Paddd_xmm_xmmm128, build_shuf::<Paddd>);
    t.set(Code::Paddq_xmm_xmmm128, build_shuf::<Paddq>);
    t.set(Code::Psubb_xmm_xmmm128, build_shuf::<Psubb>);
    t.set(Code::Psubw_xmm_xmmm128, build_shuf::<Psubw>);
    t.set(Code::Psubd_xmm_xmmm128, build_shuf::<Psubd>);
    t.set(Code::Psubq_xmm_xmmm128, build_shuf::<Psubq>);
    t.set(Code::Paddsb_xmm_xmmm128, build_shuf::<Paddsb>);
    t.set(Code::Paddsw_xmm_xmmm128, build_shuf::<Paddsw>);
    t.set(Code::Paddusb_xmm_xmmm128, build_shuf::<Paddusb>);
    t.set(Code::Paddusw_xmm_xmmm128, build_shuf::<Paddusw>);
    t.set(Code::Psubsb_xmm_xmmm128, build_shuf::<Psubsb>);
    t.set(Code::Psubsw_xmm_xmmm128, build_shuf::<Psubsw>);
    t.set(Code::Psubusb_xmm_xmmm128, build_shuf::<Psubusb>);
    t.set(Code::Psubusw_xmm_xmmm128, build_shuf::<Psubusw>);
    t.set(Code::Pmullw_xmm_xmmm128, build_shuf::<Pmullw>);
    t.set(Code::Pmulhw_xmm_xmmm128, build_shuf::<Pmulhw>);
    t.set(Code::Pmulhuw_xmm_xmmm128, build_shuf::<Pmulhuw>);
    t.set(Code::Pmuludq_xmm_xmmm128, build_shuf::<Pmuludq>);
    t.set(Code::Pmaddwd_xmm_xmmm128, build_shuf::<Pmaddwd>);
    t.set(Code::Pavgb_xmm_xmmm128, build_shuf::<Pavgb>);
    t.set(Code::Pavgw_xmm_xmmm128, build_shuf::<Pavgw>);
    t.set(Code::Pminub_xmm_xmmm128, build_shuf::<Pminub>);
    t.set(Code::Pmaxub_xmm_xmmm128, build_shuf::<Pmaxub>);
    t.set(Code::Pminsw_xmm_xmmm128, build_shuf::<Pminsw>);
    t.set(Code::Pmaxsw_xmm_xmmm128, build_shuf::<Pmaxsw>);
    t.set(Code::Psadbw_xmm_xmmm128, build_shuf::<Psadbw>);
    t.set(Code::Pcmpeqb_xmm_xmmm128, build_shuf::<Pcmpeqb>);
    t.set(Code::Pcmpeqw_xmm_xmmm128, build_shuf::<Pcmpeqw>);
    t.set(Code::Pcmpeqd_xmm_xmmm128, build_shuf::<Pcmpeqd>);
    t.set(Code::Pcmpgtb_xmm_xmmm128, build_shuf::<Pcmpgtb>);
    t.set(Code::Pcmpgtw_xmm_xmmm128, build_shuf::<Pcmpgtw>);
    t.set(Code::Pcmpgtd_xmm_xmmm128, build_shuf::<Pcmpgtd>);
    t.set(Code::Packsswb_xmm_xmmm128, build_shuf::<Packsswb>);
    t.set(Code::Packssdw_xmm_xmmm128, build_shuf::<Packssdw>);
    t.set(Code::Packuswb_xmm_xmmm128, build_shuf::<Packuswb>);
    t.set(Code::Pand_xmm_xmmm128, build_logic::<AND>);
    t.set(Code::Pandn_xmm_xmmm128, build_logic::<ANDN>);
    t.set(Code::Por_xmm_xmmm128, build_logic::<OR>);
    t.set(Code::Pxor_xmm_xmmm128, build_logic::<XOR>);

    t.set(Code::Psllw_xmm_xmmm128, build_shuf::<Psllw>);
    t.set(Code::Pslld_xmm_xmmm128, build_shuf::<Pslld>);
    t.set(Code::Psllq_xmm_xmmm128, build_shuf::<Psllq>);
    t.set(Code::Psrlw_xmm_xmmm128, build_shuf::<Psrlw>);
    t.set(Code::Psrld_xmm_xmmm128, build_shuf::<Psrld>);
    t.set(Code::Psrlq_xmm_xmmm128, build_shuf::<Psrlq>);
    t.set(Code::Psraw_xmm_xmmm128, build_shuf::<Psraw>);
    t.set(Code::Psrad_xmm_xmmm128, build_shuf::<Psrad>);
    t.set(Code::Psllw_xmm_imm8, build_shift_imm::<Psllw>);
    t.set(Code::Pslld_xmm_imm8, build_shift_imm::<Pslld>);
    t.set(Code::Psllq_xmm_imm8, build_shift_imm::<Psllq>);
    t.set(Code::Psrlw_xmm_imm8, build_shift_imm::<Psrlw>);
    t.set(Code::Psrld_xmm_imm8, build_shift_imm::<Psrld>);
    t.set(Code::Psrlq_xmm_imm8, build_shift_imm::<Psrlq>);
    t.set(Code::Psraw_xmm_imm8, build_shift_imm::<Psraw>);
    t.set(Code::Psrad_xmm_imm8, build_shift_imm::<Psrad>);
    t.set(Code::Pslldq_xmm_imm8, build_shift_imm::<Pslldq>);
    t.set(Code::Psrldq_xmm_imm8, build_shift_imm::<Psrldq>);
}
