//! The request: everything a caller hands the driver for one model — its text, its data, the
//! settings that change it, how to solve it, the limits and the hooks — as typed values.

use crate::Setting;
use crate::{Backend, MethodChoice};
use cnr_check::Files;
use ndarray::{ArrayView1, ArrayView2};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One model to compile, solve, evaluate or export.
///
/// ```
/// use cnr_driver::{Request, Setting};
/// let text = "network { input 8 conv kernel 4 stride 4 activation relu output ones }
///             data planted { samples 24 seed 1 }";
/// let request = Request::new(text, "tiny").with(Setting::Seed(3));
/// let solved = cnr_driver::solve(&request).unwrap();
/// assert_eq!(solved.record.status, cnr_driver::Status::Optimal);
/// assert!(solved.record.recovery_error.unwrap() < 1e-6);
/// ```
#[derive(Clone)]
pub struct Request<'a> {
    /// The model's text.
    pub text: &'a str,
    /// The name diagnostics show for the text (the path as the user gave it).
    pub source_name: &'a str,
    /// The model's name when it declares none (the file's stem).
    pub default_name: &'a str,
    /// Where the data come from.
    pub data: DataInput<'a>,
    /// Changes to the model, applied in order (parameters before statements).
    pub settings: Vec<Setting>,
    /// The backend; `None`: the model's, else Clarabel.
    pub backend: Option<Backend>,
    /// How the relaxation is solved.
    pub method: MethodChoice,
    /// Absolute and relative tolerance; `None`: the model's.
    pub tolerance: Option<f64>,
    /// Whether the backend prints its log (on standard error).
    pub verbose: bool,
    /// Memory, threads and time.
    pub limits: Limits,
    /// Progress and cancellation.
    pub hooks: Hooks,
    /// `--refine gd`: after the relaxation, at most this many gradient steps on the training loss
    /// from its point (the record's `refined`).
    pub refine_gd: Option<usize>,
}

impl<'a> Request<'a> {
    /// A request for the model `text`, named `name` in diagnostics and as its default name, with
    /// no data files (planted data, or arrays given with [`Request::with_arrays`]).
    pub fn new(text: &'a str, name: &'a str) -> Self {
        Request {
            text,
            source_name: name,
            default_name: name,
            data: DataInput::None,
            settings: Vec::new(),
            backend: None,
            method: MethodChoice::Auto,
            tolerance: None,
            verbose: false,
            limits: Limits::default(),
            hooks: Hooks::default(),
            refine_gd: None,
        }
    }

    /// Data files read through `files` (paths as the model writes them).
    pub fn with_files(mut self, files: &'a (dyn Files + Sync)) -> Self {
        self.data = DataInput::Files(files);
        self
    }

    /// Data given as arrays, in place of the model's `data` block.
    pub fn with_arrays(mut self, arrays: Arrays<'a>) -> Self {
        self.data = DataInput::Arrays(arrays);
        self
    }

    /// One more setting.
    pub fn with(mut self, setting: Setting) -> Self {
        self.settings.push(setting);
        self
    }
}

/// Where a model's data come from.
#[derive(Clone, Copy)]
pub enum DataInput<'a> {
    /// Only what the model draws itself (`data planted`); a `data files` block finds no file.
    None,
    /// Files named by the model's `data files` block, read through this.
    Files(&'a (dyn Files + Sync)),
    /// Arrays that replace the model's `data` block.
    Arrays(Arrays<'a>),
}

/// Data as arrays: inputs `n × (C·H·W)`, `n` labels, and when known the planted filters `M × d`
/// and biases (`M`).
#[derive(Clone, Copy, Debug)]
pub struct Arrays<'a> {
    /// The inputs, one sample a row (flattened channel, row, column).
    pub inputs: ArrayView2<'a, f64>,
    /// The labels.
    pub labels: ArrayView1<'a, f64>,
    /// The planted filters, one a row.
    pub planted: Option<ArrayView2<'a, f64>>,
    /// The planted biases.
    pub planted_bias: Option<ArrayView1<'a, f64>>,
    /// A held-out test set, inputs and labels shaped as `inputs` and `labels`: only its loss is
    /// reported.
    pub test: Option<(ArrayView2<'a, f64>, ArrayView1<'a, f64>)>,
}

/// What a command may take of the machine.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    /// The most bytes the model's data and programs may take; `None`: [`default_memory_budget`].
    pub max_memory: Option<u64>,
    /// Threads for lowering and evaluating; `None`: as many as pay off (a sweep passes 1).
    pub threads: Option<usize>,
    /// Seconds for the solver; `None`: the model's `time_limit`.
    pub time_limit: Option<f64>,
}

impl Limits {
    /// The memory budget: the one given, else [`default_memory_budget`]. Every part of cnr that
    /// needs the budget resolves it here.
    pub fn memory_budget(&self) -> u64 {
        self.max_memory.unwrap_or_else(default_memory_budget)
    }
}

/// The memory budget when none is given: half of the machine's memory (`MemTotal` in
/// `/proc/meminfo`), which leaves room for the solver's own work; 8 GiB where that is unknown.
pub fn default_memory_budget() -> u64 {
    let total = cnr_fs::machine::memory_total();
    total.map_or(cnr_check::budget::DEFAULT_BYTES, |bytes| bytes / 2)
}

/// Something told every [`Event`].
pub type ProgressHook = Arc<dyn Fn(&Event) + Send + Sync>;

/// What the caller is told while the driver works, and how it asks the driver to stop.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Told every [`Event`].
    pub progress: Option<ProgressHook>,
    /// Set to `true` to stop: lowering, evaluation and the solver's iterations check it, and the
    /// call returns [`crate::Error::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel.is_some())
            .finish()
    }
}

impl Hooks {
    /// Tells the progress hook.
    pub(crate) fn tell(&self, event: Event) {
        if let Some(p) = &self.progress {
            p(&event)
        }
    }

    /// Whether the caller asked to stop.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// The watcher of a backend's iterations: each is told as an [`Event::Iteration`], and the
    /// solve stops when the caller asks.
    pub(crate) fn call_watch(&self) -> cnr_solve::CallWatch {
        let hooks = self.clone();
        Arc::new(move |it: &cnr_solve::Iteration| {
            let cnr_solve::Iteration { rows, backend, call, iteration, gap } = *it;
            hooks.tell(Event::Iteration { rows, backend, call, iteration, gap });
            hooks.cancelled()
        })
    }

    /// `Err(Cancelled)` when the caller asked to stop.
    pub(crate) fn check(&self) -> Result<(), crate::Error> {
        if self.cancelled() {
            Err(crate::Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Where a solve is, as numbers: for a progress display, a log or a notebook.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Lowering the relaxation of `samples` samples.
    Lowering {
        /// Samples in the program.
        samples: usize,
    },
    /// A backend starts on a program of `rows` rows.
    Solving {
        /// Rows of the program.
        rows: usize,
        /// The backend.
        backend: &'static str,
    },
    /// An iteration of the backend.
    Iteration {
        /// Rows of the program.
        rows: usize,
        /// The backend.
        backend: &'static str,
        /// Which call of the backend on this program (1 unless retried).
        call: u32,
        /// The iteration.
        iteration: u32,
        /// The relative duality gap.
        gap: f64,
    },
    /// A cutting-plane round checks every sample at its point.
    Checking {
        /// The round.
        round: u32,
        /// Samples checked.
        samples: usize,
    },
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Lowering { samples } => write!(f, "lowering {samples} samples"),
            Event::Solving { rows, backend } => write!(f, "solving {rows} rows with {backend}"),
            Event::Iteration { rows, backend, call, iteration, gap } => write!(
                f,
                "solving {rows} rows with {backend} (call {call}): iteration {iteration}, gap {gap:.1e}"
            ),
            Event::Checking { round, samples } => write!(f, "round {round}: checking all {samples} samples"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_cancel_flag_is_seen() {
        let flag = Arc::new(AtomicBool::new(false));
        let hooks = Hooks { cancel: Some(flag.clone()), ..Hooks::default() };
        assert!(hooks.check().is_ok());
        flag.store(true, Ordering::Relaxed);
        assert!(matches!(hooks.check(), Err(crate::Error::Cancelled)));
    }
}
