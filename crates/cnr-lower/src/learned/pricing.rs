//! Arrangements generated from the dual (docs/learned.md, "Generated arrangements"). At a
//! solution over some patterns, the fit's residual `v = y − f` is the dual point: a pattern `D`
//! not in the program lowers the objective exactly when its price `‖(D X̃)ᵀ v‖ = ‖Σ_{i,k: D[i,k]}
//! v_i x̃_ik‖` exceeds the weight decay `β` (the group's optimality condition). The patterns worth
//! adding are found by ascent on the sphere: from a filter `u`, its pattern's sum `s(u)` (with `v`
//! or `−v`), then `u ← s(u)/‖s(u)‖`, which never lowers `⟨u, s(u)⟩ = Σ_i ±v_i Σ_k (⟨x̃_ik, u⟩)_+`
//! (the exact form's price of `u`) and stops at a filter whose pattern's sum points along it.

use super::{learn_of, patch_len, patch_matrix, LearnedLayout, PatternSet};
use cnr_check::learned::Form;
use cnr_check::Model;

/// How many of `arrangements generated P`'s patterns are sampled before any is generated: a
/// quarter, at least one.
pub fn first_sampled(count: usize) -> usize {
    count.div_ceil(4).max(1)
}

/// Steps of one ascent at most (it stops earlier when its pattern repeats; measured on the digits:
/// most stop within 10).
pub const ASCENT_STEPS: usize = 50;

/// The fit's residual `y_i − (Σ_j Σ_k D_j[i,k] ⟨x̃_ik, u_j⟩ + offset)` at the point `x`, from its
/// groups (`u_j = c_j`, or `c_j − c'_j` in the exact form), over the patch matrix `patches`.
fn residual(model: &Model, layout: &LearnedLayout, set: &PatternSet, x: &[f64], patches: &[f64]) -> Vec<f64> {
    let exact = learn_of(model).form == Form::Exact;
    let (kk, h, p) = (model.network.patches(), layout.h, layout.arrangements);
    let u: Vec<Vec<f64>> = (0..p)
        .map(|j| {
            let c = &x[layout.group(j)];
            if exact {
                c.iter().zip(&x[layout.group(p + j)]).map(|(a, b)| a - b).collect()
            } else {
                c.to_vec()
            }
        })
        .collect();
    let offset = layout.offset.map_or(0.0, |col| x[col]);
    (0..model.data.n)
        .map(|i| {
            let mut f = offset;
            for k in 0..kk {
                let row = i * kk + k;
                let patch = &patches[row * h..(row + 1) * h];
                for (j, uj) in u.iter().enumerate() {
                    if set.active(j, row) {
                        f += cnr_numerics::dot(patch, uj);
                    }
                }
            }
            model.data.y[i] - f
        })
        .collect()
}

/// A filter found by the ascent and its pattern's price `‖(D X̃)ᵀ v‖`.
#[derive(Clone, Debug, PartialEq)]
pub struct Priced {
    /// The price.
    pub price: f64,
    /// A filter whose pattern has it (`h` numbers).
    pub filter: Vec<f64>,
}

/// The patch matrix once and the residual: what every ascent reads.
pub struct Pricing {
    patches: Vec<f64>,
    v: Vec<f64>,
    kk: usize,
    h: usize,
}

impl Pricing {
    /// The pricing of `model`'s patterns at the fit's residual at the point `x` of `layout` over
    /// `set`: the patch matrix built once, for the residual and every ascent.
    pub fn at(model: &Model, layout: &LearnedLayout, set: &PatternSet, x: &[f64]) -> Pricing {
        let patches = patch_matrix(model);
        let v = residual(model, layout, set, x, &patches);
        Pricing { patches, v, kk: model.network.patches(), h: patch_len(model) }
    }

    /// `Σ_{i,k: ⟨x̃_ik, u⟩ ≥ 0, x̃_ik ≠ 0} sign·v_i x̃_ik` into `out`, and whether the pattern is
    /// `pattern` (updated to `u`'s).
    fn pattern_sum(&self, u: &[f64], sign: f64, pattern: &mut Vec<bool>, out: &mut [f64]) -> bool {
        out.iter_mut().for_each(|o| *o = 0.0);
        let mut same = pattern.len() == self.patches.len() / self.h;
        pattern.resize(self.patches.len() / self.h, false);
        for (row, x) in self.patches.chunks_exact(self.h).enumerate() {
            let on = cnr_numerics::dot(x, u) >= 0.0 && x.iter().any(|&a| a != 0.0);
            same &= pattern[row] == on;
            pattern[row] = on;
            if on {
                let w = sign * self.v[row / self.kk];
                out.iter_mut().zip(x).for_each(|(o, a)| *o += w * a);
            }
        }
        same
    }

    /// The price of `u`'s pattern, `‖(D X̃)ᵀ v‖`.
    pub fn price_of(&self, u: &[f64]) -> f64 {
        let mut s = vec![0.0; self.h];
        self.pattern_sum(u, 1.0, &mut Vec::new(), &mut s);
        cnr_numerics::norm(&s)
    }

    /// The ascent from `start` with `v` and with `−v`: the better end of the two.
    pub fn ascend(&self, start: &[f64]) -> Priced {
        let mut best = Priced { price: -1.0, filter: start.to_vec() };
        let (mut s, mut pattern) = (vec![0.0; self.h], Vec::new());
        for sign in [1.0, -1.0] {
            let mut u = start.to_vec();
            pattern.clear();
            for _ in 0..ASCENT_STEPS {
                let same = self.pattern_sum(&u, sign, &mut pattern, &mut s);
                let norm = cnr_numerics::norm(&s);
                if norm > best.price {
                    best = Priced { price: norm, filter: u.clone() };
                }
                if same || norm == 0.0 {
                    break;
                }
                u.iter_mut().zip(&s).for_each(|(a, b)| *a = b / norm);
            }
        }
        best
    }
}
