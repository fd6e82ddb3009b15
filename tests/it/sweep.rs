//! `cnr sweep`: the phase transition it is for, resuming after a kill, shards and their merge,
//! refusals, the images and the CSV schema.

use crate::util::{root, text};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const MODEL: &str = "examples/params_relu.cnr";

/// `cnr sweep MODEL --out DIR ARGS…` in the project's root.
fn sweep(dir: &Path, args: &[&str]) -> Output {
    let out = dir.to_str().expect("a UTF-8 path");
    let mut all = vec!["sweep", MODEL, "--out", out];
    all.extend(args);
    crate::util::cnr(&all)
}

/// The rows of a `results.csv` without the timing column, sorted: two runs of one sweep give the
/// same rows whatever the order they finished in.
fn rows(dir: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(dir.join("results.csv")).expect("results.csv");
    let header = reader.headers().expect("a header").clone();
    let timing = header.iter().position(|c| c == "solve_seconds").expect("a solve_seconds column");
    let mut out: Vec<Vec<String>> = reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            r.iter().enumerate().filter(|(k, _)| *k != timing).map(|(_, f)| f.to_string()).collect()
        })
        .collect();
    out.sort();
    out
}

/// A sweep killed after `rows` rows: a new folder `part` with `whole`'s manifest and the header and
/// first `rows` rows of its `results.csv`, which are returned.
pub fn cut_copy(whole: &Path, part: &Path, rows: usize) -> Vec<String> {
    std::fs::create_dir(part).expect("a folder");
    std::fs::copy(whole.join("sweep.json"), part.join("sweep.json")).expect("copy");
    let results = std::fs::read_to_string(whole.join("results.csv")).expect("results");
    let kept: Vec<String> = results.lines().take(rows + 1).map(str::to_string).collect();
    std::fs::write(part.join("results.csv"), kept.join("\n") + "\n").expect("write");
    kept
}

/// `(cell, trial, method)` of every row.
fn keys(rows: &[Vec<String>]) -> Vec<(String, String, String)> {
    rows.iter().map(|r| (r[0].clone(), r[1].clone(), r[2].clone())).collect()
}

/// The success rates of `summary.csv` by its `ratio` column, for one method.
fn rates(dir: &Path, method: &str) -> Vec<(f64, f64)> {
    let text = std::fs::read_to_string(dir.join("summary.csv")).expect("summary.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let col =
        |name: &str| header.iter().position(|c| *c == name).unwrap_or_else(|| panic!("no column {name}"));
    let (m, ratio, rate) = (col("method"), col("ratio"), col("rate"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[m] == method)
        .map(|f| (f[ratio].parse().expect("a ratio"), f[rate].parse().expect("a rate")))
        .collect()
}

const SMALL: &[&str] = &["--param", "d=6", "--param", "K=4", "--trials", "10"];

/// `cnr solve MODEL --samples N --seed S` with d = 6, K = 4 and `extra` flags: one trial of a sweep
/// solved again, its JSON record.
fn solve_trial(samples: &str, seed: &str, extra: &[&str]) -> serde_json::Value {
    let base =
        ["solve", MODEL, "--samples", samples, "--seed", seed, "--param", "d=6", "--param", "K=4", "--json"];
    let solved = crate::util::cnr(&[&base[..], extra].concat());
    assert!(solved.status.success(), "{}", text(&solved.stderr));
    serde_json::from_slice(&solved.stdout).expect("JSON")
}

#[test]
fn a_small_relu_sweep_shows_the_phase_transition() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = sweep(dir.path(), &[&["--ratio", "0.5,8"], SMALL].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rates = rates(dir.path(), "relaxation");
    assert_eq!(rates.len(), 2, "{rates:?}");
    assert!(rates[0].1 <= 0.1, "n/d = 0.5 recovers too often: {rates:?}");
    assert!(rates[1].1 >= 0.9, "n/d = 8 recovers too rarely: {rates:?}");
}

#[test]
fn a_trial_reruns_exactly_with_solve_and_the_seed_of_its_row() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = sweep(
        dir.path(),
        &["--ratio", "3", "--param", "d=6", "--param", "K=4", "--trials", "3", "--seed", "40"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let text_csv = std::fs::read_to_string(dir.path().join("results.csv")).expect("results");
    let mut lines = text_csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|c| *c == name).expect("a column");
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let (samples, seed) = (f[col("samples")], f[col("seed")]);
        assert!(["40", "41", "42"].contains(&seed), "seeds are --seed + trial: {seed}");
        let record = solve_trial(samples, seed, &[]);
        let error: f64 = f[col("recovery_error")].parse().expect("a number");
        assert_eq!(record["recovery_error"].as_f64(), Some(error), "trial with seed {seed}");
        assert_eq!(record["status"].as_str(), Some(f[col("status")]));
    }
}

#[test]
fn a_killed_sweep_resumes_to_the_rows_of_an_uninterrupted_one() {
    let args: Vec<&str> =
        [&["--ratio", "1:8:1", "--param", "d=6", "--param", "K=4", "--trials", "25", "--jobs", "1"][..]]
            .concat();
    let whole = tempfile::tempdir().expect("a folder");
    assert!(sweep(whole.path(), &args).status.success());
    let expected = rows(whole.path());
    assert_eq!(expected.len(), 8 * 25);

    // Kill it once some trials are written, before all are. A loaded machine may let the sweep
    // end before the kill lands; such a try says nothing, and the next starts afresh.
    let (part, written) = (0..10)
        .find_map(|_| {
            let part = tempfile::tempdir().expect("a folder");
            let out = part.path().to_str().expect("UTF-8").to_string();
            let mut child = Command::new(env!("CARGO_BIN_EXE_cnr"))
                .args([&["sweep", MODEL, "--out", &out][..], &args].concat())
                .current_dir(root())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("cnr starts");
            let results = part.path().join("results.csv");
            let start = std::time::Instant::now();
            while std::fs::read_to_string(&results).map_or(0, |t| t.lines().count()) <= 20 {
                assert!(start.elapsed().as_secs() < 60, "no trial written in a minute");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            child.kill().expect("the sweep is killed");
            child.wait().expect("it ends");
            let written = rows(part.path()).len();
            (written < expected.len()).then_some((part, written))
        })
        .expect("one of ten sweeps killed before its end");
    assert!(written > 0, "killed after {written} of {} rows", expected.len());
    let results = part.path().join("results.csv");
    // A write cut short leaves a partial last line; resuming drops it.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&results)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"5,3,fu"))
        .expect("append a partial line");

    let resumed = sweep(part.path(), &args);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    let said = text(&resumed.stdout);
    assert!(said.contains(&format!("{} resumed", written)), "{said}");
    let got = rows(part.path());
    let mut unique = keys(&got);
    unique.dedup();
    assert_eq!(unique.len(), got.len(), "a trial was run twice");
    assert_eq!(got, expected, "the resumed sweep differs from the uninterrupted one");
}

#[test]
fn shards_merged_equal_the_unsharded_sweep_and_merge_refuses_mixed_parts() {
    let args = [&["--ratio", "1,4,8", "--baseline", "gd"], SMALL].concat();
    let root_dir = tempfile::tempdir().expect("a folder");
    let whole = root_dir.path().join("whole");
    assert!(sweep(&whole, &args).status.success());
    let mut parts = Vec::new();
    for i in 0..3 {
        let dir = root_dir.path().join(format!("part{i}"));
        let shard = format!("{i}/3");
        let out = sweep(&dir, &[&args[..], &["--shard", &shard]].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
        parts.push(dir.to_str().expect("UTF-8").to_string());
    }
    let merged = root_dir.path().join("merged");
    let merged_s = merged.to_str().expect("UTF-8");
    let out = crate::util::cnr(
        &[
            &["sweep", "merge"][..],
            &parts.iter().map(String::as_str).collect::<Vec<_>>(),
            &["--out", merged_s],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(rows(&merged), rows(&whole));
    assert_eq!(
        std::fs::read_to_string(merged.join("summary.csv")).expect("summary"),
        std::fs::read_to_string(whole.join("summary.csv")).expect("summary")
    );

    // A part of another sweep, and the same part twice, are refused.
    let other = root_dir.path().join("other");
    assert!(sweep(&other, &[&["--ratio", "1,4", "--shard", "1/3"][..], SMALL].concat()).status.success());
    let out = crate::util::cnr(&[
        "sweep",
        "merge",
        &parts[0],
        other.to_str().expect("UTF-8"),
        "--out",
        merged_s,
        "--force",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("parts of different sweeps (the grid and the baseline differ)"),
        "{}",
        text(&out.stderr)
    );
    let out = crate::util::cnr(&["sweep", "merge", &parts[0], &parts[0], "--out", merged_s, "--force"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("the same shard 0/3"), "{}", text(&out.stderr));
}

#[test]
fn resuming_into_a_folder_of_another_sweep_is_refused_until_forced() {
    let dir = tempfile::tempdir().expect("a folder");
    assert!(sweep(dir.path(), &[&["--ratio", "1,2"], SMALL].concat()).status.success());
    let out = sweep(dir.path(), &[&["--ratio", "1,3"], SMALL].concat());
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert!(said.contains("holds another sweep (the grid differs)") && said.contains("--force"), "{said}");
    let out = sweep(dir.path(), &[&["--ratio", "1,3", "--force"], SMALL].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(rows(dir.path()).iter().all(|r| r[3] == "1" || r[3] == "3"), "the old rows are gone");
}

/// The words of an SVG figure: its text elements but the tick labels (numbers), which depend on
/// the data's last digits.
fn svg_words(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("an SVG: {e}"));
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(str::trim).map(str::to_string))
        .filter(|t| !t.is_empty() && t.parse::<f64>().is_err())
        .collect()
}

/// Checks that a figure's PNG decodes at its size and is not blank, and that its SVG parses at
/// the same size; returns the SVG's words.
pub fn check_figure(dir: &Path, name: &str) -> Vec<String> {
    let bytes = std::fs::read(dir.join(format!("{name}.png"))).expect("a PNG");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("the image decodes");
    assert_eq!((info.width, info.height), (960, 640), "{name}.png");
    // Not blank: a figure has more than a handful of colours.
    let colours: std::collections::HashSet<&[u8]> = pixels.chunks(3).collect();
    assert!(colours.len() > 20, "{name}.png has {} colours", colours.len());
    let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).expect("an SVG");
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}.svg: {e}"));
    let root = doc.root_element();
    assert_eq!(
        (root.tag_name().name(), root.attribute("width"), root.attribute("height")),
        ("svg", Some("960"), Some("640"))
    );
    svg_words(&svg)
}

#[test]
fn the_figures_decode_and_their_words_are_the_reviewed_ones() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = sweep(
        dir.path(),
        &["--ratio", "1,4,6", "--param", "d=4,6", "--param", "K=4", "--trials", "2", "--baseline", "gd"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut shown = String::new();
    for name in ["success", "error", "heatmap", "heatmap_gd"] {
        let words = check_figure(dir.path(), name);
        shown += &format!("{name}:\n  {}\n", words.join("\n  "));
    }
    insta::assert_snapshot!("sweep_figure_words", shown);
}

#[test]
fn past_eight_curves_a_figure_is_small_multiples_one_panel_per_group() {
    // Nine values of d and two methods: eighteen curves, which one panel would draw over one
    // another. Each group gets a panel titled by its value, the axes are described once, and the
    // methods' dashes are said in words.
    let dir = tempfile::tempdir().expect("a folder");
    let ds = "d=2,3,4,5,6,7,8,9,10";
    let out = sweep(
        dir.path(),
        &["--ratio", "1,4", "--param", ds, "--param", "K=2", "--trials", "1", "--baseline", "gd"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let words = check_figure(dir.path(), "success");
    insta::assert_snapshot!("sweep_small_multiples_words", words.join("\n"));
    // Eight groups or fewer stay one panel with a legend.
    let few = tempfile::tempdir().expect("a folder");
    let out = sweep(
        few.path(),
        &["--ratio", "1,4", "--param", "d=2,3,4,5,6,7,8,9", "--param", "K=2", "--trials", "1"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let words = check_figure(few.path(), "success");
    assert!(
        words.iter().any(|w| w == "d = 9") && !words.iter().any(|w| w.starts_with("each panel")),
        "{words:?}"
    );
}

#[test]
fn the_csv_schema_is_the_reviewed_one() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = sweep(
        dir.path(),
        &[
            "--ratio",
            "1,6",
            "--param",
            "d=4",
            "--param",
            "K=3",
            "--activation",
            "relu,leaky_relu(0.5)",
            "--noise",
            "0",
            "--trials",
            "3",
            "--baseline",
            "gd",
            "--seed",
            "11",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let results = std::fs::read_to_string(dir.path().join("results.csv")).expect("results");
    let header = results.lines().next().expect("a header");
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).expect("summary");
    insta::assert_snapshot!(
        "sweep_csv_schema",
        format!("results.csv header:\n{header}\n\nsummary.csv:\n{summary}")
    );
}

#[test]
fn the_sweep_block_of_the_model_is_the_grid_and_the_flags_override_it_axis_by_axis() {
    let dir = tempfile::tempdir().expect("a folder");
    let model = dir.path().join("m.cnr");
    let base = std::fs::read_to_string(root().join(MODEL)).expect("the example");
    std::fs::write(
        &model,
        format!("{base}\nsweep {{\n  ratio 0.5,8\n  param K = 3,4\n  trials 3\n  seed 5\n}}\n"),
    )
    .expect("write");
    let model_s = model.to_str().expect("UTF-8");
    let run = |out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let args = [&["sweep", model_s, "--out", out.to_str().expect("UTF-8"), "--param", "d=6"][..], extra]
            .concat();
        (crate::util::cnr(&args), out)
    };
    let (out, folder) = run("file", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = rows(&folder);
    assert_eq!(got.len(), 2 * 2 * 3, "ratios × K × trials from the block");
    // Columns: cell, trial, method, ratio, d, K, samples, seed, …
    assert!(got.iter().all(|r| ["5", "6", "7"].contains(&r[7].as_str())), "seeds 5 + trial: {got:?}");
    // `--ratio` replaces the block's ratios; its `param K` and `trials` stay.
    let (out, folder) = run("flags", &["--ratio", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = rows(&folder);
    assert_eq!(got.len(), 2 * 3);
    assert!(got.iter().all(|r| r[3] == "2"), "{got:?}");
    // An entry that does not read is an error at its line.
    std::fs::write(&model, format!("{base}\nsweep {{\n  ratio 0.5,,8\n}}\n")).expect("write");
    let (out, _) = run("bad", &[]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    let line = base.lines().count() + 3;
    assert!(
        said.contains("sweep ratio: `0.5,,8` has an empty entry")
            && said.contains(&format!("m.cnr:{line}:9")),
        "{said}"
    );
}

#[test]
fn a_cell_the_model_cannot_take_is_an_error_before_any_trial_with_its_settings() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = sweep(
        dir.path(),
        &[
            "--ratio",
            "2",
            "--param",
            "d=6,7",
            "--param",
            "K=4",
            "--set",
            "network.conv=kernel d stride d/2",
            "--trials",
            "2",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert!(
        said.contains("the stride must be a whole number") && said.contains("d/2 (= 3.5, with d = 7)"),
        "{said}"
    );
    assert!(said.contains("the model does not compile with") && said.contains("--param d=7"), "{said}");
    // The mistake is in the text the `--set` flag wrote, which is shown under the flag's name.
    assert!(said.contains("┌─ --set network.conv=kernel d stride d/2:1:32"), "the flag is named: {said}");
    let results = dir.path().join("results.csv");
    assert!(!results.exists(), "no trial ran");
}

#[test]
fn an_activation_axis_takes_user_defined_activations() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = sweep(
        dir.path(),
        &[&["--ratio", "8", "--activation", "leaky_relu(0.5),bent(z) = max(0.5*z, z)"], SMALL].concat(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = rows(dir.path());
    let rate = |activation: &str| rows.iter().filter(|r| r[6] == activation && r[9] == "true").count();
    // The same function written two ways recovers on the same trials.
    assert_eq!(rate("leaky_relu(0.5)"), rate("bent(z) = max(0.5*z, z)"));
    assert!(rate("leaky_relu(0.5)") >= 9, "{rows:?}");
}

#[test]
fn anchor_and_restart_axes_solve_each_trial_as_the_setting_would() {
    let dir = tempfile::tempdir().expect("a folder");
    let args = ["--ratio", "3", "--param", "d=6", "--param", "K=4", "--trials", "3", "--seed", "40"];
    let out = sweep(dir.path(), &[&args[..], &["--anchor", "data,random", "--restarts", "1,2"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut reader = csv::Reader::from_path(dir.path().join("results.csv")).expect("results.csv");
    let header = reader.headers().expect("a header").clone();
    let col =
        |name: &str| header.iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"));
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    // Every (anchor, restarts) pair, three trials each.
    assert_eq!(records.len(), 12);
    for r in &records {
        let (anchor, restarts, seed) = (&r[col("anchor")], &r[col("restarts")], &r[col("seed")]);
        let settings = [format!("relax.anchor={anchor}"), format!("relax.restarts={restarts}")];
        let record = solve_trial(&r[col("samples")], seed, &["--set", &settings[0], "--set", &settings[1]]);
        let objective: f64 = r[col("objective")].parse().expect("a number");
        assert_eq!(record["objective"].as_f64(), Some(objective), "{anchor}, {restarts}, seed {seed}");
        assert_eq!(record["run"]["anchor"].as_str().map(|a| a.starts_with(anchor)), Some(true), "{record}");
    }
}

#[test]
fn a_damaged_results_folder_is_an_error_that_names_the_file_and_line() {
    let dir = tempfile::tempdir().expect("a folder");
    let args = [&["--ratio", "1,2"], SMALL].concat();
    assert!(sweep(dir.path(), &args).status.success());
    // A row cut in the middle of the file (not a last line cut short by a kill).
    let results = dir.path().join("results.csv");
    let written = std::fs::read_to_string(&results).expect("results");
    let mut lines: Vec<&str> = written.lines().collect();
    lines[3] = "2,x,full";
    std::fs::write(&results, lines.join("\n") + "\n").expect("write");
    let out = sweep(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert!(said.contains("results.csv:4:"), "{said}");
    // A manifest that is not one.
    std::fs::write(dir.path().join("sweep.json"), "{ not json").expect("write");
    let out = sweep(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert!(said.contains("sweep.json: not a sweep manifest") && said.contains("--force"), "{said}");
}

#[test]
fn bad_sweep_flags_and_axes_that_do_not_fit_the_data_are_refused_with_what_to_do() {
    let dir = tempfile::tempdir().expect("a folder");
    refused_as_usage(&[
        (&["--ratio", "1,,2"][..], "has an empty entry"),
        (&["--ratio", "2:1:1"][..], "START ≤ STOP"),
        (&["--samples", "8.5"][..], "is not a sample count"),
        (&["--param", "1d=2,3"][..], "is not a parameter name"),
        (&["--shard", "4/4"][..], "is not a shard"),
        (&["--threshold", "0"][..], "the threshold is a number > 0"),
        (&["--ratio", "1", "--samples", "8"][..], "give --samples or --ratio, not both"),
    ]);
    let out = dir.path().to_str().expect("UTF-8");
    // Data from files have no label noise to sweep, nor more samples than the files hold.
    let run = crate::util::cnr(&[
        "sweep",
        "examples/npy_data.cnr",
        "--out",
        out,
        "--trials",
        "1",
        "--noise",
        "0.1",
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(text(&run.stderr).contains("--noise applies only to planted data"), "{}", text(&run.stderr));
    let run = crate::util::cnr(&[
        "sweep",
        "examples/npy_data.cnr",
        "--out",
        out,
        "--trials",
        "1",
        "--samples",
        "49",
        "--force",
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        text(&run.stderr).contains("--samples 49 asks for more samples than the files hold (48)"),
        "{}",
        text(&run.stderr)
    );
}

#[test]
fn a_sweep_with_restarts_resumes_and_shards_like_any_other() {
    let args = [&["--ratio", "2,6", "--anchor", "random,auto", "--restarts", "1,3"], SMALL].concat();
    let root_dir = tempfile::tempdir().expect("a folder");
    let whole = root_dir.path().join("whole");
    assert!(sweep(&whole, &args).status.success());
    let expected = rows(&whole);
    assert_eq!(expected.len(), 2 * 2 * 2 * 10);
    // Interrupted after half of its rows (the header and 40 rows kept), then resumed.
    let part = root_dir.path().join("part");
    cut_copy(&whole, &part, 40);
    let resumed = sweep(&part, &args);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert!(text(&resumed.stdout).contains("40 resumed"), "{}", text(&resumed.stdout));
    assert_eq!(rows(&part), expected);
    // Two shards, merged.
    let mut parts = Vec::new();
    for i in 0..2 {
        let dir = root_dir.path().join(format!("shard{i}"));
        let out = sweep(&dir, &[&args[..], &["--shard", &format!("{i}/2")]].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
        parts.push(dir.to_str().expect("UTF-8").to_string());
    }
    let merged = root_dir.path().join("merged");
    let merge = || {
        crate::util::cnr(&["sweep", "merge", &parts[0], &parts[1], "--out", merged.to_str().expect("UTF-8")])
    };
    // A part still being written (its lock held, as a running shard holds it) is not merged.
    let held = std::fs::File::open(Path::new(&parts[1]).join(".lock")).expect("the part's lock file");
    held.try_lock().expect("the lock is free");
    let out = merge();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is in use by another cnr sweep"), "{}", text(&out.stderr));
    drop(held);
    // Released: the merge goes through. (A child that another test forks while `held` is open
    // shares its lock until that child execs, which under load takes a moment: retry briefly.)
    let mut out = merge();
    for _ in 0..50 {
        if out.status.success() || !text(&out.stderr).contains("is in use by another cnr sweep") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        out = merge();
    }
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(rows(&merged), expected);
}

#[test]
fn bad_restart_and_refinement_counts_are_refused_with_their_names() {
    refused_as_usage(&[
        (&["--restarts", "0"][..], "is not a number of restarts"),
        (&["--refine", "1.5"][..], "is not a number of refinements"),
        (&["--anchor", "data,,lstsq"][..], "has an empty anchor"),
    ]);
}

/// Each sweep's flags are a usage error (exit 2) whose message says the given words.
fn refused_as_usage(cases: &[(&[&str], &str)]) {
    let dir = tempfile::tempdir().expect("a folder");
    for (args, says) in cases {
        let out = sweep(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(says), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn a_folder_in_use_by_another_sweep_is_refused() {
    let dir = tempfile::tempdir().expect("a folder");
    // Another process's lock, held here the way a running sweep holds it.
    let lock = std::fs::File::create(dir.path().join(".lock")).expect("a lock file");
    lock.lock().expect("the lock");
    let out = sweep(dir.path(), &[&["--ratio", "1,2"], SMALL].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is in use by another cnr sweep"), "{}", text(&out.stderr));
    assert!(!dir.path().join("results.csv").exists(), "nothing ran");
    drop(lock);
    let out = sweep(dir.path(), &[&["--ratio", "1,2"], SMALL].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn rows_that_do_not_belong_to_the_sweep_are_refused_on_resume() {
    let dir = tempfile::tempdir().expect("a folder");
    let args = [&["--ratio", "1,2"], SMALL].concat();
    assert!(sweep(dir.path(), &args).status.success());
    let path = dir.path().join("results.csv");
    let original = std::fs::read_to_string(&path).expect("results.csv");
    let first_row = original.lines().nth(1).expect("a row").to_string();
    let lines = original.lines().count();
    // A duplicate of a trial, a cell outside the grid, a success without a recovery error.
    let mut foreign_cell: Vec<String> = first_row.split(',').map(str::to_string).collect();
    foreign_cell[0] = "999".into();
    let header: Vec<&str> = original.lines().next().expect("a header").split(',').collect();
    let at = |name: &str| header.iter().position(|c| *c == name).expect("a column");
    let mut false_success: Vec<String> = first_row.split(',').map(str::to_string).collect();
    false_success[at("success")] = "true".into();
    false_success[at("recovery_error")] = "NaN".into();
    // A row of a method the sweep does not run (no --refine-gd, no --baseline).
    let mut foreign_method: Vec<String> = first_row.split(',').map(str::to_string).collect();
    foreign_method[2] = "relaxation+gd".into();
    for (bad, says) in [
        (first_row.clone(), "a second row for trial"),
        (foreign_cell.join(","), "cell 999 is not in the grid"),
        (foreign_method.join(","), "method `relaxation+gd` is not run by this sweep"),
        (false_success.join(","), "a success without a recovery error below the threshold"),
    ] {
        let mut text_with = original.clone();
        if bad == first_row {
            text_with.push_str(&format!("{bad}\n"));
        } else {
            // In place of the first row, so that only this row is wrong.
            text_with = text_with.replacen(&first_row, &bad, 1);
        }
        std::fs::write(&path, &text_with).expect("write");
        let out = sweep(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{says}: {}", text(&out.stderr));
        let said = text(&out.stderr);
        assert!(said.contains(says) && said.contains("results.csv:"), "{says}: {said}");
        assert!(bad != first_row || said.contains(&format!("results.csv:{}", lines + 1)), "{said}");
    }
}

#[test]
fn a_grid_too_large_to_count_or_hold_is_refused_at_once() {
    let dir = tempfile::tempdir().expect("a folder");
    // 8,192⁵ = 2⁶⁵ cells: the count used to wrap to 0 ("0 trials of 0 cells", exit 0).
    let activations = vec!["relu"; 8192].join(",");
    let out = sweep(
        dir.path(),
        &[
            "--samples",
            "1:8192:1",
            "--param",
            "d=1:8192:1",
            "--param",
            "K=1:8192:1",
            "--noise",
            "0:8191:1",
            "--activation",
            &activations,
            "--trials",
            "2",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("overflow a count"), "{}", text(&out.stderr));
    // 10⁹ trials would need hundreds of GiB: refused before anything is allocated.
    let out = sweep(dir.path(), &["--ratio", "1:10000:1", "--trials", "100000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("more than the memory budget"), "{}", text(&out.stderr));
}

#[test]
fn the_results_folder_is_written_as_every_output_is() {
    // sweep.json, summary.csv and the plots were created 0600 and a link to a plot was replaced:
    // they go through the one atomic writer now (modes as `open` makes them, links kept).
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a folder");
    let elsewhere = tempfile::tempdir().expect("another folder");
    let target = elsewhere.path().join("success.svg");
    std::fs::write(&target, "old").expect("write");
    std::os::unix::fs::symlink(&target, dir.path().join("success.svg")).expect("a link");
    let out = sweep(dir.path(), &[&["--ratio", "1,2"], SMALL].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The mode `open` gives a new file: 0666 less this process's umask (which the child shares).
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let umask = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|m| u32::from_str_radix(m.trim(), 8).expect("an octal umask"))
        .expect("a Umask line");
    for name in ["sweep.json", "summary.csv"] {
        let mode = std::fs::metadata(dir.path().join(name)).expect(name).permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask, "{name}: mode {mode:o}, umask {umask:o}");
    }
    let link = std::fs::symlink_metadata(dir.path().join("success.svg")).expect("the plot");
    assert!(link.file_type().is_symlink(), "the link was replaced by a file");
    assert!(
        std::fs::read_to_string(&target).expect("the target").starts_with("<svg"),
        "written through the link"
    );
}

#[test]
fn a_part_with_a_row_of_another_shard_is_refused_by_merge_and_resume() {
    let dir = tempfile::tempdir().expect("a folder");
    let part = dir.path().join("part0");
    let args = [&["--ratio", "1,2", "--shard", "0/2"], SMALL].concat();
    assert!(sweep(&part, &args).status.success());
    let path = part.join("results.csv");
    let text_before = std::fs::read_to_string(&path).expect("results.csv");
    // Shard 0 of 2 owns the even units (cell · trials + trial): trial 1 of cell 0 is shard 1's.
    let first = text_before.lines().find(|l| l.starts_with("0,0,")).expect("trial 0 of cell 0").to_string();
    let mut fields: Vec<String> = first.split(',').map(str::to_string).collect();
    let header: Vec<&str> = text_before.lines().next().expect("a header").split(',').collect();
    let seed_column = header.iter().position(|c| *c == "seed").expect("a seed column");
    let seed: u64 = fields[seed_column].parse().expect("a seed");
    fields[1] = "1".into();
    fields[seed_column] = (seed + 1).to_string();
    std::fs::write(&path, format!("{text_before}{}\n", fields.join(","))).expect("write");
    let merged = dir.path().join("merged");
    let out = crate::util::cnr(&[
        "sweep",
        "merge",
        part.to_str().expect("utf-8"),
        "--out",
        merged.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("belongs to another shard than 0/2"), "{}", text(&out.stderr));
    let resumed = sweep(&part, &args);
    assert_eq!(resumed.status.code(), Some(1));
    assert!(text(&resumed.stderr).contains("belongs to another shard"), "{}", text(&resumed.stderr));
}

#[test]
fn an_interrupted_sweep_has_said_that_the_same_command_resumes_it() {
    // Ctrl-C ends a sweep at once (exit 130 in a shell) with the trials done in its folder; what
    // to do then is said before the first trial, where it is still on the screen afterwards.
    let dir = tempfile::tempdir().expect("a folder");
    let out = dir.path().join("results");
    let mut command = Command::new(env!("CARGO_BIN_EXE_cnr"));
    command
        .args(["sweep", MODEL, "--out", out.to_str().expect("UTF-8"), "--ratio", "1:8:1"])
        .args(["--param", "d=6", "--param", "K=4", "--trials", "2000", "--jobs", "1"])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // A shell starts a background job (`cargo test &`) with SIGINT ignored, and the child would
    // inherit that and run all its trials: give it the action of a terminal's Ctrl-C.
    use std::os::unix::process::CommandExt;
    // SAFETY: signal(2) is async-signal-safe, the one call allowed between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let child = command.spawn().expect("cnr starts");
    let results = out.join("results.csv");
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&results).map_or(0, |t| t.lines().count()) < 10 {
        assert!(start.elapsed().as_secs() < 60, "no trial written in a minute");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let interrupted =
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(interrupted.success());
    let ended = child.wait_with_output().expect("it ends");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        ended.status.signal(),
        Some(2),
        "ended by the interrupt, before its 16,000 trials ({}): {}",
        ended.status,
        text(&ended.stderr)
    );
    let said = text(&ended.stderr);
    assert!(said.contains("run the same command again to resume"), "{said}");
    assert!(said.contains(&format!("`{}`", out.display())), "it names the folder: {said}");
}

#[test]
fn a_folder_of_an_earlier_version_without_the_new_columns_resumes_and_is_rewritten_with_them() {
    let root_dir = tempfile::tempdir().expect("a folder");
    let whole = root_dir.path().join("whole");
    let args = [&["--ratio", "1,6"], SMALL].concat();
    assert!(sweep(&whole, &args).status.success());
    let added = cnr_sweep::results::ADDED_COLUMNS;
    // Each earlier version's folder: without the columns added from it on, 12 rows kept.
    for from in 0..added.len() {
        let later = added[from..].concat();
        let old = root_dir.path().join(format!("old{from}"));
        std::fs::create_dir(&old).expect("a folder");
        std::fs::copy(whole.join("sweep.json"), old.join("sweep.json")).expect("copy");
        let mut reader = csv::Reader::from_path(whole.join("results.csv")).expect("results.csv");
        let header = reader.headers().expect("a header").clone();
        let keep: Vec<usize> = (0..header.len()).filter(|&k| !later.contains(&&header[k])).collect();
        assert!(keep.len() < header.len());
        let mut writer = csv::Writer::from_path(old.join("results.csv")).expect("a file");
        writer.write_record(keep.iter().map(|&k| &header[k])).expect("a header");
        for record in reader.records().take(12) {
            let record = record.expect("a row");
            writer.write_record(keep.iter().map(|&k| &record[k])).expect("a row");
        }
        writer.flush().expect("written");
        drop(writer);
        let out = sweep(&old, &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("12 resumed"), "{}", text(&out.stdout));
        // Rewritten under this version's columns: the old rows have the added ones empty (K as 0),
        // the new ones have them.
        let mut reader = csv::Reader::from_path(old.join("results.csv")).expect("results.csv");
        assert_eq!(reader.headers().expect("a header"), &header);
        let column = |name: &str| header.iter().position(|c| c == name).expect(name);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
        assert_eq!(rows.len(), 20);
        let (patches, explanation) = (column("patches"), column("explanation"));
        let empty = if from == 0 { "0" } else { "4" };
        assert!(rows[..12].iter().all(|r| &r[patches] == empty), "{rows:?}");
        assert!(rows[12..].iter().all(|r| &r[patches] == "4"), "{rows:?}");
        assert!(rows[..12].iter().all(|r| r[explanation].is_empty()), "{rows:?}");
        // The new relaxation rows say why they did or did not recover.
        let said = |r: &&csv::StringRecord| ["recovered", "anchor"].contains(&&r[explanation]);
        assert!(rows[12..].iter().filter(|r| &r[column("method")] != "gd").all(|r| said(&r)), "{rows:?}");
    }
}

/// `cnr sweep plot ARGS…` in the project's root.
fn plot(dir: &Path, args: &[&str]) -> Output {
    crate::util::cnr(&[&["sweep", "plot", dir.to_str().expect("UTF-8")][..], args].concat())
}

#[test]
fn sweep_plot_redraws_the_figures_from_the_rows_with_the_axes_chosen() {
    let dir = tempfile::tempdir().expect("a folder");
    let args = ["--ratio", "1,4", "--param", "d=4,6", "--param", "K=4", "--trials", "2"];
    assert!(sweep(dir.path(), &args).status.success());
    let results = std::fs::read(dir.path().join("results.csv")).expect("results.csv");
    let success = std::fs::read(dir.path().join("success.svg")).expect("success.svg");
    let before = check_figure(dir.path(), "error");
    assert!(before.iter().any(|w| w == "samples per filter coordinate, n/d"), "{before:?}");

    let out = plot(dir.path(), &["--x", "d", "--group", "ratio", "--metric", "error"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    let written: Vec<&str> = said.lines().skip(1).map(str::trim).collect();
    let expected: Vec<String> =
        ["error.svg", "error.png"].iter().map(|f| dir.path().join(f).display().to_string()).collect();
    assert_eq!(written, expected, "{said}");
    let words = check_figure(dir.path(), "error");
    for said in ["parameter d", "ratio = 1", "ratio = 4"] {
        assert!(words.iter().any(|w| w == said), "{said} in {words:?}");
    }
    assert!(!words.iter().any(|w| w == "samples per filter coordinate, n/d"), "{words:?}");
    // Nothing ran: the rows are as they were, and the figures not asked for too.
    assert_eq!(std::fs::read(dir.path().join("results.csv")).expect("results.csv"), results);
    assert_eq!(std::fs::read(dir.path().join("success.svg")).expect("success.svg"), success);

    // A log x axis, and the default figures again.
    let out = plot(dir.path(), &["--log-x"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let words = check_figure(dir.path(), "success");
    assert!(words.iter().any(|w| w == "samples per filter coordinate, n/d (log scale)"), "{words:?}");
    // Ratios of 1 to 4, less than a decade: ticks at 1 and 2 (once the decade's 1 alone).
    let svg = std::fs::read_to_string(dir.path().join("success.svg")).expect("an SVG");
    let doc = roxmltree::Document::parse(&svg).expect("an SVG");
    let numbers: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(numbers.contains(&"1") && numbers.contains(&"2"), "{numbers:?}");
}

#[test]
fn sweep_plot_refuses_what_does_not_fit_and_says_what_to_do() {
    let root_dir = tempfile::tempdir().expect("a folder");
    let dir = root_dir.path().join("runs");
    assert!(sweep(&dir, &[&["--ratio", "1,2"], SMALL].concat()).status.success());
    let figure = std::fs::read(dir.join("success.svg")).expect("success.svg");
    let refused = |out: Output, code: i32, says: &[&str]| {
        assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
        let said = text(&out.stderr);
        assert!(says.iter().all(|s| said.contains(s)), "{says:?} in {said}");
    };
    // Axes the sweep does not have (usage errors), and a log axis of values that are not positive.
    refused(
        plot(&dir, &["--x", "lam"]),
        2,
        &["--x lam: the sweep has no such axis", "its axes are ratio, d, K"],
    );
    refused(plot(&dir, &["--x", "ratio", "--group", "ratio"]), 2, &["--group ratio is the x axis too"]);
    refused(plot(&dir, &["--metric", "median"]), 2, &["--metric", "choose rate, error or loss"]);
    // A folder that is missing, not a sweep's, or without trials yet.
    let missing = root_dir.path().join("nowhere");
    refused(
        plot(&missing, &[]),
        1,
        &[&format!("the folder `{}` does not exist", missing.display()), "--out DIR"],
    );
    let other = root_dir.path().join("other");
    std::fs::create_dir(&other).expect("a folder");
    refused(plot(&other, &[]), 1, &["has no sweep.json", "not a sweep's results folder"]);
    std::fs::copy(dir.join("sweep.json"), other.join("sweep.json")).expect("copy");
    let header = std::fs::read_to_string(dir.join("results.csv")).expect("rows");
    std::fs::write(other.join("results.csv"), format!("{}\n", header.lines().next().expect("a header")))
        .expect("write");
    refused(plot(&other, &[]), 1, &["has no trials yet: run the sweep first"]);
    // A sweep that runs into the folder holds its lock: nothing is written beside it.
    let lock = std::fs::File::open(dir.join(".lock")).expect("the lock file");
    lock.lock().expect("the lock");
    refused(plot(&dir, &[]), 1, &["is in use by another cnr sweep", "run `cnr sweep plot` after"]);
    drop(lock);
    assert_eq!(std::fs::read(dir.join("success.svg")).expect("success.svg"), figure);
    assert!(plot(&dir, &[]).status.success());
}

/// The `training_loss` of each `(cell, trial)` of `dir`'s rows of the relaxation, or with `refined`
/// of its refinement by gradient descent.
fn losses_of(dir: &Path, refined: bool) -> std::collections::BTreeMap<(String, String), f64> {
    let mut reader = csv::Reader::from_path(dir.join("results.csv")).expect("results.csv");
    let header = reader.headers().expect("a header").clone();
    let col = |name: &str| header.iter().position(|c| c == name).expect("a column");
    let (m, loss) = (col("method"), col("training_loss"));
    reader
        .records()
        .map(|r| r.expect("a row"))
        .filter(|r| (&r[m] == "relaxation+gd") == refined)
        .map(|r| ((r[0].to_string(), r[1].to_string()), r[loss].parse().expect("a loss")))
        .collect()
}

#[test]
fn refine_gd_adds_a_refined_row_per_trial_that_never_raises_the_loss_and_resumes() {
    let root_dir = tempfile::tempdir().expect("a folder");
    let args = ["--ratio", "1,2", "--param", "d=6", "--param", "K=4", "--trials", "4", "--refine-gd=300"];
    let whole = root_dir.path().join("whole");
    let out = sweep(&whole, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = rows(&whole);
    assert_eq!(expected.len(), 2 * 2 * 4, "two rows per trial");
    let (relaxed, refined) = (losses_of(&whole, false), losses_of(&whole, true));
    assert_eq!(relaxed.len(), 8);
    assert_eq!(
        relaxed.keys().collect::<Vec<_>>(),
        refined.keys().collect::<Vec<_>>(),
        "one of each per trial"
    );
    for (trial, loss) in &refined {
        assert!(*loss <= relaxed[trial], "trial {trial:?}: refined {loss} > {}", relaxed[trial]);
    }
    assert!(refined.iter().any(|(t, l)| *l < relaxed[t]), "some descent moved: {refined:?} {relaxed:?}");
    // The summary and the figures have the method, the legend by its name.
    let summary = std::fs::read_to_string(whole.join("summary.csv")).expect("summary.csv");
    assert_eq!(summary.lines().filter(|l| l.contains(",relaxation+gd,")).count(), 2, "{summary}");
    let words = check_figure(&whole, "success");
    assert!(words.iter().any(|w| w == "relaxation+gd"), "{words:?}");
    assert!(words.iter().any(|w| w == "relaxation"), "{words:?}");

    // Cut after three rows, inside a trial (its relaxation's row kept, its refined row lost): the
    // rerun solves that trial again for its refined row alone, and gives the uninterrupted rows.
    let part = root_dir.path().join("part");
    let kept = cut_copy(&whole, &part, 3);
    assert!(kept[3].split(',').nth(2) != Some("relaxation+gd"), "the cut is inside a trial: {kept:?}");
    let resumed = sweep(&part, &args);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert!(text(&resumed.stdout).contains("(7 run now, 1 resumed)"), "{}", text(&resumed.stdout));
    assert_eq!(rows(&part), expected);

    // The option is part of what the sweep is: another step count, or none, is another sweep.
    let out = sweep(&whole, &args[..8]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("the refinement by gradient descent (--refine-gd) differs"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_manifest_made_before_refine_gd_reads_as_without_it() {
    let dir = tempfile::tempdir().expect("a folder");
    let args = [&["--ratio", "1,2"], SMALL].concat();
    assert!(sweep(dir.path(), &args).status.success());
    let path = dir.path().join("sweep.json");
    let manifest = std::fs::read_to_string(&path).expect("sweep.json");
    let old: Vec<&str> = manifest.lines().filter(|l| !l.contains("\"refine_gd\"")).collect();
    assert_eq!(old.len() + 1, manifest.lines().count(), "the manifest names the option");
    std::fs::write(&path, old.join("\n")).expect("write");
    let out = sweep(dir.path(), &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("(0 run now, 20 resumed)"), "{}", text(&out.stdout));
}

#[test]
fn curves_of_two_activations_have_their_own_colour_even_where_they_coincide() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = sweep(
        dir.path(),
        &[
            "--ratio",
            "2,4",
            "--param",
            "d=4",
            "--param",
            "K=4",
            "--activation",
            "relu,softplus",
            "--trials",
            "3",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let svg = std::fs::read_to_string(dir.path().join("success.svg")).expect("an SVG");
    // The first two colours of the Okabe–Ito palette: blue for relu, vermillion for softplus.
    for colour in ["#0072B2", "#D55E00"] {
        assert!(svg.contains(&format!("stroke=\"{colour}\"")), "{colour} is drawn");
    }
    let words = check_figure(dir.path(), "success");
    assert!(words.contains(&"relu".to_string()) && words.contains(&"softplus".to_string()), "{words:?}");
}

/// A CSV file of a results folder as maps from column to field.
fn csv_maps(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("a CSV file");
    let header = reader.headers().expect("a header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            header.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect()
}

#[test]
fn crossings_csv_locates_each_curves_50_percent_between_the_points_that_straddle_it() {
    let dir = tempfile::tempdir().expect("a folder");
    let args =
        ["--ratio", "1,2,3,4,6", "--param", "d=6", "--param", "K=4", "--trials", "12", "--baseline", "gd"];
    let out = sweep(dir.path(), &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = csv_maps(&dir.path().join("summary.csv"));
    let crossings = csv_maps(&dir.path().join("crossings.csv"));
    assert_eq!(crossings.len(), 2 * 3, "two curves (relaxation, gd), three levels: {crossings:?}");
    // Every failed relaxation trial is explained by its cause, and none disagrees with its verdict.
    for s in summary.iter().filter(|s| s["method"] == "relaxation") {
        let n = |c: &str| s[c].parse::<usize>().unwrap_or_else(|_| panic!("{c} in {s:?}"));
        assert_eq!(n("unexplained"), 0, "{s:?}");
        assert_eq!(
            n("trials") - n("successes"),
            n("failed_anchor") + n("failed_data") + n("failed_status"),
            "{s:?}"
        );
    }
    for method in ["relaxation", "gd"] {
        let rates: Vec<(f64, f64)> = summary
            .iter()
            .filter(|s| s["method"] == method)
            .map(|s| (s["ratio"].parse().unwrap(), s["rate"].parse().unwrap()))
            .collect();
        let half = crossings.iter().find(|c| c["method"] == method && c["level"] == "0.5").expect("a row");
        assert_eq!(
            (half["x"].as_str(), half["points"].as_str(), half["trials_min"].as_str()),
            ("ratio", "5", "12")
        );
        // The first pair of points that straddles 50% holds the crossing, at the linear place.
        let j = rates.iter().position(|r| r.1 >= 0.5).expect("the curve reaches 50% on this grid");
        if j == 0 {
            assert_eq!(half["crossing"], "<=1", "{half:?}");
            continue;
        }
        let ((x0, y0), (x1, y1)) = (rates[j - 1], rates[j]);
        let at: f64 = half["crossing"].parse().expect("a number");
        let expected = x0 + (0.5 - y0) / (y1 - y0) * (x1 - x0);
        assert!((at - expected).abs() <= 1e-3 * expected, "{method}: {at} against {expected} ({rates:?})");
        let low: f64 = half["low"].trim_start_matches("<=").parse().expect("a number");
        assert!(low <= at, "{half:?}");
        if let Ok(high) = half["high"].parse::<f64>() {
            assert!(high >= at, "{half:?}");
        }
    }
}

#[test]
fn refine_axis_adds_midpoints_where_rates_jump_and_the_same_command_resumes_the_refined_folder() {
    let dir = tempfile::tempdir().expect("a folder");
    let args =
        ["--ratio", "1,3,6", "--param", "d=6", "--param", "K=4", "--trials", "10", "--refine-axis", "0.3"];
    let out = sweep(dir.path(), &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(said.contains("refine-axis: round 1 added"), "{said}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("sweep.json")).expect("sweep.json"))
            .expect("JSON");
    let ratios: Vec<f64> = manifest["grid"]["axes"]
        .as_array()
        .expect("axes")
        .iter()
        .find(|a| a["axis"] == "ratio")
        .expect("a ratio axis")["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect();
    assert!(ratios.len() > 3 && ratios.windows(2).all(|w| w[0] < w[1]), "{ratios:?}");
    for v in [1.0, 3.0, 6.0] {
        assert!(ratios.contains(&v), "the first grid's values stay: {ratios:?}");
    }
    // Every cell has its trials, and the summary has every ratio; where the refinement stopped
    // because it was resolved, no neighbours' rates differ by more than the step.
    let summary = csv_maps(&dir.path().join("summary.csv"));
    let mut rates: Vec<(f64, f64, usize)> = summary
        .iter()
        .map(|s| (s["ratio"].parse().unwrap(), s["rate"].parse().unwrap(), s["trials"].parse().unwrap()))
        .collect();
    rates.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(rates.len(), ratios.len());
    assert!(rates.iter().all(|r| r.2 == 10), "{rates:?}");
    if said.contains("no neighbours' rates differ") {
        for w in rates.windows(2) {
            let samples = |r: f64| (r * 6.0).round();
            assert!(
                (w[1].1 - w[0].1).abs() <= 0.3 || samples(w[1].0) - samples(w[0].0) <= 1.0,
                "{w:?} in {rates:?}"
            );
        }
    }
    // The same command again: the refined folder is resumed whole.
    let again = sweep(dir.path(), &args);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("(0 run now"), "{}", text(&again.stdout));
    // Refinement of a shard is refused.
    let shard = sweep(dir.path(), &[&args[..], &["--shard", "0/2"]].concat());
    assert_eq!(shard.status.code(), Some(2), "{}", text(&shard.stderr));
}

#[test]
fn the_conditions_at_the_planted_filter_explain_every_trial_of_the_readmes_relu_grids() {
    // A small grid of each ReLU figure's sweep (relu_phase: auto, least squares refined; and
    // relu_large_d: the data anchor), across their transitions: every relaxation trial's verdict
    // agrees with its outcome, and both outcomes occur.
    for (model, args) in [
        ("examples/sweeps/relu_phase.cnr", ["--param", "d=8", "--ratio", "1.5,2,2.5,3", "--trials", "12"]),
        ("examples/sweeps/relu_large_d.cnr", ["--param", "d=16", "--ratio", "3,5,7,9", "--trials", "12"]),
    ] {
        let dir = tempfile::tempdir().expect("a folder");
        let out = dir.path().to_str().expect("UTF-8");
        let mut all = vec!["sweep", model, "--out", out, "--baseline", "none"];
        all.extend(args);
        let run = crate::util::cnr(&all);
        assert!(run.status.success(), "{model}: {}", text(&run.stderr));
        let rows = csv_maps(&dir.path().join("results.csv"));
        assert_eq!(rows.len(), 4 * 12, "{model}");
        let mut said = std::collections::BTreeMap::new();
        for r in &rows {
            let expected = if r["success"] == "true" { "recovered" } else { "anchor" };
            assert_eq!(r["explanation"], expected, "{model}: {r:?}");
            let distance: f64 = r["cone_distance"].parse().expect("a distance");
            assert_eq!(distance <= 1e-9, r["success"] == "true", "{model}: {r:?}");
            *said.entry(r["explanation"].clone()).or_insert(0) += 1;
        }
        assert_eq!(said.len(), 2, "{model}: both outcomes on this grid: {said:?}");
    }
    // exp, whose badly scaled cone programs fail now and then: a trial whose refined anchor would
    // recover but whose solve of it failed is the solve's fault (`status`), not a contradiction,
    // though the solve kept (the first) ended optimal.
    let dir = tempfile::tempdir().expect("a folder");
    let args = ["--activation", "exp", "--samples", "48", "--seed", "11", "--trials", "20", "--out"];
    let run = crate::util::cnr(
        &[&["sweep", "examples/sweeps/activations.cnr"][..], &args, &[dir.path().to_str().expect("UTF-8")]]
            .concat(),
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    for r in csv_maps(&dir.path().join("results.csv")) {
        let allowed: &[&str] =
            if r["success"] == "true" { &["recovered", "near"] } else { &["anchor", "data", "status"] };
        assert!(allowed.contains(&r["explanation"].as_str()), "{r:?}");
    }
}

#[test]
fn a_refinement_step_outside_0_to_1_or_a_budget_without_it_is_refused_with_its_flag() {
    refused_as_usage(&[
        (&["--refine-axis", "1.5"][..], "is not a step between 0 and 1"),
        (&["--refine-axis", "0"][..], "is not a step between 0 and 1"),
        (&["--refine-budget", "100"][..], "--refine-axis"),
    ]);
}
