//! The checker: from a parsed `.cnr` file to a [`Model`] whose every part is known to be usable —
//! shapes agree, the activation is convex by the rules of disciplined convex programming, the output
//! weights are non-negative, the data are finite and of the right sizes.
//!
//! The checker reports every problem it finds, not just the first, as [`Diagnostic`]s with spans
//! into the model's source. It reads data files only through the [`Files`] trait, so it does no I/O
//! of its own and tests can hand it files from memory.
//!
//! ```
//! use cnr_check::{check, MemoryFiles, Overrides};
//! let file = cnr_syntax::parse(
//!     "network { input 8 conv kernel 4 stride 4 activation relu output ones }
//!      data planted { samples 12 seed 1 }",
//! ).unwrap();
//! let model = check(&file, "tiny", &MemoryFiles::default(), &Overrides::default()).unwrap();
//! assert_eq!((model.network.d(), model.network.patches(), model.data.n), (4, 2, 12));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod activation;
mod check;
pub mod data;
pub mod network;

pub use activation::{Activation, Atom, ConeClass, Curvature, Expr};
pub use check::check;
pub use cnr_syntax::Diagnostic;
pub use data::{Data, DataSource, Files, MemoryFiles};
pub use network::Network;

/// A checked model, ready to be lowered.
#[derive(Clone, Debug)]
pub struct Model {
    /// The model's name (declared with `model`, else the file's stem).
    pub name: String,
    /// Shapes of the convolution.
    pub network: Network,
    /// The activation.
    pub activation: Activation,
    /// Fixed output weights `u[m·K + k]` for filter `m` and patch `k`, all ≥ 0.
    pub output: Vec<f64>,
    /// The samples.
    pub data: Data,
    /// Which relaxation to build.
    pub relax: Relax,
    /// Solver settings.
    pub solver: SolverSpec,
}

/// The objective's anchor `g` (DESIGN.md §2).
#[derive(Clone, Debug, PartialEq)]
pub enum Anchor {
    /// `g = Σ_i y_i Σ_k u_mk x_ik` per filter.
    Data,
    /// The top eigenvector of `Σ_i y_i Σ_k u_mk x_ik x_ikᵀ` (for even activations).
    Spectral,
    /// The planted filter itself (an oracle, for experiments).
    Planted,
    /// A given vector of length `M·d`.
    Vector(Vec<f64>),
}

/// A norm used by penalties and bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    /// The 1-norm (penalties only).
    L1,
    /// The 2-norm.
    L2,
    /// The ∞-norm (bounds only).
    Linf,
}

/// The relaxation's options.
#[derive(Clone, Debug, PartialEq)]
pub struct Relax {
    /// The anchor, after `auto` was resolved.
    pub anchor: Anchor,
    /// Whether the user wrote `auto` (or nothing).
    pub anchor_auto: bool,
    /// `penalty l1|l2 λ`: soft labels with slack `ξ` weighted by λ.
    pub penalty: Option<(Norm, f64)>,
    /// `bound l2|linf R` on `w`.
    pub bound: Option<(Norm, f64)>,
}

/// The backend that solves the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Clarabel, the interior-point conic solver (every cone).
    Clarabel,
    /// An LP solver through good_lp (linear programs only).
    GoodLp,
}

/// Solver settings from the `solver` block, with documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct SolverSpec {
    /// Default: Clarabel.
    pub backend: Backend,
    /// Absolute and relative tolerance; default 1e-7.
    pub tolerance: f64,
    /// Iteration limit; default 200.
    pub max_iter: u32,
    /// Time limit in seconds; default none.
    pub time_limit: Option<f64>,
}

impl Default for SolverSpec {
    fn default() -> Self {
        SolverSpec { backend: Backend::Clarabel, tolerance: 1e-7, max_iter: 200, time_limit: None }
    }
}

/// Values from the command line that replace the model's (`--samples`, `--seed`, `--noise`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// Number of samples.
    pub samples: Option<usize>,
    /// Seed of the planted model.
    pub seed: Option<u64>,
    /// Noise level of the planted model.
    pub noise: Option<f64>,
}

/// How well filters `(w, b)` fit the model's data, computed from the model itself, never from a
/// solver (DESIGN.md "What a solve reports").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// `max_i (f(x_i; w) − y_i)`: positive when a sample's label limit is exceeded.
    pub max_violation: f64,
    /// `(1/n) Σ_i (f(x_i; w) − y_i)²`.
    pub training_loss: f64,
    /// `‖w − w*‖ / ‖w*‖` when the planted filter is known; the minimum over the sign of `w` for an
    /// even activation, which fits `w` and `−w` equally.
    pub recovery_error: Option<f64>,
}

impl Model {
    /// Evaluates filters `w` (`M·d`) and biases `b` (`M`, or empty) on the data.
    pub fn evaluate(&self, w: &[f64], b: &[f64]) -> Fit {
        let n = self.data.n;
        let mut max_violation = f64::NEG_INFINITY;
        let mut loss = 0.0;
        for i in 0..n {
            let r = self.predict(i, w, b) - self.data.y[i];
            max_violation = max_violation.max(r);
            loss += r * r;
        }
        let recovery_error = self.data.planted.as_ref().map(|star| {
            let norm = star.iter().map(|v| v * v).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
            let dist = |sign: f64| {
                w.iter().zip(star).map(|(a, s)| (sign * a - s).powi(2)).sum::<f64>().sqrt() / norm
            };
            if self.activation.is_even() {
                dist(1.0).min(dist(-1.0))
            } else {
                dist(1.0)
            }
        });
        Fit { max_violation, training_loss: loss / n.max(1) as f64, recovery_error }
    }

    /// Output weight of filter `m`, patch `k`.
    pub fn u(&self, m: usize, k: usize) -> f64 {
        self.output[m * self.network.patches() + k]
    }

    /// The network's output `f(x_i; w)` for sample `i`, filters `w` (`M·d`) and biases `b` (`M`).
    pub fn predict(&self, i: usize, w: &[f64], b: &[f64]) -> f64 {
        let net = &self.network;
        let (d, kk) = (net.d(), net.patches());
        let x = self.data.sample(i);
        let map = net.patch_map();
        let mut f = 0.0;
        for m in 0..net.filters {
            let wm = &w[m * d..(m + 1) * d];
            for k in 0..kk {
                let u = self.u(m, k);
                if u == 0.0 {
                    continue;
                }
                let mut z = b.get(m).copied().unwrap_or(0.0);
                for (j, &src) in map[k * d..(k + 1) * d].iter().enumerate() {
                    if src != network::PADDING {
                        z += wm[j] * x[src as usize];
                    }
                }
                f += u * self.activation.eval(z);
            }
        }
        f
    }
}
