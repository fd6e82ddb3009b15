//! What `cnr check` and `cnr solve` print: the model summary, and the solve report with the checks
//! computed from the model itself (never taken from the solver).

use cnr_driver::{Cone, DataSource, Method, Model, Plan, ProgramRecord, SolveRecord, Status, TrainRecord};
use std::fmt::Write;

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
fn cone_runs(runs: &[(Cone, usize)]) -> String {
    let parts: Vec<String> = runs
        .iter()
        .map(|&(c, count)| {
            let label = match c {
                Cone::Zero(d) => format!("zero {d}"),
                Cone::Nonneg(d) => format!("nonneg {d}"),
                Cone::SecondOrder(d) => format!("soc {d}"),
                Cone::Exp => "exp".to_string(),
                Cone::Power(a) => format!("pow({a:.6})"),
            };
            if count == 1 {
                label
            } else {
                format!("{label} × {}", thousands(count))
            }
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// The summary `cnr check` prints for one model; a user-defined activation is shown by its
/// `definition` when one is given.
pub fn summary(path: &str, model: &Model, plan: &Plan, definition: Option<&str>) -> String {
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
        DataSource::Arrays => "given as arrays".to_string(),
    };
    let shuffled = model.data.shuffled.map_or(String::new(), |seed| format!(", shuffled with seed {seed}"));
    let test = model.data.test.as_ref().map_or(String::new(), |t| format!("; a test set of {}", t.n));
    let _ = writeln!(s, "  samples      n = {}  ({source}{shuffled}){test}", model.data.n);
    let even = if model.activation.is_even() { ", even" } else { "" };
    let _ = writeln!(
        s,
        "  activation   {}  [{}{even}]",
        definition.unwrap_or(&model.activation.name),
        model.activation.cone_class().as_str()
    );
    let (lo, hi) =
        model.output.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &u| (a.min(u), b.max(u)));
    let range = if lo == hi { format!("all {lo}") } else { format!("in [{lo:.4}, {hi:.4}]") };
    let offset = if net.offset { ", plus a learned offset c" } else { "" };
    if let Some(learn) = &model.learn {
        let _ = writeln!(s, "  output       learned{offset}");
        let arrangements = match learn.arrangements {
            cnr_driver::LearnedArrangements::Sampled { count, seed, planted } => {
                let teacher = if planted { ", after the planted teacher's" } else { "" };
                format!("{count} sampled, seed {seed}{teacher}")
            }
            cnr_driver::LearnedArrangements::Generated { count, seed } => {
                format!("up to {count} generated from the dual, seed {seed}")
            }
            cnr_driver::LearnedArrangements::All => "all".to_string(),
        };
        let _ = writeln!(
            s,
            "  learned      form {}, weight decay {}, arrangements {arrangements}",
            learn.form.name(),
            learn.weight_decay
        );
    } else {
        let _ = writeln!(s, "  output       {} weights, {range}{offset}", model.output.len());
        let mut relax = format!("anchor {}", model.relax.anchor_name());
        if let Some((n, w)) = model.relax.penalty {
            let _ = write!(relax, ", penalty {} {w}", n.name());
        }
        if let Some((n, r)) = model.relax.bound {
            let _ = write!(relax, ", bound {} {r}", n.name());
        }
        let _ = writeln!(s, "  relaxation   {relax}");
    }
    let _ = writeln!(
        s,
        "  program      {} variables, {} rows, {} non-zeros",
        thousands(plan.variables),
        thousands(plan.rows),
        thousands(plan.nonzeros)
    );
    let _ = writeln!(s, "  cones        {}", cone_runs(&plan.cones));
    s
}

/// The lines of the filters `w` (`w`, or `w[m]` for several), each name followed by `note`.
fn filters(h: &mut String, w: &cnr_driver::Filters, note: &str) {
    match w.0.as_slice() {
        [one] => {
            let _ = writeln!(h, "  {:<15} {}", format!("w{note}"), abbreviate(one));
        }
        all => {
            for (m, one) in all.iter().enumerate() {
                let _ = writeln!(h, "  {:<15} {}", format!("w[{m}]{note}"), abbreviate(one));
            }
        }
    }
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

/// A number with nine decimals, without the sign of a value that rounds to zero (`-0.000000000`).
fn fixed9(x: f64) -> String {
    let s = format!("{x:.9}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn sci(x: f64) -> String {
    format!("{x:.3e}")
}

/// A figure of the model, which is absent when it is not a finite number.
pub fn figure(x: Option<f64>) -> String {
    x.map_or_else(|| "not a number".to_string(), sci)
}

/// The report of a training of learned output weights, for people.
pub fn train_report(r: &TrainRecord) -> String {
    let mut h = String::new();
    let _ = writeln!(h, "{}: {} ({}, {} form) — {}", r.model, r.status.as_str(), r.backend, r.form, r.proven);
    if !r.status.is_optimal() {
        let _ = writeln!(h, "  {}", status_message(r.status));
    }
    let a = &r.arrangements;
    let drawn = if a.source == "all" {
        "every pattern of the data".to_string()
    } else {
        format!("{} filters drawn, seed {}", a.drawn, a.seed.unwrap_or(0))
    };
    let _ = writeln!(h, "  arrangements    {} distinct patterns ({drawn})", a.patterns);
    let _ = writeln!(h, "  objective       {}   (the program's)", r.objective.map_or("none".into(), fixed9));
    if let Some(g) = &r.generation {
        let proof = match g.largest_price_left_out {
            Some(p) => format!("; over every pattern left out {}", fixed9(p)),
            None => String::new(),
        };
        let _ = writeln!(
            h,
            "  generated       {} rounds, {} patterns sampled then {} generated; largest price found {} (β = {}){proof}",
            g.rounds,
            g.sampled,
            a.patterns - g.sampled,
            fixed9(g.largest_price),
            r.weight_decay
        );
    }
    if let Some(cuts) = &r.sign_cuts {
        let _ = writeln!(
            h,
            "  cutting planes  {} rounds; the last program held {} of the {} sign rows",
            cuts.rounds, cuts.sign_rows, cuts.of
        );
    }
    if let Some(net) = &r.network {
        let _ = writeln!(
            h,
            "  network         {} neurons, {} of them with α² ≥ 1e-4 of the largest; offset {}",
            net.neurons.len(),
            r.significant_neurons.unwrap_or(0),
            fixed9(net.offset)
        );
        let mut order: Vec<&cnr_driver::Neuron> = net.neurons.iter().collect();
        order.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
        for (j, neuron) in order.into_iter().enumerate().take(6) {
            let bias =
                if neuron.bias != 0.0 { format!(", b {}", fixed9(neuron.bias)) } else { String::new() };
            let _ =
                writeln!(h, "    α {:>12}{bias}  u {}", fixed9(neuron.weight), abbreviate(&neuron.filter));
            if j == 5 && net.neurons.len() > 6 {
                let _ = writeln!(h, "    … {} more (--json, or -o FILE.json)", net.neurons.len() - 6);
            }
        }
        let _ = writeln!(
            h,
            "  network objective {}   (½‖f − y‖² + β/2 Σ (‖u‖² + b² + α²), from the network)",
            figure(r.network_objective)
        );
        let _ = writeln!(
            h,
            "  equivalence     {}   (|½‖f − y‖² of the network − the program's data term| / data term)",
            figure(r.equivalence)
        );
        if let Some(v) = r.sign_violation {
            let _ = writeln!(h, "  sign violation  {}   (largest, over max |y|)", sci(v));
        }
        let _ = writeln!(h, "  gap             {}   (relative duality gap of the last call)", figure(r.gap));
        let _ = writeln!(
            h,
            "  training loss   {}   (mean squared error on the samples, from the network)",
            figure(r.training_loss)
        );
        if let Some(e) = r.recovery_error {
            let _ =
                writeln!(h, "  recovery error  {}   (to the planted teacher, up to order and scale)", sci(e));
        }
        if let Some(t) = r.test_loss {
            let _ =
                writeln!(h, "  test loss       {}   (mean squared error on the held-out test set)", sci(t));
        }
    }
    let _ = writeln!(
        h,
        "  program         {} variables, {} rows, {} non-zeros; {:.3} s in the backend, {:.3} s in all",
        thousands(r.variables),
        thousands(r.rows),
        thousands(r.nonzeros),
        r.timings.solving_seconds,
        r.timings.wall_seconds
    );
    h
}

/// The report of a model's solve, for people.
pub fn model_report(model: &Model, r: &SolveRecord) -> String {
    let mut h = String::new();
    let _ = writeln!(h, "{}: {} ({}, {})", r.model, r.status.as_str(), r.backend, r.method.as_str());
    if !r.status.is_optimal() {
        let _ = writeln!(h, "  {}", status_message(r.status));
    }
    if let (Status::Unbounded, Some(penalty)) = (r.status, &r.run.penalty) {
        // With a penalty, more samples do not help: the slack is what grows.
        let raise = match r.penalty_threshold {
            Some(t) => format!("raise λ above {} (computed: the smallest λ that bounds it)", sci(t)),
            None => "raise λ".to_string(),
        };
        let _ = writeln!(
            h,
            "  with `penalty {penalty}`, a sample's slack costs λ and some direction of the filters gains more: \
             {raise}, or add a `bound` (docs/relaxation.md, \"The penalty's weight\")"
        );
    }
    let _ = writeln!(h, "  objective       {}", r.objective.map_or("none".into(), fixed9));
    if let Some(w) = &r.w {
        filters(&mut h, w, "");
    }
    if let Some(b) = &r.b {
        let _ = writeln!(h, "  b               {}", abbreviate(b));
    }
    if let Some(c) = r.offset {
        let _ = writeln!(h, "  offset c        {}", fixed9(c));
    }
    if let (Some(v), Some(l)) = (r.max_violation, r.training_loss) {
        let relative =
            r.relative_violation.map_or(String::new(), |x| format!(", {} of its sample's scale", sci(x)));
        let _ =
            writeln!(h, "  max violation   {}   (max_i f(x_i; w) − y_i{relative}, from the model)", sci(v));
        let _ = writeln!(h, "  training loss   {}   (mean squared error on the samples)", sci(l));
        if let Some(t) = r.test_loss {
            let _ =
                writeln!(h, "  test loss       {}   (mean squared error on the held-out test set)", sci(t));
        }
        let up_to = if r.symmetries.is_empty() {
            String::new()
        } else {
            format!(", up to {}", r.symmetries.join(" and "))
        };
        match (r.recovery_error, r.recovery_distance) {
            (Some(e), _) => {
                let _ = writeln!(h, "  recovery error  {}   (‖w − w*‖ / ‖w*‖{up_to})", sci(e));
            }
            (None, Some(d)) => {
                let _ = writeln!(
                    h,
                    "  recovery error  undefined: the planted filter is zero; ‖w − w*‖ = {}{up_to}",
                    sci(d)
                );
            }
            (None, None) if model.data.planted.is_some() => {
                let _ = writeln!(h, "  recovery error  not a number");
            }
            (None, None) => {
                let _ = writeln!(h, "  recovery error  unknown (no planted filter)");
            }
        }
    }
    if !r.zero_filters.is_empty() {
        let names: Vec<String> = r.zero_filters.iter().map(|m| format!("w[{m}]")).collect();
        let _ = writeln!(
            h,
            "  zero filters    {} came back zero: the relaxation's optimum leaves {} out of the network; \
             try `restarts 20` in `relax` (the best of 20 anchors), or `anchor planted` in an experiment",
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" }
        );
    }
    if let Some(g) = &r.refined {
        let mut line = format!("training loss {}", figure(g.training_loss));
        if let Some(t) = g.test_loss {
            let _ = write!(line, ", test loss {}", sci(t));
        }
        if let Some(e) = g.recovery_error {
            let _ = write!(line, ", recovery error {}", sci(e));
        }
        let stop = if g.converged { "stationary" } else { "the step budget" };
        let _ = writeln!(h, "  refined by gd   {line}   ({} steps to {stop})", g.iterations);
        filters(&mut h, &g.w, " (refined)");
        if let Some(b) = &g.b {
            let _ = writeln!(h, "  b (refined)     {}", abbreviate(b));
        }
        if let Some(c) = g.offset {
            let _ = writeln!(h, "  c (refined)     {}", fixed9(c));
        }
    }
    if let Some(cp) = &r.cutting_plane {
        let mut line = format!(
            "{} {}, {} of {} samples",
            cp.rounds,
            if cp.rounds == 1 { "round" } else { "rounds" },
            thousands(cp.subset_size),
            thousands(r.samples)
        );
        if r.status != Status::Infeasible {
            let outside = if cp.max_violation_outside.is_finite() {
                sci(cp.max_violation_outside)
            } else {
                "none".into()
            };
            let active = if cp.box_active { "active" } else { "inactive" };
            let _ = write!(
                line,
                ", box {active} (radius {}), largest violation outside {outside}",
                sci(cp.box_radius)
            );
        }
        let _ = writeln!(h, "  cutting planes  {line}");
        let verdict = match (&cp.fallback, cp.certified) {
            (Some(why), _) => format!("not certified: {why}"),
            (None, true) if r.status == Status::Infeasible => {
                "the subset's samples alone admit no point, so all samples admit none".to_string()
            }
            (None, true) => "certified optimal for all samples".to_string(),
            (None, false) => "not certified".to_string(),
        };
        let _ = writeln!(h, "                  {verdict}");
    }
    if let Some(restarts) = &r.restarts {
        let kept = &restarts.runs[restarts.kept];
        let _ = writeln!(
            h,
            "  solves          {} (restarts and refinements); kept no. {} (`{}`), the lowest training loss",
            restarts.runs.len(),
            restarts.kept + 1,
            kept.anchor
        );
    }
    if let Some(ws) = &r.wspace {
        let _ = writeln!(
            h,
            "  w-space         {} {}, {} cuts, {} simplex steps, box {} (radius {}{}), relative violation {}",
            ws.rounds,
            if ws.rounds == 1 { "round" } else { "rounds" },
            thousands(ws.cuts),
            thousands(ws.steps),
            if ws.box_active { "active" } else { "inactive" },
            sci(ws.box_radius),
            if ws.on_box { "; the point lies on it: the optimum is not unique" } else { "" },
            sci(ws.relative_violation)
        );
        let verdict = match (&ws.fallback, ws.certified) {
            (Some(why), _) => format!("not certified: {why}"),
            (None, true) => format!(
                "certified optimal for all samples (multipliers reproduce the anchor to {}){}",
                sci(ws.dual_residual),
                ws.shrunk.map_or(String::new(), |t| format!(
                    "; the cuts stalled within rounding of samples tight at the origin, and the \
                     point is the vertex times {t:.3e}, which every sample holds, within the \
                     tolerance of the vertex's objective bound"
                ))
            ),
            (None, false) => "not certified".to_string(),
        };
        let _ = writeln!(h, "                  {verdict}");
    }
    retried(&mut h, &r.attempts, ("a sample", "of its own scale"));
    footer(
        &mut h,
        r.cone_residual,
        (r.variables, r.rows, r.nonzeros),
        ("compile", r.compile_seconds),
        r.solve_seconds,
        (r.iterations, r.backend),
    );
    if matches!(r.method, Method::CuttingPlane | Method::WSpace) {
        let t = &r.timings;
        let _ = writeln!(
            h,
            "  phases          data {:.3} s, anchor {:.3} s, lowering {:.3} s, solving {:.3} s, checking {:.3} s",
            t.data_seconds, t.anchor_seconds, t.lowering_seconds, t.solving_seconds, t.checking_seconds
        );
    }
    h
}

/// The line that says which solver calls cnr did not accept, when there were more calls than
/// programs.
/// The calls of a backend that cnr did not accept; `(what, scale)` say what the relative violation
/// measures: a model's samples each against its own scale, or a program's rows against their scale.
fn retried(h: &mut String, attempts: &[cnr_driver::Attempt], (what, scale): (&str, &str)) {
    let programs = attempts.last().map_or(0, |a| a.program as usize);
    if attempts.len() > programs {
        let failed: Vec<String> = attempts
            .iter()
            .filter(|a| a.status != Status::Optimal)
            .map(|a| match (a.solver_status, a.relative_violation, a.dual_residual) {
                (Status::Optimal, Some(v), r) => format!(
                    "optimal by the solver, but {what} off by {} {scale} and a dual residual of {} of the objective",
                    sci(v),
                    r.map_or("?".into(), sci)
                ),
                (Status::Infeasible, _, _) if a.overruled => {
                    "infeasible by the solver, but the program has feasible points (by its structure, or a penalty); \
                     the solver did not reach their scale"
                        .to_string()
                }
                (s @ (Status::Infeasible | Status::Unbounded), _, _) => match a.certificate {
                    Some(c) if c.violation.is_finite() => format!(
                        "{} by the solver, but its certificate does not check out (violation {}, gain {})",
                        s.as_str(),
                        sci(c.violation),
                        sci(c.gain)
                    ),
                    _ => format!("{} by the solver, without a certificate", s.as_str()),
                },
                (s, _, _) => s.as_str().to_string(),
            })
            .zip(attempts.iter().filter(|a| a.status != Status::Optimal))
            .map(|(text, a)| format!("{} {text}", a.backend))
            .fold(Vec::<(String, usize)>::new(), |mut runs, text| {
                // Calls that failed alike in a row are said once, with their count.
                match runs.last_mut() {
                    Some((last, count)) if *last == text => *count += 1,
                    _ => runs.push((text, 1)),
                }
                runs
            })
            .into_iter()
            .map(|(text, count)| if count > 1 { format!("{count} × {text}") } else { text })
            .collect();
        let _ = writeln!(
            h,
            "  retried         {} solver calls for {programs} program{}; not accepted: {}",
            attempts.len(),
            if programs == 1 { "" } else { "s" },
            failed.join("; ")
        );
    }
}

/// The last lines of a solve report: cnr's own cone check, the size, and the times (the first
/// being lowering for a model or reading for a CBF file).
fn footer(
    h: &mut String,
    cone_residual: Option<f64>,
    (variables, rows, nonzeros): (usize, usize, usize),
    (stage, seconds): (&str, f64),
    solve_seconds: f64,
    (iterations, backend): (u32, &str),
) {
    if let Some(c) = cone_residual {
        let _ =
            writeln!(h, "  cone residual   {}   (distance of b − Ax to the cones, checked by cnr)", sci(c));
    }
    let _ = writeln!(
        h,
        "  size            {} variables, {} rows, {} non-zeros",
        thousands(variables),
        thousands(rows),
        thousands(nonzeros)
    );
    // A backend that does not count its iterations (good_lp) reports 0, which is not a count.
    let counted = cnr_driver::Backend::from_name(backend).is_none_or(|b| b.capabilities().reports_iterations);
    let iterations = if counted {
        format!("{iterations} iterations")
    } else {
        format!("iterations not reported by {backend}")
    };
    let _ = writeln!(h, "  time            {stage} {seconds:.3} s, solve {solve_seconds:.3} s, {iterations}");
}

/// What a status means, for people.
pub fn status_message(status: Status) -> &'static str {
    use Status::*;
    match status {
        Optimal => "solved to the requested tolerance",
        Infeasible => "the constraints admit no point: check the labels (e.g. negative labels with a non-negative activation) or add a penalty",
        Unbounded => "the objective grows without bound: too few samples to pin w down; add samples or a `bound` in `relax`",
        IterationLimit => "the iteration limit was reached; raise `max_iter` in `solver`",
        TimeLimit => "the time limit was reached; raise `time_limit` in `solver`",
        Inaccurate => "the solver stopped close to, but not within, the tolerance; the point shown is approximate",
        NumericalError => "the solver failed for numerical reasons; try rescaling the data, or (without a penalty) the w-space method, which solves no cone program: --method wspace",
    }
}

/// What a status means for a program from a file, which has no labels, samples or `relax` block.
fn program_status_message(status: Status) -> &'static str {
    match status {
        Status::Infeasible => {
            "the constraints admit no point (the solver's certificate checks out on the program)"
        }
        Status::Unbounded => {
            "the objective decreases without bound (the solver's certificate checks out on the program)"
        }
        Status::IterationLimit | Status::TimeLimit => {
            "a limit was reached; `--tolerance` looser, or a model's `solver` block, may help"
        }
        other => status_message(other),
    }
}

/// The report of a CBF program's solve, for people.
pub fn program_report(r: &ProgramRecord) -> String {
    let mut h = String::new();
    let _ = writeln!(h, "{}: {}", r.program, r.status.as_str());
    if !r.status.is_optimal() {
        let _ = writeln!(h, "  {}", program_status_message(r.status));
    }
    if let (Some(objective), Some(x)) = (r.objective, &r.x) {
        let _ = writeln!(h, "  objective       {}", fixed9(objective));
        let _ = writeln!(h, "  x               {}", abbreviate(x));
    }
    retried(&mut h, &r.attempts, ("a row", "relative to its scale"));
    footer(
        &mut h,
        r.cone_residual,
        (r.variables, r.rows, r.nonzeros),
        ("read", r.read_seconds),
        r.solve_seconds,
        (r.iterations, r.backend),
    );
    h
}
