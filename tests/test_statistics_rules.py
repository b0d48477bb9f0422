"""NumPy's order statistics and NaN-ignoring reductions, against torch.autograd.

Table-driven (CASES): each row is a NumPy call, the torch function it equals
(float64) and its differentiated arguments; every row is checked

  * in reverse mode (`ad.vjp` with a random seed) against torch.autograd.grad,
  * in forward mode (`ad.jvp` along a random direction) against torch.func.jvp,
  * for its value: adcompiler's is NumPy's, and the torch twin's is NumPy's too.

The conventions the rules state (rules/statistics_rules.py):
  * a quantile is a gather of the order statistics it interpolates; entries
    equal to one share its derivative evenly (as np.max's ties). torch's
    quantile gives a tie to one entry of the sorted order instead, so the twins
    read `a` through `tie_shared(a)`, equal to `a` in value and averaging the
    derivative over each set of equal entries of a slice;
  * the nan* functions are their plain counterparts on the entries that are not
    NaN: NaN entries, and all-NaN slices, get derivative 0 (masked torch twins);
  * np.median is the mean of the two middle values (torch.median takes the
    lower one: the twins are quantiles);
  * q is differentiated for the continuous methods and refused for the discrete
    ones; weights= and overwrite_input=True are refused, as complex inputs.

Then second derivatives (the Hessian, forward over reverse) of the smooth
ones, float32 operands, and the refusals.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.errors import AdError
from aliasing_generator import load_numpy_function
from oracles import assert_close, torch_directional, torch_gradients

# -- torch twins ------------------------------------------------------------------------

METHODS_IN_TORCH = ("linear", "lower", "higher", "nearest", "midpoint")
# Hyndman and Fan's continuous methods: (alpha, beta) of NumPy's documentation.
ALPHA_BETA = {"hazen": (0.5, 0.5), "weibull": (0.0, 0.0), "median_unbiased": (1 / 3, 1 / 3),
              "normal_unbiased": (3 / 8, 3 / 8), "interpolated_inverted_cdf": (0.0, 1.0)}


def _dims(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(d % x.ndim for d in axis))


def _slices(x, axis):
    """x with the reduced dims moved last and flattened: (kept..., n)."""
    dims = _dims(x, axis)
    kept = [d for d in range(x.ndim) if d not in dims]
    moved = x.permute(*kept, *dims)
    return moved.reshape(*[x.shape[d] for d in kept], -1), dims


def _restore(out, x, dims, q_ndim, keepdims):
    if not keepdims:
        return out
    shape = list(out.shape[:q_ndim]) + [1 if d in dims else n for d, n in enumerate(x.shape)]
    return out.reshape(shape)


def tie_shared(x, axis=None):
    """x, whose derivative is averaged over the entries of a slice equal to each
    other (NaN entries stay themselves): what `ties share evenly` means."""
    flat, dims = _slices(x, axis)
    with torch.no_grad():
        equal = (flat[..., :, None] == flat[..., None, :]) | torch.eye(flat.shape[-1],
                                                                        dtype=torch.bool)
        average = equal / equal.sum(-1, keepdim=True)
    shared = torch.einsum("...ij,...j->...i", average, torch.nan_to_num(flat))
    shared = torch.where(torch.isnan(flat), flat, shared)
    kept = [d for d in range(x.ndim) if d not in dims]
    moved_shape = [x.shape[d] for d in kept] + [x.shape[d] for d in dims]
    return shared.reshape(moved_shape).permute(*torch.argsort(torch.tensor(kept + list(dims))))


def _nan_entries_constant(x):
    """x, with no derivative at its NaN entries (torch.nanquantile gives an
    all-NaN slice's derivative to one of them)."""
    return torch.where(torch.isnan(x), x.detach(), x)


def _virtual_index(n, q, method):
    """NumPy's virtual index of the quantile q among n sorted values."""
    if method in ALPHA_BETA:
        alpha, beta = ALPHA_BETA[method]
        return n * q + alpha + q * (1 - alpha - beta) - 1
    v = (n - 1) * q
    return {"linear": v, "lower": torch.floor(v), "higher": torch.ceil(v),
            "nearest": torch.round(v), "midpoint": (torch.floor(v) + torch.ceil(v)) / 2,
            "inverted_cdf": torch.ceil(n * q) - 1,
            # The average of two neighbours where n q is a whole number.
            "averaged_inverted_cdf": _averaged_inverted_cdf(n * q - 1),
            # The nearest order statistic, the even one (1-based) on a tie.
            "closest_observation": _closest_observation(n * q - 1.5)}[method]


def _averaged_inverted_cdf(index):
    below = torch.floor(index)
    return torch.where(index == below, below + 0.5, below + 1)


def _closest_observation(index):
    below = torch.floor(index)
    return torch.where((index == below) & (below % 2 == 1), below, below + 1)


def quantile_by_sort(x, q, axis=None, keepdims=False, method="linear", nan=False):
    """The quantile as NumPy defines it, by torch.sort and a lerp at the virtual
    index (differentiable in q too)."""
    x = tie_shared(_nan_entries_constant(x) if nan else x, axis)
    flat, dims = _slices(x, axis)
    q = torch.as_tensor(q)
    ordered = torch.sort(flat, dim=-1).values   # NaN last
    n = (~torch.isnan(flat)).sum(-1) if nan else torch.full(flat.shape[:-1], flat.shape[-1])
    qq = q.reshape(q.shape + (1,) * n.ndim)
    v = _virtual_index(n.to(q.dtype), qq, method)
    last = (n - 1).clamp(min=0).to(v.dtype)
    v = torch.minimum(torch.clamp(v, min=0.0), last)
    lo = torch.floor(v).detach()
    hi = torch.minimum(lo + 1, last)
    gamma = v - lo
    # (0 for NaN: only all-NaN slices of nan* quantiles gather them, masked below)
    expanded = torch.nan_to_num(ordered).expand(q.shape + ordered.shape)
    at = lambda i: torch.gather(expanded, -1, i.long().unsqueeze(-1)).squeeze(-1)  # noqa: E731
    low = at(lo)
    out = low + gamma * (at(hi) - low)
    # An all-NaN slice of a nan* quantile: NaN, reached by nothing (derivative 0).
    out = torch.where(n == 0, torch.nan, out)
    return _restore(out, x, dims, q.ndim, keepdims)


def quantile(x, q, axis=None, keepdims=False, method="linear", nan=False):
    """torch.quantile (torch.nanquantile) over NumPy's axis, ties shared."""
    differentiated_q = isinstance(q, torch.Tensor) and q.requires_grad
    # (torch.nanquantile's forward mode gives an all-NaN slice a NaN derivative)
    empty_slice = nan and bool(torch.isnan(_slices(x, axis)[0]).all(-1).any())
    if method not in METHODS_IN_TORCH or differentiated_q or empty_slice:
        return quantile_by_sort(x, q, axis, keepdims, method, nan)
    x = tie_shared(_nan_entries_constant(x) if nan else x, axis)
    flat, dims = _slices(x, axis)
    q = torch.as_tensor(q, dtype=torch.float64)
    out = (torch.nanquantile if nan else torch.quantile)(flat, q.reshape(-1) if q.ndim else q,
                                                         dim=-1, interpolation=method)
    return _restore(out.reshape(q.shape + out.shape[min(q.ndim, 1):]), x, dims, q.ndim, keepdims)


def percentile(x, p, *args, **kwargs):
    return quantile(x, torch.as_tensor(p) / 100.0, *args, **kwargs)


def _masked(x, fill):
    return torch.where(torch.isnan(x), torch.as_tensor(fill, dtype=x.dtype), x)


def nanextremum(function, x, axis=None, keepdims=False):
    """torch.amax/amin (ties shared evenly) over the entries that are not NaN."""
    fill = -torch.inf if function is torch.amax else torch.inf
    dims = _dims(x, axis)
    out = function(_masked(x, fill), dim=dims, keepdim=keepdims)
    empty = torch.isnan(x).all(dim=dims, keepdim=keepdims)
    return torch.where(empty, torch.nan, out)


def nansum(x, axis=None, keepdims=False):
    return torch.nansum(x, dim=_dims(x, axis), keepdim=keepdims)


def nanmean(x, axis=None, keepdims=False):
    """torch.nanmean, with derivative 0 (not 0 / 0) at an all-NaN slice."""
    dims = _dims(x, axis)
    count = (~torch.isnan(x)).sum(dim=dims, keepdim=keepdims)
    mean = nansum(x, axis, keepdims) / count.clamp(min=1)
    return torch.where(count == 0, torch.nan, mean)


def nanvar(x, axis=None, keepdims=False, ddof=0):
    dims = _dims(x, axis)
    valid = ~torch.isnan(x)
    count = valid.sum(dim=dims, keepdim=True)
    zeroed = _masked(x, 0.0)
    mean = zeroed.sum(dim=dims, keepdim=True) / count.clamp(min=1)
    squares = ((zeroed - mean) * valid) ** 2
    var = squares.sum(dim=dims, keepdim=True) / (count - ddof)
    # NumPy's value is NaN where ddof >= count (the derivative too), and where
    # all are NaN (no entry reaches it: derivative 0).
    var = var * torch.where((count - ddof <= 0) & (count > 0), torch.nan, 1.0)
    var = torch.where(count == 0, torch.nan, var)
    return var.reshape(squares.sum(dim=dims, keepdim=keepdims).shape)


def nanstd(x, axis=None, keepdims=False, ddof=0):
    return torch.sqrt(nanvar(x, axis, keepdims, ddof))


def nanprod(x, axis=None, keepdims=False):
    out = _masked(x, 1.0)
    for d in reversed(_dims(x, axis)):
        out = torch.prod(out, dim=d, keepdim=True)
    return out if keepdims else out.reshape([n for d, n in enumerate(x.shape)
                                             if d not in _dims(x, axis)])


def nancumulative(function, x, axis=None):
    fill = 0.0 if function is torch.cumsum else 1.0
    x = _masked(x, fill)
    return function(x.reshape(-1), 0) if axis is None else function(x, axis)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    out = torch.where(torch.isnan(x), torch.as_tensor(nan), x)
    big = torch.finfo(x.dtype).max
    out = torch.where(torch.isposinf(x), torch.as_tensor(big if posinf is None else posinf), out)
    return torch.where(torch.isneginf(x), torch.as_tensor(-big if neginf is None else neginf), out)


TWIN_NAMESPACE = {"torch": torch, "quantile": quantile, "percentile": percentile,
                  "nanextremum": nanextremum, "nansum": nansum, "nanmean": nanmean,
                  "nanvar": nanvar, "nanstd": nanstd,
                  "nanprod": nanprod, "nancumulative": nancumulative, "nan_to_num": nan_to_num}

# -- inputs -----------------------------------------------------------------------------


def _with_nans(rng, shape):
    x = rng.normal(size=shape)
    flat = x.reshape(-1)
    flat[rng.permutation(flat.size)[:max(1, flat.size // 4)]] = np.nan
    return x


DOMAINS = {
    "real": lambda rng, shape: rng.normal(size=shape),
    "ties": lambda rng, shape: rng.choice([-1.0, 0.5, 2.0], shape),
    "nans": _with_nans,
    "nan-ties": lambda rng, shape: np.where(rng.random(shape) < 0.25, np.nan,
                                            rng.choice([-1.0, 0.5, 2.0], shape)),
    # The first row all NaN (the result NaN there), NaNs elsewhere too.
    "nan-row": lambda rng, shape: np.concatenate([np.full((1,) + shape[1:], np.nan),
                                                  _with_nans(rng, (shape[0] - 1,) + shape[1:])]),
    "zeros-nans": lambda rng, shape: np.where(rng.random(shape) < 0.3, np.nan, np.where(
        rng.random(shape) < 0.3, 0.0, rng.uniform(0.5, 1.5, size=shape))),
    "nonfinite": lambda rng, shape: rng.choice([np.nan, np.inf, -np.inf, 0.5, -1.5, 2.0], shape),
    "q": lambda rng, shape: rng.uniform(0.1, 0.9, size=shape),
    "percent": lambda rng, shape: rng.uniform(10.0, 90.0, size=shape),
}


@dataclass
class Case:
    """One call: NumPy text, its torch twin, and the differentiated arguments
    as name -> (shape, domain); `()` is a 0-d array, "py" a Python float."""

    id: str
    call: str
    twin: str
    args: dict


def _case(function, call_args, twin, shape, domain, extra=None):
    args = {"a": (shape, domain), **(extra or {})}
    return Case(f"{function}({call_args})[{domain},{'x'.join(map(str, shape))}]",
                f"np.{function}({call_args})", twin, args)


def _reduction_cases(function, twin_of, domains, shapes_axes):
    """`function` over every (shape, axis, keepdims) with each domain."""
    cases = []
    for shape, axis, keepdims in shapes_axes:
        call = f"a, axis={axis!r}" + (", keepdims=True" if keepdims else "")
        twin = twin_of(f"axis={axis!r}, keepdims={keepdims}")
        for domain in domains:
            cases.append(_case(function, call, twin, shape, domain))
    return cases


QS_FOR_9 = [0.05, 0.3, 1 / 3, 0.5, 0.62, 2 / 3, 0.99]
SHAPES_AXES = [((7,), None, False), ((4, 5), 1, False), ((4, 5), -2, True),
               ((3, 4, 5), (0, 2), False), ((3, 4, 5), None, True), ((2, 3, 4), (-1, 1), True)]
SOME_SHAPES_AXES = [((6,), None, False), ((4, 5), 1, True), ((3, 4, 5), (0, -1), False)]

CASES = [
    # Median: the mean of the middle two for an even count (4 and 6 entries), ties shared.
    *_reduction_cases("median", lambda o: f"quantile(a, 0.5, {o})", ("real", "ties"),
                      SHAPES_AXES),
    *_reduction_cases("nanmedian", lambda o: f"quantile(a, 0.5, {o}, nan=True)",
                      ("nans", "nan-ties", "nan-row"), SHAPES_AXES[:4]),
    # Quantiles: q a number, a list, an array; the methods torch has.
    *[_case("quantile", f"a, {q}, axis={axis!r}, method={method!r}{keep}",
            f"quantile(a, torch.tensor({q}), axis={axis!r}, method={method!r}, "
            f"keepdims={bool(keep)})", shape, domain)
      for method in METHODS_IN_TORCH
      for q, shape, axis, keep in ((0.3, (7,), None, ""), ([0.1, 0.5, 0.95], (4, 6), 1, ""),
                                   ([[0.25], [0.8]], (3, 4, 5), (0, 2), ", keepdims=True"))
      for domain in ("real", "ties")],
    # The methods torch lacks, against the virtual index NumPy documents.
    # (n q whole for q = 1/3 and 2/3 at n = 9, between order statistics for the others)
    *[_case("quantile", f"a, {QS_FOR_9}, axis=-1, method={method!r}",
            f"quantile(a, torch.tensor({QS_FOR_9}), axis=-1, method={method!r})",
            (3, 9), domain)
      for method in (*ALPHA_BETA, "inverted_cdf", "averaged_inverted_cdf", "closest_observation")
      for domain in ("real", "ties")],
    *[_case("percentile", f"a, {p}, axis={axis!r}, method={method!r}",
            f"percentile(a, torch.tensor({p}), axis={axis!r}, method={method!r})",
            (4, 5), domain)
      for p, axis, method in ((37.5, 0, "linear"), ([10.0, 50.0, 90.0], None, "nearest"),
                              ([25.0, 75.0], (1,), "hazen"))
      for domain in ("real", "ties")],
    *[_case(function, f"a, {q}, axis={axis!r}, method={method!r}",
            f"{twin}(a, torch.tensor({q}), axis={axis!r}, method={method!r}, nan=True)",
            shape, domain)
      for function, twin, q in (("nanquantile", "quantile", [0.2, 0.5, 0.9]),
                                ("nanpercentile", "percentile", [20.0, 50.0, 90.0]))
      for shape, axis in (((9,), None), ((4, 6), 1), ((3, 4, 5), (0, 2)))
      for method in ("linear", "lower", "midpoint", "weibull")
      for domain in ("nans", "nan-ties")],
    _case("nanquantile", "a, [0.3, 0.5], axis=1", "quantile(a, torch.tensor([0.3, 0.5]), "
          "axis=1, nan=True)", (3, 5), "nan-row"),
    Case("nanquantile-in-q[nan-row]", "np.nanquantile(a, q, axis=1, keepdims=True)",
         "quantile(a, q, axis=1, keepdims=True, nan=True)",
         {"a": ((3, 5), "nan-row"), "q": ((2,), "q")}),
    # q differentiated (the continuous methods), with a.
    *[Case(f"{function}-in-q[{method},{domain}]",
           f"np.{function}(a, q, axis={axis!r}, method={method!r})",
           f"{twin}(a, q, axis={axis!r}, method={method!r}{nan})",
           {"a": ((4, 7), domain), "q": (q_shape, q_domain)})
      for function, twin, nan, q_domain in (("quantile", "quantile", "", "q"),
                                            ("percentile", "percentile", "", "percent"),
                                            ("nanquantile", "quantile", ", nan=True", "q"),
                                            ("nanpercentile", "percentile", ", nan=True",
                                             "percent"))
      for method, q_shape, axis in (("linear", (3,), 1), ("hazen", (), 0),
                                    ("median_unbiased", (2, 1), None))
      for domain in (("nans",) if function.startswith("nan") else ("real", "ties"))],
    Case("quantile-in-q[python-float]", "np.quantile(a, q)", "quantile(a, q)",
         {"a": ((6,), "real"), "q": ("py", "q")}),
    # NaN-ignoring extrema, variances, products, cumulative sums and products.
    *[case for function, twin in (("nanmax", "torch.amax"), ("nanmin", "torch.amin"))
      for case in _reduction_cases(function, lambda o, t=twin: f"nanextremum({t}, a, {o})",
                                   ("nans", "nan-ties", "nan-row"), SHAPES_AXES[:4])],
    *_reduction_cases("nanvar", lambda o: f"nanvar(a, {o})", ("nans", "nan-row"), SHAPES_AXES),
    *_reduction_cases("nanstd", lambda o: f"nanstd(a, {o})", ("nans",), SHAPES_AXES),
    *[_case(function, f"a, axis=1, ddof={ddof}", f"{twin}(a, axis=1, ddof={ddof})", (4, 6),
            "nans") for function, twin in (("nanvar", "nanvar"), ("nanstd", "nanstd"))
      for ddof in (1, 2)],
    *_reduction_cases("nanprod", lambda o: f"nanprod(a, {o})", ("nans", "zeros-nans"),
                      SOME_SHAPES_AXES),
    *_reduction_cases("nansum", lambda o: f"nansum(a, {o})", ("nans", "nan-row"),
                      SOME_SHAPES_AXES),
    *_reduction_cases("nanmean", lambda o: f"nanmean(a, {o})", ("nans", "nan-row"),
                      SOME_SHAPES_AXES),
    *[_case(function, f"a, axis={axis!r}", f"nancumulative({twin}, a, axis={axis!r})",
            shape, domain)
      for function, twin, domains in (("nancumsum", "torch.cumsum", ("nans",)),
                                      ("nancumprod", "torch.cumprod", ("nans", "zeros-nans")))
      for shape, axis in (((7,), None), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), None))
      for domain in domains],
    # nan_to_num: 0 at the replaced entries; the replacements get theirs.
    _case("nan_to_num", "a", "nan_to_num(a)", (4, 5), "nonfinite"),
    _case("nan_to_num", "a, nan=-1.0, posinf=9.0", "nan_to_num(a, -1.0, 9.0)", (4, 5),
          "nonfinite"),
    Case("nan_to_num-in-the-replacements", "np.nan_to_num(a, nan=b, posinf=c, neginf=d)",
         "nan_to_num(a, b, c, d)", {"a": ((4, 5), "nonfinite"), "b": ("py", "real"),
                                    "c": ((), "real"), "d": ((5,), "real")}),
]

# The differentiable rules the rows check against torch (the coverage table
# tests/test_numpy_coverage.py counts them as covered).
COVERED_TOO = (np.median, np.nanmedian, np.quantile, np.percentile, np.nanquantile,
               np.nanpercentile, np.nanmax, np.nanmin, np.nanvar, np.nanstd, np.nanprod,
               np.nansum, np.nanmean, np.nancumsum, np.nancumprod, np.nan_to_num)

BY_ID = {case.id: case for case in CASES}
assert len(BY_ID) == len(CASES), "case ids must be unique"

@functools.cache
def _function(case_id):
    """The case's call as a function of its arguments, in a module file of its
    own (adcompiler reads source with inspect)."""
    case = BY_ID[case_id]
    return load_numpy_function(f"def f({', '.join(case.args)}):\n    return {case.call}\n")


def _twin(case):
    return eval(f"lambda {', '.join(case.args)}: {case.twin}", dict(TWIN_NAMESPACE))


def _inputs(case):
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    values = []
    for shape, domain in case.args.values():
        value = DOMAINS[domain](rng, () if shape == "py" else shape)
        values.append(float(value) if shape == "py" else np.asarray(value, dtype=np.float64))
    return values, rng


# -- both modes, in float64 -------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_statistics_rule_matches_torch_in_both_modes(case):
    function, twin = _function(case.id), _twin(case)
    values, rng = _inputs(case)
    wrt = tuple(range(len(values)))
    value = function(*values)
    twin_value = twin(*[torch.as_tensor(v) for v in values]).numpy()
    assert_close(twin_value, value, rtol=1e-12, atol=1e-12, label=f"{case.id}: twin's value")

    seed = rng.normal(size=np.shape(value))
    gradients = ad.vjp(function, wrt=wrt)(tuple(values), seed)
    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    for name, argument, got, want in zip(case.args, values, gradients,
                                         torch_gradients(twin, values, wrt, seed)):
        assert type(got) is type(argument), f"{case.id}: d{name} is a {type(got).__name__}"
        assert_close(got, want, label=f"{case.id}: d{name} (reverse)")

    tangents = [float(rng.normal()) if isinstance(v, float) else rng.normal(size=np.shape(v))
                for v in values]
    forward_value, tangent = ad.jvp(function, wrt=wrt)(tuple(values), tuple(tangents))
    assert_close(forward_value, value, rtol=0, atol=0, label=f"{case.id}: value")
    _, want = torch_directional(twin, values, wrt, tangents)
    assert_close(tangent, want, label=f"{case.id}: jvp (forward)")


def test_ties_share_an_order_statistic_evenly_so_q_1_is_np_max():
    a = np.array([[2.0, 5.0, 5.0, 1.0], [3.0, 3.0, 3.0, 0.0]])
    top = ad.grad(lambda x: np.sum(np.quantile(x, 1.0, axis=1)))(a)
    assert_close(top, ad.grad(lambda x: np.sum(np.max(x, axis=1)))(a))
    assert_close(top, [[0, 0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3, 0]])
    # The middle two of [3, 3, 3, 0] are both 3: the three 3s share their weight.
    assert_close(ad.grad(lambda x: np.sum(np.median(x, axis=1)))(a),
                 [[0.5, 0.25, 0.25, 0], [1 / 3, 1 / 3, 1 / 3, 0]])


def quantile_of(a, q):
    return np.quantile(a, q)


def test_derivative_in_q_is_the_slope_between_the_order_statistics_read():
    # Sorted [1, 2, 4, inf]: q = 0.2 reads 1 and 2 at (n - 1) q = 0.6, whatever lies beyond.
    a = np.array([1.0, np.inf, 2.0, 4.0])
    for mode in ("reverse", "forward"):
        da, dq = ad.grad(quantile_of, wrt=(0, 1), mode=mode)(a, 0.2)
        assert_close(da, [0.4, 0.0, 0.6, 0.0], label=mode)
        assert dq == 3 * (2.0 - 1.0), mode


# -- second derivatives ---------------------------------------------------------------

def hessian_nanvar(a):
    return np.sum(np.nanvar(a, axis=1, ddof=1) ** 2)


def hessian_nanstd(a):
    return np.sum(np.sin(np.nanstd(a, axis=0)))


def hessian_nanprod(a):
    return np.sum(np.nanprod(a, axis=1) ** 2)


def hessian_quantile(a, q):
    return np.sum(np.quantile(a, q, axis=1) ** 2)


def hessian_nanpercentile(a, q):
    return np.sum(np.nanpercentile(a, q, axis=0, method="hazen") ** 3)


def hessian_nancumprod(a):
    return np.sum(np.nancumprod(a, axis=1) ** 2)


def hessian_nanmedian(a):
    return np.sum(np.nanmedian(a, axis=0) ** 2)


def hessian_nan_to_num(a, b):
    return np.sum(np.nan_to_num(a, nan=b) ** 3)


SECOND_ORDER = [
    (hessian_nanvar, lambda a: torch.sum(nanvar(a, axis=1, ddof=1) ** 2), [((3, 5), "nans")]),
    (hessian_nanstd, lambda a: torch.sum(torch.sin(nanstd(a, axis=0))), [((5, 3), "nans")]),
    (hessian_nanprod, lambda a: torch.sum(nanprod(a, axis=1) ** 2), [((3, 4), "zeros-nans")]),
    (hessian_quantile, lambda a, q: torch.sum(quantile(a, q, axis=1) ** 2),
     [((3, 6), "real"), ((2,), "q")]),
    (hessian_nanpercentile, lambda a, q: torch.sum(percentile(a, q, axis=0, method="hazen",
                                                              nan=True) ** 3),
     [((6, 2), "nans"), ((2,), "percent")]),
    (hessian_nancumprod, lambda a: torch.sum(nancumulative(torch.cumprod, a, axis=1) ** 2),
     [((2, 4), "zeros-nans")]),
    (hessian_nanmedian, lambda a: torch.sum(quantile(a, 0.5, axis=0, nan=True) ** 2),
     [((5, 3), "nan-ties")]),
    (hessian_nan_to_num, lambda a, b: torch.sum(nan_to_num(a, b) ** 3),
     [((3, 4), "nonfinite"), ((), "real")]),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("function, twin, args", SECOND_ORDER,
                         ids=[row[0].__name__ for row in SECOND_ORDER])
def test_hessian_matches_torch(function, twin, args):
    rng = np.random.default_rng(zlib.crc32(function.__name__.encode()))
    values = [DOMAINS[domain](rng, shape) for shape, domain in args]
    wrt = tuple(range(len(values)))
    got = ad.hessian(function, wrt=wrt if len(wrt) > 1 else 0)(*values)
    want = torch.autograd.functional.hessian(twin, tuple(torch.as_tensor(v) for v in values))
    if len(wrt) == 1:
        got, want = ((got,),), ((want[0][0],),)
    for i in wrt:
        for j in wrt:
            assert_close(got[i][j], want[i][j].numpy(), label=f"d2/d{i}d{j} (forward over reverse)")
            reverse_over_reverse = ad.jacobian(ad.grad(function, wrt=i), wrt=j, mode="reverse")
            assert_close(reverse_over_reverse(*values), want[i][j].numpy(),
                         label=f"d2/d{i}d{j} (reverse over reverse)")


# -- float32 ----------------------------------------------------------------------------

FLOAT32_CALLS = [
    ("np.median(a, axis=1)", "real"), ("np.quantile(a, 0.3, axis=0, method='hazen')", "real"),
    ("np.nanpercentile(a, 70.0)", "nans"), ("np.nanmax(a, axis=1)", "nans"),
    ("np.nanvar(a, axis=0)", "nans"), ("np.nanstd(a, axis=1, ddof=1)", "nans"),
    ("np.nanprod(a, axis=1)", "nans"), ("np.nancumsum(a, axis=0)", "nans"),
    ("np.nancumprod(a)", "nans"), ("np.nan_to_num(a)", "nonfinite"),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("call, domain", FLOAT32_CALLS, ids=[c for c, _ in FLOAT32_CALLS])
def test_float32_operands_give_float32_derivatives(call, domain):
    function = load_numpy_function(f"def f(a):\n    return {call}\n")
    rng = np.random.default_rng(3)
    a = DOMAINS[domain](rng, (4, 5)).astype(np.float32)
    out = function(a)
    assert np.asarray(out).dtype == np.float32
    seed = rng.normal(size=np.shape(out)).astype(np.float32)
    gradient = ad.vjp(function)((a,), seed)
    assert gradient.dtype == np.float32, f"{call}: gradient {gradient.dtype}"
    want = ad.vjp(function)((a.astype(np.float64),), seed.astype(np.float64))
    assert_close(gradient, want, rtol=1e-4, atol=1e-4, label=call)
    _, tangent = ad.jvp(function)((a,), (rng.normal(size=a.shape).astype(np.float32),))
    assert np.asarray(tangent).dtype == np.float32, f"{call}: tangent {np.asarray(tangent).dtype}"


# -- refusals ---------------------------------------------------------------------------

def lower_quantile_in_q(a, q):
    return np.sum(np.quantile(a, q, method="lower"))


def weighted_quantile(a, w):
    return np.quantile(a, 0.5, method="inverted_cdf", weights=w)


def median_overwriting_input(a):
    return np.median(a, overwrite_input=True)


def unknown_method(a):
    return np.quantile(a, 0.5, method="bogus")


def nanmax_with_initial(a):
    return np.nanmax(a, initial=0.0)


def nan_to_num_in_place(a):
    return np.nan_to_num(a, copy=False)


def complex_nanvar(z):
    return np.real(np.nanvar(z * (1 + 1j)))


def complex_median(z):
    return np.real(np.median(z * (1 + 1j)))


def nan_to_num_of_complex(z):
    return np.sum(np.real(np.nan_to_num(z * (1 + 1j))))


REFUSED = [
    ("a discrete method in q", lower_quantile_in_q, (np.arange(5.0), np.array(0.4)), (0, 1),
     "step function of q"),
    ("weights", weighted_quantile, (np.arange(5.0), np.ones(5)), (0,), "weight"),
    ("an unknown method", unknown_method, (np.arange(5.0),), (0,), "bogus"),
    ("initial", nanmax_with_initial, (np.arange(5.0),), (0,), "does not cover"),
    ("copy=False", nan_to_num_in_place, (np.array([1.0, np.nan]),), (0,), "copy=False"),
    ("overwrite_input", median_overwriting_input, (np.arange(5.0),), (0,), "overwrite_input"),
    ("complex nanvar", complex_nanvar, (np.arange(4.0),), (0,), "complex"),
    ("complex median", complex_median, (np.arange(4.0),), (0,), "complex"),
    ("complex nan_to_num", nan_to_num_of_complex, (np.arange(4.0),), (0,), "complex"),
]


@pytest.mark.parametrize("what, function, args, wrt, message", REFUSED,
                         ids=[row[0] for row in REFUSED])
def test_unmodelled_arguments_are_refused_in_both_modes(what, function, args, wrt, message):
    with pytest.raises(AdError, match=message):
        ad.grad(function, wrt=wrt)(*args)
    with pytest.raises(AdError, match=message):
        ad.jvp(function, wrt=wrt)(args, tuple(np.ones_like(args[i]) for i in wrt))


def nanargmax_picks(a):
    return a[np.nanargmax(a)] * np.nanargmin(a)


def test_nanargmax_and_nanargmin_are_integer_valued_and_carry_no_derivative():
    a = np.array([0.5, np.nan, 2.0, -1.0])
    assert_close(ad.grad(nanargmax_picks)(a), [0.0, 0.0, 3.0, 0.0])


# -- complex values: the nan* sums and products are their plain counterparts ------------

def nan_sums_and_products_of_complex(z):
    w = z * (1.0 + 2.0j)
    return np.real(np.nanprod(w) + np.sum(np.nancumsum(w * 1j) * np.nancumprod(w * 0.5)))


def sums_and_products_of_complex(z):
    w = z * (1.0 + 2.0j)
    return np.real(np.prod(w) + np.sum(np.cumsum(w * 1j) * np.cumprod(w * 0.5)))


def test_complex_nanprod_nancumsum_nancumprod_follow_prod_cumsum_cumprod_in_both_modes():
    # Without NaNs the functions are the same, and so are their rules' formulas.
    z = np.array([0.5, -1.2, 0.7])
    for mode in ("reverse", "forward"):
        assert_close(ad.grad(nan_sums_and_products_of_complex, mode=mode)(z),
                     ad.grad(sums_and_products_of_complex, mode=mode)(z), label=mode)
