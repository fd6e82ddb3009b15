//! Evaluating given filters on a model's data: the figures a solve reports about its point,
//! computed the same way, for filters from anywhere (another solver, a baseline, a file).

use crate::compile::{compile_for, Purpose};
use crate::{Compiled, Error, Request};
use serde::Serialize;

/// How well filters fit a model's data, from the model. (The fields are in alphabetical order,
/// the order `cnr eval --json` has always printed.)
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalRecord {
    /// `max_i (f(x_i; w) − y_i)` (absent when it is not a finite number, as every figure).
    pub max_violation: Option<f64>,
    /// The model's name.
    pub model: String,
    /// `‖w − w*‖` up to the network's symmetries, when the planted filter is known.
    pub recovery_distance: Option<f64>,
    /// `‖w − w*‖ / ‖w*‖` under the same symmetries, when the planted filter is known and not zero.
    pub recovery_error: Option<f64>,
    /// The violation relative to the label scale `max_i |y_i|`.
    pub relative_violation: Option<f64>,
    /// Samples.
    pub samples: usize,
    /// The symmetries the recovery error is minimised over.
    pub symmetries: Vec<&'static str>,
    /// The same mean squared residual on the held-out test set, when the data have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    /// `(1/n) Σ_i (f(x_i; w) − y_i)²`.
    pub training_loss: Option<f64>,
}

/// The numbers of an array file (`.npy`, or CSV for any other name) given for `what` (`filters`,
/// `biases`): an error names the file.
pub fn read_numbers(file: &str, bytes: &[u8], what: &str) -> Result<Vec<f64>, Error> {
    cnr_check::data::load_array(file, bytes)
        .map(|a| a.values)
        .map_err(|e| Error::input(format!("bad {what} file `{file}`: {e}")))
}

/// Compiles the request's model (nothing of its program is built) and evaluates the filters `w`
/// (`M·d` numbers, filter after filter) and biases `b` on its data. `w_file` and `b_file` name
/// where they came from, for errors about their sizes.
pub fn evaluate(
    request: &Request,
    (w, w_file): (&[f64], &str),
    b: Option<(&[f64], &str)>,
) -> Result<(Compiled, EvalRecord), Error> {
    let compiled = compile_for(request, Purpose::Data)?;
    let model = &compiled.model;
    let net = &model.network;
    let sized = |values: &[f64], file: &str, what: &str, want: usize| {
        if let Some(k) = values.iter().position(|v| !v.is_finite()) {
            // A NaN filter would make every figure NaN, and a NaN violation compares as none.
            Err(Error::input(format!(
                "entry {k} of `{file}` is {}; the {what} must be finite numbers",
                values[k]
            )))
        } else if values.len() == want {
            Ok(())
        } else {
            Err(Error::input(format!(
                "`{file}` holds {} numbers; the model's {what} need {want}",
                values.len()
            )))
        }
    };
    sized(w, w_file, "filters", net.filters * net.d())?;
    // `b`: the biases, then the offset (`Network::extras`).
    let what = match (net.bias, net.offset) {
        (true, true) => "biases and offset (the biases, then the offset)",
        (true, false) => "biases",
        _ => "offset",
    };
    let b = match (b, net.extras()) {
        (Some((b, file)), need) if need > 0 => {
            sized(b, file, what, need)?;
            b
        }
        (None, need) if need > 0 => {
            return Err(Error::Usage(format!("the network has {what}: give them with --bias")))
        }
        (Some(_), _) => {
            return Err(Error::Usage("the network has no biases and no offset; drop --bias".into()))
        }
        (None, _) => &[],
    };
    let figures = model.figures_at(w, b, request.limits.threads);
    let record = EvalRecord {
        model: model.name.clone(),
        samples: model.data.n,
        max_violation: figures.max_violation,
        relative_violation: figures.relative_violation,
        training_loss: figures.training_loss,
        test_loss: figures.test_loss,
        recovery_error: figures.recovery_error,
        recovery_distance: figures.recovery_distance,
        symmetries: figures.symmetries,
    };
    Ok((compiled, record))
}
