//! `cnr solve`: a model's relaxation, or a cone program from a file, solved and checked; the
//! report or the record, and the exit code of the status.

use super::{compile, ModelFile};
use crate::cli::{MethodArg, OverrideArgs};
use crate::output::{exit_for, fail, out, print_json, usage, write_file, Failed};
use crate::{progress, report};
use cnr_driver::{Backend, Hooks, MethodChoice, ProgramFormat, ProgramRequest, Purpose};
use std::path::Path;

/// The flags of `cnr solve` besides the file and the model's overrides.
pub struct SolveArgs<'a> {
    pub backend: Option<Backend>,
    pub json: bool,
    pub verbose: bool,
    pub tolerance: Option<f64>,
    pub method: MethodArg,
    pub output: Option<&'a Path>,
    pub progress: bool,
    pub threads: Option<u16>,
}

pub fn run(path: &Path, args: &SolveArgs, overrides: &OverrideArgs) -> Result<(), Failed> {
    // The solver's own log (`--verbose`) and a progress line would garble each other.
    let ticker = if args.verbose { None } else { progress::Ticker::start(args.progress) };
    let hooks = Hooks { progress: ticker.as_ref().map(progress::Ticker::callback), cancel: None };
    let result = match ProgramFormat::of_file_name(&path.to_string_lossy()) {
        Some(_) if overrides.any() => {
            Err(usage("--samples, --seed and --noise apply to models, not to program files (.cbf, .json)"))
        }
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
    if let Some(out) = args.output.filter(|out| crate::io::same_file(out, path)) {
        return Err(crate::output::failed(&format!(
            "`{}` is the program being solved; writing there would destroy it",
            out.display()
        )));
    }
    if let Some(path) = args.output {
        let x = record.x.as_ref().map(|x| (x.clone(), vec![x.len()]));
        write_output(path, &record, x)?;
    }
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
    let compiled = compile(&request, Purpose::Solve)?;
    let record = cnr_driver::solve_compiled(&compiled, &request).map_err(fail)?;
    if let Some(path) = args.output {
        model.guard(path)?;
        let w = record.w.as_ref().map(|w| {
            let shape =
                if w.count() == 1 { vec![compiled.model.network.d()] } else { vec![w.count(), w.0[0].len()] };
            (w.flat(), shape)
        });
        write_output(path, &record, w)?;
    }
    if args.json {
        print_json(&record)?;
    } else {
        out(&report::model_report(&compiled.model, &record))?;
    }
    exit_for(record.status)
}

/// Writes a solve's result to `path`: the record as JSON, or the numbers `values` (of `shape`) as
/// a `.npy` array.
fn write_output(
    path: &Path,
    record: &impl serde::Serialize,
    values: Option<(Vec<f64>, Vec<usize>)>,
) -> Result<(), Failed> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    let bytes = match ext.as_deref() {
        Some("json") => {
            format!("{}\n", serde_json::to_string_pretty(record).expect("records serialise")).into_bytes()
        }
        Some("npy") => {
            let Some((values, shape)) = values else {
                return Err(crate::output::failed("there is no point to write: the solve ended without one"));
            };
            cnr_driver::npy(&values, &shape).map_err(fail)?
        }
        _ => {
            return Err(usage(&format!(
                "`{}`: -o writes `.json` (the record) or `.npy` (the filters)",
                path.display()
            )))
        }
    };
    write_file(path, &bytes)
}
