//! First-order methods for the programs of learned output weights, knowing no network: a problem
//! is a dense matrix, labels, groups of columns and a weight (and, for the exact form, the rows and
//! signs of the cones its groups lie in).
//!
//! - [`group_lasso`]: `min ½‖A w + c·1 − y‖² + β Σ_g ‖w_g‖₂` (the gated form of docs/learned.md,
//!   with `c` a free offset or none), by accelerated proximal gradient (FISTA) with adaptive
//!   restarts, stopped by a duality gap computed at a dual point that is feasible by construction:
//!   the answer is a certificate, not a count of iterations.
//! - [`cone_group_lasso`]: the same fit on `w⁺ − w⁻`, each group held in its cone
//!   `s_g ∘ (X w_g) ≥ 0` (the exact form), by the same FISTA with each group projected onto its
//!   cone in every step (an active-set non-negative least squares), stopped by a duality gap at a
//!   feasible dual point and the largest violation.
//!
//! `fit` holds the fit's operator and the groups' norms both use, `fista` the method, `cones` the
//! exact form's cones and projections.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod cone_lasso;
mod cones;
mod fista;
mod fit;
mod group_lasso;

pub use cone_lasso::{cone_group_lasso, ConeGroupLasso, ConeGroupLassoSettings, ConeGroupLassoSolution};
pub use group_lasso::{group_lasso, GroupLasso, GroupLassoEnd, GroupLassoSettings, GroupLassoSolution};
