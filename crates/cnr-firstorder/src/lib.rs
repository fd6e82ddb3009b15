//! First-order methods for the programs of learned output weights, knowing no network: a problem
//! is a dense matrix, labels, groups of columns and a weight.
//!
//! - [`group_lasso`]: `min ½‖A w + c·1 − y‖² + β Σ_g ‖w_g‖₂` (the gated form of docs/learned.md,
//!   with `c` a free offset or none), by accelerated proximal gradient (FISTA) with adaptive
//!   restarts, stopped by a duality gap computed at a dual point that is feasible by construction:
//!   the answer is a certificate, not a count of iterations.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod group_lasso;

pub use group_lasso::{group_lasso, GroupLasso, GroupLassoEnd, GroupLassoSettings, GroupLassoSolution};
