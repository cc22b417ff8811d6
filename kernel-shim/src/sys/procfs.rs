//! The parts of /proc a program reads about itself, generated from emu's state rather
//! than the host's (which would describe emu, not the guest).

use crate::Process;

/// Contents of /proc/self/<tail>, if emu generates that file.
pub(crate) fn self_file(p: &mut Process, tail: &[u8]) -> Option<Vec<u8>> {
    match tail {
        b"maps" => Some(maps(p)),
        b"auxv" => Some(
            p.auxv.iter().flat_map(|(k, v)| k.to_le_bytes().into_iter().chain(v.to_le_bytes())).collect(),
        ),
        b"cmdline" => read_range(p, p.argv_range),
        b"environ" => read_range(p, p.env_range),
        _ => None,
    }
}

fn read_range(p: &mut Process, (a, b): (u64, u64)) -> Option<Vec<u8>> {
    let mut v = vec![0u8; (b - a) as usize];
    p.cpu.mem.read(a, &mut v).ok()?;
    Some(v)
}

/// The guest's mappings in the kernel's /proc/self/maps format.
pub(crate) fn maps(p: &Process) -> Vec<u8> {
    crate::maps::text(&p.cpu.mem).into_bytes()
}

/// /proc/cpuinfo consistent with emu's CPUID model, not the host's.
pub(crate) fn cpuinfo(p: &Process) -> Vec<u8> {
    let c = &p.cpu.cpuid;
    let brand: String = (0x8000_0002u32..=0x8000_0004)
        .flat_map(|l| c.query(l, 0))
        .flat_map(|w| w.to_le_bytes())
        .take_while(|&b| b != 0)
        .map(|b| b as char)
        .collect();
    let sig = c.query(1, 0)[0];
    format!(
        "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: {}\nmodel\t\t: {}\nmodel name\t: {}\nstepping\t: {}\n\
         cpu MHz\t\t: 3000.000\ncache size\t: 8192 KB\nphysical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n\
         fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\nflags\t\t: {}\nbogomips\t: 6000.00\n\
         clflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 39 bits physical, 48 bits virtual\n\n",
        (sig >> 8) & 0xf,
        ((sig >> 4) & 0xf) | ((sig >> 12) & 0xf0),
        brand,
        sig & 0xf,
        c.cpuinfo_flags()
    )
    .into_bytes()
}
