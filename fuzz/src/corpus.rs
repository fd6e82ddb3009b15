//! The seed corpus: the repository's example models and fixtures, and its CBF fixtures.

use std::path::Path;

/// The files of `dir` (one level deep, and its sub-folders once) whose names end in `ext`.
fn files(dir: &Path, ext: &str, out: &mut Vec<Vec<u8>>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() && depth > 0 {
            files(&p, ext, out, depth - 1);
        } else if p.extension().is_some_and(|x| x == ext) {
            if let Ok(bytes) = std::fs::read(&p) {
                out.push(bytes);
            }
        }
    }
}

/// The models of `examples/` and `tests/fixtures/` under the repository's root `root`.
pub fn models(root: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    files(&root.join("examples"), "cnr", &mut out, 1);
    files(&root.join("tests/fixtures"), "cnr", &mut out, 2);
    out
}

/// The CBF fixtures of the CBF crate.
pub fn cbf(root: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    files(&root.join("crates/cnr-cbf/tests/fixtures"), "cbf", &mut out, 1);
    out
}
