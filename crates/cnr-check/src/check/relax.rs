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
        let mut relax =
            Relax { anchor: Anchor::Data, anchor_auto: true, penalty: None, bound: None, restarts: 1 };
        let auto = act.map(|a| if a.is_even() { Anchor::Spectral } else { Anchor::Data });
        let Some(b) = b else {
            relax.anchor = auto?;
            return Some(relax);
        };
        let (mut anchors, mut penalties, mut bounds, mut restarts) = (vec![], vec![], vec![], vec![]);
        for s in &b.stmts {
            match &s.node {
                RelaxStmt::AnchorNamed(_) | RelaxStmt::AnchorVector(_) => anchors.push((&s.node, s.span)),
                RelaxStmt::Penalty(..) => penalties.push((&s.node, s.span)),
                RelaxStmt::Bound(..) => bounds.push((&s.node, s.span)),
                RelaxStmt::Restarts(..) => restarts.push((&s.node, s.span)),
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
                    "centered" => relax.anchor = Anchor::Centered,
                    "lstsq" => relax.anchor = Anchor::Lstsq,
                    "random" => relax.anchor = Anchor::Random,
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
                                    &["auto", "data", "centered", "lstsq", "random", "spectral", "planted"],
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
            match self.whole(r, "the number of restarts", 1) {
                Some(n) if n <= MAX_RESTARTS => relax.restarts = n as u32,
                Some(n) => {
                    self.push(
                        Diagnostic::error(r.span, format!("{n} restarts; at most {MAX_RESTARTS} are taken"))
                            .with_label("too many")
                            .with_hint("each restart is a whole solve; a few (2–8) amplify recovery already"),
                    );
                    ok = false;
                }
                None => ok = false,
            }
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
