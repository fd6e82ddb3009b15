//! A mutational fuzzer for the model front end (parse + check + plan + anchor, through
//! `cnr_driver::compile` with in-memory files) and the CBF reader, in plain stable Rust.
//!
//! `cnr-fuzz TARGET [--execs N] [--seconds S] [--seed S] [--budget BYTES]`, `TARGET` = `model` or
//! `cbf`; `cnr-fuzz TARGET --replay FILE` runs one saved input and times it. The parent runs the executions in a child process, which reports its progress every
//! 1,000 executions; a panic is caught in the child and saved; a child that dies (an abort, a stack
//! overflow, an allocation failure) is re-run from its last report with every input saved before it
//! runs, so the input that killed it is kept, and the run goes on after it. Inputs over one second
//! (twice in a row) are saved too. Findings go to `findings/`; the summary gives executions, rate and the child's
//! peak memory.

mod corpus;
mod mutate;

use mutate::{Kind, Rng};
use std::io::{BufRead, BufReader, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REPORT_EVERY: u64 = 1000;

struct Options {
    kind: Kind,
    execs: u64,
    seconds: f64,
    seed: u64,
    budget: u64,
    // Child only: the first execution, and whether every input is saved before it runs.
    from: u64,
    record: bool,
    child: bool,
    /// A saved input to run once, timed (`--replay FILE`).
    replay: Option<PathBuf>,
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        kind: Kind::Model,
        execs: u64::MAX,
        seconds: f64::INFINITY,
        seed: 1,
        budget: 256 << 20,
        from: 0,
        record: false,
        child: false,
        replay: None,
    };
    let target = args.next().ok_or(
        "usage: cnr-fuzz model|cbf [--execs N] [--seconds S] [--seed S] [--budget BYTES] [--replay FILE]",
    )?;
    o.kind = match target.as_str() {
        "model" => Kind::Model,
        "cbf" => Kind::Cbf,
        other => return Err(format!("unknown target `{other}`: model or cbf")),
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<f64>().map_err(|_| format!("{flag}: `{v}` is not a number"));
        match flag.as_str() {
            "--execs" => o.execs = number(value()?)? as u64,
            "--seconds" => o.seconds = number(value()?)?,
            "--seed" => o.seed = number(value()?)? as u64,
            "--budget" => o.budget = number(value()?)? as u64,
            "--from" => o.from = number(value()?)? as u64,
            "--record" => o.record = true,
            "--child" => o.child = true,
            "--replay" => o.replay = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown flag `{other}`")),
        }
    }
    Ok(o)
}

fn name(kind: Kind) -> &'static str {
    if kind == Kind::Model {
        "model"
    } else {
        "cbf"
    }
}

/// The repository's root: the parent of this crate's folder.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the fuzz crate sits in the repository")
        .to_path_buf()
}

fn findings() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("findings");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Runs one input through the target.
fn run_one(kind: Kind, input: &[u8], budget: u64) {
    let text = String::from_utf8_lossy(input);
    match kind {
        Kind::Model => {
            let mut request = cnr_driver::Request::new(&text, "fuzz");
            request.limits.max_memory = Some(budget);
            let _ = cnr_driver::compile(&request);
        }
        Kind::Cbf => {
            let _ = cnr_driver::read_program(&text, cnr_driver::ProgramFormat::Cbf, "fuzz.cbf", "fuzz", budget);
        }
    }
}

/// The peak resident memory of this process, in KiB (`VmHWM`).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn child(o: &Options) {
    let corpus = match o.kind {
        Kind::Model => corpus::models(&root()),
        Kind::Cbf => corpus::cbf(&root()),
    };
    assert!(!corpus.is_empty(), "no seed corpus under {}", root().display());
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    let current = findings().join(format!("current-{}", name(o.kind)));
    let mut out = std::io::stdout().lock();
    let (mut slow, mut panics) = (0u64, 0u64);
    let mut i = o.from;
    while i < o.execs && start.elapsed().as_secs_f64() < o.seconds {
        let input = mutate::mutate(&mut Rng::for_exec(o.seed, i), &corpus, o.kind);
        if o.record {
            let _ = std::fs::write(&current, &input);
        }
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| run_one(o.kind, &input, o.budget)));
        let took = t.elapsed();
        if outcome.is_err() {
            panics += 1;
            let _ = std::fs::write(findings().join(format!("panic-{}-{i}", name(o.kind))), &input);
        }
        // A slow input is timed again, so that a moment of contention on a shared machine is not
        // taken for a finding: it counts only when both runs take over a second.
        let slow_twice = took > Duration::from_secs(1) && {
            let again = Instant::now();
            let _ = catch_unwind(AssertUnwindSafe(|| run_one(o.kind, &input, o.budget)));
            again.elapsed() > Duration::from_secs(1)
        };
        if slow_twice {
            slow += 1;
            let _ = std::fs::write(
                findings().join(format!("slow-{}-{i}-{}ms", name(o.kind), took.as_millis())),
                &input,
            );
        }
        i += 1;
        if i.is_multiple_of(REPORT_EVERY) {
            let _ = writeln!(out, "at {i} {slow} {panics} {}", peak_kib());
            let _ = out.flush();
            if o.record {
                // A recorded replay covers one report's worth of executions.
                break;
            }
        }
    }
    let _ = writeln!(out, "done {i} {slow} {panics} {}", peak_kib());
}

fn parent(o: &Options) {
    let exe = std::env::current_exe().expect("the fuzzer's own path");
    let start = Instant::now();
    let (mut at, mut slow, mut panics, mut peak, mut deaths) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut record = false;
    let mut last_print = Instant::now();
    while at < o.execs && start.elapsed().as_secs_f64() < o.seconds {
        let left = o.seconds - start.elapsed().as_secs_f64();
        let mut cmd = Command::new(&exe);
        cmd.arg(name(o.kind)).arg("--child").args(["--from", &at.to_string()]);
        cmd.args(["--execs", &o.execs.to_string(), "--seed", &o.seed.to_string()]);
        cmd.args(["--budget", &o.budget.to_string(), "--seconds", &left.to_string()]);
        if record {
            cmd.arg("--record");
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("the child starts");
        let reader = BufReader::new(child.stdout.take().expect("piped"));
        let (base_slow, base_panics) = (slow, panics);
        for line in reader.lines().map_while(Result::ok) {
            let f: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
            if let [i, s, p, kib] = f[..] {
                at = i;
                slow = base_slow + s;
                panics = base_panics + p;
                peak = peak.max(kib);
            }
            if last_print.elapsed() > Duration::from_secs(30) {
                last_print = Instant::now();
                let rate = at as f64 / start.elapsed().as_secs_f64();
                eprintln!(
                    "{} execs, {rate:.0}/s, {slow} slow, {panics} panics, {deaths} deaths, peak {peak} KiB",
                    at
                );
            }
        }
        let status = child.wait().expect("the child ends");
        if status.success() {
            record = false;
            if at >= o.execs {
                break;
            }
            continue;
        }
        if record {
            // The recorded input is the one the child died on.
            deaths += 1;
            let current = findings().join(format!("current-{}", name(o.kind)));
            let dead = findings().join(format!("death-{}-{at}", name(o.kind)));
            let _ = std::fs::rename(current, &dead);
            eprintln!("the child died ({status}) near execution {at}: input saved as {}", dead.display());
            // Skip past the batch that killed it.
            at = (at / REPORT_EVERY + 1) * REPORT_EVERY;
            record = false;
        } else {
            // Replay from the last report, saving every input.
            record = true;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}: {at} executions in {secs:.0} s ({:.0}/s), {slow} over 1 s, {panics} panics, {deaths} deaths, peak memory {} MiB (budget {} MiB)",
        name(o.kind),
        at as f64 / secs,
        peak / 1024,
        o.budget >> 20
    );
}

/// Runs one saved input, and prints its time and the process's peak memory.
fn replay(o: &Options, path: &Path) {
    let input = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", path.display());
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| run_one(o.kind, &input, o.budget)));
    println!(
        "{}: {} in {:.3} s, peak memory {} MiB",
        path.display(),
        if outcome.is_ok() { "returned" } else { "panicked" },
        start.elapsed().as_secs_f64(),
        peak_kib() / 1024
    );
}

fn main() {
    match parse_args() {
        Ok(o) if o.replay.is_some() => replay(&o, o.replay.as_deref().expect("checked")),
        Ok(o) if o.child => child(&o),
        Ok(o) => parent(&o),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
