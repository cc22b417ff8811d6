//! Ctrl-C while the guest runs: gdb sends one byte (0x03). A helper thread waits for the
//! connection to become readable and asks the CPU to stop (`emu_cpu::request_stop`, the
//! same path an asynchronous signal takes), so the run loop looks at the connection without
//! polling it between instructions. A stop request the guest did not need changes nothing
//! it sees: the CPU just runs on.
//!
//! The helper is stopped while emu forks a checkpoint (`reverse.rs`): a fork copies only
//! the forking thread, and qemu-user (which runs the aarch64 build in CI) cannot fork a
//! process with a second thread at all.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use crate::abi::io::POLLIN;

pub(crate) struct Watcher {
    conn: std::net::TcpStream,
    /// The helper is waiting for the connection.
    armed: Arc<AtomicBool>,
    /// The connection became readable since the last `fired`.
    fired: Arc<AtomicBool>,
    helper: Option<Helper>,
}

struct Helper {
    arm: Sender<()>,
    /// Writing to it ends the helper's wait.
    quit: i32,
    thread: std::thread::JoinHandle<()>,
}

impl Watcher {
    pub fn new(conn: &std::net::TcpStream) -> std::io::Result<Watcher> {
        let mut w = Watcher {
            conn: conn.try_clone()?,
            armed: Arc::new(AtomicBool::new(false)),
            fired: Arc::new(AtomicBool::new(false)),
            helper: None,
        };
        w.start()?;
        Ok(w)
    }

    /// Starts the helper (again).
    pub fn start(&mut self) -> std::io::Result<()> {
        let (quit_r, quit) =
            crate::host::pipe().map_err(|e| std::io::Error::other(format!("pipe: errno {e}")))?;
        let conn = self.conn.as_raw_fd();
        let (arm, armed_rx) = channel::<()>();
        let (a, f) = (self.armed.clone(), self.fired.clone());
        a.store(false, Ordering::SeqCst);
        let thread = std::thread::Builder::new().name("gdb-interrupt".into()).spawn(move || {
            crate::host::block_all_signals();
            for () in armed_rx {
                // An error (gdb went away) counts as readable: the run loop then finds out.
                let r = crate::host::poll(&[(conn, POLLIN), (quit_r, POLLIN)], -1);
                if r.is_ok_and(|ready| ready.get(1).is_some_and(|&ev| ev != 0)) {
                    break;
                }
                a.store(false, Ordering::SeqCst);
                f.store(true, Ordering::SeqCst);
                emu_cpu::request_stop();
            }
            crate::host::close(quit_r);
        })?;
        self.helper = Some(Helper { arm, quit, thread });
        Ok(())
    }

    /// Ends the helper: this process then has one thread.
    pub fn stop(&mut self) {
        if let Some(h) = self.helper.take() {
            let _ = crate::host::write(h.quit, &[0]);
            drop(h.arm);
            let _ = h.thread.join();
            crate::host::close(h.quit);
        }
    }

    /// The guest is about to run: watch the connection (once per wait, not per turn).
    pub fn arm(&self) {
        if let Some(h) = &self.helper {
            if !self.armed.swap(true, Ordering::SeqCst) {
                let _ = h.arm.send(());
            }
        }
    }

    /// Whether gdb may have sent something since the last call.
    pub fn fired(&self) -> bool {
        self.fired.swap(false, Ordering::SeqCst)
    }
}
