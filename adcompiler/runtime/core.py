"""Only what generated code calls: broadcasting, zero adjoints, seeds, and the
adjoints of the few primitives whose vector-Jacobian product is more than one
NumPy expression.

Everything here is on the hot path of generated code, so the common case (a
Python float, or arrays whose shapes already agree) returns at the first test.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys

import numpy as np

from . import arrays, complex_numbers, linalg
from ..errors import ComplexValueError, InternalCompilerError, NoDerivativeRuleError, \
    NonScalarOutputError, SeedShapeError, UnsupportedSyntaxError, WrtError
from .arrays import DictAdjoint, ListAdjoint, SequenceAdjoint, is_foreign_array, \
    is_zero_number, sequence_adjoint, zeros_like
from .records import entries, field_names, is_dataclass_record, is_record, rebuilt, \
    refuse_clashing_fields

_ndarray = np.ndarray
_SEQUENCE_ADJOINTS = (SequenceAdjoint, ListAdjoint, DictAdjoint)
_CONTAINERS = (tuple, list, dict)
_NUMPY = (_ndarray, np.generic)


def unbroadcast(g, x):
    """Sum the adjoint `g` of a broadcast result down to the shape of operand `x`.

    Example:
        >>> unbroadcast(np.ones((3, 2)), np.zeros(2))
        array([3., 3.])
    """
    if type(g) is float:
        return g
    if type(g) is _ndarray and type(x) is _ndarray and g.shape == x.shape:
        return g  # the common case of array code: nothing was broadcast
    if type(g) is _ndarray and g.ndim and (type(x) is float or type(x) is np.float64):
        # A scalar (a reduction's result, `e / np.sum(e)`) broadcast over an
        # array: the sum, as reduce_to_shape computes it below, as a float.
        return np.add.reduce(g, axis=0 if g.ndim == 1 else tuple(range(g.ndim))).item()
    # Attribute reads first: np.shape goes through a Python-level wrapper, and
    # this runs for every elementwise operation of every iteration.
    if isinstance(x, _SEQUENCE_ADJOINTS) or (isinstance(x, _CONTAINERS) and
                                              isinstance(g, _CONTAINERS)):
        # `dL + ...` on a sequence's adjoint (a derivative of derivative code) adds
        # entry by entry: nothing was broadcast.
        if isinstance(x, (tuple, list)) and isinstance(g, (tuple, list)) and len(g) != len(x):
            raise _joined_sequence(len(x), len(g))
        return g
    # NumPy scalars (np.float64, what a reduction returns) have a shape too.
    shape = x.shape if isinstance(x, _NUMPY) else np.shape(x)
    if isinstance(g, (tuple, list)) and isinstance(x, _ndarray) and x.ndim and len(g) == len(x):
        # A list's adjoint reaching an array (the grad of a gradient of a list
        # argument: as_gradient made a list of the array): the array of its
        # entries, which the next template multiplies (a list would repeat).
        g = added_adjoint(g, x)
    g_shape = g.shape if isinstance(g, _NUMPY) else np.shape(g)
    if g_shape == shape:
        return g
    g = arrays.reduce_to_shape(g, shape)
    if not shape and not isinstance(x, _ndarray):
        return g.item() if isinstance(g, (_ndarray, np.generic)) else g
    return g


def broadcast_like(t, result):
    """A tangent of an elementwise operand, spread to the shape of the result."""
    if type(t) is float:
        return t if not isinstance(result, _ndarray) else np.full(result.shape, t)
    if type(t) is _ndarray and type(result) is _ndarray and t.shape == result.shape:
        return t  # as in unbroadcast: skip np.shape's Python-level dispatch
    if isinstance(result, _SEQUENCE_ADJOINTS) or (isinstance(result, _CONTAINERS) and
                                                   isinstance(t, _CONTAINERS)):
        if isinstance(result, (tuple, list)) and isinstance(t, (tuple, list)) and \
                len(t) != len(result):
            raise _joined_sequence(len(t), len(result))  # `t + s`, s carrying none
        return t
    if isinstance(t, (tuple, list)) and not isinstance(result, (tuple, list)):
        # The tangent of a tuple or list a NumPy operator read as an array
        # (`pair(x) + w`): an array too, else `dy * 2` would repeat it.
        t = np.asarray([0.0 if entry is None else entry for entry in t])
    shape = np.shape(result)
    return t if np.shape(t) == shape else np.broadcast_to(t, shape)


def ones_like(x):
    """A unit tangent for x: 1.0 for a Python number, ones of x's shape otherwise
    (the derivative along a real variable: a complex x is refused)."""
    reject_complex(x, "the argument", "a derivative (of a function of one real variable)")
    if isinstance(x, (_ndarray, np.generic)):
        return np.ones_like(x, dtype=x.dtype if x.dtype.kind in "fc" else float)
    return 1.0


def sign(x):
    """The derivative of abs: np.sign for arrays, an int for Python numbers."""
    if isinstance(x, (_ndarray, np.generic)):
        return np.sign(x)
    if x != x:
        return x  # nan, as np.sign(np.float64(nan))
    return (x > 0) - (x < 0)


# Rule templates' `/` and `**` are these two (rules/definition.py rewrites
# them): derivative arithmetic the user's code did not write follows NumPy's
# semantics also for Python numbers, so that grad(np.log)(0.0) is inf, as for
# np.float64(0.0), and not a ZeroDivisionError from generated code. The user's
# own `1.0 / x` stays Python's. On the common path each is the operator itself.

def divide(numerator, denominator):
    """numerator / denominator; where Python raises ZeroDivisionError (a
    Python number divided by 0), NumPy's inf or nan, with its RuntimeWarning.

        >>> divide(3.0, 2.0), float(divide(-0.0, 0.0))
        (1.5, nan)
    """
    try:
        return numerator / denominator
    except ZeroDivisionError:
        return np.divide(numerator, denominator)


def power(base, exponent):
    """base ** exponent; where Python raises (0.0 ** -1, an overflowing
    1e200 ** 2) or turns complex ((-8.0) ** 0.5), NumPy's inf or nan, with its
    RuntimeWarning.

        >>> power(3.0, 2), float(power(0.0, -1.0)), float(power(-8.0, 0.5))
        (9.0, inf, nan)
    """
    try:
        result = base ** exponent
    except (ZeroDivisionError, OverflowError):
        return _numpy_power(base, exponent)
    if type(result) is complex and type(base) is not complex and \
            type(exponent) is not complex:
        return _numpy_power(base, exponent)
    return result


def _numpy_power(base, exponent):
    # In floating point, as NumPy computes np.float64(0.0) ** -1 (not
    # integers, which NumPy refuses to raise to negative powers).
    dtype = np.result_type(base, exponent, 1.0)
    return np.power(np.asarray(base, dtype=dtype)[()], exponent)


def reject_complex(value, what, where):
    """A ComplexValueError for a complex value where only real ones are
    differentiated: the result of `grad`, the forms that take real unit
    tangents (jacobian, hessian, derivative), a tangent of a real value."""
    if isinstance(value, complex) or ((isinstance(value, (_ndarray, np.generic)) or
                                       is_foreign_array(value)) and value.dtype.kind == "c"):
        raise ComplexValueError(
            f"{what} of {where} is complex ({getattr(value, 'dtype', 'complex')}); adcompiler "
            "takes real values here",
            help="For a complex-valued function, differentiate a real function of it "
            "(np.real, np.imag, np.abs of the result); for the derivative f'(z) of a "
            "holomorphic function use grad(f, holomorphic=True); for derivatives along "
            "complex directions use jvp and vjp, which take complex tangents and seeds "
            "(docs/complex.md).")


def checked(check, where: str, **arguments) -> None:
    """Run a rule's check (Rule.check) on arguments known only when the code
    runs, and say where the call is in the user's file if it refuses them.

    Example:
        >>> from adcompiler.runtime.arrays import check_float_dtype
        >>> checked(check_float_dtype, "model.py:3", dtype=np.float32)
    """
    try:
        check(**arguments)
    except NoDerivativeRuleError as err:
        raise NoDerivativeRuleError(f"{where}: {err.what}", help=err.help) from None


def scalar_seed(result, where):
    """The seed 1.0 of a scalar result; a clear error for anything else. An
    array of one element (`np.sum(x, keepdims=True)`, `w @ x` of shapes (1, n)
    and (n,)) is a scalar too, as torch's backward() and autograd's grad take
    it: the seed is ones of its shape, the gradient that of its one value."""
    if isinstance(result, float):
        return 1.0
    arrays.refuse_array_api_only(result, f"the result of {where}")
    reject_complex(result, "the result", where)
    if isinstance(result, (_ndarray, np.generic)) or is_foreign_array(result):
        # A 0-d dask array (a lazy scalar) seeds a lazy one: nothing is computed.
        if result.size == 1 and result.dtype.kind not in "bMmSUV":
            return np.ones_like(result)
        if result.size == 1:  # a comparison's np.bool_, a date
            raise NonScalarOutputError(
                f"{where} returns a value of dtype {result.dtype}, which has no derivative; "
                "grad needs a float or a 0-d float array",
                help="Return the number the result is computed from (a loss), not a "
                "comparison or a conversion of it.")
        raise NonScalarOutputError(
            f"{where} returns an array of shape {result.shape}; grad needs a scalar output",
            help="Reduce the result to a scalar (np.sum, np.mean, a loss), or use "
            "adcompiler.vjp(f) and pass a seed of that shape: vjp(f)(args, seed), with "
            "args the tuple of f's arguments, gives the gradient of sum(f(*args) * seed), "
            "like torch's y.backward(seed). "
            "(torch says: grad can be implicitly created only for scalar outputs.)")
    if isinstance(result, int) and not isinstance(result, bool):
        return 1.0
    raise NonScalarOutputError(
        f"{where} returns a {type(result).__name__}; grad needs a float or a 0-d array",
        help="Return a scalar, or use adcompiler.vjp(f) with a seed.")


def add_adjoints(a, b):
    """a + b for adjoints that may be tuples, lists or dicts (entry by entry: `+`
    would concatenate tuples and lists and fail on dicts). A None entry of a
    sequence adjoint (arrays.SequenceAdjoint) is a zero.

        >>> add_adjoints([1.0, 2.0], (None, 3.0))
        [1.0, 5.0]
    """
    if type(a) is type(b) and (type(a) is _ndarray or type(a) is float):
        # The common cases: the tangent of an accumulation in a loop; the result
        # of a helper in a function of Python numbers.
        return a + b
    containers = (tuple, list, dict)
    # None, or a plain 0.0 where a structure is expected, is a zero of any shape.
    if b is None or (isinstance(a, containers) and is_zero_number(b)):
        return a
    if a is None or (isinstance(b, containers) and is_zero_number(a)):
        return b
    if isinstance(a, (tuple, list)):
        if len(a) != len(b):
            raise InternalCompilerError(
                f"adding derivatives of sequences of lengths {len(a)} and {len(b)}")
        return (ListAdjoint if isinstance(a, list) else tuple)(
            add_adjoints(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        # A key one side lacks is a zero there, as in DictAdjoint: the adjoint of
        # a dict before `d[k] = v` added k still holds k (zeroed), the adjoint
        # of the same dict read elsewhere does not.
        return {**b, **{key: add_adjoints(value, b[key]) if key in b else value
                        for key, value in a.items()}}
    return a + b


def added_adjoint(adjoint, operand):
    """The adjoint that `add_adjoints(a, b)` hands back to its operand b from
    the adjoint of its sum: the same, except where a tuple or list's adjoint
    a met an array b (add_adjoints added the array's rows into its entries
    one by one, `d_t = add_adjoints(d_t, d_y * 3.0)` for
    np.multiply(t, 3.0) of a list t): the array of the entries (None a zero
    row), so that the derivative of derivative code (grad of a gradient)
    multiplies an array, where a list would be repeated.

        >>> added_adjoint(SequenceAdjoint([1.0, None]), np.zeros(2))
        array([1., 0.])
    """
    if isinstance(adjoint, (tuple, list)) and isinstance(operand, _ndarray) and operand.ndim:
        return np.asarray(_entries_like(adjoint, list(operand)))
    return adjoint


def added_tangent(tangent, like):
    """The tangent that `add_adjoints(a, b)` takes from its operand b: b's own,
    except where an array b is added into a tuple or list a entry by entry:
    then the sum is a's kind, and so is this, the array's rows (a Hessian
    writes the tangent of `dL[1:] = add_adjoints(dL[1:], d_rest)` into a
    list, where an array would be refused).

        >>> added_tangent(np.ones(2), [0.0, 0.0]) == [1.0, 1.0]
        True
    """
    if isinstance(like, list):
        # A new list of the sum's length in every case (an array's rows, a
        # tuple of entries from array_adjoint, a list): the Hessian's code
        # pops it in step with the sum, and must not pop b's tangent with it.
        return add_adjoints(zeros_like(like), tangent)
    if isinstance(like, tuple) and isinstance(tangent, _ndarray) and tangent.ndim:
        return tuple(tangent)
    return tangent


def add_into(total, contribution):
    """`total += contribution`, returning the sum: what a loop's adjoint sweep
    does to the adjoint it accumulates (a fresh array generated code owns, so
    adding in place is safe and saves an array per iteration). When either side
    is a dask or CuPy array the sum is a new array instead: a NumPy array cannot
    hold a lazy dask value, and NumPy refuses to write one into it.

        >>> total = np.zeros(2)
        >>> add_into(total, np.ones(2)) is total
        True
    """
    if type(total) is not _ndarray or type(contribution) is not _ndarray:
        # (Two NumPy arrays, the case of every iteration, skip these checks.)
        if is_foreign_array(contribution) and isinstance(total, _ndarray):
            # NumPy's zeros of a NumPy parameter, meeting the data's library
            # (CuPy does not add NumPy arrays to its own).
            return np.asarray(total, like=contribution) + contribution
        if is_foreign_array(total) or is_foreign_array(contribution):
            return total + contribution
    total += contribution
    return total


def sum_items_adjoint(g, items):
    """Adjoint of Python's `sum(items)` with respect to the items: `g`, summed to
    each item's shape (one entry per item), or spread along the first axis when
    `items` is an array (whose rows sum() adds).

        >>> sum_items_adjoint(np.ones(2), [1.0, np.ones(2)])
        ListAdjoint([2.0, array([1., 1.])])
    """
    if isinstance(items, _ndarray) or is_foreign_array(items):
        zeros = np.zeros(items.shape) if isinstance(items, _ndarray) else np.zeros_like(
            items, dtype=float)  # a dask array's chunks
        return zeros + arrays.sum_to_shape(g, items.shape[1:])
    return sequence_adjoint((unbroadcast(g, item) for item in items), items)


def sum_seed(a, where):
    """`scalar_seed(np.sum(a), where)`, the seed of a function returning the sum
    of all of `a`, without computing the sum when its type is known: that of a
    nonempty float64 array is a np.float64, a float, whose seed is 1.0
    (passes/shape_reads.py).

    Example:
        >>> sum_seed(np.ones(3), 'f (file.py:1)')
        1.0
    """
    if type(a) is _ndarray and a.dtype.char == "d" and a.size:
        return 1.0
    return scalar_seed(np.sum(a), where)


def mean_seed(a, where):
    """`scalar_seed(np.mean(a), where)`, as sum_seed for np.sum.

    Example:
        >>> mean_seed(np.ones(3), 'f (file.py:1)')
        1.0
    """
    if type(a) is _ndarray and a.dtype.char == "d" and a.size:
        return 1.0
    return scalar_seed(np.mean(a), where)


def checked_seed(seed, result, where):
    """The seed of a vjp, checked against the result's shape: a result that is
    a tuple, list or dict takes a seed of the same structure."""
    if isinstance(result, (tuple, list)):
        kind = type(result).__name__
        if not isinstance(seed, (tuple, list)) or len(seed) != len(result):
            got = type(seed).__name__ + (f" of {len(seed)}" if isinstance(seed, (tuple, list))
                                         else "")
            raise SeedShapeError(
                f"{where} returns a {kind} of {len(result)} values; the seed must be a {kind} "
                f"of as many, got {got}",
                help="Pass one seed per returned value, each shaped like it.")
        seeds = [checked_seed(s, r, where) for s, r in zip(seed, result)]
        return tuple(seeds) if isinstance(result, tuple) else seeds
    if isinstance(result, dict):
        if not isinstance(seed, dict) or set(seed) != set(result):
            got = (f"keys {sorted(map(str, seed))}" if isinstance(seed, dict)
                   else type(seed).__name__)
            raise SeedShapeError(
                f"{where} returns a dict with keys {sorted(map(str, result))}; the seed must "
                f"be a dict with the same keys, got {got}",
                help="Pass one seed per returned value, each shaped like it.")
        return {key: checked_seed(seed[key], result[key], where) for key in result}
    if is_dataclass_record(result):
        # A dataclass result takes a seed of its class; generated code holds
        # its derivative as one entry per field (runtime/records.py).
        if type(seed) is not type(result):
            kind = type(result).__name__
            raise SeedShapeError(
                f"{where} returns a {kind}; the seed must be a {kind} too, got "
                f"{type(seed).__name__}",
                help="Pass one seed per field, each shaped like it, in an object of the "
                     "result's class.")
        return tuple(checked_seed(getattr(seed, name), getattr(result, name), where)
                     for name in field_names(result))
    if without_derivative(seed) is not None:
        raise SeedShapeError(
            f"the seed passed to the vjp of {where} is {without_derivative(seed)}, where a "
            f"number or an array shaped like the function's result, {np.shape(result)}, "
            "goes", help="Pass a seed with exactly the shape of the function's result "
            "(1.0 for a scalar result).")
    kind = without_derivative(result)
    if kind is not None:
        raise NonScalarOutputError(
            f"{where} returns {kind}, which has no derivative; a vjp takes the derivative "
            "of numbers (floats, arrays, or tuples, lists, dicts of them)",
            help="Return the numbers the result is computed from.")
    if not complex_numbers.is_complex(result):
        reject_complex(seed, "the seed passed to the vjp (the result is real)", where)
    if np.shape(seed) != np.shape(result):
        raise SeedShapeError(
            f"the seed passed to the vjp of {where} has shape {np.shape(seed)}, but the "
            f"function returns shape {np.shape(result)}",
            help="Pass a seed with exactly the shape of the function's result.")
    if complex_numbers.is_complex(result):
        # torch's convention for the seed of a complex result, JAX's inside
        # generated code (runtime_complex): the conjugate, which as_gradient undoes.
        # (np.asarray: NumPy 2 takes a Python complex result as a weak type,
        # which would make the seed complex64 and the whole vjp single precision)
        return np.conj(np.asarray(seed, dtype=np.result_type(np.asarray(result),
                                                             np.complex64)))
    if is_foreign_array(seed):  # a dask seed stays lazy, a CuPy one on the device
        return seed if seed.dtype.kind == "f" else seed.astype(float)
    if isinstance(result, (_ndarray, np.generic)):
        return np.asarray(seed, dtype=result.dtype if result.dtype.kind == "f" else float)
    if is_foreign_array(result):
        return np.asarray(seed, dtype=result.dtype if result.dtype.kind == "f" else float,
                          like=result)
    return float(seed) if not isinstance(seed, _ndarray) else seed


def integer_argument(x):
    """The dtype of the gradient of an integer or boolean array argument:
    float64, with an AdWarning. adcompiler differentiates it as the float
    array of the same values (JAX and torch refuse it instead); the warning
    is there because an integer argument is usually a mistake (np.arange(3)
    for np.arange(3.0)). See docs/debugging.md."""
    import warnings
    from ..errors import AdWarning
    warnings.warn(AdWarning(
        f"differentiating with respect to an array of dtype {x.dtype}: its gradient is "
        "computed as for the same values in float64, and returned as float64. Pass a "
        "float array (x.astype(float)) to silence this warning."),
        stacklevel=_user_stacklevel())
    return np.float64


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_stacklevel() -> int:
    """warnings.warn's stacklevel, from the function calling this one, that
    names the user's line: the first frame outside adcompiler and its
    generated code (as_gradient reaches an entry of a nested argument
    through as many frames as it is deep)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_code.co_filename.startswith(_PACKAGE)
                                 or frame.f_code.co_filename.startswith("<adcompiler")):
        frame, level = frame.f_back, level + 1
    return level


def in_place_result(value, target):
    """The value `target op= v` leaves in `target`, given `value`, that of
    `target op v`: for a NumPy array the operator works in place,
    so the value keeps the array's dtype and shape, cast as NumPy casts it
    ('same_kind': float64 into a float32 array; a float into an int array is a
    TypeError) and never broadcast larger (a ValueError). Anything else (a
    number, a list, another library's array) gets `value` itself.

        >>> in_place_result(np.ones(2, np.float32) + np.ones(2), np.ones(2, np.float32)).dtype
        dtype('float32')
    """
    if type(target) is not _ndarray or type(value) is not _ndarray or \
            (value.dtype == target.dtype and value.shape == target.shape):
        return value
    kept = np.empty_like(target)
    np.copyto(kept, value, casting="same_kind")
    return kept


def in_place_tangent(tangent, target):
    """The tangent of in_place_result(value, target). An integer or boolean
    array keeps its dtype (`counts += (x * 10).astype(int)`): the value only
    reached it through a cast, whose tangent is zero but floating-point, so
    it stays as it is (in_place_result would refuse casting it, as NumPy does
    a float added in place to an integer array). Otherwise as the value.

        >>> in_place_tangent(np.zeros(2), np.ones(2, dtype=int)).dtype
        dtype('float64')
    """
    if type(target) is _ndarray and target.dtype.kind in "biu":
        return tangent
    return in_place_result(tangent, target)


def _joined_sequence(length: int, entries: int, where: str = "") -> UnsupportedSyntaxError:
    """A derivative of `entries` entries met a sequence of `length` values."""
    return arrays.joined_sequence_error(
        f"a tuple or list of {length} values met a derivative of {entries} entries", where)


def sequence_as_array(value):
    """A tuple or list operand of a NumPy function as the array NumPy reads
    it as (np.asarray); anything else (an array, a number, a dask or CuPy
    array) unchanged. Rule templates do arithmetic on their operands, which
    on a list would be Python's (`[a, b] >= 0` raises, `[a, b] * 2` repeats).

        >>> sequence_as_array([1.0, 2.0]) * 2
        array([2., 4.])
    """
    if isinstance(value, (tuple, list)):
        return np.asarray(value)
    return value


def array_tangent(tangent, value):
    """The tangent of a tuple or list `value` that a NumPy function reads as
    np.asarray(value): the array of its entries' tangents (a zero entry
    spread to its value's shape). A rule's tangent template multiplies or
    negates it as an array; a Python list would repeat (`[da, db] * 2`) or
    raise. A tangent that is no tuple or list is returned as it is.

        >>> array_tangent([1.0, 0.0], [5.0, 6.0]) * 2
        array([2., 0.])
    """
    if not isinstance(tangent, (tuple, list)):
        return tangent
    return np.asarray(_entries_like(tangent, value))


def _entries_like(tangent, value):
    if isinstance(value, (tuple, list)):
        if not isinstance(tangent, (tuple, list)):
            return np.broadcast_to(tangent, np.shape(np.asarray(value)))
        if len(tangent) != len(value):
            raise _joined_sequence(len(value), len(tangent))
        return [_entries_like(t, v) for t, v in zip(tangent, value)]
    return np.broadcast_to(0.0 if tangent is None else tangent, np.shape(value))


def sequence_entries(adjoint, length: int, where: str):
    """The adjoint of a tuple or list display of `length` elements, before
    its entries are read one by one: it has as many entries, unless the value
    built by the display was joined (`t + s`) or repeated (`t * 2`) somewhere
    its type was not known when compiling (a helper's result, an argument):
    the adjoint reaching the display then belongs to the longer sequence, and
    reading it entry by entry would give the wrong entries. Refused instead.

    Example:
        >>> sequence_entries(SequenceAdjoint([1.0, None]), 2, "model.py:3")
        SequenceAdjoint((1.0, None))
    """
    if isinstance(adjoint, (tuple, list)) and len(adjoint) != length:
        raise _joined_sequence(length, len(adjoint), where)
    return adjoint


def sequence_tangent(tangent, value, where: str):
    """The tangent of `value = a + b` (or `a * b`) where a or b may be a
    tuple the compiler did not know for one (a helper's result): the sum of
    the operands' tangents, right for numbers and arrays, and for a tuple
    repeated by a number (the tangent repeats too). A tuple or list value
    whose tangent has another length was joined: refused.

    Example:
        >>> sequence_tangent((1.0, 2.0, 1.0, 2.0), (5.0, 6.0, 5.0, 6.0), "model.py:3")
        (1.0, 2.0, 1.0, 2.0)
    """
    if isinstance(value, (tuple, list)) and not (
            isinstance(tangent, (tuple, list)) and len(tangent) == len(value)):
        raise _joined_sequence(len(value), len(tangent) if isinstance(
            tangent, (tuple, list)) else 1, where)
    return tangent


def without_derivative(value) -> str | None:
    """What `value` is when it is a value no derivative is taken with respect
    to, or of (None, text, a date, a boolean array), else None. Inside a
    tuple, list or dict such entries are allowed (a configuration dict's
    name): only a value itself is asked.

        >>> without_derivative("relu"), without_derivative(2.0)
        ('a str', None)
    """
    if value is None:
        return "None"
    if isinstance(value, (str, bytes)):
        return f"a {type(value).__name__}"
    if isinstance(value, (_ndarray, np.generic)) and value.dtype.kind in "MmSUV":
        return f"a value of dtype {value.dtype}"
    return None


def refuse_argument_without_derivative(value, what: str) -> None:
    """A WrtError for differentiating with respect to None, text or a date;
    `what` says which argument (and of which function, where)."""
    kind = without_derivative(value)
    if kind is not None:
        raise WrtError(
            f"{what} is {kind}, which has no derivative",
            help="Differentiate with respect to the arguments that hold numbers (floats, "
            "arrays, or tuples, lists, dicts of them): pass wrt= their positions or names "
            "(wrt=0, wrt=(0, 2), wrt='x').")


def as_gradient(adjoint, x):
    """Give a gradient the type, shape and dtype of its argument `x` (for a tuple
    list or dict of arrays, the same structure: like JAX's pytrees)."""
    # The common cases first, what the general path below returns for them: a
    # float for a float, a real array of the argument's shape and dtype.
    if type(x) is float and type(adjoint) is float:
        return adjoint
    if type(x) is _ndarray and type(adjoint) is _ndarray and adjoint.dtype == x.dtype and \
            x.dtype.kind == "f" and adjoint.shape == x.shape:
        return adjoint
    refuse_argument_without_derivative(x, "a differentiated argument")
    return _gradient_like(adjoint, x)


def _gradient_like(adjoint, x):
    """as_gradient of an argument or of an entry of one."""
    if type(x) is float and type(adjoint) is float:
        return adjoint
    if type(x) is _ndarray and type(adjoint) is _ndarray and adjoint.dtype == x.dtype and \
            x.dtype.kind == "f" and adjoint.shape == x.shape:
        return adjoint
    if adjoint is None or (isinstance(x, (tuple, list, dict)) and is_zero_number(adjoint)):
        adjoint = zeros_like(x)  # a part no derivative reached
    if isinstance(x, (tuple, list)):
        if len(adjoint) != len(x):
            # The argument was joined (+) or repeated (*) as the tuple or list
            # it is: what operators do to arrays was differentiated instead.
            raise _joined_sequence(len(x), len(adjoint), "a differentiated argument")
        parts = [_gradient_like(a, e) for a, e in zip(adjoint, x)]
        if isinstance(getattr(type(x), "_fields", None), tuple):
            refuse_clashing_fields(x, "a differentiated argument")
            return type(x)(*parts)  # a NamedTuple's gradient is one of its class
        return list(parts) if isinstance(x, list) else tuple(parts)
    if isinstance(x, dict):
        return {key: _gradient_like(adjoint[key], value) for key, value in x.items()}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        # A dataclass instance's gradient is one of its class.
        refuse_clashing_fields(x, "a differentiated argument")
        fields = [getattr(x, name) for name in field_names(x)]
        return rebuilt(x, [_gradient_like(a, e) for a, e in zip(entries(adjoint, x), fields)])
    # Inside generated code a complex derivative follows JAX's convention
    # (runtime_complex): torch's gradient of a complex argument is its
    # conjugate, and a real argument's gradient is the real part.
    if complex_numbers.is_complex(x):
        adjoint = np.conj(adjoint)
    elif complex_numbers.is_complex(adjoint):
        adjoint = np.real(adjoint)
    if isinstance(x, _ndarray) and not is_foreign_array(adjoint):
        dtype = x.dtype if x.dtype.kind in "fc" else integer_argument(x)
        if isinstance(adjoint, _ndarray) and adjoint.shape == x.shape:
            return adjoint if adjoint.dtype == dtype else adjoint.astype(dtype)
        return np.broadcast_to(np.asarray(adjoint, dtype=dtype), x.shape).copy()
    if isinstance(x, np.generic) and not is_foreign_array(adjoint):
        return x.dtype.type(adjoint) if x.dtype.kind in "fc" else float(adjoint)
    if isinstance(x, complex):
        return complex(adjoint)
    if is_foreign_array(adjoint) or is_foreign_array(x):
        return _foreign_gradient(adjoint, x)
    if isinstance(x, (float, int)):
        return float(adjoint)
    arrays.refuse_array_api_only(x, "a differentiated argument")
    return adjoint


def _foreign_gradient(adjoint, x):
    """A gradient of x's shape and float dtype that stays lazy (dask) or on the
    device (CuPy): reached through a dask array, even the derivative of a NumPy
    argument is a dask array, computed when the user chooses."""
    dtype = x.dtype if getattr(x, "dtype", None) is not None and x.dtype.kind in "fc" \
        else np.dtype(np.float64)
    if not is_foreign_array(adjoint):  # a zero, or a NumPy part of a dask argument's
        return np.zeros_like(x, dtype=dtype) + adjoint
    if adjoint.shape != np.shape(x):
        adjoint = np.broadcast_to(adjoint, np.shape(x)).copy()
    return adjoint if adjoint.dtype == dtype else adjoint.astype(dtype)


def softmax(x, axis, shift):
    """A softmax the user wrote out in NumPy (passes/fuse_softmax.py), computed
    by the same calls in the same order: exp(x - m) / sum(exp(x - m)) along
    `axis` (all axes when None), with m the maximum over those axes when
    `shift` is 'max', over all axes when 'max_all', and no shift when None.

    Example:
        >>> softmax(np.array([0.0, np.log(3.0)]), None, 'max')
        array([0.25, 0.75])
    """
    # np.max and np.sum of an ndarray are exactly these ufunc reductions,
    # reached through a Python-level wrapper that costs more than the reduction
    # of a thousand numbers.
    plain = type(x) is _ndarray
    maximum, total = (np.maximum.reduce, np.add.reduce) if plain else (np.max, np.sum)
    if shift == "max" and axis is not None:
        x = x - maximum(x, axis=axis, keepdims=True)
    elif shift is not None:
        x = x - maximum(x, axis=None)
    e = np.exp(x)
    return e / (total(e, axis=None) if axis is None else total(e, axis=axis, keepdims=True))


def softmax_product(g, s, axis):
    """The product of softmax's Jacobian diag(s) - s sᵀ (symmetric: its vector-
    Jacobian and Jacobian-vector products are one) with g: s (g - sum(g s)),
    the sum along `axis` (all axes when None).

    Example:
        >>> softmax_product(np.array([1.0, 0.0]), np.array([0.25, 0.75]), None)
        array([ 0.1875, -0.1875])
    """
    if type(g) is _ndarray and type(s) is _ndarray:
        if axis is None and g.ndim == 1 and g.shape == s.shape:
            return s * (g - g.dot(s))
        return s * (g - np.add.reduce(g * s, axis=axis, keepdims=True))
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def sum_adjoint(g, a, axis, keepdims):
    """Adjoint of np.sum: spread g back over the summed axes."""
    if axis is None and type(a) is _ndarray and a.ndim and a.dtype.kind == "f" and \
            type(g) is float:
        # A full reduction of a real array, seeded by a float (what the general
        # path below does, without its checks for complex and foreign values).
        spread = np.empty(a.shape, dtype=a.dtype)
        spread.fill(g)
        return spread
    shape = a.shape if isinstance(a, _NUMPY) else np.shape(a)
    if not shape:
        return g
    if axis is None and (g.ndim if isinstance(g, _NUMPY) else np.ndim(g)) == 0:
        # A full reduction: a filled array is cheaper than a broadcast view.
        dtype = a.dtype if isinstance(a, _ndarray) and a.dtype.kind == "f" else float
        dtype = np.result_type(dtype, g) if complex_numbers.is_complex(g) else dtype
        if is_foreign_array(g) or is_foreign_array(a):
            # np.full would compute a lazy g; zeros like `a` keep a's chunks.
            return np.zeros_like(a, dtype=a.dtype if a.dtype.kind == "f" else float) + g
        # np.full, without its Python-level wrapper (a third of its time).
        spread = np.empty(shape, dtype=dtype)
        spread.fill(g)
        return spread
    if axis is not None and not keepdims:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        g = np.expand_dims(g, tuple(ax % len(shape) for ax in axes))
    return np.broadcast_to(g, shape)


def mean_count(a, axis):
    """How many elements each mean averaged over."""
    shape = a.shape if isinstance(a, _NUMPY) else np.shape(a)
    if axis is None:
        return float(math.prod(shape))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return float(math.prod(shape[ax] for ax in axes))


def mean_adjoint(g, a, axis, keepdims):
    """Adjoint of np.mean: g divided by the count (while it is still small),
    then spread back over the averaged axes."""
    if axis is None and type(a) is _ndarray and a.ndim:
        return sum_adjoint(g / float(a.size), a, axis, keepdims)  # mean_count's value
    return sum_adjoint(g / mean_count(a, axis), a, axis, keepdims)


def uniform_sum_adjoint(g, a):
    """sum_adjoint(g, a, None, False), the adjoint of np.sum(a), for a caller
    that only combines it elementwise with an array of a's shape and dtype
    (passes/uniform_adjoints.py): as the number g itself when a is a float64
    array and g a float, since the array would hold g everywhere.

    Example:
        >>> uniform_sum_adjoint(2.0, np.ones(3))
        2.0
    """
    if type(g) is float and type(a) is _ndarray and a.dtype.char == "d":
        return g
    return sum_adjoint(g, a, None, False)


def uniform_mean_adjoint(g, a):
    """mean_adjoint(g, a, None, False) as uniform_sum_adjoint gives sum_adjoint's.

    Example:
        >>> uniform_mean_adjoint(2.0, np.ones(4))
        0.5
    """
    if type(g) is float and type(a) is _ndarray and a.dtype.char == "d" and a.size:
        return g / float(a.size)
    return mean_adjoint(g, a, None, False)


def getitem_adjoint(g, x, index):
    """Adjoint of x[index]: g scattered into zeros of x's shape (repeats add up).
    For a tuple or list x (a tuple the function built, the result of np.split or
    np.linalg.eigh), a `SequenceAdjoint`: g at `index`, zeros elsewhere (zeros,
    not None, so that generated code can read any entry as a value)."""
    if isinstance(x, dict):
        # A dict's adjoint is a dict: g under the key read, zeros elsewhere.
        return DictAdjoint({key: g if key == index else zeros_like(value)
                            for key, value in x.items()})
    if isinstance(x, (tuple, list)):
        pieces = [zeros_like(element) for element in x]
        if isinstance(index, slice):
            for position, piece in zip(range(len(x))[index], g):
                pieces[position] = piece
        else:
            pieces[index] = g
        return sequence_adjoint(pieces, x)
    _refuse_records(x)   # (a field of a record array read)
    dtype = g.dtype if isinstance(g, (_ndarray, np.generic)) and g.dtype.kind in "fc" \
        else complex if isinstance(g, complex) else np.float64
    if is_foreign_array(g) or is_foreign_array(x):
        like = x if is_foreign_array(x) else g  # a dask x's adjoint keeps its chunks
        zeros = np.zeros_like(x, dtype=float) if like is x else np.zeros(np.shape(x), like=g)
        return arrays.foreign_add_at(zeros, index, g)
    out = np.zeros(np.shape(x), dtype=dtype)
    np.add.at(out, index, g)
    return out


def setitem(x, index, value):
    """A copy of x with x[index] = value: what `x[index] = value` means in
    differentiated code (the caller's arrays are never written)."""
    if isinstance(x, list) and isinstance(index, slice) and not isinstance(value, list):
        if isinstance(value, tuple):
            # `items[a:b] = (u, v)`: Python writes the items the tuple holds.
            value = list(value)
        elif np.ndim(value):
            raise UnsupportedSyntaxError(
                "a slice of a list is assigned an array: its derivative would come back "
                "as a list, not shaped like the array",
                help="Instead: assign a list of the array's items, items[a:b] = list(values) "
                     "(or values.tolist()).")
        else:
            # Zeroing a slice of a list of adjoints (a derivative of `dL[a:b] = ...`).
            updated = list(x)
            updated[index] = [value] * len(updated[index])
            return updated
    if isinstance(x, tuple):
        # A tuple holding an array changed in place (aliasing.py writes it back).
        updated = list(x)
        updated[index] = value
        return tuple(updated)
    if isinstance(x, list) and isinstance(index, slice):
        _refuse_resizing(x, index, value)
    if isinstance(x, (dict, list)):
        updated = type(x)(x)
    elif is_foreign_array(x):
        # A new dask array (its graph is shared, nothing is computed) or CuPy
        # copy. A NumPy x receiving a dask value stays NumPy and computes the
        # value, as the function's own write does: made a dask array, its
        # slices taken later would not be views (a wrong derivative).
        updated = x.astype(np.result_type(x.dtype, float)) if x.dtype.kind != "f" else x.copy()
    elif isinstance(x, _ndarray) and x.dtype.names is not None:
        updated = x.copy()   # a record array: its derivative is refused where it is read
    elif isinstance(x, _ndarray) and x.dtype.kind in "biu" and \
            not complex_numbers.is_complex(value):
        # An integer or boolean array keeps its type, as in NumPy.
        _refuse_truncation(x, value)
        updated = x.copy()
    else:
        # A real array stays real, as in NumPy: a complex value written into
        # it loses its imaginary part (with NumPy's ComplexWarning), and its
        # derivative with it (setitem_value_adjoint passes the real adjoint).
        keep = isinstance(x, _ndarray) and x.dtype.kind in "fc"
        updated = np.array(x, dtype=x.dtype if keep else np.result_type(x, value, float))
    updated[index] = value
    return updated


def setitem_value_tangent(tangent, index, into):
    """Tangent of `into = setitem(x, index, value)` given value's tangent:
    zeros of into's shape holding the tangent at index, or only zeros where `into`
    truncates what it is given (truncates_writes).

        >>> setitem_value_tangent(2.0, 0, np.zeros(2, dtype=int))
        array([0., 0.])
    """
    _refuse_records(into)
    zeros = zeros_like(into)
    return zeros if truncates_writes(into) else setitem(zeros, index, tangent)


def _refuse_resizing(x, index, value):
    """`items[a:b] = values` with as many values as the slice replaces is an
    element write; with more or fewer it grows or shrinks the list, which the
    derivative's bookkeeping (one adjoint per position) does not follow.

        >>> _refuse_resizing([1.0, 2.0], slice(0, 1), [3.0])
    """
    given = len(value) if hasattr(value, "__len__") else None
    replaced = len(x[index])
    if given is not None and given != replaced:
        raise UnsupportedSyntaxError(
            f"a slice assignment replaces {replaced} item(s) of a list with {given}, "
            f"changing its length: adcompiler differentiates list slice assignments that "
            f"keep the length only",
            help="Instead: collect the items in a new list (new_items = [], then "
                 "new_items.append(v) for each), or write one item at a time, items[i] = v.")


def _refuse_truncation(x, value):
    """NumPy truncates a float written into an integer (or boolean) array: a
    step whose derivative is zero, where setitem's rule would pass the
    derivative on to the value. Writing values the array holds exactly (an
    `np.floor(v)`, a count) is what such an array is for; others are refused.

        >>> _refuse_truncation(np.zeros(2, dtype=int), 3.0)
    """
    written = np.asarray(value)
    if written.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            exact = np.array_equal(written.astype(x.dtype), written)
        if not exact:
            raise NoDerivativeRuleError(
                f"an element write puts floating-point values "
                f"({', '.join(repr(float(v)) for v in written.ravel()[:3])}"
                f"{', ...' if written.size > 3 else ''}) into an array of type {x.dtype}, "
                "which NumPy truncates: adcompiler has no derivative for that truncation",
                help="Make the array floating-point (np.zeros(n) or .astype(float)) if "
                     "the values should be kept, or convert them yourself "
                     "(np.floor(v).astype(int), int(v)) if truncating is meant.")


def _refuse_records(array) -> None:
    """Refuse a derivative that meets a record (structured) array, whose
    fields are not differentiated: with the cast refusal, which names records."""
    if isinstance(array, _ndarray) and array.dtype.names is not None:
        arrays.check_cast_dtype(array.dtype)


def truncates_writes(into) -> bool:
    """Whether `into[index] = value` truncates a floating-point value: an
    integer or boolean NumPy array (setitem keeps its type, and makes it
    complex for a complex value). What it holds is a step function of the
    value written, whose derivative is zero; setitem refuses the writes it
    would change, so the values that reach here are written exactly, and
    their derivative is zero too: at a whole number a step is flat on one
    side, as `int(v)` and torch's integer tensors take it.

        >>> truncates_writes(np.zeros(2, dtype=int)), truncates_writes(np.zeros(2))
        (True, False)
    """
    return isinstance(into, _ndarray) and into.dtype.kind in "biu"


def setitem_value_adjoint(g, index, value, into):
    """Adjoint of `into = setitem(x, index, value)` with respect to the value
    written: g at the written positions, summed to the value's shape; where an
    integer-array index repeats a position, only the write that NumPy keeps
    (the last) receives it. Zero where `into` truncates what it is given.

        >>> setitem_value_adjoint(np.arange(3.0), 1, 5.0, np.zeros(3))
        np.float64(1.0)
    """
    if truncates_writes(into):
        return zeros_like(value)
    _refuse_records(into)
    if isinstance(g, (dict, list, tuple)):
        return g[index]
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (list, _ndarray)) for p in parts):
        writes = np.zeros(np.shape(g), dtype=np.int64)
        selected = np.shape(writes[index])
        order = np.arange(1, int(np.prod(selected)) + 1).reshape(selected)
        writes[index] = order
        kept = writes[index] == order
        return unbroadcast(np.where(kept, g[index], 0.0), value)
    return unbroadcast(g[index], value)


def transpose_adjoint(g, axes):
    """Adjoint of np.transpose(a, axes): transpose back with the inverse permutation."""
    if axes is None:
        return np.transpose(g)
    # Negative axes count from the end; the inverse permutation needs them positive.
    # A list, not an array: dask's transpose takes its axes for a boolean test.
    return np.transpose(g, np.argsort([axis % np.ndim(g) for axis in axes]).tolist())


def dot_adjoint_a(g, a, b):
    """Adjoint of np.dot(a, b) with respect to a (N-d operands contract a's last
    axis with b's second to last, as np.tensordot)."""
    a, b = sequence_as_array(a), sequence_as_array(b)  # np.dot([p, q], ...): lists
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * b, a)
    if b_nd > 2:
        return linalg.tensordot_adjoint(g, a, b, ([a_nd - 1], [b_nd - 2]), "a")
    if b_nd == 1:
        return np.multiply.outer(g, b) if a_nd > 1 else g * b
    if a_nd == 1:
        return np.dot(b, g)
    return np.dot(g, np.swapaxes(b, -1, -2))


def dot_adjoint_b(g, a, b):
    """Adjoint of np.dot(a, b) with respect to b."""
    a, b = sequence_as_array(a), sequence_as_array(b)  # np.dot([p, q], ...): lists
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * a, b)
    if b_nd > 2:
        return linalg.tensordot_adjoint(g, a, b, ([a_nd - 1], [b_nd - 2]), "b")
    if a_nd == 1:
        return np.multiply.outer(a, g) if b_nd > 1 else g * a
    if a_nd > 2:
        # g is a.shape[:-1] + b.shape[1:]: contract a's leading axes with g's.
        leading = list(range(a_nd - 1))
        return np.tensordot(a, g, axes=(leading, leading))
    return np.dot(np.swapaxes(a, -1, -2), g)


def matmul_adjoint_a(g, a, b):
    """Adjoint of a @ b with respect to a (1-d operands and batch broadcasting)."""
    # The common case, two matrices, tested inline: a helper call here would
    # cost a tenth of a small product, on every iteration of a loop.
    if type(a) is _ndarray and type(b) is _ndarray and a.ndim == 2 == b.ndim:
        return g @ b.T
    if np.ndim(b) == 1:
        grad = np.multiply.outer(g, b) if np.ndim(a) > 1 else g * b
    elif np.ndim(a) == 1:
        grad = np.matmul(b, g[..., None])[..., 0] if np.ndim(g) > 0 else np.matmul(b, g)
        return unbroadcast(grad, a)
    else:
        grad = np.matmul(g, np.swapaxes(b, -1, -2))
    return unbroadcast(grad, a)


def matmul_adjoint_b(g, a, b):
    """Adjoint of a @ b with respect to b."""
    if type(a) is _ndarray and type(b) is _ndarray and a.ndim == 2 and b.ndim <= 2:
        return a.T @ g  # a matrix times a matrix or a vector (X @ w): no batch axes
    if np.ndim(a) == 1:
        grad = np.multiply.outer(a, g) if np.ndim(b) > 1 else g * a
        if np.ndim(b) > 2:
            grad = np.swapaxes(np.multiply.outer(a, g), 0, -2)
    elif np.ndim(b) == 1:
        grad = np.matmul(np.swapaxes(a, -1, -2), g[..., None])[..., 0]
    else:
        grad = np.matmul(np.swapaxes(a, -1, -2), g)
    return unbroadcast(grad, b)


# -- for loops ---------------------------------------------------------------
# lower_control.py rewrites `for x in X` into `for _k in range(len(s)): x = s[_k]`
# with `s = loop_sequence(X, where)`: what X is becomes known only here, and
# indexing a dict would read values by key where Python iterates the keys.
import itertools  # noqa: E402  (kept beside their only users)
import operator  # noqa: E402
from collections.abc import Mapping  # noqa: E402  (kept beside its only users)


_ITERATED_AS_IS = (_ndarray, list, tuple, range, str, bytes)


def _is_zero_derivative(g) -> bool:
    """Whether a derivative (an adjoint or a tangent, nested or not) is zero."""
    if g is None or is_zero_number(g):
        return True
    if isinstance(g, (_ndarray, np.generic)):
        return not np.any(g)
    if isinstance(g, (tuple, list)):
        return all(_is_zero_derivative(entry) for entry in g)
    if isinstance(g, dict):
        return all(_is_zero_derivative(entry) for entry in g.values())
    return False


def _refuse_derivative_through(iterable, where):
    kind = type(iterable).__name__
    raise UnsupportedSyntaxError(
        f"{where}: a for loop over a {kind} whose items carry a derivative; adcompiler "
        f"cannot send derivatives back into a {kind}, whose items it reads as a list",
        help="Instead: loop over a list or a tuple of the values (build it with "
        "append in a loop, or pass one in), or over a dict and read its values by key.")


def loop_sequence(iterable, where):
    """What `for x in iterable` visits, as a sequence a lowered loop indexes:
    arrays (their rows), lists, tuples, ranges and strings as they are; a dict
    (any mapping) as the list of its keys; a set, a dict view or an iterator as
    the list of its items in the order Python's loop would visit them.

        >>> loop_sequence({"b": 1.0, "a": 2.0}, "f.py:3")
        ['b', 'a']
    """
    if isinstance(iterable, _ITERATED_AS_IS) and not (
            isinstance(iterable, _ndarray) and iterable.ndim == 0):
        return iterable
    _refuse_endless(iterable, where)
    # Python's own TypeError for what is not iterable (a number, a 0-d array).
    return list(iterable)


def check_iterated_as_is(iterable, where):
    """Raise UnsupportedSyntaxError unless `iterable`, which a lowered loop
    reads by index and the function resizes in place (`xs.append(v)`), is a
    sequence Python iterates item by item as it is: a list, a tuple, an array
    (its rows), a range, a string (passes/lower_control.py).

        >>> check_iterated_as_is([1.0, 2.0], "f.py:3")
    """
    if isinstance(iterable, _ITERATED_AS_IS) and not (
            isinstance(iterable, _ndarray) and iterable.ndim == 0):
        return
    raise UnsupportedSyntaxError(
        f"{where}: a for loop over a {type(iterable).__name__} that the function also "
        "resizes in place (append, pop, extend, ...); adcompiler follows such a loop over "
        "a list, a tuple or an array",
        help="Instead: loop over a list of its items, `for v in list(xs):`, or build a "
             "list to resize.")


def _refuse_endless(iterable, where):
    """A lowered loop reads its iterator whole before it starts: one that never
    ends (itertools.count(), cycle(), repeat(v)) would fill memory forever,
    where Python's loop stops at a break or at zip's shortest sequence."""
    if isinstance(iterable, (itertools.count, itertools.cycle)) or (
            isinstance(iterable, itertools.repeat) and operator.length_hint(iterable, -1) < 0):
        raise UnsupportedSyntaxError(
            f"{where}: a loop over itertools.{type(iterable).__name__}(...), which never "
            "ends; adcompiler reads what a loop iterates before the loop runs",
            help="Instead: loop over a range of known length (for i in range(n), "
                 "zip(range(1, n + 1), xs), [v] * n).")


def loop_sequence_adjoint(adjoint, iterable, where):
    """Adjoint of loop_sequence: the adjoint itself for what is iterated as it
    is; zeros for a dict, whose keys carry no derivative; an error for a set or
    an iterator whose items received a derivative."""
    if isinstance(iterable, _ITERATED_AS_IS):
        return adjoint
    if not isinstance(iterable, Mapping) and not _is_zero_derivative(adjoint):
        _refuse_derivative_through(iterable, where)
    return zeros_like(iterable)


def loop_sequence_tangent(tangent, iterable, where):
    """Tangent of loop_sequence: the tangent itself for what is iterated as it
    is; for a dict's keys (or a set's items), a zero per key. Also the
    transpose of loop_sequence_adjoint, for higher order."""
    if isinstance(iterable, _ITERATED_AS_IS):
        return tangent
    if not isinstance(iterable, Mapping) and not _is_zero_derivative(tangent):
        _refuse_derivative_through(iterable, where)
    return ListAdjoint(0.0 for _ in range(len(iterable)))


def loop_length_kept(sequence, length, where):
    """Raise UnsupportedSyntaxError if the list a lowered loop iterates no
    longer holds `length` items: its body resized it through another name
    (`ys = xs; for v in xs: ys.append(...)`, a dict or list holding it, a
    helper), which Python's loop would see and the lowered loop, counting the
    items once, would not. Checked at every step, so a length kept throughout
    means both loops visit the same items.

        >>> loop_length_kept([1.0, 2.0], 2, "f.py:3")
    """
    if isinstance(sequence, list) and len(sequence) != length:
        raise UnsupportedSyntaxError(
            f"{where}: this for loop's list changed length from {length} to "
            f"{len(sequence)} while the loop ran (through another name for the list, a "
            "dict or list holding it, or a function it was passed to); Python's loop "
            "visits the items added, adcompiler counts the items once, when the loop starts",
            help="Instead: to visit the items added too, loop over an index, `i = 0`, "
                 "`while i < len(xs):` reading `xs[i]` and ending with `i += 1`; to visit "
                 "only the items there at the start, copy them before the loop, "
                 "`start = list(xs)`, and loop over `start`.")


def loop_keys(mapping, view, where):
    """The keys of `mapping`, for a loop over `mapping.keys()`, `.values()` or
    `.items()` (`view`), which reads value number k as mapping[keys[k]]."""
    if isinstance(mapping, Mapping):
        return list(mapping)
    raise UnsupportedSyntaxError(
        f"{where}: a for loop over .{view}() of a {type(mapping).__name__}; adcompiler "
        f"loops over .{view}() of dicts",
        help=f"Instead: take them before the loop, `items = list(obj.{view}())`, and "
        "loop over `items` (an object that is not a dict carries no derivative).")


# -- a Jacobian or Hessian built inside differentiated code (compose.py) ---------

def real_array_operand(value) -> bool:
    """Whether `value` is what a Jacobian or Hessian written as generated code
    (one forward sweep per entry of its argument, compose.py) takes and
    gives: a real number or a real, non-empty NumPy array (not a pytree, a
    complex value), for which the API's own is called instead.

        >>> real_array_operand(np.ones(2)), real_array_operand({"w": 1.0})
        (True, False)
    """
    if isinstance(value, bool):
        return False
    return isinstance(value, (float, int, np.floating, np.integer)) or \
        type(value) is _ndarray and value.dtype.kind in "fiu" and value.size > 0


def assembled_by_the_api(assembled, arguments: tuple):
    """`assembled(*arguments)`: the API's Jacobian or Hessian, assembled in
    Python, where the generated one takes other values than it does (a dict
    of arrays). Its rule refuses a derivative through it when that runs.

        >>> assembled_by_the_api(max, (1.0, 2.0))
        2.0
    """
    return assembled(*arguments)


# -- forward mode's checks -----------------------------------------------------

def real_values(what, where, *values):
    """Refuse a complex tangent of a real value, nested in tuples, lists and
    dicts too: `values` are the differentiated arguments then their tangents
    that a jvp receives (or the result then its tangent it returns). A complex
    value takes complex or real tangents; a lone value is not checked."""
    if len(values) % 2:
        return
    half = len(values) // 2
    for value, tangent in zip(values[:half], values[half:]):
        if is_record(value) and what.startswith("an input"):
            # As as_gradient in reverse mode: a field named .shape would be read
            # as the array attribute, its tangent lost.
            refuse_clashing_fields(value, f"a differentiated argument of {where}")
        if isinstance(value, (tuple, list)) and isinstance(tangent, (tuple, list)):
            real_values(what, where, *value, *tangent)
        elif isinstance(value, dict) and isinstance(tangent, dict):
            real_values(what, where, *value.values(), *(tangent[k] for k in value))
        elif not complex_numbers.is_complex(value):
            reject_complex(tangent, f"a tangent of a real value ({what})", where)
