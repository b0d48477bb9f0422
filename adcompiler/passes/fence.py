"""Fence: reject what the compiler does not support, before anything is transformed.

Input: the user's gast FunctionDef, untouched. Output: the same tree, or an
`UnsupportedSyntaxError` naming the construct, the user's file:line, and what
to write instead. After this pass every later pass may assume the input
language below; anything else reaching them is an `InternalCompilerError`.

One table decides: every gast node type is either listed in `ALLOWED` or has a
row in `REJECTED` with its workaround; a node type in neither (new syntax from a
future Python) is rejected too, so nothing slips through silently. A few
context rules follow the table: every path through the function, and through
each function defined in it, ends in a `return <value>` (or a `raise`),
targets are plain names (a `for` loop's or a comprehension's may be a tuple of
them), a starred `*t` stands only in a call's arguments, and of the special
parameters only `*args` is accepted. `break`, `continue`, early returns and loop `else` pass the fence, which
lower_control.py rewrites; so do list comprehensions and generator expressions,
which lower_comprehensions.py rewrites (or refuses where Python evaluates them
lazily), and nested functions and lambdas, which inline_local.py inlines (or
refuses where it cannot).

    def f(x):                    UnsupportedSyntaxError:
        try:                       model.py:2:5: 'try' statements are not
            ...                    supported (in function 'f')
"""

from __future__ import annotations

import gast

from .. import nodes
from . import effects
from .census import Census, everything_of
from ..errors import UnsupportedSyntaxError
from ..printer import to_source
from ..source import ParsedFunction

ALLOWED = {
    # statements
    gast.FunctionDef, gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Expr, gast.If,
    gast.While, gast.For, gast.Return, gast.Pass, gast.Assert, gast.Raise, gast.Break,
    gast.Continue,
    # expressions
    gast.BoolOp, gast.BinOp, gast.UnaryOp, gast.IfExp, gast.Compare, gast.Call,
    gast.Constant, gast.Attribute, gast.Subscript, gast.Name, gast.List, gast.Tuple, gast.Dict,
    gast.Slice, gast.JoinedStr, gast.FormattedValue, gast.keyword, gast.arguments,
    gast.ListComp, gast.GeneratorExp, gast.comprehension,
    gast.DictComp,  # lowered into a loop writing d[k] = v (lower_comprehensions.py)
    gast.Lambda,  # assigned to a name, like a nested def: inline_local.py inlines both
    gast.Starred,  # only as a call's argument, f(x, *t): see _check_starred
    # operators and contexts
    gast.Load, gast.Store, gast.Param, gast.Del,
    gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.MatMult, gast.FloorDiv, gast.Mod,
    gast.USub, gast.UAdd, gast.Not, gast.And, gast.Or,
    # bitwise: masks (m1 | m2, ~m) and integers; they carry no derivative, and
    # having no rule, a differentiated operand (a dict merge, d1 | d2) is refused
    gast.BitOr, gast.BitAnd, gast.BitXor, gast.Invert,
    gast.Eq, gast.NotEq, gast.Lt, gast.LtE, gast.Gt, gast.GtE, gast.Is, gast.IsNot, gast.In,
    gast.NotIn,
}

_TRY_ADVICE = (
    "move the try/except outside the differentiated function, around the call to "
    "the derivative; to avoid an error, test before the operation instead (if "
    "np.all(x > 0): y = np.log(x) else: ...; np.where(x > 0, x, 1.0) keeps np.log's "
    "argument valid); for cleanup in 'finally', do it after the call; for an "
    "optional import (try: import scipy except ImportError:), import at module level.")

_IMPORT = ("an import inside a block of the function (a branch, a loop, a local function), "
           "a relative one, 'from m import *', or of a name the function binds again")
_IMPORT_INSTEAD = ("import at module level, or as a statement of the function's body "
                   "(from package.module import name).")

_REJECTED_BY_NAME = {
    # Python's exceptions are not modelled: which values exist after an except
    # depends on where the body raised.
    "Try": ("'try' statements", _TRY_ADVICE),
    # lower_with.py lowers those of np.errstate, warnings.catch_warnings,
    # np.printoptions and contextlib.nullcontext, and refuses the others.
    "With": ("'with' statements", "move the with block outside the differentiated function."),
    "AsyncWith": ("'async with' statements", "differentiate a synchronous function."),
    "AsyncFor": ("'async for' loops", "differentiate a synchronous function."),
    "AsyncFunctionDef": ("async functions", "differentiate a synchronous function."),
    "Await": ("'await' expressions", "differentiate a synchronous function."),
    "Yield": ("generators ('yield')", "return a list or an array."),
    "YieldFrom": ("generators ('yield from')", "return a list or an array."),
    "Global": ("'global' statements inside a nested block or function", "declare the global "
               "at the top of the differentiated function, or pass the value in as an argument "
               "and return the new value."),
    "Nonlocal": ("'nonlocal' statements", "pass the value in as an argument and return "
                    "the new value."),
    "ClassDef": ("class definitions inside the function", "define the class at module level."),
    "Delete": ("'del' of a variable", "let the variable go out of scope (del L[i] of a list "
               "is supported)."),
    # (passes/local_imports.py reads one written as a statement of the body
    # itself as a module-level import; these are the others.)
    "Import": (_IMPORT, _IMPORT_INSTEAD),
    "ImportFrom": (_IMPORT, _IMPORT_INSTEAD),
    "SetComp": ("set comprehensions", "use a for loop."),
    # desugar.py moves the ones Python evaluates first in their statement.
    "NamedExpr": ("assignment expressions (':=') after a call in their statement, or "
                  "in a lambda", "assign in a statement of its own."),
    "Set": ("set literals", "use a tuple."),
    # desugar.py rewrites every pattern it models exactly and refuses the others.
    "Match": ("'match' statements with patterns adcompiler does not model",
              "use if/elif/else with len(), isinstance() and indexing."),
    "TypeAlias": ("'type' statements", "move the alias to module level."),
    "TryStar": ("'try' statements", _TRY_ADVICE),
}
# Keyed by class: node types this gast release does not have are simply absent.
REJECTED = {getattr(gast, name): row for name, row in _REJECTED_BY_NAME.items()
            if hasattr(gast, name)}


def _reject(parsed: ParsedFunction, node, what: str, help: str):
    help = "Instead: " + help[0].lower() + help[1:]
    verb = "are" if what.endswith("s") or what.startswith("(") else "is"
    raise UnsupportedSyntaxError(f"{what} {verb} not supported by adcompiler",
                                 parsed.location(node), help=help)


def _in_comprehensions(everything: list) -> set:
    """The ids of the assignment expressions in comprehensions (outside
    lambdas there), which lower_comprehensions.py moves or refuses."""
    found = set()
    for comp in everything:
        if isinstance(comp, (gast.ListComp, gast.GeneratorExp, gast.DictComp)):
            todo = [comp]
            while todo:
                node = todo.pop()
                if isinstance(node, gast.NamedExpr):
                    found.add(id(node))
                if not isinstance(node, gast.Lambda):
                    todo.extend(gast.iter_child_nodes(node))
    return found


def _yield_statements(tree: gast.FunctionDef) -> set:
    """The ids of `yield v` statements of the functions defined in `tree`'s
    body (inline_generators.py inlines those looped over, inline_local.py
    refuses the others)."""
    return {id(stmt.value) for definition in tree.body if isinstance(definition, gast.FunctionDef)
            for stmt in nodes.walk(definition) if isinstance(stmt, gast.Expr) and
            isinstance(stmt.value, gast.Yield)}


def _check_node_types(parsed: ParsedFunction, tree: gast.FunctionDef, everything: list) -> None:
    in_comprehensions = None
    yields = None
    for node in everything:
        kind = type(node)
        if kind in ALLOWED or (kind is gast.Global and node in tree.body):
            continue  # a global of the function's own (passes/module_globals.py)
        if kind is gast.Yield:
            if yields is None:
                yields = _yield_statements(tree)
            if id(node) in yields:
                continue
        if kind is gast.NamedExpr:
            if in_comprehensions is None:
                in_comprehensions = _in_comprehensions(everything)
            if id(node) in in_comprehensions:
                continue
        if kind is gast.Delete and all(isinstance(t, gast.Subscript) for t in node.targets):
            continue  # del L[i]: lower_control.py removes the entry or refuses it
        node = _placed(tree, node)
        if kind in REJECTED:
            what, help = REJECTED[kind]
            _reject(parsed, node, what, help)
        _reject(parsed, node, f"the construct '{kind.__name__}'",
                "rewrite it with assignments, calls, if/while/for and return.")


def _placed(tree: gast.FunctionDef, node):
    """`node`, or for one without a place in the file (an operator such as
    `<<`) the innermost expression holding it, so errors point at it."""
    if getattr(node, "lineno", None) is not None:
        return node
    for parent in nodes.walk(tree):
        if getattr(parent, "lineno", None) is not None and any(
                child is node for child in gast.iter_child_nodes(parent)):
            return parent
    return node


def _check_signature(parsed: ParsedFunction, everything: list) -> None:
    # A function defined inside this one is inlined at each call, which binds
    # its arguments as Python does (inline_local.py): any signature. The
    # function itself has had its **kwargs and keyword-only parameters made
    # ordinary ones when parsed (source.py), filled in by its callers.
    for function in _functions(everything):
        if function is not parsed.tree:
            continue
        args = function.args
        if args.kwarg is not None:
            _reject(parsed, function, "functions taking **kwargs",
                    "give the function explicit parameters, or *args.")
        if args.kwonlyargs or args.posonlyargs:
            _reject(parsed, function, "keyword-only and positional-only parameters",
                    "use ordinary positional parameters.")


def _check_starred(parsed: ParsedFunction, everything: list) -> None:
    """`*t` may pass a tuple's values to a call; everywhere else (a tuple or
    list display, an assignment target, an index) it builds or takes apart a
    sequence of a length only known when the function runs (desugar.py has
    rewritten `first, *rest = t` of plain names)."""
    in_calls = {id(arg) for node in everything if isinstance(node, gast.Call)
                for arg in node.args}
    for node in everything:
        if isinstance(node, gast.Starred) and id(node) not in in_calls:
            _reject(parsed, node, "starred expressions ((*a, b), for first, *rest in rows) "
                    "outside a call's arguments",
                    "index the tuple (t[0], t[1:]) or write the tuple out, (a, b, c); "
                    "f(x, *t) passes a tuple's values to a call.")


def _functions(everything: list, *kinds) -> list:
    """The function and the functions defined inside it (of `kinds` too:
    lambdas), among `everything`, the nodes of its tree."""
    return [node for node in everything if isinstance(node, (gast.FunctionDef, *kinds))]


ATTRIBUTE_WRITE = ("assignments to attributes of objects the function does not create "
                   "(an argument such as self, a module-level object: obj.attr = ...)")
ATTRIBUTE_WRITE_ADVICE = (
    "keep the value in a local variable and return it. Attributes may be assigned "
    "only on an object the function creates from a module-level class, "
    "s = State(w); s.h = ... (see 'Objects created in the function' in "
    "docs/supported-python.md).")


def _created_names(everything: list) -> set:
    """Names some statement binds to a call's result (`s = State(w)`), and
    the variables of `for` loops (`for layer in layers`, which
    object_sequences.py unrolls over objects the function builds): the
    objects whose attributes local_objects.py may rewrite into variables (it
    refuses the attribute writes it does not rewrite)."""
    created = set()
    for node in everything:
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name) and \
                isinstance(node.value, gast.Call):
            created.add(node.targets[0].id)
        elif isinstance(node, gast.For):
            created.update(n.id for n in _flatten(node.target) if isinstance(n, gast.Name))
    return created


def written_attribute(target):
    """The attribute `s.buf` an element write `s.buf[i][j] = v` writes into, or None."""
    while isinstance(target, gast.Subscript):
        target = target.value
    return target if isinstance(target, gast.Attribute) else None


def _attribute_of_a_local(elt, node, target, created: set, writable: frozenset) -> bool:
    """`s.attr = v`, `s.attr += v` or `s.a, s.b = u, v` on a name `s` bound to
    a call in the function (or `self` of a method local_objects.py inlines)."""
    if elt is None or not isinstance(elt.value, gast.Name) or isinstance(elt.ctx, gast.Del):
        return False
    if not isinstance(node, (gast.Assign, gast.AugAssign, gast.AnnAssign)):
        return False  # a for loop's target
    return elt.value.id in created or elt.value.id in writable


def _check_targets(parsed: ParsedFunction, everything: list,
                   writable: frozenset = frozenset()) -> None:
    created = _created_names(everything) - set(nodes.parameters(parsed.tree))
    for node in everything:
        targets = []
        if isinstance(node, gast.Assign):
            targets = node.targets
            if len(targets) > 1:
                _reject(parsed, node, "chained assignments (a = b = ...)",
                        "assign each variable in its own statement.")
        elif isinstance(node, (gast.AugAssign, gast.AnnAssign)):
            targets = [node.target]
            if isinstance(node, gast.AnnAssign) and node.value is None:
                _reject(parsed, node, "annotations without a value", "assign a value.")
        elif isinstance(node, (gast.For, gast.comprehension)):
            targets = [node.target]
        for target in targets:
            if isinstance(node, (gast.For, gast.comprehension)):
                elts = _flatten(target)  # for i, (a, b) in enumerate(zip(A, B))
            elif isinstance(target, gast.Tuple) and not isinstance(node, gast.AugAssign):
                elts = target.elts
            else:
                elts = [target]
            for elt in elts:
                if isinstance(elt, gast.Subscript):
                    # x[i] = v and x[i] += v on a variable, or on an element of one
                    # (grid[i][j] = v): normalised into updates.
                    if elt is target and isinstance(node, (gast.Assign, gast.AugAssign)) \
                            and (_subscript_of_a_name(elt) or
                                 _attribute_of_a_local(written_attribute(elt), node,
                                                       target, created, writable)):
                        continue  # s.buf[i] = v: local_objects.py makes s.buf a variable
                    _reject_element_write(parsed, elt)
                if isinstance(elt, gast.Attribute):
                    if _attribute_of_a_local(elt, node, target, created, writable):
                        continue  # local_objects.py rewrites it, or refuses it
                    _reject(parsed, elt, ATTRIBUTE_WRITE, ATTRIBUTE_WRITE_ADVICE)
                if not isinstance(elt, gast.Name):
                    _reject(parsed, elt, "this assignment target",
                            "assign to plain variable names.")
        if isinstance(node, gast.Dict) and any(key is None for key in node.keys):
            _reject(parsed, node, "dict unpacking ({**d})",
                    "build the dict key by key.")


def _reject_element_write(parsed: ParsedFunction, target) -> None:
    """Refuse `expr[i] = v` where expr is not a variable (a call's result, an
    attribute of an object the function did not create), naming expr."""
    base = target
    while isinstance(base, gast.Subscript):
        base = base.value
    if isinstance(base, gast.Name):  # a target inside a tuple: (x[0], y) = ...
        _reject(parsed, target, "this assignment into an element",
                "assign into an element of a plain variable, one target per "
                "statement: x[i] = v or x[i] += v.")
    spelled = to_source(base).strip()
    _reject(parsed, target, f"writing into an element of `{spelled}`, which is not a "
            "variable,", f"bind it to a name first and write through the name (a view "
            f"stays a view, so the write reaches what it shows): view = {spelled}, then "
            "view[i] = v.")


def _subscript_of_a_name(target) -> bool:
    """x[i], grid[i][j], A.T[i]: a part of a variable (effects.py normalises it)."""
    return effects.is_part_of_a_name(target)


def _flatten(target) -> list:
    if isinstance(target, (gast.Tuple, gast.List)):
        return [leaf for elt in target.elts for leaf in _flatten(elt)]
    return [target]


def _check_returns(parsed: ParsedFunction, tree: gast.FunctionDef, everything: list) -> None:
    for node in everything:
        if isinstance(node, gast.Return) and node.value is None:
            _reject(parsed, node, "a 'return' without a value",
                    "return the value to differentiate.")
    for function in _functions(everything):
        returns = any(isinstance(node, gast.Return) for node in (
            everything if function is tree else nodes.walk(function)))
        if falls_through(function.body) or not returns:
            _reject(parsed, function,
                    f"a function without a final 'return <value>' ({function.name})",
                    "end the function with 'return <the value to differentiate>', or make "
                    "every path through it end in one.")


# -- the structure of control, shared with lower_control.py -----------------------

def jumps(stmts) -> set:
    """The jumps that leave `stmts`: 'return' from any depth, 'break' and
    'continue' from outside nested loops (those belong to the nested loop; a
    loop's `else` belongs to the enclosing one)."""
    kinds = set()
    for stmt in stmts:
        if isinstance(stmt, gast.Return):
            kinds.add("return")
        elif isinstance(stmt, gast.Break):
            kinds.add("break")
        elif isinstance(stmt, gast.Continue):
            kinds.add("continue")
        elif isinstance(stmt, gast.If):
            kinds |= jumps(stmt.body) | jumps(stmt.orelse)
        elif isinstance(stmt, (gast.While, gast.For)):
            kinds |= (jumps(stmt.body) & {"return"}) | jumps(stmt.orelse)
    return kinds


def always_true(test) -> bool:
    """`while True:` and `while 1:`."""
    return isinstance(test, gast.Constant) and bool(test.value)


def falls_through(stmts) -> bool:
    """Whether running `stmts` can reach their end and go on with what follows."""
    for stmt in stmts:
        if isinstance(stmt, (gast.Return, gast.Raise, gast.Break, gast.Continue)):
            return False
        if isinstance(stmt, gast.If) and not (falls_through(stmt.body)
                                              or falls_through(stmt.orelse)):
            return False
        if isinstance(stmt, gast.While) and always_true(stmt.test) and \
                "break" not in jumps(stmt.body):
            return False
    return True


def fence(parsed: ParsedFunction, writable: frozenset = frozenset(),
          census: Census | None = None) -> ParsedFunction:
    """Raise `UnsupportedSyntaxError` for anything outside the supported language.
    `writable`: parameters whose attributes may be assigned (the `self` of a
    method local_objects.py inlines for an object the caller creates).
    Changes nothing: `census` (census.py) stays as it was."""
    tree = parsed.tree
    # The checks read the nodes in walk order; one walk, not one per check
    # (the fence reads every function compiled, generated code included).
    everything = everything_of(tree, census)
    _check_node_types(parsed, tree, everything)
    # The other checks look at the nodes of a few kinds only, in walk order
    # (a tenth of a function's nodes: most are names, constants, operations).
    checked = [node for node in everything if isinstance(node, _CHECKED)]
    _check_signature(parsed, checked)
    _check_starred(parsed, checked)
    _check_targets(parsed, checked, writable)
    _check_returns(parsed, tree, checked)
    return parsed


# The kinds of node _check_signature, _check_starred, _check_targets (and
# _created_names) and _check_returns read of the nodes they are given.
_CHECKED = (gast.FunctionDef, gast.Lambda, gast.Call, gast.Starred, gast.Assign,
            gast.AugAssign, gast.AnnAssign, gast.For, gast.comprehension, gast.Dict,
            gast.Return)
