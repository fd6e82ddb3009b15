//! Merging the folders of a sweep's shards (or reruns) into one.

use super::{
    check_rows, differ, finish, lock, open, read_manifest, read_rows, Manifest, StoreError, MANIFEST,
    RESULTS, WAIT,
};
use crate::grid::Shard;
use crate::results::{self, Row};
use std::path::{Path, PathBuf};

/// What a merge found besides the rows.
#[derive(Debug, Default)]
pub struct MergeReport {
    /// How many shards the sweep was split into.
    pub shards: usize,
    /// Shards that none of the parts holds.
    pub missing_shards: Vec<usize>,
    /// Trials of the grid that no part has finished.
    pub missing_trials: usize,
}

/// Merges the parts `dirs` (shards of one sweep, or whole runs of it) into `out`: one
/// `results.csv` in grid order, its summary and plots. Parts of different sweeps, or two parts
/// with the same trial, are refused.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    force: bool,
) -> Result<(Manifest, Vec<Row>, MergeReport), StoreError> {
    let mut parts: Vec<(PathBuf, Manifest)> = Vec::new();
    // Each part's lock is held while it is read, so that a part still being written (a shard whose
    // job runs) is refused instead of merged half done. A part in a folder this process cannot
    // write to cannot be written by a sweep either, and is read without it.
    let mut _locks = Vec::new();
    for dir in dirs {
        let manifest = read_manifest(dir)?
            .ok_or_else(|| contents!("{} has no {MANIFEST}: it is not a sweep folder", dir.display()))?;
        if let Some((first, m)) = parts.first() {
            let differences = m.differences(&manifest);
            if !differences.is_empty() {
                return Err(contents!(
                    "{} and {} are parts of different sweeps ({})",
                    first.display(),
                    dir.display(),
                    differ(&differences)
                ));
            }
            if m.shard.count != manifest.shard.count {
                return Err(contents!(
                    "{} is shard {}/{} and {} is shard {}/{}: parts of one sweep split it alike",
                    first.display(),
                    m.shard.index,
                    m.shard.count,
                    dir.display(),
                    manifest.shard.index,
                    manifest.shard.count
                ));
            }
        }
        if let Some((other, _)) = parts.iter().find(|(_, m)| m.shard == manifest.shard) {
            return Err(contents!(
                "{} and {} are the same shard {}/{}",
                other.display(),
                dir.display(),
                manifest.shard.index,
                manifest.shard.count
            ));
        }
        match lock(dir, WAIT) {
            Ok(file) => _locks.push(file),
            Err(e @ StoreError::InUse { .. }) => return Err(e),
            Err(_) => {}
        }
        parts.push((dir.clone(), manifest));
    }
    let (_, first) = parts
        .first()
        .ok_or_else(|| StoreError::Contents("name at least one folder to merge".into()))?
        .clone();
    let mut rows: Vec<Row> = Vec::new();
    for (dir, manifest) in &parts {
        let path = dir.join(RESULTS);
        let (part, _) = read_rows(&path, &first.grid)?;
        check_rows(&path, manifest, &part)?;
        rows.extend(part);
    }
    rows.sort_by_key(|r| (r.cell, r.trial, results::method_order(&r.method)));
    if let Some(w) = rows.windows(2).find(|w| {
        let key = |r: &Row| (r.cell, r.trial, results::summary_method(&r.method));
        key(&w[0]) == key(&w[1])
    }) {
        return Err(contents!("cell {} trial {} ({}) is in two parts", w[0].cell, w[0].trial, w[0].method));
    }
    let mut report = MergeReport {
        shards: first.shard.count,
        missing_shards: (0..first.shard.count)
            .filter(|i| !parts.iter().any(|(_, m)| m.shard.index == *i))
            .collect(),
        ..MergeReport::default()
    };
    let methods = first.methods().len();
    report.missing_trials =
        (first.grid.cells() * first.trials * methods).saturating_sub(rows.len()) / methods;
    let merged = Manifest { shard: Shard::WHOLE, ..first };
    let (mut store, existing) = open(out, &merged, force)?;
    if !existing.is_empty() {
        return Err(contents!(
            "{} holds results already: merge into a new folder, or add --force",
            out.display()
        ));
    }
    for r in &rows {
        store.append(std::slice::from_ref(r))?;
    }
    finish(out, &merged, &rows)?;
    Ok((merged, rows, report))
}
