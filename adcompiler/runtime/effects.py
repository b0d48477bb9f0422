"""What generated code calls where the user's function changes an object in place.

Generated code never writes into an array: `np.add.at(a, i, v)` becomes
`a = add_at(a, i, v)`, an updated copy, like `x[i] = v` becomes `setitem`.
Where the updated object may be shared with another live name (a NumPy view,
a list element, the same object under two names), the compiler cannot always
tell when compiling whether Python would change what that other name sees;
`check_unshared` asks the objects themselves when the function runs, and
refuses rather than compute a different function.
"""

from __future__ import annotations

import collections
import sys
import types

import numpy as np

from ..errors import SharedMemoryError, UnsupportedSyntaxError
from .arrays import foreign_add_at, is_foreign_array

_ndarray = np.ndarray


def _has_views(x) -> bool:
    """Whether x is an array whose slices can share its memory: NumPy's, or a
    strided array of another library (CuPy). A dask array's slice is a new lazy
    array that a later write into the base does not change: not a view."""
    return isinstance(x, _ndarray) or (is_foreign_array(x) and hasattr(x, "strides")
                                       and hasattr(x, "base"))


def add_at(a, index, value):
    """A copy of `a` after `np.add.at(a, index, value)`: repeated indices add up.

    Example:
        >>> add_at(np.zeros(3), [0, 0, 2], 1.0)
        array([2., 0., 1.])
    """
    if is_foreign_array(a):
        return foreign_add_at(a.astype(np.result_type(a.dtype, float)), index, value)
    updated = np.array(a, dtype=np.result_type(a, value, float) if not isinstance(a, _ndarray)
                       or a.dtype.kind != "f" else a.dtype)
    np.add.at(updated, index, value)
    return updated


def sort_in_place(a, *args, **kwargs):
    """What `a` holds after `a.sort(...)`: a sorted copy of the same type (a
    list stays a list, an array an array)."""
    if isinstance(a, list):
        return sorted(a, *args, **kwargs)
    updated = np.array(a)
    updated.sort(*args, **kwargs)
    return updated


def _in_place_type(value, operator: str | None) -> bool:
    """Whether an update of `value` changes the object itself: element writes
    always do; `x += v` does for arrays and lists, and rebinds numbers."""
    if operator is None:
        return True
    return hasattr(type(value), f"__i{operator}__")


def _shares(updated, other, seen=None) -> bool:
    """Whether `other` sees a change made in place to `updated`: it is
    `updated`, a view of the same memory, or holds one in an entry or an
    attribute (MODEL.layer.w), however deep."""
    if updated is other:
        return True
    # `a.flat` writes into a: the iterator shares what its array holds.
    if isinstance(updated, np.flatiter):
        return _shares(updated.base, other, seen)
    if isinstance(other, np.flatiter):
        return _shares(updated, other.base, seen)
    # Both NumPy's, or both another library's (CuPy, through np.shares_memory).
    if _has_views(updated) and _has_views(other) and (
            isinstance(updated, _ndarray) == isinstance(other, _ndarray)):
        try:
            if not isinstance(updated, _ndarray):
                # CuPy's shares_memory is exact (a kernel), and has no max_work bound.
                return bool(np.shares_memory(updated, other))
            return bool(np.shares_memory(updated, other, max_work=10_000))
        except np.exceptions.TooHardError:
            return True  # too costly to decide: assume the worst
    items = _held_objects(other)
    if not items:
        return False
    # Objects may hold each other (a layer pointing back at its network).
    seen = set() if seen is None else seen
    if id(other) in seen:
        return False
    seen.add(id(other))
    return any(_shares(updated, item, seen) for item in items)


# Packages whose objects hold no array of the user's model, but may hold a
# large graph of other objects (a logger holds every logger): not searched.
_LIBRARY_PACKAGES = frozenset(getattr(sys, "stdlib_module_names", ())) | {
    "numpy", "scipy", "pandas", "torch", "jax", "matplotlib", "sklearn", "adcompiler"}


def _library_object(obj) -> bool:
    """An object of the standard library or of a scientific library (not a
    container, which is searched as one)."""
    module = getattr(type(obj), "__module__", "") or ""
    return module.split(".")[0] in _LIBRARY_PACKAGES


# What a class or module holds that is code, not data an update could reach.
_CODE = (type, types.ModuleType, types.FunctionType, types.MethodType,
         types.BuiltinFunctionType, staticmethod, classmethod, property)


def _held_objects(other) -> list:
    """The entries of a container, or the attributes of an object (its
    __dict__ and __slots__), that an in-place change may reach."""
    if isinstance(other, (list, tuple, set, frozenset, collections.deque)):
        return list(other)
    if isinstance(other, dict):
        return list(other.values())
    if isinstance(other, (type, types.ModuleType)):
        # The data a user's class or module holds (`t = Acc.total; t *= x`
        # changes the class's array), not its code, nor a library's.
        home = other.__module__ if isinstance(other, type) else other.__name__
        if (home or "").split(".")[0] in _LIBRARY_PACKAGES:
            return []
        return [value for name, value in vars(other).items()
                if not (name.startswith("__") and name.endswith("__"))
                and not isinstance(value, _CODE)]
    if isinstance(other, (type, types.ModuleType, types.FunctionType, types.MethodType,
                          types.BuiltinFunctionType, str, bytes, int, float, complex)) or \
            isinstance(other, _ndarray) or other is None or _library_object(other):
        return []
    held = list(vars(other).values()) if hasattr(other, "__dict__") else []
    for klass in type(other).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if isinstance(slot, str) and slot not in ("__dict__", "__weakref__") and \
                    hasattr(other, slot):
                held.append(getattr(other, slot))
    return held


def check_unshared(updated, operator, others, names, where):
    """Raise `SharedMemoryError` if updating `updated` in place (element write
    when `operator` is None, `x <operator>= v` otherwise) would change what one
    of `others` (the live variables called `names`) holds.

    Example:
        >>> state = np.zeros(4)
        >>> check_unshared(state[:2], "add", (state,), ("state",), "f.py:3")
        Traceback (most recent call last):
        ...
        adcompiler.errors.SharedMemoryError: ...
    """
    if not _in_place_type(updated, operator):
        return
    shared = [name for name, other in zip(names, others) if _shares(updated, other)]
    if shared:
        raise SharedMemoryError(where.format(shared=", ".join(shared)))


def writes_through(value, operator) -> bool:
    """Whether `value <operator>= ...` changes the object itself (arrays, lists)
    rather than binding a new one (numbers, tuples)."""
    return _in_place_type(value, operator)


def is_view_of(base, derived, how, where="") -> bool:
    """Whether `derived`, just read out of `base` (`how`: an "item", a
    "transpose", a "reshape", a "moveaxis", the "real" part, a "copy" of base,
    or a dict holding base's "entries"), is part of base's object, so that changing it in place changes
    base: base itself, a NumPy view (not a copy, not a scalar), or an element
    object of a list, tuple or dict. The real part of a complex array, which
    the derivative could not write back, raises `SharedMemoryError` naming
    `where`."""
    if derived is base or how == "copy":
        return derived is base
    if how == "entries":
        # A shallow copy of a dict holds base's entries (a list's copy is not
        # followed so: the write-back finds an entry by its key).
        return isinstance(base, dict) and isinstance(derived, dict)
    if _has_views(base):
        shared = _has_views(derived) and _shares(derived, base)
        if shared and how == "real" and np.iscomplexobj(base):
            raise SharedMemoryError(
                f"{where}: the real part of a complex array (z.real) is changed in place "
                "here, or read again after z changes; adcompiler follows that only for "
                "real arrays.\nInstead: build the new array, z = new_real + 1j * z.imag.")
        return shared
    if not isinstance(base, (list, tuple, dict)):
        return False
    if how != "item":
        return False  # np.asarray(L), np.ravel(L), np.transpose(L) build a new array
    if isinstance(derived, (list, tuple, dict)):
        # An element, or a slice of the list (a new list: changing it changes nothing).
        items = base.values() if isinstance(base, dict) else base
        return any(derived is item for item in items)
    return True


def reads_change(base, derived, is_view, changed, element, element_in_place) -> bool:
    """Whether `derived` (read out of `base`, a view of it when `is_view`)
    sees an in-place change of the object `changed` (or, for `x[i] op= v`, of
    the element `element` when that operator worked in place): every view of a
    written array does; of a container's entries, only the changed object."""
    if not is_view:
        return False
    if _has_views(base) and derived is not base:
        return True
    if derived is changed or (element_in_place and derived is element):
        return True
    for old in (changed, element if element_in_place else None):
        if _has_views(old) and (_shares(old, derived) or _shares(derived, old)):
            # Shared along another path (a view held by one container of an array
            # held by another): reading it again from this base would not see it.
            raise SharedMemoryError(
                "an array changed in place is shared by another object along a path "
                "adcompiler does not follow (a view held by one container of an array "
                "held by another).\nInstead: make the update through one name, or copy "
                "the arrays before putting them in containers.")
    return False


def check_entry_held(container, index, old, where):
    """Raise `SharedMemoryError` if `container` (a list, tuple or dict) no
    longer holds `old` at `index`: the value read from it was changed in place
    after the entry was replaced (L[i] = w; v += 1 for v = L[i]), which Python
    does to the old object only, and the derivative would write into L.

    Example:
        >>> check_entry_held([1.0, 2.0], 0, 1.0, "f.py:3")
    """
    if not isinstance(container, (list, tuple, dict)):
        return
    try:
        held = container[index]
    except (KeyError, IndexError, TypeError):
        held = None
    if held is not old:
        raise SharedMemoryError(
            f"{where}: this in-place update changes an object read out of a list or dict "
            "whose entry has since been replaced (L[i] = w, or the entries swapped); Python "
            "changes the object itself wherever it now is, which adcompiler does not "
            "follow.\nInstead: update the new entry (L[i] += ...), or copy the value read "
            "(v = L[i].copy()).")


def check_distinct(updated, others, names, call, where):
    """Raise `SharedMemoryError` if the argument `updated` (`call` shows which),
    which the function changes in place, shares an object with another
    argument: the caller passed the same array twice, or a list and one of its
    arrays. Python would change both; the derivative follows one."""
    shared = [name for name, other in zip(names, others)
              if _shares(updated, other) or _shares(other, updated)]
    if shared:
        raise SharedMemoryError(
            f"{where}: {call} changes that argument in place, and the caller passed the "
            f"same object (or one holding it) as {', '.join(shared)}; Python would change "
            "both, adcompiler's derivative follows one.\nInstead: pass a copy, for "
            "example f(x, x.copy()).")


def diagonal_positions(a, value, wrap):
    """The positions of np.ravel(a) that `np.fill_diagonal(a, value, wrap)`
    writes, as a slice; a value that NumPy would repeat to fill them (neither
    one number nor one per position) is refused."""
    shape = np.shape(a)
    if len(shape) == 2:
        step = shape[1] + 1
        end = None if wrap else shape[1] * shape[1]
    else:
        step = 1 + int(np.sum(np.cumprod(shape[:-1])))
        end = None
    positions = slice(None, end, step)
    count = len(range(*positions.indices(int(np.prod(shape)))))
    if np.size(value) not in (1, count):
        raise SharedMemoryError(
            f"np.fill_diagonal with {np.size(value)} values for {count} diagonal entries "
            "repeats them, which adcompiler does not differentiate.\nInstead: pass one "
            "value, or one per diagonal entry.")
    return positions


def check_out_buffer(buffer, where: str) -> None:
    """`f(x, out=buffer)` with a buffer that is None when the code runs: the
    derivative wrote the result into it as into an array (out= given through a
    variable is compiled as a write), so None is refused here, naming the line.

        >>> check_out_buffer(np.zeros(3), "model.py:4")
    """
    if buffer is None:
        raise UnsupportedSyntaxError(
            f"{where}: out= is given a variable that holds None when the code runs; "
            "adcompiler compiles out=<variable> as a write into that array",
            help="Instead: call the function without out= where there is no buffer "
            "(y = np.cumsum(x) if buf is None else np.cumsum(x, out=buf)), or write "
            "out=None literally.")


def check_sorted_list(items, where: str) -> None:
    """`L.sort(key=..., reverse=...)`, compiled as `L[:] = sorted(L, ...)`, is
    a list's sort; another object's `.sort` method is refused here, naming the
    line, rather than replaced by the list's.

        >>> check_sorted_list([3.0, 1.0], "model.py:4")
    """
    if type(items) is not list:
        raise UnsupportedSyntaxError(
            f"{where}: .sort(key=..., reverse=...) is called on a {type(items).__name__} "
            "object; adcompiler compiles it as a list's sort",
            help="Instead: call the sort method under another name (obj.sort_by(...)), or "
            "sort a list: items = sorted(obj.items, key=...).")


def update_keys(items, where: str) -> list:
    """The keys `D.update(items)` writes, in its order, for a mapping `items`
    (passes/lower_dict_methods.py writes the entries one by one: `D[key] =
    items[key]`, as dict.update does with a mapping); pairs are refused here,
    naming the line.

        >>> update_keys({"w": 1.0, "b": 2.0}, "model.py:4")
        ['w', 'b']
    """
    if not hasattr(items, "keys"):
        raise UnsupportedSyntaxError(
            f"{where}: dict.update(...) is given a {type(items).__name__}, not a mapping; "
            "adcompiler writes the entries of a mapping only",
            help="Instead: D.update(dict(pairs)), or a loop that writes D[key] = value.")
    return list(items.keys())


def put_indices(indices):
    """The flat positions np.put(a, indices, v) writes at, converted as NumPy
    converts them: booleans are the indices 0 and 1 (not a mask), a list of
    floats is truncated, an array of floats is refused (TypeError).

        >>> put_indices(np.array([True, False, True]))
        array([1, 0, 1])
    """
    # Flattened, as NumPy reads them: np.put(a, 3, v) writes one position.
    if isinstance(indices, (np.ndarray, np.generic)):
        return np.asarray(indices).astype(np.intp, casting="safe").reshape(-1)
    return np.asarray(indices).astype(np.intp).reshape(-1)


def flat_positions(a, where: str):
    """np.arange(a.size): the flat positions of `a`, which `a.flat[i]` reads
    or writes at as flat_positions(a)[i] (desugar.py), for `a` a NumPy array;
    anything else that has a `.flat` (a record's field) is refused, not read as
    an array.

        >>> flat_positions(np.zeros((2, 2)), 'f.py:3')[::3]
        array([0, 3])
    """
    if not isinstance(a, (_ndarray, np.generic)):
        raise UnsupportedSyntaxError(
            f"{where}: .flat[...] is read as a NumPy array's flat iterator, but here it "
            f"belongs to a {type(a).__name__}",
            help="Instead: rename the attribute, or read it into a variable first "
            "(v = obj.flat; v[i]).")
    return np.arange(a.size)


def cycle_positions(values, selector):
    """Which of `values` (flattened) NumPy's np.put, np.place and np.putmask
    write at each selected position: they repeat `values` when it is shorter.
    `selector` is a boolean mask (one position per True), or the indices or
    array whose size counts the positions."""
    selector = np.asarray(selector)
    count = int(np.count_nonzero(selector)) if selector.dtype == bool else int(selector.size)
    size = max(int(np.size(values)), 1)
    return np.arange(count) % size


def _same_view(old, new) -> bool:
    """Whether `new` is another view of exactly what `old` shows (a view read
    again out of a base that did not change): nothing was replaced."""
    return isinstance(old, _ndarray) and isinstance(new, _ndarray) and \
        old.shape == new.shape and old.strides == new.strides and \
        old.dtype == new.dtype and \
        old.__array_interface__["data"][0] == new.__array_interface__["data"][0]


def check_not_held(olds, news, changed, holders, names, where):
    """Raise `SharedMemoryError` if one of `holders` (live lists, tuples, dicts,
    objects) still holds an object of `olds` that an in-place change replaced
    by the matching one of `news` (where the matching `changed` is true):
    Python's container would show the change, the derivative's holds the old
    value. So does a name read again, or a container written back into at
    one entry, that still is (or holds at another entry) a replaced object:
    `L = [v, v]`, or a helper's `return a, a`, changed through one entry."""
    replaced = [(old, new) for old, new, really in zip(olds, news, changed)
                if really and old is not new and not _same_view(old, new)]
    for old, new in replaced:
        shared = [name for name, holder in zip(names, holders)
                  if holder is not old and holder is not new and _shares(old, holder)]
        if shared:
            raise SharedMemoryError(
                f"{where}: an in-place update changed an array that {', '.join(shared)} "
                "also holds, along a path adcompiler does not follow (a view of the array "
                "held in a container).\nInstead: make the update through the container, "
                "or put copies in it.")
    for old, new in replaced:
        if any(other is not new and (other is old or (
                isinstance(other, (list, tuple, dict)) and _shares(old, other)))
               for other in news):
            raise SharedMemoryError(
                f"{where}: an in-place update changed an object that a container holds "
                "more than once (or that two of its entries share); Python would change "
                "every entry, adcompiler's derivative follows one.\nInstead: put copies "
                "in the container ([v, v.copy()]), or update the value where it is stored.")
