//! Warnings: a model that is legal but will not do what its author expects. Each says what to do;
//! none stops the model from being used.

use crate::activation::Sign;
use crate::{Anchor, Diagnostic, Model};

/// The warnings about a checked model, in source order.
pub fn lint(model: &Model) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for p in model.params.iter().filter(|p| p.uses == 0) {
        out.push(
            Diagnostic::warning(p.span, format!("the parameter `{}` is never used", p.name))
                .with_label("unused")
                .with_hint("use it in a value (`input 8*d`), or remove it"),
        );
    }
    let spans = &model.spans;
    let net = &model.network;
    if model.activation.is_even() && model.relax.anchor == Anchor::Data && !model.relax.anchor_auto {
        out.push(
            Diagnostic::warning(
                spans.anchor.unwrap_or_default(),
                format!(
                    "the data anchor carries no direction for the even activation `{}`: `w` and `−w` fit alike, so Σ y_i x_i averages out",
                    model.activation.name
                ),
            )
            .with_label("no direction for an even activation")
            .with_hint("use `anchor spectral` (what `anchor auto` picks for even activations)"),
        );
    }
    let kk = net.patches();
    let padding_only = (0..kk).filter(|&k| model.geometry.of(k).is_empty()).count();
    if padding_only > 0 {
        out.push(
            Diagnostic::warning(spans.conv, format!("{padding_only} of the {kk} patches see only padding"))
                .with_label("patches of zeros")
                .with_hint("such patches give σ(b) whatever the filter; reduce the padding"),
        );
    }
    let mut used = vec![false; net.input_len()];
    (0..kk).flat_map(|k| model.geometry.of(k)).for_each(|&(_, src)| used[src] = true);
    let unused = used.iter().filter(|u| !**u).count();
    if unused > 0 {
        out.push(
            Diagnostic::warning(
                spans.conv,
                format!("{unused} of the {} input entries are in no patch", net.input_len()),
            )
            .with_label("entries skipped")
            .with_hint("a stride larger than the kernel, or a kernel that does not tile the input, skips entries; check the sizes"),
        );
    }
    // With a penalty such labels are what the slack is for.
    if model.activation.expr.sign() == Sign::Nonneg && model.relax.penalty.is_none() {
        let negative = model.data.y.iter().filter(|&&y| y < 0.0).count();
        if negative > 0 {
            out.push(
                Diagnostic::warning(
                    spans.data,
                    format!(
                        "{negative} of the {} labels {} negative, which `{}` with non-negative output weights can never reach",
                        model.data.n,
                        if negative == 1 { "is" } else { "are" },
                        model.activation.name
                    ),
                )
                .with_label("unreachable labels")
                .with_hint("check the labels; without a `penalty` in `relax` the relaxation is infeasible"),
            );
        }
    }
    for m in 0..net.filters {
        if (0..kk).all(|k| model.u(m, k) == 0.0) {
            out.push(
                Diagnostic::warning(spans.output, format!("filter {m} has all its output weights zero"))
                    .with_label("a filter that is not in the network")
                    .with_hint("give it a non-zero output weight, or use fewer filters"),
            );
        }
    }
    out.sort_by_key(|d| d.span.start);
    out
}
