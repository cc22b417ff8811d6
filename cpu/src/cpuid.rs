//! The CPUID model. It advertises only features whose instructions emu implements in
//! full, because glibc picks string-function variants (and programs pick code paths) from
//! these bits. Adding a bit here is a promise that every instruction it covers works.

/// Feature bits of leaf 1 EDX.
pub mod edx1 {
    pub const FPU: u32 = 1 << 0;
    pub const TSC: u32 = 1 << 4;
    pub const CX8: u32 = 1 << 8;
    pub const CMOV: u32 = 1 << 15;
    pub const MMX: u32 = 1 << 23;
    pub const FXSR: u32 = 1 << 24;
    pub const SSE: u32 = 1 << 25;
    pub const SSE2: u32 = 1 << 26;
}

/// Feature bits of leaf 1 ECX.
pub mod ecx1 {
    pub const SSE3: u32 = 1 << 0;
    pub const SSSE3: u32 = 1 << 9;
    pub const CX16: u32 = 1 << 13;
    pub const SSE41: u32 = 1 << 19;
    pub const SSE42: u32 = 1 << 20;
    pub const MOVBE: u32 = 1 << 22;
    pub const POPCNT: u32 = 1 << 23;
    pub const PCLMULQDQ: u32 = 1 << 1;
    pub const FMA: u32 = 1 << 12;
    pub const AES: u32 = 1 << 25;
    pub const XSAVE: u32 = 1 << 26;
    /// The OS has enabled XSAVE (XGETBV works): set together with XSAVE.
    pub const OSXSAVE: u32 = 1 << 27;
    pub const AVX: u32 = 1 << 28;
    pub const F16C: u32 = 1 << 29;
    pub const RDRAND: u32 = 1 << 30;
}

/// Feature bits of leaf 7 (subleaf 0) EBX.
pub mod ebx7 {
    pub const FSGSBASE: u32 = 1 << 0;
    pub const BMI1: u32 = 1 << 3;
    pub const AVX2: u32 = 1 << 5;
    pub const BMI2: u32 = 1 << 8;
    pub const RDSEED: u32 = 1 << 18;
    pub const ADX: u32 = 1 << 19;
    pub const SHA: u32 = 1 << 29;
}

/// Feature bits of leaf 7 (subleaf 0) ECX.
pub mod ecx7 {
    pub const VAES: u32 = 1 << 9;
    pub const VPCLMULQDQ: u32 = 1 << 10;
}

/// Leaf 0xD subleaf 1 EAX: the XSAVE extensions.
pub mod xsave1 {
    pub const XSAVEC: u32 = 1 << 1;
}

/// Leaf 0x8000_0001 ECX / EDX bits.
pub mod ext1 {
    pub const ECX_LAHF_LM: u32 = 1 << 0;
    pub const ECX_ABM: u32 = 1 << 5;
    pub const EDX_SYSCALL: u32 = 1 << 11;
    pub const EDX_NX: u32 = 1 << 20;
    pub const EDX_LM: u32 = 1 << 29;
}

#[derive(Clone, Debug)]
pub struct CpuidModel {
    pub edx1: u32,
    pub ecx1: u32,
    /// Leaf 7 subleaf 0 EBX and ECX.
    pub ebx7: u32,
    pub ecx7: u32,
    /// Leaf 0xD subleaf 1 EAX (XSAVEOPT, XSAVEC, XGETBV with ECX = 1, XSAVES).
    pub xsave1: u32,
    pub ext_ecx: u32,
    pub ext_edx: u32,
}

impl Default for CpuidModel {
    fn default() -> Self {
        CpuidModel {
            edx1: edx1::FPU
                | edx1::TSC
                | edx1::CX8
                | edx1::CMOV
                | edx1::MMX
                | edx1::FXSR
                | edx1::SSE
                | edx1::SSE2,
            ecx1: ecx1::SSE3
                | ecx1::SSSE3
                | ecx1::SSE41
                | ecx1::SSE42
                | ecx1::CX16
                | ecx1::MOVBE
                | ecx1::POPCNT
                | ecx1::XSAVE
                | ecx1::OSXSAVE
                | ecx1::AVX
                | ecx1::FMA
                | ecx1::F16C
                | ecx1::AES
                | ecx1::PCLMULQDQ
                | ecx1::RDRAND,
            ebx7: ebx7::BMI1
                | ebx7::BMI2
                | ebx7::AVX2
                | ebx7::FSGSBASE
                | ebx7::ADX
                | ebx7::RDSEED
                | ebx7::SHA,
            ecx7: ecx7::VAES | ecx7::VPCLMULQDQ,
            xsave1: xsave1::XSAVEC,
            ext_ecx: ext1::ECX_LAHF_LM | ext1::ECX_ABM,
            ext_edx: ext1::EDX_SYSCALL | ext1::EDX_NX | ext1::EDX_LM,
        }
    }
}

const BRAND: &[u8; 48] = b"emu virtual x86-64 CPU\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

fn le(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

impl CpuidModel {
    /// (eax, ebx, ecx, edx) for leaf `eax`, subleaf `ecx`.
    pub fn query(&self, leaf: u32, sub: u32) -> [u32; 4] {
        match leaf {
            0 => [0xd, le(b"Genu"), le(b"ntel"), le(b"ineI")],
            // Family 6, model 0x3a (a generic Core), stepping 9. EBX: CLFLUSH size 8
            // (64 bytes), one logical processor.
            1 => [0x0003_06a9, 0x0001_0800, self.ecx1, self.edx1],
            // Leaf 2 descriptor 0xff: "use leaf 4".
            2 => [0x00ff_0001, 0, 0, 0],
            4 => cache_leaf(sub),
            7 if sub == 0 => [0, self.ebx7, self.ecx7, 0],
            7 => [0, 0, 0, 0],
            0xd => self.xsave_leaf(sub),
            0x8000_0000 => [0x8000_0008, 0, 0, 0],
            0x8000_0001 => [0, 0, self.ext_ecx, self.ext_edx],
            0x8000_0002..=0x8000_0004 => {
                let o = (leaf - 0x8000_0002) as usize * 16;
                let b = &BRAND[o..o + 16];
                [le(&b[0..]), le(&b[4..]), le(&b[8..]), le(&b[12..])]
            }
            0x8000_0006 => [0, 0, 0x0100_6040, 0],
            // 48-bit virtual, 39-bit physical addresses.
            0x8000_0008 => [0x3027, 0, 0, 0],
            _ => [0, 0, 0, 0],
        }
    }

    /// XCR0 as XGETBV reports it: x87 and SSE state always, AVX state when AVX is
    /// advertised; 0 without XSAVE.
    pub fn xcr0(&self) -> u64 {
        if self.ecx1 & ecx1::XSAVE == 0 {
            return 0;
        }
        3 | if self.ecx1 & ecx1::AVX != 0 { 4 } else { 0 }
    }

    /// Size of the standard-format XSAVE area for the components in `mask`.
    pub fn xsave_size(mask: u64) -> u32 {
        if mask & 4 != 0 {
            576 + 256
        } else {
            576
        }
    }

    /// Leaf 0xD: the XSAVE components and their sizes (SDM Vol. 1 §13.2).
    fn xsave_leaf(&self, sub: u32) -> [u32; 4] {
        let xcr0 = self.xcr0();
        if xcr0 == 0 {
            return [0, 0, 0, 0];
        }
        let size = Self::xsave_size(xcr0);
        match sub {
            // Supported XCR0 bits, the area size for the enabled ones and for all.
            0 => [xcr0 as u32, size, size, 0],
            // The compacted size of XCR0's components equals the standard one here.
            1 => [self.xsave1, if self.xsave1 & xsave1::XSAVEC != 0 { size } else { 0 }, 0, 0],
            // AVX: 256 bytes at offset 576, a user component, no 64-byte alignment.
            2 if xcr0 & 4 != 0 => [256, 576, 0, 0],
            _ => [0, 0, 0, 0],
        }
    }

    pub fn has_edx1(&self, bit: u32) -> bool {
        self.edx1 & bit != 0
    }

    pub fn has_ecx1(&self, bit: u32) -> bool {
        self.ecx1 & bit != 0
    }

    /// The flags line of /proc/cpuinfo for this model.
    pub fn cpuinfo_flags(&self) -> String {
        let mut f = vec![];
        let e = [
            (edx1::FPU, "fpu"),
            (edx1::TSC, "tsc"),
            (edx1::CX8, "cx8"),
            (edx1::CMOV, "cmov"),
            (edx1::MMX, "mmx"),
            (edx1::FXSR, "fxsr"),
            (edx1::SSE, "sse"),
            (edx1::SSE2, "sse2"),
        ];
        for (b, n) in e {
            if self.edx1 & b != 0 {
                f.push(n);
            }
        }
        if self.ext_edx & ext1::EDX_SYSCALL != 0 {
            f.push("syscall");
        }
        if self.ext_edx & ext1::EDX_NX != 0 {
            f.push("nx");
        }
        if self.ext_edx & ext1::EDX_LM != 0 {
            f.push("lm");
        }
        let c = [
            (ecx1::SSE3, "pni"),
            (ecx1::PCLMULQDQ, "pclmulqdq"),
            (ecx1::SSSE3, "ssse3"),
            (ecx1::FMA, "fma"),
            (ecx1::CX16, "cx16"),
            (ecx1::SSE41, "sse4_1"),
            (ecx1::SSE42, "sse4_2"),
            (ecx1::MOVBE, "movbe"),
            (ecx1::POPCNT, "popcnt"),
            (ecx1::AES, "aes"),
            (ecx1::XSAVE, "xsave"),
            (ecx1::AVX, "avx"),
            (ecx1::F16C, "f16c"),
            (ecx1::RDRAND, "rdrand"),
        ];
        for (b, n) in c {
            if self.ecx1 & b != 0 {
                f.push(n);
            }
        }
        if self.ext_ecx & ext1::ECX_LAHF_LM != 0 {
            f.push("lahf_lm");
        }
        if self.ext_ecx & ext1::ECX_ABM != 0 {
            f.push("abm");
        }
        for (b, n) in [
            (ebx7::FSGSBASE, "fsgsbase"),
            (ebx7::BMI1, "bmi1"),
            (ebx7::AVX2, "avx2"),
            (ebx7::BMI2, "bmi2"),
            (ebx7::RDSEED, "rdseed"),
            (ebx7::ADX, "adx"),
            (ebx7::SHA, "sha_ni"),
        ] {
            if self.ebx7 & b != 0 {
                f.push(n);
            }
        }
        if self.xsave1 & xsave1::XSAVEC != 0 {
            f.push("xsavec");
        }
        for (b, n) in [(ecx7::VAES, "vaes"), (ecx7::VPCLMULQDQ, "vpclmulqdq")] {
            if self.ecx7 & b != 0 {
                f.push(n);
            }
        }
        f.join(" ")
    }
}

/// Deterministic cache parameters (leaf 4): L1d 32K 8-way, L1i 32K, L2 256K, L3 8M.
fn cache_leaf(sub: u32) -> [u32; 4] {
    // (type, level, ways, partitions, line, sets)
    let (ty, level, ways, sets) = match sub {
        0 => (1, 1, 8, 64),
        1 => (2, 1, 8, 64),
        2 => (3, 2, 4, 1024),
        3 => (3, 3, 16, 8192),
        _ => return [0, 0, 0, 0],
    };
    let eax = ty | (level << 5) | (1 << 8);
    let ebx = 63 | ((ways - 1) << 22);
    [eax, ebx, sets - 1, 0]
}
