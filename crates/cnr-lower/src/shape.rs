//! How lowering builds a program: the samples, units, activation template, columns and groups of
//! rows worked out first (`Shape`), then the rows written from them.

use crate::activations::{self, ActivationRows};
use crate::emit::{Lin, Section, Template};
use crate::stamp::Items;
use crate::{Origin, Request};
use cnr_check::{Model, Norm};
use cnr_ir::{Block, Cone, RowBuilder};
use std::ops::Range;

/// Appends a zero or non-negative cone, merging it with the previous one of the same kind.
pub(crate) fn push_linear(cones: &mut Vec<Cone>, cone: Cone) {
    match (cones.last_mut(), cone) {
        (Some(Cone::Zero(a)), Cone::Zero(b)) | (Some(Cone::Nonneg(a)), Cone::Nonneg(b)) => *a += b,
        _ => cones.push(cone),
    }
}

/// Writes `lin` as the row `s = lin` (`b = constant`, `A = −terms`).
pub(crate) fn push_row(rows: &mut RowBuilder, lin: &Lin) {
    for &(j, v) in lin.canonical().iter() {
        rows.push_entry(j, -v);
    }
    rows.end_row(lin.constant);
}

/// The columns of the model's variables.
#[derive(Debug)]
pub(crate) struct ColumnLayout {
    pub(crate) w: Range<usize>,
    pub(crate) b: Option<Range<usize>>,
    pub(crate) c: Option<usize>,
    pub(crate) r: Option<usize>,
    pub(crate) xi: Option<Range<usize>>,
    pub(crate) t: Range<usize>,
}

/// How the cones of a group are listed.
#[derive(Debug)]
pub(crate) enum GroupCones {
    /// One zero or non-negative cone over all the rows (by the group's section).
    Linear,
    /// These cones, in order.
    Given(Vec<Cone>),
    /// These cones for each item in turn.
    PerItem(Vec<Cone>),
}

/// One block of rows: its cone kind, name, index, size and origin.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) section: Section,
    pub(crate) name: String,
    pub(crate) axes: Vec<(&'static str, usize)>,
    pub(crate) rows: usize,
    pub(crate) origin: Origin,
    pub(crate) cones: GroupCones,
}

impl Group {
    pub(crate) fn block(&self, start: usize, rows: usize) -> Block {
        let items: usize = self.axes.iter().map(|a| a.1).product();
        let width = rows.checked_div(items).map_or(1, |w| w.max(1));
        Block::array(self.name.clone(), start, &self.axes, width)
    }
}

/// Everything lowering works out before it writes a row: the samples, the units, the activation's
/// template, the columns and the items.
pub(crate) struct Shape<'a> {
    pub(crate) model: &'a Model,
    pub(crate) samples: std::borrow::Cow<'a, [usize]>,
    pub(crate) box_radius: Option<f64>,
    pub(crate) template: Template,
    pub(crate) items: Items<'a>,
    pub(crate) item_axes: Vec<(&'static str, usize)>,
    pub(crate) unit_u: Vec<f64>,
    pub(crate) cols: ColumnLayout,
    pub(crate) ncols: usize,
}

/// Reused buffers for building sample rows.
#[derive(Default)]
pub(crate) struct SampleScratch {
    pub(crate) z: Vec<(usize, f64)>,
    pub(crate) t: Lin,
    pub(crate) row: Lin,
}

impl<'a> Shape<'a> {
    pub(crate) fn new(model: &'a Model, request: &Request<'a>) -> Self {
        let net = &model.network;
        let (d, kk, mm) = (net.d(), net.patches(), net.filters);
        let samples: std::borrow::Cow<'a, [usize]> = match request.samples {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned((0..model.data.n).collect()),
        };
        let n = samples.len();
        let units = model.units();
        let item_axes: Vec<(&'static str, usize)> = if units.len() == mm * kk {
            vec![("sample", n), ("filter", mm), ("patch", kk)]
        } else {
            vec![("sample", n), ("unit", units.len())]
        };
        // Shared variables first, then the per-sample ones.
        let w = 0..mm * d;
        let mut next = w.end;
        let b = net.bias.then(|| {
            next += mm;
            next - mm..next
        });
        let c = net.offset.then(|| {
            next += 1;
            next - 1
        });
        let r = matches!(model.relax.penalty, Some((Norm::L2, _))).then(|| {
            next += 1;
            next - 1
        });
        let xi = model.relax.penalty.is_some().then(|| {
            next += n;
            next - n..next
        });
        let template = activations::template(&model.activation.expr);
        let t = next..next + template.width * n * units.len();
        let ncols = t.end;
        let unit_u: Vec<f64> = units.iter().map(|&(m, k)| model.u(m, k)).collect();
        let items =
            Items::new(model, units, b.as_ref().map(|b| b.start), t.start, template.width, request.samples);
        Shape {
            model,
            samples,
            box_radius: request.box_radius,
            template,
            items,
            item_axes,
            unit_u,
            cols: ColumnLayout { w, b, c, r, xi, t },
            ncols,
        }
    }

    /// The blocks of rows in stacking order: by cone kind, and inside a kind by model element (the
    /// sample constraints, `ξ ≥ 0`, the bound, the box, the activation).
    pub(crate) fn groups(&self) -> Vec<Group> {
        let model = self.model;
        let n = self.samples.len();
        let md = model.network.filters * model.network.d();
        let mut groups = vec![Group {
            section: Section::Nonneg,
            name: "sample: Σ u·t ≤ y + ξ".into(),
            axes: vec![("sample", n)],
            rows: n,
            origin: Origin::Samples,
            cones: GroupCones::Linear,
        }];
        if let Some((norm, _)) = model.relax.penalty {
            groups.push(Group {
                section: Section::Nonneg,
                name: "ξ ≥ 0".into(),
                axes: vec![("sample", n)],
                rows: n,
                origin: Origin::Slack,
                cones: GroupCones::Linear,
            });
            if norm == Norm::L2 {
                groups.push(Group {
                    section: Section::Soc,
                    name: "r ≥ ‖ξ‖₂".into(),
                    axes: vec![],
                    rows: n + 1,
                    origin: Origin::Penalty,
                    cones: GroupCones::Given(vec![Cone::SecondOrder(n + 1)]),
                });
            }
        }
        if let Some((norm, radius)) = model.relax.bound {
            groups.push(match norm {
                Norm::L2 => Group {
                    section: Section::Soc,
                    name: format!("‖w‖₂ ≤ {radius}"),
                    axes: vec![],
                    rows: md + 1,
                    origin: Origin::Bound,
                    cones: GroupCones::Given(vec![Cone::SecondOrder(md + 1)]),
                },
                _ => Group {
                    section: Section::Nonneg,
                    name: format!("|w| ≤ {radius}"),
                    axes: vec![("filter", model.network.filters), ("coordinate", model.network.d())],
                    rows: 2 * md,
                    origin: Origin::Bound,
                    cones: GroupCones::Linear,
                },
            });
        }
        if let Some(radius) = self.box_radius {
            let shared = self.cols.b.as_ref().map_or(self.cols.w.end, |b| b.end);
            groups.push(Group {
                section: Section::Nonneg,
                name: format!("box |w|, |b| ≤ {radius}"),
                axes: vec![("variable", shared)],
                rows: 2 * shared,
                origin: Origin::Box,
                cones: GroupCones::Linear,
            });
        }
        let pinned = self.zero_label_items().len();
        if pinned > 0 {
            groups.push(Group {
                section: Section::Nonneg,
                name: "zero label: z ≤ 0".into(),
                axes: vec![("unit of a sample of label 0", pinned)],
                rows: pinned,
                origin: Origin::ZeroLabel,
                cones: GroupCones::Linear,
            });
        }
        let names = ActivationRows::new(&model.activation.name, vec![]);
        for (g, (rows, cones)) in names.groups.into_iter().zip(&self.template.groups) {
            if self.items.len() > 0 && !rows.is_empty() {
                groups.push(Group {
                    section: g.section,
                    name: g.name,
                    axes: self.item_axes.clone(),
                    rows: rows.len() * self.items.len(),
                    origin: Origin::Activation,
                    cones: if matches!(g.section, Section::Zero | Section::Nonneg) {
                        GroupCones::Linear
                    } else {
                        GroupCones::PerItem(cones.clone())
                    },
                });
            }
        }
        // A stable sort keeps the model order inside each cone kind.
        groups.sort_by_key(|g| g.section);
        groups
    }

    /// The rows of a small group (slacks, penalty, bound, box).
    pub(crate) fn small_rows(&self, g: &Group) -> RowBuilder {
        let mut rows = RowBuilder::new();
        let md = self.cols.w.end;
        match g.origin {
            Origin::Slack => {
                for j in self.cols.xi.clone().expect("a penalty has ξ") {
                    push_row(&mut rows, &Lin::var(j));
                }
            }
            Origin::Penalty => {
                push_row(&mut rows, &Lin::var(self.cols.r.expect("an l2 penalty has r")));
                for j in self.cols.xi.clone().expect("a penalty has ξ") {
                    push_row(&mut rows, &Lin::var(j));
                }
            }
            Origin::Bound => {
                let (norm, radius) = self.model.relax.bound.expect("a bound group has a bound");
                if norm == Norm::L2 {
                    push_row(&mut rows, &Lin::constant(radius));
                    for j in 0..md {
                        push_row(&mut rows, &Lin::var(j));
                    }
                } else {
                    for j in 0..md {
                        push_row(&mut rows, &Lin::constant(radius).minus(&Lin::var(j)));
                        push_row(&mut rows, &Lin::constant(radius).add_scaled(1.0, &Lin::var(j)));
                    }
                }
            }
            Origin::Box => {
                let radius = self.box_radius.expect("a box group has a radius");
                let shared = self.cols.b.as_ref().map_or(md, |b| b.end);
                for j in 0..shared {
                    push_row(&mut rows, &Lin::constant(radius).minus(&Lin::var(j)));
                    push_row(&mut rows, &Lin::constant(radius).add_scaled(1.0, &Lin::var(j)));
                }
            }
            Origin::ZeroLabel => {
                let (mut z, all) = (Vec::new(), 0..self.ncols);
                for item in self.zero_label_items() {
                    self.items.z_into(item, &all, &mut z);
                    let mut row = Lin::constant(0.0);
                    row.terms.extend(z.iter().map(|&(j, v)| (j, -v)));
                    push_row(&mut rows, &row);
                }
            }
            Origin::Samples | Origin::Activation => unreachable!("built elsewhere"),
            Origin::Fit | Origin::Sign | Origin::Loss | Origin::Group => {
                unreachable!("a relaxation has no learned rows")
            }
        }
        rows
    }

    /// Builds into `scratch.row` the sample row of position `p`: `y_i + ξ_p − Σ_u u·t_pu − c ≥ 0`
    /// (`c` with an offset).
    pub(crate) fn sample_row(&self, p: usize, scratch: &mut SampleScratch) {
        let SampleScratch { z, t, row } = scratch;
        let all_columns = 0..self.ncols;
        row.terms.clear();
        row.constant = self.model.data.y[self.samples[p]];
        if let Some(xi) = &self.cols.xi {
            row.terms.push((xi.start + p, 1.0));
        }
        if let Some(c) = self.cols.c {
            row.terms.push((c, -1.0));
        }
        let template = &self.template;
        for (u, &weight) in self.unit_u.iter().enumerate() {
            let item = p * self.unit_u.len() + u;
            // `z` is only needed when `t` depends on it (not for relu, whose `t` is a column).
            let first = if template.t.z.is_empty() {
                self.cols.t.start + item * template.width
            } else {
                self.items.z_into(item, &all_columns, z)
            };
            template.t_into(z, first, t);
            for &(j, v) in &t.terms {
                row.terms.push((j, -weight * v));
            }
            row.constant += -weight * t.constant;
        }
    }

    /// The items (sample position × unit) whose pre-activation must be at most 0: every unit of a
    /// sample of label 0, when σ is ReLU or squared ReLU (0 exactly on `z ≤ 0`, positive above)
    /// and neither an offset nor a penalty can absorb the label (output weights are non-negative). Then `Σ_k u_k σ(z_k) ≤ 0` holds exactly when every `z_k ≤ 0`, which the program also
    /// states as linear rows: the activation's epigraph alone has no interior there (`t = s² = 0`),
    /// and an interior point left pre-activations of 1e-3 above 0 (bench/README.md, the grid).
    pub(crate) fn zero_label_items(&self) -> Vec<usize> {
        let model = self.model;
        let zero_below = matches!(
            &model.activation.expr,
            cnr_check::Expr::Atom(cnr_check::Atom::Relu | cnr_check::Atom::SquaredRelu, z)
                if matches!(**z, cnr_check::Expr::Z)
        );
        if !zero_below || model.network.offset || model.relax.penalty.is_some() {
            return Vec::new();
        }
        let units = self.unit_u.len();
        (0..self.samples.len())
            .filter(|&p| model.data.y[self.samples[p]] == 0.0)
            .flat_map(|p| (0..units).map(move |u| p * units + u))
            .collect()
    }

    /// The non-zeros of the rows of [`Shape::zero_label_items`].
    pub(crate) fn zero_label_nonzeros(&self) -> usize {
        let (mut z, all) = (Vec::new(), 0..self.ncols);
        self.zero_label_items()
            .into_iter()
            .map(|item| {
                self.items.z_into(item, &all, &mut z);
                z.iter().filter(|&&(_, v)| v != 0.0).count()
            })
            .sum()
    }

    /// An upper bound on the entries of one sample row, for sizing the buffer.
    pub(crate) fn sample_row_capacity(&self) -> usize {
        let z_max = self.model.network.d() + usize::from(self.model.network.bias);
        2 + self.unit_u.len() * (self.template.t.terms.len() + self.template.t.z.len() * z_max)
    }

    /// The non-zeros of the first sample's row (every sample row has the same pattern).
    pub(crate) fn sample_row_nonzeros(&self) -> usize {
        let mut scratch = SampleScratch::default();
        self.sample_row(0, &mut scratch);
        scratch.row.canonical().len()
    }

    /// Per section, the non-zeros the activation's rows of one sample's items write.
    pub(crate) fn template_nonzeros_per_sample(&self) -> Vec<usize> {
        let mut out = vec![0; self.template.groups.len()];
        if self.samples.is_empty() {
            return out;
        }
        let mut z = Vec::new();
        let all = 0..self.ncols;
        for (section, (rows, _)) in self.template.groups.iter().enumerate() {
            for item in 0..self.unit_u.len() {
                let first = self.items.z_into(item, &all, &mut z);
                for row in rows {
                    row.stamp(&z, first, |_, v| out[section] += usize::from(v != 0.0));
                }
            }
        }
        out
    }
}
