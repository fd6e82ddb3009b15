//! A point's figures, from the model: what every record, row and report says of filters, computed
//! once here with one rule — each figure finite or absent — and one definition of success.

use crate::{Model, Residuals};

/// How well a point `(w, b)` fits the model's data, every figure from the model (never from a
/// solver). A figure that is not a finite number (an overflowing output, NaN data) is absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// `max_i (f(x_i; w) − y_i)`: positive when a sample's label limit is exceeded.
    pub max_violation: Option<f64>,
    /// The largest residual relative to its own sample's scale ([`crate::Residuals`]).
    pub relative_violation: Option<f64>,
    /// `(1/n) Σ_i (f(x_i; w) − y_i)²`.
    pub training_loss: Option<f64>,
    /// The same on the held-out test set, when the data have one.
    pub test_loss: Option<f64>,
    /// `‖w − w*‖ / ‖w*‖` up to the network's symmetries, when the planted filter is known and not zero.
    pub recovery_error: Option<f64>,
    /// `‖w − w*‖` under the same symmetries, when the planted filter is known.
    pub recovery_distance: Option<f64>,
    /// The symmetries the recovery error is minimised over ([`crate::Fit::symmetries`]).
    pub symmetries: Vec<&'static str>,
    /// The filters that came back zero while another did not ([`Model::zero_filters`]).
    pub zero_filters: Vec<usize>,
}

/// Whether a point recovered the planted filter: the method's answer is trusted (a solve's status
/// is optimal after cnr's checks; a descent's point is judged on the model alone) and the recovery
/// error is below `threshold`. The one definition of success of records, rows and summaries.
pub fn recovered(trusted: bool, recovery_error: Option<f64>, threshold: f64) -> bool {
    trusted && recovery_error.is_some_and(|e| e < threshold)
}

impl Model {
    /// The figures of the point `(w, b)` whose training residuals are `residuals` (from
    /// [`Model::residuals`], or computed already by a method); the test loss is evaluated here on
    /// `threads`.
    pub fn figures(&self, residuals: &Residuals, w: &[f64], b: &[f64], threads: Option<usize>) -> Figures {
        let fit = self.fit_of(&residuals.values, w);
        let finite = |x: f64| x.is_finite().then_some(x);
        Figures {
            max_violation: finite(fit.max_violation),
            relative_violation: finite(residuals.max_relative()),
            training_loss: finite(fit.training_loss),
            test_loss: self.test_loss(w, b, threads).and_then(finite),
            recovery_error: fit.recovery_error.and_then(finite),
            recovery_distance: fit.recovery_distance.and_then(finite),
            symmetries: fit.symmetries,
            zero_filters: self.zero_filters(w),
        }
    }

    /// The filters `m` of `w` (`M·d`) with `‖w_m‖ ≤ 1e-9 · max_m' ‖w_m'‖` while the largest is not
    /// zero: a network with more than one filter whose relaxation left some out (the anchor did
    /// not reach them, or another filter's outputs cover theirs).
    pub fn zero_filters(&self, w: &[f64]) -> Vec<usize> {
        let d = self.network.d();
        let norms: Vec<f64> = w.chunks(d.max(1)).map(cnr_numerics::norm).collect();
        let largest = norms.iter().copied().fold(0.0, f64::max);
        if norms.len() < 2 || largest <= 0.0 {
            return Vec::new();
        }
        (0..norms.len()).filter(|&m| norms[m] <= 1e-9 * largest).collect()
    }

    /// [`Model::figures`] of `(w, b)`, its residuals computed here.
    pub fn figures_at(&self, w: &[f64], b: &[f64], threads: Option<usize>) -> Figures {
        self.figures(&self.residuals(w, b, threads), w, b, threads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> Model {
        let file = cnr_syntax::parse(text).unwrap();
        crate::check(&file, "m", &crate::MemoryFiles::default(), &Default::default()).unwrap()
    }

    #[test]
    fn the_planted_filter_fits_exactly_and_recovers() {
        let m = model("network { input 8 conv kernel 4 stride 4 activation relu output ones } data planted { samples 16 seed 2 }");
        let star = m.data.planted.clone().unwrap();
        let f = m.figures_at(&star, &[], Some(1));
        assert!(f.max_violation.unwrap().abs() < 1e-12 && f.training_loss.unwrap() < 1e-24, "{f:?}");
        assert_eq!(f.recovery_error, Some(0.0));
        assert_eq!(f.relative_violation.map(|v| v.abs() < 1e-12), Some(true));
        assert!(f.test_loss.is_none(), "planted data have no test set");
        assert!(recovered(true, f.recovery_error, 1e-4));
        assert!(!recovered(false, f.recovery_error, 1e-4), "an untrusted answer never succeeds");
        assert!(!recovered(true, None, 1e-4));
    }

    #[test]
    fn a_filter_left_at_zero_beside_another_is_named() {
        let m = model("network { input 8 conv kernel 2 stride 2 filters 3 activation relu output ones } data planted { samples 4 seed 2 }");
        assert_eq!(m.zero_filters(&[1.0, 2.0, 1e-12, -1e-12, 0.0, 0.5]), vec![1]);
        assert!(m.zero_filters(&[0.0; 6]).is_empty(), "a zero point is not one filter left out");
        assert!(m.figures_at(&[1.0, 2.0, 0.0, 0.0, 3.0, 1.0], &[], Some(1)).zero_filters == vec![1]);
    }

    #[test]
    fn a_figure_that_is_not_finite_is_absent() {
        let m = model("network { input 8 conv kernel 4 stride 4 activation exp output ones } data planted { samples 16 seed 2 }");
        let huge = vec![1e300; 4];
        let f = m.figures_at(&huge, &[], Some(1));
        assert_eq!((f.max_violation, f.training_loss, f.relative_violation), (None, None, None), "{f:?}");
    }
}
