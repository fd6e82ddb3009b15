//! A sweep's specification: the flags' and the model's `sweep { … }` block's axes and settings,
//! the flags winning axis by axis.

use crate::grid::{self, list_error, Axis, Grid, ListError};
use cnr_driver::{ModelErrors, Sources};

/// A sweep's grid and settings, from the flags or from the model's `sweep { … }` block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepSpec {
    /// `samples` or `ratio`: the one axis of sample counts.
    pub counts: Option<Axis>,
    /// Parameters and their values.
    pub params: Vec<(String, Vec<f64>)>,
    /// Activations, as written in a model.
    pub activation: Option<Vec<String>>,
    /// Noise levels.
    pub noise: Option<Vec<f64>>,
    /// Anchors, as written in a model.
    pub anchor: Option<Vec<String>>,
    /// Restart counts.
    pub restarts: Option<Vec<u64>>,
    /// Refinement counts.
    pub refine: Option<Vec<u64>>,
    /// Trials per cell.
    pub trials: Option<u64>,
    /// The seed of trial 0.
    pub seed: Option<u64>,
    /// Success: recovery error below this.
    pub threshold: Option<f64>,
    /// Whether the gradient-descent baseline runs.
    pub baseline: Option<bool>,
}

impl SweepSpec {
    /// The `sweep { … }` block of the model `text` (named `name` in diagnostics); an entry that
    /// does not read is an error at its value.
    pub fn of_model(text: &str, name: &str) -> Result<SweepSpec, Box<ModelErrors>> {
        let Ok(file) = cnr_syntax::parse(text) else {
            // The model's own errors are reported when its cells compile.
            return Ok(SweepSpec::default());
        };
        let mut spec = SweepSpec::default();
        let mut errors = Vec::new();
        for item in &file.items {
            let cnr_syntax::ast::Item::Sweep(block) = item else { continue };
            for stmt in &block.stmts {
                let s = &stmt.node;
                let text = s.value.node.as_str();
                let read = match (s.key.node.as_str(), &s.name) {
                    ("param", Some(name)) => {
                        grid::parse_numbers(text).map(|v| spec.params.push((name.node.clone(), v)))
                    }
                    ("samples", _) => {
                        grid::parse_counts(text).map(|v| spec.counts = Some(Axis::Samples { values: v }))
                    }
                    ("ratio", _) => {
                        grid::parse_numbers(text).map(|v| spec.counts = Some(Axis::Ratio { values: v }))
                    }
                    ("activation", _) => activations(text).map(|v| spec.activation = Some(v)),
                    ("noise", _) => grid::parse_numbers(text).map(|v| spec.noise = Some(v)),
                    ("anchor", _) => anchors(text).map(|v| spec.anchor = Some(v)),
                    ("restarts", _) => restart_counts(text).map(|v| spec.restarts = Some(v)),
                    ("refine", _) => refine_counts(text).map(|v| spec.refine = Some(v)),
                    ("trials", _) => whole(text, 1, 100_000).map(|n| spec.trials = Some(n)),
                    ("seed", _) => whole(text, 0, (1 << 53) - 1).map(|n| spec.seed = Some(n)),
                    ("threshold", _) => parse_threshold(text).map(|x| spec.threshold = Some(x)),
                    ("baseline", _) => match text {
                        "gd" | "none" => {
                            spec.baseline = Some(text == "gd");
                            Ok(())
                        }
                        _ => Err("the baseline is `gd` (gradient descent) or `none`".into()),
                    },
                    (key, _) => Err(list_error!("`{key}` is not a sweep entry")),
                };
                if let Err(message) = read {
                    errors.push(
                        cnr_syntax::Diagnostic::error(s.value.span, format!("sweep {}: {message}", s.key.node))
                            .with_label("cannot read this")
                            .with_hint("lists are written like `0.5,1,2`, ranges like `0.5:8:0.5`, as the flags of `cnr sweep`"),
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(spec)
        } else {
            Err(Box::new(ModelErrors { sources: Sources::model(name, text), diagnostics: errors }))
        }
    }

    /// This spec, with what it does not say taken from `file`: the flags win axis by axis.
    pub fn over(self, file: SweepSpec) -> SweepSpec {
        let mut params = self.params.clone();
        for (name, values) in file.params {
            if !params.iter().any(|(n, _)| *n == name) {
                params.push((name, values));
            }
        }
        SweepSpec {
            counts: self.counts.or(file.counts),
            params,
            activation: self.activation.or(file.activation),
            noise: self.noise.or(file.noise),
            anchor: self.anchor.or(file.anchor),
            restarts: self.restarts.or(file.restarts),
            refine: self.refine.or(file.refine),
            trials: self.trials.or(file.trials),
            seed: self.seed.or(file.seed),
            threshold: self.threshold.or(file.threshold),
            baseline: self.baseline.or(file.baseline),
        }
    }

    /// The grid: sample counts, parameters, activation, noise, anchor, restarts, refine, in that
    /// order. A parameter may not take a name of `reserved` (the results' own columns).
    pub fn grid(&self, reserved: &[&str]) -> Result<Grid, ListError> {
        let mut axes: Vec<Axis> = self.counts.iter().cloned().collect();
        for (name, values) in &self.params {
            if reserved.contains(&name.as_str()) {
                return Err(list_error!(
                    "a parameter named `{name}` would share its column with the results' own `{name}`: rename it in the model"
                ));
            }
            axes.push(Axis::Param { name: name.clone(), values: values.clone() });
        }
        if let Some(values) = &self.activation {
            axes.push(Axis::Activation { values: values.clone() });
        }
        if let Some(values) = &self.noise {
            if values.iter().any(|&x| x < 0.0) {
                return Err("noise levels are ≥ 0".into());
            }
            axes.push(Axis::Noise { values: values.clone() });
        }
        if let Some(values) = &self.anchor {
            axes.push(Axis::Anchor { values: values.clone() });
        }
        if let Some(values) = &self.restarts {
            axes.push(Axis::Restarts { values: values.clone() });
        }
        if let Some(values) = &self.refine {
            axes.push(Axis::Refine { values: values.clone() });
        }
        Ok(Grid { axes })
    }
}

/// A list of restart counts (whole numbers from 1).
pub fn restart_counts(list: &str) -> Result<Vec<u64>, ListError> {
    grid::parse_whole(list, 1, "a number of restarts (a whole number from 1)")
}

/// A list of refinement counts (whole numbers from 0).
pub fn refine_counts(list: &str) -> Result<Vec<u64>, ListError> {
    grid::parse_whole(list, 0, "a number of refinements (a whole number from 0)")
}

/// A list of anchors, as a flag or the `sweep` block writes it: names (`data, lstsq, random`);
/// each is checked as the model's `anchor` statement when its cells compile.
pub fn anchors(list: &str) -> Result<Vec<String>, ListError> {
    statements(list, "anchor")
}

/// A list of activations, as a flag or the `sweep` block writes it.
pub fn activations(list: &str) -> Result<Vec<String>, ListError> {
    statements(list, "activation")
}

/// A list of statements' values (commas inside parentheses belong to a value), none empty.
fn statements(list: &str, what: &str) -> Result<Vec<String>, ListError> {
    let values = grid::split_list(list);
    if values.iter().any(String::is_empty) {
        return Err(list_error!("`{list}` has an empty {what}"));
    }
    Ok(values)
}

fn whole(text: &str, min: u64, max: u64) -> Result<u64, ListError> {
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(list_error!("`{text}` is not a whole number from {min} to {max}")),
    }
}

/// A success threshold: a number > 0.
pub fn parse_threshold(text: &str) -> Result<f64, ListError> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err("the threshold is a number > 0, e.g. 1e-4".into()),
    }
}
