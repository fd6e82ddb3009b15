//! `cnr.sweep`: a phase-transition experiment run in the calling process, as `cnr sweep` runs it,
//! its rows returned as `results.csv` writes them (and, with `out`, written to that folder too).

use crate::{backend, method, raise, run_released, Cancel, Source};
use cnr_driver::Error;
use cnr_sweep::folder::Progress;
use cnr_sweep::grid::{self, Axis, Shard};
use cnr_sweep::results::{self, Row};
use cnr_sweep::spec::{activations, anchors, refine_counts, restart_counts, SweepSpec};
use cnr_sweep::{Experiment, SpecError, SweepError, SweepRequest};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// A list flag's text parsed by the command line's own parser; its message names the argument.
fn list<T>(
    what: &str,
    text: Option<String>,
    parse: impl Fn(&str) -> Result<T, grid::ListError>,
) -> PyResult<Option<T>> {
    text.map(|t| parse(&t).map_err(|e| PyValueError::new_err(format!("{what}: {e}")))).transpose()
}

fn sweep_error(e: SweepError) -> Error {
    match e {
        SweepError::Model(cell) => Error::Model(Box::new(cell.errors)),
        SweepError::Spec(SpecError::Block(errors)) => Error::Model(errors),
        SweepError::Spec(e) => Error::Usage(e.to_string()),
        SweepError::Store(e) => Error::Usage(e.to_string()),
        SweepError::Driver(e) => e,
        SweepError::Stopped(why) => Error::Usage(why.to_string()),
    }
}

/// Runs the sweep; returns the header of `results.csv` and its rows, as text.
#[pyfunction]
#[pyo3(signature = (text, name, base, settings, ratio=None, samples=None, params=vec![], activation=None, noise=None, anchor=None, restarts=None, refine=None, trials=None, seed=None, threshold=None, baseline=false, refine_gd=None, jobs=None, method_name="auto", backend_name=None, out=None, force=false, cancel=None, on_row=None, on_start=None))]
#[allow(clippy::too_many_arguments)]
pub fn sweep(
    py: Python<'_>,
    text: String,
    name: String,
    base: Option<String>,
    settings: Vec<(String, String, String)>,
    ratio: Option<String>,
    samples: Option<String>,
    params: Vec<(String, String)>,
    activation: Option<String>,
    noise: Option<String>,
    anchor: Option<String>,
    restarts: Option<String>,
    refine: Option<String>,
    trials: Option<u64>,
    seed: Option<u64>,
    threshold: Option<f64>,
    baseline: bool,
    refine_gd: Option<usize>,
    jobs: Option<usize>,
    method_name: &str,
    backend_name: Option<&str>,
    out: Option<PathBuf>,
    force: bool,
    cancel: Option<&Cancel>,
    on_row: Option<Py<PyAny>>,
    on_start: Option<Py<PyAny>>,
) -> PyResult<(Vec<String>, Vec<Vec<String>>)> {
    let source = Source::new(text, name, base);
    let counts =
        match (list("ratio", ratio, grid::parse_numbers)?, list("samples", samples, grid::parse_counts)?) {
            (Some(_), Some(_)) => return Err(PyValueError::new_err("give samples or ratio, not both")),
            (Some(values), None) => Some(Axis::Ratio { values }),
            (None, Some(values)) => Some(Axis::Samples { values }),
            (None, None) => None,
        };
    let mut param_axes = Vec::new();
    for (name, values) in params {
        let values = grid::parse_numbers(&values)
            .map_err(|e| PyValueError::new_err(format!("params[{name}]: {e}")))?;
        param_axes.push((name, values));
    }
    let flags = SweepSpec {
        counts,
        params: param_axes,
        activation: list("activation", activation, activations)?,
        noise: list("noise", noise, grid::parse_numbers)?,
        anchor: list("anchor", anchor, anchors)?,
        restarts: list("restarts", restarts, restart_counts)?,
        refine: list("refine", refine, refine_counts)?,
        trials,
        seed,
        threshold,
        baseline: baseline.then_some(true),
    };
    let request = source.request(&settings)?;
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let experiment = Experiment::new(SweepRequest {
        text: source.text.clone(),
        name: source.name.clone(),
        source_name: source.name.clone(),
        flags,
        settings: request.settings.clone(),
        refine_gd,
        method: method(method_name)?,
        backend: backend(backend_name)?,
        max_memory: None,
        jobs,
        shards: 1,
    })
    .map_err(|e| raise(py, sweep_error(e.into())))?;
    let header = results::header(&experiment.grid);
    let files = &source.files;
    let raised: Mutex<Option<PyErr>> = Mutex::new(None);
    let result = run_released(py, cancel, |hooks| {
        let prepared = experiment.prepare(files).map_err(sweep_error)?;
        let stop = hooks.cancel.clone().expect("run_released passes a flag");
        let fail = |e| if stop.load(Ordering::Relaxed) { Error::Cancelled } else { sweep_error(e) };
        // A cancelled sweep stops after the trials in flight; the rows written so far stay. Each
        // finished trial's rows go to `on_row(header, row)` first (on this worker thread, with the GIL taken for
        // the call); an exception there stops the sweep too, and is raised once it has stopped.
        let tell = |rows: &[Row]| -> Result<(), SweepError> {
            // Once stopped (by `cancel`, Ctrl-C or `on_row` raising), trials still in flight
            // finish without being shown.
            if stop.load(Ordering::Relaxed) {
                return Err(SweepError::Stopped("cancelled"));
            }
            let Some(callback) = &on_row else { return Ok(()) };
            Python::attach(|py| {
                rows.iter().try_for_each(|r| callback.call1(py, (&header, r.record())).map(drop))
            })
            .map_err(|e| {
                *raised.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                stop.store(true, Ordering::Relaxed);
                SweepError::Stopped("on_row raised")
            })
        };
        // `on_start(trials)` is told how many trials will run (a resumed folder's remaining ones).
        let start = |todo: usize| -> Result<(), SweepError> {
            let Some(callback) = &on_start else { return Ok(()) };
            Python::attach(|py| callback.call1(py, (todo,)).map(drop)).map_err(|e| {
                *raised.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                stop.store(true, Ordering::Relaxed);
                SweepError::Stopped("on_start raised")
            })
        };
        let rows = match &out {
            Some(dir) => {
                let manifest = experiment.manifest(&source.name, &prepared, Shard::WHOLE);
                let mut progress = |event: Progress| match event {
                    Progress::Trial { rows, .. } => tell(rows),
                    Progress::Started { todo, .. } => start(todo),
                };
                cnr_sweep::folder::run(
                    &experiment,
                    &prepared,
                    files,
                    &manifest,
                    dir,
                    force,
                    jobs,
                    &mut progress,
                )
                .map_err(fail)?
                .rows
            }
            None => {
                let units = experiment.units(Shard::WHOLE);
                start(units.len()).map_err(fail)?;
                let mut rows = Vec::new();
                experiment
                    .run(files, &prepared, &units, &|_| Vec::new(), jobs, &mut |_, new| {
                        tell(&new)?;
                        rows.extend(new);
                        Ok(())
                    })
                    .map_err(fail)?;
                rows
            }
        };
        Ok(rows)
    });
    if let Some(e) = raised.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let mut rows = result?;
    rows.sort_by_key(|r| (r.cell, r.trial, r.method == "gd"));
    Ok((header, rows.iter().map(|r| r.record()).collect()))
}
