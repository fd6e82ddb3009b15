//! Planted recovery: with enough samples the relaxation returns the planted filter, and with too
//! few it does not. Recovery is judged from the model — recovery error and training loss computed
//! by `Model::evaluate` — not from the solver's status (an `inaccurate` solve whose point fits the
//! model exactly still counts; a solve without a point never does).
//!
//! Sample counts come from sweeps over seeds 1..=10 with this file's own criterion (figures in the
//! comments: recovered seeds out of 10 at each n). Settings: the paper's (d = 16, K = 8) for relu;
//! d = 10, K = 4 for the others, the setting of an independent quick experiment (relu from about 3d,
//! leaky_relu 2d, softplus 3d, squared_relu and square 4d, abs 10d).

use cnr_driver::{Request, Setting, Status};

struct Outcome {
    status: Status,
    recovery_error: Option<f64>,
    training_loss: Option<f64>,
}

impl Outcome {
    fn recovered(&self) -> bool {
        matches!(self.status, Status::Optimal | Status::Inaccurate)
            && self.recovery_error.is_some_and(|e| e < 1e-6)
            && self.training_loss.is_some_and(|l| l < 1e-9)
    }
}

fn solve(model_text: &str, samples: usize, seed: u64, noise: f64) -> Outcome {
    let settings = vec![Setting::Samples(samples as u64), Setting::Seed(seed), Setting::Noise(noise)];
    let request = Request { settings, ..Request::new(model_text, "recovery") };
    let record = cnr_driver::solve(&request).expect("the backend runs").record;
    Outcome {
        status: record.status,
        recovery_error: record.recovery_error,
        training_loss: record.training_loss,
    }
}

/// How many of seeds 1..=10 recover at `samples`.
fn recoveries(model_text: &str, samples: usize) -> usize {
    (1..=10).filter(|&seed| solve(model_text, samples, seed, 0.0).recovered()).count()
}

fn model(activation: &str, input: usize, kernel: usize, extra: &str) -> String {
    format!(
        "network {{ input {input} conv kernel {kernel} stride {kernel} activation {activation} output ones }}
         data planted {{ samples 1 }}
         {extra}"
    )
}

#[test]
fn relu_paper_setting_recovers_at_12d_and_not_at_half_d() {
    // d = 16, K = 8. Sweep: n = 8: 0, 64: 4, 96: 7, 128: 9, 192: 10.
    let m = model("relu", 128, 16, "");
    let high = recoveries(&m, 192);
    assert!(high >= 9, "n = 12d recovered {high}/10");
    let low = recoveries(&m, 8);
    assert_eq!(low, 0, "n = d/2 recovered {low}/10");
}

#[test]
fn leaky_relu_recovers_at_4d() {
    // d = 10, K = 4. Sweep: n = 5: 0, 20: 9, 40..200: 10.
    let m = model("leaky_relu(0.2)", 40, 10, "");
    assert!(recoveries(&m, 40) >= 9);
    assert_eq!(recoveries(&m, 5), 0);
}

#[test]
fn softplus_recovers_at_12d() {
    // d = 10, K = 4, default tolerance (Clarabel may end `inaccurate` here: the solves are
    // degenerate at the optimum; the model-level checks decide).
    // Sweep: n = 5: 0, 20: 3, 40: 8, 60: 9, 80: 9, 120: 10, 200: 10.
    let m = model("softplus", 40, 10, "");
    assert!(recoveries(&m, 120) >= 9);
    assert_eq!(recoveries(&m, 5), 0);
}

#[test]
fn squared_relu_recovers_at_12d() {
    // d = 10, K = 4, default tolerance. Sweep: n = 5: 0, 20: 0, 40: 6, 60: 9, 80: 9, 120: 10, 200: 9.
    let m = model("squared_relu", 40, 10, "");
    assert!(recoveries(&m, 120) >= 9);
    assert_eq!(recoveries(&m, 5), 0);
}

#[test]
fn abs_with_the_spectral_anchor_recovers_up_to_sign_at_20d() {
    // d = 10, K = 4. Sweep: n = 5: 0, 20: 0, 40: 5, 60: 6, 80: 7, 120: 9, 200: 10.
    let m = model("abs", 40, 10, "relax { anchor spectral }");
    assert!(recoveries(&m, 200) >= 9);
    assert_eq!(recoveries(&m, 5), 0);
}

#[test]
fn noisy_labels_with_an_l2_penalty_recover_in_proportion_to_the_noise() {
    // examples/noisy_l2.cnr's setting (d = 16, K = 4, n = 128, λ = 2). Measured with seed 12:
    // noise 0.1 → recovery error 3.7e-2, 0.01 → 3.6e-3, 0.001 → 3.7e-4.
    let m = model("relu", 64, 16, "relax { anchor data penalty l2 2 }");
    let mut last = f64::INFINITY;
    for noise in [0.1, 0.01, 0.001] {
        let out = solve(&m, 128, 12, noise);
        assert_eq!(out.status, Status::Optimal, "noise {noise}");
        let e = out.recovery_error.expect("planted filter known");
        assert!(e < last / 3.0, "noise {noise}: error {e} did not shrink from {last}");
        assert!(e < 0.5 * noise, "noise {noise}: error {e}");
        last = e;
    }
}

#[test]
fn softplus_and_squared_relu_solve_to_optimal_and_recover_in_the_paper_setting() {
    // d = 16, K = 8, n = 12d: where a single solve used to end `inaccurate` or with a numerical error
    // (softplus: 12 of 30 seeds; squared_relu: 29 of 30). With the retries of docs/solving.md every
    // one of these seeds ends optimal and recovers.
    for activation in ["softplus", "squared_relu"] {
        let m = model(activation, 128, 16, "");
        for seed in [1, 2, 3] {
            let out = solve(&m, 192, seed, 0.0);
            assert_eq!(out.status, Status::Optimal, "{activation}, seed {seed}");
            assert!(out.recovered(), "{activation}, seed {seed}: error {:?}", out.recovery_error);
        }
    }
}
