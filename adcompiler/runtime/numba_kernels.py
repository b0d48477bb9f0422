"""Numba versions of the runtime helpers generated code calls (core.py).

Imported only by the numba back end (numba_backend.py), so numba stays an
optional dependency. Each helper is a plain Python stub with a numba
`@overload` that picks its implementation from the argument types when numba
compiles the derivative: `unbroadcast(g, x)` of two floats compiles to `g`,
nothing else. A combination of types a helper does not handle gets no
implementation, so numba refuses to compile the derivative (and the back end
reports it as a NumbaBackendError) instead of computing something else.

`reversed_range(r)` is new here: generated code loops backwards over a range
as `_range[::-1]`, which numba cannot slice.

    >>> from numba import njit
    >>> njit(lambda g, x: unbroadcast(g, x))(2.0, 3.0)      # doctest: +SKIP
    2.0
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

_SCALARS = (types.Number, types.Boolean)


def _scalar(t) -> bool:
    return isinstance(t, _SCALARS)


def _array(t) -> bool:
    return isinstance(t, types.Array)


def _tuple_impl(name: str, params: str, parts: list) -> object:
    """A function `name(params)` returning the tuple of the expressions `parts`,
    for helpers whose result has one entry per entry of a tuple argument."""
    text = f"def {name}({params}):\n    return ({', '.join(parts)}{',' if len(parts) == 1 else ''})\n"
    namespace = {"zeros_like": zeros_like, "add_adjoints": add_adjoints}
    exec(compile(text, f"<adcompiler numba helper {name}>", "exec"), namespace)
    return namespace[name]


@njit(cache=False)
def reversed_range(r):
    """The range `r[::-1]`: the same values, last first."""
    return range(r.start + (len(r) - 1) * r.step, r.start - r.step, -r.step)


@njit(cache=False)
def float_stack():
    """An empty stack of float64 values: an array and, in the caller, a count."""
    return np.empty(64, np.float64)


@njit(cache=False)
def int_stack():
    """An empty stack of int64 values (trip counts, branch flags, integers)."""
    return np.empty(64, np.int64)


@njit(cache=False)
def grown_stack(stack, needed):
    """The stack's values in an array with room for at least `needed`."""
    bigger = np.empty(max(2 * stack.shape[0], needed), stack.dtype)
    bigger[:stack.shape[0]] = stack
    return bigger


def scalar_seed(result, where):
    """The seed 1.0 of a scalar result (runtime.scalar_seed)."""


@overload(scalar_seed)
def _scalar_seed(result, where):
    if _scalar(result):
        return lambda result, where: 1.0
    if _array(result) and result.ndim == 0:
        return lambda result, where: np.ones(())
    return None


def sum_seed(a, where):
    """The seed of the sum of all of `a` (runtime.sum_seed): a number."""


def mean_seed(a, where):
    """The seed of the mean of all of `a` (runtime.mean_seed): a number."""


@overload(sum_seed)
@overload(mean_seed)
def _reduction_seed(a, where):
    if _scalar(a) or _array(a):
        return lambda a, where: 1.0
    return None


def uniform_sum_adjoint(g, a):
    """The adjoint of the sum of all of `a` as one number (runtime.uniform_sum_adjoint)."""


def uniform_mean_adjoint(g, a):
    """The adjoint of the mean of all of `a` as one number (runtime.uniform_mean_adjoint)."""


@overload(uniform_sum_adjoint)
def _uniform_sum_adjoint(g, a):
    if _scalar(g) and (_scalar(a) or _array(a)):
        return lambda g, a: g
    return None


@overload(uniform_mean_adjoint)
def _uniform_mean_adjoint(g, a):
    if _scalar(g) and _array(a):
        return lambda g, a: g / a.size
    if _scalar(g) and _scalar(a):
        return lambda g, a: g
    return None


def checked_seed(seed, result, where):
    """The seed of a vjp, checked against the result's shape (runtime.checked_seed)."""


@overload(checked_seed)
def _checked_seed(seed, result, where):
    if _scalar(result) and _scalar(seed):
        return lambda seed, result, where: float(seed)
    if _array(result) and _array(seed) and result.ndim == seed.ndim:
        def impl(seed, result, where):
            if seed.shape != result.shape:
                raise ValueError("the seed passed to the vjp does not have the shape of "
                                 "the function's result")
            return seed.astype(np.float64)
        return impl
    return None


def as_gradient(adjoint, x):
    """A gradient with the type and shape of its argument (runtime.as_gradient)."""


@overload(as_gradient)
def _as_gradient(adjoint, x):
    if isinstance(x, types.Optional) or isinstance(adjoint, types.Optional):
        return None
    if _scalar(x) and _scalar(adjoint):
        return lambda adjoint, x: float(adjoint)
    if _array(x) and _scalar(adjoint):
        return lambda adjoint, x: np.full(x.shape, float(adjoint))
    if _array(x) and _array(adjoint) and x.ndim == adjoint.ndim:
        def impl(adjoint, x):
            if adjoint.shape != x.shape:
                raise ValueError("adcompiler (numba): a derivative shaped unlike its argument")
            return adjoint.astype(np.float64)
        return impl
    return None


def zeros_like(x):
    """A zero adjoint for x (core.zeros_like)."""


@overload(zeros_like)
def _zeros_like(x):
    if _scalar(x):
        return lambda x: 0.0
    if _array(x):
        return lambda x: np.zeros(x.shape)
    if isinstance(x, types.BaseTuple):
        return _tuple_impl("zeros_of_tuple", "x", [f"zeros_like(x[{i}])" for i in range(len(x))])
    return None


def sequence_as_array(value):
    """A tuple or list operand as the array NumPy reads it as (core.sequence_as_array):
    numba's numbers and arrays are returned as they are."""


@overload(sequence_as_array)
def _sequence_as_array(value):
    if _scalar(value) or _array(value):
        return lambda value: value
    return None


def unbroadcast(g, x):
    """Sum the adjoint g of a broadcast result down to the shape of x (runtime.unbroadcast)."""


@overload(unbroadcast)
def _unbroadcast(g, x):
    if isinstance(x, types.Optional):
        return None
    if _scalar(g) and (_scalar(x) or _array(x)):
        # A scalar adjoint: the result was a scalar, so x was one too (or 0-d).
        return lambda g, x: g
    if _array(g) and _scalar(x):
        return lambda g, x: g.sum()
    if _array(g) and _array(x):
        if g.ndim == x.ndim:
            def same_rank(g, x):
                if g.shape == x.shape:
                    return g
                return _reduce_to(g, x.shape)
            return same_rank
        if g.ndim > x.ndim:
            lead = g.ndim - x.ndim

            def higher_rank(g, x):
                total = g
                for _ in range(lead):
                    total = total.sum(axis=0)
                if total.shape == x.shape:
                    return total
                return _reduce_to(total, x.shape)
            return higher_rank if lead == 1 and x.ndim == 1 else None
    return None


@njit(cache=False)
def _reduce_to(g, shape):
    """g summed over the axes where `shape` has length 1 (same rank, at most 2)."""
    if g.ndim == 1:
        if shape[0] != 1:
            raise ValueError("adcompiler (numba): cannot sum an adjoint to the operand's shape")
        return np.full(1, g.sum()).reshape(shape)
    raise ValueError("adcompiler (numba): broadcasting of 2-d operands is not supported; "
                     "use backend='python'")


def add_adjoints(a, b):
    """a + b for adjoints, entry by entry for tuples (runtime.add_adjoints)."""


@overload(add_adjoints)
def _add_adjoints(a, b):
    if isinstance(a, types.BaseTuple) and isinstance(b, types.BaseTuple) and len(a) == len(b):
        return _tuple_impl("add_tuples", "a, b",
                           [f"add_adjoints(a[{i}], b[{i}])" for i in range(len(a))])
    if (_scalar(a) or _array(a)) and (_scalar(b) or _array(b)):
        return lambda a, b: a + b
    return None


def add_into(total, contribution):
    """`total += contribution`, returning the sum (runtime.add_into): in place
    for a float array, a new number for a number."""


@overload(add_into)
def _add_into(total, contribution):
    if _array(total) and isinstance(total.dtype, types.Float) and (
            _scalar(contribution) or _array(contribution)):
        def in_place(total, contribution):
            total += contribution
            return total
        return in_place
    if _scalar(total) and (_scalar(contribution) or _array(contribution)):
        return lambda total, contribution: total + contribution
    return None


def sequence_entries(adjoint, length, where):
    """The adjoint of a tuple display, checked to have its length
    (runtime.sequence_entries)."""


@overload(sequence_entries)
def _sequence_entries(adjoint, length, where):
    if isinstance(adjoint, types.BaseTuple):
        def checked(adjoint, length, where):
            if len(adjoint) != length:
                raise ValueError("adcompiler (numba): a tuple was joined (+) or repeated "
                                 "(*) where it was not known to be one when compiling")
            return adjoint
        return checked
    return lambda adjoint, length, where: adjoint


def in_place_result(value, target):
    """The value `target op= v` leaves in `target` (runtime.in_place_result):
    an array keeps its dtype and shape, a number is the value itself."""


@overload(in_place_result)
def _in_place_result(value, target):
    if _scalar(target) and _scalar(value):
        return lambda value, target: value
    if _array(target) and _array(value) and value.ndim == target.ndim:
        if value.dtype == target.dtype:
            def checked(value, target):
                if value.shape != target.shape:
                    raise ValueError("non-broadcastable output operand")
                return value
            return checked
        if isinstance(target.dtype, types.Float) and isinstance(value.dtype, types.Float):
            def cast(value, target):
                if value.shape != target.shape:
                    raise ValueError("non-broadcastable output operand")
                return value.astype(target.dtype)
            return cast
    return None


def getitem_adjoint(g, x, index):
    """Adjoint of x[index]: g at index, zeros elsewhere (runtime.getitem_adjoint)."""


@overload(getitem_adjoint)
def _getitem_adjoint(g, x, index):
    if isinstance(x, types.BaseTuple):
        if not isinstance(index, types.IntegerLiteral):
            return None
        at = index.literal_value % len(x)
        return _tuple_impl("tuple_entry_adjoint", "g, x, index",
                           ["g" if i == at else f"zeros_like(x[{i}])" for i in range(len(x))])
    if _array(x) and isinstance(index, (types.Integer, types.SliceType)):
        # A basic index picks each entry at most once: adding g is scattering it.
        def impl(g, x, index):
            out = np.zeros(x.shape)
            out[index] += g
            return out
        return impl
    if _array(x) and isinstance(index, types.BaseTuple) and all(
            isinstance(i, (types.Integer, types.SliceType)) for i in index):
        def impl_tuple(g, x, index):
            out = np.zeros(x.shape)
            out[index] += g
            return out
        return impl_tuple
    return None


def setitem(x, index, value):
    """A copy of x with x[index] = value (runtime.setitem)."""


@overload(setitem)
def _setitem(x, index, value):
    if _array(x) and (isinstance(index, (types.Integer, types.SliceType)) or (
            isinstance(index, types.BaseTuple) and all(
                isinstance(i, (types.Integer, types.SliceType)) for i in index))):
        def impl(x, index, value):
            out = x.copy()
            out[index] = value
            return out
        return impl
    return None


def setitem_value_adjoint(g, index, value, into):
    """Adjoint of `into = setitem(x, index, value)` with respect to value
    (runtime.setitem_value_adjoint): zero where `into` holds integers or
    booleans, which truncate what they are given."""


def _basic_index(index) -> bool:
    """An integer, a slice, or a tuple of them: each entry written at most once."""
    if isinstance(index, types.BaseTuple):
        return all(isinstance(i, (types.Integer, types.SliceType)) for i in index)
    return isinstance(index, (types.Integer, types.SliceType))


@overload(setitem_value_adjoint)
def _setitem_value_adjoint(g, index, value, into):
    if _array(into) and isinstance(into.dtype, (types.Integer, types.Boolean)):
        return lambda g, index, value, into: zeros_like(value)
    if _array(g) and _basic_index(index):
        return lambda g, index, value, into: unbroadcast(g[index], value)
    return None


@njit(cache=False)
def range_item(r, k):
    """r[k] for a range r (numba cannot index one)."""
    n = len(r)
    if k < 0:
        k += n
    if k < 0 or k >= n:
        raise IndexError("range object index out of range")
    return r.start + k * r.step


def sign(x):
    """The derivative of abs (runtime.sign)."""


@overload(sign)
def _sign(x):
    if _scalar(x):
        return lambda x: (x > 0) - (x < 0)
    if _array(x):
        return lambda x: np.sign(x)
    return None


def divide(numerator, denominator):
    """A rule template's `/` (runtime.divide): NumPy's inf or nan at 0."""


@overload(divide)
def _divide(numerator, denominator):
    if _scalar(numerator) and _scalar(denominator):
        def impl(numerator, denominator):
            if denominator != 0:
                return numerator / denominator
            if numerator == 0 or numerator != numerator:
                return np.nan
            return math.copysign(np.inf, numerator) * math.copysign(1.0, denominator)
        return impl
    return lambda numerator, denominator: numerator / denominator


def power(base, exponent):
    """A rule template's `**` (runtime.power): NumPy's inf or nan where Python raises."""


@overload(power)
def _power(base, exponent):
    if _scalar(base) and _scalar(exponent):
        return lambda base, exponent: np.power(np.float64(base), np.float64(exponent))
    return lambda base, exponent: np.power(base, exponent)


def log_base(x, base):
    """math.log(x, base) (runtime.python_math.log_base)."""


@overload(log_base)
def _log_base(x, base):
    if _scalar(x) and _scalar(base):
        # CPython's math.log(x, base) is this quotient of two logarithms.
        return lambda x, base: math.log(x) / math.log(base)
    return None


def sum_adjoint(g, a, axis, keepdims):
    """Adjoint of np.sum over all axes (runtime.sum_adjoint)."""


@overload(sum_adjoint)
def _sum_adjoint(g, a, axis, keepdims):
    if not isinstance(axis, (types.NoneType, types.Omitted)):
        return None
    if _scalar(a):
        return lambda g, a, axis, keepdims: g
    if _array(a) and _scalar(g):
        return lambda g, a, axis, keepdims: np.full(a.shape, g)
    return None


# The helpers generated code may call, by the name it calls them.
HELPERS = {
    "reversed_range": reversed_range, "scalar_seed": scalar_seed, "sum_seed": sum_seed,
    "mean_seed": mean_seed, "uniform_sum_adjoint": uniform_sum_adjoint,
    "uniform_mean_adjoint": uniform_mean_adjoint,
    "checked_seed": checked_seed, "as_gradient": as_gradient, "zeros_like": zeros_like,
    "sequence_as_array": sequence_as_array, "unbroadcast": unbroadcast,
    "add_adjoints": add_adjoints, "add_into": add_into,
    "in_place_result": in_place_result, "sequence_entries": sequence_entries,
    "getitem_adjoint": getitem_adjoint, "setitem": setitem, "sign": sign,
    "divide": divide, "power": power, "log_base": log_base,
    "setitem_value_adjoint": setitem_value_adjoint,
    "sum_adjoint": sum_adjoint,
}
