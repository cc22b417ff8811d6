//! The guest's memory map as the kernel shows it in `/proc/self/maps`: what the guest reads
//! there, what `--maps` prints when a process ends, and what a crash report shows.

use emu_cpu::mem::Vma;
use emu_cpu::{AddressSpace, Perm};

/// `rwxp`-style permissions of a mapping.
pub fn perms(v: &Vma) -> String {
    let Perm(bits) = v.perm;
    let bit = |m: u8, c: char| if bits & m != 0 { c } else { '-' };
    format!("{}{}{}{}", bit(1, 'r'), bit(2, 'w'), bit(4, 'x'), if v.shared { 's' } else { 'p' })
}

/// One line of /proc/self/maps, without its newline.
pub fn line(v: &Vma) -> String {
    let dev = format!("{:02x}:{:02x}", crate::abi::major(v.dev), crate::abi::minor(v.dev));
    let line = format!("{:08x}-{:08x} {} {:08x} {} {}", v.start, v.end, perms(v), v.offset, dev, v.inode);
    match v.name.as_deref() {
        None | Some("") => line,
        Some(name) => format!("{line:<72} {name}"),
    }
}

/// The whole map, one line per mapping, each ending in a newline.
pub fn text(mem: &AddressSpace) -> String {
    mem.vmas().map(|v| line(v) + "\n").collect()
}
