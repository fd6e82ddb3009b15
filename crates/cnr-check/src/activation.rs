//! Activations: the atoms, their properties for the rules of disciplined convex programming (DCP),
//! their numeric evaluation, and the checker that turns a written expression into a typed one.
//!
//! Every activation, built-in or user-defined, is an [`Expr`] in the variable `z`: `relu` is
//! `Atom(Relu, z)`, `max_affine((a, b), …)` is `Max([a·z + b, …])`. Lowering reads the tree; the
//! cone form of each atom lives in its own module of `cnr-lower`.

use cnr_syntax::ast::{self, BinOp, ExprKind};
use cnr_syntax::{suggest, Diagnostic, Span};

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

/// The names that may be called inside a user-defined activation: `max` and the atoms.
fn callable_names() -> Vec<&'static str> {
    std::iter::once("max").chain(ATOMS.iter().map(|a| a.name)).collect()
}

/// Functions users reach for that are not convex, with the reason.
const NON_CONVEX: &[(&str, &str)] = &[
    ("sigmoid", "the sigmoid is concave for z > 0"),
    ("tanh", "tanh is concave for z > 0"),
    ("gelu", "GELU dips below zero and is not convex"),
    ("silu", "SiLU (swish) is not convex"),
    ("swish", "swish is not convex"),
    ("log", "log is concave"),
    ("sqrt", "sqrt is concave"),
    ("sin", "sin is neither convex nor concave"),
    ("cos", "cos is neither convex nor concave"),
    ("min", "the minimum of functions is not convex"),
];

impl Atom {
    /// The atom's entry in [`ATOMS`].
    pub fn spec(self) -> &'static AtomSpec {
        let name = match self {
            Atom::Relu => "relu",
            Atom::LeakyRelu(_) => "leaky_relu",
            Atom::Abs => "abs",
            Atom::Square => "square",
            Atom::SquaredRelu => "squared_relu",
            Atom::Power(_) => "power",
            Atom::Exp => "exp",
            Atom::Softplus => "softplus",
            Atom::Elu(_) => "elu",
            Atom::Huber(_) => "huber",
        };
        atom_named(name).expect("every atom has an entry in ATOMS")
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

/// Resolves `activation NAME(args)` to a built-in.
pub(crate) fn builtin(
    name: &cnr_syntax::Spanned<String>,
    args: &Option<Vec<ast::ActArg>>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Activation> {
    let span = name.span;
    let n = name.node.as_str();
    let args_ref: &[ast::ActArg] = args.as_deref().unwrap_or(&[]);
    let numbers = || -> Option<Vec<(f64, Span)>> {
        args_ref
            .iter()
            .map(|a| match a {
                ast::ActArg::Number(x) => Some((x.node.value, x.span)),
                ast::ActArg::Piece(..) => None,
            })
            .collect()
    };
    let one_param = |diags: &mut Vec<Diagnostic>, pname: &str, example: &str| -> Option<(f64, Span)> {
        match numbers().as_deref() {
            Some([p]) => Some(*p),
            _ => {
                diags.push(
                    Diagnostic::error(span, format!("`{n}` takes one parameter, {pname}"))
                        .with_hint(format!("write it like `activation {example}`")),
                );
                None
            }
        }
    };
    let no_params = |diags: &mut Vec<Diagnostic>| {
        if !args_ref.is_empty() {
            diags.push(
                Diagnostic::error(args_ref[0].span(), format!("`{n}` takes no parameters"))
                    .with_label("not a parameter")
                    .with_hint(format!("write `activation {n}`")),
            );
        }
    };
    let range = |diags: &mut Vec<Diagnostic>, (v, s): (f64, Span), ok: bool, what: &str| -> Option<f64> {
        if ok {
            Some(v)
        } else {
            diags.push(Diagnostic::error(s, format!("{what}, found {v}")).with_label("out of range"));
            None
        }
    };
    let atom = match (atom_named(n), n) {
        (Some(spec), _) => match &spec.param {
            None => {
                no_params(diags);
                (spec.make)(0.0)
            }
            Some(param) => {
                let example = format!("{n}({})", param.example);
                let p = one_param(diags, param.what, &example)?;
                (spec.make)(range(diags, p, (param.valid)(p.0), param.invalid)?)
            }
        },
        (None, "max_affine") => {
            let mut pieces = Vec::new();
            for a in args_ref {
                match a {
                    ast::ActArg::Piece(s, b, _) => pieces.push(Expr::Sum(vec![
                        Expr::Scale(s.node.value, Box::new(Expr::Z)),
                        Expr::Const(b.node.value),
                    ])),
                    ast::ActArg::Number(x) => {
                        diags.push(
                            Diagnostic::error(
                                x.span,
                                "each piece of `max_affine` is a `(slope, intercept)` pair",
                            )
                            .with_hint("write it like `activation max_affine((0.1, 0), (1, 0), (3, -2))`"),
                        );
                        return None;
                    }
                }
            }
            if pieces.is_empty() {
                diags.push(
                    Diagnostic::error(span, "`max_affine` needs at least one `(slope, intercept)` piece")
                        .with_hint("write it like `activation max_affine((0.1, 0), (1, 0), (3, -2))`"),
                );
                return None;
            }
            // Literals as written, values computed from parameters as numbers.
            let shown = |n: &ast::Num| {
                if n.node.expr.is_some() {
                    n.node.value.to_string()
                } else {
                    n.node.text.clone()
                }
            };
            let text: Vec<String> = args_ref
                .iter()
                .map(|a| match a {
                    ast::ActArg::Piece(s, b, _) => format!("({}, {})", shown(s), shown(b)),
                    ast::ActArg::Number(x) => shown(x),
                })
                .collect();
            return Some(Activation {
                name: format!("max_affine({})", text.join(", ")),
                expr: Expr::Max(pieces),
            });
        }
        (None, other) => {
            let builtins = builtin_names();
            let d = match NON_CONVEX.iter().find(|(k, _)| *k == other) {
                Some((_, why)) => {
                    Diagnostic::error(span, format!("activation `{other}` is not convex: {why}"))
                        .with_label("not convex")
                        .with_hint(
                            "the relaxation needs a convex activation; built-ins: ".to_string()
                                + &builtins.join(", "),
                        )
                }
                None => Diagnostic::error(span, format!("unknown activation `{other}`"))
                    .with_label("unknown")
                    .with_hint(suggest(other, &builtins))
                    .with_hint("or define one: `activation mine(z) = max(0.1*z, z)`"),
            };
            diags.push(d);
            return None;
        }
    };
    Some(Activation { name: atom.display(), expr: Expr::Atom(atom, Box::new(Expr::Z)) })
}

/// Checks a user-defined activation `name(param) = body` by the DCP rules.
pub(crate) fn defined(
    name: &str,
    param: &str,
    body: &ast::Expr,
    diags: &mut Vec<Diagnostic>,
) -> Option<Activation> {
    let before = diags.len();
    let (expr, curv) = dcp(body, param, diags)?;
    if diags.len() > before {
        return None;
    }
    if !constants_are_finite(&expr) {
        diags.push(
            Diagnostic::error(
                body.span,
                format!("the constants of activation `{name}` overflow: arithmetic on them gives an infinite value"),
            )
            .with_label("not a finite function")
            .with_hint("keep constants and their products and sums well below 1e308"),
        );
        return None;
    }
    if curv == Curvature::Constant {
        diags.push(
            Diagnostic::error(
                body.span,
                format!("activation `{name}` is a constant, so the network's output does not depend on w"),
            )
            .with_label("constant")
            .with_hint(format!("write an expression in `{param}`, e.g. `max(0.1*{param}, {param})`")),
        );
        return None;
    }
    if curv == Curvature::Concave {
        diags.push(
            Diagnostic::error(body.span, format!("activation `{name}` is concave, not convex"))
                .with_label("concave")
                .with_hint("the relaxation needs a convex activation; a negative weight on a convex atom makes it concave"),
        );
        return None;
    }
    Some(Activation { name: name.to_string(), expr })
}

/// Whether every constant of a checked expression, and every sum of constants, is finite.
fn constants_are_finite(e: &Expr) -> bool {
    match e {
        Expr::Z => true,
        Expr::Const(c) => c.is_finite(),
        Expr::Scale(c, e) => c.is_finite() && constants_are_finite(e),
        Expr::Sum(es) => {
            let constant: f64 = es.iter().filter_map(|e| e.as_affine()).map(|(a, b)| a.abs() + b.abs()).sum();
            constant.is_finite() && es.iter().all(constants_are_finite)
        }
        Expr::Max(es) => es.iter().all(constants_are_finite),
        Expr::Atom(_, e) => constants_are_finite(e),
    }
}

fn text(e: &ast::Expr) -> String {
    cnr_syntax::format_expr(e)
}

/// Type-checks an expression and computes its curvature; `None` after pushing a diagnostic.
fn dcp(e: &ast::Expr, param: &str, diags: &mut Vec<Diagnostic>) -> Option<(Expr, Curvature)> {
    use Curvature::*;
    match &e.kind {
        // A literal that overflows is reported by the checker's scan of every number.
        ExprKind::Number(n) if !n.value.is_finite() => None,
        ExprKind::Number(n) => Some((Expr::Const(n.value), Constant)),
        ExprKind::Name(n) if n == param => Some((Expr::Z, Affine)),
        ExprKind::Name(n) => {
            diags.push(
                Diagnostic::error(e.span, format!("unknown name `{n}`")).with_label("unknown").with_hint(
                    format!("the activation's variable is `{param}`; constants are written as numbers"),
                ),
            );
            None
        }
        ExprKind::Paren(inner) => dcp(inner, param, diags),
        ExprKind::Neg(inner) => {
            let (x, c) = dcp(inner, param, diags)?;
            Some((scale(-1.0, x), flip(c)))
        }
        ExprKind::Binary(op, a, b) => {
            // Check both sides before giving up, so both sides' problems are reported.
            let left = dcp(a, param, diags);
            let right = dcp(b, param, diags);
            let ((x, cx), (y, cy)) = (left?, right?);
            match op {
                BinOp::Add | BinOp::Sub => {
                    let (y, cy) = if *op == BinOp::Sub { (scale(-1.0, y), flip(cy)) } else { (y, cy) };
                    let curv = match add_curvature(cx, cy) {
                        Some(c) => c,
                        None => {
                            diags.push(
                                Diagnostic::error(
                                    e.span,
                                    format!("`{}` adds a convex and a concave expression", text(e)),
                                )
                                .with_label("neither convex nor concave")
                                .with_hint("a sum is convex when every term is convex or affine"),
                            );
                            return None;
                        }
                    };
                    let mut terms = Vec::new();
                    for t in [x, y] {
                        match t {
                            Expr::Sum(ts) => terms.extend(ts),
                            t => terms.push(t),
                        }
                    }
                    let sum = Expr::Sum(terms);
                    // Fold sums of numbers, so that `(1 + 1)*z` is a product with a number.
                    if curv == Curvature::Constant {
                        return Some((Expr::Const(sum.eval(0.0)), curv));
                    }
                    Some((sum, curv))
                }
                BinOp::Mul => match (&x, &y) {
                    (Expr::Const(c), _) => Some((scale(*c, y), times(*c, cy))),
                    (_, Expr::Const(c)) => Some((scale(*c, x), times(*c, cx))),
                    _ => {
                        diags.push(
                            Diagnostic::error(e.span, format!("`{}` multiplies two expressions of `{param}`", text(e)))
                                .with_label("not DCP")
                                .with_hint("a product is allowed only when one side is a number; use `square` or `power` for powers"),
                        );
                        None
                    }
                },
                BinOp::Div => match &y {
                    Expr::Const(c) if *c != 0.0 => Some((scale(1.0 / c, x), times(1.0 / c, cx))),
                    Expr::Const(_) => {
                        diags.push(Diagnostic::error(b.span, "division by zero").with_label("zero"));
                        None
                    }
                    _ => {
                        diags.push(
                            Diagnostic::error(
                                b.span,
                                format!("dividing by `{}`, an expression of `{param}`, is not DCP", text(b)),
                            )
                            .with_label("not a number")
                            .with_hint("divide only by a number"),
                        );
                        None
                    }
                },
            }
        }
        ExprKind::Call(name, args) => call(e, name, args, param, diags),
    }
}

fn scale(c: f64, e: Expr) -> Expr {
    match e {
        Expr::Const(k) => Expr::Const(c * k),
        e if c == 1.0 => e,
        e => Expr::Scale(c, Box::new(e)),
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
fn add_curvature(a: Curvature, b: Curvature) -> Option<Curvature> {
    use Curvature::*;
    match (a, b) {
        (Constant, c) | (c, Constant) => Some(c),
        (Affine, c) | (c, Affine) => Some(c),
        (Convex, Convex) => Some(Convex),
        (Concave, Concave) => Some(Concave),
        _ => None,
    }
}

fn flip(c: Curvature) -> Curvature {
    match c {
        Curvature::Convex => Curvature::Concave,
        Curvature::Concave => Curvature::Convex,
        c => c,
    }
}

fn times(k: f64, c: Curvature) -> Curvature {
    if k < 0.0 {
        flip(c)
    } else if k == 0.0 {
        Curvature::Constant
    } else {
        c
    }
}

/// Checks `f(args)`: `max` of convex expressions, or an atom whose composition rule holds.
fn call(
    e: &ast::Expr,
    name: &cnr_syntax::Spanned<String>,
    args: &[ast::Expr],
    param: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Expr, Curvature)> {
    use Curvature::*;
    let f = name.node.as_str();
    if f == "max" {
        let checked: Vec<Option<(Expr, Curvature)>> = args.iter().map(|a| dcp(a, param, diags)).collect();
        let mut out = Vec::new();
        let mut curv = Constant;
        for (a, c) in args.iter().zip(checked) {
            let (x, cx) = c?;
            if cx == Concave {
                diags.push(
                    Diagnostic::error(
                        a.span,
                        format!("`{}` is concave, so `max` of it is not convex", text(a)),
                    )
                    .with_label("concave argument of max")
                    .with_hint("every argument of `max` must be convex or affine"),
                );
                return None;
            }
            curv = match (curv, cx) {
                (Constant, c) => c,
                (Affine, Constant) => Affine,
                (Affine, Affine) => Convex,
                _ => Convex,
            };
            out.push(x);
        }
        // max of affine pieces is convex (piecewise linear), unless there is only one piece.
        let curv = if out.len() == 1 {
            curv
        } else if curv == Constant {
            Constant
        } else {
            Convex
        };
        return Some((if out.len() == 1 { out.pop().expect("one piece") } else { Expr::Max(out) }, curv));
    }
    let Some(spec) = atom_named(f) else {
        let callable = callable_names();
        let d = match NON_CONVEX.iter().find(|(k, _)| *k == f) {
            Some((_, why)) => Diagnostic::error(name.span, format!("`{f}` is not convex: {why}"))
                .with_label("not convex")
                .with_hint("only convex atoms may appear: ".to_string() + &callable.join(", ")),
            None => Diagnostic::error(name.span, format!("unknown function `{f}`"))
                .with_label("unknown")
                .with_hint(suggest(f, &callable)),
        };
        diags.push(d);
        return None;
    };
    let params: Vec<String> = spec.param.iter().map(|p| format!("{f}(z, {})", p.example)).collect();
    if args.len() != 1 + params.len() {
        let usage = params.first().map_or(format!("{f}(z)"), String::clone);
        diags.push(
            Diagnostic::error(
                e.span,
                format!(
                    "`{f}` takes {} argument{}",
                    1 + params.len(),
                    if params.is_empty() { "" } else { "s" }
                ),
            )
            .with_hint(format!("write it like `{usage}`")),
        );
        return None;
    }
    let (inner, ci) = dcp(&args[0], param, diags)?;
    let mut value = None;
    if let Some(p) = args.get(1) {
        match dcp(p, param, diags)? {
            (Expr::Const(v), _) => value = Some((v, p.span)),
            _ => {
                diags.push(
                    Diagnostic::error(p.span, format!("the parameter of `{f}` must be a number"))
                        .with_label("not a number"),
                );
                return None;
            }
        }
    }
    let atom = match (&spec.param, value) {
        (Some(param), Some((v, at))) => {
            if !(param.valid)(v) {
                diags.push(
                    Diagnostic::error(at, format!("{}, found {v}", param.invalid)).with_label("out of range"),
                );
                return None;
            }
            (spec.make)(v)
        }
        _ => (spec.make)(0.0),
    };
    // The composition rule is `argument_bound`'s.
    if argument_bound(atom, ci, inner.sign()).is_none() {
        let (kind, need) = match ci {
            Convex => (
                "convex",
                if atom.monotonicity() == Monotonicity::Increasing { "" } else { "non-negative and " },
            ),
            _ => ("concave", ""),
        };
        let why = match atom.monotonicity() {
            Monotonicity::Increasing => format!("`{f}` is non-decreasing, so its argument must be convex or affine"),
            Monotonicity::SignDependent => format!(
                "`{f}` is not monotone, so its argument must be affine, {need}convex, or non-positive and concave"
            ),
        };
        diags.push(
            Diagnostic::error(args[0].span, format!("`{}` is {kind}, which `{f}` cannot take: {why}", text(&args[0])))
                .with_label(format!("{kind} argument"))
                .with_hint("rules of disciplined convex programming: convex ∘ affine, convex non-decreasing ∘ convex, convex non-increasing ∘ concave"),
        );
        return None;
    }
    Some((Expr::Atom(atom, Box::new(inner)), Convex))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_expr(src: &str) -> Result<Activation, Vec<Diagnostic>> {
        let file = cnr_syntax::parse(&format!("network {{ activation f(z) = {src} }}")).expect("parses");
        let cnr_syntax::ast::Item::Network(b) = &file.items[0] else { panic!("network") };
        let cnr_syntax::ast::NetStmt::Activation(ast::ActivationSpec::Defined { body, .. }) =
            &b.stmts[0].node
        else {
            panic!("definition")
        };
        let mut diags = Vec::new();
        defined("f", "z", body, &mut diags).ok_or(diags)
    }

    #[test]
    fn convex_compositions_are_accepted() {
        for src in [
            "max(0.1*z, z, 3*z - 2)",
            "relu(z) + 0.5*square(z)",
            "exp(relu(z))",
            "square(relu(z))",
            "abs(relu(z) + 1)",
            "square(-relu(z))",
            "softplus(2*z - 1)/2",
            "huber(z, 1) + z",
        ] {
            let a = check_expr(src).unwrap_or_else(|d| panic!("{src}: {:?}", d));
            assert!(a.eval(1.3).is_finite(), "{src}");
        }
    }

    #[test]
    fn non_convex_expressions_are_rejected_with_the_culprit() {
        for (src, culprit) in [
            ("-relu(z)", "concave"),
            ("sigmoid(z)", "not convex"),
            ("z*z", "multiplies"),
            ("exp(-relu(z))", "concave"),
            ("abs(relu(z) - 1)", "convex, which `abs`"),
            ("relu(z) - square(z)", "adds a convex and a concave"),
            ("max(z, -abs(z))", "concave"),
            ("y + 1", "unknown name"),
            ("leaky_relu(z, 2)", "0 ≤ a ≤ 1"),
        ] {
            let d = check_expr(src).expect_err(src);
            assert!(d.iter().any(|d| d.message.contains(culprit)), "{src}: {:?}", d);
        }
    }

    #[test]
    fn atoms_agree_with_their_definitions() {
        assert_eq!(Atom::Softplus.eval(0.0), 2f64.ln());
        assert!((Atom::Softplus.eval(800.0) - 800.0).abs() < 1e-9);
        assert_eq!(Atom::Huber(1.0).eval(3.0), 2.5);
        assert_eq!(Atom::Elu(0.5).eval(-1e9), -0.5);
        assert_eq!(Atom::Power(3.0).eval(-2.0), 8.0);
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
