//! What a sweep is, before any trial runs: its grid (`grid.rs`) and the meaning of a model's
//! `sweep { … }` block, merged with the flags (`spec.rs`). Running the trials, the results folder
//! and the plots are `cnr-sweep`'s.

pub mod grid;
mod spec;

pub use spec::{activations, anchors, parse_threshold, refine_counts, restart_counts, SweepSpec};
