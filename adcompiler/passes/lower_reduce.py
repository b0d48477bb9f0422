"""Lower `functools.reduce(f, xs, init)` and `math.prod(xs, start=s)` into
the loops they stand for.

Input: a fenced FunctionDef. A statement `y = functools.reduce(f, xs, init)`
(or `return np.sum(functools.reduce(...))`, `y += ...` of a name), at any depth
of the body, with `f` a lambda of two parameters or a function named by a name
or an attribute chain (a module-level function, an imported one, a local
`def`), becomes:

    y = functools.reduce(                 reduce_items = xs
        lambda a, b: a * b + c, xs, 1.0)  reduce_value = 1.0
                                          for reduce_item in reduce_items:
                                              reduce_value = (lambda a, b: a * b + c)(
                                                  reduce_value, reduce_item)
                                          y = reduce_value

as Python's reduce computes it: `xs` and `init` evaluated once, in order,
then `f` applied left to right over what iterating `xs` gives (an array's
rows, a dict's keys); a generator expression given to a function without
effects (the operator module's, min, max, one with a rule) is read as the
list of its items, which that function cannot tell apart (any other stays a
generator, refused). Later passes differentiate the loop (the lambda called
in place is inlined by inline_local.py, a named function called as any
helper). Without `init`, the first item takes its place (a flag tells the
first iteration) and an empty iterable raises TypeError, as in Python. Other
forms stay as written and are refused where they are: a reduce Python may not
evaluate (a branch of `a if c else b`, a later operand of `and`), or reached
through anything but calls, arithmetic, indexing and displays; keywords. A reduce inside
arithmetic (`x[0] * reduce(...)`) runs before its statement, after what Python
evaluates before it there, which goes into a temporary first
(`reduce_operand = x[0]`), so effects keep their order.

`math.prod(xs, start=s)` is the same loop with the product as its step,
`reduce_value = reduce_value * reduce_item` from `start` (1 when not given):
math.prod multiplies the running product by each item in turn, by Python's
`*` (its fast paths for ints and floats give what `*` gives), so the value
is the same number, and the loop's derivative is exact where an item is an
exact zero (a quotient by the item would not be).

Place in the pipeline: before lower_comprehensions and inline_local, which
lower what the loop holds.
"""

from __future__ import annotations

import functools
import math

import gast

from .. import nodes
from ..naming import Namer
from ..rules import registry
from ..source import ParsedFunction
from .census import Census
from .evaluation_order import set_slot
from .resolve import local_names, module_value


def lower_reduce(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Rewrite the `functools.reduce(f, xs, init)` statements of `parsed.tree`."""
    tree = parsed.tree
    if census is None:
        census = Census(tree)
    called = census.callees(parsed)
    calls = [n for n, value in called if value is functools.reduce or value is math.prod]
    products = {id(n) for n, value in called if value is math.prod}
    if not calls:
        return parsed
    census.forget()
    namer = Namer(n.id for n in nodes.walk(tree) if isinstance(n, gast.Name))
    local = local_names(tree)

    def block(stmts: list) -> list:
        out = []
        for stmt in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list) and \
                        not isinstance(stmt, gast.FunctionDef):
                    setattr(stmt, field, block(getattr(stmt, field)))
            out += lowered(stmt)
        return out

    def lowered(stmt) -> list:
        """`stmt`, after the statements computing its reduces. The one Python
        evaluates last goes first: what Python evaluates before it, the other
        reduces among it, goes into temporaries, lowered in turn."""
        # y[i] += reduce(...) reads y[i] before the reduce runs: it stays.
        if not isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Return, gast.Expr)) or \
                isinstance(stmt, gast.AugAssign) and not isinstance(stmt.target, gast.Name) or \
                getattr(stmt, "value", None) is None:
            return [stmt]
        found = _last_evaluated(stmt, calls)
        if found is None:
            return [stmt]
        call, parent, field, index, earlier = found
        product = id(call) in products
        if not (_lowerable_product(call) if product else _lowerable(call)):
            return [stmt]
        if not product and isinstance(call.args[1], gast.GeneratorExp) and \
                _without_effects(module_value(parsed, call.args[0], local)):
            # reduce(operator.add, (e for v in xs)) pulls the items one by one
            # between the function's calls; a function without effects cannot
            # tell that from the list of them: [e for v in xs].
            generator = call.args[1]
            call.args[1] = nodes.copy_location(
                gast.ListComp(elt=generator.elt, generators=generator.generators), generator)
        out = [s for spilled in _spilled(earlier, namer) for s in lowered(spilled)]
        out += (_product_loop if product else _loop)(call, parent, field, index, namer)
        return out + [stmt]

    tree.body = block(tree.body)
    return parsed


def _last_evaluated(stmt, calls: list):
    """(reduce call, parent, field, index, earlier) for the reduce of the
    statement's value that Python evaluates last, when each is reached
    through calls (as an argument), arithmetic, indexing and list or tuple
    displays only: Python then evaluates it every time the statement runs.
    `earlier` are the slots (parent, field, index) of the operands Python
    evaluates before it on that path (`x[0]` in `x[0] * reduce(...)`), which go
    into temporaries first so that effects keep their order; the statement's
    other reduces must be among them. What Python evaluates after the reduce
    stays in the statement. Else None."""
    found = [c for c in nodes.walk(stmt.value) if any(c is r for r in calls)]
    for call in found:
        path = _path_to(stmt, call)
        if path is None:
            return None
        earlier = path[-1]
        inside = [n for parent, field, index in earlier
                  for n in nodes.walk(getattr(parent, field) if index is None
                                      else getattr(parent, field)[index])]
        if all(other is call or any(other is n for n in inside) for other in found):
            return path
    return None


def _path_to(stmt, call):
    """(call, parent, field, index, earlier) on the path from the statement's
    value to `call` (see `_last_evaluated`), or None."""
    earlier = []
    node, parent, field, index = stmt.value, stmt, "value", None
    while node is not call:
        step = None
        for name, value in gast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            for position, child in enumerate(children):
                if isinstance(child, gast.AST) and any(
                        n is call for n in nodes.walk(child)):
                    step = (child, name, position if isinstance(value, list) else None)
        if step is None:
            return None
        if isinstance(node, gast.BinOp):
            if step[1] == "right":
                earlier.append((node, "left", None))
        elif isinstance(node, gast.Call) and step[1] == "args":
            # The callee stays as written (rules are found by its spelling):
            # only one whose evaluation cannot have effects.
            if not all(isinstance(n, (gast.Name, gast.Attribute, gast.expr_context))
                       for n in nodes.walk(node.func)):
                return None
            if any(isinstance(a, gast.Starred) for a in node.args[:step[2]]):
                return None
            earlier += [(node, "args", i) for i in range(step[2])]
        elif isinstance(node, (gast.List, gast.Tuple)) and step[1] == "elts":
            if any(isinstance(e, gast.Starred) for e in node.elts[:step[2]]):
                return None
            earlier += [(node, "elts", i) for i in range(step[2])]
        elif not (isinstance(node, gast.UnaryOp) or
                  isinstance(node, gast.Subscript) and step[1] == "value"):
            return None
        parent, (node, field, index) = node, step
    return call, parent, field, index, earlier


def _spilled(earlier: list, namer: Namer) -> list:
    """Assignments evaluating the `earlier` operands into temporaries, in
    order, each operand replaced by its temporary. Names and constants cannot
    change before the reduce runs and stay."""
    stmts = []
    for parent, field, index in earlier:
        node = getattr(parent, field) if index is None else getattr(parent, field)[index]
        if not any(isinstance(n, (gast.Call, gast.Subscript)) for n in nodes.walk(node)):
            continue
        temp = namer.fresh("reduce_operand")
        stmts.append(nodes.located(nodes.assign(temp, node), node))
        name = nodes.copy_location(nodes.name(temp), node)
        if index is None:
            setattr(parent, field, name)
        else:
            getattr(parent, field)[index] = name
    return stmts


def _without_effects(function) -> bool:
    """A function whose calls change nothing and read only their arguments:
    the operator module's, min and max, or one with a derivative rule (NumPy's,
    math's)."""
    if function is None:
        return False
    return getattr(function, "__module__", None) in ("operator", "_operator") or \
        function is min or function is max or registry.lookup(function) is not None


def _lowerable(call: gast.Call) -> bool:
    if len(call.args) not in (2, 3) or call.keywords or \
            any(isinstance(a, gast.Starred) for a in call.args):
        return False
    function = call.args[0]
    if isinstance(function, gast.Lambda):
        args = function.args
        return len(args.args) == 2 and not args.defaults and args.vararg is None and \
            args.kwarg is None and not args.kwonlyargs and not args.posonlyargs
    while isinstance(function, gast.Attribute):
        function = function.value
    return isinstance(function, gast.Name)


def _lowerable_product(call: gast.Call) -> bool:
    """math.prod(xs) or math.prod(xs, start=s): its one positional parameter,
    and `start` only by keyword, as math.prod takes them."""
    return len(call.args) == 1 and not isinstance(call.args[0], gast.Starred) and \
        all(k.arg == "start" for k in call.keywords)


def _product_loop(call: gast.Call, parent, field: str, index, namer: Namer) -> list:
    """`_loop` of math.prod: Python evaluates xs, then start, then multiplies."""
    items, value, item = _loop_names(namer)
    start = call.keywords[0].value if call.keywords else nodes.const(1)
    step = nodes.assign(value, nodes.binop(nodes.name(value), gast.Mult(), nodes.name(item)))
    stmts = [nodes.assign(items, call.args[0]), nodes.assign(value, start),
             nodes.for_(item, nodes.name(items), [step])]
    _replace(call, parent, field, index, value)
    return [nodes.located(s, call) for s in stmts]


def _loop_names(namer: Namer) -> tuple:
    return tuple(namer.fresh(n) for n in ("reduce_items", "reduce_value", "reduce_item"))


def _replace(call: gast.Call, parent, field: str, index, value: str) -> None:
    """The call (in `parent.field[index]`) becomes the variable `value`."""
    set_slot((parent, field, index), nodes.copy_location(nodes.name(value), call))


def _loop(call: gast.Call, parent, field: str, index, namer: Namer) -> list:
    """The statements computing the reduce before its statement; the call
    (in `parent.field[index]`) becomes the variable holding the result."""
    function, iterable = call.args[:2]
    items, value, item = _loop_names(namer)
    step = nodes.assign(value, nodes.call(nodes.clone(function),
                                          [nodes.name(value), nodes.name(item)]))
    stmts = [nodes.assign(items, iterable)]
    if len(call.args) == 3:
        stmts += [nodes.assign(value, call.args[2]), nodes.for_(item, nodes.name(items), [step])]
    else:
        # No initial value: the first item is, and an empty iterable raises.
        started = namer.fresh("reduce_started")
        first = [nodes.assign(value, nodes.name(item)), nodes.assign(started, nodes.const(True))]
        stmts += [nodes.assign(started, nodes.const(False)),
                  nodes.for_(item, nodes.name(items),
                             [nodes.if_(nodes.name(started), [step], first)]),
                  nodes.if_(nodes.unary_not(nodes.name(started)), [nodes.raise_(nodes.call(
                      nodes.name("TypeError"),
                      [nodes.const("reduce() of empty iterable with no initial value")]))])]
    result = nodes.copy_location(nodes.name(value), call)
    if index is None:
        setattr(parent, field, result)
    else:
        getattr(parent, field)[index] = result
    return [nodes.located(s, call) for s in stmts]
