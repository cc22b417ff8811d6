//! Signal delivery (`roms/src/signals.c`, static glibc): faults caught by handlers that
//! siglongjmp out or edit the interrupted context (general registers, RIP, XMM, the YMM upper
//! halves in the frame's XSAVE state) and return,
//! SIGFPE from integer division, SIGALRM from setitimer interrupting a blocking read with and
//! without SA_RESTART, sigaltstack, masks/pending/sigsuspend/sigwaitinfo, siginfo of signals
//! sent to oneself, SA_RESETHAND and SA_NODEFER. Native run vs emu, as `tests/roms.rs`.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;

use rom_case::Case;

fn sig(mode: &str) {
    Case::new(&format!("signals-{mode}.glibc"), "roms/bin/signals.glibc", &[mode]).in_scratch().check();
}

#[test]
fn segv_siglongjmp() {
    sig("segv-longjmp");
}

#[test]
fn segv_handler_edits_context() {
    sig("segv-context");
}

#[test]
fn sigill_handler_edits_context() {
    sig("ill-context");
}

#[test]
fn sigtrap_int3_handler_edits_context() {
    sig("trap-context");
}

/// The frame's FP state in XSAVE layout (magic words, sizes, XSTATE_BV) with the YMM upper
/// halves: a handler edits them and sees them restored, or resets them by clearing
/// XSTATE_BV, the saved features or MAGIC2.
#[test]
fn handler_edits_ymm_upper_halves() {
    sig("ymm-context");
}

#[test]
fn sigfpe_integer_division() {
    sig("fpe");
}

#[test]
fn sigalrm_read_sa_restart() {
    sig("alarm-restart");
}

#[test]
fn sigalrm_read_eintr() {
    sig("alarm-eintr");
}

#[test]
fn sigaltstack_sa_onstack() {
    sig("altstack");
}

#[test]
fn mask_pending_sigsuspend() {
    sig("mask");
}

#[test]
fn siginfo_of_signals_to_self() {
    sig("siginfo");
}

#[test]
fn sa_resethand() {
    sig("resethand");
}

#[test]
fn sa_nodefer_and_sa_mask() {
    sig("nodefer");
}
