"""Own arguments: the function being differentiated works on its own copy of
a list or dict parameter it resizes in place.

Input: a lowered and resolved FunctionDef, the function the user asked the
derivative of (not a helper it calls: a helper that appends to its argument
means to change its caller's list). Output: the same tree, starting with
`log = copied(log)` for each parameter `log` whose body changes how many
items it holds: `log.append(v)`, `.pop`, `.insert`, `.extend`, `.remove`,
`.clear`, a dict's `.update`, `.setdefault`, `.popitem`, directly or in a
helper of the user's the parameter is passed to. A differentiated parameter
that is resized is refused (its derivative would change length with it).

    def f(x, log):                   def f(x, log):
        log.append(x * 2.0)              log = copied(log)
        return sum(log) * x              log.append(x * 2.0)
                                         return sum(log) * x

Element writes (`log[0] = v`) already update a copy; an append happened in
place, so the derivative changed the caller's list (a second call saw it
longer) and a differentiated list's gradient came out shorter than the
argument. `copied` (runtime/python_builtins.py) is the shallow copy that
`x.copy()` compiles to, with its rule, so a differentiated parameter keeps
its derivative.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import gast
import numpy as np

from .. import nodes
from ..errors import UnsupportedSyntaxError
from ..printer import to_source
from ..rules import registry
from ..runtime import python_builtins
from ..source import ParsedFunction
from .aliasing import UNPLACED, helper_effects
from .census import Census
from .user_functions import is_user_function

# Methods that change how many items a list or dict holds.
# The annotation of a list variable read through the copy this pass inserts.
COPIED_FOR_A_PRIMITIVE = "copied_for_a_primitive"

RESIZING_METHODS = frozenset({"append", "extend", "insert", "pop", "remove", "clear",
                              "update", "setdefault", "popitem"})


def own_arguments(parsed: ParsedFunction, wrt: tuple,
                  census: Census | None = None) -> ParsedFunction:
    tree = parsed.tree
    parameters = [arg.id for arg in tree.args.args]
    # The calls in each statement, found once for every parameter and every
    # visit of a loop body (a Hessian's gradient code is long, its loops nested).
    calls_in, helper_answers = {}, {}
    resized = {name: how for name in parameters
               if (how := _resizing_call(tree, name, calls_in, helper_answers))} \
        if _may_resize(tree, helper_answers, census) else {}
    for position in wrt:
        if position < len(parameters) and parameters[position] in resized:
            name = parameters[position]
            call = resized[name]
            raise UnsupportedSyntaxError(
                f"{parsed.name} changes how many items its differentiated parameter "
                f"{name!r} holds ({to_source(call).strip()}): adcompiler does not "
                f"differentiate a list or dict argument that grows or shrinks",
                parsed.location(call),
                help=f"Instead: build a new list from it, `items = []`, `for v in {name}: "
                f"items.append(v)`, and append to `items`.")
    if not resized:
        return parsed
    if census is not None:
        census.forget()
    alias = _bind_copied(parsed)
    copies = []
    for name in resized:
        function = nodes.name(alias)
        nodes.annotate(function, "value", python_builtins.copied)
        copies.append(nodes.located(nodes.assign(name, nodes.call(function, [nodes.name(name)])),
                                    tree.body[0]))
    tree.body[:0] = copies
    return parsed


def copy_lists_read_before_resizing(parsed: ParsedFunction,
                                    census: Census | None = None) -> ParsedFunction:
    """Pass a shallow copy, `history[:]`, of a list variable the function
    resizes in place (`history.append(v)`) wherever a differentiated primitive
    reads it whole (`np.mean(history)`, `sum(history)`, `np.concatenate(parts)`).

    The primitive's adjoint reads its argument again when the adjoint sweep
    runs, and by then the list holds the items appended since (in a loop, the
    later iterations'): its derivative had as many entries as the final list
    (an InternalCompilerError adding adjoints of 3 and 4 items in a running
    mean, or each item's shape taken from another). The copy is what the
    primitive saw; reading it costs no more than the primitive does.
    For every function compiled, after resolve (the calls' rules are known).
    `census` (census.py) tells, without a walk, that most functions resize
    no list."""
    tree = parsed.tree
    if census is not None and not _may_copy(census.calls):
        return parsed
    if census is not None:
        census.forget()
    # Each call with the loops around it, in the order the source runs them.
    calls: list = []
    _calls_in_loops(tree.body, (), calls)
    resizes: dict = {}      # list name -> [(order, loops)] of its resizing calls
    for order, (call, loops) in enumerate(calls):
        func = call.func
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and \
                func.attr in RESIZING_METHODS and \
                nodes.annotation(func.value, "value", None) is None:
            resizes.setdefault(func.value.id, []).append((order, loops))

    def resized_later(name: str, order: int, loops: tuple) -> bool:
        # After this call, or anywhere in a loop around it (a later round).
        return any(later > order or set(map(id, around)) & set(map(id, loops))
                   for later, around in resizes.get(name, ()))

    arguments = []
    for order, (call, loops) in enumerate(calls):
        if not resizes or not _reads_whole_lists(call):
            continue
        arguments += [(call.args, i) for i, a in enumerate(call.args)
                      if isinstance(a, gast.Name) and resized_later(a.id, order, loops)]
        arguments += [(k, "value") for k in call.keywords if isinstance(k.value, gast.Name)
                      and resized_later(k.value.id, order, loops)]
    for holder, key in arguments:
        # history[:], the copy list(history) also is, which both modes
        # differentiate (copied() of a list of differentiated values is refused).
        original = holder[key] if isinstance(holder, list) else getattr(holder, key)
        # Marked on the name, which normalisation keeps (it rebuilds the
        # subscript): where the name certainly holds no list there
        # (v = sum(v) in a loop), split_lists.py reads it uncopied.
        nodes.annotate(original, COPIED_FOR_A_PRIMITIVE, True)
        whole = gast.Slice(lower=None, upper=None, step=None)
        copy = gast.Subscript(value=original, slice=whole, ctx=gast.Load())
        for node in nodes.walk(copy):
            nodes.copy_location(node, original)
        if isinstance(holder, list):
            holder[key] = copy
        else:
            setattr(holder, key, copy)
    return parsed


def _may_copy(calls: list) -> bool:
    """Whether one of `calls` (every call of the function, census.py) reads
    whole (_reads_whole_lists) a name some call resizes: the only arguments
    copied. Generated code resizes its stack and hands it to no primitive:
    no walk of a Hessian's gradient code for the loops around each call
    (issue #13)."""
    resized = {call.func.value.id for call in calls
               if isinstance(call.func, gast.Attribute) and
               isinstance(call.func.value, gast.Name) and call.func.attr in RESIZING_METHODS}
    return bool(resized) and any(
        any(isinstance(a, gast.Name) and a.id in resized
            for a in call.args + [k.value for k in call.keywords]) and _reads_whole_lists(call)
        for call in calls if call.args or call.keywords)


def _calls_in_loops(stmts, loops: tuple, found: list) -> None:
    """(call, enclosing loop statements) for every call in `stmts`, in source order."""
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While)):
            head = stmt.iter if isinstance(stmt, gast.For) else stmt.test
            found += [(n, loops) for n in nodes.walk(head) if isinstance(n, gast.Call)]
            _calls_in_loops(stmt.body, loops + (stmt,), found)
            _calls_in_loops(stmt.orelse, loops, found)
        elif isinstance(stmt, gast.If):
            found += [(n, loops) for n in nodes.walk(stmt.test) if isinstance(n, gast.Call)]
            _calls_in_loops(stmt.body, loops, found)
            _calls_in_loops(stmt.orelse, loops, found)
        elif not isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            found += [(n, loops) for n in nodes.walk(stmt) if isinstance(n, gast.Call)]


def _reads_whole_lists(call: gast.Call) -> bool:
    """Whether `call` is a differentiated primitive of a library (not one of
    adcompiler's helpers, nor an iterator that would see later appends)."""
    function = nodes.annotation(call.func, "value", None)
    if function is None or function in (zip, enumerate, reversed, iter, map, filter) or \
            (getattr(function, "__module__", None) or "").startswith("adcompiler"):
        return False
    try:
        rule = registry.lookup(function)
    except TypeError:   # an unhashable object called
        return False
    return rule is not None and bool(rule.adjoint)


def refuse_changed_mutable_defaults(parsed: ParsedFunction) -> None:
    """Refuse a function (the differentiated one or a helper) that changes in
    place a parameter whose default is a mutable object: `def f(x, buf=np.zeros(3)):
    buf += x` or `def h(v, log=[]): log.append(v)`.

    Python evaluates a default once, when the `def` runs, so such a change
    stays in the default and the next call starts from it; generated code
    updates a copy (it never changes an object in place), so the derivative
    would compute every call from the first call's state: a wrong value and
    derivative from the second call on, with no error."""
    try:
        signature = inspect.signature(parsed.function)
    except (TypeError, ValueError):
        return
    parameters = list(signature.parameters.values())
    mutable = {p.name for p in parameters
               if p.default is not p.empty and _holds_mutable(p.default)}
    if not mutable:
        return
    positional = [p.name for p in parameters
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    keyword = {p.name for p in parameters if p.kind is p.KEYWORD_ONLY}
    for position, (_, _, location) in helper_effects(parsed.function).items():
        names = keyword if position == UNPLACED else {positional[position]}
        for name in sorted(names & mutable):
            _refuse_default_change(parsed, name, location)
    for call in nodes.walk(parsed.tree):
        # `log.append(v)` (helper_effects leaves a list's own resizing to the
        # list machinery, which follows it in the caller but not into a default).
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and \
                isinstance(call.func.value, gast.Name) and call.func.value.id in mutable and \
                call.func.attr in RESIZING_METHODS:
            _refuse_default_change(parsed, call.func.value.id, parsed.location(call))


def _refuse_default_change(parsed: ParsedFunction, name: str, location) -> None:
    raise UnsupportedSyntaxError(
        f"{parsed.name} changes in place its parameter {name!r}, whose default is a "
        f"mutable object: Python keeps the change in the default for the next call, "
        f"which the derivative (working on a copy) would not see",
        location,
        help=f"Instead: default {name!r} to None and create the object in the body "
        f"(`if {name} is None: {name} = ...`), or pass it at every call.")


def _holds_mutable(value) -> bool:
    """Whether `value` is, or a tuple or frozenset holds, an object that can be
    changed in place (an array, a list, a dict, a user object, ...)."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        return False
    if isinstance(value, (tuple, frozenset)):
        return any(_holds_mutable(item) for item in value)
    return True


def _may_resize(tree: gast.FunctionDef, helper_answers: dict,
                census: Census | None = None) -> bool:
    """Whether a call in `tree` may resize a list or dict it is handed (a
    resizing method of a name, or a user function resizing a parameter it
    passes a name to), whatever names hold a parameter: when none may, no
    parameter is resized and _resizing_call need not follow the names (for
    each parameter, each loop body twice: most functions, issue #13)."""
    for node in nodes.walk(tree) if census is None else census.calls:
        if not isinstance(node, gast.Call):
            continue
        func = node.func
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and \
                func.attr in RESIZING_METHODS:
            return True
        if any(isinstance(arg, gast.Name) and
               _helper_resizes(nodes.annotation(func, "value", None), node, arg.id,
                               helper_answers) for arg in node.args):
            return True
    return False


def _resizing_call(tree: gast.FunctionDef, name: str, calls_in: dict | None = None,
                   helper_answers: dict | None = None) -> gast.Call | None:
    """The first call that resizes the parameter `name`, or a name that may
    hold it where the call runs (`items = log`, transitively; a name bound to
    something else since no longer counts, so `v = []; v.append(1); v = log`
    resizes nothing of log's), if any. `calls_in`: id(part) -> the calls in
    it, in walk order, filled as parts are met, and `helper_answers` those of
    _helper_resizes (both shared by the parameters)."""
    calls_in = {} if calls_in is None else calls_in
    helper_answers = {} if helper_answers is None else helper_answers
    found: list = []

    def resizes(call: gast.Call, holders: set) -> bool:
        func = call.func
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and \
                func.value.id in holders and func.attr in RESIZING_METHODS:
            return True
        return any(isinstance(arg, gast.Name) and arg.id in holders and
                   _helper_resizes(nodes.annotation(func, "value", None), call, arg.id,
                                   helper_answers)
                   for arg in call.args)

    def check(parts, holders: set) -> None:
        for part in parts:
            calls = calls_in.get(id(part))
            if calls is None:
                calls = calls_in[id(part)] = [node for node in nodes.walk(part)
                                              if isinstance(node, gast.Call)]
            for node in calls:
                if not found and resizes(node, holders):
                    found.append(node)

    def block(stmts, holders: set) -> set:
        for stmt in stmts:
            holders = statement(stmt, holders)
        return holders

    def statement(stmt, holders: set) -> set:
        if isinstance(stmt, gast.If):
            check([stmt.test], holders)
            return block(stmt.body, set(holders)) | block(stmt.orelse, set(holders))
        if isinstance(stmt, (gast.For, gast.While)):
            check([stmt.iter if isinstance(stmt, gast.For) else stmt.test], holders)
            # A later round sees what the body left: run it twice from the union.
            target = nodes.names_stored(stmt.target) if isinstance(stmt, gast.For) else set()
            entered = set(holders)
            for _ in range(2):
                entered = entered | block(stmt.body, entered - target)
            return block(stmt.orelse, entered) | holders
        if isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            return holders
        check([stmt], holders)
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Name):
            target = stmt.targets[0].id
            return (holders | {target}) if stmt.value.id in holders else holders - {target}
        return holders - nodes.names_stored(stmt)

    block(tree.body, {name})
    return found[0] if found else None


def _helper_resizes(function, call: gast.Call, name: str, known: dict) -> bool:
    """Whether `function`, a Python function of the user's called with `name`
    among its positional arguments, calls a resizing method on that parameter.
    `known` keeps the answers by (function, parameters): a helper called at
    a hundred places has its source read once."""
    code = getattr(function, "__code__", None)
    if code is None or not is_user_function(function) or \
            (function.__module__ or "").startswith("adcompiler"):
        return False
    parameters = code.co_varnames[:code.co_argcount]
    receivers = frozenset(parameters[i] for i, arg in enumerate(call.args)
                          if i < len(parameters) and isinstance(arg, gast.Name)
                          and arg.id == name)
    key = (function, receivers)
    if key not in known:
        known[key] = _resizes_parameters(function, receivers)
    return known[key]


def _resizes_parameters(function, receivers: frozenset) -> bool:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and \
                node.func.value.id in receivers and node.func.attr in RESIZING_METHODS:
            return True
    return False


def _bind_copied(parsed: ParsedFunction) -> str:
    """The name generated code calls `copied` by, in `parsed.bound`."""
    for alias, value in parsed.bound.items():
        if value is python_builtins.copied:
            return alias
    taken = {n.id for n in nodes.walk(parsed.tree) if isinstance(n, gast.Name)} | \
        set(parsed.globals) | set(parsed.closure) | set(parsed.bound)
    alias, suffix = "copied", 1
    while alias in taken:
        suffix += 1
        alias = f"copied{suffix}"
    parsed.bound[alias] = python_builtins.copied
    return alias
