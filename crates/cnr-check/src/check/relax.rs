//! The `relax` block: the anchor, the penalty, the bound and the restarts.

use super::{single, Cx};
use crate::activation::Activation;
use crate::data::Data;
use crate::{Anchor, Network, Norm, Relax};
use cnr_syntax::ast::*;
use cnr_syntax::Diagnostic;
use cnr_syntax::{suggest, Spanned};

/// The most restarts a model may ask for.
const MAX_RESTARTS: usize = 1000;
/// The most refinements a model may ask for.
const MAX_REFINE: u64 = 100;
/// The refinements `anchor auto` brings when the model names none and has no penalty (docs/relaxation.md,
/// "anchor auto"): ReLU, d = 16, K = 8, 100 trials, least squares at n/d = 2.5 recovers 33 with none,
/// 70 with one, 79 with two, 84 with four; with stride = kernel/4 at n/d = 16, 9, 77, 96 and 100. A
/// refinement runs only when a solve leaves a sample unfitted, so a recovered trial costs one solve;
/// a penalised model (noisy data, never fitted exactly) would pay every refinement on its slower
/// cone program, so it gets none unless it asks.
pub const AUTO_REFINE: u32 = 2;

impl Cx<'_> {
    /// The relaxation's options. The network, activation and data are `None` when they failed their
    /// own checks; the statements are checked all the same, as far as they do not depend on them.
    pub(super) fn relax(
        &mut self,
        b: Option<&Block<RelaxStmt>>,
        net: Option<&Network>,
        act: Option<&Activation>,
        data: Option<&Data>,
    ) -> Option<Relax> {
        let mut relax = Relax {
            anchor: Anchor::Data,
            anchor_auto: true,
            penalty: None,
            bound: None,
            restarts: 1,
            refine: 0,
        };
        let auto = act.map(|a| auto_anchor(a, net, data));
        let Some(b) = b else {
            relax.anchor = auto?;
            relax.refine = AUTO_REFINE;
            return Some(relax);
        };
        let (mut anchors, mut penalties, mut bounds, mut restarts, mut refines) =
            (vec![], vec![], vec![], vec![], vec![]);
        for s in &b.stmts {
            match &s.node {
                RelaxStmt::AnchorNamed(..) | RelaxStmt::AnchorVector(_) => anchors.push((&s.node, s.span)),
                RelaxStmt::Penalty(..) => penalties.push((&s.node, s.span)),
                RelaxStmt::Bound(..) => bounds.push((&s.node, s.span)),
                RelaxStmt::Restarts(..) => restarts.push((&s.node, s.span)),
                RelaxStmt::Refine(..) => refines.push((&s.node, s.span)),
            }
        }
        let mut ok = true;
        match single(self, anchors, "`anchor`") {
            None => match auto {
                Some(a) => relax.anchor = a,
                None => ok = false,
            },
            Some((RelaxStmt::AnchorNamed(n, seed), _)) => {
                relax.anchor_auto = n.node == "auto";
                if let (Some(seed), false) = (seed, n.node == "random") {
                    self.push(
                        Diagnostic::error(
                            seed.span,
                            format!("only `anchor random` takes a seed, not `anchor {}`", n.node),
                        )
                        .with_label("no seed here")
                        .with_hint("remove `seed …`, or write `anchor random seed S`"),
                    );
                    ok = false;
                }
                match n.node.as_str() {
                    "auto" => match auto {
                        Some(a) => relax.anchor = a,
                        None => ok = false,
                    },
                    "data" => relax.anchor = Anchor::Data,
                    "spectral" => relax.anchor = Anchor::Spectral,
                    "centered_spectral" => relax.anchor = Anchor::CenteredSpectral,
                    "centered" => relax.anchor = Anchor::Centered,
                    "lstsq" => relax.anchor = Anchor::Lstsq,
                    "random" => match seed.as_ref().map(|s| self.seed(s)) {
                        None => relax.anchor = Anchor::Random { seed: None },
                        Some(Some(given)) => relax.anchor = Anchor::Random { seed: Some(given) },
                        Some(None) => ok = false,
                    },
                    // Data that failed their own checks were reported already.
                    "planted" if data.is_none_or(|d| d.planted.is_some()) => relax.anchor = Anchor::Planted,
                    "planted" => {
                        self.push(
                            Diagnostic::error(
                                n.span,
                                "the planted anchor needs a known planted filter, and these data have none",
                            )
                            .with_label("no planted filter")
                            .with_hint("add `planted \"w.npy\"` to the data files, or use `anchor auto`"),
                        );
                        ok = false;
                    }
                    other => {
                        self.push(
                            Diagnostic::error(n.span, format!("unknown anchor `{other}`"))
                                .with_label("unknown")
                                .with_hint(suggest(
                                    other,
                                    &[
                                        "auto",
                                        "data",
                                        "centered",
                                        "lstsq",
                                        "random",
                                        "spectral",
                                        "centered_spectral",
                                        "planted",
                                    ],
                                ))
                                .with_hint("or a list of numbers, or `file \"g.npy\"`"),
                        );
                        ok = false;
                    }
                }
            }
            Some((RelaxStmt::AnchorVector(v), stmt)) => {
                relax.anchor_auto = false;
                let dm = net.map(|n| n.d() * n.filters);
                match self.vector(v, "anchor", stmt) {
                    Some(_) if dm.is_none() => ok = false,
                    Some((vals, span, _)) if Some(vals.len()) != dm => {
                        self.push(
                            Diagnostic::error(
                                span,
                                format!(
                                    "the anchor has {} numbers; the network needs M·d = {}",
                                    vals.len(),
                                    dm.unwrap_or_default()
                                ),
                            )
                            .with_label("wrong length"),
                        );
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
        if let Some((RelaxStmt::Restarts(r), _)) = single(self, restarts, "`restarts`") {
            // Each restart is a whole solve; a few (2–8) amplify recovery already.
            match self.whole_up_to(r, "the number of restarts", 1, MAX_RESTARTS as u64) {
                Some(n) => relax.restarts = n as u32,
                None => ok = false,
            }
        }
        match single(self, refines, "`refine`") {
            Some((RelaxStmt::Refine(r), _)) => {
                match self.whole_up_to(r, "the number of refinements", 0, MAX_REFINE) {
                    Some(n) => relax.refine = n as u32,
                    None => ok = false,
                }
            }
            _ if relax.anchor_auto && relax.penalty.is_none() => relax.refine = AUTO_REFINE,
            _ => {}
        }
        ok.then_some(relax)
    }

    /// The norm a `penalty` or `bound` names, out of the ones it allows.
    pub(super) fn norm(
        &mut self,
        kind: &Spanned<String>,
        what: &str,
        allowed: &[(&str, Norm)],
    ) -> Option<Norm> {
        if let Some(&(_, n)) = allowed.iter().find(|(name, _)| *name == kind.node) {
            return Some(n);
        }
        let names: Vec<&str> = allowed.iter().map(|(name, _)| *name).collect();
        self.push(
            Diagnostic::error(kind.span, format!("unknown {what} `{}`", kind.node))
                .with_label("unknown")
                .with_hint(suggest(&kind.node, &names)),
        );
        None
    }
}

/// What `anchor auto` is (docs/relaxation.md has the measurements): the spectral anchor for an even
/// activation; else least squares where it is safe, the data anchor where it is not. The data
/// anchor is a non-negative combination of the patches (labels ≥ 0), so no ray of filters that
/// switches every unit off improves it: the relaxation is bounded for any data. The least-squares
/// anchor needs the patches to span every direction with both signs, which Gaussian inputs do once
/// there are a few times more samples than unknowns, and inputs of one sign (pixels) never do;
/// and with a bias it anchors `b` at 0, which lets `b → −∞` switch every unit off.
fn auto_anchor(activation: &Activation, net: Option<&Network>, data: Option<&Data>) -> Anchor {
    if activation.is_even() {
        return Anchor::CenteredSpectral;
    }
    let (Some(net), Some(data)) = (net, data) else {
        return Anchor::Data;
    };
    let unknowns = net.filters * net.d() + 1;
    let both_signs = data.x.iter().any(|&v| v < 0.0) && data.x.iter().any(|&v| v > 0.0);
    if !net.bias && data.n >= 2 * unknowns && both_signs {
        Anchor::Lstsq
    } else {
        Anchor::Data
    }
}

#[cfg(test)]
mod tests {
    use crate::{check, Anchor, MemoryFiles, Overrides};

    /// The anchor `auto` resolves to for a model's text, and whether it was `auto`.
    fn anchor_of(text: &str, files: &MemoryFiles) -> (Anchor, bool) {
        let file = cnr_syntax::parse(text).expect("parses");
        let model = check(&file, "auto", files, &Overrides::default()).expect("checks");
        (model.relax.anchor, model.relax.anchor_auto)
    }

    fn planted(activation: &str, conv: &str, samples: usize) -> String {
        format!(
            "network {{ input 32 conv {conv} activation {activation} output ones }}
             data planted {{ samples {samples} seed 1 }}"
        )
    }

    #[test]
    fn auto_picks_per_activation_class_and_data() {
        let none = MemoryFiles::default();
        let cases = [
            // Even activations: the centred spectral anchor, whatever the data.
            (planted("abs", "kernel 8 stride 8", 100), Anchor::CenteredSpectral),
            (planted("square", "kernel 8 stride 8", 5), Anchor::CenteredSpectral),
            // Others: least squares with enough samples (2·(M·d + 1) = 18 here) of both signs …
            (planted("relu", "kernel 8 stride 8", 18), Anchor::Lstsq),
            (planted("softplus", "kernel 8 stride 8", 100), Anchor::Lstsq),
            (planted("relu", "kernel 8 stride 8 filters 2", 34), Anchor::Lstsq),
            // … else the data anchor: too few samples, a bias, …
            (planted("relu", "kernel 8 stride 8", 17), Anchor::Data),
            (planted("relu", "kernel 8 stride 8 filters 2", 33), Anchor::Data),
            (planted("leaky_relu(0.2)", "kernel 8 stride 8 bias", 100), Anchor::Data),
        ];
        for (text, want) in cases {
            assert_eq!(anchor_of(&text, &none), (want, true), "{text}");
        }
        // … or inputs of one sign, such as pixels.
        let x: String = (0..40)
            .map(|i| {
                format!(
                    "{}\n",
                    vec![(i % 7) as f64; 32].iter().map(f64::to_string).collect::<Vec<_>>().join(",")
                )
            })
            .collect();
        let y: String = (0..40).map(|i| format!("{}\n", i % 5)).collect();
        let files = MemoryFiles(
            [("x.csv".to_string(), x.into_bytes()), ("y.csv".to_string(), y.into_bytes())].into(),
        );
        let text = "network { input 32 conv kernel 8 stride 8 activation relu output ones }
                    data files { inputs \"x.csv\" labels \"y.csv\" }";
        assert_eq!(anchor_of(text, &files), (Anchor::Data, true));
        // A named anchor is kept.
        let named = format!("{} relax {{ anchor data }}", planted("relu", "kernel 8 stride 8", 100));
        assert_eq!(anchor_of(&named, &none), (Anchor::Data, false));
    }

    #[test]
    fn auto_refines_twice_unless_the_model_says_otherwise_or_has_a_penalty() {
        let refine = |relax: &str| {
            let text = format!("{} {relax}", planted("relu", "kernel 8 stride 8", 100));
            let file = cnr_syntax::parse(&text).expect("parses");
            check(&file, "auto", &MemoryFiles::default(), &Overrides::default()).expect("checks").relax.refine
        };
        assert_eq!(refine(""), super::AUTO_REFINE);
        assert_eq!(refine("relax { anchor auto }"), super::AUTO_REFINE);
        assert_eq!(refine("relax { bound l2 5 }"), super::AUTO_REFINE);
        assert_eq!(refine("relax { refine 0 }"), 0);
        assert_eq!(refine("relax { refine 5 }"), 5);
        assert_eq!(refine("relax { anchor lstsq }"), 0);
        assert_eq!(refine("relax { penalty l1 1 }"), 0);
    }
}
