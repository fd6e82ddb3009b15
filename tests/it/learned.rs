//! Learned output weights (docs/learned.md): the program of a hand-computed case, the network's
//! loss against the program's data term on random models, complete arrangements against sampling,
//! the gated and exact forms, and the lowered programs of tiny models as reviewed snapshots.

use cnr_driver::{Arrays, Request, Status, TrainRecord};
use ndarray::{Array1, Array2};

/// A network of one patch of one number: `f(x) = Σ_j α_j (u_j x)_+`.
const SCALAR: &str = "network { input 1 conv kernel 1 activation relu output learned }";

fn train(text: &str) -> TrainRecord {
    cnr_driver::train(&Request::new(text, "learned")).expect("trains").record
}

fn train_arrays(text: &str, x: &[f64], y: &[f64]) -> TrainRecord {
    let xs = Array2::from_shape_vec((y.len(), x.len() / y.len()), x.to_vec()).expect("shape");
    let ys = Array1::from(y.to_vec());
    let arrays =
        Arrays { inputs: xs.view(), labels: ys.view(), planted: None, planted_bias: None, test: None };
    cnr_driver::train(&Request::new(text, "learned").with_arrays(arrays)).expect("trains").record
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

#[test]
fn two_samples_and_one_arrangement_give_the_optimum_computed_by_hand() {
    // x = (1, 2) > 0: every filter u > 0 switches both samples on, every u < 0 neither, so there
    // is one arrangement, D = (1, 1). The exact program is min ½ Σ (x_i (c − c') − y_i)² +
    // β (c + c') with c, c' ≥ 0; at y = (1, 2), β = 0.5: c' = 0 and c = (Σ x y − β) / Σ x² = 0.9,
    // objective ½ (0.1² + 0.2²) + 0.5 · 0.9 = 0.475. The gated form, one free group w, is the same.
    for form in ["exact", "gated"] {
        let text = format!("{SCALAR} learn {{ weight_decay 0.5 form {form} arrangements 50 seed 2 }}");
        let r = train_arrays(&text, &[1.0, 2.0], &[1.0, 2.0]);
        assert_eq!(r.status, Status::Optimal, "{form}");
        assert_eq!(r.arrangements.patterns, 1, "{form}: {:?}", r.arrangements);
        assert!(relative(r.objective.unwrap(), 0.475) < 1e-6, "{form}: {:?}", r.objective);
        assert!(relative(r.network_objective.unwrap(), 0.475) < 1e-6, "{form}: {:?}", r.network_objective);
        // The network: α u = 0.9 (|α| = |u| = √0.9), to the point's accuracy, which is about the
        // square root of the objective's (the objective is flat to first order at the optimum).
        let net = r.network.as_ref().unwrap();
        let product: f64 = net.neurons.iter().map(|n| n.weight * n.filter[0]).sum();
        assert!((product - 0.9).abs() < 1e-4, "{form}: {net:?}");
        assert!(relative(r.training_loss.unwrap(), 0.025) < 1e-3, "{form}: {:?}", r.training_loss);
    }
}

#[test]
fn the_network_read_back_has_the_programs_data_term_on_random_models() {
    let mut rng = crate::util::Lcg(29);
    for trial in 0..8 {
        let width = 6 + rng.below(8);
        let kernel = 2 + rng.below(3);
        let stride = 1 + rng.below(2);
        let bias = if rng.below(2) == 1 { " bias" } else { "" };
        let offset = if rng.below(2) == 1 { " + offset" } else { "" };
        let form = rng.pick(&["exact", "gated"]);
        let two_d = rng.below(3) == 0;
        let input = if two_d { format!("{width} x 5 channels 2") } else { format!("{width}") };
        let kernel = if two_d { format!("{kernel} x 2") } else { format!("{kernel}") };
        let samples = 10 + rng.below(30);
        let padding = rng.below(2);
        let text = format!(
            "network {{ input {input} conv kernel {kernel} stride {stride} padding {padding} filters 2{bias} activation relu output learned{offset} }}
             data planted {{ samples {samples} seed {trial} noise 0.1 }}
             learn {{ weight_decay 0.01 form {form} arrangements {} seed {trial} }}",
            5 + rng.below(20)
        );
        let r = train(&text);
        assert_eq!(r.status, Status::Optimal, "{text}");
        // Equal to 1e-8 of the data term, or, for a data term near zero (the network interpolates),
        // within 1e-12 of the labels' ½‖y‖²: the sign rows hold to the tolerance, not exactly.
        let (loss, term) = (r.network_loss.unwrap(), r.data_term.unwrap());
        let compiled = cnr_driver::compile(&Request::new(&text, "learned")).expect("compiles");
        let labels = 0.5 * compiled.model.data.y.iter().map(|y| y * y).sum::<f64>();
        assert!(
            r.equivalence.unwrap() < 1e-8 || (loss - term).abs() < 1e-12 * labels,
            "{text}: network loss {loss}, data term {term}, ½‖y‖² {labels}"
        );
        // The network's objective is the program's, up to the solve's tolerance.
        assert!(relative(r.network_objective.unwrap(), r.objective.unwrap()) < 1e-5, "{text}: {r:?}");
        if form == "exact" {
            assert!(r.sign_violation.unwrap() < 1e-7, "{text}: {:?}", r.sign_violation);
        }
        assert!(r.gap.unwrap() < 1e-6, "{text}: {:?}", r.gap);
        assert!(r.proven.starts_with("optimal over these"), "{}", r.proven);
    }
}

/// A tiny 1-D model with a bias: 6 samples of 4 numbers, kernel 2, stride 2 (2 patches of h = 3).
const TINY: &str = "network { input 4 conv kernel 2 stride 2 bias activation relu output learned }
data planted { samples 6 seed 5 noise 0.2 }";

#[test]
fn every_pattern_of_a_tiny_model_is_found_and_gives_the_optimum_of_many_sampled_filters() {
    let all = train(&format!("{TINY} learn {{ weight_decay 0.05 arrangements all }}"));
    assert_eq!(all.status, Status::Optimal);
    assert_eq!(all.proven, "global minimum");
    assert!(all.arrangements.complete);
    // 12 distinct patches in R^3: at most 2 (1 + 11 + 55) = 134 cells.
    assert!(all.arrangements.patterns <= 134, "{:?}", all.arrangements.patterns);
    // Brute force: the patterns of 20,000 random filters, none missing from the complete set.
    let sampled = train(&format!("{TINY} learn {{ weight_decay 0.05 arrangements 20000 seed 9 }}"));
    assert_eq!(sampled.status, Status::Optimal);
    assert!(sampled.arrangements.patterns <= all.arrangements.patterns);
    let compiled = cnr_driver::compile(&Request::new(
        &format!("{TINY} learn {{ weight_decay 0.05 arrangements all }}"),
        "t",
    ))
    .expect("compiles");
    let complete = compiled.arrangements.as_ref().unwrap();
    let many = cnr_driver::compile(&Request::new(
        &format!("{TINY} learn {{ weight_decay 0.05 arrangements 20000 seed 9 }}"),
        "t",
    ))
    .expect("compiles");
    let many = many.arrangements.as_ref().unwrap();
    let rows = compiled.model.data.n * compiled.model.network.patches();
    let pattern = |set: &cnr_lower::learned::PatternSet, j: usize| {
        (0..rows).map(|r| set.active(j, r)).collect::<Vec<_>>()
    };
    let known: std::collections::HashSet<Vec<bool>> =
        (0..complete.len()).map(|j| pattern(complete, j)).collect();
    for j in 0..many.len() {
        assert!(known.contains(&pattern(many, j)), "sampled pattern {j} is not in the complete set");
    }
    // The program over every pattern is at most that of any subset; here the random filters find
    // them all, and the two optima agree.
    assert!(all.objective.unwrap() <= sampled.objective.unwrap() * (1.0 + 1e-6));
    if sampled.arrangements.patterns == all.arrangements.patterns {
        assert!(relative(all.objective.unwrap(), sampled.objective.unwrap()) < 1e-6);
    }
    // Fewer patterns can only do worse.
    let few = train(&format!("{TINY} learn {{ weight_decay 0.05 arrangements 3 seed 1 }}"));
    assert!(few.objective.unwrap() >= all.objective.unwrap() * (1.0 - 1e-6), "{few:?}");
}

#[test]
fn the_gated_form_is_never_above_the_exact_one_and_equals_it_on_one_sided_data() {
    for seed in 0..3 {
        let text = |form: &str| {
            format!(
                "network {{ input 8 conv kernel 4 stride 2 activation relu output learned }}
                 data planted {{ samples 20 seed {seed} noise 0.1 }}
                 learn {{ weight_decay 0.01 form {form} arrangements 15 seed {seed} }}"
            )
        };
        let (exact, gated) = (train(&text("exact")), train(&text("gated")));
        // The same patterns, and the gated program drops the sign rows: a relaxation of the exact one.
        assert_eq!(exact.arrangements.filters, gated.arrangements.filters);
        assert!(gated.objective.unwrap() <= exact.objective.unwrap() * (1.0 + 1e-6), "seed {seed}");
    }
    // Where every pattern is the network's own (inputs of one sign, one patch of one number), the
    // sign rows do not bind and the two forms agree.
    let (x, y) = ([0.5, 1.0, 1.5, 2.0, 3.0], [0.4, 1.2, 1.4, 2.1, 2.9]);
    let exact = train_arrays(&format!("{SCALAR} learn {{ weight_decay 0.1 }}"), &x, &y);
    let gated = train_arrays(&format!("{SCALAR} learn {{ weight_decay 0.1 form gated }}"), &x, &y);
    assert!(relative(gated.objective.unwrap(), exact.objective.unwrap()) < 1e-6);
}

#[test]
fn lowered_programs_of_tiny_models_match_their_snapshots() {
    for (name, learn) in [
        ("exact", "learn { weight_decay 0.1 arrangements 3 seed 1 }"),
        ("gated_offset", "learn { weight_decay 0.1 form gated arrangements 3 seed 1 }"),
    ] {
        let offset = if name.ends_with("offset") { " + offset" } else { "" };
        let text = format!(
            "network {{ input 4 conv kernel 2 stride 2 bias activation relu output learned{offset} }}
             data planted {{ samples 2 seed 1 }}
             {learn}"
        );
        let (_, program) = cnr_driver::lower(&Request::new(&text, name)).expect("lowers");
        program.validate().expect("a valid program");
        insta::assert_snapshot!(format!("learned_{name}"), program.to_string());
    }
}

#[test]
fn the_plan_counts_the_program_and_cbf_takes_it_unchanged() {
    // Fewer samples than fit columns (the fit by samples), and more (the fit compressed by its QR,
    // whose constant ½‖(Qᵀy)₂‖² CBF carries too).
    let by_samples = format!("{TINY} learn {{ weight_decay 0.05 arrangements 12 seed 3 }}");
    let compressed = "network { input 4 conv kernel 2 stride 2 bias activation relu output learned + offset }
        data planted { samples 120 seed 5 noise 0.2 } learn { weight_decay 0.05 arrangements 4 seed 3 }";
    for (text, qr) in [(by_samples.as_str(), false), (compressed, true)] {
        let (compiled, program) = cnr_driver::lower(&Request::new(text, "tiny")).expect("lowers");
        let plan = &compiled.plan;
        assert_eq!((plan.variables, plan.rows), (program.n, program.m()));
        assert!(plan.nonzeros >= program.a.nnz(), "{} < {}", plan.nonzeros, program.a.nnz());
        assert_eq!(program.row_blocks[0].name.contains("QR"), qr, "{}", program.row_blocks[0].name);
        assert_eq!(program.c != 0.0, qr, "the constant: {}", program.c);
        // Written as CBF and read back, the program solves to the same optimum.
        let cbf = cnr_driver::write_program(&program, cnr_driver::ProgramFormat::Cbf).expect("writes");
        let cbf = String::from_utf8(cbf).expect("CBF is text");
        let (back, _) =
            cnr_driver::read_program(&cbf, cnr_driver::ProgramFormat::Cbf, "tiny.cbf", "tiny", None)
                .expect("reads");
        let solved =
            cnr_driver::solve_program(&back, &cnr_driver::ProgramRequest::default(), 0.0).expect("solves");
        let trained = train(text);
        assert_eq!(solved.status, Status::Optimal);
        assert!(relative(solved.objective.unwrap(), trained.objective.unwrap()) < 1e-6);
        // The program's objective is the network's: its data term is computed from the samples.
        assert!(
            relative(trained.objective.unwrap(), trained.network_objective.unwrap()) < 1e-6,
            "{trained:?}"
        );
    }
}

#[test]
fn the_fit_compressed_by_its_qr_has_the_optimum_of_the_first_order_method_on_the_samples() {
    use cnr_driver::MethodChoice;
    // 200 samples, 6 patterns of h = 10: the interior point's program holds 61 fit rows, not 200;
    // the first-order method multiplies by the fit's n × P·h matrix itself.
    for seed in [1, 2] {
        let text = format!(
            "network {{ input 6 x 6 conv kernel 3 x 3 bias activation relu output learned + offset }}
             data planted {{ samples 200 seed {seed} noise 0.3 }}
             learn {{ weight_decay 1 form gated arrangements 6 seed {seed} }}"
        );
        let with = |method| {
            let mut request = Request::new(&text, "gated");
            request.method = method;
            cnr_driver::train(&request).expect("trains").record
        };
        let (ipm, fo) = (with(MethodChoice::Full), with(MethodChoice::FirstOrder));
        assert_eq!((ipm.status, fo.status), (Status::Optimal, Status::Optimal), "{text}");
        // By samples it would hold 200 fit rows and a loss cone of 202.
        assert!(ipm.rows < 300, "compressed: {} rows", ipm.rows);
        assert!(relative(fo.objective.unwrap(), ipm.objective.unwrap()) < 2e-6, "{text}: {fo:?} vs {ipm:?}");
        assert!(ipm.equivalence.unwrap() < 1e-8, "{:?}", ipm.equivalence);
    }
}

#[test]
fn a_trained_network_is_written_read_back_evaluated_and_predicts_the_training_labels_it_fits() {
    use crate::util::{cnr, text};
    let dir = tempfile::tempdir().expect("a folder");
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let model = "examples/learned/teacher.cnr";
    let out = cnr(&["solve", model, "-o", &path("trained.json"), "-o", &path("filters.npy"), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let neurons = record["network"]["neurons"].as_array().expect("neurons").len();
    let filters = std::fs::read(path("filters.npy")).expect("written");
    assert!(filters.starts_with(b"\x93NUMPY"), "a .npy file");

    // `eval --network`: the record's training loss, from the network read back.
    let out = cnr(&["eval", model, "--network", &path("trained.json"), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let eval: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(eval["neurons"].as_u64(), Some(neurons as u64));
    let (a, b) = (eval["training_loss"].as_f64().unwrap(), record["training_loss"].as_f64().unwrap());
    assert!(relative(a, b) < 1e-12, "{a} vs {b}");

    // `predict` on the exported training inputs gives outputs whose mean squared error is it.
    let out = cnr(&["data", model, "--out", &path("data")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = cnr(&[
        "predict",
        model,
        "--network",
        &path("trained.json"),
        "--inputs",
        &path("data/x.npy"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let predicted: Vec<f64> = serde_json::from_slice(&out.stdout).expect("JSON");
    let compiled = crate::util::compile_example(model, None);
    let y = &compiled.model.data.y;
    assert_eq!(predicted.len(), y.len());
    let mse = predicted.iter().zip(y).map(|(f, y)| (f - y) * (f - y)).sum::<f64>() / y.len() as f64;
    assert!(relative(mse, b) < 1e-9, "{mse} vs {b}");

    // A network of another model's shapes, and a model of fixed weights, are refused by name.
    let out = cnr(&["eval", "examples/paper_relu.cnr", "--network", &path("trained.json")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("has fixed output weights"), "{}", text(&out.stderr));
    let other = path("other.cnr");
    std::fs::write(
        &other,
        std::fs::read_to_string(crate::util::root().join(model)).unwrap().replace("kernel 4", "kernel 3"),
    )
    .unwrap();
    let out = cnr(&["eval", &other, "--network", &path("trained.json")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("neuron 0 has a filter of 4 numbers; model `teacher` has d = 3"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_planted_teacher_is_recovered_from_enough_samples_and_not_from_few() {
    // The teacher's own patterns are among the program's (`+ planted`); two filters of d = 8.
    let text = |samples: usize| {
        format!(
            "network {{ input 32 conv kernel 8 stride 4 filters 2 activation relu output learned }}
             data planted {{ samples {samples} seed 2 }}
             learn {{ weight_decay 0.000001 arrangements 20 seed 1 + planted }}"
        )
    };
    let many = train(&text(48));
    assert_eq!(many.status, Status::Optimal);
    assert_eq!(many.arrangements.drawn, 22, "the teacher's two filters, then twenty");
    assert!(many.recovery_error.unwrap() < 1e-4, "{:?}", many.recovery_error);
    // With 8 samples the data fit many networks, and the program's (the smallest) is not the teacher.
    let few = train(&text(8));
    assert_eq!(few.status, Status::Optimal);
    assert!(few.training_loss.unwrap() < 1e-8, "it fits: {:?}", few.training_loss);
    assert!(few.recovery_error.unwrap() > 1e-2, "{:?}", few.recovery_error);
}

#[test]
fn a_sweep_of_a_learned_model_has_one_learned_row_per_trial() {
    use crate::util::{cnr, text};
    let dir = tempfile::tempdir().expect("a folder");
    let out = dir.path().join("runs").to_string_lossy().into_owned();
    let run = cnr(&[
        "sweep",
        "examples/sweeps/learned_teacher.cnr",
        "--ratio",
        "1,4",
        "--trials",
        "2",
        "--out",
        &out,
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let results = std::fs::read_to_string(dir.path().join("runs/results.csv")).expect("results");
    let rows: Vec<&str> = results.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{results}");
    assert!(rows.iter().all(|r| r.split(',').nth(2) == Some("learned")), "{results}");
    // n/d = 4 recovers the teacher (examples/sweeps/learned_teacher.cnr: 20 of 20 in the note).
    let recovered =
        rows.iter().filter(|r| r.split(',').nth(3) == Some("4") && r.split(',').nth(6) == Some("true"));
    assert_eq!(recovered.count(), 2, "{results}");
    let baseline = cnr(&[
        "sweep",
        "examples/sweeps/learned_teacher.cnr",
        "--ratio",
        "1",
        "--trials",
        "1",
        "--baseline",
        "gd",
        "--out",
        &format!("{out}2"),
    ]);
    assert_ne!(baseline.status.code(), Some(0));
    assert!(text(&baseline.stderr).contains("trained alone"), "{}", text(&baseline.stderr));
}

#[test]
fn the_first_order_method_agrees_with_the_interior_point_on_the_gated_form() {
    use cnr_driver::MethodChoice;
    for (seed, bias, offset) in [(1, "", ""), (2, " bias", " + offset"), (3, " bias", "")] {
        let text = format!(
            "network {{ input 6 x 6 conv kernel 3 x 3 stride 1{bias} activation relu output learned{offset} }}
             data planted {{ samples 150 seed {seed} noise 0.3 }}
             learn {{ weight_decay 1 form gated arrangements 30 seed {seed} }}"
        );
        let with = |method| {
            let mut request = Request::new(&text, "gated");
            request.method = method;
            cnr_driver::train(&request).expect("trains").record
        };
        let (ipm, fo) = (with(MethodChoice::Full), with(MethodChoice::FirstOrder));
        assert_eq!((ipm.method, fo.method), ("interior-point", "first-order"));
        assert_eq!((ipm.status, fo.status), (Status::Optimal, Status::Optimal), "{text}");
        // Optimal only with a certified gap within the tolerance, and then the two objectives agree
        // to it; the network read back is checked the same way.
        assert!(fo.gap.unwrap() <= cnr_driver::FIRST_ORDER_TOLERANCE, "{:?}", fo.gap);
        assert!(relative(fo.objective.unwrap(), ipm.objective.unwrap()) < 2e-6, "{text}: {fo:?} vs {ipm:?}");
        assert!(fo.equivalence.unwrap() < 1e-8, "{:?}", fo.equivalence);
        let first = fo.first_order.as_ref().unwrap();
        assert!(first.dual <= ipm.objective.unwrap() * (1.0 + 1e-9), "the dual bounds the optimum");
        // `auto` picks it above the measured size.
        let auto = with(MethodChoice::Auto);
        let large = cnr_driver::compile(&Request::new(&text, "g")).unwrap().plan.nonzeros
            > cnr_driver::FIRST_ORDER_NONZEROS;
        assert_eq!(auto.method, if large { "first-order" } else { "interior-point" });
    }
}

#[test]
fn the_first_order_method_agrees_with_the_interior_point_on_the_exact_form() {
    // The exact form by projected proximal gradient (each group projected onto its cone): optimal
    // only with a certified gap and a sign violation within the tolerance, and then at the
    // interior point's optimum to it. (At weight decay 0.05 one of these models reaches the
    // optimum's objective but not the gap in 100,000 iterations: docs/learned.md.)
    use cnr_driver::MethodChoice;
    let mut rng = crate::util::Lcg(47);
    for seed in 0..4 {
        let bias = if seed % 2 == 1 { " bias" } else { "" };
        let offset = if seed >= 2 { " + offset" } else { "" };
        let text = format!(
            "network {{ input 12 conv kernel 3 stride 1 filters 2{bias} activation relu output learned{offset} }}
             data planted {{ samples {} seed {seed} noise 0.1 }}
             learn {{ weight_decay 0.5 form exact arrangements {} seed {seed} }}",
            40 + rng.below(40),
            10 + rng.below(20)
        );
        let with = |method| {
            let mut request = Request::new(&text, "exact");
            request.method = method;
            cnr_driver::train(&request).expect("trains").record
        };
        let (whole, fo) = (with(MethodChoice::Full), with(MethodChoice::FirstOrder));
        assert_eq!((whole.method, fo.method), ("interior-point", "first-order"));
        assert_eq!((whole.status, fo.status), (Status::Optimal, Status::Optimal), "{text}: {fo:?}");
        let first = fo.first_order.as_ref().expect("the method's record");
        assert!(fo.gap.unwrap() <= cnr_driver::FIRST_ORDER_TOLERANCE, "{:?}", fo.gap);
        assert!(first.sign_violation.unwrap() <= cnr_driver::FIRST_ORDER_TOLERANCE, "{first:?}");
        // The record's own violation, computed from the groups over every sign row, agrees.
        assert!(fo.sign_violation.unwrap() <= cnr_driver::FIRST_ORDER_TOLERANCE, "{:?}", fo.sign_violation);
        assert!(
            relative(fo.objective.unwrap(), whole.objective.unwrap()) < 2e-6,
            "{text}: {fo:?} vs {whole:?}"
        );
        assert!(first.dual <= whole.objective.unwrap() * (1.0 + 1e-9), "the dual bounds the optimum");
        assert!(fo.equivalence.unwrap() < 1e-8, "{:?}", fo.equivalence);
        assert!(first.projection_steps.unwrap() > 0, "some group left its cone: {first:?}");
        // `auto` takes it only above the measured size; these are below.
        let rows = 2 * whole.arrangements.patterns * whole.samples * whole.patches;
        assert!(rows < cnr_driver::FIRST_ORDER_SIGN_ROWS);
        let expected = if rows > cnr_driver::CUT_ROWS { "cutting-plane" } else { "interior-point" };
        assert_eq!(with(MethodChoice::Auto).method, expected);
    }
}

#[test]
fn cutting_planes_over_the_sign_rows_reach_the_whole_programs_optimum() {
    use cnr_driver::MethodChoice;
    let mut rng = crate::util::Lcg(31);
    for seed in 0..4 {
        let bias = if rng.below(2) == 1 { " bias" } else { "" };
        let offset = if rng.below(2) == 1 { " + offset" } else { "" };
        let text = format!(
            "network {{ input 12 conv kernel 3 stride 1 filters 2{bias} activation relu output learned{offset} }}
             data planted {{ samples {} seed {seed} noise 0.05 }}
             learn {{ weight_decay 0.01 form exact arrangements {} seed {seed} }}",
            30 + rng.below(40),
            10 + rng.below(20)
        );
        let with = |method| {
            let mut request = Request::new(&text, "exact");
            request.method = method;
            cnr_driver::train(&request).expect("trains").record
        };
        let (whole, cuts) = (with(MethodChoice::Full), with(MethodChoice::CuttingPlane));
        assert_eq!((whole.method, cuts.method), ("interior-point", "cutting-plane"));
        assert_eq!((whole.status, cuts.status), (Status::Optimal, Status::Optimal), "{text}");
        let record = cuts.sign_cuts.as_ref().expect("the cuts' record");
        // Fewer rows than the whole program, and none of those left out violated.
        assert!(record.sign_rows < record.of, "{text}: {record:?}");
        assert!(record.rounds >= 2, "the first round holds no row, so some are added: {record:?}");
        assert!(cuts.sign_violation.unwrap() <= 1e-9, "{text}: {:?}", cuts.sign_violation);
        assert!(
            relative(cuts.objective.unwrap(), whole.objective.unwrap()) < 1e-7,
            "{text}: {cuts:?} vs {whole:?}"
        );
        assert!(cuts.equivalence.unwrap() < 1e-8, "{:?}", cuts.equivalence);
    }
    // The gated form has no sign rows to cut.
    let mut request = Request::new(
        "network { input 8 conv kernel 4 stride 2 activation relu output learned }
        data planted { samples 20 seed 1 } learn { weight_decay 0.1 form gated }",
        "gated",
    );
    request.method = MethodChoice::CuttingPlane;
    let refused = cnr_driver::train(&request).map(|t| t.record.method);
    assert!(
        matches!(&refused, Err(cnr_driver::Error::Usage(m)) if m.contains("the gated form has none")),
        "{refused:?}"
    );
}

#[test]
fn generated_arrangements_reach_the_global_minimum_of_a_tiny_model_with_fewer_patterns_and_prove_it() {
    // TINY's complete arrangement has up to 134 patterns; the optimum uses few of them. Generated
    // from the dual, both forms stop when no pattern left out prices above β, with fewer patterns
    // than the complete set, at its optimum, and that price proves the global minimum.
    for form in ["exact", "gated"] {
        let all = train(&format!("{TINY} learn {{ weight_decay 0.05 form {form} arrangements all }}"));
        let generated = train(&format!(
            "{TINY} learn {{ weight_decay 0.05 form {form} arrangements generated 134 seed 2 }}"
        ));
        assert_eq!(generated.status, Status::Optimal, "{form}");
        let g = generated.generation.as_ref().expect("a generation record");
        assert_eq!(generated.arrangements.source, "generated");
        assert!(generated.arrangements.patterns < all.arrangements.patterns, "{form}: {g:?}");
        assert_eq!((g.patterns.len(), g.objectives.len()), (g.rounds, g.rounds));
        // Each round's program holds the last one's patterns and more: its objective is no higher.
        for pair in g.objectives.windows(2) {
            assert!(pair[1].unwrap() <= pair[0].unwrap() * (1.0 + 1e-6), "{form}: {:?}", g.objectives);
        }
        let (a, b) = (all.objective.unwrap(), generated.objective.unwrap());
        // The price of the patterns left out is the gated one, `‖(D X̃)ᵀ v‖`: exact for the gated
        // form, an upper bound on the exact form's (whose filters keep to their pattern's cell).
        let price = g.largest_price_left_out.expect("the tiny arrangement is enumerated");
        let proven = price <= 0.05 * (1.0 + cnr_driver::PRICE_SLACK);
        assert_eq!(generated.proven == "global minimum", proven, "{form}: {price}");
        if form == "gated" {
            assert!(proven, "{price}");
            // The gated form drops patterns whose neurons are zero (their price is at most β), so
            // it holds far fewer than the exact form at the same optimum.
            assert!(
                g.dropped > 0 && generated.arrangements.patterns * 4 < all.arrangements.patterns,
                "{g:?}"
            );
        } else {
            assert_eq!(g.dropped, 0, "the exact form keeps its patterns");
        }
        // The ascent alone stopped short (exact form 7.8e-5 above the optimum, gated a pattern 2.6%
        // above β); pricing the patterns left out closes the gap.
        assert!(b >= a * (1.0 - 1e-6) && relative(b, a) < 1e-6, "{form}: generated {b}, all {a}");
    }
}

#[test]
fn too_few_generated_patterns_say_so_and_prove_nothing_beyond_them() {
    // A cap of 2 patterns: the search still finds a pattern pricing above β, the record says the
    // largest, and the optimum is only over these patterns.
    let r = train(&format!("{TINY} learn {{ weight_decay 0.05 arrangements generated 2 seed 2 }}"));
    assert_eq!(r.status, Status::Optimal);
    assert_eq!(r.arrangements.patterns, 2);
    let g = r.generation.as_ref().expect("a generation record");
    assert_eq!(g.sampled, 1);
    assert!(g.largest_price > 0.05, "{g:?}");
    assert_eq!(r.proven, "optimal over these 2 arrangements");
    // A generated count of 0 is an error at the count.
    let err = cnr_driver::train(&Request::new(
        &format!("{TINY} learn {{ weight_decay 0.05 arrangements generated 0 }}"),
        "learned",
    ))
    .expect_err("refused");
    assert!(format!("{err:?}").contains("arrangements"), "{err:?}");
}

#[test]
fn generation_by_the_first_order_method_warm_starts_each_round_and_reaches_the_complete_optimum() {
    // The gated form, generated, solved by the first-order method: each round starts from the last
    // round's point moved to its patterns (dropped ones gone, new ones zero). Its optimum is the
    // complete arrangement's, to the method's tolerance, and each round's objective no higher.
    let with = |arrangements: &str, method| {
        let text = format!("{TINY} learn {{ weight_decay 0.05 form gated arrangements {arrangements} }}");
        let mut request = Request::new(&text, "gated");
        request.method = method;
        cnr_driver::train(&request).expect("trains").record
    };
    use cnr_driver::MethodChoice;
    let all = with("all", MethodChoice::Full);
    let generated = with("generated 134 seed 2", MethodChoice::FirstOrder);
    assert_eq!((all.status, generated.status), (Status::Optimal, Status::Optimal));
    let g = generated.generation.as_ref().expect("a generation record");
    assert!(g.rounds > 1 && g.dropped > 0, "{g:?}");
    for pair in g.objectives.windows(2) {
        assert!(pair[1].unwrap() <= pair[0].unwrap() * (1.0 + 1e-5), "{:?}", g.objectives);
    }
    let (a, b) = (all.objective.unwrap(), generated.objective.unwrap());
    assert!(relative(b, a) < 1e-5, "generated {b}, all {a}");
    assert_eq!(generated.proven, "global minimum", "{g:?}");
}

#[test]
fn the_generations_pricing_runs_on_the_threads_given_and_gives_the_same_rounds_on_one() {
    let text = format!("{TINY} learn {{ weight_decay 0.05 form gated arrangements generated 40 seed 3 }}");
    let on = |threads| {
        let mut request = Request::new(&text, "gated");
        request.limits.threads = Some(threads);
        cnr_driver::train(&request).expect("trains").record
    };
    let (one, two) = (on(1), on(2));
    let (g1, g2) = (one.generation.as_ref().expect("generated"), two.generation.as_ref().expect("generated"));
    assert_eq!((&g1.patterns, &g1.objectives, g1.dropped), (&g2.patterns, &g2.objectives, g2.dropped));
    assert_eq!(one.objective, two.objective);
    assert!(g1.rounds > 1, "{g1:?}");
}
