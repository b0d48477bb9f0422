"""Activity analysis: which variables carry derivatives.

Input: a normalised FunctionDef (see anf.py) and the differentiated parameters.
Output: `Activity`, the variables that are *varied* (depend on a differentiated
parameter through differentiable operations) and *useful* (reach the returned
value through differentiable operations). Only variables that are both, the
*active* ones, get adjoints or tangents: a loop counter, the norm in a `while`
test, shape arithmetic or a logger call costs nothing in the derivative and
needs no derivative rule.

The analysis is flow-insensitive (one fact per variable name), which is
conservative: it can only make more variables active, never fewer.

    def f(x, n):                 varied: x, y, _t1, t
        y = x * n                useful: y, x, n, t, _t1
        _t1 = np.linalg.norm(y)  active: t, x, y
        t = _t1 < 3 ...          (_t1 only feeds a comparison)
"""

from __future__ import annotations

import builtins
import collections
import operator
from dataclasses import dataclass, field

import gast
import numpy as np

from .. import nodes
from ..errors import NoDerivativeRuleError
from ..context import Context
from ..rules import numpy_rules, registry
from ..runtime import core as runtime_core
from ..runtime import effects as runtime_effects
from ..runtime import namespaces as runtime_namespaces
from ..runtime import python_builtins as runtime_builtins
from . import effects
from .anf import bind_arguments, literal_names, primitive_of
from .text_values import mark_text_formatting, refuse_text_round_trips
from .user_functions import RULE_ONLY_PACKAGES, SOURCE_DIFFERENTIATED_MODULES, is_user_function  # noqa: F401


@dataclass
class Activity:
    varied: set = field(default_factory=set)
    useful: set = field(default_factory=set)
    lists: set = field(default_factory=set)   # variables holding lists (see list_variables)
    stacks: set = field(default_factory=set)  # lists appended to, popped or passed on
    handovers: set = field(default_factory=set)  # lists built, then given another name (handed_over_stacks)
    tuples: set = field(default_factory=set)  # variables that may hold tuples
    _active: tuple = field(default=(None, frozenset()), repr=False, compare=False)

    @property
    def active(self) -> frozenset:
        # Asked for every statement: computed again only when a set grew or
        # was replaced (the analysis only ever adds to them).
        key = (id(self.varied), len(self.varied), id(self.useful), len(self.useful))
        if self._active[0] != key:
            self._active = (key, frozenset(self.varied & self.useful))
        return self._active[1]

    def is_active(self, atom) -> bool:
        return isinstance(atom, gast.Name) and atom.id in self.varied and \
            atom.id in self.useful

    def is_active_list(self, atom) -> bool:
        """An active variable holding a list: its derivative is a list of the
        elements' derivatives, kept in step with it."""
        return self.is_active(atom) and atom.id in self.lists

    def passes_active_list(self, rhs) -> bool:
        """A call handing an active list to a user function, which may push onto
        it: both modes must follow the call, whatever becomes of its result."""
        return isinstance(rhs, gast.Call) and is_user_function(primitive_of(rhs)) and any(
            self.is_active_list(a) for a in nodes.call_arguments(rhs))

    def dump(self) -> str:
        """A stable text form that tests compare against."""
        return (f"varied: {', '.join(sorted(self.varied))}\n"
                f"useful: {', '.join(sorted(self.useful))}\n"
                f"active: {', '.join(sorted(self.active))}")


def derivative_operands(rhs: gast.AST) -> list:
    """The atoms of `rhs` through which a derivative can flow."""
    if isinstance(rhs, gast.Name):
        return [rhs]
    if isinstance(rhs, (gast.Constant, gast.Compare, gast.JoinedStr)) or \
            nodes.annotation(rhs, "formats_text", False):
        return []  # text ('%.3f' % v: see text_values.mark_text_formatting)
    if isinstance(rhs, gast.Attribute):
        if nodes.annotation(rhs, "value", None) is not None or \
                rhs.attr in numpy_rules.NONDIFFERENTIABLE_ATTRIBUTES:
            return []
        return [rhs.value]
    if isinstance(rhs, (gast.Tuple, gast.List)):
        return list(rhs.elts)
    if isinstance(rhs, gast.Dict):
        return list(rhs.values)
    if isinstance(rhs, gast.Subscript):
        return [rhs.value]
    primitive = primitive_of(rhs)
    rule = registry.lookup(primitive) if primitive is not None else None
    if rule is not None:
        if not rule.differentiable:
            return []
        bound = bind_arguments(rule, rhs)
        if bound is not None:
            return [name for p in rule.differentiable_params()
                    for _, name in literal_names(bound[p])]
    operands = []
    if isinstance(rhs, gast.Call):
        # A call whose arguments do not fit its rule: every variable in them
        # counts (also inside list literals), so that a missing rule is an error.
        operands = [name for arg in nodes.call_arguments(rhs)
                    for _, name in literal_names(arg)]
        if isinstance(rhs.func, gast.Attribute) and primitive is None:
            operands.append(rhs.func.value)  # a method of a local value
        elif isinstance(rhs.func, gast.Name) and primitive is None:
            # A callable held in a variable (f = x.sum, getattr(x, "sum")): what
            # it is bound to is an operand too, so that it cannot pass unseen.
            operands.append(rhs.func)
    elif isinstance(rhs, gast.BinOp):
        operands = [rhs.left, rhs.right]
    elif isinstance(rhs, gast.UnaryOp):
        operands = [rhs.operand]
    return operands


def bindings(stmts, out: list) -> list:
    """Every (target, rhs) pair in a normalised body, loops and branches included."""
    for stmt in stmts:
        if isinstance(stmt, gast.Assign):
            out.append((stmt.targets[0].id, stmt.value))
        elif isinstance(stmt, gast.For):
            out.append((stmt.target.id, stmt.iter))
            bindings(stmt.body, out)
        elif isinstance(stmt, gast.Expr) and nodes.list_method(stmt.value, "append"):
            # L.append(v) defines L anew from v: the list carries v's derivative.
            out.append((stmt.value.func.value.id, stmt.value))
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            out.append(("", stmt.value))  # a call for its effect: see the lists rule
        elif isinstance(stmt, (gast.If, gast.While)):
            bindings(stmt.body, out)
            bindings(stmt.orelse, out)
    return out


# Functions with derivative rules, not elementwise, whose result is surely an
# array: the adjoints and tangents of their results are added with `+`. Any
# other rule's result may be a tuple (np.linalg.qr, np.histogram, np.meshgrid,
# np.average(..., returned=True)), whose adjoints `+` would join: added entry
# by entry (add_adjoints), as a tuple a user function returns.
ARRAY_RESULTS = frozenset({
    operator.matmul, np.dot, np.matmul, np.inner, np.outer, np.vdot, np.tensordot, np.einsum,
    np.kron, np.cross, np.convolve, np.correlate, np.linalg.solve, np.linalg.inv,
    np.linalg.det, np.linalg.norm, np.concatenate, np.stack, np.sum, np.mean, np.prod,
    np.max, np.min, np.amax, np.amin, np.var, np.std, np.cumsum, np.cumprod, np.diff,
    np.trace, np.reshape, np.ravel, np.transpose, np.squeeze, np.expand_dims,
    np.broadcast_to, np.take, np.sort})


def possible_tuples(definitions, params, containers=frozenset()) -> set:
    """Variables that may hold tuples or dicts: built from such literals, returned by
    user functions, by rules that are not elementwise (but ARRAY_RESULTS) or by
    the runtime helpers that build tuple adjoints, read element by element, and
    copies of those. Their adjoints (and tangents) are added with `add_adjoints`:
    `+` would concatenate tuples.

    `unbroadcast(g, x)` (generated code's adjoint of an operand) gives back
    `g` itself when `g` is a tuple, list or dict, and otherwise a number or
    an array: its result may be one only if `g` may, a parameter, or one of
    `containers` (lists, entries of lists) may. (A Hessian's gradient code
    has thousands; each made the sums of adjoints it reaches look like
    possible tuples, whose tangents forward mode adds with add_adjoints and
    checks with sequence_tangent: issue #13.)"""
    tuple_makers = (runtime_core.add_adjoints, runtime_core.getitem_adjoint, runtime_core.zeros_like)
    out = set()
    passed_on = []  # (target, g) of each `target = unbroadcast(g, ...)`
    for target, rhs in definitions:
        primitive = primitive_of(rhs) if isinstance(rhs, gast.Call) else None
        if primitive is runtime_core.unbroadcast and len(rhs.args) == 2 and \
                not rhs.keywords and isinstance(rhs.args[0], gast.Name) and \
                rhs.args[0].id not in containers and rhs.args[0].id not in params:
            passed_on.append((target, rhs.args[0].id))
            continue
        if isinstance(rhs, (gast.Tuple, gast.Dict)) or (primitive is not None and (
                is_user_function(primitive) or primitive in tuple_makers or
                _may_return_a_tuple(primitive))):
            out.add(target)
        if isinstance(rhs, gast.Subscript) and isinstance(rhs.value, gast.Name) and \
                isinstance(rhs.slice, gast.Constant) and isinstance(rhs.slice.value, (int, str)):
            out.add(rhs.value.id)
    # Copies (either name makes both tuples) and sums of a name (dq = dq + c,
    # c a helper's record adjoint, a tuple that adds entry by entry: the sum
    # is one too, and so is its tangent), looked for once for the rounds
    # below (issue #13: every definition of a long function, in each round).
    # Each makes a name a possible tuple when another is: a copy either way
    # (`target = source`), a sum from either side, `unbroadcast(g, ...)` from
    # g. The smallest set holding `out` and closed under these is found by
    # following each name added to those it makes possible tuples, once
    # (issue #13: rounds over every copy and sum of a Hessian's gradient code
    # until none added a name; the same set).
    makes: dict = {}   # name -> the names it makes possible tuples
    for target, rhs in definitions:
        kind = rhs.__class__
        if kind is gast.Name:
            makes.setdefault(rhs.id, []).append(target)
            makes.setdefault(target, []).append(rhs.id)
        elif kind is gast.BinOp and isinstance(rhs.op, gast.Add):
            for side in (rhs.left, rhs.right):
                if isinstance(side, gast.Name):
                    makes.setdefault(side.id, []).append(target)
    for target, source in passed_on:
        makes.setdefault(source, []).append(target)
    _closure(out, lambda name: makes.get(name, ()))
    return out


def _may_return_a_tuple(primitive) -> bool:
    if primitive is None or primitive in ARRAY_RESULTS:
        return False
    rule = registry.lookup(primitive)
    return rule is not None and rule.differentiable and not rule.pointwise


class ListFacts:
    """What the list analyses below read of a function's definitions, found
    in one pass over them (issue #13: split_lists and the activity analysis
    each went through the thousands of a Hessian's gradient code five times
    for these, asking each call's primitive three times):

    - `displays`: the targets of list displays;
    - `appended`, `popped`: the lists appended to (`L.append(v)`, whose
      definition's target is L) and those popped from (`v = L.pop()`);
    - `zeros`: (target, the list) of each `target = zeros_like(L)`;
    - `user_calls`: (the call, the function) of each call of a user function;
    - `joins`: (target, the names whose being a list makes it one, whether a
      list display does) of each slice of a name and of each value
      joins_lists accepts (see list_variables)."""

    __slots__ = ("displays", "appended", "popped", "zeros", "user_calls", "joins")

    def __init__(self, definitions):
        self.displays, self.appended, self.popped = set(), set(), set()
        self.zeros, self.user_calls, self.joins = [], [], []
        self.add(definitions)

    def add(self, definitions) -> "ListFacts":
        """Those of more definitions too (the pairs analyse adds)."""
        displays, appended, popped = self.displays, self.appended, self.popped
        zeros, user_calls, joins = self.zeros, self.user_calls, self.joins
        name_type, list_type, call_type = gast.Name, gast.List, gast.Call
        for target, rhs in definitions:
            kind = rhs.__class__
            if kind is list_type:
                displays.add(target)
            elif kind is call_type:
                func = rhs.func
                if isinstance(func, gast.Attribute):
                    if func.attr == "append" and nodes.list_method(rhs, "append"):
                        appended.add(target)
                    elif func.attr == "pop" and nodes.list_method(rhs, "pop"):
                        popped.add(func.value.id)
                primitive = primitive_of(rhs)
                args = rhs.args
                if target and primitive is runtime_core.zeros_like and len(args) == 1 and \
                        isinstance(args[0], name_type):
                    zeros.append((target, args[0].id))
                if is_user_function(primitive):
                    user_calls.append((rhs, primitive))
                if args and isinstance(args[0], (name_type, list_type)) and \
                        id(primitive) in _JOIN_IDS:
                    first = args[0]
                    joins.append((target, (first.id,) if first.__class__ is name_type else (),
                                  first.__class__ is list_type))
            elif kind is gast.Subscript:
                if isinstance(rhs.slice, gast.Slice) and isinstance(rhs.value, name_type):
                    joins.append((target, (rhs.value.id,), False))
            elif kind is gast.BinOp and isinstance(rhs.op, (gast.Add, gast.Mult)):
                operands = (rhs.left, rhs.right)
                joins.append((target, tuple(a.id for a in operands if isinstance(a, name_type)),
                              any(isinstance(a, list_type) for a in operands)))
        return self


def mutated_lists(definitions, passed=None, facts: ListFacts | None = None) -> set:
    """Variables used as stacks: lists appended to, popped from, or passed to a
    user function (which may do either). `passed` is what
    `_lists_passed_to_user_functions(definitions)` gives, if known; `facts`,
    the ListFacts of `definitions`, if known."""
    if facts is None:
        facts = ListFacts(definitions)
    out = facts.appended | facts.popped
    if passed is None:
        passed = _lists_passed_to_user_functions(definitions, facts)
    return out | {target for target, _ in passed}


def _lists_made_here(facts: ListFacts) -> set:
    """Variables bound to lists the function makes: list displays, lists
    appended to or popped from, and the zero adjoints of such lists
    (`d_stack = zeros_like(_stack)` in a generated adjoint, a list of zeros
    that the callees it is handed to push on and pop from)."""
    # (For a pop, the list is the receiver: the target is the value popped.)
    out = facts.displays | facts.appended | facts.popped
    # The zero adjoints of lists, (target, the list): the rounds below go
    # through these only (issue #13: every definition of a Hessian's
    # gradient code, in each round).
    zeros = facts.zeros
    changed = True
    while changed:
        changed = False
        for target, source in zeros:
            if target not in out and source in out:
                out.add(target)
                changed = True
    return out


def list_variables(definitions, mutated=None, facts: ListFacts | None = None) -> set:
    """Variables holding lists: list literals, lists used as stacks or handed to
    user functions, and slices of those (flow-insensitive, like the rest).
    `mutated` is what `mutated_lists(definitions)` gives, if known; `facts`,
    the ListFacts of `definitions`, if known."""
    if facts is None:
        facts = ListFacts(definitions)
    if mutated is None:
        mutated = mutated_lists(definitions, facts=facts)
    out = mutated | facts.displays
    # (target, the operands whose being a list makes it one, whether a list
    # display among them does): slices of a name, and what joins_lists
    # accepts with its list operands to be found (ListFacts.joins), for the
    # rounds below (issue #13: every definition of a Hessian's gradient
    # code, in each round).
    candidates = facts.joins
    changed = True
    while changed:
        changed = False
        for target, names, display in candidates:
            if target not in out and (display or any(name in out for name in names)):
                out.add(target)
                changed = True
    return out


def joins_lists(rhs, lists: set) -> bool:
    """Whether `rhs` makes a list from the list variables among `lists` (or
    a list display): `L + M`, `L * n`, `n * L`, `extended(L, M)` (L.extend(M)),
    `in_place_result(L + M, L)` (L += M), `copied(L)` (L.copy()), `inserted(L, i,
    v)` and `reverse_in_place(L)`, each a list whenever its list operand is."""
    if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, (gast.Add, gast.Mult)):
        operands = [rhs.left, rhs.right]
    elif isinstance(rhs, gast.Call) and rhs.args:
        operands = rhs.args[:1]
    else:
        return False
    if not any(isinstance(a, gast.List) or isinstance(a, gast.Name) and a.id in lists
               for a in operands):
        return False
    # The callee is asked last: most calls take no list first (a fixed point
    # over a Hessian's gradient code asks this of every call, again per round).
    return isinstance(rhs, gast.BinOp) or any(primitive_of(rhs) is f for f in _JOINS)


# The runtime helpers that make a list whenever their first operand is one.
_JOINS = (runtime_builtins.extended, runtime_core.in_place_result, runtime_builtins.copied,
          runtime_builtins.inserted, runtime_builtins.reverse_in_place,
          runtime_builtins.removed_at)
_JOIN_IDS = frozenset(map(id, _JOINS))   # (theirs while the tuple keeps them alive)


def handed_over_lists(function: gast.FunctionDef, lists: set, stacks: set,
                      facts: ListFacts | None = None) -> set:
    """The temporaries of `_t = xs + [v]; xs = _t` (how normalisation writes
    `xs = xs + [v]`, `xs.extend(...)`, `ys = xs.copy()`, and with `_t2 =
    in_place_result(_t, xs)` between, `xs += [v]`; a recording primal pushes
    in between): a new list, bound once and read once, by a later statement
    of its block that hands it to its only other name. Not counted among the
    lists: no second name sees it, and its derivative needs no list of its own
    kept in step (xs's goes on changing, as xs does, after the handover).
    `facts`: the ListFacts of the function's bindings, if known."""
    if facts is not None and facts.displays <= stacks and not any(
            display or any(name in lists for name in names)
            for _, names, display in facts.joins):
        # No statement makes a list below: a list display binds only stacks,
        # and every value joins_lists could accept (a join, a slice) joins
        # no list (issue #13: most functions, and a Hessian's gradient code,
        # whose one list display is `_stack = []`).
        return set()
    # Each name's reads and bindings, counted only when a statement makes a
    # list (most functions make none: a Hessian's gradient code is long).
    counts: list = []

    def once(name: str) -> bool:
        if not counts:
            # A join's own check (python_builtins.check_joined) reads the
            # joined list without handing it anywhere: not counted.
            checked = {id(node) for stmt in nodes.walk(function)
                       if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call)
                       and primitive_of(stmt.value) is runtime_builtins.check_joined
                       for node in nodes.walk(stmt)}
            counts.append(collections.Counter(
                node.id for node in nodes.walk(function)
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load)
                and id(node) not in checked))
            counts.append(nodes.assignment_counts(function))
        return counts[1][name] == 1 and counts[0][name] == 1

    out = set()
    for node in nodes.statements(function):
        for block in (getattr(node, "body", None), getattr(node, "orelse", None)):
            if not isinstance(block, list):
                continue
            made = set()
            for stmt in block:
                if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
                    continue
                value = stmt.value
                if isinstance(value, gast.Call) and primitive_of(value) is \
                        runtime_core.in_place_result and value.args:
                    value = value.args[0]  # `xs += v`: its value, L + M, itself
                if isinstance(value, gast.Name) and value.id in made:
                    out.add(value.id)
                temporary = stmt.targets[0].id
                if temporary not in stacks and (isinstance(stmt.value, gast.List) or
                                                joins_lists(stmt.value, lists)) and \
                        once(temporary):
                    made.add(temporary)
    return out


# aliasing.py's run-time check that an update changes no other name's object:
# it reads the list it is given, nothing more.
_ALIASING_GUARDS = (runtime_effects.check_unshared, runtime_namespaces.check_unshared)


def handed_over_stacks(function: gast.FunctionDef, definitions: list, stacks: set) -> set:
    """The lists built by appends and then handed to another name, `T = []`,
    appends to T, `M = T`, with T never used again: how lower_comprehensions
    writes `xs = [f(v) for v in xs]` and how one writes a loop that builds
    a list by hand (`new = []; for v in xs: new.append(f(v)); xs = new`).
    After the handover only M names the list, which is then free to grow:
    T's derivative list, kept in step with T, ends at the handover, so the
    derivative code does not see a second name (operations.check_list_alias).

    Exactly: T is bound once, to a list display, in a block that later
    hands it over (`M = T`, the only read of T outside the statements
    between), and between the two T is only appended to, indexed, measured
    (len) or checked by aliasing.py's run-time guard. Each run of the block
    binds T afresh; nothing reads it after the handover."""
    # (From the bindings analyse has: most functions hand no list over, and
    # this then walks nothing.)
    candidates = {rhs.id for _, rhs in definitions if isinstance(rhs, gast.Name)} & stacks
    if not candidates:
        return set()
    uses = collections.Counter(n.id for n in nodes.name_nodes(function) if n.id in candidates)
    out = set()
    for node in nodes.statements(function):
        for block in (getattr(node, "body", None), getattr(node, "orelse", None)):
            if not isinstance(block, list):
                continue
            made = {}   # T -> the position of `T = [...]` in the block
            for position, stmt in enumerate(block):
                if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                    target, value = stmt.targets[0].id, stmt.value
                    if isinstance(value, gast.Name) and value.id in made and _only_built_between(
                            value.id, block[made[value.id]:position + 1], uses[value.id]):
                        out.add(value.id)
                    if target in candidates and isinstance(value, gast.List):
                        made[target] = position
    return out


def _only_built_between(name: str, span: list, uses: int) -> bool:
    """Whether the `uses` of `name` in the function are all in `span` (its
    binding first, the handover last) and, between the two, each an append
    to it, an index or len() of it, or a run-time aliasing guard given it."""
    if _may_leave(span[1:-1], in_loop=False):
        return False   # the handover might not run after the appends did
    between = [n for stmt in span[1:-1] for n in nodes.walk(stmt)]
    inside = [n for n in between if isinstance(n, gast.Name) and n.id == name]
    if len(inside) + 2 != uses:   # (+ the binding and the handover)
        return False
    allowed = set()
    for node in between:
        if nodes.list_method(node, "append") and node.func.value.id == name:
            allowed.add(id(node.func.value))
        elif isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                isinstance(node.ctx, gast.Load):
            allowed.add(id(node.value))
        elif isinstance(node, gast.Call) and (
                (primitive_of(node) is builtins.len and len(node.args) == 1) or
                any(primitive_of(node) is guard for guard in _ALIASING_GUARDS)):
            allowed.update(id(a) for a in node.args if isinstance(a, gast.Name))
    return all(id(n) in allowed for n in inside)


def _may_leave(stmts: list, in_loop: bool) -> bool:
    """Whether a return, or a break or continue of a loop around `stmts`,
    may skip what follows them."""
    for stmt in stmts:
        if isinstance(stmt, gast.Return) or (
                isinstance(stmt, (gast.Break, gast.Continue)) and not in_loop):
            return True
        looped = in_loop or isinstance(stmt, (gast.For, gast.While))
        if _may_leave(getattr(stmt, "body", None) or [], looped):
            return True
        for block in ("orelse", "finalbody"):   # (a loop's else is outside it)
            if _may_leave(getattr(stmt, block, None) or [], in_loop):
                return True
        if any(_may_leave(handler.body, in_loop) for handler in getattr(stmt, "handlers", ())):
            return True
    return False


def _lists_passed_to_user_functions(definitions, facts: ListFacts | None = None) -> list:
    """(list, call) pairs for local lists handed to a user function: the callee
    may store values derived from the other arguments in them (the generated
    code's `helper_primal(_stack, x)` does). `facts`: the ListFacts of
    `definitions`, if known."""
    if facts is None:
        facts = ListFacts(definitions)
    lists = _lists_made_here(facts)
    out = []
    # id(callee) -> its stack parameters: each callee's source is read once,
    # not once per call (a long gradient calls a helper's primal many times).
    stack_parameters = {}
    for rhs, callee in facts.user_calls:
        if id(callee) not in stack_parameters:
            stack_parameters[id(callee)] = _stack_parameters(callee)
        stacks = stack_parameters[id(callee)]
        # Positions are known up to a starred argument.
        starred = next((k for k, a in enumerate(rhs.args) if isinstance(a, gast.Starred)),
                       len(rhs.args))
        for position, arg in enumerate(nodes.call_arguments(rhs)):
            if isinstance(arg, gast.Name) and (
                    arg.id in lists or (position < starred and position in stacks)):
                out.append((arg.id, rhs))
    return out


def _stack_parameters(function) -> set:
    """Positions of the parameters `function` appends to or pops from (a
    generated primal's `_stack`, a generated adjoint's `d_stack`): the list a
    caller hands there, wherever it came from (`d_stack = zeros_like(_stack)`
    with `_stack` restored from another stack), receives what the function
    pushes, derivatives included."""
    from ..errors import AdError
    from ..source import parse_function
    try:
        tree = parse_function(function).tree
    except AdError:
        return set()
    params = [a.id for a in tree.args.args]
    changed = {node.func.value.id for node in gast.walk(tree)
               if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
               and node.func.attr in ("append", "pop") and isinstance(node.func.value, gast.Name)}
    # A parameter the function binds again may be changed as another object
    # (`operands = list(operands)`, then `operands.pop()`): not counted.
    rebound = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)
               and isinstance(n.ctx, gast.Store)}
    return {k for k, p in enumerate(params) if p in changed and p not in rebound}


# The kinds of definition loop_ranges allows besides members of ranges, and
# a kind not asked yet.
_RANGE, _POP, _UNSET = object(), object(), object()


def loop_ranges(definitions, params) -> set:
    """Variables that only ever hold ranges or their elements: assigned from
    `range(...)`, sliced or indexed out of such a variable, or the index of a
    `for` loop over one (every loop, after lower_control). They carry no
    derivative even where a generated derivative's stack hands them back
    (`_range = _stack.pop()`; pops and pre-binding to None are the other
    definitions allowed).
    """
    by_target: dict = {param: [None] for param in params}  # None: an argument
    for target, rhs in definitions:
        by_target.setdefault(target, []).append(rhs)

    def source(rhs):
        """The variable `rhs` copies, slices or indexes, if any."""
        if isinstance(rhs, gast.Subscript):
            rhs = rhs.value
        return rhs.id if isinstance(rhs, gast.Name) else None

    known: dict = {}   # id(rhs) -> kind(rhs), each asked once (the rounds ask again)

    def kind(rhs):
        """_RANGE, _POP, or the variable whose members it reads (None: none,
        or an argument's value), which makes it a member when that variable
        is one, and any other definition otherwise."""
        found = known.get(id(rhs), _UNSET)
        if found is _UNSET:
            if rhs is not None and primitive_of(rhs) is builtins.range:
                found = _RANGE
            elif rhs is not None and (nodes.list_method(rhs, "pop") or nodes.is_none(rhs)):
                found = _POP
            else:
                found = None if rhs is None else source(rhs)
            known[id(rhs)] = found
        return found

    # Largest set whose every definition is allowed: a name leaves it when
    # one of its definitions is none of those, or reads a variable that left
    # (followed from each name that leaves to the names defined from it,
    # issue #13: rounds over every name of a Hessian's gradient code, one
    # per link of its longest chain of copies and indexings)...
    members = set(by_target)
    readers: dict = {}   # variable -> the names with a definition reading its members
    leaving = []
    for name, values in by_target.items():
        for rhs in values:
            found = kind(rhs)
            if found is _RANGE or found is _POP:
                continue
            if found is None or found not in members:
                leaving.append(name)
                break
            readers.setdefault(found, []).append(name)
    while leaving:
        name = leaving.pop()
        if name in members:
            members.discard(name)
            leaving.extend(readers.get(name, ()))
    # ...of which the variables that some range(...) actually reaches.
    ranges = {name for name in members if any(kind(rhs) is _RANGE for rhs in by_target[name])}
    changed = True
    while changed:
        changed = False
        for name in members - ranges:
            if any(source(rhs) in ranges for rhs in by_target[name] if rhs is not None):
                ranges.add(name)
                changed = True
    return ranges


def _raise_unsupported_values(definitions, activity: Activity) -> None:
    """A call whose argument values its rule does not cover (noted by the
    normaliser) is an error once any of its arguments is differentiated."""
    for _, rhs in definitions:
        error = nodes.annotation(rhs, "unsupported") if isinstance(rhs, gast.Call) else None
        if error is None:
            continue
        arguments = nodes.call_arguments(rhs)
        if isinstance(rhs.func, gast.Attribute) and primitive_of(rhs) is None:
            arguments.append(rhs.func.value)  # x.sort(): the receiver is changed
        if any(name.id in activity.varied for arg in arguments for _, name in literal_names(arg)):
            raise error


# Calls made for their effect that never change what a value is: a derivative
# may pass through them untouched.
HARMLESS_EFFECTS = (builtins.print,)


def _refuse_unmodelled(definitions, activity: Activity, ctx: Context,
                       user_names: dict | None = None) -> None:
    """The closed world: what a differentiated value reaches is modelled (a
    rule, a user function, the list machinery) or refused, never taken for a
    constant because it was not recognised. `user_names` maps a name
    split_lists.py gave a variable to the user's (v2 -> v)."""
    user_names = user_names or {}
    for target, rhs in definitions:
        if isinstance(rhs, gast.Subscript) and not isinstance(rhs.value, gast.Name) and \
                nodes.names_loaded(rhs.slice) & activity.varied:
            # (np.r_[...] and np.c_[...] are calls by now: passes/index_tricks.py)
            raise NoDerivativeRuleError(
                "indexing a module-level object with a differentiated value (such as "
                "np.mgrid[0:x:5j] or np.s_[x]) has no derivative rule",
                ctx.parsed.location(rhs),
                help="Instead: build the array with NumPy functions of the value "
                     "(np.linspace(0, x, 5), np.arange, np.concatenate, np.r_[...]).")
        if not isinstance(rhs, gast.Call):
            continue
        primitive = primitive_of(rhs)
        if primitive is None and isinstance(rhs.func, gast.Name) and \
                rhs.func.id in activity.varied and target not in activity.useful and \
                _may_change_its_object(rhs.func.id, definitions):
            # `s = a.sort; s()`: what the call changes is hidden in a method
            # of a differentiated value taken as a value (a call whose value
            # carries a derivative is refused where it is classified,
            # operations.py; `key = d.get` only reads).
            name = user_names.get(rhs.func.id, rhs.func.id)
            raise NoDerivativeRuleError(
                f"calling '{name}', a value computed from a differentiated value (a method "
                "of an array, list or dict taken as a value, such as s = a.sort): adcompiler "
                "cannot tell what the call does", ctx.parsed.location(rhs),
                help="Instead: call the method where you use it, a.sort(), d.update(e), "
                     "L.append(v).")
        receiver = rhs.func.value if isinstance(rhs.func, gast.Attribute) and \
            primitive is None else None
        varied = [name.id for arg in nodes.call_arguments(rhs) + [receiver] if arg is not None
                  for _, name in literal_names(arg) if name.id in activity.varied]
        if not varied:
            continue
        if primitive is np.einsum and not (rhs.args and isinstance(rhs.args[0], gast.Constant)
                                           and isinstance(rhs.args[0].value, str)):
            # (a name, an f-string or sublists of names and constants are
            # einsum_with calls by now: passes/einsum_forms.py)
            raise NoDerivativeRuleError(
                "np.einsum of a differentiated value is supported with its subscripts a "
                "string (written out, an f-string or a name holding one) or sublists "
                "(np.einsum(a, [0, 1], b, [1, 2])) of names and constants, not computed in "
                "the call", ctx.parsed.location(rhs),
                help="Instead: name the subscripts or the operands first (spec = ...; "
                     "np.einsum(spec, a, b)), or write np.einsum('ij,jk->ik', a, b).")
        mutated = nodes.annotation(rhs, "mutated")
        if mutated is not None and (mutated.id in activity.varied or
                                    mutated.id in activity.useful):
            raise nodes.annotation(rhs, "unsupported")
        if target == "" and not nodes.list_method(rhs, "append") and \
                not nodes.list_method(rhs, "pop") and primitive not in HARMLESS_EFFECTS and \
                not is_user_function(primitive) and \
                (primitive is None or registry.lookup(primitive) is None):
            if primitive is runtime_builtins.write_global and len(rhs.args) == 3 and \
                    isinstance(rhs.args[1], gast.Constant):
                # `global n; n = x[0]`, which module_globals wrote as this call.
                name = rhs.args[1].value
                raise NoDerivativeRuleError(
                    f"storing a differentiated value in the module-level variable {name!r} "
                    f"(global {name}) is not supported: the derivative does not follow "
                    "values out of the function", ctx.parsed.location(rhs),
                    help=f"Instead: return it, or store a value without a derivative: "
                         f"{name} = float(ad.stop_gradient(value)).")
            carried = nodes.annotation(rhs, "local_object_refusal")
            if carried is not None:  # why local_objects.py left the object it is called on
                raise NoDerivativeRuleError(*carried)
            # A temporary of ours (`_t1` for `x[0]`) is not a name the user knows.
            named = [user_names.get(name, name) for name in varied
                     if not name.startswith("_")]
            shown = f"the differentiated value '{named[0]}'" if named else \
                "a differentiated value"
            raise NoDerivativeRuleError(
                f"a call made for its effect receives {shown}, and adcompiler cannot tell "
                f"what it does with it (it may store or change it)", ctx.parsed.location(rhs),
                help="Instead: call it outside the differentiated function, or on a value "
                     "that carries no derivative: ad.stop_gradient(value) (to log or record "
                     "it, history.append(float(ad.stop_gradient(loss)))).")


def _may_change_its_object(name: str, definitions) -> bool:
    """Whether `name` is bound to a method that may change its object, or to
    what may be one (getattr(a, "sort")): not only ever to a method that reads
    (`key = d.get`, how lower_comprehensions writes max(d, key=d.get)). Asked
    only of a differentiated name called for its effect, which is rare."""
    return any(target == name and (not isinstance(rhs, gast.Attribute) or
                                   rhs.attr in effects.MUTATING_METHOD_NAMES)
               for target, rhs in definitions)


def _closure(names: set, successors) -> None:
    """Add to `names` every name reachable from them through `successors`."""
    pending = list(names)
    while pending:
        for name in successors(pending.pop()):
            if name not in names:
                names.add(name)
                pending.append(name)


def analyse(function: gast.FunctionDef, ctx: Context) -> Activity:
    """Compute the varied and useful variables of a normalised function."""
    params = [arg.id for arg in function.args.args]
    shared, ctx.list_definitions = ctx.list_definitions, None
    if shared is not None and shared[0] is function:
        # split_lists' own, of this function as it stands (pipeline.front_end).
        definitions, facts = list(shared[1]), shared[2]
    else:
        definitions = bindings(function.body, [])
        facts = ListFacts(definitions)
    passed = _lists_passed_to_user_functions(definitions, facts)
    definitions += passed
    facts.add(passed)
    mark_text_formatting(definitions)
    operands = [(target, [a.id for a in derivative_operands(rhs) if isinstance(a, gast.Name)])
                for target, rhs in definitions]
    # The pairs `passed` added find no other list handed to a user function.
    stacks = mutated_lists(definitions, passed, facts)
    lists = list_variables(definitions, stacks, facts)
    lists -= handed_over_lists(function, lists, stacks, facts)
    handovers = handed_over_stacks(function, definitions, stacks & lists)
    # An entry of a list may be a tuple (a list of pairs) the analysis cannot
    # see: what is read from one is added with add_adjoints, as list_read adds
    # into the entry.
    entries = {target for target, rhs in definitions if isinstance(rhs, gast.Subscript)
               and isinstance(rhs.value, gast.Name) and rhs.value.id in lists}
    activity = Activity(varied={params[i] for i in ctx.wrt}, lists=lists,
                        stacks=stacks, handovers=handovers,
                        tuples=possible_tuples(definitions, params, lists | entries) | entries)
    ranges = loop_ranges(definitions, params)
    # Variedness flows from an operand to the target it defines (not to a
    # range's), usefulness back from a target to its operands: each is the
    # closure of its start under those edges, found by following them from
    # each name once (issue #13: a fixed point over every definition took
    # several rounds of a Hessian's gradient code).
    readers: dict = {}   # name -> the targets of the definitions reading it
    operands_of: dict = {}   # target -> the operands of each of its definitions
    for target, names in operands:
        if target not in ranges:
            for name in names:
                found = readers.get(name)
                if found is None:
                    readers[name] = [target]
                else:
                    found.append(target)
        found = operands_of.get(target)
        if found is None:
            operands_of[target] = [names]
        else:
            found.append(names)
    _closure(activity.varied, lambda name: readers.get(name, ()))
    _raise_unsupported_values(definitions, activity)
    returned = function.body[-1].value
    if isinstance(returned, gast.Name):
        activity.useful.add(returned.id)
    # A list parameter the function appends to is an output too: the caller
    # sees what was stored in it (the generated code's shared `_stack`).
    activity.useful |= set(params) & activity.stacks
    _closure(activity.useful, lambda name: [operand for names in operands_of.get(name, ())
                                            for operand in names])
    _refuse_unmodelled(definitions, activity, ctx, ctx.parsed.spelled)
    refuse_text_round_trips(definitions, operands, activity.varied, activity.useful, ctx)
    return activity
