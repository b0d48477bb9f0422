"""The numba back end: `grad(f, backend="numba")` compiles the generated
derivative to machine code with numba's `njit`.

It is not a second differentiator. reverse_backend.py generates the Python
derivative as usual (the variant for Python numbers when f is elementwise,
the general one otherwise, and the primal/adjoint pairs of the user functions
f calls); this module rewrites that code where numba needs something else,
and hands it to `numba.njit`:

* **Typed stacks** (numba_stacks.py). The Python derivative records on one
  `_stack` list holding floats, ints, booleans and tuples alike, which numba
  cannot type. Here every recorded variable gets a stack of its own
  (`_stack_s` for `s`), so each holds one type, which numba infers from what
  is pushed; branch flags and loop trip counts share `_stack_control`. A
  variable recorded exactly once, outside any loop or branch, needs no stack
  at all: it is kept in a local (`_saved_s`). This is the same protocol with
  the pushes sorted by what they record, so the pops still meet their pushes
  (a pop always restores the variable that was pushed, and each stack is
  last-in first-out on its own). After the first call, a second translation
  puts the numbers on the typed arrays `_floats` and `_ints` (see `build`).
* **Callees.** A user function's recording primal pushed its state onto the
  caller's stack; here it returns that state as a tuple beside its result
  (`_t1, _state = rhs_primal(y, v, k)`), the caller keeps it like any
  recorded value, and hands it to the adjoint (`rhs_adjoint(_state, d_t1)`).
* **Helpers.** The runtime helpers (`unbroadcast`, `as_gradient`, ...) are
  replaced by their numba versions (numba_kernels.py), and `_range[::-1]` by
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
    >>> df = adcompiler.grad(f, backend="numba")   # doctest: +SKIP
    >>> df(0.5)                                    # doctest: +SKIP
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

from . import nodes, reverse_backend, runtime
from .errors import Location, NumbaBackendError
from .generated import GeneratedDerivative
from .numba_stacks import StackRewrite, element_kinds, is_generated
from .printer import to_source

# Numbers the source files registered in linecache, which finalizers remove.
_NUMBERS = itertools.count(1)



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
    from .runtime import numba_kernels
    python = reverse_backend.build(function, kind, wrt, as_tuple)
    variants = _variants(python.function)
    generic = _Translation(numba, numba_kernels)
    names = [(test, generic.function(variant, "top")) for test, variant in variants]
    generic.finish(python.function.__name__)
    shown = GeneratedDerivative(None, kind, wrt, generic.shown(python), [])

    def specialise(index: int, args: tuple, expected):
        # Python numbers only: the wrapper then takes the typed code exactly
        # when the arguments have these types again (type(x) is float).
        if not all(type(a) in (float, int, bool) for a in args):
            return None
        kinds = generic.stack_kinds(names[index][1])
        if not kinds:
            return None
        typed = _Translation(numba, numba_kernels)
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
               and is_generated(f)]
    arrays = [f for name, f in cells.items() if name.endswith("_arrays") and is_generated(f)]
    if numbers and arrays:
        return [("numbers", numbers[0]), (None, arrays[0])]
    return [(None, dispatcher)]




def _free_objects(function) -> dict:
    return {name: cell.cell_contents for name, cell in
            zip(function.__code__.co_freevars, function.__closure__ or ())}


class _ReadGlobalsByName(gast.NodeTransformer):
    """`read_global(module_globals, 'n')` (passes/module_globals.py) back to the
    name `n`: numba cannot call the helper, and the translation already checks
    at every call that the globals it read are still bound to the same values
    (a helper writing a global, write_global, has no numba version: refused)."""

    def __init__(self, frees: dict):
        from .runtime import python_builtins as runtime_builtins
        self.readers = {name for name, value in frees.items()
                        if value is runtime_builtins.read_global}

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, gast.Name) and node.func.id in self.readers and \
                len(node.args) == 2 and isinstance(node.args[1], gast.Constant):
            return nodes.copy_location(nodes.name(node.args[1].value), node)
        return node


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

    def __init__(self, numba, numba_kernels):
        self.numba, self.runtime = numba, numba_kernels
        self.translated: dict = {}      # id(generated function) -> its numba name
        self.layouts: dict = {}         # id(primal) -> [(label, once)]: the state it returns
        self.texts: list = []           # (numba name, source text)
        self.lists: dict = {}           # top function's name -> {its list stack: label}
        self.namespace: dict = {name: getattr(numba_kernels, name) for name in (
            "reversed_range", "range_item", "float_stack", "int_stack", "grown_stack")}
        self.user_globals: dict = {}    # global name -> object read, to check for rebinding
        self.module_globals = None
        self.helpers = {runtime.GENERATED_CODE_HELPERS[name]: helper
                        for name, helper in numba_kernels.HELPERS.items()
                        if name in runtime.GENERATED_CODE_HELPERS}

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
        _ReadGlobalsByName(frees).visit(tree)
        self._resolve_names(tree, generated, frees)
        layout = self.layouts.get(id(getattr(generated, "__adcompiler_primal__", None)))
        rewrite = StackRewrite(tree, role, frees, self, layout, kinds or {})
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
            if is_generated(value):
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
            spec = element_kinds(self.numba, element)
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
    # The typed code first: the call that pays the least dispatching is the
    # one that runs the fastest code. Exact types imply the variant's test
    # (the typed code of the variant for numbers is made for floats and ints,
    # the other's for arguments that failed that test), so the order is free.
    for index in range(len(compiled)):
        exact = []
        for position, param in enumerate(params):
            namespace[f"_type{index}_{position}"] = _NotYet
            exact.append(f"type({param}) is _type{index}_{position}")
        lines += [f"    if {' and '.join(exact)}:",
                  f"        return _fast{index}({arguments})"]
    for index, (test, name) in enumerate(compiled):
        call = f"return _generic({index}, ({arguments},))"
        if test == "numbers":
            check = " and ".join(f"type({p}) in (float, int)" for p in params)
            lines += [f"    if {check}:", f"        {call}"]
        else:
            lines.append(f"    {call}")
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
        code = getattr(function, "__code__", None)
        where = code and Location(code.co_filename, code.co_firstlineno, 0,
                                  linecache.getline(code.co_filename, code.co_firstlineno),
                                  function.__qualname__)
        return NumbaBackendError(
            f"numba cannot compile the derivative of {function.__qualname__}: {first}\n"
            f"{detail}", where,
            help="Use the default backend='python' (it supports everything adcompiler "
            "differentiates), or change the function to what numba compiles: Python numbers, "
            "NumPy arrays and the NumPy functions numba supports. adcompiler.source(...) shows "
            "the code numba was given.")
    return refuse
