//! The exact convex program of a two-layer CNN whose output weights are learned (docs/learned.md).
//! With patches `x̃_ik = (x_ik, 1)` (the 1 only with `bias`), `h = d (+1)` numbers each, and
//! arrangements `D_j`, `D_j[i, k] = 1[⟨x̃_ik, g_j⟩ ≥ 0]` for a filter `g_j` shared by every patch:
//!
//! ```text
//! minimise    ½ loss + β Σ_j (t_j + t'_j)
//! subject to  r_i = Σ_j Σ_k D_j[i,k] ⟨x̃_ik, u_j⟩ + offset − y_i           (fit, zero rows)
//!             u_j = c_j − c'_j                                           (link, exact form)
//!             (2 D_j[i,k] − 1) ⟨x̃_ik, c_j⟩ ≥ 0, the same for c'_j           (sign, exact form)
//!             ‖(2r, loss − 1)‖ ≤ loss + 1,  i.e. ‖r‖² ≤ loss                (one cone)
//!             ‖c_j‖ ≤ t_j, ‖c'_j‖ ≤ t'_j                                   (one cone per group)
//! ```
//!
//! The gated form has one group `c_j` per arrangement, no `u` (its fit is on `c`) and no sign rows.
//! The exact form's fit is on `u`, not on `c` and `c'`: its dense rows have `P·h` entries, not
//! `2·P·h` (the interior point's factor is then about the gated form's; docs/learned.md).
//! Columns: `c`, `c'`, the offset, `r`, `loss`, `t`, `t'`, `u`; rows by cone kind: fit and link,
//! sign, loss, groups.

mod arrangements;
mod pricing;
mod read;

pub use arrangements::{all_arrangements, sample_arrangements, PatternSet, TooManyCells, MAX_CELLS};
pub use pricing::{first_sampled, Priced, Pricing, ASCENT_STEPS};
pub use read::{judge, read_network, significant, Judged, SIGNIFICANT};

use crate::{Origin, Plan};
use cnr_check::learned::{Form, Learn};
use cnr_check::Model;
use cnr_ir::{Block, Cone, ConeProgram, CscMatrix, Sense};
use std::ops::Range;

/// Where the learned program's variables sit.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnedLayout {
    /// Arrangements `P`.
    pub arrangements: usize,
    /// Numbers per patch `h` (`d`, plus 1 with a bias).
    pub h: usize,
    /// The groups `c_j` (`P·h`, arrangement-major).
    pub c: Range<usize>,
    /// The groups `c'_j` (exact form only).
    pub c_neg: Option<Range<usize>>,
    /// The output's offset.
    pub offset: Option<usize>,
    /// The residuals `r`: one per sample, or, when the fit has fewer columns than samples, one per
    /// fit column (the fit compressed by its QR, [`LearnedLayout::compressed`]).
    pub r: Range<usize>,
    /// The loss's epigraph variable.
    pub loss: usize,
    /// The group norms' epigraph variables (`t`, then `t'`).
    pub t: Range<usize>,
    /// The differences `u_j = c_j − c'_j` the fit is written on (exact form only).
    pub u: Option<Range<usize>>,
    /// Columns.
    pub n: usize,
}

impl LearnedLayout {
    /// The layout of `model`'s program over `arrangements` patterns.
    pub fn new(model: &Model, arrangements: usize) -> LearnedLayout {
        let learn = learn_of(model);
        let h = patch_len(model);
        let groups = if learn.form == Form::Exact { 2 } else { 1 };
        let c = 0..arrangements * h;
        let c_neg = (groups == 2).then(|| c.end..c.end + arrangements * h);
        let mut next = c_neg.as_ref().map_or(c.end, |r| r.end);
        let offset = model.network.offset.then(|| {
            next += 1;
            next - 1
        });
        // The fit's columns: `u` (exact) or `c` (gated), and the offset.
        let fit_columns = arrangements * h + usize::from(model.network.offset);
        let r = next..next + fit_columns.min(model.data.n);
        let loss = r.end;
        let t = loss + 1..loss + 1 + groups * arrangements;
        let u = (groups == 2).then(|| t.end..t.end + arrangements * h);
        let n = u.as_ref().map_or(t.end, |u| u.end);
        LearnedLayout { arrangements, h, c, c_neg, offset, r, loss, t, u, n }
    }

    /// Group `j`'s columns (`j < P` in `c`, then `c'`).
    pub fn group(&self, j: usize) -> Range<usize> {
        let start = if j < self.arrangements {
            self.c.start + j * self.h
        } else {
            self.c_neg.as_ref().expect("an exact program").start + (j - self.arrangements) * self.h
        };
        start..start + self.h
    }

    /// Whether the fit is compressed: `r = R z − (Qᵀy)₁` over the fit's QR, with `z` the fit's
    /// columns, in place of `r = A z − y` — fewer rows, as the fit has fewer columns than samples.
    pub fn compressed(&self, samples: usize) -> bool {
        self.r.len() < samples
    }

    /// Groups: `P` (gated) or `2P` (exact).
    pub fn groups(&self) -> usize {
        self.t.len()
    }
}

/// The model's `learn` block (lowering a learned program of a model without one is a bug).
pub(crate) fn learn_of(model: &Model) -> &Learn {
    model.learn.as_ref().expect("a model with learned output weights")
}

/// `h`: the filter's numbers and, with a bias, one more.
pub fn patch_len(model: &Model) -> usize {
    model.network.d() + usize::from(model.network.bias)
}

/// Writes `x̃_ik` (patch `k` of `x`, then 1 with a bias) into `out` (`h` numbers).
pub fn patch(model: &Model, x: &[f64], k: usize, out: &mut [f64]) {
    let d = model.network.d();
    model.geometry.gather(k, x, &mut out[..d]);
    if model.network.bias {
        out[d] = 1.0;
    }
}

/// Every patch `x̃_ik` of the training samples, `h` numbers each, sample-major: the patch matrix,
/// kept once (not once per arrangement).
pub fn patch_matrix(model: &Model) -> Vec<f64> {
    let (n, kk, h) = (model.data.n, model.network.patches(), patch_len(model));
    let mut out = vec![0.0; n * kk * h];
    for (row, chunk) in out.chunks_exact_mut(h).enumerate() {
        patch(model, model.data.sample(row / kk), row % kk, chunk);
    }
    out
}

/// Column `col` of arrangement `j`'s block of the fit: `a_ij[col] = Σ_k D_j[i,k] x̃_ik[col]` for
/// every sample `i`, from the patch matrix (`n·K` rows of `h`).
fn fit_column(
    set: &PatternSet,
    patches: &[f64],
    (n, kk, h): (usize, usize, usize),
    j: usize,
    col: usize,
    out: &mut [f64],
) {
    for (i, v) in out.iter_mut().enumerate().take(n) {
        *v = (0..kk).filter(|&k| set.active(j, i * kk + k)).map(|k| patches[(i * kk + k) * h + col]).sum();
    }
}

/// The fit's matrix `A = [A_1 … A_P]` of the gated form, `n × (P·h)` in column-major order
/// (column `j·h + col` is [`fit_column`]): `Σ_j A_j c_j` are the outputs. The same coefficients as
/// the fit rows of [`lower_learned`]; a first-order method multiplies by it.
pub fn fit_matrix(model: &Model, set: &PatternSet) -> Vec<f64> {
    fit_matrix_with(model, set, &patch_matrix(model))
}

/// [`fit_matrix`] from the patch matrix.
pub fn fit_matrix_with(model: &Model, set: &PatternSet, patches: &[f64]) -> Vec<f64> {
    let (n, kk, h) = (model.data.n, model.network.patches(), patch_len(model));
    let mut out = vec![0.0; n * set.len() * h];
    for (k, column) in out.chunks_exact_mut(n.max(1)).enumerate().take(set.len() * h) {
        fit_column(set, patches, (n, kk, h), k / h, k % h, column);
    }
    out
}

/// The exact form's signs `2 D_j[i, k] − 1`, `n·K × P` by rows (row `i·K + k`, then pattern `j`),
/// 0 for a patch that is all zero (its sign rows hold at every point): with the patch matrix, the
/// sign rows `(2D − 1) X̃ c ≥ 0` of every group at once, for a first-order method.
pub fn sign_matrix(model: &Model, set: &PatternSet, patches: &[f64]) -> Vec<i8> {
    let (p, h) = (set.len(), patch_len(model));
    let mut out = vec![0i8; patches.len() / h.max(1) * p];
    for (row, (signs, patch)) in
        out.chunks_exact_mut(p.max(1)).zip(patches.chunks_exact(h.max(1))).enumerate()
    {
        if patch.iter().all(|&v| v == 0.0) {
            continue;
        }
        for (j, s) in signs.iter_mut().enumerate() {
            *s = if set.active(j, row) { 1 } else { -1 };
        }
    }
    out
}

/// Which sign rows of the exact form a program holds: for each group (`c_j`, then `c'_j`), the
/// rows `i·K + k` of its pattern, ascending. The cutting-plane method starts from none and adds
/// the rows its points violate; every row is [`SignRows::all`].
#[derive(Clone, Debug, PartialEq)]
pub struct SignRows {
    /// Per group, the rows held (`None`: every row).
    groups: Option<Vec<Vec<u32>>>,
}

impl SignRows {
    /// Every sign row of every group: the whole program.
    pub fn all() -> SignRows {
        SignRows { groups: None }
    }

    /// No sign row for any of `groups` groups.
    pub fn none(groups: usize) -> SignRows {
        SignRows { groups: Some(vec![Vec::new(); groups]) }
    }

    /// Adds `rows` to group `g` (kept ascending, without repeats).
    pub fn add(&mut self, g: usize, rows: impl IntoIterator<Item = u32>) {
        if let Some(groups) = &mut self.groups {
            let held = &mut groups[g];
            held.extend(rows);
            held.sort_unstable();
            held.dedup();
        }
    }

    /// Whether group `g` holds `row`.
    pub fn holds(&self, g: usize, row: usize) -> bool {
        self.groups.as_ref().is_none_or(|groups| groups[g].binary_search(&(row as u32)).is_ok())
    }

    /// The sign rows held in all, of `each` a group when every row is.
    pub fn count(&self, groups: usize, each: usize) -> usize {
        self.groups.as_ref().map_or(groups * each, |g| g.iter().map(Vec::len).sum())
    }

    /// Group `g`'s rows (`each` of them when every row is held).
    fn of(&self, g: usize, each: usize) -> Box<dyn Iterator<Item = usize> + '_> {
        match &self.groups {
            None => Box::new(0..each),
            Some(groups) => Box::new(groups[g].iter().map(|&r| r as usize)),
        }
    }
}

/// The learned program of `model` over the arrangements `set`, with its layout. `A` is filled
/// column by column in compressed form (no triplets): its bytes are the plan's.
pub fn lower_learned(model: &Model, set: &PatternSet) -> (ConeProgram, LearnedLayout) {
    lower_learned_rows(model, set, &SignRows::all())
}

/// The learned program of `model` over `set` holding only the sign rows `sign` (the exact form's
/// cutting planes; the gated form has none): the same columns as the whole program, so a point of
/// one is a point of the other.
pub fn lower_learned_rows(model: &Model, set: &PatternSet, sign: &SignRows) -> (ConeProgram, LearnedLayout) {
    let learn = learn_of(model);
    let layout = LearnedLayout::new(model, set.len());
    let (n, kk, h, p) = (model.data.n, model.network.patches(), layout.h, set.len());
    let exact = learn.form == Form::Exact;
    let patches = patch_matrix(model);
    let x = |row: usize| &patches[row * h..(row + 1) * h];
    let mut column = vec![0.0; n];
    let push = |a: &mut CscMatrix, row: usize, v: f64| {
        if v != 0.0 {
            a.rowval.push(row);
            a.nzval.push(v);
        }
    };
    // The fit's rows: one per sample, or one per fit column, `R z − (Qᵀy)₁` (docs/learned.md).
    let nr = layout.r.len();
    let qr = layout.compressed(n).then(|| {
        let mut fit = fit_matrix_with(model, set, &patches);
        if layout.offset.is_some() {
            fit.extend(std::iter::repeat_n(1.0, n));
        }
        cnr_numerics::qr::least_squares_qr(fit, n, nr, &model.data.y)
    });
    // Fit column `q`'s entries: `R[·, q]` compressed, else `a_·q` (the offset's: ones).
    let fit_entries = |q: usize, a: &mut CscMatrix, column: &mut Vec<f64>| match &qr {
        Some(qr) => (0..=q).for_each(|l| push(a, l, -qr.r[q * nr + l])),
        None if q == p * h => (0..n).for_each(|i| push(a, i, -1.0)),
        None => {
            fit_column(set, &patches, (n, kk, h), q / h, q % h, column);
            column.iter().enumerate().for_each(|(i, &v)| push(a, i, -v));
        }
    };
    // Rows: fit (nr), link (P·h, exact), sign (2·P·n·K when all are held, exact), loss (nr + 2),
    // groups (h + 1 each).
    let sign_rows = if exact { sign.count(layout.groups(), n * kk) } else { 0 };
    // The link rows `u − c + c' = 0` follow the fit's, in the same zero cone.
    let link = if exact { p * h } else { 0 };
    let mut sign_start = Vec::with_capacity(layout.groups());
    let mut next = nr + link;
    for g in 0..layout.groups() {
        sign_start.push(next);
        if exact {
            next += sign.of(g, n * kk).count();
        }
    }
    let loss_row = nr + link + sign_rows;
    let group_row = |g: usize| loss_row + nr + 2 + g * (h + 1);
    let m = group_row(layout.groups());
    let plan = plan_learned_with(model, p, sign_rows);
    let mut a = CscMatrix {
        m,
        n: layout.n,
        colptr: Vec::with_capacity(layout.n + 1),
        rowval: Vec::with_capacity(plan.nonzeros),
        nzval: Vec::with_capacity(plan.nonzeros),
    };
    a.colptr.push(0);
    for (g, &first_sign_row) in sign_start.iter().enumerate() {
        let (j, sign_of_group) = (g % p, if g < p { -1.0 } else { 1.0 });
        for col in 0..h {
            if exact {
                // Link: u − c + c' = 0.
                push(&mut a, nr + j * h + col, sign_of_group);
            } else {
                // Fit: r_i − Σ_j ⟨a_ij, c_j⟩ − offset = −y_i, with a_ij = Σ_k D_j[i,k] x̃_ik.
                fit_entries(j * h + col, &mut a, &mut column);
            }
            // Sign: s = (2D − 1) ⟨x̃_ik, c⟩ ≥ 0, written b − Ax with b = 0.
            if exact {
                for (at, row) in sign.of(g, n * kk).enumerate() {
                    let sign = if set.active(j, row) { 1.0 } else { -1.0 };
                    push(&mut a, first_sign_row + at, -sign * x(row)[col]);
                }
            }
            push(&mut a, group_row(g) + 1 + col, -1.0);
            a.colptr.push(a.rowval.len());
        }
    }
    if layout.offset.is_some() {
        fit_entries(p * h, &mut a, &mut column);
        a.colptr.push(a.rowval.len());
    }
    for i in 0..nr {
        push(&mut a, i, 1.0);
        push(&mut a, loss_row + 1 + i, -2.0);
        a.colptr.push(a.rowval.len());
    }
    push(&mut a, loss_row, -1.0);
    push(&mut a, loss_row + nr + 1, -1.0);
    a.colptr.push(a.rowval.len());
    for g in 0..layout.groups() {
        push(&mut a, group_row(g), -1.0);
        a.colptr.push(a.rowval.len());
    }
    if exact {
        // u_j: the fit r_i − Σ_j ⟨a_ij, u_j⟩ − offset = −y_i, and its link row.
        for j in 0..p {
            for col in 0..h {
                fit_entries(j * h + col, &mut a, &mut column);
                push(&mut a, nr + j * h + col, 1.0);
                a.colptr.push(a.rowval.len());
            }
        }
    }
    let mut b = vec![0.0; m];
    let labels = qr.as_ref().map_or(&model.data.y, |qr| &qr.qty);
    b.iter_mut().zip(labels).for_each(|(b, y)| *b = -y);
    b[loss_row] = 1.0;
    b[loss_row + nr + 1] = -1.0;
    let fit = match (exact, qr.is_some()) {
        (true, false) => "fit: r = Σ D X u + offset − y",
        (false, false) => "fit: r = Σ D X c + offset − y",
        (true, true) => "fit, by its QR: r = R (u, offset) − Qᵀy",
        (false, true) => "fit, by its QR: r = R (c, offset) − Qᵀy",
    };
    let axis = if qr.is_some() { "column" } else { "sample" };
    let mut row_blocks = vec![Block::vector(fit, 0, axis, nr)];
    if exact {
        row_blocks.push(Block::array("link: u = c − c'", nr, &[("arrangement", p), ("coordinate", h)], 1));
    }
    let mut cones = vec![Cone::Zero(nr + link)];
    if exact && sign == &SignRows::all() {
        // A patch of zeros (all padding, no bias) gives an empty row, kept so the index holds.
        let axes = [("arrangement", p), ("sample", n), ("patch", kk)];
        row_blocks.push(Block::array("sign: (2D − 1) X c ≥ 0", nr + link, &axes, 1));
        row_blocks.push(Block::array("sign: (2D − 1) X c' ≥ 0", nr + link + p * n * kk, &axes, 1));
    } else if exact && sign_rows > 0 {
        row_blocks.push(Block::vector("sign rows held: (2D − 1) X c ≥ 0", nr + link, "row", sign_rows));
    }
    if exact && sign_rows > 0 {
        cones.push(Cone::Nonneg(sign_rows));
    }
    row_blocks.push(Block::array("loss: ‖r‖² ≤ loss", loss_row, &[], nr + 2));
    cones.push(Cone::SecondOrder(nr + 2));
    row_blocks.push(Block::array("group: ‖c‖ ≤ t", group_row(0), &[("group", layout.groups())], h + 1));
    cones.extend(std::iter::repeat_n(Cone::SecondOrder(h + 1), layout.groups()));
    let mut program = ConeProgram::new(format!("{}_learned", model.name), layout.n, Sense::Minimize);
    program.q[layout.loss] = 0.5;
    // What the compressed fit leaves out of ½‖A z − y‖²: ½‖(Qᵀy)₂‖², the same at every point.
    program.c = qr.as_ref().map_or(0.0, |qr| 0.5 * qr.rest);
    layout.t.clone().for_each(|col| program.q[col] = learn.weight_decay);
    program.a = a;
    program.b = b;
    program.cones = cones;
    program.row_blocks = row_blocks;
    program.var_blocks = var_blocks(&layout, n);
    (program, layout)
}

/// The blocks of columns of `layout`.
fn var_blocks(layout: &LearnedLayout, samples: usize) -> Vec<Block> {
    let (p, h) = (layout.arrangements, layout.h);
    let mut blocks = vec![Block::array("c", layout.c.start, &[("arrangement", p), ("coordinate", h)], 1)];
    if let Some(c) = &layout.c_neg {
        blocks.push(Block::array("c'", c.start, &[("arrangement", p), ("coordinate", h)], 1));
    }
    if let Some(col) = layout.offset {
        blocks.push(Block::array("offset", col, &[], 1));
    }
    let axis = if layout.compressed(samples) { "column" } else { "sample" };
    blocks.push(Block::vector("r", layout.r.start, axis, layout.r.len()));
    blocks.push(Block::array("loss", layout.loss, &[], 1));
    blocks.push(Block::vector("t", layout.t.start, "group", layout.t.len()));
    if let Some(u) = &layout.u {
        blocks.push(Block::array("u", u.start, &[("arrangement", p), ("coordinate", h)], 1));
    }
    blocks
}

/// The sizes of the learned program over `arrangements` patterns, counted without building it:
/// the non-zeros are an upper bound (every patch entry taken as non-zero).
pub fn plan_learned(model: &Model, arrangements: usize) -> Plan {
    let exact = learn_of(model).form == Form::Exact;
    plan_learned_with(model, arrangements, if exact { sign_rows(model, arrangements) } else { 0 })
}

/// The exact form's sign rows over `arrangements` patterns, every one held: `2·P·n·K`.
pub fn sign_rows(model: &Model, arrangements: usize) -> usize {
    2 * arrangements * model.data.n * model.network.patches()
}

/// [`plan_learned`] holding `sign_rows` sign rows (none in the gated form).
pub fn plan_learned_with(model: &Model, arrangements: usize, sign_rows: usize) -> Plan {
    let layout = LearnedLayout::new(model, arrangements);
    let (n, h, nr) = (model.data.n, layout.h, layout.r.len());
    let groups = layout.groups();
    let exact = layout.c_neg.is_some();
    // The fit is on `u` (exact) or `c` (gated): `P·h` columns either way, and the offset; each
    // holds `n` entries, or `R`'s upper triangle when compressed. The link takes `3·P·h`.
    let link = if exact { arrangements * h } else { 0 };
    let columns = arrangements * h + usize::from(layout.offset.is_some());
    let fit_nnz = nr + if layout.compressed(n) { columns * (columns + 1) / 2 } else { n * columns };
    let nonzeros = fit_nnz + 3 * link + sign_rows * h + (nr + 2) + groups * (h + 1);
    let mut cones = vec![(Cone::Zero(nr + link), 1)];
    let mut origins = vec![(0..nr + link, Origin::Fit)];
    if exact && sign_rows > 0 {
        cones.push((Cone::Nonneg(sign_rows), 1));
        origins.push((nr + link..nr + link + sign_rows, Origin::Sign));
    }
    let loss = nr + link + sign_rows;
    cones.push((Cone::SecondOrder(nr + 2), 1));
    origins.push((loss..loss + nr + 2, Origin::Loss));
    cones.push((Cone::SecondOrder(h + 1), groups));
    let rows = loss + nr + 2 + groups * (h + 1);
    origins.push((loss + nr + 2..rows, Origin::Group));
    Plan { variables: layout.n, rows, nonzeros, cones, origins }
}
