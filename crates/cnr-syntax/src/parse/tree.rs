//! Building the syntax tree from pest's pairs: one function per grammar rule, each giving its node
//! the span of its significant text.

use super::scan::{scan, Part};
use super::Rule;
use crate::ast::*;
use crate::{Span, Spanned};
use pest::iterators::Pair;

/// The span of a pair without the whitespace and comments pest lets a rule swallow at its end (a
/// rule ending in an optional or repeated part, like `dims` or `activation_ref`, takes the
/// whitespace it skipped before finding the part absent).
fn span(p: &Pair<Rule>) -> Span {
    let start = p.as_span().start();
    Span::new(start, start + significant_len(p.as_str()))
}

/// The length of `text` up to the end of its last byte that is neither whitespace nor in a comment.
fn significant_len(text: &str) -> usize {
    let mut end = 0;
    for (i, c, part) in scan(text) {
        match part {
            Part::Comment => {}
            Part::Code if c.is_whitespace() => {}
            // Whitespace inside quotes is part of the file name.
            _ => end = i + c.len_utf8(),
        }
    }
    end
}

fn text(p: &Pair<Rule>) -> Spanned<String> {
    Spanned::new(p.as_str().to_string(), span(p))
}

fn num(p: Pair<Rule>) -> Num {
    debug_assert_eq!(p.as_rule(), Rule::number);
    // The grammar only admits decimal literals, which always parse; the fallback keeps this total.
    let value = p.as_str().parse::<f64>().unwrap_or(f64::NAN);
    Spanned::new(Number::literal(value, p.as_str().to_string()), span(&p))
}

/// A `value`: a plain number keeps its text and value; arithmetic or a parameter's name keeps its
/// expression (printed canonically) and gets its value when the checker resolves parameters.
fn value(p: Pair<Rule>) -> Num {
    debug_assert_eq!(p.as_rule(), Rule::value);
    let s = span(&p);
    let e = expr(first(p));
    match &e.kind {
        ExprKind::Number(n) => Spanned::new(n.clone(), s),
        ExprKind::Neg(inner) if matches!(inner.kind, ExprKind::Number(_)) => {
            let ExprKind::Number(n) = &inner.kind else { unreachable!() };
            Spanned::new(Number::literal(-n.value, format!("-{}", n.text)), s)
        }
        _ => Spanned::new(Number::expression(e), s),
    }
}

fn string(p: Pair<Rule>) -> Spanned<String> {
    let s = span(&p);
    let body = p.into_inner().next().map(|b| b.as_str().to_string()).unwrap_or_default();
    Spanned::new(body, s)
}

fn first(p: Pair<Rule>) -> Pair<Rule> {
    p.into_inner().next().expect("the grammar guarantees a child")
}

fn dims(p: Pair<Rule>) -> Vec<Num> {
    p.into_inner().map(value).collect()
}

fn vector(p: Pair<Rule>) -> VectorSource {
    match p.as_rule() {
        Rule::vector => VectorSource::Inline(p.into_inner().map(num).collect()),
        Rule::file_ref => VectorSource::File(string(first(p))),
        r => unreachable!("not a vector: {r:?}"),
    }
}

fn block<S>(p: Pair<Rule>, stmt: fn(Pair<Rule>) -> S) -> Block<S> {
    let s = span(&p);
    let stmts = p.into_inner().map(|c| Spanned::new_from(statement_span(&c), stmt(c))).collect();
    Block { stmts, span: s }
}

/// The span of a statement, ending at its last token. pest's span of a rule that ends in an optional
/// part (`input 8 channels?`) also covers the whitespace and comments skipped before trying that
/// part, which would swallow a comment at the end of the line.
fn statement_span(p: &Pair<Rule>) -> Span {
    let whole = span(p);
    let last_token = p
        .clone()
        .into_inner()
        .flatten()
        .filter(|t| {
            matches!(
                t.as_rule(),
                Rule::number
                    | Rule::ident
                    | Rule::string
                    | Rule::bias
                    | Rule::neg
                    | Rule::sweep_word
                    | Rule::with_planted
                    | Rule::arrangements_all
            )
        })
        .map(|t| t.as_span().end())
        .max();
    let Some(mut end) = last_token else { return whole };
    // Closing brackets right after the last token belong to the statement.
    let text = p.get_input();
    while end < whole.end && matches!(text.as_bytes()[end], b')' | b']') {
        end += 1;
    }
    Span::new(whole.start, end.max(whole.start))
}

trait NewFrom<T> {
    fn new_from(span: Span, node: T) -> Self;
}

impl<T> NewFrom<T> for Spanned<T> {
    fn new_from(span: Span, node: T) -> Self {
        Spanned::new(node, span)
    }
}

pub(super) fn item(p: Pair<Rule>) -> Item {
    match p.as_rule() {
        Rule::model_decl => {
            let s = span(&p);
            Item::Model(Spanned::new(first(p).as_str().to_string(), s))
        }
        Rule::param_decl => {
            let s = span(&p);
            let mut inner = p.into_inner();
            let name = text(&inner.next().expect("name"));
            let v = value(inner.next().expect("value"));
            Item::Param(Param { name, value: v, span: s })
        }
        Rule::network => Item::Network(block(p, net_stmt)),
        Rule::data => {
            let s = span(&p);
            let inner = first(p);
            match inner.as_rule() {
                Rule::planted_data => Item::PlantedData(Block { span: s, ..block(inner, planted_stmt) }),
                _ => Item::FileData(Block { span: s, ..block(inner, file_stmt) }),
            }
        }
        Rule::relax => Item::Relax(block(p, relax_stmt)),
        Rule::learn => Item::Learn(block(p, learn_stmt)),
        Rule::solver => Item::Solver(block(p, solver_stmt)),
        Rule::sweep => Item::Sweep(block(p, sweep_stmt)),
        r => unreachable!("not an item: {r:?}"),
    }
}

fn net_stmt(p: Pair<Rule>) -> NetStmt {
    match p.as_rule() {
        Rule::input_stmt => {
            let mut inner = p.into_inner();
            let d = dims(inner.next().expect("dims"));
            let channels = inner.next().map(|c| value(first(c)));
            NetStmt::Input { dims: d, channels }
        }
        Rule::conv_stmt => NetStmt::Conv(
            p.into_inner()
                .map(|o| {
                    let s = span(&o);
                    let opt = match o.as_rule() {
                        Rule::kernel => ConvOpt::Kernel(dims(first(o))),
                        Rule::stride => ConvOpt::Stride(dims(first(o))),
                        Rule::padding => ConvOpt::Padding(dims(first(o))),
                        Rule::filters => ConvOpt::Filters(value(first(o))),
                        _ => ConvOpt::Bias,
                    };
                    Spanned::new(opt, s)
                })
                .collect(),
        ),
        Rule::activation_stmt => NetStmt::Activation(activation(first(p))),
        Rule::output_stmt => {
            let mut inner = p.into_inner();
            let o = inner.next().expect("the output weights");
            let offset = inner.next().is_some();
            let weights = match o.as_rule() {
                Rule::vector | Rule::file_ref => OutputSpec::Vector(vector(o)),
                Rule::random => OutputSpec::Random(value(first(o))),
                _ => {
                    // A bare word is `ones`, `mean` or a parameter; the checker tells which.
                    let v = value(o);
                    match v.node.expr.as_deref() {
                        Some(Expr { kind: ExprKind::Name(n), .. }) => {
                            OutputSpec::Named(Spanned::new(n.clone(), v.span))
                        }
                        _ => OutputSpec::Constant(v),
                    }
                }
            };
            NetStmt::Output(weights, offset)
        }
        r => unreachable!("not a network statement: {r:?}"),
    }
}

fn activation(p: Pair<Rule>) -> ActivationSpec {
    match p.as_rule() {
        Rule::activation_def => {
            let mut inner = p.into_inner();
            let name = text(&inner.next().expect("name"));
            let param = text(&inner.next().expect("parameter"));
            let body = expr(inner.next().expect("body"));
            ActivationSpec::Defined { name, param, body }
        }
        _ => {
            let has_parens = p.as_str().contains('(');
            let mut inner = p.into_inner();
            let name = text(&inner.next().expect("name"));
            let args: Vec<ActArg> = inner
                .map(|a| match a.as_rule() {
                    Rule::piece => {
                        let s = span(&a);
                        let mut two = a.into_inner();
                        let slope = value(two.next().expect("slope"));
                        let intercept = value(two.next().expect("intercept"));
                        ActArg::Piece(slope, intercept, s)
                    }
                    _ => ActArg::Number(value(a)),
                })
                .collect();
            ActivationSpec::Named { name, args: has_parens.then_some(args) }
        }
    }
}

fn expr(p: Pair<Rule>) -> Expr {
    let s = span(&p);
    match p.as_rule() {
        Rule::expr | Rule::term => {
            let mut inner = p.into_inner();
            let mut acc = expr(inner.next().expect("operand"));
            while let Some(op) = inner.next() {
                let rhs = expr(inner.next().expect("operand"));
                let op = match op.as_str() {
                    "+" => BinOp::Add,
                    "-" => BinOp::Sub,
                    "*" => BinOp::Mul,
                    _ => BinOp::Div,
                };
                let span = acc.span.join(rhs.span);
                acc = Expr { kind: ExprKind::Binary(op, Box::new(acc), Box::new(rhs)), span };
            }
            acc
        }
        // A parenthesised sub-expression is an `expr` pair inside a `unary`; it becomes a `Paren`
        // node so that the formatter keeps the user's parentheses.
        Rule::unary => {
            let children: Vec<Pair<Rule>> = p.into_inner().collect();
            let (negs, rest) = children.split_at(children.len() - 1);
            let primary = rest[0].clone();
            let mut e = match primary.as_rule() {
                Rule::expr => {
                    let inner = expr(primary);
                    Expr { span: inner.span, kind: ExprKind::Paren(Box::new(inner)) }
                }
                _ => expr(primary),
            };
            for n in negs.iter().rev() {
                e = Expr { span: span(n).join(e.span), kind: ExprKind::Neg(Box::new(e)) };
            }
            e
        }
        Rule::number => {
            let n = num(p);
            Expr { kind: ExprKind::Number(n.node), span: s }
        }
        Rule::value => expr(first(p)),
        Rule::ident => Expr { kind: ExprKind::Name(p.as_str().to_string()), span: s },
        Rule::call => {
            let mut inner = p.into_inner();
            let name = text(&inner.next().expect("callee"));
            Expr { kind: ExprKind::Call(name, inner.map(expr).collect()), span: s }
        }
        r => unreachable!("not an expression: {r:?}"),
    }
}

fn planted_stmt(p: Pair<Rule>) -> PlantedStmt {
    match p.as_rule() {
        Rule::samples => PlantedStmt::Samples(value(first(p))),
        Rule::seed => PlantedStmt::Seed(value(first(p))),
        Rule::noise => PlantedStmt::Noise(value(first(p))),
        _ => PlantedStmt::Filter(vector(first(p))),
    }
}

fn file_stmt(p: Pair<Rule>) -> FileStmt {
    match p.as_rule() {
        Rule::inputs => FileStmt::Inputs(string(first(p))),
        Rule::labels => FileStmt::Labels(string(first(p))),
        Rule::test_inputs => FileStmt::TestInputs(string(first(p))),
        Rule::test_labels => FileStmt::TestLabels(string(first(p))),
        _ => FileStmt::Planted(string(first(p))),
    }
}

fn relax_stmt(p: Pair<Rule>) -> RelaxStmt {
    match p.as_rule() {
        Rule::anchor => {
            let mut inner = p.into_inner();
            let a = inner.next().expect("an anchor");
            match a.as_rule() {
                Rule::ident => {
                    let seed = inner.next().map(|s| value(first(s)));
                    RelaxStmt::AnchorNamed(text(&a), seed)
                }
                _ => RelaxStmt::AnchorVector(vector(a)),
            }
        }
        Rule::penalty | Rule::bound => {
            let is_penalty = p.as_rule() == Rule::penalty;
            let mut inner = p.into_inner();
            let kind = text(&inner.next().expect("kind"));
            let amount = value(inner.next().expect("value"));
            if is_penalty {
                RelaxStmt::Penalty(kind, amount)
            } else {
                RelaxStmt::Bound(kind, amount)
            }
        }
        Rule::restarts => RelaxStmt::Restarts(value(first(p))),
        Rule::refine => RelaxStmt::Refine(value(first(p))),
        r => unreachable!("not a relax statement: {r:?}"),
    }
}

fn learn_stmt(p: Pair<Rule>) -> LearnStmt {
    match p.as_rule() {
        Rule::weight_decay => LearnStmt::WeightDecay(value(first(p))),
        Rule::form => LearnStmt::Form(text(&first(p))),
        _ => {
            let mut inner = p.into_inner();
            let count = inner.next().expect("a count or `all`");
            match count.as_rule() {
                Rule::arrangements_all => LearnStmt::Arrangements(None, None, Drawn::Sampled),
                Rule::generated => {
                    let count = inner.next().expect("a count after `generated`");
                    let seed = inner.next().map(|p| value(first(p)));
                    LearnStmt::Arrangements(Some(value(count)), seed, Drawn::Generated)
                }
                _ => {
                    let (mut seed, mut drawn) = (None, Drawn::Sampled);
                    for p in inner {
                        match p.as_rule() {
                            Rule::with_planted => drawn = Drawn::WithPlanted,
                            _ => seed = Some(value(first(p))),
                        }
                    }
                    LearnStmt::Arrangements(Some(value(count)), seed, drawn)
                }
            }
        }
    }
}

fn solver_stmt(p: Pair<Rule>) -> SolverStmt {
    match p.as_rule() {
        Rule::backend => SolverStmt::Backend(text(&first(p))),
        Rule::tolerance => SolverStmt::Tolerance(value(first(p))),
        Rule::max_iter => SolverStmt::MaxIter(value(first(p))),
        _ => SolverStmt::TimeLimit(value(first(p))),
    }
}

fn sweep_stmt(p: Pair<Rule>) -> SweepStmt {
    let is_param = p.as_rule() == Rule::sweep_param;
    let mut inner = p.into_inner();
    let head = inner.next().expect("a key or a name");
    let (key, name) = if is_param {
        let name = text(&head);
        let key = Spanned::new("param".to_string(), Span::new(name.span.start, name.span.start));
        (key, Some(name))
    } else {
        (text(&head), None)
    };
    let list = first(inner.next().expect("a value"));
    let quoted = list.as_rule() == Rule::string;
    let value = if quoted { string(list) } else { text(&list) };
    SweepStmt { key, name, value, quoted }
}

/// Every `#` comment of the source, found by a scan that skips string literals.
pub(super) fn comments(source: &str) -> Vec<Comment> {
    let mut starts = Vec::new();
    let mut previous = Part::Code;
    for (at, _, part) in scan(source) {
        // A comment runs to the end of its line, so each one starts after a part that is not one.
        if part == Part::Comment && previous != Part::Comment {
            starts.push(at);
        }
        previous = part;
    }
    starts
        .into_iter()
        .map(|i| {
            let end = source[i..].find('\n').map_or(source.len(), |k| i + k);
            let line_start = source[..i].rfind('\n').map_or(0, |k| k + 1);
            let trailing = !source[line_start..i].trim().is_empty();
            let text = source[i + 1..end].trim_end().to_string();
            Comment { text, span: Span::new(i, end), trailing, line_start }
        })
        .collect()
}
