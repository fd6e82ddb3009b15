//! The command line's flags: the commands, their arguments and the parsers of their values.

use crate::memory;
use clap::{Args, Parser, Subcommand, ValueEnum};
use cnr_driver::{Backend, MethodChoice, Setting};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Examples:
  cnr check examples/paper_relu.cnr
  cnr solve examples/paper_relu.cnr --json
  cnr compile examples/softplus.cnr --emit cbf -o softplus.cbf

Exit codes:
  0  success (for solve: status optimal)
  1  a user error: bad model, bad data, unsupported input, a file that cannot be read or written
  2  a usage error on the command line
  3  solve: the program is infeasible
  4  solve: the program is unbounded
  5  solve: the iteration or time limit was reached
  6  solve: the solver ended inaccurate or with a numerical error";

#[derive(Parser)]
#[command(
    name = "cnr",
    version,
    about = "A modeling language and compiler for convex relaxations of one-hidden-layer CNNs",
    after_help = EXIT_CODES,
    after_long_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Treat warnings about a model as errors (exit 1), for scripts and CI.
    #[arg(long, global = true)]
    pub deny_warnings: bool,
}

#[derive(Subcommand)]
pub enum Command {
    /// Parse and check models, and print a summary of each.
    #[command(
        after_help = "Example:\n  cnr check examples/paper_relu.cnr\n  cnr check examples/*.cnr --samples 50"
    )]
    Check {
        /// Model files (`.cnr`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Rewrite models in canonical form (comments are kept).
    #[command(after_help = "Example:\n  cnr fmt examples/paper_relu.cnr\n  cnr fmt --check examples/*.cnr")]
    Fmt {
        /// Model files (`.cnr`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Report files that are not in canonical form instead of rewriting them (exit 1 if any).
        #[arg(long)]
        check: bool,
    },
    /// Lower a model to its cone program and write it (or convert a `.cbf` or `.json` program).
    #[command(
        after_help = "Example:\n  cnr compile examples/paper_relu.cnr --emit ir --samples 4\n  cnr compile examples/softplus.cnr --emit cbf -o softplus.cbf"
    )]
    Compile {
        /// The model file (`.cnr`), or a program to convert (`.cbf`, `.json`).
        file: PathBuf,
        /// What to write: the printed IR, its JSON form, or a CBF file.
        #[arg(long, value_enum, default_value_t = Emit::Ir)]
        emit: Emit,
        /// Where to write it (written atomically); standard output if absent.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Write a model's samples as NumPy files, for other tools, and print the `data files` block
    /// that reads them back (its paths from the current folder).
    #[command(
        after_help = "Example:\n  cnr data examples/paper_relu.cnr --out paper_data\n  cnr data examples/bench_relu.cnr --samples 20000 --seed 3 --out big"
    )]
    Data {
        /// The model file (`.cnr`).
        file: PathBuf,
        /// The folder to write `x.npy`, `y.npy` and (when known) `w.npy` and `b.npy` into (created
        /// if missing; files in it are replaced atomically).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Evaluate given filters on a model's data: violation, training loss and recovery error.
    #[command(
        after_help = "Example:\n  cnr eval examples/paper_relu.cnr --filter w.npy\n  cnr eval examples/paper_relu.cnr --filter w.csv --json"
    )]
    Eval {
        /// The model file (`.cnr`).
        file: PathBuf,
        /// The filters: `M·d` numbers in a `.npy` or CSV file (filter after filter), or a solve's
        /// record (`.json`, as `cnr solve -o FILE.json` writes): its `w`, and its `b` as the biases.
        #[arg(long, value_name = "FILE", required_unless_present = "network", conflicts_with = "network")]
        filter: Option<PathBuf>,
        /// A trained network instead (`output learned`): the record `cnr solve -o FILE.json`
        /// writes, evaluated on the model's training and test sets.
        #[arg(long, value_name = "FILE")]
        network: Option<PathBuf>,
        /// The biases (`M` numbers), for a network with biases (unless `--filter` is a record).
        #[arg(long, value_name = "FILE")]
        bias: Option<PathBuf>,
        /// Print one JSON object instead of the human report.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Predict with a trained network (`output learned`) on new inputs.
    #[command(
        after_help = "Example:\n  cnr solve examples/learned/teacher.cnr -o trained.json\n  cnr predict examples/learned/teacher.cnr --network trained.json --inputs x.npy -o y.npy"
    )]
    Predict {
        /// The model file (`.cnr`) the network was trained from: its shapes.
        file: PathBuf,
        /// The training's record (`cnr solve -o FILE.json`).
        #[arg(long, value_name = "FILE")]
        network: PathBuf,
        /// The inputs: a `.npy` or CSV file of samples one a row (`C·H·W` numbers, flattened
        /// channel, row, column).
        #[arg(long, value_name = "FILE")]
        inputs: PathBuf,
        /// Write the predictions to this `.npy` file (atomically) instead of printing them.
        #[arg(short = 'o', long = "output", value_name = "FILE.npy")]
        output: Option<PathBuf>,
        /// Print one JSON array instead of one number a line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Solve a model (`.cnr`) or a cone program (`.cbf`, or `.json` as `compile --emit json` writes).
    #[command(
        after_help = "Example:\n  cnr solve examples/paper_relu.cnr\n  cnr solve examples/paper_relu.cnr --samples 64 --seed 3 --json\n  cnr solve program.cbf --backend good_lp\n  cnr solve softplus.cbf --tolerance 1e-6"
    )]
    Solve {
        /// A model (`.cnr`), a CBF file (`.cbf`) or a JSON program (`.json`).
        file: PathBuf,
        /// The solver: `clarabel` (every cone), `good_lp` (linear programs, with microlp) or
        /// `good_lp:SOLVER` (`highs`, `coin_cbc`, `clarabel`, when built with their features);
        /// overrides the model's `solver { backend … }`.
        #[arg(long, value_name = "NAME", value_parser = Backend::parse)]
        backend: Option<Backend>,
        /// Print one JSON object instead of the human report.
        #[arg(long)]
        json: bool,
        /// Show the solver's own log.
        #[arg(long)]
        verbose: bool,
        /// Absolute and relative tolerance; overrides the model's `solver { tolerance … }` (default 1e-7).
        #[arg(long, value_name = "X", allow_hyphen_values = true, value_parser = parse_tolerance)]
        tolerance: Option<f64>,
        /// How to solve a model: `auto` (the w-space method where it applies — no penalty, no
        /// backend named — else cutting planes when the whole program has more than 20,000 rows,
        /// else the whole program), the whole program, cutting planes over the samples, or the
        /// w-space method.
        #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
        method: MethodArg,
        /// Also write the result to a file (atomically): the record as JSON (`.json`), or the
        /// filters as a NumPy array (`.npy`: `d` numbers, or `M × d`; for a program, `x`).
        /// Repeatable: `-o sol.json -o w.npy` writes both.
        #[arg(short, long, value_name = "FILE")]
        output: Vec<PathBuf>,
        /// Show the phase of a long solve on standard error even when it is not a terminal (on a
        /// terminal it is shown anyway, after a second).
        #[arg(long)]
        progress: bool,
        /// Threads for lowering and evaluating (default: all cores).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=cnr_driver::bounds::MAX_THREADS as i64))]
        threads: Option<u16>,
        /// Refine the relaxation's point by gradient descent on the training loss: `gd` (at most
        /// 1000 steps) or `gd=STEPS`; the report and the record (`refined`) show both points.
        #[arg(long, value_name = "gd[=STEPS]", value_parser = parse_refine)]
        refine: Option<usize>,
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Run a phase-transition experiment: trials of a model over a grid of sample counts,
    /// parameters, activations and noise levels, with resumable results, a summary and plots.
    #[command(
        after_help = "Examples:\n  cnr sweep examples/params_relu.cnr --ratio 0.5:8:0.5 --param d=8,16 --trials 20 --out runs/relu\n  cnr sweep examples/params_relu.cnr --ratio 1:6:1 --activation relu,softplus --baseline gd --out runs/act\n  cnr sweep examples/params_relu.cnr --ratio 1:6:1 --shard 0/4 --out runs/part0\n  cnr sweep merge runs/part0 runs/part1 runs/part2 runs/part3 --out runs/all\n  cnr sweep plot runs/relu --x d --group ratio --metric error"
    )]
    Sweep(Box<crate::commands::sweep::SweepArgs>),
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum MethodArg {
    /// The w-space method where it applies (no penalty, no backend named); else cutting planes
    /// for large programs, else the whole program. Learned output weights: the exact form by
    /// first-order above 1,000,000 sign rows and by cutting planes above 30,000, the gated form by
    /// first-order above 500,000 non-zeros, else the whole program.
    Auto,
    /// The whole program at once.
    Full,
    /// Cutting planes over the samples; for learned output weights (exact form), over the sign
    /// rows.
    CuttingPlane,
    /// Cuts in the filters' own space, solved by cnr's dual simplex (a penalty goes to the whole program).
    Wspace,
    /// Learned output weights: accelerated proximal gradient with a duality-gap certificate, each
    /// group of the exact form projected onto its sign rows' cone (docs/learned.md).
    FirstOrder,
}

impl From<MethodArg> for MethodChoice {
    fn from(method: MethodArg) -> MethodChoice {
        match method {
            MethodArg::Auto => MethodChoice::Auto,
            MethodArg::Full => MethodChoice::Full,
            MethodArg::CuttingPlane => MethodChoice::CuttingPlane,
            MethodArg::Wspace => MethodChoice::WSpace,
            MethodArg::FirstOrder => MethodChoice::FirstOrder,
        }
    }
}

#[derive(Args, Clone, Default)]
pub struct OverrideArgs {
    /// Number of samples (replaces the model's).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_samples)]
    pub samples: Option<u64>,
    /// Seed of the planted model (replaces the model's): 0 … 2^53 − 1, as in a model.
    #[arg(long, value_name = "S", allow_hyphen_values = true, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Noise level of the planted labels (replaces the model's).
    #[arg(long, value_name = "X", allow_hyphen_values = true, value_parser = parse_noise)]
    pub noise: Option<f64>,
    /// Sets a statement of `network`, `relax`, `learn`, `solver`, `data planted` or `data files`,
    /// checked as if it were written in the model: `--set relax.anchor=spectral`, `--set
    /// "relax.penalty=l2 2"`, `--set learn.form=gated`, `--set solver.max_iter=500`, `--set
    /// data.seed=3`, `--set 'data.inputs="x2.npy"'`. Repeatable.
    #[arg(long = "set", value_name = "BLOCK.STATEMENT=VALUE", value_parser = parse_setting)]
    pub set: Vec<(String, String)>,
    /// Removes a statement from the model, as if it were not written: `--unset relax.penalty`,
    /// `--unset relax.bound`. Repeatable.
    #[arg(long = "unset", value_name = "BLOCK.STATEMENT")]
    pub unset: Vec<String>,
    /// Gives a parameter of the model (`param d = 16`) another value: `--param d=24`,
    /// `--param "lam=2*a"`. Repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE", allow_hyphen_values = true, value_parser = parse_param)]
    pub param: Vec<(String, String)>,
    /// The most memory the model's data and program (or a CBF program) may take: `8G`, `500M`
    /// (powers of 1024). A model over it is refused before anything is allocated. Default: half of
    /// the machine's memory.
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true, value_parser = memory::parse_size)]
    pub max_memory: Option<u64>,
}

/// `KEY=VALUE`, both parts non-empty, trimmed; `example` shows the form in the error.
fn key_value(s: &str, example: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() && !value.trim().is_empty() => {
            Ok((key.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!("write {example}")),
    }
}

pub fn parse_param(s: &str) -> Result<(String, String), String> {
    key_value(s, "NAME=VALUE, e.g. d=24")
}

pub fn parse_setting(s: &str) -> Result<(String, String), String> {
    key_value(s, "BLOCK.STATEMENT=VALUE, e.g. relax.anchor=spectral")
}

fn parse_seed(s: &str) -> Result<u64, String> {
    const MAX: u64 = cnr_driver::bounds::MAX_SEED;
    match s.parse::<i128>() {
        Ok(x) if (0..=MAX as i128).contains(&x) => Ok(x as u64),
        Ok(_) => Err(format!("the seed must be a whole number from 0 to 2^53 − 1 = {MAX}, as in a model")),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

/// The gradient steps of `--refine gd` (and `cnr sweep --refine-gd`) when not given.
pub const REFINE_STEPS: usize = 1000;

/// The most gradient steps `--refine gd=STEPS` and `cnr sweep --refine-gd=STEPS` take.
pub const MAX_REFINE_STEPS: u64 = cnr_driver::bounds::MAX_REFINE_STEPS as u64;

/// `--refine gd` or `gd=STEPS`: the steps of gradient descent from the relaxation's point.
fn parse_refine(s: &str) -> Result<usize, String> {
    const MAX: usize = MAX_REFINE_STEPS as usize;
    let steps = match s.split_once('=') {
        None if s == "gd" => return Ok(REFINE_STEPS),
        Some(("gd", steps)) => steps,
        _ if s.parse::<u64>().is_ok() => {
            return Err(format!(
                "write `gd` or `gd=STEPS` (gradient descent from the relaxation's point); to solve again from the filter found, at most {s} times, use --set relax.refine={s}"
            ))
        }
        _ => return Err("write `gd` or `gd=STEPS`: gradient descent from the relaxation's point".into()),
    };
    match steps.parse::<usize>() {
        Ok(n) if (1..=MAX).contains(&n) => Ok(n),
        _ => Err(format!("`{steps}` steps: give a whole number from 1 to {MAX}, e.g. gd=500")),
    }
}

/// A sample count: `-3` is a wrong count (not a flag, as clap would take it).
fn parse_samples(s: &str) -> Result<u64, String> {
    match s.parse::<i128>() {
        Ok(n) if (1..=i128::from(u32::MAX)).contains(&n) => Ok(n as u64),
        _ => Err(format!("the number of samples is a whole number from 1 to {}, not `{s}`", u32::MAX)),
    }
}

fn parse_tolerance(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if cnr_driver::bounds::tolerance_ok(x) => Ok(x),
        Ok(_) => Err("the tolerance must be a number between 0 and 1".into()),
        Err(_) => Err(format!("`{s}` is not a number")),
    }
}

fn parse_noise(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if cnr_driver::bounds::noise_ok(x) => Ok(x),
        Ok(_) => Err("the noise level must be a finite number ≥ 0".into()),
        Err(_) => Err(format!("`{s}` is not a number")),
    }
}

impl OverrideArgs {
    /// Whether any flag changes the model (they apply to models, not to program files).
    pub fn any(&self) -> bool {
        self.samples.is_some()
            || self.seed.is_some()
            || self.noise.is_some()
            || !self.set.is_empty()
            || !self.param.is_empty()
            || !self.unset.is_empty()
    }

    /// The flags as the driver's settings.
    pub fn settings(&self) -> Vec<Setting> {
        let params = self
            .param
            .iter()
            .map(|(name, value)| Setting::Param { name: name.clone(), value: value.clone() });
        let sets =
            self.set.iter().map(|(key, value)| Setting::Statement { key: key.clone(), value: value.clone() });
        let unsets = self.unset.iter().map(|key| Setting::Unset { key: key.clone() });
        let overrides = [
            self.samples.map(Setting::Samples),
            self.seed.map(Setting::Seed),
            self.noise.map(Setting::Noise),
        ];
        params.chain(sets).chain(unsets).chain(overrides.into_iter().flatten()).collect()
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Emit {
    /// The printed IR.
    Ir,
    /// The IR as JSON.
    Json,
    /// A CBF file for external conic solvers.
    Cbf,
}
