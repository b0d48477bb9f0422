"""Forward-mode back end: assemble tangent code into jvp functions and compile them.

    def f_jvp(x, w, dx, dw):        the public form: arguments, then one tangent
        y = x * w                   per differentiated argument; returns
        dy = dx * w + x * dw        (f(x, w), J·(dx, dw))
        return y, dy

Calls from differentiated code to the user's own functions use the callee
form, with the tangents *first* so the call keeps its own keywords and
defaults: `helper_jvp(dx, x, w=2.0)`.
"""

from __future__ import annotations

import types

import gast

from . import nodes
from .derivatives import GeneratedDerivative, _dispatch, _finish, _header, _Variant, \
    argument_defaults, elementwise_variants, trailing_arguments
from .errors import AdError, InternalCompilerError
from .passes.forward_mode import forward
from .pipeline import front_end


def _variant(function, wrt: tuple, tangents_first: bool, numbers: bool,
             name_suffix: str = "jvp", arity: int | None = None) -> _Variant:
    front = front_end(function, wrt, arity)
    ctx, tree, activity = front.ctx, front.normalised, front.activity
    ctx.numbers = numbers
    parsed = ctx.parsed
    params = [a.id for a in tree.args.args]
    vararg = tree.args.vararg.id if tree.args.vararg else None
    tangents = [ctx.namer.tangent(params[i]) for i in wrt]
    returned = tree.body[-1].value
    zero_at_start = activity.active - {params[i] for i in wrt}
    body, zero_at_end = forward(tree, ctx, activity, zero_at_start)
    if isinstance(returned, gast.Name) and activity.is_active(returned) and \
            returned.id not in zero_at_end:
        result_tangent = nodes.name(ctx.namer.tangent(returned.id))
    elif numbers:
        result_tangent = nodes.const(0.0)
    else:
        result_tangent = nodes.call(nodes.name(ctx.helper("zeros_like")), [nodes.clone(returned)])
    body = [nodes.comment("Each active statement is followed by its tangent.")] + body
    body.append(nodes.return_(nodes.tuple_([nodes.clone(returned), result_tangent])))
    signature = tangents + params if tangents_first else params + tangents
    name = ctx.namer.fresh(f"{parsed.name}_{name_suffix}")
    star = vararg
    if vararg and not tangents_first:
        star, unpack = trailing_arguments(ctx.namer, vararg, tangents, "tangents", name)
        signature, body = params, unpack + body
    definition = nodes.function_def(name, signature, body, vararg=star)
    what = "Jacobian-vector product (forward mode)"
    if numbers:
        what += ", variant for Python numbers"
    header = _header(parsed, what, [params[i] for i in wrt])
    argdefs = argument_defaults(parsed, arity) if tangents_first else None
    return _Variant(ctx, definition, header, f"{what} of {parsed.qualname}", argdefs, "jvp",
                    wrt, elementwise_variants(tree))


def build_jvp(function, wrt: tuple) -> GeneratedDerivative:
    """The public jvp of `function`: `(*args, *tangents) -> (value, tangent)`."""
    general = _variant(function, wrt, tangents_first=False, numbers=False)
    if not general.elementwise:
        return general.finish(None)
    numbers = _variant(function, wrt, tangents_first=False, numbers=True)
    return _dispatch(function, "jvp", wrt, general, numbers)


_callee_cache: dict = {}


def clear_cache() -> None:
    _callee_cache.clear()


def callee_jvp(function, wrt: tuple, call_location, numbers: bool = False,
               arity: int | None = None) -> types.CellType:
    """The tangents-first jvp of a user function called from differentiated
    code, compiled once per (function, wrt, arity of its *args, numbers); the
    cell exists before the body is compiled so recursion works. Called from a
    variant for Python numbers, an elementwise callee gets that variant too."""
    numbers = numbers or getattr(function, "__adcompiler_numbers_only__", False)
    key = (function, wrt, arity, numbers)
    if key in _callee_cache:
        return _callee_cache[key][0]
    cell = types.CellType()
    _callee_cache[key] = (cell, [])
    try:
        variant = _variant(function, wrt, tangents_first=True, numbers=numbers, arity=arity)
        if numbers and not variant.elementwise:
            variant = _variant(function, wrt, tangents_first=True, numbers=False, arity=arity)
        compiled, shown = _finish(variant.ctx, variant.definition, variant.header,
                                  variant.label, variant.argdefs)
    except AdError:
        del _callee_cache[key]
        raise
    except Exception as err:
        del _callee_cache[key]
        raise InternalCompilerError(
            f"compiling the forward derivative of {function.__qualname__} failed: {err!r}",
            call_location) from err
    cell.cell_contents = compiled
    _callee_cache[key] = (cell, [shown])
    return cell


def callee_sources(function, wrt, arity=None) -> list:
    return [source for key, (_, sources) in _callee_cache.items()
            if key[:3] == (function, wrt, arity) for source in sources]
