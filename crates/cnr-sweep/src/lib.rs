//! Phase-transition experiments: a model solved over a grid of sample counts, parameters,
//! activations and noise levels, many seeded trials per cell, with the non-convex baseline beside
//! the relaxation.
//!
//! - [`grid`]: the axes, their product, the shards; [`spec`]: what a model's `sweep { … }` block and
//!   the flags mean; [`Experiment::new`]: the one constructor of a sweep, with its defaults and its
//!   size held to the memory budget, which the binary and the Python package share.
//! - [`Experiment::prepare`]: every cell compiled once before any trial runs (an error in one cell
//!   is an error of the sweep, shown with the settings that make it), its filter size and samples.
//! - [`Experiment::run`]: the trials, in parallel, each through the driver (one solve per thread,
//!   lowering single-threaded), every finished trial handed to the caller at once.
//! - [`refine`]: points added to the sample axis where a curve turns (`--refine-axis`), run by
//!   [`folder::refine`].
//! - [`store`]: the results folder — `sweep.json`, `results.csv` appended trial by trial, resuming,
//!   `summary.csv`, the plots ([`plot`]), and the merge of shards.
//!
//! Success is judged from the model: the status is optimal and the recovery error (up to the
//! network's symmetries) is below the threshold.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod folder;
pub mod plot;
pub mod refine;
pub mod results;
pub mod store;

pub mod grid;
mod setup;
pub mod spec;

pub use setup::{SpecError, SweepRequest, DEFAULT_THRESHOLD, DEFAULT_TRIALS};
pub use spec::SweepSpec;

use cnr_driver::{Backend, Compiled, DataSource, Files, GdBudget, Limits, MethodChoice, Request, Setting};
use grid::{Axis, Grid, Shard, Value};
use results::Row;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A cell's model that does not compile or warns: its diagnostics with the texts they point into
/// (the model's and the cell's settings'), for the caller to render.
#[derive(Debug)]
pub struct CellDiagnostics {
    /// The diagnostics and their texts.
    pub errors: cnr_driver::ModelErrors,
    /// The cell's settings, as flags.
    pub flags: String,
}

/// Why a sweep cannot run or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A cell's model does not compile.
    #[error("the model does not compile with {}", .0.flags)]
    Model(Box<CellDiagnostics>),
    /// The sweep's specification: its block, its grid, its size.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The results folder.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A trial's solve failed (the budget, a backend, a cancellation).
    #[error(transparent)]
    Driver(#[from] cnr_driver::Error),
    /// The caller stopped the sweep (the trials in flight finish; their rows are kept).
    #[error("{0}")]
    Stopped(&'static str),
}

/// Everything a sweep holds fixed.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// The model's text as read.
    pub text: String,
    /// The model's name when it declares none (the file's stem).
    pub name: String,
    /// The grid.
    pub grid: Grid,
    /// Trials per cell.
    pub trials: usize,
    /// The seed of trial 0; trial `t` uses `seed + t` (`None`: the model's seed).
    pub seed: Option<u64>,
    /// Success: recovery error below this.
    pub threshold: f64,
    /// The non-convex baseline's budget, when it runs.
    pub baseline: Option<GdBudget>,
    /// With `--refine-gd`: at most this many gradient steps from the relaxation's point, a row of
    /// method `relaxation+gd` beside the relaxation's.
    pub refine_gd: Option<usize>,
    /// Settings of every cell (`--param`, `--set` not swept).
    pub settings: Vec<Setting>,
    /// The name diagnostics show for the model's text (its path).
    pub source_name: String,
    /// How the relaxation is solved.
    pub method: MethodChoice,
    /// The backend (`None`: the model's).
    pub backend: Option<Backend>,
    /// The memory budget of one trial, in bytes (`None`: the driver's default).
    pub max_memory: Option<u64>,
}

/// A cell, compiled once.
#[derive(Clone, Debug, PartialEq)]
pub struct CellPlan {
    /// The axis values.
    pub values: Vec<Value>,
    /// The filter size.
    pub d: usize,
    /// The patches `K`.
    pub patches: usize,
    /// The number of samples of its trials.
    pub samples: u64,
    /// Its settings (the experiment's, then the axes').
    pub settings: Vec<Setting>,
    /// Its noise, when an axis sets it.
    pub noise: Option<f64>,
}

impl CellPlan {
    /// The cell's settings as the flags of `cnr solve` (with `--samples` when given).
    fn flags(&self, samples: Option<u64>) -> String {
        let mut flags: Vec<String> = self.settings.iter().map(Setting::flag).collect();
        flags.extend(samples.map(|n| format!("--samples {n}")));
        if flags.is_empty() {
            "no settings".into()
        } else {
            flags.join(" ")
        }
    }
}

/// A prepared sweep: the cells, and the seed of trial 0.
#[derive(Debug)]
pub struct Prepared {
    /// The cells, in grid order.
    pub cells: Vec<CellPlan>,
    /// The seed of trial 0.
    pub seed: u64,
    /// The warnings about the first cell's model, with the text they point into (every cell is
    /// the same model with other values, so one cell's warnings stand for all).
    pub warnings: Option<CellDiagnostics>,
    /// The data files the cells read, each once: what the results are made from.
    pub data_files: Vec<cnr_driver::DataFile>,
}

/// One trial of one cell: `unit = cell · trials + trial`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Unit {
    /// The cell.
    pub cell: usize,
    /// The trial.
    pub trial: usize,
}

impl Experiment {
    /// The methods a trial has rows for: the relaxation, `relaxation+gd` with the refinement, and
    /// `gd` with the baseline.
    pub fn methods(&self) -> usize {
        1 + usize::from(self.refine_gd.is_some()) + usize::from(self.baseline.is_some())
    }

    /// The units of `shard`, in order.
    pub fn units(&self, shard: Shard) -> Vec<Unit> {
        let cells = self.grid.cells();
        (0..cells * self.trials)
            .filter(|&u| shard.owns(u))
            .map(|u| Unit { cell: u / self.trials, trial: u % self.trials })
            .collect()
    }

    /// Compiles every cell once (with the first trial's seed), so that a cell the model cannot
    /// take is an error before any trial runs, and works out each cell's filter size and samples.
    pub fn prepare(&self, files: &(dyn Files + Sync)) -> Result<Prepared, SweepError> {
        let mut cells = Vec::with_capacity(self.grid.cells());
        let mut seed = self.seed;
        let mut warnings = None;
        let mut data_files: Vec<cnr_driver::DataFile> = Vec::new();
        for c in 0..self.grid.cells() {
            let values = self.grid.values(c);
            let mut settings = self.settings.clone();
            let (mut samples, mut ratio, mut noise) = (None, None, None);
            for (axis, value) in self.grid.axes.iter().zip(&values) {
                match (axis, value) {
                    (Axis::Samples { .. }, Value::Count(n)) => samples = Some(*n),
                    (Axis::Ratio { .. }, Value::Number(r)) => ratio = Some(*r),
                    (Axis::Noise { .. }, Value::Number(x)) => noise = Some(*x),
                    (Axis::Param { name, .. }, v) => {
                        settings.push(Setting::Param { name: name.clone(), value: v.to_string() })
                    }
                    (axis, v) if axis.statement().is_some() => settings.push(Setting::Statement {
                        key: axis.statement().expect("a statement axis").into(),
                        value: v.to_string(),
                    }),
                    _ => unreachable!("an axis's values are of its kind"),
                }
            }
            let mut plan =
                CellPlan { values, d: 0, patches: 0, samples: samples.unwrap_or(1), settings, noise };
            let compiled = self.compile(files, &plan, samples, seed)?;
            // Planted data are drawn anew for each trial; data from files are shuffled with the
            // trial's seed, so that each trial takes another random subset of them (nested for
            // growing sample counts). Without a planted filter, success is not defined: the
            // summary gives the losses.
            if let (None, DataSource::Planted { seed: own, .. }) = (seed, &compiled.model.data.source) {
                seed = Some(*own);
            }
            if c == 0 && !compiled.warnings.is_empty() {
                let flags = plan.flags(None);
                let errors = cnr_driver::ModelErrors {
                    sources: compiled.sources.clone(),
                    diagnostics: compiled.warnings.clone(),
                };
                warnings = Some(CellDiagnostics { errors, flags });
            }
            for file in &compiled.model.data_files {
                if !data_files.iter().any(|f| f.path == file.path) {
                    data_files.push(file.clone());
                }
            }
            plan.d = compiled.model.network.d();
            plan.patches = compiled.model.network.patches();
            plan.samples = match (samples, ratio) {
                (Some(n), _) => n,
                (None, Some(r)) => grid::samples_for_ratio(r, plan.d),
                (None, None) => compiled.model.data.n as u64,
            };
            cells.push(plan);
        }
        let seed = seed.unwrap_or(0);
        if seed.checked_add(self.trials as u64).is_none_or(|s| s > (1 << 53) - 1) {
            return Err(SweepError::Spec(SpecError::Seeds { seed, trials: self.trials }));
        }
        Ok(Prepared { cells, seed, warnings, data_files })
    }

    /// The request of a cell's trial: the cell's settings, then `--samples`, `--seed` and
    /// `--noise` as the cell and trial set them; one thread, the trial's share of the memory.
    fn request<'a>(
        &'a self,
        files: &'a (dyn Files + Sync),
        cell: &CellPlan,
        samples: Option<u64>,
        seed: Option<u64>,
    ) -> Request<'a> {
        let mut request = Request::new(&self.text, &self.source_name).with_files(files);
        request.default_name = &self.name;
        request.settings = cell.settings.clone();
        request.settings.extend(samples.map(Setting::Samples));
        request.settings.extend(seed.map(Setting::Seed));
        request.settings.extend(cell.noise.map(Setting::Noise));
        request.method = self.method;
        request.backend = self.backend;
        request.limits = Limits { max_memory: self.max_memory, threads: Some(1), time_limit: None };
        request
    }

    fn compile(
        &self,
        files: &(dyn Files + Sync),
        cell: &CellPlan,
        samples: Option<u64>,
        seed: Option<u64>,
    ) -> Result<Compiled, SweepError> {
        let request = self.request(files, cell, samples, seed);
        cnr_driver::compile(&request).map_err(|e| self.cell_error(e, cell, samples))
    }

    /// A driver's error about a cell, with the cell's flags.
    fn cell_error(&self, e: cnr_driver::Error, cell: &CellPlan, samples: Option<u64>) -> SweepError {
        match e {
            cnr_driver::Error::Model(errors) => {
                SweepError::Model(Box::new(CellDiagnostics { errors: *errors, flags: cell.flags(samples) }))
            }
            other => SweepError::Driver(other),
        }
    }

    /// Runs one trial: the relaxation, with `refine_gd` its point refined by gradient descent, and
    /// with the baseline gradient descent from random starts on the same data. `skip` names
    /// methods whose rows exist already (a refinement whose row is missing solves the relaxation
    /// again, which gives the same point, without writing its row twice).
    pub fn run_unit(
        &self,
        files: &(dyn Files + Sync),
        prepared: &Prepared,
        unit: Unit,
        skip: &[String],
    ) -> Result<Vec<Row>, SweepError> {
        let cell = &prepared.cells[unit.cell];
        let seed = prepared.seed + unit.trial as u64;
        let request = self.request(files, cell, Some(cell.samples), Some(seed));
        let compiled =
            cnr_driver::compile(&request).map_err(|e| self.cell_error(e, cell, Some(cell.samples)))?;
        let axes = results::axis_values(&self.grid, unit.cell);
        let base = Row {
            cell: unit.cell,
            trial: unit.trial,
            method: String::new(),
            axes,
            samples: cell.samples,
            seed,
            d: cell.d,
            patches: cell.patches,
            ..Row::default()
        };
        let mut rows = Vec::new();
        let done = |method: &str| skip.iter().any(|m| results::summary_method(m) == method);
        // A model of learned output weights is trained: one row, `learned`, judged on its
        // recovery of the planted teacher (docs/learned.md).
        if compiled.model.learn.is_some() {
            if self.baseline.is_some() || self.refine_gd.is_some() {
                return Err(SweepError::Driver(cnr_driver::Error::Usage(
                    "--baseline and --refine-gd compare with the relaxation of fixed output weights; a model of learned output weights is trained alone".into(),
                )));
            }
            if !done(results::LEARNED) {
                let record = cnr_driver::train_compiled(&compiled, &request)?;
                let optimal = record.status == cnr_driver::Status::Optimal;
                let figures = cnr_driver::Figures {
                    training_loss: record.training_loss,
                    test_loss: record.test_loss,
                    recovery_error: record.recovery_error,
                    ..cnr_driver::Figures::default()
                };
                rows.push(
                    Row {
                        method: results::LEARNED.into(),
                        status: record.status.as_str().to_string(),
                        objective: record.objective,
                        iterations: record.attempts.iter().map(|a| u64::from(a.iterations)).sum(),
                        solve_seconds: record.timings.solving_seconds,
                        backend: record.backend.to_string(),
                        ..base
                    }
                    .with_figures(&figures, optimal, self.threshold),
                );
            }
            return Ok(rows);
        }
        let relaxation_done = done("relaxation");
        let refined_done = self.refine_gd.is_none() || done(results::REFINED);
        if !relaxation_done || !refined_done {
            let mut request = request;
            request.refine_gd = if refined_done { None } else { self.refine_gd };
            let record = cnr_driver::solve_compiled(&compiled, &request)?;
            if !relaxation_done {
                let optimal = record.status == cnr_driver::Status::Optimal;
                let mut row = Row {
                    method: record.method.as_str().to_string(),
                    status: record.status.as_str().to_string(),
                    objective: record.objective,
                    iterations: u64::from(record.iterations),
                    solve_seconds: record.solve_seconds,
                    backend: record.backend.to_string(),
                    ..base.clone()
                }
                .with_figures(&record.figures(), optimal, self.threshold);
                if let Some((distance, said)) = record.planted_explanation(row.success) {
                    (row.cone_distance, row.explanation) = (distance, said.to_string());
                }
                rows.push(row);
            }
            if !refined_done {
                rows.push(self.refined_row(&record, &base));
            }
        }
        if let (Some(budget), false) = (self.baseline, skip.iter().any(|m| m == results::BASELINE)) {
            let gd = cnr_driver::baseline(&compiled, seed, budget)?;
            // A descent's point is judged on the model alone: whether it stopped at the budget does
            // not make a recovered filter less recovered.
            rows.push(
                Row {
                    method: results::BASELINE.into(),
                    status: if gd.found.converged { "converged" } else { "budget" }.into(),
                    iterations: gd.found.iterations as u64,
                    solve_seconds: gd.seconds,
                    backend: "gd".into(),
                    ..base
                }
                .with_figures(&gd.figures, true, self.threshold),
            );
        }
        Ok(rows)
    }

    /// The `relaxation+gd` row of a trial: the relaxation's point refined by gradient descent. It
    /// succeeds as the relaxation's row does (the relaxation's status is optimal) when the refined
    /// point's recovery error is below the threshold; its status is the relaxation's, its
    /// iterations the gradient steps, its seconds those of the relaxation and the descent. A trial
    /// whose relaxation gave no point has the row all the same, without figures.
    fn refined_row(&self, record: &cnr_driver::SolveRecord, base: &Row) -> Row {
        let optimal = record.status == cnr_driver::Status::Optimal;
        let status = record.status.as_str().to_string();
        let Some(refined) = &record.refined else {
            return Row {
                method: results::REFINED.into(),
                status,
                solve_seconds: record.solve_seconds,
                backend: record.backend.to_string(),
                ..base.clone()
            };
        };
        Row {
            method: results::REFINED.into(),
            status,
            iterations: refined.iterations as u64,
            solve_seconds: record.solve_seconds + refined.seconds,
            backend: record.backend.to_string(),
            ..base.clone()
        }
        .with_figures(&refined.figures(), optimal, self.threshold)
    }

    /// Runs `units` on `jobs` threads and hands each finished trial's rows to `done`, on the
    /// calling thread, as soon as it finishes. `skip(unit)` names the methods a unit has rows for
    /// already. The first error stops the sweep (trials in flight finish; their rows are kept).
    pub fn run(
        &self,
        files: &(dyn Files + Sync),
        prepared: &Prepared,
        units: &[Unit],
        skip: &(dyn Fn(Unit) -> Vec<String> + Sync),
        jobs: usize,
        done: &mut dyn FnMut(Unit, Vec<Row>) -> Result<(), SweepError>,
    ) -> Result<(), SweepError> {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (tx, rx) = std::sync::mpsc::channel::<(Unit, Result<Vec<Row>, SweepError>)>();
        std::thread::scope(|scope| {
            for _ in 0..jobs.max(1).min(units.len().max(1)) {
                let tx = tx.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&unit) = units.get(k) else { break };
                    let result = self.run_unit(files, prepared, unit, &skip(unit));
                    if tx.send((unit, result)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            let mut first_error = None;
            for (unit, result) in rx {
                let handled = result.and_then(|rows| done(unit, rows));
                if let Err(e) = handled {
                    stop.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(e);
                }
            }
            first_error.map_or(Ok(()), Err)
        })
    }
}
