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
