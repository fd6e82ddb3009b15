//! The file system of cnr: the only crate that opens, reads, writes, locks or removes a file
//! (`tests/it/architecture.rs` checks that no other crate's code names `std::fs`).
//!
//! - [`read`]: regular files only ([`read_regular`]), models' data files beside the model
//!   ([`DiskFiles`], the checker's [`cnr_check::Files`] on disk), and I/O errors in a few words
//!   ([`describe_io`]);
//! - [`write`]: the one way a file is written, [`write_atomic`];
//! - [`folder`]: what a results folder needs besides: its lock ([`Lock`]), a file appended to
//!   ([`Appender`]), cutting a file back, removing and listing;
//! - [`paths`]: what two paths are, and why a path cannot be written;
//! - [`machine`]: the machine's memory, from `/proc/meminfo`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod folder;
pub mod machine;
pub mod paths;
pub mod read;
pub mod write;

pub use folder::{Appender, Lock, LockError};
pub use paths::{describe_write, file_in_the_way, file_instead_of_folder, same_file};
pub use read::{describe_io, read_if_exists, read_regular, DiskFiles};
pub use write::{write_atomic, write_bytes_atomic};
