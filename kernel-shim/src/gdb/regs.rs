//! The registers gdb sees, in the order of the target description emu sends: the x86-64
//! Linux set (`org.gnu.gdb.i386.core`, `.sse`, `.linux`, `.segments`), as gdbserver on an
//! x86-64 Linux host describes a process: GPRs, rip, eflags, segment selectors, x87, SSE,
//! mxcsr, orig_rax, fs_base and gs_base.

use emu_cpu::x87::F80;
use emu_cpu::{Cpu, Reg};
use gdbstub::arch::{Arch, RegId, Registers};

/// gdb's order of the general registers (not the encoding order emu keeps).
const GPR_ORDER: [Reg; 16] = [
    Reg::Rax,
    Reg::Rbx,
    Reg::Rcx,
    Reg::Rdx,
    Reg::Rsi,
    Reg::Rdi,
    Reg::Rbp,
    Reg::Rsp,
    Reg::R8,
    Reg::R9,
    Reg::R10,
    Reg::R11,
    Reg::R12,
    Reg::R13,
    Reg::R14,
    Reg::R15,
];

/// Linux's user-mode selectors, as a ptrace GETREGS shows them.
const SELECTORS: [u32; 6] = [0x33, 0x2b, 0, 0, 0, 0];

/// One thread's registers as gdb reads and writes them (`g`/`G`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Regs {
    /// rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8..r15.
    pub general: [u64; 16],
    pub rip: u64,
    pub eflags: u32,
    /// cs, ss, ds, es, fs, gs.
    pub seg: [u32; 6],
    /// st0..st7 (logical, st0 the top of the stack), 80-bit.
    pub st: [u128; 8],
    /// fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop.
    pub fpu: [u32; 8],
    pub xmm: [u128; 16],
    pub mxcsr: u32,
    /// -1: emu does not keep the number of an interrupted syscall.
    pub orig_rax: u64,
    pub fs_base: u64,
    pub gs_base: u64,
}

impl Regs {
    /// The registers of the thread on `cpu`.
    pub fn of(cpu: &Cpu) -> Regs {
        let x = &cpu.x87;
        let mut r = Regs {
            rip: cpu.rip,
            eflags: cpu.rflags() as u32,
            seg: SELECTORS,
            fpu: [
                x.fcw as u32,
                x.status_word() as u32,
                x.tag_word() as u32,
                x.fcs as u32,
                x.fip as u32,
                x.fds as u32,
                x.fdp as u32,
                x.fop as u32,
            ],
            xmm: cpu.xmm,
            mxcsr: cpu.mxcsr,
            orig_rax: u64::MAX,
            fs_base: cpu.fs_base(),
            gs_base: cpu.gs_base(),
            ..Regs::default()
        };
        for (slot, g) in r.general.iter_mut().zip(GPR_ORDER) {
            *slot = cpu.reg(g);
        }
        for i in 0..8 {
            r.st[i] = x.st(i as u8).to_bits();
        }
        r
    }

    /// Puts these registers on `cpu` (gdb wrote them).
    pub fn apply(&self, cpu: &mut Cpu) {
        for (v, g) in self.general.iter().zip(GPR_ORDER) {
            cpu.set_reg(g, *v);
        }
        cpu.rip = self.rip;
        cpu.set_rflags(self.eflags as u64);
        cpu.xmm = self.xmm;
        cpu.mxcsr = self.mxcsr;
        cpu.set_fs_base(self.fs_base);
        cpu.set_gs_base(self.gs_base);
        let x = &mut cpu.x87;
        x.fcw = self.fpu[0] as u16;
        x.set_status_word(self.fpu[1] as u16);
        x.set_tag_word(self.fpu[2] as u16);
        for (i, v) in self.st.iter().enumerate() {
            let p = x.phys(i as u8);
            if let Some(r) = x.regs.get_mut(p) {
                *r = F80::from_bits(*v);
            }
        }
        x.update_summary();
    }
}

/// Appends the `n` low bytes of `v`, little-endian.
fn put(out: &mut impl FnMut(Option<u8>), v: u128, n: usize) {
    for b in &v.to_le_bytes()[..n] {
        out(Some(*b));
    }
}

/// Reads `n` bytes little-endian from the front of `b`.
fn take(b: &mut &[u8], n: usize) -> Result<u128, ()> {
    if b.len() < n {
        return Err(());
    }
    let mut v = [0u8; 16];
    v[..n].copy_from_slice(&b[..n]);
    *b = &b[n..];
    Ok(u128::from_le_bytes(v))
}

impl Registers for Regs {
    type ProgramCounter = u64;

    fn pc(&self) -> u64 {
        self.rip
    }

    fn gdb_serialize(&self, mut out: impl FnMut(Option<u8>)) {
        let o = &mut out;
        self.general.iter().for_each(|v| put(o, *v as u128, 8));
        put(o, self.rip as u128, 8);
        put(o, self.eflags as u128, 4);
        self.seg.iter().for_each(|v| put(o, *v as u128, 4));
        self.st.iter().for_each(|v| put(o, *v, 10));
        self.fpu.iter().for_each(|v| put(o, *v as u128, 4));
        self.xmm.iter().for_each(|v| put(o, *v, 16));
        put(o, self.mxcsr as u128, 4);
        put(o, self.orig_rax as u128, 8);
        put(o, self.fs_base as u128, 8);
        put(o, self.gs_base as u128, 8);
    }

    fn gdb_deserialize(&mut self, mut b: &[u8]) -> Result<(), ()> {
        let b = &mut b;
        for v in &mut self.general {
            *v = take(b, 8)? as u64;
        }
        self.rip = take(b, 8)? as u64;
        self.eflags = take(b, 4)? as u32;
        for v in &mut self.seg {
            *v = take(b, 4)? as u32;
        }
        for v in &mut self.st {
            *v = take(b, 10)?;
        }
        for v in &mut self.fpu {
            *v = take(b, 4)? as u32;
        }
        for v in &mut self.xmm {
            *v = take(b, 16)?;
        }
        self.mxcsr = take(b, 4)? as u32;
        self.orig_rax = take(b, 8)? as u64;
        self.fs_base = take(b, 8)? as u64;
        self.gs_base = take(b, 8)? as u64;
        Ok(())
    }
}

/// Single registers are read through `g` (gdbstub falls back to it).
#[derive(Debug)]
pub enum NoRegId {}

impl RegId for NoRegId {
    fn from_raw_id(_: usize) -> Option<(Self, Option<std::num::NonZeroUsize>)> {
        None
    }
}

/// x86-64 as a Linux gdb expects it.
pub enum X86_64Linux {}

impl Arch for X86_64Linux {
    type Usize = u64;
    type Registers = Regs;
    type BreakpointKind = usize;
    type RegId = NoRegId;

    fn target_description_xml() -> Option<&'static str> {
        Some(TARGET_XML)
    }
}

/// The target description: gdb's own feature names, so its amd64 Linux code recognises
/// every register (orig_rax for syscall restarts, fs_base for TLS).
const TARGET_XML: &str = r#"<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>i386:x86-64</architecture>
<osabi>GNU/Linux</osabi>
<feature name="org.gnu.gdb.i386.core">
<flags id="i386_eflags" size="4">
<field name="CF" start="0" end="0"/><field name="" start="1" end="1"/>
<field name="PF" start="2" end="2"/><field name="AF" start="4" end="4"/>
<field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
<field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/>
<field name="DF" start="10" end="10"/><field name="OF" start="11" end="11"/>
<field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
<field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/>
<field name="VIF" start="19" end="19"/><field name="VIP" start="20" end="20"/>
<field name="ID" start="21" end="21"/>
</flags>
<reg name="rax" bitsize="64" type="int64"/>
<reg name="rbx" bitsize="64" type="int64"/>
<reg name="rcx" bitsize="64" type="int64"/>
<reg name="rdx" bitsize="64" type="int64"/>
<reg name="rsi" bitsize="64" type="int64"/>
<reg name="rdi" bitsize="64" type="int64"/>
<reg name="rbp" bitsize="64" type="data_ptr"/>
<reg name="rsp" bitsize="64" type="data_ptr"/>
<reg name="r8" bitsize="64" type="int64"/>
<reg name="r9" bitsize="64" type="int64"/>
<reg name="r10" bitsize="64" type="int64"/>
<reg name="r11" bitsize="64" type="int64"/>
<reg name="r12" bitsize="64" type="int64"/>
<reg name="r13" bitsize="64" type="int64"/>
<reg name="r14" bitsize="64" type="int64"/>
<reg name="r15" bitsize="64" type="int64"/>
<reg name="rip" bitsize="64" type="code_ptr"/>
<reg name="eflags" bitsize="32" type="i386_eflags"/>
<reg name="cs" bitsize="32" type="int32"/>
<reg name="ss" bitsize="32" type="int32"/>
<reg name="ds" bitsize="32" type="int32"/>
<reg name="es" bitsize="32" type="int32"/>
<reg name="fs" bitsize="32" type="int32"/>
<reg name="gs" bitsize="32" type="int32"/>
<reg name="st0" bitsize="80" type="i387_ext"/>
<reg name="st1" bitsize="80" type="i387_ext"/>
<reg name="st2" bitsize="80" type="i387_ext"/>
<reg name="st3" bitsize="80" type="i387_ext"/>
<reg name="st4" bitsize="80" type="i387_ext"/>
<reg name="st5" bitsize="80" type="i387_ext"/>
<reg name="st6" bitsize="80" type="i387_ext"/>
<reg name="st7" bitsize="80" type="i387_ext"/>
<reg name="fctrl" bitsize="32" type="int" group="float"/>
<reg name="fstat" bitsize="32" type="int" group="float"/>
<reg name="ftag" bitsize="32" type="int" group="float"/>
<reg name="fiseg" bitsize="32" type="int" group="float"/>
<reg name="fioff" bitsize="32" type="int" group="float"/>
<reg name="foseg" bitsize="32" type="int" group="float"/>
<reg name="fooff" bitsize="32" type="int" group="float"/>
<reg name="fop" bitsize="32" type="int" group="float"/>
</feature>
<feature name="org.gnu.gdb.i386.sse">
<vector id="v8bf16" type="bfloat16" count="8"/>
<vector id="v8h" type="ieee_half" count="8"/>
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v16i8" type="int8" count="16"/>
<vector id="v8i16" type="int16" count="8"/>
<vector id="v4i32" type="int32" count="4"/>
<vector id="v2i64" type="int64" count="2"/>
<union id="vec128">
<field name="v8_bfloat16" type="v8bf16"/><field name="v8_half" type="v8h"/>
<field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/>
<field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/>
<field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/>
<field name="uint128" type="uint128"/>
</union>
<flags id="i386_mxcsr" size="4">
<field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/>
<field name="ZE" start="2" end="2"/><field name="OE" start="3" end="3"/>
<field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/>
<field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/>
<field name="DM" start="8" end="8"/><field name="ZM" start="9" end="9"/>
<field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/>
<field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>
</flags>
<reg name="xmm0" bitsize="128" type="vec128"/>
<reg name="xmm1" bitsize="128" type="vec128"/>
<reg name="xmm2" bitsize="128" type="vec128"/>
<reg name="xmm3" bitsize="128" type="vec128"/>
<reg name="xmm4" bitsize="128" type="vec128"/>
<reg name="xmm5" bitsize="128" type="vec128"/>
<reg name="xmm6" bitsize="128" type="vec128"/>
<reg name="xmm7" bitsize="128" type="vec128"/>
<reg name="xmm8" bitsize="128" type="vec128"/>
<reg name="xmm9" bitsize="128" type="vec128"/>
<reg name="xmm10" bitsize="128" type="vec128"/>
<reg name="xmm11" bitsize="128" type="vec128"/>
<reg name="xmm12" bitsize="128" type="vec128"/>
<reg name="xmm13" bitsize="128" type="vec128"/>
<reg name="xmm14" bitsize="128" type="vec128"/>
<reg name="xmm15" bitsize="128" type="vec128"/>
<reg name="mxcsr" bitsize="32" type="i386_mxcsr" group="vector"/>
</feature>
<feature name="org.gnu.gdb.i386.linux">
<reg name="orig_rax" bitsize="64" type="int" group="system"/>
</feature>
<feature name="org.gnu.gdb.i386.segments">
<reg name="fs_base" bitsize="64" type="int"/>
<reg name="gs_base" bitsize="64" type="int"/>
</feature>
</target>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_round_trip_through_the_g_packet() {
        let r = Regs {
            general: [7; 16],
            rip: 0x401000,
            eflags: 0x246,
            st: [1 << 70; 8],
            xmm: [u128::MAX; 16],
            ..Regs::default()
        };
        let mut bytes = Vec::new();
        r.gdb_serialize(|b| bytes.push(b.unwrap_or(0)));
        // 16 GPRs, rip, eflags, 6 selectors, 8 st, 8 x87 control, 16 xmm, mxcsr, orig_rax, fs/gs base.
        assert_eq!(bytes.len(), 16 * 8 + 8 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4 + 8 + 16);
        let mut back = Regs::default();
        back.gdb_deserialize(&bytes).unwrap();
        assert_eq!(back, r);
    }
}
