//! A corpus of malformed CBF files (`tests/fixtures/bad_*.cbf`): each must be refused with an error
//! that names its line; the messages are kept as snapshots, one per file.

use cnr_cbf::{read_cbf, CbfError};

/// Every bad file is refused with an error that names a line inside the file.
#[test]
fn bad_files() {
    let mut count = 0;
    insta::glob!("../fixtures", "bad_*.cbf", |path| {
        count += 1;
        let text = std::fs::read_to_string(path).expect("the fixture is readable");
        let err = match read_cbf(&text, "bad") {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(e) => e,
        };
        let line = err.line().expect("the error names a line");
        let lines = text.lines().count().max(1);
        assert!((1..=lines).contains(&line), "line {line} is outside the file ({lines} lines)");
        let kind = match err {
            CbfError::Malformed { .. } => "malformed",
            CbfError::Unsupported { .. } => "unsupported",
            CbfError::Invalid(_) => "invalid",
        };
        // The first line of each fixture is a comment that says what is wrong with it.
        let why = text.lines().next().unwrap_or_default();
        insta::assert_snapshot!(format!("{why}\n{kind}: {err}"));
    });
    assert!(count >= 15, "the corpus should hold at least 15 files, found {count}");
}

#[test]
fn unsupported_constructs_are_told_apart_from_malformed_ones() {
    for name in ["int", "psdvar", "change", "pow_4d"] {
        let path = format!("{}/tests/fixtures/bad_{name}.cbf", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let err = read_cbf(&text, name).unwrap_err();
        assert!(matches!(err, CbfError::Unsupported { .. }), "{name}: {err}");
        assert!(err.to_string().contains("not supported"), "{err}");
    }
}
