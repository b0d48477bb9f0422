"""The exceptions adcompiler raises, and the one helper that formats them.

Every user-facing message has the same shape (see docs/design.md):

    model.py:12:8: no derivative rule for numpy.fft.fft
        y = np.fft.fft(x)
            ^
    adcompiler differentiates the functions listed in docs/derivatives.md.
    Register a rule with @adcompiler.rule(...), or make the call's inputs
    independent of the differentiated arguments.

what is wrong (in the user's terms) -> where -> what is supported -> what to do.
Each class also derives from the matching builtin exception so that ordinary
``except NotImplementedError`` / ``except ValueError`` clauses keep working.
"""

from __future__ import annotations

import linecache
import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in the user's source: absolute file line and 0-based column."""

    filename: str
    lineno: int
    col: int = 0
    line_text: str = ""
    function: str = ""

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}:{self.col + 1}"

    @property
    def file_line(self) -> str:
        """`file:line`, as messages raised by generated code when it runs say where."""
        return f"{self.filename}:{self.lineno}"


# How an error raised while a derivative runs finds the line of the user's code
# it runs for: running_lines.py maps (generated file, line) to (user's file,
# line). This module, which the runtime imports, imports nothing of the
# compiler, and looks that module up only when it is loaded: an exported
# derivative (export.py copies these functions) runs without it.
_RUNNING_LINES = "adcompiler.running_lines"
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_RUNTIME = os.path.join(_PACKAGE, "runtime") + os.sep


def _where_derivative_runs(what: str) -> Location | None:
    """The user's line whose derivative code is running when an error is made
    without a location (a runtime helper's refusal, a derivative meeting a
    value the compiler could not know): the innermost generated frame on the
    stack, reached through runtime helpers and libraries only (an error the
    compiler makes while compiling is not one). None when there is none, or
    when `what` already names that file."""
    running_lines = sys.modules.get(_RUNNING_LINES)
    if running_lines is None:
        return None
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith("<adcompiler"):
            user_file, line = running_lines.user_line_of_running_code(filename,
                                                                      frame.f_lineno or 0)
            if user_file == filename or os.path.basename(user_file) in what:
                return None
            if not os.path.abspath(user_file).startswith(_PACKAGE):
                return Location(user_file, line, 0, linecache.getline(user_file, line))
            # The derivative of one of adcompiler's own helpers (a rule's
            # template differentiated again): the user's line is further out.
        if filename.startswith(_PACKAGE) and not filename.startswith(_RUNTIME) and \
                os.path.basename(filename) != "errors.py":
            return None
        frame = frame.f_back
    return None


class AdError(Exception):
    """Base class of every error adcompiler raises on purpose.

    Example:
        >>> try:
        ...     adcompiler.grad(len)
        ... except adcompiler.AdError as err:
        ...     print(type(err).__name__)
        SourceUnavailableError
    """

    def __init__(self, what: str, location: Location | None = None, help: str = ""):
        self.what = what
        self.location = location if location is not None else _where_derivative_runs(what)
        self.help = help
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.location is not None:
            loc = self.location
            where = f"{loc}: {self.what}"
            if loc.function:
                where += f" (in function '{loc.function}')"
            parts.append(where)
            if loc.line_text.strip():
                text = loc.line_text.rstrip("\n")
                stripped = text.lstrip()
                indent = len(text) - len(stripped)
                parts.append("    " + stripped)
                parts.append("    " + " " * max(loc.col - indent, 0) + "^")
        else:
            parts.append(self.what)
        if self.help:
            parts.append(self.help)
        return "\n".join(parts)


class UnsupportedSyntaxError(AdError, NotImplementedError):
    """The function uses a Python construct the compiler does not handle."""


class NoDerivativeRuleError(AdError, NotImplementedError):
    """A call on differentiated values has no registered derivative rule."""


class NonScalarOutputError(AdError, ValueError):
    """`grad` was asked for the gradient of a function whose result is not a scalar."""


class WrtError(AdError, ValueError):
    """`wrt` names no parameter of the function, or is out of range."""


class SourceUnavailableError(AdError, TypeError):
    """The function's Python source cannot be read (a builtin, a REPL definition)."""


class SourceChangedError(SourceUnavailableError):
    """The function's file no longer holds the code Python runs for it (edited
    after import): compiling the text read now would differentiate another function."""


class WrappedFunctionError(SourceUnavailableError):
    """The function is wrapped by a decorator (`functools.wraps`) that may change
    its result; differentiating the undecorated function instead would be wrong."""


class NotAFunctionError(AdError, TypeError):
    """Something that is not a function (None, a number) was passed where the
    function to differentiate goes."""


class OptionError(AdError, ValueError):
    """An entry point was given an option value it does not take, or options
    that do not go together (`mode="forward"` with `has_aux=True`)."""


class SeedShapeError(AdError, ValueError):
    """The seed passed to a vjp does not have the shape of the function's result,
    or a tangent (jvp) or vector (hvp) not the shape of its argument."""


class CallConventionError(AdError, TypeError):
    """A jvp, vjp or hvp called other than as `(primals, tangents)` (or
    `(primals, seed)`): the arguments of `f` go in one tuple, what goes with
    them in a second argument, so neither can fill a parameter of `f`."""


class SharedMemoryError(AdError, ValueError):
    """An in-place update would change an object that another live variable
    shares (a NumPy view, a list element, a second name), which the
    derivative does not follow: refused when the function runs."""


class StatefulFunctionError(AdError, RuntimeError):
    """A derivative that runs the function more than once (a forward-mode
    grad runs it once per entry, a Jacobian once per row or column) got
    different values for the same arguments: the function changes
    module-level state it reads (a counter, a global array), or draws random
    numbers, and each run would differentiate another function."""


class ComplexValueError(AdError, TypeError):
    """A differentiated argument, result or seed is complex; only real values are
    differentiated for now."""


class NumbaBackendError(AdError, NotImplementedError):
    """A derivative asked for with `backend="numba"` cannot be compiled by
    numba (numba is missing, or refuses a construct); the default
    `backend="python"` differentiates it."""


class MemoryBudgetError(AdError, MemoryError):
    """A derivative run with `memory=` cannot keep a loop within the budget:
    one iteration's recording and one snapshot of its state do not fit."""


class NonFiniteError(AdError, FloatingPointError):
    """A derivative computed with `check_finite=True` holds a NaN or an
    infinity: raised at the first one, naming the line of the user's code it
    was computed for and the values that fed it (docs/debugging.md)."""


class AdWarning(UserWarning):
    """Code adcompiler differentiates, but whose derivative is almost certainly
    not what was meant (a zero gradient, a NaN from an untaken branch); issued
    when compiling, at the user's file and line (docs/debugging.md)."""


class ExportError(AdError, ValueError):
    """`ad.export` cannot write the derivative as a standalone module (it
    closes over a value the module cannot spell, or names code it cannot
    import or copy)."""


class RuleDefinitionError(AdError, TypeError):
    """A derivative rule is malformed; raised when the rule is registered."""


class InternalCompilerError(AdError, RuntimeError):
    """A bug in adcompiler: input reached a pass that should have been fenced."""

    def __init__(self, what: str, location: Location | None = None, help: str = ""):
        help = help or (
            "This is a bug in adcompiler, not in your code. Please report it with "
            "the function that triggered it."
        )
        super().__init__(what, location, help)
