//! Dense numerics that know no model: what the checker, lowering and the model-space methods
//! share. Each routine is small, deterministic and tested here.
//!
//! - [`simplex`]: a dense dual simplex over cuts and a box, with warm starts (the w-space method's LP);
//! - [`eigen`]: the top eigenvector of a symmetric operator, by Lanczos or Jacobi rotations;
//! - [`cholesky`]: a symmetric positive definite solve;
//! - [`assignment`]: the optimal assignment (Hungarian method);
//! - [`qr`]: least squares by Householder QR (a fit's rows compressed to its columns');
//! - [`vector`]: `dot`, norms and differences.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod assignment;
pub mod cholesky;
pub mod eigen;
pub mod qr;
pub mod simplex;
pub mod vector;

pub use vector::{dot, max_abs, max_abs_diff, norm};
