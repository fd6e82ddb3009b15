//! The checked model and what is computed from it: its parts, the fit of filters to the data
//! (residuals in one pass, the recovery error up to the network's symmetries).

use crate::{network, Activation, Data, Network};

/// A checked model, ready to be lowered.
#[derive(Clone, Debug)]
pub struct Model {
    /// The model's name (declared with `model`, else the file's stem).
    pub name: String,
    /// Shapes of the convolution.
    pub network: Network,
    /// The activation.
    pub activation: Activation,
    /// Fixed output weights `u[m·K + k]` for filter `m` and patch `k`, all ≥ 0.
    pub output: Vec<f64>,
    /// The samples.
    pub data: Data,
    /// Which relaxation to build (with learned output weights, its defaults, unused).
    pub relax: Relax,
    /// With `output learned`: the convex program of learned output weights (docs/learned.md);
    /// `output` then holds the planted teacher's weights (ones).
    pub learn: Option<crate::learned::Learn>,
    /// Solver settings.
    pub solver: SolverSpec,
    /// The patch geometry of the network, worked out once ([`Network::taps`]).
    pub geometry: network::Patches,
    /// Where the parts that lowering turns into cones were written, so that a later phase can point
    /// at the source of a row (e.g. a backend that cannot take the activation's cones).
    pub spans: ModelSpans,
    /// The parameters (`param d = 16`) with the values they had.
    pub params: Vec<ParamValue>,
    /// The data files read for the model (training and test sets), with their sizes and hashes.
    pub data_files: Vec<crate::data::DataFile>,
}

/// A parameter of the model and the value it had (after `--param`).
#[derive(Clone, Debug, PartialEq)]
pub struct ParamValue {
    /// The name.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Where the name is declared.
    pub span: cnr_syntax::Span,
    /// How many values use it.
    pub uses: usize,
}

/// The places in the source of the model elements that become rows of the program.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelSpans {
    /// The `activation` statement.
    pub activation: cnr_syntax::Span,
    /// The `penalty` statement, when there is one.
    pub penalty: Option<cnr_syntax::Span>,
    /// The `bound` statement, when there is one.
    pub bound: Option<cnr_syntax::Span>,
    /// The `anchor` statement, when there is one.
    pub anchor: Option<cnr_syntax::Span>,
    /// The `conv` statement.
    pub conv: cnr_syntax::Span,
    /// The `output` statement (detached when the default is used).
    pub output: cnr_syntax::Span,
    /// The `data` keyword of the data block.
    pub data: cnr_syntax::Span,
}

/// The objective's anchor `g` (docs/relaxation.md, "The anchor").
#[derive(Clone, Debug, PartialEq)]
pub enum Anchor {
    /// `g = Σ_i y_i Σ_k u_mk x_ik` per filter.
    Data,
    /// The top eigenvector of `Σ_i y_i Σ_k u_mk x_ik x_ikᵀ` (for even activations).
    Spectral,
    /// The spectral anchor of centred labels: the top eigenvector of
    /// `Σ_i (y_i − ȳ) Σ_k u_mk x_ik x_ikᵀ` per filter.
    CenteredSpectral,
    /// The data anchor with centred labels: `Σ_i (y_i − ȳ) Σ_k u_mk x_ik` per filter.
    Centered,
    /// Least squares of the labels on each filter's patch sums `Σ_k u_mk x_ik` and an intercept.
    Lstsq,
    /// Standard normal numbers, drawn from the data's seed (0 for data from files or arrays), or
    /// from `seed` when the model gives one (`anchor random seed S`), as the randomized relaxation of
    /// the paper behind cnr does.
    Random {
        /// The seed of `anchor random seed S`.
        seed: Option<u64>,
    },
    /// The planted filter itself (an oracle, for experiments).
    Planted,
    /// A given vector of length `M·d`.
    Vector(Vec<f64>),
}

impl Relax {
    /// The anchor as reports name it: `data`, `spectral`, `planted`, `given vector`, with ` (auto)`
    /// when `auto` chose it.
    pub fn anchor_name(&self) -> String {
        let name = match self.anchor {
            Anchor::Data => "data".to_string(),
            Anchor::Spectral => "spectral".to_string(),
            Anchor::CenteredSpectral => "centered_spectral".to_string(),
            Anchor::Centered => "centered".to_string(),
            Anchor::Lstsq => "lstsq".to_string(),
            Anchor::Random { seed: Some(seed) } => format!("random seed {seed}"),
            Anchor::Random { seed: None } => "random".to_string(),
            Anchor::Planted => "planted".to_string(),
            Anchor::Vector(_) => "given vector".to_string(),
        };
        if self.anchor_auto {
            format!("{name} (auto)")
        } else {
            name
        }
    }
}

impl Norm {
    /// The norm as the language writes it: `l1`, `l2`, `linf`.
    pub fn name(self) -> &'static str {
        match self {
            Norm::L1 => "l1",
            Norm::L2 => "l2",
            Norm::Linf => "linf",
        }
    }
}

/// A norm used by penalties and bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    /// The 1-norm (penalties only).
    L1,
    /// The 2-norm.
    L2,
    /// The ∞-norm (bounds only).
    Linf,
}

/// The relaxation's options.
#[derive(Clone, Debug, PartialEq)]
pub struct Relax {
    /// The anchor, after `auto` was resolved.
    pub anchor: Anchor,
    /// Whether the user wrote `auto` (or nothing).
    pub anchor_auto: bool,
    /// `penalty l1|l2 λ`: soft labels with slack `ξ` weighted by λ.
    pub penalty: Option<(Norm, f64)>,
    /// `bound l2|linf R` on `w`.
    pub bound: Option<(Norm, f64)>,
    /// `restarts r`: how many anchors the relaxation is solved with (1: the anchor alone).
    pub restarts: u32,
    /// `refine r`: after each solve, how many times at most it is solved again with the filter it
    /// found as the anchor (0: never).
    pub refine: u32,
}

/// Solver settings from the `solver` block, with documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct SolverSpec {
    /// The backend the model names (`backend NAME`), with its place; `None`: the driver's default.
    /// Which names exist is not the front end's business: the driver checks the name.
    pub backend: Option<cnr_syntax::Spanned<String>>,
    /// Absolute and relative tolerance; default 1e-7.
    pub tolerance: f64,
    /// Whether the model writes its tolerance (a learned program's default is another:
    /// docs/learned.md).
    pub tolerance_written: bool,
    /// Iteration limit; default 200.
    pub max_iter: u32,
    /// Time limit in seconds; default none.
    pub time_limit: Option<f64>,
}

impl Default for SolverSpec {
    fn default() -> Self {
        SolverSpec {
            backend: None,
            tolerance: 1e-7,
            tolerance_written: false,
            max_iter: 200,
            time_limit: None,
        }
    }
}

/// Values from the command line that replace the model's (`--samples`, `--seed`, `--noise`), and
/// the memory budget (`--max-memory`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// Number of samples.
    pub samples: Option<usize>,
    /// Seed of the planted model.
    pub seed: Option<u64>,
    /// Noise level of the planted model.
    pub noise: Option<f64>,
    /// The most bytes the model's arrays, data and program may take (`None`:
    /// [`crate::budget::DEFAULT_BYTES`]).
    pub max_memory: Option<u64>,
    /// How much of the program the command builds at once, which the budget counts.
    pub program: crate::budget::ProgramScope,
    /// Data given in memory, which replace the model's `data` block (a model may then have none).
    pub arrays: Option<std::sync::Arc<crate::data::GivenData>>,
}

impl Model {
    /// Output weight of filter `m`, patch `k`.
    pub fn u(&self, m: usize, k: usize) -> f64 {
        self.output[m * self.network.patches() + k]
    }

    /// The units `(m, k)` with a non-zero output weight, filter-major: the ones the program has
    /// epigraph variables for and the evaluation sums over.
    pub fn units(&self) -> Vec<(usize, usize)> {
        let kk = self.network.patches();
        (0..self.network.filters)
            .flat_map(|m| (0..kk).map(move |k| (m, k)))
            .filter(|&(m, k)| self.u(m, k) != 0.0)
            .collect()
    }

    /// The network's output `f(x_i; w)` for sample `i`, filters `w` (`M·d`) and biases `b` (`M`).
    /// For many samples use [`Model::residuals`], which works out the patch map once.
    pub fn predict(&self, i: usize, w: &[f64], b: &[f64]) -> f64 {
        Predictor::new(self, w, b).predict(self.data.sample(i))
    }

    /// The network's outputs `f(x; w, b)` on every input of `inputs` (one after another, `C·H·W`
    /// numbers each); `b` holds the biases, then the offset ([`Network::extras`]).
    pub fn predict_inputs(&self, inputs: &[f64], w: &[f64], b: &[f64]) -> Vec<f64> {
        let predictor = Predictor::new(self, w, b);
        inputs.chunks_exact(self.network.input_len().max(1)).map(|x| predictor.predict(x)).collect()
    }

    /// `f(x_i; w, b)` and a subgradient of it in `θ = (w, b)` (filter-major `w`, then the biases
    /// and the offset: `b` holds [`Network::extras`] numbers), written into `slope` (`M·d`, plus
    /// the extras): `f` is convex in `θ`, so
    /// `f(θ') ≥ f(θ) + slopeᵀ(θ' − θ)` for every `θ'` — a cutting plane of the sample's constraint.
    pub fn predict_with_slope(&self, i: usize, w: &[f64], b: &[f64], slope: &mut [f64]) -> f64 {
        Predictor::new(self, w, b).predict_with_slope(self.data.sample(i), slope)
    }

    /// Every sample's output `f(x_i; w)`, in one pass over the data split among `threads` threads
    /// (`None`: as many as the machine has). The patch map and the output weights are worked out
    /// once; the result does not depend on the number of threads.
    pub fn outputs(&self, w: &[f64], b: &[f64], threads: Option<usize>) -> Vec<f64> {
        self.outputs_on(&self.data, w, b, threads)
    }

    /// The mean squared residual `(1/n_test) Σ (f(x_i; w) − y_i)²` on the held-out test set, when
    /// the data have one.
    pub fn test_loss(&self, w: &[f64], b: &[f64], threads: Option<usize>) -> Option<f64> {
        let test = self.data.test.as_deref()?;
        let outputs = self.outputs_on(test, w, b, threads);
        let sum: f64 = outputs.iter().zip(&test.y).map(|(f, y)| (f - y) * (f - y)).sum();
        Some(sum / test.n.max(1) as f64)
    }

    /// [`Model::outputs`] on the inputs of `data` (the training samples or the test set).
    fn outputs_on(&self, data: &Data, w: &[f64], b: &[f64], threads: Option<usize>) -> Vec<f64> {
        let predictor = Predictor::new(self, w, b);
        for_each_sample(data, threads, |x| predictor.predict(x))
    }
}

/// `each(x_i)` for every input of `data`, in order, split among `threads` threads (`None`: as many
/// as the machine has); the result does not depend on the number of threads.
pub(crate) fn for_each_sample<T: Copy + Default + Send>(
    data: &Data,
    threads: Option<usize>,
    each: impl Fn(&[f64]) -> T + Sync,
) -> Vec<T> {
    let n = data.n;
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |p| p.get()))
        .clamp(1, n.max(1));
    // Below some 65,000 input numbers a thread costs more than it saves.
    let threads = if n * data.input_len() < 1 << 16 { 1 } else { threads };
    let mut out = vec![T::default(); n];
    let chunk = n.div_ceil(threads).max(1);
    let fill = |c: usize, part: &mut [T]| {
        for (k, f) in part.iter_mut().enumerate() {
            *f = each(data.sample(c * chunk + k));
        }
    };
    if threads == 1 {
        fill(0, &mut out);
    } else {
        std::thread::scope(|scope| {
            for (c, part) in out.chunks_mut(chunk).enumerate() {
                let fill = &fill;
                scope.spawn(move || fill(c, part));
            }
        });
    }
    out
}

/// Evaluates the network for fixed filters on any number of inputs: the patch map and the units
/// with a non-zero output weight are worked out once.
pub(crate) struct Predictor<'a> {
    model: &'a Model,
    w: &'a [f64],
    /// The biases (empty without `bias`).
    b: &'a [f64],
    /// The output's offset `c` (0 without `+ offset`).
    offset: f64,
    /// The units `(m, k)` with `u_mk ≠ 0`.
    units: Vec<Unit>,
}

/// One unit of [`Predictor`]: filter `m`, weight `u_mk`, and the taps `(j, input index)` of its
/// patch off the padding.
type Unit = (usize, f64, Vec<(usize, usize)>);

impl<'a> Predictor<'a> {
    pub(crate) fn new(model: &'a Model, w: &'a [f64], b: &'a [f64]) -> Self {
        let net = &model.network;
        let patches = &model.geometry;
        let units =
            model.units().into_iter().map(|(m, k)| (m, model.u(m, k), patches.of(k).to_vec())).collect();
        let (b, offset) = net.split_extras(b);
        Predictor { model, w, b, offset: offset.unwrap_or(0.0), units }
    }

    /// Every unit's filter and pre-activation `z_mk` on input `x`, in the order of the units.
    pub(crate) fn pre_activations<'x>(&'x self, x: &'x [f64]) -> impl Iterator<Item = (usize, f64)> + 'x {
        self.units.iter().map(move |(m, _, taps)| (*m, self.pre_activation(*m, taps, x)))
    }

    /// `z = ⟨w_m, x_k⟩ + b_m` of filter `m` on the patch of input `x` whose taps are `taps`.
    #[inline]
    fn pre_activation(&self, m: usize, taps: &[(usize, usize)], x: &[f64]) -> f64 {
        let d = self.model.network.d();
        let wm = &self.w[m * d..(m + 1) * d];
        let mut z = self.b.get(m).copied().unwrap_or(0.0);
        for &(j, src) in taps {
            z += wm[j] * x[src];
        }
        z
    }

    /// `f(x; w, b)` for one input `x`, summing in the same order as the units are listed.
    #[inline]
    fn predict(&self, x: &[f64]) -> f64 {
        let mut f = 0.0;
        for (m, u, taps) in &self.units {
            f += u * self.model.activation.eval(self.pre_activation(*m, taps, x));
        }
        f + self.offset
    }

    /// [`Predictor::predict`] and the size of the terms it sums — the first-order bound on the
    /// rounding of every term: `Σ |u| max(|σ(z)|, |σ'(z)| Z) + |c|`, `Z = |b| + Σ |w_j x_j|` the size of
    /// the pre-activation's terms. A flat piece of `σ` (ReLU's zero side) adds nothing: its
    /// output does not depend on `z` there.
    #[inline]
    pub(crate) fn predict_with_size(&self, x: &[f64]) -> (f64, f64) {
        let d = self.model.network.d();
        let (mut f, mut size) = (0.0, 0.0);
        for (m, u, taps) in &self.units {
            let wm = &self.w[*m * d..(*m + 1) * d];
            let bias = self.b.get(*m).copied().unwrap_or(0.0);
            let (mut z, mut terms) = (bias, bias.abs());
            for &(j, src) in taps {
                let t = wm[j] * x[src];
                z += t;
                terms += t.abs();
            }
            if z.is_nan() {
                // ReLU's `max(0, NaN)` is 0: a NaN filter would fit every sample.
                return (f64::NAN, f64::NAN);
            }
            // The same value as `predict`'s `eval` (the same operations in the same order, up to
            // the sign of a zero).
            let (value, slope) = self.model.activation.value_and_slope(z);
            f += u * value;
            size += u.abs() * value.abs().max(slope.abs() * terms);
        }
        (f + self.offset, size + self.offset.abs())
    }

    /// [`Predictor::predict`] and its subgradient in `(w, b)` (see [`Model::predict_with_slope`]).
    fn predict_with_slope(&self, x: &[f64], slope: &mut [f64]) -> f64 {
        let d = self.model.network.d();
        let md = self.model.network.filters * d;
        slope.iter_mut().for_each(|s| *s = 0.0);
        let mut f = 0.0;
        for (m, u, taps) in &self.units {
            let (value, dz) = self.model.activation.value_and_slope(self.pre_activation(*m, taps, x));
            f += u * value;
            let weight = u * dz;
            if weight != 0.0 {
                for &(j, src) in taps {
                    slope[m * d + j] += weight * x[src];
                }
                if !self.b.is_empty() {
                    slope[md + m] += weight;
                }
            }
        }
        if self.model.network.offset {
            slope[md + self.b.len()] = 1.0;
        }
        f + self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check, MemoryFiles, FILTER_ORDER, FILTER_SIGN};

    /// A model with `filters` filters of size 2 on an input of 4 (two patches), the planted filters
    /// `star`, and the activation and output weights given.
    fn model(filters: usize, activation: &str, output: &str, star: &[f64]) -> Model {
        let list: Vec<String> = star.iter().map(f64::to_string).collect();
        let text = format!(
            "network {{ input 4 conv kernel 2 stride 2 filters {filters} activation {activation} output {output} }}
             data planted {{ samples 3 seed 1 filter [{}] }}
             relax {{ anchor planted }}",
            list.join(", ")
        );
        let file = cnr_syntax::parse(&text).expect("the test model parses");
        check(&file, "sym", &MemoryFiles::default(), &Overrides::default()).expect("the test model checks")
    }

    fn error(m: &Model, w: &[f64]) -> (Option<f64>, Vec<&'static str>) {
        let fit = m.fit_of(&[0.0], w);
        (fit.recovery_error, fit.symmetries)
    }

    #[test]
    fn filters_with_equal_output_weights_may_come_back_in_any_order() {
        let m = model(2, "relu", "ones", &[1.0, 2.0, 3.0, 4.0]);
        let (e, s) = error(&m, &[3.0, 4.0, 1.0, 2.0]);
        assert_eq!((e, s), (Some(0.0), vec![FILTER_ORDER]));
        // A wrong filter still counts, after the best matching.
        let (e, _) = error(&m, &[3.0, 4.0, 1.0, 3.0]);
        assert!((e.expect("error") - 1.0 / 30f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn filters_with_different_output_weights_keep_their_order() {
        let m = model(2, "relu", "[1, 1, 2, 2]", &[1.0, 2.0, 3.0, 4.0]);
        let (e, s) = error(&m, &[3.0, 4.0, 1.0, 2.0]);
        assert!(s.is_empty(), "{s:?}");
        assert!((e.expect("error") - (16.0f64 / 30.0).sqrt()).abs() < 1e-12, "{e:?}");
    }

    #[test]
    fn an_even_activation_frees_the_sign_of_each_filter() {
        let m = model(2, "abs", "ones", &[1.0, 2.0, 3.0, 4.0]);
        // One filter negated, and the two swapped.
        let (e, s) = error(&m, &[3.0, 4.0, -1.0, -2.0]);
        assert_eq!((e, s), (Some(0.0), vec![FILTER_ORDER, FILTER_SIGN]));
        let relu = model(2, "relu", "ones", &[1.0, 2.0, 3.0, 4.0]);
        assert!(error(&relu, &[3.0, 4.0, -1.0, -2.0]).0.expect("error") > 0.5);
    }

    #[test]
    fn eight_filters_in_a_random_order_are_matched() {
        let star: Vec<f64> = (0..16).map(|k| (k as f64 * 0.37).sin()).collect();
        let m = model(8, "square", "ones", &star);
        // The permutation 3 1 7 0 5 2 6 4, with every other filter negated.
        let order = [3, 1, 7, 0, 5, 2, 6, 4];
        let w: Vec<f64> = order
            .iter()
            .enumerate()
            .flat_map(|(k, &m)| star[2 * m..2 * m + 2].iter().map(move |v| if k % 2 == 0 { -v } else { *v }))
            .collect();
        let (e, _) = error(&m, &w);
        assert!(e.expect("error") < 1e-15, "{e:?}");
    }

    #[test]
    fn a_zero_planted_filter_has_no_relative_error() {
        let m = model(1, "relu", "ones", &[0.0, 0.0]);
        let fit = m.fit_of(&[0.0], &[0.3, -0.4]);
        assert_eq!(fit.recovery_error, None);
        assert!((fit.recovery_distance.expect("distance") - 0.5).abs() < 1e-15);
    }
}
