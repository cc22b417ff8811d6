//! `--profile FILE`: guest instructions counted per call stack, the stacks made from the
//! guest's own calls and returns (a shadow stack: a call pushes the callee, any branch that
//! leaves the stack pointer above a frame's return address pops it, a jump out of the
//! current function replaces it, as a tail call or a PLT stub does). Deterministic: counts
//! are instructions, not time. Written as folded stacks (`main;foo;bar 1234`), or as an SVG
//! flame graph (inferno) when FILE ends in `.svg`.
//!
//! Each thread has its own shadow stack (threads are switched by emu's scheduler, which
//! tells [`Profile::switch`]); a new thread's stacks start at the function it was created
//! in (`clone3` for glibc). A signal handler runs on top of the frames it interrupted,
//! under a `[SIGNAME]` frame, and sigreturn puts back the stack as it was.

use emu_cpu::{Cpu, Reg};
use emu_loader::symbols::Symbolizer;
use hashbrown::HashMap;
use std::path::Path;

#[derive(Clone)]
struct Frame {
    node: u32,
    /// The function's extent, to tell a jump within it from one out of it.
    lo: u64,
    hi: u64,
    /// Stack pointer just after the call pushed the return address.
    sp: u64,
}

#[derive(Default)]
pub(crate) struct Profile {
    /// (parent node, frame name) per node.
    nodes: Vec<(u32, u32)>,
    children: HashMap<(u32, u32), u32>,
    names: Vec<String>,
    name_ids: HashMap<String, u32>,
    counts: Vec<u64>,
    /// The running thread's shadow stack.
    stack: Vec<Frame>,
    /// The running thread's stacks interrupted by signal handlers, innermost last.
    saved: Vec<Vec<Frame>>,
    /// The running thread, and the other threads' (stack, saved).
    tid: i32,
    others: HashMap<i32, (Vec<Frame>, Vec<Vec<Frame>>)>,
}

const ROOT: u32 = u32::MAX;

impl Profile {
    /// Counts the instruction at `addr` in the current stack.
    #[inline]
    pub fn count(&mut self, syms: &Symbolizer, addr: u64) {
        if self.stack.is_empty() {
            let (name, lo, hi) = Self::function(syms, addr);
            let node = self.node(ROOT, name);
            self.stack.push(Frame { node, lo, hi, sp: u64::MAX });
        }
        let f = self.stack.last().expect("root frame");
        self.counts[f.node as usize] += 1;
    }

    fn node(&mut self, parent: u32, name: String) -> u32 {
        let id = match self.name_ids.get(&name) {
            Some(&i) => i,
            None => {
                let i = self.names.len() as u32;
                self.names.push(name.clone());
                self.name_ids.insert(name, i);
                i
            }
        };
        *self.children.entry((parent, id)).or_insert_with(|| {
            self.nodes.push((parent, id));
            self.counts.push(0);
            (self.nodes.len() - 1) as u32
        })
    }

    /// The function containing `a`: its name and extent.
    fn function(syms: &Symbolizer, a: u64) -> (String, u64, u64) {
        match syms.locate(a) {
            Some(l) => match l.symbol {
                Some((s, off)) => {
                    let lo = a - off;
                    (s.demangled.to_string(), lo, lo + s.size.max(1))
                }
                None => (format!("{}+{:#x}", l.object.name, a - l.object.bias), a, a + 1),
            },
            None => (format!("{a:#x}"), a, a + 1),
        }
    }

    pub fn branch(&mut self, syms: &Symbolizer, cpu: &mut Cpu, addr: u64, len: u8, to: u64) {
        let sp = cpu.reg(Reg::Rsp);
        if self.stack.is_empty() {
            self.count(syms, addr);
            self.counts[self.stack[0].node as usize] -= 1;
        }
        // Returns and unwinding: frames whose return address is below the stack pointer.
        while self.stack.len() > 1 && self.stack.last().is_some_and(|f| f.sp < sp) {
            self.stack.pop();
        }
        let mut ret = [0u8; 8];
        let is_call = cpu.mem.peek(sp, &mut ret).is_ok() && u64::from_le_bytes(ret) == addr + len as u64;
        let top = self.stack.last().expect("root frame");
        if is_call {
            let (name, lo, hi) = Self::function(syms, to);
            let node = self.node(top.node, name);
            self.stack.push(Frame { node, lo, hi, sp });
        } else if !(top.lo <= to && to < top.hi) && top.sp != u64::MAX && top.sp >= sp {
            // A jump out of the function (tail call, PLT stub): the callee replaces it.
            let parent = self.nodes[top.node as usize].0;
            let (name, lo, hi) = Self::function(syms, to);
            let node = self.node(parent, name);
            let f = self.stack.last_mut().expect("frame");
            *f = Frame { node, lo, hi, sp: f.sp };
        }
    }

    /// A new image (execve): its stacks start from a new root.
    pub fn new_image(&mut self, tid: i32) {
        self.stack.clear();
        self.saved.clear();
        self.others.clear();
        self.tid = tid;
    }

    /// Thread `tid` runs from now on: its own stacks become current.
    pub fn switch(&mut self, tid: i32) {
        if tid == self.tid {
            return;
        }
        let (stack, saved) = self.others.remove(&tid).unwrap_or_default();
        let old = (std::mem::replace(&mut self.stack, stack), std::mem::replace(&mut self.saved, saved));
        self.others.insert(self.tid, old);
        self.tid = tid;
    }

    /// A handler for `signame` starts at `handler` with the stack pointer at `sp` (on the
    /// return address into the signal trampoline): it runs under a `[signame]` frame on
    /// top of the interrupted frames. Both go when the handler returns.
    pub fn signal(&mut self, syms: &Symbolizer, signame: &str, handler: u64, sp: u64) {
        self.saved.push(self.stack.clone());
        let parent = self.stack.last().map_or(ROOT, |f| f.node);
        let mark = self.node(parent, format!("[{signame}]"));
        self.stack.push(Frame { node: mark, lo: 0, hi: 0, sp });
        let (name, lo, hi) = Self::function(syms, handler);
        let node = self.node(mark, name);
        self.stack.push(Frame { node, lo, hi, sp });
    }

    /// rt_sigreturn: the stack the latest handler interrupted is current again.
    pub fn sigreturn(&mut self) {
        if let Some(s) = self.saved.pop() {
            self.stack = s;
        }
    }

    /// Folded stacks, one line per stack, sorted.
    pub fn folded(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let mut names = Vec::new();
            let mut n = i as u32;
            while n != ROOT {
                let (p, name) = self.nodes[n as usize];
                names.push(self.names[name as usize].replace(';', ":"));
                n = p;
            }
            names.reverse();
            out.push(format!("{} {c}", names.join(";")));
        }
        out.sort();
        out
    }

    pub fn write(&self, _syms: &Symbolizer, file: &Path) -> std::io::Result<()> {
        let lines = self.folded();
        if file.extension().is_some_and(|e| e == "svg") {
            let f = std::io::BufWriter::new(std::fs::File::create(file)?);
            let mut opts = inferno::flamegraph::Options::default();
            opts.title = "emu guest profile (instructions)".into();
            opts.count_name = "instructions".into();
            inferno::flamegraph::from_lines(&mut opts, lines.iter().map(|s| s.as_str()), f)
                .map_err(std::io::Error::other)
        } else {
            let mut text = lines.join("\n");
            text.push('\n');
            std::fs::write(file, text)
        }
    }
}
