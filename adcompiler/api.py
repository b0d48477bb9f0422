"""The public API: grad, value_and_grad, vjp, source, and rule registration.

Every function here compiles eagerly (errors surface where `grad` is called,
not later inside a training loop) and caches: asking twice for the same
derivative returns the same compiled function. The cache of a function is kept
on the function itself (store.py), so dropping the function frees its
derivatives.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import gc
import inspect
import linecache
import math
import types

import numpy as np

from . import codegen, compose, forward_backend, methods, partials, reverse_backend, store
from . import auxiliary
from . import custom
from . import finite_checks
from . import running_lines  # noqa: F401  (errors raised while derivatives run name lines)
from . import held
from .held import HeldDerivative
from .context import COMPILE_LOCK, Dependencies, record_callee, recording
from .errors import (AdError, CallConventionError, Location, NoDerivativeRuleError,
                     NonScalarOutputError,
                     NotAFunctionError, OptionError,
                     SeedShapeError,
                     SourceUnavailableError, WrtError)
from .naming import readable_name
from .source import INSIDE, REQUIRED_KEYWORD, display_path, parameter_defaults
from .rules import registry
from .rules.definition import parse_templates
from .runtime import odeint as runtime_odeint
from .runtime.records import field_names as _field_names, is_dataclass_record as \
    _is_dataclass_record, rebuilt as _rebuilt
from .runtime.checkpoint import parse_memory
from .runtime.core import refuse_argument_without_derivative, reject_complex, \
    without_derivative
# (an array of the array API standard is a result grad takes, in its namespace)
from .runtime.namespaces import scalar_seed
from .display import derivative_html
from .passes.activity import is_user_function
from .passes.built_derivatives import register_builders
from .passes.derivative_calls import ARGUMENTS_OF, PRIMALS_OF

# store.table(function, _CACHE): {(kind, wrt positions, as tuple):
# (GeneratedDerivative, Dependencies)}. An entry is served only while its
# Dependencies are current (see context.py): a helper redefined since, and the
# derivative is compiled again. The wrappers that hvp, jacobian, ... build over
# such derivatives are cached there too, under keys starting with "wrapper",
# and what the entry points return (held.py), under keys starting with "held".
_CACHE = "api"


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
        if partials.is_partial(function):
            function = partials.as_function(function)
        elif partials.is_primitive_with_rule(function, registry.lookup(function)):
            function = partials.primitive_as_function(function)  # ad.grad(np.tanh)
        if isinstance(function, custom.CustomGradient):
            function = function.as_function()  # differentiated with its own vjp/jvp
        function = methods.as_bound_call(function)  # ad.grad(layer): its __call__
        return _held(function, _key(entry.__name__, wrt, options),
                     lambda: once(function, wrt, dict(options)))

    def once(function, wrt, options):
        if options.pop("check_finite", False):
            # Every entry point: its generated code checked for NaN and infinity
            # (finite_checks.py); without the option, no check exists in it.
            return finite_checks.checked(once(function, wrt, options))
        # A method bound to an object, or a classmethod bound to its class
        # (whose `cls` is then the object, of type `type`).
        if isinstance(function, types.MethodType) and is_user_function(function.__func__):
            unbound, wrt = methods.unbind(function, wrt)
            result = _naming_the_function(entry, unbound, wrt, options)
            if isinstance(result, _Convention):
                return result._bound(function.__self__)
            return types.MethodType(result, function.__self__)
        return _naming_the_function(entry, function, wrt, options)
    return entry_point


def _held(function, key: tuple, build) -> HeldDerivative:
    """The derivative `build()` makes, held so that it follows `function` and
    its helpers when they are redefined (held.py); the same object each time
    it is asked for with the same key."""
    if key is None:
        return HeldDerivative(build)
    with COMPILE_LOCK:
        table, key = store.table(function, _CACHE), ("held",) + key
        if key not in table:
            table[key] = HeldDerivative(build)
        return table[key]


def _key(*parts):
    """`parts` as a key of the table of held derivatives, or None when they
    cannot be one (then the derivative is held anew at each request)."""
    def hashable(value):
        if isinstance(value, dict):
            return tuple(sorted((name, hashable(entry)) for name, entry in value.items()))
        if isinstance(value, (list, tuple)):
            return tuple(hashable(entry) for entry in value)
        return value
    key = hashable(parts)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _naming_the_function(entry, function, wrt, options):
    """entry(function, wrt, **options); an option refused (mode='sideways')
    names the function it was given for, and where it is defined."""
    try:
        return entry(function, wrt, **options)
    except OptionError as err:
        if _where(function) not in err.what:
            err.what = f"{err.what} (differentiating {_where(function)})"
            err.args = (err._format(),)
        raise err.with_traceback(None) from err.__cause__


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
    if star and not params:
        # lambda *args: ... (autograd's tests wrap functions so): say what to write.
        listing = (f"none but *{star}, whose values are not differentiated: give each value "
                   f"to differentiate a parameter of its own (lambda x, *{star}: ... for wrt=0)")
    elif star:
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


@contextlib.contextmanager
def _without_cycle_collection():
    """Compiling makes many small objects that live until it ends (syntax
    trees, analysis facts), which the cycle collector would walk again and
    again (40% of the time of a 1,000-line function). Reference counting
    still frees whatever is not in a cycle; the collector resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _derivative(function, kind: str, wrt, verbose: bool, memory: int | None = None):
    with COMPILE_LOCK, _without_cycle_collection():
        try:
            return _compiled(function, kind, wrt, verbose, memory)
        except AdError as err:
            _point_at_user_code(err)
            # Raised again from the API boundary: the user reads the message,
            # not forty frames of compiler passes (what caused it stays chained).
            raise err.with_traceback(None) from err.__cause__


def _point_at_user_code(err: AdError) -> None:
    """An error found in generated code (a derivative differentiated again)
    names the line of the user's code that code was generated for: the user
    can change that line, not the generated text. The generated place stays
    in the message, for a bug report."""
    location = err.location
    if location is None or location.filename not in codegen._registered:
        return
    filename, lineno = codegen.user_line(location.filename, location.lineno)
    if filename == location.filename:
        return
    err.what += (f" (in the derivative code generated for this line: "
                 f"{location.filename}, line {location.lineno})")
    err.location = dataclasses.replace(location, filename=filename, lineno=lineno, col=0,
                                       line_text=linecache.getline(filename, lineno))
    err.args = (err._format(),)


def _compiled(function, kind: str, wrt, verbose: bool, memory: int | None = None):
    positions, as_tuple = _positions(function, wrt)
    key = (kind, positions, as_tuple) + ((memory,) if memory is not None else ())
    per_function = store.table(function, _CACHE)
    entry = per_function.get(key)
    if entry is not None and entry[1].current():
        record_callee(entry[1])
        return entry[0].function
    dependencies = Dependencies()
    with recording(dependencies):
        if kind in ("jvp", "tangent"):
            generated = forward_backend.build_jvp(function, positions, kind == "tangent")
        else:
            generated = reverse_backend.build(function, kind, positions, as_tuple, memory=memory)
    compiled = generated.function
    compiled.__adcompiler__ = generated
    # What Python names in its own errors (a missing argument): the derivative
    # as the user knows it, not the scope it was compiled in.
    compiled.__qualname__ = f"{_KIND_NAMES.get(kind, kind)} of {_where(function)}"
    compiled.__doc__ = (f"The {kind.replace('_', ' ')} of {function.__qualname__} with "
                        f"respect to parameter(s) {positions}, generated by adcompiler. "
                        f"adcompiler.source(this) shows its code.")
    # Notebooks look this up with getattr: the derivative displays as its code.
    compiled._repr_html_ = lambda: derivative_html(generated)
    per_function[key] = (generated, dependencies)
    record_callee(dependencies)
    if verbose:
        print(generated.full_source())
    return generated.function


_KIND_NAMES = {"grad": "gradient", "value_and_grad": "value and gradient",
               "vjp": "vector-Jacobian product", "jvp": "Jacobian-vector product",
               "tangent": "tangent"}


def _wrapper(function, key: tuple, inners: tuple, build):
    """The object `build()` makes over the compiled derivatives `inners` (an
    hvp, a Jacobian, ...), cached with them: served again while `inners` are
    still what the cache serves, so asking twice gives the same object."""
    with COMPILE_LOCK:
        per_function = store.table(function, _CACHE)
        key = ("wrapper",) + key
        entry = per_function.get(key)
        if entry is not None and len(entry[1]) == len(inners) and \
                all(a is b for a, b in zip(entry[1], inners)):
            return entry[0]
        made = build()
        per_function[key] = (made, inners)
        return made


def _decorator_or_call(function, kind, wrt, verbose):
    if function is None:
        return lambda fn: _derivative(fn, kind, wrt, verbose)
    return _called_by_keywords(function, _derivative(function, kind, wrt, verbose), kind,
                               _positions(function, wrt))


def _called_by_keywords(function, derivative, kind: str, key: tuple):
    """`derivative`, or for a function taking **options, or a keyword-only
    parameter without a default after defaulted ones, a wrapper calling it
    through f's own signature (the generated code takes the dict as one
    parameter, and a stand-in for the keyword)."""
    if any(p.kind is p.VAR_KEYWORD for p in inspect.signature(function).parameters.values()) \
            or any(d is REQUIRED_KEYWORD for d in parameter_defaults(function) or ()):
        return _wrapper(function, ("keywords", kind) + key, (derivative,),
                        lambda: _keywords_collected(function, derivative, kind))
    return derivative


def _keywords_collected(function, derivative, what: str):
    """The derivative of `f(x, **options)` called as f's own calls are,
    `g(x, scale=2.0)`: the generated code takes `options` as one dict."""
    def with_keywords(*args, **keywords):
        return derivative(*_full_arguments(function, args, keywords))
    # Called from differentiated code, the binding is done when compiling
    # (passes/derivative_calls.py) and the derivative called.
    setattr(with_keywords, ARGUMENTS_OF, (function, derivative, what))
    return _attach(with_keywords, derivative, function, what,
                   _KIND_NAMES.get(what, what.replace("_", " ")))


def _where(function) -> str:
    """How a user knows `function`: its name and where it is defined; a
    derivative adcompiler generated is named by what it is the derivative of."""
    if getattr(function, "__adcompiler__", None) is not None:
        return function.__qualname__
    code = function.__code__
    return f"{function.__qualname__} ({display_path(code.co_filename)}:{code.co_firstlineno})"


def _check_like(value, primal, what: str, where: str) -> None:
    """Raise SeedShapeError unless `value` (a tangent, a vector) has the
    structure and shape of the argument `primal` it goes with."""
    if type(value) is np.ndarray and type(primal) is np.ndarray and value.shape == primal.shape:
        return  # the common case, without the general checks
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
    elif without_derivative(value) is not None:
        raise SeedShapeError(
            f"{what} of {where} is {without_derivative(value)}, where a number or an array "
            f"shaped like its argument, {np.shape(primal)}, goes",
            help="Pass a value shaped exactly like the argument it goes with "
            "(np.zeros_like(x) with the direction filled in).")
    elif np.shape(value) != np.shape(primal):
        raise SeedShapeError(
            f"{what} of {where} has shape {np.shape(value)}, but its argument has shape "
            f"{np.shape(primal)}",
            help="Pass a value shaped exactly like the argument it goes with "
            "(np.zeros_like(x) with the direction filled in).")


_FORMS = {
    "jvp": ("tangents", "a tuple of one tangent per differentiated argument, each shaped "
            "like it", "ad.jvp(f)((x, w), (dx,))", "ad.jvp(f)(x, w, dx)"),
    "vjp": ("seed", "the seed, shaped like f's result (a tuple, list or dict of seeds for a "
            "result that is one)", "ad.vjp(f)((x, w), seed)", "ad.vjp(f)(x, w, seed)"),
    "hvp": ("tangents", "a tuple of one vector per differentiated argument, each shaped "
            "like it", "ad.hvp(f)((x, w), (v,))", "ad.hvp(f)(x, w, v)"),
}


class _Convention:
    """The function `jvp`, `vjp` and `hvp` return: it takes `(primals, tangents)`
    (or `(primals, seed)`) and, as keywords, any parameter of f by name;
    fills in f's defaults; checks the tangents' structure and shapes (a
    tangent of the wrong shape would otherwise fail deep inside generated
    code); and calls the generated function, which takes the same two
    arguments with every parameter in `primals`. Everything else is the
    generated function's own: `__name__`, `adcompiler.source`. It is
    transparent to the compiler: called from differentiated code, or
    differentiated itself, it is the generated function (source.py unwraps
    what is marked `__adcompiler_transparent__`)."""

    __adcompiler_transparent__ = True

    def __init__(self, inner, function, kind: str, check=None, prefix=()):
        self.__wrapped__ = inner
        functools.update_wrapper(self, inner)
        self._function, self._kind, self._check, self._prefix = function, kind, check, prefix
        if type(self).__adcompiler_transparent__:
            # Called from differentiated code, the compiler calls `inner`
            # itself and binds the primals to f's signature when compiling
            # (passes/derivative_calls.py): it reads f here.
            setattr(inner, PRIMALS_OF, (function, kind))
        self._signature = inspect.signature(function)
        self._params, self._star = _parameters(function)

    def __call__(self, *args, **keywords):
        if len(args) != 2 or not isinstance(args[0], (tuple, list)):
            self._refuse(args)
        primals = self._bind(self._prefix + tuple(args[0]), keywords)
        _refuse_array_api_only(primals, args[1], function=self._function)
        if self._check is not None:
            self._check(primals, args[1])
        return self.__wrapped__(primals, args[1])

    def _refuse(self, args):
        second_name, second_what, new_form, old_form = _FORMS[self._kind]
        got = (f"{len(args)} positional argument(s)" if len(args) != 2 else
               f"{type(args[0]).__name__} as the first argument")
        raise CallConventionError(
            f"the {self._kind} of {_where(self._function)} takes two arguments, "
            f"(primals, {second_name}): a tuple of f's arguments and {second_what}; got {got}",
            help=f"Call it as {new_form}, with f's other parameters by name as keywords "
            f"if you like. The form {old_form} is no longer accepted: there, a tangent "
            "or seed could fill one of f's own parameters (a default, *args).")

    def _bind(self, primals: tuple, keywords: dict) -> tuple:
        """A value for every parameter of f, the values of its *args last."""
        if not keywords and self._star is None and len(primals) == len(self._params):
            return primals
        try:
            bound = self._signature.bind(*primals, **keywords)
        except TypeError as err:
            listing = ", ".join(self._params + ([f"*{self._star}"] if self._star else []))
            raise CallConventionError(
                f"the primals passed to the {self._kind} of {_where(self._function)} do not "
                f"fit its parameters ({listing}): {err}",
                help=f"Pass f's arguments as one tuple, as you would call f: "
                f"{_FORMS[self._kind][2]}.") from None
        bound.apply_defaults()
        values = tuple(bound.arguments[p] for p in self._params)
        if self._star is not None:
            values += tuple(bound.arguments.get(self._star, ()))
        return values

    def _bound(self, instance):
        return _BoundConvention(self.__wrapped__, self._function, self._kind, self._check,
                                (instance,) + self._prefix)

    def __getattr__(self, name):
        return getattr(self.__wrapped__, name)

    def __get__(self, instance, owner=None):
        # Stored on a class, it binds like the function it stands for: the
        # instance goes first in the primals.
        return self if instance is None else self._bound(instance)

    def __repr__(self) -> str:
        return repr(self.__wrapped__)


class _BoundConvention(_Convention):
    """A `_Convention` with the object of a method first in its primals. The
    generated function it calls takes the object in primals too, so the
    compiler does not see through it."""

    __adcompiler_transparent__ = False


def _check_tangents(function, positions: tuple, what: str = "tangent"):
    """A check of the tangents: a tuple of one per differentiated argument,
    each with the structure and shapes of its argument."""
    params, _ = _parameters(function)
    where = _where(function)
    names = ", ".join(params[p] for p in positions)

    def check(primals, tangents):
        if not isinstance(tangents, (tuple, list)) or len(tangents) != len(positions):
            got = (f"a {type(tangents).__name__} of {len(tangents)}"
                   if isinstance(tangents, (tuple, list)) else f"a {type(tangents).__name__}")
            raise SeedShapeError(
                f"the {what}s passed to {where} must be a tuple of {len(positions)}, one per "
                f"differentiated argument ({names}), got {got}",
                help=f"Pass a tuple even for one argument: ((x, w), (dx,)). Each {what} "
                "has the structure and shape of its argument.")
        for position, tangent in zip(positions, tangents):
            primal = primals[position]
            refuse_argument_without_derivative(
                primal, f"the argument {params[position]!r} of {where}")
            if type(tangent) is np.ndarray and type(primal) is np.ndarray and \
                    tangent.shape == primal.shape:
                continue  # the common case, before the message is formatted
            _check_like(tangent, primal, f"the {what} for parameter {params[position]!r}",
                        where)
    return check


@_methods_too
def grad(function=None, wrt=0, *, mode: str = "reverse", verbose: bool = False,
         backend: str = "python",
         has_aux: bool = False, memory=None, holomorphic: bool = False):
    """The gradient of a scalar-valued function, as a new Python function.
    A result of one element, an array of shape (1,) or (1, 1), counts as a
    scalar (as for torch's backward() and autograd's grad).

    `wrt` is a parameter position or name, or a tuple of them (the gradient
    is then a tuple in that order). Each gradient has its argument's type,
    shape and dtype. Works as a decorator, bare or with arguments. With
    `has_aux=True`, f returns `(loss, aux)` and the new function returns
    `(gradient of loss, aux)`, aux passed through undifferentiated.

    `backend="numba"` compiles the derivative with numba
    (docs/native-derivatives.md).
    With `memory="256MB"` (or bytes), loops are checkpointed to keep what
    the gradient records within that budget (docs/memory.md).

    For a real function of complex arguments the gradient is torch's,
    dL/dRe(z) + i dL/dIm(z); `holomorphic=True` gives f'(z) of a
    complex-valued holomorphic f instead, as JAX's option of that name
    (docs/complex.md).

    Example:
        >>> def f(x):
        ...     return np.sum(x * 2 * x)
        >>> df = grad(f)
        >>> df(np.array([1.0, 2.0]))
        array([4., 8.])
    """
    _check_mode(mode)
    if memory is not None:
        return _with_memory(function, "grad", wrt, verbose, memory, mode, has_aux, backend)
    if backend != "python":
        return _native(function, "grad", wrt, verbose, backend, mode, has_aux)
    if has_aux:
        return _with_aux(function, "grad", wrt, verbose, mode)
    if holomorphic:
        return _holomorphic_grad(function, wrt, verbose)
    if mode == "forward":
        return _forward_grad(function, wrt, verbose)
    return _decorator_or_call(function, "grad", wrt, verbose)


def _native(function, kind: str, wrt, verbose: bool, backend: str, mode: str,
            has_aux: bool):
    """The derivative compiled by another back end than Python (numba_backend.py),
    cached beside the Python ones under its own key."""
    if backend != "numba":
        raise OptionError(f"backend must be 'python' or 'numba', got {backend!r}",
                          help="Leave it out for the Python derivative, or pass "
                          "backend='numba' (pip install adcompiler[numba]).")
    if mode != "reverse" or has_aux:
        raise OptionError("backend='numba' compiles reverse-mode gradients without has_aux",
                          help="Drop mode='forward' / has_aux=True, or use backend='python'.")
    if function is None:
        return lambda fn: _native(fn, kind, wrt, verbose, backend, mode, has_aux)
    from . import numba_backend
    with COMPILE_LOCK:
        try:
            positions, as_tuple = _positions(function, wrt)
            key = (backend, kind, positions, as_tuple)
            per_function = store.table(function, _CACHE)
            entry = per_function.get(key)
            if entry is not None and entry[1].current():
                record_callee(entry[1])
                return entry[0].function
            dependencies = Dependencies()
            with recording(dependencies):
                generated = numba_backend.build(function, kind, positions, as_tuple)
        except AdError as err:
            _point_at_user_code(err)
            if err.location is None and hasattr(function, "__code__"):
                # What numba refuses is in the derivative as a whole: the
                # function's def is where the user chose backend='numba' for.
                code = function.__code__
                err.location = Location(code.co_filename, code.co_firstlineno, 0,
                                        linecache.getline(code.co_filename,
                                                          code.co_firstlineno),
                                        function.__qualname__)
                err.args = (err._format(),)
            raise err.with_traceback(None) from err.__cause__
    compiled = generated.function
    compiled.__adcompiler__ = generated
    compiled.__qualname__ = f"{_KIND_NAMES.get(kind, kind)} of {_where(function)} (numba)"
    compiled._repr_html_ = lambda: derivative_html(generated)
    per_function[key] = (generated, dependencies)
    record_callee(dependencies)
    if verbose:
        print(generated.full_source())
    return compiled


def _with_aux(function, kind: str, wrt, verbose: bool, mode: str = "reverse"):
    """The derivative of f's loss for an f returning `(loss, aux)` (auxiliary.py)."""
    if mode == "forward":
        raise OptionError("has_aux=True is supported in reverse mode only",
                          help="Drop mode='forward' (reverse mode is the default).")
    positions, as_tuple = _positions(function, wrt)
    with COMPILE_LOCK:
        try:
            split = reverse_backend.split_derivative(auxiliary.loss_and_constant_aux(function),
                                                 positions, None)
            record_callee(split.dependencies)
        except AdError as err:
            _point_at_user_code(err)
            raise err.with_traceback(None) from err.__cause__
    if verbose:
        print("\n\n".join(split.sources))

    def bind(args, keywords):
        return _full_arguments(function, args, keywords)
    return _wrapper(function, ("has_aux", kind, positions, as_tuple),
                    (split.primal_cell.cell_contents, split.adjoint_cell.cell_contents),
                    lambda: auxiliary.AuxDerivative(split, kind, positions, as_tuple, bind,
                                                    _where(function)))


def _with_memory(function, kind: str, wrt, verbose: bool, memory, mode="reverse",
                 has_aux=False, backend="python"):
    """The reverse-mode derivative `kind` with its loops checkpointed within
    `memory` (bytes, or a string such as "256MB"): see docs/memory.md."""
    budget = parse_memory(memory)
    if mode != "reverse" or has_aux or backend != "python":
        raise OptionError("memory= applies to reverse mode in Python without has_aux",
                          help="Drop " + ("mode='forward'" if mode != "reverse" else
                                          "has_aux=True" if has_aux else f"backend={backend!r}")
                          + " or memory=.")
    if function is None:
        return lambda fn: _derivative(fn, kind, wrt, verbose, budget)
    return _derivative(function, kind, wrt, verbose, budget)


def _check_mode(mode):
    if mode not in ("reverse", "forward"):
        raise OptionError(f"mode must be 'reverse' or 'forward', got {mode!r}",
                          help="Reverse mode (the default) suits many inputs and one output; "
                          "forward mode few inputs.")


@_methods_too
def value_and_grad(function=None, wrt=0, *, verbose: bool = False, has_aux: bool = False,
                   memory=None):
    """Like `grad`, but the new function returns `(f(*args), gradient)`; with
    `has_aux=True`, `((loss, aux), gradient)`.

    Example:
        >>> loss, dw = value_and_grad(f)(w)   # doctest: +SKIP
    """
    if memory is not None:
        return _with_memory(function, "value_and_grad", wrt, verbose, memory, has_aux=has_aux)
    if has_aux:
        return _with_aux(function, "value_and_grad", wrt, verbose)
    return _decorator_or_call(function, "value_and_grad", wrt, verbose)


@_methods_too
def vjp(function=None, wrt=0, *, verbose: bool = False, has_aux: bool = False, memory=None):
    """The vector-Jacobian product: the new function takes `(primals, seed)`,
    a tuple of f's arguments and a seed shaped like f's result, and returns
    the gradient of `sum(f(*primals) * seed)`, i.e. Jᵀ·seed, like torch's
    `y.backward(seed)`. A result that is a tuple, list or dict takes a seed
    of the same structure. f's other parameters may also be passed by name.
    With `has_aux=True`, f returns `(out, aux)`, the seed is shaped like
    `out`, and the new function returns `(Jᵀ·seed, aux)`.

    Example:
        >>> def softmax(a):
        ...     e = np.exp(a - np.max(a))
        ...     return e / np.sum(e)
        >>> vjp(softmax)((np.zeros(2),), np.array([1.0, 0.0]))
        array([ 0.25, -0.25])
    """
    if function is None:
        return lambda fn: vjp(fn, wrt, verbose=verbose, has_aux=has_aux, memory=memory)
    if memory is not None and has_aux:
        _with_memory(function, "vjp", wrt, verbose, memory, has_aux=True)
    if has_aux:
        return _with_aux(function, "vjp", wrt, verbose)
    positions, as_tuple = _positions(function, wrt)
    budget = None if memory is None else parse_memory(memory)
    inner = _derivative(function, "vjp", wrt, verbose, budget)
    return _wrapper(function, ("vjp", positions, as_tuple, budget), (inner,),
                    lambda: _Convention(inner, function, "vjp"))


def _holomorphic_grad(function, wrt, verbose):
    """f'(z) of a holomorphic f, for grad(f, holomorphic=True): the conjugate
    of the vjp with seed 1 (the vjp takes torch's convention, in which seed 1
    gives conj(f'(z)))."""
    from .errors import ComplexValueError
    if function is None:
        return lambda fn: _holomorphic_grad(fn, wrt, verbose)
    positions, as_tuple = _positions(function, wrt)
    product = vjp(function, wrt, verbose=verbose)
    params, _ = _parameters(function)

    def holomorphic_grad(*args, **keywords):
        for position in positions:
            if position < len(args) and np.asarray(args[position]).dtype.kind != "c":
                raise ComplexValueError(
                    f"grad(holomorphic=True) of {_where(function)}: the argument "
                    f"{params[position]!r} is real; a holomorphic derivative is taken with "
                    "respect to complex arguments",
                    help="Pass it as a complex value (x.astype(complex)), or drop "
                    "holomorphic=True for the gradient of a real-valued function.")
        gradients = product(tuple(args), 1.0 + 0.0j, **keywords)
        conjugated = [np.conj(g) if not isinstance(g, complex) else g.conjugate()
                      for g in (gradients if as_tuple else (gradients,))]
        return tuple(conjugated) if as_tuple else conjugated[0]

    return _attach(holomorphic_grad, product, function, "grad")


def source(derivative) -> str:
    """The generated Python source of a derivative returned by this module,
    followed by the derivatives of user functions it calls.

    Example:
        >>> print(source(grad(f)))             # doctest: +SKIP
    """
    generated = getattr(derivative, "__adcompiler__", None)
    if generated is None:
        raise NotAFunctionError(f"{derivative!r} was not generated by adcompiler",
                                help="Pass what adcompiler.grad, value_and_grad, vjp or jvp "
                                "returned: adcompiler.source(adcompiler.grad(f)).")
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
        _refuse_parameters_without_templates(existing)
        registry.register(existing)
    # Derivatives compiled before may have differentiated the function's body
    # (or raised for it): compile afresh from now on.
    with COMPILE_LOCK:
        store.clear(_CACHE)
        held.forget_all()
        reverse_backend.clear_cache()
        forward_backend.clear_cache()
    return rule


def _refuse_parameters_without_templates(rule) -> None:
    """Give each parameter of a user's rule that has no template one that
    refuses when the derivative runs: a differentiated value passed there
    would otherwise get derivative 0 silently. Integers, flags and axes carry
    no derivative, so for them it never runs."""
    if not rule.differentiable or not rule.adjoint:
        return
    missing = [name for name, parameter in rule.signature.parameters.items()
               if name not in rule.adjoint and parameter.kind in (
                   parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD,
                   parameter.KEYWORD_ONLY)]
    owner = f"the rule registered for {rule.name}"
    refusals = {name: f"no_derivative(g, {owner!r}, {name!r})" for name in missing}
    for mode, templates in (("adjoint", rule.adjoint), ("tangent", rule.tangent)):
        if templates:
            templates.update(parse_templates(refusals, rule.signature, rule.defined_at,
                                             rule.name, mode))


@_methods_too
def jvp(function=None, wrt=0, *, verbose: bool = False):
    """The Jacobian-vector product, in forward mode: the new function takes
    `(primals, tangents)`, a tuple of f's arguments and a tuple of one tangent
    per differentiated argument (shaped like it, a dict for a dict), and
    returns `(f(*primals), J·tangents)`. One sweep, no stack. f's other
    parameters may also be passed by name, after the two tuples.

    Example:
        >>> def f(x, w, scale=2.0):
        ...     return np.sum(np.sin(x) * w) * scale
        >>> jvp(f)((np.zeros(2), np.ones(2)), (np.ones(2),))
        (np.float64(0.0), np.float64(4.0))
        >>> jvp(f, wrt=(0, 1))((np.zeros(2), np.ones(2)), (np.ones(2), np.ones(2)), scale=1.0)
        (np.float64(0.0), np.float64(2.0))
    """
    if function is None:
        return lambda fn: jvp(fn, wrt, verbose=verbose)
    positions, as_tuple = _positions(function, wrt)
    inner = _derivative(function, "jvp", wrt, verbose)
    return _wrapper(function, ("jvp", positions, as_tuple), (inner,), lambda: _Convention(
        inner, function, "jvp", _check_tangents(function, positions)))


_WRAPPER_TITLES = {"hessian": "Hessian", "jacobian": "Jacobian",
                   "grad": "gradient (forward mode)"}


def _attach(wrapper, inner, function, what, title=None):
    title = f"{title or _WRAPPER_TITLES.get(what, what)} of {_where(function)}"
    generated = inner.__adcompiler__
    # What the user asked for heads the code computing it (a Hessian is the
    # forward-mode derivative of the gradient, one sweep per entry): in
    # ad.source, in the notebook's title and in repr.
    wrapper.__adcompiler__ = dataclasses.replace(generated, source=(
        f"# Generated by adcompiler: {title}, computed by the code below.\n"
        + generated.source))
    wrapper._repr_html_ = lambda: derivative_html(wrapper.__adcompiler__)
    wrapper.__name__ = f"{readable_name(function)}_{what}"
    wrapper.__qualname__ = title
    wrapper.__doc__ = (f"The {what.replace('_', ' ')} of {function.__qualname__}, computed by "
                       f"adcompiler; adcompiler.source(this) shows the generated code.")
    return wrapper


# -- pytrees: tuples, lists and dicts of floats and arrays ----------------------

def _leaves(tree) -> list:
    """The leaves of a pytree, depth first (dicts in their key order)."""
    if isinstance(tree, (tuple, list)):
        return [leaf for part in tree for leaf in _leaves(part)]
    if _is_dataclass_record(tree):
        return [leaf for name in _field_names(tree) for leaf in _leaves(getattr(tree, name))]
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in _leaves(tree[key])]
    return [] if tree is None else [tree]


def _leaf_paths(tree, prefix: str = "") -> list:
    """Where each leaf sits, as an index expression: `['W'][0]`."""
    if isinstance(tree, (tuple, list)):
        return [path for i, part in enumerate(tree) for path in _leaf_paths(part, f"{prefix}[{i}]")]
    if isinstance(tree, dict):
        return [path for key in tree for path in _leaf_paths(tree[key], f"{prefix}[{key!r}]")]
    if _is_dataclass_record(tree):
        return [path for name in _field_names(tree)
                for path in _leaf_paths(getattr(tree, name), f"{prefix}.{name}")]
    return [] if tree is None else [prefix]


def _rebuild(tree, values):
    """A pytree shaped like `tree` with `values` (an iterator or list) as its leaves."""
    values = iter(values)

    def build(node):
        if isinstance(node, (tuple, list)):
            parts = [build(part) for part in node]
            if hasattr(node, "_fields"):  # a namedtuple
                return type(node)(*parts)
            return type(node)(parts) if type(node) in (tuple, list) else (
                tuple(parts) if isinstance(node, tuple) else list(parts))
        if isinstance(node, dict):
            return {key: build(node[key]) for key in node}
        if _is_dataclass_record(node):  # a dataclass instance: one of its class
            return _rebuilt(node, [build(getattr(node, name)) for name in _field_names(node)])
        return None if node is None else next(values)
    return build(tree)


def _zero_leaf(leaf):
    from .runtime.arrays import is_foreign_array
    from .runtime.namespaces import is_array_api_only, zeros_of
    if isinstance(leaf, (np.ndarray, np.generic)):
        return np.zeros(np.shape(leaf), dtype=leaf.dtype if leaf.dtype.kind == "f" else float)
    if is_foreign_array(leaf):  # dask (lazily, with its chunks) or CuPy zeros
        return np.zeros_like(leaf, dtype=leaf.dtype if leaf.dtype.kind == "f" else float)
    if is_array_api_only(leaf):
        return zeros_of(tuple(leaf.shape), leaf)
    return 0.0


def _unit_trees(tree, complex_entries: bool = False):
    """`(leaf index, unit, imaginary unit)` for every entry of every leaf of
    `tree`: a pytree shaped like it, zero but for a 1 (an i) at that entry.
    The imaginary unit is None but for a complex leaf, which only forward
    grad asks for (`complex_entries`; the other forms refuse it)."""
    from .runtime.complex_numbers import is_complex
    leaves = _leaves(tree)
    zeros = [_zero_leaf(leaf) for leaf in leaves]
    for k, leaf in enumerate(leaves):
        imaginary = complex_entries and is_complex(leaf)
        for unit in _basis(leaf, complex_entries):
            yield (k, _rebuild(tree, zeros[:k] + [unit] + zeros[k + 1:]),
                   _rebuild(tree, zeros[:k] + [unit * 1j] + zeros[k + 1:]) if imaginary
                   else None)


def _zero_tree(tree):
    return _rebuild(tree, [_zero_leaf(leaf) for leaf in _leaves(tree)])


def _nest(out_tree, in_tree, blocks):
    """Blocks `blocks[i][k]` (output leaf i, input leaf k) nested as JAX nests
    Jacobians: `out_tree` of `in_tree`s of blocks."""
    return _rebuild(out_tree, [_rebuild(in_tree, row) for row in blocks])


def _forward_blocks(pushes, in_tree, in_leaves):
    """The Jacobian by columns: `pushes` are `(leaf offset, subtree, push)`,
    push(unit of subtree) giving the output tangent; returns
    (output template, blocks) with blocks[i][k] shaped out_i.shape + in_k.shape."""
    columns: list = [[] for _ in in_leaves]
    template = None
    for offset, subtree, push in pushes:
        for k, unit, _ in _unit_trees(subtree):
            out = push(unit)
            template = out
            columns[offset + k].append([_as_array(leaf) for leaf in _leaves(out)])
    if template is None:  # nothing to differentiate along: one sweep for the shapes
        offset, subtree, push = pushes[0]
        template = push(_zero_tree(subtree))
    out_leaves = [_as_array(leaf) for leaf in _leaves(template)]
    blocks = [[_block([column[i] for column in columns[k]], -1, out, x)
               for k, x in enumerate(in_leaves)] for i, out in enumerate(out_leaves)]
    return template, blocks


def _block(pieces: list, axis: int, out, x):
    """The Jacobian block of output leaf `out` and input leaf `x`: `pieces`
    (one per entry of x, or of out) stacked along `axis` and shaped
    out.shape + x.shape, zeros when there are none. Arrays of the array API
    standard stay in their namespace (runtime/namespaces.py)."""
    from .runtime.namespaces import is_array_api_only, stacked, zeros_of
    shape = tuple(np.shape(out)) + tuple(np.shape(x))
    if any(is_array_api_only(piece) for piece in pieces):
        return stacked(pieces, axis, shape)
    if not pieces:
        like = next((leaf for leaf in (out, x) if is_array_api_only(leaf)), None)
        return np.zeros(shape) if like is None else zeros_of(shape, like)
    return np.stack(pieces, axis=axis).reshape(shape)


def _basis(x, complex_entries: bool = False):
    """Unit tangents for every entry of x, shaped like x (real: the forms
    built from them, Jacobians and Hessians, take real values; forward grad
    moves a complex entry along 1 and i, with `complex_entries`)."""
    from .runtime.arrays import is_foreign_array
    from .runtime.namespaces import is_array_api_only, unit_vectors
    if is_array_api_only(x):  # units of its namespace, dtype and device
        yield from unit_vectors(x)
        return
    if not complex_entries:
        reject_complex(x, "an argument or result",
                       "a Jacobian or Hessian without holomorphic=True")
    if isinstance(x, (np.ndarray, np.generic)) or is_foreign_array(x):
        eye = np.eye(max(x.size, 1), dtype=x.dtype if x.dtype.kind in "fc" else float)
        for row in eye[:x.size]:
            # A dask or CuPy x gets units of its own library (CuPy refuses NumPy's).
            yield np.asarray(row.reshape(x.shape), like=x) if is_foreign_array(x) \
                else row.reshape(x.shape)
    else:
        yield 1.0


def _wrt_tree(args, positions, as_tuple):
    """What is differentiated, as one pytree: the argument, or a tuple of them."""
    return tuple(args[p] for p in positions) if as_tuple else args[positions[0]]


def _full_arguments(function, args, keywords):
    """A value for every parameter of `function` (defaults filled in), then
    the values of its *args."""
    params, star = _parameters(function)
    if not keywords and star is None and len(args) == len(params):
        return tuple(args)
    try:
        bound = inspect.signature(function).bind(*args, **keywords)
    except TypeError as err:
        raise CallConventionError(
            f"the arguments do not fit the parameters of {_where(function)}: {err}",
            help="Pass the arguments as you would to the function itself.") from None
    bound.apply_defaults()
    values = tuple(bound.arguments[p] for p in params)
    return values + tuple(bound.arguments.get(star, ())) if star else values


def _forward_grad(function, wrt, verbose):
    positions, as_tuple = _positions(function, wrt)
    tangent_fn = _derivative(function, "jvp", tuple(positions), verbose)
    return _wrapper(function, ("forward grad", positions, as_tuple), (tangent_fn,),
                    lambda: _make_forward_grad(function, tangent_fn, positions, as_tuple))


def _make_forward_grad(function, tangent_fn, positions, as_tuple):
    def forward_grad(*args, **keywords):
        args = _full_arguments(function, args, keywords)
        _refuse_array_api_only(args, function=function)
        params, _ = _parameters(function)
        for position in positions:
            refuse_argument_without_derivative(
                args[position], f"the argument {params[position]!r} of {_where(function)}")
        zeros = [derivatives_zeros(args[p]) for p in positions]
        grads, values = [], []
        for index, position in enumerate(positions):
            x = args[position]

            def push(unit):
                tangents = zeros[:index] + [unit] + zeros[index + 1:]
                value, out = tangent_fn(args, tuple(tangents))
                values.append(value)
                _refuse_changed_value(values, function, "forward-mode grad")
                reject_complex(out, "the result", f"the forward-mode grad of {_where(function)}")
                scalar_seed(value, _where(function))  # refuses what grad cannot take
                out = _as_array(out)
                return out if out.shape == () else np.reshape(out, ())

            entries = []
            for _, unit, imaginary in _unit_trees(x, complex_entries=True):
                # A complex entry z = a + ib moves along 1 and along i: d/da and
                # d/db. Generated code's convention is d/da - i d/db (JAX's),
                # which as_gradient turns into torch's, as in reverse mode.
                entries.append(push(unit) if imaginary is None else
                               push(unit) - 1j * push(imaginary))
            grads.append(_gradient_like(entries, x))
        return tuple(grads) if as_tuple else grads[0]

    return _attach(forward_grad, tangent_fn, function, "grad")


def _called_on_copies(function, args: tuple):
    """function(*args) on copies of the arguments: a function that changes an
    argument in place (`x[x > 0] = 0.0`) must not change the caller's, which
    the derivative's sweeps read afterwards (a Hessian's columns would be taken
    at another point). Arguments that cannot be copied are passed as they are."""
    try:
        args = copy.deepcopy(args)
    except Exception:  # an object without deepcopy (a lock, a module): as it is
        pass
    return _called_with_full_arguments(function, args)


def _called_with_full_arguments(function, args: tuple):
    """function called with what _full_arguments gave: a value per parameter
    in order (keyword-only ones by name, the **options dict spread), then the
    values of its *args."""
    parameters = list(inspect.signature(function).parameters.values())
    if all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters):
        return function(*args)
    params, star = _parameters(function)
    named = dict(zip(params, args))
    positional, keywords = [], {}
    for parameter in parameters:
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional.append(named[parameter.name])
        elif parameter.kind is parameter.VAR_POSITIONAL:
            positional.extend(args[len(params):])
        elif parameter.kind is parameter.KEYWORD_ONLY:
            keywords[parameter.name] = named[parameter.name]
        else:
            keywords.update(named[parameter.name])
    return function(*positional, **keywords)


def _refuse_changed_value(values: list, function, what: str) -> None:
    """StatefulFunctionError when the last of `values`, the function's value
    on one of the runs a derivative makes with the same arguments, is not the
    first: the function changes module-level state it reads, or draws random
    numbers, and the runs would differentiate different functions."""
    first, last = values[0], values[-1]
    if len(values) < 2 or first is last:
        return
    from .runtime.namespaces import is_array_api_only, same_values
    numbers = (np.ndarray, np.generic, int, float, complex)
    leaves = _leaves(first) + _leaves(last)
    if not all(isinstance(leaf, numbers) or is_array_api_only(leaf) for leaf in leaves):
        return  # a dask or CuPy value: comparing would compute or copy it
    same = len(_leaves(first)) == len(_leaves(last)) and all(
        same_values(a, b) if is_array_api_only(a) else
        np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a), np.asarray(b),
                                                      equal_nan=True)
        for a, b in zip(_leaves(first), _leaves(last)))
    if not same:
        from .errors import StatefulFunctionError
        raise StatefulFunctionError(
            f"the {what} of {_where(function)} runs it once per entry, and it returned "
            "different values for the same arguments: it changes module-level state it "
            "reads (a counter, a global array, an object's attribute) or draws random "
            "numbers, so each run would differentiate another function",
            help="Instead: make the function depend on its arguments only (pass the state "
                 "in, draw random numbers with a generator seeded inside, or pass them in), "
                 "or use reverse mode (ad.grad(f)), which runs it once.")


def _refuse_array_api_only(*trees, function=None):
    """NoDerivativeRuleError for an array that implements only the array API
    standard among the leaves of `trees` (runtime.arrays.refuse_array_api_only),
    unless `function` takes its array namespace from its arguments
    (passes/array_namespace.py)."""
    if _plain(trees):
        return  # NumPy arrays and Python numbers, checked on every call: no walk
    from .passes.array_namespace import written_for_namespaces
    from .runtime.arrays import refuse_array_api_only
    from .runtime.namespaces import is_array_api_only, refuse_complex_arguments
    for leaf in _leaves(trees):
        if is_array_api_only(leaf) and function is not None and \
                written_for_namespaces(function):
            return refuse_complex_arguments(_leaves(trees))
        refuse_array_api_only(leaf, "an argument")


def _plain(trees: tuple) -> bool:
    """Whether `trees` holds NumPy arrays, Python numbers and tuples of them
    only: the arguments of most calls."""
    for leaf in trees:
        kind = type(leaf)
        if kind is not np.ndarray and kind is not float and kind is not int and (
                kind is not tuple or not _plain(leaf)):
            return False
    return True


def _as_array(value):
    """np.asarray(value), except that a dask or CuPy array, or an array of
    the array API standard, stays one."""
    from .runtime.arrays import as_array
    from .runtime.namespaces import is_array_api_only
    return value if is_array_api_only(value) else as_array(value)


def _gradient_like(entries, x):
    """Entries of a gradient, in the order of _unit_trees(x), shaped like x.
    Entries that are dask or CuPy arrays are stacked by their library: a
    dask gradient stays lazy, a CuPy one on the device."""
    from .runtime.arrays import is_foreign_array
    from .runtime.core import as_gradient
    from .runtime import namespaces
    leaves, at = [], 0
    for leaf in _leaves(x):
        size = int(np.prod(getattr(leaf, "shape", ())))  # np.size would compute a dask array
        part = entries[at:at + size]
        like = next((e for e in part if is_foreign_array(e)), None)
        if namespaces.is_array_api_only(leaf):
            leaves.append(namespaces.as_gradient(
                namespaces.stacked(part, 0, tuple(leaf.shape), like=leaf) if part else None,
                leaf))
            at += size
            continue
        if like is None:
            values = np.array(part, dtype=complex if np.iscomplexobj(leaf) else float)
        else:
            values = np.stack([np.asarray(e, like=like) for e in part]).astype(float)
        leaves.append(as_gradient(np.reshape(values, np.shape(leaf)), leaf))
        at += size
    return _rebuild(x, leaves)


def derivatives_zeros(x):
    from .runtime.arrays import is_foreign_array
    from .runtime.core import zeros_like
    from .runtime.namespaces import is_array_api_only
    # A zero tangent shaped like a dask or CuPy argument, or one of the array
    # API standard (zeros_like's 0.0 is an adjoint's zero, which a tangent of
    # X in X @ w cannot be).
    return _zero_leaf(x) if is_foreign_array(x) or is_array_api_only(x) else zeros_like(x)


@_methods_too
def derivative(function=None, wrt=0, *, verbose: bool = False):
    """The derivative of a function of one real variable (the argument `wrt`),
    in forward mode; the result has the shape of f's output. The result is
    generated code too, so derivatives of derivatives work.

    Example:
        >>> def cube(x):
        ...     return x ** 3
        >>> derivative(derivative(cube))(2.0)
        12.0
    """
    positions, as_tuple = _positions(function, wrt)
    if as_tuple:
        raise WrtError("derivative takes one argument position or name in wrt",
                       help="Call derivative once per argument, or use jvp with a tuple of wrt.")
    position = positions[0]
    tangent_fn = _derivative(function, "tangent", position, verbose)
    params, star = _parameters(function)
    composed = _wrapper(function, ("derivative", position), (tangent_fn,), lambda: _titled(
        compose.derivative(function, tangent_fn, params, position, star), "derivative",
        function))
    return _called_by_keywords(function, composed, "derivative", (position,))


def _titled(compiled, what: str, function):
    """Name generated code built over other derivatives (compose.py) by what
    it is, as Python shows it in repr and in its own errors."""
    compiled.__qualname__ = f"{what} of {_where(function)}"
    return compiled


@_methods_too
def jacobian(function=None, wrt=0, *, mode: str = "reverse", verbose: bool = False,
             memory=None, holomorphic: bool = False):
    """The full Jacobian of `function`: one forward sweep per input entry
    (`mode="forward"`) or one reverse sweep per output entry
    (`mode="reverse"`). For an array argument and an array result it is
    shaped `out.shape + x.shape`. Arguments and results that are pytrees
    (tuples, lists, dicts of arrays), and a tuple of `wrt`, give the blocks
    nested as JAX nests them: the result's structure, holding at each leaf
    the structure of what is differentiated (the argument, or the tuple of
    arguments), holding at each leaf the block `out_leaf.shape + in_leaf.shape`.

    Example:
        >>> def scale(x):
        ...     return {"double": 2 * x, "sum": np.sum(x)}
        >>> J = jacobian(scale)(np.ones(2))
        >>> J["double"].shape, J["sum"].shape
        ((2, 2), (2,))

    With `holomorphic=True` (JAX's option), the complex Jacobian df/dz of a
    holomorphic function of complex arrays (docs/complex.md); without it,
    complex arguments and results are refused, as JAX refuses them.
    """
    _check_mode(mode)
    if holomorphic:
        return _holomorphic_jacobian(function, wrt, mode, verbose)
    positions, as_tuple = _positions(function, wrt)
    budget = None if memory is None else parse_memory(memory)
    if mode == "forward" and memory is not None:
        raise OptionError("memory= applies to mode='reverse'; forward mode records nothing",
                          help="Drop memory= or mode='forward'.")
    if mode == "forward":
        inner = _derivative(function, "jvp", wrt, verbose)
        assembled = _wrapper(function, ("forward jacobian", positions, as_tuple), (inner,),
                             lambda: _make_forward_jacobian(function, inner, positions,
                                                            as_tuple))
    else:
        inner = _derivative(function, "vjp", wrt, verbose, budget)
        assembled = _wrapper(function, ("reverse jacobian", positions, as_tuple, budget),
                             (inner,), lambda: _make_reverse_jacobian(function, inner,
                                                                      positions, as_tuple))
    if not as_tuple:
        _computed_inside(assembled, function, lambda: _derivative(
            function, "tangent", positions[0], verbose), positions[0], "Jacobian")
    return assembled


def _refusing_other_values(function, what: str):
    """What a Jacobian or Hessian built inside calls for a value its generated
    code does not take, when the API's cannot be called in its place."""
    def refuse(*arguments):
        raise NoDerivativeRuleError(
            f"the {what} of {_where(function)}, which takes keyword-only parameters or "
            "**options, built inside a differentiated function, takes a real number or a "
            "real, non-empty NumPy array and gives one",
            help=f"Instead: build the {what} of a function of arrays, or call ad.jvp or "
            "ad.hvp of it once per direction you need.")
    return refuse


def _computed_inside(assembled, function, tangent_fn, position: int, what: str) -> None:
    """Give the Jacobian or Hessian `assembled` (a Python function over
    several sweeps) the generated code computing it for one real array
    argument (compose.inside), built when first asked (source.INSIDE): what
    differentiated code calls in its place, which differentiates again.
    `tangent_fn()`: the tangent-only jvp of f (of f's gradient, for a Hessian)."""
    if INSIDE in assembled.__dict__:
        return
    made = []

    def generated():
        if not made:
            params, star = _parameters(function)
            keywords = any(p.kind in (p.VAR_KEYWORD, p.KEYWORD_ONLY)
                           for p in inspect.signature(function).parameters.values())
            # With keyword-only parameters or **options, assembled takes them by
            # name, not as the generated code passes them: the fallback is the check.
            fallback = _refusing_other_values(function, what) if keywords else assembled
            form = _titled(compose.inside(function, fallback, tangent_fn(), params, position,
                                          star, what), what, function)
            if any(p.kind is p.VAR_KEYWORD for p in
                   inspect.signature(function).parameters.values()) or \
                    any(d is REQUIRED_KEYWORD for d in parameter_defaults(function) or ()):
                # It takes **options as one dict: a call by keyword is bound when compiling.
                setattr(form, ARGUMENTS_OF, (function, form, what.lower()))
            made.append(form)
        return made[0]
    setattr(assembled, INSIDE, generated)


def _make_forward_jacobian(function, inner, positions, as_tuple):
    def forward_jacobian(*args, **keywords):
        args = _full_arguments(function, args, keywords)
        _refuse_array_api_only(args, function=function)
        in_tree = _wrt_tree(args, positions, as_tuple)
        zeros = [derivatives_zeros(args[p]) for p in positions]
        pushes, values = [], []
        for index, position in enumerate(positions):
            def push(unit, index=index):
                tangents = zeros[:index] + [unit] + zeros[index + 1:]
                value, tangent = inner(args, tuple(tangents))
                values.append(value)
                _refuse_result_without_derivative(value, function, "Jacobian")
                _refuse_changed_value(values, function, "forward-mode Jacobian")
                return tangent
            offset = len(_leaves(in_tree[:index])) if as_tuple else 0
            pushes.append((offset, args[position], push))
        template, blocks = _forward_blocks(pushes, in_tree, _leaves(in_tree))
        return _nest(template, in_tree, blocks)

    return _attach(forward_jacobian, inner, function, "jacobian")


def _make_reverse_jacobian(function, inner, positions, as_tuple):
    def reverse_jacobian(*args, **keywords):
        args = _full_arguments(function, args, keywords)
        _refuse_array_api_only(args, function=function)
        in_tree = _wrt_tree(args, positions, as_tuple)
        in_leaves = _leaves(in_tree)
        for leaf in in_leaves:
            next(_basis(leaf), None)  # refuses complex arguments
        out = _called_on_copies(function, args)
        _refuse_result_without_derivative(out, function, "Jacobian")
        out_leaves = _leaves(out)
        rows = [[] for _ in out_leaves]
        for i, unit, _ in _unit_trees(out):
            rows[i].append([_as_array(leaf) for leaf in _leaves(inner(args, unit))])
        if rows:
            # Each row's vjp ran the function again, after the run that gave
            # `out` its structure: the same function? (With one row too: a
            # counter read by the function made the vjp differentiate its
            # second run, a derivative twice what one call has.)
            _refuse_changed_value([out, _called_on_copies(function, args)], function,
                                  "reverse-mode Jacobian")
        blocks = [[_block([row[k] for row in rows[i]], 0, y, x)
                   for k, x in enumerate(in_leaves)] for i, y in enumerate(out_leaves)]
        return _nest(out, in_tree, blocks)

    return _attach(reverse_jacobian, inner, function, "jacobian")


def _refuse_result_without_derivative(out, function, what: str) -> None:
    """A NonScalarOutputError for a result of None, text or a date, whose
    derivative would come out empty or zero."""
    kind = without_derivative(out)
    if kind is None and isinstance(out, (bool, np.bool_)) or \
            isinstance(out, np.ndarray) and out.dtype.kind == "b":
        kind = "a boolean value"
    if kind is not None:
        raise NonScalarOutputError(
            f"{_where(function)} returns {kind}, which has no derivative; the {what} takes "
            "the derivative of numbers (floats, arrays, or tuples, lists, dicts of them)",
            help="Return the numbers the result is computed from.")


def _complex_arguments(function, args, positions, what):
    """Refuse a real argument where a holomorphic derivative is asked for."""
    from .errors import ComplexValueError
    params, _ = _parameters(function)
    for position in positions:
        if np.asarray(args[position]).dtype.kind != "c":
            raise ComplexValueError(
                f"{what}(holomorphic=True) of {_where(function)}: the argument "
                f"{params[position]!r} is real; a holomorphic derivative is taken with "
                "respect to complex arguments",
                help="Pass it as a complex value (x.astype(complex)), or drop "
                f"holomorphic=True for the {what} of real arguments.")


def _complex_result(function, out, what):
    from .errors import ComplexValueError
    if np.asarray(out).dtype.kind != "c":
        raise ComplexValueError(
            f"{what}(holomorphic=True) of {_where(function)}: the result is real; a "
            "holomorphic function has complex values",
            help="Return the complex value (np.asarray(y, dtype=complex) if it happens "
            f"to be real), or drop holomorphic=True for the {what} of a real function.")


def _complex_unit(x, k):
    unit = np.zeros(np.shape(x), dtype=complex)
    unit.flat[k] = 1.0
    return unit if np.ndim(x) else complex(unit)


def _holomorphic_jacobian(function, wrt, mode, verbose):
    """df/dz of a holomorphic f: in forward mode its jvp along each real unit
    (f'(z) dz); in reverse mode the conjugate of its vjp for each unit seed
    (the vjp takes torch's convention, which gives conj(f'(z)))."""
    if function is None:
        return lambda fn: _holomorphic_jacobian(fn, wrt, mode, verbose)
    positions, as_tuple = _positions(function, wrt)
    if mode == "forward":
        product = jvp(function, wrt, verbose=verbose)
    else:
        product = vjp(function, wrt, verbose=verbose)

    def holomorphic_jacobian(*args, **keywords):
        args = _full_arguments(function, args, keywords)
        for position in positions:
            if isinstance(args[position], (tuple, list, dict)):
                raise CallConventionError(
                    f"jacobian(holomorphic=True) of {_where(function)} takes arrays and "
                    f"numbers; argument {position} is a {type(args[position]).__name__}",
                    help="Pass each array as an argument of its own.")
        _complex_arguments(function, args, positions, "jacobian")
        out = function(*args)
        _complex_result(function, out, "jacobian")
        blocks = []
        if mode == "forward":
            zeros = [np.zeros(np.shape(args[p]), dtype=complex) if np.ndim(args[p]) else 0j
                     for p in positions]
            for index, position in enumerate(positions):
                columns = []
                for k in range(int(np.size(args[position]))):
                    tangents = zeros[:index] + [_complex_unit(args[position], k)] + \
                        zeros[index + 1:]
                    columns.append(np.asarray(product(tuple(args), tuple(tangents))[1]))
                blocks.append(np.stack(columns, axis=-1).reshape(
                    np.shape(out) + np.shape(args[position])))
        else:
            rows = []
            for i in range(int(np.size(out))):
                gradients = product(tuple(args), _complex_unit(out, i))
                rows.append(gradients if as_tuple else (gradients,))
            for index, position in enumerate(positions):
                blocks.append(np.conj(np.stack([np.asarray(row[index]) for row in rows]))
                              .reshape(np.shape(out) + np.shape(args[position])))
        return tuple(blocks) if as_tuple else blocks[0]

    return _attach(holomorphic_jacobian, product, function, "jacobian")


def _holomorphic_hessian(function, wrt, verbose):
    """d²f/dz² of a holomorphic scalar f, forward over reverse: the tangent of
    its vjp for seed 1 (conj(f'(z))) along each real unit is conj(f''(z) e_j)."""
    from .errors import NonScalarOutputError
    if function is None:
        return lambda fn: _holomorphic_hessian(fn, wrt, verbose)
    positions, as_tuple = _positions(function, wrt)
    pullback = vjp(function, wrt, verbose=verbose)
    tangent = jvp(pullback, 0, verbose=verbose)

    def holomorphic_hessian(*args, **keywords):
        args = _full_arguments(function, args, keywords)
        _complex_arguments(function, args, positions, "hessian")
        out = function(*args)
        _complex_result(function, out, "hessian")
        if np.ndim(out):
            raise NonScalarOutputError(
                f"hessian(holomorphic=True) of {_where(function)} needs a scalar result; "
                f"got shape {np.shape(out)}",
                help="Sum the result, or take jacobian(holomorphic=True) of a function "
                "returning its derivative.")
        zeros = [derivatives_zeros(a) if i not in positions else
                 (np.zeros(np.shape(a), dtype=complex) if np.ndim(a) else 0j)
                 for i, a in enumerate(args)]
        blocks = [[None] * len(positions) for _ in positions]
        for column, position in enumerate(positions):
            pushes = []
            for k in range(int(np.size(args[position]))):
                tangents = list(zeros)
                tangents[position] = _complex_unit(args[position], k)
                pushed = tangent((tuple(args), 1.0 + 0.0j), (tuple(tangents),))[1]
                pushes.append(pushed if as_tuple else (pushed,))
            for row, row_position in enumerate(positions):
                blocks[row][column] = np.conj(np.stack(
                    [np.asarray(p[row]) for p in pushes], axis=-1)).reshape(
                    np.shape(args[row_position]) + np.shape(args[position]))
        if as_tuple:
            return tuple(tuple(row) for row in blocks)
        return blocks[0][0]

    return _attach(holomorphic_hessian, pullback, function, "hessian")


@_methods_too
def hessian(function=None, wrt=0, *, verbose: bool = False, holomorphic: bool = False):
    """The Hessian of a scalar function, forward-over-reverse: the forward
    transformation applied to the generated gradient code. For an array
    argument it is shaped x.shape * 2. A pytree argument (a dict of arrays,
    say) or a tuple of `wrt` gives the blocks nested as jax.hessian nests
    them: the structure of what is differentiated, holding at each leaf that
    structure again, holding the block `xi.shape + xj.shape` of d²f/dxi dxj.

    Example:
        >>> def g(x, y):
        ...     return np.sum(x ** 2 * y)
        >>> (hxx, hxy), (hyx, hyy) = hessian(g, wrt=(0, 1))(np.ones(2), np.ones(2))
        >>> hxy
        array([[2., 0.],
               [0., 2.]])

    With `holomorphic=True`, d²f/dz² of a holomorphic scalar function of
    complex arrays (JAX's option); complex arguments are refused without it.
    """
    if holomorphic:
        return _holomorphic_hessian(function, wrt, verbose)
    positions, as_tuple = _positions(function, wrt)
    # The generated gradient itself, which takes f's **options as one dict: grad()
    # would wrap it for keyword calls, and a wrapper has no code to differentiate.
    # The gradient's tree, as printed, is read back by the forward transformation.
    kept: list = []
    try:
        with codegen.keeping_trees(kept):
            gradient = _derivative(function, "grad", positions if as_tuple else positions[0],
                                   verbose)
        # One forward sweep of the gradient per entry of xj gives column block j
        # of every row block at once.
        tangents = [_derivative(gradient, "tangent", position, verbose)
                    for position in positions]
    finally:
        codegen.drop_trees(kept)
    assembled = _wrapper(function, ("hessian", positions, as_tuple), (gradient, *tangents),
                         lambda: _make_hessian(function, tangents, positions, as_tuple))
    if not as_tuple:
        _computed_inside(assembled, function, lambda: tangents[0], positions[0], "Hessian")
    return assembled


def _make_hessian(function, tangents, positions, as_tuple):
    def hessian_of(*args, **keywords):
        args = _full_arguments(function, args, keywords)
        _refuse_array_api_only(args, function=function)
        in_tree = _wrt_tree(args, positions, as_tuple)
        pushes, offset = [], 0
        for position, tangent_fn in zip(positions, tangents):
            pushes.append((offset, args[position],
                           lambda unit, tangent_fn=tangent_fn: tangent_fn(*args, unit)))
            offset += len(_leaves(args[position]))
        leaves = _leaves(in_tree)
        several = len(leaves) > 1 or math.prod(getattr(leaves[0], "shape", ())) > 1
        before = _called_on_copies(function, args) if several else None
        template, blocks = _forward_blocks(pushes, in_tree, _leaves(in_tree))
        if several:
            # Each column ran the function again: the same function?
            _refuse_changed_value([before, _called_on_copies(function, args)], function,
                                  "Hessian")
        return _nest(in_tree, in_tree, blocks)

    return _attach(hessian_of, tangents[0], function, "hessian")


@_methods_too
def hvp(function=None, wrt=0, *, verbose: bool = False):
    """The Hessian-vector product without forming the Hessian: the new function
    takes `(primals, tangents)`, a tuple of f's arguments and a tuple of one
    vector per differentiated argument, each shaped like it, and returns H·v,
    the forward transformation applied to the generated gradient code. With
    a tuple of `wrt`, the result is a tuple too: the blocks of H·v,
    `(H00 v0 + H01 v1, H10 v0 + H11 v1)`.

    Example:
        >>> def f(x):
        ...     return np.sum(x ** 3)
        >>> hvp(f)((np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
        array([6., 0.])
    """
    if function is None:
        return lambda fn: hvp(fn, wrt, verbose=verbose)
    positions, as_tuple = _positions(function, wrt)
    # The generated gradient itself (as hessian's: not grad()'s keyword wrapper).
    kept: list = []
    try:
        with codegen.keeping_trees(kept):
            gradient = _derivative(function, "grad", positions if as_tuple else positions[0],
                                   verbose)
        # The jvp of the gradient without the gradient itself, which hvp discards.
        inner = _derivative(gradient, "tangent", positions if as_tuple else positions[0],
                            verbose)
    finally:
        codegen.drop_trees(kept)
    params, star = _parameters(function)

    def build():
        product = _titled(compose.hvp(function, inner, params, star, len(positions)),
                          "Hessian-vector product", function)
        check = _check_tangents(function, positions, "vector")
        from .runtime.core import real_values
        # Named once: the check runs on every call, and naming walks the file path.
        where = f"the hvp of {_where(function)}"

        def real_check(primals, vectors):
            # Second derivatives of complex functions are not checked yet.
            check(primals, vectors)
            for position, vector in zip(positions, vectors):
                primal = primals[position]
                if type(primal) is np.ndarray and type(vector) is np.ndarray and \
                        primal.dtype.kind == "f" == vector.dtype.kind:
                    continue  # real arrays, the common case
                reject_complex(primal, "an argument", where)
                real_values("a vector", where, primal, vector)
        return _Convention(product, function, "hvp", real_check)
    return _wrapper(function, ("hvp", positions, as_tuple), (gradient, inner), build)


# Derivatives built inside differentiated code (ad.grad(g)(x)) are found by
# these (passes/built_derivatives.py), which cannot import this module.
register_builders({grad: "grad", value_and_grad: "value_and_grad", vjp: "vjp", jvp: "jvp",
                   derivative: "derivative", hvp: "hvp", jacobian: "jacobian",
                   hessian: "hessian"})

# The derivative of scipy.integrate.odeint (runtime/odeint.py) differentiates the
# user's func at run time with these; runtime imports nothing of the compiler.
runtime_odeint.use_user_derivatives(
    lambda kind, function, wrt: (vjp if kind == "vjp" else jvp)(function, wrt=wrt))
