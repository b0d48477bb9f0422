"""Argument variants of the NumPy/SciPy rules that tests/coverage_specs.py does not
sweep, for tests/test_rule_variants.py.

The pattern is the one autograd's and JAX's suites use: every reduction over
Python-scalar, 0-d, row, column and 3-d operands with every axis form (None, an
int, a negative int, a tuple, the empty tuple) and keepdims both ways, the axis
given by position, keyword and method; every binary elementwise rule over
broadcasting pairs ((3, 1) with (4,), (1,) with (2, 3), a scalar with an array,
empty arrays); the keywords that change the formula (`ord`, `ddof`, `n`,
`prepend`, `append`, `mode`); float32 and integer operands; ties.

    Variant("sum[2x3,axis=-1,keep]", "np.sum(a, axis=-1, keepdims=True)",
            "reduce(torch.sum, a, -1, True)", {"a": (2, 3)})

A `twin` of None means finite differences are the only oracle (no torch twin).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from coverage_specs import split_domains

# -- constants the calls use (spelt the same on the torch side) --------------------

MASK34 = np.array([[True, False, True, True], [False, False, True, False],
                   [True, True, False, True]])
ROWS4 = np.array([0.5, -1.0, 2.0, 0.25])
ROWS4_SORTED = np.sort(ROWS4)
INTS3 = np.array([2, -1, 0])


@dataclass
class Variant:
    """One call form: NumPy source text, its torch twin (or None) and the
    differentiated arguments as name -> shape ("py" for a Python float)."""

    id: str
    call: str
    twin: str | None
    args: dict
    domain: str = "real"        # a domain of coverage_specs.DOMAINS
    rtol: float = 1e-7
    atol: float = 1e-9
    ties: bool = False          # inputs with repeated values (FD then meaningless)
    refused: str = ""           # why adcompiler refuses this form at compile time
    arg_domains: dict = field(default_factory=dict)

    def __post_init__(self):
        split_domains(self)


def _sid(shape) -> str:
    return "py" if shape == "py" else "x".join(map(str, shape)) or "0d"


def _ndim(shape) -> int:
    return 0 if shape == "py" else len(shape)


# -- torch helpers the twins call ----------------------------------------------------

def _dims(a, axis):
    if axis is None:
        return tuple(range(a.ndim))
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(d % a.ndim for d in axis))


def reduce(function, a, axis=None, keepdims=False, **options):
    """function(a) over `axis` in NumPy's sense (None = all, () = none), one
    dimension at a time from the last (torch's prod and friends take one dim)."""
    dims = _dims(a, axis)
    out = a
    for d in reversed(dims):
        out = function(out, dim=d, keepdim=True, **options)
        out = out[0] if isinstance(out, tuple) else out
    if not keepdims:
        out = out.reshape([n for i, n in enumerate(a.shape) if i not in dims])
    return out


def reduce_all(function, a, axis=None, keepdims=False, **options):
    """function over all `axis` at once (torch's amax, var, logsumexp, norm)."""
    dims = _dims(a, axis)
    if function is torch.logsumexp and a.ndim == 0 and (keepdims or axis == ()):
        return a.reshape(1)  # SciPy's result for a 0-d operand is then 1-d
    if not dims:  # a 0-d operand, or the empty tuple: a reduction over one element
        return function(a.reshape(1, *a.shape), dim=0, keepdim=False, **options)
    return function(a, dim=dims, keepdim=keepdims, **options)


def ptp(a, axis=None, keepdims=False):
    return reduce_all(torch.amax, a, axis, keepdims) - reduce_all(torch.amin, a, axis, keepdims)


def cumulative(function, a, axis=None):
    return function(a.reshape(-1), 0) if axis is None else function(a, axis)


TORCH_HELPERS = {"reduce": reduce, "reduce_all": reduce_all, "ptp": ptp,
                 "cumulative": cumulative}

# -- reductions (autograd's stat_check, JAX's reducer sweep) -------------------------

REDUCTION_SHAPES = {
    "py": (None,),
    (): (None, ()),
    (3,): (None, 0, -1, (0,)),
    (1, 3): (None, 0, 1, -2, (0, 1)),
    (2, 3): (None, 1, -1, (1, 0)),
    (2, 3, 4): (None, 1, (0, 2), (-1, 0), ()),
}

REDUCTIONS = [
    # name, NumPy function, torch twin (with {a} {axis} {keep}), domain, accepts ()
    ("sum", "np.sum", "reduce(torch.sum, a, {axis}, {keep})", "real"),
    ("mean", "np.mean", "reduce(torch.mean, a, {axis}, {keep})", "real"),
    ("nansum", "np.nansum", "reduce(torch.sum, a, {axis}, {keep})", "real"),
    ("nanmean", "np.nanmean", "reduce(torch.mean, a, {axis}, {keep})", "real"),
    ("prod", "np.prod", "reduce(torch.prod, a, {axis}, {keep})", "nonzero"),
    ("max", "np.max", "reduce_all(torch.amax, a, {axis}, {keep})", "distinct"),
    ("amin", "np.amin", "reduce_all(torch.amin, a, {axis}, {keep})", "distinct"),
    ("ptp", "np.ptp", "ptp(a, {axis}, {keep})", "distinct"),
    ("var", "np.var", "reduce_all(torch.var, a, {axis}, {keep}, correction=0)", "real"),
    ("std", "np.std", "reduce_all(torch.std, a, {axis}, {keep}, correction=0)", "real"),
    ("logsumexp", "special.logsumexp",
     "reduce_all(torch.logsumexp, a, {axis}, {keep})", "real"),
]

# Calls whose empty-tuple axis has no torch twin (var over no axis is 0, std's
# derivative there is undefined).
_NO_EMPTY_AXIS = {"var", "std", "ptp"}


def _reduction_variants():
    rows = []
    for name, np_fn, twin, domain in REDUCTIONS:
        for shape, axes in REDUCTION_SHAPES.items():
            for axis in axes:
                if axis == () and name in _NO_EMPTY_AXIS:
                    continue
                for keep in (False, True):
                    if shape == "py" and keep:
                        continue
                    tag = f"{name}[{_sid(shape)},axis={axis},keep={keep}]".replace(" ", "")
                    keyword = f", axis={axis!r}, keepdims=True" if keep else \
                        ("" if axis is None else f", {axis!r}")
                    rows.append(Variant(tag, f"{np_fn}(a{keyword})",
                                        twin.format(axis=repr(axis), keep=keep),
                                        {"a": shape}, domain=domain))
    return rows


# Method spellings and keyword forms of the same reductions.
METHOD_VARIANTS = [
    Variant("sum-method-positional", "a.sum(1)", "torch.sum(a, 1)", {"a": (2, 3)}),
    Variant("sum-method-tuple-keep", "a.sum(axis=(0, 2), keepdims=True)",
            "torch.sum(a, (0, 2), keepdim=True)", {"a": (2, 3, 4)}),
    Variant("sum-method-0d", "a.sum()", "torch.sum(a)", {"a": ()}),
    Variant("mean-method-negative", "a.mean(axis=-2)", "torch.mean(a, -2)", {"a": (2, 3, 4)}),
    Variant("prod-method-keep", "a.prod(axis=0, keepdims=True)",
            "torch.prod(a, 0, keepdim=True)", {"a": (3, 2)}, domain="nonzero"),
    Variant("max-method-tuple", "a.max(axis=(0, 1))", "torch.amax(a, (0, 1))",
            {"a": (2, 3, 4)}, domain="distinct"),
    Variant("min-method-keep", "a.min(1, keepdims=True)", "torch.amin(a, 1, keepdim=True)",
            {"a": (2, 3)}, domain="distinct"),
    Variant("var-method-ddof", "a.var(1, ddof=1)", "torch.var(a, 1, correction=1)",
            {"a": (2, 3)}),
    Variant("std-method-ddof-keep", "a.std(axis=0, ddof=1, keepdims=True)",
            "torch.std(a, 0, correction=1, keepdim=True)", {"a": (3, 4)}),
    Variant("var-ddof-2-tuple", "np.var(a, axis=(0, 2), ddof=2)",
            "torch.var(a, (0, 2), correction=2)", {"a": (2, 3, 4)}),
    Variant("std-ddof-all", "np.std(a, ddof=1)", "torch.std(a, correction=1)", {"a": (2, 3)}),
    Variant("var-positional-dtype-out-ddof", "np.var(a, 0, None, None, 1)",
            "torch.var(a, 0, correction=1)", {"a": (4, 2)}, refused="dtype and out given by position"),
    Variant("sum-keyword-a", "np.sum(a=a, axis=0)", "torch.sum(a, 0)", {"a": (2, 3)}),
    Variant("mean-dtype-keyword", "np.mean(a, axis=1, dtype=np.float64)", "torch.mean(a, 1)",
            {"a": (2, 3)}),
    Variant("cumsum-method-negative", "a.cumsum(axis=-2)", "torch.cumsum(a, -2)",
            {"a": (2, 3, 4)}),
    Variant("cumsum-0d", "np.cumsum(a)", "torch.cumsum(a.reshape(-1), 0)", {"a": ()}),
    Variant("cumsum-py", "np.cumsum(a)", "torch.cumsum(a.reshape(-1), 0)", {"a": "py"}),
    Variant("cumsum-3d-flat", "np.cumsum(a)", "cumulative(torch.cumsum, a)", {"a": (2, 3, 4)}),
    Variant("cumprod-negative-axis", "np.cumprod(a, -1)", "torch.cumprod(a, -1)",
            {"a": (2, 3)}, domain="nonzero"),
    Variant("cumprod-3d-flat", "np.cumprod(a)", "cumulative(torch.cumprod, a)",
            {"a": (2, 3)}, domain="nonzero"),
    Variant("average-tuple-axis", "np.average(a, axis=(0, 1))", "torch.mean(a, (0, 1))",
            {"a": (2, 3, 4)}),
    Variant("average-weights-2d", "np.average(a, axis=1, weights=b)",
            "torch.sum(a * b, 1) / torch.sum(b, 1)", {"a": (2, 3), "b": ((2, 3), "pos")}),
    Variant("average-weights-returned", "np.average(a, 0, b, returned=True)[0]",
            "torch.sum(a * b[:, None], 0) / torch.sum(b)", {"a": (3, 2), "b": ((3,), "pos")}),
    Variant("average-weights-returned-sum", "np.average(a, 0, b, returned=True)[1]",
            "torch.sum(b).expand(2)", {"a": (3, 2), "b": ((3,), "pos")}),
    Variant("logsumexp-b-broadcast", "special.logsumexp(a, axis=1, b=b)",
            "torch.logsumexp(a + torch.log(b), 1)", {"a": (2, 3), "b": ((3,), "pos")}),
    Variant("logsumexp-keyword-positional-axis", "special.logsumexp(a, -1, keepdims=True)",
            "torch.logsumexp(a, -1, keepdim=True)", {"a": (2, 3, 4)}),
    Variant("softmax-tuple-axis", "special.softmax(a, axis=(0, 2))",
            "torch.exp(a - torch.logsumexp(a, (0, 2), keepdim=True))", {"a": (2, 3, 4)}),
    Variant("log_softmax-negative-axis", "special.log_softmax(a, -2)",
            "torch.log_softmax(a, -2)", {"a": (2, 3, 4)}),
]

# -- keywords that change the formula -------------------------------------------------

KEYWORD_VARIANTS = [
    Variant("diff-prepend-scalar", "np.diff(a, prepend=0.5)", None, {"a": (4,)}),
    Variant("diff-prepend-array", "np.diff(a, prepend=b)",
            "torch.diff(a, prepend=b.reshape(1))", {"a": (4,), "b": "py"}),
    Variant("diff-append-array-axis", "np.diff(a, axis=0, append=b)",
            "torch.diff(a, dim=0, append=b)", {"a": (3, 2), "b": (1, 2)}),
    Variant("diff-prepend-append-n2", "np.diff(a, 2, -1, b, c)",
            "torch.diff(a, 2, -1, b, c)", {"a": (2, 4), "b": (2, 1), "c": (2, 2)}),
    Variant("diff-prepend-0d-broadcast", "np.diff(a, axis=1, prepend=b)",
            "torch.diff(a, dim=1, prepend=b.expand(2, 1))", {"a": (2, 3), "b": ()}),
    Variant("diff-n0", "np.diff(a, 0)", "a * 1.0", {"a": (3,)}),
    Variant("diff-n-too-large", "np.diff(a, 3)", "a[3:] * 0.0", {"a": (3,)}),
    Variant("diff-3d-negative-axis", "np.diff(a, axis=-2)", "torch.diff(a, dim=-2)",
            {"a": (2, 3, 4)}),
    Variant("norm-ord3", "np.linalg.norm(a, 3)", "torch.linalg.vector_norm(a, 3)",
            {"a": (4,)}),
    Variant("norm-ord-half", "np.linalg.norm(a, 0.5)", "torch.linalg.vector_norm(a, 0.5)",
            {"a": (4,)}, domain="nonzero"),
    Variant("norm-ord-neg1", "np.linalg.norm(a, -1)", "torch.linalg.vector_norm(a, -1)",
            {"a": (4,)}, domain="nonzero"),
    Variant("norm-ord-neg2-axis", "np.linalg.norm(a, -2, axis=1)",
            "torch.linalg.vector_norm(a, -2, 1)", {"a": (2, 3)}, domain="nonzero"),
    Variant("norm-ord-neginf", "np.linalg.norm(a, -np.inf)",
            "torch.linalg.vector_norm(a, -math.inf)", {"a": (4,)}, domain="distinct"),
    Variant("norm-ord1-keep-tuple1", "np.linalg.norm(a, 1, (1,), True)",
            "torch.linalg.vector_norm(a, 1, (1,), True)", {"a": (2, 3)}, domain="nonzero"),
    Variant("norm-0d", "np.linalg.norm(a)", "torch.abs(a)", {"a": ()}, domain="nonzero"),
    Variant("norm-py", "np.linalg.norm(a)", "torch.abs(a)", {"a": "py"}, domain="nonzero"),
    Variant("norm-2d-default-keep", "np.linalg.norm(a, keepdims=True)",
            "torch.linalg.vector_norm(a, 2, (0, 1), True)", {"a": (2, 3)}),
    Variant("norm-3d-flat", "np.linalg.norm(a)", "torch.linalg.vector_norm(a)",
            {"a": (2, 3, 4)}),
    Variant("norm-matrix-2", "np.linalg.norm(a, 2)", "torch.linalg.matrix_norm(a, 2)",
            {"a": (3, 4)}),
    Variant("norm-matrix-neg2", "np.linalg.norm(a, -2)", "torch.linalg.matrix_norm(a, -2)",
            {"a": (3, 3)}, domain="well"),
    Variant("norm-matrix-inf", "np.linalg.norm(a, np.inf)",
            "torch.linalg.matrix_norm(a, math.inf)", {"a": (3, 4)}, domain="distinct"),
    Variant("norm-matrix-neg1-keep", "np.linalg.norm(a, -1, (0, 1), True)",
            "torch.linalg.matrix_norm(a, -1, (0, 1), True)", {"a": (3, 4)}, domain="distinct"),
    Variant("norm-matrix-neginf-axes-swapped", "np.linalg.norm(a, -np.inf, (2, 1))",
            "torch.linalg.matrix_norm(a, -math.inf, (2, 1))", {"a": (2, 3, 4)},
            domain="distinct"),
    Variant("norm-matrix-nuc-keep", "np.linalg.norm(a, 'nuc', keepdims=True)",
            "torch.linalg.matrix_norm(a, 'nuc', keepdim=True)", {"a": (3, 4)}),
    Variant("vector_norm-ord0-free-axis", "np.linalg.vector_norm(a, axis=-1, ord=1)",
            "torch.linalg.vector_norm(a, 1, -1)", {"a": (2, 3)}, domain="nonzero"),
    Variant("vector_norm-keep-all", "np.linalg.vector_norm(a, keepdims=True)",
            "torch.linalg.vector_norm(a, keepdim=True)", {"a": (2, 3)}),
    Variant("matrix_norm-nuc-batched", "np.linalg.matrix_norm(a, ord='nuc')",
            "torch.linalg.matrix_norm(a, 'nuc')", {"a": (2, 3, 3)}),
    Variant("matrix_norm-neg2", "np.linalg.matrix_norm(a, ord=-2)",
            "torch.linalg.matrix_norm(a, -2)", {"a": (2, 3)}),
    Variant("trace-negative-offset-axes", "np.trace(a, -1, -1, 0)",
            "torch.diagonal(a, -1, -1, 0).sum(-1)", {"a": (3, 2, 3)}),
    Variant("roll-negative-tuple", "np.roll(a, (-1, 2), axis=(-1, 0))",
            "torch.roll(a, (-1, 2), (-1, 0))", {"a": (3, 4)}),
    Variant("roll-shift-larger-than-size", "np.roll(a, 7, 1)", "torch.roll(a, 7, 1)",
            {"a": (2, 3)}),
    Variant("take-negative-index-axis", "np.take(a, [-1, 0, -1], axis=-1)",
            "a[..., [-1, 0, -1]]", {"a": (2, 3)}),
    Variant("take-raise-scalar-index", "np.take(a, 1, axis=0)", "a[1]", {"a": (2, 3)}),
    Variant("repeat-negative-axis", "np.repeat(a, 2, axis=-1)",
            "torch.repeat_interleave(a, 2, -1)", {"a": (2, 3)}),
    Variant("repeat-0d", "np.repeat(a, 3)", "a.reshape(1).repeat(3)", {"a": ()}),
    Variant("tile-0d", "np.tile(a, (2, 2))", "a.reshape(1, 1).repeat(2, 2)", {"a": ()}),
    Variant("clip-broadcast-bounds", "np.clip(a, b, c)",
            "torch.minimum(torch.maximum(a, b), c)",
            {"a": (3, 4), "b": ((4,), "real"), "c": ((3, 1), "gt1")}),
    Variant("clip-py-bounds-array", "np.clip(a, -0.3, b)", "torch.clamp(a, torch.tensor(-0.3), b)",
            {"a": (2, 3), "b": ((3,), "gt1")}),
    Variant("cross-axis", "np.cross(a, b, axis=0)", "torch.linalg.cross(a, b, dim=0)",
            {"a": (3, 2), "b": (3, 2)}),
    Variant("cross-2-vectors", "np.cross(a, b)", None, {"a": (2, 2), "b": (2,)}),
    Variant("cross-broadcast", "np.cross(a, b)", "torch.linalg.cross(a, b.expand(2, 3))",
            {"a": (2, 3), "b": (3,)}),
    Variant("pad-reflect-1d-tuple", "np.pad(a, (2, 1), mode='reflect')",
            "torch.nn.functional.pad(a[None], (2, 1), mode='reflect')[0]", {"a": (4,)}),
    Variant("pad-edge-3d", "np.pad(a, ((0, 0), (1, 0), (0, 2)), 'edge')",
            "torch.nn.functional.pad(a, (0, 2, 1, 0), mode='replicate')", {"a": (2, 3, 4)}),
    Variant("sort-negative-axis-3d", "np.sort(a, axis=-2)", "torch.sort(a, -2)[0]",
            {"a": (2, 3, 4)}, domain="distinct"),
    Variant("sort-method-like-flat", "np.sort(a, None)", "torch.sort(a.reshape(-1))[0]",
            {"a": (2, 3)}, domain="distinct"),
    Variant("linspace-0d-endpoints-num1", "np.linspace(a, b, 1)", "a.reshape(1) + 0 * b",
            {"a": (), "b": ()}),
    Variant("linspace-broadcast-endpoints", "np.linspace(a, b, 4)",
            "a + (b - a) * torch.linspace(0, 1, 4)[:, None]", {"a": (3,), "b": ()}),
    Variant("cumsum-axis-keyword-0d-like", "np.cumsum(a, axis=0)", "torch.cumsum(a, 0)",
            {"a": (1,)}),
    Variant("swapaxes-same", "np.swapaxes(a, 1, -1)", "a * 1.0", {"a": (2, 3)}),
    Variant("squeeze-tuple-axes", "np.squeeze(a, axis=(0, 2))", "a[0, :, 0]", {"a": (1, 3, 1)}),
    Variant("expand_dims-negative", "np.expand_dims(a, -1)", "a[..., None]", {"a": (2, 3)}),
    Variant("moveaxis-negative", "np.moveaxis(a, -1, 0)", "torch.movedim(a, -1, 0)",
            {"a": (2, 3, 4)}),
    Variant("tensordot-0d-operand", "np.tensordot(a, b, 0)", "a * b", {"a": (), "b": (2, 3)}),
    Variant("dot-py-array", "np.dot(a, b)", "a * b", {"a": "py", "b": (2, 3)}),
    Variant("outer-2d-flattens", "np.outer(a, b)", "torch.outer(a.reshape(-1), b)",
            {"a": (2, 2), "b": (3,)}),
    Variant("inner-py", "np.inner(a, b)", "a * b", {"a": "py", "b": (3,)}),
    Variant("where-scalar-branches", "np.where(MASK34, a, b)", "torch.where(MASK34, a, b)",
            {"a": "py", "b": (3, 4)}),
    Variant("where-broadcast-column-row", "np.where(MASK34, a, b)",
            "torch.where(MASK34, a, b)", {"a": (3, 1), "b": (4,)}),
]

# Products, contractions and linear algebra over broadcast batches and special values.
ZEROS2 = np.array([[0.0, 1.5, -0.7], [2.0, 0.0, 0.0]])  # one and two zeros in a row

PRODUCT_VARIANTS = [
    Variant("prod-two-zeros-in-a-row", "np.prod(a * ZEROS2, axis=1)",
            "torch.prod(a * ZEROS2, 1)", {"a": ((2, 3), "pos")}),
    Variant("prod-zeros-all", "np.prod(a * ZEROS2)", "torch.prod(a * ZEROS2)",
            {"a": ((2, 3), "pos")}),
    Variant("cumprod-zeros-flat", "np.cumprod(a * ZEROS2)",
            "torch.cumprod((a * ZEROS2).reshape(-1), 0)", {"a": ((2, 3), "pos")}),
    Variant("power-zero-base-int-exponent", "(a * ZEROS2) ** 3", "(a * ZEROS2) ** 3",
            {"a": (2, 3)}),
    Variant("power-zero-base-2", "np.power(a * ZEROS2, 2)", "torch.pow(a * ZEROS2, 2)",
            {"a": (2, 3)}),
    Variant("matmul-broadcast-batches", "a @ b", "a @ b", {"a": (1, 2, 3), "b": (4, 3, 2)}),
    Variant("matmul-vector-batch", "np.matmul(a, b)", "torch.matmul(a, b)",
            {"a": (3,), "b": (2, 3, 4)}),
    Variant("solve-broadcast-batch", "np.linalg.solve(a, b)", "torch.linalg.solve(a, b)",
            {"a": ((2, 3, 3), "well"), "b": (3, 2)}),
    Variant("inv-0-batch", "np.linalg.inv(a)", "torch.linalg.inv(a)", {"a": ((1, 2, 2), "well")}),
    Variant("det-1x1", "np.linalg.det(a)", "torch.linalg.det(a)", {"a": ((1, 1), "well")}),
    Variant("einsum-trace", "np.einsum('ii', a)", "torch.einsum('ii', a)", {"a": (3, 3)}),
    Variant("einsum-diagonal", "np.einsum('ii->i', a)", "torch.einsum('ii->i', a)",
            {"a": (3, 3)}),
    Variant("einsum-ellipsis-broadcast", "np.einsum('...ij,...jk->...ik', a, b)",
            "torch.einsum('...ij,...jk->...ik', a, b)", {"a": (2, 2, 3), "b": (3, 4)}),
    Variant("einsum-implicit-outer", "np.einsum('i,j', a, b)", "torch.einsum('i,j', a, b)",
            {"a": (2,), "b": (3,)}),
    Variant("einsum-three-operands", "np.einsum('ij,jk,k->i', a, b, c)",
            "torch.einsum('ij,jk,k->i', a, b, c)", {"a": (2, 3), "b": (3, 4), "c": (4,)}),
    Variant("einsum-0d-operand", "np.einsum(',ij->ij', a, b)", "a * b",
            {"a": (), "b": (2, 3)}),
    Variant("take_along_axis-negative-axis", "np.take_along_axis(a, np.argsort(a, -1), -1)",
            "torch.sort(a, -1)[0]", {"a": ((2, 4), "distinct")}),
    Variant("sort-descending-by-slice", "np.sort(a)[::-1]", "torch.sort(a, descending=True)[0]",
            {"a": ((5,), "distinct")}),
    Variant("sqrt-of-sum-of-squares", "np.sqrt(np.sum(a * a, axis=-1, keepdims=True))",
            "torch.linalg.vector_norm(a, dim=-1, keepdim=True)", {"a": (2, 3)}),
    Variant("softmax-0d", "special.softmax(a)", "torch.softmax(a.reshape(1), 0).reshape(())",
            {"a": ()}),
    Variant("logsumexp-b-negative-sign-free", "special.logsumexp(a, b=b)",
            "torch.logsumexp(a + torch.log(b), (0, 1))", {"a": (2, 3), "b": ((2, 3), "pos")}),
]

# SciPy functions of several arguments over broadcasting pairs, Python scalars, keywords.
SCIPY_VARIANTS = [
    Variant("norm.logpdf-broadcast-keywords", "scipy.stats.norm.logpdf(a, loc=b, scale=c)",
            "-0.5 * ((a - b) / c) ** 2 - torch.log(c) - 0.5 * math.log(2 * math.pi)",
            {"a": (3, 1), "b": (4,), "c": ((), "pos")}),
    Variant("norm.logpdf-py-loc", "scipy.stats.norm.logpdf(a, b, 2.0)",
            "-0.5 * ((a - b) / 2.0) ** 2 - math.log(2.0) - 0.5 * math.log(2 * math.pi)",
            {"a": (2, 3), "b": "py"}),
    Variant("norm.cdf-0d-scale", "scipy.stats.norm.cdf(a, 0.5, c)",
            "torch.special.ndtr((a - 0.5) / c)", {"a": (3,), "c": ((), "pos")}),
    Variant("expon.logpdf-scale-array", "scipy.stats.expon.logpdf(a, scale=c)",
            "-a / c - torch.log(c)", {"a": ((2, 3), "pos"), "c": ((3,), "pos")}),
    Variant("xlog1py-broadcast", "special.xlog1py(a, b)", "torch.special.xlog1py(a, b)",
            {"a": (3, 1), "b": ((4,), "pos")}),
    Variant("xlogy-0d-array", "special.xlogy(a, b)", "torch.xlogy(a, b)",
            {"a": (), "b": ((2, 3), "pos")}),
    Variant("logit-empty", "special.logit(a)", "torch.logit(a)", {"a": ((0, 2), "prob")}),
    Variant("erf-py", "special.erf(a)", "torch.erf(a)", {"a": "py"}),
    Variant("softmax-keyword-axis-none-3d", "special.softmax(a, axis=None)",
            "torch.softmax(a.reshape(-1), 0).reshape(2, 3, 4)", {"a": (2, 3, 4)}),
    Variant("logsumexp-b-py", "special.logsumexp(a, b=2.0)",
            "torch.logsumexp(a, (0, 1)) + math.log(2.0)", {"a": (2, 3)}),
    Variant("interp-py-x", "np.interp(a, ROWS4_SORTED, b)", None,
            {"a": "py", "b": (4,)}),
    Variant("polyval-py-x", "np.polyval(a, b)", "b * b * a[0] + b * a[1] + a[2]",
            {"a": (3,), "b": "py"}),
    Variant("clip-method-keywords", "a.clip(min=b, max=2.5)", "torch.clamp(a, b, torch.tensor(2.5))",
            {"a": (2, 3), "b": ((3,), "real")}),
    Variant("ldexp-int-array", "np.ldexp(a, INTS3)", "a * 2.0 ** INTS3", {"a": (2, 3)}),
    Variant("append-axis-2d", "np.append(a, b, axis=1)", "torch.cat([a, b], 1)",
            {"a": (2, 3), "b": (2, 1)}),
    Variant("sign-2d", "np.sign(a)", "torch.sign(a)", {"a": ((2, 3), "nonzero")}),
    Variant("digamma-2d", "special.digamma(a)", "torch.digamma(a)", {"a": ((2, 3), "pos")}),
    Variant("polyval-2d-x", "np.polyval(a, b)", "(b * a[0] + a[1]) * b + a[2]",
            {"a": (3,), "b": (2, 3)}),
    Variant("where-one-argument-branch-0d", "np.where(a > 0.0, a, 0.0)", "torch.relu(a)",
            {"a": ()}),
    Variant("builtin-max-0d", "max(a, b)", "torch.maximum(a, b)", {"a": (), "b": ()}),
    Variant("builtin-min-0d", "min(a, b)", "torch.minimum(a, b)", {"a": (), "b": ()}),
]

# -- binary elementwise rules over broadcasting pairs (autograd's binary_ufunc_check) --

BINARY = [
    ("add", "np.add({a}, {b})", "torch.add(a, b)", "real", "real"),
    ("subtract-op", "{a} - {b}", "a - b", "real", "real"),
    ("multiply", "np.multiply({a}, {b})", "a * b", "real", "real"),
    ("divide-op", "{a} / {b}", "a / b", "real", "nonzero"),
    ("power", "np.power({a}, {b})", "torch.pow(a, b)", "pos", "real"),
    ("power-op", "{a} ** {b}", "a ** b", "pos", "real"),
    ("maximum", "np.maximum({a}, {b})", "torch.maximum(a, b)", "real", "real"),
    ("minimum", "np.minimum({a}, {b})", "torch.minimum(a, b)", "real", "real"),
    ("arctan2", "np.arctan2({a}, {b})", "torch.atan2(a, b)", "real", "nonzero"),
    ("hypot", "np.hypot({a}, {b})", "torch.hypot(a, b)", "nonzero", "nonzero"),
    ("logaddexp", "np.logaddexp({a}, {b})", "torch.logaddexp(a, b)", "real", "real"),
    ("copysign", "np.copysign({a}, {b})", "torch.copysign(a, b)", "nonzero", "nonzero"),
    ("fmod", "np.fmod({a}, {b})", "torch.fmod(a, b)", "real", "gt1"),
    ("remainder-op", "{a} % {b}", "torch.remainder(a, b)", "real", "gt1"),
    ("xlogy", "special.xlogy({a}, {b})", "torch.xlogy(a, b)", "real", "pos"),
    ("float_power", "np.float_power({a}, {b})", "torch.float_power(a, b)", "pos", "real"),
]

BROADCAST_PAIRS = [((3, 1), (4,)), ((1,), (2, 3)), ("py", (2, 3)), ((2, 3), "py"),
                   ((), (3,)), ((2, 1, 4), (3, 1)), ((0,), (0,)), ((0, 3), (3,)),
                   ((2, 0), (1,))]


def _binary_variants():
    rows = []
    for name, call, twin, domain_a, domain_b in BINARY:
        for shape_a, shape_b in BROADCAST_PAIRS:
            tag = f"{name}[{_sid(shape_a)},{_sid(shape_b)}]"
            rows.append(Variant(tag, call.format(a="a", b="b"), twin,
                                {"a": (shape_a, domain_a), "b": (shape_b, domain_b)}))
        # A Python number constant on either side.
        rows.append(Variant(f"{name}[2x3,const]", call.format(a="a", b="1.5"),
                            f"(lambda b: {twin})(torch.tensor(1.5))",
                            {"a": ((2, 3), domain_a)}))
    return rows


# -- unary rules on empty and single-element arrays --------------------------------

UNARY = [("exp", "np.exp", "torch.exp", "real"), ("log", "np.log", "torch.log", "pos"),
         ("tanh", "np.tanh", "torch.tanh", "real"), ("sqrt", "np.sqrt", "torch.sqrt", "pos"),
         ("abs", "np.abs", "torch.abs", "nonzero"),
         ("expit", "special.expit", "torch.sigmoid", "real"),
         ("gammaln", "special.gammaln", "torch.lgamma", "pos")]


def _unary_variants():
    return [Variant(f"{name}[{_sid(shape)}]", f"{np_fn}(a)", f"{torch_fn}(a)", {"a": shape},
                    domain=domain)
            for name, np_fn, torch_fn, domain in UNARY for shape in ((0,), (0, 3), (1, 1, 1))]


# -- empty operands of reductions and shape rules -------------------------------------

EMPTY_VARIANTS = [
    Variant("sum-empty", "np.sum(a)", "torch.sum(a)", {"a": (0,)}),
    Variant("sum-empty-axis0", "np.sum(a, axis=0)", "torch.sum(a, 0)", {"a": (0, 3)}),
    Variant("sum-empty-axis1", "np.sum(a, axis=1)", "torch.sum(a, 1)", {"a": (0, 3)}),
    Variant("prod-empty-axis0", "np.prod(a, axis=0)", "torch.prod(a, 0)", {"a": (0, 3)}),
    Variant("cumsum-empty", "np.cumsum(a, 0)", "torch.cumsum(a, 0)", {"a": (0, 2)}),
    Variant("cumprod-empty", "np.cumprod(a)", "torch.cumprod(a.reshape(-1), 0)", {"a": (0, 2)}),
    Variant("matmul-empty-inner", "a @ b", "a @ b", {"a": (2, 0), "b": (0, 3)}),
    Variant("dot-empty", "np.dot(a, b)", "torch.dot(a, b)", {"a": (0,), "b": (0,)}),
    Variant("concatenate-empty", "np.concatenate([a, b])", "torch.cat([a, b])",
            {"a": (0,), "b": (3,)}),
    Variant("reshape-empty", "np.reshape(a, (3, 0))", "a.reshape(3, 0)", {"a": (0, 3)}),
    Variant("diff-empty-result", "np.diff(a)", "torch.diff(a)", {"a": (1,)}),
    Variant("getitem-empty-slice", "a[2:1]", "a[2:1]", {"a": (3,)}),
    Variant("norm-empty", "np.linalg.norm(a)", "torch.linalg.vector_norm(a)", {"a": (0,)}),
    Variant("sort-empty", "np.sort(a)", "torch.sort(a)[0]", {"a": (0,)}),
    Variant("stack-empty-rows", "np.stack([a, b], axis=1)", "torch.stack([a, b], 1)",
            {"a": (0,), "b": (0,)}),
    Variant("mean-empty-axis1", "np.mean(a, axis=1)", "torch.mean(a, 1)", {"a": (2, 0)}),
]

# -- ties: the conventions docs/derivatives.md states ----------------------------------

TIES = {
    "ties": lambda rng, shape: rng.choice([-1.0, 0.5, 2.0], shape),
}

TIE_VARIANTS = [
    Variant("max-ties-all", "np.max(a)", "torch.amax(a)", {"a": ((3, 4), "ties")}, ties=True),
    Variant("max-ties-axis", "np.max(a, axis=1)", "torch.amax(a, 1)",
            {"a": ((3, 4), "ties")}, ties=True),
    Variant("min-ties-tuple-keep", "np.min(a, axis=(0, 2), keepdims=True)",
            "torch.amin(a, (0, 2), keepdim=True)", {"a": ((2, 3, 4), "ties")}, ties=True),
    Variant("amax-method-ties", "a.max(0)", "torch.amax(a, 0)",
            {"a": ((3, 4), "ties")}, ties=True),
    Variant("ptp-ties", "np.ptp(a, 1)", "ptp(a, 1)", {"a": ((3, 4), "ties")}, ties=True),
    Variant("maximum-ties-broadcast", "np.maximum(a, b)", "torch.maximum(a, b)",
            {"a": ((3, 1), "ties"), "b": ((4,), "ties")}, ties=True),
    Variant("minimum-ties", "np.minimum(a, b)", "torch.minimum(a, b)",
            {"a": ((3, 4), "ties"), "b": ((3, 4), "ties")}, ties=True),
    Variant("sort-ties-stable", "np.sort(a, axis=1, kind='stable')",
            "torch.sort(a, dim=1, stable=True)[0]", {"a": ((3, 4), "ties")}, ties=True),
    Variant("sort-ties-default", "np.sort(a)", "torch.sort(a, stable=True)[0]",
            {"a": ((3, 5), "ties")}, ties=True),
    Variant("norm-inf-ties", "np.linalg.norm(a, np.inf, axis=1)",
            "torch.linalg.vector_norm(a, math.inf, 1)", {"a": ((3, 4), "ties")}, ties=True),
    Variant("clip-at-bound", "np.clip(a, -1.0, 0.5)", "torch.clamp(a, -1.0, 0.5)",
            {"a": ((3, 4), "ties")}, ties=True),
    Variant("abs-at-zero", "np.abs(a)", "torch.abs(a)", {"a": ((6,), "zeros")}, ties=True),
]

VARIANTS = (_reduction_variants() + METHOD_VARIANTS + KEYWORD_VARIANTS + PRODUCT_VARIANTS + SCIPY_VARIANTS
            + _binary_variants()
            + _unary_variants() + EMPTY_VARIANTS + TIE_VARIANTS)

# -- float32 and integer operands ------------------------------------------------------
# (id of a float64 variant above, which the dtype variant is compared against)

FLOAT32_OF = ["sum[2x3,axis=(1,0),keep=True]", "mean[2x3x4,axis=(0,2),keep=False]",
              "prod[2x3,axis=1,keep=True]", "max[2x3,axis=-1,keep=False]",
              "nanmean[2x3x4,axis=(-1,0),keep=True]", "einsum-ellipsis-broadcast",
              "solve-broadcast-batch", "prod-two-zeros-in-a-row",
              "var[2x3,axis=None,keep=False]", "std[2x3x4,axis=1,keep=True]",
              "logsumexp[2x3,axis=1,keep=False]", "cumsum-3d-flat", "diff-prepend-append-n2",
              "norm-ord3", "norm-matrix-2", "norm-matrix-nuc-keep", "clip-broadcast-bounds",
              "sort-negative-axis-3d", "roll-negative-tuple",
              "power[3x1,4]", "arctan2[1,2x3]", "multiply[py,2x3]", "divide-op[2x3,py]",
              "maximum[3x1,4]", "hypot[2x1x4,3x1]", "exp[1x1x1]", "average-weights-2d",
              "pad-edge-3d", "where-broadcast-column-row",
              "ldexp-int-array", "append-axis-2d", "digamma-2d", "polyval-2d-x",
              "sign-2d", "builtin-max-0d", "builtin-min-0d"]

INTEGER_OF = ["sum[2x3,axis=1,keep=False]", "mean[3,axis=None,keep=False]",
              "prod[2x3,axis=None,keep=False]", "var[2x3,axis=1,keep=True]",
              "multiply[3x1,4]", "subtract-op[py,2x3]", "cumsum-3d-flat", "norm-ord3",
              "roll-negative-tuple", "where-broadcast-column-row"]

# float32 first operand, float64 others: each derivative in its operand's dtype.
MIXED_OF = ["multiply[3x1,4]", "power[2x1x4,3x1]", "maximum[1,2x3]", "where-broadcast-column-row",
            "solve-broadcast-batch", "einsum-three-operands", "diff-prepend-append-n2",
            "average-weights-2d", "clip-broadcast-bounds"]
