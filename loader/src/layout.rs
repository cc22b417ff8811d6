//! Linux's x86-64 address-space layout policy: the lowest address a mapping may take, and
//! where a mapping without a fixed address goes (top-down from the mmap base, as Linux's
//! default `mmap_base` layout). The CPU's address space only keeps mappings; the loader
//! and the kernel shim decide where they go.

use emu_cpu::mem::{page_align_up, PAGE_MASK, USER_END};
use emu_cpu::AddressSpace;

/// Lowest address the guest may map (Linux's default vm.mmap_min_addr).
pub const MMAP_MIN_ADDR: u64 = 0x10000;

/// A free range of `len` bytes: at `hint` if that range is free, else the highest one
/// below the address space's mmap base.
pub fn find_free(mem: &AddressSpace, hint: u64, len: u64) -> Option<u64> {
    let len = page_align_up(len);
    if hint != 0 && hint & PAGE_MASK == 0 && hint >= MMAP_MIN_ADDR {
        if let Some(end) = hint.checked_add(len) {
            if end <= USER_END && !mem.any_mapped(hint, end) {
                return Some(hint);
            }
        }
    }
    let mut top = mem.mmap_top;
    for v in mem.vmas().rev().filter(|v| v.start < mem.mmap_top) {
        if v.end <= top && top - v.end >= len {
            return Some(top - len);
        }
        top = top.min(v.start);
    }
    (top >= len && top - len >= MMAP_MIN_ADDR).then(|| top - len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use emu_cpu::mem::VmaInfo;
    use emu_cpu::Perm;

    #[test]
    fn top_down_below_the_mmap_base_and_the_hint_when_free() {
        let mut m = AddressSpace::new();
        let top = m.mmap_top;
        let a = find_free(&m, 0, 0x2000).unwrap();
        assert_eq!(a, top - 0x2000);
        m.map(a, 0x2000, Perm::RW, VmaInfo::anon()).unwrap();
        assert_eq!(find_free(&m, 0, 0x1000).unwrap(), a - 0x1000);
        assert_eq!(find_free(&m, 0x40_0000, 0x1000).unwrap(), 0x40_0000);
        // A taken hint falls back to the top-down search; one below the minimum is ignored.
        assert_eq!(find_free(&m, a, 0x1000).unwrap(), a - 0x1000);
        assert_eq!(find_free(&m, 0x1000, 0x1000).unwrap(), a - 0x1000);
    }
}
