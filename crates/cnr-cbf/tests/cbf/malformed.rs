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
        let err = match read_cbf(&text, "bad", 8 << 30) {
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
        let err = read_cbf(&text, name, 8 << 30).unwrap_err();
        assert!(matches!(err, CbfError::Unsupported { .. }), "{name}: {err}");
        assert!(err.to_string().contains("not supported"), "{err}");
    }
}

/// A file whose declared sizes are backed by its lines but exceed the memory budget is refused at
/// the line that declares them, before the reader allocates for them.
#[test]
fn declared_sizes_are_held_to_the_memory_budget() {
    let n = 200_000;
    let mut text = format!("VER\n3\nVAR\n{n} 1\nF {n}\nOBJACOORD\n{n}\n");
    for j in 0..n {
        text.push_str(&format!("{j} 1\n"));
    }
    assert!(cnr_cbf::read_cbf(&text, "wide", 1 << 30).is_ok());
    let err = cnr_cbf::read_cbf(&text, "wide", 10 << 20).unwrap_err();
    assert_eq!(err.line(), Some(4), "{err}");
    assert!(err.to_string().contains("more than the memory budget of 10 MiB"), "{err}");
}

/// A 256 KB file that declares 16 million variables is refused by its size, at once.
#[test]
fn sixteen_million_variables_in_a_small_file_are_refused() {
    let mut text = "VER\n3\nVAR\n16000000 1\nF 16000000\n#".to_string();
    text.push_str(&"x".repeat(256 << 10));
    let start = std::time::Instant::now();
    let err = read_cbf(&text, "big", 8 << 30).unwrap_err();
    assert_eq!(err.line(), Some(4), "{err}");
    assert!(start.elapsed() < std::time::Duration::from_millis(500));
}
