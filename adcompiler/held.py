"""What a user holds: a derivative that follows the functions it was compiled from.

`df = ad.grad(f)` is compiled once. When a function f calls is redefined
afterwards (a notebook cell run again), a global rebound to another function,
or `f.__code__` replaced, f computes with the new code, so `df` must too: a
derivative still running the old helper's code would return, with no error,
the derivative of a function the program no longer computes. So the entry
points return a `HeldDerivative`. At each call it asks a guard compiled from
the stamps of everything the derivative was compiled from
(`context.Dependencies.guard`, a fraction of a microsecond per name) whether
all of it still holds, and when not it asks its entry point again, which
compiles anew what changed.

    >>> df = ad.grad(f)                 # doctest: +SKIP
    >>> def helper(x): return x ** 3    # f's helper, redefined
    >>> df(x)                           # the derivative of f with the new helper
"""

from __future__ import annotations

import types

from .context import COMPILE_LOCK, Dependencies, record_callee, recording
from .errors import AdError


# Raised by `forget_all` (a derivative rule registered): every derivative held
# until then is built again at its next call.
_EPOCH = [0]


def forget_all() -> None:
    """Build every held derivative again at its next call (its code may
    differentiate a function that now has a rule of its own)."""
    _EPOCH[0] += 1


def _itself(value):
    return value


class HeldDerivative:
    """A derivative as the API returns it: called, it runs the generated code
    compiled from the functions as they are now. Everything else (its source,
    `__adcompiler__`, its signature) is the generated function's. The compiler
    sees through it (`__adcompiler_transparent__`): differentiated, or called
    from differentiated code, it is the generated function it holds now, and
    whatever is compiled from it depends on what that was compiled from."""

    __adcompiler_transparent__ = True

    def __init__(self, build):
        self._build = build
        self._state = self._made()
        target = self._state[1]
        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            value = getattr(target, attribute, None)
            if value is not None:
                self.__dict__[attribute] = value

    def _made(self) -> tuple:
        """(guard, derivative), built afresh, with what it was built from."""
        dependencies = Dependencies()
        with COMPILE_LOCK:
            try:
                with recording(dependencies):
                    target = self._build()
            except AdError as err:
                # The user reads the message, not the API's own frames (the
                # cause stays chained).
                raise err.with_traceback(None) from err.__cause__
            self._dependencies = dependencies
            return dependencies.guard(_EPOCH), target

    def _current(self):
        current, target = self._state
        if not current():
            with COMPILE_LOCK:
                current, target = self._state
                if not current():
                    self._state = current, target = self._made()
        return target

    def __call__(self, *args, **keywords):
        current, target = self._state
        if current():
            return target(*args, **keywords)
        return self._current()(*args, **keywords)

    @property
    def __wrapped__(self):
        # Read by whatever sees through the wrapper (the compiler, inspect): a
        # derivative compiled from this one depends on what this one is built from.
        target = self._current()
        record_callee(self._dependencies)
        return target

    def __getattr__(self, name):
        if name.startswith("_state") or name in ("_build", "_dependencies"):
            raise AttributeError(name)
        return getattr(self.__wrapped__, name)

    def __get__(self, instance, owner=None):
        # Stored on a class, it binds as the derivative it holds does.
        if instance is None:
            return self
        target = self._current()
        if isinstance(target, types.FunctionType):
            return types.MethodType(self, instance)  # (still following)
        bind = getattr(type(target), "__get__", None)
        return target if bind is None else bind(target, instance, owner)

    def __reduce__(self):
        # Pickled (sent to a worker) as the generated code it runs now.
        return _itself, (self._current(),)

    def __repr__(self) -> str:
        return repr(self._current())
