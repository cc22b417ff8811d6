//! `--gdb PORT`: a gdb remote stub (the gdbstub crate speaks the protocol) in front of the
//! run loop. emu waits for `target remote :PORT` before the guest's first instruction, then
//! runs the guest only when gdb resumes it.
//!
//! The CPU's hooked loop honours the stub's breakpoints, single steps and watchpoints
//! (`emu_cpu::hooks::Stops`); the run loop (`Guest::turn::<true>`) hands back those stops
//! and every signal before it is delivered, and gdb decides whether it is. Attaching never
//! changes what the guest does: the same instructions run in the same order, gdb only
//! chooses where to look (`tests/gdb.rs` checks icounts and output).
//!
//! Files: `regs` (target description and registers), `target` (the gdbstub target: memory,
//! run control), `breakpoints`, `threads`, `libraries` (auxv and the exec file, from which
//! gdb finds ld.so's `r_debug` itself), `vfile` (gdb reads the guest's files in the guest's
//! view of the file system), `interrupt` (Ctrl-C while the guest runs), `link` (the
//! connection; execve stops), and for replays `reverse` (going backwards) on `checkpoint`
//! (forked copies of emu parked at points of the run).

mod breakpoints;
mod checkpoint;
mod interrupt;
mod libraries;
mod link;
mod regs;
mod reverse;
mod target;
mod threads;
mod vfile;

use crate::run::{Guest, Turn};
use crate::Outcome;
use gdbstub::stub::{DisconnectReason, GdbStub};
use std::net::{TcpListener, TcpStream};
use target::Emu;

/// The largest packet gdb may send or receive (memory and file reads come in pieces of
/// about half of it).
const PACKET: usize = 0x4000;

/// Waits for gdb on `127.0.0.1:port`, then runs the guest under its control. Returns how
/// the guest ended; a guest gdb detaches from runs on to its end. A replay can also run
/// backwards (`reverse`): this process then waits while forked ones run the session.
pub fn serve(guest: &mut Guest, port: u16) -> Result<Outcome, std::io::Error> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    log::info!("gdb: waiting for `target remote :{port}`");
    let (conn, _) = listener.accept()?;
    drop(listener);
    conn.set_nodelay(true)?;
    if guest.replaying() {
        return reverse::supervise(move |r| {
            session(guest, conn, Some(r)).unwrap_or_else(|e| {
                log::error!("gdb: {e}");
                crate::host::exit_now(2)
            })
        });
    }
    session(guest, conn, None)
}

fn session(
    guest: &mut Guest,
    conn: TcpStream,
    reverse: Option<reverse::Reverse>,
) -> Result<Outcome, std::io::Error> {
    guest.start();
    let mut emu = Emu::new(guest, &conn, reverse)?;
    emu.attach();
    let link = link::Link::new(conn);
    emu.exec = link.exec.clone();
    let stub: GdbStub<Emu, link::Link> =
        GdbStub::builder(link).packet_buffer_size(PACKET).build().map_err(std::io::Error::other)?;
    let r = stub.run_blocking::<target::Loop<'_>>(&mut emu);
    // On a replay, the process that runs the session now (a worker after going back)
    // reports the end to the first one, which ends emu. (A child the guest forked has no
    // `reverse`: it ends as any emu process does.)
    let reverse = emu.reverse.take();
    let ended = |o: Outcome| {
        if let Some(r) = &reverse {
            r.report_end(&o);
            crate::host::exit_now(0);
        }
        Ok(o)
    };
    if let Some(o) = emu.ended.take() {
        return ended(o);
    }
    match r {
        Ok(DisconnectReason::Kill) => return ended(emu.kill()),
        Ok(_) => {}
        // A forked child is not debugged (gdb follows the parent): it runs on alone.
        Err(e) if e.is_target_error() => {}
        Err(e) => log::warn!("gdb: connection lost ({e}); the guest runs on"),
    }
    emu.detach();
    drop(emu);
    ended(run_on(guest))
}

/// The rest of the run without a debugger.
fn run_on(guest: &mut Guest) -> Outcome {
    loop {
        if let Turn::Ended(o) = guest.turn::<false>() {
            return o;
        }
    }
}
