"""Inline local functions: functions defined inside the differentiated one, with
`def` or as `name = lambda ...`, replaced by their bodies at every call.

Input: a fenced FunctionDef. Its body may define functions (one level deep:
not inside them) and call them by name, with positional and keyword arguments,
defaults and `*args` (which receives the tuple display of its values); they read the enclosing function's variables (closures) and may
call each other. Output: the same function with no local function left, no
definition and no reference, so no later pass needs to know there were any:

    def f(x, a):                          def f(x, a):
        scale = a * 2.0                       scale = a * 2.0
        def g(y, b=0.5):                      g_y = x * x
            if y > b:                         if g_y > 0.5:
                return y * scale                  g_result = g_y * scale
            return b                          else:
        h = lambda y: np.sin(y) + scale           g_result = 0.5
        return g(x * x) + h(x)                h_result = np.sin(x) + scale
                                              return g_result + h_result

A call's body runs just before the statement holding the call, and the value
it returns takes the call's place. Python's scoping is kept:

    own names      the parameters, and every name the function assigns, are its
                   own: each call renames them to fresh names (`g_y`, `g_y2`),
                   which never clobber the caller's variables
    arguments      a parameter the body never assigns or writes into takes the
                   argument itself when that is a name or a constant (`h(x)`
                   reads `x`); others get a variable of their own (`g_y = x * x`),
                   so a write `y[0] = v` updates a copy, as in a module-level helper
    functions      passed to a local function that only calls its parameter (or
                   passes it on so), `rk4(rhs, y)` or `rk4(lambda y: -k * y, y)`,
                   take the parameter's place: each call of it is inlined too (a
                   lambda is first named, `anonymous = lambda y: ...`). A
                   `*args` the body only passes on starred (`f(y, *args)`) takes
                   the call's values themselves
    free names     are the enclosing function's, read when the call runs (late
                   binding, as in Python): a closure sees a loop variable's
                   current value, and a differentiated one is differentiated
    defaults       are evaluated where the `def` stands, into `g_b`, as Python
                   does when the def runs; a constant is used as it is
    control flow   of a body is lowered first (lower_control.py), so that its
                   only `return` ends it: early returns, loops, break, continue

Inlining is exact when the call is evaluated once, where its statement runs.
A body that may change a value in place runs before the rest of its
statement, so the operands Python evaluates before such a call are computed
first, into variables of their own (evaluation_order.py):

    y = L[0] + push()      ->      operand = L[0]; <push's body>; y = operand + push_result

These are rejected
with `UnsupportedSyntaxError`, and `parsed` is left as it was: a call in the
`while` test of a loop with an `else` block (without one, the test becomes
the loop's first statement, `while True: if not test: break`), in a branch
of `a if t else b` or in an operand of `and`/`or`
after the first; a local function used other than by calling it or passing
it to a local function that only calls it (returned, stored, passed
elsewhere) or whose name is bound again; recursion among local
functions (a function calling only itself is lifted first, by
lifted_functions.lift_recursive, when it can stand on its own); decorators;
`**kwargs` in a call; `*t` in a call, unless `t` is a tuple display or a name
bound once, to one; functions defined inside local
ones, and lambdas neither assigned to a name nor called where they are written
(`(lambda y: y * y)(x)` is inlined as if assigned to a name first); a call where the definition may not
have run (before it, or after the block that holds it).

Place in the pipeline: after the fence, so that errors name what the user
wrote; before lower control, which then sees the inlined bodies as the
function's own statements; and before resolve, which must meet no reference
to a local function and records the renamed variables as locals.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass

import gast

from .. import nodes
from ..errors import AdError, UnsupportedSyntaxError
from ..naming import Namer
from ..source import ParsedFunction
from . import lifted_functions
from .census import Census, everything_of
from .desugar import test_first
from .evaluation_order import Spill, constant as _constant, plain as _plain
from .lower_control import _attribute_value, _is_python_function, lower_function
from .resolve import local_function_names

# Where an expression is evaluated later, or not at all, or again and again:
# the inlined body, which runs once before the statement, cannot stand there.
_COMPREHENSIONS = tuple(getattr(gast, kind) for kind in
                        ("ListComp", "SetComp", "DictComp", "GeneratorExp"))


@dataclass
class _Local:
    """A local function, ready to be inlined at a call."""

    params: list
    defaults: dict    # parameter -> what its default evaluated to: a constant or a name
    body: list        # control flow lowered: it ends in its only `return`
    own: list         # the parameters, then the names the body assigns
    written: set      # the parameters the body assigns or writes into
    # The caller's variables the body assigns (the attributes of an object
    # local_objects.py replaced by variables): never renamed, and an argument
    # or a result naming one is copied, since the body may change it.
    shared: frozenset = frozenset()
    # The *args parameter, when the body only passes it on starred (f(y, *args)):
    # it takes the call's values themselves, so a call inside passing them on
    # to a local function binds them one by one.
    spread: str | None = None
    # The **kwargs parameter, when the body only reads it by key (f(x, **kwargs),
    # kwargs['a'], kwargs.get('a', d), 'a' in kwargs): it takes the call's
    # keywords themselves, read when compiling (_KeywordsRead).
    unpacked: str | None = None


def _defined_name(stmt) -> str | None:
    """The name `stmt` defines a local function under, if it defines one."""
    if isinstance(stmt, gast.FunctionDef):
        return stmt.name
    if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Lambda) and \
            isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id
    return None


def _arguments(definition) -> gast.arguments:
    return definition.args if isinstance(definition, gast.FunctionDef) else definition.value.args


def _parameter_names(args: gast.arguments) -> list:
    """Every parameter of a signature, in order: positional (positional-only
    first), *args, keyword-only, **kwargs."""
    names = [a.id for a in args.posonlyargs + args.args]
    names += [args.vararg.id] if args.vararg is not None else []
    names += [a.id for a in args.kwonlyargs]
    return names + ([args.kwarg.id] if args.kwarg is not None else [])


def _body(definition) -> list:
    """What runs when the function is called (its defaults run at the definition)."""
    if isinstance(definition, gast.FunctionDef):
        return definition.body
    return [definition.value.body]


def _own_statements(stmts):
    """The statements of a block and of the blocks nested in it, in the
    enclosing function's scope (not inside the functions it defines)."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (gast.If, gast.While, gast.For)):
            yield from _own_statements(stmt.body)
            yield from _own_statements(stmt.orelse)


def _reject(parsed: ParsedFunction, node, what: str, instead: str, plural: bool = False):
    raise UnsupportedSyntaxError(f"{what} {'are' if plural else 'is'} not supported by "
                                 "adcompiler", parsed.location(node), help="Instead: " + instead)


# -- what is rejected, checked before anything is rewritten ------------------------

def _check(parsed: ParsedFunction) -> dict:
    """The definitions of local functions by name, after rejecting every use
    of them that inlining would get wrong."""
    tree = parsed.tree
    definitions: dict = {}
    for stmt in _own_statements(tree.body):
        name = _defined_name(stmt)
        if name is None:
            continue
        if name in definitions:
            _reject(parsed, stmt, f"defining the local function '{name}' twice",
                    "give each function a name of its own.")
        definitions[name] = stmt
        if isinstance(stmt, gast.FunctionDef) and any(
                isinstance(n, gast.Yield) for n in nodes.walk(stmt)):
            _reject(parsed, next(n for n in nodes.walk(stmt) if isinstance(n, gast.Yield)),
                    "generators used other than looped over by a for loop that does not "
                    "break, or with a return, a 'yield' inside an expression or a function "
                    "defined inside them",
                    "loop over the generator (for v in gen(x): ...), or build a list in "
                    "the function and return it.")
        if isinstance(stmt, gast.FunctionDef) and stmt.decorator_list:
            _reject(parsed, stmt.decorator_list[0], "decorators on local functions",
                    "define the function at module level, or apply what the decorator "
                    "does inside the function.", plural=True)
        for inner in (n for part in _body(stmt) for n in nodes.walk(part)):
            if isinstance(inner, (gast.FunctionDef, gast.Lambda)):
                beside = "the lambda called there" if nodes.annotation(
                    stmt, "called_in_place", False) else f"'{name}'"
                _reject(parsed, inner, "functions defined inside a local function",
                        f"define them beside {beside}, in '{parsed.name}', under names of "
                        "their own: a local function can call another one.", plural=True)
    lambdas = {id(stmt.value) for stmt in definitions.values() if isinstance(stmt, gast.Assign)}
    parents = _parents(tree)
    shadowed = _shadowed(definitions)
    for node in nodes.walk(tree):
        if isinstance(node, gast.Lambda) and id(node) not in lambdas:
            parent, field, _ = parents.get(id(node), (None, None, None))
            if isinstance(parent, gast.Call) and field == "args":
                # functools.reduce(lambda a, b: ..., xs) inside an expression (a
                # statement's value is lowered by lower_reduce.py), np.apply_along_axis(...):
                # a function passed on is not differentiated (map(...) is, when read at once).
                _reject(parsed, node, "lambdas passed to a function (other than map(...) "
                        "read at once, or key= of sorted, min and max)",
                        "write the loop the call stands for: a list comprehension "
                        "[f(v) for v in xs] for map or apply_along_axis, a for loop "
                        "(acc = xs[0]; for v in xs[1:]: acc = acc * v) for "
                        "functools.reduce, or write the reduce as a statement of its "
                        "own, y = functools.reduce(f, xs), which is lowered so.", plural=True)
            _reject(parsed, node, "lambda expressions not assigned to a name",
                    "assign the lambda to a name and call it by that name "
                    "(h = lambda y: ...; h(x)), or define a function with 'def'.", plural=True)
        if isinstance(node, gast.Name) and node.id in definitions and id(node) not in shadowed:
            _check_use(parsed, node, parents, definitions)
    _check_recursion(parsed, definitions, shadowed)
    return definitions


def _shadowed(definitions: dict) -> set:
    """The names inside local functions that are the function's own (a
    parameter or a variable it assigns) though another local function has
    that name: `def integrate(f, y): return f(y)` beside `def f(y): ...`.
    Inlining renames them (_Renaming), so they never mean that function."""
    shadowed = set()
    for definition in definitions.values():
        args = _arguments(definition)
        own = set(_parameter_names(args)) | set(_assigned(_body(definition)))
        if not own & definitions.keys():
            continue
        for part in [args] + _body(definition):
            shadowed.update(id(n) for n in nodes.walk(part)
                            if isinstance(n, gast.Name) and n.id in own)
    return shadowed


def _parents(tree) -> dict:
    """Each node's parent, with the field (and index in it) the node is in."""
    parents = {}
    for node in nodes.walk(tree):
        for field, value in gast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            for index, child in enumerate(children):
                if isinstance(child, gast.AST):
                    parents[id(child)] = (node, field, index)
    return parents


def _check_use(parsed: ParsedFunction, name: gast.Name, parents: dict, definitions: dict):
    definition = definitions[name.id]
    if not isinstance(name.ctx, gast.Load):
        if isinstance(definition, gast.Assign) and name is definition.targets[0]:
            return
        _reject(parsed, name, f"binding the name of the local function '{name.id}' again",
                "give the function and the variable different names.")
    call, field, _ = parents[id(name)]
    if _passed_to_local(name, call, field, parents, definitions, parsed):
        return
    if not (isinstance(call, gast.Call) and field == "func"):
        # (a lambda written in a list or tuple display is named by desugar.py)
        what = "a lambda of a list, tuple or dict display" if nodes.annotation(
            definition, "display_lambda", False) else f"the local function '{name.id}'"
        _reject(parsed, name, f"using {what} other than by calling "
                "it by name (passing, returning or storing it)",
                "call it, pass it to a function defined in this one (or in this module) "
                "that only calls it, or define it at module level: module-level functions "
                "can be passed around.")
    if any(keyword.arg is None and not _keyword_display(keyword.value)
           for keyword in call.keywords):
        _reject(parsed, call, f"calls to the local function '{name.id}' with **kwargs "
                "other than a dict display, or a name bound once to one and only read",
                "pass the arguments by name.", plural=True)
    starred = next((arg for arg in _positional(call) if isinstance(arg, gast.Starred)), None)
    if starred is not None:
        _reject(parsed, starred, f"calls to the local function '{name.id}' with a starred "
                "argument (*t)", "pass the values one by one, g(t[0], t[1]), or define the "
                "function at module level, where f(*t) is supported.", plural=True)
    where = _deferred(call, parents)
    if where:
        _reject(parsed, call, f"calls to the local function '{name.id}' {where}",
                "call it in a statement of its own, where the value is needed "
                "(in an if statement for a conditional value, before the loop and "
                "at the end of its body for a while test).", plural=True)
    _bind(parsed, definition, call)


def _passed_to_local(name: gast.Name, parent, field: str, parents: dict, definitions: dict,
                     parsed: ParsedFunction) -> bool:
    """Whether `name` (a local function) is an argument of a call of another
    local function whose parameter only calls it, directly or by passing it on
    the same way: inlining that call puts the function's name in the
    parameter's place, and each call of it is inlined in turn."""
    if isinstance(parent, gast.keyword):
        parent, field, _ = parents[id(parent)]
        field = "keywords" if field == "keywords" else None
    if not (isinstance(parent, gast.Call) and field in ("args", "keywords") and
            isinstance(parent.func, gast.Name) and parent.func.id in definitions):
        return False
    bound = _bind(parsed, definitions[parent.func.id], parent)
    param = next((p for p, value in bound.items() if value is name), None)
    return param is not None and _only_called(definitions, parent.func.id, param, parsed, set())


def _only_called(definitions: dict, function: str, param: str, parsed: ParsedFunction,
                 seen: set) -> bool:
    """Whether local function `function` uses its parameter `param` only by
    calling it, or by passing it to a local function that only calls it, and
    never binds it again."""
    if (function, param) in seen:
        return True  # (recursion among local functions is refused on its own)
    seen.add((function, param))
    definition = definitions[function]
    args = _arguments(definition)
    if param in (getattr(args.vararg, "id", None), getattr(args.kwarg, "id", None)):
        return False
    body = _body(definition)
    inner_parents = _body_parents(body)
    for part in body:
        for node in nodes.walk(part):
            if not (isinstance(node, gast.Name) and node.id == param):
                continue
            if not isinstance(node.ctx, gast.Load):
                return False
            parent, field, _ = inner_parents.get(id(node), (None, None, None))
            if isinstance(parent, gast.Call) and field == "func":
                continue
            if isinstance(parent, gast.keyword):
                parent, field, _ = inner_parents[id(parent)]
            if not (isinstance(parent, gast.Call) and field in ("args", "keywords") and
                    isinstance(parent.func, gast.Name) and parent.func.id in definitions):
                return False
            try:
                bound = _bind(parsed, definitions[parent.func.id], parent)
            except UnsupportedSyntaxError:
                return False
            passed_as = next((p for p, value in bound.items() if value is node), None)
            if passed_as is None or not _only_called(definitions, parent.func.id, passed_as,
                                                     parsed, seen):
                return False
    return True


def _deferred(call, parents) -> str | None:
    """Why evaluating `call` once, before its statement, would be wrong, if it would."""
    node = call
    while id(node) in parents:
        parent, field, index = parents[id(node)]
        if isinstance(parent, gast.While) and field == "test":
            return "in a while loop's test"
        if isinstance(parent, gast.IfExp) and field != "test":
            return "in a branch of a conditional expression"
        if isinstance(parent, gast.BoolOp) and index > 0:
            return "in an operand of 'and'/'or' after the first"
        if isinstance(parent, gast.Assert) and field == "msg":
            return "in an assert's message"
        if isinstance(parent, _COMPREHENSIONS):
            return "in a comprehension"
        if isinstance(parent, (gast.stmt, gast.Lambda)):
            return None
        node = parent
    return None


def _check_recursion(parsed: ParsedFunction, definitions: dict, shadowed: set) -> None:
    calls = {name: [n for part in _body(definition) for n in nodes.walk(part)
                    if isinstance(n, gast.Call) and isinstance(n.func, gast.Name)
                    and n.func.id in definitions and id(n.func) not in shadowed]
             for name, definition in definitions.items()}
    finished: set = set()

    def visit(path: list) -> None:
        for call in calls[path[-1]]:
            callee = call.func.id
            if callee in path:
                cycle = path[path.index(callee):] + [callee]
                _reject(parsed, call, "recursion among local functions "
                        f"({' calls '.join(repr(n) for n in cycle)})",
                        "define the recursive function at module level: adcompiler "
                        "differentiates recursive module-level functions.")
            if callee not in finished:
                visit(path + [callee])
        finished.add(path[-1])

    for name in definitions:
        visit([name])


def _bind(parsed: ParsedFunction, definition, call: gast.Call) -> dict:
    """The argument each parameter receives, in the order they are written
    (Python's evaluation order); parameters left to their default are absent.
    *args receives the tuple display of the values it collects."""
    args = _arguments(definition)
    parameters = _signature(args)
    positional = _positional(call)
    starred = next((arg for arg in positional if isinstance(arg, gast.Starred)), None)
    if starred is not None:
        # (A call written in a local function's body, with its parameter's
        # name, is checked only once inlining has put a value there.)
        _reject(parsed, starred, f"calls to the local function '{call.func.id}' with a starred "
                "argument (*t)", "pass the values one by one, g(t[0], t[1]), or define the "
                "function at module level, where f(*t) is supported.", plural=True)
    keywords = _keywords(call)
    named = [name for name, _ in keywords]
    if len(set(named)) != len(named):
        twice = next(name for name in named if named.count(name) > 1)
        raise UnsupportedSyntaxError(
            f"the keyword argument '{twice}' is given twice to the local function "
            f"'{call.func.id}' (Python raises TypeError here)", parsed.location(call),
            help="Instead: give each keyword once.")
    written = positional + [value for _, value in keywords]
    try:
        bound = inspect.Signature(parameters).bind(*positional, **dict(keywords))
    except TypeError as err:
        name = call.func.id
        listed = ", ".join(str(p).replace("=None", "=...") for p in parameters)
        raise UnsupportedSyntaxError(
            f"this call does not match the parameters of the local function '{name}': {err}",
            parsed.location(call),
            help=f"Instead: call it with arguments for {name}({listed}).") from err
    arguments = dict(bound.arguments)
    position = {id(expr): index for index, expr in enumerate(written)}
    collecting = (getattr(args.vararg, "id", None), getattr(args.kwarg, "id", None))
    order = {param: position[id(value)] for param, value in arguments.items()
             if param not in collecting}
    if args.vararg is not None:
        collected = list(arguments.get(args.vararg.id, ()))
        arguments[args.vararg.id] = nodes.located(nodes.tuple_(collected), call)
        order[args.vararg.id] = position[id(collected[0])] if collected else len(written)
    if args.kwarg is not None:
        # **kwargs receives the dict display of the keywords it collects, in order.
        named = dict(arguments.get(args.kwarg.id, {}))
        display = gast.Dict(keys=[nodes.const(key) for key in named],
                            values=list(named.values()))
        arguments[args.kwarg.id] = nodes.located(display, call)
        order[args.kwarg.id] = min((position[id(v)] for v in named.values()),
                                   default=len(written))
    return dict(sorted(arguments.items(), key=lambda item: order[item[0]]))


def _signature(args: gast.arguments) -> list:
    """The inspect.Parameters of a local function's signature; a parameter
    with a default has None for it (the default itself is evaluated when the
    def runs, _Inliner.define)."""
    kind = inspect.Parameter
    positional = args.posonlyargs + args.args
    first_default = len(positional) - len(args.defaults)
    parameters = [
        kind(param.id, kind.POSITIONAL_ONLY if index < len(args.posonlyargs)
             else kind.POSITIONAL_OR_KEYWORD,
             default=None if index >= first_default else kind.empty)
        for index, param in enumerate(positional)]
    if args.vararg is not None:
        parameters.append(kind(args.vararg.id, kind.VAR_POSITIONAL))
    parameters += [kind(param.id, kind.KEYWORD_ONLY,
                        default=kind.empty if default is None else None)
                   for param, default in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg is not None:
        parameters.append(kind(args.kwarg.id, kind.VAR_KEYWORD))
    return parameters


def _keywords(call: gast.Call) -> list:
    """A call's (name, value) keywords, `**{'a': v}` written out as `a=v`
    (a display with string keys: what Python passes); `**d` of another
    value is refused by the caller."""
    out = []
    for keyword in call.keywords:
        if keyword.arg is None and _keyword_display(keyword.value):
            out += [(key.value, value) for key, value in zip(keyword.value.keys,
                                                             keyword.value.values)]
        else:
            out.append((keyword.arg, keyword.value))
    return out


def _keyword_display(node) -> bool:
    """A dict display whose keys are all string constants."""
    return isinstance(node, gast.Dict) and all(
        isinstance(key, gast.Constant) and isinstance(key.value, str) for key in node.keys)


def _positional(call: gast.Call) -> list:
    """A call's positional arguments, with `*(a, b)` written out as `a, b`."""
    out = []
    for arg in call.args:
        if isinstance(arg, gast.Starred) and isinstance(arg.value, (gast.Tuple, gast.List)):
            out += arg.value.elts
        else:
            out.append(arg)
    return out


# -- inlining -----------------------------------------------------------------------

class _Inliner:
    def __init__(self, parsed: ParsedFunction, definitions: dict, namer: Namer):
        self.parsed = parsed
        self.definitions = definitions
        self.namer = namer

    def block(self, stmts, visible: dict) -> list:
        """Inline the calls in `stmts`. `visible`: the local functions whose
        definition has run; one defined in the block is seen by the rest of it."""
        visible = dict(visible)
        out: list = []
        for stmt in stmts:
            before: list = []
            name = _defined_name(stmt)
            if name is not None:
                visible[name] = self.define(stmt, name, visible, before)
                out += before
                continue
            if isinstance(stmt, (gast.If, gast.While, gast.For)):
                if isinstance(stmt, gast.If):
                    stmt.test = self.expand(stmt.test, visible, before)
                if isinstance(stmt, gast.For):
                    stmt.iter = self.expand(stmt.iter, visible, before)
                stmt.body = self.block(stmt.body, visible) or [gast.Pass()]
                stmt.orelse = self.block(stmt.orelse, visible)
            else:
                discarded = isinstance(stmt, gast.Expr) and self.is_call(stmt.value)
                stmt = self.expand(stmt, visible, before)
                if discarded:
                    stmt = None  # `g(x)` called for its effects: no value to keep
            out += before + ([stmt] if stmt else [])
        return out

    def is_call(self, expr) -> bool:
        return isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and \
            expr.func.id in self.definitions

    def expand(self, node, visible: dict, before: list):
        """`node` with its calls of local functions inlined: their bodies are
        appended to `before`, their values take their places."""
        return _Calls(self, visible, before).visit(node)

    def define(self, stmt, name: str, visible: dict, before: list) -> _Local:
        """What the definition `stmt` leaves to its calls; its defaults are
        evaluated now, into `before`, as Python does when the def runs."""
        args = _arguments(stmt)
        positional = [param.id for param in args.posonlyargs + args.args]
        params = positional + [param.id for param in args.kwonlyargs]
        defaults = {}
        # *args and **kwargs are parameters like the others, bound to a tuple
        # and a dict display by _bind.
        star = [a.id for a in (args.vararg, args.kwarg) if a is not None]
        given = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
        given += [(param.id, default) for param, default in zip(args.kwonlyargs, args.kw_defaults)
                  if default is not None]
        for param, default in given:
            default = self.expand(default, visible, before)
            if not _constant(default):
                held = self.namer.fresh(f"{name}_{param.lstrip('_')}")
                before.append(nodes.located(nodes.assign(held, default), default))
                default = nodes.name(held)
            defaults[param] = default
        if isinstance(stmt, gast.FunctionDef):
            if _is_docstring(stmt.body[0]):
                stmt.body = stmt.body[1:]  # documents the def, which goes away
            users = _assigned(stmt.body)
            if not _loops_over_a_sequence(stmt.body):
                lower_function(self.parsed, stmt)
            # (Otherwise its statements are lowered with the function's: a loop
            # over a list of objects stays a loop, which object_sequences.py
            # unrolls in local_objects' second round.)
            body = stmt.body
        else:
            body = [nodes.located(nodes.return_(stmt.value.body), stmt.value)]
            users = []
        assigned = _assigned(body)
        written = set(assigned) | {n.targets[0].value.id if isinstance(n, gast.Assign)
                                   else n.target.value.id
                                   for s in body for n in nodes.walk(s) if _element_write(n)}
        self.namer.reserve(*(n.id for s in body for n in nodes.walk(s) if isinstance(n, gast.Name)))
        # The user's names are renamed first, so they keep the plain `g_result`
        # when the lowering's `_result` would want it too.
        # (the names `nonlocal` declared, desugar.py, are the caller's too)
        shared = nodes.annotation(stmt, "shared_names", frozenset()) | \
            nodes.annotation(stmt, "nonlocal_names", frozenset())
        own = [n for n in dict.fromkeys(params + star + users + assigned) if n not in shared]
        spread = args.vararg.id if args.vararg is not None and \
            _only_spread(body, args.vararg.id) else None
        unpacked = args.kwarg.id if args.kwarg is not None and \
            _read_by_key(body, args.kwarg.id) else None
        return _Local(params, defaults, body, own, written & set(params + star), shared, spread,
                      unpacked)

    def check_handed_over(self, stmts: list) -> None:
        """Refuse a call of a local function that a parameter was renamed to
        (`f(v)` of a helper handed `g`) where Python evaluates it later, again,
        or not at all (a while test, a branch of `a if t else b`): the checks
        before inlining saw the parameter's name there, not a local function."""
        for stmt in stmts:
            parents = _parents(stmt)
            for node in nodes.walk(stmt):
                if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                        node.func.id in self.definitions:
                    where = _deferred(node, parents)
                    if where:
                        handed = "a lambda" if node.func.id.startswith("anonymous") and \
                            nodes.annotation(self.definitions[node.func.id],
                                             "called_in_place", False) else f"'{node.func.id}'"
                        _reject(self.parsed, node, "calls of a function handed to a local "
                                f"function or helper ({handed}) {where}",
                                "call it in a statement of its own, where the value is "
                                "needed (in an if statement for a conditional value, before "
                                "the loop and at the end of its body for a while test), or "
                                "pass a module-level function.", plural=True)

    def held(self, value, function: str, param: str, local: _Local, call, before: list):
        """`value`, or a variable holding it when it is not a name or a constant."""
        if _plain(value) and not _names_shared(value, local):
            return value
        copy = self.namer.fresh(f"{function}_{param.lstrip('_')}")
        before.append(nodes.located(nodes.assign(copy, value), call))
        return nodes.name(copy)

    def inline(self, call: gast.Call, visible: dict, before: list) -> gast.AST:
        """The statements of one call, appended to `before`, and its value."""
        name = call.func.id
        local = visible.get(name)
        if local is None:
            raise UnsupportedSyntaxError(
                f"the local function '{name}' is called where its definition may not have "
                "run", self.parsed.location(call),
                help="Instead: define it before the call, in the same block as the call "
                "or in a block enclosing it.")
        arguments = _bind(self.parsed, self.definitions[name], call)
        arguments.update((p, nodes.clone(local.defaults[p])) for p in local.params
                         if p not in arguments)
        renamed: dict = {}
        for param, value in arguments.items():
            if param == local.spread and param not in local.written:
                renamed[param] = nodes.located(nodes.tuple_(
                    [self.held(elt, name, param, local, call, before) for elt in value.elts]),
                    value)
                continue
            if param == local.unpacked and param not in local.written:
                renamed[param] = nodes.located(gast.Dict(
                    keys=value.keys,
                    values=[self.held(v, name, param, local, call, before)
                            for v in value.values]), value)
                continue
            if param in local.written or not _plain(value) or _names_shared(value, local):
                copy = self.namer.fresh(f"{name}_{param.lstrip('_')}")
                before.append(nodes.located(nodes.assign(copy, value), call))
                value = nodes.name(copy)
            renamed[param] = value
        for own in local.own:
            if own not in renamed:
                renamed[own] = nodes.name(self.namer.fresh(f"{name}_{own.lstrip('_')}"))
        *stmts, final = [_Renaming(renamed).visit(nodes.clone(s)) for s in local.body]
        if local.unpacked is not None and local.unpacked in renamed:
            stmts = [_KeywordsRead().visit(stmt) for stmt in stmts]
            final = _KeywordsRead().visit(final)
        if any(isinstance(value, gast.Name) and value.id in self.definitions
               for value in renamed.values()):
            _tests_calling_first(stmts, set(self.definitions))
            self.check_handed_over(stmts + [final])  # (a call written here was checked)
        before += self.block(stmts, visible)
        value = self.expand(final.value, visible, before)
        if _plain(value) and not _names_shared(value, local):
            return value
        result = self.namer.fresh(f"{name}_result")
        before.append(nodes.located(nodes.assign(result, value), final))
        return nodes.name(result)


def _read_by_key(body: list, name: str) -> bool:
    """Every use of `name` (a **kwargs parameter) in `body` reads it by key:
    `**name` in a call, `name['k']`, `name.get('k', default)`, `'k' in name`.
    Its keys are then those of the call, known when compiling."""
    parents = _body_parents(body)
    for stmt in body:
        for node in nodes.walk(stmt):
            if not (isinstance(node, gast.Name) and node.id == name):
                continue
            parent = parents.get(id(node), (None,))[0]
            if isinstance(parent, gast.keyword) and parent.arg is None or \
                    _only_read_entries(node, parents):
                continue
            if isinstance(parent, gast.Attribute) and parent.attr == "get":
                call = parents.get(id(parent), (None,))[0]
                if isinstance(call, gast.Call) and call.func is parent and _get_by_key(call):
                    continue
            if isinstance(parent, gast.Compare) and parent.comparators == [node] and \
                    isinstance(parent.ops[0], (gast.In, gast.NotIn)) and \
                    isinstance(parent.left, gast.Constant):
                continue
            return False
    return True


def _body_parents(body: list) -> dict:
    """Each node's parent (see _parents), over the statements of `body`."""
    parents = {}
    for stmt in body:
        parents.update(_parents(stmt))
    return parents


def _get_by_key(call: gast.Call) -> bool:
    """`d.get('k')` or `d.get('k', default)`, the default read, not computed
    (Python computes it whether the key is there or not)."""
    return not call.keywords and 1 <= len(call.args) <= 2 and \
        isinstance(call.args[0], gast.Constant) and \
        all(_plain(a) or isinstance(a, gast.Attribute) for a in call.args[1:])


class _KeywordsRead(gast.NodeTransformer):
    """The reads of a **kwargs parameter whose keys are known (`_read_by_key`),
    the parameter replaced by the call's dict display: `f(**{'a': v})` written
    `f(a=v)` (unless a name comes twice: Python's TypeError when it runs),
    `{'a': v}['a']` and `.get('a', d)` as `v`, `.get('b', d)` as `d`, `'a' in
    {...}` as True."""

    def visit_Call(self, node):
        self.generic_visit(node)
        if any(k.arg is None and _keyword_display(k.value) for k in node.keywords):
            written = [gast.keyword(arg=name, value=value) for name, value in _keywords(node)]
            names = [k.arg for k in written if k.arg is not None]
            if len(names) == len(set(names)):
                node.keywords = written
        func = node.func
        if isinstance(func, gast.Attribute) and func.attr == "get" and \
                _keyword_display(func.value) and _get_by_key(node):
            found = _entry(func.value, node.args[0].value)
            if found is not None:
                return found
            return node.args[1] if len(node.args) == 2 else nodes.copy_location(
                nodes.const(None), node)
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if _keyword_display(node.value) and isinstance(node.slice, gast.Constant) and \
                isinstance(node.ctx, gast.Load):
            found = _entry(node.value, node.slice.value)
            if found is not None:
                return found
        return node   # (a key the call did not pass: KeyError, as in Python)

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (gast.In, gast.NotIn)) and \
                isinstance(node.left, gast.Constant) and _keyword_display(node.comparators[0]):
            present = _entry(node.comparators[0], node.left.value) is not None
            return nodes.copy_location(
                nodes.const(present is isinstance(node.ops[0], gast.In)), node)
        return node


def _entry(display: gast.Dict, key):
    """The value `display` holds under the constant `key` (its last), or None."""
    found = None
    for candidate, value in zip(display.keys, display.values):
        if candidate.value == key:
            found = value
    return None if found is None else nodes.clone(found)


def _only_spread(body: list, name: str) -> bool:
    """Every use of `name` in `body` is `*name` in a call."""
    parents = _body_parents(body)
    return all(isinstance(parents.get(id(n), (None,))[0], gast.Starred)
               for stmt in body for n in nodes.walk(stmt)
               if isinstance(n, gast.Name) and n.id == name)


def _loops_over_a_sequence(body: list) -> bool:
    """A body whose last statement is its one `return` (inlined as it is, its
    value is the return's), with a `for` loop over a name (`for layer in
    layers`, a method's loop over a model's layers) and no break or continue:
    its control flow needs no lowering before it is inlined."""
    inner = [n for stmt in body[:-1] for n in nodes.walk(stmt)]
    return bool(body) and isinstance(body[-1], gast.Return) and \
        not any(isinstance(n, (gast.Return, gast.Break, gast.Continue)) for n in inner) and \
        any(isinstance(n, gast.For) and isinstance(n.iter, gast.Name) for n in inner)


def _names_shared(value, local: _Local) -> bool:
    """`value` is a variable a later call may change (see `_Local.shared`)."""
    return isinstance(value, gast.Name) and value.id in local.shared


def _is_docstring(stmt) -> bool:
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant) and \
        isinstance(stmt.value.value, str)


def _assigned(stmts) -> list:
    """The names `stmts` assign, in the order they are written."""
    names: list = []

    def visit(node):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            names.append(node.id)
        for child in gast.iter_child_nodes(node):
            visit(child)

    for stmt in stmts:
        visit(stmt)
    return list(dict.fromkeys(names))


def _element_write(node) -> bool:
    """`y[i] = v` or `y[i] += v`: rebinds `y` to an updated copy."""
    target = node.targets[0] if isinstance(node, gast.Assign) else \
        node.target if isinstance(node, gast.AugAssign) else None
    return isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name)


class _Calls(gast.NodeTransformer):
    def __init__(self, inliner: _Inliner, visible: dict, before: list):
        self.inliner, self.visible, self.before = inliner, visible, before

    def visit_Call(self, call):
        self.generic_visit(call)  # the arguments first, as Python evaluates them
        if self.inliner.is_call(call):
            return self.inliner.inline(call, self.visible, self.before)
        return call


class _Renaming(gast.NodeTransformer):
    """Replace the local function's own names by the call's: a fresh name, or
    for a parameter the body only reads, the argument itself."""

    def __init__(self, renamed: dict):
        self.renamed = renamed

    def visit_Name(self, node):
        new = self.renamed.get(node.id)
        if new is None:
            return node
        if isinstance(new, gast.Name):
            node.id = new.id  # the body is a copy made for this call
            return node
        return nodes.clone(new)


def _name_called_lambdas(parsed: ParsedFunction) -> None:
    """`(lambda y: y * y)(x)`, a lambda called where it is written, becomes
    `anonymous = lambda y: y * y` just before the statement holding it and
    `anonymous(x)` there, which is then inlined like any local function.
    Creating the lambda first changes nothing Python would see: it has no
    effect but evaluating its defaults, which happens at the same point of the
    statement as the inlined body runs. A lambda passed to a local function,
    `rk4(lambda y: -k * y, y0)`, is named the same way, and the name is passed
    (_passed_to_local checks that the callee only calls it)."""
    namer = None
    local = {name for stmt in _own_statements(parsed.tree.body)
             if (name := _defined_name(stmt)) is not None}

    def passed(call) -> list:
        """The lambdas among the arguments of a call of a local function."""
        if not (isinstance(call.func, gast.Name) and call.func.id in local):
            return []
        values = call.args + [keyword.value for keyword in call.keywords]
        return [value for value in values if isinstance(value, gast.Lambda)]

    def name(function: gast.Lambda, out: list) -> gast.Name:
        nonlocal namer
        if namer is None:
            namer = Namer(n.id for n in nodes.walk(parsed.tree) if isinstance(n, gast.Name))
        alias = namer.fresh("anonymous")
        definition = nodes.located(nodes.assign(alias, function), function)
        nodes.annotate(definition, "called_in_place", True)
        out.append(definition)
        return nodes.copy_location(nodes.name(alias), function)

    def visit(stmts: list) -> list:
        nonlocal namer
        out = []
        for stmt in stmts:
            if isinstance(stmt, (gast.If, gast.While, gast.For)):
                header = [getattr(stmt, "test", None), getattr(stmt, "iter", None)]
                stmt.body = visit(stmt.body)
                stmt.orelse = visit(stmt.orelse)
            elif isinstance(stmt, gast.FunctionDef):
                header = []
            else:
                header = [stmt]
            calls = [n for part in header if part is not None for n in _outside_lambdas(part)
                     if isinstance(n, gast.Call)]
            for call in calls:
                if isinstance(call.func, gast.Lambda):
                    call.func = name(call.func, out)
                for function in passed(call):
                    alias = name(function, out)
                    call.args = [alias if a is function else a for a in call.args]
                    for keyword in call.keywords:
                        if keyword.value is function:
                            keyword.value = alias
            out.append(stmt)
        return out

    parsed.tree.body = visit(parsed.tree.body)


def _outside_lambdas(node: gast.AST):
    """The nodes of `node`, without entering a lambda (its body has a scope of
    its own: a lambda called inside it cannot move out of it)."""
    yield node
    for child in gast.iter_child_nodes(node):
        if not isinstance(child, gast.Lambda):
            yield from _outside_lambdas(child)


def inline_local(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Inline every call of a function defined inside `parsed.tree`."""
    # Most functions (and all generated code, differentiated again) define
    # none: one walk finds that, instead of the checks' several.
    if not any(isinstance(n, (gast.FunctionDef, gast.Lambda)) and n is not parsed.tree
               for n in everything_of(parsed.tree, census)):
        return parsed
    if census is not None:
        census.forget()
    _inline_into(parsed, frozenset(), lift=True)
    return parsed


def _inline_into(parsed: ParsedFunction, reserved: frozenset, lift: bool) -> None:
    """Inline the calls of the functions defined in `parsed.tree` (the
    function, or a local function: `reserved`, the names of the functions
    enclosing it, which the names it gets must not shadow)."""
    # A local function defining functions of its own gets them inlined into
    # it first, as this function gets its own: what it reads of the enclosing
    # function's variables it reads where it is called, as Python's closure does.
    # (On a copy: where that fails, the function is left as written, for the
    # steps below: lifted to be differentiated on its own, or refused.)
    enclosing = reserved | {n.id for n in nodes.walk(parsed.tree) if isinstance(n, gast.Name)}
    for stmt in list(_own_statements(parsed.tree.body)):
        if isinstance(stmt, gast.FunctionDef) and not stmt.decorator_list and any(
                isinstance(n, (gast.FunctionDef, gast.Lambda))
                for part in stmt.body for n in nodes.walk(part)):
            copy = nodes.clone(stmt)
            try:
                _inline_into(dataclasses.replace(parsed, tree=copy), enclosing, lift=False)
            except AdError:
                continue
            stmt.body = copy.body
    _name_called_lambdas(parsed)
    _spread_known_tuples(parsed.tree)
    _spread_known_dicts(parsed.tree)
    _aliases_called_by_their_function(parsed.tree)
    _functions_stored_in_fields(parsed.tree)
    _dispatch_tables(parsed.tree)
    _tests_calling_first([parsed.tree], local_function_names(parsed.tree,
                                                            list(nodes.walk(parsed.tree))))
    if lift:
        # ad.grad(inner) of a local function: `inner` differentiated on its
        # own, before the checks below refuse passing it to a function.
        defined = {name: stmt for stmt in _own_statements(parsed.tree.body)
                   if (name := _defined_name(stmt)) is not None}
        lifted_functions.lift(parsed, defined, lambda name: _may_change_state(
            parsed, defined, name, set()))
        # A local function reading none of the function's variables, handed to
        # a function with a rule (odeint's right-hand side): lifted too.
        lifted_functions.lift_handed_to_rules(parsed, defined)
        # A local function calling itself: lifted into a function of its own,
        # differentiated as module-level recursion is.
        lifted_functions.lift_recursive(parsed, defined)
    definitions = _check(parsed)
    if not definitions:
        return
    tree = nodes.clone(parsed.tree)
    namer = Namer({n.id for n in nodes.walk(tree) if isinstance(n, gast.Name)} | reserved)
    namer.reserve(*definitions)
    _keep_order_of_evaluation(parsed, tree, definitions, namer)
    # Rewritten on a copy: the body's control flow is lowered with the names
    # of the function as written, and an error leaves `parsed` untouched.
    parsed.tree.body = _Inliner(parsed, definitions, namer).block(tree.body, {})


def _aliases_called_by_their_function(tree: gast.FunctionDef) -> None:
    """`h = g` of a local function `g`, `h` bound nowhere else (`act =
    softplus`): each use of `h` is a use of `g`, which the checks below then
    judge (a call is inlined). `g` must be bound once too, so that `h` holds
    it wherever `h` is read after the binding."""
    everything = list(nodes.walk(tree))
    functions = local_function_names(tree, everything)
    if not functions:
        return
    bindings = nodes.assignment_counts(tree)   # (and the defs; a name global there, twice)
    for node in everything:
        if isinstance(node, gast.FunctionDef) and node is not tree:
            bindings[node.name] += 1
        elif isinstance(node, (gast.Global, gast.Nonlocal)):
            for name in node.names:
                bindings[name] += 2
    candidates = [(stmt, block) for node in nodes.statements(tree)
                  for block in (getattr(node, f, None) for f in ("body", "orelse"))
                  if isinstance(block, list) for stmt in block
                  if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                  isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Name)
                  and bindings.get(stmt.targets[0].id) == 1
                  and bindings.get(stmt.value.id) == 1 and stmt.targets[0].id not in functions]
    aliases: dict = {}
    while True:   # (an alias of an alias: `again = act`)
        found = {stmt.targets[0].id: (stmt, block) for stmt, block in candidates
                 if stmt.value.id in functions or stmt.value.id in aliases}
        if len(found) == len(aliases):
            break
        aliases = found
    if not aliases:
        return
    for name, (stmt, block) in aliases.items():
        block.remove(stmt)

    def original(name: str) -> str:   # (an alias of an alias)
        while name in aliases:
            name = aliases[name][0].value.id
        return name
    for node in everything:
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and node.id in aliases:
            node.id = original(node.id)
    for stmt, block in aliases.values():
        if not block:
            block.append(nodes.copy_location(gast.Pass(), stmt))


def _functions_stored_in_fields(tree: gast.FunctionDef) -> None:
    """`Dense(W, activation=lambda z: z ** 2)` of an object the function builds:
    local_objects.py made its constructor a local function storing the
    argument in a variable of the function (`layer_activation = activation`,
    one of the names the method shares), called by its other methods
    (`layer_activation(v @ layer_W)`). Where the constructor is called once,
    that parameter given a local function there and only stored, and the
    variable bound nowhere else and only called, each call of the variable
    calls the local function itself, which inlining then puts in its place;
    the store goes (nothing else reads the variable)."""
    everything = list(nodes.walk(tree))
    functions = local_function_names(tree, everything)
    definitions = {n.name: n for n in everything if isinstance(n, gast.FunctionDef)
                   and n is not tree and nodes.annotation(n, "shared_names", None)}
    if not functions or not definitions:
        return
    calls: dict = {}
    stores: dict = {}
    loads: dict = {}
    parents = _parents(tree)
    for node in everything:
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name):
            calls.setdefault(node.func.id, []).append(node)
        if isinstance(node, gast.Name):
            (loads if isinstance(node.ctx, gast.Load) else stores).setdefault(
                node.id, []).append(node)
    for name, definition in definitions.items():
        if len(calls.get(name, ())) != 1 or len(loads.get(name, ())) != 1:
            continue   # (a constructor called once, and only called)
        call = calls[name][0]
        try:
            bound = inspect.Signature(_signature(definition.args)).bind(
                *call.args, **{k.arg: k.value for k in call.keywords if k.arg is not None})
        except TypeError:
            continue
        shared = nodes.annotation(definition, "shared_names")
        for statement in list(definition.body):
            if not (isinstance(statement, gast.Assign) and len(statement.targets) == 1 and
                    isinstance(statement.targets[0], gast.Name) and
                    isinstance(statement.value, gast.Name)):
                continue
            field, param = statement.targets[0].id, statement.value.id
            given = bound.arguments.get(param)
            read_inside = [n for part in definition.body for n in nodes.walk(part)
                           if isinstance(n, gast.Name) and n.id == param]
            if field not in shared or not isinstance(given, gast.Name) or \
                    given.id not in functions or len(stores.get(field, ())) != 1 or \
                    read_inside != [statement.value]:
                continue
            uses = loads.get(field, ())
            if not uses or not all(isinstance(parents[id(use)][0], gast.Call) and
                                   parents[id(use)][0].func is use for use in uses):
                continue
            for use in uses:
                use.id = given.id
            definition.body.remove(statement)


def _dispatch_tables(tree: gast.FunctionDef) -> None:
    """`ops = {"square": lambda v: v ** 2, "exp": np.exp}` bound once, holding a
    local function, and only called through, `ops[name](x)`: the display
    becomes a local function choosing as the dict's lookup does,

        def ops_call(key, x):
            if key == "square":
                return anonymous(x)
            if key == "exp":
                return np.exp(x)
            raise KeyError(key)

    and each call `ops_call(name, x)` (one such function per number of
    arguments), inlined then with the function chosen inlined in its branch.
    The key is computed before the arguments, as Python computes `ops[name]`
    first; a key the dict does not hold raises KeyError, as the lookup does.
    Keys are string or integer constants, values names or attributes."""
    everything = list(nodes.walk(tree))
    functions = local_function_names(tree, everything)
    if not functions:
        return
    stores, loads = {}, {}
    for node in everything:
        if isinstance(node, gast.Name):
            (loads if isinstance(node.ctx, gast.Load) else stores).setdefault(
                node.id, []).append(node)
    parents = None
    for stmt in list(_own_statements(tree.body)):
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Dict) and
                stmt.value.keys and all(isinstance(k, gast.Constant) and type(k.value) in
                                        (str, int) for k in stmt.value.keys) and
                all(isinstance(v, (gast.Name, gast.Attribute)) for v in stmt.value.values) and
                any(isinstance(v, gast.Name) and v.id in functions
                    for v in stmt.value.values)):
            continue
        name = stmt.targets[0].id
        if len(stores.get(name, ())) != 1 or not all(
                _bound_for_good(value, functions, stores) for value in stmt.value.values):
            continue
        parents = parents or _parents(tree)
        calls = []
        for use in loads.get(name, ()):
            subscript = parents.get(id(use), (None,))[0]
            call = parents.get(id(subscript), (None,))[0] if subscript is not None else None
            if not (isinstance(subscript, gast.Subscript) and subscript.value is use and
                    isinstance(call, gast.Call) and call.func is subscript and
                    not call.keywords and
                    not any(isinstance(a, gast.Starred) for a in call.args)):
                break
            calls.append(call)
        else:
            if calls:
                _dispatch(tree, stmt, name, calls, everything)


def _bound_for_good(value, functions: set, stores: dict) -> bool:
    """A table's value that means, where the choosing function reads it, what
    it meant where the table was built: a local function (bound once: the
    checks refuse binding its name again) or a name, or attribute chain of
    one, the function never binds (a global, a module)."""
    while isinstance(value, gast.Attribute):
        value = value.value
    return isinstance(value, gast.Name) and (value.id in functions or value.id not in stores)


def _takes(definition, arity: int) -> bool:
    """Whether a call with `arity` positional arguments binds to the local
    function `definition` (a def, or a name bound to a lambda)."""
    try:
        inspect.Signature(_signature(_arguments(definition))).bind(*range(arity))
    except TypeError:
        return False
    return True


def _dispatch(tree, stmt: gast.Assign, name: str, calls: list, everything: list) -> None:
    """Write `stmt`'s table as the choosing functions and its calls as calls of them."""
    defined = {n: s for s in _own_statements(tree.body) if (n := _defined_name(s)) is not None}
    namer = Namer(n.id for n in everything if isinstance(n, gast.Name))
    table = dict(zip((k.value for k in stmt.value.keys), stmt.value.values))  # (the last wins)
    definitions = {}
    for arity in sorted({len(call.args) for call in calls}):
        key = namer.fresh("key")
        params = [namer.fresh(f"argument{k}") for k in range(arity)]
        def chosen(value):
            if isinstance(value, gast.Name) and value.id in defined and \
                    not _takes(defined[value.id], arity):
                # (Python's TypeError, raised only where the key chooses it)
                return gast.Raise(exc=nodes.call("TypeError", [nodes.const(
                    f"{value.id}() does not take {arity} positional arguments")]), cause=None)
            return nodes.return_(nodes.call(nodes.clone(value), [nodes.name(p) for p in params]))
        body = [nodes.located(gast.If(
            test=gast.Compare(left=nodes.name(key), ops=[gast.Eq()],
                              comparators=[nodes.const(constant)]),
            body=[nodes.located(chosen(value), value)],
            orelse=[]), stmt) for constant, value in table.items()]
        body.append(nodes.located(gast.Raise(exc=nodes.call("KeyError", [nodes.name(key)]),
                                             cause=None), stmt))
        function = namer.fresh(f"{name}_call" if arity == 1 else f"{name}_call{arity}")
        args = gast.arguments(args=[nodes.name(n, "param") for n in [key] + params],
                              posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                              kwarg=None, defaults=[])
        definitions[arity] = nodes.located(gast.FunctionDef(
            name=function, args=args, body=body, decorator_list=[], returns=None,
            type_comment=None, type_params=[]), stmt)
    for call in calls:
        subscript = call.func
        call.func = nodes.copy_location(nodes.name(definitions[len(call.args)].name), subscript)
        call.args = [subscript.slice] + call.args

    def replacement(statement):
        return list(definitions.values()) if statement is stmt else None

    nodes.replace_statements(tree, replacement, into_functions=False)


def _spread_known_tuples(tree: gast.FunctionDef) -> None:
    """`g(*pair)` of a local function, where `pair` is bound once, to a tuple
    display (`pair = (np.sin(x), np.cos(x))`): `g(*(pair[0], pair[1]))`,
    whose values the call binds one by one. A tuple cannot change, so
    reading its items where Python unpacks it gives the same values."""
    local = local_function_names(tree, list(nodes.walk(tree)))
    starred = [arg for n in nodes.walk(tree) if isinstance(n, gast.Call) and
               isinstance(n.func, gast.Name) and n.func.id in local
               for arg in n.args if isinstance(arg, gast.Starred) and
               isinstance(arg.value, gast.Name)]
    if not starred:
        return
    bindings: dict = {}
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            bindings.setdefault(node.id, []).append(node)
    displays = {}
    for stmt in nodes.walk(tree):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Tuple) \
                and not any(isinstance(e, gast.Starred) for e in stmt.value.elts) and \
                bindings.get(stmt.targets[0].id) == [stmt.targets[0]]:
            displays[stmt.targets[0].id] = len(stmt.value.elts)
    for arg in starred:
        length = displays.get(arg.value.id)
        if length is not None:
            items = [nodes.copy_location(gast.Subscript(
                value=nodes.clone(arg.value), slice=nodes.const(k), ctx=gast.Load()), arg)
                for k in range(length)]
            arg.value = nodes.copy_location(nodes.tuple_(items), arg.value)


def _spread_known_dicts(tree: gast.FunctionDef) -> None:
    """`g(**cfg)` of a local function, where `cfg` is bound once, to a dict
    display with string keys, and read nowhere but as `**cfg` and `cfg[key]`
    (so no entry is added, removed or written): `g(**{'a': cfg['a'], ...})`,
    whose keywords the call binds by name. Reading the entries where Python
    unpacks the dict gives the same values."""
    local = local_function_names(tree, list(nodes.walk(tree)))
    unpacked = [keyword for n in nodes.walk(tree) if isinstance(n, gast.Call) and
                isinstance(n.func, gast.Name) and n.func.id in local
                for keyword in n.keywords if keyword.arg is None and
                isinstance(keyword.value, gast.Name)]
    if not unpacked:
        return
    bindings: dict = {}
    parents = _parents(tree)
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name):
            bindings.setdefault(node.id, []).append(node)
    displays = {}
    for stmt in nodes.walk(tree):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name) and _keyword_display(stmt.value):
            name = stmt.targets[0].id
            uses = [n for n in bindings.get(name, ()) if n is not stmt.targets[0]]
            if all(_only_read_entries(use, parents) for use in uses):
                displays[name] = [key.value for key in stmt.value.keys]
    for keyword in unpacked:
        keys = displays.get(keyword.value.id)
        if keys is not None:
            entries = [nodes.copy_location(gast.Subscript(
                value=nodes.clone(keyword.value), slice=nodes.const(key), ctx=gast.Load()),
                keyword.value) for key in keys]
            keyword.value = nodes.copy_location(gast.Dict(
                keys=[nodes.const(key) for key in keys], values=entries), keyword.value)


def _only_read_entries(use: gast.Name, parents: dict) -> bool:
    """`use` (a dict's name) is `**d` in a call or `d[<constant>]` read."""
    if not isinstance(use.ctx, gast.Load):
        return False
    parent = parents.get(id(use), (None,))[0]
    if isinstance(parent, gast.keyword):
        return parent.arg is None
    return isinstance(parent, gast.Subscript) and parent.value is use and \
        isinstance(parent.ctx, gast.Load) and isinstance(parent.slice, gast.Constant)


def _tests_calling_first(stmts: list, local: set) -> None:
    """`while f(w - t * g) > bound: ...` (a backtracking line search) of a
    local function f (a name in `local`): the test becomes the loop's first
    statement (desugar.test_first, as for an assignment expression in a while
    test), where the call is inlined once per iteration. A loop with an
    `else` block stays as written, and is refused."""
    loops = [n for stmt in stmts for n in nodes.walk(stmt) if isinstance(n, gast.While)]
    for loop in loops:
        if loop.orelse or not any(
                isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id in local
                for n in nodes.walk(loop.test)):
            continue
        test = loop.test
        loop.body = [nodes.located(test_first(loop), test)] + loop.body
        loop.test = nodes.copy_location(loop.test, test)


def _keep_order_of_evaluation(parsed: ParsedFunction, tree, definitions: dict,
                              namer: Namer) -> None:
    """A call's body runs before its statement, so an operand Python
    evaluates before the call (`L[0]` in `y = L[0] + push()`) would see what
    the call changes: such operands are computed first (evaluation_order.py),
    before each call of a local function that may change something its
    caller reads. Calls of the others leave the code as it is. A parameter
    a local function calls may be handed a function that changes state
    (`a = v[0] + f(v)` in a helper given `bump`, which writes v[0]): its
    calls count as such calls."""
    changing = {name for name in definitions
                if _may_change_state(parsed, definitions, name, set())}
    # (names a local function declares nonlocal: its calls may bind them again)
    rebound = frozenset().union(*[nodes.annotation(d, "nonlocal_names", frozenset())
                                  for d in definitions.values()])
    scopes = [tree] + [n for n in nodes.walk(tree)
                       if isinstance(n, gast.FunctionDef) and n is not tree]
    for scope in scopes:
        names = changing if scope is tree else changing | _called_parameters(scope)
        if not names:
            continue
        calls = {id(n) for n in nodes.walk(scope) if isinstance(n, gast.Call)
                 and isinstance(n.func, gast.Name) and n.func.id in names}
        if calls:
            scope.body = Spill(parsed, calls, set(), namer,
                               callee="a local function that changes a value in place",
                               rebound=rebound).block(scope.body)


def _called_parameters(definition: gast.FunctionDef) -> set:
    """The parameters `definition` calls, `f(v)`."""
    params = set(_parameter_names(definition.args))
    return {n.func.id for n in nodes.walk(definition) if isinstance(n, gast.Call)
            and isinstance(n.func, gast.Name) and n.func.id in params}


# NumPy functions that write into an argument (without out=).
_WRITING = ("copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis", "at")


def _may_change_state(parsed: ParsedFunction, definitions: dict, name: str, seen: set) -> bool:
    """Whether local function `name` may change a value its caller can read:
    it writes an element or an attribute, updates with `+=` (an array in
    place), passes out=, calls a method of a value (L.append), a NumPy
    function that writes into an argument, a Python function of the user's,
    or a local function that may."""
    seen.add(name)
    if nodes.annotation(definitions[name], "nonlocal_names"):
        return True  # (it assigns the caller's variables: desugar.py)
    for node in nodes.walk(definitions[name]):
        if isinstance(node, (gast.Subscript, gast.Attribute)) and \
                isinstance(node.ctx, gast.Store) or \
                isinstance(node, (gast.Delete, gast.AugAssign, gast.Global, gast.Nonlocal)):
            return True
        if not isinstance(node, gast.Call):
            continue
        if any(keyword.arg == "out" for keyword in node.keywords):
            return True
        func = node.func
        if isinstance(func, gast.Name) and func.id in definitions:
            if func.id not in seen and _may_change_state(parsed, definitions, func.id, seen):
                return True
            continue
        root = func
        while isinstance(root, gast.Attribute):
            root = root.value
        found, value = parsed.lookup(root.id) if isinstance(root, gast.Name) else (False, None)
        if not found:
            return True  # a method of a value the function holds, or unknown
        if isinstance(func, gast.Attribute):
            if not inspect.ismodule(value) or func.attr in _WRITING:
                return True
            value = _attribute_value(func, value)
        if _is_python_function(value):
            return True  # a Python function of the user's may write into what it is passed
    return False
