//! Status-flag liveness within a block: which instructions set flags that nothing reads.
//!
//! Most flag results are dead: `add` is followed by `xor`, `ror` by `add`, and only the
//! last flag-setter before a Jcc matters. A backward pass over a decoded block finds the
//! instructions whose every flag result is overwritten before anything can observe it, and
//! gives them a handler that computes only the value (`ops::flags_dead`).
//!
//! Observers are more than flag readers. Whatever can stop the block part-way — a memory
//! access that may fault, a division, a syscall, anything that leaves the block — exposes
//! the whole RFLAGS value (to a signal handler's context, a crash report, a replay
//! checkpoint), so such an instruction counts as reading every flag; so does the block's
//! end. Only an instruction that certainly writes a flag kills it: shifts by CL (a count
//! of 0 writes nothing) and flags the SDM leaves undefined do not. The result: at every
//! point where anybody can look, RFLAGS is exactly what the CPU would hold.

use iced_x86::{Instruction, Mnemonic as M, OpKind};

/// OF SF ZF AF CF PF, as iced-x86's `RflagsBits` numbers them.
pub(crate) const ALL: u32 = 0x3f;
const CF: u32 = 0x10;
const OF: u32 = 0x01;

/// What one instruction does to the six status flags, as far as liveness cares.
pub(crate) struct Effect {
    /// Flags read before the instruction runs (ALL for a possible stopping point).
    pub reads: u32,
    /// The same but for the reads of a fault (whose signal would see the flags): those
    /// the JIT carries to a fault's exit instead. ALL where the flag use is not known.
    pub reads_unless_fault: u32,
    /// Flags it always overwrites.
    pub kills: u32,
    /// Flags it may write: if none of them is live afterwards, the flag work is dead.
    pub writes: u32,
}

/// Instructions that, in register form, cannot fault, trap or leave the block.
fn register_safe(m: M) -> bool {
    use M::*;
    matches!(
        m,
        Mov | Movzx
            | Movsx
            | Movsxd
            | Lea
            | Nop
            | Add
            | Or
            | Adc
            | Sbb
            | And
            | Sub
            | Xor
            | Cmp
            | Test
            | Inc
            | Dec
            | Neg
            | Not
            | Shl
            | Sal
            | Shr
            | Sar
            | Rol
            | Ror
            | Rcl
            | Rcr
            | Shld
            | Shrd
            | Imul
            | Mul
            | Bswap
            | Xchg
            | Bt
            | Bts
            | Btr
            | Btc
            | Bsf
            | Bsr
            | Tzcnt
            | Lzcnt
            | Popcnt
            | Andn
            | Rorx
            | Sarx
            | Shlx
            | Shrx
            | Cbw
            | Cwde
            | Cdqe
            | Cwd
            | Cdq
            | Cqo
            | Cmovo
            | Cmovno
            | Cmovb
            | Cmovae
            | Cmove
            | Cmovne
            | Cmovbe
            | Cmova
            | Cmovs
            | Cmovns
            | Cmovp
            | Cmovnp
            | Cmovl
            | Cmovge
            | Cmovle
            | Cmovg
            | Seto
            | Setno
            | Setb
            | Setae
            | Sete
            | Setne
            | Setbe
            | Seta
            | Sets
            | Setns
            | Setp
            | Setnp
            | Setl
            | Setge
            | Setle
            | Setg
    )
}

/// SSE data movement, logic and integer arithmetic: in register form (XMM and general
/// registers only; MMX forms fault on a pending x87 exception) none of them can fault.
/// Floating-point arithmetic and conversions are left out: with an unmasked MXCSR
/// exception they trap.
fn sse_register_safe(i: &Instruction) -> bool {
    use M::*;
    let listed = matches!(
        i.mnemonic(),
        Movaps
            | Movapd
            | Movups
            | Movupd
            | Movdqa
            | Movdqu
            | Movq
            | Movd
            | Movlhps
            | Movhlps
            | Movmskps
            | Movmskpd
            | Pmovmskb
            | Pxor
            | Por
            | Pand
            | Pandn
            | Xorps
            | Xorpd
            | Andps
            | Andpd
            | Andnps
            | Andnpd
            | Orps
            | Orpd
            | Paddb
            | Paddw
            | Paddd
            | Paddq
            | Psubb
            | Psubw
            | Psubd
            | Psubq
            | Pcmpeqb
            | Pcmpeqw
            | Pcmpeqd
            | Pcmpgtb
            | Pcmpgtw
            | Pcmpgtd
            | Pshufd
            | Shufps
            | Shufpd
            | Unpcklps
            | Unpckhps
            | Unpcklpd
            | Unpckhpd
            | Punpcklbw
            | Punpcklwd
            | Punpckldq
            | Punpcklqdq
            | Punpckhbw
            | Punpckhwd
            | Punpckhdq
            | Punpckhqdq
    );
    listed
        && (0..i.op_count()).all(|n| {
            i.op_kind(n) != OpKind::Register || {
                let r = i.op_register(n);
                r.is_xmm() || r.is_gpr()
            }
        })
}

/// True if the instruction reads or writes memory (LEA and the long NOP only compute an
/// address) or names a segment register.
fn touches_memory(i: &Instruction) -> bool {
    let mem = (0..i.op_count()).any(|n| i.op_kind(n) == OpKind::Memory);
    let seg =
        (0..i.op_count()).any(|n| i.op_kind(n) == OpKind::Register && i.op_register(n).is_segment_register());
    (mem && !matches!(i.mnemonic(), M::Lea | M::Nop)) || seg
}

/// The shift/rotate count when it is an immediate.
fn imm_count(i: &Instruction) -> Option<u64> {
    (i.op_count() == 2 && i.op1_kind() != OpKind::Register).then(|| i.immediate(1))
}

/// Flags `i`'s handler writes whenever it completes. Only the families whose handlers are
/// known to write these bits unconditionally are listed; everything else kills nothing.
fn kills(i: &Instruction) -> u32 {
    let w = if i.op0_kind() == OpKind::Register { i.op0_register().size() as u64 * 8 } else { 0 };
    let count_mask = if w == 64 { 63 } else { 31 };
    match i.mnemonic() {
        M::Add | M::Or | M::Adc | M::Sbb | M::And | M::Sub | M::Xor | M::Cmp | M::Test | M::Neg => ALL,
        M::Inc | M::Dec => ALL & !CF,
        M::Shl | M::Sal | M::Shr | M::Sar => match imm_count(i) {
            Some(c) if c & count_mask != 0 => ALL,
            _ => 0,
        },
        // IMUL and MUL set CF and OF and, on the reference host, leave the rest alone.
        M::Imul | M::Mul => CF | OF,
        M::Rol | M::Ror => match imm_count(i) {
            Some(c) if c & count_mask != 0 => CF | OF,
            _ => 0,
        },
        _ => 0,
    }
}

/// The flag effect of one decoded instruction.
pub(crate) fn effect(i: &Instruction) -> Effect {
    let kills = kills(i);
    let writes = (i.rflags_modified() & ALL) | kills;
    let safe = register_safe(i.mnemonic()) || sse_register_safe(i);
    let own = if safe && !i.has_lock_prefix() { i.rflags_read() & ALL } else { ALL };
    if !safe || touches_memory(i) || i.has_lock_prefix() {
        return Effect { reads: ALL, reads_unless_fault: own, kills: 0, writes };
    }
    Effect { reads: own, reads_unless_fault: own, kills, writes }
}

/// The flags live on entry to a block (`dead_flag_setters`).
pub(crate) struct LiveIn {
    /// Read before they are overwritten, or all when the block may stop first.
    pub any: u32,
    /// Read by an instruction before they are overwritten, leaving out a fault's reads
    /// (`Effect::reads_unless_fault`).
    pub read: u32,
}

/// Runs the backward pass over a block's instructions (`None` for an op that is not a
/// decoded instruction, such as the #UD placeholder) and calls `dead(k)` for each
/// instruction whose flag results nobody can observe. Returns the flags live on entry:
/// the JIT, which joins blocks, needs them.
pub(crate) fn dead_flag_setters(instrs: &[Option<Instruction>], mut dead: impl FnMut(usize)) -> LiveIn {
    // Whatever follows the block may read anything.
    let (mut live, mut read) = (ALL, ALL);
    for (k, i) in instrs.iter().enumerate().rev() {
        let Some(i) = i else {
            (live, read) = (ALL, ALL);
            continue;
        };
        let e = effect(i);
        if e.writes != 0 && e.writes & live == 0 {
            dead(k);
        }
        live = (live & !e.kills) | e.reads;
        read = (read & !e.kills) | e.reads_unless_fault;
    }
    LiveIn { any: live, read }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iced_x86::{Decoder, DecoderOptions};

    fn dead_in(bytes: &[u8]) -> Vec<usize> {
        let mut d = Decoder::with_ip(64, bytes, 0x1000, DecoderOptions::NONE);
        let instrs: Vec<Option<Instruction>> = d.iter().map(Some).collect();
        let mut v = Vec::new();
        dead_flag_setters(&instrs, |k| v.push(k));
        v.sort();
        v
    }

    #[test]
    fn overwritten_flags_are_dead() {
        // add rax,rbx; xor rcx,rdx; ror rsi,7; sub rdi,rax; jne
        let b = [0x48, 0x01, 0xd8, 0x48, 0x31, 0xd1, 0x48, 0xc1, 0xce, 0x07, 0x48, 0x29, 0xc7, 0x75, 0x00];
        assert_eq!(dead_in(&b), vec![0, 1, 2]);
    }

    #[test]
    fn a_possible_fault_or_the_block_end_keeps_flags() {
        // add rax,rbx; mov rcx,[rdx]; xor rcx,rdx
        let b = [0x48, 0x01, 0xd8, 0x48, 0x8b, 0x0a, 0x48, 0x31, 0xd1];
        assert_eq!(dead_in(&b), Vec::<usize>::new());
    }

    #[test]
    fn partial_writers_and_conditional_writers_do_not_kill() {
        // add rax,rbx; ror rsi,7 (CF OF only); sete al; xor rcx,rdx
        let b = [0x48, 0x01, 0xd8, 0x48, 0xc1, 0xce, 0x07, 0x0f, 0x94, 0xc0, 0x48, 0x31, 0xd1];
        assert_eq!(dead_in(&b), vec![1]);
        // add rax,rbx; shl rsi,cl (count may be 0); sete al; xor rcx,rdx
        let b = [0x48, 0x01, 0xd8, 0x48, 0xd3, 0xe6, 0x0f, 0x94, 0xc0, 0x48, 0x31, 0xd1];
        assert_eq!(dead_in(&b), Vec::<usize>::new());
        // add rax,rbx; shl rsi,1 (writes all six); sete al; xor rcx,rdx
        let b = [0x48, 0x01, 0xd8, 0x48, 0xd1, 0xe6, 0x0f, 0x94, 0xc0, 0x48, 0x31, 0xd1];
        assert_eq!(dead_in(&b), vec![0]);
        // add rax,rbx; shl rsi,0 (writes nothing); sete al; xor rcx,rdx
        let b = [0x48, 0x01, 0xd8, 0x48, 0xc1, 0xe6, 0x00, 0x0f, 0x94, 0xc0, 0x48, 0x31, 0xd1];
        assert_eq!(dead_in(&b), Vec::<usize>::new());
    }

    #[test]
    fn carry_readers_keep_the_carry_setter() {
        // add rax,rbx; adc rcx,rdx; xor
        let b = [0x48, 0x01, 0xd8, 0x48, 0x11, 0xd1, 0x48, 0x31, 0xd1];
        assert_eq!(dead_in(&b), vec![1]);
        // add rax,rbx; inc rcx (keeps CF, its own flags dead); adc
        let b = [0x48, 0x01, 0xd8, 0x48, 0xff, 0xc1, 0x48, 0x11, 0xd1];
        assert_eq!(dead_in(&b), vec![1]);
    }

    #[test]
    fn sse_register_moves_are_not_barriers_but_mmx_and_fp_arithmetic_are() {
        // imul rdx,rcx; movapd xmm0,xmm2; sar rdx,1; xor rcx,rdx
        let b = [0x48, 0x0f, 0xaf, 0xd1, 0x66, 0x0f, 0x28, 0xc2, 0x48, 0xd1, 0xfa, 0x48, 0x31, 0xd1];
        assert_eq!(dead_in(&b), vec![0, 2]);
        // imul rdx,rcx; pxor mm0,mm1 (faults on a pending x87 exception); sar rdx,1; xor
        let b = [0x48, 0x0f, 0xaf, 0xd1, 0x0f, 0xef, 0xc1, 0x48, 0xd1, 0xfa, 0x48, 0x31, 0xd1];
        assert_eq!(dead_in(&b), vec![2]);
        // imul rdx,rcx; divsd xmm0,xmm1 (traps when unmasked); sar rdx,1; xor
        let b = [0x48, 0x0f, 0xaf, 0xd1, 0xf2, 0x0f, 0x5e, 0xc1, 0x48, 0xd1, 0xfa, 0x48, 0x31, 0xd1];
        assert_eq!(dead_in(&b), vec![2]);
    }
}
