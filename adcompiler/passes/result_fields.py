"""Result fields: reading a field of a named-tuple result is reading its index.

Input: a resolved FunctionDef. Output: the same tree in which every read of
a field of the named tuple that a NumPy function returns (`EighResult`,
`SVDResult`, ...) is a read of the tuple's entry, which the rules of those
functions differentiate (their adjoints take one entry per part):

    def f(a):                                   def f(a):
        res = np.linalg.eigh(a)           ->        res = np.linalg.eigh(a)
        return np.sum(res.eigenvalues) \\             return np.sum(res[0]) \\
            + np.linalg.slogdet(a).logabsdet             + np.linalg.slogdet(a)[1]

Two forms: the field of the call itself, and the field of a local name that
every binding in the function binds to a call of the same function (so the
name holds that named tuple wherever it is read). A call whose arguments make
it return something else (`svd(a, compute_uv=False)`, `qr(a, mode='r')`), or
whose arguments are not constants where that matters, is left as written:
reading a field of a plain array fails as it does in Python.
"""

from __future__ import annotations

import gast
import numpy as np

from .. import nodes
from ..source import ParsedFunction
from .census import Census

# function -> (its fields in order, the arguments for which it returns the named
# tuple: parameter name, its position, the values allowed (the default first))
_NAMED_RESULTS = {
    np.linalg.eig: (("eigenvalues", "eigenvectors"), None),
    np.linalg.eigh: (("eigenvalues", "eigenvectors"), None),
    np.linalg.slogdet: (("sign", "logabsdet"), None),
    np.linalg.svd: (("U", "S", "Vh"), ("compute_uv", 2, (True,))),
    np.linalg.qr: (("Q", "R"), ("mode", 1, ("reduced", "complete"))),
}


# NumPy before 2.0 returns plain tuples, whose fields Python cannot read either.
_NAMED = hasattr(np.linalg.slogdet(np.eye(1)), "logabsdet")


def result_fields(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    tree = parsed.tree
    if not _NAMED:
        return parsed
    # Without a call returning a named tuple there is nothing to rewrite (the
    # common case, and all generated code): one walk instead of three.
    calls = (n for n in nodes.walk(tree) if isinstance(n, gast.Call)) if census is None \
        else census.calls
    if not any(_fields(n) is not None for n in calls):
        return parsed
    if census is not None:
        census.forget()
    fields_of_name = _names_holding_named_results(tree)
    for node in gast.walk(tree):
        for field, value in gast.iter_fields(node):
            if isinstance(value, list):
                value[:] = [_as_index(item, fields_of_name) for item in value]
            elif isinstance(value, gast.Attribute):
                setattr(node, field, _as_index(value, fields_of_name))
    return parsed


def _fields(call) -> tuple | None:
    """The field names of the named tuple `call` returns, or None."""
    if not isinstance(call, gast.Call):
        return None
    entry = _NAMED_RESULTS.get(_hashable(nodes.annotation(call.func, "value", None)))
    if entry is None or any(isinstance(a, gast.Starred) for a in call.args) or \
            any(k.arg is None for k in call.keywords):
        return None
    fields, condition = entry
    if condition is not None:
        param, position, allowed = condition
        given = [k.value for k in call.keywords if k.arg == param]
        if len(call.args) > position:
            given.append(call.args[position])
        if given and not (isinstance(given[0], gast.Constant) and given[0].value in allowed):
            return None
    return fields


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return None
    return value


def _names_holding_named_results(tree: gast.FunctionDef) -> dict:
    """name -> fields, for the local names every binding of which is a call
    returning the same named tuple."""
    bindings: dict = {}
    for node in gast.walk(tree):
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name):
            bindings.setdefault(node.targets[0].id, []).append(_fields(node.value))
    counts = nodes.assignment_counts(tree)
    return {name: found[0] for name, found in bindings.items()
            if found[0] is not None and len(set(found)) == 1 and counts[name] == len(found)}


def _as_index(node, fields_of_name: dict):
    if not (isinstance(node, gast.Attribute) and isinstance(node.ctx, gast.Load)):
        return node
    if isinstance(node.value, gast.Name) and isinstance(node.value.ctx, gast.Load):
        fields = fields_of_name.get(node.value.id)
    else:
        fields = _fields(node.value)
    if fields is None or node.attr not in fields:
        return node
    index = nodes.subscript(node.value, nodes.const(fields.index(node.attr)))
    return nodes.located(nodes.copy_location(index, node), node)
