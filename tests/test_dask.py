"""The derivative of a NumPy function runs on dask arrays, on a real
dask.distributed cluster: gradients are built lazily (building one computes
nothing), come back as dask arrays, and equal the NumPy gradient, itself
checked against torch on a slice of the data (docs/scaling.md)."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.errors import NoDerivativeRuleError
from oracles import torch_gradients

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")
torch = pytest.importorskip("torch")

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


def lazy_gradient(function, *args, wrt=0):
    """ad.grad(function)(*args) with every dask computation refused, and with
    dask's warning for a NumPy function it does not implement (which would
    compute the array) an error."""
    with warnings.catch_warnings(), dask.config.set(scheduler=_refuse_to_compute):
        warnings.simplefilter("error", FutureWarning)
        return ad.grad(function, wrt=wrt)(*args)


def computed_on(client, *lazy):
    """The values of dask arrays, computed by the cluster's workers."""
    with distributed.get_task_stream(client) as tasks:
        values = dask.compute(*lazy)
    assert tasks.data, "nothing ran on the cluster"
    return values


def logistic_loss(w, X, y):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def torch_logistic_loss(w, X, y):
    p = torch.sigmoid(X @ w)
    return -torch.mean(y * torch.log(p) + (1 - y) * torch.log(1 - p))


def least_squares(w, b, X, y):
    residual = X @ w + b - y
    return 0.5 * np.sum(residual ** 2) / X.shape[0]


def torch_least_squares(w, b, X, y):
    return 0.5 * torch.sum((X @ w + b - y) ** 2) / X.shape[0]


def elementwise_model(scale, x):
    return np.sum(np.tanh(scale * x) * np.sin(x) + np.sqrt(x * x + 1.0))


def torch_elementwise_model(scale, x):
    return torch.sum(torch.tanh(scale * x) * torch.sin(x) + torch.sqrt(x * x + 1.0))


def layered_updates(weights, X):
    h = X
    for k in range(3):
        h = np.tanh(h * weights[k] + 0.1)
    return np.mean(h ** 2)


def torch_layered_updates(weights, X):
    h = X
    for k in range(3):
        h = torch.tanh(h * weights[k] + 0.1)
    return torch.mean(h ** 2)


def shrink_until_small(x):
    while np.linalg.norm(x) > 1.0:
        x = x * 0.5
    return np.sum(x ** 3)


def torch_shrink_until_small(x):
    while torch.linalg.norm(x) > 1.0:
        x = x * 0.5
    return torch.sum(x ** 3)


def assert_numpy_gradient_matches_torch(function, torch_twin, args, wrt):
    """The NumPy gradient, the reference for the cluster's, against torch."""
    expected = torch_gradients(torch_twin, args, wrt)
    got = ad.grad(function, wrt=wrt)(*args)
    got = got if isinstance(got, tuple) else (got,)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def test_logistic_regression_gradient_on_the_cluster_matches_numpy(client, data):
    X, labels, _ = data
    w = np.linspace(0.5, -0.5, 8)
    x_small, y_small = X[:500].compute(), labels[:500].compute()
    assert_numpy_gradient_matches_torch(logistic_loss, torch_logistic_loss,
                                        (w, x_small, y_small), (0,))

    gradient = lazy_gradient(logistic_loss, w, X, labels)

    assert isinstance(gradient, da.Array) and gradient.shape == (8,)
    (value,) = computed_on(client, gradient)
    expected = ad.grad(logistic_loss)(w, X.compute(), labels.compute())
    np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-14)


def test_least_squares_gradient_on_the_cluster_matches_numpy(client, data):
    X, _, targets = data
    w, b = np.zeros(8), 0.3
    assert_numpy_gradient_matches_torch(least_squares, torch_least_squares,
                                        (w, b, X[:500].compute(), targets[:500].compute()),
                                        (0, 1))

    dw, db = lazy_gradient(least_squares, w, b, X, targets, wrt=(0, 1))

    assert isinstance(dw, da.Array) and isinstance(db, da.Array) and db.shape == ()
    got = computed_on(client, dw, db)
    expected = ad.grad(least_squares, wrt=(0, 1))(w, b, X.compute(), targets.compute())
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-14)


def test_elementwise_model_over_a_large_array_matches_numpy(client):
    x = da.random.default_rng(1).normal(size=(2000, 2000), chunks=(500, 1000))
    assert_numpy_gradient_matches_torch(elementwise_model, torch_elementwise_model,
                                        (1.5, x[:20, :20].compute()), (0, 1))

    d_scale, dx = lazy_gradient(elementwise_model, 1.5, x, wrt=(0, 1))

    assert dx.chunks == x.chunks  # the adjoint keeps the argument's chunks
    got = computed_on(client, d_scale, dx)
    expected = ad.grad(elementwise_model, wrt=(0, 1))(1.5, x.compute())
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10)


def test_loop_of_array_updates_matches_numpy(client, data):
    X = data[0][:200_000]
    weights = np.array([0.8, -1.2, 0.5])
    assert_numpy_gradient_matches_torch(layered_updates, torch_layered_updates,
                                        (weights, X[:100].compute()), (0, 1))
    # Parameters indexed inside the loop are passed as a dask array too: their
    # adjoint accumulates in place (docs/scaling.md).
    lazy_weights = da.from_array(weights, chunks=3)

    d_weights, dX = lazy_gradient(layered_updates, lazy_weights, X, wrt=(0, 1))

    got = computed_on(client, d_weights, dX)
    expected = ad.grad(layered_updates, wrt=(0, 1))(weights, X.compute())
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-14)


def test_while_on_a_norm_computes_its_condition_and_matches_numpy(client, data):
    x = 3.0 * data[0][:, 0]
    assert_numpy_gradient_matches_torch(shrink_until_small, torch_shrink_until_small,
                                        (x[:50].compute(),), (0,))

    with dask.config.set(scheduler=_refuse_to_compute):
        with pytest.raises(AssertionError, match="computed a dask array"):
            ad.grad(shrink_until_small)(x)  # the loop's test needs a concrete value
    gradient = ad.grad(shrink_until_small)(x)  # each test is computed by the cluster

    assert isinstance(gradient, da.Array)
    (value,) = computed_on(client, gradient)
    np.testing.assert_allclose(value, ad.grad(shrink_until_small)(x.compute()), rtol=1e-12)


def write_into_a_copy(x):
    y = x * 2.0
    y[0:10] = 0.0
    y[20] = y[21] * 3.0
    np.add.at(y, [1, 3, 3], x[:3])
    return np.sum(y ** 2)


def read_a_slice_then_write(x):
    y = x * 1.0
    head = y[:5]
    y[:5] = 1.0
    return np.sum(head * y[:5]) + np.sum(y)


def read_a_copy_then_write(x):
    y = x * 1.0
    head = np.copy(y[:5])
    y[:5] = 1.0
    return np.sum(head * y[:5]) + np.sum(y)


def lookup_repeated_rows(table):
    rows = table[np.array([0, 2, 5, 2, 2])]
    return np.sum(rows ** 2)


def test_element_writes_and_repeated_rows_match_numpy(client):
    x = np.random.default_rng(2).normal(size=(40, 3))
    lazy_x = da.from_array(x, chunks=(10, 3))
    for function in (write_into_a_copy, lookup_repeated_rows):
        (value,) = computed_on(client, lazy_gradient(function, lazy_x))
        np.testing.assert_allclose(value, ad.grad(function)(x), rtol=1e-12)


def test_a_slice_of_a_dask_array_is_not_a_view_so_a_later_write_does_not_reach_it(client):
    # NumPy's y[:5] is a view, which y[:5] = 1.0 changes; dask's is a new
    # array. The derivative follows the array type, as Python would.
    x = np.random.default_rng(3).normal(size=(12, 2))
    (value,) = computed_on(client, lazy_gradient(read_a_slice_then_write,
                                                 da.from_array(x, chunks=(4, 2))))

    np.testing.assert_allclose(value, ad.grad(read_a_copy_then_write)(x), rtol=1e-12)
    assert not np.allclose(value, ad.grad(read_a_slice_then_write)(x))


def add_at_repeated_pairs(x):
    y = x * 1.0
    np.add.at(y, (np.array([0, 0]), np.array([1, 1])), 1.0)
    return np.sum(y[(np.array([0, 0]), np.array([1, 1]))] * x[0, 1])


def test_repeated_index_pairs_dask_cannot_scatter_are_refused_not_summed_wrongly(client):
    lazy_x = da.from_array(np.ones((4, 3)), chunks=(2, 3))

    with pytest.raises(NoDerivativeRuleError, match="repeated positions"):
        lazy_gradient(add_at_repeated_pairs, lazy_x)
