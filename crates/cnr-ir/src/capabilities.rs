use crate::{Cone, ConeProgram};
use serde::Serialize;
use std::ops::Range;

/// What a backend can take, declared by the backend itself so that a caller can tell, before solving,
/// whether a program fits and, if not, which rows do not (in the spirit of MathOptInterface's
/// `supports_constraint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Zero cones (equality rows).
    pub zero: bool,
    /// Non-negative cones (inequality rows).
    pub nonneg: bool,
    /// Second-order cones.
    pub second_order: bool,
    /// Exponential cones.
    pub exponential: bool,
    /// Power cones.
    pub power: bool,
    /// A quadratic objective `½ xᵀPx`.
    pub quadratic_objective: bool,
    /// Whether [`crate::SolverSettings::max_iter`] is honoured.
    pub iteration_limit: bool,
    /// Whether [`crate::SolverSettings::time_limit`] is honoured.
    pub time_limit: bool,
    /// Whether the backend reports its iterations.
    pub reports_iterations: bool,
    /// How many levels of [`crate::SolverSettings::recovery`] the backend has (0: none).
    pub recovery_levels: u32,
}

/// A run of rows a backend cannot take: all the rows of cones of one kind in a row block.
#[derive(Clone, Debug, PartialEq)]
pub struct Unsupported {
    /// The rows.
    pub rows: Range<usize>,
    /// The kind of cone they belong to (`soc`, `exp`, `pow`, …).
    pub kind: &'static str,
}

impl Capabilities {
    /// Whether the backend takes cones like `cone`.
    pub fn supports(&self, cone: &Cone) -> bool {
        match cone {
            Cone::Zero(_) => self.zero,
            Cone::Nonneg(_) => self.nonneg,
            Cone::SecondOrder(_) => self.second_order,
            Cone::Exp => self.exponential,
            Cone::Power(_) => self.power,
        }
    }

    /// The rows of `program` the backend cannot take, as maximal runs of adjacent cones of one kind;
    /// empty when it takes them all. (A quadratic objective is a separate question:
    /// [`Capabilities::quadratic_objective`].)
    pub fn unsupported_rows(&self, program: &ConeProgram) -> Vec<Unsupported> {
        self.unsupported_in(program.cones.iter().map(|&c| (c, 1)))
    }

    /// [`Capabilities::unsupported_rows`] of a program given only by its cones in row order, as runs
    /// `(cone, how many in a row)`: what a caller that has not built the program knows.
    pub fn unsupported_in(&self, runs: impl IntoIterator<Item = (Cone, usize)>) -> Vec<Unsupported> {
        let mut out: Vec<Unsupported> = Vec::new();
        let mut row = 0;
        for (cone, count) in runs {
            let rows = row..row + cone.dim() * count;
            row = rows.end;
            if self.supports(&cone) || rows.is_empty() {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.rows.end == rows.start && last.kind == cone.kind() => {
                    last.rows.end = rows.end
                }
                _ => out.push(Unsupported { rows, kind: cone.kind() }),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_unsupported_cones_are_merged() {
        let lp = Capabilities {
            zero: true,
            nonneg: true,
            second_order: false,
            exponential: false,
            power: false,
            quadratic_objective: false,
            iteration_limit: false,
            time_limit: true,
            reports_iterations: false,
            recovery_levels: 0,
        };
        let mut p = ConeProgram::new("p", 0, crate::Sense::Minimize);
        p.cones =
            vec![Cone::Nonneg(2), Cone::SecondOrder(3), Cone::SecondOrder(3), Cone::Exp, Cone::Nonneg(1)];
        let got = lp.unsupported_rows(&p);
        assert_eq!(
            got,
            vec![Unsupported { rows: 2..8, kind: "soc" }, Unsupported { rows: 8..11, kind: "exp" }]
        );
    }
}
