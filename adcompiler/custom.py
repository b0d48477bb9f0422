"""Derivatives the user gives in Python: `stop_gradient` and `custom_gradient`.

Both are rules, the one mechanism every derivative goes through
(rules/registry.py): `stop_gradient` is listed as non-differentiable in
rules/adcompiler_rules.py, and a custom gradient is a callable carrying the
rule built from the user's functions (`Rule.helpers` names them, so the
generated code calls them by name):

    @ad.custom_gradient(vjp=safe_norm_vjp, jvp=safe_norm_jvp)
    def safe_norm(x): ...

    y = safe_norm(x)    ->   dx = safe_norm_vjp(dy, y, x)[0]        (reverse)
                             dy = safe_norm_jvp((dx,), y, x)        (forward)

The vjp and jvp are themselves ordinary Python that adcompiler reads, so a
derivative of the generated code (a Hessian) differentiates them in turn.
"""

from __future__ import annotations

import functools
import inspect
import linecache

import numpy as np

from .errors import RuleDefinitionError
from .rules import definition


def stop_gradient(x):
    """`x`, as a constant: the derivative of `stop_gradient(x)` is zero in
    every mode and at every order. Arrays are copied (writing into the
    result never changes x); tuples, lists and dicts keep their structure.

    Example:
        >>> def f(x):
        ...     return np.sum(x * stop_gradient(x))
        >>> ad.grad(f)(np.array([1.0, 2.0]))    # x, not 2 x   # doctest: +SKIP
        array([1., 2.])
    """
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, tuple) and not hasattr(x, "_fields"):
        return tuple(stop_gradient(part) for part in x)
    if isinstance(x, list):
        return [stop_gradient(part) for part in x]
    if isinstance(x, dict):
        return {key: stop_gradient(value) for key, value in x.items()}
    return x


class CustomGradient(definition.HasOwnRule):
    """A function with a derivative given in Python (see `custom_gradient`).
    Calling it calls the function; adcompiler differentiates a call to it
    with the functions given, never the function's body."""

    def __init__(self, function, vjp, jvp=None):
        functools.update_wrapper(self, function)
        # Not a wrapper to see through: the body is not what is differentiated.
        del self.__wrapped__
        self._function, self.vjp, self.jvp = function, vjp, jvp
        self.__adcompiler_rule__ = _rule(self, function, vjp, jvp)

    def __call__(self, *args, **keywords):
        return self._function(*args, **keywords)

    def as_function(self):
        """A Python function with readable source that calls this one, so that
        the API can differentiate it directly (`ad.grad(safe_norm)`): its
        derivative is this custom gradient's.

            def safe_norm(x):
                return safe_norm_custom(x)
        """
        made = self.__dict__.get("_as_function")
        if made is None:
            parameters = inspect.signature(self._function).parameters.values()
            name = self._function.__name__
            callee = f"{name}_custom"
            # Named after the user's module: what is generated from it is user code,
            # differentiated again from its source (a derivative of a derivative).
            namespace = {callee: self, "__name__": self._function.__module__}
            written = []
            for parameter in parameters:
                if parameter.default is parameter.empty:
                    written.append(parameter.name)
                else:
                    namespace[f"{parameter.name}_default"] = parameter.default
                    written.append(f"{parameter.name}={parameter.name}_default")
            listed = ", ".join(p.name for p in parameters)
            text = f"def {name}({', '.join(written)}):\n    return {callee}({listed})\n"
            filename = f"<adcompiler: custom_gradient {self.__qualname__}>"
            linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
            exec(compile(text, filename, "exec"), namespace)
            made = self.__dict__["_as_function"] = namespace[name]
            made.__qualname__ = self.__qualname__
            made.__adcompiler_text__ = text
        # Registered again at each use: linecache.clearcache() may have dropped it.
        text = made.__adcompiler_text__
        linecache.cache[made.__code__.co_filename] = (len(text), None, text.splitlines(True),
                                                      made.__code__.co_filename)
        return made

    def __repr__(self) -> str:
        given = "vjp and jvp" if self.jvp is not None else "vjp"
        return f"<custom_gradient {self.__qualname__} ({given} in Python)>"


def _rule(owner, function, vjp, jvp) -> definition.Rule:
    """One `Rule` for a function of parameters p0, p1, ...: per parameter,
    its entry of `vjp(g, result, p0, p1, ...)` and the jvp with `g` in its
    slot of the tangents and zeros elsewhere."""
    where = _defined_at(function)
    label = f"{function.__qualname__} (custom gradient)"
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError) as err:
        raise RuleDefinitionError(f"custom_gradient needs a function with a signature, got "
                                  f"{function!r}", help=f"Defined at {where}.") from err
    names = [p.name for p in parameters]
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters) \
            or not names:
        raise RuleDefinitionError(
            f"{label} must take one or more plain parameters (no *args, **kwargs or "
            "keyword-only ones)", help=f"Defined at {where}. Wrap it in a function with "
            "fixed parameters.")
    clashing = {"g", "result", "vjp", "jvp"} & set(names)
    if clashing:
        raise RuleDefinitionError(
            f"{label} has a parameter named {sorted(clashing)[0]!r}, which its derivative "
            "templates reserve", help=f"Defined at {where}. Rename the parameter.")
    for given, what in ((vjp, "vjp"), (jvp, "jvp")):
        if given is not None and not callable(given):
            raise RuleDefinitionError(f"the {what} of {label} must be a function, got "
                                      f"{given!r}", help=f"Defined at {where}.")
    listed = ", ".join(names)
    adjoint = {name: f"vjp(g, result, {listed})[{i}]" for i, name in enumerate(names)}
    tangent = {}
    if jvp is not None:
        for i, name in enumerate(names):
            slots = ", ".join("g" if j == i else f"zeros_like({other})"
                              for j, other in enumerate(names))
            tangent[name] = f"jvp(({slots},), result, {listed})"
    helpers = {"vjp": vjp} if jvp is None else {"vjp": vjp, "jvp": jvp}
    signature = definition.parse_signature(listed, where, label)
    return definition.Rule(
        owner, label, signature,
        definition.parse_templates(adjoint, signature, where, label, "adjoint", helpers),
        definition.parse_templates(tangent, signature, where, label, "tangent", helpers),
        defined_at=where, helpers=helpers)


def _defined_at(function) -> str:
    code = getattr(function, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else repr(function)


def custom_gradient(function=None, *, vjp, jvp=None):
    """Give `function` a derivative written in Python; every derivative that
    reaches a call of it (from differentiated code, in a loop, at any depth)
    uses it instead of differentiating its body.

    `vjp(g, result, *args)` returns a tuple with one adjoint per parameter
    (the derivative of `sum(g * function(*args))` with respect to each).
    `jvp(tangents, result, *args)`, optional, returns the tangent of the
    result for a tuple of one tangent per parameter; forward mode (jvp,
    hessian, hvp, derivative) needs it. Both are plain Python that adcompiler
    reads, so with both given, derivatives of any order compose.

    Example:
        >>> def clipped_vjp(g, result, x):
        ...     return (np.clip(g, -1.0, 1.0),)
        >>> @custom_gradient(vjp=clipped_vjp)
        ... def clip_gradient(x):
        ...     return x
    """
    if function is None:
        return lambda fn: custom_gradient(fn, vjp=vjp, jvp=jvp)
    return CustomGradient(function, vjp, jvp)
