//! The Linux ABI for the guest: process state, the syscall table and its handlers (one
//! file per subsystem under `sys/`), files, memory syscalls, signals and time.
//!
//! `Guest::run` (`run.rs`) drives the CPU: it runs guest code until the CPU stops, then
//! decides what the stop means in Linux terms (a syscall to serve, a fault that becomes a
//! signal).

pub mod abi;
mod exec;
mod fd;
pub mod gate;
pub mod host;
mod mapped;
mod maps;
pub mod path;
mod process;
pub mod replay;
mod run;
pub mod signal;
mod sys;
mod thread;
pub mod trace;

pub use process::Outcome;
pub(crate) use process::Process;
pub use run::{Config, Guest, SpawnError};
