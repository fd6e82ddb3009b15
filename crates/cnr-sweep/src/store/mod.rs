//! The results folder of a sweep:
//!
//! - `sweep.json` (`manifest.rs`): what the sweep is (model hash, the data files' sizes and hashes,
//!   grid, trials, seed, threshold, baseline, settings, method, backend, shard). A folder holds one
//!   sweep: resuming into it with anything else is refused, and says what differs.
//! - `results.csv`: one row per trial and method, appended and flushed as each trial finishes, in
//!   one write per trial, so a kill loses at most the trials in flight. Reopening drops a partial
//!   last line and skips the trials already there.
//! - `summary.csv` and the plots: written (atomically) when the sweep ends, or by `merge`
//!   (`merge.rs`: the shards of one sweep joined).
//!
//! The files are read and written through `cnr-fs`, the one crate that touches the disk.

use crate::grid::Grid;
use crate::plot;
use crate::results::{self, Row};
use cnr_driver::files::{self as fs, folder::Kind, Appender, Lock, LockError};
use std::path::{Path, PathBuf};

mod manifest;

pub use manifest::{DataFingerprint, Manifest};
pub use merge::{merge, MergeReport};

/// The files a sweep writes in its folder, besides the plots.
pub const MANIFEST: &str = "sweep.json";
/// The trials.
pub const RESULTS: &str = "results.csv";
/// The cells.
pub const SUMMARY: &str = "summary.csv";
/// Where each success curve crosses 10%, 50% and 90%, with its interval.
pub const CROSSINGS: &str = "crossings.csv";

/// Why a results folder cannot be opened, read, written or merged.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file of the folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// Another process holds the folder's lock.
    #[error("{} {IN_USE}{}; {advice}", dir.display(), if holder.is_empty() { String::new() } else { format!(" ({holder})") })]
    InUse {
        /// The folder.
        dir: PathBuf,
        /// The holder, as the lock file names it.
        holder: String,
        /// What to do.
        advice: &'static str,
    },
    /// What the folder holds does not fit: another sweep, damaged rows, parts that do not belong
    /// together. Said in words that name the file and what to do.
    #[error("{0}")]
    Contents(String),
    /// The figures could not be drawn.
    #[error(transparent)]
    Figures(#[from] plot::PlotError),
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io { path: path.to_path_buf(), source }
}

/// What differs, as a clause: `the grid differs`, `the seed and the grid differ`.
fn differ(what: &[String]) -> String {
    match what {
        [one] => format!("{one} differs"),
        [init @ .., last] => format!("{} and {last} differ", init.join(", ")),
        [] => "nothing differs".into(),
    }
}

/// A [`StoreError::Contents`] said with `format!`.
macro_rules! contents {
    ($($t:tt)*) => { StoreError::Contents(format!($($t)*)) };
}

// After the macro, which it uses.
mod merge;

/// An open results folder, ready to append trials. It holds the folder's lock (`.lock`) while it
/// lives, so that a second sweep on the same folder is refused instead of running every trial again.
pub struct Store {
    path: PathBuf,
    file: Appender,
    _lock: Lock,
    /// When the rows were last synced to the disk.
    synced: std::time::Instant,
}

/// How often appended rows are synced to the disk: a trial of the w-space method takes about a
/// millisecond, and a sync per trial would cost more than the trial.
const SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The lock file of a results folder.
pub const LOCK: &str = ".lock";

/// What a folder whose lock is held is said to be.
const IN_USE: &str = "is in use by another cnr sweep";

/// What to do about a folder in use, for a sweep or a merge.
const WAIT: &str = "wait for it to end, or choose another --out";

/// Takes the folder's lock, or says who holds it and what to do (`advice`). The lock is the
/// system's advisory lock on `DIR/.lock`, released when the process ends however it ends; the
/// file names the holder.
fn lock(dir: &Path, advice: &'static str) -> Result<Lock, StoreError> {
    let path = dir.join(LOCK);
    Lock::take(&path).map_err(|e| match e {
        LockError::Held { holder } => StoreError::InUse { dir: dir.to_path_buf(), holder, advice },
        LockError::Io { path, source } => StoreError::Io { path, source },
    })
}

/// Opens (or creates) the folder `dir` for `manifest`: with `force`, what a sweep wrote there is
/// removed first. Returns the store and the rows already there.
pub fn open(dir: &Path, manifest: &Manifest, force: bool) -> Result<(Store, Vec<Row>), StoreError> {
    fs::folder::create_dir_all(dir).map_err(|e| {
        contents!("cannot create the folder `{}`: {}", dir.display(), fs::describe_write(dir, &e))
    })?;
    let lock = lock(dir, WAIT)?;
    let manifest_path = dir.join(MANIFEST);
    let results_path = dir.join(RESULTS);
    if force {
        for name in
            [MANIFEST, RESULTS, SUMMARY, CROSSINGS].iter().map(|s| s.to_string()).chain(plot::file_names())
        {
            let path = dir.join(name);
            fs::folder::remove_if_exists(&path).map_err(|e| io_error(&path, e))?;
        }
    }
    match read_manifest(dir)? {
        Some(old) => {
            let mut differences = old.differences(manifest);
            if old.shard != manifest.shard {
                differences.push("the shard".into());
            }
            if !differences.is_empty() {
                return Err(contents!(
                    "{} holds another sweep ({}); run it with what made it, choose another --out, or add --force to start over",
                    dir.display(),
                    differ(&differences)
                ));
            }
        }
        None if fs::folder::kind(&results_path).map_err(|e| io_error(&results_path, e))? != Kind::Missing => {
            return Err(contents!(
                "{} has a {RESULTS} but no {MANIFEST}: it was not made by `cnr sweep`; choose another --out, or add --force",
                dir.display()
            ))
        }
        None => write_atomic(&manifest_path, &serde_json::to_vec_pretty(manifest).expect("a manifest serialises"))?,
    }
    let header = results::header(&manifest.grid);
    let (rows, legacy) = read_rows(&results_path, &manifest.grid)?;
    check_rows(&results_path, manifest, &rows)?;
    if legacy {
        // A folder of cnr 0.1: its rows are written again under this version's columns before
        // new rows are appended, so that the file keeps one header.
        let mut text = csv_line(&header);
        rows.iter().for_each(|r| text.extend(csv_line(&r.record())));
        write_atomic(&results_path, &text)?;
    }
    let mut file = Appender::open(&results_path).map_err(|e| io_error(&results_path, e))?;
    if rows.is_empty() && file.is_empty().map_err(|e| io_error(&results_path, e))? {
        file.append(&csv_line(&header)).map_err(|e| io_error(&results_path, e.source))?;
    }
    Ok((Store { path: results_path, file, _lock: lock, synced: std::time::Instant::now() }, rows))
}

/// Every row of a results file must belong to the sweep: a cell of the grid, a trial of the
/// cell's count (and of the folder's shard) with that trial's seed, the axes of its cell, one row
/// per trial and method, and `success` only with a finite recovery error below the threshold. A
/// row that does not is an error naming its line: resuming or merging would count it.
fn check_rows(path: &Path, manifest: &Manifest, rows: &[Row]) -> Result<(), StoreError> {
    let cells = manifest.grid.cells();
    let mut seen = std::collections::HashSet::new();
    for (k, row) in rows.iter().enumerate() {
        let line = k + 2;
        let wrong = |what: String| {
            Err(contents!(
                "{}:{line}: {what}; this row is not the sweep's (remove it, or add --force to start over)",
                path.display()
            ))
        };
        if row.cell >= cells {
            return wrong(format!("cell {} is not in the grid of {cells} cells", row.cell));
        }
        if row.trial >= manifest.trials {
            return wrong(format!(
                "trial {} is not one of the {} trials per cell",
                row.trial, manifest.trials
            ));
        }
        if !manifest.shard.owns(row.cell * manifest.trials + row.trial) {
            return wrong(format!(
                "trial {} of cell {} belongs to another shard than {}/{}",
                row.trial, row.cell, manifest.shard.index, manifest.shard.count
            ));
        }
        if row.seed != manifest.seed + row.trial as u64 {
            return wrong(format!(
                "seed {} is not trial {}'s, {}",
                row.seed,
                row.trial,
                manifest.seed + row.trial as u64
            ));
        }
        let axes = results::axis_values(&manifest.grid, row.cell);
        if row.axes != axes {
            return wrong(format!(
                "the axes `{}` are not cell {}'s `{}`",
                row.axes.join(","),
                row.cell,
                axes.join(",")
            ));
        }
        if row.success && !row.recovery_error.is_some_and(|e| e.is_finite() && e < manifest.threshold) {
            return wrong("a success without a recovery error below the threshold".into());
        }
        let method = results::summary_method(&row.method);
        if !manifest.methods().contains(&method) {
            return wrong(format!(
                "method `{}` is not run by this sweep (its methods: {})",
                row.method,
                manifest.methods().join(", ")
            ));
        }
        if !seen.insert((row.cell, row.trial, method)) {
            return wrong(format!(
                "a second row for trial {} of cell {} ({})",
                row.trial, row.cell, row.method
            ));
        }
    }
    Ok(())
}

impl Store {
    /// Appends one trial's rows in one write, and flushes them (and syncs them to the disk at most
    /// every [`SYNC_EVERY`], and when the store is dropped). A write that fails (a full disk)
    /// is undone: the file is cut back to its last whole row, so that nothing is appended behind a
    /// fragment when space returns.
    pub fn append(&mut self, rows: &[Row]) -> Result<(), StoreError> {
        let bytes: Vec<u8> = rows.iter().flat_map(|r| csv_line(&r.record())).collect();
        match self.file.append(&bytes) {
            Ok(()) if self.synced.elapsed() >= SYNC_EVERY => {
                self.synced = std::time::Instant::now();
                self.file.sync().map_err(|e| io_error(&self.path, e))
            }
            Ok(()) => Ok(()),
            Err(fs::folder::AppendError { source: e, undone }) => Err(contents!(
                "{}: {e}; {}",
                self.path.display(),
                if undone {
                    "the unfinished row was removed, and the sweep resumes from here"
                } else {
                    "the file may end in an unfinished row, which the next run removes"
                }
            )),
        }
    }
}

fn csv_line(fields: &[String]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    w.write_record(fields).expect("writing to memory");
    w.into_inner().expect("writing to memory")
}

/// The manifest of a folder, if it has one.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, StoreError> {
    let path = dir.join(MANIFEST);
    match fs::read_if_exists(&path).map_err(|e| io_error(&path, e))? {
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            contents!("{}: not a sweep manifest ({e}); remove the folder or add --force", path.display())
        }),
        None => Ok(None),
    }
}

/// The rows of a `results.csv` of `grid`, and whether it has the columns of cnr 0.1
/// ([`results::legacy_headers`]). A last line without its newline (a write cut short by a kill) is
/// dropped from the file; any other row that does not read is an error naming its line.
pub fn read_rows(path: &Path, grid: &Grid) -> Result<(Vec<Row>, bool), StoreError> {
    let header = results::header(grid);
    let Some(mut bytes) = fs::read_if_exists(path).map_err(|e| io_error(path, e))? else {
        return Ok((Vec::new(), false));
    };
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |k| k + 1);
        bytes.truncate(keep);
        fs::folder::truncate(path, keep as u64).map_err(|e| io_error(path, e))?;
    }
    if bytes.is_empty() {
        return Ok((Vec::new(), false));
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes.as_slice());
    let found: Vec<String> = reader
        .headers()
        .map_err(|e| contents!("{}: {e}", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let legacy = results::legacy_headers(grid).contains(&found);
    if found != header && !legacy {
        return Err(contents!(
            "{}: the columns are `{}`, not this sweep's `{}`",
            path.display(),
            found.join(","),
            header.join(",")
        ));
    }
    let mut rows = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let line = k + 2;
        let record = record.map_err(|e| contents!("{}:{line}: {e}", path.display()))?;
        rows.push(Row::parse(&found, &record).map_err(|e| contents!("{}:{line}: {e}", path.display()))?);
    }
    Ok((rows, legacy))
}

/// Writes `bytes` to `path` atomically, as the binary writes its outputs.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    fs::write_bytes_atomic(path, bytes).map_err(|e| io_error(path, e))
}

/// Moves the folder `dir` from `old` to `new`, a manifest whose grid has more values on its sample
/// axis ([`crate::refine`]): every row is renumbered to its cell in the new grid (its values are
/// the same) and `results.csv` written again, then `sweep.json`. Both writes are atomic; a stop
/// between them leaves rows the old manifest refuses by name (rerun with the refined grid's
/// command, or `--force`), never a row lost.
pub fn regrid(dir: &Path, old: &Manifest, new: &Manifest) -> Result<(), StoreError> {
    let _lock = lock(dir, WAIT)?;
    let path = dir.join(RESULTS);
    let (rows, _) = read_rows(&path, &old.grid)?;
    check_rows(&path, old, &rows)?;
    let mut text = csv_line(&results::header(&new.grid));
    for row in rows {
        let cell = crate::refine::cell_in(&old.grid, &new.grid, row.cell);
        text.extend(csv_line(&Row { cell, ..row }.record()));
    }
    write_atomic(&path, &text)?;
    write_atomic(&dir.join(MANIFEST), &serde_json::to_vec_pretty(new).expect("a manifest serialises"))
}

/// Writes `summary.csv`, `crossings.csv` and the plots of `rows`; returns the files written.
pub fn finish(dir: &Path, manifest: &Manifest, rows: &[Row]) -> Result<Vec<PathBuf>, StoreError> {
    let summaries = results::summarise(rows);
    let mut text: Vec<u8> = csv_line(&results::summary_header(&manifest.grid));
    for s in &summaries {
        text.extend(csv_line(&results::summary_record(s)));
    }
    let summary_path = dir.join(SUMMARY);
    write_atomic(&summary_path, &text)?;
    let mut written = vec![summary_path];
    written.extend(write_figures(dir, manifest, rows, &plot::Choice::default())?);
    Ok(written)
}

/// Draws the figures of `rows` as `choice` says and writes them into `dir`; returns their paths.
fn write_figures(
    dir: &Path,
    manifest: &Manifest,
    rows: &[Row],
    choice: &plot::Choice,
) -> Result<Vec<PathBuf>, StoreError> {
    let about = plot::About { model: &manifest.model, threshold: manifest.threshold };
    let mut written = Vec::new();
    // The crossings are the success figure's: written with it, for its axes.
    let success = choice.metric.is_none_or(|m| m == plot::Metric::Rate);
    let curves = if success { plot::crossings(&manifest.grid, rows, choice)? } else { Vec::new() };
    if !curves.is_empty() {
        let path = dir.join(CROSSINGS);
        write_atomic(&path, &crossings_csv(&curves))?;
        written.push(path);
    }
    for (name, bytes) in plot::render(&manifest.grid, rows, &about, choice)? {
        let path = dir.join(name);
        write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// `crossings.csv`: a row per curve and level — the curve (its grouping axes' values), its method,
/// the x axis, the level, the crossing and its interval's ends (a number, `<=X` at or below the
/// grid's first point, `>X` beyond its last), its points and the fewest and most trials at one.
fn crossings_csv(curves: &[plot::CurveCrossings]) -> Vec<u8> {
    let header =
        ["curve", "method", "x", "level", "crossing", "low", "high", "points", "trials_min", "trials_max"];
    let mut text = csv_line(&header.map(String::from));
    for c in curves {
        for k in &c.crossings {
            text.extend(csv_line(&[
                c.curve.clone(),
                c.method.clone(),
                c.x.clone(),
                format!("{}", k.level),
                k.estimate.text(),
                k.low.text(),
                k.high.text(),
                c.points.to_string(),
                c.trials.0.to_string(),
                c.trials.1.to_string(),
            ]));
        }
    }
    text
}

/// Why the figures of a folder cannot be redrawn.
#[derive(Debug, thiserror::Error)]
pub enum ReplotError {
    /// The choice of axes or figure does not fit the sweep (a usage error).
    #[error("{0}")]
    Choice(String),
    /// The folder: missing, not a sweep's, in use, without trials, damaged, not writable.
    #[error(transparent)]
    Folder(StoreError),
}

/// Redraws the figures of the sweep in `dir` from its `results.csv`, as `choice` says, and writes
/// them there (atomically, under the folder's lock, so never while a sweep runs into it), with
/// `crossings.csv` when the success figure is drawn (its crossings, for its axes); returns the
/// files written. Nothing is run, and the rows and the summary are left as they are.
pub fn replot(dir: &Path, choice: &plot::Choice) -> Result<Vec<PathBuf>, ReplotError> {
    let folder = ReplotError::Folder;
    let hint = "name the folder a sweep wrote (`cnr sweep MODEL --out DIR`)";
    match fs::folder::kind(dir) {
        Ok(Kind::Folder) => {}
        Ok(Kind::File) => {
            return Err(folder(contents!("`{}` is a file, not a results folder; {hint}", dir.display())))
        }
        Ok(Kind::Missing) => {
            return Err(folder(contents!("the folder `{}` does not exist; {hint}", dir.display())))
        }
        Err(e) => return Err(folder(io_error(dir, e))),
    }
    let manifest = read_manifest(dir).map_err(folder)?.ok_or_else(|| {
        folder(contents!("`{}` has no {MANIFEST}: it is not a sweep's results folder; {hint}", dir.display()))
    })?;
    // A sweep that runs into the folder holds its lock and draws the figures itself when it ends.
    // A folder this process cannot write to cannot be locked, and its figures cannot be written
    // either: writing them says so, naming the file.
    let _lock =
        match lock(dir, "wait for it to end (it draws its figures then), and run `cnr sweep plot` after") {
            Ok(file) => Some(file),
            Err(e @ StoreError::InUse { .. }) => return Err(folder(e)),
            Err(_) => None,
        };
    let path = dir.join(RESULTS);
    let (rows, _) = read_rows(&path, &manifest.grid).map_err(folder)?;
    check_rows(&path, &manifest, &rows).map_err(folder)?;
    if rows.is_empty() {
        return Err(folder(contents!(
            "{} has no trials yet: run the sweep first (`cnr sweep {} --out {}`)",
            path.display(),
            manifest.model,
            dir.display()
        )));
    }
    plot::check(&manifest.grid, &rows, choice).map_err(|e| ReplotError::Choice(e.to_string()))?;
    write_figures(dir, &manifest, &rows, choice).map_err(folder)
}
