//! The reader must answer every input with `Ok` or `Err`, never a panic: valid files, truncated,
//! mutated and shuffled copies of them, and random bytes. The loop is deterministic.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::common::Lcg;

/// Tokens that stress the reader's checks when spliced into a file.
const NASTY: [&str; 24] = [
    "",
    "0",
    "1",
    "-1",
    "3",
    "1000",
    "999999999999",
    "18446744073709551616",
    "1e999",
    "nan",
    "+1",
    "1e0",
    "0.5",
    "-0.0",
    "VER",
    "VAR",
    "CON",
    "ACOORD",
    "@0:POW",
    "@7:POW*",
    "QR",
    "EXP*",
    "L-",
    "#",
];

fn fixtures() -> Vec<(String, String)> {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("the fixtures directory exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cbf"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("a readable fixture")))
        .collect();
    files.sort();
    files
}

/// Reads `text` and checks the answer: an error with a line number, or a program that validates.
fn check(text: &str) {
    let outcome = catch_unwind(AssertUnwindSafe(|| cnr_cbf::read_cbf(text, "fuzz", 8 << 30)));
    match outcome {
        Err(_) => panic!("the reader panicked on:\n{text}"),
        Ok(Ok(program)) => {
            assert_eq!(program.validate(), Ok(()), "an accepted file must give a valid program:\n{text}")
        }
        Ok(Err(e)) => assert!(
            e.line().is_some() || matches!(e, cnr_cbf::CbfError::Invalid(_)),
            "errors name a line: {e}"
        ),
    }
}

#[test]
fn truncated_files_never_panic() {
    for (_, text) in fixtures() {
        for cut in 0..=text.len() {
            if text.is_char_boundary(cut) {
                check(&text[..cut]);
            }
        }
    }
}

#[test]
fn mutated_files_never_panic() {
    let files = fixtures();
    let mut g = Lcg(2024);
    let mut accepted = 0;
    for round in 0..6000 {
        let (_, text) = &files[round % files.len()];
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for _ in 0..1 + g.below(3) {
            let k = g.below(lines.len());
            match g.below(6) {
                0 => {
                    lines.remove(k);
                }
                1 => {
                    let copy = lines[k].clone();
                    lines.insert(k, copy);
                }
                2 => {
                    let other = g.below(lines.len());
                    lines.swap(k, other);
                }
                3 => lines[k] = NASTY[g.below(NASTY.len())].to_string(),
                _ => {
                    // Replace one token of the line.
                    let mut tokens: Vec<String> = lines[k].split(' ').map(str::to_string).collect();
                    let t = g.below(tokens.len());
                    tokens[t] = NASTY[g.below(NASTY.len())].to_string();
                    lines[k] = tokens.join(" ");
                }
            }
            if lines.is_empty() {
                lines.push(String::new());
            }
        }
        let mutated = lines.join("\n");
        accepted += usize::from(cnr_cbf::read_cbf(&mutated, "m", 8 << 30).is_ok());
        check(&mutated);
    }
    // Some mutations (a swapped objective line, a changed coefficient) keep the file valid: make sure
    // the loop also exercises the building of programs, not only the error paths.
    assert!(accepted > 30, "only {accepted} mutated files were accepted");
}

#[test]
fn random_bytes_never_panic() {
    let mut g = Lcg(77);
    let alphabet = b"VERCONAQPLFXMINOBJSWD@:*+-=.e0123456789 \t\r\n#";
    for _ in 0..3000 {
        let len = g.below(300);
        let bytes: Vec<u8> =
            (0..len)
                .map(|_| {
                    if g.below(4) == 0 {
                        (g.next_u64() >> 56) as u8
                    } else {
                        alphabet[g.below(alphabet.len())]
                    }
                })
                .collect();
        check(&String::from_utf8_lossy(&bytes));
        // Random bytes after a valid start reach the deeper states of the reader.
        check(&format!("VER\n3\n\n{}", String::from_utf8_lossy(&bytes)));
    }
}
