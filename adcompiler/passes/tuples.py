"""Tuples whose length is known when compiling, for the normaliser (anf.py).

A variable holds a tuple of a known length wherever it is read when every
binding of it is such a tuple: a tuple display, another such variable, a
slice of one with constant bounds, or a join of those with `+`. Starred
arguments and joins of such tuples are written out element by element:

    pair = (x * w, y)           lengths: {"pair": 2, "both": 3}
    both = pair + (z,)          elements(both) -> both[0], both[1], both[2]
    f(*pair[1:])                elements(pair[1:]) -> pair[1]

so that the tuples of differentiated values they build are tuple displays,
whose derivatives every later pass knows. A join or repetition of a tuple of
unknown length (a function's *args, say) cannot be written out; `is_tuple`
tells the normaliser which operands are certainly tuples.
"""

from __future__ import annotations

import gast

from .. import nodes

_NOT_CONSTANT = object()


def tuple_lengths(function: gast.FunctionDef) -> dict:
    """The variables holding tuples of a known length, and that length."""
    bound: dict = {}
    for node in nodes.statements(function):
        if isinstance(node, (gast.Assign, gast.AnnAssign)):
            target = node.targets[0] if isinstance(node, gast.Assign) else node.target
            if isinstance(target, gast.Name):
                bound.setdefault(target.id, []).append(node.value)
    # Every length is found from a tuple display first (a variable, a slice
    # or a repetition needs one found before): with no display among the
    # values bound, there is none, and no need to count the bindings (most
    # functions: issue #13).
    if not any(_holds_display(value) for values in bound.values() for value in values):
        return {}
    # A parameter, a loop variable or any other binding makes the length unknown.
    bindings = nodes.assignment_counts(function)
    lengths: dict = {}
    changed = True
    while changed:
        changed = False
        for name, values in bound.items():
            if name in lengths or bindings[name] != len(values):
                continue
            found = {_length(value, lengths) for value in values}
            if len(found) == 1 and None not in found:
                lengths[name] = found.pop()
                changed = True
    return lengths


def _holds_display(expr: gast.AST) -> bool:
    """Whether `expr` is a tuple display or a join or repetition with one
    among its operands: what `elements` needs of a value with no variable
    of a known length yet."""
    while isinstance(expr, gast.BinOp):
        if _holds_display(expr.left):
            return True
        expr = expr.right
    return isinstance(expr, gast.Tuple)


def elements(expr: gast.AST, lengths: dict) -> list | None:
    """The elements of the tuple `expr` builds, as expressions in the order
    Python evaluates them, when its length is known (None otherwise)."""
    if isinstance(expr, gast.Tuple):
        return list(expr.elts)
    if isinstance(expr, gast.Name) and expr.id in lengths:
        return [_item(expr, k) for k in range(lengths[expr.id])]
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Add):
        left, right = elements(expr.left, lengths), elements(expr.right, lengths)
        return None if left is None or right is None else left + right
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Mult):
        # `t * 2`, `2 * t`: repeated, when each element is read, not computed
        # (writing `(f(x), y) * 2` out would call f twice).
        for sequence, count in ((expr.left, expr.right), (expr.right, expr.left)):
            items, times = elements(sequence, lengths), _constant_int(count)
            if items is not None and isinstance(times, int) and all(
                    _read_only(item) for item in items):
                return [nodes.clone(item) for _ in range(max(times, 0)) for item in items]
        return None
    indices = _sliced(expr, lengths)
    return None if indices is None else [_item(expr.value, k) for k in indices]


def _length(expr: gast.AST, lengths: dict) -> int | None:
    items = elements(expr, lengths)
    return None if items is None else len(items)


def is_tuple(expr: gast.AST, tuples: set) -> bool:
    """Whether `expr` certainly builds a tuple: a display, a slice of one, or a
    variable of `tuples` (those of `tuple_lengths`, and *args) or a slice of it."""
    if isinstance(expr, gast.Subscript) and isinstance(expr.slice, gast.Slice):
        expr = expr.value
    return isinstance(expr, gast.Tuple) or (isinstance(expr, gast.Name) and expr.id in tuples)


def _read_only(item: gast.AST) -> bool:
    """A name, a constant or an element of a named tuple: evaluating it twice
    is evaluating it once."""
    if isinstance(item, gast.Subscript):
        return isinstance(item.value, gast.Name) and isinstance(item.slice, gast.Constant)
    return isinstance(item, (gast.Name, gast.Constant))


def _item(tuple_: gast.Name, index: int) -> gast.Subscript:
    return nodes.copy_location(nodes.subscript(nodes.name(tuple_.id), nodes.const(index)),
                               tuple_)


def _sliced(expr: gast.AST, lengths: dict) -> range | None:
    """The indices `t[a:b:c]` takes from a variable `t` of a known length, for
    constant a, b and c."""
    if not (isinstance(expr, gast.Subscript) and isinstance(expr.value, gast.Name)
            and expr.value.id in lengths and isinstance(expr.slice, gast.Slice)):
        return None
    bounds = [_constant_int(part) for part in
              (expr.slice.lower, expr.slice.upper, expr.slice.step)]
    if any(bound is _NOT_CONSTANT for bound in bounds) or bounds[2] == 0:
        return None
    return range(lengths[expr.value.id])[slice(*bounds)]


def _constant_int(node):
    """The value of an integer constant such as 2 or -1, None for no bound."""
    if node is None:
        return None
    sign = 1
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        sign, node = -1, node.operand
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return sign * node.value
    return _NOT_CONSTANT
