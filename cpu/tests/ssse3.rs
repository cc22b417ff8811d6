//! SSSE3 instructions (XMM forms) against the host CPU.
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
                run_fp(&mut c, Kind::Int, 3000, 0x55e3 ^ line!() as u64);
                let mut c = Checker::new(stringify!($name), $name);
                run_lanes(&mut c, Kind::Int, 1000, 0x1a9e5 ^ line!() as u64);
            }
        }
    };
}

t!(pshufb_rr, "pshufb xmm0, xmm1");
t!(pshufb_same, "pshufb xmm2, xmm2");
t!(pshufb_rm, "pshufb xmm0, [rsi+16]");
t!(phaddw_rr, "phaddw xmm0, xmm1");
t!(phaddw_same, "phaddw xmm2, xmm2");
t!(phaddw_rm, "phaddw xmm0, [rsi+16]");
t!(phaddd_rr, "phaddd xmm0, xmm1");
t!(phaddd_same, "phaddd xmm2, xmm2");
t!(phaddd_rm, "phaddd xmm0, [rsi+16]");
t!(phaddsw_rr, "phaddsw xmm0, xmm1");
t!(phaddsw_same, "phaddsw xmm2, xmm2");
t!(phaddsw_rm, "phaddsw xmm0, [rsi+16]");
t!(phsubw_rr, "phsubw xmm0, xmm1");
t!(phsubw_same, "phsubw xmm2, xmm2");
t!(phsubw_rm, "phsubw xmm0, [rsi+16]");
t!(phsubd_rr, "phsubd xmm0, xmm1");
t!(phsubd_same, "phsubd xmm2, xmm2");
t!(phsubd_rm, "phsubd xmm0, [rsi+16]");
t!(phsubsw_rr, "phsubsw xmm0, xmm1");
t!(phsubsw_same, "phsubsw xmm2, xmm2");
t!(phsubsw_rm, "phsubsw xmm0, [rsi+16]");
t!(pmaddubsw_rr, "pmaddubsw xmm0, xmm1");
t!(pmaddubsw_same, "pmaddubsw xmm2, xmm2");
t!(pmaddubsw_rm, "pmaddubsw xmm0, [rsi+16]");
t!(pmulhrsw_rr, "pmulhrsw xmm0, xmm1");
t!(pmulhrsw_same, "pmulhrsw xmm2, xmm2");
t!(pmulhrsw_rm, "pmulhrsw xmm0, [rsi+16]");
t!(psignb_rr, "psignb xmm0, xmm1");
t!(psignb_same, "psignb xmm2, xmm2");
t!(psignb_rm, "psignb xmm0, [rsi+16]");
t!(psignw_rr, "psignw xmm0, xmm1");
t!(psignw_same, "psignw xmm2, xmm2");
t!(psignw_rm, "psignw xmm0, [rsi+16]");
t!(psignd_rr, "psignd xmm0, xmm1");
t!(psignd_same, "psignd xmm2, xmm2");
t!(psignd_rm, "psignd xmm0, [rsi+16]");
t!(pabsb_rr, "pabsb xmm0, xmm1");
t!(pabsb_same, "pabsb xmm2, xmm2");
t!(pabsb_rm, "pabsb xmm0, [rsi+16]");
t!(pabsw_rr, "pabsw xmm0, xmm1");
t!(pabsw_same, "pabsw xmm2, xmm2");
t!(pabsw_rm, "pabsw xmm0, [rsi+16]");
t!(pabsd_rr, "pabsd xmm0, xmm1");
t!(pabsd_same, "pabsd xmm2, xmm2");
t!(pabsd_rm, "pabsd xmm0, [rsi+16]");
t!(palignr_rr_0, "palignr xmm0, xmm1, 0");
t!(palignr_rr_1, "palignr xmm0, xmm1, 1");
t!(palignr_rr_2, "palignr xmm0, xmm1, 2");
t!(palignr_rr_3, "palignr xmm0, xmm1, 3");
t!(palignr_rr_4, "palignr xmm0, xmm1, 4");
t!(palignr_rr_5, "palignr xmm0, xmm1, 5");
t!(palignr_rr_6, "palignr xmm0, xmm1, 6");
t!(palignr_rr_7, "palignr xmm0, xmm1, 7");
t!(palignr_rr_8, "palignr xmm0, xmm1, 8");
t!(palignr_rr_9, "palignr xmm0, xmm1, 9");
t!(palignr_rr_10, "palignr xmm0, xmm1, 10");
t!(palignr_rr_11, "palignr xmm0, xmm1, 11");
t!(palignr_rr_12, "palignr xmm0, xmm1, 12");
t!(palignr_rr_13, "palignr xmm0, xmm1, 13");
t!(palignr_rr_14, "palignr xmm0, xmm1, 14");
t!(palignr_rr_15, "palignr xmm0, xmm1, 15");
t!(palignr_rr_16, "palignr xmm0, xmm1, 16");
t!(palignr_rr_17, "palignr xmm0, xmm1, 17");
t!(palignr_rr_18, "palignr xmm0, xmm1, 18");
t!(palignr_rr_19, "palignr xmm0, xmm1, 19");
t!(palignr_rr_20, "palignr xmm0, xmm1, 20");
t!(palignr_rr_21, "palignr xmm0, xmm1, 21");
t!(palignr_rr_22, "palignr xmm0, xmm1, 22");
t!(palignr_rr_23, "palignr xmm0, xmm1, 23");
t!(palignr_rr_24, "palignr xmm0, xmm1, 24");
t!(palignr_rr_25, "palignr xmm0, xmm1, 25");
t!(palignr_rr_26, "palignr xmm0, xmm1, 26");
t!(palignr_rr_27, "palignr xmm0, xmm1, 27");
t!(palignr_rr_28, "palignr xmm0, xmm1, 28");
t!(palignr_rr_29, "palignr xmm0, xmm1, 29");
t!(palignr_rr_30, "palignr xmm0, xmm1, 30");
t!(palignr_rr_31, "palignr xmm0, xmm1, 31");
t!(palignr_rr_32, "palignr xmm0, xmm1, 32");
t!(palignr_rr_33, "palignr xmm0, xmm1, 33");
t!(palignr_rr_63, "palignr xmm0, xmm1, 63");
t!(palignr_rr_128, "palignr xmm0, xmm1, 128");
t!(palignr_rr_255, "palignr xmm0, xmm1, 255");
t!(palignr_rm_0, "palignr xmm1, [rsi+32], 0");
t!(palignr_rm_1, "palignr xmm1, [rsi+32], 1");
t!(palignr_rm_5, "palignr xmm1, [rsi+32], 5");
t!(palignr_rm_15, "palignr xmm1, [rsi+32], 15");
t!(palignr_rm_16, "palignr xmm1, [rsi+32], 16");
t!(palignr_rm_17, "palignr xmm1, [rsi+32], 17");
t!(palignr_rm_31, "palignr xmm1, [rsi+32], 31");
t!(palignr_rm_32, "palignr xmm1, [rsi+32], 32");
