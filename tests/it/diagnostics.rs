//! The corpus of invalid models in `tests/fixtures/invalid/`: every one makes `cnr check` exit with
//! code 1 (a user error, never 101, a panic) and print a located, reviewed diagnostic. A mutation
//! test then feeds thousands of damaged copies of the examples to the parser and the checker and
//! asserts that none of them panics.

use crate::util::{cnr, models_in, root, stem, text};
use std::panic::{catch_unwind, AssertUnwindSafe};

const CORPUS: &str = "tests/fixtures/invalid";

/// The first line of a fixture, its `#` comment saying what is wrong (empty for the empty file).
fn what_is_wrong(path: &str) -> String {
    let bytes = std::fs::read(root().join(path)).expect("the fixture is readable");
    let first = text(&bytes).lines().next().unwrap_or_default().to_string();
    first.trim_start_matches('#').trim().to_string()
}

/// Compares what `cnr` printed about a fixture with its reviewed snapshot `{kind}@{stem}.snap`, whose
/// description is the fixture's first comment line.
fn assert_rendered(kind: &str, path: &str, stderr: &str) {
    insta::with_settings!({
        snapshot_suffix => stem(path),
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => format!("{path}: {}", what_is_wrong(path)),
    }, {
        insta::assert_snapshot!(kind, stderr);
    });
}

/// The 1-based line and column in the first `┌─ path:line:col` of rendered diagnostics.
fn location(stderr: &str, path: &str) -> Option<(usize, usize)> {
    let at = stderr.find(&format!("{path}:"))? + path.len() + 1;
    let mut parts = stderr[at..].split(|c: char| !c.is_ascii_digit());
    let line = parts.next()?.parse().ok()?;
    let col = parts.next()?.parse().ok()?;
    Some((line, col))
}

#[test]
fn the_corpus_is_large_and_every_fixture_says_what_is_wrong() {
    let fixtures = models_in(CORPUS);
    assert!(fixtures.len() >= 35, "only {} fixtures", fixtures.len());
    for path in &fixtures {
        // The empty file is the one fixture that cannot carry a comment.
        if stem(path) != "empty" {
            let bytes = std::fs::read(root().join(path)).expect("the fixture is readable");
            assert!(bytes.starts_with(b"# "), "{path} does not start with a `#` comment");
        }
    }
}

#[test]
fn every_invalid_model_fails_with_a_located_diagnostic() {
    for path in models_in(CORPUS) {
        // A fixed memory budget, so that the diagnostics of models too large for it do not depend
        // on the machine's memory.
        let out = cnr(&["check", "--max-memory", "8G", &path]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{path}: exit code {:?}\n{stderr}", out.status.code());
        assert!(out.stdout.is_empty(), "{path}: printed a summary:\n{}", text(&out.stdout));
        assert!(stderr.starts_with("error: "), "{path}:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{path}:\n{stderr}");

        // Every diagnostic of the corpus points into the file: `path:line:col`, then the source line
        // with its number, and a marker under the offending text.
        let (line, col) = location(&stderr, &path).unwrap_or_else(|| panic!("{path}: no location\n{stderr}"));
        let source = text(&std::fs::read(root().join(&path)).expect("readable"));
        let lines = source.lines().count().max(1);
        assert!(line >= 1 && line <= lines, "{path}: line {line} of {lines}\n{stderr}");
        assert!(col >= 1, "{path}: column {col}\n{stderr}");
        assert!(stderr.contains(&format!("{line} │ ")), "{path}: the source line is not shown\n{stderr}");
        assert!(stderr.contains('^'), "{path}: no marker\n{stderr}");

        assert_rendered("diagnostic", &path, &stderr);
    }
}

#[test]
fn several_independent_errors_are_all_reported() {
    let path = format!("{CORPUS}/several_errors.cnr");
    let out = cnr(&["check", &path]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.matches("error: ").count(), 3, "{stderr}");
    for (message, place) in [
        ("unknown activation `relux`", ":6:14"),
        ("the noise level must be ≥ 0", ":13:9"),
        ("unknown backend `gurobi`", ":17:11"),
    ] {
        assert!(stderr.contains(message), "`{message}` is missing:\n{stderr}");
        assert!(stderr.contains(&format!("{path}{place}")), "`{place}` is missing:\n{stderr}");
    }
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants): enough randomness to mutate
/// text, and the same sequence on every platform.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Tokens that are likely to break a model in interesting ways when inserted anywhere.
const TOKENS: &[&str] = &[
    "}",
    "{",
    "(",
    ")",
    "[",
    "]",
    ",",
    "-",
    "=",
    "*",
    "/",
    "1e999",
    "-1e999",
    "nan",
    "inf",
    "\"",
    "x",
    "0",
    "-1",
    "4294967296",
    "0.5",
    "99999",
    "z",
    "relu",
    "max(",
    "network {",
    "data planted {",
    "samples",
    "filter [1, 2]",
    "\n",
    " ",
    "#",
    "\u{0}",
    "é",
    "·",
];

/// Bytes that replace a random byte: digits, letters, punctuation and a multi-byte character's start.
const BYTES: &[u8] = b"0123456789xze.-+*/(){}[],=#\" \n\t_\xff\xc3";

fn lines_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

/// One random mutation of `bytes`.
fn mutate(rng: &mut Lcg, bytes: &mut Vec<u8>) {
    match rng.below(6) {
        0 => {
            let mut lines = lines_of(bytes);
            if !lines.is_empty() {
                lines.remove(rng.below(lines.len()));
            }
            *bytes = lines.concat();
        }
        1 => {
            let mut lines = lines_of(bytes);
            if !lines.is_empty() {
                let k = rng.below(lines.len());
                let copy = lines[k].clone();
                lines.insert(rng.below(lines.len() + 1), copy);
            }
            *bytes = lines.concat();
        }
        2 => {
            let mut lines = lines_of(bytes);
            if !lines.is_empty() {
                let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                lines.swap(a, b);
            }
            *bytes = lines.concat();
        }
        3 if !bytes.is_empty() => {
            let at = rng.below(bytes.len());
            bytes[at] = BYTES[rng.below(BYTES.len())];
        }
        4 if !bytes.is_empty() => {
            let at = rng.below(bytes.len());
            let len = 1 + rng.below(8).min(bytes.len() - at - 1);
            bytes.drain(at..at + len);
        }
        _ => {
            let at = rng.below(bytes.len() + 1);
            let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
            bytes.splice(at..at, token.iter().copied());
        }
    }
}

/// How far an input got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Outcome {
    SyntaxError,
    Rejected,
    Accepted,
}

/// Parses and checks `bytes` as the command line would (non-UTF-8 bytes replaced), reporting a
/// panic as an error with the input that caused it.
fn check_does_not_panic(bytes: &[u8]) -> Result<Outcome, String> {
    let source = text(bytes);
    let files = cnr_check::MemoryFiles::default();
    // A mutation can turn `samples 192` into a count that is valid but large; drawing that much
    // planted data would test the generator's speed, not the checker. Few samples keep every
    // mutant quick while the rest of the model is checked as written.
    let overrides = cnr_check::Overrides { samples: Some(8), ..cnr_check::Overrides::default() };
    catch_unwind(AssertUnwindSafe(|| match cnr_syntax::parse(&source) {
        Err(_) => Outcome::SyntaxError,
        Ok(file) => match cnr_check::check(&file, "mutant", &files, &overrides) {
            Ok(_) => Outcome::Accepted,
            Err(diags) => {
                assert!(!diags.is_empty(), "a rejected model comes with a diagnostic");
                Outcome::Rejected
            }
        },
    }))
    .map_err(|_| source)
}

#[test]
fn mutated_examples_never_panic() {
    let examples: Vec<(String, Vec<u8>)> = models_in("examples")
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(root().join(&p)).expect("readable example");
            (p, bytes)
        })
        .collect();
    assert!(examples.len() >= 10, "examples are missing");
    let mut panics = Vec::new();
    let mut runs = 0;
    let mut outcomes = std::collections::HashMap::new();

    // Every prefix of two examples: a file cut off anywhere, inside a word, a number or a block.
    let cut = |p: &str| p.ends_with("bent_max_affine.cnr") || p.ends_with("two_filters_mean.cnr");
    for (path, bytes) in examples.iter().filter(|(p, _)| cut(p)) {
        for end in 0..=bytes.len() {
            runs += 1;
            match check_does_not_panic(&bytes[..end]) {
                Ok(outcome) => *outcomes.entry(outcome).or_insert(0) += 1,
                Err(source) => panics.push(format!("{path} cut at byte {end}:\n{source}")),
            }
        }
    }

    // Random mutations: one to four per copy, a few hundred copies of every example.
    let mut rng = Lcg(0x5eed_c0de);
    for (path, original) in &examples {
        for _ in 0..250 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut bytes);
            }
            runs += 1;
            match check_does_not_panic(&bytes) {
                Ok(outcome) => *outcomes.entry(outcome).or_insert(0) += 1,
                Err(source) => panics.push(format!("a mutation of {path}:\n{source}")),
            }
        }
    }
    assert!(runs > 3000, "only {runs} runs");
    // The mutations reach every phase: some inputs fail to parse, some parse and are rejected by
    // the checker, and some (a line swapped, a comment damaged) are still valid models.
    for outcome in [Outcome::SyntaxError, Outcome::Rejected, Outcome::Accepted] {
        let count = outcomes.get(&outcome).copied().unwrap_or(0);
        assert!(count >= 100, "only {count} of {runs} inputs ended as {outcome:?}: {outcomes:?}");
    }
    assert!(panics.is_empty(), "{} of {runs} inputs panicked; the first:\n{}", panics.len(), panics[0]);
}

/// The byte ranges of the number literals in a model's text, outside comments and names.
fn number_literals(source: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let code = &line[..line.find('#').unwrap_or(line.len())];
        let bytes = code.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let starts = bytes[i].is_ascii_digit()
                && (i == 0
                    || !(bytes[i - 1].is_ascii_alphanumeric()
                        || bytes[i - 1] == b'_'
                        || bytes[i - 1] == b'.'));
            if starts {
                let mut j = i;
                while j < bytes.len()
                    && (bytes[j].is_ascii_digit()
                        || bytes[j] == b'.'
                        || bytes[j] == b'e'
                        || (matches!(bytes[j], b'-' | b'+') && bytes[j - 1] == b'e'))
                {
                    j += 1;
                }
                out.push(offset + i..offset + j);
                i = j;
            } else {
                i += 1;
            }
        }
        offset += line.len();
    }
    out
}

#[test]
fn an_overflowing_number_anywhere_is_rejected_as_such() {
    let mut tried = 0;
    for path in models_in("examples") {
        let source = text(&std::fs::read(root().join(&path)).expect("readable example"));
        for range in number_literals(&source) {
            let mut mutant = source.clone();
            mutant.replace_range(range.clone(), "1e999");
            let file = cnr_syntax::parse(&mutant).unwrap_or_else(|d| panic!("{path}: {d:?}\n{mutant}"));
            // File data would fail for want of files; the overflow must be reported all the same.
            let diags = match cnr_check::check(
                &file,
                "mutant",
                &cnr_check::MemoryFiles::default(),
                &Default::default(),
            ) {
                Ok(_) => panic!("{path}: `1e999` at {range:?} was accepted:\n{mutant}"),
                Err(d) => d,
            };
            let overflow = diags.iter().find(|d| d.message.contains("overflows to infinity"));
            let overflow = overflow.unwrap_or_else(|| panic!("{path}: {diags:?}\n{mutant}"));
            assert_eq!(overflow.span.start, range.start, "{path}: {overflow:?}");
            assert!(
                !diags.iter().any(|d| d.span.start == range.start && !d.message.contains("overflows")),
                "{path}: the overflowing number is reported twice: {diags:?}"
            );
            tried += 1;
        }
    }
    assert!(tried > 40, "only {tried} numbers found in the examples");
}

#[test]
fn every_warning_is_rendered_at_its_place_and_denied_on_request() {
    let fixtures = models_in("tests/fixtures/warnings");
    assert!(fixtures.len() >= 5, "{fixtures:?}");
    for path in fixtures {
        let out = cnr(&["check", &path]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{path}: a warning does not fail the check\n{stderr}");
        assert!(stderr.starts_with("warning: "), "{path}: {stderr}");
        assert!(location(&stderr, &path).is_some(), "{path}: no location in\n{stderr}");
        assert_rendered("warning", &path, &stderr);
        let denied = cnr(&["check", "--deny-warnings", &path]);
        assert_eq!(denied.status.code(), Some(1), "{path}: --deny-warnings");
    }
    // An output offset reaches negative labels: the same data with `+ offset` do not warn, and a
    // correct model passes --deny-warnings.
    let model =
        std::fs::read_to_string(root().join("tests/fixtures/warnings/negative_labels.cnr")).expect("fixture");
    let dir = tempfile::tempdir().expect("a temporary folder");
    for file in ["x.csv", "y.csv"] {
        std::fs::copy(root().join("tests/fixtures/warnings").join(file), dir.path().join(file))
            .expect("copy");
    }
    let with_offset = dir.path().join("offset.cnr");
    std::fs::write(&with_offset, model.replace("output ones", "output ones + offset")).expect("write");
    let out = cnr(&["check", "--deny-warnings", &with_offset.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The examples are meant as they are written: none of them warns.
    let mut args = vec!["check".to_string(), "--deny-warnings".to_string()];
    args.extend(models_in("examples"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = cnr(&refs);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn deep_nesting_and_long_chains_are_refused_with_a_place_not_a_stack_overflow() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let wrap = |expr: String| {
        format!("network {{ input 8 conv kernel 4 stride 4 activation f(z) = {expr} }}\ndata planted {{ samples 3 }}\n")
    };
    let cases = [
        (format!("{}z{}", "(".repeat(3500), ")".repeat(3500)), "nest deeper than 256"),
        (format!("{}z{}", "max(".repeat(2500), ")".repeat(2500)), "nest deeper than 256"),
        (format!("{}z", "-".repeat(12000)), "signs in a row"),
        (vec!["z"; 12000].join(" + "), "chains more than 2000"),
        (format!("z{}", "*1".repeat(12000)), "chains more than 2000"),
    ];
    for (k, (expr, says)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("deep{k}.cnr"));
        std::fs::write(&path, wrap(expr)).expect("write");
        for command in ["check", "fmt"] {
            let out = cnr(&[command, path.to_str().expect("utf-8")]);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "case {k} {command}: {stderr}");
            assert!(stderr.contains(says) && stderr.contains(":1:"), "case {k} {command}: {stderr}");
        }
    }
    // A chain written over many lines, with its operators at the starts or the ends of the lines,
    // is one chain too.
    for (k, lines) in
        [vec!["z"; 50000].join("\n  + "), vec!["z"; 50000].join(" *\n  ")].into_iter().enumerate()
    {
        let path = dir.path().join(format!("lines{k}.cnr"));
        std::fs::write(&path, wrap(lines)).expect("write");
        let out = cnr(&["check", path.to_str().expect("utf-8")]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "lines {k}: {stderr}");
        let line = [":2002:", ":2001:"][k]; // the 2,001st operator starts line 2002, or ends line 2001
        assert!(stderr.contains("chains more than 2000") && stderr.contains(line), "lines {k}: {stderr}");
    }
    // Many statements with arithmetic are no chain, and neither is a long list of negative numbers.
    let params: String = (0..3000).map(|i| format!("param p{i} = 2*3 - 1\n")).collect();
    let list: Vec<String> = (1..=3000).map(|i| format!("-{i}")).collect();
    let file = format!(
        "{params}network {{ input 8 conv kernel 4 stride 4 activation relu }}\nrelax {{ anchor [{}] }}\ndata planted {{ samples 3 }}\n",
        list.join(" ")
    );
    let path = dir.path().join("statements.cnr");
    std::fs::write(&path, file).expect("write");
    let stderr = text(&cnr(&["check", path.to_str().expect("utf-8")]).stderr);
    assert!(stderr.contains("the anchor has 3000 numbers; the network needs M·d = 4"), "{stderr}");
    assert!(!stderr.contains("chains more than"), "{stderr}");
    // Just inside the limits, every phase works: 256 levels, and a sum of 1,999 terms.
    for expr in
        [format!("{}z{}", "(".repeat(256), ")".repeat(256)), format!("relu({})", vec!["z"; 1999].join(" + "))]
    {
        let path = dir.path().join("inside.cnr");
        std::fs::write(&path, wrap(expr)).expect("write");
        let out = cnr(&["solve", path.to_str().expect("utf-8")]);
        assert!(matches!(out.status.code(), Some(0 | 4)), "{}", text(&out.stderr));
    }
}

#[test]
fn nested_sums_are_checked_in_time_linear_in_their_depth() {
    // `2*(2*(…(z + z)…) + z)` 60 levels deep: asking each level's sign twice was 2^60 steps.
    let mut e = "z".to_string();
    for _ in 0..60 {
        e = format!("2*({e} + z)");
    }
    let model = format!("network {{ input 8 conv kernel 4 stride 4 activation f(z) = relu({e}) }}\ndata planted {{ samples 3 }}\n");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("nested.cnr");
    std::fs::write(&path, model).expect("write");
    assert_eq!(cnr(&["check", path.to_str().expect("utf-8")]).status.code(), Some(0));
}
