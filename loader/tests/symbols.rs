//! The symbolizer against the host's binutils: symbols as `nm` / `nm -D` list them, and
//! `name@plt` stubs where `objdump -d` puts them. Skipped when the tools or files are absent.

use emu_loader::symbols::{ObjectSymbols, SymKind};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn roms() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../roms/bin")
}

fn tool(args: &[&str]) -> Option<String> {
    let out = Command::new(args[0]).args(&args[1..]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn parse(path: &Path) -> ObjectSymbols {
    let data = std::fs::read(path).unwrap();
    ObjectSymbols::parse(path, &data, &|id| {
        let p = PathBuf::from(format!("/usr/lib/debug/.build-id/{}/{}.debug", &id[..2], &id[2..]));
        std::fs::read(&p).ok().map(|d| (p, d))
    })
    .unwrap()
}

/// (address, name) of the defined code symbols `nm` lists.
fn nm_funcs(args: &[&str]) -> Option<Vec<(u64, String)>> {
    let out = tool(args)?;
    let mut v = Vec::new();
    for l in out.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() == 3 && matches!(f[1], "T" | "t" | "W" | "i") {
            v.push((u64::from_str_radix(f[0], 16).unwrap(), f[2].to_string()));
        }
    }
    Some(v)
}

fn check_nm(path: &Path, dynamic: bool) {
    let p = path.to_str().unwrap();
    let args: Vec<&str> =
        if dynamic { vec!["nm", "-D", "--defined-only", p] } else { vec!["nm", "--defined-only", p] };
    let Some(want) = nm_funcs(&args) else {
        eprintln!("skipped: nm cannot read {p}");
        return;
    };
    assert!(want.len() > 5, "{p}: nm listed only {} symbols", want.len());
    let o = parse(path);
    let have: HashSet<(u64, String)> = o.symbols.iter().map(|s| (s.addr, s.nm_name())).collect();
    let missing: Vec<_> = want.iter().filter(|w| !have.contains(w)).collect();
    assert!(
        missing.is_empty(),
        "{p}: {} of {} nm symbols missing, e.g. {:?}",
        missing.len(),
        want.len(),
        &missing[..missing.len().min(5)]
    );
}

#[test]
fn dynsym_with_versions_matches_nm_dynamic_for_libc() {
    check_nm(Path::new("/lib/x86_64-linux-gnu/libc.so.6"), true);
}

#[test]
fn symtab_matches_nm_for_roms() {
    for r in ["dyn.lazy", "dyn.nopie", "dyn.noplt", "libemutest.so", "cxx.dyn"] {
        check_nm(&roms().join(r), false);
    }
}

#[test]
fn plt_stubs_match_objdump() {
    let files = ["dyn.lazy", "dyn.now", "dyn.nopie", "dyn.noplt", "libemutest.so", "cxx.dyn"]
        .iter()
        .map(|r| roms().join(r))
        .chain([PathBuf::from("/bin/echo"), PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6")]);
    for path in files {
        let p = path.to_str().unwrap();
        let Some(dis) = tool(&["objdump", "-d", "-j", ".plt", "-j", ".plt.sec", "-j", ".plt.got", p]) else {
            eprintln!("skipped: objdump cannot read {p}");
            continue;
        };
        let want: Vec<(u64, String)> = dis
            .lines()
            .filter_map(|l| {
                let (a, rest) = l.split_once(" <")?;
                let name = rest.strip_suffix(">:")?;
                name.ends_with("@plt").then(|| (u64::from_str_radix(a.trim(), 16).ok(), name.to_string()))
            })
            .filter_map(|(a, n)| Some((a?, n)))
            .collect();
        let o = parse(&path);
        let have: Vec<(u64, String)> = o
            .symbols
            .iter()
            .filter(|s| s.kind == SymKind::Plt)
            .map(|s| (s.addr, s.raw.to_string()))
            .collect();
        assert_eq!(have, want, "{p}: PLT stubs differ from objdump -d");
    }
}

#[test]
fn jump_slots_match_readelf_relocations() {
    for r in ["dyn.lazy", "dyn.nopie"] {
        let path = roms().join(r);
        let Some(rel) = tool(&["readelf", "-rW", path.to_str().unwrap()]) else { return };
        let want: Vec<(u64, String)> = rel
            .lines()
            .filter(|l| l.contains("R_X86_64_JUMP_SLOT"))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let name = f[4].split('@').next().unwrap().to_string();
                (u64::from_str_radix(f[0], 16).unwrap(), name)
            })
            .collect();
        let o = parse(&path);
        let have: Vec<(u64, String)> =
            o.got.iter().filter(|g| g.jump_slot).map(|g| (g.addr, g.name.to_string())).collect();
        assert_eq!(have, want, "{r}");
        // Every stub jumps through a slot relocated against its symbol (JUMP_SLOT, or
        // GLOB_DAT for .plt.got).
        for s in &o.plt {
            assert!(o.got.iter().any(|g| g.addr == s.got && g.name == s.name), "{r}: stub {s:?}");
        }
        assert!(o.plt.iter().filter(|s| want.iter().any(|w| w.0 == s.got)).count() == want.len());
    }
}

#[test]
fn lookups_by_address_and_name() {
    let o = parse(Path::new("/lib/x86_64-linux-gnu/libc.so.6"));
    let puts = o.by_name("puts").expect("puts in libc");
    assert_eq!(puts.nm_name(), "puts@@GLIBC_2.2.5");
    let (s, off) = o.at(puts.addr + 3).unwrap();
    assert_eq!((s.addr, off), (puts.addr, 3));
    let cxx = parse(&roms().join("libemutestxx.so"));
    assert!(cxx.symbols.iter().any(|s| s.demangled.contains("::")), "C++ names demangled");
}
