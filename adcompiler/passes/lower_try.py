"""Lower try: `try`/`except`/`else` statements as branches on the exception caught.

Two halves, one before everything else and one after normalisation:

`mark_try_regions` (on the user's tree, before lower_with, desugar and the
fence) writes each `try` statement as the branches every later pass knows,
its body marked for the second half:

    try:                                   _catching = kinds_caught(LinAlgError, ValueError)
        L = np.linalg.cholesky(K * s)      _caught = None
    except LinAlgError as err:             if try_body(_catching, _caught):
        L = np.eye(n)                          L = np.linalg.cholesky(K * s)
    except ValueError:                     if _caught is None:
        raise                                  pass          # the `else:` block
                                           elif isinstance(_caught, LinAlgError):
                                               err = _caught
                                               L = np.eye(n)
                                           else:
                                               raise _caught

(`raise` in the try body becomes `_caught = raised(_catching, exception)`:
a handler of the same statement may catch it.)

`guard_try_regions` (on the normalised function, where every statement
does one operation) replaces each marked body by its statements, each
operation that may raise tried first by `exception_of` (runtime/exceptions.py),
and every statement after one that may have failed in a branch taken only
if nothing was caught:

    _caught = exception_of(_catching, mul, K, s)
    if _caught is None:
        _t1 = K * s
        _caught = exception_of(_catching, np.linalg.cholesky, _t1)
    if _caught is None:
        L = np.linalg.cholesky(_t1)

So the statements that run are the ones Python runs (up to the operation
that raised) and the derivative is taken of those alone. An operation is
tried and then done again, so only operations that give the same result
every time may be in a try body: NumPy, SciPy, math and Python's operators
and functions (the user's helpers called there are inlined first,
inline_mutating.py), and writes, which normalisation made updated copies
(`y = setitem(y, i, v)`); a call of a random generator, of a function that
was not inlined, or an update not made a copy there is refused, naming it.
A loop in a try body ends once something was caught. A call made only for
what it raises (`np.linalg.cholesky(K)` as a statement, a check of the
user's) runs once, as the attempt itself.

A `finally` block runs after the rest. An exception the statement does not
catch leaves the function, and its derivative, without a value: so the
block need not run then, except where a handler around the statement
catches that exception (refused there) or where it runs before a return,
break or continue (refused too). `try*` is refused by the fence.
"""

from __future__ import annotations

import builtins
import operator
import types

import gast

from .. import nodes
from ..errors import UnsupportedSyntaxError
from ..naming import Namer
from ..printer import to_source
from ..runtime import exceptions as runtime_exceptions
from ..source import ParsedFunction
from . import effects
from .anf import normalise_statements
from .fence import falls_through
from .loop_targets import item_variables

_FINALLY_ADVICE = (
    "Instead: write the 'finally' block's statements after the try statement, or do "
    "the cleanup around the call to the derivative (a derivative leaves nothing to "
    "clean up).")
_MOVE_ADVICE = (
    "Instead: move the try statement into a function of its own around the operations "
    "that may raise, or test before the operation instead of catching "
    "(np.all(x > 0), 'k' in d)")

_BINARY = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
           gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv,
           gast.Mod: operator.mod, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
           gast.LShift: operator.lshift, gast.RShift: operator.rshift,
           gast.BitOr: operator.or_, gast.BitXor: operator.xor, gast.BitAnd: operator.and_}
_UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Invert: operator.invert,
          gast.Not: operator.not_}
_COMPARE = {gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Lt: operator.lt,
            gast.LtE: operator.le, gast.Gt: operator.gt, gast.GtE: operator.ge}
# Modules whose functions give the same result for the same operands (their
# random generators excepted).
_REPEATABLE_MODULES = ("numpy", "scipy", "math", "cmath", "operator", "builtins",
                       "adcompiler", "statistics", "functools", "itertools")
_RANDOM_MODULES = ("numpy.random", "random")
_UNREPEATABLE_BUILTINS = frozenset({builtins.print, builtins.input, builtins.open,
                                    builtins.next, builtins.exec, builtins.eval,
                                    builtins.setattr, builtins.delattr, builtins.breakpoint,
                                    builtins.iter})
# Methods of values the compiler does not resolve that only read their receiver.
_READING_METHODS = frozenset({
    "index", "count", "item", "tolist", "copy", "astype", "keys", "values", "items",
    "get", "split", "strip", "lower", "upper", "format", "startswith", "endswith",
    "join", "replace", "conjugate", "conj", "view", "reshape", "ravel", "flatten"})


# The first half --------------------------------------------------------------

def mark_try_regions(parsed: ParsedFunction,
                     bind_in: ParsedFunction | None = None) -> ParsedFunction:
    """Write each try statement of `parsed` (in place) as branches on the
    exception its body raised (see the module docstring).

    Example: `try: r = a / b` / `except ZeroDivisionError: r = 0.0` becomes
    `_catching = ZeroDivisionError`, `_caught = None`,
    `if try_body(_catching, _caught): r = a / b`,
    `if _caught is None: pass` / `else: r = 0.0`. The runtime helpers it
    calls are bound in `bind_in` (the function a helper is inlined into),
    else in `parsed`.
    """
    tree = parsed.tree
    if not any(isinstance(node, gast.Try) for node in nodes.statements(tree)):
        return parsed
    names = {node.id for node in nodes.walk(tree) if isinstance(node, gast.Name)}
    regions = _Regions(parsed, Namer(names), bind_in or parsed)
    for node in [n for n in nodes.statements(tree) if isinstance(n, gast.FunctionDef)]:
        # (A function defined inside may be inlined into a try body.)
        regions.inlined = bind_in is not None or node is not tree
        node.body = regions.block(node.body, None, None)
    return parsed


class _Regions:
    def __init__(self, parsed: ParsedFunction, namer: Namer, bind_in: ParsedFunction):
        self.parsed = parsed
        self.namer = namer
        self.bind_in = bind_in
        self.inlined = False

    def reference(self, value, name: str | None = None) -> gast.Name:
        reference = self.bind_in.reference(value, name, taken=self.namer.taken)
        self.namer.reserve(reference.id)
        return reference

    def block(self, stmts: list, region: tuple | None, reraise: str | None) -> list:
        """`stmts` with their try statements lowered; `region`: the
        (catching, caught) names of the try body they are in, if any;
        `reraise`: what a bare `raise` raises there (the exception of the
        handler they are in)."""
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Try):
                out += [nodes.located(new, stmt) for new in self.try_(stmt, region, reraise)]
                continue
            if isinstance(stmt, gast.Raise):
                out.append(nodes.located(self.raise_(stmt, region, reraise), stmt))
                continue
            if isinstance(stmt, gast.Assert) and region is not None:
                # `assert` raises AssertionError, which a handler may catch.
                check = _assertion_check(stmt, self.reference)
                check.body = [self.raise_(check.body[0], region, reraise)]
                out.append(nodes.located(check, stmt))
                continue
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                stmt.body = self.block(stmt.body, region, reraise)
                stmt.orelse = self.block(stmt.orelse, region, reraise)
            out.append(stmt)
        return out

    def try_finally(self, stmt: gast.Try, region: tuple | None, reraise: str | None) -> list:
        """A `finally` block runs after the rest of the statement. When the
        statement ends by an exception no handler of it catches, the function
        raises it and so does the derivative: the block's values are never
        seen. Refused where they could be: where a handler around the
        statement catches that exception (in a try body, or in a helper, which
        may be inlined into one), and where a return, break or continue
        would run the block before leaving."""
        blocks = [stmt.body, stmt.orelse, stmt.finalbody] + [h.body for h in stmt.handlers]
        why = ("inside a try body or a function that may be inlined into one"
               if region is not None or self.inlined else
               "with a return, break or continue in it" if any(_jumps(b) for b in blocks)
               else None)
        if why is not None:
            raise UnsupportedSyntaxError(
                f"'try' statements with a 'finally' block {why} are not supported by "
                "adcompiler", self.parsed.location(stmt), help=_FINALLY_ADVICE)
        if stmt.handlers:
            without = gast.Try(body=stmt.body, handlers=stmt.handlers, orelse=stmt.orelse,
                               finalbody=[])
            lowered = self.try_(nodes.copy_location(without, stmt), region, reraise)
        else:
            lowered = self.block(stmt.body, region, reraise)
        return lowered + self.block(stmt.finalbody, region, reraise)

    def raise_(self, stmt: gast.Raise, region: tuple | None, reraise: str | None):
        if stmt.exc is None and reraise is not None:
            stmt = gast.Raise(exc=nodes.name(reraise), cause=None)
        if region is None or stmt.exc is None:
            return stmt
        return _caught_by(region, stmt, self.reference)

    def try_(self, stmt: gast.Try, region: tuple | None, reraise: str | None) -> list:
        if stmt.finalbody:
            return self.try_finally(stmt, region, reraise)
        catching = self.namer.fresh("_catching")
        caught = self.namer.fresh("_caught")
        kinds = [handler.type if handler.type is not None
                 else self.reference(BaseException) for handler in stmt.handlers]
        # `except` takes a class or a tuple of classes, not a tuple of tuples:
        # several handlers' kinds are joined when the code runs.
        catches = kinds[0] if len(kinds) == 1 else nodes.call(
            self.reference(runtime_exceptions.kinds_caught), [nodes.clone(k) for k in kinds])
        marker = nodes.call(self.reference(runtime_exceptions.try_body),
                            [nodes.name(catching), nodes.name(caught)])
        body = self.block(stmt.body, (catching, caught), reraise)
        # Python tries the handlers in order; the exception caught is one of
        # theirs, so the last handler takes whatever the others do not.
        dispatch = None
        for handler, kind in reversed(list(zip(stmt.handlers, kinds))):
            handled = self.block(handler.body, region, caught)
            if handler.name is not None:
                handled = [nodes.assign(handler.name.id, nodes.name(caught))] + handled
            if dispatch is None:
                dispatch = handled
            else:
                test = nodes.call(self.reference(builtins.isinstance),
                                  [nodes.name(caught), nodes.clone(kind)])
                dispatch = [nodes.if_(test, handled, dispatch)]
        lowered = [nodes.assign(catching, catches), nodes.assign(caught, nodes.const(None)),
                   nodes.if_(marker, body)]
        if not falls_through(body):
            # The body always returns (or breaks, or continues): nothing
            # follows it but a handler, as the fence's check of final returns
            # sees (lower_control guards what follows a return by a flag).
            return lowered + dispatch
        nothing_caught = nodes.compare(nodes.name(caught), gast.Is(), nodes.const(None))
        return lowered + [nodes.if_(nothing_caught, self.block(stmt.orelse, region, reraise),
                                    dispatch)]


def _jumps(stmts: list) -> bool:
    """Whether a return, break or continue of `stmts` leaves them (local
    functions aside)."""
    for stmt in stmts:
        for node in nodes.statements(stmt) if not isinstance(stmt, gast.FunctionDef) else ():
            if isinstance(node, (gast.Return, gast.Break, gast.Continue)):
                return True
    return False


def _assertion_check(stmt: gast.Assert, reference) -> gast.If:
    """`assert test, msg` as the branch Python takes: `if not test: raise
    AssertionError(msg)` (`reference` names AssertionError)."""
    exception = nodes.call(reference(AssertionError), [stmt.msg] if stmt.msg is not None else [])
    return nodes.if_(gast.UnaryOp(op=gast.Not(), operand=stmt.test),
                     [gast.Raise(exc=exception, cause=None)])


def _caught_by(region: tuple, stmt: gast.Raise, reference) -> gast.Assign:
    """`raise exception` in the try body of `region` (its catching and caught
    names): `_caught = raised(_catching, exception)`, for its handlers."""
    catching, caught = region
    arguments = [nodes.name(catching), stmt.exc] + ([stmt.cause] if stmt.cause is not None
                                                    else [])
    return nodes.assign(caught, nodes.call(reference(runtime_exceptions.raised), arguments))


# The second half -------------------------------------------------------------

def guard_try_regions(function: gast.FunctionDef, ctx) -> gast.FunctionDef:
    """Replace each try body marked by `mark_try_regions` in the normalised
    `function` by its statements, each operation that may raise tried first
    (see the module docstring)."""
    parsed = ctx.parsed
    if not has_try_bodies(parsed):
        return function
    guards = _Guards(ctx, function, {node.id for node in nodes.name_nodes(function)})
    function.body = guards.block(function.body)
    for node in nodes.walk(function):
        if isinstance(node, gast.Call) and \
                nodes.annotation(node.func, "value") is runtime_exceptions.try_body:
            raise UnsupportedSyntaxError(
                "this 'try' statement cannot be differentiated (its body was rewritten "
                "into a form the compiler cannot follow)", parsed.location(node),
                help=_MOVE_ADVICE)
    return function


class _Guards:
    def __init__(self, ctx, function: gast.FunctionDef, taken: set):
        self.ctx = ctx
        self.function = function
        self.parsed = ctx.parsed
        self.taken = taken | ctx.namer.taken

    def reference(self, value, name: str | None = None) -> gast.Name:
        reference = self.parsed.reference(value, name, taken=self.taken)
        self.taken.add(reference.id)
        self.ctx.namer.reserve(reference.id)
        # Generated code reads what the parsed function binds from cells
        # (Context.create made them before this pass).
        self.ctx.cells.setdefault(reference.id, types.CellType(value))
        return reference

    def block(self, stmts: list) -> list:
        out = []
        position = 0
        while position < len(stmts):
            stmt = stmts[position]
            marker = _marker(stmt)
            if marker is not None and position + 1 < len(stmts):
                region = stmts[position + 1]
                if isinstance(region, gast.If) and isinstance(region.test, gast.Name) \
                        and region.test.id == stmt.targets[0].id:
                    catching, caught = (argument.id for argument in marker.args)
                    guarded, _ = self.guard(self.block(region.body), catching, caught)
                    out += guarded
                    if region.orelse:
                        # lower_control moved what follows a body that always
                        # returns into the `else` of its `if`: it runs when
                        # the body did not get to its return, having raised.
                        raised = nodes.compare(nodes.name(caught), gast.IsNot(),
                                               nodes.const(None))
                        out.append(nodes.copy_location(
                            nodes.if_(raised, self.block(region.orelse)), region))
                    position += 2
                    continue
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                stmt.body = self.block(stmt.body)
                stmt.orelse = self.block(stmt.orelse)
            out.append(stmt)
            position += 1
        return out

    def guard(self, stmts: list, catching: str, caught: str) -> tuple[list, bool]:
        """`stmts` of a try body, each operation that may raise tried first and
        what follows it run only if it raised nothing the handlers catch; and
        whether anything in them may be caught."""
        out: list = []
        current = out
        may_fail = False

        def after_attempt() -> list:
            segment: list = []
            test = nodes.compare(nodes.name(caught), gast.Is(), nodes.const(None))
            out.append(gast.If(test=test, body=segment, orelse=[]))
            return segment

        for stmt in list(stmts):
            if isinstance(stmt, gast.Assert) or isinstance(stmt, gast.Raise) and stmt.exc:
                # From a helper inlined into the body after the first half ran:
                # written as the first half writes them, normalised, guarded.
                written = _assertion_check(stmt, self.reference) if isinstance(
                    stmt, gast.Assert) else _caught_by((catching, caught), stmt, self.reference)
                lowered, fails = self.guard(normalise_statements(
                    [nodes.located(written, stmt)], self.function, self.ctx), catching, caught)
                current += lowered
                if fails:
                    current = after_attempt()
                    may_fail = True
                continue
            if isinstance(stmt, gast.Assign):
                attempt = self.attempt(stmt.value, stmt, catching, repeated=True)
                if attempt is None:
                    current.append(stmt)
                    continue
                current.append(nodes.copy_location(nodes.assign(caught, attempt), stmt))
                current = after_attempt()
                current.append(stmt)
                may_fail = True
            elif isinstance(stmt, gast.Expr):
                if _is_method_call(stmt.value):
                    # A method of a value of the function (`items.append(v)`):
                    # the compiler models what it does to the value, so it
                    # must stay; list.append raises nothing.
                    if stmt.value.func.attr == "append":
                        current.append(stmt)
                        continue
                    self.refuse(f"the call of '{_spelled(stmt.value.func)}'", stmt)
                if nodes.annotation(stmt, "mutates") is not None:
                    self.refuse("an in-place update", stmt)
                # Run once, as the attempt: only what it raises matters.
                attempt = self.attempt(stmt.value, stmt, catching, repeated=False)
                if attempt is None:
                    continue
                current.append(nodes.copy_location(nodes.assign(caught, attempt), stmt))
                current = after_attempt()
                may_fail = True
            elif isinstance(stmt, gast.If):
                body, body_fails = self.guard(stmt.body, catching, caught)
                orelse, orelse_fails = self.guard(stmt.orelse, catching, caught)
                stmt.body, stmt.orelse = body or [gast.Pass()], orelse
                current.append(stmt)
                if body_fails or orelse_fails:
                    current = after_attempt()
                    may_fail = True
            elif isinstance(stmt, gast.Pass):
                continue
            elif isinstance(stmt, (gast.For, gast.While)) and not stmt.orelse:
                if not self.loop(stmt, catching, caught):
                    current.append(stmt)
                    continue
                current.append(stmt)
                current = after_attempt()
                may_fail = True
            else:
                self.refuse(f"a '{type(stmt).__name__}' statement", stmt)
        if out and isinstance(out[-1], gast.If) and out[-1].body == [] and current is out[-1].body:
            out.pop()
        return out, may_fail

    def loop(self, loop, catching: str, caught: str) -> bool:
        """Guard the body of `loop`, in a try body, and end the loop once
        something was caught, as Python leaves it; whether anything in it may
        be caught."""
        body, fails = self.guard(loop.body, catching, caught)
        loop.body = body or [gast.Pass()]
        if not fails:
            return False
        nothing_caught = nodes.compare(nodes.name(caught), gast.Is(), nodes.const(None))
        if isinstance(loop, gast.While):
            # (Normalised, the test is a name the body computes again at its
            # end, which the guard skips once something was caught.)
            if not isinstance(loop.test, gast.Name):
                self.refuse("a loop with a computed test", loop)
            stop = nodes.assign(loop.test.id, nodes.const(False))
            raised = nodes.compare(nodes.name(caught), gast.IsNot(), nodes.const(None))
            loop.body.append(nodes.copy_location(nodes.if_(raised, [stop]), loop))
            return True
        # A `for` goes on over the rest of its items, doing nothing: its item
        # goes to a variable of its own, bound to the loop's only while
        # nothing was caught, which so keeps the item Python stopped at.
        bindings = item_variables(loop, nodes.names_stored(loop.target), self.ctx.namer)
        loop.body = [nodes.copy_location(gast.If(test=nothing_caught, body=bindings + loop.body,
                                                 orelse=[]), loop)]
        return True

    def attempt(self, value, stmt, catching: str, repeated: bool) -> gast.Call | None:
        """`exception_of(catching, operation, *operands)` for the operation
        `value` does, or None if it cannot raise."""
        if isinstance(value, (gast.Name, gast.Constant)):
            return None
        if isinstance(value, (gast.Tuple, gast.List)) and all(
                isinstance(e, (gast.Name, gast.Constant)) or _resolved(e) for e in value.elts):
            return None   # (a tuple of names, constants, module attributes)
        if isinstance(value, gast.Dict) and all(isinstance(k, gast.Constant) for k in value.keys):
            return None   # (constant keys hash)
        if isinstance(value, gast.BinOp) and type(value.op) in _BINARY:
            operation, operands = _BINARY[type(value.op)], [value.left, value.right]
        elif isinstance(value, gast.UnaryOp):
            operation, operands = _UNARY[type(value.op)], [value.operand]
        elif isinstance(value, gast.Compare) and len(value.ops) == 1:
            kind = type(value.ops[0])
            if kind in (gast.Is, gast.IsNot):
                return None
            if kind in (gast.In, gast.NotIn):
                operation, operands = operator.contains, [value.comparators[0], value.left]
            else:
                operation, operands = _COMPARE[kind], [value.left, value.comparators[0]]
        elif isinstance(value, gast.Subscript):
            operation, operands = operator.getitem, [value.value, self.index(value.slice)]
        elif isinstance(value, gast.Attribute):
            operation, operands = builtins.getattr, [value.value, nodes.const(value.attr)]
        elif isinstance(value, gast.Call):
            if repeated:
                self.check_repeatable(value, stmt)
            return nodes.call(
                self.reference(runtime_exceptions.exception_of),
                [nodes.name(catching), nodes.clone(value.func)]
                + [nodes.clone(argument) for argument in value.args],
                {keyword.arg: nodes.clone(keyword.value) for keyword in value.keywords}
                if all(keyword.arg is not None for keyword in value.keywords)
                else self.refuse("a call with ** arguments", stmt))
        else:
            self.refuse(f"this expression ({type(value).__name__})", stmt)
        return nodes.call(self.reference(runtime_exceptions.exception_of),
                          [nodes.name(catching), self.reference(operation)]
                          + [nodes.clone(operand) for operand in operands])

    def index(self, index):
        if isinstance(index, gast.Slice):
            bounds = [nodes.clone(bound) if bound is not None else nodes.const(None)
                      for bound in (index.lower, index.upper, index.step)]
            return nodes.call(self.reference(builtins.slice), bounds)
        if isinstance(index, gast.Tuple):
            return nodes.tuple_([self.index(element) for element in index.elts])
        return nodes.clone(index)

    def check_repeatable(self, call: gast.Call, stmt) -> None:
        """Refuse a call that may give another result when done again (it is
        tried, then done)."""
        missing = object()
        function = nodes.annotation(call.func, "value", missing)
        if function is missing and isinstance(call.func, gast.Name) and \
                call.func.id not in self.parsed.local_names:
            # (A builtin normalisation wrote, `slice(0, 2, None)`.)
            found, value = self.parsed.lookup(call.func.id)
            function = value if found else missing
        mark = nodes.annotation(stmt, "mutates")
        if mark is not None and (mark == effects.OPAQUE or not (getattr(
                function, "__module__", "") or "").startswith(runtime_exceptions.__package__)):
            # (An update written as an updated copy, `y = setitem(y, i, v)`,
            # makes a new object each time: tried, it changes nothing.)
            self.refuse("an in-place update", stmt)
        if function is missing:
            if isinstance(call.func, gast.Attribute) and call.func.attr in _READING_METHODS:
                return
            self.refuse(f"the call of '{_spelled(call.func)}', which may not give the same "
                        "result when done again", stmt)
        module = getattr(function, "__module__", None) or ""
        if isinstance(function, types.MethodType):
            module = getattr(type(function.__self__), "__module__", "") or module
        if any(module == m or module.startswith(m + ".") for m in _RANDOM_MODULES) or (
                _hashable(function) and function in _UNREPEATABLE_BUILTINS) or \
                getattr(function, "__name__", None) == "rvs":
            self.refuse(f"the call of '{_spelled(call.func)}', which gives another result "
                        "each time", stmt)
        if isinstance(function, type):
            module = getattr(function, "__module__", "") or ""
        if not any(module == m or module.startswith(m + ".") for m in _REPEATABLE_MODULES):
            self.refuse(f"the call of '{_spelled(call.func)}' (a function of yours, or of a "
                        "library the compiler cannot tell gives the same result when called "
                        "again)", stmt)

    def refuse(self, what: str, stmt):
        raise UnsupportedSyntaxError(
            f"{what} in a 'try' body cannot be differentiated", self.parsed.location(stmt),
            help=_MOVE_ADVICE)


def has_try_bodies(parsed: ParsedFunction) -> bool:
    """Whether `parsed` may hold try bodies marked by mark_try_regions (it
    binds their mark), without a walk."""
    return any(value is runtime_exceptions.try_body for value in parsed.bound.values())


def is_try_body(test) -> bool:
    """Whether `test` is the mark of a try body, `try_body(...)` (the test of
    its `if`, or the value normalisation gives a name)."""
    return isinstance(test, gast.Call) and \
        nodes.annotation(test.func, "value") is runtime_exceptions.try_body


def _marker(stmt) -> gast.Call | None:
    if isinstance(stmt, gast.Assign) and is_try_body(stmt.value) and \
            len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
        return stmt.value
    return None


def _resolved(node) -> bool:
    """An attribute chain resolve.py found the object of (`np.linalg.LinAlgError`)."""
    return isinstance(node, gast.Attribute) and \
        nodes.annotation(node, "value", _resolved) is not _resolved


def _is_method_call(call) -> bool:
    return isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and \
        nodes.annotation(call.func, "value") is None


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _spelled(node) -> str:
    return to_source(node).strip()
