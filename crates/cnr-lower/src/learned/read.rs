//! The trained network read back from a learned program's point.

use super::{learn_of, patch, LearnedLayout, PatternSet};
use cnr_check::learned::{Form, Neuron, TrainedNetwork};
use cnr_check::Model;

/// A group whose norm is below this fraction of the largest is not counted as a neuron of the
/// trained network's size ([`significant`]): an interior point leaves a group that is zero at the
/// optimum at about this size, not at zero. The network keeps it, so that its loss is the
/// program's data term (measured on examples/learned/teacher.cnr: the groups that are zero at the optimum
/// come back at 2e-5 to 7e-4 of the largest, the others above 0.02; leaving the small ones out
/// moved the loss by 1.3% of the data term).
pub const SIGNIFICANT: f64 = 1e-4;

/// How many neurons of `network` are significant: `α² = ‖c_j‖` at least [`SIGNIFICANT`] times
/// the largest.
pub fn significant(network: &TrainedNetwork) -> usize {
    let largest = network.neurons.iter().map(|n| n.weight * n.weight).fold(0.0, f64::max);
    network.neurons.iter().filter(|n| n.weight * n.weight >= SIGNIFICANT * largest).count()
}

/// The network of the point `x`: a neuron per group `c_j` that is not zero (however small), with filter and bias
/// `c_j / √‖c_j‖` and output weight `√‖c_j‖` (`−√‖c'_j‖` for `c'_j`), so that
/// `α (⟨x̃, u⟩)_+ = (⟨x̃, c_j⟩)_+` and `β/2 (‖u‖² + α²) = β ‖c_j‖`. A gated neuron keeps its
/// arrangement's filter as its gate.
pub fn read_network(model: &Model, layout: &LearnedLayout, set: &PatternSet, x: &[f64]) -> TrainedNetwork {
    let gated = learn_of(model).form == Form::Gated;
    let d = model.network.d();
    let norms: Vec<f64> = (0..layout.groups()).map(|j| cnr_numerics::norm(&x[layout.group(j)])).collect();
    let mut neurons = Vec::new();
    for (j, &norm) in norms.iter().enumerate() {
        if norm == 0.0 {
            continue;
        }
        let c = &x[layout.group(j)];
        let scale = norm.sqrt();
        let arrangement = j % layout.arrangements;
        let gate = gated.then(|| {
            let g = &set.generators[arrangement];
            (g[..d].to_vec(), g.get(d).copied().unwrap_or(0.0))
        });
        neurons.push(Neuron {
            filter: c[..d].iter().map(|v| v / scale).collect(),
            bias: c.get(d).map_or(0.0, |b| b / scale),
            weight: if j < layout.arrangements { scale } else { -scale },
            gate,
        });
    }
    TrainedNetwork { neurons, offset: layout.offset.map_or(0.0, |col| x[col]) }
}

/// The figures of a point, from the groups and from the network read back from them.
pub struct Judged {
    /// The program's `½‖Σ D X̃ (c − c') + offset − y‖²`, from the groups.
    pub data_term: f64,
    /// `½‖f − y‖²` of the network read back.
    pub network_loss: f64,
    /// `|network_loss − data_term| / max(data_term, ε·½‖y‖²)`.
    pub equivalence: f64,
    /// The largest `(−(2D − 1)⟨x̃, c⟩)_+` over `max |y|` (exact form).
    pub sign_violation: Option<f64>,
}

/// The figures of the point `x` of the program over `set`, and of `network` read back from it.
pub fn judge(
    model: &cnr_check::Model,
    layout: &LearnedLayout,
    set: &PatternSet,
    x: &[f64],
    network: &TrainedNetwork,
) -> Judged {
    let (n, kk, h, p) = (model.data.n, model.network.patches(), layout.h, layout.arrangements);
    let exact = layout.c_neg.is_some();
    let mut xt = vec![0.0; h];
    let (mut data_term, mut worst) = (0.0, 0.0f64);
    for i in 0..n {
        let mut f = layout.offset.map_or(0.0, |col| x[col]);
        for k in 0..kk {
            patch(model, model.data.sample(i), k, &mut xt);
            for j in 0..p {
                let on = set.active(j, i * kk + k);
                let plus = cnr_numerics::dot(&xt, &x[layout.group(j)]);
                let minus = if exact { cnr_numerics::dot(&xt, &x[layout.group(p + j)]) } else { 0.0 };
                if on {
                    f += plus - minus;
                }
                if exact {
                    let sign = if on { 1.0 } else { -1.0 };
                    worst = worst.max(-sign * plus).max(-sign * minus);
                }
            }
        }
        data_term += 0.5 * (f - model.data.y[i]) * (f - model.data.y[i]);
    }
    let network_loss = network.half_squared_error(model, &model.data);
    let labels = 0.5 * model.data.y.iter().map(|y| y * y).sum::<f64>();
    let floor = (f64::EPSILON * labels).max(f64::MIN_POSITIVE);
    let scale = cnr_numerics::max_abs(&model.data.y).max(f64::MIN_POSITIVE);
    Judged {
        data_term,
        network_loss,
        equivalence: (network_loss - data_term).abs() / data_term.max(floor),
        sign_violation: exact.then_some(worst / scale),
    }
}
