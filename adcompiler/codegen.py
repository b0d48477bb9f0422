"""Generated source -> a live Python function, visible to inspect, tracebacks and pdb.

Each derivative is compiled inside a scope function whose parameters are the
helpers it calls (`np`, `unbroadcast`, other generated derivatives), and then
rebuilt with the *user's* module globals and the *user's* closure cells. So a
global the user rebinds later (a learning rate, a weight matrix) is read live,
exactly as the original function reads it, and no name is ever injected into
the user's module.

The source is registered with `linecache` under a descriptive file name, so
`inspect.getsource(df)`, tracebacks and `pdb` show the generated code. The
entry lives as long as a function compiled from it: a finalizer removes it
when the last one is freed, so a notebook that redefines and differentiates a
function thousands of times does not accumulate its sources.
"""

from __future__ import annotations

import ast
import contextlib
import linecache
import textwrap
import types
import weakref

import gast

from . import nodes
from .printer import statements_in_order, to_source

SCOPE = "_adcompiler_scope"


def compile_function(function: gast.FunctionDef, header: str, label: str, user_globals: dict,
                     cells: dict, argdefs=None, source: tuple | None = None,
                     names: set | None = None) -> tuple[types.FunctionType, str]:
    """Compile one generated FunctionDef.

    `cells` maps every free name the function may use to a `types.CellType`
    (helpers, other derivatives, the user's own closure cells). Returns the
    function and the source text a user is shown. `source` is `(file, line
    of the def)` of the function differentiated, whose lines the statements'
    line numbers are (the user's file, or generated code differentiated
    again): `user_line` maps the generated text back to it. `names`: every
    name the function mentions, when the caller knows them (verify.py's walk).
    """
    loaded = _loaded_names(function) if names is None else names
    free = sorted(name for name in cells if name in loaded)
    scope = nodes.function_def(SCOPE, free, [function, nodes.return_(nodes.name(function.name))])
    kept = _kept
    placed = {} if kept is not None else None
    printed: list = []  # (kind, lineno) of each statement, in the text's order
    text = to_source(nodes.module([scope]), placed, printed)
    # What the user is shown is the compiled text itself, dedented: printing the
    # function on its own could wrap long lines differently (astor wraps by width).
    # The scope's own `def` line may wrap (many helpers), so the shown text
    # starts where the derivative's `def` does.
    lines = text.splitlines(True)
    start = next(i for i, line in enumerate(lines)
                 if line.lstrip().startswith(f"def {function.name}("))
    body = lines[start:-1] if lines[-1].strip().startswith("return ") else lines[start:]
    shown = "".join(f"# {line}\n" for line in header.splitlines()) + _dedented(
        body).strip("\n") + "\n"
    filename = _register(label, text, source)
    try:
        if source is not None and _registered[filename][2] is None:
            _registered[filename][2] = _LineMap(printed, text, filename, source)
        code = compile(text, filename, "exec")
        scope_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
        inner = next(c for c in scope_code.co_consts if isinstance(c, types.CodeType)
                     and c.co_name == function.name)
        closure = tuple(cells[name] for name in inner.co_freevars)
        compiled = types.FunctionType(inner, user_globals, function.name, argdefs, closure)
    except BaseException:
        _release(filename)
        raise
    finalizer = weakref.finalize(compiled, _release, filename)
    finalizer.atexit = False
    if placed:
        # Read back as it was printed, not parsed (source._handed_over).
        setattr(compiled, KEPT_TREE, (function, placed))
        kept.append(compiled)
    return compiled, shown


# The attribute of a compiled generated function holding (its tree, the
# printer's {id(statement): (line, depth)}) while codegen keeps trees
# (read by source._handed_over).
KEPT_TREE = "__adcompiler_printed_tree__"

# While keeping_trees runs, the list of the functions compiled meanwhile,
# each holding the tree it was printed from; else None.
_kept: list | None = None


@contextlib.contextmanager
def keeping_trees(kept: list):
    """While it runs, each function compiled holds the tree it was printed
    from (and is listed in `kept`), which the first parse_function of it
    takes instead of parsing its text: a Hessian differentiates the gradient
    it has just generated (and the split derivatives it calls)."""
    global _kept
    saved, _kept = _kept, kept
    try:
        yield
    finally:
        _kept = saved


def drop_trees(kept: list) -> None:
    """Forget the trees keeping_trees left on the functions of `kept` that no
    parse_function took: they would live as long as the functions."""
    for function in kept:
        vars(function).pop(KEPT_TREE, None)


# filename -> [the lines registered in linecache, number of live functions
# compiled from them, {line: (file, line) it was generated for} or None, the
# (file, line) of the function it was generated from]. Two compilations of the
# same text from the same place (a cache cleared, a helper redefined and back)
# share one entry; the same text generated from another file's function of the
# same name does not, or its lines would map to that file.
_registered: dict = {}


def _register(label: str, text: str, source: tuple | None = None) -> str:
    """Register `text` in linecache as `<adcompiler: label>`, numbered when a
    live function has another text under that name (the same function
    differentiated with respect to other arguments); returns the file name,
    counted as used by one more function (`_release` uncounts it)."""
    lines = text.splitlines(True)
    number = 1
    while True:
        filename = f"<adcompiler: {label}>" if number == 1 else f"<adcompiler: {label} #{number}>"
        entry = _registered.get(filename)
        if entry is None:
            entry = _registered[filename] = [lines, 0, None, source]
            break
        if entry[0] == lines and entry[3] == source:
            break
        number += 1
    entry[1] += 1
    # Registered again even when known: linecache.clearcache() may have dropped it.
    linecache.cache[filename] = (len(text), None, entry[0], filename)
    return filename


class _LineMap(dict):
    """{line of the printed text: (file, line)} for every statement generated
    from a line of the source file, and under 0 the `def` line, for the
    statements generated from none. The printed text parses to the tree it
    was printed from, so the statements of both, in the order of the text,
    are the same; if they are not, only the `def` line is known.

    Only the generated statements' kinds and lines are taken when compiling,
    as the printer writes them (`printed`, to_source's `statements`: issue
    #13, a walk of each generated function less); the text is parsed the
    first time the map is read (a traceback, a memory report), which most
    derivatives never need: parsing it again took a tenth of the time of
    compiling a long function."""

    def __init__(self, printed: list, text: str, filename: str, source: tuple):
        super().__init__()
        self._pending = (printed, text, filename, source)

    def _filled(self) -> "_LineMap":
        pending = self._pending
        if pending is not None:
            # Filled before it is marked filled: another thread reading it
            # meanwhile fills it again, with the same entries.
            ours, text, filename, source = pending
            theirs = statements_in_order(ast.parse(text, filename))
            if len(ours) == len(theirs) and all(kind == type(b).__name__
                                                for (kind, _), b in zip(ours, theirs)):
                dict.update(self, {b.lineno: (source[0], line)
                                   for (_, line), b in zip(ours, theirs) if line})
            dict.__setitem__(self, 0, source)
            self._pending = None
        return self

    def __contains__(self, key):
        return dict.__contains__(self._filled(), key)

    def __getitem__(self, key):
        return dict.__getitem__(self._filled(), key)

    def get(self, key, default=None):
        return dict.get(self._filled(), key, default)

    def __len__(self):
        return dict.__len__(self._filled())

    def __iter__(self):
        return dict.__iter__(self._filled())

    def keys(self):
        return dict.keys(self._filled())

    def items(self):
        return dict.items(self._filled())

    def values(self):
        return dict.values(self._filled())


def user_line(filename: str, lineno: int) -> tuple[str, int]:
    """The line of the user's own code that line `lineno` of generated file
    `filename` was generated for, through every order of differentiation
    (generated code differentiated again maps to the code it came from);
    `(filename, lineno)` itself when it is not generated code or not mapped."""
    seen = set()
    # One read of each entry: the garbage collector may forget a freed
    # function's text between two (_release).
    while (entry := _registered.get(filename)) is not None and (filename, lineno) not in seen:
        seen.add((filename, lineno))
        mapping = entry[2] or {}
        if lineno not in mapping and 0 not in mapping:
            break
        filename, lineno = mapping.get(lineno, mapping.get(0))
    return filename, lineno


def _release(filename: str) -> None:
    """A function compiled from `filename` was freed: forget the text with the last one.
    Runs from the garbage collector, so it only touches two dicts, one
    operation each."""
    entry = _registered.get(filename)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] <= 0:
        _registered.pop(filename, None)
        cached = linecache.cache.get(filename)
        if cached is not None and cached[2] is entry[0]:
            linecache.cache.pop(filename, None)


def _dedented(lines: list) -> str:
    """`textwrap.dedent("".join(lines))` for the lines of a `def` printed inside
    the scope function: when the `def` is indented by four spaces and every
    other line by at least four or is empty, those four go (a regular
    expression over a long derivative's text cost a tenth of compiling it);
    any other text is dedented by textwrap."""
    if lines and lines[0].startswith("    def ") and all(
            line.startswith("    ") and not line.isspace() or line == "\n" for line in lines):
        return "".join(line[4:] if line != "\n" else line for line in lines)
    return textwrap.dedent("".join(lines))


def _loaded_names(function: gast.FunctionDef) -> set[str]:
    return {n.id for n in nodes.name_nodes(function)}
