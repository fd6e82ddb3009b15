//! From text to [`SourceFile`]: pest does the recognising, this module builds the tree and turns
//! pest's errors into [`Diagnostic`]s so that no pest type leaves the crate.

use crate::ast::*;
use crate::{diag, Diagnostic, Span, Spanned};
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/cnr.pest"]
struct CnrParser;

/// Parses a `.cnr` file. A syntax error comes back as one diagnostic pointing at the place where the
/// text stopped making sense, with what was expected there.
pub fn parse(source: &str) -> Result<SourceFile, Diagnostic> {
    check_nesting(source)?;
    // Detailed error tracking records the literal tokens (`}`, `)`, keywords) that would have been
    // accepted where parsing stopped, not only the named rules; the messages need them.
    pest::set_error_detail(true);
    let mut pairs = CnrParser::parse(Rule::file, source).map_err(|e| syntax_error(source, e))?;
    let file = pairs.next().expect("the file rule always yields one pair");
    check_keyword_boundaries(&file)?;
    let items = file.into_inner().filter(|p| p.as_rule() != Rule::EOI).map(item).collect();
    Ok(SourceFile { items, comments: comments(source) })
}

/// The deepest nesting of parentheses, and the longest run of signs before one operand, that a
/// model may have. Every walk over an expression (the parser's, the checker's, the formatter's,
/// lowering's) recurses once per level, and a real activation needs a handful; without a limit a
/// 7 KB file of parentheses overflows the stack.
pub const MAX_NESTING: usize = 256;

/// The most operators one expression may chain (`z + z + …`, `z*1*1*…`): each one is a level of the
/// expression's tree.
pub const MAX_CHAIN: usize = 2_000;

/// Refuses text nested deeper than [`MAX_NESTING`] or with an operator chain longer than
/// [`MAX_CHAIN`], with a diagnostic at the place it is exceeded, before anything recursive reads it.
/// Comments and quoted file names are skipped.
fn check_nesting(source: &str) -> Result<(), Diagnostic> {
    let too_far = |at: usize, message: String, label: &str, hint: &str| -> Result<(), Diagnostic> {
        Err(Diagnostic::error(Span::new(at, at + 1), message).with_label(label).with_hint(hint))
    };
    let (mut depth, mut signs, mut chain) = (0usize, 0usize, 0usize);
    let (mut in_comment, mut in_string, mut in_list) = (false, false, false);
    // A chain goes on over a line break only where an operator ends the line or starts the next
    // one (`f(z) = z` then `+ z` on the next line); anywhere else a new line is a new statement.
    let (mut line_break, mut after_operator) = (false, false);
    for (at, c) in source.char_indices() {
        let operator = matches!(c, '+' | '-' | '*' | '/');
        if line_break && !in_comment && !in_string && !c.is_whitespace() && c != '#' {
            line_break = false;
            if !after_operator && !operator {
                chain = 0;
            }
        }
        match c {
            '\n' => {
                in_comment = false;
                line_break = true;
            }
            _ if in_comment => {}
            '"' => in_string = !in_string,
            _ if in_string => {}
            '#' => in_comment = true,
            '(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return too_far(
                        at,
                        format!("parentheses nest deeper than {MAX_NESTING} levels"),
                        "too deep",
                        "an activation needs only a few levels; write the expression flatter",
                    );
                }
            }
            ')' => depth = depth.saturating_sub(1),
            '-' | '+' => {
                signs += 1;
                // In a list a sign belongs to its number: lists hold numbers, not arithmetic.
                chain += usize::from(!in_list);
                if signs > MAX_NESTING {
                    return too_far(
                        at,
                        format!("more than {MAX_NESTING} signs in a row"),
                        "too many signs",
                        "two minus signs cancel: write at most one",
                    );
                }
            }
            '*' | '/' => chain += usize::from(!in_list),
            // Blocks and list entries end chains.
            '[' => {
                in_list = true;
                chain = 0;
            }
            ']' => {
                in_list = false;
                chain = 0;
            }
            '{' | '}' | ',' => chain = 0,
            c if c.is_whitespace() => {}
            _ => signs = 0,
        }
        if !c.is_whitespace() && !in_comment && c != '#' {
            after_operator = operator;
        }
        if chain > MAX_CHAIN {
            return too_far(
                at,
                format!("an expression chains more than {MAX_CHAIN} operators"),
                "too long",
                "an activation needs only a few terms; write it shorter (a `max` of pieces, say)",
            );
        }
    }
    Ok(())
}

/// The keyword a rule starts with, if it starts with one.
fn leading_keyword(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::model_decl => "model",
        Rule::param_decl => "param",
        Rule::network => "network",
        Rule::data => "data",
        Rule::planted_data | Rule::planted_file => "planted",
        Rule::file_data => "files",
        Rule::relax => "relax",
        Rule::solver => "solver",
        Rule::sweep => "sweep",
        Rule::sweep_param => "param",
        Rule::input_stmt => "input",
        Rule::channels => "channels",
        Rule::conv_stmt => "conv",
        Rule::kernel => "kernel",
        Rule::stride => "stride",
        Rule::padding => "padding",
        Rule::filters => "filters",
        Rule::bias => "bias",
        Rule::activation_stmt => "activation",
        Rule::output_stmt => "output",
        Rule::random => "random",
        Rule::file_ref => "file",
        Rule::samples => "samples",
        Rule::seed => "seed",
        Rule::noise => "noise",
        Rule::planted_filter => "filter",
        Rule::inputs => "inputs",
        Rule::labels => "labels",
        Rule::anchor => "anchor",
        Rule::penalty => "penalty",
        Rule::bound => "bound",
        Rule::backend => "backend",
        Rule::tolerance => "tolerance",
        Rule::max_iter => "max_iter",
        Rule::time_limit => "time_limit",
        _ => return None,
    })
}

/// A keyword must end where a word ends: the grammar's literals match `modelfoo` as `model foo`,
/// which would silently accept a typo, so every keyword is checked once parsing succeeded.
fn check_keyword_boundaries(file: &Pair<Rule>) -> Result<(), Diagnostic> {
    let text = file.get_input();
    for p in file.clone().into_inner().flatten() {
        let kw = match p.as_rule() {
            // A sweep entry's word is its own keyword.
            Rule::sweep_key => p.as_str(),
            rule => match leading_keyword(rule) {
                Some(kw) => kw,
                None => continue,
            },
        };
        let start = p.as_span().start();
        let after = start + kw.len();
        let glued = text[after..].chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if glued {
            let word_end = text[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(text.len(), |k| start + k);
            let word = &text[start..word_end];
            return Err(Diagnostic::error(Span::new(start, word_end), format!("`{word}` is not a keyword"))
                .with_label("unknown word")
                .with_hint(format!(
                    "put a space after `{kw}` if you meant `{kw} {}`",
                    &text[after..word_end]
                )));
        }
    }
    Ok(())
}

/// The span of a pair without the whitespace and comments pest lets a rule swallow at its end (a
/// rule ending in an optional or repeated part, like `dims` or `activation_ref`, takes the
/// whitespace it skipped before finding the part absent).
fn span(p: &Pair<Rule>) -> Span {
    let start = p.as_span().start();
    Span::new(start, start + significant_len(p.as_str()))
}

/// The length of `text` up to the end of its last byte that is neither whitespace nor in a comment.
fn significant_len(text: &str) -> usize {
    let (mut end, mut in_string, mut in_comment) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            '\n' => {
                in_comment = false;
                in_string = false;
            }
            _ if in_comment => {}
            '#' if !in_string => in_comment = true,
            '"' => {
                in_string = !in_string;
                end = i + 1;
            }
            c if c.is_whitespace() && !in_string => {}
            c => end = i + c.len_utf8(),
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
                Rule::number | Rule::ident | Rule::string | Rule::bias | Rule::neg | Rule::sweep_word
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

fn item(p: Pair<Rule>) -> Item {
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
            let o = first(p);
            NetStmt::Output(match o.as_rule() {
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
            })
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
        _ => FileStmt::Planted(string(first(p))),
    }
}

fn relax_stmt(p: Pair<Rule>) -> RelaxStmt {
    match p.as_rule() {
        Rule::anchor => {
            let a = first(p);
            match a.as_rule() {
                Rule::ident => RelaxStmt::AnchorNamed(text(&a)),
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
        r => unreachable!("not a relax statement: {r:?}"),
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
    let first = inner.next().expect("a key or a name");
    let (key, name) = if is_param {
        let name = text(&first);
        let key = Spanned::new("param".to_string(), Span::new(name.span.start, name.span.start));
        (key, Some(name))
    } else {
        (text(&first), None)
    };
    let list = first_child(inner.next().expect("a value"));
    let quoted = list.as_rule() == Rule::string;
    let value = if quoted { string(list) } else { text(&list) };
    SweepStmt { key, name, value, quoted }
}

fn first_child(p: Pair<Rule>) -> Pair<Rule> {
    p.into_inner().next().expect("the grammar guarantees a child")
}

/// Every `#` comment of the source, found by a scan that skips string literals.
fn comments(source: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => in_string = !in_string,
            b'\n' => in_string = false,
            b'#' if !in_string => {
                let end = source[i..].find('\n').map_or(source.len(), |k| i + k);
                let line_start = source[..i].rfind('\n').map_or(0, |k| k + 1);
                let trailing = !source[line_start..i].trim().is_empty();
                let text = source[i + 1..end].trim_end().to_string();
                out.push(Comment { text, span: Span::new(i, end), trailing, line_start });
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// What the user would call a grammar rule in an "expected …" list.
fn describe(rule: &Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::model_decl => "`model`",
        Rule::param_decl => "`param`",
        Rule::value => "a number",
        Rule::network => "`network`",
        Rule::data => "`data`",
        Rule::relax => "`relax`",
        Rule::solver => "`solver`",
        Rule::sweep => "`sweep`",
        Rule::sweep_key => "a sweep entry",
        Rule::ident => "a name",
        Rule::number => "a number",
        Rule::string => "a quoted file name",
        Rule::dims => "a size (like `16` or `3 x 3`)",
        Rule::vector => "a list of numbers in brackets",
        Rule::file_ref => "`file \"…\"`",
        Rule::input_stmt => "`input`",
        Rule::channels => "`channels`",
        Rule::conv_stmt => "`conv`",
        Rule::kernel => "`kernel`",
        Rule::stride => "`stride`",
        Rule::padding => "`padding`",
        Rule::filters => "`filters`",
        Rule::bias => "`bias`",
        Rule::activation_stmt => "`activation`",
        Rule::activation_ref | Rule::activation_def => "an activation",
        Rule::piece => "a `(slope, intercept)` pair",
        Rule::output_stmt => "`output`",
        Rule::random => "`random seed S`",
        Rule::expr | Rule::term | Rule::unary | Rule::call => "an expression",
        Rule::add_op => "`+` or `-`",
        Rule::mul_op => "`*` or `/`",
        Rule::neg => "`-`",
        Rule::planted_data => "`planted`",
        Rule::file_data => "`files`",
        Rule::samples => "`samples`",
        Rule::seed => "`seed`",
        Rule::noise => "`noise`",
        Rule::planted_filter => "`filter`",
        Rule::inputs => "`inputs`",
        Rule::labels => "`labels`",
        Rule::planted_file => "`planted`",
        Rule::anchor => "`anchor`",
        Rule::penalty => "`penalty`",
        Rule::bound => "`bound`",
        Rule::backend => "`backend`",
        Rule::tolerance => "`tolerance`",
        Rule::max_iter => "`max_iter`",
        Rule::time_limit => "`time_limit`",
        _ => return None,
    })
}

fn syntax_error(source: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    let pest_pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let positives: Vec<Rule> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // The detailed attempts know the farthest position reached and the literal tokens expected
    // there; without them, pest's own position and rules are the fallback.
    let attempts = e.parse_attempts().filter(|a| !a.expected_tokens().is_empty());
    let pos = attempts.as_ref().map_or(pest_pos, |a| a.max_position).min(source.len());
    let pos = (0..=pos).rev().find(|&p| source.is_char_boundary(p)).unwrap_or(0);

    // Point at the whole word (or character) where parsing stopped, not just one byte.
    let rest = &source[pos..];
    let word_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let len = if word_len > 0 { word_len } else { rest.chars().next().map_or(0, char::len_utf8) };
    let found = &rest[..len];
    let found_text = if found.is_empty() { "the end of the file".to_string() } else { format!("`{found}`") };

    if let Some(d) = malformed_number(source, pos) {
        return d;
    }
    if let Some(d) = keyword_for_value(source, pos) {
        return d;
    }
    if let Some(d) = unterminated_string(source, pest_pos) {
        return d;
    }

    let mid_token = source[..pos].chars().next_back().is_some_and(|c| !c.is_whitespace());
    let mut expected: Vec<String> = Vec::new();
    let mut keywords: Vec<String> = Vec::new();
    match &attempts {
        Some(a) => {
            let tokens: Vec<String> = a.expected_tokens().iter().map(ToString::to_string).collect();
            let has = |t: &str| tokens.iter().any(|x| x == t);
            for t in &tokens {
                if t.len() > 1 && t.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                    keywords.push(t.clone());
                }
            }
            expected.extend(keywords.iter().map(|k| format!("`{k}`")));
            // Character classes and single letters only continue the token before the error when
            // it touches it (`8` could go on as `8.5` or `8e3`); at the start of a token they mean
            // a number or a name.
            if !mid_token {
                if has("0..9") {
                    expected.push("a number".into());
                }
                if has("a..z") || has("A..Z") {
                    expected.push("a name".into());
                }
                if has("\"") {
                    expected.push("a quoted file name".into());
                }
            }
            for p in ["{", "}", "(", ")", "[", "]", ",", "=", "+", "-", "*", "/"] {
                // A `-` is an operator where `+` is one too, otherwise the sign of a number.
                // Where a statement could end, arithmetic that could go on is rarely the fix.
                let arithmetic = matches!(p, "+" | "-" | "*" | "/" | "(");
                if has(p) && (p != "-" || has("+")) && (!arithmetic || keywords.is_empty()) {
                    expected.push(format!("`{p}`"));
                }
            }
        }
        None => {
            for r in positives.iter().filter(|&&r| r != Rule::EOI) {
                if let Some(d) = describe(r) {
                    if !expected.iter().any(|x| x == d) {
                        expected.push(d.to_string());
                    }
                    if let Some(k) = d.strip_prefix('`').and_then(|k| k.strip_suffix('`')) {
                        keywords.push(k.to_string());
                    }
                }
            }
        }
    }
    // Pest's own rules describe its own position, which the detailed attempts may have passed.
    if positives.contains(&Rule::EOI) && pos == pest_pos {
        expected.push("the end of the file".into());
    }

    let message = if expected.is_empty() {
        format!("unexpected {found_text}")
    } else {
        let refs: Vec<&str> = expected.iter().map(String::as_str).collect();
        format!("expected {}, found {found_text}", join_or(&refs))
    };
    let span = Span::new(pos, pos + len);
    let mut d = Diagnostic::error(span, message).with_label("not expected here");
    // A misspelt keyword: suggest the nearest expected one.
    if word_len > 0 {
        if let Some(k) = diag::nearest(found, keywords.iter().map(String::as_str)) {
            d = d.with_hint(format!("did you mean `{k}`?"));
        }
    }
    // A bracket left open further up is the likely cause when its closer is expected here.
    if let Some((open, at)) = unclosed(&source[..pos]) {
        let close = match open {
            '{' => "}",
            '(' => ")",
            _ => "]",
        };
        let closer_expected = expected.iter().any(|x| x.trim_matches('`') == close);
        let (line, _) = line_col(source, at);
        let (here, _) = line_col(source, pos);
        let item_keyword = ["model", "network", "data", "relax", "solver"].contains(&found);
        if closer_expected && (item_keyword || (open != '{' && here > line) || found.is_empty()) {
            d = d
                .with_hint(format!("the `{open}` on line {line} is never closed; add `{close}` before this"));
        }
    }
    d
}

/// A number written with a typo, like `1.2.3` or `12abc`: the parser read a number and then
/// stopped in what looks like the rest of it.
fn malformed_number(source: &str, pos: usize) -> Option<Diagnostic> {
    let bytes = source.as_bytes();
    let prev = *bytes.get(pos.checked_sub(1)?)?;
    let next = *bytes.get(pos)?;
    if !(prev.is_ascii_digit() || prev == b'.')
        || !(next.is_ascii_alphanumeric() || next == b'.' || next == b'_')
    {
        return None;
    }
    let mut start = pos;
    while start > 0 && (bytes[start - 1].is_ascii_digit() || matches!(bytes[start - 1], b'.' | b'e' | b'E')) {
        start -= 1;
    }
    // A number starts with a digit or a point (after an optional sign), never inside a name.
    if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
        return None;
    }
    if start > 0 && bytes[start - 1] == b'-' {
        start -= 1;
    }
    let mut end = pos;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'.' | b'_')) {
        end += 1;
    }
    let text = &source[start..end];
    Some(
        Diagnostic::error(Span::new(start, end), format!("`{text}` is not a number"))
            .with_label("malformed number")
            .with_hint("numbers are written like `3`, `0.25`, `-1.5` or `1e-6`; separate words with spaces"),
    )
}

/// The words that start statements and blocks, which a value may not name (the grammar's
/// `keyword` rule; a test keeps the two lists together).
pub(crate) const KEYWORDS: &[&str] = &[
    "activation",
    "anchor",
    "backend",
    "bias",
    "bound",
    "channels",
    "conv",
    "data",
    "filters",
    "filter",
    "files",
    "inputs",
    "input",
    "kernel",
    "labels",
    "max_iter",
    "model",
    "network",
    "noise",
    "output",
    "padding",
    "param",
    "penalty",
    "planted",
    "random",
    "relax",
    "samples",
    "seed",
    "solver",
    "stride",
    "time_limit",
    "tolerance",
];

/// The statements whose keyword a number follows.
const TAKES_A_NUMBER: &[&str] = &[
    "input",
    "channels",
    "kernel",
    "stride",
    "padding",
    "filters",
    "samples",
    "seed",
    "noise",
    "tolerance",
    "max_iter",
    "time_limit",
    "=",
];

/// A statement's number left out, so that the next statement's keyword stands where it should be
/// (`samples` then `seed 1`): the grammar's refusal of a keyword as a value stops inside the
/// keyword's look-ahead, past the place to point at.
fn keyword_for_value(source: &str, pos: usize) -> Option<Diagnostic> {
    // Where the word that ends `text` starts (after the last character that is not of a word,
    // whatever its width in bytes).
    let word_start = |text: &str| {
        let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        text.char_indices().rev().find(|&(_, c)| !is_word(c)).map_or(0, |(k, c)| k + c.len_utf8())
    };
    let before = source[..pos].trim_end();
    let start = word_start(before);
    let word = &before[start..];
    if !KEYWORDS.contains(&word) {
        return None;
    }
    let prev = source[..start].trim_end();
    let prev_word = match prev.chars().next_back() {
        Some('=') => "=",
        _ => &prev[word_start(prev)..],
    };
    let span = Span::new(start, start + word.len());
    if prev_word == "param" {
        return Some(
            Diagnostic::error(span, format!("`{word}` starts a statement and cannot name a parameter"))
                .with_label("a keyword")
                .with_hint(format!("choose another name, like `{word}_size` or a letter")),
        );
    }
    if !TAKES_A_NUMBER.contains(&prev_word) {
        return None;
    }
    let what = if prev_word == "=" { "`=`".to_string() } else { format!("`{prev_word}`") };
    Some(
        Diagnostic::error(span, format!("expected a number, found `{word}`"))
            .with_label("not expected here")
            .with_hint(format!(
                "{what} needs a number (or a parameter's name) after it; `{word}` starts a statement"
            )),
    )
}

/// A `"` whose line has no closing `"`.
fn unterminated_string(source: &str, pos: usize) -> Option<Diagnostic> {
    let rest = source.get(pos..)?;
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    if !line.starts_with('"') || line[1..].contains('"') {
        return None;
    }
    Some(
        Diagnostic::error(Span::new(pos, pos + 1), "this quoted file name has no closing `\"`")
            .with_label("string starts here")
            .with_hint("close the quotes on the same line: a file name cannot span lines"),
    )
}

/// The innermost bracket of `text` that is still open at its end, with its offset; comments and
/// quoted strings are skipped.
fn unclosed(text: &str) -> Option<(char, usize)> {
    let mut stack: Vec<(char, usize)> = Vec::new();
    let (mut in_string, mut in_comment) = (false, false);
    for (i, c) in text.char_indices() {
        match c {
            '\n' => {
                in_string = false;
                in_comment = false;
            }
            _ if in_comment => {}
            '"' => in_string = !in_string,
            _ if in_string => {}
            '#' => in_comment = true,
            '{' | '(' | '[' => stack.push((c, i)),
            '}' | ')' | ']' => {
                let open = match c {
                    '}' => '{',
                    ')' => '(',
                    _ => '[',
                };
                if stack.last().is_some_and(|&(o, _)| o == open) {
                    stack.pop();
                }
            }
            _ => {}
        }
    }
    stack.pop()
}

/// The 1-based line and column of byte `offset`.
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grammar's `keyword` rule and [`KEYWORDS`] name the same words: each keyword is refused
    /// as a value with the message made for it, and a word that is not one is a parameter's name.
    #[test]
    fn every_keyword_is_refused_as_a_value_and_nothing_else_is() {
        for kw in KEYWORDS {
            let text = format!("network {{ input 8 conv kernel 4 stride 4 activation relu }}\ndata planted {{ samples {kw} 1 }}");
            let d = parse(&text).expect_err(kw);
            assert_eq!(d.message, format!("expected a number, found `{kw}`"), "{kw}");
            assert_eq!(&text[d.span.start..d.span.end], *kw);
        }
        let grammar = include_str!("../../../grammar/cnr.pest");
        let rule = &grammar[grammar.find("keyword = @{").expect("the keyword rule")..];
        let rule = &rule[..rule.find('}').expect("its end")];
        let quoted = rule.split('"').skip(1).step_by(2).count();
        assert_eq!(quoted, KEYWORDS.len(), "the grammar's keyword rule lists other words:\n{rule}");
        parse("param seedling = 1\nnetwork { input seedling }")
            .expect("a word that starts with a keyword is a name");
    }

    /// Found by the fuzzer: a syntax error after a word that follows a character of several
    /// bytes looked for the word's start in the middle of that character.
    #[test]
    fn a_syntax_error_after_a_multibyte_character_is_reported() {
        for text in [
            "network { input 16 }\ndata planted { samples éseed 1 }",
            "network { input 8 conv kernel 4 strideéstride 4 }",
            "network { input é16 }",
            "# é16\n  seed 1\n",
            "# aéb\n}",
        ] {
            let d = parse(text).expect_err(text);
            assert!(
                text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end),
                "{text}: {d:?}"
            );
        }
    }
}
