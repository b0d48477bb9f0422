"""The last NumPy call forms issue #12 asked for, which adcompiler refused:

* `np.where(condition)` with one argument (the indices np.nonzero gives);
* `np.mean(a, where=mask)`, also with axis= and keepdims=;
* `dtype=` (and `casting=`, `order=`, `subok=`) on every ufunc with an
  elementwise rule: the ufunc computes in that dtype, and so does its derivative;
* `np.kaiser(M, beta)` in beta;
* `np.histogram2d` and `np.histogramdd`, as np.histogram: in the weights, in the
  sample through edges that run from its min to its max, with `density=True`.

Each is checked in reverse and forward mode against torch.autograd in float64
(finite differences for the histograms, which torch does not differentiate),
to second order where the function is twice differentiable, and its value
against NumPy's, bit for bit where a dtype= is involved.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.runtime import histograms as runtime_histograms
from adcompiler.runtime import keyword_forms as runtime_keyword_forms
from oracles import assert_close, finite_difference_gradient, torch_directional, torch_gradients
from program_checks import check_gradient, check_hessian, check_jvp, check_value

RNG = np.random.default_rng(12)
X = RNG.normal(size=(3, 4))
Y = RNG.normal(size=(3, 4))
V = RNG.normal(size=5)
W6 = RNG.uniform(0.5, 1.5, size=6)
MASK = np.array([[True, False, True, True],
                 [False, False, True, False],
                 [True, True, False, True]])   # every row and column selects something
NO_ROW = np.array([[True, False, True, True],
                   [False, False, False, False],   # row 1 selects nothing
                   [True, True, False, True]])


def _masked_mean(x, mask, dim=None, keepdim=False):
    m = torch.tensor(mask, dtype=x.dtype)
    if dim is None:
        return torch.sum(x * m) / torch.sum(m)
    return torch.sum(x * m, dim, keepdim=keepdim) / torch.sum(m, dim, keepdim=keepdim)


# -- the programs and their torch twins -------------------------------------------------

def where_indices(x):
    return np.sum(x[np.where(x > 0.1)] ** 2)


def where_indices_twin(x):
    return torch.sum(x[torch.where(x > 0.1)] ** 2)


def where_indices_unpacked(x):
    rows, columns = np.where(x > -0.2)
    return np.sum(np.sin(x[rows, columns]) * columns)


def where_indices_unpacked_twin(x):
    rows, columns = torch.where(x > -0.2)
    return torch.sum(torch.sin(x[rows, columns]) * columns)


def where_of_the_values(x):
    # np.where(x): where x is nonzero; the indices themselves carry no derivative
    return np.sum(np.where(x)[0] * 1.0) + np.sum(x[np.where(x)] ** 3)


def where_of_the_values_twin(x):
    return torch.sum(torch.where(x != 0)[0] * 1.0) + torch.sum(x[torch.where(x != 0)] ** 3)


def mean_where_axis(x):
    return np.sum(np.cos(np.mean(x, axis=1, where=MASK)))


def mean_where_axis_twin(x):
    return torch.sum(torch.cos(_masked_mean(x, MASK, 1)))


def mean_where_all(x):
    return np.sin(np.mean(x ** 2, where=MASK))


def mean_where_all_twin(x):
    return torch.sin(_masked_mean(x ** 2, MASK))


def mean_where_keepdims(x, y):
    return np.sum(np.mean(x * y, axis=0, keepdims=True, where=MASK) * y)


def mean_where_keepdims_twin(x, y):
    return torch.sum(_masked_mean(x * y, MASK, 0, True) * y)


def mean_where_broadcast(x):
    return np.sum(np.mean(x, axis=1, where=MASK[0]) ** 2)   # one row's mask for every row


def mean_where_broadcast_twin(x):
    return torch.sum(_masked_mean(x, np.broadcast_to(MASK[0], X.shape), 1) ** 2)


def mean_where_method(x):
    return x.mean(axis=-1, where=x > -0.5) @ np.array([1.0, -2.0, 3.0])


def mean_where_method_twin(x):
    return _masked_mean(x, X > -0.5, -1) @ torch.tensor([1.0, -2.0, 3.0])


def kaiser_window(beta):
    return np.sum(np.kaiser(7, beta) * np.arange(7.0))


def _kaiser_twin(size, beta):
    n = np.arange(size)
    alpha = (size - 1) / 2.0
    s = torch.tensor(np.sqrt(1 - ((n - alpha) / alpha) ** 2.0))
    return torch.special.i0(beta * s) / torch.special.i0(beta)


def kaiser_window_twin(beta):
    return torch.sum(_kaiser_twin(7, beta) * torch.arange(7.0))


def kaiser_squared(beta, w):
    return np.sum((np.kaiser(6, beta * w[0]) - w) ** 2)


def kaiser_squared_twin(beta, w):
    return torch.sum((_kaiser_twin(6, beta * w[0]) - w) ** 2)


FORMS = [
    ("where-indices", where_indices, where_indices_twin, (X,), (0,)),
    ("where-indices-unpacked", where_indices_unpacked, where_indices_unpacked_twin, (X,), (0,)),
    ("where-of-the-values", where_of_the_values, where_of_the_values_twin, (V,), (0,)),
    ("mean-where-axis", mean_where_axis, mean_where_axis_twin, (X,), (0,)),
    ("mean-where-all", mean_where_all, mean_where_all_twin, (X,), (0,)),
    ("mean-where-keepdims", mean_where_keepdims, mean_where_keepdims_twin, (X, Y), (0, 1)),
    ("mean-where-broadcast", mean_where_broadcast, mean_where_broadcast_twin, (X,), (0,)),
    ("mean-where-method", mean_where_method, mean_where_method_twin, (X,), (0,)),
    ("kaiser", kaiser_window, kaiser_window_twin, (1.7,), (0,)),
    ("kaiser-and-weights", kaiser_squared, kaiser_squared_twin, (2.5, W6), (0, 1)),
]
_IDS = [form[0] for form in FORMS]

# The rules these tables check that coverage_specs.py has no row for (test_numpy_coverage.py).
COVERED_TOO = (np.kaiser, np.histogram2d, np.histogramdd, runtime_keyword_forms.mean_where,
               runtime_keyword_forms.ufunc_operand, runtime_histograms.sample_pieces,
               runtime_histograms.sample_columns)


@pytest.mark.parametrize("name, function, twin, args, wrt", FORMS, ids=_IDS)
def test_gradient_and_value_match_torch(name, function, twin, args, wrt):
    check_gradient(name, function, twin, args, wrt)
    check_value(name, function, args, wrt)


@pytest.mark.parametrize("name, function, twin, args, wrt", FORMS, ids=_IDS)
def test_jvp_matches_torch(name, function, twin, args, wrt):
    check_jvp(name, function, twin, args, wrt, np.random.default_rng(3))


SECOND_ORDER = ["where-indices", "where-indices-unpacked", "mean-where-axis", "mean-where-all",
                "mean-where-keepdims", "mean-where-broadcast", "kaiser", "kaiser-and-weights"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_hessian_matches_torch(name):
    _, function, twin, args, _ = FORMS[_IDS.index(name)]
    check_hessian(name, function, twin, args)


# -- np.where(condition) is integer-valued, as np.nonzero ----------------------------------

@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_the_indices_of_one_argument_where_carry_no_derivative_like_nonzero(mode):
    def count_positive(x):
        return np.sum(np.where(x > 0.0)[0]) + np.sum(np.nonzero(x > 0.0)[0])

    assert_close(ad.grad(count_positive, mode=mode)(V), np.zeros(5))


# -- np.mean(where=): a slice that selects nothing ----------------------------------------

def mean_where_some_row_empty(x):
    means = np.mean(x, axis=1, where=NO_ROW)      # row 1: NaN, as NumPy has it
    return means[0] * 2.0 + means[2]


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value")
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_slice_that_selects_nothing_gives_its_elements_derivative_zero(mode):
    got = ad.grad(mean_where_some_row_empty, mode=mode)(X)
    expected = np.zeros(X.shape)
    expected[0] = 2.0 * NO_ROW[0] / NO_ROW[0].sum()
    expected[2] = NO_ROW[2] / NO_ROW[2].sum()
    assert_close(got, expected)


def test_mean_where_keeps_float32():
    x32 = X.astype(np.float32)
    value, gradient = ad.value_and_grad(mean_where_axis)(x32)
    assert gradient.dtype == np.float32 and value == mean_where_axis(x32)
    _, tangent = ad.jvp(mean_where_axis)((x32,), (np.ones_like(x32),))
    assert np.asarray(tangent).dtype == np.float32


# -- dtype= on ufuncs: computed in that dtype, the derivative too -------------------------

def sin_float32(x):
    return np.sum(np.sin(x, dtype=np.float32) * 3.0)


def sin_float32_twin(x):
    return torch.sum(torch.sin(x.float()) * 3.0)


def add_float32(x, y):
    return np.sum(np.add(x, y * y, dtype=np.float32) ** 2)


def add_float32_twin(x, y):
    return torch.sum((x.float() + (y * y).float()) ** 2)


def exp_float64_of_float32(x):
    return np.sum(np.exp(x.astype(np.float32), dtype=np.float64))


def exp_float64_of_float32_twin(x):
    return torch.sum(torch.exp(x.float().double()))


def arctan2_float32_keywords(x, y):
    return np.sum(np.arctan2(x, y, dtype="float32", casting="same_kind", order="C",
                             subok=True))


def arctan2_float32_keywords_twin(x, y):
    return torch.sum(torch.atan2(x.float(), y.float()))


def multiply_unsafe(x):
    return np.sum(np.multiply(x, 2.5, dtype=np.float32, casting="unsafe") * x)


def multiply_unsafe_twin(x):
    return torch.sum((x.float() * 2.5) * x)


def power_float32(x):
    return np.sum(np.power(np.abs(x) + 1.0, 1.5, dtype=np.float32))


def power_float32_twin(x):
    return torch.sum(torch.pow((torch.abs(x) + 1.0).float(), 1.5))


DTYPE_FORMS = [
    ("sin-float32", sin_float32, sin_float32_twin, (X,), (0,)),
    ("add-float32", add_float32, add_float32_twin, (X, Y), (0, 1)),
    ("exp-float64-of-float32", exp_float64_of_float32, exp_float64_of_float32_twin, (X,), (0,)),
    ("arctan2-keywords", arctan2_float32_keywords, arctan2_float32_keywords_twin, (X, Y),
     (0, 1)),
    ("multiply-unsafe", multiply_unsafe, multiply_unsafe_twin, (X,), (0,)),
    ("power-float32", power_float32, power_float32_twin, (X,), (0,)),
]
_DTYPE_IDS = [form[0] for form in DTYPE_FORMS]
# float32 arithmetic: torch and NumPy may round a float32 sine or power differently in
# the last place; the derivatives differ from the float64 ones by far more than this.
FLOAT32 = {"rtol": 2e-6, "atol": 1e-6}


@pytest.mark.parametrize("name, function, twin, args, wrt", DTYPE_FORMS, ids=_DTYPE_IDS)
def test_a_ufunc_dtype_is_differentiated_in_that_dtype_as_torch(name, function, twin, args,
                                                                 wrt):
    gradients = ad.grad(function, wrt=wrt)(*args)
    for got, want in zip(gradients, torch_gradients(twin, args, wrt)):
        assert_close(got, want, label=name, **FLOAT32)
    tangents = [np.random.default_rng(5).standard_normal(np.shape(args[i])) for i in wrt]
    value, tangent = ad.jvp(function, wrt=wrt)(tuple(args), tuple(tangents))
    _, expected = torch_directional(twin, args, wrt, tangents)
    assert_close(tangent, expected, label=name, **FLOAT32)


def exp_in(x, dtype):
    return np.sum(np.exp(x, dtype=dtype))


@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
def test_a_dtype_held_by_a_variable_is_the_ufuncs_dtype_none_included(dtype):
    x32 = X.astype(np.float32)
    value, gradient = ad.value_and_grad(exp_in)(x32, dtype)
    expected = exp_in(x32, dtype)
    assert value.dtype == expected.dtype and value == expected
    assert gradient.dtype == np.float32
    assert_close(gradient, np.exp(x32.astype(dtype or np.float32)), **FLOAT32)


def test_a_float32_dtype_gives_the_float32_derivative_not_the_float64_one():
    float64 = np.sum(np.cos(X) * 3.0)   # what ignoring dtype= would give
    got = np.sum(ad.grad(sin_float32)(X))
    assert_close(got, np.sum(np.cos(X.astype(np.float32)) * np.float32(3.0)), **FLOAT32)
    assert got != float64


@pytest.mark.parametrize("name, function, twin, args, wrt", DTYPE_FORMS, ids=_DTYPE_IDS)
def test_a_ufunc_dtype_leaves_the_value_numpys_bit_for_bit(name, function, twin, args, wrt):
    value, _ = ad.value_and_grad(function, wrt=wrt)(*args)
    expected = function(*args)
    assert type(value) is type(expected) and value.dtype == expected.dtype
    assert value == expected


def sine_in(x, dtype):
    return np.sin(x, dtype=dtype)


@pytest.mark.parametrize("x", [0.5, np.float64(0.5), np.float32(0.5), np.array(0.5),
                               np.array([0.5, -1.5])], ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_value_and_its_type_are_numpys_for_numbers_and_arrays(x, dtype):
    expected = np.sin(x, dtype=dtype)
    value, tangent = ad.jvp(sine_in, wrt=0)((x, dtype), (np.ones(np.shape(x)),))
    assert type(value) is type(expected) and np.asarray(value).dtype == expected.dtype
    assert np.array_equal(value, expected)
    assert np.asarray(tangent).dtype == dtype
    assert_close(tangent, np.cos(np.asarray(x, dtype=dtype)), **FLOAT32)
    if np.ndim(x) == 0:
        value, gradient = ad.value_and_grad(sine_in)(x, dtype)
        assert type(value) is type(expected) and value == expected
        assert_close(gradient, np.cos(np.asarray(x, dtype=dtype)), **FLOAT32)


@pytest.mark.parametrize("name", ["sin-float32", "add-float32", "power-float32"])
def test_the_hessian_of_a_ufunc_dtype_matches_torch(name):
    _, function, twin, args, _ = DTYPE_FORMS[_DTYPE_IDS.index(name)]
    got = ad.hessian(function, wrt=0)(*args)
    rest = [torch.tensor(np.asarray(a, dtype=np.float64)) for a in args[1:]]
    want = torch.autograd.functional.hessian(
        lambda x: twin(x, *rest), torch.tensor(np.asarray(args[0], dtype=np.float64)))
    assert_close(got, want.numpy(), label=name, **FLOAT32)


def add_to_integers(x):
    return np.sum(np.add(x, x, dtype=np.int64, casting="unsafe") * 1.0)


def add_in(x, dtype):
    return np.sum(np.add(x, x, dtype=dtype, casting="unsafe") * 1.0)


def sine_of_complex_as_float(x):
    return np.sum(np.sin(x * 1j, dtype=np.float64))


def sine_where(x):
    return np.sum(np.sin(x, where=x > 0))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_integer_ufunc_dtype_is_refused_when_compiling(mode):
    with pytest.raises(ad.NoDerivativeRuleError, match="dtype=int64 makes the result"):
        ad.grad(add_to_integers, mode=mode)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_integer_ufunc_dtype_held_by_a_variable_is_refused_when_it_runs(mode):
    assert_close(ad.grad(add_in, mode=mode)(V, np.float64), 2.0 * np.ones(5))
    with pytest.raises(ad.NoDerivativeRuleError, match="dtype=int64 makes the result"):
        ad.grad(add_in, mode=mode)(V, np.int64)


def test_a_cast_numpy_refuses_raises_as_numpy_does():
    with pytest.raises(TypeError):
        sine_of_complex_as_float(V)
    with pytest.raises(TypeError, match="same_kind"):
        ad.grad(sine_of_complex_as_float)(V)


def test_the_where_keyword_of_a_ufunc_is_still_refused():
    with pytest.raises(ad.NoDerivativeRuleError, match="numpy.sin is called with arguments"):
        ad.grad(sine_where)


# -- np.kaiser(1, beta) is [1.0] ------------------------------------------------------------

def kaiser_of_one(beta):
    return np.sum(np.kaiser(1, beta))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_window_of_one_point_does_not_depend_on_beta(mode):
    assert ad.grad(kaiser_of_one, mode=mode)(3.0) == 0.0


# -- np.histogram2d, np.histogramdd (finite differences: torch has no derivative) ----------

SAMPLE_X = np.array([0.31, -1.24, 0.87, 2.05, -0.42, 0.18, 1.33, -0.77])
SAMPLE_Y = np.array([1.12, 0.45, -0.93, 0.27, 1.86, -1.51, 0.64, 0.09])
WEIGHTS = np.array([0.5, 1.5, 1.0, 2.0, 0.7, 1.2, 0.9, 1.4])
SCORES = np.arange(12.0).reshape(3, 4) - 5.0


def histogram2d_density(x, y, w):
    hist, x_edges, y_edges = np.histogram2d(x, y, bins=(3, 4), weights=w, density=True)
    return np.sum(hist * SCORES) + np.sum(x_edges ** 2) - np.sum(y_edges * 3.0)


def histogram2d_counts(x, y, w):
    hist, x_edges, _ = np.histogram2d(x, y, bins=3, weights=w)
    return np.sum(hist ** 2) + np.sum(x_edges * np.arange(4.0))


def histogram2d_in_a_range(x, y, w):
    hist, _, y_edges = np.histogram2d(x, y, bins=[3, 2], range=[[-2.0, 2.5], None],
                                      weights=w, density=True)
    return np.sum(hist ** 2) + np.sum(y_edges ** 3)


def histogram2d_count_and_edges(x, y, w):
    hist, x_edges, y_edges = np.histogram2d(x, y, bins=[3, np.array([-2.0, 0.0, 0.5, 2.0])],
                                            weights=w, density=True)
    return np.sum(hist * SCORES[:, :3]) + np.sum(x_edges ** 2) + np.sum(y_edges ** 2)


def histogramdd_density(sample, w):
    hist, edges = np.histogramdd(sample, bins=(2, 3), weights=w, density=True)
    return np.sum(hist ** 2) + np.sum(edges[0] ** 2) + np.sum(edges[1] * 2.0)


def histogramdd_of_a_list(x, y, w):
    hist, edges = np.histogramdd([x, y], bins=3, weights=w * w)
    return np.sum(hist * SCORES[:, :3]) + np.sum(edges[1] ** 2)


def histogramdd_one_dimension(x, w):
    hist, edges = np.histogramdd(x, bins=4, weights=w, density=True)
    return np.sum(hist * np.arange(4.0)) + np.sum(edges[0] ** 2)


POINTS = np.stack([SAMPLE_X, SAMPLE_Y], axis=1)
HISTOGRAMS = [
    ("histogram2d-density", histogram2d_density, (SAMPLE_X, SAMPLE_Y, WEIGHTS), (0, 1, 2)),
    ("histogram2d-counts", histogram2d_counts, (SAMPLE_X, SAMPLE_Y, WEIGHTS), (0, 1, 2)),
    ("histogram2d-in-a-range", histogram2d_in_a_range, (SAMPLE_X, SAMPLE_Y, WEIGHTS),
     (0, 1, 2)),
    ("histogram2d-count-and-edges", histogram2d_count_and_edges, (SAMPLE_X, SAMPLE_Y, WEIGHTS),
     (0, 1, 2)),
    ("histogramdd-density", histogramdd_density, (POINTS, WEIGHTS), (0, 1)),
    ("histogramdd-of-a-list", histogramdd_of_a_list, (SAMPLE_X, SAMPLE_Y, WEIGHTS), (0, 1, 2)),
    ("histogramdd-one-dimension", histogramdd_one_dimension, (SAMPLE_X, WEIGHTS), (0, 1)),
]
_HISTOGRAM_IDS = [form[0] for form in HISTOGRAMS]


@pytest.mark.parametrize("name, function, args, wrt", HISTOGRAMS, ids=_HISTOGRAM_IDS)
def test_histograms_match_finite_differences_in_both_modes(name, function, args, wrt):
    # No sample lies within a step of a bin edge: the counts do not change under it.
    expected = [finite_difference_gradient(function, args, i) for i in wrt]
    value, gradients = ad.value_and_grad(function, wrt=wrt)(*args)
    assert value == function(*args)
    for index, got, want in zip(wrt, gradients, expected):
        assert_close(got, want, rtol=1e-6, atol=1e-7, label=f"{name}: arg {index}")
    tangents = [np.random.default_rng(7).standard_normal(np.shape(args[i])) for i in wrt]
    _, tangent = ad.jvp(function, wrt=wrt)(tuple(args), tuple(tangents))
    directional = sum(np.sum(e * t) for e, t in zip(expected, tangents))
    assert_close(tangent, directional, rtol=1e-6, atol=1e-7, label=f"{name}: tangent")


@pytest.mark.parametrize("name, position", [
    ("histogram2d-density", 2), ("histogramdd-density", 1), ("histogramdd-of-a-list", 2),
    ("histogram2d-density", 0), ("histogramdd-density", 0), ("histogramdd-of-a-list", 1)])
def test_histogram_hessians_match_finite_differences_of_the_gradient(name, position):
    # In the weights, the density divides by their total; in the sample, by the spread
    # of the moving edges.
    _, function, args, _ = HISTOGRAMS[_HISTOGRAM_IDS.index(name)]
    got = ad.hessian(function, wrt=position)(*args)

    def gradient(*values):
        return ad.grad(function, wrt=position)(*values)

    rows = [finite_difference_gradient(lambda *a: np.ravel(gradient(*a))[k], args, position)
            for k in range(np.size(args[position]))]
    expected = np.reshape(rows, np.shape(got))
    assert_close(got, expected, rtol=1e-5, atol=1e-6, label=name)


def histogram2d_with_estimated_bins(x, y):
    return np.sum(np.histogram2d(x, y, bins="auto")[1])


def test_bins_chosen_by_an_estimator_are_refused_in_the_sample():
    with pytest.raises((ad.AdError, TypeError, ValueError)):
        ad.grad(histogram2d_with_estimated_bins)(SAMPLE_X, SAMPLE_Y)
