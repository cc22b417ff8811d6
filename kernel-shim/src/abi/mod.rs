//! The Linux x86-64 ABI as the guest sees it: constants (`errno`, `open`, `mode`, `mman`,
//! `signal`) and the structs syscalls exchange with guest memory. These are Linux's values
//! and layouts whatever the host OS is; `host` translates.
//!
//! Each guest struct is a Rust struct whose byte layout is written once, here, as
//! (field, offset) pairs: `GuestStruct::read` decodes it from guest bytes and
//! `GuestStruct::write` encodes it, so no handler reads a field by offset (the model is
//! gVisor's `CopyIn`/`CopyOut`). Handlers move them with `sys::read_struct` and
//! `sys::write_struct`, which go through the same guest-memory paths as every other
//! syscall access (the replay recorder and `--watch` see the writes).
//!
//! The unit tests check every layout's size and offsets against Linux's headers, and
//! against the host's libc where a matching struct exists there (x86-64 glibc hosts).

pub mod errno;
pub mod events;
pub mod frame;
pub mod fs;
pub mod io;
pub mod ipc;
pub mod meta;
pub mod mman;
pub mod mode;
pub mod net;
pub mod open;
pub mod process;
pub mod signal;
pub mod socket;
pub mod task;
pub mod time;
pub mod tty;

pub use fs::{major, minor, Stat};
pub use open::{AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW};

/// A value with a fixed-size, little-endian layout in guest memory.
///
/// `read` takes at least `SIZE` bytes and `write` fills the first `SIZE` bytes of `out`
/// except padding, which it leaves as it is (`to_bytes` starts from zeros, so the padding
/// a guest sees is zero, as Linux's copy-outs clear it).
pub trait GuestStruct: Sized {
    const SIZE: usize;

    fn read(b: &[u8]) -> Self;

    fn write(&self, out: &mut [u8]);

    fn to_bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; Self::SIZE];
        self.write(&mut b);
        b
    }
}

/// The field of type `T` at `off` in `b`.
#[inline]
pub fn get<T: GuestStruct>(b: &[u8], off: usize) -> T {
    T::read(&b[off..])
}

/// Writes `v` as the field at `off` in `out`.
#[inline]
pub fn put<T: GuestStruct>(out: &mut [u8], off: usize, v: &T) {
    v.write(&mut out[off..]);
}

macro_rules! le_ints {
    ($($t:ty),*) => {$(
        impl GuestStruct for $t {
            const SIZE: usize = std::mem::size_of::<$t>();

            #[inline]
            fn read(b: &[u8]) -> Self {
                let mut x = [0u8; std::mem::size_of::<$t>()];
                x.copy_from_slice(&b[..Self::SIZE]);
                <$t>::from_le_bytes(x)
            }

            #[inline]
            fn write(&self, out: &mut [u8]) {
                out[..Self::SIZE].copy_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}

le_ints!(u8, u16, u32, u64, i16, i32, i64);

/// Arrays are their elements back to back (C arrays have no padding between elements).
impl<T: GuestStruct, const N: usize> GuestStruct for [T; N] {
    const SIZE: usize = T::SIZE * N;

    fn read(b: &[u8]) -> Self {
        std::array::from_fn(|i| T::read(&b[i * T::SIZE..]))
    }

    fn write(&self, out: &mut [u8]) {
        for (i, v) in self.iter().enumerate() {
            v.write(&mut out[i * T::SIZE..]);
        }
    }
}

/// Declares a guest struct by its layout: every field with its type and byte offset, and
/// the struct's total size (padding is what no field covers). Generates the struct, its
/// `GuestStruct` impl, a `FIELDS` table (name, offset, size) for the layout tests, and a
/// compile-time check that every field lies inside the struct.
macro_rules! guest_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident [$size:expr] {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $off:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::abi::GuestStruct for $name {
            const SIZE: usize = $size;

            fn read(b: &[u8]) -> Self {
                debug_assert!(b.len() >= $size);
                $name { $( $field: $crate::abi::get(b, $off), )* }
            }

            fn write(&self, out: &mut [u8]) {
                $( $crate::abi::put(out, $off, &self.$field); )*
            }
        }

        impl $name {
            /// Each field's name, offset and size, for the layout tests.
            #[allow(dead_code)]
            pub const FIELDS: &'static [(&'static str, usize, usize)] = &[
                $( (stringify!($field), $off, <$ty as $crate::abi::GuestStruct>::SIZE), )*
            ];
        }

        const _: () = {
            $( assert!($off + <$ty as $crate::abi::GuestStruct>::SIZE <= $size); )*
        };
    };
}
pub(crate) use guest_struct;

#[cfg(test)]
pub(crate) mod layout {
    //! Helpers for the layout tests of the submodules.

    /// The offset of `field` in a `FIELDS` table.
    pub fn offset(fields: &[(&str, usize, usize)], field: &str) -> usize {
        fields.iter().find(|f| f.0 == field).unwrap_or_else(|| panic!("no field {field}")).1
    }

    /// Checks that no two fields overlap and that they appear in offset order.
    pub fn check_disjoint(fields: &[(&str, usize, usize)]) {
        for w in fields.windows(2) {
            assert!(w[0].1 + w[0].2 <= w[1].1, "{} overlaps {}", w[0].0, w[1].0);
        }
    }

    /// Asserts a struct's size and each named field's offset: `expect(T::FIELDS, T::SIZE,
    /// SIZE, &[("field", offset), ...])`.
    pub fn expect(fields: &[(&str, usize, usize)], size: usize, want: usize, offsets: &[(&str, usize)]) {
        assert_eq!(size, want, "size");
        check_disjoint(fields);
        for &(name, off) in offsets {
            assert_eq!(offset(fields, name), off, "offset of {name}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::GuestStruct;

    #[test]
    fn integers_are_little_endian() {
        assert_eq!(0x0102_0304u32.to_bytes(), [4, 3, 2, 1]);
        assert_eq!(i16::read(&[0xfe, 0xff]), -2);
        assert_eq!(<[u16; 3]>::read(&[1, 0, 2, 0, 3, 0]), [1, 2, 3]);
        let mut out = [9u8; 6];
        [7u16, 8].write(&mut out);
        assert_eq!(out, [7, 0, 8, 0, 9, 9]);
    }
}
