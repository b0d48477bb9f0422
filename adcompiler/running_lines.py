"""Which line of the user's code a running derivative is at, for the errors
raised while it runs without a location of their own (a runtime helper's
refusal, a tuple joined where the compiler could not know it for one).

errors.py finds the innermost generated frame on the stack; this module,
which may read codegen's line maps (errors.py, imported by the runtime,
imports nothing of the compiler), maps its line to the user's, through every
order of differentiation. A primal statement is in codegen's map; an adjoint
statement is not, but follows the comment naming the line it differentiates:

    # line 12: u = t + s                    <- line 12 of the file differentiated
    dt = unbroadcast(du, t)                 <- the frame's line

Used once imported (api.py imports it; errors.py looks it up).
"""

from __future__ import annotations

import linecache

from . import codegen


def user_line_of_running_code(filename: str, lineno: int) -> tuple[str, int]:
    """The (file, line) of the user's code that line `lineno` of generated
    file `filename` runs for; the def line of the function differentiated
    when no statement or comment says more.

        >>> user_line_of_running_code("model.py", 3)   # not generated code
        ('model.py', 3)
    """
    seen = set()
    while (entry := codegen._registered.get(filename)) is not None and \
            (filename, lineno) not in seen:
        seen.add((filename, lineno))
        mapping, source = entry[2] or {}, entry[3]
        if lineno in mapping:
            filename, lineno = mapping[lineno]
            continue
        commented = _commented_line(filename, lineno, source[0]) if source else None
        if commented is not None:
            filename, lineno = source[0], commented
        elif 0 in mapping:
            filename, lineno = mapping[0]
        else:
            break
    return filename, lineno


def _commented_line(generated: str, lineno: int, differentiated: str) -> int | None:
    """The line named by the comment (`# line 12: u = t + s`) heading the
    adjoint block that line `lineno` of `generated` belongs to, when the file
    `differentiated` holds that text there; None for the final `return`,
    which belongs to no block (its def line is meant)."""
    lines = linecache.getlines(generated)
    if 0 < lineno <= len(lines) and lines[lineno - 1].lstrip().startswith("return "):
        return None  # the generated function's result: its arguments' gradients
    for text in reversed(lines[:max(lineno - 1, 0)]):
        stripped = text.strip()
        if stripped.startswith("def "):
            return None
        if stripped.startswith("# line ") and ": " in stripped:
            number, _, code = stripped[len("# line "):].partition(": ")
            if number.isdigit() and \
                    linecache.getline(differentiated, int(number)).strip() == code.strip():
                return int(number)
            return None
    return None

