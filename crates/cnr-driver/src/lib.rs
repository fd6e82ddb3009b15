//! The cnr pipeline as a library: the one front door for the command line, the sweep, the tests
//! and any binding.
//!
//! A [`Request`] carries everything about one model: its text and name, its data (files through
//! [`Files`], or arrays), the [`Setting`]s that change it (each checked as if written in the model,
//! and named by its flag in diagnostics), the method, the backend, the [`Limits`] and the [`Hooks`]
//! (progress [`Event`]s as numbers, and cancellation). The operations on it:
//!
//! - [`compile`]: the checked model, its backend and the size of its program ([`Compiled`]);
//! - [`solve`]: compile, then solve the relaxation ([`solve_compiled`] is the solve layer alone)
//!   and check the point on the model ([`SolveRecord`]);
//! - [`train`]: compile, then train a model of learned output weights through its exact convex
//!   program ([`TrainRecord`], docs/learned.md);
//! - [`evaluate_network`], [`predict`]: a trained network ([`read_network`] from its record) on
//!   a model's data or on new inputs;
//! - [`evaluate`]: given filters on the model's data ([`EvalRecord`]);
//! - [`lower`]: the whole cone program, to write with [`write_program`];
//! - [`export_data`]: the data as NumPy files;
//! - [`read_program`] and [`solve_program`]: a cone program from a CBF or JSON file;
//! - [`baseline`]: the non-convex baseline that sweeps (`cnr-sweep`) run beside the relaxation.
//!
//! Errors are typed ([`Error`]); a model's diagnostics come with their texts ([`ModelErrors`],
//! [`Sources`]), which render them like a compiler.
//!
//! ```
//! use cnr_driver::{Request, Status};
//! let text = "network { input 8 conv kernel 4 stride 4 activation relu output ones }
//!             data planted { samples 24 seed 1 }";
//! let solved = cnr_driver::solve(&Request::new(text, "tiny")).unwrap();
//! assert_eq!(solved.record.status, Status::Optimal);
//! assert!(solved.record.recovery_error.unwrap() < 1e-6);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod baseline;
pub mod bounds;
mod compile;
mod error;
mod eval;
mod export;
mod format;
mod predict;
mod program;
mod record;
mod request;
mod solve;
mod summary;
mod train;

pub use baseline::{baseline, BaselineRecord, GdBudget, GdResult};
pub use cnr_solve::{Attempt, Backend, BackendNameError, SolveError};
pub use cnr_syntax::{is_parameter_name, plain_error, Location, Setting, Sources};
pub use compile::{compile, compile_for, model_hash, Compiled, Purpose};
pub use error::{Error, ModelErrors};
pub use eval::{evaluate, read_numbers, EvalRecord};
pub use export::{export_data, npy, DataExport};
pub use format::{decode_text, format};
pub use predict::{evaluate_network, predict, predict_with_filters, read_network, NetworkEval};
pub use program::{read_program, solve_program, write_program, ProgramFormat, ProgramRecord, ProgramRequest};
pub use record::{
    CuttingPlaneRecord, Filters, GdRefinement, Method, Restart, Restarts, Run, SolveRecord, Timings,
    WSpaceRecord,
};
pub use request::{default_memory_budget, Arrays, DataInput, Event, Hooks, Limits, ProgressHook, Request};
pub use solve::{solve, solve_compiled, solver_settings, MethodChoice, Solved, AUTO_ROWS};
pub use summary::Summary;
pub use train::{
    train, train_compiled, ArrangementRecord, FirstOrderRecord, GenerationRecord, SignCutRecord, TrainRecord,
    TrainTimings, Trained, CUTS_PER_GROUP, CUT_ROWS, FIRST_ORDER_NONZEROS, FIRST_ORDER_SIGN_ROWS,
    FIRST_ORDER_TOLERANCE, MAX_CUT_ROUNDS, PRICE_SLACK,
};

/// The types a caller reads in what the driver returns, from the crates that define them, so
/// that a caller needs this crate alone.
pub use cnr_check::data::DataFile;
pub use cnr_check::learned::{Arrangements as LearnedArrangements, Form, Learn, Neuron, TrainedNetwork};
pub use cnr_check::{memory, recovered, DataSource, Figures, Files, MemoryFiles, Model};
/// The file system (`cnr-fs`): what the binary and the Python package read and write files with.
pub use cnr_fs as files;
pub use cnr_ir::{Cone, ConeProgram, Status};
pub use cnr_lower::Plan;
pub use cnr_methods::planted;
pub use cnr_syntax::{Diagnostic, Severity};

/// The whole cone program of the request's model (every sample), with the compiled model: the
/// relaxation, or with learned output weights the program over the compiled arrangements.
pub fn lower(request: &Request) -> Result<(Compiled, ConeProgram), Error> {
    let compiled = compile(request)?;
    if let Some(set) = &compiled.arrangements {
        train::fits_budget(&compiled, false)?;
        let (program, _) = cnr_lower::learned::lower_learned(&compiled.model, set);
        return Ok((compiled, program));
    }
    let program =
        cnr_lower::lower_with(&compiled.model, &compiled.anchor, &cnr_lower::Request::default()).program;
    Ok((compiled, program))
}
