"""Lower control: `break`, `continue`, early `return`, loop `else` and `for`
loops over sequences, rewritten into the loops and branches every later pass
already handles, so reverse, forward and higher-order modes get them for free.

Input: a fenced FunctionDef. Besides the fenced language it may contain
`break` and `continue` at any depth of a loop, `return <value>` anywhere
(every path ends in one, or in a `raise`), `for ... else` and `while ...
else`, and `for` loops whose target is a name or a nested tuple of names, over
anything Python iterates (an array's first axis, a list, a tuple, a dict's
keys, a set, an iterator), `range(...)`, `d.keys()`, `d.values()`, `d.items()`,
`list(...)`/`tuple(...)` of those, and `enumerate(...)`, `zip(...)` or
`reversed(...)` of those.

Output: the same function in the language normalisation expects:

    no `break`, `continue` or loop `else`; the only `return` is the last statement
    every `for` is  `for name in range(...):`  or  `for name in range(...)[::-1]:`
                    (`range(...)` or a variable bound only to a range)
    loops over other sequences read their items by index: `row = X[_k]`

The rewriting uses boolean flags, plain variables the compiler reads like any
other (they are never differentiated):

    break          `_break = True`; the rest of the body runs under
                   `if not _break:`; the loop test becomes `not _break and test`
    continue       `_continue = True`, reset at the top of every iteration; the
                   rest of the body runs under `if not _continue:`
    return v       `_result = v; _returned = True`; what follows runs under
                   `if not _returned:`, loop tests get `not _returned`, and the
                   function ends with `return _result`
    if t: <jump>   the rest of the block moves into the `else` branch instead
                   of under a flag (the guard-clause shape: no flag needed)
    for ... break  (or return) the `for` turns into a `while` over a counter, so
                   the loop stops early and its variable ends as in Python
    loop else      after the loop, under `if not _break:` (when it can break)
    for x in X     `_seq = loop_sequence(X, 'file.py:12')` and
                   `for _k in range(len(_seq)): x = _seq[_k]`: what X is becomes
                   known only when the loop runs, and runtime_core.loop_sequence
                   turns it into what Python iterates (a dict into its keys, a
                   set or an iterator into the list of its items, a sequence
                   unchanged). A list or tuple display, a variable bound only to
                   those, and ranges are indexed directly. `enumerate` indexes,
                   `zip` takes the shortest length, `reversed(X)` is `_seq[::-1]`
    for k, v in d.items()
                   `_keys = loop_keys(d, 'items', ...)`, `k = _keys[_k]`,
                   `v = d[_keys[_k]]`: values are read by key, so they carry
                   derivatives through the dict read's rule (`.keys()`,
                   `.values()` alike)
    for x in L     whose body may resize some list (`ys += ...`, `ys.append`,
                   a helper's call): `_length = len(L)` before the loop and
                   `loop_length_kept(L, _length, 'file.py:12')` at every step
                   and after it, since the loop counts the items once and
                   Python's would see another name's change; resizing L by its
                   own name is refused when compiling (refuse_resizing)

Before lowering, updates of a name bound only to list displays are written
as the list's own (`L += (a, b)` is `L.extend((a, b))`; `L.pop(i)`,
`del L[i]` and `L.remove(v)` are marked `removed_at(L, i)` for effects.py): see
_rewrite_list_updates. Any other `del` of an entry (the fence lets no other
`del` through) is refused there, with what to write instead.

A function with none of these constructs comes out unchanged. A flag is set
only where code that runs later reads it (a `continue` ending the body, or a
`return` ending the function, sets none), and names come from a Namer seeded
with every name of the function (`_break`, `_break2`, ...).

    def f(x):                        def f(x):
        for i in range(10):              _range = range(10)
            if x > 5:                    _k = 0
                break                    _break = False
            x = x * 2                    while not _break and _k < len(_range):
        return x                             i = _range[_k]
                                             _k = _k + 1
                                             if x > 5:
                                                 _break = True
                                             else:
                                                 x = x * 2
                                         return x

Place in the pipeline: after the fence, before resolve. After the fence,
because the user's errors should name the constructs they wrote, and the
pass relies on the fenced language. Before resolve, because the pass adds
variables and calls to `len`, `range` and `min`: resolve then records the new
variables as locals and identifies the calls like the user's own, so no later
pass can tell written code from lowered code and nothing here fakes an
annotation. Whether `enumerate`, `zip` and the rest are the builtins is asked
of the same lookup resolve uses; the runtime helpers it calls are bound in
`parsed.bound`, as bind_methods binds methods.
"""

from __future__ import annotations

import ast
import builtins
import collections
import inspect
import os
import textwrap
import types
from dataclasses import dataclass, field

import gast

from .. import nodes
from ..errors import UnsupportedSyntaxError
from ..naming import Namer
from ..printer import to_source
from ..source import ParsedFunction
from .census import Census
from .fence import always_true, falls_through, jumps

# Calls whose result is an iterator: no len(), no indexing. Each has a loop
# that compiles in its place (the rewrite the error suggests).
_ITERATORS = {
    "map": "call the function in the loop: `for x in xs: y = f(x)`",
    "filter": "test in the loop: `for x in xs: if keep(x): ...`",
    "iter": "loop over the sequence itself: `for x in xs`",
}
_DICT_VIEWS = ("items", "keys", "values")
# List methods that change how many items the list holds.
_RESIZING_METHODS = ("append", "extend", "insert", "pop", "remove", "clear")


@dataclass
class _Loop:
    """The flags of the loop being lowered (None when it does not need one)."""

    break_flag: str | None = None
    continue_flag: str | None = None


# What a `for` loop iterates, as a tree: sequences at the leaves.
@dataclass
class _Sequence:
    expr: gast.AST          # as written; for a range, `reversed(r)` becomes `r[::-1]`
    is_range: bool
    held: gast.AST | None = None   # the name (or constant) holding it in the loop
    # Whether the object's type is unknown when compiling: then a runtime
    # helper (runtime_core.loop_sequence) turns it into what Python iterates, a
    # dict into its keys, say, since `X[_k]` on a dict would read a value by key.
    dispatch: bool = False
    # A name the function resizes in place, iterated as it is once
    # runtime_core.check_iterated_as_is has seen it is a sequence.
    checked: bool = False
    reverse: bool = False   # reversed(X) of a sequence that is not a range


@dataclass
class _DictView:
    """`d.keys()`, `d.values()` or `d.items()`: read by key, `d[_keys[_k]]`, so
    that the values carry derivatives through the dict read's rule."""
    expr: gast.AST
    kind: str
    held: gast.AST | None = None   # the dict
    keys: gast.AST | None = None   # the list of its keys, taken when the loop starts
    snapshot: bool = False         # list(d.values()): a copy, taken when the loop starts


@dataclass
class _Enumerated:
    inner: object
    start: gast.AST | None  # None for the default, 0


@dataclass
class _Zipped:
    parts: list = field(default_factory=list)


def _origin(view) -> gast.AST:
    """The iterable a view reads first, for the location of what is written
    for it (zip's first part may itself be an enumerate or a zip)."""
    while not hasattr(view, "expr"):
        view = view.inner if isinstance(view, _Enumerated) else view.parts[0]
    return view.expr


def _is_minus_one(node) -> bool:
    """`-1`, as written (a negated constant) or as built here (a constant)."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        node = node.operand
        return isinstance(node, gast.Constant) and node.value == 1
    return isinstance(node, gast.Constant) and node.value == -1


class _Lowering:
    def __init__(self, parsed: ParsedFunction, tree: gast.FunctionDef,
                 kinds: "_NodeKinds | None" = None):
        self.parsed = parsed
        # Names are fresh, and builtins shadowed (by functions defined inside
        # too), in the whole of `parsed`: the body of a function defined in it
        # is inlined into it (inline_local.py).
        # One walk of the function serves all the questions below (this runs on
        # every function compiled, generated code differentiated again too);
        # `kinds`, the nodes of parsed.tree sorted by kind, when known.
        if kinds is None:
            kinds = _NodeKinds(nodes.walk_list(parsed.tree))
        self._kinds = kinds
        # Whether the lowering rewrote anything: most functions, and every
        # gradient a Hessian differentiates, hold nothing to lower, and then
        # the census of the tree still holds (issue #13: a walk of the
        # gradient code less).
        self.changed = False
        # The namer and the variables bound only to sequence displays are
        # made when first asked for: only what is lowered asks (issue #13:
        # each a pass over the names of a Hessian's gradient code).
        self._namer = self._displays = None
        stored = [n.id for n in kinds.stores]
        # What resolve.local_names gives: the parameters and every name bound.
        self.locals = {arg.id for arg in parsed.tree.args.args} | set(stored) | {
            n.name for n in kinds.function_defs if n is not parsed.tree}
        final = tree.body[-1]
        early = any(n is not final for n in kinds.returns) if tree is parsed.tree else any(
            isinstance(n, gast.Return) and n is not final for n in nodes.walk(tree))
        self.result = self.namer.fresh("_result") if early else None
        self.returned = None  # named when a return first needs the flag
        self.kinds = {"break", "continue"} | ({"return"} if early else set())
        counts = collections.Counter(stored)
        self.ranges: set = set()
        # Bound once to a range, or to a variable so bound (reversed, `r[::-1]`):
        # generated gradient code holds `_range` and `_iter = _range[::-1]`.
        for n in kinds.assigns:
            if n.targets[0].__class__ is gast.Name and \
                    counts[n.targets[0].id] == 1 and self.is_range(n.value):
                self.ranges.add(n.targets[0].id)
        # Names resized in place somewhere (`xs.append(v)`): a loop over one
        # indexes it as it is (after a check that it is a sequence), so that
        # its derivative list, kept in step with the resizing, serves the
        # loop's reads (loop_sequence's object, grown or shrunk later, would
        # give the loop's adjoint another length).
        self.resized = {n.func.value.id for n in kinds.calls
                        if isinstance(n.func, gast.Attribute)
                        and n.func.attr in _RESIZING_METHODS
                        and isinstance(n.func.value, gast.Name)} & set(stored)

    @property
    def namer(self) -> Namer:
        if self._namer is None:
            self._namer = Namer(n.id for n in self._kinds.names)
        return self._namer

    @property
    def displays(self) -> set:
        if self._displays is None:
            self._displays = _sequence_displays(self._kinds, self.is_range)
        return self._displays

    # -- statements -------------------------------------------------------
    def function(self, tree: gast.FunctionDef) -> None:
        body = self.block(tree.body, None, tail=True)
        if self.returned or self.result:
            self.changed = True
        if self.returned:
            start = nodes.assign(self.returned, nodes.const(False))
            body.insert(0, nodes.copy_location(start, tree))
        if self.result:
            end = nodes.return_(nodes.name(self.result))
            body.append(nodes.copy_location(end, tree.body[-1]))
        tree.body = body

    def block(self, stmts, loop: _Loop | None, tail: bool) -> list:
        """Lower a statement list. `tail`: nothing runs after it until the end of
        the loop iteration (in a loop) or of the function (outside loops), so a
        jump at its end needs no flag for what follows."""
        out: list = []
        pending = list(stmts)
        while pending:
            stmt = pending.pop(0)
            if isinstance(stmt, gast.Return) and self.result:
                out += self.return_(stmt, loop, tail)
                break  # what follows a jump is dead code
            if isinstance(stmt, (gast.Break, gast.Continue)):
                self.changed = True
            if isinstance(stmt, gast.Break):
                out.append(nodes.located(nodes.assign(loop.break_flag, nodes.const(True)), stmt))
                break
            if isinstance(stmt, gast.Continue):
                if not tail:
                    flag = self.continue_flag(loop)
                    out.append(nodes.located(nodes.assign(flag, nodes.const(True)), stmt))
                break
            kinds: set = set()
            if isinstance(stmt, (gast.While, gast.For)):
                kinds = jumps(stmt.body) & self.kinds & {"return"}
                lowered, after = self.loop(stmt)
                out += lowered
                pending[:0] = after
            elif isinstance(stmt, gast.If):
                kinds = jumps([stmt]) & self.kinds
                ends = falls_through(stmt.body), falls_through(stmt.orelse)
                if kinds and pending and not all(ends):
                    # One branch always jumps: the rest of the block belongs to the other.
                    self.changed = True
                    rest, pending = pending, []
                    stmt.body = self.block(stmt.body + (rest if ends[0] else []), loop,
                                           tail) or [gast.Pass()]
                    stmt.orelse = self.block(stmt.orelse + (rest if ends[1] else []), loop, tail)
                else:
                    last = tail and not pending
                    body = self.block(stmt.body, loop, last)
                    if not body:
                        self.changed = True
                    stmt.body = body or [gast.Pass()]
                    stmt.orelse = self.block(stmt.orelse, loop, last)
                out.append(stmt)
            else:
                out.append(stmt)
            flags = self.flags(kinds, loop)
            if flags and pending:
                self.changed = True
                guard = nodes.if_(_none_set(flags), self.block(pending, loop, tail))
                out.append(nodes.located(guard, stmt))
                break
        return out

    def flags(self, kinds: set, loop: _Loop | None) -> list:
        """The flags telling whether jumps of these kinds were taken. A jump
        followed by code sets its flag, which is named by then; a flag never
        named belongs to jumps in dead code only, and is never set."""
        flags = [self.returned] if "return" in kinds else []
        if "break" in kinds:
            flags.append(loop.break_flag)
        if "continue" in kinds:
            flags.append(loop.continue_flag)
        return [flag for flag in flags if flag]

    def continue_flag(self, loop: _Loop) -> str:
        if loop.continue_flag is None:
            loop.continue_flag = self.namer.fresh("_continue")
        return loop.continue_flag

    def return_(self, stmt: gast.Return, loop: _Loop | None, tail: bool) -> list:
        out = [nodes.located(nodes.assign(self.result, stmt.value), stmt)]
        if loop is not None or not tail:
            if self.returned is None:
                self.returned = self.namer.fresh("_returned")
            out.append(nodes.located(nodes.assign(self.returned, nodes.const(True)), stmt))
        return out

    # -- loops ------------------------------------------------------------
    def loop(self, stmt) -> tuple[list, list]:
        """The lowered loop (with what must run before it), and what runs after it
        in place of its `else`."""
        kinds = jumps(stmt.body) & self.kinds
        frame = _Loop(self.namer.fresh("_break") if "break" in kinds else None)
        before: list = []
        header: list = []
        loop = stmt
        self.after_loop = []
        if isinstance(stmt, gast.For):
            loop, header = self.for_header(stmt, bool(kinds - {"continue"}), before)
        after_loop = self.after_loop
        body = self.block(stmt.body, frame, tail=True)
        if frame.continue_flag:
            header.append(nodes.located(nodes.assign(frame.continue_flag, nodes.const(False)), stmt))
        loop.body = header + body or [gast.Pass()]
        stops = self.flags(kinds - {"continue"}, frame)
        if loop is not stmt or before or header or not body or stops or frame.break_flag or \
                after_loop or stmt.orelse:
            self.changed = True
        if stops:
            test = None if always_true(loop.test) else loop.test
            loop.test = nodes.located(_none_set(stops, test), stmt)
        if frame.break_flag:
            before.append(nodes.located(nodes.assign(frame.break_flag, nodes.const(False)), stmt))
        after = stmt.orelse
        loop.orelse = []
        if after and frame.break_flag:
            after = [nodes.located(nodes.if_(nodes.unary_not(nodes.name(frame.break_flag)), after),
                              after[0])]
        return before + [loop] + after_loop, after

    def for_header(self, stmt: gast.For, stops: bool, before: list):
        """The loop replacing `stmt` and the statements binding its target. A
        loop that `stops` early becomes a while loop, whose test loop() completes."""
        target = stmt.target
        if not stops and isinstance(target, gast.Name) and self.is_builtin_call(stmt.iter, "range"):
            return stmt, []
        view = self.view(stmt.iter, stmt)
        self.refuse_resizing(view, stmt)
        if not stops and isinstance(view, _Sequence) and view.is_range and \
                isinstance(target, gast.Name):
            if view.expr is not stmt.iter:
                self.changed = True
            stmt.iter = view.expr  # a reversed range
            return stmt, []
        self.hold(view, stmt, before)
        if stops:
            # A while loop over a counter: it can stop early, and the target is
            # assigned only on iterations that run, as Python's would be.
            counter = self.namer.fresh("_k")
            before.append(nodes.located(nodes.assign(counter, nodes.const(0)), stmt))
            in_range = gast.Compare(left=nodes.name(counter), ops=[gast.Lt()],
                                    comparators=[self.length(view)])
            loop = nodes.located(nodes.while_(in_range, []), stmt)
            step = nodes.assign(counter, nodes.add(nodes.name(counter), nodes.const(1)))
            header = self.bind(target, self.element(view, counter), stmt)
            return loop, header + [nodes.located(step, stmt)]
        counter = self.enumerate_index(view, target) or self.namer.fresh("_k")
        checks = self.length_checks(view, stmt, before)
        indices = nodes.call(self.builtin("range", stmt), [self.length(view)])
        loop = nodes.located(nodes.for_(counter, indices, []), stmt)
        # After the loop too: the last step may have resized the list, and
        # Python's loop would then go on.
        self.after_loop = [nodes.clone(check) for check in checks]
        return loop, self.bind(target, self.element(view, counter), stmt) + checks

    def length_checks(self, view, stmt: gast.For, before: list) -> list:
        """Checks, one per list the loop iterates, that its length is still the
        one it had when the loop started (runtime_core.loop_length_kept), for a
        loop whose body may resize a list through a name refuse_resizing does
        not see (`ys = xs; for v in xs: ys += [v]`, `d["a"].append(v)`, a
        helper's `store.append`). The lowered `for` counts the items once, where
        Python's loop sees every change; while the length holds, they agree."""
        if not self.may_resize(stmt):
            return []
        checks = []
        for leaf in _leaves(view):
            if not isinstance(leaf, _Sequence) or leaf.is_range or \
                    isinstance(leaf.held, gast.Constant):
                continue
            start = self.namer.fresh("_length")
            before.append(nodes.located(nodes.assign(start, nodes.call(
                self.builtin("len", leaf.expr), [nodes.clone(leaf.held)])), stmt))
            check = nodes.call(self.runtime_helper("loop_length_kept"), [
                nodes.clone(leaf.held), nodes.name(start), nodes.const(self.where(leaf.expr))])
            checks.append(nodes.located(nodes.expr_stmt(check), stmt))
        return checks

    def may_resize(self, stmt: gast.For) -> bool:
        """Whether the body of `stmt` has a statement that can change a list's
        length, whatever name it goes through: `+=`/`*=`, `del`, a slice
        assignment, a resizing method, a call of a Python function (a helper
        can append to a list it is passed or closes over) or of a method of an
        object the compiler does not know."""
        for node in nodes.walk(stmt):
            if isinstance(node, gast.AugAssign) and isinstance(node.op, (gast.Add, gast.Mult)) \
                    or isinstance(node, gast.Delete) or (
                        isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store)
                        and isinstance(node.slice, gast.Slice)):
                return True
            if isinstance(node, gast.Call) and self.call_may_resize(node):
                return True
        return False

    def call_may_resize(self, call: gast.Call) -> bool:
        func = call.func
        if _is_removal(call):
            return True
        if isinstance(func, gast.Attribute):
            if func.attr in _RESIZING_METHODS:
                return True
            root = func.value
            while isinstance(root, gast.Attribute):
                root = root.value
            found, value = self.parsed.lookup(root.id) if isinstance(root, gast.Name) and \
                root.id not in self.locals else (False, None)
            if found and isinstance(value, types.ModuleType):
                return _is_python_function(_attribute_value(func, value))
            # A method of a local object: an array's or a number's has no say
            # over a list; one passed something else might.
            return any(not isinstance(arg, gast.Constant) for arg in call.args)
        if isinstance(func, gast.Name):
            if func.id in self.locals:
                return True
            found, value = self.parsed.lookup(func.id)
            return not found or _is_python_function(value)
        return True

    def refuse_resizing(self, view, stmt: gast.For) -> None:
        """A loop over a list whose body appends to it (or inserts, pops,
        removes, extends, clears): Python's iterator sees the new length at
        every step, while the lowered loop counts the items once, before it, and
        reads them by index (also for `list(items)`, read as `items` itself)."""
        for leaf in _leaves(view):
            if not isinstance(leaf, _Sequence) or not isinstance(leaf.expr, gast.Name):
                continue
            name = leaf.expr.id
            for node in nodes.walk(stmt):
                if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name) and \
                        node.target.id == name and isinstance(node.op, (gast.Add, gast.Mult)):
                    # `items += [v]` extends a list in place (as `*=` repeats it);
                    # the type is not known here, so an array's `+=` is refused too.
                    operator = "+=" if isinstance(node.op, gast.Add) else "*="
                    how = f"{name} {operator} ..., which extends a list in place"
                elif not isinstance(node, gast.Call):
                    continue
                elif isinstance(node.func, gast.Attribute) and \
                        isinstance(node.func.value, gast.Name) and node.func.value.id == name \
                        and node.func.attr in _RESIZING_METHODS:
                    how = f"{name}.{node.func.attr}(...)"
                elif _is_removal(node) and isinstance(node.args[0], gast.Name) and \
                        node.args[0].id == name:
                    how = f"{name}.pop(i) or {name}.remove(...)"   # _rewrite_list_updates'
                else:
                    how = self.helper_resizing(node, name)
                if how:
                    raise UnsupportedSyntaxError(
                        f"this loop iterates over {name} while its body changes how many "
                        f"items {name} holds ({how}); adcompiler counts the items once, "
                        f"when the loop starts, and Python's loop would not",
                        self.parsed.location(node),
                        help=f"Instead: to visit the items added too, loop over an index: "
                        f"`i = 0`, `while i < len({name}):` reading `{name}[i]` and ending with "
                        f"`i += 1`; to visit only the items there at the start, copy them on "
                        f"a line of its own before the loop, `start = list({name})`, and loop "
                        f"over `start`.")

    def helper_resizing(self, call: gast.Call, name: str) -> str | None:
        """How a call of a Python function of the user's, passed the list
        `name`, changes its length (`helper(...) calls store.append`), as far as
        the helper's own body shows; None if it does not."""
        if not isinstance(call.func, gast.Name):
            return None
        found, function = self.parsed.lookup(call.func.id)
        code = getattr(function, "__code__", None) if found else None
        positions = [i for i, arg in enumerate(call.args)
                     if isinstance(arg, gast.Name) and arg.id == name]
        if code is None or not positions:
            return None
        parameters = code.co_varnames[:code.co_argcount]
        receivers = {parameters[i] for i in positions if i < len(parameters)}
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        except (OSError, TypeError, SyntaxError):
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id in receivers \
                    and node.func.attr in _RESIZING_METHODS:
                return f"{call.func.id}(...) calls {node.func.value.id}.{node.func.attr}(...)"
        return None

    def view(self, expr, stmt):
        """What `for ... in expr` iterates, as a tree of sequences."""
        args = list(getattr(expr, "args", ()))
        keywords = {k.arg: k.value for k in getattr(expr, "keywords", ())}
        if any(isinstance(arg, gast.Starred) for arg in args) and any(
                self.is_builtin_call(expr, name) for name in ("enumerate", "zip", "reversed")):
            # How many sequences zip(*t) walks is known only when it runs.
            self.unsupported_iterable(expr, f"{expr.func.id}() of a starred argument")
        if self.is_builtin_call(expr, "enumerate"):
            if not 1 <= len(args) + len(keywords) <= 2 or set(keywords) - {"start"} or not args:
                self.unsupported_iterable(expr, "this form of enumerate()")
            start = args[1] if len(args) == 2 else keywords.get("start")
            if isinstance(start, gast.Constant) and start.value == 0:
                start = None
            return _Enumerated(self.view(args[0], stmt), start)
        if self.is_builtin_call(expr, "zip"):
            if keywords or not args:
                self.unsupported_iterable(expr, "zip() with keywords")
            return _Zipped([self.view(arg, stmt) for arg in args])
        if (self.is_builtin_call(expr, "list") or self.is_builtin_call(expr, "tuple")) and \
                len(args) == 1 and not keywords and not isinstance(args[0], gast.Starred):
            # A copy of a sequence holds the same items (a row of an array is a
            # view either way); of a dict view, see held_dict.
            inner = self.view(args[0], stmt)
            for leaf in _leaves(inner):
                if isinstance(leaf, _DictView):
                    leaf.snapshot = True
            return inner
        if self.is_builtin_call(expr, "reversed"):
            inner = self.view(args[0], stmt) if len(args) == 1 and not keywords else None
            if not isinstance(inner, _Sequence) or inner.reverse:
                self.unsupported_iterable(expr, "reversed() of enumerate(), zip(), a dict "
                                          "view, reversed() or several arguments")
            if not inner.is_range:
                inner.reverse = True
                return inner
            backwards = gast.Subscript(value=inner.expr, slice=gast.Slice(
                lower=None, upper=None, step=nodes.const(-1)), ctx=gast.Load())
            return _Sequence(nodes.located(backwards, expr), inner.is_range)
        for name, rewrite in _ITERATORS.items():
            if self.is_builtin_call(expr, name):
                self.unsupported_iterable(expr, f"{name}()", f"Instead: {rewrite}.")
        if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) and \
                expr.func.attr in _DICT_VIEWS:
            if expr.args or expr.keywords:
                self.unsupported_iterable(expr, f".{expr.func.attr}() with arguments")
            return _DictView(expr.func.value, expr.func.attr)
        is_range = self.is_range(expr)
        if not is_range and isinstance(expr, gast.Name) and expr.id in self.resized and \
                not self.is_display(expr) and expr.id not in nodes.names_stored(stmt):
            return _Sequence(expr, False, checked=True)
        return _Sequence(expr, is_range, dispatch=not is_range and not self.is_display(expr))

    def is_display(self, expr) -> bool:
        """A list or tuple display, a string, or a variable only ever bound to a
        list or tuple display: iterated by index as it is, no dispatch needed."""
        if isinstance(expr, (gast.List, gast.Tuple)):
            return True
        if isinstance(expr, gast.Constant):
            return isinstance(expr.value, (str, bytes))
        return isinstance(expr, gast.Name) and expr.id in self.displays

    def is_range(self, expr) -> bool:
        """`range(...)`, a variable only ever bound to one (`_range` in
        generated gradient code, differentiated again), or `r[::-1]` of either:
        a loop over those needs no index, its items being plain integers."""
        if isinstance(expr, gast.Subscript) and isinstance(expr.slice, gast.Slice) and \
                expr.slice.lower is None and expr.slice.upper is None and \
                _is_minus_one(expr.slice.step):
            expr = expr.value
        if isinstance(expr, gast.Name):
            return expr.id in self.ranges
        return self.is_builtin_call(expr, "range")

    def hold(self, view, stmt, before: list) -> None:
        """Evaluate the loop's sequences once, before it, as Python does; a
        variable the loop does not assign is used as it is."""
        if isinstance(view, _Sequence):
            expr = view.expr
            if view.dispatch:
                expr = nodes.call(self.runtime_helper("loop_sequence"),
                                  [expr, nodes.const(self.where(expr))])
            if view.checked:
                before.append(nodes.located(nodes.expr_stmt(nodes.call(
                    self.runtime_helper("check_iterated_as_is"),
                    [nodes.clone(expr), nodes.const(self.where(expr))])), stmt))
            if view.reverse:
                expr = gast.Subscript(value=expr, slice=gast.Slice(
                    lower=None, upper=None, step=nodes.const(-1)), ctx=gast.Load())
            expr = nodes.located(expr, view.expr) if expr is not view.expr else expr
            view.held = self.held(expr, "_range" if view.is_range else "_seq", stmt, before)
        elif isinstance(view, _DictView):
            view.held = self.held_dict(view.expr, stmt, before, view.snapshot)
            keys = nodes.call(self.runtime_helper("loop_keys"), [
                nodes.clone(view.held), nodes.const(view.kind),
                nodes.const(self.where(view.expr))])
            view.keys = self.held(nodes.located(keys, view.expr), "_keys", stmt, before)
        elif isinstance(view, _Enumerated):
            self.hold(view.inner, stmt, before)
            if view.start is not None:
                view.start = self.held(view.start, "_start", stmt, before)
        else:
            for part in view.parts:
                self.hold(part, stmt, before)

    def held(self, expr, base: str, stmt, before: list) -> gast.AST:
        if isinstance(expr, gast.Constant) or (
                isinstance(expr, gast.Name) and expr.id not in nodes.names_stored(stmt)):
            return expr
        variable = self.namer.fresh(base)
        before.append(nodes.located(nodes.assign(variable, expr), stmt))
        return nodes.name(variable)

    def held_dict(self, expr, stmt, before: list, snapshot: bool) -> gast.AST:
        """The dict a view loop reads its values from. Python's view is live: it
        sees the loop's own writes `d[k] = v`, so a dict variable is read as it
        is (held from the start only when the loop binds the name to another
        dict, which the view would not see). `list(d.values())` is a copy, the
        same as the view while the loop does not write into the dict."""
        name = expr.id if isinstance(expr, gast.Name) else None
        writes = name is not None and any(
            isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store)
            and isinstance(node.value, gast.Name) and node.value.id == name
            for node in nodes.walk(stmt))
        if writes and snapshot:
            raise UnsupportedSyntaxError(
                f"this loop iterates a copy of the values of {name} (list(...) of "
                f"{name}.values() or .items()) while its body writes into {name}, and "
                f"adcompiler reads the values from {name} itself",
                self.parsed.location(expr),
                help=f"Instead: copy the values before the loop, `values = [{name}[k] for k "
                f"in {name}]`, and loop over `values`.")
        if writes and name in nodes.names_stored(stmt):
            raise UnsupportedSyntaxError(
                f"this loop iterates {name}.values() or .items() while its body both "
                f"writes into {name} and binds the name {name} again, so which dict "
                f"each value comes from is not what the loop reads",
                self.parsed.location(expr),
                help=f"Instead: loop over the keys and read the values where you need "
                f"them: `for k in {name}: v = {name}[k]`.")
        return self.held(expr, "_dict", stmt, before)

    def length(self, view) -> gast.AST:
        if isinstance(view, _Sequence):
            return nodes.call(self.builtin("len", view.expr), [nodes.clone(view.held)])
        if isinstance(view, _DictView):
            return nodes.call(self.builtin("len", view.expr), [nodes.clone(view.keys)])
        if isinstance(view, _Enumerated):
            return self.length(view.inner)
        lengths = [self.length(part) for part in view.parts]
        return lengths[0] if len(lengths) == 1 else \
            nodes.call(self.builtin("min", _origin(view)), lengths)

    def element(self, view, counter: str):
        """Item number `counter` of the view: an expression, or a list of them
        for the tuples enumerate and zip make."""
        if isinstance(view, _Sequence):
            return gast.Subscript(value=nodes.clone(view.held), slice=nodes.name(counter),
                                  ctx=gast.Load())
        if isinstance(view, _DictView):
            key = gast.Subscript(value=nodes.clone(view.keys), slice=nodes.name(counter),
                                 ctx=gast.Load())
            value = gast.Subscript(value=nodes.clone(view.held), slice=nodes.clone(key),
                                   ctx=gast.Load())
            return {"keys": key, "values": value}.get(view.kind, [key, value])
        if isinstance(view, _Enumerated):
            index = nodes.name(counter) if view.start is None else \
                nodes.add(nodes.name(counter), nodes.clone(view.start))
            return [index, self.element(view.inner, counter)]
        return [self.element(part, counter) for part in view.parts]

    @staticmethod
    def enumerate_index(view, target) -> str | None:
        """`for i, x in enumerate(X)` counts with `i` itself."""
        if isinstance(view, _Enumerated) and view.start is None and \
                isinstance(target, gast.Tuple) and len(target.elts) == 2 and \
                isinstance(target.elts[0], gast.Name):
            return target.elts[0].id
        return None

    def bind(self, target, element, stmt) -> list:
        """Statements assigning `element` to the loop target."""
        if isinstance(target, gast.Name):
            value = _packed(element)
            if isinstance(value, gast.Name) and value.id == target.id:
                return []
            return [nodes.located(nodes.assign(target.id, value), stmt)]
        if isinstance(element, list):
            if len(element) != len(target.elts):
                raise UnsupportedSyntaxError(
                    f"the loop unpacks {len(target.elts)} values from each item, but "
                    f"each item has {len(element)}", self.parsed.location(target),
                    help="Instead: give the loop one name per value of the item.")
            return [s for part, item in zip(target.elts, element)
                    for s in self.bind(part, item, stmt)]
        if all(isinstance(part, gast.Name) for part in target.elts):
            names = nodes.tuple_([nodes.name(part.id, "store") for part in target.elts], "store")
            return [nodes.located(nodes.assign(names, element), stmt)]
        item = self.namer.fresh("_item")
        out = [nodes.located(nodes.assign(item, element), stmt)]
        for index, part in enumerate(target.elts):
            read = gast.Subscript(value=nodes.name(item), slice=nodes.const(index),
                                  ctx=gast.Load())
            out += self.bind(part, read, stmt)
        return out

    # -- builtins ---------------------------------------------------------
    def is_builtin(self, name: str) -> bool:
        found, value = self.parsed.lookup(name)
        return name not in self.locals and found and value is getattr(builtins, name)

    def is_builtin_call(self, expr, name: str) -> bool:
        return isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and \
            expr.func.id == name and self.is_builtin(name)

    def builtin(self, name: str, origin) -> gast.Name:
        """A reference to builtin `name` in the lowered code."""
        if not self.is_builtin(name):
            raise UnsupportedSyntaxError(
                f"this loop is rewritten into an index loop that calls the builtin "
                f"{name}(), but in {self.parsed.name!r} the name {name!r} means something "
                f"else", self.parsed.location(origin),
                help=f"Instead: rename your {name!r}.")
        return nodes.name(name)

    def unsupported_iterable(self, expr, what: str, help: str = ""):
        raise UnsupportedSyntaxError(
            f"for loops over {what} are not supported by adcompiler",
            self.parsed.location(expr),
            help=help or "Instead: loop over an array, a list, a tuple, a dict, a range, "
            "d.keys(), d.values() or d.items(), or over enumerate(), zip() or reversed() "
            "of those.")

    # -- runtime helpers --------------------------------------------------
    def where(self, node) -> str:
        """`file.py:line` of `node`, for the errors runtime helpers raise (the
        file's base name keeps generated code the same wherever it is compiled)."""
        location = self.parsed.location(node)
        return f"{os.path.basename(location.filename)}:{location.lineno}"

    def runtime_helper(self, name: str) -> gast.Name:
        """A reference to adcompiler.runtime.core's `name`, bound like the methods
        bind_methods binds (`parsed.bound`), under a name the function's code
        and module do not use otherwise."""
        from ..runtime import core as runtime_core
        reference = self.parsed.reference(getattr(runtime_core, name), name, self.namer.taken)
        self.namer.taken.add(reference.id)
        return reference


# Modules whose functions never resize a list they are passed.
_NUMERIC_MODULES = {"numpy", "scipy", "math", "cmath", "adcompiler", "builtins", "operator",
                    "functools", "itertools"}


def _is_python_function(value) -> bool:
    """A function written in Python outside the numeric libraries: it may
    append to a list (a helper of the user's)."""
    module = (getattr(value, "__module__", None) or "").partition(".")[0]
    return hasattr(value, "__code__") and module not in _NUMERIC_MODULES


def _attribute_value(func: gast.Attribute, module):
    """What `module.a.b` (func, rooted at the name bound to module) names, or
    None."""
    chain = []
    while isinstance(func, gast.Attribute):
        chain.append(func.attr)
        func = func.value
    value = module
    for attr in reversed(chain):
        value = getattr(value, attr, None)
    return value


def _leaves(view) -> list:
    """The sequences and dict views at the leaves of a view tree."""
    if isinstance(view, _Enumerated):
        return _leaves(view.inner)
    if isinstance(view, _Zipped):
        return [leaf for part in view.parts for leaf in _leaves(part)]
    return [view]


def _sequence_displays(kinds: "_NodeKinds", is_range) -> set[str]:
    """Variables bound only by assignments of list or tuple displays (`hs = []`)
    or of ranges, of other such variables (`xs = new`, how a list built by hand
    or by a comprehension over `xs` is handed over) and of joins of those
    (`xs = xs + [v]`): the compiler knows what iterating them means.
    `kinds`: the nodes of the function, sorted by kind."""
    assigned = {}   # id of an assignment's target Name -> the value assigned
    for node in kinds.assigns:
        if len(node.targets) == 1 and node.targets[0].__class__ is gast.Name:
            assigned[id(node.targets[0])] = node.value
    stores = kinds.stores
    known = {node.id for node in stores}

    def needs(value):
        """The names whose being such a variable makes `value` a sequence
        (none: it is one), or None when it is never one."""
        if isinstance(value, (gast.List, gast.Tuple)) or is_range(value):
            return ()
        if isinstance(value, gast.Name):
            return (value.id,)
        # (A join with anything else may be NumPy's `+`: `[x] + array`.)
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) and \
                all(isinstance(operand, (gast.List, gast.Tuple, gast.Name))
                    for operand in (value.left, value.right)):
            return tuple(operand.id for operand in (value.left, value.right)
                         if isinstance(operand, gast.Name))
        return None

    # The largest set whose every binding is one of those: a name leaves it
    # when one of its bindings is none of those, or reads a name that left
    # (followed from each name that leaves to the names bound to what reads
    # it, issue #13: sweeping every binding until none left took rounds of
    # the thousands of a Hessian's gradient code).
    readers: dict = {}  # name -> the names bound to a value that needs it
    left = []
    for node in stores:
        value = assigned.get(id(node), _NOT_ASSIGNED)
        found = None if value is _NOT_ASSIGNED else needs(value)
        if found is None or not known.issuperset(found):
            left.append(node.id)  # (a name never bound here is no such variable)
            continue
        for name in found:
            readers.setdefault(name, []).append(node.id)
    while left:
        name = left.pop()
        if name in known:
            known.discard(name)
            left.extend(readers.get(name, ()))
    return known


_NOT_ASSIGNED = object()


class _NodeKinds:
    """The nodes of a function this pass asks about, sorted by kind in one
    pass over `everything` (its nodes in walk order, kept in that order): on
    a Hessian's gradient code, each question walking the whole function took
    more than the lowering itself (issue #13)."""

    __slots__ = ("everything", "names", "stores", "calls", "assigns", "augmented", "deletes",
                 "returns", "function_defs", "list_updates")

    def __init__(self, everything: list):
        self.everything = everything
        names, stores, calls, assigns, augmented, deletes, returns, function_defs = \
            [], [], [], [], [], [], [], []
        # Whether a call `L.pop(i)` or `L.remove(v)` (one argument) is there:
        # with an AugAssign or a Delete, all _rewrite_list_updates may rewrite.
        list_updates = False
        name_type, assign_type, call_type, attribute_type = \
            gast.Name, gast.Assign, gast.Call, gast.Attribute
        bound = (gast.Store, gast.Param)
        for node in everything:
            kind = node.__class__
            if kind is name_type:
                names.append(node)
                if node.ctx.__class__ in bound:
                    stores.append(node)
            elif kind is call_type:
                calls.append(node)
                func = node.func
                if func.__class__ is attribute_type and func.attr in ("pop", "remove") and \
                        len(node.args) == 1:
                    list_updates = True
            elif kind is assign_type:
                assigns.append(node)
            elif kind is gast.AugAssign:
                augmented.append(node)
            elif kind is gast.Delete:
                deletes.append(node)
            elif kind is gast.Return:
                returns.append(node)
            elif kind is gast.FunctionDef:
                function_defs.append(node)
        self.names, self.stores, self.calls, self.assigns = names, stores, calls, assigns
        self.augmented = augmented
        self.deletes, self.returns, self.function_defs = deletes, returns, function_defs
        self.list_updates = list_updates or bool(augmented) or bool(deletes)


def _none_set(flags: list, test: gast.AST | None = None) -> gast.AST:
    """`not f1 and not f2 [and test]`: flags first, so the test is not
    evaluated again once a flag has stopped the loop (Python would not)."""
    values = [nodes.unary_not(nodes.name(flag)) for flag in flags]
    if test is not None:
        values.append(test)
    return values[0] if len(values) == 1 else gast.BoolOp(op=gast.And(), values=values)


def _packed(element) -> gast.AST:
    if isinstance(element, list):
        return nodes.tuple_([_packed(item) for item in element])
    return element


def _rewrite_list_updates(parsed: ParsedFunction, tree: gast.FunctionDef,
                          everything: list | None = None) -> "_NodeKinds | None":
    """Updates of a name only ever bound to list displays (and `+=`), which
    the receiver being a list makes exact:

        L += M      (M not a list display)   L.extend(M)
        L.pop(i)                             removed_at(L, i)
        del L[i]                             removed_at(L, i)
        v = L.pop(i)                         v = L[i]; removed_at(L, i)
        L.remove(v)                          removed_at(L, position_of(L, v))

    `L += M` is what list.__iadd__ does with any iterable (normalisation
    writes `+=` as `L = L + M` kept in place, and list + tuple is a
    TypeError; extend becomes a join taking any iterable). A statement
    `removed_at(L, i)` (Python would drop its value) is effects.py's mark for
    the in-place update `L = removed_at(L, i)`; a dict's `d.pop(k)` is not a
    list's, hence the restriction to names known to hold lists. `i` is a name
    or a constant (read twice for `v = L.pop(i)`), not bound by the statement.
    Returns the nodes of `tree` sorted by kind (_NodeKinds) when it rewrote
    nothing (most functions), for the lowering's own questions; None otherwise. `everything`:
    the nodes of `tree` in walk order, when the caller has them."""
    kinds = _NodeKinds(nodes.walk_list(tree) if everything is None else everything)
    list_bindings = {id(node.targets[0]) for node in kinds.assigns
                     if len(node.targets) == 1 and node.targets[0].__class__ is gast.Name
                     and node.value.__class__ is gast.List}
    augmented = {id(node.target) for node in kinds.augmented}
    stores = kinds.stores
    displays_or_augmented = list_bindings | augmented
    lists = {node.id for node in stores if id(node) in list_bindings} - {
        node.id for node in stores if id(node) not in displays_or_augmented}
    for node in kinds.deletes:
        _check_deletion(parsed, node, lists)
    if not lists or not kinds.list_updates:
        # (Each rewrite below is of a Delete, an AugAssign, or a call of
        # L.pop or L.remove with one argument: generated code binds `_stack =
        # []` and pops it without an index.)
        return kinds
    rewritten = False
    for node in kinds.everything:
        if not isinstance(node, (gast.stmt, gast.excepthandler)):
            continue  # (an expression holds no statements)
        for field_name in ("body", "orelse", "finalbody"):
            stmts = getattr(node, field_name, None)
            if isinstance(stmts, list):
                updated = [new for stmt in stmts for new in _list_update(parsed, stmt, lists)]
                # (_list_update gives a statement it rewrote in place back
                # with the one it adds)
                if len(updated) != len(stmts) or any(a is not b for a, b in zip(updated, stmts)):
                    setattr(node, field_name, updated)
                    rewritten = True
    # Most often nothing here is rewritten, and the nodes serve the lowering too.
    return None if rewritten else kinds


def _list_method_call(expr, lists: set, method: str):
    """`L.method(arg)` of a list name: (L, arg), else None."""
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) and \
            expr.func.attr == method and isinstance(expr.func.value, gast.Name) and \
            expr.func.value.id in lists and len(expr.args) == 1 and not expr.keywords and \
            not isinstance(expr.args[0], gast.Starred):
        return expr.func.value.id, expr.args[0]
    return None


def _removed_at(parsed: ParsedFunction, name: str, index, stmt) -> gast.AST:
    helper = _builtins_helper(parsed, "removed_at")
    return nodes.located(nodes.expr_stmt(nodes.call(helper, [nodes.name(name), index])), stmt)


def _builtins_helper(parsed: ParsedFunction, name: str) -> gast.Name:
    """A reference to runtime.python_builtins' `name`."""
    from ..runtime import python_builtins as runtime_builtins
    return parsed.reference(getattr(runtime_builtins, name), name)


def _is_removal(call: gast.Call) -> bool:
    """`removed_at(L, i)`, as _rewrite_list_updates writes L.pop(i)."""
    from ..runtime import python_builtins as runtime_builtins
    return isinstance(call.func, gast.Name) and len(call.args) == 2 and \
        nodes.annotation(call.func, "value", None) is runtime_builtins.removed_at


def _is_plain_index(node) -> bool:
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        node = node.operand
    return isinstance(node, (gast.Name, gast.Constant))


def _check_deletion(parsed: ParsedFunction, stmt: gast.Delete, lists: set) -> None:
    """`del L[i]` (the fence let through only deletions of entries) is L.pop(i)
    for a name only ever bound to list displays; any other is refused here."""
    for target in stmt.targets:
        receiver = target.value
        spelled = to_source(target).strip()
        if isinstance(target.slice, gast.Slice):
            raise UnsupportedSyntaxError(
                f"'del {spelled}', deleting a slice, is not supported by adcompiler",
                parsed.location(stmt), help="Instead: delete the entries one by one "
                "(del L[i] as many times; each is L.pop(i)), or for an array, "
                "x = np.delete(x, np.s_[i:j]).")
        if not (isinstance(receiver, gast.Name) and receiver.id in lists):
            raise UnsupportedSyntaxError(
                f"'del {spelled}' is supported only for a list the function builds and binds "
                "to its name with list displays (L = [a, b]; L.append(c); del L[0]), and a "
                "dict it builds (d = {...} or dict(...); del d['a'])",
                parsed.location(stmt), help="Instead: for a list or dict you did not build so "
                "(an argument, a helper's result, a second name), copy it into a new name "
                "first: kept = list(xs); del kept[i], or kept = dict(d); del kept['a']; for "
                "an array, x = np.delete(x, i).")


def _list_update(parsed: ParsedFunction, stmt, lists: set) -> list:
    if isinstance(stmt, gast.Delete):
        # del L[i] removes the entry as L.pop(i) does (checked by _check_deletion);
        # `del L[i], L[j]` deletes from left to right.
        return [_removed_at(parsed, target.value.id, target.slice, stmt)
                for target in stmt.targets]
    if isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, gast.Add) and \
            isinstance(stmt.target, gast.Name) and stmt.target.id in lists and \
            not isinstance(stmt.value, gast.List):
        extend = nodes.call(nodes.attribute(nodes.name(stmt.target.id), "extend"), [stmt.value])
        return [nodes.located(nodes.expr_stmt(extend), stmt)]
    if isinstance(stmt, gast.Expr):
        popped = _list_method_call(stmt.value, lists, "pop")
        if popped is not None:
            return [_removed_at(parsed, popped[0], popped[1], stmt)]
        removed = _list_method_call(stmt.value, lists, "remove")
        if removed is not None:
            name, value = removed
            index = nodes.call(_builtins_helper(parsed, "position_of"), [nodes.name(name), value])
            return [_removed_at(parsed, name, nodes.located(index, stmt), stmt)]
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], gast.Name):
        popped = _list_method_call(stmt.value, lists, "pop")
        if popped is not None and _is_plain_index(popped[1]) and \
                stmt.targets[0].id not in {popped[0]} | nodes.names_loaded(popped[1]):
            name, index = popped
            read = gast.Subscript(value=nodes.name(name), slice=nodes.clone(index),
                                  ctx=gast.Load())
            stmt.value = nodes.located(read, stmt.value)
            return [stmt, _removed_at(parsed, name, index, stmt)]
    return [stmt]


def lower_function(parsed: ParsedFunction, tree: gast.FunctionDef,
                   everything: list | None = None) -> bool:
    """Rewrite `tree`, the function of `parsed` or one defined inside it, into
    the language described in the module docstring. `everything`: the nodes
    of `tree` in walk order, when the caller has them. Whether it rewrote
    anything."""
    unchanged = _rewrite_list_updates(parsed, tree, everything)
    lowering = _Lowering(parsed, tree, unchanged if tree is parsed.tree else None)
    lowering.function(tree)
    return unchanged is None or lowering.changed


def lower_control(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Rewrite `parsed.tree` into the language described in the module docstring."""
    everything = None
    if census is not None:
        everything = census.everything
        if parsed.generated and _nothing_to_lower(parsed, everything):
            # (Generated code read back: the census stays, for resolve.)
            return parsed
        census.forget()  # (the lowering rebuilds the blocks it changes)
    if not lower_function(parsed, parsed.tree, everything) and everything is not None:
        # Every statement is where it was, in blocks holding the same
        # statements in the same order (rebuilt lists): the same nodes, in
        # the same walk order.
        census.restore(everything)
    return parsed


# The node kinds _nothing_to_lower lets through: the statements the lowering
# leaves as they are when nothing jumps (the final `return` aside), and the
# expressions and their parts it does not look into (no function, lambda or
# comprehension: their scopes are looked into).
_PLAIN_STATEMENTS = frozenset({gast.Assign, gast.Expr, gast.If, gast.While, gast.For,
                               gast.Pass})
_PLAIN_PARTS = frozenset({
    gast.Name, gast.Constant, gast.Attribute, gast.Call, gast.keyword, gast.BinOp,
    gast.UnaryOp, gast.BoolOp, gast.Compare, gast.Subscript, gast.Slice, gast.Tuple,
    gast.List, gast.Dict, gast.Starred, gast.IfExp, gast.JoinedStr, gast.FormattedValue,
    gast.Load, gast.Store, gast.Param, gast.arguments})
_OPERATORS = (gast.operator, gast.unaryop, gast.cmpop, gast.boolop)


def _nothing_to_lower(parsed: ParsedFunction, everything: list) -> bool:
    """Whether the lowering would give `parsed.tree` back as it is (and
    refuse nothing), seen in one look at its nodes (`everything`, in walk
    order) instead of the lowering's own questions (issue #13: four
    passes over every node of a Hessian's gradient code, which holds none
    of what is lowered). A sufficient test, not a necessary one: True when

    * every statement is an assignment, an expression, an if, a while or a
      for without `else`, or a `pass`, but the function's last, its only
      `return`: no `break`, `continue`, early `return` or loop `else` to
      lower, no `del`, `+=`, `L.pop(i)` or `L.remove(v)` for
      _rewrite_list_updates (a pop without an index, generated code's
      `_stack.pop()`, is not rewritten), no function or lambda inside;
    * every `for` loop binds a name and goes over a call of the builtin
      `range`, over a name only ever bound once, to such a call or to a
      name so bound (`_range`), or over `r[::-1]` of one of those, as
      `_Lowering.ranges` and `is_range` find them (the same bindings, in
      the same walk order): for_header keeps such a loop as it is; and no
      such name has a list method that resizes called on it
      (refuse_resizing).

    Otherwise the lowering runs, and may still find nothing to do."""
    tree = parsed.tree
    body = tree.body
    if not body or body[-1].__class__ is not gast.Return:
        return False
    final = body[-1]
    statements, parts = _PLAIN_STATEMENTS, _PLAIN_PARTS
    name_type, call_type, attribute_type, for_type = gast.Name, gast.Call, gast.Attribute, \
        gast.For
    stored: list = []
    assigns: list = []
    loops: list = []
    receivers = set()  # names a resizing method is called on
    bound = (gast.Store, gast.Param)
    for node in everything:
        kind = node.__class__
        if kind in parts:
            if kind is name_type:
                if node.ctx.__class__ in bound:
                    stored.append(node.id)
            elif kind is call_type:
                func = node.func
                if func.__class__ is attribute_type:
                    if func.attr in ("pop", "remove") and len(node.args) == 1:
                        return False
                    if func.attr in _RESIZING_METHODS and func.value.__class__ is name_type:
                        receivers.add(func.value.id)
                elif func.__class__ is name_type and \
                        nodes.annotation(func, "value", None) is not None:
                    return False  # (a removal _is_removal would know, say)
            continue
        if kind in statements:
            if kind is gast.Assign:
                assigns.append(node)
            elif kind is for_type or kind is gast.While:
                if node.orelse:
                    return False
                if kind is for_type:
                    if node.target.__class__ is not name_type:
                        return False
                    loops.append(node)
            continue
        if issubclass(kind, _OPERATORS):
            continue
        if node is tree or node is final:
            continue
        return False  # a statement or an expression of another kind
    locals_ = {arg.id for arg in tree.args.args} | set(stored)
    range_is_builtin = None

    def range_call(expr) -> bool:
        nonlocal range_is_builtin
        if not (expr.__class__ is call_type and expr.func.__class__ is name_type and
                expr.func.id == "range"):
            return False
        if range_is_builtin is None:
            found, value = parsed.lookup("range")
            range_is_builtin = "range" not in locals_ and found and value is builtins.range
        return range_is_builtin

    counts = collections.Counter(stored)
    ranges: set = set()

    def is_range(expr) -> bool:
        if expr.__class__ is gast.Subscript and expr.slice.__class__ is gast.Slice and \
                expr.slice.lower is None and expr.slice.upper is None and \
                _is_minus_one(expr.slice.step):
            expr = expr.value
        if expr.__class__ is name_type:
            return expr.id in ranges
        return range_call(expr)

    for node in assigns:
        target = node.targets[0]
        if target.__class__ is name_type and counts[target.id] == 1 and is_range(node.value):
            ranges.add(target.id)
    for loop in loops:
        iterated = loop.iter
        if range_call(iterated):
            continue
        if not is_range(iterated) or (iterated.__class__ is name_type and
                                      iterated.id in receivers):
            return False
    return True
