"""cnr: convex relaxations of one-hidden-layer CNNs, from Python.

A model is the text of a ``.cnr`` file (docs/language.md); ``Model.solve`` runs the same pipeline
as ``cnr solve`` — parse, check, lower, solve, check the answer on the model — on the model's own
data or on NumPy arrays, and returns its record. ``sweep`` runs a phase-transition experiment as
``cnr sweep`` does. Solves release the GIL; Ctrl-C, or ``Cancel.cancel()`` from another thread,
stops them with ``KeyboardInterrupt`` and leaves nothing running.
"""

import builtins as _builtins
import html as _html
import json as _json
import os as _os

import numpy as _np

from . import _cnr
from ._cnr import Cancel, CnrError, SolveError


class ModelError(_cnr.ModelError, ValueError):
    """The model does not compile, or an array or setting given for it is wrong: ``diagnostics``
    says where and why. Also a ``ValueError``, what NumPy users expect of an array of the wrong
    shape."""


class _Native:
    """The extension's functions, with their ``ModelError`` raised as :class:`ModelError`."""

    def __getattr__(self, name):
        function = getattr(_cnr, name)

        def call(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except _cnr.ModelError as e:
                error = ModelError(*e.args)
                error.__dict__.update(e.__dict__)
                raise error from None

        return call


_native = _Native()

__all__ = [
    "ConvexCNN",
    "Model",
    "Record",
    "Rows",
    "Cancel",
    "CnrError",
    "ModelError",
    "SolveError",
    "solve_program",
    "sweep",
    "__version__",
]

__version__ = _cnr.__version__


def _settings(set=None, unset=None, params=None, samples=None, seed=None, noise=None):
    """The changes to a model, as ``cnr solve``'s flags make them: (kind, key, value) triples."""
    out = []
    for name, value in (params or {}).items():
        out.append(("param", str(name), _number(value)))
    for key, value in (set or {}).items():
        out.append(("set", str(key), str(value)))
    for key in unset or ():
        out.append(("unset", str(key), ""))
    if samples is not None:
        out.append(("samples", "", str(int(samples))))
    if seed is not None:
        out.append(("seed", "", str(int(seed))))
    if noise is not None:
        out.append(("noise", "", _number(noise)))
    return out


def _number(value):
    """A number as the model's text writes it (``repr`` keeps every digit of a float)."""
    if isinstance(value, (float, _np.floating)):
        return repr(float(value))
    return str(value)


def _real(a, what):
    """``a`` as C-contiguous float64, refusing complex numbers (NumPy would drop their imaginary
    parts with only a warning)."""
    if _np.iscomplexobj(a):
        raise TypeError(f"{what} holds complex numbers; cnr takes real arrays")
    return _np.ascontiguousarray(a, dtype=_np.float64)


def _matrix(a, what):
    a = _real(a, what)
    if a.ndim == 1:
        a = a.reshape(1, -1) if what in ("planted", "w") else a.reshape(-1, 1)
    if a.ndim != 2:
        raise ValueError(f"{what} must be a 2-d array, found {a.ndim} dimensions")
    return a


def _vector(a, what):
    if a is None:
        return None
    a = _real(a, what)
    if a.ndim != 1:
        raise ValueError(f"{what} must be a 1-d array, found {a.ndim} dimensions")
    return a


class Record:
    """A solve's record: the fields of ``cnr solve --json`` as attributes (``status``,
    ``objective``, ``max_violation``, ``training_loss``, ``test_loss``, ``recovery_error``, ``attempts``,
    ``wspace``, ``cutting_plane``, ``timings``, …), with ``w`` always an ``(M, d)`` array and ``b``
    an ``(M,)`` array or ``None``. ``to_dict()`` gives the record as JSON has it."""

    def __init__(self, fields):
        self._fields = fields
        filters, d = fields.get("filters", 1), fields.get("d", 0)
        w = fields.get("w")
        self.w = None if w is None else _np.asarray(w, dtype=_np.float64).reshape(filters, d)
        b = fields.get("b")
        self.b = None if b is None else _np.asarray(b, dtype=_np.float64).reshape(filters)

    # Fields the JSON record leaves out when they do not apply; here they read as ``None``.
    _OPTIONAL = ("test_loss", "recovery_error", "recovery_distance", "xi", "offset", "refined", "sign_violation", "network")

    def __getattr__(self, name):
        try:
            return self.__dict__["_fields"][name]
        except KeyError:
            if name in Record._OPTIONAL:
                return None
            raise AttributeError(f"the record has no field `{name}`") from None

    def __dir__(self):
        return sorted(set(self._fields) | set(Record._OPTIONAL) | {"w", "b", "to_dict"})

    def to_dict(self):
        """The record as ``cnr solve --json`` writes it."""
        return dict(self._fields)

    def _repr_html_(self):
        """The record's headline figures as an HTML table, for notebooks."""
        shown = []
        for key in ("model", "status", "proven", "method", "backend", "objective", "training_loss",
                    "test_loss", "recovery_error", "max_violation", "gap", "samples"):
            value = self._fields.get(key)
            if value is None:
                continue
            shown.append(f"<tr><th style='text-align:left'>{_html.escape(key)}</th><td>{_cell(value)}</td></tr>")
        return "<table>" + "".join(shown) + "</table>"

    def __repr__(self):
        return (
            f"Record(status={self.status!r}, objective={self.objective!r}, "
            f"recovery_error={self._fields.get('recovery_error')!r})"
        )


class Model:
    """A ``.cnr`` model: ``Model("examples/paper_relu.cnr")`` reads a file (its data files are read
    beside it), ``Model(text)`` takes the text itself (data files relative to ``base``, default the
    working folder)."""

    def __init__(self, source, name=None, base=None):
        path = _os.fspath(source) if isinstance(source, _os.PathLike) else source
        if isinstance(path, str) and "\n" not in path and path.endswith(".cnr"):
            with open(path, encoding="utf-8") as f:
                self.text = f.read()
            self.name = name or path
            self.base = base or (_os.path.dirname(path) or ".")
            self.path = path
        else:
            self.text = str(source)
            self.name = name or "model"
            self.base = base
            self.path = None

    def _args(self, **settings):
        return (self.text, self.name, None if self.base is None else str(self.base), _settings(**settings))

    def check(self, x=None, y=None, **settings):
        """The model checked, as ``cnr check`` does: a dict of its sizes (filters, filter size,
        patches, samples, the program's variables, rows and non-zeros), its anchor and warnings.
        ``x`` and ``y`` replace the model's ``data`` block as in :meth:`solve` (a model meant for
        arrays needs none), so the summary is that of the solve on them. Raises ``ModelError``
        with the diagnostics."""
        if (x is None) != (y is None):
            raise ValueError("give both x and y, or neither")
        arrays = {} if x is None else {"x": _matrix(x, "x"), "y": _vector(y, "y")}
        return _json.loads(_native.check(*self._args(**settings), **arrays))

    def solve(
        self,
        x=None,
        y=None,
        planted=None,
        planted_bias=None,
        x_test=None,
        y_test=None,
        method="auto",
        backend=None,
        set=None,
        unset=None,
        params=None,
        samples=None,
        seed=None,
        noise=None,
        tolerance=None,
        threads=None,
        refine_gd=None,
        cancel=None,
    ):
        """Solves the relaxation and checks the answer on the model; returns a ``Record``.

        ``x`` (one sample a row) and ``y`` replace the model's ``data`` block, as arrays (read
        without a copy when they are C-contiguous float64); ``planted`` (``(M, d)``) and
        ``planted_bias`` give the filters to measure the recovery error against; ``x_test`` and
        ``y_test`` a held-out set whose loss the record reports as ``test_loss``. ``set``
        (``{"relax.anchor": "lstsq"}``), ``unset``, ``params`` (``{"d": 8}``), ``samples``,
        ``seed`` and ``noise`` change the model as ``cnr solve``'s flags do; ``method`` is
        ``auto``, ``full``, ``cutting-plane`` or ``wspace``. ``refine_gd`` (a step count, as
        ``--refine gd=STEPS``) runs gradient descent from the relaxation's point: ``record.refined``.
        """
        if (x is None) != (y is None):
            raise ValueError("give both x and y, or neither")
        arrays = {}
        if x is not None:
            arrays = {
                "x": _matrix(x, "x"),
                "y": _vector(y, "y"),
                "planted": None if planted is None else _matrix(planted, "planted"),
                "planted_bias": _vector(planted_bias, "planted_bias"),
                "x_test": None if x_test is None else _matrix(x_test, "x_test"),
                "y_test": _vector(y_test, "y_test"),
            }
        elif x_test is not None or y_test is not None:
            raise ValueError("x_test and y_test come with x and y")
        text = _native.solve(
            *self._args(set=set, unset=unset, params=params, samples=samples, seed=seed, noise=noise),
            method_name=method,
            backend_name=backend,
            tolerance=tolerance,
            threads=threads,
            refine_gd=refine_gd,
            cancel=cancel,
            **arrays,
        )
        return Record(_json.loads(text))

    def data(self, **settings):
        """The model's data as arrays: ``x`` (one sample a row), ``y``, and ``planted``
        (``(M, d)``), ``planted_bias``, and the test set ``x_test``, ``y_test`` when known."""
        return _native.data(*self._args(**settings))

    def eval(self, w, b=None, **settings):
        """The model's fit of the filters ``w`` (``(M, d)``, or ``(d,)`` for one filter) and biases
        ``b``: violation, training loss and recovery error, as ``cnr eval`` reports them."""
        return _json.loads(_native.evaluate(*self._args(**settings), _matrix(w, "w"), _vector(b, "b")))

    def predict(self, x, w, b=None, **settings):
        """The outputs on new inputs ``x`` (one sample a row) of the model's network with the
        filters ``w`` (``(M, d)``, or a :class:`Record`, whose ``w``, ``b`` and ``offset`` are
        taken) and ``b`` (the biases, then the offset). For a trained network of learned output
        weights use :class:`ConvexCNN` or the record's network."""
        if isinstance(w, Record):
            record = w
            if record.network is not None and record.w is None:
                return _native.predict(*self._args(**settings), _json.dumps({"network": record.network}), _matrix(x, "x"))
            extras = list(record.b if record.b is not None else []) + ([record.offset] if record.offset is not None else [])
            w, b = record.w, _np.asarray(extras, dtype=_np.float64)
        b = _np.zeros(0) if b is None else _real(b, "b").reshape(-1)
        return _native.predict_filters(*self._args(**settings), _matrix(w, "w"), b, _matrix(x, "x"))

    def conv_weights(self, w, b=None, **settings):
        """Filters in PyTorch's layout: ``w`` (``(M, d)``, or a :class:`Record`, whose ``w`` and
        ``b`` are taken) as ``weight`` of shape ``(M, C, kh, kw)`` (``(M, C, kw)`` for a 1-D input),
        with ``bias``, ``stride``, ``padding`` and ``dims`` (1 or 2): what ``torch.nn.Conv2d`` (or
        ``Conv1d``) takes. A filter's numbers are channel, then kernel row, then kernel column
        (docs/language.md), which is PyTorch's order, so this is a reshape."""
        if isinstance(w, Record):
            w, b = w.w, (w.b if b is None else b)
        summary = self.check(**settings)
        c, (kh, kw) = summary["channels"], summary["kernel"]
        one_d = summary["input"][0] == 1 and kh == 1
        w = _real(w, "w").reshape(-1, c, kw) if one_d else _real(w, "w").reshape(-1, c, kh, kw)
        pick = (lambda pair: pair[1]) if one_d else tuple
        return {
            "weight": w,
            "bias": None if b is None else _real(b, "b").reshape(-1),
            "stride": pick(summary["stride"]),
            "padding": pick(summary["padding"]),
            "dims": 1 if one_d else 2,
        }

    def to_torch(self, w, b=None, **settings):
        """A ``torch.nn.Conv1d``/``Conv2d`` with the filters (``w`` or a :class:`Record`) as its
        weights, when torch is importable; else the arrays of :meth:`conv_weights`."""
        layer = self.conv_weights(w, b, **settings)
        try:
            import torch
        except ImportError:
            return layer
        weight = torch.tensor(layer["weight"])
        conv = (torch.nn.Conv1d if layer["dims"] == 1 else torch.nn.Conv2d)(
            weight.shape[1], weight.shape[0], tuple(weight.shape[2:]), stride=layer["stride"],
            padding=layer["padding"], bias=layer["bias"] is not None, dtype=torch.float64,
        )
        with torch.no_grad():
            conv.weight.copy_(weight)
            if layer["bias"] is not None:
                conv.bias.copy_(torch.tensor(layer["bias"]))
        return conv

    def compile(self, emit="cbf", **settings):
        """The model's cone program as text: ``cbf`` (for any conic solver), ``json`` or ``ir``."""
        return _native.compile(*self._args(**settings), emit)

    def __repr__(self):
        return f"Model({self.name!r})"


def solve_program(source, tolerance=None, cancel=None):
    """Solves a cone program given as CBF or JSON text, or as the path of a ``.cbf``/``.json``
    file; returns the record as a dict (``status``, ``objective``, ``x``, ``attempts``, …)."""
    text, name = str(source), "program"
    if "\n" not in text and text.endswith((".cbf", ".json")) and _os.path.exists(text):
        name = text
        with open(text, encoding="utf-8") as f:
            text = f.read()
    is_json = text.lstrip().startswith("{")
    return _json.loads(_native.solve_program(text, name, is_json, tolerance=tolerance, cancel=cancel))


def _list(values):
    """A sweep axis as ``cnr sweep``'s flags write it: a string as it is, a sequence joined."""
    if values is None or isinstance(values, str):
        return values
    return ",".join(_number(v) for v in values)


def _typed(text):
    """A field of ``results.csv`` as a Python value."""
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _row(header, fields):
    """A line of ``results.csv`` as a dict of Python values."""
    return {h: _typed(v) for h, v in zip(header, fields)}


def sweep(
    model,
    ratio=None,
    samples=None,
    params=None,
    activation=None,
    noise=None,
    anchor=None,
    restarts=None,
    refine=None,
    trials=None,
    seed=None,
    threshold=None,
    baseline=False,
    refine_gd=None,
    jobs=None,
    method="auto",
    backend=None,
    out=None,
    force=False,
    set=None,
    cancel=None,
    on_row=None,
    progress=None,
):
    """Runs a phase-transition experiment as ``cnr sweep`` does, with the model's ``sweep { … }``
    block under these arguments: ``ratio`` (n/d values, a list or ``"1:8:1"``) or ``samples``,
    ``params`` (``{"d": [8, 16]}``), ``activation``, ``noise``, ``anchor``, ``restarts``,
    ``refine`` (lists), ``trials`` per cell, ``jobs`` trials at once. With ``out`` the results
    folder is written (and resumed) too. ``on_row`` is called with each row (a dict) as its trial
    finishes, e.g. to print progress; an exception it raises stops the sweep and is raised here.
    ``progress`` (default: when tqdm is installed) shows a ``tqdm.auto`` bar of the trials — a
    widget in a notebook, a line in a terminal; ``False`` turns it off.
    Returns one row per trial, the columns of ``results.csv``: a pandas ``DataFrame`` when pandas
    is installed, else a list of dicts.
    """
    if not isinstance(model, Model):
        model = Model(model)
    axes = [(str(k), _list(v)) for k, v in (params or {}).items()]
    if isinstance(activation, (list, tuple)):
        activation = ",".join(activation)
    if isinstance(anchor, (list, tuple)):
        anchor = ",".join(anchor)
    bar, seen = None, _builtins.set()  # `set` is the settings argument here
    if progress is not False:
        try:
            from tqdm.auto import tqdm as _tqdm
        except ImportError:
            _tqdm = None

    def started(total):
        nonlocal bar
        if progress is not False and _tqdm is not None:
            bar = _tqdm(total=total, unit="trial", desc=model.name)

    def each(header, row):
        shown = _row(header, row)
        if bar is not None and (shown["cell"], shown["trial"]) not in seen:
            seen.add((shown["cell"], shown["trial"]))
            bar.update(1)
        if on_row is not None:
            on_row(shown)

    try:
        header, rows = _native.sweep(
            model.text,
            model.name,
            None if model.base is None else str(model.base),
            _settings(set=set),
            ratio=_list(ratio),
            samples=_list(samples),
            params=axes,
            activation=activation,
            noise=_list(noise),
            anchor=anchor,
            restarts=_list(restarts),
            refine=_list(refine),
            trials=trials,
            seed=seed,
            threshold=threshold,
            baseline=baseline,
            refine_gd=refine_gd,
            jobs=jobs,
            method_name=method,
            backend_name=backend,
            out=None if out is None else _os.fspath(out),
            force=force,
            cancel=cancel,
            on_row=each if (on_row is not None or progress is not False) else None,
            on_start=started,
        )
    finally:
        if bar is not None:
            bar.close()
    table = Rows(_row(header, row) for row in rows)
    try:
        import pandas
    except ImportError:
        return table
    return pandas.DataFrame(table, columns=header)


def _cell(value):
    """A value as a table shows it: floats to six figures, the rest as text, escaped."""
    return _html.escape(f"{value:.6g}" if isinstance(value, float) else str(value))


class Rows(list):
    """A sweep's rows without pandas: a list of dicts that a notebook shows as a table."""

    def _repr_html_(self, most=50):
        if not self:
            return "<table></table>"
        header = list(self[0])
        head = "<tr>" + "".join(f"<th>{_html.escape(str(k))}</th>" for k in header) + "</tr>"
        body = "".join(
            "<tr>" + "".join(f"<td>{_cell(row.get(k))}</td>" for k in header) + "</tr>" for row in self[:most]
        )
        more = f"<p>{len(self) - most} more rows</p>" if len(self) > most else ""
        return f"<table>{head}{body}</table>{more}"


def _pair(value, what):
    """``value`` as the language writes a size: ``n`` or ``h x w``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{what} is one size or a pair (rows, columns), found {value!r}")
        return f"{int(value[0])} x {int(value[1])}"
    return str(int(value))


class ConvexCNN:
    """A two-layer CNN whose filters *and* output weights are learned, trained to the optimum of its
    exact convex program (docs/learned.md), as a scikit-learn regressor: ``fit(X, y)``,
    ``predict(X)``, ``score(X, y)`` (R²), ``get_params``/``set_params``.

    ``input_shape`` is the length of a 1-D input or ``(height, width)``; ``channels``, ``kernel``,
    ``stride`` and ``padding`` (one size or a pair) are the convolution's; ``bias`` gives each neuron
    a bias, ``offset`` the output a free constant. ``weight_decay`` is β, ``form`` ``"exact"`` or
    ``"gated"``, ``arrangements`` the number of Gaussian filters whose patterns the program uses
    (``"all"`` for every pattern of a tiny model), ``seed`` their seed. ``X`` holds one sample a row
    (``C·H·W`` numbers, flattened channel, row, column) or an array of shape ``(n, C, H, W)``.

    After ``fit``: ``record_`` (the training's :class:`Record`: ``status``, ``proven``,
    ``objective``, ``equivalence``, ``gap``, ``arrangements``, …), ``network_`` (its neurons and
    offset, as the JSON record has them) and ``n_neurons_``."""

    def __init__(
        self,
        input_shape,
        kernel,
        stride=1,
        padding=0,
        channels=1,
        bias=True,
        offset=True,
        weight_decay=1e-3,
        form="exact",
        arrangements=100,
        seed=0,
        tolerance=None,
        threads=None,
    ):
        self.input_shape = input_shape
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.channels = channels
        self.bias = bias
        self.offset = offset
        self.weight_decay = weight_decay
        self.form = form
        self.arrangements = arrangements
        self.seed = seed
        self.tolerance = tolerance
        self.threads = threads

    _PARAMS = (
        "input_shape", "kernel", "stride", "padding", "channels", "bias", "offset",
        "weight_decay", "form", "arrangements", "seed", "tolerance", "threads",
    )

    def get_params(self, deep=True):
        """The constructor's parameters, as scikit-learn asks for them."""
        return {name: getattr(self, name) for name in ConvexCNN._PARAMS}

    def set_params(self, **params):
        """Sets constructor parameters, as scikit-learn does; returns the estimator."""
        for name, value in params.items():
            if name not in ConvexCNN._PARAMS:
                raise ValueError(f"ConvexCNN has no parameter `{name}`")
            setattr(self, name, value)
        return self

    def model(self):
        """The ``.cnr`` text of the estimator's model (without data: ``fit`` gives the arrays)."""
        arrangements = "all" if self.arrangements == "all" else f"{int(self.arrangements)} seed {int(self.seed)}"
        return (
            "network {\n"
            f"  input {_pair(self.input_shape, 'input_shape')} channels {int(self.channels)}\n"
            f"  conv kernel {_pair(self.kernel, 'kernel')} stride {_pair(self.stride, 'stride')}"
            f" padding {_pair(self.padding, 'padding')}{' bias' if self.bias else ''}\n"
            "  activation relu\n"
            f"  output learned{' + offset' if self.offset else ''}\n"
            "}\n"
            f"learn {{\n  weight_decay {float(self.weight_decay)!r}\n  form {self.form}\n  arrangements {arrangements}\n}}\n"
        )

    def _inputs(self, X):
        X = _real(X, "X")
        if X.ndim > 2:
            X = X.reshape(X.shape[0], -1)
        return _matrix(X, "X")

    def fit(self, X, y):
        """Trains on ``X`` (one sample a row) and ``y``; returns the estimator."""
        model = Model(self.model(), name="ConvexCNN")
        self.record_ = model.solve(self._inputs(X), y, tolerance=self.tolerance, threads=self.threads)
        self.network_ = self.record_.network
        self.n_neurons_ = 0 if self.network_ is None else len(self.network_["neurons"])
        if self.network_ is None:
            raise SolveError(f"the training ended {self.record_.status} without a network")
        return self

    def predict(self, X):
        """The trained network's outputs on ``X``, one a sample."""
        if not hasattr(self, "network_"):
            raise ValueError("this ConvexCNN is not fitted yet: call fit(X, y) first")
        model = Model(self.model(), name="ConvexCNN")
        record = _json.dumps({"network": self.network_})
        return _native.predict(*model._args(), record, self._inputs(X))

    def score(self, X, y):
        """R² of the predictions on ``X`` against ``y``, as scikit-learn's regressors report it."""
        y = _vector(_np.asarray(y, dtype=_np.float64), "y")
        residual = ((y - self.predict(X)) ** 2).sum()
        total = ((y - y.mean()) ** 2).sum()
        return 1.0 - residual / total if total > 0 else float("nan")

    def __repr__(self):
        shown = ", ".join(f"{k}={getattr(self, k)!r}" for k in ConvexCNN._PARAMS)
        return f"ConvexCNN({shown})"
