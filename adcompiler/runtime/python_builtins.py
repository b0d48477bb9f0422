"""Runtime helpers for Python's builtins over sequences (`sorted`, `tuple`):
what code lowered by passes/lower_comprehensions.py calls, and what the rules
of rules/python_rules.py call in their templates."""

from __future__ import annotations

import copy
import operator
from collections.abc import Mapping, Sequence

import numpy as np

from . import core, arrays  # runtime: read when called (it imports this module)
from ..errors import (CallConventionError, NoDerivativeRuleError, SourceChangedError,
                      UnsupportedSyntaxError)
from .arrays import ListAdjoint, sequence_adjoint


def sorted_order(items, reverse=False) -> list:
    """The positions of `items` in the order `sorted(items, reverse=reverse)`
    puts them: the same comparisons (`<`) and the same stable sort, so equal
    items keep their order and `[items[i] for i in sorted_order(items)] ==
    sorted(items)`.

        >>> sorted_order([3.0, 1.0, 2.0, 1.0])
        [1, 3, 2, 0]
    """
    return sorted(range(len(items)), key=items.__getitem__, reverse=reverse)


def items_adjoint(adjoint, items):
    """Adjoint of `tuple(items)` with respect to `items`: the entries of `adjoint`
    (one per item), in the form of `items` (a list's adjoint for a list, an
    array for an array's rows).

        >>> items_adjoint((1.0, 2.0), np.zeros(2))
        array([1., 2.])
    """
    if isinstance(items, np.ndarray):
        rows = [np.zeros(items.shape[1:]) if entry is None else entry for entry in adjoint]
        return np.reshape(np.array(rows, dtype=np.result_type(float, *rows)), items.shape)
    return sequence_adjoint(list(adjoint), items)


def copied(x):
    """`x.copy()` for an object whose class is not known when compiling: the
    same shallow copy for an array, a list, a dict or a set (`copy.copy`).

        >>> copied([1.0, 2.0])
        [1.0, 2.0]
    """
    return copy.copy(x)


def deep_copied(x):
    """`copy.deepcopy(x)`: independent copies of the arrays, lists, dicts and
    tuples x holds, as bind_methods.py writes the call (a function with a rule,
    whose result shares nothing with x).

        >>> deep_copied({"w": [1.0]})
        {'w': [1.0]}
    """
    return copy.deepcopy(x)


def deep_copy_derivative(derivative, x):
    """The derivative of `deep_copied(x)` with respect to x: the copy's own,
    for arrays and numbers and dicts and tuples of them. A list anywhere in x
    is refused: the copy's lists may grow and shrink apart from x's.

        >>> deep_copy_derivative({"w": 1.0}, {"w": 2.0})
        {'w': 1.0}
    """
    stack = [x]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            raise UnsupportedSyntaxError(
                "copy.deepcopy of a list of differentiated values is not supported",
                help="Instead: copy the list with [copy.deepcopy(v) for v in L], "
                "or hold the values in a tuple or a dict.")
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, tuple):
            stack.extend(item)
    return derivative


def item_of(x):
    """`x.item()` of an array or NumPy scalar with one element: that element
    as a Python number, as bind_methods.py writes the call.

        >>> item_of(np.array([2.5]))
        2.5
    """
    return x.item()


def item_adjoint(adjoint, x):
    """Adjoint of `item_of(x)`: the number's adjoint, in x's shape and type."""
    _require_numeric(x)
    if isinstance(x, np.ndarray):
        return np.full(x.shape, adjoint, dtype=np.result_type(x.dtype, np.asarray(adjoint).dtype))
    return adjoint


def _require_numeric(x) -> None:
    """x.item() carries a derivative only for a NumPy array or number."""
    if not isinstance(x, (np.ndarray, np.generic, int, float, complex)):
        raise UnsupportedSyntaxError(
            f".item() of a differentiated {type(x).__name__} is not supported",
            help="Instead: call .item() on a NumPy array or number.")


def item_tangent(tangent):
    """Tangent of `item_of(x)`: the one element of x's tangent, as a number
    (a zero tangent may already be one)."""
    _require_numeric(tangent)
    return tangent.item() if hasattr(tangent, "item") else tangent


def as_list(x):
    """`x.tolist()` of an array or NumPy number: nested lists of Python
    numbers (a number for a 0-d array), as bind_methods.py writes the call.

        >>> as_list(np.array([[1.0, 2.0]]))
        [[1.0, 2.0]]
    """
    return x.tolist()


def tolist_adjoint(adjoint, x):
    """Adjoint of `as_list(x)`: the entries' adjoints (None or a zero for
    an entry that received none) as an array shaped like x. A list whose
    length changed since it was made is refused."""
    _require_numeric(x)
    shape, dtype = np.shape(x), np.result_type(x, float)
    if adjoint is None or arrays.is_zero_number(adjoint) and len(shape) > 0:
        return np.zeros(shape, dtype)
    if not shape:
        return np.asarray(adjoint, dtype)
    if len(adjoint) != shape[0]:
        raise UnsupportedSyntaxError(
            "a list made by .tolist() whose length changes is not supported",
            help="Instead: build a new list from it, list(values) + [v].")
    rows = np.asarray(x)
    return np.stack([tolist_adjoint(entry, row) for entry, row in zip(adjoint, rows)]) \
        .astype(dtype, copy=False)


def tolist_tangent(tangent, x):
    """Tangent of `as_list(x)`: x's tangent as nested lists, like x's."""
    _require_numeric(x)
    return np.broadcast_to(tangent, np.shape(x)).tolist()


def exact_instance(obj, cls: type):
    """obj, checked to be an instance of exactly `cls`: the object of a
    `layer(x)` or `model.predict(x)` whose method was chosen when compiling
    from the class of a module-level object (or of the items of a module-level
    list, `for layer in LAYERS`), which may have been rebound since.

        >>> exact_instance(1.0, float)
        1.0
    """
    if type(obj) is not cls:
        raise SourceChangedError(
            f"a {type(obj).__name__} object is used where adcompiler compiled the "
            f"methods of a {cls.__name__} object (a module-level object rebound, or a "
            "list or dict entry replaced, since the derivative was made)",
            help="Ask for the derivative again (ad.grad(f)) after changing it.")
    return obj


def default_kept(value, default, name: str, where: str) -> None:
    """Raise unless `value`, what a parameter of the differentiated function
    received, is its default, the function the derivative was compiled to
    call (passes/function_defaults.py).

        >>> import math
        >>> default_kept(math.sin, math.sin, "act", "model.py:3")
    """
    if value is not default:
        raise CallConventionError(
            f"{where}: the derivative was compiled for the parameter {name!r} left at its "
            f"default, {getattr(default, '__name__', default)!r}, which it calls; this call "
            f"passes {getattr(value, '__name__', type(value).__name__)!r}",
            help=f"Leave {name!r} to its default, or differentiate a function that calls "
            f"the other one by name (def loss_sin(w): return loss(w, {name}=np.sin)), or "
            f"make it the default of a function of its own.")


def unpacked_length(items, count: int, spelled: str, where: str) -> None:
    """Raise unless `items`, unpacked into a call `f(*items)` that the
    derivative makes as `f(items[0], ..., items[count - 1])`, is a list, a
    tuple or an array of exactly `count` items (rows) (passes/anf.py).

        >>> unpacked_length([1.0, 2.0], 2, "np.hypot(*v)", "model.py:3")
    """
    sequence = isinstance(items, (list, tuple)) or (
        isinstance(items, np.ndarray) and items.ndim >= 1)
    if not sequence or len(items) != count:
        what = (f"{len(items)} items" if sequence else
                f"a {type(items).__name__}, whose items are not taken by position")
        raise UnsupportedSyntaxError(
            f"{where}: {spelled} unpacks {what}; the derivative was compiled for "
            f"{count}, the positional parameters it requires",
            help="Pass the items by position (f(v[0], v[1])), or unpack a list, tuple or "
            f"array of {count} items.")


def methods_not_shadowed(obj, names: tuple, where: str = "") -> None:
    """Raise if `obj` holds an attribute of its own named like one of the
    methods `names` of its class that a method compiled for that class calls
    on `self` (`self.act(x)`): Python calls the object's own attribute
    (`model.act = np.tanh`), the compiled code the class's function.

        >>> methods_not_shadowed(1.0, ("real",), "model.py:12")
    """
    own = getattr(obj, "__dict__", None) or {}
    shadowed = [name for name in names if name in own]
    if shadowed:
        raise UnsupportedSyntaxError(
            f"{where}: the {type(obj).__name__} object has an attribute of its own named "
            f"{shadowed[0]!r}, which hides its class's method {shadowed[0]!r}: Python calls "
            f"the attribute, the derivative was compiled with the class's method",
            help=f"Give the attribute a name of its own (self.{shadowed[0]}_fn = ...), or "
                 f"remove the method {shadowed[0]!r} from the class.")


def conjugated(x):
    """`x.conj()` (or `x.conjugate()`) for an object whose class is not known
    when compiling, as the object's own method computes it: for a real NumPy
    array that is the array itself, so a write through the result changes x
    (np.conjugate(x) would be a copy).

        >>> conjugated(1.0 + 2.0j)
        (1-2j)
    """
    method = getattr(x, "conj", None) or getattr(x, "conjugate", None)
    return method() if method is not None else np.conjugate(x)


def copy_derivative(adjoint, x):
    """The derivative of `copied(x)` (`x.copy()`) with respect to x: the
    copy's own, for an array, a number or a dict. A list is refused: the
    copy may grow and shrink apart from x, which its derivative would not.

        >>> copy_derivative(np.ones(2), np.zeros(2))
        array([1., 1.])
    """
    if isinstance(x, list):
        raise UnsupportedSyntaxError(
            "copying a list of differentiated values with .copy() or copy.copy() is not "
            "supported", help="Instead: write list(L) (or L[:]), which adcompiler "
            "differentiates.")
    return adjoint


def mapping_copy_derivative(adjoint, x):
    """The derivative of `dict(x)` with respect to x, for a mapping x (a copy,
    whose derivative is x's). Pairs held in a variable are refused: dict() of
    a display, zip(...) or .items() is written as a loop when compiling.

        >>> mapping_copy_derivative({"a": 1.0}, {"a": 2.0})
        {'a': 1.0}
    """
    if not isinstance(x, Mapping):
        raise UnsupportedSyntaxError(
            f"dict() of a {type(x).__name__} of (key, value) pairs held in a variable, with "
            "differentiated values, is not supported",
            help="Instead: dict(zip(keys, values)), dict(pairs.items()), or a loop that "
            "writes d[key] = value.")
    return adjoint


def view_items(mapping, view: str) -> list:
    """`list(mapping.values())` (or of `.keys()`, `.items()`, as `view`
    names): what lower_comprehensions.py iterates for `list(d.values())`,
    `max(d.values())`, `dict(d.items())`. A dict's values carry its
    derivative through the rule of this function; an object that is not a
    dict carries none.

        >>> view_items({"a": 1.0, "b": 2.0}, "items")
        [('a', 1.0), ('b', 2.0)]
    """
    return list(getattr(mapping, view)())


def view_items_adjoint(adjoint, mapping, view: str):
    """Adjoint of `view_items` with respect to the dict: entry k of `g` goes
    to the value of key k (of a pair's adjoint, its second entry)."""
    zeros = core.zeros_like
    if not isinstance(mapping, Mapping):
        return zeros(mapping)
    out = {}
    for key, entry in zip(mapping, adjoint):
        if view == "items":
            entry = entry[1] if isinstance(entry, (tuple, list)) else None
        if view == "keys" or entry is None or arrays.is_zero_number(entry):
            entry = zeros(mapping[key])
        out[key] = entry
    return arrays.DictAdjoint(out)


def view_items_tangent(tangent, mapping, view: str) -> list:
    """Tangent of `view_items`: the values' tangents, in the dict's order
    (zeros for keys, which carry no derivative)."""
    if view == "values":
        return [tangent[key] for key in mapping]
    if view == "items":
        return [(0.0, tangent[key]) for key in mapping]
    return [0.0 for _ in mapping]


def extended(items, more):
    """`items.extend(more)` as an updated copy (passes/effects.py rewrites the
    call into `items = extended(items, more)`, and aliasing.py makes every
    other name for the list see it, as Python's in-place change does): the
    receiver's own extend, on a shallow copy, so any iterable is taken as
    Python takes it.

        >>> extended([1.0], (2.0, 3.0))
        [1.0, 2.0, 3.0]
    """
    result = copy.copy(items)
    result.extend(more)
    return result


def joined(first, second):
    """The derivative of a joined list `L + M` (or `L.extend(M)`): the entries
    of both derivatives in order, as a list derivative that adds entry by
    entry (a plain list would join again under `+`).

        >>> joined([1.0], (2.0, 3.0))
        ListAdjoint([1.0, 2.0, 3.0])
    """
    return ListAdjoint([*first, *second])


def _span(length: int, start, stop, like) -> tuple:
    """Positions start:stop within a sequence of `length`; start None means
    the last len(like) entries, stop None len(like) entries from start."""
    start = length - len(like) if start is None else start
    return start, start + len(like) if stop is None else stop


def part_of(adjoint, start, stop, like):
    """Entries start:stop of a list's derivative, in the form of `like` (the
    part of a joined list that came from `like`; start None: the last
    len(like) entries, stop None: len(like) entries from start).

        >>> part_of([1.0, 2.0, 3.0], None, None, [0.0, 0.0])
        ListAdjoint([2.0, 3.0])
    """
    start, stop = _span(len(adjoint), start, stop, like)
    return items_adjoint(list(adjoint[start:stop]), like)


def placed_in(entries, adjoint, start, stop, like):
    """The transpose of `part_of`: a list derivative as long as `adjoint`,
    zero but for `entries` at the positions part_of reads.

        >>> placed_in([5.0], [1.0, 2.0], None, None, [0.0])
        ListAdjoint([0.0, 5.0])
    """
    start, stop = _span(len(adjoint), start, stop, like)
    out = ListAdjoint(core.zeros_like(entry) for entry in adjoint)
    out[start:stop] = list(entries)
    return out


def check_numbers_compared(x, y):
    """The check of the rules of max(x, y) and min(x, y), which compare
    numbers or arrays elementwise: two tuples or lists are compared
    lexicographically and one of them is returned whole, which the rules'
    templates (g * (x > y)) do not describe.

        >>> check_numbers_compared(1.0, 2.0)
    """
    if isinstance(x, (tuple, list)) or isinstance(y, (tuple, list)):
        raise NoDerivativeRuleError(
            "max() or min() of two tuples or lists (compared lexicographically, one "
            "returned whole) is not differentiated",
            help="Choose between them with an explicit comparison: a if (a[0], a[1]) > "
            "(b[0], b[1]) else b; or np.maximum(a, b) for the elementwise maximum.")


def check_numeric_start(start=0):
    """The check of the rule of sum(iterable, start): a tuple or list `start`
    makes sum join sequences (sum(rows, [])), not add numbers.

        >>> check_numeric_start(0.0)
    """
    if isinstance(start, (tuple, list)):
        raise NoDerivativeRuleError(
            "sum(items, start) with a tuple or list start (which joins the items) is not "
            "differentiated",
            help="Join the lists with a loop of L = L + item, or with "
            "list(itertools.chain.from_iterable(items)) written as a loop of extend.")


def check_joined(value, where: str):
    """After `T = L + M` or `T = L * n`, which the compiler differentiates as
    a list join or repetition because L is a list: that T is a list or tuple.
    An array T means NumPy's arithmetic ran instead (`[a, b] + np.ones(2)`,
    `[a, b] * np.float64(2)`: list.__add__ declines an array, whose own
    operator adds elementwise), which the join's derivative does not describe.

        >>> check_joined([1.0, 2.0], "model.py:3")
    """
    if isinstance(value, (int, float, complex)):
        # Numbers added: the operand the compiler took for a list holds one
        # here (a name bound to a list elsewhere, v = sum(v) in a loop).
        raise UnsupportedSyntaxError(
            f"{where}: + or * of numbers, where an operand is a variable that holds a list "
            "of differentiated values at another point of the function, so adcompiler "
            "differentiated a list join or repetition; a variable holding a list in one "
            "place and a number in another is not supported",
            help="Give the number a name of its own: total = sum(values), then total + "
            "total.")
    if not isinstance(value, (list, tuple)):
        raise UnsupportedSyntaxError(
            f"{where}: a list of differentiated values was combined with a NumPy value "
            f"by + or *, which NumPy computes elementwise (giving a {type(value).__name__}), "
            "where adcompiler differentiated a list join or repetition; this is not supported",
            help="Make the list an array first: np.asarray(values) + other (or np.stack for "
            "a list of arrays).")


def repeated(items, count):
    """The derivative of `L * count`, a list repeated: `items`' entries
    `count` times (a sequence for `count` repeats them to its length).

        >>> repeated([1.0, 2.0], 2)
        ListAdjoint([1.0, 2.0, 1.0, 2.0])
    """
    if not isinstance(count, int):
        try:
            count = operator.index(count)   # np.int64(2): Python repeats by it too
        except TypeError:
            count = len(count) // len(items) if len(items) else 0
    return ListAdjoint(list(items) * count)


def list_repeat_adjoint(adjoint, length):
    """The derivative of L in `T = L * count` given T's (`adjoint`): the
    entries of each repetition added up, one per entry of L; `length` is
    len(L) then (or a sequence that long). A count of 0 or less made T empty:
    every entry of L gets a zero.

        >>> list_repeat_adjoint([1.0, 2.0, 3.0, 4.0], 2)
        ListAdjoint([4.0, 6.0])
    """
    if not isinstance(length, int):
        length = len(length)
    out = ListAdjoint([0.0] * length)
    for start in range(0, len(adjoint) if length else 0, length):
        out = ListAdjoint(core.add_adjoints(total, entry)
                          for total, entry in zip(out, adjoint[start:start + length]))
    return out


def reverse_in_place(items):
    """`items.reverse()` as an updated copy (passes/effects.py rewrites the
    call into `items = reverse_in_place(items)`; aliasing.py makes every
    other name for the list see it). Linear: the derivative of the reversed
    list is the reversed derivative.

        >>> reverse_in_place([1.0, 2.0, 3.0])
        [3.0, 2.0, 1.0]
    """
    if arrays.is_zero_number(items):
        return items  # a zero derivative, of any length
    result = copy.copy(items)
    result.reverse()
    return result


def _inserted_at(length: int, index) -> int:
    """Where `L.insert(index, v)` puts v in a list of `length`: Python clips
    the index to 0..length, counting a negative one from the end."""
    index = operator.index(index)
    if index < 0:
        return max(length + index, 0)
    return min(index, length)


def inserted(items, index, value):
    """`items.insert(index, value)` as an updated copy (passes/effects.py
    rewrites the call into `items = inserted(items, index, value)`).

        >>> inserted([1.0, 2.0], -1, 5.0)
        [1.0, 5.0, 2.0]
    """
    result = copy.copy(items)
    result.insert(index, value)
    return result


def with_entry(adjoint, index, entry):
    """The derivative of `inserted(items, index, value)`: `entry` (value's)
    put into `adjoint` (items') where the insert put the value.

        >>> with_entry([1.0, 2.0], -1, 5.0)
        ListAdjoint([1.0, 5.0, 2.0])
    """
    entries = list(adjoint)
    entries.insert(_inserted_at(len(entries), index), entry)
    return ListAdjoint(entries)


def without_entry(adjoint, index):
    """The part of a derivative of `inserted(items, index, value)` that is
    items': every entry but the one the insert put in.

        >>> without_entry([1.0, 5.0, 2.0], -1)
        ListAdjoint([1.0, 2.0])
    """
    entries = list(adjoint)
    del entries[_inserted_at(len(entries) - 1, index)]
    return ListAdjoint(entries)


def entry_at(adjoint, index):
    """The part of a derivative of `inserted(items, index, value)` that is
    value's: the entry the insert put in.

        >>> entry_at([1.0, 5.0, 2.0], -1)
        5.0
    """
    return adjoint[_inserted_at(len(adjoint) - 1, index)]


def removed_at(items, index):
    """`items.pop(index)` (its value read first as items[index]), and
    `items.remove(v)` at `items.index(v)`, of a list, and `del d[key]` and
    `d.pop(key)` of a dict, as an updated copy
    (passes/lower_control.py and effects.py rewrite them into
    `items = removed_at(items, index)`, in place as insert is). Linear: the
    derivative loses the same entry.

        >>> removed_at([1.0, 2.0, 3.0], -2)
        [1.0, 3.0]
    """
    if arrays.is_zero_number(items):
        return items  # a zero derivative, of any length
    result = copy.copy(items)
    result.pop(index)  # Python's IndexError for a position out of range
    return result


def position_of(items, value) -> int:
    """Where `items.remove(value)` removes: `items.index(value)`, Python's
    ValueError if no entry equals it (no derivative: it compares values).

        >>> position_of([1.0, 2.0, 2.0], 2.0)
        1
    """
    return items.index(value)


def restored_at(adjoint, index, entry):
    """The derivative of `removed_at(items, index)` put back into items'
    shape: `entry` where the removal took an entry out, `index` counting in
    the list before the removal (a negative one from its end).

        >>> restored_at([1.0, 3.0], -2, 0.0)
        ListAdjoint([1.0, 0.0, 3.0])
    """
    if arrays.is_zero_number(adjoint) and arrays.is_zero_number(entry):
        return adjoint  # a zero derivative, of any length
    if isinstance(adjoint, dict):
        # `del d[key]`, `d.pop(key)` of a dict (lower_dict_methods.py): its
        # derivative holds the key again (entries are matched by key).
        restored = dict(adjoint)
        restored[index] = entry
        return restored
    entries = list(adjoint)
    position = operator.index(index)
    if position < 0:
        position += len(entries) + 1
    entries.insert(position, entry)
    return ListAdjoint(entries)


def entry_of(adjoint, index):
    """Entry `index` of a list derivative: what restored_at put there.

        >>> entry_of([1.0, 0.0, 3.0], -2)
        0.0
    """
    return adjoint[index]


def read_global(namespace: dict, name: str):
    """The module variable `name`, for a function that declares it `global`
    (passes/module_globals.py): read when the code runs, as Python does."""
    try:
        return namespace[name]
    except KeyError:
        raise NameError(f"name {name!r} is not defined") from None


def missing_attribute(module, name: str):
    """`module.name` for an attribute the module did not have when the
    function was compiled (passes/missing_attributes.py): read again, it
    raises Python's own AttributeError, where Python raises it.

        >>> missing_attribute(np, "no_such_function")
        Traceback (most recent call last):
        AttributeError: module 'numpy' has no attribute 'no_such_function'
    """
    getattr(module, name)
    raise SourceChangedError(
        f"{module.__name__}.{name} exists now but did not when this derivative was "
        "compiled, which calls it nowhere", help="Differentiate the function again "
        "(a derivative held by adcompiler.grad and friends recompiles by itself).")


def write_global(namespace: dict, name: str, value) -> None:
    """Bind the module variable `name` to `value`, as `global name; name = value` does."""
    namespace[name] = value


# The tangent of tuple(items) is the tuple of their tangents.
TEMPLATE_HELPERS = {"items_adjoint": items_adjoint, "tuple": tuple,
                    "copy_derivative": copy_derivative,
                    "deep_copy_derivative": deep_copy_derivative,
                    "item_tangent": item_tangent, "item_adjoint": item_adjoint,
                    "tolist_adjoint": tolist_adjoint, "tolist_tangent": tolist_tangent,
                    "mapping_copy_derivative": mapping_copy_derivative,
                    "view_items_adjoint": view_items_adjoint,
                    "view_items_tangent": view_items_tangent,
                    # lists joined (L + M, L.extend(M)) and repeated (L * n)
                    "extended": extended, "joined": joined, "part_of": part_of,
                    "placed_in": placed_in, "repeated": repeated,
                    "list_repeat_adjoint": list_repeat_adjoint,
                    "check_joined": check_joined,
                    # L.reverse() and L.insert(i, v), as updated copies
                    "reverse_in_place": reverse_in_place, "inserted": inserted,
                    "with_entry": with_entry, "without_entry": without_entry,
                    "entry_at": entry_at,
                    # L.pop(i) and L.remove(v), as updated copies
                    "removed_at": removed_at, "restored_at": restored_at,
                    "position_of": position_of,
                    "entry_of": entry_of}


def text_under_printoptions(value, conversion: str, spec: str, **options) -> str:
    """The text an f-string, str(), repr() or print makes of `value` inside
    `with np.printoptions(**options):` (passes/lower_with.py): conversion
    's', 'r' or 'a' as `!s`, `!r`, `!a`, or '' for none, then `spec`.

        >>> text_under_printoptions(np.array([1 / 3]), "s", "", precision=2)
        '[0.33]'
    """
    with np.printoptions(**options):
        if conversion:
            value = {"s": str, "r": repr, "a": ascii}[conversion](value)
        return format(value, spec)


def matches_sequence(subject) -> bool:
    """Whether a `match` sequence pattern (`case [a, b]:`) may match `subject`:
    a collections.abc.Sequence other than text (passes/desugar.py). A NumPy
    array is not one, as in Python.

        >>> matches_sequence((1, 2)), matches_sequence("ab"), matches_sequence(np.ones(2))
        (True, False, False)
    """
    return isinstance(subject, Sequence) and not isinstance(subject, (str, bytes, bytearray))


def matches_mapping(subject) -> bool:
    """Whether a `match` mapping pattern (`case {'k': v}:`) may match
    `subject`: a collections.abc.Mapping (passes/desugar.py)."""
    return isinstance(subject, Mapping)
