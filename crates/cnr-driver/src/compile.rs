//! Compiling a model: its settings, parse, check, pick the backend and make sure it takes the
//! program.

use crate::request::DataInput;
use crate::{Backend, Error, MethodChoice, ModelErrors, Request, Setting, Sources};
use cnr_check::budget::ProgramScope;
use cnr_check::{Files, GivenData, MemoryFiles, Model, Overrides};
use cnr_lower::{Origin, Plan};
use cnr_syntax::ast::{Item, SolverStmt, SourceFile};
use cnr_syntax::settings;
use cnr_syntax::{suggest, Diagnostic, Span, Spanned};
use std::sync::Arc;
use std::time::Instant;

/// A checked model, the backend that will solve it, and the size of its program.
#[derive(Debug)]
pub struct Compiled {
    /// The checked model (with its data).
    pub model: Model,
    /// The backend: the caller's choice, else the model's `backend`, else Clarabel.
    pub backend: Backend,
    /// The sizes of the whole program, counted without building it.
    pub plan: Plan,
    /// Seconds spent parsing and checking, which includes reading or drawing the data.
    pub data_seconds: f64,
    /// Warnings about the model (`cnr_check::lint`): legal, but probably not what was meant.
    pub warnings: Vec<Diagnostic>,
    /// The model's text and its settings' texts, which the warnings point into.
    pub sources: Sources,
    /// FNV-1a (64-bit) of the model's text, in hexadecimal.
    pub model_hash: String,
    /// The objective's anchor, from all samples (computed once, here, so that an overflow is
    /// reported by `cnr check` too); empty for a model of learned output weights, which has none.
    pub anchor: Vec<f64>,
    /// Seconds spent on the anchor, or on a learned model's arrangements.
    pub anchor_seconds: f64,
    /// The memory budget the model was checked against, in bytes; a solve holds every program it
    /// builds to it too.
    pub max_memory: u64,
    /// With learned output weights (`output learned`): the arrangements of the program, worked
    /// out once here so that `cnr check` prints the program's exact size (docs/learned.md).
    pub arrangements: Option<Arc<cnr_lower::learned::PatternSet>>,
}

impl Compiled {
    /// The warnings rendered with their source lines (empty when there are none).
    pub fn render_warnings(&self) -> String {
        self.sources.render(&self.warnings)
    }

    /// `NAME(VAR) = EXPR` of a user-defined activation, which says more than its bare name: the
    /// `activation` statement as written (in the model or in `--set`), its comments dropped and its
    /// spaces collapsed; `None` for a built-in one.
    pub fn activation_definition(&self) -> Option<String> {
        let span = &self.model.spans.activation;
        let written = cnr_syntax::without_comments(self.sources.text().get(span.start..span.end)?);
        let text = written.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = text.strip_prefix("activation ")?;
        text.contains('=').then(|| text.to_string())
    }
}

/// FNV-1a (64 bits) of a model's text, in hexadecimal: a small, fixed hash that names a text in
/// records and sweep folders (not a security measure).
pub fn model_hash(text: &str) -> String {
    cnr_check::data::fnv1a(text.as_bytes())
}

/// What a model is compiled for, which decides how much of its program the memory budget counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Checking it, or writing its whole program.
    Whole,
    /// Solving it by the request's method (cutting planes build programs of subsets).
    Solve,
    /// Evaluating filters or exporting the data: no program.
    Data,
}

/// Parses and checks the request's model with its settings and data, resolves the backend (the
/// request's, else the model's, else Clarabel) and checks that the backend takes the program.
///
/// Every problem with the model comes back as [`Error::Model`]: a backend that cannot take a cone
/// is reported at the model element that needs it (the activation, the penalty or the bound), a
/// problem in a setting's text in that text, with its flag.
pub fn compile(request: &Request) -> Result<Compiled, Error> {
    compile_for(request, Purpose::Whole)
}

/// [`compile`], with the budget counting the program that `purpose` builds: a caller that shows
/// the warnings before solving compiles for [`Purpose::Solve`], then calls
/// [`crate::solve_compiled`].
pub fn compile_for(request: &Request, purpose: Purpose) -> Result<Compiled, Error> {
    crate::bounds::check(request)?;
    let mut sources = Sources::model(request.source_name, request.text);
    let program = match (purpose, request.method) {
        (Purpose::Whole, _) | (Purpose::Solve, MethodChoice::Full) => ProgramScope::Whole,
        (Purpose::Solve, _) => ProgramScope::FirstSubset,
        (Purpose::Data, _) => ProgramScope::None,
    };
    let budget = request.limits.memory_budget();
    let mut overrides = Overrides { max_memory: Some(budget), program, ..Overrides::default() };
    let unsets = settings::apply(&mut sources, &request.settings)?;
    for setting in &request.settings {
        match *setting {
            Setting::Samples(n) => overrides.samples = Some(usize::try_from(n).unwrap_or(usize::MAX)),
            Setting::Seed(s) => overrides.seed = Some(s),
            Setting::Noise(x) => overrides.noise = Some(x),
            _ => {}
        }
    }
    let none = MemoryFiles::default();
    let files: &dyn Files = match &request.data {
        DataInput::Files(files) => *files,
        DataInput::None | DataInput::Arrays(_) => &none,
    };
    if let DataInput::Arrays(arrays) = &request.data {
        overrides.arrays = Some(Arc::new(given(arrays)));
    }
    checked(&sources, &unsets, request.default_name, files, &overrides, request.backend, purpose)
}

/// The checker's copy of arrays handed over in memory.
fn given(arrays: &crate::Arrays) -> GivenData {
    let array = |shape: &[usize], values: Vec<f64>| cnr_check::Array { shape: shape.to_vec(), values };
    GivenData {
        inputs: array(arrays.inputs.shape(), arrays.inputs.iter().copied().collect()),
        labels: array(arrays.labels.shape(), arrays.labels.to_vec()),
        planted: arrays.planted.map(|w| array(w.shape(), w.iter().copied().collect())),
        planted_bias: arrays.planted_bias.map(|b| b.to_vec()),
        test: arrays
            .test
            .map(|(x, y)| (array(x.shape(), x.iter().copied().collect()), array(y.shape(), y.to_vec()))),
    }
}

/// The work of [`compile_for`]: every error about the model comes back with the texts it points
/// into and the flag it comes from named.
fn checked(
    sources: &Sources,
    unsets: &[settings::Unset],
    name: &str,
    files: &dyn Files,
    overrides: &Overrides,
    backend: Option<Backend>,
    purpose: Purpose,
) -> Result<Compiled, Error> {
    let budget = overrides.max_memory.unwrap_or(cnr_check::budget::DEFAULT_BYTES);
    let start = Instant::now();
    let named = |file: Option<&SourceFile>, mut diagnostics: Vec<Diagnostic>| {
        settings::name_flags(file, sources, &mut diagnostics);
        Error::Model(Box::new(ModelErrors { sources: sources.clone(), diagnostics }))
    };
    let file = cnr_syntax::parse(sources.text()).map_err(|d| named(None, vec![d]))?;
    let file = settings::remove(file, sources.text(), sources.model_end(), unsets)?;
    let file = settings::merge(file, sources.model_end()).map_err(|d| named(None, d))?;
    let model = cnr_check::check_within(&file, name, files, overrides, Some(&cnr_lower::ProgramSizes))
        .map_err(|mut diags| {
            // An unknown backend is a mistake of its own, reported with the checker's.
            if backend.is_none() {
                diags.extend(
                    written_backends(&file).into_iter().filter_map(|name| backend_named(&name).err()),
                );
                diags.sort_by_key(|d| d.span.start);
            }
            named(Some(&file), diags)
        })?;
    let data_seconds = start.elapsed().as_secs_f64();
    let backend = match backend {
        Some(b) => b,
        None => model_backend(&model).map_err(|d| named(None, vec![d]))?,
    };
    if model.learn.is_some() {
        return learned(model, backend, data_seconds, sources, budget, purpose).map_err(|d| match d {
            Learned::Model(d) => named(None, d),
            Learned::Error(e) => e,
        });
    }
    let plan = cnr_lower::plan(&model);
    let refusals = refusals(&model, &plan, backend);
    if !refusals.is_empty() {
        return Err(named(None, refusals));
    }
    let start = Instant::now();
    let anchor = cnr_lower::anchor(&model);
    let anchor_seconds = start.elapsed().as_secs_f64();
    let overflow = overflows(&model, &anchor);
    if !overflow.is_empty() {
        return Err(named(None, overflow));
    }
    let mut warnings = cnr_check::lint(&model);
    warnings.extend(recession(&model, &anchor));
    Ok(Compiled {
        model,
        backend,
        plan,
        data_seconds,
        warnings,
        sources: sources.clone(),
        // The settings' texts are part of what was solved.
        model_hash: model_hash(sources.text()),
        anchor,
        anchor_seconds,
        max_memory: budget,
        arrangements: None,
    })
}

/// Why a model of learned output weights does not compile: its diagnostics, or another error.
enum Learned {
    Model(Vec<Diagnostic>),
    Error(Error),
}

/// A model of learned output weights compiled: its arrangements (held to the budget before they
/// are made), the program's size, the backend's refusal at the `learn` block. There is no anchor;
/// for [`Purpose::Data`] there are no arrangements either (nothing of the program is built).
fn learned(
    model: Model,
    backend: Backend,
    data_seconds: f64,
    sources: &Sources,
    budget: u64,
    purpose: Purpose,
) -> Result<Compiled, Learned> {
    let start = Instant::now();
    let set = if purpose == Purpose::Data { None } else { Some(arrangements(&model, budget)?) };
    // Generated arrangements grow during the training: the plan is of the most it may reach, so
    // that the budget and `auto`'s choice of method are those of the largest program.
    let most = match model.learn.as_ref().map(|l| l.arrangements) {
        Some(cnr_check::learned::Arrangements::Generated { count, .. }) if set.is_some() => count,
        _ => set.as_ref().map_or(0, |s| s.len()),
    };
    let plan = cnr_lower::learned::plan_learned(&model, most);
    if set.is_some() {
        let refusals = refusals(&model, &plan, backend);
        if !refusals.is_empty() {
            return Err(Learned::Model(refusals));
        }
    }
    Ok(Compiled {
        model,
        backend,
        plan,
        data_seconds,
        warnings: Vec::new(),
        sources: sources.clone(),
        model_hash: model_hash(sources.text()),
        anchor: Vec::new(),
        anchor_seconds: start.elapsed().as_secs_f64(),
        max_memory: budget,
        arrangements: set.map(Arc::new),
    })
}

/// A learned model's arrangements, their bits held to the budget before they are made; an error
/// at the `learn` block when `arrangements all` has too many, or at the data when no pattern
/// switches on a patch.
fn arrangements(model: &Model, budget: u64) -> Result<cnr_lower::learned::PatternSet, Learned> {
    use cnr_check::learned::Arrangements;
    use cnr_lower::learned::{all_arrangements, sample_arrangements};
    let learn = model.learn.as_ref().expect("a learned model");
    let rows = model.data.n * model.network.patches();
    let most = match learn.arrangements {
        Arrangements::Sampled { count, .. } => count + model.network.filters,
        Arrangements::Generated { count, .. } => count,
        Arrangements::All => cnr_lower::learned::MAX_CELLS as usize,
    };
    let h = cnr_lower::learned::patch_len(model);
    let need = 8 * (model.data.x.len() as u128 + most as u128 * (rows.div_ceil(64) + h) as u128);
    if need > u128::from(budget) {
        return Err(Learned::Error(Error::MethodOverBudget { method: "the arrangements", need, budget }));
    }
    let set = match learn.arrangements {
        Arrangements::Sampled { count, seed, planted } => sample_arrangements(model, count, seed, planted),
        Arrangements::Generated { count, seed } => {
            sample_arrangements(model, cnr_lower::learned::first_sampled(count), seed, false)
        }
        Arrangements::All => all_arrangements(model).map_err(|e| {
            Learned::Model(vec![Diagnostic::error(
                learn.arrangements_span,
                format!("`arrangements all`: {e}"),
            )
            .with_label("too many patterns to enumerate")
            .with_hint(
                "sample them instead: `arrangements 500 seed 1` (the optimum is then over those patterns)",
            )])
        })?,
    };
    if set.is_empty() {
        return Err(Learned::Model(vec![Diagnostic::error(
            model.spans.data,
            "no arrangement switches on any patch: every patch of the data is zero",
        )
        .with_label("no patterns")
        .with_hint("the inputs must not be all zero")]));
    }
    Ok(set)
}

/// A warning when the anchor points along a direction in which no output grows: with every input
/// `≥ 0` and a non-decreasing activation, lowering a filter coordinate lowers every
/// pre-activation, so no output rises and no sample row binds — an anchor with a negative entry
/// there makes the relaxation unbounded, whatever the penalty, unless a `bound` closes it.
fn recession(model: &Model, anchor: &[f64]) -> Option<Diagnostic> {
    let net = &model.network;
    let md = net.filters * net.d();
    let nondecreasing = model.activation.value_and_slope(-1e6).1 >= 0.0;
    if model.relax.bound.is_some() || !nondecreasing || model.data.x.iter().any(|&x| x < 0.0) {
        return None;
    }
    let largest = anchor[..md].iter().fold(0.0f64, |m, g| m.max(g.abs()));
    let negative = anchor[..md].iter().filter(|&&g| g < -1e-9 * largest).count();
    if negative == 0 {
        return None;
    }
    let at = model.spans.anchor.unwrap_or(model.spans.data);
    Some(
        Diagnostic::warning(
            at,
            format!(
                "the anchor has {negative} negative entries and every input is ≥ 0: lowering those filter coordinates lowers every output, so the relaxation grows without bound"
            ),
        )
        .with_label("unbounded direction")
        .with_hint("add `bound linf R` (or `bound l2 R`) to `relax`; a penalty does not close this direction"),
    )
}

/// Errors for numbers that overflow to infinity or NaN once the model's parts are combined — the
/// labels `f(x_i; w*)` of planted data, the anchor `Σ y_i u x_i` — at the statements that make them
/// so large. Lowering would otherwise refuse the program with no place to point at.
fn overflows(model: &Model, anchor: &[f64]) -> Vec<Diagnostic> {
    let spans = &model.spans;
    let largest = cnr_numerics::max_abs;
    if let Some(i) = model.data.y.iter().position(|y| !y.is_finite()) {
        return vec![Diagnostic::error(
            spans.data,
            format!(
                "label {i} is {}: the network's output overflows a 64-bit float on these data",
                model.data.y[i]
            ),
        )
        .with_label("labels overflow")
        .with_hint(format!(
            "the output weights reach {:e} and the activation is `{}`; use smaller weights, noise or data",
            largest(&model.output),
            model.activation.name
        ))];
    }
    if anchor.iter().all(|g| g.is_finite()) {
        return coefficient_overflows(model);
    }
    // At the output weights when they were written, else at the data (the labels, or the noise).
    let at = if spans.output.is_detached() { spans.data } else { spans.output };
    vec![Diagnostic::error(
        at,
        format!(
            "the objective's anchor overflows: Σ y_i u_mk x_ik is not a finite number (labels reach {:e}, output weights {:e})",
            largest(&model.data.y),
            largest(&model.output)
        ),
    )
    .with_label("too large together")
    .with_hint("scale the output weights, the labels or the inputs down (the relaxation is the same up to scale for homogeneous activations)")]
}

/// An error when a coefficient lowering would compute overflows: the activation's factors times
/// the largest input (at the activation), or the output weights times the activation's bound (at
/// the output weights).
fn coefficient_overflows(model: &Model) -> Vec<Diagnostic> {
    let spans = &model.spans;
    let d = match cnr_lower::check_coefficients(model) {
        Ok(()) => return Vec::new(),
        Err(cnr_lower::CoefficientOverflow::Activation { largest_input }) => Diagnostic::error(
            spans.activation,
            format!(
                "the activation `{}` times the inputs overflows a 64-bit float: its factors, applied to the largest input ({largest_input:e}), give a coefficient that is not finite",
                model.activation.name
            ),
        )
        .with_label("overflows with these data")
        .with_hint("use smaller factors in the activation, or scale the inputs down"),
        Err(cnr_lower::CoefficientOverflow::Output { largest_input, largest_weight }) => {
            let at = if spans.output.is_detached() { spans.activation } else { spans.output };
            Diagnostic::error(
                at,
                format!(
                    "the output weights (up to {largest_weight:e}) times the activation `{}` overflow a 64-bit float on inputs up to {largest_input:e}",
                    model.activation.name
                ),
            )
            .with_label("too large together")
            .with_hint("scale the output weights or the activation down")
        }
    };
    vec![d]
}

/// The backend a model names, or the default.
fn model_backend(model: &Model) -> Result<Backend, Diagnostic> {
    model.solver.backend.as_ref().map_or(Ok(Backend::ALL[0]), backend_named)
}

/// The `backend` statements of a file.
fn written_backends(file: &SourceFile) -> Vec<Spanned<String>> {
    let solvers = file.items.iter().filter_map(|item| match item {
        Item::Solver(b) => Some(b),
        _ => None,
    });
    solvers
        .flat_map(|b| &b.stmts)
        .filter_map(|s| match &s.node {
            SolverStmt::Backend(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// The backend of a name written in a model.
fn backend_named(name: &Spanned<String>) -> Result<Backend, Diagnostic> {
    Backend::from_name(&name.node).ok_or_else(|| {
        let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
        Diagnostic::error(name.span, format!("unknown backend `{}`", name.node))
            .with_label("unknown")
            .with_hint(suggest(&name.node, &names))
    })
}

/// One error for each model element whose rows `backend` cannot take, at that element's source.
fn refusals(model: &Model, plan: &Plan, backend: Backend) -> Vec<Diagnostic> {
    let caps = backend.capabilities();
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut seen: Vec<Origin> = Vec::new();
    for gap in caps.unsupported_in(plan.cones.iter().copied()) {
        for (rows, origin) in &plan.origins {
            if rows.start >= gap.rows.end || gap.rows.start >= rows.end || seen.contains(origin) {
                continue;
            }
            seen.push(*origin);
            let cones = cnr_solve::cone_words(gap.kind);
            let (span, what) = match origin {
                Origin::Activation => {
                    (model.spans.activation, format!("activation `{}` needs {cones}", model.activation.name))
                }
                Origin::Penalty => {
                    (model.spans.penalty.unwrap_or_default(), format!("the `l2` penalty needs {cones}"))
                }
                Origin::Bound => {
                    (model.spans.bound.unwrap_or_default(), format!("the `l2` bound needs {cones}"))
                }
                // One error for both: the loss and the groups come from the same block.
                Origin::Group if seen.contains(&Origin::Loss) => continue,
                Origin::Loss | Origin::Group => {
                    let learn = model
                        .learn
                        .as_ref()
                        .map_or(Span::detached(), |l| Span::new(l.span.start, l.span.start + "learn".len()));
                    (
                        learn,
                        format!(
                            "the squared loss and the group norms of learned output weights need {cones}"
                        ),
                    )
                }
                _ => (Span::detached(), format!("the program needs {cones}")),
            };
            let others: Vec<&str> = Backend::ALL
                .iter()
                .filter(|b| b.capabilities().unsupported_in(plan.cones.iter().copied()).is_empty())
                .map(|b| b.name())
                .collect();
            let mut d = Diagnostic::error(
                span,
                format!("the {} backend cannot take this model: {what}", backend.name()),
            )
            .with_label(format!("needs {cones}"));
            if let Some(other) = others.first() {
                d = d.with_hint(format!(
                    "use the {other} backend (`--backend {other}`, or `backend {other}` in `solver`), which takes every cone of this model"
                ));
            }
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "network { input 8 conv kernel 4 stride 4 activation relu output ones }
                        data planted { samples 24 seed 1 }";

    #[test]
    fn a_model_compiles_to_its_checked_model_backend_plan_and_anchor() {
        let compiled = compile(&Request::new(TINY, "tiny")).unwrap();
        assert_eq!(compiled.backend, Backend::CLARABEL);
        assert_eq!((compiled.model.data.n, compiled.model.network.d()), (24, 4));
        assert_eq!(compiled.anchor.len(), 4);
        assert!((cnr_numerics::norm(&compiled.anchor) - 1.0).abs() < 1e-12, "anchors are unit vectors");
        assert_eq!(compiled.model_hash, model_hash(TINY));
        assert!(compiled.plan.rows > 0 && compiled.warnings.is_empty());
    }

    #[test]
    fn the_overrides_reach_the_checker_and_the_budget_is_the_requests() {
        let request = Request::new(TINY, "tiny").with(Setting::Samples(10)).with(Setting::Seed(7));
        let request =
            Request { limits: crate::Limits { max_memory: Some(1 << 30), ..Default::default() }, ..request };
        let compiled = compile(&request).unwrap();
        assert_eq!(compiled.model.data.n, 10);
        assert_eq!(compiled.max_memory, 1 << 30);
        let other_seed = compile(&Request::new(TINY, "tiny").with(Setting::Samples(10))).unwrap();
        assert_ne!(compiled.model.data.y, other_seed.model.data.y, "the seed changes the data");
    }

    #[test]
    fn a_backend_that_cannot_take_a_cone_is_an_error_at_the_activation() {
        let text = TINY.replace("relu", "softplus");
        let request = Request { backend: Some(Backend::GOOD_LP), ..Request::new(&text, "tiny") };
        let Err(Error::Model(errors)) = compile(&request) else { panic!("good_lp took exponential cones") };
        let d = &errors.diagnostics[0];
        assert!(d.message.contains("activation `softplus` needs exponential cones"), "{}", d.message);
        assert_eq!(&text[d.span.start..d.span.end], "activation softplus");
        assert!(errors.render().contains("--backend clarabel"), "{}", errors.render());
    }

    #[test]
    fn a_defined_activation_is_shown_as_written_without_its_comments() {
        let text =
            TINY.replace("activation relu", "activation act(z) = # the hinge, \"#\" kept\n max(z, 0) + 0*z");
        let compiled = compile(&Request::new(&text, "tiny")).unwrap();
        assert_eq!(compiled.activation_definition().as_deref(), Some("act(z) = max(z, 0) + 0*z"));
        assert_eq!(compile(&Request::new(TINY, "tiny")).unwrap().activation_definition(), None);
    }

    #[test]
    fn an_unknown_backend_in_the_model_is_reported_with_the_checkers_errors() {
        let text = format!("{TINY} solver {{ backend gurobi }}");
        let Err(Error::Model(errors)) = compile(&Request::new(&text, "tiny")) else { panic!("compiled") };
        assert!(
            errors.diagnostics.iter().any(|d| d.message == "unknown backend `gurobi`"),
            "{}",
            errors.render()
        );
    }
}
