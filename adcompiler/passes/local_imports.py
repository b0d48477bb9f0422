"""Local imports: `import m` and `from m import n` written in the function's
body become reads of the module (or of what it exports), as if imported at
module level.

Input: the user's gast FunctionDef, untouched but for lower_with (this runs
before desugar and the fence, which refuses the imports left). Output: the
same function without those import statements, each name they bound read
through `ParsedFunction.reference` (bound to the module object, which
resolve then finds like any global):

    def f(x):                                   def f(x):
        from scipy.special import expit   ->        return np.sum(expit(x))
        return np.sum(expit(x))                     (expit: scipy.special.expit)

The module is imported when compiling, where Python imports it when the
statement runs: the same module object either way (imports are cached in
sys.modules), and the value read is the one Python reads. An import is
rewritten only where that is exact: a statement of the body itself (not in
a branch, a loop, a with or try block, or a local function), absolute
(`from . import m` is relative), not `*`, importable now, every name it
binds bound nowhere else in the function (no other assignment, parameter,
local function or import of it) and read only in the statements after it
(Python raises UnboundLocalError before). The others reach the fence.
"""

from __future__ import annotations

import importlib

import gast

from .. import nodes
from ..source import ParsedFunction


def local_imports(parsed: ParsedFunction) -> ParsedFunction:
    """Replace, in place, the import statements of `parsed`'s body that can be
    read as module-level ones (see the module's docstring)."""
    tree = parsed.tree
    if not any(isinstance(stmt, (gast.Import, gast.ImportFrom)) for stmt in tree.body):
        return parsed
    bindings = _bindings(tree)
    kept = []
    for position, stmt in enumerate(tree.body):
        values = _imported(stmt) if isinstance(stmt, (gast.Import, gast.ImportFrom)) else None
        if values is None or not all(
                bindings[name] == 1 and not _read_before(tree.body[:position], name)
                for name in values):
            kept.append(stmt)
            continue
        for name, value in values.items():
            _read_through(parsed, tree.body[position + 1:], name, value)
    tree.body = kept or [gast.Pass()]
    return parsed


def _imported(stmt) -> dict | None:
    """{name bound: value} of an import statement, or None when it is not one
    this pass reads (relative, `*`, or failing to import now)."""
    try:
        if isinstance(stmt, gast.Import):
            values = {}
            for alias in stmt.names:
                module = importlib.import_module(alias.name)
                if alias.asname is None:
                    # `import a.b` binds `a`, the package (a.b imported too).
                    top = alias.name.partition(".")[0]
                    values[top] = importlib.import_module(top)
                else:
                    values[alias.asname] = module
            return values
        if stmt.level or stmt.module is None or any(a.name == "*" for a in stmt.names):
            return None
        module = importlib.import_module(stmt.module)
        values = {}
        for alias in stmt.names:
            if hasattr(module, alias.name):
                value = getattr(module, alias.name)
            else:  # a submodule not imported by its package
                value = importlib.import_module(f"{stmt.module}.{alias.name}")
            values[alias.asname or alias.name] = value
        return values
    except ImportError:
        return None


def _bindings(tree: gast.FunctionDef) -> dict:
    """How many times each name is bound in `tree` (nested scopes included):
    by assignment, parameter, def, class or import."""
    counts: dict = {}

    def bind(name):
        counts[name] = counts.get(name, 0) + 1

    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            bind(node.id)
        elif isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)) and \
                node is not tree:
            bind(node.name)
        elif isinstance(node, gast.Import):
            for alias in node.names:
                bind(alias.asname or alias.name.partition(".")[0])
        elif isinstance(node, gast.ImportFrom):
            for alias in node.names:
                bind(alias.asname or alias.name)
    return counts


def _read_before(statements: list, name: str) -> bool:
    return any(isinstance(node, gast.Name) and node.id == name
               for stmt in statements for node in nodes.name_nodes(stmt))


def _read_through(parsed: ParsedFunction, statements: list, name: str, value) -> None:
    """Point every read of `name` in `statements` at `value`."""
    reference = parsed.reference(value, name)
    for stmt in statements:
        for node in nodes.name_nodes(stmt):
            if node.id == name:
                node.id = reference.id
                nodes.annotate(node, "value", value)
