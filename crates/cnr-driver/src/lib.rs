//! The cnr pipeline as a library: the one place that runs it, for the command line, the tests and
//! every command built on them.
//!
//! - [`compile`]: a model's text (with its data files and overrides) → a [`Compiled`] model: checked,
//!   its backend resolved, and the backend's support for its cones verified — a backend that cannot
//!   take a cone is reported at the model element that needs it.
//! - [`solve`]: a compiled model → a [`SolveRecord`]: the whole program or cutting planes over the
//!   samples ([`MethodChoice`]), the point decoded by the program's layout, every claim about it
//!   computed from the model.
//! - [`solve_program`]: a cone program from elsewhere (a CBF file) → a [`ProgramRecord`].
//!
//! ```
//! use cnr_driver::{compile, solve, SolveOptions};
//! let text = "network { input 8 conv kernel 4 stride 4 activation relu output ones }
//!             data planted { samples 24 seed 1 }";
//! let compiled = compile(text, "tiny", &cnr_check::MemoryFiles::default(), &Default::default(), None).unwrap();
//! let record = solve(&compiled, &SolveOptions::default()).unwrap();
//! assert_eq!(record.status, cnr_ir::Status::Optimal);
//! assert!(record.recovery_error.unwrap() < 1e-6);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backend;
mod compile;
mod equilibrate;
mod program;
mod record;
mod settings;
mod solve;

pub use backend::Backend;
pub use compile::{compile, compile_with_settings, model_hash, Compiled};
pub use program::{solve_program, ProgramRecord};
pub use record::{CuttingPlaneRecord, Filters, Method, Run, SolveRecord, Timings};
pub use settings::{is_parameter_name, with_settings, Setting};
pub use solve::{settings, solve, Attempt, MethodChoice, Progress, SolveError, SolveOptions, AUTO_ROWS};
