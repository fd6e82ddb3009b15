//! The w-space method gives the whole program's answer: the same status and objective, and the
//! same filter where the optimum is unique, on every example and on random small models of every
//! activation class, with biases, several filters and bounds; its certificate checks out on the
//! model.

use crate::util::{compile_example, models_in, Lcg};
use cnr_driver::{Compiled, Method, MethodChoice, Request, SolveRecord, Status};

fn solve(compiled: &Compiled, method: MethodChoice) -> SolveRecord {
    let request = Request { method, ..Request::new("", "") };
    cnr_driver::solve_compiled(compiled, &request).expect("the solve runs")
}

/// Holds the w-space record to the whole program's; `what` names the case.
fn assert_agree(full: &SolveRecord, ws: &SolveRecord, what: &str) {
    let record = ws.wspace.as_ref().expect("the w-space record");
    if record.fallback.is_some() {
        // The cone program answered; only say why.
        assert!(matches!(ws.method, Method::Full | Method::CuttingPlane), "{what}: {record:?}");
        return;
    }
    assert_eq!(ws.method, Method::WSpace, "{what}");
    assert_eq!(ws.status, Status::Optimal, "{what}");
    assert!(record.certified && !record.box_active, "{what}: {record:?}");
    // The certificate, checked from the model: every sample holds.
    let violation = ws.relative_violation.expect("a point");
    assert!(violation <= record.tolerance, "{what}: relative violation {violation}");
    assert!(record.dual_residual <= 1e-9, "{what}: {record:?}");
    // The whole program is solved by an interior-point method to its tolerance (1e-7): its
    // objective can be short of the exact optimum by about that much, never above it by more.
    // With refinements, each method keeps the solve of lowest training loss, and two solves of one
    // chain can tie to rounding: the w-space objective is compared with the whole program's solve
    // of the same anchor.
    let kept = ws.restarts.as_ref().map(|r| &r.runs[r.kept].anchor);
    let same_anchor =
        full.restarts.as_ref().zip(kept).and_then(|(r, name)| r.runs.iter().find(|x| &x.anchor == name));
    let ipm = same_anchor.map_or(full.objective, |run| run.objective);
    let (exact, ipm) = (ws.objective.expect("objective"), ipm.expect("objective"));
    assert!(full.status == Status::Optimal, "{what}: the whole program ended {:?}", full.status);
    assert!((exact - ipm).abs() <= 1e-6 * exact.abs().max(1.0), "{what}: w-space {exact}, full {ipm}");
    // Where the whole program recovers the planted filter, so does the w-space method (with a
    // smooth activation the constraints meet at the filter tangentially: a violation of 1e-9 leaves
    // an error of about its square root in `w`).
    if full.recovery_error.is_some_and(|e| e < 1e-4) {
        assert!(ws.recovery_error.is_some_and(|e| e < 1e-4), "{what}: {:?}", ws.recovery_error);
    }
}

#[test]
fn wspace_agrees_with_the_whole_program_on_every_example() {
    for path in models_in("examples") {
        let compiled = compile_example(&path, None);
        let full = solve(&compiled, MethodChoice::Full);
        if full.status != Status::Optimal {
            continue;
        }
        let ws = solve(&compiled, MethodChoice::WSpace);
        assert_agree(&full, &ws, &path);
    }
}

#[test]
fn wspace_agrees_with_the_whole_program_on_random_models() {
    let mut rng = Lcg(17);
    let activations = crate::util::ACTIVATIONS;
    let (mut certified, mut recovered) = (0, 0);
    for case in 0..50 {
        let activation = rng.pick(activations);
        let (k, patches) = (2 + rng.below(4) as usize, 2 + rng.below(3) as usize);
        let filters = 1 + rng.below(3) as usize;
        let bias = if rng.below(4) == 0 { " bias" } else { "" };
        // M > 1 with shared output weights needs the oracle anchor to tell the filters apart.
        let anchor = if filters > 1 { "anchor planted" } else { "" };
        let bound = ["", "", "bound linf 1", "bound l2 1.5"][rng.below(4) as usize];
        // A penalty hands the model to the cone program; the record must say so.
        let penalty = ["", "", "", "", "", "penalty l1 1", "penalty l2 4"][rng.below(7) as usize];
        let samples = 2 + rng.below(25 * (k * filters) as u64) as usize;
        let text = format!(
            "network {{ input {} conv kernel {k} stride {k} filters {filters}{bias} activation {activation} output ones }}
             data planted {{ samples {samples} seed {case} }}
             relax {{ {anchor} {bound} {penalty} }}",
            k * patches
        );
        let compiled =
            cnr_driver::compile(&Request::new(&text, "random")).unwrap_or_else(|e| panic!("{text}: {e}"));
        let full = solve(&compiled, MethodChoice::Full);
        if full.status != Status::Optimal {
            continue;
        }
        let ws = solve(&compiled, MethodChoice::WSpace);
        assert_agree(&full, &ws, &format!("case {case}: {text}"));
        if ws.method == Method::WSpace {
            certified += 1;
            recovered += usize::from(ws.recovered(1e-4) == Some(true));
        }
    }
    // Most cases are certified by the w-space method itself, on both sides of the transition.
    assert!(
        certified >= 25 && recovered >= 5 && recovered < certified,
        "{certified} certified, {recovered} recovered"
    );
}

#[test]
fn the_command_line_takes_the_wspace_method() {
    let out = crate::util::cnr(&["solve", "examples/paper_relu.cnr", "--method", "wspace", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::text(&out.stderr));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(record["method"], "wspace");
    assert_eq!(record["wspace"]["certified"], true);
    assert!(record["recovery_error"].as_f64().expect("a planted filter") < 1e-8, "{record}");
}

/// A ReLU model of three planted samples (d = 8, K = 2) with the given `relax` statements.
fn three_samples(relax: &str) -> Compiled {
    let text = format!(
        "network {{ input 16 conv kernel 8 stride 8 activation relu output ones }}
         data planted {{ samples 3 seed 2 }}
         relax {{ {relax} }}"
    );
    cnr_driver::compile(&Request::new(&text, "three")).expect("compiles")
}

#[test]
fn a_bound_is_taken_by_the_wspace_method_itself() {
    // Three samples pin w down loosely: a small bound is where the optimum sits.
    for bound in ["bound l2 2", "bound linf 0.5"] {
        let compiled = three_samples(bound);
        let full = solve(&compiled, MethodChoice::Full);
        let ws = solve(&compiled, MethodChoice::WSpace);
        assert_eq!(ws.method, Method::WSpace, "{bound}: {:?}", ws.wspace);
        assert_agree(&full, &ws, bound);
        let w = ws.w.as_ref().expect("a point").flat();
        let norm = if bound.contains("l2") {
            w.iter().map(|v| v * v).sum::<f64>().sqrt()
        } else {
            w.iter().fold(0.0f64, |m, v| m.max(v.abs()))
        };
        let radius: f64 = bound.rsplit(' ').next().expect("a radius").parse().expect("a number");
        assert!((norm - radius).abs() <= 1e-8 * radius, "{bound}: ‖w‖ = {norm}");
    }
}

#[test]
fn unbounded_infeasible_and_penalised_models_get_the_whole_programs_answer() {
    // (relax block, the status both methods must report)
    let cases = [
        ("anchor planted", Status::Unbounded), // six patches cannot pin w down in R^8
        ("penalty l1 0.5", Status::Optimal),   // a penalty goes to the cone program
        ("penalty l2 2", Status::Optimal),
    ];
    for (relax, status) in cases {
        let compiled = three_samples(relax);
        let full = solve(&compiled, MethodChoice::Full);
        let ws = solve(&compiled, MethodChoice::WSpace);
        assert_eq!((full.status, ws.status), (status, status), "{relax}: {:?}", ws.wspace);
        let why = ws.wspace.as_ref().and_then(|r| r.fallback.clone()).expect("the record says why");
        assert!(matches!(ws.method, Method::Full | Method::CuttingPlane), "{relax}");
        assert!(why.contains(if status == Status::Unbounded { "unbounded" } else { "penalty" }), "{why}");
        if let (Some(a), Some(b)) = (full.objective, ws.objective) {
            assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{relax}: {a} vs {b}");
        }
    }
    // Noisy labels without a penalty: no filter fits under every label.
    let text = "network { input 64 conv kernel 16 stride 16 activation relu output ones }
                data planted { samples 128 seed 12 noise 0.01 }";
    let compiled = cnr_driver::compile(&Request::new(text, "noisy")).expect("compiles");
    let (full, ws) = (solve(&compiled, MethodChoice::Full), solve(&compiled, MethodChoice::WSpace));
    assert_eq!((full.status, ws.status), (Status::Infeasible, Status::Infeasible), "{:?}", ws.wspace);
}

#[test]
fn many_samples_are_checked_in_a_working_set_then_all_at_once() {
    // 20,000 samples are more than four working sets of 4,096: the rounds check the set until it
    // holds, then every sample. Labels raised by positive noise keep the planted filter feasible
    // but no longer optimal, so the optimum is pinned by the samples with the least slack, most of
    // them outside the first set: the passes over all samples find some, and they join the set.
    const NETWORK: &str = "network { input 8 conv kernel 4 stride 4 activation relu output ones }";
    let planted = cnr_driver::compile(&Request::new(
        &format!("{NETWORK} data planted {{ samples 20000 seed 4 }}"),
        "planted",
    ))
    .expect("compiles");
    let data = &planted.model.data;
    let mut rng = Lcg(5);
    let y: Vec<f64> = data.y.iter().map(|y| y + 0.05 * rng.below(1000) as f64 / 1000.0).collect();
    let x = ndarray::Array2::from_shape_vec((data.n, 8), data.x.clone()).expect("shape");
    let y = ndarray::Array1::from(y);
    let arrays = cnr_driver::Arrays {
        inputs: x.view(),
        labels: y.view(),
        planted: None,
        planted_bias: None,
        test: None,
    };
    let compiled = cnr_driver::compile(
        &Request::new(&format!("{NETWORK} relax {{ refine 0 }}"), "many").with_arrays(arrays),
    )
    .expect("compiles");
    let checked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = checked.clone();
    let mut request = Request { method: MethodChoice::WSpace, ..Request::new("", "") };
    request.hooks.progress = Some(std::sync::Arc::new(move |e: &cnr_driver::Event| {
        if let cnr_driver::Event::Checking { samples, .. } = e {
            seen.lock().expect("the list").push(*samples);
        }
    }));
    let ws = cnr_driver::solve_compiled(&compiled, &request).expect("the solve runs");
    let cp = solve(&compiled, MethodChoice::CuttingPlane);
    let record = ws.wspace.as_ref().expect("the w-space record");
    assert_eq!((ws.method, ws.status), (Method::WSpace, Status::Optimal), "{record:?}");
    assert!(record.certified && record.relative_violation <= record.tolerance, "{record:?}");
    let checked = checked.lock().expect("the list").clone();
    let passes = checked.iter().filter(|&&n| n == 20_000).count();
    assert!(checked[0] == 4096 && passes >= 2, "samples checked per round: {checked:?}");
    assert!(checked.iter().any(|&n| n > 4096 && n < 20_000), "{checked:?}");
    // The violation is the largest over every sample, not the working set's.
    let worst = ws.relative_violation.expect("checked on the model");
    assert!((worst - record.relative_violation).abs() <= 1e-15, "{worst} vs {record:?}");
    let (a, b) = (ws.objective.expect("objective"), cp.objective.expect("objective"));
    assert!((a - b).abs() <= 1e-6 * a.abs(), "w-space {a}, cutting planes {b}");
}

#[test]
fn a_point_on_the_box_without_a_multiplier_is_said_to_be_one_of_many_optima() {
    // One sample: the optimum is a face, and the box picks a point of it. The certificate stands
    // (no side carries a multiplier), and the record says where the point lies.
    let text = std::fs::read_to_string(crate::util::root().join("examples/paper_relu.cnr")).expect("example");
    let request = Request::new(&text, "paper").with(cnr_driver::Setting::Samples(1));
    let solved = cnr_driver::solve(&request).expect("solves");
    let ws = solved.record.wspace.as_ref().expect("the w-space record");
    assert!(ws.certified && !ws.box_active && ws.on_box, "{ws:?}");
    let largest =
        solved.record.w.as_ref().expect("a point").flat().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!((largest - ws.box_radius).abs() <= 1e-9 * ws.box_radius, "{largest} vs {}", ws.box_radius);
    // With the paper's samples the optimum is the planted filter, inside the box.
    let whole = cnr_driver::solve(&Request::new(&text, "paper")).expect("solves");
    assert!(!whole.record.wspace.as_ref().expect("the w-space record").on_box);
}
