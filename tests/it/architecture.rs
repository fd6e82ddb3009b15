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
