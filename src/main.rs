//! `cnr`: the command line of the cnr modeling language. It reads files, runs the pipeline
//! (parse → check → lower → solve or write) and prints results; everything else lives in the crates.
#![forbid(unsafe_code)]

mod io;
mod memory;
mod progress;
mod render;
mod report;
mod sweep;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cnr_check::budget::ProgramScope;
use cnr_check::Overrides;
use cnr_driver::{Backend, Compiled, MethodChoice, Setting, SolveOptions as DriverOptions};
use cnr_ir::{ConeProgram, SolverSettings};
use cnr_syntax::Source;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

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
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Treat warnings about a model as errors (exit 1), for scripts and CI.
    #[arg(long, global = true)]
    deny_warnings: bool,
}

#[derive(Subcommand)]
enum Command {
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
    /// Write a model's samples as NumPy files, for other tools (and for `data files`).
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
        /// The filters: `M·d` numbers in a `.npy` or CSV file (filter after filter).
        #[arg(long, value_name = "FILE")]
        filter: PathBuf,
        /// The biases (`M` numbers), for a network with biases.
        #[arg(long, value_name = "FILE")]
        bias: Option<PathBuf>,
        /// Print one JSON object instead of the human report.
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
        /// How to solve a model: the whole program, cutting planes over the samples (an exact method
        /// that solves small programs), or `auto`: cutting planes when the whole program has more
        /// than 20,000 rows.
        #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
        method: MethodArg,
        /// Also write the result to a file (atomically): the record as JSON (`.json`), or the
        /// filters as a NumPy array (`.npy`: `d` numbers, or `M × d`; for a program, `x`).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Show the phase of a long solve on standard error even when it is not a terminal (on a
        /// terminal it is shown anyway, after a second).
        #[arg(long)]
        progress: bool,
        /// Threads for lowering and evaluating (default: all cores).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Run a phase-transition experiment: trials of a model over a grid of sample counts,
    /// parameters, activations and noise levels, with resumable results, a summary and plots.
    #[command(
        after_help = "Examples:\n  cnr sweep examples/params_relu.cnr --ratio 0.5:8:0.5 --param d=8,16 --trials 20 --out runs/relu\n  cnr sweep examples/params_relu.cnr --ratio 1:6:1 --activation relu,softplus --baseline gd --out runs/act\n  cnr sweep examples/params_relu.cnr --ratio 1:6:1 --shard 0/4 --out runs/part0\n  cnr sweep merge runs/part0 runs/part1 runs/part2 runs/part3 --out runs/all"
    )]
    Sweep(sweep::SweepArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum MethodArg {
    /// Cutting planes for large programs, else the whole program.
    Auto,
    /// The whole program at once.
    Full,
    /// Cutting planes over the samples.
    CuttingPlane,
}

impl From<MethodArg> for MethodChoice {
    fn from(method: MethodArg) -> MethodChoice {
        match method {
            MethodArg::Auto => MethodChoice::Auto,
            MethodArg::Full => MethodChoice::Full,
            MethodArg::CuttingPlane => MethodChoice::CuttingPlane,
        }
    }
}

#[derive(Args, Clone, Default)]
struct OverrideArgs {
    /// Number of samples (replaces the model's).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=u32::MAX as u64))]
    samples: Option<u64>,
    /// Seed of the planted model (replaces the model's): 0 … 2^53 − 1, as in a model.
    #[arg(long, value_name = "S", allow_hyphen_values = true, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Noise level of the planted labels (replaces the model's).
    #[arg(long, value_name = "X", allow_hyphen_values = true, value_parser = parse_noise)]
    noise: Option<f64>,
    /// Sets a statement of `relax`, `solver` or `data planted`, checked as if it were written in
    /// the model: `--set relax.anchor=spectral`, `--set "relax.penalty=l2 2"`,
    /// `--set solver.max_iter=500`, `--set data.seed=3`. Repeatable.
    #[arg(long = "set", value_name = "BLOCK.STATEMENT=VALUE", value_parser = parse_setting)]
    set: Vec<(String, String)>,
    /// Gives a parameter of the model (`param d = 16`) another value: `--param d=24`,
    /// `--param "lam=2*a"`. Repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE", allow_hyphen_values = true, value_parser = parse_param)]
    param: Vec<(String, String)>,
    /// The most memory the model's data and program (or a CBF program) may take: `8G`, `500M`
    /// (powers of 1024). A model over it is refused before anything is allocated. Default: half of
    /// the machine's memory.
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true, value_parser = memory::parse_size)]
    max_memory: Option<u64>,
    /// How much of the program the command builds at once (set by the command, not a flag).
    #[arg(skip)]
    program: ProgramScope,
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

fn parse_param(s: &str) -> Result<(String, String), String> {
    key_value(s, "NAME=VALUE, e.g. d=24")
}

pub(crate) fn parse_setting(s: &str) -> Result<(String, String), String> {
    key_value(s, "BLOCK.STATEMENT=VALUE, e.g. relax.anchor=spectral")
}

fn parse_seed(s: &str) -> Result<u64, String> {
    const MAX: u64 = (1 << 53) - 1;
    match s.parse::<i128>() {
        Ok(x) if (0..=MAX as i128).contains(&x) => Ok(x as u64),
        Ok(_) => Err(format!("the seed must be a whole number from 0 to 2^53 − 1 = {MAX}, as in a model")),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

fn parse_tolerance(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        Ok(_) => Err("the tolerance must be a number between 0 and 1".into()),
        Err(_) => Err(format!("`{s}` is not a number")),
    }
}

fn parse_noise(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(x),
        Ok(_) => Err("the noise level must be a finite number ≥ 0".into()),
        Err(_) => Err(format!("`{s}` is not a number")),
    }
}

impl OverrideArgs {
    fn to_overrides(&self) -> Overrides {
        Overrides {
            samples: self.samples.map(|n| n as usize),
            seed: self.seed,
            noise: self.noise,
            max_memory: Some(self.budget()),
            program: self.program,
        }
    }

    /// The memory budget: `--max-memory`, else half of the machine's memory.
    fn budget(&self) -> u64 {
        self.max_memory.unwrap_or_else(memory::machine_budget)
    }

    fn any(&self) -> bool {
        self.samples.is_some()
            || self.seed.is_some()
            || self.noise.is_some()
            || !self.set.is_empty()
            || !self.param.is_empty()
    }

    /// The `--param` and `--set` flags, in that order (parameters first: a setting may use them).
    fn settings(&self) -> Vec<Setting> {
        let params = self
            .param
            .iter()
            .map(|(name, value)| Setting::Param { name: name.clone(), value: value.clone() });
        let sets =
            self.set.iter().map(|(key, value)| Setting::Statement { key: key.clone(), value: value.clone() });
        params.chain(sets).collect()
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    /// The printed IR.
    Ir,
    /// The IR as JSON.
    Json,
    /// A CBF file for external conic solvers.
    Cbf,
}

/// A failure already explained to the user on standard error; carries the exit code (0 for a
/// standard output that was closed by its reader, which ends the command quietly).
struct Failed(u8);

/// Writes to standard output. A closed pipe (`cnr check … | head -1`) ends the command quietly with
/// status 0, as grep and ripgrep do; any other failure, such as a full disk, is an error.
fn out(text: &str) -> Result<(), Failed> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failed(0)),
        Err(e) => {
            err(&render::plain_error(
                &format!("cannot write to standard output: {}", io::describe_io(&e)),
                None,
            ));
            Err(Failed(1))
        }
    }
}

/// Writes to standard error; a failure there has nowhere left to be reported, and is ignored.
fn err(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Whether `--deny-warnings` was given: set once in `main`, read where models are loaded.
static DENY_WARNINGS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn main() -> ExitCode {
    let cli = Cli::parse();
    DENY_WARNINGS.store(cli.deny_warnings, std::sync::atomic::Ordering::Relaxed);
    let result = match cli.command {
        Command::Check { files, overrides } => check(&files, &overrides),
        Command::Fmt { files, check } => fmt(&files, check),
        Command::Data { file, out, mut overrides } => {
            overrides.program = ProgramScope::None;
            export_data(&file, &out, &overrides)
        }
        Command::Eval { file, filter, bias, json, mut overrides } => {
            overrides.program = ProgramScope::None;
            evaluate(&file, &filter, bias.as_deref(), json, &overrides)
        }
        Command::Compile { file, emit, output, overrides } => {
            compile(&file, emit, output.as_deref(), &overrides)
        }
        Command::Solve {
            file,
            backend,
            json,
            verbose,
            tolerance,
            method,
            output,
            progress,
            threads,
            mut overrides,
        } => {
            // Only a full solve builds the whole program; the others check each program they build.
            if !matches!(method, MethodArg::Full) {
                overrides.program = ProgramScope::FirstSubset;
            }
            let method = MethodChoice::from(method);
            // The solver's own log (`--verbose`) and a progress line would garble each other.
            let ticker = if verbose { None } else { progress::Ticker::start(progress) };
            let options = DriverOptions {
                method,
                tolerance,
                verbose,
                threads: threads.map(usize::from),
                progress: ticker.as_ref().map(progress::Ticker::callback),
            };
            let result = solve(&file, backend, json, output.as_deref(), &options, &overrides);
            drop(ticker);
            result
        }
        Command::Sweep(args) => sweep::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed(code)) => ExitCode::from(code),
    }
}

/// Reads a text file, turning every failure into a rendered error.
fn read_source(path: &Path) -> Result<Source, Failed> {
    let name = path.display().to_string();
    let bytes = io::read_regular(path).map_err(|e| {
        err(&render::plain_error(&format!("cannot read `{name}`: {}", io::describe_io(&e)), None));
        Failed(1)
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source::new(name, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let source = Source::new(name, text);
            // The lossy text has the same prefix, so the offset of the first bad byte is valid in it.
            let d = cnr_syntax::Diagnostic::error(
                cnr_syntax::Span::new(at, at + 1),
                "the file is not valid UTF-8 text",
            )
            .with_label("invalid byte")
            .with_hint("save the model as UTF-8");
            err(&render::render(&source, &[d]));
            Err(Failed(1))
        }
    }
}

/// Parses and checks a model file, and resolves its backend (`backend` overrides the model's).
fn load_model(
    path: &Path,
    overrides: &OverrideArgs,
    backend: Option<Backend>,
) -> Result<(Source, Compiled), Failed> {
    let file = read_source(path)?;
    let stem = path.file_stem().map_or("model".to_string(), |s| s.to_string_lossy().into_owned());
    let base = path.parent().map_or(PathBuf::from("."), Path::to_path_buf);
    let files = io::DiskFiles { base };
    // `--set` settings are appended to the text, so that their diagnostics show them.
    let text = cnr_driver::with_settings(&file.text, &overrides.settings()).map_err(|message| {
        err(&render::plain_error(&message, None));
        Failed(2)
    })?;
    let file_len = file.text.len();
    let source = Source::new(file.name, text);
    let compiled = cnr_driver::compile_with_settings(
        &source.text,
        file_len,
        &stem,
        &files,
        &overrides.to_overrides(),
        backend,
    );
    match compiled {
        Ok(compiled) => {
            if !compiled.warnings.is_empty() {
                err(&render::render(&source, &compiled.warnings));
                if DENY_WARNINGS.load(std::sync::atomic::Ordering::Relaxed) {
                    err("error: warnings are denied (--deny-warnings)\n");
                    return Err(Failed(1));
                }
            }
            Ok((source, compiled))
        }
        Err(diags) => {
            err(&render::render(&source, &diags));
            Err(Failed(1))
        }
    }
}

fn check(files: &[PathBuf], overrides: &OverrideArgs) -> Result<(), Failed> {
    let mut failed = false;
    for (k, path) in files.iter().enumerate() {
        match load_model(path, overrides, None) {
            Ok((source, compiled)) => {
                if k > 0 {
                    out("\n")?;
                }
                out(&report::summary(&source.name, &compiled.model, &compiled.plan))?;
            }
            Err(_) => failed = true,
        }
    }
    if failed {
        Err(Failed(1))
    } else {
        Ok(())
    }
}

fn fmt(files: &[PathBuf], check_only: bool) -> Result<(), Failed> {
    let mut failed = false;
    for path in files {
        let Ok(source) = read_source(path) else {
            failed = true;
            continue;
        };
        let parsed = match cnr_syntax::parse(&source.text) {
            Ok(f) => f,
            Err(d) => {
                err(&render::render(&source, &[d]));
                failed = true;
                continue;
            }
        };
        let formatted = cnr_syntax::format(&parsed);
        if formatted == source.text {
            continue;
        }
        if check_only {
            err(&format!("{} is not in canonical form (run `cnr fmt {}`)\n", source.name, source.name));
            failed = true;
        } else if let Err(e) = io::write_atomic(path, |w| w.write_all(formatted.as_bytes())) {
            err(&render::plain_error(
                &format!("cannot write `{}`: {}", source.name, io::describe_io(&e)),
                None,
            ));
            failed = true;
        }
    }
    if failed {
        Err(Failed(1))
    } else {
        Ok(())
    }
}

/// The kind of a program file, by its extension: CBF or cnr's JSON form of the IR; `None` for a
/// model.
#[derive(Clone, Copy)]
enum ProgramFile {
    Cbf,
    Json,
}

fn program_file(path: &Path) -> Option<ProgramFile> {
    let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
    match ext.as_str() {
        "cbf" => Some(ProgramFile::Cbf),
        "json" => Some(ProgramFile::Json),
        _ => None,
    }
}

/// Reads a cone program from a CBF or JSON file, with the seconds it took.
fn read_program(path: &Path, kind: ProgramFile, max_memory: u64) -> Result<(ConeProgram, f64), Failed> {
    let source = read_source(path)?;
    let name = path.file_stem().map_or("program".to_string(), |s| s.to_string_lossy().into_owned());
    let start = Instant::now();
    let program = match kind {
        ProgramFile::Cbf => {
            cnr_cbf::read_cbf_within(&source.text, &name, max_memory).map_err(|e| e.to_string())
        }
        ProgramFile::Json => ConeProgram::from_json(&source.text).map_err(|e| e.to_string()),
    };
    let program = program.map_err(|e| {
        let hint = match kind {
            ProgramFile::Cbf => "see docs/backends.md for what cnr reads",
            ProgramFile::Json => "cnr reads the JSON that `cnr compile --emit json` writes (docs/ir.md)",
        };
        err(&render::plain_error(&format!("{}: {e}", source.name), Some(hint)));
        Failed(1)
    })?;
    if let Err(e) = program.validate() {
        err(&render::plain_error(&format!("{}: the program is not valid: {e}", source.name), None));
        return Err(Failed(1));
    }
    Ok((program, start.elapsed().as_secs_f64()))
}

fn compile(path: &Path, emit: Emit, output: Option<&Path>, overrides: &OverrideArgs) -> Result<(), Failed> {
    // A program file (CBF or JSON) is converted; a model is lowered.
    let program = match program_file(path) {
        Some(kind) if !overrides.any() => read_program(path, kind, overrides.budget())?.0,
        Some(_) => {
            err(&render::plain_error(
                "--samples, --seed and --noise apply to models, not to program files",
                None,
            ));
            return Err(Failed(2));
        }
        None => cnr_lower::lower(&load_model(path, overrides, None)?.1.model),
    };
    if let Err(e) = program.validate() {
        err(&render::plain_error(&format!("internal error: the lowered program is invalid: {e}"), None));
        return Err(Failed(1));
    }
    let write = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        match emit {
            Emit::Ir => write!(w, "{program}"),
            Emit::Json => writeln!(w, "{}", program.to_json()),
            Emit::Cbf => cnr_cbf::write_cbf(&program, w, env!("CARGO_PKG_VERSION"))
                .map_err(|e| std::io::Error::other(e.to_string())),
        }
    };
    if let Some(out) = output {
        let same = |a: &Path, b: &Path| matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y);
        if same(out, path) {
            err(&render::plain_error(
                &format!(
                    "`{}` is the model itself; writing the program there would destroy it",
                    out.display()
                ),
                Some("give -o another file"),
            ));
            return Err(Failed(1));
        }
    }
    let result = match output {
        Some(out) => io::write_atomic(out, write),
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            write(&mut lock).and_then(|()| std::io::Write::flush(&mut lock))
        }
    };
    result.map_err(|e| {
        // A reader that closed standard output (`| head`) wants no more: stop quietly.
        if output.is_none() && e.kind() == std::io::ErrorKind::BrokenPipe {
            return Failed(0);
        }
        let target = output.map_or("standard output".to_string(), |p| format!("`{}`", p.display()));
        err(&render::plain_error(&format!("cannot write {target}: {}", io::describe_io(&e)), None));
        Failed(1)
    })
}

fn exit_for(status: cnr_ir::Status) -> Result<(), Failed> {
    use cnr_ir::Status::*;
    match status {
        Optimal => Ok(()),
        Infeasible => Err(Failed(3)),
        Unbounded => Err(Failed(4)),
        IterationLimit | TimeLimit => Err(Failed(5)),
        Inaccurate | NumericalError => Err(Failed(6)),
    }
}

/// Prints a record as JSON.
fn print_json(record: &impl serde::Serialize) -> Result<(), Failed> {
    out(&format!("{}\n", serde_json::to_string_pretty(record).expect("records serialise")))
}

/// `cnr data`: the model's inputs (`n × C·H·W`, each row a sample flattened channel, row, column),
/// labels (`n`), planted filters (`M × d`, or `d` for one filter) and biases (`M`), as `.npy`; then
/// prints the `data files` block that reads them back.
fn export_data(path: &Path, dir: &Path, overrides: &OverrideArgs) -> Result<(), Failed> {
    let (_, compiled) = load_model(path, overrides, None)?;
    let model = &compiled.model;
    let data = &model.data;
    if let Err(e) = std::fs::create_dir_all(dir) {
        err(&render::plain_error(
            &format!("cannot create `{}`: {}", dir.display(), io::describe_io(&e)),
            None,
        ));
        return Err(Failed(1));
    }
    let (mm, d) = (model.network.filters, model.network.d());
    let write = |name: &str, values: &[f64], shape: &[usize]| -> Result<(), Failed> {
        let target = dir.join(name);
        io::write_atomic(&target, |w| {
            use ndarray_npy::WriteNpyExt;
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), values.to_vec())
                .map_err(|e| std::io::Error::other(e.to_string()))?
                .write_npy(w)
                .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .map_err(|e| {
            err(&render::plain_error(
                &format!("cannot write `{}`: {}", target.display(), io::describe_io(&e)),
                None,
            ));
            Failed(1)
        })
    };
    write("x.npy", &data.x, &[data.n, data.input_len()])?;
    write("y.npy", &data.y, &[data.n])?;
    let mut block = "data files {\n  inputs \"x.npy\"\n  labels \"y.npy\"\n".to_string();
    if let Some(w) = &data.planted {
        let shape: &[usize] = if mm == 1 { &[d] } else { &[mm, d] };
        write("w.npy", w, shape)?;
        block.push_str("  planted \"w.npy\"\n");
    }
    if let Some(b) = &data.planted_bias {
        // No `data files` statement reads biases; they are written for other tools.
        write("b.npy", b, &[b.len()])?;
    }
    block.push_str("}\n");
    out(&block)
}

/// `cnr eval`: the model-level figures of given filters, computed exactly as for a solve's point.
fn evaluate(
    path: &Path,
    filter: &Path,
    bias: Option<&Path>,
    json: bool,
    overrides: &OverrideArgs,
) -> Result<(), Failed> {
    let (_, compiled) = load_model(path, overrides, None)?;
    let model = &compiled.model;
    let net = &model.network;
    let numbers = |file: &Path, what: &str, want: usize| -> Result<Vec<f64>, Failed> {
        let name = file.display().to_string();
        let bytes = io::read_regular(file).map_err(|e| {
            err(&render::plain_error(&format!("cannot read `{name}`: {}", io::describe_io(&e)), None));
            Failed(1)
        })?;
        let array = cnr_check::data::load_array(&name, &bytes).map_err(|e| {
            err(&render::plain_error(&format!("bad {what} file `{name}`: {e}"), None));
            Failed(1)
        })?;
        if array.values.len() != want {
            err(&render::plain_error(
                &format!("`{name}` holds {} numbers; the model's {what} need {want}", array.values.len()),
                None,
            ));
            return Err(Failed(1));
        }
        Ok(array.values)
    };
    let w = numbers(filter, "filters", net.filters * net.d())?;
    let b = match (bias, net.bias) {
        (Some(file), true) => numbers(file, "biases", net.filters)?,
        (None, true) => {
            err(&render::plain_error("the network has biases: give them with --bias", None));
            return Err(Failed(2));
        }
        (Some(_), false) => {
            err(&render::plain_error("the network has no biases; drop --bias", None));
            return Err(Failed(2));
        }
        (None, false) => Vec::new(),
    };
    let fit = model.fit_of(&model.residuals(&w, &b, None), &w);
    let relative = fit.max_violation / model.label_scale();
    if json {
        let record = serde_json::json!({
            "model": model.name,
            "samples": model.data.n,
            "max_violation": fit.max_violation,
            "relative_violation": relative,
            "training_loss": fit.training_loss,
            "recovery_error": fit.recovery_error,
            "recovery_distance": fit.recovery_distance,
            "symmetries": fit.symmetries,
        });
        return out(&format!("{}\n", serde_json::to_string_pretty(&record).expect("JSON values serialise")));
    }
    let mut text = format!("{}: the given filters on {} samples\n", model.name, model.data.n);
    text.push_str(&format!(
        "  max violation   {:.3e}   (max_i f(x_i; w) − y_i, {:.3e} of the largest label)\n",
        fit.max_violation, relative
    ));
    text.push_str(&format!(
        "  training loss   {:.3e}   (mean squared error on the samples)\n",
        fit.training_loss
    ));
    match (fit.recovery_error, fit.recovery_distance) {
        (Some(e), _) => text.push_str(&format!("  recovery error  {e:.3e}   (‖w − w*‖ / ‖w*‖)\n")),
        (None, Some(d)) => text.push_str(&format!(
            "  recovery error  undefined: the planted filter is zero; ‖w − w*‖ = {d:.3e}\n"
        )),
        (None, None) => text.push_str("  recovery error  unknown (no planted filter)\n"),
    }
    out(&text)
}

/// Writes a solve's result to `path`: the record as JSON, or the numbers `values` (rows × columns)
/// as a `.npy` array.
fn write_result(
    path: &Path,
    record: &impl serde::Serialize,
    values: Option<(Vec<f64>, usize)>,
) -> Result<(), Failed> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    let result = match ext.as_deref() {
        Some("json") => io::write_atomic(path, |w| {
            writeln!(w, "{}", serde_json::to_string_pretty(record).expect("records serialise"))
        }),
        Some("npy") => {
            let Some((values, columns)) = values else {
                err(&render::plain_error("there is no point to write: the solve ended without one", None));
                return Err(Failed(1));
            };
            let rows = values.len() / columns.max(1);
            io::write_atomic(path, |w| {
                use ndarray_npy::WriteNpyExt;
                let written = if rows == 1 {
                    ndarray::Array1::from(values).write_npy(w)
                } else {
                    ndarray::Array2::from_shape_vec((rows, columns), values)
                        .map_err(|e| std::io::Error::other(e.to_string()))?
                        .write_npy(w)
                };
                written.map_err(|e| std::io::Error::other(e.to_string()))
            })
        }
        _ => {
            err(&render::plain_error(
                &format!("`{}`: -o writes `.json` (the record) or `.npy` (the filters)", path.display()),
                None,
            ));
            return Err(Failed(2));
        }
    };
    result.map_err(|e| {
        err(&render::plain_error(
            &format!("cannot write `{}`: {}", path.display(), io::describe_io(&e)),
            None,
        ));
        Failed(1)
    })
}

fn solve(
    path: &Path,
    backend: Option<Backend>,
    json: bool,
    output: Option<&Path>,
    options: &DriverOptions,
    overrides: &OverrideArgs,
) -> Result<(), Failed> {
    let fail = |message: &str| {
        err(&render::plain_error(message, None));
        Failed(1)
    };
    if let Some(kind) = program_file(path) {
        if overrides.any() {
            err(&render::plain_error(
                "--samples, --seed and --noise apply to models, not to program files (.cbf, .json)",
                None,
            ));
            return Err(Failed(2));
        }
        let (program, read_seconds) = read_program(path, kind, overrides.budget())?;
        // A program file carries no tolerance: use the models' default, so that a model and the
        // program written from it are solved alike.
        let tolerance = options.tolerance.unwrap_or(cnr_check::SolverSpec::default().tolerance);
        let settings = SolverSettings {
            tol_abs: tolerance,
            tol_rel: tolerance,
            verbose: options.verbose,
            ..SolverSettings::default()
        };
        let backend = backend.unwrap_or(Backend::ALL[0]);
        let (record, _) = cnr_driver::solve_program(&program, backend, &settings, read_seconds)
            .map_err(|e| fail(&e.to_string()))?;
        if let Some(path) = output {
            let columns = record.x.as_ref().map_or(1, Vec::len);
            write_result(path, &record, record.x.clone().map(|x| (x, columns)))?;
        }
        if json {
            print_json(&record)?;
        } else {
            out(&report::program_report(&record))?;
        }
        return exit_for(record.status);
    }
    let (_, compiled) = load_model(path, overrides, backend)?;
    let record = cnr_driver::solve(&compiled, options).map_err(|e| fail(&e.to_string()))?;
    if let Some(path) = output {
        let w = match &record.w {
            Some(cnr_driver::Filters::One(w)) => Some((w.clone(), w.len())),
            Some(cnr_driver::Filters::Many(ws)) => Some((ws.concat(), ws.first().map_or(1, Vec::len))),
            None => None,
        };
        write_result(path, &record, w)?;
    }
    if json {
        print_json(&record)?;
    } else {
        out(&report::model_report(&compiled.model, &record))?;
    }
    exit_for(record.status)
}
