"""`check_finite=True`: derivative code that stops at the first NaN or infinity
and says which line of the user's code made it.

The derivative is compiled as usual; this module makes a second version of
its generated functions with a check after every assignment:

    y = np.log(x)                    y = np.log(x)
    dx = dx + dy / x         ->      finite_check(3, y, x)
                                     dx = dx + dy / x
                                     finite_check(4, dx, dx, dy, x)

`finite_check(site, value, *operands)` returns at once for finite values.
A derivative (an adjoint or tangent) with a NaN or an infinity raises
`NonFiniteError` naming the user's file and line, the primal statement,
the entries that are not finite and the values of the operands at those
entries. A forward value that is not finite (log(0) in an untaken branch of
np.where) is remembered, not raised, and the error names it as what came
first. Nothing of this exists in a derivative asked for without
`check_finite`: its code is not changed at all.

The checked version is built for every generated function the derivative
reaches (the split derivatives of helpers it calls, the variants behind a
dispatcher, the functions an hvp or a Hessian calls), through their closure
cells, and for the API's own wrappers over them.
"""

from __future__ import annotations

import ast
import linecache
import math
import re
import threading
import types
import weakref

import numpy as np

from . import codegen
from .context import COMPILE_LOCK
from .errors import Location, NonFiniteError, OptionError
from .held import HeldDerivative

_MARK = "__adcompiler_finite__"
_COUNT = -1  # the memo's entry counting the generated functions met (ids are >= 0)


# -- the check that generated code calls ---------------------------------------

class Site:
    """What one checked statement is: where it came from, and what it reads."""

    def __init__(self, target, operands, generated_text, generated_place, user_file,
                 user_line, derivative):
        self.target, self.operands = target, operands
        self.generated_text, self.generated_place = generated_text, generated_place
        self.user_file, self.user_line = user_file, user_line
        self.derivative = derivative

    def location(self) -> Location:
        return Location(self.user_file, self.user_line, 0,
                        linecache.getline(self.user_file, self.user_line))


_SITES: list[Site] = []
_first_forward = threading.local()


def _finite(value) -> bool:
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind is np.ndarray:
        return value.dtype.kind not in "fc" or bool(np.isfinite(value).all())
    if isinstance(value, np.generic):
        return value.dtype.kind not in "fc" or bool(np.isfinite(value))
    if isinstance(value, (tuple, list)):
        return all(_finite(part) for part in value)
    if isinstance(value, dict):
        return all(_finite(part) for part in value.values())
    return True


def finite_check(site: int, value, *operands) -> None:
    """Raise NonFiniteError if `value`, computed at `site`, is a derivative
    that is not finite; remember the first forward value that is not."""
    if _finite(value):
        return
    where = _SITES[site]
    if not where.derivative:
        if getattr(_first_forward, "site", None) is None:
            _first_forward.site = (site, _describe(value, where.target, None),
                                   _fed_by(where, value, operands))
        return
    first, _first_forward.site = getattr(_first_forward, "site", None), None
    raise NonFiniteError(*_message(where, value, operands, first))


def reset() -> None:
    """Forget the forward value remembered by the last run (a new call starts)."""
    _first_forward.site = None


def _bad_entries(value, limit: int = 4):
    """Indices (tuples) of the first entries of `value` that are not finite."""
    array = np.asarray(value)
    if array.dtype.kind not in "fc":
        return []
    return [tuple(int(i) for i in index) for index in np.argwhere(~np.isfinite(array))[:limit]]


def _show(entry) -> str:
    """A number as people write it: 0.0, nan, -inf (not np.float64(nan))."""
    item = entry.item() if hasattr(entry, "item") else entry
    return repr(item)


def _describe(value, name: str, entries) -> str:
    if isinstance(value, (tuple, list, dict)):
        return f"{name} holds a value that is not finite"
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{name} is {_show(array)}"
    entries = entries if entries is not None else _bad_entries(value)
    shown = ", ".join(f"{_show(array[i])} at index {i}" for i in entries)
    count = int(np.size(array) - np.isfinite(array).sum())
    more = f" ({count} entries of {array.size})" if count > len(entries) else ""
    return f"{name} has {shown}{more}"


def _fed_by(where: Site, value, operands) -> list:
    """One line per operand: its value at the offending entries."""
    entries = _bad_entries(value)
    shape = np.shape(value) if not isinstance(value, (tuple, list, dict)) else None
    lines = []
    for name, operand in zip(where.operands, operands):
        if isinstance(operand, (tuple, list, dict)) or operand is None:
            continue
        array = np.asarray(operand)
        if array.dtype.kind not in "fcib":
            continue
        if array.ndim == 0:
            lines.append(f"{name} = {_show(array)}")
        elif shape is not None and array.shape == shape and entries:
            lines.append(f"{name} has " + ", ".join(f"{_show(array[i])} at index {i}"
                                                    for i in entries))
        else:
            finite = "" if _finite(operand) else ", not all finite"
            lines.append(f"{name} has shape {array.shape}{finite}")
    return lines


def _message(where: Site, value, operands, first) -> tuple:
    what = f"a derivative is not finite: {_describe(value, where.target, None)}"
    parts = [f"It was computed by the derivative code {where.generated_place}:",
             f"    {where.generated_text}"]
    fed = _fed_by(where, value, operands)
    if fed:
        parts.append("from these values, at those entries:")
        parts += [f"    {line}" for line in fed]
    if first is not None:
        site, described, first_fed = first
        earlier = _SITES[site]
        parts.append(f"First non-finite value: before this, the forward value computed by "
                     f"`{earlier.generated_text}`: {described}, at "
                     f"{earlier.user_file}:{earlier.user_line}:")
        parts.append("    " + linecache.getline(earlier.user_file, earlier.user_line).strip())
        parts += [f"    ({line})" for line in first_fed]
    parts.append("Look for a log, sqrt, division or power of a value at the edge of its "
                  "domain (np.where computes both branches: use the 'double where', "
                  "docs/debugging.md).")
    return what, where.location(), "\n".join(parts)


# -- making the checked version of generated code -------------------------------

def checked(obj, memo: dict | None = None):
    """The version of `obj` (what the API returns: a generated function, a
    wrapper over generated functions) whose generated code checks every value.
    Raises ValueError when `obj` runs no generated Python code to check (a
    derivative compiled by numba): no check is never silently no check."""
    if memo is None:
        memo = {_COUNT: 0}
        with COMPILE_LOCK:  # sites are numbered in one list, versions cached
            made = checked(obj, memo)
        if not memo[_COUNT]:
            raise OptionError(
                f"check_finite=True found no generated Python code to check in {obj!r}: "
                "it checks the Python derivative",
                help="Drop backend= (or check_finite).")
        return made
    if id(obj) in memo:
        return memo[id(obj)]
    if isinstance(obj, types.MethodType):
        made = types.MethodType(checked(obj.__func__, memo), obj.__self__)
    elif isinstance(obj, types.FunctionType):
        made = _checked_function(obj, memo)
    elif isinstance(obj, HeldDerivative):
        # The checked version of the code it holds now: the checked derivative
        # is itself held, and built again when what this one holds changes.
        made = checked(obj.__wrapped__, memo)
    elif isinstance(obj, (list, tuple)) and type(obj) in (list, tuple):
        parts = [checked(part, memo) for part in obj]
        made = obj if all(a is b for a, b in zip(parts, obj)) else type(obj)(parts)
    elif type(obj).__module__.startswith("adcompiler.") and hasattr(obj, "__dict__"):
        # (not copy.copy: a wrapper's __getattr__ forwards to what it wraps)
        made = object.__new__(type(obj))
        memo[id(obj)] = made
        for key, value in vars(obj).items():
            made.__dict__[key] = checked(value, memo)
    else:
        made = obj
    memo[id(obj)] = made
    return made


def _generated(function) -> bool:
    return function.__code__.co_filename in codegen._registered


def _checked_function(function, memo: dict):
    cached = function.__dict__.get(_MARK)
    if cached is not None:
        memo[_COUNT] += 1  # a checked version exists only over generated code
        return cached
    if _generated(function):
        memo[_COUNT] += 1
        # A cell of its own first: a recursive derivative calls itself.
        made = _compile_checked(function, memo)
    else:
        closure = function.__closure__ or ()
        contents = [_cell_value(cell) for cell in closure]
        new_contents = [checked(value, memo) for value in contents]
        defaults = function.__defaults__
        new_defaults = tuple(checked(value, memo) for value in defaults) if defaults else defaults
        if all(a is b for a, b in zip(contents, new_contents)) and new_defaults == defaults \
                and (not defaults or all(a is b for a, b in zip(defaults, new_defaults))):
            return function
        made = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                                  new_defaults, tuple(types.CellType(v) for v in new_contents))
        made.__dict__.update({k: v for k, v in function.__dict__.items() if k != _MARK})
        made.__qualname__ = function.__qualname__
        made.__kwdefaults__ = function.__kwdefaults__
    function.__dict__[_MARK] = made
    return made


_EMPTY = object()


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return _EMPTY


def _compile_checked(function, memo: dict):
    filename = function.__code__.co_filename
    text = "".join(linecache.getlines(filename)) or "".join(codegen._registered[filename][0])
    module = ast.parse(text)
    scope = module.body[0]
    inner = next(node for node in scope.body if isinstance(node, ast.FunctionDef)
                 and node.name == function.__code__.co_name)
    checker = "finite_check"
    taken = {node.id for node in ast.walk(module) if isinstance(node, ast.Name)}
    while checker in taken:
        checker = "_" + checker
    locals_ = _local_names(inner)
    first = inner.args.args[0].arg if inner.args.args else ""
    derivatives = _derivative_names(locals_)
    if first.startswith("_stack") and re.search(r"_adjoint\d*$", inner.name):
        # A helper's split adjoint returns the derivatives of its parameters,
        # whose values it does not restore when it does not read them: `dk`
        # with no `k` among its names.
        derivatives |= _returned_names(inner)
    inner.body = _with_checks(inner.body, checker, filename, locals_, derivatives)
    if not first.startswith("_stack"):
        # A run starts here (not in the split derivative of a helper it calls).
        inner.body.insert(0, ast.Expr(ast.Call(ast.Attribute(
            ast.Name(checker, ast.Load()), "reset", ast.Load()), [], [])))
    scope.args.args.append(ast.arg(checker))
    ast.fix_missing_locations(module)
    new_text = ast.unparse(module) + "\n"
    label = filename.removeprefix("<adcompiler: ").removesuffix(">") + ", checked"
    new_filename = codegen._register(label, new_text)
    code = compile(new_text, new_filename, "exec")
    scope_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner_code = next(c for c in scope_code.co_consts if isinstance(c, types.CodeType)
                      and c.co_name == inner.name)
    old_cells = dict(zip(function.__code__.co_freevars, function.__closure__ or ()))
    cells = {}
    for name in inner_code.co_freevars:
        if name == checker:
            cells[name] = types.CellType(_CHECKER)
        else:
            cells[name] = types.CellType()
    made = types.FunctionType(inner_code, function.__globals__, function.__name__,
                              function.__defaults__,
                              tuple(cells[name] for name in inner_code.co_freevars))
    made.__dict__.update({k: v for k, v in function.__dict__.items() if k != _MARK})
    made.__qualname__ = function.__qualname__
    made.__kwdefaults__ = function.__kwdefaults__
    function.__dict__[_MARK] = made
    memo[id(function)] = made
    for name in inner_code.co_freevars:
        if name != checker:
            value = _cell_value(old_cells[name])
            if value is not _EMPTY:
                cells[name].cell_contents = checked(value, memo)
    finalizer = weakref.finalize(made, codegen._release, new_filename)
    finalizer.atexit = False
    return made


class _Checker:
    """What generated code calls: `finite_check(site, value, ...)` and `.reset()`."""

    __call__ = staticmethod(finite_check)
    reset = staticmethod(reset)


_CHECKER = _Checker()


def _local_names(function: ast.FunctionDef) -> set:
    names = {a.arg for a in function.args.args}
    if function.args.vararg:
        names.add(function.args.vararg.arg)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _returned_names(function: ast.FunctionDef) -> set:
    """The names a function returns (`return dy, dk`)."""
    return {node.id for statement in ast.walk(function) if isinstance(statement, ast.Return)
            and statement.value is not None for node in ast.walk(statement.value)
            if isinstance(node, ast.Name)}


_TEMPORARY = re.compile(r"_t\d+")  # naming.py's temporaries (dead code may drop one)


def _derivative_names(locals_: set) -> set:
    """The adjoints and tangents among the names: `dx` for a variable `x`,
    `d_x` where the user's code has a `dx` of its own (naming.py), and so on
    for derivatives of derivatives."""
    found = set()
    for name in locals_:
        rest = name
        while rest.startswith("d") and len(rest) > 1:
            rest = rest[1:]
            if rest in locals_ or (rest.startswith("_") and rest[1:] in locals_) or \
                    _TEMPORARY.fullmatch(rest):
                found.add(name)
                break
    return found


def _with_checks(body: list, checker: str, filename: str, locals_: set,
                 derivatives: set) -> list:
    out = []
    for statement in body:
        for field in ("body", "orelse"):
            inner = getattr(statement, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                setattr(statement, field, _with_checks(inner, checker, filename, locals_,
                                                       derivatives))
        out.append(statement)
        site = _site(statement, filename, locals_, derivatives)
        if site is not None:
            target, operands = site
            call = ast.Call(ast.Name(checker, ast.Load()),
                            [ast.Constant(len(_SITES) - 1), ast.Name(target, ast.Load())]
                            + [ast.Name(name, ast.Load()) for name in operands], [])
            out.append(ast.Expr(call))
    return out


def _site(statement, filename: str, locals_: set, derivatives: set):
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
            isinstance(statement.targets[0], ast.Name):
        target, value = statement.targets[0].id, statement.value
    elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
        target, value = statement.target.id, statement
    else:
        return None
    if isinstance(value, ast.Constant) or _is_pop(value):
        return None
    operands = sorted({node.id for node in ast.walk(value) if isinstance(node, ast.Name)
                       and isinstance(node.ctx, ast.Load) and node.id in locals_})
    # The target's own old value (dx = dx + ...) is gone once the check runs:
    # listing its new value among what fed it would mislead.
    reads_a_variable = bool(operands) or isinstance(statement, ast.AugAssign)
    operands = [name for name in operands if name != target]
    if not reads_a_variable:
        return None  # a constant (best = np.inf) is not a value gone wrong
    user_file, user_line = _user_line(filename, statement.lineno)
    _SITES.append(Site(target, operands, ast.unparse(statement),
                       f"{filename}, line {statement.lineno}", user_file, user_line,
                       target in derivatives))
    return target, operands


_LINE_COMMENT = re.compile(r"#\s*line (\d+):")


def _user_line(filename: str, lineno: int, depth: int = 0) -> tuple:
    """The user's file and line a generated line was made for: from codegen's
    line map, or else from the `# line N:` comment heading its adjoint block,
    or the primal statement a tangent follows (statements the derivative
    passes add have no line of their own); through every order."""
    entry = codegen._registered.get(filename)
    if entry is None or depth > 20:
        return filename, lineno
    mapping = entry[2] or {}
    if lineno in mapping:
        return _user_line(*mapping[lineno], depth + 1)
    source = mapping.get(0, (filename, lineno))
    lines = linecache.getlines(filename) or entry[0]
    for number in range(lineno - 1, 0, -1):
        text = lines[number - 1] if number <= len(lines) else ""
        if text.lstrip().startswith("def "):
            break
        found = _LINE_COMMENT.search(text)
        if found:
            return _user_line(source[0], int(found.group(1)), depth + 1)
        if number in mapping:  # a tangent follows the statement it differentiates
            return _user_line(*mapping[number], depth + 1)
    return _user_line(*source, depth + 1) if source != (filename, lineno) else source


def _is_pop(value) -> bool:
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
        value.func.attr == "pop"
