//! Parameters: `param NAME = VALUE`, arithmetic wherever a statement takes a number, `--param`,
//! errors at the place a value is used, and `fmt` keeping what was written.

use crate::util::{cnr, text};
use cnr_driver::{Request, Setting};

const MODEL: &str = "\
param d = 4
param K = 3
param a = 0.25
param lam = 2*a
model with_params
network {
  input K*d
  conv kernel d stride d/2 filters K-1
  activation leaky_relu(a)
  output 1/K
}
data planted { samples 5*d seed 3 noise a/10 }
relax { anchor planted  penalty l2 lam  bound l2 10*d }
solver { tolerance 1e-7  max_iter 20*d }
";

fn compiled(text: &str, settings: &[Setting]) -> Result<cnr_driver::Compiled, Vec<String>> {
    let request = Request { settings: settings.to_vec(), ..Request::new(text, "m") };
    cnr_driver::compile(&request).map_err(|e| match e {
        cnr_driver::Error::Model(errors) => {
            errors.diagnostics.iter().map(|d| format!("{} | {}", d.message, d.hints.join(" | "))).collect()
        }
        other => panic!("not a model error: {other}"),
    })
}

fn param(name: &str, value: &str) -> Setting {
    Setting::Param { name: name.into(), value: value.into() }
}

#[test]
fn arithmetic_over_parameters_gives_every_value() {
    let c = compiled(MODEL, &[]).expect("the model checks");
    let m = &c.model;
    assert_eq!(m.network.input_len(), 12);
    assert_eq!(m.network.d(), 4);
    assert_eq!(m.network.patches(), 5, "kernel 4, stride 2 on 12 entries");
    assert_eq!(m.network.filters, 2);
    assert_eq!(m.data.n, 20);
    assert!(m.output.iter().all(|&u| (u - 1.0 / 3.0).abs() < 1e-15));
    assert_eq!(m.activation.name, "leaky_relu(0.25)");
    assert_eq!(m.solver.max_iter, 80);
    let names: Vec<(&str, f64)> = m.params.iter().map(|p| (p.name.as_str(), p.value)).collect();
    assert_eq!(names, [("d", 4.0), ("K", 3.0), ("a", 0.25), ("lam", 0.5)]);
}

#[test]
fn a_parameter_override_changes_every_use_and_the_parameters_after_it() {
    let c = compiled(MODEL, &[param("d", "6"), param("a", "0.5")]).expect("the model checks");
    let m = &c.model;
    assert_eq!((m.network.input_len(), m.network.d(), m.data.n), (18, 6, 30));
    assert_eq!(m.activation.name, "leaky_relu(0.5)");
    let lam = m.params.iter().find(|p| p.name == "lam").expect("lam");
    assert_eq!(lam.value, 1.0, "lam = 2*a follows the override of a");
    // An override may itself be arithmetic over the parameters declared before it.
    let c = compiled(MODEL, &[param("K", "d+1")]).expect("the model checks");
    assert_eq!(c.model.network.input_len(), 20);
}

#[test]
fn overriding_an_unknown_parameter_is_an_error_that_names_the_flag() {
    let errors = compiled(MODEL, &[param("dd", "8")]).expect_err("no parameter dd");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("the model has no parameter `dd`"), "{errors:?}");
    assert!(errors[0].contains("did you mean `d`?"), "{errors:?}");
    assert!(errors[0].contains("`--param dd=8`"), "{errors:?}");
}

#[test]
fn an_error_about_a_computed_value_names_the_parameters_and_their_values() {
    let errors = compiled(MODEL, &[param("d", "5")]).expect_err("stride 5/2");
    assert!(errors.iter().any(|e| e.contains("the stride must be a whole number") && e.contains("d/2 (= 2.5, with d = 5)")), "{errors:?}");
    let errors = compiled(MODEL, &[param("a", "2")]).expect_err("slope 2");
    assert!(
        errors.iter().any(|e| e.contains("leaky_relu")
            && e.contains("here a = 2")
            && e.contains("`a` is set by `--param a=2`")),
        "{errors:?}"
    );
}

#[test]
fn an_unused_parameter_is_a_warning() {
    let c = compiled(&format!("param spare = 1\n{MODEL}"), &[]).expect("legal");
    let warnings: Vec<&str> = c.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(warnings, ["the parameter `spare` is never used"]);
    assert!(compiled(MODEL, &[]).expect("legal").warnings.is_empty());
}

#[test]
fn a_user_activation_may_use_parameters() {
    let text = "param s = 0.5\nnetwork { input 8 conv kernel 4 stride 4 activation f(z) = max(s*z, z) }\ndata planted { samples 6 seed 1 }\n";
    let c = compiled(text, &[]).expect("legal");
    let leaky = compiled(&text.replace("f(z) = max(s*z, z)", "leaky_relu(0.5)"), &[]).expect("legal");
    let x = [-2.0, -0.5, 0.0, 1.5];
    let f: Vec<f64> = x.iter().map(|&z| c.model.activation.eval(z)).collect();
    let g: Vec<f64> = x.iter().map(|&z| leaky.model.activation.eval(z)).collect();
    assert_eq!(f, g);
}

#[test]
fn fmt_keeps_parameters_and_expressions_as_written() {
    let file = cnr_syntax::parse(MODEL).expect("parses");
    let formatted = cnr_syntax::format(&file);
    for written in [
        "param lam = 2*a",
        "input K*d",
        "kernel d stride d/2 filters K - 1",
        "output 1/K",
        "samples 5*d",
        "noise a/10",
        "max_iter 20*d",
    ] {
        assert!(formatted.contains(written), "`{written}` is kept:\n{formatted}");
    }
    assert_eq!(cnr_syntax::parse(&formatted).expect("parses again"), file);
    assert_eq!(cnr_syntax::format(&cnr_syntax::parse(&formatted).expect("parses")), formatted, "idempotent");
}

#[test]
fn the_command_line_takes_param_on_check_compile_and_solve() {
    let model = "examples/params_relu.cnr";
    let out = cnr(&["check", model, "--param", "d=8"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("filter size  d = 8"), "{}", text(&out.stdout));
    let out = cnr(&["compile", model, "--param", "d=8", "--param", "ratio=2", "--emit", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = cnr(&["solve", model, "--param", "d=8", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = cnr(&["check", model, "--param", "d=-3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--param d=-3"), "{}", text(&out.stderr));
    let out = cnr(&["check", model, "--param", "d"]);
    assert_eq!(out.status.code(), Some(2), "a flag without `=` is a usage error");
}
