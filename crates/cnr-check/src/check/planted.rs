//! Planted data: the draws in their documented order, and the labels they get once the network is
//! known.

use crate::data::{self, Data, DataSource};
use crate::{Model, Network};

/// Draws planted data. The order of draws from one ChaCha8 stream seeded with `seed` is fixed:
/// 1. the planted filters `w*` (`M·d` standard normals, filter-major), unless given;
/// 2. the planted biases (`M` standard normals), only if the network has biases;
/// 3. then, sample by sample: the input (`C·H·W` standard normals, row-major), followed by its
///    label noise (one standard normal, scaled by `noise`) only if `noise > 0`.
///
/// Drawing each sample's noise right after its input means that a larger `samples` extends, never
/// changes, the first samples and their labels. The labels hold the noise until
/// [`add_planted_labels`] adds `f(x_i; w*)` once the output weights and the activation are known.
pub(super) fn planted_data(net: &Network, n: usize, seed: u64, noise: f64, given: Option<Vec<f64>>) -> Data {
    let mut rng = data::generator(seed);
    let planted = given.unwrap_or_else(|| data::normals(&mut rng, net.d() * net.filters));
    let bias = net.bias.then(|| data::normals(&mut rng, net.filters));
    let len = net.input_len();
    // Drawn straight into their final places: at millions of samples the inputs are gigabytes, and
    // the draws are the cost.
    let mut x = vec![0.0; n * len];
    let mut eps = vec![0.0; n];
    for (xi, e) in x.chunks_mut(len.max(1)).zip(eps.iter_mut()) {
        data::fill_normals(&mut rng, xi);
        if noise > 0.0 {
            *e = noise * data::normal(&mut rng);
        }
    }
    let mut d = Data::new(x, eps, len, Some(planted), DataSource::Planted { seed, noise });
    d.planted_bias = bias;
    d
}

/// Adds `f(x_i; w*, b*)` to the labels of planted data (which hold the noise `ε_i` until then).
pub(super) fn add_planted_labels(model: &mut Model) {
    if !matches!(model.data.source, DataSource::Planted { .. }) {
        return;
    }
    let w = model.data.planted.clone().expect("planted data know their filter");
    let b = model.data.planted_bias.clone().unwrap_or_default();
    let f = model.outputs(&w, &b, None);
    for (y, fi) in model.data.y.iter_mut().zip(f) {
        *y += fi;
    }
}
