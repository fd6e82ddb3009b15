//! The output weights: a list, `ones`, a constant, `mean`, random with a seed, or a file.

use super::Cx;
use crate::data::{self};
use crate::Network;
use cnr_syntax::ast::*;
use cnr_syntax::Diagnostic;
use cnr_syntax::{suggest, Spanned};

impl Cx<'_> {
    /// The output weights, `M·K` of them. Without a valid network only what does not depend on its
    /// shape is checked (names, signs), and nothing is returned.
    pub(super) fn output(
        &mut self,
        net: Option<&Network>,
        spec: Option<&Spanned<OutputSpec>>,
    ) -> Option<Vec<f64>> {
        let (k, m) = net.map_or((0, 0), |n| (n.patches(), n.filters));
        let Some(spec) = spec else { return net.map(|_| vec![1.0; m * k]) };
        let (values, span) = match &spec.node {
            // Learned weights: the planted teacher's are ones (docs/learned.md).
            OutputSpec::Named(n) if n.node == "ones" || n.node == "learned" => {
                return net.map(|_| vec![1.0; m * k])
            }
            OutputSpec::Named(n) if n.node == "mean" => return net.map(|_| vec![1.0 / k as f64; m * k]),
            OutputSpec::Named(n) if n.node == "random" || n.node == "file" => {
                let example =
                    if n.node == "random" { "output random seed 3" } else { "output file \"u.npy\"" };
                self.push(
                    Diagnostic::error(
                        n.span,
                        format!(
                            "`{}` needs {}",
                            n.node,
                            if n.node == "random" { "a seed" } else { "a quoted file name" }
                        ),
                    )
                    .with_label("incomplete")
                    .with_hint(format!("write it like `{example}`")),
                );
                return None;
            }
            OutputSpec::Named(n) => {
                self.push(
                    Diagnostic::error(n.span, format!("unknown output weights `{}`", n.node))
                        .with_label("unknown")
                        .with_hint(suggest(&n.node, &["ones", "mean", "random", "file", "learned"]))
                        .with_hint("or a number, or a list like `[1, 0.5, 1]`"),
                );
                return None;
            }
            OutputSpec::Constant(c) => (vec![c.node.value], c.span),
            OutputSpec::Random(seed) => {
                let seed = self.seed(seed)?;
                net?;
                return Some(data::uniforms(&mut data::generator(seed), m * k));
            }
            OutputSpec::Vector(v) => {
                let (vals, span, _) = self.vector(v, "output-weight", spec.span)?;
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
                self.push(
                    Diagnostic::error(
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
                    )),
                );
                return None;
            }
        };
        if full.iter().any(|u| !u.is_finite()) {
            self.push(Diagnostic::error(span, "the output weights must be finite numbers"));
            return None;
        }
        if full.iter().any(|&u| u < 0.0) {
            self.push(Diagnostic::error(span, "the output weights have a negative entry")
                .with_label("negative weight")
                .with_hint("with a negative weight f(x; w) is no longer convex in w, and the relaxation does not apply; all weights must be ≥ 0"));
            return None;
        }
        if full.iter().all(|&u| u == 0.0) {
            self.push(
                Diagnostic::error(
                    span,
                    "the output weights are all zero, so the network's output is constant",
                )
                .with_label("all zero")
                .with_hint("the output must depend on the filters; give at least one weight > 0"),
            );
            return None;
        }
        net.map(|_| full)
    }
}
