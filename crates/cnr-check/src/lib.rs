//! The checker: from a parsed `.cnr` file to a [`Model`] whose every part is known to be usable —
//! shapes agree, the activation is convex by the rules of disciplined convex programming, the output
//! weights are non-negative, the data are finite and of the right sizes.
//!
//! The checker reports every problem it finds, not just the first, as [`Diagnostic`]s with spans
//! into the model's source. It reads data files only through the [`Files`] trait, so it does no I/O
//! of its own and tests can hand it files from memory.
//!
//! ```
//! use cnr_check::{check, MemoryFiles, Overrides};
//! let file = cnr_syntax::parse(
//!     "network { input 8 conv kernel 4 stride 4 activation relu output ones }
//!      data planted { samples 12 seed 1 }",
//! ).unwrap();
//! let model = check(&file, "tiny", &MemoryFiles::default(), &Overrides::default()).unwrap();
//! assert_eq!((model.network.d(), model.network.patches(), model.data.n), (4, 2, 12));
//! ```
// One function (`memory::advise_huge_pages`) calls the system; everything else is safe code.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod activation;
pub mod budget;
mod check;
pub mod data;
mod figures;
mod fit;
pub mod learned;
mod lint;
pub mod memory;
mod model;
pub mod network;
mod residuals;
pub mod sizes;

pub use activation::{Activation, Atom, ConeClass, Curvature, Expr};
pub use budget::{Budget, ProgramBytes, ProgramSize};
pub use check::{check, check_within};
pub use cnr_syntax::Diagnostic;
pub use data::{Array, Data, DataSource, Files, GivenData, MemoryFiles};
pub use figures::{recovered, Figures};
pub use fit::{Fit, FILTER_ORDER, FILTER_SIGN};
pub use lint::lint;
pub use model::{Anchor, Model, ModelSpans, Norm, Overrides, ParamValue, Relax, SolverSpec};
pub use network::Network;
pub use residuals::{Residuals, SCALE_FLOOR};
