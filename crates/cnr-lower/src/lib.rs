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

pub use anchor::{anchor, top_eigenvector};

use activations::{lower_activation, ActivationRows};
use cnr_check::network::PADDING;
use cnr_check::{Model, Norm};
use cnr_ir::{Block, Cone, ConeProgram, RowBuilder, Sense};
use emit::{Columns, Lin, RowGroup, Section};

/// Lowers a checked model to its relaxation.
pub fn lower(model: &Model) -> ConeProgram {
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

    // The activation's rows, item by item, stamped from the activation lowered once on a symbolic
    // `z`; the affine bound of each item feeds its sample row.
    let template = activations::template(&model.activation.expr);
    debug_assert_eq!(template.width, per_item);
    let map = net.patch_map();
    // The number of terms of `z` in patch k: the coordinates off the padding, and the bias.
    let z_len: Vec<usize> = (0..kk)
        .map(|k| {
            map[k * d..(k + 1) * d].iter().filter(|&&src| src != PADDING).count() + usize::from(net.bias)
        })
        .collect();
    let unit_u: Vec<f64> = units.iter().map(|&(m, k)| model.u(m, k)).collect();
    let items = n * units.len();
    // Every item adds the same rows, so the buffers are sized once, exactly but for entries that the
    // data make zero; growing them by doubling would take up to twice the memory and copy.
    let mut act_rows = ActivationRows::new(&model.activation.name, item_axes.clone());
    for (g, (rows, cones)) in act_rows.groups.iter_mut().zip(&template.groups) {
        let nnz: usize =
            units.iter().map(|&(_, k)| rows.iter().map(|r| r.max_entries(z_len[k])).sum::<usize>()).sum();
        g.rows = RowBuilder::with_capacity(items * rows.len(), n * nnz);
        g.cones.reserve(items * cones.len());
    }
    let mut samples = RowGroup::new(Section::Nonneg, "sample: Σ u·t ≤ y + ξ", vec![("sample", n)]);
    let t_len = |k: usize| template.t.terms.len() + template.t.z.len() * z_len[k];
    let sample_nnz =
        usize::from(model.relax.penalty.is_some()) + units.iter().map(|&(_, k)| t_len(k)).sum::<usize>();
    samples.rows = RowBuilder::with_capacity(n, n * sample_nnz);
    let mut cols = Columns::starting_at(t0);
    let (mut z, mut t, mut row) = (Lin::default(), Lin::default(), Lin::default());
    for i in 0..n {
        let x = model.data.sample(i);
        row.terms.clear();
        row.constant = model.data.y[i];
        if model.relax.penalty.is_some() {
            row.terms.push((xi0 + i, 1.0));
        }
        for (&(m, k), &u) in units.iter().zip(&unit_u) {
            z.terms.clear();
            for (j, &src) in map[k * d..(k + 1) * d].iter().enumerate() {
                if src != PADDING {
                    z.terms.push((m * d + j, x[src as usize]));
                }
            }
            if net.bias {
                z.terms.push((bias0 + m, 1.0));
            }
            let first = cols.take(template.width);
            for (g, (rows, cones)) in act_rows.groups.iter_mut().zip(&template.groups) {
                for r in rows {
                    g.push_instance(r, &z.terms, first);
                }
                g.cones.extend_from_slice(cones);
            }
            template.t_into(&z.terms, first, &mut t);
            row = row.add_scaled(-u, &t);
        }
        samples.push(&row);
    }
    debug_assert_eq!(cols.next(), ncols);

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
    groups.extend(act_rows.groups.into_iter().filter(|g| g.rows.rows() > 0));
    // A stable sort keeps the model order inside each cone kind.
    groups.sort_by_key(|g| g.section);

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
    let mut builders = Vec::with_capacity(groups.len());
    for g in groups {
        program.row_blocks.push(g.block(start));
        start += g.rows.rows();
        match g.section {
            Section::Zero => push_linear(&mut program.cones, Cone::Zero(g.rows.rows())),
            Section::Nonneg => push_linear(&mut program.cones, Cone::Nonneg(g.rows.rows())),
            _ => program.cones.extend(g.cones),
        }
        builders.push(g.rows);
    }
    let (a, b) = RowBuilder::stack(builders, ncols);
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
