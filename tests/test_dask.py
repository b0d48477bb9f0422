"""The derivative of a NumPy function runs on dask arrays, on a real
dask.distributed cluster: gradients, jvps and forward-mode gradients are
built lazily (building one computes nothing), come back as dask arrays, and
equal NumPy's, themselves checked against torch on a slice of the data;
a test on array values is computed as often as the function computes it
(docs/scaling.md)."""

from __future__ import annotations

import logging
import warnings

import dask
import dask.array as da
import dask.distributed as distributed
import numpy as np
import pytest

import adcompiler as ad
from adcompiler.errors import NoDerivativeRuleError
import array_library_programs as programs

ROWS = 1_000_000  # 10**6 x 8 float64: 64 MB, in four chunks
CHUNK_ROWS = 250_000


@pytest.fixture(scope="module")
def client():
    """Two worker processes on this machine, torn down after the module."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def data(client):
    """A chunked X of a million rows, labels and targets, made on the workers."""
    rng = da.random.default_rng(0)
    X = rng.normal(size=(ROWS, 8), chunks=(CHUNK_ROWS, 8))
    true_w = np.linspace(-1.0, 1.0, 8)
    labels = (X @ true_w + rng.normal(size=ROWS, chunks=CHUNK_ROWS) > 0).astype(np.float64)
    targets = X @ true_w + 0.1 * rng.normal(size=ROWS, chunks=CHUNK_ROWS)
    X, labels, targets = client.persist([X, labels, targets])
    return X, labels, targets


def _refuse_to_compute(graph, keys, **kwargs):
    raise AssertionError("building the gradient computed a dask array")


def lazily(derivative, *args):
    """derivative(*args) with every dask computation refused, and with dask's
    warning for a NumPy function it does not implement (which would compute
    the array) an error."""
    with warnings.catch_warnings(), dask.config.set(scheduler=_refuse_to_compute):
        warnings.simplefilter("error", FutureWarning)
        return derivative(*args)


def lazy_gradient(function, *args, wrt=0):
    """ad.grad(function, wrt=wrt)(*args), lazily."""
    return lazily(ad.grad(function, wrt=wrt), *args)


def computed_on(client, *lazy):
    """The values of dask arrays, computed by the cluster's workers."""
    with distributed.get_task_stream(client) as tasks:
        values = dask.compute(*lazy)
    assert tasks.data, "nothing ran on the cluster"
    return values


@pytest.fixture(scope="module")
def models(data):
    """name -> (function, torch twin, NumPy arguments for the torch check, dask
    arguments, wrt) for each model the cluster differentiates."""
    X, labels, targets = data
    w = np.linspace(0.5, -0.5, 8)
    weights = np.array([0.8, -1.2, 0.5])
    large = da.random.default_rng(1).normal(size=(1000, 2000), chunks=(500, 1000))
    head = [v[:500].compute() for v in (X, labels, targets)]
    return {
        "logistic regression": (
            programs.logistic_loss, programs.torch_logistic_loss,
            (w, head[0], head[1]), (w, X, labels), (0,)),
        "least squares": (
            programs.least_squares, programs.torch_least_squares,
            (w, 0.3, head[0], head[2]), (w, 0.3, X, targets), (0, 1)),
        "elementwise model": (
            programs.elementwise_model, programs.torch_elementwise_model,
            (1.5, large[:20, :20].compute()), (1.5, large), (0, 1)),
        # Parameters indexed inside a loop, as a dask array (the NumPy weights
        # are the test below).
        "loop of array updates": (
            programs.layered_updates, programs.torch_layered_updates,
            (weights, head[0][:100]), (da.from_array(weights, chunks=3), X[:200_000]), (0, 1)),
    }


@pytest.fixture(scope="module")
def in_memory():
    """NumPy copies of dask arrays, each fetched from the cluster once."""
    copies = {}

    def fetch(value):
        if not isinstance(value, da.Array):
            return value
        if value.name not in copies:
            copies[value.name] = value.compute()
        return copies[value.name]
    return fetch


MODELS = ["logistic regression", "least squares", "elementwise model", "loop of array updates"]


@pytest.mark.parametrize("name", MODELS)
def test_gradient_on_the_cluster_is_lazy_and_matches_numpy_which_matches_torch(
        client, models, in_memory, name):
    function, torch_twin, small, lazy, wrt = models[name]
    programs.assert_numpy_gradient_matches_torch(function, torch_twin, small, wrt)

    gradients = lazy_gradient(function, *lazy, wrt=wrt)

    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    assert all(isinstance(g, da.Array) for g in gradients)
    assert [g.shape for g in gradients] == [np.shape(lazy[i]) for i in wrt]
    values = computed_on(client, *gradients)
    expected = ad.grad(function, wrt=wrt)(*map(in_memory, lazy))
    for value, e in zip(values, expected if isinstance(expected, tuple) else (expected,)):
        np.testing.assert_allclose(value, e, rtol=1e-10, atol=1e-12)


def test_the_adjoint_of_a_dask_argument_keeps_its_chunks(client):
    x = da.random.default_rng(1).normal(size=(1000, 2000), chunks=(500, 1000))

    dx = lazy_gradient(programs.elementwise_model, 1.5, x, wrt=1)

    assert dx.chunks == x.chunks


def test_while_on_a_norm_computes_its_condition_and_matches_numpy(client, data):
    x = 3.0 * data[0][:100_000, 0]
    programs.assert_numpy_gradient_matches_torch(
        programs.shrink_until_small, programs.torch_shrink_until_small, (x[:50].compute(),),
        (0,))

    with dask.config.set(scheduler=_refuse_to_compute):
        with pytest.raises(AssertionError, match="computed a dask array"):
            ad.grad(programs.shrink_until_small)(x)  # the loop's test needs a concrete value
    gradient = ad.grad(programs.shrink_until_small)(x)  # the cluster computes each test

    assert isinstance(gradient, da.Array)
    (value,) = computed_on(client, gradient)
    expected = ad.grad(programs.shrink_until_small)(x.compute())
    np.testing.assert_allclose(value, expected, rtol=1e-12)


def test_element_writes_and_repeated_rows_columns_and_copies_match_numpy(client):
    x = np.random.default_rng(2).normal(size=(40, 3))
    lazy_x = da.from_array(x, chunks=(10, 3))
    for function in (programs.write_into_a_copy, programs.lookup_repeated_rows,
                     programs.take_repeated_columns, programs.repeat_rows):
        (value,) = computed_on(client, lazy_gradient(function, lazy_x))
        np.testing.assert_allclose(value, ad.grad(function)(x), rtol=1e-12)


def test_a_slice_of_a_dask_array_is_not_a_view_so_a_later_write_does_not_reach_it(client):
    # NumPy's y[:5] is a view, which y[:5] = 1.0 changes; dask's is a new
    # array. The derivative follows the array type, as Python would.
    x = np.random.default_rng(3).normal(size=(12, 2))
    (value,) = computed_on(client, lazy_gradient(programs.read_a_slice_then_write,
                                                 da.from_array(x, chunks=(4, 2))))

    np.testing.assert_allclose(value, ad.grad(programs.read_a_copy_then_write)(x), rtol=1e-12)
    assert not np.allclose(value, ad.grad(programs.read_a_slice_then_write)(x))


def test_repeated_index_pairs_dask_cannot_scatter_are_refused_not_summed_wrongly(client):
    lazy_x = da.from_array(np.ones((4, 3)), chunks=(2, 3))

    with pytest.raises(NoDerivativeRuleError, match="repeated positions"):
        lazy_gradient(programs.add_at_repeated_pairs, lazy_x)


def test_the_gradient_of_a_complex_dask_argument_is_numpys(client):
    # A complex dtype is recognised on dask arrays too: a real-only path
    # would drop the imaginary part of the gradient.
    z = np.array([1 + 2j, 0.5 - 1j, 2 + 0.1j, -0.3 + 0.7j])

    (value,) = computed_on(client, lazy_gradient(programs.complex_energy,
                                                 da.from_array(z, chunks=2)))

    expected = ad.grad(programs.complex_energy)(z)
    assert np.iscomplexobj(value) and np.any(expected.imag != 0)
    np.testing.assert_allclose(value, expected, rtol=1e-12)


def test_a_numpy_parameter_indexed_in_a_loop_over_dask_data_gets_a_lazy_gradient(client, data):
    # The loop's adjoint of the NumPy weights receives dask values: it becomes
    # a dask array (add_into adds out of place), not a NumPy array written into.
    weights = np.array([0.8, -1.2, 0.5])
    X = data[0][:1000]

    d_weights = lazy_gradient(programs.layered_updates, weights, X)

    assert isinstance(d_weights, da.Array) and d_weights.shape == weights.shape
    (value,) = computed_on(client, d_weights)
    np.testing.assert_allclose(value, ad.grad(programs.layered_updates)(weights, X.compute()),
                               rtol=1e-10)


@pytest.mark.parametrize("function, torch_twin", [
    (programs.write_into_numpy_rows, programs.torch_write_into_numpy_rows),
    (programs.add_into_numpy_elements, programs.torch_add_into_numpy_elements),
    (programs.write_then_view_then_write, programs.torch_write_then_view_then_write),
], ids=lambda f: getattr(f, "__name__", ""))
def test_a_numpy_array_receiving_dask_values_computes_them_as_often_as_the_function(
        client, data, function, torch_twin):
    # out = np.zeros(3); out[k] = v (or +=): NumPy's write computes v, in the
    # function and in the derivative alike. out stays a NumPy array, whose
    # views see later writes (a dask copy's slices would not: a wrong gradient).
    weights = np.array([0.8, -1.2, 0.5])
    X = data[0][:1000, :3]
    programs.assert_numpy_gradient_matches_torch(function, torch_twin,
                                                 (weights, X[:50].compute()), (0,))
    computations = []

    def counting(graph, keys, **kwargs):
        computations.append(keys)
        return client.get(graph, keys, **kwargs)

    with dask.config.set(scheduler=counting):
        function(weights, X)
        by_the_function = len(computations)
        d_weights = ad.grad(function)(weights, X)

    assert by_the_function >= 1 and len(computations) == 2 * by_the_function
    assert isinstance(d_weights, da.Array)
    (value,) = computed_on(client, d_weights)
    np.testing.assert_allclose(value, ad.grad(function)(weights, X.compute()), rtol=1e-10)


FORWARD_MODELS = ["logistic regression", "least squares", "elementwise model"]


@pytest.mark.parametrize("name", FORWARD_MODELS)
def test_jvp_on_the_cluster_is_lazy_and_matches_numpy(client, models, in_memory, name):
    function, _, _, lazy, wrt = models[name]
    # A NumPy tangent for a NumPy argument, a dask one (made on the workers,
    # in its chunks) for a dask argument.
    tangents = tuple(da.random.default_rng(4).normal(size=lazy[i].shape, chunks=lazy[i].chunks)
                     if isinstance(lazy[i], da.Array)
                     else np.random.default_rng(4).normal(size=np.shape(lazy[i])) for i in wrt)

    value, product = lazily(ad.jvp(function, wrt=wrt), lazy, tangents)

    assert isinstance(value, da.Array) and isinstance(product, da.Array)
    got = computed_on(client, value, product)
    expected = ad.jvp(function, wrt=wrt)(tuple(map(in_memory, lazy)),
                                         tuple(map(in_memory, tangents)))
    np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("name", ["logistic regression", "least squares"])
def test_forward_mode_gradient_on_the_cluster_is_lazy_and_matches_numpy(
        client, models, in_memory, name):
    # One jvp per entry of w (8) and of b: each entry a lazy dask scalar,
    # stacked by dask into the gradient (on a tenth of the rows: 9 passes).
    function, _, _, lazy, wrt = models[name]
    lazy = tuple(a[:ROWS // 10] if isinstance(a, da.Array) else a for a in lazy)

    gradients = lazily(ad.grad(function, wrt=wrt, mode="forward"), *lazy)

    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    assert all(isinstance(g, da.Array) for g in gradients)
    assert [g.shape for g in gradients] == [np.shape(lazy[i]) for i in wrt]
    values = computed_on(client, *gradients)
    expected = ad.grad(function, wrt=wrt)(*map(in_memory, lazy))
    for value, e in zip(values, expected if isinstance(expected, tuple) else (expected,)):
        np.testing.assert_allclose(value, e, rtol=1e-10, atol=1e-12)


def test_forward_mode_gradient_of_a_dask_argument_is_a_dask_array(client, data):
    X, labels, _ = data
    w = da.from_array(np.linspace(0.5, -0.5, 8), chunks=4)

    gradient = lazily(ad.grad(programs.logistic_loss, mode="forward"), w, X[:10_000],
                      labels[:10_000])

    assert isinstance(gradient, da.Array) and gradient.shape == (8,)
    (value,) = computed_on(client, gradient)
    np.testing.assert_allclose(value, ad.grad(programs.logistic_loss)(
        w.compute(), X[:10_000].compute(), labels[:10_000].compute()), rtol=1e-10)


@pytest.mark.parametrize("function, torch_twin, shift", [
    (programs.shrink_until_small, programs.torch_shrink_until_small, 0.0),
    (programs.branch_on_the_sum, programs.torch_branch_on_the_sum, 0.5),
    (programs.branch_on_the_sum, programs.torch_branch_on_the_sum, -0.5),
], ids=["while on a norm", "if on a sum, taken", "if on a sum, not taken"])
def test_a_test_on_array_values_is_computed_as_often_as_the_function_computes_it(
        client, data, function, torch_twin, shift):
    # docs/scaling.md: the primal sweep evaluates each test once, as the
    # function does, and the adjoint sweep replays the recorded decisions
    # without computing anything; the gradient itself stays lazy.
    x = 3.0 * data[0][:100_000, 0] + shift
    programs.assert_numpy_gradient_matches_torch(function, torch_twin, (x[:50].compute(),), (0,))
    computations = []

    def counting(graph, keys, **kwargs):
        computations.append(keys)
        return client.get(graph, keys, **kwargs)

    with dask.config.set(scheduler=counting):
        function(x)
        by_the_function = len(computations)
        gradient = ad.grad(function)(x)
        by_the_gradient = len(computations) - by_the_function

    assert by_the_function >= 1 and by_the_gradient == by_the_function
    assert isinstance(gradient, da.Array)
    (value,) = computed_on(client, gradient)
    np.testing.assert_allclose(value, ad.grad(function)(x.compute()), rtol=1e-12)


def _tanh_of_the_first_rows(w, X):
    return np.tanh(X[:5] @ w)


@pytest.mark.parametrize("name", ["hessian", "forward jacobian", "reverse jacobian"])
def test_hessian_and_jacobian_on_the_cluster_are_lazy_and_match_numpy(client, data, name):
    # Their columns (or rows) are lazy jvps (vjps), which dask stacks.
    X, labels, _ = data
    X, labels = X[:10_000], labels[:10_000]
    w = np.linspace(0.5, -0.5, 8)
    derivative, args = {
        "hessian": (ad.hessian(programs.logistic_loss), (w, X, labels)),
        "forward jacobian": (ad.jacobian(_tanh_of_the_first_rows, mode="forward"), (w, X)),
        "reverse jacobian": (ad.jacobian(_tanh_of_the_first_rows), (w, X)),
    }[name]

    matrix = lazily(derivative, *args)

    assert isinstance(matrix, da.Array)
    (value,) = computed_on(client, matrix)
    np.testing.assert_allclose(value, derivative(*(a.compute() if isinstance(a, da.Array)
                                                   else a for a in args)), rtol=1e-10)
