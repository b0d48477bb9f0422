"""Every script in examples/ runs, quickly, and does what its docstring says,
with or without matplotlib."""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def run_example(name, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), ADCOMPILER_EXAMPLES_QUICK="1",
               MPLBACKEND="Agg", NO_COLOR="1")
    done = subprocess.run([sys.executable, str(EXAMPLES / name), "--quick"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def numbers_after(label, text):
    return [float(x) for x in re.findall(rf"{label}\s+([0-9.]+)", text)]


def assert_plot_saved_or_skipped(out, tmp_path, filename):
    if HAS_MATPLOTLIB:
        assert (tmp_path / filename).stat().st_size > 0
    else:
        assert "matplotlib is not installed: skipping" in out
        assert not (tmp_path / filename).exists()


def test_sin_derivative_matches_the_shifted_sine_without_writing_its_derivative(tmp_path):
    out = run_example("sin_derivative.py", tmp_path)
    assert "cos" not in (EXAMPLES / "sin_derivative.py").read_text()
    error = float(re.search(r"sin\(x \+ pi/2\) on 200 points: (\S+)", out).group(1))
    assert error < 1e-12
    assert "d/dx sin(x) at x = 0: 1.0" in out
    assert_plot_saved_or_skipped(out, tmp_path, "sin_derivative.png")


def test_logistic_regression_loss_falls_and_classifies(tmp_path):
    out = run_example("logistic_regression.py", tmp_path)
    assert "checked against finite differences: OK" in out
    losses = numbers_after("loss", out)
    assert len(losses) >= 3 and losses == sorted(losses, reverse=True)
    assert float(re.search(r"training accuracy: ([0-9.]+)%", out).group(1)) > 85


def test_mlp_training_loss_falls_and_the_curve_is_saved(tmp_path):
    out = run_example("mlp_training.py", tmp_path)
    losses = numbers_after("loss", out)
    assert losses[-1] < losses[0] / 2
    assert float(re.search(r"training accuracy: ([0-9.]+)%", out).group(1)) > 90
    assert_plot_saved_or_skipped(out, tmp_path, "mlp_loss.png")


def test_ode_parameter_fit_recovers_the_parameters(tmp_path):
    out = run_example("ode_parameter_fit.py", tmp_path)
    misfits = numbers_after("misfit", out)
    assert misfits[-1] < misfits[0] / 100
    k, c = map(float, re.search(r"fitted k = (\S+), c = (\S+?)\s", out).groups())
    assert k == pytest.approx(2.0, abs=0.05) and c == pytest.approx(0.3, abs=0.05)


def test_inspect_generated_code_walks_through_the_stack_protocol(tmp_path):
    out = run_example("inspect_generated_code.py", tmp_path)
    assert "def f_grad(a):" in out
    for note in ["after the loop, the trip count is pushed",
                 "the recorded decision is replayed",
                 "the loop is undone exactly as many times as it ran"]:
        assert note in out
    assert "gradient [512. 512. 512.]" in out and "gradient [51200. 51200. 51200.]" in out


def test_control_flow_prints_its_derivative(tmp_path):
    out = run_example("control_flow.py", tmp_path)
    assert "def f_grad(a):" in out and "[2048. 2048. 2048.]" in out


def test_newton_optimization_converges_with_exact_hessians(tmp_path):
    out = run_example("newton_optimization.py", tmp_path)
    assert "minimiser: [1. 1. 1.]" in out


def test_every_example_is_smoke_tested():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    scripts = {path.stem for path in EXAMPLES.glob("*.py")}
    assert all(any(test.startswith(stem) for test in tested) for stem in scripts), (
        "add a smoke test for each new example")


def test_rnn_sequence_model_gradient_matches_torch_and_training_lowers_the_loss(tmp_path):
    out = run_example("rnn_sequence_model.py", tmp_path)
    assert "def loss_value_and_grad(self, params, xs, targets):" in out
    difference = float(re.search(r"difference from torch's gradient: (\S+)", out).group(1))
    assert difference < 1e-10
    losses = [float(v) for v in re.findall(r"step\s+\d+\s+loss ([0-9.]+)", out)]
    assert len(losses) >= 4 and losses[-1] < 0.5 * losses[0]


def test_distributed_logistic_regression_fits_on_a_local_cluster(tmp_path):
    out = run_example("distributed_logistic_regression.py", tmp_path)
    assert re.search(r"dashboard: http://\S+/status", out)
    assert "100,000 rows x 8 features" in out
    losses = numbers_after("loss", out)
    assert len(losses) >= 4 and losses == sorted(losses, reverse=True)
    assert float(re.search(r"training accuracy: ([0-9.]+)%", out).group(1)) > 90
