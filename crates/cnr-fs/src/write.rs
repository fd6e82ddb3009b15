//! The one way cnr writes a file: atomically, keeping what the file was (its mode, a link to it,
//! a device). The binary writes its outputs with it, and a sweep its folder.

use std::io::Write;
use std::path::Path;

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

/// [`write_atomic`] of bytes in hand.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic(path, |w| w.write_all(bytes))
}
