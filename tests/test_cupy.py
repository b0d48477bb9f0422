"""The derivative of a NumPy function runs on CuPy arrays on a GPU: the
gradient is a CuPy array (never copied to the host on the way) equal to the
NumPy gradient, itself checked against torch (docs/scaling.md). Skipped, with
the reason, without CuPy (`pip install adcompiler[cupy]`) or without a GPU."""

from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
import array_library_programs as programs

cupy = pytest.importorskip(
    "cupy", reason="CuPy is not installed: pip install adcompiler[cupy] on a machine with a GPU")


def _gpu_count() -> int:
    try:
        return cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError:
        return 0


pytestmark = pytest.mark.skipif(_gpu_count() == 0, reason="no CUDA GPU on this machine")


def _data(rows=100_000):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 8))
    true_w = np.linspace(-1.0, 1.0, 8)
    labels = (X @ true_w + rng.normal(size=rows) > 0).astype(np.float64)
    targets = X @ true_w + 0.1 * rng.normal(size=rows)
    return X, labels, targets


def _models():
    X, labels, targets = _data()
    w = np.linspace(0.5, -0.5, 8)
    weights = np.array([0.8, -1.2, 0.5])
    large = np.random.default_rng(1).normal(size=(1000, 2000))
    return {
        "logistic regression": (programs.logistic_loss, programs.torch_logistic_loss,
                                (w, X, labels), (0,)),
        "least squares": (programs.least_squares, programs.torch_least_squares,
                          (w, 0.3, X, targets), (0, 1)),
        "elementwise model": (programs.elementwise_model, programs.torch_elementwise_model,
                              (1.5, large), (0, 1)),
        "loop of array updates": (programs.layered_updates, programs.torch_layered_updates,
                                  (weights, X), (0, 1)),
        "while on a norm": (programs.shrink_until_small, programs.torch_shrink_until_small,
                            (3.0 * X[:, 0],), (0,)),
    }


def _on_gpu(value):
    return cupy.asarray(value) if isinstance(value, np.ndarray) else value


@pytest.mark.parametrize("name", sorted(_models()))
def test_gradient_on_the_gpu_is_a_cupy_array_and_matches_numpy_which_matches_torch(name):
    function, torch_twin, args, wrt = _models()[name]
    small = tuple(a[:200] if isinstance(a, np.ndarray) and a.ndim and i > 0 else a
                  for i, a in enumerate(args))
    programs.assert_numpy_gradient_matches_torch(function, torch_twin, small, wrt)

    gradients = ad.grad(function, wrt=wrt)(*map(_on_gpu, args))

    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    expected = ad.grad(function, wrt=wrt)(*args)
    expected = expected if isinstance(expected, tuple) else (expected,)
    for got, want, i in zip(gradients, expected, wrt):
        if isinstance(args[i], np.ndarray):
            assert isinstance(got, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(got), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("function", [programs.write_into_a_copy,
                                      programs.lookup_repeated_rows,
                                      programs.add_at_repeated_pairs,
                                      # A CuPy slice is a view, as NumPy's: the
                                      # later write reaches it.
                                      programs.read_a_slice_then_write])
def test_element_writes_and_views_follow_numpy_on_the_gpu(function):
    x = np.random.default_rng(2).normal(size=(40, 3))

    got = ad.grad(function)(cupy.asarray(x))

    assert isinstance(got, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(got), ad.grad(function)(x), rtol=1e-12)


def test_a_numpy_parameter_indexed_in_a_loop_over_gpu_data_gets_a_cupy_gradient():
    # The loop's adjoint of the NumPy weights receives CuPy values: add_into
    # moves the NumPy zeros to the device instead of adding across libraries.
    weights = np.array([0.8, -1.2, 0.5])
    X = _data(rows=10_000)[0]

    got = ad.grad(programs.layered_updates)(weights, cupy.asarray(X))

    assert isinstance(got, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(got), ad.grad(programs.layered_updates)(weights, X),
                               rtol=1e-10)


@pytest.mark.parametrize("name", ["logistic regression", "least squares", "elementwise model"])
def test_jvp_on_the_gpu_matches_numpy(name):
    function, _, args, wrt = _models()[name]
    tangents = tuple(np.random.default_rng(4).normal(size=np.shape(args[i])) for i in wrt)

    value, product = ad.jvp(function, wrt=wrt)(tuple(map(_on_gpu, args)),
                                               tuple(map(_on_gpu, tangents)))

    expected = ad.jvp(function, wrt=wrt)(args, tangents)
    np.testing.assert_allclose([float(value), float(product)], expected, rtol=1e-10)


@pytest.mark.parametrize("name", ["logistic regression", "least squares"])
def test_forward_mode_gradient_on_the_gpu_is_a_cupy_array_and_matches_numpy(name):
    # One jvp per entry of the 8 weights (and of b).
    function, _, args, wrt = _models()[name]

    gradients = ad.grad(function, wrt=wrt, mode="forward")(*map(_on_gpu, args))

    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    expected = ad.grad(function, wrt=wrt)(*args)
    for got, want, i in zip(gradients, expected if isinstance(expected, tuple) else (expected,),
                            wrt):
        if isinstance(args[i], np.ndarray):
            assert isinstance(got, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(got), want, rtol=1e-10, atol=1e-12)
