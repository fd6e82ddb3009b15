//! Integration tests of the good_lp backend.

mod basic;
