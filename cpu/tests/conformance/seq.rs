//! Random instruction sequences: short blocks of mixed implemented instructions, biased to
//! put flag consumers (jcc, setcc, cmovcc, adc/sbb...) after flag producers, with memory
//! read-modify-write through fixed pointer registers and forward jumps inside the block,
//! so lazy-flag, block-chaining and mid-block fault bugs surface.
//!
//! Rules that keep a block comparable with the host:
//! - Two GPRs are reserved as base and index of every memory operand and are never
//!   written; rsp is written only by stack instructions. So every address is known when
//!   the block is generated (and is in the data area, or deliberately faults).
//! - No instruction reads a flag an earlier one left undefined (the poisoned set only
//!   grows, since a forward jump can skip the instruction that would define it again).
//! - Only direct forward branches (to a later instruction or the end); no ret, indirect
//!   branch, interrupt or popf.

use super::case::*;
use super::compare::{approx_form, host_approx_is_model, undefined_flags};
use super::gen::{excluded, finish, gpr_index, is_xsave, known_bug, with_known_bugs, writes, Env, Gen, Plan};
use iced_x86::{
    BlockEncoder, BlockEncoderOptions, Code, FlowControl, Instruction, InstructionBlock, MemorySize,
    Mnemonic, OpKind, Register,
};

const LABEL: u64 = 0x7f00_0000_0000;

pub struct SeqGen {
    pub pool: Vec<Code>,
    consumers: Vec<Code>,
}

fn eligible(code: Code) -> bool {
    let mut i = Instruction::default();
    i.set_code(code);
    if excluded(code).is_some() || known_bug(code).is_some() && !with_known_bugs() {
        return false;
    }
    // Approximations compared with a tolerance cannot feed later instructions.
    if approx_form(code).is_some() && !host_approx_is_model() {
        return false;
    }
    if matches!(
        code.mnemonic(),
        Mnemonic::Popf | Mnemonic::Popfq | Mnemonic::Iretq | Mnemonic::Enter | Mnemonic::Leave
    ) {
        return false;
    }
    // The XSAVE family: EDX:EAX must ask only for the components emu and the host share
    // (`Gen::xsave_target`), and the area needs its own aiming.
    if is_xsave(code) {
        return false;
    }
    // RDRAND/RDSEED: their (uncompared) random values must not feed later instructions.
    if matches!(code.mnemonic(), Mnemonic::Rdrand | Mnemonic::Rdseed) {
        return false;
    }
    // Gathers: their vector index elements are aimed case by case (`Gen::aim_vsib`).
    if (0..code.op_code().op_count()).any(|k| {
        use iced_x86::OpCodeOperandKind as K;
        matches!(code.op_code().op_kind(k), K::mem_vsib32x | K::mem_vsib32y | K::mem_vsib64x | K::mem_vsib64y)
    }) {
        return false;
    }
    matches!(
        i.flow_control(),
        FlowControl::Next
            | FlowControl::UnconditionalBranch
            | FlowControl::ConditionalBranch
            | FlowControl::Call
    )
}

impl SeqGen {
    pub fn new(codes: &[Code]) -> SeqGen {
        let pool: Vec<Code> = codes.iter().copied().filter(|&c| eligible(c)).collect();
        let consumers = pool
            .iter()
            .copied()
            .filter(|&c| {
                let mut i = Instruction::default();
                i.set_code(c);
                i.rflags_read() & 0x3f != 0
            })
            .collect();
        SeqGen { pool, consumers }
    }

    pub fn gen(&self, g: &mut Gen) -> Case {
        loop {
            if let Some(c) = self.try_gen(g) {
                return c;
            }
        }
    }

    fn try_gen(&self, g: &mut Gen) -> Option<Case> {
        let cand = [3u8, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        let a = g.rng.pick(&cand);
        let mut b = g.rng.pick(&cand);
        while b == a {
            b = g.rng.pick(&cand);
        }
        let va = DATA + 0x1000 + g.rng.below(0x800);
        let vb = g.rng.below(0x40);
        let env = Env { data_regs: !(1 << 4) & !(1 << a) & !(1 << b), addr: Some((a, va, b, vb)), seq: true };
        let n = 4 + g.rng.below(13) as usize;
        let mut list: Vec<Instruction> = vec![];
        let mut poison = 0u32;
        let mut targets: Vec<(u64, u64)> = vec![];
        let mut mxcsr_at: Vec<u64> = vec![];
        let mut fixed = Plan::default();
        fixed.gpr[a as usize] = Some(va);
        fixed.gpr[b as usize] = Some(vb);
        for slot in 0..n {
            for _ in 0..24 {
                let code = if !self.consumers.is_empty() && g.rng.chance(3) {
                    g.rng.pick(&self.consumers)
                } else {
                    g.rng.pick(&self.pool)
                };
                let Ok((mut ins, mem)) = g.build(code, &env, 0) else { continue };
                if ins.rflags_read() & poison != 0 {
                    continue;
                }
                if let Some(m) = &mem {
                    let size = match ins.memory_size() {
                        MemorySize::Unknown => 1,
                        s => s.size() as u64,
                    };
                    let t = g.target(size, true);
                    let mut p = fixed.clone();
                    if g.aim(&mut ins, m, t, &mut p).is_err() {
                        continue;
                    }
                    targets.push((t, size));
                    // emu's modelled MXCSR_MASK is 0xffff; this AMD host also accepts bit 17
                    // (MM). Loaded MXCSR values stay within the model (see gen.rs hints).
                    match ins.mnemonic() {
                        Mnemonic::Ldmxcsr | Mnemonic::Vldmxcsr => mxcsr_at.push(t),
                        Mnemonic::Fxrstor | Mnemonic::Fxrstor64 | Mnemonic::Xrstor | Mnemonic::Xrstor64 => {
                            mxcsr_at.push(t + 24)
                        }
                        _ => {}
                    }
                }
                let info = g.info(&ins);
                let stack = ins.is_stack_instruction();
                let bad_write = info.used_registers().iter().any(|u| {
                    writes(u.access())
                        && gpr_index(u.register())
                            .map(|r| r == a as usize || r == b as usize || (r == 4 && !stack))
                            .unwrap_or(false)
                });
                let ok_base = |r: Register| {
                    r == Register::None
                        || r == Register::RIP
                        || gpr_index(r) == Some(a as usize)
                        || (stack && r == Register::RSP)
                };
                let ok_index = |r: Register| r == Register::None || gpr_index(r) == Some(b as usize);
                let bad_mem = info.used_memory().iter().any(|u| !ok_base(u.base()) || !ok_index(u.index()));
                if bad_write || bad_mem {
                    continue;
                }
                if (0..ins.op_count()).any(|i| ins.op_kind(i) == OpKind::NearBranch64) {
                    let to = slot + 1 + g.rng.below((n - slot) as u64) as usize;
                    ins.set_near_branch64(LABEL + to as u64);
                }
                ins.set_ip(LABEL + slot as u64);
                poison |= undefined_flags(&ins);
                list.push(ins);
                break;
            }
            if list.len() != slot + 1 {
                return None;
            }
        }
        let mut end = Instruction::with(Code::Int3);
        end.set_ip(LABEL + n as u64);
        list.push(end);
        let block = InstructionBlock::new(&list, CODE);
        let r = BlockEncoder::encode(64, block, BlockEncoderOptions::DONT_FIX_BRANCHES).ok()?;
        let mut bytes = r.code_buffer;
        if bytes.last() != Some(&0xcc) || bytes.len() > 0x400 {
            return None;
        }
        bytes.pop();
        let mut p = fixed;
        p.gpr[4] = Some(STACK + g.rng.below(0x40) * 8);
        for r in 0..16 {
            if p.gpr[r].is_none() {
                let w = g.rng.pick(&[8u32, 16, 32, 64, 64]);
                let reg = g.gpr_of_width(w, r);
                g.put_edge_pub(&mut p, reg);
            }
        }
        for (t, size) in targets {
            if (1..=8).contains(&size) {
                let v = g.edge_pub(&mut p, size as u32 * 8);
                p.mem.push((t, v.to_le_bytes()[..size as usize].to_vec()));
            }
        }
        for t in mxcsr_at {
            p.mem.push((t, (g.rng.next() as u32 & 0xffff).to_le_bytes().to_vec()));
        }
        p.ov.push(Ov::Flags(0x202 | (g.rng.next() & RFLAGS_ARITH)));
        let seed = g.rng.next();
        Some(finish(bytes, seed, &p))
    }
}
