//! The typed record of a solve — what `--json` prints, what tests and sweeps read — and its
//! assembly from a solve's outcome, every figure about the point computed from the model.

use crate::Compiled;
use cnr_ir::{Solution, SolverSettings, Status};
use cnr_lower::Lowered;
use cnr_syntax::Diagnostic;
use serde::{Serialize, Serializer};
use std::time::Instant;

mod parts;
pub use cnr_methods::wspace::WSpaceRecord;
pub use cnr_solve::Attempt;
pub use parts::{CuttingPlaneRecord, GdRefinement, Restart, Restarts, Timings};

/// Everything a model's solve reports. Figures under "from the model" are computed by cnr from the
/// network and the data at the returned point, never taken from the solver.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SolveRecord {
    /// The model's name.
    pub model: String,
    /// What defines the run, so that a file of records says what was solved.
    pub run: Run,
    /// The backend that solved it.
    pub backend: &'static str,
    /// How the relaxation was solved: `full` or `cutting_plane`.
    pub method: Method,
    /// How the (last) solve ended.
    pub status: Status,
    /// The relaxation's objective `⟨g, w⟩ − λ‖ξ‖` at the point (none without a point).
    pub objective: Option<f64>,
    /// The filters, one array (M = 1) or one array per filter.
    pub w: Option<Filters>,
    /// The biases, when the network has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<Vec<f64>>,
    /// The output's offset `c`, when the network has one (`output … + offset`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<f64>,
    /// With a penalty, each sample's slack `ξ_i` (0 for samples a cutting-plane solve left out,
    /// which hold); which samples the penalty gave up on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xi: Option<Vec<f64>>,
    /// Seconds from the model's text to the last program: data, anchor and lowering.
    pub compile_seconds: f64,
    /// Seconds in the backend, over all solves.
    pub solve_seconds: f64,
    /// The backend's iterations, over all solves.
    pub iterations: u32,
    /// From the model: `max_i (f(x_i; w) − y_i)` over all samples.
    pub max_violation: Option<f64>,
    /// From the model: `(1/n) Σ_i (f(x_i; w) − y_i)²`.
    pub training_loss: Option<f64>,
    /// From the model: the same mean squared residual on the held-out test set, when the data
    /// have one (`test inputs`, `test labels`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    /// From the model: `‖w − w*‖ / ‖w*‖` when the planted filter is known and not zero, minimised
    /// over the network's symmetries (`symmetries`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_error: Option<f64>,
    /// From the model: `‖w − w*‖` under the same symmetries, when the planted filter is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_distance: Option<f64>,
    /// The symmetries the recovery error is minimised over: `filter order` (filters with equal
    /// output weights may come back in any order), `sign of each filter` (even activations).
    pub symmetries: Vec<&'static str>,
    /// cnr's check of the solver's point: the distance of `b − Ax` to the cones of the (last) program.
    pub cone_residual: Option<f64>,
    /// Samples of the model.
    pub samples: usize,
    /// Filter size.
    pub d: usize,
    /// Patches.
    pub patches: usize,
    /// Filters.
    pub filters: usize,
    /// Columns of the (last) program solved.
    pub variables: usize,
    /// Rows of the (last) program solved.
    pub rows: usize,
    /// Non-zeros of the (last) program solved.
    pub nonzeros: usize,
    /// The largest `f(x_i; w) − y_i` relative to its own sample's scale (from the model).
    pub relative_violation: Option<f64>,
    /// The filters that came back zero while another did not (from the model): the relaxation
    /// left them out, which the report says with what to try.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub zero_filters: Vec<usize>,
    /// Every call of the backend, in order: how the objective was scaled, which recovery settings,
    /// what the solver said and what cnr's check of the point made of it. More calls than
    /// programs means some were retried.
    pub attempts: Vec<Attempt>,
    /// The model's warnings, with their places ([`Compiled::sources`] renders them); the JSON form
    /// has their messages.
    #[serde(serialize_with = "messages")]
    pub warnings: Vec<Diagnostic>,
    /// What the cutting-plane method did, when it ran.
    pub cutting_plane: Option<CuttingPlaneRecord>,
    /// What the w-space method did, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wspace: Option<WSpaceRecord>,
    /// With `restarts r` (r > 1) or `refine r` (r > 0): every solve, and which one this record is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarts: Option<Restarts>,
    /// When a penalised solve is unbounded: the smallest weight `λ` of the penalty for which the
    /// program is bounded, computed by a program of its own (docs/relaxation.md, "The penalty's
    /// weight").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty_threshold: Option<f64>,
    /// With `--refine gd`: gradient descent on the training loss from the relaxation's point. The
    /// record's own figures stay the relaxation's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refined: Option<GdRefinement>,
    /// For planted data: whether the program's unique optimum is the planted filter, from the
    /// conditions at it (`cnr_methods::planted`) — with restarts or refinements, the best verdict
    /// over their anchors. Where it does not apply (no planted filter, a penalty, an offset, more
    /// than one filter), none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planted: Option<cnr_methods::planted::PlantedCertificate>,
    /// Where the time went.
    pub timings: Timings,
}

/// The numbers after the filters in a point (`Network::extras`) as the record has them: the
/// biases (none without `bias`), and the offset (none without one).
pub(crate) fn split_extras(net: &cnr_check::Network, extras: &[f64]) -> (Option<Vec<f64>>, Option<f64>) {
    let (biases, offset) = net.split_extras(extras);
    (net.bias.then(|| biases.to_vec()), offset)
}

impl SolveRecord {
    /// The numbers after the filters, as the model's evaluation takes them: the biases, then the
    /// offset.
    pub fn extras(&self) -> Vec<f64> {
        let mut out = self.b.clone().unwrap_or_default();
        out.extend(self.offset);
        out
    }

    /// Whether the solve recovered the planted filter, judged from the model: the status is optimal
    /// (after cnr's checks) and the recovery error, up to the network's symmetries, is below
    /// `threshold`. `None` when no planted filter is known (or it is zero).
    pub fn recovered(&self, threshold: f64) -> Option<bool> {
        self.recovery_error.map(|e| cnr_check::recovered(self.status == Status::Optimal, Some(e), threshold))
    }

    /// For planted data, the anchor's cone distance and why the solve `recovered` or did not
    /// (`cnr_methods::planted::explain`): with restarts or refinements the solve judged is the
    /// one whose anchor recovers (the chain's verdict is its) — did it end optimal? — not the
    /// kept one, which may be another. `None` where the conditions do not apply.
    pub fn planted_explanation(&self, recovered: bool) -> Option<(Option<f64>, &'static str)> {
        use cnr_methods::planted::{explain, Verdict};
        let certificate = self.planted.as_ref()?;
        let trusted = match &self.restarts {
            Some(chain) if certificate.verdict == Verdict::Recovers => chain
                .runs
                .iter()
                .any(|run| run.planted == Some(Verdict::Recovers) && run.status == Status::Optimal),
            _ => self.status == Status::Optimal,
        };
        Some((certificate.cone_distance, explain(certificate.verdict, trusted, recovered)))
    }

    /// The record's figures of its point, as the model gave them.
    pub fn figures(&self) -> cnr_check::Figures {
        cnr_check::Figures {
            max_violation: self.max_violation,
            relative_violation: self.relative_violation,
            training_loss: self.training_loss,
            test_loss: self.test_loss,
            recovery_error: self.recovery_error,
            recovery_distance: self.recovery_distance,
            symmetries: self.symmetries.clone(),
            zero_filters: self.zero_filters.clone(),
        }
    }
}

/// Everything that defines a solve: with the model's text (identified by its hash) and these, the
/// same record comes out again.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    /// The version of cnr.
    pub cnr_version: &'static str,
    /// FNV-1a (64-bit) of the model's text, in hexadecimal: two records with the same hash and
    /// settings solved the same model.
    pub model_hash: String,
    /// `planted` or `files`.
    pub data: &'static str,
    /// The planted data's seed; for data from files or arrays, the seed of the shuffle that drew
    /// the samples (`--seed`), if any.
    pub seed: Option<u64>,
    /// The planted labels' noise (planted data only).
    pub noise: Option<f64>,
    /// The value of every parameter of the model, as solved (`--param` applied), in declaration
    /// order.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "as_object")]
    pub params: Vec<(String, f64)>,
    /// The activation, as written (`leaky_relu(0.2)`, or a user's name).
    pub activation: String,
    /// The anchor (`data (auto)`, `spectral`, …).
    pub anchor: String,
    /// The penalty, `l1 λ` or `l2 λ`.
    pub penalty: Option<String>,
    /// The bound, `l2 R` or `linf R`.
    pub bound: Option<String>,
    /// The solver tolerance (absolute and relative).
    pub tolerance: f64,
    /// The iteration limit of each solver call.
    pub max_iter: u32,
    /// The time limit, in seconds.
    pub time_limit: Option<f64>,
    /// The planted filters `w*`, when known.
    pub planted: Option<Filters>,
    /// With `--refine gd`: its budget of gradient steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refine_gd: Option<usize>,
}

/// Name–value pairs as a JSON object, in their order.
fn as_object<S: serde::Serializer>(pairs: &[(String, f64)], serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (name, value) in pairs {
        map.serialize_entry(name, value)?;
    }
    map.end()
}

/// The filters, always `M` rows of `d` numbers. The JSON form keeps the shape `--json` has always
/// printed: an array for one filter, else an array of arrays.
#[derive(Clone, Debug, PartialEq)]
pub struct Filters(pub Vec<Vec<f64>>);

impl Filters {
    /// The filters of `M·d` numbers, filter after filter.
    pub fn from_flat(w: &[f64], d: usize) -> Filters {
        Filters(w.chunks(d.max(1)).map(<[f64]>::to_vec).collect())
    }

    /// The numbers, filter after filter.
    pub fn flat(&self) -> Vec<f64> {
        self.0.concat()
    }

    /// The number of filters `M`.
    pub fn count(&self) -> usize {
        self.0.len()
    }
}

impl Serialize for Filters {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.serialize(serializer),
            many => many.serialize(serializer),
        }
    }
}

/// Diagnostics as their messages.
fn messages<S: Serializer>(diags: &[Diagnostic], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(diags.iter().map(|d| &d.message))
}

/// How the relaxation was solved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// One program with every sample.
    Full,
    /// Programs on growing subsets of the samples until every sample holds.
    CuttingPlane,
    /// Cuts in the filters' space, solved by cnr's own dual simplex.
    #[serde(rename = "wspace")]
    WSpace,
}

impl Method {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Full => "full",
            Method::CuttingPlane => "cutting-plane",
            Method::WSpace => "wspace",
        }
    }
}

/// What a method ends with: its point and the bookkeeping.
pub(crate) struct Outcome {
    pub(crate) method: Method,
    pub(crate) point: Point,
    /// The residuals of every sample at the point, when already computed.
    pub(crate) residuals: Option<cnr_check::Residuals>,
    pub(crate) cutting_plane: Option<CuttingPlaneRecord>,
    pub(crate) wspace: Option<WSpaceRecord>,
}

/// Where a method's answer is: a cone program's solution, or the filters themselves.
pub(crate) enum Point {
    /// The last program solved and its solution.
    Program { lowered: Box<Lowered>, solution: Solution },
    /// `θ = (w, b)` certified by the w-space method, with its objective `⟨g, θ⟩`.
    Filters { theta: Vec<f64>, objective: f64 },
}

impl Outcome {
    /// The outcome of a cone program's solve.
    pub(crate) fn program(method: Method, lowered: Lowered, solution: Solution) -> Outcome {
        Outcome {
            method,
            point: Point::Program { lowered: Box::new(lowered), solution },
            residuals: None,
            cutting_plane: None,
            wspace: None,
        }
    }

    /// The outcome of the w-space method: certified filters.
    pub(crate) fn filters(
        method: Method,
        theta: Vec<f64>,
        objective: f64,
        residuals: cnr_check::Residuals,
        record: WSpaceRecord,
    ) -> Outcome {
        Outcome {
            method,
            point: Point::Filters { theta, objective },
            residuals: Some(residuals),
            cutting_plane: None,
            wspace: Some(record),
        }
    }
}

/// The record of a solve's outcome: the point decoded by the layout and checked on the model.
pub(crate) fn assemble(
    compiled: &Compiled,
    settings: &SolverSettings,
    threads: Option<usize>,
    attempts: Vec<Attempt>,
    outcome: Outcome,
    mut timings: Timings,
) -> SolveRecord {
    let model = &compiled.model;
    let Outcome { method, point, residuals, cutting_plane, wspace } = outcome;
    let net = &model.network;
    let d = net.d();
    let filters_of = |w: &[f64]| Filters::from_flat(w, d);
    let (data, seed, noise) = match model.data.source {
        cnr_check::DataSource::Planted { seed, noise } => ("planted", Some(seed), Some(noise)),
        cnr_check::DataSource::Files => ("files", model.data.shuffled, None),
        cnr_check::DataSource::Arrays => ("arrays", model.data.shuffled, None),
    };
    let run = Run {
        cnr_version: env!("CARGO_PKG_VERSION"),
        model_hash: compiled.model_hash.clone(),
        data,
        seed,
        noise,
        params: model.params.iter().map(|p| (p.name.clone(), p.value)).collect(),
        activation: model.activation.name.clone(),
        anchor: model.relax.anchor_name(),
        penalty: model.relax.penalty.map(|(n, l)| format!("{} {l}", n.name())),
        bound: model.relax.bound.map(|(n, r)| format!("{} {r}", n.name())),
        tolerance: settings.tol_rel,
        max_iter: settings.max_iter,
        time_limit: settings.time_limit,
        planted: model.data.planted.as_deref().map(filters_of),
        refine_gd: None,
    };
    // The status, the point `(w, b)` when there is one, and the program's sizes.
    let (status, filters, sizes) = match &point {
        Point::Program { lowered, solution } => {
            let program = &lowered.program;
            let has_point = matches!(
                solution.status,
                Status::Optimal | Status::Inaccurate | Status::IterationLimit | Status::TimeLimit
            ) && solution.x.len() == program.n;
            (
                solution.status,
                has_point.then(|| lowered.layout.filters(&solution.x)),
                (program.n, program.m(), program.a.nnz()),
            )
        }
        Point::Filters { theta, .. } => {
            let (w, b) = theta.split_at(net.filters * d);
            let cuts = wspace.as_ref().map_or(0, |r| r.cuts);
            (Status::Optimal, Some((w.to_vec(), b.to_vec())), (theta.len(), cuts, cuts * theta.len()))
        }
    };
    let backend = match &point {
        Point::Program { .. } => attempts.last().map_or(compiled.backend.name(), |a| a.backend),
        Point::Filters { .. } => "cnr",
    };
    let mut record = SolveRecord {
        model: model.name.clone(),
        run,
        backend,
        method,
        status,
        objective: None,
        w: None,
        b: None,
        offset: None,
        xi: None,
        compile_seconds: 0.0,
        solve_seconds: 0.0,
        iterations: attempts.iter().map(|a| a.iterations).sum::<u32>()
            + wspace.as_ref().map_or(0, |r| u32::try_from(r.steps).unwrap_or(u32::MAX)),
        max_violation: None,
        training_loss: None,
        test_loss: None,
        recovery_error: None,
        recovery_distance: None,
        symmetries: Vec::new(),
        cone_residual: None,
        relative_violation: None,
        zero_filters: Vec::new(),
        attempts,
        warnings: compiled.warnings.clone(),
        samples: model.data.n,
        d,
        patches: net.patches(),
        filters: net.filters,
        variables: sizes.0,
        rows: sizes.1,
        nonzeros: sizes.2,
        cutting_plane,
        wspace,
        restarts: None,
        refined: None,
        penalty_threshold: None,
        planted: None,
        timings,
    };
    if let Some((w, b)) = filters {
        let check = Instant::now();
        let residuals = residuals.unwrap_or_else(|| model.residuals(&w, &b, threads));
        let figures = model.figures(&residuals, &w, &b, threads);
        record.max_violation = figures.max_violation;
        record.training_loss = figures.training_loss;
        record.test_loss = figures.test_loss;
        record.recovery_error = figures.recovery_error;
        record.recovery_distance = figures.recovery_distance;
        record.symmetries = figures.symmetries;
        record.relative_violation = figures.relative_violation;
        record.zero_filters = figures.zero_filters;
        let finite = |x: f64| x.is_finite().then_some(x);
        match &point {
            Point::Program { lowered, solution } => {
                let program = &lowered.program;
                record.objective = finite(program.user_objective(solution.objective));
                record.cone_residual = finite(program.check_point(&solution.x).distance);
                if let Some(xi) = &lowered.layout.xi {
                    let mut all = vec![0.0; model.data.n];
                    for (p, &i) in lowered.layout.samples.iter().enumerate() {
                        all[i] = solution.x[xi.start + p].max(0.0);
                    }
                    record.xi = Some(all);
                }
            }
            Point::Filters { objective, .. } => record.objective = finite(*objective),
        }
        record.w = Some(filters_of(&w));
        let (biases, offset) = split_extras(&model.network, &b);
        (record.b, record.offset) = (biases, offset);
        timings.checking_seconds += check.elapsed().as_secs_f64();
    }
    record.compile_seconds = timings.data_seconds + timings.anchor_seconds + timings.lowering_seconds;
    record.solve_seconds = timings.solving_seconds;
    record.timings = timings;
    record
}
