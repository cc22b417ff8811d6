//! Dynamically linked roms built with gcc against the host's glibc (`roms/build.sh`): the
//! guest's own ld.so loads `roms/bin/libemutest.so` (rpath `$ORIGIN`), binds lazily or at start
//! (`-z now`), for PIE, non-PIE and `-fno-plt` programs, dlopens `libemuplug.so`; `cxx.dyn`
//! throws C++ exceptions across a shared-library boundary and runs static constructors,
//! destructors and std::thread. Each runs with and without `LD_BIND_NOW=1`, natively and under
//! emu. They need the host's x86-64 ld.so and libraries: skipped elsewhere.

mod common;
#[path = "support/rom_case.rs"]
mod rom_case;

use rom_case::Case;

fn dynamic(prog: &str, bind_now: bool) {
    let name = format!("{prog}{}", if bind_now { ".bindnow" } else { "" });
    let mut c = Case::new(&name, &format!("roms/bin/{prog}"), &["arg"]).needs_host();
    if bind_now {
        c = c.env("LD_BIND_NOW", "1");
    }
    c.check();
}

#[test]
fn lazy_pie() {
    dynamic("dyn.lazy", false);
}

#[test]
fn lazy_pie_ld_bind_now() {
    dynamic("dyn.lazy", true);
}

#[test]
fn z_now() {
    dynamic("dyn.now", false);
}

#[test]
fn z_now_ld_bind_now() {
    dynamic("dyn.now", true);
}

#[test]
fn non_pie() {
    dynamic("dyn.nopie", false);
}

#[test]
fn non_pie_ld_bind_now() {
    dynamic("dyn.nopie", true);
}

#[test]
fn no_plt() {
    dynamic("dyn.noplt", false);
}

#[test]
fn no_plt_ld_bind_now() {
    dynamic("dyn.noplt", true);
}

#[test]
fn cxx_exceptions_ctors_threads() {
    dynamic("cxx.dyn", false);
}

#[test]
fn cxx_exceptions_ctors_threads_ld_bind_now() {
    dynamic("cxx.dyn", true);
}
