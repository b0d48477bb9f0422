"""Loops over itertools' combinatoric iterators become loops over positions:
`for a, b in itertools.combinations(points, 2)` reads the points it pairs
from a tuple of them, at positions the iterator gives.

Input: a FunctionDef whose comprehensions are lowered (a generator over
`itertools.product(...)` is then a `for` loop). Output: the same function
where each `for` loop over `itertools.combinations`,
`combinations_with_replacement`, `permutations` (with a length written as a
whole number), `product` (also with `repeat=`) or `pairwise` of values
iterates over the positions instead, and binds its target to the items at
those positions:

    for a, b in itertools.combinations(x, 2):   ->   pool = tuple(x)
        e += np.sum((a - b) ** 2)                    for positions in itertools.combinations(
                                                             range(len(pool)), 2):
                                                         a, b = pool[positions[0]], pool[positions[1]]
                                                         e += np.sum((a - b) ** 2)

A loop over `itertools.accumulate(xs[, f][, initial=v])` becomes a loop over
xs keeping the running total (`_Lowering._accumulated`); one over
`itertools.zip_longest(a, b, fillvalue=v)` a loop over the positions of the
longest, each item read from its tuple or the fill value past its end.

This is how Python's itertools run them: combinations, permutations and
product first read their arguments whole into tuples (a NumPy array's rows,
a list's items), and yield tuples of those items in the order of their
positions; pairwise yields each item with the next. The positions carry no
derivative, and the items are read by indexing, which every mode
differentiates. A call with a length computed when the code runs, starred
arguments or other keywords is left as written (refused, where a
derivative meets it, as before).
"""

from __future__ import annotations

import itertools

import gast

from .. import nodes
from ..naming import Namer
from ..source import ParsedFunction
from .census import Census
from .resolve import local_names, module_value

# itertools' functions that read their iterables whole into tuples (or pair
# neighbours), and accumulate, which keeps a running total.
_POOLED = (itertools.combinations, itertools.combinations_with_replacement,
           itertools.permutations, itertools.product, itertools.pairwise,
           itertools.accumulate, itertools.zip_longest)


def lower_itertools(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Rewrite the loops over itertools' combinatoric iterators of `parsed`."""
    code = getattr(parsed.function, "__code__", None)
    names = set(code.co_names) if code is not None else None
    if names is not None and not names & {f.__name__ for f in _POOLED}:
        return parsed   # (most functions: the code object tells, without a walk)
    tree = parsed.tree
    if census is None:
        census = Census(tree)
    caller_locals = local_names(tree)

    def lowered_here(call) -> bool:
        function = module_value(parsed, call.func, caller_locals)
        return function in _POOLED and _plan(function, call) is not None

    if count_enumerated(parsed, census.everything, lowered_here):
        census.forget()
        census = Census(tree)
    loops = {}
    for node in census.everything:
        if isinstance(node, gast.For) and isinstance(node.iter, gast.Call):
            function = module_value(parsed, node.iter.func, caller_locals)
            plan = _plan(function, node.iter) if function in _POOLED else None
            if plan is not None and function is itertools.accumulate and \
                    plan[2] is not None and any(isinstance(n, (gast.Break, gast.Continue))
                                                for n in nodes.walk(node)):
                plan = None   # (its body runs first outside the loop: see _accumulated)
            if plan is not None:
                loops[id(node)] = (function,) + plan
    if not loops:
        return parsed
    census.forget()
    namer = parsed.namer()
    nodes.replace_statements(tree, _Lowering(loops, namer).replacement)
    return parsed


def count_enumerated(parsed: ParsedFunction, everything: list, iterator) -> bool:
    """`for i, v in enumerate(X, start)` of an iterator X this pass or another
    lowers to a loop (`iterator(X)` says so), which cannot be indexed as
    lower_control indexes what enumerate goes over, becomes the loop over X
    counting its items:

        for i, v in enumerate(accumulate(x)):      count = 0
            body                            ->     for v in accumulate(x):
                                                       i = count
                                                       count = count + 1
                                                       body

    (enumerate binds i, then v; the targets are names, told apart.) Whether
    the tree changed."""
    local = local_names(parsed.tree, everything)
    loops = [loop for loop in everything if isinstance(loop, gast.For) and
             _counted(loop, parsed, local, iterator)]
    if not loops:
        return False
    namer = parsed.namer()
    counts = {}   # id(loop) -> (its counter, where it starts)
    for loop in loops:
        call = loop.iter
        start = call.keywords[0].value if call.keywords else \
            call.args[1] if len(call.args) == 2 else nodes.const(0)
        count = namer.fresh("count")
        index, loop.target = loop.target.elts
        loop.iter = call.args[0]
        loop.body = [nodes.located(nodes.assign(index.id, nodes.name(count)), loop),
                     nodes.located(nodes.assign(count, nodes.add(nodes.name(count),
                                                                 nodes.const(1))), loop),
                     *loop.body]
        counts[id(loop)] = (count, start)

    def replacement(statement):
        if id(statement) not in counts:
            return None
        count, start = counts[id(statement)]
        return [nodes.located(nodes.assign(count, start), statement), statement]

    nodes.replace_statements(parsed.tree, replacement)
    return True


def _counted(loop: gast.For, parsed: ParsedFunction, local: set, iterator) -> bool:
    call = loop.iter
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and
            call.func.id == "enumerate" and module_value(parsed, call.func, local) is enumerate and
            1 <= len(call.args) <= 2 and not loop.orelse and
            not any(isinstance(a, gast.Starred) for a in call.args)):
        return False
    if call.keywords and (len(call.args) != 1 or len(call.keywords) != 1 or
                          call.keywords[0].arg != "start"):
        return False
    target = loop.target
    if not (isinstance(target, gast.Tuple) and len(target.elts) == 2 and
            isinstance(target.elts[0], gast.Name)):
        return False
    bound = {n.id for n in nodes.walk(target.elts[1]) if isinstance(n, gast.Name)}
    start = call.keywords[0].value if call.keywords else \
        call.args[1] if len(call.args) == 2 else None
    return target.elts[0].id not in bound and (start is None or nodes.is_atom(start)) and \
        isinstance(call.args[0], gast.Call) and iterator(call.args[0])


def _plan(function, call: gast.Call):
    """(the iterables, the length or None, the `repeat` count) of a call this
    pass rewrites, or None."""
    if any(isinstance(a, gast.Starred) for a in call.args):
        return None
    keywords = {k.arg: k.value for k in call.keywords}
    if None in keywords:
        return None   # (**kwargs)
    if function is itertools.accumulate:
        args = list(call.args)
        if "func" in keywords and len(args) == 1:
            args.append(keywords.pop("func"))
        if not 1 <= len(args) <= 2 or set(keywords) - {"initial"}:
            return None
        func = args[1] if len(args) == 2 else None
        if func is not None and not (nodes.is_none(func) or isinstance(
                func, (gast.Name, gast.Attribute, gast.Lambda))):
            return None   # (a function computed: Python computes it once)
        return args[:1], func, keywords.get("initial")
    if function is itertools.zip_longest:
        if set(keywords) - {"fillvalue"} or not call.args:
            return None
        return call.args, None, keywords.get("fillvalue", nodes.const(None))
    if function is itertools.product:
        repeat = keywords.pop("repeat", gast.Constant(value=1, kind=None))
        if keywords or not _counts(repeat) or not call.args:
            return None
        return call.args, None, repeat.value
    if function is itertools.pairwise:
        return (call.args, None, 1) if len(call.args) == 1 and not keywords else None
    args = list(call.args)
    if "r" in keywords and len(args) == 1:
        args.append(keywords.pop("r"))
    if keywords or len(args) != 2 or not _counts(args[1]):
        return None
    return args[:1], args[1].value, 1


def _counts(node) -> bool:
    """Whether `node` is a count written in the code (a whole number, not negative)."""
    value = nodes.whole_number(node)
    return value is not None and value >= 0


class _Lowering:
    """The statements each planned loop (id(loop) -> plan) becomes: its pools
    bound, then the loop over positions."""

    def __init__(self, loops: dict, namer: Namer):
        self.loops, self.namer = loops, namer

    def replacement(self, statement):
        plan = self.loops.get(id(statement))
        return None if plan is None else self._lowered(statement, *plan)

    def _lowered(self, loop: gast.For, function, iterables: list, length, repeat) -> list:
        if function is itertools.accumulate:
            return self._accumulated(loop, iterables[0], length, repeat)
        call = loop.iter
        pools = [self.namer.fresh("pool") for _ in iterables]
        before = [nodes.copy_location(nodes.assign(pool, nodes.call("tuple", [iterable])),
                                      iterable) for pool, iterable in zip(pools, iterables)]
        sizes = [nodes.call("len", [nodes.name(pool)]) for pool in pools]
        if function is itertools.zip_longest:
            # Every pool's items, then the fill value for the shorter ones, as
            # zip_longest yields them (its fill value computed once, first).
            fill, position = self.namer.fresh("fill"), self.namer.fresh("position")
            before.append(nodes.copy_location(nodes.assign(fill, repeat), loop))
            longest = sizes[0] if len(sizes) == 1 else nodes.call("max", sizes)
            loop.iter = nodes.call("range", [longest])
            items = [gast.IfExp(
                test=gast.Compare(left=nodes.name(position), ops=[gast.Lt()],
                                  comparators=[nodes.call("len", [nodes.name(pool)])]),
                body=nodes.subscript(nodes.name(pool), nodes.name(position)),
                orelse=nodes.name(fill)) for pool in pools]
            counter = position
        elif function is itertools.pairwise:
            position = self.namer.fresh("position")
            loop.iter = nodes.call("range", [nodes.binop(sizes[0], gast.Sub(), nodes.const(1))])
            items = [nodes.subscript(nodes.name(pools[0]), nodes.name(position)),
                     nodes.subscript(nodes.name(pools[0]), nodes.add(nodes.name(position),
                                                                      nodes.const(1)))]
            counter = position
        else:
            counter = self.namer.fresh("positions")
            ranges = [nodes.call("range", [size]) for size in sizes]
            call.args = ranges + ([nodes.const(length)] if length is not None else [])
            call.keywords = [k for k in call.keywords if k.arg == "repeat"]
            order = pools * repeat if length is None else pools * length
            items = [nodes.subscript(nodes.name(pool), nodes.subscript(
                nodes.name(counter), nodes.const(k))) for k, pool in enumerate(order)]
        target = loop.target
        loop.target = nodes.name(counter, "store")
        binding = nodes.copy_location(nodes.assign(target, nodes.tuple_(items)), loop)
        loop.body = [binding] + loop.body
        return before + [loop]

    def _accumulated(self, loop: gast.For, iterable, func, initial) -> list:
        """`for v in accumulate(xs, f)`: a loop over xs keeping the running
        total, `total = f(total, item)` (`total + item` without f) after the
        first item, which starts it; v is bound to the total, as accumulate
        yields it. With `initial=`, the total starts there and the body runs
        first for it alone, as accumulate yields it first (a body that may
        break or continue stays as written: refused)."""
        total, item = self.namer.fresh("total"), self.namer.fresh("item")
        target = loop.target
        loop.iter, loop.target = iterable, nodes.name(item, "store")

        def located(statement):
            return nodes.copy_location(statement, loop)

        held = []
        if isinstance(func, (gast.Name, gast.Attribute)) and not nodes.is_none(func):
            # accumulate holds the function it was given: the loop's body
            # binding that name again changes nothing it calls.
            function = self.namer.fresh("function")
            held = [located(nodes.assign(function, func))]
            func = nodes.name(function)

        def step():
            if func is None or nodes.is_none(func):
                return nodes.add(nodes.name(total), nodes.name(item))
            return nodes.call(nodes.clone(func), [nodes.name(total), nodes.name(item)])

        def yielded():
            return located(gast.Assign(targets=[nodes.clone(target)], value=nodes.name(total),
                                       type_comment=None))
        if initial is not None:
            first = [located(nodes.assign(total, initial)), yielded()] + \
                [nodes.clone(statement) for statement in loop.body]
            loop.body = [located(nodes.assign(total, step())), yielded()] + loop.body
            return held + first + [loop]
        started = self.namer.fresh("started")
        choose = located(gast.If(
            test=nodes.name(started),
            body=[located(nodes.assign(total, step()))],
            orelse=[located(nodes.assign(total, nodes.name(item))),
                    located(nodes.assign(started, nodes.const(True)))]))
        loop.body = [choose, yielded()] + loop.body
        return held + [located(nodes.assign(started, nodes.const(False))), loop]
