"""`functools.partial` objects as Python functions with source.

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
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import keyword
import linecache
import weakref

from .naming import readable_name

# partial -> the function standing for it (one per partial, so derivatives are cached)
_FUNCTIONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
# module name of the functions made here: not a package whose functions only rules cover
_MODULE = "adcompiler_partials"


def is_partial(obj) -> bool:
    return isinstance(obj, functools.partial)


def as_function(p: functools.partial):
    """A Python function computing what `p` computes, with readable source."""
    function = _FUNCTIONS.get(p)
    if function is None:
        text, namespace, name = _text(p)
        # Named by the text, which is all linecache holds: two partials whose
        # texts differ (of two functions named alike) never share an entry.
        digest = hashlib.sha1(text.encode()).hexdigest()[:8]
        filename = f"<adcompiler: {name} {digest}>"
        namespace.update(__name__=_MODULE, __file__=filename)
        exec(compile(text, filename, "exec"), namespace)
        function = namespace[name]
        function.__qualname__ = f"partial({readable_name(p.func)}, ...)"
        function.__adcompiler_partial_text__ = text
        _FUNCTIONS[p] = function
    _register(function)
    return function


def source_of(p: functools.partial) -> str:
    """The text `as_function` writes for `p`."""
    return _text(p)[0].rstrip("\n")


def _register(function) -> None:
    # Registered again at each use: linecache.clearcache() may have dropped it.
    text = function.__adcompiler_partial_text__
    filename = function.__code__.co_filename
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)


def _text(p: functools.partial) -> tuple[str, dict, str]:
    signature = inspect.signature(p)
    params = list(signature.parameters.values())
    taken = {q.name for q in params}

    def fresh(base: str) -> str:
        candidate, suffix = base, 1
        while candidate in taken:
            suffix += 1
            candidate = f"{base}{suffix}"
        taken.add(candidate)
        return candidate

    callee = readable_name(p.func)
    callee = fresh(callee + "_function" if keyword.iskeyword(callee) else callee)
    name = fresh(f"{callee}_partial")
    namespace = {callee: p.func}
    written, passed, star_seen = [], [], False
    for k, value in enumerate(p.args):
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
