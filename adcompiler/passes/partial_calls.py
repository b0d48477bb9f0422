"""`functools.partial` built inside the differentiated function, called as the
call it stands for.

A partial built where it is called, or bound once to a name that is only
called, is the call of its function with the partial's arguments first and
its keywords merged under the call's (the call's own win, as in partial):

    def f(x, w):                                   def f(x, w):
        y = functools.partial(model, w, b=0.5)(x)      y = model(w, x, b=0.5)
        h = functools.partial(model, w)                return y + model(w, 2 * x)
        return y + h(2 * x)

Its arguments may be differentiated values: the call differentiates them
like any other. Python evaluates a partial's arguments when it builds the
partial, before the call's; the rewrite keeps that order where it matters:

* at the call (`partial(f, a, k=c)(b)`), `k`'s value moves after `b`, so
  either every keyword value of the partial or every argument of the call is
  a name or a constant (reading a name has no effect, and nothing in the
  call's arguments can rebind it: the fence refuses `:=`); else the call is
  left as it is;
* through a name bound once in the function's own body and only called
  (`h = partial(f, a * 2)`), the partial's values are computed where it is
  built, in order, into variables of their own (`h_arg0 = a * 2`), which each
  call reads: what the partial holds, whatever the function rebinds later.
  Its function is a module-level one, or a name bound once before.

Anything else stays as it is, and is refused where the partial is called
(operations.py says what is found). Runs inside resolve.py, once the
`functools.partial` chains are annotated.
"""

from __future__ import annotations

import collections
import functools

import gast

from .. import nodes
from ..naming import Namer
from ..source import ParsedFunction
from . import built_derivatives
from .evaluation_order import constant, plain

_MISSING = object()


def _is_partial(node) -> bool:
    """`functools.partial(f, ...)`, f a name or an attribute chain or a
    derivative adcompiler builds (`ad.grad(g, wrt=1)`, pure: building it
    earlier or later changes nothing), no `*`/`**`."""
    return isinstance(node, gast.Call) and node.args and \
        nodes.annotation(node.func, "value", _MISSING) is functools.partial and \
        (isinstance(node.args[0], (gast.Name, gast.Attribute)) or
         isinstance(node.args[0], gast.Call) and built_derivatives.is_builder(
             nodes.annotation(node.args[0].func, "value", None))) and \
        not any(isinstance(a, gast.Starred) for a in node.args) and \
        not any(k.arg is None for k in node.keywords)


def rewrite(parsed: ParsedFunction, everything: list) -> bool:
    """Rewrite the partials of `parsed.tree` (see the module docstring);
    whether anything changed. `everything`: the tree's nodes."""
    calls = [n for n in everything if isinstance(n, gast.Call) and _is_partial(n.func)]
    rewritten = [_called_where_built(parsed, call) for call in calls]
    bound = _bound_once(parsed, everything)
    namer = Namer(n.id for n in everything if isinstance(n, gast.Name))
    for name, (stmt, partial) in bound.items():
        _spill(parsed, stmt, partial, namer)
        for use in [n for n in nodes.walk(parsed.tree) if isinstance(n, gast.Call)
                    and isinstance(n.func, gast.Name) and n.func.id == name]:
            _merge(use, partial)
        parsed.tree.body.remove(stmt)
    return any(rewritten) or bool(bound)


def _called_where_built(parsed: ParsedFunction, call: gast.Call) -> bool:
    """Whether `call`, of a partial built there, became the call it stands for.
    One whose rewrite would change Python's order of evaluation is left as it
    is: it runs as written where it carries no derivative, and is refused
    (operations.py) where it does."""
    partial = call.func
    call_plain = all(plain(a) for a in call.args) and all(plain(k.value) for k in call.keywords)
    overridden = {k.arg for k in call.keywords}
    if not call_plain and not all(plain(k.value) for k in partial.keywords) or \
            any(k.arg in overridden and not plain(k.value) for k in partial.keywords):
        return False
    _merge(call, partial)
    return True


def _merge(call: gast.Call, partial: gast.Call) -> None:
    """`call` becomes the call of the partial's function with its arguments
    (a keyword given again where it is called replaces the partial's, whose
    value is then a name or a constant: reading it had no effect)."""
    overridden = {k.arg for k in call.keywords}
    call.func = nodes.clone(partial.args[0])
    call.args = [nodes.clone(a) for a in partial.args[1:]] + call.args
    call.keywords = [gast.keyword(arg=k.arg, value=nodes.clone(k.value))
                     for k in partial.keywords if k.arg not in overridden] + call.keywords


def _bound_once(parsed: ParsedFunction, everything: list) -> dict:
    """{name: (its binding, the partial)} for `name = functools.partial(...)`
    in the function's own body, the name bound nowhere else and only called
    after it, the partial's values constants or names bound once before."""
    tree = parsed.tree
    stores = collections.Counter(
        n.id for n in everything
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param)))
    params = {a.id for a in tree.args.args}
    assigned_at = {}
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name):
            assigned_at.setdefault(stmt.targets[0].id, index)
    parents = {}
    for node in everything:
        for child in gast.iter_child_nodes(node):
            parents[id(child)] = node
    found = {}
    for index, stmt in enumerate(tree.body):
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                isinstance(stmt.targets[0], gast.Name) and _is_partial(stmt.value)):
            continue
        name, partial = stmt.targets[0].id, stmt.value
        fixed = True
        if isinstance(partial.args[0], gast.Name):
            head = partial.args[0]
            fixed = stores[head.id] == 0 or head.id in params and stores[head.id] == 1 \
                or assigned_at.get(head.id, index) < index and stores[head.id] == 1
        uses = [n for n in everything if isinstance(n, gast.Name) and n.id == name
                and isinstance(n.ctx, gast.Load)]
        before = {id(n) for s in tree.body[:index + 1] for n in nodes.walk(s)}
        only_called = all(id(u) not in before and isinstance(parents.get(id(u)), gast.Call)
                          and parents[id(u)].func is u for u in uses)
        if fixed and only_called and stores[name] == 1 and uses:
            found[name] = (stmt, partial)
    return found


def _spill(parsed: ParsedFunction, stmt: gast.Assign, partial: gast.Call, namer) -> None:
    """The partial's values, computed where it is built and in its order, into
    variables of their own assigned just before `stmt`: each call then reads
    what the partial holds, whatever the function rebinds later."""
    name = stmt.targets[0].id
    index = parsed.tree.body.index(stmt)
    values = [(partial.args, k, f"{name}_arg{k - 1}") for k in range(1, len(partial.args))]
    values += [(partial.keywords, k, f"{name}_{keyword.arg}")
               for k, keyword in enumerate(partial.keywords)]
    spilled = []
    for holder, k, base in values:
        value = holder[k] if holder is partial.args else holder[k].value
        if constant(value):
            continue
        held = namer.fresh(base)
        parsed.local_names.add(held)
        spilled.append(nodes.located(nodes.assign(held, value), value))
        if holder is partial.args:
            holder[k] = nodes.copy_location(nodes.name(held), value)
        else:
            holder[k].value = nodes.copy_location(nodes.name(held), value)
    parsed.tree.body[index:index] = spilled
