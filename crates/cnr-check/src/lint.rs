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
            .with_hint("use `anchor centered_spectral` (what `anchor auto` picks for even activations)"),
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
    // With a penalty such labels are what the slack is for; an output offset reaches them.
    if model.activation.expr.sign() == Sign::Nonneg && model.relax.penalty.is_none() && !net.offset {
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
    if let Some((a, b)) = twin_filters(model) {
        // At the output weights when they are written, else at the convolution that has `filters`.
        let at = if spans.output.is_detached() { spans.conv } else { spans.output };
        out.push(
            Diagnostic::warning(
                at,
                format!(
                    "filters {a} and {b} have the same output weights, and the `{}` anchor is the same for both: the relaxation cannot tell them apart",
                    model.relax.anchor_name()
                ),
            )
            .with_label("shared by the filters")
            .with_hint("no optimum then singles out the planted pair; give the filters different output weights, or anchor them apart (`anchor planted` for an experiment, or a given anchor per filter)"),
        );
    }
    if let Some(m) = planted_bias_ray(model) {
        out.push(
            Diagnostic::warning(
                spans.anchor.unwrap_or_default(),
                format!(
                    "with a bias, the planted anchor (w*, b*) gains along w = t·w*, b_{m} = −t·max_ik ⟨w*_{m}, x_ik⟩ (t → ∞), which switches every unit of filter {m} off"
                ),
            )
            .with_label("an anchor the bias does not bound")
            .with_hint("where σ is 0 below 0 (ReLU, for one) the relaxation is then unbounded; anchor by the data (`anchor data`, whose bias part Σ_i y_i Σ_k u_mk is positive), or add `bound linf R`"),
        );
    }
    out.sort_by_key(|d| d.span.start);
    out
}

/// With a bias and the planted anchor: a filter `m` along whose ray `w_m = t·w*_m`,
/// `b_m = −t·max_ik ⟨w*_m, x_ik⟩` every unit of the filter is switched off while the objective
/// grows (`‖w*_m‖² > b*_m · max_ik ⟨w*_m, x_ik⟩`). No bound, box or penalty in `relax` stops it.
fn planted_bias_ray(model: &Model) -> Option<usize> {
    let net = &model.network;
    if !net.bias || model.relax.anchor != Anchor::Planted || model.relax.bound.is_some() {
        return None;
    }
    let (star, d) = (model.data.planted.as_ref()?, net.d());
    let bias = model.data.planted_bias.clone().unwrap_or_else(|| vec![0.0; net.filters]);
    // The largest ⟨w*_m, x_ik⟩ of each filter over the samples and its units.
    let predictor = crate::model::Predictor::new(model, star, &[]);
    let mut largest = vec![f64::NEG_INFINITY; net.filters];
    for i in 0..model.data.n {
        for (m, z) in predictor.pre_activations(model.data.sample(i)) {
            largest[m] = largest[m].max(z);
        }
    }
    (0..net.filters).find(|&m| {
        let wm = &star[m * d..(m + 1) * d];
        largest[m].is_finite() && cnr_numerics::dot(wm, wm) > bias[m] * largest[m]
    })
}

/// Two filters that the relaxation treats alike: the same output weights on every patch, and an
/// anchor computed from the data in the same way for each (everything but a planted, given or
/// random anchor), so the program is symmetric in them.
fn twin_filters(model: &Model) -> Option<(usize, usize)> {
    if matches!(model.relax.anchor, Anchor::Planted | Anchor::Vector(_) | Anchor::Random { .. }) {
        return None;
    }
    let net = &model.network;
    let kk = net.patches();
    let row = |m: usize| (0..kk).map(|k| model.u(m, k)).collect::<Vec<f64>>();
    let rows: Vec<Vec<f64>> = (0..net.filters).map(row).collect();
    (0..net.filters)
        .flat_map(|a| (a + 1..net.filters).map(move |b| (a, b)))
        .find(|&(a, b)| rows[a] == rows[b] && rows[a].iter().any(|u| *u != 0.0))
}
