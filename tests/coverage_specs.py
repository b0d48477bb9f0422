"""The table that tests/test_numpy_coverage.py drives every NumPy rule from.

One row (`Case`) per call form: the NumPy call as source text (it becomes the
body of a function that adcompiler compiles), its torch twin, and the input
domain and shape of each differentiated argument. Constants the calls use
(index arrays, masks, weights) are module-level names here, spelt the same
in NumPy and torch (the torch side sees them converted to tensors).

    unary("exp", "np.exp", "torch.exp")   -> np.exp(a) for a of shape (), (3,),
                                              (2, 3) and a Python float
    Case("sum-axis", "np.sum(a, axis=(0, -1), keepdims=True)",
         "torch.sum(a, dim=(0, -1), keepdim=True)", {"a": (2, 3, 4)})
"""

from __future__ import annotations

import math  # noqa: F401  (call strings use it)
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F  # noqa: F401  (twin strings use it)

try:
    import scipy.linalg  # noqa: F401  (call strings use it)
    from scipy import special
except ImportError:  # the scipy rows are skipped
    special = None


# -- input domains --------------------------------------------------------------

def _symmetric(rng, n):
    """A symmetric matrix with well-separated eigenvalues."""
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return q @ np.diag(np.arange(1, n + 1) * 1.3 - 2.1) @ q.T


def _spd(rng, n):
    m = rng.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def _well(rng, shape):
    """Well-conditioned square matrices (a stack of them for 3-d shapes)."""
    n = shape[-1]
    return rng.normal(size=shape) * 0.5 + 2.0 * np.eye(n)


def _distinct(rng, shape):
    """Values at least 0.1 apart (no ties, so max/sort are smooth around them)."""
    size = int(np.prod(shape))
    values = (rng.permutation(size) - size / 2) * 0.37 + rng.uniform(-0.05, 0.05, size)
    return values.reshape(shape)


DOMAINS = {
    "real": lambda rng, shape: rng.uniform(-2.0, 2.0, shape),
    "pos": lambda rng, shape: rng.uniform(0.5, 2.0, shape),
    "unit": lambda rng, shape: rng.uniform(-0.85, 0.85, shape),
    "prob": lambda rng, shape: rng.uniform(0.15, 0.85, shape),
    "gt1": lambda rng, shape: rng.uniform(1.2, 3.0, shape),
    "nonzero": lambda rng, shape: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape),
    "distinct": _distinct,
    "well": _well,
    "sym": lambda rng, shape: _symmetric(rng, shape[-1]),
    "spd": lambda rng, shape: _spd(rng, shape[-1]),
    "zeros": lambda rng, shape: np.where(rng.uniform(size=shape) < 0.3, 0.0,
                                         rng.uniform(-2.0, 2.0, shape)),
}


def sample(domain: str, shape, rng):
    """A value of `domain`: a Python float for shape "py", else an array (0-d for ())."""
    if shape == "py":
        return float(DOMAINS[domain](rng, ()))
    return np.asarray(DOMAINS[domain](rng, shape), dtype=np.float64)


# -- rows -----------------------------------------------------------------------

def split_domains(row) -> None:
    """A row's `args` map names to shapes, or to (shape, domain) pairs: keep the
    shapes there and each argument's domain in `arg_domains` (`row.domain` by
    default). Shared by Case here and tests/rule_variant_specs.py's Variant."""
    for name, spec in list(row.args.items()):
        if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], str):
            row.args[name], row.arg_domains[name] = spec
        else:
            row.arg_domains[name] = row.domain


@dataclass
class Case:
    """One call form of one primitive, checked in both modes."""

    id: str
    call: str                      # NumPy: a single call (or operator, method, index)
    twin: str                      # the same in torch
    args: dict                     # differentiated argument -> shape, or (shape, domain)
    domain: str = "real"           # default domain of the arguments
    post: str = ""                 # for tuple results: a scalar of the result `r` ...
    twin_post: str = ""            # ... and the same in torch
    rtol: float = 1e-7
    atol: float = 1e-9
    fd: bool = True                # finite differences of the reverse-mode gradient
    jvp: bool = True               # compare tangents with torch.func.jvp (else FD only)
    symmetric: bool = False        # tangent directions symmetric (cholesky, eigh)
    arg_domains: dict = field(default_factory=dict)

    def __post_init__(self):
        split_domains(self)


SHAPES = ((), (3,), (2, 3), "py")
PAIRS = (((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)),
         ("py", (3,)), ("py", "py"))


def _shape_id(shape) -> str:
    return "py" if shape == "py" else "x".join(map(str, shape)) or "0d"


def unary(name, np_fn, torch_fn, domain="real", shapes=SHAPES, **options):
    """np_fn(a) for each shape."""
    return [Case(f"{name}[{_shape_id(s)}]", f"{np_fn}(a)", f"{torch_fn}(a)", {"a": s},
                 domain=domain, **options) for s in shapes]


def binary(name, np_fn, torch_fn, domains=("real", "real"), pairs=PAIRS, **options):
    """np_fn(a, b) for each pair of shapes (broadcasting and Python numbers)."""
    return [Case(f"{name}[{_shape_id(sa)},{_shape_id(sb)}]", f"{np_fn}(a, b)",
                 f"{torch_fn}(a, b)", {"a": (sa, domains[0]), "b": (sb, domains[1])},
                 **options) for sa, sb in pairs]


def operator_case(name, expression, domains=("real", "real"), pairs=PAIRS):
    """A Python operator: the same expression in NumPy and torch."""
    return [Case(f"{name}[{_shape_id(sa)},{_shape_id(sb)}]", expression, expression,
                 {"a": (sa, domains[0]), "b": (sb, domains[1])}) for sa, sb in pairs]


# -- constants the calls use ----------------------------------------------------

_fixed = np.random.default_rng(20240611)
IDX = np.array([0, 2, 2, 1])               # a repeated index
IDX2 = np.array([[0, 1], [2, 2]])
IDXW = np.array([0, 4, -1, 2])              # out of range: wrapped or clipped
MASK3 = np.array([True, False, True])
MASK23 = np.array([[True, False, True], [False, True, True]])
TA = np.array([[0, 2, 2], [1, 0, 0]])      # take_along_axis indices with repeats
TB = np.array([[0, 1, 1], [1, 1, 0]])      # ... broadcast against an array of shape (2, 1)
N3 = np.array([1, -2, 3])                  # integer exponents of ldexp
Z23 = np.zeros((2, 3))
T5 = np.linspace(0.0, 1.0, 5)
T5F = np.linspace(0.0, 1.0, 5, endpoint=False)
STEP5 = np.arange(5.0)                     # the positions of np.arange's five values
H3 = np.array([0.0, 1.0, -1.0])            # np.heaviside's steps, one at 0
W2, W3, W4 = (_fixed.normal(size=n) for n in (2, 3, 4))
W33, W43, W34, W22 = (_fixed.normal(size=s) for s in ((3, 3), (4, 3), (3, 4), (2, 2)))
CONSTANTS = {name: value for name, value in dict(globals()).items()
             if name.isupper() and isinstance(value, np.ndarray)}


def torch_constants() -> dict:
    out = {}
    for name, value in CONSTANTS.items():
        out[name] = torch.as_tensor(value) if value.dtype.kind in "ib" else \
            torch.as_tensor(value, dtype=torch.float64)
    return out


# -- torch helpers for twins without a one-call equivalent ------------------------

def t_convolve(a, v, mode):
    n_a, n_v = a.shape[0], v.shape[0]
    full = F.conv1d(a.view(1, 1, -1), v.flip(0).view(1, 1, -1), padding=n_v - 1).view(-1)
    short, long = min(n_a, n_v), max(n_a, n_v)
    if mode == "full":
        return full
    start = (short - 1) // 2 if mode == "same" else short - 1
    length = long if mode == "same" else long - short + 1
    return full[start:start + length]


def t_correlate(a, v, mode):
    if a.shape[0] >= v.shape[0]:
        return t_convolve(a, v.flip(0), mode)
    return t_convolve(v, a.flip(0), mode).flip(0)


def t_pad_symmetric(a, width):
    return torch.cat([a[:width].flip(0), a, a[-width:].flip(0)])


TORCH_HELPERS = {"t_convolve": t_convolve, "t_correlate": t_correlate,
                 "t_pad_symmetric": t_pad_symmetric, "F": F}


# -- the table ------------------------------------------------------------------

def _elementwise():
    rows = []
    rows += unary("negative", "np.negative", "torch.neg")
    rows += unary("positive", "np.positive", "torch.positive")
    rows += unary("reciprocal", "np.reciprocal", "torch.reciprocal", "nonzero")
    rows += unary("square", "np.square", "torch.square")
    rows += unary("abs", "np.abs", "torch.abs", "nonzero")
    rows += unary("fabs", "np.fabs", "torch.abs", "nonzero")
    rows += unary("conjugate", "np.conjugate", "torch.conj")
    rows += unary("real", "np.real", "torch.real")
    # Of real inputs: the imaginary part is 0, the angle 0 or pi, the sign
    # piecewise constant (test_complex.py runs them with complex inputs).
    rows += unary("imag", "np.imag", "0.0 * ")
    rows += unary("angle", "np.angle", "torch.angle", "nonzero")
    rows += unary("sign", "np.sign", "torch.sign", "nonzero")
    rows += unary("exp", "np.exp", "torch.exp")
    rows += unary("exp2", "np.exp2", "torch.exp2")
    rows += unary("expm1", "np.expm1", "torch.expm1")
    rows += unary("log", "np.log", "torch.log", "pos")
    rows += unary("log2", "np.log2", "torch.log2", "pos")
    rows += unary("log10", "np.log10", "torch.log10", "pos")
    rows += unary("log1p", "np.log1p", "torch.log1p", "pos")
    rows += unary("sqrt", "np.sqrt", "torch.sqrt", "pos")
    rows += unary("cbrt", "np.cbrt", "(lambda t: torch.sign(t) * torch.abs(t) ** (1 / 3))",
                  "nonzero")
    rows += unary("sin", "np.sin", "torch.sin")
    rows += unary("cos", "np.cos", "torch.cos")
    rows += unary("tan", "np.tan", "torch.tan", "unit")
    rows += unary("arcsin", "np.arcsin", "torch.asin", "unit")
    rows += unary("arccos", "np.arccos", "torch.acos", "unit")
    rows += unary("arctan", "np.arctan", "torch.atan")
    rows += unary("sinh", "np.sinh", "torch.sinh")
    rows += unary("cosh", "np.cosh", "torch.cosh")
    rows += unary("tanh", "np.tanh", "torch.tanh")
    rows += unary("arcsinh", "np.arcsinh", "torch.asinh")
    rows += unary("arccosh", "np.arccosh", "torch.acosh", "gt1")
    rows += unary("arctanh", "np.arctanh", "torch.atanh", "unit")
    rows += unary("deg2rad", "np.deg2rad", "torch.deg2rad")
    rows += unary("radians", "np.radians", "torch.deg2rad")
    rows += unary("rad2deg", "np.rad2deg", "torch.rad2deg")
    rows += unary("degrees", "np.degrees", "torch.rad2deg")
    rows += unary("sinc", "np.sinc", "torch.sinc", "nonzero")
    rows += binary("add", "np.add", "torch.add")
    rows += binary("subtract", "np.subtract", "torch.sub")
    rows += binary("multiply", "np.multiply", "torch.mul")
    rows += binary("divide", "np.divide", "torch.div", ("real", "nonzero"))
    rows += binary("true_divide", "np.true_divide", "torch.true_divide", ("real", "nonzero"))
    rows += binary("power", "np.power", "torch.pow", ("pos", "real"))
    rows += binary("float_power", "np.float_power", "torch.float_power", ("pos", "real"))
    rows += binary("remainder", "np.remainder", "torch.remainder", ("real", "nonzero"))
    rows += binary("fmod", "np.fmod", "torch.fmod", ("real", "nonzero"))
    rows += binary("maximum", "np.maximum", "torch.maximum")
    rows += binary("minimum", "np.minimum", "torch.minimum")
    rows += binary("fmax", "np.fmax", "torch.fmax")
    rows += binary("fmin", "np.fmin", "torch.fmin")
    rows += binary("logaddexp", "np.logaddexp", "torch.logaddexp")
    rows += binary("logaddexp2", "np.logaddexp2", "torch.logaddexp2")
    rows += binary("arctan2", "np.arctan2", "torch.atan2", ("real", "nonzero"))
    rows += binary("hypot", "np.hypot", "torch.hypot", ("nonzero", "nonzero"))
    rows += [Case(f"copysign[{_shape_id(s)}]", "np.copysign(a, W3)", "torch.copysign(a, W3)",
                  {"a": s}, domain="nonzero") for s in ((3,), (2, 3))]
    rows += [Case("ldexp", "np.ldexp(a, N3)", "a * 2.0 ** N3", {"a": (2, 3)})]
    rows += [
        Case("where[3,3]", "np.where(MASK3, a, b)", "torch.where(MASK3, a, b)",
             {"a": (3,), "b": (3,)}),
        Case("where[2x3,0d]", "np.where(MASK23, a, b)", "torch.where(MASK23, a, b)",
             {"a": (2, 3), "b": ()}),
        Case("clip-constants", "np.clip(a, -0.5, 0.7)", "torch.clamp(a, -0.5, 0.7)",
             {"a": (2, 3)}),
        Case("clip-number", "np.clip(a, -0.5, None)", "torch.clamp(a, min=-0.5)",
             {"a": "py"}),
        Case("clip-arrays", "np.clip(a, b, c)", "torch.clamp(a, b, c)",
             {"a": (2, 3), "b": ((3,), "low"), "c": ((2, 3), "high")}),
        Case("clip-min-keyword", "np.clip(a, min=b)", "torch.clamp(a, min=b)",
             {"a": (2, 3), "b": ()}),
        Case("clip-max-keyword", "np.clip(a, max=b)", "torch.clamp(a, max=b)",
             {"a": (2, 3), "b": ()}),
        Case("clip-method", "a.clip(-0.5, None)", "torch.clamp(a, min=-0.5)", {"a": (4,)}),
    ]
    return rows


DOMAINS["low"] = lambda rng, shape: rng.uniform(-1.5, -0.5, shape)
DOMAINS["high"] = lambda rng, shape: rng.uniform(0.5, 1.5, shape)


def _python():
    rows = []
    rows += operator_case("op-add", "a + b")
    rows += operator_case("op-sub", "a - b")
    rows += operator_case("op-mul", "a * b")
    rows += operator_case("op-truediv", "a / b", ("real", "nonzero"))
    rows += operator_case("op-pow", "a ** b", ("pos", "real"))
    rows += operator_case("op-mod", "a % b", ("real", "nonzero"))
    rows += [Case(f"op-neg[{_shape_id(s)}]", "-a", "-a", {"a": s}) for s in SHAPES]
    rows += [Case(f"op-pos[{_shape_id(s)}]", "+a", "+a", {"a": s}) for s in SHAPES]
    rows += unary("builtin-abs", "abs", "torch.abs", "nonzero")
    rows += [Case("builtin-float", "float(a)", "a * 1.0", {"a": "py"}),
             Case("builtin-pow", "pow(a, b)", "torch.pow(a, b)", {"a": ("py", "pos"),
                                                                    "b": "py"}),
             Case("builtin-max", "max(a, b)", "torch.maximum(a, b)", {"a": "py", "b": "py"}),
             Case("builtin-min", "min(a, b)", "torch.minimum(a, b)", {"a": "py", "b": "py"}),
             Case("builtin-sum-list", "sum([a, b, a])", "a + b + a", {"a": (3,), "b": (3,)}),
             Case("builtin-sum-broadcast", "sum([a, b], 2.0)", "a + b + 2.0",
                  {"a": (2, 3), "b": (3,)}),
             Case("builtin-sum-rows", "sum(a)", "torch.sum(a, 0)", {"a": (4, 3)}),
             Case("builtin-sum-rows-start", "sum(a, b)", "torch.sum(a, 0) + b",
                  {"a": (4, 3), "b": (3,)})]
    rows += [
        Case("matmul-op[2x3,3x4]", "a @ b", "a @ b", {"a": (2, 3), "b": (3, 4)}),
        Case("matmul-op[3,3x4]", "a @ b", "a @ b", {"a": (3,), "b": (3, 4)}),
        Case("matmul-op[2x2x3,3]", "a @ b", "a @ b", {"a": (2, 2, 3), "b": (3,)}),
    ]
    reads = [("int", "a[1]"), ("negative", "a[-1]"), ("slice", "a[1:3]"),
             ("step", "a[::2]"), ("row-col", "a[1, 2]"), ("slice-step-2d", "a[:, 1::2]"),
             ("ellipsis", "a[..., 1]"), ("none", "a[None, 1:]"), ("none-mid", "a[:, None]"),
             ("int-array", "a[IDX2]"), ("int-array-col", "a[:, IDX]"),
             ("int-array-pair", "a[IDX2, IDX2]"), ("bool-row", "a[MASK3]"),
             ("data-mask", "a[a > 0]")]
    rows += [Case(f"getitem-{name}", expression, expression, {"a": (3, 4)})
             for name, expression in reads]
    rows += [Case("getitem-bool-2d", "a[MASK23]", "a[MASK23]", {"a": (2, 3)})]
    rows += [Case("getitem-negative-step", "a[::-1, 1]", "torch.flip(a, (0,))[:, 1]",
                  {"a": (3, 4)})]
    return rows


def _math():
    functions = [("sin", "sin", "real"), ("cos", "cos", "real"), ("tan", "tan", "unit"),
                 ("exp", "exp", "real"), ("expm1", "expm1", "real"), ("log", "log", "pos"),
                 ("log1p", "log1p", "pos"), ("sqrt", "sqrt", "pos"), ("tanh", "tanh", "real"),
                 ("sinh", "sinh", "real"), ("cosh", "cosh", "real"), ("asin", "asin", "unit"),
                 ("acos", "acos", "unit"), ("atan", "atan", "real"), ("fabs", "abs", "nonzero"),
                 ("log2", "log2", "pos"), ("log10", "log10", "pos"),
                 ("asinh", "asinh", "real"), ("acosh", "acosh", "gt1"),
                 ("atanh", "atanh", "unit"), ("degrees", "rad2deg", "real"),
                 ("radians", "deg2rad", "real"), ("erf", "erf", "real"),
                 ("erfc", "erfc", "real")]
    rows = [Case(f"math-{name}", f"math.{name}(a)", f"torch.{twin}(a)", {"a": "py"},
                 domain=domain) for name, twin, domain in functions]
    rows += [Case("math-pow", "math.pow(a, b)", "torch.pow(a, b)",
                  {"a": ("py", "pos"), "b": "py"}),
             Case("math-log-base", "math.log(a, b)", "torch.log(a) / torch.log(b)",
                  {"a": ("py", "pos"), "b": ("py", "gt1")}),
             Case("math-atan2", "math.atan2(a, b)", "torch.atan2(a, b)",
                  {"a": "py", "b": ("py", "nonzero")}),
             Case("math-hypot", "math.hypot(a, b)", "torch.hypot(a, b)",
                  {"a": ("py", "nonzero"), "b": ("py", "nonzero")}),
             Case("math-fsum", "math.fsum(a)", "torch.sum(a)", {"a": (5,)}),
             Case("math-dist", "math.dist(a, b)", "torch.dist(a, b)", {"a": (3,), "b": (3,)}),
             Case("math-fmod", "math.fmod(a, b)", "torch.fmod(a, b)",
                  {"a": "py", "b": ("py", "nonzero")}),
             Case("math-remainder", "math.remainder(a, b)",
                  "a - torch.round(a / b) * b", {"a": "py", "b": ("py", "nonzero")}),
             Case("math-copysign", "math.copysign(a, b)", "torch.copysign(a, b)",
                  {"a": ("py", "nonzero"), "b": ("py", "nonzero")})]
    return rows


def _reductions():
    a3 = {"a": (2, 3, 4)}
    rows = []
    for np_name, torch_name in (("sum", "sum"), ("mean", "mean"), ("nansum", "nansum"),
                                ("nanmean", "nanmean")):
        rows += [
            Case(f"{np_name}-all", f"np.{np_name}(a)", f"torch.{torch_name}(a)", a3),
            Case(f"{np_name}-axis", f"np.{np_name}(a, axis=1)",
                 f"torch.{torch_name}(a, dim=1)", a3),
            Case(f"{np_name}-negative-axis", f"np.{np_name}(a, -1)",
                 f"torch.{torch_name}(a, dim=-1)", a3),
            Case(f"{np_name}-tuple-keepdims", f"np.{np_name}(a, axis=(0, -1), keepdims=True)",
                 f"torch.{torch_name}(a, dim=(0, -1), keepdim=True)", a3),
            Case(f"{np_name}-0d", f"np.{np_name}(a)", f"torch.{torch_name}(a)", {"a": ()}),
        ]
    rows += [Case("sum-method", "a.sum(axis=0)", "a.sum(dim=0)", a3),
             Case("mean-method", "a.mean(1, keepdims=True)", "a.mean(1, keepdim=True)", a3)]
    rows += [
        Case("prod-all", "np.prod(a)", "torch.prod(a)", {"a": (2, 3)}),
        Case("prod-axis", "np.prod(a, axis=1)", "torch.prod(a, dim=1)", a3),
        Case("prod-tuple", "np.prod(a, axis=(0, 2), keepdims=True)",
             "torch.prod(torch.prod(a, dim=2, keepdim=True), dim=0, keepdim=True)", a3),
        Case("prod-zeros", "np.prod(a, axis=0)", "torch.prod(a, dim=0)", {"a": (4, 3)},
             domain="zeros"),
        Case("prod-method", "a.prod(-1)", "a.prod(-1)", a3),
    ]
    for np_name, torch_name in (("max", "amax"), ("amax", "amax"), ("min", "amin"),
                                ("amin", "amin")):
        full = "max" if "max" in np_name else "min"
        rows += [
            Case(f"{np_name}-all", f"np.{np_name}(a)", f"torch.{full}(a)", a3,
                 domain="distinct"),
            Case(f"{np_name}-axis", f"np.{np_name}(a, axis=1)", f"torch.{torch_name}(a, dim=1)",
                 a3, domain="distinct"),
            Case(f"{np_name}-tuple-keepdims", f"np.{np_name}(a, axis=(0, 2), keepdims=True)",
                 f"torch.{torch_name}(a, dim=(0, 2), keepdim=True)", a3, domain="distinct"),
        ]
    rows += [Case("max-0d", "np.max(a)", "torch.max(a)", {"a": ()}),
             Case("prod-0d", "np.prod(a)", "torch.prod(a)", {"a": ()}),
             Case("var-0d", "np.var(a)", "torch.var(a, correction=0)", {"a": ()}),
             Case("max-number", "np.max(a)", "torch.max(a)", {"a": "py"})]
    rows += [Case("max-method", "a.max(axis=-1)", "torch.amax(a, dim=-1)", a3,
                  domain="distinct"),
             Case("min-method", "a.min()", "torch.min(a)", a3, domain="distinct"),
             Case("ptp", "np.ptp(a, axis=1)", "torch.amax(a, 1) - torch.amin(a, 1)", a3,
                  domain="distinct")]
    for np_name in ("var", "std"):
        rows += [
            Case(f"{np_name}-all", f"np.{np_name}(a)", f"torch.{np_name}(a, correction=0)", a3),
            Case(f"{np_name}-axis-ddof", f"np.{np_name}(a, axis=1, ddof=1)",
                 f"torch.{np_name}(a, dim=1, correction=1)", a3),
            Case(f"{np_name}-tuple-keepdims", f"np.{np_name}(a, axis=(0, -1), keepdims=True)",
                 f"torch.{np_name}(a, dim=(0, -1), correction=0, keepdim=True)", a3),
            Case(f"{np_name}-method", f"a.{np_name}(0)", f"torch.{np_name}(a, 0, correction=0)",
                 a3),
        ]
    rows += [
        Case("cumsum-flat", "np.cumsum(a)", "torch.cumsum(a.flatten(), 0)", {"a": (2, 3)}),
        Case("cumsum-axis", "np.cumsum(a, axis=1)", "torch.cumsum(a, 1)", a3),
        Case("cumsum-method", "a.cumsum(-1)", "torch.cumsum(a, -1)", a3),
        Case("cumprod-flat", "np.cumprod(a)", "torch.cumprod(a.flatten(), 0)", {"a": (2, 3)},
             domain="nonzero"),
        Case("cumprod-axis", "np.cumprod(a, axis=0)", "torch.cumprod(a, 0)", {"a": (4, 3)},
             domain="nonzero"),
        Case("cumprod-zeros", "np.cumprod(a, axis=1)", "torch.cumprod(a, 1)", {"a": (3, 5)},
             domain="zeros"),
        Case("cumprod-method", "a.cumprod(1)", "torch.cumprod(a, 1)", {"a": (2, 3)}),
        Case("float64-of-an-array", "np.float64(a)", "a", {"a": (2, 3)}),
        Case("maximum-accumulate", "np.maximum.accumulate(a)", "torch.cummax(a, 0).values",
             {"a": (5, 3)}),
        Case("maximum-accumulate-axis", "np.maximum.accumulate(a, axis=-1)",
             "torch.cummax(a, -1).values", a3),
        Case("minimum-accumulate-axis", "np.minimum.accumulate(a, axis=1)",
             "torch.cummin(a, 1).values", a3),
        Case("trace", "np.trace(a)", "torch.trace(a)", {"a": (3, 4)}),
        Case("trace-offset", "np.trace(a, 1)", "torch.diagonal(a, 1).sum()", {"a": (3, 4)}),
        Case("trace-3d", "np.trace(a, -1, 0, 2)", "torch.diagonal(a, -1, 0, 2).sum(-1)", a3),
        Case("trace-method", "a.trace()", "torch.trace(a)", {"a": (3, 3)}),
        Case("linalg-trace", "np.linalg.trace(a)", "torch.diagonal(a, 0, -2, -1).sum(-1)", a3),
        Case("linalg-trace-offset", "np.linalg.trace(a, offset=1)",
             "torch.diagonal(a, 1, -2, -1).sum(-1)", a3),
        Case("average-plain", "np.average(a, axis=1)", "torch.mean(a, 1)", a3),
        Case("average-weights-1d", "np.average(a, axis=1, weights=b)",
             "torch.sum(a * b[:, None], 1) / torch.sum(b)",
             {"a": (2, 3, 4), "b": ((3,), "pos")}),
        Case("average-weights-full", "np.average(a, weights=b)",
             "torch.sum(a * b) / torch.sum(b)", {"a": (2, 3), "b": ((2, 3), "pos")}),
        Case("average-keepdims", "np.average(a, axis=0, weights=b, keepdims=True)",
             "torch.sum(a * b, 0, keepdim=True) / torch.sum(b, 0, keepdim=True)",
             {"a": (2, 3), "b": ((2, 3), "pos")}),
        # weights with a's lengths along the axes, in the axes' order
        Case("average-weights-axes", "np.average(a, axis=(2, 0), weights=b)",
             "torch.sum(a * b.T[:, None, :], (2, 0)) / torch.sum(b)",
             {"a": (2, 3, 4), "b": ((4, 2), "pos")}),
        Case("meshgrid-xy", "np.meshgrid(a, b)", "torch.meshgrid(a, b, indexing='xy')",
             {"a": (4,), "b": (3,)}, post="np.sum(r[0] * W34) + np.sum(r[1] ** 2 * W34)",
             twin_post="torch.sum(r[0] * W34) + torch.sum(r[1] ** 2 * W34)"),
        Case("meshgrid-ij", "np.meshgrid(a, b, indexing='ij')",
             "torch.meshgrid(a, b, indexing='ij')",
             {"a": (3,), "b": (4,)}, post="np.sum(r[0] * W34) + np.sum(r[1] ** 2 * W34)",
             twin_post="torch.sum(r[0] * W34) + torch.sum(r[1] ** 2 * W34)"),
    ]
    return rows


def _products():
    rows = [
        Case("dot[3,3]", "np.dot(a, b)", "torch.dot(a, b)", {"a": (3,), "b": (3,)}),
        Case("dot[2x3,3]", "np.dot(a, b)", "a @ b", {"a": (2, 3), "b": (3,)}),
        Case("dot[2x3,3x4]", "np.dot(a, b)", "a @ b", {"a": (2, 3), "b": (3, 4)}),
        Case("dot[0d,3]", "np.dot(a, b)", "a * b", {"a": (), "b": (3,)}),
        Case("dot-method", "a.dot(b)", "a @ b", {"a": (2, 3), "b": (3,)}),
        Case("matmul[2x3,3x4]", "np.matmul(a, b)", "a @ b", {"a": (2, 3), "b": (3, 4)}),
        Case("matmul-batched", "np.matmul(a, b)", "a @ b", {"a": (2, 2, 3), "b": (3, 4)}),
        Case("matmul[3,3x4]", "np.matmul(a, b)", "a @ b", {"a": (3,), "b": (3, 4)}),
        Case("linalg-matmul", "np.linalg.matmul(a, b)", "a @ b", {"a": (2, 3), "b": (3, 4)}),
        Case("vdot", "np.vdot(a, b)", "torch.sum(a.flatten() * b.flatten())",
             {"a": (2, 3), "b": (3, 2)}),
        Case("inner[3,3]", "np.inner(a, b)", "torch.inner(a, b)", {"a": (3,), "b": (3,)}),
        Case("inner[2x3,4x3]", "np.inner(a, b)", "torch.inner(a, b)",
             {"a": (2, 3), "b": (4, 3)}),
        Case("inner[0d,2x3]", "np.inner(a, b)", "a * b", {"a": (), "b": (2, 3)}),
        Case("outer", "np.outer(a, b)", "torch.outer(a.flatten(), b.flatten())",
             {"a": (2, 3), "b": (4,)}),
        Case("linalg-outer", "np.linalg.outer(a, b)", "torch.outer(a, b)",
             {"a": (3,), "b": (4,)}),
        Case("vecdot", "np.vecdot(a, b)", "torch.linalg.vecdot(a, b)", {"a": (2, 3), "b": (3,)}),
        Case("linalg-vecdot", "np.linalg.vecdot(a, b, axis=0)",
             "torch.linalg.vecdot(a, b, dim=0)", {"a": (3, 2), "b": (3, 2)}),
        Case("tensordot-1", "np.tensordot(a, b, 1)", "torch.tensordot(a, b, 1)",
             {"a": (2, 3), "b": (3, 4)}),
        Case("tensordot-2", "np.tensordot(a, b)", "torch.tensordot(a, b, 2)",
             {"a": (2, 3, 4), "b": (3, 4, 2)}),
        Case("tensordot-pairs", "np.tensordot(a, b, axes=([2, 0], [0, 2]))",
             "torch.tensordot(a, b, dims=([2, 0], [0, 2]))", {"a": (2, 3, 4), "b": (4, 5, 2)}),
        Case("tensordot-0", "np.tensordot(a, b, 0)", "torch.tensordot(a, b, 0)",
             {"a": (2,), "b": (3, 2)}),
        Case("tensordot-ints", "np.tensordot(a, b, axes=(1, 0))",
             "torch.tensordot(a, b, dims=([1], [0]))", {"a": (2, 3), "b": (3, 2)}),
        Case("kron[2x3,2x2]", "np.kron(a, b)", "torch.kron(a, b)", {"a": (2, 3), "b": (2, 2)}),
        Case("kron[3,2]", "np.kron(a, b)", "torch.kron(a, b)", {"a": (3,), "b": (2,)}),
        Case("kron[2x3,2]", "np.kron(a, b)", "torch.kron(a, b)", {"a": (2, 3), "b": (2,)}),
        Case("cross[3,3]", "np.cross(a, b)", "torch.linalg.cross(a, b)", {"a": (3,), "b": (3,)}),
        Case("cross[2x3,3]", "np.cross(a, b)", "torch.linalg.cross(a, b.expand(2, 3))",
             {"a": (2, 3), "b": (3,)}),
        Case("linalg-cross", "np.linalg.cross(a, b)", "torch.linalg.cross(a, b)",
             {"a": (2, 3), "b": (2, 3)}),
        Case("multi_dot", "np.linalg.multi_dot([a, b, c])", "torch.linalg.multi_dot([a, b, c])",
             {"a": (2, 3), "b": (3, 4), "c": (4, 2)}),
        Case("multi_dot-vectors", "np.linalg.multi_dot([a, b, c])",
             "torch.linalg.multi_dot([a, b, c])", {"a": (3,), "b": (3, 4), "c": (4,)}),
    ]
    for mode in ("full", "same", "valid"):
        rows += [Case(f"convolve-{mode}", f"np.convolve(a, b, '{mode}')",
                      f"t_convolve(a, b, '{mode}')", {"a": (5,), "b": (3,)}),
                 Case(f"convolve-{mode}-short-first", f"np.convolve(a, b, mode='{mode}')",
                      f"t_convolve(a, b, '{mode}')", {"a": (2,), "b": (5,)}),
                 Case(f"correlate-{mode}", f"np.correlate(a, b, '{mode}')",
                      f"t_correlate(a, b, '{mode}')", {"a": (5,), "b": (3,)}),
                 Case(f"correlate-{mode}-short-first", f"np.correlate(a, b, '{mode}')",
                      f"t_correlate(a, b, '{mode}')", {"a": (3,), "b": (5,)})]
    einsums = [
        ("matmul", "ij,jk->ik", {"a": (2, 3), "b": (3, 4)}),
        ("implicit", "ij,jk", {"a": (2, 3), "b": (3, 4)}),
        ("diagonal", "ii->i", {"a": (3, 3)}),
        ("trace", "ii", {"a": (3, 3)}),
        ("sum", "ij->", {"a": (2, 3)}),
        ("row-sum", "ij->i", {"a": (2, 3)}),
        ("transpose", "ij->ji", {"a": (2, 3)}),
        ("rowwise-dot", "ij,ij->i", {"a": (2, 3), "b": (2, 3)}),
        ("outer", "i,j->ij", {"a": (2,), "b": (3,)}),
        ("batched", "bij,bjk->bik", {"a": (2, 2, 3), "b": (2, 3, 2)}),
        ("ellipsis", "...ij,...jk->...ik", {"a": (2, 2, 3), "b": (3, 2)}),
        ("ellipsis-implicit", "...ij,jk", {"a": (2, 2, 3), "b": (3, 2)}),
        ("repeated-in-two", "ii,i->i", {"a": (3, 3), "b": (3,)}),
        ("three-operands", "ij,jk,kl->il", {"a": (2, 3), "b": (3, 4), "c": (4, 2)}),
        ("spaces", "i j , j -> i", {"a": (2, 3), "b": (3,)}),
        ("mixed-case", "iJ,Jk->ki", {"a": (2, 3), "b": (3, 4)}),
        ("broadcast-size-1", "ij,ij->ij", {"a": (1, 3), "b": (2, 3)}),
        ("ellipsis-broadcast", "...i,...i->...", {"a": (2, 1, 3), "b": (4, 3)}),
        ("triple-repeat", "iii->i", {"a": (2, 2, 2)}),
        ("same-operand-letters", "ij,ji->", {"a": (2, 3), "b": (3, 2)}),
    ]
    for name, subscripts, args in einsums:
        operands = ", ".join(args)
        rows.append(Case(f"einsum-{name}", f"np.einsum('{subscripts}', {operands})",
                         f"torch.einsum('{subscripts}', {operands})", dict(args)))
    return rows


def _norms():
    rows = []
    vector_ords = ("None", "1", "2", "np.inf", "-np.inf", "3", "0.5", "-1", "0")
    for ord_ in vector_ords:
        torch_ord = ord_.replace("np.inf", "float('inf')").replace("None", "2")
        rows.append(Case(f"norm-vector-ord={ord_}", f"np.linalg.norm(a, {ord_})",
                         f"torch.linalg.vector_norm(a, {torch_ord})", {"a": (4,)},
                         domain="distinct"))
    rows += [
        Case("norm-flat", "np.linalg.norm(a)", "torch.linalg.vector_norm(a)", {"a": (2, 3, 2)}),
        Case("norm-axis", "np.linalg.norm(a, axis=1)", "torch.linalg.vector_norm(a, dim=1)",
             {"a": (2, 3, 2)}),
        Case("norm-axis-ord1-keepdims", "np.linalg.norm(a, 1, -1, True)",
             "torch.linalg.vector_norm(a, 1, dim=-1, keepdim=True)", {"a": (2, 3)},
             domain="nonzero"),
        Case("norm-axis-inf", "np.linalg.norm(a, np.inf, axis=0)",
             "torch.linalg.vector_norm(a, float('inf'), dim=0)", {"a": (4, 3)},
             domain="distinct"),
    ]
    for ord_ in ("'fro'", "'nuc'", "2", "-2", "1", "-1", "np.inf", "-np.inf"):
        torch_ord = ord_.replace("np.inf", "float('inf')")
        rows.append(Case(f"norm-matrix-ord={ord_}", f"np.linalg.norm(a, {ord_})",
                         f"torch.linalg.matrix_norm(a, {torch_ord})", {"a": (4, 3)},
                         domain="distinct"))
    rows += [
        Case("norm-matrix-axes", "np.linalg.norm(a, 'fro', axis=(0, 2))",
             "torch.linalg.matrix_norm(a, 'fro', dim=(0, 2))", {"a": (3, 2, 4)}),
        Case("norm-matrix-axes-ord1-keepdims", "np.linalg.norm(a, 1, (2, 0), True)",
             "torch.linalg.matrix_norm(a, 1, dim=(2, 0), keepdim=True)", {"a": (3, 2, 4)},
             domain="distinct"),
        Case("norm-matrix-nuc-batched", "np.linalg.norm(a, 'nuc', (1, 2))",
             "torch.linalg.matrix_norm(a, 'nuc')", {"a": (2, 3, 4)}),
        Case("vector_norm", "np.linalg.vector_norm(a)", "torch.linalg.vector_norm(a)",
             {"a": (2, 3)}),
        Case("vector_norm-axis-ord", "np.linalg.vector_norm(a, axis=(0, 2), ord=3)",
             "torch.linalg.vector_norm(a, 3, dim=(0, 2))", {"a": (2, 3, 2)}),
        Case("vector_norm-inf-keepdims", "np.linalg.vector_norm(a, axis=1, keepdims=True, "
             "ord=np.inf)", "torch.linalg.vector_norm(a, float('inf'), dim=1, keepdim=True)",
             {"a": (2, 3)}, domain="distinct"),
        Case("matrix_norm", "np.linalg.matrix_norm(a)", "torch.linalg.matrix_norm(a)",
             {"a": (2, 3, 3)}),
        Case("matrix_norm-ord", "np.linalg.matrix_norm(a, ord=2, keepdims=True)",
             "torch.linalg.matrix_norm(a, 2, keepdim=True)", {"a": (3, 4)}),
    ]
    return rows


def _linalg():
    rows = [
        Case("inv", "np.linalg.inv(a)", "torch.linalg.inv(a)", {"a": (3, 3)}, domain="well"),
        Case("inv-batched", "np.linalg.inv(a)", "torch.linalg.inv(a)", {"a": (2, 3, 3)},
             domain="well"),
        Case("det", "np.linalg.det(a)", "torch.linalg.det(a)", {"a": (3, 3)}, domain="well"),
        Case("det-batched", "np.linalg.det(a)", "torch.linalg.det(a)", {"a": (2, 3, 3)},
             domain="well"),
        Case("slogdet", "np.linalg.slogdet(a)", "torch.linalg.slogdet(a)", {"a": (3, 3)},
             domain="well", post="r[1] * 1.5", twin_post="r[1] * 1.5"),
        Case("slogdet-batched", "np.linalg.slogdet(a)", "torch.linalg.slogdet(a)",
             {"a": (2, 3, 3)}, domain="well", post="np.sum(r[1] * W2)",
             twin_post="torch.sum(r[1] * W2)"),
        Case("solve-vector", "np.linalg.solve(a, b)", "torch.linalg.solve(a, b)",
             {"a": ((3, 3), "well"), "b": (3,)}),
        Case("solve-matrix", "np.linalg.solve(a, b)", "torch.linalg.solve(a, b)",
             {"a": ((3, 3), "well"), "b": (3, 2)}),
        Case("solve-batched", "np.linalg.solve(a, b)", "torch.linalg.solve(a, b)",
             {"a": ((2, 3, 3), "well"), "b": (2, 3, 2)}),
        Case("matrix_power-3", "np.linalg.matrix_power(a, 3)",
             "torch.linalg.matrix_power(a, 3)", {"a": (3, 3)}),
        Case("matrix_power-0", "np.linalg.matrix_power(a, 0)",
             "torch.linalg.matrix_power(a, 0)", {"a": (3, 3)}),
        Case("matrix_power-negative", "np.linalg.matrix_power(a, -2)",
             "torch.linalg.matrix_power(a, -2)", {"a": (3, 3)}, domain="well"),
        Case("pinv-tall", "np.linalg.pinv(a)", "torch.linalg.pinv(a)", {"a": (4, 3)},
             rtol=1e-6),
        Case("pinv-wide", "np.linalg.pinv(a)", "torch.linalg.pinv(a)", {"a": (2, 3)},
             rtol=1e-6),
        Case("cholesky", "np.linalg.cholesky(a)", "torch.linalg.cholesky(a)", {"a": (3, 3)},
             domain="spd", fd=False, symmetric=True),
        Case("cholesky-batched", "np.linalg.cholesky(a)", "torch.linalg.cholesky(a)",
             {"a": (2, 3, 3)}, domain="spd", fd=False, symmetric=True),
        Case("qr-tall", "np.linalg.qr(a)", "torch.linalg.qr(a)", {"a": (4, 3)},
             post="np.sum(r[0] * W43) + np.sum(r[1] * W33)",
             twin_post="torch.sum(r[0] * W43) + torch.sum(r[1] * W33)"),
        Case("qr-square-R-only", "np.linalg.qr(a)", "torch.linalg.qr(a)", {"a": (3, 3)},
             post="np.sum(r[1] * W33)", twin_post="torch.sum(r[1] * W33)"),
        Case("qr-mode-r", "np.linalg.qr(a, mode='r')", "torch.linalg.qr(a)[1]",
             {"a": (4, 3)}),
        Case("eigh", "np.linalg.eigh(a)", "torch.linalg.eigh(a)", {"a": (3, 3)}, domain="sym",
             post="np.sum(r[0] * W3) + np.sum(r[1] ** 2 * W33)",
             twin_post="torch.sum(r[0] * W3) + torch.sum(r[1] ** 2 * W33)",
             fd=False, jvp=False, symmetric=True),
        Case("eigh-values-only", "np.linalg.eigh(a)", "torch.linalg.eigh(a)", {"a": (3, 3)},
             domain="sym", post="np.sum(r[0] * W3)", twin_post="torch.sum(r[0] * W3)",
             fd=False, jvp=False, symmetric=True),
        Case("eigvalsh", "np.linalg.eigvalsh(a)", "torch.linalg.eigvalsh(a)", {"a": (3, 3)},
             domain="sym", fd=False, symmetric=True),
        Case("svd-tall", "np.linalg.svd(a, full_matrices=False)",
             "torch.linalg.svd(a, full_matrices=False)", {"a": (4, 3)},
             post="np.sum(r[1] * W3) + np.sum((r[0] * W3) @ r[2]) + np.sum(r[0] ** 2 * W43) "
                  "+ np.sum(r[2] ** 2 * W33)",
             twin_post="torch.sum(r[1] * W3) + torch.sum((r[0] * W3) @ r[2]) + "
                       "torch.sum(r[0] ** 2 * W43) + torch.sum(r[2] ** 2 * W33)",
             jvp=False, rtol=1e-6),
        Case("svd-wide", "np.linalg.svd(a, full_matrices=False)",
             "torch.linalg.svd(a, full_matrices=False)", {"a": (3, 4)},
             post="np.sum(r[1] * W3) + np.sum((r[0] * W3) @ r[2]) + np.sum(r[2] ** 2 * W34)",
             twin_post="torch.sum(r[1] * W3) + torch.sum((r[0] * W3) @ r[2]) + "
                       "torch.sum(r[2] ** 2 * W34)", jvp=False, rtol=1e-6),
        Case("svd-square", "np.linalg.svd(a)", "torch.linalg.svd(a)", {"a": (3, 3)},
             post="np.sum(r[1] * W3) + np.sum((r[0] * W3) @ r[2])",
             twin_post="torch.sum(r[1] * W3) + torch.sum((r[0] * W3) @ r[2])", jvp=False,
             rtol=1e-6),
        Case("svd-values", "np.linalg.svd(a, compute_uv=False)", "torch.linalg.svdvals(a)",
             {"a": (4, 3)}),
        Case("svdvals", "np.linalg.svdvals(a)", "torch.linalg.svdvals(a)", {"a": (2, 3, 4)}),
    ]
    return rows


def _shapes():
    a34 = {"a": (3, 4)}
    a234 = {"a": (2, 3, 4)}
    rows = [
        Case("reshape", "np.reshape(a, (4, 3))", "torch.reshape(a, (4, 3))", a34),
        Case("reshape-order-F", "np.reshape(a, (4, 3), order='F')", "a.T.reshape(3, 4).T", a34),
        Case("reshape-method-varargs", "a.reshape(2, -1)", "a.reshape(2, -1)", a34),
        Case("ravel", "np.ravel(a)", "torch.ravel(a)", a234),
        Case("ravel-F", "np.ravel(a, 'F')", "a.T.ravel()", a34),
        Case("flatten-method", "a.flatten()", "a.flatten()", a34),
        Case("ravel-method", "a.ravel()", "a.ravel()", a34),
        Case("transpose", "np.transpose(a)", "a.permute(2, 1, 0)", a234),
        Case("transpose-axes", "np.transpose(a, (1, 2, 0))", "a.permute(1, 2, 0)", a234),
        Case("transpose-method", "a.transpose(2, 0, 1)", "a.permute(2, 0, 1)", a234),
        Case("T-attribute", "a.T", "a.T", a34),
        Case("permute_dims", "np.permute_dims(a, (1, 0, 2))", "a.permute(1, 0, 2)", a234),
        Case("matrix_transpose", "np.matrix_transpose(a)", "a.mT", a234),
        Case("linalg-matrix_transpose", "np.linalg.matrix_transpose(a)", "a.mT", a234),
        Case("mT-attribute", "a.mT", "a.mT", a234),
        Case("real-attribute", "a.real", "a", a34),
        Case("real_if_close", "np.real_if_close(a)", "a", a34),
        Case("swapaxes", "np.swapaxes(a, 0, 2)", "torch.swapaxes(a, 0, 2)", a234),
        Case("swapaxes-method", "a.swapaxes(-1, 0)", "torch.swapaxes(a, -1, 0)", a234),
        Case("moveaxis", "np.moveaxis(a, 0, -1)", "torch.moveaxis(a, 0, -1)", a234),
        Case("moveaxis-tuple", "np.moveaxis(a, (0, 1), (2, 0))",
             "torch.moveaxis(a, (0, 1), (2, 0))", a234),
        Case("squeeze", "np.squeeze(a)", "torch.squeeze(a)", {"a": (3, 1, 4, 1)}),
        Case("squeeze-axis", "np.squeeze(a, axis=1)", "torch.squeeze(a, 1)", {"a": (3, 1, 4)}),
        Case("squeeze-method", "a.squeeze()", "a.squeeze()", {"a": (1, 3)}),
        Case("expand_dims", "np.expand_dims(a, 1)", "torch.unsqueeze(a, 1)", a34),
        Case("expand_dims-tuple", "np.expand_dims(a, (0, 2))", "a.reshape(1, 3, 1, 4)", a34),
        Case("broadcast_to", "np.broadcast_to(a, (2, 3))", "torch.broadcast_to(a, (2, 3))",
             {"a": (3,)}),
        Case("broadcast_to-ones", "np.broadcast_to(a, (4, 2, 3))",
             "torch.broadcast_to(a, (4, 2, 3))", {"a": (1, 3)}),
        Case("broadcast_to-scalar", "np.broadcast_to(a, (2, 2))",
             "torch.broadcast_to(a, (2, 2))", {"a": "py"}),
        Case("atleast_1d", "np.atleast_1d(a)", "torch.atleast_1d(a)", {"a": ()}),
        Case("atleast_2d", "np.atleast_2d(a)", "torch.atleast_2d(a)", {"a": (3,)}),
        Case("atleast_3d", "np.atleast_3d(a)", "torch.atleast_3d(a)", a34),
        Case("flip", "np.flip(a)", "torch.flip(a, (0, 1))", a34),
        Case("flip-axis", "np.flip(a, 1)", "torch.flip(a, (1,))", a34),
        Case("fliplr", "np.fliplr(a)", "torch.fliplr(a)", a34),
        Case("flipud", "np.flipud(a)", "torch.flipud(a)", a34),
        Case("roll-flat", "np.roll(a, 5)", "torch.roll(a, 5)", a34),
        Case("roll-axis", "np.roll(a, -1, axis=1)", "torch.roll(a, -1, 1)", a34),
        Case("roll-tuple", "np.roll(a, (1, 2), (0, 1))", "torch.roll(a, (1, 2), (0, 1))", a34),
        Case("rot90", "np.rot90(a)", "torch.rot90(a)", a34),
        Case("rot90-k-axes", "np.rot90(a, 3, (2, 0))", "torch.rot90(a, 3, (2, 0))", a234),
        Case("triu", "np.triu(a)", "torch.triu(a)", a34),
        Case("triu-k", "np.triu(a, -1)", "torch.triu(a, -1)", a34),
        Case("tril", "np.tril(a, 1)", "torch.tril(a, 1)", a34),
        # a vector is the row of every row of the square result
        Case("tril-vector", "np.tril(a)", "torch.tril(a.expand(a.shape[0], -1))", {"a": (4,)}),
        Case("triu-vector-k", "np.triu(a, 1)", "torch.triu(a.expand(a.shape[0], -1), 1)",
             {"a": (4,)}),
        Case("diag-vector", "np.diag(a)", "torch.diag(a)", {"a": (3,)}),
        Case("diag-vector-k", "np.diag(a, -1)", "torch.diag(a, -1)", {"a": (3,)}),
        Case("diag-matrix", "np.diag(a, 1)", "torch.diag(a, 1)", a34),
        Case("diagonal", "np.diagonal(a)", "torch.diagonal(a)", a34),
        Case("diagonal-3d", "np.diagonal(a, 1, 0, 2)", "torch.diagonal(a, 1, 0, 2)", a234),
        Case("diagonal-method", "a.diagonal(-1)", "torch.diagonal(a, -1)", a34),
        Case("linalg-diagonal", "np.linalg.diagonal(a, offset=1)",
             "torch.diagonal(a, 1, -2, -1)", a234),
        Case("diff", "np.diff(a)", "torch.diff(a)", a34),
        Case("diff-n-axis", "np.diff(a, 2, axis=0)", "torch.diff(torch.diff(a, dim=0), dim=0)",
             {"a": (4, 3)}),
        Case("tile", "np.tile(a, 2)", "torch.tile(a, (2,))", {"a": (2, 3)}),
        Case("tile-more-reps", "np.tile(a, (2, 1, 3))", "torch.tile(a, (2, 1, 3))",
             {"a": (2, 3)}),
        Case("tile-fewer-reps", "np.tile(a, (2, 2))", "torch.tile(a, (2, 2))", a234),
        Case("repeat-flat", "np.repeat(a, 2)", "torch.repeat_interleave(a.flatten(), 2)",
             {"a": (2, 3)}),
        Case("repeat-counts", "np.repeat(a, [1, 0, 2], axis=1)",
             "torch.repeat_interleave(a, torch.tensor([1, 0, 2]), dim=1)", {"a": (2, 3)}),
        Case("repeat-method", "a.repeat(3, 0)", "torch.repeat_interleave(a, 3, 0)",
             {"a": (2, 3)}),
        Case("pad", "np.pad(a, 1)", "F.pad(a, (1, 1, 1, 1))", a34),
        Case("pad-widths", "np.pad(a, ((1, 2), (0, 3)))", "F.pad(a, (0, 3, 1, 2))", a34),
        Case("pad-constant-values", "np.pad(a, 1, constant_values=b)",
             "F.pad(a, (1, 1, 1, 1)) + b * (1 - F.pad(torch.ones_like(a), (1, 1, 1, 1)))",
             {"a": (3, 4), "b": "py"}),
        Case("pad-edge", "np.pad(a, 2, mode='edge')",
             "F.pad(a[None, None], (2, 2, 2, 2), mode='replicate')[0, 0]", a34),
        Case("pad-reflect", "np.pad(a, ((1, 1), (2, 1)), mode='reflect')",
             "F.pad(a[None, None], (2, 1, 1, 1), mode='reflect')[0, 0]", a34),
        Case("pad-wrap", "np.pad(a, 2, 'wrap')",
             "F.pad(a[None, None], (2, 2, 2, 2), mode='circular')[0, 0]", a34),
        Case("pad-symmetric", "np.pad(a, 2, mode='symmetric')", "t_pad_symmetric(a, 2)",
             {"a": (5,)}),
    ]
    return rows


def _construction():
    rows = [
        Case("array-scalars", "np.array([a, b])", "torch.stack([a, b])",
             {"a": "py", "b": "py"}),
        Case("array-0d", "np.array([a, b, a])", "torch.stack([a, b, a])", {"a": (), "b": ()}),
        Case("array-nested", "np.array([[a, b], [b, 2.0]])",
             "torch.stack([torch.stack([a, b]), torch.stack([b, torch.tensor(2.0)])])",
             {"a": "py", "b": "py"}),
        Case("array-of-arrays", "np.array([a, b])", "torch.stack([a, b])",
             {"a": (3,), "b": (3,)}),
        Case("array-ndmin", "np.array(a, ndmin=3)", "a.reshape(1, 1, 3)", {"a": (3,)}),
        Case("array-of-array", "np.array(a)", "a", {"a": (2, 3)}),
        Case("asarray", "np.asarray(a)", "a", {"a": (2, 3)}),
        Case("asarray-list", "np.asarray((a, b))", "torch.stack([a, b])", {"a": (2,), "b": (2,)}),
        Case("asanyarray", "np.asanyarray(a)", "a", {"a": (2, 3)}),
        Case("ascontiguousarray", "np.ascontiguousarray(a)", "a", {"a": (2, 3)}),
        Case("copy", "np.copy(a)", "a", {"a": (2, 3)}),
        Case("astype-float", "np.astype(a, np.float64)", "a", {"a": (2, 3)}),
        Case("astype-method", "a.astype('float64')", "a", {"a": (2, 3)}),
        Case("conj-method", "a.conj()", "a", {"a": (2, 3)}),
        Case("full", "np.full((2, 3), a)", "a * torch.ones(2, 3)", {"a": "py"}),
        Case("full-array", "np.full((2, 3), a)", "a * torch.ones(2, 3)", {"a": (3,)}),
        Case("full_like", "np.full_like(Z23, a)", "a * torch.ones(2, 3)", {"a": ()}),
        Case("linspace", "np.linspace(a, b, 5)", "a + (b - a) * T5", {"a": "py", "b": "py"}),
        Case("linspace-endpoint", "np.linspace(a, b, 5, endpoint=False)",
             "a + (b - a) * T5F", {"a": "py", "b": "py"}),
        Case("linspace-arrays", "np.linspace(a, b, 5)", "a + (b - a) * T5[:, None]",
             {"a": (3,), "b": (3,)}),
        Case("linspace-axis", "np.linspace(a, b, 5, axis=1)", "a[:, None] + (b - a)[:, None] * T5",
             {"a": (3,), "b": ()}),
        # (2.4 / step is in (4, 5) for |b| < 3: five values whatever a and b)
        Case("arange", "np.arange(a, a + 2.4, 0.5 + 0.01 * b * b)",
             "a + (0.5 + 0.01 * b * b) * STEP5", {"a": "py", "b": "py"}),
        Case("heaviside", "np.heaviside(H3, a)", "torch.where(H3 == 0, a, (H3 > 0).double())",
             {"a": (3,)}),
        Case("heaviside-scalar", "np.heaviside(H3, a)",
             "torch.where(H3 == 0, a, (H3 > 0).double())", {"a": ()}),
    ]
    rows += [
        Case("concatenate", "np.concatenate([a, b])", "torch.cat([a, b])",
             {"a": (2, 3), "b": (1, 3)}),
        Case("concatenate-axis", "np.concatenate((a, b, a), axis=1)", "torch.cat([a, b, a], 1)",
             {"a": (2, 3), "b": (2, 1)}),
        Case("concatenate-none", "np.concatenate([a, b], axis=None)",
             "torch.cat([a.flatten(), b.flatten()])", {"a": (2, 3), "b": (4,)}),
        Case("concatenate-constant", "np.concatenate([a, W3])", "torch.cat([a, W3])",
             {"a": (3,)}),
        Case("concat", "np.concat([a, b], axis=-1)", "torch.cat([a, b], -1)",
             {"a": (2, 3), "b": (2, 2)}),
        Case("stack", "np.stack([a, b])", "torch.stack([a, b])", {"a": (2, 3), "b": (2, 3)}),
        Case("stack-axis", "np.stack([a, b, c], axis=-1)", "torch.stack([a, b, c], -1)",
             {"a": (2, 3), "b": (2, 3), "c": (2, 3)}),
        Case("stack-scalars", "np.stack([a, b, 1.0])",
             "torch.stack([a, b, torch.tensor(1.0)])", {"a": "py", "b": ()}),
        Case("hstack", "np.hstack([a, b])", "torch.hstack([a, b])", {"a": (3,), "b": (2,)}),
        Case("hstack-2d", "np.hstack((a, b))", "torch.hstack([a, b])",
             {"a": (2, 3), "b": (2, 1)}),
        Case("vstack", "np.vstack([a, b])", "torch.vstack([a, b])", {"a": (3,), "b": (3,)}),
        Case("vstack-2d", "np.vstack([a, b])", "torch.vstack([a, b])",
             {"a": (2, 3), "b": (1, 3)}),
        Case("dstack", "np.dstack([a, b])", "torch.dstack([a, b])", {"a": (2, 3), "b": (2, 3)}),
        Case("column_stack", "np.column_stack([a, b])", "torch.column_stack([a, b])",
             {"a": (3,), "b": (3, 2)}),
        Case("append", "np.append(a, b)", "torch.cat([a.flatten(), b.flatten()])",
             {"a": (2, 3), "b": (2,)}),
        Case("append-axis", "np.append(a, b, axis=0)", "torch.cat([a, b], 0)",
             {"a": (2, 3), "b": (1, 3)}),
        Case("split", "np.split(a, 3)", "torch.split(a, 2)", {"a": (6,)},
             post="np.sum(r[0] * W2) + np.sum(r[2] ** 2)",
             twin_post="torch.sum(r[0] * W2) + torch.sum(r[2] ** 2)"),
        Case("split-indices", "np.split(a, [1, 3], axis=1)",
             "torch.tensor_split(a, [1, 3], dim=1)", {"a": (2, 4)},
             post="np.sum(r[1] * W22) + np.sum(r[2])",
             twin_post="torch.sum(r[1] * W22) + torch.sum(r[2])"),
        Case("array_split", "np.array_split(a, 4)", "torch.tensor_split(a, 4)", {"a": (6,)},
             post="np.sum(r[0] * W2) + np.sum(r[3])",
             twin_post="torch.sum(r[0] * W2) + torch.sum(r[3])"),
        Case("hsplit", "np.hsplit(a, 2)", "torch.hsplit(a, 2)", {"a": (3, 4)},
             post="np.sum(r[1] ** 2)", twin_post="torch.sum(r[1] ** 2)"),
        Case("vsplit", "np.vsplit(a, 2)", "torch.vsplit(a, 2)", {"a": (4, 3)},
             post="np.sum(r[0] * r[1])", twin_post="torch.sum(r[0] * r[1])"),
        Case("dsplit", "np.dsplit(a, 2)", "torch.dsplit(a, 2)", {"a": (2, 2, 4)},
             post="np.sum(r[1] ** 2)", twin_post="torch.sum(r[1] ** 2)"),
        Case("unstack", "np.unstack(a, axis=1)", "torch.unbind(a, 1)", {"a": (2, 3)},
             post="np.sum(r[0] * W2) + np.sum(r[2] ** 2)",
             twin_post="torch.sum(r[0] * W2) + torch.sum(r[2] ** 2)"),
    ]
    rows += [
        Case("take-flat", "np.take(a, IDX)", "torch.take(a, torch.as_tensor(IDX))", {"a": (2, 3)}),
        Case("take-axis", "np.take(a, IDX, axis=1)", "torch.index_select(a, 1, IDX)",
             {"a": (2, 3)}),
        Case("take-2d-indices", "np.take(a, IDX2, axis=0)", "a[IDX2]", {"a": (3, 2)}),
        Case("take-wrap", "np.take(a, IDXW, axis=1, mode='wrap')",
             "torch.index_select(a, 1, IDXW % 3)", {"a": (2, 3)}),
        Case("take-clip", "np.take(a, IDXW, mode='clip')",
             "torch.take(a, torch.clamp(IDXW, 0, 5))", {"a": (2, 3)}),
        Case("take-method", "a.take(IDX)", "torch.take(a, IDX)", {"a": (3,)}),
        Case("take_along_axis", "np.take_along_axis(a, TA, axis=1)",
             "torch.take_along_dim(a, TA, dim=1)", {"a": (2, 3)}),
        Case("take_along_axis-broadcast", "np.take_along_axis(a, TB, 0)",
             "torch.take_along_dim(a, TB, dim=0)", {"a": (2, 1)}),
        Case("sort", "np.sort(a)", "torch.sort(a).values", {"a": (2, 4)}, domain="distinct"),
        Case("sort-axis", "np.sort(a, axis=0)", "torch.sort(a, 0).values", {"a": (3, 2)},
             domain="distinct"),
        Case("sort-flat", "np.sort(a, axis=None)", "torch.sort(a.flatten()).values",
             {"a": (2, 3)}, domain="distinct"),
    ]
    return rows


def _special():
    if special is None:
        return []
    s = SHAPES[:3]
    rows = []
    rows += unary("expit", "special.expit", "torch.special.expit", shapes=s)
    rows += unary("log_expit", "special.log_expit", "F.logsigmoid", shapes=s)
    rows += unary("logit", "special.logit", "torch.logit", "prob", shapes=s)
    rows += unary("erf", "special.erf", "torch.special.erf", shapes=s)
    rows += unary("erfc", "special.erfc", "torch.special.erfc", shapes=s)
    rows += unary("erfinv", "special.erfinv", "torch.special.erfinv", "unit", shapes=s)
    rows += unary("erfcinv", "special.erfcinv", "(lambda t: torch.special.erfinv(1 - t))",
                  "prob", shapes=s)
    rows += unary("ndtr", "special.ndtr", "torch.special.ndtr", shapes=s)
    rows += unary("log_ndtr", "special.log_ndtr", "torch.special.log_ndtr", shapes=s)
    rows += unary("ndtri", "special.ndtri", "torch.special.ndtri", "prob", shapes=s)
    rows += unary("gammaln", "special.gammaln", "torch.special.gammaln", "pos", shapes=s)
    rows += unary("gamma", "special.gamma", "(lambda t: torch.exp(torch.lgamma(t)))", "pos",
                  shapes=s)
    rows += unary("digamma", "special.digamma", "torch.special.digamma", "pos", shapes=s)
    rows += unary("psi", "special.psi", "torch.special.digamma", "pos", shapes=s)
    rows += unary("entr", "special.entr", "torch.special.entr", "pos", shapes=s)
    rows += [Case("polygamma", "special.polygamma(1, a)", "torch.special.polygamma(1, a)",
                  {"a": (3,)}, domain="pos")]
    rows += binary("xlogy", "special.xlogy", "torch.special.xlogy", ("real", "pos"),
                   pairs=PAIRS[:4])
    rows += binary("xlog1py", "special.xlog1py", "torch.special.xlog1py", ("real", "pos"),
                   pairs=PAIRS[:4])
    rows += binary("rel_entr", "special.rel_entr", "(lambda x, y: x * torch.log(x / y))",
                   ("pos", "pos"), pairs=PAIRS[:4])
    rows += binary("kl_div", "special.kl_div", "(lambda x, y: x * torch.log(x / y) - x + y)",
                   ("pos", "pos"), pairs=PAIRS[:4])
    rows += [
        Case("logsumexp", "special.logsumexp(a)", "torch.logsumexp(a.flatten(), 0)",
             {"a": (2, 3)}),
        Case("logsumexp-axis", "special.logsumexp(a, axis=1)", "torch.logsumexp(a, 1)",
             {"a": (2, 3, 2)}),
        Case("logsumexp-keepdims", "special.logsumexp(a, axis=(0, 2), keepdims=True)",
             "torch.logsumexp(a, (0, 2), keepdim=True)", {"a": (2, 3, 2)}),
        Case("logsumexp-b", "special.logsumexp(a, axis=0, b=b)",
             "torch.log(torch.sum(b * torch.exp(a), 0))", {"a": (3, 2), "b": ((3, 2), "pos")}),
        Case("softmax", "special.softmax(a, axis=1)", "torch.softmax(a, 1)", {"a": (2, 3)}),
        Case("softmax-all", "special.softmax(a)",
             "torch.softmax(a.flatten(), 0).reshape(a.shape)", {"a": (2, 3)}),
        Case("log_softmax", "special.log_softmax(a, axis=-1)", "torch.log_softmax(a, -1)",
             {"a": (2, 3)}),
        Case("log_softmax-all", "special.log_softmax(a)",
             "torch.log_softmax(a.flatten(), 0).reshape(a.shape)", {"a": (2, 3)}),
    ]
    rows += [
        Case("solve_triangular-lower", "scipy.linalg.solve_triangular(a, b, lower=True)",
             "torch.linalg.solve_triangular(torch.tril(a), b[:, None], upper=False)[:, 0]",
             {"a": ((3, 3), "well"), "b": (3,)}),
        Case("solve_triangular-upper", "scipy.linalg.solve_triangular(a, b)",
             "torch.linalg.solve_triangular(torch.triu(a), b, upper=True)",
             {"a": ((3, 3), "well"), "b": (3, 2)}),
    ]
    return rows + _scipy_linalg()


# scipy.linalg reads one triangle of a for cholesky, cho_factor, eigh and the symmetric
# solves: the twins build the symmetric matrix from that triangle (t_upper, t_lower), so
# that a derivative in the other triangle is torch's zero. The "skew" domains put other
# values in the triangle SciPy does not read.

def t_upper(a):
    return torch.triu(a) + torch.triu(a, 1).mT


def t_lower(a):
    return torch.tril(a) + torch.tril(a, -1).mT


TORCH_HELPERS.update(t_upper=t_upper, t_lower=t_lower)


def _stack_of(make):
    """A domain of square matrices that makes a real stack for 3-d shapes."""
    def sample_stack(rng, shape):
        if len(shape) == 2:
            return make(rng, shape[-1])
        count = int(np.prod(shape[:-2]))
        return np.stack([make(rng, shape[-1]) for _ in range(count)]).reshape(shape)
    return sample_stack


DOMAINS["spds"] = _stack_of(_spd)
DOMAINS["syms"] = _stack_of(_symmetric)
# the lower (upper) triangle is not the mirror of the other: read as SciPy reads it
DOMAINS["spd_skew_lower"] = lambda rng, shape: _spd(rng, shape[-1]) + \
    np.tril(rng.uniform(-1.0, 1.0, (shape[-1], shape[-1])), -1)
DOMAINS["spd_skew_upper"] = lambda rng, shape: _spd(rng, shape[-1]) + \
    np.triu(rng.uniform(-1.0, 1.0, (shape[-1], shape[-1])), 1)


PIV3 = np.array([2, 2, 2], dtype=np.int32)           # lu_factor's pivots (0-based) ...
PIV23 = np.array([[1, 1, 2], [2, 2, 2]], dtype=np.int32)
PIV3T, PIV23T = PIV3 + 1, PIV23 + 1                  # ... and torch's (1-based)
CONSTANTS.update(PIV3=PIV3, PIV23=PIV23, PIV3T=PIV3T, PIV23T=PIV23T)


def t_lu_matrix(lu, pivots):
    """The matrix a packed LU and its (1-based) pivots factor: P L U."""
    p, lower, upper = torch.lu_unpack(lu, pivots.to(torch.int32))
    return p @ lower @ upper


def t_toeplitz(c, r):
    m, n = c.shape[-1], r.shape[-1]
    batch = torch.broadcast_shapes(c.shape[:-1], r.shape[:-1])
    values = torch.cat([c.flip(-1).expand(*batch, m), r[..., 1:].expand(*batch, n - 1)], -1)
    positions = (m - 1) - torch.arange(m)[:, None] + torch.arange(n)[None, :]
    return values[..., positions]


def t_circulant(c):
    n = c.shape[-1]
    return c[..., (torch.arange(n)[:, None] - torch.arange(n)[None, :]) % n]


def t_sqrtm(a):
    """The principal square root by Denman and Beavers' iteration (differentiable)."""
    y, z = a, torch.eye(a.shape[-1], dtype=a.dtype).expand_as(a)
    for _ in range(40):
        y, z = 0.5 * (y + torch.linalg.inv(z)), 0.5 * (z + torch.linalg.inv(y))
    return y


def t_logm(a):
    """4 log(a^(1/4)): the fourth root is near the identity, where log's series converges."""
    root = t_sqrtm(t_sqrtm(a))
    x = root - torch.eye(a.shape[-1], dtype=a.dtype)
    term, total = x, torch.zeros_like(x)
    for k in range(1, 60):
        total = total + (term if k % 2 else -term) / k
        term = term @ x
    return 4.0 * total


TORCH_HELPERS.update(t_lu_matrix=t_lu_matrix, t_toeplitz=t_toeplitz, t_circulant=t_circulant,
                     t_sqrtm=t_sqrtm, t_logm=t_logm)


def _scipy_linalg():
    eigh_post = "np.sum(r[0] * W3) + np.sum(r[1] ** 2 * W33)"
    eigh_twin_post = "torch.sum(r[0] * W3) + torch.sum(r[1] ** 2 * W33)"
    # (functions of the singular vectors that do not depend on their phases)
    svd_post = "np.sum(r[1] * W3) + np.sum((r[0] * W3) @ r[2]) + " \
        "np.sum((r[0] * W3) @ np.conj(r[0]).T)"
    svd_twin_post = "torch.sum(r[1] * W3) + torch.sum((r[0] * W3) @ r[2]) + " \
        "torch.sum((r[0] * W3) @ r[0].conj().T)"
    return [
        # cholesky: the upper factor by default
        Case("scipy.cholesky-upper", "scipy.linalg.cholesky(a)",
             "torch.linalg.cholesky(t_upper(a)).mT", {"a": (3, 3)}, domain="spd_skew_lower"),
        Case("scipy.cholesky-lower", "scipy.linalg.cholesky(a, lower=True)",
             "torch.linalg.cholesky(t_lower(a))", {"a": (3, 3)}, domain="spd_skew_upper"),
        Case("scipy.cholesky-batched",
             "scipy.linalg.cholesky(a, lower=True, overwrite_a=True, check_finite=False)",
             "torch.linalg.cholesky(t_lower(a))", {"a": (2, 3, 3)}, domain="spds"),
        # cho_factor: (c, lower), c's other triangle a's own entries
        Case("scipy.cho_factor", "scipy.linalg.cho_factor(a)",
             "torch.linalg.cholesky(t_upper(a)).mT + torch.tril(a, -1)", {"a": (3, 3)},
             domain="spd_skew_lower", post="np.sum(r[0] * W33)",
             twin_post="torch.sum(r * W33)"),
        Case("scipy.cho_factor-lower-batched", "scipy.linalg.cho_factor(a, lower=True)",
             "torch.linalg.cholesky(t_lower(a)) + torch.triu(a, 1)", {"a": (2, 3, 3)},
             domain="spds", post="np.sum(r[0] * W33)", twin_post="torch.sum(r * W33)"),
        # cho_solve: only c's triangle `lower` is read
        Case("scipy.cho_solve-lower", "scipy.linalg.cho_solve((a, True), b)",
             "torch.cholesky_solve(b[:, None], torch.tril(a))[:, 0]",
             {"a": ((3, 3), "well"), "b": (3,)}),
        Case("scipy.cho_solve-upper", "scipy.linalg.cho_solve((a, False), b)",
             "torch.cholesky_solve(b, torch.triu(a), upper=True)",
             {"a": ((3, 3), "well"), "b": (3, 2)}),
        # (a stack of factors, one b for all of them)
        Case("scipy.cho_solve-batched", "scipy.linalg.cho_solve((a, True), b)",
             "torch.cholesky_solve(b[:, None], torch.tril(a))[..., 0]",
             {"a": ((2, 3, 3), "well"), "b": (3,)}),
        # solve: the matrix assume_a, lower and transposed read
        Case("scipy.solve", "scipy.linalg.solve(a, b)", "torch.linalg.solve(a, b)",
             {"a": ((3, 3), "well"), "b": (3,)}),
        Case("scipy.solve-gen-matrix", "scipy.linalg.solve(a, b, assume_a='gen')",
             "torch.linalg.solve(a, b)", {"a": ((3, 3), "well"), "b": (3, 2)}),
        # (transposed=True, which SciPy refuses for complex matrices: test_scipy_linalg.py)
        Case("scipy.solve-pos", "scipy.linalg.solve(a, b, assume_a='pos')",
             "torch.linalg.solve(t_upper(a), b)",
             {"a": ((3, 3), "spd_skew_lower"), "b": (3, 2)}),
        Case("scipy.solve-sym-lower", "scipy.linalg.solve(a, b, assume_a='sym', lower=True)",
             "torch.linalg.solve(t_lower(a), b)", {"a": ((3, 3), "spd_skew_upper"), "b": (3,)}),
        Case("scipy.solve-her", "scipy.linalg.solve(a, b, assume_a='her')",
             "torch.linalg.solve(t_upper(a), b)", {"a": ((3, 3), "spd_skew_lower"), "b": (3,)}),
        Case("scipy.solve-diagonal", "scipy.linalg.solve(a, b, assume_a='diagonal')",
             "torch.linalg.solve(torch.diag_embed(torch.diagonal(a)), b)",
             {"a": ((3, 3), "well"), "b": (3,)}),
        Case("scipy.solve-tridiagonal", "scipy.linalg.solve(a, b, assume_a='tridiagonal')",
             "torch.linalg.solve(torch.triu(torch.tril(a, 1), -1), b)",
             {"a": ((4, 4), "well"), "b": (4,)}),
        Case("scipy.solve-upper-triangular",
             "scipy.linalg.solve(a, b, assume_a='upper triangular')",
             "torch.linalg.solve(torch.triu(a), b)", {"a": ((3, 3), "well"), "b": (3, 2)}),
        Case("scipy.solve-lower-triangular",
             "scipy.linalg.solve(a, b, assume_a='lower triangular')",
             "torch.linalg.solve(torch.tril(a), b)", {"a": ((3, 3), "well"), "b": (3,)}),
        Case("scipy.solve-batched", "scipy.linalg.solve(a, b, overwrite_b=True)",
             "torch.linalg.solve(a, b)", {"a": ((2, 3, 3), "well"), "b": (2, 3, 2)}),
        Case("scipy.solve-batched-vector", "scipy.linalg.solve(a, b, assume_a='pos')",
             "torch.linalg.solve(t_upper(a), b)", {"a": ((2, 3, 3), "spds"), "b": (3,)}),
        # inv, det
        Case("scipy.inv", "scipy.linalg.inv(a)", "torch.linalg.inv(a)", {"a": (3, 3)},
             domain="well"),
        Case("scipy.inv-pos-lower", "scipy.linalg.inv(a, assume_a='pos', lower=True)",
             "torch.linalg.inv(t_lower(a))", {"a": (3, 3)}, domain="spd_skew_upper"),
        Case("scipy.inv-batched", "scipy.linalg.inv(a, overwrite_a=True, check_finite=False)",
             "torch.linalg.inv(a)", {"a": (2, 3, 3)}, domain="well"),
        Case("scipy.det", "scipy.linalg.det(a)", "torch.linalg.det(a)", {"a": (3, 3)},
             domain="well"),
        Case("scipy.det-batched", "scipy.linalg.det(a, check_finite=False)",
             "torch.linalg.det(a)", {"a": (2, 3, 3)}, domain="well"),
        # eigh: the lower triangle by default; eigenvectors up to sign (squared)
        Case("scipy.eigh", "scipy.linalg.eigh(a)", "torch.linalg.eigh(t_lower(a))",
             {"a": (3, 3)}, domain="sym", post=eigh_post, twin_post=eigh_twin_post,
             jvp=False),
        Case("scipy.eigh-upper-driver", "scipy.linalg.eigh(a, lower=False, driver='evd')",
             "torch.linalg.eigh(t_upper(a))", {"a": (3, 3)}, domain="spd_skew_lower",
             post=eigh_post, twin_post=eigh_twin_post, jvp=False),
        # (SciPy's default driver, evr, may flip an eigenvector's sign within a finite
        # difference's step; evd's stay put)
        Case("scipy.eigh-stack", "scipy.linalg.eigh(a, driver='evd')",
             "torch.linalg.eigh(t_lower(a))", {"a": (2, 3, 3)}, domain="spds", post="np.sum(r[0] * W3) + np.sum(r[1] ** 2)",
             twin_post="torch.sum(r[0] * W3) + torch.sum(r[1] ** 2)", jvp=False),
        Case("scipy.eigh-eigvals_only", "scipy.linalg.eigh(a, eigvals_only=True)",
             "torch.linalg.eigvalsh(t_lower(a))", {"a": (3, 3)}, domain="spd_skew_upper"),
        Case("scipy.eigvalsh", "scipy.linalg.eigvalsh(a, lower=False)",
             "torch.linalg.eigvalsh(t_upper(a))", {"a": (2, 3, 3)}, domain="syms"),
        # svd
        Case("scipy.svd-tall", "scipy.linalg.svd(a, full_matrices=False)",
             "torch.linalg.svd(a, full_matrices=False)", {"a": (4, 3)}, post=svd_post,
             twin_post=svd_twin_post, jvp=False, rtol=1e-6),
        # (lapack_driver='gesvd', for real matrices only: test_scipy_linalg.py)
        Case("scipy.svd-square", "scipy.linalg.svd(a, lapack_driver='gesdd')",
             "torch.linalg.svd(a)", {"a": (3, 3)},
             post="np.sum(r[1] * W3) + np.sum((r[0] * W3) @ r[2])",
             twin_post="torch.sum(r[1] * W3) + torch.sum((r[0] * W3) @ r[2])", jvp=False,
             rtol=1e-6),
        Case("scipy.svd-values", "scipy.linalg.svd(a, compute_uv=False)",
             "torch.linalg.svdvals(a)", {"a": (2, 4, 3)}),
        Case("scipy.svdvals", "scipy.linalg.svdvals(a)", "torch.linalg.svdvals(a)",
             {"a": (3, 4)}),
        # norm: numpy.linalg.norm's forms
        Case("scipy.norm", "scipy.linalg.norm(a)", "torch.linalg.norm(a)", {"a": (3, 4)}),
        Case("scipy.norm-vector-ord1", "scipy.linalg.norm(a, 1)",
             "torch.linalg.vector_norm(a, 1)", {"a": (5,)}, domain="nonzero"),
        Case("scipy.norm-axis", "scipy.linalg.norm(a, axis=1, keepdims=True)",
             "torch.linalg.vector_norm(a, dim=1, keepdim=True)", {"a": (2, 3)}),
        Case("scipy.norm-matrix-2", "scipy.linalg.norm(a, 2)",
             "torch.linalg.matrix_norm(a, 2)", {"a": (3, 4)}, rtol=1e-6),
        Case("scipy.norm-nuc", "scipy.linalg.norm(a, 'nuc', check_finite=False)",
             "torch.linalg.matrix_norm(a, 'nuc')", {"a": (3, 3)}, rtol=1e-6),
        Case("scipy.norm-stack", "scipy.linalg.norm(a, axis=(1, 2))",
             "torch.linalg.matrix_norm(a)", {"a": (2, 3, 3)}),
        # pinv of full-rank matrices
        Case("scipy.pinv-tall", "scipy.linalg.pinv(a)", "torch.linalg.pinv(a)", {"a": (4, 3)},
             rtol=1e-6),
        Case("scipy.pinv-wide", "scipy.linalg.pinv(a, atol=1e-12, rtol=1e-10)",
             "torch.linalg.pinv(a)", {"a": (2, 3)}, rtol=1e-6),
        Case("scipy.pinv-batched", "scipy.linalg.pinv(a)", "torch.linalg.pinv(a)",
             {"a": (2, 3, 2)}, rtol=1e-6),
        # lstsq: SciPy's residues of a 1-d b are one number
        Case("scipy.lstsq-tall", "scipy.linalg.lstsq(a, b)",
             "(torch.linalg.pinv(a) @ b, "
             "torch.sum(torch.abs(b - a @ (torch.linalg.pinv(a) @ b)) ** 2))",
             {"a": (4, 3), "b": (4,)}, post="np.sum(r[0] * W3) + r[1]",
             twin_post="torch.sum(r[0] * W3) + r[1]", rtol=1e-6, jvp=False),
        Case("scipy.lstsq-matrix-b", "scipy.linalg.lstsq(a, b, lapack_driver='gelss')",
             "(torch.linalg.pinv(a) @ b, "
             "torch.sum(torch.abs(b - a @ (torch.linalg.pinv(a) @ b)) ** 2, 0))",
             {"a": (4, 3), "b": (4, 2)}, post="np.sum(r[0] ** 2) + np.sum(r[1] * W2)",
             twin_post="torch.sum(r[0] ** 2) + torch.sum(r[1] * W2)", rtol=1e-6),
        Case("scipy.lstsq-wide", "scipy.linalg.lstsq(a, b)", "torch.linalg.pinv(a) @ b",
             {"a": (2, 3), "b": (2,)}, post="np.sum(r[0] * W3)",
             twin_post="torch.sum(r * W3)", rtol=1e-6, jvp=False),
        Case("scipy.lstsq-singular-values", "scipy.linalg.lstsq(a, b)",
             "torch.linalg.svdvals(a)", {"a": (4, 3), "b": (4,)}, post="np.sum(r[3] * W3)",
             twin_post="torch.sum(r * W3)", rtol=1e-6, jvp=False),
        # sqrtm of matrices with eigenvalues near 2 (torch: Denman-Beavers' iteration)
        Case("scipy.sqrtm", "scipy.linalg.sqrtm(a)", "t_sqrtm(a)", {"a": (3, 3)},
             domain="well", rtol=1e-6),
        Case("scipy.sqrtm-batched", "scipy.linalg.sqrtm(a)", "t_sqrtm(a)", {"a": (2, 3, 3)},
             domain="well", rtol=1e-6),
        # logm (torch: 4 log(a^(1/4)), the logarithm near the identity a series)
        Case("scipy.logm", "scipy.linalg.logm(a)", "t_logm(a)", {"a": (3, 3)},
             domain="well", rtol=1e-6),
        Case("scipy.logm-batched", "scipy.linalg.logm(a)", "t_logm(a)", {"a": (2, 3, 3)},
             domain="well", rtol=1e-6),
        # toeplitz (r[0] is not read; without r, r is c) and circulant
        Case("scipy.toeplitz", "scipy.linalg.toeplitz(a, b)", "t_toeplitz(a, b)",
             {"a": (3,), "b": (4,)}),
        Case("scipy.toeplitz-symmetric", "scipy.linalg.toeplitz(a)", "t_toeplitz(a, a.conj())",
             {"a": (4,)}),
        Case("scipy.toeplitz-batched", "scipy.linalg.toeplitz(a, b)", "t_toeplitz(a, b)",
             {"a": (2, 3), "b": (2,)}),
        Case("scipy.circulant", "scipy.linalg.circulant(a)", "t_circulant(a)", {"a": (4,)}),
        Case("scipy.circulant-batched", "scipy.linalg.circulant(a)", "t_circulant(a)",
             {"a": (2, 3)}),
        # lu_factor's (lu, piv) is LAPACK's, as torch's; lu_solve reads L and U of lu
        Case("scipy.lu_factor", "scipy.linalg.lu_factor(a)", "torch.linalg.lu_factor(a)[0]",
             {"a": (3, 3)}, post="np.sum(r[0] * W33)", twin_post="torch.sum(r * W33)"),
        Case("scipy.lu_factor-batched", "scipy.linalg.lu_factor(a, check_finite=False)",
             "torch.linalg.lu_factor(a)[0]", {"a": (2, 3, 3)}, post="np.sum(r[0] * W33)",
             twin_post="torch.sum(r * W33)"),
        Case("scipy.lu_solve", "scipy.linalg.lu_solve((a, PIV3), b)",
             "torch.linalg.solve(t_lu_matrix(a, PIV3T), b)", {"a": ((3, 3), "well"), "b": (3,)}),
        Case("scipy.lu_solve-trans", "scipy.linalg.lu_solve((a, PIV3), b, trans=1)",
             "torch.linalg.solve(t_lu_matrix(a, PIV3T).mT, b)",
             {"a": ((3, 3), "well"), "b": (3, 2)}),
        Case("scipy.lu_solve-batched", "scipy.linalg.lu_solve((a, PIV23), b)",
             "torch.linalg.solve(t_lu_matrix(a, PIV23T), b)",
             {"a": ((2, 3, 3), "well"), "b": (3,)}),
    ]


CASES = (_elementwise() + _python() + _math() + _reductions() + _products() + _norms() +
         _linalg() + _shapes() + _construction() + _special())


# -- scipy.stats distributions (issue #12) ------------------------------------------
# Twins through torch's own distributions and special functions (t_stats below).
# The cdf and ppf of t and beta, and the ppf of gamma, have no torch twin: they are
# checked against finite differences in tests/test_scipy_stats_and_special.py.

try:
    import scipy.stats  # noqa: F401  (call strings use it)
except ImportError:
    pass

DOMAINS["gt2"] = lambda rng, shape: rng.uniform(2.2, 4.0, shape)
DOMAINS["small"] = lambda rng, shape: rng.uniform(-0.1, 0.1, shape)

K5F = np.array([0.0, 1.0, 2.0, 4.0, 7.0])    # poisson counts
S33 = np.array([[2.0, 0.3, -0.2], [0.3, 1.5, 0.4], [-0.2, 0.4, 1.8]])
M3 = np.array([0.2, -0.4, 0.1])
X43 = _fixed.normal(size=(4, 3))
XS3 = np.array([0.2, 0.3, 0.5])               # points of the simplex
XS32 = np.array([[0.2, 0.6], [0.3, 0.1], [0.5, 0.3]])
B3 = np.array([1.0, 0.0, 1.0])                # bernoulli outcomes
CONSTANTS.update(K5F=K5F, S33=S33, M3=M3, X43=X43, XS3=XS3, XS32=XS32, B3=B3)

_LOG_2PI = math.log(2.0 * math.pi)


def _t_standard_logpdf(name, z, shapes):
    dists = torch.distributions
    if name == "norm":
        return -0.5 * z * z - 0.5 * _LOG_2PI
    if name == "t":
        return dists.StudentT(shapes[0], validate_args=False).log_prob(z)
    if name == "gamma":
        return dists.Gamma(shapes[0], 1.0, validate_args=False).log_prob(z)
    if name == "beta":
        return dists.Beta(shapes[0], shapes[1], validate_args=False).log_prob(z)
    if name == "expon":
        return -z
    if name == "laplace":
        return -torch.abs(z) - math.log(2.0)
    if name == "logistic":
        return -z - 2.0 * F.softplus(-z)
    if name == "lognorm":
        return dists.LogNormal(0.0, shapes[0], validate_args=False).log_prob(z)
    if name == "chi2":
        return dists.Chi2(shapes[0], validate_args=False).log_prob(z)
    if name == "halfnorm":
        return dists.HalfNormal(1.0, validate_args=False).log_prob(z)
    if name == "uniform":
        return torch.zeros_like(z)
    return -math.log(math.pi) - torch.log1p(z * z)


def _t_standard_cdf(name, z, shapes, upper):
    if name == "lognorm":
        return torch.special.ndtr((-1.0 if upper else 1.0) * torch.log(z) / shapes[0])
    if name == "chi2":
        return (torch.special.gammaincc if upper else torch.special.gammainc)(
            torch.as_tensor(0.5 * shapes[0]), 0.5 * z)
    if name == "halfnorm":
        return (torch.special.erfc if upper else torch.special.erf)(z / math.sqrt(2.0))
    if name == "uniform":
        return 1.0 - z if upper else z
    z = -z if upper and name in ("norm", "logistic", "cauchy", "laplace") else z
    if name == "norm":
        return torch.special.ndtr(z)
    if name == "gamma":
        return (torch.special.gammaincc if upper else torch.special.gammainc)(
            torch.as_tensor(shapes[0]), z)
    if name == "expon":
        return torch.exp(-z) if upper else -torch.expm1(-z)
    if name == "laplace":
        return torch.where(z < 0, 0.5 * torch.exp(z), 1.0 - 0.5 * torch.exp(-z))
    if name == "logistic":
        return torch.sigmoid(z)
    return 0.5 + torch.atan(z) / math.pi


def _t_standard_ppf(name, q, shapes):
    if name == "lognorm":
        return torch.exp(shapes[0] * torch.special.ndtri(q))
    if name == "halfnorm":
        return math.sqrt(2.0) * torch.special.erfinv(q)
    if name == "uniform":
        return q
    if name == "norm":
        return torch.special.ndtri(q)
    if name == "expon":
        return -torch.log1p(-q)
    if name == "laplace":
        return torch.where(q < 0.5, torch.log(2.0 * q), -torch.log(2.0 - 2.0 * q))
    if name == "logistic":
        return torch.logit(q)
    return torch.tan(math.pi * (q - 0.5))


def t_stats(name, method, x, *params):
    """scipy.stats.<name>.<method>(x, *shapes, loc, scale) in torch."""
    *shapes, loc, scale = params
    if method == "ppf":
        return loc + scale * _t_standard_ppf(name, x, shapes)
    z = (x - loc) / scale
    if method in ("logpdf", "pdf"):
        log_density = _t_standard_logpdf(name, z, shapes) - torch.log(torch.as_tensor(scale))
        return log_density if method == "logpdf" else torch.exp(log_density)
    upper = method in ("sf", "logsf")
    if method.startswith("log") and name in ("norm", "logistic"):
        z = -z if upper else z
        return torch.special.log_ndtr(z) if name == "norm" else F.logsigmoid(z)
    probability = _t_standard_cdf(name, z, shapes, upper)
    return torch.log(probability) if method.startswith("log") else probability


TORCH_HELPERS["t_stats"] = t_stats

# x's domain, loc's domain and scale's domain per distribution.
_STATS_DOMAINS = {"gamma": ("gt2", "unit", "pos"), "expon": ("gt2", "unit", "pos"),
                  "beta": ("prob", "small", "gt1"), "lognorm": ("gt2", "unit", "pos"),
                  "chi2": ("gt2", "unit", "pos"), "halfnorm": ("gt2", "unit", "pos"),
                  "uniform": ("prob", "small", "gt1")}
_STATS_SHAPES = {"t": (2.7,), "gamma": (1.8,), "beta": (1.6, 2.4), "lognorm": (0.8,),
                 "chi2": (3.3,)}
_STATS_NO_TWIN = {("t", "cdf"), ("t", "logcdf"), ("t", "sf"), ("t", "logsf"), ("t", "ppf"),
                  ("beta", "cdf"), ("beta", "logcdf"), ("beta", "sf"), ("beta", "logsf"),
                  ("beta", "ppf"), ("gamma", "ppf"), ("chi2", "ppf")}


def _stats():
    if special is None:
        return []
    rows = []
    for name in ("norm", "t", "gamma", "beta", "expon", "laplace", "logistic", "cauchy",
                 "lognorm", "chi2", "halfnorm", "uniform"):
        x_domain, loc_domain, scale_domain = _STATS_DOMAINS.get(name, ("real", "real", "pos"))
        shapes = "".join(f"{s!r}, " for s in _STATS_SHAPES.get(name, ()))
        for method in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"):
            if (name, method) in _STATS_NO_TWIN:
                continue
            first = "prob" if method == "ppf" else x_domain
            rows.append(Case(f"stats.{name}.{method}",
                             f"scipy.stats.{name}.{method}(a, {shapes}b, c)",
                             f"t_stats('{name}', '{method}', a, {shapes}b, c)",
                             {"a": ((3,), first), "b": ((), loc_domain),
                              "c": ((), scale_domain)}, rtol=1e-6,
                             # torch has no forward mode for igamma (gammainc)
                             jvp=not (name in ("gamma", "chi2") and
                                      method not in ("logpdf", "pdf"))))
        rows.append(Case(f"stats.{name}.logpdf-keywords",
                         f"scipy.stats.{name}.logpdf(a, {shapes}loc=0.1, scale=c)",
                         f"t_stats('{name}', 'logpdf', a, {shapes}0.1, c)",
                         {"a": ((2, 3), x_domain), "c": ((3,), scale_domain)}, rtol=1e-6))
    rows += [
        Case("stats.t.logpdf-df", "scipy.stats.t.logpdf(a, d, b, c)",
             "torch.distributions.StudentT(d, b, c).log_prob(a)",
             {"a": (3,), "d": ((3,), "gt1"), "b": (), "c": ((), "pos")}, rtol=1e-6),
        Case("stats.t.pdf-df", "scipy.stats.t.pdf(a, d)",
             "torch.distributions.StudentT(d).log_prob(a).exp()",
             {"a": (3,), "d": ((), "gt1")}, rtol=1e-6),
        Case("stats.gamma.logpdf-a", "scipy.stats.gamma.logpdf(a, d, scale=c)",
             "torch.distributions.Gamma(d, 1.0 / c).log_prob(a)",
             {"a": ((3,), "pos"), "d": ((3,), "gt1"), "c": ((), "pos")}, rtol=1e-6),
        Case("stats.gamma.pdf-a", "scipy.stats.gamma.pdf(a, d)",
             "torch.distributions.Gamma(d, 1.0).log_prob(a).exp()",
             {"a": ((3,), "pos"), "d": ((), "gt1")}, rtol=1e-6),
        Case("stats.beta.logpdf-ab", "scipy.stats.beta.logpdf(a, d, e)",
             "torch.distributions.Beta(d, e).log_prob(a)",
             {"a": ((3,), "prob"), "d": ((3,), "gt1"), "e": ((), "pos")}, rtol=1e-6),
        Case("stats.beta.pdf-ab", "scipy.stats.beta.pdf(a, d, e)",
             "torch.distributions.Beta(d, e).log_prob(a).exp()",
             {"a": ((3,), "prob"), "d": ((), "gt1"), "e": ((3,), "gt1")}, rtol=1e-6),
        Case("stats.lognorm.logpdf-s", "scipy.stats.lognorm.logpdf(a, d, scale=c)",
             "torch.distributions.LogNormal(torch.log(c), d).log_prob(a)",
             {"a": ((3,), "pos"), "d": ((3,), "pos"), "c": ((), "pos")}, rtol=1e-6),
        Case("stats.chi2.pdf-df", "scipy.stats.chi2.pdf(a, d)",
             "torch.distributions.Chi2(d).log_prob(a).exp()",
             {"a": ((3,), "pos"), "d": ((3,), "gt1")}, rtol=1e-6),
        Case("stats.gamma.cdf-scale", "scipy.stats.gamma.cdf(a, 2.5, scale=c)",
             "torch.special.gammainc(torch.as_tensor(2.5), a / c)",
             {"a": ((3,), "pos"), "c": ((), "pos")}, rtol=1e-6, jvp=False),
        Case("stats.poisson.pmf", "scipy.stats.poisson.pmf(K5F, a)",
             "torch.distributions.Poisson(a).log_prob(K5F).exp()", {"a": ((5,), "pos")}),
        Case("stats.poisson.pmf-scalar-mu", "scipy.stats.poisson.pmf(K5F, a)",
             "torch.distributions.Poisson(a).log_prob(K5F).exp()", {"a": ((), "gt1")}),
        Case("stats.poisson.logpmf", "scipy.stats.poisson.logpmf(K5F, a)",
             "torch.distributions.Poisson(a).log_prob(K5F)", {"a": ((5,), "pos")}),
        Case("stats.poisson.cdf", "scipy.stats.poisson.cdf(K5F, a)",
             "torch.special.gammaincc(K5F + 1.0, a)", {"a": ((5,), "gt1")}, jvp=False),
        Case("stats.binom.pmf", "scipy.stats.binom.pmf(K5F, 8, a)",
             "torch.distributions.Binomial(8, probs=a).log_prob(K5F).exp()",
             {"a": ((5,), "prob")}),
        Case("stats.binom.logpmf", "scipy.stats.binom.logpmf(K5F, 7, a)",
             "torch.distributions.Binomial(7, probs=a).log_prob(K5F)", {"a": ((), "prob")}),
        Case("stats.bernoulli.pmf", "scipy.stats.bernoulli.pmf(MASK3.astype(float), a)",
             "torch.distributions.Bernoulli(probs=a).log_prob(MASK3.double()).exp()",
             {"a": ((3,), "prob")}),
        Case("stats.bernoulli.logpmf", "scipy.stats.bernoulli.logpmf(B3, a)",
             "torch.distributions.Bernoulli(probs=a).log_prob(B3)", {"a": ((3,), "prob")}),
        Case("stats.poisson.sf", "scipy.stats.poisson.sf(K5F, a)",
             "torch.special.gammainc(K5F + 1.0, a)", {"a": ((), "gt1")}, jvp=False),
        Case("stats.poisson.logcdf", "scipy.stats.poisson.logcdf(K5F, a)",
             "torch.log(torch.special.gammaincc(K5F + 1.0, a))", {"a": ((5,), "gt1")},
             jvp=False),
        Case("stats.poisson.logsf", "scipy.stats.poisson.logsf(K5F, a)",
             "torch.log(torch.special.gammainc(K5F + 1.0, a))", {"a": ((), "gt1")}, jvp=False),
    ]
    mvn = "torch.distributions.MultivariateNormal"
    for method, twin_end in (("logpdf", ""), ("pdf", ".exp()")):
        rows += [
            Case(f"stats.multivariate_normal.{method}", f"scipy.stats.multivariate_normal."
                 f"{method}(a, b, S33)", f"{mvn}(b, covariance_matrix=S33).log_prob(a)"
                 + twin_end, {"a": (3,), "b": (3,)}, rtol=1e-6),
            Case(f"stats.multivariate_normal.{method}-points",
                 f"scipy.stats.multivariate_normal.{method}(a, mean=b, cov=S33)",
                 f"{mvn}(b, covariance_matrix=S33).log_prob(a)" + twin_end,
                 {"a": (4, 3), "b": (3,)}, rtol=1e-6),
            Case(f"stats.multivariate_normal.{method}-cov",
                 f"scipy.stats.multivariate_normal.{method}(X43, M3, a)",
                 f"{mvn}(M3, covariance_matrix=a).log_prob(X43)" + twin_end,
                 {"a": ((3, 3), "spd")}, rtol=1e-6, fd=False, symmetric=True),
            Case(f"stats.dirichlet.{method}", f"scipy.stats.dirichlet.{method}(XS3, a)",
                 f"torch.distributions.Dirichlet(a).log_prob(XS3){twin_end}",
                 {"a": ((3,), "pos")}, rtol=1e-6),
            Case(f"stats.dirichlet.{method}-points", f"scipy.stats.dirichlet.{method}(XS32, a)",
                 f"torch.distributions.Dirichlet(a).log_prob(XS32.T){twin_end}",
                 {"a": ((3,), "gt1")}, rtol=1e-6),
        ]
    rows += [
        Case("stats.multivariate_normal.logpdf-diagonal-cov",
             "scipy.stats.multivariate_normal.logpdf(a, M3, b)",
             f"{mvn}(M3, covariance_matrix=torch.diag(b)).log_prob(a)",
             {"a": (4, 3), "b": ((3,), "pos")}, rtol=1e-6),
        Case("stats.multivariate_normal.logpdf-scalar-cov",
             "scipy.stats.multivariate_normal.logpdf(a, M3, b)",
             f"{mvn}(M3, covariance_matrix=b * torch.eye(3)).log_prob(a)",
             {"a": (3,), "b": ((), "pos")}, rtol=1e-6),
    ]
    return rows


CASES = CASES + _stats()


def _fft():
    """numpy.fft against torch.fft; a complex result is read as Re + 2 Im (real
    inputs here; tests/test_complex.py runs the rows with complex ones)."""
    real = {"post": "np.real(r) + 2.0 * np.imag(r)", "twin_post": "r.real + 2.0 * r.imag"}
    rows = [
        Case("fft", "np.fft.fft(a)", "torch.fft.fft(a)", {"a": (5,)}, **real),
        Case("fft-n-pad", "np.fft.fft(a, 8)", "torch.fft.fft(a, 8)", {"a": (5,)}, **real),
        Case("fft-n-crop-axis-ortho", "np.fft.fft(a, 3, axis=0, norm='ortho')",
             "torch.fft.fft(a, 3, dim=0, norm='ortho')", {"a": (5, 2)}, **real),
        Case("fft-forward", "np.fft.fft(a, norm='forward')", "torch.fft.fft(a, norm='forward')",
             {"a": (4, 3)}, **real),
        Case("ifft", "np.fft.ifft(a)", "torch.fft.ifft(a)", {"a": (5,)}, **real),
        Case("ifft-n-pad-axis", "np.fft.ifft(a, 5, axis=0)", "torch.fft.ifft(a, 5, dim=0)",
             {"a": (3, 2)}, **real),
        Case("ifft-crop-ortho", "np.fft.ifft(a, 3, norm='ortho')",
             "torch.fft.ifft(a, 3, norm='ortho')", {"a": (6,)}, **real),
        Case("fft2", "np.fft.fft2(a)", "torch.fft.fft2(a)", {"a": (3, 4)}, **real),
        Case("fft2-s", "np.fft.fft2(a, s=(4, 6))", "torch.fft.fft2(a, s=(4, 6))", {"a": (3, 4)},
             **real),
        Case("ifft2-axes-ortho", "np.fft.ifft2(a, axes=(0, 2), norm='ortho')",
             "torch.fft.ifft2(a, dim=(0, 2), norm='ortho')", {"a": (2, 3, 4)}, **real),
        Case("fftn", "np.fft.fftn(a)", "torch.fft.fftn(a)", {"a": (2, 3, 4)}, **real),
        Case("fftn-s-axes", "np.fft.fftn(a, s=(3, 5), axes=(0, 2))",
             "torch.fft.fftn(a, s=(3, 5), dim=(0, 2))", {"a": (2, 3, 4)}, **real),
        Case("ifftn-s", "np.fft.ifftn(a, s=(2, 2))", "torch.fft.ifftn(a, s=(2, 2))",
             {"a": (2, 3, 4)}, **real),
        Case("ifftn-forward", "np.fft.ifftn(a, norm='forward')",
             "torch.fft.ifftn(a, norm='forward')", {"a": (3, 3)}, **real),
        Case("rfft", "np.fft.rfft(a)", "torch.fft.rfft(a)", {"a": (6,)}, **real),
        Case("rfft-n-odd", "np.fft.rfft(a, 9)", "torch.fft.rfft(a, 9)", {"a": (6,)}, **real),
        Case("rfft-crop-ortho", "np.fft.rfft(a, 4, norm='ortho')",
             "torch.fft.rfft(a, 4, norm='ortho')", {"a": (7,)}, **real),
        Case("rfft-axis", "np.fft.rfft(a, axis=0)", "torch.fft.rfft(a, dim=0)", {"a": (5, 3)},
             **real),
        Case("irfft", "np.fft.irfft(a)", "torch.fft.irfft(a)", {"a": (5,)}),
        Case("irfft-n-odd", "np.fft.irfft(a, 9)", "torch.fft.irfft(a, 9)", {"a": (5,)}),
        Case("irfft-crop-forward", "np.fft.irfft(a, 5, norm='forward')",
             "torch.fft.irfft(a, 5, norm='forward')", {"a": (6,)}),
        Case("irfft-axis", "np.fft.irfft(a, axis=0)", "torch.fft.irfft(a, dim=0)",
             {"a": (4, 3)}),
        Case("rfft2", "np.fft.rfft2(a)", "torch.fft.rfft2(a)", {"a": (3, 5)}, **real),
        Case("rfftn", "np.fft.rfftn(a)", "torch.fft.rfftn(a)", {"a": (3, 4, 6)}, **real),
        Case("rfftn-s-axes", "np.fft.rfftn(a, s=(4, 5), axes=(0, 2))",
             "torch.fft.rfftn(a, s=(4, 5), dim=(0, 2))", {"a": (3, 4, 6)}, **real),
        Case("irfft2", "np.fft.irfft2(a)", "torch.fft.irfft2(a)", {"a": (3, 4)}),
        Case("irfftn-s", "np.fft.irfftn(a, s=(4, 6))", "torch.fft.irfftn(a, s=(4, 6))",
             {"a": (3, 4)}),
        Case("irfftn-axes-ortho", "np.fft.irfftn(a, s=(3, 7), axes=(0, 2), norm='ortho')",
             "torch.fft.irfftn(a, s=(3, 7), dim=(0, 2), norm='ortho')", {"a": (2, 3, 4)}),
        Case("fftshift", "np.fft.fftshift(a)", "torch.fft.fftshift(a)", {"a": (5,)}),
        Case("fftshift-axes", "np.fft.fftshift(a, axes=0)", "torch.fft.fftshift(a, dim=0)",
             {"a": (4, 3)}),
        Case("ifftshift", "np.fft.ifftshift(a)", "torch.fft.ifftshift(a)", {"a": (2, 5)}),
        Case("fftfreq-spacing", "np.fft.fftfreq(8, a)", "torch.fft.fftfreq(8) / a",
             {"a": ((), "pos")}),
        Case("rfftfreq-spacing", "np.fft.rfftfreq(7, a)", "torch.fft.rfftfreq(7) / a",
             {"a": ("py", "pos")}),
    ]
    return rows


CASES = CASES + _fft()


# -- more scipy.special, NumPy and SciPy functions (issue #12) -----------------------

try:
    import scipy.signal  # noqa: F401  (call strings use it)
except ImportError:
    pass


def _real_eigenvalues(rng, shape):
    """A non-symmetric matrix with real, well-separated eigenvalues."""
    n = shape[-1]
    basis = rng.normal(size=(n, n)) * 0.4 + np.eye(n)
    return basis @ np.diag(np.arange(1, n + 1) * 1.1 - 1.9) @ np.linalg.inv(basis)


DOMAINS["realeig"] = _real_eigenvalues
MASK3B = np.array([True, True, False])
XP5 = np.array([-1.5, -0.7, 0.1, 0.6, 1.5])
CONSTANTS.update(MASK3B=MASK3B, XP5=XP5)


def t_interp(x, xp, fp, left=None, right=None):
    index = torch.clamp(torch.searchsorted(xp, x.detach(), right=True) - 1, 0, len(xp) - 2)
    fraction = (x - xp[index]) / (xp[index + 1] - xp[index])
    inside = fp[index] + fraction * (fp[index + 1] - fp[index])
    below = fp[0] if left is None else left
    above = fp[-1] if right is None else right
    return torch.where(x < xp[0], below, torch.where(x > xp[-1], above, inside))


def t_polyval(p, x):
    value = torch.zeros_like(x)
    for coefficient in p:
        value = value * x + coefficient
    return value


def t_convolve2d(a, v):
    kernel = v.flip(0, 1)[None, None]
    return F.conv2d(a[None, None], kernel, padding=(v.shape[0] - 1, v.shape[1] - 1))[0, 0]


TORCH_HELPERS.update(t_interp=t_interp, t_polyval=t_polyval, t_convolve2d=t_convolve2d)


def _more_special():
    if special is None:
        return []
    s = SHAPES[:3]
    rows = []
    rows += binary("beta", "special.beta",
                   "(lambda a, b: torch.exp(torch.lgamma(a) + torch.lgamma(b) - "
                   "torch.lgamma(a + b)))", ("pos", "pos"), pairs=PAIRS[:4])
    rows += binary("betaln", "special.betaln",
                   "(lambda a, b: torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b))",
                   ("pos", "pos"), pairs=PAIRS[:4])
    rows += [Case("gammainc", "special.gammainc(2.5, a)",
                  "torch.special.gammainc(torch.as_tensor(2.5), a)", {"a": ((3,), "pos")},
                  jvp=False),
             Case("gammaincc", "special.gammaincc(0.7, a)",
                  "torch.special.gammaincc(torch.as_tensor(0.7), a)", {"a": ((2, 3), "pos")},
                  jvp=False),
             Case("multigammaln", "special.multigammaln(a, 3)", "torch.special.multigammaln(a, 3)",
                  {"a": ((3,), "gt1")})]
    rows += unary("i0", "special.i0", "torch.special.i0", shapes=s)
    rows += unary("i0e", "special.i0e", "torch.special.i0e", "nonzero", shapes=s)
    rows += unary("i1", "special.i1", "torch.special.i1", shapes=s)
    rows += unary("i1e", "special.i1e", "torch.special.i1e", "nonzero", shapes=s)
    rows += unary("math.lgamma", "math.lgamma", "torch.lgamma", "pos", shapes=("py",))
    rows += unary("math.gamma", "math.gamma", "(lambda t: torch.exp(torch.lgamma(t)))", "pos",
                  shapes=("py",))
    return rows


def _more_numpy():
    rows = [
        Case("lstsq-tall", "np.linalg.lstsq(a, b)",
             "(torch.linalg.pinv(a) @ b, torch.sum((b - a @ (torch.linalg.pinv(a) @ b)) ** 2, "
             "0, keepdim=True))", {"a": (4, 3), "b": (4,)},
             post="np.sum(r[0] * W3) + np.sum(r[1])",
             twin_post="torch.sum(r[0] * W3) + torch.sum(r[1])", rtol=1e-6),
        Case("lstsq-matrix-b", "np.linalg.lstsq(a, b, rcond=None)",
             "(torch.linalg.pinv(a) @ b, "
             "torch.sum(torch.abs(b - a @ (torch.linalg.pinv(a) @ b)) ** 2, 0))",
             {"a": (4, 3), "b": (4, 2)}, post="np.sum(r[0] ** 2) + np.sum(r[1] * W2)",
             twin_post="torch.sum(r[0] ** 2) + torch.sum(r[1] * W2)", rtol=1e-6),
        Case("lstsq-wide-x", "np.linalg.lstsq(a, b)", "torch.linalg.pinv(a) @ b",
             {"a": (2, 3), "b": (2,)}, post="np.sum(r[0] * W3)",
             twin_post="torch.sum(r * W3)", rtol=1e-6, jvp=False),
        Case("lstsq-singular-values", "np.linalg.lstsq(a, b)", "torch.linalg.svdvals(a)",
             {"a": (4, 3), "b": (4,)}, post="np.sum(r[3] * W3)",
             twin_post="torch.sum(r * W3)", rtol=1e-6, jvp=False),
        Case("eig", "np.linalg.eig(a)", "torch.linalg.eig(a)", {"a": (3, 3)},
             domain="realeig", post="np.sum(r[0] * W3) + np.sum(r[1] ** 2 * W33)",
             twin_post="torch.sum(r[0].real * W3) + torch.sum(torch.abs(r[1]) ** 2 * W33)",
             rtol=1e-6, jvp=False),
        Case("eig-values", "np.linalg.eig(a)", "torch.linalg.eig(a)", {"a": (3, 3)},
             domain="realeig", post="np.sum(r[0] * W3)",
             twin_post="torch.sum(r[0].real * W3)", rtol=1e-6, jvp=False),
        Case("eigvals", "np.linalg.eigvals(a)", "torch.linalg.eigvals(a).real", {"a": (3, 3)},
             domain="realeig", rtol=1e-6, jvp=False),
        Case("gradient-1d", "np.gradient(a)", "torch.gradient(a)[0]", {"a": (5,)}),
        Case("gradient-spacing-axis", "np.gradient(a, 0.5, axis=1)",
             "torch.gradient(a, spacing=0.5, dim=1)[0]", {"a": (3, 4)}),
        Case("gradient-coordinates", "np.gradient(a, T5)",
             "torch.gradient(a, spacing=(T5,))[0]", {"a": (5,)}),
        Case("gradient-2d-edge2", "np.gradient(a, edge_order=2)",
             "torch.gradient(a, edge_order=2)", {"a": (3, 4)},
             post="np.sum(r[0] * W34) + np.sum(r[1] ** 2)",
             twin_post="torch.sum(r[0] * W34) + torch.sum(r[1] ** 2)"),
        Case("select", "np.select([MASK3, MASK3B], [a, b], c)",
             "torch.where(MASK3, a, torch.where(MASK3B, b, c))",
             {"a": (3,), "b": (), "c": ()}),
        Case("select-default-0", "np.select([MASK23], [a])",
             "torch.where(MASK23, a, torch.zeros(()))", {"a": (2, 3)}),
        Case("partition", "np.partition(a, 1)", "torch.sort(a).values", {"a": (4,)},
             domain="distinct", post="3.0 * r[1] + 2.0 * np.sum(r[:1]) + np.sum(r[2:] ** 2)",
             twin_post="3.0 * r[1] + 2.0 * torch.sum(r[:1]) + torch.sum(r[2:] ** 2)",
             jvp=False),
        Case("partition-axis", "np.partition(a, 2, axis=0)", "torch.sort(a, 0).values",
             {"a": (4, 3)}, domain="distinct",
             post="np.sum(r[2] * W3) + np.sum(r[:2] ** 2) + np.sum(r[3:] * 0.5)",
             twin_post="torch.sum(r[2] * W3) + torch.sum(r[:2] ** 2) + torch.sum(r[3:] * 0.5)",
             jvp=False),
        Case("rollaxis-back", "np.rollaxis(a, 2)", "torch.movedim(a, 2, 0)", {"a": (2, 3, 4)}),
        Case("rollaxis-forward", "np.rollaxis(a, 0, 3)", "torch.movedim(a, 0, 2)",
             {"a": (2, 3, 4)}),
        Case("rollaxis-negative", "np.rollaxis(a, -1, 1)", "torch.movedim(a, -1, 1)",
             {"a": (2, 3, 4)}),
        Case("interp", "np.interp(a, XP5, b)", "t_interp(a, XP5, b)",
             {"a": (6,), "b": (5,)}),
        Case("interp-bounds", "np.interp(a, XP5, b, left=c, right=d)",
             "t_interp(a, XP5, b, c, d)", {"a": (6,), "b": (5,), "c": (), "d": ()}),
        Case("interp-scalar-x", "np.interp(a, XP5, b)", "t_interp(a, XP5, b)",
             {"a": ((), "unit"), "b": (5,)}),
        Case("polyval", "np.polyval(a, b)", "t_polyval(a, b)", {"a": (4,), "b": (3,)}),
        Case("polyval-2d-x", "np.polyval(a, b)", "t_polyval(a, b)", {"a": (3,), "b": (2, 3)}),
        Case("trapezoid", "np.trapezoid(a)", "torch.trapezoid(a)", {"a": (5,)}),
        Case("trapezoid-x", "np.trapezoid(a, b)", "torch.trapezoid(a, b)",
             {"a": (5,), "b": (5,)}),
        Case("trapezoid-x-axis", "np.trapezoid(a, b, axis=0)", "torch.trapezoid(a, b, dim=0)",
             {"a": (5, 2), "b": (5,)}),
        Case("trapezoid-dx", "np.trapezoid(a, dx=c, axis=0)", "c * torch.trapezoid(a, dim=0)",
             {"a": (4, 3), "c": ((), "pos")}),
        Case("dot[2x3x4,5x4x2]", "np.dot(a, b)", "torch.tensordot(a, b, dims=([2], [1]))",
             {"a": (2, 3, 4), "b": (5, 4, 2)}),
        Case("dot[3x4,5x4x2]", "np.dot(a, b)", "torch.tensordot(a, b, dims=([1], [1]))",
             {"a": (3, 4), "b": (5, 4, 2)}),
        Case("dot[4,2x4x3]", "np.dot(a, b)", "torch.tensordot(a, b, dims=([0], [1]))",
             {"a": (4,), "b": (2, 4, 3)}),
        Case("column_stack-one-array", "np.column_stack(a)", "a[None, :]", {"a": (3,)}),
        Case("column_stack-rows-of-a-matrix", "np.column_stack(a)", "a.T", {"a": (2, 3)}),
    ]
    if special is not None:
        rows += [
            Case("expm", "scipy.linalg.expm(a)", "torch.linalg.matrix_exp(a)", {"a": (3, 3)},
                 domain="unit", rtol=1e-6),
            Case("expm-batched", "scipy.linalg.expm(a)", "torch.linalg.matrix_exp(a)",
                 {"a": (2, 3, 3)}, domain="unit", rtol=1e-6),
        ]
        for mode in ("full", "same", "valid"):
            rows.append(Case(f"signal.convolve-{mode}", f"scipy.signal.convolve(a, b, '{mode}')",
                             f"t_convolve(a, b, '{mode}')", {"a": (5,), "b": (3,)}))
        rows.append(Case("signal.convolve-2d", "scipy.signal.convolve(a, b)",
                         "t_convolve2d(a, b)", {"a": (3, 4), "b": (2, 2)}))
    return rows


CASES = CASES + _more_special() + _more_numpy()
