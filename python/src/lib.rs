//! The native half of the Python package `cnr` (`cnr._cnr`): each function takes a model's text and
//! its settings, runs the driver with the GIL released, and returns JSON text or NumPy arrays that
//! `cnr/__init__.py` wraps. Arrays come in without a copy (read-only views of NumPy's memory).

use cnr_driver::files::DiskFiles;
use cnr_driver::{Arrays, Error, Hooks, MethodChoice, ProgramFormat, ProgramRequest, Request, Setting};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pyo3::create_exception!(_cnr, CnrError, PyException, "Base class of cnr's errors.");
pyo3::create_exception!(
    _cnr,
    ModelError,
    CnrError,
    "The model does not compile: `diagnostics` says where and why."
);
pyo3::create_exception!(_cnr, SolveError, CnrError, "The solve could not run to a status.");

/// A flag another thread sets to stop a solve or a sweep (`cnr.Cancel`).
#[pyclass(module = "cnr._cnr", frozen)]
struct Cancel(Arc<AtomicBool>);

#[pymethods]
impl Cancel {
    #[new]
    fn new() -> Self {
        Cancel(Arc::new(AtomicBool::new(false)))
    }

    /// Asks the solve or sweep that holds this flag to stop; it raises `KeyboardInterrupt`.
    fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether `cancel()` was called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Where a model comes from: its text, the name diagnostics show, and the folder its data files are
/// read from.
struct Source {
    text: String,
    name: String,
    files: DiskFiles,
}

impl Source {
    fn new(text: String, name: String, base: Option<String>) -> Source {
        let base = base.unwrap_or_else(|| ".".into());
        Source { text, name, files: DiskFiles::beside(&Path::new(&base).join("model.cnr")) }
    }

    /// A request for this model with `settings` (each `(kind, key, value)`: `set`, `unset`,
    /// `param`, `samples`, `seed`, `noise`).
    fn request(&self, settings: &[(String, String, String)]) -> PyResult<Request<'_>> {
        let mut request = Request::new(&self.text, &self.name).with_files(&self.files);
        for (kind, key, value) in settings {
            let number = |what: &str| {
                value
                    .parse::<f64>()
                    .map_err(|_| PyValueError::new_err(format!("{what} must be a number, found `{value}`")))
            };
            let whole = |what: &str| {
                value.parse::<u64>().map_err(|_| {
                    PyValueError::new_err(format!("{what} must be a whole number ≥ 0, found `{value}`"))
                })
            };
            request.settings.push(match kind.as_str() {
                "set" => Setting::Statement { key: key.clone(), value: value.clone() },
                "unset" => Setting::Unset { key: key.clone() },
                "param" => Setting::Param { name: key.clone(), value: value.clone() },
                "samples" => Setting::Samples(whole("samples")?),
                "seed" => Setting::Seed(whole("seed")?),
                "noise" => Setting::Noise(number("noise")?),
                other => return Err(PyValueError::new_err(format!("unknown setting kind `{other}`"))),
            });
        }
        Ok(request)
    }
}

/// The one way a model's entry point runs: the request of `source` with `settings`, handed with
/// the hooks to `call` on a worker thread ([`run_released`]).
fn run_model<T: Send>(
    py: Python<'_>,
    source: Source,
    settings: &[(String, String, String)],
    cancel: Option<&Cancel>,
    call: impl FnOnce(&Request<'_>) -> Result<T, Error> + Send,
) -> PyResult<T> {
    let mut request = source.request(settings)?;
    run_released(py, cancel, |hooks| {
        request.hooks = hooks;
        call(&request)
    })
}

/// Turns the driver's error into the Python exception for it: a model's errors carry their
/// diagnostics (line, column, message, label, hints, severity) besides the rendered text.
fn raise(py: Python<'_>, e: Error) -> PyErr {
    match e {
        Error::Model(errors) => {
            let err = ModelError::new_err(errors.render());
            let list: Vec<Bound<'_, PyDict>> = errors
                .diagnostics
                .iter()
                .map(|d| {
                    let dict = PyDict::new(py);
                    let at = errors.sources.locate(d);
                    let _ = dict.set_item("severity", format!("{:?}", d.severity).to_lowercase());
                    let _ = dict.set_item("message", &d.message);
                    let _ = dict.set_item("label", &d.label);
                    let _ = dict.set_item("hints", &d.hints);
                    let _ = dict.set_item("source", at.as_ref().map(|l| l.source.clone()));
                    let _ = dict.set_item("line", at.as_ref().map(|l| l.line));
                    let _ = dict.set_item("column", at.as_ref().map(|l| l.column));
                    dict
                })
                .collect();
            let _ = err.value(py).setattr("diagnostics", list);
            err
        }
        Error::Cancelled => PyKeyboardInterrupt::new_err("cancelled"),
        Error::Usage(message) => PyValueError::new_err(message),
        other => SolveError::new_err(other.to_string()),
    }
}

/// Runs `work` on another thread with the GIL released, checking Python's signals every 50 ms on
/// this one: Ctrl-C (or `cancel`) sets the driver's cancel flag, the work stops at its next check,
/// and the call raises `KeyboardInterrupt` once it has, leaving nothing running.
fn run_released<T: Send>(
    py: Python<'_>,
    cancel: Option<&Cancel>,
    work: impl FnOnce(Hooks) -> Result<T, Error> + Send,
) -> PyResult<T> {
    let flag = cancel.map_or_else(|| Arc::new(AtomicBool::new(false)), |c| c.0.clone());
    let hooks = Hooks { progress: None, cancel: Some(flag.clone()) };
    let mut interrupt = None;
    let result = std::thread::scope(|scope| {
        let (done, finished) = std::sync::mpsc::channel();
        scope.spawn(move || {
            let _ = done.send(work(hooks));
        });
        let mut finished = Some(finished);
        loop {
            // The receiver goes into the GIL-free closure and comes back out (it is not `Sync`).
            let receiver = finished.take().expect("put back after each wait");
            let (waited, receiver) =
                py.detach(move || (receiver.recv_timeout(Duration::from_millis(50)), receiver));
            finished = Some(receiver);
            match waited {
                Ok(result) => break result,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if interrupt.is_none() {
                        if let Err(e) = py.check_signals() {
                            flag.store(true, Ordering::Relaxed);
                            interrupt = Some(e);
                        }
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    break Err(Error::Usage("the solve stopped without an answer (a panic)".into()))
                }
            }
        }
    });
    match (result, interrupt) {
        (_, Some(e)) => Err(e),
        (Ok(value), None) => Ok(value),
        (Err(e), None) => Err(raise(py, e)),
    }
}

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| SolveError::new_err(e.to_string()))
}

fn method(name: &str) -> PyResult<MethodChoice> {
    Ok(match name {
        "auto" => MethodChoice::Auto,
        "full" => MethodChoice::Full,
        "cutting-plane" | "cutting_plane" => MethodChoice::CuttingPlane,
        "wspace" => MethodChoice::WSpace,
        "first-order" | "first_order" => MethodChoice::FirstOrder,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown method `{other}`: auto, full, cutting-plane, wspace or first-order"
            )))
        }
    })
}

fn backend(name: Option<&str>) -> PyResult<Option<cnr_driver::Backend>> {
    name.map(|n| cnr_driver::Backend::parse(n).map_err(|e| PyValueError::new_err(e.to_string()))).transpose()
}

/// The model checked, on the arrays when given: its sizes and warnings, as JSON.
#[pyfunction]
#[pyo3(signature = (text, name, base, settings, x=None, y=None))]
fn check(
    py: Python<'_>,
    text: String,
    name: String,
    base: Option<String>,
    settings: Vec<(String, String, String)>,
    x: Option<PyReadonlyArray2<'_, f64>>,
    y: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<String> {
    let source = Source::new(text, name, base);
    let mut request = source.request(&settings)?;
    if let Some(arrays) = arrays(&x, &y, &None, &None, &None, &None)? {
        request = request.with_arrays(arrays);
    }
    let summary = run_released(py, None, |hooks| {
        request.hooks = hooks;
        cnr_driver::compile(&request).map(|c| c.summary())
    })?;
    json(&summary)
}

/// The arrays given for a model, if any: both `x` and `y` or neither, the test set only with them.
fn arrays<'a>(
    x: &'a Option<PyReadonlyArray2<'_, f64>>,
    y: &'a Option<PyReadonlyArray1<'_, f64>>,
    planted: &'a Option<PyReadonlyArray2<'_, f64>>,
    planted_bias: &'a Option<PyReadonlyArray1<'_, f64>>,
    x_test: &'a Option<PyReadonlyArray2<'_, f64>>,
    y_test: &'a Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<Option<Arrays<'a>>> {
    match (x, y) {
        (Some(x), Some(y)) => Ok(Some(Arrays {
            inputs: x.as_array(),
            labels: y.as_array(),
            planted: planted.as_ref().map(|p| p.as_array()),
            planted_bias: planted_bias.as_ref().map(|b| b.as_array()),
            test: match (x_test, y_test) {
                (Some(x), Some(y)) => Some((x.as_array(), y.as_array())),
                (None, None) => None,
                _ => return Err(PyValueError::new_err("give both x_test and y_test, or neither")),
            },
        })),
        (None, None) if x_test.is_some() || y_test.is_some() => {
            Err(PyValueError::new_err("x_test and y_test come with x and y"))
        }
        (None, None) => Ok(None),
        _ => Err(PyValueError::new_err("give both x and y, or neither")),
    }
}

/// Solves the model, on the arrays when given, and returns the record as JSON.
#[pyfunction]
#[pyo3(signature = (text, name, base, settings, x=None, y=None, planted=None, planted_bias=None, x_test=None, y_test=None, method_name="auto", backend_name=None, tolerance=None, threads=None, refine_gd=None, cancel=None))]
#[allow(clippy::too_many_arguments)]
fn solve(
    py: Python<'_>,
    text: String,
    name: String,
    base: Option<String>,
    settings: Vec<(String, String, String)>,
    x: Option<PyReadonlyArray2<'_, f64>>,
    y: Option<PyReadonlyArray1<'_, f64>>,
    planted: Option<PyReadonlyArray2<'_, f64>>,
    planted_bias: Option<PyReadonlyArray1<'_, f64>>,
    x_test: Option<PyReadonlyArray2<'_, f64>>,
    y_test: Option<PyReadonlyArray1<'_, f64>>,
    method_name: &str,
    backend_name: Option<&str>,
    tolerance: Option<f64>,
    threads: Option<usize>,
    refine_gd: Option<usize>,
    cancel: Option<&Cancel>,
) -> PyResult<String> {
    let source = Source::new(text, name, base);
    let mut request = source.request(&settings)?;
    request.method = method(method_name)?;
    request.backend = backend(backend_name)?;
    request.tolerance = tolerance;
    request.limits.threads = threads;
    request.refine_gd = refine_gd;
    if let Some(arrays) = arrays(&x, &y, &planted, &planted_bias, &x_test, &y_test)? {
        request = request.with_arrays(arrays);
    }
    // A model of learned output weights is trained (its record is a training's), as `cnr solve` does.
    run_released(py, cancel, |hooks| {
        request.hooks = hooks;
        let compiled = cnr_driver::compile_for(&request, cnr_driver::Purpose::Solve)?;
        if compiled.model.learn.is_some() {
            return cnr_driver::train_compiled(&compiled, &request).map(|r| serde_json::to_string(&r));
        }
        cnr_driver::solve_compiled(&compiled, &request).map(|r| serde_json::to_string(&r))
    })?
    .map_err(|e| SolveError::new_err(e.to_string()))
}

/// The outputs on `x` (one sample a row) of the model's network with fixed output weights and the
/// filters `w` (`(M, d)`) and extras `b` (the biases, then the offset).
#[pyfunction]
#[pyo3(signature = (text, name, base, settings, w, b, x))]
#[allow(clippy::too_many_arguments)]
fn predict_filters<'py>(
    py: Python<'py>,
    text: String,
    name: String,
    base: Option<String>,
    settings: Vec<(String, String, String)>,
    w: PyReadonlyArray2<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
    x: PyReadonlyArray2<'_, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (w, b): (Vec<f64>, Vec<f64>) = (w.as_array().iter().copied().collect(), b.as_array().to_vec());
    on_inputs(py, Source::new(text, name, base), &settings, &x, |model, inputs| {
        cnr_driver::predict_with_filters(model, &w, &b, inputs, "x")
    })
}

/// The outputs on `x` (one sample a row) of the trained network in `record` (a training's record
/// as JSON), for the model's shapes.
#[pyfunction]
#[pyo3(signature = (text, name, base, settings, record, x))]
fn predict<'py>(
    py: Python<'py>,
    text: String,
    name: String,
    base: Option<String>,
    settings: Vec<(String, String, String)>,
    record: String,
    x: PyReadonlyArray2<'_, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    on_inputs(py, Source::new(text, name, base), &settings, &x, |model, inputs| {
        let network = cnr_driver::read_network("the record", record.as_bytes(), model)?;
        cnr_driver::predict(model, &network, inputs, "x")
    })
}

/// Outputs on the inputs `x`: the model is compiled for its data with `x` in place of its `data`
/// block (labels of zero: only its shapes are used), and `outputs` is given the model and the
/// inputs, with the GIL released.
fn on_inputs<'py>(
    py: Python<'py>,
    source: Source,
    settings: &[(String, String, String)],
    x: &PyReadonlyArray2<'_, f64>,
    outputs: impl FnOnce(&cnr_driver::Model, &[f64]) -> Result<Vec<f64>, Error> + Send,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let mut request = source.request(settings)?;
    let inputs = x.as_array();
    let labels = numpy::ndarray::Array1::<f64>::zeros(inputs.nrows());
    request = request.with_arrays(Arrays {
        inputs,
        labels: labels.view(),
        planted: None,
        planted_bias: None,
        test: None,
    });
    let values: Vec<f64> = inputs.iter().copied().collect();
    let y = run_released(py, None, |hooks| {
        request.hooks = hooks;
        let compiled = cnr_driver::compile_for(&request, cnr_driver::Purpose::Data)?;
        outputs(&compiled.model, &values)
    })?;
    Ok(PyArray1::from_vec(py, y))
}

/// The model's data: inputs (one sample a row), labels, and the planted filters and biases when
/// known, as NumPy arrays.
#[pyfunction]
#[pyo3(signature = (text, name, base, settings))]
fn data<'py>(
    py: Python<'py>,
    text: String,
    name: String,
    base: Option<String>,
    settings: Vec<(String, String, String)>,
) -> PyResult<Bound<'py, PyDict>> {
    let compiled = run_model(py, Source::new(text, name, base), &settings, None, |request| {
        cnr_driver::compile_for(request, cnr_driver::Purpose::Data)
    })?;
    let data = &compiled.model.data;
    let (filters, d) = (compiled.model.network.filters, compiled.model.network.d());
    let out = PyDict::new(py);
    let x = PyArray1::from_slice(py, &data.x).reshape([data.n, data.input_len()])?;
    out.set_item("x", x)?;
    out.set_item("y", PyArray1::from_slice(py, &data.y))?;
    if let Some(w) = &data.planted {
        out.set_item("planted", PyArray1::from_slice(py, w).reshape([filters, d])?)?;
    }
    if let Some(b) = &data.planted_bias {
        out.set_item("planted_bias", PyArray1::from_slice(py, b))?;
    }
    if let Some(test) = &data.test {
        let x = PyArray1::from_slice(py, &test.x).reshape([test.n, test.input_len()])?;
        out.set_item("x_test", x)?;
        out.set_item("y_test", PyArray1::from_slice(py, &test.y))?;
    }
    Ok(out)
}

/// The model's fit of the filters `w` (`(M, d)`) and biases `b`, as JSON.
#[pyfunction]
#[pyo3(signature = (text, name, base, settings, w, b=None))]
fn evaluate(
    py: Python<'_>,
    text: String,
    name: String,
    base: Option<String>,
    settings: Vec<(String, String, String)>,
    w: PyReadonlyArray2<'_, f64>,
    b: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<String> {
    let w: Vec<f64> = w.as_array().iter().copied().collect();
    let b: Option<Vec<f64>> = b.map(|b| b.as_array().to_vec());
    let (_, record) = run_model(py, Source::new(text, name, base), &settings, None, |request| {
        cnr_driver::evaluate(request, (&w, "w"), b.as_deref().map(|b| (b, "b")))
    })?;
    json(&record)
}

/// The model's cone program as CBF, JSON or the IR's printed form.
#[pyfunction]
#[pyo3(signature = (text, name, base, settings, emit))]
fn compile(
    py: Python<'_>,
    text: String,
    name: String,
    base: Option<String>,
    settings: Vec<(String, String, String)>,
    emit: &str,
) -> PyResult<String> {
    let format = match emit {
        "cbf" => ProgramFormat::Cbf,
        "json" => ProgramFormat::Json,
        "ir" => ProgramFormat::Ir,
        other => return Err(PyValueError::new_err(format!("unknown emit `{other}`: cbf, json or ir"))),
    };
    let bytes = run_model(py, Source::new(text, name, base), &settings, None, |request| {
        let (_, program) = cnr_driver::lower(request)?;
        cnr_driver::write_program(&program, format)
    })?;
    String::from_utf8(bytes).map_err(|e| SolveError::new_err(e.to_string()))
}

/// Solves a cone program given as CBF or JSON text; the record as JSON.
#[pyfunction]
#[pyo3(signature = (text, name, json_format, tolerance=None, cancel=None))]
fn solve_program(
    py: Python<'_>,
    text: String,
    name: String,
    json_format: bool,
    tolerance: Option<f64>,
    cancel: Option<&Cancel>,
) -> PyResult<String> {
    let format = if json_format { ProgramFormat::Json } else { ProgramFormat::Cbf };
    let record = run_released(py, cancel, |hooks| {
        let (program, seconds) = cnr_driver::read_program(&text, format, &name, &name, None)?;
        let request = ProgramRequest { tolerance, hooks, ..ProgramRequest::default() };
        cnr_driver::solve_program(&program, &request, seconds)
    })?;
    json(&record)
}

mod sweep;

#[pymodule]
fn _cnr(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Cancel>()?;
    m.add("CnrError", m.py().get_type::<CnrError>())?;
    m.add("ModelError", m.py().get_type::<ModelError>())?;
    m.add("SolveError", m.py().get_type::<SolveError>())?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(solve, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add_function(wrap_pyfunction!(predict_filters, m)?)?;
    m.add_function(wrap_pyfunction!(data, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(solve_program, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
