"""The public API: grad, value_and_grad, vjp, source, and rule registration.

Every function here compiles eagerly (errors surface where `grad` is called,
not later inside a training loop) and caches: asking twice for the same
derivative returns the same compiled function.
"""

from __future__ import annotations

import functools
import inspect
import types
import weakref

import numpy as np

from . import compose, derivatives, forward_backend, methods
from .errors import Location, SourceUnavailableError, WrtError
from .rules import registry
from .display import derivative_html
from .passes.activity import is_user_function

_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _methods_too(entry):
    """Let a public entry point take a bound method of a user object
    (`ad.grad(model.loss)`): the method's function is compiled for the object's
    class (see methods.py), `wrt` counts the explicit parameters, and the
    derivative comes back bound to the same object."""
    @functools.wraps(entry)
    def entry_point(function=None, wrt=0, **options):
        if isinstance(function, types.MethodType) and not isinstance(function.__self__, type) \
                and is_user_function(function.__func__):
            unbound, wrt = methods.unbind(function, wrt)
            return types.MethodType(entry(unbound, wrt, **options), function.__self__)
        return entry(function, wrt, **options)
    return entry_point


def _parameters(function) -> tuple[list, str | None]:
    """The names of `function`'s parameters but *args, and the name of *args."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError) as err:
        raise SourceUnavailableError(
            f"cannot differentiate {function!r}: it has no Python signature",
            help="Differentiate a function defined with `def`.") from err
    star = next((p.name for p in parameters if p.kind is p.VAR_POSITIONAL), None)
    return [p.name for p in parameters if p.name != star], star


def _positions(function, wrt) -> tuple[tuple, bool]:
    """`wrt` as parameter positions, and whether the user asked for a tuple.
    The values of *args are not differentiated: wrt names the other parameters."""
    params, star = _parameters(function)
    as_tuple = isinstance(wrt, (tuple, list))
    items = list(wrt) if as_tuple else [wrt]
    code = getattr(function, "__code__", None)
    location = Location(code.co_filename, code.co_firstlineno, 0, "",
                        function.__qualname__) if code else None
    listing = ", ".join(f"{i}: {p}" for i, p in enumerate(params))
    if star:
        listing += f" (and *{star}, whose values are not differentiated)"
    if not items:
        raise WrtError("wrt is empty", location,
                       help=f"Name at least one parameter: {listing}.")
    positions = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise WrtError(f"wrt must hold parameter positions or names, got {item!r}",
                           location, help=f"The parameters are {listing}.")
        if isinstance(item, str):
            if item == star:
                raise WrtError(f"wrt={item!r} names *{star}, whose values adcompiler does not "
                               "differentiate", location,
                               help=f"Give each value to differentiate a parameter of its own "
                               f"and name that. The parameters are {listing}.")
            if item not in params:
                raise WrtError(f"wrt={item!r} names no parameter of {function.__qualname__}",
                               location, help=f"The parameters are {listing}.")
            item = params.index(item)
        elif not -len(params) <= item < len(params):
            raise WrtError(f"wrt={item} is out of range: {function.__qualname__} has "
                           f"{len(params)} parameter(s)", location,
                           help=f"The parameters are {listing}.")
        item %= len(params)
        if item in positions:
            raise WrtError(f"wrt names parameter {params[item]!r} twice", location,
                           help=f"Name each parameter once. The parameters are {listing}.")
        positions.append(item)
    return tuple(positions), as_tuple


def _derivative(function, kind: str, wrt, verbose: bool):
    positions, as_tuple = _positions(function, wrt)
    key = (kind, positions, as_tuple)
    per_function = _cache.setdefault(function, {}) if _is_weakrefable(function) else {}
    generated = per_function.get(key)
    if generated is None:
        if kind in ("jvp", "tangent"):
            generated = forward_backend.build_jvp(function, positions, kind == "tangent")
        else:
            generated = derivatives.build(function, kind, positions, as_tuple)
        compiled = generated.function
        compiled.__adcompiler__ = generated
        compiled.__doc__ = (f"The {kind.replace('_', ' ')} of {function.__qualname__} with "
                            f"respect to parameter(s) {positions}, generated by adcompiler. "
                            f"adcompiler.source(this) shows its code.")
        # Notebooks look this up with getattr: the derivative displays as its code.
        compiled._repr_html_ = lambda: derivative_html(generated)
        per_function[key] = generated
        if verbose:
            print(generated.full_source())
    return generated.function


def _is_weakrefable(obj) -> bool:
    try:
        weakref.ref(obj)
    except TypeError:
        return False
    return True


def _decorator_or_call(function, kind, wrt, verbose):
    if function is None:
        return lambda fn: _derivative(fn, kind, wrt, verbose)
    return _derivative(function, kind, wrt, verbose)


@_methods_too
def grad(function=None, wrt=0, *, mode: str = "reverse", verbose: bool = False):
    """The gradient of a scalar-valued function, as a new Python function.

    `wrt` is a parameter position or name, or a tuple of them (the gradient
    is then a tuple in that order). Each gradient has its argument's type,
    shape and dtype. Works as a decorator, bare or with arguments.

    Example:
        >>> def f(x):
        ...     return np.sum(x * 2 * x)
        >>> df = grad(f)
        >>> df(np.array([1.0, 2.0]))
        array([4., 8.])
    """
    if mode == "forward":
        if function is None:
            return lambda fn: _forward_grad(fn, wrt, verbose)
        return _forward_grad(function, wrt, verbose)
    _check_mode(mode)
    return _decorator_or_call(function, "grad", wrt, verbose)


def _check_mode(mode):
    if mode not in ("reverse", "forward"):
        raise ValueError(f"mode must be 'reverse' or 'forward', got {mode!r}")


@_methods_too
def value_and_grad(function=None, wrt=0, *, verbose: bool = False):
    """Like `grad`, but the new function returns `(f(*args), gradient)`.

    Example:
        >>> loss, dw = value_and_grad(f)(w)   # doctest: +SKIP
    """
    return _decorator_or_call(function, "value_and_grad", wrt, verbose)


@_methods_too
def vjp(function=None, wrt=0, *, verbose: bool = False):
    """The vector-Jacobian product: the new function takes `(*args, seed)` and
    returns the gradient of `sum(f(*args) * seed)`, i.e. Jᵀ·seed, like torch's
    `y.backward(seed)`. The seed has the shape of f's result.

    Example:
        >>> vjp(softmax)(a, np.ones(4))        # doctest: +SKIP
    """
    return _decorator_or_call(function, "vjp", wrt, verbose)


def source(derivative) -> str:
    """The generated Python source of a derivative returned by this module,
    followed by the derivatives of user functions it calls.

    Example:
        >>> print(source(grad(f)))             # doctest: +SKIP
    """
    generated = getattr(derivative, "__adcompiler__", None)
    if generated is None:
        raise TypeError(f"{derivative!r} was not generated by adcompiler; pass the result "
                        "of adcompiler.grad, value_and_grad or vjp")
    return generated.full_source()


def register_rule(rule):
    """Make a rule built with `pointwise` or `linear_rule` apply to every later
    compilation; returns the rule.

    Example:
        >>> def softplus(x):
        ...     return np.log1p(np.exp(x))
        >>> register_rule(pointwise(softplus, "x", x="g / (1 + np.exp(-x))"))  # doctest: +SKIP
    """
    for existing in (rule if isinstance(rule, list) else [rule]):
        registry.register(existing)
    # Derivatives compiled before may have differentiated the function's body
    # (or raised for it): compile afresh from now on.
    _cache.clear()
    derivatives.clear_cache()
    forward_backend.clear_cache()
    return rule


@_methods_too
def jvp(function=None, wrt=0, *, verbose: bool = False):
    """The Jacobian-vector product, in forward mode: the new function takes
    `(*args, *tangents)`, one tangent per differentiated argument (shaped like
    it), and returns `(f(*args), J·tangents)`. One sweep, no stack.

    Example:
        >>> value, tangent = jvp(np.sin)(x, v)        # doctest: +SKIP
        >>> value, tangent = jvp(f, wrt=(0, 1))(x, y, vx, vy)   # doctest: +SKIP
    """
    return _decorator_or_call(function, "jvp", wrt, verbose)


def _attach(wrapper, inner, function, what):
    wrapper.__adcompiler__ = inner.__adcompiler__
    if hasattr(inner, "_repr_html_"):
        wrapper._repr_html_ = inner._repr_html_
    wrapper.__name__ = f"{function.__name__}_{what}"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.__doc__ = (f"The {what.replace('_', ' ')} of {function.__qualname__}, computed by "
                       f"adcompiler; adcompiler.source(this) shows the generated code.")
    return wrapper


def _basis(x):
    """Unit tangents for every entry of x, shaped like x."""
    if isinstance(x, (np.ndarray, np.generic)):
        eye = np.eye(max(x.size, 1), dtype=x.dtype if x.dtype.kind == "f" else float)
        for row in eye[:x.size]:
            yield row.reshape(x.shape)
    else:
        yield 1.0


def _forward_grad(function, wrt, verbose):
    positions, as_tuple = _positions(function, wrt)
    tangent_fn = jvp(function, wrt=tuple(positions), verbose=verbose)

    def forward_grad(*args):
        grads = []
        for index, position in enumerate(positions):
            x = args[position]
            columns = []
            for unit in _basis(x):
                tangents = [unit if k == index else derivatives_zeros(args[p])
                            for k, p in enumerate(positions)]
                columns.append(np.asarray(tangent_fn(*args, *tangents)[1]).reshape(()))
            grads.append(_shape_like(np.array(columns), x))
        return tuple(grads) if as_tuple else grads[0]

    return _attach(forward_grad, tangent_fn, function, "grad")


def derivatives_zeros(x):
    from .runtime import zeros_like
    return zeros_like(x)


def _shape_like(values, x):
    from .runtime import as_gradient
    return as_gradient(np.reshape(values, np.shape(x)), x)


@_methods_too
def derivative(function=None, wrt=0, *, verbose: bool = False):
    """The derivative of a function of one real variable (the argument `wrt`),
    in forward mode; the result has the shape of f's output. The result is
    generated code too, so derivatives of derivatives work.

    Example:
        >>> derivative(derivative(cube))(2.0)          # doctest: +SKIP
        12.0
    """
    if function is None:
        return lambda fn: derivative(fn, wrt, verbose=verbose)
    position = _positions(function, wrt)[0][0]
    tangent_fn = jvp(function, wrt=position, verbose=verbose)
    params, star = _parameters(function)
    return compose.derivative(function, tangent_fn, params, position, star)


@_methods_too
def jacobian(function=None, wrt=0, *, mode: str = "reverse", verbose: bool = False):
    """The full Jacobian of `function` with respect to one argument, shaped
    `out.shape + x.shape`: one forward sweep per input entry (`mode="forward"`)
    or one reverse sweep per output entry (`mode="reverse"`).

    Example:
        >>> jacobian(softmax)(a).shape               # doctest: +SKIP
        (4, 4)
    """
    _check_mode(mode)
    if function is None:
        return lambda fn: jacobian(fn, wrt, mode=mode, verbose=verbose)
    position = _positions(function, wrt)[0]
    if len(position) != 1:
        raise WrtError("jacobian takes one argument position or name in wrt",
                       help="Call jacobian once per argument.")
    position = position[0]
    if mode == "forward":
        inner = jvp(function, wrt=position, verbose=verbose)

        def forward_jacobian(*args):
            x = args[position]
            columns = [np.asarray(inner(*args, unit)[1]) for unit in _basis(x)]
            stacked = np.stack(columns, axis=-1)
            return stacked.reshape(np.shape(columns[0]) + np.shape(x))

        return _attach(forward_jacobian, inner, function, "jacobian")
    inner = vjp(function, wrt=position, verbose=verbose)

    def reverse_jacobian(*args):
        out = np.asarray(function(*args))
        rows = [np.asarray(inner(*args, unit if out.ndim else float(unit)))
                for unit in _basis(out if out.ndim else np.zeros(()))]
        x = args[position]
        return np.stack(rows).reshape(out.shape + np.shape(x))

    return _attach(reverse_jacobian, inner, function, "jacobian")


@_methods_too
def hessian(function=None, wrt=0, *, verbose: bool = False):
    """The Hessian of a scalar function, forward-over-reverse: the forward
    transformation applied to the generated gradient code. Shape x.shape * 2.

    Example:
        >>> hessian(f)(x)                              # doctest: +SKIP
    """
    if function is None:
        return lambda fn: hessian(fn, wrt, verbose=verbose)
    gradient = grad(function, wrt=wrt, verbose=verbose)
    position = _positions(function, wrt)[0][0]
    result = jacobian(gradient, wrt=position, mode="forward", verbose=verbose)
    return _attach(result, result, function, "hessian")


@_methods_too
def hvp(function=None, wrt=0, *, verbose: bool = False):
    """The Hessian-vector product without forming the Hessian: the new function
    takes `(*args, v)` and returns H·v, the forward transformation applied to
    the generated gradient code.

    Example:
        >>> hvp(f)(x, v)                               # doctest: +SKIP
    """
    if function is None:
        return lambda fn: hvp(fn, wrt, verbose=verbose)
    position = _positions(function, wrt)[0][0]
    gradient = grad(function, wrt=position, verbose=verbose)
    # The jvp of the gradient without the gradient itself, which hvp discards.
    inner = _decorator_or_call(gradient, "tangent", position, verbose)
    return compose.hvp(function, inner, *_parameters(function))
