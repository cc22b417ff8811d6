//! SSE/SSE2 moves, shuffles, unpacks, inserts and extracts against the host CPU.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod sse_harness;
use sse_harness::*;

macro_rules! t {
    ($name:ident, $insn:literal) => {
        mod $name {
            use super::*;
            stub!($name, $insn);
            #[test]
            fn host() {
                let mut c = Checker::new(stringify!($name), $name);
                run_fp(&mut c, Kind::Int, 600, 0x3c0d_e5ee ^ line!() as u64);
            }
        }
    };
}

t!(movaps_xmm0_xmm1, "movaps xmm0, xmm1");
t!(movaps_xmm0_rsi, "movaps xmm0, [rsi]");
t!(movaps_rsi_16_xmm1, "movaps [rsi+16], xmm1");
t!(movapd_xmm0_xmm1, "movapd xmm0, xmm1");
t!(movapd_xmm0_rsi, "movapd xmm0, [rsi]");
t!(movapd_rsi_16_xmm1, "movapd [rsi+16], xmm1");
t!(movdqa_xmm0_xmm1, "movdqa xmm0, xmm1");
t!(movdqa_xmm0_rsi, "movdqa xmm0, [rsi]");
t!(movdqa_rsi_16_xmm1, "movdqa [rsi+16], xmm1");
t!(movups_xmm0_xmm1, "movups xmm0, xmm1");
t!(movups_xmm0_rsi_3, "movups xmm0, [rsi+3]");
t!(movups_rsi_5_xmm1, "movups [rsi+5], xmm1");
t!(movups_xmm3_xmm2, "movups xmm3, xmm2");
t!(movupd_xmm0_xmm1, "movupd xmm0, xmm1");
t!(movupd_xmm0_rsi_3, "movupd xmm0, [rsi+3]");
t!(movupd_rsi_5_xmm1, "movupd [rsi+5], xmm1");
t!(movupd_xmm3_xmm2, "movupd xmm3, xmm2");
t!(movdqu_xmm0_xmm1, "movdqu xmm0, xmm1");
t!(movdqu_xmm0_rsi_3, "movdqu xmm0, [rsi+3]");
t!(movdqu_rsi_5_xmm1, "movdqu [rsi+5], xmm1");
t!(movdqu_xmm3_xmm2, "movdqu xmm3, xmm2");
t!(movntps_rsi_16_xmm1, "movntps [rsi+16], xmm1");
t!(movntpd_rsi_xmm2, "movntpd [rsi], xmm2");
t!(movntdq_rsi_32_xmm3, "movntdq [rsi+32], xmm3");
t!(movnti_rsi_4_eax, "movnti [rsi+4], eax");
t!(movnti_rsi_8_rcx, "movnti [rsi+8], rcx");
t!(
    push_rdi_lea_rdi_rsi_3_maskmovdqu_xmm0_xmm1_pop_rdi,
    "push rdi
 lea rdi, [rsi+3]
 maskmovdqu xmm0, xmm1
 pop rdi"
);
t!(movss_xmm0_xmm1, "movss xmm0, xmm1");
t!(movss_xmm0_rsi, "movss xmm0, [rsi]");
t!(movss_rsi_4_xmm1, "movss [rsi+4], xmm1");
t!(movsd_xmm0_xmm1, "movsd xmm0, xmm1");
t!(movsd_xmm0_rsi, "movsd xmm0, [rsi]");
t!(movsd_rsi_8_xmm2, "movsd [rsi+8], xmm2");
t!(movq_xmm0_xmm1, "movq xmm0, xmm1");
t!(movq_xmm0_rsi, "movq xmm0, [rsi]");
t!(movq_rsi_8_xmm1, "movq [rsi+8], xmm1");
t!(movq_xmm0_rax, "movq xmm0, rax");
t!(movq_rax_xmm1, "movq rax, xmm1");
t!(movd_xmm0_eax, "movd xmm0, eax");
t!(movd_eax_xmm1, "movd eax, xmm1");
t!(movd_xmm0_rsi, "movd xmm0, [rsi]");
t!(movd_rsi_4_xmm1, "movd [rsi+4], xmm1");
t!(raw_0x66_0x48_0x0f_0x6e_0x06, ".byte 0x66,0x48,0x0f,0x6e,0x06");
t!(raw_0x66_0x48_0x0f_0x7e_0x0e, ".byte 0x66,0x48,0x0f,0x7e,0x0e");
t!(raw_0x66_0x0f_0xd6_0xc8, ".byte 0x66,0x0f,0xd6,0xc8");
t!(movd_ecx_xmm0, "movd ecx, xmm0");
t!(movq_rcx_xmm2, "movq rcx, xmm2");
t!(movhps_xmm0_rsi, "movhps xmm0, [rsi]");
t!(movhps_rsi_8_xmm1, "movhps [rsi+8], xmm1");
t!(movhpd_xmm0_rsi, "movhpd xmm0, [rsi]");
t!(movhpd_rsi_8_xmm1, "movhpd [rsi+8], xmm1");
t!(movlps_xmm0_rsi, "movlps xmm0, [rsi]");
t!(movlps_rsi_8_xmm1, "movlps [rsi+8], xmm1");
t!(movlpd_xmm0_rsi, "movlpd xmm0, [rsi]");
t!(movlpd_rsi_8_xmm1, "movlpd [rsi+8], xmm1");
t!(movhlps_xmm0_xmm1, "movhlps xmm0, xmm1");
t!(movlhps_xmm0_xmm1, "movlhps xmm0, xmm1");
t!(movmskps_eax_xmm1, "movmskps eax, xmm1");
t!(movmskps_rcx_xmm1, "movmskps rcx, xmm1");
t!(movmskpd_eax_xmm1, "movmskpd eax, xmm1");
t!(movmskpd_rcx_xmm2, "movmskpd rcx, xmm2");
t!(pmovmskb_eax_xmm1, "pmovmskb eax, xmm1");
t!(pmovmskb_rcx_xmm2, "pmovmskb rcx, xmm2");
t!(unpcklps_xmm0_xmm1, "unpcklps xmm0, xmm1");
t!(unpcklps_xmm0_rsi, "unpcklps xmm0, [rsi]");
t!(unpckhps_xmm0_xmm1, "unpckhps xmm0, xmm1");
t!(unpckhps_xmm0_rsi, "unpckhps xmm0, [rsi]");
t!(unpcklpd_xmm0_xmm1, "unpcklpd xmm0, xmm1");
t!(unpcklpd_xmm0_rsi, "unpcklpd xmm0, [rsi]");
t!(unpckhpd_xmm0_xmm1, "unpckhpd xmm0, xmm1");
t!(unpckhpd_xmm0_rsi, "unpckhpd xmm0, [rsi]");
t!(punpcklbw_xmm0_xmm1, "punpcklbw xmm0, xmm1");
t!(punpcklbw_xmm0_rsi, "punpcklbw xmm0, [rsi]");
t!(punpcklwd_xmm0_xmm1, "punpcklwd xmm0, xmm1");
t!(punpcklwd_xmm0_rsi, "punpcklwd xmm0, [rsi]");
t!(punpckldq_xmm0_xmm1, "punpckldq xmm0, xmm1");
t!(punpckldq_xmm0_rsi, "punpckldq xmm0, [rsi]");
t!(punpcklqdq_xmm0_xmm1, "punpcklqdq xmm0, xmm1");
t!(punpcklqdq_xmm0_rsi, "punpcklqdq xmm0, [rsi]");
t!(punpckhbw_xmm0_xmm1, "punpckhbw xmm0, xmm1");
t!(punpckhbw_xmm0_rsi, "punpckhbw xmm0, [rsi]");
t!(punpckhwd_xmm0_xmm1, "punpckhwd xmm0, xmm1");
t!(punpckhwd_xmm0_rsi, "punpckhwd xmm0, [rsi]");
t!(punpckhdq_xmm0_xmm1, "punpckhdq xmm0, xmm1");
t!(punpckhdq_xmm0_rsi, "punpckhdq xmm0, [rsi]");
t!(punpckhqdq_xmm0_xmm1, "punpckhqdq xmm0, xmm1");
t!(punpckhqdq_xmm0_rsi, "punpckhqdq xmm0, [rsi]");
t!(shufps_xmm0_xmm1_0x00, "shufps xmm0, xmm1, 0x00");
t!(pshufd_xmm0_xmm1_0x00, "pshufd xmm0, xmm1, 0x00");
t!(pshuflw_xmm0_xmm1_0x00, "pshuflw xmm0, xmm1, 0x00");
t!(pshufhw_xmm0_xmm1_0x00, "pshufhw xmm0, xmm1, 0x00");
t!(shufps_xmm0_xmm1_0x1b, "shufps xmm0, xmm1, 0x1b");
t!(pshufd_xmm0_xmm1_0x1b, "pshufd xmm0, xmm1, 0x1b");
t!(pshuflw_xmm0_xmm1_0x1b, "pshuflw xmm0, xmm1, 0x1b");
t!(pshufhw_xmm0_xmm1_0x1b, "pshufhw xmm0, xmm1, 0x1b");
t!(shufps_xmm0_xmm1_0xe4, "shufps xmm0, xmm1, 0xe4");
t!(pshufd_xmm0_xmm1_0xe4, "pshufd xmm0, xmm1, 0xe4");
t!(pshuflw_xmm0_xmm1_0xe4, "pshuflw xmm0, xmm1, 0xe4");
t!(pshufhw_xmm0_xmm1_0xe4, "pshufhw xmm0, xmm1, 0xe4");
t!(shufps_xmm0_xmm1_0x93, "shufps xmm0, xmm1, 0x93");
t!(pshufd_xmm0_xmm1_0x93, "pshufd xmm0, xmm1, 0x93");
t!(pshuflw_xmm0_xmm1_0x93, "pshuflw xmm0, xmm1, 0x93");
t!(pshufhw_xmm0_xmm1_0x93, "pshufhw xmm0, xmm1, 0x93");
t!(shufps_xmm0_xmm1_0xff, "shufps xmm0, xmm1, 0xff");
t!(pshufd_xmm0_xmm1_0xff, "pshufd xmm0, xmm1, 0xff");
t!(pshuflw_xmm0_xmm1_0xff, "pshuflw xmm0, xmm1, 0xff");
t!(pshufhw_xmm0_xmm1_0xff, "pshufhw xmm0, xmm1, 0xff");
t!(shufps_xmm0_xmm1_0x4e, "shufps xmm0, xmm1, 0x4e");
t!(pshufd_xmm0_xmm1_0x4e, "pshufd xmm0, xmm1, 0x4e");
t!(pshuflw_xmm0_xmm1_0x4e, "pshuflw xmm0, xmm1, 0x4e");
t!(pshufhw_xmm0_xmm1_0x4e, "pshufhw xmm0, xmm1, 0x4e");
t!(shufps_xmm0_rsi_0x27, "shufps xmm0, [rsi], 0x27");
t!(pshufd_xmm0_rsi_0x4e, "pshufd xmm0, [rsi], 0x4e");
t!(pshuflw_xmm0_rsi_16_0x1b, "pshuflw xmm0, [rsi+16], 0x1b");
t!(pshufhw_xmm0_rsi_0x1b, "pshufhw xmm0, [rsi], 0x1b");
t!(shufpd_xmm0_xmm1_0, "shufpd xmm0, xmm1, 0");
t!(shufpd_xmm0_xmm1_1, "shufpd xmm0, xmm1, 1");
t!(shufpd_xmm0_xmm1_2, "shufpd xmm0, xmm1, 2");
t!(shufpd_xmm0_xmm1_3, "shufpd xmm0, xmm1, 3");
t!(shufpd_xmm0_rsi_1, "shufpd xmm0, [rsi], 1");
t!(pextrw_eax_xmm1_5, "pextrw eax, xmm1, 5");
t!(pextrw_rcx_xmm1_3, "pextrw rcx, xmm1, 3");
t!(pextrw_eax_xmm1_0xf, "pextrw eax, xmm1, 0xf");
t!(pinsrw_xmm0_eax_3, "pinsrw xmm0, eax, 3");
t!(pinsrw_xmm0_word_ptr_rsi_7, "pinsrw xmm0, word ptr [rsi], 7");
t!(pinsrw_xmm0_ecx_9, "pinsrw xmm0, ecx, 9");
t!(raw_movaps_29_rr, ".byte 0x0f,0x29,0xc8");
t!(raw_movss_11_rr, ".byte 0xf3,0x0f,0x11,0xc8");
t!(raw_movsd_11_rr, ".byte 0xf2,0x0f,0x11,0xc8");
t!(raw_movdqa_7f_rr, ".byte 0x66,0x0f,0x7f,0xc8");
t!(raw_movups_11_rr, ".byte 0x0f,0x11,0xd1");
