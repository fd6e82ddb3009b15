//! The penalty's lower threshold: the smallest weight `λ` for which the penalised relaxation is
//! bounded (docs/relaxation.md, "The penalty's weight"), as a cone program of its own.
//!
//! Along a direction `v` of `θ = (w, b, c)` the penalised objective `⟨g, θ⟩ − λ‖ξ‖` changes at
//! the rate `⟨g, v⟩ − λ ‖(f_i^∞(v))⁺‖`, with `f_i^∞` the growth of sample `i`'s output along `v`
//! (for ReLU, `Σ_k u_k relu(⟨x_ik, v_w⟩ + v_b) + v_c`). The program is bounded exactly when no
//! direction gains, that is when `g` lies in `λ` times the subdifferential at 0 of
//! `‖(f^∞(v))⁺‖`: `g = Σ_i Σ_k u_k A_ik (x_ik, 1) ⊕ Σ_i B_i`, with per sample a weight
//! `B_i ≥ 0`, per unit `A_ik ∈ [s₋ B_i, s₊ B_i]` (`s₋`, `s₊` the activation's slopes at −∞ and
//! +∞), and `‖B‖_* ≤ λ` in the penalty's dual norm (`max_i B_i` for `l1`, `‖B‖₂` for `l2`).
//! Minimising `λ` over that set is a linear program (`l1`) or a second-order cone program (`l2`).

use cnr_check::{Model, Norm};
use cnr_ir::{Cone, ConeProgram, CscMatrix, Sense};

/// Slopes beyond this are the growth of an activation that grows faster than linearly: its
/// recession is infinite, and the bound on `A` on that side is dropped.
const STEEP: f64 = 1e6;

/// The program `min λ` described in the module's documentation, for the model's anchor `anchor`
/// and the penalty's norm; its optimum is the threshold. Columns: `λ`, then `B` (one per sample),
/// then `A` (one per sample and unit, units filter-major); `None` without a penalty.
pub fn lower_penalty_threshold(model: &Model, anchor: &[f64]) -> Option<ConeProgram> {
    let (norm, _) = model.relax.penalty?;
    let net = &model.network;
    let (n, d, mm) = (model.data.n, net.d(), net.filters);
    let units = model.units();
    let (b0, a0) = (1, 1 + n);
    let columns = a0 + n * units.len();
    let a_col = |i: usize, unit: usize| a0 + i * units.len() + unit;
    let slope = |z: f64| model.activation.value_and_slope(z).1;
    let (low, high) = (slope(-1e8), slope(1e8));
    let finite = |s: f64| s.is_finite() && s.abs() < STEEP;

    let mut triplets: Vec<(usize, usize, f64)> = Vec::new();
    let mut rhs: Vec<f64> = Vec::new();
    // The anchor's equalities, `s = g − Σ … = 0`: one row per filter coordinate, bias and offset.
    let bias_rows = if net.bias { mm } else { 0 };
    let equalities = mm * d + bias_rows + usize::from(net.offset);
    rhs.extend_from_slice(&anchor[..equalities]);
    // Column of every unit's `A_ik` in the anchor's rows: `u x_ik` for `w_m`, `u` for `b_m`.
    let mut patch = vec![0.0; d];
    for i in 0..n {
        for (unit, &(m, k)) in units.iter().enumerate() {
            model.geometry.gather(k, model.data.sample(i), &mut patch);
            let (col, u) = (a_col(i, unit), model.u(m, k));
            for (j, &x) in patch.iter().enumerate() {
                if x != 0.0 {
                    triplets.push((m * d + j, col, u * x));
                }
            }
            if net.bias {
                triplets.push((mm * d + m, col, u));
            }
        }
    }
    if net.offset {
        (0..n).for_each(|i| triplets.push((mm * d + bias_rows, b0 + i, 1.0)));
    }
    let mut row = equalities;
    let mut cones = vec![Cone::Zero(equalities)];
    // `A − s₋ B ≥ 0` and `s₊ B − A ≥ 0` where the slopes are finite; `B ≥ 0`.
    let mut inequalities = 0;
    for i in 0..n {
        for unit in 0..units.len() {
            for (side, s) in [(1.0, low), (-1.0, high)] {
                if finite(s) {
                    // s = side·(A − s·B) ≥ 0, written as b − Ax with b = 0.
                    triplets.push((row, a_col(i, unit), -side));
                    if s != 0.0 {
                        triplets.push((row, b0 + i, side * s));
                    }
                    rhs.push(0.0);
                    row += 1;
                    inequalities += 1;
                }
            }
        }
        triplets.push((row, b0 + i, -1.0));
        rhs.push(0.0);
        row += 1;
        inequalities += 1;
    }
    match norm {
        // `λ − B_i ≥ 0` for every sample.
        Norm::L1 => {
            for i in 0..n {
                triplets.push((row, 0, -1.0));
                triplets.push((row, b0 + i, 1.0));
                rhs.push(0.0);
                row += 1;
            }
            cones.push(Cone::Nonneg(inequalities + n));
        }
        // `(λ, B) ∈ SOC`.
        Norm::L2 => {
            cones.push(Cone::Nonneg(inequalities));
            triplets.push((row, 0, -1.0));
            for i in 0..n {
                triplets.push((row + 1 + i, b0 + i, -1.0));
            }
            rhs.extend(std::iter::repeat_n(0.0, n + 1));
            row += n + 1;
            cones.push(Cone::SecondOrder(n + 1));
        }
        Norm::Linf => return None,
    }
    let mut program = ConeProgram::new(format!("{}_penalty_threshold", model.name), columns, Sense::Minimize);
    program.q[0] = 1.0;
    program.a = CscMatrix::from_triplets(row, columns, &triplets);
    program.b = rhs;
    program.cones = cones;
    Some(program)
}
