//! Parameters: `param d = 16` names a number, and any value of the file may use it (`input 8*d`,
//! `leaky_relu(a)`, a user activation's `a*z`). Resolution runs before the rest of the checker: it
//! gives every value written as arithmetic its number, and records how it came about, so that a
//! later error about `kernel d/3` can say `d/3 = 5.333, with d = 16` at the place it is used.

use crate::model::ParamValue;
use cnr_syntax::ast::*;
use cnr_syntax::{nearest, Diagnostic, Span};
use std::collections::HashMap;

/// The words a bare name in a value may mean besides a parameter (`output ones`).
const OUTPUT_WORDS: &[&str] = &["ones", "mean"];

/// A file with its values resolved.
pub(super) struct Resolved {
    /// The file, every value with its number.
    pub file: SourceFile,
    /// The parameters, with their values and how often they are used.
    pub params: Vec<ParamValue>,
    /// Errors of the parameters and of the values that use them.
    pub diags: Vec<Diagnostic>,
    /// Where each value written as arithmetic is, and how its number came about.
    pub derived: Vec<(Span, String, String)>,
    /// Values that have no number (an unknown parameter, say): later rules about them are noise.
    pub failed: Vec<Span>,
}

/// Resolves every value of the file.
pub(super) fn resolve(file: &SourceFile) -> Resolved {
    let mut r = Resolver {
        params: Vec::new(),
        index: HashMap::new(),
        diags: Vec::new(),
        derived: Vec::new(),
        failed: Vec::new(),
    };
    let mut out = file.clone();
    for item in &mut out.items {
        if let Item::Param(p) = item {
            r.declare(p);
        }
    }
    for item in &mut out.items {
        r.item(item);
    }
    Resolved { file: out, params: r.params, diags: r.diags, derived: r.derived, failed: r.failed }
}

struct Resolver {
    params: Vec<ParamValue>,
    /// Each parameter's place in `params`, by name: files with many thousands of parameters are
    /// checked in linear time.
    index: HashMap<String, usize>,
    diags: Vec<Diagnostic>,
    derived: Vec<(Span, String, String)>,
    failed: Vec<Span>,
}

impl Resolver {
    fn declare(&mut self, p: &mut Param) {
        let name = &p.name.node;
        if self.index.contains_key(name) {
            self.diags.push(
                Diagnostic::error(p.name.span, format!("the parameter `{name}` is declared twice"))
                    .with_label("declared again")
                    .with_hint(
                        "keep one declaration; `--param NAME=VALUE` overrides it from the command line",
                    ),
            );
            return;
        }
        if OUTPUT_WORDS.contains(&name.as_str()) {
            self.diags.push(
                Diagnostic::error(
                    p.name.span,
                    format!("`{name}` names output weights and cannot be a parameter"),
                )
                .with_label("reserved word")
                .with_hint("choose another name"),
            );
            return;
        }
        // A parameter may use the ones declared before it.
        self.value(&mut p.value);
        self.index.insert(name.clone(), self.params.len());
        self.params.push(ParamValue {
            name: name.clone(),
            value: p.value.node.value,
            span: p.name.span,
            uses: 0,
        });
    }

    /// Gives an expression value its number, or reports why it has none.
    fn value(&mut self, n: &mut Num) {
        let Some(e) = n.node.expr.as_deref() else { return };
        let mut used: Vec<usize> = Vec::new();
        let Some(v) = self.eval(e, &mut used) else {
            n.node.value = f64::NAN;
            self.failed.push(n.span);
            return;
        };
        let with: Vec<String> = used
            .iter()
            .map(|&k| format!("{} = {}", self.params[k].name, shown(self.params[k].value)))
            .collect();
        n.node.value = v;
        let bare_name = matches!(e.kind, ExprKind::Name(_));
        n.node.derivation = Some(if with.is_empty() || bare_name {
            format!("= {}", shown(v))
        } else {
            format!("= {}, with {}", shown(v), with.join(", "))
        });
        self.derived.push((n.span, n.node.text.clone(), n.node.derivation.clone().unwrap_or_default()));
        if !v.is_finite() {
            self.failed.push(n.span);
            self.diags.push(
                Diagnostic::error(n.span, format!("`{}` is not a finite number ({})", n.node.text, shown(v)))
                    .with_label("not finite")
                    .with_hint("a division by zero, or a result beyond about 1.8e308"),
            );
        }
    }

    /// The value of arithmetic over numbers and parameters; `used` collects the parameters read.
    fn eval(&mut self, e: &Expr, used: &mut Vec<usize>) -> Option<f64> {
        match &e.kind {
            ExprKind::Number(n) => Some(n.value),
            ExprKind::Name(name) => {
                let Some(&k) = self.index.get(name) else {
                    self.unknown(name, e.span);
                    return None;
                };
                self.params[k].uses += 1;
                if !used.contains(&k) {
                    used.push(k);
                }
                // A parameter without a finite value is reported where it is declared.
                Some(self.params[k].value).filter(|v| v.is_finite())
            }
            ExprKind::Neg(a) => self.eval(a, used).map(|v| -v),
            ExprKind::Paren(a) => self.eval(a, used),
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.eval(a, used), self.eval(b, used));
                let (a, b) = (a?, b?);
                Some(match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                })
            }
            ExprKind::Call(name, _) => {
                self.diags.push(
                    Diagnostic::error(name.span, format!("a number cannot call `{}`", name.node))
                        .with_label("not arithmetic")
                        .with_hint("a value is numbers and parameters with + - * / and parentheses"),
                );
                None
            }
        }
    }

    fn unknown(&mut self, name: &str, span: Span) {
        let known: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
        let mut d = Diagnostic::error(span, format!("unknown parameter `{name}`")).with_label("not declared");
        d = match nearest(name, known.iter().copied()) {
            Some(k) => d.with_hint(format!("did you mean `{k}`?")),
            None => d.with_hint(format!("declare it before the first use: `param {name} = …`")),
        };
        self.diags.push(d);
    }

    fn item(&mut self, item: &mut Item) {
        match item {
            Item::Model(_) | Item::Param(_) | Item::FileData(_) | Item::Sweep(_) => {}
            Item::Network(b) => b.stmts.iter_mut().for_each(|s| self.net_stmt(&mut s.node)),
            Item::PlantedData(b) => {
                for s in &mut b.stmts {
                    match &mut s.node {
                        PlantedStmt::Samples(n) | PlantedStmt::Seed(n) | PlantedStmt::Noise(n) => {
                            self.value(n)
                        }
                        PlantedStmt::Filter(_) => {}
                    }
                }
            }
            Item::Relax(b) => {
                for s in &mut b.stmts {
                    match &mut s.node {
                        RelaxStmt::Penalty(_, n)
                        | RelaxStmt::Bound(_, n)
                        | RelaxStmt::Restarts(n)
                        | RelaxStmt::Refine(n)
                        | RelaxStmt::AnchorNamed(_, Some(n)) => self.value(n),
                        RelaxStmt::AnchorNamed(_, None) | RelaxStmt::AnchorVector(_) => {}
                    }
                }
            }
            Item::Learn(b) => {
                for s in &mut b.stmts {
                    match &mut s.node {
                        LearnStmt::WeightDecay(n) => self.value(n),
                        LearnStmt::Arrangements(count, seed, _) => {
                            count.iter_mut().chain(seed).for_each(|n| self.value(n))
                        }
                        LearnStmt::Form(_) => {}
                    }
                }
            }
            Item::Solver(b) => {
                for s in &mut b.stmts {
                    match &mut s.node {
                        SolverStmt::Tolerance(n) | SolverStmt::MaxIter(n) | SolverStmt::TimeLimit(n) => {
                            self.value(n)
                        }
                        SolverStmt::Backend(_) => {}
                    }
                }
            }
        }
    }

    fn net_stmt(&mut self, s: &mut NetStmt) {
        match s {
            NetStmt::Input { dims, channels } => dims.iter_mut().chain(channels).for_each(|n| self.value(n)),
            NetStmt::Conv(opts) => {
                for o in opts {
                    match &mut o.node {
                        ConvOpt::Kernel(d) | ConvOpt::Stride(d) | ConvOpt::Padding(d) => {
                            d.iter_mut().for_each(|n| self.value(n))
                        }
                        ConvOpt::Filters(n) => self.value(n),
                        ConvOpt::Bias => {}
                    }
                }
            }
            NetStmt::Activation(ActivationSpec::Named { args, .. }) => {
                for a in args.iter_mut().flatten() {
                    match a {
                        ActArg::Number(n) => self.value(n),
                        ActArg::Piece(a, b, _) => {
                            self.value(a);
                            self.value(b);
                        }
                    }
                }
            }
            NetStmt::Activation(ActivationSpec::Defined { param, body, .. }) => {
                if let Some(p) = self.index.get(&param.node).map(|&k| &self.params[k]) {
                    self.diags.push(
                        Diagnostic::error(
                            param.span,
                            format!("the activation's variable `{}` is also a parameter", param.node),
                        )
                        .with_label("ambiguous name")
                        .with_hint(format!(
                            "rename the variable or the parameter (declared as `param {} = …`)",
                            p.name
                        )),
                    );
                } else {
                    self.body(body, &param.node);
                }
            }
            NetStmt::Output(OutputSpec::Named(name), offset) => {
                // `output d` with a parameter `d` is a constant weight.
                if let Some(n) = self.used_as_number(&name.node) {
                    let weight = OutputSpec::Constant(cnr_syntax::Spanned::new(n, name.span));
                    *s = NetStmt::Output(weight, *offset);
                }
            }
            NetStmt::Output(OutputSpec::Constant(n) | OutputSpec::Random(n), _) => self.value(n),
            NetStmt::Output(OutputSpec::Vector(_), _) => {}
        }
    }

    /// The parameter `name` as a number written by its name, counted as a use.
    fn used_as_number(&mut self, name: &str) -> Option<Number> {
        let p = self.index.get(name).map(|&k| &mut self.params[k])?;
        p.uses += 1;
        let mut n = Number::literal(p.value, p.name.clone());
        n.derivation = Some(format!("= {}", shown(p.value)));
        Some(n)
    }

    /// Replaces the parameters named in a user activation's body by their values; other names are
    /// the variable or mistakes that the activation's checker reports.
    fn body(&mut self, e: &mut Expr, variable: &str) {
        match &mut e.kind {
            ExprKind::Name(name) if name != variable => {
                if let Some(n) = self.used_as_number(name) {
                    e.kind = ExprKind::Number(n);
                }
            }
            ExprKind::Number(_) | ExprKind::Name(_) => {}
            ExprKind::Neg(a) | ExprKind::Paren(a) => self.body(a, variable),
            ExprKind::Binary(_, a, b) => {
                self.body(a, variable);
                self.body(b, variable);
            }
            ExprKind::Call(_, args) => args.iter_mut().for_each(|a| self.body(a, variable)),
        }
    }
}

/// A value as diagnostics print it: whole numbers without a fraction, others to 4 significant
/// digits.
fn shown(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.is_finite() && (1e-4..1e6).contains(&v.abs()) {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:e}")
    }
}
