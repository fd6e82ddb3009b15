//! The rough sizes of a model's data that boxes and scales are set from.

use crate::Model;

/// The first radius of the box: a hundred times a rough scale of `w`, from the labels, the inputs
/// and the output weights (a label is about `Σ_k u_k` times `|⟨w, x_k⟩|`). Only the number of rounds
/// depends on it: a box that turns out active grows.
pub fn initial_radius(model: &Model) -> f64 {
    let sizes = DataSizes::of(model);
    let scale = sizes.mean_abs_y / (sizes.u_sum * sizes.rms_x);
    100.0 * if scale.is_finite() && scale > 0.0 { scale.max(1e-6) } else { 1.0 }
}

/// The rough sizes of a model's data that the box and the objective's scale are set from.
pub struct DataSizes {
    /// Samples.
    pub n: f64,
    /// The mean `|y_i|`.
    pub mean_abs_y: f64,
    /// The inputs' root mean square, from at most a million entries: a scale, not a statistic.
    pub rms_x: f64,
    /// The largest `Σ_k u_mk` over the filters.
    pub u_sum: f64,
}

impl DataSizes {
    /// The sizes of `model`'s data.
    pub fn of(model: &Model) -> Self {
        let y = &model.data.y;
        let x = &model.data.x[..model.data.x.len().min(1 << 20)];
        let kk = model.network.patches();
        DataSizes {
            n: model.data.n as f64,
            mean_abs_y: y.iter().map(|v| v.abs()).sum::<f64>() / y.len().max(1) as f64,
            rms_x: (x.iter().map(|v| v * v).sum::<f64>() / x.len().max(1) as f64).sqrt(),
            u_sum: model.output.chunks(kk.max(1)).map(|c| c.iter().sum::<f64>()).fold(0.0, f64::max),
        }
    }
}
