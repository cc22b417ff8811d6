//! Guest threads as gdb names them (its thread ids are the guest's tids) and their
//! registers: the thread on the CPU has them there, the others in their saved context.

use super::regs::Regs;
use crate::Process;
use gdbstub::common::Tid;

pub(crate) fn gdb_tid(tid: i32) -> Tid {
    Tid::new(tid.max(1) as usize).expect("non-zero")
}

/// Runs `f` with thread `tid`'s registers on the CPU (then puts back the running thread's).
/// Swapping contexts copies registers only: nothing the guest sees changes.
fn with_thread<R>(p: &mut Process, tid: Tid, f: impl FnOnce(&mut emu_cpu::Cpu) -> R) -> Option<R> {
    let i = p.threads.iter().position(|t| t.tid as usize == tid.get())?;
    if i == p.cur || p.threads[i].ctx.is_none() {
        return Some(f(&mut p.cpu));
    }
    let running = p.cpu.save_context();
    let ctx = p.threads[i].ctx.take().expect("saved context");
    p.cpu.restore_context(&ctx);
    let r = f(&mut p.cpu);
    p.threads[i].ctx = Some(p.cpu.save_context());
    p.cpu.restore_context(&running);
    Some(r)
}

pub(crate) fn registers(p: &mut Process, tid: Tid) -> Option<Regs> {
    with_thread(p, tid, |cpu| Regs::of(cpu))
}

pub(crate) fn set_registers(p: &mut Process, tid: Tid, regs: &Regs) -> Option<()> {
    with_thread(p, tid, |cpu| regs.apply(cpu))
}
