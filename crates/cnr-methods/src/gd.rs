//! The non-convex baseline (`--baseline gd`): gradient descent on the training loss
//! `L(w, b) = (1/n) Σ_i (f(x_i; w, b) − y_i)²` from seeded random starts, the method the convex
//! relaxation is compared with.
//!
//! Each step goes along `−∇L` with a backtracking (Armijo) step size: a step is taken when it
//! lowers `L` by at least half of what the gradient promises, the next step starts at twice the
//! last one, and a refused step is halved. So no step size needs tuning across activations and
//! scales. `σ'` is a central difference of the activation's own evaluation, so every activation of
//! the language (built-in or defined) has a gradient.

use cnr_check::data::{generator, normals};
use cnr_check::Model;

/// The budget of the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GdBudget {
    /// Gradient steps per start.
    pub iterations: usize,
    /// Random starts; the one with the lowest loss is kept.
    pub restarts: usize,
}

impl Default for GdBudget {
    fn default() -> Self {
        GdBudget { iterations: 1_000, restarts: 3 }
    }
}

/// What a run of the baseline found.
#[derive(Clone, Debug, PartialEq)]
pub struct GdResult {
    /// The filters, `M·d`.
    pub w: Vec<f64>,
    /// The biases (empty without `bias`).
    pub b: Vec<f64>,
    /// The final loss.
    pub loss: f64,
    /// Steps taken, over all starts.
    pub iterations: usize,
    /// Whether the kept start stopped at a stationary point (or a loss of zero), not at the budget.
    pub converged: bool,
}

/// The bytes of the patch array gradient descent gathers (`n × K × d` numbers), for the memory
/// budget.
pub fn patch_bytes(model: &Model) -> u128 {
    8 * model.data.n as u128 * model.network.patches() as u128 * model.network.d() as u128
}

/// The patches of every sample, gathered once: `n × K × d`.
struct Patches {
    values: Vec<f64>,
    k: usize,
    d: usize,
}

fn gather(model: &Model) -> Patches {
    let (n, k, d) = (model.data.n, model.network.patches(), model.network.d());
    let mut values = vec![0.0; n * k * d];
    for i in 0..n {
        for p in 0..k {
            let at = (i * k + p) * d;
            model.geometry.gather(p, model.data.sample(i), &mut values[at..at + d]);
        }
    }
    Patches { values, k, d }
}

/// Runs the baseline on `model`'s data from starts drawn with `seed`.
pub fn gradient_descent(model: &Model, seed: u64, budget: GdBudget) -> GdResult {
    let patches = gather(model);
    let m = model.network.filters;
    let extras = model.network.extras();
    // A stream apart from the data's: the data's seed, with its bits turned.
    let mut rng = generator(seed ^ 0x9e37_79b9_7f4a_7c15);
    let scale = model.data.y.iter().map(|y| y * y).sum::<f64>() / model.data.n.max(1) as f64;
    let mut best: Option<GdResult> = None;
    let mut total = 0;
    for _ in 0..budget.restarts.max(1) {
        let mut theta = normals(&mut rng, m * patches.d);
        // Biases and the offset start at 0.
        theta.extend(std::iter::repeat_n(0.0, extras));
        let (loss, steps, converged) = descend(model, &patches, &mut theta, budget.iterations, scale, None);
        total += steps;
        if best.as_ref().is_none_or(|b| loss < b.loss) {
            let (w, b) = theta.split_at(m * patches.d);
            best = Some(GdResult { w: w.to_vec(), b: b.to_vec(), loss, iterations: 0, converged });
        }
        // A start that fits the data exactly cannot be bettered.
        if loss <= 1e-24 * scale.max(1e-300) {
            break;
        }
    }
    let mut out = best.expect("at least one start");
    out.iterations = total;
    out
}

/// Gradient descent on the training loss from the filters `w` and biases `b` (a relaxation's
/// point): the refinement of `--refine gd`. A step is taken only when it lowers the loss, so the
/// point found never fits worse than the one it started from. It stops at `deadline` too.
pub fn descend_from(
    model: &Model,
    w: &[f64],
    b: &[f64],
    iterations: usize,
    deadline: Option<std::time::Instant>,
) -> GdResult {
    let patches = gather(model);
    let scale = model.data.y.iter().map(|y| y * y).sum::<f64>() / model.data.n.max(1) as f64;
    let mut theta = [w, b].concat();
    let (loss, steps, converged) = descend(model, &patches, &mut theta, iterations, scale, deadline);
    let (w, b) = theta.split_at(w.len());
    GdResult { w: w.to_vec(), b: b.to_vec(), loss, iterations: steps, converged }
}

/// Descends from `theta` in place; returns the loss, the steps taken and whether it stopped
/// before the budget.
fn descend(
    model: &Model,
    p: &Patches,
    theta: &mut [f64],
    iterations: usize,
    scale: f64,
    deadline: Option<std::time::Instant>,
) -> (f64, usize, bool) {
    let mut grad = vec![0.0; theta.len()];
    let mut trial = vec![0.0; theta.len()];
    let mut loss = loss_and_gradient(model, p, theta, Some(&mut grad));
    let mut step = 1.0 / (1.0 + scale);
    for it in 0..iterations {
        // The caller's time runs out like the step budget does: the point so far, not converged.
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            return (loss, it, false);
        }
        let g2: f64 = grad.iter().map(|g| g * g).sum();
        if loss <= 1e-24 * scale.max(1e-300) || g2 <= 1e-28 * (1.0 + loss) {
            return (loss, it, true);
        }
        let mut accepted = false;
        for _ in 0..60 {
            trial.iter_mut().zip(theta.iter().zip(&grad)).for_each(|(t, (x, g))| *t = x - step * g);
            let next = loss_and_gradient(model, p, &trial, None);
            if next <= loss - 0.5 * step * g2 {
                theta.copy_from_slice(&trial);
                loss = loss_and_gradient(model, p, theta, Some(&mut grad));
                step *= 2.0;
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            // No step lowers the loss: as stationary as doubles can tell.
            return (loss, it, true);
        }
    }
    (loss, iterations, false)
}

/// `L(θ)`, and its gradient into `grad` when asked.
fn loss_and_gradient(model: &Model, p: &Patches, theta: &[f64], mut grad: Option<&mut Vec<f64>>) -> f64 {
    let (n, k, d) = (model.data.n, p.k, p.d);
    let m = model.network.filters;
    let (w, extras) = theta.split_at(m * d);
    let (b, offset) = model.network.split_extras(extras);
    let (biases, offset) = (b.len(), offset.unwrap_or(0.0));
    if let Some(g) = grad.as_deref_mut() {
        g.iter_mut().for_each(|x| *x = 0.0);
    }
    let sigma = |z: f64| model.activation.eval(z);
    let mut total = 0.0;
    let mut slopes = vec![0.0; m * k];
    for i in 0..n {
        let mut f = offset;
        for mm in 0..m {
            let wm = &w[mm * d..(mm + 1) * d];
            let bm = b.get(mm).copied().unwrap_or(0.0);
            for kk in 0..k {
                let u = model.u(mm, kk);
                if u == 0.0 {
                    slopes[mm * k + kk] = 0.0;
                    continue;
                }
                let x = &p.values[(i * k + kk) * d..(i * k + kk + 1) * d];
                let z = wm.iter().zip(x).map(|(a, c)| a * c).sum::<f64>() + bm;
                f += u * sigma(z);
                if grad.is_some() {
                    let h = 1e-6 * (1.0 + z.abs());
                    slopes[mm * k + kk] = u * (sigma(z + h) - sigma(z - h)) / (2.0 * h);
                }
            }
        }
        let r = f - model.data.y[i];
        total += r * r;
        if let Some(g) = grad.as_deref_mut() {
            let c = 2.0 * r / n as f64;
            if model.network.offset {
                g[m * d + biases] += c;
            }
            for mm in 0..m {
                for kk in 0..k {
                    let s = c * slopes[mm * k + kk];
                    if s == 0.0 {
                        continue;
                    }
                    let x = &p.values[(i * k + kk) * d..(i * k + kk + 1) * d];
                    g[mm * d..(mm + 1) * d].iter_mut().zip(x).for_each(|(gj, xj)| *gj += s * xj);
                    if model.network.bias {
                        g[m * d + mm] += s;
                    }
                }
            }
        }
    }
    total / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_model as model;

    #[test]
    fn the_gradient_matches_finite_differences_of_the_loss() {
        for (output, extras) in [("ones", 2), ("ones + offset", 3)] {
            gradient_matches(&format!("network {{ input 12 conv kernel 4 stride 2 filters 2 bias activation softplus output {output} }}\ndata planted {{ samples 9 seed 2 }}"), extras);
        }
    }

    fn gradient_matches(text: &str, extras: usize) {
        let m = model(text);
        let p = gather(&m);
        let theta: Vec<f64> = (0..2 * 4 + extras).map(|j| 0.3 * (j as f64 - 4.0) / 4.0).collect();
        let mut grad = vec![0.0; theta.len()];
        loss_and_gradient(&m, &p, &theta, Some(&mut grad));
        for j in 0..theta.len() {
            let h = 1e-6;
            let (mut up, mut down) = (theta.clone(), theta.clone());
            up[j] += h;
            down[j] -= h;
            let numeric =
                (loss_and_gradient(&m, &p, &up, None) - loss_and_gradient(&m, &p, &down, None)) / (2.0 * h);
            assert!(
                (numeric - grad[j]).abs() < 1e-5 * (1.0 + numeric.abs()),
                "coordinate {j}: {numeric} vs {}",
                grad[j]
            );
        }
    }

    #[test]
    fn descent_from_random_starts_recovers_a_softplus_filter() {
        let m = model("network { input 32 conv kernel 8 stride 8 activation softplus output ones }\ndata planted { samples 64 seed 5 }");
        let found = gradient_descent(&m, 5, GdBudget { iterations: 3_000, restarts: 3 });
        let fit = m.evaluate(&found.w, &found.b);
        assert!(found.loss < 1e-12, "loss {}", found.loss);
        assert!(fit.recovery_error.unwrap() < 1e-5, "{fit:?}");
    }
}
