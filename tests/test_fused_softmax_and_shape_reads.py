"""Two speed-ups of generated derivative code (issue #13), and that the
derivatives stay exact with them:

* a softmax written out in NumPy (exp(x - max) / sum) is computed as one
  operation whose derivative is the algebraic s (g - sum(g s))
  (passes/fuse_softmax.py), only where nothing else reads its intermediates;
* a gradient does not compute primal values it reads only for their shape
  (passes/shape_reads.py): the mean and log1p of a logistic loss.
"""

import warnings

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler import api, forward_backend, generated, reverse_backend, store
from adcompiler.errors import ComplexValueError
from adcompiler.runtime import core


# -- softmax written out ------------------------------------------------------

def softmax_all(x, v):
    e = np.exp(x - np.max(x))
    p = e / np.sum(e)
    return np.sum(p * v)


def softmax_all_torch(x, v):
    e = torch.exp(x - torch.max(x))
    return torch.sum(e / torch.sum(e) * v)


def softmax_last_axis_methods(x, v):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return np.sum(e / e.sum(axis=-1, keepdims=True) * v)


def softmax_last_axis_torch(x, v):
    e = torch.exp(x - torch.amax(x, dim=-1, keepdim=True))
    return torch.sum(e / torch.sum(e, dim=-1, keepdim=True) * v)


def softmax_two_exponentials(x, v):
    z = x - np.max(x, axis=1, keepdims=True)
    p = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
    return np.sum(p * v)


def softmax_rows_torch(x, v):
    z = x - torch.amax(x, dim=1, keepdim=True)
    return torch.sum(torch.exp(z) / torch.sum(torch.exp(z), dim=1, keepdim=True) * v)


def softmax_unshifted(x, v):
    e = np.exp(x)
    return np.sum(e / np.sum(e, -1, keepdims=True) * v)


def softmax_unshifted_torch(x, v):
    e = torch.exp(x)
    return torch.sum(e / torch.sum(e, -1, keepdim=True) * v)


def softmax_global_shift_rows(x, v):
    e = np.exp(x - np.max(x))
    return np.sum(e / np.sum(e, axis=1, keepdims=True) * v)


def softmax_global_shift_rows_torch(x, v):
    e = torch.exp(x - torch.max(x))
    return torch.sum(e / torch.sum(e, dim=1, keepdim=True) * v)


def shift_along_another_axis(x, v):
    # Not a softmax shift: the maximum varies along the summed axis. Only the
    # exponential and the sum fuse; the shift keeps its derivative.
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return np.sum(e / np.sum(e, axis=1, keepdims=True) * v)


def shift_along_another_axis_torch(x, v):
    e = torch.exp(x - torch.amax(x, dim=0, keepdim=True))
    return torch.sum(e / torch.sum(e, dim=1, keepdim=True) * v)


def exponentials_read_elsewhere(x, v):
    e = np.exp(x - np.max(x))
    p = e / np.sum(e)
    return np.sum(p * v) + e[0, 1]


def exponentials_read_elsewhere_torch(x, v):
    e = torch.exp(x - torch.max(x))
    return torch.sum(e / torch.sum(e) * v) + e[0, 1]


def sum_without_keepdims(x, v):
    # e / sum(e, axis=1) broadcasts the row sums along the last axis: no softmax.
    e = np.exp(x)
    return np.sum(e / np.sum(e, axis=1) * v)


def sum_without_keepdims_torch(x, v):
    e = torch.exp(x)
    return torch.sum(e / torch.sum(e, dim=1) * v)


# (function, its torch twin, whether it is computed as one softmax)
SOFTMAXES = [
    (softmax_all, softmax_all_torch, True),
    (softmax_last_axis_methods, softmax_last_axis_torch, True),
    (softmax_two_exponentials, softmax_rows_torch, True),
    (softmax_unshifted, softmax_unshifted_torch, True),
    (softmax_global_shift_rows, softmax_global_shift_rows_torch, True),
    (shift_along_another_axis, shift_along_another_axis_torch, True),
    (exponentials_read_elsewhere, exponentials_read_elsewhere_torch, False),
    (sum_without_keepdims, sum_without_keepdims_torch, False),
]
RNG = np.random.default_rng(7)
X, V = 3.0 * RNG.standard_normal((4, 4)), RNG.standard_normal((4, 4))


def torch_gradient(function, x, v):
    xt = torch.tensor(x, requires_grad=True)
    return torch.autograd.grad(function(xt, torch.tensor(v)), xt)[0].numpy()


@pytest.mark.parametrize("function, twin, fused", SOFTMAXES, ids=lambda f: getattr(f, "__name__", ""))
def test_softmax_written_out_is_fused_only_where_sound_and_matches_torch(function, twin, fused):
    gradient = ad.grad(function)
    assert ("softmax(" in ad.source(gradient)) == fused
    np.testing.assert_allclose(gradient(X, V), torch_gradient(twin, X, V), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("function, twin, fused", SOFTMAXES[:6],
                         ids=lambda f: getattr(f, "__name__", ""))
def test_fused_softmax_computes_the_functions_value_bit_for_bit(function, twin, fused):
    value, _ = ad.value_and_grad(function)(X, V)
    assert value == function(X, V)


@pytest.mark.parametrize("function, twin", [(softmax_all, softmax_all_torch),
                                            (softmax_two_exponentials, softmax_rows_torch)])
def test_hvp_and_jvp_of_a_fused_softmax_match_torch(function, twin):
    direction = RNG.standard_normal(X.shape)
    xt, vt = torch.tensor(X), torch.tensor(V)
    _, expected_hvp = torch.func.jvp(torch.func.grad(lambda a: twin(a, vt)), (xt,),
                                     (torch.tensor(direction),))
    np.testing.assert_allclose(ad.hvp(function)((X, V), (direction,)), expected_hvp.numpy(),
                               rtol=1e-10, atol=1e-13)
    _, expected_jvp = torch.func.jvp(lambda a: twin(a, vt), (xt,), (torch.tensor(direction),))
    _, tangent = ad.jvp(function)((X, V), (direction,))
    assert tangent == pytest.approx(expected_jvp.item(), rel=1e-12)


def test_softmax_product_fast_paths_give_the_general_formula():
    s = core.softmax(RNG.standard_normal(50), None, "max")
    g = RNG.standard_normal(50)
    general = s * (g - np.sum(g * s, keepdims=True))
    np.testing.assert_allclose(core.softmax_product(g, s, None), general, rtol=1e-13,
                               atol=1e-16)
    rows = core.softmax(RNG.standard_normal((3, 5)), -1, "max")
    g = RNG.standard_normal((3, 5))
    np.testing.assert_array_equal(core.softmax_product(g, rows, -1),
                                  rows * (g - np.sum(g * rows, axis=-1, keepdims=True)))


# -- values read only for their shape ----------------------------------------

def logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.log1p(np.exp(-y * z)))


def logistic_loss_torch(w, X, y):
    return torch.mean(torch.log1p(torch.exp(-y * (X @ w))))


def test_gradient_of_a_mean_of_log1p_computes_neither_and_matches_torch():
    X_ = RNG.standard_normal((30, 4))
    w, y = RNG.standard_normal(4), np.sign(RNG.standard_normal(30))
    gradient = ad.grad(logistic_loss)
    code = [line for line in ad.source(gradient).splitlines()
            if not line.lstrip().startswith("#")]
    assert not [line for line in code if "np.log1p" in line or "np.mean" in line]
    wt = torch.tensor(w, requires_grad=True)
    expected = torch.autograd.grad(logistic_loss_torch(wt, torch.tensor(X_), torch.tensor(y)),
                                   wt)[0]
    np.testing.assert_allclose(gradient(w, X_, y), expected.numpy(), rtol=1e-12)
    value, _ = ad.value_and_grad(logistic_loss)(w, X_, y)
    assert value == logistic_loss(w, X_, y)


def mean_of_tanh_of_exp(x):
    return np.mean(np.tanh(np.exp(x) * 0.5) ** 2)


def sum_of_negated_input(x):
    # -x keeps an integer dtype: the chain is not followed to x.
    return np.sum(np.sin(-x))


def scaled_sum_of_quotients(x, w):
    q = x / w
    return np.sum(-(q * 3.0)) + np.mean(np.exp(q))


def mean_of_softplus_of_exp(x):
    return np.mean(np.log1p(np.exp(x * 0.5)))


def sum_of_sines_of_exp(x):
    return np.sum(np.sin(np.exp(x)))


@pytest.mark.filterwarnings("ignore:differentiating with respect to an array of dtype int")
@pytest.mark.parametrize("skipped", ["drop_shape_reads", "uniform_adjoints"])
@pytest.mark.parametrize("function, args", [
    (mean_of_tanh_of_exp, (RNG.standard_normal(5),)),
    (mean_of_tanh_of_exp, (RNG.standard_normal(5).astype(np.float32),)),
    (mean_of_tanh_of_exp, (np.arange(5, dtype=np.int8),)),
    (mean_of_tanh_of_exp, (0.3,)),
    (sum_of_negated_input, (np.arange(4, dtype=np.int16),)),
    (sum_of_negated_input, (RNG.standard_normal((2, 3)).astype(np.float32),)),
    (scaled_sum_of_quotients, (RNG.standard_normal(6), 1.5)),
    (scaled_sum_of_quotients, (RNG.standard_normal(6).astype(np.float32), np.float32(2.0))),
    (mean_of_softplus_of_exp, (RNG.standard_normal((3, 4)),)),
    (mean_of_softplus_of_exp, (RNG.standard_normal(3).astype(np.float32),)),
    (mean_of_softplus_of_exp, (np.float64(0.2),)),
    (sum_of_sines_of_exp, (RNG.standard_normal(7),)),
])
def test_each_pass_changes_no_bit_of_the_gradient(function, args, skipped, monkeypatch):
    fast = ad.grad(function)(*args)
    try:
        with monkeypatch.context() as patched:
            patched.setattr(generated, skipped, lambda definition, ctx, counts=None: definition)
            compile_afresh()
            slow = ad.grad(function)(*args)
    finally:
        compile_afresh()
    assert type(fast) is type(slow)
    assert np.asarray(fast).dtype == np.asarray(slow).dtype
    np.testing.assert_array_equal(fast, slow)


def test_the_adjoint_of_a_mean_stays_one_number_where_it_is_broadcast():
    shown = ad.source(ad.grad(logistic_loss))
    assert "uniform_mean_adjoint(" in shown
    assert "uniform_" in ad.source(ad.grad(mean_of_softplus_of_exp))
    assert "uniform_sum_adjoint(" in ad.source(ad.grad(sum_of_sines_of_exp))


@pytest.mark.parametrize("a", [np.ones(3), np.ones((2, 2)).T, np.float64(2.0), np.ones(()),
                               np.ones(3, dtype=np.float32), np.arange(3)], ids=repr)
@pytest.mark.parametrize("g", [0.5, np.float64(0.5)], ids=repr)
def test_uniform_adjoints_broadcast_to_the_filled_adjoints(a, g):
    for uniform, general in ((core.uniform_sum_adjoint, core.sum_adjoint),
                             (core.uniform_mean_adjoint, core.mean_adjoint)):
        filled = general(g, a, None, False)
        used = uniform(g, a) * np.ones_like(a, dtype=float) if np.ndim(a) else uniform(g, a)
        np.testing.assert_array_equal(np.broadcast_to(used, np.shape(filled)), filled)


REDUCED = [np.ones(3), np.zeros((2, 0)), np.float64(2.0), 2.0, [1.0, 2.0],
           np.ones(3, dtype=np.float32), np.arange(3), np.ones((2, 2)).T]


@pytest.mark.parametrize("a", REDUCED, ids=repr)
@pytest.mark.parametrize("mean", [True, False])
def test_sum_and_mean_seeds_are_the_seeds_of_the_reductions(a, mean):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the mean of no values
        expected = core.scalar_seed(np.mean(a) if mean else np.sum(a), "f")
        got = (core.mean_seed if mean else core.sum_seed)(a, "f")
    assert type(got) is type(expected)
    np.testing.assert_array_equal(got, expected)
    assert np.asarray(got).dtype == np.asarray(expected).dtype


@pytest.mark.parametrize("seed", [core.sum_seed, core.mean_seed])
def test_sum_and_mean_seeds_refuse_a_complex_result_as_scalar_seed_does(seed):
    with pytest.raises(ComplexValueError):
        seed(np.ones(2) * 1j, "f")


def compile_afresh():
    """Forget every compiled derivative (what register_rule does)."""
    store.clear(api._CACHE)
    reverse_backend.clear_cache()
    forward_backend.clear_cache()
