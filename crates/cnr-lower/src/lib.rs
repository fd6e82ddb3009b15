//! Lowering: from a checked [`Model`] to a [`ConeProgram`], the relaxation of docs/relaxation.md:
//!
//! ```text
//! maximise    ⟨g, w⟩ − λ‖ξ‖                      (λ‖ξ‖ only with a penalty)
//! subject to  Σ_{m,k} u_mk t_imk ≤ y_i + ξ_i,  ξ ≥ 0       for every sample i
//!             t_imk ≥ σ(⟨w_m, x_ik⟩ + b_m)                  (the activation's cone form)
//!             ‖w‖ ≤ R                                        (optional bound)
//! ```
//!
//! Columns are laid out as the variables shared by all samples, `w` (filter-major), `b` and `r` (the
//! epigraph of `‖ξ‖₂`), then the per-sample ones, `ξ` and `t` (per sample, filter and patch, the
//! activation's epigraph variables in the order its cone form creates them). Rows are stacked by
//! cone kind — zero, non-negative, second-order, exponential, power — and inside a kind by model
//! element: the sample constraints, `ξ ≥ 0`, the bound, the activation.
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
mod coefficients;
pub mod emit;
pub mod learned;
mod shape;
mod size;
mod stack;
mod stamp;
mod threshold;

pub use anchor::{anchor, random_anchor};
pub use cnr_numerics::eigen::top_eigenvector;
pub use coefficients::{check_coefficients, CoefficientOverflow};
pub use size::{plan_bytes, ProgramSizes};
pub use threshold::lower_penalty_threshold;

use cnr_check::{Model, Norm};
use cnr_ir::{Block, Cone, ConeProgram, RowBuilder, Sense};
use emit::Section;
use shape::{push_linear, push_row, GroupCones, SampleScratch, Shape};
use stack::RowSource;
use stamp::Stamped;
use std::ops::Range;

/// What to lower besides the model: which samples, an artificial box, and how many threads.
#[derive(Clone, Debug, Default)]
pub struct Request<'a> {
    /// The samples whose constraints the program holds, in this order (`None`: all of them). The
    /// objective's anchor is passed separately, so a subset's program has the same objective as the
    /// whole one and is a relaxation of it.
    pub samples: Option<&'a [usize]>,
    /// An artificial bound `|w_j| ≤ R`, `|b_m| ≤ R` on the shared variables, which keeps a program on
    /// few samples bounded (its rows come last among the inequalities, marked [`Origin::Box`]).
    pub box_radius: Option<f64>,
    /// Threads for filling `A` (`None`: as many as pay off). A sweep that runs one solve per core
    /// passes `Some(1)`.
    pub threads: Option<usize>,
}

/// The model element a block of rows comes from: what lets a later phase point at the source of a
/// row (the model's spans) without reading block names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The sample constraints `Σ u·t ≤ y + ξ`.
    Samples,
    /// `ξ ≥ 0`, from the penalty.
    Slack,
    /// `r ≥ ‖ξ‖₂`, from the `l2` penalty.
    Penalty,
    /// The model's `bound`.
    Bound,
    /// The artificial box of [`Request::box_radius`].
    Box,
    /// The activation's cone form.
    Activation,
    /// `z ≤ 0` for every unit of a sample whose label is 0 under an activation that is 0 exactly
    /// below 0 (see `Shape::zero_label_items`).
    ZeroLabel,
    /// A learned program's residuals `r = f − y` (docs/learned.md).
    Fit,
    /// A learned program's sign rows, which hold each group to its arrangement.
    Sign,
    /// A learned program's loss `‖r‖² ≤ loss`.
    Loss,
    /// A learned program's group norms `‖c_j‖ ≤ t_j`.
    Group,
}

/// Where the model's variables and rows sit in a lowered program. Shared variables (`w`, `b`, `r`)
/// come first and do not move with the number of samples, so that the program of a subset of the
/// samples reads the same way as the whole one's.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// The filters `w`, filter-major (`M·d` columns from 0).
    pub w: Range<usize>,
    /// The biases, when the network has them.
    pub b: Option<Range<usize>>,
    /// The output's offset `c`, when the network has one (`output … + offset`).
    pub c: Option<usize>,
    /// The epigraph variable of `‖ξ‖₂`, with the `l2` penalty.
    pub r: Option<usize>,
    /// The slacks `ξ`, one per sample of the program, with a penalty.
    pub xi: Option<Range<usize>>,
    /// The activation's epigraph variables, per sample, unit and item.
    pub t: Range<usize>,
    /// The model's samples the program holds, in row order.
    pub samples: Vec<usize>,
    /// Blocks of rows and the model element each comes from, in row order.
    pub origins: Vec<(Range<usize>, Origin)>,
}

impl Layout {
    /// The filters `w` (`M·d`) of a solution `x`, and the numbers that follow them in a point: the
    /// biases (`M`, none without bias), then the offset (one, none without an offset).
    pub fn filters(&self, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let mut extras = self.b.clone().map_or(Vec::new(), |b| x[b].to_vec());
        extras.extend(self.c.map(|c| x[c]));
        (x[self.w.clone()].to_vec(), extras)
    }
}

/// A lowered program with its layout.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// The cone program.
    pub program: ConeProgram,
    /// Where the model's parts are in it.
    pub layout: Layout,
}

/// Lowers a checked model to its relaxation, on all samples, with the anchor of all samples.
pub fn lower(model: &Model) -> ConeProgram {
    lower_with(model, &anchor(model), &Request::default()).program
}

/// Puts the objective's anchor `anchor` into a program lowered with another one: the objective's
/// anchor terms are the first `anchor.len()` entries of `q` (the `w` columns, then the biases'),
/// negated, as [`lower_with`] writes them; the rest of the program does not depend on the anchor.
pub fn set_anchor(program: &mut ConeProgram, anchor: &[f64]) {
    for (q, gj) in program.q.iter_mut().zip(anchor) {
        *q = -gj;
    }
}

/// The sizes of a model's program, counted without building it (what `cnr check` prints).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Columns.
    pub variables: usize,
    /// Rows.
    pub rows: usize,
    /// Non-zeros of `A`, counted on the first sample's pattern: exact unless some input entries are
    /// exactly zero (a zero coefficient is not stored).
    pub nonzeros: usize,
    /// The cones in row order as runs `(cone, how many in a row)`, zero and non-negative cones merged.
    pub cones: Vec<(Cone, usize)>,
    /// Blocks of rows and the model element each comes from, in row order.
    pub origins: Vec<(Range<usize>, Origin)>,
}

/// The sizes of the program [`lower`] would build, in time and memory independent of the number of
/// samples.
pub fn plan(model: &Model) -> Plan {
    let shape = Shape::new(model, &Request::default());
    let n = shape.samples.len();
    let groups = shape.groups();
    let mut nonzeros = 0;
    let mut cones: Vec<(Cone, usize)> = Vec::new();
    let mut origins = Vec::new();
    let mut start = 0;
    let template_nnz = shape.template_nonzeros_per_sample();
    for g in &groups {
        origins.push((start..start + g.rows, g.origin));
        start += g.rows;
        nonzeros += match g.origin {
            Origin::Samples if n > 0 => n * shape.sample_row_nonzeros(),
            Origin::Activation => n * template_nnz[g.section as usize],
            Origin::Samples | Origin::Slack | Origin::Box => g.rows,
            Origin::ZeroLabel => shape.zero_label_nonzeros(),
            Origin::Penalty => g.rows,
            Origin::Bound if g.section == Section::Soc => g.rows - 1,
            Origin::Bound => g.rows,
            Origin::Fit | Origin::Sign | Origin::Loss | Origin::Group => {
                unreachable!("a relaxation has no learned rows")
            }
        };
        let mut push = |cone: Cone, count: usize| match cones.last_mut() {
            Some((Cone::Zero(a), 1)) if matches!(cone, Cone::Zero(_)) => *a += cone.dim() * count,
            Some((Cone::Nonneg(a), 1)) if matches!(cone, Cone::Nonneg(_)) => *a += cone.dim() * count,
            Some((last, c)) if *last == cone => *c += count,
            _ => cones.push((cone, count)),
        };
        match &g.cones {
            GroupCones::Linear => match g.section {
                Section::Zero => push(Cone::Zero(g.rows), 1),
                _ => push(Cone::Nonneg(g.rows), 1),
            },
            GroupCones::Given(list) => list.iter().for_each(|&c| push(c, 1)),
            GroupCones::PerItem(list) => {
                // One item's cones, repeated for every item: runs of one cone merge across items.
                if list.windows(2).all(|w| w[0] == w[1]) {
                    if let Some(&c) = list.first() {
                        push(c, list.len() * shape.items.len());
                    }
                } else {
                    for _ in 0..shape.items.len() {
                        list.iter().for_each(|&c| push(c, 1));
                    }
                }
            }
        }
    }
    Plan { variables: shape.ncols, rows: start, nonzeros, cones, origins }
}

/// Lowers the relaxation of `model` with the objective's anchor `anchor` (see [`anchor()`]) for the
/// samples, box and threads of `request`.
pub fn lower_with(model: &Model, anchor: &[f64], request: &Request) -> Lowered {
    let shape = Shape::new(model, request);
    let groups = shape.groups();
    let n = shape.samples.len();
    let cols = &shape.cols;

    // Columns.
    let (mm, d) = (model.network.filters, model.network.d());
    let mut var_blocks = vec![Block::array("w", 0, &[("filter", mm), ("coordinate", d)], 1)];
    if let Some(b) = &cols.b {
        var_blocks.push(Block::vector("b", b.start, "filter", mm));
    }
    if let Some(c) = cols.c {
        var_blocks.push(Block::array("c", c, &[], 1));
    }
    if let Some(r) = cols.r {
        var_blocks.push(Block::array("r", r, &[], 1));
    }
    if let Some(xi) = &cols.xi {
        var_blocks.push(Block::vector("ξ", xi.start, "sample", n));
    }
    if shape.template.width > 0 {
        var_blocks.push(Block::array("t", cols.t.start, &shape.item_axes, shape.template.width));
    }

    // The rows of each group: the activation's are stamped from the template straight into `A`
    // (see `stamp`), the others are built here.
    let mut built: Vec<(Option<RowBuilder>, Option<Stamped>)> = Vec::with_capacity(groups.len());
    for g in &groups {
        built.push(match g.origin {
            Origin::Activation => (
                None,
                Some(Stamped { items: &shape.items, rows: &shape.template.groups[g.section as usize].0 }),
            ),
            Origin::Samples => {
                // A sample row has `ξ_i` and the terms of every unit's `t`: the buffer is sized once.
                let mut rows = RowBuilder::with_capacity(n, n * shape.sample_row_capacity());
                let mut scratch = SampleScratch::default();
                for p in 0..n {
                    shape.sample_row(p, &mut scratch);
                    push_row(&mut rows, &scratch.row);
                }
                (Some(rows), None)
            }
            _ => (Some(shape.small_rows(g)), None),
        });
    }

    let mut program = ConeProgram::new(model.name.clone(), shape.ncols, Sense::Maximize);
    // The model maximises ⟨g, w⟩ − λ‖ξ‖; the IR stores the minimisation of −⟨g, w⟩ + λ‖ξ‖.
    set_anchor(&mut program, anchor);
    match model.relax.penalty {
        Some((Norm::L2, weight)) => program.q[cols.r.expect("an l2 penalty has r")] = weight,
        Some((_, weight)) => {
            program.q[cols.xi.clone().expect("a penalty has ξ")].iter_mut().for_each(|q| *q = weight)
        }
        None => {}
    }
    program.var_blocks = var_blocks;
    let mut start = 0;
    let mut origins = Vec::with_capacity(groups.len());
    let mut sources: Vec<&dyn RowSource> = Vec::with_capacity(groups.len());
    for (g, (rows, stamped)) in groups.iter().zip(&built) {
        let source: &dyn RowSource = match (rows, stamped) {
            (Some(r), _) => r,
            (None, Some(s)) => s,
            (None, None) => unreachable!("every group has rows"),
        };
        let count = source.rows();
        program.row_blocks.push(g.block(start, count));
        origins.push((start..start + count, g.origin));
        start += count;
        match &g.cones {
            GroupCones::Linear if g.section == Section::Zero => {
                push_linear(&mut program.cones, Cone::Zero(count))
            }
            GroupCones::Linear => push_linear(&mut program.cones, Cone::Nonneg(count)),
            GroupCones::Given(list) => program.cones.extend_from_slice(list),
            GroupCones::PerItem(list) => {
                program.cones.reserve(list.len() * shape.items.len());
                for _ in 0..shape.items.len() {
                    program.cones.extend_from_slice(list);
                }
            }
        }
        sources.push(source);
    }
    let (a, b) = stack::stack(&sources, shape.ncols, request.threads);
    program.a = a;
    program.b = b;
    let layout = Layout {
        w: cols.w.clone(),
        b: cols.b.clone(),
        c: cols.c,
        r: cols.r,
        xi: cols.xi.clone(),
        t: cols.t.clone(),
        samples: shape.samples.to_vec(),
        origins,
    };
    Lowered { program, layout }
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
        let g = anchor(&model);
        let with =
            |threads| lower_with(&model, &g, &Request { threads: Some(threads), ..Request::default() });
        let one = with(1).program;
        one.validate().expect("the program is valid");
        for threads in [2, 3, 4, 7] {
            assert_eq!(with(threads).program, one, "{threads} threads");
        }
    }

    /// Restarts lower the whole program once and change its anchor: that must give the program the
    /// other anchor lowers to, exactly.
    #[test]
    fn setting_the_anchor_gives_the_program_of_that_anchor() {
        let file = cnr_syntax::parse(
            "network { input 16 conv kernel 4 stride 4 filters 2 bias activation softplus output ones }
             data planted { samples 12 seed 2 noise 0.1 }
             relax { penalty l1 0.5 }",
        )
        .expect("the test model parses");
        let model = cnr_check::check(
            &file,
            "anchor",
            &cnr_check::MemoryFiles::default(),
            &cnr_check::Overrides::default(),
        )
        .expect("the test model checks");
        let (g, h) = (anchor(&model), random_anchor(&model, 3));
        assert_ne!(g, h);
        let mut swapped = lower_with(&model, &g, &Request::default()).program;
        set_anchor(&mut swapped, &h);
        assert_eq!(swapped, lower_with(&model, &h, &Request::default()).program);
    }

    fn checked(text: &str) -> Model {
        let file = cnr_syntax::parse(text).expect("the test model parses");
        cnr_check::check(&file, "m", &cnr_check::MemoryFiles::default(), &cnr_check::Overrides::default())
            .expect("the test model checks")
    }

    #[test]
    fn a_sample_of_label_zero_pins_its_units_below_zero_and_the_plan_counts_the_rows() {
        let text = "network { input 8 conv kernel 4 stride 4 bias activation squared_relu output ones }
                    data planted { samples 5 seed 2 }";
        let mut model = checked(text);
        model.data.y[1] = 0.0;
        model.data.y[3] = 0.0;
        let lowered = lower_with(&model, &anchor(&model), &Request::default());
        let plan = plan(&model);
        let program = &lowered.program;
        assert_eq!((plan.rows, plan.nonzeros), (program.m(), program.a.nnz()));
        let (rows, _) =
            lowered.layout.origins.iter().find(|(_, o)| *o == Origin::ZeroLabel).expect("pinned rows");
        let zero: Vec<usize> = (0..model.data.n).filter(|&i| model.data.y[i] == 0.0).collect();
        assert!(zero.contains(&1) && zero.contains(&3));
        let pinned: Vec<(usize, usize)> = zero.iter().flat_map(|&i| [(i, 0), (i, 1)]).collect();
        assert_eq!(rows.len(), pinned.len(), "two units for each sample of label 0");
        // At a point the slack of such a row is −z = −(⟨w, x_ik⟩ + b).
        let mut x = vec![0.0; program.n];
        x[..4].copy_from_slice(&[0.5, -1.0, 0.25, 2.0]);
        x[4] = -0.3;
        let s = program.check_point(&x).s;
        for (r, (sample, patch)) in rows.clone().zip(pinned) {
            let input = model.data.sample(sample);
            let z: f64 = (0..4).map(|j| x[j] * input[patch * 4 + j]).sum::<f64>() + x[4];
            assert!((s[r] + z).abs() < 1e-12, "row {r}: slack {} for z = {z}", s[r]);
        }
        // Not where an offset or a penalty could absorb the label, nor
        // for an activation that is not 0 below 0.
        for other in [
            "network { input 8 conv kernel 4 stride 4 activation squared_relu output ones + offset } data planted { samples 5 seed 2 }",
            "network { input 8 conv kernel 4 stride 4 activation softplus output ones } data planted { samples 5 seed 2 }",
            "network { input 8 conv kernel 4 stride 4 activation relu output ones } data planted { samples 5 seed 2 } relax { penalty l1 1 }",
        ] {
            let mut model = checked(other);
            model.data.y[1] = 0.0;
            let lowered = lower_with(&model, &anchor(&model), &Request::default());
            assert!(lowered.layout.origins.iter().all(|(_, o)| *o != Origin::ZeroLabel), "{other}");
        }
    }
}
