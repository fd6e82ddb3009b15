//! The command line's file system: reading model and data files, and writing outputs atomically.

use cnr_driver::Files;
use std::io::Write;
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
    std::fs::read(path)
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

/// Writes `path` atomically: the content goes to a temporary file in the same folder (named
/// `.cnr-partial-…`, so an interrupted write is recognisable), which is then renamed over `path`,
/// so a reader never sees half a file and an interrupted write leaves the old file (or none) in
/// place. A file that is replaced keeps its permissions, and a symbolic link is written through to
/// its target. A target that is not a regular file (`/dev/null`, a FIFO, `/dev/stdout`) is written
/// to directly: replacing it would destroy it.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    // Through a symbolic link, to the file it names.
    let target = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(_) => path.to_path_buf(),
    };
    let existing = std::fs::metadata(&target).ok();
    if let Some(meta) = existing.as_ref().filter(|m| !m.is_file()) {
        if meta.is_dir() {
            return Err(std::io::Error::new(std::io::ErrorKind::IsADirectory, "a folder"));
        }
        let mut file = std::fs::OpenOptions::new().write(true).open(&target)?;
        let mut buf = std::io::BufWriter::new(&mut file);
        write(&mut buf)?;
        return buf.flush();
    }
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cnr-partial-");
    // A new file is created as a plain `open` would create it: mode 0666 less the umask (tempfile's
    // own default is 0600).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir)?;
    if let Some(meta) = &existing {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    {
        let mut buf = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        write(&mut buf)?;
        buf.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}
