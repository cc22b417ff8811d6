//! `--trace-regs`: with `--trace=insn`, each instruction's line ends with the registers it
//! changed (`rax=0x1 rflags=0x246`; JSON: a `regs` object). A vector register is shown as
//! `xmmN` when only its low 128 bits changed and as `ymmN` (all 256 bits) when its upper
//! half changed too. The line of an instruction is
//! held until the next one is about to run (or the CPU stops), when the registers are
//! compared with a snapshot taken before it ran.

use super::Json;
use emu_cpu::Cpu;

const NAMES: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
    "r15",
];

/// The registers an instruction can change that the trace shows.
#[derive(Clone, PartialEq, Eq)]
struct Snap {
    gpr: [u64; 16],
    rflags: u64,
    xmm: [u128; 16],
    ymmh: [u128; 16],
    fs: u64,
    gs: u64,
}

impl Snap {
    fn of(cpu: &Cpu) -> Snap {
        let mut gpr = [0; 16];
        gpr.copy_from_slice(&cpu.gprs());
        Snap { gpr, rflags: cpu.rflags(), xmm: cpu.xmm, ymmh: cpu.ymmh, fs: cpu.fs_base(), gs: cpu.gs_base() }
    }

    /// (name, new value) of each register that differs from `before`.
    fn changes(&self, before: &Snap) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, (a, b)) in before.gpr.iter().zip(&self.gpr).enumerate() {
            if a != b {
                out.push((NAMES[i].to_string(), format!("{b:#x}")));
            }
        }
        for i in 0..16 {
            let (x, y) = (self.xmm[i], self.ymmh[i]);
            if before.ymmh[i] != y {
                out.push((
                    format!("ymm{i}"),
                    if y == 0 { format!("{x:#x}") } else { format!("{y:#x}{x:032x}") },
                ));
            } else if before.xmm[i] != x {
                out.push((format!("xmm{i}"), format!("{x:#x}")));
            }
        }
        if before.fs != self.fs {
            out.push(("fs_base".into(), format!("{:#x}", self.fs)));
        }
        if before.gs != self.gs {
            out.push(("gs_base".into(), format!("{:#x}", self.gs)));
        }
        if before.rflags != self.rflags {
            out.push(("rflags".into(), format!("{:#x}", self.rflags)));
        }
        out
    }
}

enum Held {
    Text(String),
    Json(Json),
}

/// The instruction line waiting for its register changes.
#[derive(Default)]
pub(crate) struct Regs {
    held: Option<(Held, Snap)>,
}

impl Regs {
    /// Completes the held line (the instruction has run, or the CPU stopped after it).
    pub fn settle(&mut self, cpu: &Cpu) -> Option<String> {
        let (line, before) = self.held.take()?;
        let ch = Snap::of(cpu).changes(&before);
        Some(match line {
            Held::Text(mut s) => {
                if !ch.is_empty() {
                    let list: Vec<String> = ch.iter().map(|(n, v)| format!("{n}={v}")).collect();
                    s.push_str("  ; ");
                    s.push_str(&list.join(" "));
                }
                s
            }
            Held::Json(j) => {
                let mut o = Json::object();
                for (n, v) in &ch {
                    o = o.str(n, v);
                }
                j.raw("regs", &o.end()).end()
            }
        })
    }

    /// Holds an instruction's line (text, or a JSON record not yet ended) until it ran.
    pub fn hold_text(&mut self, cpu: &Cpu, line: String) {
        self.held = Some((Held::Text(line), Snap::of(cpu)));
    }

    pub fn hold_json(&mut self, cpu: &Cpu, j: Json) {
        self.held = Some((Held::Json(j), Snap::of(cpu)));
    }
}

#[cfg(test)]
mod tests {
    use super::Snap;

    fn snap() -> Snap {
        Snap { gpr: [0; 16], rflags: 0x202, xmm: [0; 16], ymmh: [0; 16], fs: 0, gs: 0 }
    }

    #[test]
    fn vector_registers_show_as_xmm_or_ymm() {
        let before = snap();
        let mut after = snap();
        after.xmm[1] = 0xab;
        after.xmm[2] = 0x1;
        after.ymmh[2] = 0xcd;
        let ch = after.changes(&before);
        assert_eq!(
            ch,
            [("xmm1".to_string(), "0xab".to_string()), ("ymm2".into(), format!("0xcd{:032x}", 1))]
        );
        // A VEX.128 write zeroing a dirty upper half: all of ymm, now 128 bits wide.
        let ch = before.changes(&after);
        assert_eq!(ch, [("xmm1".to_string(), "0x0".to_string()), ("ymm2".into(), "0x0".into())]);
    }
}
