"""`functools.partial` objects, and functions with a derivative rule, as
Python functions with source.

A partial has no source of its own, but what it computes is one call:
`partial(f, 3.0, a=1.0)` called with `x` is `f(3.0, x, a=1.0)`. `as_function`
writes that call as a `def` with the partial's own signature, its bound values
read from the new function's globals, and registers the text with linecache,
so the compiler reads it like any function of the user's:

    >>> from functools import partial
    >>> def f(w, x, a=2.0): ...
    >>> print(source_of(partial(f, 3.0, a=1.0)))
    def f_partial(x, *, a=a_default):
        return f(f_arg0, x, a=a)

`f` itself is then differentiated as the helper it is (a lambda, a NumPy
function with a rule, another partial: whatever a call may reach).

A function that has a derivative rule but no Python source of its own
(`np.tanh`, `math.exp`, `np.linalg.det`) is written the same way, as one call
of itself, so `ad.grad(np.tanh)` is the derivative of that call:

    >>> print(primitive_source(np.sum))
    def sum_call(a, axis=axis_default):
        return sum(a, axis)

Only the parameters that choose what is computed are written: `out=`,
`where=`, `dtype=` and the ufunc machinery are left at NumPy's defaults, and
so is a parameter without a default NumPy can spell (`keepdims=<no value>`).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import keyword
import linecache
import types
import weakref

import numpy as np

from .naming import readable_name

# partial -> the function standing for it (one per partial, so derivatives are cached)
_FUNCTIONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
# module name of the functions made here: not a package whose functions only rules cover
_MODULE = "adcompiler_partials"
# id(primitive) -> the function calling it (kept alive: NumPy's functions are)
_PRIMITIVES: dict = {}


def is_partial(obj) -> bool:
    return isinstance(obj, functools.partial)


def as_function(p: functools.partial):
    """A Python function computing what `p` computes, with readable source."""
    function = _FUNCTIONS.get(p)
    if function is None:
        function = _compiled(*_text(p.func, p.args, list(inspect.signature(p).parameters
                                                          .values()), "partial"))
        function.__qualname__ = f"partial({readable_name(p.func)}, ...)"
        _FUNCTIONS[p] = function
    _register(function)
    return function


def is_primitive_with_rule(obj, rule) -> bool:
    """`obj` has a derivative rule but is no Python function adcompiler could
    read (a ufunc, a builtin, a NumPy function behind its dispatcher). A rule
    without a derivative (`np.floor`) counts: its call then gives zero with
    the warning a call in a function of the user's gives."""
    return rule is not None and not (
        isinstance(obj, types.FunctionType) and not hasattr(obj, "__wrapped__")) and \
        _chosen_parameters(obj) is not None


def primitive_as_function(primitive):
    """A Python function calling `primitive` with its chosen parameters.

    Example:
        >>> primitive_as_function(np.tanh)(0.0)
        np.float64(0.0)
    """
    function = _PRIMITIVES.get(id(primitive))
    if function is None or function.__adcompiler_primitive__ is not primitive:
        function = _compiled(*_text(primitive, (), _chosen_parameters(primitive), "call"))
        function.__qualname__ = readable_name(primitive)
        function.__adcompiler_primitive__ = primitive
        _PRIMITIVES[id(primitive)] = function
    _register(function)
    return function


def primitive_source(primitive) -> str:
    """The text `primitive_as_function` writes for `primitive`."""
    return _text(primitive, (), _chosen_parameters(primitive), "call")[0].rstrip("\n")


# Parameters a rule-backed NumPy function takes that say where or how to store
# the result, not what it is: left at their defaults.
_MACHINERY = frozenset({"out", "where", "casting", "order", "dtype", "subok", "signature",
                        "axes", "extobj", "like"})


def _chosen_parameters(primitive) -> list | None:
    if isinstance(primitive, np.ufunc):
        # A ufunc's keywords are all machinery (matmul's keepdims, too: its
        # rule is the product's); its operands are what it computes from.
        nin = primitive.nin
        positional = inspect.Parameter.POSITIONAL_ONLY
        return [inspect.Parameter("x" if nin == 1 else f"x{k + 1}", positional)
                for k in range(nin)]
    try:
        params = list(inspect.signature(primitive).parameters.values())
    except (TypeError, ValueError):
        return None  # no signature recorded
    if any(q.kind is q.VAR_POSITIONAL for q in params):
        return None  # `max`, `print`: how many values it takes is the caller's choice
    return [q for q in params
            if q.default is q.empty and q.kind is not q.VAR_KEYWORD
            or q.default is not q.empty and q.name not in _MACHINERY
            and repr(q.default) != "<no value>"]


def _compiled(text: str, namespace: dict, name: str):
    # Named by the text, which is all linecache holds: two functions whose
    # texts differ (of two callees named alike) never share an entry.
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    filename = f"<adcompiler: {name} {digest}>"
    namespace.update(__name__=_MODULE, __file__=filename)
    exec(compile(text, filename, "exec"), namespace)
    function = namespace[name]
    function.__adcompiler_partial_text__ = text
    return function


def source_of(p: functools.partial) -> str:
    """The text `as_function` writes for `p`."""
    return _text(p.func, p.args, list(inspect.signature(p).parameters.values()),
                 "partial")[0].rstrip("\n")


def _register(function) -> None:
    # Registered again at each use: linecache.clearcache() may have dropped it.
    text = function.__adcompiler_partial_text__
    filename = function.__code__.co_filename
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)


def _text(func, bound_args: tuple, params: list, suffix: str) -> tuple[str, dict, str]:
    """`def <func>_<suffix>(params): return func(*bound_args, params...)`, and
    the namespace holding what the text names."""
    taken = {q.name for q in params}

    def fresh(base: str) -> str:
        candidate, suffix = base, 1
        while candidate in taken:
            suffix += 1
            candidate = f"{base}{suffix}"
        taken.add(candidate)
        return candidate

    callee = readable_name(func)
    callee = fresh(callee + "_function" if keyword.iskeyword(callee) else callee)
    name = fresh(f"{callee}_{suffix}")
    namespace = {callee: func}
    written, passed, star_seen = [], [], False
    for k, value in enumerate(bound_args):
        bound = fresh(f"{callee}_arg{k}")
        namespace[bound] = value
        passed.append(bound)
    for q in params:
        default = ""
        if q.default is not q.empty:
            reference = fresh(f"{q.name}_default")
            namespace[reference] = q.default
            default = f"={reference}"
        if q.kind is q.VAR_POSITIONAL:
            written.append(f"*{q.name}")
            passed.append(f"*{q.name}")
            star_seen = True
        elif q.kind is q.VAR_KEYWORD:
            written.append(f"**{q.name}")
            passed.append(f"**{q.name}")
        elif q.kind is q.KEYWORD_ONLY:
            if not star_seen:
                written.append("*")
                star_seen = True
            written.append(q.name + default)
            passed.append(f"{q.name}={q.name}")
        else:
            written.append(q.name + default)
            passed.append(q.name)
    if any(q.kind is q.POSITIONAL_ONLY for q in params):
        last = max(k for k, q in enumerate(params) if q.kind is q.POSITIONAL_ONLY)
        written.insert(last + 1, "/")
    text = (f"def {name}({', '.join(written)}):\n"
            f"    return {callee}({', '.join(passed)})\n")
    namespace["__builtins__"] = __builtins__
    return text, namespace, name
