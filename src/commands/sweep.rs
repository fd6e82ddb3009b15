//! `cnr sweep`: the arguments, the progress display and the final report of a phase-transition
//! experiment; the experiment itself is `cnr-sweep`'s.

use super::{warn, ModelFile};
use crate::cli::MethodArg;
use crate::output::{err, fail, failed as failure, out, usage, Failed};
use crate::progress::SweepProgress;
use clap::{Args, Subcommand};
use cnr_driver::{Backend, MethodChoice, Setting};
use cnr_sweep::folder::Progress;
use cnr_sweep::grid::{self, Axis, Shard};
use cnr_sweep::plot::{Choice, Metric};
use cnr_sweep::spec::{activations, anchors, parse_threshold, refine_counts, restart_counts, SweepSpec};
use cnr_sweep::store;
use cnr_sweep::{Experiment, SpecError, SweepError, SweepRequest};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    command: Option<SweepCommand>,
    /// The model (`.cnr`): planted data, or data files (each trial a random subset of them).
    model: Option<PathBuf>,
    /// Sample counts: `8,16,32`, a range `START:STOP:STEP` (`8:64:8`), or both.
    #[arg(long, value_name = "LIST", value_parser = |t: &str| grid::parse_counts(t).map(List))]
    samples: Option<List<u64>>,
    /// Sample counts as multiples of the model's filter size d (after parameters): `0.5,1,2`,
    /// `0.5:8:0.5`; n = round(ratio·d).
    #[arg(long, value_name = "LIST", value_parser = |t: &str| grid::parse_numbers(t).map(List))]
    ratio: Option<List<f64>>,
    /// A parameter of the model and its values: `--param d=8,16,24,32`. Repeatable.
    #[arg(long = "param", value_name = "NAME=LIST", value_parser = parse_param_axis)]
    params: Vec<(String, Vec<f64>)>,
    /// Activations, as in a model: `relu,softplus,leaky_relu(0.2)`.
    #[arg(long, value_name = "LIST")]
    activation: Option<String>,
    /// Noise levels of the planted labels: `0,0.01,0.1`.
    #[arg(long, value_name = "LIST", value_parser = |t: &str| grid::parse_numbers(t).map(List))]
    noise: Option<List<f64>>,
    /// Anchors of the relaxation, as in a model: `data,lstsq,random`.
    #[arg(long, value_name = "LIST")]
    anchor: Option<String>,
    /// Restart counts (random anchors, the lowest training loss kept): `1,2,4`.
    #[arg(long, value_name = "LIST", value_parser = |t: &str| restart_counts(t).map(List))]
    restarts: Option<List<u64>>,
    /// Refinement counts (each solve repeated from the filter it found, at most that often): `0,4`.
    #[arg(long, value_name = "LIST", value_parser = |t: &str| refine_counts(t).map(List))]
    refine: Option<List<u64>>,
    /// Trials per cell, each with its own seed (default 20).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    trials: Option<u64>,
    /// The results folder: `sweep.json`, `results.csv`, `summary.csv` and the plots.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The seed of trial 0 (trial t uses SEED + t); default: the model's.
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(0..(1u64 << 53)))]
    seed: Option<u64>,
    /// A trial succeeds when the status is optimal and the recovery error is below this (default 1e-4).
    #[arg(long, value_name = "X", value_parser = parse_threshold)]
    threshold: Option<f64>,
    /// Also run the non-convex baseline on every trial: `gd`, gradient descent on the training loss.
    #[arg(long, value_name = "NAME", value_parser = ["gd", "none"])]
    baseline: Option<String>,
    /// Also refine every trial's relaxation by gradient descent from its point, at most STEPS steps
    /// (default 1000; `--refine-gd=STEPS`): a row of method `relaxation+gd` beside the relaxation's.
    #[arg(
        long,
        value_name = "STEPS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "1000",
        value_parser = clap::value_parser!(u64).range(1..=crate::cli::MAX_REFINE_STEPS)
    )]
    refine_gd: Option<u64>,
    /// Trials run at once, one solve each (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
    /// Run only part I of N of the trials (0 ≤ I < N), for a job array; `cnr sweep merge` joins the parts.
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// Refine the sample axis (ratio, else samples) where a curve turns: after the grid's trials,
    /// add the midpoint between neighbours whose success rates differ by more than STEP (0 < STEP
    /// < 1), run the new cells, and repeat (at most 6 rounds, within --refine-budget).
    #[arg(long, value_name = "STEP", value_parser = parse_step)]
    refine_axis: Option<f64>,
    /// The most trials of a refined grid, in all (default: 4 times the first grid's).
    #[arg(long, value_name = "TRIALS", requires = "refine_axis", value_parser = clap::value_parser!(u64).range(1..))]
    refine_budget: Option<u64>,
    /// Start over: remove what an earlier sweep wrote in DIR.
    #[arg(long)]
    force: bool,
    /// How each trial's relaxation is solved.
    #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
    method: MethodArg,
    /// The backend, as for `cnr solve`.
    #[arg(long, value_name = "NAME", value_parser = Backend::parse)]
    backend: Option<Backend>,
    /// The memory budget of the sweep (`8G`, `500M`), shared by the trials that run at once;
    /// default: half of the machine's memory.
    #[arg(long, value_name = "SIZE", value_parser = crate::memory::parse_size)]
    max_memory: Option<u64>,
    /// Sets a statement of every cell's model, as for `cnr solve`.
    #[arg(long = "set", value_name = "BLOCK.STATEMENT=VALUE", value_parser = crate::cli::parse_setting)]
    set: Vec<(String, String)>,
}

/// A list of an axis's values, as one flag's value.
#[derive(Clone)]
struct List<T>(Vec<T>);

#[derive(Subcommand)]
enum SweepCommand {
    /// Join the folders of a sweep's shards (or reruns) into one.
    Merge {
        /// The parts' folders.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// The merged folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Replace what DIR holds.
        #[arg(long)]
        force: bool,
    },
    /// Redraw a sweep's figures from its results (nothing is run), choosing the x axis, the axis
    /// of the curves, the figure and a log x axis.
    #[command(
        after_help = "Examples:\n  cnr sweep plot runs/relu --x d --group ratio --metric error\n  cnr sweep plot runs/relu --metric rate --log-x"
    )]
    Plot {
        /// The results folder (`sweep.json`, `results.csv`); the figures are written into it.
        dir: PathBuf,
        /// The axis along x, by its column in results.csv (`ratio`, `samples`, a parameter's
        /// name, `activation`, `noise`, …); default: ratio, else samples, else the first numeric
        /// axis that varies.
        #[arg(long, value_name = "AXIS")]
        x: Option<String>,
        /// The axis whose values make the curves (the trials of the other axes' values are pooled
        /// into each point); default: one curve per combination of the other axes.
        #[arg(long, value_name = "AXIS")]
        group: Option<String>,
        /// One figure: the success rate (success.*), the recovery error (error.*) or the training
        /// and test losses (loss.*); default: success and error (with a planted filter), else loss.
        #[arg(long, value_name = "FIGURE", value_parser = |t: &str| Metric::parse(t).map_err(|_| "choose rate, error or loss"))]
        metric: Option<Metric>,
        /// A log x axis (chosen anyway when x spans two decades or more).
        #[arg(long)]
        log_x: bool,
    },
}

fn parse_step(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(step) if step > 0.0 && step < 1.0 => Ok(step),
        _ => Err(format!("`{text}` is not a step between 0 and 1 (a difference of success rates, e.g. 0.2)")),
    }
}

fn parse_param_axis(text: &str) -> Result<(String, Vec<f64>), String> {
    let (name, list) = text.split_once('=').ok_or("write NAME=LIST, e.g. d=8,16,24")?;
    let name = name.trim();
    if !cnr_driver::is_parameter_name(name) {
        return Err(format!("`{name}` is not a parameter name"));
    }
    Ok((name.to_string(), grid::parse_numbers(list).map_err(|e| e.0)?))
}

/// `cnr sweep …`.
pub fn run(args: SweepArgs) -> Result<(), Failed> {
    match &args.command {
        Some(SweepCommand::Merge { parts, out, force }) => return merge(parts, out, *force),
        Some(SweepCommand::Plot { dir, x, group, metric, log_x }) => {
            let choice = Choice { x: x.clone(), group: group.clone(), metric: *metric, log_x: *log_x };
            return plot(dir, &choice);
        }
        None => {}
    }
    let model_path =
        args.model.as_deref().ok_or_else(|| usage("name the model: `cnr sweep MODEL --out DIR …`"))?;
    let out_dir = args.out.clone().ok_or_else(|| usage("name the results folder: `--out DIR`"))?;
    refuse_a_file(&out_dir)?;
    let model = ModelFile::read(model_path)?;
    let settings: Vec<Setting> = args
        .set
        .iter()
        .map(|(key, value)| Setting::Statement { key: key.clone(), value: value.clone() })
        .collect();
    let jobs =
        args.jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    if args.refine_axis.is_some() && args.shard.is_some() {
        return Err(usage(
            "--refine-axis adds cells as the trials show where: run it on the whole grid, not a --shard",
        ));
    }
    let mut experiment = Experiment::new(SweepRequest {
        text: model.text.clone(),
        name: model.stem.clone(),
        source_name: model.name.clone(),
        flags: of_args(&args)?,
        settings,
        refine_gd: args.refine_gd.map(|steps| steps as usize),
        method: MethodChoice::from(args.method),
        backend: args.backend,
        max_memory: args.max_memory,
        jobs,
        shards: args.shard.map_or(1, |s| s.count),
    })
    .map_err(|e| report_error(e.into()))?;
    let first_trials = experiment.grid.cells() * experiment.trials;
    // A folder this sweep refined before holds its larger grid: the same command resumes it.
    if !args.force {
        experiment.adopt_refined_grid(&out_dir).map_err(report_error)?;
    }
    let files = &model.files;
    let prepared = experiment.prepare(files).map_err(report_error)?;
    if let Some(w) = &prepared.warnings {
        warn(&w.errors.render())?;
    }
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let manifest = experiment.manifest(&model_path.display().to_string(), &prepared, shard);
    let mut progress: Option<SweepProgress> = None;
    let start = Instant::now();
    let mut on_event = |event: Progress| {
        match event {
            Progress::Started { todo, resumed } => {
                if todo > 0 {
                    // Every trial is in the folder once it ends: say so before anyone reaches
                    // for Ctrl-C, which ends the command without a word (exit 130).
                    err(&format!(
                        "sweep: {todo} trials to run into `{}` ({resumed} there already), each saved as it ends; if it is stopped (Ctrl-C), run the same command again to resume\n",
                        out_dir.display()
                    ));
                }
                // A round of refinement starts a new count: the last one's line is finished.
                if let Some(p) = progress.as_mut() {
                    p.finish();
                }
                progress = Some(SweepProgress::new(todo, resumed))
            }
            Progress::Trial { recovered, .. } => {
                if let Some(p) = progress.as_mut() {
                    p.trial(recovered)
                }
            }
        }
        Ok(())
    };
    let outcome = cnr_sweep::folder::run(
        &experiment,
        &prepared,
        files,
        &manifest,
        &out_dir,
        args.force,
        jobs,
        &mut on_event,
    );
    let outcome = match (outcome, args.refine_axis) {
        (Ok(first), Some(step)) => {
            let resumed_at_start = first.resumed;
            let budget = args.refine_budget.map_or(4 * first_trials, |b| b as usize);
            let refinement = cnr_sweep::refine::Refinement { step, budget };
            cnr_sweep::folder::refine(
                &mut experiment,
                first,
                files,
                manifest,
                &out_dir,
                jobs,
                refinement,
                &mut on_event,
            )
            .map(|refined| {
                refinement_report(&refined, step);
                // What this command ran: every round's trials, beside those found at the start.
                cnr_sweep::folder::Finished { resumed: resumed_at_start, ..refined.finished }
            })
        }
        (outcome, _) => outcome,
    };
    if let Some(p) = progress.as_mut() {
        p.finish();
    }
    let finished = outcome.map_err(report_error)?;
    let (written, resumed) = (&finished.written, finished.resumed);
    let (units, todo) = (finished.trials, finished.trials - finished.resumed);
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    out(&format!(
        "sweep: {} trials of {} cells ({} run now, {} resumed) in {:.1} s\n  {}\n  {}\n",
        units,
        experiment.grid.cells(),
        todo,
        resumed,
        start.elapsed().as_secs_f64(),
        out_dir.join(store::RESULTS).display(),
        names.join("\n  ")
    ))
}

/// What the refinement added, and why it stopped, on standard error.
fn refinement_report(refined: &cnr_sweep::folder::Refined, step: f64) {
    use cnr_sweep::folder::RefineEnd;
    for (round, values) in refined.added.iter().enumerate() {
        let list: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        err(&format!("refine-axis: round {} added {}\n", round + 1, list.join(", ")));
    }
    err(&match refined.end {
        RefineEnd::Resolved => format!("refine-axis: no neighbours' rates differ by more than {step}\n"),
        RefineEnd::Budget(trials) => format!(
            "refine-axis: stopped: the next round would make {trials} trials, over --refine-budget; neighbours still differ by more than {step}\n"
        ),
        RefineEnd::Rounds => format!(
            "refine-axis: stopped after {} rounds; neighbours may still differ by more than {step}\n",
            cnr_sweep::refine::MAX_ROUNDS
        ),
    });
}

/// The sweep's specification from the flags.
fn of_args(args: &SweepArgs) -> Result<SweepSpec, Failed> {
    let counts = match (&args.samples, &args.ratio) {
        (Some(_), Some(_)) => {
            return Err(usage("give --samples or --ratio, not both: they are the same axis"))
        }
        (Some(List(values)), None) => Some(Axis::Samples { values: values.clone() }),
        (None, Some(List(values))) => Some(Axis::Ratio { values: values.clone() }),
        (None, None) => None,
    };
    let mut params: Vec<(String, Vec<f64>)> = Vec::new();
    for (name, values) in &args.params {
        if params.iter().any(|(n, _)| n == name) {
            return Err(usage(&format!("--param {name}=… is given twice")));
        }
        params.push((name.clone(), values.clone()));
    }
    let activation = match &args.activation {
        Some(list) => Some(activations(list).map_err(|e| usage(&e.0))?),
        None => None,
    };
    let anchor = match &args.anchor {
        Some(list) => Some(anchors(list).map_err(|e| usage(&e.0))?),
        None => None,
    };
    Ok(SweepSpec {
        counts,
        params,
        activation,
        noise: args.noise.as_ref().map(|List(v)| v.clone()),
        anchor,
        restarts: args.restarts.as_ref().map(|List(v)| v.clone()),
        refine: args.refine.as_ref().map(|List(v)| v.clone()),
        trials: args.trials,
        seed: args.seed,
        threshold: args.threshold,
        baseline: args.baseline.as_deref().map(|b| b == "gd"),
    })
}

/// Refuses a results folder that is a file, or lies under one, before any work (rather than the
/// system's "File exists (os error 17)" once the trials are prepared).
fn refuse_a_file(out_dir: &Path) -> Result<(), Failed> {
    match crate::io::file_instead_of_folder(out_dir) {
        Some(file) => Err(failure(&format!(
            "cannot use `{}` as the results folder: `{}` is a file, not a folder; give --out another folder (it is created if missing)",
            out_dir.display(),
            file.display()
        ))),
        None => Ok(()),
    }
}

fn report_error(e: SweepError) -> Failed {
    match e {
        SweepError::Model(cell) => {
            err(&cell.errors.render());
            failure(&format!("the model does not compile with {}", cell.flags))
        }
        SweepError::Spec(SpecError::Block(errors)) => fail(cnr_driver::Error::Model(errors)),
        SweepError::Spec(e) => usage(&e.to_string()),
        SweepError::Store(e) => failure(&e.to_string()),
        SweepError::Driver(e) => fail(e),
        SweepError::Stopped(why) => failure(why),
    }
}

fn merge(parts: &[PathBuf], out_dir: &Path, force: bool) -> Result<(), Failed> {
    let same = |a: &Path, b: &Path| {
        a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
    };
    refuse_a_file(out_dir)?;
    if parts.iter().any(|p| same(p, out_dir)) {
        return Err(usage("merge into a folder that is not one of the parts"));
    }
    let (manifest, rows, report) =
        store::merge(parts, out_dir, force).map_err(|e| failure(&e.to_string()))?;
    if !report.missing_shards.is_empty() {
        let list: Vec<String> =
            report.missing_shards.iter().map(|i| format!("{i}/{}", report.shards)).collect();
        err(&format!(
            "warning: no part holds shard(s) {}; the merged results are partial\n",
            list.join(", ")
        ));
    }
    if report.missing_trials > 0 {
        err(&format!(
            "warning: {} trials of the grid are in no part (not run yet?)\n",
            report.missing_trials
        ));
    }
    out(&format!(
        "merged {} part{}: {} rows of {} cells → {}\n",
        parts.len(),
        if parts.len() == 1 { "" } else { "s" },
        rows.len(),
        manifest.grid.cells(),
        out_dir.join(store::RESULTS).display()
    ))
}

/// `cnr sweep plot DIR …`: the figures redrawn from the folder's rows.
fn plot(dir: &Path, choice: &Choice) -> Result<(), Failed> {
    let written = store::replot(dir, choice).map_err(|e| match e {
        store::ReplotError::Choice(message) => usage(&message),
        store::ReplotError::Folder(e) => failure(&e.to_string()),
    })?;
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    out(&format!(
        "plot: {} files from {}\n  {}\n",
        written.len(),
        dir.join(store::RESULTS).display(),
        names.join("\n  ")
    ))
}
