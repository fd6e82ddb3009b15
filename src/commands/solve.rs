//! `cnr solve`: a model's relaxation, or a cone program from a file, solved and checked; the
//! report or the record, and the exit code of the status.

use super::{compile, ModelFile};
use crate::cli::{MethodArg, OverrideArgs};
use crate::output::{exit_for, fail, out, print_json, usage, write_file, Failed};
use crate::{progress, report};
use cnr_driver::{Backend, Hooks, MethodChoice, ProgramFormat, ProgramRequest, Purpose};
use std::path::{Path, PathBuf};

/// The flags of `cnr solve` besides the file and the model's overrides.
pub struct SolveArgs<'a> {
    pub backend: Option<Backend>,
    pub json: bool,
    pub verbose: bool,
    pub tolerance: Option<f64>,
    pub method: MethodArg,
    pub output: &'a [PathBuf],
    pub progress: bool,
    pub threads: Option<u16>,
    /// `--refine gd[=STEPS]`: the gradient steps from the relaxation's point.
    pub refine_gd: Option<usize>,
}

pub fn run(path: &Path, args: &SolveArgs, overrides: &OverrideArgs) -> Result<(), Failed> {
    // A bad `-o` is found before the solve, not after it.
    let format = ProgramFormat::of_file_name(&path.to_string_lossy());
    check_outputs(path, if format.is_some() { "program" } else { "model" }, args.output)?;
    // The solver's own log (`--verbose`) and a progress line would garble each other.
    let ticker = if args.verbose { None } else { progress::Ticker::start(args.progress) };
    let hooks = Hooks { progress: ticker.as_ref().map(progress::Ticker::callback), cancel: None };
    let result = match format {
        Some(_) if overrides.any() => {
            Err(usage("--samples, --seed and --noise apply to models, not to program files (.cbf, .json)"))
        }
        Some(_) if args.refine_gd.is_some() => Err(usage(
            "--refine gd applies to models, not to program files (.cbf, .json): gradient descent needs the network and its data",
        )),
        Some(format) => solve_program(path, format, args, hooks, overrides),
        None => solve_model(path, args, hooks, overrides),
    };
    drop(ticker);
    result
}

fn solve_program(
    path: &Path,
    format: ProgramFormat,
    args: &SolveArgs,
    hooks: Hooks,
    overrides: &OverrideArgs,
) -> Result<(), Failed> {
    let (program, read_seconds) = super::compile::read_program(path, format, overrides.max_memory)?;
    let request =
        ProgramRequest { backend: args.backend, tolerance: args.tolerance, verbose: args.verbose, hooks };
    let record = cnr_driver::solve_program(&program, &request, read_seconds).map_err(fail)?;
    let x = record.x.as_ref().map(|x| (x.clone(), vec![x.len()]));
    write_outputs(args.output, &record, x)?;
    if args.json {
        print_json(&record)?;
    } else {
        out(&report::program_report(&record))?;
    }
    exit_for(record.status)
}

fn solve_model(path: &Path, args: &SolveArgs, hooks: Hooks, overrides: &OverrideArgs) -> Result<(), Failed> {
    let model = ModelFile::read(path)?;
    let mut request = model.request(overrides);
    request.backend = args.backend;
    request.method = MethodChoice::from(args.method);
    request.tolerance = args.tolerance;
    request.verbose = args.verbose;
    request.limits.threads = args.threads.map(usize::from);
    request.hooks = hooks;
    request.refine_gd = args.refine_gd;
    let compiled = compile(&request, Purpose::Solve)?;
    if compiled.model.learn.is_some() {
        return train_model(&model, &compiled, &request, args);
    }
    let record = cnr_driver::solve_compiled(&compiled, &request).map_err(fail)?;
    for path in args.output {
        model.guard(path)?;
    }
    let w = record.w.as_ref().map(|w| {
        let shape =
            if w.count() == 1 { vec![compiled.model.network.d()] } else { vec![w.count(), w.0[0].len()] };
        (w.flat(), shape)
    });
    write_outputs(args.output, &record, w)?;
    if args.json {
        print_json(&record)?;
    } else {
        out(&report::model_report(&compiled.model, &record))?;
    }
    exit_for(record.status)
}

/// A model of learned output weights, trained: `-o` writes the record (the network and the
/// arrangements' filters) or the neurons' filters (`neurons × d`).
fn train_model(
    model: &ModelFile,
    compiled: &cnr_driver::Compiled,
    request: &cnr_driver::Request,
    args: &SolveArgs,
) -> Result<(), Failed> {
    if args.refine_gd.is_some() {
        return Err(usage("--refine gd refines a relaxation's filters; a model of learned output weights is trained to its optimum"));
    }
    let record = cnr_driver::train_compiled(compiled, request).map_err(fail)?;
    for path in args.output {
        model.guard(path)?;
    }
    let filters = record.network.as_ref().map(|net| {
        let values: Vec<f64> = net.neurons.iter().flat_map(|n| n.filter.iter().copied()).collect();
        (values, vec![net.neurons.len(), compiled.model.network.d()])
    });
    write_outputs(args.output, &record, filters)?;
    if args.json {
        print_json(&record)?;
    } else {
        out(&report::train_report(&record))?;
    }
    exit_for(record.status)
}

/// What `-o FILE` writes, by the file's extension.
#[derive(Clone, Copy, PartialEq)]
enum OutputKind {
    /// The record, as JSON.
    Record,
    /// The point, as a NumPy array.
    Point,
}

fn kind_of(path: &Path) -> Option<OutputKind> {
    match path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).as_deref() {
        Some("json") => Some(OutputKind::Record),
        Some("npy") => Some(OutputKind::Point),
        _ => None,
    }
}

/// Refuses, before anything is solved, an `-o` that is the `input` being solved (a `what`), one
/// that names neither a `.json` nor a `.npy` file, and a file named twice (by the same path, or
/// another path to the same file). The files a model reads are known once it is read: they are
/// refused then ([`ModelFile::guard`](super::ModelFile::guard)).
fn check_outputs(input: &Path, what: &str, outputs: &[PathBuf]) -> Result<(), Failed> {
    for (k, path) in outputs.iter().enumerate() {
        if crate::io::same_file(path, input) {
            return Err(crate::output::failed(&format!(
                "`{}` is the {what} being solved; writing there would destroy it",
                path.display()
            )));
        }
        if kind_of(path).is_none() {
            return Err(usage(&format!(
                "`{}`: -o writes `.json` (the record) or `.npy` (the filters)",
                path.display()
            )));
        }
        if outputs[..k].iter().any(|p| p == path || crate::io::same_file(p, path)) {
            return Err(usage(&format!("-o `{}` is given twice; give each file once", path.display())));
        }
    }
    Ok(())
}

/// Writes a solve's result to every `-o` file, each atomically, in the order given; a file that
/// cannot be written is reported and the others are still written (the command then fails).
fn write_outputs(
    outputs: &[PathBuf],
    record: &impl serde::Serialize,
    values: Option<(Vec<f64>, Vec<usize>)>,
) -> Result<(), Failed> {
    let mut failure = None;
    for path in outputs {
        if let Err(e) = write_output(path, record, values.as_ref()) {
            failure.get_or_insert(e);
        }
    }
    failure.map_or(Ok(()), Err)
}

/// Writes a solve's result to `path`: the record as JSON, or the numbers `values` (of `shape`) as
/// a `.npy` array.
fn write_output(
    path: &Path,
    record: &impl serde::Serialize,
    values: Option<&(Vec<f64>, Vec<usize>)>,
) -> Result<(), Failed> {
    let bytes = match kind_of(path) {
        Some(OutputKind::Record) => {
            format!("{}\n", serde_json::to_string_pretty(record).expect("records serialise")).into_bytes()
        }
        Some(OutputKind::Point) => {
            let Some((values, shape)) = values else {
                return Err(crate::output::failed(&format!(
                    "cannot write `{}`: there is no point to write, the solve ended without one",
                    path.display()
                )));
            };
            cnr_driver::npy(values, shape).map_err(fail)?
        }
        None => {
            return Err(usage(&format!(
                "`{}`: -o writes `.json` (the record) or `.npy` (the filters)",
                path.display()
            )))
        }
    };
    write_file(path, &bytes)
}
