//! Integration tests of the good_lp backend.

mod agreement;
mod basic;
