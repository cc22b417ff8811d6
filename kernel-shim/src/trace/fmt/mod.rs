//! strace's notation for syscall arguments, results and structs, one file per area
//! (`file`, `meta`, `events`, `mm`, `signal`, `futex`, `process`, `poll`, `net`, `time`), and the pieces they
//! share here: pointers, hex, flag sets and quoted strings.
//!
//! Every function is pure: it takes values, guest structs (the `abi` layouts the kernel
//! uses too) and bytes already read from the guest, and returns text, so each notation is
//! unit-tested on its own. Guest memory is read in one place, `trace/decode.rs`, which
//! knows from an argument's kind where and what to read. The expected strings in the tests are real strace output (strace 6.x on x86-64
//! Linux) for the same values, recorded from a C program that makes each call natively
//! under `strace -f`; where emu's notation still differs from strace's, the case is left
//! out of the tests rather than written down as emu prints it.

pub(crate) mod events;
pub(crate) mod file;
pub(crate) mod futex;
pub(crate) mod meta;
pub(crate) mod mm;
pub(crate) mod net;
pub(crate) mod poll;
pub(crate) mod process;
pub(crate) mod signal;
pub(crate) mod time;

/// A pointer or opaque value: `NULL` for 0, else hex.
pub(crate) fn ptr(v: u64) -> String {
    if v == 0 {
        "NULL".into()
    } else {
        format!("{v:#x}")
    }
}

/// A number in hex, `0` for 0 (masks, offsets, unknown commands).
pub(crate) fn hex0(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

/// Joins the names of the bits of `v` in `table` with `|`, the rest in hex. A table entry
/// may cover several bits (O_SYNC includes O_DSYNC); the first entry that matches takes
/// them, so tables list such entries first.
pub(crate) fn flags(v: u64, table: &[(u64, &str)]) -> String {
    let mut rest = v;
    let mut out: Vec<String> = Vec::new();
    for &(bits, name) in table {
        if bits != 0 && rest & bits == bits {
            out.push(name.into());
            rest &= !bits;
        }
    }
    if rest != 0 || out.is_empty() {
        out.push(hex0(rest));
    }
    out.join("|")
}

/// Flags by name; with no known bit set, the value and a comment naming the family
/// (`0x4 /* XATTR_??? */`), as strace shows them.
pub(crate) fn named_flags(v: u64, table: &[(u64, &str)], family: &str) -> String {
    let known: u64 = table.iter().fold(0, |m, &(b, _)| m | b);
    if v != 0 && v & known == 0 {
        return format!("{v:#x} /* {family}_??? */");
    }
    flags(v, table)
}

/// Pushes the names of the bits of `v` in `table` onto `out`, in table order, and the
/// leftover bits in octal, as strace shows termios and stack_t flags.
pub(crate) fn octal_flags(v: u32, table: &[(u32, &str)], out: &mut Vec<String>) {
    let mut rest = v;
    for &(b, name) in table {
        if rest & b == b {
            out.push(name.into());
            rest &= !b;
        }
    }
    if rest != 0 {
        out.push(format!("{rest:#o}"));
    }
}

/// The name at index `v` of a table of consecutive constants (`SEEK_SET`, `SEEK_CUR`...).
pub(crate) fn nth(v: u64, names: &[&'static str]) -> Option<&'static str> {
    usize::try_from(v).ok().and_then(|i| names.get(i)).copied()
}

/// A quoted string the way strace prints it: C escapes, octal for other bytes (`hex`:
/// every byte in hex, as for getrandom), and `...` after the closing quote when it was cut.
pub(crate) fn quote(s: &[u8], cut: bool, hex: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for (i, &c) in s.iter().enumerate() {
        if hex {
            out.push_str(&format!("\\x{c:02x}"));
            continue;
        }
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b' '..=b'~' => out.push(c as char),
            _ => {
                out.push('\\');
                // Octal is as short as possible unless a digit follows, which would
                // otherwise read as part of the escape.
                let next_digit = s.get(i + 1).is_some_and(|d| (b'0'..=b'7').contains(d));
                if next_digit {
                    out.push_str(&format!("{c:03o}"));
                } else {
                    out.push_str(&format!("{c:o}"));
                }
            }
        }
    }
    out.push('"');
    if cut {
        out.push_str("...");
    }
    out
}

/// A NUL-terminated string read with up to `limit + 1` bytes (so a longer one is seen to be
/// longer): quoted, cut at `limit` with `...`.
pub(crate) fn cstring(s: &[u8], limit: usize) -> String {
    if s.len() > limit {
        quote(&s[..limit], true, false)
    } else {
        quote(s, false, false)
    }
}

/// The first `b.len()` bytes of a buffer of `len` bytes: quoted, `...` when `len` is more.
pub(crate) fn buffer(b: &[u8], len: u64, hex: bool) -> String {
    quote(b, len > b.len() as u64, hex)
}

/// A failed call's result: `-1 ENOENT (No such file or directory)`, and the errno's name
/// (`None` for one strace would not know either).
pub(crate) fn error(e: i32) -> (String, Option<&'static str>) {
    let (name, msg) = crate::abi::errno::describe(e);
    if name == "E?" {
        (format!("-1 E{e} (Unknown error {e})"), None)
    } else {
        (format!("-1 {name} ({msg})"), Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_strace() {
        // Octal is as short as possible unless a digit follows.
        assert_eq!(quote(b"\x7fELF\x02\x01\x001", false, false), r#""\177ELF\2\1\0001""#);
        assert_eq!(quote(b"\xf1\x4a", false, true), r#""\xf1\x4a""#);
        assert_eq!(quote(b"a\"b\\\n\t\x0b\x0c\r", false, false), r#""a\"b\\\n\t\v\f\r""#);
    }

    #[test]
    fn strings_and_buffers_are_cut_with_dots() {
        assert_eq!(cstring(b"/etc/passwd", 32), r#""/etc/passwd""#);
        assert_eq!(cstring(b"/etc/passwd", 4), r#""/etc"..."#);
        assert_eq!(buffer(b"hello", 5, false), r#""hello""#);
        assert_eq!(buffer(b"hello", 45, false), r#""hello"..."#);
        // write(3, "0123...", 40) with the default limit of 32.
        assert_eq!(
            buffer(&b"0123456789".repeat(4)[..32], 40, false),
            r#""01234567890123456789012345678901"..."#
        );
        assert_eq!(buffer(b"", 0, false), r#""""#);
    }

    #[test]
    fn flags_name_bits_and_show_the_rest_in_hex() {
        assert_eq!(flags(0x8000_0001, &[(1, "A")]), "A|0x80000000");
        assert_eq!(flags(0, &[(1, "A")]), "0");
        // A multi-bit entry listed first takes its bits before a single-bit one.
        assert_eq!(flags(3, &[(3, "AB"), (1, "A")]), "AB");
        // With no known bit, the family's unknown-flag comment.
        assert_eq!(named_flags(4, &[(1, "X_A")], "X"), "0x4 /* X_??? */");
        assert_eq!(named_flags(5, &[(1, "X_A")], "X"), "X_A|0x4");
        assert_eq!(ptr(0), "NULL");
        assert_eq!(ptr(0x1000), "0x1000");
        assert_eq!(hex0(0), "0");
        assert_eq!(nth(1, &["X", "Y"]), Some("Y"));
        assert_eq!(nth(2, &["X", "Y"]), None);
    }

    #[test]
    fn errors_by_name_and_message() {
        assert_eq!(error(2), ("-1 ENOENT (No such file or directory)".into(), Some("ENOENT")));
        assert_eq!(error(11), ("-1 EAGAIN (Resource temporarily unavailable)".into(), Some("EAGAIN")));
    }
}
