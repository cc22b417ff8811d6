//! ELF loading, as the kernel's `execve` does it: validate the file, map its PT_LOAD
//! segments (and those of its PT_INTERP interpreter) into the guest address space, and
//! build the initial stack with argc, argv, envp and the auxiliary vector.
//!
//! The loader never loads shared libraries: that is the guest's own ld.so's job.

mod elf_file;
mod error;
mod image;
pub mod layout;
mod stack;
pub mod symbols;
pub mod vdso;

pub use elf_file::{ElfFile, Segment};
pub use error::LoadError;
pub use image::{load, LoadRequest, Loaded, MappedImage};
pub use image::{ET_DYN_BASE, STACK_SIZE, STACK_TOP};
pub use stack::{auxv, AuxEntry, StackInfo};
