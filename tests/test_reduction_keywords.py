"""The call forms of NumPy reductions that autograd and JAX users write
(issue #12): `where=` and `initial=` of sums and extrema, NumPy 2's
`correction=`, `mean=` and `stable=`, `np.average(..., returned=True)`, `out=None`
spelled out, and the reductions, accumulations and outer products of the
ufuncs themselves (`np.add.reduce`, `np.maximum.reduce`, `np.add.outer`, ...).

Each form is checked against its torch twin in float64, in reverse mode
(gradient, and finite differences) and in forward mode (jvp), its value
against NumPy's; float32 stays float32; a few have their Hessian checked too.
The forms adcompiler does not model are refused when compiling.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close
from program_checks import check_gradient, check_hessian, check_jvp, check_value

MASK = np.array([[True, False, True, True],
                 [False, False, True, False],
                 [True, True, False, True]])
ROW_MASK = np.array([True, False, True, True])
NO_ROW = np.array([[True, True, False, True],
                   [False, False, False, False],
                   [True, False, True, True]])  # row 1 selects nothing: max is initial


def _t(mask):
    return torch.tensor(mask)


def _masked(x, mask, fill):
    return torch.where(_t(mask), x, torch.tensor(fill, dtype=x.dtype))


def _with_initial(x, initial, dim):
    """x with `initial` joined along `dim`, so that torch.amax sees it as one more element."""
    shape = list(x.shape)
    shape[dim] = 1
    return torch.cat([x, initial.expand(shape) if torch.is_tensor(initial)
                      else torch.full(shape, float(initial))], dim=dim)


# -- the programs and their torch twins ----------------------------------------------

def sum_where(x):
    return np.sum(np.cos(np.sum(x, axis=1, where=MASK)))


def sum_where_twin(x):
    return torch.sum(torch.cos(torch.sum(_masked(x, MASK, 0.0), 1)))


def sum_where_all(x):
    return np.sin(np.sum(x, where=MASK))


def sum_where_all_twin(x):
    return torch.sin(torch.sum(_masked(x, MASK, 0.0)))


def sum_initial_where_keepdims(x, c):
    return np.sum(np.sin(np.sum(np.abs(x), axis=-1, keepdims=True, initial=c, where=ROW_MASK)))


def sum_initial_where_keepdims_twin(x, c):
    return torch.sum(torch.sin(torch.sum(_masked(torch.abs(x), ROW_MASK, 0.0), -1,
                                         keepdim=True) + c))


def sum_initial_where_true(x):
    return np.sum(np.abs(x), axis=None, keepdims=False, initial=0.5, where=True) ** 2


def sum_initial_where_true_twin(x):
    return (torch.sum(torch.abs(x)) + 0.5) ** 2


def nansum_where(x):
    y = np.where(x > 1.0, np.nan, x)
    return np.sum(np.cos(np.nansum(y, axis=0, where=MASK)))


def nansum_where_twin(x):
    y = torch.where(x > 1.0, torch.tensor(float("nan")), x)
    return torch.sum(torch.cos(torch.nansum(_masked(y, MASK, 0.0), 0)))


def prod_initial(x, c):
    return np.sum(np.prod(x, axis=1, initial=c) ** 2)


def prod_initial_twin(x, c):
    return torch.sum((torch.prod(x, 1) * c) ** 2)


def prod_where(x, c):
    return np.sum(np.prod(x, axis=1, where=MASK, initial=c, keepdims=True) ** 2)


def prod_where_twin(x, c):
    return torch.sum((torch.prod(_masked(x, MASK, 1.0), 1, keepdim=True) * c) ** 2)


def multiply_reduce_where(x):
    return np.multiply.reduce(x, axis=None, where=MASK)


def multiply_reduce_where_twin(x):
    return torch.prod(_masked(x, MASK, 1.0))


def max_initial(x):
    return np.sum(np.cos(np.max(x, axis=1, initial=0.2)))


def max_initial_twin(x):
    return torch.sum(torch.cos(torch.amax(_with_initial(x, 0.2, 1), 1)))


def max_where_initial(x, c):
    return np.sum(np.cos(np.max(x, axis=1, where=NO_ROW, initial=c)))


def max_where_initial_twin(x, c):
    return torch.sum(torch.cos(torch.amax(_with_initial(_masked(x, NO_ROW, -np.inf), c, 1), 1)))


def amin_where_initial_all(x, c):
    return np.sin(np.amin(x, where=MASK, initial=c))


def amin_where_initial_all_twin(x, c):
    return torch.sin(torch.amin(torch.cat([_masked(x, MASK, np.inf).reshape(-1),
                                           c.reshape(1)])))


def min_where_keepdims(x):
    return np.sum(np.exp(np.min(x, axis=0, keepdims=True, where=MASK, initial=0.1)))


def min_where_keepdims_twin(x):
    return torch.sum(torch.exp(torch.amin(_with_initial(_masked(x, MASK, np.inf), 0.1, 0), 0,
                                          keepdim=True)))


def var_correction(x):
    return np.sum(np.var(x, axis=1, correction=1) ** 2)


def var_correction_twin(x):
    return torch.sum(torch.var(x, 1, correction=1) ** 2)


def std_correction(x):
    return np.std(x, correction=2) + np.sum(np.std(x, axis=0, keepdims=True, correction=1))


def std_correction_twin(x):
    return torch.std(x, correction=2) + torch.sum(torch.std(x, 0, correction=1, keepdim=True))


SPREAD = np.array([[True, False, True, True],
                   [True, True, True, False],
                   [False, True, True, True]])  # at least two elements in every row


def _masked_var(x, mask, dim=None, ddof=0, mean=None, keepdim=False):
    m = _t(mask).to(x.dtype)
    dims = tuple(range(x.dim())) if dim is None else dim
    count = torch.sum(m, dims, keepdim=True)
    centre = torch.sum(m * x, dims, keepdim=True) / count if mean is None else mean
    total = torch.sum(m * (x - centre) ** 2, dims, keepdim=True) / (count - ddof)
    return total if keepdim else total.squeeze() if dim is None else total.squeeze(dim)


def var_where(x):
    return np.sum(np.var(x, axis=1, where=SPREAD, ddof=1) ** 2)


def var_where_twin(x):
    return torch.sum(_masked_var(x, SPREAD, 1, ddof=1) ** 2)


def std_where_all(x):
    return np.std(x, where=SPREAD, correction=1)


def std_where_all_twin(x):
    return torch.sqrt(_masked_var(x, SPREAD, ddof=1))


def std_given_mean(x, m):
    return np.sum(np.std(x, axis=0, mean=m, keepdims=True))


def std_given_mean_twin(x, m):
    return torch.sum(torch.sqrt(torch.mean((x - m) ** 2, 0, keepdim=True)))


def var_mean_of_all_where(x):
    return np.sum(np.var(x, axis=1, where=SPREAD, mean=np.mean(x, keepdims=True)) ** 2)


def var_mean_of_all_where_twin(x):
    mean = torch.mean(x).reshape(1, 1)
    return torch.sum(_masked_var(x, SPREAD, 1, mean=mean) ** 2)


def sort_stable(x):
    return np.sum(np.sort(x, axis=1, stable=True) * np.arange(4.0))


def sort_stable_twin(x):
    return torch.sum(torch.sort(x, dim=1, stable=True).values * torch.arange(4.0))


def average_returned(x, w):
    average, total = np.average(x, axis=1, weights=w, returned=True)
    return np.sum(np.sin(average) * total)


def average_returned_twin(x, w):
    total = torch.sum(w).expand(3)
    return torch.sum(torch.sin(torch.sum(x * w, 1) / total) * total)


def dot_out_none(x, v):
    return np.sum(np.cos(np.dot(x, v, out=None)))


def dot_out_none_twin(x, v):
    return torch.sum(torch.cos(x @ v))


def matmul_out_none(x, v):
    return np.sum(np.sin(np.matmul(x, v, out=None)))


def matmul_out_none_twin(x, v):
    return torch.sum(torch.sin(x @ v))


def add_reduce(x):
    return np.sum(np.cos(np.add.reduce(x)))


def add_reduce_twin(x):
    return torch.sum(torch.cos(torch.sum(x, 0)))


def add_reduce_keywords(x, c):
    return np.sum(np.cos(np.add.reduce(x, axis=1, keepdims=True, where=MASK, initial=c)))


def add_reduce_keywords_twin(x, c):
    return torch.sum(torch.cos(torch.sum(_masked(x, MASK, 0.0), 1, keepdim=True) + c))


def multiply_reduce(x):
    return np.sum(np.multiply.reduce(x, axis=1) ** 2) + np.multiply.reduce(x, axis=None)


def multiply_reduce_twin(x):
    return torch.sum(torch.prod(x, 1) ** 2) + torch.prod(x)


def multiply_reduce_initial(x, c):
    return np.sum(np.multiply.reduce(x, initial=c))


def multiply_reduce_initial_twin(x, c):
    return torch.sum(torch.prod(x, 0) * c)


def maximum_reduce(x):
    return np.sum(np.sin(np.maximum.reduce(x))) + np.maximum.reduce(x, axis=None)


def maximum_reduce_twin(x):
    return torch.sum(torch.sin(torch.amax(x, 0))) + torch.amax(x)


def minimum_reduce_where(x, c):
    return np.sum(np.sin(np.minimum.reduce(x, axis=1, where=NO_ROW, initial=c)))


def minimum_reduce_where_twin(x, c):
    return torch.sum(torch.sin(torch.amin(_with_initial(_masked(x, NO_ROW, np.inf), c, 1), 1)))


def logaddexp_reduce(x):
    return np.sum(np.cos(np.logaddexp.reduce(x, axis=1))) + np.logaddexp.reduce(x[0])


def logaddexp_reduce_twin(x):
    return torch.sum(torch.cos(torch.logsumexp(x, 1))) + torch.logsumexp(x[0], 0)


def add_accumulate(x):
    return np.sum(np.cos(np.add.accumulate(x)) * np.arange(12.0).reshape(3, 4))


def add_accumulate_twin(x):
    return torch.sum(torch.cos(torch.cumsum(x, 0)) * torch.arange(12.0).reshape(3, 4))


def multiply_accumulate(x):
    return np.sum(np.multiply.accumulate(x, axis=1) * np.arange(12.0).reshape(3, 4))


def multiply_accumulate_twin(x):
    return torch.sum(torch.cumprod(x, 1) * torch.arange(12.0).reshape(3, 4))


def outers(v, x):
    return (np.sum(np.sin(np.add.outer(v, x))) + np.sum(np.cos(np.subtract.outer(x, v)))
            + np.sum(np.multiply.outer(v, x) ** 2))


def outers_twin(v, x):
    return (torch.sum(torch.sin(v[:, None, None] + x)) + torch.sum(torch.cos(x[..., None] - v))
            + torch.sum((v[:, None, None] * x) ** 2))


_RNG = np.random.default_rng(12)
X = _RNG.normal(size=(3, 4))
POSITIVE = _RNG.uniform(0.5, 1.5, size=(3, 4))
V = _RNG.normal(size=4)
W = _RNG.uniform(0.5, 1.5, size=4)
C = 0.3   # an initial that wins in no group of X but the empty one (NO_ROW's row 1)
C_MIN = -0.4

# name, function, twin, arguments, differentiated positions
FORMS = [
    ("sum-where-axis", sum_where, sum_where_twin, (X,), (0,)),
    ("sum-where-all", sum_where_all, sum_where_all_twin, (X,), (0,)),
    ("sum-initial-where-keepdims", sum_initial_where_keepdims,
     sum_initial_where_keepdims_twin, (X, C), (0, 1)),
    ("sum-initial-where-true", sum_initial_where_true, sum_initial_where_true_twin, (X,), (0,)),
    ("nansum-where", nansum_where, nansum_where_twin, (X,), (0,)),
    ("prod-initial", prod_initial, prod_initial_twin, (POSITIVE, 1.7), (0, 1)),
    ("prod-where", prod_where, prod_where_twin, (X, 1.7), (0, 1)),
    ("multiply-reduce-where", multiply_reduce_where, multiply_reduce_where_twin, (X,), (0,)),
    ("max-initial", max_initial, max_initial_twin, (X,), (0,)),
    ("max-where-initial", max_where_initial, max_where_initial_twin, (X, C), (0, 1)),
    ("amin-where-initial-all", amin_where_initial_all, amin_where_initial_all_twin,
     (X, C_MIN), (0, 1)),
    ("min-where-keepdims", min_where_keepdims, min_where_keepdims_twin, (X,), (0,)),
    ("var-correction", var_correction, var_correction_twin, (X,), (0,)),
    ("std-correction", std_correction, std_correction_twin, (X,), (0,)),
    ("var-where", var_where, var_where_twin, (X,), (0,)),
    ("std-where-all", std_where_all, std_where_all_twin, (X,), (0,)),
    ("std-given-mean", std_given_mean, std_given_mean_twin, (X, V.reshape(1, 4)), (0, 1)),
    ("var-mean-of-all-where", var_mean_of_all_where, var_mean_of_all_where_twin, (X,), (0,)),
    ("sort-stable", sort_stable, sort_stable_twin, (X,), (0,)),
    ("average-returned", average_returned, average_returned_twin, (X, W), (0, 1)),
    ("dot-out-none", dot_out_none, dot_out_none_twin, (X, V), (0, 1)),
    ("matmul-out-none", matmul_out_none, matmul_out_none_twin, (X, V), (0, 1)),
    ("add-reduce", add_reduce, add_reduce_twin, (X,), (0,)),
    ("add-reduce-keywords", add_reduce_keywords, add_reduce_keywords_twin, (X, C), (0, 1)),
    ("multiply-reduce", multiply_reduce, multiply_reduce_twin, (POSITIVE,), (0,)),
    ("multiply-reduce-initial", multiply_reduce_initial, multiply_reduce_initial_twin,
     (POSITIVE, 1.3), (0, 1)),
    ("maximum-reduce", maximum_reduce, maximum_reduce_twin, (X,), (0,)),
    ("minimum-reduce-where", minimum_reduce_where, minimum_reduce_where_twin, (X, C_MIN),
     (0, 1)),
    ("logaddexp-reduce", logaddexp_reduce, logaddexp_reduce_twin, (X,), (0,)),
    ("add-accumulate", add_accumulate, add_accumulate_twin, (X,), (0,)),
    ("multiply-accumulate", multiply_accumulate, multiply_accumulate_twin, (POSITIVE,), (0,)),
    ("ufunc-outers", outers, outers_twin, (V[:3], X), (0, 1)),
]
_IDS = [form[0] for form in FORMS]

# The rules this table checks that coverage_specs.py has no row for (test_numpy_coverage.py).
COVERED_TOO = (np.add.reduce, np.multiply.reduce, np.maximum.reduce, np.minimum.reduce,
               np.logaddexp.reduce, np.add.accumulate, np.multiply.accumulate, np.add.outer,
               np.subtract.outer, np.multiply.outer)


@pytest.mark.parametrize("name, function, twin, args, wrt", FORMS, ids=_IDS)
def test_gradient_and_value_match_torch(name, function, twin, args, wrt):
    check_gradient(name, function, twin, args, wrt)
    check_value(name, function, args, wrt)


@pytest.mark.parametrize("name, function, twin, args, wrt", FORMS, ids=_IDS)
def test_jvp_matches_torch(name, function, twin, args, wrt):
    check_jvp(name, function, twin, args, wrt, np.random.default_rng(3))


# -- ties: the derivative is shared evenly, initial included, as torch.amax shares it ---

TIED = np.array([[0.5, 0.2, 0.5, -1.0],
                 [0.3, 0.1, 0.3, 0.3],
                 [-2.0, -3.0, -2.5, -1.5]])


def max_ties_initial(x, c):
    return np.sum(np.max(x, axis=1, initial=c) * np.array([1.0, 2.0, 3.0]))


def max_ties_initial_twin(x, c):
    return torch.sum(torch.amax(_with_initial(x, c, 1), 1) * torch.tensor([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_ties_with_initial_share_the_derivative_evenly_as_torch_amax(mode):
    # row 0: two elements tie; row 1: three elements tie with initial; row 2: initial wins
    args = (TIED, 0.3)
    got = ad.grad(max_ties_initial, wrt=(0, 1), mode=mode)(*args)
    tensors = [torch.tensor(TIED, requires_grad=True), torch.tensor(0.3, requires_grad=True)]
    want = torch.autograd.grad(max_ties_initial_twin(*tensors), tensors)
    for got_part, want_part in zip(got, want):
        assert_close(got_part, want_part.numpy())


# -- float32 stays float32 ----------------------------------------------------------

FLOAT32_FORMS = ["sum-where-axis", "nansum-where", "max-where-initial", "min-where-keepdims",
                 "prod-where", "var-correction", "var-where", "std-given-mean", "add-reduce-keywords", "multiply-reduce",
                 "minimum-reduce-where", "logaddexp-reduce", "ufunc-outers", "average-returned"]


@pytest.mark.parametrize("name", FLOAT32_FORMS)
def test_float32_arguments_get_float32_derivatives_in_both_modes(name):
    _, function, _, args, wrt = FORMS[_IDS.index(name)]
    args32 = tuple(np.asarray(a, dtype=np.float32) if np.ndim(a) else a for a in args)
    array_positions = tuple(i for i in wrt if np.ndim(args[i]))
    assert np.asarray(function(*args32)).dtype == np.float32
    gradients = ad.grad(function, wrt=array_positions)(*args32)
    assert all(g.dtype == np.float32 for g in gradients), [g.dtype for g in gradients]
    expected = ad.grad(function, wrt=array_positions)(*args)
    for got, want in zip(gradients, expected):
        assert_close(got, want, rtol=1e-4, atol=1e-5, label=name)
    tangents = tuple(np.ones_like(args32[i]) for i in array_positions)
    value, tangent = ad.jvp(function, wrt=array_positions)(args32, tangents)
    assert np.asarray(tangent).dtype == np.float32
    assert np.asarray(value).dtype == np.float32


# -- second derivatives --------------------------------------------------------------

SECOND_ORDER = ["sum-where-axis", "sum-initial-where-keepdims", "prod-initial", "prod-where",
                "max-where-initial", "var-correction", "var-where", "std-given-mean",
                "var-mean-of-all-where", "average-returned", "add-reduce-keywords",
                "multiply-reduce", "logaddexp-reduce", "multiply-accumulate", "ufunc-outers"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_hessian_matches_torch(name):
    _, function, twin, args, _ = FORMS[_IDS.index(name)]
    check_hessian(name, function, twin, args)


# -- what is refused ------------------------------------------------------------------

def sin_where(x):
    return np.sum(np.sin(x, where=MASK))


def logaddexp_reduce_initial(x):
    return np.logaddexp.reduce(x, axis=1, initial=0.0)[0]


def add_reduce_to_integers(x):
    # every element truncated: the derivative would be 0, not 1
    return np.sum(np.add.reduce(x, dtype=np.int64)) * 1.0


def add_accumulate_dtype_by_position(x):
    return np.sum(np.add.accumulate(x, 0, int)) * 1.0


def complex_var_where(x):
    return np.var(x * (1.0 + 2.0j), where=MASK)


# (np.mean's where= and the ufuncs' dtype= are differentiated: tests/test_numpy_call_forms.py)
REFUSED = [sin_where, logaddexp_reduce_initial, add_reduce_to_integers,
           add_accumulate_dtype_by_position]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("function", REFUSED, ids=[f.__name__ for f in REFUSED])
def test_unmodelled_keywords_are_refused_when_compiling(function, mode):
    with pytest.raises(ad.AdError, match="derivative rule does not cover"):
        ad.grad(function, mode=mode)(X)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_where_of_a_complex_variance_is_refused_when_the_derivative_runs(mode):
    with pytest.raises(ad.AdError, match="complex"):
        ad.grad(complex_var_where, mode=mode)(X)
