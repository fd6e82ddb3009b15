//! `cnr predict` and `cnr eval --network`: a trained network (`output learned`, docs/learned.md)
//! read from its record, on new inputs or on the model's data.

use super::ModelFile;
use crate::cli::OverrideArgs;
use crate::output::{fail, out, print_json, read_bytes as read, usage, write_file, Failed};
use cnr_driver::{Purpose, TrainedNetwork};
use std::path::Path;

/// The model compiled for its data, and the network of the record `network` checked against it.
fn model_and_network(
    path: &Path,
    network: &Path,
    overrides: &OverrideArgs,
) -> Result<(ModelFile, cnr_driver::Compiled, TrainedNetwork), Failed> {
    let model = ModelFile::read(path)?;
    let compiled = super::compile(&model.request(overrides), Purpose::Data)?;
    if compiled.model.learn.is_none() {
        return Err(usage(&format!(
            "`{}` has fixed output weights; a trained network belongs to a model with `output learned` (for filters use `cnr eval --filter`)",
            model.name
        )));
    }
    let (bytes, name) = read(network)?;
    let trained = cnr_driver::read_network(&name, &bytes, &compiled.model).map_err(fail)?;
    Ok((model, compiled, trained))
}

/// `cnr predict`: the network's output on every input of a file.
pub fn run(
    path: &Path,
    network: &Path,
    inputs: &Path,
    output: Option<&Path>,
    json: bool,
    overrides: &OverrideArgs,
) -> Result<(), Failed> {
    if let Some(o) = output {
        if !o.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy")) {
            return Err(usage(&format!("`{}`: -o writes the predictions as a `.npy` file", o.display())));
        }
    }
    let (model, compiled, trained) = model_and_network(path, network, overrides)?;
    let (bytes, name) = read(inputs)?;
    let x = cnr_driver::read_numbers(&name, &bytes, "inputs").map_err(fail)?;
    let y = cnr_driver::predict(&compiled.model, &trained, &x, &name).map_err(fail)?;
    if let Some(o) = output {
        model.guard(o)?;
        return write_file(o, &cnr_driver::npy(&y, &[y.len()]).map_err(fail)?);
    }
    if json {
        return print_json(&y);
    }
    out(&y.iter().map(|v| format!("{v}\n")).collect::<String>())
}

/// `cnr eval --network`: the network's losses on the model's training and test sets.
pub fn eval(
    path: &Path,
    network: &Path,
    bias: bool,
    json: bool,
    overrides: &OverrideArgs,
) -> Result<(), Failed> {
    if bias {
        return Err(usage("--bias goes with --filter; a trained network holds its biases"));
    }
    let (_, compiled, trained) = model_and_network(path, network, overrides)?;
    let record = cnr_driver::evaluate_network(&compiled.model, &trained);
    if json {
        return print_json(&record);
    }
    let mut text = format!(
        "{}: the trained network ({} neurons) on {} samples\n",
        record.model, record.neurons, record.samples
    );
    text.push_str(&format!(
        "  training loss   {:.3e}   (mean squared error on the samples)\n",
        record.training_loss
    ));
    if let Some(t) = record.test_loss {
        text.push_str(&format!(
            "  test loss       {t:.3e}   (mean squared error on the held-out test set)\n"
        ));
    }
    if let Some(o) = record.objective {
        text.push_str(&format!("  objective       {o:.9}   (½‖f − y‖² + β/2 Σ (‖u‖² + b² + α²))\n"));
    }
    out(&text)
}
