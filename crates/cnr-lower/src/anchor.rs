//! The objective's anchor `g` (docs/relaxation.md, "The anchor"), normalised to unit length: the scale of `g` does not
//! change the maximiser of `⟨g, w⟩`, and a unit anchor keeps the solver's data well scaled.

use cnr_check::{Anchor, Model};
use cnr_numerics::cholesky::cholesky_solve;
use cnr_numerics::eigen::{fix_sign, top_eigenvector, top_eigenvector_of};

// The crate's root re-exports the dense eigen-solver from here, beside the spectral anchor that uses
// it; it lives with Lanczos, which solves its small tridiagonal matrices with it.

/// The anchor for all filters, of unit length (or all zero if the data give no direction at all):
/// `M·d` numbers for `w`, filter-major, then, when the network has biases, `M` numbers for `b`.
///
/// A bias is anchored as the weight of a constant input 1 appended to every patch: without an
/// anchor term, `b → −∞` would switch every unit off and let `⟨g, w⟩` grow without bound. So the
/// data anchor of `b_m` is `Σ_i y_i Σ_k u_mk`, the spectral anchor uses the patches `(x_ik, 1)`, and
/// the planted anchor is `(w*, b*)`; a given vector anchors `w` only. With an output offset, a last
/// coordinate anchors `c` (see [`with_offset`]).
pub fn anchor(model: &Model) -> Vec<f64> {
    with_offset(model, filters_anchor(model))
}

/// The anchor `g` over `(w, b)` with the offset's coordinate appended, when the network has an
/// offset, and normalised again. Without an anchor term, `c → −∞` would let every `f(x_i)` grow
/// and `⟨g, w⟩` with it. The data anchor over `(w, b, c)` gives `c` the weight `Σ_i y_i` (the
/// output's slope in `c` is 1) beside `Σ_i y_i Σ_k u_mk x_ik` for `w`; every anchor keeps that
/// proportion between its `(w, b)` part and `c`. With the data anchor's direction and labels of
/// positive sum, `c`'s weight bounds the program: a unit switched on raises some `f(x_i)` by at
/// least what it adds to `⟨g, w⟩`, and `c` must come down by as much.
fn with_offset(model: &Model, mut g: Vec<f64>) -> Vec<f64> {
    if !model.network.offset {
        return g;
    }
    let norm = cnr_numerics::norm;
    let data = data_per_filter(model, 0.0).concat();
    let sum: f64 = model.data.y.iter().sum();
    let (data_norm, length) = (norm(&data), norm(&g));
    let c = if data_norm > 0.0 { sum / data_norm * length } else { sum.signum() };
    g.push(c);
    let total = norm(&g);
    if total > 0.0 {
        g.iter_mut().for_each(|v| *v /= total);
    }
    g
}

/// The anchor over the filters and biases (see [`anchor`]).
fn filters_anchor(model: &Model) -> Vec<f64> {
    let net = &model.network;
    let (d, mm) = (net.d(), net.filters);
    // Each filter's anchor over its augmented coordinates: `d`, plus one for the bias.
    let e = d + usize::from(net.bias);
    let per_filter: Vec<Vec<f64>> = match &model.relax.anchor {
        Anchor::Vector(v) => v.chunks(d).map(|c| augment(c, 0.0, net.bias)).collect(),
        Anchor::Planted => {
            let star = model.data.planted.as_ref().expect("the checker ensured a planted filter");
            let bias = model.data.planted_bias.clone().unwrap_or_else(|| vec![0.0; mm]);
            star.chunks(d).zip(bias).map(|(c, b)| augment(c, b, net.bias)).collect()
        }
        Anchor::Data | Anchor::Centered => {
            // The centred anchor drops the labels' mean, a pure-noise term `ȳ Σ_i Σ_k u x_ik`.
            let mean = match model.relax.anchor {
                Anchor::Centered => model.data.y.iter().sum::<f64>() / model.data.n.max(1) as f64,
                _ => 0.0,
            };
            data_per_filter(model, mean)
        }
        Anchor::Lstsq => least_squares(model),
        Anchor::Random { .. } => random_per_filter(model, 0),
        Anchor::Spectral | Anchor::CenteredSpectral if e <= DENSE_MAX => {
            let mean = label_mean(model);
            let mut s = vec![vec![0.0; e * e]; mm];
            let mut aug = vec![1.0; e];
            for_each_patch(model, |i, m, u, patch| {
                let weight = (model.data.y[i] - mean) * u;
                aug[..d].copy_from_slice(patch);
                let sm = &mut s[m];
                for (a, xa) in aug.iter().enumerate() {
                    let wa = weight * xa;
                    for (b, xb) in aug.iter().enumerate().skip(a) {
                        sm[a * e + b] += wa * xb;
                    }
                }
            });
            s.into_iter()
                .map(|mut sm| {
                    for a in 0..e {
                        for b in 0..a {
                            sm[a * e + b] = sm[b * e + a];
                        }
                    }
                    top_eigenvector(sm, e)
                })
                .collect()
        }
        Anchor::Spectral | Anchor::CenteredSpectral => {
            let mean = label_mean(model);
            let kk = net.patches();
            let u: Vec<f64> = (0..mm * kk).map(|mk| model.u(mk / kk, mk % kk)).collect();
            (0..mm)
                .map(|m| {
                    let mut v = top_eigenvector_of(e, |v, out| {
                        spectral_product(model, &u[m * kk..(m + 1) * kk], mean, v, out)
                    });
                    fix_sign(&mut v);
                    v
                })
                .collect()
        }
    };
    laid_out(&per_filter, d, net.bias)
}

/// The labels' mean for the centred spectral anchor, 0 for the plain one: centring removes
/// `ȳ Σ_i Σ_k u x xᵀ`, whose expectation is a multiple of the identity (no direction) and whose
/// fluctuation is noise.
fn label_mean(model: &Model) -> f64 {
    match model.relax.anchor {
        Anchor::CenteredSpectral => model.data.y.iter().sum::<f64>() / model.data.n.max(1) as f64,
        _ => 0.0,
    }
}

/// Up to this many coordinates (`d`, and the bias), the spectral anchor's matrix is built and
/// solved densely by Jacobi rotations; above, Lanczos works with products alone
/// (`cnr_numerics::eigen`), in `O(d)` memory.
const DENSE_MAX: usize = 64;

/// Adds `S_m v` to `out`, for the spectral matrix `S_m = Σ_i y_i Σ_k u_mk (x_ik, 1)(x_ik, 1)ᵀ` of
/// one filter (`u` its output weights over the patches), without forming it: one pass over the
/// taps of every sample's patches.
fn spectral_product(model: &Model, u: &[f64], mean: f64, v: &[f64], out: &mut [f64]) {
    let net = &model.network;
    let d = net.d();
    for i in 0..model.data.n {
        let (x, y) = (model.data.sample(i), model.data.y[i] - mean);
        for (k, &umk) in u.iter().enumerate() {
            if umk == 0.0 || y == 0.0 {
                continue;
            }
            let taps = model.geometry.of(k);
            let mut dot: f64 = taps.iter().map(|&(j, src)| v[j] * x[src]).sum();
            if net.bias {
                dot += v[d];
            }
            let c = y * umk * dot;
            for &(j, src) in taps {
                out[j] += c * x[src];
            }
            if net.bias {
                out[d] += c;
            }
        }
    }
}

/// A filter's coordinates with the bias coordinate appended when there is one.
fn augment(w: &[f64], b: f64, bias: bool) -> Vec<f64> {
    let mut v = w.to_vec();
    if bias {
        v.push(b);
    }
    v
}

/// Turns the data's seed into the random anchor's, so that the anchor's draws are not the data's.
const RANDOM_ANCHOR_STREAM: u64 = 0x5eed_a9c4_0000_0001;

/// The `k`-th random anchor of a model (`anchor random` is the 0th; restarts draw the next ones):
/// standard normal numbers from a ChaCha8 stream of `S + k` for `anchor random seed S`, else of
/// `(data seed XOR 0x5eeda9c400000001) + k` (seed 0 for data from files or arrays), filter after
/// filter, `d` numbers then the bias's, in the columns' layout, normalised to unit length.
pub fn random_anchor(model: &Model, k: u64) -> Vec<f64> {
    let net = &model.network;
    with_offset(model, laid_out(&random_per_filter(model, k), net.d(), net.bias))
}

/// The draws of [`random_anchor`], per filter over `(w_m, b_m)`, not yet normalised.
fn random_per_filter(model: &Model, k: u64) -> Vec<Vec<f64>> {
    let net = &model.network;
    let e = net.d() + usize::from(net.bias);
    let stream = match (&model.relax.anchor, &model.data.source) {
        (Anchor::Random { seed: Some(given) }, _) => *given,
        (_, cnr_check::DataSource::Planted { seed, .. }) => seed ^ RANDOM_ANCHOR_STREAM,
        _ => RANDOM_ANCHOR_STREAM,
    };
    let mut rng = cnr_check::data::generator(stream.wrapping_add(k));
    (0..net.filters).map(|_| cnr_check::data::normals(&mut rng, e)).collect()
}

/// The data anchor per filter over `(w_m, b_m)`, of the labels less `mean`:
/// `Σ_i (y_i − mean) Σ_k u_mk (x_ik, 1)`, not yet normalised.
fn data_per_filter(model: &Model, mean: f64) -> Vec<Vec<f64>> {
    let net = &model.network;
    let d = net.d();
    let mut g = vec![vec![0.0; d + usize::from(net.bias)]; net.filters];
    for_each_patch(model, |i, m, u, patch| {
        let weight = (model.data.y[i] - mean) * u;
        for (gj, xj) in g[m].iter_mut().zip(patch) {
            *gj += weight * xj;
        }
        if net.bias {
            g[m][d] += weight;
        }
    });
    g
}

/// Per-filter anchors over `(w_m, b_m)` laid out as the columns are, all `w` then all biases, and
/// normalised to unit length (an all-zero anchor stays zero).
fn laid_out(per_filter: &[Vec<f64>], d: usize, bias: bool) -> Vec<f64> {
    let mut g: Vec<f64> = per_filter.iter().flat_map(|f| f[..d].iter().copied()).collect();
    if bias {
        g.extend(per_filter.iter().map(|f| f[d]));
    }
    let norm = cnr_numerics::norm(&g);
    if norm > 0.0 {
        g.iter_mut().for_each(|v| *v /= norm);
    }
    g
}

/// The least-squares anchor: the coefficients `c` of `min_c Σ_i (y_i − c₀ − Σ_m c_mᵀ s_im)²`, with
/// `s_im = Σ_k u_mk x_ik` the patch sum of filter `m`, one `c_m` per filter (and a zero bias
/// coordinate: the intercept takes the labels' mean, and a bias is not identified apart from it).
/// Solved by the normal equations, `(FᵀF + ε·diag(FᵀF)) c = Fᵀy` with `F = [s_i1 … s_iM, 1]`, by
/// Cholesky; `ε = 1e-10` decides the answer only where there are fewer samples than columns (then
/// it is nearly the least-squares solution of smallest column-weighted norm), and scaling a column
/// does not change the fit.
fn least_squares(model: &Model) -> Vec<Vec<f64>> {
    let net = &model.network;
    let (d, mm) = (net.d(), net.filters);
    let cols = mm * d + 1;
    let mut sums = vec![0.0; mm * d];
    let mut gram = vec![0.0; cols * cols];
    let mut rhs = vec![0.0; cols];
    let mut row = vec![0.0; cols];
    let mut current = usize::MAX;
    let flush = |row: &[f64], y: f64, gram: &mut [f64], rhs: &mut [f64]| {
        for (a, &ra) in row.iter().enumerate() {
            if ra == 0.0 {
                continue;
            }
            rhs[a] += ra * y;
            for (b, &rb) in row.iter().enumerate().skip(a) {
                gram[a * cols + b] += ra * rb;
            }
        }
    };
    for_each_patch(model, |i, m, u, patch| {
        if i != current {
            if current != usize::MAX {
                row[..mm * d].copy_from_slice(&sums);
                row[mm * d] = 1.0;
                flush(&row, model.data.y[current], &mut gram, &mut rhs);
            }
            sums.iter_mut().for_each(|v| *v = 0.0);
            current = i;
        }
        for (s, x) in sums[m * d..(m + 1) * d].iter_mut().zip(patch) {
            *s += u * x;
        }
    });
    if current != usize::MAX {
        row[..mm * d].copy_from_slice(&sums);
        row[mm * d] = 1.0;
        flush(&row, model.data.y[current], &mut gram, &mut rhs);
    }
    for a in 0..cols {
        for b in 0..a {
            gram[a * cols + b] = gram[b * cols + a];
        }
    }
    // A ridge of 1e-10 of each column's own diagonal: positive definite with fewer samples than
    // columns, and blind to the columns' scales (one ridge for all, from the mean diagonal, once
    // swamped the intercept when output weights of 1e12 made the patch sums 1e12 times larger).
    (0..cols).for_each(|a| gram[a * cols + a] += (1e-10 * gram[a * cols + a]).max(f64::MIN_POSITIVE));
    let c = cholesky_solve(&mut gram, &rhs, cols).unwrap_or_else(|| vec![0.0; cols]);
    (0..mm).map(|m| augment(&c[m * d..(m + 1) * d], 0.0, net.bias)).collect()
}

/// Calls `f(i, m, u_mk, x_ik)` for every sample `i`, filter `m` and patch `k` with `u_mk ≠ 0`; `x_ik`
/// has zeros on padding.
fn for_each_patch(model: &Model, mut f: impl FnMut(usize, usize, f64, &[f64])) {
    let net = &model.network;
    let (d, kk) = (net.d(), net.patches());
    // Looked up once: `Model::u` works out the patch grid on every call, and this loop runs for every
    // sample and patch.
    let u: Vec<f64> = (0..net.filters * kk).map(|mk| model.u(mk / kk, mk % kk)).collect();
    let mut patch = vec![0.0; d];
    for i in 0..model.data.n {
        let x = model.data.sample(i);
        for k in 0..kk {
            model.geometry.gather(k, x, &mut patch);
            for m in 0..net.filters {
                if u[m * kk + k] != 0.0 {
                    f(i, m, u[m * kk + k], &patch);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two ways of computing the spectral anchor agree: the dense matrix and Jacobi, and
    /// Lanczos on products, on a model with padding, a bias and two filters, with plain and with
    /// centred labels.
    #[test]
    fn lanczos_and_the_dense_matrix_give_the_same_anchor() {
        for (name, centred) in [("spectral", false), ("centered_spectral", true)] {
            let file = cnr_syntax::parse(&format!(
                "network {{ input 14 x 14 conv kernel 9 x 9 stride 2 padding 1 filters 2 bias activation abs output random seed 4 }}
                 data planted {{ samples 40 seed 2 }}
                 relax {{ anchor {name} }}"
            ))
            .unwrap();
            let model = cnr_check::check(&file, "m", &cnr_check::MemoryFiles::default(), &Default::default())
                .unwrap();
            let (d, e) = (model.network.d(), model.network.d() + 1);
            assert!(e > DENSE_MAX);
            let mean = if centred { model.data.y.iter().sum::<f64>() / model.data.n as f64 } else { 0.0 };
            assert_eq!(label_mean(&model), mean);
            let kk = model.network.patches();
            for m in 0..2 {
                let mut s = vec![0.0; e * e];
                for_each_patch(&model, |i, mm, u, patch| {
                    if mm == m {
                        let aug: Vec<f64> = patch.iter().copied().chain([1.0]).collect();
                        for a in 0..e {
                            for b in 0..e {
                                s[a * e + b] += (model.data.y[i] - mean) * u * aug[a] * aug[b];
                            }
                        }
                    }
                });
                let dense = top_eigenvector(s, e);
                let u: Vec<f64> = (0..kk).map(|k| model.u(m, k)).collect();
                let mut fast = top_eigenvector_of(e, |v, out| spectral_product(&model, &u, mean, v, out));
                fix_sign(&mut fast);
                let gap: f64 = dense.iter().zip(&fast).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
                assert!(gap < 1e-9, "{name}, filter {m}: the vectors differ by {gap} (d = {d})");
            }
        }
    }

    fn model(text: &str) -> Model {
        let file = cnr_syntax::parse(text).unwrap();
        cnr_check::check(&file, "m", &cnr_check::MemoryFiles::default(), &Default::default()).unwrap()
    }

    /// The patch sums `Σ_k u_mk x_ik` of every sample, filter after filter, written out directly.
    fn patch_sums(model: &Model) -> Vec<Vec<f64>> {
        let (d, mm, kk) = (model.network.d(), model.network.filters, model.network.patches());
        (0..model.data.n)
            .map(|i| {
                let mut s = vec![0.0; mm * d];
                let mut patch = vec![0.0; d];
                for m in 0..mm {
                    for k in 0..kk {
                        model.geometry.gather(k, model.data.sample(i), &mut patch);
                        for j in 0..d {
                            s[m * d + j] += model.u(m, k) * patch[j];
                        }
                    }
                }
                s
            })
            .collect()
    }

    fn unit(v: Vec<f64>) -> Vec<f64> {
        let n = cnr_numerics::norm(&v);
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn the_centred_anchor_is_the_data_anchor_of_centred_labels() {
        let m = model(
            "network { input 12 conv kernel 4 stride 2 filters 2 activation relu output random seed 3 }
             data planted { samples 30 seed 5 }
             relax { anchor centered }",
        );
        let sums = patch_sums(&m);
        let mean = m.data.y.iter().sum::<f64>() / m.data.n as f64;
        let mut want = vec![0.0; sums[0].len()];
        for (s, y) in sums.iter().zip(&m.data.y) {
            want.iter_mut().zip(s).for_each(|(w, x)| *w += (y - mean) * x);
        }
        let got = anchor(&m);
        let gap = unit(want).iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(gap < 1e-12, "{gap}");
    }

    #[test]
    fn the_least_squares_anchor_leaves_residuals_orthogonal_to_the_features() {
        // The normal equations' solution: y − c₀ − Σ cᵀs is orthogonal to every patch sum and to 1.
        let m = model(
            "network { input 12 conv kernel 4 stride 2 filters 2 activation softplus output random seed 3 }
             data planted { samples 40 seed 6 }
             relax { anchor lstsq }",
        );
        let sums = patch_sums(&m);
        let cols = sums[0].len();
        // The anchor is the coefficients up to scale; recover the scale and the intercept by a
        // one-dimensional fit of y on (Σ gᵀs, 1), then check orthogonality for the full fit.
        let g = anchor(&m);
        let t: Vec<f64> = sums.iter().map(|s| cnr_numerics::dot(s, &g)).collect();
        let n = m.data.n as f64;
        let (mt, my) = (t.iter().sum::<f64>() / n, m.data.y.iter().sum::<f64>() / n);
        let cov: f64 = t.iter().zip(&m.data.y).map(|(a, y)| (a - mt) * (y - my)).sum();
        let var: f64 = t.iter().map(|a| (a - mt) * (a - mt)).sum();
        let (scale, c0) = (cov / var, my - cov / var * mt);
        let residual: Vec<f64> = t.iter().zip(&m.data.y).map(|(a, y)| y - c0 - scale * a).collect();
        let size = m.data.y.iter().map(|y| y.abs()).fold(0.0, f64::max);
        for j in 0..cols {
            let dot: f64 = residual.iter().zip(&sums).map(|(r, s)| r * s[j]).sum();
            assert!(dot.abs() < 1e-8 * size * n, "feature {j}: {dot}");
        }
        assert!(residual.iter().sum::<f64>().abs() < 1e-8 * size * n);
    }

    #[test]
    fn a_least_squares_anchor_with_fewer_samples_than_columns_is_finite() {
        let m = model(
            "network { input 16 conv kernel 8 stride 8 activation relu output ones }
             data planted { samples 3 seed 1 }
             relax { anchor lstsq }",
        );
        let g = anchor(&m);
        assert!(g.iter().all(|v| v.is_finite()) && g.iter().any(|v| *v != 0.0), "{g:?}");
    }

    #[test]
    fn the_least_squares_anchor_does_not_depend_on_the_scale_of_the_output_weights() {
        // Output weights c multiply the patch sums and the planted labels alike: the fit is the
        // same up to scale. A ridge from the mean diagonal once swamped the intercept at c = 1e12.
        let with = |c: &str| {
            anchor(&model(&format!(
                "network {{ input 16 conv kernel 4 stride 4 activation relu output {c} }}
                 data planted {{ samples 30 seed 2 }}
                 relax {{ anchor lstsq }}"
            )))
        };
        let reference = with("ones");
        for c in ["1e12", "1e-9"] {
            let g = with(c);
            let gap = cnr_numerics::max_abs_diff(&g, &reference);
            assert!(gap < 1e-9, "output {c}: {g:?} vs {reference:?}");
        }
    }

    #[test]
    fn random_anchors_follow_the_seed_and_differ_between_filters() {
        let text = |seed: u64| {
            format!(
                "network {{ input 16 conv kernel 8 stride 8 filters 2 bias activation relu output ones }}
                 data planted {{ samples 5 seed {seed} }}
                 relax {{ anchor random }}"
            )
        };
        let (a, again, other) =
            (anchor(&model(&text(3))), anchor(&model(&text(3))), anchor(&model(&text(4))));
        assert_eq!(a, again, "the same seed, the same anchor");
        assert_ne!(a, other, "another seed, another anchor");
        // Filter-major w (2 × 8), then the two biases: the filters' parts differ.
        assert_ne!(a[..8], a[8..16]);
        assert!(a[16] != 0.0 && a[17] != 0.0, "the biases are drawn too: {a:?}");
        let norm = cnr_numerics::norm(&a);
        assert!((norm - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_random_anchor_with_its_own_seed_follows_that_seed_and_not_the_datas() {
        let text = |data_seed: u64, anchor: &str| {
            format!(
                "network {{ input 16 conv kernel 8 stride 8 activation relu output ones }}
                 data planted {{ samples 5 seed {data_seed} }}
                 relax {{ {anchor} }}"
            )
        };
        let seeded = |data_seed| anchor(&model(&text(data_seed, "anchor random seed 11")));
        // The given seed decides it, whatever the data's seed.
        assert_eq!(seeded(1), seeded(2));
        assert_ne!(seeded(1), anchor(&model(&text(1, "anchor random seed 12"))));
        assert_ne!(seeded(1), anchor(&model(&text(1, "anchor random"))));
        // It is the ChaCha8 stream of the seed itself: restart k uses seed + k.
        let direct = cnr_check::data::normals(&mut cnr_check::data::generator(11), 8);
        let norm = cnr_numerics::norm(&direct);
        let expected: Vec<f64> = direct.iter().map(|v| v / norm).collect();
        let got = seeded(1);
        assert!(got.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-15), "{got:?} vs {expected:?}");
        let m = model(&text(1, "anchor random seed 11"));
        assert_eq!(m.relax.anchor_name(), "random seed 11");
        assert_eq!(random_anchor(&m, 1), {
            let d = cnr_check::data::normals(&mut cnr_check::data::generator(12), 8);
            let n = cnr_numerics::norm(&d);
            d.iter().map(|v| v / n).collect::<Vec<_>>()
        });
    }
}
