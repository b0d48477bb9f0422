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
import itertools
import linecache
import re
import textwrap
import types
import weakref

import gast
import numpy as np

from . import derivatives, nodes, runtime
from .errors import NumbaBackendError
from .printer import to_source

# Numbers the source files registered in linecache, which finalizers remove.
_NUMBERS = itertools.count(1)

# The label of the stack that holds branch flags and loop trip counts.
_CONTROL = "control"
# The typed stack an entry of each kind goes on (booleans as 0 and 1).
_STACK_OF = {"f": "floats", "i": "ints", "b": "ints"}


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
    GeneratedDerivative whose source `adcompiler.source` shows.

    Two translations: the first keeps one list per recorded variable, whose
    types numba infers when the first call compiles it; from those types the
    second puts the numbers (and tuples of numbers) on typed array stacks, and
    is used from then on if it gives the first call's result bit for bit."""
    numba = numba_or_error()
    from . import numba_runtime
    python = derivatives.build(function, kind, wrt, as_tuple)
    variants = _variants(python.function)
    generic = _Translation(numba, numba_runtime)
    names = [(test, generic.function(variant, "top")) for test, variant in variants]
    generic.finish(python.function.__name__)
    shown = derivatives.GeneratedDerivative(None, kind, wrt, generic.shown(python), [])

    def specialise(index: int, args: tuple, expected):
        # Python numbers only: the wrapper then takes the typed code exactly
        # when the arguments have these types again (type(x) is float).
        if not all(type(a) in (float, int, bool) for a in args):
            return None
        kinds = generic.stack_kinds(names[index][1])
        if not kinds:
            return None
        typed = _Translation(numba, numba_runtime)
        name = typed.function(variants[index][1], "top", kinds)
        typed.finish(f"{python.function.__name__} (typed stacks)", reuse=generic)
        sources.append(typed.filename)
        dispatcher = typed.compiled[name]
        try:
            # Only for the argument types the kinds were read for: other types
            # (where an int stack could be asked to hold a float) take the generic code.
            dispatcher.compile(generic.compiled[names[index][1]].signatures[-1])
            dispatcher.disable_compile()
            got = dispatcher(*args)
        except (numba.core.errors.NumbaError, TypeError):
            return None
        if not _same(got, expected):
            return None
        shown.source = typed.shown(python, typed_for=args)
        return dispatcher

    rebuild = lambda: build(function, kind, wrt, as_tuple).function
    shown.function = _wrapper(python.function, names, generic, function, rebuild, specialise)
    # The texts stay readable (tracebacks, inspect) as long as the derivative lives.
    sources = [generic.filename]
    weakref.finalize(shown.function, _forget, sources).atexit = False
    return shown


def _forget(filenames: list) -> None:
    for filename in filenames:
        linecache.cache.pop(filename, None)


def _same(a, b) -> bool:
    """Whether two results are equal bit for bit (NaN equal to NaN)."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(
            _same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and np.array_equal(a, b, equal_nan=True) and \
        np.shape(a) == np.shape(b)


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
        self.lists: dict = {}           # top function's name -> {its list stack: label}
        self.namespace: dict = {name: getattr(numba_runtime, name) for name in (
            "reversed_range", "range_item", "float_stack", "int_stack", "grown_stack")}
        self.user_globals: dict = {}    # global name -> object read, to check for rebinding
        self.module_globals = None
        self.helpers = {getattr(runtime, name): helper
                        for name, helper in numba_runtime.HELPERS.items()
                        if hasattr(runtime, name)}

    # -- one generated function --------------------------------------------
    def function(self, generated, role: str, kinds: dict | None = None) -> str:
        """Translate `generated` (and the callees it calls) into this unit;
        returns its numba name. `kinds` (top function only) gives the labels
        whose values are numbers or tuples of numbers, which go on typed
        array stacks instead of lists (see `stack_kinds`)."""
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
        rewrite = _StackRewrite(tree, role, frees, self, layout, kinds or {})
        rewritten = rewrite.run()
        if role == "primal":
            self.layouts[key] = rewritten
        if role == "top":
            self.lists[name] = {rewrite.names[key]: label for key, label in
                                ((("stack", label), label) for label in rewrite.labels)
                                if key in rewrite.names}
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
    def finish(self, label: str, reuse: "_Translation | None" = None) -> None:
        """Compile the texts in one namespace, each function njit-ed; a function
        whose text `reuse` has too keeps `reuse`'s dispatcher (and what it compiled)."""
        text = "\n\n".join(t for _, t in self.texts)
        filename = f"<adcompiler numba #{next(_NUMBERS)}: {label}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        self.filename = filename
        code = compile(text, filename, "exec")
        namespace = dict(self.namespace)
        exec(code, namespace)
        done = dict(reuse.texts) if reuse is not None else {}
        for name, text in self.texts:
            if done.get(name) == text:
                namespace[name] = reuse.compiled[name]
            else:
                namespace[name] = self.numba.njit(namespace[name])
        self.compiled = namespace

    def stack_kinds(self, name: str) -> dict:
        """{label: element kinds} of the list stacks of top function `name`
        that numba typed, when it compiled it, as numbers or tuples of
        numbers: 'f' float64, 'i' int64, 'b' bool per element."""
        dispatcher = self.compiled[name]
        signature = dispatcher.signatures[-1]
        typemap = dispatcher.overloads[signature].type_annotation.typemap
        kinds = {}
        for variable, label in self.lists.get(name, {}).items():
            listed = typemap.get(variable)
            element = getattr(listed, "dtype", None)
            spec = _element_kinds(self.numba, element)
            if spec is not None:
                kinds[label] = spec
        return kinds

    def shown(self, python, typed_for: tuple | None = None) -> str:
        header = "\n".join(line for line in python.source.splitlines()
                           if line.startswith("#") and "Dispatches" not in line)
        if typed_for is None:
            header += ("\n# Compiled with numba (backend='numba'): one stack per recorded "
                       "variable;\n# after the first call, numbers go on typed stacks.")
        else:
            kinds = ", ".join(type(a).__name__ for a in typed_for)
            header += (f"\n# Compiled with numba (backend='numba') for arguments of types "
                       f"({kinds}):\n# recorded numbers on typed stacks (_floats, _ints).")
        return header + "\n" + "\n\n".join(t.rstrip("\n") + "\n" for _, t in self.texts)


def _element_kinds(numba, element):
    """(kinds of the entries, whether a tuple) for a number or a tuple of
    numbers (None-able ones included: the None is a placeholder never
    read), None for anything else."""
    types_ = numba.core.types
    if isinstance(element, types_.Optional):
        element = element.type

    def scalar(t):
        if isinstance(t, types_.Boolean):
            return "b"
        if isinstance(t, types_.Integer):
            return "i"
        if isinstance(t, types_.Float):
            return "f"
        return None
    if scalar(element):
        return (scalar(element),), False
    if isinstance(element, types_.BaseTuple) and len(element) and \
            all(scalar(t) for t in element):
        return tuple(scalar(t) for t in element), True
    return None


class _StackRewrite:
    """Rewrite one generated function's stack protocol into typed stacks (see
    the module docstring). `role` is "top" (a grad/vjp function: the stack is
    local), "primal" (a callee's recording primal: returns its state) or
    "adjoint" (takes the state its primal returned)."""

    def __init__(self, tree, role: str, frees: dict, translation: _Translation, layout,
                 kinds: dict):
        self.tree, self.role, self.frees = tree, role, frees
        self.translation, self.layout, self.kinds = translation, layout, kinds
        self.labels: list = []      # what this function records, one label per stack
        self.pending: list = []     # statements a typed pop needs before its statement
        self.segment: dict = {}     # typed stack -> slots pushed since the last check
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
            prefix = {"stack": "_stack_", "saved": "_saved_", "typed": "_", "count": "_n"}[kind]
            base = re.sub(r"\W", "_", f"{prefix}{label}")
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
        self.labels = sorted(counts)
        self.once = {label for label, (top, other) in counts.items() if top == 1 and other == 0}
        self.kinds = {label: spec for label, spec in self.kinds.items() if label not in self.once}
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
        """The rewritten block; before each run of typed pushes between
        compound statements, a check that the typed stacks have room for it."""
        out, outer, start = [], self.segment, 0
        self.segment = {}
        for stmt in stmts:
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                start = self._room(out, start)
            rewritten = self._statement(stmt)
            out += self.pending + rewritten
            self.pending = []
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                start = len(out)
        self._room(out, start)
        self.segment = outer
        return out

    def _room(self, out: list, start: int) -> int:
        checks = []
        for stack, slots in sorted(self.segment.items()):
            count = self._name("count", stack)
            needed = nodes.binop(nodes.name(count), gast.Add(), nodes.const(slots))
            checks.append(nodes.if_(
                nodes.compare(needed, gast.Gt(), nodes.subscript(
                    nodes.attribute(nodes.name(self._name("typed", stack)), "shape"),
                    nodes.const(0))),
                [nodes.assign(self._name("typed", stack), nodes.call(
                    nodes.name("grown_stack"), [nodes.name(self._name("typed", stack)),
                                          nodes.clone(needed)]))]))
        out[start:start] = checks
        self.segment = {}
        return len(out)

    def _typed_stacks(self) -> list:
        """Allocation of the typed stacks the kinds use: floats, ints."""
        used = sorted({_STACK_OF[k] for spec, _ in self.kinds.values() for k in spec})
        out = []
        for stack in used:
            out.append(nodes.assign(self._name("typed", stack), nodes.call(
                nodes.name("float_stack" if stack == "floats" else "int_stack"))))
            out.append(nodes.assign(self._name("count", stack), nodes.const(0)))
        return out

    def _statement(self, stmt) -> list:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.List) and \
                stmt.targets[0].id == self.stack:
            # The one stack becomes one per recorded variable (numbers share typed ones).
            return self._typed_stacks() + [
                nodes.assign(self._name("stack", label), nodes.list_())
                for label in sorted(self._labels())
                if label not in self.once and label not in self.kinds]
        if isinstance(stmt, gast.Assign) and nodes.is_none(stmt.value) and \
                isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id in self.kinds:
            # A placeholder pushed before its variable is first bound, and never
            # read: a number of its type keeps the typed stack's kind.
            spec, is_tuple = self.kinds[stmt.targets[0].id]
            zeros = [nodes.const({"f": 0.0, "i": 0, "b": False}[k]) for k in spec]
            stmt.value = nodes.tuple_(zeros) if is_tuple else zeros[0]
            return [stmt]
        pushed = self._push_label(stmt)
        if pushed is not None:
            return self._push(*pushed)
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

    def _push(self, label: str, value) -> list:
        if label in self.once:
            return [nodes.assign(self._name("saved", label), value)]
        if label in self.kinds:
            spec, is_tuple = self.kinds[label]
            out, offsets = [], {}
            for index, kind in enumerate(spec):
                stack = _STACK_OF[kind]
                at = offsets.get(stack, 0)
                offsets[stack] = at + 1
                entry = nodes.subscript(nodes.clone(value), nodes.const(index)) \
                    if is_tuple else nodes.clone(value)
                target = nodes.subscript(nodes.name(self._name("typed", stack)),
                                         self._slot(stack, at))
                target.ctx = gast.Store()
                out.append(nodes.assign(target, entry))
            for stack, slots in sorted(offsets.items()):
                count = self._name("count", stack)
                out.append(nodes.assign(count, nodes.binop(nodes.name(count), gast.Add(),
                                                           nodes.const(slots))))
                self.segment[stack] = self.segment.get(stack, 0) + slots
            return out
        return [nodes.expr_stmt(nodes.call(nodes.attribute(
            nodes.name(self._name("stack", label)), "append"), [value]))]

    def _slot(self, stack: str, at: int):
        count = nodes.name(self._name("count", stack))
        return count if at == 0 else nodes.binop(count, gast.Add(), nodes.const(at))

    def _pop(self, label: str) -> gast.AST:
        if label in self.once:
            return nodes.name(self._name("saved", label))
        if label in self.kinds:
            spec, is_tuple = self.kinds[label]
            slots = {}
            for kind in spec:
                slots[_STACK_OF[kind]] = slots.get(_STACK_OF[kind], 0) + 1
            for stack, count in sorted(slots.items()):
                name = self._name("count", stack)
                self.pending.append(nodes.assign(name, nodes.binop(
                    nodes.name(name), gast.Sub(), nodes.const(count))))
            entries, offsets = [], {}
            for kind in spec:
                stack = _STACK_OF[kind]
                at = offsets.get(stack, 0)
                offsets[stack] = at + 1
                entry = nodes.subscript(nodes.name(self._name("typed", stack)),
                                        self._slot(stack, at))
                if kind == "b":
                    entry = nodes.compare(entry, gast.NotEq(), nodes.const(0))
                entries.append(entry)
            return nodes.tuple_(entries) if is_tuple else entries[0]
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
                                 callee)] + self._push(label, nodes.name(state))
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
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                node.value.id in ranges and not isinstance(node.slice, gast.Slice):
            return nodes.call(nodes.name("range_item"), [node.value, node.slice])
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


def _wrapper(python, compiled: list, translation: _Translation, function, rebuild,
             specialise):
    """A Python function with the derivative's parameters that picks the
    variant (as the Python dispatcher does) and calls its numba version:
    `_fast{i}`, the typed-stack translation, for arguments of exactly the
    types of the first call it was made for (`specialise`), else the generic
    one, whose refusal to compile becomes a NumbaBackendError.

    numba compiles the values of the globals the code reads into it; Python
    reads them at every call. So when the code reads a global that is not a
    module or a function, each call checks that the name still holds the
    object compiled in, and compiles afresh (`rebuild`) if it was rebound."""
    numba = translation.numba
    signature = inspect.signature(python)
    params = list(signature.parameters)
    arguments = ", ".join(params)
    lines = [f"def {python.__name__}({arguments}):"]
    refuse = _refusal(translation, function)
    NumbaError = numba.core.errors.NumbaError
    namespace = {"_NumbaError": NumbaError}
    tried: set = set()

    def generic(index: int, args: tuple):
        try:
            result = translation.compiled[compiled[index][1]](*args)
        except NumbaError as err:
            raise refuse(err) from None
        if index not in tried:
            tried.add(index)
            fast = specialise(index, args, result)
            if fast is not None:
                namespace[f"_fast{index}"] = fast
                for position, value in enumerate(args):
                    namespace[f"_type{index}_{position}"] = type(value)
        return result
    namespace["_generic"] = generic
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
    class _NotYet:
        """The type no argument has, until the typed code exists."""
    for index, (test, name) in enumerate(compiled):
        exact = []
        for position, param in enumerate(params):
            namespace[f"_type{index}_{position}"] = _NotYet
            exact.append(f"type({param}) is _type{index}_{position}")
        body = [f"    if {' and '.join(exact)}:",
                f"        return _fast{index}({arguments})",
                f"    return _generic({index}, ({arguments},))"]
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
