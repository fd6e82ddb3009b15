//! The driver's request API, as a binding would use it: data given as arrays, typed settings and
//! errors, progress events as numbers, and cancellation from another thread.

use cnr_driver::{Arrays, Error, Event, Hooks, MethodChoice, Request, Setting, Status};
use ndarray::{Array1, Array2};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const PLANTED: &str = "network { input 64 conv kernel 8 stride 8 activation relu output ones }
data planted { samples 80 seed 4 }";

/// The same network with no data block: the data come as arrays.
const NETWORK: &str = "network { input 64 conv kernel 8 stride 8 activation relu output ones }";

#[test]
fn arrays_give_the_answer_of_the_same_data_drawn_by_the_model() {
    let drawn = cnr_driver::solve(&Request::new(PLANTED, "planted")).expect("solves");
    let data = &drawn.compiled.model.data;
    let x = Array2::from_shape_vec((data.n, data.input_len()), data.x.clone()).expect("shape");
    let y = Array1::from(data.y.clone());
    let w = Array2::from_shape_vec((1, 8), data.planted.clone().expect("planted")).expect("shape");
    let arrays = Arrays {
        inputs: x.view(),
        labels: y.view(),
        planted: Some(w.view()),
        planted_bias: None,
        test: None,
    };
    let given = cnr_driver::solve(&Request::new(NETWORK, "arrays").with_arrays(arrays)).expect("solves");
    let (a, b) = (&drawn.record, &given.record);
    assert_eq!(b.status, Status::Optimal);
    assert_eq!(b.run.data, "arrays");
    assert!((a.objective.unwrap() - b.objective.unwrap()).abs() <= 1e-12 * a.objective.unwrap().abs());
    let (wa, wb) = (a.w.as_ref().unwrap().flat(), b.w.as_ref().unwrap().flat());
    assert!(wa.iter().zip(&wb).all(|(p, q)| (p - q).abs() <= 1e-12), "{wa:?} vs {wb:?}");
    assert!(b.recovery_error.unwrap() < 1e-6, "{:?}", b.recovery_error);
    // `--samples` keeps the first samples of arrays as of files.
    let first =
        cnr_driver::compile(&Request::new(NETWORK, "a").with_arrays(arrays).with(Setting::Samples(10)))
            .expect("compiles");
    assert_eq!(first.model.data.n, 10);
}

#[test]
fn arrays_of_the_wrong_shape_are_a_model_error_that_names_the_array() {
    let x = Array2::<f64>::zeros((5, 63));
    let y = Array1::<f64>::zeros(5);
    let arrays = Arrays { inputs: x.view(), labels: y.view(), planted: None, planted_bias: None, test: None };
    let Err(Error::Model(errors)) = cnr_driver::compile(&Request::new(NETWORK, "bad").with_arrays(arrays))
    else {
        panic!("a wrong shape is an error")
    };
    let shown = errors.render();
    assert!(shown.contains("the inputs in the `inputs` array have shape [5, 63]"), "{shown}");
    assert!(shown.contains("C·H·W = 64"), "{shown}");
}

#[test]
fn a_malformed_setting_is_a_usage_error_and_a_wrong_one_is_shown_with_its_flag() {
    let bad_key = Setting::Statement { key: "relax".into(), value: "x".into() };
    let e = cnr_driver::compile(&Request::new(PLANTED, "m").with(bad_key)).expect_err("no statement");
    assert!(matches!(&e, Error::Usage(m) if m.contains("the key is BLOCK.STATEMENT")), "{e:?}");
    let unknown = Setting::Statement { key: "relax.anchor".into(), value: "nowhere".into() };
    let Err(Error::Model(errors)) = cnr_driver::compile(&Request::new(PLANTED, "m").with(unknown)) else {
        panic!("an unknown anchor is an error")
    };
    let d = &errors.diagnostics[0];
    let at = errors.sources.locate(d).expect("a place");
    assert_eq!((at.source.as_str(), at.line, at.column), ("--set relax.anchor=nowhere", 1, 16));
    // Display without the source: the message and the hints.
    assert!(d.to_string().starts_with("error: unknown anchor `nowhere`"), "{d}");
}

#[test]
fn progress_is_told_as_numbers() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let hooks = Hooks {
        progress: Some(Arc::new(move |e: &Event| seen.lock().unwrap().push(e.clone()))),
        cancel: None,
    };
    let request = Request { hooks, method: MethodChoice::Full, ..Request::new(PLANTED, "m") };
    let record = cnr_driver::solve(&request).expect("solves").record;
    let events = events.lock().unwrap();
    assert_eq!(events[0], Event::Lowering { samples: 80 });
    assert!(matches!(events[1], Event::Solving { rows, backend: "clarabel" } if rows == record.rows));
    let iterations: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            Event::Iteration { iteration, gap, .. } if gap.is_finite() => Some(*iteration),
            _ => None,
        })
        .collect();
    assert!(!iterations.is_empty() && iterations.windows(2).all(|p| p[1] > p[0]), "{iterations:?}");
    assert_eq!(events[1].to_string(), format!("solving {} rows with clarabel", record.rows));
}

#[test]
fn a_solve_stops_when_cancelled_from_another_thread() {
    // Large enough that the interior-point method runs for a while, so the flag is seen between
    // its iterations.
    let text = "network { input 512 conv kernel 16 stride 16 activation softplus output ones }
                data planted { samples 3000 seed 1 }";
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let started = Arc::new(AtomicBool::new(false));
    let told = started.clone();
    let hooks = Hooks {
        progress: Some(Arc::new(move |e: &Event| {
            if matches!(e, Event::Iteration { .. }) {
                told.store(true, Ordering::Relaxed);
            }
        })),
        cancel: Some(cancel),
    };
    let request = Request { hooks, method: MethodChoice::Full, ..Request::new(text, "big") };
    let stopper = std::thread::spawn(move || {
        while !started.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        flag.store(true, Ordering::Relaxed);
    });
    let outcome = cnr_driver::solve(&request);
    stopper.join().expect("the stopper ends");
    assert!(matches!(outcome, Err(Error::Cancelled)), "{:?}", outcome.map(|s| s.record.status));
    // A flag set before anything runs stops before the first program is built.
    let cancel = Arc::new(AtomicBool::new(true));
    let request =
        Request { hooks: Hooks { progress: None, cancel: Some(cancel) }, ..Request::new(PLANTED, "m") };
    assert!(matches!(cnr_driver::solve(&request), Err(Error::Cancelled)));
}

#[test]
fn a_setting_reaches_the_data_files_block() {
    let text = "network { input 4 conv kernel 2 stride 2 activation relu output ones }
data files { inputs \"x.csv\" labels \"y.csv\" }";
    let mut files = cnr_driver::MemoryFiles::default();
    files.0.insert("x.csv".into(), b"1,2,3,4\n5,6,7,8\n".to_vec());
    files.0.insert("y.csv".into(), b"1\n2\n".to_vec());
    files.0.insert("x2.csv".into(), b"0,0,0,1\n0,0,1,0\n".to_vec());
    let inputs = Setting::Statement { key: "data.inputs".into(), value: "\"x2.csv\"".into() };
    let compiled = cnr_driver::compile(&Request::new(text, "files").with_files(&files).with(inputs.clone()))
        .expect("compiles");
    assert_eq!(compiled.model.data.x, [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
    // A model that draws its data has no file to replace.
    let Err(Error::Model(errors)) = cnr_driver::compile(&Request::new(PLANTED, "planted").with(inputs))
    else {
        panic!("a data file for planted data is an error")
    };
    assert!(errors.render().contains("this model draws planted data"), "{}", errors.render());
}

#[test]
fn a_setting_sets_exactly_one_statement() {
    let set = |key: &str, value: &str| Setting::Statement { key: key.into(), value: value.into() };
    // Braces and line breaks would let a value write more of the model than its statement.
    for setting in [
        set("relax.anchor", "data } solver { tolerance 0.5 } relax { penalty l1 1e-9"),
        Setting::Param { name: "d".into(), value: "8\nparam K = 2".into() },
        set("relax.anchor", "data # and a comment"),
    ] {
        let e = cnr_driver::compile(&Request::new(PLANTED, "m").with(setting.clone())).expect_err("refused");
        assert!(
            matches!(&e, Error::Usage(m) if m.contains("a setting sets one statement")),
            "{setting:?}: {e:?}"
        );
    }
    // Two statements without braces are refused at the setting's text.
    let two = set("relax.anchor", "data penalty l1 1e-9");
    let Err(Error::Model(errors)) = cnr_driver::compile(&Request::new(PLANTED, "m").with(two)) else {
        panic!("two statements are an error")
    };
    assert!(errors.render().contains("this setting makes 2 statements, not one"), "{}", errors.render());
    assert!(
        errors.render().contains("┌─ --set relax.anchor=data penalty l1 1e-9:1:1"),
        "{}",
        errors.render()
    );
}

#[test]
fn a_statement_can_be_removed_from_the_command_line() {
    let text = "network { input 64 conv kernel 8 stride 8 activation relu output ones }
data planted { samples 80 seed 4 noise 0.1 }
relax { penalty l1 1 bound linf 3 }";
    let unset = |key: &str| Setting::Unset { key: key.into() };
    let compiled =
        cnr_driver::compile(&Request::new(text, "m").with(unset("relax.penalty"))).expect("compiles");
    assert_eq!(compiled.model.relax.penalty, None);
    assert!(compiled.model.relax.bound.is_some(), "only the penalty goes");
    // Removed, then set again: the setting wins.
    let again = Setting::Statement { key: "relax.penalty".into(), value: "l2 2".into() };
    let compiled = cnr_driver::compile(&Request::new(text, "m").with(unset("relax.penalty")).with(again))
        .expect("compiles");
    assert!(compiled.model.relax.penalty.is_some());
    // A statement the model does not have, or a key that names none, is a usage error.
    for key in ["relax.anchor", "relax", "nowhere.penalty"] {
        let e = cnr_driver::compile(&Request::new(text, "m").with(unset(key))).expect_err(key);
        assert!(matches!(e, Error::Usage(_)), "{key}: {e:?}");
    }
}

#[test]
fn restarts_keep_the_lowest_training_loss_and_list_every_solve() {
    // Too few samples for one random anchor to recover reliably: the solves differ.
    let text = "network { input 64 conv kernel 8 stride 8 activation relu output ones }
data planted { samples 64 seed 9 }
relax { anchor random restarts 4 }";
    let record = cnr_driver::solve(&Request::new(text, "restarts")).expect("solves").record;
    let restarts = record.restarts.as_ref().expect("the restarts are listed");
    assert_eq!(restarts.runs.len(), 4);
    assert_eq!(restarts.runs[0].anchor, "random");
    assert_eq!(restarts.runs[3].anchor, "random 3");
    let losses: Vec<f64> = restarts.runs.iter().map(|r| r.training_loss.expect("a point")).collect();
    let lowest = losses.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(losses[restarts.kept], lowest, "{losses:?}");
    assert_eq!(record.training_loss, Some(lowest), "the record is the kept solve's");
    assert!(losses.iter().any(|l| *l != lowest), "the anchors gave different solves: {losses:?}");
    // The same model gives the same restarts: every anchor comes from the seed.
    let again = cnr_driver::solve(&Request::new(text, "restarts")).expect("solves").record;
    assert_eq!(again.restarts.as_ref().map(|r| r.kept), Some(restarts.kept));
    assert_eq!(again.objective, record.objective);
    // One restart is a plain solve.
    let plain = cnr_driver::solve(
        &Request::new(text, "plain")
            .with(Setting::Statement { key: "relax.restarts".into(), value: "1".into() }),
    )
    .expect("solves")
    .record;
    assert!(plain.restarts.is_none());
    assert_eq!(plain.objective, Some(restarts.runs[0].objective.expect("an objective")));
}

#[test]
fn restarts_of_the_whole_program_run_side_by_side_and_agree_with_one_thread() {
    // The restarts run on the request's threads and share one lowered program; the answer, and
    // the order in which the solves are listed, must not depend on either.
    let text = "network { input 64 conv kernel 8 stride 8 activation relu output ones }
data planted { samples 64 seed 9 }
relax { anchor random restarts 4 refine 1 }";
    let solve = |threads| {
        let mut request = Request { method: MethodChoice::Full, ..Request::new(text, "restarts") };
        request.limits.threads = Some(threads);
        cnr_driver::solve(&request).expect("solves").record
    };
    let (one, two) = (solve(1), solve(2));
    let runs = |r: &cnr_driver::SolveRecord| {
        let list = r.restarts.as_ref().expect("the solves are listed");
        let names: Vec<String> = list.runs.iter().map(|s| s.anchor.clone()).collect();
        let objectives: Vec<Option<f64>> = list.runs.iter().map(|s| s.objective).collect();
        (list.kept, names, objectives)
    };
    assert_eq!(runs(&one), runs(&two));
    assert!(runs(&one).1.len() >= 4, "{:?}", runs(&one).1);
    assert_eq!(one.objective, two.objective);
    // Each restart's whole program equals a solve of that anchor alone (by the w-space method,
    // another solver): the shared program carries each restart's own objective.
    let alone = cnr_driver::solve(&Request::new(text, "alone")).expect("solves").record;
    for (a, b) in runs(&one).2.iter().zip(runs(&alone).2.iter()) {
        let (a, b) = (a.expect("an objective"), b.expect("an objective"));
        assert!((a - b).abs() <= 1e-6 * a.abs().max(1.0), "{a} vs {b}");
    }
}

#[test]
fn refinements_anchor_each_solve_at_the_filter_before_and_stop_once_it_fits() {
    // ReLU at n/d = 2.5 with the data anchor: one solve misses the planted filter, solves anchored
    // at the filter found get closer, and the one that fits every sample ends the chain.
    let text = |refine: u32| {
        format!(
            "network {{ input 128 conv kernel 16 stride 16 activation relu output ones }}
             data planted {{ samples 40 seed 3 }}
             relax {{ anchor data refine {refine} }}"
        )
    };
    let record = cnr_driver::solve(&Request::new(&text(6), "refine")).expect("solves").record;
    let runs = &record.restarts.as_ref().expect("the solves are listed").runs;
    assert_eq!(runs[0].anchor, "data");
    assert!(runs.len() >= 2 && runs[1].anchor == "data, refined 1", "{runs:?}");
    let errors: Vec<f64> = runs.iter().map(|r| r.recovery_error.expect("planted")).collect();
    assert!(errors[0] > 1e-2, "the first solve misses: {errors:?}");
    assert!(record.recovered(1e-6) == Some(true), "the refinements recover: {errors:?}");
    // The chain stops at the solve that fits: nothing after a training loss of ~0.
    let last = runs.last().expect("a solve");
    assert!(last.training_loss.expect("a point") < 1e-12, "{runs:?}");
    assert!(runs.len() < 7 || errors[..6].iter().all(|e| *e > 1e-6), "{runs:?}");
    // Refinement 1 is the solve anchored at the first solve's filter, as a given vector would be.
    let first = cnr_driver::solve(&Request::new(&text(0), "plain")).expect("solves").record;
    let w = first.w.as_ref().expect("a filter").flat();
    let norm = w.iter().map(|v| v * v).sum::<f64>().sqrt();
    let vector: Vec<String> = w.iter().map(|v| format!("{:e}", v / norm)).collect();
    let anchored = format!(
        "network {{ input 128 conv kernel 16 stride 16 activation relu output ones }}
         data planted {{ samples 40 seed 3 }}
         relax {{ anchor [{}] }}",
        vector.join(", ")
    );
    let given = cnr_driver::solve(&Request::new(&anchored, "given")).expect("solves").record;
    let (a, b) = (given.objective.expect("objective"), runs[1].objective.expect("objective"));
    assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{a} vs {b}");
}

/// The first model error's message when `NETWORK` is compiled on these arrays.
fn refusal(x: Array2<f64>, y: Array1<f64>, test: Option<(Array2<f64>, Array1<f64>)>) -> String {
    let arrays = Arrays {
        inputs: x.view(),
        labels: y.view(),
        planted: None,
        planted_bias: None,
        test: test.as_ref().map(|(x, y)| (x.view(), y.view())),
    };
    match cnr_driver::solve(&Request::new(NETWORK, "arrays").with_arrays(arrays)) {
        Err(Error::Model(errors)) => errors.diagnostics[0].message.clone(),
        other => panic!("accepted: {:?}", other.map(|s| (s.record.status, s.record.objective))),
    }
}

#[test]
fn arrays_in_memory_are_held_to_the_rule_of_files() {
    // As from Python: NaN in the inputs once solved "optimal" with objective 0 (NaN acts as 0 in a
    // ReLU); no samples solved "optimal" at the search box; a NaN label was said to overflow.
    let good = || (Array2::<f64>::ones((4, 64)), Array1::<f64>::ones(4));
    let (mut x, y) = good();
    x[[2, 5]] = f64::NAN;
    assert_eq!(refusal(x, y, None), "entry [2, 5] of the `inputs` array is NaN; data must be finite numbers");
    let (x, mut y) = good();
    y[1] = f64::NAN;
    assert_eq!(refusal(x, y, None), "entry [1] of the `labels` array is NaN; data must be finite numbers");
    assert_eq!(
        refusal(Array2::zeros((0, 64)), Array1::zeros(0), None),
        "the `inputs` array holds no numbers"
    );
    let (x, y) = good();
    let mut tx = Array2::<f64>::ones((2, 64));
    tx[[0, 0]] = f64::INFINITY;
    let message = refusal(x, y, Some((tx, Array1::ones(2))));
    assert_eq!(message, "entry [0, 0] of the `test_inputs` array is inf; data must be finite numbers");
}

#[test]
fn a_filter_that_is_not_finite_is_refused_by_eval() {
    let w = [1.0, f64::NAN, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    match cnr_driver::evaluate(&Request::new(PLANTED, "planted"), (&w, "w.npy"), None) {
        Err(Error::Input { message, .. }) => {
            assert_eq!(message, "entry 1 of `w.npy` is NaN; the filters must be finite numbers")
        }
        other => panic!("evaluated: {:?}", other.map(|(_, r)| r.max_violation)),
    }
}
