//! The two backends are held to the same answer on random small LPs of the models' shapes: few
//! samples, nearly unbounded ones, every linear activation. Where good_lp's solver (microlp) gives an
//! answer cnr cannot accept, the driver falls back to Clarabel and says so.

use crate::util::Lcg;
use cnr_driver::{Backend, MethodChoice, Request, Status};

#[test]
fn good_lp_and_clarabel_agree_on_random_linear_models() {
    let mut rng = Lcg(7);
    let activations = ["relu", "leaky_relu(0.2)", "abs", "f(z) = max(0.5*z, 2*z - 1)"];
    let (mut fell_back, mut cases) = (0, 0);
    for case in 0..40 {
        let activation = activations[rng.below(activations.len() as u64) as usize];
        let k = 2 + rng.below(4) as usize;
        let samples = 1 + rng.below(4 * k as u64) as usize;
        // One relaxation each (no refinement): the backends are compared on the same program.
        let relax = if activation == "abs" { "relax { anchor spectral }" } else { "relax { refine 0 }" };
        let text = format!(
            "network {{ input {} conv kernel {k} stride {k} activation {activation} output ones }}
             data planted {{ samples {samples} seed {case} }}
             {relax}",
            2 * k
        );
        let solve = |backend| {
            let request =
                Request { backend: Some(backend), method: MethodChoice::Full, ..Request::new(&text, "lp") };
            cnr_driver::solve(&request).expect("the backend runs").record
        };
        let (lp, conic) = (solve(Backend::GOOD_LP), solve(Backend::CLARABEL));
        cases += 1;
        fell_back += usize::from(lp.backend != "good_lp");
        assert_eq!(lp.status, conic.status, "case {case}: {text}\n{:?}", lp.attempts);
        if conic.status == Status::Optimal {
            let (a, b) = (lp.objective.expect("objective"), conic.objective.expect("objective"));
            assert!(
                (a - b).abs() <= 1e-6 * a.abs().max(1.0),
                "case {case}: good_lp {a}, clarabel {b}\n{text}"
            );
        }
    }
    assert!(cases == 40 && fell_back < cases, "{fell_back} of {cases} fell back");
}
