//! The walk over the syntax tree that builds a [`Model`], collecting every diagnostic on the way:
//! this module holds the entry point, the context and the number helpers; each block has a module
//! of its own.

mod activation;
mod learn;
mod memory;
mod network;
mod output;
mod params;
mod planted;
mod relax;
mod samples;
mod solver;

use memory::Sizing;
use planted::add_planted_labels;

use crate::budget::{self, Budget, ProgramSize};
use crate::data::{self, Array, Files};
use crate::{Model, ModelSpans, Overrides, SolverSpec};
use cnr_syntax::ast::*;
use cnr_syntax::{Diagnostic, Span, Spanned};

/// Checks a parsed file. `default_name` names the model when the file declares none (the CLI passes
/// the file's stem). On failure, every diagnostic found is returned, in source order.
///
/// The model's arrays and data are held to the budget of `overrides.max_memory`; the program's
/// size is counted too by [`check_within`], which lowering's estimate is passed to.
pub fn check(
    file: &SourceFile,
    default_name: &str,
    files: &dyn Files,
    overrides: &Overrides,
) -> Result<Model, Vec<Diagnostic>> {
    check_within(file, default_name, files, overrides, None)
}

/// [`check`], with the program's size counted by `program` against the budget too, before any
/// data are drawn or read.
pub fn check_within(
    file: &SourceFile,
    default_name: &str,
    files: &dyn Files,
    overrides: &Overrides,
    program: Option<&dyn ProgramSize>,
) -> Result<Model, Vec<Diagnostic>> {
    let resolved = params::resolve(file);
    let file = &resolved.file;
    let budget = Budget {
        bytes: overrides.max_memory.unwrap_or(budget::DEFAULT_BYTES),
        program,
        scope: overrides.program,
    };
    let mut cx = Cx { diags: Vec::new(), files, budget, read: Vec::new() };
    let overflows = overflowing_numbers(file);
    let model = cx.model(file, default_name, overrides);
    let mut diags = cx.diags;
    // A number that overflows is reported once, as such, not again by every rule its infinite
    // value breaks; so is a value that has no number.
    diags.retain(|d| !overflows.iter().any(|o| o.span.start == d.span.start && o.span.end == d.span.end));
    diags.retain(|d| !resolved.failed.iter().any(|f| f.start <= d.span.start && d.span.end <= f.end));
    // An error about a value written with parameters says what the value came to.
    for d in &mut diags {
        for (span, text, how) in &resolved.derived {
            if d.span.start <= span.start && span.end <= d.span.end && !d.message.contains(how.as_str()) {
                d.hints.push(format!("here {text} {how}"));
            }
        }
    }
    diags.extend(overflows);
    diags.extend(resolved.diags);
    diags.sort_by_key(|d| d.span.start);
    let model = model.map(|mut m| {
        m.params = resolved.params;
        m
    });
    match model {
        Some(m) if diags.is_empty() => Ok(m),
        _ => {
            if diags.is_empty() {
                diags.push(Diagnostic::error(Span::detached(), "the model is incomplete"));
            }
            Err(diags)
        }
    }
}

/// An error for every number literal of the file that overflows to infinity, like `1e999`.
fn overflowing_numbers(file: &SourceFile) -> Vec<Diagnostic> {
    let mut nums: Vec<(Span, &Number)> = Vec::new();
    fn vector<'a>(v: &'a VectorSource, out: &mut Vec<(Span, &'a Number)>) {
        if let VectorSource::Inline(ns) = v {
            out.extend(ns.iter().map(|n| (n.span, &n.node)));
        }
    }
    fn expr<'a>(e: &'a Expr, out: &mut Vec<(Span, &'a Number)>) {
        match &e.kind {
            ExprKind::Number(n) => out.push((e.span, n)),
            ExprKind::Name(_) => {}
            ExprKind::Neg(a) | ExprKind::Paren(a) => expr(a, out),
            ExprKind::Binary(_, a, b) => {
                expr(a, out);
                expr(b, out);
            }
            ExprKind::Call(_, args) => args.iter().for_each(|a| expr(a, out)),
        }
    }
    for item in &file.items {
        match item {
            Item::Model(_) => {}
            Item::Param(p) => nums.push((p.value.span, &p.value.node)),
            Item::Network(b) => {
                for s in &b.stmts {
                    match &s.node {
                        NetStmt::Input { dims, channels } => {
                            nums.extend(dims.iter().chain(channels).map(|n| (n.span, &n.node)))
                        }
                        NetStmt::Conv(opts) => {
                            for o in opts {
                                match &o.node {
                                    ConvOpt::Kernel(d) | ConvOpt::Stride(d) | ConvOpt::Padding(d) => {
                                        nums.extend(d.iter().map(|n| (n.span, &n.node)))
                                    }
                                    ConvOpt::Filters(n) => nums.push((n.span, &n.node)),
                                    ConvOpt::Bias => {}
                                }
                            }
                        }
                        NetStmt::Activation(ActivationSpec::Named { args, .. }) => {
                            for a in args.iter().flatten() {
                                match a {
                                    ActArg::Number(n) => nums.push((n.span, &n.node)),
                                    ActArg::Piece(a, b, _) => {
                                        nums.push((a.span, &a.node));
                                        nums.push((b.span, &b.node));
                                    }
                                }
                            }
                        }
                        NetStmt::Activation(ActivationSpec::Defined { body, .. }) => expr(body, &mut nums),
                        NetStmt::Output(OutputSpec::Vector(v), _) => vector(v, &mut nums),
                        NetStmt::Output(OutputSpec::Constant(n) | OutputSpec::Random(n), _) => {
                            nums.push((n.span, &n.node))
                        }
                        NetStmt::Output(OutputSpec::Named(_), _) => {}
                    }
                }
            }
            Item::PlantedData(b) => {
                for s in &b.stmts {
                    match &s.node {
                        PlantedStmt::Samples(n) | PlantedStmt::Seed(n) | PlantedStmt::Noise(n) => {
                            nums.push((n.span, &n.node))
                        }
                        PlantedStmt::Filter(v) => vector(v, &mut nums),
                    }
                }
            }
            Item::FileData(_) => {}
            Item::Relax(b) => {
                for s in &b.stmts {
                    match &s.node {
                        RelaxStmt::AnchorNamed(_, None) => {}
                        RelaxStmt::AnchorVector(v) => vector(v, &mut nums),
                        RelaxStmt::Penalty(_, n)
                        | RelaxStmt::Bound(_, n)
                        | RelaxStmt::Restarts(n)
                        | RelaxStmt::Refine(n)
                        | RelaxStmt::AnchorNamed(_, Some(n)) => nums.push((n.span, &n.node)),
                    }
                }
            }
            Item::Sweep(_) => {}
            Item::Learn(b) => {
                for s in &b.stmts {
                    match &s.node {
                        LearnStmt::WeightDecay(n) | LearnStmt::Arrangements(Some(n), None, _) => {
                            nums.push((n.span, &n.node))
                        }
                        LearnStmt::Arrangements(Some(n), Some(seed), _) => {
                            nums.push((n.span, &n.node));
                            nums.push((seed.span, &seed.node));
                        }
                        LearnStmt::Form(_) | LearnStmt::Arrangements(None, ..) => {}
                    }
                }
            }
            Item::Solver(b) => {
                for s in &b.stmts {
                    match &s.node {
                        SolverStmt::Backend(_) => {}
                        SolverStmt::Tolerance(n) | SolverStmt::MaxIter(n) | SolverStmt::TimeLimit(n) => {
                            nums.push((n.span, &n.node))
                        }
                    }
                }
            }
        }
    }
    nums.into_iter()
        // A value written as arithmetic is the parameters' business (`params.rs`).
        .filter(|(_, n)| !n.value.is_finite() && n.expr.is_none())
        .map(|(span, n)| {
            let sign = if n.value < 0.0 { "-" } else { "" };
            Diagnostic::error(span, format!("the number `{}` overflows to {sign}infinity", n.text))
                .with_label("too large for a 64-bit float")
                .with_hint("numbers must be finite; the largest is about 1.8e308")
        })
        .collect()
}

struct Cx<'a> {
    diags: Vec<Diagnostic>,
    files: &'a dyn Files,
    budget: Budget<'a>,
    /// The data files read so far, in order.
    read: Vec<crate::data::DataFile>,
}

/// Takes the single item or statement of a kind, reporting repeats.
fn single<'t, T>(cx: &mut Cx, found: Vec<(&'t T, Span)>, what: &str) -> Option<(&'t T, Span)> {
    for (_, span) in found.iter().skip(1) {
        cx.diags.push(
            Diagnostic::error(*span, format!("{what} is given more than once"))
                .with_label("repeated")
                .with_hint("keep one; the first one is at the earlier position"),
        );
    }
    found.into_iter().next()
}

impl Cx<'_> {
    /// Reports a diagnostic: the one way every block of the checker reports a problem.
    pub(super) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn model(&mut self, file: &SourceFile, default_name: &str, ov: &Overrides) -> Option<Model> {
        let mut names = Vec::new();
        let mut networks = Vec::new();
        let mut datas = Vec::new();
        let mut relaxes = Vec::new();
        let mut learns = Vec::new();
        let mut solvers = Vec::new();
        let mut sweeps = Vec::new();
        for item in &file.items {
            match item {
                Item::Model(n) => names.push((n, n.span)),
                Item::Param(_) => {}
                Item::Network(b) => networks.push((b, b.span)),
                Item::PlantedData(_) | Item::FileData(_) => datas.push((item, item.span())),
                Item::Relax(b) => relaxes.push((b, b.span)),
                Item::Learn(b) => learns.push((b, b.span)),
                Item::Solver(b) => solvers.push((b, b.span)),
                // Read by `cnr sweep`, not by the model; only counted here.
                Item::Sweep(b) => sweeps.push((b, b.span)),
            }
        }
        let name =
            single(self, names, "the model name").map_or(default_name.to_string(), |(n, _)| n.node.clone());
        // A missing block is reported at the keyword of the file's first item (there is nowhere
        // better to point), or at the start of a file without items.
        let first = file.items.first().map_or(Span::new(0, 0), |item| {
            let start = item.span().start;
            let keyword = match item {
                Item::Model(_) => "model",
                Item::Param(_) => "param",
                Item::Network(_) => "network",
                Item::PlantedData(_) | Item::FileData(_) => "data",
                Item::Relax(_) => "relax",
                Item::Learn(_) => "learn",
                Item::Solver(_) => "solver",
                Item::Sweep(_) => "sweep",
            };
            Span::new(start, start + keyword.len())
        });
        let net_block = single(self, networks, "a `network` block").map(|(b, _)| b);
        if net_block.is_none() {
            self.push(Diagnostic::error(first, "the model has no `network` block")
                .with_label(if file.items.is_empty() { "the file has no items" } else { "no `network` in this model" })
                .with_hint(
                "add one, e.g. `network { input 128 conv kernel 16 stride 16 activation relu output ones }`",
            ));
        }
        let data_item = single(self, datas, "a `data` block");
        let relax_block = single(self, relaxes, "a `relax` block").map(|(b, _)| b);
        let learn_block = single(self, learns, "a `learn` block").map(|(b, _)| b);
        let solver_block = single(self, solvers, "a `solver` block").map(|(b, _)| b);
        single(self, sweeps, "a `sweep` block");

        // Each part is checked as far as it can be without the others, so that independent mistakes
        // in different blocks are all reported; what depends on a part that failed is skipped.
        let (network, activation, output_spec, [activation_span, conv_span]) = match net_block {
            Some(b) => self.network(b),
            None => (None, None, None, [Span::detached(); 2]),
        };
        let output_span = output_spec.as_ref().map_or(Span::detached(), |o| o.span);
        let solver = solver_block.map_or_else(SolverSpec::default, |b| self.solver(b));
        let output = self.output(network.as_ref(), output_spec.as_ref());
        let units = output.as_ref().map(|u| u.iter().filter(|&&v| v != 0.0).count());
        let units = units.or(network.as_ref().map(|n| n.filters * n.patches())).unwrap_or(0);
        let sizing = Sizing { activation: activation.as_ref(), units, conv: conv_span };
        let data = match (&ov.arrays, data_item) {
            (Some(given), _) => self.given_data(given, network.as_ref(), sizing, ov),
            (None, Some((item, _))) => self.data(item, network.as_ref(), sizing, ov),
            (None, None) => {
                self.push(Diagnostic::error(first, "the model has no `data` block")
                    .with_label(if file.items.is_empty() { "the file has no items" } else { "no `data` in this model" })
                    .with_hint("add `data planted { samples 192 seed 7 }` or `data files { inputs \"x.npy\" labels \"y.npy\" }`"));
                None
            }
        };
        let learn = self.learn(
            learn_block,
            output_spec.as_ref(),
            relax_block,
            (activation.as_ref(), activation_span),
        );
        // With learned output weights there is no relaxation: its defaults stand unused.
        let relax_block = if learn.as_ref().is_some_and(Option::is_some) { None } else { relax_block };
        let relax = self.relax(relax_block, network.as_ref(), activation.as_ref(), data.as_ref());
        let statement = |pick: fn(&RelaxStmt) -> bool| {
            relax_block.and_then(|b| b.stmts.iter().find(|s| pick(&s.node))).map(|s| s.span)
        };
        let spans = ModelSpans {
            activation: activation_span,
            penalty: statement(|s| matches!(s, RelaxStmt::Penalty(..))),
            bound: statement(|s| matches!(s, RelaxStmt::Bound(..))),
            anchor: statement(|s| matches!(s, RelaxStmt::AnchorNamed(..) | RelaxStmt::AnchorVector(_))),
            conv: conv_span,
            output: output_span,
            data: data_item.map_or(Span::detached(), |(_, s)| Span::new(s.start, s.start + "data".len())),
        };
        let (network, activation, output, data, relax, learn) =
            (network?, activation?, output?, data?, relax?, learn?);
        if let Some(l) = &learn {
            let with_planted =
                matches!(l.arrangements, crate::learned::Arrangements::Sampled { planted: true, .. });
            if with_planted && data.planted.is_none() {
                self.push(
                    Diagnostic::error(l.arrangements_span, "`+ planted` takes the planted teacher's patterns, and these data have no planted filters")
                        .with_label("no planted teacher")
                        .with_hint("use `data planted { … }`, or give the teacher's filters (`planted \"w.npy\"` in `data files`), or drop `+ planted`"),
                );
                return None;
            }
        }
        // The patch geometry is the last array built, once every part is known to be good.
        let mut model = Model {
            name,
            geometry: network.taps(),
            network,
            activation,
            output,
            data,
            relax,
            learn,
            solver,
            spans,
            params: Vec::new(),
            data_files: std::mem::take(&mut self.read),
        };
        add_planted_labels(&mut model);
        Some(model)
    }

    pub(super) fn whole(&mut self, n: &Num, what: &str, min: usize) -> Option<usize> {
        self.whole_up_to(n, what, min as u64, u32::MAX as u64).map(|v| v as usize)
    }

    /// A seed: any whole number a double holds exactly, the same range `--seed` has in practice.
    pub(super) fn seed(&mut self, n: &Num) -> Option<u64> {
        self.whole_up_to(n, "the seed", 0, (1u64 << 53) - 1)
    }

    pub(super) fn whole_up_to(&mut self, n: &Num, what: &str, min: u64, max: u64) -> Option<u64> {
        let v = n.node.value;
        if v.fract() == 0.0 && v >= min as f64 && v <= max as f64 {
            Some(v as u64)
        } else {
            self.push(
                Diagnostic::error(
                    n.span,
                    format!("{what} must be a whole number from {min} to {max}, found {}", n.node.shown()),
                )
                .with_label("not allowed here"),
            );
            None
        }
    }

    pub(super) fn positive(&mut self, n: &Num, what: &str) -> Option<f64> {
        if n.node.value > 0.0 && n.node.value.is_finite() {
            Some(n.node.value)
        } else {
            self.push(
                Diagnostic::error(n.span, format!("{what} must be positive, found {}", n.node.shown()))
                    .with_label("not positive"),
            );
            None
        }
    }

    /// A size written as `a` or `a x b`, as a pair (rows, columns) for an input of `rank` dimensions.
    pub(super) fn pair(
        &mut self,
        dims: &[Num],
        what: &str,
        rank: usize,
        min: usize,
        span: Span,
    ) -> Option<(usize, usize)> {
        let vals: Vec<Option<usize>> = dims.iter().map(|n| self.whole(n, what, min)).collect();
        let vals: Vec<usize> = vals.into_iter().collect::<Option<_>>()?;
        match (vals.as_slice(), rank) {
            ([a], 1) => Some((if min == 0 { 0 } else { 1 }, *a)),
            ([a], _) => Some((*a, *a)),
            ([a, b], 2) => Some((*a, *b)),
            _ => {
                self.push(
                    Diagnostic::error(
                        span,
                        format!(
                            "{what} has {} sizes but the input has {rank} dimension{}",
                            vals.len(),
                            if rank == 1 { "" } else { "s" }
                        ),
                    )
                    .with_label(format!("{} sizes", vals.len()))
                    .with_hint(if rank == 1 {
                        "a 1-D input takes one size, like `16`"
                    } else {
                        "a 2-D input takes `h x w` (or one size for both)"
                    }),
                );
                None
            }
        }
    }

    /// The numbers of a vector, the span they were written at (the statement's, `stmt`, for an
    /// empty list) and the file they came from.
    pub(super) fn vector(
        &mut self,
        v: &VectorSource,
        what: &str,
        stmt: Span,
    ) -> Option<(Vec<f64>, Span, Option<String>)> {
        match v {
            VectorSource::Inline(nums) => {
                let span = nums.first().map_or(stmt, |a| a.span.join(nums.last().expect("non-empty").span));
                Some((nums.iter().map(|n| n.node.value).collect(), span, None))
            }
            VectorSource::File(path) => {
                self.array(path, what).map(|a| (a.values, path.span, Some(path.node.clone())))
            }
        }
    }

    pub(super) fn array(&mut self, path: &Spanned<String>, what: &str) -> Option<Array> {
        let bytes = match self.files.read(&path.node) {
            Ok(b) => {
                let hash = crate::data::fnv1a(&b);
                self.read.push(crate::data::DataFile {
                    path: path.node.clone(),
                    bytes: b.len() as u64,
                    hash,
                });
                b
            }
            Err(why) => {
                self.push(
                    Diagnostic::error(path.span, format!("cannot read {what} file `{}`: {why}", path.node))
                        .with_label("cannot read")
                        .with_hint("paths are relative to the model file's folder"),
                );
                return None;
            }
        };
        match data::load_array(&path.node, &bytes) {
            Ok(a) => Some(a),
            Err(why) => {
                self.push(
                    Diagnostic::error(path.span, format!("bad {what} file `{}`: {why}", path.node))
                        .with_label("bad data"),
                );
                None
            }
        }
    }
}
