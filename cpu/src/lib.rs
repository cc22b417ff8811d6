//! The guest x86-64 CPU: register state, the guest address space, the block cache and
//! the interpreter that runs pre-decoded blocks.
//!
//! The crate knows nothing of Linux. [`Cpu::run`] executes guest code until something
//! needs the outside world and says why in an [`Exit`]; the kernel shim decides what that
//! means (a syscall, a signal, a thread switch).

pub mod cpuid;
mod decode;
mod exec;
pub mod flags;
mod fpstate;
pub mod hooks;
mod liveness;
pub mod mem;
mod ops;
mod page_source;
pub mod state;
pub mod x87;

pub use exec::{request_stop, Exit, RunStats};
pub use fpstate::BadXstate;
pub use mem::{AddressSpace, Fault, FaultKind, MemError, Perm, Vma};
/// Every iced-x86 `Code` that has a handler builder (used by the conformance tester).
pub use ops::implemented_codes;
pub use state::{Context, Counted, Cpu, Outside, Reg};
