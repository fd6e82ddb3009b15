//! What paths are: the same file by any route, and why one cannot be written.

use crate::describe_io;
use std::path::{Path, PathBuf};

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

/// Why `path` could not be written or created, and what to do: a missing folder is named, and so
/// is a file that stands where a folder should be (rather than the system's "os error 17").
pub fn describe_write(path: &Path, e: &std::io::Error) -> String {
    // A link to nothing: the system says "exists" (the link does) while the path is not there.
    if let (Ok(meta), Err(_)) = (std::fs::symlink_metadata(path), std::fs::metadata(path)) {
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(path).map_or_else(|_| "?".into(), |t| t.display().to_string());
            return format!(
                "`{}` is a link to `{target}`, which does not exist; remove the link or create what it names",
                path.display()
            );
        }
    }
    // Creating a folder where a file is fails with "already exists": the path itself is in the way.
    let itself = e.kind() == std::io::ErrorKind::AlreadyExists && path.exists() && !path.is_dir();
    if let Some(file) = if itself { Some(path.to_path_buf()) } else { file_in_the_way(path) } {
        return format!("`{}` is a file, not a folder; choose another place", file.display());
    }
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match e.kind() {
        std::io::ErrorKind::NotFound if !folder.exists() => {
            format!("the folder `{}` does not exist; create it first (mkdir -p)", folder.display())
        }
        _ => describe_io(e),
    }
}

/// The file that stands where a folder on the way to `path` should be: `f` for `f/x.npy` or
/// `f/g/x.npy` when `f` is a file. `None` when every part of the way that exists is a folder.
pub fn file_in_the_way(path: &Path) -> Option<PathBuf> {
    // The nearest existing folder of the way decides: beyond it nothing exists yet.
    let existing = path.ancestors().skip(1).find(|p| p.as_os_str().is_empty() || p.exists())?;
    (!existing.as_os_str().is_empty() && !existing.is_dir()).then(|| existing.to_path_buf())
}

/// The file that stands where the folder `dir`, or a folder on the way to it, should be.
pub fn file_instead_of_folder(dir: &Path) -> Option<PathBuf> {
    if dir.exists() && !dir.is_dir() {
        return Some(dir.to_path_buf());
    }
    file_in_the_way(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_dangling_link_is_named_with_what_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("out");
        std::os::unix::fs::symlink(dir.path().join("gone"), &link).unwrap();
        let e = std::fs::create_dir_all(&link).unwrap_err();
        let said = describe_write(&link, &e);
        assert!(
            said.contains("is a link to") && said.contains("gone") && said.contains("does not exist"),
            "{said}"
        );
        assert!(!said.contains("os error"), "{said}");
    }
}
