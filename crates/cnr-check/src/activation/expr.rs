//! The typed activation: an expression in `z` over the atoms, with what the DCP rules can prove
//! of it (its sign and curvature) and the one composition rule that the checker accepts by and
//! lowering bounds arguments by.

use super::{Atom, ConeClass, Monotonicity};

/// A checked activation expression in the variable `z`.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// The variable `z`.
    Z,
    /// A constant.
    Const(f64),
    /// `c · e`.
    Scale(f64, Box<Expr>),
    /// `e₁ + e₂ + …`.
    Sum(Vec<Expr>),
    /// `max(e₁, e₂, …)`.
    Max(Vec<Expr>),
    /// An atom applied to an expression.
    Atom(Atom, Box<Expr>),
}

/// The curvature of an expression under the DCP rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curvature {
    /// Constant.
    Constant,
    /// Affine in `z`.
    Affine,
    /// Convex.
    Convex,
    /// Concave.
    Concave,
}

/// The sign of an expression, as far as the rules can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// Always ≥ 0.
    Nonneg,
    /// Always ≤ 0.
    Nonpos,
    /// Unknown.
    Unknown,
}

impl Expr {
    /// The expression's value at `z`.
    pub fn eval(&self, z: f64) -> f64 {
        match self {
            Expr::Z => z,
            Expr::Const(c) => *c,
            Expr::Scale(c, e) => c * e.eval(z),
            Expr::Sum(es) => es.iter().map(|e| e.eval(z)).sum(),
            Expr::Max(es) => es.iter().map(|e| e.eval(z)).fold(f64::NEG_INFINITY, f64::max),
            Expr::Atom(a, e) => a.eval(e.eval(z)),
        }
    }

    /// The expression's value at `z` and a slope there: a subgradient where the expression is
    /// convex, a supergradient where it is concave. The chain rule over the atoms' own slopes gives
    /// one for every expression the DCP rules accept (a convex non-decreasing atom of a convex
    /// argument, a convex non-increasing one of a concave argument, any atom of an affine one), and
    /// `max` takes the slope of an argument that attains it.
    pub fn value_and_slope(&self, z: f64) -> (f64, f64) {
        match self {
            Expr::Z => (z, 1.0),
            Expr::Const(c) => (*c, 0.0),
            Expr::Scale(c, e) => {
                let (v, s) = e.value_and_slope(z);
                (c * v, c * s)
            }
            Expr::Sum(es) => {
                es.iter().map(|e| e.value_and_slope(z)).fold((0.0, 0.0), |(v, s), (a, b)| (v + a, s + b))
            }
            Expr::Max(es) => es
                .iter()
                .map(|e| e.value_and_slope(z))
                .fold((f64::NEG_INFINITY, 0.0), |best, next| if next.0 > best.0 { next } else { best }),
            Expr::Atom(a, e) => {
                let (v, s) = e.value_and_slope(z);
                (a.eval(v), a.slope(v) * s)
            }
        }
    }

    /// If the expression is affine, its `(slope, intercept)`.
    pub fn as_affine(&self) -> Option<(f64, f64)> {
        match self {
            Expr::Z => Some((1.0, 0.0)),
            Expr::Const(c) => Some((0.0, *c)),
            Expr::Scale(c, e) => e.as_affine().map(|(a, b)| (c * a, c * b)),
            Expr::Sum(es) => {
                es.iter().try_fold((0.0, 0.0), |(a, b), e| e.as_affine().map(|(x, y)| (a + x, b + y)))
            }
            Expr::Max(_) | Expr::Atom(..) => None,
        }
    }

    /// The sign the rules can prove.
    pub fn sign(&self) -> Sign {
        match self {
            Expr::Z => Sign::Unknown,
            Expr::Const(c) if *c >= 0.0 => Sign::Nonneg,
            Expr::Const(_) => Sign::Nonpos,
            Expr::Scale(c, e) => match (e.sign(), *c >= 0.0) {
                (Sign::Unknown, _) => Sign::Unknown,
                (s, true) => s,
                (Sign::Nonneg, false) => Sign::Nonpos,
                (Sign::Nonpos, false) => Sign::Nonneg,
            },
            // Each argument's sign is worked out once: asking twice per level made nested sums
            // exponential in their depth.
            Expr::Sum(es) => {
                let signs: Vec<Sign> = es.iter().map(Expr::sign).collect();
                if signs.iter().all(|s| *s == Sign::Nonneg) {
                    Sign::Nonneg
                } else if signs.iter().all(|s| *s == Sign::Nonpos) {
                    Sign::Nonpos
                } else {
                    Sign::Unknown
                }
            }
            Expr::Max(es) => {
                let signs: Vec<Sign> = es.iter().map(Expr::sign).collect();
                if signs.contains(&Sign::Nonneg) {
                    Sign::Nonneg
                } else if signs.iter().all(|s| *s == Sign::Nonpos) {
                    Sign::Nonpos
                } else {
                    Sign::Unknown
                }
            }
            Expr::Atom(a, _) if a.is_nonnegative() => Sign::Nonneg,
            Expr::Atom(..) => Sign::Unknown,
        }
    }

    /// The curvature of a checked expression, by the same rules the checker applied to it.
    pub fn curvature(&self) -> Curvature {
        match self {
            Expr::Z => Curvature::Affine,
            Expr::Const(_) => Curvature::Constant,
            Expr::Scale(c, e) => times(*c, e.curvature()),
            // A checked sum never mixes convex and concave terms.
            Expr::Sum(es) => es
                .iter()
                .map(Expr::curvature)
                .try_fold(Curvature::Constant, add_curvature)
                .unwrap_or(Curvature::Convex),
            Expr::Max(es) if es.iter().all(|e| e.curvature() == Curvature::Constant) => Curvature::Constant,
            Expr::Max(_) | Expr::Atom(..) => Curvature::Convex,
        }
    }

    /// The largest cone class any atom in the expression needs.
    pub fn cone_class(&self) -> ConeClass {
        match self {
            Expr::Z | Expr::Const(_) => ConeClass::Lp,
            Expr::Scale(_, e) => e.cone_class(),
            Expr::Sum(es) | Expr::Max(es) => es.iter().map(Expr::cone_class).max().unwrap_or(ConeClass::Lp),
            Expr::Atom(a, e) => a.cone_class().max(e.cone_class()),
        }
    }
}

/// A checked activation.
#[derive(Clone, Debug, PartialEq)]
pub struct Activation {
    /// The name shown in summaries: `relu`, `leaky_relu(0.2)`, or the user's name.
    pub name: String,
    /// The function as an expression in `z`.
    pub expr: Expr,
}

impl Activation {
    /// `σ(z)`.
    pub fn eval(&self, z: f64) -> f64 {
        self.expr.eval(z)
    }

    /// `σ(z)` and a subgradient of `σ` at `z` (σ is convex): the slope of a cutting plane through
    /// `(z, σ(z))` that stays below `σ` everywhere.
    pub fn value_and_slope(&self, z: f64) -> (f64, f64) {
        self.expr.value_and_slope(z)
    }

    /// Whether `σ(−z) = σ(z)`, tested at a spread of points. Even activations fit `w` and `−w`
    /// equally, so recovery is judged up to sign and the `auto` anchor is the spectral one.
    pub fn is_even(&self) -> bool {
        (1..=40).all(|k| {
            let z = 0.173 * k as f64;
            let (a, b) = (self.eval(z), self.eval(-z));
            (a - b).abs() <= 1e-12 * (1.0 + a.abs())
        })
    }

    /// The cones the relaxation needs for this activation.
    pub fn cone_class(&self) -> ConeClass {
        self.expr.cone_class()
    }
}

/// Which bound of its argument an atom's epigraph takes (see [`argument_bound`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgBound {
    /// An upper bound of a convex (or affine) argument, where the atom is non-decreasing.
    Upper,
    /// A lower bound of a concave argument, where the atom is non-increasing.
    Lower,
}

/// The one composition rule of disciplined convex programming, for `atom(arg)`: convex ∘ affine is
/// convex; convex non-decreasing ∘ convex is convex; convex non-increasing ∘ concave is convex. Even
/// atoms are non-decreasing for a non-negative argument and non-increasing for a non-positive one.
/// Returns the bound of the argument that the atom's epigraph takes, or `None` when the composition
/// is not convex. The checker accepts by it, and lowering bounds the argument by it.
pub fn argument_bound(atom: Atom, arg_curvature: Curvature, arg_sign: Sign) -> Option<ArgBound> {
    let increasing = atom.monotonicity() == Monotonicity::Increasing || arg_sign == Sign::Nonneg;
    let decreasing = atom.monotonicity() == Monotonicity::SignDependent && arg_sign == Sign::Nonpos;
    match arg_curvature {
        Curvature::Constant | Curvature::Affine => {
            Some(if decreasing { ArgBound::Lower } else { ArgBound::Upper })
        }
        Curvature::Convex => increasing.then_some(ArgBound::Upper),
        Curvature::Concave => decreasing.then_some(ArgBound::Lower),
    }
}

/// The curvature of a sum of two terms, or `None` when one is convex and the other concave.
pub(crate) fn add_curvature(a: Curvature, b: Curvature) -> Option<Curvature> {
    use Curvature::*;
    match (a, b) {
        (Constant, c) | (c, Constant) => Some(c),
        (Affine, c) | (c, Affine) => Some(c),
        (Convex, Convex) => Some(Convex),
        (Concave, Concave) => Some(Concave),
        _ => None,
    }
}

/// The curvature of `−e` for an `e` of curvature `c`.
pub(crate) fn flip(c: Curvature) -> Curvature {
    match c {
        Curvature::Convex => Curvature::Concave,
        Curvature::Concave => Curvature::Convex,
        c => c,
    }
}

/// The curvature of `k·e` for an `e` of curvature `c`.
pub(crate) fn times(k: f64, c: Curvature) -> Curvature {
    if k < 0.0 {
        flip(c)
    } else if k == 0.0 {
        Curvature::Constant
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::ATOMS;

    /// Holds `σ(z') ≥ σ(z) + s·(z' − z)` (the slope makes a cutting plane) at a grid of pairs,
    /// kinks included, and the slope to the derivative where `σ` is smooth around `z`.
    fn assert_slopes(name: &str, sigma: &Activation) {
        let points: Vec<f64> = (-40..=40).map(|k| k as f64 * 0.125).collect();
        for &z in &points {
            let (v, s) = sigma.value_and_slope(z);
            assert!((v - sigma.eval(z)).abs() <= 1e-12 * (1.0 + v.abs()), "{name} value at {z}");
            for &other in &points {
                let below = v + s * (other - z);
                let at = sigma.eval(other);
                assert!(
                    below <= at + 1e-9 * (1.0 + at.abs()),
                    "{name}: the cut at {z} cuts {other} off ({below} > {at})"
                );
            }
            let h = 1e-6;
            let (left, right) = ((v - sigma.eval(z - h)) / h, (sigma.eval(z + h) - v) / h);
            if (left - right).abs() < 1e-4 * (1.0 + left.abs()) {
                assert!(
                    (s - right).abs() < 1e-4 * (1.0 + s.abs()),
                    "{name}: slope {s} at {z}, derivative {right}"
                );
            }
        }
    }

    #[test]
    fn every_atom_and_composition_has_slopes_that_make_cutting_planes() {
        for spec in ATOMS {
            for &p in spec.test_params {
                let atom = (spec.make)(p);
                let sigma = Activation { name: spec.name.into(), expr: Expr::Atom(atom, Box::new(Expr::Z)) };
                assert_slopes(spec.name, &sigma);
            }
        }
        let affine = |a: f64, b: f64| Expr::Sum(vec![Expr::Scale(a, Box::new(Expr::Z)), Expr::Const(b)]);
        let compositions = [
            (
                "max of affine pieces",
                Expr::Max(vec![affine(0.5, 0.0), affine(2.0, -1.0), affine(-1.0, -0.5)]),
            ),
            ("exp of relu", Expr::Atom(Atom::Exp, Box::new(Expr::Atom(Atom::Relu, Box::new(Expr::Z))))),
            (
                "softplus of an affine argument plus a scaled huber",
                Expr::Sum(vec![
                    Expr::Atom(Atom::Softplus, Box::new(affine(2.0, -1.0))),
                    Expr::Scale(0.5, Box::new(Expr::Atom(Atom::Huber(1.0), Box::new(Expr::Z)))),
                ]),
            ),
            ("square of an affine argument", Expr::Atom(Atom::Square, Box::new(affine(1.5, -0.5)))),
            (
                "a negative multiple of a concave expression",
                Expr::Scale(
                    -2.0,
                    Box::new(Expr::Sum(vec![
                        Expr::Const(1.0),
                        Expr::Scale(-1.0, Box::new(Expr::Atom(Atom::Abs, Box::new(Expr::Z)))),
                    ])),
                ),
            ),
        ];
        for (name, expr) in compositions {
            assert_slopes(name, &Activation { name: name.into(), expr });
        }
    }

    #[test]
    fn every_atom_is_even_exactly_when_it_is_not_monotone() {
        // Evenness is decided once, by `Activation::is_even`; the table's monotonicity must agree.
        for spec in ATOMS {
            for &p in spec.test_params {
                let atom = (spec.make)(p);
                let a = Activation { name: spec.name.into(), expr: Expr::Atom(atom, Box::new(Expr::Z)) };
                assert_eq!(a.is_even(), spec.monotonicity == Monotonicity::SignDependent, "{}", spec.name);
            }
        }
    }

    #[test]
    fn evenness_is_detected() {
        let even = Activation { name: "h".into(), expr: Expr::Atom(Atom::Huber(1.0), Box::new(Expr::Z)) };
        let odd = Activation { name: "r".into(), expr: Expr::Atom(Atom::Relu, Box::new(Expr::Z)) };
        assert!(even.is_even());
        assert!(!odd.is_even());
    }
}
