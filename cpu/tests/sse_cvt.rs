//! SSE/SSE2 conversions against the host CPU.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod sse_harness;
use sse_harness::*;

macro_rules! t {
    ($name:ident, $insn:literal, $kind:ident) => {
        mod $name {
            use super::*;
            stub!($name, $insn);
            #[test]
            fn host() {
                let mut c = Checker::new(stringify!($name), $name);
                run_fp(&mut c, Kind::$kind, 6000, 0x51f1_5eed ^ line!() as u64);
            }
        }
    };
}

t!(cvtsi2ss_r32, "cvtsi2ss xmm0, eax", F32);
t!(cvtsi2ss_r64, "cvtsi2ss xmm0, rax", F32);
t!(cvtsi2ss_m32, "cvtsi2ss xmm0, dword ptr [rsi]", F32);
t!(cvtsi2ss_m64, "cvtsi2ss xmm0, qword ptr [rsi]", F32);
t!(cvtss2si_r32, "cvtss2si eax, xmm1", F32);
t!(cvtss2si_r64, "cvtss2si rax, xmm1", F32);
t!(cvtss2si_m32, "cvtss2si ecx, [rsi]", F32);
t!(cvtss2si_m64, "cvtss2si rcx, [rsi]", F32);
t!(cvttss2si_r32, "cvttss2si eax, xmm1", F32);
t!(cvttss2si_r64, "cvttss2si rax, xmm1", F32);
t!(cvttss2si_m32, "cvttss2si ecx, [rsi]", F32);
t!(cvttss2si_m64, "cvttss2si rcx, [rsi]", F32);
t!(cvtsi2sd_r32, "cvtsi2sd xmm0, eax", F64);
t!(cvtsi2sd_r64, "cvtsi2sd xmm0, rax", F64);
t!(cvtsi2sd_m32, "cvtsi2sd xmm0, dword ptr [rsi]", F64);
t!(cvtsi2sd_m64, "cvtsi2sd xmm0, qword ptr [rsi]", F64);
t!(cvtsd2si_r32, "cvtsd2si eax, xmm1", F64);
t!(cvtsd2si_r64, "cvtsd2si rax, xmm1", F64);
t!(cvtsd2si_m32, "cvtsd2si ecx, [rsi]", F64);
t!(cvtsd2si_m64, "cvtsd2si rcx, [rsi]", F64);
t!(cvttsd2si_r32, "cvttsd2si eax, xmm1", F64);
t!(cvttsd2si_r64, "cvttsd2si rax, xmm1", F64);
t!(cvttsd2si_m32, "cvttsd2si ecx, [rsi]", F64);
t!(cvttsd2si_m64, "cvttsd2si rcx, [rsi]", F64);
t!(cvtss2sd_rr, "cvtss2sd xmm0, xmm1", F32);
t!(cvtss2sd_rm, "cvtss2sd xmm0, [rsi]", F32);
t!(cvtsd2ss_rr, "cvtsd2ss xmm0, xmm1", F64);
t!(cvtsd2ss_rm, "cvtsd2ss xmm0, [rsi]", F64);
t!(cvtps2pd_rr, "cvtps2pd xmm0, xmm1", F32);
t!(cvtps2pd_rm, "cvtps2pd xmm0, [rsi]", F32);
t!(cvtpd2ps_rr, "cvtpd2ps xmm0, xmm1", F64);
t!(cvtpd2ps_rm, "cvtpd2ps xmm0, [rsi]", F64);
t!(cvtdq2ps_rr, "cvtdq2ps xmm0, xmm1", Int);
t!(cvtdq2ps_rm, "cvtdq2ps xmm0, [rsi]", Int);
t!(cvtdq2pd_rr, "cvtdq2pd xmm0, xmm1", Int);
t!(cvtdq2pd_rm, "cvtdq2pd xmm0, [rsi]", Int);
t!(cvtps2dq_rr, "cvtps2dq xmm0, xmm1", F32);
t!(cvtps2dq_rm, "cvtps2dq xmm0, [rsi]", F32);
t!(cvttps2dq_rr, "cvttps2dq xmm0, xmm1", F32);
t!(cvttps2dq_rm, "cvttps2dq xmm0, [rsi]", F32);
t!(cvtpd2dq_rr, "cvtpd2dq xmm0, xmm1", F64);
t!(cvtpd2dq_rm, "cvtpd2dq xmm0, [rsi]", F64);
t!(cvttpd2dq_rr, "cvttpd2dq xmm0, xmm1", F64);
t!(cvttpd2dq_rm, "cvttpd2dq xmm0, [rsi]", F64);
