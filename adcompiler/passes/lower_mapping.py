"""Lower mapping a function over an array: `np.apply_along_axis(f, axis, a)`
and `np.vectorize(f)(x, y)` become the loops NumPy runs.

Input: a FunctionDef whose comprehensions are lowered. A call of either,
reached from a statement's value (an assignment, `return`, an expression
statement, an `if` test, a `for` loop's iterable) through calls, arithmetic,
indexing, attributes and displays, becomes statements before its statement
and a name in its place. Python evaluates the call there every time the
statement runs, so the loop runs once, where the call would have:

    y = np.apply_along_axis(                along_shape = along_axis_rows_shape(np.shape(x), 1)
        lambda r: r * w, 1, x)              along_rows = np.reshape(np.moveaxis(x, 1, -1), along_shape)
                                            along_results = []
                                            for along_row in along_rows:
                                                along_results.append(along_row * w)
                                            along_dtype = along_axis_dtype(along_results)
                                            along_stacked = np.stack(along_results).astype(along_dtype, copy=False)
                                            y = np.transpose(np.reshape(along_stacked, ...), ...)

NumPy's apply_along_axis calls f on each row along `axis` (the other axes
in C order), writes the results into an array of the first one's shape and
dtype (the others cast to it) whose leading axes are the other axes, and
moves the result's own axes to where `axis` was: a scalar result removes the
axis, an array's axes replace it. The rows here are the array with `axis`
moved last, reshaped to (rows, length): the same rows in the same order, and
the stacked results are reshaped and transposed as NumPy's are, so the value
is NumPy's and every operation has a rule. A later result whose shape
differs from the first's (NumPy broadcasts it) is refused when it runs.

    y = np.vectorize(f)(a, b)               vectorize_firsts = vectorize_first_entries((a, b))
                                            vectorize_first = f(vectorize_firsts[0], vectorize_firsts[1])
                                            vectorize_dtype = vectorize_output_dtype(vectorize_first)
                                            vectorize_shape = vectorize_broadcast_shape((a, b))
                                            a_entries = <a's entries, broadcast, as Python values>
                                            ...
                                            for a_item, b_item in zip(a_entries, b_entries):
                                                vectorize_results.append(f(a_item, b_item))
                                            y = np.reshape(np.array(vectorize_results, dtype=...), vectorize_shape)

as NumPy's vectorize runs it: without `otypes`, f is called once on the
arguments' first entries (NumPy scalars) for the result's dtype; then on
every entry of the broadcast arguments, which it receives as the Python
values of an object array (`.tolist()`'s, or the NumPy scalar argument
itself); keyword arguments are mapped too. `otypes` (written as constants)
gives the dtype instead; `excluded=` (constant positions and keyword names)
passes those arguments on as they are. The vectorized function is `np.vectorize(f, ...)`
called where it is built, a name bound once to one at the top of the
function (`vf = np.vectorize(f)`, the binding then left out), or a
module-level vectorize object (also `@np.vectorize`).

f may be a lambda (its body, the parameters replaced by the call's
arguments, is put at the call: it reads the enclosing variables when each
call runs, as the lambda would; one with defaults or `*args` is bound to a
name, which inline_local.py inlines), a local `def`, or a function named by
a name or an attribute chain. What is not
lowered stays as written, refused by operations.py or inline_local.py once a
derivative reaches it: `signature=`, `cache=True`, `excluded=` or otypes
computed when the code runs, starred arguments, a call Python may not
evaluate (a branch of `a if c else b`, after `and`).

Place in the pipeline: after lower_comprehensions (a call in a
comprehension is then in a loop), whose lowering it runs again on what it
wrote (f may be `sorted`), and before local_objects and inline_local.
"""

from __future__ import annotations

import builtins
import math

import gast
import numpy as np

from .. import nodes
from ..errors import UnsupportedSyntaxError
from ..naming import Namer
from ..runtime import mapping as runtime_mapping
from ..source import ParsedFunction
from .census import Census, called_object
from .evaluation_order import set_slot, slot_value
from .lower_comprehensions import lower_comprehensions

# Keywords of np.vectorize(...) that keep the map exact, with the values they may have.
_VECTORIZE_OPTIONS = ("otypes", "doc", "excluded", "cache", "signature")


def lower_mapping(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Rewrite the apply_along_axis and vectorize calls of `parsed.tree`."""
    if not _may_map(parsed):
        return parsed
    tree = parsed.tree
    if census is None:
        census = Census(tree)
    stored, calls = set(census.stored), census.calls
    seen: dict = {}   # a callee's spelling -> whether it maps (np.sum is called often)
    if not any(_maps(parsed, stored, call.func, seen) for call in calls):
        return parsed
    census.forget()
    lowering = _Lowering(parsed, stored)
    tree.body = lowering.scope(tree)
    if lowering.lowered:
        # f may be sorted, list, max, ... which lower_comprehensions writes as loops.
        lower_comprehensions(parsed)
    return parsed


_MAPPERS = ("apply_along_axis", "vectorize")


def _may_map(parsed: ParsedFunction) -> bool:
    """Whether the function's code names np.apply_along_axis or np.vectorize
    (as an attribute or a name: every spelling of a call of them names one of
    them, or a global bound to one or to a vectorize object). Its code
    object's names tell without walking the tree (a walk is 16 ms at 2,000
    lines, issue #13); the module's dict is read directly, so that nothing is
    added to what the compilation depends on."""
    code = getattr(parsed.function, "__code__", None)
    namespace = getattr(parsed.function, "__globals__", None)
    if code is None or namespace is None:
        return True
    pending, closure = [code], bool(code.co_freevars)
    while pending:
        code = pending.pop()
        for name in code.co_names:
            if name in _MAPPERS:
                return True
            value = namespace.get(name)
            if value is np.apply_along_axis or value is np.vectorize or \
                    isinstance(value, np.vectorize):
                return True
        pending += [c for c in code.co_consts if hasattr(c, "co_names")]
    return closure   # (a closure cell may hold one)


def _maps(parsed: ParsedFunction, stored: set, func, seen: dict) -> bool:
    """Whether a call of `func` may be one this pass lowers (a cheap test)."""
    if isinstance(func, gast.Call):
        func = func.func
    if isinstance(func, gast.Name) and func.id in stored:
        return True   # maybe a name bound to np.vectorize(...)
    path, root = [], func
    while isinstance(root, gast.Attribute):
        path.append(root.attr)
        root = root.value
    if not isinstance(root, gast.Name):
        return False
    spelling = (root.id, *path)
    if spelling not in seen:
        found = called_object(parsed, stored, func)
        seen[spelling] = found is np.apply_along_axis or found is np.vectorize or \
            isinstance(found, np.vectorize)
    return seen[spelling]


class _Lowering:
    def __init__(self, parsed: ParsedFunction, stored: set):
        self.parsed = parsed
        self.stored = stored
        self.namer = Namer(n.id for n in nodes.walk(parsed.tree) if isinstance(n, gast.Name))
        self.lowered = False
        self.vectorized: dict = {}   # a name bound to np.vectorize(...) -> (function, dtype)
        self.bindings: list = []     # (name, statement) of those bound in the current function

    # -- statements ------------------------------------------------------------
    def scope(self, function: gast.FunctionDef) -> list:
        """The body of `function` (the differentiated one or a local def), lowered."""
        outer, outer_bindings = self.vectorized, self.bindings
        self.vectorized, self.bindings = dict(outer), []
        for name in nodes.names_stored(function):
            self.vectorized.pop(name, None)   # the function's own variable now
        body = self.block(function.body, top=True, function=function)
        for name, binding in self.bindings:
            left = next((n for stmt in body for n in nodes.walk(stmt) if isinstance(n, gast.Name)
                         and n.id == name and isinstance(n.ctx, gast.Load)
                         and not nodes.annotation(n, "mapped", False)), None)
            if left is not None:
                # Its binding is gone (or holds the function itself): the call
                # would not map the function.
                raise UnsupportedSyntaxError(
                    f"calling '{name}', bound to np.vectorize(...), where adcompiler cannot "
                    "write the loop it stands for before the statement (Python may not "
                    "evaluate it there, or evaluates it again)", self.parsed.location(left),
                    help=f"Instead: call {name}(...) in an assignment of its own, "
                    f"y = {name}(x), and use y there.")
        self.vectorized, self.bindings = outer, outer_bindings
        return body

    def block(self, stmts: list, top: bool = False, function=None) -> list:
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.FunctionDef):
                stmt.body = self.scope(stmt)
                out.append(stmt)
                continue
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
            if top and self.vectorize_binding(stmt, function, out):
                continue
            out += self.statement(stmt)
        return out

    def statement(self, stmt) -> list:
        """`stmt` after the loops of the calls it makes, in the order Python makes them."""
        slot = _root_slot(stmt)
        before = []
        while slot is not None:
            call = next((n for n in _in_evaluation_order(slot.get())
                         if isinstance(n, gast.Call) and self.kind(n)), None)
            if call is None:
                break
            path = _path(slot, call)
            lowering = self.kind(call)
            if path is None or not lowering(call, dry_run=True):
                break   # stays as written: refused where it is, if a derivative reaches it
            before += self.spilled(path)
            target = _built_target(stmt, slot, call)
            stmts, result = lowering(call, target=target)
            before += [nodes.located(s, call) for s in stmts]
            self.lowered = True
            if target is not None:
                return before   # the loops assign the statement's variable
            set_slot(path[-1], nodes.copy_location(nodes.name(result), call))
        return before + [stmt]

    def spilled(self, path: list) -> list:
        """Assignments of what Python evaluates before the call in its
        statement into temporaries (calls and indexing only: names and
        constants cannot change meanwhile)."""
        stmts = []
        for parent, field, index in path[:-1]:
            for earlier in _evaluated_before(parent, field, index):
                if isinstance(slot_value(earlier), gast.keyword):
                    earlier = (slot_value(earlier), "value", None)
                node = slot_value(earlier)
                if any(isinstance(n, (gast.Call, gast.Subscript)) for n in nodes.walk(node)):
                    temp = self.namer.fresh("mapping_operand")
                    stmts.append(nodes.located(nodes.assign(temp, node), node))
                    set_slot(earlier, nodes.copy_location(nodes.name(temp), node))
        return stmts

    def kind(self, call: gast.Call):
        """The method lowering `call`, or None."""
        func = call.func
        if isinstance(func, gast.Call) and self.callee(func.func) is np.vectorize:
            return self.vectorize_inline
        if isinstance(func, gast.Name) and func.id in self.vectorized:
            return self.vectorize_named
        found = self.callee(func)
        if found is np.apply_along_axis:
            return self.apply_along_axis
        if isinstance(found, np.vectorize):
            return self.vectorize_global
        return None

    def callee(self, func):
        return called_object(self.parsed, self.stored, func)

    # -- np.apply_along_axis ---------------------------------------------------
    def apply_along_axis(self, call: gast.Call, dry_run: bool = False, target=None):
        args, keywords = call.args, call.keywords
        if len(args) < 3 or any(isinstance(a, gast.Starred) for a in args) or any(
                k.arg is None or k.arg in ("func1d", "axis", "arr") for k in keywords):
            return False
        if dry_run:
            return True
        fresh = self.namer.fresh
        stmts = []
        function = self.function(args[0], "along_function", stmts,
                                 1 + len(args) - 3, [k.arg for k in keywords])
        axis, array = (self.evaluated(a, "along_argument", stmts) for a in args[1:3])
        extra = [self.evaluated(a, "along_argument", stmts) for a in args[3:]]
        options = {k.arg: self.evaluated(k.value, "along_argument", stmts) for k in keywords}
        shape, rows, results, row, dtype, stacked = (fresh(n) for n in (
            "along_shape", "along_rows", "along_results", "along_row", "along_dtype",
            "along_stacked"))
        result = target or fresh("along_value")

        def helper(value, *arguments):
            return nodes.call(self.bound(value), list(arguments))

        def np_call(name, *arguments, **keywords):
            return nodes.call(self.numpy(name), list(arguments), keywords)

        def shape_of(name):
            return np_call("shape", nodes.clone(name))

        applied = function([nodes.name(row)] + [nodes.clone(e) for e in extra],
                           {k: nodes.clone(v) for k, v in options.items()})
        stmts += [
            # NumPy's AxisError or empty-iteration ValueError, before any call.
            nodes.assign(shape, helper(runtime_mapping.along_axis_rows_shape, shape_of(array),
                                       nodes.clone(axis))),
            nodes.assign(rows, np_call("reshape", np_call(
                "moveaxis", nodes.clone(array), nodes.clone(axis), nodes.const(-1)),
                nodes.name(shape))),
            nodes.assign(results, nodes.list_()),
            nodes.for_(row, nodes.name(rows), [nodes.expr_stmt(nodes.call(
                nodes.attribute(nodes.name(results), "append"), [applied]))]),
            nodes.assign(dtype, helper(runtime_mapping.along_axis_dtype, nodes.name(results))),
            nodes.assign(stacked, nodes.call(
                nodes.attribute(np_call("stack", nodes.name(results)), "astype"),
                [nodes.name(dtype)], {"copy": nodes.const(False)})),
            nodes.assign(result, np_call("transpose", np_call(
                "reshape", nodes.name(stacked),
                helper(runtime_mapping.along_axis_result_shape, shape_of(array),
                       nodes.clone(axis), np_call("shape", nodes.name(stacked)))),
                helper(runtime_mapping.along_axis_result_axes, shape_of(array),
                       nodes.clone(axis), np_call("shape", nodes.name(stacked))))),
        ]
        return stmts, result

    # -- np.vectorize ------------------------------------------------------------
    def vectorize_binding(self, stmt, function, out: list) -> bool:
        """`vf = np.vectorize(f, ...)` at the top of a function, vf bound nowhere
        else and only called after it: remembered, and left out for a named f
        or a lambda put at the calls, else written as `vf = f` (a computed f)."""
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Call) and
                self.callee(stmt.value.func) is np.vectorize):
            return False
        name = stmt.targets[0].id
        options = self.vectorize_options(stmt.value)
        if options is None or not self.only_called_after(name, stmt, function):
            return False
        pyfunc, dtype, excluded = options
        self.bindings.append((name, stmt))
        if _named(pyfunc) and not self.rebound(pyfunc) or isinstance(pyfunc, gast.Lambda) and \
                _inlined(pyfunc, len(pyfunc.args.args), []):
            # (a lambda's body is put at each call: its free names are read then)
            self.vectorized[name] = (pyfunc, dtype, excluded)
            return True
        binding = nodes.assign(name, pyfunc)
        out.append(nodes.located(nodes.copy_location(binding, stmt), stmt))
        self.vectorized[name] = (nodes.name(name), dtype, excluded)
        return True

    def only_called_after(self, name: str, binding, function) -> bool:
        stores = [n for n in nodes.walk(function) if isinstance(n, gast.Name) and n.id == name
                  and isinstance(n.ctx, (gast.Store, gast.Param, gast.Del))]
        if len(stores) != 1 or stores[0] is not binding.targets[0]:
            return False
        called = {id(n.func) for n in nodes.walk(function) if isinstance(n, gast.Call)}
        after = False
        for stmt in function.body:
            for node in nodes.walk(stmt):
                if isinstance(node, gast.Name) and node.id == name and \
                        isinstance(node.ctx, gast.Load) and (not after or id(node) not in called):
                    return False
            after = after or stmt is binding
        return True

    def rebound(self, func) -> bool:
        """Whether the name `func` is read by is bound in the function other
        than by one `def` (it could then name another function when called)."""
        while isinstance(func, gast.Attribute):
            func = func.value
        defs = [n for n in nodes.walk(self.parsed.tree) if isinstance(n, gast.FunctionDef)
                and n.name == func.id]
        return func.id in self.stored or len(defs) > 1

    def vectorize_options(self, built: gast.Call):
        """(function, dtype, excluded) of `np.vectorize(f, ...)`: dtype a
        constant (from otypes), or None (the first call decides it); excluded
        the positions and keyword names passed on unmapped; None when the
        call cannot be lowered exactly."""
        if len(built.args) != 1 or isinstance(built.args[0], gast.Starred):
            return None
        given = {}
        for keyword in built.keywords:
            if keyword.arg not in _VECTORIZE_OPTIONS:
                return None
            given[keyword.arg] = keyword.value
        if not nodes.is_none(given.get("signature", nodes.const(None))):
            return None
        excluded = _constant_set(given.get("excluded", nodes.const(None)))
        if excluded is None:
            return None
        cache = given.get("cache", nodes.const(False))
        if not (isinstance(cache, gast.Constant) and cache.value is False):
            return None
        if "doc" in given and not isinstance(given["doc"], (gast.Constant, gast.Name)):
            return None
        if "otypes" not in given or nodes.is_none(given["otypes"]):
            return built.args[0], None, excluded
        dtype = self.constant_otype(given["otypes"])
        return None if dtype is None else (built.args[0], dtype, excluded)

    def constant_otype(self, otypes):
        """The dtype name of otypes written as constants (`[float]`, `'d'`,
        `(np.float32,)`) as np.vectorize reads them; None otherwise."""
        if isinstance(otypes, gast.Constant) and isinstance(otypes.value, str):
            value = otypes.value
        elif isinstance(otypes, (gast.List, gast.Tuple)):
            value = []
            for element in otypes.elts:
                if isinstance(element, gast.Constant):
                    value.append(element.value)
                elif _named(element):
                    found = self.callee(element)
                    if found is None:
                        return None
                    value.append(found)
                else:
                    return None
        else:
            return None
        return _first_otype(value)

    def vectorize_inline(self, call: gast.Call, dry_run: bool = False, target=None):
        options = self.vectorize_options(call.func)
        if options is None or not self.mappable(call, options[2]):
            return False
        if dry_run:
            return True
        stmts = []
        pyfunc, dtype, excluded = options
        function = self.function(pyfunc, "vectorize_function", stmts, len(call.args),
                                 [k.arg for k in call.keywords])
        return self.vectorize(call, function, dtype, stmts, target, excluded)

    def vectorize_named(self, call: gast.Call, dry_run: bool = False, target=None):
        pyfunc, dtype, excluded = self.vectorized[call.func.id]
        if not self.mappable(call, excluded):
            return False
        if isinstance(pyfunc, gast.Lambda):
            if not _inlined(pyfunc, len(call.args), [k.arg for k in call.keywords]):
                return False
            if dry_run:
                return True
            function = self.function(pyfunc, "", [], len(call.args),
                                     [k.arg for k in call.keywords])
            return self.vectorize(call, function, dtype, [], target, excluded)
        if dry_run:
            return True

        def function(positional, keywords):
            name = nodes.clone(pyfunc)
            nodes.annotate(name, "mapped", True)   # the loop's call, not the user's
            return nodes.call(name, positional, keywords)
        return self.vectorize(call, function, dtype, [], target, excluded)

    def vectorize_global(self, call: gast.Call, dry_run: bool = False, target=None):
        vectorized = self.callee(call.func)
        excluded = frozenset(vectorized.excluded)
        if vectorized.signature is not None or vectorized.cache or \
                not self.mappable(call, excluded) or not callable(vectorized.pyfunc):
            return False
        dtype = None
        if vectorized.otypes is not None:
            dtype = _first_otype(vectorized.otypes)
            if dtype is None:
                return False
        if dry_run:
            return True
        pyfunc = vectorized.pyfunc
        own = getattr(pyfunc, "__name__", "")
        name = self.bound(pyfunc, own if own.isidentifier() else "vectorized_function")
        return self.vectorize(call, lambda positional, keywords: nodes.call(
            nodes.clone(name), positional, keywords), dtype, [], target, excluded)

    @staticmethod
    def mappable(call: gast.Call, excluded) -> bool:
        """Whether the call's arguments are known and one of them is mapped
        (NumPy calls the function once, unmapped, when none is)."""
        return not any(isinstance(a, gast.Starred) for a in call.args) and \
            all(k.arg is not None for k in call.keywords) and (
                any(i not in excluded for i in range(len(call.args))) or
                any(k.arg not in excluded for k in call.keywords))

    def vectorize(self, call: gast.Call, function, dtype, stmts: list, target, excluded):
        """The statements mapping `function()` over the entries of the call's
        broadcast arguments, those in `excluded` (positions, keyword names)
        passed on as they are (after `stmts`, which evaluate the function)."""
        fresh = self.namer.fresh
        names = [None] * len(call.args) + [k.arg for k in call.keywords]
        every = [self.evaluated(a, "vectorize_argument", stmts)
                 for a in call.args + [k.value for k in call.keywords]]
        kept = [(i if n is None else n) in excluded for i, n in enumerate(names)]
        arguments = [a for a, k in zip(every, kept) if not k]

        def mapped(values):
            values = iter(values)
            given = [nodes.clone(a) if k else next(values) for a, k in zip(every, kept)]
            positional = [nodes.clone(v) for v, n in zip(given, names) if n is None]
            keywords = {n: nodes.clone(v) for v, n in zip(given, names) if n is not None}
            return function(positional, keywords)

        def helper(value, *args):
            return nodes.call(self.bound(value), list(args))

        def every_argument():
            return nodes.tuple_([nodes.clone(a) for a in arguments])

        if dtype is None:
            # NumPy calls the function once on the first entries for the dtype.
            firsts, first, dtype_name = (fresh(n) for n in (
                "vectorize_firsts", "vectorize_first", "vectorize_dtype"))
            stmts += [
                nodes.assign(firsts, helper(runtime_mapping.vectorize_first_entries,
                                            every_argument())),
                nodes.assign(first, mapped([nodes.subscript(nodes.name(firsts), nodes.const(i))
                                            for i in range(len(arguments))])),
                nodes.assign(dtype_name, helper(runtime_mapping.vectorize_output_dtype,
                                                nodes.name(first)))]
            dtype = nodes.name(dtype_name)
        else:
            dtype = nodes.const(dtype)
        shape, results = fresh("vectorize_shape"), fresh("vectorize_results")
        stmts.append(nodes.assign(shape, helper(runtime_mapping.vectorize_broadcast_shape,
                                                every_argument())))
        entries, items = [], []
        for argument in arguments:
            base = argument.id if isinstance(argument, gast.Name) else "vectorize_argument"
            entries.append(fresh(base + "_entries"))
            items.append(fresh(base + "_item"))
            # A NumPy scalar reaches the function itself, every other
            # argument as the Python values of its entries (NumPy's object array).
            read = nodes.assign(entries[-1], nodes.call(nodes.attribute(nodes.call(
                self.numpy("ravel"), [nodes.call(self.numpy("broadcast_to"), [
                    nodes.clone(argument), nodes.name(shape)])]), "tolist")))
            if isinstance(argument, gast.Constant):
                stmts.append(read)
                continue
            stmts.append(nodes.if_(
                nodes.call(self.reference(builtins.isinstance, "isinstance"),
                           [nodes.clone(argument), self.numpy("generic")]),
                [nodes.assign(entries[-1], nodes.binop(
                    nodes.list_([nodes.clone(argument)]), gast.Mult(),
                    nodes.call(nodes.attribute(self.reference(math, "math"), "prod"),
                               [nodes.name(shape)])))],
                [read]))
        if len(arguments) == 1:
            target_names, iterable = nodes.name(items[0], "store"), nodes.name(entries[0])
        else:
            target_names = nodes.tuple_([nodes.name(i, "store") for i in items], "store")
            iterable = nodes.call(self.reference(builtins.zip, "zip"),
                                  [nodes.name(e) for e in entries])
        result = target or fresh("vectorize_value")
        stmts += [
            nodes.assign(results, nodes.list_()),
            nodes.for_(target_names, iterable, [nodes.expr_stmt(nodes.call(
                nodes.attribute(nodes.name(results), "append"),
                [mapped([nodes.name(i) for i in items])]))]),
            nodes.assign(result, nodes.call(self.numpy("reshape"), [nodes.call(
                self.numpy("array"), [nodes.name(results)],
                {"dtype": helper(runtime_mapping.vectorize_results_dtype, nodes.name(results),
                                 dtype)}), nodes.name(shape)])),
        ]
        return stmts, result

    # -- shared ------------------------------------------------------------------
    def function(self, func, base: str, stmts: list, positional: int, keywords: list):
        """A maker of the expression calling `func` with the given (atomic)
        arguments: a lambda's body, its parameters replaced by the arguments,
        when the call binds each parameter once (it reads the enclosing
        variables when each call runs, as the lambda would); a name or
        attribute chain as written (rules are found by spelling); else a name
        bound to `func` first (a lambda too, which inline_local.py inlines)."""
        if isinstance(func, gast.Lambda) and _inlined(func, positional, keywords):
            params = [p.id for p in func.args.args]

            def inline(args, named):
                values = dict(zip(params, args), **named)
                return _Substituted(values).visit(nodes.clone(func.body))
            return inline
        if not _named(func):
            name = self.namer.fresh(base)
            stmts.append(nodes.assign(name, func))
            func = nodes.name(name)
        return lambda args, named: nodes.call(nodes.clone(func), args, named)

    def evaluated(self, node, base: str, stmts: list):
        """`node` itself if reading it again has no effect and gives the same
        value (a name, a constant), else a name it is evaluated into first."""
        if isinstance(node, (gast.Name, gast.Constant)):
            return node
        name = self.namer.fresh(base)
        stmts.append(nodes.assign(name, node))
        return nodes.name(name)

    def numpy(self, attr: str) -> gast.Attribute:
        """`np.<attr>`, by the name the function knows NumPy by if it is `np`."""
        return nodes.attribute(self.reference(np, "np"), attr)

    def reference(self, value, name: str) -> gast.Name:
        """`name` if the function reads `value` by it, else a name bound to it."""
        found, known = self.parsed.lookup(name)
        if name not in self.stored and found and known is value:
            return nodes.name(name)
        return self.bound(value, name)

    def bound(self, value, base: str | None = None) -> gast.Name:
        """A name the generated code reads `value` by (in `parsed.bound`):
        `base`, else its own name."""
        parsed = self.parsed
        alias = next((n for n, v in parsed.bound.items() if v is value), None)
        if alias is None:
            base = base or value.__name__
            taken = set(self.namer.taken) | set(parsed.globals) | set(parsed.closure) | \
                set(parsed.bound)
            alias, suffix = base, 1
            while alias in taken:
                suffix += 1
                alias = f"{base}{suffix}"
            self.namer.reserve(alias)
            parsed.bound[alias] = value
        name = nodes.name(alias)
        nodes.annotate(name, "value", value)
        return name


def _inlined(function: gast.Lambda, positional: int, keywords: list) -> bool:
    """Whether a call with `positional` arguments and `keywords` binds each
    of the lambda's plain parameters once, and its body defines no function."""
    args = function.args
    if args.defaults or args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or \
            any(isinstance(n, (gast.Lambda, gast.FunctionDef)) for n in nodes.walk(function.body)):
        return False
    params = [p.id for p in args.args]
    return positional + len(keywords) == len(params) and \
        sorted(keywords) == sorted(params[positional:])


class _Substituted(gast.NodeTransformer):
    """A lambda's body with its parameters replaced by the call's arguments."""

    def __init__(self, values: dict):
        self.values = values

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.values:
            return nodes.copy_location(nodes.clone(self.values[node.id]), node)
        return node


def _constant_set(node):
    """The frozenset of constants written (`{1}`, `['w']`, None, `set()`), or None."""
    if nodes.is_none(node):
        return frozenset()
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
            node.func.id in ("set", "frozenset") and not node.args and not node.keywords:
        return frozenset()
    if isinstance(node, (gast.Set, gast.List, gast.Tuple)) and all(
            isinstance(e, gast.Constant) and isinstance(e.value, (int, str)) for e in node.elts):
        return frozenset(e.value for e in node.elts)
    return None


def _first_otype(otypes):
    """np.vectorize's first otype as a dtype name, or None (invalid, or not one output)."""
    try:
        normalised = np.vectorize(len, otypes=otypes).otypes
    except (TypeError, ValueError):
        return None
    if len(normalised) != 1:
        return None
    dtype = np.dtype(normalised[0])
    return dtype.name if np.dtype(dtype.name) == dtype else dtype.str


def _named(node) -> bool:
    while isinstance(node, gast.Attribute):
        node = node.value
    return isinstance(node, gast.Name)


# -- where a call is evaluated ----------------------------------------------------
# A slot is (parent, field, index): `parent.field`, or `parent.field[index]`
# (evaluation_order.py's slot_value and set_slot).


class _Root:
    """The slot of a statement's value that Python evaluates each time it runs."""

    def __init__(self, stmt, field: str):
        self.slot = (stmt, field, None)

    def get(self):
        return slot_value(self.slot)


def _root_slot(stmt):
    if isinstance(stmt, (gast.Assign, gast.Return, gast.Expr, gast.AnnAssign)) and \
            getattr(stmt, "value", None) is not None:
        return _Root(stmt, "value")
    if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
        return _Root(stmt, "value")   # (y[i] += ... reads y[i] before the value)
    if isinstance(stmt, gast.If):
        return _Root(stmt, "test")
    if isinstance(stmt, gast.For):
        return _Root(stmt, "iter")
    return None


def _children(node):
    """The slots of `node`'s operands in the order Python evaluates them; a
    lambda's body is not evaluated where it stands."""
    if isinstance(node, gast.Lambda):
        return [(node.args, "defaults", i) for i in range(len(node.args.defaults))]
    if isinstance(node, gast.Dict):
        return [s for i in range(len(node.keys)) for s in ((node, "keys", i), (node, "values", i))
                if slot_value(s) is not None]
    slots = []
    for field, value in gast.iter_fields(node):
        if isinstance(value, list):
            slots += [(node, field, i) for i, v in enumerate(value) if isinstance(v, gast.AST)]
        elif isinstance(value, gast.AST):
            slots.append((node, field, None))
    return slots


def _in_evaluation_order(node):
    """`node` and what it holds, each after its operands, in the order Python
    finishes evaluating them: the first call yielded is the first made."""
    for slot in _children(node):
        yield from _in_evaluation_order(slot_value(slot))
    yield node


def _path(root: _Root, call):
    """The slots from the statement down to `call`, when Python evaluates
    `call` every time it evaluates the statement, through operations whose
    other operands can be evaluated before it into temporaries; else None."""
    path, node = [root.slot], root.get()
    while node is not call:
        step = next((s for s in _children(node) if any(n is call for n in nodes.walk(slot_value(s)))),
                    None)
        if step is None or not _eager(node, step):
            return None
        path.append(step)
        node = slot_value(step)
    return path


def _eager(node, step) -> bool:
    _, field, index = step
    if isinstance(node, (gast.BinOp, gast.UnaryOp, gast.Attribute, gast.keyword, gast.Starred)):
        return True
    if isinstance(node, gast.Subscript):
        return True
    if isinstance(node, gast.Call):
        # The callee stays as written (rules are found by its spelling): only
        # one whose evaluation cannot have effects.
        return field != "func" and _named(node.func) and not any(
            isinstance(a, gast.Starred) for a in node.args[:index if field == "args" else None])
    if isinstance(node, (gast.List, gast.Tuple)):
        return not any(isinstance(e, gast.Starred) for e in node.elts[:index])
    if isinstance(node, gast.Compare):
        return field == "left" or index == 0
    if isinstance(node, gast.BoolOp):
        return index == 0
    if isinstance(node, gast.IfExp):
        return field == "test"
    return False


def _evaluated_before(parent, field, index) -> list:
    """The slots of `parent`'s operands Python evaluates before `parent.field[index]`."""
    before = []
    for slot in _children(parent):
        if slot[1:] == (field, index):
            return [s for s in before if not (isinstance(parent, gast.Call) and s[1] == "func")]
        before.append(slot)
    return before


def _built_target(stmt, root: _Root, call):
    """`y` when the statement is `y = <call>`: the loops then assign y itself."""
    if isinstance(stmt, gast.Assign) and root.get() is call and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], gast.Name):
        reads = {n.id for n in nodes.walk(call) if isinstance(n, gast.Name)}
        if stmt.targets[0].id not in reads:
            return stmt.targets[0].id
    return None
