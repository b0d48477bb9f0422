"""Broadcast arrays: np.broadcast_arrays as the np.broadcast_to of each argument.

Input and output: a normalised FunctionDef (anf.py). `np.broadcast_arrays`
takes its arrays as `*args`, which no rule can state, and each of its results
is a view of its own argument. Written as what it computes, the shape they
broadcast to, one `np.broadcast_to` per argument and the tuple of them (a
list under NumPy 1, which returns one), every later pass knows it:
broadcast_to has a rule, and aliasing.py knows its result for a read-only
view of its argument.

    a, b = np.broadcast_arrays(x, 2.0)         _t1_shape_0 = np.shape(x)
                                               _t1_shape_1 = np.shape(2.0)
                                    ->         _t1_shape = np.broadcast_shapes(_t1_shape_0,
                                                                           _t1_shape_1)
                                               _t1_0 = np.broadcast_to(x, _t1_shape)
                                               _t1_1 = np.broadcast_to(2.0, _t1_shape)
                                               _t1 = (_t1_0, _t1_1)
                                               a = _t1[0]
                                               b = _t1[1]

`subok=` is passed on to each np.broadcast_to. A starred argument whose
length the normaliser knew is written out already; `*arrays` of a list
bound once to a list display and only read (`arrays[i]`, `len(arrays)`,
`np.stack(arrays)`) is written out here. Any other starred argument has a length
known only when the code runs: the call stays, and is refused if a
differentiated value reaches it.

NumPy's own results may be written into (with a DeprecationWarning, into
every broadcast position at once); np.broadcast_to's are read-only. A write
into either is refused (aliasing.py), so the difference is never seen.
"""

from __future__ import annotations

import gast
import numpy as np

from .. import nodes
from ..context import Context
from ..errors import NoDerivativeRuleError
from ..rules import registry
from .activity import is_user_function
from .anf import primitive_of

# NumPy 2 returns a tuple, NumPy 1 a list: the lowering builds what this NumPy does.
_RESULT_IS_TUPLE = isinstance(np.broadcast_arrays(np.zeros(1)), tuple)


def lower_broadcast_arrays(function: gast.FunctionDef, ctx: Context) -> gast.FunctionDef:
    # Only an assignment of the call is lowered (a normalised call is the
    # value of a statement): the statements tell, without visiting every
    # expression (issue #13: this runs on every function).
    if not any(isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call) and
               primitive_of(stmt.value) is np.broadcast_arrays
               for stmt in nodes.statements(function)):
        return function  # the common case
    fixed_lists = _fixed_length_lists(function)
    _Lowering(ctx, fixed_lists).block_of(function)
    return function


class _Lowering:
    def __init__(self, ctx: Context, fixed_lists: dict):
        self.ctx = ctx
        self.fixed_lists = fixed_lists

    def block_of(self, node) -> None:
        for field in ("body", "orelse"):
            stmts = getattr(node, field, None)
            if isinstance(stmts, list):
                setattr(node, field, self.block(stmts))

    def block(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            if isinstance(stmt, (gast.If, gast.While, gast.For)):
                self.block_of(stmt)
                out.append(stmt)
            elif isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call) and \
                    primitive_of(stmt.value) is np.broadcast_arrays:
                out.extend(self.lowered(stmt))
            else:
                out.append(stmt)
        return out

    def lowered(self, stmt: gast.Assign) -> list:
        call = stmt.value
        arguments = self.arguments(call)
        if arguments is None or any(k.arg != "subok" for k in call.keywords):
            return [stmt]   # another keyword: NumPy's TypeError when it runs
        target = stmt.targets[0].id
        shape = self.ctx.namer.fresh(f"{target}_shape")
        out = []
        for position, argument in enumerate(arguments):
            if not nodes.is_atom(argument):
                # An element of a list written out: read into a name, the
                # normal form's operands.
                item = self.ctx.namer.fresh(f"{target}_item_{position}")
                out.append(nodes.assign(item, argument))
                arguments[position] = nodes.name(item)
        shapes = []
        for position, argument in enumerate(arguments):
            shapes.append(self.ctx.namer.fresh(f"{shape}_{position}"))
            out.append(nodes.assign(shapes[-1], nodes.call(self.numpy(np.shape),
                                                           [nodes.clone(argument)])))
        out.append(nodes.assign(shape, nodes.call(self.numpy(np.broadcast_shapes),
                                                  [nodes.name(s) for s in shapes])))
        views = []
        for position, argument in enumerate(arguments):
            views.append(self.ctx.namer.fresh(f"{target}_{position}"))
            keywords = {k.arg: nodes.clone(k.value) for k in call.keywords}
            out.append(nodes.assign(views[-1], nodes.call(
                self.numpy(np.broadcast_to), [nodes.clone(argument), nodes.name(shape)],
                keywords)))
        parts = [nodes.name(v) for v in views]
        out.append(nodes.assign(target, nodes.tuple_(parts) if _RESULT_IS_TUPLE
                                else nodes.list_(parts)))
        return [nodes.located(nodes.copy_location(s, stmt), stmt) for s in out]

    def arguments(self, call: gast.Call) -> list | None:
        """The arrays the call broadcasts, one node each, or None (and the call
        marked as refused if differentiated) when their number is known only
        when it runs."""
        out = []
        for argument in call.args:
            if not isinstance(argument, gast.Starred):
                out.append(argument)
                continue
            value = argument.value
            length = self.fixed_lists.get(value.id) if isinstance(value, gast.Name) else None
            if length is None:
                nodes.annotate(call, "unsupported", NoDerivativeRuleError(
                    "np.broadcast_arrays(*arrays) with a number of arrays known only when "
                    "the code runs has no derivative rule", self.ctx.parsed.location(call),
                    help="Instead: pass the arrays one by one, np.broadcast_arrays(x, y), or "
                         "as a tuple or list display of a fixed length; or broadcast each "
                         "array yourself: shape = np.broadcast_shapes(*[np.shape(a) for a "
                         "in arrays]), then [np.broadcast_to(a, shape) for a in arrays]."))
                return None
            out += [nodes.subscript(nodes.name(value.id), nodes.const(i)) for i in range(length)]
        return out

    def numpy(self, function) -> gast.AST:
        reference = nodes.attribute(nodes.name(self.ctx.helper("np")), function.__name__)
        nodes.annotate(reference, "value", function)
        return reference


def _keeps_its_arguments(primitive) -> bool:
    """A call that certainly leaves its arguments' lengths alone: a function
    with a derivative rule that is not the user's."""
    return primitive is not None and not is_user_function(primitive) and \
        registry.lookup(primitive) is not None


def _fixed_length_lists(function: gast.FunctionDef) -> dict:
    """name -> length, for the lists bound once to a list display whose every
    other use reads an element (`L[i]`), spreads it into a call (`f(*L)`) or
    passes it to a function with a rule (`len(L)`, `np.stack(L)`): nothing
    can change how many items they hold."""
    displays = {}
    for node in nodes.walk(function):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name) and \
                isinstance(node.value, gast.List):
            displays[node.targets[0].id] = len(node.value.elts)
    counts = nodes.assignment_counts(function)
    harmless: set = set()
    for node in nodes.walk(function):
        if isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Load) and \
                isinstance(node.value, gast.Name):
            harmless.add(id(node.value))
        elif isinstance(node, gast.Starred) and isinstance(node.value, gast.Name):
            harmless.add(id(node.value))
        elif isinstance(node, gast.Call) and _keeps_its_arguments(primitive_of(node)):
            # len(L), np.stack(L): a function with a rule reads a list, never
            # resizes it (one that writes into its argument, out= or copyto,
            # was rewritten into a new binding of L by the normaliser).
            harmless.update(id(a) for a in nodes.call_arguments(node)
                            if isinstance(a, gast.Name))
    for name in nodes.name_nodes(function):
        if name.id in displays and isinstance(name.ctx, gast.Load) and \
                id(name) not in harmless:
            displays.pop(name.id)
    return {name: length for name, length in displays.items() if counts[name] == 1}
