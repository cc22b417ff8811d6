//! POSIX timers (`roms/src/timers.c`, static glibc): timer_create/settime/gettime/getoverrun/
//! delete with SIGEV_SIGNAL, SIGEV_THREAD_ID and SIGEV_NONE on the realtime, monotonic and
//! process CPU-time clocks; SI_TIMER siginfo with si_value and si_overrun; a timer ending a
//! blocking read and a nanosleep early. Native run vs emu.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;

use rom_case::Case;

#[test]
fn posix_timers() {
    Case::new("timers.glibc", "roms/bin/timers.glibc", &[]).check();
}
