//! Memory: mmap/mprotect protections, mmap and mremap flags, madvise advice.

use super::flags;

/// Page protections (`PROT_READ|PROT_EXEC`, `PROT_NONE`).
pub(crate) fn prot(v: u64) -> String {
    if v == 0 {
        return "PROT_NONE".into();
    }
    flags(
        v,
        &[
            (1, "PROT_READ"),
            (2, "PROT_WRITE"),
            (4, "PROT_EXEC"),
            (0x0100_0000, "PROT_GROWSDOWN"),
            (0x0200_0000, "PROT_GROWSUP"),
        ],
    )
}

/// mmap's flags: the mapping type, then the other bits.
pub(crate) fn mmap_flags(v: u64) -> String {
    let kind = match v & 3 {
        1 => "MAP_SHARED",
        2 => "MAP_PRIVATE",
        3 => "MAP_SHARED_VALIDATE",
        _ => "0",
    };
    if v & !3 == 0 {
        return kind.into();
    }
    let rest = flags(
        v & !3,
        &[
            (0x10, "MAP_FIXED"),
            (0x20, "MAP_ANONYMOUS"),
            (0x40, "MAP_32BIT"),
            (0x100, "MAP_GROWSDOWN"),
            (0x800, "MAP_DENYWRITE"),
            (0x1000, "MAP_EXECUTABLE"),
            (0x2000, "MAP_LOCKED"),
            (0x4000, "MAP_NORESERVE"),
            (0x8000, "MAP_POPULATE"),
            (0x10000, "MAP_NONBLOCK"),
            (0x20000, "MAP_STACK"),
            (0x40000, "MAP_HUGETLB"),
            (0x80000, "MAP_SYNC"),
            (0x100000, "MAP_FIXED_NOREPLACE"),
        ],
    );
    format!("{kind}|{rest}")
}

pub(crate) fn mremap_flags(v: u64) -> String {
    flags(v, &[(1, "MREMAP_MAYMOVE"), (2, "MREMAP_FIXED"), (4, "MREMAP_DONTUNMAP")])
}

/// madvise's advice; an unknown one as a number.
pub(crate) fn madvise(v: u64) -> String {
    match v {
        0 => "MADV_NORMAL".into(),
        1 => "MADV_RANDOM".into(),
        2 => "MADV_SEQUENTIAL".into(),
        3 => "MADV_WILLNEED".into(),
        4 => "MADV_DONTNEED".into(),
        8 => "MADV_FREE".into(),
        9 => "MADV_REMOVE".into(),
        10 => "MADV_DONTFORK".into(),
        11 => "MADV_DOFORK".into(),
        12 => "MADV_MERGEABLE".into(),
        14 => "MADV_HUGEPAGE".into(),
        15 => "MADV_NOHUGEPAGE".into(),
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protections() {
        assert_eq!(prot(0), "PROT_NONE");
        assert_eq!(prot(3), "PROT_READ|PROT_WRITE");
        assert_eq!(prot(5), "PROT_READ|PROT_EXEC");
        assert_eq!(prot(0x0100_0001), "PROT_READ|PROT_GROWSDOWN");
    }

    #[test]
    fn mmap_flags_type_first() {
        assert_eq!(mmap_flags(0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(mmap_flags(0x2), "MAP_PRIVATE");
        assert_eq!(mmap_flags(0x812), "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE");
        assert_eq!(mmap_flags(0x24022), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE|MAP_STACK");
        assert_eq!(mmap_flags(0x8021), "MAP_SHARED|MAP_ANONYMOUS|MAP_POPULATE");
        assert_eq!(mmap_flags(0x100062), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_32BIT|MAP_FIXED_NOREPLACE");
        assert_eq!(mremap_flags(1), "MREMAP_MAYMOVE");
    }

    #[test]
    fn madvise_advice() {
        assert_eq!(madvise(4), "MADV_DONTNEED");
        assert_eq!(madvise(8), "MADV_FREE");
        assert_eq!(madvise(14), "MADV_HUGEPAGE");
    }
}
