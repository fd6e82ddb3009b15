//! Integration tests of the CBF writer and reader: round trips, exact writer text, fixtures with known
//! optima, a corpus of malformed files with snapshotted errors, and a no-panic test on mutated input.

mod common;
mod fuzz;
mod malformed;
mod roundtrip;
mod solve;
mod writer_text;
