//! How well filters fit the data: violation, loss and the recovery error up to the network's
//! symmetries (filter order by an optimal assignment, a sign per filter for even activations).

use crate::Model;

/// How well filters `(w, b)` fit the model's data, computed from the model itself, never from a
/// solver.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// `max_i (f(x_i; w) − y_i)`: positive when a sample's label limit is exceeded.
    pub max_violation: f64,
    /// `(1/n) Σ_i (f(x_i; w) − y_i)²`.
    pub training_loss: f64,
    /// `‖w − w*‖ / ‖w*‖` when the planted filter is known and not zero, minimised over the
    /// symmetries of the network ([`Fit::symmetries`]).
    pub recovery_error: Option<f64>,
    /// `‖w − w*‖` under the same symmetries, when the planted filter is known (also when it is zero,
    /// where the relative error is undefined).
    pub recovery_distance: Option<f64>,
    /// The symmetries the recovery error was minimised over: `filter order` when some filters have
    /// the same output weights (they can come back in any order among themselves), `sign of each
    /// filter` for an even activation (`w_m` and `−w_m` fit alike).
    pub symmetries: Vec<&'static str>,
}

/// The symmetry names of [`Fit::symmetries`].
pub const FILTER_ORDER: &str = "filter order";
/// See [`Fit::symmetries`].
pub const FILTER_SIGN: &str = "sign of each filter";

impl Model {
    /// Evaluates filters `w` (`M·d`) and `b` — the biases (`M`, or none), then the offset (one, or
    /// none): [`Network::extras`] numbers — on the data.
    pub fn evaluate(&self, w: &[f64], b: &[f64]) -> Fit {
        self.fit_of(&self.residuals(w, b, None).values, w)
    }

    /// The fit from the residuals `f(x_i; w) − y_i` of every sample (see [`Model::residuals`]).
    pub fn fit_of(&self, residuals: &[f64], w: &[f64]) -> Fit {
        let max_violation = residuals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let loss = residuals.iter().map(|r| r * r).sum::<f64>();
        let (distance, symmetries) = match &self.data.planted {
            Some(star) => {
                let (d, s) = self.distance_to_planted(w, star);
                (Some(d), s)
            }
            None => (None, Vec::new()),
        };
        let norm = self.data.planted.as_ref().map_or(0.0, |s| cnr_numerics::norm(s));
        Fit {
            max_violation,
            training_loss: loss / residuals.len().max(1) as f64,
            recovery_error: distance.filter(|_| norm > 0.0).map(|d| d / norm),
            recovery_distance: distance,
            symmetries,
        }
    }

    /// `min ‖w − w*‖` over the network's symmetries, and the symmetries used. Filters whose rows of
    /// output weights are equal may be matched in any order (an optimal assignment, so `M = 8`
    /// costs 8³ steps, not 8!); with an even activation each filter may be negated.
    fn distance_to_planted(&self, w: &[f64], star: &[f64]) -> (f64, Vec<&'static str>) {
        let (d, mm, kk) = (self.network.d(), self.network.filters, self.network.patches());
        let even = self.activation.is_even();
        let cost = |m: usize, j: usize| {
            let (found, planted) = (&w[j * d..(j + 1) * d], &star[m * d..(m + 1) * d]);
            let sq = |sign: f64| found.iter().zip(planted).map(|(a, s)| (sign * a - s).powi(2)).sum::<f64>();
            if even {
                sq(1.0).min(sq(-1.0))
            } else {
                sq(1.0)
            }
        };
        // Filters with equal output weights form classes; only within a class may they swap.
        let row = |m: usize| &self.output[m * kk..(m + 1) * kk];
        let mut classes: Vec<Vec<usize>> = Vec::new();
        for m in 0..mm {
            match classes.iter_mut().find(|c| row(c[0]) == row(m)) {
                Some(c) => c.push(m),
                None => classes.push(vec![m]),
            }
        }
        let mut total = 0.0;
        for class in &classes {
            let matrix: Vec<Vec<f64>> =
                class.iter().map(|&m| class.iter().map(|&j| cost(m, j)).collect()).collect();
            let matched = if class.len() == 1 { vec![0] } else { cnr_numerics::assignment::assign(&matrix) };
            total += matched.iter().enumerate().map(|(r, &c)| matrix[r][c]).sum::<f64>();
        }
        let mut symmetries = Vec::new();
        if classes.iter().any(|c| c.len() > 1) {
            symmetries.push(FILTER_ORDER);
        }
        if even {
            symmetries.push(FILTER_SIGN);
        }
        (total.sqrt(), symmetries)
    }
}
