//! Reading and writing cone programs in the Conic Benchmark Format (CBF), versions 1 to 3.
//!
//! CBF states every constraint as "an affine expression lies in a cone", `A x + b ∈ K`, while the IR
//! ([`cnr_ir::ConeProgram`]) uses Clarabel's form `A x + s = b, s ∈ K`, i.e. `(−A) x + b ∈ K`. The writer
//! therefore prints `−A` and `+b`, and the reader negates `A` back. Cones whose coordinate order or
//! definition differs (the exponential cone, the rotated quadratic cone, the dual cones) are converted by
//! fixed linear maps on the rows; each map is documented where it is applied, in [`read`] and [`write`].
//!
//! ```
//! use cnr_ir::{Cone, ConeProgram, RowBuilder, Sense};
//! // minimise x subject to x ≥ 1, i.e. −x + s = −1 with s ≥ 0.
//! let mut rows = RowBuilder::new();
//! rows.push_row(&[(0, -1.0)], -1.0);
//! let (a, b) = rows.finish(1);
//! let mut p = ConeProgram::new("tiny", 1, Sense::Minimize);
//! p.q = vec![1.0];
//! p.a = a;
//! p.b = b;
//! p.cones = vec![Cone::Nonneg(1)];
//!
//! let mut text = Vec::new();
//! cnr_cbf::write_cbf(&p, &mut text, "doc-test").unwrap();
//! let text = String::from_utf8(text).unwrap();
//! assert!(text.contains("ACOORD\n1\n0 0 1.0\n"));
//!
//! let back = cnr_cbf::read_cbf(&text, "tiny", 1 << 30).unwrap();
//! assert_eq!(back.a, p.a);
//! assert_eq!(back.b, p.b);
//! assert_eq!(back.q, p.q);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod read;
pub mod write;

pub use read::{read_cbf, CbfError};
pub use write::{write_cbf, CbfWriteError};
