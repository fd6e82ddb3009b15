"""The Python package against the command line and against itself: arrays in, records out,
diagnostics, sweeps, cancellation, memory, and the README's example."""

import json
import os
import pathlib
import re
import resource
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import cnr

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def cnr_binary():
    """The command line built from this checkout (`.ci/run` builds it and sets CNR_BIN)."""
    path = os.environ.get("CNR_BIN") or str(ROOT / "target" / "release" / "cnr")
    if not os.path.exists(path):
        pytest.fail(f"no cnr binary at {path}: build it (cargo build --release) or set CNR_BIN")
    return path


def test_arrays_give_what_cnr_solve_gives_on_the_same_npy_files():
    cli = subprocess.run(
        [cnr_binary(), "solve", str(EXAMPLES / "npy_data.cnr"), "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    want = json.loads(cli.stdout)
    data = EXAMPLES / "data"
    x, y, w = (np.load(data / f) for f in ("x.npy", "y.npy", "w.npy"))
    model = cnr.Model(EXAMPLES / "npy_data.cnr")
    got = model.solve(x=x, y=y, planted=w.reshape(1, -1))
    assert got.status == want["status"] == "optimal"
    assert abs(got.objective - want["objective"]) <= 1e-12 * abs(want["objective"])
    assert got.w.shape == (1, 8)
    np.testing.assert_allclose(got.w.ravel(), np.asarray(want["w"]), rtol=0, atol=1e-12)
    assert abs(got.recovery_error - want["recovery_error"]) <= 1e-12
    # The model's own files, read by the package, give the same record.
    own = model.solve()
    assert own.objective == got.objective
    assert own.to_dict()["run"]["data"] != got.to_dict()["run"]["data"]
    assert own.test_loss is None
    # A held-out set: its loss is the mean squared error of the network at the solution.
    xt, yt = x[:20] * 1.5, y[:20]
    held = model.solve(x=x, y=y, x_test=xt, y_test=yt)
    patches = xt.reshape(20, -1, 8)
    direct = np.mean((np.maximum(patches @ held.w.ravel(), 0).sum(axis=1) - yt) ** 2)
    assert direct > 1e-6
    assert abs(held.test_loss - direct) <= 1e-10 * direct


def test_the_record_has_the_solve_reports_fields_and_filters_as_a_matrix():
    model = cnr.Model(EXAMPLES / "two_filters_mean.cnr")
    record = model.solve()
    assert record.w.shape == (record.filters, record.d) == (2, record.d)
    assert record.status in ("optimal", "inaccurate")
    assert "timings" in record.to_dict() and record.attempts is not None
    with pytest.raises(AttributeError):
        record.no_such_field


def test_settings_change_the_model_as_the_flags_do():
    model = cnr.Model(EXAMPLES / "params_relu.cnr")
    small = model.solve(samples=32, seed=3, set={"relax.anchor": "data"}, params={"d": 8})
    assert small.samples == 32 and small.d == 8
    assert small.to_dict()["run"]["anchor"] == "data"
    checked = model.check(params={"d": 8})
    assert checked["filter_size"] == 8


def test_data_eval_and_compile():
    model = cnr.Model(EXAMPLES / "paper_relu.cnr")
    data = model.data()
    assert data["x"].shape == (192, 128) and data["y"].shape == (192,)
    fit = model.eval(data["planted"])
    assert fit["training_loss"] <= 1e-20
    cbf = model.compile(emit="cbf")
    assert cbf.lstrip().startswith("#") and "VER" in cbf
    solved = cnr.solve_program(cbf)
    assert solved["status"] == "optimal"
    assert abs(solved["objective"] - model.solve(method="full").objective) <= 1e-6


def test_a_model_error_carries_its_diagnostics():
    text = "network {\n  input 8\n  conv kernel 9\n  activation relu\n  output ones\n}\ndata planted { samples 10 }\n"
    with pytest.raises(cnr.ModelError) as caught:
        cnr.Model(text).check()
    (first,) = caught.value.diagnostics
    # Where `cnr check` points: the kernel's statement, line 3, column 8.
    assert (first["line"], first["column"]) == (3, 8)
    assert "larger than the padded input" in first["message"]
    assert first["hints"]
    assert "3 │   conv kernel 9" in str(caught.value)
    # A bad argument is a ValueError that names it.
    with pytest.raises(ValueError, match="method"):
        cnr.Model(EXAMPLES / "paper_relu.cnr").solve(method="simplex")


def test_check_takes_the_arrays_a_model_is_meant_for():
    data = EXAMPLES / "data"
    x, y = np.load(data / "x.npy"), np.load(data / "y.npy")
    text = "network { input 24 conv kernel 8 stride 8 activation relu output ones }"
    with pytest.raises(cnr.ModelError, match="no `data` block"):
        cnr.Model(text).check()
    checked = cnr.Model(text).check(x=x, y=y)
    assert checked["samples"] == len(y)
    # With a placeholder block the summary is the solve's on the arrays, anchor included.
    placeholder = cnr.Model(text + " data planted { samples 3 }")
    assert placeholder.check(x=x, y=y)["anchor"] == placeholder.solve(x=x, y=y).run["anchor"]


def test_an_array_of_the_wrong_shape_is_a_value_error_and_a_model_error():
    data = EXAMPLES / "data"
    x, y = np.load(data / "x.npy"), np.load(data / "y.npy")
    model = cnr.Model(EXAMPLES / "npy_data.cnr")
    with pytest.raises(ValueError) as caught:
        model.solve(x=x[:, :-1], y=y)
    assert isinstance(caught.value, cnr.ModelError) and caught.value.diagnostics
    assert "inputs" in str(caught.value)
    with pytest.raises(cnr.ModelError):
        model.solve(x=x, y=y[:-1])


def test_arrays_and_settings_pass_the_checks_of_files_and_flags():
    data = EXAMPLES / "data"
    x, y = np.load(data / "x.npy"), np.load(data / "y.npy")
    model = cnr.Model(EXAMPLES / "npy_data.cnr")
    bad = x.copy()
    bad[3, 2] = np.nan
    with pytest.raises(cnr.ModelError, match=r"entry \[3, 2\] of the `inputs` array is NaN"):
        model.solve(x=bad, y=y)
    with pytest.raises(cnr.ModelError, match="holds no numbers"):
        model.solve(x=x[:0], y=y[:0])
    with pytest.raises(TypeError, match="complex"):
        model.solve(x=x.astype(complex), y=y)
    for kwargs, name in [({"tolerance": float("nan")}, "tolerance"), ({"threads": 0}, "threads"), ({"threads": 10000}, "threads")]:
        with pytest.raises(ValueError, match=name):
            model.solve(**kwargs)
    with pytest.raises(ValueError, match="seed"):
        cnr.Model(EXAMPLES / "paper_relu.cnr").solve(seed=2**60)


def test_a_sweep_gives_one_row_per_trial_as_results_csv_has_them(tmp_path):
    rows = cnr.sweep(EXAMPLES / "params_relu.cnr", ratio=[1, 8], trials=6, jobs=2, out=tmp_path / "run")
    if not isinstance(rows, list):
        rows = rows.to_dict("records")
    assert len(rows) == 12
    by_ratio = {r: [row for row in rows if row["ratio"] == r] for r in (1, 8)}
    assert sum(row["success"] for row in by_ratio[8]) == 6
    assert sum(row["success"] for row in by_ratio[1]) == 0
    # The folder holds the same rows, and a second run resumes them all.
    with open(tmp_path / "run" / "results.csv") as f:
        assert len(f.read().strip().splitlines()) == 13
    again = cnr.sweep(EXAMPLES / "params_relu.cnr", ratio=[1, 8], trials=6, jobs=2, out=tmp_path / "run")
    assert len(again) == 12
    # Without pandas the rows are a list that a notebook shows as a table, a row per trial.
    table = cnr.Rows(rows)._repr_html_()
    assert table.count("<tr>") == 13 and "<th>ratio</th>" in table
    assert "2 more rows" in cnr.Rows(rows)._repr_html_(most=10)


def test_on_row_sees_each_row_as_it_finishes_and_its_exception_stops_the_sweep():
    seen = []
    rows = cnr.sweep(EXAMPLES / "params_relu.cnr", ratio=[1, 8], trials=3, jobs=1, on_row=seen.append)
    if not isinstance(rows, list):
        rows = rows.to_dict("records")
    key = lambda r: (r["ratio"], r["trial"])
    assert sorted(seen, key=key) == sorted(rows, key=key)

    class Enough(Exception):
        pass

    def stop_after_two(row):
        seen.append(row)
        if len(seen) == 2:
            raise Enough()

    seen = []
    with pytest.raises(Enough):
        cnr.sweep(EXAMPLES / "params_relu.cnr", ratio=[1, 8], trials=3, jobs=1, on_row=stop_after_two)
    assert len(seen) == 2


def test_a_solve_is_cancelled_from_another_thread_and_nothing_keeps_running():
    model = cnr.Model(EXAMPLES / "bench_relu.cnr")
    cancel = cnr.Cancel()
    timer = threading.Timer(0.3, cancel.cancel)
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        model.solve(samples=20000, method="full", cancel=cancel)
    assert time.monotonic() - start < 30
    assert cancel.cancelled
    # The package is usable at once: the cancelled solve has ended.
    assert model.solve(samples=200).status == "optimal"


def test_ctrl_c_stops_a_solve_with_keyboard_interrupt():
    script = (
        "import cnr, sys\n"
        "print('solving', flush=True)\n"
        f"cnr.Model({str(EXAMPLES / 'bench_relu.cnr')!r}).solve(samples=20000, method='full')\n"
        "print('finished', flush=True)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Run in the background (`&`), a shell ignores SIGINT for its children, and Python then
        # installs no KeyboardInterrupt: give the child a terminal's Ctrl-C.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert child.stdout.readline().strip() == "solving"
    time.sleep(0.5)
    start = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert time.monotonic() - start < 30
    assert "KeyboardInterrupt" in err and "finished" not in out, err


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def test_a_thousand_solves_do_not_leak():
    model = cnr.Model(EXAMPLES / "paper_relu.cnr")
    data = model.data()
    for _ in range(100):
        model.solve(x=data["x"], y=data["y"])
    before = rss_bytes()
    for _ in range(1000):
        model.solve(x=data["x"], y=data["y"])
    grown = rss_bytes() - before
    assert grown < 16 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MiB over 1,000 solves"


def test_the_readme_example_runs_as_written(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- python example -->\s*```python\n(.*?)```", readme, re.S)
    assert match, "the README's Python example is marked `<!-- python example -->`"
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(ROOT)
    exec(compile(match.group(1), "README.md", "exec"), {"__name__": "readme"})


def test_an_offset_and_a_refinement_by_gradient_descent_reach_python():
    model = cnr.Model(EXAMPLES / "npy_data.cnr")
    data = model.data()
    shifted = cnr.Model(
        "network { input 24 conv kernel 8 stride 8 activation relu output ones + offset }"
    ).solve(x=data["x"], y=data["y"] + 2.0, planted=data["planted"], refine_gd=50)
    assert shifted.status == "optimal"
    assert abs(shifted.offset - 2.0) < 1e-6
    assert shifted.recovery_error < 1e-6
    assert shifted.refined["training_loss"] <= shifted.training_loss
    assert model.solve().offset is None and model.solve().refined is None
    rows = cnr.sweep(EXAMPLES / "params_relu.cnr", ratio=[4], trials=2, refine_gd=20)
    if not isinstance(rows, list):
        rows = rows.to_dict("records")
    assert sorted(r["method"] for r in rows).count("relaxation+gd") == 2


def test_convex_cnn_fits_predicts_and_scores_as_a_scikit_learn_regressor():
    # A planted teacher of two ReLU filters on 1-D inputs of 16 (kernel 4, stride 2: 7 patches).
    rng = np.random.default_rng(3)
    w = rng.standard_normal((2, 4))
    x = rng.standard_normal((80, 16))
    patches = np.stack([x[:, 2 * k : 2 * k + 4] for k in range(7)], axis=1)  # (n, K, d)
    y = np.maximum(patches @ w.T, 0).sum(axis=(1, 2))
    estimator = cnr.ConvexCNN(16, 4, stride=2, bias=False, offset=False, weight_decay=1e-4, arrangements=40, seed=1)
    assert estimator.fit(x[:60], y[:60]) is estimator
    record = estimator.record_
    assert record.status == "optimal"
    assert record.proven == "optimal over these 40 arrangements" or record.proven.startswith("optimal over these")
    # The network's loss is the program's data term: to 1e-8 of it, or, as here where the network
    # nearly interpolates (a data term of 1e-7 of ½‖y‖²), to 1e-12 of ½‖y‖² — the sign rows hold to
    # the tolerance, not exactly (the same rule as tests/it/learned.rs).
    labels = 0.5 * float((y[:60] ** 2).sum())
    assert record.equivalence < 1e-8 or abs(record.network_loss - record.data_term) < 1e-12 * labels
    # The network's predictions on its training inputs have the record's training loss.
    train = estimator.predict(x[:60])
    assert train.shape == (60,)
    assert abs(((train - y[:60]) ** 2).mean() - record.training_loss) <= 1e-9 * record.training_loss + 1e-15
    # On held-out inputs it predicts well (R² near 1), and get_params/set_params round-trip.
    assert estimator.score(x[60:], y[60:]) > 0.9
    assert cnr.ConvexCNN(**estimator.get_params()).get_params() == estimator.get_params()
    assert estimator.set_params(form="gated").form == "gated"
    # The model text is the language's, and an unfitted estimator says so.
    assert "output learned" in estimator.model()
    with pytest.raises(ValueError, match="not fitted"):
        cnr.ConvexCNN(16, 4).predict(x)
    # A wrong input length is a ModelError (and a ValueError) naming the array.
    with pytest.raises(ValueError, match="inputs"):
        estimator.predict(x[:, :15])


def test_conv_weights_are_pytorchs_layout_and_give_the_models_outputs():
    # 2 channels of 6 x 5, kernel 3 x 2, stride 2 x 1, padding 1 x 0, a bias: the filters in the
    # (M, C, kh, kw) layout, convolved by hand, give the outputs whose loss the record reports.
    model = cnr.Model(
        "network { input 6 x 5 channels 2 conv kernel 3 x 2 stride 2 x 1 padding 1 x 0 filters 2 bias "
        "activation relu output ones } data planted { samples 40 seed 3 noise 0.5 }"
    )
    record = model.solve()
    layer = model.conv_weights(record)
    assert layer["weight"].shape == (2, 2, 3, 2) and layer["dims"] == 2
    assert layer["stride"] == (2, 1) and layer["padding"] == (1, 0)
    data = model.data()
    x = np.pad(data["x"].reshape(-1, 2, 6, 5), ((0, 0), (0, 0), (1, 1), (0, 0)))
    rows, cols = (6 + 2 - 3) // 2 + 1, (5 - 2) // 1 + 1
    z = np.zeros((x.shape[0], 2, rows, cols))
    for r in range(rows):
        for c in range(cols):
            patch = x[:, :, 2 * r : 2 * r + 3, c : c + 2]
            z[:, :, r, c] = np.einsum("nchw,mchw->nm", patch, layer["weight"]) + layer["bias"]
    f = np.maximum(z, 0).sum(axis=(1, 2, 3))
    assert abs(((f - data["y"]) ** 2).mean() - record.training_loss) <= 1e-9 * (1 + record.training_loss)
    # A 1-D model's filters are (M, C, kw); without torch, to_torch gives these arrays.
    one = cnr.Model("network { input 16 conv kernel 4 stride 4 activation relu output ones } data planted { samples 24 seed 1 }")
    assert one.conv_weights(one.solve())["weight"].shape == (1, 1, 4)
    # A record shows as an HTML table in a notebook.
    assert "<table>" in record._repr_html_() and "optimal" in record._repr_html_()


class _Parameter:
    """A stand-in for a torch parameter: an array that `copy_` fills."""

    def __init__(self, shape):
        self.value = np.full(shape, np.nan)

    def copy_(self, source):
        assert source.shape == self.value.shape
        self.value[...] = source


class _FakeTorch:
    """The part of torch that `to_torch` uses, recording how it built the layer: with torch
    absent in CI, the branch that builds the layer is tested against this."""

    float64 = "float64"

    def __init__(self):
        fake = self

        class Conv:
            def __init__(self, dims, in_channels, out_channels, kernel, stride, padding, bias, dtype):
                fake.built = dict(dims=dims, in_channels=in_channels, out_channels=out_channels,
                                  kernel=kernel, stride=stride, padding=padding, bias=bias, dtype=dtype)
                self.weight = _Parameter((out_channels, in_channels) + tuple(kernel))
                self.bias = _Parameter((out_channels,)) if bias else None

        class nn:
            @staticmethod
            def Conv1d(c, m, k, stride, padding, bias, dtype):
                return Conv(1, c, m, k, stride, padding, bias, dtype)

            @staticmethod
            def Conv2d(c, m, k, stride, padding, bias, dtype):
                return Conv(2, c, m, k, stride, padding, bias, dtype)

        self.nn = nn

    @staticmethod
    def tensor(array):
        return np.array(array, dtype=np.float64)

    class no_grad:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False


def test_to_torch_builds_the_convolution_with_the_models_shape_and_filters(monkeypatch):
    fake = _FakeTorch()
    monkeypatch.setitem(sys.modules, "torch", fake)
    model = cnr.Model(
        "network { input 6 x 5 channels 2 conv kernel 3 x 2 stride 2 x 1 padding 1 x 0 filters 2 bias "
        "activation relu output ones } data planted { samples 40 seed 3 }"
    )
    record = model.solve()
    conv = model.to_torch(record)
    layer = model.conv_weights(record)
    assert fake.built == dict(dims=2, in_channels=2, out_channels=2, kernel=(3, 2), stride=(2, 1),
                              padding=(1, 0), bias=True, dtype="float64")
    assert np.array_equal(conv.weight.value, layer["weight"]) and np.array_equal(conv.bias.value, layer["bias"])
    # A 1-D model without bias: a Conv1d with no bias.
    one = cnr.Model("network { input 16 conv kernel 4 stride 4 activation relu output ones } data planted { samples 24 seed 1 }")
    conv = one.to_torch(one.solve())
    assert fake.built["dims"] == 1 and fake.built["kernel"] == (4,) and fake.built["bias"] is False
    assert conv.bias is None and not np.isnan(conv.weight.value).any()


def test_to_torch_with_real_torch_gives_the_models_outputs():
    torch = pytest.importorskip("torch")
    model = cnr.Model(
        "network { input 6 x 5 channels 2 conv kernel 3 x 2 stride 2 x 1 padding 1 x 0 filters 2 bias "
        "activation relu output ones } data planted { samples 40 seed 3 }"
    )
    record = model.solve()
    x = model.data()["x"]
    conv = model.to_torch(record)
    with torch.no_grad():
        f = torch.relu(conv(torch.tensor(x.reshape(-1, 2, 6, 5)))).sum(dim=(1, 2, 3)).numpy()
    assert np.allclose(f, model.predict(x, record), rtol=1e-12, atol=1e-12)


def test_predict_gives_the_outputs_whose_loss_the_record_reports_for_every_model():
    for path in ("examples/noisy_l2.cnr", "examples/image_2d.cnr", "examples/learned/teacher.cnr"):
        model = cnr.Model(str(ROOT / path))
        record = model.solve()
        data = model.data()
        f = model.predict(data["x"], record)
        assert f.shape == data["y"].shape
        assert abs(((f - data["y"]) ** 2).mean() - record.training_loss) <= 1e-9 * (1 + record.training_loss)
    # Filters of the wrong size are refused with the sizes the model needs.
    with pytest.raises(cnr.CnrError, match="M·d"):
        cnr.Model(str(EXAMPLES / "paper_relu.cnr")).predict(np.zeros((2, 128)), np.zeros((1, 3)))


def test_a_sweep_shows_a_tqdm_bar_of_its_trials_where_tqdm_is_installed(monkeypatch):
    import types

    bars = []

    class Bar:
        def __init__(self, total, unit, desc):
            self.total, self.done, self.closed = total, 0, False
            bars.append(self)

        def update(self, n):
            self.done += n

        def close(self):
            self.closed = True

    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = Bar
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    table = cnr.sweep(str(EXAMPLES / "params_relu.cnr"), ratio=[2, 4], trials=2, baseline=True)
    assert len(table) == 8  # two rows a trial: the relaxation and the baseline
    assert [(b.total, b.done, b.closed) for b in bars] == [(4, 4, True)]
    cnr.sweep(str(EXAMPLES / "params_relu.cnr"), ratio=[2], trials=1, progress=False)
    assert len(bars) == 1
