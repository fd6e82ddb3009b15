//! `cnr eval`: given filters on a model's data — violation, training loss and recovery error,
//! computed exactly as for a solve's point.

use super::{warn, ModelFile};
use crate::cli::OverrideArgs;
use crate::output::{err, fail, failed, out, print_json, read_bytes as read, usage, Failed};
use crate::report::figure;
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
        let (bytes, name) = read(file)?;
        let values = cnr_driver::read_numbers(&name, &bytes, what).map_err(fail)?;
        Ok((values, name))
    };
    // A `.json` file is a solve's record (`cnr solve -o FILE.json`): its `w`, and its `b` when the
    // network has biases.
    let (w, record_b) = if is_json(filter) {
        let (bytes, name) = read(filter)?;
        let (w, b) = solution(&name, &bytes).map_err(|e| failed(&e))?;
        ((w, name.clone()), b.map(|b| (b, name)))
    } else {
        (numbers(filter, "filters")?, None)
    };
    let b = match (bias, record_b) {
        (Some(_), Some((_, name))) => {
            return Err(usage(&format!("`{name}` holds the biases already (its `b`); drop --bias")))
        }
        (Some(file), None) => Some(numbers(file, "biases")?),
        (None, record_b) => record_b,
    };
    let from_record = b.is_some() && bias.is_none();
    let b = b.as_ref().map(|(values, name)| (values.as_slice(), name.as_str()));
    let evaluated = cnr_driver::evaluate(&model.request(overrides), (&w.0, &w.1), b);
    let (compiled, record) = evaluated.map_err(|e| {
        let usage = matches!(e, cnr_driver::Error::Usage(_));
        let shown = fail(e);
        if usage && from_record {
            err(&format!("note: the biases are `{}`'s `b`\n", w.1));
        }
        shown
    })?;
    warn(&compiled.render_warnings())?;
    if json {
        return print_json(&record);
    }
    out(&human(&record))
}

/// Whether `file` is named as a JSON file.
fn is_json(file: &Path) -> bool {
    file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The filters (`M·d` numbers, filter after filter) and the biases of a solve's record, the JSON
/// that `cnr solve -o FILE.json` and `--json` write: `w` is an array of numbers (one filter) or of
/// arrays (one per filter), `b` an array of numbers when the network has biases, `offset` a number
/// when it has an offset (returned after the biases). An error names
/// the file and says what is wrong.
fn solution(name: &str, bytes: &[u8]) -> Result<(Vec<f64>, Option<Vec<f64>>), String> {
    let what = "a solve's record (as `cnr solve -o FILE.json` writes)";
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("`{name}` is not JSON ({e}); give {what}"))?;
    let Some(record) = value.as_object() else {
        return Err(format!("`{name}` is not {what}: it is not a JSON object"));
    };
    let numbers = |field: &str, value: &serde_json::Value| -> Result<Vec<f64>, String> {
        let flat: Vec<&serde_json::Value> = match value.as_array() {
            Some(items) if items.iter().all(serde_json::Value::is_array) => {
                items.iter().flat_map(|row| row.as_array().into_iter().flatten()).collect()
            }
            Some(items) => items.iter().collect(),
            None => return Err(format!("`{name}`: `{field}` is not an array of numbers")),
        };
        flat.iter()
            .map(|x| match x {
                serde_json::Value::Number(n) => n.as_f64().ok_or(()),
                _ => Err(()),
            })
            .collect::<Result<Vec<f64>, ()>>()
            .map_err(|()| {
                format!("`{name}`: `{field}` holds an entry that is not a number (null: not finite)")
            })
    };
    let w = match record.get("w") {
        None => return Err(format!("`{name}` is not {what}: it has no `w`")),
        Some(serde_json::Value::Null) => {
            return Err(format!("`{name}` has no filters: its `w` is null (the solve ended without a point)"))
        }
        Some(w) => numbers("w", w)?,
    };
    let mut b = match record.get("b") {
        None | Some(serde_json::Value::Null) => None,
        Some(b) => Some(numbers("b", b)?),
    };
    // The offset follows the biases, as the model's evaluation takes them.
    if let Some(c) = record.get("offset").filter(|c| !c.is_null()) {
        let c = c.as_f64().ok_or_else(|| format!("`{name}`: `offset` is not a number"))?;
        b.get_or_insert_with(Vec::new).push(c);
    }
    Ok((w, b))
}

/// The report for people.
fn human(r: &EvalRecord) -> String {
    let mut text = format!("{}: the given filters on {} samples\n", r.model, r.samples);
    text.push_str(&format!(
        "  max violation   {}   (max_i f(x_i; w) − y_i, {} of its sample's scale)\n",
        figure(r.max_violation),
        figure(r.relative_violation)
    ));
    text.push_str(&format!(
        "  training loss   {}   (mean squared error on the samples)\n",
        figure(r.training_loss)
    ));
    if let Some(t) = r.test_loss {
        text.push_str(&format!(
            "  test loss       {t:.3e}   (mean squared error on the held-out test set)\n"
        ));
    }
    match (r.recovery_error, r.recovery_distance) {
        (Some(e), _) => text.push_str(&format!("  recovery error  {e:.3e}   (‖w − w*‖ / ‖w*‖)\n")),
        (None, Some(d)) => text.push_str(&format!(
            "  recovery error  undefined: the planted filter is zero; ‖w − w*‖ = {d:.3e}\n"
        )),
        (None, None) => text.push_str("  recovery error  unknown (no planted filter)\n"),
    }
    text
}
