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
from .context import COMPILE_LOCK, Dependencies, recording
from .errors import (Location, NotAFunctionError, SeedShapeError, SourceUnavailableError,
                     WrtError)
from .source import display_path
from .rules import registry
from .display import derivative_html
from .passes.activity import is_user_function

# function -> {(kind, wrt positions, as tuple): (GeneratedDerivative, Dependencies)}.
# An entry is served only while its Dependencies are current (see context.py):
# a helper redefined since, and the derivative is compiled again.
_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class _Decorator:
    """The default of `function`: no function given, so the call makes a
    decorator (`@ad.grad(wrt="w")`). Distinct from None, which is refused."""

    def __repr__(self) -> str:
        return "<used as a decorator>"


_DECORATOR = _Decorator()


def _require_function(function, entry: str) -> None:
    if function is None or not callable(function):
        raise NotAFunctionError(
            f"adcompiler.{entry} needs the function to differentiate, got {function!r} "
            f"(of type {type(function).__name__})",
            help=f"Pass a function defined with `def`: adcompiler.{entry}(f), or use "
            f"@adcompiler.{entry} as a decorator on its definition.")


def _methods_too(entry):
    """Let a public entry point take a bound method of a user object
    (`ad.grad(model.loss)`): the method's function is compiled for the object's
    class (see methods.py), `wrt` counts the explicit parameters, and the
    derivative comes back bound to the same object. Called without a function
    it is a decorator; called with None or another non-callable it raises."""
    @functools.wraps(entry)
    def entry_point(function=_DECORATOR, wrt=0, **options):
        if function is _DECORATOR:
            return lambda fn: entry_point(fn, wrt, **options)
        _require_function(function, entry.__name__)
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
    with COMPILE_LOCK:
        return _compiled(function, kind, wrt, verbose)


def _compiled(function, kind: str, wrt, verbose: bool):
    positions, as_tuple = _positions(function, wrt)
    key = (kind, positions, as_tuple)
    per_function = _cache.setdefault(function, {}) if _is_weakrefable(function) else {}
    entry = per_function.get(key)
    if entry is not None and entry[1].current():
        return entry[0].function
    dependencies = Dependencies()
    with recording(dependencies):
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
    per_function[key] = (generated, dependencies)
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


def _where(function) -> str:
    code = function.__code__
    return f"{function.__qualname__} ({display_path(code.co_filename)}:{code.co_firstlineno})"


def _check_like(value, primal, what: str, where: str) -> None:
    """Raise SeedShapeError unless `value` (a tangent, a vector) has the
    structure and shape of the argument `primal` it goes with."""
    if isinstance(primal, (tuple, list)):
        if not isinstance(value, (tuple, list)) or len(value) != len(primal):
            raise SeedShapeError(
                f"{what} of {where} must be a tuple or list of {len(primal)} values, like its "
                f"argument, got {type(value).__name__}"
                + (f" of {len(value)}" if isinstance(value, (tuple, list)) else ""),
                help="Pass one value per element of the argument, each shaped like it.")
        for index, (part, of) in enumerate(zip(value, primal)):
            _check_like(part, of, f"{what}[{index}]", where)
    elif isinstance(primal, dict):
        if not isinstance(value, dict) or set(value) != set(primal):
            raise SeedShapeError(
                f"{what} of {where} must be a dict with the keys of its argument "
                f"{sorted(map(str, primal))}, got "
                + (f"keys {sorted(map(str, value))}" if isinstance(value, dict)
                   else type(value).__name__),
                help="Pass a dict with one value per key of the argument, shaped like it.")
        for key in primal:
            _check_like(value[key], primal[key], f"{what}[{key!r}]", where)
    elif np.shape(value) != np.shape(primal):
        raise SeedShapeError(
            f"{what} of {where} has shape {np.shape(value)}, but its argument has shape "
            f"{np.shape(primal)}",
            help="Pass a value shaped exactly like the argument it goes with "
            "(np.zeros_like(x) with the direction filled in).")


class _Checked:
    """A generated function behind a check of its arguments at the API
    boundary (a tangent of the wrong shape would otherwise fail deep inside
    generated code). Everything else is the generated function's own:
    `__code__`, `__name__`, `adcompiler.source`. It is transparent to the
    compiler: differentiating it differentiates the generated function
    (source.py unwraps what is marked `__adcompiler_transparent__`)."""

    __adcompiler_transparent__ = True

    def __init__(self, inner, check):
        self.__wrapped__ = inner
        self._check = check
        functools.update_wrapper(self, inner)

    def __call__(self, *args):
        self._check(args)
        return self.__wrapped__(*args)

    def __getattr__(self, name):
        return getattr(self.__wrapped__, name)

    def __get__(self, instance, owner=None):
        # Stored on a class, it binds like the function it stands for.
        return self if instance is None else types.MethodType(self, instance)

    def __repr__(self) -> str:
        return repr(self.__wrapped__)


def _check_tangents(function, positions: tuple):
    """A check of the tangents a jvp takes last, one per differentiated argument."""
    params, _ = _parameters(function)
    where = _where(function)
    count = len(positions)

    def check(args):
        if len(args) < len(params) + count:
            return  # the generated function reports the missing arguments
        for position, tangent in zip(positions, args[len(args) - count:]):
            _check_like(tangent, args[position],
                        f"the tangent for parameter {params[position]!r}", where)
    return check


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
    with COMPILE_LOCK:
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
    positions, _ = _positions(function, wrt)
    inner = _derivative(function, "jvp", wrt, verbose)
    return _Checked(inner, _check_tangents(function, positions))


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
    tangent_fn = _derivative(function, "jvp", tuple(positions), verbose)

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
    positions, as_tuple = _positions(function, wrt)
    if as_tuple:
        raise WrtError("derivative takes one argument position or name in wrt",
                       help="Call derivative once per argument, or use jvp with a tuple of wrt.")
    position = positions[0]
    tangent_fn = _derivative(function, "jvp", position, verbose)
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
    position = _positions(function, wrt)[0]
    if len(position) != 1:
        raise WrtError("jacobian takes one argument position or name in wrt",
                       help="Call jacobian once per argument.")
    position = position[0]
    if mode == "forward":
        inner = _derivative(function, "jvp", position, verbose)

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
    With a tuple of `wrt`, the blocks as nested tuples, as jax.hessian with
    argnums does: `((H00, H01), (H10, H11))`, where `Hij` is shaped
    `xi.shape + xj.shape` and holds d²f/dxi dxj.

    Example:
        >>> hessian(f)(x)                              # doctest: +SKIP
        >>> (hxx, hxy), (hyx, hyy) = hessian(g, wrt=(0, 1))(x, y)   # doctest: +SKIP
    """
    positions, as_tuple = _positions(function, wrt)
    if not as_tuple:
        gradient = grad(function, wrt=wrt, verbose=verbose)
        result = jacobian(gradient, wrt=positions[0], mode="forward", verbose=verbose)
        return _attach(result, result, function, "hessian")
    gradient = grad(function, wrt=positions, verbose=verbose)
    # One forward sweep of the gradient per entry of xj gives column block j
    # of every row block at once.
    tangents = [_derivative(gradient, "tangent", position, verbose) for position in positions]

    def tuple_hessian(*args):
        blocks = [[None] * len(positions) for _ in positions]
        for j, (position, tangent_fn) in enumerate(zip(positions, tangents)):
            xj = args[position]
            columns = [tangent_fn(*args, unit) for unit in _basis(xj)]
            for i, row in enumerate(positions):
                stacked = np.stack([np.asarray(column[i]) for column in columns], axis=-1)
                blocks[i][j] = stacked.reshape(np.shape(args[row]) + np.shape(xj))
        return tuple(tuple(row) for row in blocks)

    return _attach(tuple_hessian, tangents[0], function, "hessian")


@_methods_too
def hvp(function=None, wrt=0, *, verbose: bool = False):
    """The Hessian-vector product without forming the Hessian: the new function
    takes `(*args, v)` and returns H·v, the forward transformation applied to
    the generated gradient code. With a tuple of `wrt`, `v` is a tuple of one
    vector per differentiated argument, each shaped like it, and so is the
    result: the blocks of H·v, `(H00 v0 + H01 v1, H10 v0 + H11 v1)`.

    Example:
        >>> hvp(f)(x, v)                               # doctest: +SKIP
        >>> hx, hy = hvp(g, wrt=(0, 1))(x, y, (vx, vy))   # doctest: +SKIP
    """
    positions, as_tuple = _positions(function, wrt)
    gradient = grad(function, wrt=positions if as_tuple else positions[0], verbose=verbose)
    # The jvp of the gradient without the gradient itself, which hvp discards.
    inner = _derivative(gradient, "tangent", positions if as_tuple else positions[0], verbose)
    params, star = _parameters(function)
    product = compose.hvp(function, inner, params, star, len(positions) if as_tuple else None)
    where = _where(function)

    def check(args):
        if len(args) < len(params) + 1:
            return  # the generated function reports the missing arguments
        vector = args[-1]
        if as_tuple:
            if not isinstance(vector, (tuple, list)) or len(vector) != len(positions):
                raise SeedShapeError(
                    f"the vector v passed to the hvp of {where} must be a tuple of "
                    f"{len(positions)} vectors, one per parameter in wrt "
                    f"({', '.join(params[p] for p in positions)}), got {type(vector).__name__}",
                    help="Pass v as a tuple, each vector shaped like its argument.")
            for position, part in zip(positions, vector):
                _check_like(part, args[position], f"the vector for parameter "
                            f"{params[position]!r}", where)
        else:
            _check_like(vector, args[positions[0]], "the vector v", where)
    return _Checked(product, check)
