//! The cone forms of the activations: one module per atom, and the walk that composes them for
//! user-defined activations.
//!
//! Every atom module exposes `epigraph(z, cols, rows) -> Lin`: given an affine `z`, it adds columns
//! and rows such that the returned affine expression `t` satisfies `t ≥ σ(z)` for every feasible
//! point, and `t = σ(z)` is attainable. Minimising `t` over the rows therefore gives `σ(z)` — the
//! property the tests check for every atom.

mod abs;
mod elu;
mod exp;
mod huber;
mod leaky_relu;
mod max;
mod power;
mod relu;
mod softplus;
mod square;
mod squared_relu;

use crate::emit::{Columns, Lin, RowGroup, Section, Template};
use cnr_check::activation::{argument_bound, ArgBound, Atom, Expr};

/// The rows an activation's cone forms add, one group per section.
#[derive(Debug)]
pub struct ActivationRows {
    /// Groups in section order: zero, nonneg, soc, exp, pow.
    pub groups: Vec<RowGroup>,
}

impl ActivationRows {
    /// Empty groups named after the activation, indexed by `axes`.
    pub fn new(activation: &str, axes: Vec<(&'static str, usize)>) -> Self {
        let groups = [
            (Section::Zero, "equalities"),
            (Section::Nonneg, "inequalities"),
            (Section::Soc, "second-order cones"),
            (Section::Exp, "exponential cones"),
            (Section::Pow, "power cones"),
        ]
        .into_iter()
        .map(|(s, what)| RowGroup::new(s, format!("{activation}: t ≥ σ(z), {what}"), axes.clone()))
        .collect();
        ActivationRows { groups }
    }

    /// The group of a section.
    pub fn group(&mut self, s: Section) -> &mut RowGroup {
        &mut self.groups[s as usize]
    }

    /// Adds `lin ≥ 0`.
    pub fn nonneg(&mut self, lin: &Lin) {
        self.group(Section::Nonneg).push(lin);
    }

    /// Adds `lin = 0`.
    pub fn zero(&mut self, lin: &Lin) {
        self.group(Section::Zero).push(lin);
    }
}

/// Lowers `t ≥ σ(z)` for the activation `expr` and returns `t` as an affine expression.
pub fn lower_activation(expr: &Expr, z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    bound(expr, z, Direction::Upper, cols, rows)
}

/// Lowers `t ≥ σ(z)` once on the symbolic `z`, for stamping out item by item.
pub(crate) fn template(expr: &Expr) -> Template {
    let mut cols = Columns::starting_at(0);
    let mut rows = ActivationRows::new("", vec![]);
    for g in &mut rows.groups {
        g.recorded = Some(Vec::new());
    }
    let t = lower_activation(expr, &Template::symbolic_z(), &mut cols, &mut rows);
    let groups = rows.groups.into_iter().map(|g| (g.recorded.unwrap_or_default(), g.cones)).collect();
    Template { groups, t, width: cols.next() }
}

/// Whether lowering needs an affine upper bound of a convex expression (its epigraph) or a lower
/// bound of a concave one (its hypograph). The DCP check guarantees these are the only two cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Upper,
    Lower,
}

fn bound(expr: &Expr, z: &Lin, dir: Direction, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    if let Some((a, b)) = expr.as_affine() {
        return z.scaled(a).add_scaled(1.0, &Lin::constant(b));
    }
    match expr {
        Expr::Z | Expr::Const(_) => unreachable!("affine expressions were handled above"),
        Expr::Scale(c, e) => {
            let d = if *c >= 0.0 { dir } else { flip(dir) };
            bound(e, z, d, cols, rows).scaled(*c)
        }
        Expr::Sum(es) => {
            es.iter().fold(Lin::default(), |acc, e| acc.add_scaled(1.0, &bound(e, z, dir, cols, rows)))
        }
        Expr::Max(es) => {
            debug_assert_eq!(dir, Direction::Upper, "max is convex");
            let args: Vec<Lin> = es.iter().map(|e| bound(e, z, Direction::Upper, cols, rows)).collect();
            max::epigraph(&args, cols, rows)
        }
        Expr::Atom(atom, arg) => {
            debug_assert_eq!(dir, Direction::Upper, "atoms are convex");
            // The checker's composition rule says which bound of the argument the atom takes; the
            // bound can be tightened to the argument's value, so minimising the atom's epigraph
            // variable still gives σ.
            let inner_dir = match argument_bound(*atom, arg.curvature(), arg.sign()) {
                Some(ArgBound::Lower) => Direction::Lower,
                // `None` cannot come from a checked model, whose compositions are all convex.
                Some(ArgBound::Upper) | None => Direction::Upper,
            };
            let inner = bound(arg, z, inner_dir, cols, rows);
            atom_epigraph(*atom, &inner, cols, rows)
        }
    }
}

fn flip(d: Direction) -> Direction {
    match d {
        Direction::Upper => Direction::Lower,
        Direction::Lower => Direction::Upper,
    }
}

/// The one place that maps an atom to its cone form.
pub fn atom_epigraph(atom: Atom, z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    match atom {
        Atom::Relu => relu::epigraph(z, cols, rows),
        Atom::LeakyRelu(a) => leaky_relu::epigraph(a, z, cols, rows),
        Atom::Abs => abs::epigraph(z, cols, rows),
        Atom::Square => square::epigraph(z, cols, rows),
        Atom::SquaredRelu => squared_relu::epigraph(z, cols, rows),
        Atom::Power(p) => power::epigraph(p, z, cols, rows),
        Atom::Exp => exp::epigraph(z, cols, rows),
        Atom::Softplus => softplus::epigraph(z, cols, rows),
        Atom::Elu(a) => elu::epigraph(a, z, cols, rows),
        Atom::Huber(delta) => huber::epigraph(delta, z, cols, rows),
    }
}
