"""`ad.export(df, "loss_grad.py")`: a derivative as a standalone module that
needs only NumPy (and whatever the user's own code imports).

The module holds, in this order:

* imports: the modules the code reads (`import numpy as np`), and the user's
  own functions and values it calls, imported from the user's module
  (`from model import predict`), or their source copied in with
  `copy_user_code=True` (needed when the function lives in `__main__`);
* adcompiler's runtime helpers the derivative calls (`unbroadcast`,
  `sum_adjoint`, ...), their source copied with whatever they use in turn;
* the generated functions: the derivative and the derivatives of the
  helpers it calls, as `ad.source` shows them.

Nothing in it imports adcompiler. A derivative closing over a value of the
user's (a closure cell) is exported when the value is a literal (a number, a
string, a tuple of them); otherwise it is refused with `ExportError`.

    >>> ad.export(ad.grad(loss), "loss_grad.py")      # doctest: +SKIP
    'loss_grad.py'
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import os
import textwrap
import types

from . import codegen
from .errors import ExportError
from .runtime import namespaces as runtime_namespaces
from .runtime import odeint as runtime_odeint

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _is_ours(obj) -> bool:
    """An object defined in adcompiler's own source (a runtime helper), or
    one of its modules."""
    module = (obj.__name__ if isinstance(obj, types.ModuleType)
              else getattr(obj, "__module__", None)) or ""
    if not isinstance(module, str):
        return False
    return module == "adcompiler" or module.startswith("adcompiler.")


def _generated(obj) -> bool:
    return isinstance(obj, types.FunctionType) and \
        obj.__code__.co_filename in codegen._registered


def _entry_function(derivative):
    """The generated function behind what the API returned."""
    if isinstance(derivative, types.MethodType):
        raise ExportError(
            "a derivative bound to an object (ad.grad(model.loss)) cannot be exported",
            help="Export the derivative of the method's function, ad.grad(Model.loss), and "
            "pass the object as its first argument.")
    seen = set()
    while not _generated(derivative):
        inner = getattr(derivative, "__wrapped__", None)
        if inner is None or id(inner) in seen:
            raise ExportError(
                f"{derivative!r} is not a derivative adcompiler can export",
                help="Export what ad.grad, ad.value_and_grad, ad.vjp, ad.jvp, ad.hvp or "
                "ad.derivative returned. Jacobians and Hessians loop in Python over a "
                "derivative: export that derivative (ad.vjp(f), ad.hvp(f)) instead.")
        seen.add(id(inner))
        derivative = inner
    return derivative


class _Module:
    """The exported module being assembled: a name for every object, and
    the text defining each."""

    def __init__(self, copy_user_code: bool):
        self.copy_user_code = copy_user_code
        self.names: dict = {}          # id(object) -> name in the module
        self.objects: dict = {}        # name -> object
        self.imports: list = []        # import lines
        self.definitions: list = []    # source texts, dependencies first
        self.keep: list = []           # objects named (ids stay valid)
        self.user_code: set = set()    # ids of the user's functions to copy

    def name_for(self, obj, preferred: str) -> str:
        """The module-level name of `obj`, defining it (and what it needs) the
        first time."""
        if id(obj) in self.names:
            return self.names[id(obj)]
        name = preferred
        suffix = 1
        while name in self.objects or hasattr(builtins, name) and \
                getattr(builtins, name) is not obj:
            suffix += 1
            name = f"{preferred}_{suffix}"
        self.names[id(obj)] = name
        self.objects[name] = obj
        self.keep.append(obj)
        self._define(obj, name)
        return name

    def _define(self, obj, name: str) -> None:
        if isinstance(obj, types.ModuleType):
            if _is_ours(obj):
                raise ExportError(f"the derivative refers to adcompiler's module {obj.__name__}")
            line = f"import {obj.__name__}" if obj.__name__ == name else \
                f"import {obj.__name__} as {name}"
            self.imports.append(line)
        elif _generated(obj):
            self.definitions.append(self._function_text(obj, name, _generated_source(obj)))
        elif isinstance(obj, types.FunctionType) and obj in _COMPILE_WHEN_RUN:
            what = _COMPILE_WHEN_RUN[obj]
            raise ExportError(
                f"the derivative goes through {what}, whose derivative ({obj.__name__}) "
                f"compiles a derivative of the function passed to {what.rsplit('.', 1)[1]} "
                "(its right-hand side) when it runs, so the exported module would need "
                "adcompiler: it cannot be exported",
                help="Call the derivative where adcompiler is installed (ad.grad(f) as it "
                "is), or write the integration as a loop in your function (a fixed-step "
                "Runge-Kutta loop): its derivative is generated code, which exports.")
        elif _is_ours(obj) and isinstance(obj, (types.FunctionType, type)):
            self.definitions.append(self._function_text(obj, name, _own_source(obj)))
        elif _is_literal(obj):
            self.definitions.append(f"{name} = {obj!r}\n")
        elif isinstance(obj, runtime_namespaces.MemoCache):
            self.definitions.append(f"{name} = {{}}\n")  # refilled where it runs
        elif type(obj) in (tuple, list, frozenset):
            parts = ", ".join(self.name_for(part, getattr(part, "__name__", "_part"))
                              for part in obj)
            spelled = {tuple: f"({parts},)", list: f"[{parts}]",
                       frozenset: f"frozenset(({parts},))"}[type(obj)]
            self.definitions.append(f"{name} = {spelled}\n")
        elif type(obj) is dict and all(_is_literal(key) for key in obj):
            items = ", ".join(f"{key!r}: {self.name_for(value, '_value')}"
                              for key, value in obj.items())
            self.definitions.append(f"{name} = {{{items}}}\n")
        elif id(obj) in self.user_code:
            self.definitions.append(self._function_text(obj, name, _own_source(obj)))
        elif getattr(obj, "__module__", None) == "builtins" and \
                getattr(builtins, getattr(obj, "__name__", ""), None) is obj:
            if obj.__name__ != name:
                self.definitions.append(f"{name} = {obj.__name__}\n")
        else:
            self._import_object(obj, name)

    def _import_object(self, obj, name: str) -> None:
        home = _home_module(obj)
        if home is not None:
            attribute = obj.__name__
            self.imports.append(f"from {home} import {attribute}" +
                                ("" if attribute == name else f" as {name}"))
            return
        module = getattr(obj, "__module__", None)
        raise ExportError(
            f"the derivative uses {name} ({type(obj).__name__}), which the exported module "
            "cannot import" + (" (it is defined in __main__)" if module == "__main__" else ""),
            help="Define it in a module of its own (model.py) so the export can import it, "
            "or pass copy_user_code=True to copy the source of your functions into it.")

    def import_global(self, globals_: dict, name: str) -> str:
        """A global name the code reads in its module `globals_`."""
        if name not in globals_:
            if hasattr(builtins, name):
                return name
            raise ExportError(f"the derivative reads the global name {name!r}, which is not "
                              "defined")
        value = globals_[name]
        owner = globals_.get("__name__") or ""
        if isinstance(value, types.ModuleType) or _is_ours(value) or _generated(value) or \
                owner.startswith("adcompiler"):
            return self.name_for(value, name)
        if owner == "__main__" or self.copy_user_code:
            # The user's own code, copied: a function or class defined in that
            # module; library objects it imported are imported from their home.
            if isinstance(value, (types.FunctionType, type)) and value.__module__ == owner:
                self.user_code.add(id(value))
            return self.name_for(value, name)
        if getattr(value, "__module__", None) != owner and _home_module(value) is not None:
            return self.name_for(value, name)  # a library's (from scipy.special import ...)
        # The user's own names: imported from the user's module, read live there.
        if id(value) not in self.names:
            self.names[id(value)] = name
            self.objects[name] = value
            self.keep.append(value)
            self.imports.append(f"from {owner} import {name}")
        return self.names[id(value)]

    def _function_text(self, obj, name: str, source: str) -> str:
        """`source` (a def or class) with its free names renamed to the module's
        names for what they refer to, and the definition named `name`."""
        tree = ast.parse(source)
        definition = tree.body[0]
        definition.name = name
        closure = {}
        if isinstance(obj, types.FunctionType):
            closure = dict(zip(obj.__code__.co_freevars,
                               [_cell_value(c) for c in obj.__closure__ or ()]))
            globals_ = obj.__globals__
            _set_defaults(definition, obj)
        else:
            globals_ = vars(__import__("sys").modules[obj.__module__])
        bound = _bound_names(definition)
        renames = {}
        imports_removed = self._relative_imports(definition, globals_)
        for node in ast.walk(definition):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                    node.value.id not in bound:
                base = closure.get(node.value.id, globals_.get(node.value.id))
                if isinstance(base, types.ModuleType) and _is_ours(base):
                    # runtime_arrays.reduce_to_shape -> reduce_to_shape, copied in
                    target = getattr(base, node.attr)
                    node.value.id = self.name_for(target, node.attr)
                    node.value.ad_replaced_attribute = True
        for node in ast.walk(definition):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                    node.id not in bound and not getattr(node, "ad_replaced_attribute", False):
                if node.id in renames:
                    continue
                if node.id in closure:
                    value = closure[node.id]
                    if value is _EMPTY:
                        raise ExportError(f"{name} reads {node.id}, a cell not filled yet")
                    renames[node.id] = self.name_for(value, node.id) if not \
                        _is_literal(value) else self.name_for(value, node.id)
                else:
                    renames[node.id] = self.import_global(globals_, node.id)
        collapsed = any(getattr(node, "ad_replaced_attribute", False)
                        for node in ast.walk(definition))
        if not collapsed and not imports_removed and name == _defined_name(source) and \
                all(old == new for old, new in renames.items()):
            return source  # as written: comments and layout kept
        for node in ast.walk(definition):
            if isinstance(node, ast.Name) and node.id in renames and \
                    not getattr(node, "ad_replaced_attribute", False):
                node.id = renames[node.id]
        # Attribute bases replaced by the attribute itself: `mod.f` -> `f`.
        _collapse_replaced(definition)
        return ast.unparse(tree) + "\n"

    def _relative_imports(self, definition, globals_: dict) -> bool:
        """`from .errors import AdWarning` inside a copied helper: the names
        become module-level definitions of the export."""
        package = globals_.get("__package__") or ""
        removed = False
        for node in list(ast.walk(definition)):
            body = getattr(node, "body", None)
            if not isinstance(body, list):
                continue
            kept = []
            for statement in body:
                if isinstance(statement, ast.ImportFrom) and statement.level:
                    module = __import__("importlib").import_module(
                        "." * statement.level + (statement.module or ""), package)
                    for alias in statement.names:
                        self.name_for(getattr(module, alias.name), alias.asname or alias.name)
                    removed = True
                    continue
                kept.append(statement)
            node.body = kept or [ast.Pass()]
        return removed

    def text(self, header: str, entry: str) -> str:
        imports = "\n".join(dict.fromkeys(self.imports))
        body = "\n\n".join(text.rstrip("\n") + "\n" for text in self.definitions)
        return (f'"""{header}\n\nGenerated by adcompiler.export; needs no adcompiler."""\n\n'
                f"{imports}\n\n\n{body}\n__all__ = [{entry!r}]\n")


_EMPTY = object()

# Runtime helpers that compile a derivative of the user's function when they
# run (the vjp and jvp of odeint's right-hand side): they need adcompiler.
_COMPILE_WHEN_RUN = {runtime_odeint.odeint_adjoint: "scipy.integrate.odeint",
                     runtime_odeint.odeint_tangent: "scipy.integrate.odeint"}

# Where library objects without a usable __module__ (NumPy and SciPy ufuncs)
# are found, besides the module they name.
_LIBRARY_MODULES = ("numpy", "numpy.linalg", "numpy.fft", "scipy.special", "scipy.linalg",
                    "scipy.stats", "math", "operator")


def _home_module(obj) -> str | None:
    """The module `obj` can be imported from by its own name, if any (not
    adcompiler's, not __main__)."""
    import sys
    attribute = getattr(obj, "__name__", None)
    if not isinstance(attribute, str):
        return None
    module = getattr(obj, "__module__", None)
    for candidate in ((module,) if isinstance(module, str) else ()) + _LIBRARY_MODULES:
        if candidate == "__main__" or candidate.startswith("adcompiler"):
            continue
        found = sys.modules.get(candidate)
        if found is not None and getattr(found, attribute, None) is obj:
            return candidate
    return None


def _defined_name(source: str) -> str:
    return ast.parse(source).body[0].name


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return _EMPTY


def _is_literal(value) -> bool:
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return True
    if isinstance(value, (tuple, frozenset)) and type(value) in (tuple, frozenset):
        return all(_is_literal(v) for v in value)
    return False


def _bound_names(definition) -> set:
    """Names the definition binds itself: parameters, assignments, loops,
    nested defs, comprehension variables, imports."""
    names = set()
    for node in ast.walk(definition):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
                node is not definition:
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _collapse_replaced(definition) -> None:
    class Collapse(ast.NodeTransformer):
        def visit_Attribute(self, node):
            self.generic_visit(node)
            if isinstance(node.value, ast.Name) and \
                    getattr(node.value, "ad_replaced_attribute", False):
                return ast.copy_location(ast.Name(node.value.id, node.ctx), node)
            return node
    Collapse().visit(definition)


def _set_defaults(definition, function) -> None:
    defaults = function.__defaults__ or ()
    if not defaults or definition.args.defaults:
        return
    if not all(_is_literal(d) for d in defaults):
        raise ExportError(f"{function.__qualname__} has a default value that is not a "
                          "literal, which the exported module cannot write out",
                          help="Pass that argument explicitly and give it no default.")
    definition.args.defaults = [ast.parse(repr(d), mode="eval").body for d in defaults]


def _generated_source(function) -> str:
    """The text of one generated function, out of the scope it was compiled in."""
    filename = function.__code__.co_filename
    lines = linecache.getlines(filename) or codegen._registered[filename][0]
    module = ast.parse("".join(lines))
    inner = next(node for node in module.body[0].body if isinstance(node, ast.FunctionDef)
                 and node.name == function.__code__.co_name)
    segment = ast.get_source_segment("".join(lines), inner, padded=True)
    return textwrap.dedent(segment) if segment else ast.unparse(inner)


def _own_source(obj) -> str:
    try:
        return textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError) as err:
        raise ExportError(f"cannot read the source of {obj!r} to copy it") from err


def export(derivative, path, *, copy_user_code: bool = False) -> str:
    """Write `derivative` (what ad.grad, value_and_grad, vjp, jvp, hvp or
    derivative returned) to `path` as a module that needs only NumPy and the
    user's own modules; returns the path. The module defines the generated
    function under its generated name (`loss_grad`), listed in `__all__`.

    Example:
        >>> ad.export(ad.grad(loss), "loss_grad.py")    # doctest: +SKIP
        'loss_grad.py'
    """
    function = _entry_function(derivative)
    module = _Module(copy_user_code)
    entry = module.name_for(function, function.__code__.co_name)
    header = _header_of(function)
    text = module.text(header, entry)
    compile(text, str(path), "exec")  # a bug here is ours: fail before writing
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    return str(path)


def _header_of(function) -> str:
    generated = getattr(function, "__adcompiler__", None)
    shown = generated.source if generated is not None else ""
    lines = [line[2:] for line in shown.splitlines() if line.startswith("# ")][:2]
    return " ".join(lines) if lines else f"The derivative {function.__qualname__}."
