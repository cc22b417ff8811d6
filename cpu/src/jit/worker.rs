//! The compile thread: regions translated off the main thread.
//!
//! Cranelift takes a few milliseconds per unit; on the thread that runs the guest that
//! would stall it every time some code turns hot (python's start-up alone turns hundreds of
//! regions hot). So the main thread only takes a snapshot of the region (`region::form`)
//! and hands it over, and the guest goes on in the interpreter meanwhile. The finished code
//! is put into code memory by the main thread, between blocks, after it has checked that
//! every block of the region is still valid: the main thread is the only one that writes
//! or runs code memory, so W^X and the instruction cache work as before.
//!
//! Nothing the guest can observe depends on when a unit arrives: both tiers give the same
//! results, instruction counts and stop points.
//!
//! The thread blocks every signal (host signals are for the main thread) and holds nothing
//! of the guest's. After a fork only the forking thread exists in the child: it forgets the
//! old channels (the lost thread may have held their locks) and starts a new thread when
//! it next needs one (`JitState::after_fork`).

use super::region::Region;
use super::translate::{CodeGen, Compiled, TxError};
use std::sync::mpsc::{self, Receiver, Sender};

/// A region to translate.
struct Job {
    id: u64,
    region: Region,
}

/// A finished translation.
pub(crate) struct Done {
    pub id: u64,
    pub result: Result<Compiled, TxError>,
}

/// The main thread's end of the compile thread.
pub(crate) struct Worker {
    jobs: Sender<Job>,
    done: Receiver<Done>,
}

impl Worker {
    /// Starts a compile thread that translates with `gen`.
    pub fn spawn(mut gen: CodeGen) -> Option<Worker> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (done_tx, done) = mpsc::channel::<Done>();
        let run = move || {
            while let Ok(j) = job_rx.recv() {
                let result = gen.translate(&j.region);
                if done_tx.send(Done { id: j.id, result }).is_err() {
                    break;
                }
            }
        };
        without_signals(|| std::thread::Builder::new().name("emu-jit".into()).spawn(run)).ok()?;
        Some(Worker { jobs, done })
    }

    /// Hands `region` over; false if the thread is gone.
    pub fn submit(&self, id: u64, region: Region) -> bool {
        self.jobs.send(Job { id, region }).is_ok()
    }

    /// A translation that has finished, if any.
    pub fn finished(&self) -> Option<Done> {
        self.done.try_recv().ok()
    }
}

/// Runs `f` (which starts a thread) with every signal blocked, so that the new thread
/// starts with all of them blocked; the caller's mask is then restored.
fn without_signals<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain signal-mask calls on the calling thread with valid, initialised sets.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let r = f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        r
    }
}
