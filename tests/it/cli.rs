//! The real binary: exit codes, the summary, the solve report and the files it writes.

use crate::util::{cnr, root, text};

fn code(args: &[&str]) -> i32 {
    cnr(args).status.code().expect("the process exits normally")
}

#[test]
fn check_prints_the_summary_of_the_paper_model() {
    let out = cnr(&["check", "examples/paper_relu.cnr"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("check_paper_relu", text(&out.stdout));
}

#[test]
fn check_and_fmt_accept_every_example() {
    let examples = crate::util::models_in("examples");
    let mut args = vec!["check"];
    args.extend(examples.iter().map(String::as_str));
    let out = cnr(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).matches("  program ").count(), examples.len());
    args[0] = "fmt";
    args.insert(1, "--check");
    assert_eq!(code(&args), 0);
}

#[test]
fn solve_json_reports_recovery_of_the_paper_model() {
    let out = cnr(&["solve", "examples/paper_relu.cnr", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(j["status"], "optimal");
    for key in
        ["objective", "w", "compile_seconds", "solve_seconds", "iterations", "max_violation", "training_loss"]
    {
        assert!(!j[key].is_null(), "missing {key}");
    }
    assert_eq!(j["w"].as_array().map(Vec::len), Some(16));
    let e = j["recovery_error"].as_f64().expect("recovery error");
    assert!(e < 1e-6, "recovery error {e}");
}

#[test]
fn solve_shows_every_figure_in_the_human_report() {
    let out = cnr(&["solve", "examples/paper_relu.cnr"]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    for label in [
        "optimal",
        "objective",
        "w ",
        "max violation",
        "training loss",
        "recovery error",
        "compile",
        "iterations",
    ] {
        assert!(s.contains(label), "no `{label}` in\n{s}");
    }
}

#[test]
fn solver_statuses_have_their_exit_codes() {
    assert_eq!(code(&["solve", "tests/fixtures/solve/negative_labels.cnr"]), 3);
    assert_eq!(code(&["solve", "tests/fixtures/solve/too_few_samples.cnr"]), 4);
    let out = cnr(&["solve", "tests/fixtures/solve/negative_labels.cnr", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON even when infeasible");
    assert_eq!(j["status"], "infeasible");
    assert!(j["w"].is_null());
}

#[test]
fn usage_errors_exit_with_2_and_user_errors_with_1() {
    assert_eq!(code(&["solve"]), 2);
    assert_eq!(code(&["solve", "examples/paper_relu.cnr", "--samples", "0"]), 2);
    // A negative count is a wrong count, not a flag to be escaped with `--`.
    let out = cnr(&["solve", "examples/paper_relu.cnr", "--samples", "-3"]);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(said.contains("a whole number from 1") && !said.contains("'-- -3'"), "{said}");
    assert_eq!(code(&["solve", "examples/paper_relu.cnr", "--noise", "-1"]), 2);
    assert_eq!(code(&["check", "no/such/model.cnr"]), 1);
    assert_eq!(code(&["compile", "examples/paper_relu.cnr", "--emit", "cbf", "-o", "no/such/dir/x.cbf"]), 1);
    // A malformed setting is a usage error whichever way it is malformed, on every command.
    for command in ["check", "solve", "compile"] {
        assert_eq!(code(&[command, "examples/paper_relu.cnr", "--set", "model=foo"]), 2, "{command}");
    }
    assert_eq!(code(&["check", "examples/paper_relu.cnr", "--set", "relax.penalty="]), 2);
}

#[test]
fn a_filter_the_relaxation_leaves_at_zero_is_said_with_what_to_try() {
    let model = "tests/fixtures/solve/left_out_filter.cnr";
    let out = cnr(&["solve", model]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("w[1] came back zero") && said.contains("restarts 20"), "{said}");
    let j: serde_json::Value =
        serde_json::from_slice(&cnr(&["solve", model, "--json"]).stdout).expect("JSON");
    assert_eq!(j["zero_filters"], serde_json::json!([1]));
    // What the line says to try recovers both filters.
    let out = cnr(&["solve", model, "--set", "relax.restarts=20", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(j.get("zero_filters").is_none(), "{j}");
    assert!(j["recovery_error"].as_f64().expect("an error") < 1e-9, "{}", j["recovery_error"]);
}

#[test]
fn a_refined_point_shows_its_offset_and_biases() {
    let dir = tempfile::tempdir().expect("a folder");
    let model = dir.path().join("offset.cnr");
    std::fs::write(
        &model,
        "network { input 16 conv kernel 4 stride 4 bias activation relu output ones + offset }
         data planted { samples 40 seed 1 noise 0.1 }
         relax { penalty l2 1 }",
    )
    .expect("written");
    let out = cnr(&["solve", model.to_str().expect("UTF-8"), "--refine", "gd"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("  c (refined)     ") && said.contains("  b (refined)     "), "{said}");
}

#[test]
fn good_lp_matches_clarabel_on_a_linear_example() {
    let solve = |backend: &str| -> serde_json::Value {
        let out = cnr(&["solve", "examples/leaky_relu.cnr", "--backend", backend, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{backend}: {}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let (a, b) = (solve("clarabel"), solve("good_lp"));
    let (oa, ob) = (a["objective"].as_f64().expect("objective"), b["objective"].as_f64().expect("objective"));
    assert!((oa - ob).abs() <= 1e-6 * oa.abs().max(1.0), "{oa} vs {ob}");
    assert!(b["recovery_error"].as_f64().expect("error") < 1e-6);
}

#[test]
fn compile_writes_files_atomically_and_fmt_rewrites_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ir = dir.path().join("p.ir");
    let path = ir.to_str().expect("utf-8 path");
    assert_eq!(
        code(&["compile", "examples/leaky_relu.cnr", "--emit", "ir", "--samples", "2", "-o", path]),
        0
    );
    let written = std::fs::read_to_string(&ir).expect("written");
    let stdout = text(&cnr(&["compile", "examples/leaky_relu.cnr", "--emit", "ir", "--samples", "2"]).stdout);
    assert_eq!(written, stdout);
    // No temporary file is left beside the output.
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);

    let messy = dir.path().join("m.cnr");
    let canonical = std::fs::read_to_string(root().join("examples/paper_relu.cnr")).expect("example");
    std::fs::write(&messy, canonical.replace("  input 128", "input    128")).expect("write");
    let m = messy.to_str().expect("utf-8 path");
    assert_eq!(code(&["fmt", "--check", m]), 1);
    assert_eq!(code(&["fmt", m]), 0);
    assert_eq!(std::fs::read_to_string(&messy).expect("read"), canonical);
}

#[test]
fn solve_reads_cbf_files_and_reports_their_errors_by_line() {
    // The distance from (3, 4) to the half-plane x0 + x1 ≤ 0 is 7/√2.
    let out = cnr(&["solve", "crates/cnr-cbf/tests/fixtures/socp_q.cbf", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let objective = j["objective"].as_f64().expect("objective");
    assert!((objective - 7.0 / 2f64.sqrt()).abs() < 1e-6, "{objective}");
    let bad = cnr(&["solve", "crates/cnr-cbf/tests/fixtures/bad_not_a_number.cbf"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("line"), "{}", text(&bad.stderr));
}

#[test]
fn solve_reaches_the_known_optimum_of_a_cbf_file_written_by_mosek() {
    // tests/fixtures/cbf/mosek_written.md derives the optimum −5/2 − 4 ln 2 − √5.
    let out = cnr(&["solve", "tests/fixtures/cbf/mosek_written.cbf", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let known = -2.5 - 4.0 * 2f64.ln() - 5f64.sqrt();
    let objective = j["objective"].as_f64().expect("objective");
    assert!((objective - known).abs() <= 1e-6 * known.abs(), "{objective} vs {known}");
}

#[test]
fn a_model_with_a_bias_stays_bounded() {
    // Without the bias's anchor term the program would be unbounded (exit 4).
    let out = cnr(&["solve", "tests/fixtures/solve/bias.cnr", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(j["status"], "optimal");
    assert_eq!(j["b"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_backend_that_cannot_take_a_cone_is_refused_at_its_source() {
    let out = cnr(&["solve", "examples/softplus.cnr", "--backend", "good_lp"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.matches("error: ").count(), 1, "{stderr}");
    assert!(stderr.contains("examples/softplus.cnr:7:3"), "not at the activation:\n{stderr}");
    assert!(stderr.contains("exponential cones"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing was solved");
}

#[test]
fn solve_json_carries_the_method_and_the_certificate() {
    let out = cnr(&[
        "solve",
        "examples/bench_relu.cnr",
        "--samples",
        "3000",
        "--method",
        "cutting-plane",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(j["method"], "cutting_plane");
    let cp = &j["cutting_plane"];
    assert_eq!(cp["certified"], true);
    assert_eq!(cp["box_active"], false);
    assert!(cp["subset_size"].as_u64().expect("subset size") < 3000);
    for phase in ["data_seconds", "anchor_seconds", "lowering_seconds", "solving_seconds", "checking_seconds"]
    {
        assert!(j["timings"][phase].as_f64().is_some(), "no {phase}");
    }
    let full = cnr(&["solve", "examples/bench_relu.cnr", "--samples", "300", "--method", "full", "--json"]);
    let f: serde_json::Value = serde_json::from_slice(&full.stdout).expect("one JSON object");
    assert_eq!((f["method"].as_str(), f["cutting_plane"].is_null()), (Some("full"), true));
    assert!(f.get("wspace").is_none(), "no w-space record without the w-space method: {f}");
    // `auto` solves this model in the filters' space, and says how it is certified.
    let auto = cnr(&["solve", "examples/bench_relu.cnr", "--samples", "3000", "--json"]);
    let a: serde_json::Value = serde_json::from_slice(&auto.stdout).expect("one JSON object");
    assert_eq!((a["method"].as_str(), a["backend"].as_str()), (Some("wspace"), Some("cnr")));
    assert_eq!(
        (a["wspace"]["certified"].as_bool(), a["wspace"]["box_active"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(a["relative_violation"].as_f64().expect("a point") <= 1e-9, "{a}");
}

#[test]
fn warnings_go_to_standard_error_and_into_the_json_record() {
    let out = cnr(&["solve", "tests/fixtures/warnings/zero_filter.cnr", "--json"]);
    assert!(
        text(&out.stderr).contains("warning: filter 1 has all its output weights zero"),
        "{}",
        text(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let warnings = j["warnings"].as_array().expect("a list of warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(code(&["solve", "--deny-warnings", "tests/fixtures/warnings/zero_filter.cnr"]), 1);
}

#[test]
fn the_solver_log_goes_to_standard_error_so_json_stays_parseable() {
    // The log is Clarabel's: the whole program solves with it (the w-space method has none).
    let out = cnr(&["solve", "examples/paper_relu.cnr", "--method", "full", "--json", "--verbose"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("standard output is one JSON object");
    assert_eq!(j["status"], "optimal");
    assert!(text(&out.stderr).contains("Clarabel"), "the log is on standard error");
}

#[test]
fn a_closed_pipe_ends_the_command_quietly_and_a_full_disk_is_an_error() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // `cnr check examples/*.cnr | head -1`: the reader goes away after one line.
    let mut args = vec!["check".to_string()];
    args.extend(crate::util::models_in("examples"));
    for args in [args, vec!["compile".into(), "examples/paper_relu.cnr".into(), "--emit".into(), "ir".into()]]
    {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cnr"))
            .args(&args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cnr runs");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("one line");
        // The reader is dropped here, closing the pipe.
        let out = child.wait_with_output().expect("cnr ends");
        assert!(!first.is_empty());
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
    }
    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let out = Command::new(env!("CARGO_BIN_EXE_cnr"))
            .args(["check", "examples/paper_relu.cnr"])
            .current_dir(root())
            .stdout(full)
            .output()
            .expect("cnr runs");
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("cannot write to standard output"), "{}", text(&out.stderr));
    }
}

#[test]
fn programs_without_rows_or_columns_are_solved_by_cnr_not_handed_to_a_backend() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let cases = [
        ("empty.cbf", "VER\n3\n", "optimal", 0.0),
        ("constant.cbf", "VER\n3\n\nOBJSENSE\nMIN\n\nOBJBCOORD\n2.5\n", "optimal", 2.5),
        (
            "free.cbf",
            "VER\n3\n\nOBJSENSE\nMIN\n\nVAR\n2 1\nF 2\n\nOBJACOORD\n1\n0 1.0\n",
            "unbounded",
            f64::NAN,
        ),
    ];
    for (name, body, status, objective) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, body).expect("write");
        let out = cnr(&["solve", path.to_str().expect("utf-8"), "--json"]);
        assert!(!text(&out.stderr).contains("panicked"), "{name}: {}", text(&out.stderr));
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(j["status"], status, "{name}");
        if !objective.is_nan() {
            assert_eq!(j["objective"].as_f64(), Some(objective), "{name}");
        }
    }
}

#[test]
fn writes_keep_what_they_replace_and_leave_devices_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let model = dir.path().join("m.cnr");
    let canonical = std::fs::read_to_string(root().join("examples/paper_relu.cnr")).expect("example");
    std::fs::write(&model, canonical.replace("  input 128", "input    128")).expect("write");
    std::fs::set_permissions(&model, std::fs::Permissions::from_mode(0o664)).expect("chmod");
    let link = dir.path().join("link.cnr");
    std::os::unix::fs::symlink(&model, &link).expect("symlink");
    // fmt through a symbolic link formats its target and keeps the link and the mode.
    assert_eq!(code(&["fmt", link.to_str().expect("utf-8")]), 0);
    assert!(std::fs::symlink_metadata(&link).expect("link").file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&model).expect("read"), canonical);
    assert_eq!(std::fs::metadata(&model).expect("meta").permissions().mode() & 0o777, 0o664);
    // -o naming the model itself is refused, and the model is left as it was.
    let m = model.to_str().expect("utf-8");
    assert_eq!(code(&["compile", m, "--emit", "ir", "-o", m]), 1);
    assert_eq!(std::fs::read_to_string(&model).expect("read"), canonical);
    // -o /dev/null writes to the device instead of replacing it.
    assert_eq!(code(&["compile", m, "--emit", "ir", "-o", "/dev/null"]), 0);
    assert!(!std::fs::metadata("/dev/null").expect("/dev/null").is_file());
    // No partial file is left behind, and temporaries would say what they are.
    assert!(std::fs::read_dir(dir.path())
        .expect("list")
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().starts_with(".cnr-partial-")));
    // A device is not read as a model.
    let out = cnr(&["check", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a regular file"), "{}", text(&out.stderr));
}

#[test]
fn json_programs_are_read_back_solved_and_converted() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let json = dir.path().join("p.json");
    let j = json.to_str().expect("utf-8");
    assert_eq!(code(&["compile", "examples/softplus.cnr", "--emit", "json", "-o", j]), 0);
    // Solving the written program gives the model's optimum.
    let solve = |args: &[&str]| -> f64 {
        let out = cnr(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        v["objective"].as_f64().expect("objective")
    };
    let (from_model, from_json) =
        (solve(&["solve", "examples/softplus.cnr", "--json"]), solve(&["solve", j, "--json"]));
    assert!((from_model - from_json).abs() <= 1e-6 * from_model.abs(), "{from_model} vs {from_json}");
    // Converting the JSON program to CBF gives the CBF the model compiles to, byte for byte.
    let from_program = cnr(&["compile", j, "--emit", "cbf"]).stdout;
    let direct = cnr(&["compile", "examples/softplus.cnr", "--emit", "cbf"]).stdout;
    assert_eq!(
        text(&from_program).replace("program `p`", ""),
        text(&direct).replace("program `softplus`", "")
    );
}

#[test]
fn solve_writes_the_record_and_the_filters_and_the_record_says_what_was_solved() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (json, npy) = (dir.path().join("sol.json"), dir.path().join("w.npy"));
    let args = ["solve", "examples/two_filters_mean.cnr", "--seed", "5", "--json"];
    let printed = cnr(&args);
    assert_eq!(printed.status.code(), Some(0), "{}", text(&printed.stderr));
    let j: serde_json::Value = serde_json::from_slice(&printed.stdout).expect("JSON");
    // The record names the run.
    let run = &j["run"];
    assert_eq!(
        (run["data"].as_str(), run["seed"].as_u64(), run["noise"].as_f64()),
        (Some("planted"), Some(5), Some(0.0))
    );
    assert_eq!(run["activation"], "relu");
    assert_eq!(run["anchor"], "planted");
    assert_eq!(run["model_hash"].as_str().map(str::len), Some(16));
    assert_eq!(run["planted"].as_array().map(Vec::len), Some(2), "two planted filters");
    assert_eq!(run["cnr_version"], env!("CARGO_PKG_VERSION"));
    // -o writes the same record, and the filters as an M × d array.
    let mut with_o: Vec<&str> = args.to_vec();
    with_o.extend(["-o", json.to_str().expect("utf-8")]);
    assert_eq!(code(&with_o), 0);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("written")).expect("JSON");
    assert_eq!(written["w"], j["w"]);
    assert_eq!(
        code(&["solve", "examples/two_filters_mean.cnr", "--seed", "5", "-o", npy.to_str().expect("utf-8")]),
        0
    );
    let array =
        cnr_check::data::load_array("w.npy", &std::fs::read(&npy).expect("written")).expect("a .npy array");
    assert_eq!(array.shape, vec![2, 8]);
    let w: Vec<f64> = j["w"]
        .as_array()
        .expect("filters")
        .iter()
        .flat_map(|f| f.as_array().expect("a filter").iter().map(|v| v.as_f64().expect("a number")))
        .collect();
    assert_eq!(array.values, w);
    assert_eq!(code(&["solve", "examples/paper_relu.cnr", "-o", "x.txt"]), 2);
}

#[test]
fn exported_data_read_back_with_data_files_give_the_same_program() {
    let mut tried = 0;
    for path in crate::util::models_in("examples") {
        let source = std::fs::read_to_string(root().join(&path)).expect("example");
        let Some(start) = source.find("data planted {") else { continue };
        if source.contains(" bias") {
            continue; // no `data files` statement reads planted biases
        }
        let dir = tempfile::tempdir().expect("a temporary folder");
        let out = cnr(&["data", &path, "--out", dir.path().to_str().expect("utf-8")]);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", text(&out.stderr));
        let end = start + source[start..].find('}').expect("the block ends") + 1;
        let model = format!("{}{}{}", &source[..start], text(&out.stdout).trim_end(), &source[end..]);
        let copy = dir.path().join("model.cnr");
        std::fs::write(&copy, model).expect("write");
        let from_files = cnr(&["compile", copy.to_str().expect("utf-8"), "--emit", "cbf"]);
        assert_eq!(from_files.status.code(), Some(0), "{path}: {}", text(&from_files.stderr));
        let planted = cnr(&["compile", &path, "--emit", "cbf"]);
        assert!(from_files.stdout == planted.stdout, "{path}: the programs differ");
        tried += 1;
    }
    assert!(tried >= 10, "only {tried} examples");
}

#[test]
fn eval_reports_the_figures_of_given_filters_as_a_solve_does() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let w = dir.path().join("w.npy");
    let w = w.to_str().expect("utf-8");
    let solved = cnr(&["solve", "examples/paper_relu.cnr", "--json", "-o", w]);
    let s: serde_json::Value = serde_json::from_slice(&solved.stdout).expect("JSON");
    let evaluated = cnr(&["eval", "examples/paper_relu.cnr", "--filter", w, "--json"]);
    assert_eq!(evaluated.status.code(), Some(0), "{}", text(&evaluated.stderr));
    let e: serde_json::Value = serde_json::from_slice(&evaluated.stdout).expect("JSON");
    for key in ["max_violation", "training_loss", "recovery_error"] {
        assert_eq!(e[key], s[key], "{key}");
    }
    // The planted filter itself fits exactly.
    let data = dir.path().join("data");
    assert_eq!(code(&["data", "examples/paper_relu.cnr", "--out", data.to_str().expect("utf-8")]), 0);
    let planted = data.join("w.npy");
    let p = cnr(&["eval", "examples/paper_relu.cnr", "--filter", planted.to_str().expect("utf-8"), "--json"]);
    let p: serde_json::Value = serde_json::from_slice(&p.stdout).expect("JSON");
    assert_eq!((p["training_loss"].as_f64(), p["recovery_error"].as_f64()), (Some(0.0), Some(0.0)));
    // A file of the wrong length is an error that says so.
    let bad = cnr(&["eval", "examples/image_2d.cnr", "--filter", w]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("need"), "{}", text(&bad.stderr));
}

#[test]
fn a_long_solve_shows_its_phase_when_asked_and_only_then() {
    let args = ["solve", "examples/bench_relu.cnr", "--samples", "60000", "--json"];
    let quiet = cnr(&args);
    assert_eq!(quiet.status.code(), Some(0), "{}", text(&quiet.stderr));
    assert!(!text(&quiet.stderr).contains(" s\n"), "no progress without a terminal: {}", text(&quiet.stderr));
    let mut asked = args.to_vec();
    asked.push("--progress");
    let shown = cnr(&asked);
    assert_eq!(shown.status.code(), Some(0));
    serde_json::from_slice::<serde_json::Value>(&shown.stdout)
        .expect("standard output is still one JSON object");
    let stderr = text(&shown.stderr);
    assert!(stderr.lines().any(|l| l.contains(" … ") && l.ends_with(" s")), "{stderr}");
}

#[test]
fn a_penalised_solve_reports_each_samples_slack() {
    let out = cnr(&["solve", "examples/noisy_l2.cnr", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let xi = j["xi"].as_array().expect("ξ per sample");
    assert_eq!(xi.len() as u64, j["samples"].as_u64().expect("samples"));
    assert!(xi.iter().all(|v| v.as_f64().is_some_and(|x| x >= 0.0)));
    let plain = cnr(&["solve", "examples/paper_relu.cnr", "--json"]);
    let p: serde_json::Value = serde_json::from_slice(&plain.stdout).expect("JSON");
    assert!(p.get("xi").is_none(), "no ξ without a penalty");
}

#[test]
fn set_changes_any_statement_and_its_errors_name_the_flag() {
    let out = cnr(&[
        "solve",
        "examples/paper_relu.cnr",
        "--set",
        "relax.penalty=l2 2",
        "--set",
        "solver.max_iter=500",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!((j["run"]["penalty"].as_str(), j["run"]["max_iter"].as_u64()), (Some("l2 2"), Some(500)));
    // A setting replaces the statement the file has: the file's `anchor auto` becomes `planted`.
    let planted = cnr(&["solve", "examples/paper_relu.cnr", "--set", "relax.anchor=planted", "--json"]);
    let p: serde_json::Value = serde_json::from_slice(&planted.stdout).expect("JSON");
    assert_eq!(p["run"]["anchor"], "planted");
    // Checked as the same text in the file: the error shows the setting and says where it came from.
    let bad = cnr(&["check", "examples/paper_relu.cnr", "--set", "relax.anchor=spectrl"]);
    let stderr = text(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr.contains("unknown anchor `spectrl`") && stderr.contains("relax { anchor spectrl }"),
        "{stderr}"
    );
    assert!(stderr.contains("--set"), "{stderr}");
    assert_eq!(code(&["check", "examples/paper_relu.cnr", "--set", "network.input=3"]), 1);
    assert_eq!(code(&["check", "examples/paper_relu.cnr", "--set", "relax.anchor"]), 2);
}

#[test]
fn the_new_commands_human_output_matches_the_reviewed_snapshots() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let d = dir.path().to_str().expect("utf-8");
    let data = cnr(&["data", "examples/paper_relu.cnr", "--out", d]);
    insta::assert_snapshot!("cli_data_block", text(&data.stdout).replace(d, "[dir]"));
    let w = dir.path().join("w.npy");
    let eval = cnr(&["eval", "examples/paper_relu.cnr", "--filter", w.to_str().expect("utf-8")]);
    insta::assert_snapshot!("cli_eval_planted", text(&eval.stdout));
    let set = cnr(&["check", "examples/paper_relu.cnr", "--set", "relax.anchor=spectrl"]);
    insta::assert_snapshot!("cli_set_error", text(&set.stderr));
    // The solve reports, with their times (which vary) masked: by sample cutting planes, and by
    // the w-space method that `auto` chooses for this model.
    let solve = cnr(&["solve", "examples/bench_relu.cnr", "--samples", "3000", "--method", "cutting-plane"]);
    let wspace = cnr(&["solve", "examples/bench_relu.cnr", "--samples", "3000"]);
    insta::with_settings!({filters => vec![(r"\d+\.\d{3} s", "[t] s")]}, {
        insta::assert_snapshot!("cli_solve_cutting_plane", text(&solve.stdout));
        insta::assert_snapshot!("cli_solve_wspace", text(&wspace.stdout));
    });
}

#[test]
fn good_lp_solvers_are_chosen_by_name_and_a_missing_one_names_its_feature() {
    assert_eq!(code(&["solve", "examples/leaky_relu.cnr", "--backend", "good_lp:microlp"]), 0);
    let out = cnr(&["solve", "examples/leaky_relu.cnr", "--backend", "good_lp:nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("microlp, highs, coin_cbc, clarabel"), "{}", text(&out.stderr));
    if !cfg!(feature = "highs") {
        let out = cnr(&["solve", "examples/leaky_relu.cnr", "--backend", "good_lp:highs"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("--features highs"), "{}", text(&out.stderr));
    }
}

#[test]
fn negative_and_out_of_range_values_are_reported_with_their_range() {
    for (flag, value, says) in [
        ("--seed", "-1", "2^53"),
        ("--seed", "9007199254740992", "2^53"),
        ("--noise", "-1", "≥ 0"),
        ("--tolerance", "-1", "between 0 and 1"),
    ] {
        let out = cnr(&["solve", "examples/paper_relu.cnr", flag, value]);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(says) && !stderr.contains("unexpected argument"), "{flag} {value}: {stderr}");
    }
}

#[test]
fn a_flood_of_errors_is_cut_after_fifty_with_a_count() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let model = dir.path().join("many.cnr");
    let source = format!(
        "network {{{} conv kernel 4 stride 4 activation relu }}\ndata planted {{ samples 3 }}\n",
        " input 16".repeat(80)
    );
    std::fs::write(&model, source).expect("write");
    let out = cnr(&["check", model.to_str().expect("utf-8")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr.matches("is given more than once").count(), 50, "{stderr}");
    assert!(stderr.contains("29 more problems"), "{stderr}");
}

/// One 72 KB line of 8,000 repeated `input 16` statements: every diagnostic shows only an excerpt
/// of the line around its span, with the real column in its header, so the output stays small.
#[test]
fn long_source_lines_are_cut_around_the_span() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let line = format!("network {{ {}conv kernel 4 activation relu }}", "input 16 ".repeat(8000));
    assert!(line.len() > 72_000);
    let path = dir.path().join("long.cnr");
    std::fs::write(&path, format!("{line}\ndata planted {{ samples 4 }}\n")).expect("written");
    let out = cnr(&["check", path.to_str().expect("a UTF-8 path")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.len() < 40_000, "{} bytes of diagnostics", stderr.len());
    let longest = stderr.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(longest < 200, "a rendered line of {longest} characters");
    // The sixth repeat starts at byte 10 + 6·9 of the line: its header names that column.
    let column = 10 + 6 * 9 + 1;
    assert!(stderr.contains(&format!("long.cnr:1:{column}\n")), "{}", &stderr[..2000.min(stderr.len())]);
    assert!(stderr.contains('…'), "no ellipsis:\n{}", &stderr[..2000.min(stderr.len())]);
    assert!(stderr.contains("more problems in"), "{stderr}");
}

#[test]
fn no_command_writes_over_a_file_the_model_reads() {
    // `-o w.npy` where w.npy is the model's planted file once replaced it (a failed recovery was
    // then reported as 0); `-o x.npy` destroyed the inputs; a link led onto the model.
    let dir = tempfile::tempdir().expect("a folder");
    let folder = dir.path().to_str().expect("utf-8");
    assert_eq!(code(&["data", "examples/paper_relu.cnr", "--out", folder]), 0);
    let model = dir.path().join("m.cnr");
    std::fs::write(
        &model,
        "network { input 128 conv kernel 16 stride 16 activation relu output ones }\ndata files { inputs \"x.npy\" labels \"y.npy\" planted \"w.npy\" }\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(&model, dir.path().join("link.json")).expect("a link");
    let before: Vec<Vec<u8>> = ["x.npy", "w.npy", "m.cnr"]
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).expect("read"))
        .collect();
    let m = model.to_str().expect("utf-8");
    for out in ["w.npy", "x.npy", "link.json", "./../$/m.cnr"] {
        let target = dir.path().join(out.replace("$", &dir.path().file_name().unwrap().to_string_lossy()));
        let t = target.to_str().expect("utf-8");
        let solved = cnr(&["solve", m, "-o", t]);
        assert_eq!(solved.status.code(), Some(1), "solve -o {out}: {}", text(&solved.stderr));
        assert!(text(&solved.stderr).contains("would destroy it"), "{}", text(&solved.stderr));
        assert_eq!(code(&["compile", m, "--emit", "json", "-o", t]), 1, "compile -o {out}");
    }
    // `cnr data` into the folder the model reads its files from would replace them too.
    assert_eq!(code(&["data", m, "--out", folder]), 1);
    let after: Vec<Vec<u8>> = ["x.npy", "w.npy", "m.cnr"]
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).expect("read"))
        .collect();
    assert!(before == after, "an input was changed");
    // Another file is written as before.
    assert_eq!(code(&["solve", m, "-o", dir.path().join("out.npy").to_str().expect("utf-8")]), 0);
}

#[test]
fn writing_into_a_missing_folder_or_onto_a_file_names_what_is_wrong() {
    let dir = tempfile::tempdir().expect("a folder");
    let missing = dir.path().join("nowhere").join("w.npy");
    let out = cnr(&["solve", "examples/paper_relu.cnr", "-o", missing.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out.stderr);
    assert!(
        shown.contains("the folder") && shown.contains("nowhere") && shown.contains("does not exist"),
        "{shown}"
    );
    let file = dir.path().join("taken");
    std::fs::write(&file, b"x").expect("write");
    let out = cnr(&["data", "examples/paper_relu.cnr", "--out", file.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out.stderr);
    assert!(shown.contains("is a file, not a folder") && !shown.contains("os error"), "{shown}");
}

/// The built `cnr` binary run with `args` in the folder `dir`, with a clean environment.
fn cnr_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cnr"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .output()
        .expect("the cnr binary runs")
}

#[test]
fn data_prints_a_block_that_reads_the_files_from_where_it_ran() {
    // `cnr data MODEL --out DIR` printed `inputs "x.npy"`, which only a model inside DIR reads.
    let dir = tempfile::tempdir().expect("a folder");
    let example = root().join("examples/paper_relu.cnr");
    let source = std::fs::read_to_string(&example).expect("the example");
    let out = cnr_in(dir.path(), &["data", example.to_str().expect("UTF-8"), "--out", "exported/paper"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let block = text(&out.stdout);
    for statement in [
        "inputs \"exported/paper/x.npy\"",
        "labels \"exported/paper/y.npy\"",
        "planted \"exported/paper/w.npy\"",
    ] {
        assert!(block.contains(statement), "{block}");
    }
    assert!(block.starts_with("# ") && block.contains("current folder"), "it says from where: {block}");
    // Pasted into a model saved where the command ran, it reads the same data: the same program.
    let start = source.find("data planted {").expect("a data block");
    let end = start + source[start..].find('}').expect("the block ends") + 1;
    let model = dir.path().join("from_files.cnr");
    std::fs::write(&model, format!("{}{}{}", &source[..start], block.trim_end(), &source[end..]))
        .expect("write");
    let from_files = cnr(&["compile", model.to_str().expect("UTF-8"), "--emit", "cbf"]);
    assert_eq!(from_files.status.code(), Some(0), "{}", text(&from_files.stderr));
    let planted = cnr(&["compile", "examples/paper_relu.cnr", "--emit", "cbf"]);
    assert!(from_files.stdout == planted.stdout, "the programs differ");
    // Into the current folder, the names alone are the paths.
    let here = cnr_in(dir.path(), &["data", example.to_str().expect("UTF-8"), "--out", "."]);
    assert_eq!(here.status.code(), Some(0), "{}", text(&here.stderr));
    assert!(text(&here.stdout).contains("inputs \"x.npy\""), "{}", text(&here.stdout));
}

#[test]
fn eval_reads_the_record_that_solve_writes() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = |name: &str| dir.path().join(name).to_str().expect("UTF-8").to_string();
    let (sol, w) = (path("sol.json"), path("w.npy"));
    let solved =
        cnr(&["solve", "examples/paper_relu.cnr", "--samples", "48", "-o", &sol, "-o", &w, "--json"]);
    assert_eq!(solved.status.code(), Some(0), "{}", text(&solved.stderr));
    let s: serde_json::Value = serde_json::from_slice(&solved.stdout).expect("JSON");
    let eval = |filter: &str, extra: &[&str]| {
        let out =
            cnr(&[&["eval", "examples/paper_relu.cnr", "--samples", "48", "--filter", filter][..], extra]
                .concat());
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code_json, from_record, stderr) = eval(&sol, &["--json"]);
    assert_eq!(code_json, Some(0), "{stderr}");
    let from_record: serde_json::Value = serde_json::from_str(&from_record).expect("JSON");
    let from_npy: serde_json::Value = serde_json::from_str(&eval(&w, &["--json"]).1).expect("JSON");
    assert_eq!(from_record, from_npy, "the record's `w` is the filter -o w.npy wrote");
    for key in ["max_violation", "training_loss", "recovery_error"] {
        assert_eq!(from_record[key], s[key], "{key}");
    }
    // A network with biases: the record's `b` are the biases; --bias beside them is refused.
    let bias = ["--set", "network.conv=kernel 16 stride 16 bias"];
    let sol_b = path("sol_b.json");
    let solved = cnr(&[&["solve", "examples/paper_relu.cnr", "--json", "-o", &sol_b][..], &bias].concat());
    assert_eq!(solved.status.code(), Some(0), "{}", text(&solved.stderr));
    let s: serde_json::Value = serde_json::from_slice(&solved.stdout).expect("JSON");
    assert!(s["b"].is_array(), "the record has biases");
    let out = cnr(&[&["eval", "examples/paper_relu.cnr", "--json", "--filter", &sol_b][..], &bias].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(e["training_loss"], s["training_loss"]);
    let (code_both, _, stderr) = eval(&sol_b, &["--bias", &w, "--set", bias[1]]);
    assert_eq!(code_both, Some(2));
    assert!(stderr.contains("sol_b.json") && stderr.contains("drop --bias"), "{stderr}");
    // A record without a point, and a JSON file that is no record, are errors that name the file.
    std::fs::write(path("none.json"), r#"{"model": "m", "w": null}"#).expect("write");
    let (code_none, _, stderr) = eval(&path("none.json"), &[]);
    assert_eq!(code_none, Some(1));
    assert!(stderr.contains("none.json") && stderr.contains("`w` is null"), "{stderr}");
    std::fs::write(path("list.json"), "[1, 2]").expect("write");
    let (code_list, _, stderr) = eval(&path("list.json"), &[]);
    assert_eq!(code_list, Some(1));
    assert!(stderr.contains("list.json") && stderr.contains("solve -o FILE.json"), "{stderr}");
}

#[test]
fn solve_writes_every_o_file_and_refuses_a_bad_one_before_solving() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = |name: &str| dir.path().join(name).to_str().expect("UTF-8").to_string();
    let (json, npy, npy2) = (path("sol.json"), path("w.npy"), path("copy.npy"));
    let out = cnr(&["solve", "examples/two_filters_mean.cnr", "-o", &json, "-o", &npy, "-o", &npy2]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the record")).expect("JSON");
    let w: Vec<f64> = record["w"]
        .as_array()
        .expect("filters")
        .iter()
        .flat_map(|f| f.as_array().expect("a filter").iter().map(|v| v.as_f64().expect("a number")))
        .collect();
    for file in [&npy, &npy2] {
        let array =
            cnr_check::data::load_array("w.npy", &std::fs::read(file).expect("written")).expect(".npy");
        assert_eq!((array.shape, array.values.clone()), (vec![2, 8], w.clone()), "{file}");
    }
    // A bad name, or one file twice, is a usage error before the solve: nothing is written.
    let (fresh, twice) = (path("fresh.json"), path("twice.npy"));
    let bad = cnr(&["solve", "examples/paper_relu.cnr", "-o", &fresh, "-o", "w.txt"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("w.txt"), "{}", text(&bad.stderr));
    let again = cnr(&["solve", "examples/paper_relu.cnr", "-o", &fresh, "-o", &twice, "-o", &twice]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("given twice"), "{}", text(&again.stderr));
    assert!(!dir.path().join("fresh.json").exists() && !dir.path().join("twice.npy").exists());
}

#[test]
fn check_shows_a_user_defined_activation_with_its_definition() {
    let out = cnr(&["check", "examples/bent_max_affine.cnr"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("  activation   bent(z) = max(0.1*z, z, 3*z - 2)  [LP]\n"), "{shown}");
    // Written over lines with a comment, it is shown on one line without the comment; given by
    // --set, as the flag wrote it.
    let dir = tempfile::tempdir().expect("a folder");
    let model = dir.path().join("mine.cnr");
    let source = std::fs::read_to_string(root().join("examples/paper_relu.cnr")).expect("the example");
    let defined = "activation mine(u) = huber(u, 1)   # a comment\n      + 0.5*u";
    std::fs::write(&model, source.replace("activation relu", defined)).expect("write");
    let out = cnr(&["check", model.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("  activation   mine(u) = huber(u, 1) + 0.5*u  [SOC]\n"), "{shown}");
    let set = "network.activation=leaky(z) = max(0.2*z,  z)";
    let out = cnr(&["check", "examples/paper_relu.cnr", "--set", set]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("  activation   leaky(z) = max(0.2*z, z)  [LP]\n"), "{shown}");
    // A built-in one keeps its name alone.
    assert!(text(&cnr(&["check", "examples/paper_relu.cnr"]).stdout).contains("  activation   relu  [LP]\n"));
}

#[test]
fn output_places_that_cannot_be_written_name_the_file_in_the_way_or_the_missing_folder() {
    let dir = tempfile::tempdir().expect("a folder");
    let file = dir.path().join("taken");
    std::fs::write(&file, b"x").expect("write");
    let taken = file.to_str().expect("UTF-8");
    let under = file.join("sub");
    let under = under.to_str().expect("UTF-8");
    for args in [
        vec!["data", "examples/paper_relu.cnr", "--out", taken],
        vec!["data", "examples/paper_relu.cnr", "--out", under],
        vec!["sweep", "examples/params_relu.cnr", "--ratio", "2", "--trials", "1", "--out", taken],
        vec!["sweep", "examples/params_relu.cnr", "--ratio", "2", "--trials", "1", "--out", under],
    ] {
        let out = cnr(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let shown = text(&out.stderr);
        assert!(shown.contains(&format!("`{taken}` is a file, not a folder")), "{args:?}: {shown}");
        assert!(!shown.contains("os error"), "{args:?}: {shown}");
    }
    // A missing folder is named, whichever command writes into it.
    let missing = dir.path().join("no").join("such");
    let folder = missing.to_str().expect("UTF-8");
    for (args, name) in [
        (vec!["solve", "examples/paper_relu.cnr", "-o"], "w.npy"),
        (vec!["compile", "examples/paper_relu.cnr", "--emit", "cbf", "-o"], "p.cbf"),
    ] {
        let target = missing.join(name);
        let out = cnr(&[&args[..], &[target.to_str().expect("UTF-8")]].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let shown = text(&out.stderr);
        assert!(shown.contains(&format!("the folder `{folder}` does not exist; create it")), "{shown}");
    }
}

#[test]
fn the_readme_first_steps_run_as_written() {
    // The block under "First steps", each command run as a reader would paste it (`cnr` being the
    // built binary; `cargo install` is what put it on the PATH), in a folder of its own.
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = &readme[readme.find("## First steps").expect("a First steps section")..];
    let block = &section[section.find("```sh\n").expect("a sh block") + 6..];
    let block = &block[..block.find("```").expect("the block ends")];
    let mut commands: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in block.lines() {
        // A comment starts at a `#` after a space; the commands hold no other `#`.
        let code = line.find(" #").map_or(line, |at| &line[..at]).trim();
        if code.is_empty() {
            continue;
        }
        match code.strip_suffix('\\') {
            Some(first) => pending.push_str(first),
            None => {
                commands.push(format!("{pending}{code}"));
                pending.clear();
            }
        }
    }
    assert!(commands.len() >= 8, "{commands:?}");
    let dir = tempfile::tempdir().expect("a folder");
    std::os::unix::fs::symlink(root().join("examples"), dir.path().join("examples")).expect("a link");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_cnr")).parent().expect("the binary's folder");
    let mut outs = Vec::new();
    for command in commands.iter().filter(|c| !c.starts_with("cargo ")) {
        let out = std::process::Command::new("sh")
            .args(["-c", command])
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .output()
            .expect("sh runs");
        assert_eq!(out.status.code(), Some(0), "`{command}`: {}", text(&out.stderr));
        outs.push((command.clone(), text(&out.stdout)));
        if let Some(at) = command.find("--out ") {
            outs.push(("out".into(), command[at + 6..].split_whitespace().next().expect("a folder").into()));
        }
    }
    // The copied model is the reader's own: its own name, in its record too.
    let mine = std::fs::read_to_string(dir.path().join("mine.cnr")).expect("mine.cnr");
    assert!(mine.lines().any(|l| l.trim() == "model mine"), "{mine}");
    let (_, record) =
        outs.iter().find(|(c, _)| c.starts_with("cnr solve mine.cnr --json")).expect("its solve");
    let record: serde_json::Value = serde_json::from_str(record).expect("JSON");
    assert_eq!((&record["model"], &record["run"]["activation"]), (&"mine".into(), &"softplus".into()));
    // What the steps write under the checkout is ignored by git: the sweep's results folder.
    let ignored = std::fs::read_to_string(root().join(".gitignore")).expect(".gitignore");
    for (_, folder) in outs.iter().filter(|(c, _)| c == "out") {
        let top = folder.split('/').next().expect("a folder");
        assert!(
            ignored.lines().any(|l| [
                format!("/{top}"),
                format!("{top}/"),
                format!("/{top}/"),
                top.to_string()
            ]
            .contains(&l.trim().to_string())),
            "`{top}/` is not in .gitignore"
        );
    }
}

#[test]
fn docs_solving_lists_every_field_of_the_record() {
    // docs/solving.md says its table lists every field of `--json`'s record, nested ones too.
    let docs = std::fs::read_to_string(root().join("docs/solving.md")).expect("docs/solving.md");
    let start = docs.find("## The solve record").expect("the record's section");
    let section = &docs[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    // Solves that between them give every optional field: several solves (restarts), the whole
    // program (attempts), cutting planes, a penalty (xi), biases (b), a refinement (refined).
    let runs: [&[&str]; 7] = [
        &["examples/paper_relu.cnr"],
        &["examples/noisy_l2.cnr", "--refine", "gd=20"],
        &["examples/paper_relu.cnr", "--samples", "32"],
        &["examples/paper_relu.cnr", "--method", "full"],
        &["examples/bench_relu.cnr", "--samples", "3000", "--method", "cutting-plane"],
        &["examples/noisy_l2.cnr"],
        &["examples/paper_relu.cnr", "--set", "network.conv=kernel 16 stride 16 bias"],
    ];
    fn keys(value: &serde_json::Value, path: &str, found: &mut std::collections::BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    found.insert(format!("{path}{key}"));
                    keys(v, &format!("{path}{key}."), found);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, path, found)),
            _ => {}
        }
    }
    let mut found = std::collections::BTreeSet::new();
    for args in runs {
        let out = cnr(&[&["solve", "--json"][..], args].concat());
        let record: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a record");
        keys(&record, "", &mut found);
    }
    for expected in [
        "b",
        "xi",
        "restarts.runs.anchor",
        "attempts.gap",
        "cutting_plane.rounds",
        "wspace.cuts",
        "refined.converged",
    ] {
        assert!(found.contains(expected), "no solve gave `{expected}`: {found:?}");
    }
    let missing: Vec<&String> = found
        .iter()
        .filter(|path| !section.contains(&format!("`{}`", path.rsplit('.').next().expect("a key"))))
        .collect();
    assert!(missing.is_empty(), "docs/solving.md's record table lacks {missing:?}");
}
