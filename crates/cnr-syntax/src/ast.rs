//! The syntax tree of a `.cnr` file. It records what was written, in the order it was written, with
//! spans; duplicates and missing pieces are the checker's business, not the parser's.

use crate::{Span, Spanned};

/// A parsed `.cnr` file.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFile {
    /// The items in source order.
    pub items: Vec<Item>,
    /// Every `#` comment, in source order.
    pub comments: Vec<Comment>,
}

/// A `#` comment: its text (without the `#`) and where it is.
///
/// Two comments are equal when their texts are: where a comment sits is layout, which the formatter
/// may change (a comment after `{` moves to a line of its own).
#[derive(Clone, Debug)]
pub struct Comment {
    /// The text after `#`, with trailing whitespace removed.
    pub text: String,
    /// The span of the whole comment, `#` included.
    pub span: Span,
    /// Whether code precedes the comment on its line.
    pub trailing: bool,
    /// The offset of the start of the comment's line.
    pub line_start: usize,
}

impl PartialEq for Comment {
    fn eq(&self, other: &Comment) -> bool {
        self.text == other.text
    }
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `model NAME`.
    Model(Spanned<String>),
    /// `param NAME = VALUE`.
    Param(Param),
    /// `network { … }`.
    Network(Block<NetStmt>),
    /// `data planted { … }`.
    PlantedData(Block<PlantedStmt>),
    /// `data files { … }`.
    FileData(Block<FileStmt>),
    /// `relax { … }`.
    Relax(Block<RelaxStmt>),
    /// `learn { … }`: the program of learned output weights.
    Learn(Block<LearnStmt>),
    /// `solver { … }`.
    Solver(Block<SolverStmt>),
    /// `sweep { … }`: the grid of `cnr sweep`.
    Sweep(Block<SweepStmt>),
}

impl Item {
    /// Where the item is written.
    pub fn span(&self) -> Span {
        match self {
            Item::Model(n) => n.span,
            Item::Param(p) => p.span,
            Item::Network(b) => b.span,
            Item::PlantedData(b) => b.span,
            Item::FileData(b) => b.span,
            Item::Relax(b) => b.span,
            Item::Learn(b) => b.span,
            Item::Solver(b) => b.span,
            Item::Sweep(b) => b.span,
        }
    }
}

/// A braced block of statements.
#[derive(Clone, Debug, PartialEq)]
pub struct Block<S> {
    /// The statements in source order, each with its span.
    pub stmts: Vec<Spanned<S>>,
    /// The whole block, keyword to closing brace.
    pub span: Span,
}

/// `param NAME = VALUE`: a named number that values elsewhere in the file may use.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The parameter's name.
    pub name: Spanned<String>,
    /// Its value as written (a number, or arithmetic over earlier parameters).
    pub value: Num,
    /// The whole declaration.
    pub span: Span,
}

/// A number as written, with its value: a literal, or arithmetic over numbers and parameters
/// (`8*d`) whose value the checker computes when it resolves the parameters.
///
/// Two numbers are equal when they are written alike: an unresolved expression's NaN equals
/// itself, and how a value came about is not compared.
#[derive(Clone, Debug)]
pub struct Number {
    /// The value (NaN for an expression until its parameters are resolved).
    pub value: f64,
    /// The text as written (kept so the formatter does not change `1e-3` into `0.001`); an
    /// expression's canonical form.
    pub text: String,
    /// The expression, when the value is not a plain literal.
    pub expr: Option<Box<Expr>>,
    /// After resolution, how the value came about (`8*d = 128, with d = 16`), for diagnostics.
    pub derivation: Option<String>,
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        let same_value = self.value == other.value || (self.value.is_nan() && other.value.is_nan());
        same_value && self.text == other.text && self.expr == other.expr
    }
}

impl Number {
    /// A literal number.
    pub fn literal(value: f64, text: String) -> Number {
        Number { value, text, expr: None, derivation: None }
    }

    /// A value written as an expression, not yet resolved.
    pub fn expression(e: Expr) -> Number {
        Number { value: f64::NAN, text: crate::format_expr(&e), expr: Some(Box::new(e)), derivation: None }
    }

    /// The number as a diagnostic shows it: the text, and for an expression its value and the
    /// parameters it used.
    pub fn shown(&self) -> String {
        match &self.derivation {
            Some(d) if d.contains(", with") => format!("{} ({d})", self.text),
            Some(d) => format!("{} {d}", self.text),
            None => self.text.clone(),
        }
    }
}

/// A number with its span.
pub type Num = Spanned<Number>;

/// A vector of numbers, `[1, 2, 3]`, or a file to read one from.
#[derive(Clone, Debug, PartialEq)]
pub enum VectorSource {
    /// Numbers written in the model.
    Inline(Vec<Num>),
    /// `file "path"`.
    File(Spanned<String>),
}

/// A statement of the `network` block.
#[derive(Clone, Debug, PartialEq)]
pub enum NetStmt {
    /// `input H [x W …] [channels C]`.
    Input {
        /// The sizes, outermost first (`128`, or `28 x 28`).
        dims: Vec<Num>,
        /// The number of channels.
        channels: Option<Num>,
    },
    /// `conv kernel … stride … padding … filters … bias`.
    Conv(Vec<Spanned<ConvOpt>>),
    /// `activation NAME[(args)]` or `activation NAME(z) = expr`.
    Activation(ActivationSpec),
    /// `output …`: the fixed output weights, and whether `+ offset` adds a learned constant `c`
    /// to the network's output.
    Output(OutputSpec, bool),
}

/// One option of a `conv` statement.
#[derive(Clone, Debug, PartialEq)]
pub enum ConvOpt {
    /// `kernel k` or `kernel kh x kw`.
    Kernel(Vec<Num>),
    /// `stride s` or `stride sh x sw`.
    Stride(Vec<Num>),
    /// `padding p` or `padding ph x pw`.
    Padding(Vec<Num>),
    /// `filters M`.
    Filters(Num),
    /// `bias`.
    Bias,
}

/// An activation: a built-in with arguments, or a user definition.
#[derive(Clone, Debug, PartialEq)]
pub enum ActivationSpec {
    /// `relu`, `leaky_relu(0.2)`, `max_affine((0.1, 0), (1, 0))`, …
    Named {
        /// The name as written.
        name: Spanned<String>,
        /// The arguments, if there were parentheses.
        args: Option<Vec<ActArg>>,
    },
    /// `NAME(z) = expr`.
    Defined {
        /// The activation's name.
        name: Spanned<String>,
        /// The name of its argument.
        param: Spanned<String>,
        /// Its body.
        body: Expr,
    },
}

/// An argument of a built-in activation.
#[derive(Clone, Debug, PartialEq)]
pub enum ActArg {
    /// A number.
    Number(Num),
    /// A `(slope, intercept)` pair, for `max_affine`.
    Piece(Num, Num, Span),
}

impl ActArg {
    /// Where the argument is written.
    pub fn span(&self) -> Span {
        match self {
            ActArg::Number(n) => n.span,
            ActArg::Piece(_, _, s) => *s,
        }
    }
}

/// The fixed output weights.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputSpec {
    /// A list or a file.
    Vector(VectorSource),
    /// One number for every weight.
    Constant(Num),
    /// `random seed S`: uniform on [0, 1).
    Random(Num),
    /// `ones`, `mean` or an unknown word (reported by the checker).
    Named(Spanned<String>),
}

/// An expression in the activation's variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number.
    Number(Number),
    /// A name (the variable, or an unknown name).
    Name(String),
    /// `-e`.
    Neg(Box<Expr>),
    /// `a + b`, `a - b`, `a * b`, `a / b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `f(a, b, …)`.
    Call(Spanned<String>, Vec<Expr>),
    /// `(e)`, kept so the formatter keeps the user's parentheses.
    Paren(Box<Expr>),
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
}

/// A statement of `data planted { … }`.
#[derive(Clone, Debug, PartialEq)]
pub enum PlantedStmt {
    /// `samples N`.
    Samples(Num),
    /// `seed S`.
    Seed(Num),
    /// `noise σ`.
    Noise(Num),
    /// `filter [..]` or `filter file "…"`.
    Filter(VectorSource),
}

/// A statement of `data files { … }`.
#[derive(Clone, Debug, PartialEq)]
pub enum FileStmt {
    /// `inputs "x.npy"`.
    Inputs(Spanned<String>),
    /// `labels "y.npy"`.
    Labels(Spanned<String>),
    /// `planted "w.npy"`.
    Planted(Spanned<String>),
    /// `test inputs "x_test.npy"`: the held-out inputs.
    TestInputs(Spanned<String>),
    /// `test labels "y_test.npy"`: the held-out labels.
    TestLabels(Spanned<String>),
}

/// A statement of `relax { … }`.
#[derive(Clone, Debug, PartialEq)]
pub enum RelaxStmt {
    /// `anchor auto|data|spectral|planted|…`, and the seed of `anchor random seed S`.
    AnchorNamed(Spanned<String>, Option<Num>),
    /// `anchor [..]` or `anchor file "…"`.
    AnchorVector(VectorSource),
    /// `penalty l1|l2 λ`.
    Penalty(Spanned<String>, Num),
    /// `bound l2|linf R`.
    Bound(Spanned<String>, Num),
    /// `restarts r`: solve with `r` anchors and keep the lowest training loss.
    Restarts(Num),
    /// `refine r`: after each solve, solve again with its filter as the anchor, up to `r` times.
    Refine(Num),
}

/// A statement of `learn { … }`.
#[derive(Clone, Debug, PartialEq)]
pub enum LearnStmt {
    /// `weight_decay β`: the weight decay `β/2 (‖u‖² + α²)` of every neuron.
    WeightDecay(Num),
    /// `form exact|gated`.
    Form(Spanned<String>),
    /// `arrangements P [seed S] [+ planted]` (sampled from `P` Gaussian filters, and with
    /// `+ planted` the planted teacher's own patterns first), `arrangements generated P [seed S]`
    /// (up to `P`, generated from the dual), or `arrangements all` (`None`: every pattern, for tiny
    /// models).
    Arrangements(Option<Num>, Option<Num>, Drawn),
}

/// How the patterns of `arrangements P` are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drawn {
    /// From Gaussian filters.
    Sampled,
    /// The planted teacher's patterns, then Gaussian filters' (`+ planted`).
    WithPlanted,
    /// A quarter from Gaussian filters, the rest generated from the dual (`generated`).
    Generated,
}

/// A statement of `solver { … }`.
#[derive(Clone, Debug, PartialEq)]
pub enum SolverStmt {
    /// `backend NAME`: which backend solves the program (the driver knows the names).
    Backend(Spanned<String>),
    /// `tolerance ε`.
    Tolerance(Num),
    /// `max_iter N`.
    MaxIter(Num),
    /// `time_limit seconds`.
    TimeLimit(Num),
}

/// An entry of `sweep { … }`: `ratio 0.5:8:0.5`, `param d = 8,16`, `trials 20`, … Its value is kept
/// as written; `cnr sweep` reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepStmt {
    /// The entry's word (`ratio`, `param`, `trials`, …).
    pub key: Spanned<String>,
    /// The parameter's name, for `param NAME = LIST`.
    pub name: Option<Spanned<String>>,
    /// The value as written (without quotes).
    pub value: Spanned<String>,
    /// Whether the value was quoted.
    pub quoted: bool,
}
