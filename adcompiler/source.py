"""Source retrieval: a Python function object -> its gast tree, with file positions.

`parse_function(fn)` reads the source with `inspect`, dedents it, parses it with
gast and shifts every node's line number so that it is the line in the user's
file, not in the snippet. The result also carries the namespaces the body's
free names resolve in (globals, closure cells, builtins), so later passes can
identify `np.sin` by the object it names rather than by its spelling.
"""

from __future__ import annotations

import builtins
import inspect
import os
import textwrap
import types
from dataclasses import dataclass, field

import gast

from .errors import Location, SourceUnavailableError, UnsupportedSyntaxError


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
        if name in self.closure:
            return True, self.closure[name]
        if name in self.globals:
            return True, self.globals[name]
        if hasattr(builtins, name):
            return True, getattr(builtins, name)
        return False, None


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


def parse_function(fn) -> ParsedFunction:
    """Read and parse the source of `fn`.

    Example:
        >>> def square(x):
        ...     return x * x
        >>> parse_function(square).tree.name   # doctest: +SKIP
        'square'
    """
    target = inspect.unwrap(fn) if callable(fn) else fn
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
    snippet = textwrap.dedent("".join(snippet_lines))
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
