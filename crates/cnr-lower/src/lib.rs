//! Lowering: from a checked [`Model`] to a [`ConeProgram`], the relaxation of DESIGN.md §2:
//!
//! ```text
//! maximise    ⟨g, w⟩ − λ‖ξ‖                      (λ‖ξ‖ only with a penalty)
//! subject to  Σ_{m,k} u_mk t_imk ≤ y_i + ξ_i,  ξ ≥ 0       for every sample i
//!             t_imk ≥ σ(⟨w_m, x_ik⟩ + b_m)                  (the activation's cone form)
//!             ‖w‖ ≤ R                                        (optional bound)
//! ```
//!
//! Columns are laid out as `w` (filter-major), `b`, `ξ`, `r` (the epigraph of `‖ξ‖₂`), then `t`: per
//! sample, filter and patch, the activation's epigraph variables in the order its cone form creates
//! them. Rows are stacked by cone kind — zero, non-negative, second-order, exponential, power — and
//! inside a kind by model element: the sample constraints, `ξ ≥ 0`, the bound, the activation.
//!
//! ```
//! use cnr_check::{check, MemoryFiles, Overrides};
//! let file = cnr_syntax::parse(
//!     "network { input 8 conv kernel 4 stride 4 activation relu output ones }
//!      data planted { samples 3 seed 1 }",
//! ).unwrap();
//! let model = check(&file, "tiny", &MemoryFiles::default(), &Overrides::default()).unwrap();
//! let program = cnr_lower::lower(&model);
//! program.validate().unwrap();
//! // w (4) and one t per sample and patch (3 · 2).
//! assert_eq!(program.n, 4 + 6);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod activations;
mod anchor;
pub mod emit;
mod stack;
mod stamp;

pub use anchor::{anchor, top_eigenvector};

use activations::{lower_activation, ActivationRows};
use cnr_check::{Model, Norm};
use cnr_ir::{Block, Cone, ConeProgram, RowBuilder, Sense};
use emit::{Columns, Lin, RowGroup, Section};
use stack::RowSource;
use stamp::{Items, Stamped};

/// Lowers a checked model to its relaxation.
pub fn lower(model: &Model) -> ConeProgram {
    lower_with_threads(model, None)
}

/// [`lower`], filling `A` with the given number of threads (`None`: as many as pay off).
fn lower_with_threads(model: &Model, threads: Option<usize>) -> ConeProgram {
    let net = &model.network;
    let (d, kk, mm, n) = (net.d(), net.patches(), net.filters, model.data.n);
    let units: Vec<(usize, usize)> =
        (0..mm).flat_map(|m| (0..kk).map(move |k| (m, k))).filter(|&(m, k)| model.u(m, k) != 0.0).collect();
    let item_axes: Vec<(&'static str, usize)> = if units.len() == mm * kk {
        vec![("sample", n), ("filter", mm), ("patch", kk)]
    } else {
        vec![("sample", n), ("unit", units.len())]
    };

    // Columns.
    let mut var_blocks = vec![Block::array("w", 0, &[("filter", mm), ("coordinate", d)], 1)];
    let mut next = mm * d;
    let bias0 = next;
    if net.bias {
        var_blocks.push(Block::vector("b", next, "filter", mm));
        next += mm;
    }
    let xi0 = next;
    if model.relax.penalty.is_some() {
        var_blocks.push(Block::vector("ξ", next, "sample", n));
        next += n;
    }
    let r_col = next;
    if matches!(model.relax.penalty, Some((Norm::L2, _))) {
        var_blocks.push(Block::array("r", next, &[], 1));
        next += 1;
    }
    let t0 = next;
    let per_item = aux_per_item(model);
    if per_item > 0 {
        var_blocks.push(Block::array("t", t0, &item_axes, per_item));
    }
    let ncols = t0 + per_item * n * units.len();

    // The activation, lowered once on a symbolic `z`: its rows are stamped out item by item straight
    // into `A` when the rows are stacked (see `stamp`), and its bound `t` feeds the sample rows.
    let template = activations::template(&model.activation.expr);
    debug_assert_eq!(template.width, per_item);
    let items = Items::new(model, units, net.bias.then_some(bias0), t0, template.width);
    let unit_u: Vec<f64> = items.units.iter().map(|&(m, k)| model.u(m, k)).collect();
    let mut samples = RowGroup::new(Section::Nonneg, "sample: Σ u·t ≤ y + ξ", vec![("sample", n)]);
    // A sample row has `ξ_i` and the terms of every unit's `t`, at most `t_len` each: the buffer is
    // sized once for all rows instead of growing by doubling.
    let z_max = d + usize::from(net.bias);
    let t_len = template.t.terms.len() + template.t.z.len() * z_max;
    samples.rows = RowBuilder::with_capacity(n, n * (1 + items.units.len() * t_len));
    let all_columns = 0..ncols;
    let (mut z, mut t, mut row) = (Vec::new(), Lin::default(), Lin::default());
    for i in 0..n {
        row.terms.clear();
        row.constant = model.data.y[i];
        if model.relax.penalty.is_some() {
            row.terms.push((xi0 + i, 1.0));
        }
        for (u, &weight) in unit_u.iter().enumerate() {
            let item = i * unit_u.len() + u;
            // `z` is only needed when `t` depends on it (not for relu, whose `t` is a column).
            let first = if template.t.z.is_empty() {
                t0 + item * template.width
            } else {
                items.z_into(item, &all_columns, &mut z)
            };
            template.t_into(&z, first, &mut t);
            row = row.add_scaled(-weight, &t);
        }
        samples.push(&row);
    }

    let mut groups = vec![samples];
    if let Some((norm, _)) = model.relax.penalty {
        let mut nonneg = RowGroup::new(Section::Nonneg, "ξ ≥ 0", vec![("sample", n)]);
        for i in 0..n {
            nonneg.push(&Lin::var(xi0 + i));
        }
        groups.push(nonneg);
        if norm == Norm::L2 {
            let mut soc = RowGroup::new(Section::Soc, "r ≥ ‖ξ‖₂", vec![]);
            let lins: Vec<Lin> =
                std::iter::once(Lin::var(r_col)).chain((0..n).map(|i| Lin::var(xi0 + i))).collect();
            soc.push_cone(Cone::SecondOrder(n + 1), &lins);
            groups.push(soc);
        }
    }
    if let Some((norm, radius)) = model.relax.bound {
        match norm {
            Norm::L2 => {
                let mut soc = RowGroup::new(Section::Soc, format!("‖w‖₂ ≤ {radius}"), vec![]);
                let lins: Vec<Lin> =
                    std::iter::once(Lin::constant(radius)).chain((0..mm * d).map(Lin::var)).collect();
                soc.push_cone(Cone::SecondOrder(mm * d + 1), &lins);
                groups.push(soc);
            }
            _ => {
                let mut rows = RowGroup::new(
                    Section::Nonneg,
                    format!("|w| ≤ {radius}"),
                    vec![("filter", mm), ("coordinate", d)],
                );
                for j in 0..mm * d {
                    rows.push(&Lin::constant(radius).minus(&Lin::var(j)));
                    rows.push(&Lin::constant(radius).add_scaled(1.0, &Lin::var(j)));
                }
                groups.push(rows);
            }
        }
    }
    // The activation's groups: their rows are stamped (`Some`), the others' are in the group.
    let mut parts: Vec<(RowGroup, Option<Stamped>)> = groups.into_iter().map(|g| (g, None)).collect();
    let act_groups = ActivationRows::new(&model.activation.name, item_axes).groups;
    for (mut g, (rows, cones)) in act_groups.into_iter().zip(&template.groups) {
        if items.len() > 0 && !rows.is_empty() {
            g.cones = cones.repeat(items.len());
            parts.push((g, Some(Stamped { items: &items, rows })));
        }
    }
    // A stable sort keeps the model order inside each cone kind.
    parts.sort_by_key(|(g, _)| g.section);

    let mut program = ConeProgram::new(model.name.clone(), ncols, Sense::Maximize);
    // The model maximises ⟨g, w⟩ − λ‖ξ‖; the IR stores the minimisation of −⟨g, w⟩ + λ‖ξ‖.
    for (j, gj) in anchor(model).into_iter().enumerate() {
        program.q[j] = -gj;
    }
    match model.relax.penalty {
        Some((Norm::L2, weight)) => program.q[r_col] = weight,
        Some((_, weight)) => program.q[xi0..xi0 + n].iter_mut().for_each(|q| *q = weight),
        None => {}
    }
    program.var_blocks = var_blocks;
    let mut start = 0;
    let mut sources: Vec<&dyn RowSource> = Vec::with_capacity(parts.len());
    for (g, stamped) in &parts {
        let source: &dyn RowSource = match stamped {
            Some(s) => s,
            None => &g.rows,
        };
        let rows = source.rows();
        program.row_blocks.push(g.block_of(start, rows));
        start += rows;
        match g.section {
            Section::Zero => push_linear(&mut program.cones, Cone::Zero(rows)),
            Section::Nonneg => push_linear(&mut program.cones, Cone::Nonneg(rows)),
            _ => program.cones.extend_from_slice(&g.cones),
        }
        sources.push(source);
    }
    let (a, b) = stack::stack(&sources, ncols, threads);
    program.a = a;
    program.b = b;
    program
}

/// Appends a zero or non-negative cone, merging it with the previous one of the same kind.
fn push_linear(cones: &mut Vec<Cone>, cone: Cone) {
    match (cones.last_mut(), cone) {
        (Some(Cone::Zero(a)), Cone::Zero(b)) | (Some(Cone::Nonneg(a)), Cone::Nonneg(b)) => *a += b,
        _ => cones.push(cone),
    }
}

/// How many columns the activation's cone form takes per sample, filter and patch: lowering it once
/// on a stand-in `z` and counting.
pub fn aux_per_item(model: &Model) -> usize {
    let mut cols = Columns::starting_at(1);
    let mut rows = ActivationRows::new("", vec![]);
    lower_activation(&model.activation.expr, &Lin::var(0), &mut cols, &mut rows);
    cols.next() - 1
}

/// The filters `w` (`M·d`) and biases `b` (`M`, empty without bias) of a solution `x`.
pub fn filters(program: &ConeProgram, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let take = |name: &str| program.var_block(name).map_or(Vec::new(), |b| x[b.start..b.end()].to_vec());
    (take("w"), take("b"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stamped rows are counted and written in two passes split over threads in different ways
    /// (rows to count, columns to write); the program must not depend on how. The model has what
    /// changes the rows' pattern: two filters, a bias, padding (patches of different lengths),
    /// second-order cones in the activation, a penalty and a bound.
    #[test]
    fn programs_do_not_depend_on_threads() {
        let file = cnr_syntax::parse(
            "network { input 6 x 6 conv kernel 3 x 3 stride 2 x 2 padding 1 filters 2 bias
                       activation f(z) = 0.5*z + huber(z, 1.0) output ones }
             data planted { samples 40 seed 5 }
             relax { penalty l2 0.1 bound linf 2 }",
        )
        .expect("the test model parses");
        let model = cnr_check::check(
            &file,
            "threads",
            &cnr_check::MemoryFiles::default(),
            &cnr_check::Overrides::default(),
        )
        .expect("the test model checks");
        let one = lower_with_threads(&model, Some(1));
        one.validate().expect("the program is valid");
        for threads in [2, 3, 4, 7] {
            assert_eq!(lower_with_threads(&model, Some(threads)), one, "{threads} threads");
        }
    }
}
