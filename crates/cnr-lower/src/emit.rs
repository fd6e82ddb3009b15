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
}

impl Lin {
    /// The variable in column `j`.
    pub fn var(j: usize) -> Lin {
        Lin { terms: vec![(j, 1.0)], constant: 0.0 }
    }

    /// The constant `c`.
    pub fn constant(c: f64) -> Lin {
        Lin { terms: Vec::new(), constant: c }
    }

    /// `self + c·other`. Terms on the same column are merged only when the expression is written
    /// as a row ([`Lin::canonical`]), which keeps building cheap.
    pub fn add_scaled(mut self, c: f64, other: &Lin) -> Lin {
        self.terms.extend(other.terms.iter().map(|&(j, v)| (j, c * v)));
        self.constant += c * other.constant;
        self
    }

    /// The terms sorted by column with repeated columns summed and zeros dropped. Most rows are
    /// already sorted (filter columns, then the activation's), so this is one pass in the usual case.
    pub fn canonical(&self) -> std::borrow::Cow<'_, [(usize, f64)]> {
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
}

impl RowGroup {
    /// An empty group.
    pub fn new(section: Section, name: impl Into<String>, axes: Vec<(&'static str, usize)>) -> Self {
        RowGroup { section, name: name.into(), axes, rows: RowBuilder::new(), cones: Vec::new() }
    }

    /// Adds the row `s = lin` (so `s = b − A x` with `b = constant`, `A = −terms`).
    pub fn push(&mut self, lin: &Lin) {
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
        let items: usize = self.axes.iter().map(|a| a.1).product();
        let width = if items == 0 { 1 } else { (self.rows.rows() / items).max(1) };
        Block::array(self.name.clone(), start, &self.axes, width)
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
