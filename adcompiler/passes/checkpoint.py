"""Checkpointing: a loop's two sweeps rewritten to run within a memory budget.

Used by reverse_mode.py when a derivative is asked for with `memory=`. The
outermost loops of the function (a loop not inside another loop) are
checkpointed; loops inside them record as usual, inside the iterations the
adjoint sweep recomputes. Input: the loop's materialised recording loop (the
primal sweep of reverse mode: pushes on the stack) and its materialised
adjoint body. Output: the primal code, which runs the loop without recording
and hands the loop-carried state to the schedule
(runtime_checkpoint.LoopCheckpoints) every iteration, and the adjoint code,
which follows the schedule's actions:

    primal sweep                              adjoint sweep
    ------------                              -------------
    _loop = LoopCheckpoints(64000000,         for _action, _first, _last in _loop.reversal(_stack):
                'f.py:6', len(_range))            if _action == 'load':
    for i in _range:                                  h, = _loop.load(_first, (h,))
        _loop.step((h,))                          elif _action == 'save':
        _t1 = W @ h                                   _loop.save(_first, (h,))
        h = np.tanh(_t1)                          elif _action == 'advance':
                                                      for i in _range[_first:_last]:
                                                          _t1 = W @ h
                                                          h = np.tanh(_t1)
                                                  elif _action == 'record':
                                                      for i in _range[_first:_last]:
                                                          _t1 = W @ h
                                                          _stack.append(h)
                                                          h = np.tanh(_t1)
                                                  else:
                                                      for i in _range[_first:_last][::-1]:
                                                          <adjoint of the body>

The loop-carried state is what an iteration reads before it writes it (the
recording body's upward-exposed names), among the names the loop binds or
changes: a recomputation started from a snapshot of it computes, and pushes,
exactly what the first run did. Calls whose result could differ when run again
(random numbers, methods of objects the compiler does not know) are refused
at compile time.
"""

from __future__ import annotations

import builtins
import inspect
import textwrap
import types
from dataclasses import dataclass, field

import gast

from .. import nodes
from ..context import Context
from ..errors import UnsupportedSyntaxError
from ..rules import registry
from ..runtime.checkpoint import LoopCheckpoints, format_bytes, shape_of
from ..source import display_path
from .activity import is_user_function

# Builtins that give the same result when called again with the same values.
_REPEATABLE_BUILTINS = {len, range, abs, min, max, round, int, float, bool, complex, str,
                        isinstance, type, tuple, list, dict, enumerate, zip, reversed, sum,
                        divmod, pow, print, sorted, any, all, slice}
# Methods of local lists and arrays that changes of the loop-carried state capture.
_LIST_METHODS = {"append", "pop", "insert", "extend", "copy", "index", "count"}


@dataclass(eq=False)
class CheckpointedLoop:
    """One checkpointed loop of the function being differentiated."""

    loop: gast.AST                  # the normalised loop
    schedule: str                   # its LoopCheckpoints variable
    defined: set = field(default_factory=set)   # names certainly bound at entry
    state: list = field(default_factory=list)   # the loop-carried names (snapshots)
    entry_only: list = field(default_factory=list)  # of them, those kept at entry only
    # Lists whose popped value the adjoint sweep reads at once, to re-create
    # their adjoint lists (reverse_mode's remirror): never kept at entry only.
    mirrored: set = field(default_factory=set)
    recording: list = field(default_factory=list)
    plain: list = field(default_factory=list)


def outermost_loops(function: gast.FunctionDef) -> list:
    """The loops of `function` not inside another loop (inside branches or not)."""
    found = []

    def walk(stmts):
        for stmt in stmts:
            if isinstance(stmt, (gast.While, gast.For)):
                found.append(stmt)
            elif isinstance(stmt, gast.If):
                walk(stmt.body)
                walk(stmt.orelse)
    walk(function.body)
    return found


def refuse_unrepeatable(loop: gast.AST, ctx: Context) -> None:
    """A checkpointed loop runs its iterations again in the adjoint sweep: each
    call in it must give the same result the second time."""
    for node in gast.walk(loop):
        if not isinstance(node, gast.Call):
            continue
        function = nodes.annotation(node.func, "value", None)
        if function is None:
            if isinstance(node.func, gast.Attribute) and node.func.attr in _LIST_METHODS:
                continue
            if isinstance(node.func, gast.Name) and node.func.id == "slice":
                continue    # written by normalisation for `x[a:b]`
            what = _spelled(node.func)
        elif is_user_function(function):
            inner = _unrepeatable_inside(function, set())
            if inner is None:
                continue
            what = f"{_spelled(node.func)}(...), which calls {inner}"
        elif _repeatable(function):
            continue
        else:
            what = _spelled(node.func)
        raise UnsupportedSyntaxError(
            f"the loop is checkpointed (memory=...), so the adjoint sweep runs its iterations "
            f"again, and the call {what.removesuffix('(...)')}(...) may not return the same value "
            "the second time",
            ctx.parsed.location(node),
            help="Make the call outside the loop (draw random numbers for every iteration "
            "before it, into an array the loop indexes), or differentiate without memory=.")


# Runtime helpers that read only the shape and dtype of one argument (its position).
_SHAPE_READERS = {"unbroadcast": 1, "zeros_like": 0, "sum_adjoint": 1}


def shape_only_variables(adjoint: list, ctx: Context, excluded: set) -> set:
    """Variables every read of which in the adjoint sweep is for their shape
    and dtype alone (`unbroadcast(g, x)`, `zeros_like(x)`, `sum_adjoint(g, x,
    ...)`): a checkpointed derivative records them as `shape_of(x)`, a
    read-only stand-in of one element. `excluded` are read elsewhere."""
    readers = {ctx.aliases[name]: position for name, position in _SHAPE_READERS.items()
               if name in ctx.aliases}
    shape_reads, marked = set(), set()
    walked = [node for stmt in adjoint for node in gast.walk(stmt)]
    for node in walked:
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                node.func.id in readers and readers[node.func.id] < len(node.args):
            argument = node.args[readers[node.func.id]]
            if isinstance(argument, gast.Name):
                marked.add(id(argument))
                shape_reads.add(argument.id)
    value_reads = {node.id for node in walked if isinstance(node, gast.Name) and
                   isinstance(node.ctx, gast.Load) and id(node) not in marked}
    return shape_reads - value_reads - excluded


def record_shape(ctx: Context, variable: str, bound: dict) -> gast.AST:
    """`shape_of(variable)`, the helper bound in the generated code's cells
    once per compilation (its name kept in `bound`)."""
    if "shape_of" not in bound:
        bound["shape_of"] = ctx.namer.fresh("shape_of")
        ctx.namer.pin(bound["shape_of"])
        ctx.cells[bound["shape_of"]] = types.CellType(shape_of)
    return nodes.call(nodes.name(bound["shape_of"]), [nodes.name(variable)])


def _repeatable(function) -> bool:
    return registry.lookup(function) is not None or function in _REPEATABLE_BUILTINS or \
        getattr(function, "__adcompiler__", None) is not None


def _unrepeatable_inside(function, seen: set) -> str | None:
    """The first call in a user function (or the user functions it calls)
    that may not repeat, spelled as written; None when all of them repeat.
    Calls on local objects (methods of arrays and lists) repeat."""
    if function in seen:
        return None
    seen.add(function)
    try:
        tree = gast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None     # compiling its derivative reports that
    scope = dict(vars(builtins))
    scope.update(function.__globals__)
    if function.__closure__:
        scope.update({name: cell.cell_contents for name, cell in
                      zip(function.__code__.co_freevars, function.__closure__)
                      if _filled(cell)})
    local = nodes.names_stored(tree) - {function.__name__}
    for node in gast.walk(tree):
        if not isinstance(node, gast.Call):
            continue
        found, callee = _resolved(node.func, scope, local)
        if not found:
            continue
        if is_user_function(callee):
            inner = _unrepeatable_inside(callee, seen)
            if inner is not None:
                return inner
        elif not _repeatable(callee) and not isinstance(callee, type):
            return _spelled(node.func)
    return None


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _resolved(func: gast.AST, scope: dict, local: set):
    """(True, object) for a name or attribute chain of module-level objects."""
    if isinstance(func, gast.Name):
        if func.id in local or func.id not in scope:
            return False, None
        return True, scope[func.id]
    if isinstance(func, gast.Attribute):
        found, base = _resolved(func.value, scope, local)
        if found and hasattr(base, func.attr):
            return True, getattr(base, func.attr)
    return False, None


def _spelled(func: gast.AST) -> str:
    if isinstance(func, gast.Name):
        return func.id
    if isinstance(func, gast.Attribute):
        return f"{_spelled(func.value)}.{func.attr}"
    return "<expression>"


def make_loop(ctx: Context, loop: gast.AST, defined: set) -> CheckpointedLoop:
    refuse_unrepeatable(loop, ctx)
    return CheckpointedLoop(loop, ctx.namer.fresh("_loop"), set(defined))


def _upward_exposed(stmts, defined: set, exposed: set, pushed: set, stack: str) -> None:
    """Names read in `stmts` before any certain binding of them (from `defined`
    on): into `pushed` those only a push reads, into `exposed` the others."""
    for stmt in stmts:
        if nodes.is_comment(stmt):
            continue
        if _is_push(stmt, stack):
            pushed |= nodes.names_loaded(stmt) - defined
        elif isinstance(stmt, gast.Assign):
            exposed |= nodes.names_loaded(stmt) - defined
            defined |= nodes.names_stored(stmt)
        elif isinstance(stmt, gast.If):
            exposed |= nodes.names_loaded(stmt.test) - defined
            body, orelse = set(defined), set(defined)
            _upward_exposed(stmt.body, body, exposed, pushed, stack)
            _upward_exposed(stmt.orelse, orelse, exposed, pushed, stack)
            defined |= body & orelse
        elif isinstance(stmt, gast.While):
            exposed |= nodes.names_loaded(stmt.test) - defined
            _upward_exposed(stmt.body, set(defined), exposed, pushed, stack)
        elif isinstance(stmt, gast.For):
            exposed |= nodes.names_loaded(stmt.iter) - defined
            _upward_exposed(stmt.body, set(defined) | nodes.names_stored(stmt.target), exposed,
                            pushed, stack)
        else:
            exposed |= nodes.names_loaded(stmt) - defined


def _is_push(stmt, stack: str) -> bool:
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) and \
        isinstance(stmt.value.func, gast.Attribute) and stmt.value.func.attr == "append" and \
        isinstance(stmt.value.func.value, gast.Name) and stmt.value.func.value.id == stack


def plain_body(stmts, stack: str, counters: set) -> list:
    """The recording body without what it records: no pushes, no trip counters,
    calls of user functions to the functions themselves, not their recording
    primals."""
    out = []
    for stmt in stmts:
        stmt = nodes.clone(stmt)
        if _is_push(stmt, stack):
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and \
                stmt.targets[0].id in counters:
            continue
        plain = nodes.annotation(stmt, "plain_value")
        if plain is not None:
            stmt.value = nodes.clone(plain)
        if isinstance(stmt, (gast.If, gast.While, gast.For)):
            stmt.body = plain_body(stmt.body, stack, counters) or [gast.Pass()]
            stmt.orelse = plain_body(stmt.orelse, stack, counters)
            if isinstance(stmt, gast.If) and isinstance(stmt.test, gast.Name) and \
                    all(isinstance(s, gast.Pass) for s in stmt.body) and not stmt.orelse:
                continue
        out.append(stmt)
    return out


def _state_tuple(names, ctx: str = "load") -> gast.Tuple:
    return nodes.tuple_([nodes.name(n, ctx) for n in names], ctx)


def primal_code(ctx: Context, checkpointed: CheckpointedLoop, recording_loop: gast.AST,
                stack: str, counters: set, budget: int, bound: dict) -> list:
    """The primal sweep of a checkpointed loop (module docstring); also finds
    its loop-carried state and keeps the recording and plain bodies for the
    adjoint sweep."""
    loop = checkpointed.loop
    checkpointed.recording = recording_loop.body
    checkpointed.plain = plain_body(recording_loop.body, stack, counters)
    exposed: set = set()
    pushed: set = set()
    start = nodes.names_stored(loop.target) if isinstance(loop, gast.For) else set()
    _upward_exposed(checkpointed.recording, set(start), exposed, pushed, stack)
    changed = nodes.names_stored(recording_loop) | nodes.names_mutated(recording_loop)
    # A value only pushed before it is overwritten, at the first iteration a
    # recomputation runs, is popped back when that iteration is reversed, and
    # recomputed before anything reads it, but after the first iteration of
    # all: that one restores the value the variable had before the loop.
    exposed |= pushed & checkpointed.mirrored
    entry_only = sorted((pushed - exposed) & changed - {stack})
    checkpointed.state = sorted((exposed & changed) - {stack}) + entry_only
    checkpointed.entry_only = entry_only
    if "LoopCheckpoints" not in bound:
        bound["LoopCheckpoints"] = ctx.namer.fresh("LoopCheckpoints")
        ctx.namer.pin(bound["LoopCheckpoints"])
        ctx.cells[bound["LoopCheckpoints"]] = types.CellType(LoopCheckpoints)
    helper = bound["LoopCheckpoints"]
    location = ctx.parsed.location(loop)
    where = f"{display_path(location.filename)}:{location.lineno}"
    trips = nodes.call("len", [nodes.name(loop.iter.id)]) if isinstance(loop, gast.For) \
        else nodes.const(None)
    keywords = {"entry_only": nodes.const(len(entry_only))} if entry_only else None
    create = nodes.assign(checkpointed.schedule, nodes.call(
        nodes.name(helper), [nodes.const(budget), nodes.const(where), trips], keywords))
    step = nodes.expr_stmt(nodes.call(
        nodes.attribute(nodes.name(checkpointed.schedule), "step"),
        [_state_tuple(checkpointed.state)]))
    body = [step] + [nodes.clone(s) for s in checkpointed.plain]
    if isinstance(loop, gast.For):
        new_loop = nodes.for_(nodes.clone(recording_loop.target), nodes.clone(recording_loop.iter),
                              body)
    else:
        new_loop = nodes.while_(nodes.clone(recording_loop.test), body)
    kept = [v for v in checkpointed.state if v not in entry_only]
    state = ", ".join(kept) or "nothing"
    if entry_only:
        state += f" ({', '.join(entry_only)} at entry)"
    note = nodes.comment(
        f"line {location.lineno}: checkpointed (memory={format_bytes(budget)}), not recorded; "
        f"snapshots of {state}.")
    return [note, create, nodes.copy_location(new_loop, loop)]


def adjoint_code(ctx: Context, checkpointed: CheckpointedLoop, adjoint_body: list,
                 stack: str) -> list:
    """The adjoint sweep of a checkpointed loop: the schedule's actions."""
    loop = checkpointed.loop
    schedule = nodes.name(checkpointed.schedule)
    action, first, last = (ctx.namer.fresh(n) for n in ("_action", "_first", "_last"))
    state = checkpointed.state

    def iterations(body, backwards=False):
        if isinstance(loop, gast.For):
            span = nodes.subscript(nodes.name(loop.iter.id),
                                   nodes.slice_(nodes.name(first), nodes.name(last)))
            if backwards:
                span = nodes.subscript(span, nodes.slice_(None, None, nodes.const(-1)))
            return nodes.for_(nodes.clone(loop.target), span, body)
        count = nodes.binop(nodes.name(last), gast.Sub(), nodes.name(first))
        return nodes.for_("_", nodes.call("range", [count]), body)

    def method(name):
        return nodes.call(nodes.attribute(nodes.clone(schedule), name),
                          [nodes.name(first), _state_tuple(state)])

    load = [nodes.assign(_state_tuple(state, "store"), method("load"))] if state else \
        [gast.Pass()]
    save = [nodes.expr_stmt(method("save"))]
    advance = [iterations([nodes.clone(s) for s in checkpointed.plain] or [gast.Pass()])]
    record = [iterations([nodes.clone(s) for s in checkpointed.recording] or [gast.Pass()])]
    reverse = [iterations(adjoint_body or [gast.Pass()], backwards=True)]

    def is_action(name):
        return nodes.compare(nodes.name(action), gast.Eq(), nodes.const(name))
    dispatch = nodes.if_(is_action("load"), load, [nodes.if_(
        is_action("save"), save, [nodes.if_(
            is_action("advance"), advance, [nodes.if_(is_action("record"), record, reverse)])])])
    targets = nodes.tuple_([nodes.name(n, "store") for n in (action, first, last)], "store")
    actions = nodes.call(nodes.attribute(nodes.clone(schedule), "reversal"), [nodes.name(stack)])
    location = ctx.parsed.location(loop)
    note = nodes.comment(
        f"line {location.lineno}: checkpointed; recompute from snapshots, record, reverse.")
    return [note, nodes.copy_location(nodes.for_(targets, actions, [dispatch]), loop)]
