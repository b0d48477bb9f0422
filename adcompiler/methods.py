"""Methods of user objects: `ad.grad(model.loss)` and `self.predict(...)`.

A method is an ordinary function whose first parameter is the object. To
differentiate one, adcompiler compiles the function *for the class of the
object*, so that calls on `self` inside it (`self.predict(w, x)`) are known
when compiling: they become calls of the class's own functions with `self` as
first argument, and are differentiated like any helper. Attributes of the
object (`self.scale`, `layer.w`) are read as they are when the derivative
runs, and carry no derivative.

    class Model:                          ad.grad(model.loss)(w, x)
        def loss(self, w, x):               = the gradient of Model.loss compiled
            return np.sum(self.predict(       for Model, with respect to w, bound
                w, x) ** 2) * self.scale      to `model`

A subclass gets its own compilation, so its overrides are the ones called.
"""

from __future__ import annotations

import inspect
import types

from . import store
from .errors import WrtError
from .passes.user_functions import is_user_function

# store.table(function, _SPECIALISED): {class: the function marked for it}, on
# the function itself, so that dropping it (or its class) frees them.
_SPECIALISED = "methods"


def for_class(function: types.FunctionType, cls: type) -> types.FunctionType:
    """`function` as a method of `cls`: the same code, marked with the class
    its `self` belongs to (one object per pair, so derivatives cache on it).

        >>> for_class(Model.loss, Model).__adcompiler_self_type__   # doctest: +SKIP
        <class 'Model'>
    """
    specialised = store.table(function, _SPECIALISED)
    if cls not in specialised:
        method = types.FunctionType(function.__code__, function.__globals__,
                                    function.__name__, function.__defaults__,
                                    function.__closure__)
        method.__qualname__ = function.__qualname__
        method.__module__ = function.__module__
        method.__kwdefaults__ = function.__kwdefaults__
        method.__adcompiler_self_type__ = cls
        specialised[cls] = method
    return specialised[cls]


def as_bound_call(obj):
    """`obj.__call__` as a bound method when obj is an instance of a class
    defining `__call__` in Python (a layer, a model), else obj itself: what
    `ad.grad(layer)` differentiates, as Python calls type(layer).__call__.

        >>> as_bound_call(layer)   # doctest: +SKIP
        <bound method Dense.__call__ of <Dense object>>
    """
    if isinstance(obj, (type, types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
        return obj
    found = inspect.getattr_static(type(obj), "__call__", None)
    # adcompiler's own callables (a derivative, a vjp) are not differentiated
    # through their __call__'s source: they are generated code already.
    return types.MethodType(found, obj) if is_user_function(found) else obj


def self_type(function) -> type | None:
    """The class a function was compiled for by `for_class`, if any."""
    return getattr(function, "__adcompiler_self_type__", None)


def unbind(method: types.MethodType, wrt):
    """(function for the object's class, `wrt` counted on it) for a bound
    method: the explicit parameters keep their numbers as the user sees them."""
    function = for_class(method.__func__, type(method.__self__))
    receiver = function.__code__.co_varnames[0]

    def shifted(item):
        if isinstance(item, str) and item == receiver:
            raise WrtError(f"wrt={item!r} names the object the method is bound to",
                           help="Differentiate with respect to the method's explicit "
                           "parameters; the object's attributes carry no derivative.")
        return item + 1 if isinstance(item, int) and not isinstance(item, bool) \
            and item >= 0 else item

    if isinstance(wrt, (tuple, list)):
        return function, type(wrt)(shifted(item) for item in wrt)
    return function, shifted(wrt)
