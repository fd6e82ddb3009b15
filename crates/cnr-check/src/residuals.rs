//! Every sample's residual and the scale it is judged by. A sample's constraint `f(x_i; θ) ≤ y_i`
//! is held to its own size — its label and the terms its output sums — so that one large label
//! cannot hide a small sample's violation.

use crate::model::{for_each_sample, Predictor};
use crate::Model;

/// Violations below `SCALE_FLOOR` times the largest label are not counted: a sample whose label
/// and terms are both below it (a zero label at a point near zero) is judged on that floor.
pub const SCALE_FLOOR: f64 = f64::EPSILON;

/// The residuals `f(x_i; w) − y_i` of some samples at one point, each beside its scale
/// `max(|y_i|, size of the terms of f(x_i), SCALE_FLOOR · largest |y|)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Residuals {
    /// `f(x_i; w) − y_i`, one per sample.
    pub values: Vec<f64>,
    /// Each sample's scale (positive).
    pub scales: Vec<f64>,
}

impl Residuals {
    /// The residual of sample `k` (in the order checked) relative to its own scale.
    pub fn relative(&self, k: usize) -> f64 {
        self.values[k] / self.scales[k]
    }

    /// The largest residual relative to its sample's scale (NaN if a residual is; −∞ for none).
    pub fn max_relative(&self) -> f64 {
        (0..self.values.len()).map(|k| self.relative(k)).fold(f64::NEG_INFINITY, nan_max)
    }

    /// The positions of the samples whose residual exceeds `tolerance` times their scale (or is
    /// NaN, or its scale is), with that residual.
    pub fn violated(&self, tolerance: f64) -> impl Iterator<Item = (usize, f64)> + '_ {
        (0..self.values.len())
            .filter(move |&k| {
                let (v, allowed) = (self.values[k], tolerance * self.scales[k]);
                v > allowed || v.is_nan() || allowed.is_nan()
            })
            .map(|k| (k, self.values[k]))
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// `max` where a NaN wins: a point with a NaN residual is never feasible.
fn nan_max(m: f64, x: f64) -> f64 {
    if x.is_nan() || m.is_nan() {
        f64::NAN
    } else {
        m.max(x)
    }
}

impl Model {
    /// Every sample's residual and scale (see [`Residuals`]), in one pass over the data split
    /// among `threads` threads (`None`: as many as the machine has).
    pub fn residuals(&self, w: &[f64], b: &[f64], threads: Option<usize>) -> Residuals {
        let predictor = Predictor::new(self, w, b);
        let pairs = for_each_sample(&self.data, threads, |x| predictor.predict_with_size(x));
        self.judge((0..self.data.n).zip(pairs))
    }

    /// [`Model::residuals`] of the samples `samples` only, in their order.
    pub fn residuals_at(&self, samples: &[usize], w: &[f64], b: &[f64]) -> Residuals {
        let predictor = Predictor::new(self, w, b);
        self.judge(samples.iter().map(|&i| (i, predictor.predict_with_size(self.data.sample(i)))))
    }

    fn judge(&self, outputs: impl Iterator<Item = (usize, (f64, f64))>) -> Residuals {
        let floor = SCALE_FLOOR * self.label_scale();
        let (values, scales) = outputs
            .map(|(i, (f, size))| {
                let y = self.data.y[i];
                (f - y, y.abs().max(size).max(floor))
            })
            .unzip();
        Residuals { values, scales }
    }

    /// The largest `|y_i|` (1 when every label is 0): the floor of the samples' scales is
    /// [`SCALE_FLOOR`] times it.
    pub fn label_scale(&self) -> f64 {
        let m = self.data.y.iter().fold(0.0f64, |m, y| m.max(y.abs()));
        if m > 0.0 && m.is_finite() {
            m
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{check, MemoryFiles, Model};

    fn model(text: &str) -> Model {
        let file = cnr_syntax::parse(text).unwrap();
        check(&file, "m", &MemoryFiles::default(), &Default::default()).unwrap()
    }

    #[test]
    fn a_small_sample_is_judged_on_its_own_scale_beside_a_large_one() {
        // Two samples, labels 1 and 1e12; a point that doubles the first sample's output.
        let mut m = model("network { input 2 conv kernel 2 stride 2 activation relu output ones } data planted { samples 2 seed 1 }");
        m.data.x = vec![1.0, 0.0, 1e12, 0.0];
        m.data.y = vec![1.0, 1e12];
        let r = m.residuals(&[2.0, 0.0], &[], Some(1));
        assert_eq!(r.values, vec![1.0, 1e12]);
        assert_eq!(r.relative(0), 0.5, "a residual of 1 over terms of 2: half its scale");
        assert_eq!(r.scales[1], 2e12);
        let violated: Vec<usize> = r.violated(1e-6).map(|(k, _)| k).collect();
        assert_eq!(violated, vec![0, 1]);
        // Relative to the largest label the first would pass: 1 / 1e12 ≤ 1e-6.
        assert!(r.values[0] / m.label_scale() <= 1e-6);
        let at = m.residuals_at(&[0], &[1.0, 0.0], &[]);
        assert_eq!((at.values.clone(), at.max_relative()), (vec![0.0], 0.0));
    }

    #[test]
    fn terms_on_relus_flat_side_add_nothing_and_zero_is_judged_on_the_floor() {
        let mut m = model("network { input 2 conv kernel 2 stride 2 activation relu output ones } data planted { samples 2 seed 1 }");
        m.data.x = vec![1.0, -1.0, -1e6, 0.0];
        m.data.y = vec![0.0, 2.0];
        // Sample 0: z = 1 − 1 = 0 from terms of size 2 (the slope at 0 is a subgradient);
        // sample 1: z = −1e6, inactive, so only its label counts.
        let r = m.residuals(&[1.0, 1.0], &[], Some(1));
        assert_eq!(r.values, vec![0.0, -2.0]);
        assert_eq!(r.scales[1], 2.0, "an inactive patch's terms do not widen the scale");
        let r = m.residuals(&[0.0, 0.0], &[], Some(1));
        assert_eq!(r.scales, vec![super::SCALE_FLOOR * 2.0, 2.0]);
        let nan = m.residuals(&[f64::NAN, 0.0], &[], Some(1));
        assert!(nan.max_relative().is_nan() && nan.violated(1e-6).count() == 2, "{nan:?}");
    }
}
