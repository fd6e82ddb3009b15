//! Where a curve of success rates crosses a level (10%, 50%, 90%), with an interval: what a
//! sentence about "the transition" should quote instead of a grid point.
//!
//! The rate between two neighbouring points of a curve is taken to be linear in x (in log x on a
//! log axis). The **crossing** is where that broken line first reaches the level. Its **interval**
//! is the stretch of x where the level lies within the curve's band of exact (Clopper–Pearson)
//! 95% binomial intervals, joined the same way: from where the band's upper edge first reaches the
//! level to where its lower edge does. A transition that falls between two grid points with
//! nothing in between is located only by that linear assumption — which is what refining the
//! axis there (`--refine-axis`) removes.

/// The levels `crossings.csv` reports.
pub const LEVELS: [f64; 3] = [0.1, 0.5, 0.9];

/// One point of a curve: its x and its trials.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurvePoint {
    /// Where along x.
    pub x: f64,
    /// Trials that succeeded.
    pub successes: usize,
    /// Trials.
    pub trials: usize,
}

/// Where a broken line first reaches a level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Place {
    /// Already at the first point, this x: the crossing lies at or below the grid.
    AtOrBelow(f64),
    /// Between two points, here.
    At(f64),
    /// Not by the last point, this x: the crossing lies above the grid.
    Above(f64),
}

impl Place {
    /// The x of a crossing inside the grid.
    pub fn inside(self) -> Option<f64> {
        match self {
            Place::At(x) => Some(x),
            _ => None,
        }
    }

    /// The place as `crossings.csv` writes it: a number inside the grid, `<=X` at or below its
    /// first point, `>X` beyond its last.
    pub fn text(self) -> String {
        match self {
            Place::At(x) => format!("{}", round(x)),
            Place::AtOrBelow(x) => format!("<={}", round(x)),
            Place::Above(x) => format!(">{}", round(x)),
        }
    }
}

/// Four significant digits: the crossings' precision is far coarser.
fn round(x: f64) -> f64 {
    significant(x, 4)
}

/// `x` to `digits` significant digits (crossings as written, the values a refinement adds).
pub(crate) fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// A curve's crossing of one level, and its interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Crossing {
    /// The level (0.5 for the 50% crossing).
    pub level: f64,
    /// Where the rates first reach it.
    pub estimate: Place,
    /// Where the band's upper edge first reaches it (the interval's low end).
    pub low: Place,
    /// Where the band's lower edge first reaches it (the interval's high end).
    pub high: Place,
}

/// The crossing of `level` by the curve of `points` (sorted by x, not empty), interpolating in
/// log10 x when `log_x`.
pub fn crossing(points: &[CurvePoint], level: f64, log_x: bool) -> Crossing {
    let xs: Vec<f64> = points.iter().map(|p| p.x).collect();
    let line = |value: &dyn Fn(&CurvePoint) -> f64| -> Place {
        let ys: Vec<f64> = points.iter().map(value).collect();
        first_reach(&xs, &ys, level, log_x)
    };
    let rate = |p: &CurvePoint| if p.trials == 0 { 0.0 } else { p.successes as f64 / p.trials as f64 };
    Crossing {
        level,
        estimate: line(&rate),
        low: line(&|p| clopper_pearson(p.successes, p.trials).1),
        high: line(&|p| clopper_pearson(p.successes, p.trials).0),
    }
}

/// Where the broken line through `(xs, ys)` first reaches `level`.
fn first_reach(xs: &[f64], ys: &[f64], level: f64, log_x: bool) -> Place {
    if ys[0] >= level {
        return Place::AtOrBelow(xs[0]);
    }
    let to = |x: f64| if log_x { x.log10() } else { x };
    let from = |t: f64| if log_x { 10f64.powf(t) } else { t };
    for j in 1..xs.len() {
        if ys[j] >= level {
            let t = (level - ys[j - 1]) / (ys[j] - ys[j - 1]);
            return Place::At(from(to(xs[j - 1]) + t * (to(xs[j]) - to(xs[j - 1]))));
        }
    }
    Place::Above(xs[xs.len() - 1])
}

/// The exact (Clopper–Pearson) 95% interval of a rate of `successes` in `trials`: the rates `p`
/// under which seeing at least (at most) `successes` has probability 2.5% or more.
pub fn clopper_pearson(successes: usize, trials: usize) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let tail = 0.025;
    let low = if successes == 0 {
        0.0
    } else {
        // P(X ≥ k | p) grows with p: the p where it is 2.5%.
        bisect(|p| 1.0 - binomial_cdf(successes - 1, trials, p) - tail)
    };
    let high = if successes == trials {
        1.0
    } else {
        // P(X ≤ k | p) falls with p: the p where it is 2.5%.
        bisect(|p| tail - binomial_cdf(successes, trials, p))
    };
    (low, high)
}

/// The root in (0, 1) of an increasing `f`, to 1e-12.
fn bisect(f: impl Fn(f64) -> f64) -> f64 {
    let (mut a, mut b) = (0.0f64, 1.0f64);
    while b - a > 1e-12 {
        let m = 0.5 * (a + b);
        if f(m) < 0.0 {
            a = m;
        } else {
            b = m;
        }
    }
    0.5 * (a + b)
}

/// `P(X ≤ k)` for `X ~ Binomial(n, p)`, summed in logs (no underflow at thousands of trials).
fn binomial_cdf(k: usize, n: usize, p: f64) -> f64 {
    if p <= 0.0 {
        return 1.0;
    }
    if p >= 1.0 {
        return if k >= n { 1.0 } else { 0.0 };
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    // log C(n, j) by the recurrence C(n, j+1) = C(n, j)·(n − j)/(j + 1).
    let mut log_choose = 0.0;
    let mut terms = Vec::with_capacity(k.min(n) + 1);
    for j in 0..=k.min(n) {
        if j > 0 {
            log_choose += ((n - j + 1) as f64).ln() - (j as f64).ln();
        }
        terms.push(log_choose + j as f64 * lp + (n - j) as f64 * lq);
    }
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()).min(0.0).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(counts: &[(f64, usize)], trials: usize) -> Vec<CurvePoint> {
        counts.iter().map(|&(x, successes)| CurvePoint { x, successes, trials }).collect()
    }

    #[test]
    fn the_exact_interval_matches_known_values() {
        // 0 of 10: [0, 1 − 0.025^(1/10)]; 5 of 10: [0.1871, 0.8129] (the standard table).
        let (low, high) = clopper_pearson(0, 10);
        assert_eq!(low, 0.0);
        assert!((high - (1.0 - 0.025f64.powf(0.1))).abs() < 1e-9, "{high}");
        let (low, high) = clopper_pearson(5, 10);
        assert!((low - 0.1871).abs() < 1e-4 && (high - 0.8129).abs() < 1e-4, "{low} {high}");
        // 63 of 200 (a cell quoted from a rerun): about [0.25, 0.38].
        let (low, high) = clopper_pearson(63, 200);
        assert!((0.24..0.26).contains(&low) && (0.37..0.39).contains(&high), "{low} {high}");
        assert_eq!(clopper_pearson(7, 7).1, 1.0);
    }

    #[test]
    fn a_crossing_is_interpolated_and_its_interval_contains_it() {
        // 10% at 2, 30% at 3, 70% at 4, 100% at 5: 50% halfway between 3 and 4.
        let curve = points(&[(2.0, 10), (3.0, 30), (4.0, 70), (5.0, 100)], 100);
        let c = crossing(&curve, 0.5, false);
        assert_eq!(c.estimate, Place::At(3.5));
        let (low, high) = (c.low.inside().expect("inside"), c.high.inside().expect("inside"));
        assert!(3.0 < low && low < 3.5 && 3.5 < high && high < 4.0, "{c:?}");
        // Fewer trials, a wider interval.
        let few = crossing(&points(&[(2.0, 1), (3.0, 3), (4.0, 7), (5.0, 10)], 10), 0.5, false);
        assert!(few.low.inside().unwrap() < low && few.high.inside().unwrap() > high, "{few:?}");
        // On a log axis the halfway point is the geometric mean.
        let log = crossing(&points(&[(10.0, 0), (1000.0, 100)], 100), 0.5, true);
        assert!((log.estimate.inside().unwrap() - 100.0).abs() < 1e-9, "{log:?}");
    }

    #[test]
    fn a_crossing_outside_the_grid_says_on_which_side() {
        let curve = points(&[(1.0, 60), (2.0, 90)], 100);
        assert_eq!(crossing(&curve, 0.5, false).estimate, Place::AtOrBelow(1.0));
        assert_eq!(crossing(&curve, 0.5, false).estimate.text(), "<=1");
        let c = crossing(&curve, 0.95, false);
        assert_eq!(c.estimate, Place::Above(2.0));
        assert_eq!(c.estimate.text(), ">2");
        // The band's upper edge at 2 (90 of 100: up to 95.1%) reaches 95%, inside the grid.
        assert!(c.low.inside().is_some(), "{c:?}");
    }

    #[test]
    fn the_first_crossing_counts_when_a_curve_dips_back() {
        let curve = points(&[(1.0, 20), (2.0, 60), (3.0, 40), (4.0, 90)], 100);
        assert_eq!(crossing(&curve, 0.5, false).estimate, Place::At(1.75));
    }
}
