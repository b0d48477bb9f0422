"""Reverse-mode back end: assemble the sweeps into functions and compile them.

Four shapes of generated function come out of one `ReverseCode`:

    grad            def f_grad(x):        primal; dy = scalar_seed(y); adjoint; return dx
    value_and_grad  def f_value_and_grad(x): ... return value, dx
    vjp             def f_vjp(primals, seed): x, = primals; primal; dy = checked_seed(seed, y); ...
    split           def f_primal(_stack, x): primal; push state; return y
                    def f_adjoint(_stack, dy): pop state; adjoint; return dx
                    (for user functions called from differentiated code; the
                    caller's stack carries their state, so recursion works)
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field

import gast

from . import nodes, store
from .context import COMPILE_LOCK, Dependencies, recording
from .errors import AdError, InternalCompilerError, UnsupportedSyntaxError
from .generated import GeneratedDerivative, Variant, argument_defaults, dispatch, \
    elementwise_variants, finish_definition, derivative_header, packed_arguments, function_label
from .passes.aliasing import STACK_FIRST
from .passes.reverse_mode import list_mirror, lists_changed_in_place, reverse
from .passes.kinds import is_elementwise_program
from .pipeline import FrontEnd, front_end
from .source import parameter_defaults

KINDS = ("grad", "value_and_grad", "vjp")


def build(function, kind: str, wrt: tuple, as_tuple: bool = False,
          memory: int | None = None) -> GeneratedDerivative:
    """Compile the `kind` derivative of `function` with respect to positions `wrt`;
    the gradients come back as a tuple when `as_tuple` (the user gave a tuple).
    With `memory` (bytes), its loops are checkpointed within that budget.

    An elementwise program (see passes/kinds.py) gets two variants behind a
    dispatcher: one for Python numbers, free of broadcasting, and the general one.
    """
    front = front_end(function, wrt, entry=True)
    # Both variants come from one front end, most of the compilation's time.
    numbers_front = front.fork() if elementwise_variants(front.normalised) else None
    general = _build_variant(front, kind, wrt, as_tuple, numbers=False, memory=memory)
    if not general.elementwise:
        return general.finish(None)
    numbers = _build_variant(numbers_front or front_end(function, wrt, entry=True), kind, wrt,
                             as_tuple, numbers=True, memory=memory)
    return dispatch(function, kind, wrt, general, numbers)


def _build_variant(front: FrontEnd, kind: str, wrt: tuple, as_tuple: bool, numbers: bool,
                   memory: int | None = None) -> Variant:
    ctx, tree, activity = front.ctx, front.normalised, front.activity
    ctx.numbers = numbers
    ctx.callee_compiler = SPLIT_CALLEES
    parsed = ctx.parsed
    params = [a.id for a in tree.args.args]
    vararg = tree.args.vararg.id if tree.args.vararg else None
    returned = tree.body[-1].value
    returned_active = activity.is_active(returned)
    stack = ctx.namer.fresh("_stack")
    seed = None
    if kind == "vjp":
        primals, seed, unpack = packed_arguments(ctx.namer, params, vararg)
    value = ctx.namer.fresh("value") if kind == "value_and_grad" else None
    active = activity.active
    # (A list built and handed over gets its adjoint at its handover.)
    lists = (activity.lists & active) - activity.handovers
    rev = reverse(tree, ctx, activity, stack, {params[i] for i in wrt}, memory)

    # A list that only some paths create still gets an adjoint (of nothing);
    # a value that only some paths bind and the adjoint sweep reads (to shape a
    # zero where branches merge: zeros_like(None) is 0.0) is bound on every path.
    prebind = sorted(set(rev.prebind) | (lists - rev.defined_at_end) |
                     (rev.read_by_adjoint - rev.defined_at_end))
    name = ctx.namer.fresh(f"{parsed.name}_{kind}")
    signature, star, body = params, vararg, []
    if seed:
        signature, star, body = [primals, seed], None, unpack
    body += [nodes.assign(v, nodes.const(None)) for v in prebind]
    if rev.uses_stack:
        body.append(nodes.assign(stack, gast.List(elts=[], ctx=gast.Load())))
    body.append(nodes.comment("Primal sweep: the original computation, recording what the "
                              "adjoint sweep needs." if rev.uses_stack else
                              "Primal sweep: the original computation."))
    body += rev.primal
    if value:
        body.append(nodes.assign(value, nodes.clone(returned)))
    where = nodes.const(function_label(parsed))
    if kind == "vjp":
        seed_value = nodes.call(nodes.name(ctx.helper("checked_seed")),
                                [nodes.name(seed), nodes.clone(returned), where])
    else:
        seed_value = nodes.call(nodes.name(ctx.helper("scalar_seed")),
                                [nodes.clone(returned), where])
    if returned_active:
        body.append(nodes.comment("Seed: the derivative of the result with respect to itself."))
        body.append(nodes.assign(ctx.namer.adjoint(returned.id), seed_value))
        body += [list_mirror(ctx, v, seeded=v == returned.id) for v in sorted(lists)]
        body.append(nodes.comment("Adjoint sweep: the primal statements in reverse order."))
    else:
        body.append(nodes.expr_stmt(seed_value))
    # Even with nothing to differentiate, the sweep restores the values the primal
    # sweep saved (a parameter overwritten in the body, say).
    body += rev.adjoint
    gradients = [_gradient_value(ctx, rev, active, params[i]) for i in wrt]
    result = nodes.tuple_(gradients) if as_tuple else gradients[0]
    if value:
        result = nodes.tuple_([nodes.name(value), result])
    body.append(nodes.return_(result))
    definition = nodes.function_def(name, signature, body, vararg=star)
    what = {"grad": "gradient", "value_and_grad": "value and gradient",
            "vjp": "vector-Jacobian product"}[kind]
    if numbers:
        what += " (variant for Python numbers)"
    header = derivative_header(parsed, what, [params[i] for i in wrt])
    argdefs = parameter_defaults(parsed.function) if kind != "vjp" else None
    return Variant(ctx, definition, header, f"{what} of {parsed.qualname}", argdefs, kind,
                    wrt, elementwise_variants(tree), len(params) if seed else None)


def _adjoint_or_zeros(ctx, rev, active, param):
    """The parameter's adjoint, or zeros of its shape where it has none."""
    if param in active and param not in rev.zero_at_start:
        return nodes.name(ctx.namer.adjoint(param))
    return nodes.call(nodes.name(ctx.helper("zeros_like")), [nodes.name(param)])


def _gradient_value(ctx, rev, active, param):
    return nodes.call(nodes.name(ctx.helper("as_gradient")),
                      [_adjoint_or_zeros(ctx, rev, active, param), nodes.name(param)])


# -- split derivatives of user functions called from differentiated code ------

@dataclass
class SplitDerivative:
    primal_cell: types.CellType
    adjoint_cell: types.CellType
    sources: list = field(default_factory=list)
    callees: list = field(default_factory=list)
    # Positions of the parameters the function appends to or pops from: their
    # adjoint lists are passed in by the caller, and not returned.
    list_params: set = field(default_factory=set)
    # What it was compiled from; the cache serves it only while that holds.
    dependencies: Dependencies = field(default_factory=Dependencies)


# store.table(function, _SPLITS): {(wrt, arity, numbers): SplitDerivative}, on
# the function itself so that dropping it frees its derivatives (store.py).
_SPLITS = "split"


def _split_cache(function) -> dict:
    return store.table(function, _SPLITS)


def clear_cache() -> None:
    with COMPILE_LOCK:
        store.clear(_SPLITS)


def _callee_sources(key, seen=None) -> list:
    # `seen` holds the callees already walked: mutually recursive helpers
    # (even calls odd, odd calls even) call each other in a cycle.
    seen = set() if seen is None else seen
    if key in seen:
        return []
    seen.add(key)
    function, rest = key[0], key[1:]
    cached = store.existing(function, _SPLITS)
    split = cached.get(rest + (False,)) or cached.get(rest + (True,))
    if split is None:
        return []
    out = list(split.sources)
    for inner in split.callees:
        out += [s for s in _callee_sources(inner, seen) if s not in out]
    return out


def split_derivative(function, wrt: tuple, call_location, numbers: bool = False,
                     arity: int | None = None) -> SplitDerivative:
    """The primal/adjoint pair of a user function, compiled once per (function,
    wrt, arity, numbers): called from a variant for Python numbers, an
    elementwise callee gets that variant too; `arity` values passed to its
    *args are parameters of their own (passes/specialise_varargs.py).

    The cells are created before the body is compiled, so a recursive function's
    derivative can call itself.
    """
    key = (wrt, arity, numbers)
    with COMPILE_LOCK:
        table = _split_cache(function)
        cached = table.get(key)
        # An entry being compiled (recursion) is current: it is compiled from now.
        if cached is not None and cached.dependencies.current():
            return cached
        split = SplitDerivative(types.CellType(), types.CellType())
        table[key] = split
        try:
            with recording(split.dependencies):
                _build_split(function, wrt, split, numbers, arity)
        except AdError:
            _forget(table, key, split)
            raise
        except Exception as err:
            _forget(table, key, split)
            raise InternalCompilerError(
                f"compiling the derivative of {function.__qualname__} failed: {err!r}",
                call_location) from err
        return split


def _forget(table: dict, key, split) -> None:
    """Drop a failed compilation, and the entry `_build_split` may have filed
    under the other `numbers` key."""
    for other in (key, key[:2] + (not key[2],)):
        if table.get(other) is split:
            del table[other]


def _build_split(function, wrt: tuple, split: SplitDerivative, numbers: bool,
                 arity: int | None) -> None:
    front = front_end(function, wrt, arity)
    ctx, tree, activity = front.ctx, front.normalised, front.activity
    ctx.numbers = numbers and is_elementwise_program(tree)
    ctx.callee_compiler = SPLIT_CALLEES
    parsed = ctx.parsed
    params = [a.id for a in tree.args.args]
    vararg = tree.args.vararg.id if tree.args.vararg else None
    returned = tree.body[-1].value
    returned_active = activity.is_active(returned)
    stack = ctx.namer.fresh("_stack")
    base = parsed.name
    primal_name = ctx.namer.fresh(f"{base}_primal")
    adjoint_name = ctx.namer.fresh(f"{base}_adjoint")
    # A recursive call inside the body refers to these very functions.
    ctx.callees[(function, wrt, arity)] = (primal_name, adjoint_name)
    _split_cache(function)[(wrt, arity, ctx.numbers)] = split
    ctx.cells[primal_name], ctx.cells[adjoint_name] = split.primal_cell, split.adjoint_cell
    active = activity.active
    lists = activity.lists & active
    # Lists the function fills or empties (a caller's stack) have adjoint lists
    # the caller passes in; the adjoint of a list it replaces first is returned.
    changed_in_place = lists_changed_in_place(tree, [params[i] for i in wrt], lists)
    split.list_params = {i for i in wrt if params[i] in changed_in_place}
    if isinstance(returned, gast.Name) and returned.id in changed_in_place:
        # The caller's list would have two adjoints, the one it passes for the
        # argument and the seed of the result, which the adjoint does not join.
        raise UnsupportedSyntaxError(
            f"{parsed.name} changes the list {returned.id!r} it is given in place and "
            f"also returns it, and adcompiler does not differentiate such a helper in "
            f"reverse mode", parsed.location(tree.body[-1]),
            help=f"Instead: return nothing and go on using the caller's list (the helper "
            f"changes it), or return a new list (new = list({returned.id}); new.append(...); "
            f"return new).")
    # A list parameter the caller passes no adjoint for (not in wrt: its default,
    # `store=[]`, or a list of constants) gets a local one, as a list made here.
    wrt_params = {params[i] for i in wrt}
    # Local lists' adjoints start as zeros shaped like the lists' final contents.
    # The adjoint reads the parameters to shape their gradients; a list changed
    # in place has none (the caller's adjoint list takes what flows back).
    rev = reverse(tree, ctx, activity, stack,
                  (wrt_params | (lists - wrt_params)) - changed_in_place)
    # A parameter is a final read only to shape a zero gradient: one whose
    # adjoint the sweep computes, and which the sweep does not read, is not
    # state (RK4's `k` in `-k * y + sin(y)`: one push and pop fewer per call).
    unread = {params[i] for i in wrt} - lists - nodes.names_loaded(
        nodes.function_def("_", [], rev.adjoint)) if returned_active else set()
    state = sorted(rev.read_by_adjoint - {p for p in unread if p in active and
                                          p not in rev.zero_at_start})
    seed = ctx.namer.adjoint(returned.id) if isinstance(returned, gast.Name) \
        else ctx.namer.fresh("dresult")
    # State that only some paths bind is pre-bound, so pushing it never fails.
    prebind = sorted(set(rev.prebind) | (set(state) - rev.defined_at_end))
    primal_body = [nodes.assign(v, nodes.const(None)) for v in prebind] + rev.primal
    adjoint_body = []
    if state:
        # Pushed one by one (no tuples), so that this code is itself differentiable.
        primal_body.append(nodes.comment("State the adjoint needs, for the caller's stack."))
        for v in state:
            pushed = nodes.name(v)
            if v in lists and isinstance(returned, gast.Name) and v == returned.id:
                # The caller may append to the list returned before the
                # adjoint reads it back: a copy keeps its length at return
                # (a full slice, which has a derivative to differentiate again).
                pushed = gast.Subscript(value=pushed, slice=gast.Slice(
                    lower=None, upper=None, step=None), ctx=gast.Load())
            primal_body.append(nodes.expr_stmt(nodes.call(
                nodes.attribute(nodes.name(stack), "append"), [pushed])))
        for v in reversed(state):
            adjoint_body.append(nodes.assign(v, nodes.call(
                nodes.attribute(nodes.name(stack), "pop"))))
    primal_body.append(nodes.return_(nodes.clone(returned)))
    # Lists the function fills (a caller's stack) have adjoint lists the caller passes in.
    list_params = [params[i] for i in wrt if params[i] in changed_in_place]
    local_lists = sorted(lists - changed_in_place - activity.handovers)
    returned_list = isinstance(returned, gast.Name) and returned_active
    adjoint_body += [list_mirror(ctx, v, seeded=returned_list and v == returned.id)
                     for v in local_lists]
    # Always run: it also pops what the primal pushed onto the caller's stack.
    adjoint_body += rev.adjoint
    gradients = []
    for index in wrt:
        param = params[index]
        if param in list_params:
            continue
        # What the function pushes on a caller's list is an output too: with
        # one, a parameter's adjoint counts even when the value returned has none.
        outputs_active = returned_active or bool(list_params)
        gradients.append(_adjoint_or_zeros(ctx, rev, active if outputs_active else set(),
                                           param))
    if gradients:
        adjoint_body.append(nodes.return_(gradients[0] if len(gradients) == 1
                                          else nodes.tuple_(gradients)))
    else:
        # Called for its pushes on the caller's adjoint lists; a value returned,
        # so that this code is valid compiler input again (`return <value>`).
        adjoint_body.append(nodes.return_(nodes.const(None)))
    primal_def = nodes.function_def(primal_name, [stack] + params, primal_body, vararg=vararg)
    adjoint_def = nodes.function_def(adjoint_name, [stack, seed] + [
        ctx.namer.adjoint(p) for p in list_params], adjoint_body or [gast.Pass()])
    wrt_names = [params[i] for i in wrt]
    primal_fn, primal_src = finish_definition(
        ctx, primal_def, derivative_header(parsed, "recording primal", wrt_names),
        f"recording primal of {parsed.qualname}", argument_defaults(parsed, arity))
    adjoint_fn, adjoint_src = finish_definition(
        ctx, adjoint_def, derivative_header(parsed, "adjoint", wrt_names),
        f"adjoint of {parsed.qualname}")
    split.primal_cell.cell_contents = primal_fn
    split.adjoint_cell.cell_contents = adjoint_fn
    # The numba back end (numba_backend.py) hands each adjoint the state its primal returns.
    adjoint_fn.__adcompiler_primal__ = primal_fn
    # Neither returns its stack (their first parameter): the aliasing pass
    # knows the result is not the list the caller goes on appending to.
    setattr(primal_fn, STACK_FIRST, True)
    setattr(adjoint_fn, STACK_FIRST, True)
    split.sources = [primal_src, adjoint_src]
    split.callees = [key for key in ctx.callees if key != (function, wrt, arity)]


class _SplitCallees:
    """The callee compiler reverse mode hands its Context: the functions a
    gradient calls are compiled to split derivatives (a recording primal and an
    adjoint)."""

    @staticmethod
    def split(function, wrt: tuple, location, numbers: bool, arity) -> SplitDerivative:
        return split_derivative(function, wrt, location, numbers, arity)

    @staticmethod
    def sources(ctx) -> list:
        """The sources of the split derivatives the compilation `ctx` calls."""
        return [source for key in ctx.callees for source in _callee_sources(key)]


SPLIT_CALLEES = _SplitCallees()
