"""Local generator functions, each looped over where it is called: the
generator's body runs in the loop's place, each `yield` running the loop's
body for the value it yields.

Input: a fenced FunctionDef whose comprehensions are lowered (a generator
expression over `g(x)` is then a `for` loop over it). Output: the same
function where each loop `for t in g(a, b): <body>`, g a generator function
defined in the function's body, is

    def times(t0, n):                        times_t0 = 0.0
        for i in range(n):                   times_n = 8
            yield t0 + i              ->     for times_i in range(times_n):
    for t in times(0.0, 8):                      t = times_t0 + times_i
        y = y + t                                y = y + t

This is how Python runs it: the arguments are computed when g is called,
the generator runs until it yields, the loop's body runs with the value,
the generator resumes, and so on until it ends; what either reads of the
other's variables it reads when it runs. The generator's own variables are
renamed (`times_i`), so the loop's body cannot change them. A `continue` of
the loop's body skips the rest of that body alone (the body runs inside a
loop of one pass).

A loop `for i, v in enumerate(g(a))` counts the items of the loop over
`g(a)` (lower_itertools.count_enumerated), which is inlined then.

A generator is inlined when every use of its name is such a loop (no
`else`, no `break` of its own: that would close the generator), called with
positional or keyword arguments for plain parameters (defaults constants),
and its body yields only as statements (`yield v`, not `x = yield v` nor
`yield from`), returns nowhere, defines no function and holds no try
statement (an exception of the loop's body is not the generator's). Any other
generator is refused with the line (inline_local.py).
"""

from __future__ import annotations

import inspect

import gast

from .. import nodes
from ..naming import Namer
from ..source import ParsedFunction
from .census import Census, everything_of
from .inline_local import _Renaming, _assigned, _signature
from .lower_itertools import count_enumerated
from .lower_try import is_try_body


def inline_generators(parsed: ParsedFunction, census: Census | None = None) -> bool:
    """Inline the loops over local generators of `parsed` (see the module
    docstring); whether the tree changed. A generator looping over another
    has that loop inlined once it stands in the body itself (a round more)."""
    code = getattr(parsed.function, "__code__", None)
    if code is not None and not _defines_a_generator(code):
        return False   # (most functions: the code object tells, without a walk)
    changed = False
    while _inline_once(parsed, census):
        changed, census = True, None
    return changed


def _defines_a_generator(code) -> bool:
    """Whether a function compiled inside `code` (at any depth) is a generator."""
    return any(isinstance(inner, type(code)) and (
        inner.co_flags & inspect.CO_GENERATOR or _defines_a_generator(inner))
        for inner in code.co_consts)


def _inline_once(parsed: ParsedFunction, census: Census | None) -> bool:
    everything = everything_of(parsed.tree, census)
    if not any(isinstance(n, gast.Yield) for n in everything):
        return False
    tree = parsed.tree
    generators = {stmt.name: stmt for stmt in tree.body if isinstance(stmt, gast.FunctionDef)
                  and _yields(stmt) and _inlinable(stmt)}
    if not generators:
        return False
    if count_enumerated(parsed, everything, lambda call: isinstance(call.func, gast.Name)
                        and call.func.id in generators):
        if census is not None:
            census.forget()
        census, everything = None, list(nodes.walk(tree))
    # (A loop inside a function the body defines is not this body's: a
    # generator looped over there stays, and is refused.)
    inside = {id(n) for definition in everything if isinstance(definition, gast.FunctionDef)
              and definition is not tree for n in nodes.walk(definition)}
    loops: dict = {}   # generator name -> the loops over it
    for name, definition in generators.items():
        uses = [n for n in everything if isinstance(n, gast.Name) and n.id == name and
                isinstance(n.ctx, gast.Load)]
        if any(isinstance(n, gast.Name) and n.id == name and not isinstance(n.ctx, gast.Load)
               for n in everything) or sum(isinstance(n, gast.FunctionDef) and n.name == name
                                           for n in everything) != 1:
            continue   # (the name bound to something else too: which it calls is Python's)
        over = [loop for loop in everything if id(loop) not in inside and
                isinstance(loop, gast.For) and
                isinstance(loop.iter, gast.Call) and isinstance(loop.iter.func, gast.Name) and
                loop.iter.func.id == name]
        if len(over) == len(uses) and all(_loop_inlinable(loop, definition) for loop in over):
            loops[name] = over
    if not loops:
        return False
    if census is not None:
        census.forget()
    namer = Namer({n.id for n in everything if isinstance(n, gast.Name)} |
                  set(parsed.globals) | set(parsed.closure) | set(parsed.bound))
    rewritten = {id(loop): (generators[name], loop) for name, over in loops.items()
                 for loop in over}

    def replacement(statement):
        if isinstance(statement, gast.FunctionDef) and statement.name in loops and \
                generators.get(statement.name) is statement:
            return []   # (every use of it is inlined)
        found = rewritten.get(id(statement))
        return None if found is None else _inlined(*found, namer)

    nodes.replace_statements(tree, replacement, into_functions=False)
    return True


def _yields(definition: gast.FunctionDef) -> bool:
    return any(isinstance(n, (gast.Yield, gast.YieldFrom)) for n in _own_nodes(definition))


def _own_nodes(definition: gast.FunctionDef) -> list:
    """The nodes of `definition`'s body, not those of functions defined in it."""
    out, todo = [], list(definition.body)
    while todo:
        node = todo.pop()
        out.append(node)
        if not isinstance(node, (gast.FunctionDef, gast.Lambda)):
            todo.extend(gast.iter_child_nodes(node))
    return out


def _inlinable(definition: gast.FunctionDef) -> bool:
    args = definition.args
    if definition.decorator_list or args.posonlyargs or args.kwonlyargs or \
            args.vararg is not None or args.kwarg is not None or \
            not all(isinstance(d, gast.Constant) for d in args.defaults):
        return False
    own = _own_nodes(definition)
    if any(isinstance(n, gast.If) and is_try_body(n.test) for n in own):
        # An exception the loop's body raises propagates from the loop, not
        # into the generator: its body cannot stand inside a try of the generator's.
        return False
    last = _final_return(definition)
    own = [n for n in own if n is not last and (last is None or n is not last.value)]
    statements = {id(n.value) for n in own if isinstance(n, gast.Expr)}
    return not any(isinstance(n, (gast.Return, gast.YieldFrom, gast.FunctionDef,
                                  gast.Lambda, gast.Global, gast.Nonlocal)) or
                   (isinstance(n, gast.Yield) and id(n) not in statements)
                   for n in own) and \
        definition.name not in nodes.names_loaded(definition)


def _final_return(definition: gast.FunctionDef):
    """The `return None` ending the body (the fence writes one where the
    function falls off its end), which ends the generator as the end does."""
    last = definition.body[-1] if definition.body else None
    if isinstance(last, gast.Return) and (last.value is None or nodes.is_none(last.value)):
        return last
    return None


def _loop_inlinable(loop: gast.For, definition: gast.FunctionDef) -> bool:
    call = loop.iter
    if loop.orelse or nodes.loop_breaks(loop.body, (gast.Break,)) or \
            any(isinstance(a, gast.Starred) for a in call.args) or \
            any(k.arg is None for k in call.keywords):
        return False
    try:
        _bound(definition, call)
    except TypeError:
        return False
    return True


def _bound(definition: gast.FunctionDef, call: gast.Call) -> inspect.BoundArguments:
    """The call's arguments bound to the generator's parameters (TypeError where
    they do not bind, as Python's)."""
    return inspect.Signature(_signature(definition.args)).bind(
        *call.args, **{k.arg: k.value for k in call.keywords})


def _inlined(definition: gast.FunctionDef, loop: gast.For, namer: Namer) -> list:
    """The statements standing for `loop` over a call of the generator."""
    call = loop.iter
    bound = _bound(definition, call)
    params = [a.id for a in definition.args.args]
    renamed = {}
    for name in params + _assigned(definition.body):
        renamed.setdefault(name, namer.fresh(f"{definition.name}_{name.lstrip('_')}"))
    # The arguments in the order written (Python's), then the defaults left.
    written = list(call.args) + [k.value for k in call.keywords]
    order = {param: next(i for i, v in enumerate(written) if v is value)
             for param, value in bound.arguments.items()}
    before = [nodes.located(nodes.assign(renamed[param], bound.arguments[param]), call)
              for param in sorted(order, key=order.get)]
    defaults = dict(zip(params[len(params) - len(definition.args.defaults):],
                        definition.args.defaults))
    before += [nodes.located(nodes.assign(renamed[param], nodes.clone(defaults[param])), call)
               for param in params if param not in order]
    body = loop.body
    if nodes.loop_breaks(body, (gast.Continue,)):   # the rest of this body skipped
        once = namer.fresh("_once")
        body = [nodes.located(gast.For(target=nodes.name(once, "store"),
                                       iter=nodes.call("range", [nodes.const(1)]),
                                       body=body, orelse=[], type_comment=None), loop)]

    class _Yields(gast.NodeTransformer):
        def visit_Expr(self, node):
            if not isinstance(node.value, gast.Yield):
                return self.generic_visit(node)
            value = node.value.value
            value = nodes.const(None) if value is None else value
            binding = nodes.located(gast.Assign(targets=[nodes.clone(loop.target)],
                                                value=value, type_comment=None), node)
            return [binding] + [nodes.clone(statement) for statement in body]

    inlined = []
    copy = nodes.clone(definition)
    if _final_return(copy) is not None:
        copy.body.pop()
    # The generator's own names first (its body defines no function), then
    # the yields, whose copies of the loop's body keep the caller's names.
    copy = _Renaming({old: nodes.name(new) for old, new in renamed.items()}).visit(copy)
    for statement in copy.body:
        result = _Yields().visit(statement)
        inlined += result if isinstance(result, list) else [result]
    return before + inlined
