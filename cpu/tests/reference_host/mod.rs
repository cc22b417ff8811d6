//! The host that the differential tests take as their oracle. Where the SDM leaves a result
//! undefined or to the implementation (undefined flags, RCPPS/DPPS rounding, the x87 FIP/FDP,
//! how some forms fault), emu computes what its reference host, an AMD Zen, computes. On
//! another vendor's CPU the host is no oracle for those results, so the tests that compare
//! them skip there, saying why (the conformance test falls back to its recorded
//! expectations, which an AMD host made).

/// Why this host cannot judge the reference host's implementation-specific results, if it
/// cannot.
pub fn not_reference() -> Option<String> {
    #[cfg(target_arch = "x86_64")]
    {
        let r = std::arch::x86_64::__cpuid(0);
        let mut v = Vec::new();
        for x in [r.ebx, r.edx, r.ecx] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        let v = String::from_utf8_lossy(&v).into_owned();
        if v != "AuthenticAMD" {
            return Some(format!(
                "the host CPU is {v}, not the AMD reference host whose implementation-specific \
                 results emu reproduces"
            ));
        }
    }
    None
}

/// Whether test `name` must skip on this host (it says why on stdout).
#[allow(dead_code)]
pub fn skip_here(name: &str) -> bool {
    match not_reference() {
        Some(why) => {
            println!("{name}: skipped: {why}");
            true
        }
        None => false,
    }
}
