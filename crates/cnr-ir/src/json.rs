//! The JSON form of a [`ConeProgram`]: the program's fields with a format marker and a version, so
//! that a file can be recognised and a future change of layout detected. The schema is documented in
//! `docs/ir.md`.

use serde::Serialize;
use thiserror::Error;

use crate::{ConeProgram, IrError};

/// The value of the `"format"` key of every JSON document cnr writes for a cone program.
pub const JSON_FORMAT: &str = "cnr-ir";

/// The version of the JSON layout; [`ConeProgram::from_json`] refuses any other.
pub const JSON_VERSION: u64 = 1;

/// Why a JSON text could not be read as a cone program.
#[derive(Debug, Error)]
pub enum JsonError {
    /// The text is not JSON, or its fields do not have the expected names and types.
    #[error("not a valid cnr-ir JSON document: {0}")]
    Syntax(#[from] serde_json::Error),
    /// The document lacks the `"format": "cnr-ir"` marker.
    #[error("not a cnr-ir JSON document: {0}")]
    Format(String),
    /// The document is of another version of the layout.
    #[error("cnr-ir JSON version {found} is not supported (this build reads version {JSON_VERSION})")]
    Version {
        /// The version the document declares.
        found: String,
    },
    /// The document reads, but the program it holds is malformed.
    #[error("the program in the JSON document is malformed: {0}")]
    Invalid(#[from] IrError),
}

/// The document as written: the marker and version first, then the program's own fields.
#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    version: u64,
    #[serde(flatten)]
    program: &'a ConeProgram,
}

impl ConeProgram {
    /// The program as one line of JSON (see `docs/ir.md` for the keys).
    ///
    /// Numbers are written as the shortest decimal that reads back as the same `f64`, so
    /// [`ConeProgram::from_json`] returns an equal program. JSON has no NaN or infinity: a program
    /// that does not validate because of such a number is written with `null` in its place, and reading
    /// that back fails.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&Document { format: JSON_FORMAT, version: JSON_VERSION, program: self })
            .expect("a cone program always serialises: every map key is a string")
    }

    /// Reads a program written by [`ConeProgram::to_json`] and validates it.
    ///
    /// Unknown keys are ignored, so that later versions may add optional fields without a version
    /// change; a missing or different `"format"` marker or `"version"` is an error.
    pub fn from_json(text: &str) -> Result<ConeProgram, JsonError> {
        let mut value: serde_json::Value = serde_json::from_str(text)?;
        let object = value
            .as_object_mut()
            .ok_or_else(|| JsonError::Format("the document is not a JSON object".into()))?;
        match object.remove("format") {
            Some(serde_json::Value::String(s)) if s == JSON_FORMAT => {}
            Some(other) => {
                return Err(JsonError::Format(format!("`format` is {other}, expected \"cnr-ir\"")))
            }
            None => return Err(JsonError::Format("the `format` key is missing".into())),
        }
        match object.remove("version") {
            Some(v) if v.as_u64() == Some(JSON_VERSION) => {}
            Some(v) => return Err(JsonError::Version { found: v.to_string() }),
            None => return Err(JsonError::Format("the `version` key is missing".into())),
        }
        let program: ConeProgram = serde_json::from_value(value)?;
        program.validate()?;
        Ok(program)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Block, Cone, CscMatrix, RowBuilder, Sense};

    fn sample() -> ConeProgram {
        let mut p = ConeProgram::new("round trip", 3, Sense::Maximize);
        p.var_blocks = vec![Block::vector("w", 0, "coordinate", 2), Block::array("t", 2, &[], 1)];
        // Numbers that a careless float parser reads back off by one unit in the last place.
        p.q = vec![0.1, -1.0 / 3.0, 2.2250738585072014e-308];
        p.p = CscMatrix::from_triplets(3, 3, &[(0, 0, 1e-300), (1, 2, 9007199254740993.0)]);
        p.c = std::f64::consts::PI;
        let mut r = RowBuilder::new();
        r.push_row(&[(0, 1.0)], 0.7);
        r.push_row(&[(0, -1.0)], 0.0);
        r.push_row(&[(1, -1.0)], 0.0);
        r.push_row(&[(2, -1.0)], 1.0);
        r.push_row(&[(2, 5e-324)], 1.7976931348623157e308);
        r.push_row(&[(1, 1.0)], 0.0);
        r.push_row(&[(0, 1.0), (1, 2.0)], -0.3);
        let (a, b) = r.finish(3);
        p.a = a;
        p.b = b;
        p.cones = vec![Cone::Nonneg(1), Cone::Exp, Cone::Power(1.0 / 3.0), Cone::Zero(0)];
        p.row_blocks = vec![Block::array("rows", 0, &[("row", 7)], 1)];
        p.validate().unwrap();
        p
    }

    #[test]
    fn round_trip_is_exact() {
        let p = sample();
        let text = p.to_json();
        assert!(text.starts_with(r#"{"format":"cnr-ir","version":1,"name":"round trip","sense":"maximize","#));
        assert_eq!(ConeProgram::from_json(&text).unwrap(), p);
    }

    #[test]
    fn cones_are_tagged_by_kind() {
        let text = sample().to_json();
        let cones = r#""cones":[{"kind":"nonneg","dim":1},{"kind":"exp"},{"kind":"pow","alpha":0.3333333333333333},{"kind":"zero","dim":0}]"#;
        assert!(text.contains(cones), "{text}");
    }

    #[test]
    fn a_wrong_marker_or_version_is_refused() {
        let text = sample().to_json();
        let other = text.replacen(r#""format":"cnr-ir""#, r#""format":"cbf""#, 1);
        assert!(matches!(ConeProgram::from_json(&other), Err(JsonError::Format(_))));
        let other = text.replacen(r#""version":1"#, r#""version":2"#, 1);
        assert!(matches!(ConeProgram::from_json(&other), Err(JsonError::Version { .. })));
        let other = text.replacen(r#""format":"cnr-ir","#, "", 1);
        assert!(matches!(ConeProgram::from_json(&other), Err(JsonError::Format(_))));
        assert!(matches!(ConeProgram::from_json("[1, 2]"), Err(JsonError::Format(_))));
        assert!(matches!(ConeProgram::from_json("{"), Err(JsonError::Syntax(_))));
    }

    #[test]
    fn a_malformed_program_is_refused_after_reading() {
        let mut p = sample();
        p.b.pop();
        let err = ConeProgram::from_json(&p.to_json()).unwrap_err();
        assert!(matches!(err, JsonError::Invalid(IrError::Dimension { what: "b", .. })), "{err}");
    }

    #[test]
    fn hostile_documents_give_errors_not_panics() {
        let text = sample().to_json();
        // A huge block index and a huge cone would overflow naive size arithmetic.
        let huge = text.replacen(r#""row","size":7"#, r#""row","size":18446744073709551615"#, 1);
        assert!(matches!(ConeProgram::from_json(&huge), Err(JsonError::Invalid(_))));
        let huge = text.replacen(r#""dim":0"#, r#""dim":18446744073709551615"#, 1);
        assert!(matches!(ConeProgram::from_json(&huge), Err(JsonError::Invalid(_))));
        // Column pointers that run past the entries.
        let mut p = sample();
        p.a.colptr = vec![0, 9, 2, p.a.nnz()];
        assert!(matches!(ConeProgram::from_json(&p.to_json()), Err(JsonError::Invalid(_))));
        // NaN is written as null, which does not read back as a number.
        let mut p = sample();
        p.q[0] = f64::NAN;
        assert!(matches!(ConeProgram::from_json(&p.to_json()), Err(JsonError::Syntax(_))));
    }

    /// The example in `docs/ir.md`, written exactly.
    #[test]
    fn the_documented_example() {
        let mut rows = RowBuilder::new();
        rows.push_row(&[(0, -1.0)], -1.0);
        let (a, b) = rows.finish(1);
        let mut p = ConeProgram::new("tiny", 1, Sense::Minimize);
        p.q = vec![1.0];
        p.a = a;
        p.b = b;
        p.cones = vec![Cone::Nonneg(1)];
        p.var_blocks = vec![Block::array("x", 0, &[], 1)];
        p.row_blocks = vec![Block::vector("x ≥ 1", 0, "row", 1)];
        let expected = concat!(
            r#"{"format":"cnr-ir","version":1,"name":"tiny","sense":"minimize","n":1,"#,
            r#""p":{"m":1,"n":1,"colptr":[0,0],"rowval":[],"nzval":[]},"q":[1.0],"c":0.0,"#,
            r#""a":{"m":1,"n":1,"colptr":[0,1],"rowval":[0],"nzval":[-1.0]},"b":[-1.0],"#,
            r#""cones":[{"kind":"nonneg","dim":1}],"#,
            r#""var_blocks":[{"name":"x","start":0,"index":[],"width":1}],"#,
            r#""row_blocks":[{"name":"x ≥ 1","start":0,"index":[{"name":"row","size":1}],"width":1}]}"#,
        );
        assert_eq!(p.to_json(), expected);
    }
}
