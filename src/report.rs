//! What `cnr check` and `cnr solve` print: the model summary, and the solve report with the checks
//! computed from the model itself (never taken from the solver).

use cnr_check::{Anchor, DataSource, Model, Norm};
use cnr_ir::{ConeProgram, Solution};
use serde_json::{json, Value};
use std::fmt::Write;

/// A report in both forms.
pub struct Report {
    /// For people.
    pub human: String,
    /// For scripts (`--json`).
    pub json: Value,
}

/// Groups digits in thousands: `1234567` → `1,234,567`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (k, c) in s.chars().enumerate() {
        if k > 0 && (s.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The cones of a program as compressed runs: `nonneg 3264, soc 3 × 12`.
fn cone_runs(program: &ConeProgram) -> String {
    let mut runs: Vec<(String, usize)> = Vec::new();
    for c in &program.cones {
        let label = match c {
            cnr_ir::Cone::Zero(d) => format!("zero {d}"),
            cnr_ir::Cone::Nonneg(d) => format!("nonneg {d}"),
            cnr_ir::Cone::SecondOrder(d) => format!("soc {d}"),
            cnr_ir::Cone::Exp => "exp".to_string(),
            cnr_ir::Cone::Power(a) => format!("pow({a:.6})"),
        };
        match runs.last_mut() {
            Some((l, count)) if *l == label => *count += 1,
            _ => runs.push((label, 1)),
        }
    }
    let parts: Vec<String> =
        runs.into_iter().map(|(l, c)| if c == 1 { l } else { format!("{l} × {}", thousands(c)) }).collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn anchor_name(model: &Model) -> String {
    let name = match model.relax.anchor {
        Anchor::Data => "data",
        Anchor::Spectral => "spectral",
        Anchor::Planted => "planted",
        Anchor::Vector(_) => "given vector",
    };
    if model.relax.anchor_auto {
        format!("{name} (auto)")
    } else {
        name.to_string()
    }
}

fn norm_name(n: Norm) -> &'static str {
    match n {
        Norm::L1 => "l1",
        Norm::L2 => "l2",
        Norm::Linf => "linf",
    }
}

/// The summary `cnr check` prints for one model.
pub fn summary(path: &str, model: &Model, program: &ConeProgram) -> String {
    let net = &model.network;
    let mut s = String::new();
    let _ = writeln!(s, "{} ({path})", model.name);
    let channels =
        if net.channels == 1 { "1 channel".to_string() } else { format!("{} channels", net.channels) };
    let _ = writeln!(s, "  input        {} ({channels})", net.input_shape());
    let (kernel, stride, padding) = if net.height == 1 && net.kernel.0 == 1 {
        (net.kernel.1.to_string(), net.stride.1.to_string(), net.padding.1.to_string())
    } else {
        (
            format!("{} x {}", net.kernel.0, net.kernel.1),
            format!("{} x {}", net.stride.0, net.stride.1),
            format!("{} x {}", net.padding.0, net.padding.1),
        )
    };
    let _ =
        writeln!(s, "  filter size  d = {}  (kernel {kernel}, stride {stride}, padding {padding})", net.d());
    let (rows, cols) = net.patch_grid();
    let grid = if net.height == 1 { String::new() } else { format!("  ({rows} x {cols})") };
    let _ = writeln!(s, "  patches      K = {}{grid}", net.patches());
    let _ = writeln!(
        s,
        "  filters      M = {}{}",
        net.filters,
        if net.bias { ", with bias" } else { ", no bias" }
    );
    let source = match &model.data.source {
        DataSource::Planted { seed, noise } => format!("planted, seed {seed}, noise {noise}"),
        DataSource::Files => "from files".to_string(),
    };
    let _ = writeln!(s, "  samples      n = {}  ({source})", model.data.n);
    let even = if model.activation.is_even() { ", even" } else { "" };
    let _ = writeln!(
        s,
        "  activation   {}  [{}{even}]",
        model.activation.name,
        model.activation.cone_class().as_str()
    );
    let (lo, hi) =
        model.output.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &u| (a.min(u), b.max(u)));
    let range = if lo == hi { format!("all {lo}") } else { format!("in [{lo:.4}, {hi:.4}]") };
    let _ = writeln!(s, "  output       {} weights, {range}", model.output.len());
    let mut relax = format!("anchor {}", anchor_name(model));
    if let Some((n, w)) = model.relax.penalty {
        let _ = write!(relax, ", penalty {} {w}", norm_name(n));
    }
    if let Some((n, r)) = model.relax.bound {
        let _ = write!(relax, ", bound {} {r}", norm_name(n));
    }
    let _ = writeln!(s, "  relaxation   {relax}");
    let _ = writeln!(
        s,
        "  program      {} variables, {} rows, {} non-zeros",
        thousands(program.n),
        thousands(program.m()),
        thousands(program.a.nnz())
    );
    let _ = writeln!(s, "  cones        {}", cone_runs(program));
    s
}

/// Abbreviates a long vector: the first and last three entries.
fn abbreviate(v: &[f64]) -> String {
    let fmt = |x: &f64| format!("{x:.6}");
    if v.len() <= 8 {
        format!("[{}]", v.iter().map(fmt).collect::<Vec<_>>().join(", "))
    } else {
        let head: Vec<String> = v[..3].iter().map(fmt).collect();
        let tail: Vec<String> = v[v.len() - 3..].iter().map(fmt).collect();
        format!("[{}, …, {}]  ({} entries)", head.join(", "), tail.join(", "), v.len())
    }
}

fn sci(x: f64) -> String {
    format!("{x:.3e}")
}

/// The report of a model's solve.
pub fn model_report(
    model: &Model,
    program: &ConeProgram,
    solution: &Solution,
    backend: &str,
    compile_seconds: f64,
) -> Report {
    let has_point = matches!(
        solution.status,
        cnr_ir::Status::Optimal
            | cnr_ir::Status::Inaccurate
            | cnr_ir::Status::IterationLimit
            | cnr_ir::Status::TimeLimit
    ) && solution.x.len() == program.n;
    let objective = program.user_objective(solution.objective);
    let (w, b) = if has_point { cnr_lower::filters(program, &solution.x) } else { (Vec::new(), Vec::new()) };
    let checks = has_point.then(|| model.evaluate(&w, &b));
    let cone_check = has_point.then(|| program.check_point(&solution.x));
    let d = model.network.d();

    let mut h = String::new();
    let _ = writeln!(h, "{}: {} ({backend})", model.name, solution.status.as_str());
    if !solution.status.is_optimal() {
        let _ = writeln!(h, "  {}", status_message(solution.status));
    }
    let _ = writeln!(
        h,
        "  objective       {}",
        if has_point { format!("{objective:.9}") } else { "none".into() }
    );
    if has_point {
        for m in 0..model.network.filters {
            let label = if model.network.filters == 1 { "w".to_string() } else { format!("w[{m}]") };
            let _ = writeln!(h, "  {label:<15} {}", abbreviate(&w[m * d..(m + 1) * d]));
        }
        if !b.is_empty() {
            let _ = writeln!(h, "  b               {}", abbreviate(&b));
        }
    }
    if let Some(c) = &checks {
        let _ = writeln!(
            h,
            "  max violation   {}   (max_i f(x_i; w) − y_i, from the model)",
            sci(c.max_violation)
        );
        let _ =
            writeln!(h, "  training loss   {}   (mean squared error on the samples)", sci(c.training_loss));
        match c.recovery_error {
            Some(e) => {
                let sign = if model.activation.is_even() { ", up to sign" } else { "" };
                let _ = writeln!(h, "  recovery error  {}   (‖w − w*‖ / ‖w*‖{sign})", sci(e));
            }
            None => {
                let _ = writeln!(h, "  recovery error  unknown (no planted filter)");
            }
        }
    }
    footer(&mut h, program, solution, cone_check.as_ref(), ("compile", compile_seconds));

    let w_json = if model.network.filters == 1 {
        json!(w)
    } else {
        json!(w.chunks(d.max(1)).map(|c| c.to_vec()).collect::<Vec<_>>())
    };
    let finite = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
    let mut j = json!({
        "model": model.name,
        "backend": backend,
        "status": solution.status.as_str(),
        "objective": if has_point { finite(objective) } else { Value::Null },
        "w": if has_point { w_json } else { Value::Null },
        "compile_seconds": compile_seconds,
        "solve_seconds": solution.solve_seconds,
        "iterations": solution.iterations,
        "max_violation": checks.as_ref().map_or(Value::Null, |c| finite(c.max_violation)),
        "training_loss": checks.as_ref().map_or(Value::Null, |c| finite(c.training_loss)),
        "cone_residual": cone_check.as_ref().map_or(Value::Null, |c| finite(c.distance)),
        "samples": model.data.n,
        "d": d,
        "patches": model.network.patches(),
        "filters": model.network.filters,
        "variables": program.n,
        "rows": program.m(),
        "nonzeros": program.a.nnz(),
    });
    if let Some(e) = checks.as_ref().and_then(|c| c.recovery_error) {
        j["recovery_error"] = finite(e);
    }
    if !b.is_empty() {
        j["b"] = json!(b);
    }
    Report { human: h, json: j }
}

/// The last lines of a solve report: cnr's own cone check, the size, and the times (the first
/// being lowering for a model or reading for a CBF file).
fn footer(
    h: &mut String,
    program: &ConeProgram,
    solution: &Solution,
    check: Option<&cnr_ir::PointCheck>,
    (stage, seconds): (&str, f64),
) {
    if let Some(c) = check {
        let _ = writeln!(
            h,
            "  cone residual   {}   (distance of b − Ax to the cones, checked by cnr)",
            sci(c.distance)
        );
    }
    let _ = writeln!(
        h,
        "  size            {} variables, {} rows, {} non-zeros",
        thousands(program.n),
        thousands(program.m()),
        thousands(program.a.nnz())
    );
    let _ = writeln!(
        h,
        "  time            {stage} {seconds:.3} s, solve {:.3} s, {} iterations",
        solution.solve_seconds, solution.iterations
    );
}

/// What a status means, for people.
pub fn status_message(status: cnr_ir::Status) -> &'static str {
    use cnr_ir::Status::*;
    match status {
        Optimal => "solved to the requested tolerance",
        Infeasible => "the constraints admit no point: check the labels (e.g. negative labels with a non-negative activation) or add a penalty",
        Unbounded => "the objective grows without bound: too few samples to pin w down; add samples or a `bound` in `relax`",
        IterationLimit => "the iteration limit was reached; raise `max_iter` in `solver`",
        TimeLimit => "the time limit was reached; raise `time_limit` in `solver`",
        Inaccurate => "the solver stopped close to, but not within, the tolerance; the point shown is approximate",
        NumericalError => "the solver failed for numerical reasons; try rescaling the data or another backend",
    }
}

/// The report of a CBF program's solve.
pub fn program_report(program: &ConeProgram, solution: &Solution, read_seconds: f64) -> Report {
    let has_point = matches!(solution.status, cnr_ir::Status::Optimal | cnr_ir::Status::Inaccurate)
        && solution.x.len() == program.n;
    let objective = program.user_objective(solution.objective);
    let check = has_point.then(|| program.check_point(&solution.x));
    let mut h = String::new();
    let _ = writeln!(h, "{}: {}", program.name, solution.status.as_str());
    if !solution.status.is_optimal() {
        let _ = writeln!(h, "  {}", status_message(solution.status));
    }
    if has_point {
        let _ = writeln!(h, "  objective       {objective:.9}");
        let _ = writeln!(h, "  x               {}", abbreviate(&solution.x));
    }
    footer(&mut h, program, solution, check.as_ref(), ("read", read_seconds));
    let finite = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
    let j = json!({
        "program": program.name,
        "status": solution.status.as_str(),
        "objective": if has_point { finite(objective) } else { Value::Null },
        "x": if has_point { json!(solution.x) } else { Value::Null },
        "cone_residual": check.as_ref().map_or(Value::Null, |c| finite(c.distance)),
        "read_seconds": read_seconds,
        "solve_seconds": solution.solve_seconds,
        "iterations": solution.iterations,
    });
    Report { human: h, json: j }
}
