//! What the command line shows and returns: standard output that survives a closed pipe, errors
//! on standard error, one conversion from the driver's errors to text and an exit code, and the
//! exit code of a solve's status.

use crate::io;
use cnr_driver::{plain_error, Error, Status};
use std::path::Path;

/// A failure already explained to the user on standard error; carries the exit code (0 for a
/// standard output that was closed by its reader, which ends the command quietly).
pub struct Failed(pub u8);

/// Writes to standard output. A closed pipe (`cnr check … | head -1`) ends the command quietly with
/// status 0, as grep and ripgrep do; any other failure, such as a full disk, is an error.
pub fn out(text: &str) -> Result<(), Failed> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failed(0)),
        Err(e) => Err(failed(&format!("cannot write to standard output: {}", io::describe_io(&e)))),
    }
}

/// Writes to standard error; a failure there has nowhere left to be reported, and is ignored.
pub fn err(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Shows a user error (exit 1) in one line.
pub fn failed(message: &str) -> Failed {
    err(&plain_error(message, None));
    Failed(1)
}

/// Shows a usage error (exit 2) in one line.
pub fn usage(message: &str) -> Failed {
    err(&plain_error(message, None));
    Failed(2)
}

/// Shows an error of the driver and gives its exit code: 2 for a malformed request, else 1.
pub fn fail(error: Error) -> Failed {
    match error {
        Error::Model(errors) => {
            err(&errors.render());
            Failed(1)
        }
        Error::Usage(message) => usage(&message),
        Error::Input { message, hint } => {
            err(&plain_error(&message, hint.as_deref()));
            Failed(1)
        }
        other => failed(&other.to_string()),
    }
}

/// The exit code of a solve's status (documented in `--help`).
pub fn exit_for(status: Status) -> Result<(), Failed> {
    use Status::*;
    match status {
        Optimal => Ok(()),
        Infeasible => Err(Failed(3)),
        Unbounded => Err(Failed(4)),
        IterationLimit | TimeLimit => Err(Failed(5)),
        Inaccurate | NumericalError => Err(Failed(6)),
    }
}

/// Prints a record as JSON.
pub fn print_json(record: &impl serde::Serialize) -> Result<(), Failed> {
    out(&format!("{}\n", serde_json::to_string_pretty(record).expect("records serialise")))
}

/// Writes `bytes` to `path` atomically; a failure names the file.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failed> {
    io::write_atomic(path, |w| w.write_all(bytes))
        .map_err(|e| failed(&format!("cannot write `{}`: {}", path.display(), io::describe_write(path, &e))))
}

/// Reads a model's text; a file that cannot be read or is not UTF-8 is an error.
pub fn read_text(path: &Path) -> Result<String, Failed> {
    let (bytes, name) = read_bytes(path)?;
    cnr_driver::decode_text(&name, bytes).map_err(fail)
}

/// Reads a file's bytes, with the name errors about it show; a file that cannot be read is an
/// error naming it.
pub fn read_bytes(path: &Path) -> Result<(Vec<u8>, String), Failed> {
    let name = path.display().to_string();
    let bytes = io::read_regular(path)
        .map_err(|e| failed(&format!("cannot read `{name}`: {}", io::describe_io(&e))))?;
    Ok((bytes, name))
}
