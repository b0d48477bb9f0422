"""Forward-mode back end: assemble tangent code into jvp functions and compile them.

    def f_jvp(primals, tangents):   the public form: a tuple of the arguments and
        x, w = primals              a tuple of one tangent per differentiated
        dx, dw = tangents           argument; returns (f(x, w), J·(dx, dw))
        y = x * w
        dy = dx * w + x * dw
        return y, dy

Calls from differentiated code to the user's own functions use the callee
form, with the tangents *first* so the call keeps its own keywords and
defaults: `helper_jvp(dx, x, w=2.0)`.

The tangent-only form returns J·(dx, dw) alone, without what only the value
needs (passes/dead_code.py): `hvp` takes the tangent of the gradient, never
the gradient itself. It is internal (api.py and compose.py call it), and takes
its arguments flat: `f_grad_tangent(x, w, dx, dw)`.
"""

from __future__ import annotations

import types

import gast

from . import nodes, store
from .generated import GeneratedDerivative, Variant, argument_defaults, dispatch, \
    elementwise_variants, finish_definition, derivative_header, function_label, packed_arguments, \
    trailing_arguments
from .errors import AdError, InternalCompilerError
from .passes.dead_code import remove_dead_code
from .passes.forward_mode import forward
from .pipeline import FrontEnd, front_end
from .context import COMPILE_LOCK, Dependencies, recording


def _variant(function, wrt: tuple, tangents_first: bool, numbers: bool,
             arity: int | None = None, tangent_only: bool = False,
             front: FrontEnd | None = None) -> Variant:
    if front is None:
        # The public jvp's function is the user's own; a callee's (tangents
        # first) may mean to change its caller's lists.
        front = front_end(function, wrt, arity, entry=not tangents_first)
    ctx, tree, activity = front.ctx, front.normalised, front.activity
    ctx.numbers = numbers
    ctx.callee_compiler = JVP_CALLEES
    parsed = ctx.parsed
    params = [a.id for a in tree.args.args]
    vararg = tree.args.vararg.id if tree.args.vararg else None
    tangents = [ctx.namer.tangent(params[i]) for i in wrt]
    returned = tree.body[-1].value
    zero_at_start = activity.active - {params[i] for i in wrt}
    body, zero_at_end = forward(tree, ctx, activity, zero_at_start)
    # Asked once: it reads every node of the tree, which nothing below changes.
    elementwise = elementwise_variants(tree)
    if isinstance(returned, gast.Name) and activity.is_active(returned) and \
            returned.id not in zero_at_end:
        result_tangent = nodes.name(ctx.namer.tangent(returned.id))
    elif numbers and elementwise:
        # (A variant for numbers that is not elementwise, a generated gradient,
        # may return a tuple: its zero is zeros_like's.)
        result_tangent = nodes.const(0.0)
    else:
        result_tangent = nodes.call(nodes.name(ctx.helper("zeros_like")), [nodes.clone(returned)])
    body = [nodes.comment("Each active statement is followed by its tangent.")] + body
    if not tangents_first:
        # The public forms refuse complex values, as reverse mode's seeds and
        # as_gradient do; callees receive only what these checks let through.
        body = _real_values(ctx, "an input (argument or tangent)",
                            [params[i] for i in wrt] + tangents) + body
        checked = [result_tangent] if tangent_only else [returned, result_tangent]
        body += _real_values(ctx, "the output",
                             [atom.id for atom in checked if isinstance(atom, gast.Name)])
    if tangent_only:
        body.append(nodes.return_(result_tangent))
        body = remove_dead_code(nodes.function_def("_", [], body), ctx.aliases,
                                lambda name: _tangent_only_callee(ctx, name)).body
        wanted = set(ctx.jvp_callees.values())
        called: set = set()
        if wanted:
            _functions_called(body, called, wanted)
        for key, jvp_name in list(ctx.jvp_callees.items()):
            if jvp_name not in called:
                del ctx.jvp_callees[key]  # every call of it went to its tangent-only form
    else:
        if not tangents_first:
            # The public jvp's tangent has the result's structure (a NamedTuple's
            # or dataclass's of its class), as reverse mode's gradient has the
            # argument's (as_gradient); inside, one entry per field.
            result_tangent = nodes.call(nodes.name(ctx.helper("structured_like")),
                                        [result_tangent, nodes.clone(returned)])
        body.append(nodes.return_(nodes.tuple_([nodes.clone(returned), result_tangent])))
    signature = tangents + params if tangents_first else params + tangents
    name = ctx.namer.fresh(f"{parsed.name}_{'tangent' if tangent_only else 'jvp'}")
    star = vararg
    packed = None
    if not tangents_first and not tangent_only:
        # The public jvp takes `(primals, tangents)`, as api.jvp documents.
        primals, packed_tangents, unpack = packed_arguments(ctx.namer, params, vararg,
                                                            tangents)
        signature, star, body, packed = [primals, packed_tangents], None, unpack + body, \
            len(params)
    elif vararg and not tangents_first:
        star, unpack = trailing_arguments(ctx.namer, vararg, tangents, "tangents", name)
        signature, body = params, unpack + body
    definition = nodes.function_def(name, signature, body, vararg=star)
    what = "Jacobian-vector product (forward mode)"
    if tangent_only:
        what += ", the tangent alone"
    if numbers:
        what += ", variant for Python numbers"
    header = derivative_header(parsed, what, [params[i] for i in wrt])
    argdefs = argument_defaults(parsed, arity) if tangents_first else None
    return Variant(ctx, definition, header, f"{what} of {parsed.qualname}", argdefs, "jvp",
                    wrt, elementwise, packed)


def _functions_called(stmts: list, called: set, wanted: set) -> bool:
    """Add to `called` the names of `wanted` (jvps) that the statements
    `stmts` call; True once it holds them all, where the look stops (issue
    #13: the jvps a Hessian's tangent code calls are all called long before
    its end). Forward mode writes a callee's jvp only as the function of the
    call statement (forward_mode.user_call, dead_code's narrowing), so these
    are the jvps still called; looking at statements only (a walk of every
    name took a twentieth of a Hessian's forward transformation). The only
    blocks forward mode writes are those of if, while and for."""
    for stmt in stmts:
        kind = stmt.__class__
        if kind is gast.Assign or kind is gast.Expr:
            value = stmt.value
            if value.__class__ is gast.Call and value.func.__class__ is gast.Name:
                name = value.func.id
                if name in wanted and name not in called:
                    called.add(name)
                    if len(called) == len(wanted):
                        return True
        elif kind is gast.If:
            if _functions_called(stmt.body, called, wanted) or \
                    _functions_called(stmt.orelse, called, wanted):
                return True
        elif kind is gast.For or kind is gast.While:
            if _functions_called(stmt.body, called, wanted):
                return True
    return False


def _real_values(ctx, what: str, names: list) -> list:
    """`real_values(what, where, *names)`: a ComplexValueError for any complex one."""
    if not names:
        return []
    where = function_label(ctx.parsed)
    check = nodes.call(nodes.name(ctx.helper("real_values")),
                       [nodes.const(what), nodes.const(where)] + [nodes.name(n) for n in names])
    return [gast.Expr(value=check)]


def build_jvp(function, wrt: tuple, tangent_only: bool = False) -> GeneratedDerivative:
    """The public jvp of `function`: `(primals, tangents) -> (value, tangent)`;
    or, `tangent_only`, the internal `(*args, *tangents) -> tangent`."""
    front = front_end(function, wrt, entry=True)
    # Both variants come from one front end, most of the compilation's time.
    numbers_front = front.fork() if elementwise_variants(front.normalised) else None
    general = _variant(function, wrt, tangents_first=False, numbers=False,
                       tangent_only=tangent_only, front=front)
    if not general.elementwise:
        return general.finish(None)
    numbers = _variant(function, wrt, tangents_first=False, numbers=True,
                       tangent_only=tangent_only, front=numbers_front)
    return dispatch(function, "jvp", wrt, general, numbers)


# store.table(function, _CALLEES): {(wrt, arity, numbers, tangent_only):
# (cell, sources, Dependencies)}, on the function itself so that dropping it
# frees its derivatives (store.py).
_CALLEES = "callee jvp"


def _callee_cache(function) -> dict:
    return store.table(function, _CALLEES)


def clear_cache() -> None:
    with COMPILE_LOCK:
        store.clear(_CALLEES)


def callee_dependencies(cell: types.CellType, function):
    """What the callee jvp of `function` in `cell` was compiled from (see
    context.Dependencies)."""
    with COMPILE_LOCK:
        for entry in store.existing(function, _CALLEES).values():
            if entry[0] is cell:
                return entry[2]
    return None


def callee_jvp(function, wrt: tuple, call_location, numbers: bool = False,
               arity: int | None = None, tangent_only: bool = False) -> types.CellType:
    """The tangents-first jvp of a user function called from differentiated
    code, compiled once per (function, wrt, arity of its *args, numbers,
    tangent_only) and again when what it was compiled from changed (a helper
    redefined); the cell exists before the body is compiled so recursion
    works. Called from a variant for Python numbers, an elementwise callee gets
    that variant too."""
    # A generated variant for Python numbers is called with numbers only (its
    # dispatcher checks every argument), so its values are numbers, the stack
    # and its callees' tuples of numbers: its jvp needs no broadcasting either,
    # although the tuples keep it from being an elementwise program.
    numbers_only = getattr(function, "__adcompiler_numbers_only__", False)
    numbers = numbers or numbers_only
    key = (wrt, arity, numbers, tangent_only)
    with COMPILE_LOCK:
        table = _callee_cache(function)
        cached = table.get(key)
        if cached is not None and cached[2].current():
            return cached[0]
        cell, dependencies = types.CellType(), Dependencies()
        entry = table[key] = (cell, [], dependencies)
        try:
            with recording(dependencies):
                front = front_end(function, wrt, arity)
                if numbers and not numbers_only and not elementwise_variants(front.normalised):
                    numbers = False  # (a variant for numbers is for elementwise programs)
                variant = _variant(function, wrt, tangents_first=True, numbers=numbers,
                                   arity=arity, tangent_only=tangent_only, front=front)
                if numbers and not variant.elementwise and not numbers_only:
                    variant = _variant(function, wrt, tangents_first=True, numbers=False,
                                       arity=arity, tangent_only=tangent_only)
                compiled, shown = finish_definition(variant.ctx, variant.definition, variant.header,
                                          variant.label, variant.argdefs)
        except AdError:
            if table.get(key) is entry:
                del table[key]
            raise
        except Exception as err:
            if table.get(key) is entry:
                del table[key]
            raise InternalCompilerError(
                f"compiling the forward derivative of {function.__qualname__} failed: {err!r}",
                call_location) from err
        cell.cell_contents = compiled
        entry[1].append(shown)
        return cell


def callee_sources(function, wrt, arity=None, tangent_only=False) -> list:
    return [source for key, (_, sources, _) in store.existing(function, _CALLEES).items()
            if key[:2] == (wrt, arity) and key[3] == tangent_only
            for source in sources]


def _tangent_only_callee(ctx, name: str) -> str | None:
    """The name of the tangent-only jvp of the callee whose jvp `name` is."""
    for (function, wrt, arity, tangent_only), jvp_name in list(ctx.jvp_callees.items()):
        if jvp_name == name and not tangent_only:
            return ctx.callee_jvp(function, wrt, ctx.parsed.location(ctx.parsed.tree), arity,
                                  tangent_only=True)
    return None


class _JvpCallees:
    """The callee compiler forward mode hands its Context: the functions a jvp
    calls are compiled to tangents-first jvps."""

    @staticmethod
    def jvp(function, wrt: tuple, location, numbers: bool, arity, tangent_only: bool):
        return callee_jvp(function, wrt, location, numbers, arity, tangent_only)

    @staticmethod
    def dependencies(cell, function):
        return callee_dependencies(cell, function)

    @staticmethod
    def sources(ctx) -> list:
        """The sources of the jvps the compilation `ctx` calls."""
        return [source for key in ctx.jvp_callees for source in callee_sources(*key)]


JVP_CALLEES = _JvpCallees()
