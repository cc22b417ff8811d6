//! Ctrl-C while the guest runs: gdb sends one byte (0x03). A helper thread waits for the
//! connection to become readable and asks the CPU to stop (`emu_cpu::request_stop`, the
//! same path an asynchronous signal takes), so the run loop looks at the connection without
//! polling it between instructions. A stop request the guest did not need changes nothing
//! it sees: the CPU just runs on.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use crate::abi::io::POLLIN;

pub(crate) struct Watcher {
    /// The helper is waiting for the connection.
    armed: Arc<AtomicBool>,
    /// The connection became readable since the last `fired`.
    fired: Arc<AtomicBool>,
    arm: Sender<()>,
}

impl Watcher {
    pub fn new(conn: &std::net::TcpStream) -> std::io::Result<Watcher> {
        let conn = conn.try_clone()?;
        let armed = Arc::new(AtomicBool::new(false));
        let fired = Arc::new(AtomicBool::new(false));
        let (arm, armed_rx) = channel::<()>();
        let (a, f) = (armed.clone(), fired.clone());
        std::thread::Builder::new().name("gdb-interrupt".into()).spawn(move || {
            crate::host::block_all_signals();
            for () in armed_rx {
                // An error (gdb went away) counts as readable: the run loop then finds out.
                let _ = crate::host::poll(&[(conn.as_raw_fd(), POLLIN)], -1);
                a.store(false, Ordering::SeqCst);
                f.store(true, Ordering::SeqCst);
                emu_cpu::request_stop();
            }
        })?;
        Ok(Watcher { armed, fired, arm })
    }

    /// The guest is about to run: watch the connection (once per wait, not per turn).
    pub fn arm(&self) {
        if !self.armed.swap(true, Ordering::SeqCst) {
            let _ = self.arm.send(());
        }
    }

    /// Whether gdb may have sent something since the last call.
    pub fn fired(&self) -> bool {
        self.fired.swap(false, Ordering::SeqCst)
    }
}
