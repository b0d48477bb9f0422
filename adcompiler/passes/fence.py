"""Fence: reject what the compiler does not support, before anything is transformed.

Input: the user's gast FunctionDef, untouched. Output: the same tree, or an
`UnsupportedSyntaxError` naming the construct, the user's file:line, and what
to write instead. After this pass every later pass may assume the input
language below; anything else reaching them is an `InternalCompilerError`.

One table decides: every gast node type is either listed in `ALLOWED` or has a
row in `REJECTED` with its workaround; a node type in neither (new syntax from a
future Python) is rejected too, so nothing slips through silently. A few
context rules follow the table (return only at the end, simple targets).

    def f(x):                    UnsupportedSyntaxError:
        try:                       model.py:2:5: 'try' statements are not
            ...                    supported (in function 'f')
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..source import ParsedFunction

ALLOWED = {
    # statements
    gast.FunctionDef, gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Expr, gast.If,
    gast.While, gast.For, gast.Return, gast.Pass, gast.Assert, gast.Raise,
    # expressions
    gast.BoolOp, gast.BinOp, gast.UnaryOp, gast.IfExp, gast.Compare, gast.Call,
    gast.Constant, gast.Attribute, gast.Subscript, gast.Name, gast.List, gast.Tuple, gast.Dict,
    gast.Slice, gast.JoinedStr, gast.FormattedValue, gast.keyword, gast.arguments,
    # operators and contexts
    gast.Load, gast.Store, gast.Param, gast.Del,
    gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.MatMult, gast.FloorDiv, gast.Mod,
    gast.USub, gast.UAdd, gast.Not, gast.And, gast.Or,
    gast.Eq, gast.NotEq, gast.Lt, gast.LtE, gast.Gt, gast.GtE, gast.Is, gast.IsNot, gast.In,
    gast.NotIn,
}

_LATER = "(support is planned) "
_REJECTED_BY_NAME = {
    "Try": ("'try' statements", "move the try/except outside the differentiated function."),
    "With": ("'with' statements", "move the with block outside the differentiated function."),
    "AsyncWith": ("'async with' statements", "differentiate a synchronous function."),
    "AsyncFor": ("'async for' loops", "differentiate a synchronous function."),
    "AsyncFunctionDef": ("async functions", "differentiate a synchronous function."),
    "Await": ("'await' expressions", "differentiate a synchronous function."),
    "Yield": ("generators ('yield')", "return a list or an array."),
    "YieldFrom": ("generators ('yield from')", "return a list or an array."),
    "Global": ("'global' statements", "pass the value in as an argument and return "
                  "the new value."),
    "Nonlocal": ("'nonlocal' statements", "pass the value in as an argument and return "
                    "the new value."),
    "ClassDef": ("class definitions inside the function", "define the class at module level."),
    "Delete": ("'del' statements", "let the variable go out of scope instead."),
    "Import": ("imports inside the function", "import at module level."),
    "ImportFrom": ("imports inside the function", "import at module level."),
    "Break": ("'break'", _LATER + "restructure the loop as a while loop whose test "
                 "holds the exit condition."),
    "Continue": ("'continue'", _LATER + "wrap the rest of the loop body in an 'if'."),
    "Lambda": ("lambda expressions", _LATER + "define the function with 'def' at module "
                  "level and call it."),
    "ListComp": ("list comprehensions", _LATER + "build the list with a for loop, or use "
                    "a vectorised NumPy expression."),
    "SetComp": ("set comprehensions", "use a for loop."),
    "DictComp": ("dict comprehensions", "use a for loop."),
    "GeneratorExp": ("generator expressions", _LATER + "use a for loop that accumulates, "
                        "or np.sum over an array."),
    "NamedExpr": ("assignment expressions (':=')", "assign in a statement of its own."),
    "Starred": ("starred expressions (*args)", "pass the arguments one by one."),
    "Set": ("set literals", "use a tuple."),
    "Match": ("'match' statements", "use if/elif/else."),
    "TypeAlias": ("'type' statements", "move the alias to module level."),
    "TryStar": ("'try' statements", "move the try/except outside the differentiated function."),
}
# Keyed by class: node types this gast release does not have are simply absent.
REJECTED = {getattr(gast, name): row for name, row in _REJECTED_BY_NAME.items()
            if hasattr(gast, name)}


def _reject(parsed: ParsedFunction, node, what: str, help: str):
    planned = help.startswith(_LATER)
    help = help[len(_LATER):] if planned else help
    help = "Instead: " + help[0].lower() + help[1:]
    if planned:
        help += " Support for this is planned."
    verb = "are" if what.endswith("s") or what.startswith("(") else "is"
    raise UnsupportedSyntaxError(f"{what} {verb} not supported by adcompiler",
                                 parsed.location(node), help=help)


def _check_node_types(parsed: ParsedFunction, tree: gast.FunctionDef) -> None:
    for node in gast.walk(tree):
        kind = type(node)
        if node is not tree and kind is gast.FunctionDef:
            _reject(parsed, node, "nested function definitions",
                    _LATER + "define the helper at module level; adcompiler differentiates "
                    "module-level helpers you call.")
        if kind in ALLOWED:
            continue
        if kind in REJECTED:
            what, help = REJECTED[kind]
            _reject(parsed, node, what, help)
        _reject(parsed, node, f"the construct '{kind.__name__}'",
                "rewrite it with assignments, calls, if/while/for and return.")


def _check_signature(parsed: ParsedFunction, tree: gast.FunctionDef) -> None:
    args = tree.args
    for label, present in (("*args", args.vararg), ("**kwargs", args.kwarg)):
        if present is not None:
            _reject(parsed, tree, f"functions taking {label}",
                    "give the function explicit positional parameters.")
    if args.kwonlyargs or args.posonlyargs:
        _reject(parsed, tree, "keyword-only and positional-only parameters",
                "use ordinary positional parameters.")


def _check_targets(parsed: ParsedFunction, tree: gast.FunctionDef) -> None:
    for node in gast.walk(tree):
        targets = []
        if isinstance(node, gast.Assign):
            targets = node.targets
            if len(targets) > 1:
                _reject(parsed, node, "chained assignments (a = b = ...)",
                        "assign each variable in its own statement.")
        elif isinstance(node, (gast.AugAssign, gast.AnnAssign, gast.For)):
            targets = [node.target]
            if isinstance(node, gast.AnnAssign) and node.value is None:
                _reject(parsed, node, "annotations without a value", "assign a value.")
        for target in targets:
            elts = target.elts if isinstance(target, gast.Tuple) and not isinstance(
                node, (gast.AugAssign, gast.For)) else [target]
            for elt in elts:
                if isinstance(elt, gast.Subscript):
                    # x[i] = v and x[i] += v on a variable: normalised into an update.
                    if elt is target and isinstance(node, (gast.Assign, gast.AugAssign)) \
                            and isinstance(elt.value, gast.Name):
                        continue
                    _reject(parsed, elt, "this assignment into an element",
                            "assign into an element of a plain variable, one target per "
                            "statement: x[i] = v or x[i] += v.")
                if isinstance(elt, gast.Attribute):
                    _reject(parsed, elt, "assignments to attributes (obj.attr = ...)",
                            "keep the value in a local variable and return it.")
                if not isinstance(elt, gast.Name):
                    _reject(parsed, elt, "this assignment target",
                            "assign to plain variable names.")
        if isinstance(node, gast.Dict) and any(key is None for key in node.keys):
            _reject(parsed, node, "dict unpacking ({**d})",
                    "build the dict key by key.")
        if isinstance(node, (gast.For, gast.While)) and node.orelse:
            _reject(parsed, node, f"'{type(node).__name__.lower()} ... else' loops",
                    "set a flag in the loop and test it after the loop.")


def _check_returns(parsed: ParsedFunction, tree: gast.FunctionDef) -> None:
    body = tree.body
    for node in gast.walk(tree):
        if isinstance(node, gast.Return) and not (body and node is body[-1]):
            _reject(parsed, node, "a 'return' before the end of the function",
                    _LATER + "assign the result to a variable in each branch and return "
                    "it once, as the last statement.")
    if not body or not isinstance(body[-1], gast.Return) or body[-1].value is None:
        _reject(parsed, tree, f"a function without a final 'return <value>' ({parsed.name})",
                "end the function with 'return <the value to differentiate>'.")


def fence(parsed: ParsedFunction) -> ParsedFunction:
    """Raise `UnsupportedSyntaxError` for anything outside the supported language."""
    tree = parsed.tree
    _check_node_types(parsed, tree)
    _check_signature(parsed, tree)
    _check_targets(parsed, tree)
    _check_returns(parsed, tree)
    return parsed
