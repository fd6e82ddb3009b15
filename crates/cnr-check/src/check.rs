//! The walk over the syntax tree that builds a [`Model`], collecting every diagnostic on the way.

use crate::activation::{self, Activation};
use crate::data::{self, Array, Data, DataSource, Files};
use crate::{Anchor, Model, ModelSpans, Network, Norm, Overrides, Relax, SolverSpec};
use cnr_syntax::ast::*;
use cnr_syntax::{suggest, Diagnostic, Span, Spanned};

/// Checks a parsed file. `default_name` names the model when the file declares none (the CLI passes
/// the file's stem). On failure, every diagnostic found is returned, in source order.
pub fn check(
    file: &SourceFile,
    default_name: &str,
    files: &dyn Files,
    overrides: &Overrides,
) -> Result<Model, Vec<Diagnostic>> {
    let mut cx = Cx { diags: Vec::new(), files };
    let overflows = overflowing_numbers(file);
    let model = cx.model(file, default_name, overrides);
    let mut diags = cx.diags;
    // A number that overflows is reported once, as such, not again by every rule its infinite
    // value breaks.
    diags.retain(|d| !overflows.iter().any(|o| o.span.start == d.span.start && o.span.end == d.span.end));
    diags.extend(overflows);
    diags.sort_by_key(|d| d.span.start);
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

/// The most numbers one array of a model may hold: the inputs of all samples, the patch map, the
/// output weights. 2^31 numbers of 8 bytes are 16 GiB, far beyond any model this tool is for, and
/// the limit keeps every size and index computation well inside 64 bits (and patch indices inside
/// 32 bits).
pub(crate) const MAX_NUMBERS: usize = 1 << 31;

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
                        NetStmt::Output(OutputSpec::Vector(v)) => vector(v, &mut nums),
                        NetStmt::Output(OutputSpec::Constant(n) | OutputSpec::Random(n)) => {
                            nums.push((n.span, &n.node))
                        }
                        NetStmt::Output(OutputSpec::Named(_)) => {}
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
                        RelaxStmt::AnchorNamed(_) => {}
                        RelaxStmt::AnchorVector(v) => vector(v, &mut nums),
                        RelaxStmt::Penalty(_, n) | RelaxStmt::Bound(_, n) => nums.push((n.span, &n.node)),
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
        .filter(|(_, n)| !n.value.is_finite())
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
    fn error(&mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(span, message)
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn model(&mut self, file: &SourceFile, default_name: &str, ov: &Overrides) -> Option<Model> {
        let mut names = Vec::new();
        let mut networks = Vec::new();
        let mut datas = Vec::new();
        let mut relaxes = Vec::new();
        let mut solvers = Vec::new();
        for item in &file.items {
            match item {
                Item::Model(n) => names.push((n, n.span)),
                Item::Network(b) => networks.push((b, b.span)),
                Item::PlantedData(_) | Item::FileData(_) => datas.push((item, item.span())),
                Item::Relax(b) => relaxes.push((b, b.span)),
                Item::Solver(b) => solvers.push((b, b.span)),
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
                Item::Network(_) => "network",
                Item::PlantedData(_) | Item::FileData(_) => "data",
                Item::Relax(_) => "relax",
                Item::Solver(_) => "solver",
            };
            Span::new(start, start + keyword.len())
        });
        let net_block = single(self, networks, "a `network` block").map(|(b, _)| b);
        if net_block.is_none() {
            let d = self
                .error(first, "the model has no `network` block")
                .with_label(if file.items.is_empty() { "the file has no items" } else { "no `network` in this model" })
                .with_hint(
                "add one, e.g. `network { input 128 conv kernel 16 stride 16 activation relu output ones }`",
            );
            self.push(d);
        }
        let data_item = single(self, datas, "a `data` block");
        let relax_block = single(self, relaxes, "a `relax` block").map(|(b, _)| b);
        let solver_block = single(self, solvers, "a `solver` block").map(|(b, _)| b);

        // Each part is checked as far as it can be without the others, so that independent mistakes
        // in different blocks are all reported; what depends on a part that failed is skipped.
        let (network, activation, output_spec, [activation_span, conv_span]) = match net_block {
            Some(b) => self.network(b),
            None => (None, None, None, [Span::detached(); 2]),
        };
        let output_span = output_spec.as_ref().map_or(Span::detached(), |o| o.span);
        let solver = solver_block.map_or_else(SolverSpec::default, |b| self.solver(b));
        let output = self.output(network.as_ref(), output_spec.as_ref());
        let data = match data_item {
            Some((item, _)) => self.data(item, network.as_ref(), ov),
            None => {
                let d = self
                    .error(first, "the model has no `data` block")
                    .with_label(if file.items.is_empty() { "the file has no items" } else { "no `data` in this model" })
                    .with_hint("add `data planted { samples 192 seed 7 }` or `data files { inputs \"x.npy\" labels \"y.npy\" }`");
                self.push(d);
                None
            }
        };
        let relax = self.relax(relax_block, network.as_ref(), activation.as_ref(), data.as_ref());
        let statement = |pick: fn(&RelaxStmt) -> bool| {
            relax_block.and_then(|b| b.stmts.iter().find(|s| pick(&s.node))).map(|s| s.span)
        };
        let spans = ModelSpans {
            activation: activation_span,
            penalty: statement(|s| matches!(s, RelaxStmt::Penalty(..))),
            bound: statement(|s| matches!(s, RelaxStmt::Bound(..))),
            anchor: statement(|s| matches!(s, RelaxStmt::AnchorNamed(_) | RelaxStmt::AnchorVector(_))),
            conv: conv_span,
            output: output_span,
            data: data_item.map_or(Span::detached(), |(_, s)| Span::new(s.start, s.start + "data".len())),
        };
        let network = network?;
        let mut model = Model {
            name,
            geometry: network.taps(),
            network,
            activation: activation?,
            output: output?,
            data: data?,
            relax: relax?,
            solver,
            spans,
        };
        add_planted_labels(&mut model);
        Some(model)
    }

    fn whole(&mut self, n: &Num, what: &str, min: usize) -> Option<usize> {
        self.whole_up_to(n, what, min as u64, u32::MAX as u64).map(|v| v as usize)
    }

    /// A seed: any whole number a double holds exactly, the same range `--seed` has in practice.
    fn seed(&mut self, n: &Num) -> Option<u64> {
        self.whole_up_to(n, "the seed", 0, (1u64 << 53) - 1)
    }

    fn whole_up_to(&mut self, n: &Num, what: &str, min: u64, max: u64) -> Option<u64> {
        let v = n.node.value;
        if v.fract() == 0.0 && v >= min as f64 && v <= max as f64 {
            Some(v as u64)
        } else {
            let d = self
                .error(
                    n.span,
                    format!("{what} must be a whole number from {min} to {max}, found {}", n.node.text),
                )
                .with_label("not allowed here");
            self.push(d);
            None
        }
    }

    fn positive(&mut self, n: &Num, what: &str) -> Option<f64> {
        if n.node.value > 0.0 && n.node.value.is_finite() {
            Some(n.node.value)
        } else {
            let d = self
                .error(n.span, format!("{what} must be positive, found {}", n.node.text))
                .with_label("not positive");
            self.push(d);
            None
        }
    }

    /// A size written as `a` or `a x b`, as a pair (rows, columns) for an input of `rank` dimensions.
    fn pair(
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
                let d = self
                    .error(
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
                    });
                self.push(d);
                None
            }
        }
    }

    /// The network's shapes, its activation and its output-weight statement, each checked on its own.
    fn network(
        &mut self,
        b: &Block<NetStmt>,
    ) -> (Option<Network>, Option<Activation>, Option<Spanned<OutputSpec>>, [Span; 2]) {
        let mut inputs = Vec::new();
        let mut convs = Vec::new();
        let mut acts = Vec::new();
        let mut outputs = Vec::new();
        for s in &b.stmts {
            match &s.node {
                NetStmt::Input { .. } => inputs.push((&s.node, s.span)),
                NetStmt::Conv(_) => convs.push((&s.node, s.span)),
                NetStmt::Activation(a) => acts.push((a, s.span)),
                NetStmt::Output(o) => outputs.push((o, s.span)),
            }
        }
        let input = single(self, inputs, "`input`");
        let conv = single(self, convs, "`conv`");
        let act = single(self, acts, "`activation`");
        let act_span = act.map_or(Span::detached(), |(_, s)| s);
        let conv_span = conv.map_or(Span::detached(), |(_, s)| s);
        let output = single(self, outputs, "`output`").map(|(o, s)| Spanned::new(o.clone(), s));

        let open = Span::new(b.span.start, b.span.start + "network".len());
        let missing = |cx: &mut Self, what: &str, example: &str| {
            let d = cx
                .error(open, format!("the network has no `{what}`"))
                .with_label(format!("missing `{what}`"))
                .with_hint(format!("add `{example}` inside the block"));
            cx.push(d);
        };
        if input.is_none() {
            missing(self, "input", "input 128");
        }
        if conv.is_none() {
            missing(self, "conv", "conv kernel 16 stride 16");
        }
        if act.is_none() {
            missing(self, "activation", "activation relu");
        }
        let activation = act.and_then(|(a, _)| match a {
            ActivationSpec::Named { name, args } => activation::builtin(name, args, &mut self.diags),
            ActivationSpec::Defined { name, param, body } => {
                if let Some(known) = activation::BUILTINS.iter().find(|b| **b == name.node) {
                    let d = self
                        .error(
                            name.span,
                            format!("`{known}` is a built-in activation and cannot be redefined"),
                        )
                        .with_label("a built-in name")
                        .with_hint("give your activation another name");
                    self.push(d);
                    return None;
                }
                activation::defined(&name.node, &param.node, body, &mut self.diags)
            }
        });
        let shapes = match (input, conv) {
            (Some(input), Some(conv)) => self.shapes(input, conv),
            _ => None,
        };
        (shapes, activation, output, [act_span, conv_span])
    }

    /// The convolution's shapes from the `input` and `conv` statements.
    fn shapes(&mut self, input: (&NetStmt, Span), conv: (&NetStmt, Span)) -> Option<Network> {
        let (NetStmt::Input { dims, channels }, in_span) = input else { unreachable!("input statement") };
        let in_dims: Vec<Option<usize>> = dims.iter().map(|n| self.whole(n, "an input size", 1)).collect();
        let channels = match channels {
            Some(c) => self.whole(c, "the number of channels", 1),
            None => Some(1),
        };
        // A bad input size does not stop the check of the `conv` options below.
        let height_width = match in_dims.as_slice() {
            [Some(w)] => Some((1, *w)),
            [Some(h), Some(w)] => Some((*h, *w)),
            [_] | [_, _] => None,
            _ => {
                let d = self
                    .error(
                        in_span,
                        format!(
                            "an input has 1 or 2 sizes (length, or height x width), found {}",
                            dims.len()
                        ),
                    )
                    .with_label(format!("{} sizes", dims.len()))
                    .with_hint("write channels separately: `input 32 x 32 channels 3`");
                self.push(d);
                None
            }
        };
        let rank = if dims.len() == 1 { 1 } else { 2 };
        let (NetStmt::Conv(opts), conv_span) = conv else { unreachable!("conv statement") };
        let mut kernel = None;
        let mut stride = Some((1, 1));
        let mut padding = Some((0, 0));
        let mut filters = Some(1);
        let mut bias = false;
        let mut seen: Vec<&str> = Vec::new();
        for o in opts {
            let key = match &o.node {
                ConvOpt::Kernel(_) => "kernel",
                ConvOpt::Stride(_) => "stride",
                ConvOpt::Padding(_) => "padding",
                ConvOpt::Filters(_) => "filters",
                ConvOpt::Bias => "bias",
            };
            if seen.contains(&key) {
                let d = self
                    .error(o.span, format!("`{key}` is given more than once in `conv`"))
                    .with_label("repeated");
                self.push(d);
                continue;
            }
            seen.push(key);
            match &o.node {
                ConvOpt::Kernel(d) => kernel = self.pair(d, "the kernel size", rank, 1, o.span),
                ConvOpt::Stride(d) => stride = self.pair(d, "the stride", rank, 1, o.span),
                ConvOpt::Padding(d) => padding = self.pair(d, "the padding", rank, 0, o.span),
                ConvOpt::Filters(n) => filters = self.whole(n, "the number of filters", 1),
                ConvOpt::Bias => bias = true,
            }
        }
        if !seen.contains(&"kernel") {
            let d = self
                .error(conv_span, "`conv` has no kernel size")
                .with_label("missing `kernel`")
                .with_hint("add it, e.g. `conv kernel 16 stride 16`");
            self.push(d);
        }
        let (kernel, stride, padding, filters, channels) = (kernel?, stride?, padding?, filters?, channels?);
        let (height, width) = height_width?;
        let kernel_span =
            opts.iter().find(|o| matches!(o.node, ConvOpt::Kernel(_))).map_or(conv_span, |o| o.span);
        let (ph, pw) = padding;
        if kernel.0 > height + 2 * ph || kernel.1 > width + 2 * pw {
            let (k, i) = if rank == 1 {
                (format!("{}", kernel.1), format!("{}", width + 2 * pw))
            } else {
                (format!("{} x {}", kernel.0, kernel.1), format!("{} x {}", height + 2 * ph, width + 2 * pw))
            };
            let d = self
                .error(kernel_span, format!("the kernel ({k}) is larger than the padded input ({i})"))
                .with_label("kernel too large")
                .with_hint("a kernel as large as the input makes one fully connected neuron (K = 1)");
            self.push(d);
            return None;
        }
        let network = Network { channels, height, width, kernel, stride, padding, filters, bias };
        self.size_limits(&network, in_span, conv_span)?;
        Some(network)
    }

    /// Rejects networks whose arrays could not be held in memory: the input (`C·H·W`), the patch map
    /// (`K·d`), the output weights (`M·K`) and the filters (`M·d`) must each have at most
    /// [`MAX_NUMBERS`] entries. The products are taken in 128 bits, so no size overflows.
    fn size_limits(&mut self, net: &Network, in_span: Span, conv_span: Span) -> Option<()> {
        let wide = |v: usize| v as u128;
        let (ph, pw) = (wide(net.padding.0), wide(net.padding.1));
        let rows = (wide(net.height) + 2 * ph - wide(net.kernel.0)) / wide(net.stride.0) + 1;
        let cols = (wide(net.width) + 2 * pw - wide(net.kernel.1)) / wide(net.stride.1) + 1;
        let input = wide(net.channels) * wide(net.height) * wide(net.width);
        let d = wide(net.channels) * wide(net.kernel.0) * wide(net.kernel.1);
        let (k, m) = (rows * cols, wide(net.filters));
        let limit = MAX_NUMBERS as u128;
        let problem = if input > limit {
            Some((in_span, format!("the input holds C·H·W = {input} numbers")))
        } else if k * d > limit {
            Some((
                conv_span,
                format!("the convolution has K = {k} patches of d = {d} numbers (K·d = {})", k * d),
            ))
        } else if m * k.max(d) > limit {
            Some((
                conv_span,
                format!("the convolution has M = {m} filters of d = {d} numbers over K = {k} patches"),
            ))
        } else {
            None
        };
        match problem {
            Some((span, what)) => {
                let d = self
                    .error(span, format!("the network is too large: {what}, more than the limit of 2^31"))
                    .with_label("too large")
                    .with_hint("a model this size cannot be held in memory; use a smaller input, a larger stride or fewer filters");
                self.push(d);
                None
            }
            None => Some(()),
        }
    }

    fn vector(&mut self, v: &VectorSource, what: &str) -> Option<(Vec<f64>, Span, Option<String>)> {
        match v {
            VectorSource::Inline(nums) => {
                let span = nums
                    .first()
                    .map_or(Span::detached(), |a| a.span.join(nums.last().expect("non-empty").span));
                Some((nums.iter().map(|n| n.node.value).collect(), span, None))
            }
            VectorSource::File(path) => {
                self.array(path, what).map(|a| (a.values, path.span, Some(path.node.clone())))
            }
        }
    }

    fn array(&mut self, path: &Spanned<String>, what: &str) -> Option<Array> {
        let bytes = match self.files.read(&path.node) {
            Ok(b) => b,
            Err(why) => {
                let d = self
                    .error(path.span, format!("cannot read {what} file `{}`: {why}", path.node))
                    .with_label("cannot read")
                    .with_hint("paths are relative to the model file's folder");
                self.push(d);
                return None;
            }
        };
        match data::load_array(&path.node, &bytes) {
            Ok(a) => Some(a),
            Err(why) => {
                let d = self
                    .error(path.span, format!("bad {what} file `{}`: {why}", path.node))
                    .with_label("bad data");
                self.push(d);
                None
            }
        }
    }

    /// The output weights, `M·K` of them. Without a valid network only what does not depend on its
    /// shape is checked (names, signs), and nothing is returned.
    fn output(&mut self, net: Option<&Network>, spec: Option<&Spanned<OutputSpec>>) -> Option<Vec<f64>> {
        let (k, m) = net.map_or((0, 0), |n| (n.patches(), n.filters));
        let Some(spec) = spec else { return net.map(|_| vec![1.0; m * k]) };
        let (values, span) = match &spec.node {
            OutputSpec::Named(n) if n.node == "ones" => return net.map(|_| vec![1.0; m * k]),
            OutputSpec::Named(n) if n.node == "mean" => return net.map(|_| vec![1.0 / k as f64; m * k]),
            OutputSpec::Named(n) if n.node == "random" || n.node == "file" => {
                let example =
                    if n.node == "random" { "output random seed 3" } else { "output file \"u.npy\"" };
                let d = self
                    .error(
                        n.span,
                        format!(
                            "`{}` needs {}",
                            n.node,
                            if n.node == "random" { "a seed" } else { "a quoted file name" }
                        ),
                    )
                    .with_label("incomplete")
                    .with_hint(format!("write it like `{example}`"));
                self.push(d);
                return None;
            }
            OutputSpec::Named(n) => {
                let d = self
                    .error(n.span, format!("unknown output weights `{}`", n.node))
                    .with_label("unknown")
                    .with_hint(suggest(&n.node, &["ones", "mean", "random", "file"]))
                    .with_hint("or a number, or a list like `[1, 0.5, 1]`");
                self.push(d);
                return None;
            }
            OutputSpec::Constant(c) => (vec![c.node.value], c.span),
            OutputSpec::Random(seed) => {
                let seed = self.seed(seed)?;
                net?;
                return Some(data::uniforms(&mut data::generator(seed), m * k));
            }
            OutputSpec::Vector(v) => {
                let (vals, span, _) = self.vector(v, "output-weight")?;
                (vals, span)
            }
        };
        let full = match values.len() {
            // Without a network the weights are checked as written.
            _ if net.is_none() => values,
            1 => vec![values[0]; m * k],
            n if n == k => values.iter().cycle().take(m * k).copied().collect(),
            n if n == m * k => values,
            n => {
                let d = self
                    .error(
                        span,
                        format!(
                            "{n} output weights given; the network has K = {k} patches and M = {m} filter{}",
                            if m == 1 { "" } else { "s" }
                        ),
                    )
                    .with_label("wrong length")
                    .with_hint(format!(
                        "give one number, K = {k} numbers (shared by the filters) or M·K = {} numbers",
                        m * k
                    ));
                self.push(d);
                return None;
            }
        };
        if full.iter().any(|u| !u.is_finite()) {
            let d = self.error(span, "the output weights must be finite numbers");
            self.push(d);
            return None;
        }
        if full.iter().any(|&u| u < 0.0) {
            let d = self
                .error(span, "the output weights have a negative entry")
                .with_label("negative weight")
                .with_hint("with a negative weight f(x; w) is no longer convex in w, and the relaxation does not apply; all weights must be ≥ 0");
            self.push(d);
            return None;
        }
        if full.iter().all(|&u| u == 0.0) {
            let d = self
                .error(span, "the output weights are all zero, so the network's output is constant")
                .with_label("all zero")
                .with_hint("the output must depend on the filters; give at least one weight > 0");
            self.push(d);
            return None;
        }
        net.map(|_| full)
    }

    /// The samples. Without a valid network, the block's own statements and files are still checked.
    fn data(&mut self, item: &Item, net: Option<&Network>, ov: &Overrides) -> Option<Data> {
        match item {
            Item::PlantedData(b) => self.planted(b, net, ov),
            Item::FileData(b) => self.file_data(b, net, ov),
            _ => unreachable!("data item"),
        }
    }

    fn planted(&mut self, b: &Block<PlantedStmt>, net: Option<&Network>, ov: &Overrides) -> Option<Data> {
        let (mut samples, mut seeds, mut noises, mut filters) = (vec![], vec![], vec![], vec![]);
        for s in &b.stmts {
            match &s.node {
                PlantedStmt::Samples(n) => samples.push((n, s.span)),
                PlantedStmt::Seed(n) => seeds.push((n, s.span)),
                PlantedStmt::Noise(n) => noises.push((n, s.span)),
                PlantedStmt::Filter(v) => filters.push((v, s.span)),
            }
        }
        let samples = single(self, samples, "`samples`");
        let seed = single(self, seeds, "`seed`");
        let noise = single(self, noises, "`noise`");
        let filter = single(self, filters, "`filter`");
        let n = match (ov.samples, samples) {
            (Some(n), _) => Some(n),
            (None, Some((num, _))) => self.whole(num, "the number of samples", 1),
            (None, None) => {
                let d = self
                    .error(Span::new(b.span.start, b.span.start + 4), "planted data need a number of samples")
                    .with_label("missing `samples`")
                    .with_hint("add `samples 192` (or pass --samples)");
                self.push(d);
                None
            }
        };
        let seed = match (ov.seed, seed) {
            (Some(s), _) => Some(s),
            (None, Some((num, _))) => self.seed(num),
            (None, None) => Some(0),
        };
        let noise = match (ov.noise, noise) {
            (Some(x), _) => Some(x),
            (None, Some((num, _))) if num.node.value >= 0.0 && num.node.value.is_finite() => {
                Some(num.node.value)
            }
            (None, Some((num, _))) => {
                let d = self
                    .error(num.span, format!("the noise level must be ≥ 0, found {}", num.node.text))
                    .with_label("negative");
                self.push(d);
                None
            }
            (None, None) => Some(0.0),
        };
        let given = match filter {
            Some((v, _)) => {
                let (vals, span, _) = self.vector(v, "planted-filter")?;
                let dm = net?.d() * net?.filters;
                if vals.len() != dm {
                    let d = self
                        .error(
                            span,
                            format!(
                                "the planted filter has {} numbers; the network needs M·d = {dm}",
                                vals.len()
                            ),
                        )
                        .with_label("wrong length");
                    self.push(d);
                    return None;
                }
                Some(vals)
            }
            None => None,
        };
        let (n, seed, noise, net) = (n?, seed?, noise?, net?);
        let numbers = (n as u128) * (net.input_len() as u128);
        if numbers > MAX_NUMBERS as u128 {
            // The count comes from `--samples` when it is given, else from the `samples` statement.
            let span = match (ov.samples, samples) {
                (None, Some((num, _))) => num.span,
                _ => Span::new(b.span.start, b.span.start + 4),
            };
            let d = self
                .error(
                    span,
                    format!(
                        "{n} samples of C·H·W = {} numbers are {numbers} numbers, more than the limit of 2^31",
                        net.input_len()
                    ),
                )
                .with_label("too many samples")
                .with_hint(format!(
                    "at most {} samples of this input fit",
                    MAX_NUMBERS / net.input_len().max(1)
                ));
            self.push(d);
            return None;
        }
        // Drawing the samples is the checker's most expensive step; a model that already failed
        // would be discarded anyway.
        if self.diags.iter().any(Diagnostic::is_error) {
            return None;
        }
        Some(planted_data(net, n, seed, noise, given))
    }

    fn file_data(&mut self, b: &Block<FileStmt>, net: Option<&Network>, ov: &Overrides) -> Option<Data> {
        let (mut xs, mut ys, mut ws) = (vec![], vec![], vec![]);
        for s in &b.stmts {
            match &s.node {
                FileStmt::Inputs(p) => xs.push((p, s.span)),
                FileStmt::Labels(p) => ys.push((p, s.span)),
                FileStmt::Planted(p) => ws.push((p, s.span)),
            }
        }
        let xs = single(self, xs, "`inputs`");
        let ys = single(self, ys, "`labels`");
        let ws = single(self, ws, "`planted`");
        let head = Span::new(b.span.start, b.span.start + 4);
        for (flag, set) in [("--seed", ov.seed.is_some()), ("--noise", ov.noise.is_some())] {
            if set {
                let d = self.error(
                    head,
                    format!("{flag} applies only to planted data, and this model reads its data from files"),
                );
                self.push(d);
            }
        }
        let x = match xs {
            Some((p, _)) => self.array(p, "inputs").map(|a| (a, p)),
            None => {
                let d = self
                    .error(head, "file data need an `inputs` file")
                    .with_label("missing `inputs`")
                    .with_hint("add `inputs \"x.npy\"`");
                self.push(d);
                None
            }
        };
        let y = match ys {
            Some((p, _)) => self.array(p, "labels").map(|a| (a, p)),
            None => {
                let d = self
                    .error(head, "file data need a `labels` file")
                    .with_label("missing `labels`")
                    .with_hint("add `labels \"y.npy\"`");
                self.push(d);
                None
            }
        };
        let w = ws.map(|(p, _)| (self.array(p, "planted-filter"), p));
        let ((x, xp), (y, yp), net) = (x?, y?, net?);
        let len = net.input_len();
        let n = y.values.len();
        if !(y.shape.len() == 1 || (y.shape.len() == 2 && y.shape[1] == 1)) {
            let d = self
                .error(
                    yp.span,
                    format!(
                        "the labels in `{}` have shape {:?}; expected one number per sample",
                        yp.node, y.shape
                    ),
                )
                .with_label("wrong shape");
            self.push(d);
            return None;
        }
        let rows = x.shape.first().copied().unwrap_or(0);
        let per_row: usize = x.shape.iter().skip(1).product();
        if x.shape.len() < 2 || per_row != len {
            let d = self
                .error(xp.span, format!("the inputs in `{}` have shape {:?}; the network needs n rows of C·H·W = {len} numbers", xp.node, x.shape))
                .with_label("wrong shape")
                .with_hint(format!("store an array of shape (n, {len})"));
            self.push(d);
            return None;
        }
        if rows != n {
            let d = self
                .error(yp.span, format!("`{}` has {n} labels but `{}` has {rows} inputs", yp.node, xp.node))
                .with_label("sample counts differ");
            self.push(d);
            return None;
        }
        let planted = match w {
            Some((Some(a), _)) if a.values.len() == net.d() * net.filters => Some(a.values),
            Some((Some(a), p)) => {
                let d = self
                    .error(
                        p.span,
                        format!(
                            "the planted filter in `{}` has {} numbers; the network needs M·d = {}",
                            p.node,
                            a.values.len(),
                            net.d() * net.filters
                        ),
                    )
                    .with_label("wrong length");
                self.push(d);
                return None;
            }
            Some((None, _)) => return None,
            None => None,
        };
        let mut data = Data::new(x.values, y.values, len, planted, DataSource::Files);
        if let Some(k) = ov.samples {
            if k > data.n {
                let d = self.error(
                    head,
                    format!("--samples {k} asks for more samples than the files hold ({})", data.n),
                );
                self.push(d);
                return None;
            }
            data.x.truncate(k * len);
            data.y.truncate(k);
            data.n = k;
        }
        Some(data)
    }

    /// The relaxation's options. The network, activation and data are `None` when they failed their
    /// own checks; the statements are checked all the same, as far as they do not depend on them.
    fn relax(
        &mut self,
        b: Option<&Block<RelaxStmt>>,
        net: Option<&Network>,
        act: Option<&Activation>,
        data: Option<&Data>,
    ) -> Option<Relax> {
        let mut relax = Relax { anchor: Anchor::Data, anchor_auto: true, penalty: None, bound: None };
        let auto = act.map(|a| if a.is_even() { Anchor::Spectral } else { Anchor::Data });
        let Some(b) = b else {
            relax.anchor = auto?;
            return Some(relax);
        };
        let (mut anchors, mut penalties, mut bounds) = (vec![], vec![], vec![]);
        for s in &b.stmts {
            match &s.node {
                RelaxStmt::AnchorNamed(_) | RelaxStmt::AnchorVector(_) => anchors.push((&s.node, s.span)),
                RelaxStmt::Penalty(..) => penalties.push((&s.node, s.span)),
                RelaxStmt::Bound(..) => bounds.push((&s.node, s.span)),
            }
        }
        let mut ok = true;
        match single(self, anchors, "`anchor`") {
            None => match auto {
                Some(a) => relax.anchor = a,
                None => ok = false,
            },
            Some((RelaxStmt::AnchorNamed(n), _)) => {
                relax.anchor_auto = n.node == "auto";
                match n.node.as_str() {
                    "auto" => match auto {
                        Some(a) => relax.anchor = a,
                        None => ok = false,
                    },
                    "data" => relax.anchor = Anchor::Data,
                    "spectral" => relax.anchor = Anchor::Spectral,
                    // Data that failed their own checks were reported already.
                    "planted" if data.is_none_or(|d| d.planted.is_some()) => relax.anchor = Anchor::Planted,
                    "planted" => {
                        let d = self
                            .error(
                                n.span,
                                "the planted anchor needs a known planted filter, and these data have none",
                            )
                            .with_label("no planted filter")
                            .with_hint("add `planted \"w.npy\"` to the data files, or use `anchor auto`");
                        self.push(d);
                        ok = false;
                    }
                    other => {
                        let d = self
                            .error(n.span, format!("unknown anchor `{other}`"))
                            .with_label("unknown")
                            .with_hint(suggest(other, &["auto", "data", "spectral", "planted"]))
                            .with_hint("or a list of numbers, or `file \"g.npy\"`");
                        self.push(d);
                        ok = false;
                    }
                }
            }
            Some((RelaxStmt::AnchorVector(v), _)) => {
                relax.anchor_auto = false;
                let dm = net.map(|n| n.d() * n.filters);
                match self.vector(v, "anchor") {
                    Some(_) if dm.is_none() => ok = false,
                    Some((vals, span, _)) if Some(vals.len()) != dm => {
                        let d = self
                            .error(
                                span,
                                format!(
                                    "the anchor has {} numbers; the network needs M·d = {}",
                                    vals.len(),
                                    dm.unwrap_or_default()
                                ),
                            )
                            .with_label("wrong length");
                        self.push(d);
                        ok = false;
                    }
                    Some((vals, _, _)) => relax.anchor = Anchor::Vector(vals),
                    None => ok = false,
                }
            }
            Some(_) => unreachable!("anchor statement"),
        }
        if let Some((RelaxStmt::Penalty(kind, weight), _)) = single(self, penalties, "`penalty`") {
            let norm = self.norm(kind, "penalty", &[("l1", Norm::L1), ("l2", Norm::L2)]);
            match (norm, self.positive(weight, "the penalty weight")) {
                (Some(n), Some(w)) => relax.penalty = Some((n, w)),
                _ => ok = false,
            }
        }
        if let Some((RelaxStmt::Bound(kind, radius), _)) = single(self, bounds, "`bound`") {
            let norm = self.norm(kind, "bound", &[("l2", Norm::L2), ("linf", Norm::Linf)]);
            match (norm, self.positive(radius, "the bound's radius")) {
                (Some(n), Some(r)) => relax.bound = Some((n, r)),
                _ => ok = false,
            }
        }
        ok.then_some(relax)
    }

    /// The norm a `penalty` or `bound` names, out of the ones it allows.
    fn norm(&mut self, kind: &Spanned<String>, what: &str, allowed: &[(&str, Norm)]) -> Option<Norm> {
        if let Some(&(_, n)) = allowed.iter().find(|(name, _)| *name == kind.node) {
            return Some(n);
        }
        let names: Vec<&str> = allowed.iter().map(|(name, _)| *name).collect();
        let d = self
            .error(kind.span, format!("unknown {what} `{}`", kind.node))
            .with_label("unknown")
            .with_hint(suggest(&kind.node, &names));
        self.push(d);
        None
    }

    fn solver(&mut self, b: &Block<SolverStmt>) -> SolverSpec {
        let mut spec = SolverSpec::default();
        let (mut backends, mut tols, mut iters, mut times) = (vec![], vec![], vec![], vec![]);
        for s in &b.stmts {
            match &s.node {
                SolverStmt::Backend(_) => backends.push((&s.node, s.span)),
                SolverStmt::Tolerance(_) => tols.push((&s.node, s.span)),
                SolverStmt::MaxIter(_) => iters.push((&s.node, s.span)),
                SolverStmt::TimeLimit(_) => times.push((&s.node, s.span)),
            }
        }
        // Which backends exist is the driver's knowledge, not the front end's: the name is kept with
        // its place so that the driver can report an unknown one there.
        if let Some((SolverStmt::Backend(name), _)) = single(self, backends, "`backend`") {
            spec.backend = Some(name.clone());
        }
        if let Some((SolverStmt::Tolerance(t), _)) = single(self, tols, "`tolerance`") {
            // The same range as `--tolerance`: a tolerance of 1 or more accepts any point.
            match self.positive(t, "the tolerance") {
                Some(v) if v < 1.0 => spec.tolerance = v,
                Some(_) => {
                    let d = self
                        .error(t.span, format!("the tolerance must be below 1, found {}", t.node.text))
                        .with_label("too large")
                        .with_hint("a relative tolerance such as 1e-7 (the default) or 1e-6");
                    self.push(d);
                }
                None => {}
            }
        }
        if let Some((SolverStmt::MaxIter(n), _)) = single(self, iters, "`max_iter`") {
            if let Some(n) = self.whole(n, "the iteration limit", 1) {
                spec.max_iter = n as u32;
            }
        }
        if let Some((SolverStmt::TimeLimit(t), _)) = single(self, times, "`time_limit`") {
            spec.time_limit = self.positive(t, "the time limit");
        }
        spec
    }
}

/// Draws planted data. The order of draws from one ChaCha8 stream seeded with `seed` is fixed:
/// 1. the planted filters `w*` (`M·d` standard normals, filter-major), unless given;
/// 2. the planted biases (`M` standard normals), only if the network has biases;
/// 3. then, sample by sample: the input (`C·H·W` standard normals, row-major), followed by its
///    label noise (one standard normal, scaled by `noise`) only if `noise > 0`.
///
/// Drawing each sample's noise right after its input means that a larger `samples` extends, never
/// changes, the first samples and their labels. The labels hold the noise until
/// [`add_planted_labels`] adds `f(x_i; w*)` once the output weights and the activation are known.
pub(crate) fn planted_data(net: &Network, n: usize, seed: u64, noise: f64, given: Option<Vec<f64>>) -> Data {
    let mut rng = data::generator(seed);
    let planted = given.unwrap_or_else(|| data::normals(&mut rng, net.d() * net.filters));
    let bias = net.bias.then(|| data::normals(&mut rng, net.filters));
    let len = net.input_len();
    // Drawn straight into their final places: at millions of samples the inputs are gigabytes, and
    // the draws are the cost.
    let mut x = vec![0.0; n * len];
    let mut eps = vec![0.0; n];
    for (xi, e) in x.chunks_mut(len.max(1)).zip(eps.iter_mut()) {
        data::fill_normals(&mut rng, xi);
        if noise > 0.0 {
            *e = noise * data::normal(&mut rng);
        }
    }
    let mut d = Data::new(x, eps, len, Some(planted), DataSource::Planted { seed, noise });
    d.planted_bias = bias;
    d
}

/// Adds `f(x_i; w*, b*)` to the labels of planted data (which hold the noise `ε_i` until then).
fn add_planted_labels(model: &mut Model) {
    if !matches!(model.data.source, DataSource::Planted { .. }) {
        return;
    }
    let w = model.data.planted.clone().expect("planted data know their filter");
    let b = model.data.planted_bias.clone().unwrap_or_default();
    let f = model.outputs(&w, &b, None);
    for (y, fi) in model.data.y.iter_mut().zip(f) {
        *y += fi;
    }
}
