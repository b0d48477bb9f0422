"""Runtime support for functions written against the array API standard:
`xp = x.__array_namespace__()` (or `array_api_compat.array_namespace(x)`),
then `xp.exp`, `xp.sum`, `@`, indexing.

Two parts:

* `FUNCTIONS`: one `NamespaceFunction` per function of the standard that has a
  rule (rules/namespace_rules.py). passes/array_namespace.py rewrites
  `xp.exp(x)` into `xp_exp(xp, x)`, a call of the object that calls
  `xp.exp(x)`, so that the rule table finds it when compiling, although `xp`
  is known only when the code runs.
* The namespace versions of the helpers generated code calls (`unbroadcast`,
  `zeros_like`, `as_gradient`, `getitem_adjoint`, ...): `NAMESPACE_HELPERS`,
  which a compilation of such a function binds in place of runtime.core's.
  Each computes with the namespace of its array arguments
  (`type(x).__array_namespace__`) when one of them implements only the array
  API standard (array_api_strict, JAX), and hands everything else (NumPy,
  dask, CuPy, Python numbers) to runtime.core's version unchanged. Nothing is
  converted to NumPy. A helper with no namespace version refuses such an
  array (`guarded`) rather than let NumPy convert it.

    >>> FUNCTIONS["exp"](np, np.zeros(2))
    array([1., 1.])
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ComplexValueError, NoDerivativeRuleError, NonScalarOutputError, \
    SeedShapeError
from . import core, effects, records
from .arrays import DictAdjoint, ListAdjoint, SequenceAdjoint, is_zero_number, \
    refuse_integer_dtype, sequence_adjoint

_NUMPY = (np.ndarray, np.generic)


def is_array_api_only(x) -> bool:
    """An array that implements the array API standard and no NumPy dispatch
    (array_api_strict, JAX), or that array-api-compat gives a namespace to
    (a torch tensor): NumPy's functions would convert it.

        >>> is_array_api_only(np.ones(2)), is_array_api_only(2.0)
        (False, False)
    """
    kind = type(x)
    if kind in _KNOWN:
        return _KNOWN[kind]
    if isinstance(x, type):
        answer = False  # a class (a dtype passed as np.int64), whose methods are unbound
    elif isinstance(x, _NUMPY) or hasattr(kind, "__array_function__"):
        answer = False  # NumPy's, dask's, CuPy's: runtime.core's helpers take them
    elif hasattr(kind, "__array_namespace__"):
        answer = True
    else:
        answer = _compat_namespace(x) is not None
    _KNOWN[kind] = answer
    return answer


class MemoCache(dict):
    """Results remembered by their argument (here a type). A module that
    `ad.export` writes starts with its own empty one: the entries are facts
    about this process's classes, which an export cannot spell."""


_KNOWN = MemoCache()  # type -> is_array_api_only


def _compat_namespace(x):
    """array-api-compat's namespace for an array without __array_namespace__
    of its own (torch's), or None (without array-api-compat, or for a number)."""
    if isinstance(x, (int, float, complex, bool)) or x is None:
        return None
    try:
        import array_api_compat
    except ImportError:
        return None
    if not array_api_compat.is_array_api_obj(x):
        return None
    return array_api_compat.array_namespace(x)


def namespace_of(x):
    """The array API namespace of an array that implements only the standard."""
    if hasattr(type(x), "__array_namespace__"):
        return x.__array_namespace__()
    return _compat_namespace(x)


def own_namespace(x):
    """`x.__array_namespace__()`, as passes/array_namespace.py writes it: a
    call the rule table knows (it has no derivative).

        >>> own_namespace(np.ones(2)) is np
        True
    """
    return x.__array_namespace__()


class NamespaceFunction:
    """The function `path` (`"exp"`, `"linalg.inv"`) of the namespace passed
    first: `NamespaceFunction("exp")(xp, x)` is `xp.exp(x)`.

        >>> NamespaceFunction("linalg.det")(np, np.eye(2))
        np.float64(1.0)
    """

    def __init__(self, path: str):
        self.path = path
        self.parts = tuple(path.split("."))
        self.__name__ = "xp_" + "_".join(self.parts)
        self.__qualname__ = path  # describe_callable names it xp.<path>
        self.__module__ = "xp"

    def __call__(self, xp, *args, **keywords):
        function = xp
        for part in self.parts:
            function = getattr(function, part)
        return function(*args, **keywords)

    def __repr__(self):
        return f"xp.{self.path}"


# The functions of the standard (and the NumPy spellings that array-api-compat's
# and JAX's namespaces also have) that rules/namespace_rules.py covers.
NAMES = """
    add subtract multiply divide pow power negative positive square sqrt exp expm1 log
    log1p log2 log10 sin cos tan asin acos atan atan2 arcsin arccos arctan arctan2 sinh
    cosh tanh asinh acosh atanh arcsinh arccosh arctanh abs maximum minimum logaddexp
    hypot where clip sum mean max min var std cumulative_sum matmul vecdot take
    reshape permute_dims transpose matrix_transpose expand_dims squeeze flip
    broadcast_to concat concatenate stack astype asarray
    linalg.inv linalg.det linalg.solve linalg.vector_norm linalg.outer linalg.matmul
    linalg.matrix_transpose linalg.trace linalg.vecdot
    zeros ones empty zeros_like ones_like empty_like full arange eye
    argmax argmin argsort equal not_equal greater greater_equal less
    less_equal logical_and logical_or logical_not logical_xor isnan isinf isfinite
    floor ceil round trunc sign signbit all any nonzero count_nonzero unique_values
    isdtype result_type finfo iinfo can_cast
""".split()
FUNCTIONS = {name: NamespaceFunction(name) for name in NAMES}


def function_for(path: str) -> NamespaceFunction:
    """The one NamespaceFunction of `path` (made for a path without a rule too:
    a call of it is refused once its result carries a derivative)."""
    if path not in FUNCTIONS:
        FUNCTIONS[path] = NamespaceFunction(path)
    return FUNCTIONS[path]


def array_T(x):
    """`x.T`, the standard's transpose of a matrix (any array type's own)."""
    return x.T


def array_mT(x):
    """`x.mT`, the standard's transpose of a stack of matrices."""
    return x.mT


ARRAY_ATTRIBUTES = {"T": array_T, "mT": array_mT}


# -- helpers generated code calls ---------------------------------------------

def _is_api(*values) -> bool:
    return any(is_array_api_only(v) for v in values)


def _float_dtype(xp, x):
    """x's dtype if it is a real floating one, else the namespace's float64."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and xp.isdtype(dtype, "real floating"):
        return dtype
    return xp.float64


def unbroadcast(g, x):
    """runtime.core.unbroadcast: `g` summed down to the shape of operand `x`."""
    if not is_array_api_only(g):
        if is_array_api_only(x):
            return g  # a number, which broadcasts as it is
        return core.unbroadcast(g, x)
    if isinstance(x, (SequenceAdjoint, ListAdjoint, DictAdjoint, tuple, list, dict)):
        return g
    _refuse_complex(g, "a derivative", "a function of arrays of the array API standard")
    xp = namespace_of(g)
    shape = tuple(getattr(x, "shape", ()))
    extra = g.ndim - len(shape)
    if extra > 0:
        g = xp.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    return g


def broadcast_like(t, result):
    """runtime.core.broadcast_like: a tangent spread to the result's shape."""
    if not is_array_api_only(result):
        return core.broadcast_like(t, result)
    xp = namespace_of(result)
    if not is_array_api_only(t):
        return xp.full(result.shape, t, dtype=_float_dtype(xp, result))
    _refuse_complex(t, "a tangent", "a function of arrays of the array API standard")
    return t if t.shape == result.shape else xp.broadcast_to(t, result.shape)


def zeros_like(x):
    """runtime.core.zeros_like: a zero derivative of x's structure and shape."""
    if isinstance(x, tuple):
        return SequenceAdjoint(zeros_like(element) for element in x)
    if isinstance(x, list):
        return ListAdjoint(zeros_like(element) for element in x)
    if isinstance(x, dict):
        return DictAdjoint({key: zeros_like(value) for key, value in x.items()})
    if is_array_api_only(x):
        xp = namespace_of(x)
        return xp.zeros_like(x, dtype=_float_dtype(xp, x))
    return core.zeros_like(x)


def add_adjoints(a, b):
    """runtime.core.add_adjoints, where a plain zero or None meets an array."""
    if not (is_array_api_only(a) or is_array_api_only(b)):
        if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and \
                len(a) == len(b) and any(_is_api(v) for v in (*a, *b)):
            return (ListAdjoint if isinstance(a, list) else tuple)(
                add_adjoints(x, y) for x, y in zip(a, b))
        if isinstance(a, dict) and isinstance(b, dict) and \
                any(_is_api(v) for v in (*a.values(), *b.values())):
            return {**b, **{key: add_adjoints(value, b[key]) if key in b else value
                            for key, value in a.items()}}
        return core.add_adjoints(a, b)
    if b is None or is_zero_number(b):
        return a
    if a is None or is_zero_number(a):
        return b
    return a + b


def add_into(total, contribution):
    """runtime.core.add_into: a new sum for these arrays (a JAX array cannot
    be changed in place)."""
    if is_array_api_only(total) or is_array_api_only(contribution):
        return add_adjoints(total, contribution)
    return core.add_into(total, contribution)


def _refuse_complex(value, what, where):
    """ComplexValueError for a complex array of the standard: the namespace
    rules are those of real arrays (abs, vecdot and the adjoints take no
    conjugates)."""
    if xp_isdtype(value, "complex floating"):
        raise ComplexValueError(
            f"{what} of {where} is complex ({value.dtype}); adcompiler differentiates real "
            "arrays of the array API standard only",
            help="For complex values pass NumPy arrays (np.from_dlpack(x) shares a CPU "
            "array's memory), whose complex derivatives adcompiler has (docs/complex.md).")


def xp_isdtype(value, kind) -> bool:
    """Whether an array of the standard has a dtype of `kind`."""
    return namespace_of(value).isdtype(value.dtype, kind)


def refuse_complex_arguments(leaves) -> None:
    """The entry points' check of the arguments of a function written
    against the standard: its complex arrays are refused (ComplexValueError)."""
    for leaf in leaves:
        if is_array_api_only(leaf):
            _refuse_complex(leaf, "an argument", "a function of arrays of the array API "
                            "standard")


def scalar_seed(result, where):
    """runtime.core.scalar_seed: ones of a 0-d result's dtype (a lazy one stays lazy)."""
    if not is_array_api_only(result):
        return core.scalar_seed(result, where)
    _refuse_complex(result, "the result", where)
    if result.ndim and math.prod(result.shape) != 1:
        raise NonScalarOutputError(
            f"{where} returns an array of shape {tuple(result.shape)}; grad needs a scalar "
            "output",
            help="Reduce the result to a scalar (xp.sum, xp.mean, a loss), or use "
            "adcompiler.vjp(f) and pass a seed of that shape.")
    return namespace_of(result).ones_like(result)


def checked_seed(seed, result, where):
    """runtime.core.checked_seed for a result of the standard's arrays: a
    seed of its shape, in its namespace (a Python number becomes one)."""
    if isinstance(result, (tuple, list)) and isinstance(seed, (tuple, list)) and \
            len(seed) == len(result) and _is_api(*result):
        seeds = [checked_seed(s, r, where) for s, r in zip(seed, result)]
        return tuple(seeds) if isinstance(result, tuple) else seeds
    if not is_array_api_only(result):
        return core.checked_seed(seed, result, where)
    shape = tuple(getattr(seed, "shape", ()))
    if shape != tuple(result.shape):
        raise SeedShapeError(
            f"the seed passed to the vjp of {where} has shape {shape}, but the function "
            f"returns shape {tuple(result.shape)}",
            help="Pass a seed with exactly the shape of the function's result.")
    xp = namespace_of(result)
    if isinstance(seed, (int, float)):
        return xp.full(result.shape, float(seed), dtype=_float_dtype(xp, result))
    if not is_array_api_only(seed):
        raise NoDerivativeRuleError(
            f"the seed passed to the vjp of {where} is a {type(seed).__name__}, the result "
            f"a {type(result).__module__.split('.')[0]}.{type(result).__name__}",
            help="Pass a seed of the result's array type (xp.asarray(seed)).")
    return seed


def as_gradient(adjoint, x):
    """runtime.core.as_gradient: the gradient of an argument of the standard's
    arrays is an array of its type, shape and (floating) dtype."""
    if adjoint is None or (isinstance(x, (tuple, list, dict)) and is_zero_number(adjoint)):
        adjoint = zeros_like(x)
    if isinstance(x, (tuple, list)):
        return (list if isinstance(x, list) else tuple)(
            as_gradient(a, e) for a, e in zip(adjoint, x))
    if isinstance(x, dict):
        return {key: as_gradient(adjoint[key], value) for key, value in x.items()}
    if is_array_api_only(x):
        _refuse_complex(x, "an argument", "a derivative")
        xp = namespace_of(x)
        dtype = _float_dtype(xp, x)
        if not is_array_api_only(adjoint):
            return xp.full(x.shape, float(adjoint), dtype=dtype)
        if tuple(adjoint.shape) != tuple(x.shape):
            adjoint = xp.broadcast_to(adjoint, x.shape)
        return adjoint if adjoint.dtype == dtype else xp.astype(adjoint, dtype)
    if is_array_api_only(adjoint):
        if isinstance(x, (float, int)):
            return float(adjoint)
        return adjoint  # a NumPy argument met the data's library: its type, as for dask
    return core.as_gradient(adjoint, x)


def _index_parts(index):
    return index if isinstance(index, tuple) else (index,)


def _scatter(xp, fresh, index, value, what):
    """fresh[index] += value for a new array `fresh`, returned. JAX arrays are
    immutable (`.at[index].add`). One integer array indexing the first axis
    is a product with its one-hot matrix (repeats add up); other indices are
    the standard's `fresh[index] = v`, the same where no position repeats,
    with `None` (a new axis) left out."""
    if hasattr(fresh, "at"):
        return fresh.at[index].add(value)
    parts = _index_parts(index)
    # (Any library's: xp.take of NumPy arrays comes here too.)
    integer_arrays = [p for p in parts if isinstance(p, list) or (
        hasattr(p, "dtype") and getattr(p, "ndim", 0) > 0 and xp.isdtype(p.dtype, "integral"))]
    if len(parts) == 1 and integer_arrays and xp.asarray(integer_arrays[0]).ndim == 1:
        rows = xp.asarray(integer_arrays[0])
        rows = xp.where(rows < 0, rows + fresh.shape[0], rows)
        one_hot = xp.astype(xp.expand_dims(rows, axis=1) ==
                            xp.expand_dims(xp.arange(fresh.shape[0], dtype=rows.dtype), axis=0),
                            fresh.dtype)
        flat = xp.reshape(xp.broadcast_to(value, (rows.shape[0], *fresh.shape[1:])),
                          (rows.shape[0], -1))
        return xp.reshape(xp.matmul(xp.matrix_transpose(one_hot), flat), fresh.shape)
    if integer_arrays:
        raise NoDerivativeRuleError(
            f"the derivative of {what} a {type(fresh).__module__.split('.')[0]}."
            f"{type(fresh).__name__} with {index!r} has no rule for arrays of the array API "
            "standard (integer arrays are covered alone, on the first axis)",
            help="Index with slices, integers, masks, or one integer array on the first "
            "axis (x[rows]).")
    kept = tuple(p for p in parts if p is not None)
    try:
        fresh[kept] = xp.reshape(value, fresh[kept].shape) if len(kept) < len(parts) \
            else value
    except (IndexError, TypeError, ValueError) as err:
        raise NoDerivativeRuleError(
            f"the derivative of {what} a {type(fresh).__module__.split('.')[0]}."
            f"{type(fresh).__name__} with {index!r} writes at those positions, which this "
            f"library refuses ({err})",
            help="Index with slices, integers, masks, or one integer array on the first "
            "axis (x[rows]).") from err
    return fresh


def _repeats(xp, positions) -> bool:
    positions = xp.asarray(positions)
    return xp.unique_values(positions).shape[0] != positions.shape[0]


def getitem_adjoint(g, x, index):
    """runtime.core.getitem_adjoint: g put at the positions read, zeros elsewhere."""
    if isinstance(x, (tuple, list, dict)):
        return _sequence_piece(g, x, index)
    if not is_array_api_only(x):
        return core.getitem_adjoint(g, x, index)
    xp = namespace_of(x)
    fresh = xp.zeros(x.shape, dtype=_float_dtype(xp, x))
    return _scatter(xp, fresh, index, g, "reading")


def _sequence_piece(g, x, index):
    """The adjoint of `x[index]` for a tuple or list x whose read entry got g."""
    if isinstance(x, dict):
        return DictAdjoint({key: g if key == index else zeros_like(value)
                            for key, value in x.items()})
    pieces = [zeros_like(element) for element in x]
    if isinstance(index, slice):
        for position, piece in zip(range(len(x))[index], g):
            pieces[position] = piece
    else:
        pieces[index] = g
    return sequence_adjoint(pieces, x)


def setitem(x, index, value):
    """runtime.core.setitem: a copy of x with x[index] = value (JAX: `.at[].set`)."""
    if not is_array_api_only(x):
        return core.setitem(x, index, value)
    xp = namespace_of(x)
    if hasattr(x, "at"):
        return x.at[index].set(value)
    dtype = _float_dtype(xp, x) if is_array_api_only(value) or isinstance(value, float) \
        else x.dtype
    updated = xp.asarray(x, dtype=dtype, copy=True)
    updated[index] = value
    return updated


def _truncates_writes(into) -> bool:
    """runtime.core.truncates_writes for any array: one of integers or booleans
    (JAX's `.at[].set` keeps its type; setitem makes other arrays floating)."""
    if not is_array_api_only(into):
        return core.truncates_writes(into)
    return namespace_of(into).isdtype(into.dtype, ("integral", "bool"))


def setitem_value_adjoint(g, index, value, into):
    """runtime.core.setitem_value_adjoint: g at the written positions, summed
    to the value's shape (an integer index with repeats is refused); zero
    where `into` truncates what it is given."""
    if _truncates_writes(into):
        return zeros_like(value)
    if not is_array_api_only(g):
        return core.setitem_value_adjoint(g, index, value, into)
    xp = namespace_of(g)
    integer_arrays = [p for p in _index_parts(index)
                      if isinstance(p, list) or (is_array_api_only(p) and
                                                 xp.isdtype(p.dtype, "integral"))]
    if len(integer_arrays) > 1 or (integer_arrays and _repeats(xp, integer_arrays[0])):
        raise NoDerivativeRuleError(
            f"the derivative of writing into a {type(g).__name__} at {index!r} needs to "
            "know which of the repeated positions' writes is kept",
            help="Write with slices, integers or one integer array without repeats.")
    return unbroadcast(g[index], value)


def setitem_value_tangent(tangent, index, into):
    """runtime.core.setitem_value_tangent: zeros of into's shape holding the
    tangent at index, or only zeros where `into` truncates what it is given."""
    zeros = zeros_like(into)
    return zeros if _truncates_writes(into) else setitem(zeros, index, tangent)


def matmul_adjoint_a(g, a, b):
    """runtime.core.matmul_adjoint_a: the adjoint of a @ b for a."""
    if not _is_api(g, a, b):
        return core.matmul_adjoint_a(g, a, b)
    xp = namespace_of(g if is_array_api_only(g) else a if is_array_api_only(a) else b)
    if b.ndim == 1:
        grad = xp.expand_dims(g, axis=-1) * b if a.ndim > 1 else g * b
    elif a.ndim == 1:
        grad = xp.matmul(b, xp.expand_dims(g, axis=-1))[..., 0]
    else:
        grad = xp.matmul(g, xp.matrix_transpose(b))
    return unbroadcast(grad, a)


def matmul_adjoint_b(g, a, b):
    """runtime.core.matmul_adjoint_b: the adjoint of a @ b for b."""
    if not _is_api(g, a, b):
        return core.matmul_adjoint_b(g, a, b)
    xp = namespace_of(g if is_array_api_only(g) else a if is_array_api_only(a) else b)
    if a.ndim == 1:
        grad = xp.expand_dims(a, axis=-1) * xp.expand_dims(g, axis=-2) if b.ndim > 1 \
            else g * a
    elif b.ndim == 1:
        grad = xp.matmul(xp.matrix_transpose(a), xp.expand_dims(g, axis=-1))[..., 0]
    else:
        grad = xp.matmul(xp.matrix_transpose(a), g)
    return unbroadcast(grad, b)


def _zero_base(x, y):
    """The namespace of x, y (one an array of the standard), x as one of its
    arrays, and where x == 0 <= y: there x ** y is constant in y."""
    xp = namespace_of(next(v for v in (x, y) if is_array_api_only(v)))
    x = xp.asarray(x) if not is_array_api_only(x) else x
    y = xp.asarray(y) if not is_array_api_only(y) else y
    return xp, x, (x == 0) & (y >= 0)


def power_slope(x, y, order=1):
    """runtime.arrays.power_slope: d^order(x ** y)/dx^order, 0 where its factor
    y (y - 1) ... is 0."""
    return power_partial(x, y, order, 0)


def power_partial(x, y, m, n):
    """runtime.arrays.power_partial: d^m/dx^m d^n/dy^n of x ** y, its terms
    masked where their factor is 0 and, with log(x), where x == 0 <= y - m;
    with n > 0, at x == 0 the limit 0 where y > m, nan where y <= m."""
    if not _is_api(x, y):
        from .arrays import power_partial as numpy_power_partial
        return numpy_power_partial(x, y, m, n)
    xp, base, _ = _zero_base(x, y)
    exponent = xp.asarray(y, dtype=base.dtype) if not is_array_api_only(y) else y
    falling = np.poly1d([1.0])
    for i in range(m):
        falling = falling * np.poly1d([1.0, -float(i)])
    power = base ** (exponent - m)
    total = xp.zeros_like(power)
    for k in range(n + 1):
        factor = falling
        for _ in range(n - k):
            factor = factor.deriv()
        coefficient = 0.0 * exponent
        for c in factor.coeffs:          # Horner, in the namespace
            coefficient = coefficient * exponent + float(c)
        coefficient = math.comb(n, k) * coefficient
        term = xp.where(coefficient == 0, xp.zeros_like(power), coefficient * power)
        if k:
            masked = (base == 0) & (exponent - m >= 0)
            safe = xp.where(masked, xp.ones_like(base), base)
            term = xp.where(masked, xp.zeros_like(power), term * xp.log(safe) ** k)
        total = total + term
    if n:
        total = zero_base_masked(total, base, exponent, m)
    return total


def power_log(x, y, power):
    """runtime.arrays.power_log: d(x ** y)/dy, 0 where x == 0 <= y."""
    if not _is_api(x, y, power):
        from .arrays import power_log as numpy_power_log
        return numpy_power_log(x, y, power)
    return power * base_log(x, y)


def zero_base_masked(value, base, exponent, above=None):
    """runtime.arrays.zero_at_zero_base: `value`, 0 where base == 0 <= exponent
    (power_log's partial derivatives are masked there as it is); with
    `above`, where base == 0: 0 where exponent > above, nan elsewhere."""
    if not _is_api(value, base, exponent):
        from .arrays import zero_at_zero_base
        return zero_at_zero_base(value, base, exponent, above)
    xp, base, zero_base = _zero_base(base, exponent)
    value = xp.asarray(value) if not is_array_api_only(value) else value
    if above is None:
        return xp.where(zero_base, xp.zeros_like(value), value)
    exponent = xp.asarray(exponent) if not is_array_api_only(exponent) else exponent
    at_zero = base == 0
    return xp.where(at_zero & (exponent > above), xp.zeros_like(value),
                    xp.where(at_zero, xp.full_like(value, math.nan), value))


def base_log(x, y):
    """log(x), 0 where x == 0 <= y (the factor of power_log's derivative in
    x ** y, which is masked there)."""
    if not _is_api(x, y):
        from .arrays import zero_at_zero_base
        with np.errstate(divide="ignore", invalid="ignore"):
            return zero_at_zero_base(np.log(x), x, y)
    xp, x, zero_base = _zero_base(x, y)
    return xp.where(zero_base, xp.zeros_like(x), xp.log(xp.where(zero_base, xp.ones_like(x), x)))


def sign(x):
    """runtime.core.sign."""
    if is_array_api_only(x):
        return namespace_of(x).sign(x)
    return core.sign(x)


def abs_adjoint(g, x):
    """runtime.complex_numbers.abs_adjoint for real arrays of the standard."""
    if is_array_api_only(x):
        _refuse_complex(x, "the argument of abs", "a derivative")
        return g * namespace_of(x).sign(x)
    from .complex_numbers import abs_adjoint as numpy_abs_adjoint
    return numpy_abs_adjoint(g, x)


def abs_tangent(g, x):
    """runtime.complex_numbers.abs_tangent for real arrays of the standard."""
    if is_array_api_only(x):
        _refuse_complex(x, "the argument of abs", "a derivative")
        return g * namespace_of(x).sign(x)
    from .complex_numbers import abs_tangent as numpy_abs_tangent
    return numpy_abs_tangent(g, x)


def sum_items_adjoint(g, items):
    """runtime.core.sum_items_adjoint: Python's sum() of a list of arrays."""
    if is_array_api_only(items):
        xp = namespace_of(items)
        return xp.zeros(items.shape, dtype=_float_dtype(xp, items)) + \
            unbroadcast(g, xp.zeros(items.shape[1:]))
    if isinstance(items, (list, tuple)) and (is_array_api_only(g) or _is_api(*items)):
        return sequence_adjoint((unbroadcast(g, item) for item in items), items)
    return core.sum_items_adjoint(g, items)


def _shares_memory(a, b) -> bool:
    """Whether two arrays of the standard share memory. The standard leaves
    views to each library (array_api_strict's slices are views, JAX's arrays
    are never written); DLPack shows the memory of a CPU array without a copy."""
    try:
        return bool(np.shares_memory(np.from_dlpack(a), np.from_dlpack(b)))
    except (TypeError, ValueError, RuntimeError, BufferError, AttributeError) as err:
        raise NoDerivativeRuleError(
            f"a {type(a).__module__.split('.')[0]}.{type(a).__name__} is changed in place "
            "while another name holds a part of it (a slice read before the write); "
            "whether that part sees the change is up to the array library, and adcompiler "
            "cannot ask this one (its memory is not readable through DLPack on the CPU)",
            help="Copy the part you read before the write (xp.asarray(y[0:2], copy=True)), "
            "or read it after the write.") from err


def _numpy_view(x):
    """The memory of a CPU array of the standard, as a NumPy array (no copy),
    for the checks of shared memory only: nothing is computed with it."""
    try:
        return np.from_dlpack(x)
    except (TypeError, ValueError, RuntimeError, BufferError, AttributeError) as err:
        raise NoDerivativeRuleError(
            f"a {type(x).__module__.split('.')[0]}.{type(x).__name__} is changed in place "
            "where adcompiler must know which other names see the change, and cannot ask "
            "this library (its memory is not readable through DLPack on the CPU)",
            help="Copy the array before changing it in place (y = xp.asarray(y, copy=True)), "
            "or write y = y + v instead of y += v.") from err


def _views(values, memo: dict) -> tuple:
    """`values` with each array of the standard replaced by a NumPy view of its
    memory (the same view for the same array, so identities are kept)."""
    viewed = []
    for value in values:
        if is_array_api_only(value):
            if id(value) not in memo:
                memo[id(value)] = _numpy_view(value)
            value = memo[id(value)]
        viewed.append(value)
    return tuple(viewed)


def check_unshared(updated, operator, others, names, where):
    """runtime.effects.check_unshared, with the memory of arrays of the standard."""
    if not _is_api(updated, *others):
        return effects.check_unshared(updated, operator, others, names, where)
    if operator is not None and not hasattr(type(updated), f"__i{operator}__"):
        return None  # `x op= v` binds a new array (JAX's are immutable)
    memo: dict = {}
    (updated,), others = _views((updated,), memo), _views(others, memo)
    return effects.check_unshared(updated, operator, others, names, where)


def check_distinct(updated, others, names, call, where):
    """runtime.effects.check_distinct, with the memory of arrays of the standard."""
    if not _is_api(updated, *others):
        return effects.check_distinct(updated, others, names, call, where)
    memo: dict = {}
    (updated,), others = _views((updated,), memo), _views(others, memo)
    return effects.check_distinct(updated, others, names, call, where)


def check_not_held(olds, news, changed, holders, names, where):
    """runtime.effects.check_not_held, with the memory of arrays of the standard."""
    if not _is_api(*olds, *news, *holders):
        return effects.check_not_held(olds, news, changed, holders, names, where)
    memo: dict = {}
    return effects.check_not_held(_views(olds, memo), _views(news, memo), changed,
                                  _views(holders, memo), names, where)


def is_view_of(base, derived, how, where="") -> bool:
    """runtime.effects.is_view_of: for arrays of the standard, whether
    `derived` shares base's memory."""
    if is_array_api_only(base) and derived is not base and how != "copy":
        return is_array_api_only(derived) and _shares_memory(base, derived)
    return effects.is_view_of(base, derived, how, where)


def reads_change(base, derived, is_view, changed, element, element_in_place) -> bool:
    """runtime.effects.reads_change: a view of a changed array of the
    standard sees the change."""
    if is_view and is_array_api_only(base) and derived is not base:
        return True
    return effects.reads_change(base, derived, is_view, changed, element, element_in_place)


# The helpers above, by the name generated code calls them (runtime.GENERATED_CODE_HELPERS).
NAMESPACE_HELPERS = {
    "unbroadcast": unbroadcast, "broadcast_like": broadcast_like, "zeros_like": zeros_like,
    "add_adjoints": add_adjoints, "add_into": add_into, "scalar_seed": scalar_seed,
    "checked_seed": checked_seed, "as_gradient": as_gradient,
    "getitem_adjoint": getitem_adjoint, "setitem": setitem,
    "setitem_value_adjoint": setitem_value_adjoint,
    "setitem_value_tangent": setitem_value_tangent, "matmul_adjoint_a": matmul_adjoint_a,
    "matmul_adjoint_b": matmul_adjoint_b, "power_log": power_log, "sign": sign,
    "power_slope": power_slope, "power_partial": power_partial,
    "abs_adjoint": abs_adjoint, "abs_tangent": abs_tangent,
    "sum_items_adjoint": sum_items_adjoint, "is_view_of": is_view_of,
    "reads_change": reads_change, "check_unshared": check_unshared,
    "check_distinct": check_distinct, "check_not_held": check_not_held,
}
# Helpers that never compute with an array's values (they test types, or
# return a value as it is): used as they are.
UNGUARDED = {"np", "math", "in_place_result", "real_values", "sum", "tuple",
             "loop_sequence", "loop_keys", "loop_length_kept", "check_iterated_as_is",
             "check_entry_held", "writes_through",
             "structured_like"}
# A rule template's `/` and `**` (runtime.core.divide and power) compute with
# an array's own operators, NumPy only for Python numbers: used as they are.
UNGUARDED |= {"divide", "power"}
# These read a tuple or list operand as NumPy does and return any array as it
# is (passes/sequence_operands.py).
UNGUARDED |= {"sequence_as_array", "array_tangent"}
# These check a tuple's length and hand the tangent back as it is: the forward
# sweep of add_adjoints, which reverse mode writes for any rule's result that
# may be a tuple (activity.possible_tuples), so an hvp on arrays of the
# standard meets them.
UNGUARDED |= {"sequence_tangent", "sequence_entries"}


_GUARDED: dict = {}


def helper_for(name: str, helper):
    """What a function written against the array API standard calls for the
    helper `name` (runtime.GENERATED_CODE_HELPERS[name] is `helper`): its
    namespace version, the helper itself if it never computes with an
    array, else the helper refusing arrays of the standard (one object per
    name, so that generated code compiled twice is the same)."""
    if name in NAMESPACE_HELPERS:
        return NAMESPACE_HELPERS[name]
    if name in UNGUARDED or not callable(helper):
        return helper
    if name not in _GUARDED:
        _GUARDED[name] = guarded(name, helper)
    return _GUARDED[name]


def guarded(name: str, helper):
    """`helper`, refusing arrays of the array API standard: a NumPy helper
    that has no namespace version would convert them to NumPy arrays.

        >>> guarded("unbroadcast", lambda g, x: g)(1.0, 2.0)
        1.0
    """
    def guarded_helper(*args, **keywords):
        for value in (*args, *keywords.values()):
            if is_array_api_only(value):
                kind = type(value)
                raise NoDerivativeRuleError(
                    f"the derivative code calls {name}, which adcompiler has only for NumPy "
                    f"arrays, with a {kind.__module__.split('.')[0]}.{kind.__name__}: the "
                    "operation it differentiates has no rule for arrays of the array API "
                    "standard",
                    help="Write the operation with the functions of the array's namespace "
                    "(docs/scaling.md lists those with rules), or pass NumPy arrays.")
        return helper(*args, **keywords)

    guarded_helper.__name__ = guarded_helper.__qualname__ = name
    guarded_helper.__wrapped_helper__ = helper
    return guarded_helper


# -- adjoints of the namespace's functions (rules/namespace_rules.py) ----------
# Each takes the namespace `xp` first, as the rule's templates do.

def _axes(axis, ndim: int) -> tuple:
    """The axes a reduction over `axis` (None, an int or a tuple) removes, >= 0."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(a % ndim for a in ((axis,) if isinstance(axis, int) else axis)))


def xp_expand_reduced(xp, g, x, axis, keepdims):
    """A reduction's derivative g, with the reduced axes of x put back (size 1)."""
    if keepdims or x.ndim == 0:
        return g
    g = xp.asarray(g) if not is_array_api_only(g) else g
    for ax in _axes(axis, x.ndim):
        g = xp.expand_dims(g, axis=ax)
    return g


def xp_reduction_count(x, axis) -> float:
    """How many elements each entry of a reduction over `axis` reads."""
    count = 1
    for ax in _axes(axis, x.ndim):
        count *= x.shape[ax]
    return float(count)


def xp_sum_adjoint(xp, g, x, axis, keepdims):
    """Adjoint of xp.sum: g spread back over the summed axes."""
    return xp.broadcast_to(xp_expand_reduced(xp, g, x, axis, keepdims), x.shape)


def xp_extremum_weights(xp, x, result, axis, keepdims):
    """Where x attains its max (min) `result`, divided by the number of ties:
    the adjoint of a tie is shared evenly, as torch.amax does."""
    hit = x == xp_expand_reduced(xp, result, x, axis, keepdims)
    mask = xp.astype(hit, _float_dtype(xp, x))
    return mask / xp.sum(mask, axis=_axes(axis, x.ndim), keepdims=True)


def xp_centred(xp, x, axis):
    return x - xp.mean(x, axis=axis, keepdims=True)


def xp_var_adjoint(xp, g, x, axis, correction, keepdims):
    """Adjoint of xp.var: 2 (x - mean) / (N - correction), times g."""
    scale = 2.0 / (xp_reduction_count(x, axis) - correction)
    return xp_expand_reduced(xp, g, x, axis, keepdims) * xp_centred(xp, x, axis) * scale


def xp_var_tangent(xp, g, x, axis, correction, keepdims):
    scale = 2.0 / (xp_reduction_count(x, axis) - correction)
    return xp.sum(g * xp_centred(xp, x, axis), axis=axis, keepdims=keepdims) * scale


def xp_var_adjoint_x(xp, full, reduced, x, axis, correction, keepdims):
    """The transpose, in x, of xp_var_adjoint and xp_var_tangent (both linear in
    x through x - mean(x)): centred(expand(reduced) * full) * 2 / (N - correction)."""
    scale = 2.0 / (xp_reduction_count(x, axis) - correction)
    return xp_centred(xp, xp_expand_reduced(xp, reduced, x, axis, keepdims) * full, axis) * scale


def xp_joined(xp, pieces, arrays, axis, join):
    """The transpose of xp_concat_adjoint / xp_stack_adjoint: the pieces'
    derivatives joined again, zeros for pieces that got none."""
    filled = [zeros_like(array) if piece is None or is_zero_number(piece) else piece
              for piece, array in zip(pieces, arrays)]
    if join == "stack":
        return xp.stack(filled, axis=axis)
    if axis is None:
        return xp.concat([xp.reshape(piece, (-1,)) for piece in filled], axis=0)
    return xp.concat(filled, axis=axis)


def xp_quotient_or_zero(xp, numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (std's convention)."""
    zero = denominator == 0
    return xp.where(zero, xp.zeros_like(numerator * denominator),
                    numerator / xp.where(zero, xp.ones_like(denominator), denominator))


def xp_where_part(xp, condition, g, chosen):
    """g where `condition` chose this operand (`chosen`), 0 elsewhere."""
    g = g if is_array_api_only(g) else xp.asarray(g)
    keep = condition if chosen else xp.logical_not(condition)
    return xp.where(keep, g, xp.zeros_like(g))


def xp_tie_weights(xp, wins, ties, like):
    """1.0 where `wins`, 0.5 where `ties`, 0.0 elsewhere: how maximum and
    minimum share a derivative (ties evenly, as torch.maximum)."""
    dtype = _float_dtype(xp, like)
    return xp.astype(wins, dtype) + 0.5 * xp.astype(ties, dtype)


def xp_clip_inside(xp, x, lower, upper):
    """1.0 where x is within the bounds (bounds included, as torch.clamp)."""
    inside = xp.ones_like(x) == xp.ones_like(x)
    if lower is not None:
        inside = inside & (x >= lower)
    if upper is not None:
        inside = inside & (x <= upper)
    return xp.astype(inside, _float_dtype(xp, x))


def xp_below(xp, x, bound):
    """1.0 where x is below a lower bound of clip (the bound is the result there)."""
    return xp.astype(x < bound, _float_dtype(xp, x))


def xp_above(xp, x, bound):
    """1.0 where x is above an upper bound of clip."""
    return xp.astype(x > bound, _float_dtype(xp, x))


def xp_inverse_permutation(axes, ndim: int) -> tuple:
    """The axes that undo permute_dims(x, axes) (None: reversed)."""
    if axes is None:
        return tuple(reversed(range(ndim)))
    positive = [a % ndim for a in axes]
    return tuple(positive.index(k) for k in range(ndim))


def xp_cumulative_sum_adjoint(xp, adjoint, x, axis, include_initial):
    """Adjoint of xp.cumulative_sum: the cumulative sum of the adjoint taken
    from the end (without the initial zero's entry)."""
    axis = 0 if axis is None else axis % adjoint.ndim
    if include_initial:
        adjoint = adjoint[(slice(None),) * axis + (slice(1, None),)]
    flipped = xp.flip(adjoint, axis=axis)
    return xp.flip(xp.cumulative_sum(flipped, axis=axis), axis=axis)


def xp_cumulative_sum_transpose(xp, t, x, axis, include_initial):
    """The transpose of xp_cumulative_sum_adjoint (for second derivatives):
    the cumulative sum itself."""
    return xp.cumulative_sum(t, axis=axis, include_initial=include_initial)


def xp_take_adjoint(xp, adjoint, x, indices, axis):
    """Adjoint of xp.take(x, indices, axis): the adjoint's slices added back at
    their indices (repeats add up), as a product with a one-hot matrix."""
    axis = 0 if axis is None else axis % x.ndim
    moved = xp.moveaxis(adjoint, axis, 0) if hasattr(xp, "moveaxis") else \
        xp.permute_dims(adjoint, (axis, *[a for a in range(adjoint.ndim) if a != axis]))
    fresh = xp.zeros((x.shape[axis], *moved.shape[1:]), dtype=_float_dtype(xp, x))
    gathered = _scatter(xp, fresh, (indices,), moved, "xp.take of")
    order = (*range(1, axis + 1), 0, *range(axis + 1, x.ndim))
    return xp.permute_dims(gathered, order)


def xp_axes_or_reversed(axes, ndim: int) -> tuple:
    """The permutation xp.transpose(x, axes) applies (None: reversed)."""
    return tuple(reversed(range(ndim))) if axes is None else tuple(axes)


def xp_concat_adjoint(xp, g, arrays, axis):
    """Adjoint of xp.concat: g cut into pieces of each array's extent."""
    if axis is None:
        pieces, start = [], 0
        for array in arrays:
            size = int(xp_reduction_count(array, None))
            pieces.append(xp.reshape(g[start:start + size], array.shape))
            start += size
        return sequence_adjoint(pieces, arrays)
    axis = axis % g.ndim
    pieces, start = [], 0
    for array in arrays:
        width = array.shape[axis]
        index = (slice(None),) * axis + (slice(start, start + width),)
        pieces.append(g[index])
        start += width
    return sequence_adjoint(pieces, arrays)


def xp_stack_adjoint(xp, g, arrays, axis):
    """Adjoint of xp.stack: the slices of g along the new axis."""
    axis = axis % g.ndim
    return sequence_adjoint([g[(slice(None),) * axis + (k,)] for k in range(len(arrays))],
                            arrays)


def _is_floating(xp, dtype) -> bool:
    return xp.isdtype(dtype, ("real floating", "complex floating"))


def xp_cast_adjoint(xp, g, x, dtype):
    """Adjoint of xp.astype: g in x's floating dtype; 0 through a cast to
    integers or booleans (piecewise constant)."""
    if not _is_floating(xp, dtype):
        return xp.zeros_like(x, dtype=_float_dtype(xp, x))
    if not hasattr(g, "dtype"):
        return g  # a Python number
    return xp.astype(g, _float_dtype(xp, x))


def xp_cast_tangent(xp, g, dtype):
    """Tangent of xp.astype: g cast, 0 through a cast to integers or booleans."""
    if not _is_floating(xp, dtype):
        return xp.zeros_like(g, dtype=dtype)
    return xp.astype(g, dtype)


def xp_asarray_adjoint(xp, g, obj, dtype):
    """Adjoint (and tangent) of xp.asarray(obj, dtype) for an array obj: g,
    or 0 through a cast to integers or booleans."""
    if isinstance(obj, (list, tuple)):
        raise NoDerivativeRuleError(
            "xp.asarray of a list or tuple of differentiated values has no derivative rule "
            "for arrays of the array API standard",
            help="Build the array with xp.stack([...]) instead.")
    if dtype is not None and not _is_floating(xp, dtype):
        return xp.zeros_like(g) if hasattr(g, "dtype") else 0.0
    return g


def xp_trace_adjoint(xp, g, x, offset):
    """Adjoint of xp.linalg.trace: g on the diagonal (`offset`) of each matrix."""
    rows, columns = x.shape[-2], x.shape[-1]
    eye = xp.eye(rows, columns, k=offset, dtype=_float_dtype(xp, x))
    return xp_expand_reduced(xp, g, x, (-2, -1), False) * eye


def xp_check_float_dtype(xp, dtype=None):
    """An integer or boolean `dtype=` rounds the values, whose derivative is
    then zero almost everywhere: refused (runtime.arrays.check_float_dtype)."""
    if dtype is None or xp.isdtype(dtype, ("real floating", "complex floating")):
        return
    refuse_integer_dtype(str(dtype))


def xp_check_two_norm(ord=2):
    """vector_norm's rule covers the 2-norm."""
    if ord != 2:
        raise NoDerivativeRuleError(
            f"xp.linalg.vector_norm with ord={ord!r} has no derivative rule (ord=2 has)",
            help="Write the norm with the namespace's functions (xp.sum(xp.abs(x) ** p) ** "
                 "(1 / p)).")


def xp_checked_two_norm(norm, ord):
    """`norm`, the 2-norm vector_norm returned, after refusing another `ord`
    where it was not known when compiling (the derivative code divides by it)."""
    xp_check_two_norm(ord)
    return norm


# Functions the namespace rules' templates call, by their names.
RULE_HELPERS = {name: globals()[name] for name in """
    xp_sum_adjoint xp_reduction_count xp_extremum_weights xp_var_adjoint
    xp_var_tangent xp_quotient_or_zero xp_where_part xp_tie_weights xp_clip_inside
    xp_inverse_permutation xp_axes_or_reversed xp_concat_adjoint xp_stack_adjoint xp_cast_adjoint
    xp_cast_tangent xp_below xp_above xp_var_adjoint_x xp_joined xp_cumulative_sum_adjoint
    xp_cumulative_sum_transpose xp_take_adjoint
    xp_asarray_adjoint xp_trace_adjoint xp_checked_two_norm zero_base_masked base_log
    array_T array_mT""".split()}


def unit_vectors(x):
    """The unit tangents of every entry of `x`, an array of the standard:
    arrays of its namespace, floating dtype and device, shaped like it, with
    a 1 at one entry (the rows of the identity, in C order), for the
    Jacobians, Hessians and forward-mode gradients api.py builds from them.

        >>> import array_api_strict as xp
        >>> [list(map(float, unit)) for unit in unit_vectors(xp.asarray([3.0, 4.0]))]
        [[1.0, 0.0], [0.0, 1.0]]
    """
    _refuse_complex(x, "an argument or result", "a Jacobian, Hessian or forward-mode grad")
    xp = namespace_of(x)
    size = math.prod(x.shape)
    identity = xp.eye(max(size, 1), dtype=_float_dtype(xp, x), device=x.device)
    for row in range(size):
        yield xp.reshape(identity[row, :], x.shape)


def _leaf_zeros(value):
    if is_array_api_only(value):
        return zeros_of(tuple(value.shape), value)
    return core.zeros_like(value)


def zeros_of(shape: tuple, like):
    """Zeros of `shape`, of the namespace, floating dtype and device of
    `like`, an array of the standard."""
    xp = namespace_of(like)
    return xp.zeros(shape, dtype=_float_dtype(xp, like), device=like.device)


def stacked(pieces: list, axis: int, shape: tuple, like=None):
    """`pieces` stacked along a new `axis` and reshaped to `shape`, in the
    namespace of the first of them that is an array of the standard, else of
    `like`; a number among them (a zero derivative) becomes an array of the
    others' shape.

        >>> import array_api_strict as xp
        >>> stacked([xp.asarray(1.0), 0.0], 0, (2,)).shape
        (2,)
    """
    first = next((piece for piece in pieces if is_array_api_only(piece)), None)
    like = first if first is not None else like
    xp = namespace_of(like)
    dtype = _float_dtype(xp, like)
    piece_shape = () if first is None else tuple(first.shape)
    arrays = [piece if is_array_api_only(piece) else
              xp.full(piece_shape, float(piece), dtype=dtype, device=like.device)
              for piece in pieces]
    return xp.reshape(xp.stack(arrays, axis=axis), shape)


def same_values(a, b) -> bool:
    """Whether two results of the standard's arrays hold the same values
    (NaN equal to NaN), to catch a function that changes between runs."""
    if not (is_array_api_only(a) and is_array_api_only(b)):
        return False
    if tuple(a.shape) != tuple(b.shape):
        return False
    xp = namespace_of(a)
    return bool(xp.all((a == b) | (xp.isnan(a) & xp.isnan(b))))


# A record's fields, zeroed where no derivative reaches them (records.py's
# structured_like), are zeros of their own namespace.
records.use_leaf_zeros(_leaf_zeros)
