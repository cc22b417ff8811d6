//! Why a program could not be loaded, with messages a user can act on.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum LoadError {
    /// The file does not exist.
    NotFound(PathBuf),
    /// The path names a directory.
    IsDirectory(PathBuf),
    /// The file has no execute permission.
    NotExecutable(PathBuf),
    /// Reading the file failed.
    Io(PathBuf, std::io::Error),
    /// Not an ELF file at all (and not a script).
    NotElf(PathBuf),
    /// A valid ELF file of a kind emu does not run (32-bit, big-endian, other machine...).
    Unsupported(PathBuf, String),
    /// An ELF file whose headers are inconsistent or truncated.
    Corrupt(PathBuf, String),
    /// The PT_INTERP interpreter could not be found; the path that was tried.
    InterpreterNotFound { program: PathBuf, tried: PathBuf },
    /// The interpreter itself is unusable.
    BadInterpreter { program: PathBuf, cause: Box<LoadError> },
    /// The segments do not fit in the guest address space.
    NoMemory(PathBuf, String),
}

impl LoadError {
    /// The exit status a shell would give for this failure: 127 when something is missing,
    /// 126 when it exists but cannot be run.
    pub fn exit_status(&self) -> i32 {
        match self {
            LoadError::NotFound(_) | LoadError::InterpreterNotFound { .. } => 127,
            _ => 126,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            LoadError::NotFound(p) => write!(f, "{}: no such file or directory", p.display()),
            LoadError::IsDirectory(p) => write!(f, "{}: is a directory", p.display()),
            LoadError::NotExecutable(p) => write!(f, "{}: permission denied (not executable)", p.display()),
            LoadError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            LoadError::NotElf(p) => write!(f, "{}: not an ELF executable (exec format error)", p.display()),
            LoadError::Unsupported(p, why) => write!(f, "{}: unsupported ELF file: {why}", p.display()),
            LoadError::Corrupt(p, why) => write!(f, "{}: corrupt ELF file: {why}", p.display()),
            LoadError::InterpreterNotFound { program, tried } => write!(
                f,
                "{}: ELF interpreter {} not found (no such file or directory)",
                program.display(),
                tried.display()
            ),
            LoadError::BadInterpreter { program, cause } => {
                write!(f, "{}: bad ELF interpreter: {cause}", program.display())
            }
            LoadError::NoMemory(p, why) => write!(f, "{}: cannot map segments: {why}", p.display()),
        }
    }
}

impl std::error::Error for LoadError {}
