//! Instruction text for traces: bytes and disassembly (AT&T like `objdump -d`, or Intel),
//! cached per address and re-made when the bytes there change (self-modifying code).

use emu_cpu::Cpu;
use emu_loader::symbols::Symbolizer;
use hashbrown::HashMap;
use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter, Instruction, IntelFormatter};
use std::rc::Rc;

/// `--syntax`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Syntax {
    #[default]
    Att,
    Intel,
}

impl std::str::FromStr for Syntax {
    type Err = String;
    fn from_str(s: &str) -> Result<Syntax, String> {
        match s {
            "att" | "gas" => Ok(Syntax::Att),
            "intel" => Ok(Syntax::Intel),
            _ => Err(format!("unknown syntax '{s}' (expected att or intel)")),
        }
    }
}

/// One instruction as traces show it.
pub struct Text {
    pub bytes: [u8; 15],
    pub len: u8,
    /// Disassembly, with `<object!symbol>` after a direct branch target.
    pub asm: String,
    /// Where it is: `object!symbol+0xoff`.
    pub loc: String,
    /// Raw name of the symbol it is in (for `--trace-symbol`).
    pub sym: Option<Box<str>>,
    /// What follows the sequence number and address on a `--trace=insn` text line (made
    /// once per address: formatting it per instruction was most of the trace's cost).
    pub tail: String,
}

impl Text {
    pub fn hex(&self) -> String {
        self.bytes[..self.len as usize].iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
    }
}

pub struct Disasm {
    fmt: Box<dyn Formatter>,
    cache: HashMap<u64, Rc<Text>>,
}

impl Disasm {
    pub fn new(syntax: Syntax) -> Disasm {
        let mut fmt: Box<dyn Formatter> = match syntax {
            Syntax::Att => Box::new(GasFormatter::new()),
            Syntax::Intel => Box::new(IntelFormatter::new()),
        };
        // As objdump -d writes them: lower-case 0x hex, rip-relative operands as such.
        let o = fmt.options_mut();
        o.set_uppercase_hex(false);
        o.set_hex_prefix("0x");
        o.set_hex_suffix("");
        o.set_rip_relative_addresses(true);
        o.set_branch_leading_zeros(false);
        o.set_leading_zeros(false);
        Disasm { fmt, cache: HashMap::new() }
    }

    /// The instruction at `addr` (`len` bytes as the CPU decoded it).
    pub fn at(&mut self, cpu: &mut Cpu, syms: &Symbolizer, addr: u64, len: u8) -> Rc<Text> {
        let mut bytes = [0u8; 15];
        let len = len.clamp(1, 15);
        let _ = cpu.mem.peek(addr, &mut bytes[..len as usize]);
        if let Some(t) = self.cache.get(&addr) {
            if t.len == len && t.bytes == bytes {
                return t.clone();
            }
        }
        let mut ins = Instruction::default();
        Decoder::with_ip(64, &bytes[..len as usize], addr, DecoderOptions::NONE).decode_out(&mut ins);
        let mut asm = String::new();
        self.fmt.format(&ins, &mut asm);
        if ins.is_call_near() || ins.is_jmp_near() || ins.is_jcc_short_or_near() {
            asm.push_str(&format!(" <{}>", syms.describe(ins.near_branch_target())));
        }
        let l = syms.locate(addr);
        let loc = l.as_ref().map(|l| l.to_string()).unwrap_or_else(|| format!("{addr:#x}"));
        let sym = l.and_then(|l| l.symbol).map(|(s, _)| s.raw.clone());
        let mut t = Text { bytes, len, asm, loc, sym, tail: String::new() };
        t.tail = format!(" {:<48} {:<30} {}", t.loc, t.hex(), t.asm);
        let t = Rc::new(t);
        self.cache.insert(addr, t.clone());
        t
    }

    /// Forgets everything (new objects change how addresses are named).
    pub fn clear(&mut self) {
        self.cache.clear();
    }
}
