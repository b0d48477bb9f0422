"""Lower with: `with` statements whose context manager changes no value of its
block become the block itself.

Input: the user's gast FunctionDef, untouched (this runs before desugar and
the fence). Output: the same function without the `with` statements of

* `np.errstate(divide='ignore', ...)`, every setting 'ignore': it only
  silences floating-point warnings. Settings that make the block raise
  ('raise', 'call', and 'warn', 'print', 'log', which differ from the
  setting outside only by what they report) are refused: without the
  manager, the derivative would compute a value where the function raises.
  (Without it, a warning the block silenced may show.)
* `warnings.catch_warnings()`, with the `warnings.simplefilter(...)`,
  `warnings.filterwarnings(...)` and `warnings.resetwarnings()` statements
  of its block, which change only the filters the manager restores; a
  filter 'error' (warnings made exceptions) is refused, as is `record=True`.
* `np.printoptions(precision=3, ...)`, options written as constants: only
  text depends on them, so `print(x)`, `str(x)`, `repr(x)` and `f"{x}"` in
  its block format through `text_under_printoptions(x, 's', '', precision=3)`
  (which enters the manager around the formatting alone); other ways to
  make text of an array there are refused.
* `contextlib.nullcontext(value)`: `as name` binds `name = value`.

Any other `with` (a file, a lock, `torch.no_grad()`, a manager of your own)
is refused here, naming its line and the manager.

    def f(x):                                       def f(x):
        with np.errstate(divide='ignore'):   ->         y = np.log(x)
            y = np.log(x)                               return np.sum(y)
        return np.sum(y)
"""

from __future__ import annotations

import ast
import contextlib
import types
import warnings

import gast
import numpy as np

from .. import nodes
from ..errors import UnsupportedSyntaxError
from ..runtime.python_builtins import text_under_printoptions
from ..source import ParsedFunction
from .resolve import local_names, module_value

_FILTERS = (warnings.simplefilter, warnings.filterwarnings, warnings.resetwarnings)
_ERRSTATE_KINDS = ("all", "divide", "over", "under", "invalid")
# What each manager restores when its block ends, and the calls changing it
# (catch_warnings' filter changes are dropped with it: see _without_filters).
_RESTORED = {np.errstate: ("np.errstate", (np.seterr, np.seterrcall)),
             np.printoptions: ("np.printoptions", (np.set_printoptions,))}
_BLOCKS = ("body", "orelse", "finalbody")
# NumPy functions that format arrays with the print options.
_NUMPY_TEXT = ("array2string", "array_str", "array_repr", "savetxt", "format_float_positional",
               "format_float_scientific")


def lower_with(parsed: ParsedFunction, bind_in: ParsedFunction | None = None) -> ParsedFunction:
    """Replace the `with` statements of value-neutral context managers in
    `parsed` (in place) by their blocks; refuse the others. The runtime
    helper it calls is bound in `bind_in` (the function a method is inlined
    into), else in `parsed`.

    Example: `with np.errstate(invalid='ignore'): r = np.sqrt(x)` becomes
    `r = np.sqrt(x)`.
    """
    if not any(isinstance(node, gast.With) for node in nodes.statements(parsed.tree)):
        return parsed
    lowering = _LowerWith(parsed, local_names(parsed.tree), bind_in or parsed)
    for node in list(nodes.statements(parsed.tree)):
        if isinstance(node, gast.FunctionDef):
            node.body = lowering.block(node.body)
    return parsed


class _LowerWith:
    def __init__(self, parsed: ParsedFunction, local: set, bind_in: ParsedFunction):
        self.parsed = parsed
        self.local = local
        self.bind_in = bind_in

    def block(self, body: list) -> list:
        out = []
        for stmt in body:
            if isinstance(stmt, gast.FunctionDef):
                out.append(stmt)  # lowered on its own by lower_with
                continue
            for field in _BLOCKS:
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field)) or [gast.Pass()])
            for handler in getattr(stmt, "handlers", None) or ():
                handler.body = self.block(handler.body)
            for case in getattr(stmt, "cases", None) or ():
                case.body = self.block(case.body)
            out.extend(self.with_(stmt) if isinstance(stmt, gast.With) else [stmt])
        return out

    def with_(self, stmt: gast.With) -> list:
        """The statements `stmt` stands for (its block already lowered)."""
        body = stmt.body
        # `with a, b:` is `with a:` holding `with b:`: the innermost first.
        for item in reversed(stmt.items):
            body = self.item(item, body, stmt)
        return [nodes.located(new, stmt) if getattr(new, "lineno", None) is None else new
                for new in body]

    def item(self, item: gast.withitem, body: list, stmt: gast.With) -> list:
        manager = item.context_expr
        value = module_value(self.parsed, manager.func, self.local) \
            if isinstance(manager, gast.Call) else None
        if value is contextlib.nullcontext:
            return self.nullcontext(manager, item.optional_vars) + body
        if not _is_one_of(value, (np.errstate, warnings.catch_warnings, np.printoptions)):
            self.refuse(stmt, f"the context manager of 'with {self.text(manager)}'",
                        "move the with block outside the differentiated function (compute "
                        "what it gives before the call and pass it in). adcompiler models "
                        "np.errstate(...='ignore'), warnings.catch_warnings(), "
                        "np.printoptions(...) and contextlib.nullcontext(); to hold a value "
                        "constant, as torch.no_grad() does, use ad.stop_gradient(value).")
        if item.optional_vars is not None:
            self.refuse(stmt, f"'with {self.text(manager)} as ...'",
                        "leave out 'as ...': the block's values do not depend on it.")
        if manager.args:
            self.refuse(stmt, f"positional arguments of {self.text(manager.func)}",
                        "pass its settings by keyword.")
        self.nothing_to_restore(value, body)
        if value is np.errstate:
            self.errstate(manager, stmt)
            return body
        if value is warnings.catch_warnings:
            self.catch_warnings(manager, stmt)
            return _without_filters(body, self)
        return self.printoptions(manager, body, stmt)

    def nothing_to_restore(self, manager, body: list) -> None:
        """Refuse a call in `body` changing the state `manager` restores when
        the block ends (np.seterr inside np.errstate): without the manager,
        the change would outlive the call."""
        name, restored = _RESTORED.get(manager, ("", ()))
        for call in (n for stmt in body for n in gast.walk(stmt) if isinstance(n, gast.Call)):
            if _is_one_of(self.resolved(call.func), restored):
                self.refuse(call, f"{self.text(call.func)}(...) inside {name}(...)",
                            "pass the setting to the with statement itself, or make the "
                            "change outside the differentiated function: the with block "
                            "undoes it when it ends, and adcompiler does not run the "
                            "manager.")

    # contextlib.nullcontext(value) ------------------------------------------
    def nullcontext(self, manager: gast.Call, target) -> list:
        value = manager.args[0] if manager.args else next(
            (k.value for k in manager.keywords if k.arg == "enter_result"), nodes.const(None))
        if target is not None:
            return [gast.Assign(targets=[target], value=value, type_comment=None)]
        # (Python evaluates the value even when no name receives it.)
        return [] if isinstance(value, (gast.Name, gast.Constant)) else [nodes.expr_stmt(value)]

    # np.errstate(divide='ignore') ---------------------------------------------
    def errstate(self, manager: gast.Call, stmt) -> None:
        for keyword in manager.keywords:
            setting = keyword.value.value if isinstance(keyword.value, gast.Constant) else None
            if keyword.arg not in _ERRSTATE_KINDS or not isinstance(setting, str):
                self.refuse(stmt, f"np.errstate({keyword.arg or '**'}=...)",
                            "write each setting as a constant, np.errstate(divide='ignore'), "
                            f"of {', '.join(_ERRSTATE_KINDS)}.")
            if setting != "ignore":
                self.refuse(stmt, f"np.errstate({keyword.arg}={setting!r})",
                            "test the values yourself (if not np.all(np.isfinite(y)): "
                            "raise FloatingPointError(...)), or set np.seterr around the call "
                            f"to the derivative. np.errstate(...='{setting}') makes a "
                            "floating-point error in the block raise or report, and without "
                            "it the derivative would compute a value where the function "
                            "raises; adcompiler models only 'ignore'.")

    # warnings.catch_warnings() --------------------------------------------------
    def catch_warnings(self, manager: gast.Call, stmt) -> None:
        for keyword in manager.keywords:
            setting = keyword.value.value if isinstance(keyword.value, gast.Constant) else ...
            if keyword.arg == "record" and setting is False or keyword.arg in (
                    "category", "lineno", "append"):
                continue
            if keyword.arg == "action":
                self.filter_action(setting, stmt)
                continue
            self.refuse(stmt, f"warnings.catch_warnings({keyword.arg or '**'}=...)",
                        "use warnings.catch_warnings() without recording; adcompiler "
                        "models it with 'ignore' filters inside.")

    def filter_action(self, action, node) -> None:
        if not isinstance(action, str):
            self.refuse(node, "a warnings filter whose action is not a constant",
                        "write the action as a constant, warnings.simplefilter('ignore').")
        if action == "error":
            self.refuse(node, "the warnings filter 'error' inside warnings.catch_warnings()",
                        "test the values yourself and raise, or run the derivative "
                        "under warnings.catch_warnings(). The filter turns a warning of the "
                        "block into an exception, and without it the derivative would "
                        "compute a value where the function raises.")

    # np.printoptions(precision=3) ---------------------------------------------------
    def printoptions(self, manager: gast.Call, body: list, stmt) -> list:
        options = {}
        for keyword in manager.keywords:
            if keyword.arg is None or not isinstance(keyword.value, gast.Constant):
                self.refuse(stmt, f"np.printoptions({keyword.arg or '**'}=...) of a value "
                            "computed in the function", "write the options as constants.")
            options[keyword.arg] = keyword.value.value
        try:
            with np.printoptions(**options):
                pass
        except (TypeError, ValueError) as error:
            raise UnsupportedSyntaxError(
                f"np.printoptions rejects these options ({error})", self.parsed.location(stmt),
                help="Instead: pass options np.set_printoptions accepts.") from error
        formatting = _Formatting(self, options)
        return [formatting.visit(s) for s in body]

    # --------------------------------------------------------------------------------
    def resolved(self, func):
        return module_value(self.parsed, func, self.local)

    def text(self, node) -> str:
        return ast.unparse(gast.gast_to_ast(node))

    def refuse(self, node, what: str, help: str):
        verb = "are" if what.endswith("s") and not what.endswith("'") else "is"
        raise UnsupportedSyntaxError(f"{what} {verb} not supported by adcompiler",
                                     self.parsed.location(node),
                                     help="Instead: " + help[0].lower() + help[1:])


def _is_one_of(value, objects) -> bool:
    return any(value is obj for obj in objects)


def _without_filters(body: list, lowering: _LowerWith) -> list:
    """`body` without its statements changing the warnings filters (in any
    block, but not in functions defined there, which may run elsewhere)."""
    out = []
    for stmt in body:
        for node in gast.walk(stmt):
            if isinstance(node, (gast.FunctionDef, gast.Lambda)) and any(
                    isinstance(call, gast.Call) and _is_one_of(lowering.resolved(call.func), _FILTERS)
                    for call in gast.walk(node)):
                lowering.refuse(node, "changing the warnings filters in a function defined "
                                "inside warnings.catch_warnings()",
                                "change them in the with block itself.")
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) and \
                _is_one_of(lowering.resolved(stmt.value.func), _FILTERS):
            call = stmt.value
            if lowering.resolved(call.func) is not warnings.resetwarnings:
                action = call.args[0] if call.args else next(
                    (k.value for k in call.keywords if k.arg == "action"), None)
                lowering.filter_action(
                    action.value if isinstance(action, gast.Constant) else ..., stmt)
            continue
        for field in _BLOCKS:
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, _without_filters(getattr(stmt, field), lowering)
                        or [gast.Pass()])
        if any(isinstance(call, gast.Call) and _is_one_of(lowering.resolved(call.func), _FILTERS)
               for call in gast.walk(stmt)):
            lowering.refuse(stmt, "a warnings filter call inside an expression",
                            "call it as a statement of its own.")
        out.append(stmt)
    return out


class _Formatting(gast.NodeTransformer):
    """Text made of values in an `np.printoptions` block: formatted under its
    options by `text_under_printoptions`; other text-making refused."""

    def __init__(self, lowering: _LowerWith, options: dict):
        self.lowering = lowering
        self.options = options
        self.local_functions = {n.name for n in nodes.walk(lowering.parsed.tree)
                                if isinstance(n, gast.FunctionDef)} | {
            t.id for n in nodes.walk(lowering.parsed.tree) if isinstance(n, gast.Assign)
            and isinstance(n.value, gast.Lambda) for t in n.targets if isinstance(t, gast.Name)}

    def formatted(self, value, conversion: str, spec: str = ""):
        helper = self.lowering.bind_in.reference(text_under_printoptions)
        keywords = {k: nodes.const(v) for k, v in self.options.items()}
        return nodes.located(nodes.call(helper, [value, nodes.const(conversion),
                                                 nodes.const(spec)], keywords), value)

    def refuse(self, node, what: str):
        self.lowering.refuse(node, f"{what} inside np.printoptions(...)",
                             "print the values, or make text of them with str(), repr() or "
                             "an f-string, in the with block itself: those are formatted "
                             "with its options.")

    def visit_FunctionDef(self, node):
        self.refuse(node, "functions defined")

    visit_Lambda = visit_FunctionDef

    def visit_Call(self, node):
        self.generic_visit(node)
        func = self.lowering.resolved(node.func)
        if isinstance(node.func, gast.Name) and node.func.id in self.local_functions:
            self.refuse(node, f"calls of the local function {node.func.id} (which may "
                        "print)")
        if func is print:
            if any(isinstance(a, gast.Starred) for a in node.args):
                self.refuse(node, "print(*values)")
            # (print writes str() of each argument; an f-string is text already)
            node.args = [a if isinstance(a, (gast.Starred, gast.JoinedStr, gast.Constant))
                         else self.formatted(a, "s") for a in node.args]
            return node
        if _is_one_of(func, (str, repr)) and len(node.args) == 1 and not node.keywords and \
                not isinstance(node.args[0], gast.Starred):
            return self.formatted(node.args[0], "s" if func is str else "r")
        if _is_one_of(func, (format, ascii, str, repr)) or (
                getattr(func, "__name__", None) in _NUMPY_TEXT and
                getattr(func, "__module__", "").startswith("numpy")):
            self.refuse(node, f"{self.lowering.text(node.func)}(...)")
        if isinstance(func, types.FunctionType) and not getattr(
                func, "__module__", "").startswith(("numpy", "scipy")):
            self.refuse(node, f"calls of your own function {self.lowering.text(node.func)} "
                        "(which may print)")
        return node

    def visit_FormattedValue(self, node):
        self.generic_visit(node)
        spec = node.format_spec
        if spec is not None and not all(isinstance(v, gast.Constant) for v in spec.values):
            self.refuse(node, "an f-string whose format spec holds a value")
        text = "".join(v.value for v in spec.values) if spec is not None else ""
        conversion = {-1: "", 115: "s", 114: "r", 97: "a"}[node.conversion]
        node.value = self.formatted(node.value, conversion, text)
        node.conversion, node.format_spec = -1, None
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, gast.Mod) and isinstance(node.left, (gast.Constant,
                                                                   gast.JoinedStr)) and \
                isinstance(getattr(node.left, "value", ""), str):
            self.refuse(node, "'%' formatting")
        return node
