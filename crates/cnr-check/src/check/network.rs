//! The `network` block: input, convolution, activation and output statements, the shapes they
//! give.

use super::activation::{builtin, defined};
use super::{single, Cx};
use crate::activation::{builtin_names, Activation};
use crate::Network;
use cnr_syntax::ast::*;
use cnr_syntax::Diagnostic;
use cnr_syntax::{Span, Spanned};

impl Cx<'_> {
    /// The network's shapes, its activation and its output-weight statement, each checked on its own.
    pub(super) fn network(
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
                NetStmt::Output(..) => outputs.push((&s.node, s.span)),
            }
        }
        let input = single(self, inputs, "`input`");
        let conv = single(self, convs, "`conv`");
        let act = single(self, acts, "`activation`");
        let act_span = act.map_or(Span::detached(), |(_, s)| s);
        let conv_span = conv.map_or(Span::detached(), |(_, s)| s);
        let (output, offset) = match single(self, outputs, "`output`") {
            Some((NetStmt::Output(o, offset), s)) => (Some(Spanned::new(o.clone(), s)), *offset),
            _ => (None, false),
        };

        let open = Span::new(b.span.start, b.span.start + "network".len());
        let missing = |cx: &mut Self, what: &str, example: &str| {
            cx.push(
                Diagnostic::error(open, format!("the network has no `{what}`"))
                    .with_label(format!("missing `{what}`"))
                    .with_hint(format!("add `{example}` inside the block")),
            );
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
            ActivationSpec::Named { name, args } => builtin(name, args, &mut self.diags),
            ActivationSpec::Defined { name, param, body } => {
                if let Some(known) = builtin_names().into_iter().find(|b| *b == name.node) {
                    self.push(
                        Diagnostic::error(
                            name.span,
                            format!("`{known}` is a built-in activation and cannot be redefined"),
                        )
                        .with_label("a built-in name")
                        .with_hint("give your activation another name"),
                    );
                    return None;
                }
                defined(&name.node, &param.node, body, &mut self.diags)
            }
        });
        let shapes = match (input, conv) {
            (Some(input), Some(conv)) => self.shapes(input, conv).map(|net| Network { offset, ..net }),
            _ => None,
        };
        (shapes, activation, output, [act_span, conv_span])
    }

    /// The convolution's shapes from the `input` and `conv` statements.
    pub(super) fn shapes(&mut self, input: (&NetStmt, Span), conv: (&NetStmt, Span)) -> Option<Network> {
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
                self.push(
                    Diagnostic::error(
                        in_span,
                        format!(
                            "an input has 1 or 2 sizes (length, or height x width), found {}",
                            dims.len()
                        ),
                    )
                    .with_label(format!("{} sizes", dims.len()))
                    .with_hint("write channels separately: `input 32 x 32 channels 3`"),
                );
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
                self.push(
                    Diagnostic::error(o.span, format!("`{key}` is given more than once in `conv`"))
                        .with_label("repeated"),
                );
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
            self.push(
                Diagnostic::error(conv_span, "`conv` has no kernel size")
                    .with_label("missing `kernel`")
                    .with_hint("add it, e.g. `conv kernel 16 stride 16`"),
            );
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
            self.push(
                Diagnostic::error(
                    kernel_span,
                    format!("the kernel ({k}) is larger than the padded input ({i})"),
                )
                .with_label("kernel too large")
                .with_hint("a kernel as large as the input makes one fully connected neuron (K = 1)"),
            );
            return None;
        }
        let network =
            Network { channels, height, width, kernel, stride, padding, filters, bias, offset: false };
        self.network_fits(&network, in_span, conv_span)?;
        Some(network)
    }
}
