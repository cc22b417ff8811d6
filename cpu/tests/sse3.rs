//! SSE3 instructions against the host CPU.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod sse4_harness;
mod sse_harness;
use sse4_harness::*;
use sse_harness::*;

macro_rules! t {
    ($name:ident, $insn:literal, $kind:ident) => {
        mod $name {
            use super::*;
            stub!($name, $insn);
            #[test]
            fn host() {
                let mut c = Checker::new(stringify!($name), $name);
                run_fp(&mut c, Kind::$kind, 4000, 0x55e3 ^ line!() as u64);
                let mut c = Checker::new(stringify!($name), $name);
                run_lanes(&mut c, Kind::$kind, 4000, 0x1a9e5 ^ line!() as u64);
            }
        }
    };
}

t!(addsubps_rr, "addsubps xmm0, xmm1", F32);
t!(addsubps_rm, "addsubps xmm0, [rsi]", F32);
t!(addsubpd_rr, "addsubpd xmm0, xmm1", F64);
t!(addsubpd_rm, "addsubpd xmm2, [rsi+16]", F64);
t!(haddps_rr, "haddps xmm0, xmm1", F32);
t!(haddps_same, "haddps xmm1, xmm1", F32);
t!(haddps_rm, "haddps xmm0, [rsi]", F32);
t!(haddpd_rr, "haddpd xmm0, xmm1", F64);
t!(haddpd_rm, "haddpd xmm3, [rsi+16]", F64);
t!(hsubps_rr, "hsubps xmm0, xmm1", F32);
t!(hsubps_rm, "hsubps xmm0, [rsi]", F32);
t!(hsubpd_rr, "hsubpd xmm0, xmm1", F64);
t!(hsubpd_same, "hsubpd xmm0, xmm0", F64);
t!(hsubpd_rm, "hsubpd xmm0, [rsi]", F64);
t!(movsldup_rr, "movsldup xmm0, xmm1", Int);
t!(movsldup_rm, "movsldup xmm2, [rsi+16]", Int);
t!(movshdup_rr, "movshdup xmm0, xmm1", Int);
t!(movshdup_rm, "movshdup xmm2, [rsi]", Int);
t!(movddup_rr, "movddup xmm0, xmm1", Int);
t!(movddup_rm, "movddup xmm0, [rsi+8]", Int);
t!(movddup_rm_odd, "movddup xmm3, [rsi+3]", Int);
t!(lddqu_rm, "lddqu xmm1, [rsi+16]", Int);
t!(lddqu_rm_odd, "lddqu xmm1, [rsi+7]", Int);
t!(fisttp16, "fld qword ptr [rsi]\n fisttp word ptr [rsi+32]", F64);
t!(fisttp32, "fld qword ptr [rsi]\n fisttp dword ptr [rsi+32]", F64);
t!(fisttp64, "fld qword ptr [rsi]\n fisttp qword ptr [rsi+32]", F64);
