//! The intermediate representation of cnr: a cone program in Clarabel's standard form,
//!
//! ```text
//! minimise    ½ xᵀ P x + qᵀ x + c
//! subject to  A x + s = b,   s ∈ K = K₁ × K₂ × … (in the order of `cones`)
//! ```
//!
//! with names for blocks of columns (`w`, `t`, `ξ`, …) and, for every block of rows, the model element
//! it came from. This crate is the narrow waist of the project: it depends on no other cnr crate, knows
//! nothing of networks and nothing of solvers.
//!
//! Besides the data, the crate gives a program a stable printed form (`Display`, compared by the
//! snapshot tests), a JSON form ([`ConeProgram::to_json`], [`ConeProgram::from_json`]) and an
//! independent check of a candidate point ([`ConeProgram::check_point`]); `docs/ir.md` describes all
//! three.
//!
//! ```
//! use cnr_ir::{ConeProgram, Cone, RowBuilder, Sense};
//! // minimise x subject to x ≥ 1, written as -x + s = -1, s ≥ 0.
//! let mut rows = RowBuilder::new();
//! rows.push_row(&[(0, -1.0)], -1.0);
//! let (a, b) = rows.finish(1);
//! let mut p = ConeProgram::new("tiny", 1, Sense::Minimize);
//! p.q = vec![1.0];
//! p.a = a;
//! p.b = b;
//! p.cones = vec![Cone::Nonneg(1)];
//! p.validate().unwrap();
//! assert!(p.to_string().contains("r0  nonneg  -1·x[0] + s = -1"));
//! assert_eq!(ConeProgram::from_json(&p.to_json()).unwrap(), p);
//! // x = 0.5 breaks x ≥ 1 by 0.5.
//! assert_eq!(p.check_point(&[0.5]).max_violation(), 0.5);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod block;
mod builder;
mod capabilities;
mod certificate;
mod check;
mod cone;
mod csc;
mod feasible;
mod json;
mod print;
mod solution;
mod validate;

pub use block::{Block, Index};
pub use builder::RowBuilder;
pub use capabilities::{Capabilities, Unsupported};
pub use certificate::Certificate;
pub use check::{PointCheck, Violation};
pub use cone::Cone;
pub use csc::CscMatrix;
pub use json::{JsonError, JSON_FORMAT, JSON_VERSION};
pub use solution::{Solution, SolverSettings, Status};
pub use validate::IrError;

use serde::{Deserialize, Serialize};

/// Whether the program was stated as a minimisation or a maximisation.
///
/// The data (`P`, `q`, `c`) are **always** those of the minimisation. A program stated as
/// `maximise fᵀx` is stored as `minimise −fᵀx`, with `sense = Maximize`, so that the objective can be
/// reported in the user's terms ([`ConeProgram::user_objective`]) and a CBF file can be written back
/// with `OBJSENSE MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sense {
    /// The user minimises; the stored objective is the user's.
    Minimize,
    /// The user maximises; the stored objective is the negation of the user's.
    Maximize,
}

/// A cone program in Clarabel's standard form, with named blocks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConeProgram {
    /// A name for the program (the model's name, or the CBF file's stem).
    pub name: String,
    /// How the user stated the objective; see [`Sense`].
    pub sense: Sense,
    /// Number of variables (columns).
    pub n: usize,
    /// The quadratic part of the objective, an `n × n` matrix holding only its **upper triangle**.
    pub p: CscMatrix,
    /// The linear part of the objective, length `n`.
    pub q: Vec<f64>,
    /// A constant added to the objective.
    pub c: f64,
    /// The constraint matrix, `m × n` in compressed columns.
    pub a: CscMatrix,
    /// The right-hand side, length `m`.
    pub b: Vec<f64>,
    /// The cones, in row order; their dimensions add up to `m`.
    pub cones: Vec<Cone>,
    /// Named blocks of columns, in column order, covering `0..n` without gaps.
    pub var_blocks: Vec<Block>,
    /// Named blocks of rows, in row order, covering `0..m` without gaps.
    pub row_blocks: Vec<Block>,
}

impl ConeProgram {
    /// An empty program with `n` variables, no constraints and a zero objective.
    pub fn new(name: impl Into<String>, n: usize, sense: Sense) -> Self {
        ConeProgram {
            name: name.into(),
            sense,
            n,
            p: CscMatrix::zeros(n, n),
            q: vec![0.0; n],
            c: 0.0,
            a: CscMatrix::zeros(0, n),
            b: Vec::new(),
            cones: Vec::new(),
            var_blocks: Vec::new(),
            row_blocks: Vec::new(),
        }
    }

    /// Number of constraint rows.
    pub fn m(&self) -> usize {
        self.a.m
    }

    /// The objective ½xᵀPx + qᵀx + c of the stored minimisation at `x`.
    pub fn objective(&self, x: &[f64]) -> f64 {
        let mut value = self.c;
        for (qi, xi) in self.q.iter().zip(x) {
            value += qi * xi;
        }
        // P holds the upper triangle: xᵀPx = Σ_diag p_jj x_j² + 2 Σ_{i<j} p_ij x_i x_j.
        let mut quad = 0.0;
        for j in 0..self.p.n {
            for (i, v) in self.p.column(j) {
                let term = v * x[i] * x[j];
                quad += if i == j { term } else { 2.0 * term };
            }
        }
        value + 0.5 * quad
    }

    /// Turns an objective value of the stored minimisation into the user's terms (negated for a
    /// maximisation).
    pub fn user_objective(&self, stored: f64) -> f64 {
        match self.sense {
            Sense::Minimize => stored,
            Sense::Maximize => -stored,
        }
    }

    /// Whether the program is linear: no quadratic objective and only zero and non-negative cones.
    pub fn is_linear(&self) -> bool {
        self.p.nnz() == 0 && self.cones.iter().all(|c| matches!(c, Cone::Zero(_) | Cone::Nonneg(_)))
    }

    /// The column block that holds column `j`, and the position inside it.
    pub fn var_block_of(&self, j: usize) -> Option<(&Block, usize)> {
        block::locate(&self.var_blocks, j)
    }

    /// The row block that holds row `i`, and the position inside it.
    pub fn row_block_of(&self, i: usize) -> Option<(&Block, usize)> {
        block::locate(&self.row_blocks, i)
    }
}
