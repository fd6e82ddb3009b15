//! `cnr eval`: given filters on a model's data — violation, training loss and recovery error,
//! computed exactly as for a solve's point.

use super::{warn, ModelFile};
use crate::cli::OverrideArgs;
use crate::io;
use crate::output::{fail, failed, out, print_json, Failed};
use cnr_driver::EvalRecord;
use std::path::Path;

pub fn run(
    path: &Path,
    filter: &Path,
    bias: Option<&Path>,
    json: bool,
    overrides: &OverrideArgs,
) -> Result<(), Failed> {
    let model = ModelFile::read(path)?;
    let numbers = |file: &Path, what: &str| -> Result<(Vec<f64>, String), Failed> {
        let name = file.display().to_string();
        let bytes = io::read_regular(file)
            .map_err(|e| failed(&format!("cannot read `{name}`: {}", io::describe_io(&e))))?;
        let values = cnr_driver::read_numbers(&name, &bytes, what).map_err(fail)?;
        Ok((values, name))
    };
    let w = numbers(filter, "filters")?;
    let b = bias.map(|file| numbers(file, "biases")).transpose()?;
    let b = b.as_ref().map(|(values, name)| (values.as_slice(), name.as_str()));
    let (compiled, record) =
        cnr_driver::evaluate(&model.request(overrides), (&w.0, &w.1), b).map_err(fail)?;
    warn(&compiled.render_warnings())?;
    if json {
        return print_json(&record);
    }
    out(&human(&record))
}

/// The report for people.
fn human(r: &EvalRecord) -> String {
    let mut text = format!("{}: the given filters on {} samples\n", r.model, r.samples);
    text.push_str(&format!(
        "  max violation   {:.3e}   (max_i f(x_i; w) − y_i, {:.3e} of the largest label)\n",
        r.max_violation, r.relative_violation
    ));
    text.push_str(&format!(
        "  training loss   {:.3e}   (mean squared error on the samples)\n",
        r.training_loss
    ));
    match (r.recovery_error, r.recovery_distance) {
        (Some(e), _) => text.push_str(&format!("  recovery error  {e:.3e}   (‖w − w*‖ / ‖w*‖)\n")),
        (None, Some(d)) => text.push_str(&format!(
            "  recovery error  undefined: the planted filter is zero; ‖w − w*‖ = {d:.3e}\n"
        )),
        (None, None) => text.push_str("  recovery error  unknown (no planted filter)\n"),
    }
    text
}
