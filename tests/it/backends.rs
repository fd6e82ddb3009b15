//! The backends agree on every example: the CBF writer and reader round-trip the program, and for
//! every linear example Clarabel, CBF → reader → Clarabel, and good_lp find the same optimum.

use crate::util::{compile_example, lower_all, models_in};
use cnr_driver::{solver_settings, Request};
use cnr_ir::{ConeProgram, Solution, Status};
use cnr_lower::Layout;

fn lowered(path: &str) -> (cnr_check::Model, ConeProgram, Layout) {
    let compiled = compile_example(path, None);
    let lowered = lower_all(&compiled);
    (compiled.model, lowered.program, lowered.layout)
}

fn through_cbf(program: &ConeProgram) -> ConeProgram {
    let mut bytes = Vec::new();
    cnr_cbf::write_cbf(program, &mut bytes, "test").expect("writes");
    let text = String::from_utf8(bytes).expect("CBF is ASCII");
    cnr_cbf::read_cbf(&text, &program.name, 8 << 30).expect("reads back")
}

fn optimum(program: &ConeProgram, solution: &Solution) -> f64 {
    assert!(
        matches!(solution.status, Status::Optimal | Status::Inaccurate),
        "{}: {:?}",
        program.name,
        solution.status
    );
    program.user_objective(solution.objective)
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn every_example_round_trips_through_cbf() {
    for path in models_in("examples") {
        let (model, program, _) = lowered(&path);
        let back = through_cbf(&program);
        // The format keeps the data exactly; only the block names are the reader's own.
        assert_eq!((back.n, back.sense), (program.n, program.sense), "{path}");
        assert_eq!(back.a, program.a, "{path}: A");
        assert_eq!(back.b, program.b, "{path}: b");
        assert_eq!(back.q, program.q, "{path}: q");
        assert_eq!(back.c, program.c, "{path}: c");
        assert_eq!(back.cones, program.cones, "{path}: cones");
        let s = solver_settings(&model, &Request::new("", ""));
        let direct = optimum(&program, &cnr_clarabel::solve(&program, &s).expect("solves"));
        let via_cbf = optimum(&back, &cnr_clarabel::solve(&back, &s).expect("solves"));
        assert!(close(direct, via_cbf, 1e-9), "{path}: {direct} vs {via_cbf}");
    }
}

#[test]
fn three_backends_agree_on_every_linear_example() {
    let mut linear = 0;
    for path in models_in("examples") {
        let (model, program, layout) = lowered(&path);
        if !program.is_linear() {
            continue;
        }
        linear += 1;
        let s = solver_settings(&model, &Request::new("", ""));
        let clarabel = cnr_clarabel::solve(&program, &s).expect("solves");
        let back = through_cbf(&program);
        let via_cbf = cnr_clarabel::solve(&back, &s).expect("solves");
        let lp = cnr_goodlp::solve(&program, &s).expect("solves");
        let (a, b, c) = (optimum(&program, &clarabel), optimum(&back, &via_cbf), optimum(&program, &lp));
        assert!(close(a, b, 1e-6) && close(a, c, 1e-6), "{path}: clarabel {a}, via CBF {b}, good_lp {c}");
        // The same recovered filter: all three fit the model equally well.
        let (wa, _) = layout.filters(&clarabel.x);
        let (wc, _) = layout.filters(&lp.x);
        let dist = wa.iter().zip(&wc).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
        let norm = wa.iter().map(|x| x * x).sum::<f64>().sqrt().max(1.0);
        assert!(dist <= 1e-5 * norm, "{path}: filters differ by {dist}");
    }
    assert!(linear >= 6, "only {linear} linear examples");
}
