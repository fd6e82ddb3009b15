//! The `solver` block: backend name, tolerance, iteration and time limits.

use super::{single, Cx};
use crate::SolverSpec;
use cnr_syntax::ast::*;
use cnr_syntax::Diagnostic;

impl Cx<'_> {
    pub(super) fn solver(&mut self, b: &Block<SolverStmt>) -> SolverSpec {
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
                Some(v) if v < 1.0 => {
                    spec.tolerance = v;
                    spec.tolerance_written = true;
                }
                Some(_) => {
                    self.push(
                        Diagnostic::error(
                            t.span,
                            format!("the tolerance must be below 1, found {}", t.node.shown()),
                        )
                        .with_label("too large")
                        .with_hint("a relative tolerance such as 1e-7 (the default) or 1e-6"),
                    );
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
