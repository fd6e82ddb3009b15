//! Every model in `examples/` parses, checks, is in canonical form, round-trips through the
//! formatter, and lowers to a valid program whose printed form is a reviewed snapshot.

use crate::util::{models_in, root, stem, ExampleFiles};
use cnr_check::{check, Overrides};

fn source(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).expect("example is readable")
}

#[test]
fn there_are_examples_of_every_kind_the_issue_lists() {
    let names: Vec<String> = models_in("examples").iter().map(|p| stem(p)).collect();
    for wanted in [
        "paper_relu",
        "image_2d",
        "overlapping",
        "leaky_relu",
        "abs_spectral",
        "squared_relu",
        "softplus",
        "power3",
        "bent_max_affine",
        "noisy_l2",
        "two_filters_mean",
        "npy_data",
        "padded",
    ] {
        assert!(names.iter().any(|n| n == wanted), "missing example {wanted}; have {names:?}");
    }
}

#[test]
fn examples_are_canonical_and_round_trip_through_fmt() {
    for path in models_in("examples").into_iter().chain(models_in("examples/sweeps")) {
        let text = source(&path);
        let parsed = cnr_syntax::parse(&text).unwrap_or_else(|d| panic!("{path}: {}", d.message));
        let formatted = cnr_syntax::format(&parsed);
        assert_eq!(formatted, text, "{path} is not in canonical form");
        let reparsed = cnr_syntax::parse(&formatted).expect("formatted text parses");
        assert_eq!(reparsed, parsed, "{path}: parse(fmt(x)) differs from parse(x)");
        assert_eq!(cnr_syntax::format(&reparsed), formatted, "{path}: fmt is not idempotent");
    }
}

#[test]
fn fmt_keeps_comments_and_normalises_layout() {
    let messy = "# head\nmodel   m # name\nnetwork {input 8   # len\n conv kernel 4 stride 4\n\n\n activation bent(z)=max(0.1*z,z) output [1,2]\n # tail of block\n}\ndata planted{samples 3}\n# end\n";
    let parsed = cnr_syntax::parse(messy).expect("parses");
    let formatted = cnr_syntax::format(&parsed);
    insta::assert_snapshot!("fmt_messy", formatted);
    assert_eq!(cnr_syntax::parse(&formatted).expect("parses"), parsed);
    assert_eq!(cnr_syntax::format(&cnr_syntax::parse(&formatted).expect("parses")), formatted);
}

#[test]
fn examples_check_and_lower_to_valid_programs() {
    for path in models_in("examples") {
        let file = cnr_syntax::parse(&source(&path)).expect("parses");
        let model = check(&file, &stem(&path), &ExampleFiles, &Overrides::default())
            .unwrap_or_else(|d| panic!("{path}: {:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()));
        let program = cnr_lower::lower(&model);
        program.validate().unwrap_or_else(|e| panic!("{path}: {e}"));
        let back = cnr_ir::ConeProgram::from_json(&program.to_json()).expect("JSON reads back");
        assert_eq!(back, program, "{path}: JSON round trip");
    }
}

#[test]
fn lowered_programs_match_their_snapshots() {
    // Two samples keep each snapshot short enough to read line by line.
    let overrides = Overrides { samples: Some(2), ..Overrides::default() };
    for path in models_in("examples") {
        let file = cnr_syntax::parse(&source(&path)).expect("parses");
        let model = check(&file, &stem(&path), &ExampleFiles, &overrides).expect("checks");
        let program = cnr_lower::lower(&model);
        insta::with_settings!({snapshot_suffix => stem(&path), prepend_module_to_snapshot => false, omit_expression => true, description => path.clone()}, {
            insta::assert_snapshot!("ir", program.to_string());
        });
    }
}

#[test]
fn the_plan_counts_what_lowering_builds() {
    // `cnr check` prints the plan's counts without building the program: they must be the program's.
    for path in models_in("examples") {
        for samples in [None, Some(3)] {
            let compiled = crate::util::compile_example(&path, samples);
            let program = cnr_lower::lower(&compiled.model);
            let plan = &compiled.plan;
            let what = format!("{path} at {samples:?} samples");
            assert_eq!(
                (plan.variables, plan.rows, plan.nonzeros),
                (program.n, program.m(), program.a.nnz()),
                "{what}"
            );
            let expanded: Vec<cnr_ir::Cone> =
                plan.cones.iter().flat_map(|&(c, count)| std::iter::repeat_n(c, count)).collect();
            assert_eq!(expanded, program.cones, "{what}: cones");
        }
    }
}

#[test]
fn the_docs_table_has_a_row_for_every_atom_that_agrees_with_the_atom_table() {
    let docs =
        std::fs::read_to_string(crate::util::root().join("docs/language.md")).expect("docs/language.md");
    for spec in cnr_check::activation::ATOMS {
        let (written, range, p) = match &spec.param {
            Some(param) => (format!("{}({})", spec.name, param.symbol), param.range, spec.test_params[0]),
            None => (spec.name.to_string(), "—", 0.0),
        };
        let class = (spec.cone_class)(p).as_str();
        let even = if spec.monotonicity == cnr_check::activation::Monotonicity::SignDependent {
            "yes"
        } else {
            "no"
        };
        let row = format!("| `{written}` | {} | {range} | {class} | {even} |", spec.formula);
        assert!(docs.contains(&row), "docs/language.md has no row starting `{row}`");
    }
}

#[test]
fn the_sweep_examples_check_in_every_cell_of_their_grid() {
    // Their grids are the figures of docs/figures/; each cell must compile, which `cnr sweep`
    // checks before running a trial. A one-trial sweep of one ratio compiles them all.
    for path in models_in("examples/sweeps") {
        let dir = tempfile::tempdir().expect("a folder");
        let out = dir.path().to_str().expect("UTF-8");
        let run = crate::util::cnr(&[
            "sweep",
            &path,
            "--out",
            out,
            "--ratio",
            "0.5",
            "--trials",
            "1",
            "--baseline",
            "none",
        ]);
        assert!(run.status.success(), "{path}: {}", crate::util::text(&run.stderr));
    }
}

#[test]
fn every_cnr_block_of_the_docs_parses() {
    let mut docs: Vec<std::path::PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.push(root().join("README.md"));
    let mut blocks = 0;
    for doc in docs {
        let text = std::fs::read_to_string(&doc).expect("a document");
        for block in text.split("```cnr\n").skip(1) {
            let code = block.split("```").next().expect("a closed block");
            blocks += 1;
            if let Err(d) = cnr_syntax::parse(code) {
                panic!("{}: a `cnr` block does not parse: {}\n{code}", doc.display(), d.message);
            }
        }
    }
    assert!(blocks > 10, "only {blocks} blocks found");
}
