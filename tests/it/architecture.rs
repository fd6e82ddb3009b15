//! The layering ARCHITECTURE.md promises, checked on the manifests and the `use` paths: the IR
//! depends on no other cnr crate, the front end (syntax, check, lower) names no solver, backends
//! know no network, the binary and the sweep reach the pipeline only through the driver, only
//! cnr-solve names backends, and only cnr-fs touches the file system.

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
    section_names(&manifest, "[dependencies]")
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

/// The `[dependencies]` of the root package (the binary).
fn binary_dependencies() -> Vec<String> {
    section_names(&std::fs::read_to_string(root().join("Cargo.toml")).expect("manifest"), "[dependencies]")
}

/// The names listed in one section of a manifest.
fn section_names(manifest: &str, section: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == section;
            continue;
        }
        if inside && !line.starts_with('#') {
            if let Some(name) = line.split(['=', '.', ' ']).next().filter(|n| !n.is_empty()) {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// The crates a Rust file's code names: every `cnr_*` path (in `use` items and in expressions).
fn named_crates(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .match_indices("cnr_")
        .filter(|(i, _)| {
            *i == 0 || !text.as_bytes()[i - 1].is_ascii_alphanumeric() && text.as_bytes()[i - 1] != b'_'
        })
        .map(|(i, _)| text[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
        .filter(|name: &String| text.contains(&format!("{name}::")))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_binary_reaches_the_pipeline_only_through_the_driver() {
    // The command line keeps arguments, files, the terminal and exit codes: its manifest lists no
    // other cnr crate, no solver and no file format's crate (program and data I/O are the driver's),
    // and its code names no other crate's paths.
    let deps = binary_dependencies();
    let cnr: Vec<&String> = deps.iter().filter(|d| d.starts_with("cnr-")).collect();
    assert_eq!(cnr, ["cnr-driver", "cnr-sweep"], "the binary depends on {deps:?}");
    for banned in ["clarabel", "good_lp", "ndarray", "ndarray-npy", "codespan-reporting", "pest"] {
        assert!(!deps.iter().any(|d| d == banned), "the binary depends on {banned}");
    }
    for file in sources(&root().join("src")) {
        let text = std::fs::read_to_string(&file).expect("a source file");
        for name in named_crates(&text) {
            assert!(
                ["cnr_driver", "cnr_sweep"].contains(&name.as_str()),
                "{} names `{name}`",
                file.display()
            );
        }
    }
}

#[test]
fn the_sweep_sits_on_the_driver_and_reads_its_block_from_the_syntax() {
    // The sweep runs models only through the driver; the syntax tree gives it its own
    // `sweep { … }` block to read.
    let deps = normal_dependencies("cnr-sweep");
    let cnr: Vec<&String> = deps.iter().filter(|d| d.starts_with("cnr-")).collect();
    assert_eq!(cnr, ["cnr-driver", "cnr-syntax"], "cnr-sweep depends on {deps:?}");
    for file in sources(&root().join("crates/cnr-sweep/src")) {
        let text = std::fs::read_to_string(&file).expect("a source file");
        let names = named_crates(&text);
        let allowed =
            if file.ends_with("spec.rs") { &["cnr_driver", "cnr_syntax"][..] } else { &["cnr_driver"][..] };
        assert!(names.iter().all(|n| allowed.contains(&n.as_str())), "{} names {names:?}", file.display());
    }
}

#[test]
fn the_python_package_sits_on_the_driver_and_the_sweep_only() {
    // python/ is outside the workspace (cargo test --workspace needs no Python), but it is a caller
    // like the binary: it reaches the pipeline through the driver, and sweeps through cnr-sweep.
    let manifest = std::fs::read_to_string(root().join("python/Cargo.toml")).expect("manifest");
    let deps = section_names(&manifest, "[dependencies]");
    let cnr: Vec<&String> = deps.iter().filter(|d| d.starts_with("cnr-")).collect();
    assert_eq!(cnr, ["cnr-driver", "cnr-sweep"], "python/Cargo.toml depends on {deps:?}");
    for file in sources(&root().join("python/src")) {
        let text = std::fs::read_to_string(&file).expect("a source file");
        let names = named_crates(&text);
        assert!(
            names.iter().all(|n| n == "cnr_driver" || n == "cnr_sweep"),
            "{} names {names:?}",
            file.display()
        );
    }
}

#[test]
fn only_cnr_solve_names_backends() {
    // Which backends exist and how each is called is `cnr-solve`'s knowledge: no other crate but
    // the backends themselves depends on one or names one in its code.
    let backends = ["cnr-clarabel", "cnr-goodlp"];
    let crates = std::fs::read_dir(root().join("crates")).expect("crates/");
    for entry in crates.flatten() {
        let krate = entry.file_name().to_string_lossy().into_owned();
        if krate == "cnr-solve" || backends.contains(&krate.as_str()) {
            continue;
        }
        for backend in backends {
            assert!(
                !normal_dependencies(&krate).iter().any(|d| d == backend),
                "{krate} depends on {backend}"
            );
        }
        for file in sources(&entry.path().join("src")) {
            let text = std::fs::read_to_string(&file).expect("a source file");
            for name in named_crates(&text) {
                assert!(
                    !["cnr_clarabel", "cnr_goodlp"].contains(&name.as_str()),
                    "{} names {name}",
                    file.display()
                );
            }
        }
    }
    assert!(!binary_dependencies().iter().any(|d| backends.contains(&d.as_str())));
}

/// The cnr crates of the workspace, by folder name.
fn workspace_crates() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join("crates"))
        .expect("crates/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Whether a source file's code (its comments aside) names `std::fs` or opens a file by
/// another route that std offers.
fn touches_the_file_system(text: &str) -> bool {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .any(|code| ["std::fs", "fs::File", "OpenOptions"].iter().any(|n| code.contains(n)))
}

#[test]
fn only_cnr_fs_touches_the_file_system() {
    // Reading, writing, locking and removing files is `cnr-fs`'s: the code of every other crate,
    // the binary's and the Python package's (their `src/`; tests, examples and benchmarks may make
    // their own files) names no `std::fs`.
    let mut folders: Vec<std::path::PathBuf> = workspace_crates()
        .into_iter()
        .filter(|k| k != "cnr-fs")
        .map(|k| root().join("crates").join(k).join("src"))
        .collect();
    folders.push(root().join("src"));
    for file in folders.iter().flat_map(|f| sources(f)) {
        let text = std::fs::read_to_string(&file).expect("a source file");
        assert!(!touches_the_file_system(&text), "{} touches the file system", file.display());
    }
    // The atomic writer's temporary files come from `tempfile`, which only cnr-fs lists.
    for krate in workspace_crates().into_iter().filter(|k| k != "cnr-fs") {
        assert!(!normal_dependencies(&krate).iter().any(|d| d == "tempfile"), "{krate} depends on tempfile");
    }
    for file in sources(&root().join("python/src")) {
        let text = std::fs::read_to_string(&file).expect("a source file");
        assert!(!touches_the_file_system(&text), "{} touches the file system", file.display());
    }
    assert!(!normal_dependencies("cnr-fs").iter().any(|d| d.starts_with("cnr-") && d != "cnr-check"));
}

/// The public functions of a Rust file whose error type is a bare `String`, by name.
fn string_errors(text: &str) -> Vec<String> {
    text.match_indices("pub fn ")
        .filter_map(|(i, _)| {
            let signature: String = text[i..].chars().take_while(|&c| c != '{' && c != ';').collect();
            let flat: String = signature.split_whitespace().collect::<Vec<_>>().join(" ");
            flat.contains("Result<")
                .then_some(())
                .filter(|()| flat.trim_end().ends_with(", String>"))
                .map(|()| flat.chars().skip(7).take_while(|c| c.is_alphanumeric() || *c == '_').collect())
        })
        .collect()
}

#[test]
fn library_crates_return_typed_errors() {
    // A caller matches on what went wrong; a `String` says it only to a person.
    for krate in workspace_crates() {
        for file in sources(&root().join("crates").join(&krate).join("src")) {
            let text = std::fs::read_to_string(&file).expect("a source file");
            let found = string_errors(&text);
            assert!(found.is_empty(), "{} returns String errors from {found:?}", file.display());
        }
    }
    assert_eq!(string_errors("pub fn parse(\n    t: &str,\n) -> Result<u8, String> {"), ["parse"]);
    assert!(string_errors("pub fn parse(t: &str) -> Result<u8, ListError> {").is_empty());
}

#[test]
fn the_numerics_know_no_model() {
    let deps = normal_dependencies("cnr-numerics");
    assert!(deps.iter().all(|d| !d.starts_with("cnr-")), "cnr-numerics depends on {deps:?}");
}

#[test]
fn the_checks_above_can_fail() {
    // The helpers find what they look for, so that the assertions above are not empty.
    assert_eq!(
        named_crates("use cnr_lower::Plan;\nlet x = cnr_ir::Status::Optimal;"),
        ["cnr_ir", "cnr_lower"]
    );
    assert!(named_crates("let my_cnr_value = 1; // cnr_driver").is_empty());
    assert_eq!(
        section_names("[dependencies]\na = 1\n# b\n[dev-dependencies]\nc = 2\n", "[dependencies]"),
        ["a"]
    );
    assert!(binary_dependencies().contains(&"cnr-driver".to_string()));
    assert!(touches_the_file_system("let f = std::fs::read(p);"));
    assert!(!touches_the_file_system("// std::fs is cnr-fs's\nlet x = 1;"));
    assert!(workspace_crates().contains(&"cnr-fs".to_string()));
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
