//! Solving a cone program robustly, knowing no model: the backends by name ([`Backend`], the only
//! place of cnr that calls a backend crate), the plan of calls ([`Calls`]: objective scales,
//! recovery levels, cnr's exact equilibration, a tighter retry) with the checks of every answer —
//! the point's violation as the caller judges it, the dual residual and gap, the certificates of
//! infeasibility and unboundedness — and the log of [`Attempt`]s; and cone programs as files
//! ([`read_program`], [`write_program`], [`solve_program`] with the program's own checks).
//!
//! The driver solves a model's relaxation through [`Calls`], handing it the model's violation; a
//! program read from a file is judged by [`solve_program`] on an equilibrated copy.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backend;
mod calls;
mod equilibrate;
mod error;
mod program;

pub use backend::{Backend, BackendNameError};
pub use calls::{
    deadline_after, power_of_two, recovery_plan, Attempt, CallWatch, Calls, Iteration, Scale, Step,
    PROGRAM_PLAN, RECOVERY_PLAN,
};
pub use equilibrate::{equilibrate, Scaling};
pub use error::{cone_words, ProgramError, SolveError};
pub use program::{read_program, solve_program, write_program, ProgramFormat, ProgramRecord, ProgramSolve};
