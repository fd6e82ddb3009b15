//! Learned output weights (`output learned` and the `learn` block): the options of the exact
//! convex program of a two-layer CNN (docs/learned.md), and the trained network read back from it,
//! evaluated on the model's inputs — the figures of a training are computed from this network, not
//! from the program.

use crate::Model;

/// The `learn` block: what the convex program of learned output weights is.
#[derive(Clone, Debug, PartialEq)]
pub struct Learn {
    /// `weight_decay β`: the training objective is `½‖f(X) − y‖² + β/2 Σ_j (‖u_j‖² + α_j²)`.
    pub weight_decay: f64,
    /// `form exact|gated`.
    pub form: Form,
    /// `arrangements P seed S` or `arrangements all`.
    pub arrangements: Arrangements,
    /// Where the `learn` block is written.
    pub span: cnr_syntax::Span,
    /// Where its `arrangements` statement is (the block's keyword when it has none).
    pub arrangements_span: cnr_syntax::Span,
}

/// Which convex program of learned output weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// The exact reformulation of a ReLU network (Pilanci & Ergen; Ergen & Pilanci for CNNs): two
    /// groups per arrangement, each held to its pattern by sign constraints.
    Exact,
    /// A gated ReLU network (Mishkin, Sahiner & Pilanci): one group per arrangement, no sign
    /// constraints; the gates are the arrangements' filters.
    Gated,
}

impl Form {
    /// The form as the language writes it.
    pub fn name(self) -> &'static str {
        match self {
            Form::Exact => "exact",
            Form::Gated => "gated",
        }
    }
}

/// Where the arrangements (activation patterns) come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrangements {
    /// The patterns of `count` Gaussian filters drawn from `seed` (duplicates dropped), after
    /// the planted teacher's own with `+ planted`.
    Sampled {
        /// Filters drawn.
        count: usize,
        /// Their seed.
        seed: u64,
        /// Whether the planted teacher's patterns come first (an oracle, for experiments).
        planted: bool,
    },
    /// Every pattern of the patch matrix's hyperplane arrangement (tiny models only).
    All,
    /// Up to `count` patterns: a quarter from Gaussian filters drawn from `seed`, the rest
    /// generated from the dual, round after round (docs/learned.md, "Generated arrangements").
    Generated {
        /// The most patterns.
        count: usize,
        /// The seed of the first quarter and of the search's starts.
        seed: u64,
    },
}

/// The default `arrangements`: 100 filters from seed 0.
pub const DEFAULT_ARRANGEMENTS: Arrangements = Arrangements::Sampled { count: 100, seed: 0, planted: false };

/// Candidates for a teacher neuron's match in [`TrainedNetwork::recovery_error`]: the largest
/// `CANDIDATES · M` neurons.
const CANDIDATES: usize = 8;

/// One hidden neuron of a trained network: `α Σ_k act(⟨x_k, u⟩ + b)`, where `act` is ReLU, or
/// for a gated neuron the identity where the gate `⟨x_k, g⟩ + g_b ≥ 0` and zero elsewhere.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Neuron {
    /// The filter `u` (`d` numbers, the model's patch order).
    pub filter: Vec<f64>,
    /// The bias `b` (0 for a network without bias).
    pub bias: f64,
    /// The output weight `α`.
    pub weight: f64,
    /// A gated neuron's gate `(g, g_b)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<(Vec<f64>, f64)>,
}

/// A trained two-layer CNN: its neurons and the output's offset.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainedNetwork {
    /// The neurons, in the order of the program's groups.
    pub neurons: Vec<Neuron>,
    /// The output's offset (0 without `+ offset`).
    pub offset: f64,
}

impl TrainedNetwork {
    /// The network's output on input `x` (the model's layout, `C·H·W` numbers).
    pub fn predict(&self, model: &Model, x: &[f64]) -> f64 {
        let geometry = &model.geometry;
        let dot = |k: usize, u: &[f64]| geometry.of(k).iter().map(|&(j, src)| u[j] * x[src]).sum::<f64>();
        let mut out = self.offset;
        for neuron in &self.neurons {
            let mut sum = 0.0;
            for k in 0..model.network.patches() {
                let z = dot(k, &neuron.filter) + neuron.bias;
                sum += match &neuron.gate {
                    None => z.max(0.0),
                    Some((g, gb)) if dot(k, g) + gb >= 0.0 => z,
                    Some(_) => 0.0,
                };
            }
            out += neuron.weight * sum;
        }
        out
    }

    /// The outputs on every sample of `data` (the model's training set, or its test set).
    pub fn predictions(&self, model: &Model, data: &crate::Data) -> Vec<f64> {
        (0..data.n).map(|i| self.predict(model, data.sample(i))).collect()
    }

    /// `½ Σ_i (f(x_i) − y_i)²` on `data`: the training objective's data term.
    pub fn half_squared_error(&self, model: &Model, data: &crate::Data) -> f64 {
        let f = self.predictions(model, data);
        0.5 * f.iter().zip(&data.y).map(|(f, y)| (f - y) * (f - y)).sum::<f64>()
    }

    /// `β/2 Σ_j (‖u_j‖² + b_j² + α_j²)` (gates carry no weight decay).
    pub fn weight_decay(&self, beta: f64) -> f64 {
        let squares =
            |n: &Neuron| n.filter.iter().map(|v| v * v).sum::<f64>() + n.bias * n.bias + n.weight * n.weight;
        0.5 * beta * self.neurons.iter().map(squares).sum::<f64>()
    }
}

impl TrainedNetwork {
    /// How far the network is from the planted teacher (docs/learned.md, "A planted teacher"):
    /// each neuron as `e_j = α_j (u_j, b_j)` — the same for every rescaling `α → tα, u → u/t` — and
    /// the teacher's as `e*_m = (w*_m, b*_m)` (output weight 1), the smallest
    /// `√(Σ_m ‖e_π(m) − e*_m‖² + Σ_{j unmatched} ‖e_j‖²) / √(Σ_m ‖e*_m‖²)` over matchings `π` of
    /// teacher neurons to distinct neurons (a teacher neuron may go unmatched, at `‖e*_m‖²`).
    /// `None` without planted filters, or when they are all zero.
    pub fn recovery_error(&self, model: &Model) -> Option<f64> {
        let planted = model.data.planted.as_ref()?;
        let d = model.network.d();
        let with_bias = |filter: &[f64], bias: f64| {
            let mut e = filter.to_vec();
            e.push(bias);
            e
        };
        let teacher: Vec<Vec<f64>> = planted
            .chunks_exact(d)
            .enumerate()
            .map(|(m, w)| with_bias(w, model.data.planted_bias.as_ref().map_or(0.0, |b| b[m])))
            .collect();
        let squared = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
        let all: Vec<Vec<f64>> = self
            .neurons
            .iter()
            .map(|n| with_bias(&n.filter, n.bias).iter().map(|v| v * n.weight).collect())
            .collect();
        // Only the largest neurons are candidates for a match (an assignment over thousands of
        // neurons would cost their cube); the others count as unmatched.
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_by(|&a, &b| squared(&all[b]).total_cmp(&squared(&all[a])));
        let rest: f64 = order.iter().skip(CANDIDATES * teacher.len()).map(|&j| squared(&all[j])).sum();
        let learned: Vec<&Vec<f64>> =
            order.iter().take(CANDIDATES * teacher.len()).map(|&j| &all[j]).collect();
        let scale = teacher.iter().map(|e| squared(e)).sum::<f64>();
        if scale == 0.0 {
            return None;
        }
        // A square assignment: teacher rows then idle rows, learned columns then idle columns.
        let size = teacher.len() + learned.len();
        let cost: Vec<Vec<f64>> = (0..size)
            .map(|r| {
                (0..size)
                    .map(|c| match (teacher.get(r), learned.get(c)) {
                        (Some(t), Some(e)) => {
                            let diff: Vec<f64> = t.iter().zip(e.iter()).map(|(a, b)| a - b).collect();
                            squared(&diff) - squared(e)
                        }
                        (Some(t), None) => squared(t),
                        (None, _) => 0.0,
                    })
                    .collect()
            })
            .collect();
        let matched = cnr_numerics::assignment::assign(&cost);
        let total: f64 = rest
            + learned.iter().map(|e| squared(e)).sum::<f64>()
            + matched.iter().enumerate().map(|(r, &c)| cost[r][c]).sum::<f64>();
        Some(total.max(0.0).sqrt() / scale.sqrt())
    }
}
