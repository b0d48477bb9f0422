"""Generated source -> a live Python function, visible to inspect, tracebacks and pdb.

Each derivative is compiled inside a scope function whose parameters are the
helpers it calls (`np`, `unbroadcast`, other generated derivatives), and then
rebuilt with the *user's* module globals and the *user's* closure cells. So a
global the user rebinds later (a learning rate, a weight matrix) is read live,
exactly as the original function reads it, and no name is ever injected into
the user's module.

The source is registered with `linecache` under a descriptive file name, so
`inspect.getsource(df)`, tracebacks and `pdb` show the generated code.
"""

from __future__ import annotations

import linecache
import textwrap
import types

import gast

from . import nodes
from .printer import to_source

SCOPE = "_adcompiler_scope"


def compile_function(function: gast.FunctionDef, header: str, label: str, user_globals: dict,
                     cells: dict, argdefs=None) -> tuple[types.FunctionType, str]:
    """Compile one generated FunctionDef.

    `cells` maps every free name the function may use to a `types.CellType`
    (helpers, other derivatives, the user's own closure cells). Returns the
    function and the source text a user is shown.
    """
    free = sorted(name for name in cells if name in _loaded_names(function))
    scope = nodes.function_def(SCOPE, free, [function, nodes.return_(nodes.name(function.name))])
    text = to_source(nodes.module([scope]))
    # What the user is shown is the compiled text itself, dedented: printing the
    # function on its own could wrap long lines differently (astor wraps by width).
    # The scope's own `def` line may wrap (many helpers), so the shown text
    # starts where the derivative's `def` does.
    lines = text.splitlines(True)
    start = next(i for i, line in enumerate(lines)
                 if line.lstrip().startswith(f"def {function.name}("))
    body = lines[start:-1] if lines[-1].strip().startswith("return ") else lines[start:]
    shown = "".join(f"# {line}\n" for line in header.splitlines()) + textwrap.dedent(
        "".join(body)).strip("\n") + "\n"
    filename = _unique_filename(label, text)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    code = compile(text, filename, "exec")
    scope_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in scope_code.co_consts if isinstance(c, types.CodeType)
                 and c.co_name == function.name)
    closure = tuple(cells[name] for name in inner.co_freevars)
    compiled = types.FunctionType(inner, user_globals, function.name, argdefs, closure)
    return compiled, shown


def _unique_filename(label: str, text: str) -> str:
    """`<adcompiler: label>`, numbered when another generated text has that name
    (the same function differentiated with respect to other arguments)."""
    number = 1
    while True:
        filename = f"<adcompiler: {label}>" if number == 1 else f"<adcompiler: {label} #{number}>"
        previous = linecache.cache.get(filename)
        if previous is None or "".join(previous[2]) == text:
            return filename
        number += 1


def _loaded_names(function: gast.FunctionDef) -> set[str]:
    return {n.id for n in gast.walk(function) if isinstance(n, gast.Name)}
