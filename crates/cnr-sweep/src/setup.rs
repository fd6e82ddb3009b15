//! The one constructor of a sweep ([`Experiment::new`]): the flags over the model's `sweep { … }`
//! block, the grid, the defaults, and the sweep's size held to the memory budget before anything
//! is allocated for its trials. The binary and the Python package both build their sweeps here.

use crate::grid::{Grid, ListError};
use crate::spec::SweepSpec;
use crate::{results, Experiment};
use cnr_driver::{Backend, GdBudget, Limits, MethodChoice, ModelErrors, Setting};

/// Trials per cell when neither the flags nor the model say.
pub const DEFAULT_TRIALS: u64 = 20;

/// The success threshold on the recovery error when neither the flags nor the model say.
pub const DEFAULT_THRESHOLD: f64 = 1e-4;

/// Bytes a trial takes in memory while a sweep runs: its unit, and its rows kept for the summary.
const BYTES_PER_TRIAL: u128 = 512;

/// What a caller asks of a sweep.
#[derive(Clone, Debug)]
pub struct SweepRequest {
    /// The model's text.
    pub text: String,
    /// The model's name when it declares none (the file's stem).
    pub name: String,
    /// The name diagnostics show for the model's text (its path).
    pub source_name: String,
    /// The flags' axes and settings, which win over the model's block axis by axis.
    pub flags: SweepSpec,
    /// Settings of every cell.
    pub settings: Vec<Setting>,
    /// With `--refine-gd`: the gradient steps from each relaxation's point.
    pub refine_gd: Option<usize>,
    /// How each trial's relaxation is solved.
    pub method: MethodChoice,
    /// The backend (`None`: the model's).
    pub backend: Option<Backend>,
    /// The memory budget of the whole sweep (`None`: the driver's default), shared by the trials
    /// that run at once.
    pub max_memory: Option<u64>,
    /// Trials run at once.
    pub jobs: usize,
    /// The shards the grid is split into (1: the whole).
    pub shards: usize,
}

/// Why a sweep's specification cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The model's `sweep { … }` block has entries that do not read.
    #[error("{}", .0.render())]
    Block(Box<ModelErrors>),
    /// The grid, as the flags and the block make it, is not one (a parameter named like a column,
    /// negative noise, …): said in words, naming the flag or entry.
    #[error("{0}")]
    Grid(ListError),
    /// The trials' seeds would pass the largest seed a model takes.
    #[error("the seeds {seed} … {seed} + {trials} pass 2^53 − 1, the largest a model takes: choose a smaller --seed")]
    Seeds {
        /// The seed of trial 0.
        seed: u64,
        /// Trials per cell.
        trials: usize,
    },
    /// The grid's trials cannot be counted.
    #[error("the grid's cells ({} values on its axes) times {trials} trials overflow a count; use fewer values", times(.sizes))]
    Uncountable {
        /// The values per axis.
        sizes: Vec<usize>,
        /// Trials per cell.
        trials: usize,
    },
    /// The grid's trials would not fit the memory budget.
    #[error("the grid has {units} trials ({} values on its axes, {trials} trials each), which need about {} MiB, more than the memory budget of {} MiB; use fewer values or trials, or split it with --shard", times(.sizes), .need >> 20, .budget >> 20)]
    OverBudget {
        /// The trials.
        units: usize,
        /// The values per axis.
        sizes: Vec<usize>,
        /// Trials per cell.
        trials: usize,
        /// The bytes they need.
        need: u128,
        /// The budget.
        budget: u64,
    },
}

impl Experiment {
    /// The sweep a caller asks for: the flags over the model's `sweep { … }` block, the grid, the
    /// defaults ([`DEFAULT_TRIALS`], [`DEFAULT_THRESHOLD`], the driver's memory budget), the size
    /// checked against the budget, and each trial's share of it.
    pub fn new(request: SweepRequest) -> Result<Experiment, SpecError> {
        let block = SweepSpec::of_model(&request.text, &request.source_name).map_err(SpecError::Block)?;
        let spec = request.flags.over(block);
        let grid = spec.grid(&results::reserved_columns()).map_err(SpecError::Grid)?;
        let trials = spec.trials.unwrap_or(DEFAULT_TRIALS) as usize;
        let budget = Limits { max_memory: request.max_memory, ..Limits::default() }.memory_budget();
        check_size(&grid, trials, budget, request.shards)?;
        Ok(Experiment {
            text: request.text,
            name: request.name,
            source_name: request.source_name,
            grid,
            trials,
            seed: spec.seed,
            threshold: spec.threshold.unwrap_or(DEFAULT_THRESHOLD),
            baseline: spec.baseline.unwrap_or(false).then(GdBudget::default),
            refine_gd: request.refine_gd,
            settings: request.settings,
            method: request.method,
            backend: request.backend,
            max_memory: Some(budget / request.jobs.max(1) as u64),
        })
    }
}

/// The values per axis as `3 × 4 × 2`.
fn times(sizes: &[usize]) -> String {
    sizes.iter().map(usize::to_string).collect::<Vec<_>>().join(" × ")
}

/// Refuses a grid whose trials cannot be counted, or would not fit the memory budget.
fn check_size(grid: &Grid, trials: usize, budget: u64, shards: usize) -> Result<(), SpecError> {
    let sizes: Vec<usize> = grid.axes.iter().map(|a| a.len()).collect();
    let Some(units) = grid.checked_cells().and_then(|cells| cells.checked_mul(trials)) else {
        return Err(SpecError::Uncountable { sizes, trials });
    };
    let need = (units / shards.max(1)) as u128 * BYTES_PER_TRIAL;
    if need > u128::from(budget) {
        return Err(SpecError::OverBudget { units, sizes, trials, need, budget });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Axis;

    fn request(text: &str) -> SweepRequest {
        SweepRequest {
            text: text.into(),
            name: "m".into(),
            source_name: "m.cnr".into(),
            flags: SweepSpec::default(),
            settings: Vec::new(),
            refine_gd: None,
            method: MethodChoice::Auto,
            backend: None,
            max_memory: Some(1 << 30),
            jobs: 4,
            shards: 1,
        }
    }

    const MODEL: &str = "network { input 8 conv kernel 4 stride 4 activation relu output ones }
                         data planted { samples 8 seed 1 }
                         sweep { ratio 1,2 trials 5 }";

    #[test]
    fn the_flags_win_over_the_block_and_the_defaults_fill_the_rest() {
        let e = Experiment::new(request(MODEL)).unwrap();
        assert_eq!(e.grid.axes, [Axis::Ratio { values: vec![1.0, 2.0] }]);
        assert_eq!((e.trials, e.threshold, e.baseline), (5, DEFAULT_THRESHOLD, None));
        assert_eq!(e.max_memory, Some((1 << 30) / 4), "each of the 4 jobs gets its share");
        let mut flags = request(MODEL);
        flags.flags.trials = Some(7);
        flags.flags.counts = Some(Axis::Samples { values: vec![4] });
        let e = Experiment::new(flags).unwrap();
        assert_eq!((e.trials, e.grid.axes.clone()), (7, vec![Axis::Samples { values: vec![4] }]));
        let mut plain = request("network { input 8 conv kernel 4 stride 4 activation relu output ones } data planted { samples 8 seed 1 }");
        plain.flags.counts = Some(Axis::Samples { values: vec![4] });
        assert_eq!(Experiment::new(plain).unwrap().trials, DEFAULT_TRIALS as usize);
    }

    #[test]
    fn a_grid_too_large_for_the_budget_is_refused_before_it_runs() {
        let mut big = request(MODEL);
        big.flags.trials = Some(100_000);
        big.flags.counts = Some(Axis::Ratio { values: (1..=10_000).map(f64::from).collect() });
        match Experiment::new(big.clone()) {
            Err(e @ SpecError::OverBudget { units: 1_000_000_000, .. }) => {
                assert!(e.to_string().contains("--shard"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        // Split into shards, each part fits.
        big.shards = 1000;
        assert!(Experiment::new(big).is_ok());
    }

    #[test]
    fn a_block_entry_that_does_not_read_is_a_diagnostic_at_its_value() {
        let text = MODEL.replace("trials 5", "trials lots");
        match Experiment::new(request(&text)) {
            Err(SpecError::Block(errors)) => {
                assert!(errors.render().contains("sweep trials"), "{}", errors.render())
            }
            other => panic!("{other:?}"),
        }
    }
}
