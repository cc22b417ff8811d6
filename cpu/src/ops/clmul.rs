//! PCLMULQDQ and VPCLMULQDQ: carry-less multiplication of one quadword of each source
//! (imm8[0] picks the first source's, imm8[4] the second's) into 128 bits; the VEX.256
//! form does it in each 128-bit lane. (Intel SDM Vol. 2 "PCLMULQDQ".)

use super::avx_operand::build_lanes;
use super::sse_mov::{build_shuf, Shuf};
use super::Table;
use iced_x86::Code;

/// The carry-less (GF(2)[x]) product of two 64-bit polynomials.
#[inline(always)]
pub(crate) fn clmul(a: u64, b: u64) -> u128 {
    let mut r = 0u128;
    for i in 0..64 {
        r ^= ((a as u128) << i) & 0u128.wrapping_sub(((b >> i) & 1) as u128);
    }
    r
}

struct Pclmul;
impl Shuf for Pclmul {
    #[inline(always)]
    fn f(a: u128, b: u128, imm: u8) -> u128 {
        let x = (a >> (64 * (imm & 1) as u32)) as u64;
        let y = (b >> (64 * ((imm >> 4) & 1) as u32)) as u64;
        clmul(x, y)
    }
}

pub(super) fn register(t: &mut Table) {
    t.set(Code::Pclmulqdq_xmm_xmmm128_imm8, build_shuf::<Pclmul>);
    t.set(Code::VEX_Vpclmulqdq_xmm_xmm_xmmm128_imm8, build_lanes::<Pclmul>);
    t.set(Code::VEX_Vpclmulqdq_ymm_ymm_ymmm256_imm8, build_lanes::<Pclmul>);
}

#[cfg(test)]
mod tests {
    #[test]
    fn carryless_products() {
        use super::clmul;
        assert_eq!(clmul(0b11, 0b11), 0b101);
        assert_eq!(clmul(u64::MAX, 2), (u64::MAX as u128) << 1);
        // x^63 * x^63 = x^126.
        assert_eq!(clmul(1 << 63, 1 << 63), 1 << 126);
    }
}
