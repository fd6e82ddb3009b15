//! The command line's file system: reading model and data files, and writing outputs atomically.

use cnr_check::Files;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Data files, read relative to the folder of the model that names them.
pub struct DiskFiles {
    /// The model file's folder.
    pub base: PathBuf,
}

impl Files for DiskFiles {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let full = self.base.join(path);
        std::fs::read(&full).map_err(|e| describe_io(&e))
    }
}

/// A short, human description of an I/O error.
pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a folder, not a file".into(),
        _ => e.to_string(),
    }
}

/// Writes `path` atomically: the content goes to a temporary file in the same folder, which is then
/// renamed over `path`, so a reader never sees half a file and an interrupted write leaves the old
/// file (or none) in place.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut buf = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        write(&mut buf)?;
        buf.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
