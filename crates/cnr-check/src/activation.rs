//! Activations: the atoms and their properties for the rules of disciplined convex programming
//! (DCP), their numeric evaluation, and (in `expr`) the typed expression every activation is. The
//! checker that turns a written expression into a typed one is `check::activation`.
//!
//! Every activation, built-in or user-defined, is an [`Expr`] in the variable `z`: `relu` is
//! `Atom(Relu, z)`, `max_affine((a, b), …)` is `Max([a·z + b, …])`. Lowering reads the tree; the
//! cone form of each atom lives in its own module of `cnr-lower`.

mod expr;

pub(crate) use expr::{add_curvature, flip, times};
pub use expr::{argument_bound, Activation, ArgBound, Curvature, Expr, Sign};

/// A scalar convex function with a known cone form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Atom {
    /// `max(z, 0)`.
    Relu,
    /// `max(z, a·z)`, `0 ≤ a ≤ 1`.
    LeakyRelu(f64),
    /// `|z|`.
    Abs,
    /// `z²`.
    Square,
    /// `max(z, 0)²`.
    SquaredRelu,
    /// `|z|^p`, `p ≥ 1`.
    Power(f64),
    /// `e^z`.
    Exp,
    /// `log(1 + e^z)`.
    Softplus,
    /// `z` if `z > 0`, else `a(e^z − 1)`; `0 < a ≤ 1`.
    Elu(f64),
    /// `z²/2` if `|z| ≤ δ`, else `δ(|z| − δ/2)`; `δ > 0`.
    Huber(f64),
}

/// How an atom's value moves with its argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monotonicity {
    /// Non-decreasing everywhere.
    Increasing,
    /// Non-decreasing where the argument is ≥ 0 and non-increasing where it is ≤ 0 (even atoms).
    SignDependent,
}

/// Which cones a cone form needs; the class of an activation is the largest its atoms need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConeClass {
    /// Linear rows only.
    Lp,
    /// Second-order cones.
    Soc,
    /// Exponential cones.
    Exp,
    /// Power cones.
    Pow,
}

impl ConeClass {
    /// `LP`, `SOC`, `EXP` or `POW`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConeClass::Lp => "LP",
            ConeClass::Soc => "SOC",
            ConeClass::Exp => "EXP",
            ConeClass::Pow => "POW",
        }
    }
}

/// The parameter of an atom: what it is, an example value, its valid range and what to say when a
/// value is outside it.
#[derive(Debug)]
pub struct Param {
    /// Its symbol, as the docs write the atom: `a` in `leaky_relu(a)`.
    pub symbol: &'static str,
    /// What the parameter is, for messages: `the slope a for z < 0`.
    pub what: &'static str,
    /// A typical value, as written in examples: `0.2`.
    pub example: &'static str,
    /// The range as the docs' table writes it: `0 ≤ a ≤ 1`.
    pub range: &'static str,
    /// Whether a value is in the range.
    pub valid: fn(f64) -> bool,
    /// The message for a value outside it.
    pub invalid: &'static str,
}

/// One atom: everything the checker, the docs and lowering need to know about it, in one place.
/// Adding a built-in atom is one entry here (with its [`Atom`] variant) and one cone-form module in
/// `cnr-lower/src/activations/` (with its arm in `atom_epigraph`); the tests walk this table.
#[derive(Debug)]
pub struct AtomSpec {
    /// The name as written in a model.
    pub name: &'static str,
    /// The function, as the docs' table writes it.
    pub formula: &'static str,
    /// The parameter, if the atom has one.
    pub param: Option<Param>,
    /// The atom with the parameter `p` (ignored without a parameter).
    pub make: fn(f64) -> Atom,
    /// How it moves with its argument (every atom is convex).
    pub monotonicity: Monotonicity,
    /// Whether its value is never negative.
    pub nonnegative: bool,
    /// The cones its cone form needs, for the parameter `p`.
    pub cone_class: fn(f64) -> ConeClass,
    /// Its value at `z` for the parameter `p`.
    pub eval: fn(f64, f64) -> f64,
    /// A subgradient at `z` for the parameter `p`: the derivative where there is one, and at a
    /// kink a slope between the two sides (what a cutting plane through `(z, σ(z))` may use).
    pub slope: fn(f64, f64) -> f64,
    /// Parameter values the tests try (one value, ignored, without a parameter).
    pub test_params: &'static [f64],
    /// The module of `cnr-lower/src/activations/` that writes its cone form.
    pub cone_form: &'static str,
}

/// Every atom, in the order of the docs' table.
pub const ATOMS: &[AtomSpec] = &[
    AtomSpec {
        name: "relu",
        formula: "max(z, 0)",
        param: None,
        make: |_| Atom::Relu,
        monotonicity: Monotonicity::Increasing,
        nonnegative: true,
        cone_class: |_| ConeClass::Lp,
        eval: |_, z| z.max(0.0),
        slope: |_, z| if z > 0.0 { 1.0 } else { 0.0 },
        test_params: &[0.0],
        cone_form: "relu",
    },
    AtomSpec {
        name: "leaky_relu",
        formula: "max(z, a·z)",
        param: Some(Param {
            symbol: "a",
            what: "the slope a for z < 0",
            example: "0.2",
            range: "0 ≤ a ≤ 1",
            valid: |a| (0.0..=1.0).contains(&a),
            invalid: "leaky_relu needs 0 ≤ a ≤ 1 to be convex",
        }),
        make: Atom::LeakyRelu,
        monotonicity: Monotonicity::Increasing,
        nonnegative: false,
        cone_class: |_| ConeClass::Lp,
        eval: |a, z| z.max(a * z),
        slope: |a, z| if z > 0.0 { 1.0 } else { a },
        test_params: &[0.2, 0.0],
        cone_form: "leaky_relu",
    },
    AtomSpec {
        name: "abs",
        formula: "\\|z\\|",
        param: None,
        make: |_| Atom::Abs,
        monotonicity: Monotonicity::SignDependent,
        nonnegative: true,
        cone_class: |_| ConeClass::Lp,
        eval: |_, z| z.abs(),
        slope: |_, z| {
            if z > 0.0 {
                1.0
            } else if z < 0.0 {
                -1.0
            } else {
                0.0
            }
        },
        test_params: &[0.0],
        cone_form: "abs",
    },
    AtomSpec {
        name: "square",
        formula: "z²",
        param: None,
        make: |_| Atom::Square,
        monotonicity: Monotonicity::SignDependent,
        nonnegative: true,
        cone_class: |_| ConeClass::Soc,
        eval: |_, z| z * z,
        slope: |_, z| 2.0 * z,
        test_params: &[0.0],
        cone_form: "square",
    },
    AtomSpec {
        name: "squared_relu",
        formula: "max(z, 0)²",
        param: None,
        make: |_| Atom::SquaredRelu,
        monotonicity: Monotonicity::Increasing,
        nonnegative: true,
        cone_class: |_| ConeClass::Soc,
        eval: |_, z| z.max(0.0).powi(2),
        slope: |_, z| 2.0 * z.max(0.0),
        test_params: &[0.0],
        cone_form: "squared_relu",
    },
    AtomSpec {
        name: "power",
        formula: "\\|z\\|^p",
        param: Some(Param {
            symbol: "p",
            what: "the exponent p",
            example: "3",
            range: "p ≥ 1",
            valid: |p| p >= 1.0 && p.is_finite(),
            invalid: "power(p) = |z|^p is convex only for p ≥ 1",
        }),
        make: Atom::Power,
        monotonicity: Monotonicity::SignDependent,
        nonnegative: true,
        // |z|^1 is abs, which lowering writes with linear rows.
        cone_class: |p| if p == 1.0 { ConeClass::Lp } else { ConeClass::Pow },
        eval: |p, z| z.abs().powf(p),
        slope: |p, z| if z == 0.0 { 0.0 } else { p * z.abs().powf(p - 1.0) * z.signum() },
        test_params: &[3.0, 1.5, 1.0],
        cone_form: "power",
    },
    AtomSpec {
        name: "exp",
        formula: "e^z",
        param: None,
        make: |_| Atom::Exp,
        monotonicity: Monotonicity::Increasing,
        nonnegative: true,
        cone_class: |_| ConeClass::Exp,
        eval: |_, z| z.exp(),
        slope: |_, z| z.exp(),
        test_params: &[0.0],
        cone_form: "exp",
    },
    AtomSpec {
        name: "softplus",
        formula: "log(1 + e^z)",
        param: None,
        make: |_| Atom::Softplus,
        monotonicity: Monotonicity::Increasing,
        nonnegative: true,
        cone_class: |_| ConeClass::Exp,
        // log(1 + e^z) computed without overflow for large z.
        eval: |_, z| z.max(0.0) + (-z.abs()).exp().ln_1p(),
        slope: |_, z| if z >= 0.0 { 1.0 / (1.0 + (-z).exp()) } else { z.exp() / (1.0 + z.exp()) },
        test_params: &[0.0],
        cone_form: "softplus",
    },
    AtomSpec {
        name: "elu",
        formula: "z if z > 0, else a(e^z − 1)",
        param: Some(Param {
            symbol: "a",
            what: "the scale a",
            example: "0.5",
            range: "0 < a ≤ 1",
            valid: |a| a > 0.0 && a <= 1.0,
            invalid: "elu needs 0 < a ≤ 1 to be convex",
        }),
        make: Atom::Elu,
        monotonicity: Monotonicity::Increasing,
        nonnegative: false,
        cone_class: |_| ConeClass::Exp,
        eval: |a, z| if z > 0.0 { z } else { a * z.exp_m1() },
        slope: |a, z| if z > 0.0 { 1.0 } else { a * z.exp() },
        test_params: &[0.5, 1.0],
        cone_form: "elu",
    },
    AtomSpec {
        name: "huber",
        formula: "z²/2 if \\|z\\| ≤ δ, else δ(\\|z\\| − δ/2)",
        param: Some(Param {
            symbol: "δ",
            what: "the threshold δ",
            example: "1.0",
            range: "δ > 0",
            valid: |d| d > 0.0 && d.is_finite(),
            invalid: "huber needs δ > 0",
        }),
        make: Atom::Huber,
        monotonicity: Monotonicity::SignDependent,
        nonnegative: true,
        cone_class: |_| ConeClass::Soc,
        eval: |d, z| if z.abs() <= d { 0.5 * z * z } else { d * (z.abs() - 0.5 * d) },
        slope: |d, z| if z.abs() <= d { z } else { d * z.signum() },
        test_params: &[1.0, 0.3],
        cone_form: "huber",
    },
];

/// The spec of the atom named `name`.
pub fn atom_named(name: &str) -> Option<&'static AtomSpec> {
    ATOMS.iter().find(|a| a.name == name)
}

/// The names of the built-in activations, for hints: the atoms, and `max_affine` (a built-in that
/// is not an atom: a `max` of affine pieces), listed after `abs` as in the docs' table.
pub fn builtin_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = ATOMS.iter().map(|a| a.name).collect();
    let after_abs = names.iter().position(|n| *n == "abs").map_or(names.len(), |k| k + 1);
    names.insert(after_abs, "max_affine");
    names
}

impl Atom {
    /// The atom's entry in [`ATOMS`], by its variant's place there: no search, since evaluation
    /// asks for it once per sample and patch.
    pub fn spec(self) -> &'static AtomSpec {
        let index = match self {
            Atom::Relu => 0,
            Atom::LeakyRelu(_) => 1,
            Atom::Abs => 2,
            Atom::Square => 3,
            Atom::SquaredRelu => 4,
            Atom::Power(_) => 5,
            Atom::Exp => 6,
            Atom::Softplus => 7,
            Atom::Elu(_) => 8,
            Atom::Huber(_) => 9,
        };
        &ATOMS[index]
    }

    /// The atom's parameter, if it has one.
    pub fn param(self) -> Option<f64> {
        match self {
            Atom::LeakyRelu(p) | Atom::Power(p) | Atom::Elu(p) | Atom::Huber(p) => Some(p),
            _ => None,
        }
    }

    /// The atom's value at `z`.
    pub fn eval(self, z: f64) -> f64 {
        (self.spec().eval)(self.param().unwrap_or(0.0), z)
    }

    /// A subgradient of the atom at `z` (see [`AtomSpec::slope`]).
    pub fn slope(self, z: f64) -> f64 {
        (self.spec().slope)(self.param().unwrap_or(0.0), z)
    }

    /// The atom's name as written in a model.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The atom as written, with its parameter: `leaky_relu(0.2)`.
    pub fn display(self) -> String {
        match self.param() {
            // Very large or small parameters in scientific notation, not hundreds of digits.
            Some(p) if p != 0.0 && !(1e-4..1e6).contains(&p.abs()) => format!("{}({p:e})", self.name()),
            Some(p) => format!("{}({p})", self.name()),
            None => self.name().to_string(),
        }
    }

    /// How the atom moves with its argument (all atoms are convex).
    pub fn monotonicity(self) -> Monotonicity {
        self.spec().monotonicity
    }

    /// Whether the atom's value is never negative.
    pub fn is_nonnegative(self) -> bool {
        self.spec().nonnegative
    }

    /// The cones its epigraph needs.
    pub fn cone_class(self) -> ConeClass {
        (self.spec().cone_class)(self.param().unwrap_or(0.0))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_atom_finds_its_own_entry() {
        // `Atom::spec` indexes the table by the variant: each entry's atom must lead back to it.
        for entry in ATOMS {
            let atom = (entry.make)(entry.test_params[0]);
            assert_eq!(atom.spec().name, entry.name);
            assert_eq!(ATOMS.iter().filter(|a| a.name == entry.name).count(), 1, "names are unique");
        }
    }

    use super::*;

    #[test]
    fn atoms_agree_with_their_definitions() {
        assert_eq!(Atom::Softplus.eval(0.0), 2f64.ln());
        assert!((Atom::Softplus.eval(800.0) - 800.0).abs() < 1e-9);
        assert_eq!(Atom::Huber(1.0).eval(3.0), 2.5);
        assert_eq!(Atom::Elu(0.5).eval(-1e9), -0.5);
        assert_eq!(Atom::Power(3.0).eval(-2.0), 8.0);
    }
}
