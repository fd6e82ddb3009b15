//! Reading models and data: regular files only, and the one implementation of [`Files`] on disk,
//! shared by the command line and the Python package.

use cnr_check::Files;
use std::path::{Path, PathBuf};

/// Data files, read relative to the folder of the model that names them; every file read is
/// remembered, so that no output is written over one.
pub struct DiskFiles {
    /// The model file's folder.
    pub base: PathBuf,
    /// The files read so far.
    pub read: std::sync::Mutex<Vec<PathBuf>>,
}

impl DiskFiles {
    /// Data files beside the model at `model`.
    pub fn beside(model: &Path) -> DiskFiles {
        let base = model.parent().map_or(PathBuf::from("."), Path::to_path_buf);
        DiskFiles { base, read: std::sync::Mutex::new(Vec::new()) }
    }
}

impl Files for DiskFiles {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let full = self.base.join(path);
        if let Ok(mut read) = self.read.lock() {
            read.push(full.clone());
        }
        read_regular(&full).map_err(|e| describe_io(&e))
    }
}

/// Reads a regular file. A device, a FIFO or a folder is refused before anything is read: `/dev/zero`
/// would never end and a FIFO could block forever.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::IsADirectory, "a folder"));
    }
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a device, a FIFO or a socket); cnr reads models and data from files",
        ));
    }
    // Read into a buffer of the file's size, advised for huge pages when it is large.
    let mut bytes =
        cnr_check::memory::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    std::io::Read::read_to_end(&mut std::fs::File::open(path)?, &mut bytes)?;
    Ok(bytes)
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

/// The bytes of `path`, or `None` when there is no such file.
pub fn read_if_exists(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
