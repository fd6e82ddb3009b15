//! Models of real data: a held-out test set beside the training files.

use cnr_check::data::MemoryFiles;
use cnr_driver::{Arrays, Error, Request, Status};
use ndarray::{Array1, Array2};

/// `f(x) = relu(w·x[0..4]) + relu(w·x[4..8])`: the network of [`MODEL`], written out by hand.
fn by_hand(w: &[f64], x: &[f64]) -> f64 {
    x.chunks(4).map(|patch| patch.iter().zip(w).map(|(a, b)| a * b).sum::<f64>().max(0.0)).sum()
}

const MODEL: &str = "network { input 8 conv kernel 4 stride 4 activation relu output ones }
data files {
  inputs \"x.csv\"
  labels \"y.csv\"
  test inputs \"xt.csv\"
  test labels \"yt.csv\"
}
";

/// Rows of numbers as CSV text.
fn csv(rows: &[Vec<f64>]) -> Vec<u8> {
    rows.iter()
        .map(|r| r.iter().map(|v| format!("{v:e}")).collect::<Vec<_>>().join(",") + "\n")
        .collect::<String>()
        .into_bytes()
}

/// `count` inputs of 8 numbers from a small deterministic sequence, and labels of a planted filter
/// plus a perturbation, so that the fit is not exact and the test loss is not zero.
fn samples(count: usize, offset: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let planted = [1.0, -0.5, 0.25, 0.75];
    let x: Vec<Vec<f64>> = (0..count)
        .map(|i| (0..8).map(|j| (((i + offset) * 7 + j * 3) % 11) as f64 / 5.0 - 1.0).collect())
        .collect();
    let y = x.iter().enumerate().map(|(i, x)| by_hand(&planted, x) + 0.05 * (i % 3) as f64).collect();
    (x, y)
}

fn files() -> MemoryFiles {
    let (x, y) = samples(40, 0);
    let (xt, yt) = samples(15, 1000);
    let column = |v: &[f64]| v.iter().map(|&a| vec![a]).collect::<Vec<_>>();
    MemoryFiles(
        [
            ("x.csv", csv(&x)),
            ("y.csv", csv(&column(&y))),
            ("xt.csv", csv(&xt)),
            ("yt.csv", csv(&column(&yt))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    )
}

#[test]
fn the_test_loss_is_the_mean_squared_error_on_the_test_files_computed_by_hand() {
    let files = files();
    let solved = cnr_driver::solve(&Request::new(MODEL, "m").with_files(&files)).expect("solves");
    let r = &solved.record;
    assert_eq!(r.status, Status::Optimal);
    let w = r.w.as_ref().expect("a point").flat();
    let (xt, yt) = samples(15, 1000);
    let direct = xt.iter().zip(&yt).map(|(x, y)| (by_hand(&w, x) - y).powi(2)).sum::<f64>() / 15.0;
    let test_loss = r.test_loss.expect("a test loss");
    assert!(direct > 1e-4, "the test set is fitted exactly ({direct}): the test could not fail");
    assert!((test_loss - direct).abs() <= 1e-12 * direct.max(1.0), "{test_loss} vs {direct}");
    // The training loss is the other files' (and `--samples` does not cut the test set).
    let (x, y) = samples(40, 0);
    let train = x.iter().zip(&y).map(|(x, y)| (by_hand(&w, x) - y).powi(2)).sum::<f64>() / 40.0;
    assert!((r.training_loss.expect("a loss") - train).abs() <= 1e-12 * train.max(1.0));
    // `eval` reports the same test loss for the same filters.
    let evaluated = cnr_driver::evaluate(&Request::new(MODEL, "m").with_files(&files), (&w, "w"), None)
        .expect("evaluates");
    assert_eq!(evaluated.1.test_loss, Some(test_loss));

    // Arrays given in memory carry a test set the same way.
    let flat = |rows: &[Vec<f64>]| Array2::from_shape_vec((rows.len(), 8), rows.concat()).expect("shape");
    let (xa, xta) = (flat(&x), flat(&xt));
    let (ya, yta) = (Array1::from(y.clone()), Array1::from(yt.clone()));
    let arrays = Arrays {
        inputs: xa.view(),
        labels: ya.view(),
        planted: None,
        planted_bias: None,
        test: Some((xta.view(), yta.view())),
    };
    let network = "network { input 8 conv kernel 4 stride 4 activation relu output ones }";
    let given = cnr_driver::evaluate(&Request::new(network, "a").with_arrays(arrays), (&w, "w"), None)
        .expect("evaluates");
    assert_eq!(given.1.test_loss, Some(test_loss));
}

#[test]
fn a_test_set_needs_both_files_of_the_right_shape() {
    let files = files();
    let only_inputs = MODEL.replace("  test labels \"yt.csv\"\n", "");
    let Err(Error::Model(e)) = cnr_driver::compile(&Request::new(&only_inputs, "m").with_files(&files))
    else {
        panic!("test inputs without labels is an error")
    };
    let shown = e.render();
    assert!(shown.contains("a test set needs its labels too"), "{shown}");
    assert!(shown.contains("test inputs \"xt.csv\""), "{shown}");
    // Test inputs of another width than the network's.
    let mut wrong = files.clone();
    wrong.0.insert("xt.csv".into(), csv(&vec![vec![0.0; 7]; 15]));
    let Err(Error::Model(e)) = cnr_driver::compile(&Request::new(MODEL, "m").with_files(&wrong)) else {
        panic!("a wrong shape is an error")
    };
    let shown = e.render();
    assert!(shown.contains("the inputs in `xt.csv` have shape [15, 7]"), "{shown}");
    // `--set data.test=…` replaces one of the two statements, checked as if written in the model.
    let labels = cnr_driver::Setting::Statement { key: "data.test".into(), value: "labels \"y.csv\"".into() };
    let Err(Error::Model(e)) = cnr_driver::compile(&Request::new(MODEL, "m").with_files(&files).with(labels))
    else {
        panic!("40 test labels for 15 test inputs is an error")
    };
    assert!(e.render().contains("`y.csv` has 40 labels but `xt.csv` has 15 inputs"), "{}", e.render());
    // Counts that differ.
    let mut short = files;
    short.0.insert("yt.csv".into(), csv(&vec![vec![0.0]; 14]));
    let Err(Error::Model(e)) = cnr_driver::compile(&Request::new(MODEL, "m").with_files(&short)) else {
        panic!("counts that differ are an error")
    };
    assert!(e.render().contains("`yt.csv` has 14 labels but `xt.csv` has 15 inputs"), "{}", e.render());
}

/// The model and its files written into `dir`, for the command line.
fn write_model(dir: &std::path::Path) -> String {
    for (name, bytes) in files().0 {
        std::fs::write(dir.join(name), bytes).expect("a data file");
    }
    let model = dir.join("m.cnr");
    std::fs::write(&model, MODEL).expect("the model");
    model.to_str().expect("UTF-8").to_string()
}

/// The rows of a `results.csv` by column name, without the timing column, sorted.
fn rows(dir: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(dir.join("results.csv")).expect("results.csv");
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_string).collect();
    let timing = header.iter().position(|c| c == "solve_seconds").expect("a timing column");
    let mut out: Vec<Vec<String>> = reader
        .records()
        .map(|r| {
            r.expect("a row")
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != timing)
                .map(|(_, f)| f.into())
                .collect()
        })
        .collect();
    out.sort();
    (header.into_iter().filter(|c| c != "solve_seconds").collect(), out)
}

/// The `p` quantile of `values` by linear interpolation between order statistics, as NumPy's
/// default computes it.
fn quantile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = p * (v.len() - 1) as f64;
    let (k, f) = (h.floor() as usize, h.fract());
    if k + 1 < v.len() {
        v[k] + f * (v[k + 1] - v[k])
    } else {
        v[k]
    }
}

#[test]
fn a_sweep_over_subsets_of_data_files_gives_loss_quantiles_and_resumes_and_shards() {
    let root_dir = tempfile::tempdir().expect("a folder");
    let model = write_model(root_dir.path());
    let sweep = |dir: &std::path::Path, extra: &[&str]| {
        let args = [
            &["sweep", &model, "--samples", "10,20,40", "--trials", "5", "--out"][..],
            &[dir.to_str().unwrap()],
            extra,
        ]
        .concat();
        let out = crate::util::cnr(&args);
        assert!(out.status.success(), "{}", crate::util::text(&out.stderr));
        out
    };
    let whole = root_dir.path().join("whole");
    sweep(&whole, &[]);
    let (header, expected) = rows(&whole);
    assert_eq!(expected.len(), 15);
    let col = |name: &str| header.iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name}"));
    let (samples, seed, test_loss) = (col("samples"), col("seed"), col("test_loss"));
    // Each trial is a random subset (its seed is the trial's), the test loss is there.
    assert!(expected.iter().all(|r| !r[test_loss].is_empty()), "every row has a test loss");
    let losses = |n: &str| -> Vec<f64> {
        expected
            .iter()
            .filter(|r| r[samples] == n)
            .map(|r| r[col("training_loss")].parse().unwrap())
            .collect()
    };
    let at_10 = losses("10");
    assert!(
        at_10.iter().any(|l| (l - at_10[0]).abs() > 1e-12),
        "the subsets differ between trials: {at_10:?}"
    );
    assert_eq!(expected.iter().filter(|r| r[seed] == "0").count(), 3, "one row per sample count and trial");
    // The summary's quantiles are the rows' own, by a direct computation.
    let summary = std::fs::read_to_string(whole.join("summary.csv")).expect("summary.csv");
    let mut lines = summary.lines();
    let shead: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let scol = |name: &str| shead.iter().position(|c| *c == name).unwrap_or_else(|| panic!("no {name}"));
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[scol("rate")], "", "no planted filter: success is not defined");
        let cell_losses: Vec<f64> = expected
            .iter()
            .filter(|r| r[samples] == f[scol("samples")])
            .map(|r| r[test_loss].parse().unwrap())
            .collect();
        for (p, name) in [(0.1, "test_loss_q10"), (0.5, "test_loss_median"), (0.9, "test_loss_q90")] {
            let written: f64 = f[scol(name)].parse().expect("a number");
            let direct = quantile(&cell_losses, p);
            assert!(
                (written - direct).abs() <= 1e-12 * direct.abs().max(1e-300),
                "{name}: {written} vs {direct}"
            );
        }
    }
    // The figure of the losses, not of success.
    assert!(!whole.join("success.svg").exists());
    let words = crate::sweep::check_figure(&whole, "loss");
    for said in
        ["m: training loss (solid) and test loss (dashed)", "K = 2, d = 4, 5 trials per point", "samples n"]
    {
        assert!(words.iter().any(|w| w == said), "{said} in {words:?}");
    }

    // One trial of the sweep is `cnr solve --samples N --seed S`, on the same subset.
    let trial = expected.iter().find(|r| r[samples] == "20" && r[seed] == "3").expect("a trial");
    let out = crate::util::cnr(&["solve", &model, "--samples", "20", "--seed", "3", "--json"]);
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON record");
    let solved = record["training_loss"].as_f64().expect("a loss");
    let swept: f64 = trial[col("training_loss")].parse().expect("a loss");
    assert!((solved - swept).abs() <= 1e-9 * swept.max(1e-12), "{solved} vs {swept}");
    assert_eq!(record["run"]["seed"], 3);

    // Cut after 7 rows and resumed; two shards merged: the same rows.
    let part = root_dir.path().join("part");
    crate::sweep::cut_copy(&whole, &part, 7);
    let resumed = sweep(&part, &[]);
    assert!(
        crate::util::text(&resumed.stdout).contains("7 resumed"),
        "{}",
        crate::util::text(&resumed.stdout)
    );
    assert_eq!(rows(&part).1, expected);
    let mut parts = Vec::new();
    for i in 0..2 {
        let dir = root_dir.path().join(format!("shard{i}"));
        sweep(&dir, &["--shard", &format!("{i}/2")]);
        parts.push(dir.to_str().expect("UTF-8").to_string());
    }
    let merged = root_dir.path().join("merged");
    let out =
        crate::util::cnr(&["sweep", "merge", &parts[0], &parts[1], "--out", merged.to_str().expect("UTF-8")]);
    assert!(out.status.success(), "{}", crate::util::text(&out.stderr));
    assert_eq!(rows(&merged).1, expected);
}

#[test]
fn a_sweep_over_data_files_refuses_to_resume_after_its_data_changed() {
    // Once: a sweep cut after its first cell resumed on labels replaced by 3y + 5, and its results
    // mixed two data sets. The manifest holds each data file's size and hash.
    let root_dir = tempfile::tempdir().expect("a folder");
    let model = write_model(root_dir.path());
    let dir = root_dir.path().join("out");
    let args =
        ["sweep", &model, "--samples", "10,20", "--trials", "2", "--out", dir.to_str().expect("UTF-8")];
    let first = crate::util::cnr(&args);
    assert!(first.status.success(), "{}", crate::util::text(&first.stderr));
    let manifest = std::fs::read_to_string(dir.join("sweep.json")).expect("a manifest");
    assert!(manifest.contains("\"path\": \"y.csv\""), "{manifest}");
    // The same data resume (nothing to run); new labels are refused, naming the file.
    let again = crate::util::cnr(&args);
    assert!(again.status.success(), "{}", crate::util::text(&again.stderr));
    let y = std::fs::read_to_string(root_dir.path().join("y.csv")).expect("labels");
    let changed: String =
        y.lines().map(|l| format!("{}\n", 3.0 * l.trim().parse::<f64>().expect("a number") + 5.0)).collect();
    std::fs::write(root_dir.path().join("y.csv"), changed).expect("labels");
    let refused = crate::util::cnr(&args);
    assert!(!refused.status.success());
    let said = crate::util::text(&refused.stderr);
    assert!(said.contains("holds another sweep (the data file `y.csv`"), "{said}");
    assert!(!said.contains("x.csv"), "only the file that changed is named: {said}");
}

#[test]
fn refinement_by_gradient_descent_never_raises_the_training_loss() {
    let files = files();
    let mut request = Request::new(MODEL, "m").with_files(&files);
    request.refine_gd = Some(300);
    let solved = cnr_driver::solve(&request).expect("solves");
    let r = &solved.record;
    let refined = r.refined.as_ref().expect("a refinement");
    assert_eq!(r.run.refine_gd, Some(300), "the record names the budget");
    let before = r.training_loss.expect("a loss");
    let after = refined.training_loss.expect("a finite loss");
    assert!(after <= before, "{after} > {before}");
    assert!(after < before, "the descent moved: {after} vs {before}");
    // Its figures are the model's at its point.
    let w = refined.w.flat();
    let (xt, yt) = samples(15, 1000);
    let direct = xt.iter().zip(&yt).map(|(x, y)| (by_hand(&w, x) - y).powi(2)).sum::<f64>() / 15.0;
    assert!((refined.test_loss.expect("a test loss") - direct).abs() <= 1e-12 * direct.max(1.0));
    // On planted data with noise, from every activation's relaxation.
    for activation in ["relu", "softplus", "leaky_relu(0.2)"] {
        let text = format!(
            "network {{ input 24 conv kernel 6 stride 6 activation {activation} output ones }}\n\
             data planted {{ samples 60 seed 5 noise 0.1 }}\nrelax {{ penalty l1 1 }}"
        );
        let mut request = Request::new(&text, "noisy");
        request.refine_gd = Some(200);
        let r = cnr_driver::solve(&request).expect("solves").record;
        let refined = r.refined.expect("a refinement");
        let before = r.training_loss.expect("a loss");
        let after = refined.training_loss.expect("a finite loss");
        assert!(after <= before, "{activation}: {after} > {before}");
        assert!(refined.recovery_error.is_some(), "{activation}: the planted filter is known");
    }
}

/// A model with biases and an output offset, its rows lowered, at a point where every `t` is the
/// activation's value: each sample row's slack `y_i − Σ u t − c` is the model's `−(f(x_i) − y_i)`.
#[test]
fn the_offsets_cone_form_is_its_evaluation() {
    let text = "network { input 12 conv kernel 4 stride 4 filters 2 bias activation relu output [1, 2, 0.5] + offset }
data planted { samples 9 seed 4 }";
    let file = cnr_syntax::parse(text).expect("parses");
    let model = cnr_check::check(&file, "m", &MemoryFiles::default(), &Default::default()).expect("checks");
    assert!(model.network.offset && model.network.extras() == 3);
    let lowered = cnr_lower::lower_with(&model, &cnr_lower::anchor(&model), &Default::default());
    let (program, layout) = (&lowered.program, &lowered.layout);
    let c = layout.c.expect("an offset column");
    let (w, extras) = ([0.3, -0.7, 0.2, 1.1, -0.4, 0.5, 0.9, -0.2], [0.25, -0.1, 1.75]);
    let mut x = vec![0.0; program.n];
    x[layout.w.clone()].copy_from_slice(&w);
    x[layout.b.clone().expect("biases")].copy_from_slice(&extras[..2]);
    x[c] = extras[2];
    // `t` per sample, filter and patch: relu of the pre-activation.
    let (d, kk) = (4, 3);
    for i in 0..model.data.n {
        for m in 0..2 {
            for k in 0..kk {
                let z: f64 =
                    (0..d).map(|j| w[m * d + j] * model.data.sample(i)[k * d + j]).sum::<f64>() + extras[m];
                x[layout.t.start + (i * 2 + m) * kk + k] = z.max(0.0);
            }
        }
    }
    let mut s = program.b.clone();
    let mut ax = vec![0.0; program.b.len()];
    program.a.mul_add(&x, &mut ax);
    s.iter_mut().zip(&ax).for_each(|(s, a)| *s -= a);
    let residuals = model.residuals(&w, &extras, Some(1)).values;
    let rows =
        layout.origins.iter().find(|(_, o)| *o == cnr_lower::Origin::Samples).expect("sample rows").0.clone();
    assert_eq!(rows.len(), model.data.n);
    for (i, row) in rows.enumerate() {
        assert!(
            (s[row] + residuals[i]).abs() <= 1e-12,
            "sample {i}: slack {} vs residual {}",
            s[row],
            residuals[i]
        );
    }
    // The offset moves every output by itself.
    let shifted = model.residuals(&w, &[0.25, -0.1, 2.75], Some(1)).values;
    assert!(shifted.iter().zip(&residuals).all(|(a, b)| (a - b - 1.0).abs() <= 1e-12));
}

/// Labels shifted by a constant: the offset takes the constant and the filter is still recovered,
/// by the cone program and by the w-space method; without the offset the relaxation cannot fit.
#[test]
fn an_offset_recovers_labels_shifted_by_a_constant() {
    let planted = "network { input 64 conv kernel 8 stride 8 activation relu output ones }
data planted { samples 96 seed 3 }";
    let drawn = cnr_driver::compile(&Request::new(planted, "p")).expect("compiles");
    let data = &drawn.model.data;
    let x = Array2::from_shape_vec((data.n, data.input_len()), data.x.clone()).expect("shape");
    let y = Array1::from(data.y.iter().map(|y| y + 3.0).collect::<Vec<_>>());
    let w = Array2::from_shape_vec((1, 8), data.planted.clone().expect("planted")).expect("shape");
    let arrays = Arrays {
        inputs: x.view(),
        labels: y.view(),
        planted: Some(w.view()),
        planted_bias: None,
        test: None,
    };
    let with = "network { input 64 conv kernel 8 stride 8 activation relu output ones + offset }";
    for method in [cnr_driver::MethodChoice::Auto, cnr_driver::MethodChoice::Full] {
        let mut request = Request::new(with, "offset").with_arrays(arrays);
        request.method = method;
        let r = cnr_driver::solve(&request).expect("solves").record;
        assert_eq!(r.status, Status::Optimal, "{method:?}");
        assert!((r.offset.expect("an offset") - 3.0).abs() < 1e-6, "{method:?}: {:?}", r.offset);
        assert!(r.recovery_error.expect("planted") < 1e-6, "{method:?}: {:?}", r.recovery_error);
        assert!(r.training_loss.expect("a loss") < 1e-10);
    }
    let without = "network { input 64 conv kernel 8 stride 8 activation relu output ones }";
    let r = cnr_driver::solve(&Request::new(without, "plain").with_arrays(arrays)).expect("solves").record;
    assert!(r.recovery_error.is_none_or(|e| e > 1e-3), "{:?}", r.recovery_error);
}

#[test]
fn cnr_solve_refine_gd_reports_the_refined_point_beside_the_relaxation() {
    let dir = tempfile::tempdir().expect("a folder");
    let model = write_model(dir.path());
    let out = crate::util::cnr(&["solve", &model, "--refine", "gd=300", "--json"]);
    assert!(out.status.success(), "{}", crate::util::text(&out.stderr));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON record");
    let before = record["training_loss"].as_f64().expect("the relaxation's loss");
    let refined = &record["refined"];
    let after = refined["training_loss"].as_f64().expect("the refined loss");
    assert!(after < before, "refined {after} vs the relaxation's {before}");
    assert!(refined["test_loss"].as_f64().is_some(), "{refined}");
    let steps = refined["iterations"].as_u64().expect("steps");
    assert!((1..=300).contains(&steps), "{steps} steps of at most 300");
    // Without the flag there is no refinement; the human report shows it with the flag.
    let plain = crate::util::cnr(&["solve", &model, "--json"]);
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).expect("a JSON record");
    assert!(plain.get("refined").is_none(), "{plain}");
    let out = crate::util::cnr(&["solve", &model, "--refine", "gd"]);
    assert!(out.status.success(), "{}", crate::util::text(&out.stderr));
    let report = crate::util::text(&out.stdout);
    assert!(report.contains("refined by gd   training loss"), "{report}");
    assert!(report.contains("w (refined)"), "{report}");
    // A count is the other refinement's; a program file has no network to descend on.
    let out = crate::util::cnr(&["solve", &model, "--refine", "4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        crate::util::text(&out.stderr).contains("--set relax.refine=4"),
        "{}",
        crate::util::text(&out.stderr)
    );
    let out = crate::util::cnr(&["solve", "crates/cnr-cbf/tests/fixtures/socp_q.cbf", "--refine", "gd"]);
    assert_eq!(out.status.code(), Some(2), "{}", crate::util::text(&out.stderr));
    assert!(
        crate::util::text(&out.stderr).contains("--refine gd applies to models"),
        "{}",
        crate::util::text(&out.stderr)
    );
}

#[test]
fn a_data_files_sweep_with_refine_gd_plots_losses_and_refuses_a_success_figure() {
    let root_dir = tempfile::tempdir().expect("a folder");
    let model = write_model(root_dir.path());
    let dir = root_dir.path().join("runs");
    let dir_s = dir.to_str().expect("UTF-8");
    let out = crate::util::cnr(&[
        "sweep",
        &model,
        "--samples",
        "10,20",
        "--trials",
        "3",
        "--refine-gd",
        "--out",
        dir_s,
    ]);
    assert!(out.status.success(), "{}", crate::util::text(&out.stderr));
    let (header, rows) = rows(&dir);
    assert_eq!(rows.len(), 2 * 3 * 2, "two rows per trial");
    let col = |name: &str| header.iter().position(|c| c == name).expect("a column");
    assert!(rows.iter().all(|r| !r[col("test_loss")].is_empty()), "every row has a test loss");
    let words = crate::sweep::check_figure(&dir, "loss");
    assert!(words.iter().any(|w| w == "relaxation+gd"), "{words:?}");
    // One group, two methods: each method in its own colour.
    let svg = std::fs::read_to_string(dir.join("loss.svg")).expect("an SVG");
    for colour in ["#0072B2", "#D55E00"] {
        assert!(svg.contains(&format!("stroke=\"{colour}\"")), "{colour} is drawn");
    }
    for metric in ["rate", "error"] {
        let out = crate::util::cnr(&["sweep", "plot", dir_s, "--metric", metric]);
        assert_eq!(out.status.code(), Some(2), "{}", crate::util::text(&out.stderr));
        let said = crate::util::text(&out.stderr);
        assert!(said.contains("no planted filter") && said.contains("choose --metric loss"), "{said}");
    }
    let out = crate::util::cnr(&["sweep", "plot", dir_s, "--metric", "loss", "--log-x"]);
    assert!(out.status.success(), "{}", crate::util::text(&out.stderr));
    let words = crate::sweep::check_figure(&dir, "loss");
    assert!(words.iter().any(|w| w == "samples n (log scale)"), "{words:?}");
}

/// Whether compiling `text` on `arrays` warns that the anchor points where no output grows.
fn warned<'a>(arrays: Arrays<'a>, text: &'a str) -> bool {
    let compiled = cnr_driver::compile(&Request::new(text, "m").with_arrays(arrays)).expect("compiles");
    compiled.warnings.iter().any(|d| d.message.contains("negative entries and every input is ≥ 0"))
}

/// Non-negative inputs (pixels): an anchor with a negative entry points where no output grows.
/// The warning says so and names the bound; with the bound, the solve is bounded.
#[test]
fn an_anchor_into_a_recession_direction_is_warned_of_and_a_bound_closes_it() {
    let (x, y) = samples(40, 0);
    let x: Vec<Vec<f64>> = x.into_iter().map(|r| r.into_iter().map(f64::abs).collect()).collect();
    let xa = Array2::from_shape_vec((40, 8), x.concat()).expect("shape");
    let ya = Array1::from(y);
    let arrays =
        || Arrays { inputs: xa.view(), labels: ya.view(), planted: None, planted_bias: None, test: None };
    let net = "network { input 8 conv kernel 4 stride 4 activation relu output ones }";
    let with = |relax: &str| format!("{net}\nrelax {{ {relax} }}");
    let text = with("anchor [1, -1, 1, 1]");
    assert!(warned(arrays(), &text));
    let r = cnr_driver::solve(&Request::new(&text, "m").with_arrays(arrays())).expect("solves").record;
    assert_eq!(r.status, Status::Unbounded);
    let bounded = with("anchor [1, -1, 1, 1]\n bound linf 5");
    assert!(!warned(arrays(), &bounded));
    let r = cnr_driver::solve(&Request::new(&bounded, "m").with_arrays(arrays())).expect("solves").record;
    assert_eq!(r.status, Status::Optimal);
    // The data anchor of non-negative inputs and labels has no negative entry.
    assert!(!warned(arrays(), &with("anchor data")));
}

#[test]
fn an_unbounded_penalised_solve_says_to_raise_the_penalty() {
    let out = crate::util::cnr(&["solve", "examples/noisy_l2.cnr", "--set", "relax.penalty=l1 0.001"]);
    let said = crate::util::text(&out.stdout);
    assert!(said.contains("unbounded"), "{said}");
    assert!(said.contains("with `penalty l1 0.001`") && said.contains("raise λ above 4.756e-3"), "{said}");
    // The threshold is where the program turns bounded, for either norm: 5% below it the solve is
    // unbounded, 5% above it optimal.
    let solve = |penalty: String| {
        let setting = cnr_driver::Setting::Statement { key: "relax.penalty".into(), value: penalty };
        let text =
            std::fs::read_to_string(crate::util::root().join("examples/noisy_l2.cnr")).expect("the model");
        cnr_driver::solve(&Request::new(&text, "noisy_l2").with(setting)).expect("solves").record
    };
    for (norm, below) in [("l1", 0.001), ("l2", 0.01)] {
        let r = solve(format!("{norm} {below}"));
        assert_eq!(r.status, Status::Unbounded, "{norm} {below}");
        let threshold = r.penalty_threshold.expect("a threshold");
        assert!(threshold > below, "{norm}: {threshold}");
        let under = solve(format!("{norm} {}", 0.95 * threshold));
        assert_eq!((under.status, under.penalty_threshold.is_some()), (Status::Unbounded, true), "{norm}");
        let over = solve(format!("{norm} {}", 1.05 * threshold));
        assert_eq!((over.status, over.penalty_threshold), (Status::Optimal, None), "{norm}");
    }
}

#[test]
fn cnr_data_writes_the_test_set_and_a_block_that_reads_it_back() {
    let root_dir = tempfile::tempdir().expect("a folder");
    let model = write_model(root_dir.path());
    let out = root_dir.path().join("out");
    let run = crate::util::cnr(&["data", &model, "--out", out.to_str().expect("UTF-8")]);
    assert!(run.status.success(), "{}", crate::util::text(&run.stderr));
    let block = crate::util::text(&run.stdout);
    assert!(block.contains("test inputs") && block.contains("x_test.npy\""), "{block}");
    let read = |name: &str| {
        cnr_check::data::load_array(name, &std::fs::read(out.join(name)).expect("written")).expect("an array")
    };
    let (xt, yt) = samples(15, 1000);
    assert_eq!(read("x_test.npy").shape, [15, 8]);
    assert_eq!(read("x_test.npy").values, xt.concat());
    assert_eq!(read("y_test.npy").values, yt);
    // `cnr check` says how the samples were drawn and that a test set is there.
    let check = crate::util::cnr(&["check", &model, "--samples", "20", "--seed", "3"]);
    let said = crate::util::text(&check.stdout);
    assert!(said.contains("n = 20  (from files, shuffled with seed 3); a test set of 15"), "{said}");
}

/// One input coordinate per sample, one patch, ReLU, the anchor `g = 1`: the program gains along
/// `v > 0` at rate 1 and pays `λ ‖(x_i v)⁺‖ = λ v ‖x⁺‖`, so the threshold is `1 / Σ_i x_i⁺` for
/// `l1` and `1 / ‖x⁺‖₂` for `l2`, worked out by hand from the drawn inputs.
#[test]
fn the_penalty_threshold_of_a_scalar_model_is_the_one_worked_out_by_hand() {
    for norm in ["l1", "l2"] {
        let text = format!(
            "network {{ input 1 conv kernel 1 stride 1 activation relu output ones }}
data planted {{ samples 7 seed 5 }}
relax {{ anchor [1] penalty {norm} 1 }}"
        );
        let file = cnr_syntax::parse(&text).expect("parses");
        let model =
            cnr_check::check(&file, "m", &MemoryFiles::default(), &Default::default()).expect("checks");
        let positive: Vec<f64> = model.data.x.iter().copied().filter(|&x| x > 0.0).collect();
        assert!(!positive.is_empty(), "the seed draws a positive input");
        let by_hand = match norm {
            "l1" => 1.0 / positive.iter().sum::<f64>(),
            _ => 1.0 / positive.iter().map(|x| x * x).sum::<f64>().sqrt(),
        };
        let program =
            cnr_lower::lower_penalty_threshold(&model, &cnr_lower::anchor(&model)).expect("a program");
        let solution = cnr_clarabel::solve(&program, &Default::default()).expect("solves");
        assert_eq!(solution.status, Status::Optimal, "{norm}");
        assert!((solution.x[0] - by_hand).abs() <= 1e-6 * by_hand, "{norm}: {} vs {by_hand}", solution.x[0]);
    }
}

#[test]
fn the_record_says_the_parameters_it_was_solved_with() {
    let out = crate::util::cnr(&["solve", "examples/params_relu.cnr", "--param", "d=8", "--json"]);
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON record");
    let params = &record["run"]["params"];
    assert_eq!(params["d"], 8.0, "{params}");
    assert_eq!(params["K"], 8.0, "the model's own value: {params}");
    let plain = crate::util::cnr(&["solve", "examples/paper_relu.cnr", "--json"]);
    let record: serde_json::Value = serde_json::from_slice(&plain.stdout).expect("a JSON record");
    assert!(record["run"].get("params").is_none(), "a model without parameters has none");
}

#[test]
fn an_offset_on_noisy_labels_sinks_to_the_lowest_residual_unless_a_penalty_or_gd_fits_it() {
    // examples/noisy_offset.cnr: planted with no offset, noise 0.5. Without a penalty every output
    // stays under its label, so the offset goes down to the lowest residual, far below 0; a penalty
    // above its upper threshold changes nothing; one just above the lower threshold lets the
    // noise's low samples use slack and brings the offset and the loss near the noise's.
    let text =
        std::fs::read_to_string(crate::util::root().join("examples/noisy_offset.cnr")).expect("the model");
    let solve = |penalty: Option<&str>, refine_gd: Option<usize>| {
        let mut request = Request::new(&text, "noisy_offset");
        if let Some(p) = penalty {
            request =
                request.with(cnr_driver::Setting::Statement { key: "relax.penalty".into(), value: p.into() });
        }
        request.refine_gd = refine_gd;
        let r = cnr_driver::solve(&request).expect("solves").record;
        assert_eq!(r.status, Status::Optimal, "{penalty:?}");
        r
    };
    let hard = solve(None, None);
    let c = hard.offset.expect("an offset");
    assert!(c < -1.0, "{c}");
    assert!(hard.max_violation.expect("checked") <= 1e-9);
    for above in ["l2 1", "l2 10", "l1 1"] {
        let r = solve(Some(above), None);
        assert!((r.offset.expect("an offset") - c).abs() < 1e-6, "{above}: {:?}", r.offset);
    }
    let near = solve(Some("l2 0.1"), None);
    let (loss, hard_loss) = (near.training_loss.expect("a loss"), hard.training_loss.expect("a loss"));
    assert!(near.offset.expect("an offset").abs() < 0.5 && loss < 0.25 * hard_loss, "{near:?}");
    let refined = solve(None, Some(1000)).refined.expect("refined by gd");
    assert!(refined.offset.expect("an offset").abs() < 0.5, "{refined:?}");
    assert!(refined.training_loss.expect("a loss") < 0.25 * hard_loss);
}
