"""Missing module attributes: a module's attribute the module does not have,
read where the function may never get to it. Library code branches on the
version it runs with:

    if hasattr(np, "trapezoid"):          # NumPy 2
        area = np.trapezoid(y, t)
    else:                                 # NumPy 1, where np.trapz is
        area = np.trapz(y, t)

Under NumPy 2.4 the second call names nothing: Python raises AttributeError
if the branch runs, and the derivative must do the same, not refuse the
function when compiling (it knows no rule for something that is not there).

Input: a lowered FunctionDef. Output: the same function where every read of
`module.name` (a chain from a module-level or imported name, `np.trapz`,
`scipy.integrate.simps`) naming an attribute the module lacks is a call of
runtime.python_builtins.missing_attribute(module, "name"), which reads the
attribute again when it runs and so raises Python's own AttributeError
(NumPy's "np.trapz was removed ... use np.trapezoid"). A call of it,
`np.trapz(y, t)`, becomes that call alone: Python reads the function before
it evaluates the arguments, so they are not evaluated either.

The attribute's absence is recorded with the compilation (source.Stamp's
chains): a module that gains it later (a monkeypatch, a reload) makes the
derivative stale, and it is compiled again.
"""

from __future__ import annotations

import types

import gast

from .. import nodes
from ..runtime import python_builtins as runtime_builtins
from ..source import ABSENT, ParsedFunction
from .census import Census, everything_of
from .resolve import local_names, module_value


def missing_attributes(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Replace the reads of attributes `parsed`'s modules lack (see the module docstring)."""
    everything = everything_of(parsed.tree, census)
    attributes = [n for n in everything if n.__class__ is gast.Attribute and
                  isinstance(n.ctx, gast.Load)]
    if not attributes:
        return parsed
    caller_locals = local_names(parsed.tree, everything)
    missing = {}
    for node in attributes:
        owner = module_value(parsed, node.value, caller_locals)
        if isinstance(owner, types.ModuleType) and not hasattr(owner, node.attr):
            missing[id(node)] = owner
    if not missing:
        return parsed
    if census is not None:
        census.forget()
    _Replace(parsed, missing).visit(parsed.tree)
    return parsed


class _Replace(gast.NodeTransformer):
    def __init__(self, parsed: ParsedFunction, missing: dict):
        self.parsed, self.missing = parsed, missing

    def visit_Call(self, node):
        if id(node.func) in self.missing:
            return self.replacement(node.func)
        return self.generic_visit(node)

    def visit_Attribute(self, node):
        if id(node) in self.missing:
            return self.replacement(node)
        return self.generic_visit(node)

    def replacement(self, attribute: gast.Attribute) -> gast.AST:
        path, base = [attribute.attr], attribute.value
        while isinstance(base, gast.Attribute):
            path.insert(0, base.attr)
            base = base.value
        self.parsed.pinned_chains[(base.id, tuple(path))] = ABSENT
        call = nodes.call(self.parsed.reference(runtime_builtins.missing_attribute),
                          [attribute.value, nodes.const(attribute.attr)])
        return nodes.copy_location(call, attribute)
