//! Planted data: the draws in their documented order, and the labels they get once the network is
//! known.

use crate::data::{self, Data, DataSource};
use crate::{Model, Network};

/// Samples per block of the planted draws: each block has a ChaCha8 stream of its own, so blocks
/// are drawn in parallel and give the same numbers on any number of threads.
pub const PLANTED_BLOCK: usize = 8192;

/// Draws planted data in a fixed order. From the ChaCha8 generator seeded with `seed` (stream 0):
/// 1. the planted filters `w*` (`M·d` standard normals, filter-major), unless given;
/// 2. the planted biases (`M` standard normals), only if the network has biases;
/// 3. then, sample by sample: the input (`C·H·W` standard normals, row-major), followed by its
///    label noise (one standard normal, scaled by `noise`) only if `noise > 0`.
///
/// Step 3 runs in blocks of [`PLANTED_BLOCK`] samples: the first block goes on in stream 0, after
/// the filters; block `k ≥ 1` is drawn the same way from stream `k` of the same seed. Models with
/// fewer samples than a block draw exactly what they did before blocks existed.
///
/// Drawing each sample's noise right after its input means that a larger `samples` extends, never
/// changes, the first samples and their labels. The labels hold the noise until
/// [`add_planted_labels`] adds `f(x_i; w*)` once the output weights and the activation are known.
pub(super) fn planted_data(net: &Network, n: usize, seed: u64, noise: f64, given: Option<Vec<f64>>) -> Data {
    let mut rng = data::generator(seed);
    let planted = given.unwrap_or_else(|| data::normals(&mut rng, net.d() * net.filters));
    let bias = net.bias.then(|| data::normals(&mut rng, net.filters));
    let len = net.input_len().max(1);
    // Drawn straight into their final places: at millions of samples the inputs are gigabytes, and
    // the draws are the cost.
    let mut x = crate::memory::zeros(n * net.input_len());
    let mut eps = vec![0.0; n];
    // Block k's samples, from its own stream (block 0 goes on after the filters in stream 0).
    let draw = |k: usize, x: &mut [f64], eps: &mut [f64]| {
        let mut rng = if k == 0 {
            rng.clone()
        } else {
            let mut rng = data::generator(seed);
            rng.set_stream(k as u64);
            rng
        };
        for (xi, e) in x.chunks_mut(len).zip(eps.iter_mut()) {
            data::fill_normals(&mut rng, xi);
            if noise > 0.0 {
                *e = noise * data::normal(&mut rng);
            }
        }
    };
    let mut blocks: Vec<(&mut [f64], &mut [f64])> =
        x.chunks_mut(PLANTED_BLOCK * len).zip(eps.chunks_mut(PLANTED_BLOCK)).collect();
    // Below a million numbers a thread costs more than it saves.
    let threads = if n * len < 1 << 20 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |p| p.get()).min(blocks.len())
    };
    if threads <= 1 {
        blocks.iter_mut().enumerate().for_each(|(k, (x, eps))| draw(k, x, eps));
    } else {
        let per_thread = blocks.len().div_ceil(threads);
        std::thread::scope(|scope| {
            for (group, part) in blocks.chunks_mut(per_thread).enumerate() {
                let draw = &draw;
                scope.spawn(move || {
                    for (offset, (x, eps)) in part.iter_mut().enumerate() {
                        draw(group * per_thread + offset, x, eps);
                    }
                });
            }
        });
    }
    let mut d = Data::new(x, eps, net.input_len(), Some(planted), DataSource::Planted { seed, noise });
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

#[cfg(test)]
mod tests {
    use crate::data::{fill_normals, generator, normal, normals};
    use crate::{check, MemoryFiles, Model, Overrides};

    fn planted(samples: usize, noise: f64) -> Model {
        let text = format!(
            "network {{ input 64 conv kernel 16 stride 16 activation relu output ones }}
             data planted {{ samples {samples} seed 5 noise {noise} }}"
        );
        let file = cnr_syntax::parse(&text).expect("parses");
        check(&file, "blocks", &MemoryFiles::default(), &Overrides::default()).expect("checks")
    }

    #[test]
    fn blocks_follow_their_documented_streams() {
        let n = 2 * super::PLANTED_BLOCK + 7;
        let model = planted(n, 0.5);
        let x = &model.data.x;
        // Stream 0: the filter, then the first block's samples, each input then its noise.
        let mut rng = generator(5);
        assert_eq!(model.data.planted.as_deref(), Some(&normals(&mut rng, 16)[..]));
        let mut first = vec![0.0; 64];
        fill_normals(&mut rng, &mut first);
        assert_eq!(&x[..64], &first[..]);
        // Block 2 starts stream 2 of the same seed.
        let mut rng = generator(5);
        rng.set_stream(2);
        let start = 2 * super::PLANTED_BLOCK * 64;
        let mut sample = vec![0.0; 64];
        fill_normals(&mut rng, &mut sample);
        assert_eq!(&x[start..start + 64], &sample[..]);
        let noise = 0.5 * normal(&mut rng);
        let f: f64 = model.outputs(model.data.planted.as_deref().expect("planted"), &[], Some(1))
            [2 * super::PLANTED_BLOCK];
        assert!((model.data.y[2 * super::PLANTED_BLOCK] - (f + noise)).abs() < 1e-12);
    }

    #[test]
    fn more_samples_extend_the_data_whether_drawn_on_one_thread_or_many() {
        // 10,000 samples of 64 numbers are drawn on one thread, 40,000 on all the machine's.
        let small = planted(10_000, 0.1);
        let large = planted(40_000, 0.1);
        assert_eq!(small.data.x[..], large.data.x[..small.data.x.len()]);
        assert_eq!(small.data.y[..], large.data.y[..10_000]);
        assert_ne!(large.data.x[30_000 * 64..30_001 * 64], large.data.x[..64]);
    }
}
