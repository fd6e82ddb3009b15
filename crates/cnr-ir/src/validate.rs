use crate::{Cone, ConeProgram};
use thiserror::Error;

/// Why a cone program is malformed. Every backend refuses a program that does not validate.
#[derive(Debug, Error, PartialEq)]
pub enum IrError {
    /// A vector or matrix has the wrong size.
    #[error("{what} has size {found}, expected {expected}")]
    Dimension {
        /// Which part of the program.
        what: &'static str,
        /// The size it should have.
        expected: usize,
        /// The size it has.
        found: usize,
    },
    /// The sparse structure of a matrix is broken.
    #[error("matrix {matrix} is malformed: {why}")]
    Sparse {
        /// `A` or `P`.
        matrix: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A number is NaN or infinite.
    #[error("{what} holds a non-finite number ({value}) at {location}")]
    NonFinite {
        /// Which part of the program.
        what: &'static str,
        /// Where, in the model's words.
        location: String,
        /// The value.
        value: f64,
    },
    /// A cone is malformed.
    #[error("cone {index} ({kind}) is malformed: {why}")]
    Cone {
        /// Position in the cone list.
        index: usize,
        /// Its kind.
        kind: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The named blocks do not tile the columns or rows.
    #[error("{what} blocks do not cover 0..{total} contiguously: {why}")]
    Blocks {
        /// `variable` or `row`.
        what: &'static str,
        /// The number of columns or rows.
        total: usize,
        /// What is wrong.
        why: String,
    },
}

impl ConeProgram {
    /// Checks dimensions, sparse structure, cone sizes, finiteness and block tiling.
    pub fn validate(&self) -> Result<(), IrError> {
        let (m, n) = (self.a.m, self.n);
        dim("q", n, self.q.len())?;
        dim("b", m, self.b.len())?;
        dim("columns of A", n, self.a.n)?;
        dim("rows of P", n, self.p.m)?;
        dim("columns of P", n, self.p.n)?;
        check_csc("A", &self.a)?;
        check_csc("P", &self.p)?;
        for j in 0..self.p.n {
            if let Some((i, _)) = self.p.column(j).find(|&(i, _)| i > j) {
                return Err(IrError::Sparse {
                    matrix: "P",
                    why: format!("entry ({i}, {j}) is below the diagonal; P holds its upper triangle only"),
                });
            }
        }
        // Saturating, so that absurd sizes read from a file give an error rather than an overflow.
        let total = self.cones.iter().map(Cone::dim).fold(0usize, usize::saturating_add);
        dim("the sum of the cone dimensions", m, total)?;
        for (index, cone) in self.cones.iter().enumerate() {
            let bad = |why: &str| IrError::Cone { index, kind: cone.kind(), why: why.into() };
            match *cone {
                Cone::SecondOrder(0) => return Err(bad("a second-order cone needs dimension ≥ 1")),
                Cone::Power(a) if !(a > 0.0 && a < 1.0) => {
                    return Err(bad(&format!("the exponent α = {a} must lie in (0, 1)")))
                }
                _ => {}
            }
        }
        finite("q", &self.q, |j| self.describe_column(j))?;
        finite("b", &self.b, |i| self.describe_row(i))?;
        finite("A", &self.a.nzval, |k| format!("entry {k}"))?;
        finite("P", &self.p.nzval, |k| format!("entry {k}"))?;
        if !self.c.is_finite() {
            return Err(IrError::NonFinite {
                what: "the objective constant",
                location: "c".into(),
                value: self.c,
            });
        }
        check_tiling("variable", &self.var_blocks, n)?;
        check_tiling("row", &self.row_blocks, m)?;
        Ok(())
    }

    /// Column `j` in the model's words, e.g. `w [coordinate 3]`.
    pub fn describe_column(&self, j: usize) -> String {
        match self.var_block_of(j) {
            Some((b, pos)) => b.describe(pos),
            None => format!("column {j}"),
        }
    }

    /// Row `i` in the model's words, e.g. `relu: t ≥ z [sample 3, patch 1] entry 0 of 2`.
    pub fn describe_row(&self, i: usize) -> String {
        match self.row_block_of(i) {
            Some((b, pos)) => b.describe(pos),
            None => format!("row {i}"),
        }
    }
}

fn dim(what: &'static str, expected: usize, found: usize) -> Result<(), IrError> {
    if expected == found {
        Ok(())
    } else {
        Err(IrError::Dimension { what, expected, found })
    }
}

fn finite(what: &'static str, values: &[f64], locate: impl Fn(usize) -> String) -> Result<(), IrError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(k) => Err(IrError::NonFinite { what, location: locate(k), value: values[k] }),
    }
}

fn check_csc(matrix: &'static str, a: &crate::CscMatrix) -> Result<(), IrError> {
    let bad = |why: String| Err(IrError::Sparse { matrix, why });
    if a.colptr.len() != a.n + 1 {
        return bad(format!("colptr has length {}, expected {}", a.colptr.len(), a.n + 1));
    }
    if a.colptr[0] != 0 || a.colptr[a.n] != a.nzval.len() || a.rowval.len() != a.nzval.len() {
        return bad("colptr does not start at 0 and end at the number of entries".into());
    }
    // All pointers are checked before any is used to slice, so a pointer past the end is an error
    // rather than a panic.
    if let Some(j) = (0..a.n).find(|&j| a.colptr[j] > a.colptr[j + 1]) {
        return bad(format!("colptr decreases at column {j}"));
    }
    for j in 0..a.n {
        let rows = &a.rowval[a.colptr[j]..a.colptr[j + 1]];
        for w in rows.windows(2) {
            if w[0] >= w[1] {
                return bad(format!("row indices of column {j} are not strictly increasing"));
            }
        }
        if let Some(&i) = rows.last() {
            if i >= a.m {
                return bad(format!("row index {i} in column {j} is out of range (m = {})", a.m));
            }
        }
    }
    Ok(())
}

fn check_tiling(what: &'static str, blocks: &[crate::Block], total: usize) -> Result<(), IrError> {
    // A program without blocks (e.g. read from a CBF file without cnr's comments) is allowed.
    if blocks.is_empty() {
        return Ok(());
    }
    let mut next = 0;
    for b in blocks {
        if b.start != next {
            return Err(IrError::Blocks {
                what,
                total,
                why: format!("block `{}` starts at {}, expected {next}", b.name, b.start),
            });
        }
        if b.width == 0 {
            return Err(IrError::Blocks { what, total, why: format!("block `{}` has width 0", b.name) });
        }
        next = b.end();
    }
    if next != total {
        return Err(IrError::Blocks { what, total, why: format!("the blocks end at {next}") });
    }
    Ok(())
}
