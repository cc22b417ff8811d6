//! SSE/SSE2 floating-point arithmetic and comparisons against the host CPU.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod sse_harness;
use sse_harness::*;

/// One differential test: `$run` (run_fp, run_fast or run_hot) over `$n` random cases.
macro_rules! case {
    ($name:ident, $insn:literal, $kind:ident, $run:ident, $n:expr, $seed:expr) => {
        mod $name {
            use super::*;
            stub!($name, $insn);
            #[test]
            fn host() {
                let mut c = Checker::new(stringify!($name), $name);
                $run(&mut c, Kind::$kind, $n, $seed ^ line!() as u64);
            }
        }
    };
}

macro_rules! t {
    ($name:ident, $insn:literal, $kind:ident) => {
        case!($name, $insn, $kind, run_fp, 4000, 0x9e37_79b9);
    };
}

macro_rules! fast {
    ($name:ident, $insn:literal, $kind:ident) => {
        case!($name, $insn, $kind, run_fast, 40000, 0xfa57);
    };
}

macro_rules! hot {
    ($name:ident, $insn:literal, $kind:ident) => {
        case!($name, $insn, $kind, run_hot, 20000, 0x407);
    };
}

t!(addps_rr, "addps xmm0, xmm1", F32);
t!(addps_rm, "addps xmm0, [rsi]", F32);
t!(addpd_rr, "addpd xmm0, xmm1", F64);
t!(addpd_rm, "addpd xmm0, [rsi]", F64);
t!(addss_rr, "addss xmm0, xmm1", F32);
t!(addss_rm, "addss xmm0, [rsi]", F32);
t!(addsd_rr, "addsd xmm0, xmm1", F64);
t!(addsd_rm, "addsd xmm0, [rsi]", F64);
t!(subps_rr, "subps xmm0, xmm1", F32);
t!(subps_rm, "subps xmm0, [rsi]", F32);
t!(subpd_rr, "subpd xmm0, xmm1", F64);
t!(subpd_rm, "subpd xmm0, [rsi]", F64);
t!(subss_rr, "subss xmm0, xmm1", F32);
t!(subss_rm, "subss xmm0, [rsi]", F32);
t!(subsd_rr, "subsd xmm0, xmm1", F64);
t!(subsd_rm, "subsd xmm0, [rsi]", F64);
t!(mulps_rr, "mulps xmm0, xmm1", F32);
t!(mulps_rm, "mulps xmm0, [rsi]", F32);
t!(mulpd_rr, "mulpd xmm0, xmm1", F64);
t!(mulpd_rm, "mulpd xmm0, [rsi]", F64);
t!(mulss_rr, "mulss xmm0, xmm1", F32);
t!(mulss_rm, "mulss xmm0, [rsi]", F32);
t!(mulsd_rr, "mulsd xmm0, xmm1", F64);
t!(mulsd_rm, "mulsd xmm0, [rsi]", F64);
t!(divps_rr, "divps xmm0, xmm1", F32);
t!(divps_rm, "divps xmm0, [rsi]", F32);
t!(divpd_rr, "divpd xmm0, xmm1", F64);
t!(divpd_rm, "divpd xmm0, [rsi]", F64);
t!(divss_rr, "divss xmm0, xmm1", F32);
t!(divss_rm, "divss xmm0, [rsi]", F32);
t!(divsd_rr, "divsd xmm0, xmm1", F64);
t!(divsd_rm, "divsd xmm0, [rsi]", F64);
t!(minps_rr, "minps xmm0, xmm1", F32);
t!(minps_rm, "minps xmm0, [rsi]", F32);
t!(minpd_rr, "minpd xmm0, xmm1", F64);
t!(minpd_rm, "minpd xmm0, [rsi]", F64);
t!(minss_rr, "minss xmm0, xmm1", F32);
t!(minss_rm, "minss xmm0, [rsi]", F32);
t!(minsd_rr, "minsd xmm0, xmm1", F64);
t!(minsd_rm, "minsd xmm0, [rsi]", F64);
t!(maxps_rr, "maxps xmm0, xmm1", F32);
t!(maxps_rm, "maxps xmm0, [rsi]", F32);
t!(maxpd_rr, "maxpd xmm0, xmm1", F64);
t!(maxpd_rm, "maxpd xmm0, [rsi]", F64);
t!(maxss_rr, "maxss xmm0, xmm1", F32);
t!(maxss_rm, "maxss xmm0, [rsi]", F32);
t!(maxsd_rr, "maxsd xmm0, xmm1", F64);
t!(maxsd_rm, "maxsd xmm0, [rsi]", F64);
t!(sqrtps_rr, "sqrtps xmm0, xmm1", F32);
t!(sqrtps_rm, "sqrtps xmm0, [rsi]", F32);
t!(sqrtpd_rr, "sqrtpd xmm0, xmm1", F64);
t!(sqrtpd_rm, "sqrtpd xmm0, [rsi]", F64);
t!(sqrtss_rr, "sqrtss xmm0, xmm1", F32);
t!(sqrtss_rm, "sqrtss xmm0, [rsi]", F32);
t!(sqrtsd_rr, "sqrtsd xmm0, xmm1", F64);
t!(sqrtsd_rm, "sqrtsd xmm0, [rsi]", F64);
t!(cmpps_0, "cmpps xmm0, xmm1, 0", F32);
t!(cmpps_1, "cmpps xmm0, xmm1, 1", F32);
t!(cmpps_2, "cmpps xmm0, xmm1, 2", F32);
t!(cmpps_3, "cmpps xmm0, xmm1, 3", F32);
t!(cmpps_4, "cmpps xmm0, xmm1, 4", F32);
t!(cmpps_5, "cmpps xmm0, xmm1, 5", F32);
t!(cmpps_6, "cmpps xmm0, xmm1, 6", F32);
t!(cmpps_7, "cmpps xmm0, xmm1, 7", F32);
t!(cmpps_m1, "cmpps xmm0, [rsi], 1", F32);
t!(cmpps_hi, "cmpps xmm0, xmm1, 0xfb", F32);
t!(cmppd_0, "cmppd xmm0, xmm1, 0", F64);
t!(cmppd_1, "cmppd xmm0, xmm1, 1", F64);
t!(cmppd_2, "cmppd xmm0, xmm1, 2", F64);
t!(cmppd_3, "cmppd xmm0, xmm1, 3", F64);
t!(cmppd_4, "cmppd xmm0, xmm1, 4", F64);
t!(cmppd_5, "cmppd xmm0, xmm1, 5", F64);
t!(cmppd_6, "cmppd xmm0, xmm1, 6", F64);
t!(cmppd_7, "cmppd xmm0, xmm1, 7", F64);
t!(cmppd_m1, "cmppd xmm0, [rsi], 1", F64);
t!(cmppd_hi, "cmppd xmm0, xmm1, 0xfb", F64);
t!(cmpss_0, "cmpss xmm0, xmm1, 0", F32);
t!(cmpss_1, "cmpss xmm0, xmm1, 1", F32);
t!(cmpss_2, "cmpss xmm0, xmm1, 2", F32);
t!(cmpss_3, "cmpss xmm0, xmm1, 3", F32);
t!(cmpss_4, "cmpss xmm0, xmm1, 4", F32);
t!(cmpss_5, "cmpss xmm0, xmm1, 5", F32);
t!(cmpss_6, "cmpss xmm0, xmm1, 6", F32);
t!(cmpss_7, "cmpss xmm0, xmm1, 7", F32);
t!(cmpss_m1, "cmpss xmm0, [rsi], 1", F32);
t!(cmpss_hi, "cmpss xmm0, xmm1, 0xfb", F32);
t!(cmpsd_0, "cmpsd xmm0, xmm1, 0", F64);
t!(cmpsd_1, "cmpsd xmm0, xmm1, 1", F64);
t!(cmpsd_2, "cmpsd xmm0, xmm1, 2", F64);
t!(cmpsd_3, "cmpsd xmm0, xmm1, 3", F64);
t!(cmpsd_4, "cmpsd xmm0, xmm1, 4", F64);
t!(cmpsd_5, "cmpsd xmm0, xmm1, 5", F64);
t!(cmpsd_6, "cmpsd xmm0, xmm1, 6", F64);
t!(cmpsd_7, "cmpsd xmm0, xmm1, 7", F64);
t!(cmpsd_m1, "cmpsd xmm0, [rsi], 1", F64);
t!(cmpsd_hi, "cmpsd xmm0, xmm1, 0xfb", F64);
t!(comiss_rr, "comiss xmm0, xmm1", F32);
t!(comiss_rm, "comiss xmm0, [rsi]", F32);
t!(ucomiss_rr, "ucomiss xmm0, xmm1", F32);
t!(ucomiss_rm, "ucomiss xmm0, [rsi]", F32);
t!(comisd_rr, "comisd xmm0, xmm1", F64);
t!(comisd_rm, "comisd xmm0, [rsi]", F64);
t!(ucomisd_rr, "ucomisd xmm0, xmm1", F64);
t!(ucomisd_rm, "ucomisd xmm0, [rsi]", F64);
t!(andps_rr, "andps xmm0, xmm1", Int);
t!(andps_rm, "andps xmm2, [rsi]", Int);
t!(andnps_rr, "andnps xmm0, xmm1", Int);
t!(andnps_rm, "andnps xmm2, [rsi]", Int);
t!(orps_rr, "orps xmm0, xmm1", Int);
t!(orps_rm, "orps xmm2, [rsi]", Int);
t!(xorps_rr, "xorps xmm0, xmm1", Int);
t!(xorps_rm, "xorps xmm2, [rsi]", Int);
t!(andpd_rr, "andpd xmm0, xmm1", Int);
t!(andpd_rm, "andpd xmm2, [rsi]", Int);
t!(andnpd_rr, "andnpd xmm0, xmm1", Int);
t!(andnpd_rm, "andnpd xmm2, [rsi]", Int);
t!(orpd_rr, "orpd xmm0, xmm1", Int);
t!(orpd_rm, "orpd xmm2, [rsi]", Int);
t!(xorpd_rr, "xorpd xmm0, xmm1", Int);
t!(xorpd_rm, "xorpd xmm2, [rsi]", Int);
fast!(fast_addps, "addps xmm0, xmm1", F32);
fast!(fast_addpd, "addpd xmm0, xmm1", F64);
fast!(fast_subps, "subps xmm0, xmm1", F32);
fast!(fast_subpd, "subpd xmm0, xmm1", F64);
fast!(fast_mulps, "mulps xmm0, xmm1", F32);
fast!(fast_mulpd, "mulpd xmm0, xmm1", F64);
fast!(fast_divps, "divps xmm0, xmm1", F32);
fast!(fast_divpd, "divpd xmm0, xmm1", F64);
fast!(fast_sqrtps, "sqrtps xmm0, xmm1", F32);
fast!(fast_sqrtpd, "sqrtpd xmm0, xmm1", F64);

// The PE-already-set paths (`Arith::hot`, the compare fast paths), register and memory
// sources, packed and scalar.
hot!(hot_addps, "addps xmm0, xmm1", F32);
hot!(hot_addpd_m, "addpd xmm0, [rsi]", F64);
hot!(hot_addss, "addss xmm0, xmm1", F32);
hot!(hot_addsd, "addsd xmm0, xmm1", F64);
hot!(hot_addsd_m, "addsd xmm0, [rsi]", F64);
hot!(hot_subps_m, "subps xmm0, [rsi]", F32);
hot!(hot_subpd, "subpd xmm0, xmm1", F64);
hot!(hot_subss_m, "subss xmm0, [rsi]", F32);
hot!(hot_subsd, "subsd xmm0, xmm1", F64);
hot!(hot_mulps, "mulps xmm0, xmm1", F32);
hot!(hot_mulpd, "mulpd xmm0, xmm1", F64);
hot!(hot_mulss, "mulss xmm0, xmm1", F32);
hot!(hot_mulsd, "mulsd xmm0, xmm1", F64);
hot!(hot_mulsd_m, "mulsd xmm0, [rsi]", F64);
hot!(hot_divps, "divps xmm0, xmm1", F32);
hot!(hot_divpd_m, "divpd xmm0, [rsi]", F64);
hot!(hot_divss, "divss xmm0, xmm1", F32);
hot!(hot_divsd, "divsd xmm0, xmm1", F64);
hot!(hot_divss_m, "divss xmm0, [rsi]", F32);
hot!(hot_sqrtps, "sqrtps xmm0, xmm1", F32);
hot!(hot_sqrtpd, "sqrtpd xmm0, xmm1", F64);
hot!(hot_sqrtss, "sqrtss xmm0, xmm1", F32);
hot!(hot_sqrtsd_m, "sqrtsd xmm0, [rsi]", F64);
hot!(hot_minps, "minps xmm0, xmm1", F32);
hot!(hot_minpd, "minpd xmm0, xmm1", F64);
hot!(hot_minss, "minss xmm0, xmm1", F32);
hot!(hot_minsd_m, "minsd xmm0, [rsi]", F64);
hot!(hot_maxps_m, "maxps xmm0, [rsi]", F32);
hot!(hot_maxpd, "maxpd xmm0, xmm1", F64);
hot!(hot_maxss, "maxss xmm0, xmm1", F32);
hot!(hot_maxsd, "maxsd xmm0, xmm1", F64);
hot!(hot_cmpps_1, "cmpps xmm0, xmm1, 1", F32);
hot!(hot_cmppd_2, "cmppd xmm0, xmm1, 2", F64);
hot!(hot_cmpss_0, "cmpss xmm0, xmm1, 0", F32);
hot!(hot_cmpsd_6, "cmpsd xmm0, [rsi], 6", F64);
hot!(hot_comiss, "comiss xmm0, xmm1", F32);
hot!(hot_ucomiss_m, "ucomiss xmm0, [rsi]", F32);
hot!(hot_comisd_m, "comisd xmm0, [rsi]", F64);
hot!(hot_ucomisd, "ucomisd xmm0, xmm1", F64);
fast!(fast_minsd, "minsd xmm0, xmm1", F64);
fast!(fast_maxss, "maxss xmm0, xmm1", F32);
// The zeroing idiom (decoded to its own handler) and the non-idiom with the same opcode.
t!(xorps_self, "xorps xmm3, xmm3", Int);
t!(xorpd_self, "xorpd xmm0, xmm0", Int);
t!(andnps_self, "andnps xmm1, xmm1", Int);
t!(andps_self, "andps xmm1, xmm1", Int);
t!(pxor_self, "pxor xmm2, xmm2", Int);
