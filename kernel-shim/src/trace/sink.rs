//! Where trace output goes: stderr or the `--trace-file`, as text lines or JSON Lines.
//! Each record is written with a single `write` so lines from several processes sharing the
//! file (after fork) never interleave mid-line.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// `--trace-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Text,
    /// JSON Lines: one object per record.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown trace format '{s}' (expected text or json)")),
        }
    }
}

pub struct Sink {
    file: Option<File>,
    pub format: Format,
}

impl Sink {
    /// Opens the trace file (appending, so forked processes share it sensibly), or
    /// chooses stderr when there is none.
    pub fn open(path: Option<&Path>, format: Format) -> std::io::Result<Sink> {
        let file = match path {
            Some(p) => {
                // Truncate once at start-up, then append: a forked child writing through the
                // same description must not overwrite the parent's lines.
                OpenOptions::new().create(true).write(true).truncate(true).open(p)?;
                Some(OpenOptions::new().append(true).open(p)?)
            }
            None => None,
        };
        Ok(Sink { file, format })
    }

    /// Writes one record (a line without its newline).
    pub fn line(&mut self, text: &str) {
        let mut buf = Vec::with_capacity(text.len() + 1);
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'\n');
        // Trace output is best effort: a full disk must not change what the guest sees.
        let _ = match &mut self.file {
            Some(f) => f.write_all(&buf),
            None => std::io::stderr().lock().write_all(&buf),
        };
    }

    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }
}

/// Builds one JSON object: `Json::new("syscall").str("name", "read").num("ret", 3).end()`.
pub struct Json {
    buf: String,
}

impl Json {
    pub fn new(kind: &str) -> Json {
        let mut j = Json { buf: String::from("{") };
        j.key("type");
        escape_into(&mut j.buf, kind.as_bytes());
        j
    }

    /// An object without a `type` key (for nesting with [`Json::raw`]).
    pub fn object() -> Json {
        Json { buf: String::from("{") }
    }

    fn key(&mut self, k: &str) {
        if self.buf.len() > 1 {
            self.buf.push(',');
        }
        escape_into(&mut self.buf, k.as_bytes());
        self.buf.push(':');
    }

    pub fn str(mut self, k: &str, v: &str) -> Json {
        self.key(k);
        escape_into(&mut self.buf, v.as_bytes());
        self
    }

    /// A byte string from the guest (not necessarily UTF-8): invalid bytes become U+FFFD.
    pub fn bytes(mut self, k: &str, v: &[u8]) -> Json {
        self.key(k);
        escape_into(&mut self.buf, v);
        self
    }

    pub fn num(mut self, k: &str, v: i64) -> Json {
        self.key(k);
        self.buf.push_str(&v.to_string());
        self
    }

    pub fn unum(mut self, k: &str, v: u64) -> Json {
        self.key(k);
        self.buf.push_str(&v.to_string());
        self
    }

    /// An array of strings.
    pub fn str_array(mut self, k: &str, v: &[String]) -> Json {
        self.key(k);
        self.buf.push('[');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            escape_into(&mut self.buf, s.as_bytes());
        }
        self.buf.push(']');
        self
    }

    /// An address, as a hex string (JSON numbers lose precision above 2^53).
    pub fn addr(self, k: &str, v: u64) -> Json {
        self.str(k, &format!("{v:#x}"))
    }

    /// A pre-built JSON value (object, array, number...).
    pub fn raw(mut self, k: &str, v: &str) -> Json {
        self.key(k);
        self.buf.push_str(v);
        self
    }

    pub fn end(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

fn escape_into(out: &mut String, s: &[u8]) {
    out.push('"');
    for c in String::from_utf8_lossy(s).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_control_quotes_and_invalid_utf8() {
        let j = Json::new("x").bytes("s", b"a\"b\\c\n\x01\xff").num("n", -3).addr("a", 0x10).end();
        assert_eq!(
            j,
            r#"{"type":"x","s":"a\"b\\c\n\u0001\ufffd","n":-3,"a":"0x10"}"#.replace("\\ufffd", "\u{fffd}")
        );
    }
}
