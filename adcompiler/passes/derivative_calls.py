"""Calls of `ad.jvp`, `ad.vjp` and `ad.hvp` derivatives bound as the API binds them.

The object `ad.jvp(g)` returns takes `(primals, tangents)` and, as keywords,
any parameter of g by name; it binds them to g's signature (defaults filled
in, keyword-only parameters and `**options` by name) and calls the generated
function, which unpacks one value per parameter from `primals`. Called from
differentiated code, the compiler calls that generated function itself
(source.py sees through the API's wrapper), so this pass does the binding
when compiling, in the call:

    def g(x, scale=2.0): ...               def f(x):
    def f(x):                                  return g_jvp((x, 2.0), (x,))[1] + \\
        return ad.jvp(g)((x,), (x,))[1] + \\        g_jvp((x, s), (x,))[1]
            ad.jvp(g)((x,), (x,), scale=s)[1]

A default is the very object g holds (a constant written as one, any other
value read from a name of its own in `parsed.bound`), as Python passes it.

The primals must be written as a tuple display (`(x,)`, not a variable
holding the tuple) unless g has plain parameters alone and the call passes
no keyword, where the tuple is passed as it is. Python evaluates the
keyword values after the tangents; moving them into the tuple keeps that
order, or the keyword values are names and constants (reading one has no
effect), else the call is refused. A call that does not fit g's parameters
is refused when compiling, as the API refuses it when it runs.

Runs at the end of resolve.py: the calls' functions are annotated by then.
"""

from __future__ import annotations

import cmath
import inspect
import types

import gast

from .. import nodes
from ..errors import CallConventionError, UnsupportedSyntaxError
from ..source import ParsedFunction
from .evaluation_order import plain

# Set by api.py on the generated function a jvp, vjp or hvp wrapper calls:
# (the user's function whose signature binds the primals, "jvp", "vjp" or "hvp").
PRIMALS_OF = "__adcompiler_primals_of__"
# Set by api.py on its wrapper of a derivative of `f(x, **options)`: (f, the
# generated derivative, which takes the options as one dict, its builder's name).
ARGUMENTS_OF = "__adcompiler_arguments_of__"

# Constants written into the call as they are; any other default is read
# from a name bound to the object itself.
_LITERALS = (bool, int, float, complex, str, type(None))


def primals_of(value):
    """(the user's function whose signature binds the primals `value`
    unpacks, the builder's name) when `value` is the generated function
    behind a jvp, vjp or hvp; else None."""
    return _marked(value, PRIMALS_OF)


def bind_calls(parsed: ParsedFunction, calls: list) -> None:
    """Rewrite each of `calls` whose function is a generated jvp, vjp or hvp,
    or the API's wrapper of a gradient taking **options (see the module
    docstring)."""
    for call in calls:
        value = nodes.annotation(call.func, "value", None)
        if primals_of(value) is not None:
            _bind_primals(parsed, call, *primals_of(value))
        elif arguments_of(value) is not None:
            _bind_flat(parsed, call, *arguments_of(value))


def arguments_of(value):
    """(the user's function, its generated derivative, the builder's name) when `value` is the
    API's wrapper that binds its arguments to the function's signature and
    calls the derivative with one value per parameter; else None."""
    return _marked(value, ARGUMENTS_OF)


def _marked(value, mark: str):
    """What api.py set as `mark` on the plain function `value`, else None."""
    if not isinstance(value, types.FunctionType):
        return None
    return value.__dict__.get(mark)


class _Slot:
    """A stand-in for one argument node while Python's binding places it."""

    def __init__(self, node):
        self.node = node


def _bind_primals(parsed: ParsedFunction, call: gast.Call, function, builder: str) -> None:
    name = getattr(function, "__qualname__", repr(function))
    parameters = inspect.signature(function).parameters.values()
    second = "seed" if builder == "vjp" else "tangents"
    form = f"ad.{builder}({name})((a, b), {second}, keyword=value)"
    if len(call.args) != 2 or any(isinstance(a, gast.Starred) for a in call.args) or \
            any(k.arg is None for k in call.keywords):
        raise CallConventionError(
            f"this derivative of {name} is called with {len(call.args)} positional "
            "argument(s), *args or **options: it takes (primals, tangents) or (primals, "
            "seed), a tuple of the function's arguments and what goes with them, and the "
            "function's other parameters by name", parsed.location(call),
            help=f"Call it as {form}.")
    primals, keywords = call.args[0], call.keywords
    if not isinstance(primals, (gast.Tuple, gast.List)) or \
            any(isinstance(e, gast.Starred) for e in primals.elts):
        simple = not keywords and all(
            p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in parameters)
        if simple:
            return  # one value per parameter, as the generated code unpacks them
        raise UnsupportedSyntaxError(
            f"the arguments of {name}, which has parameters with defaults, keyword-only "
            "parameters, *args or **options, passed to its derivative other than as a tuple "
            "display are not supported: which value goes to which parameter is known only "
            "when the code runs", parsed.location(primals),
            help=f"Instead: write the arguments out as a tuple, {form}.")
    primals.elts = _in_order(parsed, call, function, primals.elts, [call.args[1]], form)
    call.keywords = []


def _bind_flat(parsed: ParsedFunction, call: gast.Call, function, derivative,
               builder: str) -> None:
    """`grad(f)(x, scale=s)` of `def f(x, **options)`: the generated gradient,
    which takes the options as one dict, called with a value per parameter."""
    name = getattr(function, "__qualname__", repr(function))
    form = f"ad.{builder}({name})(a, b, keyword=value)"
    if any(isinstance(a, gast.Starred) for a in call.args) or \
            any(k.arg is None for k in call.keywords):
        raise UnsupportedSyntaxError(
            f"this derivative of {name}, which takes keyword-only parameters or **options, "
            "called with *args or **options is not supported: which value goes to which "
            "parameter is known only when the code runs", parsed.location(call),
            help=f"Instead: write the arguments out, {form}.")
    call.args = _in_order(parsed, call, function, call.args, [], form)
    call.keywords = []
    call.func = nodes.copy_location(parsed.reference(derivative), call.func)


def _in_order(parsed: ParsedFunction, call: gast.Call, function, positional: list,
              evaluated_between: list, form: str) -> list:
    """A node per parameter of `function` (the values of *args last), for
    `positional` and the call's keywords bound to its signature as Python
    binds them, defaults filled in. `evaluated_between`: the nodes Python
    evaluates after `positional` and before the keywords."""
    name = getattr(function, "__qualname__", repr(function))
    signature = inspect.signature(function)
    keywords = call.keywords
    try:
        bound = signature.bind(*[_Slot(e) for e in positional],
                               **{k.arg: _Slot(k.value) for k in keywords})
    except TypeError as err:
        raise CallConventionError(
            f"the arguments passed to this derivative of {name} do not fit its parameters "
            f"({', '.join(map(str, signature.parameters.values()))}): {err}",
            parsed.location(call),
            help=f"Pass the arguments as you would to {name}: {form}.") from None
    bound.apply_defaults()
    values, star = [], []
    for parameter in signature.parameters.values():
        value = bound.arguments[parameter.name]
        if parameter.kind is parameter.VAR_POSITIONAL:
            star = [_node(parsed, v, function, parameter.name) for v in value]
        elif parameter.kind is parameter.VAR_KEYWORD:
            values.append(nodes.located(gast.Dict(
                keys=[nodes.const(k) for k in value],
                values=[_node(parsed, v, function, parameter.name) for v in value.values()]),
                call))
        else:
            values.append(_node(parsed, value, function, parameter.name))
    in_order = values + star
    given = [*positional, *evaluated_between, *(k.value for k in keywords)]
    mentioned = {id(n) for n in given}
    placed = [n for value in in_order for n in nodes.walk(value) if id(n) in mentioned]
    python_order = [n for n in given if not plain(n)]
    new_order = [n for n in [*placed, *evaluated_between] if not plain(n)]
    if [id(n) for n in python_order] != [id(n) for n in new_order]:
        raise UnsupportedSyntaxError(
            f"the keyword arguments of this derivative of {name} are computed by expressions "
            "that binding them to its parameters would compute in another order than Python "
            "does (before the arguments after them, or the tangents): not supported",
            parsed.location(call),
            help="Instead: compute each keyword's value into a variable first, and pass the "
            "variable (scale=s, not scale=np.cos(x)).")
    return in_order


def _node(parsed: ParsedFunction, value, function, parameter: str):
    """The argument node `value` stands for: the call's own, or a default of
    `function`, the object itself."""
    if isinstance(value, _Slot):
        return value.node
    if type(value) in _LITERALS and (not isinstance(value, (float, complex)) or
                                     cmath.isfinite(value)):
        return nodes.const(value)
    return parsed.reference(value, f"{getattr(function, '__name__', 'function')}_{parameter}")
