//! Methods that work on the checked model rather than on its cone program: they know no solver
//! and no IR, only the model's evaluation (`cnr_check::Model`) and dense numerics.
//!
//! - [`wspace`]: the relaxation solved by cuts in the filters' space, with its certificate; where
//!   it cannot give one it ends with a typed [`wspace::HandOff`], and the caller (the driver)
//!   solves the cone program instead;
//! - [`gd`]: gradient descent on the training loss — the non-convex baseline from random starts,
//!   and the refinement of a relaxation's point.
//! - [`planted`]: why the relaxation does or does not return a planted filter, from the
//!   conditions at it (one LP per anchor).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod gd;
pub mod planted;
pub mod wspace;

/// What a method tells its caller while it runs, and how the caller stops it.
pub trait Watch {
    /// Round `round` checks `samples` samples.
    fn checking(&self, round: u32, samples: usize);
    /// Whether the caller asked to stop.
    fn cancelled(&self) -> bool;
    /// Whether the caller's time has run out (the method then ends as it stands).
    fn out_of_time(&self) -> bool {
        false
    }
}

/// The caller asked the method to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// The checked model of a text, for the tests of this crate's methods.
#[cfg(test)]
pub(crate) fn test_model(text: &str) -> cnr_check::Model {
    let file = cnr_syntax::parse(text).expect("a model that parses");
    cnr_check::check(&file, "m", &cnr_check::MemoryFiles::default(), &Default::default())
        .expect("a valid model")
}
