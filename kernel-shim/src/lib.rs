//! The Linux ABI for the guest: process state, the syscall table and its handlers (one
//! file per subsystem under `sys/`), files, memory syscalls, signals and time.
//!
//! `Guest::run` (`run.rs`) drives the CPU: it runs guest code until the CPU stops, then
//! decides what the stop means in Linux terms (a syscall to serve, a fault that becomes a
//! signal).
//!
//! Modules depend on the ones below them, never up: `abi`, `host`, `path`, `anon`, `fd`,
//! `maps`, `mapped` at the bottom; `world` (the outside world: time, randomness, pids, signal
//! arrival) above the host; the kernel core (`process`, `signal`, `thread`, which may
//! call each other) and `exec` above that; the syscall handlers (`sys`); what observes
//! or logs them (`trace`, `replay`); and `run` on top. A test below checks it.

pub mod abi;
mod anon;
mod exec;
mod fd;
pub mod gdb;
pub mod host;
mod mapped;
mod maps;
pub mod path;
mod process;
pub mod replay;
mod run;
pub mod signal;
mod sys;
mod thread;
pub mod trace;
mod vsyscall;
pub mod world;

pub use process::Outcome;
pub(crate) use process::Process;
pub use run::{Config, Guest, SpawnError};

/// The module graph, computed from the sources the way `use` and paths name modules:
/// every `crate::m` (and `super::` path that leaves its module), with the names `lib.rs`
/// re-exports standing for the module they come from. Unit tests (after `#[cfg(test)]`)
/// and comments do not count.
#[cfg(test)]
mod layers {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    type Graph = BTreeMap<String, BTreeSet<String>>;

    fn ident_at(s: &str) -> &str {
        let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
        &s[..end]
    }

    /// The first path segment of each top-level item of a `{...}` group that starts `s`.
    fn group_heads(s: &str) -> Vec<&str> {
        let mut heads = Vec::new();
        let (mut depth, mut start) = (0, 1);
        for (i, c) in s.char_indices() {
            match c {
                '{' => depth += 1,
                '}' | ',' if depth == 1 => {
                    heads.push(ident_at(s[start..i].trim_start()));
                    start = i + 1;
                    if c == '}' {
                        break;
                    }
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        heads
    }

    /// Names at the crate root that `src` uses, from a file whose module path is `module`.
    fn root_names(src: &str, module: &[String]) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut add = |rest: &str| {
            if rest.starts_with('{') {
                names.extend(group_heads(rest).into_iter().map(String::from));
            } else {
                names.insert(ident_at(rest).to_string());
            }
        };
        let bytes = src.as_bytes();
        for (i, _) in src.match_indices("crate::") {
            // Not the tail of another identifier (`my_crate::`).
            if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
                continue;
            }
            add(&src[i + "crate::".len()..]);
        }
        let mut i = 0;
        while let Some(k) = src[i..].find("super::") {
            let at = i + k;
            if at > 0
                && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':')
            {
                i = at + 1;
                continue;
            }
            let mut rest = &src[at..];
            let mut ups = 0;
            while let Some(r) = rest.strip_prefix("super::") {
                ups += 1;
                rest = r;
            }
            if ups >= module.len() {
                add(rest);
            }
            i = at + 1;
        }
        names
    }

    /// kernel-shim's top-level modules and the modules each one names.
    fn graph(root: &Path) -> Graph {
        let lib = std::fs::read_to_string(root.join("lib.rs")).expect("lib.rs");
        // `pub use process::Outcome;`, `pub(crate) use process::Process;`, `{A, B}` lists.
        let mut reexported = BTreeMap::new();
        for line in lib.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("pub use ").or_else(|| line.strip_prefix("pub(crate) use "))
            else {
                continue;
            };
            let module = ident_at(rest);
            let items = rest[module.len()..].trim_start_matches("::").trim_end_matches(';');
            let items = items.trim_start_matches('{').trim_end_matches('}');
            for n in items.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                reexported.insert(n.to_string(), module.to_string());
            }
        }
        let mut files = Vec::new();
        let mut dirs = vec![root.to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("source directory") {
                let path = e.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|x| x == "rs") && path != root.join("lib.rs") {
                    files.push(path);
                }
            }
        }
        let module_path = |p: &PathBuf| -> Vec<String> {
            let rel = p.strip_prefix(root).expect("under src").with_extension("");
            let mut m: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            if m.len() > 1 && m.last().is_some_and(|l| l == "mod") {
                m.pop();
            }
            m
        };
        let mut g: Graph = files.iter().map(|f| (module_path(f)[0].clone(), BTreeSet::new())).collect();
        for f in &files {
            let src = std::fs::read_to_string(f).expect("source file");
            let src = src.split("#[cfg(test)]").next().unwrap_or("");
            let src: String =
                src.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
            let m = module_path(f);
            for n in root_names(&src, &m) {
                let target = reexported.get(&n).cloned().unwrap_or(n);
                if target != m[0] && g.contains_key(&target) {
                    g.get_mut(&m[0]).expect("module").insert(target);
                }
            }
        }
        g
    }

    /// The strongly connected components of `g` with more than one module (Tarjan).
    fn cycles(g: &Graph) -> Vec<BTreeSet<String>> {
        struct T<'a> {
            g: &'a Graph,
            index: BTreeMap<&'a str, usize>,
            low: BTreeMap<&'a str, usize>,
            stack: Vec<&'a str>,
            out: Vec<BTreeSet<String>>,
        }
        fn visit<'a>(t: &mut T<'a>, v: &'a str) {
            let i = t.index.len();
            t.index.insert(v, i);
            t.low.insert(v, i);
            t.stack.push(v);
            for w in &t.g[v] {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if t.stack.contains(&w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if t.low[v] == t.index[v] {
                let mut scc = BTreeSet::new();
                while let Some(w) = t.stack.pop() {
                    scc.insert(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if scc.len() > 1 {
                    t.out.push(scc);
                }
            }
        }
        let mut t = T { g, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), out: Vec::new() };
        for v in g.keys() {
            if !t.index.contains_key(v.as_str()) {
                visit(&mut t, v);
            }
        }
        t.out
    }

    #[test]
    fn the_graph_is_read_from_paths_and_groups() {
        let m = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let names = root_names(
            "use crate::{abi::signal as S, host, sys::table::{self, nr}};\nlet x = crate::world::Clock::Realtime;\n\
             use super::super::fd::Fd; use super::codec; my_crate::x;",
            &m(&["replay", "world"]),
        );
        let want: BTreeSet<String> =
            ["abi", "host", "sys", "world", "fd"].iter().map(|s| s.to_string()).collect();
        assert_eq!(names, want);
        let g: Graph = [("a", &["b"][..]), ("b", &["c"]), ("c", &["a"]), ("d", &["a"])]
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect();
        assert_eq!(cycles(&g), vec![["a", "b", "c"].iter().map(|s| s.to_string()).collect::<BTreeSet<_>>()]);
    }

    /// Issue 17: the largest import cycle has at most 3 modules (the kernel core: a
    /// process, its signals and its threads), and what observes or logs the kernel
    /// (`trace`, `replay`) is in none.
    #[test]
    fn no_module_depends_on_what_sits_above_it() {
        let g = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
        let cycles = cycles(&g);
        let show = |c: &BTreeSet<String>| c.iter().cloned().collect::<Vec<_>>().join(", ");
        let report = cycles.iter().map(show).collect::<Vec<_>>().join("; ");
        for c in &cycles {
            assert!(
                c.len() <= 3,
                "an import cycle of {} modules: {{{}}} (all cycles: {report})",
                c.len(),
                show(c)
            );
            for m in ["trace", "replay", "world", "run"] {
                assert!(!c.contains(m), "{m} is in an import cycle: {{{}}}", show(c));
            }
        }
    }
}
