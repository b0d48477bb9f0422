"""Caches of compiled code, kept on the functions they were compiled from.

A derivative refers to the user's module globals (codegen.py compiles it with
them, so rebound globals are read live), and a module's globals refer to the
module's functions. A cache keyed weakly by the function, whose values are
derivatives, therefore keeps every key alive through its own value: nothing
compiled would ever be freed, nor the text registered for it in `linecache`.

So each function carries its own caches, in one attribute holding a `_Store`:
the derivatives of `f` are reachable from `f` alone, and when the user drops
`f` the garbage collector frees `f`, its derivatives and (see codegen.py)
their `linecache` entries together, cycles through the module dict included.

    >>> table(f, "api")[("grad", (0,), False)] = entry     # doctest: +SKIP

A store names the function it belongs to (weakly): `functools.wraps` copies a
function's `__dict__` onto a wrapper, and the wrapper must not be served the
derivatives of the function it wraps. A store pickles as nothing (cloudpickle
pickles a function's `__dict__` by value): compiled code is not sent along.
"""

from __future__ import annotations

import types
import weakref

ATTRIBUTE = "__adcompiler_compiled__"

# table name -> generation; `clear(name)` starts a new generation, and a table
# of an older one is served empty (the stores themselves cannot be enumerated).
_generations: dict = {}


def _nothing():
    return None


class _Store:
    """The tables of compiled code of one function."""

    __slots__ = ("owner", "tables")

    def __init__(self, owner: weakref.ref):
        self.owner = owner
        self.tables: dict = {}

    def __reduce__(self):
        return (_nothing, ())

    def __repr__(self) -> str:
        return f"<adcompiler caches: {sorted(self.tables)}>"


def table(function, name: str) -> dict:
    """The cache `name` of `function`, created empty when missing. A callable
    that cannot carry one (no `__dict__`, no weak references) gets a fresh
    dict each time: its derivatives are compiled at each request, never leaked."""
    namespace = _namespace(function)
    store = namespace.get(ATTRIBUTE) if namespace is not None else None
    if type(store) is not _Store or store.owner() is not function:
        if namespace is None:
            return {}
        try:
            store = _Store(weakref.ref(function))
        except TypeError:
            return {}
        namespace[ATTRIBUTE] = store
    generation = _generations.get(name, 0)
    entry = store.tables.get(name)
    if entry is None or entry[0] != generation:
        entry = store.tables[name] = (generation, {})
    return entry[1]


def _namespace(function) -> dict | None:
    """The object's own attribute dict; None for a bound method, whose
    `__dict__` is its function's."""
    if isinstance(function, types.MethodType):
        return None
    namespace = getattr(function, "__dict__", None)
    return namespace if type(namespace) is dict else None


def existing(function, name: str) -> dict:
    """The cache `name` of `function` if it has one, else an empty dict (not stored)."""
    namespace = _namespace(function)
    store = namespace.get(ATTRIBUTE) if namespace is not None else None
    if type(store) is not _Store or store.owner() is not function:
        return {}
    entry = store.tables.get(name)
    if entry is None or entry[0] != _generations.get(name, 0):
        return {}
    return entry[1]


def clear(name: str) -> None:
    """Empty the tables `name` of every function."""
    _generations[name] = _generations.get(name, 0) + 1
