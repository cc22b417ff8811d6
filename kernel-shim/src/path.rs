//! Guest paths to host paths. The guest sees a Linux file system rooted at `/`; with a
//! sysroot (`-L DIR`), absolute paths resolve under DIR first and fall back to the host
//! path when DIR lacks them, as qemu-user's `-L` does.

use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Sysroot {
    /// None means `/` (host paths are guest paths).
    pub root: Option<PathBuf>,
}

impl Sysroot {
    pub fn new(root: Option<PathBuf>) -> Sysroot {
        let root = root.filter(|r| r.as_os_str() != "/");
        Sysroot { root }
    }

    /// Host path for an absolute, normalised guest path.
    pub fn host_path(&self, guest: &[u8]) -> Vec<u8> {
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
}
