//! MMX register file (MOVD/MOVQ, EMMS, x87 tag/TOP aliasing) and the MMX forms of the
//! SSSE3 instructions against the host CPU. Each stub loads all eight MM registers (so
//! every x87 register has defined contents), runs the instruction, stores MM0, and
//! reports FSW (TOP) in AX and the full tag word in CX from FNSTENV; the FNSTENV area is
//! cleared afterwards because it holds instruction addresses.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod sse4_harness;
mod sse_harness;
use sse4_harness::*;
use sse_harness::*;

macro_rules! t {
    ($name:ident, $insn:expr) => {
        mod $name {
            use super::*;
            stub!(
                $name,
                concat!(
                    "movq mm0, [rsi]\n movq mm1, [rsi+8]\n movq mm2, [rsi+16]\n movq mm3, [rsi+24]\n",
                    "movq mm4, [rsi+32]\n movq mm5, [rsi+40]\n movq mm6, [rsi+48]\n movq mm7, [rsi+56]\n",
                    $insn,
                    "\n movq [rsi], mm0\n fnstsw ax\n fnstenv [rsi+32]\n movzx ecx, word ptr [rsi+40]\n",
                    "xor r8d, r8d\n mov [rsi+32], r8\n mov [rsi+40], r8\n mov [rsi+48], r8\n mov [rsi+56], r8\n",
                    "emms"
                )
            );
            #[test]
            fn host() {
                let mut c = Checker::new(stringify!($name), $name);
                run_fp(&mut c, Kind::Int, 3000, 0x3395 ^ line!() as u64);
                let mut c = Checker::new(stringify!($name), $name);
                run_lanes(&mut c, Kind::Int, 1000, 0x4a93 ^ line!() as u64);
            }
        }
    };
}

t!(pshufb_rr, "pshufb mm0, mm1");
t!(pshufb_same, "pshufb mm0, mm0");
t!(pshufb_rm, "pshufb mm0, [rsi+16]");
t!(pshufb_rm_odd, "pshufb mm0, [rsi+3]");
t!(phaddw_rr, "phaddw mm0, mm1");
t!(phaddw_same, "phaddw mm0, mm0");
t!(phaddw_rm, "phaddw mm0, [rsi+16]");
t!(phaddw_rm_odd, "phaddw mm0, [rsi+3]");
t!(phaddd_rr, "phaddd mm0, mm1");
t!(phaddd_same, "phaddd mm0, mm0");
t!(phaddd_rm, "phaddd mm0, [rsi+16]");
t!(phaddd_rm_odd, "phaddd mm0, [rsi+3]");
t!(phaddsw_rr, "phaddsw mm0, mm1");
t!(phaddsw_same, "phaddsw mm0, mm0");
t!(phaddsw_rm, "phaddsw mm0, [rsi+16]");
t!(phaddsw_rm_odd, "phaddsw mm0, [rsi+3]");
t!(phsubw_rr, "phsubw mm0, mm1");
t!(phsubw_same, "phsubw mm0, mm0");
t!(phsubw_rm, "phsubw mm0, [rsi+16]");
t!(phsubw_rm_odd, "phsubw mm0, [rsi+3]");
t!(phsubd_rr, "phsubd mm0, mm1");
t!(phsubd_same, "phsubd mm0, mm0");
t!(phsubd_rm, "phsubd mm0, [rsi+16]");
t!(phsubd_rm_odd, "phsubd mm0, [rsi+3]");
t!(phsubsw_rr, "phsubsw mm0, mm1");
t!(phsubsw_same, "phsubsw mm0, mm0");
t!(phsubsw_rm, "phsubsw mm0, [rsi+16]");
t!(phsubsw_rm_odd, "phsubsw mm0, [rsi+3]");
t!(pmaddubsw_rr, "pmaddubsw mm0, mm1");
t!(pmaddubsw_same, "pmaddubsw mm0, mm0");
t!(pmaddubsw_rm, "pmaddubsw mm0, [rsi+16]");
t!(pmaddubsw_rm_odd, "pmaddubsw mm0, [rsi+3]");
t!(pmulhrsw_rr, "pmulhrsw mm0, mm1");
t!(pmulhrsw_same, "pmulhrsw mm0, mm0");
t!(pmulhrsw_rm, "pmulhrsw mm0, [rsi+16]");
t!(pmulhrsw_rm_odd, "pmulhrsw mm0, [rsi+3]");
t!(psignb_rr, "psignb mm0, mm1");
t!(psignb_same, "psignb mm0, mm0");
t!(psignb_rm, "psignb mm0, [rsi+16]");
t!(psignb_rm_odd, "psignb mm0, [rsi+3]");
t!(psignw_rr, "psignw mm0, mm1");
t!(psignw_same, "psignw mm0, mm0");
t!(psignw_rm, "psignw mm0, [rsi+16]");
t!(psignw_rm_odd, "psignw mm0, [rsi+3]");
t!(psignd_rr, "psignd mm0, mm1");
t!(psignd_same, "psignd mm0, mm0");
t!(psignd_rm, "psignd mm0, [rsi+16]");
t!(psignd_rm_odd, "psignd mm0, [rsi+3]");
t!(pabsb_rr, "pabsb mm0, mm1");
t!(pabsb_same, "pabsb mm0, mm0");
t!(pabsb_rm, "pabsb mm0, [rsi+16]");
t!(pabsb_rm_odd, "pabsb mm0, [rsi+3]");
t!(pabsw_rr, "pabsw mm0, mm1");
t!(pabsw_same, "pabsw mm0, mm0");
t!(pabsw_rm, "pabsw mm0, [rsi+16]");
t!(pabsw_rm_odd, "pabsw mm0, [rsi+3]");
t!(pabsd_rr, "pabsd mm0, mm1");
t!(pabsd_same, "pabsd mm0, mm0");
t!(pabsd_rm, "pabsd mm0, [rsi+16]");
t!(pabsd_rm_odd, "pabsd mm0, [rsi+3]");
t!(palignr_rr_0, "palignr mm0, mm1, 0");
t!(palignr_rr_1, "palignr mm0, mm1, 1");
t!(palignr_rr_2, "palignr mm0, mm1, 2");
t!(palignr_rr_3, "palignr mm0, mm1, 3");
t!(palignr_rr_4, "palignr mm0, mm1, 4");
t!(palignr_rr_5, "palignr mm0, mm1, 5");
t!(palignr_rr_6, "palignr mm0, mm1, 6");
t!(palignr_rr_7, "palignr mm0, mm1, 7");
t!(palignr_rr_8, "palignr mm0, mm1, 8");
t!(palignr_rr_9, "palignr mm0, mm1, 9");
t!(palignr_rr_10, "palignr mm0, mm1, 10");
t!(palignr_rr_11, "palignr mm0, mm1, 11");
t!(palignr_rr_12, "palignr mm0, mm1, 12");
t!(palignr_rr_13, "palignr mm0, mm1, 13");
t!(palignr_rr_14, "palignr mm0, mm1, 14");
t!(palignr_rr_15, "palignr mm0, mm1, 15");
t!(palignr_rr_16, "palignr mm0, mm1, 16");
t!(palignr_rr_17, "palignr mm0, mm1, 17");
t!(palignr_rr_31, "palignr mm0, mm1, 31");
t!(palignr_rr_32, "palignr mm0, mm1, 32");
t!(palignr_rr_255, "palignr mm0, mm1, 255");
t!(palignr_rm_5, "palignr mm0, [rsi+9], 5");
t!(movq_mm_mm, "movq mm0, mm3");
t!(movq_mm_r64, "movq mm0, rcx");
t!(movd_mm_r32, "movd mm0, ecx");
t!(movd_mm_m32, "movd mm0, dword ptr [rsi+5]");
t!(movq_r64_mm, "movq rcx, mm2");
t!(movd_r32_mm, "movd ecx, mm2\n mov r9, rcx\n movq mm0, r9");
t!(movq_m_mm, "movq [rsi+3], mm5\n movq mm0, [rsi]");
t!(movd_m_mm, "movd dword ptr [rsi+1], mm6\n movq mm0, [rsi]");
t!(movq_mmm_mm, "movq mm0, qword ptr [rsi+7]");

mod emms_tags {
    use super::*;
    stub!(
        emms_tags,
        "movq mm3, [rsi]\n emms\n fnstsw ax\n fnstenv [rsi+32]\n movzx ecx, word ptr [rsi+40]\n xor r8d, r8d\n mov [rsi+32], r8\n mov [rsi+40], r8\n mov [rsi+48], r8\n mov [rsi+56], r8"
    );
    #[test]
    fn host() {
        let mut c = Checker::new("emms_tags", emms_tags);
        run_fp(&mut c, Kind::Int, 200, 7);
    }
}
