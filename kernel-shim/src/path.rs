//! Guest paths to host paths. The guest sees a Linux file system rooted at `/`; with a
//! sysroot (`-L DIR`), absolute paths resolve under DIR first and fall back to the host
//! path when DIR lacks them, as qemu-user's `-L` does.
//!
//! With `--chroot DIR` (a jail) nothing resolves outside DIR. Emu resolves every path
//! itself, component by component, as openat2's RESOLVE_IN_ROOT does: `..` stops at the
//! root, each component is examined with lstat (the host never follows a symlink), and a
//! symlink's target is resolved again inside the jail (absolute targets from the jail's
//! root). The result is a canonical guest path without symlinks, which maps to the host
//! path DIR + path. /proc/self's magic links (root, cwd, exe, fd/N) are resolved to the
//! guest paths they stand for, through a callback from the caller that knows them.

use crate::abi::errno as E;
use crate::abi::mode::{S_IFLNK, S_IFMT};
use crate::host::{self, Errno};
use std::path::PathBuf;

/// Linux's limit on symlinks followed in one resolution (MAXSYMLINKS).
const MAX_SYMLINKS: usize = 40;

#[derive(Clone, Debug)]
pub struct Sysroot {
    /// None means `/` (host paths are guest paths).
    pub root: Option<PathBuf>,
    /// `--chroot`: `root` is a jail, with no fallback to host paths.
    pub jail: bool,
}

impl Sysroot {
    pub fn new(root: Option<PathBuf>) -> Sysroot {
        let root = root.filter(|r| r.as_os_str() != "/");
        Sysroot { root, jail: false }
    }

    /// A jail at `root` (`--chroot`).
    pub fn jail(root: PathBuf) -> Sysroot {
        Sysroot { root: Some(root), jail: true }
    }

    /// Whether paths must be resolved inside the jail (a jail at `/` is no jail).
    pub fn jailed(&self) -> bool {
        self.jail && self.root.is_some()
    }

    /// The host path of a canonical guest path inside the jail (root + path).
    pub fn in_jail(&self, guest: &[u8]) -> Vec<u8> {
        let r = self.root.as_ref().map_or(&b""[..], |r| r.as_os_str().as_encoded_bytes());
        [r, guest].concat()
    }

    /// Resolves the absolute guest path `path` inside the jail, following symlinks (the last
    /// component's only if `follow_last`) without leaving it. `magic` gives the target of a
    /// guest path that is a /proc magic link. Returns the canonical guest path.
    pub fn resolve_in_jail(
        &self,
        path: &[u8],
        follow_last: bool,
        magic: &dyn Fn(&[u8]) -> Option<Vec<u8>>,
    ) -> Result<Vec<u8>, Errno> {
        let trailing_slash = path.len() > 1 && path.ends_with(b"/");
        let mut todo: std::collections::VecDeque<Vec<u8>> = components(path).collect();
        let mut out: Vec<Vec<u8>> = Vec::new();
        let mut links = 0;
        while let Some(c) = todo.pop_front() {
            if c == b".." {
                out.pop();
                continue;
            }
            let last = todo.is_empty();
            out.push(c);
            if last && !follow_last && !trailing_slash {
                break;
            }
            let guest = to_path(&out);
            let target = match magic(&guest) {
                Some(t) => Some(t),
                None => {
                    let hp = self.in_jail(&guest);
                    match host::fstatat(host::CWD, &hp, false) {
                        Ok(st) if st.mode & S_IFMT == S_IFLNK => Some(host::readlinkat(host::CWD, &hp)?),
                        // A missing component cannot be a symlink; the operation reports it.
                        _ => None,
                    }
                }
            };
            if let Some(t) = target {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(E::ELOOP);
                }
                out.pop();
                if t.first() == Some(&b'/') {
                    out.clear();
                }
                for (i, c) in components(&t).enumerate() {
                    todo.insert(i, c);
                }
            }
        }
        let mut p = to_path(&out);
        if trailing_slash && p.len() > 1 {
            p.push(b'/');
        }
        Ok(p)
    }

    /// Host path for an absolute, normalised guest path.
    pub fn host_path(&self, guest: &[u8]) -> Vec<u8> {
        if self.jailed() {
            // Without /proc magic: used for programs and interpreters, which are files.
            return match self.resolve_in_jail(guest, true, &|_| None) {
                Ok(g) => self.in_jail(&g),
                // Unresolvable (a symlink loop): a path no host call accepts
                // (ENAMETOOLONG), never the unresolved one, which the host would follow.
                Err(_) => self.in_jail(&[&b"/"[..], &[b'x'; 300]].concat()),
            };
        }
        if let Some(r) = &self.root {
            let mut p = r.as_os_str().as_encoded_bytes().to_vec();
            p.extend_from_slice(guest);
            if std::fs::symlink_metadata(bytes_to_path(&p)).is_ok() {
                return p;
            }
        }
        guest.to_vec()
    }
}

/// The non-empty, non-`.` components of a path.
fn components(p: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    p.split(|&b| b == b'/').filter(|c| !c.is_empty() && *c != b".").map(|c| c.to_vec())
}

fn to_path(parts: &[Vec<u8>]) -> Vec<u8> {
    if parts.is_empty() {
        return b"/".to_vec();
    }
    parts.iter().flat_map(|c| std::iter::once(b'/').chain(c.iter().copied())).collect()
}

pub fn bytes_to_path(b: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(b))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(b).into_owned())
    }
}

/// Joins `rel` onto the absolute directory `base` and removes `.` and `..` components
/// lexically (as the guest's view; symlinks are resolved by the host later).
pub fn join(base: &[u8], rel: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let full: Vec<u8>;
    let src: &[u8] = if rel.first() == Some(&b'/') {
        rel
    } else {
        full = [base, b"/", rel].concat();
        &full
    };
    for c in src.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            _ => parts.push(c),
        }
    }
    let mut out = Vec::new();
    for p in &parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    // Keep a trailing slash: it makes the host require a directory, as Linux does.
    if src.len() > 1 && src.ends_with(b"/") && out.len() > 1 {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_normalises() {
        assert_eq!(join(b"/a/b", b"../c"), b"/a/c");
        assert_eq!(join(b"/a/b", b"/x/./y"), b"/x/y");
        assert_eq!(join(b"/", b".."), b"/");
        assert_eq!(join(b"/a", b"d/"), b"/a/d/");
    }

    #[cfg(unix)]
    #[test]
    fn jail_resolution_stays_inside() {
        let dir = std::env::temp_dir().join(format!("emu-jail-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../../../x", dir.join("a/rel")).unwrap();
        std::os::unix::fs::symlink("b", dir.join("a/lb")).unwrap();
        std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
        let j = Sysroot::jail(dir.clone());
        let none = |_: &[u8]| None;
        let r = |p: &[u8], f: bool| j.resolve_in_jail(p, f, &none);
        assert_eq!(r(b"/../../etc/passwd", true).unwrap(), b"/etc/passwd");
        assert_eq!(r(b"/abs", true).unwrap(), b"/etc/passwd");
        assert_eq!(r(b"/abs", false).unwrap(), b"/abs");
        assert_eq!(r(b"/a/rel", true).unwrap(), b"/x");
        assert_eq!(r(b"/a/lb/../lb/./", true).unwrap(), b"/a/b/");
        assert_eq!(r(b"/loop", true), Err(E::ELOOP));
        let magic = |p: &[u8]| (p == b"/proc/self/root").then(|| b"/".to_vec());
        assert_eq!(j.resolve_in_jail(b"/proc/self/root/../etc", true, &magic).unwrap(), b"/etc");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
