//! The `learn` block and `output learned`: the options of the convex program of learned output
//! weights, and the statements that do not go with them.

use super::{single, Cx};
use crate::learned::{Arrangements, Form, Learn, DEFAULT_ARRANGEMENTS};
use crate::Activation;
use cnr_syntax::ast::*;
use cnr_syntax::{suggest, Diagnostic, Span, Spanned};

/// Whether the output statement is `output learned`.
pub(super) fn learned_output(spec: Option<&Spanned<OutputSpec>>) -> bool {
    matches!(spec, Some(Spanned { node: OutputSpec::Named(n), .. }) if n.node == "learned")
}

/// The keyword at the start of a block.
fn keyword(span: Span, word: &str) -> Span {
    Span::new(span.start, span.start + word.len())
}

impl Cx<'_> {
    /// The `learn` block's options when the output is learned (`Some(None)`: fixed output
    /// weights, no block); `None` after an error.
    pub(super) fn learn(
        &mut self,
        block: Option<&Block<LearnStmt>>,
        output: Option<&Spanned<OutputSpec>>,
        relax: Option<&Block<RelaxStmt>>,
        activation: (Option<&Activation>, Span),
    ) -> Option<Option<Learn>> {
        let learned = learned_output(output);
        if !learned {
            if let Some(b) = block {
                self.push(
                    Diagnostic::error(keyword(b.span, "learn"), "a `learn` block trains the output weights, but the network's output weights are fixed")
                        .with_label("needs `output learned`")
                        .with_hint("write `output learned` in the network to train them, or remove the `learn` block to solve the relaxation of fixed weights"),
                );
                return None;
            }
            return Some(None);
        }
        let output_span = output.map_or(Span::detached(), |o| o.span);
        let mut ok = true;
        if let Some(r) = relax {
            self.push(
                Diagnostic::error(keyword(r.span, "relax"), "a `relax` block sets the relaxation of fixed output weights; with `output learned` the program is the `learn` block's")
                    .with_label("not with `output learned`")
                    .with_hint("remove the `relax` block (its anchor, penalty and bound have no meaning here)"),
            );
            ok = false;
        }
        if let (Some(act), span) = activation {
            if act.name != "relu" {
                self.push(
                    Diagnostic::error(span, format!("learned output weights take `activation relu`, found `{}`", act.name))
                        .with_label("not ReLU")
                        .with_hint("the exact convex program is that of a ReLU network; write `activation relu` (and `form gated` in the `learn` block for a gated ReLU network)"),
                );
                ok = false;
            }
        }
        let Some(b) = block else {
            self.push(
                Diagnostic::error(
                    output_span,
                    "`output learned` needs a `learn` block with the weight decay",
                )
                .with_label("no `learn` block")
                .with_hint("add `learn { weight_decay 0.001 }` (docs/learned.md)"),
            );
            return None;
        };
        let (mut decays, mut forms, mut arrangements) = (vec![], vec![], vec![]);
        for s in &b.stmts {
            match &s.node {
                LearnStmt::WeightDecay(_) => decays.push((&s.node, s.span)),
                LearnStmt::Form(_) => forms.push((&s.node, s.span)),
                LearnStmt::Arrangements(..) => arrangements.push((&s.node, s.span)),
            }
        }
        let weight_decay = match single(self, decays, "`weight_decay`") {
            Some((LearnStmt::WeightDecay(n), _)) => self.positive(n, "the weight decay"),
            _ => {
                self.push(
                    Diagnostic::error(keyword(b.span, "learn"), "the `learn` block has no `weight_decay`")
                        .with_label("missing `weight_decay`")
                        .with_hint("add `weight_decay 0.001` inside the block: the weight β of β/2 (‖u‖² + α²) per neuron"),
                );
                None
            }
        };
        let form = match single(self, forms, "`form`") {
            Some((LearnStmt::Form(f), _)) => match f.node.as_str() {
                "exact" => Some(Form::Exact),
                "gated" => Some(Form::Gated),
                other => {
                    self.push(
                        Diagnostic::error(f.span, format!("unknown form `{other}`"))
                            .with_label("unknown")
                            .with_hint(suggest(other, &["exact", "gated"])),
                    );
                    None
                }
            },
            _ => Some(Form::Exact),
        };
        let arrangements_span = arrangements.first().map_or(keyword(b.span, "learn"), |(_, s)| *s);
        let arrangements = match single(self, arrangements, "`arrangements`") {
            Some((LearnStmt::Arrangements(None, ..), _)) => Some(Arrangements::All),
            Some((LearnStmt::Arrangements(Some(count), seed, drawn), _)) => {
                let count = self.whole(count, "the number of arrangements", 1);
                let seed = match seed {
                    Some(s) => self.seed(s),
                    None => Some(0),
                };
                count.zip(seed).map(|(count, seed)| match drawn {
                    Drawn::Generated => Arrangements::Generated { count, seed },
                    _ => Arrangements::Sampled { count, seed, planted: *drawn == Drawn::WithPlanted },
                })
            }
            _ => Some(DEFAULT_ARRANGEMENTS),
        };
        let (weight_decay, form, arrangements) = (weight_decay?, form?, arrangements?);
        ok.then_some(Some(Learn { weight_decay, form, arrangements, span: b.span, arrangements_span }))
    }
}
