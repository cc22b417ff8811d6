//! Programs emu must refuse: each gets exactly one `emu:` line on stderr and the shell's
//! status (127 not found, 126 found but not runnable), never a panic, a hang, or output on
//! stdout. The corrupt ELF files are made here from a valid rom's bytes.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A refusal is immediate; anything slower is a hang (or an attempt to honour absurd sizes).
const REFUSE_TIMEOUT: Duration = Duration::from_secs(20);

const NOT_FOUND: i32 = 127;
const NOT_RUNNABLE: i32 = 126;

/// The valid program the corrupt files are made from: a static musl ET_EXEC with four
/// PT_LOAD segments.
const BASE: &str = "roms/bin/hello.musl";

fn assert_refused(case: &str, program: &Path, code: i32) {
    let mut c = Command::new(emu());
    c.arg(program).arg("guest-arg").env_clear().envs(FIXED_ENV.iter().copied()).current_dir(root());
    let o = run(c, REFUSE_TIMEOUT);
    assert_no_panic(case, &o);
    assert_ne!(o.status, Status::Timeout, "{case}: emu hung");
    let err = o.stderr_text();
    assert_eq!(o.status, Status::Exit(code), "{case}: wrong status; stderr:\n{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("emu: ") && lines[0].len() > "emu: ".len(),
        "{case}: expected exactly one `emu: ` line on stderr, got:\n{err}"
    );
    assert!(o.stdout.is_empty(), "{case}: printed on stdout: {}", String::from_utf8_lossy(&o.stdout));
}

/// Writes `bytes` as an executable file in a scratch directory.
fn write_exe(case: &str, bytes: &[u8]) -> PathBuf {
    let p = scratch_dir(case).join("prog");
    std::fs::write(&p, bytes).expect("write test file");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    p
}

fn refuse_bytes(case: &str, bytes: &[u8]) {
    let p = write_exe(case, bytes);
    assert_refused(case, &p, NOT_RUNNABLE);
}

/// The little-endian ELF64 fields the cases edit.
struct Elf(Vec<u8>);

impl Elf {
    fn base() -> Elf {
        Elf(std::fs::read(root().join(BASE)).expect("read base rom (run roms/build.sh)"))
    }
    fn u16(&self, off: usize) -> u16 {
        u16::from_le_bytes(self.0[off..off + 2].try_into().unwrap())
    }
    fn u64(&self, off: usize) -> u64 {
        u64::from_le_bytes(self.0[off..off + 8].try_into().unwrap())
    }
    fn set_u16(&mut self, off: usize, v: u16) {
        self.0[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn set_u32(&mut self, off: usize, v: u32) {
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn set_u64(&mut self, off: usize, v: u64) {
        self.0[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    fn phoff(&self) -> usize {
        self.u64(0x20) as usize
    }
    fn phnum(&self) -> usize {
        self.u16(0x38) as usize
    }
    /// File offset of program header `i`.
    fn ph(&self, i: usize) -> usize {
        self.phoff() + i * 56
    }
    /// Indices of the PT_LOAD program headers.
    fn loads(&self) -> Vec<usize> {
        (0..self.phnum())
            .filter(|&i| u32::from_le_bytes(self.0[self.ph(i)..self.ph(i) + 4].try_into().unwrap()) == 1)
            .collect()
    }
    // Offsets inside a program header.
    const P_OFFSET: usize = 8;
    const P_VADDR: usize = 16;
    const P_PADDR: usize = 24;
    const P_FILESZ: usize = 32;
    const P_MEMSZ: usize = 40;
}

#[test]
fn base_rom_is_what_the_cases_assume() {
    let e = Elf::base();
    assert_eq!(&e.0[..4], b"\x7fELF");
    assert_eq!(e.0[4], 2, "ELFCLASS64");
    assert_eq!(e.u16(0x10), 2, "ET_EXEC");
    assert!(e.loads().len() >= 2, "needs two PT_LOADs");
}

#[test]
fn missing_file() {
    assert_refused("missing file", Path::new("roms/bin/does-not-exist"), NOT_FOUND);
    assert_refused("missing directory", Path::new("/nonexistent-dir/prog"), NOT_FOUND);
}

#[test]
fn directory() {
    assert_refused("directory", Path::new("roms/bin"), NOT_RUNNABLE);
}

#[test]
fn not_a_regular_file() {
    assert_refused("/dev/null", Path::new("/dev/null"), NOT_RUNNABLE);
}

#[test]
fn no_execute_permission() {
    // Even root cannot execve a file without any execute bit (EACCES); emu says so too.
    let p = write_exe("no-x", &Elf::base().0);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let native = Command::new(&p).output();
    assert!(
        matches!(&native, Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied),
        "the host ran a file without execute permission: {native:?}"
    );
    assert_refused("no execute permission", &p, NOT_RUNNABLE);
}

#[test]
fn empty_file() {
    refuse_bytes("empty", b"");
}

#[test]
fn text_file() {
    refuse_bytes("text", b"this is not a program\n");
}

#[test]
fn shell_script_without_shebang() {
    // execve gives ENOEXEC (a shell would then run it itself; emu is not a shell).
    refuse_bytes("script", b"echo hello\nexit 3\n");
}

#[test]
fn elf_magic_only() {
    refuse_bytes("magic only", b"\x7fELF");
}

#[test]
fn header_truncated() {
    refuse_bytes("header truncated", &Elf::base().0[..40]);
}

#[test]
fn i386_elf() {
    assert_refused("i386", Path::new("roms/bin/foreign/i386-hello"), NOT_RUNNABLE);
}

#[test]
fn aarch64_elf() {
    assert_refused("aarch64", Path::new("roms/bin/foreign/aarch64-hello"), NOT_RUNNABLE);
}

#[test]
fn big_endian_elf() {
    let mut e = Elf::base();
    e.0[5] = 2; // ELFDATA2MSB
    refuse_bytes("big endian", &e.0);
}

#[test]
fn bad_elf_class() {
    let mut e = Elf::base();
    e.0[4] = 1; // ELFCLASS32 with 64-bit headers
    refuse_bytes("class 32", &e.0);
    e.0[4] = 7;
    refuse_bytes("class 7", &e.0);
}

#[test]
fn wrong_machine_in_64_bit_header() {
    let mut e = Elf::base();
    e.set_u16(0x12, 3); // EM_386
    refuse_bytes("EM_386", &e.0);
    e.set_u16(0x12, 183); // EM_AARCH64
    refuse_bytes("EM_AARCH64", &e.0);
}

#[test]
fn not_an_executable_type() {
    let mut e = Elf::base();
    e.set_u16(0x10, 1); // ET_REL
    refuse_bytes("ET_REL", &e.0);
    e.set_u16(0x10, 4); // ET_CORE
    refuse_bytes("ET_CORE", &e.0);
}

#[test]
fn program_headers_truncated() {
    let e = Elf::base();
    let cut = e.ph(e.phnum() - 1) + 20;
    refuse_bytes("phdrs truncated", &e.0[..cut]);
}

#[test]
fn program_headers_past_end_of_file() {
    let mut e = Elf::base();
    let len = e.0.len() as u64;
    e.set_u64(0x20, len - 8);
    refuse_bytes("phoff past EOF", &e.0);
    e.set_u64(0x20, u64::MAX - 16); // offset + size overflows
    refuse_bytes("phoff overflow", &e.0);
}

#[test]
fn huge_phnum() {
    let mut e = Elf::base();
    e.set_u16(0x38, 0xffff);
    refuse_bytes("phnum 0xffff", &e.0);
}

#[test]
fn no_program_headers() {
    let mut e = Elf::base();
    e.set_u16(0x38, 0);
    refuse_bytes("phnum 0", &e.0);
}

#[test]
fn wrong_phentsize() {
    let mut e = Elf::base();
    e.set_u16(0x36, 32);
    refuse_bytes("phentsize 32", &e.0);
}

#[test]
fn no_loadable_segment() {
    let mut e = Elf::base();
    for i in e.loads() {
        let at = e.ph(i);
        e.set_u32(at, 4); // PT_NOTE
    }
    refuse_bytes("no PT_LOAD", &e.0);
}

#[test]
fn segment_past_end_of_file() {
    let mut e = Elf::base();
    let last = *e.loads().last().unwrap();
    let at = e.ph(last);
    let len = e.0.len() as u64;
    let off = e.u64(at + Elf::P_OFFSET);
    e.set_u64(at + Elf::P_FILESZ, len - off + 0x10000);
    e.set_u64(at + Elf::P_MEMSZ, len - off + 0x10000);
    refuse_bytes("filesz past EOF", &e.0);
}

#[test]
fn segment_offset_past_end_of_file() {
    let mut e = Elf::base();
    let first = e.loads()[1];
    let at = e.ph(first);
    let vaddr = e.u64(at + Elf::P_VADDR);
    // Keep offset and vaddr congruent modulo the page size so only the range is wrong.
    e.set_u64(at + Elf::P_OFFSET, 0x4000_0000 + (vaddr & 0xfff));
    refuse_bytes("offset past EOF", &e.0);
    e.set_u64(at + Elf::P_OFFSET, !0xfff_u64 + (vaddr & 0xfff));
    refuse_bytes("offset + filesz overflows", &e.0);
}

#[test]
fn file_truncated_inside_a_segment() {
    let e = Elf::base();
    let second = e.loads()[1];
    let at = e.ph(second);
    let cut = (e.u64(at + Elf::P_OFFSET) + e.u64(at + Elf::P_FILESZ) / 2) as usize;
    refuse_bytes("truncated in a segment", &e.0[..cut]);
}

#[test]
fn memsz_smaller_than_filesz() {
    let mut e = Elf::base();
    let at = e.ph(e.loads()[1]);
    let filesz = e.u64(at + Elf::P_FILESZ);
    e.set_u64(at + Elf::P_MEMSZ, filesz / 2);
    refuse_bytes("memsz < filesz", &e.0);
}

#[test]
fn huge_memsz() {
    let mut e = Elf::base();
    let last = *e.loads().last().unwrap();
    let at = e.ph(last);
    e.set_u64(at + Elf::P_MEMSZ, 0x7fff_ffff_0000_0000);
    refuse_bytes("memsz huge", &e.0);
    e.set_u64(at + Elf::P_MEMSZ, u64::MAX - 0x1000); // vaddr + memsz overflows
    refuse_bytes("vaddr + memsz overflows", &e.0);
}

#[test]
fn segment_at_a_kernel_address() {
    let mut e = Elf::base();
    let last = *e.loads().last().unwrap();
    let at = e.ph(last);
    let vaddr = e.u64(at + Elf::P_VADDR);
    let kaddr = 0xffff_ffff_8000_0000 | (vaddr & 0xfff);
    e.set_u64(at + Elf::P_VADDR, kaddr);
    e.set_u64(at + Elf::P_PADDR, kaddr);
    refuse_bytes("kernel address", &e.0);
}

#[test]
fn segments_overlap() {
    let mut e = Elf::base();
    let loads = e.loads();
    let (a, b) = (e.ph(loads[1]), e.ph(loads[2]));
    // Move segment b onto segment a's pages (same offset within the page, so only the overlap
    // is wrong).
    let va = e.u64(a + Elf::P_VADDR);
    let vb = e.u64(b + Elf::P_VADDR);
    let moved = (va & !0xfff) | (vb & 0xfff);
    e.set_u64(b + Elf::P_VADDR, moved);
    e.set_u64(b + Elf::P_PADDR, moved);
    refuse_bytes("overlapping segments", &e.0);
}

#[test]
fn segment_offset_and_address_not_congruent() {
    let mut e = Elf::base();
    let at = e.ph(e.loads()[1]);
    let v = e.u64(at + Elf::P_VADDR);
    e.set_u64(at + Elf::P_VADDR, v + 1);
    e.set_u64(at + Elf::P_PADDR, v + 1);
    refuse_bytes("offset % page != vaddr % page", &e.0);
}

#[test]
fn garbage_after_a_valid_header_magic() {
    // Deterministic pseudo-random bytes behind a valid ELF identification.
    let mut bytes = Elf::base().0[..16].to_vec();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push(x as u8);
    }
    refuse_bytes("garbage", &bytes);
}
