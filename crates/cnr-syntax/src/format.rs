//! The canonical layout of a `.cnr` file (`cnr fmt`).
//!
//! One statement per line, two-space indents, one blank line between items, single spaces between
//! words, lists as `[a, b, c]`, sizes as `3 x 3`, `+`/`-` spaced and `*`/`/` tight in expressions.
//! Numbers keep the text the user wrote. Comments are kept: a comment on a line of its own stays
//! before the statement that follows it, and a comment at the end of a statement's line stays there.
//! Items and statements keep their order, so formatting never changes what a file means.

use crate::ast::*;
use crate::Span;

/// Formats a parsed file canonically. `parse(format(f)) == f` and formatting is idempotent.
pub fn format(file: &SourceFile) -> String {
    let mut w = Writer { out: String::new(), comments: &file.comments, next: 0 };
    for (k, item) in file.items.iter().enumerate() {
        // Parameters declared together stay together; every other item gets a blank line.
        let grouped = k > 0 && matches!((&file.items[k - 1], item), (Item::Param(_), Item::Param(_)));
        if k > 0 && !grouped {
            w.out.push('\n');
        }
        w.leading(item.span().start, 0);
        let span = item.span();
        match item {
            Item::Model(name) => w.line(0, &format!("model {}", name.node), span),
            Item::Param(p) => w.line(0, &format!("param {} = {}", p.name.node, p.value.node.text), span),
            Item::Network(b) => w.block("network", b, net_stmt),
            Item::PlantedData(b) => w.block("data planted", b, planted_stmt),
            Item::FileData(b) => w.block("data files", b, file_stmt),
            Item::Relax(b) => w.block("relax", b, relax_stmt),
            Item::Learn(b) => w.block("learn", b, learn_stmt),
            Item::Solver(b) => w.block("solver", b, solver_stmt),
            Item::Sweep(b) => w.block("sweep", b, sweep_stmt),
        }
    }
    if w.next < file.comments.len() && !file.items.is_empty() {
        w.out.push('\n');
    }
    w.leading(usize::MAX, 0);
    w.out
}

struct Writer<'a> {
    out: String,
    comments: &'a [Comment],
    next: usize,
}

impl Writer<'_> {
    /// Writes the comments that start before `pos` on lines of their own.
    fn leading(&mut self, pos: usize, indent: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.span.start >= pos {
                break;
            }
            self.out.push_str(&"  ".repeat(indent));
            self.out.push_str(&comment_text(c));
            self.out.push('\n');
            self.next += 1;
        }
    }

    /// Writes one line for a statement spanning `span`, with a trailing comment if the source had
    /// one on the same line right after it.
    fn line(&mut self, indent: usize, text: &str, span: Span) {
        self.out.push_str(&"  ".repeat(indent));
        self.out.push_str(text);
        self.trailing(span.end);
        self.out.push('\n');
    }

    fn trailing(&mut self, end: usize) {
        if let Some(c) = self.comments.get(self.next) {
            // Only a comment that follows code on the very line where the statement ends.
            if c.span.start >= end && c.trailing && c.line_start <= end {
                self.out.push_str("  ");
                self.out.push_str(&comment_text(c));
                self.next += 1;
            }
        }
    }

    fn block<S>(&mut self, head: &str, b: &Block<S>, stmt: fn(&S) -> String) {
        self.out.push_str(head);
        self.out.push_str(" {\n");
        for s in &b.stmts {
            self.leading(s.span.start, 1);
            let text = stmt(&s.node);
            self.line(1, &text, s.span);
        }
        // Comments after the last statement stay inside the block.
        self.leading(b.span.end.saturating_sub(1), 1);
        self.out.push('}');
        self.trailing(b.span.end);
        self.out.push('\n');
    }
}

fn comment_text(c: &Comment) -> String {
    if c.text.is_empty() {
        "#".to_string()
    } else {
        format!("#{}", c.text)
    }
}

fn nums(v: &[Num], sep: &str) -> String {
    v.iter().map(|n| n.node.text.as_str()).collect::<Vec<_>>().join(sep)
}

fn vector(v: &VectorSource) -> String {
    match v {
        VectorSource::Inline(items) => format!("[{}]", nums(items, ", ")),
        VectorSource::File(path) => format!("file \"{}\"", path.node),
    }
}

fn net_stmt(s: &NetStmt) -> String {
    match s {
        NetStmt::Input { dims, channels } => {
            let mut t = format!("input {}", nums(dims, " x "));
            if let Some(c) = channels {
                t.push_str(&format!(" channels {}", c.node.text));
            }
            t
        }
        NetStmt::Conv(opts) => {
            let mut t = String::from("conv");
            for o in opts {
                t.push(' ');
                t.push_str(&match &o.node {
                    ConvOpt::Kernel(d) => format!("kernel {}", nums(d, " x ")),
                    ConvOpt::Stride(d) => format!("stride {}", nums(d, " x ")),
                    ConvOpt::Padding(d) => format!("padding {}", nums(d, " x ")),
                    ConvOpt::Filters(n) => format!("filters {}", n.node.text),
                    ConvOpt::Bias => "bias".to_string(),
                });
            }
            t
        }
        NetStmt::Activation(ActivationSpec::Named { name, args }) => match args {
            None => format!("activation {}", name.node),
            Some(args) => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| match a {
                        ActArg::Number(n) => n.node.text.clone(),
                        ActArg::Piece(a, b, _) => format!("({}, {})", a.node.text, b.node.text),
                    })
                    .collect();
                format!("activation {}({})", name.node, args.join(", "))
            }
        },
        NetStmt::Activation(ActivationSpec::Defined { name, param, body }) => {
            format!("activation {}({}) = {}", name.node, param.node, expr(body))
        }
        NetStmt::Output(o, offset) => format!(
            "output {}{}",
            match o {
                OutputSpec::Vector(v) => vector(v),
                OutputSpec::Constant(n) => n.node.text.clone(),
                OutputSpec::Random(n) => format!("random seed {}", n.node.text),
                OutputSpec::Named(n) => n.node.clone(),
            },
            if *offset { " + offset" } else { "" }
        ),
    }
}

/// Prints an expression canonically. The tree already encodes precedence and the user's parentheses, so
/// printing never needs to add any: `a - b - c` parses as `(a - b) - c` and prints back the same.
pub fn format_expr(e: &Expr) -> String {
    expr(e)
}

fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => n.text.clone(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Neg(inner) => format!("-{}", expr(inner)),
        ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            format!("{} {} {}", expr(a), op.symbol(), expr(b))
        }
        ExprKind::Binary(op, a, b) => format!("{}{}{}", expr(a), op.symbol(), expr(b)),
        ExprKind::Call(name, args) => {
            format!("{}({})", name.node, args.iter().map(expr).collect::<Vec<_>>().join(", "))
        }
        ExprKind::Paren(inner) => format!("({})", expr(inner)),
    }
}

fn planted_stmt(s: &PlantedStmt) -> String {
    match s {
        PlantedStmt::Samples(n) => format!("samples {}", n.node.text),
        PlantedStmt::Seed(n) => format!("seed {}", n.node.text),
        PlantedStmt::Noise(n) => format!("noise {}", n.node.text),
        PlantedStmt::Filter(v) => format!("filter {}", vector(v)),
    }
}

fn file_stmt(s: &FileStmt) -> String {
    match s {
        FileStmt::Inputs(p) => format!("inputs \"{}\"", p.node),
        FileStmt::Labels(p) => format!("labels \"{}\"", p.node),
        FileStmt::Planted(p) => format!("planted \"{}\"", p.node),
        FileStmt::TestInputs(p) => format!("test inputs \"{}\"", p.node),
        FileStmt::TestLabels(p) => format!("test labels \"{}\"", p.node),
    }
}

fn learn_stmt(s: &LearnStmt) -> String {
    match s {
        LearnStmt::WeightDecay(v) => format!("weight_decay {}", v.node.text),
        LearnStmt::Form(f) => format!("form {}", f.node),
        LearnStmt::Arrangements(None, ..) => "arrangements all".to_string(),
        LearnStmt::Arrangements(Some(p), seed, drawn) => {
            let seed = seed.as_ref().map_or(String::new(), |s| format!(" seed {}", s.node.text));
            match drawn {
                Drawn::Sampled => format!("arrangements {}{seed}", p.node.text),
                Drawn::WithPlanted => format!("arrangements {}{seed} + planted", p.node.text),
                Drawn::Generated => format!("arrangements generated {}{seed}", p.node.text),
            }
        }
    }
}

fn relax_stmt(s: &RelaxStmt) -> String {
    match s {
        RelaxStmt::AnchorNamed(n, None) => format!("anchor {}", n.node),
        RelaxStmt::AnchorNamed(n, Some(seed)) => format!("anchor {} seed {}", n.node, seed.node.text),
        RelaxStmt::AnchorVector(v) => format!("anchor {}", vector(v)),
        RelaxStmt::Penalty(k, v) => format!("penalty {} {}", k.node, v.node.text),
        RelaxStmt::Bound(k, v) => format!("bound {} {}", k.node, v.node.text),
        RelaxStmt::Restarts(v) => format!("restarts {}", v.node.text),
        RelaxStmt::Refine(v) => format!("refine {}", v.node.text),
    }
}

fn solver_stmt(s: &SolverStmt) -> String {
    match s {
        SolverStmt::Backend(b) => format!("backend {}", b.node),
        SolverStmt::Tolerance(n) => format!("tolerance {}", n.node.text),
        SolverStmt::MaxIter(n) => format!("max_iter {}", n.node.text),
        SolverStmt::TimeLimit(n) => format!("time_limit {}", n.node.text),
    }
}

fn sweep_stmt(s: &SweepStmt) -> String {
    let value = if s.quoted { format!("\"{}\"", s.value.node) } else { s.value.node.clone() };
    match &s.name {
        Some(name) => format!("param {} = {value}", name.node),
        None => format!("{} {value}", s.key.node),
    }
}
