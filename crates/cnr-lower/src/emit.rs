//! The small vocabulary lowering writes rows with: affine expressions ([`Lin`]), groups of rows that
//! belong to one cone kind and one model element ([`RowGroup`]), and the column allocator.

use cnr_ir::{Block, Cone, RowBuilder};

/// An affine expression `Σ c_j x_j + constant` in the program's columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lin {
    /// `(column, coefficient)` terms; a column appears at most once.
    pub terms: Vec<(usize, f64)>,
    /// The constant.
    pub constant: f64,
    /// Uses of a symbolic pre-activation `z` (see [`Template`]); empty in every expression that
    /// is written as a row directly.
    pub(crate) z: Vec<Chain>,
}

/// One use of the symbolic `z` in a [`Lin`]: the factors the coefficients of `z` were multiplied by,
/// in the order they were applied. Replaying them on each real coefficient reproduces, bit for bit,
/// the numbers that lowering the real `z` computes, because floating-point products are evaluated in
/// exactly the same order.
pub(crate) type Chain = Vec<f64>;

/// The value `chain` gives the coefficient `x` of `z`.
#[inline]
fn replay(chain: &[f64], x: f64) -> f64 {
    chain.iter().fold(x, |v, &c| c * v)
}

impl Lin {
    /// The variable in column `j`.
    pub fn var(j: usize) -> Lin {
        Lin { terms: vec![(j, 1.0)], constant: 0.0, z: Vec::new() }
    }

    /// The constant `c`.
    pub fn constant(c: f64) -> Lin {
        Lin { terms: Vec::new(), constant: c, z: Vec::new() }
    }

    /// `self + c·other`. Terms on the same column are merged only when the expression is written
    /// as a row ([`Lin::canonical`]), which keeps building cheap.
    pub fn add_scaled(mut self, c: f64, other: &Lin) -> Lin {
        self.terms.extend(other.terms.iter().map(|&(j, v)| (j, c * v)));
        self.constant += c * other.constant;
        self.z.extend(other.z.iter().map(|chain| chain.iter().copied().chain([c]).collect::<Chain>()));
        self
    }

    /// The terms sorted by column with repeated columns summed and zeros dropped. Most rows are
    /// already sorted (filter columns, then the activation's), so this is one pass in the usual case.
    pub fn canonical(&self) -> std::borrow::Cow<'_, [(usize, f64)]> {
        debug_assert!(self.z.is_empty(), "a symbolic expression has no single canonical form");
        let sorted = self.terms.windows(2).all(|w| w[0].0 < w[1].0);
        if sorted && self.terms.iter().all(|t| t.1 != 0.0) {
            return std::borrow::Cow::Borrowed(&self.terms);
        }
        let mut terms = self.terms.clone();
        terms.sort_by_key(|t| t.0);
        let mut merged: Vec<(usize, f64)> = Vec::with_capacity(terms.len());
        for (j, v) in terms {
            match merged.last_mut() {
                Some(last) if last.0 == j => last.1 += v,
                _ => merged.push((j, v)),
            }
        }
        merged.retain(|t| t.1 != 0.0);
        std::borrow::Cow::Owned(merged)
    }

    /// `c·self`.
    pub fn scaled(&self, c: f64) -> Lin {
        Lin::default().add_scaled(c, self)
    }

    /// `self + other`.
    pub fn plus(&self, other: &Lin) -> Lin {
        self.clone().add_scaled(1.0, other)
    }

    /// `self − other`.
    pub fn minus(&self, other: &Lin) -> Lin {
        self.clone().add_scaled(-1.0, other)
    }
}

/// The kinds of cone, in the order their rows are stacked (zero, non-negative, second-order,
/// exponential, power — the order CVXPY stuffs them in, which keeps like rows together).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// Equalities.
    Zero,
    /// Inequalities.
    Nonneg,
    /// Second-order cones.
    Soc,
    /// Exponential cones.
    Exp,
    /// Power cones.
    Pow,
}

/// A block of rows of one section that stems from one model element (e.g. "the sample
/// constraints" or "relu's epigraph rows"), built row by row.
#[derive(Debug)]
pub struct RowGroup {
    /// Which cones the rows belong to.
    pub section: Section,
    /// Its name in the printed program.
    pub name: String,
    /// The axes its items are indexed by; rows per item are derived when the group is closed.
    pub axes: Vec<(&'static str, usize)>,
    /// The rows.
    pub rows: RowBuilder,
    /// The cones of a second-order, exponential or power section, in row order.
    pub cones: Vec<Cone>,
    /// When set, rows are recorded here as a [`Template`]'s rows instead of being written.
    pub(crate) recorded: Option<Vec<TemplateRow>>,
}

impl RowGroup {
    /// An empty group.
    pub fn new(section: Section, name: impl Into<String>, axes: Vec<(&'static str, usize)>) -> Self {
        RowGroup {
            section,
            name: name.into(),
            axes,
            rows: RowBuilder::new(),
            cones: Vec::new(),
            recorded: None,
        }
    }

    /// Adds the row `s = lin` (so `s = b − A x` with `b = constant`, `A = −terms`).
    pub fn push(&mut self, lin: &Lin) {
        if let Some(recorded) = &mut self.recorded {
            recorded.push(TemplateRow::of(lin));
            return;
        }
        for &(j, v) in lin.canonical().iter() {
            self.rows.push_entry(j, -v);
        }
        self.rows.end_row(lin.constant);
    }

    /// Adds the cone `(lins…) ∈ cone` (for second-order, exponential and power sections).
    pub fn push_cone(&mut self, cone: Cone, lins: &[Lin]) {
        debug_assert_eq!(cone.dim(), lins.len());
        for l in lins {
            self.push(l);
        }
        self.cones.push(cone);
    }

    /// The IR block describing this group, starting at row `start`.
    pub fn block(&self, start: usize) -> Block {
        self.block_of(start, self.rows.rows())
    }

    /// The IR block describing this group with `rows` rows (written elsewhere than in
    /// [`RowGroup::rows`]), starting at row `start`.
    pub(crate) fn block_of(&self, start: usize, rows: usize) -> Block {
        let items: usize = self.axes.iter().map(|a| a.1).product();
        let width = rows.checked_div(items).map_or(1, |w| w.max(1));
        Block::array(self.name.clone(), start, &self.axes, width)
    }
}

/// A row recorded while lowering an activation on the symbolic `z`.
#[derive(Clone, Debug)]
pub(crate) struct TemplateRow {
    /// The terms in the item's own columns (numbered from 0), in canonical form: they do not depend
    /// on the data, so they are sorted, merged and cleared of zeros once.
    terms: Vec<(usize, f64)>,
    /// The uses of `z`, in the order they occur in the row.
    z: Vec<Chain>,
    /// The constant.
    constant: f64,
}

impl TemplateRow {
    fn of(lin: &Lin) -> Self {
        let own = Lin { terms: lin.terms.clone(), constant: lin.constant, z: Vec::new() };
        TemplateRow { terms: own.canonical().into_owned(), z: lin.z.clone(), constant: lin.constant }
    }

    /// The most entries an item's copy of the row has when `z` has `z_len` terms.
    pub(crate) fn entries_at_most(&self, z_len: usize) -> usize {
        self.terms.len() + if self.z.is_empty() { 0 } else { z_len }
    }

    /// The right-hand side.
    pub(crate) fn constant(&self) -> f64 {
        self.constant
    }

    /// Passes one item's copy of the row to `emit(column, coefficient)`: `z` are (some of) the
    /// item's real `z` terms, sorted by column and all before `first`, the item's first own column.
    /// The entries are the ones [`RowGroup::push`] writes for the row lowered with the real `z`: the
    /// columns of `z` first, each the sum (left to right) of its uses' replayed coefficients, then the
    /// item's own columns. Zeros are passed too; the receiver drops them as `push` does.
    #[inline]
    pub(crate) fn stamp(&self, z: &[(usize, f64)], first: usize, mut emit: impl FnMut(usize, f64)) {
        match self.z.as_slice() {
            [] => {}
            [chain] => {
                for &(j, x) in z {
                    emit(j, -replay(chain, x));
                }
            }
            [head, rest @ ..] => {
                for &(j, x) in z {
                    let v = rest.iter().fold(replay(head, x), |v, chain| v + replay(chain, x));
                    emit(j, -v);
                }
            }
        }
        for &(j, v) in &self.terms {
            emit(first + j, -v);
        }
    }
}

/// An activation's cone form lowered once on a symbolic `z`, to be stamped out for every sample,
/// filter and patch. Lowering an item is then a replay of a few multiplications per coefficient of
/// `z` instead of building, sorting and merging expressions item by item, and the rows per item are
/// known in advance, so the row buffers can be sized exactly.
///
/// The stamped rows equal those of lowering each item on its own because the activation's rules
/// never look at coefficients: they only scale and add expressions, so each coefficient of `z` goes
/// through the same products in every item (the [`Chain`]s), and the item's own columns get the same
/// data-free coefficients. This holds as long as the columns of `z` come before the item's own
/// columns, which is how lowering lays out the columns.
#[derive(Debug)]
pub(crate) struct Template {
    /// Per section (zero, non-negative, second-order, exponential, power): the rows and the cones
    /// of one item.
    pub(crate) groups: Vec<(Vec<TemplateRow>, Vec<Cone>)>,
    /// The bound `t` on the activation, symbolic in `z` and the item's own columns.
    pub(crate) t: Lin,
    /// How many columns of its own each item takes.
    pub(crate) width: usize,
}

impl Template {
    /// The symbolic `z`: one use, multiplied by nothing yet. Its constant is that of the real `z`.
    pub(crate) fn symbolic_z() -> Lin {
        Lin { terms: Vec::new(), constant: 0.0, z: vec![Vec::new()] }
    }

    /// Writes the item's bound `t` into `out`, with its terms in the order that lowering the item on
    /// its own would produce for each column (only that order matters when `t` is added to a row).
    #[inline]
    pub(crate) fn t_into(&self, z: &[(usize, f64)], first: usize, out: &mut Lin) {
        out.terms.clear();
        for chain in &self.t.z {
            out.terms.extend(z.iter().map(|&(j, x)| (j, replay(chain, x))));
        }
        out.terms.extend(self.t.terms.iter().map(|&(j, v)| (first + j, v)));
        out.constant = self.t.constant;
    }
}

/// Hands out columns one at a time.
#[derive(Debug, Default)]
pub struct Columns {
    next: usize,
}

impl Columns {
    /// An allocator whose next column is `start`.
    pub fn starting_at(start: usize) -> Self {
        Columns { next: start }
    }

    /// A fresh column.
    pub fn fresh(&mut self) -> usize {
        self.next += 1;
        self.next - 1
    }

    /// The column the next call to [`Columns::fresh`] returns.
    pub fn next(&self) -> usize {
        self.next
    }
}
