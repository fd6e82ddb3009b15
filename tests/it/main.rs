//! The integration tests of the `cnr` command line, in one test binary (one link, not one per file).
//!
//! Where tests belong:
//! - `examples`: every model in `examples/` parses, checks, formats canonically and lowers; its IR
//!   at a small sample count is a reviewed snapshot (the main regression net).
//! - `diagnostics`: the corpus of invalid models in `tests/fixtures/invalid/`, each with its rendered
//!   diagnostic as a snapshot; nothing may panic.
//! - `cli`: exit codes and output of the real binary.
//! - `backends`: CBF round trips and agreement of Clarabel, CBF → Clarabel and good_lp.
//! - `cutting_plane`: the cutting-plane method gives the whole program's answer.
//! - `honest`: badly scaled models get the right answer or an honest status.
//! - `learned`: learned output weights, their program and the network read back from it.
//! - `scales`: labels and rows spread over 1e-12…1e12: every method's `optimal` is exact, each
//!   sample held to its own scale.
//! - `lp_backends`: good_lp and Clarabel agree on random small LPs.
//! - `params`: parameters, arithmetic in values, `--param`.
//! - `recovery`: the planted-recovery experiments the relaxation is built for.
//! - `limits`: models too large for the memory budget are refused at once, without allocating.
//! - `sweep`: `cnr sweep`, its results folder, resuming, shards and plots.
//! - `real_data`: models of real data: a held-out test set.
//! - `architecture`: the crate layering that ARCHITECTURE.md promises.

mod architecture;
mod backends;
mod cli;
mod cutting_plane;
mod diagnostics;
mod examples;
mod front_door;
mod honest;
mod learned;
mod limits;
mod lp_backends;
mod params;
mod programs;
mod real_data;
mod recovery;
mod scales;
mod sweep;
mod util;
mod wspace;
