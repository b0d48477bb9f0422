"""The numba back end: `grad(f, backend="numba")` compiles the generated
derivative to machine code with numba's `njit`.

It is not a second differentiator. derivatives.py generates the Python
derivative as usual (the variant for Python numbers when f is elementwise,
the general one otherwise, and the primal/adjoint pairs of the user functions
f calls); this module rewrites that code where numba needs something else,
and hands it to `numba.njit`:

* **Typed stacks.** The Python derivative records on one `_stack` list
  holding floats, ints, booleans and tuples alike, which numba cannot type.
  Here every recorded variable gets a stack of its own (`_stack_s` for `s`),
  so each holds one type, which numba infers from what is pushed; branch
  flags and loop trip counts share the integer stack `_stack_control`. A
  variable recorded exactly once, outside any loop or branch, needs no stack
  at all: it is kept in a local (`_saved_s`). This is the same protocol with
  the pushes sorted by what they record, so the pops still meet their pushes
  (a pop always restores the variable that was pushed, and each stack is
  last-in first-out on its own).
* **Callees.** A user function's recording primal pushed its state onto the
  caller's stack; here it returns that state as a tuple beside its result
  (`_t1, _state = rhs_primal(y, v, k)`), the caller keeps it like any
  recorded value, and hands it to the adjoint (`rhs_adjoint(_state, d_t1)`).
* **Helpers.** The runtime helpers (`unbroadcast`, `as_gradient`, ...) are
  replaced by their numba versions (numba_runtime.py), and `_range[::-1]` by
  `reversed_range(_range)`.

Numba compiles for the argument types of the first call (and again for new
types). What it cannot compile (a NumPy function it does not support, a
recursive helper, a helper with no numba version) raises
`NumbaBackendError` naming what numba refused; the default back end
(`backend="python"`) differentiates it. Nothing falls back silently: the
user asked for numba.

Example:
    >>> import math
    >>> def f(x):
    ...     s = 0.0
    ...     for i in range(10):
    ...         s = s + math.sin(x * s + 1.0)
    ...     return s
    >>> df = grad(f, backend="numba")          # doctest: +SKIP
    >>> df(0.5)                                # doctest: +SKIP
"""

from __future__ import annotations

import builtins
import inspect
import linecache
import re
import textwrap
import types

import gast
import numpy as np

from . import derivatives, nodes, runtime
from .errors import NumbaBackendError
from .printer import to_source

# The label of the stack that holds branch flags and loop trip counts.
_CONTROL = "control"


def numba_or_error():
    """The numba module, or a NumbaBackendError saying how to install it."""
    try:
        import numba
    except ImportError as err:
        raise NumbaBackendError(
            "backend='numba' needs the numba package, which is not installed",
            help="pip install 'adcompiler[numba]' (or pip install numba), or use the "
            "default backend='python'.") from err
    return numba


def build(function, kind: str, wrt: tuple, as_tuple: bool):
    """The numba derivative of `function`: a Python function with f's
    parameters that calls the njit-compiled derivative, and the
    GeneratedDerivative whose source `adcompiler.source` shows."""
    numba = numba_or_error()
    from . import numba_runtime
    python = derivatives.build(function, kind, wrt, as_tuple)
    variants = _variants(python.function)
    translation = _Translation(numba, numba_runtime)
    compiled = []
    for test, variant in variants:
        compiled.append((test, translation.function(variant, "top")))
    translation.finish(python.function.__name__)
    rebuild = lambda: build(function, kind, wrt, as_tuple).function
    wrapper = _wrapper(python.function, compiled, translation, function, rebuild)
    source = translation.shown(python)
    shown = derivatives.GeneratedDerivative(wrapper, kind, wrt, source, [])
    return shown


def _variants(dispatcher) -> list:
    """[(the type test choosing it or None, generated function)]: the variant
    for Python numbers first when the Python derivative dispatches."""
    cells = _free_objects(dispatcher)
    numbers = [f for name, f in cells.items() if name.endswith("_numbers")
               and _is_generated(f)]
    arrays = [f for name, f in cells.items() if name.endswith("_arrays") and _is_generated(f)]
    if numbers and arrays:
        return [("numbers", numbers[0]), (None, arrays[0])]
    return [(None, dispatcher)]


def _is_generated(obj) -> bool:
    return isinstance(obj, types.FunctionType) and \
        obj.__code__.co_filename.startswith("<adcompiler")


def _free_objects(function) -> dict:
    return {name: cell.cell_contents for name, cell in
            zip(function.__code__.co_freevars, function.__closure__ or ())}


def _parse(function) -> gast.FunctionDef:
    """The generated function's tree, its comments (`# line 7: s = ...`) put
    back as comment statements (parsing drops them)."""
    text = textwrap.dedent(inspect.getsource(function))
    tree = gast.parse(text).body[0]
    comments, pending = {}, []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(stripped[1:].strip())
        elif stripped:
            if pending:
                comments[number] = pending
            pending = []
    _put_comments(tree, comments)
    return tree


def _put_comments(node, comments: dict) -> None:
    for field in ("body", "orelse"):
        block = getattr(node, field, None)
        if not isinstance(block, list):
            continue
        out = []
        for stmt in block:
            out += [nodes.comment(text) for text in comments.get(getattr(stmt, "lineno", 0), [])]
            _put_comments(stmt, comments)
            out.append(stmt)
        setattr(node, field, out)


class _Translation:
    """The numba text of one derivative and of every generated function it
    calls, translated once each, in one namespace."""

    def __init__(self, numba, numba_runtime):
        self.numba, self.runtime = numba, numba_runtime
        self.translated: dict = {}      # id(generated function) -> its numba name
        self.layouts: dict = {}         # id(primal) -> [(label, once)]: the state it returns
        self.texts: list = []           # (numba name, source text)
        self.namespace: dict = {"reversed_range": numba_runtime.reversed_range}
        self.user_globals: dict = {}    # global name -> object read, to check for rebinding
        self.module_globals = None
        self.helpers = {getattr(runtime, name): helper
                        for name, helper in numba_runtime.HELPERS.items()
                        if hasattr(runtime, name)}

    # -- one generated function --------------------------------------------
    def function(self, generated, role: str) -> str:
        key = id(generated)
        if key in self.translated:
            return self.translated[key]
        name = generated.__name__
        taken = {n for n, _ in self.texts}
        while name in taken:
            name += "_"
        self.translated[key] = name
        if role == "adjoint":
            primal = getattr(generated, "__adcompiler_primal__", None)
            if primal is None:
                raise NumbaBackendError(f"the adjoint {generated.__name__} has no recording "
                                        "primal to pair with (an internal error)")
            self.function(primal, "primal")
        tree = _parse(generated)
        tree.name = name
        frees = _free_objects(generated)
        self._resolve_names(tree, generated, frees)
        layout = self.layouts.get(id(getattr(generated, "__adcompiler_primal__", None)))
        rewritten = _StackRewrite(tree, role, frees, self, layout).run()
        if role == "primal":
            self.layouts[key] = rewritten
        self.texts.append((name, to_source(tree)))
        return name

    def _resolve_names(self, tree, generated, frees: dict) -> None:
        """Bind every free name of `tree` in the namespace: a callee to its numba
        name, a runtime helper to its numba version, anything else to the value
        Python would read."""
        if self.module_globals is None:
            self.module_globals = generated.__globals__
        local = nodes.names_stored(tree) | set(nodes.parameters(tree))
        for name in sorted(nodes.names_loaded(tree) - local):
            if name in frees:
                value = frees[name]
            elif name in generated.__globals__:
                value = generated.__globals__[name]
                if not isinstance(value, (types.ModuleType, types.FunctionType,
                                          types.BuiltinFunctionType, type)):
                    self.user_globals[name] = value
            elif hasattr(builtins, name):
                continue
            else:
                continue  # an undefined name: numba reports it where it is read
            if _is_generated(value):
                continue  # a callee: the stack rewrite calls it by its numba name
            if callable(value) and getattr(value, "__module__", "").startswith("adcompiler"):
                helper = self.helpers.get(value)
                if helper is None:
                    raise NumbaBackendError(
                        f"the derivative calls adcompiler's runtime helper "
                        f"{getattr(value, '__name__', name)}, which has no numba version yet",
                        help="Use the default backend='python' for this function.")
                value = helper
            if isinstance(value, np.ndarray):
                raise NumbaBackendError(
                    f"the function reads the array {name!r} from its module or closure; "
                    "numba would compile a frozen copy of it, and later changes to it would "
                    "be missed",
                    help=f"Pass {name} as an argument (it need not be differentiated), or "
                    "use the default backend='python'.")
            self.namespace[name] = value

    # -- compiling ----------------------------------------------------------
    def finish(self, label: str) -> None:
        """Compile the texts in one namespace, each function njit-ed."""
        text = "\n\n".join(t for _, t in self.texts)
        filename = f"<adcompiler numba: {label}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        self.filename = filename
        code = compile(text, filename, "exec")
        namespace = dict(self.namespace)
        exec(code, namespace)
        for name, _ in self.texts:
            namespace[name] = self.numba.njit(namespace[name])
        self.compiled = namespace

    def shown(self, python) -> str:
        header = "\n".join(line for line in python.source.splitlines()
                           if line.startswith("#") and "Dispatches" not in line)
        header += "\n# Compiled with numba (backend='numba'): typed stacks per recorded value."
        return header + "\n" + "\n\n".join(t.rstrip("\n") + "\n" for _, t in self.texts)


class _StackRewrite:
    """Rewrite one generated function's stack protocol into typed stacks (see
    the module docstring). `role` is "top" (a grad/vjp function: the stack is
    local), "primal" (a callee's recording primal: returns its state) or
    "adjoint" (takes the state its primal returned)."""

    def __init__(self, tree, role: str, frees: dict, translation: _Translation, layout):
        self.tree, self.role, self.frees = tree, role, frees
        self.translation, self.layout = translation, layout
        self.used = nodes.names_loaded(tree) | nodes.names_stored(tree) | set(
            nodes.parameters(tree))
        self.stack = self._stack_name()
        self.names: dict = {}   # (kind, label) -> variable name

    def _stack_name(self) -> str | None:
        if self.role in ("primal", "adjoint"):
            return self.tree.args.args[0].id
        for stmt in self.tree.body:
            if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.List) and \
                    not stmt.value.elts and stmt.targets[0].id.startswith("_stack"):
                return stmt.targets[0].id
        return None

    def _name(self, kind: str, label: str) -> str:
        key = (kind, label)
        if key not in self.names:
            base = re.sub(r"\W", "_", f"{'_stack' if kind == 'stack' else '_saved'}_{label}")
            name = base
            while name in self.used:
                name += "_"
            self.used.add(name)
            self.names[key] = name
        return self.names[key]

    # -- what is pushed and popped ------------------------------------------
    def _is_stack_call(self, node, method: str) -> bool:
        return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
            node.func.attr == method and isinstance(node.func.value, gast.Name) and \
            node.func.value.id == self.stack

    def _callee(self, node):
        """(role, generated function) when `node` calls a callee with the stack."""
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                node.args and isinstance(node.args[0], gast.Name) and \
                node.args[0].id == self.stack:
            target = self.frees.get(node.func.id)
            if _is_generated(target):
                role = "adjoint" if getattr(target, "__adcompiler_primal__", None) else "primal"
                return role, target
        return None

    def _push_label(self, stmt):
        """(label, value) when `stmt` pushes onto the stack."""
        if isinstance(stmt, gast.Expr) and self._is_stack_call(stmt.value, "append"):
            value = stmt.value.args[0]
            if isinstance(value, gast.Constant):
                return _CONTROL, nodes.const(int(value.value))
            if isinstance(value, gast.Name) and re.fullmatch(r"_trips\d*", value.id):
                return _CONTROL, value
            if isinstance(value, gast.Name):
                return value.id, value
            raise NumbaBackendError("the derivative pushes an expression the numba back end "
                                    "does not know (an internal error)")
        return None

    def _labels(self):
        """{label: (pushes at top level, pushes elsewhere)} of this function."""
        counts: dict = {}

        def visit(stmts, top):
            for stmt in stmts:
                pushed = self._push_label(stmt)
                call = self._call_in(stmt)
                label = pushed[0] if pushed else (
                    self._call_label(call[1]) if call and call[0] == "primal" else None)
                if label is not None:
                    top_count, other = counts.get(label, (0, 0))
                    counts[label] = (top_count + 1, other) if top else (top_count, other + 1)
                for field in ("body", "orelse"):
                    inner = getattr(stmt, field, None)
                    if isinstance(inner, list) and not isinstance(stmt, gast.FunctionDef):
                        visit(inner, False)
        visit(self.tree.body, True)
        return counts

    def _call_in(self, stmt):
        if isinstance(stmt, (gast.Assign, gast.Expr)):
            return self._callee(stmt.value)
        return None

    def _call_label(self, generated) -> str:
        return f"calls_{self.translation.function(generated, 'primal')}"

    # -- the rewrite --------------------------------------------------------
    def run(self):
        if self.stack is None:
            return []
        counts = self._labels()
        self.once = {label for label, (top, other) in counts.items() if top == 1 and other == 0}
        if self.role == "adjoint":
            # Which state is a saved value and which a stack is the primal's choice.
            self.once = {label for label, once in self.layout if once}
        self.tree.body = self._block(self.tree.body)
        if self.role == "top":
            return []
        if self.role == "primal":
            layout = [(label, label in self.once) for label in sorted(counts)]
            state = nodes.tuple_([nodes.name(self._name("saved" if once else "stack", label))
                                  for label, once in layout])
            self.tree.args.args = self.tree.args.args[1:]
            starts = [nodes.assign(self._name("stack", label), nodes.list_())
                      for label, once in layout if not once]
            self.tree.body = starts + [self._with_state(stmt, state)
                                       for stmt in self.tree.body]
            return layout
        state_param = self._name("saved", "state")
        self.tree.args.args[0] = nodes.name(state_param, "param")
        targets = [nodes.name(self._name("saved" if once else "stack", label), "store")
                   for label, once in self.layout]
        unpack = nodes.assign(nodes.tuple_(targets, "store"), nodes.name(state_param)) \
            if targets else gast.Pass()
        self.tree.body = [unpack] + self.tree.body
        return []

    def _with_state(self, stmt, state):
        if isinstance(stmt, gast.Return):
            return nodes.return_(nodes.tuple_([stmt.value, nodes.clone(state)]))
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                setattr(stmt, field, [self._with_state(s, state) for s in inner])
        return stmt

    def _block(self, stmts) -> list:
        out = []
        for stmt in stmts:
            out.extend(self._statement(stmt))
        return out

    def _statement(self, stmt) -> list:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.List) and \
                stmt.targets[0].id == self.stack:
            # The one stack becomes one per recorded variable.
            return [nodes.assign(self._name("stack", label), nodes.list_())
                    for label in sorted(self._labels()) if label not in self.once]
        pushed = self._push_label(stmt)
        if pushed is not None:
            return [self._push(*pushed)]
        call = self._call_in(stmt)
        if call is not None:
            return self._call(stmt, *call)
        if isinstance(stmt, gast.Assign) and self._is_stack_call(stmt.value, "pop"):
            target = stmt.targets[0].id
            label = _CONTROL if re.fullmatch(r"_trips\d*", target) else target
            stmt.value = self._pop(label)
            return [stmt]
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                setattr(stmt, field, self._block(inner))
        self._expressions(stmt)
        return [stmt]

    def _push(self, label: str, value) -> gast.AST:
        if label in self.once:
            return nodes.assign(self._name("saved", label), value)
        return nodes.expr_stmt(nodes.call(nodes.attribute(
            nodes.name(self._name("stack", label)), "append"), [value]))

    def _pop(self, label: str) -> gast.AST:
        if label in self.once:
            return nodes.name(self._name("saved", label))
        return nodes.call(nodes.attribute(nodes.name(self._name("stack", label)), "pop"))

    def _call(self, stmt, role: str, generated) -> list:
        callee = stmt.value
        name = self.translation.function(generated, role)
        if role == "primal":
            label = self._call_label(generated)
            state = self._name("saved", f"state_of_{name}")
            result = stmt.targets[0] if isinstance(stmt, gast.Assign) else \
                nodes.name(self._name("saved", f"unused_{name}"), "store")
            callee.func = nodes.name(name)
            callee.args = callee.args[1:]
            return [nodes.assign(nodes.tuple_([result, nodes.name(state, "store")], "store"),
                                 callee), self._push(label, nodes.name(state))]
        primal = self.translation.function(generated.__adcompiler_primal__, "primal")
        callee.func = nodes.name(name)
        callee.args = [self._pop(f"calls_{primal}")] + callee.args[1:]
        return [stmt]

    def _expressions(self, stmt) -> None:
        """Control pops inside expressions (`range(_stack.pop())`, `if
        _stack.pop():`) and reversed ranges, in `stmt`'s own expressions (its
        blocks are rewritten statement by statement)."""
        rewrite = _ExpressionRewrite(self)
        for field, value in gast.iter_fields(stmt):
            if field in ("body", "orelse"):
                continue
            if isinstance(value, gast.AST):
                setattr(stmt, field, rewrite.visit(value))
            elif isinstance(value, list):
                setattr(stmt, field, [rewrite.visit(v) if isinstance(v, gast.AST) else v
                                      for v in value])

    def _expression(self, node, ranges):
        if self._is_stack_call(node, "pop"):
            return self._pop(_CONTROL)
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                node.value.id in ranges and isinstance(node.slice, gast.Slice) and \
                node.slice.lower is None and node.slice.upper is None and \
                _is_minus_one(node.slice.step):
            return nodes.call(nodes.name("reversed_range"), [node.value])
        if isinstance(node, gast.Name) and node.id == self.stack:
            raise NumbaBackendError("the derivative uses its stack in a way the numba back "
                                    "end does not know (an internal error)")
        return node

    def _ranges(self) -> set:
        if not hasattr(self, "_range_names"):
            self._range_names = {
                stmt.targets[0].id for stmt in gast.walk(self.tree)
                if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call)
                and isinstance(stmt.value.func, gast.Name) and stmt.value.func.id == "range"}
        return self._range_names


class _ExpressionRewrite(gast.NodeTransformer):
    def __init__(self, rewrite: _StackRewrite):
        self.rewrite, self.ranges = rewrite, rewrite._ranges()

    def visit(self, node):
        replaced = self.rewrite._expression(node, self.ranges)
        if replaced is not node:
            return replaced
        return self.generic_visit(node)


def _is_minus_one(node) -> bool:
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return isinstance(node.operand, gast.Constant) and node.operand.value == 1
    return isinstance(node, gast.Constant) and node.value == -1


def _wrapper(python, compiled: list, translation: _Translation, function, rebuild):
    """A Python function with the derivative's parameters that picks the
    variant (as the Python dispatcher does), calls its numba version, and
    turns numba's refusal to compile into a NumbaBackendError.

    numba compiles the values of the globals the code reads into it; Python
    reads them at every call. So when the code reads a global that is not a
    module or a function, each call checks that the name still holds the
    object compiled in, and compiles afresh (`rebuild`) if it was rebound."""
    numba = translation.numba
    signature = inspect.signature(python)
    params = list(signature.parameters)
    arguments = ", ".join(params)
    lines = [f"def {python.__name__}({arguments}):"]
    namespace = {"_refuse": _refusal(translation, function),
                 "_NumbaError": numba.core.errors.NumbaError}
    if translation.user_globals:
        namespace.update(_module=translation.module_globals, _rebuild=rebuild,
                         _missing=object(), _current=None)
        checks = []
        for index, (name, value) in enumerate(sorted(translation.user_globals.items())):
            namespace[f"_compiled{index}"] = value
            checks.append(f"_module.get({name!r}, _missing) is not _compiled{index}")
        lines += ["    global _current",
                  f"    if _current is not None or {' or '.join(checks)}:",
                  "        # A global read by the code was rebound since numba compiled it.",
                  "        _current = _current or _rebuild()",
                  f"        return _current({arguments})"]
    for index, (test, name) in enumerate(compiled):
        namespace[f"_variant{index}"] = translation.compiled[name]
        call = f"_variant{index}({arguments})"
        body = ["    try:", f"        return {call}",
                "    except _NumbaError as err:", "        raise _refuse(err) from None"]
        if test == "numbers":
            check = " and ".join(f"type({p}) in (float, int)" for p in params)
            lines.append(f"    if {check}:")
            lines += ["    " + line for line in body]
        else:
            lines += body
    text = "\n".join(lines) + "\n"
    exec(compile(text, f"<adcompiler numba dispatcher: {python.__name__}>", "exec"), namespace)
    wrapper = namespace[python.__name__]
    wrapper.__defaults__ = python.__defaults__
    return wrapper


def _refusal(translation: _Translation, function):
    def refuse(err):
        message = re.sub(r"\x1b\[[0-9;]*m", "", str(err))
        lines = [line.rstrip() for line in message.splitlines() if line.strip()
                 and not line.startswith("Failed in nopython mode pipeline")]
        first = lines[0].strip() if lines else message
        detail = "\n".join("    " + line for line in lines[1:12])
        return NumbaBackendError(
            f"numba cannot compile the derivative of {function.__qualname__}: {first}\n"
            f"{detail}",
            help="Use the default backend='python' (it supports everything adcompiler "
            "differentiates), or change the function to what numba compiles: Python numbers, "
            "NumPy arrays and the NumPy functions numba supports. adcompiler.source(...) shows "
            "the code numba was given.")
    return refuse
