//! The byte-level encoding of replay logs: frames (length, payload, checksum), LEB128
//! varints, length-prefixed byte strings, and the content hash that names blobs.
//! Decoding never panics: every read is bounds-checked and reports what was wrong.

/// Writes the fields of one frame's payload.
#[derive(Default)]
pub struct Enc(pub Vec<u8>);

impl Enc {
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }

    pub fn uv(&mut self, mut v: u64) -> &mut Self {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return self;
            }
            self.0.push(b | 0x80);
        }
    }

    /// Signed values, zigzag-encoded.
    pub fn iv(&mut self, v: i64) -> &mut Self {
        self.uv(((v << 1) ^ (v >> 63)) as u64)
    }

    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.uv(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }

    pub fn hash(&mut self, h: &Hash) -> &mut Self {
        self.0.extend_from_slice(&h.0);
        self
    }
}

/// Reads the fields of one frame's payload.
pub struct Dec<'a> {
    pub b: &'a [u8],
    pub pos: usize,
}

/// What was wrong with a payload (the caller adds where it was).
pub type DecResult<T> = Result<T, &'static str>;

impl<'a> Dec<'a> {
    pub fn new(b: &'a [u8]) -> Dec<'a> {
        Dec { b, pos: 0 }
    }

    pub fn u8(&mut self) -> DecResult<u8> {
        let v = *self.b.get(self.pos).ok_or("record ends early")?;
        self.pos += 1;
        Ok(v)
    }

    pub fn uv(&mut self) -> DecResult<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("bad number")
    }

    pub fn iv(&mut self) -> DecResult<i64> {
        let u = self.uv()?;
        Ok((u >> 1) as i64 ^ -((u & 1) as i64))
    }

    /// A count of items that each take at least one byte (bounded by what is left).
    pub fn count(&mut self) -> DecResult<usize> {
        let n = self.uv()?;
        if n > (self.b.len() - self.pos) as u64 {
            return Err("bad count");
        }
        Ok(n as usize)
    }

    pub fn bytes(&mut self) -> DecResult<&'a [u8]> {
        let n = self.count()?;
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn hash(&mut self) -> DecResult<Hash> {
        let s = self.b.get(self.pos..self.pos + 16).ok_or("record ends early")?;
        self.pos += 16;
        Ok(Hash(s.try_into().map_err(|_| "bad hash")?))
    }

    pub fn done(&self) -> DecResult<()> {
        if self.pos == self.b.len() {
            Ok(())
        } else {
            Err("trailing bytes in record")
        }
    }
}

/// 32-bit FNV-1a: the checksum of one frame.
pub fn checksum(b: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &x in b {
        h = (h ^ x as u32).wrapping_mul(0x0100_0193);
    }
    h
}

/// A 128-bit content hash (two independent 64-bit multiply-xorshift lanes over 8-byte
/// words). Not cryptographic: it names blobs and detects a changed file.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Hash(pub [u8; 16]);

impl Hash {
    pub fn of(b: &[u8]) -> Hash {
        let mut a: u64 = 0x243f_6a88_85a3_08d3 ^ b.len() as u64;
        let mut c: u64 = 0x1319_8a2e_0370_7344;
        let mut chunks = b.chunks_exact(8);
        for w in &mut chunks {
            let v = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            a = (a ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
            c = (c ^ v.rotate_left(17)).wrapping_mul(0xc2b2_ae3d_27d4_eb4f).rotate_left(31);
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        let v = u64::from_le_bytes(tail);
        a = (a ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        c = (c ^ v).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
        let fin = |mut z: u64| {
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let (x, y) = (fin(a ^ c.rotate_left(7)), fin(c ^ a.rotate_left(41)));
        let mut h = [0u8; 16];
        h[..8].copy_from_slice(&x.to_le_bytes());
        h[8..].copy_from_slice(&y.to_le_bytes());
        Hash(h)
    }

    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Appends one frame: u32 payload length, payload, u32 checksum (little-endian).
pub fn frame(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&checksum(payload).to_le_bytes());
}

/// Splits a stream body into frame payloads with their offsets; stops at the first
/// damaged frame with what was wrong and where.
/// Where a stream is damaged (byte offset) and how.
pub type Damage = (usize, &'static str);

pub fn frames(body: &[u8], base: usize) -> Result<Vec<(usize, &[u8])>, Damage> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        let off = base + pos;
        let Some(len) = body.get(pos..pos + 4) else {
            return Err((off, "truncated (a record is cut short)"));
        };
        let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        let Some(payload) = body.get(pos + 4..pos + 4 + len) else {
            return Err((off, "truncated (a record is cut short)"));
        };
        let Some(sum) = body.get(pos + 4 + len..pos + 8 + len) else {
            return Err((off, "truncated (a record is cut short)"));
        };
        if u32::from_le_bytes(sum.try_into().expect("4 bytes")) != checksum(payload) {
            return Err((off, "corrupt (checksum mismatch)"));
        }
        out.push((off, payload));
        pos += 8 + len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut e = Enc::default();
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            e.uv(v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            e.iv(v);
        }
        e.bytes(b"abc");
        let mut d = Dec::new(&e.0);
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(d.uv(), Ok(v));
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(d.iv(), Ok(v));
        }
        assert_eq!(d.bytes(), Ok(&b"abc"[..]));
        assert!(d.done().is_ok());
        assert!(d.u8().is_err());
    }

    #[test]
    fn frames_detect_truncation_and_corruption() {
        let mut s = Vec::new();
        frame(&mut s, b"hello");
        frame(&mut s, b"world!");
        assert_eq!(frames(&s, 0).unwrap().len(), 2);
        assert!(frames(&s[..s.len() - 1], 0).unwrap_err().1.contains("truncated"));
        let mut bad = s.clone();
        bad[6] ^= 1;
        assert!(frames(&bad, 0).unwrap_err().1.contains("corrupt"));
    }

    #[test]
    fn hash_distinguishes_small_changes() {
        assert_ne!(Hash::of(b"abc"), Hash::of(b"abd"));
        assert_ne!(Hash::of(b""), Hash::of(b"\0"));
        assert_eq!(Hash::of(b"same"), Hash::of(b"same"));
    }
}
