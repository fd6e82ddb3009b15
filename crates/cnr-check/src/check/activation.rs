//! Activation statements: from the written `activation` (a built-in's name with its parameters,
//! or a user's definition) to a typed [`Activation`], with the DCP rules checked on the way and a
//! diagnostic for every expression they refuse.

use crate::activation::{
    add_curvature, argument_bound, atom_named, builtin_names, flip, times, Activation, Curvature, Expr,
    Monotonicity, ATOMS,
};
use cnr_syntax::ast::{self, BinOp, ExprKind};
use cnr_syntax::{suggest, Diagnostic, Span};

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

/// Resolves `activation NAME(args)` to a built-in.
pub(super) fn builtin(
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
pub(super) fn defined(
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
}
