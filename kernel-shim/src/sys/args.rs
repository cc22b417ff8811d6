//! A syscall's six argument registers, read by what each argument is. The accessors
//! narrow the raw 64-bit values the way the kernel's prototypes do (an `int` is the low
//! 32 bits, sign-extended), so a handler never writes `a[1] as i32 as i64`.

/// The arguments of one syscall: rdi, rsi, rdx, r10, r8, r9.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Args(pub [u64; 6]);

impl Args {
    /// The raw register value (nothing reads one uninterpreted yet).
    #[allow(dead_code)]
    #[inline]
    pub fn raw(&self, i: usize) -> u64 {
        self.0[i]
    }

    /// An `int` argument.
    #[inline]
    pub fn int(&self, i: usize) -> i32 {
        self.0[i] as i32
    }

    /// An `unsigned int` argument (flags, modes, counts declared `unsigned`).
    #[inline]
    pub fn uint(&self, i: usize) -> u32 {
        self.0[i] as u32
    }

    /// A `long`/`off_t`/`ssize_t` argument.
    #[inline]
    pub fn long(&self, i: usize) -> i64 {
        self.0[i] as i64
    }

    /// A `size_t`/`unsigned long` argument (lengths, flags words).
    #[inline]
    pub fn ulong(&self, i: usize) -> u64 {
        self.0[i]
    }

    /// A file descriptor (an `int`), widened as the fd table takes it.
    #[inline]
    pub fn fd(&self, i: usize) -> i64 {
        self.0[i] as i32 as i64
    }

    /// A pointer into guest memory.
    #[inline]
    pub fn ptr(&self, i: usize) -> u64 {
        self.0[i]
    }

    /// A pid (`pid_t`).
    #[inline]
    pub fn pid(&self, i: usize) -> i32 {
        self.0[i] as i32
    }
}

#[cfg(test)]
mod tests {
    use super::Args;

    #[test]
    fn ints_take_the_low_32_bits_sign_extended() {
        let a = Args([0xffff_ffff_ffff_ff9c, 0x1_0000_0005, u64::MAX, 7, 0, 0]);
        assert_eq!(a.fd(0), -100);
        assert_eq!(a.int(1), 5);
        assert_eq!(a.uint(1), 5);
        assert_eq!(a.long(2), -1);
        assert_eq!(a.ulong(2), u64::MAX);
        assert_eq!(a.raw(3), 7);
        assert_eq!(a.ptr(3), 7);
        assert_eq!(a.pid(0), -100);
    }
}
