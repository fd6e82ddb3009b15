//! The command line's file system: reading model and data files, and writing outputs atomically.

pub use cnr_driver::files::{describe_io, read_regular, DiskFiles};
use std::path::Path;

/// Whether two paths name the same file, whatever route reaches it (links, `..`, another name
/// of the folder): the same device and inode where the system has them, else the same real path.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(x), Ok(y)) => {
            use std::os::unix::fs::MetadataExt;
            (x.dev(), x.ino()) == (y.dev(), y.ino())
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => {
            matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
        }
        _ => false,
    }
}

/// Why `path` could not be written or created, and what to do: a missing folder is named, and a
/// file where a folder should be is said to be one (rather than the system's "os error 17").
pub fn describe_write(path: &Path, e: &std::io::Error) -> String {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("the folder `{}` does not exist; create it first (mkdir -p)", folder.display())
        }
        std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::NotADirectory => {
            format!(
                "`{}` or a folder on its way is a file, not a folder; choose another place",
                path.display()
            )
        }
        _ => describe_io(e),
    }
}

pub use cnr_sweep::files::write_atomic;
