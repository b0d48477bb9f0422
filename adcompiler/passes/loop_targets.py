"""Loop targets: a `for` loop whose body binds its own variable again gets a
variable of its own, bound to the item first.

Input and output: a normalised FunctionDef. Python binds a loop's variable
to the next item at the top of each iteration, whatever the body did to it;
the reverse sweep, which sets the variable from the items in reverse, reads
it as the item throughout the body. A body that binds it again (`i = i + 1`,
an inner loop over the same name, `for i in range(m): for i in range(n):`)
then read it as something else after that binding, and its derivative was
wrong. With a variable of its own for the item, the loop's variable is an
ordinary one, saved and restored at each binding like any other:

    for i in range(n):              for _i in range(n):
        i = i + 1           ->          i = _i
        y = y + x[i]                    i = i + 1
                                        y = y + x[i]

After the loop `i` holds what the body last bound, as in Python.
"""

from __future__ import annotations

import gast

from .. import nodes


def own_loop_targets(function: gast.FunctionDef, ctx) -> gast.FunctionDef:
    """Give each `for` loop of `function` (in place) whose body binds a name of
    its target a fresh variable for the item (see the module docstring).

    Example: `for i in range(3): i = 2 * i` becomes
    `for _i in range(3): i = _i; i = 2 * i`.
    """
    loops = [n for n in nodes.statements(function) if isinstance(n, gast.For)]
    read = None
    for loop in loops:
        rebound = nodes.names_stored(loop.target) & _bound_in(loop.body)
        if not rebound:
            continue
        if read is None:
            read = nodes.names_loaded(function)
        # (A variable never read, `for _ in ...` in `for _ in ...`, can hold
        # anything: left as written.)
        rebound &= read
        if not rebound:
            continue
        loop.body[:0] = item_variables(loop, rebound, ctx.namer)
    return function


def item_variables(loop: gast.For, names: set, namer) -> list:
    """Make `loop` bind its items to fresh variables (from `namer`) in place
    of the `names` of its target; the assignments of `names` from them, for
    its body to begin with (also lower_try.py's, for a loop in a try body)."""
    items = {name: namer.fresh(f"_{name}") for name in sorted(names)}
    for node in nodes.walk(loop.target):
        if isinstance(node, gast.Name) and node.id in items:
            node.id = items[node.id]
    return [nodes.copy_location(nodes.assign(name, nodes.name(item)), loop)
            for name, item in items.items()]


def _bound_in(body: list) -> set:
    bound: set = set()
    for stmt in body:
        for node in nodes.statements(stmt):
            if isinstance(node, (gast.FunctionDef, gast.ClassDef)):
                continue
            if isinstance(node, gast.For):
                bound |= nodes.names_stored(node.target)
            elif isinstance(node, (gast.Assign, gast.AugAssign, gast.AnnAssign)):
                targets = node.targets if isinstance(node, gast.Assign) else [node.target]
                for target in targets:
                    bound |= nodes.names_stored(target)
    return bound
