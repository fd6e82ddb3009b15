//! The layering ARCHITECTURE.md promises, checked on the manifests: the IR depends on no other cnr
//! crate, the front end (syntax, check, lower) names no solver, and backends know no network.

use crate::util::root;

/// The `cnr-*` crates and solver crates a crate's manifest depends on (any section).
fn dependencies(krate: &str) -> Vec<String> {
    let manifest =
        std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).expect("manifest");
    manifest
        .lines()
        .filter_map(|l| l.split(['=', '.', ' ']).next())
        .filter(|name| name.starts_with("cnr-") || ["clarabel", "good_lp"].contains(name))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_ir_is_the_narrow_waist() {
    assert!(dependencies("cnr-ir").is_empty(), "cnr-ir depends on {:?}", dependencies("cnr-ir"));
    for front in ["cnr-syntax", "cnr-check", "cnr-lower"] {
        let deps = dependencies(front);
        for solver in ["clarabel", "good_lp", "cnr-clarabel", "cnr-goodlp", "cnr-cbf"] {
            // Lowering may use Clarabel in its own tests (dev-dependencies) but not in its code.
            let normal = normal_dependencies(front);
            assert!(!normal.iter().any(|d| d == solver), "{front} depends on {solver}: {deps:?}");
        }
    }
    for back in ["cnr-clarabel", "cnr-goodlp", "cnr-cbf"] {
        for front in ["cnr-syntax", "cnr-check", "cnr-lower"] {
            assert!(!normal_dependencies(back).iter().any(|d| d == front), "{back} depends on {front}");
        }
    }
}

/// The dependencies of the `[dependencies]` section only.
fn normal_dependencies(krate: &str) -> Vec<String> {
    let manifest =
        std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).expect("manifest");
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some(name) = line.split(['=', '.', ' ']).next().filter(|n| !n.is_empty()) {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// Every `.rs` file under a folder.
fn sources(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_front_end_names_no_backend() {
    // What backends exist, and what each takes, is the driver's and the backends' knowledge. (The
    // front end's tests may use a solver, so only `src/` is read.)
    for front in ["cnr-syntax", "cnr-check", "cnr-lower"] {
        for file in sources(&root().join("crates").join(front).join("src")) {
            let text = std::fs::read_to_string(&file).expect("a source file").to_lowercase();
            for name in ["clarabel", "good_lp", "goodlp", "microlp", "highs"] {
                assert!(!text.contains(name), "{} names the backend `{name}`", file.display());
            }
        }
    }
}

#[test]
fn the_binary_runs_the_pipeline_through_the_driver() {
    // The command line keeps arguments, files, the terminal and exit codes; solving is the driver's.
    for file in sources(&root().join("src")) {
        let text = std::fs::read_to_string(&file).expect("a source file");
        for call in ["cnr_clarabel::", "cnr_goodlp::", "cnr_check::check(", ".evaluate("] {
            assert!(!text.contains(call), "{} calls `{call}` itself", file.display());
        }
    }
}

/// The text files whose references are checked: the root's and `docs/`'s Markdown, the benchmarks'
/// README and every Rust source.
fn documents() -> Vec<std::path::PathBuf> {
    let mut out: Vec<std::path::PathBuf> =
        ["README.md", "ARCHITECTURE.md", "bench/README.md"].iter().map(|p| root().join(p)).collect();
    for entry in std::fs::read_dir(root().join("docs")).expect("docs/").flatten() {
        if entry.path().extension().is_some_and(|e| e == "md") {
            out.push(entry.path());
        }
    }
    for dir in ["src", "tests/it", "crates"] {
        out.extend(sources(&root().join(dir)));
    }
    out
}

#[test]
fn every_reference_points_into_the_repository() {
    let mut missing = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("a text file");
        let name = doc.strip_prefix(root()).unwrap_or(&doc).display().to_string();
        if name == "tests/it/architecture.rs" {
            continue; // this test spells out what it looks for
        }
        // Nothing outside the repository is cited as if it were in it.
        for outside in ["DESIGN.md", "../shared", "the issue"] {
            if text.contains(outside) {
                missing.push(format!("{name} cites `{outside}`"));
            }
        }
        // Markdown links to files, relative to the document.
        for link in text.split("](").skip(1).filter_map(|rest| rest.split(')').next()) {
            let target = link.split('#').next().unwrap_or_default();
            // Rust's intra-doc links (`[x](Type::name)`) name items, not files.
            let path_like = target.contains('/') || target.contains('.');
            if target.is_empty()
                || !path_like
                || target.contains("://")
                || target.contains(' ')
                || target.contains("::")
            {
                continue;
            }
            if !doc.parent().expect("a folder").join(target).exists() {
                missing.push(format!("{name} links to `{target}`"));
            }
        }
        // Paths of the project's own files named in the text, relative to the root.
        for word in text.split(|c: char| c.is_whitespace() || "`()[],;:\"'".contains(c)) {
            let word = word.trim_end_matches('.');
            let named =
                ["docs/", "bench/", "examples/", "tests/fixtures/"].iter().any(|p| word.starts_with(p));
            let file = [".md", ".sh", ".py", ".cnr"].iter().any(|e| word.ends_with(e));
            if named && file && !word.contains('*') && !word.contains("…") && !root().join(word).exists() {
                missing.push(format!("{name} names `{word}`"));
            }
        }
    }
    assert!(missing.is_empty(), "references to nothing:\n{}", missing.join("\n"));
}
