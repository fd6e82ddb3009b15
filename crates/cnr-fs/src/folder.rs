//! What a results folder needs besides atomic writes: a lock held while a process works in it,
//! a file appended to row by row, and cutting back, removing and checking its files.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A folder's advisory lock: the system's lock on a file in it, released when the process ends
/// however it ends; the file names the holder (`process PID`).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it; what its file says of the holder (maybe empty).
    #[error("held by another process{}", if holder.is_empty() { String::new() } else { format!(" ({holder})") })]
    Held {
        /// The holder, as its lock file names it.
        holder: String,
    },
    /// The lock file could not be opened, locked or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

impl Lock {
    /// Takes the lock on `path` (created if need be) without waiting.
    pub fn take(path: &Path) -> Result<Lock, LockError> {
        let io = |source| LockError::Io { path: path.to_path_buf(), source };
        let mut file =
            OpenOptions::new().create(true).truncate(false).read(true).write(true).open(path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(path).unwrap_or_default().trim().to_string();
                return Err(LockError::Held { holder });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        writeln!(file, "process {}", std::process::id()).map_err(io)?;
        Ok(Lock { _file: file })
    }
}

/// A file that grows by whole records: each [`Appender::append`] is one write, and one that fails
/// is cut back off, so the file never ends in a fragment that later appends would follow.
#[derive(Debug)]
pub struct Appender {
    file: File,
}

/// Why an append failed, and whether the file was cut back to where it was.
#[derive(Debug)]
pub struct AppendError {
    /// What failed.
    pub source: std::io::Error,
    /// Whether the file was cut back to its length before the write.
    pub undone: bool,
}

impl Appender {
    /// Opens `path` for appending, creating it if need be.
    pub fn open(path: &Path) -> std::io::Result<Appender> {
        Ok(Appender { file: OpenOptions::new().create(true).append(true).open(path)? })
    }

    /// The file's length in bytes.
    pub fn len(&self) -> std::io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> std::io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Appends `bytes` in one write and flushes them; a failed write is cut back off.
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), AppendError> {
        let before = self.len().map_err(|source| AppendError { source, undone: true })?;
        self.file.write_all(bytes).and_then(|()| self.file.flush()).map_err(|source| {
            let undone = self.file.set_len(before).is_ok();
            AppendError { source, undone }
        })
    }

    /// Syncs the appended data to the disk.
    pub fn sync(&self) -> std::io::Result<()> {
        self.file.sync_data()
    }
}

impl Drop for Appender {
    fn drop(&mut self) {
        // The last records reach the disk before the run ends; a failure here has nowhere to go.
        let _ = self.file.sync_data();
    }
}

/// Cuts the file at `path` to its first `len` bytes.
pub fn truncate(path: &Path, len: u64) -> std::io::Result<()> {
    OpenOptions::new().write(true).open(path)?.set_len(len)
}

/// Creates the folder `dir` and the folders on the way to it.
pub fn create_dir_all(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Removes the file at `path` if there is one.
pub fn remove_if_exists(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// What stands at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Nothing.
    Missing,
    /// A folder.
    Folder,
    /// Anything else: a file, a device, a FIFO.
    File,
}

/// What stands at `path` (through links).
pub fn kind(path: &Path) -> std::io::Result<Kind> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(Kind::Folder),
        Ok(_) => Ok(Kind::File),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Kind::Missing),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_names_its_holder_and_is_released_with_its_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".lock");
        let lock = Lock::take(&path).unwrap();
        match Lock::take(&path) {
            Err(LockError::Held { holder }) => assert_eq!(holder, format!("process {}", std::process::id())),
            other => panic!("a second lock was taken: {other:?}"),
        }
        drop(lock);
        assert!(Lock::take(&path).is_ok());
    }

    #[test]
    fn appends_grow_the_file_and_truncate_cuts_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        let mut file = Appender::open(&path).unwrap();
        assert!(file.is_empty().unwrap());
        file.append(b"a,b\n").unwrap();
        file.append(b"1,2\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n1,2\n");
        truncate(&path, 4).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n");
        assert_eq!(kind(&path).unwrap(), Kind::File);
        assert_eq!(kind(dir.path()).unwrap(), Kind::Folder);
        remove_if_exists(&path).unwrap();
        remove_if_exists(&path).unwrap();
        assert_eq!(kind(&path).unwrap(), Kind::Missing);
    }
}
