"""Desugar: rewrite nine forms of newer or terser Python into plain statements.

Input: the user's gast FunctionDef, untouched (this runs before the fence).
Output: the same function where

* a chained assignment `a = b = value` is `a = value` then `b = a` (Python
  evaluates the value once and assigns it to the targets left to right);
* an unpacking with one starred name, `first, *rest = t`, is
  `_items = list(t)`, a length check raising Python's ValueError, then
  `first = _items[0]` and `rest = _items[1:]`;
* a `match` statement is an if/elif/else chain: its patterns compare the
  subject with values (`case 1:`, `case 'relu' | 'gelu':`, `case None:`),
  capture it (`case n:`, `case 0 | 1 as n:`), match anything (`case _:`),
  take apart a sequence (`case [a, *rest]:`, a list or tuple but not text
  or an array: `matches_sequence(s) and len(s) >= 1`, then `a = s[0]`,
  `rest = list(s[1:])`), a mapping (`case {'k': v, **rest}:`), a dataclass
  or named tuple (`case Point(0, y=y):`, its fields) or match a builtin type
  (`case float(v):`), with or without guards; an alternative's captures
  take the value of the first alternative that matches;
* `next(iter(X))`, the first item of an iterable, is `list(X)[0]`, which
  lower_comprehensions.py writes as the loop that builds the list (an empty X
  raises IndexError where Python raises StopIteration; both end the call);
* a read through an array's flat iterator, `a.flat[i]`, is `np.take(a, p)`,
  a write, `a.flat[i] = v`, is `np.put(a, p, v)` (NumPy's own definition of
  put), and `a.flat[i] += v` is `_positions = p` then
  `np.put(a, _positions, np.take(a, _positions) + v)`, which effects.py
  models, where p is `flat_positions(a, 'f.py:3')[i]`, the positions
  np.arange(a.size)[i], refused when `a` is not an array (a record's field);
* an assignment expression `(n := value)` that Python evaluates before
  anything with an effect in its statement is an assignment before the
  statement (`if (n := len(x)) > 2:` is `n = len(x)` then `if n > 2:`), and
  in a `while` test, the first statement of a `while True` loop that breaks
  when the test fails; one after `and`/`or` or in a branch of `a if c else
  b` moves with that whole expression, written as `if` statements that
  evaluate its operands as Python does (`_cond = a`, `if _cond:`, ...).

* a write into an element of a call's result, `A.reshape(-1)[::2] *= 2.0`,
  is a write through a name holding it (`_view = A.reshape(-1)`), the
  assigned value computed first;
* a lambda written as an item of a list or tuple display, `[np.sin,
  lambda v: v ** 2]`, is named first (`anonymous = lambda v: v ** 2`);
* a local function that returns nothing (no `return`, or a bare one)
  returns None, written `return None`, which the passes that inline it read.

Anything else stays as it is, for the fence to refuse with its advice; a
class pattern of another class (whose instance may lack the attribute) is
refused here, naming the pattern. Generated code keeps the user's names; the
only new ones are `_items`, `_subject` (a subject that is not a name, or is
captured under its own name), `_value` (a chained assignment whose first
target is not a plain name, or a flat write's value), `_positions` (a flat
write's positions) and the variables of `**rest`'s dict comprehension, where a
value must be held.

    def f(x, act):                  def f(x, act):
        match act:                      if act == 'tanh':
            case 'tanh':                    return np.tanh(x)
                return np.tanh(x)  ->       else:
            case _:                             return x
                return x
"""

from __future__ import annotations

import gast
import numpy as np

from .. import nodes
from ..errors import UnsupportedSyntaxError
from .fence import falls_through
from ..naming import Namer
from ..runtime import python_builtins as runtime_builtins
from ..source import ParsedFunction
from .resolve import local_names, module_value

_CONDITIONAL = (gast.Lambda, gast.ListComp, gast.GeneratorExp, gast.DictComp, gast.SetComp)


def desugar(parsed: ParsedFunction, bind_in: ParsedFunction | None = None) -> ParsedFunction:
    """Rewrite chained assignments, starred unpacking, simple `match`
    statements, `next(iter(X))` and leading assignment expressions in
    `parsed` (in place).

    Example: in `def f(x): a = b = x * 2; return a * b`, the body becomes
    `a = x * 2`, `b = a`, `return a * b`.
    """
    # This runs on every function compiled: statements and the source text
    # answer whether there is anything to do without visiting expressions.
    tree = parsed.tree
    _explicit_none_returns(tree)
    _nonlocal_names(tree)
    found = any((isinstance(node, gast.Assign) and _needs_rewrite(node))
                or (isinstance(node, gast.AugAssign) and (
                    _flat_of(node.target) is not None or _call_base(node.target) is not None))
                or type(node).__name__ == "Match" for node in nodes.statements(tree))
    end = getattr(tree, "end_lineno", None) or tree.lineno + len(parsed.lines)
    text = [parsed.line_text(line) for line in range(tree.lineno, end + 1)]
    if not found and not any(":=" in line or "next(" in line or ".flat[" in line or
                             "lambda" in line for line in text):
        return parsed
    everything = list(nodes.walk(tree))
    namer = Namer(n.id for n in everything if isinstance(n, gast.Name))
    rewriter = _Desugar(parsed, namer, local_names(tree, everything), bind_in)
    for node in everything:
        if isinstance(node, gast.FunctionDef):
            node.body = rewriter.block(node.body)
    builtins_used = {"next", "iter", "list"}
    if not (builtins_used & (namer.taken - _loaded_only(everything))
            or builtins_used & (set(parsed.globals) | set(parsed.closure))):
        _FirstItem().visit(tree)
    if any(".flat[" in line for line in text):
        _FlatRead(parsed, bind_in or parsed).visit(tree)
    return parsed


def _explicit_none_returns(tree: gast.FunctionDef) -> None:
    """A local function called for its effect (`def record(v): history.append(v)`,
    or one leaving by a bare `return`) returns None, as Python's do: said so,
    `return None`, which is what the fence and the passes inlining local
    functions read. The function differentiated itself must return a value."""
    for function in nodes.statements(tree):
        if function is tree or not isinstance(function, gast.FunctionDef):
            continue
        for node in nodes.walk(function):
            if isinstance(node, gast.Return) and node.value is None:
                node.value = nodes.copy_location(nodes.const(None), node)
        if falls_through(function.body):
            function.body.append(nodes.copy_location(nodes.return_(nodes.const(None)),
                                                     function.body[-1]))


def _nonlocal_names(tree: gast.FunctionDef) -> None:
    """`nonlocal total` in a function the differentiated one defines: the
    statement goes, and the function carries the names it declares
    ("nonlocal_names"), which inline_local.py then leaves unrenamed where it
    inlines the body, so that its assignments are the enclosing function's,
    as in Python. The passes that would lift such a function out refuse it
    (lifted_functions.py). A nonlocal declared deeper (in a function a local
    function defines) stays, for the fence to refuse."""
    for function in _defined_functions(tree.body):
        if not any(isinstance(n, gast.Nonlocal) for n in nodes.walk(function)):
            continue
        if any(isinstance(inner, (gast.FunctionDef, gast.Lambda)) and inner is not function
               for inner in nodes.walk(function)):
            continue  # (refused for its nested function)
        declared = []
        for block_owner in nodes.statements(function):
            for field in ("body", "orelse", "finalbody"):
                block = getattr(block_owner, field, None)
                if not isinstance(block, list):
                    continue
                kept = [stmt for stmt in block if not isinstance(stmt, gast.Nonlocal)]
                declared += [name for stmt in block if isinstance(stmt, gast.Nonlocal)
                             for name in stmt.names]
                if len(kept) != len(block):
                    block[:] = kept or [nodes.copy_location(gast.Pass(), block_owner)]
        nodes.annotate(function, "nonlocal_names", frozenset(declared))


def test_first(loop: gast.While) -> gast.If:
    """`while test:` made `while True:`, and the statement to put first in
    its body, `if not test: break`: Python evaluates the test before every
    iteration, so the first statement does it as often, and `continue`
    still reaches it. Not for a loop with an `else` block (run when the test
    fails, not after a break)."""
    check = nodes.if_(nodes.unary_not(loop.test), [gast.Break()])
    loop.test = nodes.const(True)
    return check


def _defined_functions(block: list):
    """The `def`s of a function's own blocks (not those inside them)."""
    for stmt in block:
        if isinstance(stmt, gast.FunctionDef):
            yield stmt
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from _defined_functions(inner)


def assignment_expressions_first(parsed: ParsedFunction, stmts: list, namer: Namer) -> list:
    """`stmts` with their assignment expressions moved before the statements
    holding them, where Python's order allows (as `desugar` does):
    lower_comprehensions.py calls it on the loops a comprehension becomes,
    whose `if (y := f(v)) > 0:` Python evaluates item by item.
    """
    return _Desugar(parsed, namer, set(), None).block(stmts)


def _loaded_only(everything: list) -> set:
    """Names the function reads but never binds (the builtins among them)."""
    stored = {n.id for n in everything if isinstance(n, gast.Name)
              and not isinstance(n.ctx, gast.Load)}
    stored |= {n.name for n in everything if isinstance(n, gast.FunctionDef)}
    return {n.id for n in everything if isinstance(n, gast.Name)} - stored


class _FirstItem(gast.NodeTransformer):
    """`next(iter(X))` -> `list(X)[0]` (the builtins, not shadowed)."""

    def visit_Call(self, node):
        self.generic_visit(node)
        if _is_builtin_call(node, "next", 1) and _is_builtin_call(node.args[0], "iter", 1):
            items = gast.copy_location(nodes.call("list", [node.args[0].args[0]]), node)
            return gast.copy_location(nodes.subscript(items, nodes.const(0)), node)
        return node


class _FlatRead(gast.NodeTransformer):
    """`a.flat[i]` read -> `np.take(a, flat_positions(a, ...))`, a copy as
    the flat iterator gives, for `a` a name or its attributes (a.T, s.grid),
    which reading twice reads the same."""

    def __init__(self, parsed: ParsedFunction, bound: ParsedFunction):
        self.parsed, self.bound = parsed, bound

    def visit_Subscript(self, node):
        self.generic_visit(node)
        value = node.value
        if not (isinstance(node.ctx, gast.Load) and isinstance(value, gast.Attribute)
                and value.attr == "flat" and _names_and_attributes(value.value)):
            return node
        positions = _flat_positions(self.parsed, self.bound, value.value, node.slice, node)
        read = nodes.call(nodes.attribute(self.bound.reference(np, "np"), "take"),
                          [nodes.clone(value.value), positions])
        return nodes.located(read, node)


def _flat_positions(parsed: ParsedFunction, bound: ParsedFunction, array, index,
                    where) -> gast.AST:
    """`flat_positions(a, 'f.py:3')[i]`: the flat positions `a.flat[i]` reads
    or writes, checked to be an array's."""
    from ..runtime.effects import flat_positions
    return nodes.subscript(nodes.call(bound.reference(flat_positions), [
        nodes.clone(array), nodes.const(parsed.location(where).file_line)]), index)


def _names_and_attributes(node) -> bool:
    while isinstance(node, gast.Attribute):
        node = node.value
    return isinstance(node, gast.Name)


def _is_builtin_call(node, name: str, arity: int) -> bool:
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
        node.func.id == name and len(node.args) == arity and not node.keywords and \
        not isinstance(node.args[0], gast.Starred)


def _needs_rewrite(assign: gast.Assign) -> bool:
    return len(assign.targets) > 1 or _starred_target(assign.targets[0]) is not None \
        or _flat_of(assign.targets[0]) is not None or _call_base(assign.targets[0]) is not None


def _call_base(target):
    """The call `c` of a target `c[i]` (`A.reshape(-1)[::2]`, `x.T[0][1]`), or None."""
    if not isinstance(target, gast.Subscript):
        return None
    base = target
    while isinstance(base, gast.Subscript):
        base = base.value
    return base if isinstance(base, gast.Call) else None


def _flat_of(target):
    """The name `a` of a target `a.flat[i]`, or None."""
    if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Attribute) and \
            target.value.attr == "flat" and isinstance(target.value.value, gast.Name):
        return target.value.value.id
    return None


def _starred_target(target):
    """The index of the one starred name in a tuple or list target of plain
    names, or None."""
    if not isinstance(target, (gast.Tuple, gast.List)):
        return None
    starred = [i for i, elt in enumerate(target.elts) if isinstance(elt, gast.Starred)]
    if len(starred) != 1 or not all(
            isinstance(elt.value if isinstance(elt, gast.Starred) else elt, gast.Name)
            for elt in target.elts):
        return None
    return starred[0]


def _all(tests: list):
    """`tests` joined by `and` (None for none: a match of anything)."""
    tests = [t for t in tests if t is not None]
    if len(tests) > 1:
        return gast.BoolOp(op=gast.And(), values=tests)
    return tests[0] if tests else None


# Builtin types whose class pattern's one positional pattern matches the
# subject itself (case float(v):), as Python's match statement has it.
_MATCHES_ITSELF = (bool, bytearray, bytes, dict, float, frozenset, int, list, set, str, tuple)


class _Desugar:
    def __init__(self, parsed: ParsedFunction, namer: Namer, local: set,
                 bind_in: ParsedFunction | None):
        self.parsed = parsed
        self.namer = namer
        self.local = local
        self.bind_in = bind_in

    def block(self, body: list) -> list:
        out = []
        for stmt in body:
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list) and not isinstance(
                        stmt, gast.FunctionDef):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
            out.extend(nodes.located(new, stmt) for new in self.statement(stmt))
        return out

    def statement(self, stmt) -> list:
        named = self.named_lambdas(stmt)
        return named + self.rewritten(stmt) if named else self.rewritten(stmt)

    # [np.sin, lambda v: v ** 2] ---------------------------------------------
    def named_lambdas(self, stmt) -> list:
        """A lambda written as an item of a list, tuple or dict display (`for f in
        (np.sin, lambda v: v * k):`, `layers = [lambda h: h @ W, np.tanh]`,
        `ops = {"square": lambda v: v * v}`) is
        named first, `anonymous = lambda v: v * k`, and the display holds the
        name: a local function, which the passes then call where each item
        is called. Making a lambda has no effect (nor has naming it earlier
        in its statement) unless its defaults compute something: only
        lambdas without defaults, or with constants, and only in the
        statement's own scope (not inside a comprehension or another lambda,
        where each evaluation makes a function of its own scope)."""
        if isinstance(stmt, gast.FunctionDef):
            return []
        named = []
        pending = [child for field, child in gast.iter_fields(stmt)
                   if field not in ("body", "orelse", "finalbody", "handlers")
                   for child in (child if isinstance(child, list) else [child])
                   if isinstance(child, gast.AST)]
        while pending:
            node = pending.pop(0)  # (in the order written: anonymous, anonymous2, ...)
            if isinstance(node, (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp,
                                 gast.GeneratorExp)):
                continue
            if isinstance(node, (gast.List, gast.Tuple, gast.Dict)):
                items = node.values if isinstance(node, gast.Dict) else node.elts
                for position, item in enumerate(items):
                    if isinstance(item, gast.Lambda) and all(
                            isinstance(d, gast.Constant) for d in item.args.defaults):
                        name = self.namer.fresh("anonymous")
                        assign = nodes.located(nodes.assign(name, item), item)
                        nodes.annotate(assign, "display_lambda", True)
                        named.append(assign)
                        items[position] = nodes.copy_location(nodes.name(name), item)
            pending.extend(gast.iter_child_nodes(node))
        return named

    def rewritten(self, stmt) -> list:
        if hasattr(gast, "Match") and isinstance(stmt, gast.Match):
            return self.match(stmt)
        if isinstance(stmt, gast.Assign) and len(stmt.targets) > 1:
            return self.chained(stmt)
        if isinstance(stmt, gast.Assign) and _starred_target(stmt.targets[0]) is not None:
            return self.unpack(stmt)
        if isinstance(stmt, (gast.Assign, gast.AugAssign)) and _flat_of(
                stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target) is not None:
            return self.flat_write(stmt)
        if isinstance(stmt, (gast.Assign, gast.AugAssign)) and _call_base(
                stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target) is not None:
            return self.write_into_a_result(stmt)
        if isinstance(stmt, gast.While) and not stmt.orelse:
            return self.while_test(stmt)
        return self.hoist(stmt)

    # A.reshape(-1)[::2] *= 2.0 ----------------------------------------------
    def write_into_a_result(self, stmt) -> list:
        """A write into an element of what a call returns: the result held by
        a name first, `_view = A.reshape(-1)` then `_view[::2] *= 2.0`, which
        is what Python does with it (a view's write reaches its base, a copy's
        is lost, either way). An assignment's value is computed first, as
        Python evaluates it before the target."""
        target = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target
        call = _call_base(target)
        holder = self.namer.fresh("_view")
        out = []
        if isinstance(stmt, gast.Assign) and not isinstance(stmt.value, (gast.Name, gast.Constant)):
            value = self.namer.fresh("_value")
            out.append(nodes.assign(value, stmt.value))
            stmt.value = nodes.name(value)
        out.append(nodes.assign(holder, call))
        inner = target
        while isinstance(inner.value, gast.Subscript):
            inner = inner.value
        inner.value = nodes.copy_location(nodes.name(holder), call)
        return self.hoist(out[0]) + out[1:] + [stmt]

    # a = b = value ------------------------------------------------------
    def chained(self, stmt: gast.Assign) -> list:
        first, rest = stmt.targets[0], stmt.targets[1:]
        stored_again = any(isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
                           and isinstance(first, gast.Name) and n.id == first.id
                           for target in rest for n in gast.walk(target))
        if not isinstance(first, gast.Name) or stored_again:
            holder = self.namer.fresh("_value")
            out = [nodes.assign(holder, stmt.value)]
            targets = stmt.targets
        else:
            holder = first.id
            out = [gast.Assign(targets=[first], value=stmt.value, type_comment=None)]
            targets = rest
        for target in targets:
            assign = gast.Assign(targets=[target], value=nodes.name(holder), type_comment=None)
            out.extend(self.unpack(assign) if _starred_target(target) is not None
                       else [assign])
        return self.hoist(out[0]) + out[1:]

    # first, *rest = t -----------------------------------------------------
    def unpack(self, stmt: gast.Assign) -> list:
        target = stmt.targets[0]
        star = _starred_target(target)
        before, after = star, len(target.elts) - star - 1
        items = self.namer.fresh("_items")
        out = self.hoist(nodes.assign(items, nodes.call("list", [stmt.value])))
        length = nodes.call("len", [nodes.name(items)])
        message = (f"not enough values to unpack (expected at least {before + after}, "
                   "got {})")
        out.append(nodes.if_(
            nodes.compare(length, gast.Lt(), nodes.const(before + after)),
            [nodes.raise_(nodes.call("ValueError", [nodes.call(
                nodes.attribute(nodes.const(message), "format"), [nodes.call(
                    "len", [nodes.name(items)])])]))]))
        for i, elt in enumerate(target.elts):
            if i < star:
                index = nodes.const(i)
            elif i > star:
                index = nodes.const(i - len(target.elts))
            else:
                index = nodes.slice_(nodes.const(before) if before else None,
                                     nodes.const(-after) if after else None)
                elt = elt.value
            out.append(nodes.assign(elt.id, nodes.subscript(nodes.name(items), index)))
        return out

    # a.flat[i] = v, a.flat[i] += v --------------------------------------------
    def flat_write(self, stmt) -> list:
        target = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target
        array = _flat_of(target)
        np_ = (self.bind_in or self.parsed).reference(np, "np")
        out = []
        value = stmt.value
        if isinstance(stmt, gast.Assign) and not nodes.is_atom(value):
            # Python evaluates the value before the target's index.
            holder = self.namer.fresh("_value")
            out.extend(self.hoist(nodes.assign(holder, value)))
            value = nodes.name(holder)
        positions = _flat_positions(self.parsed, self.bind_in or self.parsed,
                                    nodes.name(array), target.slice, stmt)
        if isinstance(stmt, gast.AugAssign):
            held = self.namer.fresh("_positions")
            out.extend(self.hoist(nodes.assign(held, positions)))
            positions = nodes.name(held)
            current = nodes.call(nodes.attribute(nodes.clone(np_), "take"),
                                 [nodes.name(array), nodes.name(held)])
            value = gast.BinOp(left=current, op=stmt.op, right=value)
        put = nodes.call(nodes.attribute(nodes.clone(np_), "put"),
                         [nodes.name(array), positions, value])
        return out + self.hoist(nodes.expr_stmt(put))

    # match ------------------------------------------------------------------
    def match(self, stmt) -> list:
        out = []
        subject = stmt.subject
        captured = {name for case in stmt.cases for node in gast.walk(case.pattern)
                    for name in (getattr(node, "name", None), getattr(node, "rest", None))}
        if not isinstance(subject, gast.Name) or subject.id in captured:
            # (a capture of the subject's own name would change what the
            # captures after it read)
            holder = self.namer.fresh("_subject")
            out.extend(self.hoist(nodes.assign(holder, subject)))
            subject = nodes.name(holder)
        chain: list = []
        tail = chain
        for case in stmt.cases:
            test, binds = self.pattern(case.pattern, subject)
            bindings = [nodes.assign(name, value) for name, value in binds]
            body = self.block(case.body)
            if case.guard is not None:
                if bindings:
                    # Python binds the captures before it tries the guard,
                    # and keeps them when the guard fails.
                    tail.extend([nodes.if_(nodes.clone(test), bindings)] if test is not None
                                else bindings)
                    bindings = []
                test = case.guard if test is None else _all([test, case.guard])
            if test is None:  # irrefutable: the chain ends here
                tail.extend(bindings + body)
                return out + [nodes.located(s, stmt) for s in chain]
            branch = nodes.if_(test, bindings + body, [])
            tail.append(branch)
            tail = branch.orelse
        return out + [nodes.located(s, stmt) for s in chain]

    def pattern(self, pattern, subject):
        """(the test, or None for a pattern matching anything; the (name,
        value) pairs it binds). `subject` is read afresh wherever it is used:
        the subject's name, or a part of it (s[0], s['k'], s.x)."""
        if isinstance(pattern, gast.MatchValue):
            return nodes.compare(nodes.clone(subject), gast.Eq(), pattern.value), []
        if isinstance(pattern, gast.MatchSingleton):
            return nodes.compare(nodes.clone(subject), gast.Is(),
                                 nodes.const(pattern.value)), []
        if isinstance(pattern, gast.MatchAs):
            captured = [(pattern.name, nodes.clone(subject))] if pattern.name else []
            if pattern.pattern is None:
                return None, captured
            test, inner = self.pattern(pattern.pattern, subject)
            return test, inner + captured
        if isinstance(pattern, gast.MatchOr):
            alternatives = [self.pattern(p, subject) for p in pattern.patterns]
            first_total = next((i for i, (test, _) in enumerate(alternatives) if test is None),
                               None)
            if first_total is not None:  # the alternatives after it are never tried
                alternatives = alternatives[:first_total + 1]
            # Every alternative binds the same names (Python checks): each takes
            # the value of the first alternative that matches.
            binds = []
            for name, _ in alternatives[0][1]:
                values = [dict(inner)[name] for _, inner in alternatives]
                value = values[-1]
                for (test, _), earlier in zip(alternatives[-2::-1], values[-2::-1]):
                    value = gast.IfExp(test=nodes.clone(test), body=earlier, orelse=value)
                binds.append((name, value))
            if first_total is not None:
                return None, binds
            return gast.BoolOp(op=gast.Or(), values=[t for t, _ in alternatives]), binds
        if isinstance(pattern, gast.MatchSequence):
            return self.sequence(pattern, subject)
        if isinstance(pattern, gast.MatchMapping):
            return self.mapping(pattern, subject)
        if isinstance(pattern, gast.MatchClass):
            return self.class_pattern(pattern, subject)
        self.refuse(pattern, f"'match' statements with {type(pattern).__name__} patterns")

    def parts(self, patterns: list, subjects: list, tests: list):
        """`tests` and the patterns' own tests, in Python's order, and their captures."""
        binds = []
        for pattern, part in zip(patterns, subjects):
            test, inner = self.pattern(pattern, part)
            tests.append(test)
            binds.extend(inner)
        return _all(tests), binds

    def sequence(self, pattern, subject):
        """`case [a, 0, *rest]:`: a sequence (not text, not an array) of that
        length, then each item, from the end after the star."""
        items = pattern.patterns
        star = next((i for i, p in enumerate(items) if isinstance(p, gast.MatchStar)), None)
        fixed = len(items) - (star is not None)
        length = nodes.compare(nodes.call("len", [nodes.clone(subject)]),
                               gast.Eq() if star is None else gast.GtE(), nodes.const(fixed))
        tests = [nodes.call(self.reference(runtime_builtins.matches_sequence),
                            [nodes.clone(subject)]), length]
        patterns, subjects, rest = [], [], []
        for i, item in enumerate(items):
            if i == star:
                after = len(items) - i - 1
                if item.name:
                    taken = nodes.subscript(nodes.clone(subject), nodes.slice_(
                        nodes.const(i) if i else None, nodes.const(-after) if after else None))
                    rest = [(item.name, nodes.call("list", [taken]))]
                continue
            index = i if star is None or i < star else i - len(items)
            patterns.append(item)
            subjects.append(nodes.subscript(nodes.clone(subject), nodes.const(index)))
        test, binds = self.parts(patterns, subjects, tests)
        return test, binds + rest

    def mapping(self, pattern, subject):
        """`case {'k': v, **rest}:`: a mapping holding every key, then each value."""
        tests = [nodes.call(self.reference(runtime_builtins.matches_mapping),
                            [nodes.clone(subject)])]
        tests += [nodes.compare(nodes.clone(key), gast.In(), nodes.clone(subject))
                  for key in pattern.keys]
        subjects = [nodes.subscript(nodes.clone(subject), nodes.clone(key))
                    for key in pattern.keys]
        test, binds = self.parts(pattern.patterns, subjects, tests)
        if pattern.rest:
            key, value = self.namer.fresh("_key"), self.namer.fresh("_value")
            rest = nodes.parse_expr(f"{{{key}: {value} for {key}, {value} in _.items() "
                                    f"if {key} not in ()}}")
            rest.generators[0].iter.func.value = nodes.clone(subject)
            rest.generators[0].ifs[0].comparators[0].elts = [nodes.clone(k)
                                                              for k in pattern.keys]
            binds.append((pattern.rest, rest))
        return test, binds

    def class_pattern(self, pattern, subject):
        """`case Point(0, y=y):` of a dataclass or named tuple (attributes
        every instance has), or `case float(v):` of a builtin type matching
        the subject itself."""
        cls = module_value(self.parsed, pattern.cls, self.local)
        if not isinstance(cls, type):
            self.refuse(pattern, "class patterns whose class is not a module-level class "
                        "(case Point(x=0):)")
        tests = [nodes.call("isinstance", [nodes.clone(subject), nodes.clone(pattern.cls)])]
        if cls in _MATCHES_ITSELF and not pattern.kwd_patterns:
            if len(pattern.patterns) > 1:
                self.refuse(pattern, f"class patterns {cls.__name__}(a, b) (Python raises "
                            "TypeError: it takes one positional pattern)")
            return self.parts(pattern.patterns, [subject] * len(pattern.patterns), tests)
        fields = tuple(getattr(cls, "_fields", ())) + tuple(
            f.name for f in getattr(cls, "__dataclass_fields__", {}).values())
        positional = getattr(cls, "__match_args__", ())
        if len(pattern.patterns) > len(positional):
            self.refuse(pattern, f"class patterns with more positional patterns than "
                        f"{cls.__name__}.__match_args__ names (Python raises TypeError)")
        attributes = list(positional[:len(pattern.patterns)]) + list(pattern.kwd_attrs)
        missing = [a for a in attributes if a not in fields]
        if missing:
            self.refuse(pattern, f"class patterns reading {missing[0]!r} of {cls.__name__}, "
                        "which is not a field of a dataclass or named tuple (an instance "
                        "may not have it, and the pattern would fail where adcompiler "
                        "raises)")
        subjects = [nodes.attribute(nodes.clone(subject), a) for a in attributes]
        return self.parts(pattern.patterns + pattern.kwd_patterns, subjects, tests)

    def reference(self, helper):
        return (self.bind_in or self.parsed).reference(helper)

    def refuse(self, node, what: str):
        raise UnsupportedSyntaxError(
            f"{what} are not supported by adcompiler", self.parsed.location(node),
            help="Instead: use patterns adcompiler models (values, captures, sequences "
                 "[a, *rest], mappings {'k': v}, dataclasses and named tuples Point(x=0)), or "
                 "if/elif/else with len(), isinstance() and indexing.")

    # (n := value) -----------------------------------------------------------
    def hoist(self, stmt) -> list:
        """`stmt` after the assignment expressions Python evaluates first in
        it, each moved into an assignment of its own."""
        before = []
        while True:
            walrus = _leading_walrus(stmt)
            if walrus is None:
                return before + [stmt]
            if not isinstance(walrus, gast.NamedExpr):
                holder = self.namer.fresh("_cond")
                _replace(stmt, walrus, nodes.name(holder))
                before.extend(self.conditional(walrus, holder, stmt))
                continue
            assign = gast.Assign(targets=[gast.Name(id=walrus.target.id, ctx=gast.Store(),
                                                    annotation=None, type_comment=None)],
                                 value=walrus.value, type_comment=None)
            _replace(stmt, walrus, nodes.name(walrus.target.id))
            before.extend(self.hoist(nodes.located(assign, stmt)))

    def conditional(self, expr, holder: str, stmt) -> list:
        """Statements leaving in `holder` the value of `expr`, an `and`/`or`
        or conditional expression, evaluating its operands (and calling bool()
        on them) as Python does: `a and (n := f(x)) > 0` is `_cond = a`, then
        `if _cond:` `n = f(x)`, `_cond = n > 0`."""
        def assigned(value) -> list:
            return self.hoist(nodes.located(nodes.assign(holder, value), stmt))
        if isinstance(expr, gast.IfExp):
            branch = nodes.if_(expr.test, assigned(expr.body), assigned(expr.orelse))
            return self.hoist(nodes.located(branch, stmt))
        rest: list = []
        for value in reversed(expr.values[1:]):
            test = nodes.name(holder) if isinstance(expr.op, gast.And) else \
                nodes.unary_not(nodes.name(holder))
            rest = [nodes.located(nodes.if_(test, assigned(value) + rest), stmt)]
        return assigned(expr.values[0]) + rest

    def while_test(self, loop: gast.While) -> list:
        walrus = _leading_walrus(loop, fields=("test",))
        if walrus is None:
            return [loop]
        loop.body = self.hoist(nodes.located(test_first(loop), loop)) + loop.body
        return [loop]


_EXPRESSION_FIELDS = {gast.If: ("test",), gast.While: (), gast.For: ("iter",),
                      gast.Return: ("value",), gast.Expr: ("value",),
                      gast.Assign: ("value",), gast.AugAssign: ("value",),
                      gast.AnnAssign: ("value",)}
# Not an assert's test: `python -O` drops the assert, and its walrus with it.


def _leading_walrus(stmt, fields=None):
    """The first assignment expression in `stmt` that moves before it
    unchanged (or the `and`/`or` or conditional expression holding it, where
    Python evaluates it only on some paths): one Python evaluates
    unconditionally, after nothing but variables and constants (or, when its
    value calls nothing, after operations that call nothing), none of them
    its target."""
    fields = fields if fields is not None else _EXPRESSION_FIELDS.get(type(stmt), ())
    if isinstance(stmt, gast.AugAssign) and not (
            isinstance(stmt.target, gast.Name)):
        return None
    earlier: list = [stmt.target] if isinstance(stmt, gast.AugAssign) else []
    for field in fields:
        value = getattr(stmt, field, None)
        if value is None:
            continue
        found = _first_in_order(value, earlier)
        if found is not None:
            walrus, evaluated = found
            if walrus is False:
                return None
            value = walrus.value if isinstance(walrus, gast.NamedExpr) else walrus
            targets = {n.target.id for n in gast.walk(walrus) if isinstance(n, gast.NamedExpr)}
            calls = any(isinstance(n, gast.Call) for n in gast.walk(value))
            for node in evaluated:
                for part in gast.walk(node):
                    if isinstance(part, gast.Name) and part.id in targets:
                        return None
                    if isinstance(part, (gast.Call, gast.NamedExpr) + _CONDITIONAL):
                        return None
                    if calls and not isinstance(part, (gast.Name, gast.Constant, gast.Load)):
                        return None
            return walrus
    return None


def _first_in_order(node, evaluated: list):
    """(the first assignment expression Python evaluates in `node`, or the
    `and`/`or` or conditional expression holding it when it is evaluated only
    on some paths; the nodes evaluated before it), (False, []) when it is in
    a comprehension or lambda, or None when there is none."""
    if isinstance(node, gast.NamedExpr):
        inner = _first_in_order(node.value, list(evaluated))
        return inner if inner is not None else (node, evaluated)
    if isinstance(node, _CONDITIONAL):
        return (False, []) if any(isinstance(n, gast.NamedExpr) for n in gast.walk(node)) \
            else None
    if isinstance(node, gast.BoolOp) or isinstance(node, gast.IfExp):
        before = list(evaluated)
        first, *rest = (node.values if isinstance(node, gast.BoolOp)
                        else [node.test, node.body, node.orelse])
        found = _first_in_order(first, evaluated)
        if found is not None:
            return found
        evaluated.append(first)
        if any(isinstance(n, gast.NamedExpr) for part in rest for n in gast.walk(part)):
            return node, before  # evaluated on some paths: the whole expression moves
        return None
    if not isinstance(node, gast.AST):
        return None
    for child in _children_in_order(node):
        found = _first_in_order(child, evaluated)
        if found is not None:
            return found
        evaluated.append(child)
    return None


def _children_in_order(node):
    if isinstance(node, gast.Dict):
        for key, value in zip(node.keys, node.values):
            if key is not None:
                yield key
            yield value
        return
    if isinstance(node, gast.Call):
        yield node.func
        yield from node.args
        for keyword in node.keywords:
            yield keyword.value
        return
    for _, value in gast.iter_fields(node):
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, gast.expr):  # not an operator or a context
                yield child


def _replace(tree, old, new) -> None:
    for node in gast.walk(tree):
        for field, value in gast.iter_fields(node):
            if value is old:
                setattr(node, field, gast.copy_location(new, old))
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = gast.copy_location(new, old)
                        return
