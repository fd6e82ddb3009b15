//! Models too large for the memory budget: each is refused by one diagnostic that says how much
//! it needs and what the budget is, at once and without allocating what it asks for (the command
//! runs under an address-space limit of 1 GiB, far below what any of them would take).

use crate::util::{root, text};
use std::process::Command;
use std::time::{Duration, Instant};

/// Where the fixtures are.
const FIXTURES: &str = "tests/fixtures/invalid";

/// The fixtures that reproduce models asking for far more memory than the budget.
const TOO_LARGE: [&str; 8] = [
    "memory_input_2g",
    "memory_kernel_46340",
    "memory_samples_134m",
    "memory_filters_500m",
    "memory_program_1000",
    "memory_input_1e9_files",
    "memory_padding_2323",
    "memory_kernel_32768",
];

/// Runs `cnr ARGS` under `ulimit -v` of `kib` KiB, returning its status, standard error and time.
fn cnr_limited(kib: u64, args: &[&str]) -> (Option<i32>, String, Duration) {
    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_cnr"))
        .args(args)
        .current_dir(root())
        .env_clear()
        .output()
        .expect("sh runs");
    (out.status.code(), text(&out.stderr), start.elapsed())
}

#[test]
fn models_over_the_budget_are_refused_at_once_without_allocating() {
    for name in TOO_LARGE {
        let path = format!("{}/{name}.cnr", FIXTURES);
        for command in ["check", "compile", "solve"] {
            let (code, stderr, took) = cnr_limited(1 << 20, &[command, "--max-memory", "8G", &path]);
            assert_eq!(code, Some(1), "{command} {path}:\n{stderr}");
            assert!(stderr.contains("more than the budget of 8.0 GiB"), "{command} {path}:\n{stderr}");
            let budget_errors = stderr.matches("more than the budget").count();
            assert_eq!(budget_errors, 1, "{command} {path}: {budget_errors} budget errors\n{stderr}");
            assert!(took < Duration::from_secs(2), "{command} {path} took {took:?}");
        }
    }
}

#[test]
fn a_model_that_fits_a_budget_is_refused_by_a_smaller_one() {
    let path = "examples/paper_relu.cnr";
    let (code, stderr, _) = cnr_limited(4 << 20, &["check", "--max-memory", "1G", path]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr, _) = cnr_limited(4 << 20, &["check", "--max-memory", "100K", path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("more than the budget of 100.0 KiB"), "{stderr}");
    assert!(stderr.contains("samples fit in the budget"), "{stderr}");
}

#[test]
fn the_budget_counts_the_backends_own_memory_and_auto_takes_a_method_that_fits() {
    // 4,000 samples of bench_relu's shape: the data and the program take about 90 MiB, Clarabel's
    // own copy, KKT system and factors some 500 MiB more (bench/solver_memory.sh). Once the budget
    // counted the program alone, and under an address-space limit the process aborted in the
    // backend's allocation.
    let dir = tempfile::tempdir().expect("a folder");
    let model = dir.path().join("m.cnr");
    std::fs::write(
        &model,
        "network { input 512 conv kernel 32 stride 32 activation relu output ones }
         data planted { samples 4000 seed 1 }",
    )
    .expect("written");
    let model = model.to_str().expect("UTF-8");
    let (code, stderr, _) = cnr_limited(600 << 10, &["check", "--max-memory", "300M", model]);
    assert_eq!(code, Some(0), "the data and the program fit: {stderr}");
    let (code, stderr, _) =
        cnr_limited(600 << 10, &["solve", "--max-memory", "300M", "--method", "full", model]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("clarabel's own work on it"), "{stderr}");
    assert!(stderr.contains("--method cutting-plane"), "{stderr}");
    // The default method works in the filters' space, within the budget.
    let (code, stderr, _) = cnr_limited(600 << 10, &["solve", "--max-memory", "300M", model]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_bad_budget_is_a_usage_error() {
    for bad in ["8X", "-1G", "lots", "0"] {
        let (code, stderr, _) =
            cnr_limited(4 << 20, &["check", "--max-memory", bad, "examples/paper_relu.cnr"]);
        assert_eq!(code, Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("is not a size"), "{bad}: {stderr}");
    }
}

/// Without `--max-memory` the budget is half of the machine's memory, which is far below these.
#[test]
fn the_default_budget_refuses_what_no_machine_holds() {
    let (code, stderr, _) = cnr_limited(1 << 20, &["check", "tests/fixtures/invalid/memory_input_2g.cnr"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("more than the budget of"), "{stderr}");
}

/// A solve by cutting planes never builds the whole program, so it is held to the budget by its
/// data and the programs it builds, not by the whole program that `check`, `compile` and a full
/// solve would build.
#[test]
fn cutting_planes_solve_what_the_whole_program_would_not_fit() {
    let path = "examples/bench_relu.cnr";
    let args = |command: &'static str| [command, path, "--samples", "20000", "--max-memory", "200M"];
    let (code, stderr, _) = cnr_limited(4 << 20, &args("check"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("more than the budget of 200.0 MiB"), "{stderr}");
    assert!(
        stderr
            .contains("`cnr solve` by cutting planes, which builds programs of subsets of the samples, fits"),
        "{stderr}"
    );
    let (code, stderr, _) = cnr_limited(4 << 20, &args("solve"));
    assert_eq!(code, Some(0), "{stderr}");
    let mut full = args("solve").to_vec();
    full.extend(["--method", "full"]);
    let (code, stderr, _) = cnr_limited(4 << 20, &full);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("more than the budget of 200.0 MiB"), "{stderr}");
}

#[test]
fn a_methods_own_work_is_held_to_the_budget() {
    use cnr_driver::{Error, Limits, MethodChoice, Request, Setting};
    // d = 64 and 8 filters: the w-space LP may take 500 rounds of 512 cuts of 512 numbers (1 GiB);
    // the data and the program's first subset take far less.
    let text = "network { input 64 conv kernel 64 stride 64 filters 8 activation relu output ones }
                data planted { samples 4096 seed 1 }";
    let limits = Limits { max_memory: Some(256 << 20), ..Limits::default() };
    let request = Request { limits, method: MethodChoice::WSpace, ..Request::new(text, "big") };
    match cnr_driver::solve(&request) {
        Err(e @ Error::MethodOverBudget { method: "the w-space method", .. }) => {
            assert!(e.to_string().contains("--max-memory"), "{e}")
        }
        other => panic!("the w-space method ran over its budget: {:?}", other.map(|s| s.record.status)),
    }
    // Gradient descent's patches (n·K·d numbers) are counted too.
    let small = "network { input 8 conv kernel 4 stride 1 activation relu output ones }
                 data planted { samples 20000 seed 1 }";
    let limits = Limits { max_memory: Some(3 << 20), ..Limits::default() };
    let request = Request { limits, ..Request::new(small, "s").with(Setting::Seed(2)) };
    // The data (1.4 MiB) fit; the patches (3.1 MiB more) do not.
    let compiled = cnr_driver::compile_for(&request, cnr_driver::Purpose::Data).expect("the data fit");
    let refused = cnr_driver::baseline(&compiled, 1, cnr_driver::GdBudget::default());
    assert!(
        matches!(refused, Err(Error::MethodOverBudget { method: "gradient descent", .. })),
        "{refused:?}"
    );
}

#[test]
fn a_time_limit_bounds_the_whole_request() {
    use cnr_driver::{Limits, MethodChoice, Request};
    // Once: `time_limit 2` with 20 restarts ran 20 solves of ~2.5 s each, and a refinement of ten
    // million gradient steps ran past a minute. Each restart's solve here takes a few tenths of a
    // second; 40 of them, or the descent, would take far longer than the limit.
    let text = "network { input 128 conv kernel 16 stride 8 activation relu output ones }
                data planted { samples 600 seed 3 }
                relax { anchor random restarts 40 }";
    let limits = Limits { time_limit: Some(0.5), threads: Some(1), ..Limits::default() };
    let request = Request { limits, method: MethodChoice::Full, ..Request::new(text, "slow") };
    let start = Instant::now();
    let solved = cnr_driver::solve(&request).expect("runs");
    let (wall, record) = (start.elapsed(), &solved.record);
    let runs = record.restarts.as_ref().map_or(1, |r| r.runs.len());
    assert!(record.timings.wall_seconds <= wall.as_secs_f64(), "the record's wall time is the request's");
    assert!(wall < Duration::from_secs(5), "{wall:?} for a limit of 0.5 s ({runs} solves)");
    assert!(record
        .restarts
        .as_ref()
        .is_some_and(|r| r.runs.iter().any(|s| s.status == cnr_driver::Status::TimeLimit)));
    // Noisy labels: the descent from the relaxation's point creeps on for millions of steps. The
    // limit leaves the relaxation time to finish on a loaded machine (twice its time unlimited)
    // and then stops the descent.
    let planted = "network { input 64 conv kernel 8 stride 8 activation softplus output ones }
                   data planted { samples 400 seed 3 noise 0.1 }
                   relax { penalty l2 2 }";
    let start = Instant::now();
    let unlimited = cnr_driver::solve(&Request::new(planted, "descent")).expect("runs");
    assert_eq!(unlimited.record.status, cnr_driver::Status::Optimal);
    let limit = 2.0 * start.elapsed().as_secs_f64() + 0.2;
    let limits = Limits { time_limit: Some(limit), ..Limits::default() };
    let request = Request { limits, refine_gd: Some(10_000_000), ..Request::new(planted, "descent") };
    let start = Instant::now();
    let solved = cnr_driver::solve(&request).expect("runs");
    let wall = start.elapsed().as_secs_f64();
    assert!(wall < limit + 5.0, "{wall} s for a limit of {limit} s");
    let refined = solved.record.refined.as_ref().expect("a refinement");
    assert!(!refined.converged && refined.iterations < 10_000_000, "{} steps", refined.iterations);
    assert!(solved.record.timings.wall_seconds >= refined.seconds);
}
