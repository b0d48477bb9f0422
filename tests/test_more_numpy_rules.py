"""The NumPy functions JAX differentiates that adcompiler did not (issue #12),
against torch.autograd in float64.

Table-driven: each row's call becomes the body of a function adcompiler
compiles, and

  * the value equals the torch twin's (the twin is built from torch primitives
    where torch has no function of that name);
  * reverse mode: `ad.vjp` with a random seed equals torch.autograd.grad;
  * forward mode: `ad.jvp` along random tangents equals torch.func.jvp;
  * second order (rows marked `second`): `ad.hessian` of <seed, f(x)> in the
    first argument equals torch's Hessian;
  * float32 (rows marked `single`): float32 operands give float32 derivatives
    close to the float64 ones.

Then the refusals: what a rule does not model raises an adcompiler error.
tests/jax_numpy_survey.py lists what is still refused.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.runtime import calculus as runtime_calculus
from adcompiler.runtime import elementwise as runtime_elementwise
from adcompiler.runtime import selections as runtime_selections
from adcompiler.errors import AdError, ComplexValueError, NoDerivativeRuleError
from oracles import assert_close, torch_directional, torch_gradients
from written_modules import import_written

pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")

# Constants the calls may name (weights, conditions, indices), and their torch twins.
FWEIGHTS = np.array([1, 2, 1, 3, 1, 2])
AWEIGHTS = np.array([0.5, 1.0, 2.0, 1.0, 0.3, 1.2])
MASK = np.array([[True, False, True, True], [False, True, False, True]])
INDICES = np.array([0, 2, 2, 1, 4])
W6 = np.linspace(0.5, 2.0, 6)
EDGES = np.array([-1.0, -0.2, 0.3, 1.5])
CHOICE = np.array([[0, 2, 1], [1, 1, 0]])
CHOICE_WRAP = np.array([[3, 2, 4], [1, 5, 0]])
CONSTANTS = {"EDGES": EDGES, "W6": W6, "CHOICE": CHOICE, "CHOICE_WRAP": CHOICE_WRAP, "FWEIGHTS": FWEIGHTS, "AWEIGHTS": AWEIGHTS, "MASK": MASK, "INDICES": INDICES}


def _unwrap_twin(p, period=2 * math.pi, axis=-1):
    """np.unwrap in torch: p plus the whole periods NumPy's algorithm adds (counted
    on detached values, so constant)."""
    values = p.detach()
    size = period.detach() if torch.is_tensor(period) else torch.tensor(float(period))
    steps = torch.diff(values, dim=axis)
    wrapped = torch.remainder(steps + size / 2, size) - size / 2
    wrapped = torch.where((wrapped == -size / 2) & (steps > 0), size / 2, wrapped)
    correction = torch.where(torch.abs(steps) < size / 2, 0.0, wrapped - steps)
    first = torch.zeros_like(torch.narrow(values, axis, 0, 1))
    counts = torch.round(torch.cat([first, torch.cumsum(correction, dim=axis)], dim=axis) / size)
    return p + counts * period


def _ediff1d_twin(a, to_end=None, to_begin=None):
    pieces = [] if to_begin is None else [to_begin.reshape(-1)]
    pieces.append(torch.diff(a.reshape(-1)))
    if to_end is not None:
        pieces.append(to_end.reshape(-1))
    return torch.cat(pieces)


def _vander_twin(x, n=None, increasing=False):
    """np.vander in torch (torch.vander's backward writes in place in torch 2.13)."""
    powers = range(x.shape[0] if n is None else n)
    columns = [x ** k for k in (powers if increasing else reversed(powers))]
    return torch.stack(columns, dim=1) if columns else x[:, None][:, :0]


def _cond_twin(a, p):
    """np.linalg.cond for p other than None and ±2: the norms of a and of its inverse
    (torch.linalg.cond's backward for those orders writes in place in torch 2.13)."""
    return torch.linalg.matrix_norm(a, p) * torch.linalg.matrix_norm(torch.linalg.inv(a), p)


def _kept_twin(a, kept, axis):
    """a's entries at the positions `kept` (computed by NumPy) along axis."""
    if axis is None:
        return a.reshape(-1)[torch.as_tensor(np.asarray(kept, dtype=np.int64))]
    return torch.index_select(a, axis, torch.as_tensor(np.asarray(kept, dtype=np.int64)))


def _delete_twin(a, obj, axis=None):
    size = a.numel() if axis is None else a.shape[axis]
    return _kept_twin(a, np.delete(np.arange(size), obj), axis)


def _compress_twin(condition, a, axis=None):
    return _kept_twin(a, np.flatnonzero(condition), axis)


def _resize_twin(a, shape):
    flat = a.reshape(-1)
    count = int(np.prod(shape))
    return flat.repeat(-(-count // flat.numel()))[:count].reshape(shape)


def _bincount_twin(x, weights, minlength=0):
    size = max(int(np.max(x)) + 1, minlength)
    return torch.zeros(size).index_add(0, torch.as_tensor(np.asarray(x, dtype=np.int64)), weights)


def _aligned(p, size):
    return torch.cat([torch.zeros(size - p.shape[0]), p])


def _polyadd_twin(a1, a2, sign=1.0):
    size = max(a1.shape[0], a2.shape[0])
    return _aligned(a1, size) + sign * _aligned(a2, size)


def _polymul_twin(a1, a2):
    size = a1.shape[0] + a2.shape[0] - 1
    return torch.stack([sum(a1[i] * a2[k - i] for i in range(a1.shape[0])
                            if 0 <= k - i < a2.shape[0]) for k in range(size)])


def _polyder_twin(p, m=1):
    for _ in range(m):
        p = p[:-1] * torch.arange(p.shape[0] - 1, 0, -1)
    return p


def _polyint_twin(p, m=1, k=0.0):
    for _ in range(m):
        p = torch.cat([p / torch.arange(p.shape[0], 0, -1), torch.full((1,), k)])
    return p


def _poly_twin(roots):
    coefficients = torch.ones(1)
    for root in roots:
        coefficients = torch.cat([coefficients, torch.zeros(1)]) - \
            torch.cat([torch.zeros(1), coefficients * root])
    return coefficients


def _fraction(num, endpoint=True):
    return torch.arange(num) / ((num - 1) if endpoint else num)


def _logspace_twin(start, stop, num, base=10.0, endpoint=True):
    return base ** (start + _fraction(num, endpoint) * (stop - start))


def _geomspace_twin(start, stop, num, endpoint=True):
    return start * (stop / start) ** _fraction(num, endpoint)


def _polydiv_twin(u, v):
    """Long division in torch: (quotient, remainder)."""
    remainder, quotient = u, []
    for k in range(u.shape[0] - v.shape[0] + 1):
        factor = remainder[k] / v[0]
        quotient.append(factor)
        remainder = torch.cat([remainder[:k], remainder[k:k + v.shape[0]] - factor * v,
                               remainder[k + v.shape[0]:]])
    return torch.stack(quotient), remainder[u.shape[0] - v.shape[0] + 1:]


def _histogram_twin(a, bins=None, weights=None, density=False, edges=None):
    """np.histogram in torch: (hist, edges), each entry's bin found on detached values."""
    if edges is None:
        lowest, highest = torch.min(a), torch.max(a)
        edges = lowest + (highest - lowest) * torch.linspace(0.0, 1.0, bins + 1)
    else:
        edges = torch.as_tensor(edges)
    flat, fixed = a.reshape(-1).detach(), edges.detach()
    index = torch.searchsorted(fixed, flat, right=True) - 1
    index = torch.where(flat == fixed[-1], fixed.shape[0] - 2, index)
    inside = (flat >= fixed[0]) & (flat <= fixed[-1])
    mass = torch.ones_like(flat) if weights is None else weights.reshape(-1)
    mass = torch.where(inside, mass, torch.zeros_like(mass))
    hist = torch.zeros(fixed.shape[0] - 1).index_add(0, torch.where(inside, index, 0), mass)
    if density:
        hist = hist / (torch.sum(hist) * torch.diff(edges))
    return hist, edges


def _set_twin(kind, *arrays):
    """np.unique and the set functions in torch: each kept value is the mean of the entries
    equal to it (the groups found on detached values)."""
    joined = torch.cat([a.reshape(-1) for a in arrays])
    values, inverse = torch.unique(joined.detach(), return_inverse=True)
    counts = torch.bincount(inverse).to(joined.dtype)
    means = torch.zeros(values.shape[0], dtype=joined.dtype).index_add(0, inverse, joined) / counts
    if kind == "all":
        return means
    first, second = (torch.isin(values, a.detach()) for a in arrays)
    keep = {"intersect": first & second, "difference": first & ~second,
            "exclusive": first ^ second}[kind]
    return means[keep]


def _roots_twin(p):
    """np.roots in torch: the eigenvalues of the companion matrix (real here), sorted."""
    size = p.shape[0] - 1
    companion = torch.cat([(-p[1:] / p[0])[None], torch.eye(size - 1, size)], 0)
    return torch.sort(torch.linalg.eigvals(companion).real).values


def _sorted_twin(a):
    """a sorted along its last axis in torch (the twin of np.sort_complex's real part)."""
    return torch.sort(a, dim=-1, stable=True).values


def _choose_twin(index, choices):
    chosen = choices[-1]
    for k in range(len(choices) - 2, -1, -1):
        chosen = torch.where(torch.as_tensor(index) == k, choices[k], chosen)
    return chosen


def _interp_twin(x, xp, fp):
    """np.interp in torch: the segment's line inside the table, the end values outside."""
    last = xp.shape[0] - 1
    segment = torch.clamp(torch.searchsorted(xp.detach(), x.detach(), right=True) - 1, 0,
                          last - 1)
    slope = (fp[segment + 1] - fp[segment]) / (xp[segment + 1] - xp[segment])
    inside = fp[segment] + (x - xp[segment]) * slope
    return torch.where(x < xp[0], fp[0], torch.where(x > xp[last], fp[last], inside))


TORCH_NS = {"torch": torch, "interp": _interp_twin, "cond": _cond_twin, "sorted": _sorted_twin, "roots": _roots_twin, "sets": _set_twin, "histogram": _histogram_twin, "EDGES": EDGES, "polydiv": _polydiv_twin, "choose": _choose_twin,
            "W6": torch.as_tensor(np.linspace(0.5, 2.0, 6)), "CHOICE": np.array([[0, 2, 1], [1, 1, 0]]),
            "CHOICE_WRAP": np.array([[3, 2, 4], [1, 5, 0]]), "delete": _delete_twin,
            "compress": _compress_twin, "resize": _resize_twin,
            "bincount": _bincount_twin, "polyadd": _polyadd_twin, "polymul": _polymul_twin,
            "polyder": _polyder_twin, "polyint": _polyint_twin, "poly": _poly_twin,
            "logspace": _logspace_twin, "geomspace": _geomspace_twin,
            "MASK": np.array([[True, False, True, True], [False, True, False, True]]),
            "INDICES": np.array([0, 2, 2, 1, 4]), "math": math, "unwrap": _unwrap_twin, "ediff1d": _ediff1d_twin,
            "vander": _vander_twin,
            "FWEIGHTS": torch.as_tensor(FWEIGHTS), "AWEIGHTS": torch.as_tensor(AWEIGHTS)}


def _well_conditioned(rng, shape):
    matrix = rng.normal(size=shape) * 0.4
    return matrix + 2.0 * np.eye(shape[-1]) * np.sign(rng.normal(size=shape[:-2] + (1, 1)))


def _tensor_matrix(rng, shape):
    """A (2, 3, 6) or (6, 2, 3)... array whose matrix form (6 x 6) is well conditioned."""
    size = int(np.sqrt(np.prod(shape)))
    return np.reshape(2.0 * np.eye(size) + 0.3 * rng.normal(size=(size, size)), shape)


def _padded(rng, shape):
    """Two zeros, normal values, a zero (np.trim_zeros keeps [2:-1])."""
    inside = rng.normal(size=shape[0] - 3)
    return np.concatenate([[0.0, 0.0], inside, [0.0]])


def _real_roots(rng, shape):
    """The coefficients of a polynomial with distinct real roots (2 apart at least)."""
    roots = np.cumsum(rng.uniform(0.5, 1.5, size=shape[0] - 1)) - 1.0
    return rng.uniform(0.5, 2.0) * np.poly(roots)


DOMAINS = {
    "real_roots": _real_roots,
    "repeats": lambda rng, shape: rng.choice([0.3, -1.2, 2.0, 0.7, -0.4], size=shape),
    "tensor_matrix": _tensor_matrix,
    "padded": _padded,
    "with_zero": lambda rng, shape: np.where(np.arange(np.prod(shape)).reshape(shape) == 2, 0.0,
                                             rng.normal(size=shape)),
    "normal": lambda rng, shape: rng.normal(size=shape),
    # (strictly increasing from -1.5, steps of 0.4 to 1.2)
    "increasing": lambda rng, shape: -1.5 + np.cumsum(rng.uniform(0.4, 1.2, size=shape)),
    "positive": lambda rng, shape: rng.uniform(0.5, 2.0, size=shape),
    "wide": lambda rng, shape: rng.uniform(-12.0, 12.0, size=shape),
    "phase": lambda rng, shape: np.cumsum(rng.uniform(-3.0, 3.0, size=shape), axis=-1),
    "matrix": _well_conditioned,
}


@dataclass(frozen=True)
class Spec:
    id: str
    args: dict               # name -> (domain, shape)
    call: str                # NumPy, over the args and CONSTANTS
    twin: str                # torch, over the same names
    second: bool = True      # check the Hessian too
    single: bool = False     # check float32 operands
    rtol: float = 1e-7
    functions: tuple = field(default=(), compare=False)   # the rules the row checks


def spec(id, args, call, twin, *functions, **options):
    return Spec(id, args, call, twin, functions=functions, **options)


SPECS = [
    # np.cov: rowvar, bias, ddof, a second operand, weights as constants.
    spec("cov", {"m": ("normal", (3, 6))}, "np.cov(m)", "torch.cov(m)", np.cov, single=True),
    spec("cov_columns_bias", {"m": ("normal", (6, 3))}, "np.cov(m, rowvar=False, bias=True)",
         "torch.cov(m.T, correction=0)", np.cov),
    spec("cov_ddof", {"m": ("normal", (2, 5))}, "np.cov(m, ddof=2)", "torch.cov(m, correction=2)",
         np.cov),
    spec("cov_one_variable", {"m": ("normal", (6,))}, "np.cov(m)", "torch.cov(m)", np.cov),
    spec("cov_with_y", {"m": ("normal", (3, 6)), "y": ("normal", (2, 6))}, "np.cov(m, y)",
         "torch.cov(torch.cat([m, y]))", np.cov),
    spec("cov_vector_and_columns", {"m": ("normal", (6,)), "y": ("normal", (6, 2))},
         "np.cov(m, y, rowvar=False)", "torch.cov(torch.cat([m[None], y.T]))", np.cov),
    spec("cov_weights", {"m": ("normal", (3, 6))},
         "np.cov(m, fweights=FWEIGHTS, aweights=AWEIGHTS)",
         "torch.cov(m, fweights=FWEIGHTS, aweights=AWEIGHTS)", np.cov),
    spec("cov_weights_ddof", {"m": ("normal", (2, 6))},
         "np.cov(m, ddof=2, aweights=AWEIGHTS)",
         "torch.cov(m, correction=2, aweights=AWEIGHTS)", np.cov),
    # np.corrcoef
    spec("corrcoef", {"x": ("normal", (3, 5))}, "np.corrcoef(x)", "torch.corrcoef(x)",
         np.corrcoef, single=True),
    spec("corrcoef_with_y_columns", {"x": ("normal", (6, 2)), "y": ("normal", (6,))},
         "np.corrcoef(x, y, rowvar=False)", "torch.corrcoef(torch.cat([x.T, y[None]]))",
         np.corrcoef),
    # np.i0 (torch.special.i0; its derivative I1 from a power series)
    spec("i0", {"x": ("normal", (2, 3))}, "np.i0(x)", "torch.special.i0(x)", np.i0, single=True),
    spec("i0_wide", {"x": ("wide", (7,))}, "np.i0(x)", "torch.special.i0(x)", np.i0),
    # np.unwrap: the added periods are constant; the period itself is differentiated.
    spec("unwrap", {"p": ("phase", (8,))}, "np.unwrap(p)", "unwrap(p)", np.unwrap, single=True),
    spec("unwrap_axis_period", {"p": ("phase", (3, 5)), "period": ("positive", ())},
         "np.unwrap(p, axis=0, period=period * 3.0)", "unwrap(p, period * 3.0, 0)", np.unwrap),
    # np.ediff1d
    spec("ediff1d", {"a": ("normal", (2, 3))}, "np.ediff1d(a)", "ediff1d(a)", np.ediff1d,
         single=True),
    spec("ediff1d_ends", {"a": ("normal", (5,)), "e": ("normal", (2,)), "b": ("normal", ())},
         "np.ediff1d(a, to_end=e, to_begin=b)", "ediff1d(a, e, b)", np.ediff1d),
    # np.vander
    spec("vander", {"x": ("normal", (4,))}, "np.vander(x)", "vander(x)", np.vander,
         single=True),
    spec("vander_n_increasing", {"x": ("normal", (3,))}, "np.vander(x, 5, increasing=True)",
         "vander(x, 5, increasing=True)", np.vander),
    spec("vander_one_column", {"x": ("normal", (3,))}, "np.vander(x, 1)", "vander(x, 1)",
         np.vander),
    # np.linalg.cond
    *[spec(f"cond_{name}", {"a": ("matrix", (3, 3))}, f"np.linalg.cond(a, {p})",
           f"torch.linalg.cond(a, {torch_p})" if name in ("default", "2", "minus_2") else
           f"cond(a, {torch_p})", np.linalg.cond, single=name == "default",
           rtol=1e-6)
      for name, p, torch_p in (("default", "None", "None"), ("2", "2", "2"), ("minus_2", "-2", "-2"),
                               ("fro", "'fro'", "'fro'"), ("nuc", "'nuc'", "'nuc'"),
                               ("1", "1", "1"), ("minus_1", "-1", "-1"),
                               ("inf", "np.inf", "math.inf"), ("minus_inf", "-np.inf", "-math.inf"))],
    spec("cond_stack", {"a": ("matrix", (2, 3, 3))}, "np.linalg.cond(a)", "torch.linalg.cond(a)",
         np.linalg.cond),
    spec("cond_rectangular", {"a": ("normal", (3, 5))}, "np.linalg.cond(a)",
         "torch.linalg.cond(a)", np.linalg.cond),
    # cumulative_sum, cumulative_prod
    spec("cumulative_sum", {"x": ("normal", (5,))}, "np.cumulative_sum(x)", "torch.cumsum(x, 0)",
         np.cumulative_sum, single=True),
    spec("cumulative_sum_axis_initial", {"x": ("normal", (2, 3))},
         "np.cumulative_sum(x, axis=1, include_initial=True)",
         "torch.cat([torch.zeros(2, 1), torch.cumsum(x, 1)], 1)", np.cumulative_sum),
    spec("cumulative_prod", {"x": ("normal", (5,))}, "np.cumulative_prod(x)",
         "torch.cumprod(x, 0)", np.cumulative_prod, single=True),
    spec("cumulative_prod_zero_initial", {"x": ("with_zero", (2, 3))},
         "np.cumulative_prod(x, axis=0, include_initial=True)",
         "torch.cat([torch.ones(1, 3), torch.cumprod(x, 0)], 0)", np.cumulative_prod),
    # matvec, vecmat, linalg.tensordot, tensorinv, tensorsolve
    spec("matvec", {"a": ("normal", (2, 3, 4)), "v": ("normal", (4,))}, "np.matvec(a, v)",
         "torch.matmul(a, v[:, None])[..., 0]", np.matvec, single=True),
    spec("vecmat", {"v": ("normal", (2, 3)), "a": ("normal", (3, 4))}, "np.vecmat(v, a)",
         "torch.matmul(v[:, None, :], a)[:, 0, :]", np.vecmat),
    spec("linalg_tensordot", {"a": ("normal", (2, 3, 4)), "b": ("normal", (3, 4, 2))},
         "np.linalg.tensordot(a, b)", "torch.tensordot(a, b, dims=2)", np.linalg.tensordot),
    spec("linalg_tensordot_axes", {"a": ("normal", (2, 3)), "b": ("normal", (3, 4))},
         "np.linalg.tensordot(a, b, axes=1)", "torch.tensordot(a, b, dims=1)",
         np.linalg.tensordot),
    spec("tensorinv", {"a": ("tensor_matrix", (2, 3, 6))}, "np.linalg.tensorinv(a)",
         "torch.linalg.tensorinv(a)", np.linalg.tensorinv, rtol=1e-6),
    spec("tensorinv_ind1", {"a": ("tensor_matrix", (4, 2, 2))}, "np.linalg.tensorinv(a, ind=1)",
         "torch.linalg.tensorinv(a, ind=1)", np.linalg.tensorinv, rtol=1e-6),
    spec("tensorsolve", {"a": ("tensor_matrix", (2, 3, 6)), "b": ("normal", (2, 3))},
         "np.linalg.tensorsolve(a, b)", "torch.linalg.tensorsolve(a, b)",
         np.linalg.tensorsolve, rtol=1e-6),
    # selections and reshapes
    spec("diagflat", {"v": ("normal", (2, 2))}, "np.diagflat(v, 1)", "torch.diagflat(v, 1)",
         np.diagflat, single=True),
    spec("delete", {"a": ("normal", (3, 4))}, "np.delete(a, [0, 2], axis=1)",
         "delete(a, [0, 2], 1)", np.delete, single=True),
    spec("delete_flat", {"a": ("normal", (2, 3))}, "np.delete(a, 4)", "delete(a, 4)", np.delete),
    spec("insert", {"a": ("normal", (5,)), "v": ("normal", ())}, "np.insert(a, 1, v)",
         "torch.cat([a[:1], v[None], a[1:]])", np.insert, single=True),
    spec("insert_column", {"a": ("normal", (2, 3)), "v": ("normal", (2,))},
         "np.insert(a, 2, v, axis=1)", "torch.cat([a[:, :2], v[:, None], a[:, 2:]], 1)",
         np.insert),
    spec("insert_positions", {"a": ("normal", (4,)), "v": ("normal", (2,))},
         "np.insert(a, [1, 3], v)", "torch.cat([a[:1], v[:1], a[1:3], v[1:], a[3:]])",
         np.insert),
    spec("insert_broadcast_row", {"a": ("normal", (2, 3)), "v": ("normal", ())},
         "np.insert(a, 1, v, axis=0)", "torch.cat([a[:1], v.expand(1, 3), a[1:]])", np.insert),
    spec("compress", {"a": ("normal", (3, 4))}, "np.compress([True, False, True], a, axis=0)",
         "compress([True, False, True], a, 0)", np.compress),
    spec("extract", {"a": ("normal", (2, 4))}, "np.extract(MASK, a)", "a[MASK]", np.extract),
    spec("resize", {"a": ("normal", (2, 3))}, "np.resize(a, (4, 4))", "resize(a, (4, 4))",
         np.resize, single=True),
    spec("trim_zeros", {"f": ("padded", (8,))}, "np.trim_zeros(f)", "f[2:-1]",
         np.trim_zeros),
    spec("bincount_weights", {"w": ("normal", (5,))}, "np.bincount(INDICES, w, minlength=6)",
         "bincount(INDICES, w, 6)", np.bincount),
    spec("bincount_boolean", {"w": ("normal", (4,))}, "np.bincount(MASK[0], w)",
         "bincount(MASK[0], w)", np.bincount),
    # histograms
    spec("histogram_edges", {"a": ("normal", (2, 4))}, "np.histogram(a, 4)[1]",
         "histogram(a, 4)[1]", np.histogram, single=True),
    spec("histogram_weights", {"a": ("normal", (7,)), "w": ("positive", (7,))},
         "np.histogram(a, 4, weights=w)[0]", "histogram(a, 4, w)[0]", np.histogram),
    spec("histogram_density", {"a": ("normal", (7,))}, "np.histogram(a, 3, density=True)[0]",
         "histogram(a, 3, density=True)[0]", np.histogram),
    spec("histogram_density_weights", {"a": ("normal", (7,)), "w": ("positive", (7,))},
         "np.histogram(a, 3, density=True, weights=w)[0]",
         "histogram(a, 3, w, density=True)[0]", np.histogram),
    spec("histogram_given_edges", {"a": ("normal", (9,)), "w": ("positive", (9,))},
         "np.histogram(a, EDGES, density=True, weights=w)[0]",
         "histogram(a, None, w, True, EDGES)[0]", np.histogram),
    spec("histogram_bin_edges", {"a": ("normal", (6,))}, "np.histogram_bin_edges(a, 5)",
         "histogram(a, 5)[1]", np.histogram_bin_edges),
    # np.unique and the set functions (repeated values share their derivative evenly)
    spec("unique", {"x": ("repeats", (3, 4))}, "np.unique(x)", "sets('all', x)", np.unique,
         single=True),
    spec("unique_with_counts", {"x": ("repeats", (7,))}, "np.unique(x, return_counts=True)[0]",
         "sets('all', x)", np.unique),
    spec("unique_values", {"x": ("repeats", (6,))}, "np.unique_values(x)", "sets('all', x)",
         np.unique_values),
    spec("unique_counts", {"x": ("repeats", (2, 4))},
         "np.unique_counts(x)[0] * np.unique_counts(x).counts",
         "sets('all', x) * torch.unique(x.detach(), return_counts=True)[1]", np.unique_counts),
    spec("unique_inverse", {"x": ("repeats", (6,))}, "np.unique_inverse(x).values",
         "sets('all', x)", np.unique_inverse),
    spec("unique_all", {"x": ("repeats", (6,))}, "np.unique_all(x)[0]", "sets('all', x)",
         np.unique_all),
    spec("union1d", {"a": ("repeats", (4,)), "b": ("repeats", (3,))}, "np.union1d(a, b)",
         "sets('all', a, b)", np.union1d),
    spec("intersect1d", {"a": ("repeats", (6,)), "b": ("repeats", (5,))}, "np.intersect1d(a, b)",
         "sets('intersect', a, b)", np.intersect1d),
    spec("setdiff1d", {"a": ("repeats", (6,)), "b": ("repeats", (2,))}, "np.setdiff1d(a, b)",
         "sets('difference', a, b)", np.setdiff1d),
    spec("setxor1d", {"a": ("repeats", (4,)), "b": ("repeats", (4,))}, "np.setxor1d(a, b)",
         "sets('exclusive', a, b)", np.setxor1d),
    spec("sort_complex", {"a": ("normal", (2, 5))},
         "np.real(np.sort_complex(a)) + 3.0 * np.imag(np.sort_complex(a))", "sorted(a)",
         np.sort_complex, single=True),
    spec("sort_complex_ties", {"a": ("repeats", (6,))}, "np.real(np.sort_complex(a))",
         "sorted(a)", np.sort_complex),
    # polynomials
    spec("polyadd", {"a": ("normal", (4,)), "b": ("normal", (2,))}, "np.polyadd(a, b)",
         "polyadd(a, b)", np.polyadd, single=True),
    spec("polysub", {"a": ("normal", (2,)), "b": ("normal", (3,))}, "np.polysub(a, b)",
         "polyadd(a, b, -1.0)", np.polysub),
    spec("polymul", {"a": ("normal", (3,)), "b": ("normal", (4,))}, "np.polymul(a, b)",
         "polymul(a, b)", np.polymul),
    spec("polyder", {"p": ("normal", (5,))}, "np.polyder(p)", "polyder(p)", np.polyder,
         single=True),
    spec("polyder_twice", {"p": ("normal", (5,))}, "np.polyder(p, 2)", "polyder(p, 2)",
         np.polyder),
    spec("polyint", {"p": ("normal", (4,))}, "np.polyint(p)", "polyint(p)", np.polyint),
    spec("polyint_twice_constant", {"p": ("normal", (3,))}, "np.polyint(p, 2, k=[1.5, -2.0])",
         "polyint(polyint(p, 1, 1.5), 1, -2.0)", np.polyint),
    spec("polyval_list_of_coefficients", {"x": ("normal", (3,))}, "np.polyval([3.0, 2.0, 1.0], x)",
         "3.0 * x ** 2 + 2.0 * x + 1.0", np.polyval, single=True),
    spec("poly", {"r": ("normal", (4,))}, "np.poly(r)", "poly(r)", np.poly),
    spec("roots", {"p": ("real_roots", (4,))}, "np.sort(np.roots(p))", "roots(p)", np.roots,
         rtol=1e-6, single=True),
    spec("roots_quintic", {"p": ("real_roots", (6,))}, "np.sort(np.roots(p))", "roots(p)",
         np.roots, rtol=1e-6),
    # logspace, geomspace
    spec("logspace", {"a": ("normal", ()), "b": ("normal", ())}, "np.logspace(a, b, 5)",
         "logspace(a, b, 5)", np.logspace),
    spec("logspace_base_open", {"a": ("normal", ()), "b": ("normal", ()),
                                "base": ("positive", ())},
         "np.logspace(a, b, 4, endpoint=False, base=base * 2.0)",
         "logspace(a, b, 4, base * 2.0, False)", np.logspace),
    spec("geomspace", {"a": ("positive", ()), "b": ("positive", ())}, "np.geomspace(a, b, 5)",
         "geomspace(a, b, 5)", np.geomspace),
    spec("geomspace_negative_open", {"a": ("positive", ()), "b": ("positive", ())},
         "np.geomspace(-a, -b, 4, endpoint=False)", "geomspace(-a, -b, 4, False)", np.geomspace),
    # tuple results
    spec("modf", {"x": ("wide", (5,))}, "np.modf(x)[0] + 3.0 * np.modf(x)[1]",
         "x - torch.trunc(x) + 3.0 * torch.trunc(x)", np.modf),
    spec("frexp", {"x": ("wide", (5,))}, "np.frexp(x)[0] + np.frexp(x)[1]",
         "x * torch.pow(2.0, -torch.frexp(x.detach()).exponent) + "
         "torch.frexp(x.detach()).exponent", np.frexp),
    spec("divmod", {"x": ("wide", (5,)), "y": ("positive", (5,))},
         "np.divmod(x, y)[1] + np.divmod(x, y)[0]", "torch.remainder(x, y) + torch.floor(x / y)",
         np.divmod),
    spec("from_dlpack", {"x": ("normal", (3,))}, "np.from_dlpack(x) * 2.0", "x * 2.0",
         np.from_dlpack),
    # block, choose, nextafter
    spec("block", {"a": ("normal", (2, 2)), "b": ("normal", (2, 3)), "c": ("normal", (1, 2)),
                   "d": ("normal", (1, 3))}, "np.block([[a, b], [c, d]])",
         "torch.cat([torch.cat([a, b], 1), torch.cat([c, d], 1)], 0)", np.block, single=True),
    spec("block_promoted", {"x": ("normal", (3,)), "y": ("normal", (2, 3))}, "np.block([[x], [y]])",
         "torch.cat([x[None], y], 0)", np.block),
    spec("block_vectors", {"x": ("normal", (3,)), "y": ("normal", (2,))}, "np.block([x, y])",
         "torch.cat([x, y])", np.block),
    spec("choose", {"a": ("normal", (2, 3)), "b": ("normal", (3,)), "c": ("normal", (2, 3))},
         "np.choose(CHOICE, [a, b, c])", "choose(CHOICE, [a, b.expand(2, 3), c])", np.choose,
         single=True),
    spec("choose_wrap", {"a": ("normal", (2, 3)), "b": ("normal", (2, 3)), "c": ("normal", (2, 3))},
         "np.choose(CHOICE_WRAP, [a, b, c], mode='wrap')", "choose(CHOICE_WRAP % 3, [a, b, c])",
         np.choose),
    spec("choose_array", {"s": ("normal", (3, 2, 3))}, "np.choose(CHOICE, s)",
         "choose(CHOICE, [s[0], s[1], s[2]])", np.choose),
    spec("nextafter", {"x": ("normal", (4,)), "y": ("normal", (4,))}, "np.nextafter(x, y)",
         "x + 0.0 * y", np.nextafter),
    # polyfit, polydiv
    spec("polyfit", {"x": ("normal", (6,)), "y": ("normal", (6,))}, "np.polyfit(x, y, 2)",
         "torch.linalg.pinv(vander(x, 3)) @ y", np.polyfit, rtol=1e-6),
    spec("polyfit_weighted_columns", {"x": ("normal", (6,)), "y": ("normal", (6, 2))},
         "np.polyfit(x, y, 1, w=W6)",
         "torch.linalg.pinv(W6[:, None] * vander(x, 2)) @ (W6[:, None] * y)", np.polyfit,
         rtol=1e-6),
    spec("polydiv_quotient", {"u": ("normal", (5,)), "v": ("normal", (3,))},
         "np.polydiv(u, v)[0]", "polydiv(u, v)[0]", np.polydiv, rtol=1e-6),
    spec("polydiv_remainder", {"u": ("normal", (5,)), "v": ("normal", (3,))},
         "np.polydiv(u, v)[1]", "polydiv(u, v)[1]", np.polydiv, rtol=1e-6),
    # np.gradient with a spacing per axis (gradient_spacings), numbers or coordinates
    spec("gradient_spacing_per_axis", {"f": ("normal", (4, 3))},
         "np.stack(np.gradient(f, 0.5, 0.25))",
         "torch.stack(torch.gradient(f, spacing=[0.5, 0.25]))",
         runtime_calculus.gradient_spacings),
    spec("gradient_coordinates_per_axis_edge_order_2", {"f": ("normal", (4, 5))},
         "np.stack(np.gradient(f, np.array([0.0, 0.4, 1.0, 1.3]), 0.25, edge_order=2))",
         "torch.stack(torch.gradient(f, spacing=(torch.tensor([0.0, 0.4, 1.0, 1.3]), "
         "torch.arange(5) * 0.25), edge_order=2))", runtime_calculus.gradient_spacings),
    # np.interp in its table's points xp (increasing), one x outside the table
    spec("interp_in_xp", {"xp": ("increasing", (5,)), "fp": ("normal", (5,))},
         "np.interp(np.array([-0.7, 0.35, 1.3, 2.2, 9.0]), xp, fp)",
         "interp(torch.tensor([-0.7, 0.35, 1.3, 2.2, 9.0]), xp, fp)", np.interp),
    spec("interp_in_x_and_xp", {"x": ("normal", (3,)), "xp": ("increasing", (6,))},
         "np.interp(x, xp, np.sin(xp) * 2.0)", "interp(x, xp, torch.sin(xp) * 2.0)",
         np.interp),
    # sliding_window_view: torch's unfold, one axis at a time (windows appended in order)
    spec("sliding_window_view", {"x": ("normal", (6,))},
         "np.lib.stride_tricks.sliding_window_view(x, 3) * np.arange(3.0)",
         "x.unfold(0, 3, 1) * torch.arange(3.0)", np.lib.stride_tricks.sliding_window_view),
    spec("sliding_window_view_2d", {"x": ("normal", (4, 5))},
         "np.sin(np.lib.stride_tricks.sliding_window_view(x, (2, 3)))",
         "torch.sin(x.unfold(0, 2, 1).unfold(1, 3, 1))",
         np.lib.stride_tricks.sliding_window_view),
    spec("sliding_window_view_axis", {"x": ("normal", (3, 6))},
         "np.lib.stride_tricks.sliding_window_view(x, 4, axis=-1) ** 2",
         "x.unfold(1, 4, 1) ** 2", np.lib.stride_tricks.sliding_window_view),
    spec("sliding_window_view_axis_twice", {"x": ("normal", (5,))},
         "np.lib.stride_tricks.sliding_window_view(x, (2, 2), axis=(0, 0)) ** 3",
         "x.unfold(0, 2, 1).unfold(0, 2, 1) ** 3", np.lib.stride_tricks.sliding_window_view),
]
BY_ID = {s.id: s for s in SPECS}
assert len(BY_ID) == len(SPECS), "spec ids must be unique"
# The rules whose rows above check them against torch (tests/test_numpy_coverage.py
# counts these as covered).
# The i0 rows' Hessians check bessel_i1's rule (np.i0's derivative); the block and
# choose rows' Hessians (forward over reverse) and the reverse-over-reverse Hessians
# below check the rules of their adjoints' helpers.
COVERED_TOO = sorted({f for s in SPECS for f in s.functions}, key=repr) + [
    runtime_elementwise.bessel_i1, runtime_selections.block_adjoint,
    runtime_selections.block_from_pieces, runtime_selections.choose_adjoint,
    runtime_selections.choose_from_pieces]

_module = None


def generated():
    """A module with, per row, the call (`spec_i`) and <seed, call> (`scalar_i`)."""
    global _module
    if _module is None:
        lines = ["import math", "import numpy as np",
                 "from test_more_numpy_rules import CONSTANTS", "globals().update(CONSTANTS)",
                 "", ""]
        for index, row in enumerate(SPECS):
            params = ", ".join(row.args)
            lines += [f"def spec_{index}({params}):", f"    return {row.call}", "", "",
                      f"def scalar_{index}({params}, seed):",
                      f"    return np.sum({row.call} * seed)", "", ""]
        _module = import_written("more_numpy_generated", "\n".join(lines))
    return _module


def _parts(row):
    index = SPECS.index(row)
    return getattr(generated(), f"spec_{index}"), getattr(generated(), f"scalar_{index}")


def _twin(row):
    return eval(f"lambda {', '.join(row.args)}: {row.twin}", dict(TORCH_NS))


def _inputs(row):
    rng = np.random.default_rng(zlib.crc32(row.id.encode()))
    values = [np.asarray(DOMAINS[domain](rng, shape), dtype=np.float64)
              for domain, shape in row.args.values()]
    return values, rng


@pytest.mark.parametrize("row", SPECS, ids=[s.id for s in SPECS])
def test_value_and_reverse_mode_match_torch(row):
    function, _ = _parts(row)
    values, rng = _inputs(row)
    positions = tuple(range(len(values)))
    out = function(*values)
    with torch.no_grad():
        expected_value = _twin(row)(*[torch.as_tensor(v) for v in values]).numpy()
    assert_close(out, expected_value, rtol=1e-10, label=f"{row.id}: value")
    seed = rng.normal(size=np.shape(out))
    grads = ad.vjp(function, wrt=positions)(tuple(values), seed)
    grads = grads if isinstance(grads, tuple) else (grads,)
    expected = torch_gradients(_twin(row), values, positions, seed)
    for name, value, got, want in zip(row.args, values, grads, expected):
        assert np.shape(got) == np.shape(value), f"{row.id}: d{name} shape"
        assert_close(got, want, rtol=row.rtol, label=f"{row.id}: d{name}")


@pytest.mark.parametrize("row", SPECS, ids=[s.id for s in SPECS])
def test_forward_mode_matches_torch_jvp(row):
    function, _ = _parts(row)
    values, rng = _inputs(row)
    positions = tuple(range(len(values)))
    tangents = [rng.normal(size=np.shape(v)) for v in values]
    value, tangent = ad.jvp(function, wrt=positions)(tuple(values), tuple(tangents))
    assert_close(value, function(*values), rtol=1e-12, label=f"{row.id}: value")
    _, expected = torch_directional(_twin(row), values, positions, tangents)
    assert_close(tangent, expected, rtol=row.rtol, label=f"{row.id}: jvp")


SECOND = [s for s in SPECS if s.second]


@pytest.mark.parametrize("row", SECOND, ids=[s.id for s in SECOND])
def test_hessian_matches_torch(row):
    function, scalar = _parts(row)
    values, rng = _inputs(row)
    seed = rng.normal(size=np.shape(function(*values)))
    hessian = ad.hessian(scalar, wrt=0)(*values, seed)
    rest = [torch.as_tensor(v) for v in values[1:]]
    twin = _twin(row)
    expected = torch.autograd.functional.hessian(
        lambda first: torch.sum(twin(first, *rest) * torch.as_tensor(seed)),
        torch.as_tensor(values[0]))
    assert_close(hessian, expected.numpy(), rtol=max(row.rtol, 1e-6),
                 label=f"{row.id}: hessian")


SINGLE = [s for s in SPECS if s.single]


@pytest.mark.parametrize("row", SINGLE, ids=[s.id for s in SINGLE])
def test_float32_operands_give_float32_derivatives(row):
    function, _ = _parts(row)
    values, rng = _inputs(row)
    single = [v.astype(np.float32) for v in values]
    positions = tuple(range(len(values)))
    out = function(*single)
    seed = rng.normal(size=np.shape(out))
    grads = ad.vjp(function, wrt=positions)(tuple(single), seed.astype(np.asarray(out).dtype))
    grads = grads if isinstance(grads, tuple) else (grads,)
    exact = ad.vjp(function, wrt=positions)(tuple(values), seed)
    exact = exact if isinstance(exact, tuple) else (exact,)
    for got, want in zip(grads, exact):
        assert np.asarray(got).dtype == np.float32, f"{row.id}: gradient dtype {got.dtype}"
        assert_close(got, want, rtol=2e-3, atol=2e-3, label=f"{row.id}: float32 gradient")
    tangents = [rng.normal(size=np.shape(v)).astype(np.float32) for v in single]
    _, tangent = ad.jvp(function, wrt=positions)(tuple(single), tuple(tangents))
    assert np.asarray(tangent).dtype == np.asarray(out).dtype, f"{row.id}: tangent dtype"


# -- refusals -----------------------------------------------------------------------------

def cov_with_differentiated_weights(m, w):
    return np.sum(np.cov(m, aweights=w))


def cond_of_order_three(a):
    return np.linalg.cond(a, 3)


def cov_of_complex(m):
    return np.sum(np.abs(np.cov(m)))


def test_differentiated_cov_weights_are_refused_not_zero():
    m, w = np.random.default_rng(0).normal(size=(2, 4)), np.array([1.0, 2.0, 0.5, 1.0])
    with pytest.raises(NoDerivativeRuleError, match="aweights"):
        ad.grad(cov_with_differentiated_weights, wrt=(0, 1))(m, w)
    with pytest.raises(NoDerivativeRuleError, match="aweights"):
        ad.jvp(cov_with_differentiated_weights, wrt=(0, 1))((m, w), (m, w))


def test_cond_of_an_order_numpy_does_not_define_is_refused():
    with pytest.raises(AdError, match="cond"):
        ad.grad(cond_of_order_three)(np.eye(2))


def test_cov_of_complex_values_is_refused():
    with pytest.raises(ComplexValueError, match="np.cov"):
        ad.grad(cov_of_complex)(np.array([[1.0 + 1j, 2.0, 0.5j], [0.3, 1j, 2.0]]))


def nondifferentiable_calls(x):
    order = np.argpartition(x, 2)
    keys = np.lexsort((x, -x))
    member = np.isin(x, x[:2])
    return np.sum(x[order] * x) + np.sum(keys * x) + np.sum(member * x) + \
        np.sum(np.spacing(x) * x)


def test_integer_valued_functions_contribute_no_derivative():
    x = np.array([0.3, -1.2, 2.5, 0.7])
    order, keys = np.argpartition(x, 2), np.lexsort((x, -x))
    t = torch.tensor(x, requires_grad=True)
    value = torch.sum(t[torch.as_tensor(order)] * t) + torch.sum(torch.as_tensor(keys) * t) + \
        torch.sum(torch.as_tensor(np.isin(x, x[:2])) * t) + \
        torch.sum(torch.as_tensor(np.spacing(x)) * t)
    (expected,) = torch.autograd.grad(value, [t])
    assert_close(ad.grad(nondifferentiable_calls)(x), expected.numpy())


# -- reverse over reverse: the transposes of the adjoints of block and choose ----------------

def block_cubes(a, b, c):
    return np.sum(np.block([[a, b], [c]]) ** 3)


def choose_cubes(a, b, c):
    return np.sum(np.choose(CHOICE, [a, b, c]) ** 3)


REVERSE_TWICE = [
    (block_cubes, lambda a, b, c: torch.sum(torch.cat([torch.cat([a, b], 1), c], 0) ** 3),
     [(2, 2), (2, 1), (1, 3)]),
    (choose_cubes, lambda a, b, c: torch.sum(_choose_twin(CHOICE, [a, b.expand(2, 3), c]) ** 3),
     [(2, 3), (3,), (2, 3)]),
]


@pytest.mark.parametrize("function, twin, shapes", REVERSE_TWICE,
                         ids=[f.__name__ for f, _, _ in REVERSE_TWICE])
def test_reverse_over_reverse_hessian_matches_torch(function, twin, shapes):
    # ad.jacobian in reverse mode of the generated gradient: the adjoint of its
    # block_adjoint / choose_adjoint is block_from_pieces / choose_from_pieces.
    rng = np.random.default_rng(7)
    values = [rng.normal(size=shape) for shape in shapes]
    hessian = ad.jacobian(ad.grad(function, wrt=1), wrt=1, mode="reverse")(*values)
    others = [torch.as_tensor(v) for v in values]
    expected = torch.autograd.functional.hessian(
        lambda middle: twin(others[0], middle, others[2]), others[1])
    assert_close(hessian, expected.numpy(), label=f"{function.__name__}: hessian")


def polyval_of_a_matrix(p, x):
    return np.sum(np.polyval(p, x))


def test_polynomials_of_two_dimensional_coefficients_are_refused():
    with pytest.raises(NoDerivativeRuleError, match="1-d coefficient arrays"):
        ad.grad(polyval_of_a_matrix)(np.ones((3, 4)), np.ones((3, 4)))


def histogram_with_differentiated_edges(a, edges):
    return np.sum(np.histogram(a, edges)[1])


def test_histogram_edges_given_as_differentiated_values_are_refused_not_zero():
    with pytest.raises(NoDerivativeRuleError, match="bins"):
        ad.grad(histogram_with_differentiated_edges, wrt=1)(np.ones(3), EDGES)


def unique_rows(x):
    return np.sum(np.unique(x, axis=0))


def intersection_with_indices(a, b):
    return np.sum(np.intersect1d(a, b, return_indices=True)[0])


def test_unique_rows_and_intersection_indices_are_refused():
    with pytest.raises(NoDerivativeRuleError, match="axis=None"):
        ad.grad(unique_rows)(np.ones((2, 2)))
    with pytest.raises(NoDerivativeRuleError, match="return_indices"):
        ad.grad(intersection_with_indices)(np.ones(2), np.ones(2))


def roots_of(p):
    return np.sum(np.real(np.roots(p)))


def sorted_complex_values(z):
    return np.sum(np.abs(np.sort_complex(z)))


def test_complex_roots_and_sorting_complex_values_are_refused():
    with pytest.raises(ComplexValueError, match="np.sort_complex"):
        ad.grad(sorted_complex_values)(np.array([1.0 + 1j, 0.5, 2j]))
    with pytest.raises(NoDerivativeRuleError, match="complex"):
        ad.grad(roots_of)(np.array([1.0, 0.0, 1.0]))


def integer_cumulative_sum(x):
    return np.sum(np.cumulative_sum(x, dtype=np.int64) * x)


def integer_logspace(a):
    return np.sum(np.logspace(a, 2.0, 4, dtype=int))


def test_results_cast_to_integers_are_refused_not_differentiated():
    with pytest.raises(NoDerivativeRuleError, match="dtype=int64"):
        ad.grad(integer_cumulative_sum)(np.array([0.5, 1.5]))
    with pytest.raises(NoDerivativeRuleError, match="dtype=int64"):
        ad.grad(integer_logspace)(0.5)
    with pytest.raises(NoDerivativeRuleError, match="dtype=int64"):
        ad.jvp(integer_logspace)((0.5,), (1.0,))
