//! Running cases through both runners, verdicts, the coverage report and the CPUID check.

use super::case::*;
use super::compare::{diff, mask_for, Mask};
use super::emulated::Emu;
use super::gen::Skip;
use super::native;
use iced_x86::{Code, CpuidFeature, Decoder, DecoderOptions, Formatter, IntelFormatter};
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// emu raised #UD for a form it does not implement: allowed, not a pass.
    Refused,
    /// Native execution lost the case (child crash/hang), or the case reached memory
    /// only the native runner maps: a harness problem, not a verdict on emu.
    Lost,
    Mismatch(String),
}

/// Intel-syntax disassembly of a case's bytes at `CODE`.
pub fn disasm(bytes: &[u8]) -> String {
    let mut d = Decoder::with_ip(64, bytes, CODE, DecoderOptions::NONE);
    let mut f = IntelFormatter::new();
    let mut out = String::new();
    while d.can_decode() {
        let i = d.decode();
        if !out.is_empty() {
            out.push_str("; ");
        }
        f.format(&i, &mut out);
    }
    out
}

/// The paste-able line for a mismatch: case, disassembly, what differed.
pub fn repro(case: &Case, diffs: &[String]) -> String {
    format!("{} # {} | {}", case.to_line(), disasm(&case.bytes), diffs.join("; "))
}

/// Runs `cases` natively and emulated and compares them.
pub fn check(cases: &[Case], emu: &mut Emu) -> Vec<Verdict> {
    let native = native::run_batch(cases);
    cases
        .iter()
        .zip(native.iter())
        .map(|(c, n)| {
            let e = emu.run(c);
            verdict(c, n, &e)
        })
        .collect()
}

pub fn verdict(c: &Case, n: &Outcome, e: &Outcome) -> Verdict {
    if n.kind == K_LOST {
        return Verdict::Lost;
    }
    if e.kind == K_REFUSED {
        return Verdict::Refused;
    }
    let d = diff(n, e, &mask_for(&c.bytes));
    if d.is_empty() {
        Verdict::Pass
    } else if e.kind == K_SIGNAL && e.sig == super::emulated::SIGSEGV && (CTX..CODE).contains(&e.addr) {
        // The native runner's context page and stubs live there (emu maps nothing below
        // CODE): natively the access hit them, so the two runs are not comparable. BT* with
        // a register bit offset reaches them from the data area.
        Verdict::Lost
    } else {
        Verdict::Mismatch(repro(c, &d))
    }
}

// ---- recorded expectations ----

/// A 64-bit digest of everything `compare::diff` looks at, under the case's mask, so an
/// x86-64 host can record expectations that any host replays against emu.
pub fn digest(o: &Outcome, m: &Mask) -> u64 {
    let mut h = Rng(0x6469_6765_7374);
    let mut acc = 0u64;
    let mut mix = |v: u64| {
        acc = (acc ^ v).wrapping_mul(0x100_0000_01b3).rotate_left(17) ^ h.next();
    };
    mix(o.kind as u64);
    mix(o.sig as u64);
    mix(o.rip);
    match o.sig {
        super::emulated::SIGSEGV => {
            mix(o.code as u64);
            if o.code != super::emulated::SI_KERNEL {
                mix(o.addr);
            }
        }
        super::emulated::SIGFPE => {}
        _ => {}
    }
    for (i, g) in o.gpr.iter().enumerate() {
        mix(g & !m.gpr[i]);
    }
    mix(o.rflags & !(m.flags | (1 << 16)) & 0x3f_ffff);
    let fx = &o.fx;
    mix(u16::from_le_bytes([fx[0], fx[1]]) as u64);
    mix((u16::from_le_bytes([fx[2], fx[3]]) & !m.fsw) as u64);
    mix(fx[4] as u64);
    mix(u32::from_le_bytes(fx[24..28].try_into().unwrap()) as u64);
    for i in 0..8 {
        let o = 32 + 16 * i;
        let mut b = [0u8; 16];
        b[..10].copy_from_slice(&fx[o..o + 10]);
        mix(u128::from_le_bytes(b) as u64);
        mix((u128::from_le_bytes(b) >> 64) as u64);
    }
    for i in 0..16 {
        let o = 160 + 16 * i;
        mix(u64::from_le_bytes(fx[o..o + 8].try_into().unwrap()));
        mix(u64::from_le_bytes(fx[o + 8..o + 16].try_into().unwrap()));
    }
    if m.vex {
        for y in o.ymmh {
            mix(y as u64);
            mix((y >> 64) as u64);
        }
    }
    mix(o.ndiff as u64);
    let mm = if m.xsave { !(1u64 << 49) } else { u64::MAX };
    for i in 0..(o.ndiff as usize).min(MAX_DIFF) {
        mix(o.diff_off[i] as u64);
        mix(o.diff_val[i] & mm);
    }
    acc
}

/// One line of an expectations file: `<case line> => <digest> <exit> # <disassembly>`.
pub fn expectation_line(c: &Case, n: &Outcome) -> String {
    format!(
        "{} => {:016x} {} # {}",
        c.to_line(),
        digest(n, &mask_for(&c.bytes)),
        super::compare::describe_exit(n).replace(' ', ""),
        disasm(&c.bytes)
    )
}

/// Replays one expectation line against emu.
pub fn replay_line(line: &str, emu: &mut Emu) -> Result<Verdict, String> {
    let (case, rest) = line.split_once("=>").ok_or("no '=>' in expectation line")?;
    let c = Case::parse(case)?;
    let want = u64::from_str_radix(rest.split_whitespace().next().ok_or("no digest")?, 16)
        .map_err(|e| e.to_string())?;
    let e = emu.run(&c);
    if e.kind == K_REFUSED {
        return Ok(Verdict::Refused);
    }
    let got = digest(&e, &mask_for(&c.bytes));
    Ok(if got == want {
        Verdict::Pass
    } else {
        Verdict::Mismatch(format!(
            "{} # {} | recorded outcome digest {want:016x} ({}), emu {got:016x} ({})",
            c.to_line(),
            disasm(&c.bytes),
            rest.split_whitespace().nth(1).unwrap_or("?"),
            super::compare::describe_exit(&e)
        ))
    })
}

// ---- coverage ----

#[derive(Clone, Debug, Default)]
pub struct CodeStats {
    pub cases: u64,
    pub passed: u64,
    /// Passed cases whose instruction had an explicit memory operand (the rest had
    /// registers only), so the report shows both sides of an `r/m` form.
    pub passed_mem: u64,
    pub refused: u64,
    pub failed: u64,
    pub skip: Option<String>,
}

#[derive(Default)]
pub struct Coverage {
    pub codes: BTreeMap<u32, CodeStats>,
    pub seq_cases: u64,
    pub seq_passed: u64,
    pub seq_refused: u64,
    pub mismatches: Vec<String>,
    pub lost: u64,
}

/// Whether the first instruction of `bytes` has an explicit memory operand.
fn has_memory_operand(bytes: &[u8]) -> bool {
    let i = Decoder::with_ip(64, bytes, CODE, DecoderOptions::NONE).decode();
    (0..i.op_count()).any(|k| i.op_kind(k) == iced_x86::OpKind::Memory)
}

fn code_of(v: u32) -> Code {
    Code::values().nth(v as usize).unwrap()
}

impl Coverage {
    pub fn new(implemented: &[Code]) -> Coverage {
        let mut c = Coverage::default();
        for &k in implemented {
            c.codes.insert(k as u32, CodeStats::default());
        }
        c
    }

    pub fn skip(&mut self, code: Code, s: &Skip) {
        let e = self.codes.entry(code as u32).or_default();
        e.skip = Some(match s {
            Skip::NoGenerator(w) => format!("no generator: {w}"),
            Skip::Excluded(w) => format!("excluded: {w}"),
            Skip::KnownBug(w) => format!("KNOWN BUG: {w}"),
        });
    }

    /// Records the verdict of single-instruction case `c` for `code`.
    pub fn add_single(&mut self, code: Code, c: &Case, v: &Verdict) {
        let e = self.codes.entry(code as u32).or_default();
        e.cases += 1;
        match v {
            Verdict::Pass => {
                e.passed += 1;
                e.passed_mem += has_memory_operand(&c.bytes) as u64;
            }
            Verdict::Refused => e.refused += 1,
            Verdict::Lost => {
                e.failed += 1;
                self.lost += 1
            }
            Verdict::Mismatch(m) => {
                e.failed += 1;
                self.mismatches.push(m.clone())
            }
        }
    }

    pub fn add_seq(&mut self, v: &Verdict) {
        self.seq_cases += 1;
        match v {
            Verdict::Pass => self.seq_passed += 1,
            Verdict::Refused => self.seq_refused += 1,
            Verdict::Lost => self.lost += 1,
            Verdict::Mismatch(m) => self.mismatches.push(m.clone()),
        }
    }

    /// The markdown coverage table.
    pub fn table(&self, min_cases: u64) -> String {
        let mut s = String::new();
        let tested = self.codes.values().filter(|c| c.passed >= min_cases).count();
        let cases: u64 = self.codes.values().map(|c| c.cases).sum();
        let _ = writeln!(s, "# CPU conformance coverage\n");
        let _ = writeln!(
            s,
            "{} implemented forms, {} with >= {} passing cases; {} single-instruction cases, {} sequences ({} passed); {} mismatches.\n",
            self.codes.len(),
            tested,
            min_cases,
            cases,
            self.seq_cases,
            self.seq_passed,
            self.mismatches.len()
        );
        let _ = writeln!(
            s,
            "| Code | CPUID | cases | passed | (memory, registers) | refused | failed | note |\n|---|---|---:|---:|---|---:|---:|---|"
        );
        for (k, c) in &self.codes {
            let code = code_of(*k);
            let feats: Vec<String> = code.cpuid_features().iter().map(|f| format!("{f:?}")).collect();
            let _ = writeln!(
                s,
                "| {code:?} | {} | {} | {} | ({}, {}) | {} | {} | {} |",
                feats.join(" "),
                c.cases,
                c.passed,
                c.passed_mem,
                c.passed - c.passed_mem,
                c.refused,
                c.failed,
                c.skip.clone().unwrap_or_default()
            );
        }
        s
    }

    /// True when `code` is implemented and passed at least `min` cases.
    pub fn backed(&self, code: Code, min: u64) -> bool {
        self.codes.get(&(code as u32)).map(|c| c.passed >= min && c.failed == 0).unwrap_or(false)
    }
}

/// A CPUID feature bit emu advertises, the iced features whose instructions it promises,
/// and instructions it promises beyond those.
pub struct Promise {
    pub name: &'static str,
    pub features: &'static [CpuidFeature],
    pub extra: &'static [Code],
    /// Why the bit is honest without conformance cases (for bits with no instructions, or
    /// whose instructions cannot be compared with the host).
    pub exempt: Option<&'static str>,
}

/// Every bit `CpuidModel::default()` sets, with what it promises.
pub fn promises() -> Vec<Promise> {
    use emu_cpu::cpuid::{ebx7, ecx1, ecx7, edx1, ext1, xsave1, CpuidModel};
    use CpuidFeature as F;
    let m = CpuidModel::default();
    let mut v = vec![];
    let mut add = |on: bool, name, features: &'static [CpuidFeature], extra: &'static [Code], exempt| {
        if on {
            v.push(Promise { name, features, extra, exempt });
        }
    };
    add(m.edx1 & edx1::FPU != 0, "fpu", &[F::FPU, F::FPU387], &[], None);
    add(
        m.edx1 & edx1::TSC != 0,
        "tsc",
        &[F::TSC],
        &[],
        Some("rdtsc reads emu's deterministic clock, not comparable"),
    );
    add(m.edx1 & edx1::CX8 != 0, "cx8", &[F::CX8], &[], None);
    add(m.edx1 & edx1::CMOV != 0, "cmov", &[F::CMOV], &[], None);
    add(m.edx1 & edx1::MMX != 0, "mmx", &[F::MMX], &[], None);
    add(m.edx1 & edx1::FXSR != 0, "fxsr", &[F::FXSR], &[], None);
    add(m.edx1 & edx1::SSE != 0, "sse", &[F::SSE], &[], None);
    add(m.edx1 & edx1::SSE2 != 0, "sse2", &[F::SSE2], &[], None);
    add(m.ecx1 & ecx1::SSE3 != 0, "sse3", &[F::SSE3], &[], None);
    add(m.ecx1 & ecx1::SSSE3 != 0, "ssse3", &[F::SSSE3], &[], None);
    add(m.ecx1 & ecx1::CX16 != 0, "cx16", &[F::CMPXCHG16B], &[], None);
    add(m.ecx1 & ecx1::SSE41 != 0, "sse4_1", &[F::SSE4_1], &[], None);
    add(m.ecx1 & ecx1::SSE42 != 0, "sse4_2", &[F::SSE4_2], &[], None);
    add(m.ecx1 & ecx1::MOVBE != 0, "movbe", &[F::MOVBE], &[], None);
    add(m.ecx1 & ecx1::POPCNT != 0, "popcnt", &[F::POPCNT], &[], None);
    add(m.ecx1 & ecx1::PCLMULQDQ != 0, "pclmulqdq", &[F::PCLMULQDQ], &[], None);
    add(m.ecx1 & ecx1::FMA != 0, "fma", &[F::FMA], &[], None);
    add(m.ecx1 & ecx1::AES != 0, "aes", &[F::AES], &[], None);
    add(m.ecx1 & ecx1::XSAVE != 0, "xsave", &[F::XSAVE], &[], None);
    add(
        m.ecx1 & ecx1::OSXSAVE != 0,
        "osxsave",
        &[],
        &[],
        Some("says the OS enabled XSAVE; XGETBV is checked by tests/xsave.rs"),
    );
    add(m.ecx1 & ecx1::AVX != 0, "avx", &[F::AVX], &[], None);
    add(m.ecx1 & ecx1::F16C != 0, "f16c", &[F::F16C], &[], None);
    add(m.ecx1 & ecx1::RDRAND != 0, "rdrand", &[F::RDRAND], &[], None);
    add(m.ebx7 & ebx7::FSGSBASE != 0, "fsgsbase", &[F::FSGSBASE], &[], None);
    add(m.ebx7 & ebx7::BMI1 != 0, "bmi1", &[F::BMI1], &[], None);
    add(m.ebx7 & ebx7::AVX2 != 0, "avx2", &[F::AVX2], &[], None);
    add(m.ebx7 & ebx7::BMI2 != 0, "bmi2", &[F::BMI2], &[], None);
    add(m.ebx7 & ebx7::RDSEED != 0, "rdseed", &[F::RDSEED], &[], None);
    add(m.ebx7 & ebx7::ADX != 0, "adx", &[F::ADX], &[], None);
    add(m.ebx7 & ebx7::SHA != 0, "sha", &[F::SHA], &[], None);
    add(m.ecx7 & ecx7::VAES != 0, "vaes", &[F::VAES], &[], None);
    add(m.ecx7 & ecx7::VPCLMULQDQ != 0, "vpclmulqdq", &[F::VPCLMULQDQ], &[], None);
    add(m.xsave1 & xsave1::XSAVEC != 0, "xsavec", &[F::XSAVEC], &[], None);
    add(m.ext_ecx & ext1::ECX_LAHF_LM != 0, "lahf_lm", &[], &[Code::Lahf, Code::Sahf], None);
    add(m.ext_ecx & ext1::ECX_ABM != 0, "abm", &[F::LZCNT], &[], None);
    add(
        m.ext_edx & ext1::EDX_SYSCALL != 0,
        "syscall",
        &[],
        &[],
        Some("syscall is the shim's entry, tested there"),
    );
    add(m.ext_edx & ext1::EDX_NX != 0, "nx", &[], &[], Some("a paging feature, no instructions"));
    add(m.ext_edx & ext1::EDX_LM != 0, "lm", &[], &[], Some("long mode itself"));
    // Bits the model may set that the table above does not know: fail loudly.
    let known =
        edx1::FPU | edx1::TSC | edx1::CX8 | edx1::CMOV | edx1::MMX | edx1::FXSR | edx1::SSE | edx1::SSE2;
    if m.edx1 & !known != 0 {
        v.push(Promise { name: "unknown leaf-1 EDX bits", features: &[], extra: &[], exempt: None });
    }
    let known = ecx1::SSE3
        | ecx1::SSSE3
        | ecx1::CX16
        | ecx1::SSE41
        | ecx1::SSE42
        | ecx1::MOVBE
        | ecx1::POPCNT
        | ecx1::PCLMULQDQ
        | ecx1::FMA
        | ecx1::AES
        | ecx1::XSAVE
        | ecx1::OSXSAVE
        | ecx1::AVX
        | ecx1::F16C
        | ecx1::RDRAND;
    if m.ecx1 & !known != 0 {
        v.push(Promise { name: "unknown leaf-1 ECX bits", features: &[], extra: &[], exempt: None });
    }
    let known = ebx7::FSGSBASE | ebx7::BMI1 | ebx7::AVX2 | ebx7::BMI2 | ebx7::RDSEED | ebx7::ADX | ebx7::SHA;
    if m.ebx7 & !known != 0 || m.ecx7 & !(ecx7::VAES | ecx7::VPCLMULQDQ) != 0 {
        v.push(Promise { name: "unknown leaf-7 bits", features: &[], extra: &[], exempt: None });
    }
    if m.xsave1 & !xsave1::XSAVEC != 0 {
        v.push(Promise { name: "unknown leaf-0xD bits", features: &[], extra: &[], exempt: None });
    }
    v
}

/// The user-mode, 64-bit-mode instructions a feature promises: those that need it and
/// whose every other required feature is advertised too (VAESENC xmm needs AES and AVX;
/// VGF2P8MULB, which needs GFNI and AVX, is not promised by AVX alone).
pub fn promised_codes(p: &Promise) -> Vec<Code> {
    let all: Vec<CpuidFeature> = promises().iter().flat_map(|q| q.features.iter().copied()).collect();
    let mut v: Vec<Code> = Code::values()
        .filter(|c| {
            let oc = c.op_code();
            oc.mode64() && oc.is_instruction() && !oc.is_privileged() && oc.cpl3()
        })
        .filter(|c| c.cpuid_features().iter().any(|f| p.features.contains(f)))
        .filter(|c| c.cpuid_features().iter().all(|f| all.contains(f)))
        .collect();
    v.extend_from_slice(p.extra);
    v
}

/// For each advertised bit: the promised forms that are not implemented-and-passing.
pub fn cpuid_gaps(cov: &Coverage, min: u64) -> Vec<(&'static str, Vec<Code>)> {
    let mut out = vec![];
    for p in promises() {
        if p.exempt.is_some() {
            continue;
        }
        if p.features.is_empty() && p.extra.is_empty() {
            out.push((p.name, vec![]));
            continue;
        }
        // Forms excluded with a stated reason (checked by another test) are not gaps.
        let gaps: Vec<Code> = promised_codes(&p)
            .into_iter()
            .filter(|&c| !cov.backed(c, min) && super::gen::excluded(c).is_none())
            .collect();
        if !gaps.is_empty() {
            out.push((p.name, gaps));
        }
    }
    out
}

/// The "which CPUID features are honest" section of the report.
pub fn cpuid_section(cov: &Coverage, min: u64) -> String {
    let mut s = String::from(
        "\n## CPUID features\n\n| bit | promised forms | backed | status |\n|---|---:|---:|---|\n",
    );
    for p in promises() {
        let codes = promised_codes(&p);
        let backed = codes.iter().filter(|&&c| cov.backed(c, min)).count();
        let other = codes.iter().filter(|&&c| super::gen::excluded(c).is_some()).count();
        let status = match p.exempt {
            Some(w) => format!("exempt: {w}"),
            None if backed + other == codes.len() && !codes.is_empty() && other > 0 => {
                format!("honest ({other} forms checked by other tests, see exclusions)")
            }
            None if backed == codes.len() && !codes.is_empty() => "honest".into(),
            None => format!("NOT BACKED ({} forms missing)", codes.len() - backed - other),
        };
        let _ = writeln!(s, "| {} | {} | {} | {} |", p.name, codes.len(), backed, status);
    }
    s
}
