//! A sweep run into its results folder: the folder opened (and locked), the trials it holds
//! already skipped, each finished trial appended as it ends, the summary and plots written at the
//! end. The command line and the Python package both run sweeps through here.

use crate::results::Row;
use crate::store::{self, DataFingerprint, Manifest};
use crate::{Experiment, Prepared, SweepError, Unit};
use cnr_driver::Files;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a sweep into a folder did.
pub struct Finished {
    /// Every row of the folder: those found there and those run now.
    pub rows: Vec<Row>,
    /// Trials of the shard in all.
    pub trials: usize,
    /// Trials whose rows were there already.
    pub resumed: usize,
    /// The files written at the end (summary, plots).
    pub written: Vec<PathBuf>,
}

impl Experiment {
    /// The manifest of a folder that holds `shard` of this experiment on the model at `model` (as
    /// the user named it), whose trial 0 has the seed `seed`.
    pub fn manifest(&self, model: &str, prepared: &crate::Prepared, shard: crate::grid::Shard) -> Manifest {
        let seed = prepared.seed;
        let data_files = prepared.data_files.iter().map(DataFingerprint::of).collect();
        Manifest {
            cnr_version: env!("CARGO_PKG_VERSION").into(),
            model: model.into(),
            model_hash: cnr_driver::model_hash(&self.text),
            grid: self.grid.clone(),
            trials: self.trials,
            seed,
            threshold: self.threshold,
            baseline: self.baseline,
            refine_gd: self.refine_gd,
            settings: self.settings.iter().map(cnr_driver::Setting::flag).collect(),
            method: self.method.as_str().into(),
            backend: self.backend.map(|b| b.name().to_string()),
            shard,
            data_files,
        }
    }
}

/// What a sweep into a folder tells its caller as it goes.
pub enum Progress<'a> {
    /// Before the first trial: how many are to run, and how many the folder held.
    Started {
        /// Trials to run now.
        todo: usize,
        /// Trials found done.
        resumed: usize,
    },
    /// A trial finished: whether the relaxation recovered the planted filter, and its rows.
    Trial {
        /// Recovered.
        recovered: bool,
        /// The trial's rows (the relaxation's, and the baseline's when it runs).
        rows: &'a [Row],
    },
}

/// Runs the trials of `manifest.shard` that `dir` does not hold yet on `jobs` threads, appending
/// each as it finishes, and tells `progress` as it goes (an error it returns stops the sweep, as a
/// cancelled one is stopped). The first error stops the sweep; rows written stay.
#[allow(clippy::too_many_arguments)]
pub fn run(
    experiment: &Experiment,
    prepared: &Prepared,
    files: &(dyn Files + Sync),
    manifest: &Manifest,
    dir: &Path,
    force: bool,
    jobs: usize,
    progress: &mut dyn FnMut(Progress) -> Result<(), SweepError>,
) -> Result<Finished, SweepError> {
    let (mut store, existing) = store::open(dir, manifest, force)?;
    let units = experiment.units(manifest.shard);
    // The methods each trial has rows for already.
    let mut finished: HashMap<Unit, Vec<String>> = HashMap::new();
    for r in &existing {
        finished.entry(Unit { cell: r.cell, trial: r.trial }).or_default().push(r.method.clone());
    }
    let methods_of = |u: Unit| -> Vec<String> { finished.get(&u).cloned().unwrap_or_default() };
    let todo: Vec<Unit> =
        units.iter().copied().filter(|&u| methods_of(u).len() < experiment.methods()).collect();
    let resumed = units.len() - todo.len();
    progress(Progress::Started { todo: todo.len(), resumed })?;
    let mut rows = existing;
    let outcome = experiment.run(files, prepared, &todo, &methods_of, jobs, &mut |_, new| {
        store.append(&new)?;
        let recovered =
            new.iter().any(|r| r.success && crate::results::summary_method(&r.method) == "relaxation");
        progress(Progress::Trial { recovered, rows: &new })?;
        rows.extend(new);
        Ok(())
    });
    drop(store);
    outcome?;
    let written = store::finish(dir, manifest, &rows)?;
    Ok(Finished { rows, trials: units.len(), resumed, written })
}

/// A round of refinement that did not run, and why.
#[derive(Clone, Debug, PartialEq)]
pub enum RefineEnd {
    /// No neighbours' rates differ by more than the step.
    Resolved,
    /// The next round's trials would pass the budget (this many in all).
    Budget(usize),
    /// [`crate::refine::MAX_ROUNDS`] rounds ran.
    Rounds,
}

/// What the refinement of a sweep did.
pub struct Refined {
    /// The last round's sweep (every row of the folder).
    pub finished: Finished,
    /// The values added, per round.
    pub added: Vec<Vec<f64>>,
    /// Why it stopped.
    pub end: RefineEnd,
}

impl Experiment {
    /// With `--refine-axis`, the folder `dir` may hold this sweep refined already: then its grid is
    /// taken (the same command resumes it); otherwise nothing changes.
    pub fn adopt_refined_grid(&mut self, dir: &Path) -> Result<(), SweepError> {
        if let Some(found) = store::read_manifest(dir)? {
            if found.grid != self.grid && crate::refine::refines(&found.grid, &self.grid) {
                self.grid = found.grid;
            }
        }
        Ok(())
    }
}

/// Refines the sample axis of the sweep that `first` ran into `dir` under `manifest` (see
/// [`crate::refine`]): each round adds values, moves the folder to the larger grid
/// ([`store::regrid`]) and runs the new cells' trials as [`run`] does.
#[allow(clippy::too_many_arguments)]
pub fn refine(
    experiment: &mut Experiment,
    first: Finished,
    files: &(dyn Files + Sync),
    mut manifest: Manifest,
    dir: &Path,
    jobs: usize,
    refinement: crate::refine::Refinement,
    progress: &mut dyn FnMut(Progress) -> Result<(), SweepError>,
) -> Result<Refined, SweepError> {
    let mut finished = first;
    let mut added = Vec::new();
    let end = loop {
        if added.len() == crate::refine::MAX_ROUNDS {
            break RefineEnd::Rounds;
        }
        let Some(k) = crate::refine::sample_axis(&experiment.grid) else { break RefineEnd::Resolved };
        let values = crate::refine::new_values(&experiment.grid, &finished.rows, k, refinement.step);
        if values.is_empty() {
            break RefineEnd::Resolved;
        }
        let grid = crate::refine::extended(&experiment.grid, k, &values);
        let trials = grid.cells() * experiment.trials;
        if trials > refinement.budget {
            break RefineEnd::Budget(trials);
        }
        experiment.grid = grid;
        let prepared = experiment.prepare(files)?;
        let next = experiment.manifest(&manifest.model, &prepared, manifest.shard);
        store::regrid(dir, &manifest, &next)?;
        manifest = next;
        finished = run(experiment, &prepared, files, &manifest, dir, false, jobs, progress)?;
        added.push(values);
    };
    Ok(Refined { finished, added, end })
}
