"""Function defaults: a parameter of the differentiated function whose default
is a function, and which the body calls or hands to helpers, calls that
function.

Input: a lowered FunctionDef (comprehensions and reduce lowered, not yet
inlined) of the function the user asked the derivative of. Output: the same
tree, where every read of such a parameter reads a name bound to its default
when compiling, and which starts by checking that the parameter is that
default when the derivative runs:

    def loss(w, x, act=np.tanh):             def loss(w, x, act=np.tanh):
        h = act(x @ w)               ->          default_kept(act, act_default, 'act', 'f.py:1')
        return np.sum(layer(h, w, act))          h = act_default(x @ w)
                                                 return np.sum(layer(h, w, act_default))

so its calls are differentiated through the function (and a helper handed it
is inlined, inline_mutating.py). A derivative called with another function
for it raises CallConventionError (runtime/python_builtins.py) rather than
differentiate a function it was not compiled for. A parameter the body binds
again, or reads other than by calling it or passing it to a call, is left as
it is (refused where it is called, as before). Changing the default makes a
new derivative: the compile cache is stamped with the function's defaults.
"""

from __future__ import annotations

import os

import gast

from .. import nodes
from ..runtime import python_builtins as runtime_builtins
from ..source import ParsedFunction, parameter_defaults
from .user_functions import is_known_function


def function_defaults(parsed: ParsedFunction) -> bool:
    """Bind the function-valued defaults `parsed` calls (see the module
    docstring); whether it changed the tree."""
    tree = parsed.tree
    values = parameter_defaults(parsed.function) or ()
    params = [arg.id for arg in tree.args.args]
    if not values or not any(is_known_function(v) for v in values):
        return False
    defaulted = dict(zip(params[len(params) - len(values):], values))
    candidates = {name: value for name, value in defaulted.items() if is_known_function(value)}
    parents: dict = {}
    uses: dict = {name: [] for name in candidates}
    for node in nodes.walk(tree):
        for child in gast.iter_child_nodes(node):
            parents[id(child)] = node
        if isinstance(node, gast.Name) and node.id in uses and \
                not isinstance(node.ctx, gast.Param):
            uses[node.id].append(node)
    checks = []
    for name, value in candidates.items():
        found = uses[name]
        if not found or not all(_called_or_passed(n, parents) for n in found):
            continue
        alias = parsed.reference(value, f"{name}_default")
        for node in found:
            node.id = alias.id
            nodes.annotate(node, "value", value)
        checks.append((name, alias))
    if not checks:
        return False
    first = tree.body[0]
    location = parsed.location(first)
    where = f"{os.path.basename(location.filename)}:{tree.lineno}"
    check = parsed.reference(runtime_builtins.default_kept, "default_kept")
    statements = []
    for name, alias in checks:
        call = nodes.call(nodes.clone(check), [nodes.name(name), nodes.clone(alias),
                                               nodes.const(name), nodes.const(where)])
        statement = gast.Expr(value=call)
        for node in nodes.walk(statement):
            nodes.copy_location(node, first)
        statements.append(statement)
    tree.body[:0] = statements
    return True


def _called_or_passed(name: gast.Name, parents: dict) -> bool:
    """A read of the parameter that calls it, `act(h)`, or hands it to a call,
    `layer(h, w, act)` or `layer(h, act=act)`."""
    if not isinstance(name.ctx, gast.Load):
        return False
    parent = parents.get(id(name))
    if isinstance(parent, gast.keyword):
        parent = parents.get(id(parent))
        return isinstance(parent, gast.Call)
    return isinstance(parent, gast.Call) and (parent.func is name or name in parent.args)
