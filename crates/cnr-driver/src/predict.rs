//! Using a trained network (docs/learned.md): read from a training's record, evaluated on a
//! model's data (training and test sets) or on new inputs.

use crate::Error;
use cnr_check::learned::TrainedNetwork;
use cnr_check::Model;
use serde::Serialize;

/// The trained network in a training's record (`cnr solve -o FILE.json` of a model with learned
/// output weights), checked against `model`: each neuron's filter (and gate) has the model's `d`
/// numbers, all finite. An error names the file and what is wrong.
pub fn read_network(file: &str, bytes: &[u8], model: &Model) -> Result<TrainedNetwork, Error> {
    let what = "a training's record (as `cnr solve -o FILE.json` writes for `output learned`)";
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::input(format!("`{file}` is not JSON ({e}); give {what}")))?;
    let network = match value.get("network") {
        None => return Err(Error::input(format!("`{file}` has no `network`; give {what}"))),
        Some(serde_json::Value::Null) => {
            return Err(Error::input(format!("`{file}` has no network: the training ended without a point")))
        }
        Some(n) => n,
    };
    let network: TrainedNetwork = serde_json::from_value(network.clone())
        .map_err(|e| Error::input(format!("`{file}`: its `network` is not a trained network ({e})")))?;
    let d = model.network.d();
    for (j, neuron) in network.neurons.iter().enumerate() {
        let gate = neuron.gate.as_ref().map(|(g, _)| g.len());
        if neuron.filter.len() != d || gate.is_some_and(|g| g != d) {
            return Err(Error::input(format!(
                "`{file}`: neuron {j} has a filter of {} numbers; model `{}` has d = {d}",
                neuron.filter.len(),
                model.name
            )));
        }
        let numbers = neuron.filter.iter().chain(neuron.gate.iter().flat_map(|(g, b)| g.iter().chain([b])));
        if !numbers.chain([&neuron.bias, &neuron.weight]).all(|v| v.is_finite()) {
            return Err(Error::input(format!("`{file}`: neuron {j} has a number that is not finite")));
        }
    }
    if !network.offset.is_finite() {
        return Err(Error::input(format!("`{file}`: the offset is not finite")));
    }
    Ok(network)
}

/// A trained network on a model's data, from the network.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetworkEval {
    /// The model's name.
    pub model: String,
    /// Training samples.
    pub samples: usize,
    /// Neurons of the network.
    pub neurons: usize,
    /// `(1/n) Σ_i (f(x_i) − y_i)²` on the training set.
    pub training_loss: f64,
    /// The same on the test set, when the data have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    /// `½ Σ_i (f(x_i) − y_i)² + β/2 Σ_j (‖u_j‖² + b_j² + α_j²)` with the model's weight decay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective: Option<f64>,
}

/// `network` on the training and test sets of `model` (compiled for its data:
/// [`crate::compile_for`] with [`crate::Purpose::Data`]).
pub fn evaluate_network(model: &Model, network: &TrainedNetwork) -> NetworkEval {
    let mse = |data: &cnr_check::Data| 2.0 * network.half_squared_error(model, data) / data.n.max(1) as f64;
    NetworkEval {
        model: model.name.clone(),
        samples: model.data.n,
        neurons: network.neurons.len(),
        training_loss: mse(&model.data),
        test_loss: model.data.test.as_deref().map(mse),
        objective: model
            .learn
            .as_ref()
            .map(|l| network.half_squared_error(model, &model.data) + network.weight_decay(l.weight_decay)),
    }
}

/// The outputs on `inputs` of the model's network with fixed output weights and the filters `w`
/// (`M·d`) and extras `b` (the biases, then the offset): a relaxation's point (a solve's record)
/// on new inputs. `file` names the inputs in errors.
pub fn predict_with_filters(
    model: &Model,
    w: &[f64],
    b: &[f64],
    inputs: &[f64],
    file: &str,
) -> Result<Vec<f64>, Error> {
    let net = &model.network;
    if w.len() != net.filters * net.d() || b.len() != net.extras() {
        return Err(Error::input(format!(
            "the filters have {} numbers and the extras {}; the model's need M·d = {} and {} (the biases, then the offset)",
            w.len(),
            b.len(),
            net.filters * net.d(),
            net.extras()
        )));
    }
    whole_inputs(model, inputs, file)?;
    Ok(model.predict_inputs(inputs, w, b))
}

/// Refuses inputs that are not a whole number of the model's inputs, or not finite.
fn whole_inputs(model: &Model, inputs: &[f64], file: &str) -> Result<(), Error> {
    let len = model.network.input_len();
    if len == 0 || !inputs.len().is_multiple_of(len) {
        return Err(Error::input(format!(
            "`{file}` holds {} numbers, not a whole number of inputs of C·H·W = {len}",
            inputs.len()
        )));
    }
    if let Some(k) = inputs.iter().position(|v| !v.is_finite()) {
        return Err(Error::input(format!("entry {k} of `{file}` is {}; inputs must be finite", inputs[k])));
    }
    Ok(())
}

/// The network's outputs on `inputs` (samples one after another, `C·H·W` numbers each, in the
/// model's layout); `file` names the inputs in errors.
pub fn predict(
    model: &Model,
    network: &TrainedNetwork,
    inputs: &[f64],
    file: &str,
) -> Result<Vec<f64>, Error> {
    whole_inputs(model, inputs, file)?;
    Ok(inputs.chunks_exact(model.network.input_len()).map(|x| network.predict(model, x)).collect())
}
