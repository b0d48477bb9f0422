"""Source retrieval: a Python function object -> its gast tree, with file positions.

`parse_function(fn)` reads the source with `inspect`, dedents it, parses it with
gast and shifts every node's line number so that it is the line in the user's
file, not in the snippet. The result also carries the namespaces the body's
free names resolve in (globals, closure cells, builtins), so later passes can
identify `np.sin` by the object it names rather than by its spelling.
"""

from __future__ import annotations

import __future__
import builtins
import dis
import inspect
import linecache
import os
import textwrap
import types
import weakref
from dataclasses import dataclass, field

import gast
import numpy as np

from .errors import (Location, SourceChangedError, SourceUnavailableError,
                     UnsupportedSyntaxError, WrappedFunctionError)

# Values generated code reads live from the user's namespaces (a learning rate,
# a weight matrix): rebinding one changes no compiled code, so it is not part
# of a compilation's identity. Anything else a name resolves to (a helper, a
# module, a class, an object whose methods are bound) shapes the code.
_DATA = (int, float, complex, str, bytes, np.ndarray, np.generic, type(None))


@dataclass
class ParsedFunction:
    """A user function ready for the pipeline."""

    function: types.FunctionType
    tree: gast.FunctionDef
    filename: str
    lines: list[str]  # every line of the user's file (or snippet), 1-based via line_text()
    globals: dict
    closure: dict = field(default_factory=dict)
    bound: dict = field(default_factory=dict)  # names bind_methods.py gives methods
    # Every free name looked up while compiling -> (found, value): what the
    # compiled code depends on besides the function's own code (see Stamp).
    resolved: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def qualname(self) -> str:
        return self.function.__qualname__

    @property
    def first_line(self) -> int:
        return self.tree.lineno

    def line_text(self, lineno: int) -> str:
        if 1 <= lineno <= len(self.lines):
            return self.lines[lineno - 1]
        return ""

    def location(self, node: gast.AST | None) -> Location:
        """Where `node` stands in the user's file (the function's line if unknown)."""
        lineno = getattr(node, "lineno", None) or self.first_line
        col = getattr(node, "col_offset", 0) or 0
        return Location(self.filename, lineno, col, self.line_text(lineno), self.name)

    def lookup(self, name: str):
        """The object a free name of the body refers to, as (found, value)."""
        if name in self.bound:
            return True, self.bound[name]
        found = _live_lookup(self.function, name, self.closure)
        self.resolved[name] = found
        return found

    def stamp(self) -> "Stamp":
        """What this compilation read, to tell later whether it is still current."""
        # `resolved` is shared, not copied: later passes look more names up.
        return Stamp(weakref.ref(self.function), self.function.__code__, self.function.__defaults__,
                     self.function.__kwdefaults__, self.resolved,
                     _attribute_chains(self.tree, self.resolved))


def _attribute_chains(tree, resolved: dict) -> dict:
    """`module.helper` chains the body calls, with what they resolved to: a
    module reloaded (importlib.reload, a notebook re-import) keeps its identity
    while its functions change."""
    from . import nodes  # nodes imports nothing of ours; kept local to keep source.py first
    chains = {}
    for node in gast.walk(tree):
        if not isinstance(node, gast.Attribute):
            continue
        value = nodes.annotation(node, "value", _MISSING)
        if value is _MISSING or isinstance(value, _DATA) or not callable(value):
            continue
        path, base = [], node
        while isinstance(base, gast.Attribute):
            path.append(base.attr)
            base = base.value
        if isinstance(base, gast.Name) and base.id in resolved \
                and not isinstance(resolved[base.id][1], _DATA):
            chains[(base.id, tuple(reversed(path)))] = value
    return chains


_MISSING = object()


def _live_lookup(function, name: str, closure: dict | None = None):
    """(found, value) for a free name of `function`, in Python's order: closure
    cells, globals, builtins. `closure` is a snapshot of the cells, else they
    are read now."""
    if closure is None:
        closure = {}
        for cell_name, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
            try:
                closure[cell_name] = cell.cell_contents
            except ValueError:  # an empty cell
                pass
    if name in closure:
        return True, _seen_through(closure[name])
    if name in function.__code__.co_freevars:
        return False, None
    if name in function.__globals__:
        return True, _seen_through(function.__globals__[name])
    if hasattr(builtins, name):
        return True, getattr(builtins, name)
    return False, None


def _seen_through(value):
    """A derivative behind adcompiler's own argument check (`ad.jvp(g)`), seen
    as the generated function it checks: called from differentiated code, it
    is differentiated like any generated code."""
    while getattr(type(value), "__adcompiler_transparent__", False):
        value = value.__wrapped__
    return value


@dataclass
class Stamp:
    """The identity of one compilation's input: the function's code object and
    defaults, and the object every free name of it resolved to. A helper
    redefined (a notebook cell run again), a module global rebound to another
    function, `f.__code__` replaced: the stamp no longer matches, and whatever
    was compiled from it is compiled again rather than served stale."""

    function: object  # a weak reference: the API's cache must not keep functions alive
    code: types.CodeType
    defaults: object
    kwdefaults: object
    resolved: dict
    chains: dict = field(default_factory=dict)

    def current(self) -> bool:
        function = self.function()
        if function is None:
            return False
        if function.__code__ is not self.code or function.__defaults__ is not self.defaults \
                or function.__kwdefaults__ is not self.kwdefaults:
            return False
        for name, (found, value) in self.resolved.items():
            now_found, now = _live_lookup(function, name)
            if now_found != found:
                return False
            if isinstance(value, _DATA) and isinstance(now, _DATA):
                continue
            if now is not value:
                return False
        for (name, path), value in self.chains.items():
            found, now = _live_lookup(function, name)
            for attribute in path:
                now = getattr(now, attribute, _MISSING)
            # A bound method is a new object at each attribute read.
            if now is not value and not (isinstance(value, (types.MethodType,
                                                              types.BuiltinMethodType))
                                         and now == value):
                return False
        return True


def display_path(filename: str) -> str:
    """A file name as a user reads it: relative to the working directory when
    the file is below it, as given otherwise."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative


def describe_callable(fn) -> str:
    """A short human name for any callable: 'numpy.sin', 'math.exp', 'mymod.helper'."""
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if isinstance(fn, types.ModuleType):
        return fn.__name__
    if name is None:
        return repr(fn)
    if module in (None, "builtins"):
        return name
    # Private implementation modules (numpy._core.fromnumeric) are not where
    # users find a function; keep the public prefix (numpy, numpy.fft).
    public = []
    if module in ("_operator", "operator"):
        return f"operator.{name}"
    for part in module.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    return f"{'.'.join(public) or module}.{name}"


def _read_source(target):
    try:
        snippet_lines, first_line = inspect.getsourcelines(target)
        filename = inspect.getsourcefile(target) or target.__code__.co_filename
    except (OSError, TypeError) as err:
        raise SourceUnavailableError(
            f"cannot read the source of {target.__qualname__} "
            f"(defined in {target.__code__.co_filename})",
            help="adcompiler needs the function's source text. Functions typed at an "
            "interactive prompt or built with exec() have none: put the function in "
            "a .py file (or a notebook cell) and import it.",
        ) from err
    return snippet_lines, first_line, filename


def _unwrap_transparent(fn):
    """`fn` without the wrappers adcompiler knows change nothing (its own
    argument-checking wrappers, marked `__adcompiler_transparent__`). Any other
    decorator that sets `__wrapped__` (functools.wraps) may change the result,
    so differentiating the undecorated function instead would be silently
    wrong: refused."""
    while callable(fn) and getattr(fn, "__wrapped__", None) is not None:
        if getattr(fn, "__adcompiler_transparent__", False):
            fn = fn.__wrapped__
            continue
        inner = fn.__wrapped__
        raise WrappedFunctionError(
            f"cannot differentiate {describe_callable(fn)}: it is wrapped by the decorator "
            f"{_decorator_name(fn)}, which may change what the function computes; adcompiler "
            f"would differentiate only the undecorated {describe_callable(inner)}",
            _definition(inner),
            help=f"Differentiate the undecorated function (adcompiler.grad("
            f"{getattr(fn, '__name__', 'f')}.__wrapped__)) and apply what the decorator does "
            "yourself, or write the decorated computation as a plain function that calls the "
            "undecorated one, and differentiate that.")
    return fn


def _decorator_name(wrapper) -> str:
    """The decorator that made `wrapper`, from the wrapper's own code
    (functools.wraps copies the wrapped function's names onto it)."""
    code = getattr(wrapper, "__code__", None)
    if code is None:
        return type(wrapper).__qualname__
    qualname = getattr(code, "co_qualname", code.co_name)
    outer = qualname.split(".<locals>.")[0] if ".<locals>." in qualname else qualname
    return f"'{outer}' ({display_path(code.co_filename)}:{code.co_firstlineno})"


def _definition(function) -> Location | None:
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    return Location(code.co_filename, code.co_firstlineno, 0, "",
                    getattr(function, "__name__", ""))


_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def _source_matches(target: types.FunctionType, snippet: str) -> bool:
    """Whether `snippet`, the text read from the function's file, compiles to
    the function's own code. The file may have been edited since the function
    was defined (the function moved, its body changed), and inspect reads the
    file as it is now. The snippet is compiled in scopes shaped like the ones
    the function was defined in (its classes, for private names; its enclosing
    functions, for closure cells), so equal source gives equal bytecode. When
    such scopes cannot be rebuilt the text is taken as it is."""
    code = target.__code__
    parts = code.co_qualname.split(".") if hasattr(code, "co_qualname") else [code.co_name]
    if any(p.startswith("<") and p != "<locals>" for p in parts[:-1]) or \
            parts[-1] != code.co_name:
        return True
    lines, depth, qualname = [], 0, []
    scopes = [(p, i + 1 < len(parts) - 1 and parts[i + 1] == "<locals>")
              for i, p in enumerate(parts[:-1]) if p != "<locals>"]
    free = [v for v in code.co_freevars if v != "__class__"]
    innermost_def = max((i for i, (_, is_def) in enumerate(scopes) if is_def), default=None)
    if free and innermost_def is None:
        scopes.insert(0, ("_adcompiler_enclosing", True))
        innermost_def = 0
    for index, (name, is_def) in enumerate(scopes):
        lines.append("    " * depth + (f"def {name}():" if is_def else f"class {name}:"))
        depth += 1
        qualname += [name, "<locals>"] if is_def else [name]
        if index == innermost_def and free:
            lines.append("    " * depth + " = ".join(free) + " = None")
    lines.append(textwrap.indent(snippet, "    " * depth))
    expected = ".".join(qualname + [code.co_name])
    try:
        module = compile("\n".join(lines) + "\n", code.co_filename, "exec",
                         flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
    except (SyntaxError, ValueError):
        return True
    found = _find_code(module, expected)
    return found is not None and _same_code(found, code)


def _find_code(code: types.CodeType, qualname: str):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if getattr(const, "co_qualname", None) == qualname:
                return const
            inner = _find_code(const, qualname)
            if inner is not None:
                return inner
    return None


# Bytecode of the same text differs with its surroundings: a global that the
# file imports is read with LOAD_ATTR where an unknown one gets LOAD_METHOD, a
# closure variable is a LOAD_DEREF where a global is a LOAD_GLOBAL, and jump
# offsets move with them. These are compared as equal; what the text computes
# (operations, names, constants, locals) is compared exactly.
_SAME_OPERATION = {"LOAD_METHOD": "LOAD_ATTR", "LOAD_GLOBAL": "LOAD_NAME",
                   "LOAD_DEREF": "LOAD_NAME", "LOAD_CLASSDEREF": "LOAD_NAME",
                   "STORE_GLOBAL": "STORE_NAME", "STORE_DEREF": "STORE_NAME",
                   "CALL_METHOD": "CALL"}
_LAYOUT_ONLY = {"CACHE", "PRECALL", "PUSH_NULL", "RESUME", "NOP", "COPY_FREE_VARS",
                "MAKE_CELL", "EXTENDED_ARG"}
_JUMPS = set(dis.hasjrel) | set(dis.hasjabs)


def _operations(code: types.CodeType) -> list:
    out = [code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]]
    for instruction in dis.get_instructions(code):
        if instruction.opname in _LAYOUT_ONLY:
            continue
        operation = _SAME_OPERATION.get(instruction.opname, instruction.opname)
        value = instruction.argval
        if instruction.opcode in _JUMPS:
            value = None
        elif isinstance(value, types.CodeType):
            value = _operations(value)
        else:
            value = (type(value).__name__, repr(value))
        out.append((operation, value))
    return out


def _same_code(a: types.CodeType, b: types.CodeType) -> bool:
    return _operations(a) == _operations(b)


def parse_function(fn) -> ParsedFunction:
    """Read and parse the source of `fn`.

    Example:
        >>> def square(x):
        ...     return x * x
        >>> parse_function(square).tree.name   # doctest: +SKIP
        'square'
    """
    target = _unwrap_transparent(fn)
    if isinstance(target, types.MethodType):
        target = target.__func__
    if not isinstance(target, types.FunctionType):
        raise SourceUnavailableError(
            f"cannot differentiate {describe_callable(fn)}: it is not a Python function "
            f"(got {type(fn).__name__})",
            help="adcompiler reads a function's Python source. Builtins, C extensions and "
            "callable objects have none; wrap the computation in a `def` of your own.",
        )
    if target.__name__ == "<lambda>":
        raise SourceUnavailableError(
            "cannot differentiate a lambda: its source cannot be isolated reliably",
            help="Define the function with `def` instead.",
        )
    snippet_lines, first_line, filename = _read_source(target)
    snippet = textwrap.dedent("".join(snippet_lines))
    if not _source_matches(target, snippet):
        # linecache may hold an older text of a file rewritten since: read anew.
        linecache.checkcache(filename)
        snippet_lines, first_line, filename = _read_source(target)
        snippet = textwrap.dedent("".join(snippet_lines))
        if not _source_matches(target, snippet):
            code = target.__code__
            raise SourceChangedError(
                f"the source of {target.__qualname__} in {display_path(filename)} is not the "
                f"code Python is running: the file changed after the function was defined",
                Location(filename, code.co_firstlineno, 0,
                         snippet_lines[0] if snippet_lines else "", target.__name__),
                help="adcompiler reads a function's source from its file, and that text no "
                "longer compiles to the function object you passed. Re-import the module "
                "(importlib.reload) or run the definition again, then call adcompiler again.")
    try:
        module = gast.parse(snippet)
    except SyntaxError as err:
        raise SourceUnavailableError(
            f"the source of {target.__qualname__} could not be parsed on its own",
            Location(filename, first_line, 0, snippet_lines[0] if snippet_lines else ""),
            help="This happens when a function is defined on one line with other code. "
            "Give it a `def` block of its own.",
        ) from err
    defs = [n for n in module.body if isinstance(n, gast.FunctionDef)]
    if not defs:
        kind = "an async function" if any(
            isinstance(n, gast.AsyncFunctionDef) for n in module.body) else "no def statement"
        raise UnsupportedSyntaxError(
            f"{target.__qualname__} is {kind}",
            Location(filename, first_line, 0, snippet_lines[0] if snippet_lines else ""),
            help="adcompiler differentiates plain `def` functions.",
        )
    tree = defs[0]
    tree.decorator_list = []
    offset = first_line - 1
    for node in gast.walk(tree):
        if hasattr(node, "lineno") and node.lineno is not None:
            node.lineno += offset
        if hasattr(node, "end_lineno") and getattr(node, "end_lineno", None) is not None:
            node.end_lineno += offset
    try:
        all_lines = open(filename, encoding="utf-8").read().splitlines(True)
    except OSError:
        all_lines = [""] * offset + snippet_lines
    closure = {}
    if target.__closure__:
        for name, cell in zip(target.__code__.co_freevars, target.__closure__):
            try:
                closure[name] = cell.cell_contents
            except ValueError:  # an empty cell: the enclosing variable is not yet bound
                pass
    return ParsedFunction(target, tree, filename, all_lines, target.__globals__, closure)
