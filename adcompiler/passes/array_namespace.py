"""Array namespace: calls of the array API namespace a function takes from
its arguments become calls the rule table knows.

Input: a resolved function. A *namespace variable* is a local name every
binding of which is `x.__array_namespace__()` or a call of
`array_api_compat.array_namespace` / `get_namespace` (or of
`runtime.namespaces.own_namespace`, what generated code writes). Output: the
same function where

* `x.__array_namespace__()` is `own_namespace(x)` (a function with no
  derivative; a method of an argument is otherwise refused);
* `xp.exp(x)`, `xp.linalg.inv(a)` on a namespace variable `xp` are
  `xp_exp(xp, x)`, `xp_linalg_inv(xp, a)` (and so are the calls of a
  namespace module imported at module level, `import jax.numpy as jnp`,
  other than NumPy's): calls of the objects of
  `runtime.namespaces` that call the namespace, found by the rule table
  (rules/namespace_rules.py) like any function, so that a call without a
  rule is refused when compiling once its result carries a derivative;
* `a.T` and `a.mT` are `array_T(a)`, `array_mT(a)` (the array attributes of
  the standard, which the normalisation would take for NumPy's);

and `parsed.namespaced` is set, so that the compilation binds the helpers of
runtime.namespaces, which compute with the arguments' own namespace.

    def f(x):                                 def f(x):
        xp = x.__array_namespace__()              xp = own_namespace(x)
        return xp.sum(xp.exp(x) @ x.T)            return xp_sum(xp, xp_exp(xp, x) @ array_T(x))

Refused with NoDerivativeRuleError in such a function: NumPy's functions with
derivative rules called on its values (NumPy would convert arrays of the
standard to NumPy arrays), NumPy's array methods (`x.sum()`), which the
standard's arrays do not have, and calls of user functions that do not take
a namespace from their own arguments (compiled on their own, their
derivatives would compute with NumPy's helpers). A copy of a namespace
variable (`ns = xp`, what inlining a helper that takes `xp` writes) is one
too.
"""

from __future__ import annotations

import types

import gast

from .. import nodes
from ..errors import AdError, NoDerivativeRuleError
from ..naming import Namer
from ..rules import registry
from ..runtime import namespaces
from ..source import ParsedFunction, parse_function
from .census import Census

_MISSING = object()


def _acquirers() -> tuple:
    """The functions whose result is an array namespace."""
    found = [namespaces.own_namespace]
    try:
        import array_api_compat
    except ImportError:  # the optional extra is not installed
        return tuple(found)
    return (*found, array_api_compat.array_namespace, array_api_compat.get_namespace)


def array_namespace(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    if not _mentions_namespaces(parsed, census):
        parsed.namespaced = False  # (most functions: one walk, nothing rewritten)
        return parsed
    if census is not None:
        census.forget()
    rewriter = _Rewriter(parsed)
    rewriter.own_namespace_calls()
    variables = rewriter.namespace_variables()
    parsed.namespaced = bool(variables) or rewriter.acquires or \
        _calls_namespace_objects(parsed) or _uses_namespace_module(parsed)
    if parsed.namespaced:
        rewriter.namespace_calls(variables)
        rewriter.array_attributes()
        rewriter.refuse_numpy(variables)
        rewriter.refuse_plain_helpers()
    return parsed


def is_namespace_module(value) -> bool:
    """A module that is an array API namespace of its own, imported at module
    level (`import array_api_strict as xp`, `import jax.numpy as jnp`): its
    calls are a namespace's. NumPy's namespace is not: `np.exp` keeps NumPy's
    rules (and NumPy's dispatch to dask and CuPy)."""
    return isinstance(value, types.ModuleType) and \
        hasattr(value, "__array_api_version__") and \
        value.__name__.split(".")[0] not in ("numpy", "dask", "cupy")


def _uses_namespace_module(parsed: ParsedFunction) -> bool:
    for node in nodes.walk(parsed.tree):
        if isinstance(node, gast.Call):
            path, base = _chain(node.func)
            if base is not None and base.id not in getattr(parsed, "local_names", ()):
                found, value = parsed.lookup(base.id)
                if found and is_namespace_module(value):
                    return True
    return False


def written_for_namespaces(function) -> bool:
    """Whether `function` takes its array namespace from its arguments, as
    its source says (the entry points let arrays of the standard through
    then; a function written with NumPy's functions refuses them).

        >>> written_for_namespaces(np.sum)
        False
    """
    try:
        parsed = parse_function(function)
    except (AdError, TypeError):
        return False
    return acquires_namespace(parsed)


def _mentions_namespaces(parsed: ParsedFunction, census: Census | None = None) -> bool:
    """Whether anything in the function may take or call an array namespace."""
    acquirers = _acquirers()
    # The values names refer to are few (np, np.sin, ...), each read at many
    # places: ids of those found to be none of the above, asked once each
    # (the annotations keep them alive meanwhile).
    plain = set()
    # (Sorted by the node's class, no gast class being subclassed, and the
    # annotations read directly: this goes through every node of a Hessian's
    # gradient code, issue #13.)
    name_type, attribute_type, no_annotations = gast.Name, gast.Attribute, {}
    for node in nodes.walk(parsed.tree) if census is None else census.everything:
        kind = node.__class__
        if kind is not name_type and kind is not attribute_type:
            continue
        if kind is attribute_type and node.attr == "__array_namespace__":
            return True
        value = getattr(node, "ad_anno", no_annotations).get("value")
        if value is None or id(value) in plain:
            continue
        if any(value is a for a in acquirers) or _is_namespace_object(value) or \
                is_namespace_module(value):
            return True
        plain.add(id(value))
    return False


def _is_namespace_object(value) -> bool:
    """A function of runtime/namespaces.py that only derivative code of a
    function written against the standard calls (its namespace's functions,
    the namespace versions of the helpers)."""
    return isinstance(value, namespaces.NamespaceFunction) or any(
        value is helper for helper in (*namespaces.NAMESPACE_HELPERS.values(),
                                       *namespaces.RULE_HELPERS.values()))


def _calls_namespace_objects(parsed: ParsedFunction) -> bool:
    """Derivative code of a function written against the standard, compiled
    again (a second derivative): a split adjoint, whose namespace comes from
    the stack, calls the namespace's functions as objects."""
    return any(isinstance(node, gast.Name) and
               _is_namespace_object(nodes.annotation(node, "value", None))
               for node in nodes.walk(parsed.tree))


def acquires_namespace(parsed: ParsedFunction) -> bool:
    """Whether the function takes an array namespace from its arguments (a
    parsed function before or after this pass).

        >>> acquires_namespace(parse_function(loss))   # doctest: +SKIP
        True
    """
    if _uses_namespace_module(parsed):
        return True
    acquirers = _acquirers()
    for node in nodes.walk(parsed.tree):
        if isinstance(node, gast.Call):
            if isinstance(node.func, gast.Attribute) and node.func.attr == "__array_namespace__":
                return True
            if any(nodes.annotation(node.func, "value", _MISSING) is a for a in acquirers):
                return True
            if isinstance(node.func, gast.Name) and \
                    node.func.id not in getattr(parsed, "local_names", ()):
                found, value = parsed.lookup(node.func.id)
                if found and (any(value is a for a in acquirers) or
                              _is_namespace_object(value)):
                    return True
            if isinstance(node.func, gast.Attribute) and isinstance(node.func.value, gast.Name):
                found, value = parsed.lookup(node.func.value.id)
                if found and any(getattr(value, node.func.attr, None) is a for a in acquirers):
                    return True
    return False


class _Rewriter:
    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed
        self.acquires = False
        self.names: dict = {}
        self.namer = Namer({n.id for n in nodes.walk(parsed.tree) if isinstance(n, gast.Name)}
                           | set(parsed.globals) | set(parsed.closure) | set(parsed.bound))

    def reference(self, function, like: gast.AST) -> gast.Name:
        """A name for `function` in the function's scope (parsed.bound)."""
        key = id(function)
        if key not in self.names:
            alias = self.namer.fresh(getattr(function, "__name__", "xp_function"))
            self.parsed.bound[alias] = function
            self.names[key] = alias
        name = nodes.copy_location(nodes.name(self.names[key]), like)
        nodes.annotate(name, "value", function)
        return name

    def own_namespace_calls(self) -> None:
        for node in nodes.walk(self.parsed.tree):
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
                    node.func.attr == "__array_namespace__" and not node.args and \
                    not node.keywords:
                node.args = [node.func.value]
                node.func = self.reference(namespaces.own_namespace, node.func)
                self.acquires = True

    def is_acquisition(self, value: gast.AST) -> bool:
        return isinstance(value, gast.Call) and any(
            nodes.annotation(value.func, "value", _MISSING) is a for a in _acquirers())

    def namespace_variables(self) -> set:
        """Local names every binding of which is an acquisition (a parameter,
        a loop target or a tuple's element is not)."""
        acquired = {id(node.targets[0]) for node in nodes.walk(self.parsed.tree)
                    if isinstance(node, gast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], gast.Name)
                    and self.is_acquisition(node.value)}
        bindings: dict = {}
        for node in nodes.walk(self.parsed.tree):
            if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param)):
                bindings.setdefault(node.id, []).append(id(node) in acquired)
        return {name for name, kinds in bindings.items() if all(kinds)}

    def namespace_calls(self, variables: set) -> None:
        for node in nodes.walk(self.parsed.tree):
            if not isinstance(node, gast.Call):
                continue
            path, base = _chain(node.func)
            if base is None or not path:
                continue
            module = nodes.annotation(base, "value", None)
            if base.id not in variables and not is_namespace_module(module):
                continue
            function = namespaces.function_for(".".join(path))
            namespace = nodes.copy_location(nodes.name(base.id), base)
            if base.id not in variables:
                nodes.annotate(namespace, "value", module)
            node.func = self.reference(function, node.func)
            node.args = [namespace, *node.args]

    def array_attributes(self) -> None:
        for parent in nodes.walk(self.parsed.tree):
            for field, value in gast.iter_fields(parent):
                items = value if isinstance(value, list) else [value]
                for position, item in enumerate(items):
                    if isinstance(item, gast.Attribute) and item.attr in ("T", "mT") and \
                            isinstance(item.ctx, gast.Load) and \
                            nodes.annotation(item, "value", _MISSING) is _MISSING:
                        function = namespaces.ARRAY_ATTRIBUTES[item.attr]
                        call = nodes.copy_location(
                            nodes.call(self.reference(function, item), [item.value]), item)
                        if isinstance(value, list):
                            value[position] = call
                        else:
                            setattr(parent, field, call)

    def refuse_plain_helpers(self) -> None:
        """A user function called here must take its namespace from its own
        arguments too: compiled on its own, it would be differentiated with
        NumPy's helpers, which would convert arrays of the standard."""
        from .activity import is_user_function
        for node in nodes.walk(self.parsed.tree):
            if not isinstance(node, gast.Call):
                continue
            function = nodes.annotation(node.func, "value", _MISSING)
            if function is _MISSING or not is_user_function(function) or \
                    registry.lookup(function) is not None or written_for_namespaces(function):
                continue
            name = getattr(function, "__name__", "the function")
            raise NoDerivativeRuleError(
                f"{name} is called from a function that takes its array namespace from its "
                f"arguments, but does not take one itself: its derivative would compute "
                "with NumPy's functions, which convert arrays of the array API standard",
                self.parsed.location(node),
                help=f"Begin {name} with `xp = array_namespace(...)` of its array arguments "
                "(array_api_compat) or `xp = x.__array_namespace__()`, and call xp's "
                "functions in it; or write its body in this function.")

    def refuse_numpy(self, variables: set) -> None:
        # (The rule files are read on first use, not when adcompiler is imported.)
        from ..rules.numpy_rules import METHODS
        for node in nodes.walk(self.parsed.tree):
            if not isinstance(node, gast.Call):
                continue
            function = nodes.annotation(node.func, "value", _MISSING)
            if function is _MISSING:
                if isinstance(node.func, gast.Attribute) and node.func.attr in METHODS and \
                        not (isinstance(node.func.value, gast.Name) and
                             node.func.value.id in variables) and \
                        nodes.annotation(node.func.value, "value", _MISSING) is _MISSING:
                    raise NoDerivativeRuleError(
                        f"the method .{node.func.attr}() in a function that takes its array "
                        "namespace from its arguments: arrays of the array API standard "
                        "have no such method", self.parsed.location(node),
                        help=f"Call the namespace's function: xp.{node.func.attr}(x, ...).")
                continue
            module = getattr(function, "__module__", None) or ""
            rule = registry.lookup(function) if module.split(".")[0] == "numpy" else None
            if rule is not None and rule.differentiable and any(
                    not isinstance(arg, gast.Constant) for arg in nodes.call_arguments(node)):
                name = getattr(function, "__name__", "function")
                raise NoDerivativeRuleError(
                    f"np.{name} in a function that takes its array namespace from its "
                    "arguments: NumPy's functions convert arrays of the array API standard "
                    "to NumPy arrays", self.parsed.location(node),
                    help=f"Call the namespace's function instead (xp.{name}(...), with xp = "
                    "x.__array_namespace__()); it computes with NumPy for NumPy arrays.")


def _chain(func: gast.AST):
    """(['linalg', 'inv'], Name('xp')) for `xp.linalg.inv`; ([], None) otherwise."""
    path = []
    while isinstance(func, gast.Attribute):
        path.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name) or not path:
        return [], None
    return list(reversed(path)), func
